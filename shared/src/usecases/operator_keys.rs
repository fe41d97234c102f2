//! Operator keys: the credential of the company running Usher, for its back office. Made,
//! listed and revoked from the command line (`usher operator-key`), against the local data dir
//! or the DynamoDB table; used as `Authorization: Bearer usher_op_...` on `/v1/tenants`.
//!
//! A key is found by the hash of its secret (`OPKEY#{hash}`): one read authenticates it, and
//! revoking deletes that item, so the very next request is refused. Its entry in the list
//! (`OPERATORKEYS`) stays, with the time it was revoked.

use chrono::{DateTime, Utc};

use super::{AuthError, Context, InternalError};
use crate::app::App;
use crate::domain::OperatorKeyId;
use crate::keys;
use crate::records::{
    OperatorKeyEntryRecord, OperatorKeyRecord, OperatorScope, from_item, from_optional, to_item,
};
use crate::table::{Condition, Op};
use crate::token::{KeyKind, KeySecret};

/// How stale a key's `last_used_at` may get before a request writes it again.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::minutes(1);

#[derive(Debug, thiserror::Error)]
pub enum OperatorKeyError {
    #[error("a key needs a name of 1 to 100 characters")]
    InvalidName,
    #[error("a key needs at least one scope")]
    NoScopes,
    #[error("no such key")]
    NotFound,
    #[error("the key is revoked already")]
    AlreadyRevoked,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// A key just made: its secret, shown this once.
pub struct CreatedKey {
    pub entry: OperatorKeyEntryRecord,
    pub secret: KeySecret,
}

pub async fn create(
    app: &App,
    name: &str,
    scopes: Vec<OperatorScope>,
) -> Result<CreatedKey, OperatorKeyError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(OperatorKeyError::InvalidName);
    }
    let mut scopes = scopes;
    scopes.sort_by_key(|s| s.as_str());
    scopes.dedup();
    if scopes.is_empty() {
        return Err(OperatorKeyError::NoScopes);
    }
    let now = app.clock.now();
    let secret = KeySecret::generate_operator(app.random.as_ref());
    let id = OperatorKeyId::from_ulid(app.random.ulid(now));
    let record = OperatorKeyRecord {
        id,
        name: name.to_owned(),
        scopes: scopes.clone(),
        created_at: now,
        last_used_at: None,
    };
    let entry = OperatorKeyEntryRecord {
        id,
        name: name.to_owned(),
        scopes,
        key_hash: secret.hash(),
        created_at: now,
        revoked_at: None,
        last_used_at: None,
    };
    app.table
        .transact(vec![
            Op::put_if(
                to_item(&keys::operator_key(&secret.hash()), &record, None)
                    .context("building the key")?,
                Condition::NotExists,
            ),
            Op::put_if(
                to_item(&keys::operator_key_entry(id), &entry, None)
                    .context("building the key's entry")?,
                Condition::NotExists,
            ),
        ])
        .await
        .context("storing the key")?;
    tracing::info!(operator_key_id = %id, "operator key created");
    Ok(CreatedKey { entry, secret })
}

/// A key in the list, with when it was last used.
pub struct KeySummary {
    pub entry: OperatorKeyEntryRecord,
    pub last_used_at: Option<DateTime<Utc>>,
}

pub async fn list(app: &App) -> Result<Vec<KeySummary>, OperatorKeyError> {
    let mut entries = Vec::new();
    super::listing::for_each_item(
        app,
        keys::OPERATOR_KEYS_PK,
        keys::OPERATOR_KEY_PREFIX,
        |item| {
            entries.push(from_item::<OperatorKeyEntryRecord>(item).context("reading a key")?);
            Ok(())
        },
    )
    .await?;
    let lookups: Vec<_> = entries
        .iter()
        .map(|e| keys::operator_key(&e.key_hash))
        .collect();
    let found = crate::table::batch_get_all(app.table.as_ref(), &lookups)
        .await
        .context("reading the keys")?;
    entries
        .into_iter()
        .zip(found)
        .map(|(entry, item)| {
            let record: Option<OperatorKeyRecord> = from_optional(item).context("reading a key")?;
            Ok(KeySummary {
                last_used_at: record.and_then(|r| r.last_used_at).or(entry.last_used_at),
                entry,
            })
        })
        .collect()
}

/// Revokes a key: its lookup item goes, so the next request with it is refused.
pub async fn revoke(app: &App, id: OperatorKeyId) -> Result<(), OperatorKeyError> {
    let now = app.clock.now();
    let entry: OperatorKeyEntryRecord = from_optional(
        app.table
            .get(&keys::operator_key_entry(id))
            .await
            .context("reading the key")?,
    )
    .context("reading the key")?
    .ok_or(OperatorKeyError::NotFound)?;
    if entry.revoked_at.is_some() {
        return Err(OperatorKeyError::AlreadyRevoked);
    }
    // Its last use is kept in the list, as its lookup item goes.
    let live: Option<OperatorKeyRecord> = from_optional(
        app.table
            .get(&keys::operator_key(&entry.key_hash))
            .await
            .context("reading the key")?,
    )
    .context("reading the key")?;
    let revoked = OperatorKeyEntryRecord {
        revoked_at: Some(now),
        last_used_at: live.and_then(|k| k.last_used_at),
        ..entry.clone()
    };
    app.table
        .transact(vec![
            Op::delete(keys::operator_key(&entry.key_hash)),
            Op::put_if(
                to_item(&keys::operator_key_entry(id), &revoked, None)
                    .context("building the key's entry")?,
                Condition::AttributeEquals("key_hash".into(), entry.key_hash.clone().into()),
            ),
        ])
        .await
        .context("revoking the key")?;
    tracing::info!(operator_key_id = %id, "operator key revoked");
    Ok(())
}

/// The operator, authenticated by one of its keys.
pub struct OperatorCaller {
    pub key: OperatorKeyRecord,
}

impl OperatorCaller {
    /// Reads the key `secret` names and checks it holds `scope`. One read (and, at most once a
    /// minute, the write of its `last_used_at`).
    pub async fn load(
        app: &App,
        secret: &KeySecret,
        scope: OperatorScope,
    ) -> Result<Self, AuthError> {
        if secret.kind != KeyKind::Operator {
            return Err(AuthError::Unauthenticated);
        }
        let item = app.table.get(&keys::operator_key(&secret.hash())).await?;
        let key: OperatorKeyRecord = from_optional(item)?.ok_or(AuthError::Unauthenticated)?;
        let caller = Self::check(key, scope)?;
        caller.touch(app, secret).await;
        Ok(caller)
    }

    pub(crate) fn check(key: OperatorKeyRecord, scope: OperatorScope) -> Result<Self, AuthError> {
        if !key.scopes.contains(&scope) {
            return Err(AuthError::ScopeMissing(scope.as_str()));
        }
        tracing::Span::current().record("operator_key_id", tracing::field::display(key.id));
        Ok(Self { key })
    }

    pub(crate) async fn touch(&self, app: &App, secret: &KeySecret) {
        let now = app.clock.now();
        if self
            .key
            .last_used_at
            .is_some_and(|at| now - at < TOUCH_EVERY)
        {
            return;
        }
        let touched = OperatorKeyRecord {
            last_used_at: Some(now),
            ..self.key.clone()
        };
        super::api_keys::put_last_use(app, &keys::operator_key(&secret.hash()), &touched).await;
    }

    pub fn actor(&self) -> crate::records::Actor {
        crate::records::Actor::OperatorKey(self.key.id)
    }
}
