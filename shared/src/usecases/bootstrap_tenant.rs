//! A tenant and its first owner: `POST /v1/tenants` with an operator key, and the operator's
//! `usher tenant create`, which calls the same use case.

use super::accounts::{
    NewAccount, NewMembership, PasswordSetBy, account_ops, membership_ops, new_account,
    new_membership, set_password,
};
use super::audit::{AuditAction, AuditEvent};
use super::commit::{LostRace, Writes};
use super::invitations::send::invitation_mail;
use super::invitations::{issue_link, pending_marker};
use super::password_links;
use super::{Context, InternalError};
use crate::app::App;
use crate::domain::{
    AccountId, EmailAddress, InvitationId, Locale, Password, PermissionEntry, PermissionSet,
    PersonName, Role, TenantId, TenantName,
};
use crate::keys;
use crate::records::Actor;
use crate::records::{
    AccountRecord, CreatedVia, InvitationRecord, LoginRecord, NewInvitation, TenantIndexRecord,
    TenantRecord, TokenKind, from_optional, to_item,
};
use crate::settings::TenantSettings;
use crate::table::{Condition, Op};

pub struct BootstrapTenant {
    pub name: TenantName,
    pub owner_email: EmailAddress,
    pub owner_first_name: PersonName,
    pub owner_last_name: PersonName,
    /// How a new owner gets a first password (an owner with an account keeps theirs).
    pub first_password: FirstPassword,
    pub options: TenantOptions,
}

/// How the owner of a new account gets a first password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstPassword {
    /// A temporary password, returned once to the operator, changed at the first sign-in.
    Generate,
    /// A set-password link returned to the operator (the command line prints it).
    ReturnLink,
    /// A set-password link mailed to the owner's address (the API): nobody else sees it.
    MailLink,
}

/// What else a new tenant starts with.
pub struct TenantOptions {
    pub owner_locale: Locale,
    pub settings: TenantSettings,
    pub permission_catalog: Vec<PermissionEntry>,
    /// Who creates it, for the audit log.
    pub actor: Actor,
}

impl Default for TenantOptions {
    fn default() -> Self {
        Self {
            owner_locale: Locale::En,
            settings: TenantSettings::default(),
            permission_catalog: Vec::new(),
            actor: Actor::System,
        }
    }
}

pub struct BootstrappedTenant {
    pub tenant: TenantRecord,
    pub tenant_id: TenantId,
    pub owner_account_id: AccountId,
    pub generated_password: Option<Password>,
    pub set_password_url: Option<String>,
    /// The owner already had an account: nothing of it changed, and it becomes owner when the
    /// person accepts the invitation mailed to its address.
    pub existing_account: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("the owner's email was registered at the same time; run the command again")]
    Conflict,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// Kept in one piece: one operator command, read then written in one transaction; its steps
/// share the tenant, the account and the link.
pub async fn bootstrap_tenant(
    app: &App,
    command: BootstrapTenant,
) -> Result<BootstrappedTenant, BootstrapError> {
    let now = app.clock.now();
    let options = command.options;
    let (tenant, mut ops) = new_tenant(
        app,
        &command.name,
        options.settings,
        options.permission_catalog,
        now,
    )?;
    let login_key = keys::login(&command.owner_email.normalized());
    let existing: Option<LoginRecord> = from_optional(
        app.table
            .get(&login_key)
            .await
            .context("reading the login item")?,
    )
    .context("reading the login")?;
    let mut writes = Writes::new(app, now);
    let mut generated_password = None;
    let mut set_password_url = None;
    let account = match &existing {
        Some(login) => {
            let item = app
                .table
                .get(&keys::account(login.account_id))
                .await
                .context("reading the account")?;
            from_optional::<AccountRecord>(item)
                .context("reading the account")?
                .ok_or(BootstrapError::Conflict)?
        }
        None => {
            let (account, mut login) = new_account(
                app,
                NewAccount {
                    email: &command.owner_email,
                    first_name: command.owner_first_name.as_str(),
                    last_name: command.owner_last_name.as_str(),
                    phone: None,
                    locale: options.owner_locale,
                },
                now,
            );
            match command.first_password {
                FirstPassword::Generate => {
                    let password = Password::generate(app.random.as_ref());
                    set_password(app, &mut login, &password, PasswordSetBy::Operator, now).await?;
                    generated_password = Some(password);
                }
                FirstPassword::ReturnLink => {
                    let (op, link) = password_links::issue(
                        app,
                        TokenKind::SetPassword,
                        &login,
                        Some(tenant.id),
                        app.config.set_password_link_ttl,
                        now,
                    )?;
                    ops.push(op);
                    set_password_url = Some(link);
                }
                FirstPassword::MailLink => password_links::mail_choose_password(
                    &mut writes,
                    &login,
                    &tenant,
                    password_links::Recipient {
                        first_name: &account.first_name,
                        email: &account.email,
                        locale: account.locale,
                    },
                )?,
            }
            ops.extend(account_ops(&account, &login).context("building the account")?);
            account
        }
    };
    let mut membership = new_membership(
        &account,
        NewMembership {
            tenant_id: tenant.id,
            role: Role::Owner,
            permissions: PermissionSet::default(),
            notification_email: None,
            created_via: CreatedVia::Bootstrap,
            created_by: None,
        },
        now,
    );
    if existing.is_some() {
        // An account that exists is a person other tenants may know: they become owner when they
        // accept the invitation mailed to their own address, like anyone joining.
        membership.access = false;
        membership.needs_consent = true;
        invite_owner(&mut writes, &tenant, &account)?;
    }
    ops.extend(membership_ops(&membership, &tenant.name).context("building the membership")?);
    writes.ops(ops).audit(AuditEvent {
        tenant: tenant.id,
        action: AuditAction::TenantCreated,
        actor: options.actor,
        subject: Some(account.id),
        details: serde_json::json!({"owner_existing_account": existing.is_some()}),
    })?;
    writes
        .commit()
        .await
        .lost_race(BootstrapError::Conflict, "creating the tenant")?;
    tracing::info!(tenant_id = %tenant.id, owner_account_id = %account.id, "tenant created");
    Ok(BootstrappedTenant {
        tenant_id: tenant.id,
        tenant,
        owner_account_id: account.id,
        generated_password,
        set_password_url,
        existing_account: existing.is_some(),
    })
}

