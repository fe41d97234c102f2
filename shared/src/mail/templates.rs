//! The mails Usher sends, rendered from one layout (text and HTML) in the recipient's locale.

use askama::Template;

use super::OutgoingMail;
use super::catalog::{Strings, strings};
use chrono::{DateTime, Utc};

use crate::domain::{EmailAddress, Locale, Role};

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
        valid_for: chrono::Duration,
    },
    /// An invitation to join `tenant` (again, with `resent`: a new link, the old one dead).
    Invitation {
        tenant: String,
        inviter: String,
        role: Role,
        message: Option<String>,
        link: String,
        expires_at: DateTime<Utc>,
        resent: bool,
    },
    /// To the inviter: their invitation was accepted.
    InvitationAccepted {
        tenant: String,
        first_name: String,
        member_name: String,
        member_email: EmailAddress,
    },
    /// An admin gave back (or gave) access to `tenant` to a person who has a password.
    AccessGranted {
        tenant: String,
        first_name: String,
        sign_in_url: String,
    },
    /// To a person who just joined `tenant`.
    Welcome {
        tenant: String,
        first_name: String,
        url: String,
    },
    /// To a member of `tenant`, whose settings announce newcomers: someone joined.
    MemberJoined {
        tenant: String,
        first_name: String,
        member_name: String,
    },
    /// To an address someone registered when accepting an invitation sent to another one: said
    /// plainly, with no word of theirs (not the names they typed), and a link for the owner of
    /// the address to confirm it and choose their password.
    ConfirmRegistration {
        tenant: String,
        link: String,
        valid_for: chrono::Duration,
    },
    /// The same request, for an address that has an account: nothing was registered. Mailed
    /// instead of the confirmation, so the answer to the request says nothing of the account.
    RegistrationForAnAccount { tenant: String },
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
    /// To each owner of `tenant`: Usher turned off its webhook endpoint at `url`, because it
    /// answered `410 Gone` (`gone`) or failed for days.
    WebhookDisabled {
        tenant: String,
        first_name: String,
        url: String,
        gone: bool,
    },
    /// To an address someone signed up with: a link to confirm it, choose a password and name
    /// the organisation.
    VerifySignup {
        link: String,
        valid_for: chrono::Duration,
    },
    /// The same request, for an address that has an account: nothing was created. Mailed
    /// instead of the link, so the answer to the request says nothing of the account.
    SignupForAnAccount {
        first_name: String,
        sign_in_url: String,
    },
}

impl MailTemplate {
    /// Whether the mail carries a link that sets a password. Such a mail goes to the address the
    /// account signs in with, always: never to a notification address, which an admin chooses.
    pub fn sets_a_password(&self) -> bool {
        matches!(
            self,
            MailTemplate::ChoosePassword { .. }
                | MailTemplate::ResetPassword { .. }
                | MailTemplate::ConfirmRegistration { .. }
                | MailTemplate::VerifySignup { .. }
        )
    }
}

/// How long a link works, in minutes or whole hours ("60 minutes" reads better than "1 hours",
/// and needs no plural forms).
fn validity(s: &Strings, valid_for: chrono::Duration) -> String {
    let minutes = valid_for.num_minutes();
    if minutes >= 120 && minutes % 60 == 0 {
        (s.link_validity_hours)(minutes / 60)
    } else {
        (s.link_validity_minutes)(minutes)
    }
}

fn role_name(s: &Strings, role: Role) -> &'static str {
    match role {
        Role::Owner => s.role_owner,
        Role::Admin => s.role_admin,
        Role::Member => s.role_member,
    }
}

#[derive(Debug, thiserror::Error)]
#[error("a mail template failed to render")]
pub struct RenderError(#[from] askama::Error);

/// What a mail says, before a layout: its subject, whom it greets, its paragraphs, its one
/// action and its closing notes.
struct MailBody<'a> {
    subject: String,
    first_name: Option<&'a str>,
    paragraphs: Vec<String>,
    action: Option<Action>,
    notes: Vec<String>,
}

