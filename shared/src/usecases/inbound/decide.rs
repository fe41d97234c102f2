//! What a message comes to in one tenant it was sent to (the rules listed in the module's doc, in
//! order), and the writes of each outcome: an audit event for every one, a held sender, or an
//! account and a membership.

use crate::records::Actor;
use std::collections::{BTreeMap, HashSet};

use serde_json::json;

use super::screen::screen;
use super::{InboundMessage, MAX_PEOPLE, Mailbox, Outcome, OutcomeKind, Parsed, Plan, names_for};
use crate::app::App;
use crate::domain::{AccountId, EmailAddress, HeldId, Role, TenantId};
use crate::keys;
use crate::records::{
    AccountRecord, CreatedVia, HeldMarkRecord, HeldSenderRecord, LoginRecord, MembershipRecord,
    TenantRecord, ThrottleRecord, to_item,
};
use crate::settings::entry_matches;
use crate::table::{Condition, Op};
use crate::usecases::accounts::{
    NewAccount, NewMembership, account_ops, membership_ops, new_account, new_membership,
};
use crate::usecases::audit::{AuditAction, AuditEvent};
use crate::usecases::password_links::{self, Recipient};
use crate::usecases::throttle::{Limit, count_many};
use crate::usecases::{Context, InternalError};

/// A person the message may make a user of a tenant.
#[derive(Clone, Debug)]
pub(super) struct Person {
    pub address: EmailAddress,
    pub display: Option<String>,
}

/// What the reads found of the people's accounts.
pub(super) struct Known {
    pub logins: BTreeMap<String, LoginRecord>,
    pub accounts: BTreeMap<AccountId, AccountRecord>,
    pub memberships: BTreeMap<(TenantId, AccountId), MembershipRecord>,
}

/// The message as each tenant it came to sees it.
pub(super) struct Delivery<'a> {
    pub message: &'a InboundMessage,
    pub parsed: &'a Parsed,
    /// Addresses that are no people: any tenant's inbound address, and Usher's own.
    pub looping: &'a HashSet<String>,
    pub known: &'a Known,
}

/// One of the message's recipients: an inbound address of `tenant`, with the tenant's hourly cap
/// of new users as read.
pub(super) struct Inbox<'a> {
    pub tenant: &'a TenantRecord,
    pub address: &'a EmailAddress,
    pub cap: Option<ThrottleRecord>,
}

impl Inbox<'_> {
    fn outcome(
        &self,
        kind: OutcomeKind,
        sender: Option<&EmailAddress>,
        reason: Option<&str>,
    ) -> Outcome {
        Outcome {
            tenant_id: self.tenant.id,
            address: self.address.to_string(),
            sender: sender.map(EmailAddress::to_string),
            outcome: kind,
            reason: reason.map(str::to_owned),
            user_id: None,
            auto_tickets: None,
            held_id: None,
        }
    }
}

/// Decides what the message comes to at `inbox`, adding the outcomes and their writes to `plan`.
pub(super) fn decide(
    app: &App,
    delivery: &Delivery<'_>,
    inbox: &Inbox<'_>,
    plan: &mut Plan<'_>,
) -> Result<(), InternalError> {
    let Some(from) = sender(app, delivery, inbox, plan)? else {
        return Ok(());
    };
    let people = people(delivery, inbox, from);
    let newcomers = newcomers(delivery, inbox, people, plan)?;
    admit(app, delivery, inbox, newcomers, plan)
}

