//! A tenant's webhook endpoints: `POST/GET .../webhooks`, `GET/PATCH/DELETE .../webhooks/{id}`,
//! for its owners and admins (and keys acting as one).
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
use crate::records::{from_item, from_optional, to_item};
use crate::table::{Condition, Op};
use crate::token::Credential;
use crate::usecases::audit::{AuditAction, AuditEvent};
use crate::usecases::commit::{LostRace, Writes};
use crate::usecases::listing::for_each_item;
use crate::usecases::{Context, TenantCaller};

/// Endpoints one tenant may have: each event costs a delivery per endpoint.
pub const MAX_ENDPOINTS: usize = 20;

/// A tenant's endpoint, as stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WebhookEndpointRecord {
    pub id: WebhookId,
    pub tenant_id: TenantId,
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

async fn manager(
    app: &App,
    credential: &Credential,
    tenant: TenantId,
) -> Result<TenantCaller, WebhookError> {
    let caller = TenantCaller::load(app, credential, tenant).await?;
    if !caller.rights.role.is_admin() {
        return Err(WebhookError::Forbidden);
    }
    Ok(caller)
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

/// Every endpoint of `tenant`, in id order (at most [`MAX_ENDPOINTS`]).
pub(crate) async fn of_tenant(
    app: &App,
    tenant: TenantId,
) -> Result<Vec<WebhookEndpointRecord>, crate::usecases::InternalError> {
    let mut found = Vec::new();
    for_each_item(
        app,
        &keys::tenant_pk(tenant),
        keys::WEBHOOK_PREFIX,
        |item| {
            found.push(from_item(item).context("reading a webhook endpoint")?);
            Ok(())
        },
    )
    .await?;
    Ok(found)
}

/// `POST .../webhooks`: the URL is checked now (an address it resolves to that is private,
/// link-local or, outside local mode, loopback is refused) and again at every delivery.
pub async fn create(
    app: &App,
    credential: &Credential,
    tenant: TenantId,
    fields: EndpointFields,
) -> Result<CreatedEndpoint, WebhookError> {
    let caller = manager(app, credential, tenant).await?;
    let url = fields
        .url
        .ok_or(WebhookError::Receiver(ReceiverError::Missing))?;
    let url = guard::check_url(&url, app.config.webhook_receivers).await?;
    let existing = of_tenant(app, tenant).await?;
    if existing.len() >= MAX_ENDPOINTS {
        return Err(WebhookError::TooMany);
    }
    let now = app.clock.now();
    let id = WebhookId::from_ulid(app.random.ulid(now));
    let (secret, sealed) = new_secret(app, id)?;
    let endpoint = WebhookEndpointRecord {
        id,
        tenant_id: tenant,
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
    writes
        .op(Op::put_if(
            to_item(&keys::webhook(tenant, id), &endpoint, None)
                .context("building the endpoint")?,
            Condition::NotExists,
        ))
        .audit(AuditEvent {
            tenant,
            action: AuditAction::WebhookCreated,
            actor: caller.actor,
            subject: None,
            details: json!({"webhook_id": id, "url": endpoint.url,
                "event_types": endpoint.event_types}),
        })?;
    writes
        .commit()
        .await
        .lost_race(WebhookError::Conflict, "creating a webhook endpoint")?;
    tracing::info!(webhook_id = %id, tenant_id = %tenant, "webhook endpoint created");
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
    credential: &Credential,
    tenant: TenantId,
    id: WebhookId,
) -> Result<RotatedSecret, WebhookError> {
    let (caller, endpoint) = load(app, credential, tenant, id).await?;
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
    writes
        .op(Op::put_if(
            to_item(&keys::webhook(tenant, id), &rotated, None).context("building the endpoint")?,
            Condition::VersionIs(endpoint.version),
        ))
        .audit(AuditEvent {
            tenant,
            action: AuditAction::WebhookSecretRotated,
            actor: caller.actor,
            subject: None,
            details: json!({"webhook_id": id, "previous_valid_until": previous_until}),
        })?;
    writes
        .commit()
        .await
        .lost_race(WebhookError::Conflict, "rotating a webhook secret")?;
    tracing::info!(webhook_id = %id, tenant_id = %tenant, "webhook secret rotated");
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
    credential: &Credential,
    tenant: TenantId,
) -> Result<Vec<WebhookEndpointRecord>, WebhookError> {
    manager(app, credential, tenant).await?;
    Ok(of_tenant(app, tenant).await?)
}

pub(crate) async fn load(
    app: &App,
    credential: &Credential,
    tenant: TenantId,
    id: WebhookId,
) -> Result<(TenantCaller, WebhookEndpointRecord), WebhookError> {
    let (caller, mut items) =
        TenantCaller::load_with(app, credential, tenant, &[keys::webhook(tenant, id)]).await?;
    if !caller.rights.role.is_admin() {
        return Err(WebhookError::Forbidden);
    }
    let endpoint = from_optional(items.pop().flatten())
        .context("reading the endpoint")?
        .ok_or(WebhookError::NotFound)?;
    Ok((caller, endpoint))
}

/// `GET .../webhooks/{id}`.
pub async fn get(
    app: &App,
    credential: &Credential,
    tenant: TenantId,
    id: WebhookId,
) -> Result<WebhookEndpointRecord, WebhookError> {
    Ok(load(app, credential, tenant, id).await?.1)
}

/// `PATCH .../webhooks/{id}`: a new URL is checked as at creation.
pub async fn update(
    app: &App,
    credential: &Credential,
    tenant: TenantId,
    id: WebhookId,
    fields: EndpointFields,
) -> Result<WebhookEndpointRecord, WebhookError> {
    let (caller, endpoint) = load(app, credential, tenant, id).await?;
    let mut changed = endpoint.clone();
    if let Some(url) = fields.url {
        changed.url = guard::check_url(&url, app.config.webhook_receivers)
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
    writes
        .op(Op::put_if(
            to_item(&keys::webhook(tenant, id), &changed, None).context("building the endpoint")?,
            Condition::VersionIs(endpoint.version),
        ))
        .audit(AuditEvent {
            tenant,
            action: AuditAction::WebhookUpdated,
            actor: caller.actor,
            subject: None,
            details: json!({"webhook_id": id, "url": changed.url,
                "event_types": changed.event_types, "enabled": changed.enabled}),
        })?;
    writes
        .commit()
        .await
        .lost_race(WebhookError::Conflict, "changing a webhook endpoint")?;
    Ok(changed)
}

/// `DELETE .../webhooks/{id}`: deliveries already filed for it are dropped when they run.
pub async fn delete(
    app: &App,
    credential: &Credential,
    tenant: TenantId,
    id: WebhookId,
) -> Result<(), WebhookError> {
    let (caller, endpoint) = load(app, credential, tenant, id).await?;
    let mut writes = Writes::new(app, app.clock.now());
    writes
        .op(Op::delete_if(
            keys::webhook(tenant, id),
            Condition::VersionIs(endpoint.version),
        ))
        .audit(AuditEvent {
            tenant,
            action: AuditAction::WebhookDeleted,
            actor: caller.actor,
            subject: None,
            details: json!({"webhook_id": id, "url": endpoint.url}),
        })?;
    writes
        .commit()
        .await
        .lost_race(WebhookError::Conflict, "deleting a webhook endpoint")
}

/// `GET .../webhooks/{id}/deliveries`: the endpoint's attempts of the last 30 days, newest
/// first, a page at a time.
pub async fn attempts(
    app: &App,
    credential: &Credential,
    tenant: TenantId,
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
    load(app, credential, tenant, id).await?;
    let prefix = keys::webhook_attempts_prefix(id);
    let cursor = match cursor {
        None => None,
        Some(raw) => Some(
            crate::usecases::listing::Cursor::parse(raw, &prefix).ok_or(WebhookError::BadCursor)?,
        ),
    };
    Ok(attempt_page(app, tenant, id, cursor, limit).await?)
}

/// A page of endpoint `id`'s attempts, newest first.
async fn attempt_page(
    app: &App,
    tenant: TenantId,
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
    let pk = keys::tenant_pk(tenant);
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
    let mut found = Vec::new();
    for tenant in tenants {
        for endpoint in of_tenant(app, tenant.tenant_id).await? {
            let (attempts, _) =
                attempt_page(app, tenant.tenant_id, endpoint.id, None, per_endpoint).await?;
            found.push(EndpointDeliveries {
                tenant_name: tenant.name.clone(),
                endpoint,
                attempts,
            });
        }
    }
    Ok(found)
}
