//! Inbound email (DESIGN section 7): a support mail from an unknown sender, received by SES,
//! creates that person in the tenant that owns the receiving address, when the tenant switched
//! this on.
//!
//! For each recipient that is a registered address of a tenant with `inbound.enabled`, the rules
//! run in this order, and the first that applies is the outcome, recorded with its reason:
//! 1. virus verdict not PASS, or spam FAIL: `ignored`;
//! 2. DMARC FAIL: `ignored`; DMARC PASS: trusted; otherwise trusted only when SPF passed for an
//!    envelope domain aligned with the From domain, or DKIM passed with a signature whose `d=`
//!    aligns; else (and on a verdict SES could not make, spam GRAY, or headers SES left out):
//!    `held`;
//! 3. automated mail (RFC 3834 and the list and bulk headers): `ignored`;
//! 4. a loop (the sender is an inbound address of any tenant, or Usher's own): `ignored`;
//! 5. not exactly one parseable From address: `ignored`;
//! 6. a blocked sender, or one outside a non-empty allow list: `ignored`;
//! 7. past the tenant's hourly cap of new users: `held`.
//!
//! Otherwise the person is a `member` already, `joined` (an account without membership here) or
//! `created` (a new account), with role member and the tenant's default permissions. With
//! `grant_access`, a new person is mailed a link to choose a password; without it, Usher never
//! writes to an unknown sender.
//!
//! Idempotent: a marker per SES message id (kept a week) is written in the transaction that
//! records the outcomes, so a message delivered twice, even twice at once, has one outcome; two
//! messages from one new sender at once make one account (the second finds it and joins or is a
//! member).
//!
//! Round trips for a new person: the marker with the recipients' (and the sender's) inbound
//! addresses; the tenants with the sender's login item and the hourly caps; one transaction. An
//! account that exists takes one read more, for it and its membership: only its login item names
//! it.

mod eml;
mod held;
mod message;
mod names;

use std::collections::{BTreeMap, HashSet};

use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub use eml::{EmlError, ses_event_from_eml};
pub use held::{HeldError, HeldPage, ListHeld, RejectBlock, approve_held, list_held, reject_held};
pub use message::{InboundMessage, Mailbox, Parsed, Verdict, Verdicts, parse};
pub use names::{NameSource, Names, names_for};

use super::accounts::{NewAccount, NewMembership, account_ops, membership_ops, new_account};
use super::audit::AuditEvent;
use super::throttle::{Limit, count_many};
use super::{Context, InternalError, mail_op, password_links};
use crate::app::App;
use crate::domain::{AccountId, EmailAddress, HeldId, PermissionSet, Role, TenantId};
use crate::keys;
use crate::mail::MailTemplate;
use crate::records::{
    AccountRecord, CreatedVia, HeldSenderRecord, InboundMarkerRecord, InboxRecord, LoginRecord,
    MembershipRecord, TenantRecord, ThrottleRecord, TokenKind, from_optional, to_item,
};
use crate::settings::entry_matches;
use crate::table::{Condition, Item, Key, MAX_TRANSACTION_OPS, Op, TransactError};

/// What a message came to in one tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    Created,
    Joined,
    Member,
    Ignored,
    Held,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub tenant_id: TenantId,
    /// The inbound address it came to.
    pub address: String,
    /// The person it is about, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    pub outcome: OutcomeKind,
    /// Why, for `ignored` and `held` (a stable snake_case word).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<AccountId>,
    /// For a `member`: whether their mail may open tickets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_tickets: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_id: Option<HeldId>,
}

/// How long a processed message's marker is kept: SES redelivers within hours, not weeks.
const MARKER_KEPT: Duration = Duration::days(7);
/// Recipients of one message looked at (SES delivers to at most 50).
const MAX_RECIPIENTS: usize = 50;
/// People of one message (the sender and, with `include_cc`, those in Cc) made users, per tenant.
const MAX_PEOPLE: usize = 10;
/// How often a message whose writes raced another's is processed again.
const TRIES: usize = 4;

/// Processes one message; the outcomes, one per tenant and person, as recorded.
pub async fn receive(app: &App, message: &InboundMessage) -> Result<Vec<Outcome>, InternalError> {
    for _ in 1..TRIES {
        if let Some(outcomes) = attempt(app, message).await? {
            return Ok(outcomes);
        }
    }
    attempt(app, message).await?.ok_or_else(|| {
        InternalError::new(
            "processing an inbound message",
            anyhow::anyhow!("lost the race for its writes {TRIES} times"),
        )
    })
}

