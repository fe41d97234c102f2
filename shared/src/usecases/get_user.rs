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
    let mut read_keys = TenantCaller::keys(token, tenant_id).to_vec();
    read_keys.push(keys::membership(tenant_id, user_id));
    let mut items = app.table.batch_get(&read_keys).await.context("reading the caller and the user")?;
    let user: Option<MembershipRecord> = from_optional(items.pop().flatten()).context("reading the user")?;
    let caller = TenantCaller::resolve(token, items, now)?;
    // Members see themselves; seeing others takes the right to manage users.
    if caller.account.id != user_id && !caller.membership.can_manage_users() {
        return Err(GetUserError::Forbidden);
    }
    user.ok_or(GetUserError::NotFound)
}
