//! `GET /v1/me`: the caller's account and tenants, with their teams and effective permissions in
//! each. The session/account read and the account query both need only the account id the token
//! carries, so they run side by side; then one batch reads the memberships and what their teams
//! grant: two round trips of latency.

use super::team_grants::{self, Member};
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
    /// Each tenant, with the membership and its teams (`None` if it went meanwhile).
    pub memberships: Vec<(AccountTenantRecord, Option<Member>)>,
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
    let tenants: Vec<_> = memberships.iter().map(|m| m.tenant_id).collect();
    let members = team_grants::in_tenants(app, token.account_id, &tenants)
        .await
        .context("reading the teams")?;
    Ok(Me {
        password_change_required: caller.session.password_change_only,
        account: caller.account,
        memberships: memberships.into_iter().zip(members).collect(),
    })
}
