//! The sessions a person can see: opening one (with where it came from), listing them, ending
//! one, ending every other; and an admin ending a member's sessions in their tenant.
//!
//! A session is found by the hash of its secret (`SESSION#{hash}`); its entry in the account's
//! own partition (`SESSIONS#{account}`) names that hash, so the person's list is one query and a
//! batch read. "Sign out everywhere else" raises the account's session epoch and writes the
//! current session into the new epoch: one transaction however many sessions there are.

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use super::audit::{AuditAction, AuditEvent};
use super::commit::{LostRace, Writes};
use super::{AccountCaller, AuthError, Context, InternalError, TenantCaller};
use crate::app::App;
use crate::domain::{AccountId, SessionId, TenantId};
use crate::keys;
use crate::records::{
    AccountRecord, SessionEntryRecord, SessionRecord, from_item, from_optional, to_item,
};
use crate::table::{Condition, Key, Op};
use crate::token::{Credential, SessionToken};

/// Where a request that opens a session came from, as the person will see it in their list.
#[derive(Clone, Debug, Default)]
pub struct ClientInfo {
    pub address: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl ClientInfo {
    /// A user agent is kept to this many characters: enough to recognise a browser.
    pub const MAX_USER_AGENT_CHARS: usize = 256;

    pub fn new(address: Option<IpAddr>, user_agent: Option<&str>) -> Self {
        let user_agent = user_agent
            .map(|ua| {
                ua.chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .take(Self::MAX_USER_AGENT_CHARS)
                    .collect::<String>()
                    .trim()
                    .to_owned()
            })
            .filter(|ua| !ua.is_empty());
        Self {
            address,
            user_agent,
        }
    }
}

/// What kind of session to open.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SessionKind {
    /// Made with a temporary password: it may only change it, and lasts minutes.
    pub password_change_only: bool,
    /// Made with a password confined to one tenant (see `LoginRecord::confined_to`).
    pub confined_to: Option<TenantId>,
}

