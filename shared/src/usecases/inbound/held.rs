//! Senders held for an admin: `GET /v1/tenants/{id}/inbound/held`, `POST .../{id}/approve`
//! (the person is made a user as inbound mail would have) and `POST .../{id}/reject` (optionally
//! blocking the address or its whole domain for the future).
//!
//! A sender is held once per tenant (a mark by address names the entry), and a tenant holds at
//! most `held_senders_per_tenant`, counted in one item that holds, approvals and rejections write
//! against the version read; a decision that loses that race to inbound mail is made again.
//!
//! Round trips: listing takes the caller's batch read and a query per page; approving, the caller
//! with the held sender and the queue's count, the sender's login item, (for an account that
//! exists) the account and its membership, and one transaction; rejecting, one batch read and one
//! transaction (each again after a lost race).

use serde_json::json;

use super::super::Found;
use super::super::audit::{AuditAction, AuditEvent};
use super::super::commit::{LostRace, Writes};
use super::super::listing::Cursor;
use super::super::{AuthError, Context, InternalError, TenantCaller};
use super::{Outcome, OutcomeKind, Person, Plan, make_user};
use crate::app::App;
use crate::domain::{AccountId, HeldId, TenantId};
use crate::keys;
use crate::records::{
    AccountRecord, HeldQueueRecord, HeldSenderRecord, LoginRecord, MembershipRecord, TenantRecord,
    from_item, to_item,
};
use crate::table::{Condition, Key, Op};
use crate::token::Credential;

#[derive(Debug, thiserror::Error)]
pub enum HeldError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("the caller may not decide on held senders of this tenant")]
    Forbidden,
    #[error("no such held sender in this tenant")]
    NotFound,
    #[error("the cursor is not one this listing gave")]
    InvalidCursor,
    #[error("the sender or the settings changed at the same time; try again")]
    Conflict,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

pub struct ListHeld {
    pub limit: usize,
    pub cursor: Option<String>,
}

pub struct HeldPage {
    pub held: Vec<HeldSenderRecord>,
    pub next_cursor: Option<Cursor>,
    /// Senders the tenant holds, as counted, and the most it may: at the limit, mail that would
    /// be held is ignored (`held_queue_full`).
    pub queued: u32,
    pub limit: u32,
}

/// What a rejection blocks from now on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejectBlock {
    Address,
    Domain,
}

/// Newest first.
pub async fn list_held(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    request: ListHeld,
) -> Result<HeldPage, HeldError> {
    let cursor = request
        .cursor
        .as_deref()
        .map(|raw| Cursor::parse(raw, keys::HELD_PREFIX).ok_or(HeldError::InvalidCursor))
        .transpose()?;
    let (caller, items) =
        TenantCaller::load_with(app, token, tenant_id, &[keys::held_queue(tenant_id)]).await?;
    if !caller.rights.can_manage_users() {
        return Err(HeldError::Forbidden);
    }
    let queue: Option<HeldQueueRecord> = Found::new(items).next("reading the held queue")?;
    let pk = keys::tenant_pk(tenant_id);
    let before = cursor.map(|c| Key::new(pk.clone(), c.sk()));
    let page = app
        .table
        .query_backward(&pk, keys::HELD_PREFIX, before.as_ref(), request.limit)
        .await
        .context("listing held senders")?;
    let held = page
        .items
        .into_iter()
        .map(from_item)
        .collect::<Result<Vec<HeldSenderRecord>, _>>()
        .context("reading a held sender")?;
    Ok(HeldPage {
        held,
        next_cursor: page.next.map(|k| Cursor::after(k.sk)),
        queued: queue.map_or(0, |q| q.held),
        limit: app.config.held_senders_per_tenant,
    })
}

/// A held sender as an admin decides on it.
struct Decision {
    caller: TenantCaller,
    held: HeldSenderRecord,
    /// The tenant's held queue as read (none before its first queued entry).
    queue: Option<HeldQueueRecord>,
}

