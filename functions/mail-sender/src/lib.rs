//! The outbox sender. Invoked by the table's stream for each new outbox item, it sends the mail
//! through SES (or does the job); a failed send is reported as a batch item failure, so Lambda
//! retries that record until it goes out. Invoked by a schedule, it sweeps every outbox partition
//! for anything still waiting (a record whose stream retries ran out, a stream that was disabled),
//! honouring each item's backoff. Claims make the two paths safe together: each item is sent once.

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::LambdaEvent;
use serde::Deserialize;
use serde_dynamo::AttributeValue;
use usher_core::keys;
use usher_core::mail::{Delivery, OutboxDispatcher};
use usher_core::table::Key;
use usher_core::usecases::jobs::Job;

/// What invokes this function: the table's stream (a batch of records) or the sweep schedule.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum Trigger {
    Stream(Event),
    Schedule(ScheduledEvent),
}

/// The part of an EventBridge scheduled event this function reads.
#[derive(Deserialize)]
pub struct ScheduledEvent {
    #[serde(rename = "detail-type")]
    pub detail_type: String,
}

/// The function's handler: a stream batch is answered with the records to retry, a sweep with
/// nothing (its failure fails the invocation, so it shows in the function's metrics).
pub async fn handler(
    dispatcher: &OutboxDispatcher<Job>,
    event: LambdaEvent<Trigger>,
) -> Result<Option<DynamoDbEventResponse>, lambda_runtime::Error> {
    match event.payload {
        Trigger::Stream(stream) => Ok(Some(send_stream_records(dispatcher, stream).await)),
        Trigger::Schedule(scheduled) => {
            tracing::debug!(trigger = %scheduled.detail_type, "sweeping the outbox");
            let report = dispatcher.drain().await?;
            tracing::info!(
                sent = report.sent,
                failed = report.failed,
                waiting = report.waiting,
                "outbox swept"
            );
            Ok(None)
        }
    }
}

fn string_key(keys: &serde_dynamo::Item, name: &str) -> Option<String> {
    match keys.get(name) {
        Some(AttributeValue::S(value)) => Some(value.clone()),
        _ => None,
    }
}

/// Sends the outbox item behind each record; answers the records to retry.
async fn send_stream_records(
    dispatcher: &OutboxDispatcher<Job>,
    event: Event,
) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    for record in event.records {
        let keys = &record.change.keys;
        let (Some(pk), Some(sk)) = (string_key(keys, "pk"), string_key(keys, "sk")) else {
            tracing::warn!("a stream record without string keys was skipped");
            continue;
        };
        // The event source's filter lets only outbox inserts through; anything else is not ours.
        if !keys::is_outbox_partition(&pk) {
            continue;
        }
        let key = Key::new(pk, sk);
        let retry = match dispatcher.deliver(&key).await {
            // A webhook delivery that failed waits for its own schedule: a sweep tries it when
            // due, and the stream goes on with the other records.
            Ok(Delivery::Sent | Delivery::AlreadySent | Delivery::Deferred { .. }) => false,
            // Claimed by another sender, or failed: retrying the record lets Lambda come back.
            Ok(Delivery::NotNow { .. } | Delivery::Failed) => true,
            Err(error) => {
                tracing::error!(outbox_item = %key.sk, error = ?error, "outbox delivery failed");
                true
            }
        };
        if retry {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number.clone();
            response.batch_item_failures.push(failure);
        }
    }
    response
}
