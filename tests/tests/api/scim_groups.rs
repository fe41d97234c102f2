//! SCIM Groups: teams the identity provider manages, read-only elsewhere until detached; and
//! the conformance tools, run against the endpoint on both tables.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use usher_tests::{
    Backend, assert_problem, run_scim_conformance, spawn_app, spawn_app_on, with_filter,
};

fn group(name: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name})
}

#[tokio::test]
async fn a_group_is_a_managed_team_whose_people_change_through_scim_only() {
    let app = spawn_app().await;
    let endpoint = app.main_scim().await;
    let user = app.scim_user(&endpoint, "ada@example.org").await;
    let user_id = user["id"].as_str().unwrap();
    let mut body = group("Engineering");
    body["externalId"] = json!("grp-1");
    body["members"] = json!([{"value": user_id}]);
    let (status, created) = app
        .scim(&endpoint, Method::POST, "/Groups", Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["members"][0]["value"], user_id);
    assert_eq!(
        created["meta"]["location"],
        format!("{}/Groups/{id}", endpoint.url)
    );
    // The team, marked, with the person in it.
    let team: Value = app
        .get_json(
            &format!("/v1/tenants/{}/teams/{id}", app.tenant_id),
            &app.owner_token,
        )
        .await;
    assert_eq!(team["name"], "Engineering");
    assert_eq!(team["managed_by"], "scim");
    assert_eq!(team["parent_id"], Value::Null);
    // Read-only elsewhere, for owners too, until detached.
    let (member_id, _, _) = app.member(app.tenant_id, "member", &[]).await;
    let add = app
        .post(
            &format!("/v1/tenants/{}/teams/{id}/members", app.tenant_id),
            Some(&app.owner_token),
            json!({"user_id": member_id}),
        )
        .await;
    assert_problem(add, StatusCode::CONFLICT, "team_managed_by_scim").await;
    let remove = app
        .request(
            Method::DELETE,
            &format!("/v1/tenants/{}/teams/{id}/members/{user_id}", app.tenant_id),
            Some(&app.owner_token),
            None,
        )
        .await;
    assert_problem(remove, StatusCode::CONFLICT, "team_managed_by_scim").await;
    // Unique names and externalIds.
    let (status, body) = app
        .scim(
            &endpoint,
            Method::POST,
            "/Groups",
            Some(group("ENGINEERING")),
        )
        .await;
    assert_eq!(
        (status, body["scimType"].clone()),
        (StatusCode::CONFLICT, json!("uniqueness"))
    );
    let mut twin = group("Other");
    twin["externalId"] = json!("grp-1");
    let (status, body) = app
        .scim(&endpoint, Method::POST, "/Groups", Some(twin))
        .await;
    assert_eq!(
        (status, body["scimType"].clone()),
        (StatusCode::CONFLICT, json!("uniqueness"))
    );
    // Members excluded: no membership is read.
    app.counter.take();
    let (status, read) = app
        .scim(
            &endpoint,
            Method::GET,
            &format!("/Groups/{id}?excludedAttributes=members"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(read.get("members").is_none());
    assert_eq!(
        app.counter.take(),
        3,
        "the caller, its count, then the team"
    );
    // Detached by an owner: an ordinary team again, gone from SCIM.
    let detached = app
        .request(
            Method::PATCH,
            &format!("/v1/tenants/{}/teams/{id}", app.tenant_id),
            Some(&app.owner_token),
            Some(json!({"managed_by": null})),
        )
        .await;
    assert_eq!(detached.status(), StatusCode::OK);
    let detached: Value = detached.json().await.unwrap();
    assert!(detached.get("managed_by").is_none());
    let (status, _) = app
        .scim(&endpoint, Method::GET, &format!("/Groups/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let add = app
        .post(
            &format!("/v1/tenants/{}/teams/{id}/members", app.tenant_id),
            Some(&app.owner_token),
            json!({"user_id": member_id}),
        )
        .await;
    assert_eq!(add.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_deleted_group_takes_its_places_and_leaves_its_people() {
    let app = spawn_app().await;
    let endpoint = app.main_scim().await;
    let user = app.scim_user(&endpoint, "ben@example.org").await;
    let user_id = user["id"].as_str().unwrap();
    let mut body = group("Sales");
    body["members"] = json!([{"value": user_id}]);
    let (_, created) = app
        .scim(&endpoint, Method::POST, "/Groups", Some(body))
        .await;
    let id = created["id"].as_str().unwrap();
    let (status, answer) = app
        .scim(&endpoint, Method::DELETE, &format!("/Groups/{id}"), None)
        .await;
    assert_eq!((status, answer), (StatusCode::NO_CONTENT, Value::Null));
    let (status, _) = app
        .scim(&endpoint, Method::GET, &format!("/Groups/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let team = app
        .get(
            &format!("/v1/tenants/{}/teams/{id}", app.tenant_id),
            &app.owner_token,
        )
        .await;
    assert_eq!(team.status(), StatusCode::NOT_FOUND);
    let teams: Value = app
        .get_json(
            &format!("/v1/tenants/{}/users/{user_id}/teams", app.tenant_id),
            &app.owner_token,
        )
        .await;
    assert_eq!(teams["items"], json!([]), "no place left behind");
    let (status, read) = app
        .scim(&endpoint, Method::GET, &format!("/Users/{user_id}"), None)
        .await;
    assert_eq!(
        (status, read["active"].clone()),
        (StatusCode::OK, json!(true))
    );
    // The name is free again.
    let (status, _) = app
        .scim(&endpoint, Method::POST, "/Groups", Some(group("Sales")))
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn another_tenants_user_never_joins_a_group() {
    let app = spawn_app().await;
    let endpoint = app.main_scim().await;
    let (other, _, other_owner) = app.new_tenant("Chat Suite").await;
    let other_endpoint = app.scim_on(other, &other_owner).await;
    let stranger = app.scim_user(&other_endpoint, "stranger@example.org").await;
    let mut body = group("Insiders");
    body["members"] = json!([{"value": stranger["id"]}]);
    let (status, created) = app
        .scim(&endpoint, Method::POST, "/Groups", Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(created["members"], json!([]), "left out");
}

#[tokio::test]
async fn groups_go_under_the_team_the_tenant_chooses() {
    let app = spawn_app().await;
    let endpoint = app.main_scim().await;
    let place = app.make_team("Directory", None, &[]).await;
    let scim_settings = format!("/v1/tenants/{}/scim", app.tenant_id);
    let set = |parent: Value| {
        app.request(
            Method::PATCH,
            &scim_settings,
            Some(&app.owner_token),
            Some(json!({"groups_parent": parent})),
        )
    };
    assert_problem(
        set(json!("01J00000000000000000000000")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    let response = set(json!(place)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let settings: Value = response.json().await.unwrap();
    assert_eq!(settings["groups_parent"], json!(place));
    let (status, created) = app
        .scim(&endpoint, Method::POST, "/Groups", Some(group("Finance")))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    let team: Value = app
        .get_json(
            &format!("/v1/tenants/{}/teams/{id}", app.tenant_id),
            &app.owner_token,
        )
        .await;
    assert_eq!(team["parent_id"], json!(place));
    assert_eq!(team["depth"], 2);
    // Found by name where it is; a root team of that name is another team.
    app.make_team("Finance", None, &[]).await;
    let (_, found) = app
        .scim(
            &endpoint,
            Method::GET,
            &with_filter("/Groups", r#"displayName eq "Finance""#),
            None,
        )
        .await;
    assert_eq!(found["totalResults"], 1);
    assert_eq!(found["Resources"][0]["id"], id);
    // The place cannot move under the provider's groups.
    assert_problem(
        set(Value::Null).await,
        StatusCode::CONFLICT,
        "scim_groups_exist",
    )
    .await;
    // Deleting the group frees its place under the parent.
    let (status, _) = app
        .scim(&endpoint, Method::DELETE, &format!("/Groups/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let parent: Value = app
        .get_json(
            &format!("/v1/tenants/{}/teams/{place}", app.tenant_id),
            &app.owner_token,
        )
        .await;
    assert_eq!(parent["subteams"], 0);
    assert_eq!(set(Value::Null).await.status(), StatusCode::OK);
}

/// scim2-tester and scim-sanity, the PyPI conformance tools, against the endpoint over `backend`:
/// not one failure.
async fn conformance(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let endpoint = app.main_scim().await;
    // Time passes as the tools run, a second of it every tenth of a second: the tenant's rate
    // is counted per second.
    let clock = app.clock.clone();
    let ticker = tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            clock.advance(chrono::Duration::seconds(1));
        }
    });
    let verdict = run_scim_conformance(&endpoint).await;
    ticker.abort();
    assert!(
        verdict.scim2_tester.failed.is_empty(),
        "scim2-tester failures: {:#?}",
        verdict.scim2_tester.failed
    );
    assert!(verdict.scim2_tester.passed >= 80, "{verdict:?}");
    assert!(
        verdict.scim_sanity.failed.is_empty() && verdict.scim_sanity.exit_code == 0,
        "scim-sanity failures: {verdict:?}"
    );
    assert!(
        verdict.scim_sanity.summary.contains(" 0 failed")
            || !verdict.scim_sanity.summary.contains("failed"),
        "{verdict:?}"
    );
    println!(
        "{backend:?}: scim2-tester {} passed, {} skipped; scim-sanity {}",
        verdict.scim2_tester.passed, verdict.scim2_tester.skipped, verdict.scim_sanity.summary
    );
}

#[tokio::test]
async fn the_conformance_tools_pass_on_the_embedded_table() {
    conformance(Backend::Embedded).await;
}

#[tokio::test]
async fn the_conformance_tools_pass_on_dynamodb() {
    conformance(Backend::Dynamo).await;
}
