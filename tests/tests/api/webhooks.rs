//! Webhooks: a tenant's endpoints, and every change in the catalogue delivered to them signed
//! (Standard Webhooks), checked by the PyPI `standardwebhooks` library. Each test also tries
//! what must be refused.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use usher_core::clock::Clock;
use usher_core::usecases::webhooks::gate::IN_FLIGHT;
use usher_tests::{
    BadReceiver, GOOD_PASSWORD, Misbehaviour, Receiver, TestApp, assert_problem, spawn_app,
    verify_webhooks, verify_webhooks_at,
};

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
            assert_eq!(v.schema_error, None, "{:?}", v.payload);
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
    // One type: a member's creation also makes a membership event, and two deliveries at once
    // could both reach the receiver before either turns the endpoint off.
    let created = register(
        &app,
        json!({"url": gone.url, "event_types": ["user.created"]}),
    )
    .await;
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
    // A member, even one who manages users, does not manage webhooks, nor makes a key that does.
    let (_, _, manager) = app.member(app.tenant_id, "member", &["users.manage"]).await;
    assert_problem(
        app.get(&hooks_path(&app), &manager).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post(
            &format!("/v1/tenants/{}/api-keys", app.tenant_id),
            Some(&manager),
            json!({"name": "Sneaky", "permissions": ["webhooks.manage"]}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "permission_not_held",
    )
    .await;
    // A key an owner gave webhooks.manage manages them; a key without it does not.
    let (_, backend) = app
        .api_key(&app.owner_token, app.tenant_id, &["webhooks.manage"])
        .await;
    let (_, plain) = app
        .api_key(&app.owner_token, app.tenant_id, &["users.manage"])
        .await;
    let listed = app.get_json(&hooks_path(&app), &backend).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_problem(
        app.get(&hooks_path(&app), &plain).await,
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

/// A new session for the main tenant's owner, once the clock moved past the old one's life.
async fn sign_in_again(app: &mut TestApp) {
    app.owner_token = app.sign_in_token(&app.owner_email, GOOD_PASSWORD).await;
}

/// The `webhook-signature` header of `request`: one `v1,...` per secret in use.
fn signatures(request: &usher_tests::Received) -> usize {
    request.headers["webhook-signature"].split(' ').count()
}

#[tokio::test]
async fn a_rotated_secret_signs_beside_the_old_one_for_a_day() {
    let mut app = spawn_app().await;
    let receiver = Receiver::start(&[200]).await;
    let created = register(
        &app,
        json!({"url": receiver.url, "event_types": ["user.created"]}),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let old = created["secret"].as_str().unwrap().to_owned();
    let rotate = format!("{}/{id}/secret", hooks_path(&app));

    // A member who manages users does not rotate it.
    let (_, _, manager) = app.member(app.tenant_id, "member", &["users.manage"]).await;
    assert_problem(
        app.post(&rotate, Some(&manager), json!({})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    app.dispatch_all_pending().await;
    let before = receiver.received();
    assert_eq!(before.len(), 1);
    assert_eq!(signatures(&before[0]), 1, "one secret, one signature");

    let response = app
        .request(Method::POST, &rotate, Some(&app.owner_token), None)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let rotated: Value = response.json().await.unwrap();
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert!(new.starts_with("whsec_") && new != old, "{rotated}");
    let until = chrono::DateTime::parse_from_rfc3339(
        rotated["previous_secret_valid_until"].as_str().unwrap(),
    )
    .unwrap();
    let now = app.clock.now();
    assert_eq!((until.to_utc() - now).num_hours(), 24);
    let read = app
        .get_json(&format!("{}/{id}", hooks_path(&app)), &app.owner_token)
        .await;
    assert!(read.get("secret").is_none(), "shown once: {read}");

    // For a day, each delivery verifies with either secret.
    app.member(app.tenant_id, "member", &[]).await;
    app.dispatch_all_pending().await;
    let during = receiver.received()[1..].to_vec();
    assert_eq!(during.len(), 1);
    assert_eq!(signatures(&during[0]), 2);
    for secret in [&old, &new] {
        let verdicts = verify_webhooks(secret, &during).await;
        assert!(verdicts[0].ok, "{secret}: {:?}", verdicts[0].error);
    }

    // After it, only the new one.
    app.clock.advance(chrono::Duration::hours(25));
    sign_in_again(&mut app).await;
    app.member(app.tenant_id, "member", &[]).await;
    app.dispatch_all_pending().await;
    let after = receiver.received()[2..].to_vec();
    assert_eq!(after.len(), 1);
    assert_eq!(signatures(&after[0]), 1);
    let at = Some(app.clock.now());
    assert!(verify_webhooks_at(&new, &after, at).await[0].ok);
    assert!(
        !verify_webhooks_at(&old, &after, at).await[0].ok,
        "the old secret no longer verifies"
    );
    let log = app
        .get_json(
            &format!(
                "/v1/tenants/{}/events?action=webhook.secret_rotated",
                app.tenant_id
            ),
            &app.owner_token,
        )
        .await;
    assert_eq!(log["items"].as_array().unwrap().len(), 1);
    assert!(!log.to_string().contains(&new[6..]), "never in the log");
}

#[tokio::test]
async fn a_replay_sends_the_first_delivery_again_one_event_or_all_since_a_time() {
    let app = spawn_app().await;
    let receiver = Receiver::start(&[200]).await;
    let created = register(
        &app,
        json!({"url": receiver.url, "event_types": ["user.created", "user.archived"]}),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();
    let replay = format!("{}/{id}/replay", hooks_path(&app));
    let since = app.clock.now().to_rfc3339();
    for _ in 0..3 {
        app.member(app.tenant_id, "member", &[]).await;
    }
    app.dispatch_all_pending().await;
    let first = receiver.received();
    assert_eq!(first.len(), 3);

    // One event, by the id its delivery carried: the same body, the same id.
    let event_id = first[1].headers["webhook-id"].clone();
    let response = app
        .post(
            &replay,
            Some(&app.owner_token),
            json!({"event_id": event_id}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_eq!(response.json::<Value>().await.unwrap()["queued"], 1);
    app.dispatch_all_pending().await;
    let again = receiver.received()[3..].to_vec();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].headers["webhook-id"], event_id);
    assert_eq!(again[0].body, first[1].body, "the very event");
    assert!(verify_webhooks(&secret, &again).await[0].ok);

    // Everything since a time: the events the endpoint receives, oldest first, nothing else (the
    // endpoint's own creation, in the log too, is not an event of the catalogue).
    let response = app
        .post(&replay, Some(&app.owner_token), json!({"since": since}))
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer, json!({"queued": 3}));
    app.dispatch_all_pending().await;
    let ids = |requests: &[usher_tests::Received]| -> Vec<String> {
        let mut ids: Vec<String> = requests
            .iter()
            .map(|r| r.headers["webhook-id"].clone())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&receiver.received()[4..]), ids(&first));

    // Refused: an id that is not an event of this tenant's log, a type the endpoint does not
    // take, both or neither of event_id and since.
    let (other, _, other_owner) = app.new_tenant("Other").await;
    let other_hook = Receiver::start(&[200]).await;
    app.post(
        &format!("/v1/tenants/{other}/webhooks"),
        Some(&other_owner),
        json!({"url": other_hook.url}),
    )
    .await;
    app.create_user(
        other,
        &other_owner,
        json!({"email": "theirs@example.org", "first_name": "T", "last_name": "Heirs",
               "role": "member", "password": {"mode": "generate"}}),
    )
    .await;
    app.dispatch_all_pending().await;
    let theirs = other_hook
        .received()
        .iter()
        .map(|r| r.headers["webhook-id"].clone())
        .find(|_| true)
        .expect("the other tenant's event");
    for unknown in [
        theirs.as_str(),
        "evt_01KAAAAAAAAAAAAAAAAAAAAAAA",
        "evt_nope",
        "nope",
    ] {
        assert_problem(
            app.post(
                &replay,
                Some(&app.owner_token),
                json!({"event_id": unknown}),
            )
            .await,
            StatusCode::NOT_FOUND,
            "event_not_found",
        )
        .await;
    }
    let archived_only = register(
        &app,
        json!({"url": receiver.url, "event_types": ["user.archived"]}),
    )
    .await;
    let narrow = format!(
        "{}/{}/replay",
        hooks_path(&app),
        archived_only["id"].as_str().unwrap()
    );
    let problem = assert_problem(
        app.post(
            &narrow,
            Some(&app.owner_token),
            json!({"event_id": event_id}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    assert_eq!(problem["field"], "event_id");
    for body in [json!({}), json!({"event_id": event_id, "since": since})] {
        assert_problem(
            app.post(&replay, Some(&app.owner_token), body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        )
        .await;
    }
    // Not by a member who manages users, and not to an endpoint that is off.
    let (_, _, manager) = app.member(app.tenant_id, "member", &["users.manage"]).await;
    assert_problem(
        app.post(&replay, Some(&manager), json!({"since": since}))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    app.request(
        Method::PATCH,
        &format!("{}/{id}", hooks_path(&app)),
        Some(&app.owner_token),
        Some(json!({"enabled": false})),
    )
    .await;
    assert_problem(
        app.post(&replay, Some(&app.owner_token), json!({"since": since}))
            .await,
        StatusCode::CONFLICT,
        "webhook_disabled",
    )
    .await;
    let sent = receiver.received().len();
    app.dispatch_all_pending().await;
    assert_eq!(receiver.received().len(), sent, "nothing more was filed");
}

#[tokio::test]
async fn an_endpoint_failing_for_five_days_is_turned_off_and_its_owners_are_told() {
    let mut app = spawn_app().await;
    let down = Receiver::start(&[500]).await;
    let created = register(
        &app,
        json!({"url": down.url, "event_types": ["user.created"]}),
    )
    .await;
    let path = format!("{}/{}", hooks_path(&app), created["id"].as_str().unwrap());
    app.member(app.tenant_id, "member", &[]).await;
    app.dispatch_all_pending().await;
    let endpoint = app.get_json(&path, &app.owner_token).await;
    assert!(endpoint["failing_since"].is_string(), "{endpoint}");
    assert_eq!(endpoint["enabled"], true);

    // A day at a time: still on after four, off once five have passed with nothing but failures.
    let mut days = 0;
    let off = loop {
        app.clock.advance(chrono::Duration::days(1));
        days += 1;
        sign_in_again(&mut app).await;
        app.dispatch_all_pending().await;
        let endpoint = app.get_json(&path, &app.owner_token).await;
        if endpoint["enabled"] == false || days == 8 {
            break endpoint;
        }
    };
    assert_eq!(days, 5, "turned off on the fifth day: {off}");
    assert_eq!(off["disabled_reason"], "failing");
    let tried = down.received().len();
    assert!(tried >= 6, "tried on the schedule meanwhile: {tried}");
    let mails = app.mails_to(&app.owner_email).await;
    let told = mails
        .iter()
        .find(|m| m.mail.subject.contains("webhook"))
        .expect("the owner was told");
    assert!(told.mail.text.contains(&down.url), "{}", told.mail.text);
    let log = app
        .get_json(
            &format!(
                "/v1/tenants/{}/events?action=webhook.disabled",
                app.tenant_id
            ),
            &app.owner_token,
        )
        .await;
    assert_eq!(log["items"][0]["details"]["reason"], "failing");
    // Nothing more is sent to it; an admin turns it back on, and Usher's reason is gone.
    app.clock.advance(chrono::Duration::days(2));
    sign_in_again(&mut app).await;
    app.dispatch_all_pending().await;
    assert_eq!(down.received().len(), tried);
    let on = app
        .request(
            Method::PATCH,
            &path,
            Some(&app.owner_token),
            Some(json!({"enabled": true})),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(on["enabled"], true);
    assert!(
        on.get("disabled_reason").is_none() && on.get("failing_since").is_none(),
        "{on}"
    );

    // A receiver that recovers ends its streak.
    let flaky = Receiver::start(&[500, 200]).await;
    let created = register(
        &app,
        json!({"url": flaky.url, "event_types": ["user.archived"]}),
    )
    .await;
    let flaky_path = format!("{}/{}", hooks_path(&app), created["id"].as_str().unwrap());
    let (member, _, _) = app.member(app.tenant_id, "member", &[]).await;
    app.archive(&member).await;
    app.dispatch_all_pending().await;
    assert!(app.get_json(&flaky_path, &app.owner_token).await["failing_since"].is_string());
    app.clock.advance(chrono::Duration::minutes(1));
    app.dispatch_all_pending().await;
    assert_eq!(flaky.received().len(), 2);
    let healthy = app.get_json(&flaky_path, &app.owner_token).await;
    assert!(healthy.get("failing_since").is_none(), "{healthy}");
}

/// The whole delivery log of endpoint `id` in the main tenant, newest first.
async fn delivery_log(app: &TestApp, id: &str) -> Vec<Value> {
    let mut attempts = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get_json(
                &format!("{}/{id}/deliveries?limit=200{cursor}", hooks_path(app)),
                &app.owner_token,
            )
            .await;
        attempts.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return attempts,
        }
    }
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_a_huge_answer_is_not_read() {
    let app = spawn_app().await;
    // The redirect points at a receiver that would take it: it must get nothing.
    let target = Receiver::start(&[200]).await;
    let redirect = BadReceiver::start(Misbehaviour::Redirect(target.url.clone())).await;
    let huge = BadReceiver::start(Misbehaviour::HugeBody(10 * 1024 * 1024)).await;
    let types = json!(["user.created"]);
    let redirecting = register(&app, json!({"url": redirect.url, "event_types": types})).await;
    let answering = register(&app, json!({"url": huge.url, "event_types": types})).await;
    app.member(app.tenant_id, "member", &[]).await;
    app.dispatch_all_pending().await;

    assert_eq!(redirect.requests(), 1);
    assert!(
        target.received().is_empty(),
        "the redirect was not followed"
    );
    let log = delivery_log(&app, redirecting["id"].as_str().unwrap()).await;
    assert_eq!(
        (log[0]["status"].clone(), log[0]["success"].clone()),
        (json!(302), json!(false))
    );

    // 10 MB of answer: a success, of which the log keeps the first 200 characters.
    assert_eq!(huge.requests(), 1);
    let log = delivery_log(&app, answering["id"].as_str().unwrap()).await;
    assert_eq!(log[0]["success"], true);
    assert_eq!(log[0]["excerpt"].as_str().unwrap().len(), 200);
}

#[tokio::test]
async fn a_dead_or_hanging_endpoint_holds_up_no_other() {
    const EVENTS: usize = 1000;
    let app = spawn_app().await;
    let good = Receiver::start(&[200]).await;
    let hanging = BadReceiver::start(Misbehaviour::Hang).await;
    // A port nobody listens on any more: every connection is refused.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/hooks", listener.local_addr().unwrap())
    };
    let types = json!(["user.created"]);
    let hanging_id = register(&app, json!({"url": hanging.url, "event_types": types})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let dead_id = register(&app, json!({"url": dead, "event_types": types})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    register(&app, json!({"url": good.url, "event_types": types})).await;

    // A thousand people at once: a thousand events for each endpoint.
    let mut file = String::from("email,first_name,last_name,role,send_credentials\n");
    for n in 0..EVENTS {
        file.push_str(&format!("person{n}@example.org,Per,Son,member,no\n"));
    }
    let import = app.import_all(&file).await;
    assert_eq!(import["counts"]["created"], EVENTS, "{import}");

    // One pass delivered every event to the endpoint that answers; the hanging one was sent
    // no more than its few turns, the dead one was left alone once it refused.
    let ids: std::collections::BTreeSet<String> = good
        .received()
        .iter()
        .map(|r| r.headers["webhook-id"].clone())
        .collect();
    assert_eq!(ids.len(), EVENTS);
    assert!(
        hanging.requests() <= IN_FLIGHT,
        "{} requests to the hanging endpoint",
        hanging.requests()
    );
    // Only the attempts made are in the logs: the rest were held back, which is not an attempt.
    for (id, why) in [
        (&hanging_id, "no answer within 15 s"),
        (&dead_id, "no answer"),
    ] {
        let log = delivery_log(&app, id).await;
        assert!(
            !log.is_empty() && log.len() <= IN_FLIGHT,
            "{} attempts",
            log.len()
        );
        assert!(
            log.iter()
                .all(|a| a["success"] == false && a["excerpt"].as_str().unwrap().starts_with(why)),
            "{log:#?}"
        );
    }
    // Nothing is lost: every delivery to the two bad endpoints waits, and those held back have
    // not moved along their retry schedule.
    let waiting = waiting_deliveries(&app).await;
    assert_eq!(waiting.len(), 2 * EVENTS);
    let untried = waiting
        .iter()
        .filter(|(attempts, _)| *attempts == 0)
        .count();
    assert!(untried >= 2 * (EVENTS - IN_FLIGHT), "{untried} never tried");

    // After the rest, the dead endpoint is tried again: once or a few times, not a thousand.
    let tries = delivery_log(&app, &dead_id).await.len();
    app.clock.advance(chrono::Duration::seconds(31));
    app.dispatch_all_pending().await;
    let again = delivery_log(&app, &dead_id).await.len() - tries;
    assert!((1..=IN_FLIGHT).contains(&again), "{again} more attempts");
}

/// The webhook deliveries waiting in the outbox: the attempts each made, and when it is due.
async fn waiting_deliveries(app: &TestApp) -> Vec<(u32, chrono::DateTime<chrono::Utc>)> {
    app.outbox_items()
        .await
        .into_iter()
        .map(|item| {
            let record: usher_core::mail::OutboxRecord =
                usher_core::records::from_item(item).unwrap();
            (record.attempts, record.next_attempt_at)
        })
        .collect()
}

#[tokio::test]
async fn every_kind_of_change_meets_the_schema_published_for_its_type() {
    let app = spawn_app().await;
    let receiver = Receiver::start(&[200]).await;
    let secret = register(&app, json!({"url": receiver.url})).await["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    // People come and go, by hand, by import and by invitation; teams form; settings change.
    let (member, _, member_token) = app.member(app.tenant_id, "member", &[]).await;
    let team = app.make_team("Desk", None, &[]).await;
    let response = app
        .post(
            &format!("/v1/tenants/{}/teams/{team}/members", app.tenant_id),
            Some(&app.owner_token),
            json!({"user_id": member}),
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    app.archive(&member).await;
    app.import_all("email,first_name,last_name,role,send_credentials\nimported@example.org,Im,Ported,member,no\n")
        .await;
    app.invite_to_main("guest@example.org").await;
    let token = app.invitation_token_for("guest@example.org").await;
    assert!(app.accept_as_new(&token).await.status().is_success());
    let response = app
        .request(
            Method::PATCH,
            &format!("/v1/tenants/{}/settings", app.tenant_id),
            Some(&app.owner_token),
            Some(json!({"members_can_invite": true})),
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    drop(member_token);
    app.dispatch_all_pending().await;

    let received = receiver.received();
    let events = payloads(&verify_webhooks(&secret, &received).await);
    let mut types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    types.sort_unstable();
    types.dedup();
    for expected in [
        "user.created",
        "user.archived",
        "team.created",
        "team.member_added",
        "import.completed",
        "invitation.sent",
        "invitation.accepted",
        "tenant.updated",
    ] {
        assert!(types.contains(&expected), "{expected} not among {types:?}");
    }
    // Two changes to one person: the later carries the higher version.
    let version_of = |kind: &str| {
        events
            .iter()
            .find(|e| e["type"] == kind && e["data"]["user_id"] == member.as_str())
            .and_then(|e| e["version"].as_u64())
            .unwrap_or_else(|| panic!("no {kind} with a version for {member}"))
    };
    assert!(version_of("user.created") < version_of("user.archived"));
}

#[tokio::test]
async fn an_invitation_that_expires_unused_and_a_membership_made_or_ended_are_told_once() {
    let mut app = spawn_app().await;
    let receiver = Receiver::start(&[200]).await;
    let created = register(
        &app,
        json!({"url": receiver.url,
               "event_types": ["invitation.expired", "membership.created", "membership.removed"]}),
    )
    .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    let hook = created["id"].as_str().unwrap().to_owned();
    let lapsing = app.invite_to_main("lapsing@example.org").await;
    let resent = app.invite_to_main("resent@example.org").await;
    app.invite_to_main("accepting@example.org").await;
    let token = app.invitation_token_for("accepting@example.org").await;
    assert!(app.accept_as_new(&token).await.status().is_success());
    let (member, _, _) = app.member(app.tenant_id, "member", &[]).await;
    app.archive(&member).await;
    app.dispatch_all_pending().await;

    // Memberships: the invitee's and the member's made, the member's ended; each verifies and
    // meets its schema, with an id of its own.
    let events = payloads(&verify_webhooks(&secret, &receiver.received()).await);
    let told = |kind: &str| -> Vec<Value> {
        events
            .iter()
            .filter(|e| e["type"] == kind)
            .cloned()
            .collect()
    };
    assert_eq!(told("membership.created").len(), 2, "{events:#?}");
    assert!(
        told("membership.created")
            .iter()
            .any(|e| e["data"]["user_id"] == member.as_str())
    );
    let removed = told("membership.removed");
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0]["data"]["user_id"], member.as_str());
    assert!(removed[0]["id"].as_str().unwrap().ends_with("_membership"));
    assert!(
        told("invitation.expired").is_empty(),
        "nothing has expired yet"
    );

    // A day later one invitation is resent: its expiry moves a day on.
    app.clock.advance(chrono::Duration::days(1));
    sign_in_again(&mut app).await;
    let response = app
        .post(
            &format!(
                "/v1/tenants/{}/invitations/{}/resend",
                app.tenant_id,
                resent["id"].as_str().unwrap()
            ),
            Some(&app.owner_token),
            json!({}),
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    app.dispatch_all_pending().await;

    let expired_ids = |received: &[usher_tests::Received]| -> Vec<String> {
        received
            .iter()
            .filter_map(|r| {
                let body: Value = serde_json::from_slice(&r.body).unwrap();
                (body["type"] == "invitation.expired")
                    .then(|| body["data"]["invitation_id"].as_str().unwrap().to_owned())
            })
            .collect()
    };
    // Seven days after it was sent, the first has expired; the resent one has a day to go.
    app.clock
        .advance(chrono::Duration::days(6) + chrono::Duration::minutes(1));
    sign_in_again(&mut app).await;
    app.dispatch_all_pending().await;
    assert_eq!(
        expired_ids(&receiver.received()),
        [lapsing["id"].as_str().unwrap()]
    );
    app.clock.advance(chrono::Duration::days(1));
    app.dispatch_all_pending().await;
    app.clock.advance(chrono::Duration::days(8));
    app.dispatch_all_pending().await;
    assert_eq!(
        expired_ids(&receiver.received()),
        [
            lapsing["id"].as_str().unwrap(),
            resent["id"].as_str().unwrap()
        ],
        "each expiry told once; the accepted invitation never"
    );
    sign_in_again(&mut app).await;
    let log = app
        .get_json(
            &format!(
                "/v1/tenants/{}/events?action=invitation.expired",
                app.tenant_id
            ),
            &app.owner_token,
        )
        .await;
    assert_eq!(log["items"].as_array().unwrap().len(), 2);

    // A membership event is replayed by its own id, the same body again.
    let first = receiver
        .received()
        .into_iter()
        .find(|r| r.headers["webhook-id"].ends_with("_membership"))
        .unwrap();
    let response = app
        .post(
            &format!("{}/{hook}/replay", hooks_path(&app)),
            Some(&app.owner_token),
            json!({"event_id": first.headers["webhook-id"]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    app.dispatch_all_pending().await;
    let last = receiver.received().pop().unwrap();
    assert_eq!(last.headers["webhook-id"], first.headers["webhook-id"]);
    assert_eq!(last.body, first.body);
}

#[tokio::test]
async fn a_deployment_endpoint_hears_every_tenant_and_only_operator_keys_manage_it() {
    let app = spawn_app().await;
    let (_, key) = app.operator_key(&["webhooks.manage"]).await;
    let (_, tenants_key) = app.operator_key(&["tenants.admin", "tenants.read"]).await;
    let receiver = Receiver::start(&[200]).await;
    let response = app
        .post(
            "/v1/webhooks",
            Some(&key),
            json!({"url": receiver.url, "event_types": ["user.created"]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();

    // Not for a key without the scope, nor a tenant's owner, nor a session.
    for (caller, status) in [
        (&tenants_key, StatusCode::FORBIDDEN),
        (&app.owner_token, StatusCode::UNAUTHORIZED),
    ] {
        for (method, path) in [
            (Method::GET, "/v1/webhooks".to_owned()),
            (Method::GET, format!("/v1/webhooks/{id}")),
            (Method::DELETE, format!("/v1/webhooks/{id}")),
            (Method::POST, format!("/v1/webhooks/{id}/secret")),
        ] {
            let response = app.request(method.clone(), &path, Some(caller), None).await;
            assert_eq!(response.status(), status, "{method} {path}");
        }
    }
    // A tenant's admin does not see it among the tenant's, nor reach it by the tenant's path.
    let listed = app.get_json(&hooks_path(&app), &app.owner_token).await;
    assert!(listed["items"].as_array().unwrap().is_empty(), "{listed}");
    let response = app
        .get(&format!("{}/{id}", hooks_path(&app)), &app.owner_token)
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // Two tenants' changes both arrive, each saying its tenant, signed with its secret.
    let (other, _, other_owner) = app.new_tenant("Other").await;
    app.member(app.tenant_id, "member", &[]).await;
    app.create_user(
        other,
        &other_owner,
        json!({"email": "theirs@example.org", "first_name": "T", "last_name": "Heirs",
               "role": "member", "password": {"mode": "generate"}}),
    )
    .await;
    app.dispatch_all_pending().await;
    let events = payloads(&verify_webhooks(&secret, &receiver.received()).await);
    let mut tenants: Vec<&str> = events
        .iter()
        .map(|e| e["tenant_id"].as_str().unwrap())
        .collect();
    tenants.sort_unstable();
    let mut expected = vec![app.tenant_id.to_string(), other.to_string()];
    expected.sort();
    assert_eq!(tenants, expected, "{events:#?}");
    let log = app
        .get_json(&format!("/v1/webhooks/{id}/deliveries"), &key)
        .await;
    assert_eq!(log["items"].as_array().unwrap().len(), 2);

    // A replay names the tenant whose events to send again.
    let replay = format!("/v1/webhooks/{id}/replay");
    let problem = assert_problem(
        app.post(
            &replay,
            Some(&key),
            json!({"since": "2020-01-01T00:00:00Z"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    assert_eq!(problem["field"], "tenant_id");
    let response = app
        .post(
            &replay,
            Some(&key),
            json!({"since": "2020-01-01T00:00:00Z", "tenant_id": other}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_eq!(response.json::<Value>().await.unwrap()["queued"], 1);
    app.dispatch_all_pending().await;
    let last: Value = serde_json::from_slice(&receiver.received().pop().unwrap().body).unwrap();
    assert_eq!(last["tenant_id"], other.to_string());

    // Deleted: nothing more.
    let response = app
        .request(
            Method::DELETE,
            &format!("/v1/webhooks/{id}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let sent = receiver.received().len();
    app.member(app.tenant_id, "member", &[]).await;
    app.dispatch_all_pending().await;
    assert_eq!(receiver.received().len(), sent);
}

#[tokio::test]
async fn a_name_that_moves_to_a_forbidden_address_is_not_called_at_the_next_attempt() {
    let app = spawn_app().await;
    let receiver = Receiver::start(&[503, 200]).await;
    let port = receiver
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    let url = format!("http://hooks.rebind.test:{port}/hooks");
    // At registration the name resolves to the receiver (loopback: allowed in local mode).
    app.names.point("hooks.rebind.test", &["127.0.0.1"]);
    let created = register(&app, json!({"url": url, "event_types": ["user.created"]})).await;
    let id = created["id"].as_str().unwrap().to_owned();
    app.member(app.tenant_id, "member", &[]).await;
    app.dispatch_all_pending().await;
    assert_eq!(
        receiver.received().len(),
        1,
        "the first attempt, answered 503"
    );

    // Then it moves: to an address outside what this deployment may call, then to two at once
    // of which one is. No attempt connects; each says why in the log.
    for addresses in [&["10.0.0.7"][..], &["127.0.0.1", "169.254.169.254"][..]] {
        app.names.point("hooks.rebind.test", addresses);
        app.clock.advance(chrono::Duration::minutes(40));
        app.dispatch_all_pending().await;
        assert_eq!(
            receiver.received().len(),
            1,
            "never called at {addresses:?}"
        );
        let log = delivery_log(&app, &id).await;
        let refused = addresses.last().unwrap();
        assert!(
            log[0]["excerpt"].as_str().unwrap().contains(refused),
            "{:#?}",
            log[0]
        );
        assert!(log[0].get("status").is_none());
    }
    // Back on loopback: delivered.
    app.names.point("hooks.rebind.test", &["127.0.0.1"]);
    app.clock.advance(chrono::Duration::hours(3));
    app.dispatch_all_pending().await;
    assert_eq!(receiver.received().len(), 2);

    // Registering a name that resolves to a forbidden address is refused as a literal one is.
    app.names
        .point("inside.rebind.test", &["127.0.0.1", "10.1.1.1"]);
    let problem = assert_problem(
        app.post(
            &hooks_path(&app),
            Some(&app.owner_token),
            json!({"url": format!("http://inside.rebind.test:{port}/hooks")}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    assert_eq!(problem["field"], "url");
}

#[tokio::test]
async fn a_receiver_that_answers_slowly_but_in_time_is_a_success() {
    let app = spawn_app().await;
    let slow = BadReceiver::start(Misbehaviour::Slow(std::time::Duration::from_secs(2))).await;
    let created = register(
        &app,
        json!({"url": slow.url, "event_types": ["user.created"]}),
    )
    .await;
    app.member(app.tenant_id, "member", &[]).await;
    app.dispatch_all_pending().await;
    assert_eq!(slow.requests(), 1);
    let log = delivery_log(&app, created["id"].as_str().unwrap()).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["success"], true);
    assert!(log[0]["latency_ms"].as_u64().unwrap() >= 2000, "{log:#?}");
    assert!(
        app.outbox_items().await.is_empty(),
        "delivered: nothing left"
    );
}

#[tokio::test]
async fn a_replay_reads_a_long_log_a_bounded_stretch_at_a_time() {
    use usher_core::usecases::webhooks::replay::MAX_SCANNED;
    let app = spawn_app().await;
    let receiver = Receiver::start(&[200]).await;
    // An endpoint for a rare type: a change of settings, after more entries than one replay
    // reads.
    let created = register(
        &app,
        json!({"url": receiver.url, "event_types": ["tenant.updated"]}),
    )
    .await;
    let replay = format!(
        "{}/{}/replay",
        hooks_path(&app),
        created["id"].as_str().unwrap()
    );
    let since = app.clock.now().to_rfc3339();
    let mut file = String::from("email,first_name,last_name,role,send_credentials\n");
    for n in 0..MAX_SCANNED + 100 {
        file.push_str(&format!("long{n}@example.org,Lo,Ng,member,no\n"));
    }
    app.import_all(&file).await;
    // Later (the test's clock stands still, and the log's ids order by time first).
    app.clock.advance(chrono::Duration::seconds(1));
    let response = app
        .request(
            Method::PATCH,
            &format!("/v1/tenants/{}/settings", app.tenant_id),
            Some(&app.owner_token),
            Some(json!({"members_can_invite": true})),
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    app.dispatch_all_pending().await;
    assert_eq!(receiver.received().len(), 1, "the settings' change");

    // The first request stops after its stretch, with nothing found yet, and says where to go on.
    let first: Value = app
        .post(&replay, Some(&app.owner_token), json!({"since": since}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["queued"], 0, "{first}");
    let after = first["more_after"]
        .as_str()
        .expect("more to read")
        .to_owned();
    let second: Value = app
        .post(
            &replay,
            Some(&app.owner_token),
            json!({"since": since, "after": after}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second, json!({"queued": 1}));
    app.dispatch_all_pending().await;
    let received = receiver.received();
    assert_eq!(received.len(), 2);
    assert_eq!(
        received[0].body, received[1].body,
        "the same completion again"
    );
}

#[tokio::test]
async fn a_keys_webhooks_manage_ends_when_its_maker_is_no_longer_an_admin() {
    let app = spawn_app().await;
    let (admin_id, _, admin) = app.member(app.tenant_id, "admin", &["users.manage"]).await;
    let (_, key) = app
        .api_key(&admin, app.tenant_id, &["webhooks.manage", "users.manage"])
        .await;
    let listed = app.get(&hooks_path(&app), &key).await;
    assert_eq!(listed.status(), StatusCode::OK);
    // The admin becomes a member who still manages users: the key keeps users.manage only.
    let response = app
        .request(
            Method::PATCH,
            &format!("/v1/tenants/{}/users/{admin_id}", app.tenant_id),
            Some(&app.owner_token),
            Some(json!({"role": "member"})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_problem(
        app.get(&hooks_path(&app), &key).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_eq!(
        app.get(&format!("/v1/tenants/{}/users", app.tenant_id), &key)
            .await
            .status(),
        StatusCode::OK
    );
}