/// A person the message may make a user of a tenant.
#[derive(Clone, Debug)]
struct Person {
    address: EmailAddress,
    display: Option<String>,
}

/// Everything the message's writes are made of, per tenant.
struct Plan {
    outcomes: Vec<Outcome>,
    ops: Vec<Op>,
    /// Keys whose failed condition means another message got there first: process again.
    raced: Vec<Key>,
}

async fn attempt(
    app: &App,
    message: &InboundMessage,
) -> Result<Option<Vec<Outcome>>, InternalError> {
    let now = app.clock.now();
    let parsed = parse(message);
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
    let people: Vec<&Mailbox> = parsed.from.iter().chain(parsed.cc.iter()).collect();
    let people_addresses: Vec<String> = {
        let mut seen: HashSet<String> = recipients.iter().map(EmailAddress::normalized).collect();
        people
            .iter()
            .filter_map(|m| m.address.as_ref().map(EmailAddress::normalized))
            .filter(|a| seen.insert(a.clone()))
            .take(MAX_PEOPLE)
            .collect()
    };

    // First read: the marker, the recipients' inbound addresses and the people's (a loop).
    let marker_key = keys::inbound_marker(&message.message_id);
    let mut first = vec![marker_key.clone()];
    first.extend(recipients.iter().map(|r| keys::inbox(&r.normalized())));
    first.extend(people_addresses.iter().map(|a| keys::inbox(a)));
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
        return Ok(Some(marker.outcomes));
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
    for address in &people_addresses {
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
        return Ok(Some(Vec::new()));
    }

    // Second read: the tenants, the people's login items, the tenants' hourly caps.
    let tenant_ids: Vec<TenantId> = {
        let mut seen = HashSet::new();
        owners
            .iter()
            .map(|(_, t)| *t)
            .filter(|t| seen.insert(*t))
            .collect()
    };
    let mut second: Vec<Key> = tenant_ids.iter().map(|t| keys::tenant(*t)).collect();
    second.extend(tenant_ids.iter().map(|t| keys::inbound_cap(*t)));
    let login_of: Vec<String> = people_addresses.clone();
    second.extend(login_of.iter().map(|a| keys::login(a)));
    let mut found = app
        .table
        .batch_get(&second)
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
    let mut logins: BTreeMap<String, LoginRecord> = BTreeMap::new();
    for address in &login_of {
        if let Some(login) =
            from_optional::<LoginRecord>(found.next().flatten()).context("reading a login")?
        {
            logins.insert(address.clone(), login);
        }
    }

    // Third read, only for people who have an account: it and its memberships here.
    let mut accounts: BTreeMap<AccountId, AccountRecord> = BTreeMap::new();
    let mut memberships: BTreeMap<(TenantId, AccountId), MembershipRecord> = BTreeMap::new();
    if !logins.is_empty() {
        let mut third = Vec::new();
        for login in logins.values() {
            third.push(keys::account(login.account_id));
            for tenant in tenants.keys() {
                third.push(keys::membership(*tenant, login.account_id));
            }
        }
        let mut found = app
            .table
            .batch_get(&third)
            .await
            .context("reading the accounts")?
            .into_iter();
        for login in logins.values() {
            if let Some(account) = from_optional::<AccountRecord>(found.next().flatten())
                .context("reading an account")?
            {
                accounts.insert(account.id, account);
            }
            for tenant in tenants.keys() {
                if let Some(member) = from_optional::<MembershipRecord>(found.next().flatten())
                    .context("reading a membership")?
                {
                    memberships.insert((*tenant, login.account_id), member);
                }
            }
        }
    }

    let mut plan = Plan {
        outcomes: Vec::new(),
        ops: Vec::new(),
        raced: Vec::new(),
    };
    let known = Known {
        logins: &logins,
        accounts: &accounts,
        memberships: &memberships,
    };
    for (address, tenant_id) in &owners {
        let Some(tenant) = tenants.get(tenant_id) else {
            continue;
        };
        let inbound = &tenant.settings.inbound;
        // The address must still be one the tenant lists, and the tenant must want this.
        if !inbound.enabled || !inbound.addresses.iter().any(|a| a.same_as(address)) {
            continue;
        }
        decide(
            app,
            message,
            &parsed,
            &looping,
            tenant,
            address,
            caps.get(tenant_id).cloned().flatten(),
            &known,
            &mut plan,
        )?;
    }
    if plan.outcomes.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let marker = InboundMarkerRecord {
        message_id: message.message_id.clone(),
        outcomes: plan.outcomes.clone(),
        processed_at: now,
    };
    let mut ops = vec![Op::put_if(
        to_item(&marker_key, &marker, Some(now + MARKER_KEPT)).context("building the marker")?,
        Condition::NotExists,
    )];
    ops.append(&mut plan.ops);
    if ops.len() > MAX_TRANSACTION_OPS {
        return Err(InternalError::new(
            "recording an inbound message",
            anyhow::anyhow!("{} writes do not fit one transaction", ops.len()),
        ));
    }
    match app.table.transact(ops).await {
        Ok(()) => {}
        // The same message, processed at the same time elsewhere: its outcome stands.
        Err(e) if e.failed_on(&marker_key) => {
            let item = app
                .table
                .get(&marker_key)
                .await
                .context("reading the message's marker")?;
            let marker: Option<InboundMarkerRecord> =
                from_optional(item).context("reading the message's marker")?;
            return Ok(marker.map(|m| m.outcomes));
        }
        Err(e)
            if matches!(e, TransactError::Conflict)
                || plan.raced.iter().any(|k| e.failed_on(k)) =>
        {
            return Ok(None);
        }
        Err(other) => return Err(other).context("recording an inbound message"),
    }
    app.mail_committed();
    for outcome in &plan.outcomes {
        tracing::info!(
            tenant_id = %outcome.tenant_id,
            outcome = ?outcome.outcome,
            reason = outcome.reason.as_deref().unwrap_or(""),
            "inbound message"
        );
    }
    Ok(Some(plan.outcomes))
}

