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

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key as CipherKey, Nonce};
use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{Mailer, OutgoingMail};
use crate::clock::{Clock, Random};
use crate::domain::OutboxId;
use crate::keys;
use crate::records::{from_item, to_item};
use crate::table::{Condition, Item, Key, Op, Table, TableError, TransactError};

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

    /// A key for another purpose, derived from this one by HKDF-SHA256 (RFC 5869; one block,
    /// so expand is one HMAC) with `label`: one deployment secret, no two purposes sharing a key.
    pub(crate) fn derive(&self, label: &[u8]) -> [u8; 32] {
        use ring::hmac;
        let prk = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, b"usher"), &self.0);
        let prk = hmac::Key::new(hmac::HMAC_SHA256, prk.as_ref());
        let mut context = hmac::Context::with_key(&prk);
        context.update(label);
        context.update(&[1]);
        let mut out = [0u8; 32];
        out.copy_from_slice(context.sign().as_ref());
        out
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

/// What a sealed outbox item holds: a mail, or a job of type `J` (the use cases' job enum; the
/// outbox only seals, stores and hands it back).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "body", rename_all = "snake_case")]
pub enum OutboxMessage<J> {
    Mail(OutgoingMail),
    Job(J),
}

/// Does the jobs of type `J` that the outbox holds.
#[async_trait]
pub trait JobRunner<J>: Send + Sync {
    /// Does `job`. `done` deletes the claimed outbox item: the runner commits it in the same
    /// transaction as the job's own writes, so a job that ran is never run again.
    async fn run(&self, job: J, done: Op) -> anyhow::Result<()>;

    /// How long `job` may take before it is abandoned (and tried again).
    fn work_timeout(&self, _job: &J) -> std::time::Duration {
        WORK_TIMEOUT
    }

    /// How `job` is tried again once it failed: at once by default.
    fn retry(&self, _job: &J) -> Retry {
        Retry::Soon
    }
}

/// How a failed outbox item is tried again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// At once when the stream retries its record, else with the outbox's backoff: mail, and
    /// jobs a person waits for.
    Soon,
    /// Only when due, this many seconds after the nth failure (the last step again once they
    /// run out): the stream does not retry it, a sweep does when it is due, so one receiver
    /// that is down holds up nothing else.
    Scheduled(&'static [i64]),
}

/// A scheduled job's failure that names the earliest time to try it again (a webhook receiver's
/// `Retry-After`): the next attempt waits for it when it is later than the schedule's.
#[derive(Debug, thiserror::Error)]
#[error("{reason}; not before {until}")]
pub struct NotBefore {
    pub until: DateTime<Utc>,
    pub reason: String,
}

/// A job that did not run and asks to be left until `until`, without counting as an attempt
/// (a webhook held back from an endpoint that just gave no answer): its schedule does not move.
#[derive(Debug, thiserror::Error)]
#[error("postponed until {until}: {reason}")]
pub struct Postponed {
    pub until: DateTime<Utc>,
    pub reason: String,
}

