//! What the logs say: structured lines with request id, route, tenant and status, and never a
//! password, a session token or a link's token. One test in its own binary, so the global
//! subscriber captures exactly this test's lines.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tracing_subscriber::fmt::MakeWriter;
use usher_tests::{GOOD_PASSWORD, spawn_app, token_of};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn logs_are_structured_and_carry_no_secret() {
    let captured = Captured::default();
    tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::DEBUG)
        .init();

    let app = spawn_app().await;
    let generated: Value = app
        .create_user(
            app.tenant_id,
            &app.owner_token,
            json!({"email": "gen@example.org", "first_name": "G", "last_name": "N",
            "role": "member", "password": {"mode": "generate"}, "send_credentials": true}),
        )
        .await
        .json()
        .await
        .unwrap();
    let temporary = generated["generated_password"].as_str().unwrap().to_owned();
    app.create_user(
        app.tenant_id,
        &app.owner_token,
        json!({"email": "link@example.org", "first_name": "L", "last_name": "K",
        "role": "member", "password": {"mode": "link"}}),
    )
    .await;
    app.sign_in("gen@example.org", "a wrong password entirely")
        .await;
    let mails = app.sent_mails().await;
    let link_secret = mails
        .iter()
        .flat_map(|m| m.links.iter())
        .find_map(|l| l.split("/reset/").nth(1))
        .unwrap()
        .to_owned();

    // The reset routes: the link used, a forgot request, an admin-generated password.
    let chosen = "amber lantern orchard 77 quiver";
    assert_eq!(app.reset(&link_secret, chosen).await.status(), 204);
    let forgot_secret = token_of(&{
        app.forgot("gen@example.org").await;
        app.reset_link_to("gen@example.org").await
    });
    // The page's route carries the token in its path; the logs name only the route.
    let page = app.reset_page(&forgot_secret).await;
    assert_eq!(page.status(), 200);
    let admin_generated: Value = app
        .post(
            &format!(
                "/v1/tenants/{}/users/{}/password-reset",
                app.tenant_id,
                generated["user"]["id"].as_str().unwrap()
            ),
            Some(&app.owner_token),
            json!({"mode": "generate"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let admin_generated = admin_generated["generated_password"]
        .as_str()
        .unwrap()
        .to_owned();

    // An invitation: its page, its preview, accepted by registering with a new password.
    app.invite_to_main("logged-invitee@example.org").await;
    let invitation_secret = app.invitation_token_for("logged-invitee@example.org").await;
    let page = app
        .http
        .get(app.url(&format!("/invite/{invitation_secret}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let invitee_password = "copper meadow 38 lantern";
    let accepted: Value = app
        .accept(
            &invitation_secret,
            json!({"mode": "new", "first_name": "Lou", "last_name": "Logged", "password": invitee_password}),
        )
        .await
        .json()
        .await
        .unwrap();
    let invitee_session = accepted["session"]["token"].as_str().unwrap().to_owned();
    let invitee_session_secret = invitee_session.split_once('.').unwrap().1.to_owned();

    // On Lambda the runtime puts the invocation's context in the request; its id labels the lines.
    let mut context = lambda_http::Context::default();
    context.request_id = "lambda-invocation-7".into();
    let mut request = http::Request::builder()
        .uri("/v1/me")
        .header("authorization", format!("Bearer {}", app.owner_token))
        .body(axum::body::Body::empty())
        .unwrap();
    request.extensions_mut().insert(context);
    let response = tower::ServiceExt::oneshot(usher_sessions::router(app.app.clone()), request)
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // A webhook endpoint, its secret rotated, and a delivery signed with both secrets.
    let receiver = usher_tests::Receiver::start(&[200]).await;
    let hooks = format!("/v1/tenants/{}/webhooks", app.tenant_id);
    let endpoint: Value = app
        .post(&hooks, Some(&app.owner_token), json!({"url": receiver.url}))
        .await
        .json()
        .await
        .unwrap();
    let first_hook_secret = endpoint["secret"].as_str().unwrap().to_owned();
    let rotated: Value = app
        .post(
            &format!("{hooks}/{}/secret", endpoint["id"].as_str().unwrap()),
            Some(&app.owner_token),
            json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    let second_hook_secret = rotated["secret"].as_str().unwrap().to_owned();
    app.member(app.tenant_id, "member", &[]).await;
    app.dispatch_all_pending().await;
    assert!(!receiver.received().is_empty(), "a delivery was made");

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let session_secret = app.owner_token.split_once('.').unwrap().1;
    for secret in [
        temporary.as_str(),
        GOOD_PASSWORD,
        session_secret,
        link_secret.as_str(),
        "a wrong password entirely",
        chosen,
        forgot_secret.as_str(),
        admin_generated.as_str(),
        invitation_secret.as_str(),
        invitee_password,
        invitee_session_secret.as_str(),
        &first_hook_secret["whsec_".len()..],
        &second_hook_secret["whsec_".len()..],
    ] {
        assert!(!text.contains(secret), "a secret reached the logs");
    }
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect();
    let created = lines
        .iter()
        .find(|l| {
            l["fields"]["message"] == "request finished"
                && l["span"]["route"] == "/v1/tenants/{tenant_id}/users"
        })
        .expect("a request line for user creation");
    assert_eq!(created["span"]["tenant_id"], app.tenant_id.to_string());
    assert_eq!(created["span"]["status"], 201);
    assert_eq!(created["span"]["request_id"].as_str().unwrap().len(), 26);
    let on_lambda = lines
        .iter()
        .find(|l| l["fields"]["message"] == "request finished" && l["span"]["route"] == "/v1/me")
        .expect("a request line for /v1/me");
    assert_eq!(on_lambda["span"]["request_id"], "lambda-invocation-7");
}
