//! Invitations end to end: sending, the link's states, accepting every way, managing them, and
//! the consent an existing account's membership now needs.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use usher_tests::{GOOD_PASSWORD, TestApp, actions, assert_problem, spawn_app, token_of};

async fn members_of(
    app: &TestApp,
    tenant: usher_core::domain::TenantId,
    token: &str,
) -> Vec<String> {
    let page: Value = app
        .get_json(&format!("/v1/tenants/{tenant}/users?limit=200"), token)
        .await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_owned())
        .collect()
}

/// The attack that made consent necessary: tenant B's admin creates C's future CFO first, with a
/// password B knows; when C adds its real CFO, the existing account must not join C.
#[tokio::test]
async fn an_account_another_tenant_created_never_joins_without_its_owner() {
    let app = spawn_app().await;
    let tenant_c = app.tenant_id;
    let (tenant_b, _, b_owner) = app.new_tenant("Tenant B").await;
    let known = "a password tenant b knows 42";
    let planted = app
        .create_user(
            tenant_b,
            &b_owner,
            json!({"email": "cfo@c.example", "first_name": "Planted", "last_name": "Name",
                   "phone": "+39 0543 000 000", "locale": "pl", "role": "member",
                   "password": {"mode": "set", "value": known}}),
        )
        .await;
    assert_eq!(planted.status(), StatusCode::CREATED);

    // C's owner adds its real CFO as an admin.
    let response = app
        .create_user(
            tenant_c,
            &app.owner_token,
            json!({"email": "CFO@c.example", "first_name": "Real", "last_name": "Cfo",
                   "role": "admin", "password": {"mode": "set", "value": "whatever c would set 77"}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body.as_object().unwrap().len(),
        1,
        "only the invitation: {body}"
    );
    let invitation = &body["invitation"];
    assert_eq!(invitation["status"], "pending");
    assert_eq!(invitation["role"], "admin");
    let text = body.to_string();
    for leaked in [
        "Planted",
        "0543",
        "\"pl\"",
        "user",
        "first_name",
        "phone",
        "locale",
    ] {
        assert!(!text.contains(leaked), "{leaked} leaked: {text}");
    }

    // B's admin signs in with the password B set: nothing in C.
    let session: Value = app
        .sign_in("cfo@c.example", known)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        session["memberships"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["tenant_id"] != tenant_c.to_string())
    );
    let planted_token = session["token"].as_str().unwrap();
    assert_problem(
        app.get(&format!("/v1/tenants/{tenant_c}/users"), planted_token)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert!(
        !members_of(&app, tenant_c, &app.owner_token)
            .await
            .contains(&"cfo@c.example".to_owned())
    );
    // The tenant's log does not name the account either.
    let log = app
        .log_entries(&format!("/v1/tenants/{tenant_c}/events"), &app.owner_token)
        .await;
    assert_eq!(log[0]["action"], "invitation.sent");
    assert!(log[0]["subject_id"].is_null());

    // The invitation went to the account's own address; joining needs the account's password,
    // which the real owner takes back through "forgot password".
    let token = app.invitation_token_for("cfo@c.example").await;
    let reset = app.reset_token_for("cfo@c.example").await;
    let mine = "the real cfo chose this one 88";
    assert_eq!(
        app.reset(&reset, mine).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(
        app.accept(
            &token,
            json!({"mode": "existing", "email": "cfo@c.example", "password": known}),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let joined = app
        .accept(
            &token,
            json!({"mode": "existing", "email": "cfo@c.example", "password": mine}),
        )
        .await;
    assert_eq!(joined.status(), StatusCode::OK);
    let joined: Value = joined.json().await.unwrap();
    assert_eq!(joined["membership"]["tenant_id"], tenant_c.to_string());
    assert_eq!(joined["membership"]["role"], "admin");
    assert_eq!(
        joined["account"]["first_name"], "Planted",
        "the account keeps its names"
    );
    assert!(
        members_of(&app, tenant_c, &app.owner_token)
            .await
            .contains(&"cfo@c.example".to_owned())
    );
}

#[tokio::test]
async fn a_new_person_registers_through_the_link_and_every_step_is_logged_and_mailed() {
    let app = spawn_app().await;
    let tenant = app.tenant_id;
    let response = app
        .invite(
            tenant,
            &app.owner_token,
            json!({"email": "ivy@example.org", "role": "admin", "message": "<b>Benvenuta</b>\r\nA presto!", "locale": "it"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let invitation: Value = response.json().await.unwrap();
    let id = invitation["id"].as_str().unwrap().to_owned();
    assert_eq!(invitation["status"], "pending");
    assert_eq!(invitation["email"], "ivy@example.org");
    let sent = invitation["created_at"].as_str().unwrap();
    let expires = invitation["expires_at"].as_str().unwrap();
    let hours = (chrono::DateTime::parse_from_rfc3339(expires).unwrap()
        - chrono::DateTime::parse_from_rfc3339(sent).unwrap())
    .num_hours();
    assert_eq!(hours, 168, "7 days by default");

    let mails = app.mails_to("ivy@example.org").await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0].mail;
    assert!(
        mail.subject
            .contains("ti invita a unirti a Comune di Forlì"),
        "{}",
        mail.subject
    );
    assert!(mail.text.contains("<b>Benvenuta</b>\nA presto!"));
    assert!(
        !mail.html.contains("<b>Benvenuta</b>") && mail.html.contains("&#60;b&#62;Benvenuta")
            || mail.html.contains("&lt;b&gt;Benvenuta")
    );
    let token = app.invitation_token_for("ivy@example.org").await;
    assert!(
        !token.contains(&id),
        "the link is a secret, not the invitation id"
    );

    // What the link shows.
    let preview: Value = app.invitation_preview(&token).await.json().await.unwrap();
    assert_eq!(preview["tenant"]["name"], "Comune di Forlì");
    assert_eq!(preview["email"], "ivy@example.org");
    assert_eq!(preview["role"], "admin");
    assert_eq!(preview["inviter_name"], "Olga Owner");
    assert_eq!(preview["email_policy"], "exact");
    assert_eq!(preview["account_exists"], false);

    app.clock.advance(Duration::seconds(1));
    let response = app.accept_as_new(&token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let joined: Value = response.json().await.unwrap();
    let account_id = joined["account"]["id"].as_str().unwrap().to_owned();
    assert_eq!(joined["account"]["email"], "ivy@example.org");
    assert_eq!(joined["membership"]["role"], "admin");
    // The session works at once.
    let session = joined["session"]["token"].as_str().unwrap();
    assert_eq!(app.get("/v1/me", session).await.status(), StatusCode::OK);
    // Once.
    assert_problem(
        app.accept_as_new(&token).await,
        StatusCode::GONE,
        "token_used",
    )
    .await;

    let user: Value = app
        .get_json(
            &format!("/v1/tenants/{tenant}/users/{account_id}"),
            &app.owner_token,
        )
        .await;
    assert_eq!(user["created_via"], "invitation");
    assert_eq!(
        user["invited_by"],
        app.account_id_of(&app.owner_token).await
    );
    let listed: Value = app
        .get_json(
            &format!("/v1/tenants/{tenant}/invitations?status=accepted"),
            &app.owner_token,
        )
        .await;
    assert_eq!(listed["items"][0]["id"], id);
    assert!(listed["items"][0]["accepted_at"].is_string());

    // Mail: the welcome (in the invitation's language) and the notice to the inviter.
    let welcome = app.mails_to("ivy@example.org").await;
    assert!(
        welcome
            .iter()
            .any(|m| m.mail.subject == "Benvenuto in Comune di Forlì")
    );
    let notice = app.mails_to(&app.owner_email).await;
    assert!(
        notice
            .iter()
            .any(|m| m.mail.subject.contains("accepted your invitation"))
    );

    // The log: sent and accepted, and the person's history holds the invitation that brought
    // them in.
    let log = app
        .log_entries(&format!("/v1/tenants/{tenant}/events"), &app.owner_token)
        .await;
    assert_eq!(
        &actions(&log)[..2],
        ["invitation.accepted", "invitation.sent"]
    );
    let history = app
        .log_entries(
            &format!("/v1/tenants/{tenant}/users/{account_id}/events"),
            &app.owner_token,
        )
        .await;
    assert_eq!(actions(&history), ["invitation.accepted"]);
    assert_eq!(history[0]["details"]["invitation_id"], id);
    let owner_id = app.account_id_of(&app.owner_token).await;
    assert_eq!(history[0]["details"]["invited_by"], owner_id);
    let only_sent = app
        .log_entries(
            &format!("/v1/tenants/{tenant}/events?action=invitation.sent"),
            &app.owner_token,
        )
        .await;
    assert_eq!(actions(&only_sent), ["invitation.sent"]);
    // The person reads their own history, not the tenant's log.
    assert_eq!(
        app.log_entries(
            &format!("/v1/tenants/{tenant}/users/{account_id}/events"),
            session
        )
        .await
        .len(),
        1
    );
}

#[tokio::test]
async fn an_existing_account_signs_in_to_accept_and_keeps_its_names_and_password() {
    let app = spawn_app().await;
    let (_, other_owner, _) = app.new_tenant("Virtual Office").await;
    app.invite_to_main(&other_owner.to_uppercase()).await;
    let token = app.invitation_token_for(&other_owner).await;
    let preview: Value = app.invitation_preview(&token).await.json().await.unwrap();
    assert_eq!(preview["account_exists"], true);
    // Registering an address that has an account is refused: sign in instead.
    assert_problem(
        app.accept_as_new(&token).await,
        StatusCode::CONFLICT,
        "account_exists",
    )
    .await;

    for _ in 0..5 {
        assert_problem(
            app.accept(
                &token,
                json!({"mode": "existing", "email": other_owner, "password": "wrong guess 1234"}),
            )
            .await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
    }
    // The same budget as sign-in: five failures from one client, then a pause.
    let limited = app
        .accept(
            &token,
            json!({"mode": "existing", "email": other_owner, "password": GOOD_PASSWORD}),
        )
        .await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
    assert_problem(
        app.sign_in(&other_owner, GOOD_PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    )
    .await;

    app.clock.advance(Duration::minutes(16));
    let joined = app
        .accept(
            &token,
            json!({"mode": "existing", "email": other_owner, "password": GOOD_PASSWORD}),
        )
        .await;
    assert_eq!(joined.status(), StatusCode::OK);
    let joined: Value = joined.json().await.unwrap();
    assert_eq!(joined["account"]["first_name"], "Olga");
    assert_eq!(
        app.sign_in(&other_owner, GOOD_PASSWORD).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_signed_in_person_accepts_with_the_session_and_policy_exact_names_both_addresses() {
    let app = spawn_app().await;
    let (_, elsewhere, elsewhere_token) = app.new_tenant("Chat Suite").await;
    app.invite_to_main("someone.else@example.org").await;
    let token = app.invitation_token_for("someone.else@example.org").await;
    let accept_with_session = |session: String| {
        let url = app.url(&format!("/v1/invitations/{token}/accept"));
        let http = app.http.clone();
        async move { http.post(url).bearer_auth(session).send().await.unwrap() }
    };
    let refused = assert_problem(
        accept_with_session(elsewhere_token.clone()).await,
        StatusCode::FORBIDDEN,
        "email_mismatch",
    )
    .await;
    let detail = refused["detail"].as_str().unwrap();
    assert!(
        detail.contains("someone.else@example.org") && detail.contains(&elsewhere),
        "{detail}"
    );
    // Signing in with another account is refused the same way, before any password is tried.
    assert_problem(
        app.accept(
            &token,
            json!({"mode": "existing", "email": elsewhere, "password": "not even tried"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "email_mismatch",
    )
    .await;

    // With policy any, the other account's session accepts.
    app.settings(json!({"invitation_email_policy": "any"}))
        .await;
    let response = accept_with_session(elsewhere_token.clone()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let joined: Value = response.json().await.unwrap();
    assert_eq!(joined["account"]["email"], elsewhere);
    assert_eq!(
        joined["session"]["token"], elsewhere_token,
        "the session used"
    );
    // No session, no JSON mode: refused.
    assert_problem(
        app.accept(&token, json!({"mode": "session"})).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn registering_with_another_address_waits_for_that_address_to_be_confirmed() {
    let app = spawn_app().await;
    app.settings(json!({"invitation_email_policy": "any"}))
        .await;
    app.invite_to_main("invited@example.org").await;
    let token = app.invitation_token_for("invited@example.org").await;
    let response = app
        .accept(
            &token,
            json!({"mode": "new", "first_name": "Otto", "last_name": "Other",
                   "email": "otto@example.org"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"status": "confirmation_sent", "email": "otto@example.org"})
    );
    // Nothing exists yet: not the account, not the membership.
    assert_problem(
        app.sign_in("otto@example.org", GOOD_PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert!(
        !members_of(&app, app.tenant_id, &app.owner_token)
            .await
            .contains(&"otto@example.org".to_owned())
    );

    let links = app.confirmation_links_to("otto@example.org").await;
    assert_eq!(links.len(), 1);
    let confirmation = token_of(&links[0]);
    // Opening the link changes nothing (a mail scanner may open it).
    let page = app.http.get(&links[0]).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_problem(
        app.sign_in("otto@example.org", GOOD_PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    // The confirmation link is not an invitation link, nor the other way round.
    assert_problem(
        app.accept_as_new(&confirmation).await,
        StatusCode::NOT_FOUND,
        "token_invalid",
    )
    .await;
    assert_problem(
        app.post(
            "/v1/invitations/confirm",
            None,
            json!({"token": token, "password": GOOD_PASSWORD}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "token_invalid",
    )
    .await;

    // The owner of the address chooses the password, under the policy.
    assert_problem(
        app.post(
            "/v1/invitations/confirm",
            None,
            json!({"token": confirmation, "password": "otto"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "weak_password",
    )
    .await;
    let response = app
        .post(
            "/v1/invitations/confirm",
            None,
            json!({"token": confirmation, "password": GOOD_PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let joined: Value = response.json().await.unwrap();
    assert_eq!(joined["account"]["email"], "otto@example.org");
    assert_eq!(joined["account"]["first_name"], "Otto");
    assert_eq!(
        app.sign_in("otto@example.org", GOOD_PASSWORD)
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_problem(
        app.post(
            "/v1/invitations/confirm",
            None,
            json!({"token": confirmation, "password": GOOD_PASSWORD}),
        )
        .await,
        StatusCode::GONE,
        "token_used",
    )
    .await;
    assert_problem(
        app.accept_as_new(&token).await,
        StatusCode::GONE,
        "token_used",
    )
    .await;
}

/// Registering another address answers alike whether it has an account or not: the same 202,
/// nothing read before the answer, and its owner told by mail either way (a confirmation link,
/// or word that nothing was registered). The mail carries none of the link holder's words, the
/// link holder's password is refused rather than kept, and the owner chooses theirs.
#[tokio::test]
async fn registering_another_address_tells_the_link_holder_nothing_of_it() {
    let app = spawn_app().await;
    app.settings(json!({"invitation_email_policy": "any"}))
        .await;
    let (_, has_account, _) = app.new_tenant("Elsewhere").await;
    app.invite_to_main("invited@example.org").await;
    let token = app.invitation_token_for("invited@example.org").await;
    let register = |email: &str, password: Option<&str>| {
        let mut body = json!({"mode": "new", "first_name": "Mallory", "last_name": "Linkholder",
                              "email": email});
        if let Some(password) = password {
            body["password"] = json!(password);
        }
        app.accept(&token, body)
    };
    // A password for another address is refused whatever the address, before anything else.
    for email in [has_account.as_str(), "fresh@example.org"] {
        let refused = register(email, Some("x")).await;
        let problem =
            assert_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request").await;
        assert_eq!(problem["field"], "password");
    }
    let mut answers = Vec::new();
    for email in [has_account.as_str(), "fresh@example.org"] {
        let response = register(email, None).await;
        answers.push((
            response.status(),
            response.json::<Value>().await.unwrap()["status"].clone(),
        ));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].0, StatusCode::ACCEPTED);
    // The account's owner is told; no link, nothing changed.
    let told = app.mails_to(&has_account).await;
    assert_eq!(told.len(), 1);
    assert!(
        told[0]
            .links
            .iter()
            .all(|l| !l.contains("/invite/confirm/"))
    );
    // The new address's owner gets a link; nothing of what the link holder typed is in it.
    let mail = &app.mails_to("fresh@example.org").await[0];
    let text = format!("{} {}", mail.mail.subject, mail.mail.text);
    assert!(
        !text.contains("Mallory") && !text.contains("Linkholder"),
        "{text}"
    );
    let confirmation = token_of(
        mail.links
            .iter()
            .find(|l| l.contains("/invite/confirm/"))
            .unwrap(),
    );
    let joined = app
        .post(
            "/v1/invitations/confirm",
            None,
            json!({"token": confirmation, "password": GOOD_PASSWORD}),
        )
        .await;
    assert_eq!(joined.status(), StatusCode::OK);
    assert_eq!(
        app.sign_in("fresh@example.org", GOOD_PASSWORD)
            .await
            .status(),
        StatusCode::CREATED
    );
}

/// One link holder mails at most three other addresses, one pending confirmation per address,
/// and spends none of the admins' invitation quota.
#[tokio::test]
async fn registrations_through_a_link_are_bounded_apart_from_the_admins_quota() {
    let app =
        usher_tests::spawn_app_with_config(|config| config.invitations_per_tenant.max = 2).await;
    app.settings(json!({"invitation_email_policy": "any"}))
        .await;
    app.invite_to_main("invited@example.org").await;
    let token = app.invitation_token_for("invited@example.org").await;
    let register = |email: String| {
        app.accept(
            &token,
            json!({"mode": "new", "first_name": "A", "last_name": "B", "email": email}),
        )
    };
    // The same address again while its confirmation is pending: the same answer, no new mail.
    for _ in 0..3 {
        assert_eq!(
            register("same@example.org".into()).await.status(),
            StatusCode::ACCEPTED
        );
    }
    assert_eq!(app.mails_to("same@example.org").await.len(), 1);
    for n in 0..2 {
        assert_eq!(
            register(format!("other-{n}@example.org")).await.status(),
            StatusCode::ACCEPTED
        );
    }
    assert_problem(
        register("fourth@example.org".into()).await,
        StatusCode::CONFLICT,
        "registrations_exhausted",
    )
    .await;
    assert!(app.mails_to("fourth@example.org").await.is_empty());
    // The admins' quota (two a day) is untouched: the owner still invites.
    app.invite_to_main("next@example.org").await;
}

#[tokio::test]
async fn many_addresses_at_once_each_get_an_invitation_or_their_own_problem() {
    let app = spawn_app().await;
    let (_, member_email, plain) = app.member(app.tenant_id, "member", &[]).await;
    let path = format!("/v1/tenants/{}/invitations", app.tenant_id);
    // One, a malformed address, a member, one again, 49 more, and one past the owner's 50 a day.
    let mut emails: Vec<String> = vec![
        "one@example.org".into(),
        "not an address".into(),
        member_email,
        "one@example.org".into(),
    ];
    emails.extend((0..49).map(|n| format!("p{n}@example.org")));
    emails.push("late@example.org".into());
    let response = app
        .post(
            &path,
            Some(&app.owner_token),
            json!({"emails": emails, "role": "member"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let results: Vec<(u64, Option<&str>)> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["status"].as_u64().unwrap(), r["problem"]["code"].as_str()))
        .collect();
    let mut expected = vec![
        (201, None),
        (422, Some("invalid_request")),
        (409, Some("already_member")),
        (409, Some("invitation_pending")),
    ];
    expected.extend((0..49).map(|_| (201, None)));
    // Each counts in the quotas: the 51st invitation of the day is refused.
    expected.push((429, Some("rate_limited")));
    assert_eq!(results, expected, "{body}");
    assert_eq!(body["items"][1]["problem"]["field"], "emails[1]");
    assert_eq!(body["items"][0]["invitation"]["email"], "one@example.org");
    for sent in ["one@example.org", "p0@example.org", "p48@example.org"] {
        assert_eq!(app.invitation_links_to(sent).await.len(), 1, "{sent}");
    }
    assert!(app.invitation_links_to("late@example.org").await.is_empty());

    // Both forms, none, or more than 100: refused whole.
    let many: Vec<String> = (0..101).map(|n| format!("p{n}@example.org")).collect();
    for body in [
        json!({"email": "a@example.org", "emails": ["b@example.org"]}),
        json!({"emails": []}),
        json!({"emails": many}),
        json!({"role": "member"}),
    ] {
        assert_problem(
            app.post(&path, Some(&app.owner_token), body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        )
        .await;
    }
    // A member who may not invite is refused once, for all of them.
    assert_problem(
        app.post(&path, Some(&plain), json!({"emails": ["x@example.org"]}))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}
