//! `POST /v1/password/reset`: a password link and a new password.
//!
//! The link is claimed with a write conditioned on the version read, in the same transaction as
//! the new password, so of any number of parallel submissions exactly one wins. The account's
//! session epoch moves on, which ends every session at once; no session is opened (the person
//! signs in with the new password, which proves they know it). The person is told by mail, and
//! every tenant of the account records it.
//!
//! Round trips: the token; the account with its tenants and the login item, side by side; one
//! transaction.

use crate::records::Actor;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::audit::{AuditAction, AuditEvent};
use super::commit::Writes;
use super::password_links::{self, LinkStatus};
use super::throttle::PasswordAttempts;
use super::{Context, InternalError};
use crate::app::App;
use crate::domain::{Locale, PasswordAttempt, WeakPassword};
use crate::keys;
use crate::mail::MailTemplate;
use crate::records::{AccountRecord, LoginRecord, TokenKind, TokenRecord, to_item};
use crate::table::{Condition, Op, TransactError};

pub struct ResetPassword {
    /// The token as it came (URL path or form field); anything not shaped like one is unknown.
    pub token: String,
    /// What the person typed, before the policy.
    pub new_password: SecretString,
    /// Where the request came from: its sign-in count for the account is cleared too.
    pub client: Option<std::net::IpAddr>,
}

/// What the success page needs: the account's language.
pub struct PasswordWasReset {
    pub locale: Locale,
}

#[derive(Debug, thiserror::Error)]
pub enum ResetPasswordError {
    #[error("this link is not valid")]
    UnknownLink,
    #[error("this link has expired")]
    Expired { locale: Locale },
    #[error("the password was changed after this link was sent")]
    Superseded { locale: Locale },
    #[error("this link was already used")]
    Used { locale: Locale },
    #[error("{weak}")]
    Weak { weak: WeakPassword, locale: Locale },
    #[error("the new password must differ from the current one")]
    Reused { locale: Locale },
    #[error("the account changed at the same time; try again")]
    Conflict,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl ResetPasswordError {
    /// The locale to answer in, when the link revealed whose it is.
    pub fn locale(&self) -> Option<Locale> {
        match self {
            Self::Expired { locale }
            | Self::Superseded { locale }
            | Self::Used { locale }
            | Self::Weak { locale, .. }
            | Self::Reused { locale } => Some(*locale),
            Self::UnknownLink | Self::Conflict | Self::Internal(_) => None,
        }
    }
}

/// The hash of the new password, once it passes the policy and differs from the current one (a
/// change is a change: a temporary password is not set again).
async fn new_password_hash(
    app: &App,
    owner: &password_links::LinkOwner,
    new_password: &SecretString,
    locale: Locale,
) -> Result<crate::domain::PasswordHashString, ResetPasswordError> {
    let password = app
        .config
        .password_policy
        .check(
            new_password.expose_secret(),
            &owner.account.password_context(),
        )
        .map_err(|weak| ResetPasswordError::Weak { weak, locale })?;
    let current = owner.login.password_hash.as_ref();
    if current.is_some()
        && app
            .hasher
            .verify(&PasswordAttempt::new(password.expose()), current)
            .await
            .context("verifying a password")?
    {
        return Err(ResetPasswordError::Reused { locale });
    }
    Ok(app
        .hasher
        .hash(&password, app.random.as_ref())
        .await
        .context("hashing a password")?)
}

/// Kept in one piece (the new hash is `new_password_hash`): the link's checks and the one
/// transaction that claims it, in the order that makes the claim safe.
pub async fn reset_password(
    app: &App,
    command: ResetPassword,
) -> Result<PasswordWasReset, ResetPasswordError> {
    let now = app.clock.now();
    let loaded = password_links::load(app, &command.token).await?;
    let Some(owner) = loaded.found else {
        return Err(ResetPasswordError::UnknownLink);
    };
    let locale = owner.account.locale;
    match loaded.status {
        LinkStatus::Usable => {}
        LinkStatus::Unknown => return Err(ResetPasswordError::UnknownLink),
        LinkStatus::Expired => return Err(ResetPasswordError::Expired { locale }),
        LinkStatus::Superseded => return Err(ResetPasswordError::Superseded { locale }),
        LinkStatus::Used => return Err(ResetPasswordError::Used { locale }),
    }
    let account = &owner.account;
    let hash = new_password_hash(app, &owner, &command.new_password, locale).await?;

    let token = &owner.token;
    let used = TokenRecord {
        used_at: Some(now),
        version: token.version + 1,
        ..token.clone()
    };
    let login = LoginRecord {
        password_hash: Some(hash),
        password_changed_at: Some(now),
        temporary_until: None,
        // The link came to the login address: whatever an admin knew, the person chose this.
        confined_to: None,
        version: owner.login.version + 1,
        ..owner.login.clone()
    };
    let updated_account = AccountRecord {
        session_epoch: account.session_epoch + 1,
        updated_at: now,
        version: account.version + 1,
        ..account.clone()
    };
    let mail = MailTemplate::PasswordChanged {
        first_name: account.first_name.clone(),
        sign_in_url: app.config.sign_in_url(),
        first: owner.login.password_hash.is_none(),
    };
    let login_key = keys::login(&account.email.normalized());
    let mut writes = Writes::new(app, now);
    writes.ops([
        // The claim: its key tells its failure apart from the others.
        Op::put_if(
            to_item(
                &owner.key,
                &used,
                Some(used.expires_at + password_links::KEPT_AFTER_EXPIRY),
            )
            .context("building the token")?,
            Condition::VersionIs(token.version),
        ),
        Op::put_if(
            to_item(&login_key, &login, None).context("building the login")?,
            Condition::VersionIs(owner.login.version),
        ),
        Op::put_if(
            to_item(&keys::account(account.id), &updated_account, None)
                .context("building the account")?,
            Condition::VersionIs(account.version),
        ),
    ]);
    writes.mail(&mail, &account.email, account.locale)?;
    // Whoever reads the mailbox may sign in at once, from here, whatever attempts came before.
    writes.ops(PasswordAttempts::new(&account.email.normalized(), command.client).cleared());
    let action = match token.kind {
        TokenKind::SetPassword => AuditAction::PasswordSet,
        _ => AuditAction::PasswordReset,
    };
    for tenant in &owner.memberships {
        writes.audit(AuditEvent {
            tenant: tenant.tenant_id,
            action,
            actor: Actor::Account(account.id),
            subject: Some(account.id),
            details: json!({"via": "link", "issued_by_tenant": token.tenant_id}),
        })?;
    }
    match writes.commit().await {
        Ok(()) => {}
        Err(e) if e.failed_on(&owner.key) => {
            return Err(ResetPasswordError::Used { locale });
        }
        Err(TransactError::ConditionFailed { .. } | TransactError::Conflict) => {
            // Lost a race: if the link was spent meanwhile, say so; otherwise try again.
            let again = password_links::load(app, &command.token).await?;
            return Err(match again.status {
                LinkStatus::Used => ResetPasswordError::Used { locale },
                _ => ResetPasswordError::Conflict,
            });
        }
        Err(other) => {
            return Err(other)
                .context("storing the new password")
                .map_err(Into::into);
        }
    }
    tracing::info!(account_id = %account.id, kind = ?token.kind, "password set through a link; sessions ended");
    Ok(PasswordWasReset { locale })
}
