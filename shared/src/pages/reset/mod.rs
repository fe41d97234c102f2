//! The password-link pages: choose a password from a reset or first-password link, and every
//! state such a link can be in (used, expired, superseded, unknown), each with a way to ask for a
//! new link.

mod catalog;

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use super::{Link, Shell, password, respond};
use crate::app::Config;
use crate::domain::{Locale, WeakPassword};
use crate::records::TokenKind;
use catalog::{ResetStrings, reset_strings};

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

#[derive(Template)]
#[template(path = "pages/reset.html")]
struct ResetTemplate {
    shell: Shell,
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
    /// The same as the current password.
    Reused,
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
    /// The form to ask for a reset link, for someone who forgot their password.
    RequestLink,
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
            ResetPage::Form { error: None, .. } | ResetPage::Done | ResetPage::RequestLink => {
                StatusCode::OK
            }
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
        respond(self.status(), &self.template(locale, config))
    }

    /// One arm per state of the page, each filling the same template: the page's words in one
    /// place, which is why it is long.
    fn template(self, locale: Locale, config: &Config) -> ResetTemplate {
        let s = reset_strings(locale);
        let mut page = ResetTemplate {
            shell: Shell::new(locale, ""),
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
                    FormError::Weak(weak) => password::weak_password(locale, &weak),
                    FormError::Reused => s.reused.to_owned(),
                    FormError::Mismatch => s.mismatch.to_owned(),
                    FormError::Conflict => password::password_sentences(locale).conflict.to_owned(),
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
            ResetPage::RequestLink => {
                page.request_link = Some(request_link(String::new()));
                (s.forgot_title, vec![s.ask_new_link.to_owned()], false)
            }
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
        page.shell.title = title.to_owned();
        page.paragraphs = paragraphs;
        page
    }
}

/// What a dead link's page says: what happened, and how to get a new link.
fn dead_link(s: &ResetStrings, what_happened: &str) -> Vec<String> {
    vec![what_happened.to_owned(), s.ask_new_link.to_owned()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::new("https://usher.example/base/")
    }

    fn body(page: ResetPage, locale: Locale) -> String {
        page.template(locale, &config()).render().unwrap()
    }

    #[test]
    fn the_stylesheet_is_allowed_by_its_hash_and_nothing_else_loads() {
        let policy = super::super::CONTENT_SECURITY_POLICY.as_str();
        assert!(policy.starts_with("default-src 'none'; style-src 'sha256-"));
        assert!(!policy.contains("unsafe"));
        let html = body(ResetPage::Unknown, Locale::En);
        assert!(html.contains(&format!("<style>{}</style>", super::super::CSS)));
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
