//! Webhook endpoints: `POST/GET .../webhooks`, `GET/PATCH/DELETE .../webhooks/{id}`. A tenant's
//! endpoints (`/v1/tenants/{tid}/webhooks`) are managed by its owners and admins (and keys acting
//! as one) and receive its events; the deployment's endpoints (`/v1/webhooks`) are managed by
//! operator keys with `webhooks.manage` and receive every tenant's events.
//!
//! An endpoint's secret (`whsec_` and 24 random bytes in base64, as Standard Webhooks writes
//! them) is shown once, when the endpoint is made; the table keeps it sealed with a key derived
//! from the deployment key, bound to the endpoint's id, since signing needs it back (a hash
//! would not do).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::guard::{self, ReceiverError};
use super::{WebhookError, catalogue};
use crate::app::App;
use crate::domain::{TenantId, WebhookId};
use crate::keys;
use crate::records::{Actor, OperatorScope};
use crate::records::{from_item, from_optional, to_item};
use crate::table::Key;
use crate::table::{Condition, Op};
use crate::token::{Credential, KeySecret};
use crate::usecases::audit::{AuditAction, AuditEvent};
use crate::usecases::commit::{LostRace, Writes};
use crate::usecases::listing::for_each_item;
use crate::usecases::operator_keys::OperatorCaller;
use crate::usecases::{Context, TenantCaller};

/// Endpoints one tenant may have: each event costs a delivery per endpoint.
pub const MAX_ENDPOINTS: usize = 20;

/// Whose endpoints: a tenant's, or the deployment's (which receive every tenant's events).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    Tenant(TenantId),
    Deployment,
}

impl Owner {
    fn pk(self) -> String {
        match self {
            Owner::Tenant(tenant) => keys::tenant_pk(tenant),
            Owner::Deployment => keys::DEPLOYMENT_WEBHOOKS_PK.to_owned(),
        }
    }

    /// The key of endpoint `id`.
    pub fn endpoint_key(self, id: WebhookId) -> Key {
        Key::new(self.pk(), format!("{}{id}", keys::WEBHOOK_PREFIX))
    }

    /// The key of one attempt (a ULID) to deliver to endpoint `id`, kept 30 days.
    pub fn attempt_key(self, id: WebhookId, attempt: &str) -> Key {
        Key::new(
            self.pk(),
            format!("{}{attempt}", keys::webhook_attempts_prefix(id)),
        )
    }

    /// The tenant whose log records what is done to its endpoints; `None` for the deployment's.
    fn tenant(self) -> Option<TenantId> {
        match self {
            Owner::Tenant(tenant) => Some(tenant),
            Owner::Deployment => None,
        }
    }
}

/// Who asks to manage which endpoints.
#[derive(Clone, Copy)]
pub enum Managed<'a> {
    /// A tenant's owner or admin, or a tenant key holding `webhooks.manage`.
    Tenant {
        credential: &'a Credential,
        tenant: TenantId,
    },
    /// The operator, with a key holding `webhooks.manage`.
    Deployment { key: &'a KeySecret },
}

/// A caller allowed to manage `owner`'s endpoints.
struct Manager {
    actor: Actor,
    owner: Owner,
}

impl Manager {
    /// Records `action` in the tenant's log, for a tenant's endpoint (the deployment's have no
    /// tenant: what is done to them is in the service's log).
    fn audit(
        &self,
        writes: &mut Writes<'_>,
        action: AuditAction,
        details: serde_json::Value,
    ) -> Result<(), crate::usecases::InternalError> {
        match self.owner.tenant() {
            Some(tenant) => {
                writes.audit(AuditEvent {
                    tenant,
                    action,
                    actor: self.actor,
                    subject: None,
                    details,
                })?;
            }
            None => {
                tracing::info!(action = action.as_str(), %details, "deployment webhook changed")
            }
        }
        Ok(())
    }
}

