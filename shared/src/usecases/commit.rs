//! The one way a use case writes. It fills a [`Writes`] with its conditional puts and checks, the
//! mail it sends, the jobs it files and the audit events that record it, then commits them as one
//! transaction: the change, its mail and its record stand or fall together.
//!
//! A failed commit maps to the use case's error with [`LostRace::lost_race`] for the common "lost
//! a race" case; a use case that tells failures apart matches `failed_on(&key)` first.

use chrono::{DateTime, Utc};

use super::audit::AuditEvent;
use super::jobs::Job;
use super::webhooks::WebhookEvent;
use super::webhooks::catalogue::{
    MEMBERSHIP_CREATED, MEMBERSHIP_REMOVED, ObjectKind, serialized_len,
};
use super::webhooks::delivery::EventBatch;
use super::{Context, InternalError};
use crate::app::App;
use crate::domain::{EmailAddress, EventId, Locale, TenantId};
use crate::keys;
use crate::mail::MailTemplate;
use crate::records::EventSubject;
use crate::table::{Condition, Item, Key, MAX_TRANSACTION_OPS, Op, TransactError};

/// The writes of one use case, committed together by [`Writes::commit`]. A clone is the same
/// writes again, for a commit retried with fresh counts (see `throttle::transact_counting`).
#[derive(Clone)]
pub(crate) struct Writes<'a> {
    app: &'a App,
    now: DateTime<Utc>,
    ops: Vec<Op>,
    /// Audit ops: in the transaction while they fit, after it when they do not (see `commit`).
    events: Vec<Op>,
    /// The webhook events of the audit events in the catalogue: filed as one job in the
    /// transaction itself (see `commit`).
    webhook_events: Vec<WebhookEvent>,
    /// Records an event is about that the commit reads but does not write (an invitation that
    /// expired), as they stand: its event carries them as it carries a record written.
    unchanged: Vec<Item>,
    /// Whether a mail or a job was filed, so the mailer is woken after the commit.
    files_outbox: bool,
}

impl<'a> Writes<'a> {
    /// Writes made at `now` (the time the use case read its state at, so that records, mail and
    /// events agree on it).
    pub fn new(app: &'a App, now: DateTime<Utc>) -> Self {
        Self {
            app,
            now,
            ops: Vec::new(),
            events: Vec::new(),
            webhook_events: Vec::new(),
            unchanged: Vec::new(),
            files_outbox: false,
        }
    }

    pub fn app(&self) -> &'a App {
        self.app
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// A put, delete or check, in the order given.
    pub fn op(&mut self, op: Op) -> &mut Self {
        self.ops.push(op);
        self
    }

    pub fn ops(&mut self, ops: impl IntoIterator<Item = Op>) -> &mut Self {
        self.ops.extend(ops);
        self
    }

    /// Files `mail` to `to` in `locale`, sent once the commit stands.
    pub fn mail(
        &mut self,
        mail: &MailTemplate,
        to: &EmailAddress,
        locale: Locale,
    ) -> Result<&mut Self, InternalError> {
        let rendered = mail.render(to, locale).context("rendering a mail")?;
        let op = self
            .app
            .outbox
            .enqueue(&rendered, self.now, self.app.random.as_ref())
            .context("filing a mail")?;
        self.ops.push(op);
        self.files_outbox = true;
        Ok(self)
    }

    /// Files `job`, done by the outbox dispatcher once the commit stands.
    pub fn job(&mut self, job: Job) -> Result<&mut Self, InternalError> {
        let op = self
            .app
            .outbox
            .enqueue_job(job, self.now, self.app.random.as_ref())
            .context("filing a job")?;
        self.ops.push(op);
        self.files_outbox = true;
        Ok(self)
    }

    /// Records `event` in its tenant's log (and the subject's history).
    pub fn audit(&mut self, event: AuditEvent) -> Result<&mut Self, InternalError> {
        let id = EventId::from_ulid(self.app.random.ulid(self.now));
        self.webhook_events
            .extend(WebhookEvent::of(&event, id, self.now));
        let ops = event.ops(id, self.now).context("building an audit event")?;
        self.events.extend(ops);
        Ok(self)
    }

    /// Names a record the change is about that it does not write (`item`, as read): its events
    /// carry its version and object as they would a record written.
    pub fn unchanged(&mut self, item: Item) -> &mut Self {
        self.unchanged.push(item);
        self
    }

    /// Takes in `other`'s writes: a use case that packs the writes of several units (an import's
    /// rows) into one commit. A check this commit holds already (two rows that join one team,
    /// each against the version read) is taken once: a transaction names an item once.
    pub fn append(&mut self, other: Writes<'_>) -> &mut Self {
        for op in other.ops {
            if !(matches!(op, Op::Check { .. }) && self.ops.contains(&op)) {
                self.ops.push(op);
            }
        }
        self.events.extend(other.events);
        self.webhook_events.extend(other.webhook_events);
        self.unchanged.extend(other.unchanged);
        self.files_outbox |= other.files_outbox;
        self
    }

