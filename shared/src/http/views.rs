//! Response bodies, as API.md names them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{AccountId, EventId, Locale, Role, TeamId, TenantId};
use crate::records::{AccountRecord, AccountTenantRecord, Actor, EventRecord, MembershipStatus};
use crate::usecases::team_grants::Member;

pub use crate::usecases::objects::{
    InvitationView, SuspensionView, TeamView, TenantView, UserFields,
};

/// A membership seen with its account, and what the person's teams give them.
#[derive(Serialize, ToSchema)]
pub struct UserView {
    #[serde(flatten)]
    pub user: UserFields,
    /// Their own flags and, while they are active with access, what their teams grant (a
    /// sub-team's people hold what the teams above it grant): what Usher checks. The role adds
    /// its own on top (an admin or owner may do everything).
    pub effective_permissions: Vec<String>,
    /// Their active teams, those they are in and every team above those.
    #[schema(value_type = Vec<String>)]
    pub teams: Vec<TeamId>,
}

impl From<Member> for UserView {
    fn from(member: Member) -> Self {
        Self {
            effective_permissions: member.effective_permissions().names(),
            teams: member.teams,
            user: UserFields::from(member.membership),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AccountView {
    #[schema(value_type = String)]
    pub id: AccountId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub locale: Locale,
    pub created_at: DateTime<Utc>,
}

impl From<AccountRecord> for AccountView {
    fn from(a: AccountRecord) -> Self {
        Self {
            id: a.id,
            email: a.email.to_string(),
            first_name: a.first_name,
            last_name: a.last_name,
            phone: a.phone.map(|p| p.as_str().to_owned()),
            locale: a.locale,
            created_at: a.created_at,
        }
    }
}

/// One of the caller's tenants.
#[derive(Serialize, ToSchema)]
pub struct MembershipView {
    #[schema(value_type = String)]
    pub tenant_id: TenantId,
    pub tenant_name: String,
    pub role: Role,
    pub status: MembershipStatus,
    pub access: bool,
    /// In `GET /v1/me`: the person's own permission flags there and, while they are active with
    /// access, what their teams grant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_permissions: Option<Vec<String>>,
    /// In `GET /v1/me`: their active teams there, those they are in and every team above those.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<String>>)]
    pub teams: Option<Vec<TeamId>>,
}

impl From<(AccountTenantRecord, Option<Member>)> for MembershipView {
    fn from((entry, member): (AccountTenantRecord, Option<Member>)) -> Self {
        let (effective_permissions, teams) = match member {
            Some(member) => (member.effective_permissions().names(), member.teams),
            None => (Vec::new(), Vec::new()),
        };
        Self {
            effective_permissions: Some(effective_permissions),
            teams: Some(teams),
            ..entry.into()
        }
    }
}

impl From<AccountTenantRecord> for MembershipView {
    fn from(m: AccountTenantRecord) -> Self {
        Self {
            effective_permissions: None,
            teams: None,
            tenant_id: m.tenant_id,
            tenant_name: m.tenant_name,
            role: m.role,
            status: m.status,
            access: m.access,
        }
    }
}

/// A page of a listing.
#[derive(Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass as `?cursor=` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// An invitation filed instead of a change an admin asked for: the person's own address is
/// invited, and the change happens when they accept.
#[derive(Serialize, ToSchema)]
pub struct UserInvitedResponse {
    pub invitation: InvitationView,
}

/// Who acted, as the audit log shows it.
#[derive(Serialize, ToSchema)]
pub struct ActorView {
    /// `account`, `operator_key`, `api_key`, `scim` (a SCIM token) or `system`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The account or key; none for `system`.
    pub id: Option<String>,
}

impl From<Actor> for ActorView {
    fn from(actor: Actor) -> Self {
        let (kind, id) = match actor {
            Actor::System => ("system", None),
            Actor::Account(id) => ("account", Some(id.to_string())),
            Actor::OperatorKey(id) => ("operator_key", Some(id.to_string())),
            Actor::ApiKey(id) => ("api_key", Some(id.to_string())),
            Actor::Scim(id) => ("scim", Some(id.to_string())),
        };
        Self { kind, id }
    }
}

/// An audit event.
#[derive(Serialize, ToSchema)]
pub struct EventView {
    #[schema(value_type = String)]
    pub id: EventId,
    /// `invitation.sent`, `user.created`, ...
    pub action: String,
    /// The person who acted, when a person did.
    #[schema(value_type = Option<String>)]
    pub actor_id: Option<AccountId>,
    /// Who acted: a person (`account`), the operator's back office (`operator_key`), a tenant
    /// API key (`api_key`), or Usher itself (`system`: inbound mail, a link's holder).
    pub actor: ActorView,
    #[schema(value_type = Option<String>)]
    pub subject_id: Option<AccountId>,
    pub at: DateTime<Utc>,
    /// What the action was about (never a secret).
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl From<EventRecord> for EventView {
    fn from(e: EventRecord) -> Self {
        Self {
            id: e.id,
            action: e.action,
            actor_id: e.actor_id,
            actor: ActorView::from(
                e.actor
                    .unwrap_or_else(|| e.actor_id.map_or(Actor::System, Actor::Account)),
            ),
            subject_id: e.subject_id,
            at: e.at,
            details: e.details,
        }
    }
}

/// The headers of a CSV download named `filename`: UTF-8 text, saved rather than shown.
pub fn csv_attachment(
    filename: &str,
) -> [(axum::http::header::HeaderName, axum::http::HeaderValue); 2] {
    let disposition =
        axum::http::HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
            .unwrap_or_else(|_| axum::http::HeaderValue::from_static("attachment"));
    [
        (
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("text/csv; charset=utf-8"),
        ),
        (axum::http::header::CONTENT_DISPOSITION, disposition),
    ]
}

/// A team with its sub-teams, as the tree shows it.
#[derive(Serialize, ToSchema)]
pub struct TeamNodeView {
    #[serde(flatten)]
    pub team: TeamView,
    #[schema(no_recursion)]
    pub children: Vec<TeamNodeView>,
}

impl From<crate::usecases::teams::TeamNode> for TeamNodeView {
    fn from(node: crate::usecases::teams::TeamNode) -> Self {
        Self {
            team: node.team.into(),
            children: node.children.into_iter().map(Into::into).collect(),
        }
    }
}