/// An endpoint, as stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WebhookEndpointRecord {
    pub id: WebhookId,
    /// The tenant whose events it receives; `None` for the deployment's, which receive every
    /// tenant's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<TenantId>,
    pub url: String,
    /// The types it receives; every type when empty.
    #[serde(default)]
    pub event_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub enabled: bool,
    /// The secret, sealed (see the module's note).
    pub secret: String,
    /// The secret before the last rotation, sealed: deliveries are signed with it too until
    /// `previous_secret_until`, so receivers can change secrets without dropping a request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret_until: Option<DateTime<Utc>>,
    /// When the attempts started failing without a success since; `None` while it delivers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<DateTime<Utc>>,
    /// Why it was turned off by Usher rather than by an admin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<DisabledReason>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

/// Why Usher turned an endpoint off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DisabledReason {
    /// It answered `410 Gone`.
    Gone,
    /// Every attempt failed for [`FAILING_LIMIT_DAYS`] days.
    Failing,
}

/// Days of nothing but failures after which an endpoint is turned off and its owners are told.
pub const FAILING_LIMIT_DAYS: i64 = 5;

/// How long a rotated-out secret still signs deliveries.
pub const PREVIOUS_SECRET_HOURS: i64 = 24;

impl WebhookEndpointRecord {
    pub fn owner(&self) -> Owner {
        self.tenant_id.map_or(Owner::Deployment, Owner::Tenant)
    }

    /// The sealed secrets a delivery at `now` is signed with: the current one, and the previous
    /// one while it is still honoured.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> impl Iterator<Item = &str> {
        let previous = self
            .previous_secret
            .as_deref()
            .filter(|_| self.previous_secret_until.is_some_and(|until| now < until));
        std::iter::once(self.secret.as_str()).chain(previous)
    }

    /// Whether this endpoint receives events of `kind`.
    pub fn wants(&self, kind: &str) -> bool {
        self.enabled && (self.event_types.is_empty() || self.event_types.iter().any(|t| t == kind))
    }
}

/// What a new endpoint is, or what a `PATCH` changes (`None` leaves a field as it is).
#[derive(Clone, Debug, Default)]
pub struct EndpointFields {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub description: Option<Option<String>>,
    pub enabled: Option<bool>,
}

/// A new endpoint with its secret, shown this once.
pub struct CreatedEndpoint {
    pub endpoint: WebhookEndpointRecord,
    pub secret: String,
}

/// Checks the caller may manage the endpoints it names, and reads `id`'s among them in the
/// same round trip when one is named.
async fn manager(
    app: &App,
    managed: Managed<'_>,
    id: Option<WebhookId>,
) -> Result<(Manager, Option<WebhookEndpointRecord>), WebhookError> {
    let (manager, item) = match managed {
        Managed::Tenant { credential, tenant } => {
            let owner = Owner::Tenant(tenant);
            let wanted: Vec<Key> = id.map(|id| owner.endpoint_key(id)).into_iter().collect();
            let (caller, mut items) =
                TenantCaller::load_with(app, credential, tenant, &wanted).await?;
            if !caller.rights.can_manage_webhooks() {
                return Err(WebhookError::Forbidden);
            }
            let manager = Manager {
                actor: caller.actor,
                owner,
            };
            (manager, items.pop().flatten())
        }
        Managed::Deployment { key } => {
            let caller = OperatorCaller::load(app, key, OperatorScope::WebhooksManage).await?;
            let manager = Manager {
                actor: caller.actor(),
                owner: Owner::Deployment,
            };
            let item = match id {
                Some(id) => app
                    .table
                    .get(&Owner::Deployment.endpoint_key(id))
                    .await
                    .context("reading the endpoint")?,
                None => None,
            };
            (manager, item)
        }
    };
    let endpoint = from_optional(item).context("reading the endpoint")?;
    Ok((manager, endpoint))
}

/// The caller, and endpoint `id`, which must exist.
pub(crate) async fn load(
    app: &App,
    managed: Managed<'_>,
    id: WebhookId,
) -> Result<(Actor, WebhookEndpointRecord), WebhookError> {
    let (manager, endpoint) = load_managed(app, managed, id).await?;
    Ok((manager.actor, endpoint))
}

