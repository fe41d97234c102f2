//! Each function's Lambda handler, fed the API Gateway v2 fixtures in `events/` (the same files
//! `sam local invoke` takes). Placeholders in the fixtures are filled from a bootstrapped tenant.

use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use usher_tests::{GOOD_PASSWORD, TestApp, fixture, spawn_app};

struct Filled<'a> {
    app: &'a TestApp,
    user_id: String,
    token: String,
    /// Known once the invitation fixture has run.
    invitation_id: String,
    invitation_token: String,
}

impl Filled<'_> {
    fn fixture(&self, name: &str) -> lambda_http::Request {
        let text = fixture(
            name,
            &[
                ("TOKEN", &self.token),
                ("TENANT_ID", &self.app.tenant_id.to_string()),
                ("USER_ID", &self.user_id),
                ("EMAIL", &self.app.owner_email),
                ("PASSWORD", GOOD_PASSWORD),
                ("INVITATION_ID", &self.invitation_id),
                ("INVITATION_TOKEN", &self.invitation_token),
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
        .is_some_and(|t| t.starts_with("text/html") || t.starts_with("text/csv"))
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
    let mut filled = Filled {
        app: &app,
        user_id: member_id,
        token: app.owner_token.clone(),
        invitation_id: String::new(),
        invitation_token: String::new(),
    };
    let sessions = || usher_sessions::router(app.app.clone());
    let creation = || usher_create_user::router(app.app.clone());
    let users = || usher_users::router(app.app.clone());
    let tenants = || usher_tenants::router(app.app.clone());
    let teams = || usher_teams::router(app.app.clone());
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
        ("create-user-generate.json", creation(), 201, None),
        ("create-user-link.json", creation(), 201, None),
        (
            "create-user-malformed.json",
            creation(),
            400,
            Some("invalid_request"),
        ),
        ("users-list.json", users(), 200, None),
        ("users-csv-template.json", creation(), 200, None),
        ("users-import-dry-run.json", creation(), 200, None),
        // A legacy code page arrives base64-encoded, as API Gateway passes a binary body.
        ("users-import-windows-1250.json", creation(), 202, None),
        ("users-get.json", users(), 200, None),
        ("users-patch.json", users(), 200, None),
        ("users-archive.json", users(), 200, None),
        ("users-restore.json", users(), 200, None),
        ("users-export.json", users(), 200, None),
        ("tenants-get.json", tenants(), 200, None),
        ("teams-create.json", teams(), 201, None),
        ("teams-tree.json", teams(), 200, None),
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
        ("sessions-token.json", sessions(), 200, None),
        ("sessions-list.json", sessions(), 200, None),
        ("sessions-jwks.json", sessions(), 200, None),
        ("sessions-discovery.json", sessions(), 200, None),
        ("sessions-change-password.json", sessions(), 204, None),
        // The password change kept this session; signing out ends it.
        ("sessions-delete.json", sessions(), 204, None),
        ("sessions-me.json", sessions(), 401, Some("unauthenticated")),
    ];
    run(&filled, cases).await;
    // The legacy-encoded file's names arrived intact through the base64 body.
    app.dispatch_all_pending().await;
    let items = app
        .partition(&usher_core::keys::tenant_pk(app.tenant_id))
        .await;
    let lukasz = items
        .iter()
        .find(|i| {
            i.get("email").and_then(Value::as_str) == Some("lukasz.zolw@example.pl")
                && i.contains_key("first_name")
        })
        .expect("the import made Łukasz a member");
    assert_eq!(
        (lukasz["first_name"].as_str(), lukasz["last_name"].as_str()),
        (Some("Łukasz"), Some("Żółw"))
    );

    // An invitation's life, through the two invitation functions, in a new session (the one
    // above was signed out).
    filled.token = app
        .sign_in_token(&app.owner_email, "saffron glacier 17 pendulum")
        .await;
    let invitations = || usher_send_invitation::router(app.app.clone());
    let accepting = || usher_accept_invitation::router(app.app.clone());
    let (status, _, sent) = invoke(invitations(), filled.fixture("invitations-send.json")).await;
    assert_eq!(status, 201, "{sent}");
    filled.invitation_id = sent["id"].as_str().unwrap().to_owned();
    let cases: Vec<(&str, axum::Router, u16, Option<&str>)> = vec![
        ("invitations-list.json", invitations(), 200, None),
        ("invitations-get.json", invitations(), 200, None),
        ("invitations-resend.json", invitations(), 200, None),
        ("tenants-events.json", tenants(), 200, None),
        ("users-events.json", users(), 200, None),
        (
            "invitation-accept-unknown-token.json",
            accepting(),
            404,
            Some("token_invalid"),
        ),
    ];
    run(&filled, cases).await;
    // The resent link is the one that works.
    let links = app.invitation_links_to("fixture-invitee@example.org").await;
    for link in links {
        filled.invitation_token = usher_tests::token_of(&link);
        let (status, _, _) = invoke(accepting(), filled.fixture("invitation-preview.json")).await;
        if status == 200 {
            break;
        }
    }
    let cases: Vec<(&str, axum::Router, u16, Option<&str>)> = vec![
        ("invitation-preview.json", accepting(), 200, None),
        ("invitation-page.json", accepting(), 200, None),
        ("invitation-accept-new.json", accepting(), 200, None),
        (
            "invitation-preview.json",
            accepting(),
            410,
            Some("token_used"),
        ),
        (
            "invitations-revoke.json",
            invitations(),
            409,
            Some("invitation_not_pending"),
        ),
    ];
    run(&filled, cases).await;
}

#[tokio::test]
async fn the_self_service_fixtures_get_their_answers() {
    let app = usher_tests::spawn_app_with_config(|config| config.self_service = true).await;
    let filled = Filled {
        app: &app,
        user_id: String::new(),
        token: app.owner_token.clone(),
        invitation_id: String::new(),
        invitation_token: String::new(),
    };
    let tenants = || usher_tenants::router(app.app.clone());
    let cases: Vec<(&str, axum::Router, u16, Option<&str>)> = vec![
        ("signup.json", tenants(), 202, None),
        ("signup-page.json", tenants(), 200, None),
        (
            "signup-complete-unknown-token.json",
            tenants(),
            404,
            Some("token_invalid"),
        ),
        ("me-tenants-create.json", tenants(), 201, None),
    ];
    run(&filled, cases).await;
    assert_eq!(app.signup_links_to("new-owner@example.org").await.len(), 1);
}

async fn run(filled: &Filled<'_>, cases: Vec<(&str, axum::Router, u16, Option<&str>)>) {
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
        token: app.owner_token.clone(),
        invitation_id: String::new(),
        invitation_token: String::new(),
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
