//! From a committed change to a signed request at each endpoint that wants it.
//!
//! A commit whose audit events include catalogue events files one `Job::Events` in its own
//! transaction (see `commit`), so no change commits without its events and none exists without
//! its change. That job fans out: one `Job::Deliver` per event and endpoint that wants it, filed
//! in the transaction that deletes the fan-out job, so each delivery is filed once. Each delivery
//! is then an outbox item of its own, retried with the outbox's backoff: an endpoint that is
//! down delays only its own deliveries.
//!
//! A request follows Standard Webhooks: `webhook-id` (the event's id, the same on every retry),
//! `webhook-timestamp` (Unix seconds of the attempt), `webhook-signature` (`v1,` and the base64
//! HMAC-SHA256, keyed with the secret's bytes, of `id.timestamp.body`). Any 2xx within 15 seconds
//! is success; `410 Gone` disables the endpoint; anything else is tried again. Every attempt is
//! in the endpoint's delivery log, with its status, latency and a short excerpt of the answer.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use ring::hmac;
use serde::{Deserialize, Serialize};

use serde_json::json;

use super::catalogue::WebhookEvent;
use super::endpoints::{
    self, DisabledReason, FAILING_LIMIT_DAYS, Owner, WebhookEndpointRecord, secret_context,
};
use super::{gate, guard};
use crate::app::App;
use crate::domain::{Role, TenantId, WebhookId};
use crate::keys;
use crate::mail::MailTemplate;
use crate::records::{Actor, MembershipRecord, TenantRecord, from_item, from_optional, to_item};
use crate::table::{Condition, Op, TransactError};
use crate::usecases::audit::{AuditAction, AuditEvent};
use crate::usecases::commit::Writes;
use crate::usecases::jobs::{InvitationExpiry, Job};
use crate::usecases::listing::for_each_item;
use crate::usecases::{Context, InternalError};

/// The events of one commit, to be fanned out to the endpoints that want them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventBatch {
    pub tenant_id: TenantId,
    pub events: Vec<WebhookEvent>,
    /// Put on the event bus already: a half of a batch that was split after its put.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub on_bus: bool,
}

/// One event for one endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventDelivery {
    /// The tenant the event is of.
    pub tenant_id: TenantId,
    pub endpoint_id: WebhookId,
    /// Whether the endpoint is the deployment's rather than the tenant's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deployment: bool,
    pub event: WebhookEvent,
}

impl EventDelivery {
    fn owner(&self) -> Owner {
        if self.deployment {
            Owner::Deployment
        } else {
            Owner::Tenant(self.tenant_id)
        }
    }
}

/// When a failed delivery is tried again: seconds after the 1st, 2nd, ... failure (5 s, 5 min,
/// 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, then every 24 h), by the sweep that finds it due.
pub const RETRY_SCHEDULE: &[i64] = &[
    5,
    5 * 60,
    30 * 60,
    2 * 3600,
    5 * 3600,
    10 * 3600,
    14 * 3600,
    20 * 3600,
    24 * 3600,
];

/// How long a receiver has to answer.
const TIMEOUT: Duration = Duration::from_secs(15);

/// How long one delivery job may take: the answer, and the DNS lookup and writes around it.
pub const WORK_TIMEOUT: Duration = Duration::from_secs(TIMEOUT.as_secs() + 5);

/// Deliveries one fan-out files in its transaction at most; more are split in two jobs.
const FAN_OUT: usize = 90;

/// How much of an answer the delivery log keeps.
const EXCERPT: usize = 200;

/// An endpoint Usher turned off, for its tenant's owners to hear of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisabledNotice {
    pub tenant_id: TenantId,
    pub endpoint_id: WebhookId,
    pub url: String,
    pub reason: DisabledReason,
}

/// One attempt, as the endpoint's delivery log shows it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeliveryAttemptRecord {
    pub endpoint_id: WebhookId,
    pub event_id: String,
    pub event_type: String,
    pub at: DateTime<Utc>,
    /// The HTTP status; `None` when no answer came (refused address, timeout, connection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub success: bool,
    pub latency_ms: u64,
    /// The start of the answer, or why there was none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub excerpt: String,
}

