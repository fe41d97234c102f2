//! Inbound email through the Lambda handler, fed the SES receipt events in `events/` (one per
//! rule), and the claims that need a table: one outcome per message however often it arrives,
//! one account per new sender however many of their messages arrive at once, held senders.

use lambda_runtime::{Context, LambdaEvent};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use usher_core::app::Config;
use usher_core::usecases::inbound::{Outcome, OutcomeKind};
use usher_tests::{Backend, GOOD_PASSWORD, Setup, TestApp, assert_problem, fixture, spawn};

const INBOX: &str = "help@desk.example";

async fn inbound_app(backend: Backend) -> TestApp {
    inbound_app_with(backend, |_| {}).await
}

/// As [`inbound_app`], with the configuration changed by `configure`.
async fn inbound_app_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> TestApp {
    let app = spawn(
        Setup {
            backend: Some(backend),
            ..Setup::default()
        },
        configure,
    )
    .await;
    app.settings(json!({"inbound": {"enabled": true, "addresses": [INBOX],
        "blocked_domains": ["blocked.example", "one@spam.example"]}}))
        .await;
    app
}

/// Runs the fixture `name` through the inbound function's handler, with `sender` and a fresh
/// message id (or `message_id`).
async fn deliver(
    app: &TestApp,
    name: &str,
    sender: &str,
    message_id: Option<&str>,
) -> Vec<Outcome> {
    let id = message_id.map_or_else(|| ulid::Ulid::new().to_string(), str::to_owned);
    let domain = sender.rsplit('@').next().unwrap();
    let text = fixture(
        &format!("{name}.json"),
        &[
            ("INBOX", INBOX),
            ("SENDER", sender),
            ("SENDER_DOMAIN", domain),
            ("MESSAGE_ID", &id),
        ],
    );
    let event = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let processed =
        usher_inbound_email::handler(&app.app, LambdaEvent::new(event, Context::default()))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:#}"));
    processed.outcomes
}

/// The one outcome of a fixture, as (outcome, reason).
async fn outcome_of(app: &TestApp, name: &str, sender: &str) -> (OutcomeKind, Option<String>) {
    let outcomes = deliver(app, name, sender, None).await;
    assert_eq!(outcomes.len(), 1, "{name}: {outcomes:?}");
    (outcomes[0].outcome, outcomes[0].reason.clone())
}

