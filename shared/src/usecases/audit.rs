//! Audit events: written in the same transaction as what they record.

use chrono::{DateTime, Utc};

use crate::clock::Random;
use crate::domain::{AccountId, EventId, TenantId};
use crate::keys;
use crate::records::{EventRecord, to_item};
use crate::table::{Op, TableError};

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
