//! What an attack run on the local server found, each replayed: credentials and escalation,
//! input, mail.

use reqwest::StatusCode;
use serde_json::{Value, json};
use usher_tests::{GOOD_PASSWORD, TestApp, assert_problem, spawn_app, spawn_app_with_config};

async fn patch_settings(app: &TestApp, body: Value) {
    let response = app
        .request(
            reqwest::Method::PATCH,
            &format!("/v1/tenants/{}/settings", app.tenant_id),
            Some(&app.owner_token),
            Some(body),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
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

/// Point 2: the admin route never resets the caller's own password, in either mode.
#[tokio::test]
async fn nobody_resets_their_own_password_through_the_admin_route() {
    let app = spawn_app().await;
    let owner_id = app.account_id_of(&app.owner_token).await;
    let (admin_id, _, admin) = app.member(app.tenant_id, "admin", &[]).await;
    let (manager_id, _, manager) = app.member(app.tenant_id, "member", &["users.manage"]).await;
    for (id, token) in [
        (&owner_id, &app.owner_token),
        (&admin_id, &admin),
        (&manager_id, &manager),
    ] {
        for mode in ["generate", "link"] {
            let response = app.admin_reset(app.tenant_id, id, token, mode).await;
            let body = assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
            assert!(body["detail"].as_str().unwrap().contains("/v1/me/password"));
        }
    }
    // Nothing changed: the owner still signs in with the old password, no mail went out.
    assert_eq!(
        app.sign_in(&app.owner_email, GOOD_PASSWORD).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(app.dispatch_all_pending().await, 0);
}

/// Point 3: a users.manage member cannot reset a member holding a permission they lack.
#[tokio::test]
async fn a_manager_cannot_reset_a_member_with_a_permission_beyond_their_own() {
    let app = spawn_app().await;
    patch_settings(
        &app,
        json!({"permission_catalog": [{"name": "billing.view", "label": "Billing"}]}),
    )
    .await;
    let (_, _, manager) = app.member(app.tenant_id, "member", &["users.manage"]).await;
    let (billing_id, billing_email, _) =
        app.member(app.tenant_id, "member", &["billing.view"]).await;
    for mode in ["generate", "link"] {
        let response = app
            .admin_reset(app.tenant_id, &billing_id, &manager, mode)
            .await;
        assert_problem(response, StatusCode::FORBIDDEN, "permission_not_allowed").await;
    }
    assert!(app.mails_to(&billing_email).await.is_empty());
    // An admin may: admins grant any permission of the catalogue, so they reset anyone's.
    let response = app
        .admin_reset(app.tenant_id, &billing_id, &app.owner_token, "link")
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
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

/// Point 8: a JSON body with anything after its one value is refused.
#[tokio::test]
async fn json_with_trailing_data_is_refused() {
    let app = spawn_app().await;
    let one = json!({"email": app.owner_email, "password": GOOD_PASSWORD}).to_string();
    for body in [
        format!("{one} junk"),
        format!("{one}{one}"),
        format!("{one}\n{{\"email\": \"x@example.org\"}}"),
    ] {
        let response = app
            .http
            .post(app.url("/v1/sessions"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    }
    // Trailing white space is still one value.
    let response = app
        .http
        .post(app.url("/v1/sessions"))
        .header("content-type", "application/json")
        .body(format!("{one}\n  "))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}

/// Point 9: unknown fields are refused inside the password mode and in form posts.
#[tokio::test]
async fn unknown_fields_are_refused_everywhere() {
    let app = spawn_app().await;
    for password in [
        json!({"mode": "generate", "value": "chosen by the admin 42 x"}),
        json!({"mode": "link", "value": "chosen by the admin 42 x"}),
        json!({"mode": "link", "email": "attacker@example.net"}),
    ] {
        let response = app
            .create_user(
                app.tenant_id,
                &app.owner_token,
                json!({"email": "u@example.org", "first_name": "U", "last_name": "U",
                       "role": "member", "password": password}),
            )
            .await;
        assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        )
        .await;
    }
    assert!(app.outbox_items().await.is_empty());
    for (path, form) in [
        (
            "/v1/password/forgot",
            "email=a%40example.org&email_to=attacker%40example.net",
        ),
        (
            "/v1/password/reset",
            "token=x&new_password=a&new_password_confirm=a&account=other",
        ),
    ] {
        let response = app
            .http
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .unwrap();
        assert_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    }
    assert!(app.outbox_items().await.is_empty());
}

/// Point 10: names of invisible characters only, or with bidirectional controls, are refused.
#[tokio::test]
async fn names_that_hide_or_reorder_text_are_refused() {
    let app = spawn_app().await;
    for name in [
        "\u{200B}",
        "\u{200B}\u{2060}\u{FEFF}",
        "Ada\u{202E}ecalevol",
        "\u{2066}Ada\u{2069}",
    ] {
        let response = app
            .create_user(
                app.tenant_id,
                &app.owner_token,
                json!({"email": "n@example.org", "first_name": name, "last_name": "Name",
                       "role": "member", "password": {"mode": "link"}}),
            )
            .await;
        let body = assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        )
        .await;
        assert_eq!(body["field"], "first_name");
    }
    assert!(app.outbox_items().await.is_empty());
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

/// Point 6: credential mails an admin can trigger are limited per person and per tenant.
#[tokio::test]
async fn admin_triggered_password_mail_is_limited_per_person() {
    let app = spawn_app().await;
    let (member_id, member_email, _) = app.member(app.tenant_id, "member", &[]).await;
    let parallel =
        (0..20).map(|_| app.admin_reset(app.tenant_id, &member_id, &app.owner_token, "link"));
    let mut accepted = 0;
    for response in futures::future::join_all(parallel).await {
        match response.status() {
            StatusCode::ACCEPTED => accepted += 1,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        accepted <= 3,
        "{accepted} of 20 parallel resets went through"
    );
    // One after the other, the rest of the hour's three, then 429 with Retry-After.
    while accepted < 3 {
        let response = app
            .admin_reset(app.tenant_id, &member_id, &app.owner_token, "link")
            .await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        accepted += 1;
    }
    let response = app
        .admin_reset(app.tenant_id, &member_id, &app.owner_token, "generate")
        .await;
    assert!(response.headers().contains_key("retry-after"));
    assert_problem(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert_eq!(app.reset_links_to(&member_email).await.len(), 3);
    app.clock.advance(chrono::Duration::minutes(61));
    let response = app
        .admin_reset(app.tenant_id, &member_id, &app.owner_token, "link")
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
}

#[tokio::test]
async fn admin_triggered_password_mail_is_limited_per_tenant() {
    let app = spawn_app_with_config(|config| config.admin_mail_limit_per_tenant = 4).await;
    let mut members = Vec::new();
    for _ in 0..5 {
        members.push(app.member(app.tenant_id, "member", &[]).await.0);
    }
    for member in &members[..4] {
        let response = app
            .admin_reset(app.tenant_id, member, &app.owner_token, "link")
            .await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }
    let response = app
        .admin_reset(app.tenant_id, &members[4], &app.owner_token, "link")
        .await;
    assert_problem(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
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
    let app = spawn_app_with_config(|config| config.sign_in_max_per_email = 8).await;
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

/// Point 15: a connection that sends half its headers, or nothing, is closed within seconds.
#[tokio::test]
async fn slow_and_idle_connections_are_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    let address = app.base.trim_start_matches("http://").to_owned();
    let half = async {
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        stream
            .write_all(b"GET /v1/me HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
            .await
            .unwrap();
        let started = std::time::Instant::now();
        let mut buf = Vec::new();
        let _ = stream.read_to_end(&mut buf).await;
        started.elapsed()
    };
    let idle = async {
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        let started = std::time::Instant::now();
        let mut buf = Vec::new();
        let _ = stream.read_to_end(&mut buf).await;
        started.elapsed()
    };
    let (half, idle) = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        tokio::join!(half, idle)
    })
    .await
    .expect("the server closes both connections");
    for waited in [half, idle] {
        assert!(
            waited < std::time::Duration::from_secs(8),
            "closed after {waited:?}"
        );
    }
}

/// Point 15: the local server's own pages are sent with the link pages' protections.
#[tokio::test]
async fn the_local_pages_forbid_framing_and_sniffing() {
    let app = spawn_app().await;
    for path in ["/", "/_local/mail"] {
        let response = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers();
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        assert!(policy.starts_with("default-src 'none'"), "{path}: {policy}");
    }
}

/// Point 12: a permission members hold cannot leave the catalogue; the answer says how many.
#[tokio::test]
async fn a_permission_in_use_cannot_leave_the_catalogue() {
    let app = spawn_app().await;
    let catalogue = json!([{"name": "reports.reply", "label": "Reply"}, {"name": "fleet.manage", "label": "Fleet"}]);
    patch_settings(&app, json!({"permission_catalog": catalogue})).await;
    app.member(app.tenant_id, "member", &["reports.reply"])
        .await;
    app.member(app.tenant_id, "member", &["reports.reply"])
        .await;
    let path = format!("/v1/tenants/{}/settings", app.tenant_id);
    let response = app
        .request(
            reqwest::Method::PATCH,
            &path,
            Some(&app.owner_token),
            Some(json!({"permission_catalog": [{"name": "fleet.manage", "label": "Fleet"}]})),
        )
        .await;
    let body = assert_problem(response, StatusCode::CONFLICT, "permission_in_use").await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("reports.reply is held by 2 member"),
        "{body}"
    );
    let tenant: Value = app
        .get_json(&format!("/v1/tenants/{}", app.tenant_id), &app.owner_token)
        .await;
    assert_eq!(tenant["permission_catalog"], catalogue, "nothing changed");
    // One nobody holds goes.
    patch_settings(
        &app,
        json!({"permission_catalog": [{"name": "reports.reply", "label": "Reply"}]}),
    )
    .await;
}

/// Point 13: inbound addresses only on the deployment's receiving domains, and a conflict does not
/// say which address another tenant owns.
#[tokio::test]
async fn inbound_addresses_stay_on_receiving_domains_and_conflicts_name_none() {
    let app = spawn_app().await;
    let path = |tenant| format!("/v1/tenants/{tenant}/settings");
    let claim = |tenant, token: String, addresses: Value| {
        let app = &app;
        let path = path(tenant);
        async move {
            app.request(
                reqwest::Method::PATCH,
                &path,
                Some(&token),
                Some(json!({"inbound": {"enabled": true, "addresses": addresses}})),
            )
            .await
        }
    };
    for address in [
        "support@gmail.com",
        "ceo@bank.example",
        "x@desk.example.evil.com",
    ] {
        let response = claim(app.tenant_id, app.owner_token.clone(), json!([address])).await;
        assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "inbound_domain_not_allowed",
        )
        .await;
    }
    // A subdomain of a receiving domain is fine.
    let response = claim(
        app.tenant_id,
        app.owner_token.clone(),
        json!(["help@eu.desk.example"]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (other, _, other_owner) = app.new_tenant("Other").await;
    let response = claim(
        other,
        other_owner,
        json!(["mine@leasing.example", "HELP@eu.desk.example"]),
    )
    .await;
    let body = assert_problem(response, StatusCode::CONFLICT, "inbound_address_taken").await;
    let detail = body["detail"].as_str().unwrap().to_lowercase();
    assert!(
        !detail.contains("help@") && !detail.contains("mine@"),
        "{detail}"
    );
}

/// Point 12, raced: grants that commit while the removal of their permission is under way never
/// leave a member holding a permission the catalogue no longer has. The removal's first write to
/// the tenant is held back while the grants run, the worst moment for it.
#[tokio::test]
async fn a_grant_racing_the_removal_of_its_permission_never_outlives_it() {
    let app = spawn_app().await;
    let catalogue = |names: &[&str]| json!({"permission_catalog": names.iter().map(|n| json!({"name": n, "label": n})).collect::<Vec<_>>()});
    patch_settings(&app, catalogue(&["fleet.manage", "reports.reply"])).await;
    let mut hold = app
        .faults
        .hold_next_transaction_on(usher_core::keys::tenant(app.tenant_id));
    let path = format!("/v1/tenants/{}/settings", app.tenant_id);
    let removal = app.request(
        reqwest::Method::PATCH,
        &path,
        Some(&app.owner_token),
        Some(catalogue(&["fleet.manage"])),
    );
    let grants_meanwhile = async {
        hold.reached().await;
        let grants = (0..4).map(|n| {
            app.create_user(
                app.tenant_id,
                &app.owner_token,
                json!({"email": format!("race-{n}@example.org"), "first_name": "R", "last_name": "C",
                       "role": "member", "permissions": ["reports.reply"], "password": {"mode": "link"}}),
            )
        });
        let statuses: Vec<StatusCode> = futures::future::join_all(grants)
            .await
            .iter()
            .map(|r| r.status())
            .collect();
        hold.release();
        statuses
    };
    let (removal, statuses) = tokio::join!(removal, grants_meanwhile);
    let granted = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let holding = holders(&app, "reports.reply").await;
    assert_eq!(holding, granted);
    let tenant: Value = app
        .get_json(&format!("/v1/tenants/{}", app.tenant_id), &app.owner_token)
        .await;
    let listed = tenant["permission_catalog"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "reports.reply");
    if holding > 0 {
        assert!(
            listed,
            "{holding} members hold reports.reply, which left the catalogue"
        );
        assert_problem(removal, StatusCode::CONFLICT, "permission_in_use").await;
    } else {
        assert_eq!(removal.status(), StatusCode::OK);
    }
    // Refused, the permission is grantable again.
    let response = app
        .create_user(
            app.tenant_id,
            &app.owner_token,
            json!({"email": "after@example.org", "first_name": "A", "last_name": "F",
                   "role": "member", "permissions": ["reports.reply"], "password": {"mode": "link"}}),
        )
        .await;
    assert_eq!(
        response.status(),
        if listed {
            StatusCode::CREATED
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    );
}

/// How many members of the main tenant hold `permission`, read from the table.
async fn holders(app: &TestApp, permission: &str) -> usize {
    app.partition(&usher_core::keys::tenant_pk(app.tenant_id))
        .await
        .iter()
        .filter(|item| {
            item["sk"]
                .as_str()
                .is_some_and(|sk| sk.starts_with(usher_core::keys::MEMBER_PREFIX))
        })
        .filter(|item| {
            item["permissions"]
                .as_array()
                .is_some_and(|held| held.iter().any(|p| p == permission))
        })
        .count()
}

/// Point 6, across tenants: an admin of another tenant who shares a member and uses up the mail
/// count for them neither blocks this tenant's admins nor tells them anything by a 429.
#[tokio::test]
async fn another_tenants_admin_resets_do_not_touch_this_tenants_count() {
    let app = spawn_app().await;
    let (member_id, member_email, _) = app.member(app.tenant_id, "member", &[]).await;
    let (other, _, other_owner) = app.new_tenant("Other").await;
    app.join_through_invitation(other, &other_owner, &member_email, GOOD_PASSWORD)
        .await;
    for _ in 0..3 {
        let response = app
            .admin_reset(other, &member_id, &other_owner, "link")
            .await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }
    let response = app
        .admin_reset(other, &member_id, &other_owner, "link")
        .await;
    assert_problem(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    let response = app
        .admin_reset(app.tenant_id, &member_id, &app.owner_token, "link")
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
}