/// Posts a raw message to the local server's `/_local/inbound`: the status and the answer.
async fn post_eml(app: &TestApp, eml: impl Into<String>) -> (StatusCode, Value) {
    let response = app
        .http
        .post(app.url("/_local/inbound"))
        .body(eml.into())
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn every_rule_has_its_fixture_and_its_outcome() {
    let app = inbound_app(Backend::Embedded).await;
    let ignored = |reason: &str| (OutcomeKind::Ignored, Some(reason.to_owned()));
    let held = |reason: &str| (OutcomeKind::Held, Some(reason.to_owned()));
    let n = std::sync::atomic::AtomicUsize::new(0);
    let fresh = || {
        format!(
            "person{}@example.org",
            n.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        )
    };
    for (name, expected) in [
        ("inbound-virus", ignored("virus")),
        ("inbound-spam-fail", ignored("spam")),
        ("inbound-dmarc-fail", ignored("dmarc_fail")),
        ("inbound-spam-gray", held("spam_gray")),
        (
            "inbound-dmarc-gray-unauthenticated",
            held("unauthenticated"),
        ),
        (
            "inbound-dmarc-processing-failed",
            held("verdict_unavailable"),
        ),
        ("inbound-headers-truncated", held("headers_truncated")),
        (
            "inbound-auto-submitted",
            ignored("automated_auto_submitted"),
        ),
        ("inbound-precedence-bulk", ignored("automated_precedence")),
        ("inbound-list-id", ignored("automated_list_id")),
        (
            "inbound-list-unsubscribe",
            ignored("automated_list_unsubscribe"),
        ),
        (
            "inbound-auto-response-suppress",
            ignored("automated_auto_response_suppress"),
        ),
        ("inbound-x-loop", ignored("automated_x_loop")),
        ("inbound-bounce", ignored("automated_null_return_path")),
        (
            "inbound-delivery-report",
            ignored("automated_delivery_report"),
        ),
        ("inbound-two-senders", ignored("several_senders")),
        ("inbound-bad-sender", ignored("invalid_sender")),
        (
            "inbound-dmarc-gray-spf-aligned",
            (OutcomeKind::Created, None),
        ),
        (
            "inbound-dmarc-gray-dkim-aligned",
            (OutcomeKind::Created, None),
        ),
        ("inbound-new-person", (OutcomeKind::Created, None)),
    ] {
        let sender = fresh();
        assert_eq!(outcome_of(&app, name, &sender).await, expected, "{name}");
        let is_user = app.user_by_email(&sender).await.is_some();
        assert_eq!(
            is_user,
            expected.0 == OutcomeKind::Created,
            "{name}: a user made or not"
        );
    }
    // Loops: Usher's own address, and another tenant's inbound address.
    assert_eq!(
        outcome_of(&app, "inbound-loop", "no-reply@usher.localhost").await,
        ignored("loop")
    );
    let (other, _, other_owner) = app.new_tenant("Leasing").await;
    let response = app
        .request(
            Method::PATCH,
            &format!("/v1/tenants/{other}/settings"),
            Some(&other_owner),
            Some(json!({"inbound": {"enabled": true, "addresses": ["support@leasing.example"]}})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        outcome_of(&app, "inbound-loop", "support@leasing.example").await,
        ignored("loop")
    );
    // Blocked: a domain and its subdomains, an address and only it.
    for sender in [
        "x@blocked.example",
        "x@mail.blocked.example",
        "one@spam.example",
    ] {
        assert_eq!(
            outcome_of(&app, "inbound-blocked", sender).await,
            ignored("blocked")
        );
    }
    assert_eq!(
        outcome_of(&app, "inbound-blocked", "two@spam.example")
            .await
            .0,
        OutcomeKind::Created
    );
    // A member already: told, with auto_tickets and the id.
    let outcomes = deliver(&app, "inbound-member", &app.owner_email, None).await;
    assert_eq!(outcomes[0].outcome, OutcomeKind::Member);
    assert_eq!(outcomes[0].auto_tickets, Some(true));
    assert_eq!(
        outcomes[0].user_id.unwrap().to_string(),
        app.account_id_of(&app.owner_token).await
    );
    // An account of elsewhere is recorded for the help desk: the message's names, none of the
    // account's, and no access until the person accepts an invitation to their own address.
    let (_, elsewhere, _) = app.new_tenant("Chat Suite").await;
    assert_eq!(
        outcome_of(&app, "inbound-existing-account", &elsewhere)
            .await
            .0,
        OutcomeKind::Joined
    );
    let joined = app.user_by_email(&elsewhere).await.unwrap();
    assert_eq!(
        (joined["first_name"].as_str(), joined["last_name"].as_str()),
        (Some("Known"), Some("Elsewhere"))
    );
    assert_eq!(joined["created_via"], "inbound_email");
    assert_eq!(joined["access"], false);
    assert_eq!(joined["needs_consent"], true);
    assert_eq!(
        app.sign_in(&elsewhere, GOOD_PASSWORD).await.status(),
        StatusCode::CREATED
    );
    // Names: an RFC 2047 word, and "Last, First".
    outcome_of(&app, "inbound-rfc2047-name", "lk@example.pl").await;
    let user = app.user_by_email("lk@example.pl").await.unwrap();
    assert_eq!(
        (user["first_name"].as_str(), user["last_name"].as_str()),
        (Some("Łukasz"), Some("Kowalczyk"))
    );
    assert_eq!(user["name_source"], "display_name");
    outcome_of(&app, "inbound-last-first", "jk@example.pl").await;
    let user = app.user_by_email("jk@example.pl").await.unwrap();
    assert_eq!(
        (user["first_name"].as_str(), user["last_name"].as_str()),
        (Some("Jan"), Some("Kowalski"))
    );
    // An allow list keeps everyone else out.
    app.settings(json!({"inbound": {"enabled": true, "addresses": [INBOX], "allowed_domains": ["allowed.example"]}}))
        .await;
    assert_eq!(
        outcome_of(&app, "inbound-not-allowed", "x@elsewhere.example").await,
        ignored("not_allowed")
    );
    assert_eq!(
        outcome_of(&app, "inbound-not-allowed", "x@team.allowed.example")
            .await
            .0,
        OutcomeKind::Created
    );
    // The hourly cap: past it, new senders are held (this hour made several already).
    app.settings(
        json!({"inbound": {"enabled": true, "addresses": [INBOX], "max_new_users_per_hour": 3}}),
    )
    .await;
    assert_eq!(
        outcome_of(&app, "inbound-hourly-cap", "late@example.org").await,
        held("hourly_cap")
    );
    app.clock.advance(chrono::Duration::minutes(61));
    assert_eq!(
        outcome_of(&app, "inbound-hourly-cap", "later@example.org")
            .await
            .0,
        OutcomeKind::Created
    );
}

#[tokio::test]
async fn a_new_person_gets_no_mail_unless_the_tenant_grants_access() {
    let app = inbound_app(Backend::Embedded).await;
    outcome_of(&app, "inbound-new-person", "quiet@example.org").await;
    assert!(
        app.mails_to("quiet@example.org").await.is_empty(),
        "Usher never writes to an unknown sender"
    );
    let user = app.user_by_email("quiet@example.org").await.unwrap();
    assert_eq!(user["access"], false);
    assert_eq!(user["auto_tickets"], true);

    app.settings(json!({"default_locale": "pl", "inbound": {"enabled": true, "addresses": [INBOX], "grant_access": true}}))
        .await;
    outcome_of(&app, "inbound-new-person", "welcome@example.org").await;
    let user = app.user_by_email("welcome@example.org").await.unwrap();
    assert_eq!(user["access"], true);
    let mails = app.mails_to("welcome@example.org").await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].mail.subject.starts_with("Ustaw hasło"),
        "{}",
        mails[0].mail.subject
    );
    let link = app.reset_link_to("welcome@example.org").await;
    assert_eq!(
        app.reset(
            &usher_tests::token_of(&link),
            "amber lantern orchard 77 quiver"
        )
        .await
        .status(),
        StatusCode::NO_CONTENT
    );
    app.sign_in_token("welcome@example.org", "amber lantern orchard 77 quiver")
        .await;
}