/// A new session of `account`, with the ops that store it and its entry in the account's list.
pub(crate) fn open(
    app: &App,
    account: &AccountRecord,
    kind: SessionKind,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> Result<(SessionToken, SessionRecord, Vec<Op>), InternalError> {
    let token = SessionToken::generate(account.id, app.random.as_ref());
    let ttl = if kind.password_change_only {
        app.config.temporary_session_ttl
    } else {
        app.config.session_ttl
    };
    let record = SessionRecord {
        id: Some(SessionId::from_ulid(app.random.ulid(now))),
        account_id: account.id,
        epoch: account.session_epoch,
        created_at: now,
        expires_at: now + ttl,
        password_change_only: kind.password_change_only,
        confined_to: kind.confined_to,
        client_address: client.address.map(|a| a.to_string()),
        user_agent: client.user_agent.clone(),
        last_used_at: Some(now),
    };
    let ops = record
        .put_ops(&token, Condition::NotExists)
        .context("building the session")?;
    Ok((token, record, ops))
}

/// Records that `session` acted at `now`, when its `last_used_at` is stale: a lone write every
/// [`SessionRecord::TOUCH_EVERY`] at most. Conditioned on the epoch read, so it never brings back
/// a session another request just ended or moved to a new epoch; a failure costs the request
/// nothing.
pub(crate) async fn touch(app: &App, token: &SessionToken, session: &SessionRecord) {
    let now = app.clock.now();
    if !session.wants_touch(now) {
        return;
    }
    let touched = SessionRecord {
        last_used_at: Some(now),
        ..session.clone()
    };
    let Ok(item) = touched.to_item(token) else {
        return;
    };
    let condition = Condition::AttributeEquals("epoch".into(), session.epoch.into());
    if let Err(error) = app.table.transact(vec![Op::put_if(item, condition)]).await {
        tracing::debug!(error = %error, "the session's last use was not recorded");
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SessionsError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("no such session")]
    NotFound,
    #[error("the member is not in this tenant")]
    MemberNotFound,
    #[error("only an admin, or a member who manages users, may end a member's sessions")]
    Forbidden,
    #[error("the caller may not act on this member: {0}")]
    Grant(#[from] super::grants::GrantError),
    #[error("the account changed at the same time")]
    Conflict,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// One live session as its person sees it.
pub struct SessionSummary {
    pub id: SessionId,
    pub record: SessionRecord,
    pub current: bool,
}

/// `GET /v1/me/sessions`: the caller's live sessions, newest first. The caller's read and the
/// list's query run side by side, then one batch read: two round trips of latency.
pub async fn list_mine(
    app: &App,
    token: &SessionToken,
) -> Result<Vec<SessionSummary>, SessionsError> {
    let now = app.clock.now();
    let (caller, entries) = tokio::join!(
        AccountCaller::load(app, token, true),
        entries_of(app, token.account_id)
    );
    let caller = caller?;
    let entries = entries?;
    let keys: Vec<Key> = entries
        .iter()
        .map(|e| keys::session(&e.session_hash))
        .collect();
    let items = crate::table::batch_get_all(app.table.as_ref(), &keys)
        .await
        .context("reading the sessions")?;
    let mut live = Vec::new();
    for (entry, item) in entries.into_iter().zip(items) {
        let Some(record) = from_optional::<SessionRecord>(item).context("reading a session")?
        else {
            continue;
        };
        let alive = record.account_id == caller.account.id
            && record.epoch == caller.account.session_epoch
            && record.expires_at > now;
        if alive {
            live.push(SessionSummary {
                id: entry.id,
                current: caller.session.id == Some(entry.id),
                record,
            });
        }
    }
    live.sort_by_key(|s| std::cmp::Reverse(s.record.created_at));
    Ok(live)
}

/// The entries of an account's sessions (at most a few hundred live at once: each sign-in adds
/// one, and they go by TTL).
async fn entries_of(
    app: &App,
    account: AccountId,
) -> Result<Vec<SessionEntryRecord>, InternalError> {
    let pk = keys::account_sessions_pk(account);
    let mut entries = Vec::new();
    let mut after: Option<Key> = None;
    loop {
        let page = app
            .table
            .query(&pk, keys::SESSION_ENTRY_PREFIX, after.as_ref(), 1000)
            .await
            .context("listing the sessions")?;
        for item in page.items {
            entries.push(from_item::<SessionEntryRecord>(item).context("reading a session entry")?);
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(entries),
        }
    }
}

/// `DELETE /v1/me/sessions/{id}`: ends one of the caller's sessions (the current one too: that
/// is signing out).
pub async fn end_mine(app: &App, token: &SessionToken, id: SessionId) -> Result<(), SessionsError> {
    let entry_key = keys::session_entry(token.account_id, id);
    let (caller, entry) = tokio::join!(
        AccountCaller::load(app, token, true),
        app.table.get(&entry_key)
    );
    let caller = caller?;
    let entry: SessionEntryRecord = from_optional(entry.context("reading the session entry")?)
        .context("reading the session entry")?
        .ok_or(SessionsError::NotFound)?;
    let mut writes = Writes::new(app, app.clock.now());
    writes.ops([
        Op::delete_if(
            keys::session(&entry.session_hash),
            Condition::AttributeEquals("account_id".into(), caller.account.id.to_string().into()),
        ),
        Op::delete(entry_key),
    ]);
    writes
        .commit()
        .await
        .lost_race(SessionsError::NotFound, "ending a session")?;
    tracing::info!(account_id = %caller.account.id, session_id = %id, "session ended by its person");
    Ok(())
}

/// `DELETE /v1/me/sessions`: ends every session of the caller's; with `keep_current`, all but
/// the one making the request. One transaction: the account moves to a new session epoch (every
/// session of the old one stops at once) and the current session, when kept, moves with it.
pub async fn end_all_mine(
    app: &App,
    token: &SessionToken,
    keep_current: bool,
) -> Result<(), SessionsError> {
    let now = app.clock.now();
    let caller = AccountCaller::load(app, token, false).await?;
    let account = AccountRecord {
        session_epoch: caller.account.session_epoch + 1,
        updated_at: now,
        version: caller.account.version + 1,
        ..caller.account.clone()
    };
    let mut writes = Writes::new(app, now);
    writes.op(Op::put_if(
        to_item(&keys::account(account.id), &account, None).context("building the account")?,
        Condition::VersionIs(caller.account.version),
    ));
    if keep_current {
        let session = SessionRecord {
            epoch: account.session_epoch,
            ..caller.session.clone()
        };
        writes.ops(
            session
                .put_ops(token, Condition::Exists)
                .context("building the session")?,
        );
    }
    writes
        .commit()
        .await
        .lost_race(SessionsError::Conflict, "ending the sessions")?;
    tracing::info!(account_id = %account.id, keep_current, "sessions ended by their person");
    Ok(())
}

/// `DELETE /v1/tenants/{tid}/users/{uid}/sessions`: an admin (or a member who manages users)
/// ends what a member's sessions may do in this tenant. Sessions opened before now no longer act
/// here nor mint tokens for here; the person's other tenants are not this admin's to touch.
pub async fn end_member_sessions(
    app: &App,
    credential: &Credential,
    tenant_id: TenantId,
    user_id: AccountId,
) -> Result<(), SessionsError> {
    let now = app.clock.now();
    let (caller, member) =
        TenantCaller::load_with_member(app, credential, tenant_id, user_id).await?;
    let member = member.ok_or(SessionsError::MemberNotFound)?.membership;
    if caller.account_id() != Some(user_id) {
        if !caller.rights.can_manage_users() {
            return Err(SessionsError::Forbidden);
        }
        super::grants::check_acting_on(&caller.rights, &member)?;
    }
    let updated = crate::records::MembershipRecord {
        sessions_valid_after: Some(now),
        updated_at: now,
        version: member.version + 1,
        ..member.clone()
    };
    let mut writes = Writes::new(app, now);
    writes
        .op(Op::put_if(
            to_item(&keys::membership(tenant_id, user_id), &updated, None)
                .context("building the membership")?,
            Condition::VersionIs(member.version),
        ))
        .audit(AuditEvent {
            tenant: tenant_id,
            action: AuditAction::SessionsEnded,
            actor: caller.actor,
            subject: Some(user_id),
            details: serde_json::json!({}),
        })?;
    writes
        .commit()
        .await
        .lost_race(SessionsError::Conflict, "ending the member's sessions")?;
    tracing::info!(tenant_id = %tenant_id, account_id = %user_id, "member's sessions ended by an admin");
    Ok(())
}
