//! Password reset: forgot requests, reset links and their single use, admin-initiated resets.

use chrono::Duration;
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};
use usher_core::clock::Clock;
use usher_core::domain::{AccountId, TenantId};
use usher_core::keys;
use usher_core::table::Op;
use usher_tests::{
    Backend, GOOD_PASSWORD, TestApp, assert_problem, spawn_app, spawn_app_on, token_of,
};

pub(crate) const NEW_PASSWORD: &str = "amber lantern orchard 77 quiver";

pub(crate) fn email(prefix: &str) -> String {
    format!(
        "{prefix}-{}@example.org",
        ulid::Ulid::new().to_string().to_lowercase()
    )
}

/// A member created in `mode` `link`: an account with no password yet.
pub(crate) async fn user_without_password(app: &TestApp, email: &str) -> String {
    let response = app
        .create_user(
            app.tenant_id,
            &app.owner_token,
            json!({"email": email, "first_name": "Lea", "last_name": "Link", "role": "member",
                   "locale": "it", "password": {"mode": "link"}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["user"]["id"].as_str().unwrap().to_owned()
}

/// Archives the membership, both of its items, straight in the table.
pub(crate) async fn archive(app: &TestApp, tenant: TenantId, account: &str) {
    let account: AccountId = account.parse().unwrap();
    let mut ops = Vec::new();
    for key in [
        keys::membership(tenant, account),
        keys::account_tenant(account, tenant),
    ] {
        let mut item = app.table.get(&key).await.unwrap().unwrap();
        item.insert("status".into(), "archived".into());
        ops.push(Op::put(item));
    }
    app.table.transact(ops).await.unwrap();
}

/// Everything of a response a client sees, but the date.
pub(crate) async fn visible(
    response: reqwest::Response,
) -> (StatusCode, Vec<(String, String)>, Vec<u8>) {
    let status = response.status();
    let mut headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| name.as_str() != "date")
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
        .collect();
    headers.sort();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

/// The audit events of `tenant` with `action`, from its log (each also has a copy in its
/// subject's history).
pub(crate) async fn events(app: &TestApp, tenant: TenantId, action: &str) -> Vec<Value> {
    app.partition(&keys::tenant_pk(tenant))
        .await
        .into_iter()
        .filter(|item| {
            item["sk"].as_str().unwrap().starts_with(keys::EVENT_PREFIX) && item["action"] == action
        })
        .map(Value::Object)
        .collect()
}

#[tokio::test]
async fn forgot_answers_byte_for_byte_the_same_whoever_the_email_belongs_to() {
    let app = spawn_app().await;
    let (_, active, _) = app.member(app.tenant_id, "member", &[]).await;
    let (archived_id, archived, _) = app.member(app.tenant_id, "member", &[]).await;
    archive(&app, app.tenant_id, &archived_id).await;
    let no_password = email("nopass");
    user_without_password(&app, &no_password).await;
    app.dispatch_all_pending().await;
    let before = app.mailer.list().await.len();

    let mut answers = Vec::new();
    for email in [&active, &archived, &no_password, "nobody@example.org"] {
        answers.push(visible(app.forgot(email).await).await);
    }
    assert_eq!(answers[0].0, StatusCode::ACCEPTED);
    for answer in &answers[1..] {
        assert_eq!(answer, &answers[0]);
    }

    // Behind the same answer: a link for the active account and for the one without a password
    // (its only way in), nothing for the archived one or the unknown email.
    assert_eq!(app.mails_to(&active).await.len(), 1);
    let requested = events(&app, app.tenant_id, "password.reset_requested").await;
    assert_eq!(
        requested.len(),
        2,
        "the active account's and the one without a password"
    );
    assert!(requested.iter().all(|e| e.get("actor_id").is_none()));
    assert_eq!(
        app.mails_to(&no_password).await.len(),
        2,
        "set-password mail, then the reset"
    );
    assert!(
        app.mails_to(&archived).await.is_empty(),
        "an account archived everywhere gets no link"
    );
    assert_eq!(app.mailer.list().await.len(), before + 2);
}

#[tokio::test]
async fn the_link_goes_to_the_stored_address_never_the_typed_one_or_the_notification_one() {
    let app = spawn_app().await;
    let response = app
        .create_user(
            app.tenant_id,
            &app.owner_token,
            json!({"email": "cleo@example.org", "notification_email": "desk@example.net",
                   "first_name": "Cleo", "last_name": "Stored", "role": "member",
                   "password": {"mode": "set", "value": GOOD_PASSWORD}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    app.dispatch_all_pending().await;
    let before = app.mailer.list().await.len();

    let response = app.forgot("CLEO@Example.ORG").await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    app.dispatch_all_pending().await;
    let mails = app.mailer.list().await;
    assert_eq!(mails.len(), before + 1);
    assert_eq!(mails[0].mail.to.as_str(), "cleo@example.org");
    assert_eq!(mails[0].mail.subject, "Reset your password");
    assert!(mails[0].links[0].starts_with(&format!("{}/reset/", app.base)));
}

#[tokio::test]
async fn an_account_gets_at_most_three_reset_mails_an_hour() {
    let app = spawn_app().await;
    let (_, member, _) = app.member(app.tenant_id, "member", &[]).await;
    for _ in 0..5 {
        assert_eq!(app.forgot(&member).await.status(), StatusCode::ACCEPTED);
    }
    assert_eq!(app.mails_to(&member).await.len(), 3);

    app.clock.advance(Duration::minutes(61));
    assert_eq!(app.forgot(&member).await.status(), StatusCode::ACCEPTED);
    assert_eq!(
        app.mails_to(&member).await.len(),
        4,
        "a new hour, a new mail"
    );
}

#[tokio::test]
async fn a_reset_sets_the_password_ends_every_session_and_is_recorded_in_every_tenant() {
    let app = spawn_app().await;
    let (member_id, member, session) = app.member(app.tenant_id, "member", &[]).await;
    // The same person in a second tenant.
    let (second, _, second_owner) = app.new_tenant("Ufficio Virtuale").await;
    app.join_through_invitation(second, &second_owner, &member, GOOD_PASSWORD)
        .await;

    let token = app.reset_token_for(&member).await;
    let response = app.reset(&token, NEW_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(
        response.bytes().await.unwrap().is_empty(),
        "no session is handed out"
    );

    assert_eq!(
        app.get("/v1/me", &session).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.sign_in(&member, GOOD_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.sign_in_token(&member, NEW_PASSWORD).await;

    let mails = app.mails_to(&member).await;
    let changed = mails
        .iter()
        .find(|m| m.mail.subject == "Your password was changed")
        .expect("a password-changed mail");
    assert!(!changed.mail.text.contains(NEW_PASSWORD));

    for tenant in [app.tenant_id, second] {
        let recorded = events(&app, tenant, "password.reset").await;
        assert_eq!(recorded.len(), 1, "in tenant {tenant}");
        // And in the person's own history there.
        let history = keys::history_prefix(member_id.parse().unwrap());
        let copies = app
            .partition(&keys::tenant_pk(tenant))
            .await
            .into_iter()
            .filter(|i| {
                i["sk"].as_str().unwrap().starts_with(&history) && i["action"] == "password.reset"
            })
            .count();
        assert_eq!(copies, 1, "in the history in tenant {tenant}");
        assert_eq!(recorded[0]["subject_id"], member_id);
        assert_eq!(recorded[0]["actor_id"], member_id);
    }

    let again = app.reset(&token, "another fine password 1984 x").await;
    assert_problem(again, StatusCode::GONE, "token_used").await;
}

#[tokio::test]
async fn a_link_expires_after_sixty_minutes_and_is_kept_a_week_to_say_so() {
    let app = spawn_app().await;
    let (_, member, _) = app.member(app.tenant_id, "member", &[]).await;
    let token = app.reset_token_for(&member).await;
    let secret = usher_core::token::SecretToken::parse(&token).unwrap();
    let stored = app
        .table
        .get(&keys::token(&secret.hash()))
        .await
        .unwrap()
        .unwrap();
    assert!(!Value::Object(stored.clone()).to_string().contains(&token));
    let issued = app.clock.now();
    assert_eq!(
        stored["ttl"].as_i64().unwrap(),
        (issued + Duration::minutes(60) + Duration::days(7)).timestamp()
    );

    app.clock.advance(Duration::minutes(59));
    let page = app.reset_page(&token).await;
    assert_eq!(page.status(), StatusCode::OK);

    app.clock.advance(Duration::minutes(2));
    let page = app.reset_page(&token).await;
    assert_eq!(page.status(), StatusCode::GONE);
    assert!(page.text().await.unwrap().contains("This link has expired"));
    let response = app.reset(&token, NEW_PASSWORD).await;
    assert_problem(response, StatusCode::GONE, "token_expired").await;
    app.sign_in_token(&member, GOOD_PASSWORD).await;
}

#[tokio::test]
async fn a_link_issued_before_the_last_password_change_is_dead() {
    let app = spawn_app().await;
    let (_, member, session) = app.member(app.tenant_id, "member", &[]).await;
    let token = app.reset_token_for(&member).await;
    let response = app
        .change_password(&session, GOOD_PASSWORD, NEW_PASSWORD)
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    let page = app.reset_page(&token).await;
    assert_eq!(page.status(), StatusCode::GONE);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("This link is no longer valid")
    );
    let response = app.reset(&token, "another fine password 1984 x").await;
    assert_problem(response, StatusCode::GONE, "token_expired").await;
    app.sign_in_token(&member, NEW_PASSWORD).await;

    // Of two links, the first one used kills the other.
    let first = app.reset_token_for(&member).await;
    app.clock.advance(Duration::seconds(1));
    let second = app.reset_token_for(&member).await;
    assert_ne!(first, second);
    assert_eq!(
        app.reset(&second, GOOD_PASSWORD).await.status(),
        StatusCode::NO_CONTENT
    );
    let response = app.reset(&first, "another fine password 1984 x").await;
    assert_problem(response, StatusCode::GONE, "token_expired").await;
}

async fn fifty_parallel_claims(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let (_, member, _) = app.member(app.tenant_id, "member", &[]).await;
    let token = app.reset_token_for(&member).await;
    let passwords: Vec<String> = (0..50)
        .map(|i| format!("parallel orchard lantern {i:02} quiver"))
        .collect();
    let answers = join_all(passwords.iter().map(|p| app.reset(&token, p))).await;
    let mut winners = Vec::new();
    for (answer, password) in answers.into_iter().zip(&passwords) {
        match answer.status() {
            StatusCode::NO_CONTENT => winners.push(password.clone()),
            StatusCode::GONE => {
                assert_problem(answer, StatusCode::GONE, "token_used").await;
            }
            StatusCode::CONFLICT => {
                assert_problem(answer, StatusCode::CONFLICT, "conflict").await;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one submission wins");
    app.sign_in_token(&member, &winners[0]).await;
    let changed = app
        .mails_to(&member)
        .await
        .into_iter()
        .filter(|m| m.mail.subject == "Your password was changed")
        .count();
    assert_eq!(changed, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_submissions_of_one_link_give_one_success_embedded() {
    fifty_parallel_claims(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_submissions_of_one_link_give_one_success_on_dynamodb() {
    fifty_parallel_claims(Backend::Dynamo).await;
}

#[tokio::test]
async fn the_set_password_link_of_mode_link_lasts_seven_days_and_asks_to_choose() {
    let app = spawn_app().await;
    let lea = email("lea");
    user_without_password(&app, &lea).await;
    let late = email("late");
    user_without_password(&app, &late).await;
    let mails = app.mails_to(&lea).await;
    assert!(mails[0].mail.subject.starts_with("Scegli la tua password"));
    let token = token_of(&app.reset_link_to(&lea).await);

    app.clock.advance(Duration::days(6));
    let page = app.reset_page(&token).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=\"it\">"), "the account's locale");
    assert!(html.contains("<h1>Scegli la tua password</h1>"));
    assert_eq!(
        app.reset(&token, NEW_PASSWORD).await.status(),
        StatusCode::NO_CONTENT
    );
    let signed_in: Value = app.sign_in(&lea, NEW_PASSWORD).await.json().await.unwrap();
    assert_eq!(signed_in["password_change_required"], false);
    assert_eq!(events(&app, app.tenant_id, "password.set").await.len(), 1);
    let subjects: Vec<String> = app
        .mails_to(&lea)
        .await
        .into_iter()
        .map(|m| m.mail.subject)
        .collect();
    assert!(
        subjects.contains(&"La tua password è impostata".to_owned()),
        "a first password is 'set', not 'changed': {subjects:?}"
    );

    let token = token_of(&app.reset_link_to(&late).await);
    app.clock.advance(Duration::days(1) + Duration::minutes(1));
    assert_problem(
        app.reset(&token, NEW_PASSWORD).await,
        StatusCode::GONE,
        "token_expired",
    )
    .await;
}

/// Stores a first-password link the way links were stored before they carried the email and
/// the login's version.
async fn legacy_link(app: &TestApp, account: &str) -> String {
    let secret = usher_core::token::SecretToken::generate(&usher_core::clock::OsRandom);
    let now = app.clock.now();
    let record = usher_core::records::TokenRecord {
        kind: usher_core::records::TokenKind::SetPassword,
        account_id: Some(account.parse().unwrap()),
        tenant_id: Some(app.tenant_id),
        issued_at: now,
        expires_at: now + Duration::days(7),
        used_at: None,
        email: None,
        locale: None,
        login_version: None,
        invitation_id: None,
        invited_by: None,
        registration: None,
        version: 1,
    };
    let item = usher_core::records::to_item(&keys::token(&secret.hash()), &record, None).unwrap();
    app.table.transact(vec![Op::put(item)]).await.unwrap();
    secret.expose().to_owned()
}

#[tokio::test]
async fn first_password_links_stored_before_links_carried_the_email_still_work_once() {
    let app = spawn_app().await;
    let lea = email("legacy");
    let id = user_without_password(&app, &lea).await;
    let first = legacy_link(&app, &id).await;
    let second = legacy_link(&app, &id).await;
    assert_eq!(app.reset_page(&first).await.status(), StatusCode::OK);

    app.clock.advance(Duration::seconds(1));
    assert_eq!(
        app.reset(&first, NEW_PASSWORD).await.status(),
        StatusCode::NO_CONTENT
    );
    app.sign_in_token(&lea, NEW_PASSWORD).await;
    assert_problem(
        app.reset(&first, GOOD_PASSWORD).await,
        StatusCode::GONE,
        "token_used",
    )
    .await;
    assert_problem(
        app.reset(&second, GOOD_PASSWORD).await,
        StatusCode::GONE,
        "token_expired",
    )
    .await;
}

/// Point 1: a set-password link goes to the login address, never to the notification address.
#[tokio::test]
async fn a_set_password_link_never_goes_to_the_notification_address() {
    let app = spawn_app().await;
    let response = app
        .create_user(
            app.tenant_id,
            &app.owner_token,
            json!({"email": "victim@example.org", "first_name": "Vic", "last_name": "Tim",
                   "role": "member", "notification_email": "admin-controlled@example.net",
                   "password": {"mode": "link"}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(
        app.mails_to("admin-controlled@example.net")
            .await
            .is_empty()
    );
    assert_eq!(app.reset_links_to("victim@example.org").await.len(), 1);
}
