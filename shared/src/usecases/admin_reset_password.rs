//! `POST /v1/tenants/{tenant_id}/users/{user_id}/password-reset`: an admin resets a member's
//! password, by mailing them a link (24 hours) or by generating a temporary password.
//!
//! A generated password replaces the credentials of a person's one global account, so it is only
//! allowed for an account that belongs to this tenant alone: an admin of one tenant must not be
//! able to take over someone's access to another. The link goes to the account's own address,
//! never to the member's notification address, which an admin chooses.
//!
//! Round trips: the caller and the member (one batch); the member's account with its tenants, and
//! the login item with the two mail limits (per person, per tenant), side by side; one
//! transaction, which counts the mail against both limits.

use serde_json::json;

use super::accounts::{PasswordSetBy, read_account_with_tenants, set_password};
use super::audit::{AuditAction, AuditEvent};
use super::commit::{LostRace, Writes};
use super::throttle::count_one;
use super::{AuthError, Context, Found, InternalError, TenantCaller, password_links};
use crate::app::App;
use crate::domain::{AccountId, Password, TenantId};
use crate::keys;
use crate::mail::MailTemplate;
use crate::records::{
    AccountRecord, LoginRecord, MembershipRecord, ThrottleRecord, TokenKind, to_item,
};
use crate::table::{Condition, Op};
use crate::token::Credential;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminResetMode {
    Link,
    Generate,
}

pub enum AdminResetOutcome {
    LinkSent,
    /// Shown once to the admin; it must be changed at the next sign-in.
    Generated(Password),
}

#[derive(Debug, thiserror::Error)]
pub enum AdminResetError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("the caller may not reset passwords in this tenant")]
    Forbidden,
    #[error("change your own password with PUT /v1/me/password, which asks for the current one")]
    OwnPassword,
    #[error("only an owner may reset the password of an owner, and only an admin that of an admin")]
    RoleAbove,
    #[error("this member holds the permission {0}, which the caller does not")]
    PermissionAbove(String),
    #[error("no such user in this tenant")]
    NotFound,
    #[error("this person's account also belongs to other tenants: send a reset link instead")]
    AccountShared,
    #[error("too many password mails for this person or from this tenant; try again later")]
    RateLimited { retry_after_seconds: u64 },
    #[error("the account changed at the same time; try again")]
    Conflict,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// Whether the caller may reset `member`'s password: never their own (without the current
/// password, a stolen session must not become a permanent takeover), and within the same ceiling
/// as creating users: nobody acts on a role above their own, and a member holding users.manage
/// only on members whose permissions they hold too.
fn may_reset(caller: &TenantCaller, member: &MembershipRecord) -> Result<(), AdminResetError> {
    if caller.account_id() == Some(member.account_id) {
        return Err(AdminResetError::OwnPassword);
    }
    if member.role > caller.rights.role {
        return Err(AdminResetError::RoleAbove);
    }
    if !caller.rights.role.is_admin()
        && let Some(beyond) = member
            .permissions
            .iter()
            .find(|p| !caller.rights.permissions.contains(p.as_str()))
    {
        return Err(AdminResetError::PermissionAbove(beyond.to_string()));
    }
    Ok(())
}

/// A temporary password for `account`, and the writes that set it (against the login's and the
/// account's versions as read) and end every session of the account.
async fn generated_password(
    app: &App,
    tenant: TenantId,
    account: &AccountRecord,
    mut login: LoginRecord,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Password, [Op; 2]), AdminResetError> {
    let read_version = login.version;
    let password = Password::generate(app.random.as_ref());
    set_password(
        app,
        &mut login,
        &password,
        PasswordSetBy::AdminOf {
            tenant,
            temporary: true,
        },
        now,
    )
    .await?;
    login.version = read_version + 1;
    let updated_account = AccountRecord {
        session_epoch: account.session_epoch + 1,
        updated_at: now,
        version: account.version + 1,
        ..account.clone()
    };
    Ok((
        password,
        [
            Op::put_if(
                to_item(&keys::login(&account.email.normalized()), &login, None)
                    .context("building the login")?,
                Condition::VersionIs(read_version),
            ),
            Op::put_if(
                to_item(&keys::account(account.id), &updated_account, None)
                    .context("building the account")?,
                Condition::VersionIs(account.version),
            ),
        ],
    ))
}

