//! `GET /v1/tenants/{tenant_id}/users/{user_id}`: one batch read (the person's teams with it).

use super::team_grants::Member;
use super::{AuthError, TenantCaller};
use crate::app::App;
use crate::domain::{AccountId, TenantId};
use crate::token::Credential;

#[derive(Debug, thiserror::Error)]
pub enum GetUserError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("the caller may not see users of this tenant")]
    Forbidden,
    #[error("no such user in this tenant")]
    NotFound,
}

pub async fn get_user(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    user_id: AccountId,
) -> Result<Member, GetUserError> {
    let (caller, user) = TenantCaller::load_with_member(app, token, tenant_id, user_id).await?;
    // Seeing others takes the right to manage users.
    if caller.account_id() != Some(user_id) && !caller.rights.can_manage_users() {
        return Err(GetUserError::Forbidden);
    }
    user.ok_or(GetUserError::NotFound)
}
