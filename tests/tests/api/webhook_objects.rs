//! The object an event is about, in the event (`data.object`): as the change left it, the very
//! JSON the API answers with, checked against each type's published schema by the PyPI
//! `standardwebhooks` verifier and jsonschema.

use reqwest::Method;
use serde_json::{Value, json};
use usher_core::clock::Clock;
use usher_tests::{Receiver, TestApp, spawn_app, verify_webhooks, verify_webhooks_at};

/// Every type whose events carry an object, by the id that names it.
const WITH_OBJECT: [(&str, &str); 24] = [
    ("user.created", "user_id"),
    ("membership.created", "user_id"),
    ("user.updated", "user_id"),
    ("user.role_changed", "user_id"),
    ("user.access_revoked", "user_id"),
    ("user.access_granted", "user_id"),
    ("session.revoked", "user_id"),
    ("user.archived", "user_id"),
    ("membership.removed", "user_id"),
    ("user.restored", "user_id"),
    ("invitation.sent", "invitation_id"),
    ("invitation.resent", "invitation_id"),
    ("invitation.revoked", "invitation_id"),
    ("invitation.accepted", "user_id"),
    ("invitation.expired", "invitation_id"),
    ("team.created", "team_id"),
    ("team.updated", "team_id"),
    ("team.moved", "team_id"),
    ("team.archived", "team_id"),
    ("team.restored", "team_id"),
    ("tenant.created", ""),
    ("tenant.updated", ""),
    ("tenant.suspended", ""),
    ("tenant.resumed", ""),
];

async fn ok(response: reqwest::Response, what: &str) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{what}: {status} {body}");
    body
}

async fn call(app: &TestApp, method: Method, path: &str, token: &str, body: Value) -> Value {
    let what = format!("{method} {path}");
    ok(
        app.request(method, path, Some(token), Some(body)).await,
        &what,
    )
    .await
}

/// The user as `GET .../users/{id}` answers, less what teams give: what a user event carries.
async fn user_as_read(app: &TestApp, tenant: &str, user: &str) -> Value {
    let mut user = app
        .get_json(
            &format!("/v1/tenants/{tenant}/users/{user}"),
            &app.owner_token,
        )
        .await;
    let fields = user.as_object_mut().unwrap();
    fields.remove("effective_permissions");
    fields.remove("teams");
    user
}

