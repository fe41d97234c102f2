//! Bad input to the password-reset routes: a clear 4xx problem with a stable code, and nothing
//! changed.

use reqwest::StatusCode;
use serde_json::{Value, json};
use usher_core::keys;
use usher_core::records::{TokenKind, TokenRecord, to_item};
use usher_core::table::Op;
use usher_core::token::SecretToken;
use usher_tests::{GOOD_PASSWORD, TestApp, assert_problem, spawn_app, token_of};

/// A fresh reset link for the member, asked for by the owner (not rate limited).
async fn admin_link(app: &TestApp, user_id: &str, email: &str) -> String {
    let before = app.reset_links_to(email).await;
    let response = app
        .admin_reset(app.tenant_id, user_id, &app.owner_token, "link")
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    token_of(&app.new_reset_link_to(email, &before).await)
}

#[tokio::test]
async fn forgot_refuses_anything_but_one_plain_email_address_and_files_nothing() {
    let app = spawn_app().await;
    let (_, member, _) = app.member(app.tenant_id, "member", &[]).await;
    app.dispatch_all_pending().await;
    let bodies = [
        // GitLab CVE-2023-7028: several addresses where one is expected.
        json!({"email": [member, "attacker@example.net"]}),
        json!({"email": {"email": member}}),
        json!({"email": 42}),
        json!({"email": null}),
        json!({}),
        json!({"email": member, "also": "attacker@example.net"}),
        json!({"email": format!("{member},attacker@example.net")}),
        json!({"email": format!("{member} attacker@example.net")}),
        json!({"email": format!("{member}\r\nBcc: attacker@example.net")}),
        json!({"email": format!("{member}\nattacker@example.net")}),
        // Look-alikes that case folding would turn into someone else's address.
        json!({"email": "\u{212A}elvin@example.org"}),
        json!({"email": "adm\u{0131}n@example.org"}),
        json!({"email": "ada\u{FF20}example.org"}),
        json!({"email": "ada@exa\u{0301}mple.org"}),
        json!({"email": ""}),
    ];
    for body in bodies {
        let response = app.post("/v1/password/forgot", None, body.clone()).await;
        let problem = assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        )
        .await;
        assert!(
            problem["field"].as_str().unwrap().starts_with("email")
                || problem["field"] == "body"
                || problem["field"] == "also",
            "{body}: {problem}"
        );
    }
    let response = app
        .http
        .post(app.url("/v1/password/forgot"))
        .header("content-type", "text/plain")
        .body(member.clone())
        .send()
        .await
        .unwrap();
    assert_problem(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    assert!(app.outbox_items().await.is_empty(), "nothing was filed");
    assert!(app.mails_to(&member).await.is_empty());
}