/// The fan-out job: a delivery for each event and each enabled endpoint that wants it, and a
/// watch for each invitation sent or resent (see `invitations::expiry`).
pub(crate) async fn fan_out(app: &App, batch: EventBatch, done: Op) -> Result<(), InternalError> {
    // The bus first: if it fails, nothing is filed and the whole fan-out runs again.
    if let Some(bus) = app.event_bus.as_ref().filter(|_| !batch.on_bus) {
        bus.put(&batch.events)
            .await
            .map_err(|e| InternalError::new("putting events on the bus", e))?;
    }
    // The tenant's endpoints and the deployment's, which receive every tenant's events.
    let mut endpoints = endpoints::of_owner(app, Owner::Tenant(batch.tenant_id)).await?;
    endpoints.extend(endpoints::of_owner(app, Owner::Deployment).await?);
    let mut writes = Writes::new(app, app.clock.now());
    writes.op(done);
    let deliveries: Vec<EventDelivery> = batch
        .events
        .iter()
        .flat_map(|event| {
            endpoints
                .iter()
                .filter(|e| e.wants(&event.kind))
                .map(|e| EventDelivery {
                    tenant_id: batch.tenant_id,
                    endpoint_id: e.id,
                    deployment: e.owner() == Owner::Deployment,
                    event: event.clone(),
                })
        })
        .collect();
    // Invitations sent or resent are watched, so their expiry is recorded (and told).
    let watches: Vec<InvitationExpiry> = batch
        .events
        .iter()
        .filter(|e| e.kind == "invitation.sent" || e.kind == "invitation.resent")
        .filter_map(|e| {
            Some(InvitationExpiry {
                tenant_id: batch.tenant_id,
                invitation_id: e.data.get("invitation_id")?.as_str()?.parse().ok()?,
                expires_at: serde_json::from_value(e.data.get("expires_at")?.clone()).ok()?,
            })
        })
        .collect();
    if deliveries.len() + watches.len() > FAN_OUT && batch.events.len() > 1 {
        let (first, second) = batch.events.split_at(batch.events.len() / 2);
        for half in [first, second] {
            writes.job(Job::Events(EventBatch {
                tenant_id: batch.tenant_id,
                events: half.to_vec(),
                on_bus: batch.on_bus || app.event_bus.is_some(),
            }))?;
        }
    } else {
        for delivery in deliveries {
            writes.job(Job::Deliver(delivery))?;
        }
        for watch in watches {
            writes.job(Job::InvitationExpiry(watch))?;
        }
    }
    writes.commit().await.context("fanning events out")
}

/// Whether the attempt succeeded, and what the endpoint then becomes.
enum Outcome {
    Delivered,
    Gone,
    Failed,
}

