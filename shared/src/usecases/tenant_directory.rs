//! The operator's tenants, from its back office with an operator key: create one, list them,
//! suspend and resume one.
//!
//! The list is its own partition (`TENANTS`), sorted by lower-case name: a name prefix is one
//! query, a page is one query. Suspending writes the tenant and its entry in one transaction,
//! against the tenant's version.

use super::audit::{AuditAction, AuditEvent};
use super::bootstrap_tenant::{
    BootstrapError, BootstrapTenant, BootstrappedTenant, FirstPassword, TenantOptions,
    bootstrap_tenant,
};
use super::commit::{LostRace, Writes};
use super::listing::{Cursor, Listing, Order, filtered_page};
use super::operator_keys::OperatorCaller;
use super::{AuthError, Context, InternalError};
use crate::app::App;
use crate::domain::{EmailAddress, Locale, PermissionEntry, PersonName, TenantId, TenantName};
use crate::keys;
use crate::records::{
    OperatorScope, Suspension, TenantIndexRecord, TenantRecord, from_item, from_optional, to_item,
};
use crate::settings::{SettingsError, TenantSettings};
use crate::table::{Condition, Op};
use crate::token::KeySecret;

#[derive(Debug, thiserror::Error)]
pub enum TenantDirectoryError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Invalid(#[from] SettingsError),
    #[error("no such tenant")]
    NotFound,
    #[error("the tenant is suspended already")]
    AlreadySuspended,
    #[error("the tenant is not suspended")]
    NotSuspended,
    #[error("a reason of 1 to 500 characters is needed")]
    InvalidReason,
    #[error(
        "inbound addresses are claimed by the tenant's admins, with PATCH /v1/tenants/{{id}}/settings"
    )]
    InboundAtCreation,
    #[error("the cursor is not one this listing gave")]
    BadCursor,
    #[error("q is a name prefix of at most 100 characters")]
    QueryTooLong,
    #[error("the owner's email was registered at the same time, or the tenant changed; try again")]
    Conflict,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl From<BootstrapError> for TenantDirectoryError {
    fn from(e: BootstrapError) -> Self {
        match e {
            BootstrapError::Conflict => TenantDirectoryError::Conflict,
            BootstrapError::Internal(e) => TenantDirectoryError::Internal(e),
        }
    }
}

/// `POST /v1/tenants`.
pub struct CreateTenant {
    pub name: TenantName,
    pub owner_email: EmailAddress,
    pub owner_first_name: PersonName,
    pub owner_last_name: PersonName,
    pub owner_locale: Option<Locale>,
    /// The settings to start with (the defaults where `None`), and the permission catalogue.
    pub settings: Option<TenantSettings>,
    pub permission_catalog: Vec<PermissionEntry>,
}

/// A tenant made through the API. Its owner, when new, was mailed a set-password link; when
/// the email had an account, an invitation to accept: never a silent join, and nothing that
/// opens the account comes back to the operator.
pub async fn create(
    app: &App,
    secret: &KeySecret,
    command: CreateTenant,
) -> Result<BootstrappedTenant, TenantDirectoryError> {
    let caller = OperatorCaller::load(app, secret, OperatorScope::TenantsCreate).await?;
    crate::settings::validate_catalog(&command.permission_catalog)?;
    let settings = command
        .settings
        .unwrap_or_default()
        .validated(&command.permission_catalog)?;
    // Inbound addresses are claimed by the tenant's admins, where the claim is checked.
    if !settings.inbound.addresses.is_empty() {
        return Err(TenantDirectoryError::InboundAtCreation);
    }
    if !settings.default_teams.is_empty() {
        return Err(SettingsError::TeamsAtCreation.into());
    }
    let locale = command.owner_locale.unwrap_or(settings.default_locale);
    let created = bootstrap_tenant(
        app,
        BootstrapTenant {
            name: command.name,
            owner_email: command.owner_email,
            owner_first_name: command.owner_first_name,
            owner_last_name: command.owner_last_name,
            first_password: FirstPassword::MailLink,
            options: TenantOptions {
                owner_locale: locale,
                settings,
                permission_catalog: command.permission_catalog,
                actor: caller.actor(),
            },
        },
    )
    .await?;
    Ok(created)
}

/// `GET /v1/tenants`: which of them, from where.
pub struct ListTenants {
    /// Tenants whose name starts with this (any letter case).
    pub name_prefix: Option<String>,
    /// Only suspended (`Some(true)`) or only active (`Some(false)`) ones.
    pub suspended: Option<bool>,
    pub cursor: Option<String>,
    pub limit: usize,
}

