//! The self-service pages: sign up with an email, then, from the mailed link, name yourself and
//! your organisation and choose a password; and every state such a link can be in.

mod catalog;

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use super::{Link, Shell, password, respond};
use crate::app::Config;
use crate::domain::{Locale, WeakPassword};
use catalog::signup_strings;

struct StartForm {
    action: String,
    email_label: &'static str,
    email: String,
    submit: &'static str,
}

struct OrganisationForm {
    action: String,
    token: String,
    email_label: &'static str,
    email: String,
    first_name_label: &'static str,
    first_name: String,
    last_name_label: &'static str,
    last_name: String,
    organisation_label: &'static str,
    organisation: String,
    password_label: &'static str,
    confirm_label: &'static str,
    hint: String,
    min_chars: usize,
    max_chars: usize,
    submit: &'static str,
}

#[derive(Template)]
#[template(path = "pages/signup.html")]
struct SignupTemplate {
    shell: Shell,
    paragraphs: Vec<String>,
    error: Option<String>,
    organisation: Option<OrganisationForm>,
    start: Option<StartForm>,
    link: Option<Link>,
}

/// What the person typed on the link's page, shown again when something was refused.
#[derive(Clone, Debug, Default)]
pub struct SignupTyped {
    pub first_name: String,
    pub last_name: String,
    pub organisation: String,
}

/// Why the organisation form was refused, as the page tells it.
#[derive(Clone, Debug)]
pub enum SignupFormError {
    Weak(WeakPassword),
    Mismatch,
    FirstName,
    LastName,
    Organisation,
    Conflict,
}

/// Every state of the sign-up pages.
#[derive(Clone, Debug)]
pub enum SignupPage {
    /// The form to sign up with an email.
    Start,
    /// The start form again: what was typed is not an email address.
    InvalidEmail {
        typed: String,
    },
    /// The answer to the start form: the same whatever the email.
    Requested,
    /// This deployment does not offer sign-up.
    Off,
    /// The link's form, possibly after a refused attempt.
    Form {
        token: String,
        email: String,
        typed: SignupTyped,
        error: Option<SignupFormError>,
    },
    /// The organisation exists and its owner is signed in.
    Done {
        organisation: String,
    },
    Expired,
    Used,
    Unknown,
    /// The address got an account after the link was sent.
    AccountExists,
}

