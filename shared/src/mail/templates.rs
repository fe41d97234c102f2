//! The mails Usher sends, rendered from one layout (text and HTML) in the recipient's locale.

use askama::Template;

use super::OutgoingMail;
use super::catalog::{Strings, strings};
use crate::domain::{EmailAddress, Locale};

struct Action {
    label: String,
    url: String,
}

#[derive(Template)]
#[template(path = "mail.html")]
struct HtmlLayout<'a> {
    lang: &'a str,
    subject: &'a str,
    greeting: &'a str,
    paragraphs: &'a [String],
    action: &'a Option<Action>,
    notes: &'a [String],
    footer: &'a str,
}

#[derive(Template)]
#[template(path = "mail.txt")]
struct TextLayout<'a> {
    greeting: &'a str,
    paragraphs: &'a [String],
    action: &'a Option<Action>,
    notes: &'a [String],
    footer: &'a str,
}

/// What the person is told about their password in the account-created mail. Never the password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordNote {
    Generated,
    SetByAdmin,
}

/// Every mail Usher sends, with what it needs to say.
#[derive(Clone, Debug)]
pub enum MailTemplate {
    /// A new account with a password (generated or set by an admin).
    AccountCreated {
        tenant: String,
        first_name: String,
        email: EmailAddress,
        sign_in_url: String,
        note: PasswordNote,
    },
    /// A link to choose the first password.
    ChoosePassword {
        tenant: String,
        first_name: String,
        link: String,
        valid_days: i64,
    },
    /// An existing account gained a membership.
    AddedToTenant {
        tenant: String,
        first_name: String,
        sign_in_url: String,
    },
    /// A reset link: asked for by the person (`tenant` is `None`) or by an admin of `tenant`.
    ResetPassword {
        tenant: Option<String>,
        first_name: String,
        link: String,
        valid_for: chrono::Duration,
    },
    /// The password was changed through a link (or, with `first`, chosen for the first time);
    /// every session ended.
    PasswordChanged {
        first_name: String,
        sign_in_url: String,
        first: bool,
    },
    /// An admin of `tenant` replaced the password with a temporary one they will hand over.
    PasswordResetByAdmin { tenant: String, first_name: String },
}

impl MailTemplate {
    /// Whether the mail carries a link that sets a password. Such a mail goes to the address the
    /// account signs in with, always: never to a notification address, which an admin chooses.
    pub fn sets_a_password(&self) -> bool {
        matches!(
            self,
            MailTemplate::ChoosePassword { .. } | MailTemplate::ResetPassword { .. }
        )
    }
}