/// What the reads found of the people's accounts.
struct Known<'a> {
    logins: &'a BTreeMap<String, LoginRecord>,
    accounts: &'a BTreeMap<AccountId, AccountRecord>,
    memberships: &'a BTreeMap<(TenantId, AccountId), MembershipRecord>,
}

/// Whether the message is authentic enough to make a person of its sender (rule 2), and not
/// dangerous (rule 1): `Err(("ignored" or "held", reason))` when not.
fn screen(message: &InboundMessage, parsed: &Parsed) -> Result<(), (OutcomeKind, &'static str)> {
    let v = message.verdicts;
    if v.virus != Verdict::Pass {
        return Err((OutcomeKind::Ignored, "virus"));
    }
    if v.spam == Verdict::Fail {
        return Err((OutcomeKind::Ignored, "spam"));
    }
    match v.dmarc {
        Verdict::Fail => return Err((OutcomeKind::Ignored, "dmarc_fail")),
        Verdict::Pass => {}
        Verdict::ProcessingFailed => return Err((OutcomeKind::Held, "verdict_unavailable")),
        Verdict::Gray | Verdict::Disabled => {
            let from_domain = parsed
                .from
                .first()
                .and_then(|m| m.address.as_ref())
                .map(EmailAddress::domain);
            let aligned = |domain: &str| from_domain.as_deref().is_some_and(|f| aligns(f, domain));
            let spf = v.spf == Verdict::Pass
                && message
                    .source
                    .as_deref()
                    .and_then(|s| s.rsplit_once('@'))
                    .is_some_and(|(_, d)| aligned(&d.trim_end_matches('>').to_ascii_lowercase()));
            let dkim = v.dkim == Verdict::Pass && parsed.dkim_domains.iter().any(|d| aligned(d));
            if !spf && !dkim {
                return Err((OutcomeKind::Held, "unauthenticated"));
            }
        }
    }
    match v.spam {
        Verdict::Gray => return Err((OutcomeKind::Held, "spam_gray")),
        Verdict::ProcessingFailed => return Err((OutcomeKind::Held, "verdict_unavailable")),
        _ => {}
    }
    if message.headers_truncated {
        // The headers that would show automated mail may be among those left out.
        return Err((OutcomeKind::Held, "headers_truncated"));
    }
    Ok(())
}

/// Relaxed alignment (RFC 7489 3.1): one domain is the other or a subdomain of it.
fn aligns(a: &str, b: &str) -> bool {
    a == b
        || a.strip_suffix(b).is_some_and(|s| s.ends_with('.'))
        || b.strip_suffix(a).is_some_and(|s| s.ends_with('.'))
}

