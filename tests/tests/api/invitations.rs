//! Invitations end to end: sending, the link's states, accepting every way, managing them, and
//! the consent an existing account's membership now needs.

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use usher_tests::{
    GOOD_PASSWORD, TestApp, actions, assert_problem, spawn_app, spawn_app_with_config, token_of,
};

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
            json!({"mode": "new", "first_name": "Otto", "last_name": "Other", "password": GOOD_PASSWORD,
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

    let links: Vec<String> = app
        .mails_to("otto@example.org")
        .await
        .into_iter()
        .flat_map(|m| m.links)
        .filter(|l| l.contains("/invite/confirm/"))
        .collect();
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
        app.post("/v1/invitations/confirm", None, json!({"token": token}))
            .await,
        StatusCode::NOT_FOUND,
        "token_invalid",
    )
    .await;

    let response = app
        .post(
            "/v1/invitations/confirm",
            None,
            json!({"token": confirmation}),
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
            json!({"token": confirmation}),
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

#[tokio::test]
async fn links_expire_by_the_clock_and_an_expired_invitation_never_blocks_a_new_one() {
    let app = spawn_app().await;
    let first = app.invite_to_main("late@example.org").await;
    let token = app.invitation_token_for("late@example.org").await;
    assert_problem(
        app.invite(
            app.tenant_id,
            &app.owner_token,
            json!({"email": "LATE@example.org"}),
        )
        .await,
        StatusCode::CONFLICT,
        "invitation_pending",
    )
    .await;
    app.clock
        .advance(Duration::hours(168) + Duration::seconds(1));
    let owner = app.sign_in_token(&app.owner_email, GOOD_PASSWORD).await;
    assert_problem(
        app.invitation_preview(&token).await,
        StatusCode::GONE,
        "token_expired",
    )
    .await;
    assert_problem(
        app.accept_as_new(&token).await,
        StatusCode::GONE,
        "token_expired",
    )
    .await;
    let listed: Value = app
        .get_json(
            &format!("/v1/tenants/{}/invitations?status=expired", app.tenant_id),
            &owner,
        )
        .await;
    assert_eq!(listed["items"][0]["id"], first["id"]);
    assert_eq!(listed["items"][0]["status"], "expired");
    let again = app
        .invite(app.tenant_id, &owner, json!({"email": "late@example.org"}))
        .await;
    assert_eq!(again.status(), StatusCode::CREATED);
    let again: Value = again.json().await.unwrap();
    assert_ne!(again["id"], first["id"]);
    let pending: Value = app
        .get_json(
            &format!("/v1/tenants/{}/invitations?status=pending", app.tenant_id),
            &owner,
        )
        .await;
    assert_eq!(pending["items"].as_array().unwrap().len(), 1);
    assert_eq!(pending["items"][0]["id"], again["id"]);
}

#[tokio::test]
async fn a_revoked_invitation_dies_at_once_and_frees_the_email() {
    let app = spawn_app().await;
    let invitation = app.invite_to_main("gone@example.org").await;
    let token = app.invitation_token_for("gone@example.org").await;
    app.clock.advance(Duration::seconds(1));
    let path = format!(
        "/v1/tenants/{}/invitations/{}",
        app.tenant_id,
        invitation["id"].as_str().unwrap()
    );
    assert_eq!(
        app.request(Method::DELETE, &path, Some(&app.owner_token), None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(
        app.invitation_preview(&token).await,
        StatusCode::GONE,
        "token_revoked",
    )
    .await;
    assert_problem(
        app.accept_as_new(&token).await,
        StatusCode::GONE,
        "token_revoked",
    )
    .await;
    assert_problem(
        app.request(Method::DELETE, &path, Some(&app.owner_token), None)
            .await,
        StatusCode::CONFLICT,
        "invitation_not_pending",
    )
    .await;
    let fetched: Value = app.get_json(&path, &app.owner_token).await;
    assert_eq!(fetched["status"], "revoked");
    assert!(fetched["revoked_at"].is_string());
    app.clock.advance(Duration::seconds(1));
    app.invite_to_main("gone@example.org").await;
    let log = app
        .log_entries(
            &format!("/v1/tenants/{}/events", app.tenant_id),
            &app.owner_token,
        )
        .await;
    assert_eq!(
        &actions(&log)[..3],
        ["invitation.sent", "invitation.revoked", "invitation.sent"]
    );
}

#[tokio::test]
async fn a_resend_keeps_the_invitation_kills_the_old_link_and_is_limited_per_day() {
    let app = spawn_app().await;
    let invitation = app.invite_to_main("again@example.org").await;
    let old = app.invitation_token_for("again@example.org").await;
    let path = format!(
        "/v1/tenants/{}/invitations/{}/resend",
        app.tenant_id,
        invitation["id"].as_str().unwrap()
    );
    app.clock.advance(Duration::hours(100));
    let owner = app.sign_in_token(&app.owner_email, GOOD_PASSWORD).await;
    let response = app.post(&path, Some(&owner), json!({})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let resent: Value = response.json().await.unwrap();
    assert_eq!(resent["id"], invitation["id"]);
    assert!(
        resent["expires_at"].as_str() > invitation["expires_at"].as_str(),
        "a new expiry"
    );
    let links = app.invitation_links_to("again@example.org").await;
    assert_eq!(links.len(), 2);
    let new = links
        .iter()
        .map(|l| token_of(l))
        .find(|t| *t != old)
        .unwrap();
    let reminder = &app.mails_to("again@example.org").await[0].mail;
    assert!(
        reminder.subject.starts_with("Reminder"),
        "{}",
        reminder.subject
    );
    assert_problem(
        app.accept_as_new(&old).await,
        StatusCode::GONE,
        "token_expired",
    )
    .await;
    for _ in 0..4 {
        assert_eq!(
            app.post(&path, Some(&owner), json!({})).await.status(),
            StatusCode::OK
        );
    }
    let limited = app.post(&path, Some(&owner), json!({})).await;
    assert!(limited.headers().contains_key("retry-after"));
    assert_problem(limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // Of the six links mailed, only the last one works.
    let mut working = Vec::new();
    for link in app.invitation_links_to("again@example.org").await {
        let token = token_of(&link);
        let preview = app.invitation_preview(&token).await;
        if preview.status() == StatusCode::OK {
            working.push(token);
        } else {
            assert_problem(preview, StatusCode::GONE, "token_expired").await;
        }
    }
    assert_eq!(working.len(), 1);
    assert_ne!(working[0], new);
    assert_eq!(
        app.accept_as_new(&working[0]).await.status(),
        StatusCode::OK
    );
    let log = app
        .log_entries(
            &format!(
                "/v1/tenants/{}/events?action=invitation.resent",
                app.tenant_id
            ),
            &owner,
        )
        .await;
    assert_eq!(log.len(), 5);
}

#[tokio::test]
async fn members_invite_only_where_allowed_as_members_and_see_only_their_own() {
    let app = spawn_app().await;
    app.settings(json!({"permission_catalog": [{"name": "reports.reply", "label": "Reply"}, {"name": "fleet.manage", "label": "Fleet"}]})).await;
    let (_, _, member) = app
        .member(app.tenant_id, "member", &["reports.reply"])
        .await;
    let invitations = format!("/v1/tenants/{}/invitations", app.tenant_id);
    assert_problem(
        app.invite(app.tenant_id, &member, json!({"email": "x@example.org"}))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        app.get(&invitations, &member).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // The tenant's log is for owners and admins.
    assert_problem(
        app.get(&format!("/v1/tenants/{}/events", app.tenant_id), &member)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    app.settings(json!({"members_can_invite": true})).await;
    assert_problem(
        app.invite(
            app.tenant_id,
            &member,
            json!({"email": "x@example.org", "role": "admin"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "role_not_allowed",
    )
    .await;
    assert_problem(
        app.invite(
            app.tenant_id,
            &member,
            json!({"email": "x@example.org", "permissions": ["fleet.manage"]}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "permission_not_allowed",
    )
    .await;
    assert_problem(
        app.invite(
            app.tenant_id,
            &member,
            json!({"email": "x@example.org", "permissions": ["users.manage"]}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "permission_not_allowed",
    )
    .await;
    let mine = app
        .invite(
            app.tenant_id,
            &member,
            json!({"email": "x@example.org", "permissions": ["reports.reply"]}),
        )
        .await;
    assert_eq!(mine.status(), StatusCode::CREATED);
    let mine: Value = mine.json().await.unwrap();
    app.clock.advance(Duration::seconds(1));
    let owners = app.invite_to_main("y@example.org").await;

    let listed: Value = app.get_json(&invitations, &member).await;
    let ids: Vec<&Value> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["id"])
        .collect();
    assert_eq!(ids, [&mine["id"]]);
    let all: Value = app.get_json(&invitations, &app.owner_token).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    assert_eq!(all["items"][0]["id"], owners["id"], "newest first");
    let others = format!("{invitations}/{}", owners["id"].as_str().unwrap());
    assert_problem(
        app.get(&others, &member).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.request(Method::DELETE, &others, Some(&member), None)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.post(&format!("{others}/resend"), Some(&member), json!({}))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let own = format!("{invitations}/{}", mine["id"].as_str().unwrap());
    assert_eq!(
        app.request(Method::DELETE, &own, Some(&member), None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );

    // Admins may not invite owners; owners may.
    let (_, _, admin) = app.member(app.tenant_id, "admin", &[]).await;
    assert_problem(
        app.invite(
            app.tenant_id,
            &admin,
            json!({"email": "z@example.org", "role": "owner"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "role_not_allowed",
    )
    .await;
    let owner_invite = app
        .invite(
            app.tenant_id,
            &app.owner_token,
            json!({"email": "z@example.org", "role": "owner"}),
        )
        .await;
    assert_eq!(owner_invite.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn members_archived_members_and_quotas_are_refused_with_their_codes() {
    let app = spawn_app_with_config(|config| config.invitations_per_inviter = 3).await;
    let (member_id, member_email, _) = app.member(app.tenant_id, "member", &[]).await;
    assert_problem(
        app.invite(
            app.tenant_id,
            &app.owner_token,
            json!({"email": member_email.to_uppercase()}),
        )
        .await,
        StatusCode::CONFLICT,
        "already_member",
    )
    .await;
    // Archive the member in the table (the archive route comes with the user lifecycle).
    let key = usher_core::keys::membership(app.tenant_id, member_id.parse().unwrap());
    let mut item = app.table.get(&key).await.unwrap().unwrap();
    item.insert("status".into(), json!("archived"));
    app.table
        .transact(vec![usher_core::table::Op::put(item)])
        .await
        .unwrap();
    assert_problem(
        app.invite(
            app.tenant_id,
            &app.owner_token,
            json!({"email": member_email}),
        )
        .await,
        StatusCode::CONFLICT,
        "member_archived",
    )
    .await;

    for n in 0..3 {
        app.invite_to_main(&format!("q{n}@example.org")).await;
    }
    let limited = app
        .invite(
            app.tenant_id,
            &app.owner_token,
            json!({"email": "q3@example.org"}),
        )
        .await;
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 23 * 3600 && retry <= 24 * 3600, "{retry}");
    assert_problem(limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // Another admin has their own daily count.
    let (_, _, admin) = app.member(app.tenant_id, "admin", &[]).await;
    assert_eq!(
        app.invite(app.tenant_id, &admin, json!({"email": "q3@example.org"}))
            .await
            .status(),
        StatusCode::CREATED
    );
    app.clock.advance(Duration::hours(24));
    let owner = app.sign_in_token(&app.owner_email, GOOD_PASSWORD).await;
    assert_eq!(
        app.invite(app.tenant_id, &owner, json!({"email": "q4@example.org"}))
            .await
            .status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn the_tenant_quota_counts_every_inviter() {
    let app = spawn_app_with_config(|config| config.invitations_per_tenant = 2).await;
    let (_, _, admin) = app.member(app.tenant_id, "admin", &[]).await;
    app.invite_to_main("t1@example.org").await;
    assert_eq!(
        app.invite(app.tenant_id, &admin, json!({"email": "t2@example.org"}))
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_problem(
        app.invite(app.tenant_id, &admin, json!({"email": "t3@example.org"}))
            .await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    )
    .await;
    // Nothing was filed for the refused one.
    assert!(app.mails_to("t3@example.org").await.is_empty());
}

#[tokio::test]
async fn creating_a_user_whose_email_has_an_account_invites_them_once() {
    let app = spawn_app().await;
    let (_, other_owner, _) = app.new_tenant("Leasing").await;
    let body = json!({"email": other_owner, "first_name": "X", "last_name": "Y", "role": "member",
                      "permissions": [], "password": {"mode": "generate"}, "send_credentials": true});
    let response = app
        .create_user(app.tenant_id, &app.owner_token, body.clone())
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    // Only the invitation was mailed; no password was generated or set.
    let mails = app.mails_to(&other_owner).await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0]
            .mail
            .subject
            .contains("invites you to join Comune di Forlì")
    );
    assert_eq!(
        app.sign_in(&other_owner, GOOD_PASSWORD).await.status(),
        StatusCode::CREATED
    );
    assert_problem(
        app.create_user(app.tenant_id, &app.owner_token, body).await,
        StatusCode::CONFLICT,
        "invitation_pending",
    )
    .await;
}

/// A tenant that announces newcomers tells every active member once, through a job that pages
/// through the members within the 100-operation transaction limit.
#[tokio::test]
async fn every_active_member_of_a_large_tenant_hears_of_a_newcomer_exactly_once() {
    let app = spawn_app().await;
    let members: Vec<String> = (0..250)
        .map(|n| format!("member-{n:03}@example.org"))
        .collect();
    let mut ids = Vec::new();
    for chunk in members.chunks(10) {
        let created = chunk.iter().map(|email| {
            app.create_user(
                app.tenant_id,
                &app.owner_token,
                json!({"email": email, "first_name": "M", "last_name": "Ember", "role": "member",
                       "password": {"mode": "link"}}),
            )
        });
        for response in futures::future::join_all(created).await {
            assert_eq!(response.status(), StatusCode::CREATED);
            let body: Value = response.json().await.unwrap();
            ids.push(body["user"]["id"].as_str().unwrap().to_owned());
        }
    }
    // One of them archived: not told.
    let archived = &members[7];
    let archived_id = &ids[7];
    let key = usher_core::keys::membership(app.tenant_id, archived_id.parse().unwrap());
    let mut item = app.table.get(&key).await.unwrap().unwrap();
    item.insert("status".into(), json!("archived"));
    app.table
        .transact(vec![usher_core::table::Op::put(item)])
        .await
        .unwrap();
    app.dispatch_all_pending().await;

    app.settings(json!({"announce_new_members": true})).await;
    app.invite_to_main("newcomer@example.org").await;
    let token = app.invitation_token_for("newcomer@example.org").await;
    assert_eq!(app.accept_as_new(&token).await.status(), StatusCode::OK);

    let mails = app.sent_mails().await;
    // Mails of one tick of the test clock have no order: the announcement is told by its subject.
    let announcements: Vec<&str> = mails
        .iter()
        .filter(|m| m.mail.subject == "Ivy Invitee joined Comune di Forlì")
        .map(|m| m.mail.to.as_str())
        .collect();
    let mut told = announcements.clone();
    told.sort();
    told.dedup();
    assert_eq!(told.len(), announcements.len(), "nobody is told twice");
    let mut expected: Vec<&str> = members
        .iter()
        .filter(|m| *m != archived)
        .map(String::as_str)
        .chain(std::iter::once(app.owner_email.as_str()))
        .collect();
    expected.sort();
    assert_eq!(told, expected, "every active member but the newcomer, once");
    assert!(app.outbox_items().await.is_empty(), "the job finished");
}

#[tokio::test]
async fn invitations_and_events_come_newest_first_a_page_at_a_time() {
    let app = spawn_app().await;
    let mut sent = Vec::new();
    for n in 0..5 {
        sent.push(app.invite_to_main(&format!("page-{n}@example.org")).await["id"].clone());
        app.clock.advance(Duration::seconds(1));
    }
    sent.reverse();
    let path = format!("/v1/tenants/{}/invitations", app.tenant_id);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}?limit=2&cursor={c}"),
            None => format!("{path}?limit=2"),
        };
        let page: Value = app.get_json(&url, &app.owner_token).await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|i| i["id"].clone()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, sent);
    // A cursor from another listing is refused.
    let events: Value = app
        .get_json(
            &format!("/v1/tenants/{}/events?limit=2", app.tenant_id),
            &app.owner_token,
        )
        .await;
    let event_cursor = events["next_cursor"].as_str().unwrap();
    assert_problem(
        app.get(&format!("{path}?cursor={event_cursor}"), &app.owner_token)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    let next: Value = app
        .get_json(
            &format!(
                "/v1/tenants/{}/events?limit=2&cursor={event_cursor}",
                app.tenant_id
            ),
            &app.owner_token,
        )
        .await;
    assert_eq!(
        actions(next["items"].as_array().unwrap()),
        ["invitation.sent", "invitation.sent"]
    );
}
