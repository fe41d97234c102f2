//! Newcomers join teams as they arrive: the tenant's default teams, however they arrive
//! (created, invited, imported; inbound mail in `tests/inbound.rs`), and the teams their
//! invitation names. Each test also tries what should be refused.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use usher_tests::{GOOD_PASSWORD, TestApp, assert_problem, sorted_strings, spawn_app};

async fn patch_settings(app: &TestApp, body: Value) -> reqwest::Response {
    app.request(
        Method::PATCH,
        &format!("/v1/tenants/{}/settings", app.tenant_id),
        Some(&app.owner_token),
        Some(body),
    )
    .await
}

fn ids(items: &[&String]) -> Vec<String> {
    let mut all: Vec<String> = items.iter().map(|s| (*s).clone()).collect();
    all.sort();
    all
}

#[tokio::test]
async fn default_teams_are_active_teams_of_this_tenant_only() {
    let app = spawn_app().await;
    let desk = app.make_team("Desk", None, &[]).await;
    let old = app.make_team("Old", None, &[]).await;
    let response = app
        .post(
            &format!("/v1/tenants/{}/teams/{old}/archive", app.tenant_id),
            Some(&app.owner_token),
            json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (other, _, other_owner) = app.new_tenant("Other").await;
    let theirs = &app.make_team_in(other, &other_owner, "Theirs").await;
    for (bad, code) in [
        (json!([theirs]), "unknown_team"),
        (json!([old]), "unknown_team"),
        (json!([ulid::Ulid::new().to_string()]), "unknown_team"),
        (json!(["not-an-id"]), "invalid_request"),
    ] {
        let problem = assert_problem(
            patch_settings(&app, json!({"default_teams": bad})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
        )
        .await;
        if code == "unknown_team" {
            assert_eq!(problem["field"], "default_teams");
        }
    }
    let many: Vec<String> = (0..11).map(|_| desk.clone()).collect();
    // Eleven times the same team is one team.
    assert_eq!(
        patch_settings(&app, json!({"default_teams": many}))
            .await
            .status(),
        StatusCode::OK
    );
    let tenant = app
        .get_json(&format!("/v1/tenants/{}", app.tenant_id), &app.owner_token)
        .await;
    assert_eq!(tenant["settings"]["default_teams"], json!([desk]));
    // Nothing of the other tenant was touched: its team has no new people.
    let members = app
        .get_json(
            &format!("/v1/tenants/{other}/teams/{theirs}/members"),
            &other_owner,
        )
        .await;
    assert!(members["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_created_or_imported_newcomer_joins_the_default_teams_at_once() {
    let app = spawn_app().await;
    let support = app.make_team("Support", None, &["users.manage"]).await;
    let tier1 = app.make_team("Tier 1", Some(&support), &[]).await;
    let archived_later = app.make_team("Night shift", None, &[]).await;
    app.settings(json!({"default_teams": [tier1, archived_later]}))
        .await;
    app.post(
        &format!(
            "/v1/tenants/{}/teams/{archived_later}/archive",
            app.tenant_id
        ),
        Some(&app.owner_token),
        json!({}),
    )
    .await;
    let response = app
        .create_user(
            app.tenant_id,
            &app.owner_token,
            json!({"email": "ana@example.org", "first_name": "Ana", "last_name": "New",
                   "role": "member", "password": {"mode": "set", "value": GOOD_PASSWORD}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    // In Tier 1, under Support; the archived default is skipped.
    assert_eq!(
        sorted_strings(&created["user"]["teams"]),
        ids(&[&support, &tier1])
    );
    assert_eq!(
        created["user"]["effective_permissions"],
        json!(["users.manage"])
    );
    let ana = created["user"]["id"].as_str().unwrap().to_owned();
    let token = app.sign_in_token("ana@example.org", GOOD_PASSWORD).await;
    assert_eq!(
        app.get(&format!("/v1/tenants/{}/users", app.tenant_id), &token)
            .await
            .status(),
        StatusCode::OK,
        "Support lets her manage users"
    );
    let history = app
        .log_entries(
            &format!("/v1/tenants/{}/users/{ana}/events", app.tenant_id),
            &app.owner_token,
        )
        .await;
    let actions = usher_tests::actions(&history);
    assert!(actions.contains(&"team.member_added"), "{actions:?}");

    let import = app
        .import_all("email,first_name,last_name\nbo@example.org,Bo,Imported\n")
        .await;
    assert_eq!(import["status"], "done", "{import}");
    let bo = app.user_by_email("bo@example.org").await.unwrap();
    assert_eq!(sorted_strings(&bo["teams"]), ids(&[&support, &tier1]));
}

#[tokio::test]
async fn an_invitation_names_teams_its_sender_may_fill_and_accepting_joins_them() {
    let app = spawn_app().await;
    let desk = app.make_team("Desk", None, &[]).await;
    let vip = app.make_team("VIP", None, &[]).await;
    let invitations = format!("/v1/tenants/{}/invitations", app.tenant_id);
    // Another tenant's team, or one that is not a team: nothing is sent.
    let (other, _, other_owner) = app.new_tenant("Other").await;
    let theirs = app.make_team_in(other, &other_owner, "Theirs").await;
    let problem = assert_problem(
        app.post(
            &invitations,
            Some(&app.owner_token),
            json!({"email": "x@example.org", "team_ids": [theirs]}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_team",
    )
    .await;
    assert_eq!(problem["field"], "team_ids");
    assert!(app.mails_to("x@example.org").await.is_empty());
    // A member who may invite names no team they do not maintain.
    app.settings(json!({"members_can_invite": true})).await;
    let (pia, _, pia_token) = app.member(app.tenant_id, "member", &[]).await;
    assert_problem(
        app.post(
            &invitations,
            Some(&pia_token),
            json!({"email": "y@example.org", "team_ids": [desk]}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let response = app
        .post(
            &format!("/v1/tenants/{}/teams/{desk}/members", app.tenant_id),
            Some(&app.owner_token),
            json!({"user_id": pia, "maintainer": true}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let response = app
        .post(
            &invitations,
            Some(&pia_token),
            json!({"email": "y@example.org", "team_ids": [desk]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let sent: Value = response.json().await.unwrap();
    assert_eq!(sent["team_ids"], json!([desk]));
    let link = app.invitation_token_for("y@example.org").await;
    assert_eq!(app.accept_as_new(&link).await.status(), StatusCode::OK);
    let yan = app.user_by_email("y@example.org").await.unwrap();
    assert_eq!(sorted_strings(&yan["teams"]), ids(&[&desk]));

    // The owner's invitation names VIP; VIP is archived before it is accepted: skipped.
    let response = app
        .post(
            &invitations,
            Some(&app.owner_token),
            json!({"email": "z@example.org", "team_ids": [vip, desk]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    app.post(
        &format!("/v1/tenants/{}/teams/{vip}/archive", app.tenant_id),
        Some(&app.owner_token),
        json!({}),
    )
    .await;
    let link = app.invitation_token_for("z@example.org").await;
    assert_eq!(app.accept_as_new(&link).await.status(), StatusCode::OK);
    let zoe = app.user_by_email("z@example.org").await.unwrap();
    assert_eq!(sorted_strings(&zoe["teams"]), ids(&[&desk]));
}
