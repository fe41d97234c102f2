use reqwest::StatusCode;
use serde_json::{Value, json};
use usher_tests::{
    GOOD_PASSWORD, TestApp, assert_problem, spawn_app, spawn_app_with_config, token_of,
};

async fn self_service_app() -> TestApp {
    spawn_app_with_config(|config| config.self_service = true).await
}

#[tokio::test]
async fn a_sign_up_makes_nothing_until_its_link_is_used_then_an_owner_signed_in() {
    let app = self_service_app().await;
    let response = app.sign_up("Ada@Example.org", "fr").await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    // Nothing exists yet: no account to sign in to.
    app.dispatch_all_pending().await;
    assert_problem(
        app.sign_in("ada@example.org", GOOD_PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let mails = app.mails_to("Ada@Example.org").await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].mail.subject.starts_with("Confirmez"),
        "{}",
        mails[0].mail.subject
    );
    let link = app.signup_links_to("Ada@Example.org").await.pop().unwrap();
    let token = token_of(&link);

    // The link's page asks for names, the organisation and a password, in French.
    let page = app.http.get(&link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("lang=\"fr\"") && html.contains("name=\"organisation\""));

    let response = app.complete_signup(&token, "Flotta Nord").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["tenant"]["name"], "Flotta Nord");
    assert_eq!(body["account"]["email"], "Ada@Example.org");
    assert_eq!(body["account"]["locale"], "fr");
    let tenant = body["tenant"]["id"].as_str().unwrap().to_owned();
    let session = body["token"].as_str().unwrap().to_owned();

    // The session works at once; the person is the owner; the log says who made it.
    let me = app.get_json("/v1/me", &session).await;
    assert_eq!(me["memberships"].as_array().unwrap().len(), 1);
    assert_eq!(me["memberships"][0]["role"], "owner");
    assert_eq!(me["memberships"][0]["tenant_id"], tenant);
    let log = app
        .log_entries(&format!("/v1/tenants/{tenant}/events"), &session)
        .await;
    let created = log
        .iter()
        .find(|e| e["action"] == "tenant.created")
        .unwrap();
    assert_eq!(
        created["actor"],
        json!({"type": "account", "id": body["account"]["id"]})
    );
    // The password chosen signs in; the link worked once.
    app.sign_in_token("ada@example.org", GOOD_PASSWORD).await;
    assert_problem(
        app.complete_signup(&token, "Second Try").await,
        StatusCode::GONE,
        "token_used",
    )
    .await;
    let page = app.http.get(&link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::GONE);
}