/// The delivery job: one attempt. A failure is the job's error, so the outbox tries again later.
pub(crate) async fn deliver(
    app: &App,
    delivery: EventDelivery,
    done: Op,
) -> Result<(), InternalError> {
    let owner = delivery.owner();
    let key = owner.endpoint_key(delivery.endpoint_id);
    let endpoint: Option<WebhookEndpointRecord> =
        from_optional(app.table.get(&key).await.context("reading the endpoint")?)
            .context("reading the endpoint")?;
    let now = app.clock.now();
    let mut writes = Writes::new(app, now);
    // An endpoint deleted or disabled since: the delivery is dropped.
    let Some(endpoint) = endpoint.filter(|e| e.enabled) else {
        writes.op(done);
        return writes.commit().await.context("dropping a delivery");
    };
    let secrets = endpoint
        .signing_secrets(now)
        .map(|sealed| app.outbox.open_secret(&secret_context(endpoint.id), sealed))
        .collect::<Result<Vec<_>, _>>()
        .context("opening the endpoint's secret")?;
    let started = Instant::now();
    let Answer {
        status,
        excerpt,
        retry_after,
    } = match app.webhook_gate.turn(endpoint.id, now).await {
        Ok(_turn) => {
            let answer = attempt(app, &endpoint, &delivery.event, &secrets, now).await;
            if answer.status.is_none() {
                let at = app.clock.now();
                let rest = gate::rest(endpoint.failing_since.unwrap_or(at), at);
                app.webhook_gate.no_answer(endpoint.id, at, rest);
            }
            answer
        }
        // Not an attempt: nothing is logged, and the schedule does not move.
        Err(held_back) => {
            let postponed = crate::mail::Postponed {
                until: held_back.until(),
                reason: held_back.to_string(),
            };
            return Err(InternalError::new(
                "holding a delivery back",
                postponed.into(),
            ));
        }
    };
    let outcome = match status {
        Some(s) if (200..300).contains(&s) => Outcome::Delivered,
        Some(410) => Outcome::Gone,
        _ => Outcome::Failed,
    };
    let record = DeliveryAttemptRecord {
        endpoint_id: endpoint.id,
        event_id: delivery.event.id.clone(),
        event_type: delivery.event.kind.clone(),
        at: now,
        status,
        success: matches!(outcome, Outcome::Delivered),
        latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        excerpt,
    };
    let attempt_id = app.random.ulid(now);
    let logged = Op::put(
        to_item(
            &owner.attempt_key(endpoint.id, &attempt_id.to_string()),
            &record,
            Some(now + chrono::Duration::days(30)),
        )
        .context("building the delivery log")?,
    );
    writes.op(logged);
    match outcome {
        Outcome::Delivered => {
            writes.op(done);
            writes.commit().await.context("recording a delivery")?;
            // Healthy again: the failing streak ends.
            if endpoint.failing_since.is_some() {
                let healthy = WebhookEndpointRecord {
                    failing_since: None,
                    ..endpoint.clone()
                };
                note_streak(app, endpoint_put(&key, &healthy, &endpoint)?).await;
            }
            tracing::info!(webhook_id = %endpoint.id, event_id = %delivery.event.id, "webhook delivered");
            Ok(())
        }
        Outcome::Gone => {
            writes.op(done);
            disable(writes, &endpoint, DisabledReason::Gone).await?;
            tracing::warn!(webhook_id = %endpoint.id, "webhook endpoint answered 410: disabled");
            Ok(())
        }
        Outcome::Failed => {
            let since = endpoint.failing_since.unwrap_or(now);
            if now - since >= chrono::Duration::days(FAILING_LIMIT_DAYS) {
                writes.op(done);
                disable(writes, &endpoint, DisabledReason::Failing).await?;
                tracing::warn!(webhook_id = %endpoint.id, "webhook endpoint failing for days: disabled");
                return Ok(());
            }
            // The attempt is logged without the job's deletion: the job stays, for the outbox
            // to try again.
            if let Err(error) = writes.commit().await {
                tracing::warn!(error = ?error, "a failed delivery attempt was not logged");
            }
            // A streak's start, noted by the first failure.
            if endpoint.failing_since.is_none() {
                let failing = WebhookEndpointRecord {
                    failing_since: Some(now),
                    ..endpoint.clone()
                };
                let noted = app
                    .table
                    .transact(vec![endpoint_put(&key, &failing, &endpoint)?])
                    .await;
                match noted {
                    Ok(())
                    | Err(TransactError::ConditionFailed { .. } | TransactError::Conflict) => {}
                    Err(error) => tracing::warn!(error = ?error, "a failing streak was not noted"),
                }
            }
            let reason = format!("the endpoint answered {status:?}");
            let failure = match retry_after {
                // The receiver said when: the next attempt waits at least that long.
                Some(wait) => anyhow::Error::new(crate::mail::NotBefore {
                    until: now + wait,
                    reason,
                }),
                None => anyhow::anyhow!(reason),
            };
            Err(InternalError::new("delivering a webhook", failure))
        }
    }
}

/// Notes the start or the end of a failing streak, on its own: deliveries to one endpoint
/// that end at the same moment all try, and the one that wins says it for all (the others'
/// conditions fail, which is as good).
async fn note_streak(app: &App, put: Op) {
    match app.table.transact(vec![put]).await {
        Ok(()) | Err(TransactError::ConditionFailed { .. } | TransactError::Conflict) => {}
        Err(error) => tracing::warn!(error = ?error, "a failing streak was not noted"),
    }
}

/// `changed` in place of `read`, if nobody changed it in between. Usher's own bookkeeping (a
/// failing streak) bumps the version too: an admin's edit read before it is then a conflict to
/// retry, rather than a write that silently undoes it.
fn endpoint_put(
    key: &crate::table::Key,
    changed: &WebhookEndpointRecord,
    read: &WebhookEndpointRecord,
) -> Result<Op, InternalError> {
    let changed = WebhookEndpointRecord {
        version: read.version + 1,
        ..changed.clone()
    };
    Ok(Op::put_if(
        to_item(key, &changed, None).context("building the endpoint")?,
        Condition::VersionIs(read.version),
    ))
}

