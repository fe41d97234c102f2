//! `POST .../webhooks/{id}/replay`: events filed again for one endpoint, after it was down or
//! lost what it received. The tenant's audit log is the source: every catalogue event is an
//! entry there, so a replay sends the very body (and `webhook-id`) of the first delivery, and
//! a receiver that had it already drops it.
//!
//! One event by its id, or every event since a time, up to [`MAX_REPLAY`] per request: the
//! answer says where to go on from (`after`) when more remain.

use chrono::{DateTime, Utc};
use serde_json::json;
use ulid::Ulid;

use super::WebhookError;
use super::catalogue::WebhookEvent;
use super::delivery::EventDelivery;
use super::endpoints::{Managed, Owner, WebhookEndpointRecord, load};
use crate::app::App;
use crate::domain::{EventId, TenantId, WebhookId};
use crate::keys;
use crate::records::{EventRecord, from_item, from_optional};
use crate::table::{Key, MAX_TRANSACTION_OPS};
use crate::usecases::audit::{AuditAction, AuditEvent};
use crate::usecases::commit::Writes;
use crate::usecases::jobs::Job;
use crate::usecases::{Context, InternalError};

/// Events one replay files at most.
pub const MAX_REPLAY: usize = 1000;

/// Entries of the log one replay reads at most: an endpoint that takes a rare type does not
/// make one request read a long log to its end.
pub const MAX_SCANNED: usize = 2_000;

/// What to file again.
pub enum ReplayRequest {
    /// One event, by its id (`evt_...`).
    Event(String),
    /// Every event from `since` on, or (to go on from an earlier answer) after the event `after`.
    Since {
        since: DateTime<Utc>,
        after: Option<String>,
    },
}

/// What a replay filed.
pub struct Replayed {
    /// Deliveries filed.
    pub queued: usize,
    /// The last event looked at, when more events remain: the next request's `after`.
    pub more_after: Option<String>,
}

/// The event id inside `evt_...`.
fn event_id(raw: &str) -> Option<EventId> {
    raw.strip_prefix("evt_")?.parse().ok()
}

/// Files `request`'s events again for endpoint `id`. A deployment endpoint's replay names the
/// tenant whose log to read (`tenant`); a tenant's endpoint replays its own tenant's.
pub async fn replay(
    app: &App,
    managed: Managed<'_>,
    id: WebhookId,
    tenant: Option<TenantId>,
    request: ReplayRequest,
) -> Result<Replayed, WebhookError> {
    let (actor, endpoint) = load(app, managed, id).await?;
    let owner = endpoint.owner();
    let tenant = match owner {
        Owner::Tenant(own) => own,
        Owner::Deployment => tenant.ok_or(WebhookError::TenantRequired)?,
    };
    if !endpoint.enabled {
        return Err(WebhookError::Disabled);
    }
    let (events, more_after) = match request {
        ReplayRequest::Event(raw) => {
            let event = one_event(app, tenant, &raw).await?;
            if !endpoint.wants(&event.kind) {
                return Err(WebhookError::NotWanted(event.kind));
            }
            (vec![event], None)
        }
        ReplayRequest::Since { since, after } => {
            let start = match after {
                Some(raw) => event_id(&raw).ok_or(WebhookError::UnknownEvent)?,
                // The smallest id of `since`'s millisecond: the query starts just after it.
                None => EventId::from_ulid(Ulid::from_parts(
                    u64::try_from(since.timestamp_millis()).unwrap_or(0),
                    0,
                )),
            };
            events_after(app, tenant, &endpoint, start).await?
        }
    };
    let now = app.clock.now();
    let queued = events.len();
    // The deliveries in transactions of at most the table's limit, the audit event in the last.
    let chunks: Vec<&[WebhookEvent]> = events.chunks(MAX_TRANSACTION_OPS - 2).collect();
    let last = chunks.len().saturating_sub(1);
    for (index, chunk) in chunks.into_iter().enumerate() {
        let mut writes = Writes::new(app, now);
        for event in chunk {
            writes.job(Job::Deliver(EventDelivery {
                tenant_id: tenant,
                endpoint_id: id,
                deployment: owner == Owner::Deployment,
                event: event.clone(),
            }))?;
        }
        if index == last && owner != Owner::Deployment {
            writes.audit(AuditEvent {
                tenant,
                action: AuditAction::WebhookReplayed,
                actor,
                subject: None,
                details: json!({"webhook_id": id, "events": queued}),
            })?;
        }
        writes.commit().await.context("filing a replay")?;
    }
    tracing::info!(webhook_id = %id, tenant_id = %tenant, events = queued, "webhook events replayed");
    Ok(Replayed { queued, more_after })
}

async fn one_event(app: &App, tenant: TenantId, raw: &str) -> Result<WebhookEvent, WebhookError> {
    let id = event_id(raw.trim_end_matches("_membership")).ok_or(WebhookError::UnknownEvent)?;
    let record: Option<EventRecord> = from_optional(
        app.table
            .get(&keys::event(tenant, id))
            .await
            .context("reading the event")?,
    )
    .context("reading the event")?;
    record
        .as_ref()
        .map(WebhookEvent::of_record)
        .unwrap_or_default()
        .into_iter()
        .find(|event| event.id == raw)
        .ok_or(WebhookError::UnknownEvent)
}

/// The events after `start` that `endpoint` wants, oldest first, at most [`MAX_REPLAY`] of them
/// out of at most [`MAX_SCANNED`] entries; and the last entry looked at when the log goes on.
async fn events_after(
    app: &App,
    tenant: TenantId,
    endpoint: &WebhookEndpointRecord,
    start: EventId,
) -> Result<(Vec<WebhookEvent>, Option<String>), InternalError> {
    let pk = keys::tenant_pk(tenant);
    let mut after: Key = keys::event(tenant, start);
    let mut events = Vec::new();
    let mut scanned = 0;
    loop {
        let page = app
            .table
            .query(&pk, keys::EVENT_PREFIX, Some(&after), 200)
            .await
            .context("reading the log")?;
        for item in page.items {
            let Some(key) = Key::of(&item) else { continue };
            // Per-person copies filed by earlier releases are not the log's own entries.
            let legacy_copy = key
                .sk
                .strip_prefix(keys::EVENT_PREFIX)
                .is_some_and(|rest| rest.contains('#'));
            after = key;
            if legacy_copy {
                continue;
            }
            let record: EventRecord = from_item(item).context("reading an event")?;
            let wanted = WebhookEvent::of_record(&record)
                .into_iter()
                .filter(|e| endpoint.wants(&e.kind));
            events.extend(wanted);
            scanned += 1;
            // An entry's events go together; the cap may be passed by one.
            if events.len() >= MAX_REPLAY || scanned >= MAX_SCANNED {
                return Ok((events, Some(format!("evt_{}", record.id))));
            }
        }
        if page.next.is_none() {
            return Ok((events, None));
        }
    }
}
