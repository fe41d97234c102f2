//! `POST /v1/sessions`: email and password in, a session out.
//!
//! Every attempt is reserved before its password is verified (see [`super::throttle`]); a success
//! clears the email's counts in the same transaction that stores the session, a failure counts
//! against the client address.
//!
//! Round trips: one batch read (login item + limits), the reservation, then on success the
//! account query (its id is only known from the login item) and the session transaction; on
//! failure the client address's count.

use chrono::{DateTime, Utc};

use super::accounts::read_account_with_tenants;
use super::commit::Writes;
use super::sessions::{self, ClientInfo, SessionKind};
use super::throttle::{PasswordAttempts, refused_attempts_become};
use super::{Context, InternalError};
use crate::app::App;
use crate::domain::{EmailAddress, PasswordAttempt, TenantId};
use crate::keys;
use crate::records::{
    AccountRecord, AccountTenantRecord, LoginRecord, MembershipStatus, from_optional,
};
use crate::token::SessionToken;

pub struct SignIn {
    pub email: EmailAddress,
    pub password: PasswordAttempt,
    pub tenant_id: Option<TenantId>,
    /// Where the attempt came from, for the limits and the person's list of sessions.
    pub origin: ClientInfo,
}

pub struct SignedIn {
    pub token: SessionToken,
    pub expires_at: DateTime<Utc>,
    pub account: AccountRecord,
    pub memberships: Vec<AccountTenantRecord>,
    pub password_change_required: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("the email or password is wrong")]
    InvalidCredentials,
    #[error("too many failed sign-ins for this email")]
    RateLimited { retry_after_seconds: u64 },
    #[error("the account has no active access to this tenant")]
    NoTenantAccess,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

refused_attempts_become!(SignInError);

/// Kept in one piece: the reservation, the verification and the session, in the order that makes
/// parallel guesses count before any is verified.
pub async fn sign_in(app: &App, command: SignIn) -> Result<SignedIn, SignInError> {
    let now = app.clock.now();
    let email = command.email.normalized();
    let attempts = PasswordAttempts::new(&email, command.origin.address);
    let mut reads = vec![keys::login(&email)];
    reads.extend(attempts.keys());
    let mut found = app
        .table
        .batch_get(&reads)
        .await
        .context("reading the login item")?;
    let counts = PasswordAttempts::counts_from(&mut found)?;
    let login: Option<LoginRecord> =
        from_optional(found.pop().flatten()).context("reading the login item")?;

    let client_failures = attempts.reserve(app, counts, now).await?;

    // An unknown email, an account without a password and an expired temporary password all
    // verify against the dummy hash, so each costs the same as a wrong password.
    let usable_hash = login
        .as_ref()
        .filter(|l| l.temporary_until.is_none_or(|until| until > now))
        .and_then(|l| l.password_hash.as_ref());
    let matched = app
        .hasher
        .verify(&command.password, usable_hash)
        .await
        .context("verifying a password")?;
    // A password an admin of one tenant knows is, for any other tenant, a wrong password: the
    // same answer, the same count.
    let opens_asked = |l: &LoginRecord| command.tenant_id.is_none_or(|t| l.opens(t));
    let Some(login) = login.filter(|l| matched && opens_asked(l)) else {
        attempts.count_failure(app, client_failures, now).await?;
        return Err(SignInError::InvalidCredentials);
    };

    let (account, mut memberships) = read_account_with_tenants(app, login.account_id)
        .await?
        .ok_or(SignInError::InvalidCredentials)?;
    // Nor does such a session learn which other tenants the person is in.
    memberships.retain(|m| login.opens(m.tenant_id));
    // A person archived (or without access) everywhere has nothing to sign in to.
    if !memberships
        .iter()
        .any(|m| m.access && m.status == MembershipStatus::Active)
    {
        return Err(SignInError::NoTenantAccess);
    }
    if let Some(tenant) = command.tenant_id {
        let allowed = memberships
            .iter()
            .any(|m| m.tenant_id == tenant && m.access && m.status == MembershipStatus::Active);
        if !allowed {
            return Err(SignInError::NoTenantAccess);
        }
    }

    let password_change_required = login.temporary_until.is_some();
    let kind = SessionKind {
        password_change_only: password_change_required,
        confined_to: login.confined_to,
    };
    let (token, session, session_ops) = sessions::open(app, &account, kind, &command.origin, now)?;
    let expires_at = session.expires_at;
    let mut writes = Writes::new(app, now);
    writes.ops(session_ops).ops(attempts.cleared());
    writes.commit().await.context("storing the session")?;
    tracing::info!(account_id = %account.id, password_change_required, "signed in");
    Ok(SignedIn {
        token,
        expires_at,
        account,
        memberships,
        password_change_required,
    })
}
