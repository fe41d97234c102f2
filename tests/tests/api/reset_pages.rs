//! The pages behind a password link, over HTTP: headers, languages, and form posts.

use reqwest::StatusCode;
use serde_json::json;
use usher_tests::{GOOD_PASSWORD, TestApp, spawn_app};

const NEW_PASSWORD: &str = "amber lantern orchard 77 quiver";

async fn page(app: &TestApp, path: &str, accept_language: &str) -> reqwest::Response {
    app.http
        .get(app.url(path))
        .header("accept-language", accept_language)
        .send()
        .await
        .unwrap()
}

async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .header("accept-language", "it-IT,it;q=0.9,en;q=0.5")
        .form(fields)
        .send()
        .await
        .unwrap()
}

fn assert_page_headers(response: &reqwest::Response) {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert!(header("content-type").starts_with("text/html"));
    assert!(
        header("content-security-policy").starts_with("default-src 'none'; style-src 'sha256-")
    );
    assert!(header("content-security-policy").contains("form-action 'self'"));
    assert!(header("content-security-policy").contains("frame-ancestors 'none'"));
    assert_eq!(header("referrer-policy"), "no-referrer");
    assert_eq!(header("x-frame-options"), "DENY");
    assert_eq!(header("cache-control"), "no-store");
}

/// A member whose account speaks French, and a reset link for them.
async fn french_member_with_link(app: &TestApp) -> (String, String) {
    let email = format!(
        "fr-{}@example.org",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let response = app
        .create_user(
            app.tenant_id,
            &app.owner_token,
            json!({"email": email, "first_name": "Élise", "last_name": "Page", "role": "member",
                   "locale": "fr", "password": {"mode": "set", "value": GOOD_PASSWORD}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let token = app.reset_token_for(&email).await;
    (email, token)
}

#[tokio::test]
async fn the_link_page_speaks_the_account_language_and_sends_strict_headers() {
    let app = spawn_app().await;
    let (email, token) = french_member_with_link(&app).await;
    let mail = &app.mails_to(&email).await[0];
    assert_eq!(mail.mail.subject, "Réinitialisez votre mot de passe");

    let response = page(&app, &format!("/reset/{token}"), "pl").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_page_headers(&response);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("<html lang=\"fr\">"),
        "the account's locale wins"
    );
    assert!(html.contains("<h1>Choisissez un nouveau mot de passe</h1>"));
    assert!(html.contains(&format!("value=\"{token}\"")));
    assert!(html.contains("<label for=\"new_password\">Nouveau mot de passe</label>"));
    assert!(!html.contains("<script"));

    // An unknown link knows no account: the browser's language, else English.
    for (accept, lang, title) in [
        ("pl-PL,pl;q=0.9", "pl", "Ten link jest nieprawidłowy"),
        ("de-DE,it;q=0.3", "it", "Questo link non è valido"),
        ("ja", "en", "This link is not valid"),
    ] {
        let response = page(
            &app,
            "/reset/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            accept,
        )
        .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_page_headers(&response);
        let html = response.text().await.unwrap();
        assert!(html.contains(&format!("<html lang=\"{lang}\">")));
        assert!(html.contains(&format!("<h1>{title}</h1>")), "{html}");
        assert!(
            html.contains("action=\"/v1/password/forgot\""),
            "a way to ask for a new link"
        );
    }
}

#[tokio::test]
async fn the_form_post_sets_the_password_and_answers_with_a_page() {
    let app = spawn_app().await;
    let (email, token) = french_member_with_link(&app).await;
    let path = "/v1/password/reset";

    let response = post_form(
        &app,
        path,
        &[
            ("token", &token),
            ("username", &email),
            ("new_password", NEW_PASSWORD),
            ("new_password_confirm", "amber lantern orchard 77 quiveR"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_page_headers(&response);
    let html = response.text().await.unwrap();
    assert!(html.contains("Les deux mots de passe ne sont pas identiques."));
    assert!(html.contains("role=\"alert\""));
    assert!(
        html.contains(&format!("value=\"{token}\"")),
        "the form again, same link"
    );

    let response = post_form(
        &app,
        path,
        &[
            ("token", &token),
            ("new_password", "password1234"),
            ("new_password_confirm", "password1234"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("trop facile à deviner")
    );

    let response = post_form(
        &app,
        path,
        &[
            ("token", &token),
            ("username", &email),
            ("new_password", NEW_PASSWORD),
            ("new_password_confirm", NEW_PASSWORD),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_page_headers(&response);
    let html = response.text().await.unwrap();
    assert!(html.contains("<h1>Votre mot de passe est enregistré</h1>"));
    assert!(html.contains(&format!("href=\"{}/\"", app.base)));
    app.sign_in_token(&email, NEW_PASSWORD).await;

    let response = post_form(
        &app,
        path,
        &[
            ("token", &token),
            ("new_password", GOOD_PASSWORD),
            ("new_password_confirm", GOOD_PASSWORD),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::GONE);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("<h1>Ce lien a déjà été utilisé</h1>")
    );
    let response = post_form(&app, path, &[("new_password", "x")]).await;
    assert_eq!(
        response.status(),
        StatusCode::NOT_FOUND,
        "no token: the unknown-link page"
    );
}

#[tokio::test]
async fn the_request_form_answers_alike_for_every_email_in_the_browser_language() {
    let app = spawn_app().await;
    let (email, _) = french_member_with_link(&app).await;
    let mut bodies = Vec::new();
    for typed in [email.as_str(), "nobody@example.org"] {
        let response = post_form(&app, "/v1/password/forgot", &[("email", typed)]).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        assert_page_headers(&response);
        bodies.push(response.text().await.unwrap());
    }
    assert_eq!(bodies[0], bodies[1]);
    assert!(
        bodies[0].contains("<html lang=\"it\">"),
        "never the account's own language"
    );
    assert!(bodies[0].contains("<h1>Controlla la tua casella di posta</h1>"));
    assert_eq!(app.reset_links_to(&email).await.len(), 2);

    let response = post_form(
        &app,
        "/v1/password/forgot",
        &[("email", "<b>a@example.org,b@example.org</b>")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("Inserisci un indirizzo email valido."));
    assert!(!html.contains("<b>a@"), "what was typed comes back escaped");
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