#[allow(clippy::too_many_arguments)]
fn decide(
    app: &App,
    message: &InboundMessage,
    parsed: &Parsed,
    looping: &HashSet<String>,
    tenant: &TenantRecord,
    address: &EmailAddress,
    cap: Option<ThrottleRecord>,
    known: &Known<'_>,
    plan: &mut Plan,
) -> Result<(), InternalError> {
    let inbound = &tenant.settings.inbound;
    let outcome =
        |kind: OutcomeKind, sender: Option<&EmailAddress>, reason: Option<&str>| Outcome {
            tenant_id: tenant.id,
            address: address.to_string(),
            sender: sender.map(EmailAddress::to_string),
            outcome: kind,
            reason: reason.map(str::to_owned),
            user_id: None,
            auto_tickets: None,
            held_id: None,
        };
    let sender = match parsed.from.as_slice() {
        [one] => one.address.as_ref(),
        _ => None,
    };
    // Rules 1 and 2; what is held needs a sender an admin can approve.
    if let Err((kind, reason)) = screen(message, parsed) {
        match (kind, sender) {
            (OutcomeKind::Held, Some(sender)) => {
                let display = parsed.from.first().and_then(|m| m.display.clone());
                hold(app, message, tenant, address, sender, display, reason, plan)?;
            }
            _ => record(
                app,
                plan,
                outcome(OutcomeKind::Ignored, sender, Some(reason)),
                message,
            )?,
        }
        return Ok(());
    }
    // Rule 3.
    if let Some(reason) = parsed.automated {
        let reason = format!("automated_{reason}");
        return record(
            app,
            plan,
            outcome(OutcomeKind::Ignored, sender, Some(&reason)),
            message,
        );
    }
    // Rules 4 and 5.
    let from = match parsed.from.as_slice() {
        [] => {
            return record(
                app,
                plan,
                outcome(OutcomeKind::Ignored, None, Some("no_sender")),
                message,
            );
        }
        [one] => one,
        _ => {
            return record(
                app,
                plan,
                outcome(OutcomeKind::Ignored, None, Some("several_senders")),
                message,
            );
        }
    };
    let Some(sender) = from.address.as_ref() else {
        return record(
            app,
            plan,
            outcome(OutcomeKind::Ignored, None, Some("invalid_sender")),
            message,
        );
    };
    if looping.contains(&sender.normalized()) {
        return record(
            app,
            plan,
            outcome(OutcomeKind::Ignored, Some(sender), Some("loop")),
            message,
        );
    }
    let mut people = vec![Person {
        address: sender.clone(),
        display: from.display.clone(),
    }];
    if inbound.include_cc {
        for cc in &parsed.cc {
            if let Some(a) = &cc.address
                && !looping.contains(&a.normalized())
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
    // Rule 6, person by person; rule 7 for those who would be new to the tenant.
    let mut newcomers = Vec::new();
    for person in people {
        let normalized = person.address.normalized();
        if inbound
            .blocked_domains
            .iter()
            .any(|e| entry_matches(e, &normalized))
        {
            record(
                app,
                plan,
                outcome(OutcomeKind::Ignored, Some(&person.address), Some("blocked")),
                message,
            )?;
            continue;
        }
        if !inbound.allowed_domains.is_empty()
            && !inbound
                .allowed_domains
                .iter()
                .any(|e| entry_matches(e, &normalized))
        {
            record(
                app,
                plan,
                outcome(
                    OutcomeKind::Ignored,
                    Some(&person.address),
                    Some("not_allowed"),
                ),
                message,
            )?;
            continue;
        }
        let login = known.logins.get(&normalized);
        if let Some(member) = login.and_then(|l| known.memberships.get(&(tenant.id, l.account_id)))
        {
            plan.outcomes.push(Outcome {
                user_id: Some(member.account_id),
                auto_tickets: Some(member.auto_tickets),
                ..outcome(OutcomeKind::Member, Some(&person.address), None)
            });
            continue;
        }
        newcomers.push(person);
    }
    if newcomers.is_empty() {
        return Ok(());
    }
    let cap_key = keys::inbound_cap(tenant.id);
    let limit = Limit::per_hour(inbound.max_new_users_per_hour);
    let now = app.clock.now();
    let mut admitted = newcomers.len();
    let count = loop {
        if admitted == 0 {
            break None;
        }
        match count_many(&cap_key, cap.as_ref(), limit, admitted as u32, now)
            .context("building the cap")?
        {
            Ok(op) => break Some(op),
            Err(_) => admitted -= 1,
        }
    };
    if let Some(count) = count {
        plan.ops.push(count);
        plan.raced.push(cap_key);
    }
    for (n, person) in newcomers.into_iter().enumerate() {
        if n >= admitted {
            hold(
                app,
                message,
                tenant,
                address,
                &person.address,
                person.display,
                "hourly_cap",
                plan,
            )?;
            continue;
        }
        let login = known.logins.get(&person.address.normalized());
        let account = login.and_then(|l| known.accounts.get(&l.account_id));
        let made = make_user(app, tenant, &person, login.zip(account), plan)?;
        let kind = if account.is_some() {
            OutcomeKind::Joined
        } else {
            OutcomeKind::Created
        };
        let result = Outcome {
            user_id: Some(made),
            ..outcome(kind, Some(&person.address), None)
        };
        audit(app, plan, &result, &message.message_id)?;
        plan.outcomes.push(result);
    }
    Ok(())
}

/// Records an outcome that writes nothing but its audit event.
fn record(
    app: &App,
    plan: &mut Plan,
    outcome: Outcome,
    message: &InboundMessage,
) -> Result<(), InternalError> {
    audit(app, plan, &outcome, &message.message_id)?;
    plan.outcomes.push(outcome);
    Ok(())
}

fn audit(
    app: &App,
    plan: &mut Plan,
    outcome: &Outcome,
    message_id: &str,
) -> Result<(), InternalError> {
    let action = match outcome.outcome {
        OutcomeKind::Created => "inbound.created",
        OutcomeKind::Joined => "inbound.joined",
        OutcomeKind::Ignored => "inbound.ignored",
        OutcomeKind::Held => "inbound.held",
        OutcomeKind::Member => return Ok(()),
    };
    // The reason and the message id: never the subject or the body.
    plan.ops.extend(
        AuditEvent {
            tenant: outcome.tenant_id,
            action,
            actor: None,
            subject: outcome.user_id,
            details: json!({
                "reason": outcome.reason, "message_id": message_id, "sender": outcome.sender,
                "address": outcome.address, "held_id": outcome.held_id,
            }),
        }
        .ops(app.clock.now(), app.random.as_ref())
        .context("building an audit event")?,
    );
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn hold(
    app: &App,
    message: &InboundMessage,
    tenant: &TenantRecord,
    address: &EmailAddress,
    sender: &EmailAddress,
    display: Option<String>,
    reason: &str,
    plan: &mut Plan,
) -> Result<(), InternalError> {
    let now = app.clock.now();
    let id = HeldId::from_ulid(app.random.ulid(now));
    let display = display.map(|d| d.chars().filter(|c| !c.is_control()).take(200).collect());
    let record = HeldSenderRecord {
        id,
        tenant_id: tenant.id,
        sender: sender.clone(),
        display_name: display,
        reason: reason.to_owned(),
        message_id: message.message_id.chars().take(200).collect(),
        received_at: now,
    };
    plan.ops.push(Op::put_if(
        to_item(&keys::held(tenant.id, id), &record, None).context("building a held sender")?,
        Condition::NotExists,
    ));
    let outcome = Outcome {
        tenant_id: tenant.id,
        address: address.to_string(),
        sender: Some(sender.to_string()),
        outcome: OutcomeKind::Held,
        reason: Some(reason.to_owned()),
        user_id: None,
        auto_tickets: None,
        held_id: Some(id),
    };
    audit(app, plan, &outcome, &message.message_id)?;
    plan.outcomes.push(outcome);
    Ok(())
}

/// The writes that make `person` a member of `tenant`: a membership for an account that exists
/// (found as `existing`), else an account, its login item and the membership, and with
/// `grant_access` a link to choose a password. Returns the account id.
fn make_user(
    app: &App,
    tenant: &TenantRecord,
    person: &Person,
    existing: Option<(&LoginRecord, &AccountRecord)>,
    plan: &mut Plan,
) -> Result<AccountId, InternalError> {
    let now = app.clock.now();
    let inbound = &tenant.settings.inbound;
    let permissions = PermissionSet::new(
        inbound
            .default_permissions
            .iter()
            .filter(|p| tenant.knows_permission(p.as_str()))
            .cloned()
            .collect(),
    );
    let new = NewMembership {
        tenant_id: tenant.id,
        role: Role::Member,
        permissions,
        notification_email: None,
        created_via: CreatedVia::InboundEmail,
        created_by: None,
    };
    let (account, name_source) = match existing {
        Some((login, account)) => {
            // The login item still names this account.
            plan.ops.push(Op::check(
                keys::login(&account.email.normalized()),
                Condition::AttributeEquals(
                    "account_id".into(),
                    login.account_id.to_string().into(),
                ),
            ));
            (account.clone(), None)
        }
        None => {
            let names = names_for(person.display.as_deref(), &person.address);
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
            plan.ops
                .extend(account_ops(&account, &login).context("building an account")?);
            plan.raced.push(login_key);
            if inbound.grant_access {
                let (op, link) = password_links::issue(
                    app,
                    TokenKind::SetPassword,
                    &login,
                    Some(tenant.id),
                    app.config.set_password_link_ttl,
                    now,
                )?;
                plan.ops.push(op);
                plan.ops.push(mail_op(
                    app,
                    &MailTemplate::ChoosePassword {
                        tenant: tenant.name.clone(),
                        first_name: account.first_name.clone(),
                        link,
                        valid_days: app.config.set_password_link_ttl.num_days(),
                    },
                    &account.email,
                    account.locale,
                )?);
            }
            (account, Some(names.source))
        }
    };
    let mut membership = super::accounts::new_membership(&account, new, now);
    membership.access = inbound.grant_access;
    membership.name_source = name_source;
    plan.raced.push(keys::membership(tenant.id, account.id));
    plan.ops
        .extend(membership_ops(&membership, &tenant.name).context("building a membership")?);
    Ok(account.id)
}

/// Items of a batch read, in order (for the held-sender use cases).
pub(crate) fn take<T: serde::de::DeserializeOwned>(
    items: &mut std::vec::IntoIter<Option<Item>>,
) -> Result<Option<T>, InternalError> {
    from_optional(items.next().flatten()).context("reading an item")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(headers: &[(&str, &str)], verdicts: Verdicts) -> InboundMessage {
        InboundMessage {
            message_id: "m1".into(),
            recipients: vec!["help@desk.example".into()],
            source: Some("jan@mail.example.pl".into()),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).into(), (*v).into()))
                .collect(),
            headers_truncated: false,
            verdicts,
        }
    }

    #[test]
    fn dmarc_gray_trusts_only_an_aligned_spf_or_dkim_pass() {
        let gray = Verdicts {
            dmarc: Verdict::Gray,
            spf: Verdict::Fail,
            dkim: Verdict::Fail,
            ..Verdicts::ALL_PASS
        };
        let m = message(&[("From", "Jan <jan@example.pl>")], gray);
        assert_eq!(
            screen(&m, &parse(&m)),
            Err((OutcomeKind::Held, "unauthenticated"))
        );
        let spf = Verdicts {
            spf: Verdict::Pass,
            ..gray
        };
        let m = message(&[("From", "Jan <jan@example.pl>")], spf);
        assert_eq!(
            screen(&m, &parse(&m)),
            Ok(()),
            "mail.example.pl aligns with example.pl"
        );
        let m = message(&[("From", "Jan <jan@other.example>")], spf);
        assert_eq!(
            screen(&m, &parse(&m)),
            Err((OutcomeKind::Held, "unauthenticated"))
        );
        let dkim = Verdicts {
            dkim: Verdict::Pass,
            ..gray
        };
        let m = message(
            &[
                ("From", "Jan <jan@other.example>"),
                ("DKIM-Signature", "v=1; a=rsa-sha256; d=other.example; s=x"),
            ],
            dkim,
        );
        assert_eq!(screen(&m, &parse(&m)), Ok(()));
    }

    #[test]
    fn automated_mail_is_told_by_its_headers() {
        let pass = Verdicts::ALL_PASS;
        for (name, value, reason) in [
            ("Auto-Submitted", "auto-replied", "auto_submitted"),
            ("Precedence", "bulk", "precedence"),
            ("Precedence", "auto_reply", "precedence"),
            ("List-Id", "<x.lists.example>", "list_id"),
            ("List-Unsubscribe", "<mailto:x@y>", "list_unsubscribe"),
            ("X-Auto-Response-Suppress", "All", "auto_response_suppress"),
            ("X-Loop", "help@desk.example", "x_loop"),
            (
                "Content-Type",
                "multipart/report; report-type=delivery-status",
                "delivery_report",
            ),
        ] {
            let m = message(&[("From", "Jan <jan@example.pl>"), (name, value)], pass);
            assert_eq!(parse(&m).automated, Some(reason), "{name}: {value}");
        }
        let m = message(
            &[("From", "Jan <jan@example.pl>"), ("Auto-Submitted", "no")],
            pass,
        );
        assert_eq!(parse(&m).automated, None);
        let mut bounce = message(&[("From", "Jan <jan@example.pl>")], pass);
        bounce.source = Some("MAILER-DAEMON@mx.example".into());
        assert_eq!(parse(&bounce).automated, Some("null_return_path"));
        bounce.source = Some("<>".into());
        assert_eq!(parse(&bounce).automated, Some("null_return_path"));
    }

    #[test]
    fn encoded_and_quoted_display_names_are_decoded() {
        let m = message(
            &[(
                "From",
                "=?UTF-8?Q?Kowalski=2C_Jan_=C5=81ukasz?= <jan@example.pl>",
            )],
            Verdicts::ALL_PASS,
        );
        let parsed = parse(&m);
        assert_eq!(parsed.from.len(), 1);
        let names = parsed.from[0].names().unwrap();
        assert_eq!(
            (names.first.as_str(), names.last.as_str()),
            ("Jan Łukasz", "Kowalski")
        );
    }
}