    /// How many operations the commit holds, audit events and the webhook job included.
    pub fn len(&self) -> usize {
        self.ops.len() + self.events.len() + usize::from(!self.webhook_events.is_empty())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The items the commit writes or checks (audit events, always new, are not among them).
    pub fn keys(&self) -> impl Iterator<Item = Key> + '_ {
        self.ops.iter().filter_map(Op::key)
    }

    /// The items of [`keys`](Self::keys) that appending to `into` would add to it: all but the
    /// checks `into` holds already, the same way (see [`append`](Self::append)).
    pub fn keys_beyond<'b>(&'b self, into: &'b Writes<'_>) -> impl Iterator<Item = Key> + 'b {
        self.ops
            .iter()
            .filter(|op| !(matches!(op, Op::Check { .. }) && into.ops.contains(op)))
            .filter_map(Op::key)
    }

    /// Commits everything as one transaction, and wakes the mailer when mail or a job was filed.
    ///
    /// The commit's webhook events are one outbox job inside the transaction: no change commits
    /// without its events, and no event is filed for a change that did not commit. Audit events
    /// past the transaction limit (an account in dozens of tenants) follow in further
    /// transactions after the commit; one that fails then is logged, and the change it records
    /// stands.
    pub async fn commit(self) -> Result<(), TransactError> {
        let Writes {
            app,
            now,
            mut ops,
            mut events,
            mut webhook_events,
            unchanged,
            mut files_outbox,
        } = self;
        complete_events(&ops, &unchanged, now, &mut events, &mut webhook_events);
        // One batch per tenant: a job's fan-out reads one tenant's endpoints.
        let mut tenants: Vec<TenantId> = webhook_events.iter().map(|e| e.tenant_id).collect();
        tenants.sort();
        tenants.dedup();
        for tenant in tenants {
            let batch = EventBatch {
                tenant_id: tenant,
                events: webhook_events
                    .iter()
                    .filter(|e| e.tenant_id == tenant)
                    .cloned()
                    .collect(),
                on_bus: false,
            };
            let op = app
                .outbox
                .enqueue_job(Job::Events(batch), now, app.random.as_ref())
                .map_err(|e| TransactError::Table(crate::table::TableError::Backend(e.into())))?;
            ops.push(op);
            files_outbox = true;
        }
        let room = MAX_TRANSACTION_OPS.saturating_sub(ops.len());
        let rest = events.split_off(room.min(events.len()));
        ops.extend(events);
        app.table.transact(ops).await?;
        for chunk in rest.chunks(MAX_TRANSACTION_OPS) {
            if let Err(error) = app.table.transact(chunk.to_vec()).await {
                tracing::error!(error = ?error, events = chunk.len(), "audit events not written");
            }
        }
        if files_outbox {
            app.mail_committed();
        }
        Ok(())
    }
}

/// The bytes of objects one commit's events carry at most. Its events ride in one outbox item,
/// which DynamoDB bounds at 400 KB once sealed (about 1.4 times the JSON): a large import pack
/// of people with long permission lists would pass it. Past this, events carry their ids alone.
const MAX_OBJECT_BYTES_PER_COMMIT: usize = 160 * 1024;

/// The changes that make a membership: only they are told as `membership.created` too (a
/// `team.member_added` of the same commit puts the same new membership, and is not one more).
const MAKES_A_MEMBERSHIP: [&str; 4] = [
    "user.created",
    "invitation.accepted",
    "inbound.user_created",
    "tenant.created",
];

/// Gives `event` `object` if the commit's budget for objects has room for it; if not, the
/// event tells its ids alone.
fn attach_within(event: &mut WebhookEvent, object: serde_json::Value, spent: &mut usize) {
    let size = serialized_len(&object);
    if *spent + size > MAX_OBJECT_BYTES_PER_COMMIT {
        event.tell_ids_only();
    } else {
        event.attach_object(object);
        if event.object().is_some() {
            *spent += size;
        }
    }
}

