//! Invitations under attack and under races: forged and mangled links, another tenant's ids,
//! mass assignment, hostile messages and look-alike addresses, and concurrent accepts, revokes,
//! resends and sends. Each refusal is a problem with a stable code, and writes nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use usher_core::keys;
use usher_tests::{GOOD_PASSWORD, TestApp, assert_problem, spawn_app};

/// Every membership of the main tenant, read from the table.
async fn membership_count(app: &TestApp) -> usize {
    app.partition(&keys::tenant_pk(app.tenant_id))
        .await
        .iter()
        .filter(|i| i["sk"].as_str().unwrap().starts_with(keys::MEMBER_PREFIX))
        .count()
}

#[tokio::test]
async fn mangled_links_and_links_of_other_kinds_are_token_invalid() {
    let app = spawn_app().await;
    let invitation = app.invite_to_main("ivy@example.org").await;
    let token = app.invitation_token_for("ivy@example.org").await;
    let reset = {
        let (_, email, _) = app.member(app.tenant_id, "member", &[]).await;
        app.reset_token_for(&email).await
    };
    let flipped: String = token
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    // A percent-encoded letter is the same URL (RFC 3986, 6.2.2.2) and so the same token; an
    // encoded percent sign, an encoded slash or an encoded space are not tokens.
    let double_encoded = format!("%25{:02X}{}", token.as_bytes()[0], &token[1..]);
    let encoded_slash = format!("{}%2F{}", &token[..21], &token[22..]);
    let encoded_space = format!("{}%20", &token[..42]);
    let bad = [
        token[..42].to_owned(),
        format!("{token}A"),
        flipped,
        double_encoded,
        encoded_slash,
        encoded_space,
        reset,
        app.owner_token.clone(),
        invitation["id"].as_str().unwrap().to_owned(),
        "x".repeat(5000),
    ];
    let before = membership_count(&app).await;
    for bad in bad {
        assert_problem(
            app.invitation_preview(&bad).await,
            StatusCode::NOT_FOUND,
            "token_invalid",
        )
        .await;
        assert_problem(
            app.accept_as_new(&bad).await,
            StatusCode::NOT_FOUND,
            "token_invalid",
        )
        .await;
        let page = app
            .http
            .get(app.url(&format!("/invite/{bad}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::NOT_FOUND);
    }
    assert_eq!(membership_count(&app).await, before);
    // The real one still works: nothing above spent it.
    assert_eq!(app.accept_as_new(&token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_invitation_link_sets_no_password_and_a_reset_link_accepts_nothing() {
    let app = spawn_app().await;
    app.invite_to_main("ivy@example.org").await;
    let token = app.invitation_token_for("ivy@example.org").await;
    assert_problem(
        app.reset(&token, "a brand new password 55").await,
        StatusCode::NOT_FOUND,
        "token_invalid",
    )
    .await;
    let page = app.reset_page(&token).await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn another_tenants_invitation_is_not_found_under_this_tenants_path() {
    let app = spawn_app().await;
    let (tenant_b, _, b_owner) = app.new_tenant("Tenant B").await;
    let theirs = app
        .invite(tenant_b, &b_owner, json!({"email": "b-guest@example.org"}))
        .await;
    assert_eq!(theirs.status(), StatusCode::CREATED);
    let theirs: Value = theirs.json().await.unwrap();
    let ours = app.invite_to_main("a-guest@example.org").await;
    let id = theirs["id"].as_str().unwrap();
    // Tenant B's invitation id under tenant A's path, as A's owner.
    let under_a = format!("/v1/tenants/{}/invitations/{id}", app.tenant_id);
    assert_problem(
        app.get(&under_a, &app.owner_token).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.request(Method::DELETE, &under_a, Some(&app.owner_token), None)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.post(
            &format!("{under_a}/resend"),
            Some(&app.owner_token),
            json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // A's invitation under B's path, as B's owner; and B's owner on A's routes.
    let a_id = ours["id"].as_str().unwrap();
    let under_b = format!("/v1/tenants/{tenant_b}/invitations/{a_id}");
    assert_problem(
        app.request(Method::DELETE, &under_b, Some(&b_owner), None)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let a_routes = [
        format!("/v1/tenants/{}/invitations", app.tenant_id),
        format!("/v1/tenants/{}/invitations/{a_id}", app.tenant_id),
        format!("/v1/tenants/{}/events", app.tenant_id),
    ];
    for path in a_routes {
        assert_problem(
            app.get(&path, &b_owner).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    assert_problem(
        app.invite(app.tenant_id, &b_owner, json!({"email": "x@example.org"}))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // A's listing shows none of B's, and B's invitation still works.
    let listed: Value = app
        .get_json(
            &format!("/v1/tenants/{}/invitations", app.tenant_id),
            &app.owner_token,
        )
        .await;
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["id"] != theirs["id"])
    );
    let fetched: Value = app
        .get_json(
            &format!("/v1/tenants/{tenant_b}/invitations/{id}"),
            &b_owner,
        )
        .await;
    assert_eq!(fetched["status"], "pending");
    // A user's history under another tenant's path.
    let b_owner_id = app.account_id_of(&b_owner).await;
    assert_problem(
        app.get(
            &format!("/v1/tenants/{}/users/{b_owner_id}/events", app.tenant_id),
            &app.owner_token,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn an_accept_body_cannot_set_the_tenant_the_role_the_status_or_permissions() {
    let app = spawn_app().await;
    let (tenant_b, _, _) = app.new_tenant("Tenant B").await;
    app.invite_to_main("ivy@example.org").await;
    let token = app.invitation_token_for("ivy@example.org").await;
    let before = membership_count(&app).await;
    for (field, value) in [
        ("tenant_id", json!(tenant_b.to_string())),
        ("role", json!("owner")),
        ("status", json!("active")),
        ("permissions", json!(["users.manage"])),
    ] {
        let mut body = json!({"mode": "new", "first_name": "Ivy", "last_name": "I", "password": GOOD_PASSWORD});
        body[field] = value;
        let refused = assert_problem(
            app.accept(&token, body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        )
        .await;
        assert!(
            refused["detail"].as_str().unwrap().contains(field),
            "{refused}"
        );
    }
    assert_eq!(membership_count(&app).await, before);
    let joined: Value = app.accept_as_new(&token).await.json().await.unwrap();
    assert_eq!(joined["membership"]["role"], "member");
    assert_eq!(joined["membership"]["tenant_id"], app.tenant_id.to_string());
}

#[tokio::test]
async fn hostile_messages_and_look_alike_addresses_are_refused_or_shown_as_text() {
    let app = spawn_app().await;
    let send = |body: Value| app.invite(app.tenant_id, &app.owner_token, body);
    let refused = assert_problem(
        send(json!({"email": "a@example.org", "message": "x".repeat(10_000)})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    assert_eq!(refused["field"], "message");
    assert_problem(
        send(json!({"email": "a@example.org", "message": "bell\u{0007}"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    for look_alike in [
        "\u{212A}elvin@example.org",
        "d\u{0131}mitri@example.org",
        "ａda@example.org",
        "ada＠example.org",
    ] {
        let refused = assert_problem(
            send(json!({"email": look_alike})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        )
        .await;
        assert_eq!(refused["field"], "email", "{look_alike}");
    }
    assert!(app.outbox_items().await.is_empty(), "nothing was filed");

    // HTML and line breaks are text: kept in the plain part, escaped in the HTML part and on
    // the page, never a header.
    let message = "<img src=x onerror=alert(1)>\r\nBcc: victim@example.org";
    let response = send(json!({"email": "a@example.org", "message": message})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let mail = &app.mails_to("a@example.org").await[0];
    assert!(
        mail.mail
            .text
            .contains("<img src=x onerror=alert(1)>\nBcc: victim@example.org")
    );
    assert!(!mail.mail.html.contains("<img"));
    assert_eq!(mail.mail.to.as_str(), "a@example.org");
    let token = app.invitation_token_for("a@example.org").await;
    let page = app
        .http
        .get(app.url(&format!("/invite/{token}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("<img") && page.contains("&#60;img") || page.contains("&lt;img"));
}

#[tokio::test]
async fn fifty_concurrent_accepts_of_one_link_make_exactly_one_membership() {
    let app = spawn_app().await;
    app.invite_to_main("race@example.org").await;
    let token = app.invitation_token_for("race@example.org").await;
    let before = membership_count(&app).await;
    let attempts = (0..50).map(|_| app.accept_as_new(&token));
    let statuses: Vec<StatusCode> = futures::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    let won = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(won, 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| [StatusCode::OK, StatusCode::GONE, StatusCode::CONFLICT].contains(s)),
        "{statuses:?}"
    );
    assert_eq!(membership_count(&app).await, before + 1);
    let welcomes = app
        .mails_to("race@example.org")
        .await
        .into_iter()
        .filter(|m| m.mail.subject.starts_with("Welcome"))
        .count();
    assert_eq!(welcomes, 1);
}

/// Holds the accept's transaction, lets `other` run to the end, then lets the accept commit:
/// exactly one of them may have changed anything.
async fn accept_held_while(
    app: &TestApp,
    token: &str,
    invitation: &str,
    other: impl std::future::Future<Output = reqwest::Response>,
) -> (StatusCode, StatusCode) {
    let mut hold = app
        .faults
        .hold_next_transaction_on(keys::invitation(app.tenant_id, invitation.parse().unwrap()));
    let accept = app.accept_as_new(token);
    let meanwhile = async {
        hold.reached().await;
        let status = other.await.status();
        hold.release();
        status
    };
    let (accepted, other) = tokio::join!(accept, meanwhile);
    (accepted.status(), other)
}

#[tokio::test]
async fn an_accept_racing_a_revoke_or_a_resend_loses_to_the_one_that_committed() {
    let app = spawn_app().await;
    // Revoke commits while the accept waits: the accept changes nothing.
    let invitation = app.invite_to_main("r1@example.org").await;
    let id = invitation["id"].as_str().unwrap();
    let token = app.invitation_token_for("r1@example.org").await;
    let path = format!("/v1/tenants/{}/invitations/{id}", app.tenant_id);
    let before = membership_count(&app).await;
    let (accepted, revoked) = accept_held_while(
        &app,
        &token,
        id,
        app.request(Method::DELETE, &path, Some(&app.owner_token), None),
    )
    .await;
    assert_eq!(revoked, StatusCode::NO_CONTENT);
    assert_eq!(accepted, StatusCode::GONE);
    assert_eq!(membership_count(&app).await, before);
    assert_problem(
        app.sign_in("r1@example.org", GOOD_PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;

    // A resend commits while the accept of the old link waits: the old link loses.
    let invitation = app.invite_to_main("r2@example.org").await;
    let id = invitation["id"].as_str().unwrap();
    let token = app.invitation_token_for("r2@example.org").await;
    let resend = format!("/v1/tenants/{}/invitations/{id}/resend", app.tenant_id);
    let (accepted, resent) = accept_held_while(
        &app,
        &token,
        id,
        app.post(&resend, Some(&app.owner_token), json!({})),
    )
    .await;
    assert_eq!(resent, StatusCode::OK);
    assert_eq!(accepted, StatusCode::GONE);
    assert_eq!(membership_count(&app).await, before);

    // The other way round: the accept commits first, the revoke then finds nothing pending.
    let invitation = app.invite_to_main("r3@example.org").await;
    let id = invitation["id"].as_str().unwrap();
    let token = app.invitation_token_for("r3@example.org").await;
    let mut hold = app
        .faults
        .hold_next_transaction_on(keys::invitation(app.tenant_id, id.parse().unwrap()));
    let path = format!("/v1/tenants/{}/invitations/{id}", app.tenant_id);
    let revoke = app.request(Method::DELETE, &path, Some(&app.owner_token), None);
    let meanwhile = async {
        hold.reached().await;
        let status = app.accept_as_new(&token).await.status();
        hold.release();
        status
    };
    let (revoked, accepted) = tokio::join!(revoke, meanwhile);
    assert_eq!(accepted, StatusCode::OK);
    assert_eq!(revoked.status(), StatusCode::CONFLICT);
    assert_eq!(membership_count(&app).await, before + 1);
}

#[tokio::test]
async fn two_admins_inviting_one_address_at_once_make_one_invitation() {
    let app = spawn_app().await;
    let (_, _, admin) = app.member(app.tenant_id, "admin", &[]).await;
    for round in 0..5 {
        let email = format!("both-{round}@example.org");
        let (a, b) = tokio::join!(
            app.invite(app.tenant_id, &app.owner_token, json!({"email": email})),
            app.invite(
                app.tenant_id,
                &admin,
                json!({"email": email.to_uppercase()})
            ),
        );
        let mut statuses = [a.status(), b.status()];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::CREATED, StatusCode::CONFLICT],
            "round {round}"
        );
        let loser = if a.status() == StatusCode::CONFLICT {
            a
        } else {
            b
        };
        assert_problem(loser, StatusCode::CONFLICT, "invitation_pending").await;
        // One invitation mailed, to the address as its winner typed it.
        let mailed = app
            .sent_mails()
            .await
            .into_iter()
            .filter(|m| m.mail.to.as_str().eq_ignore_ascii_case(&email))
            .count();
        assert_eq!(mailed, 1, "round {round}");
    }
}

#[tokio::test]
async fn an_expired_or_stolen_link_opens_nothing_for_its_holder() {
    let app = spawn_app().await;
    let (_, attacker_email, attacker) = app.new_tenant("Attacker Inc").await;
    app.invite_to_main("victim@example.org").await;
    let token = app.invitation_token_for("victim@example.org").await;
    // A stolen link with policy exact: the thief's own account and own address are refused.
    let url = app.url(&format!("/v1/invitations/{token}/accept"));
    let with_session = app
        .http
        .post(&url)
        .bearer_auth(&attacker)
        .send()
        .await
        .unwrap();
    assert_problem(with_session, StatusCode::FORBIDDEN, "email_mismatch").await;
    assert_problem(
        app.accept(&token, json!({"mode": "new", "first_name": "T", "last_name": "T", "password": GOOD_PASSWORD, "email": "thief@example.org"})).await,
        StatusCode::FORBIDDEN,
        "email_mismatch",
    )
    .await;
    assert_problem(
        app.accept(
            &token,
            json!({"mode": "existing", "email": attacker_email, "password": GOOD_PASSWORD}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "email_mismatch",
    )
    .await;
    // A session of the wrong shape, or a forged one, is unauthenticated.
    let forged = app
        .http
        .post(&url)
        .bearer_auth("not-a-session")
        .send()
        .await
        .unwrap();
    assert_problem(forged, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    // Expired: nothing works, whoever holds it.
    app.clock.advance(chrono::Duration::days(8));
    assert_problem(
        app.accept_as_new(&token).await,
        StatusCode::GONE,
        "token_expired",
    )
    .await;
    assert_problem(
        app.invitation_preview(&token).await,
        StatusCode::GONE,
        "token_expired",
    )
    .await;
    // Guessing passwords through an expired link spends nothing of the person's sign-in budget.
    for _ in 0..6 {
        assert_problem(
            app.accept(
                &token,
                json!({"mode": "existing", "email": attacker_email, "password": "a guess 123456"}),
            )
            .await,
            StatusCode::GONE,
            "token_expired",
        )
        .await;
    }
    assert_eq!(
        app.sign_in(&attacker_email, GOOD_PASSWORD).await.status(),
        StatusCode::CREATED
    );
    assert_problem(
        app.sign_in("victim@example.org", GOOD_PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
}

#[tokio::test]
async fn every_invitation_page_is_sent_with_the_link_pages_protections() {
    let app = spawn_app().await;
    app.invite_to_main("ivy@example.org").await;
    let token = app.invitation_token_for("ivy@example.org").await;
    for (path, status) in [
        (format!("/invite/{token}"), StatusCode::OK),
        ("/invite/unknown".to_owned(), StatusCode::NOT_FOUND),
        (format!("/invite/confirm/{token}"), StatusCode::NOT_FOUND),
        ("/password/forgot".to_owned(), StatusCode::OK),
    ] {
        let response = app.http.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), status, "{path}");
        let headers = response.headers();
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(
            policy.starts_with("default-src 'none'; style-src 'sha256-"),
            "{path}"
        );
        assert!(
            policy.contains("form-action 'self'") && !policy.contains("script"),
            "{path}"
        );
        let html = response.text().await.unwrap();
        assert!(!html.contains("<script"), "{path}");
    }
    // A form post is answered with a page in the invitation's language, the token kept out of
    // the page's links.
    let response = app
        .http
        .post(app.url(&format!("/v1/invitations/{token}/accept")))
        .form(&[
            ("mode", "new"),
            ("first_name", "Ivy"),
            ("last_name", "I"),
            ("email", "ivy@example.org"),
            ("password", GOOD_PASSWORD),
            ("password_confirm", GOOD_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("<h1>Welcome to Comune di Forlì</h1>"));
    assert!(!html.contains(&token));
    // A form with a field the page does not have is refused, as JSON is.
    let response = app
        .http
        .post(app.url(&format!("/v1/invitations/{token}/accept")))
        .form(&[("mode", "new"), ("role", "owner")])
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await;
}

/// An invitation to an address that has an account answers and logs the address as the inviter
/// typed it: the account's own spelling would tell the inviter an account exists.
#[tokio::test]
async fn an_invitation_answers_and_logs_the_address_as_typed() {
    let app = spawn_app().await;
    let (_, other_owner, _) = app.new_tenant("Virtual Office").await;
    let typed = other_owner.to_uppercase();
    let sent = app.invite_to_main(&typed).await;
    assert_eq!(sent["email"], typed);
    let listed = app
        .get_json(
            &format!("/v1/tenants/{}/invitations", app.tenant_id),
            &app.owner_token,
        )
        .await;
    assert_eq!(listed["items"][0]["email"], typed);
    let entries = app
        .log_entries(
            &format!(
                "/v1/tenants/{}/events?action=invitation.sent",
                app.tenant_id
            ),
            &app.owner_token,
        )
        .await;
    assert_eq!(entries[0]["details"]["email"], typed);
}

/// Under policy `any`, an inviter who accepts their own invitation with their session reads the
/// one membership once (it is both the inviter's and the invitee's) and is told they are in.
#[tokio::test]
async fn an_inviter_accepting_their_own_invitation_is_told_they_are_a_member() {
    let app = spawn_app().await;
    app.settings(json!({"invitation_email_policy": "any"}))
        .await;
    app.invite_to_main("someone@example.org").await;
    let token = app.invitation_token_for("someone@example.org").await;
    let response = app
        .request(
            Method::POST,
            &format!("/v1/invitations/{token}/accept"),
            Some(&app.owner_token),
            None,
        )
        .await;
    assert_problem(response, StatusCode::CONFLICT, "already_member").await;
}
