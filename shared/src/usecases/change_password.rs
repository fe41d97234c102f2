//! `PUT /v1/me/password`: the current password and a new one; every other session ends.
//!
//! Round trips: the session and account (one batch); the login item and the email's attempt count
//! (keyed by the email the account read revealed); the attempt's reservation, so a stolen session
//! cannot guess the current password faster than sign-in can; one transaction. The current
//! session survives: it is rewritten into the new session epoch, which ends all others at once
//! without listing them.

use super::commit::{LostRace, Writes};
use super::throttle::{PasswordAttempts, refused_attempts_become};
use super::{AccountCaller, AuthError, Context, InternalError};
use crate::app::App;
use crate::domain::{PasswordAttempt, WeakPassword};
use crate::keys;
use crate::records::{AccountRecord, LoginRecord, SessionRecord, from_optional, to_item};
use crate::table::{Condition, Op};
use crate::token::SessionToken;
use secrecy::{ExposeSecret, SecretString};

pub struct ChangePassword {
    pub current_password: PasswordAttempt,
    /// Where the attempt came from: the current password is guessed like a sign-in's.
    pub client: Option<std::net::IpAddr>,
    /// What the person typed, before the policy.
    pub new_password: SecretString,
}

#[derive(Debug, thiserror::Error)]
pub enum ChangePasswordError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("the current password is wrong")]
    WrongCurrentPassword,
    #[error(transparent)]
    Weak(#[from] WeakPassword),
    #[error("the new password must differ from the current one")]
    Reused,
    #[error("too many attempts for this account")]
    RateLimited { retry_after_seconds: u64 },
    #[error("the account changed at the same time; try again")]
    Conflict,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

refused_attempts_become!(ChangePasswordError);

/// Kept in one piece: the attempt is reserved before the current password is verified, and the
/// new one is written against the versions read; split, that order would be easier to break.
pub async fn change_password(
    app: &App,
    token: &SessionToken,
    command: ChangePassword,
) -> Result<(), ChangePasswordError> {
    let now = app.clock.now();
    let caller = AccountCaller::load(app, token, true).await?;
    let account = caller.account;
    // The new password is checked first: a weak one costs no attempt and no hash.
    let password = app.config.password_policy.check(
        command.new_password.expose_secret(),
        &account.password_context(),
    )?;
    let login_key = keys::login(&account.email.normalized());
    let attempts = PasswordAttempts::new(&account.email.normalized(), command.client);
    let mut reads = vec![login_key.clone()];
    reads.extend(attempts.keys());
    let mut found = app
        .table
        .batch_get(&reads)
        .await
        .context("reading the login item")?;
    let counts = PasswordAttempts::counts_from(&mut found)?;
    let login: LoginRecord = from_optional(found.pop().flatten())
        .context("reading the login item")?
        .ok_or(AuthError::Unauthenticated)?;
    let client_failures = attempts.reserve(app, counts, now).await?;

    let usable = login
        .password_hash
        .as_ref()
        .filter(|_| login.temporary_until.is_none_or(|until| until > now));
    if !app
        .hasher
        .verify(&command.current_password, usable)
        .await
        .context("verifying a password")?
    {
        attempts.count_failure(app, client_failures, now).await?;
        return Err(ChangePasswordError::WrongCurrentPassword);
    }
    // A temporary password "changed" to itself would become permanent. Both sides are NFC.
    if password.expose() == command.current_password.expose() {
        return Err(ChangePasswordError::Reused);
    }
    let hash = app
        .hasher
        .hash(&password, app.random.as_ref())
        .await
        .context("hashing a password")?;

    let epoch = account.session_epoch + 1;
    let new_login = LoginRecord {
        password_hash: Some(hash),
        password_changed_at: Some(now),
        temporary_until: None,
        version: login.version + 1,
        ..login.clone()
    };
    let new_account = AccountRecord {
        session_epoch: epoch,
        updated_at: now,
        version: account.version + 1,
        ..account.clone()
    };
    let expires_at = now + app.config.session_ttl;
    let session = SessionRecord {
        epoch,
        expires_at,
        password_change_only: false,
        last_used_at: Some(now),
        ..caller.session
    };
    let mut writes = Writes::new(app, now);
    writes.ops([
        Op::put_if(
            to_item(&login_key, &new_login, None).context("building the login")?,
            Condition::VersionIs(login.version),
        ),
        Op::put_if(
            to_item(&keys::account(account.id), &new_account, None)
                .context("building the account")?,
            Condition::VersionIs(account.version),
        ),
    ]);
    writes.ops(
        session
            .put_ops(token, Condition::Exists)
            .context("building the session")?,
    );
    // The right current password: the attempts so far were the person's own.
    writes.ops(attempts.cleared());
    writes
        .commit()
        .await
        .lost_race(ChangePasswordError::Conflict, "storing the new password")?;
    tracing::info!(account_id = %account.id, "password changed; other sessions ended");
    Ok(())
}
