//! `GET /v1/tenants/{tenant_id}/users/{user_id}`: one batch read.

use super::{AuthError, Context, InternalError, TenantCaller};
use crate::app::App;
use crate::domain::{AccountId, TenantId};
use crate::keys;
use crate::records::{MembershipRecord, from_optional};
use crate::token::SessionToken;

#[derive(Debug, thiserror::Error)]
pub enum GetUserError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("the caller may not see users of this tenant")]
    Forbidden,
    #[error("no such user in this tenant")]
    NotFound,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

pub async fn get_user(
    app: &App,
    token: &SessionToken,
    tenant_id: TenantId,
    user_id: AccountId,
) -> Result<MembershipRecord, GetUserError> {
    let now = app.clock.now();
    // Reading oneself needs no fifth key: the caller's membership is the user.
    let reading_self = user_id == token.account_id;
    let mut read_keys = TenantCaller::keys(token, tenant_id).to_vec();
    if !reading_self {
        read_keys.push(keys::membership(tenant_id, user_id));
    }
    let mut items = app
        .table
        .batch_get(&read_keys)
        .await
        .context("reading the caller and the user")?;
    let other: Option<MembershipRecord> = if reading_self {
        None
    } else {
        from_optional(items.pop().flatten()).context("reading the user")?
    };
    let caller = TenantCaller::resolve(token, items, now)?;
    if reading_self {
        return Ok(caller.membership);
    }
    // Seeing others takes the right to manage users.
    if !caller.membership.can_manage_users() {
        return Err(GetUserError::Forbidden);
    }
    let user = other;
    user.ok_or(GetUserError::NotFound)
}
