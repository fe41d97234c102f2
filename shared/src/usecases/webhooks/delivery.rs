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

use super::catalogue::WebhookEvent;
use super::endpoints::{self, WebhookEndpointRecord, secret_context};
use super::guard;
use crate::app::App;
use crate::domain::{TenantId, WebhookId};
use crate::keys;
use crate::records::{from_optional, to_item};
use crate::table::{Condition, Op};
use crate::usecases::commit::Writes;
use crate::usecases::jobs::Job;
use crate::usecases::{Context, InternalError};

/// The events of one commit, to be fanned out to the endpoints that want them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventBatch {
    pub tenant_id: TenantId,
    pub events: Vec<WebhookEvent>,
}

/// One event for one endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventDelivery {
    pub tenant_id: TenantId,
    pub endpoint_id: WebhookId,
    pub event: WebhookEvent,
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

/// Deliveries one fan-out files in its transaction at most; more are split in two jobs.
const FAN_OUT: usize = 90;

/// How much of an answer the delivery log keeps.
const EXCERPT: usize = 200;

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

/// The fan-out job: a delivery for each event and each enabled endpoint that wants it.
pub(crate) async fn fan_out(app: &App, batch: EventBatch, done: Op) -> Result<(), InternalError> {
    let endpoints = endpoints::of_tenant(app, batch.tenant_id).await?;
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
                    event: event.clone(),
                })
        })
        .collect();
    if deliveries.len() > FAN_OUT && batch.events.len() > 1 {
        let (first, second) = batch.events.split_at(batch.events.len() / 2);
        for half in [first, second] {
            writes.job(Job::Events(EventBatch {
                tenant_id: batch.tenant_id,
                events: half.to_vec(),
            }))?;
        }
    } else {
        for delivery in deliveries {
            writes.job(Job::Deliver(delivery))?;
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
    let key = keys::webhook(delivery.tenant_id, delivery.endpoint_id);
    let endpoint: Option<WebhookEndpointRecord> =
        from_optional(app.table.get(&key).await.context("reading the endpoint")?)
            .context("reading the endpoint")?;
    let now = app.clock.now();
    let mut writes = Writes::new(app, now);
    writes.op(done);
    // An endpoint deleted or disabled since: the delivery is dropped.
    let Some(endpoint) = endpoint.filter(|e| e.enabled) else {
        return writes.commit().await.context("dropping a delivery");
    };
    let secret = app
        .outbox
        .open_secret(&secret_context(endpoint.id), &endpoint.secret)
        .context("opening the endpoint's secret")?;
    let started = Instant::now();
    let Answer {
        status,
        excerpt,
        retry_after,
    } = attempt(app, &endpoint, &delivery.event, &secret, now).await;
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
            &keys::webhook_attempt(delivery.tenant_id, endpoint.id, &attempt_id.to_string()),
            &record,
            Some(now + chrono::Duration::days(30)),
        )
        .context("building the delivery log")?,
    );
    match outcome {
        Outcome::Delivered => {
            writes.op(logged);
            writes.commit().await.context("recording a delivery")?;
            tracing::info!(webhook_id = %endpoint.id, event_id = %delivery.event.id, "webhook delivered");
            Ok(())
        }
        Outcome::Gone => {
            let disabled = WebhookEndpointRecord {
                enabled: false,
                updated_at: now,
                version: endpoint.version + 1,
                ..endpoint.clone()
            };
            writes.op(logged).op(Op::put_if(
                to_item(&key, &disabled, None).context("building the endpoint")?,
                Condition::VersionIs(endpoint.version),
            ));
            writes.commit().await.context("disabling a gone endpoint")?;
            tracing::warn!(webhook_id = %endpoint.id, "webhook endpoint answered 410: disabled");
            Ok(())
        }
        Outcome::Failed => {
            // The attempt is logged on its own; the job stays, for the outbox to try again.
            if let Err(error) = app.table.transact(vec![logged]).await {
                tracing::warn!(error = ?error, "a delivery attempt was not logged");
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
    secret: &[u8],
    now: DateTime<Utc>,
) -> Answer {
    let url = match url::Url::parse(&endpoint.url) {
        Ok(url) => url,
        Err(_) => return Answer::none("the url does not parse"),
    };
    let addresses = match guard::resolve(&url, app.config.webhook_receivers).await {
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
        .header(
            "webhook-signature",
            signature(secret, &event.id, timestamp, &body),
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
