//! The transactional outbox (DESIGN section 4).
//!
//! A use case adds the outbox item to the same transaction as its state change, so a committed
//! change always has its mail and a failed one never does. A dispatcher then claims the item with
//! a conditional write, sends it and deletes it; a failed send is released with a backoff and
//! tried again until it goes out. The claim makes two dispatchers (the stream-triggered sender and
//! a sweeper, or two local workers) send a message once, not twice.
//!
//! Beside mail, the outbox holds jobs: work a request files instead of doing it, so that the
//! request's answer and timing cannot depend on what the job finds (a reset request for an email
//! nobody has costs the request exactly what one for a real account costs). A job commits its own
//! writes together with the deletion of its outbox item, so it is done once.
//!
//! Mail bodies carry links with one-time tokens, and tokens are stored only as hashes. So the
//! message is sealed (ChaCha20-Poly1305, the item id as associated data) with a key that lives in
//! configuration, never in the table: reading the table does not yield a usable link.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key as CipherKey, Nonce};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use async_trait::async_trait;

use super::{Mailer, OutgoingMail};
use crate::app::App;
use crate::clock::{Clock, Random};
use crate::domain::{EmailAddress, OutboxId};
use crate::keys;
use crate::records::{from_item, to_item};
use crate::table::{Condition, Item, Op, Table, TableError, TransactError};

/// The 32-byte key that seals outbox messages.
#[derive(Clone)]
pub struct OutboxKey([u8; 32]);

impl std::fmt::Debug for OutboxKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OutboxKey(***)")
    }
}

impl OutboxKey {
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| "the outbox key is not base64".to_owned())?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "the outbox key must be 32 bytes".to_owned())?;
        Ok(Self(key))
    }

    pub fn generate(random: &dyn Random) -> Self {
        let mut key = [0u8; 32];
        random.fill(&mut key);
        Self(key)
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OutboxRecord {
    pub id: OutboxId,
    /// base64 of nonce (12 bytes) followed by the sealed JSON of the message.
    pub sealed: String,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub version: u64,
}

/// Work filed in the outbox, done by the dispatcher after the request that asked for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
pub enum OutboxJob {
    /// Someone asked for a password reset link for this email (as typed, parsed).
    PasswordReset { email: EmailAddress },
}

/// What a sealed outbox item holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "body", rename_all = "snake_case")]
pub enum OutboxMessage {
    Mail(OutgoingMail),
    Job(OutboxJob),
}

/// Does outbox jobs (the use cases implement it on [`App`]).
#[async_trait]
pub trait JobRunner: Send + Sync {
    /// Does `job`. `done` deletes the claimed outbox item: the runner commits it in the same
    /// transaction as the job's own writes, so a job that ran is never run again.
    async fn run(&self, job: OutboxJob, done: Op) -> anyhow::Result<()>;
}

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error(transparent)]
    Table(#[from] TableError),
    #[error("an outbox message could not be sealed or opened")]
    Seal,
}

impl From<TransactError> for OutboxError {
    fn from(e: TransactError) -> Self {
        match e {
            TransactError::Table(t) => OutboxError::Table(t),
            other => OutboxError::Table(TableError::Backend(other.into())),
        }
    }
}

/// Seals messages into outbox items.
#[derive(Clone)]
pub struct Outbox {
    cipher: ChaCha20Poly1305,
}

impl Outbox {
    pub fn new(key: &OutboxKey) -> Self {
        Self {
            cipher: ChaCha20Poly1305::new(CipherKey::from_slice(&key.0)),
        }
    }

    /// The put operation that files `mail` in the outbox, for the caller's transaction.
    pub fn enqueue(
        &self,
        mail: &OutgoingMail,
        now: DateTime<Utc>,
        random: &dyn Random,
    ) -> Result<Op, OutboxError> {
        self.file(&OutboxMessage::Mail(mail.clone()), now, random)
    }

    /// The put operation that files `job` in the outbox, for the caller's transaction.
    pub fn enqueue_job(
        &self,
        job: &OutboxJob,
        now: DateTime<Utc>,
        random: &dyn Random,
    ) -> Result<Op, OutboxError> {
        self.file(&OutboxMessage::Job(job.clone()), now, random)
    }

    fn file(
        &self,
        message: &OutboxMessage,
        now: DateTime<Utc>,
        random: &dyn Random,
    ) -> Result<Op, OutboxError> {
        let id = OutboxId::from_ulid(random.ulid(now));
        let plain = serde_json::to_vec(message).map_err(|_| OutboxError::Seal)?;
        let mut nonce = [0u8; 12];
        random.fill(&mut nonce);
        let aad = id.to_string();
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| OutboxError::Seal)?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        let record = OutboxRecord {
            id,
            sealed: STANDARD.encode(blob),
            attempts: 0,
            next_attempt_at: now,
            claimed_until: None,
            created_at: now,
            version: 1,
        };
        Ok(Op::put_if(
            to_item(&keys::outbox(id), &record, None)?,
            Condition::NotExists,
        ))
    }

    pub fn open(&self, record: &OutboxRecord) -> Result<OutboxMessage, OutboxError> {
        let blob = STANDARD
            .decode(&record.sealed)
            .map_err(|_| OutboxError::Seal)?;
        if blob.len() < 12 {
            return Err(OutboxError::Seal);
        }
        let (nonce, sealed) = blob.split_at(12);
        let aad = record.id.to_string();
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| OutboxError::Seal)?;
        serde_json::from_slice(&plain).map_err(|_| OutboxError::Seal)
    }
}

/// What one delivery attempt did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// The mail went out, or the job is done.
    Sent,
    /// Gone already: another dispatcher sent it.
    AlreadySent,
    /// Another dispatcher holds the claim, or the retry is not due yet.
    NotNow,
    /// The mailer or the job failed; the item waits for its next attempt.
    Failed,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DrainReport {
    pub sent: usize,
    pub failed: usize,
}