#[tokio::test]
async fn a_sign_up_says_nothing_of_whether_the_email_has_an_account() {
    let app = self_service_app().await;
    let owner = app.owner_email.clone();
    let (known, unknown) = {
        app.counter.take();
        let known = app.sign_up(&owner, "en").await;
        let known_reads = app.counter.take();
        let unknown = app.sign_up("nobody-yet@example.org", "en").await;
        assert_eq!(app.counter.take(), known_reads, "the same work for both");
        (known, unknown)
    };
    assert_eq!(known.status(), unknown.status());
    assert_eq!(known.status(), StatusCode::ACCEPTED);
    assert_eq!(
        known.bytes().await.unwrap(),
        unknown.bytes().await.unwrap(),
        "the same answer, byte for byte"
    );
    // The owner of the address is told, with no link that makes anything; the password and
    // the memberships stay as they were.
    let mails = app.mails_to(&owner).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(
        mails[0].mail.subject,
        "Someone tried to sign up with your address"
    );
    assert!(mails[0].links.iter().all(|l| !l.contains("/signup/")));
    let me = app.get_json("/v1/me", &app.owner_token).await;
    assert_eq!(me["memberships"].as_array().unwrap().len(), 1);
    app.sign_in_token(&owner, GOOD_PASSWORD).await;
    // The stranger gets the link.
    assert_eq!(app.signup_links_to("nobody-yet@example.org").await.len(), 1);

    // Asking again and again mails the address a few times, then answers the same and mails
    // nothing more.
    for _ in 0..5 {
        assert_eq!(
            app.sign_up(&owner, "en").await.status(),
            StatusCode::ACCEPTED
        );
    }
    assert_eq!(app.mails_to(&owner).await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_sign_ups_of_one_email_make_one_account_and_one_organisation() {
    let app = self_service_app().await;
    let email = "race@example.org";
    let answers = futures::future::join_all((0..50).map(|_| app.sign_up(email, "en"))).await;
    assert!(answers.iter().all(|r| r.status() == StatusCode::ACCEPTED));
    let links = app.signup_links_to(email).await;
    assert_eq!(links.len(), 3, "at most the limit's share of mails");
    // Every link, used by many at once, under as many organisation names.
    let attempts = links
        .iter()
        .flat_map(|link| (0..17).map(move |n| (token_of(link), format!("Race {n}"))));
    let app_ref = &app;
    let outcomes = futures::future::join_all(
        attempts.map(|(token, name)| async move { app_ref.complete_signup(&token, &name).await }),
    )
    .await;
    let mut created = Vec::new();
    for response in outcomes {
        match response.status() {
            StatusCode::CREATED => created.push(response.json::<Value>().await.unwrap()),
            StatusCode::CONFLICT | StatusCode::GONE => {
                let problem: Value = response.json().await.unwrap();
                let code = problem["code"].as_str().unwrap();
                assert!(
                    ["account_exists", "conflict", "token_used"].contains(&code),
                    "{problem}"
                );
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created.len(), 1, "one account");
    // One organisation was made, and it is that account's.
    let (_, operator) = app.operator_key(&["tenants.read"]).await;
    let listed = app.get_json("/v1/tenants?q=Race", &operator).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed["items"][0]["id"], created[0]["tenant"]["id"]);
    let session = app.sign_in_token(email, GOOD_PASSWORD).await;
    let me = app.get_json("/v1/me", &session).await;
    assert_eq!(me["memberships"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn bad_completions_are_refused_and_keep_the_link_usable() {
    let app = self_service_app().await;
    app.sign_up("bea@example.org", "en").await;
    let token = token_of(&app.signup_links_to("bea@example.org").await[0]);
    let complete = |body: Value| app.post("/v1/signup/complete", None, body);
    let good = json!({"token": token, "first_name": "Bea", "last_name": "Brandt",
                      "organisation": "Brandt Leasing", "password": GOOD_PASSWORD});
    let with = |field: &str, value: Value| {
        let mut body = good.clone();
        body[field] = value;
        body
    };
    // A guessable password, one made of the person's names, an empty name, an unknown field.
    let problem = assert_problem(
        complete(with("password", json!("password1234"))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "weak_password",
    )
    .await;
    assert_eq!(problem["field"], "password");
    assert_problem(
        complete(with("password", json!("Brandt Leasing Bea"))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "weak_password",
    )
    .await;
    for field in ["first_name", "last_name", "organisation"] {
        let problem = assert_problem(
            complete(with(field, json!("  "))).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        )
        .await;
        assert_eq!(problem["field"], field);
    }
    assert_problem(
        complete(with("role", json!("owner"))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    // A made-up token, a password link, one character changed.
    let reset_link = {
        app.forgot(&app.owner_email).await;
        token_of(&app.reset_link_to(&app.owner_email).await)
    };
    let mut changed: Vec<char> = token.chars().collect();
    changed[10] = if changed[10] == 'A' { 'B' } else { 'A' };
    let changed: String = changed.into_iter().collect();
    for bad in [
        "x".to_owned(),
        "A".repeat(43),
        reset_link.clone(),
        changed.clone(),
    ] {
        assert_problem(
            complete(with("token", json!(bad))).await,
            StatusCode::NOT_FOUND,
            "token_invalid",
        )
        .await;
    }
    // Nothing was made by any of it: the link still works.
    assert_eq!(complete(good.clone()).await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn an_expired_link_and_an_address_that_got_an_account_are_said_plainly() {
    let app = self_service_app().await;
    app.sign_up("late@example.org", "en").await;
    app.sign_up("taken@example.org", "pl").await;
    let late = token_of(&app.signup_links_to("late@example.org").await[0]);
    let taken = token_of(&app.signup_links_to("taken@example.org").await[0]);
    // Meanwhile the second address got an account another way.
    let response = app
        .create_user(
            app.tenant_id,
            &app.owner_token,
            json!({"email": "taken@example.org", "first_name": "Tad", "last_name": "Taken",
                   "role": "member", "password": {"mode": "generate"}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_problem(
        app.complete_signup(&taken, "Taken Org").await,
        StatusCode::CONFLICT,
        "account_exists",
    )
    .await;
    // Its page says so, in the language of the sign-up.
    let response = app
        .http
        .post(app.url("/v1/signup/complete"))
        .form(&[
            ("token", taken.as_str()),
            ("first_name", "Tad"),
            ("last_name", "Taken"),
            ("organisation", "Taken Org"),
            ("password", GOOD_PASSWORD),
            ("password_confirm", GOOD_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Ten adres ma już konto")
    );

    app.clock.advance(chrono::Duration::hours(25));
    assert_problem(
        app.complete_signup(&late, "Late Org").await,
        StatusCode::GONE,
        "token_expired",
    )
    .await;
    let page = app
        .http
        .get(app.url(&format!("/signup/{late}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::GONE);
    assert!(page.text().await.unwrap().contains("action=\"/v1/signup\""));
}

#[tokio::test]
async fn a_signed_in_person_creates_another_organisation_unless_another_tenants_admin_knows_the_password()
 {
    let app = spawn_app_with_config(|config| {
        config.self_service = true;
        config.organisations_per_account.max = 2;
    })
    .await;
    let response = app
        .post(
            "/v1/me/tenants",
            Some(&app.owner_token),
            json!({"name": "Second Office"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let tenant: Value = response.json().await.unwrap();
    let id = tenant["id"].as_str().unwrap();
    let seen = app
        .get_json(&format!("/v1/tenants/{id}/users"), &app.owner_token)
        .await;
    assert_eq!(seen["items"][0]["role"], "owner");
    assert_eq!(seen["items"][0]["email"], app.owner_email);
    let me = app.get_json("/v1/me", &app.owner_token).await;
    assert_eq!(me["memberships"].as_array().unwrap().len(), 2);
    // The account's share of organisations.
    let again = |name: &'static str| {
        app.post(
            "/v1/me/tenants",
            Some(&app.owner_token),
            json!({"name": name}),
        )
    };
    assert_eq!(again("Third Office").await.status(), StatusCode::CREATED);
    let response = again("Fourth Office").await;
    assert!(response.headers().contains_key("retry-after"));
    assert_problem(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;

    // A password an admin set opens their tenant only: no organisation of its own.
    let response = app
        .create_user(
            app.tenant_id,
            &app.owner_token,
            json!({"email": "set-by-admin@example.org", "first_name": "Sam", "last_name": "Set",
                   "role": "member", "password": {"mode": "set", "value": GOOD_PASSWORD}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let confined = app
        .sign_in_token("set-by-admin@example.org", GOOD_PASSWORD)
        .await;
    assert_problem(
        app.post(
            "/v1/me/tenants",
            Some(&confined),
            json!({"name": "Side Business"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "session_confined",
    )
    .await;
    // Nor does a key, or nobody.
    let (_, key) = app.api_key(&app.owner_token, app.tenant_id, &[]).await;
    for token in [key.as_str(), "not-a-token"] {
        assert_problem(
            app.post("/v1/me/tenants", Some(token), json!({"name": "Nope"}))
                .await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        )
        .await;
    }
}

#[tokio::test]
async fn with_self_service_off_nothing_is_filed_and_the_pages_say_so() {
    let app = spawn_app().await;
    assert_problem(
        app.sign_up("ada@example.org", "en").await,
        StatusCode::NOT_FOUND,
        "self_service_off",
    )
    .await;
    assert!(app.outbox_items().await.is_empty());
    assert_problem(
        app.post(
            "/v1/me/tenants",
            Some(&app.owner_token),
            json!({"name": "Nope"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "self_service_off",
    )
    .await;
    for path in [
        "/signup",
        "/signup/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        let page = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::NOT_FOUND);
        assert!(page.text().await.unwrap().contains("Sign-up is not open"));
    }
    let response = app
        .http
        .post(app.url("/v1/signup"))
        .form(&[("email", "ada@example.org")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(app.outbox_items().await.is_empty());
}

#[tokio::test]
async fn the_self_service_routes_make_their_pinned_round_trips() {
    let app = self_service_app().await;
    let mut pins = Vec::new();
    app.counter.take();
    assert_eq!(
        app.sign_up("pin@example.org", "en").await.status(),
        StatusCode::ACCEPTED
    );
    pins.push(("POST /v1/signup (one put)", 1, app.counter.take()));
    let token = token_of(&app.signup_links_to("pin@example.org").await[0]);
    app.counter.take();
    let page = app
        .http
        .get(app.url(&format!("/signup/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    pins.push(("GET /signup/{token} (the link)", 1, app.counter.take()));
    assert_eq!(
        app.complete_signup(&token, "Pinned").await.status(),
        StatusCode::CREATED
    );
    pins.push((
        "POST /v1/signup/complete (the link, then one transaction)",
        2,
        app.counter.take(),
    ));
    let response = app
        .post(
            "/v1/me/tenants",
            Some(&app.owner_token),
            json!({"name": "Pinned Too"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    pins.push((
        "POST /v1/me/tenants (the caller and the count side by side, one transaction)",
        3,
        app.counter.take(),
    ));
    let (_, admin) = app.operator_key(&["tenants.admin"]).await;
    app.counter.take();
    app.get_json(&format!("/v1/tenants/{}", app.tenant_id), &admin)
        .await;
    pins.push((
        "GET /v1/tenants/{id} with a tenants.admin key (key and tenant in one batch; its first use recorded)",
        2,
        app.counter.take(),
    ));
    for (route, expected, measured) in pins {
        assert_eq!(measured, expected, "{route}");
    }
}

#[tokio::test]
async fn one_client_cannot_make_usher_mail_strangers_at_will() {
    let app = spawn_app_with_config(|config| {
        config.self_service = true;
        config.signup_mails_per_client.max = 5;
    })
    .await;
    let strangers: Vec<String> = (0..8)
        .map(|n| format!("stranger-{n}@example.org"))
        .collect();
    let mut answers = Vec::new();
    for email in &strangers {
        let response = app.sign_up(email, "en").await;
        answers.push((response.status(), response.bytes().await.unwrap()));
    }
    // Every request gets the same answer; only the client's share is mailed.
    assert!(answers.windows(2).all(|pair| pair[0] == pair[1]));
    assert_eq!(answers[0].0, StatusCode::ACCEPTED);
    let mut mailed = 0;
    for email in &strangers {
        mailed += app.signup_links_to(email).await.len();
    }
    assert_eq!(mailed, 5);
    assert!(app.outbox_items().await.is_empty(), "every job ended");
}