async fn load_managed(
    app: &App,
    managed: Managed<'_>,
    id: WebhookId,
) -> Result<(Manager, WebhookEndpointRecord), WebhookError> {
    let (manager, endpoint) = manager(app, managed, Some(id)).await?;
    Ok((manager, endpoint.ok_or(WebhookError::NotFound)?))
}

fn checked_types(types: Vec<String>) -> Result<Vec<String>, WebhookError> {
    let known = catalogue::event_types();
    let mut types = types;
    types.sort();
    types.dedup();
    match types.iter().find(|t| !known.contains(&t.as_str())) {
        Some(unknown) => Err(WebhookError::UnknownEventType(unknown.clone())),
        None => Ok(types),
    }
}

fn checked_description(raw: Option<String>) -> Result<Option<String>, WebhookError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let value = raw.trim();
    if value.chars().count() > 200 || value.chars().any(char::is_control) {
        return Err(WebhookError::InvalidDescription);
    }
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

/// Every endpoint of `owner`, in id order (at most [`MAX_ENDPOINTS`]).
pub(crate) async fn of_owner(
    app: &App,
    owner: Owner,
) -> Result<Vec<WebhookEndpointRecord>, crate::usecases::InternalError> {
    let mut found = Vec::new();
    for_each_item(app, &owner.pk(), keys::WEBHOOK_PREFIX, |item| {
        found.push(from_item(item).context("reading a webhook endpoint")?);
        Ok(())
    })
    .await?;
    Ok(found)
}

