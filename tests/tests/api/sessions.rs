use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use usher_tests::{GOOD_PASSWORD, TestApp, assert_problem, spawn_app, spawn_app_with_config};

#[tokio::test]
async fn sign_in_returns_a_session_with_the_account_and_its_tenants() {
    let app = spawn_app().await;
    let response = app.sign_in(&app.owner_email, GOOD_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["account"]["email"], app.owner_email);
    assert_eq!(body["password_change_required"], false);
    assert_eq!(
        body["memberships"][0]["tenant_id"],
        app.tenant_id.to_string()
    );
    assert_eq!(body["memberships"][0]["role"], "owner");
    let token = body["token"].as_str().unwrap();
    let me: Value = app.get_json("/v1/me", token).await;
    assert_eq!(me["account"]["id"], body["account"]["id"]);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;
    let wrong = app
        .sign_in(&app.owner_email, "not the password at all")
        .await;
    let wrong = assert_problem(wrong, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let unknown = app
        .sign_in("nobody@example.org", "not the password at all")
        .await;
    let unknown = assert_problem(unknown, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    assert_eq!(wrong, unknown);
}

#[tokio::test]
async fn repeated_failures_for_one_email_are_throttled_whether_or_not_it_exists() {
    let app = spawn_app().await;
    for email in [app.owner_email.as_str(), "nobody@example.org"] {
        for _ in 0..5 {
            let response = app.sign_in(email, "not the password at all").await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        }
        let response = app.sign_in(email, GOOD_PASSWORD).await;
        let retry_after: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=900).contains(&retry_after));
        assert_problem(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    }
    // Another email is not affected, and the window ends.
    app.clock.advance(Duration::minutes(16));
    assert_eq!(
        app.sign_in(&app.owner_email, GOOD_PASSWORD).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_successful_sign_in_clears_earlier_failures() {
    let app = spawn_app().await;
    for _ in 0..4 {
        app.sign_in(&app.owner_email, "not the password at all")
            .await;
    }
    assert_eq!(
        app.sign_in(&app.owner_email, GOOD_PASSWORD).await.status(),
        StatusCode::CREATED
    );
    for _ in 0..4 {
        app.sign_in(&app.owner_email, "not the password at all")
            .await;
    }
    assert_eq!(
        app.sign_in(&app.owner_email, GOOD_PASSWORD).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_temporary_password_session_may_only_change_the_password() {
    let app = spawn_app().await;
    let email = "temp@example.org";
    let temporary = &app.user_with_generated_password(email).await;
    let response = app.sign_in(email, temporary).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["password_change_required"], true);
    let token = body["token"].as_str().unwrap();

    let tenant = app
        .get(&format!("/v1/tenants/{}", app.tenant_id), token)
        .await;
    assert_problem(tenant, StatusCode::FORBIDDEN, "password_change_required").await;
    let me: Value = app.get_json("/v1/me", token).await;
    assert_eq!(me["password_change_required"], true);

    assert_eq!(
        app.change_password(token, temporary, GOOD_PASSWORD)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    // The same session is now a full one, and the temporary password is gone.
    assert_eq!(
        app.get(&format!("/v1/tenants/{}", app.tenant_id), token)
            .await
            .status(),
        StatusCode::OK
    );
    assert_problem(
        app.sign_in(email, temporary).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let body: Value = app
        .sign_in(email, GOOD_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["password_change_required"], false);
}

#[tokio::test]
async fn a_temporary_password_stops_working_after_seven_days_unused() {
    let app = spawn_app().await;
    let temporary = &app.user_with_generated_password("late@example.org").await;
    app.clock.advance(Duration::days(7) + Duration::minutes(1));
    assert_problem(
        app.sign_in("late@example.org", temporary).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = spawn_app().await;
    let token = app.sign_in_token(&app.owner_email, GOOD_PASSWORD).await;
    let response = app
        .request(
            reqwest::Method::DELETE,
            "/v1/sessions/current",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.get("/v1/me", &token).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    let again = app
        .request(
            reqwest::Method::DELETE,
            "/v1/sessions/current",
            Some(&token),
            None,
        )
        .await;
    assert_problem(again, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    // Other sessions live on.
    assert_eq!(
        app.get("/v1/me", &app.owner_token).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn sessions_expire() {
    let app = spawn_app().await;
    app.clock
        .advance(Duration::hours(12) + Duration::seconds(1));
    assert_problem(
        app.get("/v1/me", &app.owner_token).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn changing_the_password_ends_every_other_session_but_this_one() {
    let app = spawn_app().await;
    let other = app.sign_in_token(&app.owner_email, GOOD_PASSWORD).await;
    let new_password = "saffron glacier 17 pendulum";
    assert_eq!(
        app.change_password(&app.owner_token, GOOD_PASSWORD, new_password)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get("/v1/me", &app.owner_token).await.status(),
        StatusCode::OK
    );
    assert_problem(
        app.get("/v1/me", &other).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    assert_problem(
        app.sign_in(&app.owner_email, GOOD_PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert_eq!(
        app.sign_in(&app.owner_email, new_password).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_a_strong_new_one() {
    let app = spawn_app().await;
    let wrong = app
        .change_password(
            &app.owner_token,
            "not my password",
            "saffron glacier 17 pendulum",
        )
        .await;
    assert_problem(wrong, StatusCode::FORBIDDEN, "invalid_credentials").await;
    for (weak, reason) in [
        ("short", "at least 12"),
        ("password1234", "guess"),
        ("            ", "guess"),
    ] {
        let response = app
            .change_password(&app.owner_token, GOOD_PASSWORD, weak)
            .await;
        let body =
            assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "weak_password").await;
        assert!(body["detail"].as_str().unwrap().contains(reason), "{body}");
    }
    let too_long = "x".repeat(257);
    let response = app
        .change_password(&app.owner_token, GOOD_PASSWORD, &too_long)
        .await;
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "weak_password").await;
    // Nothing changed.
    assert_eq!(
        app.sign_in(&app.owner_email, GOOD_PASSWORD).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn forged_and_malformed_tokens_are_refused() {
    let app = spawn_app().await;
    let real = app.owner_token.clone();
    let (account, secret) = real.split_once('.').unwrap();
    let other_account = ulid::Ulid::new().to_string();
    let mut flipped = secret.to_owned();
    flipped.replace_range(0..1, if secret.starts_with('A') { "B" } else { "A" });
    for forged in [
        format!("{other_account}.{secret}"),
        format!("{account}.{flipped}"),
        format!("{account}.{}", &secret[..42]),
        format!("{account}.{secret}x"),
        secret.to_owned(),
        "garbage".to_owned(),
    ] {
        assert_problem(
            app.get("/v1/me", &forged).await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        )
        .await;
    }
    let missing = app
        .request(reqwest::Method::GET, "/v1/me", None, None)
        .await;
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    assert_problem(missing, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn signing_in_to_a_tenant_needs_access_to_it() {
    let app = spawn_app().await;
    let (other_tenant, _, _) = app.new_tenant("Other").await;
    let response = app
        .post("/v1/sessions", None, json!({"email": app.owner_email, "password": GOOD_PASSWORD, "tenant_id": other_tenant.to_string()}))
        .await;
    assert_problem(response, StatusCode::FORBIDDEN, "membership_inactive").await;
    let response = app
        .post("/v1/sessions", None, json!({"email": app.owner_email, "password": GOOD_PASSWORD, "tenant_id": app.tenant_id.to_string()}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn parallel_guesses_get_no_more_attempts_than_the_limit() {
    let app = spawn_app().await;
    let guesses = (0..30).map(|i| {
        app.sign_in(
            &app.owner_email,
            if i == 29 {
                GOOD_PASSWORD
            } else {
                "a wrong guess here"
            },
        )
    });
    let statuses: Vec<StatusCode> = futures::future::join_all(guesses)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    let verified = statuses
        .iter()
        .filter(|s| **s != StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(
        (1..=5).contains(&verified),
        "at most five attempts were verified: {statuses:?}"
    );
    assert!(statuses.iter().all(|s| {
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::CREATED,
            StatusCode::TOO_MANY_REQUESTS,
        ]
        .contains(s)
    }));
    if verified == 5 && !statuses.contains(&StatusCode::CREATED) {
        // The window is full: even the right password waits.
        assert_eq!(
            app.sign_in(&app.owner_email, GOOD_PASSWORD).await.status(),
            StatusCode::TOO_MANY_REQUESTS
        );
    }
}

#[tokio::test]
async fn guessing_the_current_password_spends_the_same_budget_as_sign_in() {
    let app = spawn_app().await;
    for _ in 0..3 {
        let response = app
            .sign_in(&app.owner_email, "not the password at all")
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    for _ in 0..2 {
        let response = app
            .change_password(
                &app.owner_token,
                "not my password",
                "saffron glacier 17 pendulum",
            )
            .await;
        assert_problem(response, StatusCode::FORBIDDEN, "invalid_credentials").await;
    }
    let response = app
        .change_password(
            &app.owner_token,
            GOOD_PASSWORD,
            "saffron glacier 17 pendulum",
        )
        .await;
    assert!(response.headers().contains_key("retry-after"));
    assert_problem(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert_problem(
        app.sign_in(&app.owner_email, GOOD_PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    )
    .await;
    app.clock.advance(Duration::minutes(16));
    let response = app
        .change_password(
            &app.owner_token,
            GOOD_PASSWORD,
            "saffron glacier 17 pendulum",
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

/// Point 4: a temporary password "changed" to itself does not become permanent, and a reset link
/// does not set the current password again.
#[tokio::test]
async fn a_password_change_must_change_the_password() {
    let app = spawn_app().await;
    let temporary = app.user_with_generated_password("temp@example.org").await;
    let token = app.sign_in_token("temp@example.org", &temporary).await;
    let response = app.change_password(&token, &temporary, &temporary).await;
    assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "password_reused",
    )
    .await;
    // Still temporary: the session may do nothing but change it.
    let me = app
        .get(&format!("/v1/tenants/{}", app.tenant_id), &token)
        .await;
    assert_problem(me, StatusCode::FORBIDDEN, "password_change_required").await;

    let (_, member, _) = app.member(app.tenant_id, "member", &[]).await;
    let reset = app.reset_token_for(&member).await;
    let response = app.reset(&reset, GOOD_PASSWORD).await;
    assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "password_reused",
    )
    .await;
    // The link still works for a new password.
    let response = app.reset(&reset, "amber lantern orchard 77 quiver").await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

/// Point 5: a password that is the person's name or email, as typed, is refused.
#[tokio::test]
async fn a_password_made_of_the_persons_own_details_is_refused() {
    let app = spawn_app().await;
    for (email, first, last, password) in [
        (
            "bq@example.org",
            "Bartholomew",
            "Quigley",
            "Bartholomew Quigley",
        ),
        (
            "marguerite.kowalczyk@example.org",
            "Marguerite",
            "Kowalczyk",
            "Marguerite Kowalczyk",
        ),
        (
            "marguerite.kowalczyk@example.org",
            "Marguerite",
            "Kowalczyk",
            "marguerite.kowalczyk",
        ),
    ] {
        let response = app
            .create_user(
                app.tenant_id,
                &app.owner_token,
                json!({"email": email, "first_name": first, "last_name": last, "role": "member",
                       "password": {"mode": "set", "value": password}}),
            )
            .await;
        assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "weak_password").await;
    }
}

/// Point 11: the Authorization scheme is case-insensitive (RFC 9110).
#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = spawn_app().await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let response = app
            .http
            .get(app.url("/v1/me"))
            .header("authorization", format!("{scheme} {}", app.owner_token))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{scheme}");
    }
    let response = app
        .http
        .get(app.url("/v1/me"))
        .header("authorization", format!("Basic {}", app.owner_token))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

/// A client whose connections come from `ip` (any address of 127.0.0.0/8 reaches the server).
fn client_from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(ip))
        .build()
        .unwrap()
}

async fn sign_in_from(
    app: &TestApp,
    client: &reqwest::Client,
    email: &str,
    password: &str,
) -> StatusCode {
    client
        .post(app.url("/v1/sessions"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
}

/// Point 7: a stranger's failures do not keep the person out from another address.
#[tokio::test]
async fn a_strangers_failures_do_not_lock_the_person_out() {
    let app = spawn_app().await;
    let stranger = client_from([127, 0, 0, 2]);
    for _ in 0..5 {
        let status =
            sign_in_from(&app, &stranger, &app.owner_email, "a wrong guess entirely").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let status = sign_in_from(&app, &stranger, &app.owner_email, GOOD_PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the stranger's address is stopped"
    );
    let owner = client_from([127, 0, 0, 1]);
    let status = sign_in_from(&app, &owner, &app.owner_email, GOOD_PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the owner, elsewhere, signs in"
    );
}

/// Point 7: one address spraying a password over many emails is slowed.
#[tokio::test]
async fn one_address_spraying_many_emails_is_slowed() {
    let app = spawn_app().await;
    let sprayer = client_from([127, 0, 0, 3]);
    let mut refused = 0;
    for n in 0..30 {
        let email = format!("sprayed-{n}@example.org");
        match sign_in_from(&app, &sprayer, &email, "Summer2026!").await {
            StatusCode::UNAUTHORIZED => {}
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(refused, 10, "20 failures from one address, then 429");
    // Another address is not affected.
    let status = sign_in_from(
        &app,
        &client_from([127, 0, 0, 4]),
        &app.owner_email,
        GOOD_PASSWORD,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
}

/// Point 7: many addresses together still meet a ceiling per email.
#[tokio::test]
async fn many_addresses_together_meet_the_per_email_ceiling() {
    let app = spawn_app_with_config(|config| config.sign_in_per_email.max = 8).await;
    for (ip, tries) in [([127, 0, 0, 5], 5), ([127, 0, 0, 6], 3)] {
        let client = client_from(ip);
        for _ in 0..tries {
            let status =
                sign_in_from(&app, &client, &app.owner_email, "a wrong guess entirely").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
    }
    let status = sign_in_from(
        &app,
        &client_from([127, 0, 0, 7]),
        &app.owner_email,
        GOOD_PASSWORD,
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

/// Signs in as `email` with a user agent of `agent`.
async fn sign_in_with_agent(app: &TestApp, email: &str, agent: &str) -> String {
    let response = app
        .http
        .post(app.url("/v1/sessions"))
        .header("user-agent", agent)
        .json(&json!({"email": email, "password": GOOD_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

async fn my_sessions(app: &TestApp, token: &str) -> Vec<Value> {
    let response = app.get("/v1/me/sessions", token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_person_sees_their_sessions_and_ends_one() {
    let app = spawn_app().await;
    let (_, email, _) = app.member(app.tenant_id, "member", &[]).await;
    app.clock.advance(Duration::minutes(1));
    let laptop = sign_in_with_agent(&app, &email, "Laptop Browser/1.0").await;
    app.clock.advance(Duration::minutes(1));
    let phone = sign_in_with_agent(&app, &email, "Phone\tBrowser/2.0").await;

    let seen = my_sessions(&app, &phone).await;
    // The member's own session from `member()`, then these two: newest first.
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(
        seen[0]["user_agent"], "Phone Browser/2.0",
        "a control character becomes a space"
    );
    assert_eq!(seen[0]["current"], true);
    assert_eq!(seen[0]["client_address"], "127.0.0.1");
    assert_eq!(seen[1]["user_agent"], "Laptop Browser/1.0");
    assert_eq!(seen[1]["current"], false);
    assert!(
        seen.iter()
            .all(|s| s.get("token").is_none() && s.get("session_hash").is_none())
    );

    // Ending the laptop's session from the phone: the laptop is signed out at once.
    let laptop_id = seen[1]["id"].as_str().unwrap();
    let response = app
        .request(
            reqwest::Method::DELETE,
            &format!("/v1/me/sessions/{laptop_id}"),
            Some(&phone),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.get("/v1/me", &laptop).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    assert_eq!(my_sessions(&app, &phone).await.len(), 2);
    // Gone is gone: a second end of it is a 404.
    let again = app
        .request(
            reqwest::Method::DELETE,
            &format!("/v1/me/sessions/{laptop_id}"),
            Some(&phone),
            None,
        )
        .await;
    assert_problem(again, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn a_person_cannot_see_or_end_anothers_sessions() {
    let app = spawn_app().await;
    let (_, _, mia) = app.member(app.tenant_id, "member", &[]).await;
    let owner_sessions = my_sessions(&app, &app.owner_token).await;
    let owner_session = owner_sessions[0]["id"].as_str().unwrap();
    // Mia's list holds only her own.
    let hers = my_sessions(&app, &mia).await;
    assert!(hers.iter().all(|s| s["id"] != owner_session));
    // An id of another person's session is not found from Mia's account: it lives under theirs.
    let response = app
        .request(
            reqwest::Method::DELETE,
            &format!("/v1/me/sessions/{owner_session}"),
            Some(&mia),
            None,
        )
        .await;
    assert_problem(response, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(
        app.get("/v1/me", &app.owner_token).await.status(),
        StatusCode::OK
    );
    // Without a session, nothing.
    let response = app
        .http
        .get(app.url("/v1/me/sessions"))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn sign_out_everywhere_else_keeps_only_the_current_session() {
    let app = spawn_app().await;
    let (_, email, first) = app.member(app.tenant_id, "member", &[]).await;
    let second = sign_in_with_agent(&app, &email, "Second/1").await;
    let third = sign_in_with_agent(&app, &email, "Third/1").await;
    let response = app
        .request(
            reqwest::Method::DELETE,
            "/v1/me/sessions?except=current",
            Some(&second),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for gone in [&first, &third] {
        assert_eq!(
            app.get("/v1/me", gone).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(app.get("/v1/me", &second).await.status(), StatusCode::OK);
    let left = my_sessions(&app, &second).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["current"], true);

    // Without `except`, the current one ends too; an unknown `except` is refused.
    let response = app
        .request(
            reqwest::Method::DELETE,
            "/v1/me/sessions?except=all",
            Some(&second),
            None,
        )
        .await;
    assert_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    let response = app
        .request(
            reqwest::Method::DELETE,
            "/v1/me/sessions",
            Some(&second),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/v1/me", &second).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn last_use_is_recorded_at_most_every_few_minutes() {
    let app = spawn_app().await;
    let (_, _, token) = app.member(app.tenant_id, "member", &[]).await;
    let created = my_sessions(&app, &token).await[0]["last_used_at"].clone();
    app.clock.advance(Duration::minutes(2));
    app.get("/v1/me", &token).await;
    assert_eq!(my_sessions(&app, &token).await[0]["last_used_at"], created);
    app.clock.advance(Duration::minutes(4));
    app.get("/v1/me", &token).await;
    let later = my_sessions(&app, &token).await[0]["last_used_at"].clone();
    let at = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    assert_eq!(at(&later) - at(&created), Duration::minutes(6));
}

#[tokio::test]
async fn an_admin_ends_a_members_sessions_in_their_tenant_only() {
    let app = spawn_app().await;
    let (mia_id, email, _) = app.member(app.tenant_id, "member", &[]).await;
    // Mia is in a second tenant too, by an invitation she accepted.
    let (other, _, other_owner) = app.new_tenant("Other Org").await;
    let password = app
        .join_through_invitation(other, &other_owner, &email, GOOD_PASSWORD)
        .await;
    let mia = app.sign_in_token(&email, &password).await;
    assert_eq!(
        app.get(&format!("/v1/tenants/{other}"), &mia)
            .await
            .status(),
        StatusCode::OK
    );

    app.clock.advance(Duration::seconds(1));
    let path = format!("/v1/tenants/{}/users/{mia_id}/sessions", app.tenant_id);
    // A member cannot end another's; the other tenant's owner cannot reach her here.
    let (_, _, plain) = app.member(app.tenant_id, "member", &[]).await;
    let response = app
        .request(reqwest::Method::DELETE, &path, Some(&plain), None)
        .await;
    assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    let response = app
        .request(reqwest::Method::DELETE, &path, Some(&other_owner), None)
        .await;
    assert_problem(response, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(
        app.get(&format!("/v1/tenants/{}", app.tenant_id), &mia)
            .await
            .status(),
        StatusCode::OK
    );

    let response = app
        .request(reqwest::Method::DELETE, &path, Some(&app.owner_token), None)
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    // Her session no longer acts here; it still acts in the other tenant, and as herself.
    assert_problem(
        app.get(&format!("/v1/tenants/{}", app.tenant_id), &mia)
            .await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    assert_eq!(
        app.get(&format!("/v1/tenants/{other}"), &mia)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(app.get("/v1/me", &mia).await.status(), StatusCode::OK);
    // A session she opens afterwards acts here again.
    app.clock.advance(Duration::seconds(1));
    let fresh = app.sign_in_token(&email, &password).await;
    assert_eq!(
        app.get(&format!("/v1/tenants/{}", app.tenant_id), &fresh)
            .await
            .status(),
        StatusCode::OK
    );
    let log = app
        .log_entries(
            &format!("/v1/tenants/{}/events", app.tenant_id),
            &app.owner_token,
        )
        .await;
    let ended = log
        .iter()
        .find(|e| e["action"] == "user.sessions_ended")
        .expect("audited");
    assert_eq!(ended["subject_id"], mia_id);
}