#[tokio::test]
async fn each_event_carries_its_object_as_its_change_left_it() {
    let mut app = spawn_app().await;
    // A deployment endpoint, which hears every tenant, a new one's creation too.
    let (_, operator) = app
        .operator_key(&["webhooks.manage", "tenants.suspend"])
        .await;
    let receiver = Receiver::start(&[200]).await;
    let created = call(
        &app,
        Method::POST,
        "/v1/webhooks",
        &operator,
        json!({"url": receiver.url}),
    )
    .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    let (other_tenant, _, _) = app.new_tenant("Objects Elsewhere").await;

    let tenant = app.tenant_id.to_string();
    let owner = app.owner_token.clone();
    let users = format!("/v1/tenants/{tenant}/users");
    let person = call(
        &app,
        Method::POST,
        &users,
        &owner,
        json!({"email": "olek@example.org", "first_name": "Olek", "last_name": "Nowak",
               "role": "member", "password": {"mode": "link"}}),
    )
    .await;
    let person = person["user"]["id"].as_str().unwrap().to_owned();
    let path = format!("{users}/{person}");
    call(
        &app,
        Method::PATCH,
        &path,
        &owner,
        json!({"first_name": "Aleksander"}),
    )
    .await;
    call(&app, Method::PATCH, &path, &owner, json!({"role": "admin"})).await;
    call(
        &app,
        Method::POST,
        &format!("{path}/access"),
        &owner,
        json!({"enabled": false}),
    )
    .await;
    call(
        &app,
        Method::POST,
        &format!("{path}/access"),
        &owner,
        json!({"enabled": true}),
    )
    .await;
    let ended = app
        .request(
            Method::DELETE,
            &format!("{path}/sessions"),
            Some(&owner),
            None,
        )
        .await;
    assert!(ended.status().is_success(), "{}", ended.status());
    call(
        &app,
        Method::POST,
        &format!("{path}/archive"),
        &owner,
        json!({}),
    )
    .await;
    call(
        &app,
        Method::POST,
        &format!("{path}/restore"),
        &owner,
        json!({}),
    )
    .await;

    let invitations = format!("/v1/tenants/{tenant}/invitations");
    let withdrawn = app.invite_to_main("withdrawn@example.org").await;
    let withdrawn = withdrawn["id"].as_str().unwrap().to_owned();
    call(
        &app,
        Method::POST,
        &format!("{invitations}/{withdrawn}/resend"),
        &owner,
        json!({}),
    )
    .await;
    let revoked = app
        .request(
            Method::DELETE,
            &format!("{invitations}/{withdrawn}"),
            Some(&owner),
            None,
        )
        .await;
    assert!(revoked.status().is_success(), "{}", revoked.status());
    app.invite_to_main("joiner@example.org").await;
    let token = app.invitation_token_for("joiner@example.org").await;
    let joined = ok(app.accept_as_new(&token).await, "accepting").await;
    let joiner = joined["account"]["id"].as_str().unwrap().to_owned();
    let lapsing = app.invite_to_main("lapsing@example.org").await;
    let lapsing = lapsing["id"].as_str().unwrap().to_owned();

    let teams = format!("/v1/tenants/{tenant}/teams");
    let parent = app.make_team("Support", None, &[]).await;
    let team = app.make_team("Night desk", None, &[]).await;
    let team_path = format!("{teams}/{team}");
    call(
        &app,
        Method::PATCH,
        &team_path,
        &owner,
        json!({"name": "Night shift"}),
    )
    .await;
    call(
        &app,
        Method::PATCH,
        &team_path,
        &owner,
        json!({"parent_id": parent}),
    )
    .await;
    call(
        &app,
        Method::POST,
        &format!("{team_path}/archive"),
        &owner,
        json!({}),
    )
    .await;
    call(
        &app,
        Method::POST,
        &format!("{team_path}/restore"),
        &owner,
        json!({}),
    )
    .await;

    let tenant_path = format!("/v1/tenants/{tenant}");
    call(
        &app,
        Method::PATCH,
        &format!("{tenant_path}/settings"),
        &owner,
        json!({"members_can_invite": true}),
    )
    .await;
    call(
        &app,
        Method::POST,
        &format!("{tenant_path}/suspend"),
        &operator,
        json!({"reason": "Unpaid invoice"}),
    )
    .await;
    call(
        &app,
        Method::POST,
        &format!("{tenant_path}/resume"),
        &operator,
        json!({}),
    )
    .await;
    // Everything is sent only now: an object read at sending time would be the last state.
    app.dispatch_all_pending().await;
    let mut verdicts = verify_webhooks(&secret, &receiver.received()).await;
    // The unused invitation expires a week on (the verifier's clock moved with the test's).
    let sent = receiver.received().len();
    app.clock
        .advance(chrono::Duration::days(7) + chrono::Duration::minutes(1));
    app.dispatch_all_pending().await;
    verdicts.extend(
        verify_webhooks_at(&secret, &receiver.received()[sent..], Some(app.clock.now())).await,
    );
    let events: Vec<Value> = verdicts
        .iter()
        .map(|v| {
            assert!(v.ok, "the verifier refused a delivery: {:?}", v.error);
            assert_eq!(v.schema_error, None, "{:#}", v.payload.clone().unwrap());
            v.payload.clone().unwrap()
        })
        .collect();
    let of = |kind: &str, id: &str| -> Vec<&Value> {
        events
            .iter()
            .filter(|e| e["type"] == kind)
            .filter(|e| id.is_empty() || e["data"].as_object().unwrap().values().any(|v| v == id))
            .collect()
    };
    let one = |kind: &str, id: &str| -> Value {
        let found = of(kind, id);
        assert_eq!(found.len(), 1, "one {kind} about {id}: {events:#?}");
        found[0]["data"]["object"].clone()
    };
    for (kind, id_field) in WITH_OBJECT {
        let found: Vec<&Value> = events.iter().filter(|e| e["type"] == kind).collect();
        assert!(!found.is_empty(), "no {kind} among {} events", events.len());
        for event in found {
            let object = &event["data"]["object"];
            assert!(object.is_object(), "{kind} carries its object: {event:#}");
            let id = if id_field.is_empty() {
                &event["tenant_id"]
            } else {
                &event["data"][id_field]
            };
            assert_eq!(&object["id"], id, "{kind}: the object is the one it names");
        }
    }
    // And none where nothing the API shows of the subject changed.
    for event in events.iter().filter(|e| {
        [
            "password.changed",
            "team.deleted",
            "team.member_added",
            "import.completed",
        ]
        .contains(&e["type"].as_str().unwrap())
    }) {
        assert!(event["data"].get("object").is_none(), "{event:#}");
    }

    // Each object is the state its own change made, not the last one.
    assert_eq!(one("user.created", &person)["first_name"], "Olek");
    // The names' edit, before the role changed (which is a user.updated too).
    let updates: Vec<&Value> = of("user.updated", &person)
        .into_iter()
        .map(|e| &e["data"]["object"])
        .collect();
    assert_eq!(updates.len(), 2);
    assert!(
        updates
            .iter()
            .any(|u| u["first_name"] == "Aleksander" && u["role"] == "member"),
        "{updates:#?}"
    );
    assert_eq!(one("user.role_changed", &person)["role"], "admin");
    assert_eq!(one("user.access_revoked", &person)["access"], false);
    assert_eq!(one("user.access_granted", &person)["access"], true);
    assert_eq!(one("user.archived", &person)["status"], "archived");
    assert_eq!(one("membership.removed", &person)["status"], "archived");
    assert_eq!(one("invitation.sent", &withdrawn)["status"], "pending");
    assert_eq!(one("invitation.revoked", &withdrawn)["status"], "revoked");
    assert_eq!(one("invitation.expired", &lapsing)["status"], "expired");
    assert_eq!(one("team.created", &team)["name"], "Night desk");
    assert_eq!(one("team.updated", &team)["name"], "Night shift");
    assert_eq!(one("team.updated", &team)["parent_id"], Value::Null);
    assert_eq!(one("team.moved", &team)["parent_id"], parent.as_str());
    assert_eq!(one("team.archived", &team)["status"], "archived");
    assert_eq!(one("tenant.suspended", "")["status"], "suspended");
    assert_eq!(
        one("tenant.suspended", "")["suspension"]["reason"],
        "Unpaid invoice"
    );
    let created_tenants = of("tenant.created", "");
    assert!(
        created_tenants
            .iter()
            .any(|e| e["tenant_id"] == other_tenant.to_string()),
        "the deployment endpoint heard the new tenant"
    );

    // The last object of each is the very JSON the API answers with now.
    app.clock.advance(chrono::Duration::minutes(1));
    let owner = app
        .sign_in_token(&app.owner_email.clone(), usher_tests::GOOD_PASSWORD)
        .await;
    app.owner_token = owner.clone();
    assert_eq!(
        one("user.restored", &person),
        user_as_read(&app, &tenant, &person).await
    );
    assert_eq!(
        one("invitation.accepted", &joiner),
        user_as_read(&app, &tenant, &joiner).await
    );
    assert_eq!(
        one("invitation.revoked", &withdrawn),
        app.get_json(&format!("{invitations}/{withdrawn}"), &owner)
            .await
    );
    assert_eq!(
        one("team.restored", &team),
        app.get_json(&team_path, &owner).await
    );
    assert_eq!(
        one("tenant.resumed", ""),
        app.get_json(&tenant_path, &owner).await
    );
    // The version is the object's: of two events about one person, the later is higher.
    let version = |kind: &str| of(kind, &person)[0]["version"].as_u64().unwrap();
    assert!(version("user.created") < version("user.updated"));
    assert!(version("user.archived") < version("user.restored"));
}

