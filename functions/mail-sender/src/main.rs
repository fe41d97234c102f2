//! The outbox sender. Invoked by the table's stream for each new outbox item, it sends the mail
//! through SES; a failed send is reported as a batch item failure, so Lambda retries that record
//! until it goes out. Invoked by a schedule, it sweeps the outbox for anything still waiting (a
//! record whose stream retries ran out, a stream that was disabled), honouring each item's
//! backoff. Claims make the two paths safe together: each item is sent once.

use std::sync::Arc;

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::{LambdaEvent, service_fn};
use serde::Deserialize;
use serde_dynamo::AttributeValue;
use usher_core::domain::OutboxId;
use usher_core::keys::OUTBOX_PK;
use usher_core::mail::{Delivery, OutboxDispatcher, SesMailer};
use usher_core::runtime;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    runtime::init_telemetry(runtime::LogFormat::Json);
    // Jobs (a reset request) read accounts and file links, so the sender needs the whole app.
    let app = runtime::lambda_app().await?;
    let mailer = SesMailer::from_env(
        runtime::required("USHER_MAIL_FROM")?,
        std::env::var("USHER_SES_CONFIGURATION_SET").ok(),
    )
    .await;
    let dispatcher = OutboxDispatcher::new(&app, Arc::new(mailer));
    let dispatcher = &dispatcher;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Trigger>| async move {
        match event.payload {
            Trigger::Stream(stream) => {
                Ok::<_, lambda_runtime::Error>(Some(handle(dispatcher, stream).await))
            }
            Trigger::Schedule(scheduled) => {
                tracing::debug!(trigger = %scheduled.detail_type, "sweeping the outbox");
                sweep(dispatcher).await.map(|()| None)
            }
        }
    }))
    .await
}

/// What invokes this function: the table's stream (a batch of records) or the sweep schedule.
#[derive(Deserialize)]
#[serde(untagged)]
enum Trigger {
    Stream(Event),
    Schedule(ScheduledEvent),
}

/// The part of an EventBridge scheduled event this function reads.
#[derive(Deserialize)]
struct ScheduledEvent {
    #[serde(rename = "detail-type")]
    detail_type: String,
}

/// Drains the outbox; an error fails the invocation so it shows in the function's metrics.
async fn sweep(dispatcher: &OutboxDispatcher) -> Result<(), lambda_runtime::Error> {
    let report = dispatcher.drain().await?;
    tracing::info!(sent = report.sent, failed = report.failed, "outbox swept");
    Ok(())
}

fn string_key(keys: &serde_dynamo::Item, name: &str) -> Option<String> {
    match keys.get(name) {
        Some(AttributeValue::S(value)) => Some(value.clone()),
        _ => None,
    }
}

