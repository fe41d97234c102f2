//! Each function's Lambda handler, fed the API Gateway v2 fixtures in `events/` (the same files
//! `sam local invoke` takes). Placeholders in the fixtures are filled from a bootstrapped tenant.

use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use usher_tests::{GOOD_PASSWORD, TestApp, fixture, spawn_app};

struct Filled<'a> {
    app: &'a TestApp,
    user_id: String,
}

impl Filled<'_> {
    fn fixture(&self, name: &str) -> lambda_http::Request {
        let text = fixture(
            name,
            &[
                ("TOKEN", &self.app.owner_token),
                ("TENANT_ID", &self.app.tenant_id.to_string()),
                ("USER_ID", &self.user_id),
                ("EMAIL", &self.app.owner_email),
                ("PASSWORD", GOOD_PASSWORD),
            ],
        );
        lambda_http::request::from_str(&text)
            .unwrap_or_else(|e| panic!("{name} is not an API Gateway event: {e}"))
    }
}

async fn invoke(
    router: axum::Router,
    request: lambda_http::Request,
) -> (u16, Option<String>, Value) {
    let response = router.oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else if content_type
        .as_deref()
        .is_some_and(|t| t.starts_with("text/html"))
    {
        Value::String(String::from_utf8(bytes.to_vec()).unwrap())
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, content_type, body)
}

#[tokio::test]
async fn every_fixture_gets_the_answer_its_scenario_expects() {
    let app = spawn_app().await;
    // Another member: nobody resets their own password through the admin route.
    let (member_id, _, _) = app.member(app.tenant_id, "member", &[]).await;
    let filled = Filled {
        app: &app,
        user_id: member_id,
    };
    let sessions = || usher_sessions::router(app.app.clone());
    let users = || usher_create_user::router(app.app.clone());
    let tenants = || usher_tenants::router(app.app.clone());
    let resets = || usher_password_reset::router(app.app.clone());

    let cases: Vec<(&str, axum::Router, u16, Option<&str>)> = vec![
        ("sessions-create.json", sessions(), 201, None),
        (
            "sessions-create-wrong-password.json",
            sessions(),
            401,
            Some("invalid_credentials"),
        ),
        ("sessions-me.json", sessions(), 200, None),
        ("create-user-generate.json", users(), 201, None),
        ("create-user-link.json", users(), 201, None),
        (
            "create-user-malformed.json",
            users(),
            400,
            Some("invalid_request"),
        ),
        ("users-list.json", users(), 200, None),
        ("users-get.json", users(), 200, None),
        ("tenants-get.json", tenants(), 200, None),
        ("tenants-settings-patch.json", tenants(), 200, None),
        (
            "tenants-get-no-token.json",
            tenants(),
            401,
            Some("unauthenticated"),
        ),
        ("password-forgot.json", resets(), 202, None),
        ("password-forgot-form.json", resets(), 202, None),
        (
            "password-reset-unknown-token.json",
            resets(),
            404,
            Some("token_invalid"),
        ),
        ("reset-page-unknown-token.json", resets(), 404, None),
        ("users-password-reset-link.json", resets(), 202, None),
        ("sessions-change-password.json", sessions(), 204, None),
        // The password change kept this session; signing out ends it.
        ("sessions-delete.json", sessions(), 204, None),
        ("sessions-me.json", sessions(), 401, Some("unauthenticated")),
    ];
    for (name, router, status, code) in cases {
        let (got, content_type, body) = invoke(router, filled.fixture(name)).await;
        assert_eq!(got, status, "{name}: {body}");
        if let Some(code) = code {
            assert_eq!(
                content_type.as_deref(),
                Some("application/problem+json"),
                "{name}"
            );
            assert_eq!(body["code"], code, "{name}");
        }
    }
}

#[tokio::test]
async fn a_function_answers_problems_for_routes_it_does_not_serve() {
    let app = spawn_app().await;
    let filled = Filled {
        app: &app,
        user_id: String::new(),
    };
    // The tenants function does not serve the sessions route.
    let (status, content_type, body) = invoke(
        usher_tenants::router(app.app.clone()),
        filled.fixture("sessions-me.json"),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    assert_eq!(body["code"], "not_found");
}