/// `POST .../webhooks`: the URL is checked now (an address it resolves to that is private,
/// link-local or, outside local mode, loopback is refused) and again at every delivery.
pub async fn create(
    app: &App,
    managed: Managed<'_>,
    fields: EndpointFields,
) -> Result<CreatedEndpoint, WebhookError> {
    let (manager, _) = manager(app, managed, None).await?;
    let owner = manager.owner;
    let url = fields
        .url
        .ok_or(WebhookError::Receiver(ReceiverError::Missing))?;
    let url = guard::check_url(&url, app.config.webhook_receivers, app.resolver.as_ref()).await?;
    let existing = of_owner(app, owner).await?;
    if existing.len() >= MAX_ENDPOINTS {
        return Err(WebhookError::TooMany);
    }
    let now = app.clock.now();
    let id = WebhookId::from_ulid(app.random.ulid(now));
    let (secret, sealed) = new_secret(app, id)?;
    let endpoint = WebhookEndpointRecord {
        id,
        tenant_id: owner.tenant(),
        url: url.to_string(),
        event_types: checked_types(fields.event_types.unwrap_or_default())?,
        description: checked_description(fields.description.flatten())?,
        enabled: fields.enabled.unwrap_or(true),
        secret: sealed,
        previous_secret: None,
        previous_secret_until: None,
        failing_since: None,
        disabled_reason: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let mut writes = Writes::new(app, now);
    writes.op(Op::put_if(
        to_item(&owner.endpoint_key(id), &endpoint, None).context("building the endpoint")?,
        Condition::NotExists,
    ));
    manager.audit(
        &mut writes,
        AuditAction::WebhookCreated,
        json!({"webhook_id": id, "url": endpoint.url, "event_types": endpoint.event_types}),
    )?;
    writes
        .commit()
        .await
        .lost_race(WebhookError::Conflict, "creating a webhook endpoint")?;
    tracing::info!(webhook_id = %id, owner = ?owner, "webhook endpoint created");
    Ok(CreatedEndpoint { endpoint, secret })
}

/// A new secret for endpoint `id`: as shown once (`whsec_` and the base64 of 24 random bytes),
/// and as stored, sealed.
fn new_secret(app: &App, id: WebhookId) -> Result<(String, String), WebhookError> {
    let mut bytes = [0u8; 24];
    app.random.fill(&mut bytes);
    let shown = format!(
        "whsec_{}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes)
    );
    let sealed = app
        .outbox
        .seal_secret(&secret_context(id), &bytes, app.random.as_ref())
        .context("sealing the secret")?;
    Ok((shown, sealed))
}

/// A new secret from now on: `POST .../webhooks/{id}/secret`. Deliveries carry a signature with
/// the old one too for [`PREVIOUS_SECRET_HOURS`], so a receiver can switch when it likes. A
/// second rotation within that time retires the oldest secret at once.
pub async fn rotate_secret(
    app: &App,
    managed: Managed<'_>,
    id: WebhookId,
) -> Result<RotatedSecret, WebhookError> {
    let (manager, endpoint) = load_managed(app, managed, id).await?;
    let now = app.clock.now();
    let (secret, sealed) = new_secret(app, id)?;
    let previous_until = now + chrono::Duration::hours(PREVIOUS_SECRET_HOURS);
    let rotated = WebhookEndpointRecord {
        previous_secret: Some(endpoint.secret.clone()),
        previous_secret_until: Some(previous_until),
        secret: sealed,
        updated_at: now,
        version: endpoint.version + 1,
        ..endpoint.clone()
    };
    let mut writes = Writes::new(app, now);
    writes.op(Op::put_if(
        to_item(&manager.owner.endpoint_key(id), &rotated, None)
            .context("building the endpoint")?,
        Condition::VersionIs(endpoint.version),
    ));
    manager.audit(
        &mut writes,
        AuditAction::WebhookSecretRotated,
        json!({"webhook_id": id, "previous_valid_until": previous_until}),
    )?;
    writes
        .commit()
        .await
        .lost_race(WebhookError::Conflict, "rotating a webhook secret")?;
    tracing::info!(webhook_id = %id, "webhook secret rotated");
    Ok(RotatedSecret {
        endpoint: rotated,
        secret,
    })
}

/// A rotated secret, shown this once.
pub struct RotatedSecret {
    pub endpoint: WebhookEndpointRecord,
    pub secret: String,
}

/// What a sealed secret is bound to.
pub(crate) fn secret_context(id: WebhookId) -> String {
    format!("usher webhook secret {id}")
}

/// `GET .../webhooks`.
pub async fn list(
    app: &App,
    managed: Managed<'_>,
) -> Result<Vec<WebhookEndpointRecord>, WebhookError> {
    let (manager, _) = manager(app, managed, None).await?;
    Ok(of_owner(app, manager.owner).await?)
}

/// `GET .../webhooks/{id}`.
pub async fn get(
    app: &App,
    managed: Managed<'_>,
    id: WebhookId,
) -> Result<WebhookEndpointRecord, WebhookError> {
    Ok(load(app, managed, id).await?.1)
}

/// `PATCH .../webhooks/{id}`: a new URL is checked as at creation.
pub async fn update(
    app: &App,
    managed: Managed<'_>,
    id: WebhookId,
    fields: EndpointFields,
) -> Result<WebhookEndpointRecord, WebhookError> {
    let (manager, endpoint) = load_managed(app, managed, id).await?;
    let mut changed = endpoint.clone();
    if let Some(url) = fields.url {
        changed.url = guard::check_url(&url, app.config.webhook_receivers, app.resolver.as_ref())
            .await?
            .to_string();
    }
    if let Some(types) = fields.event_types {
        changed.event_types = checked_types(types)?;
    }
    if let Some(description) = fields.description {
        changed.description = checked_description(description)?;
    }
    if let Some(enabled) = fields.enabled {
        changed.enabled = enabled;
        // An admin's say: Usher's reason, and a streak from before, no longer hold.
        changed.disabled_reason = None;
        changed.failing_since = None;
    }
    let now = app.clock.now();
    changed.updated_at = now;
    changed.version = endpoint.version + 1;
    let mut writes = Writes::new(app, now);
    writes.op(Op::put_if(
        to_item(&manager.owner.endpoint_key(id), &changed, None)
            .context("building the endpoint")?,
        Condition::VersionIs(endpoint.version),
    ));
    manager.audit(
        &mut writes,
        AuditAction::WebhookUpdated,
        json!({"webhook_id": id, "url": changed.url,
            "event_types": changed.event_types, "enabled": changed.enabled}),
    )?;
    writes
        .commit()
        .await
        .lost_race(WebhookError::Conflict, "changing a webhook endpoint")?;
    Ok(changed)
}

/// `DELETE .../webhooks/{id}`: deliveries already filed for it are dropped when they run.
pub async fn delete(app: &App, managed: Managed<'_>, id: WebhookId) -> Result<(), WebhookError> {
    let (manager, endpoint) = load_managed(app, managed, id).await?;
    let mut writes = Writes::new(app, app.clock.now());
    writes.op(Op::delete_if(
        manager.owner.endpoint_key(id),
        Condition::VersionIs(endpoint.version),
    ));
    manager.audit(
        &mut writes,
        AuditAction::WebhookDeleted,
        json!({"webhook_id": id, "url": endpoint.url}),
    )?;
    writes
        .commit()
        .await
        .lost_race(WebhookError::Conflict, "deleting a webhook endpoint")
}

/// `GET .../webhooks/{id}/deliveries`: the endpoint's attempts of the last 30 days, newest
/// first, a page at a time.
pub async fn attempts(
    app: &App,
    managed: Managed<'_>,
    id: WebhookId,
    cursor: Option<&str>,
    limit: usize,
) -> Result<
    (
        Vec<super::delivery::DeliveryAttemptRecord>,
        Option<crate::usecases::listing::Cursor>,
    ),
    WebhookError,
> {
    let (manager, _) = load_managed(app, managed, id).await?;
    let prefix = keys::webhook_attempts_prefix(id);
    let cursor = match cursor {
        None => None,
        Some(raw) => Some(
            crate::usecases::listing::Cursor::parse(raw, &prefix).ok_or(WebhookError::BadCursor)?,
        ),
    };
    Ok(attempt_page(app, manager.owner, id, cursor, limit).await?)
}

/// A page of endpoint `id`'s attempts, newest first.
async fn attempt_page(
    app: &App,
    owner: Owner,
    id: WebhookId,
    cursor: Option<crate::usecases::listing::Cursor>,
    limit: usize,
) -> Result<
    (
        Vec<super::delivery::DeliveryAttemptRecord>,
        Option<crate::usecases::listing::Cursor>,
    ),
    crate::usecases::InternalError,
> {
    let pk = owner.pk();
    let prefix = keys::webhook_attempts_prefix(id);
    let listing = crate::usecases::listing::Listing {
        pk: &pk,
        prefix: &prefix,
        order: crate::usecases::listing::Order::Descending,
        cursor,
        limit,
    };
    crate::usecases::listing::filtered_page(app, listing, |item| {
        Ok(Some(from_item(item).context("reading a delivery attempt")?))
    })
    .await
}

/// One endpoint and its latest attempts, for the local server's page.
pub struct EndpointDeliveries {
    pub tenant_name: String,
    pub endpoint: WebhookEndpointRecord,
    /// Newest first.
    pub attempts: Vec<super::delivery::DeliveryAttemptRecord>,
}

/// Every tenant's endpoints with their latest `per_endpoint` attempts: what `usher serve` shows
/// at `/_local/webhooks`. It checks no caller, so only the local server routes it, as it does
/// the mail it sent.
pub async fn everywhere(
    app: &App,
    per_endpoint: usize,
) -> Result<Vec<EndpointDeliveries>, crate::usecases::InternalError> {
    let mut tenants: Vec<crate::records::TenantIndexRecord> = Vec::new();
    for_each_item(
        app,
        keys::TENANT_INDEX_PK,
        keys::TENANT_INDEX_PREFIX,
        |item| {
            tenants.push(from_item(item).context("reading the tenant index")?);
            Ok(())
        },
    )
    .await?;
    let owners = std::iter::once((
        Owner::Deployment,
        "Every tenant (the deployment's)".to_owned(),
    ))
    .chain(
        tenants
            .into_iter()
            .map(|t| (Owner::Tenant(t.tenant_id), t.name)),
    );
    let mut found = Vec::new();
    for (owner, name) in owners {
        for endpoint in of_owner(app, owner).await? {
            let (attempts, _) = attempt_page(app, owner, endpoint.id, None, per_endpoint).await?;
            found.push(EndpointDeliveries {
                tenant_name: name.clone(),
                endpoint,
                attempts,
            });
        }
    }
    Ok(found)
}
