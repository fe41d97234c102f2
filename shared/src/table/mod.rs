//! The `Table` port: the four operations Usher needs from a key-value store with transactions.
//!
//! Items are JSON objects holding string attributes `pk` and `sk`; typed records are mapped to and
//! from them with serde (see [`crate::records`]). Every access is a get, a batch get, a query on one
//! partition, or a conditional transaction, which is what keeps the DynamoDB adapter free of scans.

mod counting;
mod dynamo;
mod embedded;

use async_trait::async_trait;
use serde_json::{Map, Value};

pub use counting::CountingTable;
pub use dynamo::DynamoTable;
pub use embedded::EmbeddedTable;

pub type Item = Map<String, Value>;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }

    /// The key of an item, when it has string `pk` and `sk` attributes.
    pub fn of(item: &Item) -> Option<Key> {
        Some(Key::new(
            item.get("pk")?.as_str()?,
            item.get("sk")?.as_str()?,
        ))
    }
}

/// A condition on the item an operation targets, evaluated inside the transaction.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    NotExists,
    Exists,
    /// The item exists and its numeric `version` attribute equals this.
    VersionIs(u64),
    /// The item exists and the attribute equals this value.
    AttributeEquals(String, Value),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    Put {
        item: Item,
        condition: Option<Condition>,
    },
    Delete {
        key: Key,
        condition: Option<Condition>,
    },
    Check {
        key: Key,
        condition: Condition,
    },
}

impl Op {
    pub fn put(item: Item) -> Self {
        Op::Put {
            item,
            condition: None,
        }
    }

    pub fn put_if(item: Item, condition: Condition) -> Self {
        Op::Put {
            item,
            condition: Some(condition),
        }
    }

    pub fn delete(key: Key) -> Self {
        Op::Delete {
            key,
            condition: None,
        }
    }

    pub fn delete_if(key: Key, condition: Condition) -> Self {
        Op::Delete {
            key,
            condition: Some(condition),
        }
    }

    pub fn check(key: Key, condition: Condition) -> Self {
        Op::Check { key, condition }
    }

    pub fn key(&self) -> Option<Key> {
        match self {
            Op::Put { item, .. } => Key::of(item),
            Op::Delete { key, .. } | Op::Check { key, .. } => Some(key.clone()),
        }
    }

    pub fn condition(&self) -> Option<&Condition> {
        match self {
            Op::Put { condition, .. } | Op::Delete { condition, .. } => condition.as_ref(),
            Op::Check { condition, .. } => Some(condition),
        }
    }
}

/// One page of a query. `next` is set exactly when more items follow; pass it back as `after`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    pub items: Vec<Item>,
    pub next: Option<Key>,
}

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("the request to the table was invalid: {0}")]
    Invalid(String),
    #[error("the table could not be reached or failed")]
    Backend(#[source] anyhow::Error),
    #[error("a stored item could not be read")]
    Corrupt(#[source] anyhow::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum TransactError {
    /// The condition on the item at `key` did not hold (the first such operation, in the order
    /// given). Nothing was written. Every operation of a transaction targets a distinct item, so
    /// the key names what failed: a use case matches on it, not on a position.
    #[error("the condition on {key:?} did not hold")]
    ConditionFailed { key: Key },
    /// Another transaction touched the same items at the same time. Nothing was written; the
    /// caller may re-read and retry.
    #[error("a concurrent transaction touched the same items")]
    Conflict,
    #[error(transparent)]
    Table(#[from] TableError),
}

impl TransactError {
    /// Whether the transaction failed on the condition of the item at `key`.
    pub fn failed_on(&self, key: &Key) -> bool {
        matches!(self, TransactError::ConditionFailed { key: failed } if failed == key)
    }
}

/// DynamoDB's limit; the embedded adapter enforces it too so that both behave alike.
pub const MAX_TRANSACTION_OPS: usize = 100;

#[async_trait]
pub trait Table: Send + Sync {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError>;

    /// Reads up to 100 distinct keys at once; the answer is in the order of `keys`.
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, TableError>;

    /// Items of partition `pk` whose `sk` starts with `sk_prefix`, in `sk` order, after `after`.
    async fn query(
        &self,
        pk: &str,
        sk_prefix: &str,
        after: Option<&Key>,
        limit: usize,
    ) -> Result<Page, TableError>;

    /// As [`Table::query`], newest first: items in descending `sk` order, before `before`. ULID
    /// sort keys make this "newest first" for listings.
    async fn query_backward(
        &self,
        pk: &str,
        sk_prefix: &str,
        before: Option<&Key>,
        limit: usize,
    ) -> Result<Page, TableError>;

    /// Applies all operations or none. At most 100, each on a distinct item.
    async fn transact(&self, ops: Vec<Op>) -> Result<(), TransactError>;
}

/// The most keys one batch read takes (DynamoDB's limit, enforced by both adapters).
pub const MAX_BATCH_KEYS: usize = 100;

/// Reads any number of distinct keys, [`MAX_BATCH_KEYS`] to a batch read, the batches at once;
/// the answer is in the order of `keys`. For reads whose size a request decides (a message to
/// many tenants): up to 100 keys, one round trip as [`Table::batch_get`].
pub async fn batch_get_all(
    table: &dyn Table,
    keys: &[Key],
) -> Result<Vec<Option<Item>>, TableError> {
    let reads = keys
        .chunks(MAX_BATCH_KEYS)
        .map(|batch| table.batch_get(batch));
    Ok(futures::future::try_join_all(reads)
        .await?
        .into_iter()
        .flatten()
        .collect())
}

/// Checks shared by the adapters, so both refuse the same malformed requests.
pub(crate) fn validate_transaction(ops: &[Op]) -> Result<(), TableError> {
    if ops.is_empty() || ops.len() > MAX_TRANSACTION_OPS {
        return Err(TableError::Invalid(format!(
            "a transaction takes 1 to {MAX_TRANSACTION_OPS} operations"
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for op in ops {
        let key = op
            .key()
            .ok_or_else(|| TableError::Invalid("an item has no string pk and sk".into()))?;
        if !seen.insert(key) {
            return Err(TableError::Invalid(
                "two operations target the same item".into(),
            ));
        }
    }
    Ok(())
}

pub(crate) fn validate_batch(keys: &[Key]) -> Result<(), TableError> {
    if keys.len() > MAX_BATCH_KEYS {
        return Err(TableError::Invalid(
            "a batch read takes at most 100 keys".into(),
        ));
    }
    let distinct: std::collections::HashSet<&Key> = keys.iter().collect();
    if distinct.len() != keys.len() {
        return Err(TableError::Invalid(
            "a batch read takes distinct keys".into(),
        ));
    }
    Ok(())
}

pub(crate) fn validate_limit(limit: usize) -> Result<(), TableError> {
    if limit == 0 || limit > 1000 {
        return Err(TableError::Invalid("a query limit is 1 to 1000".into()));
    }
    Ok(())
}

/// Whether `condition` holds for `current` (the stored item, if any).
pub(crate) fn condition_holds(condition: &Condition, current: Option<&Item>) -> bool {
    match (condition, current) {
        (Condition::NotExists, current) => current.is_none(),
        (Condition::Exists, current) => current.is_some(),
        (Condition::VersionIs(v), Some(item)) => {
            item.get("version").and_then(Value::as_u64) == Some(*v)
        }
        (Condition::AttributeEquals(name, value), Some(item)) => item.get(name) == Some(value),
        (Condition::VersionIs(_) | Condition::AttributeEquals(..), None) => false,
    }
}
