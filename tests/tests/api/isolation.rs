//! An owner of one tenant tries every tenant route against another tenant.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use usher_tests::{assert_problem, spawn_app};

#[tokio::test]
async fn an_owner_of_one_tenant_reaches_nothing_of_another() {
    let app = spawn_app().await;
    let (other, _, other_owner) = app.new_tenant("Device Leasing").await;
    let victim: Value = app
        .create_user(
            other,
            &other_owner,
            json!({"email": "victim@example.org", "first_name": "Vic", "last_name": "Tim",
            "role": "member", "password": {"mode": "generate"}}),
        )
        .await
        .json()
        .await
        .unwrap();
    let victim_id = victim["user"]["id"].as_str().unwrap();
    let invitation: Value = app
        .invite(other, &other_owner, json!({"email": "guest@example.org"}))
        .await
        .json()
        .await
        .unwrap();
    let invitation_id = invitation["id"].as_str().unwrap();
    let (other_key_id, _) = app.api_key(&other_owner, other, &[]).await;
    let other_scim_token = app.scim_on(other, &other_owner).await.token_id;
    let receiver = usher_tests::Receiver::start(&[200]).await;
    let endpoint: Value = app
        .post(
            &format!("/v1/tenants/{other}/webhooks"),
            Some(&other_owner),
            json!({"url": receiver.url}),
        )
        .await
        .json()
        .await
        .unwrap();
    let other_hook = endpoint["id"].as_str().unwrap();
    let before = app
        .partition(&usher_core::keys::tenant_pk(other))
        .await
        .len();

    let attempts: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/v1/tenants/{other}"), None),
        (
            Method::PATCH,
            format!("/v1/tenants/{other}/settings"),
            Some(json!({"members_can_invite": true})),
        ),
        (Method::GET, format!("/v1/tenants/{other}/users"), None),
        (
            Method::POST,
            format!("/v1/tenants/{other}/users"),
            Some(json!({"email": "mole@example.org", "first_name": "M",
            "last_name": "Ole", "role": "owner", "password": {"mode": "generate"}})),
        ),
        (
            Method::GET,
            format!("/v1/tenants/{other}/users/{victim_id}"),
            None,
        ),
        // The other tenant's user through this tenant's path: not a member here.
        (
            Method::GET,
            format!("/v1/tenants/{}/users/{victim_id}", app.tenant_id),
            None,
        ),
        (
            Method::POST,
            format!("/v1/tenants/{other}/users/{victim_id}/password-reset"),
            Some(json!({"mode": "generate"})),
        ),
        (
            Method::POST,
            format!("/v1/tenants/{other}/users/{victim_id}/password-reset"),
            Some(json!({"mode": "link"})),
        ),
        (
            Method::POST,
            format!(
                "/v1/tenants/{}/users/{victim_id}/password-reset",
                app.tenant_id
            ),
            Some(json!({"mode": "generate"})),
        ),
        (
            Method::GET,
            format!("/v1/tenants/{other}/users/{victim_id}/events"),
            None,
        ),
        (
            Method::GET,
            format!("/v1/tenants/{}/users/{victim_id}/events", app.tenant_id),
            None,
        ),
        (Method::GET, format!("/v1/tenants/{other}/events"), None),
        (
            Method::POST,
            format!("/v1/tenants/{other}/invitations"),
            Some(json!({"email": "mole@example.org", "role": "owner"})),
        ),
        (
            Method::GET,
            format!("/v1/tenants/{other}/invitations"),
            None,
        ),
        (
            Method::GET,
            format!("/v1/tenants/{other}/invitations/{invitation_id}"),
            None,
        ),
        (
            Method::DELETE,
            format!("/v1/tenants/{other}/invitations/{invitation_id}"),
            None,
        ),
        (
            Method::POST,
            format!("/v1/tenants/{other}/invitations/{invitation_id}/resend"),
            Some(json!({})),
        ),
        // The other tenant's invitation through this tenant's path.
        (
            Method::GET,
            format!("/v1/tenants/{}/invitations/{invitation_id}", app.tenant_id),
            None,
        ),
        (
            Method::DELETE,
            format!("/v1/tenants/{}/invitations/{invitation_id}", app.tenant_id),
            None,
        ),
        (
            Method::POST,
            format!(
                "/v1/tenants/{}/invitations/{invitation_id}/resend",
                app.tenant_id
            ),
            Some(json!({})),
        ),
        (
            Method::DELETE,
            format!("/v1/tenants/{other}/users/{victim_id}/sessions"),
            None,
        ),
        (
            Method::POST,
            format!("/v1/tenants/{other}/api-keys"),
            Some(json!({"name": "Mole", "permissions": ["users.manage"]})),
        ),
        (Method::GET, format!("/v1/tenants/{other}/api-keys"), None),
        (
            Method::DELETE,
            format!("/v1/tenants/{other}/api-keys/{other_key_id}"),
            None,
        ),
        (Method::GET, format!("/v1/tenants/{other}/scim"), None),
        (
            Method::PATCH,
            format!("/v1/tenants/{other}/scim"),
            Some(json!({"enabled": true})),
        ),
        (
            Method::POST,
            format!("/v1/tenants/{other}/scim/tokens"),
            Some(json!({"name": "Mole"})),
        ),
        (
            Method::GET,
            format!("/v1/tenants/{other}/scim/tokens"),
            None,
        ),
        (
            Method::DELETE,
            format!("/v1/tenants/{other}/scim/tokens/{other_scim_token}"),
            None,
        ),
        (Method::GET, format!("/v1/tenants/{other}/webhooks"), None),
        (
            Method::POST,
            format!("/v1/tenants/{other}/webhooks"),
            Some(json!({"url": receiver.url})),
        ),
        (
            Method::GET,
            format!("/v1/tenants/{other}/webhooks/{other_hook}"),
            None,
        ),
        (
            Method::PATCH,
            format!("/v1/tenants/{other}/webhooks/{other_hook}"),
            Some(json!({"url": receiver.url, "enabled": false})),
        ),
        (
            Method::DELETE,
            format!("/v1/tenants/{other}/webhooks/{other_hook}"),
            None,
        ),
        (
            Method::GET,
            format!("/v1/tenants/{other}/webhooks/{other_hook}/deliveries"),
            None,
        ),
        (
            Method::POST,
            format!("/v1/tenants/{other}/webhooks/{other_hook}/secret"),
            None,
        ),
        (
            Method::POST,
            format!("/v1/tenants/{other}/webhooks/{other_hook}/replay"),
            Some(json!({"since": "2020-01-01T00:00:00Z"})),
        ),
        // The other tenant's endpoint through this tenant's path: not one of its endpoints.
        (
            Method::POST,
            format!("/v1/tenants/{}/webhooks/{other_hook}/replay", app.tenant_id),
            Some(json!({"since": "2020-01-01T00:00:00Z"})),
        ),
        (
            Method::POST,
            format!("/v1/tenants/{}/webhooks/{other_hook}/secret", app.tenant_id),
            None,
        ),
    ];
    // This tenant's API key, with every permission it can hold, gets no further: refused as a
    // key that does not open that tenant.
    let (_, key) = app
        .api_key(&app.owner_token, app.tenant_id, &["users.manage"])
        .await;
    for (method, path, body) in &attempts {
        let response = app
            .request(method.clone(), path, Some(&app.owner_token), body.clone())
            .await;
        assert_problem(response, StatusCode::NOT_FOUND, "not_found").await;
        if path.starts_with(&format!("/v1/tenants/{other}")) {
            let response = app
                .request(method.clone(), path, Some(&key), body.clone())
                .await;
            assert_problem(response, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        }
    }
    assert_eq!(
        app.partition(&usher_core::keys::tenant_pk(other))
            .await
            .len(),
        before,
        "nothing was written"
    );
    let victim_password = victim["generated_password"].as_str().unwrap();
    assert_eq!(
        app.sign_in("victim@example.org", victim_password)
            .await
            .status(),
        StatusCode::CREATED,
        "the victim's password is untouched"
    );
    let unchanged: Value = app
        .get_json(&format!("/v1/tenants/{other}"), &other_owner)
        .await;
    assert_eq!(unchanged["settings"]["members_can_invite"], false);
}

#[tokio::test]
async fn a_cursor_from_one_tenant_reads_nothing_of_another() {
    let app = spawn_app().await;
    let (other, _, other_owner) = app.new_tenant("Chat Suite").await;
    for i in 0..3 {
        app.create_user(
            other,
            &other_owner,
            json!({"email": format!("c{i}@example.org"), "first_name": "C",
            "last_name": "D", "role": "member", "password": {"mode": "link"}}),
        )
        .await;
    }
    let page: Value = app
        .get_json(&format!("/v1/tenants/{other}/users?limit=1"), &other_owner)
        .await;
    let cursor = page["next_cursor"].as_str().unwrap();
    let mine: Value = app
        .get_json(
            &format!("/v1/tenants/{}/users?cursor={cursor}", app.tenant_id),
            &app.owner_token,
        )
        .await;
    for user in mine["items"].as_array().unwrap() {
        assert_ne!(
            user["email"].as_str().unwrap().chars().next(),
            Some('c'),
            "{mine}"
        );
    }
}
