//! Response bodies, as API.md names them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{
    AccountId, EventId, InvitationId, Locale, PermissionEntry, Role, TeamId, TenantId,
};
use crate::records::{
    AccountRecord, AccountTenantRecord, Actor, CreatedVia, EventRecord, InvitationRecord,
    InvitationStatus, MembershipStatus, TenantRecord,
};
use crate::settings::TenantSettings;
use crate::usecases::team_grants::Member;

/// A membership seen with its account.
#[derive(Serialize, ToSchema)]
pub struct UserView {
    /// The account id.
    #[schema(value_type = String)]
    pub id: AccountId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub notification_email: Option<String>,
    pub phone: Option<String>,
    pub locale: Locale,
    pub role: Role,
    /// The person's own permission flags here.
    pub permissions: Vec<String>,
    /// Their own flags and, while they are active with access, what their teams grant (a
    /// sub-team's people hold what the teams above it grant): what Usher checks. The role adds
    /// its own on top (an admin or owner may do everything).
    pub effective_permissions: Vec<String>,
    /// Their active teams, those they are in and every team above those.
    #[schema(value_type = Vec<String>)]
    pub teams: Vec<TeamId>,
    pub status: MembershipStatus,
    pub access: bool,
    pub auto_tickets: bool,
    pub created_via: CreatedVia,
    /// For a person created from inbound mail: whether their names came from the display name of
    /// their mail or from their address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_source: Option<crate::usecases::inbound::NameSource>,
    /// Kept from the person's mail although their account existed: no access, the names their
    /// message gave, and access only when they accept an invitation mailed to their own address
    /// (granting access files it).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub needs_consent: bool,
    /// For a member who joined through an invitation: who sent it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub invited_by: Option<AccountId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Member> for UserView {
    fn from(member: Member) -> Self {
        let effective_permissions = member.effective_permissions().names();
        let m = member.membership;
        Self {
            effective_permissions,
            teams: member.teams,
            id: m.account_id,
            email: m.email.to_string(),
            first_name: m.first_name,
            last_name: m.last_name,
            notification_email: m.notification_email.map(|e| e.to_string()),
            phone: m.phone.map(|p| p.as_str().to_owned()),
            locale: m.locale,
            role: m.role,
            permissions: m.permissions.names(),
            status: m.status,
            access: m.access,
            auto_tickets: m.auto_tickets,
            created_via: m.created_via,
            name_source: m.name_source,
            needs_consent: m.needs_consent,
            invited_by: m
                .created_by
                .filter(|_| m.created_via == CreatedVia::Invitation),
            created_at: m.created_at,
            updated_at: m.updated_at,
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

#[derive(Serialize, ToSchema)]
pub struct TenantView {
    #[schema(value_type = String)]
    pub id: TenantId,
    pub name: String,
    pub slug: String,
    /// Owners and admins only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<TenantSettings>,
    /// Owners and admins only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission_catalog: Option<Vec<PermissionEntry>>,
    /// `active`, or `suspended` by the operator (members are refused everywhere in it).
    pub status: &'static str,
    /// Why and since when it is suspended (shown to its owners and the operator).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspension: Option<SuspensionView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Why a tenant is suspended.
#[derive(Serialize, ToSchema)]
pub struct SuspensionView {
    /// `null` when the operator gave none.
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

impl TenantView {
    pub fn new(t: TenantRecord, include_settings: bool) -> Self {
        Self {
            id: t.id,
            name: t.name,
            slug: t.slug,
            settings: include_settings.then_some(t.settings),
            permission_catalog: include_settings.then_some(t.permission_catalog),
            status: if t.suspended.is_some() {
                "suspended"
            } else {
                "active"
            },
            suspension: t.suspended.map(|s| SuspensionView {
                reason: s.reason,
                at: s.at,
            }),
            created_at: t.created_at,
            updated_at: t.updated_at,
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

/// An invitation, as its tenant's admins (and its inviter) see it.
#[derive(Serialize, ToSchema)]
pub struct InvitationView {
    #[schema(value_type = String)]
    pub id: InvitationId,
    pub email: String,
    pub role: Role,
    pub permissions: Vec<String>,
    /// The teams accepting joins.
    #[schema(value_type = Vec<String>)]
    pub team_ids: Vec<TeamId>,
    /// `expired` when pending past `expires_at`.
    pub status: InvitationStatus,
    /// The member who sent it; `null` when the operator did (with a `tenants.admin` key).
    #[schema(value_type = Option<String>, nullable)]
    pub inviter_id: Option<AccountId>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
}

/// An invitation filed instead of a change an admin asked for: the person's own address is
/// invited, and the change happens when they accept.
#[derive(Serialize, ToSchema)]
pub struct UserInvitedResponse {
    pub invitation: InvitationView,
}

impl InvitationView {
    /// The invitation as it stands at `now` (pending or expired).
    pub fn new(i: InvitationRecord, now: DateTime<Utc>) -> Self {
        Self {
            id: i.id,
            status: i.status_at(now),
            email: i.email.to_string(),
            role: i.role,
            permissions: i.permissions.names(),
            team_ids: i.team_ids.clone(),
            inviter_id: i.inviter_id,
            expires_at: i.expires_at,
            created_at: i.created_at,
            accepted_at: i.accepted_at,
            revoked_at: i.revoked_at,
        }
    }
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

/// A team as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct TeamView {
    #[schema(value_type = String)]
    pub id: crate::domain::TeamId,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `null` for a root team.
    #[schema(value_type = Option<String>, nullable)]
    pub parent_id: Option<crate::domain::TeamId>,
    /// The ids from the root down to this team (itself last).
    #[schema(value_type = Vec<String>)]
    pub path: Vec<crate::domain::TeamId>,
    /// 1 for a root; at most 5.
    pub depth: usize,
    /// Permissions from the tenant's catalogue that the team's members (and its sub-teams'
    /// members) hold.
    pub permissions: Vec<String>,
    pub status: crate::records::TeamStatus,
    /// Its sub-teams, archived ones too.
    pub subteams: u32,
    /// `scim` for a team the tenant's identity provider manages (a SCIM Group): its people
    /// change through SCIM only, until an owner or admin detaches it (`PATCH` `managed_by: null`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<&'static str>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<crate::records::TeamRecord> for TeamView {
    fn from(t: crate::records::TeamRecord) -> Self {
        Self {
            path: t.path(),
            depth: t.depth(),
            id: t.id,
            name: t.name,
            description: t.description,
            parent_id: t.parent_id,
            permissions: t.permissions.names(),
            status: t.status,
            subteams: t.children,
            managed_by: t.scim.as_ref().map(|_| "scim"),
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
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
