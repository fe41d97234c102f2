//! The invitation pages: what a link invites to, with a form to sign in and one to register;
//! the page after joining; the wait for a confirmed address and its confirmation; and every
//! dead state of a link (expired, used, withdrawn, unknown).

mod catalog;

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};

use super::{Link, Shell, password, respond};
use crate::app::Config;
use crate::domain::{Locale, Role, WeakPassword};
use crate::settings::InvitationEmailPolicy;
use catalog::{InviteStrings, invite_strings};

/// One of the two forms of an open invitation.
struct FormSection {
    /// The registration form (else the sign-in form).
    register: bool,
    title: &'static str,
    action: String,
    email_label: &'static str,
    email: String,
    /// The address may not be changed (policy `exact`).
    email_fixed: bool,
    email_hint: &'static str,
    password_label: &'static str,
    first_name_label: &'static str,
    first_name: String,
    last_name_label: &'static str,
    last_name: String,
    confirm_label: &'static str,
    hint: String,
    min_chars: usize,
    max_chars: usize,
    submit: &'static str,
    forgot_url: String,
    forgot_label: &'static str,
    /// The sign-in form asks for a new password too (see `InviteFormError::NewPasswordRequired`).
    ask_new_password: bool,
    new_password_label: &'static str,
}

/// The confirmation of a registered address: its owner chooses the password here.
struct ConfirmForm {
    action: String,
    token: String,
    password_label: &'static str,
    confirm_label: &'static str,
    hint: String,
    min_chars: usize,
    max_chars: usize,
    submit: &'static str,
}

#[derive(Template)]
#[template(path = "pages/invite.html")]
struct InviteTemplate {
    shell: Shell,
    paragraphs: Vec<String>,
    message_intro: Option<String>,
    message: Option<String>,
    error: Option<String>,
    sections: Vec<FormSection>,
    confirm: Option<ConfirmForm>,
    link: Option<Link>,
}

/// What an open invitation says.
#[derive(Clone, Debug)]
pub struct InvitationSummary {
    pub token: String,
    pub tenant: String,
    pub inviter: String,
    pub role: Role,
    pub email: String,
    pub message: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub account_exists: bool,
    pub policy: InvitationEmailPolicy,
}

/// What the person typed, shown again with an error (never the password).
#[derive(Clone, Debug, Default)]
pub struct Typed {
    pub email: Option<String>,
    pub first_name: String,
    pub last_name: String,
}

/// Why a form was not taken, as the page tells it.
#[derive(Clone, Debug)]
pub enum InviteFormError {
    WrongPassword,
    RateLimited,
    Weak(WeakPassword),
    Mismatch {
        invited: String,
        used: String,
    },
    AccountExists,
    AlreadyMember,
    PasswordsDiffer,
    Invalid(String),
    Conflict,
    RegistrationsExhausted,
    /// The password signed in with was set by another tenant's admin: the sign-in form asks for
    /// a new one too.
    NewPasswordRequired,
    /// The new password was that same password.
    NewPasswordReused,
}

/// Every state of the invitation pages.
#[derive(Clone, Debug)]
pub enum InvitePage {
    Open {
        invitation: InvitationSummary,
        typed: Typed,
        error: Option<InviteFormError>,
    },
    Joined {
        tenant: String,
        continue_url: String,
    },
    ConfirmationSent {
        email: String,
    },
    Confirm {
        token: String,
        tenant: String,
        email: String,
        /// Why the last submission was not taken (a weak password, two that differ).
        error: Option<InviteFormError>,
    },
    /// The confirmation was refused for a reason other than a dead link.
    ConfirmFailed(InviteFormError),
    Expired {
        inviter: Option<String>,
    },
    Used,
    Revoked,
    Unknown,
}

