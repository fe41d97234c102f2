//! `POST /v1/tenants/{tenant_id}/invitations`, and the invitation `POST .../users` files for an
//! email that already has an account.
//!
//! Round trips: one batch read (the caller, the email's login item, its pending-invitation
//! marker, the two quotas) and one transaction. When the email has an account, one more read
//! between them, of the account and its membership here: the login item is what names the
//! account, and the membership says whether the person is already in (409) and the account in
//! which language to write.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::super::audit::{AuditAction, AuditEvent};
use super::super::commit::Writes;
use super::super::grants::{self, GrantError};
use super::super::throttle::{Counted, refused_for, transact_counting};
use super::super::{AuthError, Context, Found, InternalError, TenantCaller};
use super::{issue_link, pending_marker};
use crate::app::App;
use crate::domain::{
    EmailAddress, InvitationId, InvitationMessage, Locale, PermissionSet, Role, TenantId,
};
use crate::keys;
use crate::mail::MailTemplate;
use crate::records::{
    AccountRecord, InvitationRecord, LoginRecord, MembershipRecord, MembershipStatus,
    NewInvitation, PendingInvitationRecord, ThrottleRecord, from_optional, to_item,
};
use crate::table::{Condition, Item, Key, Op, TransactError};
use crate::token::Credential;

#[derive(Clone)]
pub struct Invite {
    pub email: EmailAddress,
    pub role: Role,
    pub permissions: PermissionSet,
    pub message: Option<InvitationMessage>,
    /// The language of the mail and the page; else the account's, else the tenant's default.
    pub locale: Option<Locale>,
    /// Teams accepting joins: at most 10, each an active team whose people the caller may
    /// change (those who manage users, or a maintainer within their own rights).
    pub team_ids: Vec<crate::domain::TeamId>,
}