/// The schedule's `seconds`, spread by up to a tenth either way, the same for one item every
/// time: many items that failed together (a receiver that was down) are not tried again in the
/// same second.
fn spread(seconds: i64, id: &str) -> Duration {
    // FNV-1a of the id: any stable hash of it will do.
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let percent = 90 + i64::try_from(hash % 21).unwrap_or(0);
    Duration::milliseconds(seconds.saturating_mul(10 * percent))
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

/// Seals messages into outbox items, and the secrets Usher must use again (a webhook endpoint's
/// signing secret) with a key of their own, derived from the same deployment key.
#[derive(Clone)]
pub struct Outbox {
    cipher: ChaCha20Poly1305,
    secrets: ChaCha20Poly1305,
}

impl Outbox {
    pub fn new(key: &OutboxKey) -> Self {
        Self {
            cipher: ChaCha20Poly1305::new(CipherKey::from_slice(&key.0)),
            secrets: ChaCha20Poly1305::new(CipherKey::from_slice(
                &key.derive(b"stored-secret seal v1"),
            )),
        }
    }

    /// `secret` sealed for the table, bound to `context` (what it belongs to): base64 of the
    /// nonce and the sealed bytes.
    pub fn seal_secret(
        &self,
        context: &str,
        secret: &[u8],
        random: &dyn Random,
    ) -> Result<String, OutboxError> {
        let mut nonce = [0u8; 12];
        random.fill(&mut nonce);
        let sealed = self
            .secrets
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| OutboxError::Seal)?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        Ok(STANDARD.encode(blob))
    }

    /// The secret sealed by [`seal_secret`](Self::seal_secret) for `context`.
    pub fn open_secret(&self, context: &str, sealed: &str) -> Result<Vec<u8>, OutboxError> {
        let blob = STANDARD.decode(sealed).map_err(|_| OutboxError::Seal)?;
        if blob.len() < 12 {
            return Err(OutboxError::Seal);
        }
        let (nonce, sealed) = blob.split_at(12);
        self.secrets
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| OutboxError::Seal)
    }

    /// The put operation that files `mail` in the outbox, for the caller's transaction.
    pub fn enqueue(
        &self,
        mail: &OutgoingMail,
        now: DateTime<Utc>,
        random: &dyn Random,
    ) -> Result<Op, OutboxError> {
        self.file(&OutboxMessage::<()>::Mail(mail.clone()), now, random)
    }

    /// The put operation that files `job` in the outbox, for the caller's transaction.
    pub fn enqueue_job<J: Serialize>(
        &self,
        job: J,
        now: DateTime<Utc>,
        random: &dyn Random,
    ) -> Result<Op, OutboxError> {
        self.file(&OutboxMessage::Job(job), now, random)
    }

    fn file<J: Serialize>(
        &self,
        message: &OutboxMessage<J>,
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

    pub fn open<J: DeserializeOwned>(
        &self,
        record: &OutboxRecord,
    ) -> Result<OutboxMessage<J>, OutboxError> {
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
    /// Another dispatcher holds the claim, or the retry is not due yet; due again at `until`.
    NotNow { until: DateTime<Utc> },
    /// The mailer or the job failed; the item waits for its next attempt.
    Failed,
    /// The job failed and is tried again on its own schedule, at `until`, by a sweep (see
    /// [`Retry::Scheduled`]).
    Deferred { until: DateTime<Utc> },
}

/// What one pass over the whole outbox did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DrainReport {
    pub sent: usize,
    pub failed: usize,
    /// Items left for later: claimed by another dispatcher, or backing off after a failure.
    pub waiting: usize,
    /// When the first of the waiting items is due again.
    pub next_due: Option<DateTime<Utc>>,
}

impl DrainReport {
    fn count(&mut self, delivery: Delivery) {
        match delivery {
            Delivery::Sent => self.sent += 1,
            Delivery::Failed | Delivery::Deferred { .. } => self.failed += 1,
            Delivery::AlreadySent => {}
            Delivery::NotNow { until } => {
                self.waiting += 1;
                self.next_due = Some(self.next_due.map_or(until, |due| due.min(until)));
            }
        }
    }
}

/// Sends the mail and does the jobs (of type `J`) that the outbox holds.
pub struct OutboxDispatcher<J> {
    table: Arc<dyn Table>,
    mailer: Arc<dyn Mailer>,
    outbox: Outbox,
    clock: Arc<dyn Clock>,
    jobs: Arc<dyn JobRunner<J>>,
}

impl<J> Clone for OutboxDispatcher<J> {
    fn clone(&self) -> Self {
        Self {
            table: self.table.clone(),
            mailer: self.mailer.clone(),
            outbox: self.outbox.clone(),
            clock: self.clock.clone(),
            jobs: self.jobs.clone(),
        }
    }
}

/// How long work on a claimed item may take, unless its job says otherwise
/// ([`JobRunner::work_timeout`]). A claim keeps other dispatchers away from the item for
/// [`CLAIM_MARGIN`] longer than that: the work is abandoned before the claim ends, so two
/// dispatchers never work on one item at once, and an item whose dispatcher died waits no
/// longer than the claim.
pub const WORK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(8);
const CLAIM_MARGIN: std::time::Duration = std::time::Duration::from_secs(2);

