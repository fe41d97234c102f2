//! The mail-sender Lambda's handler, fed the stream and schedule fixtures in `events/` (the files
//! `sam local invoke` takes) through the same fixture helper as the HTTP functions.

use std::sync::Arc;

use aws_lambda_events::event::streams::DynamoDbEventResponse;
use lambda_runtime::{Context, LambdaEvent};
use usher_core::app::{App, Config};
use usher_core::clock::OsRandom;
use usher_core::domain::{EmailAddress, Locale, PersonName, TenantName};
use usher_core::keys;
use usher_core::mail::{MailTemplate, OutboxDispatcher, OutboxKey};
use usher_core::table::{EmbeddedTable, Key, Table};
use usher_core::usecases::bootstrap_tenant::{
    BootstrapTenant, FirstPassword, TenantOptions, bootstrap_tenant,
};
use usher_core::usecases::dispatch;
use usher_core::usecases::forgot_password::request_password_reset;
use usher_core::usecases::jobs::Job;
use usher_mail_sender::{Trigger, handler};
use usher_tests::{RecordingMailer, fixture};

struct Sender {
    _dir: tempfile::TempDir,
    app: App,
    dispatcher: OutboxDispatcher<Job>,
    mailer: Arc<RecordingMailer>,
}

impl Sender {
    async fn new(mailer: RecordingMailer) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let table: Arc<dyn Table> =
            Arc::new(EmbeddedTable::open(&dir.path().join("t.redb")).unwrap());
        let app = App::builder(
            table,
            &OutboxKey::generate(&OsRandom),
            Config::new("https://usher.example"),
        )
        .build();
        let mailer = Arc::new(mailer);
        let dispatcher = dispatch::dispatcher(&app, mailer.clone());
        Self {
            _dir: dir,
            app,
            dispatcher,
            mailer,
        }
    }

    /// Files one mail; returns its key.
    async fn file_mail(&self) -> Key {
        let mail = MailTemplate::PasswordChanged {
            first_name: "Ada".into(),
            sign_in_url: "https://usher.example/".into(),
            first: false,
        }
        .render(&EmailAddress::parse("ada@example.org").unwrap(), Locale::En)
        .unwrap();
        let op = self
            .app
            .outbox
            .enqueue(&mail, self.app.clock.now(), &OsRandom)
            .unwrap();
        let key = op.key().unwrap();
        self.app.table.transact(vec![op]).await.unwrap();
        key
    }

    /// The keys of the outbox items waiting now.
    async fn waiting(&self) -> Vec<Key> {
        let mut keys = Vec::new();
        for pk in keys::outbox_partitions() {
            let page = self.app.table.query(&pk, "", None, 100).await.unwrap();
            keys.extend(page.items.iter().map(|item| Key::of(item).unwrap()));
        }
        keys
    }

    async fn invoke(&self, trigger: Trigger) -> Option<DynamoDbEventResponse> {
        let event = LambdaEvent::new(trigger, Context::default());
        handler(&self.dispatcher, event).await.unwrap()
    }

    /// The stream's insert record of the item at `key`.
    async fn stream_insert(&self, key: &Key) -> Option<DynamoDbEventResponse> {
        let text = fixture(
            "mail-sender-outbox-insert.json",
            &[("OUTBOX_PK", &key.pk), ("OUTBOX_ID", &key.sk)],
        );
        self.invoke(serde_json::from_str(&text).unwrap()).await
    }

    async fn sweep(&self) -> Option<DynamoDbEventResponse> {
        let text = fixture("mail-sender-sweep.json", &[]);
        self.invoke(serde_json::from_str(&text).unwrap()).await
    }
}

fn retried(response: Option<DynamoDbEventResponse>) -> Vec<String> {
    response
        .expect("a stream batch is answered")
        .batch_item_failures
        .into_iter()
        .filter_map(|f| f.item_identifier)
        .collect()
}

