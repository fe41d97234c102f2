//! The SES adapter against the local SES v2 server (through the real SDK), and the outbox's
//! promise: a mail committed with its state change goes out once, even when sending fails.

use std::sync::Arc;

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use usher_core::app::{App, Config};
use usher_core::clock::{Clock, ManualClock, OsRandom};
use usher_core::domain::{EmailAddress, Locale};
use usher_core::keys;
use usher_core::mail::{
    Delivery, DrainReport, MailTemplate, Mailer, OutboxDispatcher, OutboxKey, OutboxRecord,
    OutgoingMail, Sender, SesMailer,
};
use usher_core::table::{EmbeddedTable, Item, Key, Op, Table};
use usher_core::usecases::dispatch;
use usher_core::usecases::jobs::Job;
use usher_tests::{
    RecordingMailer, Setup, assert_problem, ses_client, ses_endpoint, spawn, spawn_app,
};

fn sample_mail(to: &str) -> OutgoingMail {
    MailTemplate::ChoosePassword {
        tenant: "Help Desk".into(),
        first_name: "Ada".into(),
        link: "https://usher.example/reset/abc".into(),
        valid_for: chrono::Duration::days(7),
    }
    .render(&EmailAddress::parse(to).unwrap(), Locale::It)
    .unwrap()
}

