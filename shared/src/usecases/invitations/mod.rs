//! Invitations: a tenant asks a person, by email, to join it. The only way an account that
//! exists already gains a membership is that person accepting through the link mailed to the
//! account's own address (DESIGN section 6): admin creation of a user whose email has an account
//! files an invitation too.
//!
//! - [`send`]: file an invitation (and its link, mail, quota counts and audit event).
//! - [`manage`]: list, read, revoke and resend.
//! - [`accept`]: what a link shows, and accepting it by signing in, registering or with a
//!   session; registering with another address waits for that address to be confirmed.
//! - [`announce`]: the job that tells every member that someone joined.
//! - [`expiry`]: the job that records an invitation expiring unused.
//!
//! A link is the one-time-link mechanism of password links: 32 random bytes, stored only as the
//! SHA-256 of their text, kind `invitation`. The invitation holds the hash of the one link that
//! works now; a resend replaces it. The link is claimed by conditional writes on its token and on
//! the invitation's version, in the same transaction that creates the membership.

pub mod accept;
pub(crate) mod announce;
pub(crate) mod expiry;
pub mod manage;
pub mod send;

use chrono::{DateTime, Utc};

use super::{Context, InternalError, password_links::KEPT_AFTER_EXPIRY};
use crate::app::App;
use crate::domain::{AccountId, EmailAddress, InvitationId, TenantId};
use crate::keys;
use crate::records::{InvitationRecord, TokenKind, TokenRecord, to_item};
use crate::table::{Condition, Op};
use crate::token::SecretToken;

/// The op that stores a new invitation link, the link itself (to be mailed, never stored) and
/// the hash the invitation keeps.
pub(crate) struct IssuedLink {
    pub op: Op,
    pub url: String,
    pub hash: String,
}

/// A link for invitation `id` of `tenant` from `inviter`, sent to `email`, working until
/// `expires_at`.
pub(crate) fn issue_link(
    app: &App,
    tenant: TenantId,
    id: InvitationId,
    inviter: Option<AccountId>,
    email: &EmailAddress,
    expires_at: DateTime<Utc>,
) -> Result<IssuedLink, InternalError> {
    let now = app.clock.now();
    let secret = SecretToken::generate(app.random.as_ref());
    let record = TokenRecord {
        kind: TokenKind::Invitation,
        account_id: None,
        tenant_id: Some(tenant),
        issued_at: now,
        expires_at,
        used_at: None,
        email: Some(email.clone()),
        login_version: None,
        invitation_id: Some(id),
        invited_by: inviter,
        registration: None,
        locale: None,
        version: 1,
    };
    let hash = secret.hash();
    let op = Op::put_if(
        to_item(
            &keys::token(&hash),
            &record,
            Some(expires_at + KEPT_AFTER_EXPIRY),
        )
        .context("building the invitation link")?,
        Condition::NotExists,
    );
    Ok(IssuedLink {
        op,
        url: app.config.link(&format!("/invite/{}", secret.expose())),
        hash,
    })
}

/// Whether the caller may see and manage `invitation`: those who manage users see all of their
/// tenant's; a member who may invite sees only their own.
pub(crate) fn may_manage(caller: &super::TenantCaller, invitation: &InvitationRecord) -> bool {
    caller.rights.can_manage_users()
        || (invitation.inviter_id.is_some() && invitation.inviter_id == caller.account_id())
}

/// Whether the caller may invite at all: users managers always, members when the tenant lets
/// them.
pub(crate) fn may_invite(caller: &super::TenantCaller) -> bool {
    invite_ceiling(&caller.rights, &caller.tenant).is_some()
}

/// The highest role `member` may invite with in `tenant` (their own if they manage users,
/// `member` where the tenant lets members invite), or `None` when they may not invite.
pub(crate) fn invite_ceiling(
    member: &crate::records::Rights,
    tenant: &crate::records::TenantRecord,
) -> Option<crate::domain::Role> {
    if member.can_manage_users() {
        Some(member.role)
    } else if tenant.settings.members_can_invite {
        Some(crate::domain::Role::Member)
    } else {
        None
    }
}

/// Whether `member` may give what `invitation` gives, as sending it needed: checked again when
/// someone resends or revokes it, and on the inviter when it is accepted (an inviter archived,
/// cut off, demoted or no longer allowed to invite takes their pending invitations' power with
/// them). Permissions retired since are not granted at acceptance, so they are not checked.
pub(crate) fn may_give(
    member: &crate::records::Rights,
    tenant: &crate::records::TenantRecord,
    invitation: &InvitationRecord,
) -> Result<(), super::grants::GrantError> {
    let Some(ceiling) = invite_ceiling(member, tenant) else {
        return Err(super::grants::GrantError::RoleNotAllowed(
            invitation.role.as_str(),
        ));
    };
    let current = tenant.grantable(invitation.permissions.iter());
    super::grants::check_newcomer(member, tenant, ceiling, invitation.role, &current)
}

/// The put of the marker that says an email has a pending invitation `id` in its tenant until
/// `expires_at`, under `condition`: a tenant never holds two pending invitations for one email.
pub(crate) fn pending_marker(
    key: &crate::table::Key,
    id: InvitationId,
    expires_at: DateTime<Utc>,
    condition: Condition,
) -> Result<Op, InternalError> {
    let record = crate::records::PendingInvitationRecord {
        invitation_id: id,
        expires_at,
    };
    Ok(Op::put_if(
        to_item(key, &record, None).context("building the pending marker")?,
        condition,
    ))
}
