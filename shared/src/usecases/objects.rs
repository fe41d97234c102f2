//! The objects the API answers with that are built from one record alone: a person as their
//! membership holds them, an invitation, a team, a tenant. Because each needs nothing but its
//! record, a webhook event carries it (`data.object`) from its commit's own write, as it stood
//! after the change, with no read.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{AccountId, InvitationId, Locale, PermissionEntry, Role, TeamId, TenantId};
use crate::records::{
    CreatedVia, InvitationRecord, InvitationStatus, MembershipRecord, MembershipStatus, TeamRecord,
    TeamStatus, TenantRecord,
};
use crate::settings::TenantSettings;

/// A user as their membership holds them: the user view without what their teams give
/// (`effective_permissions`, `teams`), which changes when a team does, with no change to them.
#[derive(Serialize, ToSchema)]
pub struct UserFields {
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

impl From<MembershipRecord> for UserFields {
    fn from(m: MembershipRecord) -> Self {
        Self {
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

/// A team as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct TeamView {
    #[schema(value_type = String)]
    pub id: TeamId,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `null` for a root team.
    #[schema(value_type = Option<String>, nullable)]
    pub parent_id: Option<TeamId>,
    /// The ids from the root down to this team (itself last).
    #[schema(value_type = Vec<String>)]
    pub path: Vec<TeamId>,
    /// 1 for a root; at most 5.
    pub depth: usize,
    /// Permissions from the tenant's catalogue that the team's members (and its sub-teams'
    /// members) hold.
    pub permissions: Vec<String>,
    pub status: TeamStatus,
    /// Its sub-teams, archived ones too.
    pub subteams: u32,
    /// `scim` for a team the tenant's identity provider manages (a SCIM Group): its people
    /// change through SCIM only, until an owner or admin detaches it (`PATCH` `managed_by: null`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<&'static str>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<TeamRecord> for TeamView {
    fn from(t: TeamRecord) -> Self {
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