/// Rules 1 to 5: the sender of a message that may make people, or `None` with the outcome
/// recorded.
fn sender<'m>(
    app: &App,
    delivery: &Delivery<'m>,
    inbox: &Inbox<'_>,
    plan: &mut Plan<'_>,
) -> Result<Option<&'m Mailbox>, InternalError> {
    let (message, parsed) = (delivery.message, delivery.parsed);
    let ignored = |sender: Option<&EmailAddress>, reason: &str| {
        inbox.outcome(OutcomeKind::Ignored, sender, Some(reason))
    };
    // Two `From` fields are two senders, however a parser would read them.
    let sender = match parsed.from.as_slice() {
        [one] if parsed.from_fields <= 1 => one.address.as_ref(),
        _ => None,
    };
    if parsed.from_fields > 1 {
        record(plan, ignored(None, "several_senders"), message)?;
        return Ok(None);
    }
    // Rules 1 and 2; what is held needs a sender an admin can approve.
    if let Err((kind, reason)) = screen(message, parsed) {
        match (kind, sender) {
            (OutcomeKind::Held, Some(sender)) => {
                let person = Person {
                    address: sender.clone(),
                    display: parsed.from.first().and_then(|m| m.display.clone()),
                };
                hold(app, message, inbox, &person, reason, plan)?;
            }
            _ => record(plan, ignored(sender, reason), message)?,
        }
        return Ok(None);
    }
    // Rule 3.
    if let Some(reason) = parsed.automated {
        let reason = format!("automated_{reason}");
        record(plan, ignored(sender, &reason), message)?;
        return Ok(None);
    }
    // Rules 4 and 5.
    let from = match parsed.from.as_slice() {
        [one] => one,
        [] => {
            record(plan, ignored(None, "no_sender"), message)?;
            return Ok(None);
        }
        _ => {
            record(plan, ignored(None, "several_senders"), message)?;
            return Ok(None);
        }
    };
    let Some(address) = from.address.as_ref() else {
        record(plan, ignored(None, "invalid_sender"), message)?;
        return Ok(None);
    };
    if delivery.looping.contains(&address.normalized()) {
        record(plan, ignored(Some(address), "loop"), message)?;
        return Ok(None);
    }
    Ok(Some(from))
}

/// The sender and, where the tenant includes Cc, those in Cc: at most `MAX_PEOPLE`, none twice,
/// none that loops.
fn people(delivery: &Delivery<'_>, inbox: &Inbox<'_>, from: &Mailbox) -> Vec<Person> {
    let mut people: Vec<Person> = from
        .address
        .iter()
        .map(|address| Person {
            address: address.clone(),
            display: from.display.clone(),
        })
        .collect();
    if inbox.tenant.settings.inbound.include_cc {
        for cc in &delivery.parsed.cc {
            if let Some(a) = &cc.address
                && !delivery.looping.contains(&a.normalized())
                && !people.iter().any(|p| p.address.same_as(a))
                && people.len() < MAX_PEOPLE
            {
                people.push(Person {
                    address: a.clone(),
                    display: cc.display.clone(),
                });
            }
        }
    }
    people
}

/// Rule 6, person by person: the blocked and those outside an allow list are ignored, members
/// are recorded as members; the rest are new to the tenant.
fn newcomers(
    delivery: &Delivery<'_>,
    inbox: &Inbox<'_>,
    people: Vec<Person>,
    plan: &mut Plan<'_>,
) -> Result<Vec<Person>, InternalError> {
    let inbound = &inbox.tenant.settings.inbound;
    let message = delivery.message;
    let mut newcomers = Vec::new();
    for person in people {
        let normalized = person.address.normalized();
        let ignored = |reason| inbox.outcome(OutcomeKind::Ignored, Some(&person.address), reason);
        if inbound
            .blocked_domains
            .iter()
            .any(|e| entry_matches(e, &normalized))
        {
            record(plan, ignored(Some("blocked")), message)?;
            continue;
        }
        if !inbound.allowed_domains.is_empty()
            && !inbound
                .allowed_domains
                .iter()
                .any(|e| entry_matches(e, &normalized))
        {
            record(plan, ignored(Some("not_allowed")), message)?;
            continue;
        }
        let known = delivery.known;
        let login = known.logins.get(&normalized);
        if let Some(member) =
            login.and_then(|l| known.memberships.get(&(inbox.tenant.id, l.account_id)))
        {
            plan.outcomes.push(Outcome {
                user_id: Some(member.account_id),
                auto_tickets: Some(member.auto_tickets),
                ..inbox.outcome(OutcomeKind::Member, Some(&person.address), None)
            });
            continue;
        }
        newcomers.push(person);
    }
    Ok(newcomers)
}

