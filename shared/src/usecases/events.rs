//! The audit log: `GET /v1/tenants/{tenant_id}/events` (owners and admins: everything that
//! happened in the tenant) and `GET .../users/{user_id}/events` (one person's history in the
//! tenant, including the invitation that brought them in), newest first.
//!
//! Round trips: one batch read of the caller (with the person, for a history), then one query
//! per page (more only when an `action` filter skips events).

use super::AuditAction;
use super::listing::{Cursor, Listing, Order, filtered_page};
use super::{AuthError, Context, InternalError, TenantCaller};
use crate::app::App;
use crate::domain::{AccountId, TenantId};
use crate::keys;
use crate::records::{EventRecord, from_item};
use crate::table::Key;
use crate::token::Credential;

pub struct ListEvents {
    /// Only events with this action (`invitation.sent`).
    pub action: Option<AuditAction>,
    pub limit: usize,
    pub cursor: Option<String>,
}

pub struct EventPage {
    pub events: Vec<EventRecord>,
    pub next_cursor: Option<Cursor>,
}

#[derive(Debug, thiserror::Error)]
pub enum ListEventsError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("the caller may not read this log")]
    Forbidden,
    #[error("no such user in this tenant")]
    NotFound,
    #[error("the cursor is not one this listing gave")]
    InvalidCursor,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// The tenant's log. Owners and admins only: it names every member.
pub async fn tenant_events(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    request: ListEvents,
) -> Result<EventPage, ListEventsError> {
    let cursor = parse_cursor(request.cursor.as_deref(), keys::EVENT_PREFIX)?;
    let caller = TenantCaller::load(app, token, tenant_id).await?;
    if !caller.rights.role.is_admin() {
        return Err(ListEventsError::Forbidden);
    }
    page(app, tenant_id, keys::EVENT_PREFIX, cursor, &request).await
}

/// One person's history in the tenant: for those who manage users, and for the person.
pub async fn user_events(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    user_id: AccountId,
    request: ListEvents,
) -> Result<EventPage, ListEventsError> {
    let prefix = keys::history_prefix(user_id);
    let cursor = parse_cursor(request.cursor.as_deref(), &prefix)?;
    let (caller, member) = TenantCaller::load_with_member(app, token, tenant_id, user_id).await?;
    let member = member.map(|m| m.membership);
    if caller.account_id() != Some(user_id) && !caller.rights.can_manage_users() {
        return Err(ListEventsError::Forbidden);
    }
    if member.is_none() {
        return Err(ListEventsError::NotFound);
    }
    page(app, tenant_id, &prefix, cursor, &request).await
}

fn parse_cursor(raw: Option<&str>, prefix: &str) -> Result<Option<Cursor>, ListEventsError> {
    raw.map(|raw| Cursor::parse(raw, prefix).ok_or(ListEventsError::InvalidCursor))
        .transpose()
}

async fn page(
    app: &App,
    tenant_id: TenantId,
    prefix: &str,
    cursor: Option<Cursor>,
    request: &ListEvents,
) -> Result<EventPage, ListEventsError> {
    let pk = keys::tenant_pk(tenant_id);
    let listing = Listing {
        pk: &pk,
        prefix,
        order: Order::Descending,
        cursor,
        limit: request.limit,
    };
    let (events, next_cursor) = filtered_page(app, listing, |item| {
        // Per-person copies filed under `EVENT#{person}#{event}` by earlier releases are not
        // the log's own entries.
        let legacy_copy = Key::of(&item)
            .and_then(|k| k.sk.strip_prefix(keys::EVENT_PREFIX).map(str::to_owned))
            .is_some_and(|rest| rest.contains('#'));
        if legacy_copy {
            return Ok(None);
        }
        let event: EventRecord = from_item(item).context("reading an event")?;
        Ok(request
            .action
            .is_none_or(|a| a.as_str() == event.action)
            .then_some(event))
    })
    .await?;
    Ok(EventPage {
        events,
        next_cursor,
    })
}