/// Items read per Query while walking a partition.
const DRAIN_PAGE_ITEMS: usize = 100;

/// Items a pass works on at once.
const DRAIN_CONCURRENCY: usize = 8;

fn backoff(attempts: u32) -> Duration {
    Duration::seconds((5i64 << attempts.min(8)).min(900))
}

impl<J: DeserializeOwned + Send + 'static> OutboxDispatcher<J> {
    pub fn new(
        table: Arc<dyn Table>,
        mailer: Arc<dyn Mailer>,
        outbox: Outbox,
        clock: Arc<dyn Clock>,
        jobs: Arc<dyn JobRunner<J>>,
    ) -> Self {
        Self {
            table,
            mailer,
            outbox,
            clock,
            jobs,
        }
    }

    /// Sends the outbox item at `key` now, if it is still there and no other dispatcher holds it.
    /// The stored backoff is not waited for: the caller (the stream sender, whose retries Lambda
    /// schedules) asked for this item.
    pub async fn deliver(&self, key: &Key) -> Result<Delivery, OutboxError> {
        if !keys::is_outbox_partition(&key.pk) {
            return Err(OutboxError::Table(TableError::Invalid(
                "not an outbox item".into(),
            )));
        }
        match self.table.get(key).await? {
            None => Ok(Delivery::AlreadySent),
            Some(item) => self.deliver_item(item, false).await,
        }
    }

    async fn deliver_item(
        &self,
        item: Item,
        wait_for_backoff: bool,
    ) -> Result<Delivery, OutboxError> {
        // The item's own key: items filed before the outbox was spread live in its old partition.
        let key = Key::of(&item)
            .ok_or_else(|| TableError::Invalid("an outbox item without a key".into()))?;
        let record: OutboxRecord = from_item(item)?;
        let now = self.clock.now();
        if let Some(until) = record.claimed_until.filter(|until| *until > now) {
            return Ok(Delivery::NotNow { until });
        }
        if wait_for_backoff && record.next_attempt_at > now {
            return Ok(Delivery::NotNow {
                until: record.next_attempt_at,
            });
        }
        let message = self.outbox.open::<J>(&record);
        let (retry, work_timeout) = match &message {
            Ok(OutboxMessage::Job(job)) => (self.jobs.retry(job), self.jobs.work_timeout(job)),
            _ => (Retry::Soon, WORK_TIMEOUT),
        };
        let claim = Duration::from_std(work_timeout + CLAIM_MARGIN).unwrap_or(Duration::MAX);
        let claimed_until = now + claim;
        let claimed = OutboxRecord {
            claimed_until: Some(claimed_until),
            version: record.version + 1,
            ..record.clone()
        };
        match self.replace(&key, &claimed, record.version).await? {
            Ok(()) => {}
            Err(TransactError::ConditionFailed { .. } | TransactError::Conflict) => {
                return Ok(Delivery::NotNow {
                    until: claimed_until,
                });
            }
            Err(other) => return Err(other.into()),
        }
        let done = Op::delete_if(key.clone(), Condition::VersionIs(claimed.version));
        let work = async {
            match message? {
                OutboxMessage::Mail(mail) => {
                    self.mailer.send(&record.id.to_string(), &mail).await?;
                    self.table.transact(vec![done]).await?;
                    Ok::<(), anyhow::Error>(())
                }
                OutboxMessage::Job(job) => self.jobs.run(job, done).await,
            }
        };
        let outcome = match tokio::time::timeout(work_timeout, work).await {
            Ok(outcome) => outcome,
            Err(_) => Err(anyhow::anyhow!(
                "the work took longer than {work_timeout:?}"
            )),
        };
        let postponed_until = outcome.as_ref().err().and_then(|error| {
            error
                .chain()
                .find_map(|e| e.downcast_ref::<Postponed>())
                .map(|p| p.until)
        });
        if let Some(until) = postponed_until {
            self.release(&key, &claimed, record.attempts, until).await?;
            tracing::debug!(outbox_id = %record.id, %until, "outbox item postponed");
            return Ok(Delivery::NotNow { until });
        }
        let attempts = record.attempts + 1;
        if let Err(error) = outcome {
            let next_attempt_at = match retry {
                Retry::Soon => now + backoff(attempts),
                Retry::Scheduled(steps) => {
                    let step = usize::try_from(attempts.saturating_sub(1)).unwrap_or(usize::MAX);
                    let seconds = steps.get(step).or(steps.last()).copied().unwrap_or(60);
                    let scheduled = now + spread(seconds, &record.id.to_string());
                    let asked = error
                        .chain()
                        .find_map(|e| e.downcast_ref::<NotBefore>())
                        .map(|n| n.until);
                    asked.map_or(scheduled, |until| until.max(scheduled))
                }
            };
            self.release(&key, &claimed, attempts, next_attempt_at)
                .await?;
            tracing::warn!(outbox_id = %record.id, attempts, error = ?error, "outbox item failed; will retry");
            return Ok(match retry {
                Retry::Soon => Delivery::Failed,
                Retry::Scheduled(_) => Delivery::Deferred {
                    until: next_attempt_at,
                },
            });
        }
        tracing::info!(outbox_id = %record.id, attempts, "outbox item done");
        Ok(Delivery::Sent)
    }

    /// Gives up the claim on `claimed`, due again at `next_attempt_at` after `attempts`.
    async fn release(
        &self,
        key: &Key,
        claimed: &OutboxRecord,
        attempts: u32,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<(), OutboxError> {
        let released = OutboxRecord {
            attempts,
            next_attempt_at,
            claimed_until: None,
            version: claimed.version + 1,
            ..claimed.clone()
        };
        match self.replace(key, &released, claimed.version).await? {
            // Gone or moved on: the abandoned work finished after all, or another dispatcher
            // took the item once the claim ended. Either way it is no longer ours to release.
            Ok(()) | Err(TransactError::ConditionFailed { .. }) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }

    /// Writes `record` at `key` if the stored one is still at `version`.
    async fn replace(
        &self,
        key: &Key,
        record: &OutboxRecord,
        version: u64,
    ) -> Result<Result<(), TransactError>, OutboxError> {
        let op = Op::put_if(to_item(key, record, None)?, Condition::VersionIs(version));
        Ok(self.table.transact(vec![op]).await)
    }

    /// One pass over every outbox partition, page by page: sends every item that is due, and
    /// steps over what another dispatcher holds or what is backing off, so nothing waits behind
    /// them.
    pub async fn drain(&self) -> Result<DrainReport, OutboxError> {
        let mut report = DrainReport::default();
        for pk in keys::outbox_partitions() {
            let mut after = None;
            loop {
                let page = self
                    .table
                    .query(&pk, "", after.as_ref(), DRAIN_PAGE_ITEMS)
                    .await?;
                // Sends overlap (the mail service's latency, not the table, bounds a pass); each
                // item is still claimed before it is worked on, so none is sent twice.
                let deliveries: Vec<_> = futures::stream::iter(page.items)
                    .map(|item| self.deliver_item(item, true))
                    .buffer_unordered(DRAIN_CONCURRENCY)
                    .collect()
                    .await;
                for delivery in deliveries {
                    report.count(delivery?);
                }
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_schedule_is_spread_by_a_tenth_the_same_way_for_one_item() {
        let spreads: Vec<i64> = (0..200)
            .map(|n| super::spread(100, &format!("item-{n}")).num_milliseconds())
            .collect();
        assert!(
            spreads.iter().all(|ms| (90_000..=110_000).contains(ms)),
            "{spreads:?}"
        );
        assert!(
            spreads.iter().min() < spreads.iter().max(),
            "spread, not all alike"
        );
        assert_eq!(super::spread(100, "item-1"), super::spread(100, "item-1"));
    }

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
        assert_eq!(
            outbox.open::<()>(&record).unwrap(),
            OutboxMessage::Mail(mail)
        );
        let other = Outbox::new(&OutboxKey::generate(&random));
        assert!(other.open::<()>(&record).is_err());
        record.id = OutboxId::from_ulid(random.ulid(Utc::now()));
        assert!(
            outbox.open::<()>(&record).is_err(),
            "a sealed body moved to another item does not open"
        );
    }
}
