//! A tenant's API keys: the SaaS backend acting in one tenant with a credential of its own.
//!
//! A key is made by a person (with a session, never by another key) who manages users here; it
//! holds permissions from the catalogue and `users.manage`, never one its maker lacks, and acts
//! as a member with them. An owner or admin may also give it `webhooks.manage`, which only keys
//! hold. At every request it is read with its maker's account and membership,
//! in the one batch read: a maker archived, cut off or stripped of a permission takes the key
//! down with them. Revoking deletes its lookup item, so the very next request is refused.

use chrono::{DateTime, Utc};

use super::audit::{AuditAction, AuditEvent};
use super::commit::{LostRace, Writes};
use super::listing::for_each_item;
use super::{AuthError, Context, InternalError, TenantCaller};
use crate::app::App;
use crate::domain::{ApiKeyId, Permission, PermissionSet, TenantId};
use crate::keys;
use crate::records::{ApiKeyEntryRecord, ApiKeyRecord, from_item, from_optional, to_item};
use crate::table::{Condition, Op};
use crate::token::{Credential, KeySecret};

/// How stale a key's `last_used_at` may get before a request writes it again.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::minutes(1);

#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("a key is made by a person signed in, not by another key")]
    SessionRequired,
    #[error("only admins, and members who manage users, make and list keys")]
    Forbidden,
    #[error("a key needs a name of 1 to 100 characters")]
    InvalidName,
    #[error("the permission {0} is not in the tenant's catalogue")]
    UnknownPermission(String),
    #[error("a key cannot hold {0}: its maker does not")]
    PermissionNotHeld(String),
    #[error("expires_at must be in the future")]
    ExpiryInPast,
    #[error("no such key")]
    NotFound,
    #[error("the key is revoked already")]
    AlreadyRevoked,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

pub struct NewApiKey {
    pub name: String,
    pub permissions: PermissionSet,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A key just made: its secret, shown this once.
pub struct CreatedApiKey {
    pub entry: ApiKeyEntryRecord,
    pub secret: KeySecret,
}

/// `POST /v1/tenants/{tid}/api-keys`.
pub async fn create(
    app: &App,
    credential: &Credential,
    tenant_id: TenantId,
    new: NewApiKey,
) -> Result<CreatedApiKey, ApiKeyError> {
    let now = app.clock.now();
    let caller = TenantCaller::load(app, credential, tenant_id).await?;
    // A key's power is its maker's: only a person, signed in, makes one.
    let (Some(maker), Some(membership), Some(_)) = (
        caller.account.as_ref(),
        caller.membership.as_ref(),
        caller.session.as_ref(),
    ) else {
        return Err(ApiKeyError::SessionRequired);
    };
    let own = &caller.rights;
    if !own.can_manage_users() {
        return Err(ApiKeyError::Forbidden);
    }
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiKeyError::InvalidName);
    }
    for permission in new.permissions.iter() {
        let key_only = permission.as_str() == Permission::WEBHOOKS_MANAGE;
        if !key_only && !caller.tenant.knows_permission(permission.as_str()) {
            return Err(ApiKeyError::UnknownPermission(permission.to_string()));
        }
        let held = own.role.is_admin() || own.permissions.contains(permission.as_str());
        if !held {
            return Err(ApiKeyError::PermissionNotHeld(permission.to_string()));
        }
    }
    if new.expires_at.is_some_and(|at| at <= now) {
        return Err(ApiKeyError::ExpiryInPast);
    }
    let secret = KeySecret::generate_tenant(maker.id, app.random.as_ref());
    let id = ApiKeyId::from_ulid(app.random.ulid(now));
    let record = ApiKeyRecord {
        id,
        tenant_id,
        name: name.to_owned(),
        permissions: new.permissions.clone(),
        created_by: maker.id,
        created_at: now,
        expires_at: new.expires_at,
        last_used_at: None,
    };
    let entry = ApiKeyEntryRecord {
        id,
        name: name.to_owned(),
        permissions: new.permissions,
        created_by: maker.id,
        created_at: now,
        expires_at: new.expires_at,
        key_hash: secret.hash(),
        revoked_at: None,
        revoked_by: None,
        last_used_at: None,
    };
    let mut writes = Writes::new(app, now);
    writes
        .op(Op::put_if(
            to_item(&keys::api_key(&secret.hash()), &record, None).context("building the key")?,
            Condition::NotExists,
        ))
        .op(Op::put_if(
            to_item(&keys::api_key_entry(tenant_id, id), &entry, None)
                .context("building the key's entry")?,
            Condition::NotExists,
        ))
        // The maker's membership as it was read: a demotion at the same time wins.
        .op(Op::check(
            keys::membership(tenant_id, maker.id),
            Condition::VersionIs(membership.version),
        ))
        .audit(AuditEvent {
            tenant: tenant_id,
            action: AuditAction::ApiKeyCreated,
            actor: caller.actor,
            subject: None,
            details: serde_json::json!({"api_key_id": id, "name": name,
                "permissions": entry.permissions, "expires_at": entry.expires_at}),
        })?;
    writes
        .commit()
        .await
        .lost_race(ApiKeyError::Forbidden, "storing the key")?;
    tracing::info!(tenant_id = %tenant_id, api_key_id = %id, "api key created");
    Ok(CreatedApiKey { entry, secret })
}

