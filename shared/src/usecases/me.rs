//! `GET /v1/me`: the caller's account and tenants. The session/account read and the account query
//! both need only the account id the token carries, so they run side by side: two round trips,
//! one round-trip of latency.

use super::{AccountCaller, AuthError, Context, InternalError};
use crate::app::App;
use crate::keys;
use crate::records::{AccountRecord, AccountTenantRecord, from_item};
use crate::token::SessionToken;

#[derive(Debug, thiserror::Error)]
pub enum MeError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Internal(#[from] InternalError),
}

pub struct Me {
    pub account: AccountRecord,
    pub memberships: Vec<AccountTenantRecord>,
    pub password_change_required: bool,
}

pub async fn me(app: &App, token: &SessionToken) -> Result<Me, MeError> {
    let now = app.clock.now();
    let caller_keys = AccountCaller::keys(token);
    let account_pk = keys::account_pk(token.account_id);
    let (read, tenants) = tokio::join!(
        app.table.batch_get(&caller_keys),
        app.table
            .query(&account_pk, keys::ACCOUNT_TENANT_PREFIX, None, 1000)
    );
    let read = read.context("reading the session")?;
    let caller = AccountCaller::from_items(token, read, now, true)?;
    let mut memberships: Vec<AccountTenantRecord> = tenants
        .context("reading the account's tenants")?
        .items
        .into_iter()
        .map(from_item)
        .collect::<Result<Vec<_>, _>>()
        .context("reading a membership")?;
    // A session confined to one tenant says nothing of the others.
    memberships.retain(|m| caller.session.opens(m.tenant_id));
    Ok(Me {
        password_change_required: caller.session.password_change_only,
        account: caller.account,
        memberships,
    })
}
