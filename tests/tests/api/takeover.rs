//! One tenant's admin creates an address with a password they chose, then tries every way that
//! address could come to another tenant: the person's own mail to its help desk, a Cc, a spoofed
//! sender an admin approves, access granted later. None may let that password open the other
//! tenant, and the other tenant holds nothing the first admin typed.

use reqwest::StatusCode;
use serde_json::{Value, json};
use usher_core::domain::TenantId;
use usher_tests::{Backend, TestApp, assert_problem, spawn_app, spawn_app_on};

const INBOX: &str = "help@desk.example";
const CFO: &str = "cfo@c.example";
/// What tenant B's admin chose and typed for the address.
const B_PASSWORD: &str = "quartz lantern meadow 19 piano";
const B_FIRST: &str = "Mallory";
const B_PHONE: &str = "+48 600 700 800";

/// The main tenant is C (the victim, with a help desk); B is another tenant whose admin creates
/// the CFO's address with a password of their choosing. Returns B's id and B's owner's session.
async fn b_creates_the_cfo(app: &TestApp) -> (TenantId, String) {
    app.settings(json!({"inbound": {"enabled": true, "addresses": [INBOX], "grant_access": true}}))
        .await;
    let (b, _, b_owner) = app.new_tenant("Tenant B").await;
    let created = app
        .create_user(
            b,
            &b_owner,
            json!({"email": CFO, "first_name": B_FIRST, "last_name": "Typed", "phone": B_PHONE,
                   "role": "member", "password": {"mode": "set", "value": B_PASSWORD}}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    (b, b_owner)
}

/// Posts a raw message to the local inbound endpoint with the verdicts in `query`.
async fn mail_c(app: &TestApp, query: &str, headers: &str) -> Value {
    let id = ulid::Ulid::new();
    let eml = format!("{headers}To: {INBOX}\r\nMessage-ID: <{id}@example.org>\r\n\r\nHello\r\n");
    let response = app
        .http
        .post(app.url(&format!("/_local/inbound{query}")))
        .body(eml)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let answer: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer
}

/// B's password opens nothing of C, and C holds nothing B typed.
async fn assert_c_is_safe(app: &TestApp, b: TenantId) {
    let c = app.tenant_id;
    // Sign-in for C: the answer of a wrong password.
    let refused = app
        .post(
            "/v1/sessions",
            None,
            json!({"email": CFO, "password": B_PASSWORD, "tenant_id": c.to_string()}),
        )
        .await;
    assert_problem(refused, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    // A session for B says nothing of C and opens nothing of it.
    let session = app.sign_in_token(CFO, B_PASSWORD).await;
    let me = app.get_json("/v1/me", &session).await;
    let tenants: Vec<&str> = me["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["tenant_id"].as_str().unwrap())
        .collect();
    assert_eq!(tenants, [b.to_string()], "{me}");
    for path in [format!("/v1/tenants/{c}"), format!("/v1/tenants/{c}/users")] {
        assert_problem(
            app.get(&path, &session).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    // Changing the names through the session writes nothing into C.
    let patched = app
        .request(
            reqwest::Method::PATCH,
            "/v1/me",
            Some(&session),
            Some(json!({"first_name": "Eve"})),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    if let Some(user) = app.user_by_email(CFO).await {
        assert_eq!(user["access"], false, "{user}");
        assert_eq!(user["needs_consent"], true, "{user}");
        assert!(user["phone"].is_null(), "{user}");
        for typed in [B_FIRST, "Typed", "Eve"] {
            assert!(
                user["first_name"] != typed && user["last_name"] != typed,
                "C shows what B typed: {user}"
            );
        }
    }
}

async fn each_backend(run: impl AsyncFn(&TestApp)) {
    for backend in [Backend::Embedded, Backend::Dynamo] {
        let app = spawn_app_on(backend).await;
        run(&app).await;
    }
}

/// (a) The real person writes to C's help desk, with DMARC passing.
#[tokio::test]
async fn the_persons_own_mail_records_them_without_opening_c() {
    each_backend(async |app: &TestApp| {
        let (b, _) = b_creates_the_cfo(app).await;
        let answer = mail_c(app, "", &format!("From: Carla Fo <{CFO}>\r\n")).await;
        assert_eq!(answer["outcomes"][0]["outcome"], "joined", "{answer}");
        let user = app.user_by_email(CFO).await.unwrap();
        assert_eq!(
            (user["first_name"].as_str(), user["last_name"].as_str()),
            (Some("Carla"), Some("Fo")),
            "the message's names"
        );
        assert_c_is_safe(app, b).await;
    })
    .await;
}

/// (b) Anyone writes to C with the person in Cc, where C includes Cc.
#[tokio::test]
async fn a_cc_records_the_person_without_opening_c() {
    each_backend(async |app: &TestApp| {
        let (b, _) = b_creates_the_cfo(app).await;
        app.settings(json!({"inbound": {"enabled": true, "addresses": [INBOX],
            "grant_access": true, "include_cc": true}}))
            .await;
        let answer = mail_c(
            app,
            "",
            &format!("From: Someone <someone@example.org>\r\nCc: Carla Fo <{CFO}>\r\n"),
        )
        .await;
        let outcomes: Vec<&str> = answer["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["outcome"].as_str().unwrap())
            .collect();
        assert_eq!(outcomes, ["created", "joined"], "{answer}");
        assert_c_is_safe(app, b).await;
    })
    .await;
}

/// (c) A message spoofing the person is held, and C's admin approves it.
#[tokio::test]
async fn an_approved_spoof_records_the_person_without_opening_c() {
    each_backend(async |app: &TestApp| {
        let (b, _) = b_creates_the_cfo(app).await;
        let answer = mail_c(
            app,
            "?dmarc=GRAY&spf=FAIL&dkim=FAIL",
            &format!("From: The CFO <{CFO}>\r\n"),
        )
        .await;
        assert_eq!(answer["outcomes"][0]["outcome"], "held", "{answer}");
        let held = app
            .get_json(
                &format!("/v1/tenants/{}/inbound/held", app.tenant_id),
                &app.owner_token,
            )
            .await;
        let id = held["items"][0]["id"].as_str().unwrap();
        let approved = app
            .post(
                &format!("/v1/tenants/{}/inbound/held/{id}/approve", app.tenant_id),
                Some(&app.owner_token),
                json!({}),
            )
            .await;
        assert_eq!(approved.status(), StatusCode::OK);
        assert_c_is_safe(app, b).await;
    })
    .await;
}

/// (d) With `grant_access` off the person is recorded; C's owner granting access later sends
/// the person an invitation to their own address instead of opening C. Only the person, through
/// that link, opens it.
#[tokio::test]
async fn granting_access_later_asks_the_person_instead() {
    each_backend(async |app: &TestApp| {
        let (b, _) = b_creates_the_cfo(app).await;
        app.settings(
            json!({"inbound": {"enabled": true, "addresses": [INBOX], "grant_access": false}}),
        )
        .await;
        mail_c(app, "", &format!("From: Carla Fo <{CFO}>\r\n")).await;
        let user = app.user_by_email(CFO).await.unwrap();
        let granted = app
            .post(
                &format!(
                    "/v1/tenants/{}/users/{}/access",
                    app.tenant_id,
                    user["id"].as_str().unwrap()
                ),
                Some(&app.owner_token),
                json!({"enabled": true}),
            )
            .await;
        assert_eq!(granted.status(), StatusCode::ACCEPTED);
        let body: Value = granted.json().await.unwrap();
        assert_eq!(body["invitation"]["email"], CFO);
        assert_c_is_safe(app, b).await;

        // The person accepts through the link mailed to their own address, choosing a password
        // of their own in place of the one B knew: C opens for them, and every session made
        // with B's password has ended.
        let stale = app.sign_in_token(CFO, B_PASSWORD).await;
        let token = app.invitation_token_for(CFO).await;
        let accepted = app
            .accept(
                &token,
                json!({"mode": "existing", "email": CFO, "password": B_PASSWORD,
                       "new_password": "amber lantern orchard 77 quiver"}),
            )
            .await;
        assert_eq!(accepted.status(), StatusCode::OK);
        let user = app.user_by_email(CFO).await.unwrap();
        assert_eq!(user["access"], true);
        assert!(user.get("needs_consent").is_none(), "{user}");
        assert_eq!(
            app.get("/v1/me", &stale).await.status(),
            StatusCode::UNAUTHORIZED
        );
    })
    .await;
}

/// Under policy `any`, a link to another address does not prove this one: B's password is a
/// wrong password for joining C, and B's session no session for it.
#[tokio::test]
async fn a_link_for_another_address_does_not_free_the_password() {
    each_backend(async |app: &TestApp| {
        let (b, _) = b_creates_the_cfo(app).await;
        app.settings(json!({"invitation_email_policy": "any"}))
            .await;
        let invited = app.invite_to_main("someone@example.org").await;
        assert_eq!(invited["email"], "someone@example.org");
        let token = app.invitation_token_for("someone@example.org").await;
        let refused = app
            .accept(
                &token,
                json!({"mode": "existing", "email": CFO, "password": B_PASSWORD}),
            )
            .await;
        assert_problem(refused, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
        let session = app.sign_in_token(CFO, B_PASSWORD).await;
        let refused = app
            .post(
                &format!("/v1/invitations/{token}/accept"),
                Some(&session),
                json!({"mode": "session"}),
            )
            .await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        assert!(app.user_by_email(CFO).await.is_none());
        assert_c_is_safe(app, b).await;
    })
    .await;
}

/// The person takes the account back through "forgot password": the password they choose opens
/// every tenant they are in, and B's no longer signs in at all.
#[tokio::test]
async fn forgot_password_takes_the_account_back() {
    let app = spawn_app().await;
    let (b, _) = b_creates_the_cfo(&app).await;
    let token = app.reset_token_for(CFO).await;
    let new_password = "harbour violet 77 kettle mosaic";
    assert_eq!(
        app.reset(&token, new_password).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(
        app.sign_in(CFO, B_PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let opened = app
        .post(
            "/v1/sessions",
            None,
            json!({"email": CFO, "password": new_password, "tenant_id": b.to_string()}),
        )
        .await;
    assert_eq!(opened.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn accepting_cs_invitation_with_bs_password_takes_a_new_one_of_the_persons_own() {
    let app = spawn_app().await;
    let (b, _) = b_creates_the_cfo(&app).await;
    app.invite_to_main(CFO).await;
    let token = app.invitation_token_for(CFO).await;
    let accept = |body: Value| app.accept(&token, body);

    // B's password is right, but B's admin knows it: joining C takes a new one.
    let response = accept(json!({"mode": "existing", "email": CFO, "password": B_PASSWORD})).await;
    let problem = assert_problem(response, StatusCode::CONFLICT, "new_password_required").await;
    assert_eq!(problem["field"], "new_password");
    // A wrong password is still a wrong password: no hint that a new one would be asked.
    let response = accept(
        json!({"mode": "existing", "email": CFO, "password": "not it at all",
                                 "new_password": "amber lantern orchard 77 quiver"}),
    )
    .await;
    assert_problem(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    // The same password again, or a weak one, is refused; nothing changed meanwhile.
    let response = accept(
        json!({"mode": "existing", "email": CFO, "password": B_PASSWORD,
                                 "new_password": B_PASSWORD}),
    )
    .await;
    assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "password_reused",
    )
    .await;
    let response = accept(
        json!({"mode": "existing", "email": CFO, "password": B_PASSWORD,
                                 "new_password": "short"}),
    )
    .await;
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "weak_password").await;
    // (Each try counted against this address's sign-in limit; its window ends.)
    app.clock.advance(chrono::Duration::minutes(16));
    assert_c_is_safe(&app, b).await;

    // With one of the person's own, they join; B's password opens nothing any more.
    let own = "amber lantern orchard 77 quiver";
    let response = accept(
        json!({"mode": "existing", "email": CFO, "password": B_PASSWORD,
                                 "new_password": own}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    app.clock.advance(chrono::Duration::minutes(16));
    for tenant in [app.tenant_id, b] {
        let refused = app
            .post(
                "/v1/sessions",
                None,
                json!({"email": CFO, "password": B_PASSWORD, "tenant_id": tenant.to_string()}),
            )
            .await;
        assert_problem(refused, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    }
    let session = app.sign_in_token(CFO, own).await;
    for tenant in [app.tenant_id, b] {
        assert_eq!(
            app.get(&format!("/v1/tenants/{tenant}"), &session)
                .await
                .status(),
            StatusCode::OK
        );
    }
}