/// Turns `endpoint` off for `reason` with what `writes` holds (the job's deletion, the attempt's
/// log). A tenant's endpoint: in its audit log, and its owners are mailed. The deployment's: in
/// the service's log (its operator sees `disabled_reason`).
async fn disable(
    mut writes: Writes<'_>,
    endpoint: &WebhookEndpointRecord,
    reason: DisabledReason,
) -> Result<(), InternalError> {
    let now = writes.now();
    let key = endpoint.owner().endpoint_key(endpoint.id);
    let disabled = WebhookEndpointRecord {
        enabled: false,
        disabled_reason: Some(reason),
        failing_since: None,
        updated_at: now,
        ..endpoint.clone()
    };
    writes.op(endpoint_put(&key, &disabled, endpoint)?);
    match endpoint.tenant_id {
        Some(tenant) => {
            writes
                .audit(AuditEvent {
                    tenant,
                    action: AuditAction::WebhookDisabled,
                    actor: Actor::System,
                    subject: None,
                    details: json!({"webhook_id": endpoint.id, "url": endpoint.url, "reason": reason}),
                })?
                .job(Job::WebhookDisabled(DisabledNotice {
                    tenant_id: tenant,
                    endpoint_id: endpoint.id,
                    url: endpoint.url.clone(),
                    reason,
                }))?;
        }
        None => {
            tracing::warn!(webhook_id = %endpoint.id, ?reason, "a deployment webhook endpoint was turned off")
        }
    }
    writes.commit().await.context("disabling an endpoint")
}

/// Owners told at most, in the one transaction that deletes the notice's job.
const OWNERS_TOLD: usize = 90;

/// The notice job: mails each owner of the tenant who can use it that the endpoint is off.
/// Owners are few; the members are read a page at a time to find them.
pub(crate) async fn notify_disabled(
    app: &App,
    notice: DisabledNotice,
    done: Op,
) -> Result<(), InternalError> {
    let tenant: Option<TenantRecord> = from_optional(
        app.table
            .get(&keys::tenant(notice.tenant_id))
            .await
            .context("reading the tenant")?,
    )
    .context("reading the tenant")?;
    let mut writes = Writes::new(app, app.clock.now());
    writes.op(done);
    let Some(tenant) = tenant else {
        return writes.commit().await.context("dropping a notice");
    };
    let mut owners = Vec::new();
    for_each_item(
        app,
        &keys::tenant_pk(notice.tenant_id),
        keys::MEMBER_PREFIX,
        |item| {
            let member: MembershipRecord = from_item(item).context("reading a member")?;
            if member.role == Role::Owner && member.is_usable() && owners.len() < OWNERS_TOLD {
                owners.push(member);
            }
            Ok(())
        },
    )
    .await?;
    for owner in &owners {
        let mail = MailTemplate::WebhookDisabled {
            tenant: tenant.name.clone(),
            first_name: owner.first_name.clone(),
            url: notice.url.clone(),
            gone: notice.reason == DisabledReason::Gone,
        };
        writes.mail(&mail, owner.mail_to(), owner.locale)?;
    }
    writes.commit().await.context("telling the owners")?;
    tracing::info!(tenant_id = %notice.tenant_id, webhook_id = %notice.endpoint_id, owners = owners.len(), "owners told of a disabled endpoint");
    Ok(())
}

/// The signature header of `body` for `id` at `timestamp` with `secret`.
pub fn signature(secret: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let mut context = hmac::Context::with_key(&key);
    context.update(format!("{id}.{timestamp}.").as_bytes());
    context.update(body);
    let tag = context.sign();
    format!(
        "v1,{}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, tag.as_ref())
    )
}

/// What one attempt came to.
struct Answer {
    /// `None` when there was no answer; the excerpt then says why.
    status: Option<u16>,
    excerpt: String,
    /// How long the receiver asked to be left alone (`Retry-After`), at most a day.
    retry_after: Option<chrono::Duration>,
}

