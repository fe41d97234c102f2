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

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::super::accounts::{
    NewAccount, NewMembership, account_ops, membership_ops, new_account, new_membership,
    set_password,
};
use super::super::audit::AuditEvent;
use super::super::commit::{LostRace, Writes};
use super::super::jobs::{Announcement, Job};
use super::super::throttle::{AttemptRefused, Counted, Limit, PasswordAttempts, transact_counting};
use super::super::{AccountCaller, AuthError, Context, InternalError};
use crate::app::App;
use crate::domain::{
    EmailAddress, Locale, PasswordAttempt, PermissionSet, PersonName, PersonalContext, WeakPassword,
};
use crate::keys;
use crate::mail::MailTemplate;
use crate::records::{
    AccountRecord, CreatedVia, InvitationRecord, InvitationStatus, LoginRecord, MembershipRecord,
    PendingRegistration, SessionRecord, TenantRecord, ThrottleRecord, TokenKind, TokenRecord,
    from_optional, to_item,
};
use crate::settings::InvitationEmailPolicy;
use crate::table::{Condition, Item, Key, Op};
use crate::token::{SecretToken, SessionToken};

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
    #[error("this account is already a member of the tenant")]
    AlreadyMember,
    #[error(transparent)]
    Weak(#[from] WeakPassword),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("the invitation changed at the same time; try again")]
    Conflict,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl From<AttemptRefused> for AcceptError {
    fn from(e: AttemptRefused) -> Self {
        match e {
            AttemptRefused::RateLimited {
                retry_after_seconds,
            } => AcceptError::RateLimited {
                retry_after_seconds,
            },
            AttemptRefused::Internal(e) => AcceptError::Internal(e),
        }
    }
}

/// How the invitee proves who they are.
pub enum AcceptAs {
    /// Signs in to an account that exists.
    Existing {
        email: EmailAddress,
        password: PasswordAttempt,
        client: Option<IpAddr>,
    },
    /// Registers a new account: with the invited address, or (where the tenant allows any
    /// address) another one, which must be confirmed first.
    New {
        first_name: PersonName,
        last_name: PersonName,
        password: SecretString,
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

/// Reads the token behind `raw` (of `kind`) together with `more` keys.
async fn read_token(
    app: &App,
    raw: &str,
    kind: TokenKind,
    more: &[Key],
) -> Result<Option<(Key, TokenRecord, Vec<Option<Item>>)>, InternalError> {
    let Some(secret) = SecretToken::parse(raw) else {
        return Ok(None);
    };
    let key = keys::token(&secret.hash());
    let mut keys = vec![key.clone()];
    keys.extend_from_slice(more);
    let mut items = app
        .table
        .batch_get(&keys)
        .await
        .context("reading the link")?;
    let extra = items.split_off(1);
    let token: Option<TokenRecord> =
        from_optional(items.pop().flatten()).context("reading the link")?;
    // A password link, a session or anything else is not an invitation link.
    Ok(token
        .filter(|t| t.kind == kind && t.tenant_id.is_some() && t.invitation_id.is_some())
        .map(|t| (key, t, extra)))
}

/// Reads what `token` opens (with `more` keys) and judges the link.
async fn open(
    app: &App,
    token_key: Key,
    token: TokenRecord,
    more: &[Key],
) -> Result<Option<(OpenedLink, Vec<Option<Item>>)>, InternalError> {
    let (Some(tenant_id), Some(invitation_id)) = (token.tenant_id, token.invitation_id) else {
        return Ok(None);
    };
    let mut keys = vec![
        keys::invitation(tenant_id, invitation_id),
        keys::tenant(tenant_id),
    ];
    if let Some(inviter) = token.invited_by {
        keys.push(keys::membership(tenant_id, inviter));
    }
    let fixed = keys.len();
    keys.extend_from_slice(more);
    let mut items = app
        .table
        .batch_get(&keys)
        .await
        .context("reading the invitation")?;
    let extra = items.split_off(fixed);
    let mut items = items.into_iter();
    let invitation: Option<InvitationRecord> =
        from_optional(items.next().flatten()).context("reading the invitation")?;
    let tenant: Option<TenantRecord> =
        from_optional(items.next().flatten()).context("reading the tenant")?;
    let inviter: Option<MembershipRecord> =
        from_optional(items.next().flatten()).context("reading the inviter")?;
    let (Some(invitation), Some(tenant)) = (invitation, tenant) else {
        return Ok(None);
    };
    let state = judge(app.clock.now(), &token_key, &token, &invitation);
    Ok(Some((
        OpenedLink {
            token_key,
            token,
            invitation,
            tenant,
            inviter,
            state,
        },
        extra,
    )))
}

fn judge(
    now: DateTime<Utc>,
    token_key: &Key,
    token: &TokenRecord,
    invitation: &InvitationRecord,
) -> LinkState {
    let is_current = token.kind != TokenKind::Invitation
        || token_key.pk.strip_prefix("TOKEN#") == Some(invitation.token_hash.as_str());
    if token.used_at.is_some() || invitation.status == InvitationStatus::Accepted {
        LinkState::Used
    } else if invitation.status == InvitationStatus::Revoked {
        LinkState::Revoked
    } else if !is_current {
        LinkState::Superseded
    } else if invitation.expires_at <= now || token.expires_at <= now {
        LinkState::Expired
    } else {
        LinkState::Usable
    }
}

fn refuse_unless_usable(state: LinkState) -> Result<(), AcceptError> {
    match state {
        LinkState::Usable => Ok(()),
        LinkState::Expired | LinkState::Superseded => Err(AcceptError::Expired),
        LinkState::Used => Err(AcceptError::Used),
        LinkState::Revoked => Err(AcceptError::Revoked),
        LinkState::Unknown => Err(AcceptError::Invalid),
    }
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
            client,
        } => accept_signing_in(app, raw, email, password, client).await,
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

async fn accept_signing_in(
    app: &App,
    raw: &str,
    email: EmailAddress,
    password: PasswordAttempt,
    client: Option<IpAddr>,
) -> Result<Acceptance, AcceptError> {
    let now = app.clock.now();
    let normalized = email.normalized();
    let attempts = PasswordAttempts::new(&normalized, client);
    let login_key = keys::login(&normalized);
    let mut more = vec![login_key.clone()];
    more.extend(attempts.keys());
    let (token_key, token, mut extra) = read_token(app, raw, TokenKind::Invitation, &more)
        .await?
        .ok_or(AcceptError::Invalid)?;
    let counts = PasswordAttempts::counts_from(&mut extra)?;
    let login: Option<LoginRecord> =
        from_optional(extra.pop().flatten()).context("reading the login item")?;
    // What the token alone says is answered before any password is tried, or any attempt
    // counted against the person.
    if token.used_at.is_some() {
        return Err(AcceptError::Used);
    }
    if token.expires_at <= now {
        return Err(AcceptError::Expired);
    }
    let account_key = login.as_ref().map(|l| keys::account(l.account_id));
    let (reserved, opened) = tokio::join!(
        attempts.reserve(app, counts, now),
        open(app, token_key, token, account_key.as_slice()),
    );
    let (link, mut extra) = opened?.ok_or(AcceptError::Invalid)?;
    refuse_unless_usable(link.state)?;
    check_policy(&link, &email)?;
    let client_failures = reserved?;
    // As in sign-in: no account, no password or an expired temporary one all verify against the
    // dummy hash, at the cost of a wrong password.
    let usable_hash = login
        .as_ref()
        .filter(|l| l.temporary_until.is_none_or(|until| until > now))
        .and_then(|l| l.password_hash.as_ref());
    let matched = app
        .hasher
        .verify(&password, usable_hash)
        .await
        .context("verifying a password")?;
    let account: Option<AccountRecord> =
        from_optional(extra.pop().flatten()).context("reading the account")?;
    let (Some(login), Some(account)) = (login.filter(|_| matched), account) else {
        attempts.count_failure(app, client_failures, now).await?;
        return Err(AcceptError::InvalidCredentials);
    };
    let joining = Joining {
        account,
        new_login: None,
        session: SessionChoice::New {
            password_change_only: login.temporary_until.is_some(),
        },
        extra: attempts.cleared().to_vec(),
        how: "existing",
    };
    join(app, &link, joining).await.map(boxed)
}

fn boxed(joined: Joined) -> Acceptance {
    Acceptance::Joined(Box::new(joined))
}

struct Registration {
    first_name: PersonName,
    last_name: PersonName,
    password: SecretString,
    email: Option<EmailAddress>,
    locale: Option<Locale>,
}

async fn accept_registering(
    app: &App,
    raw: &str,
    registration: Registration,
) -> Result<Acceptance, AcceptError> {
    let now = app.clock.now();
    let (token_key, token, _) = read_token(app, raw, TokenKind::Invitation, &[])
        .await?
        .ok_or(AcceptError::Invalid)?;
    let invited = token.email.clone().ok_or(AcceptError::Invalid)?;
    let email = registration
        .email
        .clone()
        .unwrap_or_else(|| invited.clone());
    let other_address = !email.same_as(&invited);
    let tenant_id = token.tenant_id.ok_or(AcceptError::Invalid)?;
    let quota_key = keys::tenant_invitation_throttle(tenant_id);
    let mut more = vec![keys::login(&email.normalized())];
    if other_address {
        more.push(quota_key.clone());
    }
    let (link, extra) = open(app, token_key, token, &more)
        .await?
        .ok_or(AcceptError::Invalid)?;
    refuse_unless_usable(link.state)?;
    check_policy(&link, &email)?;
    let mut extra = extra.into_iter();
    if extra.next().flatten().is_some() {
        return Err(AcceptError::AccountExists);
    }
    let context = PersonalContext::new(
        email.as_str(),
        registration.first_name.as_str(),
        registration.last_name.as_str(),
        &[link.tenant.name.as_str()],
    );
    let password = app
        .config
        .password_policy
        .check(registration.password.expose_secret(), &context)?;
    let locale = registration
        .locale
        .or(link.invitation.locale)
        .unwrap_or(link.tenant.settings.default_locale);
    if other_address {
        let quota: Option<ThrottleRecord> =
            from_optional(extra.next().flatten()).context("reading the quota")?;
        return send_confirmation(app, &link, registration, email, locale, quota, password).await;
    }
    let (account, mut login) = new_account(
        app,
        NewAccount {
            email: &email,
            first_name: registration.first_name.as_str(),
            last_name: registration.last_name.as_str(),
            phone: None,
            locale,
        },
        now,
    );
    set_password(app, &mut login, &password, false, now).await?;
    let joining = Joining {
        account,
        new_login: Some(login),
        session: SessionChoice::New {
            password_change_only: false,
        },
        extra: Vec::new(),
        how: "new",
    };
    join(app, &link, joining).await.map(boxed)
}

/// Registering with an address other than the invited one: nobody has shown that address is
/// theirs, so nothing is created yet. What they typed waits in a confirmation link mailed to
/// that address (the password only as its hash); opening it creates the account and the
/// membership. Each such mail counts in the tenant's invitation quota, so a link holder cannot
/// use Usher to mail strangers at will.
async fn send_confirmation(
    app: &App,
    link: &OpenedLink,
    registration: Registration,
    email: EmailAddress,
    locale: Locale,
    quota: Option<ThrottleRecord>,
    password: crate::domain::Password,
) -> Result<Acceptance, AcceptError> {
    let now = app.clock.now();
    let tenant = &link.tenant;
    let quota_key = keys::tenant_invitation_throttle(tenant.id);
    let password_hash = app
        .hasher
        .hash(&password, app.random.as_ref())
        .await
        .context("hashing a password")?;
    let valid_for = app.config.registration_confirmation_ttl;
    let expires_at = (now + valid_for).min(link.invitation.expires_at);
    let secret = SecretToken::generate(app.random.as_ref());
    let record = TokenRecord {
        kind: TokenKind::RegistrationConfirmation,
        account_id: None,
        tenant_id: Some(tenant.id),
        issued_at: now,
        expires_at,
        used_at: None,
        email: Some(email.clone()),
        login_version: None,
        invitation_id: Some(link.invitation.id),
        invited_by: Some(link.invitation.inviter_id),
        registration: Some(PendingRegistration {
            first_name: registration.first_name.as_str().to_owned(),
            last_name: registration.last_name.as_str().to_owned(),
            locale,
            password_hash,
        }),
        version: 1,
    };
    let mail = MailTemplate::ConfirmRegistration {
        tenant: tenant.name.clone(),
        first_name: registration.first_name.as_str().to_owned(),
        link: app
            .config
            .link(&format!("/invite/confirm/{}", secret.expose())),
        valid_for: expires_at - now,
    };
    let mut writes = Writes::new(app, now);
    writes
        .ops([
            Op::put_if(
                to_item(
                    &keys::token(&secret.hash()),
                    &record,
                    Some(expires_at + super::super::password_links::KEPT_AFTER_EXPIRY),
                )
                .context("building the confirmation link")?,
                Condition::NotExists,
            ),
            // Only for an invitation still as read: pending, with this link.
            Op::check(
                keys::invitation(tenant.id, link.invitation.id),
                Condition::VersionIs(link.invitation.version),
            ),
        ])
        .mail(&mail, &email, locale)?
        .audit(AuditEvent {
            tenant: tenant.id,
            action: "invitation.confirmation_sent",
            actor: None,
            subject: None,
            details: json!({"invitation_id": link.invitation.id, "email": email}),
        })?;
    let counts = [(quota_key, Limit::invitations_per_tenant(&app.config))];
    match transact_counting(writes, &counts, vec![quota]).await {
        Ok(Counted::Committed) => {}
        Ok(Counted::LimitReached(retry_after_seconds)) => {
            return Err(AcceptError::RateLimited {
                retry_after_seconds,
            });
        }
        Err(other) => Err(other).lost_race(AcceptError::Conflict, "filing the confirmation")?,
    }
    tracing::info!(invitation_id = %link.invitation.id, "registration waits for its address");
    Ok(Acceptance::ConfirmationSent { email, locale })
}

async fn accept_with_session(
    app: &App,
    raw: &str,
    session: SessionToken,
) -> Result<Acceptance, AcceptError> {
    let (token_key, token, extra) = read_token(
        app,
        raw,
        TokenKind::Invitation,
        &AccountCaller::keys(&session),
    )
    .await?
    .ok_or(AcceptError::Invalid)?;
    let mut extra = extra.into_iter();
    let caller = AccountCaller::resolve(
        &session,
        extra.next().flatten(),
        extra.next().flatten(),
        app.clock.now(),
        false,
    )?;
    let (link, _) = open(app, token_key, token, &[])
        .await?
        .ok_or(AcceptError::Invalid)?;
    refuse_unless_usable(link.state)?;
    check_policy(&link, &caller.account.email)?;
    let joining = Joining {
        account: caller.account,
        new_login: None,
        session: SessionChoice::Existing {
            token: session,
            expires_at: caller.session.expires_at,
        },
        extra: Vec::new(),
        how: "session",
    };
    join(app, &link, joining).await.map(boxed)
}

/// What the confirmation page shows.
pub struct ConfirmationPreview {
    pub state: LinkState,
    pub tenant_name: Option<String>,
    pub email: Option<EmailAddress>,
    pub locale: Option<Locale>,
}

/// `GET /invite/confirm/{token}`: the confirmation link, without using it (a mail scanner that
/// opens links must not register anyone).
pub async fn inspect_confirmation(
    app: &App,
    raw: &str,
) -> Result<ConfirmationPreview, InternalError> {
    let unknown = ConfirmationPreview {
        state: LinkState::Unknown,
        tenant_name: None,
        email: None,
        locale: None,
    };
    let Some((token_key, token, _)) =
        read_token(app, raw, TokenKind::RegistrationConfirmation, &[]).await?
    else {
        return Ok(unknown);
    };
    let locale = token.registration.as_ref().map(|r| r.locale);
    let email = token.email.clone();
    let Some((link, _)) = open(app, token_key, token, &[]).await? else {
        return Ok(unknown);
    };
    Ok(ConfirmationPreview {
        state: link.state,
        tenant_name: Some(link.tenant.name),
        email,
        locale,
    })
}

/// `POST /v1/invitations/confirm`: the address is proven; the account and the membership are
/// created as the registration asked.
pub async fn confirm_registration(app: &App, raw: &str) -> Result<Joined, AcceptError> {
    let now = app.clock.now();
    let (token_key, token, _) = read_token(app, raw, TokenKind::RegistrationConfirmation, &[])
        .await?
        .ok_or(AcceptError::Invalid)?;
    let (Some(email), Some(registration)) = (token.email.clone(), token.registration.clone())
    else {
        return Err(AcceptError::Invalid);
    };
    let (link, extra) = open(app, token_key, token, &[keys::login(&email.normalized())])
        .await?
        .ok_or(AcceptError::Invalid)?;
    refuse_unless_usable(link.state)?;
    // The tenant may have changed its policy since.
    check_policy(&link, &email)?;
    if extra.into_iter().next().flatten().is_some() {
        return Err(AcceptError::AccountExists);
    }
    let (account, mut login) = new_account(
        app,
        NewAccount {
            email: &email,
            first_name: &registration.first_name,
            last_name: &registration.last_name,
            phone: None,
            locale: registration.locale,
        },
        now,
    );
    login.password_hash = Some(registration.password_hash);
    login.password_changed_at = Some(now);
    let joining = Joining {
        account,
        new_login: Some(login),
        session: SessionChoice::New {
            password_change_only: false,
        },
        extra: Vec::new(),
        how: "confirmed",
    };
    join(app, &link, joining).await
}

enum SessionChoice {
    New {
        password_change_only: bool,
    },
    Existing {
        token: SessionToken,
        expires_at: DateTime<Utc>,
    },
}

/// The account that joins, and what else its transaction carries.
struct Joining {
    account: AccountRecord,
    /// The login item of an account created now; `None` for an account that exists.
    new_login: Option<LoginRecord>,
    session: SessionChoice,
    extra: Vec<Op>,
    /// How the person proved who they are, for the audit log.
    how: &'static str,
}

/// The one transaction that makes an invitee a member: the link claimed, the invitation
/// accepted and its pending marker removed, the account (when new), the membership, the
/// session, the mails, the announcement job and the audit event.
async fn join(app: &App, link: &OpenedLink, joining: Joining) -> Result<Joined, AcceptError> {
    let now = app.clock.now();
    let tenant = &link.tenant;
    let invitation = &link.invitation;
    let account = joining.account;
    // A permission retired from the catalogue since the invitation was sent is not granted.
    let permissions = PermissionSet::new(
        invitation
            .permissions
            .iter()
            .filter(|p| tenant.knows_permission(p.as_str()))
            .cloned()
            .collect(),
    );
    let membership = new_membership(
        &account,
        NewMembership {
            tenant_id: tenant.id,
            role: invitation.role,
            permissions: permissions.clone(),
            notification_email: None,
            created_via: CreatedVia::Invitation,
            created_by: Some(invitation.inviter_id),
        },
        now,
    );
    let invitation_key = keys::invitation(tenant.id, invitation.id);
    let membership_key = keys::membership(tenant.id, account.id);
    let login_key = keys::login(&account.email.normalized());
    let mut writes = Writes::new(app, now);
    writes.ops([
        Op::put_if(
            to_item(
                &link.token_key,
                &TokenRecord {
                    used_at: Some(now),
                    version: link.token.version + 1,
                    ..link.token.clone()
                },
                Some(
                    link.token.expires_at.max(now)
                        + super::super::password_links::KEPT_AFTER_EXPIRY,
                ),
            )
            .context("building the link")?,
            Condition::VersionIs(link.token.version),
        ),
        Op::put_if(
            to_item(
                &invitation_key,
                &InvitationRecord {
                    status: InvitationStatus::Accepted,
                    accepted_at: Some(now),
                    accepted_by: Some(account.id),
                    updated_at: now,
                    version: invitation.version + 1,
                    ..invitation.clone()
                },
                None,
            )
            .context("building the invitation")?,
            Condition::VersionIs(invitation.version),
        ),
        Op::delete_if(
            keys::pending_invitation(tenant.id, &invitation.email.normalized()),
            Condition::AttributeEquals("invitation_id".into(), invitation.id.to_string().into()),
        ),
    ]);
    let is_new = joining.new_login.is_some();
    match &joining.new_login {
        Some(login) => writes.ops(account_ops(&account, login).context("building the account")?),
        // The login item still names this account (no re-registration in between).
        None => writes.op(Op::check(
            login_key.clone(),
            Condition::AttributeEquals("account_id".into(), account.id.to_string().into()),
        )),
    };
    writes.ops(membership_ops(&membership, &tenant.name).context("building the membership")?);
    if permissions.iter().next().is_some() {
        writes.op(Op::check(
            keys::tenant(tenant.id),
            Condition::VersionIs(tenant.version),
        ));
    }
    let (session, session_expires_at) = match joining.session {
        SessionChoice::New {
            password_change_only,
        } => {
            let token = SessionToken::generate(account.id, app.random.as_ref());
            let ttl = if password_change_only {
                app.config.temporary_session_ttl
            } else {
                app.config.session_ttl
            };
            let record = SessionRecord {
                account_id: account.id,
                epoch: account.session_epoch,
                created_at: now,
                expires_at: now + ttl,
                password_change_only,
            };
            writes.op(Op::put_if(
                record.to_item(&token).context("building the session")?,
                Condition::NotExists,
            ));
            (token, record.expires_at)
        }
        SessionChoice::Existing { token, expires_at } => (token, expires_at),
    };
    let continue_url = app.config.after_joining_url(&tenant.settings);
    let member_name = format!("{} {}", account.first_name, account.last_name);
    writes.mail(
        &MailTemplate::Welcome {
            tenant: tenant.name.clone(),
            first_name: account.first_name.clone(),
            url: continue_url.clone(),
        },
        &account.email,
        account.locale,
    )?;
    if let Some(inviter) = link.inviter.as_ref().filter(|m| m.is_usable()) {
        writes.mail(
            &MailTemplate::InvitationAccepted {
                tenant: tenant.name.clone(),
                first_name: inviter.first_name.clone(),
                member_name: member_name.clone(),
                member_email: account.email.clone(),
            },
            inviter.mail_to(),
            inviter.locale,
        )?;
    }
    if tenant.settings.announce_new_members {
        writes.job(Job::AnnounceMember(Announcement {
            tenant_id: tenant.id,
            tenant_name: tenant.name.clone(),
            member_id: account.id,
            member_name: member_name.clone(),
            after: None,
        }))?;
    }
    writes.ops(joining.extra).audit(AuditEvent {
        tenant: tenant.id,
        action: "invitation.accepted",
        actor: Some(account.id),
        subject: Some(account.id),
        details: json!({
            "invitation_id": invitation.id, "invited_by": invitation.inviter_id,
            "invited_email": invitation.email, "email": account.email,
            "role": invitation.role, "permissions": permissions.names(),
            "sent_at": invitation.created_at, "new_account": is_new, "proved_by": joining.how,
        }),
    })?;
    match writes.commit().await {
        Ok(()) => {}
        Err(e) if e.failed_on(&link.token_key) => return Err(AcceptError::Used),
        Err(e) if e.failed_on(&invitation_key) => return Err(why_changed(app, link).await),
        Err(e) if e.failed_on(&membership_key) => return Err(AcceptError::AlreadyMember),
        Err(e) if is_new && e.failed_on(&login_key) => return Err(AcceptError::AccountExists),
        other => other.lost_race(AcceptError::Conflict, "joining the tenant")?,
    }
    tracing::info!(invitation_id = %invitation.id, account_id = %account.id, new_account = is_new, "invitation accepted");
    let locale = account.locale;
    Ok(Joined {
        account,
        membership,
        tenant_name: tenant.name.clone(),
        session,
        session_expires_at,
        continue_url,
        locale,
    })
}

/// Why the invitation was no longer as read: read again and say what it is now.
async fn why_changed(app: &App, link: &OpenedLink) -> AcceptError {
    let key = keys::invitation(link.tenant.id, link.invitation.id);
    let now: Result<Option<InvitationRecord>, InternalError> = match app.table.get(&key).await {
        Ok(item) => from_optional(item).context("reading the invitation"),
        Err(e) => Err(e).context("reading the invitation"),
    };
    match now {
        Ok(Some(invitation)) => {
            match judge(app.clock.now(), &link.token_key, &link.token, &invitation) {
                LinkState::Used => AcceptError::Used,
                LinkState::Revoked => AcceptError::Revoked,
                LinkState::Expired | LinkState::Superseded => AcceptError::Expired,
                LinkState::Usable | LinkState::Unknown => AcceptError::Conflict,
            }
        }
        Ok(None) => AcceptError::Invalid,
        Err(e) => AcceptError::Internal(e),
    }
}
