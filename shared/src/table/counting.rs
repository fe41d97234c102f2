//! Counts round trips to the table, so tests can pin how many each route makes.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;

use super::{Item, Key, Op, Page, Table, TableError, TransactError};

#[derive(Clone)]
pub struct CountingTable {
    inner: Arc<dyn Table>,
    round_trips: Arc<AtomicUsize>,
}

impl CountingTable {
    pub fn new(inner: Arc<dyn Table>) -> Self {
        Self {
            inner,
            round_trips: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Round trips since the last call, and starts counting again from zero.
    pub fn take(&self) -> usize {
        self.round_trips.swap(0, Ordering::SeqCst)
    }

    fn tick(&self) {
        self.round_trips.fetch_add(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl Table for CountingTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        self.tick();
        self.inner.get(key).await
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, TableError> {
        self.tick();
        self.inner.batch_get(keys).await
    }

    async fn query(
        &self,
        pk: &str,
        sk_prefix: &str,
        after: Option<&Key>,
        limit: usize,
    ) -> Result<Page, TableError> {
        self.tick();
        self.inner.query(pk, sk_prefix, after, limit).await
    }

    async fn query_backward(
        &self,
        pk: &str,
        sk_prefix: &str,
        before: Option<&Key>,
        limit: usize,
    ) -> Result<Page, TableError> {
        self.tick();
        self.inner
            .query_backward(pk, sk_prefix, before, limit)
            .await
    }

    async fn transact(&self, ops: Vec<Op>) -> Result<(), TransactError> {
        self.tick();
        self.inner.transact(ops).await
    }
}
