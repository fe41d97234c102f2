//! `GET /v1/tenants/{tenant_id}`: one batch read. Settings only for admins; a suspended tenant
//! only for its owners, who can read why.

use super::{AuthError, TenantCaller};
use crate::app::App;
use crate::domain::TenantId;
use crate::records::TenantRecord;
use crate::token::Credential;

#[derive(Debug, thiserror::Error)]
pub enum GetTenantError {
    #[error(transparent)]
    Auth(#[from] AuthError),
}

pub struct TenantView {
    pub tenant: TenantRecord,
    pub include_settings: bool,
}

pub async fn get_tenant(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
) -> Result<TenantView, GetTenantError> {
    let caller = TenantCaller::load_as_owner_of_suspended(app, token, tenant_id).await?;
    Ok(TenantView {
        include_settings: caller.rights.role.is_admin(),
        tenant: caller.tenant,
    })
}