#[derive(Debug, thiserror::Error)]
#[error("a mail template failed to render")]
pub struct RenderError(#[from] askama::Error);

impl MailTemplate {
    pub fn render(&self, to: &EmailAddress, locale: Locale) -> Result<OutgoingMail, RenderError> {
        let s: &Strings = strings(locale);
        let (subject, first_name, paragraphs, action, notes) = match self {
            MailTemplate::AccountCreated {
                tenant,
                first_name,
                email,
                sign_in_url,
                note,
            } => (
                (s.created_subject)(tenant),
                first_name,
                vec![
                    (s.created_intro)(tenant),
                    (s.created_sign_in_with)(email.as_str()),
                ],
                Some(Action {
                    label: s.sign_in.into(),
                    url: sign_in_url.clone(),
                }),
                vec![match note {
                    PasswordNote::Generated => s.created_generated_note.to_owned(),
                    PasswordNote::SetByAdmin => s.created_set_note.to_owned(),
                }],
            ),
            MailTemplate::ChoosePassword {
                tenant,
                first_name,
                link,
                valid_days,
            } => (
                (s.choose_subject)(tenant),
                first_name,
                vec![(s.choose_intro)(tenant)],
                Some(Action {
                    label: s.choose_action.into(),
                    url: link.clone(),
                }),
                vec![
                    (s.link_validity_days)(*valid_days),
                    s.not_expected.to_owned(),
                ],
            ),
            MailTemplate::AddedToTenant {
                tenant,
                first_name,
                sign_in_url,
            } => (
                (s.added_subject)(tenant),
                first_name,
                vec![(s.added_intro)(tenant), s.added_note.to_owned()],
                Some(Action {
                    label: s.sign_in.into(),
                    url: sign_in_url.clone(),
                }),
                vec![s.not_expected.to_owned()],
            ),
            MailTemplate::ResetPassword {
                tenant,
                first_name,
                link,
                valid_for,
            } => {
                let minutes = valid_for.num_minutes();
                // "60 minutes" reads better than "1 hours", and needs no plural forms.
                let validity = if minutes >= 120 && minutes % 60 == 0 {
                    (s.link_validity_hours)(minutes / 60)
                } else {
                    (s.link_validity_minutes)(minutes)
                };
                let (subject, intro) = match tenant {
                    Some(tenant) => (
                        (s.admin_reset_subject)(tenant),
                        (s.admin_reset_intro)(tenant),
                    ),
                    None => (s.reset_subject.to_owned(), s.reset_intro.to_owned()),
                };
                (
                    subject,
                    first_name,
                    vec![intro],
                    Some(Action {
                        label: s.reset_action.into(),
                        url: link.clone(),
                    }),
                    vec![validity, s.reset_not_requested.to_owned()],
                )
            }
            MailTemplate::PasswordChanged {
                first_name,
                sign_in_url,
                first,
            } => (
                if *first {
                    s.set_subject
                } else {
                    s.changed_subject
                }
                .to_owned(),
                first_name,
                vec![if *first { s.set_intro } else { s.changed_intro }.to_owned()],
                Some(Action {
                    label: s.sign_in.into(),
                    url: sign_in_url.clone(),
                }),
                vec![s.changed_not_you.to_owned()],
            ),
            MailTemplate::PasswordResetByAdmin { tenant, first_name } => (
                (s.admin_generated_subject)(tenant),
                first_name,
                vec![(s.admin_generated_intro)(tenant)],
                None,
                vec![s.contact_admin.to_owned()],
            ),
        };
        let greeting = (s.greeting)(first_name);
        let html = HtmlLayout {
            lang: locale.as_str(),
            subject: &subject,
            greeting: &greeting,
            paragraphs: &paragraphs,
            action: &action,
            notes: &notes,
            footer: s.footer,
        }
        .render()?;
        let text = TextLayout {
            greeting: &greeting,
            paragraphs: &paragraphs,
            action: &action,
            notes: &notes,
            footer: s.footer,
        }
        .render()?;
        Ok(OutgoingMail {
            to: to.clone(),
            subject,
            text,
            html,
            headers: vec![("Auto-Submitted".into(), "auto-generated".into())],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<MailTemplate> {
        let email = EmailAddress::parse("ada@example.org").unwrap();
        vec![
            MailTemplate::AccountCreated {
                tenant: "Comune <Forlì>".into(),
                first_name: "Ada".into(),
                email,
                sign_in_url: "https://usher.example/".into(),
                note: PasswordNote::Generated,
            },
            MailTemplate::ChoosePassword {
                tenant: "Comune <Forlì>".into(),
                first_name: "Ada".into(),
                link: "https://usher.example/reset/abc".into(),
                valid_days: 7,
            },
            MailTemplate::AddedToTenant {
                tenant: "Comune <Forlì>".into(),
                first_name: "Ada".into(),
                sign_in_url: "https://usher.example/".into(),
            },
            MailTemplate::ResetPassword {
                tenant: Some("Comune <Forlì>".into()),
                first_name: "Ada".into(),
                link: "https://usher.example/reset/abc".into(),
                valid_for: chrono::Duration::hours(24),
            },
            MailTemplate::PasswordChanged {
                first_name: "Ada <Comune <Forlì>>".into(),
                sign_in_url: "https://usher.example/".into(),
                first: false,
            },
            MailTemplate::PasswordResetByAdmin {
                tenant: "Comune <Forlì>".into(),
                first_name: "Ada".into(),
            },
        ]
    }

    #[test]
    fn every_mail_renders_in_every_locale_with_escaped_html() {
        let to = EmailAddress::parse("ada@example.org").unwrap();
        for template in sample() {
            let mut subjects = std::collections::HashSet::new();
            for locale in Locale::ALL {
                let mail = template.render(&to, locale).unwrap();
                assert!(mail.html.contains(&format!("lang=\"{}\"", locale.as_str())));
                assert!(
                    mail.html.contains("Comune &#60;Forlì&#62;")
                        || mail.html.contains("Comune &lt;Forlì&gt;")
                );
                assert!(!mail.html.contains("<Forlì>"));
                assert!(mail.text.contains("Comune <Forlì>"));
                let has_action = !matches!(template, MailTemplate::PasswordResetByAdmin { .. });
                assert_eq!(mail.text.contains("https://usher.example/"), has_action);
                subjects.insert(mail.subject);
            }
            assert_eq!(subjects.len(), 4, "each locale has its own subject");
        }
    }

    #[test]
    fn the_choose_password_mail_carries_its_link_in_both_parts() {
        let to = EmailAddress::parse("ada@example.org").unwrap();
        let mail = sample()[1].render(&to, Locale::It).unwrap();
        assert!(mail.text.contains("https://usher.example/reset/abc"));
        assert!(
            mail.html
                .contains("href=\"https://usher.example/reset/abc\"")
        );
        assert!(mail.subject.starts_with("Scegli la tua password"));
    }

    #[test]
    fn reset_mails_state_how_long_their_link_works() {
        let to = EmailAddress::parse("ada@example.org").unwrap();
        let mail = |valid_for, tenant: Option<&str>| {
            MailTemplate::ResetPassword {
                tenant: tenant.map(Into::into),
                first_name: "Ada".into(),
                link: "https://usher.example/reset/abc".into(),
                valid_for,
            }
            .render(&to, Locale::En)
            .unwrap()
        };
        let own = mail(chrono::Duration::minutes(60), None);
        assert_eq!(own.subject, "Reset your password");
        assert!(own.text.contains("expires in 60 minutes."));
        let own = mail(chrono::Duration::minutes(45), None);
        assert!(own.text.contains("expires in 45 minutes"));
        let by_admin = mail(chrono::Duration::hours(24), Some("Acme"));
        assert_eq!(by_admin.subject, "Reset your password for Acme");
        assert!(by_admin.text.contains("expires in 24 hours"));
        assert!(
            by_admin
                .html
                .contains("href=\"https://usher.example/reset/abc\"")
        );
    }
}
