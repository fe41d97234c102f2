//! Turning SCIM on for a tenant, and its tokens.
//!
//! Owners and admins (a person signed in, or the operator as an owner) turn SCIM on and make a
//! token for their identity provider. A token is 256 random bits, shown once and kept as its
//! SHA-256; at most two are active at once, so a new one can be set in the provider before the
//! old one is revoked. The settings and the list of tokens are one item under the tenant, read
//! with every SCIM request and written against its version, so two admins making tokens at once
//! cannot pass the limit.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::ScimError;
use crate::app::App;
use crate::domain::{ScimTokenId, TeamId, TenantId};
use crate::keys;
use crate::records::{Actor, from_optional, to_item};
use crate::table::{Condition, Op};
use crate::token::ScimSecret;
use crate::usecases::audit::{AuditAction, AuditEvent};
use crate::usecases::commit::{LostRace, Writes};
use crate::usecases::{Context, TenantCaller};

/// Active tokens a tenant may hold at once: the one in use and its replacement.
pub const MAX_ACTIVE_TOKENS: usize = 2;

/// A tenant's SCIM settings and its active tokens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScimConfigRecord {
    /// Off, every token is refused as if it were unknown.
    pub enabled: bool,
    /// Whether people the provider creates get mail: a link to choose a password (on), or
    /// nothing until they use "forgot password" or an admin sends a link (off, the default).
    pub send_access_mail: bool,
    /// Requests per second the endpoint takes from the tenant's provider; past it, `429` with
    /// `Retry-After`.
    #[serde(default = "default_rate")]
    pub requests_per_second: u32,
    /// The team the provider's groups are made under; the roots when unset. Set before the
    /// first group: it cannot change while the provider has groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups_parent: Option<TeamId>,
    pub tokens: Vec<ScimTokenEntry>,
    pub version: u64,
}

/// The requests per second a tenant's provider may send unless an admin says otherwise: above
/// what Entra ID and Okta send in a full sync, below what would crowd out the tenant's other
/// traffic.
pub const DEFAULT_RATE: u32 = 25;
/// The highest rate an admin may set.
pub const MAX_RATE: u32 = 1000;

fn default_rate() -> u32 {
    DEFAULT_RATE
}

impl Default for ScimConfigRecord {
    fn default() -> Self {
        Self {
            enabled: false,
            send_access_mail: false,
            requests_per_second: DEFAULT_RATE,
            groups_parent: None,
            tokens: Vec::new(),
            version: 0,
        }
    }
}

/// A token in its tenant's list, never its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScimTokenEntry {
    pub id: ScimTokenId,
    pub name: String,
    pub key_hash: String,
    pub created_by: Actor,
    pub created_at: DateTime<Utc>,
}

/// A token's lookup item, found by the hash of its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScimTokenRecord {
    pub id: ScimTokenId,
    pub tenant_id: TenantId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// To within a minute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A tenant's SCIM settings as its admins read them.
pub struct ScimOverview {
    pub config: ScimConfigRecord,
    /// Each active token with when it was last used.
    pub last_used: Vec<Option<DateTime<Utc>>>,
}

/// A token just made: its secret, shown this once.
pub struct CreatedScimToken {
    pub entry: ScimTokenEntry,
    pub secret: ScimSecret,
}

/// Changes to the settings; `None` leaves a field as it is.
#[derive(Default)]
pub struct ScimSettingsPatch {
    pub enabled: Option<bool>,
    pub send_access_mail: Option<bool>,
    pub requests_per_second: Option<u32>,
    /// `Some(None)` makes groups root teams again.
    pub groups_parent: Option<Option<TeamId>>,
}

