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

/// Waits for the element at `css` to read `expected`: a form post replaces the page, and an
/// element found on the page before it goes stale.
async fn text_becomes(client: &Client, css: &str, expected: &str) {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(element) = client.find(Locator::Css(css)).await
            && let Ok(text) = element.text().await
        {
            if text == expected {
                return;
            }
            last = text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("expected {css} to read \"{expected}\", still \"{last}\"");
}

/// Waits for the page whose heading is `title`.
async fn heading_becomes(client: &Client, title: &str) {
    text_becomes(client, "h1", title).await;
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

/// Waits for the error a refused form shows to read `expected` (after a second refusal, the
/// first page's error is replaced with the page).
async fn error_becomes(client: &Client, expected: &str) {
    text_becomes(client, "#form-error", expected).await;
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

/// Clicks the submit button of the form in `section` (an invitation page has two forms).
async fn submit_in(client: &Client, section: &str) {
    client
        .find(Locator::Css(&format!(
            "section[aria-labelledby={section}] button[type=submit]"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_person_accepts_an_invitation_in_italian_by_registering() {
    let app = spawn_app().await;
    app.settings(json!({"app_url": "https://app.forli.example/benvenuto"}))
        .await;
    let response = app
        .invite(
            app.tenant_id,
            &app.owner_token,
            json!({"email": "giulia@example.org", "role": "admin", "locale": "it",
                   "message": "Ciao Giulia,\nti aspettiamo in ufficio lunedì."}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let token = app.invitation_token_for("giulia@example.org").await;
    let (_driver, client) = browser().await;

    client
        .goto(&app.url(&format!("/invite/{token}")))
        .await
        .unwrap();
    heading_becomes(&client, "Unisciti a Comune di Forlì").await;
    let body = client
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("Olga Owner ti ha invitato a unirti a Comune di Forlì."));
    assert!(body.contains("Entrerai come amministratore."));
    assert!(body.contains("ti aspettiamo in ufficio lunedì."));
    assert!(body.contains("UTC"), "the expiry, in Italian: {body}");
    // Every input has its label; the invited address is fixed under policy exact.
    for id in [
        "first_name",
        "last_name",
        "register-email",
        "register-password",
        "register-password-confirm",
    ] {
        client
            .find(Locator::Css(&format!("label[for='{id}']")))
            .await
            .unwrap_or_else(|_| panic!("{id} has a label"));
    }
    let readonly = client
        .find(Locator::Css("#register-email"))
        .await
        .unwrap()
        .attr("readonly")
        .await
        .unwrap();
    assert!(readonly.is_some());
    shoot(&client, "invite-1-open-it.png").await;

    fill(&client, "#first_name", "Giulia").await;
    fill(&client, "#last_name", "Bianchi").await;
    fill(&client, "#register-password", NEW_PASSWORD).await;
    fill(
        &client,
        "#register-password-confirm",
        "altra cosa del tutto 12",
    )
    .await;
    submit_in(&client, "register-title").await;
    let error = form_error(&client).await;
    assert_eq!(error, "Le due password non coincidono.");
    // What was typed is still there, the passwords are not.
    let first = client
        .find(Locator::Css("#first_name"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(first.as_deref(), Some("Giulia"));
    shoot(&client, "invite-2-mismatch-it.png").await;

    fill(&client, "#register-password", NEW_PASSWORD).await;
    fill(&client, "#register-password-confirm", NEW_PASSWORD).await;
    submit_in(&client, "register-title").await;
    heading_becomes(&client, "Benvenuto in Comune di Forlì").await;
    let next = client
        .find(Locator::Css("a.button"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap();
    assert_eq!(next.as_deref(), Some("https://app.forli.example/benvenuto"));
    shoot(&client, "invite-3-joined-it.png").await;
    app.sign_in_token("giulia@example.org", NEW_PASSWORD).await;

    // The link again: used.
    client
        .goto(&app.url(&format!("/invite/{token}")))
        .await
        .unwrap();
    heading_becomes(&client, "Questo invito è già stato accettato").await;
    shoot(&client, "invite-4-used-it.png").await;
    client.close().await.unwrap();
}

/// Under policy `any`, a link holder registers another address in the browser: the password
/// they typed is not kept; the owner of that address opens the mailed link, chooses a password
/// on the confirmation page (a weak one is refused there) and joins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_address_is_confirmed_by_its_owner_who_chooses_the_password() {
    let app = spawn_app().await;
    app.settings(json!({"invitation_email_policy": "any"}))
        .await;
    app.invite_to_main("invited@example.org").await;
    let token = app.invitation_token_for("invited@example.org").await;
    let (_driver, client) = browser().await;
    client
        .goto(&app.url(&format!("/invite/{token}")))
        .await
        .unwrap();
    fill(&client, "#first_name", "Otto").await;
    fill(&client, "#last_name", "Other").await;
    fill(&client, "#register-email", "otto@example.org").await;
    fill(&client, "#register-password", "typed by the link holder 1").await;
    fill(
        &client,
        "#register-password-confirm",
        "typed by the link holder 1",
    )
    .await;
    submit_in(&client, "register-title").await;
    heading_becomes(&client, "Confirm your address").await;
    let links = app.confirmation_links_to("otto@example.org").await;
    assert_eq!(links.len(), 1);
    client.goto(&links[0]).await.unwrap();
    heading_becomes(&client, "Confirm your address").await;
    for id in ["confirm-password", "confirm-password-again"] {
        client
            .find(Locator::Css(&format!("label[for='{id}']")))
            .await
            .unwrap_or_else(|_| panic!("{id} has a label"));
    }
    // Long enough for the browser's own check, too common for the policy.
    fill(&client, "#confirm-password", "password1234").await;
    fill(&client, "#confirm-password-again", "password1234").await;
    submit(&client).await;
    let error = form_error(&client).await;
    assert!(!error.is_empty(), "a weak password is refused on the page");
    shoot(&client, "confirm-1-weak.png").await;
    fill(&client, "#confirm-password", NEW_PASSWORD).await;
    fill(&client, "#confirm-password-again", NEW_PASSWORD).await;
    submit(&client).await;
    heading_becomes(&client, "Welcome to Comune di Forlì").await;
    shoot(&client, "confirm-2-joined.png").await;
    app.sign_in_token("otto@example.org", NEW_PASSWORD).await;
    assert_eq!(
        app.sign_in("otto@example.org", "typed by the link holder 1")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_person_accepts_by_signing_in_and_another_account_is_told_why_not() {
    let app = spawn_app().await;
    let (_, invited, _) = app.new_tenant("Virtual Office").await;
    let (_, someone_else, _) = app.new_tenant("Chat Suite").await;
    app.invite_to_main(&invited).await;
    let token = app.invitation_token_for(&invited).await;
    let (_driver, client) = browser().await;

    client
        .goto(&app.url(&format!("/invite/{token}")))
        .await
        .unwrap();
    heading_becomes(&client, "Join Comune di Forlì").await;
    // The address has an account and must be this one: signing in is the one form.
    assert!(
        client
            .find(Locator::Css("section[aria-labelledby=register-title]"))
            .await
            .is_err()
    );
    let forgot = client
        .find(Locator::Css("a[href$='/password/forgot']"))
        .await
        .unwrap();
    assert_eq!(forgot.text().await.unwrap(), "Forgot your password?");
    shoot(&client, "invite-5-sign-in.png").await;

    // Signed in as someone else: refused, and told who the invitation is for.
    fill(&client, "#signin-email", &someone_else).await;
    fill(&client, "#signin-password", GOOD_PASSWORD).await;
    submit_in(&client, "sign-in-title").await;
    let error = form_error(&client).await;
    assert!(
        error.contains(&format!(
            "You used {someone_else}, but this invitation is for {invited}."
        )),
        "{error}"
    );
    shoot(&client, "invite-6-email-mismatch.png").await;

    fill(&client, "#signin-email", &invited).await;
    fill(&client, "#signin-password", "not my password at all").await;
    submit_in(&client, "sign-in-title").await;
    error_becomes(&client, "The email or password is wrong.").await;

    fill(&client, "#signin-password", GOOD_PASSWORD).await;
    submit_in(&client, "sign-in-title").await;
    heading_becomes(&client, "Welcome to Comune di Forlì").await;
    shoot(&client, "invite-7-joined.png").await;

    // The forgot link leads to a working page.
    client.goto(&app.url("/password/forgot")).await.unwrap();
    heading_becomes(&client, "Forgot your password?").await;
    client.find(Locator::Css("label[for=email]")).await.unwrap();
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_revoked_and_unknown_invitation_links_say_what_happened() {
    let app = spawn_app().await;
    app.invite_to_main("late@example.org").await;
    let late = app.invitation_token_for("late@example.org").await;
    let withdrawn = app.invite_to_main("withdrawn@example.org").await;
    let revoked = app.invitation_token_for("withdrawn@example.org").await;
    let path = format!(
        "/v1/tenants/{}/invitations/{}",
        app.tenant_id,
        withdrawn["id"].as_str().unwrap()
    );
    let response = app
        .request(reqwest::Method::DELETE, &path, Some(&app.owner_token), None)
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (_driver, client) = browser().await;

    client
        .goto(&app.url(&format!("/invite/{revoked}")))
        .await
        .unwrap();
    heading_becomes(&client, "This invitation was withdrawn").await;
    shoot(&client, "invite-8-revoked.png").await;

    app.clock.advance(chrono::Duration::days(8));
    client
        .goto(&app.url(&format!("/invite/{late}")))
        .await
        .unwrap();
    heading_becomes(&client, "This invitation has expired").await;
    let text = client
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("Ask Olga Owner to send you a new one."),
        "{text}"
    );
    shoot(&client, "invite-9-expired.png").await;

    client
        .goto(&app.url("/invite/not-an-invitation"))
        .await
        .unwrap();
    heading_becomes(&client, "This invitation link is not valid").await;
    shoot(&client, "invite-10-unknown.png").await;
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_another_organisations_admin_set_is_replaced_when_joining_in_the_browser() {
    let app = spawn_app().await;
    // Another tenant's admin set this person's password; the main tenant invites them.
    let (other, _, other_owner) = app.new_tenant("Device Leasing").await;
    let email = "ewa@leasing.example";
    let response = app
        .create_user(
            other,
            &other_owner,
            json!({"email": email, "first_name": "Ewa", "last_name": "Nowak", "role": "member",
                   "locale": "pl", "password": {"mode": "set", "value": GOOD_PASSWORD}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    app.invite(
        app.tenant_id,
        &app.owner_token,
        json!({"email": email, "locale": "pl"}),
    )
    .await;
    let token = app.invitation_token_for(email).await;
    let (_driver, client) = browser().await;
    client
        .goto(&app.url(&format!("/invite/{token}")))
        .await
        .unwrap();
    fill(&client, "#signin-password", GOOD_PASSWORD).await;
    submit_in(&client, "sign-in-title").await;
    error_becomes(
        &client,
        "To hasło ustawił administrator innej organizacji. Aby dołączyć, zaloguj się nim jeszcze raz i wybierz nowe, własne hasło.",
    )
    .await;
    // The sign-in form now asks for a new password too, labelled.
    client
        .find(Locator::Css("label[for=signin-new-password]"))
        .await
        .unwrap();
    shoot(&client, "invite-8-new-password-required.png").await;
    let own = "amber lantern orchard 77 quiver";
    fill(&client, "#signin-password", GOOD_PASSWORD).await;
    fill(&client, "#signin-new-password", own).await;
    fill(&client, "#signin-new-password-confirm", own).await;
    submit_in(&client, "sign-in-title").await;
    heading_becomes(&client, "Witamy w Comune di Forlì").await;
    client.close().await.unwrap();
    // The admin's password opens nothing now; the person's own opens both tenants.
    assert_eq!(
        app.sign_in(email, GOOD_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let session = app.sign_in_token(email, own).await;
    for tenant in [app.tenant_id, other] {
        assert_eq!(
            app.get(&format!("/v1/tenants/{tenant}"), &session)
                .await
                .status(),
            StatusCode::OK
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_up_and_creates_their_organisation_in_the_browser() {
    let app = usher_tests::spawn_app_with_config(|config| config.self_service = true).await;
    let (_driver, client) = browser().await;

    // The start page: an address that is not one is refused, then the inbox page.
    client.goto(&app.url("/signup")).await.unwrap();
    heading_becomes(&client, "Create your organisation").await;
    shoot(&client, "signup-1-start.png").await;
    fill(&client, "#signup-email", "lena@leasing.example").await;
    submit(&client).await;
    heading_becomes(&client, "Check your inbox").await;
    shoot(&client, "signup-2-check-inbox.png").await;
    let link = app
        .signup_links_to("lena@leasing.example")
        .await
        .pop()
        .expect("a sign-up link");

    // Someone who signed up on a Polish page gets the form in Polish.
    app.sign_up("zofia@leasing.example", "pl").await;
    let polish = app
        .signup_links_to("zofia@leasing.example")
        .await
        .pop()
        .unwrap();
    client.goto(&polish).await.unwrap();
    heading_becomes(&client, "Nazwij swoją organizację").await;
    fill(&client, "#first_name", "Zofia").await;
    fill(&client, "#last_name", "Nowak").await;
    fill(&client, "#organisation", "Leasing Nowak").await;
    fill(&client, "#password", "password1234").await;
    fill(&client, "#password_confirm", "password1234").await;
    submit(&client).await;
    let error = form_error(&client).await;
    assert!(error.contains("zbyt łatwe do odgadnięcia"), "{error}");
    // What was typed stays; only the passwords are asked again.
    let kept = client.find(Locator::Css("#organisation")).await.unwrap();
    assert_eq!(
        kept.prop("value").await.unwrap().as_deref(),
        Some("Leasing Nowak")
    );
    shoot(&client, "signup-3-weak-pl.png").await;
    fill(&client, "#password", NEW_PASSWORD).await;
    fill(&client, "#password_confirm", NEW_PASSWORD).await;
    submit(&client).await;
    heading_becomes(&client, "Twoja organizacja jest gotowa").await;
    shoot(&client, "signup-4-done-pl.png").await;

    // The English link: names, organisation, password; then the organisation exists.
    client.goto(&link).await.unwrap();
    heading_becomes(&client, "Name your organisation").await;
    fill(&client, "#first_name", "Lena").await;
    fill(&client, "#last_name", "Berg").await;
    fill(&client, "#organisation", "Berg Devices").await;
    fill(&client, "#password", NEW_PASSWORD).await;
    fill(&client, "#password_confirm", "something else entirely").await;
    submit(&client).await;
    error_becomes(&client, "The two passwords are not the same.").await;
    fill(&client, "#password", NEW_PASSWORD).await;
    fill(&client, "#password_confirm", NEW_PASSWORD).await;
    submit(&client).await;
    heading_becomes(&client, "Your organisation is ready").await;
    // The link worked once.
    client.goto(&link).await.unwrap();
    heading_becomes(&client, "This link was already used").await;
    shoot(&client, "signup-5-used.png").await;
    client.close().await.unwrap();

    let session = app
        .sign_in_token("lena@leasing.example", NEW_PASSWORD)
        .await;
    let me = app.get_json("/v1/me", &session).await;
    assert_eq!(me["memberships"][0]["role"], "owner");
    assert_eq!(me["memberships"][0]["tenant_name"], "Berg Devices");
}
