//! Audit events: written in the same transaction as what they record.

use chrono::{DateTime, Utc};

use crate::app::App;
use crate::clock::Random;
use crate::domain::{AccountId, EventId, TenantId};
use crate::keys;
use crate::records::{EventRecord, to_item};
use crate::table::{MAX_TRANSACTION_OPS, Op, TableError, TransactError};

pub(crate) struct AuditEvent<'a> {
    pub tenant: TenantId,
    pub action: &'a str,
    pub actor: Option<AccountId>,
    pub subject: Option<AccountId>,
    pub details: serde_json::Value,
}

impl AuditEvent<'_> {
    /// The tenant log entry and, with a subject, its copy in the subject's history.
    pub fn ops(self, now: DateTime<Utc>, random: &dyn Random) -> Result<Vec<Op>, TableError> {
        let id = EventId::from_ulid(random.ulid(now));
        let record = EventRecord {
            id,
            tenant_id: self.tenant,
            action: self.action.to_owned(),
            actor_id: self.actor,
            subject_id: self.subject,
            at: now,
            details: self.details,
        };
        let mut ops = vec![Op::put(to_item(
            &keys::event(self.tenant, id),
            &record,
            None,
        )?)];
        if let Some(subject) = self.subject {
            ops.push(Op::put(to_item(
                &keys::subject_event(self.tenant, subject, id),
                &record,
                None,
            )?));
        }
        Ok(ops)
    }
}

/// Commits `ops` together with `events` (audit ops) while they fit in one transaction. Events past
/// the transaction limit (an account in dozens of tenants) follow in further transactions after
/// the commit; one that fails then is logged, and the change it records stands.
pub(crate) async fn transact_with_events(
    app: &App,
    mut ops: Vec<Op>,
    mut events: Vec<Op>,
) -> Result<(), TransactError> {
    let room = MAX_TRANSACTION_OPS.saturating_sub(ops.len());
    let rest = events.split_off(room.min(events.len()));
    ops.extend(events);
    app.table.transact(ops).await?;
    for chunk in rest.chunks(MAX_TRANSACTION_OPS) {
        if let Err(error) = app.table.transact(chunk.to_vec()).await {
            tracing::error!(error = ?error, events = chunk.len(), "audit events not written");
        }
    }
    Ok(())
}
