//! `GET /v1/tenants/{tenant_id}`: one batch read. Settings only for admins.

use super::{AuthError, Context, InternalError, TenantCaller};
use crate::app::App;
use crate::domain::TenantId;
use crate::records::TenantRecord;
use crate::token::SessionToken;

#[derive(Debug, thiserror::Error)]
pub enum GetTenantError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Internal(#[from] InternalError),
}

pub struct TenantView {
    pub tenant: TenantRecord,
    pub include_settings: bool,
}

pub async fn get_tenant(
    app: &App,
    token: &SessionToken,
    tenant_id: TenantId,
) -> Result<TenantView, GetTenantError> {
    let now = app.clock.now();
    let items = app
        .table
        .batch_get(&TenantCaller::keys(token, tenant_id))
        .await
        .context("reading the caller")?;
    let caller = TenantCaller::resolve(token, items, now)?;
    Ok(TenantView {
        include_settings: caller.membership.role.is_admin(),
        tenant: caller.tenant,
    })
}