#[tokio::test]
async fn a_message_has_one_outcome_however_often_it_arrives() {
    for backend in [Backend::Embedded, Backend::Dynamo] {
        let app = inbound_app(backend).await;
        let id = ulid::Ulid::new().to_string();
        let first = deliver(&app, "inbound-new-person", "twice@example.org", Some(&id)).await;
        let again = deliver(&app, "inbound-new-person", "twice@example.org", Some(&id)).await;
        assert_eq!(first, again, "{backend:?}");
        // Ten deliveries of one new message at once: one outcome, one account.
        let id = ulid::Ulid::new().to_string();
        let deliveries =
            (0..10).map(|_| deliver(&app, "inbound-new-person", "storm@example.org", Some(&id)));
        let outcomes = futures::future::join_all(deliveries).await;
        assert!(
            outcomes.iter().all(|o| *o == outcomes[0]),
            "{backend:?}: {outcomes:?}"
        );
        assert_eq!(outcomes[0][0].outcome, OutcomeKind::Created);
        let log: Value = app
            .get_json(
                &format!(
                    "/v1/tenants/{}/events?action=inbound.created",
                    app.tenant_id
                ),
                &app.owner_token,
            )
            .await;
        assert_eq!(
            log["items"].as_array().unwrap().len(),
            2,
            "{backend:?}: twice@ and storm@ once each"
        );
    }
}

#[tokio::test]
async fn different_messages_from_one_new_sender_at_once_make_one_account() {
    for backend in [Backend::Embedded, Backend::Dynamo] {
        let app = inbound_app(backend).await;
        let deliveries =
            (0..8).map(|_| deliver(&app, "inbound-new-person", "eager@example.org", None));
        let outcomes: Vec<OutcomeKind> = futures::future::join_all(deliveries)
            .await
            .into_iter()
            .map(|o| o[0].outcome)
            .collect();
        assert_eq!(
            outcomes
                .iter()
                .filter(|o| **o == OutcomeKind::Created)
                .count(),
            1,
            "{backend:?}: {outcomes:?}"
        );
        assert!(
            outcomes
                .iter()
                .all(|o| matches!(o, OutcomeKind::Created | OutcomeKind::Member))
        );
        let logins = app.partition("EMAIL#eager@example.org").await;
        assert_eq!(logins.len(), 1);
    }
}

