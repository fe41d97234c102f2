//! Permissions flow down: a person holds what every active team they are in grants, directly or
//! under it, wherever Usher checks a permission, while they are active; the views and tokens
//! say so. Each test tries the change that should take a grant away right after making it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use usher_tests::{
    Backend, GOOD_PASSWORD, TestApp, assert_problem, sorted_strings, spawn_app, spawn_app_on,
};

fn teams_path(app: &TestApp) -> String {
    format!("/v1/tenants/{}/teams", app.tenant_id)
}

async fn join(app: &TestApp, team: &str, user: &str) {
    let response = app
        .post(
            &format!("{}/{team}/members", teams_path(app)),
            Some(&app.owner_token),
            json!({"user_id": user}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

async fn change(app: &TestApp, method: Method, path: &str, body: Option<Value>) {
    let response = app
        .request(method, path, Some(&app.owner_token), body)
        .await;
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
}

/// The user as an owner sees them: their teams and effective permissions.
async fn seen(app: &TestApp, user: &str) -> (Vec<String>, Vec<String>) {
    let body = app
        .get_json(
            &format!("/v1/tenants/{}/users/{user}", app.tenant_id),
            &app.owner_token,
        )
        .await;
    (
        sorted_strings(&body["teams"]),
        sorted_strings(&body["effective_permissions"]),
    )
}

fn sorted(items: &[&str]) -> Vec<String> {
    let mut all: Vec<String> = items.iter().map(|s| (*s).to_owned()).collect();
    all.sort();
    all
}

async fn lists_users(app: &TestApp, token: &str) -> StatusCode {
    app.get(&format!("/v1/tenants/{}/users", app.tenant_id), token)
        .await
        .status()
}

#[tokio::test]
async fn a_person_holds_what_every_team_above_them_grants_and_checks_use_it() {
    let app = spawn_app().await;
    app.settings(
        json!({"permission_catalog": [{"name": "fleet.manage", "label": "Fleet"},
                                                {"name": "reports.read", "label": "Reports"}]}),
    )
    .await;
    let fleet = app.make_team("Fleet", None, &["fleet.manage"]).await;
    let vans = app.make_team("Vans", Some(&fleet), &[]).await;
    let people = app.make_team("People", None, &["users.manage"]).await;
    let (mia, _, mia_token) = app.member(app.tenant_id, "member", &["reports.read"]).await;
    assert_eq!(lists_users(&app, &mia_token).await, StatusCode::FORBIDDEN);

    // In Vans, Mia holds what Fleet above it grants; in People, she manages users.
    join(&app, &vans, &mia).await;
    join(&app, &people, &mia).await;
    let (teams, effective) = seen(&app, &mia).await;
    assert_eq!(teams, sorted(&[&fleet, &vans, &people]));
    assert_eq!(
        effective,
        sorted(&["fleet.manage", "reports.read", "users.manage"])
    );
    let user = app
        .get_json(
            &format!("/v1/tenants/{}/users/{mia}", app.tenant_id),
            &app.owner_token,
        )
        .await;
    assert_eq!(
        user["permissions"],
        json!(["reports.read"]),
        "her own flags"
    );
    assert_eq!(lists_users(&app, &mia_token).await, StatusCode::OK);
    // The list shows the same, and so does her own /v1/me, and her access token.
    let list = app
        .get_json(
            &format!("/v1/tenants/{}/users?limit=100", app.tenant_id),
            &app.owner_token,
        )
        .await;
    let listed = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == mia.as_str())
        .unwrap();
    assert_eq!(sorted_strings(&listed["teams"]), teams);
    let me = app.get_json("/v1/me", &mia_token).await;
    let here = &me["memberships"][0];
    assert_eq!(sorted_strings(&here["teams"]), teams);
    assert_eq!(sorted_strings(&here["effective_permissions"]), effective);
    let jwt = app.access_token(&mia_token, app.tenant_id).await;
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwt.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(sorted_strings(&claims["permissions"]), effective);
    assert_eq!(sorted_strings(&claims["teams"]), teams);

    // Fleet stops granting: at once.
    change(
        &app,
        Method::PATCH,
        &format!("{}/{fleet}", teams_path(&app)),
        Some(json!({"permissions": []})),
    )
    .await;
    assert_eq!(
        seen(&app, &mia).await.1,
        sorted(&["reports.read", "users.manage"])
    );
    change(
        &app,
        Method::PATCH,
        &format!("{}/{fleet}", teams_path(&app)),
        Some(json!({"permissions": ["fleet.manage"]})),
    )
    .await;
    assert!(
        seen(&app, &mia)
            .await
            .1
            .contains(&"fleet.manage".to_owned())
    );
    // Vans moves out from under Fleet: Fleet's grant and place go with it.
    change(
        &app,
        Method::PATCH,
        &format!("{}/{vans}", teams_path(&app)),
        Some(json!({"parent_id": null})),
    )
    .await;
    let (teams, effective) = seen(&app, &mia).await;
    assert_eq!(teams, sorted(&[&vans, &people]));
    assert!(!effective.contains(&"fleet.manage".to_owned()));
    // People archived: it grants nothing, and Mia may no longer list users.
    change(
        &app,
        Method::POST,
        &format!("{}/{people}/archive", teams_path(&app)),
        Some(json!({})),
    )
    .await;
    assert_eq!(lists_users(&app, &mia_token).await, StatusCode::FORBIDDEN);
    assert_eq!(seen(&app, &mia).await.0, sorted(&[&vans]));
    change(
        &app,
        Method::POST,
        &format!("{}/{people}/restore", teams_path(&app)),
        None,
    )
    .await;
    assert_eq!(lists_users(&app, &mia_token).await, StatusCode::OK);
    // Out of People: no longer.
    change(
        &app,
        Method::DELETE,
        &format!("{}/{people}/members/{mia}", teams_path(&app)),
        None,
    )
    .await;
    assert_eq!(lists_users(&app, &mia_token).await, StatusCode::FORBIDDEN);
    assert_eq!(seen(&app, &mia).await.1, sorted(&["reports.read"]));
}

#[tokio::test]
async fn an_inactive_person_keeps_their_teams_and_they_grant_nothing() {
    let app = spawn_app().await;
    let people = app.make_team("People", None, &["users.manage"]).await;
    let (mia, _, _) = app.member(app.tenant_id, "member", &[]).await;
    join(&app, &people, &mia).await;
    let users = format!("/v1/tenants/{}/users/{mia}", app.tenant_id);
    change(&app, Method::POST, &format!("{users}/archive"), None).await;
    let (teams, effective) = seen(&app, &mia).await;
    assert_eq!(teams, sorted(&[&people]), "kept for the record");
    assert!(effective.is_empty(), "{effective:?}");
    change(&app, Method::POST, &format!("{users}/restore"), None).await;
    assert_eq!(seen(&app, &mia).await.1, sorted(&["users.manage"]));
    change(
        &app,
        Method::POST,
        &format!("{users}/access"),
        Some(json!({"enabled": false})),
    )
    .await;
    assert!(seen(&app, &mia).await.1.is_empty());
}

#[tokio::test]
async fn a_key_holds_what_its_makers_teams_grant_only_while_they_do() {
    let app = spawn_app().await;
    let people = app.make_team("People", None, &["users.manage"]).await;
    let (maker, _, maker_token) = app.member(app.tenant_id, "member", &[]).await;
    let keys = format!("/v1/tenants/{}/api-keys", app.tenant_id);
    // Without the team, the maker may not make a key that manages users.
    let response = app
        .post(
            &keys,
            Some(&maker_token),
            json!({"name": "Sync", "permissions": ["users.manage"]}),
        )
        .await;
    assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    join(&app, &people, &maker).await;
    let response = app
        .post(
            &keys,
            Some(&maker_token),
            json!({"name": "Sync", "permissions": ["users.manage"]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    let key = body["secret"].as_str().unwrap().to_owned();
    assert_eq!(lists_users(&app, &key).await, StatusCode::OK);
    change(
        &app,
        Method::DELETE,
        &format!("{}/{people}/members/{maker}", teams_path(&app)),
        None,
    )
    .await;
    assert_eq!(lists_users(&app, &key).await, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn another_tenants_teams_grant_nothing_here_and_a_held_permission_stays_in_the_catalogue() {
    let app = spawn_app().await;
    app.settings(json!({"permission_catalog": [{"name": "fleet.manage", "label": "Fleet"}]}))
        .await;
    let (other, _, other_owner) = app.new_tenant("Other").await;
    let (mia, email, _) = app.member(app.tenant_id, "member", &[]).await;
    // Mia is also a member of Other, where a team lets her manage users.
    let password = app
        .join_through_invitation(other, &other_owner, &email, GOOD_PASSWORD)
        .await;
    let mia_token = app.sign_in_token(&email, &password).await;
    let response = app
        .post(
            &format!("/v1/tenants/{other}/teams"),
            Some(&other_owner),
            json!({"name": "People", "permissions": ["users.manage"]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let other_team: Value = response.json().await.unwrap();
    let response = app
        .post(
            &format!(
                "/v1/tenants/{other}/teams/{}/members",
                other_team["id"].as_str().unwrap()
            ),
            Some(&other_owner),
            json!({"user_id": mia}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        app.get(&format!("/v1/tenants/{other}/users"), &mia_token)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(lists_users(&app, &mia_token).await, StatusCode::FORBIDDEN);
    assert!(seen(&app, &mia).await.0.is_empty());

    // A team holds fleet.manage: it stays in the catalogue until the team lets it go.
    let fleet = app.make_team("Fleet", None, &["fleet.manage"]).await;
    let response = app
        .request(
            Method::PATCH,
            &format!("/v1/tenants/{}/settings", app.tenant_id),
            Some(&app.owner_token),
            Some(json!({"permission_catalog": []})),
        )
        .await;
    let problem = assert_problem(response, StatusCode::CONFLICT, "permission_in_use").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("1 team(s)"),
        "{problem}"
    );
    change(
        &app,
        Method::PATCH,
        &format!("{}/{fleet}", teams_path(&app)),
        Some(json!({"permissions": []})),
    )
    .await;
    app.settings(json!({"permission_catalog": []})).await;
}

async fn concurrent_joins_leave_every_team_in_the_grants(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let (mia, _, _) = app.member(app.tenant_id, "member", &[]).await;
    let mut teams = Vec::new();
    for n in 0..6 {
        teams.push(app.make_team(&format!("Team {n}"), None, &[]).await);
    }
    // Her grants are worked out before the joins, so each join changes a stored answer.
    assert!(seen(&app, &mia).await.0.is_empty());
    let app_ref = &app;
    let mia_ref = mia.as_str();
    let joins = futures::future::join_all(teams.iter().map(|team| async move {
        let response = app_ref
            .post(
                &format!("{}/{team}/members", teams_path(app_ref)),
                Some(&app_ref.owner_token),
                json!({"user_id": mia_ref}),
            )
            .await;
        (team.clone(), response.status())
    }));
    // Readers work her grants out while the joins commit: none may store an answer that hides
    // a join.
    let reads = futures::future::join_all((0..12).map(|_| seen(app_ref, mia_ref)));
    let (joined, _) = tokio::join!(joins, reads);
    let mut expected: Vec<String> = joined
        .iter()
        .filter(|(_, status)| *status == StatusCode::CREATED)
        .map(|(team, _)| team.clone())
        .collect();
    expected.sort();
    assert!(!expected.is_empty());
    // Readers racing the joins, then one after: every join that answered 201 is there.
    assert_eq!(seen(&app, &mia).await.0, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_joins_of_one_person_leave_every_team_in_their_grants_on_the_embedded_table() {
    concurrent_joins_leave_every_team_in_the_grants(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_joins_of_one_person_leave_every_team_in_their_grants_on_dynamodb() {
    concurrent_joins_leave_every_team_in_the_grants(Backend::Dynamo).await;
}

#[tokio::test]
async fn nobody_gives_through_a_team_a_permission_they_lack() {
    let app = spawn_app().await;
    app.settings(json!({"permission_catalog": [{"name": "fleet.manage", "label": "Fleet"}]}))
        .await;
    let fleet = app.make_team("Fleet", None, &["fleet.manage"]).await;
    let plain = app.make_team("Plain", None, &[]).await;
    let old = app.make_team("Old", None, &["fleet.manage"]).await;
    change(
        &app,
        Method::POST,
        &format!("{}/{old}/archive", teams_path(&app)),
        Some(json!({})),
    )
    .await;
    // Uma manages users, and does not hold fleet.manage.
    let (uma, _, uma_token) = app.member(app.tenant_id, "member", &["users.manage"]).await;
    let (tom, _, _) = app.member(app.tenant_id, "member", &[]).await;
    for user in [&uma, &tom] {
        let response = app
            .post(
                &format!("{}/{fleet}/members", teams_path(&app)),
                Some(&uma_token),
                json!({"user_id": user}),
            )
            .await;
        assert_problem(response, StatusCode::FORBIDDEN, "permission_not_allowed").await;
    }
    // Into Plain, which grants nothing, she adds Tom; but she moves Plain under Fleet no more
    // than she restores Old, or invites someone into Fleet.
    let response = app
        .post(
            &format!("{}/{plain}/members", teams_path(&app)),
            Some(&uma_token),
            json!({"user_id": tom}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let response = app
        .request(
            Method::PATCH,
            &format!("{}/{plain}", teams_path(&app)),
            Some(&uma_token),
            Some(json!({"parent_id": fleet})),
        )
        .await;
    assert_problem(response, StatusCode::FORBIDDEN, "permission_not_allowed").await;
    let response = app
        .post(
            &format!("{}/{old}/restore", teams_path(&app)),
            Some(&uma_token),
            json!({}),
        )
        .await;
    assert_problem(response, StatusCode::FORBIDDEN, "permission_not_allowed").await;
    let response = app
        .post(
            &format!("/v1/tenants/{}/invitations", app.tenant_id),
            Some(&uma_token),
            json!({"email": "new@example.org", "team_ids": [fleet]}),
        )
        .await;
    assert_problem(response, StatusCode::FORBIDDEN, "permission_not_allowed").await;
    assert!(seen(&app, &tom).await.1.is_empty(), "Tom holds nothing new");
    assert_eq!(seen(&app, &uma).await.1, sorted(&["users.manage"]));
}