/// The caller, who must be an owner or admin of the tenant, and its SCIM settings as stored.
async fn load(
    app: &App,
    credential: &crate::token::Credential,
    tenant_id: TenantId,
) -> Result<(TenantCaller, ScimConfigRecord), ScimError> {
    let (caller, mut items) =
        TenantCaller::load_with(app, credential, tenant_id, &[keys::scim_config(tenant_id)])
            .await?;
    if !caller.rights.role.is_admin() {
        return Err(ScimError::Forbidden);
    }
    let config = from_optional(items.pop().flatten())
        .context("reading the SCIM settings")?
        .unwrap_or_default();
    Ok((caller, config))
}

/// The settings item written against the version read (absent when it was never written).
fn config_op(
    tenant_id: TenantId,
    old: &ScimConfigRecord,
    new: &ScimConfigRecord,
) -> Result<Op, ScimError> {
    let condition = if old.version == 0 {
        Condition::NotExists
    } else {
        Condition::VersionIs(old.version)
    };
    Ok(Op::put_if(
        to_item(&keys::scim_config(tenant_id), new, None).context("building the SCIM settings")?,
        condition,
    ))
}

/// `GET /v1/tenants/{tid}/scim`.
pub async fn get(
    app: &App,
    credential: &crate::token::Credential,
    tenant_id: TenantId,
) -> Result<ScimOverview, ScimError> {
    let (_, config) = load(app, credential, tenant_id).await?;
    let lookups: Vec<_> = config
        .tokens
        .iter()
        .map(|t| keys::scim_token(&t.key_hash))
        .collect();
    let found = app
        .table
        .batch_get(&lookups)
        .await
        .context("reading the SCIM tokens")?;
    let last_used = found
        .into_iter()
        .map(|item| {
            let record: Option<ScimTokenRecord> =
                from_optional(item).context("reading a SCIM token")?;
            Ok(record.and_then(|r| r.last_used_at))
        })
        .collect::<Result<_, ScimError>>()?;
    Ok(ScimOverview { config, last_used })
}

/// `PATCH /v1/tenants/{tid}/scim`.
pub async fn update(
    app: &App,
    credential: &crate::token::Credential,
    tenant_id: TenantId,
    patch: ScimSettingsPatch,
) -> Result<ScimConfigRecord, ScimError> {
    let now = app.clock.now();
    let (caller, old) = load(app, credential, tenant_id).await?;
    if patch
        .requests_per_second
        .is_some_and(|rate| !(1..=MAX_RATE).contains(&rate))
    {
        return Err(ScimError::InvalidRate);
    }
    let new = ScimConfigRecord {
        enabled: patch.enabled.unwrap_or(old.enabled),
        send_access_mail: patch.send_access_mail.unwrap_or(old.send_access_mail),
        requests_per_second: patch.requests_per_second.unwrap_or(old.requests_per_second),
        groups_parent: patch.groups_parent.unwrap_or(old.groups_parent),
        tokens: old.tokens.clone(),
        version: old.version + 1,
    };
    if new.groups_parent != old.groups_parent {
        check_groups_parent(app, tenant_id, new.groups_parent).await?;
    }
    let unchanged = ScimConfigRecord {
        version: old.version,
        ..new.clone()
    };
    if unchanged == old {
        return Ok(old);
    }
    let mut writes = Writes::new(app, now);
    writes
        .op(config_op(tenant_id, &old, &new)?)
        .audit(AuditEvent {
            tenant: tenant_id,
            action: AuditAction::ScimUpdated,
            actor: caller.actor,
            subject: None,
            details: json!({"enabled": new.enabled, "send_access_mail": new.send_access_mail,
                "requests_per_second": new.requests_per_second, "groups_parent": new.groups_parent}),
        })?;
    writes
        .commit()
        .await
        .lost_race(ScimError::Conflict, "changing the SCIM settings")?;
    tracing::info!(tenant_id = %tenant_id, enabled = new.enabled, "scim settings changed");
    Ok(new)
}