/// A new tenant named `name` and its entry in the directory: the record and the writes that
/// store both, each only if it is not there yet.
pub(crate) fn new_tenant(
    app: &App,
    name: &TenantName,
    settings: TenantSettings,
    permission_catalog: Vec<PermissionEntry>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(TenantRecord, Vec<Op>), InternalError> {
    let tenant = TenantRecord {
        id: TenantId::from_ulid(app.random.ulid(now)),
        name: name.as_str().to_owned(),
        slug: name.slug(),
        settings,
        permission_catalog,
        retiring_permissions: Vec::new(),
        suspended: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let index = TenantIndexRecord {
        tenant_id: tenant.id,
        name: tenant.name.clone(),
        suspended: false,
        created_at: now,
    };
    let ops = vec![
        Op::put_if(
            to_item(&keys::tenant(tenant.id), &tenant, None).context("building the tenant")?,
            Condition::NotExists,
        ),
        Op::put_if(
            to_item(
                &keys::tenant_index_entry(&tenant.name, tenant.id),
                &index,
                None,
            )
            .context("building the tenant's entry")?,
            Condition::NotExists,
        ),
    ];
    Ok((tenant, ops))
}

/// The owner invitation of a tenant created for an account that exists: its link, its pending
/// marker and its mail, to the account's own address.
fn invite_owner(
    writes: &mut Writes<'_>,
    tenant: &TenantRecord,
    account: &AccountRecord,
) -> Result<(), InternalError> {
    let app = writes.app();
    let now = writes.now();
    let id = InvitationId::from_ulid(app.random.ulid(now));
    let expires_at = now + chrono::Duration::hours(i64::from(tenant.settings.invitation_ttl_hours));
    let link = issue_link(
        app,
        tenant.id,
        id,
        Some(account.id),
        &account.email,
        expires_at,
    )?;
    let invitation = InvitationRecord::pending(
        NewInvitation {
            id,
            tenant_id: tenant.id,
            email: account.email.clone(),
            role: Role::Owner,
            permissions: PermissionSet::default(),
            message: None,
            locale: account.locale,
            inviter_id: Some(account.id),
            inviter_name: tenant.name.clone(),
            token_hash: link.hash.clone(),
            expires_at,
            by_operator: true,
            by_directory: false,
            team_ids: Vec::new(),
        },
        now,
    );
    let pending_key = keys::pending_invitation(tenant.id, &account.email.normalized());
    writes
        .op(Op::put_if(
            to_item(&keys::invitation(tenant.id, id), &invitation, None)
                .context("building the invitation")?,
            Condition::NotExists,
        ))
        .op(pending_marker(
            &pending_key,
            id,
            expires_at,
            Condition::NotExists,
        )?)
        .op(link.op)
        .mail(
            &invitation_mail(&tenant.name, &invitation, link.url, false),
            &account.email,
            account.locale,
        )?;
    Ok(())
}