#[tokio::test]
async fn held_senders_are_listed_approved_or_rejected_and_blocked() {
    let app = inbound_app(Backend::Embedded).await;
    let tenant = app.tenant_id;
    assert_eq!(
        outcome_of(&app, "inbound-spam-gray", "maybe@example.org")
            .await
            .0,
        OutcomeKind::Held
    );
    assert_eq!(
        outcome_of(
            &app,
            "inbound-dmarc-gray-unauthenticated",
            "spoof@spoof.example"
        )
        .await
        .0,
        OutcomeKind::Held
    );
    assert!(app.user_by_email("maybe@example.org").await.is_none());
    let path = format!("/v1/tenants/{tenant}/inbound/held");
    let page: Value = app.get_json(&path, &app.owner_token).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let id_of = |sender: &str| {
        items
            .iter()
            .find(|h| h["sender"] == sender)
            .map(|h| h["id"].as_str().unwrap().to_owned())
            .unwrap()
    };
    let (maybe, spoof) = (id_of("maybe@example.org"), id_of("spoof@spoof.example"));
    assert_eq!(
        items
            .iter()
            .find(|h| h["sender"] == "maybe@example.org")
            .unwrap()["reason"],
        "spam_gray"
    );

    // A member with users.manage may approve, not block; another tenant's owner reaches nothing.
    let (_, _, manager) = app.member(tenant, "member", &["users.manage"]).await;
    let (_, _, stranger) = app.new_tenant("Elsewhere").await;
    assert_problem(
        app.get(&path, &stranger).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.post(
            &format!("{path}/{maybe}/approve"),
            Some(&stranger),
            json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.post(
            &format!("{path}/{spoof}/reject"),
            Some(&manager),
            json!({"block": "domain"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    let approved: Value = app
        .post(
            &format!("{path}/{maybe}/approve"),
            Some(&manager),
            json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(approved["outcome"], "created");
    assert!(app.user_by_email("maybe@example.org").await.is_some());
    assert_problem(
        app.post(
            &format!("{path}/{maybe}/approve"),
            Some(&manager),
            json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    let rejected = app
        .post(
            &format!("{path}/{spoof}/reject"),
            Some(&app.owner_token),
            json!({"block": "domain"}),
        )
        .await;
    assert_eq!(rejected.status(), StatusCode::NO_CONTENT);
    let tenant_view: Value = app
        .get_json(&format!("/v1/tenants/{tenant}"), &app.owner_token)
        .await;
    let blocked = tenant_view["settings"]["inbound"]["blocked_domains"]
        .as_array()
        .unwrap();
    assert!(blocked.contains(&json!("spoof.example")));
    assert_eq!(
        outcome_of(&app, "inbound-new-person", "again@spoof.example")
            .await
            .1
            .as_deref(),
        Some("blocked")
    );
    let log: Value = app
        .get_json(
            &format!("/v1/tenants/{tenant}/events?limit=200"),
            &app.owner_token,
        )
        .await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "inbound.held",
        "inbound.approved",
        "inbound.rejected",
        "inbound.ignored",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    // The log carries the message id and the reason, never the subject.
    assert!(!log.to_string().contains("printer"));
}

/// DynamoDB round trips per message, pinned.
#[tokio::test]
async fn a_message_takes_the_pinned_number_of_round_trips() {
    let app = inbound_app(Backend::Embedded).await;
    let (_, elsewhere, _) = app.new_tenant("Chat Suite").await;
    let id = ulid::Ulid::new().to_string();
    app.counter.take();
    let mut measured = Vec::new();
    for (name, sender, message_id, expected) in [
        // The marker with the inbound addresses; the tenant, the login item and the cap; one
        // transaction.
        ("a new person", "rt-new@example.org", Some(id.as_str()), 3),
        // The same message again: its marker answers.
        (
            "the same message again",
            "rt-new@example.org",
            Some(id.as_str()),
            1,
        ),
        // An account of elsewhere: its account and membership are read once its login names it.
        ("an account of elsewhere", elsewhere.as_str(), None, 4),
        // A member: found as the account of elsewhere is; the transaction records the marker.
        ("a member", app.owner_email.as_str(), None, 4),
    ] {
        deliver(&app, "inbound-new-person", sender, message_id).await;
        let count = app.counter.take();
        measured.push((name, count));
        assert_eq!(count, expected, "{name}");
    }
    let spam = {
        deliver(&app, "inbound-virus", "rt-virus@example.org", None).await;
        app.counter.take()
    };
    assert_eq!(
        spam, 3,
        "a refused message: the reads and the transaction that records it"
    );
    for (name, count) in measured {
        println!("{count}  {name}");
    }
}

/// Locally, a raw message posted to `/_local/inbound` is processed the same way, and the
/// outcome page lists it.
#[tokio::test]
async fn a_raw_message_posted_locally_makes_a_user_and_shows_on_the_outcome_page() {
    let app = inbound_app(Backend::Embedded).await;
    let eml = format!(
        "Return-Path: <anna.nowak@example.pl>\r\nFrom: =?UTF-8?B?QW5uYSBOb3dhaw==?= <anna.nowak@example.pl>\r\nTo: {INBOX}\r\nSubject: Help\r\nMessage-ID: <local-1@example.pl>\r\n\r\n{}\r\n",
        "attachment ".repeat(10_000)
    );
    let (status, body) = post_eml(&app, eml.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["outcomes"][0]["outcome"], "created");
    let user = app.user_by_email("anna.nowak@example.pl").await.unwrap();
    assert_eq!(
        (user["first_name"].as_str(), user["last_name"].as_str()),
        (Some("Anna"), Some("Nowak"))
    );
    // With a DMARC failure given in the query: ignored.
    let spoofed = eml
        .replace("local-1", "local-2")
        .replace("anna.nowak", "mallory");
    let response = app
        .http
        .post(app.url("/_local/inbound?dmarc=FAIL"))
        .body(spoofed)
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["outcomes"][0]["reason"], "dmarc_fail");
    let page = app
        .http
        .get(app.url("/_local/inbound"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("anna.nowak@example.pl") && page.contains("created"));
    assert!(page.contains("dmarc_fail"));
    // Not a message at all: a problem, not a crash.
    let response = app
        .http
        .post(app.url("/_local/inbound"))
        .body("")
        .send()
        .await
        .unwrap();
    assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
}

/// Only the sender becomes a user, unless the tenant turns `include_cc` on; the tenant's own
/// addresses in Cc never do.
#[tokio::test]
async fn people_in_cc_become_users_only_with_include_cc() {
    let app = inbound_app(Backend::Embedded).await;
    let eml = |id: &str| {
        format!(
            "Return-Path: <sender@example.org>\r\nFrom: Sam Sender <sender@example.org>\r\nTo: {INBOX}\r\nCc: Carla Copied <carla@example.org>, {INBOX}, Usher <no-reply@usher.localhost>\r\nMessage-ID: <{id}@example.org>\r\n\r\nHi\r\n"
        )
    };
    let post = |body: String| async {
        let (_, body) = post_eml(&app, body).await;
        body["outcomes"].as_array().unwrap().clone()
    };
    let outcomes = post(eml("cc-1")).await;
    assert_eq!(outcomes.len(), 1);
    assert!(app.user_by_email("carla@example.org").await.is_none());
    app.settings(json!({"inbound": {"enabled": true, "addresses": [INBOX], "include_cc": true}}))
        .await;
    let outcomes = post(eml("cc-2")).await;
    let made: Vec<(&str, &str)> = outcomes
        .iter()
        .map(|o| {
            (
                o["sender"].as_str().unwrap(),
                o["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        made,
        [
            ("sender@example.org", "member"),
            ("carla@example.org", "created")
        ]
    );
    let carla = app.user_by_email("carla@example.org").await.unwrap();
    assert_eq!(carla["first_name"], "Carla");
}

/// `curl -X POST .../reject` with no body rejects and blocks nothing, as `{}` does.
#[tokio::test]
async fn a_held_sender_is_rejected_by_an_empty_post() {
    let app = inbound_app(Backend::Embedded).await;
    outcome_of(&app, "inbound-spam-gray", "held-quiet@example.org").await;
    let path = format!("/v1/tenants/{}/inbound/held", app.tenant_id);
    let page: Value = app.get_json(&path, &app.owner_token).await;
    let id = page["items"][0]["id"].as_str().unwrap().to_owned();
    let blocked = |tenant: Value| tenant["settings"]["inbound"]["blocked_domains"].clone();
    let tenant_path = format!("/v1/tenants/{}", app.tenant_id);
    let before = blocked(app.get_json(&tenant_path, &app.owner_token).await);
    let rejected = app
        .http
        .post(app.url(&format!("{path}/{id}/reject")))
        .bearer_auth(&app.owner_token)
        .send()
        .await
        .unwrap();
    assert_eq!(rejected.status(), StatusCode::NO_CONTENT);
    let page: Value = app.get_json(&path, &app.owner_token).await;
    assert!(page["items"].as_array().unwrap().is_empty(), "{page}");
    let after = blocked(app.get_json(&tenant_path, &app.owner_token).await);
    assert_eq!(after, before, "nothing more blocked");
}

/// Another tenant's admin reaches none of this tenant's held senders, through either path.
#[tokio::test]
async fn a_held_sender_is_decided_only_by_its_own_tenant() {
    let app = inbound_app(Backend::Embedded).await;
    outcome_of(&app, "inbound-spam-gray", "held-here@example.org").await;
    let page: Value = app
        .get_json(
            &format!("/v1/tenants/{}/inbound/held", app.tenant_id),
            &app.owner_token,
        )
        .await;
    let id = page["items"][0]["id"].as_str().unwrap().to_owned();
    let (other, _, other_owner) = app.new_tenant("Elsewhere").await;
    for path in [
        format!("/v1/tenants/{other}/inbound/held/{id}"),
        format!("/v1/tenants/{}/inbound/held/{id}", app.tenant_id),
    ] {
        assert_problem(
            app.post(&format!("{path}/approve"), Some(&other_owner), json!({}))
                .await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        assert_problem(
            app.post(
                &format!("{path}/reject"),
                Some(&other_owner),
                json!({"block": "domain"}),
            )
            .await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    let listed: Value = app
        .get_json(&format!("/v1/tenants/{other}/inbound/held"), &other_owner)
        .await;
    assert!(listed["items"].as_array().unwrap().is_empty());
    let still: Value = app
        .get_json(
            &format!("/v1/tenants/{}/inbound/held", app.tenant_id),
            &app.owner_token,
        )
        .await;
    assert_eq!(
        still["items"].as_array().unwrap().len(),
        1,
        "nothing was decided"
    );
    assert!(app.user_by_email("held-here@example.org").await.is_none());
}

/// A person new to Usher who writes to two tenants' help desks at once gets one account and a
/// membership in each (the message once failed whole on its two creations of one login item);
/// a Cc'd address that is also an envelope recipient is looked up like any other.
#[tokio::test]
async fn one_message_to_two_tenants_makes_one_account() {
    for backend in [Backend::Embedded, Backend::Dynamo] {
        let app = inbound_app(backend).await;
        app.settings(
            json!({"inbound": {"enabled": true, "addresses": [INBOX], "grant_access": true}}),
        )
        .await;
        let (other, _, other_owner) = app.new_tenant("Device Leasing").await;
        let patched = app
            .request(
                Method::PATCH,
                &format!("/v1/tenants/{other}/settings"),
                Some(&other_owner),
                Some(
                    json!({"inbound": {"enabled": true, "addresses": ["help@leasing.example"],
                    "grant_access": true}}),
                ),
            )
            .await;
        assert_eq!(patched.status(), StatusCode::OK);
        let eml = "From: Nina New <nina@example.org>\r\nTo: help@desk.example, help@leasing.example\r\nMessage-ID: <two-tenants@example.org>\r\n\r\nHi\r\n";
        let (status, body) = post_eml(&app, eml).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let outcomes = body["outcomes"].as_array().unwrap();
        assert_eq!(outcomes.len(), 2, "{body}");
        assert!(outcomes.iter().all(|o| o["outcome"] == "created"), "{body}");
        assert_eq!(
            outcomes[0]["user_id"], outcomes[1]["user_id"],
            "one account"
        );
        // Each tenant mailed its own link; the person chooses a password through either.
        assert_eq!(app.reset_links_to("nina@example.org").await.len(), 2);
    }
}

/// A display name that starts like a spreadsheet formula names nobody: the address does.
#[tokio::test]
async fn a_formula_display_name_falls_back_to_the_address() {
    let app = inbound_app(Backend::Embedded).await;
    let eml = "From: =HYPERLINK(\"http://x\") <jan.kowalski@example.pl>\r\nTo: help@desk.example\r\nMessage-ID: <formula@example.pl>\r\n\r\nHi\r\n";
    assert_eq!(post_eml(&app, eml).await.0, StatusCode::OK);
    let user = app.user_by_email("jan.kowalski@example.pl").await.unwrap();
    assert_eq!(
        (user["first_name"].as_str(), user["last_name"].as_str()),
        (Some("Jan"), Some("Kowalski"))
    );
    assert_eq!(user["name_source"], "address");
}

/// Two `From` fields are two senders, however a parser reads them: the message is ignored. A
/// machine's reply (`X-Autoreply`, `X-Autorespond`) makes nobody.
#[tokio::test]
async fn a_second_from_field_or_an_autoreply_makes_nobody() {
    let app = inbound_app(Backend::Embedded).await;
    let post = |eml: String| {
        let app = &app;
        async move {
            let (_, body) = post_eml(app, eml).await;
            (
                body["outcomes"][0]["outcome"].as_str().unwrap().to_owned(),
                body["outcomes"][0]["reason"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
            )
        }
    };
    let two = format!(
        "From: Real <real@example.org>\r\nFrom: The CFO <cfo@victim.example>\r\nTo: {INBOX}\r\nMessage-ID: <two-from@example.org>\r\n\r\nHi\r\n"
    );
    assert_eq!(
        post(two).await,
        ("ignored".into(), "several_senders".into())
    );
    for (header, reason) in [
        ("X-Autoreply", "x_autoreply"),
        ("X-Autorespond", "x_autorespond"),
    ] {
        let eml = format!(
            "From: Away <away@example.org>\r\n{header}: yes\r\nTo: {INBOX}\r\nMessage-ID: <{reason}@example.org>\r\n\r\nOut of office\r\n"
        );
        assert_eq!(
            post(eml).await,
            ("ignored".into(), format!("automated_{reason}"))
        );
    }
    for nobody in ["real@example.org", "cfo@victim.example", "away@example.org"] {
        assert!(app.user_by_email(nobody).await.is_none(), "{nobody}");
    }
}

/// The held senders of the test tenant, as (sender, id), newest first.
async fn held_list(app: &TestApp) -> Vec<(String, String)> {
    let page: Value = app
        .get_json(
            &format!("/v1/tenants/{}/inbound/held?limit=100", app.tenant_id),
            &app.owner_token,
        )
        .await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["sender"].as_str().unwrap().to_owned(),
                h["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// How full the test tenant's held queue is, as its listing says: (queued, limit).
async fn queue_fill(app: &TestApp) -> (u64, u64) {
    let page: Value = app
        .get_json(
            &format!("/v1/tenants/{}/inbound/held?limit=1", app.tenant_id),
            &app.owner_token,
        )
        .await;
    (
        page["queued"].as_u64().unwrap(),
        page["limit"].as_u64().unwrap(),
    )
}

/// A sender is held once however many messages they send, even at once, and a tenant holds at
/// most `held_senders_per_tenant` senders: past that, mail that would be held is ignored
/// (`held_queue_full`) until an admin decides, even when many senders write at once.
#[tokio::test]
async fn a_sender_is_held_once_and_the_held_queue_is_bounded() {
    for backend in [Backend::Embedded, Backend::Dynamo] {
        let app = inbound_app_with(backend, |config| config.held_senders_per_tenant = 2).await;
        let held_id = |outcomes: &[Outcome]| {
            assert_eq!(outcomes.len(), 1, "{outcomes:?}");
            assert_eq!(outcomes[0].outcome, OutcomeKind::Held, "{outcomes:?}");
            outcomes[0].held_id.unwrap().to_string()
        };
        // Five messages of one sender, three of them at once: one entry.
        let first = held_id(&deliver(&app, "inbound-spam-gray", "Repeat@example.org", None).await);
        let again = held_id(
            &deliver(
                &app,
                "inbound-dmarc-gray-unauthenticated",
                "repeat@example.org",
                None,
            )
            .await,
        );
        assert_eq!(first, again, "{backend:?}");
        let at_once = futures::future::join_all(
            (0..3).map(|_| deliver(&app, "inbound-spam-gray", "repeat@example.org", None)),
        )
        .await;
        for outcomes in &at_once {
            assert_eq!(held_id(outcomes), first, "{backend:?}");
        }
        assert_eq!(held_list(&app).await.len(), 1, "{backend:?}");
        // A new sender who writes twice at once: one entry, the second of two places.
        let pair = futures::future::join_all(
            (0..2).map(|_| deliver(&app, "inbound-spam-gray", "pair@example.org", None)),
        )
        .await;
        assert_eq!(held_id(&pair[0]), held_id(&pair[1]), "{backend:?}");
        let listed = held_list(&app).await;
        assert_eq!(listed.len(), 2, "{backend:?}: {listed:?}");
        assert_eq!(queue_fill(&app).await, (2, 2), "{backend:?}");
        // Full: the next sender is ignored and nothing is held for them.
        assert_eq!(
            outcome_of(&app, "inbound-spam-gray", "third@example.org").await,
            (OutcomeKind::Ignored, Some("held_queue_full".into())),
            "{backend:?}"
        );
        // Held senders still count as one each when they write again.
        assert_eq!(
            held_id(&deliver(&app, "inbound-spam-gray", "pair@example.org", None).await),
            held_id(&pair[0])
        );
        // Rejecting one makes room for one, and the rejected sender's next message is a new
        // entry; approving one makes room too.
        let path = format!("/v1/tenants/{}/inbound/held", app.tenant_id);
        let rejected = app
            .post(
                &format!("{path}/{first}/reject"),
                Some(&app.owner_token),
                json!({}),
            )
            .await;
        assert_eq!(rejected.status(), StatusCode::NO_CONTENT, "{backend:?}");
        assert_eq!(queue_fill(&app).await, (1, 2), "{backend:?}");
        let third = held_id(&deliver(&app, "inbound-spam-gray", "third@example.org", None).await);
        assert_eq!(
            outcome_of(&app, "inbound-spam-gray", "repeat@example.org").await,
            (OutcomeKind::Ignored, Some("held_queue_full".into())),
            "{backend:?}"
        );
        let approved = app
            .post(
                &format!("{path}/{third}/approve"),
                Some(&app.owner_token),
                json!({}),
            )
            .await;
        assert_eq!(approved.status(), StatusCode::OK, "{backend:?}");
        let repeat = held_id(&deliver(&app, "inbound-spam-gray", "repeat@example.org", None).await);
        assert_ne!(
            repeat, first,
            "{backend:?}: a new entry after the rejection"
        );
        // Full again; six new senders at once, after one decision: exactly one is held.
        let pair_id = held_id(&pair[0]);
        let rejected = app
            .post(
                &format!("{path}/{pair_id}/reject"),
                Some(&app.owner_token),
                json!({}),
            )
            .await;
        assert_eq!(rejected.status(), StatusCode::NO_CONTENT, "{backend:?}");
        let crowd = futures::future::join_all((0..6).map(|n| {
            let app = &app;
            let sender = format!("crowd{n}@example.org");
            async move { deliver(app, "inbound-spam-gray", &sender, None).await }
        }))
        .await;
        let kinds: Vec<(OutcomeKind, Option<String>)> = crowd
            .iter()
            .map(|o| (o[0].outcome, o[0].reason.clone()))
            .collect();
        assert_eq!(
            kinds.iter().filter(|k| k.0 == OutcomeKind::Held).count(),
            1,
            "{backend:?}: {kinds:?}"
        );
        assert!(
            kinds
                .iter()
                .all(|k| k.0 == OutcomeKind::Held || k.1.as_deref() == Some("held_queue_full")),
            "{backend:?}: {kinds:?}"
        );
        let senders: Vec<String> = held_list(&app).await.into_iter().map(|h| h.0).collect();
        assert_eq!(senders.len(), 2, "{backend:?}: {senders:?}");
        assert!(
            senders.contains(&"repeat@example.org".to_owned()),
            "{senders:?}"
        );
        assert_eq!(queue_fill(&app).await, (2, 2), "{backend:?}");
    }
}

/// A message to two inbound addresses of one tenant is decided once there: one outcome, one
/// user (it once failed whole, writing the same membership twice in its transaction).
#[tokio::test]
async fn a_message_to_two_addresses_of_one_tenant_has_one_outcome() {
    for backend in [Backend::Embedded, Backend::Dynamo] {
        let app = inbound_app(backend).await;
        app.settings(json!({"inbound": {"enabled": true,
            "addresses": [INBOX, "support@desk.example"]}}))
            .await;
        let eml = "From: Ola <ola@example.org>\r\nTo: help@desk.example, support@desk.example\r\nMessage-ID: <two-addresses@example.org>\r\n\r\nHi\r\n";
        let (status, body) = post_eml(&app, eml).await;
        assert_eq!(status, StatusCode::OK, "{backend:?}: {body}");
        let outcomes = body["outcomes"].as_array().unwrap();
        assert_eq!(outcomes.len(), 1, "{backend:?}: {body}");
        assert_eq!(outcomes[0]["outcome"], "created", "{backend:?}: {body}");
        assert!(app.user_by_email("ola@example.org").await.is_some());
    }
}

/// A sender held by a release before the queue was bounded has no mark and was never counted:
/// deciding on that entry leaves the newer entry's mark and the count alone.
#[tokio::test]
async fn an_entry_held_before_the_queue_was_bounded_is_decided_without_touching_the_count() {
    use usher_core::domain::{EmailAddress, HeldId};
    use usher_core::records::{HeldSenderRecord, to_item};
    use usher_core::table::Op;

    for backend in [Backend::Embedded, Backend::Dynamo] {
        let app = inbound_app_with(backend, |config| config.held_senders_per_tenant = 1).await;
        let old_id = HeldId::from_ulid(ulid::Ulid::new());
        let old = HeldSenderRecord {
            id: old_id,
            tenant_id: app.tenant_id,
            sender: EmailAddress::parse("early@example.org").unwrap(),
            display_name: None,
            reason: "spam_gray".into(),
            message_id: "before-the-bound".into(),
            received_at: chrono::Utc::now(),
            queued: false,
            address: None,
        };
        let item = to_item(&usher_core::keys::held(app.tenant_id, old_id), &old, None).unwrap();
        app.app.table.transact(vec![Op::put(item)]).await.unwrap();
        // The sender writes again: a queued entry of their own, the one place the queue has.
        let outcomes = deliver(&app, "inbound-spam-gray", "early@example.org", None).await;
        let queued = outcomes[0].held_id.unwrap().to_string();
        assert_ne!(queued, old_id.to_string(), "{backend:?}");
        assert_eq!(held_list(&app).await.len(), 2, "{backend:?}");
        // Rejecting the old entry frees no place and keeps the new entry's mark.
        let path = format!("/v1/tenants/{}/inbound/held", app.tenant_id);
        let rejected = app
            .post(
                &format!("{path}/{old_id}/reject"),
                Some(&app.owner_token),
                json!({}),
            )
            .await;
        assert_eq!(rejected.status(), StatusCode::NO_CONTENT, "{backend:?}");
        assert_eq!(queue_fill(&app).await, (1, 1), "{backend:?}");
        let again = deliver(&app, "inbound-spam-gray", "early@example.org", None).await;
        assert_eq!(again[0].held_id.unwrap().to_string(), queued, "{backend:?}");
        assert_eq!(
            outcome_of(&app, "inbound-spam-gray", "later@example.org").await,
            (OutcomeKind::Ignored, Some("held_queue_full".into())),
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn a_suspended_tenant_takes_no_mail_until_it_is_resumed() {
    let app = inbound_app(Backend::Embedded).await;
    let (_, key) = app.operator_key(&["tenants.suspend"]).await;
    let tenant = format!("/v1/tenants/{}", app.tenant_id);
    let response = app
        .post(
            &format!("{tenant}/suspend"),
            Some(&key),
            json!({"reason": "Unpaid"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let outcomes = deliver(&app, "inbound-new-person", "paused@example.org", None).await;
    assert!(outcomes.is_empty(), "{outcomes:?}");
    let response = app
        .post(&format!("{tenant}/resume"), Some(&key), json!({}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(app.user_by_email("paused@example.org").await.is_none());
    let (outcome, _) = outcome_of(&app, "inbound-new-person", "paused@example.org").await;
    assert_eq!(outcome, OutcomeKind::Created);
}

#[tokio::test]
async fn a_person_made_from_mail_joins_the_default_teams_and_the_addresss_team() {
    let app = inbound_app(Backend::Embedded).await;
    let requesters = app.make_team("Requesters", None, &[]).await;
    let desk = app.make_team("Desk", None, &[]).await;
    let settings = format!("/v1/tenants/{}/settings", app.tenant_id);
    let patch =
        |body: Value| app.request(Method::PATCH, &settings, Some(&app.owner_token), Some(body));
    // A team for an address the tenant does not list, or a team that is not one: refused.
    let problem = assert_problem(
        patch(json!({"inbound": {"enabled": true, "addresses": [INBOX],
            "teams": [{"address": "other@desk.example", "team_id": desk}]}}))
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    assert_eq!(problem["field"], "inbound.teams");
    let problem = assert_problem(
        patch(json!({"inbound": {"enabled": true, "addresses": [INBOX],
            "teams": [{"address": INBOX, "team_id": ulid::Ulid::new().to_string()}]}}))
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_team",
    )
    .await;
    assert_eq!(problem["field"], "inbound.teams");
    let response = patch(json!({"default_teams": [requesters],
        "inbound": {"enabled": true, "addresses": [INBOX],
                    "teams": [{"address": INBOX, "team_id": desk}]}}))
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    outcome_of(&app, "inbound-new-person", "asker@example.org").await;
    // The places come with the job the message's transaction filed.
    app.dispatch_all_pending().await;
    let user = app.user_by_email("asker@example.org").await.unwrap();
    let mut expected = vec![requesters.clone(), desk.clone()];
    expected.sort();
    assert_eq!(user["teams"], json!(expected));
    // The team has her once.
    let members = app
        .get_json(
            &format!("/v1/tenants/{}/teams/{desk}/members", app.tenant_id),
            &app.owner_token,
        )
        .await;
    assert_eq!(members["items"].as_array().unwrap().len(), 1);

    // A sender held, then approved, joins the team of the address they wrote to.
    assert_eq!(
        outcome_of(&app, "inbound-spam-gray", "later@example.org")
            .await
            .0,
        OutcomeKind::Held
    );
    let held = format!("/v1/tenants/{}/inbound/held", app.tenant_id);
    let page = app.get_json(&held, &app.owner_token).await;
    let id = page["items"][0]["id"].as_str().unwrap().to_owned();
    let approved = app
        .post(
            &format!("{held}/{id}/approve"),
            Some(&app.owner_token),
            json!({}),
        )
        .await;
    assert_eq!(approved.status(), StatusCode::OK);
    app.dispatch_all_pending().await;
    let later = app.user_by_email("later@example.org").await.unwrap();
    assert_eq!(later["teams"], json!(expected));
}