async fn ses_store() -> Vec<Value> {
    let body: Value = reqwest::get(format!("{}/store", ses_endpoint()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["emails"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn the_ses_adapter_sends_subject_text_and_html_through_the_sdk() {
    let to = format!(
        "ses-{}@example.org",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let mailer = SesMailer::new(
        ses_client(),
        Sender::parse("Usher <no-reply@usher.example>").unwrap(),
        None,
    );
    let mail = sample_mail(&to);
    mailer.send("01TESTMESSAGE", &mail).await.unwrap();
    let stored = ses_store().await;
    let sent = stored
        .iter()
        .find(|e| {
            e["destination"]["to"]
                .as_array()
                .is_some_and(|to_list| to_list.iter().any(|t| t == to.as_str()))
        })
        .unwrap_or_else(|| panic!("no mail to {to} in {stored:?}"));
    assert_eq!(sent["subject"], mail.subject);
    // What SES received as the From header reads as one mailbox, name and address.
    assert_eq!(sent["from"], "\"Usher\" <no-reply@usher.example>");
    let header = format!(
        "From: {}\r\nSubject: x\r\n\r\nbody",
        sent["from"].as_str().unwrap()
    );
    let parsed = mail_parser::MessageParser::default()
        .parse(header.as_bytes())
        .unwrap();
    let from = parsed.from().and_then(|a| a.as_list()).unwrap();
    assert_eq!(from.len(), 1);
    assert_eq!(from[0].address.as_deref(), Some("no-reply@usher.example"));
    assert_eq!(from[0].name.as_deref(), Some("Usher"));
    assert_eq!(sent["body"]["text"], mail.text);
    assert_eq!(sent["body"]["html"], mail.html);
}

struct Outbox {
    _dir: tempfile::TempDir,
    app: App,
    table: Arc<dyn Table>,
    dispatcher: OutboxDispatcher<Job>,
    mailer: Arc<RecordingMailer>,
    clock: Arc<ManualClock>,
}

impl Outbox {
    /// An embedded table whose outbox holds `mails` mails, sent through `mailer`.
    async fn with_mails(mails: usize, mailer: RecordingMailer) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let table: Arc<dyn Table> =
            Arc::new(EmbeddedTable::open(&dir.path().join("t.redb")).unwrap());
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let app = App::builder(
            table.clone(),
            &OutboxKey::generate(&OsRandom),
            Config::new("https://usher.example"),
        )
        .clock(clock.clone())
        .build();
        for chunk in (0..mails).collect::<Vec<_>>().chunks(50) {
            let ops = chunk
                .iter()
                .map(|i| {
                    app.outbox
                        .enqueue(
                            &sample_mail(&format!("person-{i}@example.org")),
                            clock.now(),
                            &OsRandom,
                        )
                        .unwrap()
                })
                .collect();
            table.transact(ops).await.unwrap();
        }
        let mailer = Arc::new(mailer);
        let dispatcher = dispatch::dispatcher(&app, mailer.clone());
        Self {
            _dir: dir,
            app,
            table,
            dispatcher,
            mailer,
            clock,
        }
    }

    async fn items(&self) -> Vec<Item> {
        let mut items = Vec::new();
        for pk in keys::outbox_partitions() {
            items.extend(self.table.query(&pk, "", None, 1000).await.unwrap().items);
        }
        items
    }
}

#[tokio::test]
async fn a_mail_whose_sending_fails_is_retried_until_sent_and_sent_once() {
    let outbox = Outbox::with_mails(1, RecordingMailer::failing()).await;
    for _ in 0..3 {
        assert_eq!(outbox.dispatcher.drain().await.unwrap().failed, 1);
        // Nothing is retried before its backoff: a drain right away does nothing.
        let early = outbox.dispatcher.drain().await.unwrap();
        assert_eq!((early.sent, early.failed, early.waiting), (0, 0, 1));
        assert!(early.next_due.unwrap() > outbox.clock.now());
        outbox.clock.advance(Duration::minutes(20));
    }
    outbox.mailer.recover();
    assert_eq!(outbox.dispatcher.drain().await.unwrap().sent, 1);
    outbox.clock.advance(Duration::minutes(20));
    assert_eq!(
        outbox.dispatcher.drain().await.unwrap(),
        DrainReport::default()
    );
    assert_eq!(
        outbox.mailer.attempts(),
        4,
        "three failures, one success, nothing after"
    );
    assert_eq!(outbox.mailer.sent().len(), 1);
    assert!(outbox.items().await.is_empty());
}

#[tokio::test]
async fn concurrent_dispatchers_send_each_mail_once() {
    let outbox = Outbox::with_mails(40, RecordingMailer::default()).await;
    let passes = (0..10).map(|_| outbox.dispatcher.drain());
    let reports = futures::future::join_all(passes).await;
    let sent: usize = reports.iter().map(|r| r.as_ref().unwrap().sent).sum();
    assert_eq!(sent, 40);
    let mut ids = outbox.mailer.sent_ids();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 40, "no mail was sent twice");
}

#[tokio::test]
async fn delivering_an_item_already_sent_sends_nothing() {
    let outbox = Outbox::with_mails(1, RecordingMailer::default()).await;
    let key = Key::of(&outbox.items().await[0]).unwrap();
    assert_eq!(
        outbox.dispatcher.deliver(&key).await.unwrap(),
        Delivery::Sent
    );
    assert_eq!(
        outbox.dispatcher.deliver(&key).await.unwrap(),
        Delivery::AlreadySent
    );
    assert_eq!(outbox.mailer.sent().len(), 1);
}

#[tokio::test]
async fn the_outbox_is_spread_over_its_partitions() {
    let outbox = Outbox::with_mails(250, RecordingMailer::default()).await;
    let partitions: std::collections::BTreeSet<String> = outbox
        .items()
        .await
        .iter()
        .map(|item| Key::of(item).unwrap().pk)
        .collect();
    assert_eq!(
        partitions.len(),
        keys::OUTBOX_SHARDS as usize,
        "{partitions:?}"
    );
    assert!(partitions.iter().all(|pk| keys::is_outbox_partition(pk)));
}

/// A dispatcher that died holding claims (as after a SIGKILL) and items backing off after a
/// failure do not hold up anything behind them, in any partition, past the first page.
#[tokio::test]
async fn a_drain_walks_every_item_past_what_is_claimed_or_backing_off() {
    let outbox = Outbox::with_mails(300, RecordingMailer::default()).await;
    let now = outbox.clock.now();
    let items = outbox.items().await;
    // The dead process claimed 150 items; 30 others are backing off after a failure.
    let mut ops = Vec::new();
    for (i, item) in items.iter().take(180).enumerate() {
        let mut record: OutboxRecord = serde_json::from_value(Value::Object(item.clone())).unwrap();
        if i < 150 {
            record.claimed_until = Some(now + Duration::seconds(10));
        } else {
            record.attempts = 1;
            record.next_attempt_at = now + Duration::seconds(30);
        }
        record.version += 1;
        let mut updated = serde_json::to_value(&record).unwrap();
        updated["pk"] = item["pk"].clone();
        updated["sk"] = item["sk"].clone();
        ops.push(Op::put(updated.as_object().unwrap().clone()));
    }
    for chunk in ops.chunks(100) {
        outbox.table.transact(chunk.to_vec()).await.unwrap();
    }
    let first = outbox.dispatcher.drain().await.unwrap();
    assert_eq!((first.sent, first.waiting), (120, 180));
    assert_eq!(first.next_due, Some(now + Duration::seconds(10)));
    // The dead claims end; then the backoffs.
    outbox.clock.advance(Duration::seconds(11));
    let second = outbox.dispatcher.drain().await.unwrap();
    assert_eq!((second.sent, second.waiting), (150, 30));
    outbox.clock.advance(Duration::seconds(20));
    assert_eq!(outbox.dispatcher.drain().await.unwrap().sent, 30);
    let mut ids = outbox.mailer.sent_ids();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 300, "every mail once");
    assert_eq!(outbox.mailer.sent().len(), 300);
}

/// Items filed in the one `OUTBOX` partition of earlier releases are still sent.
#[tokio::test]
async fn items_in_the_old_single_partition_are_still_sent() {
    let outbox = Outbox::with_mails(0, RecordingMailer::default()).await;
    let Op::Put { mut item, .. } = outbox
        .app
        .outbox
        .enqueue(
            &sample_mail("legacy@example.org"),
            outbox.clock.now(),
            &OsRandom,
        )
        .unwrap()
    else {
        panic!("enqueue files a put")
    };
    item.insert("pk".into(), "OUTBOX".into());
    outbox.table.transact(vec![Op::put(item)]).await.unwrap();
    assert_eq!(outbox.dispatcher.drain().await.unwrap().sent, 1);
    assert_eq!(outbox.mailer.sent()[0].to.as_str(), "legacy@example.org");
    assert!(outbox.items().await.is_empty());
}

/// A use case whose transaction fails leaves no mail behind: the mail was part of it.
#[tokio::test]
async fn a_state_change_that_fails_files_no_mail() {
    let app = spawn_app().await;
    let create = || {
        app.create_user(
            app.tenant_id,
            &app.owner_token,
            json!({"email": "never@example.org", "first_name": "Nev", "last_name": "Er",
                   "role": "member", "password": {"mode": "link"}, "send_credentials": true}),
        )
    };
    app.faults.fail_next_transaction();
    assert_problem(create().await, StatusCode::CONFLICT, "conflict").await;
    assert!(app.outbox_items().await.is_empty());
    assert!(app.mails_to("never@example.org").await.is_empty());
    // The same request, now that the table works, creates the user and sends the link.
    assert_eq!(create().await.status(), StatusCode::CREATED);
    assert_eq!(app.mails_to("never@example.org").await.len(), 1);
}

/// Every mail a local server writes reads as a mail client reads it: a valid From mailbox (not
/// `<Usher <no-reply@...>>`), `Auto-Submitted: auto-generated`.
#[tokio::test]
async fn local_mail_files_are_well_formed_messages() {
    let app = spawn_app().await;
    for mode in ["generate", "link"] {
        let response = app
            .create_user(
                app.tenant_id,
                &app.owner_token,
                json!({"email": format!("{mode}@example.org"), "first_name": "Mo", "last_name": "De",
                       "role": "member", "password": {"mode": mode}, "send_credentials": true}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let mails = app.sent_mails().await;
    assert!(mails.len() >= 2);
    let eml =
        std::fs::read_to_string(app.mailer.dir().join(format!("{}.eml", mails[0].id))).unwrap();
    assert!(
        eml.contains("From: \"Usher\" <no-reply@usher.localhost>\r\n"),
        "{eml}"
    );
}

/// The one test that waits for mail: the background worker of `usher serve` sends on its own.
#[tokio::test]
async fn the_background_worker_sends_without_being_asked() {
    let app = spawn(
        Setup {
            worker: true,
            ..Setup::default()
        },
        |_| {},
    )
    .await;
    let response = app
        .create_user(
            app.tenant_id,
            &app.owner_token,
            json!({"email": "bg@example.org", "first_name": "Bea", "last_name": "Ground",
                   "role": "member", "password": {"mode": "link"}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    for _ in 0..200 {
        if app
            .mailer
            .list()
            .await
            .iter()
            .any(|m| m.mail.to.as_str() == "bg@example.org")
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the worker sent nothing within 5 seconds");
}