/// Sends the mail and does the jobs the outbox holds.
#[derive(Clone)]
pub struct OutboxDispatcher {
    pub table: Arc<dyn Table>,
    pub mailer: Arc<dyn Mailer>,
    pub outbox: Outbox,
    pub clock: Arc<dyn Clock>,
    pub jobs: Arc<dyn JobRunner>,
}

/// How long a claim keeps other dispatchers away: longer than any one send takes.
const CLAIM: i64 = 120;

fn backoff(attempts: u32) -> Duration {
    Duration::seconds((5i64 << attempts.min(8)).min(900))
}

impl OutboxDispatcher {
    /// A dispatcher on `app`'s table, outbox key and clock, whose jobs `app` does.
    pub fn new(app: &App, mailer: Arc<dyn Mailer>) -> Self {
        Self {
            table: app.table.clone(),
            mailer,
            outbox: app.outbox.clone(),
            clock: app.clock.clone(),
            jobs: Arc::new(app.clone()),
        }
    }

    /// Sends one outbox item now, if it is still there and no other dispatcher holds it. The
    /// stored backoff is not waited for: the caller (the stream sender, whose retries Lambda
    /// schedules) asked for this item.
    pub async fn deliver(&self, id: OutboxId) -> Result<Delivery, OutboxError> {
        match self.table.get(&keys::outbox(id)).await? {
            None => Ok(Delivery::AlreadySent),
            Some(item) => self.deliver_item(item, false).await,
        }
    }

    async fn deliver_item(
        &self,
        item: Item,
        wait_for_backoff: bool,
    ) -> Result<Delivery, OutboxError> {
        let record: OutboxRecord = from_item(item)?;
        let now = self.clock.now();
        let backing_off = wait_for_backoff && record.next_attempt_at > now;
        if backing_off || record.claimed_until.is_some_and(|until| until > now) {
            return Ok(Delivery::NotNow);
        }
        let key = keys::outbox(record.id);
        let claimed = OutboxRecord {
            claimed_until: Some(now + Duration::seconds(CLAIM)),
            version: record.version + 1,
            ..record.clone()
        };
        match self
            .table
            .transact(vec![Op::put_if(
                to_item(&key, &claimed, None)?,
                Condition::VersionIs(record.version),
            )])
            .await
        {
            Ok(()) => {}
            Err(TransactError::ConditionFailed { .. } | TransactError::Conflict) => {
                return Ok(Delivery::NotNow);
            }
            Err(other) => return Err(other.into()),
        }
        let done = Op::delete_if(key.clone(), Condition::VersionIs(claimed.version));
        let outcome = match self.outbox.open(&record)? {
            OutboxMessage::Mail(mail) => {
                match self.mailer.send(&record.id.to_string(), &mail).await {
                    Ok(()) => self.table.transact(vec![done]).await.map_err(Into::into),
                    Err(error) => Err(anyhow::Error::from(error)),
                }
            }
            OutboxMessage::Job(job) => self.jobs.run(job, done).await,
        };
        match outcome {
            Ok(()) => {
                tracing::info!(outbox_id = %record.id, attempts = record.attempts + 1, "outbox item done");
                Ok(Delivery::Sent)
            }
            Err(error) => {
                let attempts = record.attempts + 1;
                let retry = OutboxRecord {
                    attempts,
                    next_attempt_at: now + backoff(attempts),
                    claimed_until: None,
                    version: claimed.version + 1,
                    ..record.clone()
                };
                self.table
                    .transact(vec![Op::put_if(
                        to_item(&key, &retry, None)?,
                        Condition::VersionIs(claimed.version),
                    )])
                    .await?;
                tracing::warn!(outbox_id = %record.id, attempts, error = ?error, "outbox item failed; will retry");
                Ok(Delivery::Failed)
            }
        }
    }

    /// Sends every item whose backoff has passed (up to 100 per call); returns what happened.
    pub async fn drain(&self) -> Result<DrainReport, OutboxError> {
        let page = self.table.query(keys::OUTBOX_PK, "", None, 100).await?;
        let mut report = DrainReport::default();
        for item in page.items {
            match self.deliver_item(item, true).await? {
                Delivery::Sent => report.sent += 1,
                Delivery::Failed => report.failed += 1,
                Delivery::AlreadySent | Delivery::NotNow => {}
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SeededRandom;
    use crate::domain::EmailAddress;

    #[test]
    fn sealed_mail_opens_only_with_its_key_and_id() {
        let random = SeededRandom::new(9);
        let outbox = Outbox::new(&OutboxKey::generate(&random));
        let mail = OutgoingMail {
            to: EmailAddress::parse("a@example.org").unwrap(),
            subject: "s".into(),
            text: "https://x/reset/SECRET".into(),
            html: "<p>SECRET</p>".into(),
            headers: vec![],
        };
        let Op::Put { item, .. } = outbox.enqueue(&mail, Utc::now(), &random).unwrap() else {
            panic!()
        };
        let stored = serde_json::to_string(&item).unwrap();
        assert!(
            !stored.contains("SECRET"),
            "the token must not be readable in the table"
        );
        let mut record: OutboxRecord = from_item(item).unwrap();
        assert_eq!(outbox.open(&record).unwrap(), OutboxMessage::Mail(mail));
        let other = Outbox::new(&OutboxKey::generate(&random));
        assert!(other.open(&record).is_err());
        record.id = OutboxId::from_ulid(random.ulid(Utc::now()));
        assert!(
            outbox.open(&record).is_err(),
            "a sealed body moved to another item does not open"
        );
    }
}