impl SignupPage {
    fn status(&self) -> StatusCode {
        match self {
            SignupPage::Start | SignupPage::Form { error: None, .. } => StatusCode::OK,
            SignupPage::Requested => StatusCode::ACCEPTED,
            SignupPage::Done { .. } => StatusCode::CREATED,
            SignupPage::Form {
                error: Some(SignupFormError::Conflict),
                ..
            }
            | SignupPage::AccountExists => StatusCode::CONFLICT,
            SignupPage::Form { error: Some(_), .. } | SignupPage::InvalidEmail { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            SignupPage::Expired | SignupPage::Used => StatusCode::GONE,
            SignupPage::Unknown | SignupPage::Off => StatusCode::NOT_FOUND,
        }
    }

    /// The page in `locale`, as a complete response.
    pub fn render(self, locale: Locale, config: &Config) -> Response {
        respond(self.status(), &self.template(locale, config))
    }

    /// One arm per state of the page, each filling the same template.
    fn template(self, locale: Locale, config: &Config) -> SignupTemplate {
        let s = signup_strings(locale);
        let mut page = SignupTemplate {
            shell: Shell::new(locale, ""),
            paragraphs: Vec::new(),
            error: None,
            organisation: None,
            start: None,
            link: None,
        };
        let start = |email: String| StartForm {
            action: config.path("/v1/signup"),
            email_label: s.email_label,
            email,
            submit: s.start_submit,
        };
        let sign_in = Link {
            url: config.sign_in_url(),
            label: s.sign_in,
        };
        let (title, paragraphs) = match self {
            SignupPage::Start => {
                page.start = Some(start(String::new()));
                (s.start_title, vec![s.start_intro.to_owned()])
            }
            SignupPage::InvalidEmail { typed } => {
                page.error = Some(s.invalid_email.to_owned());
                page.start = Some(start(typed));
                (s.start_title, vec![s.start_intro.to_owned()])
            }
            SignupPage::Requested => (
                s.requested_title,
                vec![
                    (s.requested_intro)(config.signup_link_ttl.num_hours()),
                    s.requested_spam.to_owned(),
                ],
            ),
            SignupPage::Off => (s.off_title, vec![s.off_intro.to_owned()]),
            SignupPage::Form {
                token,
                email,
                typed,
                error,
            } => {
                page.error = error.map(|e| match e {
                    SignupFormError::Weak(weak) => password::weak_password(locale, &weak),
                    SignupFormError::Mismatch => s.mismatch.to_owned(),
                    SignupFormError::FirstName => s.invalid_first_name.to_owned(),
                    SignupFormError::LastName => s.invalid_last_name.to_owned(),
                    SignupFormError::Organisation => s.invalid_organisation.to_owned(),
                    SignupFormError::Conflict => {
                        password::password_sentences(locale).conflict.to_owned()
                    }
                });
                page.organisation = Some(OrganisationForm {
                    action: config.path("/v1/signup/complete"),
                    token,
                    email_label: s.email_label,
                    email,
                    first_name_label: s.first_name_label,
                    first_name: typed.first_name,
                    last_name_label: s.last_name_label,
                    last_name: typed.last_name,
                    organisation_label: s.organisation_label,
                    organisation: typed.organisation,
                    password_label: s.password_label,
                    confirm_label: s.confirm_label,
                    hint: (s.hint)(config.password_policy.min_chars),
                    min_chars: config.password_policy.min_chars,
                    max_chars: config.password_policy.max_chars,
                    submit: s.create_submit,
                });
                (s.form_title, vec![s.form_intro.to_owned()])
            }
            SignupPage::Done { organisation } => {
                page.link = Some(sign_in);
                (s.done_title, vec![(s.done_intro)(&organisation)])
            }
            SignupPage::Expired => {
                page.start = Some(start(String::new()));
                (s.expired_title, vec![s.expired_intro.to_owned()])
            }
            SignupPage::Used => {
                page.link = Some(sign_in);
                (s.used_title, vec![s.used_intro.to_owned()])
            }
            SignupPage::Unknown => {
                page.start = Some(start(String::new()));
                (s.unknown_title, vec![s.unknown_intro.to_owned()])
            }
            SignupPage::AccountExists => {
                page.link = Some(sign_in);
                (s.exists_title, vec![s.exists_intro.to_owned()])
            }
        };
        page.shell.title = title.to_owned();
        page.paragraphs = paragraphs;
        page
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(page: SignupPage, locale: Locale) -> String {
        page.template(locale, &Config::new("https://usher.example/base/"))
            .render()
            .unwrap()
    }

    #[test]
    fn the_form_labels_every_input_and_keeps_what_was_typed_escaped() {
        let html = body(
            SignupPage::Form {
                token: "tok\"en".into(),
                email: "ada@example.org".into(),
                typed: SignupTyped {
                    first_name: "Ada".into(),
                    last_name: "Love<lace>".into(),
                    organisation: "Flotta \"Nord\"".into(),
                },
                error: Some(SignupFormError::Mismatch),
            },
            Locale::It,
        );
        assert!(html.contains("action=\"/base/v1/signup/complete\""));
        for field in [
            "first_name",
            "last_name",
            "organisation",
            "password",
            "password_confirm",
        ] {
            assert!(
                html.contains(&format!("<label for=\"{field}\">")),
                "{field}"
            );
            assert!(html.contains(&format!("id=\"{field}\"")), "{field}");
        }
        assert!(html.contains("Love&#60;lace&#62;") || html.contains("Love&lt;lace&gt;"));
        assert!(!html.contains("Love<lace>"));
        assert!(html.contains("lang=\"it\""));
        assert!(html.contains("role=\"alert\""));
    }

    #[test]
    fn every_state_speaks_every_locale_with_a_title_of_its_own() {
        for locale in Locale::ALL {
            let mut titles = std::collections::HashSet::new();
            for page in [
                SignupPage::Start,
                SignupPage::Requested,
                SignupPage::Off,
                SignupPage::Done {
                    organisation: "Acme".into(),
                },
                SignupPage::Expired,
                SignupPage::Used,
                SignupPage::Unknown,
                SignupPage::AccountExists,
            ] {
                let html = body(page, locale);
                titles.insert(
                    html[html.find("<h1>").unwrap()..html.find("</h1>").unwrap()].to_owned(),
                );
            }
            assert_eq!(titles.len(), 8, "{locale:?}");
            let start = body(SignupPage::Expired, locale);
            assert!(start.contains("action=\"/base/v1/signup\""));
        }
    }
}
