//! Test doubles of the ports: a table that fails, crashes or holds a transaction on demand, and
//! a mailer that records what it sent (and can fail).

use super::*;

/// A table that fails transactions on request, to prove what a failed state change leaves
/// behind (nothing: no item, no mail).
pub struct FaultyTable {
    inner: Arc<dyn Table>,
    fail_next_transaction: AtomicBool,
    /// Transactions to let through before one fails as a crashed backend would (-1: none).
    crash_after: std::sync::atomic::AtomicI64,
    held: std::sync::Mutex<Option<HeldTransaction>>,
}

/// A transaction to hold back, for a test that puts other requests in between.
struct HeldTransaction {
    key: Key,
    reached: oneshot::Sender<()>,
    release: oneshot::Receiver<()>,
}

/// The test's end of a held transaction.
pub struct Hold {
    reached: oneshot::Receiver<()>,
    release: oneshot::Sender<()>,
}

impl Hold {
    /// Waits until the held transaction has arrived (and waits).
    pub async fn reached(&mut self) {
        (&mut self.reached)
            .await
            .expect("the held transaction arrives");
    }

    /// Lets it go on.
    pub fn release(self) {
        let _ = self.release.send(());
    }
}

impl FaultyTable {
    pub fn new(inner: Arc<dyn Table>) -> Self {
        Self {
            inner,
            fail_next_transaction: AtomicBool::new(false),
            crash_after: std::sync::atomic::AtomicI64::new(-1),
            held: std::sync::Mutex::new(None),
        }
    }

    /// The next transaction fails as a concurrent write would make it fail, writing nothing.
    pub fn fail_next_transaction(&self) {
        self.fail_next_transaction.store(true, Ordering::SeqCst);
    }

    /// Lets `count` transactions through, then fails the next one as a table that went away
    /// would (not a lost race: the caller gives up), writing nothing.
    pub fn crash_after(&self, count: i64) {
        self.crash_after.store(count, Ordering::SeqCst);
    }

    /// Holds back the next transaction that writes or checks `key` until the test releases it.
    pub fn hold_next_transaction_on(&self, key: Key) -> Hold {
        let (reached, reached_rx) = oneshot::channel();
        let (release_tx, release) = oneshot::channel();
        *self.held.lock().unwrap() = Some(HeldTransaction {
            key,
            reached,
            release,
        });
        Hold {
            reached: reached_rx,
            release: release_tx,
        }
    }
}

#[async_trait::async_trait]
impl Table for FaultyTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        self.inner.get(key).await
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, TableError> {
        self.inner.batch_get(keys).await
    }

    async fn query(
        &self,
        pk: &str,
        sk_prefix: &str,
        after: Option<&Key>,
        limit: usize,
    ) -> Result<Page, TableError> {
        self.inner.query(pk, sk_prefix, after, limit).await
    }

    async fn query_backward(
        &self,
        pk: &str,
        sk_prefix: &str,
        before: Option<&Key>,
        limit: usize,
    ) -> Result<Page, TableError> {
        self.inner
            .query_backward(pk, sk_prefix, before, limit)
            .await
    }

    async fn transact(&self, ops: Vec<Op>) -> Result<(), TransactError> {
        let held = {
            let mut slot = self.held.lock().unwrap();
            let touches = slot
                .as_ref()
                .is_some_and(|h| ops.iter().any(|op| op.key().as_ref() == Some(&h.key)));
            if touches { slot.take() } else { None }
        };
        if let Some(held) = held {
            let _ = held.reached.send(());
            let _ = held.release.await;
        }
        if self.fail_next_transaction.swap(false, Ordering::SeqCst) {
            return Err(TransactError::Conflict);
        }
        if self.crash_after.fetch_sub(1, Ordering::SeqCst) == 0 {
            return Err(TransactError::Table(
                usher_core::table::TableError::Backend(anyhow::anyhow!("the table went away")),
            ));
        }
        self.inner.transact(ops).await
    }
}

/// The one test double for a mail service: records what it sends, and fails every send while
/// it is switched to failing.
#[derive(Default)]
pub struct RecordingMailer {
    failing: AtomicBool,
    attempts: AtomicUsize,
    sent: std::sync::Mutex<Vec<(String, OutgoingMail)>>,
}

impl RecordingMailer {
    /// A mailer that fails until [`RecordingMailer::recover`] is called.
    pub fn failing() -> Self {
        let mailer = Self::default();
        mailer.failing.store(true, Ordering::SeqCst);
        mailer
    }

    pub fn recover(&self) {
        self.failing.store(false, Ordering::SeqCst);
    }

    /// Every send attempt, failed ones included.
    pub fn attempts(&self) -> usize {
        self.attempts.load(Ordering::SeqCst)
    }

    /// The outbox ids of the mail sent, in order.
    pub fn sent_ids(&self) -> Vec<String> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .map(|(id, _)| id.clone())
            .collect()
    }

    pub fn sent(&self) -> Vec<OutgoingMail> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .map(|(_, mail)| mail.clone())
            .collect()
    }
}

#[async_trait::async_trait]
impl Mailer for RecordingMailer {
    async fn send(&self, message_id: &str, mail: &OutgoingMail) -> Result<(), MailError> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        // Sends overlap when dispatchers race, which is what the claim must survive.
        tokio::task::yield_now().await;
        if self.failing.load(Ordering::SeqCst) {
            return Err(MailError::Send(anyhow::anyhow!("the mail service is down")));
        }
        self.sent
            .lock()
            .unwrap()
            .push((message_id.to_owned(), mail.clone()));
        Ok(())
    }
}