#[derive(Debug, thiserror::Error)]
pub enum SendInvitationError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("the caller may not invite people to this tenant")]
    Forbidden,
    #[error(transparent)]
    Grant(#[from] GrantError),
    #[error("this person is already a member of the tenant")]
    AlreadyMember,
    #[error("this person is an archived member of the tenant: restore them instead")]
    MemberArchived,
    #[error("an invitation for this email is pending: resend it instead")]
    InvitationPending,
    #[error("too many invitations sent today")]
    RateLimited { retry_after_seconds: u64 },
    #[error("the tenant changed at the same time; try again")]
    Conflict,
    #[error("{0} is not an active team of this tenant")]
    UnknownTeam(String),
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// How often a send that lost a race for a quota count reads again and retries.
const TRIES: usize = 5;

pub async fn send_invitation(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    invite: Invite,
) -> Result<InvitationRecord, SendInvitationError> {
    for _ in 0..TRIES {
        let reads = InvitationReads::new(tenant_id, &token.quota_subject(), &invite.email);
        let (caller, items) = TenantCaller::load_with(app, token, tenant_id, &reads.keys()).await?;
        let state = reads.take(items)?;
        authorize(&caller, invite.role, &invite.permissions)?;
        may_name_teams(app, &caller, &invite.team_ids).await?;
        match file(app, &caller, &invite, state, None, Attached::default()).await? {
            Filed::Done(invitation) => return Ok(*invitation),
            Filed::LostARace => continue,
        }
    }
    Err(SendInvitationError::Conflict)
}

/// The most addresses one bulk request invites.
pub const MAX_BULK: usize = 100;

/// `POST .../invitations` with `emails`: each address its own invitation, one after another
/// (each counts in the quotas, so a quota spent midway refuses the rest), one result per
/// address in their order. A caller who may not invite at all is refused once, before any.
pub async fn send_invitations(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    invites: Vec<Invite>,
) -> Result<Vec<Result<InvitationRecord, SendInvitationError>>, SendInvitationError> {
    let caller = TenantCaller::load(app, token, tenant_id).await?;
    if !super::may_invite(&caller) {
        return Err(SendInvitationError::Forbidden);
    }
    let mut results = Vec::with_capacity(invites.len());
    for invite in invites {
        results.push(send_invitation(app, token, tenant_id, invite).await);
    }
    Ok(results)
}

/// Who may invite with what: those who manage users as they may create users (nobody above
/// their own role; non-admins only permissions they hold); other members only where the tenant
/// lets them, then only as members with permissions no wider than their own.
fn authorize(
    caller: &TenantCaller,
    role: Role,
    permissions: &PermissionSet,
) -> Result<(), SendInvitationError> {
    let own = &caller.rights;
    let ceiling =
        super::invite_ceiling(own, &caller.tenant).ok_or(SendInvitationError::Forbidden)?;
    grants::check_newcomer(own, &caller.tenant, ceiling, role, permissions)?;
    Ok(())
}

/// The teams an invitation names must be active teams of the tenant whose people the caller may
/// change: accepting puts the person in them, with what they grant. One batch read, only when
/// it names any.
async fn may_name_teams(
    app: &App,
    caller: &TenantCaller,
    teams: &[crate::domain::TeamId],
) -> Result<(), SendInvitationError> {
    if teams.is_empty() {
        return Ok(());
    }
    let keys: Vec<Key> = teams
        .iter()
        .map(|t| keys::team(caller.tenant.id, *t))
        .collect();
    let items = app
        .table
        .batch_get(&keys)
        .await
        .context("reading the teams")?;
    for (id, item) in teams.iter().zip(items) {
        let team: Option<crate::records::TeamRecord> =
            from_optional(item).context("reading a team")?;
        let team = team
            .filter(|t| t.is_active())
            .ok_or_else(|| SendInvitationError::UnknownTeam(id.to_string()))?;
        super::super::team_members::may_change_people(app, caller, &team)
            .await
            .map_err(|e| match e {
                super::super::teams::TeamError::Grant(e) => SendInvitationError::Grant(e),
                super::super::teams::TeamError::Internal(e) => SendInvitationError::Internal(e),
                _ => SendInvitationError::Forbidden,
            })?;
    }
    Ok(())
}

/// The items an invitation needs besides its caller, read in the caller's batch.
pub(crate) struct InvitationReads {
    login: Key,
    pending: Key,
    tenant_quota: Key,
    inviter_quota: Key,
}

/// What they held.
pub(crate) struct InvitationState {
    pub login: Option<LoginRecord>,
    pending: Option<PendingInvitationRecord>,
    tenant_quota: Option<ThrottleRecord>,
    inviter_quota: Option<ThrottleRecord>,
}

impl InvitationState {
    /// When an invitation from `inviter` in `tenant` would be refused by a quota as read:
    /// `Some(seconds)` until it would not. Admin creation asks this before it looks at whether
    /// the address has an account, so that a spent quota answers every address alike.
    pub fn quota_refusal(&self, app: &App, now: DateTime<Utc>) -> Option<u64> {
        [
            (&self.tenant_quota, app.config.invitations_per_tenant),
            (&self.inviter_quota, app.config.invitations_per_inviter),
        ]
        .into_iter()
        .find_map(|(current, limit)| refused_for(current.as_ref(), limit, 1, now))
    }
}

impl InvitationReads {
    pub fn new(tenant: TenantId, inviter: &str, email: &EmailAddress) -> Self {
        let normalized = email.normalized();
        Self {
            login: keys::login(&normalized),
            pending: keys::pending_invitation(tenant, &normalized),
            tenant_quota: keys::tenant_invitation_throttle(tenant),
            inviter_quota: keys::inviter_throttle(tenant, inviter),
        }
    }

    pub fn keys(&self) -> [Key; 4] {
        [
            self.login.clone(),
            self.pending.clone(),
            self.tenant_quota.clone(),
            self.inviter_quota.clone(),
        ]
    }

    /// Reads the state from the items of [`InvitationReads::keys`], in that order.
    pub fn take(
        &self,
        items: impl IntoIterator<Item = Option<Item>>,
    ) -> Result<InvitationState, InternalError> {
        let mut items = items.into_iter();
        let mut next = || items.next().flatten();
        let login = from_optional(next()).context("reading the login item")?;
        let pending = from_optional(next()).context("reading the pending invitation")?;
        let tenant_quota = from_optional(next()).context("reading a quota")?;
        let inviter_quota = from_optional(next()).context("reading a quota")?;
        Ok(InvitationState {
            login,
            pending,
            tenant_quota,
            inviter_quota,
        })
    }
}

/// What a caller writes along with the invitation, in its transaction: an import's record of
/// the row (whose condition failing means the row was done meanwhile, a lost race), and what the
/// audit event's details gain.
#[derive(Default)]
pub(crate) struct Attached<'a> {
    pub writes: Option<Writes<'a>>,
    pub details: serde_json::Map<String, serde_json::Value>,
}

pub(crate) enum Filed {
    Done(Box<InvitationRecord>),
    /// A quota count or the tenant changed between the read and the write: read again.
    LostARace,
}