/// Completes the webhook events from the commit's own writes: each gets the version its
/// subject's record has once the commit stands and, for the types that carry one, that record as
/// the API shows it (`data.object`, see [`ObjectKind`]); a change that makes a membership (a put
/// of one that must not exist yet) or archives one is told as `membership.*` too. All of it is
/// kept in the event's log entry, so a replay sends the same.
fn complete_events(
    ops: &[Op],
    unchanged: &[Item],
    now: DateTime<Utc>,
    audit_ops: &mut [Op],
    webhook_events: &mut Vec<WebhookEvent>,
) {
    let put_of = |key: &Key| {
        ops.iter().find_map(|op| match op {
            Op::Put { item, condition } if Key::of(item).as_ref() == Some(key) => {
                Some((item, condition))
            }
            _ => None,
        })
    };
    let subject_of = |key: &Key| {
        put_of(key)
            .map(|(item, _)| item)
            .or_else(|| unchanged.iter().find(|i| Key::of(i).as_ref() == Some(key)))
    };
    let version_of = |item: &Item| item.get("version").and_then(serde_json::Value::as_u64);
    let mut membership_events = Vec::new();
    let mut spent = 0;
    for event in webhook_events.iter_mut() {
        let subject_key = event.subject_key();
        // The version of a record the change wrote: an unchanged one (an invitation that
        // expires) gives its object but no version, as its last event already had that one.
        event.version = subject_key
            .as_ref()
            .and_then(put_of)
            .and_then(|(item, _)| version_of(item));
        let object = ObjectKind::of(&event.kind)
            .zip(subject_key.as_ref().and_then(subject_of))
            .and_then(|(kind, item)| kind.build(item, now));
        if let Some(object) = object {
            attach_within(event, object, &mut spent);
        }
        let membership_put = event.membership_key().and_then(|key| put_of(&key));
        let made_membership = MAKES_A_MEMBERSHIP.contains(&event.kind.as_str())
            && membership_put
                .is_some_and(|(_, condition)| *condition == Some(Condition::NotExists));
        let membership = if made_membership {
            Some(MEMBERSHIP_CREATED)
        } else if event.kind == "user.archived" {
            Some(MEMBERSHIP_REMOVED)
        } else {
            None
        };
        // A membership event is about the membership, whatever the change's own subject.
        let membership_event = membership
            .and_then(|kind| event.membership_event(kind))
            .map(|m| match membership_put {
                Some((item, _)) => {
                    let mut m = m.about(version_of(item), None);
                    if let Some(object) = ObjectKind::User.build(item, now) {
                        attach_within(&mut m, object, &mut spent);
                    }
                    m
                }
                None => m,
            });
        // Kept in the log only where it is not the change's own (a tenant's first owner).
        let membership_subject = membership_event
            .as_ref()
            .filter(|m| {
                m.version != event.version
                    || m.object() != event.object()
                    || m.is_ids_only() != event.is_ids_only()
            })
            .map(|m| EventSubject {
                version: m.version,
                object: m.object().cloned(),
                ids_only: m.is_ids_only(),
            });
        membership_events.extend(membership_event);
        let Some(id) = event.id.strip_prefix("evt_") else {
            continue;
        };
        let log_entry = id
            .parse::<EventId>()
            .ok()
            .map(|id| keys::event(event.tenant_id, id));
        for op in audit_ops.iter_mut() {
            if let Op::Put { item, .. } = op
                && item.get("id").and_then(serde_json::Value::as_str) == Some(id)
            {
                if let Some(version) = event.version {
                    item.insert("subject_version".into(), version.into());
                }
                if let Some(kind) = membership {
                    item.insert("membership_event".into(), kind.into());
                }
                // The objects once, in the tenant's log that replays read.
                if Key::of(item) == log_entry {
                    if let Some(object) = event.object() {
                        item.insert("object".into(), object.clone());
                    }
                    if event.is_ids_only() {
                        item.insert("ids_only".into(), true.into());
                    }
                    if let Some(subject) = &membership_subject
                        && let Ok(subject) = serde_json::to_value(subject)
                    {
                        item.insert("membership_subject".into(), subject);
                    }
                }
            }
        }
    }
    webhook_events.extend(membership_events);
}

/// Maps a commit's failure to a use case's error in one line.
pub(crate) trait LostRace {
    /// A failed condition or a concurrent transaction (the state read has changed since) becomes
    /// `lost`; any other failure is internal, with `context` for the logs.
    fn lost_race<E: From<InternalError>>(self, lost: E, context: &'static str) -> Result<(), E>;
}

impl LostRace for Result<(), TransactError> {
    fn lost_race<E: From<InternalError>>(self, lost: E, context: &'static str) -> Result<(), E> {
        match self {
            Ok(()) => Ok(()),
            Err(TransactError::ConditionFailed { .. } | TransactError::Conflict) => Err(lost),
            Err(other) => Err(other).context(context).map_err(Into::into),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commits_events_carry_objects_up_to_its_budget_then_their_ids() {
        let event = |n: usize| WebhookEvent {
            id: format!("evt_{n}"),
            kind: "user.created".into(),
            timestamp: Utc::now(),
            tenant_id: TenantId::from_ulid(ulid::Ulid::new()),
            data: serde_json::json!({"user_id": n.to_string(), "email": "x@example.org"}),
            version: Some(1),
        };
        // Large objects, as a pack of people with long permission lists makes.
        let permissions = vec!["p".repeat(60); 200];
        let object = serde_json::json!({"id": "u", "permissions": permissions});
        let mut spent = 0;
        let events: Vec<WebhookEvent> = (0..30)
            .map(|n| {
                let mut e = event(n);
                attach_within(&mut e, object.clone(), &mut spent);
                e
            })
            .collect();
        let carried = events.iter().filter(|e| e.object().is_some()).count();
        assert!((10..30).contains(&carried), "{carried} objects");
        assert!(spent <= MAX_OBJECT_BYTES_PER_COMMIT);
        for e in &events[carried..] {
            assert!(e.is_ids_only() && e.object().is_none(), "{:?}", e.data);
            assert_eq!(e.data["user_id"], e.id.trim_start_matches("evt_"));
        }
        let all: usize = events.iter().map(serialized_len).sum();
        assert!(all < 200 * 1024, "{all} bytes in one job");
    }
}