impl InvitePage {
    fn status(&self) -> StatusCode {
        match self {
            InvitePage::Open { error: None, .. }
            | InvitePage::Joined { .. }
            | InvitePage::Confirm { error: None, .. } => StatusCode::OK,
            InvitePage::Open {
                error: Some(error), ..
            }
            | InvitePage::Confirm {
                error: Some(error), ..
            }
            | InvitePage::ConfirmFailed(error) => match error {
                InviteFormError::WrongPassword => StatusCode::UNAUTHORIZED,
                InviteFormError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
                InviteFormError::Mismatch { .. } => StatusCode::FORBIDDEN,
                InviteFormError::AccountExists
                | InviteFormError::AlreadyMember
                | InviteFormError::RegistrationsExhausted
                | InviteFormError::NewPasswordRequired
                | InviteFormError::Conflict => StatusCode::CONFLICT,
                InviteFormError::Weak(_)
                | InviteFormError::PasswordsDiffer
                | InviteFormError::NewPasswordReused
                | InviteFormError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            },
            InvitePage::ConfirmationSent { .. } => StatusCode::ACCEPTED,
            InvitePage::Expired { .. } | InvitePage::Used | InvitePage::Revoked => StatusCode::GONE,
            InvitePage::Unknown => StatusCode::NOT_FOUND,
        }
    }

    /// The page in `locale`, as a complete response.
    pub fn render(self, locale: Locale, config: &Config) -> Response {
        respond(self.status(), &self.template(locale, config))
    }

    /// One arm per state of the page, each filling the same template: the page's words in one
    /// place, which is why it is long.
    fn template(self, locale: Locale, config: &Config) -> InviteTemplate {
        let s = invite_strings(locale);
        let mut page = InviteTemplate {
            shell: Shell::new(locale, ""),
            paragraphs: Vec::new(),
            message_intro: None,
            message: None,
            error: None,
            sections: Vec::new(),
            confirm: None,
            link: None,
        };
        let sign_in = || Link {
            url: config.sign_in_url(),
            label: s.sign_in,
        };
        let title = match self {
            InvitePage::Open {
                invitation,
                typed,
                error,
            } => {
                // The sign-in form (the one whose posts carry no names) asks for a new password
                // once it was found needed, and again while the new one is not taken.
                let ask_new_password = matches!(
                    error,
                    Some(
                        InviteFormError::NewPasswordRequired
                            | InviteFormError::NewPasswordReused
                            | InviteFormError::Weak(_)
                            | InviteFormError::PasswordsDiffer
                    )
                ) && typed.first_name.is_empty();
                page.error = error.map(|e| error_text(s, locale, e));
                page.paragraphs = vec![
                    (s.intro)(&invitation.inviter, &invitation.tenant),
                    (s.for_email)(&invitation.email),
                    (s.role)(role_name(s, invitation.role)),
                    (s.expires)(&locale.long_date_time(invitation.expires_at)),
                ];
                if let Some(message) = &invitation.message {
                    page.message_intro = Some((s.message_intro)(&invitation.inviter));
                    page.message = Some(message.clone());
                }
                page.sections = sections(s, config, &invitation, typed, ask_new_password);
                page.shell.title = (s.title)(&invitation.tenant);
                ""
            }
            InvitePage::Joined {
                tenant,
                continue_url,
            } => {
                page.paragraphs = vec![s.joined_intro.to_owned()];
                page.link = Some(Link {
                    url: continue_url,
                    label: s.continue_label,
                });
                page.shell.title = (s.joined_title)(&tenant);
                ""
            }
            InvitePage::ConfirmationSent { email } => {
                page.paragraphs = vec![(s.sent_intro)(&email)];
                s.sent_title
            }
            InvitePage::Confirm {
                token,
                tenant,
                email,
                error,
            } => {
                page.paragraphs = vec![(s.confirm_intro)(&email, &tenant)];
                page.error = error.map(|e| error_text(s, locale, e));
                page.confirm = Some(ConfirmForm {
                    action: config.path("/v1/invitations/confirm"),
                    token,
                    password_label: s.new_password_label,
                    confirm_label: s.confirm_label,
                    hint: (s.hint)(config.password_policy.min_chars),
                    min_chars: config.password_policy.min_chars,
                    max_chars: config.password_policy.max_chars,
                    submit: s.confirm_submit,
                });
                s.confirm_title
            }
            InvitePage::ConfirmFailed(error) => {
                page.error = Some(error_text(s, locale, error));
                page.link = Some(sign_in());
                s.confirm_title
            }
            InvitePage::Expired { inviter } => {
                page.paragraphs = vec![match inviter {
                    Some(inviter) => (s.expired_intro)(&inviter),
                    None => s.expired_intro_anonymous.to_owned(),
                }];
                s.expired_title
            }
            InvitePage::Used => {
                page.paragraphs = vec![s.used_intro.to_owned()];
                page.link = Some(sign_in());
                s.used_title
            }
            InvitePage::Revoked => {
                page.paragraphs = vec![s.revoked_intro.to_owned()];
                s.revoked_title
            }
            InvitePage::Unknown => {
                page.paragraphs = vec![s.unknown_intro.to_owned()];
                s.unknown_title
            }
        };
        if !title.is_empty() {
            page.shell.title = title.to_owned();
        }
        page
    }
}

