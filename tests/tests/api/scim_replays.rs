//! Replays of what the two identity providers publish for testing an endpoint: Okta's SCIM 2.0
//! spec test (its steps and their assertions, each answer within 600 ms) and Microsoft Entra
//! ID's request/response samples, in both of its modes (with and without the
//! `aadOptscim062020` flag, which changes the casing of `op`, string booleans and how members
//! are removed).

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use usher_tests::{ScimEndpoint, TestApp, scim_patch, spawn_app, with_filter};

const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// One step of Okta's spec test: the request, timed, with the checks every step makes (the
/// answer within 600 ms, SCIM's media type).
async fn okta_step(
    app: &TestApp,
    endpoint: &ScimEndpoint,
    name: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let started = Instant::now();
    let (status, content_type, body) = app
        .scim_with(endpoint, &endpoint.token, method, path, body)
        .await;
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(600),
        "{name}: answered in {took:?}"
    );
    assert!(
        content_type
            .as_deref()
            .is_some_and(|t| t.starts_with("application/scim+json")),
        "{name}: {content_type:?}"
    );
    (status, body)
}

#[tokio::test]
async fn okta_spec_test_steps_pass() {
    let app = spawn_app().await;
    let endpoint = app.main_scim().await;
    app.scim_user(&endpoint, "seed.user@okta.example").await;

    // Required Test: Test Users endpoint.
    let (status, page) = okta_step(
        &app,
        &endpoint,
        "Users endpoint",
        Method::GET,
        "/Users?count=1&startIndex=1",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["schemas"], json!([LIST_SCHEMA]));
    for field in ["totalResults", "itemsPerPage", "startIndex"] {
        assert!(page[field].is_u64(), "{field} is a number: {page}");
    }
    let first = &page["Resources"][0];
    for field in ["id", "name", "userName", "emails"] {
        assert!(
            !first[field].is_null(),
            "the first User has {field}: {first}"
        );
    }
    let first_id = first["id"].as_str().unwrap().to_owned();

    // Required Test: Get Users/{{id}}.
    let (status, user) = okta_step(
        &app,
        &endpoint,
        "Get Users/{id}",
        Method::GET,
        &format!("/Users/{first_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(user["id"], first_id.as_str());

    // Required Test: Test invalid User by username; and: Make sure random user doesn't exist.
    for (name, user_name) in [
        ("invalid username", "invalid-username-9f3b"),
        ("random user", "random.user.5d1c@okta.example"),
    ] {
        let path = with_filter("/Users", &format!(r#"userName eq "{user_name}""#));
        let (status, page) = okta_step(&app, &endpoint, name, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert_eq!(page["totalResults"], 0, "{name}");
        assert_eq!(page["schemas"], json!([LIST_SCHEMA]));
    }

    // Required Test: Create Okta user with realistic values.
    let okta_user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "Test.User.2b7e@okta.example",
        "name": {"givenName": "Test", "familyName": "User"},
        "emails": [{"primary": true, "value": "Test.User.2b7e@okta.example", "type": "work"}],
        "displayName": "Test User",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": true,
    });
    let (status, created) = okta_step(
        &app,
        &endpoint,
        "Create Okta user",
        Method::POST,
        "/Users",
        Some(okta_user.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["active"], true);
    assert_eq!(created["userName"], "Test.User.2b7e@okta.example");
    assert_eq!(created["name"]["familyName"], "User");
    assert_eq!(created["name"]["givenName"], "Test");
    let created_id = created["id"].as_str().unwrap().to_owned();

    // Required Test: Verify Okta user was created.
    let path = with_filter("/Users", r#"userName eq "Test.User.2b7e@okta.example""#);
    let (status, page) =
        okta_step(&app, &endpoint, "Verify created", Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["totalResults"], 1);
    assert_eq!(
        page["Resources"][0]["userName"],
        "Test.User.2b7e@okta.example"
    );
    assert_eq!(page["Resources"][0]["id"], created_id.as_str());

    // Required Test: Expect failure when recreating user with same values.
    let (status, error) = okta_step(
        &app,
        &endpoint,
        "Recreate",
        Method::POST,
        "/Users",
        Some(okta_user),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error["schemas"], json!([ERROR_SCHEMA]));

    // Required Test: Username Case Sensitivity Check.
    let path = with_filter("/Users", r#"userName eq "TEST.USER.2B7E@OKTA.EXAMPLE""#);
    let (status, page) = okta_step(
        &app,
        &endpoint,
        "Case sensitivity",
        Method::GET,
        &path,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["totalResults"], 1);

    // Optional Test: Verify Groups endpoint.
    let (status, groups) = okta_step(
        &app,
        &endpoint,
        "Groups endpoint",
        Method::GET,
        "/Groups",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(groups["Resources"].is_array());

    // Required Test: Check status 404 for random user id.
    let (status, error) = okta_step(
        &app,
        &endpoint,
        "Random id",
        Method::GET,
        "/Users/010d7e09-4d89-4fe3-b0d0-9c0b0ab3a1fa",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error["schemas"], json!([ERROR_SCHEMA]));
    assert_eq!(error["status"], "404");
    assert!(error["detail"].is_string());

    // Deactivation and reactivation, as Okta sends them.
    for active in [false, true] {
        let body = scim_patch(json!([{"op": "replace", "value": {"active": active}}]));
        let (status, user) = okta_step(
            &app,
            &endpoint,
            "Deactivate",
            Method::PATCH,
            &format!("/Users/{created_id}"),
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(user["active"], active);
    }
}

/// The PATCH operations Entra ID sends for one change, in one of its two modes.
struct Entra {
    /// `aadOptscim062020`: the RFC's lowercase `op`, JSON booleans, and members removed by a
    /// value array; without it, title-case `op`, string booleans, path-less attribute maps and
    /// members removed by a filter.
    flag: bool,
}

impl Entra {
    fn op(&self, op: &str) -> String {
        if self.flag {
            op.to_lowercase()
        } else {
            let mut chars = op.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
                .unwrap_or_default()
        }
    }

    fn boolean(&self, value: bool) -> Value {
        if self.flag {
            json!(value)
        } else {
            json!(if value { "True" } else { "False" })
        }
    }

    fn patch(&self, operations: Vec<Value>) -> Value {
        scim_patch(Value::Array(operations))
    }

    /// Update User [Single-valued properties]: the display name, and active.
    fn update_user(&self, display: &str, active: bool) -> Value {
        if self.flag {
            self.patch(vec![
                json!({"op": self.op("replace"), "path": "displayName", "value": display}),
                json!({"op": self.op("replace"), "path": "active", "value": self.boolean(active)}),
            ])
        } else {
            self.patch(vec![json!({"op": self.op("replace"), "value": {"displayName": display, "active": self.boolean(active)}})])
        }
    }

    fn add_member(&self, id: &str) -> Value {
        self.patch(vec![json!({"op": self.op("add"), "path": "members", "value": [{"$ref": null, "value": id}]})])
    }

    fn remove_member(&self, id: &str) -> Value {
        if self.flag {
            self.patch(vec![json!({"op": self.op("remove"), "path": "members", "value": [{"$ref": null, "value": id}]})])
        } else {
            self.patch(vec![
                json!({"op": self.op("remove"), "path": format!("members[value eq \"{id}\"]")}),
            ])
        }
    }
}

async fn entra_samples(flag: bool) {
    let app = spawn_app().await;
    let endpoint = app.main_scim().await;
    let entra = Entra { flag };
    let mode = if flag { "flag on" } else { "flag off" };

    // Create User.
    let (status, user) = app
        .scim(
            &endpoint,
            Method::POST,
            "/Users",
            Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
                "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
                "active": entra.boolean(true),
                "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.example"}],
                "meta": {"resourceType": "User"},
                "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
                "roles": [],
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{mode}: {user}");
    assert_eq!(
        user["userName"],
        "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"
    );
    assert_eq!(user["externalId"], "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef");
    assert_eq!(user["active"], true);
    assert_eq!(user["meta"]["resourceType"], "User");
    let id = user["id"].as_str().unwrap().to_owned();

    // Get User; Get User by query; Get User by query - Zero results.
    let (status, read) = app
        .scim(&endpoint, Method::GET, &format!("/Users/{id}"), None)
        .await;
    assert_eq!((status, read["id"].clone()), (StatusCode::OK, json!(id)));
    let query = with_filter(
        "/Users",
        r#"userName eq "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1""#,
    );
    let (_, page) = app.scim(&endpoint, Method::GET, &query, None).await;
    assert_eq!(
        (
            page["totalResults"].clone(),
            page["Resources"][0]["id"].clone()
        ),
        (json!(1), json!(id))
    );
    let query = with_filter("/Users", r#"userName eq "non-existent user""#);
    let (status, page) = app.scim(&endpoint, Method::GET, &query, None).await;
    assert_eq!(
        (
            status,
            page["totalResults"].clone(),
            page["Resources"].clone()
        ),
        (StatusCode::OK, json!(0), json!([]))
    );

    // Update User [Multi-valued properties].
    let body = entra.patch(vec![
        json!({"op": entra.op("replace"), "path": "emails[type eq \"work\"].value", "value": "updatedEmail@testuser.example"}),
        json!({"op": entra.op("replace"), "path": "name.familyName", "value": "updatedFamilyName"}),
    ]);
    let (status, user) = app
        .scim(
            &endpoint,
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{mode}: {user}");
    assert_eq!(user["emails"][0]["value"], "updatedEmail@testuser.example");
    assert_eq!(user["name"]["familyName"], "updatedFamilyName");

    // Update User [Single-valued properties], then Disable User.
    let (status, user) = app
        .scim(
            &endpoint,
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(entra.update_user("Updated Name", true)),
        )
        .await;
    assert_eq!(
        (status, user["displayName"].clone()),
        (StatusCode::OK, json!("Updated Name")),
        "{mode}"
    );
    let (status, user) = app
        .scim(
            &endpoint,
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(entra.update_user("Updated Name", false)),
        )
        .await;
    assert_eq!(
        (status, user["active"].clone()),
        (StatusCode::OK, json!(false)),
        "{mode}"
    );

    // Create Group; Get Group; Get Group by displayName.
    let (status, group) = app
        .scim(
            &endpoint,
            Method::POST,
            "/Groups",
            Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
                "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
                "displayName": "displayName",
                "meta": {"resourceType": "Group"},
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{mode}: {group}");
    assert_eq!(group["meta"]["resourceType"], "Group");
    let group_id = group["id"].as_str().unwrap().to_owned();
    let (status, read) = app
        .scim(
            &endpoint,
            Method::GET,
            &format!("/Groups/{group_id}?excludedAttributes=members"),
            None,
        )
        .await;
    assert_eq!(
        (status, read["displayName"].clone()),
        (StatusCode::OK, json!("displayName"))
    );
    let query = with_filter(
        "/Groups?excludedAttributes=members",
        r#"displayName eq "displayName""#,
    );
    let (_, page) = app.scim(&endpoint, Method::GET, &query, None).await;
    assert_eq!(page["totalResults"], 1, "{mode}");

    // Update Group [Non-member attributes]; [Add Members]; [Remove Members].
    let body = entra.patch(vec![json!({"op": entra.op("replace"), "path": "displayName", "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"})]);
    let (status, _) = app
        .scim(
            &endpoint,
            Method::PATCH,
            &format!("/Groups/{group_id}"),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{mode}");
    let (status, group) = app
        .scim(
            &endpoint,
            Method::PATCH,
            &format!("/Groups/{group_id}"),
            Some(entra.add_member(&id)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{mode}");
    assert_eq!(group["members"][0]["value"], id.as_str(), "{mode}");
    let (status, group) = app
        .scim(
            &endpoint,
            Method::PATCH,
            &format!("/Groups/{group_id}"),
            Some(entra.remove_member(&id)),
        )
        .await;
    assert_eq!(
        (status, group["members"].clone()),
        (StatusCode::OK, json!([])),
        "{mode}"
    );

    // Delete Group; Delete User.
    for path in [format!("/Groups/{group_id}"), format!("/Users/{id}")] {
        let (status, body) = app.scim(&endpoint, Method::DELETE, &path, None).await;
        assert_eq!(
            (status, body),
            (StatusCode::NO_CONTENT, Value::Null),
            "{mode}: {path}"
        );
        let (status, _) = app.scim(&endpoint, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{mode}: {path}");
    }
}

#[tokio::test]
async fn entra_id_samples_pass_with_its_flag() {
    entra_samples(true).await;
}

#[tokio::test]
async fn entra_id_samples_pass_without_its_flag() {
    entra_samples(false).await;
}
