//! The operator's `usher tenant create`: a tenant and its first owner.

use super::audit::AuditEvent;
use super::create_user::{membership_ops, set_password_link};
use super::{Context, InternalError};
use crate::app::App;
use crate::domain::{
    AccountId, EmailAddress, Locale, Password, PermissionSet, PersonName, Role, TenantId,
    TenantName,
};
use crate::keys;
use crate::records::{
    AccountRecord, CreatedVia, LoginRecord, MembershipRecord, MembershipStatus, TenantRecord,
    from_optional, to_item,
};
use crate::settings::TenantSettings;
use crate::table::{Condition, Op, TransactError};

pub struct BootstrapTenant {
    pub name: TenantName,
    pub owner_email: EmailAddress,
    pub owner_first_name: PersonName,
    pub owner_last_name: PersonName,
    pub generate_password: bool,
}

pub struct BootstrappedTenant {
    pub tenant_id: TenantId,
    pub owner_account_id: AccountId,
    pub generated_password: Option<Password>,
    pub set_password_url: Option<String>,
    /// The owner already had an account: it became owner, its password untouched.
    pub existing_account: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("the owner's email was registered at the same time; run the command again")]
    Conflict,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

pub async fn bootstrap_tenant(
    app: &App,
    command: BootstrapTenant,
) -> Result<BootstrappedTenant, BootstrapError> {
    let now = app.clock.now();
    let random = app.random.as_ref();
    let tenant = TenantRecord {
        id: TenantId::from_ulid(random.ulid(now)),
        name: command.name.as_str().to_owned(),
        slug: command.name.slug(),
        settings: TenantSettings::default(),
        permission_catalog: Vec::new(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let login_key = keys::login(&command.owner_email.normalized());
    let existing: Option<LoginRecord> = from_optional(
        app.table
            .get(&login_key)
            .await
            .context("reading the login item")?,
    )
    .context("reading the login")?;
    let mut ops = vec![Op::put_if(
        to_item(&keys::tenant(tenant.id), &tenant, None).context("building the tenant")?,
        Condition::NotExists,
    )];
    let mut generated_password = None;
    let mut set_password_url = None;
    let account = match &existing {
        Some(login) => from_optional::<AccountRecord>(
            app.table
                .get(&keys::account(login.account_id))
                .await
                .context("reading the account")?,
        )
        .context("reading the account")?
        .ok_or(BootstrapError::Conflict)?,
        None => {
            let account = AccountRecord {
                id: AccountId::from_ulid(random.ulid(now)),
                email: command.owner_email.clone(),
                first_name: command.owner_first_name.as_str().to_owned(),
                last_name: command.owner_last_name.as_str().to_owned(),
                phone: None,
                locale: Locale::En,
                session_epoch: 0,
                created_at: now,
                updated_at: now,
                version: 1,
            };
            let mut login = LoginRecord {
                account_id: account.id,
                email: account.email.clone(),
                password_hash: None,
                password_changed_at: None,
                temporary_until: None,
                version: 1,
            };
            if command.generate_password {
                let password = Password::generate(random);
                login.password_hash = Some(
                    app.hasher
                        .hash(&password, random)
                        .await
                        .context("hashing a password")?,
                );
                login.password_changed_at = Some(now);
                login.temporary_until = Some(now + app.config.temporary_password_ttl);
                generated_password = Some(password);
            } else {
                let (op, link) = set_password_link(app, account.id, Some(tenant.id), now)?;
                ops.push(op);
                set_password_url = Some(link);
            }
            ops.push(Op::put_if(
                to_item(&keys::account(account.id), &account, None)
                    .context("building the account")?,
                Condition::NotExists,
            ));
            ops.push(Op::put_if(
                to_item(&login_key, &login, None).context("building the login")?,
                Condition::NotExists,
            ));
            account
        }
    };
    let membership = MembershipRecord {
        tenant_id: tenant.id,
        account_id: account.id,
        email: account.email.clone(),
        first_name: account.first_name.clone(),
        last_name: account.last_name.clone(),
        phone: account.phone.clone(),
        locale: account.locale,
        notification_email: None,
        role: Role::Owner,
        permissions: PermissionSet::default(),
        status: MembershipStatus::Active,
        access: true,
        auto_tickets: true,
        created_via: CreatedVia::Bootstrap,
        created_by: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    ops.extend(membership_ops(&membership, &tenant.name).context("building the membership")?);
    ops.extend(
        AuditEvent {
            tenant: tenant.id,
            action: "tenant.created",
            actor: None,
            subject: Some(account.id),
            details: serde_json::json!({"owner_existing_account": existing.is_some()}),
        }
        .ops(now, random)
        .context("building the audit event")?,
    );
    match app.table.transact(ops).await {
        Ok(()) => {}
        Err(TransactError::ConditionFailed { .. } | TransactError::Conflict) => {
            return Err(BootstrapError::Conflict);
        }
        Err(other) => {
            return Err(other)
                .context("creating the tenant")
                .map_err(Into::into);
        }
    }
    tracing::info!(tenant_id = %tenant.id, owner_account_id = %account.id, "tenant created");
    Ok(BootstrappedTenant {
        tenant_id: tenant.id,
        owner_account_id: account.id,
        generated_password,
        set_password_url,
        existing_account: existing.is_some(),
    })
}