impl Decision {
    async fn load(
        app: &App,
        token: &Credential,
        tenant_id: TenantId,
        id: HeldId,
    ) -> Result<Self, HeldError> {
        let (caller, items) = TenantCaller::load_with(
            app,
            token,
            tenant_id,
            &[keys::held(tenant_id, id), keys::held_queue(tenant_id)],
        )
        .await?;
        let mut found = Found::new(items);
        let held: Option<HeldSenderRecord> = found.next("reading a held sender")?;
        let queue: Option<HeldQueueRecord> = found.next("reading the held queue")?;
        if !caller.rights.can_manage_users() {
            return Err(HeldError::Forbidden);
        }
        Ok(Self {
            caller,
            held: held.ok_or(HeldError::NotFound)?,
            queue,
        })
    }

    /// The writes that take the sender off the queue: its entry, and for a queued entry its mark
    /// and one off the count.
    fn unhold(&self, writes: &mut Writes<'_>) -> Result<Key, InternalError> {
        let tenant = self.caller.tenant.id;
        let held_key = keys::held(tenant, self.held.id);
        writes.op(Op::delete_if(held_key.clone(), Condition::Exists));
        if self.held.queued {
            writes.op(Op::delete(keys::held_by_sender(
                tenant,
                &self.held.sender.normalized(),
            )));
            if let Some(queue) = &self.queue {
                writes.op(count_held(
                    tenant,
                    Some(queue),
                    queue.held.saturating_sub(1),
                )?);
            }
        }
        Ok(held_key)
    }
}

/// How often a decision whose writes raced inbound mail (which counts the same queue) is made
/// again before the admin is asked to try again.
const DECISION_TRIES: usize = 4;

/// Runs `decide` until it does not lose a race, at most [`DECISION_TRIES`] times.
async fn retrying<T, F, Fut>(mut decide: F) -> Result<T, HeldError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, HeldError>>,
{
    let mut tries = 1;
    loop {
        match decide().await {
            Err(HeldError::Conflict) if tries < DECISION_TRIES => tries += 1,
            other => return other,
        }
    }
}

/// The write that makes the tenant's held queue count `held`, against the version read as
/// `current` (a queue never counted is created).
pub(super) fn count_held(
    tenant: TenantId,
    current: Option<&HeldQueueRecord>,
    held: u32,
) -> Result<Op, InternalError> {
    let (version, condition) = match current {
        Some(c) => (c.version + 1, Condition::VersionIs(c.version)),
        None => (1, Condition::NotExists),
    };
    let item = to_item(
        &keys::held_queue(tenant),
        &HeldQueueRecord { held, version },
        None,
    )
    .context("building the held queue")?;
    Ok(Op::put_if(item, condition))
}

fn decision_event(
    writes: &mut Writes<'_>,
    caller: &TenantCaller,
    held: &HeldSenderRecord,
    action: AuditAction,
    subject: Option<AccountId>,
    details: serde_json::Value,
) -> Result<(), InternalError> {
    let mut all = json!({
        "held_id": held.id, "sender": held.sender, "reason": held.reason,
        "message_id": held.message_id,
    });
    if let (Some(all), Some(more)) = (all.as_object_mut(), details.as_object()) {
        all.extend(more.clone());
    }
    writes.audit(AuditEvent {
        tenant: caller.tenant.id,
        action,
        actor: caller.actor,
        subject,
        details: all,
    })?;
    Ok(())
}

/// Makes the held sender a user of the tenant (or finds them a member already).
///
/// Kept in one piece: two reads, then the same writes inbound mail makes, in one transaction.
pub async fn approve_held(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    id: HeldId,
) -> Result<Outcome, HeldError> {
    retrying(|| approve_once(app, token, tenant_id, id)).await
}

