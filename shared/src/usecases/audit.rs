//! Audit events: written in the same transaction as what they record.

use chrono::{DateTime, Utc};

use crate::domain::{AccountId, EventId, TenantId};
use crate::keys;
use crate::records::{Actor, EventRecord, to_item};
use crate::table::{Op, TableError};

/// Declares the audit actions once: the enum, its stored names, and the list of them.
macro_rules! audit_actions {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// What an audit event records. Stored, and filtered on (`?action=`), by its name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum AuditAction {
            $($(#[$doc])* #[serde(rename = $name)] $variant,)*
        }

        impl AuditAction {
            pub const ALL: &[AuditAction] = &[$(AuditAction::$variant,)*];

            /// The name the log stores and answers with, e.g. `user.created`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $name,)*
                }
            }
        }
    };
}

/// The document lists the names (a derived schema would not see the names the macro gives serde).
impl utoipa::PartialSchema for AuditAction {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "What an audit event records, by the name the log stores.",
            ))
            .enum_values(Some(AuditAction::ALL.iter().map(|a| a.as_str())))
            .into()
    }
}

impl utoipa::ToSchema for AuditAction {}

audit_actions! {
    UserCreated = "user.created",
    UserUpdated = "user.updated",
    UserRoleChanged = "user.role_changed",
    UserAccessGranted = "user.access_granted",
    UserAccessRevoked = "user.access_revoked",
    UserArchived = "user.archived",
    UserRestored = "user.restored",
    UsersImportStarted = "users.import_started",
    UsersImported = "users.imported",
    PasswordResetRequested = "password.reset_requested",
    PasswordResetByAdmin = "password.reset_by_admin",
    /// A first password chosen through a link.
    PasswordSet = "password.set",
    PasswordReset = "password.reset",
    InvitationSent = "invitation.sent",
    InvitationResent = "invitation.resent",
    InvitationRevoked = "invitation.revoked",
    InvitationAccepted = "invitation.accepted",
    /// A pending invitation reached its expiry unused.
    InvitationExpired = "invitation.expired",
    /// Someone registered with another address than the invited one; a link went to it.
    InvitationConfirmationSent = "invitation.confirmation_sent",
    TenantCreated = "tenant.created",
    TenantSettingsUpdated = "tenant.settings_updated",
    /// The operator suspended the tenant, or resumed it.
    TenantSuspended = "tenant.suspended",
    TenantResumed = "tenant.resumed",
    ApiKeyCreated = "api_key.created",
    ApiKeyRevoked = "api_key.revoked",
    InboundCreated = "inbound.created",
    InboundJoined = "inbound.joined",
    InboundIgnored = "inbound.ignored",
    InboundHeld = "inbound.held",
    InboundApproved = "inbound.approved",
    InboundRejected = "inbound.rejected",
    /// An admin ended what a member's sessions may do in the tenant.
    SessionsEnded = "user.sessions_ended",
    TeamCreated = "team.created",
    /// Its name, description or permissions changed.
    TeamUpdated = "team.updated",
    /// It moved under another parent (or to the roots), with its sub-teams.
    TeamMoved = "team.moved",
    TeamArchived = "team.archived",
    TeamRestored = "team.restored",
    TeamDeleted = "team.deleted",
    TeamMemberAdded = "team.member_added",
    TeamMemberRemoved = "team.member_removed",
    TeamMaintainerChanged = "team.maintainer_changed",
    WebhookCreated = "webhook.created",
    WebhookUpdated = "webhook.updated",
    WebhookDeleted = "webhook.deleted",
    /// A new signing secret; the old one signs too for a day.
    WebhookSecretRotated = "webhook.secret_rotated",
    /// Deliveries filed again at an admin's request.
    WebhookReplayed = "webhook.replayed",
    /// Usher turned an endpoint off: it answered 410, or failed for days.
    WebhookDisabled = "webhook.disabled",
    /// SCIM turned on or off, or its settings changed.
    ScimUpdated = "scim.updated",
    ScimTokenCreated = "scim.token_created",
    ScimTokenRevoked = "scim.token_revoked",
}

pub(crate) struct AuditEvent {
    pub tenant: TenantId,
    pub action: AuditAction,
    pub actor: Actor,
    pub subject: Option<AccountId>,
    pub details: serde_json::Value,
}

impl AuditEvent {
    /// The tenant log entry (`id`) and, with a subject, its copy in the subject's history.
    pub fn ops(self, id: EventId, now: DateTime<Utc>) -> Result<Vec<Op>, TableError> {
        let record = EventRecord {
            id,
            tenant_id: self.tenant,
            action: self.action.as_str().to_owned(),
            actor_id: self.actor.account(),
            actor: Some(self.actor),
            subject_id: self.subject,
            at: now,
            details: self.details,
            subject_version: None,
            membership_event: None,
            object: None,
            membership_subject: None,
            ids_only: false,
        };
        let mut ops = vec![Op::put(to_item(
            &keys::event(self.tenant, id),
            &record,
            None,
        )?)];
        if let Some(subject) = self.subject {
            ops.push(Op::put(to_item(
                &keys::subject_event(self.tenant, subject, id),
                &record,
                None,
            )?));
        }
        Ok(ops)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The name serde stores and reads is the name `as_str` gives, for every action.
    #[test]
    fn every_action_is_stored_and_read_by_its_name() {
        for action in AuditAction::ALL {
            let stored = serde_json::to_value(action).unwrap();
            assert_eq!(stored, serde_json::json!(action.as_str()));
            assert_eq!(
                serde_json::from_value::<AuditAction>(stored).unwrap(),
                *action
            );
        }
    }
}