/// Sends the outbox item behind each record; answers the records to retry.
async fn handle(dispatcher: &OutboxDispatcher, event: Event) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    for record in event.records {
        let keys = &record.change.keys;
        if string_key(keys, "pk").as_deref() != Some(OUTBOX_PK) {
            continue;
        }
        let Some(id) = string_key(keys, "sk").and_then(|sk| sk.parse::<OutboxId>().ok()) else {
            tracing::warn!("an outbox record without a valid id was skipped");
            continue;
        };
        let outcome = dispatcher.deliver(id).await;
        let retry = match &outcome {
            Ok(Delivery::Sent | Delivery::AlreadySent) => false,
            // NotNow: claimed by another sender or waiting for its backoff; retrying the record
            // lets Lambda come back to it.
            Ok(Delivery::NotNow | Delivery::Failed) => true,
            Err(error) => {
                tracing::error!(outbox_id = %id, error = ?error, "outbox delivery failed");
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;
    use usher_core::app::{App, Config};
    use usher_core::clock::{OsRandom, SystemClock};
    use usher_core::domain::{EmailAddress, PasswordHasherService};
    use usher_core::mail::{MailError, Mailer, Outbox, OutboxKey, OutgoingMail};
    use usher_core::table::{EmbeddedTable, Op, Table};

    use super::*;

    struct Recorder(Mutex<Vec<String>>, bool);

    #[async_trait]
    impl Mailer for Recorder {
        async fn send(&self, message_id: &str, _mail: &OutgoingMail) -> Result<(), MailError> {
            if self.1 {
                return Err(MailError::Send(anyhow::anyhow!("SES is down")));
            }
            self.0.lock().unwrap().push(message_id.to_owned());
            Ok(())
        }
    }

    async fn setup(failing: bool) -> (tempfile::TempDir, OutboxDispatcher, Arc<Recorder>, String) {
        let (dir, dispatcher, recorder, id, _) = setup_app(failing).await;
        (dir, dispatcher, recorder, id)
    }

    async fn setup_app(
        failing: bool,
    ) -> (
        tempfile::TempDir,
        OutboxDispatcher,
        Arc<Recorder>,
        String,
        App,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let table = Arc::new(EmbeddedTable::open(&dir.path().join("t.redb")).unwrap());
        let outbox = Outbox::new(&OutboxKey::generate(&OsRandom));
        let mail = OutgoingMail {
            to: EmailAddress::parse("ada@example.org").unwrap(),
            subject: "Hello".into(),
            text: "text".into(),
            html: "<p>html</p>".into(),
            headers: vec![],
        };
        let op = outbox
            .enqueue(&mail, chrono::Utc::now(), &OsRandom)
            .unwrap();
        let Op::Put { item, .. } = &op else { panic!() };
        let id = item["sk"].as_str().unwrap().to_owned();
        table.transact(vec![op]).await.unwrap();
        let recorder = Arc::new(Recorder(Mutex::new(vec![]), failing));
        let app = App {
            table,
            clock: Arc::new(SystemClock),
            random: Arc::new(OsRandom),
            hasher: PasswordHasherService::owasp(),
            outbox,
            config: Config::new("https://usher.example"),
            mail_waker: None,
        };
        let dispatcher = OutboxDispatcher::new(&app, recorder.clone());
        (dir, dispatcher, recorder, id, app)
    }

    fn event_for(id: &str) -> Event {
        let fixture = include_str!("../../../events/mail-sender-outbox-insert.json");
        serde_json::from_str(&fixture.replace("01JOUTBOXPLACEHOLDER000000", id)).unwrap()
    }

    #[test]
    fn both_triggers_are_recognised() {
        let stream: Trigger = serde_json::from_str(include_str!(
            "../../../events/mail-sender-outbox-insert.json"
        ))
        .unwrap();
        assert!(matches!(stream, Trigger::Stream(e) if e.records.len() == 1));
        let schedule: Trigger =
            serde_json::from_str(include_str!("../../../events/mail-sender-sweep.json")).unwrap();
        assert!(matches!(schedule, Trigger::Schedule(_)));
    }

    #[tokio::test]
    async fn a_sweep_sends_what_waits_in_the_outbox() {
        let (_dir, dispatcher, recorder, id) = setup(false).await;
        sweep(&dispatcher).await.unwrap();
        assert_eq!(*recorder.0.lock().unwrap(), vec![id.clone()]);
        // Then the stream record arrives: already sent, nothing more.
        assert!(
            handle(&dispatcher, event_for(&id))
                .await
                .batch_item_failures
                .is_empty()
        );
        assert_eq!(recorder.0.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_stream_insert_of_an_outbox_item_sends_it_once() {
        let (_dir, dispatcher, recorder, id) = setup(false).await;
        let response = handle(&dispatcher, event_for(&id)).await;
        assert!(response.batch_item_failures.is_empty());
        // The same record delivered again (Lambda retries at least once) sends nothing more.
        let response = handle(&dispatcher, event_for(&id)).await;
        assert!(response.batch_item_failures.is_empty());
        assert_eq!(*recorder.0.lock().unwrap(), vec![id]);
    }

    #[tokio::test]
    async fn a_failed_send_is_reported_for_retry_and_the_retry_sends_at_once() {
        let (_dir, dispatcher, recorder, id) = setup(true).await;
        let response = handle(&dispatcher, event_for(&id)).await;
        assert_eq!(response.batch_item_failures.len(), 1);
        assert_eq!(
            response.batch_item_failures[0].item_identifier.as_deref(),
            Some("111")
        );
        // SES is back. Lambda's retry of the record is the schedule: no stored backoff delays it.
        let working = Arc::new(Recorder(Mutex::new(vec![]), false));
        let dispatcher = OutboxDispatcher {
            mailer: working.clone(),
            ..dispatcher
        };
        let response = handle(&dispatcher, event_for(&id)).await;
        assert!(response.batch_item_failures.is_empty());
        assert_eq!(*working.0.lock().unwrap(), vec![id]);
        assert!(recorder.0.lock().unwrap().is_empty());
    }

    /// The ids of the outbox items waiting now.
    async fn waiting(app: &App) -> Vec<String> {
        app.table
            .query(OUTBOX_PK, "", None, 100)
            .await
            .unwrap()
            .items
            .iter()
            .map(|item| item["sk"].as_str().unwrap().to_owned())
            .collect()
    }

    #[tokio::test]
    async fn a_reset_request_from_the_stream_files_the_link_mail_which_the_next_record_sends() {
        let (_dir, dispatcher, recorder, first_mail, app) = setup_app(false).await;
        handle(&dispatcher, event_for(&first_mail)).await;
        let owner = "owner@example.org";
        usher_core::usecases::bootstrap_tenant::bootstrap_tenant(
            &app,
            usher_core::usecases::bootstrap_tenant::BootstrapTenant {
                name: usher_core::domain::TenantName::parse("Acme").unwrap(),
                owner_email: EmailAddress::parse(owner).unwrap(),
                owner_first_name: usher_core::domain::PersonName::parse("Olga").unwrap(),
                owner_last_name: usher_core::domain::PersonName::parse("Owner").unwrap(),
                generate_password: true,
            },
        )
        .await
        .unwrap();
        for email in [owner, "nobody@example.org"] {
            usher_core::usecases::forgot_password::request_password_reset(
                &app,
                EmailAddress::parse(email).unwrap(),
            )
            .await
            .unwrap();
        }
        let jobs = waiting(&app).await;
        assert_eq!(jobs.len(), 2);
        for job in &jobs {
            assert!(
                handle(&dispatcher, event_for(job))
                    .await
                    .batch_item_failures
                    .is_empty()
            );
        }
        // The jobs are done and gone; the real account's left one mail, which its own stream
        // record sends.
        let mails = waiting(&app).await;
        assert_eq!(mails.len(), 1, "one link mail, none for the unknown email");
        assert!(!jobs.contains(&mails[0]));
        assert!(
            handle(&dispatcher, event_for(&mails[0]))
                .await
                .batch_item_failures
                .is_empty()
        );
        assert_eq!(recorder.0.lock().unwrap().len(), 2);
        assert!(waiting(&app).await.is_empty());
    }
}