/// Files an invitation for `invite` from `caller`: checks membership and the pending marker,
/// counts the quotas, and writes the invitation, its link, its marker, its mail and its audit
/// event in one transaction. `mail_locale` overrides the language (admin creation passes the
/// language it was given for the person).
///
/// Kept in one piece (the checks are `invitable`): what remains is the one transaction, built in
/// the order its writes are listed above, with most locals used by several of them.
pub(crate) async fn file(
    app: &App,
    caller: &TenantCaller,
    invite: &Invite,
    state: InvitationState,
    mail_locale: Option<Locale>,
    attached: Attached<'_>,
) -> Result<Filed, SendInvitationError> {
    let now = app.clock.now();
    let tenant = &caller.tenant;
    let (account, recorded, pending_condition) = invitable(app, tenant.id, &state, now).await?;
    let counts = [
        (
            keys::tenant_invitation_throttle(tenant.id),
            app.config.invitations_per_tenant,
        ),
        (
            keys::inviter_throttle(tenant.id, &caller.quota_subject()),
            app.config.invitations_per_inviter,
        ),
    ];
    let mut writes = Writes::new(app, now);

    let id = InvitationId::from_ulid(app.random.ulid(now));
    let expires_at = now + chrono::Duration::hours(i64::from(tenant.settings.invitation_ttl_hours));
    // Mailed to the address the account signs in with, when there is one (the same address,
    // perhaps in other letter case); answered and logged as typed, which tells the inviter
    // nothing of the account.
    let typed = &invite.email;
    let to = account
        .as_ref()
        .map_or_else(|| invite.email.clone(), |a| a.email.clone());
    let link = issue_link(app, tenant.id, id, caller.account_id(), &to, expires_at)?;
    // The operator invites in the tenant's name.
    let inviter_name = caller.account.as_ref().map_or_else(
        || tenant.name.clone(),
        |a| format!("{} {}", a.first_name, a.last_name),
    );
    let locale = invite
        .locale
        .or(mail_locale)
        .or(account.as_ref().map(|a| a.locale))
        .unwrap_or(tenant.settings.default_locale);
    let invitation = InvitationRecord::pending(
        NewInvitation {
            id,
            tenant_id: tenant.id,
            email: typed.clone(),
            role: invite.role,
            permissions: invite.permissions.clone(),
            message: invite.message.as_ref().map(|m| m.as_str().to_owned()),
            locale,
            inviter_id: caller.account_id(),
            inviter_name: inviter_name.clone(),
            token_hash: link.hash.clone(),
            expires_at,
            by_operator: caller.operator_key.is_some(),
            by_directory: matches!(caller.actor, crate::records::Actor::Scim(_)),
            team_ids: invite.team_ids.clone(),
        },
        now,
    );
    let pending_key = keys::pending_invitation(tenant.id, &typed.normalized());
    writes.op(Op::put_if(
        to_item(&keys::invitation(tenant.id, id), &invitation, None)
            .context("building the invitation")?,
        Condition::NotExists,
    ));
    writes.op(pending_marker(
        &pending_key,
        id,
        expires_at,
        pending_condition,
    )?);
    writes.op(link.op);
    let membership_key = account.as_ref().map(|a| keys::membership(tenant.id, a.id));
    // A caller that records the person in this transaction (SCIM) writes the membership under
    // its own condition: a transaction names an item once.
    let recorded_by_attached = attached
        .writes
        .as_ref()
        .is_some_and(|w| w.keys().any(|k| Some(&k) == membership_key.as_ref()));
    if let Some(key) = membership_key.as_ref().filter(|_| !recorded_by_attached) {
        // Nobody joined between the read and this write: no membership, or still the one kept
        // from the person's mail that this invitation asks them to open.
        let condition = match recorded {
            Some(_) => Condition::AttributeEquals("needs_consent".into(), true.into()),
            None => Condition::NotExists,
        };
        writes.op(Op::check(key.clone(), condition));
    }
    if invite.permissions.iter().next().is_some() {
        // The permissions were checked against the catalogue as read.
        writes.op(Op::check(
            keys::tenant(tenant.id),
            Condition::VersionIs(tenant.version),
        ));
    }
    writes.mail(
        &invitation_mail(&tenant.name, &invitation, link.url, false),
        &to,
        locale,
    )?;
    // No subject: an account id here would tell the tenant's admins that the address has an
    // account somewhere. The person's history gets the invitation when they accept it.
    writes.audit(AuditEvent {
        tenant: tenant.id,
        action: AuditAction::InvitationSent,
        actor: caller.actor,
        subject: None,
        details: {
            let mut details = json!({
                "invitation_id": id, "email": typed, "role": invite.role,
                "permissions": invite.permissions.names(),
                "expires_at": expires_at, "with_message": invite.message.is_some(),
            });
            if let Some(map) = details.as_object_mut() {
                map.extend(attached.details);
            }
            details
        },
    })?;
    let mut attached_keys = Vec::new();
    if let Some(more) = attached.writes {
        attached_keys.extend(more.keys());
        writes.append(more);
    }
    let current = vec![state.tenant_quota, state.inviter_quota];
    match transact_counting(writes, &counts, current).await {
        Ok(Counted::Committed) => {}
        Ok(Counted::LimitReached(retry_after_seconds)) => {
            return Err(SendInvitationError::RateLimited {
                retry_after_seconds,
            });
        }
        Err(e) if e.failed_on(&pending_key) => return Err(SendInvitationError::InvitationPending),
        Err(e) if membership_key.as_ref().is_some_and(|k| e.failed_on(k)) => {
            return Err(SendInvitationError::AlreadyMember);
        }
        Err(e) if attached_keys.iter().any(|k| e.failed_on(k)) => return Ok(Filed::LostARace),
        // The catalogue changed, or the counts kept losing: read everything again.
        Err(e) if matches!(e, TransactError::Conflict) || e.failed_on(&keys::tenant(tenant.id)) => {
            return Ok(Filed::LostARace);
        }
        Err(other) => {
            return Err(other)
                .context("filing the invitation")
                .map_err(Into::into);
        }
    }
    tracing::info!(invitation_id = %id, "invitation sent");
    Ok(Filed::Done(Box::new(invitation)))
}

