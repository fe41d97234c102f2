//! What processing a message reads, in at most three round trips: where it goes (and whether it
//! was seen before), the tenants it goes to with their caps, held queues and the people's held
//! entries and login items, and for people who have an account, it and its memberships in those
//! tenants. A read of more than 100 keys (a message to many tenants) is split into batches read
//! at once.

use std::collections::{BTreeMap, HashSet};

use super::decide::Known;
use super::{InboundMessage, MAX_PEOPLE, MAX_RECIPIENTS, Mailbox, Outcome, Parsed};
use crate::app::App;
use crate::domain::{EmailAddress, HeldId, TenantId};
use crate::keys;
use crate::records::{
    AccountRecord, HeldMarkRecord, HeldQueueRecord, InboundMarkerRecord, InboxRecord, LoginRecord,
    MembershipRecord, TenantRecord, ThrottleRecord, from_optional,
};
use crate::table::{Key, batch_get_all};
use crate::usecases::{Context, InternalError};

/// Where a message goes, as the first read found.
pub(super) enum Routing {
    /// Processed before: its outcomes as recorded.
    Seen(Vec<Outcome>),
    /// To no registered inbound address.
    Nowhere,
    To(Routed),
}

pub(super) struct Routed {
    /// The recipients that are a tenant's inbound address, with the tenant.
    pub owners: Vec<(EmailAddress, TenantId)>,
    /// Addresses that are no people: any tenant's inbound address, and Usher's own.
    pub looping: HashSet<String>,
    /// The people's addresses (From and Cc, normalised, each once, none a recipient).
    people: Vec<String>,
}

/// The first read: the message's marker, the recipients' inbound addresses, and the people's
/// (a person whose address is an inbound address is a loop).
pub(super) async fn route(
    app: &App,
    message: &InboundMessage,
    parsed: &Parsed,
) -> Result<Routing, InternalError> {
    let recipients: Vec<EmailAddress> = {
        let mut seen = HashSet::new();
        message
            .recipients
            .iter()
            .filter_map(|r| EmailAddress::parse(r.trim().trim_matches(['<', '>'])).ok())
            .filter(|r| seen.insert(r.normalized()))
            .take(MAX_RECIPIENTS)
            .collect()
    };
    let mailboxes: Vec<&Mailbox> = parsed.from.iter().chain(parsed.cc.iter()).collect();
    // Every person is looked up, a Cc'd address that is also an envelope recipient included:
    // which of them are inbound addresses (no people) the inbox reads below tell.
    let people: Vec<String> = {
        let mut seen: HashSet<String> = HashSet::new();
        mailboxes
            .iter()
            .filter_map(|m| m.address.as_ref().map(EmailAddress::normalized))
            .filter(|a| seen.insert(a.clone()))
            .take(MAX_PEOPLE)
            .collect()
    };
    // A person who is also a recipient is told apart by the recipient's own inbox read.
    let recipient_addresses: HashSet<String> =
        recipients.iter().map(EmailAddress::normalized).collect();
    let unread: Vec<&String> = people
        .iter()
        .filter(|a| !recipient_addresses.contains(*a))
        .collect();
    let mut first = vec![keys::inbound_marker(&message.message_id)];
    first.extend(recipients.iter().map(|r| keys::inbox(&r.normalized())));
    first.extend(unread.iter().map(|a| keys::inbox(a)));
    let mut found = app
        .table
        .batch_get(&first)
        .await
        .context("reading the inbound addresses")?
        .into_iter();
    let marker: Option<InboundMarkerRecord> =
        from_optional(found.next().flatten()).context("reading the message's marker")?;
    if let Some(marker) = marker {
        tracing::info!(
            outcomes = marker.outcomes.len(),
            "inbound message seen before"
        );
        return Ok(Routing::Seen(marker.outcomes));
    }
    let mut owners: Vec<(EmailAddress, TenantId)> = Vec::new();
    for recipient in &recipients {
        let inbox: Option<InboxRecord> =
            from_optional(found.next().flatten()).context("reading an inbound address")?;
        if let Some(inbox) = inbox {
            owners.push((recipient.clone(), inbox.tenant_id));
        }
    }
    let mut looping: HashSet<String> = HashSet::new();
    for address in unread {
        if found.next().flatten().is_some() {
            looping.insert(address.clone());
        }
    }
    // The inbound addresses the message went to are no people either (a Cc of one's own
    // support address, a From of it).
    looping.extend(owners.iter().map(|(address, _)| address.normalized()));
    if let Some(own) = &app.config.mail_from {
        looping.insert(own.normalized());
    }
    if owners.is_empty() {
        tracing::info!("inbound message for no registered address");
        return Ok(Routing::Nowhere);
    }
    Ok(Routing::To(Routed {
        owners,
        looping,
        people,
    }))
}