/// Whether the provider's groups may move to `parent`: an active team the provider does not
/// manage, with room below it, while the provider has no group (those it has would be left
/// where they are, and its next sync would make them again beside them).
async fn check_groups_parent(
    app: &App,
    tenant_id: TenantId,
    parent: Option<TeamId>,
) -> Result<(), ScimError> {
    let teams = crate::usecases::teams::all_teams(app, tenant_id).await?;
    if teams.iter().any(|t| t.scim.is_some()) {
        return Err(ScimError::GroupsExist);
    }
    let Some(parent) = parent else {
        return Ok(());
    };
    let fits = teams.iter().find(|t| t.id == parent).is_some_and(|t| {
        t.is_active() && t.scim.is_none() && t.depth() < crate::records::TeamRecord::MAX_DEPTH
    });
    if !fits {
        return Err(ScimError::InvalidGroupsParent);
    }
    Ok(())
}

/// `POST /v1/tenants/{tid}/scim/tokens`.
pub async fn create_token(
    app: &App,
    credential: &crate::token::Credential,
    tenant_id: TenantId,
    name: &str,
) -> Result<CreatedScimToken, ScimError> {
    let now = app.clock.now();
    let (caller, old) = load(app, credential, tenant_id).await?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ScimError::InvalidName);
    }
    if old.tokens.len() >= MAX_ACTIVE_TOKENS {
        return Err(ScimError::TooManyTokens);
    }
    let secret = ScimSecret::generate(app.random.as_ref());
    let id = ScimTokenId::from_ulid(app.random.ulid(now));
    let entry = ScimTokenEntry {
        id,
        name: name.to_owned(),
        key_hash: secret.hash(),
        created_by: caller.actor,
        created_at: now,
    };
    let record = ScimTokenRecord {
        id,
        tenant_id,
        name: name.to_owned(),
        created_at: now,
        last_used_at: None,
    };
    let mut new = old.clone();
    new.tokens.push(entry.clone());
    new.version += 1;
    let mut writes = Writes::new(app, now);
    writes
        .op(config_op(tenant_id, &old, &new)?)
        .op(Op::put_if(
            to_item(&keys::scim_token(&entry.key_hash), &record, None)
                .context("building the SCIM token")?,
            Condition::NotExists,
        ))
        .audit(AuditEvent {
            tenant: tenant_id,
            action: AuditAction::ScimTokenCreated,
            actor: caller.actor,
            subject: None,
            details: json!({"scim_token_id": id, "name": name}),
        })?;
    writes
        .commit()
        .await
        .lost_race(ScimError::Conflict, "storing the SCIM token")?;
    tracing::info!(tenant_id = %tenant_id, scim_token_id = %id, "scim token created");
    Ok(CreatedScimToken { entry, secret })
}

/// `DELETE /v1/tenants/{tid}/scim/tokens/{id}`: the very next request with it is refused.
pub async fn revoke_token(
    app: &App,
    credential: &crate::token::Credential,
    tenant_id: TenantId,
    id: ScimTokenId,
) -> Result<(), ScimError> {
    let now = app.clock.now();
    let (caller, old) = load(app, credential, tenant_id).await?;
    let entry = old
        .tokens
        .iter()
        .find(|t| t.id == id)
        .cloned()
        .ok_or(ScimError::NotFound)?;
    let mut new = old.clone();
    new.tokens.retain(|t| t.id != id);
    new.version += 1;
    let mut writes = Writes::new(app, now);
    writes
        .op(config_op(tenant_id, &old, &new)?)
        .op(Op::delete(keys::scim_token(&entry.key_hash)))
        .audit(AuditEvent {
            tenant: tenant_id,
            action: AuditAction::ScimTokenRevoked,
            actor: caller.actor,
            subject: None,
            details: json!({"scim_token_id": id, "name": entry.name}),
        })?;
    writes
        .commit()
        .await
        .lost_race(ScimError::Conflict, "revoking the SCIM token")?;
    tracing::info!(tenant_id = %tenant_id, scim_token_id = %id, "scim token revoked");
    Ok(())
}