impl Answer {
    fn none(reason: impl Into<String>) -> Self {
        Self {
            status: None,
            excerpt: reason.into(),
            retry_after: None,
        }
    }
}

/// The longest a receiver's `Retry-After` holds a delivery back: past it, the schedule goes on.
const MAX_RETRY_AFTER: chrono::Duration = chrono::Duration::days(1);

/// A `Retry-After` value (RFC 9110, section 10.2.3): seconds, or an HTTP date; as a wait from
/// `now`, at most [`MAX_RETRY_AFTER`]. `None` for anything else, or a time already past.
fn retry_after(raw: &str, now: DateTime<Utc>) -> Option<chrono::Duration> {
    let raw = raw.trim();
    let wait = match raw.parse::<u32>() {
        Ok(seconds) => chrono::Duration::seconds(i64::from(seconds)),
        Err(_) => DateTime::parse_from_rfc2822(raw).ok()?.with_timezone(&Utc) - now,
    };
    (wait > chrono::Duration::zero()).then(|| wait.min(MAX_RETRY_AFTER))
}

/// Sends `event` to `endpoint` once: checks where the URL resolves now, connects to those very
/// addresses, follows no redirect.
async fn attempt(
    app: &App,
    endpoint: &WebhookEndpointRecord,
    event: &WebhookEvent,
    secrets: &[Vec<u8>],
    now: DateTime<Utc>,
) -> Answer {
    let url = match url::Url::parse(&endpoint.url) {
        Ok(url) => url,
        Err(_) => return Answer::none("the url does not parse"),
    };
    let addresses =
        match guard::resolve(&url, app.config.webhook_receivers, app.resolver.as_ref()).await {
            Ok(addresses) => addresses,
            Err(refused) => return Answer::none(refused.to_string()),
        };
    let Some(host) = url.host_str() else {
        return Answer::none("the url has no host");
    };
    let client = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .resolve_to_addrs(host, &addresses)
        .build()
    {
        Ok(client) => client,
        Err(e) => return Answer::none(format!("no client: {e}")),
    };
    let body = match serde_json::to_vec(event) {
        Ok(body) => body,
        Err(e) => return Answer::none(format!("the event does not serialize: {e}")),
    };
    let timestamp = now.timestamp();
    let sent = client
        .post(url)
        .header("content-type", "application/json")
        .header("user-agent", "Usher-Webhooks/1")
        .header("webhook-id", &event.id)
        .header("webhook-timestamp", timestamp.to_string())
        // One signature per secret in use, space-separated, as the specification has it for
        // a rotation: a receiver with either secret verifies the request.
        .header(
            "webhook-signature",
            secrets
                .iter()
                .map(|secret| signature(secret, &event.id, timestamp, &body))
                .collect::<Vec<_>>()
                .join(" "),
        )
        .body(body)
        .send()
        .await;
    match sent {
        Ok(response) => {
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry_after(v, now));
            Answer {
                status: Some(status),
                excerpt: excerpt(response).await,
                retry_after,
            }
        }
        Err(e) if e.is_timeout() => Answer::none("no answer within 15 s"),
        Err(e) => Answer::none(format!("no answer: {e}")),
    }
}

/// The first [`EXCERPT`] characters of an answer, reading no more of it than needed.
async fn excerpt(mut response: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < EXCERPT * 4 {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    String::from_utf8_lossy(&bytes)
        .chars()
        .take(EXCERPT)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn retry_after_is_read_in_seconds_or_as_a_date_and_held_to_a_day() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-06T10:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let wait = |raw| super::retry_after(raw, now).map(|d| d.num_seconds());
        assert_eq!(wait("120"), Some(120));
        assert_eq!(wait(" 7200 "), Some(7200));
        assert_eq!(wait("Sun, 06 Dec 2026 11:00:00 GMT"), Some(3600));
        assert_eq!(wait("999999999"), Some(86_400), "at most a day");
        assert_eq!(wait("Sun, 06 Dec 2026 09:00:00 GMT"), None, "already past");
        assert_eq!(wait("0"), None);
        assert_eq!(wait("-5"), None);
        assert_eq!(wait("soon"), None);
    }

    use super::*;

    /// The example of the Standard Webhooks specification's reference libraries.
    #[test]
    fn signatures_match_the_specifications_example() {
        let secret = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        )
        .unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signature(&secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }
}
