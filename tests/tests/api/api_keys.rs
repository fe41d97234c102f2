use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use usher_tests::{GOOD_PASSWORD, assert_problem, spawn_app};

#[tokio::test]
async fn a_key_acts_in_its_tenant_with_its_permissions_and_is_audited_as_itself() {
    let app = spawn_app().await;
    let tenant = format!("/v1/tenants/{}", app.tenant_id);
    let (key_id, key) = app
        .api_key(&app.owner_token, app.tenant_id, &["users.manage"])
        .await;
    assert!(key.starts_with("usher_tk_"));

    // Listed without its secret.
    let keys = app
        .get_json(&format!("{tenant}/api-keys"), &app.owner_token)
        .await;
    assert_eq!(keys["items"][0]["id"], key_id);
    assert!(
        !keys.to_string().contains(&key[40..]),
        "no secret in the list"
    );

    // It manages users: lists them, creates one.
    assert_eq!(
        app.get(&format!("{tenant}/users"), &key).await.status(),
        StatusCode::OK
    );
    let response = app
        .create_user(
            app.tenant_id,
            &key,
            json!({"email": "made-by-key@example.org", "first_name": "Kay", "last_name": "Backend",
                   "role": "member", "password": {"mode": "link"}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let log = app
        .log_entries(&format!("{tenant}/events"), &app.owner_token)
        .await;
    let created = log.iter().find(|e| e["action"] == "user.created").unwrap();
    assert_eq!(created["actor"], json!({"type": "api_key", "id": key_id}));
    assert!(log.iter().any(|e| e["action"] == "api_key.created"));
    // Its use is recorded.
    let keys = app
        .get_json(&format!("{tenant}/api-keys"), &app.owner_token)
        .await;
    assert!(keys["items"][0]["last_used_at"].is_string());

    // Never a person's routes, never a token, never another tenant.
    assert_problem(
        app.get("/v1/me", &key).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    assert_problem(
        app.mint_token(&key, app.tenant_id).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    let (other, _, _) = app.new_tenant("Elsewhere").await;
    for path in [
        format!("/v1/tenants/{other}"),
        format!("/v1/tenants/{other}/users"),
    ] {
        assert_problem(
            app.get(&path, &key).await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        )
        .await;
    }
    // It acts as a member: what only admins do is refused.
    let response = app
        .request(
            Method::PATCH,
            &format!("{tenant}/settings"),
            Some(&key),
            Some(json!({"members_can_invite": true})),
        )
        .await;
    assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    // A key makes no keys.
    let response = app
        .post(
            &format!("{tenant}/api-keys"),
            Some(&key),
            json!({"name": "Child"}),
        )
        .await;
    assert_problem(response, StatusCode::FORBIDDEN, "session_required").await;
}

#[tokio::test]
async fn a_key_never_holds_more_than_its_maker_does_now() {
    let app = spawn_app().await;
    app.settings(
        json!({"permission_catalog": [{"name": "fleet.read", "label": "Fleet"},
                                               {"name": "fleet.manage", "label": "Fleet admin"}]}),
    )
    .await;
    let tenant = format!("/v1/tenants/{}", app.tenant_id);
    let (maker_id, _, maker) = app
        .member(app.tenant_id, "member", &["users.manage", "fleet.read"])
        .await;
    // More than the maker holds, or what the catalogue does not know: refused.
    let response = app
        .post(
            &format!("{tenant}/api-keys"),
            Some(&maker),
            json!({"name": "Too much", "permissions": ["fleet.manage"]}),
        )
        .await;
    assert_problem(response, StatusCode::FORBIDDEN, "permission_not_held").await;
    let response = app
        .post(
            &format!("{tenant}/api-keys"),
            Some(&maker),
            json!({"name": "Unknown", "permissions": ["rockets.launch"]}),
        )
        .await;
    assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_permission",
    )
    .await;
    // A member who manages no users makes none.
    let (_, _, plain) = app.member(app.tenant_id, "member", &["fleet.read"]).await;
    let response = app
        .post(
            &format!("{tenant}/api-keys"),
            Some(&plain),
            json!({"name": "Mine"}),
        )
        .await;
    assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;

    let (_, key) = app.api_key(&maker, app.tenant_id, &["users.manage"]).await;
    assert_eq!(
        app.get(&format!("{tenant}/users"), &key).await.status(),
        StatusCode::OK
    );
    // The maker loses users.manage: so does the key, at once.
    let response = app
        .request(
            Method::PATCH,
            &format!("{tenant}/users/{maker_id}"),
            Some(&app.owner_token),
            Some(json!({"permissions": ["fleet.read"]})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_problem(
        app.get(&format!("{tenant}/users"), &key).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // The maker archived: the key stops working.
    app.archive(&maker_id).await;
    assert_problem(
        app.get(&tenant, &key).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn a_revoked_expired_or_altered_key_is_refused_on_the_next_request() {
    let app = spawn_app().await;
    let tenant = format!("/v1/tenants/{}", app.tenant_id);
    let (key_id, key) = app.api_key(&app.owner_token, app.tenant_id, &[]).await;
    assert_eq!(app.get(&tenant, &key).await.status(), StatusCode::OK);

    // One character of the secret changed, or the maker's id swapped for another account's.
    let mut altered: Vec<char> = key.chars().collect();
    let at = altered.len() - 20;
    altered[at] = if altered[at] == 'A' { 'B' } else { 'A' };
    let altered: String = altered.into_iter().collect();
    let (_, _, mia) = app.member(app.tenant_id, "admin", &[]).await;
    let mia_id = app.account_id_of(&mia).await;
    let swapped = format!("usher_tk_{mia_id}{}", &key[9 + 26..]);
    for bad in [&altered, &swapped] {
        assert_problem(
            app.get(&tenant, bad).await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        )
        .await;
    }
    // A miss costs what a hit costs: one batch read.
    app.counter.take();
    app.get(&tenant, &altered).await;
    assert_eq!(app.counter.take(), 1);

    // Revoked: the very next request is refused; a second revoke says so.
    let response = app
        .request(
            Method::DELETE,
            &format!("{tenant}/api-keys/{key_id}"),
            Some(&app.owner_token),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.get(&tenant, &key).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    let again = app
        .request(
            Method::DELETE,
            &format!("{tenant}/api-keys/{key_id}"),
            Some(&app.owner_token),
            None,
        )
        .await;
    assert_problem(again, StatusCode::CONFLICT, "api_key_revoked").await;
    let listed = app
        .get_json(&format!("{tenant}/api-keys"), &app.owner_token)
        .await;
    assert!(listed["items"][0]["revoked_at"].is_string());

    // Expiry: it works until then, and not after.
    let expires = (chrono::Utc::now() + Duration::hours(2)).to_rfc3339();
    let response = app
        .post(
            &format!("{tenant}/api-keys"),
            Some(&app.owner_token),
            json!({"name": "Short", "expires_at": expires}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let short: Value = response.json().await.unwrap();
    let short = short["secret"].as_str().unwrap().to_owned();
    assert_eq!(app.get(&tenant, &short).await.status(), StatusCode::OK);
    app.clock.advance(Duration::hours(3));
    assert_problem(
        app.get(&tenant, &short).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    let past = (chrono::Utc::now() - Duration::hours(1)).to_rfc3339();
    let session = app.sign_in_token(&app.owner_email, GOOD_PASSWORD).await;
    let response = app
        .post(
            &format!("{tenant}/api-keys"),
            Some(&session),
            json!({"name": "Past", "expires_at": past}),
        )
        .await;
    assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
}

#[tokio::test]
async fn another_tenants_admin_can_neither_see_nor_revoke_a_key() {
    let app = spawn_app().await;
    let (key_id, _) = app.api_key(&app.owner_token, app.tenant_id, &[]).await;
    let (other, _, other_owner) = app.new_tenant("Elsewhere").await;
    let mine = format!("/v1/tenants/{}/api-keys", app.tenant_id);
    assert_problem(
        app.get(&mine, &other_owner).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let response = app
        .request(
            Method::DELETE,
            &format!("{mine}/{key_id}"),
            Some(&other_owner),
            None,
        )
        .await;
    assert_problem(response, StatusCode::NOT_FOUND, "not_found").await;
    // Through its own tenant's path, the key id is nobody's.
    let response = app
        .request(
            Method::DELETE,
            &format!("/v1/tenants/{other}/api-keys/{key_id}"),
            Some(&other_owner),
            None,
        )
        .await;
    assert_problem(response, StatusCode::NOT_FOUND, "not_found").await;
}
