//! `GET /v1/tenants/{tenant_id}/users`: one page of members, optionally by status, each with
//! what their teams grant (one batch read for the page).

use super::listing::{Cursor, Listing, Order, filtered_page};
use super::team_grants::{self, Member};
use super::team_members;
use super::{AuthError, Context, InternalError, TenantCaller};
use crate::app::App;
use crate::domain::TenantId;
use crate::domain::{AccountId, TeamId};
use crate::keys;
use crate::records::TeamRecord;
use crate::records::{MembershipRecord, MembershipStatus, from_item};

use crate::token::Credential;

pub struct ListUsers {
    pub status: Option<MembershipStatus>,
    /// Only the member with this email (any letter case): how a help desk asks whether a sender
    /// is a user, and whether their mail may open tickets.
    pub email: Option<crate::domain::EmailAddress>,
    pub limit: usize,
    /// As a previous page gave it; anything else is `InvalidCursor`.
    pub cursor: Option<String>,
    /// Only the people of this team (with `include_subteams`, of its active sub-teams too).
    pub team: Option<TeamFilter>,
}

#[derive(Clone, Copy, Debug)]
pub struct TeamFilter {
    pub team_id: TeamId,
    pub include_subteams: bool,
}

pub struct UserPage {
    pub users: Vec<Member>,
    pub next_cursor: Option<Cursor>,
}

#[derive(Debug, thiserror::Error)]
pub enum ListUsersError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("the caller may not list users of this tenant")]
    Forbidden,
    #[error("not a cursor this listing gave")]
    InvalidCursor,
    #[error("no such team in this tenant")]
    TeamNotFound,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

pub async fn list_users(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    request: ListUsers,
) -> Result<UserPage, ListUsersError> {
    if let Some(email) = &request.email {
        return by_email(app, token, tenant_id, email, request.status).await;
    }
    let cursor = request
        .cursor
        .as_deref()
        .map(|raw| Cursor::parse(raw, keys::MEMBER_PREFIX).ok_or(ListUsersError::InvalidCursor))
        .transpose()?;
    if let Some(filter) = request.team {
        return in_team(app, token, tenant_id, filter, &request, cursor).await;
    }
    let caller = TenantCaller::load(app, token, tenant_id).await?;
    if !caller.rights.can_manage_users() {
        return Err(ListUsersError::Forbidden);
    }
    let pk = keys::tenant_pk(tenant_id);
    let listing = Listing {
        pk: &pk,
        prefix: keys::MEMBER_PREFIX,
        order: Order::Ascending,
        cursor,
        limit: request.limit,
    };
    // Archived members are kept, not shown, unless asked for.
    let shown = request.status.unwrap_or(MembershipStatus::Active);
    let (users, next_cursor) = filtered_page(app, listing, |item| {
        let member: MembershipRecord = from_item(item).context("reading a member")?;
        Ok((member.status == shown).then_some(member))
    })
    .await?;
    let users = team_grants::members(app, &caller.tenant, users)
        .await
        .context("reading the members' teams")?;
    Ok(UserPage { users, next_cursor })
}

/// A page of the people of a team (and of its sub-teams), in account order: the caller and the
/// team in one batch; (the tree;) the places of each team, in parallel; then the memberships a
/// batch at a time until the page is full.
async fn in_team(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    filter: TeamFilter,
    request: &ListUsers,
    cursor: Option<Cursor>,
) -> Result<UserPage, ListUsersError> {
    let (caller, mut items) = TenantCaller::load_with(
        app,
        token,
        tenant_id,
        &[keys::team(tenant_id, filter.team_id)],
    )
    .await?;
    if !caller.rights.can_manage_users() {
        return Err(ListUsersError::Forbidden);
    }
    let team: TeamRecord = crate::records::from_optional(items.pop().flatten())
        .context("reading the team")?
        .ok_or(ListUsersError::TeamNotFound)?;
    let accounts = team_members::people_of(app, &team, filter.include_subteams).await?;
    let after = cursor.map(|c| c.sk().to_owned());
    let shown = request.status.unwrap_or(MembershipStatus::Active);
    let mut users = Vec::new();
    let mut last = None;
    let pending: Vec<AccountId> = accounts
        .into_iter()
        .filter(|a| {
            after
                .as_deref()
                .is_none_or(|sk| keys::membership(tenant_id, *a).sk.as_str() > sk)
        })
        .collect();
    let mut more = false;
    'pages: for chunk in pending.chunks(crate::table::MAX_BATCH_KEYS) {
        let keys: Vec<_> = chunk
            .iter()
            .map(|a| keys::membership(tenant_id, *a))
            .collect();
        let found = app
            .table
            .batch_get(&keys)
            .await
            .context("reading the members")?;
        for (account, item) in chunk.iter().zip(found) {
            let member: Option<MembershipRecord> =
                crate::records::from_optional(item).context("reading a member")?;
            let member = member.filter(|m| m.status == shown);
            // Past a full page, look on only to tell whether another shown member follows, so
            // the last page gives no cursor.
            if users.len() == request.limit {
                if member.is_some() {
                    more = true;
                    break 'pages;
                }
                continue;
            }
            last = Some(*account);
            users.extend(member);
        }
    }
    let users = team_grants::members(app, &caller.tenant, users)
        .await
        .context("reading the members' teams")?;
    Ok(UserPage {
        users,
        next_cursor: last
            .filter(|_| more)
            .map(|a| Cursor::after(keys::membership(tenant_id, a).sk)),
    })
}

/// The one member with `email`, if any: the caller and the email's login item in one batch, then
/// the membership the login item names.
async fn by_email(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    email: &crate::domain::EmailAddress,
    status: Option<MembershipStatus>,
) -> Result<UserPage, ListUsersError> {
    let login_key = keys::login(&email.normalized());
    let (caller, mut items) = TenantCaller::load_with(app, token, tenant_id, &[login_key]).await?;
    let login: Option<crate::records::LoginRecord> =
        crate::records::from_optional(items.pop().flatten()).context("reading the login item")?;
    if !caller.rights.can_manage_users() {
        return Err(ListUsersError::Forbidden);
    }
    let member = match login {
        Some(login) => crate::records::from_optional::<MembershipRecord>(
            app.table
                .get(&keys::membership(tenant_id, login.account_id))
                .await
                .context("reading the member")?,
        )
        .context("reading the member")?,
        None => None,
    };
    let member: Vec<MembershipRecord> = member
        .filter(|m| status.is_none_or(|s| s == m.status))
        .into_iter()
        .collect();
    Ok(UserPage {
        users: team_grants::members(app, &caller.tenant, member)
            .await
            .context("reading the member's teams")?,
        next_cursor: None,
    })
}