fn role_name(s: &InviteStrings, role: Role) -> &'static str {
    match role {
        Role::Owner => s.role_owner,
        Role::Admin => s.role_admin,
        Role::Member => s.role_member,
    }
}

fn error_text(s: &InviteStrings, locale: Locale, error: InviteFormError) -> String {
    match error {
        InviteFormError::WrongPassword => s.wrong_password.to_owned(),
        InviteFormError::RateLimited => s.rate_limited.to_owned(),
        InviteFormError::Weak(weak) => password::weak_password(locale, &weak),
        InviteFormError::Mismatch { invited, used } => (s.mismatch)(&invited, &used),
        InviteFormError::AccountExists => s.account_exists.to_owned(),
        InviteFormError::AlreadyMember => s.already_member.to_owned(),
        InviteFormError::PasswordsDiffer => s.passwords_differ.to_owned(),
        InviteFormError::Invalid(field) => (s.invalid_field)(&field),
        InviteFormError::Conflict => password::password_sentences(locale).conflict.to_owned(),
        InviteFormError::RegistrationsExhausted => s.registrations_exhausted.to_owned(),
        InviteFormError::NewPasswordRequired => s.new_password_required.to_owned(),
        InviteFormError::NewPasswordReused => s.new_password_reused.to_owned(),
    }
}

