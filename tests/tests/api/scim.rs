//! Directory sync: SCIM tokens, who may make them, and the endpoint's Users as a tenant's
//! identity provider (and those who would misuse it) call it.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use usher_tests::{
    GOOD_PASSWORD, OWN_PASSWORD, ScimEndpoint, TestApp, assert_problem, scim_patch, spawn_app,
    token_of, with_filter,
};

const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// Asserts a SCIM error answer: its status (also as the body's string `status`), schema and
/// `scimType`.
fn assert_scim_error(
    status: StatusCode,
    body: &Value,
    expected: StatusCode,
    scim_type: Option<&str>,
) {
    assert_eq!(status, expected, "body: {body}");
    assert_eq!(body["schemas"], json!([ERROR_SCHEMA]), "body: {body}");
    assert_eq!(
        body["status"],
        expected.as_u16().to_string(),
        "status is a string"
    );
    assert_eq!(body["scimType"].as_str(), scim_type, "body: {body}");
    assert!(body["detail"].is_string());
}

fn user_body(user_name: &str, given: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "name": {"givenName": given, "familyName": "Synced"},
        "emails": [{"value": user_name, "type": "work", "primary": true}],
        "active": true,
    })
}

#[tokio::test]
async fn owners_and_admins_make_at_most_two_tokens_shown_once_and_revoked_at_once() {
    let app = spawn_app().await;
    let (_, _, member) = app.member(app.tenant_id, "member", &["users.manage"]).await;
    let path = format!("/v1/tenants/{}/scim/tokens", app.tenant_id);
    // Who manages users is not enough: SCIM acts as an admin.
    let refused = app
        .post(&path, Some(&member), json!({"name": "Mine"}))
        .await;
    assert_problem(refused, StatusCode::FORBIDDEN, "forbidden").await;
    let endpoint = app.main_scim().await;
    assert!(endpoint.token.starts_with("usher_scim_"));
    assert_eq!(
        endpoint.token.len(),
        "usher_scim_".len() + 43,
        "256 random bits"
    );
    assert_eq!(
        endpoint.url,
        format!("{}/scim/v2/{}", app.base, app.tenant_id)
    );
    let second = app
        .post(&path, Some(&app.owner_token), json!({"name": "Next"}))
        .await;
    assert_eq!(second.status(), StatusCode::CREATED);
    let second: Value = second.json().await.unwrap();
    let third = app
        .post(&path, Some(&app.owner_token), json!({"name": "Third"}))
        .await;
    assert_problem(third, StatusCode::CONFLICT, "too_many_scim_tokens").await;

    // Listed without secrets, with when each was last used.
    let (status, _) = app.scim(&endpoint, Method::GET, "/Users", None).await;
    assert_eq!(status, StatusCode::OK);
    let listed: Value = app.get_json(&path, &app.owner_token).await;
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(
        !listed.to_string().contains(&endpoint.token[11..]),
        "no secret in the list"
    );
    assert!(items[0]["last_used_at"].is_string(), "{listed}");
    assert!(items[1]["last_used_at"].is_null());
    // Only the hash is stored.
    let stored = app
        .partition(&usher_core::keys::tenant_pk(app.tenant_id))
        .await;
    assert!(!format!("{stored:?}").contains(&endpoint.token[11..]));

    // Revoked: the very next request is refused, the other token still works.
    let revoked = app
        .request(
            Method::DELETE,
            &format!("{path}/{}", endpoint.token_id),
            Some(&app.owner_token),
            None,
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let (status, body) = app.scim(&endpoint, Method::GET, "/Users", None).await;
    assert_scim_error(status, &body, StatusCode::UNAUTHORIZED, None);
    let (status, _, _) = app
        .scim_with(
            &endpoint,
            second["secret"].as_str().unwrap(),
            Method::GET,
            "/Users",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let log = app
        .log_entries(
            &format!("/v1/tenants/{}/events", app.tenant_id),
            &app.owner_token,
        )
        .await;
    for action in ["scim.updated", "scim.token_created", "scim.token_revoked"] {
        assert!(log.iter().any(|e| e["action"] == action), "{action} logged");
    }
}

#[tokio::test]
async fn every_bad_token_gets_the_same_answer() {
    let app = spawn_app().await;
    let endpoint = app.main_scim().await;
    let (other, _, other_owner) = app.new_tenant("Help Desk").await;
    let other_endpoint = app.scim_on(other, &other_owner).await;
    let session = app.owner_token.clone();
    let mut answers = Vec::new();
    // Missing, malformed, a near miss, a session, and the other tenant's token.
    let mut near_miss = endpoint.token.clone();
    near_miss.pop();
    near_miss.push(if endpoint.token.ends_with('A') {
        'B'
    } else {
        'A'
    });
    for token in [
        "",
        "usher_scim_short",
        &near_miss,
        &session,
        &other_endpoint.token,
    ] {
        let (status, content_type, body) = app
            .scim_with(&endpoint, token, Method::GET, "/Users", None)
            .await;
        assert_eq!(content_type.as_deref(), Some("application/scim+json"));
        assert_scim_error(status, &body, StatusCode::UNAUTHORIZED, None);
        answers.push(body);
    }
    assert!(
        answers.windows(2).all(|w| w[0] == w[1]),
        "one answer for all: {answers:?}"
    );
    // A SCIM token opens nothing else: not the tenant's own routes.
    let response = app
        .get(&format!("/v1/tenants/{}", app.tenant_id), &endpoint.token)
        .await;
    assert_problem(response, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    // SCIM turned off: the token is refused as an unknown one.
    let off = app
        .request(
            Method::PATCH,
            &format!("/v1/tenants/{}/scim", app.tenant_id),
            Some(&app.owner_token),
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(off.status(), StatusCode::OK);
    let (status, body) = app.scim(&endpoint, Method::GET, "/Users", None).await;
    assert_eq!(body, answers[0]);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_token_of_one_tenant_reaches_nothing_of_another() {
    let app = spawn_app().await;
    let endpoint = app.main_scim().await;
    let (other, _, other_owner) = app.new_tenant("Device Leasing").await;
    let other_endpoint = app.scim_on(other, &other_owner).await;
    let victim = app.scim_user(&other_endpoint, "victim@example.org").await;
    let victim_id = victim["id"].as_str().unwrap();
    let before = app
        .partition(&usher_core::keys::tenant_pk(other))
        .await
        .len();
    // The other tenant's path with this tenant's token: refused, whatever the route.
    let foreign = ScimEndpoint {
        token: endpoint.token.clone(),
        ..other_endpoint.clone()
    };
    let attempts = [
        (Method::GET, format!("/Users/{victim_id}"), None),
        (Method::GET, "/Users".to_owned(), None),
        (
            Method::POST,
            "/Users".to_owned(),
            Some(user_body("mole@example.org", "Mole")),
        ),
        (
            Method::PATCH,
            format!("/Users/{victim_id}"),
            Some(scim_patch(
                json!([{"op": "replace", "path": "active", "value": false}]),
            )),
        ),
        (Method::DELETE, format!("/Users/{victim_id}"), None),
        (Method::GET, "/Groups".to_owned(), None),
        (Method::GET, "/Schemas".to_owned(), None),
    ];
    for (method, path, body) in attempts {
        let (status, body) = app.scim(&foreign, method, &path, body).await;
        assert_scim_error(status, &body, StatusCode::UNAUTHORIZED, None);
    }
    // The other tenant's User through this tenant's own endpoint: not one of its Users.
    let (status, body) = app
        .scim(&endpoint, Method::GET, &format!("/Users/{victim_id}"), None)
        .await;
    assert_scim_error(status, &body, StatusCode::NOT_FOUND, None);
    let (status, body) = app
        .scim(
            &endpoint,
            Method::PATCH,
            &format!("/Users/{victim_id}"),
            Some(scim_patch(
                json!([{"op": "replace", "path": "active", "value": false}]),
            )),
        )
        .await;
    assert_scim_error(status, &body, StatusCode::NOT_FOUND, None);
    let (status, body) = app
        .scim(
            &endpoint,
            Method::GET,
            "/Users?filter=userName%20eq%20%22victim@example.org%22",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["totalResults"], 0,
        "another tenant's member is not found by name"
    );
    assert_eq!(
        app.partition(&usher_core::keys::tenant_pk(other))
            .await
            .len(),
        before,
        "nothing written"
    );
}

#[tokio::test]
async fn a_user_is_created_read_found_and_listed() {
    let app = spawn_app().await;
    let endpoint = app.main_scim().await;
    let (status, content_type, created) = app
        .scim_with(
            &endpoint,
            &endpoint.token,
            Method::POST,
            "/Users",
            Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "externalId": "00u1abcd",
                "userName": "Bjensen@Example.org",
                "name": {"givenName": "Barbara", "familyName": "Jensen"},
                "emails": [{"value": "bjensen@example.org", "type": "work", "primary": true}],
                "phoneNumbers": [{"value": "+39 055 123 4567", "type": "work"}],
                "preferredLanguage": "it-IT",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Tour Operations"},
                "password": "ignored-never-set",
                "active": true,
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(content_type.as_deref(), Some("application/scim+json"));
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        created["meta"]["location"],
        format!("{}/Users/{id}", endpoint.url)
    );
    assert_eq!(created["externalId"], "00u1abcd");
    assert!(created.get("password").is_none(), "never answered");
    // Usher's own record of the person: the membership, in Italian, with no password.
    let user = app
        .user_by_email("bjensen@example.org")
        .await
        .expect("a member");
    assert_eq!(user["id"], id);
    assert_eq!(user["first_name"], "Barbara");
    assert_eq!(user["locale"], "it");
    assert_eq!(user["phone"], "+39 055 123 4567");
    assert_eq!(user["created_via"], "scim");
    assert_eq!(
        app.sign_in("bjensen@example.org", "ignored-never-set")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert!(
        app.mails_to("bjensen@example.org").await.is_empty(),
        "no mail unless the tenant asks"
    );

    let (status, read) = app
        .scim(&endpoint, Method::GET, &format!("/Users/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, created);
    // Found by each filter the providers use, names of attributes and emails in any case.
    for filter in [
        r#"userName eq "bjensen@example.org""#,
        r#"USERNAME eq "BJENSEN@EXAMPLE.ORG""#,
        r#"externalId eq "00u1abcd""#,
        &format!(r#"id eq "{id}""#),
        r#"emails.value eq "bjensen@example.org""#,
        r#"emails[type eq "work"].value eq "bjensen@example.org""#,
        r#"emails[type eq "work" and value eq "bjensen@example.org"]"#,
        r#"userName eq "bjensen@example.org" and externalId eq "00u1abcd""#,
    ] {
        let query = with_filter("/Users", filter);
        let (status, found) = app.scim(&endpoint, Method::GET, &query, None).await;
        assert_eq!(status, StatusCode::OK, "{filter}: {found}");
        assert_eq!(found["totalResults"], 1, "{filter}");
        assert_eq!(found["Resources"][0]["id"], id, "{filter}");
    }
    for filter in [
        r#"externalId eq "00U1ABCD""#,
        r#"userName eq "bjensen@example.org" and externalId eq "other""#,
    ] {
        let query = with_filter("/Users", filter);
        let (_, found) = app.scim(&endpoint, Method::GET, &query, None).await;
        assert_eq!(
            found["totalResults"], 0,
            "{filter}: externalId is case-exact"
        );
    }
    // Anything else is refused, not answered by reading the tenant.
    for filter in [
        r#"userName co "jensen""#,
        r#"title eq "x""#,
        r#"userName eq "a" or userName eq "b""#,
        "userName eq",
    ] {
        let query = with_filter("/Users", filter);
        let (status, body) = app.scim(&endpoint, Method::GET, &query, None).await;
        assert_scim_error(
            status,
            &body,
            StatusCode::BAD_REQUEST,
            Some("invalidFilter"),
        );
    }
    // A second create of the same person is refused.
    let (status, body) = app
        .scim(
            &endpoint,
            Method::POST,
            "/Users",
            Some(user_body("BJENSEN@example.org", "Barb")),
        )
        .await;
    assert_scim_error(status, &body, StatusCode::CONFLICT, Some("uniqueness"));
    // Pages, 1-based, in a stable order; numbers are numbers.
    for n in 0..3 {
        app.scim_user(&endpoint, &format!("p{n}@example.org")).await;
    }
    let (_, all) = app.scim(&endpoint, Method::GET, "/Users", None).await;
    let total = all["totalResults"].as_u64().unwrap();
    assert_eq!(total, 5, "the owner, Barbara and three more");
    let ids: Vec<&Value> = all["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| &u["id"])
        .collect();
    let (_, page) = app
        .scim(&endpoint, Method::GET, "/Users?startIndex=2&count=2", None)
        .await;
    assert_eq!(page["startIndex"], 2);
    assert_eq!(page["itemsPerPage"], 2);
    assert_eq!(page["totalResults"], 5);
    assert_eq!(page["Resources"][0]["id"], *ids[1]);
    assert_eq!(page["Resources"][1]["id"], *ids[2]);
    let (_, none) = app
        .scim(&endpoint, Method::GET, "/Users?count=0", None)
        .await;
    assert_eq!(none["totalResults"], 5);
    assert_eq!(none["Resources"], json!([]));
    let log = app
        .log_entries(
            &format!("/v1/tenants/{}/users/{id}/events", app.tenant_id),
            &app.owner_token,
        )
        .await;
    let created_event = log
        .iter()
        .find(|e| e["action"] == "user.created")
        .expect("logged");
    assert_eq!(
        created_event["actor"],
        json!({"type": "scim", "id": endpoint.token_id})
    );
}

/// Signs `email` in and reads the tenant with the session: the status.
async fn reaches_tenant(app: &TestApp, token: &str) -> StatusCode {
    app.get(&format!("/v1/tenants/{}", app.tenant_id), token)
        .await
        .status()
}

#[tokio::test]
async fn deactivation_cuts_access_at_once_and_activation_brings_it_back() {
    let app = spawn_app().await;
    let endpoint = app.main_scim().await;
    let (id, _, token) = app.member(app.tenant_id, "member", &[]).await;
    assert_eq!(reaches_tenant(&app, &token).await, StatusCode::OK);
    // Okta's path-less deactivation.
    let (status, body) = app
        .scim(
            &endpoint,
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(scim_patch(
                json!([{"op": "replace", "value": {"active": false}}]),
            )),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["active"], false);
    assert_eq!(
        reaches_tenant(&app, &token).await,
        StatusCode::FORBIDDEN,
        "the session stops at once"
    );
    // Entra ID's string boolean.
    let (status, body) = app
        .scim(
            &endpoint,
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(scim_patch(
                json!([{"op": "Replace", "path": "active", "value": "True"}]),
            )),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["active"], true);
    assert_eq!(reaches_tenant(&app, &token).await, StatusCode::OK);
    let log = app
        .log_entries(
            &format!("/v1/tenants/{}/users/{id}/events", app.tenant_id),
            &app.owner_token,
        )
        .await;
    assert!(
        log.iter()
            .any(|e| e["action"] == "user.access_revoked" && e["actor"]["type"] == "scim")
    );
    assert!(
        log.iter()
            .any(|e| e["action"] == "user.access_granted" && e["actor"]["type"] == "scim")
    );
}

#[tokio::test]
async fn a_deleted_user_is_archived_here_gone_from_scim_and_comes_back_when_created_again() {
    let app = spawn_app().await;
    let endpoint = app.main_scim().await;
    let created = app.scim_user(&endpoint, "leaver@example.org").await;
    let id = created["id"].as_str().unwrap();
    let (status, body) = app
        .scim(&endpoint, Method::DELETE, &format!("/Users/{id}"), None)
        .await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    // RFC 7644 section 3.6: gone from every operation and every query...
    let (status, body) = app
        .scim(&endpoint, Method::GET, &format!("/Users/{id}"), None)
        .await;
    assert_scim_error(status, &body, StatusCode::NOT_FOUND, None);
    let (_, found) = app
        .scim(
            &endpoint,
            Method::GET,
            &with_filter("/Users", r#"userName eq "leaver@example.org""#),
            None,
        )
        .await;
    assert_eq!(found["totalResults"], 0);
    // ...while Usher keeps the member, archived, and the account.
    let user = app.user_by_email("leaver@example.org").await.expect("kept");
    assert_eq!(user["status"], "archived");
    // Created again by the provider: the same person, back.
    let again = app.scim_user(&endpoint, "leaver@example.org").await;
    assert_eq!(again["id"], id);
    assert_eq!(again["active"], true);
    let user = app.user_by_email("leaver@example.org").await.unwrap();
    assert_eq!(user["status"], "active");
}

#[tokio::test]
async fn an_account_another_tenant_knows_is_recorded_and_joins_only_by_accepting() {
    let app = spawn_app().await;
    // Dora is a member of the help desk, with her own password and names.
    let (desk, _, desk_owner) = app.new_tenant("Help Desk").await;
    let created = app
        .create_user(
            desk,
            &desk_owner,
            json!({"email": "dora@example.org", "first_name": "Dora", "last_name": "Private",
                   "role": "member", "password": {"mode": "set", "value": GOOD_PASSWORD}}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let dora_session = app.sign_in_token("dora@example.org", GOOD_PASSWORD).await;
    // The main tenant's identity provider creates her.
    let endpoint = app.main_scim().await;
    let (status, user) = app
        .scim(
            &endpoint,
            Method::POST,
            "/Users",
            Some(user_body("dora@example.org", "Dorothea")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let id = user["id"].as_str().unwrap();
    // The answer and the record carry the provider's names, nothing of the account's.
    assert_eq!(user["name"]["givenName"], "Dorothea");
    assert!(!user.to_string().contains("Private"));
    assert_eq!(user["active"], true, "as the provider asked");
    // No membership opened: her session does not reach the tenant.
    assert_ne!(reaches_tenant(&app, &dora_session).await, StatusCode::OK);
    let record = app.user_by_email("dora@example.org").await.unwrap();
    assert_eq!(record["needs_consent"], true);
    assert_eq!(record["access"], false);
    // Changes apply before she accepts.
    let (status, changed) = app
        .scim(
            &endpoint,
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(scim_patch(
                json!([{"op": "replace", "path": "name.familyName", "value": "Explorer"}]),
            )),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["name"]["familyName"], "Explorer");
    // Her sign-in address is hers: the provider cannot move it.
    let (status, body) = app
        .scim(
            &endpoint,
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(scim_patch(
                json!([{"op": "replace", "path": "userName", "value": "mole@example.org"}]),
            )),
        )
        .await;
    assert_scim_error(status, &body, StatusCode::BAD_REQUEST, Some("mutability"));
    // The invitation went to her own address; accepting it by signing in opens access.
    app.dispatch_all_pending().await;
    let links = app.invitation_links_to("dora@example.org").await;
    assert_eq!(links.len(), 1, "one consent invitation");
    // The help desk's admin set her password: joining takes one of her own.
    let accepted = app
        .accept(
            &token_of(&links[0]),
            json!({"mode": "existing", "email": "dora@example.org", "password": GOOD_PASSWORD,
                   "new_password": OWN_PASSWORD}),
        )
        .await;
    assert_eq!(
        accepted.status(),
        StatusCode::OK,
        "{}",
        accepted.text().await.unwrap()
    );
    let session = app.sign_in_token("dora@example.org", OWN_PASSWORD).await;
    assert_eq!(reaches_tenant(&app, &session).await, StatusCode::OK);
    let (_, read) = app
        .scim(&endpoint, Method::GET, &format!("/Users/{id}"), None)
        .await;
    assert_eq!(read["active"], true);
}

#[tokio::test]
async fn the_provider_acts_as_an_admin_never_on_owners() {
    let app = spawn_app().await;
    let endpoint = app.main_scim().await;
    let owner_id = app.account_id_of(&app.owner_token).await;
    for (method, body) in [
        (
            Method::PATCH,
            Some(scim_patch(
                json!([{"op": "replace", "path": "active", "value": false}]),
            )),
        ),
        (Method::DELETE, None),
    ] {
        let (status, body) = app
            .scim(&endpoint, method, &format!("/Users/{owner_id}"), body)
            .await;
        assert_scim_error(status, &body, StatusCode::FORBIDDEN, None);
    }
    assert_eq!(reaches_tenant(&app, &app.owner_token).await, StatusCode::OK);
}

#[tokio::test]
async fn a_provider_that_mails_sends_the_link_to_choose_a_password() {
    let app = spawn_app().await;
    let endpoint = app.main_scim().await;
    let on = app
        .request(
            Method::PATCH,
            &format!("/v1/tenants/{}/scim", app.tenant_id),
            Some(&app.owner_token),
            Some(json!({"send_access_mail": true})),
        )
        .await;
    assert_eq!(on.status(), StatusCode::OK);
    app.scim_user(&endpoint, "newcomer@example.org").await;
    app.dispatch_all_pending().await;
    let mails = app.mails_to("newcomer@example.org").await;
    assert_eq!(mails.len(), 1, "one mail");
    assert_eq!(
        mails[0].links.len(),
        1,
        "with the link to choose a password"
    );
}

#[tokio::test]
async fn two_creates_of_one_person_at_once_make_one_user() {
    let app = spawn_app().await;
    let endpoint = app.main_scim().await;
    let body = user_body("twin@example.org", "Twin");
    let (a, b) = tokio::join!(
        app.scim(&endpoint, Method::POST, "/Users", Some(body.clone())),
        app.scim(&endpoint, Method::POST, "/Users", Some(body.clone())),
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses[0], StatusCode::CREATED, "{a:?} {b:?}");
    assert_eq!(statuses[1], StatusCode::CONFLICT, "{a:?} {b:?}");
    let (_, found) = app
        .scim(
            &endpoint,
            Method::GET,
            &with_filter("/Users", r#"userName eq "twin@example.org""#),
            None,
        )
        .await;
    assert_eq!(found["totalResults"], 1);
}

#[tokio::test]
async fn bad_bodies_get_scim_errors_and_change_nothing() {
    let app = spawn_app().await;
    let endpoint = app.main_scim().await;
    // The tenant's request count is written by the first request.
    app.scim(&endpoint, Method::GET, "/Users", None).await;
    let before = app
        .partition(&usher_core::keys::tenant_pk(app.tenant_id))
        .await
        .len();
    let cases = [
        (json!("not an object"), "invalidSyntax"),
        (
            json!({"name": {"givenName": "A", "familyName": "B"}}),
            "invalidValue",
        ),
        (
            json!({"userName": "no-email-anywhere", "name": {"givenName": "A", "familyName": "B"}}),
            "invalidValue",
        ),
        (json!({"userName": "a@example.org"}), "invalidValue"),
        (
            json!({"userName": "a@example.org", "name": {"givenName": "=SUM(A1)", "familyName": "B"}}),
            "invalidValue",
        ),
        (
            json!({"userName": "a@example.org", "name": {"givenName": "A", "familyName": "B"}, "active": "maybe"}),
            "invalidValue",
        ),
        (
            json!({"userName": "a@example.org", "name": {"givenName": "A", "familyName": "B"}, "phoneNumbers": [{"value": "call me"}]}),
            "invalidValue",
        ),
        (
            json!({"userName": "x".repeat(300), "name": {"givenName": "A", "familyName": "B"}}),
            "invalidValue",
        ),
    ];
    for (body, scim_type) in cases {
        let (status, answer) = app
            .scim(&endpoint, Method::POST, "/Users", Some(body.clone()))
            .await;
        assert_scim_error(status, &answer, StatusCode::BAD_REQUEST, Some(scim_type));
    }
    let response = app
        .http
        .post(format!("{}/Users", endpoint.url))
        .bearer_auth(&endpoint.token)
        .header("content-type", "application/scim+json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let big = json!({"userName": "a@example.org", "padding": "x".repeat(70 * 1024)});
    let (status, answer) = app.scim(&endpoint, Method::POST, "/Users", Some(big)).await;
    assert_scim_error(status, &answer, StatusCode::PAYLOAD_TOO_LARGE, None);
    let (status, answer) = app
        .scim(&endpoint, Method::GET, "/Nothing/here", None)
        .await;
    assert_scim_error(status, &answer, StatusCode::NOT_FOUND, None);
    let (status, answer) = app
        .scim(
            &endpoint,
            Method::PATCH,
            &format!("/Users/{}", app.account_id_of(&app.owner_token).await),
            Some(json!({"Operations": []})),
        )
        .await;
    assert_scim_error(
        status,
        &answer,
        StatusCode::BAD_REQUEST,
        Some("invalidSyntax"),
    );
    assert_eq!(
        app.partition(&usher_core::keys::tenant_pk(app.tenant_id))
            .await
            .len(),
        before,
        "nothing written"
    );
}

#[tokio::test]
async fn past_the_tenants_rate_the_provider_is_asked_to_wait() {
    let app = spawn_app().await;
    let endpoint = app.main_scim().await;
    let settings = app
        .request(
            Method::PATCH,
            &format!("/v1/tenants/{}/scim", app.tenant_id),
            Some(&app.owner_token),
            Some(json!({"requests_per_second": 3})),
        )
        .await;
    assert_eq!(settings.status(), StatusCode::OK);
    let settings: Value = settings.json().await.unwrap();
    assert_eq!(settings["requests_per_second"], 3);
    app.clock.advance(chrono::Duration::seconds(1));
    // Three at once are let in; the fourth in that second is not, whoever races whom.
    let calls = (0..4).map(|_| app.scim(&endpoint, Method::GET, "/ServiceProviderConfig", None));
    let answers = futures::future::join_all(calls).await;
    let ok = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!(ok, 3, "{answers:?}");
    let response = app
        .http
        .get(format!("{}/Users", endpoint.url))
        .bearer_auth(&endpoint.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "1");
    let body: Value = response.json().await.unwrap();
    assert_scim_error(
        StatusCode::TOO_MANY_REQUESTS,
        &body,
        StatusCode::TOO_MANY_REQUESTS,
        None,
    );
    app.clock.advance(chrono::Duration::seconds(1));
    let (status, _) = app.scim(&endpoint, Method::GET, "/Users", None).await;
    assert_eq!(status, StatusCode::OK, "the next second lets it in");
    let other = app
        .request(
            Method::PATCH,
            &format!("/v1/tenants/{}/scim", app.tenant_id),
            Some(&app.owner_token),
            Some(json!({"requests_per_second": 0})),
        )
        .await;
    assert_problem(other, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request").await;
}

#[tokio::test]
async fn each_scim_route_makes_the_pinned_number_of_round_trips() {
    let app = spawn_app().await;
    let endpoint = app.main_scim().await;
    let user = app.scim_user(&endpoint, "pinned@example.org").await;
    let id = user["id"].as_str().unwrap().to_owned();
    let (_, group) = app
        .scim(
            &endpoint,
            Method::POST,
            "/Groups",
            Some(json!({"displayName": "Pinned"})),
        )
        .await;
    let group = group["id"].as_str().unwrap().to_owned();
    let filter = |f: &str| with_filter("/Users", f);
    // Every request: one batch read (token, settings, tenant, request count) and the count's
    // write; then what the route itself reads and writes.
    let routes: Vec<(&str, Method, String, Option<Value>, usize)> = vec![
        (
            "GET /ServiceProviderConfig",
            Method::GET,
            "/ServiceProviderConfig".into(),
            None,
            2,
        ),
        (
            "GET /Users/{id}",
            Method::GET,
            format!("/Users/{id}"),
            None,
            3,
        ),
        (
            "GET /Users?filter=userName",
            Method::GET,
            filter(r#"userName eq "pinned@example.org""#),
            None,
            4,
        ),
        (
            "GET /Users?filter=emails.value",
            Method::GET,
            filter(r#"emails.value eq "pinned@example.org""#),
            None,
            4,
        ),
        (
            "GET /Users?filter=id",
            Method::GET,
            filter(&format!(r#"id eq "{id}""#)),
            None,
            3,
        ),
        (
            "POST /Users",
            Method::POST,
            "/Users".into(),
            Some(user_body("new@example.org", "New")),
            4,
        ),
        (
            "PATCH /Users/{id} active",
            Method::PATCH,
            format!("/Users/{id}"),
            Some(scim_patch(
                json!([{"op": "replace", "path": "active", "value": false}]),
            )),
            4,
        ),
        (
            "PATCH /Users/{id} names (the account's own too)",
            Method::PATCH,
            format!("/Users/{id}"),
            Some(scim_patch(
                json!([{"op": "replace", "path": "name.givenName", "value": "Pia"}]),
            )),
            5,
        ),
        (
            "GET /Groups/{id}",
            Method::GET,
            format!("/Groups/{group}"),
            None,
            4,
        ),
        (
            "GET /Groups/{id}?excludedAttributes=members",
            Method::GET,
            format!("/Groups/{group}?excludedAttributes=members"),
            None,
            3,
        ),
        (
            "PATCH /Groups/{id} add a member",
            Method::PATCH,
            format!("/Groups/{group}?excludedAttributes=members"),
            Some(scim_patch(
                json!([{"op": "add", "path": "members", "value": [{"value": id}]}]),
            )),
            5,
        ),
        (
            "DELETE /Users/{id}",
            Method::DELETE,
            format!("/Users/{id}"),
            None,
            4,
        ),
    ];
    app.counter.take();
    let mut measured = Vec::new();
    for (name, method, path, body, expected) in routes {
        let (status, answer) = app.scim(&endpoint, method, &path, body).await;
        assert!(status.is_success(), "{name}: {status} {answer}");
        let count = app.counter.take();
        measured.push(format!("{name}: {count}"));
        assert_eq!(count, expected, "{name} made {count} round trips");
    }
    println!("{}", measured.join("\n"));
}
