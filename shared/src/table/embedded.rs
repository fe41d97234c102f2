//! The local default: an embedded ACID store (redb) in one file. Ordered keys give partition
//! queries; a serializable write transaction gives all-or-nothing conditional writes.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use redb::{Database, ReadableTable, TableDefinition};

use super::{Item, Key, Op, Page, Table, TableError, TransactError};

const ITEMS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("items");

/// The page cache of the embedded store.
const CACHE_BYTES: usize = 32 * 1024 * 1024;

#[derive(Clone)]
pub struct EmbeddedTable {
    db: Arc<Database>,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(
        "the data file {path} is in use by another Usher process (is `usher serve` running on this data dir?)"
    )]
    InUse { path: String },
    #[error("the data file {path} could not be opened")]
    Other {
        path: String,
        #[source]
        source: anyhow::Error,
    },
}

fn backend(e: impl Into<anyhow::Error>) -> TableError {
    TableError::Backend(e.into())
}

fn decode(bytes: &[u8]) -> Result<Item, TableError> {
    serde_json::from_slice(bytes).map_err(|e| TableError::Corrupt(e.into()))
}

fn encode(item: &Item) -> Result<Vec<u8>, TableError> {
    serde_json::to_vec(item).map_err(|e| TableError::Invalid(e.to_string()))
}

impl EmbeddedTable {
    /// Opens (or creates) the store at `path`. A file held by another process is refused at once
    /// rather than waited for.
    pub fn open(path: &Path) -> Result<Self, OpenError> {
        let shown = path.display().to_string();
        // redb caches up to 1 GiB of pages by default: one walk through a large tenant (an
        // export) would keep it all resident. A local server's working set is far smaller.
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(path)
            .map_err(|e| match e {
                redb::DatabaseError::DatabaseAlreadyOpen => OpenError::InUse {
                    path: shown.clone(),
                },
                other => OpenError::Other {
                    path: shown.clone(),
                    source: other.into(),
                },
            })?;
        let txn = db.begin_write().map_err(|e| OpenError::Other {
            path: shown.clone(),
            source: e.into(),
        })?;
        {
            txn.open_table(ITEMS).map_err(|e| OpenError::Other {
                path: shown.clone(),
                source: e.into(),
            })?;
        }
        txn.commit().map_err(|e| OpenError::Other {
            path: shown,
            source: e.into(),
        })?;
        Ok(Self { db: Arc::new(db) })
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Database) -> T + Send + 'static,
    ) -> Result<T, TableError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || work(&db))
            .await
            .map_err(backend)
    }

    fn read_many(db: &Database, keys: &[Key]) -> Result<Vec<Option<Item>>, TableError> {
        let txn = db.begin_read().map_err(backend)?;
        let table = txn.open_table(ITEMS).map_err(backend)?;
        keys.iter()
            .map(|key| {
                match table
                    .get((key.pk.as_str(), key.sk.as_str()))
                    .map_err(backend)?
                {
                    Some(value) => decode(value.value()).map(Some),
                    None => Ok(None),
                }
            })
            .collect()
    }
}

