//! The HTML pages a person opens from a mail: one layout, localized from a typed catalogue, with
//! no script and no third-party asset. Each page is sent with a strict Content-Security-Policy
//! (its one stylesheet allowed by hash), `Referrer-Policy: no-referrer` so the token in the URL
//! never leaks to another site, and headers that forbid framing and sniffing.

mod catalog;

use std::sync::LazyLock;

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::app::Config;
use crate::domain::{Locale, WeakPassword};
use crate::records::TokenKind;
use catalog::{PageStrings, page_strings};

const CSS: &str = "\
:root{color-scheme:light dark;--fg:#1f2933;--muted:#52606d;--bg:#f4f5f7;--card:#fff;--line:#cbd2d9;--accent:#1d4ed8;--error:#b42318}\
@media (prefers-color-scheme:dark){:root{--fg:#e4e7eb;--muted:#9aa5b1;--bg:#111827;--card:#1f2937;--line:#4b5563;--accent:#93b4ff;--error:#ff8a80}}\
*{box-sizing:border-box}\
body{margin:0;padding:24px 16px;background:var(--bg);color:var(--fg);font:16px/1.5 -apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif}\
main{max-width:28rem;margin:8vh auto 0;background:var(--card);border-radius:10px;padding:32px;box-shadow:0 1px 3px rgba(0,0,0,.12)}\
h1{font-size:1.5rem;line-height:1.25;margin:0 0 16px}\
p{margin:0 0 16px;overflow-wrap:break-word}\
label{display:block;font-weight:600;margin:16px 0 6px}\
input{display:block;width:100%;padding:10px 12px;font:inherit;color:inherit;background:transparent;border:1px solid var(--line);border-radius:6px}\
input:focus,button:focus,a:focus{outline:3px solid var(--accent);outline-offset:2px}\
.hint{color:var(--muted);font-size:.875rem;margin:6px 0 0}\
.error{color:var(--error);font-weight:600}\
.username{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}\
button,.button{display:inline-block;margin-top:24px;padding:12px 20px;border:0;border-radius:6px;background:var(--accent);color:var(--card);font:inherit;font-weight:600;text-decoration:none;cursor:pointer}";