#[test]
fn both_fixtures_are_recognised() {
    let stream: Trigger = serde_json::from_str(&fixture(
        "mail-sender-outbox-insert.json",
        &[("OUTBOX_PK", "OUTBOX#03"), ("OUTBOX_ID", "01K")],
    ))
    .unwrap();
    assert!(matches!(stream, Trigger::Stream(e) if e.records.len() == 1));
    let schedule: Trigger = serde_json::from_str(&fixture("mail-sender-sweep.json", &[])).unwrap();
    assert!(matches!(schedule, Trigger::Schedule(_)));
}

#[tokio::test]
async fn a_sweep_sends_what_waits_and_the_late_stream_record_sends_nothing_more() {
    let sender = Sender::new(RecordingMailer::default()).await;
    let key = sender.file_mail().await;
    assert!(sender.sweep().await.is_none());
    assert_eq!(sender.mailer.sent_ids(), vec![key.sk.clone()]);
    assert!(retried(sender.stream_insert(&key).await).is_empty());
    assert_eq!(sender.mailer.sent().len(), 1);
}

#[tokio::test]
async fn a_stream_insert_of_an_outbox_item_sends_it_once() {
    let sender = Sender::new(RecordingMailer::default()).await;
    let key = sender.file_mail().await;
    assert!(retried(sender.stream_insert(&key).await).is_empty());
    // Lambda delivers a record at least once: the same record again sends nothing more.
    assert!(retried(sender.stream_insert(&key).await).is_empty());
    assert_eq!(sender.mailer.sent_ids(), vec![key.sk]);
}

#[tokio::test]
async fn a_failed_send_is_reported_for_retry_and_the_retry_sends_at_once() {
    let sender = Sender::new(RecordingMailer::failing()).await;
    let key = sender.file_mail().await;
    assert_eq!(retried(sender.stream_insert(&key).await), vec!["111"]);
    // SES is back. Lambda's retry of the record is the schedule: no stored backoff delays it.
    sender.mailer.recover();
    assert!(retried(sender.stream_insert(&key).await).is_empty());
    assert_eq!(sender.mailer.sent_ids(), vec![key.sk]);
    assert_eq!(sender.mailer.attempts(), 2);
}

#[tokio::test]
async fn a_record_of_another_partition_is_not_touched() {
    let sender = Sender::new(RecordingMailer::default()).await;
    let key = sender.file_mail().await;
    let elsewhere = Key::new("TENANT#01K", key.sk.clone());
    assert!(retried(sender.stream_insert(&elsewhere).await).is_empty());
    assert!(sender.mailer.sent().is_empty());
    assert_eq!(sender.waiting().await, vec![key]);
}

#[tokio::test]
async fn a_reset_request_from_the_stream_files_the_link_mail_which_the_next_record_sends() {
    let sender = Sender::new(RecordingMailer::default()).await;
    let owner = "owner@example.org";
    bootstrap_tenant(
        &sender.app,
        BootstrapTenant {
            name: TenantName::parse("Acme").unwrap(),
            owner_email: EmailAddress::parse(owner).unwrap(),
            owner_first_name: PersonName::parse("Olga").unwrap(),
            owner_last_name: PersonName::parse("Owner").unwrap(),
            first_password: FirstPassword::Generate,
            options: TenantOptions::default(),
        },
    )
    .await
    .unwrap();
    // The new tenant's webhook events are fanned out first: what waits then is the requests'.
    assert!(sender.sweep().await.is_none());
    for email in [owner, "nobody@example.org"] {
        request_password_reset(&sender.app, EmailAddress::parse(email).unwrap())
            .await
            .unwrap();
    }
    let jobs = sender.waiting().await;
    assert_eq!(jobs.len(), 2);
    for job in &jobs {
        assert!(retried(sender.stream_insert(job).await).is_empty());
    }
    // The jobs are done and gone; the real account's left one mail, which its own stream
    // record sends.
    let mails = sender.waiting().await;
    assert_eq!(mails.len(), 1, "one link mail, none for the unknown email");
    assert!(!jobs.contains(&mails[0]));
    assert!(retried(sender.stream_insert(&mails[0]).await).is_empty());
    let sent = sender.mailer.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to.as_str(), owner);
    assert!(sent[0].text.contains("https://usher.example/reset/"));
    assert!(sender.waiting().await.is_empty());
}