/// Whether the email may be invited now: not a member (active or archived) unless kept from
/// their mail awaiting consent, no pending invitation. Returns the account the email has, if any
/// (the mail goes in its language), that kept membership, and the condition the pending marker
/// is written under: absent, or an expired invitation's marker taken over, guarded by the id it
/// named.
async fn invitable(
    app: &App,
    tenant: TenantId,
    state: &InvitationState,
    now: DateTime<Utc>,
) -> Result<(Option<AccountRecord>, Option<MembershipRecord>, Condition), SendInvitationError> {
    let (account, membership) = match &state.login {
        Some(login) => read_account_and_membership(app, tenant, login).await?,
        None => (None, None),
    };
    let recorded = match membership {
        Some(member) if member.needs_consent && member.status == MembershipStatus::Active => {
            Some(member)
        }
        Some(member) => {
            return Err(match member.status {
                MembershipStatus::Active => SendInvitationError::AlreadyMember,
                MembershipStatus::Archived => SendInvitationError::MemberArchived,
            });
        }
        None => None,
    };
    let pending_condition = match &state.pending {
        Some(pending) if pending.expires_at > now => {
            return Err(SendInvitationError::InvitationPending);
        }
        Some(pending) => Condition::AttributeEquals(
            "invitation_id".into(),
            pending.invitation_id.to_string().into(),
        ),
        None => Condition::NotExists,
    };
    Ok((account, recorded, pending_condition))
}

/// The account behind `login` and its membership in `tenant`, in one batch.
async fn read_account_and_membership(
    app: &App,
    tenant: TenantId,
    login: &LoginRecord,
) -> Result<(Option<AccountRecord>, Option<MembershipRecord>), InternalError> {
    let read = app
        .table
        .batch_get(&[
            keys::account(login.account_id),
            keys::membership(tenant, login.account_id),
        ])
        .await
        .context("reading the existing account")?;
    let mut found = Found::new(read);
    let account = found.next("reading the account")?;
    let membership = found.next("reading the membership")?;
    Ok((account, membership))
}

/// The invitation mail (or, with `resent`, its reminder carrying a new link).
pub(crate) fn invitation_mail(
    tenant_name: &str,
    invitation: &InvitationRecord,
    link: String,
    resent: bool,
) -> MailTemplate {
    MailTemplate::Invitation {
        tenant: tenant_name.to_owned(),
        inviter: invitation.inviter_name.clone(),
        role: invitation.role,
        message: invitation.message.clone(),
        link,
        expires_at: invitation.expires_at,
        resent,
    }
}

/// When a resend of `invitation` would be refused by its own daily limit: `Some(seconds)`.
pub(crate) fn resend_refused_for(
    invitation: &InvitationRecord,
    limit: crate::app::Limit,
    now: DateTime<Utc>,
) -> Option<u64> {
    let started = invitation.resend_window_started_at?;
    let live = started + limit.window > now;
    (live && invitation.resends >= limit.max)
        .then(|| (started + limit.window - now).num_seconds().max(1) as u64)
}
