//! The invitee's side: `GET /v1/invitations/{token}` (what the link is), `POST
//! /v1/invitations/{token}/accept` (join by signing in, by registering, or with a session), and
//! the confirmation of an address someone registered with instead of the invited one.
//!
//! Round trips:
//! - reading a link: the token, then the invitation, the tenant and the invited email's login
//!   item together (2);
//! - registering, or accepting with a session: the token (with the session and its account),
//!   then the invitation with the tenant, the inviter and the login item, then one transaction
//!   (3): the invitation's key is known only from the token, which is found by its hash alone;
//! - signing in: the token with the login item and the password limits, then the reservation of
//!   the attempt (the same limits sign-in spends) while the invitation, tenant, inviter and
//!   account are read, then one transaction: four calls in three sequential steps. The
//!   reservation must precede the password check, as in sign-in, so that parallel guesses are
//!   counted before any is verified.
//!
//! Every way in claims the link with conditional writes on its token and on the invitation's
//! version in the transaction that creates the membership: of two accepts, or an accept and a
//! revoke or resend, one wins and the other changes nothing.

mod confirm;
mod join;
mod link;
mod ways;

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::super::accounts::{
    NewAccount, NewMembership, PasswordSetBy, account_ops, membership_ops, new_account,
    new_membership, set_password,
};
use super::super::audit::AuditEvent;
use super::super::commit::{LostRace, Writes};
use super::super::jobs::{Announcement, Job};
use super::super::throttle::{PasswordAttempts, refused_attempts_become};
use super::super::{AccountCaller, AuthError, Context, InternalError};
use crate::app::App;
use crate::domain::{
    EmailAddress, Locale, PasswordAttempt, PersonName, PersonalContext, WeakPassword,
};
use crate::keys;
use crate::mail::MailTemplate;
use crate::records::{
    AccountRecord, CreatedVia, InvitationRecord, InvitationStatus, LoginRecord, MembershipRecord,
    PendingConfirmationRecord, PendingRegistration, TenantRecord, TokenKind, TokenRecord,
    from_optional, to_item,
};
use crate::settings::InvitationEmailPolicy;
use crate::table::{Condition, Item, Key, Op};
use crate::token::{SecretToken, SessionToken};

use confirm::{Asked, send_confirmation};
pub use confirm::{ConfirmationPreview, confirm_registration, inspect_confirmation};
use join::{Joining, JoiningLogin, SessionChoice, join};
use link::{open, read_token, refuse_unless_usable, why_changed};
use ways::{Registration, accept_registering, accept_signing_in, accept_with_session};

/// What an invitation link is now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    Usable,
    Expired,
    /// A resend replaced this link with a newer one.
    Superseded,
    Used,
    Revoked,
    Unknown,
}

/// A link with everything it opens.
struct OpenedLink {
    token_key: Key,
    token: TokenRecord,
    invitation: InvitationRecord,
    tenant: TenantRecord,
    inviter: Option<MembershipRecord>,
    state: LinkState,
}

/// What the page and `GET /v1/invitations/{token}` show of a link.
pub struct InvitationPreview {
    pub state: LinkState,
    /// Absent for an unknown link.
    pub details: Option<PreviewDetails>,
}

pub struct PreviewDetails {
    pub tenant_id: crate::domain::TenantId,
    pub tenant_name: String,
    pub email: EmailAddress,
    pub role: crate::domain::Role,
    pub inviter_name: String,
    pub message: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub email_policy: InvitationEmailPolicy,
    pub account_exists: bool,
    /// The invitation's language, else the tenant's default; `None` lets the reader's browser
    /// choose.
    pub locale: Option<Locale>,
}

