//! Every PATCH shape Microsoft Entra ID and Okta send, each a fixture in the form their public
//! provisioning documentation gives it (Entra ID both with and without its `aadOptscim062020`
//! flag), applied to a User or a Group and the answer checked field by field.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use usher_tests::{ScimEndpoint, TestApp, scim_patch, spawn_app, with_filter};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A User fixture: its source, its operations, and what the User then reads (JSON pointer,
/// value).
struct UserFixture {
    source: &'static str,
    operations: Value,
    expect: Vec<(&'static str, Value)>,
}

/// A new User as Entra ID creates one: a userName that is not an email, the work email beside.
async fn entra_user(app: &TestApp, endpoint: &ScimEndpoint, n: usize) -> String {
    let (status, user) = app
        .scim(
            endpoint,
            Method::POST,
            "/Users",
            Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
                "externalId": format!("0a21f0f2-8d2a-4f8e-bf98-7363c4aed4e{n}"),
                "userName": format!("Test_User_{n}"),
                "active": true,
                "emails": [{"primary": true, "type": "work", "value": format!("test.user.{n}@testuser.example")}],
                "meta": {"resourceType": "User"},
                "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
                "roles": [],
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    user["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_user_patch_shape_of_entra_id_and_okta_applies() {
    let app = spawn_app().await;
    let endpoint = app.main_scim().await;
    let fixtures = vec![
        UserFixture {
            source: "Entra ID, flag on: Update User [Multi-valued properties]",
            operations: json!([
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@testuser.example"},
                {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
            ]),
            expect: vec![
                ("/emails/0/value", json!("updatedEmail@testuser.example")),
                ("/name/familyName", json!("updatedFamilyName")),
            ],
        },
        UserFixture {
            source: "Entra ID, flag on: Update User [Single-valued properties]",
            operations: json!([{"op": "Replace", "path": "userName", "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59"}]),
            expect: vec![("/userName", json!("5b50642d-79fc-4410-9e90-4c077cdd1a59"))],
        },
        UserFixture {
            source: "Entra ID, flag on: Disable User",
            operations: json!([{"op": "replace", "path": "active", "value": false}]),
            expect: vec![("/active", json!(false))],
        },
        UserFixture {
            source: "Entra ID, flag off: boolean as a string, op capitalised",
            operations: json!([{"op": "Replace", "path": "active", "value": "False"}]),
            expect: vec![("/active", json!(false))],
        },
        UserFixture {
            source: "Entra ID, flag off: path-less Add with dotted and URN-qualified keys",
            operations: json!([{"op": "Add", "value": {
                "name.givenName": "Jane",
                "name.familyName": "Doe",
                "displayName": "Jane Doe",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Finance",
                "active": "True",
            }}]),
            expect: vec![
                ("/name/givenName", json!("Jane")),
                ("/name/familyName", json!("Doe")),
                ("/displayName", json!("Jane Doe")),
                (
                    "/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User/department",
                    json!("Finance"),
                ),
                ("/active", json!(true)),
            ],
        },
        UserFixture {
            source: "Entra ID, flag off: path-less Replace of a complex attribute keeps its other sub-attributes",
            operations: json!([{"op": "Replace", "value": {"name": {"givenName": "Janet"}}}]),
            expect: vec![
                ("/name/givenName", json!("Janet")),
                ("/name/familyName", json!("familyName")),
            ],
        },
        UserFixture {
            source: "Entra ID: the extension's attribute by its URN-qualified path, and its manager",
            operations: json!([
                {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "701984"},
                {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "26118915-6090-4610-87e4-49d8ca9f808d"},
            ]),
            expect: vec![(
                "/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User/employeeNumber",
                json!("701984"),
            )],
        },
        UserFixture {
            source: "Entra ID: a phone number set by a filter that matches none adds it",
            operations: json!([{"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 201 555 0123"}]),
            expect: vec![
                ("/phoneNumbers/0/type", json!("mobile")),
                ("/phoneNumbers/0/value", json!("+1 201 555 0123")),
            ],
        },
        UserFixture {
            source: "RFC 7644 3.10: a URN-qualified core attribute",
            operations: json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName", "value": "Urna"}]),
            expect: vec![("/name/givenName", json!("Urna"))],
        },
        UserFixture {
            source: "Add on a single-valued attribute replaces it",
            operations: json!([
                {"op": "add", "path": "displayName", "value": "First"},
                {"op": "add", "path": "displayName", "value": "Second"},
            ]),
            expect: vec![("/displayName", json!("Second"))],
        },
        UserFixture {
            source: "Okta: path-less replace that deactivates",
            operations: json!([{"op": "replace", "value": {"active": false}}]),
            expect: vec![("/active", json!(false))],
        },
        UserFixture {
            source: "Okta: path-less replace of several attributes",
            operations: json!([{"op": "replace", "value": {"name": {"givenName": "Okta", "familyName": "Person"}, "externalId": "00ujl29u0le5T6Aj10h7"}}]),
            expect: vec![
                ("/name/givenName", json!("Okta")),
                ("/externalId", json!("00ujl29u0le5T6Aj10h7")),
            ],
        },
        UserFixture {
            source: "Remove of an optional attribute",
            operations: json!([{"op": "remove", "path": "externalId"}]),
            expect: vec![("/externalId", Value::Null)],
        },
    ];
    for (n, fixture) in fixtures.into_iter().enumerate() {
        let id = entra_user(&app, &endpoint, n).await;
        let (status, user) = app
            .scim(
                &endpoint,
                Method::PATCH,
                &format!("/Users/{id}"),
                Some(scim_patch(fixture.operations.clone())),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{}: {user}", fixture.source);
        let (_, read) = app
            .scim(&endpoint, Method::GET, &format!("/Users/{id}"), None)
            .await;
        assert_eq!(
            read, user,
            "{}: the answer is the User as stored",
            fixture.source
        );
        for (pointer, expected) in &fixture.expect {
            let actual = user.pointer(pointer).cloned().unwrap_or(Value::Null);
            assert_eq!(actual, *expected, "{}: {pointer} in {user}", fixture.source);
        }
    }
}

#[tokio::test]
async fn the_work_email_moves_the_sign_in_address_of_an_account_in_this_tenant_alone() {
    let app = spawn_app().await;
    let endpoint = app.main_scim().await;
    let id = entra_user(&app, &endpoint, 0).await;
    let (status, _) = app
        .scim(
            &endpoint,
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(scim_patch(json!([{"op": "replace", "path": "emails", "value": [{"value": "moved@testuser.example", "type": "work", "primary": true}]}]))),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let user = app
        .user_by_email("moved@testuser.example")
        .await
        .expect("found by the new address");
    assert_eq!(user["id"], id);
    assert!(
        app.user_by_email("test.user.0@testuser.example")
            .await
            .is_none()
    );
    // The old address no longer names anyone; the new one cannot be taken by another User.
    let other = entra_user(&app, &endpoint, 1).await;
    let (status, body) = app
        .scim(
            &endpoint,
            Method::PATCH,
            &format!("/Users/{other}"),
            Some(scim_patch(json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "moved@testuser.example"}]))),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["scimType"], "uniqueness");
}

#[tokio::test]
async fn okta_replaces_a_user_with_its_full_object() {
    let app = spawn_app().await;
    let endpoint = app.main_scim().await;
    let user = app.scim_user(&endpoint, "test.user@okta.example").await;
    let id = user["id"].as_str().unwrap();
    let (status, replaced) = app
        .scim(
            &endpoint,
            Method::PUT,
            &format!("/Users/{id}"),
            Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "id": id,
                "userName": "test.user@okta.example",
                "name": {"givenName": "Another", "familyName": "User"},
                "emails": [{"primary": true, "value": "test.user@okta.example", "type": "work"}],
                "displayName": "Another User",
                "locale": "en-US",
                "externalId": "00ujl29u0le5T6Aj10h7",
                "groups": [],
                "password": "1mz050nq",
                "active": true,
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!(replaced["name"]["givenName"], "Another");
    assert_eq!(replaced["displayName"], "Another User");
    assert_eq!(replaced["externalId"], "00ujl29u0le5T6Aj10h7");
    assert!(replaced.get("password").is_none());
    // The id is Usher's: a PATCH cannot set it.
    let (status, body) = app
        .scim(
            &endpoint,
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(scim_patch(
                json!([{"op": "replace", "path": "id", "value": "01J00000000000000000000000"}]),
            )),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["scimType"], "mutability");
}

/// The members of a Group as it reads now.
async fn members(app: &TestApp, endpoint: &ScimEndpoint, group: &str) -> Vec<String> {
    let (status, body) = app
        .scim(endpoint, Method::GET, &format!("/Groups/{group}"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut ids: Vec<String> = body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn every_group_patch_shape_of_entra_id_and_okta_applies() {
    let app = spawn_app().await;
    let endpoint = app.main_scim().await;
    let mut people = Vec::new();
    for n in 0..3 {
        people.push(entra_user(&app, &endpoint, n).await);
    }
    people.sort();
    let (a, b, c) = (&people[0], &people[1], &people[2]);
    // Entra ID: Create Group (with its own schema URN beside the core one).
    let (status, group) = app
        .scim(
            &endpoint,
            Method::POST,
            "/Groups",
            Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group",
                            "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
                "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
                "displayName": "displayName",
                "meta": {"resourceType": "Group"},
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{group}");
    let id = group["id"].as_str().unwrap().to_owned();
    let steps: Vec<(&str, Value, Vec<&String>)> = vec![
        (
            "Entra ID, flag on: Update Group [Add Members]",
            json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": a}]}]),
            vec![a],
        ),
        (
            "Okta: add members, with their display",
            json!([{"op": "add", "path": "members", "value": [{"value": b, "display": "user@example.org"}, {"value": c}]}]),
            vec![a, b, c],
        ),
        (
            "Entra ID, flag on: Update Group [Remove Members] by value array",
            json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": a}]}]),
            vec![b, c],
        ),
        (
            "Entra ID, flag off / Okta: remove a member by filter",
            json!([{"op": "remove", "path": format!("members[value eq \"{b}\"]")}]),
            vec![c],
        ),
        (
            "Path-less add of members",
            json!([{"op": "add", "value": {"members": [{"value": a}]}}]),
            vec![a, c],
        ),
        (
            "Replace members",
            json!([{"op": "replace", "path": "members", "value": [{"value": b}]}]),
            vec![b],
        ),
        (
            "Replace members with []",
            json!([{"op": "replace", "path": "members", "value": []}]),
            vec![],
        ),
        (
            "Members that are not Users of the tenant are left out",
            json!([{"op": "add", "path": "members", "value": [{"value": "fake-member-id"}, {"value": "01J00000000000000000000000"}, {"value": a}]}]),
            vec![a],
        ),
        (
            "Remove of all members",
            json!([{"op": "remove", "path": "members"}]),
            vec![],
        ),
    ];
    for (source, operations, expected) in steps {
        let (status, body) = app
            .scim(
                &endpoint,
                Method::PATCH,
                &format!("/Groups/{id}"),
                Some(scim_patch(operations)),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{source}: {body}");
        let expected: Vec<String> = expected.into_iter().cloned().collect();
        assert_eq!(members(&app, &endpoint, &id).await, expected, "{source}");
    }
    // Entra ID: Update Group [Non-member attributes]; Okta: path-less rename carrying the id.
    let (status, body) = app
        .scim(&endpoint, Method::PATCH, &format!("/Groups/{id}"), Some(scim_patch(json!([{"op": "Replace", "path": "displayName", "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}]))))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["displayName"],
        "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
    );
    let (status, body) = app
        .scim(
            &endpoint,
            Method::PATCH,
            &format!("/Groups/{id}"),
            Some(scim_patch(
                json!([{"op": "replace", "value": {"id": id, "displayName": "Test SCIMv2"}}]),
            )),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["displayName"], "Test SCIMv2");
    // Entra ID: Get Group by displayName, members excluded.
    let query = with_filter(
        "/Groups?excludedAttributes=members",
        r#"displayName eq "test scimv2""#,
    );
    let (status, found) = app.scim(&endpoint, Method::GET, &query, None).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["totalResults"], 1);
    assert_eq!(found["Resources"][0]["id"], id.as_str());
    assert!(found["Resources"][0].get("members").is_none());
}