impl MailTemplate {
    pub fn render(&self, to: &EmailAddress, locale: Locale) -> Result<OutgoingMail, RenderError> {
        let s: &Strings = strings(locale);
        let MailBody {
            subject,
            first_name,
            paragraphs,
            action,
            notes,
        } = self.body(s, locale);
        let greeting = match first_name {
            Some(name) => (s.greeting)(name),
            None => s.greeting_anonymous.to_owned(),
        };
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

    /// One arm per template, so that every mail's words stand side by side in the order a reader
    /// meets them; the long match is the catalogue of mails, not logic to split.
    fn body(&self, s: &Strings, locale: Locale) -> MailBody<'_> {
        let (subject, first_name, paragraphs, action, notes) = match self {
            MailTemplate::AccountCreated {
                tenant,
                first_name,
                email,
                sign_in_url,
                note,
            } => (
                (s.created_subject)(tenant),
                Some(first_name.as_str()),
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
                valid_for,
            } => (
                (s.choose_subject)(tenant),
                Some(first_name.as_str()),
                vec![(s.choose_intro)(tenant)],
                Some(Action {
                    label: s.choose_action.into(),
                    url: link.clone(),
                }),
                vec![
                    (s.link_validity_days)(valid_for.num_days()),
                    s.not_expected.to_owned(),
                ],
            ),
            MailTemplate::Invitation {
                tenant,
                inviter,
                role,
                message,
                link,
                expires_at,
                resent,
            } => {
                let mut paragraphs = vec![
                    (s.invite_intro)(inviter, tenant),
                    (s.invite_role)(role_name(s, *role)),
                ];
                if let Some(message) = message {
                    paragraphs.push((s.invite_message)(inviter));
                    paragraphs.push(message.clone());
                }
                let mut notes = vec![(s.invite_expires)(&locale.long_date_time(*expires_at))];
                if *resent {
                    notes.push(s.resent_note.to_owned());
                }
                notes.push(s.not_expected.to_owned());
                (
                    if *resent {
                        (s.resent_subject)(inviter, tenant)
                    } else {
                        (s.invite_subject)(inviter, tenant)
                    },
                    None,
                    paragraphs,
                    Some(Action {
                        label: s.invite_action.into(),
                        url: link.clone(),
                    }),
                    notes,
                )
            }
            MailTemplate::InvitationAccepted {
                tenant,
                first_name,
                member_name,
                member_email,
            } => (
                (s.accepted_subject)(member_name, tenant),
                Some(first_name.as_str()),
                vec![(s.accepted_intro)(
                    member_name,
                    member_email.as_str(),
                    tenant,
                )],
                None,
                Vec::new(),
            ),
            MailTemplate::AccessGranted {
                tenant,
                first_name,
                sign_in_url,
            } => (
                (s.access_subject)(tenant),
                Some(first_name.as_str()),
                vec![(s.access_intro)(tenant)],
                Some(Action {
                    label: s.sign_in.into(),
                    url: sign_in_url.clone(),
                }),
                vec![s.not_expected.to_owned()],
            ),
            MailTemplate::Welcome {
                tenant,
                first_name,
                url,
            } => (
                (s.welcome_subject)(tenant),
                Some(first_name.as_str()),
                vec![(s.welcome_intro)(tenant)],
                Some(Action {
                    label: s.get_started.into(),
                    url: url.clone(),
                }),
                vec![s.welcome_note.to_owned()],
            ),
            MailTemplate::WebhookDisabled {
                tenant,
                first_name,
                url,
                gone,
            } => (
                (s.webhook_disabled_subject)(tenant),
                Some(first_name.as_str()),
                vec![
                    (s.webhook_disabled_intro)(url, tenant),
                    if *gone {
                        s.webhook_gone.to_owned()
                    } else {
                        (s.webhook_failing)(
                            crate::usecases::webhooks::endpoints::FAILING_LIMIT_DAYS,
                        )
                    },
                ],
                None,
                vec![s.webhook_enable_note.to_owned()],
            ),
            MailTemplate::MemberJoined {
                tenant,
                first_name,
                member_name,
            } => (
                (s.joined_subject)(member_name, tenant),
                Some(first_name.as_str()),
                vec![(s.joined_intro)(member_name, tenant)],
                None,
                vec![s.joined_note.to_owned()],
            ),
            MailTemplate::RegistrationForAnAccount { tenant } => (
                (s.has_account_subject)(tenant),
                None,
                vec![(s.has_account_intro)(tenant)],
                None,
                vec![(s.has_account_note)(tenant), s.not_expected.to_owned()],
            ),
            MailTemplate::ConfirmRegistration {
                tenant,
                link,
                valid_for,
            } => (
                (s.confirm_subject)(tenant),
                None,
                vec![(s.confirm_intro)(tenant)],
                Some(Action {
                    label: s.confirm_action.into(),
                    url: link.clone(),
                }),
                vec![validity(s, *valid_for), s.not_expected.to_owned()],
            ),
            MailTemplate::ResetPassword {
                tenant,
                first_name,
                link,
                valid_for,
            } => {
                let validity = validity(s, *valid_for);
                let (subject, intro) = match tenant {
                    Some(tenant) => (
                        (s.admin_reset_subject)(tenant),
                        (s.admin_reset_intro)(tenant),
                    ),
                    None => (s.reset_subject.to_owned(), s.reset_intro.to_owned()),
                };
                (
                    subject,
                    Some(first_name.as_str()),
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
                Some(first_name.as_str()),
                vec![if *first { s.set_intro } else { s.changed_intro }.to_owned()],
                Some(Action {
                    label: s.sign_in.into(),
                    url: sign_in_url.clone(),
                }),
                vec![s.changed_not_you.to_owned()],
            ),
            MailTemplate::VerifySignup { link, valid_for } => (
                s.signup_subject.to_owned(),
                None,
                vec![s.signup_intro.to_owned()],
                Some(Action {
                    label: s.signup_action.into(),
                    url: link.clone(),
                }),
                vec![validity(s, *valid_for), s.not_expected.to_owned()],
            ),
            MailTemplate::SignupForAnAccount {
                first_name,
                sign_in_url,
            } => (
                s.signup_exists_subject.to_owned(),
                Some(first_name.as_str()),
                vec![
                    s.signup_exists_intro.to_owned(),
                    s.signup_exists_note.to_owned(),
                ],
                Some(Action {
                    label: s.sign_in.into(),
                    url: sign_in_url.clone(),
                }),
                vec![s.not_expected.to_owned()],
            ),
            MailTemplate::PasswordResetByAdmin { tenant, first_name } => (
                (s.admin_generated_subject)(tenant),
                Some(first_name.as_str()),
                vec![(s.admin_generated_intro)(tenant)],
                None,
                vec![s.contact_admin.to_owned()],
            ),
        };
        MailBody {
            subject,
            first_name,
            paragraphs,
            action,
            notes,
        }
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
                valid_for: chrono::Duration::days(7),
            },
            MailTemplate::Invitation {
                tenant: "Comune <Forlì>".into(),
                inviter: "Olga <b>Owner</b>".into(),
                role: Role::Admin,
                message: Some("<script>alert(1)</script>\nBenvenuta!".into()),
                link: "https://usher.example/invite/abc".into(),
                expires_at: chrono::DateTime::parse_from_rfc3339("2026-12-03T09:05:00Z")
                    .unwrap()
                    .to_utc(),
                resent: false,
            },
            MailTemplate::InvitationAccepted {
                tenant: "Comune <Forlì>".into(),
                first_name: "Olga".into(),
                member_name: "Ada Lovelace".into(),
                member_email: EmailAddress::parse("ada@example.org").unwrap(),
            },
            MailTemplate::Welcome {
                tenant: "Comune <Forlì>".into(),
                first_name: "Ada".into(),
                url: "https://usher.example/".into(),
            },
            MailTemplate::MemberJoined {
                tenant: "Comune <Forlì>".into(),
                first_name: "Bea".into(),
                member_name: "Ada Lovelace".into(),
            },
            MailTemplate::AccessGranted {
                tenant: "Comune <Forlì>".into(),
                first_name: "Ada".into(),
                sign_in_url: "https://usher.example/".into(),
            },
            MailTemplate::ConfirmRegistration {
                tenant: "Comune <Forlì>".into(),
                link: "https://usher.example/invite/confirm/abc".into(),
                valid_for: chrono::Duration::hours(24),
            },
            MailTemplate::RegistrationForAnAccount {
                tenant: "Comune <Forlì>".into(),
            },
            MailTemplate::VerifySignup {
                link: "https://usher.example/signup/abc".into(),
                valid_for: chrono::Duration::hours(24),
            },
            MailTemplate::SignupForAnAccount {
                first_name: "Ada <Comune <Forlì>>".into(),
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
            MailTemplate::WebhookDisabled {
                tenant: "Comune <Forlì>".into(),
                first_name: "Ada".into(),
                url: "https://hooks.example/<usher>".into(),
                gone: false,
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
                // The sign-up link's mail says nothing anyone typed: nothing to escape.
                if !matches!(template, MailTemplate::VerifySignup { .. }) {
                    assert!(
                        mail.html.contains("Comune &#60;Forlì&#62;")
                            || mail.html.contains("Comune &lt;Forlì&gt;")
                    );
                    assert!(mail.text.contains("Comune <Forlì>"));
                }
                assert!(!mail.html.contains("<Forlì>"));
                let has_action = !matches!(
                    template,
                    MailTemplate::PasswordResetByAdmin { .. }
                        | MailTemplate::InvitationAccepted { .. }
                        | MailTemplate::MemberJoined { .. }
                        | MailTemplate::RegistrationForAnAccount { .. }
                        | MailTemplate::WebhookDisabled { .. }
                );
                assert_eq!(mail.text.contains("https://usher.example/"), has_action);
                subjects.insert(mail.subject);
            }
            assert_eq!(subjects.len(), 4, "each locale has its own subject");
        }
    }

    #[test]
    fn the_invitation_mail_escapes_the_message_and_dates_the_expiry_in_the_readers_language() {
        let to = EmailAddress::parse("ada@example.org").unwrap();
        let invitation = &sample()[2];
        let mail = invitation.render(&to, Locale::Pl).unwrap();
        assert!(mail.text.contains("3 grudnia 2026, 09:05 UTC"));
        assert!(
            mail.text.contains("<script>alert(1)</script>"),
            "plain text keeps it as typed"
        );
        assert!(!mail.html.contains("<script>"), "the HTML escapes it");
        assert!(!mail.html.contains("<b>Owner</b>"));
        assert!(
            mail.html
                .contains("href=\"https://usher.example/invite/abc\"")
        );
        let MailTemplate::Invitation { .. } = invitation else {
            panic!("the sample's third mail is the invitation");
        };
        let mut resent = invitation.clone();
        if let MailTemplate::Invitation { resent: r, .. } = &mut resent {
            *r = true;
        }
        let again = resent.render(&to, Locale::En).unwrap();
        assert!(again.subject.starts_with("Reminder"));
        assert!(
            again
                .text
                .contains("earlier links for this invitation no longer work")
        );
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