/// A person made from a mail is announced with the user the API shows, so a receiver that
/// keeps its own copy of users learns their name and role without calling back.
#[tokio::test]
async fn a_person_made_from_mail_is_announced_with_their_user() {
    let app = spawn_app().await;
    let receiver = Receiver::start(&[200]).await;
    let tenant = app.tenant_id.to_string();
    let created = call(
        &app,
        Method::POST,
        &format!("/v1/tenants/{tenant}/webhooks"),
        &app.owner_token,
        json!({"url": receiver.url, "event_types": ["inbound.user_created"]}),
    )
    .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    app.settings(json!({"inbound": {"enabled": true, "addresses": ["help@desk.example"]}}))
        .await;
    let eml = "Return-Path: <zofia.wrona@example.pl>\r\nFrom: Zofia Wrona <zofia.wrona@example.pl>\r\nTo: help@desk.example\r\nSubject: Help\r\nMessage-ID: <objects-1@example.pl>\r\n\r\nMy printer\r\n";
    let answer = ok(
        app.http
            .post(app.url("/_local/inbound"))
            .body(eml)
            .send()
            .await
            .unwrap(),
        "posting a mail",
    )
    .await;
    assert_eq!(answer["outcomes"][0]["outcome"], "created", "{answer}");
    app.dispatch_all_pending().await;
    let verdicts = verify_webhooks(&secret, &receiver.received()).await;
    assert_eq!(verdicts.len(), 1, "one event: {verdicts:?}");
    let verdict = &verdicts[0];
    assert!(verdict.ok, "the verifier refused it: {:?}", verdict.error);
    let event = verdict.payload.clone().unwrap();
    assert_eq!(verdict.schema_error, None, "{event:#}");
    assert_eq!(event["type"], "inbound.user_created");
    let user = event["data"]["user_id"].as_str().unwrap();
    let object = &event["data"]["object"];
    assert_eq!(object["first_name"], "Zofia", "{event:#}");
    assert_eq!(*object, user_as_read(&app, &tenant, user).await);
}