/// The smallest string above every string that starts with `prefix`, if there is one.
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let raised = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(raised) = raised {
            chars.push(raised);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[async_trait]
impl Table for EmbeddedTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        let key = key.clone();
        self.blocking(move |db| Self::read_many(db, std::slice::from_ref(&key)))
            .await?
            .map(|mut items| items.pop().flatten())
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, TableError> {
        super::validate_batch(keys)?;
        let keys = keys.to_vec();
        self.blocking(move |db| Self::read_many(db, &keys)).await?
    }

    async fn query(
        &self,
        pk: &str,
        sk_prefix: &str,
        after: Option<&Key>,
        limit: usize,
    ) -> Result<Page, TableError> {
        super::validate_limit(limit)?;
        let pk = pk.to_owned();
        let prefix = sk_prefix.to_owned();
        let after = after.map(|k| k.sk.clone());
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(backend)?;
            let table = txn.open_table(ITEMS).map_err(backend)?;
            let start = after.clone().unwrap_or_else(|| prefix.clone());
            let range = table
                .range((pk.as_str(), start.as_str())..)
                .map_err(backend)?;
            let mut items = Vec::new();
            let mut more = false;
            for entry in range {
                let (key, value) = entry.map_err(backend)?;
                let (item_pk, item_sk) = key.value();
                if item_pk != pk || !item_sk.starts_with(prefix.as_str()) {
                    break;
                }
                if after.as_deref() == Some(item_sk) {
                    continue;
                }
                if items.len() == limit {
                    more = true;
                    break;
                }
                items.push(decode(value.value())?);
            }
            let next = if more {
                items.last().and_then(Key::of)
            } else {
                None
            };
            Ok(Page { items, next })
        })
        .await?
    }

    async fn query_backward(
        &self,
        pk: &str,
        sk_prefix: &str,
        before: Option<&Key>,
        limit: usize,
    ) -> Result<Page, TableError> {
        super::validate_limit(limit)?;
        let pk = pk.to_owned();
        let prefix = sk_prefix.to_owned();
        let before = before.map(|k| k.sk.clone());
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(backend)?;
            let table = txn.open_table(ITEMS).map_err(backend)?;
            // From the first key with the prefix up to the first key past it: a prefix's end is
            // the prefix with its last character raised by one; an empty prefix ends where the
            // next partition starts.
            let (end_pk, end_sk) = match (before, prefix_end(&prefix)) {
                (Some(before), _) => (pk.clone(), before),
                (None, Some(end)) => (pk.clone(), end),
                (None, None) => (format!("{pk}\u{0}"), String::new()),
            };
            let range = table
                .range((pk.as_str(), prefix.as_str())..(end_pk.as_str(), end_sk.as_str()))
                .map_err(backend)?;
            let mut items = Vec::new();
            let mut more = false;
            for entry in range.rev() {
                let (key, value) = entry.map_err(backend)?;
                let (item_pk, item_sk) = key.value();
                if item_pk != pk || !item_sk.starts_with(prefix.as_str()) {
                    continue;
                }
                if items.len() == limit {
                    more = true;
                    break;
                }
                items.push(decode(value.value())?);
            }
            let next = if more {
                items.last().and_then(Key::of)
            } else {
                None
            };
            Ok(Page { items, next })
        })
        .await?
    }

    async fn transact(&self, ops: Vec<Op>) -> Result<(), TransactError> {
        super::validate_transaction(&ops)?;
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(backend)?;
            {
                let mut table = txn.open_table(ITEMS).map_err(backend)?;
                for op in &ops {
                    let Some(condition) = op.condition() else {
                        continue;
                    };
                    let key = op
                        .key()
                        .ok_or_else(|| TableError::Invalid("missing key".into()))?;
                    let current = match table
                        .get((key.pk.as_str(), key.sk.as_str()))
                        .map_err(backend)?
                    {
                        Some(value) => Some(decode(value.value())?),
                        None => None,
                    };
                    if !super::condition_holds(condition, current.as_ref()) {
                        return Err(TransactError::ConditionFailed { key });
                    }
                }
                for op in &ops {
                    match op {
                        Op::Put { item, .. } => {
                            let key = Key::of(item)
                                .ok_or_else(|| TableError::Invalid("missing key".into()))?;
                            let bytes = encode(item)?;
                            table
                                .insert((key.pk.as_str(), key.sk.as_str()), bytes.as_slice())
                                .map_err(backend)?;
                        }
                        Op::Delete { key, .. } => {
                            table
                                .remove((key.pk.as_str(), key.sk.as_str()))
                                .map_err(backend)?;
                        }
                        Op::Check { .. } => {}
                    }
                }
            }
            // Dropping an uncommitted write transaction aborts it, so an early return above
            // leaves nothing behind.
            txn.commit().map_err(backend)?;
            Ok(())
        })
        .await
        .map_err(TransactError::Table)?
    }
}