/// The policy every page is sent with: nothing loads but the page's own stylesheet, forms post
/// only to this origin, and no other site may frame the page.
static CONTENT_SECURITY_POLICY: LazyLock<String> = LazyLock::new(|| {
    let hash = STANDARD.encode(Sha256::digest(CSS.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
});

struct NewPasswordForm {
    action: String,
    token: String,
    email: String,
    new_label: &'static str,
    confirm_label: &'static str,
    hint: String,
    min_chars: usize,
    max_chars: usize,
    submit: &'static str,
}

struct RequestLinkForm {
    action: String,
    email_label: &'static str,
    email: String,
    submit: &'static str,
}

struct Link {
    url: String,
    label: &'static str,
}

#[derive(Template)]
#[template(path = "page.html")]
struct Layout {
    lang: &'static str,
    css: &'static str,
    title: &'static str,
    paragraphs: Vec<String>,
    error: Option<String>,
    new_password: Option<NewPasswordForm>,
    request_link: Option<RequestLinkForm>,
    link: Option<Link>,
}

/// Why a new password was not taken, as the page tells it.
#[derive(Clone, Debug)]
pub enum FormError {
    Weak(WeakPassword),
    Mismatch,
    Conflict,
}

/// Every state of the password-link pages.
#[derive(Clone, Debug)]
pub enum ResetPage {
    /// The form to choose a password, possibly after a refused attempt.
    Form {
        token: String,
        email: String,
        kind: TokenKind,
        error: Option<FormError>,
    },
    Done,
    Expired,
    Superseded,
    Used,
    Unknown,
    /// The answer to the request-a-link form: the same whatever the email.
    LinkRequested,
    /// The request-a-link form again, when what was typed is not an email address.
    InvalidEmail {
        typed: String,
    },
}

impl ResetPage {
    fn status(&self) -> StatusCode {
        match self {
            ResetPage::Form { error: None, .. } | ResetPage::Done => StatusCode::OK,
            ResetPage::Form {
                error: Some(FormError::Conflict),
                ..
            } => StatusCode::CONFLICT,
            ResetPage::Form { error: Some(_), .. } | ResetPage::InvalidEmail { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ResetPage::Expired | ResetPage::Superseded | ResetPage::Used => StatusCode::GONE,
            ResetPage::Unknown => StatusCode::NOT_FOUND,
            ResetPage::LinkRequested => StatusCode::ACCEPTED,
        }
    }

    /// The page in `locale`, as a complete response.
    pub fn render(self, locale: Locale, config: &Config) -> Response {
        let status = self.status();
        match self.layout(page_strings(locale), locale, config).render() {
            Ok(body) => html_response(status, body),
            Err(error) => crate::http::Problem::internal(&error).into_response(),
        }
    }

    fn layout(self, s: &'static PageStrings, locale: Locale, config: &Config) -> Layout {
        let mut page = Layout {
            lang: locale.as_str(),
            css: CSS,
            title: "",
            paragraphs: Vec::new(),
            error: None,
            new_password: None,
            request_link: None,
            link: None,
        };
        let request_link = |email: String| RequestLinkForm {
            action: config.path("/v1/password/forgot"),
            email_label: s.email_label,
            email,
            submit: s.send_link,
        };
        let sign_in = Link {
            url: config.sign_in_url(),
            label: s.sign_in,
        };
        let (title, paragraphs, dead) = match self {
            ResetPage::Form {
                token,
                email,
                kind,
                error,
            } => {
                page.error = error.map(|e| match e {
                    FormError::Weak(WeakPassword::TooShort(n)) => (s.too_short)(n),
                    FormError::Weak(WeakPassword::TooLong(n)) => (s.too_long)(n),
                    FormError::Weak(WeakPassword::ControlCharacter) => {
                        s.control_character.to_owned()
                    }
                    FormError::Weak(WeakPassword::Guessable(_)) => s.guessable.to_owned(),
                    FormError::Mismatch => s.mismatch.to_owned(),
                    FormError::Conflict => s.conflict.to_owned(),
                });
                page.new_password = Some(NewPasswordForm {
                    action: config.path("/v1/password/reset"),
                    token,
                    new_label: s.new_label,
                    confirm_label: s.confirm_label,
                    hint: (s.hint)(config.password_policy.min_chars),
                    min_chars: config.password_policy.min_chars,
                    max_chars: config.password_policy.max_chars,
                    submit: s.save,
                    email: email.clone(),
                });
                let title = match kind {
                    TokenKind::SetPassword => s.choose_title,
                    _ => s.reset_title,
                };
                (title, vec![(s.form_intro)(&email)], false)
            }
            ResetPage::Done => {
                page.link = Some(sign_in);
                (s.done_title, vec![s.done_intro.to_owned()], false)
            }
            ResetPage::Expired => (s.expired_title, dead_link(s, s.expired_intro), true),
            ResetPage::Superseded => (s.superseded_title, dead_link(s, s.superseded_intro), true),
            ResetPage::Used => {
                page.link = Some(sign_in);
                (s.used_title, dead_link(s, s.used_intro), true)
            }
            ResetPage::Unknown => (s.unknown_title, dead_link(s, s.unknown_intro), true),
            ResetPage::LinkRequested => (
                s.requested_title,
                vec![
                    (s.requested_intro)(config.reset_link_ttl.num_minutes()),
                    s.requested_spam.to_owned(),
                ],
                false,
            ),
            ResetPage::InvalidEmail { typed } => {
                page.error = Some(s.invalid_email.to_owned());
                page.request_link = Some(request_link(typed));
                (s.reset_title, vec![s.ask_new_link.to_owned()], false)
            }
        };
        // A dead link's page lets the person ask for a new one right there.
        if dead {
            page.request_link = Some(request_link(String::new()));
        }
        page.title = title;
        page.paragraphs = paragraphs;
        page
    }
}

/// What a dead link's page says: what happened, and how to get a new link.
fn dead_link(s: &PageStrings, what_happened: &str) -> Vec<String> {
    vec![what_happened.to_owned(), s.ask_new_link.to_owned()]
}

fn html_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, axum::response::Html(body)).into_response();
    let headers = response.headers_mut();
    if let Ok(policy) = HeaderValue::from_str(&CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::new("https://usher.example/base/")
    }

    fn body(page: ResetPage, locale: Locale) -> String {
        let s = page_strings(locale);
        page.layout(s, locale, &config()).render().unwrap()
    }

    #[test]
    fn the_stylesheet_is_allowed_by_its_hash_and_nothing_else_loads() {
        let policy = CONTENT_SECURITY_POLICY.as_str();
        assert!(policy.starts_with("default-src 'none'; style-src 'sha256-"));
        assert!(!policy.contains("unsafe"));
        let html = body(ResetPage::Unknown, Locale::En);
        assert!(html.contains(&format!("<style>{CSS}</style>")));
        assert!(!html.contains("<script"));
        assert!(
            !html.contains(" style=\""),
            "inline style attributes would be blocked"
        );
        assert!(!html.contains("http://"), "no third-party assets");
    }

    #[test]
    fn the_form_labels_every_input_and_posts_under_the_public_url_path() {
        let html = body(
            ResetPage::Form {
                token: "tok\"en".into(),
                email: "ada@example.org".into(),
                kind: TokenKind::PasswordReset,
                error: Some(FormError::Mismatch),
            },
            Locale::Fr,
        );
        assert!(html.contains("action=\"/base/v1/password/reset\""));
        assert!(html.contains("<label for=\"new_password\">"));
        assert!(html.contains("<label for=\"new_password_confirm\">"));
        assert!(html.contains("id=\"new_password\""));
        assert!(html.contains("value=\"tok&#34;en\"") || html.contains("value=\"tok&quot;en\""));
        assert!(html.contains("Les deux mots de passe ne sont pas identiques."));
        assert!(html.contains("lang=\"fr\""));
    }

    #[test]
    fn dead_links_offer_the_request_form_and_every_state_speaks_every_locale() {
        for locale in Locale::ALL {
            let mut titles = std::collections::HashSet::new();
            for page in [
                ResetPage::Expired,
                ResetPage::Superseded,
                ResetPage::Used,
                ResetPage::Unknown,
            ] {
                let html = body(page, locale);
                assert!(html.contains("action=\"/base/v1/password/forgot\""));
                assert!(html.contains("<label for=\"email\">"));
                titles.insert(
                    html[html.find("<h1>").unwrap()..html.find("</h1>").unwrap()].to_owned(),
                );
            }
            assert_eq!(titles.len(), 4, "each dead link says what happened");
            let done = body(ResetPage::Done, locale);
            assert!(!done.contains("<form"));
            assert!(done.contains("href=\"https://usher.example/base/\""));
        }
    }
}