/// A key in the list, with when it was last used.
pub struct ApiKeySummary {
    pub entry: ApiKeyEntryRecord,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// `GET /v1/tenants/{tid}/api-keys`: every key, revoked ones too, never a secret.
pub async fn list(
    app: &App,
    credential: &Credential,
    tenant_id: TenantId,
) -> Result<Vec<ApiKeySummary>, ApiKeyError> {
    let caller = TenantCaller::load(app, credential, tenant_id).await?;
    if !caller.rights.can_manage_users() {
        return Err(ApiKeyError::Forbidden);
    }
    let mut entries = Vec::new();
    for_each_item(
        app,
        &keys::tenant_pk(tenant_id),
        keys::API_KEY_PREFIX,
        |item| {
            entries.push(from_item::<ApiKeyEntryRecord>(item).context("reading a key")?);
            Ok(())
        },
    )
    .await?;
    let lookups: Vec<_> = entries.iter().map(|e| keys::api_key(&e.key_hash)).collect();
    let found = crate::table::batch_get_all(app.table.as_ref(), &lookups)
        .await
        .context("reading the keys")?;
    entries
        .into_iter()
        .zip(found)
        .map(|(entry, item)| {
            let live: Option<ApiKeyRecord> = from_optional(item).context("reading a key")?;
            Ok(ApiKeySummary {
                last_used_at: live.and_then(|k| k.last_used_at).or(entry.last_used_at),
                entry,
            })
        })
        .collect()
}

/// `DELETE /v1/tenants/{tid}/api-keys/{id}`: admins revoke any key, a member who manages users
/// the keys they made. A key may revoke itself.
pub async fn revoke(
    app: &App,
    credential: &Credential,
    tenant_id: TenantId,
    id: ApiKeyId,
) -> Result<(), ApiKeyError> {
    let now = app.clock.now();
    let (caller, mut items) = TenantCaller::load_with(
        app,
        credential,
        tenant_id,
        &[keys::api_key_entry(tenant_id, id)],
    )
    .await?;
    let entry: ApiKeyEntryRecord = from_optional(items.pop().flatten())
        .context("reading the key")?
        .ok_or(ApiKeyError::NotFound)?;
    let own_key = caller.api_key.as_ref().is_some_and(|k| k.id == id);
    let may = own_key
        || caller.rights.role.is_admin()
        || (caller.rights.can_manage_users() && caller.account_id() == Some(entry.created_by));
    if !may {
        return Err(ApiKeyError::Forbidden);
    }
    if entry.revoked_at.is_some() {
        return Err(ApiKeyError::AlreadyRevoked);
    }
    let live: Option<ApiKeyRecord> = from_optional(
        app.table
            .get(&keys::api_key(&entry.key_hash))
            .await
            .context("reading the key")?,
    )
    .context("reading the key")?;
    let revoked = ApiKeyEntryRecord {
        revoked_at: Some(now),
        revoked_by: Some(caller.actor),
        last_used_at: live.and_then(|k| k.last_used_at),
        ..entry.clone()
    };
    let mut writes = Writes::new(app, now);
    writes
        .op(Op::delete(keys::api_key(&entry.key_hash)))
        .op(Op::put_if(
            to_item(&keys::api_key_entry(tenant_id, id), &revoked, None)
                .context("building the key's entry")?,
            Condition::AttributeEquals("key_hash".into(), entry.key_hash.clone().into()),
        ))
        .audit(AuditEvent {
            tenant: tenant_id,
            action: AuditAction::ApiKeyRevoked,
            actor: caller.actor,
            subject: None,
            details: serde_json::json!({"api_key_id": id, "name": entry.name}),
        })?;
    writes
        .commit()
        .await
        .lost_race(ApiKeyError::AlreadyRevoked, "revoking the key")?;
    tracing::info!(tenant_id = %tenant_id, api_key_id = %id, "api key revoked");
    Ok(())
}

/// Records that `key` acted, at most once a minute.
pub(crate) async fn touch(app: &App, secret: &KeySecret, key: &ApiKeyRecord) {
    let now = app.clock.now();
    if key.last_used_at.is_some_and(|at| now - at < TOUCH_EVERY) {
        return;
    }
    let touched = ApiKeyRecord {
        last_used_at: Some(now),
        ..key.clone()
    };
    put_last_use(app, &keys::api_key(&secret.hash()), &touched).await;
}

/// Writes a key's lookup item again with its new `last_used_at`, only if it still exists: a key
/// revoked meanwhile is never brought back. A failure costs the request nothing.
pub(crate) async fn put_last_use<T: serde::Serialize>(
    app: &App,
    key: &crate::table::Key,
    touched: &T,
) {
    let Ok(item) = to_item(key, touched, None) else {
        return;
    };
    if let Err(error) = app
        .table
        .transact(vec![Op::put_if(item, Condition::Exists)])
        .await
    {
        tracing::debug!(error = %error, "a key's last use was not recorded");
    }
}