/// The forms an open invitation offers, most likely first: with policy `exact` only the one
/// that can work for the invited address (sign in when it has an account, else register); with
/// `any` both, signing in first when the invited address has an account.
fn sections(
    s: &InviteStrings,
    config: &Config,
    invitation: &InvitationSummary,
    typed: Typed,
    ask_new_password: bool,
) -> Vec<FormSection> {
    let exact = invitation.policy == InvitationEmailPolicy::Exact;
    let action = config.path(&format!("/v1/invitations/{}/accept", invitation.token));
    let email = typed.email.unwrap_or_else(|| invitation.email.clone());
    let section = |register: bool| FormSection {
        register,
        title: if register {
            s.register_title
        } else {
            s.sign_in_title
        },
        action: action.clone(),
        email_label: s.email_label,
        email: email.clone(),
        email_fixed: exact,
        email_hint: if exact {
            s.exact_email_hint
        } else {
            s.any_email_hint
        },
        password_label: if register {
            s.new_password_label
        } else {
            s.password_label
        },
        first_name_label: s.first_name_label,
        first_name: typed.first_name.clone(),
        last_name_label: s.last_name_label,
        last_name: typed.last_name.clone(),
        confirm_label: s.confirm_label,
        hint: (s.hint)(config.password_policy.min_chars),
        min_chars: config.password_policy.min_chars,
        max_chars: config.password_policy.max_chars,
        submit: if register {
            s.register_submit
        } else {
            s.sign_in_submit
        },
        forgot_url: config.path("/password/forgot"),
        forgot_label: s.forgot,
        ask_new_password: ask_new_password && !register,
        new_password_label: s.new_password_label,
    };
    match (exact, invitation.account_exists) {
        (true, true) => vec![section(false)],
        (true, false) => vec![section(true)],
        (false, true) => vec![section(false), section(true)],
        (false, false) => vec![section(true), section(false)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(policy: InvitationEmailPolicy, account_exists: bool) -> InvitationSummary {
        InvitationSummary {
            token: "tok\"en".into(),
            tenant: "Comune <Forlì>".into(),
            inviter: "Olga Owner".into(),
            role: Role::Admin,
            email: "ada@example.org".into(),
            message: Some("<b>Benvenuta</b>\nA presto".into()),
            expires_at: chrono::DateTime::parse_from_rfc3339("2026-12-03T09:05:00Z")
                .unwrap()
                .to_utc(),
            account_exists,
            policy,
        }
    }

    fn body(page: InvitePage, locale: Locale) -> String {
        page.template(locale, &Config::new("https://usher.example/base/"))
            .render()
            .unwrap()
    }

    #[test]
    fn an_open_invitation_labels_every_input_and_escapes_what_others_wrote() {
        let html = body(
            InvitePage::Open {
                invitation: summary(InvitationEmailPolicy::Any, false),
                typed: Typed::default(),
                error: None,
            },
            Locale::It,
        );
        assert!(
            html.contains("<title>Unisciti a Comune &#60;Forlì&#62;</title>")
                || html.contains("<title>Unisciti a Comune &lt;Forlì&gt;</title>")
        );
        assert!(html.contains("3 dicembre 2026, 09:05 UTC"));
        assert!(!html.contains("<b>Benvenuta</b>"));
        assert!(
            html.contains("action=\"/base/v1/invitations/tok&#34;en/accept\"")
                || html.contains("action=\"/base/v1/invitations/tok&quot;en/accept\"")
        );
        for id in [
            "first_name",
            "last_name",
            "register-email",
            "register-password",
            "register-password-confirm",
            "signin-email",
            "signin-password",
        ] {
            assert!(
                html.contains(&format!("<label for=\"{id}\">")),
                "{id} has a label"
            );
            assert!(html.contains(&format!("id=\"{id}\"")), "{id} exists");
        }
        assert!(html.contains("autocomplete=\"new-password\""));
        assert!(html.contains("autocomplete=\"current-password\""));
        assert!(
            html.find("Sono nuovo") < html.find("Ho già un account"),
            "registering first for an address without an account"
        );
        assert!(!html.contains("<script"));
    }

    #[test]
    fn policy_exact_offers_only_the_form_that_can_work() {
        let html = body(
            InvitePage::Open {
                invitation: summary(InvitationEmailPolicy::Exact, true),
                typed: Typed::default(),
                error: Some(InviteFormError::Mismatch {
                    invited: "ada@example.org".into(),
                    used: "bob@example.org".into(),
                }),
            },
            Locale::En,
        );
        assert!(html.contains("I already have an account"));
        assert!(!html.contains("I am new here"));
        assert!(
            html.contains("You used bob@example.org, but this invitation is for ada@example.org.")
        );
        assert!(html.contains("href=\"/base/password/forgot\""));
    }

    #[test]
    fn every_dead_link_says_what_happened_in_every_locale() {
        for locale in Locale::ALL {
            let mut titles = std::collections::HashSet::new();
            for page in [
                InvitePage::Expired {
                    inviter: Some("Olga".into()),
                },
                InvitePage::Used,
                InvitePage::Revoked,
                InvitePage::Unknown,
            ] {
                let html = body(page, locale);
                assert!(!html.contains("<form"));
                titles.insert(
                    html[html.find("<h1>").unwrap()..html.find("</h1>").unwrap()].to_owned(),
                );
            }
            assert_eq!(titles.len(), 4);
        }
    }
}
