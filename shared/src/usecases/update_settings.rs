//! `PATCH /v1/tenants/{tenant_id}/settings`: one batch read, one transaction. Inbound addresses
//! are claimed with marker items in the same transaction, so no two tenants can own one address.

use super::audit::AuditEvent;
use super::{AuthError, Context, InternalError, TenantCaller};
use crate::app::App;
use crate::domain::{PermissionEntry, TenantId};
use crate::keys;
use crate::records::{InboxRecord, TenantRecord, to_item};
use crate::settings::{InboundSettings, InvitationEmailPolicy, SettingsError, validate_catalog};
use crate::table::{Condition, Op, TransactError};
use crate::token::SessionToken;

/// Fields left out stay as they are.
#[derive(Default)]
pub struct SettingsPatch {
    pub members_can_invite: Option<bool>,
    pub invitation_ttl_hours: Option<u32>,
    pub invitation_email_policy: Option<InvitationEmailPolicy>,
    pub inbound: Option<InboundSettings>,
    pub announce_new_members: Option<bool>,
    pub permission_catalog: Option<Vec<PermissionEntry>>,
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateSettingsError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("only owners and admins change tenant settings")]
    Forbidden,
    #[error(transparent)]
    Invalid(#[from] SettingsError),
    #[error("the inbound address {0} belongs to another tenant")]
    AddressTaken(String),
    #[error("the settings changed at the same time; read them again and retry")]
    Conflict,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

pub async fn update_settings(
    app: &App,
    token: &SessionToken,
    tenant_id: TenantId,
    patch: SettingsPatch,
) -> Result<TenantRecord, UpdateSettingsError> {
    let now = app.clock.now();
    let caller = TenantCaller::load(app, token, tenant_id).await?;
    if !caller.membership.role.is_admin() {
        return Err(UpdateSettingsError::Forbidden);
    }
    let before = caller.tenant;
    let catalog = patch
        .permission_catalog
        .unwrap_or_else(|| before.permission_catalog.clone());
    validate_catalog(&catalog)?;
    let mut settings = before.settings.clone();
    if let Some(v) = patch.members_can_invite {
        settings.members_can_invite = v;
    }
    if let Some(v) = patch.invitation_ttl_hours {
        settings.invitation_ttl_hours = v;
    }
    if let Some(v) = patch.invitation_email_policy {
        settings.invitation_email_policy = v;
    }
    if let Some(v) = patch.inbound {
        settings.inbound = v;
    }
    if let Some(v) = patch.announce_new_members {
        settings.announce_new_members = v;
    }
    let settings = settings.validated(&catalog)?;

    let after = TenantRecord {
        settings,
        permission_catalog: catalog,
        updated_at: now,
        version: before.version + 1,
        ..before.clone()
    };
    let mut ops = vec![Op::put_if(
        to_item(&keys::tenant(tenant_id), &after, None).context("building the tenant")?,
        Condition::VersionIs(before.version),
    )];
    let old: Vec<String> = before
        .settings
        .inbound
        .addresses
        .iter()
        .map(|a| a.normalized())
        .collect();
    let new: Vec<String> = after
        .settings
        .inbound
        .addresses
        .iter()
        .map(|a| a.normalized())
        .collect();
    let mut claimed = Vec::new();
    for address in new.iter().filter(|a| !old.contains(a)) {
        claimed.push(address.clone());
        let record = InboxRecord {
            tenant_id,
            address: address.clone(),
        };
        ops.push(Op::put_if(
            to_item(&keys::inbox(address), &record, None).context("building an inbox")?,
            Condition::NotExists,
        ));
    }
    for address in old.iter().filter(|a| !new.contains(a)) {
        ops.push(Op::delete_if(
            keys::inbox(address),
            Condition::AttributeEquals("tenant_id".into(), tenant_id.to_string().into()),
        ));
    }
    ops.extend(
        AuditEvent {
            tenant: tenant_id,
            action: "tenant.settings_updated",
            actor: Some(caller.account.id),
            subject: None,
            details: serde_json::json!({}),
        }
        .ops(now, app.random.as_ref())
        .context("building the audit event")?,
    );
    match app.table.transact(ops).await {
        Ok(()) => Ok(after),
        Err(TransactError::ConditionFailed { key }) => {
            match claimed
                .into_iter()
                .find(|address| keys::inbox(address) == key)
            {
                Some(address) => Err(UpdateSettingsError::AddressTaken(address)),
                None => Err(UpdateSettingsError::Conflict),
            }
        }
        Err(TransactError::Conflict) => Err(UpdateSettingsError::Conflict),
        Err(other) => Err(other)
            .context("storing the settings")
            .map_err(Into::into),
    }
}
