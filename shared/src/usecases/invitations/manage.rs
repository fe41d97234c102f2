//! Listing, reading, revoking and resending invitations. Those who manage users see all of
//! their tenant's; a member who may invite sees and manages only their own (another's reads as
//! not found, as does an invitation of another tenant).
//!
//! Round trips: reading one, revoking and resending take one batch read (the caller and the
//! invitation together) and, to change it, one transaction. A list page is one batch read of the
//! caller and one query per page of the partition (more only when a filter skips items).

use serde_json::json;

use super::super::audit::{AuditAction, AuditEvent};
use super::super::commit::{LostRace, Writes};
use super::super::grants::GrantError;
use super::super::listing::{Cursor, Listing, Order, filtered_page};
use super::super::throttle::{Counted, transact_counting};
use super::super::{AuthError, Context, InternalError, TenantCaller};
use super::send::{invitation_mail, resend_refused_for};
use super::{issue_link, may_give, may_invite, may_manage, pending_marker};
use crate::app::App;
use crate::domain::{InvitationId, TenantId};
use crate::keys;
use crate::records::{
    InvitationRecord, InvitationStatus, ThrottleRecord, from_item, from_optional, to_item,
};
use crate::table::{Condition, Key, Op, TransactError};
use crate::token::Credential;

#[derive(Debug, thiserror::Error)]
pub enum ManageInvitationError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("the caller may not see or manage invitations of this tenant")]
    Forbidden,
    #[error("no such invitation in this tenant")]
    NotFound,
    #[error("the invitation was already {0}")]
    NotPending(&'static str),
    #[error("a newer invitation for this email is pending")]
    Superseded,
    #[error("this invitation was resent too often today")]
    RateLimited { retry_after_seconds: u64 },
    #[error("the cursor is not one this listing gave")]
    InvalidCursor,
    #[error(transparent)]
    Grant(#[from] GrantError),
    #[error("the invitation changed at the same time; try again")]
    Conflict,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

pub struct ListInvitations {
    pub status: Option<InvitationStatus>,
    pub limit: usize,
    pub cursor: Option<String>,
}

pub struct InvitationPage {
    pub invitations: Vec<InvitationRecord>,
    pub next_cursor: Option<Cursor>,
}

/// One page, newest first.
pub async fn list_invitations(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    request: ListInvitations,
) -> Result<InvitationPage, ManageInvitationError> {
    let cursor = request
        .cursor
        .as_deref()
        .map(|raw| {
            Cursor::parse(raw, keys::INVITE_PREFIX).ok_or(ManageInvitationError::InvalidCursor)
        })
        .transpose()?;
    let caller = TenantCaller::load(app, token, tenant_id).await?;
    if !may_invite(&caller) {
        return Err(ManageInvitationError::Forbidden);
    }
    let now = app.clock.now();
    let pk = keys::tenant_pk(tenant_id);
    let listing = Listing {
        pk: &pk,
        prefix: keys::INVITE_PREFIX,
        order: Order::Descending,
        cursor,
        limit: request.limit,
    };
    let (invitations, next_cursor) = filtered_page(app, listing, |item| {
        let invitation: InvitationRecord = from_item(item).context("reading an invitation")?;
        let wanted = request
            .status
            .is_none_or(|s| invitation.status_at(now) == s);
        Ok((wanted && may_manage(&caller, &invitation)).then_some(invitation))
    })
    .await?;
    Ok(InvitationPage {
        invitations,
        next_cursor,
    })
}

/// The caller and one invitation they may manage, in one batch read (with `more` keys after).
async fn load(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    id: InvitationId,
    more: &[Key],
) -> Result<
    (
        TenantCaller,
        InvitationRecord,
        Vec<Option<crate::table::Item>>,
    ),
    ManageInvitationError,
> {
    let mut wanted = vec![keys::invitation(tenant_id, id)];
    wanted.extend_from_slice(more);
    let (caller, mut items) = TenantCaller::load_with(app, token, tenant_id, &wanted).await?;
    let extra = items.split_off(1);
    let invitation: Option<InvitationRecord> =
        from_optional(items.pop().flatten()).context("reading the invitation")?;
    if !may_invite(&caller) {
        return Err(ManageInvitationError::Forbidden);
    }
    // Someone else's invitation reads as absent to a member who may only see their own.
    let invitation = invitation
        .filter(|i| may_manage(&caller, i))
        .ok_or(ManageInvitationError::NotFound)?;
    Ok((caller, invitation, extra))
}

pub async fn get_invitation(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    id: InvitationId,
) -> Result<InvitationRecord, ManageInvitationError> {
    Ok(load(app, token, tenant_id, id, &[]).await?.1)
}

fn refuse_unless_open(
    invitation: &InvitationRecord,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ManageInvitationError> {
    match invitation.status_at(now) {
        InvitationStatus::Accepted => Err(ManageInvitationError::NotPending("accepted")),
        InvitationStatus::Revoked => Err(ManageInvitationError::NotPending("revoked")),
        InvitationStatus::Pending | InvitationStatus::Expired => Ok(()),
    }
}

/// `DELETE .../invitations/{id}`: the invitation is revoked and its link dies with it (the
/// link's page and accept read the invitation's status).
pub async fn revoke_invitation(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    id: InvitationId,
) -> Result<(), ManageInvitationError> {
    let (caller, invitation, _) = load(app, token, tenant_id, id, &[]).await?;
    // Nobody withdraws what they could not have given.
    may_give(&caller.rights, &caller.tenant, &invitation)?;
    let now = app.clock.now();
    refuse_unless_open(&invitation, now)?;
    let revoked = InvitationRecord {
        status: InvitationStatus::Revoked,
        revoked_at: Some(now),
        revoked_by: caller.account_id(),
        updated_at: now,
        version: invitation.version + 1,
        ..invitation.clone()
    };
    let mut writes = Writes::new(app, now);
    writes
        .ops([
            Op::put_if(
                to_item(&keys::invitation(tenant_id, id), &revoked, None)
                    .context("building the invitation")?,
                Condition::VersionIs(invitation.version),
            ),
            // The email may be invited again at once.
            Op::delete_if(
                keys::pending_invitation(tenant_id, &invitation.email.normalized()),
                Condition::AttributeEquals("invitation_id".into(), id.to_string().into()),
            ),
        ])
        .audit(AuditEvent {
            tenant: tenant_id,
            action: AuditAction::InvitationRevoked,
            actor: caller.actor,
            subject: invitation.accepted_by,
            details: json!({"invitation_id": id, "email": invitation.email}),
        })?;
    match writes.commit().await {
        Ok(()) => {}
        Err(e) if e.failed_on(&keys::invitation(tenant_id, id)) => {
            return Err(ManageInvitationError::Conflict);
        }
        // The marker names another invitation: this one had expired and the email was invited
        // again. Revoking it is still right; its marker is not its own to remove.
        Err(TransactError::ConditionFailed { .. }) => {
            return revoke_without_marker(app, &caller, &invitation, revoked).await;
        }
        Err(TransactError::Conflict) => return Err(ManageInvitationError::Conflict),
        Err(other) => {
            return Err(other)
                .context("revoking the invitation")
                .map_err(Into::into);
        }
    }
    tracing::info!(invitation_id = %id, "invitation revoked");
    Ok(())
}

async fn revoke_without_marker(
    app: &App,
    caller: &TenantCaller,
    invitation: &InvitationRecord,
    revoked: InvitationRecord,
) -> Result<(), ManageInvitationError> {
    let mut writes = Writes::new(app, app.clock.now());
    writes
        .op(Op::put_if(
            to_item(
                &keys::invitation(invitation.tenant_id, invitation.id),
                &revoked,
                None,
            )
            .context("building the invitation")?,
            Condition::VersionIs(invitation.version),
        ))
        .audit(AuditEvent {
            tenant: invitation.tenant_id,
            action: AuditAction::InvitationRevoked,
            actor: caller.actor,
            subject: None,
            details: json!({"invitation_id": invitation.id, "email": invitation.email}),
        })?;
    writes
        .commit()
        .await
        .lost_race(ManageInvitationError::Conflict, "revoking the invitation")
}

/// `POST .../invitations/{id}/resend`: the same invitation with a new link and a new expiry; the
/// old link dies (the invitation keeps only the new link's hash). At most
/// `invitation_resends` a day per invitation, and each counts in the tenant's daily quota.
///
/// Kept in one piece: the checks, the resend limits and the one transaction, in order.
pub async fn resend_invitation(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    id: InvitationId,
) -> Result<InvitationRecord, ManageInvitationError> {
    let quota_key = keys::tenant_invitation_throttle(tenant_id);
    let (caller, invitation, mut extra) =
        load(app, token, tenant_id, id, std::slice::from_ref(&quota_key)).await?;
    // A resend gives again (and revives an expired invitation): only within the caller's grant.
    may_give(&caller.rights, &caller.tenant, &invitation)?;
    let quota: Option<ThrottleRecord> =
        from_optional(extra.pop().flatten()).context("reading the quota")?;
    let pending_key = keys::pending_invitation(tenant_id, &invitation.email.normalized());
    let now = app.clock.now();
    refuse_unless_open(&invitation, now)?;
    let window = app.config.invitation_resends.window;
    if let Some(retry_after_seconds) =
        resend_refused_for(&invitation, app.config.invitation_resends, now)
    {
        return Err(ManageInvitationError::RateLimited {
            retry_after_seconds,
        });
    }
    let tenant = &caller.tenant;
    let expires_at = now + chrono::Duration::hours(i64::from(tenant.settings.invitation_ttl_hours));
    let link = issue_link(
        app,
        tenant_id,
        id,
        invitation.inviter_id,
        &invitation.email,
        expires_at,
    )?;
    let (resends, resend_window_started_at) = match invitation.resend_window_started_at {
        Some(started) if started + window > now => (invitation.resends + 1, started),
        _ => (1, now),
    };
    let resent = InvitationRecord {
        token_hash: link.hash.clone(),
        expires_at,
        resends,
        resend_window_started_at: Some(resend_window_started_at),
        updated_at: now,
        version: invitation.version + 1,
        ..invitation.clone()
    };
    let invitation_key = keys::invitation(tenant_id, id);
    let locale = invitation.locale.unwrap_or(tenant.settings.default_locale);
    let mut writes = Writes::new(app, now);
    writes.ops([
        Op::put_if(
            to_item(&invitation_key, &resent, None).context("building the invitation")?,
            Condition::VersionIs(invitation.version),
        ),
        // The marker follows the new expiry. It must still be this invitation's: after it expired
        // the email may have been invited again, and two pending invitations for one email are
        // never made.
        pending_marker(
            &pending_key,
            id,
            expires_at,
            Condition::AttributeEquals("invitation_id".into(), id.to_string().into()),
        )?,
        link.op,
    ]);
    writes
        .mail(
            &invitation_mail(&tenant.name, &resent, link.url, true),
            &invitation.email,
            locale,
        )?
        .audit(AuditEvent {
            tenant: tenant_id,
            action: AuditAction::InvitationResent,
            actor: caller.actor,
            subject: None,
            details: json!({"invitation_id": id, "email": invitation.email, "expires_at": expires_at}),
        })?;
    let counts = [(quota_key, app.config.invitations_per_tenant)];
    match transact_counting(writes, &counts, vec![quota]).await {
        Ok(Counted::Committed) => {}
        Ok(Counted::LimitReached(retry_after_seconds)) => {
            return Err(ManageInvitationError::RateLimited {
                retry_after_seconds,
            });
        }
        Err(e) if e.failed_on(&pending_key) => return Err(ManageInvitationError::Superseded),
        Err(TransactError::ConditionFailed { .. } | TransactError::Conflict) => {
            return Err(ManageInvitationError::Conflict);
        }
        Err(other) => {
            return Err(other)
                .context("resending the invitation")
                .map_err(Into::into);
        }
    }
    tracing::info!(invitation_id = %id, "invitation resent");
    Ok(resent)
}
