//! Opening an invitation or confirmation link: its token (found by its hash alone), what it
//! opens, and what it is now.

use super::*;

/// Reads the token behind `raw` (of `kind`) together with `more` keys.
pub(super) async fn read_token(
    app: &App,
    raw: &str,
    kind: TokenKind,
    more: &[Key],
) -> Result<Option<(Key, TokenRecord, Vec<Option<Item>>)>, InternalError> {
    let Some(secret) = SecretToken::parse(raw) else {
        return Ok(None);
    };
    let key = keys::token(&secret.hash());
    let mut keys = vec![key.clone()];
    keys.extend_from_slice(more);
    let mut items = app
        .table
        .batch_get(&keys)
        .await
        .context("reading the link")?;
    let extra = items.split_off(1);
    let token: Option<TokenRecord> =
        from_optional(items.pop().flatten()).context("reading the link")?;
    // A password link, a session or anything else is not an invitation link.
    Ok(token
        .filter(|t| t.kind == kind && t.tenant_id.is_some() && t.invitation_id.is_some())
        .map(|t| (key, t, extra)))
}

/// Reads what `token` opens (with `more` keys) and judges the link.
pub(super) async fn open(
    app: &App,
    token_key: Key,
    token: TokenRecord,
    more: &[Key],
) -> Result<Option<(OpenedLink, Vec<Option<Item>>)>, InternalError> {
    let (Some(tenant_id), Some(invitation_id)) = (token.tenant_id, token.invitation_id) else {
        return Ok(None);
    };
    let mut keys = vec![
        keys::invitation(tenant_id, invitation_id),
        keys::tenant(tenant_id),
    ];
    if let Some(inviter) = token.invited_by {
        keys.push(keys::membership(tenant_id, inviter));
        keys.extend(crate::usecases::team_grants::keys(tenant_id, inviter));
    }
    let fixed = keys.len();
    // A key asked for twice (the inviter's membership is the invitee's own when someone accepts
    // their own invitation, or the operator's) is read once: a batch read takes distinct keys.
    let positions: Vec<usize> = more
        .iter()
        .map(|key| match keys.iter().position(|k| k == key) {
            Some(at) => at,
            None => {
                keys.push(key.clone());
                keys.len() - 1
            }
        })
        .collect();
    let items = app
        .table
        .batch_get(&keys)
        .await
        .context("reading the invitation")?;
    let extra = positions
        .iter()
        .map(|&at| items.get(at).cloned().flatten())
        .collect();
    let mut items = items.into_iter().take(fixed);
    let invitation: Option<InvitationRecord> =
        from_optional(items.next().flatten()).context("reading the invitation")?;
    let tenant: Option<TenantRecord> =
        from_optional(items.next().flatten()).context("reading the tenant")?;
    let inviter: Option<MembershipRecord> =
        from_optional(items.next().flatten()).context("reading the inviter")?;
    let (inviter_grants, epoch) = (items.next().flatten(), items.next().flatten());
    let (Some(invitation), Some(tenant)) = (invitation, tenant) else {
        return Ok(None);
    };
    let mut state = judge(app.clock.now(), &token_key, &token, &invitation);
    // An invitation is only as good as its inviter is now, with what their teams grant.
    let inviter_rights = match inviter.as_ref().filter(|m| m.is_usable()) {
        Some(m) => Some(
            crate::usecases::team_grants::resolve(
                app,
                tenant_id,
                m.account_id,
                inviter_grants,
                epoch,
            )
            .await
            .context("reading the inviter's teams")?
            .rights_of(m, &tenant),
        ),
        None => None,
    };
    let inviter_may = invitation.by_operator
        || invitation.by_directory
        || inviter_rights.is_some_and(|r| super::super::may_give(&r, &tenant, &invitation).is_ok());
    // Nor while the operator has the tenant suspended: answered as withdrawn, and usable
    // again once it is resumed (the link is not spent).
    if state == LinkState::Usable && (!inviter_may || tenant.suspended.is_some()) {
        state = LinkState::Revoked;
    }
    Ok(Some((
        OpenedLink {
            token_key,
            token,
            invitation,
            tenant,
            inviter,
            state,
        },
        extra,
    )))
}

pub(super) fn judge(
    now: DateTime<Utc>,
    token_key: &Key,
    token: &TokenRecord,
    invitation: &InvitationRecord,
) -> LinkState {
    let is_current = token.kind != TokenKind::Invitation
        || token_key.pk.strip_prefix("TOKEN#") == Some(invitation.token_hash.as_str());
    if token.used_at.is_some() || invitation.status == InvitationStatus::Accepted {
        LinkState::Used
    } else if invitation.status == InvitationStatus::Revoked {
        LinkState::Revoked
    } else if !is_current {
        LinkState::Superseded
    } else if invitation.expires_at <= now || token.expires_at <= now {
        LinkState::Expired
    } else {
        LinkState::Usable
    }
}

pub(super) fn refuse_unless_usable(state: LinkState) -> Result<(), AcceptError> {
    match state {
        LinkState::Usable => Ok(()),
        LinkState::Expired | LinkState::Superseded => Err(AcceptError::Expired),
        LinkState::Used => Err(AcceptError::Used),
        LinkState::Revoked => Err(AcceptError::Revoked),
        LinkState::Unknown => Err(AcceptError::Invalid),
    }
}

/// Why the invitation was no longer as read: read again and say what it is now.
pub(super) async fn why_changed(app: &App, link: &OpenedLink) -> AcceptError {
    let key = keys::invitation(link.tenant.id, link.invitation.id);
    let now: Result<Option<InvitationRecord>, InternalError> = match app.table.get(&key).await {
        Ok(item) => from_optional(item).context("reading the invitation"),
        Err(e) => Err(e).context("reading the invitation"),
    };
    match now {
        Ok(Some(invitation)) => {
            match judge(app.clock.now(), &link.token_key, &link.token, &invitation) {
                LinkState::Used => AcceptError::Used,
                LinkState::Revoked => AcceptError::Revoked,
                LinkState::Expired | LinkState::Superseded => AcceptError::Expired,
                LinkState::Usable | LinkState::Unknown => AcceptError::Conflict,
            }
        }
        Ok(None) => AcceptError::Invalid,
        Err(e) => AcceptError::Internal(e),
    }
}