async fn approve_once(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    id: HeldId,
) -> Result<Outcome, HeldError> {
    let decision = Decision::load(app, token, tenant_id, id).await?;
    let (caller, held) = (&decision.caller, &decision.held);
    let login: Option<LoginRecord> = crate::records::from_optional(
        app.table
            .get(&keys::login(&held.sender.normalized()))
            .await
            .context("reading the login item")?,
    )
    .context("reading the login item")?;
    let (account, membership) = match &login {
        Some(login) => {
            let mut found = Found::new(
                app.table
                    .batch_get(&[
                        keys::account(login.account_id),
                        keys::membership(tenant_id, login.account_id),
                    ])
                    .await
                    .context("reading the account")?,
            );
            let account: Option<AccountRecord> = found.next("reading the account")?;
            let membership: Option<MembershipRecord> = found.next("reading the membership")?;
            (account, membership)
        }
        None => (None, None),
    };
    let mut plan = Plan::new(app, Default::default());
    let held_key = decision.unhold(&mut plan.writes)?;
    let address = caller
        .tenant
        .settings
        .inbound
        .addresses
        .first()
        .map(ToString::to_string)
        .unwrap_or_default();
    let outcome = match membership {
        Some(member) => Outcome {
            tenant_id,
            address,
            sender: Some(held.sender.to_string()),
            outcome: OutcomeKind::Member,
            reason: None,
            user_id: Some(member.account_id),
            auto_tickets: Some(member.auto_tickets),
            held_id: Some(id),
        },
        None => {
            let person = Person {
                address: held.sender.clone(),
                display: held.display_name.clone(),
            };
            let team = held
                .address
                .as_ref()
                .and_then(|a| caller.tenant.settings.inbound.team_for(a));
            let user = make_user(
                app,
                &caller.tenant,
                team,
                &person,
                login.as_ref().zip(account.as_ref()),
                &mut plan,
            )?;
            Outcome {
                tenant_id,
                address,
                sender: Some(held.sender.to_string()),
                outcome: if account.is_some() {
                    OutcomeKind::Joined
                } else {
                    OutcomeKind::Created
                },
                reason: None,
                user_id: Some(user),
                auto_tickets: None,
                held_id: Some(id),
            }
        }
    };
    decision_event(
        &mut plan.writes,
        caller,
        held,
        AuditAction::InboundApproved,
        outcome.user_id,
        json!({"outcome": outcome.outcome}),
    )?;
    match plan.writes.commit().await {
        Err(e) if e.failed_on(&held_key) => Err(HeldError::NotFound),
        other => other.lost_race(HeldError::Conflict, "approving a held sender"),
    }?;
    Ok(outcome)
}

/// Forgets the held sender; with `block`, their address or domain is blocked from now on.
pub async fn reject_held(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    id: HeldId,
    block: Option<RejectBlock>,
) -> Result<(), HeldError> {
    retrying(|| reject_once(app, token, tenant_id, id, block)).await
}

async fn reject_once(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    id: HeldId,
    block: Option<RejectBlock>,
) -> Result<(), HeldError> {
    let decision = Decision::load(app, token, tenant_id, id).await?;
    let (caller, held) = (&decision.caller, &decision.held);
    // Blocking changes the tenant's settings: owners and admins only.
    if block.is_some() && !caller.rights.role.is_admin() {
        return Err(HeldError::Forbidden);
    }
    let mut writes = Writes::new(app, app.clock.now());
    let held_key = decision.unhold(&mut writes)?;
    let entry = match block {
        Some(RejectBlock::Address) => Some(held.sender.normalized()),
        Some(RejectBlock::Domain) => Some(held.sender.domain()),
        None => None,
    };
    if let Some(entry) = &entry {
        let tenant = &caller.tenant;
        let mut settings = tenant.settings.clone();
        if !settings.inbound.blocked_domains.contains(entry) {
            settings.inbound.blocked_domains.push(entry.clone());
            settings.inbound.blocked_domains.sort();
        }
        let updated = TenantRecord {
            settings,
            updated_at: app.clock.now(),
            version: tenant.version + 1,
            ..tenant.clone()
        };
        writes.op(Op::put_if(
            to_item(&keys::tenant(tenant_id), &updated, None).context("building the tenant")?,
            Condition::VersionIs(tenant.version),
        ));
    }
    decision_event(
        &mut writes,
        caller,
        held,
        AuditAction::InboundRejected,
        None,
        json!({"blocked": entry}),
    )?;
    match writes.commit().await {
        Err(e) if e.failed_on(&held_key) => Err(HeldError::NotFound),
        other => other.lost_race(HeldError::Conflict, "rejecting a held sender"),
    }
}
