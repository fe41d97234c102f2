//! On AWS, every event can also go onto an EventBridge bus in the operator's account (the
//! template's `EventBus` parameter), so the operator routes events with rules of their own:
//! to a queue, a Step Functions workflow, another account. The fan-out puts each batch on the
//! bus before it files the deliveries; a put that fails fails the fan-out, which runs again.
//! So every event reaches the bus at least once; the `id` in its detail tells a repeat.

use async_trait::async_trait;
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;

use super::catalogue::WebhookEvent;

/// Where events go besides the endpoints.
#[async_trait]
pub trait EventBus: Send + Sync {
    /// Puts every one of `events` on the bus, or fails.
    async fn put(&self, events: &[WebhookEvent]) -> anyhow::Result<()>;
}

/// The `source` of every event Usher puts on a bus; the `detail-type` is the event's type.
pub const SOURCE: &str = "usher";

/// Entries one `PutEvents` call takes at most.
const PER_CALL: usize = 10;

/// Calls made for the entries a call did not take, before the put fails.
const TRIES: usize = 3;

/// An EventBridge bus, through the official SDK.
pub struct EventBridgeBus {
    client: Client,
    bus_name: String,
}

impl EventBridgeBus {
    pub fn new(client: Client, bus_name: String) -> Self {
        Self { client, bus_name }
    }

    /// The client from the AWS environment. A call that takes longer than 5 seconds, retries
    /// included, fails: the fan-out runs under an outbox claim that must outlive it.
    pub async fn from_env(bus_name: String) -> Self {
        let config = crate::aws::sdk_config(std::time::Duration::from_secs(5)).await;
        Self::new(Client::new(&config), bus_name)
    }

    fn entry(&self, event: &WebhookEvent) -> anyhow::Result<PutEventsRequestEntry> {
        Ok(PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus_name)
            .source(SOURCE)
            .detail_type(&event.kind)
            .detail(serde_json::to_string(event)?)
            .time(aws_sdk_eventbridge::primitives::DateTime::from_millis(
                event.timestamp.timestamp_millis(),
            ))
            .build())
    }
}

#[async_trait]
impl EventBus for EventBridgeBus {
    async fn put(&self, events: &[WebhookEvent]) -> anyhow::Result<()> {
        for chunk in events.chunks(PER_CALL) {
            let mut entries = chunk
                .iter()
                .map(|e| self.entry(e))
                .collect::<anyhow::Result<Vec<_>>>()?;
            for _ in 0..TRIES {
                let answer = self
                    .client
                    .put_events()
                    .set_entries(Some(entries.clone()))
                    .send()
                    .await?;
                if answer.failed_entry_count() == 0 {
                    entries.clear();
                    break;
                }
                // The answer's entries line up with the request's: keep the ones that failed.
                entries = entries
                    .into_iter()
                    .zip(answer.entries())
                    .filter(|(_, result)| result.error_code().is_some())
                    .map(|(entry, _)| entry)
                    .collect();
            }
            if !entries.is_empty() {
                anyhow::bail!(
                    "{} events were not taken by the bus {}",
                    entries.len(),
                    self.bus_name
                );
            }
        }
        Ok(())
    }
}
