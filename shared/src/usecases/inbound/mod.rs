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
//! A person is held once per tenant, however many messages they send (later ones name the entry
//! that stands), and a tenant holds at most `held_senders_per_tenant` people: past that, what
//! would be held is `ignored` (`held_queue_full`). A message to two addresses of one tenant is
//! decided once, at the first.
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
//! addresses; the tenants with their hourly caps and held queues, the sender's held entries and
//! login item; one transaction. An account that exists takes one read more, for it and its
//! membership: only its login item names it.

mod decide;
mod eml;
mod held;
mod message;
mod names;
mod reads;
mod screen;

use std::collections::{BTreeMap, HashSet};

use chrono::Duration;

pub use crate::records::{InboundOutcome as Outcome, NameSource, OutcomeKind};
pub use eml::{EmlError, ses_event_from_eml};
pub use held::{HeldError, HeldPage, ListHeld, RejectBlock, approve_held, list_held, reject_held};
pub use message::{InboundMessage, Mailbox, Parsed, Verdict, Verdicts, parse};
pub use names::{Names, names_for};

use decide::{Delivery, Inbox, Person, decide, make_user};
use reads::{HeldQueue, Routing};

use super::commit::Writes;
use super::{Context, InternalError};
use crate::app::App;
use crate::domain::TenantId;
use crate::keys;
use crate::records::{InboundMarkerRecord, from_optional, to_item};
use crate::table::{Condition, Key, MAX_TRANSACTION_OPS, Op, TransactError};

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

/// Everything the message's writes are made of, per tenant.
struct Plan<'a> {
    outcomes: Vec<Outcome>,
    writes: Writes<'a>,
    /// Keys whose failed condition means another message got there first: process again.
    raced: Vec<Key>,
    /// The accounts this message creates, by normalised address: a person new to Usher who wrote
    /// to two tenants gets one account, and a membership in each.
    created: BTreeMap<String, (crate::records::AccountRecord, crate::records::LoginRecord)>,
    /// Each tenant's held queue as read, with the senders this message holds.
    queues: BTreeMap<TenantId, HeldQueue>,
}

impl<'a> Plan<'a> {
    fn new(app: &'a App, queues: BTreeMap<TenantId, HeldQueue>) -> Self {
        Self {
            outcomes: Vec::new(),
            writes: Writes::new(app, app.clock.now()),
            raced: Vec::new(),
            created: BTreeMap::new(),
            queues,
        }
    }
}

/// Reads, decides for every tenant the message came to, and records the outcomes; `None` when
/// the writes lost a race and the message is to be processed again.
async fn attempt(
    app: &App,
    message: &InboundMessage,
) -> Result<Option<Vec<Outcome>>, InternalError> {
    let parsed = parse(message);
    let routed = match reads::route(app, message, &parsed).await? {
        Routing::Seen(outcomes) => return Ok(Some(outcomes)),
        Routing::Nowhere => return Ok(Some(Vec::new())),
        Routing::To(routed) => routed,
    };
    let found = reads::tenants_and_people(app, &routed).await?;
    let delivery = Delivery {
        message,
        parsed: &parsed,
        looping: &routed.looping,
        known: &found.known,
    };
    let mut plan = Plan::new(app, found.queues);
    // A tenant the message reached at two of its addresses decides once, at the first.
    let mut decided: HashSet<TenantId> = HashSet::new();
    for (address, tenant_id) in &routed.owners {
        let Some(tenant) = found.tenants.get(tenant_id) else {
            continue;
        };
        let inbound = &tenant.settings.inbound;
        // A suspended tenant takes no mail until it is resumed.
        if tenant.suspended.is_some() {
            tracing::info!(tenant_id = %tenant_id, "inbound mail to a suspended tenant dropped");
            continue;
        }
        // The address must still be one the tenant lists, and the tenant must want this.
        if !inbound.enabled
            || !inbound.addresses.iter().any(|a| a.same_as(address))
            || !decided.insert(*tenant_id)
        {
            continue;
        }
        let inbox = Inbox {
            tenant,
            address,
            cap: found.caps.get(tenant_id).cloned().flatten(),
        };
        decide(app, &delivery, &inbox, &mut plan)?;
    }
    if plan.outcomes.is_empty() {
        return Ok(Some(Vec::new()));
    }
    record_message(app, message, plan).await
}

/// Writes the outcomes with the message's marker, in one transaction: a message delivered twice,
/// even twice at once, has one outcome.
async fn record_message(
    app: &App,
    message: &InboundMessage,
    plan: Plan<'_>,
) -> Result<Option<Vec<Outcome>>, InternalError> {
    let now = app.clock.now();
    let marker_key = keys::inbound_marker(&message.message_id);
    let marker = InboundMarkerRecord {
        message_id: message.message_id.clone(),
        outcomes: plan.outcomes.clone(),
        processed_at: now,
    };
    let Plan {
        outcomes,
        mut writes,
        mut raced,
        queues,
        ..
    } = plan;
    for (tenant, queue) in &queues {
        if queue.added > 0 {
            writes.op(held::count_held(
                *tenant,
                queue.count.as_ref(),
                queue.holding(),
            )?);
            raced.push(keys::held_queue(*tenant));
        }
    }
    writes.op(Op::put_if(
        to_item(&marker_key, &marker, Some(now + MARKER_KEPT)).context("building the marker")?,
        Condition::NotExists,
    ));
    // The outcomes' events are part of the record: all of it fits one transaction, or none of it
    // is written.
    if writes.len() > MAX_TRANSACTION_OPS {
        return Err(InternalError::new(
            "recording an inbound message",
            anyhow::anyhow!("{} writes do not fit one transaction", writes.len()),
        ));
    }
    match writes.commit().await {
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
        Err(e) if matches!(e, TransactError::Conflict) || raced.iter().any(|k| e.failed_on(k)) => {
            return Ok(None);
        }
        Err(other) => return Err(other).context("recording an inbound message"),
    }
    for outcome in &outcomes {
        tracing::info!(
            tenant_id = %outcome.tenant_id,
            outcome = ?outcome.outcome,
            reason = outcome.reason.as_deref().unwrap_or(""),
            "inbound message"
        );
    }
    Ok(Some(outcomes))
}

/// Whatever arrives, parsing finishes, and what it makes of names fits a person's name.
/// A message from Jan to a help desk with `headers` and `verdicts`, for the rules' unit tests.
#[cfg(test)]
pub(crate) fn test_message(headers: &[(&str, &str)], verdicts: Verdicts) -> InboundMessage {
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

#[cfg(test)]
mod robustness {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::EmailAddress;

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