/// Rule 7: as many newcomers as the tenant's hourly cap admits become users (counted in the same
/// transaction); the rest are held.
fn admit(
    app: &App,
    delivery: &Delivery<'_>,
    inbox: &Inbox<'_>,
    newcomers: Vec<Person>,
    plan: &mut Plan<'_>,
) -> Result<(), InternalError> {
    if newcomers.is_empty() {
        return Ok(());
    }
    let tenant = inbox.tenant;
    let cap_key = keys::inbound_cap(tenant.id);
    let limit = Limit::per_hour(tenant.settings.inbound.max_new_users_per_hour);
    let now = app.clock.now();
    let mut admitted = newcomers.len();
    let count = loop {
        if admitted == 0 {
            break None;
        }
        match count_many(&cap_key, inbox.cap.as_ref(), limit, admitted as u32, now)
            .context("building the cap")?
        {
            Ok(op) => break Some(op),
            Err(_) => admitted -= 1,
        }
    };
    if let Some(count) = count {
        plan.writes.op(count);
        plan.raced.push(cap_key);
    }
    let known = delivery.known;
    for (n, person) in newcomers.into_iter().enumerate() {
        if n >= admitted {
            hold(app, delivery.message, inbox, &person, "hourly_cap", plan)?;
            continue;
        }
        let login = known.logins.get(&person.address.normalized());
        let account = login.and_then(|l| known.accounts.get(&l.account_id));
        let team = tenant.settings.inbound.team_for(inbox.address);
        let made = make_user(app, tenant, team, &person, login.zip(account), plan)?;
        let kind = if account.is_some() {
            OutcomeKind::Joined
        } else {
            OutcomeKind::Created
        };
        let result = Outcome {
            user_id: Some(made),
            ..inbox.outcome(kind, Some(&person.address), None)
        };
        audit(plan, &result, &delivery.message.message_id)?;
        plan.outcomes.push(result);
    }
    Ok(())
}

/// Records an outcome that writes nothing but its audit event.
fn record(
    plan: &mut Plan<'_>,
    outcome: Outcome,
    message: &InboundMessage,
) -> Result<(), InternalError> {
    audit(plan, &outcome, &message.message_id)?;
    plan.outcomes.push(outcome);
    Ok(())
}

fn audit(plan: &mut Plan<'_>, outcome: &Outcome, message_id: &str) -> Result<(), InternalError> {
    let action = match outcome.outcome {
        OutcomeKind::Created => AuditAction::InboundCreated,
        OutcomeKind::Joined => AuditAction::InboundJoined,
        OutcomeKind::Ignored => AuditAction::InboundIgnored,
        OutcomeKind::Held => AuditAction::InboundHeld,
        OutcomeKind::Member => return Ok(()),
    };
    // The reason and the message id: never the subject or the body.
    plan.writes.audit(AuditEvent {
        tenant: outcome.tenant_id,
        action,
        actor: Actor::System,
        subject: outcome.user_id,
        details: json!({
            "reason": outcome.reason, "message_id": message_id, "sender": outcome.sender,
            "address": outcome.address, "held_id": outcome.held_id,
        }),
    })?;
    Ok(())
}

/// Holds `person` for an admin of the inbox's tenant to approve or reject: once, however many
/// messages they send (a later one names the entry that stands), and only while the tenant's
/// queue has room; past that, the message is ignored (`held_queue_full`).
fn hold(
    app: &App,
    message: &InboundMessage,
    inbox: &Inbox<'_>,
    person: &Person,
    reason: &str,
    plan: &mut Plan<'_>,
) -> Result<(), InternalError> {
    let now = app.clock.now();
    let tenant = inbox.tenant;
    let normalized = person.address.normalized();
    let queue = plan.queues.entry(tenant.id).or_default();
    if let Some(held_id) = queue.entries.get(&normalized).copied() {
        let outcome = Outcome {
            held_id: Some(held_id),
            ..inbox.outcome(OutcomeKind::Held, Some(&person.address), Some(reason))
        };
        return record(plan, outcome, message);
    }
    if queue.holding() >= app.config.held_senders_per_tenant {
        let outcome = inbox.outcome(
            OutcomeKind::Ignored,
            Some(&person.address),
            Some("held_queue_full"),
        );
        return record(plan, outcome, message);
    }
    let id = HeldId::from_ulid(app.random.ulid(now));
    queue.entries.insert(normalized.clone(), id);
    queue.added += 1;
    let display = person
        .display
        .as_ref()
        .map(|d| d.chars().filter(|c| !c.is_control()).take(200).collect());
    let record = HeldSenderRecord {
        id,
        tenant_id: tenant.id,
        sender: person.address.clone(),
        display_name: display,
        reason: reason.to_owned(),
        message_id: message.message_id.chars().take(200).collect(),
        received_at: now,
        queued: true,
        address: Some(inbox.address.clone()),
    };
    plan.writes.op(Op::put_if(
        to_item(&keys::held(tenant.id, id), &record, None).context("building a held sender")?,
        Condition::NotExists,
    ));
    // Another message of this sender's, held at the same time, got there first: process again.
    let mark_key = keys::held_by_sender(tenant.id, &normalized);
    plan.writes.op(Op::put_if(
        to_item(&mark_key, &HeldMarkRecord { held_id: id }, None)
            .context("building a held entry")?,
        Condition::NotExists,
    ));
    plan.raced.push(mark_key);
    let outcome = Outcome {
        held_id: Some(id),
        ..inbox.outcome(OutcomeKind::Held, Some(&person.address), Some(reason))
    };
    audit(plan, &outcome, &message.message_id)?;
    plan.outcomes.push(outcome);
    Ok(())
}

