//! `GET /v1/tenants/{tenant_id}/users`: one page of members, optionally by status, each with
//! what their teams grant (one batch read for the page).

use super::listing::{Cursor, Listing, Order, filtered_page};
use super::team_grants::{self, Member};
use super::{AuthError, Context, InternalError, TenantCaller};
use crate::app::App;
use crate::domain::TenantId;
use crate::keys;
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