/// Kept in one piece: the reads, the two mail limits and the one transaction, in the order the
/// round trips above are counted.
pub async fn admin_reset_password(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    user_id: AccountId,
    mode: AdminResetMode,
) -> Result<AdminResetOutcome, AdminResetError> {
    let now = app.clock.now();
    let (caller, member) = TenantCaller::load_with_member(app, token, tenant_id, user_id).await?;
    let member = member.map(|m| m.membership);
    if !caller.rights.can_manage_users() {
        return Err(AdminResetError::Forbidden);
    }
    let member = member.ok_or(AdminResetError::NotFound)?;
    may_reset(&caller, &member)?;

    let login_key = keys::login(&member.email.normalized());
    let account_limit_key = keys::admin_mail_throttle(tenant_id, user_id);
    let tenant_limit_key = keys::tenant_mail_throttle(tenant_id);
    let reads = [
        login_key.clone(),
        account_limit_key.clone(),
        tenant_limit_key.clone(),
    ];
    let (owner, found) = tokio::join!(
        read_account_with_tenants(app, user_id),
        app.table.batch_get(&reads),
    );
    let mut found = Found::new(found.context("reading the login item")?);
    let login: Option<LoginRecord> = found.next("reading the login item")?;
    let account_limit: Option<ThrottleRecord> = found.next("reading a limit")?;
    let tenant_limit: Option<ThrottleRecord> = found.next("reading a limit")?;
    // Each reset mails the person: no tenant may flood anyone's inbox. A person gets at most the
    // limit from each tenant they joined.
    let mut ops = Vec::new();
    for (key, current, limit) in [
        (
            &account_limit_key,
            account_limit,
            app.config.admin_mails_per_account,
        ),
        (
            &tenant_limit_key,
            tenant_limit,
            app.config.admin_mails_per_tenant,
        ),
    ] {
        ops.push(
            count_one(key, current.as_ref(), limit, now)
                .context("building a limit")?
                .map_err(|retry_after_seconds| AdminResetError::RateLimited {
                    retry_after_seconds,
                })?,
        );
    }
    let (Some((account, tenants)), Some(login)) =
        (owner?, login.filter(|l| l.account_id == user_id))
    else {
        return Err(AdminResetError::Conflict);
    };

    let (outcome, mail) = match mode {
        AdminResetMode::Link => {
            let (op, link) = password_links::issue(
                app,
                TokenKind::PasswordReset,
                &login,
                Some(tenant_id),
                app.config.admin_reset_link_ttl,
                now,
            )?;
            ops.push(op);
            let mail = MailTemplate::ResetPassword {
                tenant: Some(caller.tenant.name.clone()),
                first_name: account.first_name.clone(),
                link,
                valid_for: app.config.admin_reset_link_ttl,
            };
            (AdminResetOutcome::LinkSent, mail)
        }
        AdminResetMode::Generate => {
            if tenants.iter().any(|t| t.tenant_id != tenant_id) {
                return Err(AdminResetError::AccountShared);
            }
            let (password, writes) =
                generated_password(app, tenant_id, &account, login, now).await?;
            ops.extend(writes);
            let mail = MailTemplate::PasswordResetByAdmin {
                tenant: caller.tenant.name.clone(),
                first_name: account.first_name.clone(),
            };
            (AdminResetOutcome::Generated(password), mail)
        }
    };
    let mut writes = Writes::new(app, now);
    writes
        .ops(ops)
        .mail(&mail, &account.email, account.locale)?
        .audit(AuditEvent {
            tenant: tenant_id,
            action: AuditAction::PasswordResetByAdmin,
            actor: caller.actor,
            subject: Some(account.id),
            details: json!({"mode": match mode {
                AdminResetMode::Link => "link",
                AdminResetMode::Generate => "generate",
            }}),
        })?;
    writes
        .commit()
        .await
        .lost_race(AdminResetError::Conflict, "resetting the password")?;
    tracing::info!(subject_id = %account.id, ?mode, "password reset by an admin");
    Ok(outcome)
}
