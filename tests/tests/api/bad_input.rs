//! Everything a client can get wrong answers 4xx problem+json with a stable code, and writes nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};
use usher_core::keys;
use usher_tests::{GOOD_PASSWORD, TestApp, assert_problem, spawn_app};

fn valid_user() -> Value {
    json!({"email": "new@example.org", "first_name": "Nina", "last_name": "New", "role": "member",
           "password": {"mode": "link"}, "send_credentials": true})
}

fn with(field: &str, value: Value) -> Value {
    let mut body = valid_user();
    body[field] = value;
    body
}

async fn raw_post(
    app: &TestApp,
    path: &str,
    token: &str,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn state(app: &TestApp) -> (usize, usize) {
    (
        app.partition(&keys::tenant_pk(app.tenant_id)).await.len(),
        app.outbox_items().await.len(),
    )
}

#[tokio::test]
async fn create_user_refuses_bad_bodies_and_writes_nothing() {
    let app = spawn_app().await;
    let path = format!("/v1/tenants/{}/users", app.tenant_id);
    let before = state(&app).await;
    let mut without_email = valid_user();
    without_email.as_object_mut().unwrap().remove("email");

    let cases: Vec<(Value, StatusCode, &str, &str)> = vec![
        (
            with("email", json!(["a@example.org"])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "email",
        ),
        (
            with("email", json!({"address": "a@example.org"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "email",
        ),
        (
            with("email", json!("a@example.org,b@example.org")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "email",
        ),
        (
            with("email", json!("a@example.org\r\nBcc: b@example.org")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "email",
        ),
        (
            with("email", json!(format!("{}@example.org", "a".repeat(250)))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "email",
        ),
        (
            with("email", json!("\u{212A}elvin@example.org")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "email",
        ),
        (
            with("first_name", json!("Nina\r\nBcc: x@example.org")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "first_name",
        ),
        (
            with("last_name", json!("x".repeat(101))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "last_name",
        ),
        (
            with("last_name", json!("  ")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "last_name",
        ),
        (
            with("first_name", json!(42)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "first_name",
        ),
        (
            with("phone", json!("call me")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "phone",
        ),
        (
            with("notification_email", json!("nope")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "notification_email",
        ),
        (
            with("locale", json!("de")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "locale",
        ),
        (
            with("role", json!("superuser")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "role",
        ),
        (
            with("permissions", json!(["Not A Permission"])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "permissions",
        ),
        (
            with("permissions", json!(["fleet.manage"])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_permission",
            "permissions",
        ),
        (
            with("password", json!({"mode": "magic"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "password.mode",
        ),
        (
            with("password", json!({"mode": "set"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "password",
        ),
        (
            with("password", json!({"mode": "set", "value": "x".repeat(257)})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "weak_password",
            "password.value",
        ),
        (
            with("send_credentials", json!("yes")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "send_credentials",
        ),
        (
            with("is_admin", json!(true)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "is_admin",
        ),
        (
            without_email,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "body",
        ),
        (
            json!([]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "body",
        ),
    ];
    for (body, status, code, field) in cases {
        let response = app
            .create_user(app.tenant_id, &app.owner_token, body.clone())
            .await;
        let problem = assert_problem(response, status, code).await;
        assert_eq!(problem["field"], field, "for {body}: {problem}");
    }

    let malformed = raw_post(
        &app,
        &path,
        &app.owner_token,
        "application/json",
        b"{\"email\": ".to_vec(),
    )
    .await;
    assert_problem(malformed, StatusCode::BAD_REQUEST, "invalid_request").await;
    let not_json = raw_post(
        &app,
        &path,
        &app.owner_token,
        "text/plain",
        serde_json::to_vec(&valid_user()).unwrap(),
    )
    .await;
    assert_problem(
        not_json,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let mut huge = valid_user();
    huge["first_name"] = json!("x".repeat(70 * 1024));
    let oversized = raw_post(
        &app,
        &path,
        &app.owner_token,
        "application/json",
        serde_json::to_vec(&huge).unwrap(),
    )
    .await;
    assert_problem(
        oversized,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;

    assert_eq!(state(&app).await, before, "no bad request wrote anything");
}

#[tokio::test]
async fn tenant_and_user_ids_that_are_not_ids_are_not_found() {
    let app = spawn_app().await;
    for path in [
        "/v1/tenants/not-a-ulid/users".to_owned(),
        "/v1/tenants/%00/users".to_owned(),
        format!("/v1/tenants/{}/users/not-a-ulid", app.tenant_id),
        format!("/v1/tenants/{}", ulid::Ulid::new()),
        "/v1/nothing-here".to_owned(),
    ] {
        assert_problem(
            app.get(&path, &app.owner_token).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    let wrong_method = app
        .request(
            reqwest::Method::DELETE,
            "/v1/me",
            Some(&app.owner_token),
            None,
        )
        .await;
    assert_problem(
        wrong_method,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
}

#[tokio::test]
async fn every_authenticated_route_refuses_missing_and_forged_tokens() {
    let app = spawn_app().await;
    let tenant = app.tenant_id;
    let routes = [
        (reqwest::Method::GET, "/v1/me".to_owned()),
        (reqwest::Method::PUT, "/v1/me/password".to_owned()),
        (reqwest::Method::DELETE, "/v1/sessions/current".to_owned()),
        (reqwest::Method::GET, format!("/v1/tenants/{tenant}")),
        (
            reqwest::Method::PATCH,
            format!("/v1/tenants/{tenant}/settings"),
        ),
        (reqwest::Method::GET, format!("/v1/tenants/{tenant}/users")),
        (reqwest::Method::POST, format!("/v1/tenants/{tenant}/users")),
        (
            reqwest::Method::GET,
            format!("/v1/tenants/{tenant}/users/{}", ulid::Ulid::new()),
        ),
    ];
    let forged = format!("{}.{}", ulid::Ulid::new(), "A".repeat(43));
    // Bodies are valid, so the only thing wrong is the token. (A malformed body is refused before
    // the session is looked up: that spends no round trip and says nothing about stored data.)
    let body_for = |path: &str| {
        if path.ends_with("/password") {
            json!({"current_password": "x", "new_password": "saffron glacier 17 pendulum"})
        } else if path.ends_with("/users") {
            valid_user()
        } else {
            json!({})
        }
    };
    for (method, path) in routes {
        for token in [None, Some(forged.as_str()), Some("Basic abc")] {
            let response = app
                .request(method.clone(), &path, token, Some(body_for(&path)))
                .await;
            assert_problem(response, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        }
    }
}

#[tokio::test]
async fn sign_in_refuses_bad_bodies() {
    let app = spawn_app().await;
    for (body, status) in [
        (
            json!({"email": ["a@example.org"], "password": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"email": "a@example.org"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"email": "not-an-email", "password": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"email": "a@example.org", "password": "x", "remember": true}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"email": "a@example.org", "password": "x", "tenant_id": "nope"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        assert_problem(
            app.post("/v1/sessions", None, body).await,
            status,
            "invalid_request",
        )
        .await;
    }
    // A megabyte password is refused before anything is hashed.
    let huge = json!({"email": "a@example.org", "password": "x".repeat(1024 * 1024)});
    assert_problem(
        app.post("/v1/sessions", None, huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
}

/// The audit log filters by the actions the document lists; a name that is none of them is a
/// bad request, not an empty page.
#[tokio::test]
async fn an_audit_action_the_log_does_not_know_is_refused() {
    let app = spawn_app().await;
    let tenant = app.tenant_id;
    let (member, _, _) = app.member(tenant, "member", &[]).await;
    for path in [
        format!("/v1/tenants/{tenant}/events?action=user.deleted"),
        format!("/v1/tenants/{tenant}/users/{member}/events?action=USER.CREATED"),
    ] {
        let response = app.get(&path, &app.owner_token).await;
        assert_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    }
    let known = app
        .get_json(
            &format!("/v1/tenants/{tenant}/events?action=user.created"),
            &app.owner_token,
        )
        .await;
    let actions: Vec<&str> = known["items"]
        .as_array()
        .expect("a page")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        !actions.is_empty() && actions.iter().all(|a| *a == "user.created"),
        "{actions:?}"
    );
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

/// A body trickled a byte at a time (every header on time) is answered 408 and the connection
/// closed within seconds, not held for minutes.
#[tokio::test]
async fn a_trickled_body_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    let address = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    stream
        .write_all(
            b"POST /v1/sessions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
        )
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let (mut reader, mut writer) = stream.into_split();
    let trickle = tokio::spawn(async move {
        // A byte every second: hyper's header timeout never fires, and without a body deadline
        // this would hold the connection for over 16 minutes.
        while writer.write_all(b" ").await.is_ok() {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        reader.read_to_end(&mut answer),
    )
    .await;
    trickle.abort();
    assert!(read.is_ok(), "the connection was still open after 30 s");
    let waited = started.elapsed();
    assert!(
        waited < std::time::Duration::from_secs(15),
        "closed after {waited:?}"
    );
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
}

/// A name a spreadsheet would run as a formula is refused at creation, at an edit and when
/// registering through an invitation, as the import refuses it; nothing is stored.
#[tokio::test]
async fn names_that_start_like_a_formula_are_refused_everywhere() {
    let app = spawn_app().await;
    for name in ["=HYPERLINK(\"http://x\")", "+1+1", "-2", "@SUM(A1)"] {
        let mut body = valid_user();
        body["first_name"] = json!(name);
        let created = app.create_user(app.tenant_id, &app.owner_token, body).await;
        let problem =
            assert_problem(created, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request").await;
        assert_eq!(problem["field"], "first_name");
    }
    assert!(app.user_by_email("new@example.org").await.is_none());
    let (member, _, _) = app.member(app.tenant_id, "member", &[]).await;
    let edited = app
        .request(
            reqwest::Method::PATCH,
            &format!("/v1/tenants/{}/users/{member}", app.tenant_id),
            Some(&app.owner_token),
            Some(json!({"last_name": "=cmd|' /C calc'!A0"})),
        )
        .await;
    assert_problem(edited, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request").await;
    app.invite_to_main("ivy@example.org").await;
    let token = app.invitation_token_for("ivy@example.org").await;
    let registered = app
        .accept(
            &token,
            json!({"mode": "new", "first_name": "Ivy", "last_name": "@evil", "password": GOOD_PASSWORD}),
        )
        .await;
    assert_problem(
        registered,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    assert!(app.user_by_email("ivy@example.org").await.is_none());
}
