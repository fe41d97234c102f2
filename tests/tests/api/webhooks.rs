//! Webhooks: a tenant's endpoints, and every change in the catalogue delivered to them signed
//! (Standard Webhooks), checked by the PyPI `standardwebhooks` library. Each test also tries
//! what must be refused.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use usher_tests::{GOOD_PASSWORD, Receiver, TestApp, assert_problem, spawn_app, verify_webhooks};

fn hooks_path(app: &TestApp) -> String {
    format!("/v1/tenants/{}/webhooks", app.tenant_id)
}

/// Registers `url` in the main tenant as its owner: the answer.
async fn register(app: &TestApp, body: Value) -> Value {
    let response = app
        .post(&hooks_path(app), Some(&app.owner_token), body)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

fn payloads(verdicts: &[usher_tests::WebhookVerdict]) -> Vec<Value> {
    verdicts
        .iter()
        .map(|v| {
            assert!(v.ok, "the verifier refused a delivery: {:?}", v.error);
            v.payload.clone().expect("a payload")
        })
        .collect()
}

#[tokio::test]
async fn every_change_is_delivered_signed_and_an_independent_verifier_accepts_it() {
    let app = spawn_app().await;
    let receiver = Receiver::start(&[200]).await;
    let created = register(
        &app,
        json!({"url": receiver.url, "description": "Help desk"}),
    )
    .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{created}");
    assert_eq!(created["enabled"], true);
    // The secret is shown once: never in a listing or a read.
    let id = created["id"].as_str().unwrap().to_owned();
    let read = app
        .get_json(&format!("{}/{id}", hooks_path(&app)), &app.owner_token)
        .await;
    assert!(read.get("secret").is_none(), "{read}");
    let listed = app.get_json(&hooks_path(&app), &app.owner_token).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert!(!listed.to_string().contains(&secret[6..]));

    // A change: a person created. Its event is filed with it, and delivered once dispatched.
    let response = app
        .create_user(
            app.tenant_id,
            &app.owner_token,
            json!({"email": "ana@example.org", "first_name": "Ana", "last_name": "New",
                   "role": "member", "password": {"mode": "set", "value": GOOD_PASSWORD}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let user: Value = response.json().await.unwrap();
    let ana = user["user"]["id"].as_str().unwrap().to_owned();
    app.dispatch_all_pending().await;
    let received = receiver.received();
    let verdicts = verify_webhooks(&secret, &received).await;
    let events = payloads(&verdicts);
    let created_event = events
        .iter()
        .find(|e| e["type"] == "user.created")
        .unwrap_or_else(|| panic!("no user.created in {events:#?}"));
    assert_eq!(created_event["tenant_id"], app.tenant_id.to_string());
    assert_eq!(created_event["data"]["user_id"], ana);
    assert!(created_event["id"].as_str().unwrap().starts_with("evt_"));
    // The headers are the specification's, the id the event's own.
    let request = &received[0];
    assert_eq!(
        request.headers["webhook-id"],
        events[0]["id"].as_str().unwrap()
    );
    assert!(request.headers["webhook-signature"].starts_with("v1,"));
    // Never a secret in an event: a password change says only that it changed.
    let response = app
        .request(
            Method::PUT,
            "/v1/me/password",
            Some(&app.sign_in_token("ana@example.org", GOOD_PASSWORD).await),
            Some(json!({"current_password": GOOD_PASSWORD, "new_password": "another Good passphrase 42"})),
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    app.dispatch_all_pending().await;
    let all = receiver.received();
    let text: String = all
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).to_string())
        .collect();
    assert!(!text.contains("another Good passphrase 42"));
    assert!(!text.contains(&secret[6..]), "the secret never travels");

    // A forged or altered request fails the same verifier.
    let mut forged = received[0].clone();
    forged.body = String::from_utf8_lossy(&forged.body)
        .replace("ana@example.org", "eve@example.org")
        .into_bytes();
    if forged.body == received[0].body {
        forged.body.push(b' ');
    }
    let verdicts = verify_webhooks(&secret, &[forged]).await;
    assert!(!verdicts[0].ok);
    let other_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let verdicts = verify_webhooks(other_secret, &received[..1]).await;
    assert!(
        !verdicts[0].ok,
        "another endpoint's secret does not verify it"
    );

    // The delivery log has each attempt.
    let log = app
        .get_json(
            &format!("{}/{id}/deliveries", hooks_path(&app)),
            &app.owner_token,
        )
        .await;
    let attempts = log["items"].as_array().unwrap();
    assert_eq!(attempts.len(), all.len(), "{log:#}");
    assert!(
        attempts
            .iter()
            .all(|a| a["success"] == true && a["status"] == 200)
    );
}

#[tokio::test]
async fn a_failing_receiver_gets_the_event_again_and_gone_disables_the_endpoint() {
    let app = spawn_app().await;
    // Fails once, then takes it.
    let flaky = Receiver::start(&[503, 200]).await;
    let created = register(
        &app,
        json!({"url": flaky.url, "event_types": ["user.archived"]}),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let (member, _, _) = app.member(app.tenant_id, "member", &[]).await;
    app.dispatch_all_pending().await;
    assert!(
        flaky.received().is_empty(),
        "user.created is not among its types"
    );
    app.archive(&member).await;
    app.dispatch_all_pending().await;
    assert_eq!(flaky.received().len(), 1, "the first attempt");
    app.clock.advance(chrono::Duration::seconds(30));
    app.dispatch_all_pending().await;
    let received = flaky.received();
    assert_eq!(received.len(), 2, "tried again after the backoff");
    assert_eq!(
        received[0].headers["webhook-id"], received[1].headers["webhook-id"],
        "the same id on every attempt, so the receiver can drop a repeat"
    );
    let verdicts = verify_webhooks(created["secret"].as_str().unwrap(), &received[1..]).await;
    assert!(verdicts[0].ok, "{:?}", verdicts[0].error);
    app.clock.advance(chrono::Duration::hours(1));
    app.dispatch_all_pending().await;
    assert_eq!(flaky.received().len(), 2, "delivered: never again");
    let log = app
        .get_json(
            &format!("{}/{id}/deliveries", hooks_path(&app)),
            &app.owner_token,
        )
        .await;
    let outcomes: Vec<(Value, Value)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["status"].clone(), a["success"].clone()))
        .collect();
    assert_eq!(
        outcomes,
        [(json!(200), json!(true)), (json!(503), json!(false))],
        "newest first"
    );

    // A receiver that answers 410 Gone is disabled, and gets nothing more.
    let gone = Receiver::start(&[410]).await;
    let created = register(&app, json!({"url": gone.url})).await;
    let gone_id = created["id"].as_str().unwrap().to_owned();
    app.member(app.tenant_id, "member", &[]).await;
    app.dispatch_all_pending().await;
    assert_eq!(gone.received().len(), 1);
    let endpoint = app
        .get_json(&format!("{}/{gone_id}", hooks_path(&app)), &app.owner_token)
        .await;
    assert_eq!(endpoint["enabled"], false);
    app.member(app.tenant_id, "member", &[]).await;
    app.clock.advance(chrono::Duration::hours(1));
    app.dispatch_all_pending().await;
    assert_eq!(gone.received().len(), 1);
}

#[tokio::test]
async fn a_receiver_that_asks_to_wait_is_left_alone_that_long() {
    let app = spawn_app().await;
    // Busy: come back in two hours.
    let busy = Receiver::start_with(&[503, 200], Some("7200")).await;
    register(
        &app,
        json!({"url": busy.url, "event_types": ["user.archived"]}),
    )
    .await;
    let (member, _, _) = app.member(app.tenant_id, "member", &[]).await;
    app.archive(&member).await;
    app.dispatch_all_pending().await;
    assert_eq!(busy.received().len(), 1, "the first attempt");
    // The schedule alone would try again after about 5 seconds and again after 5 minutes.
    app.clock.advance(chrono::Duration::minutes(90));
    app.dispatch_all_pending().await;
    assert_eq!(
        busy.received().len(),
        1,
        "left alone for the two hours it asked"
    );
    app.clock.advance(chrono::Duration::minutes(31));
    app.dispatch_all_pending().await;
    assert_eq!(busy.received().len(), 2, "tried again once they passed");
}

#[tokio::test]
async fn endpoints_are_their_tenants_admins_and_never_point_inside_the_network() {
    let app = spawn_app().await;
    let receiver = Receiver::start(&[200]).await;
    let created = register(&app, json!({"url": receiver.url})).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("{}/{id}", hooks_path(&app));

    // Another tenant's owner: the endpoint does not exist for them, in any route.
    let (other, _, other_owner) = app.new_tenant("Other").await;
    let theirs = format!("/v1/tenants/{other}/webhooks/{id}");
    for (method, url) in [
        (Method::GET, &path),
        (Method::PATCH, &path),
        (Method::DELETE, &path),
        (Method::GET, &theirs),
        (Method::DELETE, &theirs),
    ] {
        let body = (method == Method::PATCH).then(|| json!({"enabled": false}));
        let response = app
            .request(method.clone(), url, Some(&other_owner), body)
            .await;
        assert!(
            [StatusCode::NOT_FOUND, StatusCode::FORBIDDEN].contains(&response.status()),
            "{method} {url}: {}",
            response.status()
        );
    }
    let theirs_listed = app
        .get_json(&format!("/v1/tenants/{other}/webhooks"), &other_owner)
        .await;
    assert!(theirs_listed["items"].as_array().unwrap().is_empty());
    // A member, even one who manages users, does not manage webhooks.
    let (_, _, manager) = app.member(app.tenant_id, "member", &["users.manage"]).await;
    assert_problem(
        app.get(&hooks_path(&app), &manager).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let endpoint = app.get_json(&path, &app.owner_token).await;
    assert_eq!(endpoint["enabled"], true, "nothing was changed");

    // Addresses inside the network, an unknown type, a bad URL: 422, nothing registered.
    for (body, field) in [
        (json!({"url": "http://10.0.0.1/hooks"}), "url"),
        (
            json!({"url": "http://169.254.169.254/latest/meta-data"}),
            "url",
        ),
        (json!({"url": "http://192.168.1.10:8080/"}), "url"),
        (json!({"url": "http://[fe80::1]/"}), "url"),
        (json!({"url": "http://user:pw@127.0.0.1/"}), "url"),
        (json!({"url": "ftp://127.0.0.1/"}), "url"),
        (json!({"url": "not a url"}), "url"),
        (
            json!({"url": receiver.url, "event_types": ["user.exploded"]}),
            "event_types",
        ),
        (
            json!({"url": receiver.url, "event_types": ["api_key.created"]}),
            "event_types",
        ),
    ] {
        let problem = assert_problem(
            app.post(&hooks_path(&app), Some(&app.owner_token), body.clone())
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        )
        .await;
        assert_eq!(problem["field"], field, "{body}");
    }
    let listed = app.get_json(&hooks_path(&app), &app.owner_token).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);

    // Changed to point inside the network: refused too.
    let problem = assert_problem(
        app.request(
            Method::PATCH,
            &path,
            Some(&app.owner_token),
            Some(json!({"url": "http://10.1.2.3/"})),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    assert_eq!(problem["field"], "url");

    // Deleted: the deliveries still waiting for it are dropped, not sent.
    app.member(app.tenant_id, "member", &[]).await;
    let response = app
        .request(Method::DELETE, &path, Some(&app.owner_token), None)
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    app.dispatch_all_pending().await;
    assert!(receiver.received().is_empty());
    assert!(app.outbox_items().await.is_empty());
}