#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    #[error("this is not an invitation link")]
    Invalid,
    #[error("the invitation expired, or a newer link for it was sent")]
    Expired,
    #[error("the invitation was already accepted")]
    Used,
    #[error("the invitation was withdrawn")]
    Revoked,
    #[error("this invitation is for {invited}, not for {used}")]
    EmailMismatch {
        invited: EmailAddress,
        used: EmailAddress,
    },
    #[error("the email or password is wrong")]
    InvalidCredentials,
    #[error("too many attempts")]
    RateLimited { retry_after_seconds: u64 },
    #[error("an account with this email exists: sign in to accept instead")]
    AccountExists,
    #[error("registering the invited address takes a password")]
    PasswordRequired,
    #[error(
        "the owner of another address chooses its password when they confirm it: leave the password out"
    )]
    PasswordNotYours,
    #[error("this invitation asked to register other addresses too often")]
    TooManyRegistrations,
    #[error("this account is already a member of the tenant")]
    AlreadyMember,
    /// The password signed in with is one an admin of another tenant set or saw: joining here
    /// takes a new one of the person's own (`new_password`), or that admin could open this
    /// tenant too.
    #[error(
        "the password was set by an administrator of another organisation: choose a new one of your own (new_password) to join"
    )]
    NewPasswordRequired,
    /// The new password is the one the other tenant's admin knows.
    #[error("the new password must differ from the one an administrator set")]
    NewPasswordReused,
    #[error("the new password: {0}")]
    WeakNewPassword(WeakPassword),
    #[error(transparent)]
    Weak(#[from] WeakPassword),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("the invitation changed at the same time; try again")]
    Conflict,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

refused_attempts_become!(AcceptError);

/// How the invitee proves who they are.
pub enum AcceptAs {
    /// Signs in to an account that exists.
    Existing {
        email: EmailAddress,
        password: PasswordAttempt,
        /// Needed when the password is confined to another tenant (see
        /// [`AcceptError::NewPasswordRequired`]); otherwise left alone.
        new_password: Option<SecretString>,
        client: Option<IpAddr>,
    },
    /// Registers a new account: with the invited address (and a password), or (where the
    /// tenant allows any address) another one (without: its owner chooses theirs when they
    /// confirm it).
    New {
        first_name: PersonName,
        last_name: PersonName,
        password: Option<SecretString>,
        email: Option<EmailAddress>,
        locale: Option<Locale>,
    },
    /// The session of a signed-in account.
    Session(SessionToken),
}

pub enum Acceptance {
    Joined(Box<Joined>),
    /// The registration waits for the address to be confirmed through the link mailed to it.
    ConfirmationSent {
        email: EmailAddress,
        locale: Locale,
    },
}

pub struct Joined {
    pub account: AccountRecord,
    pub membership: MembershipRecord,
    pub tenant_name: String,
    pub session: SessionToken,
    pub session_expires_at: DateTime<Utc>,
    /// Where the person goes next: the tenant's app, else Usher's sign-in.
    pub continue_url: String,
    pub locale: Locale,
}

/// `GET /v1/invitations/{token}` and `GET /invite/{token}`: what the link is, without using it.
pub async fn inspect(app: &App, raw: &str) -> Result<InvitationPreview, InternalError> {
    let unknown = InvitationPreview {
        state: LinkState::Unknown,
        details: None,
    };
    let Some((token_key, token, _)) = read_token(app, raw, TokenKind::Invitation, &[]).await?
    else {
        return Ok(unknown);
    };
    let login = token.email.as_ref().map(|e| keys::login(&e.normalized()));
    let Some((link, mut extra)) = open(app, token_key, token, login.as_slice()).await? else {
        return Ok(unknown);
    };
    let account_exists = extra.pop().flatten().is_some();
    let invitation = link.invitation;
    Ok(InvitationPreview {
        state: link.state,
        details: Some(PreviewDetails {
            tenant_id: link.tenant.id,
            tenant_name: link.tenant.name,
            email: invitation.email,
            role: invitation.role,
            inviter_name: invitation.inviter_name,
            message: invitation.message,
            expires_at: invitation.expires_at,
            email_policy: link.tenant.settings.invitation_email_policy,
            account_exists,
            locale: invitation
                .locale
                .or(Some(link.tenant.settings.default_locale)),
        }),
    })
}

/// `POST /v1/invitations/{token}/accept`.
pub async fn accept(app: &App, raw: &str, who: AcceptAs) -> Result<Acceptance, AcceptError> {
    match who {
        AcceptAs::Existing {
            email,
            password,
            new_password,
            client,
        } => accept_signing_in(app, raw, email, password, new_password, client).await,
        AcceptAs::New {
            first_name,
            last_name,
            password,
            email,
            locale,
        } => {
            let registration = Registration {
                first_name,
                last_name,
                password,
                email,
                locale,
            };
            accept_registering(app, raw, registration).await
        }
        AcceptAs::Session(session) => accept_with_session(app, raw, session).await,
    }
}

fn check_policy(link: &OpenedLink, used: &EmailAddress) -> Result<(), AcceptError> {
    let invited = &link.invitation.email;
    if link.tenant.settings.invitation_email_policy == InvitationEmailPolicy::Exact
        && !invited.same_as(used)
    {
        return Err(AcceptError::EmailMismatch {
            invited: invited.clone(),
            used: used.clone(),
        });
    }
    Ok(())
}

fn boxed(joined: Joined) -> Acceptance {
    Acceptance::Joined(Box::new(joined))
}
