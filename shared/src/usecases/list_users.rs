//! `GET /v1/tenants/{tenant_id}/users`: one page of members, optionally by status.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{AuthError, Context, InternalError, TenantCaller};
use crate::app::App;
use crate::domain::TenantId;
use crate::keys;
use crate::records::{MembershipRecord, MembershipStatus, from_item};
use crate::table::Key;
use crate::token::SessionToken;

/// An opaque position in a listing: the sort key of the last item shown. It names no partition,
/// so a cursor taken from one tenant cannot read another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor(String);

impl Cursor {
    /// A cursor this listing gave out; anything else (another listing's, made up) is `None`.
    pub fn parse(raw: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        let sk = String::from_utf8(bytes).ok()?;
        sk.starts_with(keys::MEMBER_PREFIX).then_some(Self(sk))
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.as_bytes())
    }
}

pub struct ListUsers {
    pub status: Option<MembershipStatus>,
    /// Only the member with this email (any letter case): how a help desk asks whether a sender
    /// is a user, and whether their mail may open tickets.
    pub email: Option<crate::domain::EmailAddress>,
    pub limit: usize,
    pub cursor: Option<Cursor>,
}

pub struct UserPage {
    pub users: Vec<MembershipRecord>,
    pub next_cursor: Option<Cursor>,
}

#[derive(Debug, thiserror::Error)]
pub enum ListUsersError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("the caller may not list users of this tenant")]
    Forbidden,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// With a status filter a page may need more than one query; this bounds the work per request.
const MAX_QUERIES: usize = 5;

pub async fn list_users(
    app: &App,
    token: &SessionToken,
    tenant_id: TenantId,
    request: ListUsers,
) -> Result<UserPage, ListUsersError> {
    if let Some(email) = &request.email {
        return by_email(app, token, tenant_id, email, request.status).await;
    }
    let caller = TenantCaller::load(app, token, tenant_id).await?;
    if !caller.membership.can_manage_users() {
        return Err(ListUsersError::Forbidden);
    }
    let pk = keys::tenant_pk(tenant_id);
    let mut after = request.cursor.map(|c| Key::new(pk.clone(), c.0));
    let mut users = Vec::new();
    for _ in 0..MAX_QUERIES {
        let page = app
            .table
            .query(
                &pk,
                keys::MEMBER_PREFIX,
                after.as_ref(),
                request.limit - users.len(),
            )
            .await
            .context("listing members")?;
        for item in page.items {
            let key = Key::of(&item);
            let member: MembershipRecord = from_item(item).context("reading a member")?;
            after = key;
            // Archived members are kept, not shown, unless asked for.
            if request.status.unwrap_or(MembershipStatus::Active) == member.status {
                users.push(member);
            }
        }
        if page.next.is_none() {
            return Ok(UserPage {
                users,
                next_cursor: None,
            });
        }
        if users.len() == request.limit {
            break;
        }
    }
    Ok(UserPage {
        users,
        next_cursor: after.map(|k| Cursor(k.sk)),
    })
}

/// The one member with `email`, if any: the caller and the email's login item in one batch, then
/// the membership the login item names.
async fn by_email(
    app: &App,
    token: &SessionToken,
    tenant_id: TenantId,
    email: &crate::domain::EmailAddress,
    status: Option<MembershipStatus>,
) -> Result<UserPage, ListUsersError> {
    let mut keys = TenantCaller::keys(token, tenant_id).to_vec();
    keys.push(keys::login(&email.normalized()));
    let mut items = app.table.batch_get(&keys).await.map_err(AuthError::from)?;
    let login: Option<crate::records::LoginRecord> =
        crate::records::from_optional(items.pop().flatten()).context("reading the login item")?;
    let caller = TenantCaller::resolve(token, items, app.clock.now())?;
    if !caller.membership.can_manage_users() {
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
    Ok(UserPage {
        users: member
            .filter(|m| status.is_none_or(|s| s == m.status))
            .into_iter()
            .collect(),
        next_cursor: None,
    })
}
