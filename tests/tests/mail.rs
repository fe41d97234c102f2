//! The SES adapter against the local SES v2 server (through the real SDK), and the outbox's
//! promise: a mail committed with its state change goes out once, even when sending fails.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{Duration, Utc};
use serde_json::Value;
use usher_core::app::{App, Config};
use usher_core::clock::{Clock, ManualClock, OsRandom};
use usher_core::domain::{EmailAddress, Locale, PasswordHasherService};
use usher_core::mail::{
    Delivery, MailError, MailTemplate, Mailer, Outbox, OutboxDispatcher, OutboxKey, OutgoingMail,
    SesMailer,
};
use usher_core::table::{EmbeddedTable, Op, Table};
use usher_tests::{ses_client, ses_endpoint};

fn sample_mail(to: &str) -> OutgoingMail {
    MailTemplate::ChoosePassword {
        tenant: "Help Desk".into(),
        first_name: "Ada".into(),
        link: "https://usher.example/reset/abc".into(),
        valid_days: 7,
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
    let mailer = SesMailer::new(ses_client(), "Usher <no-reply@usher.example>", None);
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
    assert_eq!(sent["from"], "Usher <no-reply@usher.example>");
    assert_eq!(sent["body"]["text"], mail.text);
    assert_eq!(sent["body"]["html"], mail.html);
}

/// Fails the first `failures` sends, then records what it sends.
struct FlakyMailer {
    failures: usize,
    attempts: AtomicUsize,
    sent: Mutex<Vec<String>>,
}

#[async_trait]
impl Mailer for FlakyMailer {
    async fn send(&self, message_id: &str, _mail: &OutgoingMail) -> Result<(), MailError> {
        let attempt = self.attempts.fetch_add(1, Ordering::SeqCst);
        // Sends overlap when dispatchers race, which is what the claim must survive.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        if attempt < self.failures {
            return Err(MailError::Send(anyhow::anyhow!("the mail service is down")));
        }
        self.sent.lock().unwrap().push(message_id.to_owned());
        Ok(())
    }
}

async fn outbox_with_one_mail(
    failures: usize,
) -> (
    tempfile::TempDir,
    OutboxDispatcher,
    Arc<FlakyMailer>,
    Arc<ManualClock>,
) {
    let dir = tempfile::tempdir().unwrap();
    let table: Arc<dyn Table> = Arc::new(EmbeddedTable::open(&dir.path().join("t.redb")).unwrap());
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let outbox = Outbox::new(&OutboxKey::generate(&OsRandom));
    let op = outbox
        .enqueue(&sample_mail("flaky@example.org"), clock.now(), &OsRandom)
        .unwrap();
    table.transact(vec![op]).await.unwrap();
    let mailer = Arc::new(FlakyMailer {
        failures,
        attempts: AtomicUsize::new(0),
        sent: Mutex::new(vec![]),
    });
    let app = App {
        table,
        clock: clock.clone(),
        random: Arc::new(OsRandom),
        hasher: PasswordHasherService::owasp(),
        outbox,
        config: Config::new("https://usher.example"),
        mail_waker: None,
    };
    let dispatcher = OutboxDispatcher::new(&app, mailer.clone());
    (dir, dispatcher, mailer, clock)
}

#[tokio::test]
async fn a_mail_whose_sending_fails_is_retried_until_sent_and_sent_once() {
    let (_dir, dispatcher, mailer, clock) = outbox_with_one_mail(3).await;
    let mut sent = 0;
    for _ in 0..20 {
        let report = dispatcher.drain().await.unwrap();
        sent += report.sent;
        // Nothing is retried before its backoff: a drain right away does nothing.
        assert_eq!(
            dispatcher.drain().await.unwrap().sent + dispatcher.drain().await.unwrap().failed,
            0
        );
        clock.advance(Duration::minutes(20));
    }
    assert_eq!(sent, 1);
    assert_eq!(
        mailer.attempts.load(Ordering::SeqCst),
        4,
        "three failures, one success, nothing after"
    );
    assert_eq!(mailer.sent.lock().unwrap().len(), 1);
    assert!(
        dispatcher
            .table
            .query(usher_core::keys::OUTBOX_PK, "", None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn concurrent_dispatchers_send_a_mail_once() {
    let (_dir, dispatcher, mailer, _clock) = outbox_with_one_mail(0).await;
    let passes = (0..10).map(|_| dispatcher.drain());
    let reports = futures::future::join_all(passes).await;
    assert_eq!(
        reports
            .iter()
            .map(|r| r.as_ref().unwrap().sent)
            .sum::<usize>(),
        1
    );
    assert_eq!(mailer.sent.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn delivering_an_item_already_sent_sends_nothing() {
    let (_dir, dispatcher, mailer, _clock) = outbox_with_one_mail(0).await;
    let page = dispatcher
        .table
        .query(usher_core::keys::OUTBOX_PK, "", None, 10)
        .await
        .unwrap();
    let id = page.items[0]["sk"].as_str().unwrap().parse().unwrap();
    assert_eq!(dispatcher.deliver(id).await.unwrap(), Delivery::Sent);
    assert_eq!(dispatcher.deliver(id).await.unwrap(), Delivery::AlreadySent);
    assert_eq!(mailer.sent.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_state_change_that_fails_files_no_mail() {
    let (_dir, dispatcher, mailer, clock) = outbox_with_one_mail(0).await;
    dispatcher.drain().await.unwrap();
    let outbox = dispatcher.outbox.clone();
    let mail_op = outbox
        .enqueue(&sample_mail("never@example.org"), clock.now(), &OsRandom)
        .unwrap();
    let failing = Op::check(
        usher_core::table::Key::new("nothing", "here"),
        usher_core::table::Condition::Exists,
    );
    assert!(
        dispatcher
            .table
            .transact(vec![failing, mail_op])
            .await
            .is_err()
    );
    assert_eq!(dispatcher.drain().await.unwrap().sent, 0);
    assert_eq!(mailer.sent.lock().unwrap().len(), 1);
}
