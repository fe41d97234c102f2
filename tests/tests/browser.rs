//! The password-reset flow in real headless Chromium, driven over WebDriver: Debian's `chromium`
//! and `chromedriver` (installed by `scripts/test`), from Rust with fantoccini. A person opens the
//! mailed link, gets a password wrong, chooses one, signs in with it, opens the link again and
//! asks for a new one. A screenshot of every page state is kept in `target/screenshots/` for a
//! person to look at.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use reqwest::StatusCode;
use serde_json::json;
use usher_tests::{GOOD_PASSWORD, TestApp, spawn_app};

const NEW_PASSWORD: &str = "amber lantern orchard 77 quiver";

/// chromedriver, stopped when dropped.
struct ChromeDriver {
    child: Child,
    url: String,
    _profile: tempfile::TempDir,
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn browser() -> (ChromeDriver, Client) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child =
        Command::new(std::env::var("USHER_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (scripts/test installs Debian's chromium-driver)");
    let profile = tempfile::tempdir().unwrap();
    let driver = ChromeDriver {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _profile: profile,
    };
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": std::env::var("USHER_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=900,1000",
                format!("--user-data-dir={}", driver._profile.path().display()),
            ],
        }),
    );
    // chromedriver takes a moment to listen.
    for _ in 0..100 {
        let connected = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities.clone())
            .connect(&driver.url)
            .await;
        if let Ok(client) = connected {
            return (driver, client);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start a session at {}", driver.url);
}

fn screenshot_path(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

async fn shoot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    assert!(png.len() > 10_000, "{name} looks empty");
    std::fs::write(screenshot_path(name), png).unwrap();
}

/// Waits for the page whose heading is `title` (a form post replaces the page).
async fn heading_becomes(client: &Client, title: &str) {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(h1) = client.find(Locator::Css("h1")).await
            && let Ok(text) = h1.text().await
        {
            if text == title {
                return;
            }
            last = text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("expected the page \"{title}\", still on \"{last}\"");
}

async fn fill(client: &Client, css: &str, text: &str) {
    let input = client.find(Locator::Css(css)).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
}

async fn submit(client: &Client) {
    client
        .find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// The error a refused form shows.
async fn form_error(client: &Client) -> String {
    client
        .wait()
        .for_element(Locator::Css("#form-error"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn reset_mail_count(app: &TestApp, email: &str) -> usize {
    app.reset_links_to(email).await.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_resets_their_password_in_the_browser() {
    let app = spawn_app().await;
    let (_, email, _) = app.member(app.tenant_id, "member", &[]).await;
    let link = {
        assert_eq!(app.forgot(&email).await.status(), StatusCode::ACCEPTED);
        app.reset_link_to(&email).await
    };
    let (_driver, client) = browser().await;

    client.goto(&link).await.unwrap();
    heading_becomes(&client, "Choose a new password").await;
    // The stylesheet is allowed by the page's CSP hash, so it applies.
    let width = client
        .execute(
            "return getComputedStyle(document.querySelector('main')).maxWidth",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        width,
        json!("448px"),
        "the page's own style applies under its CSP"
    );
    let label = client
        .find(Locator::Css("label[for=new_password]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(label, "New password");
    shoot(&client, "reset-1-form.png").await;

    fill(&client, "#new_password", NEW_PASSWORD).await;
    fill(
        &client,
        "#new_password_confirm",
        "amber lantern orchard 77 quiveR",
    )
    .await;
    submit(&client).await;
    heading_becomes(&client, "Choose a new password").await;
    let error = form_error(&client).await;
    assert_eq!(error, "The two passwords are not the same.");
    shoot(&client, "reset-2-mismatch.png").await;

    fill(&client, "#new_password", NEW_PASSWORD).await;
    fill(&client, "#new_password_confirm", NEW_PASSWORD).await;
    submit(&client).await;
    heading_becomes(&client, "Your password is saved").await;
    shoot(&client, "reset-3-done.png").await;
    app.sign_in_token(&email, NEW_PASSWORD).await;
    assert_eq!(
        app.sign_in(&email, GOOD_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );

    client.goto(&link).await.unwrap();
    heading_becomes(&client, "This link was already used").await;
    shoot(&client, "reset-4-used.png").await;

    // The used page asks for a new link right there.
    let before = reset_mail_count(&app, &email).await;
    fill(&client, "#email", &email).await;
    submit(&client).await;
    heading_becomes(&client, "Check your inbox").await;
    shoot(&client, "reset-5-link-requested.png").await;
    assert_eq!(reset_mail_count(&app, &email).await, before + 1);

    let fresh = app
        .reset_links_to(&email)
        .await
        .into_iter()
        .find(|l| *l != link)
        .unwrap();
    app.clock.advance(chrono::Duration::minutes(61));
    client.goto(&fresh).await.unwrap();
    heading_becomes(&client, "This link has expired").await;
    shoot(&client, "reset-6-expired.png").await;

    client.goto(&app.url("/reset/not-a-token")).await.unwrap();
    heading_becomes(&client, "This link is not valid").await;
    shoot(&client, "reset-7-unknown.png").await;

    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_user_chooses_a_first_password_in_their_language() {
    let app = spawn_app().await;
    let response = app
        .create_user(
            app.tenant_id,
            &app.owner_token,
            json!({"email": "zofia@example.org", "first_name": "Zofia", "last_name": "Nowak",
                   "locale": "pl", "role": "member", "password": {"mode": "link"}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let link = app.reset_link_to("zofia@example.org").await;
    let (_driver, client) = browser().await;

    client.goto(&link).await.unwrap();
    heading_becomes(&client, "Ustaw hasło").await;
    shoot(&client, "set-password-1-form-pl.png").await;
    fill(&client, "#new_password", "password1234").await;
    fill(&client, "#new_password_confirm", "password1234").await;
    submit(&client).await;
    let error = form_error(&client).await;
    assert!(error.contains("zbyt łatwe do odgadnięcia"), "{error}");
    shoot(&client, "set-password-2-weak-pl.png").await;

    fill(&client, "#new_password", NEW_PASSWORD).await;
    fill(&client, "#new_password_confirm", NEW_PASSWORD).await;
    submit(&client).await;
    heading_becomes(&client, "Hasło zostało zapisane").await;
    shoot(&client, "set-password-3-done-pl.png").await;
    app.sign_in_token("zofia@example.org", NEW_PASSWORD).await;
    client.close().await.unwrap();
}
