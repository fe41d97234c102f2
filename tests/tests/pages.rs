//! The local mail pages, rendered by real headless Chromium (Debian's `chromium`, installed by
//! `scripts/test`). The DOM Chromium builds is checked, and a screenshot of each page is kept in
//! `target/screenshots/` for a person to look at.

use std::path::PathBuf;
use std::process::Command;

use serde_json::json;
use usher_tests::spawn_app;

/// Runs headless Chromium with `args` in a fresh profile that is removed afterwards.
fn chromium(args: &[String]) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    let mut command =
        Command::new(std::env::var("USHER_CHROMIUM").unwrap_or_else(|_| "chromium".into()));
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1100,1200",
    ]);
    command
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args);
    command
        .output()
        .expect("chromium runs (scripts/test installs it)")
}

fn rendered_dom(url: &str) -> String {
    let output = chromium(&["--dump-dom".into(), url.into()]);
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn screenshot(url: &str, name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let output = chromium(&[format!("--screenshot={}", path.display()), url.into()]);
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    path
}

#[tokio::test]
async fn the_local_mail_pages_list_and_show_what_was_sent() {
    let app = spawn_app().await;
    let response = app
        .create_user(
            app.tenant_id,
            &app.owner_token,
            json!({"email": "cleo@example.org", "first_name": "Cléo",
            "last_name": "Martin", "locale": "fr", "role": "member", "password": {"mode": "link"}}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let mail = app.sent_mails().await.remove(0);
    let link = mail.links[0].clone();

    let base = app.base.clone();
    let (list, one) = tokio::task::spawn_blocking(move || {
        let list = rendered_dom(&format!("{base}/_local/mail"));
        let one = rendered_dom(&format!("{base}/_local/mail/{}", mail.id));
        let list_shot = screenshot(&format!("{base}/_local/mail"), "local-mail-list.png");
        let one_shot = screenshot(
            &format!("{base}/_local/mail/{}", mail.id),
            "local-mail-one.png",
        );
        assert!(std::fs::metadata(list_shot).unwrap().len() > 10_000);
        assert!(std::fs::metadata(one_shot).unwrap().len() > 10_000);
        (list, one)
    })
    .await
    .unwrap();

    assert!(
        list.contains("Choisissez votre mot de passe pour Comune di Forlì"),
        "{list}"
    );
    assert!(list.contains(&format!("href=\"{link}\"")));
    assert!(one.contains("cleo@example.org"));
    assert!(
        one.contains("<iframe sandbox=\"\""),
        "the HTML part is shown sandboxed"
    );
    assert!(one.contains(&link));
}

#[tokio::test]
async fn the_local_webhooks_page_shows_each_endpoint_and_its_attempts() {
    let app = spawn_app().await;
    let receiver = usher_tests::Receiver::start(&[200]).await;
    let response = app
        .post(
            &format!("/v1/tenants/{}/webhooks", app.tenant_id),
            Some(&app.owner_token),
            json!({"url": receiver.url, "event_types": ["user.created"]}),
        )
        .await;
    assert_eq!(response.status(), 201);
    app.member(app.tenant_id, "member", &[]).await;
    app.dispatch_all_pending().await;
    let event_id = receiver.received()[0].headers["webhook-id"].clone();

    let base = app.base.clone();
    let shown = tokio::task::spawn_blocking(move || {
        let shot = screenshot(&format!("{base}/_local/webhooks"), "local-webhooks.png");
        assert!(std::fs::metadata(shot).unwrap().len() > 10_000);
        rendered_dom(&format!("{base}/_local/webhooks"))
    })
    .await
    .unwrap();
    assert!(shown.contains(&receiver.url), "{shown}");
    assert!(shown.contains("Comune di Forlì"));
    assert!(shown.contains("user.created") && shown.contains(&event_id));
    assert!(shown.contains("class=\"ok\">200</td>"), "{shown}");
}