/// What the second and third reads found.
pub(super) struct Found {
    pub tenants: BTreeMap<TenantId, TenantRecord>,
    /// Each tenant's hourly cap of new users, as read.
    pub caps: BTreeMap<TenantId, Option<ThrottleRecord>>,
    pub queues: BTreeMap<TenantId, HeldQueue>,
    pub known: Known,
}

/// A tenant's held queue, as read: how many it holds, and the message's people it holds already.
#[derive(Clone, Debug, Default)]
pub(super) struct HeldQueue {
    pub count: Option<HeldQueueRecord>,
    /// By normalised address, with those this message holds.
    pub entries: BTreeMap<String, HeldId>,
    /// Senders this message holds.
    pub added: u32,
}

impl HeldQueue {
    /// How many senders the tenant holds, this message's included.
    pub fn holding(&self) -> u32 {
        self.count
            .as_ref()
            .map_or(0, |c| c.held)
            .saturating_add(self.added)
    }
}

/// The second read: the tenants, their hourly caps and held queues, the people's held entries
/// and login items; then the third, for people who have an account.
pub(super) async fn tenants_and_people(app: &App, routed: &Routed) -> Result<Found, InternalError> {
    let tenant_ids: Vec<TenantId> = {
        let mut seen = HashSet::new();
        routed
            .owners
            .iter()
            .map(|(_, t)| *t)
            .filter(|t| seen.insert(*t))
            .collect()
    };
    let mut second: Vec<Key> = tenant_ids.iter().map(|t| keys::tenant(*t)).collect();
    second.extend(tenant_ids.iter().map(|t| keys::inbound_cap(*t)));
    second.extend(tenant_ids.iter().map(|t| keys::held_queue(*t)));
    for tenant in &tenant_ids {
        second.extend(
            routed
                .people
                .iter()
                .map(|a| keys::held_by_sender(*tenant, a)),
        );
    }
    second.extend(routed.people.iter().map(|a| keys::login(a)));
    let mut found = batch_get_all(app.table.as_ref(), &second)
        .await
        .context("reading the tenants")?
        .into_iter();
    let mut tenants: BTreeMap<TenantId, TenantRecord> = BTreeMap::new();
    for id in &tenant_ids {
        if let Some(tenant) =
            from_optional::<TenantRecord>(found.next().flatten()).context("reading a tenant")?
        {
            tenants.insert(*id, tenant);
        }
    }
    let mut caps: BTreeMap<TenantId, Option<ThrottleRecord>> = BTreeMap::new();
    for id in &tenant_ids {
        caps.insert(
            *id,
            from_optional(found.next().flatten()).context("reading a cap")?,
        );
    }
    let mut queues: BTreeMap<TenantId, HeldQueue> = BTreeMap::new();
    for id in &tenant_ids {
        let count = from_optional(found.next().flatten()).context("reading a held queue")?;
        queues.insert(
            *id,
            HeldQueue {
                count,
                ..HeldQueue::default()
            },
        );
    }
    for id in &tenant_ids {
        for address in &routed.people {
            let mark: Option<HeldMarkRecord> =
                from_optional(found.next().flatten()).context("reading a held entry")?;
            if let (Some(mark), Some(queue)) = (mark, queues.get_mut(id)) {
                queue.entries.insert(address.clone(), mark.held_id);
            }
        }
    }
    let mut logins: BTreeMap<String, LoginRecord> = BTreeMap::new();
    for address in &routed.people {
        if let Some(login) =
            from_optional::<LoginRecord>(found.next().flatten()).context("reading a login")?
        {
            logins.insert(address.clone(), login);
        }
    }
    let known = accounts(app, logins, &tenants).await?;
    Ok(Found {
        tenants,
        caps,
        queues,
        known,
    })
}

/// The third read, only for people who have an account: it and its memberships in `tenants`.
async fn accounts(
    app: &App,
    logins: BTreeMap<String, LoginRecord>,
    tenants: &BTreeMap<TenantId, TenantRecord>,
) -> Result<Known, InternalError> {
    let mut known = Known {
        logins,
        accounts: BTreeMap::new(),
        memberships: BTreeMap::new(),
    };
    if known.logins.is_empty() {
        return Ok(known);
    }
    let mut third = Vec::new();
    for login in known.logins.values() {
        third.push(keys::account(login.account_id));
        for tenant in tenants.keys() {
            third.push(keys::membership(*tenant, login.account_id));
        }
    }
    let mut found = batch_get_all(app.table.as_ref(), &third)
        .await
        .context("reading the accounts")?
        .into_iter();
    for login in known.logins.values() {
        if let Some(account) =
            from_optional::<AccountRecord>(found.next().flatten()).context("reading an account")?
        {
            known.accounts.insert(account.id, account);
        }
        for tenant in tenants.keys() {
            if let Some(member) = from_optional::<MembershipRecord>(found.next().flatten())
                .context("reading a membership")?
            {
                known
                    .memberships
                    .insert((*tenant, login.account_id), member);
            }
        }
    }
    Ok(known)
}
