//! Catalogue v1: the changes a SaaS app hears about, each named after the audit action it comes
//! from, and the event as it is delivered.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{AccountId, EventId, TenantId};
use crate::records::{Actor, EventRecord};
use crate::usecases::audit::{AuditAction, AuditEvent};

/// The event type an audit action is delivered as, for the actions the catalogue has. Actions
/// that are the tenant's own business (a key made, a reset asked for) are not delivered.
pub fn event_type(action: AuditAction) -> Option<&'static str> {
    use AuditAction as A;
    Some(match action {
        A::UserCreated => "user.created",
        A::UserUpdated => "user.updated",
        A::UserRoleChanged => "user.role_changed",
        A::UserAccessGranted => "user.access_granted",
        A::UserAccessRevoked => "user.access_revoked",
        A::UserArchived => "user.archived",
        A::UserRestored => "user.restored",
        A::SessionsEnded => "session.revoked",
        A::UsersImported => "import.completed",
        // A password chosen, reset or set by an admin: that it changed, never what it is.
        A::PasswordSet | A::PasswordReset | A::PasswordResetByAdmin => "password.changed",
        A::InvitationSent => "invitation.sent",
        A::InvitationResent => "invitation.resent",
        A::InvitationRevoked => "invitation.revoked",
        A::InvitationAccepted => "invitation.accepted",
        A::TenantCreated => "tenant.created",
        A::TenantSettingsUpdated => "tenant.updated",
        A::TenantSuspended => "tenant.suspended",
        A::TenantResumed => "tenant.resumed",
        A::InboundCreated => "inbound.user_created",
        A::InboundHeld => "inbound.held",
        A::TeamCreated => "team.created",
        A::TeamUpdated => "team.updated",
        A::TeamMoved => "team.moved",
        A::TeamArchived => "team.archived",
        A::TeamRestored => "team.restored",
        A::TeamDeleted => "team.deleted",
        A::TeamMemberAdded => "team.member_added",
        A::TeamMemberRemoved => "team.member_removed",
        A::TeamMaintainerChanged => "team.maintainer_changed",
        A::UsersImportStarted
        | A::PasswordResetRequested
        | A::InvitationConfirmationSent
        | A::ApiKeyCreated
        | A::ApiKeyRevoked
        | A::InboundJoined
        | A::InboundIgnored
        | A::InboundApproved
        | A::InboundRejected
        | A::WebhookCreated
        | A::WebhookUpdated
        | A::WebhookDeleted
        | A::WebhookSecretRotated
        | A::WebhookReplayed
        | A::WebhookDisabled
        | A::ScimUpdated
        | A::ScimTokenCreated
        | A::ScimTokenRevoked => return None,
    })
}

/// Every event type of the catalogue, each once, in name order.
pub fn event_types() -> Vec<&'static str> {
    let mut types: Vec<&'static str> = AuditAction::ALL
        .iter()
        .filter_map(|a| event_type(*a))
        .collect();
    types.sort_unstable();
    types.dedup();
    types
}

/// A change as the SaaS app hears it: the body of every delivery of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WebhookEvent {
    /// `evt_` and the id of the audit event that records the change: the `webhook-id` of every
    /// delivery, the same on each retry, so a receiver drops one it has seen.
    pub id: String,
    /// One of the catalogue's types, e.g. `user.created`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When the change happened (its delivery may be later, and deliveries are not in order:
    /// compare `timestamp`, or the ids, which grow with time, to drop a stale one).
    pub timestamp: DateTime<Utc>,
    #[schema(value_type = String)]
    pub tenant_id: TenantId,
    /// The ids it is about (`user_id`; `actor`, who made the change) and what changed, as the audit log has it.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl WebhookEvent {
    /// The event of `audit`, recorded as `id` at `now`; `None` for an action not in the
    /// catalogue.
    pub(crate) fn of(audit: &AuditEvent, id: EventId, now: DateTime<Utc>) -> Option<Self> {
        Self::build(
            audit.tenant,
            audit.action,
            audit.actor,
            audit.subject,
            &audit.details,
            id,
            now,
        )
    }

    /// The event an entry of the tenant's log records (for a replay): the same body as when it
    /// was first delivered. `None` for an action not in the catalogue.
    pub(crate) fn of_record(record: &EventRecord) -> Option<Self> {
        let action = *AuditAction::ALL
            .iter()
            .find(|a| a.as_str() == record.action)?;
        let actor = record
            .actor
            .or(record.actor_id.map(Actor::Account))
            .unwrap_or(Actor::System);
        Self::build(
            record.tenant_id,
            action,
            actor,
            record.subject_id,
            &record.details,
            record.id,
            record.at,
        )
    }

    fn build(
        tenant: TenantId,
        action: AuditAction,
        actor: Actor,
        subject: Option<AccountId>,
        details: &serde_json::Value,
        id: EventId,
        at: DateTime<Utc>,
    ) -> Option<Self> {
        let kind = event_type(action)?;
        let mut data = serde_json::Map::new();
        if let Some(subject) = subject {
            data.insert("user_id".into(), serde_json::json!(subject));
        }
        data.insert("actor".into(), serde_json::json!(actor));
        if let Some(details) = details.as_object() {
            data.extend(details.clone());
        }
        Some(Self {
            id: format!("evt_{id}"),
            kind: kind.to_owned(),
            timestamp: at,
            tenant_id: tenant,
            data: serde_json::Value::Object(data),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_names_each_type_once_and_never_a_secret_one() {
        let types = event_types();
        assert!(types.contains(&"user.created"));
        assert!(types.contains(&"password.changed"));
        assert!(!types.iter().any(|t| t.starts_with("api_key")));
        let mut deduped = types.clone();
        deduped.dedup();
        assert_eq!(types, deduped);
    }
}