pub struct TenantPage {
    pub items: Vec<TenantIndexRecord>,
    pub next_cursor: Option<Cursor>,
}

pub async fn list(
    app: &App,
    secret: &KeySecret,
    query: ListTenants,
) -> Result<TenantPage, TenantDirectoryError> {
    OperatorCaller::load(app, secret, OperatorScope::TenantsRead).await?;
    if query
        .name_prefix
        .as_ref()
        .is_some_and(|q| q.chars().count() > 100)
    {
        return Err(TenantDirectoryError::QueryTooLong);
    }
    let prefix = format!(
        "{}{}",
        keys::TENANT_INDEX_PREFIX,
        query.name_prefix.unwrap_or_default().to_lowercase()
    );
    let cursor = match query.cursor {
        Some(raw) => Some(Cursor::parse(&raw, &prefix).ok_or(TenantDirectoryError::BadCursor)?),
        None => None,
    };
    let (items, next_cursor) = filtered_page(
        app,
        Listing {
            pk: keys::TENANT_INDEX_PK,
            prefix: &prefix,
            order: Order::Ascending,
            cursor,
            limit: query.limit,
        },
        |item| {
            let entry: TenantIndexRecord = from_item(item).context("reading a tenant's entry")?;
            Ok(query
                .suspended
                .is_none_or(|s| s == entry.suspended)
                .then_some(entry))
        },
    )
    .await?;
    Ok(TenantPage { items, next_cursor })
}

/// What the operator does to a tenant.
#[derive(Clone, Debug)]
pub enum SuspensionChange {
    /// `POST /v1/tenants/{id}/suspend`, with the reason its owners will read, if one is given.
    Suspend { reason: Option<String> },
    /// `POST /v1/tenants/{id}/resume`.
    Resume,
}

/// Suspends or resumes a tenant.
pub async fn set_suspended(
    app: &App,
    secret: &KeySecret,
    tenant_id: TenantId,
    change: SuspensionChange,
) -> Result<TenantRecord, TenantDirectoryError> {
    let caller = OperatorCaller::load(app, secret, OperatorScope::TenantsSuspend).await?;
    let now = app.clock.now();
    let before: TenantRecord = from_optional(
        app.table
            .get(&keys::tenant(tenant_id))
            .await
            .context("reading the tenant")?,
    )
    .context("reading the tenant")?
    .ok_or(TenantDirectoryError::NotFound)?;
    let suspension = match (change, &before.suspended) {
        (SuspensionChange::Suspend { .. }, Some(_)) => {
            return Err(TenantDirectoryError::AlreadySuspended);
        }
        (SuspensionChange::Resume, None) => return Err(TenantDirectoryError::NotSuspended),
        (SuspensionChange::Suspend { reason }, None) => {
            let reason = reason.map(|r| r.trim().to_owned());
            // A reason given is one its owners can read: not blank, not a wall of text.
            if reason
                .as_ref()
                .is_some_and(|r| r.is_empty() || r.chars().count() > 500)
            {
                return Err(TenantDirectoryError::InvalidReason);
            }
            Some(Suspension {
                reason,
                at: now,
                by: caller.actor(),
            })
        }
        (SuspensionChange::Resume, Some(_)) => None,
    };
    let after = TenantRecord {
        suspended: suspension.clone(),
        updated_at: now,
        version: before.version + 1,
        ..before.clone()
    };
    let entry = TenantIndexRecord {
        tenant_id,
        name: after.name.clone(),
        suspended: suspension.is_some(),
        created_at: after.created_at,
    };
    let mut writes = Writes::new(app, now);
    writes
        .op(Op::put_if(
            to_item(&keys::tenant(tenant_id), &after, None).context("building the tenant")?,
            Condition::VersionIs(before.version),
        ))
        .op(Op::put(
            to_item(
                &keys::tenant_index_entry(&after.name, tenant_id),
                &entry,
                None,
            )
            .context("building the tenant's entry")?,
        ))
        .audit(AuditEvent {
            tenant: tenant_id,
            action: if suspension.is_some() {
                AuditAction::TenantSuspended
            } else {
                AuditAction::TenantResumed
            },
            actor: caller.actor(),
            subject: None,
            details: serde_json::json!({
                "reason": suspension.as_ref().and_then(|s| s.reason.clone()),
            }),
        })?;
    writes
        .commit()
        .await
        .lost_race(TenantDirectoryError::Conflict, "suspending the tenant")?;
    tracing::info!(tenant_id = %tenant_id, suspended = suspension.is_some(), "tenant suspension changed");
    Ok(after)
}