/// The writes that make `person` a user of `tenant`: for an account that exists (found as
/// `existing`), a record for the help desk that waits for the person's consent (the message's
/// names, no access, whatever `grant_access` says: the account may be another tenant's, and
/// joining it takes the person's word); else an account, its login item and the membership, and
/// with `grant_access` a link to choose a password. Returns the account id.
pub(super) fn make_user(
    app: &App,
    tenant: &TenantRecord,
    team: Option<crate::domain::TeamId>,
    person: &Person,
    existing: Option<(&LoginRecord, &AccountRecord)>,
    plan: &mut Plan<'_>,
) -> Result<AccountId, InternalError> {
    let now = app.clock.now();
    let inbound = &tenant.settings.inbound;
    let permissions = tenant.grantable(&inbound.default_permissions);
    let new = NewMembership {
        tenant_id: tenant.id,
        role: Role::Member,
        permissions,
        notification_email: None,
        created_via: CreatedVia::InboundEmail,
        created_by: None,
    };
    let names = names_for(person.display.as_deref(), &person.address);
    let membership = match existing {
        Some((login, account)) => {
            // The login item still names this account.
            plan.writes.op(Op::check(
                keys::login(&account.email.normalized()),
                Condition::AttributeEquals(
                    "account_id".into(),
                    login.account_id.to_string().into(),
                ),
            ));
            // Nothing of the account shows here: not its names, its phone or its language.
            MembershipRecord {
                email: person.address.clone(),
                first_name: names.first,
                last_name: names.last,
                phone: None,
                locale: tenant.settings.default_locale,
                access: false,
                needs_consent: true,
                name_source: Some(names.source),
                ..new_membership(account, new, now)
            }
        }
        // New to Usher, and made already by this message for another tenant it came to.
        None if plan.created.contains_key(&person.address.normalized()) => {
            let (account, login) = plan.created[&person.address.normalized()].clone();
            if inbound.grant_access {
                mail_link(plan, tenant, &account, &login)?;
            }
            MembershipRecord {
                access: inbound.grant_access,
                name_source: Some(names.source),
                ..new_membership(&account, new, now)
            }
        }
        None => {
            let (account, login) = new_account(
                app,
                NewAccount {
                    email: &person.address,
                    first_name: &names.first,
                    last_name: &names.last,
                    phone: None,
                    locale: tenant.settings.default_locale,
                },
                now,
            );
            let login_key = keys::login(&person.address.normalized());
            plan.writes
                .ops(account_ops(&account, &login).context("building an account")?);
            plan.raced.push(login_key);
            if inbound.grant_access {
                mail_link(plan, tenant, &account, &login)?;
            }
            let membership = MembershipRecord {
                access: inbound.grant_access,
                name_source: Some(names.source),
                ..new_membership(&account, new, now)
            };
            plan.created
                .insert(person.address.normalized(), (account, login));
            membership
        }
    };
    plan.raced
        .push(keys::membership(tenant.id, membership.account_id));
    plan.writes
        .ops(membership_ops(&membership, &tenant.name).context("building a membership")?);
    // The default teams and the address's, in a job of their own: one write here, where ten
    // people of one message leave no room for their places.
    if !tenant.settings.default_teams.is_empty() || team.is_some() {
        plan.writes.job(crate::usecases::jobs::Job::JoinTeams(
            crate::usecases::jobs::Newcomer {
                tenant_id: tenant.id,
                account_id: membership.account_id,
                team_ids: team.into_iter().collect(),
            },
        ))?;
    }
    Ok(membership.account_id)
}

/// The "choose your password" link of an account this message made, from `tenant`.
fn mail_link(
    plan: &mut Plan<'_>,
    tenant: &TenantRecord,
    account: &AccountRecord,
    login: &LoginRecord,
) -> Result<(), InternalError> {
    password_links::mail_choose_password(
        &mut plan.writes,
        login,
        tenant,
        Recipient {
            first_name: &account.first_name,
            email: &account.email,
            locale: account.locale,
        },
    )
}