#[tokio::test]
async fn links_use_the_public_url_whatever_host_the_request_names() {
    let app = spawn_app().await;
    let (_, member, _) = app.member(app.tenant_id, "member", &[]).await;
    let response = app
        .http
        .post(app.url("/v1/password/forgot"))
        .header("host", "evil.example")
        .header("x-forwarded-host", "evil.example")
        .header("forwarded", "host=evil.example;proto=https")
        .json(&json!({"email": member}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let link = app.reset_link_to(&member).await;
    assert!(link.starts_with(&format!("{}/reset/", app.base)), "{link}");
    let mail = &app.mails_to(&member).await[0];
    assert!(!mail.mail.text.contains("evil.example") && !mail.mail.html.contains("evil.example"));
}

#[tokio::test]
async fn reset_refuses_every_token_that_is_not_exactly_a_password_link() {
    let app = spawn_app().await;
    let (member_id, member, session) = app.member(app.tenant_id, "member", &[]).await;
    let token = admin_link(&app, &member_id, &member).await;

    let flipped: String = {
        let mut chars: Vec<char> = token.chars().collect();
        let i = chars.iter().position(|c| c.is_ascii_alphabetic()).unwrap();
        chars[i] = if chars[i].is_ascii_lowercase() {
            chars[i].to_ascii_uppercase()
        } else {
            chars[i].to_ascii_lowercase()
        };
        chars.into_iter().collect()
    };
    let percent_encoded = format!("%{:02X}{}", token.as_bytes()[0], &token[1..]);
    // A link of another kind, stored the way an invitation is, for this very account.
    let invitation = SecretToken::generate(&usher_core::clock::OsRandom);
    let now = chrono::Utc::now();
    let record = TokenRecord {
        kind: TokenKind::Invitation,
        account_id: Some(member_id.parse().unwrap()),
        tenant_id: Some(app.tenant_id),
        issued_at: now,
        expires_at: now + chrono::Duration::days(30),
        used_at: None,
        email: Some(usher_core::domain::EmailAddress::parse(&member).unwrap()),
        locale: None,
        login_version: Some(1),
        invitation_id: None,
        invited_by: None,
        registration: None,
        version: 1,
    };
    app.table
        .transact(vec![Op::put(
            to_item(&keys::token(&invitation.hash()), &record, None).unwrap(),
        )])
        .await
        .unwrap();
    let session_secret = session.split_once('.').unwrap().1.to_owned();

    let attempts = [
        token[..42].to_owned(),
        format!("{token}A"),
        flipped,
        percent_encoded,
        format!("{token}="),
        format!(" {token}"),
        invitation.expose().to_owned(),
        session.clone(),
        session_secret,
        String::new(),
    ];
    for attempt in &attempts {
        let response = app.reset(attempt, "amber lantern orchard 77 quiver").await;
        assert_problem(response, StatusCode::NOT_FOUND, "token_invalid").await;
        let page = app.reset_page(attempt).await;
        assert!(
            matches!(page.status(), StatusCode::NOT_FOUND | StatusCode::OK),
            "{attempt}"
        );
        if page.status() == StatusCode::OK {
            // Only a percent-encoded form of the real token is the same URL.
            assert!(attempt.starts_with('%'), "{attempt}");
        }
    }
    // Nothing changed: the old password and the session still work, and the link too.
    assert_eq!(app.get("/v1/me", &session).await.status(), StatusCode::OK);
    let response = app.reset(&token, "amber lantern orchard 77 quiver").await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

fn strong_of_length(n: usize) -> String {
    let mut text = String::new();
    while text.chars().count() < n {
        text.push_str(&ulid::Ulid::new().to_string().to_lowercase());
        text.push(' ');
    }
    text.chars().take(n).collect()
}

#[tokio::test]
async fn reset_holds_new_passwords_to_the_policy_before_any_hashing() {
    let app = spawn_app().await;
    let (member_id, member, _) = app.member(app.tenant_id, "member", &[]).await;
    let token = admin_link(&app, &member_id, &member).await;

    let refused: Vec<(Value, StatusCode, &str)> = vec![
        (
            json!("q7Vz!m2Rx#4"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "weak_password",
        ),
        (
            json!(strong_of_length(257)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "weak_password",
        ),
        (
            json!("amber lantern\0orchard 77"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "weak_password",
        ),
        (
            json!(" ".repeat(20)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "weak_password",
        ),
        (
            json!(42),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            json!(null),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
    ];
    for (password, status, code) in refused {
        let response = app
            .post(
                "/v1/password/reset",
                None,
                json!({"token": token, "new_password": password}),
            )
            .await;
        assert_problem(response, status, code).await;
    }
    let huge = format!(
        "{{\"token\":\"{token}\",\"new_password\":\"{}\"}}",
        "a".repeat(1024 * 1024)
    );
    let response = app
        .http
        .post(app.url("/v1/password/reset"))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    // Nothing changed: the link still works and the old password still signs in.
    app.sign_in_token(&member, GOOD_PASSWORD).await;
    let page = app.reset_page(&token).await;
    assert_eq!(page.status(), StatusCode::OK);

    // The bounds themselves are fine: 12 and 256 characters.
    for password in ["q7Vz!m2Rx#4p".to_owned(), strong_of_length(256)] {
        let token = admin_link(&app, &member_id, &member).await;
        assert_eq!(
            app.reset(&token, &password).await.status(),
            StatusCode::NO_CONTENT
        );
        app.sign_in_token(&member, &password).await;
    }
}

#[tokio::test]
async fn new_passwords_are_normalised_to_nfc_and_never_trimmed() {
    let app = spawn_app().await;
    let (member_id, member, _) = app.member(app.tenant_id, "member", &[]).await;

    let decomposed = "Cre\u{300}me bru\u{302}le\u{301}e fondant 42 orchard";
    let composed = "Crème brûlée fondant 42 orchard";
    let token = admin_link(&app, &member_id, &member).await;
    assert_eq!(
        app.reset(&token, decomposed).await.status(),
        StatusCode::NO_CONTENT
    );
    app.sign_in_token(&member, composed).await;
    app.sign_in_token(&member, decomposed).await;

    let spaced = "  amber lantern orchard 77 quiver  ";
    let token = admin_link(&app, &member_id, &member).await;
    assert_eq!(
        app.reset(&token, spaced).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.sign_in(&member, spaced.trim()).await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.sign_in_token(&member, spaced).await;
}

#[tokio::test]
async fn the_admin_reset_route_refuses_unknown_modes_and_bodies() {
    let app = spawn_app().await;
    let (member_id, _, session) = app.member(app.tenant_id, "member", &[]).await;
    let path = format!(
        "/v1/tenants/{}/users/{member_id}/password-reset",
        app.tenant_id
    );
    for body in [
        json!({"mode": "set"}),
        json!({"mode": ["link"]}),
        json!({}),
        json!({"mode": "link", "email": "attacker@example.net"}),
    ] {
        let response = app.post(&path, Some(&app.owner_token), body).await;
        assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        )
        .await;
    }
    assert_eq!(app.get("/v1/me", &session).await.status(), StatusCode::OK);
    assert!(app.mail_and_jobs().await.is_empty());
}