/// Whatever arrives, parsing finishes, and what it makes of names fits a person's name.
#[cfg(test)]
mod robustness {
    use proptest::prelude::*;

    use super::*;

    fn message_with(headers: Vec<(String, String)>) -> InboundMessage {
        InboundMessage {
            message_id: "p".into(),
            recipients: vec!["help@desk.example".into()],
            source: Some("x@example.org".into()),
            headers,
            headers_truncated: false,
            verdicts: Verdicts::ALL_PASS,
        }
    }

    fn assert_fits(names: &Names) {
        for name in [&names.first, &names.last] {
            assert!(name.chars().count() <= 100, "{name:?}");
            assert!(
                !name.chars().any(|c| c.is_control() || is_bidi(c)),
                "{name:?}"
            );
        }
        assert!(!names.first.is_empty());
    }

    fn is_bidi(c: char) -> bool {
        crate::domain::is_bidi_control(c)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_headers_parse_without_panicking(
            headers in proptest::collection::vec((".{0,40}", ".{0,300}"), 0..40),
            from in ".{0,200}",
        ) {
            let mut headers = headers;
            headers.push(("From".into(), from));
            let message = message_with(headers);
            let parsed = parse(&message);
            for mailbox in parsed.from.iter().chain(parsed.cc.iter()) {
                if let Some(names) = mailbox.names() {
                    assert_fits(&names);
                }
            }
        }

        #[test]
        fn any_display_name_gives_names_that_fit(display in "\\PC{0,400}|.{0,400}") {
            let address = EmailAddress::parse("jan.kowalski@example.pl").unwrap();
            assert_fits(&names_for(Some(&display), &address));
        }

        #[test]
        fn any_bytes_as_a_raw_message_give_an_event_or_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
            if let Ok(event) = ses_event_from_eml(&bytes, Verdicts::ALL_PASS) {
                let message = InboundMessage::from_ses(&event.records[0]);
                let _ = parse(&message);
            }
        }
    }

    #[test]
    fn ten_thousand_headers_and_a_megabyte_value_are_read_within_bounds() {
        let mut headers: Vec<(String, String)> = (0..10_000)
            .map(|n| (format!("X-H{n}"), "v".repeat(20)))
            .collect();
        headers.insert(
            0,
            (
                "From".into(),
                format!("{} <jan@example.pl>", "J".repeat(1 << 20)),
            ),
        );
        let message = message_with(headers);
        let start = std::time::Instant::now();
        let parsed = parse(&message);
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        // The value was cut to 16 KiB: the address past it is gone, and so is the sender.
        assert!(parsed.from.iter().all(|m| m.address.is_none()));
        // Bytes that are not UTF-8 in a raw message are read, not refused.
        let raw = b"From: J\xffn <jan@example.pl>\r\nTo: help@desk.example\r\n\r\n";
        let event = ses_event_from_eml(raw, Verdicts::ALL_PASS).unwrap();
        let parsed = parse(&InboundMessage::from_ses(&event.records[0]));
        assert_eq!(parsed.from.len(), 1);
    }
}
