//! Catalogue v1: the changes a SaaS app hears about, each named after the audit action it comes
//! from, and the event as it is delivered.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{AccountId, EventId, TenantId};
use crate::keys;
use crate::records::{
    Actor, EventRecord, InvitationRecord, MembershipRecord, TeamRecord, TenantRecord, from_item,
};
use crate::table::{Item, Key};
use crate::usecases::audit::{AuditAction, AuditEvent};
use crate::usecases::objects::{InvitationView, TeamView, TenantView, UserFields};

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
        A::InvitationExpired => "invitation.expired",
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

/// A person gained a membership of the tenant, whichever way (created by an admin, an import,
/// SCIM or inbound mail; an invitation accepted; the tenant created): told beside the change's
/// own event, for a receiver that counts seats rather than follows each way in.
pub const MEMBERSHIP_CREATED: &str = "membership.created";
/// A person lost the use of their membership (archived by an admin or deleted by the directory).
pub const MEMBERSHIP_REMOVED: &str = "membership.removed";

/// What the id of a membership event adds to the id of the change's own event.
const MEMBERSHIP_SUFFIX: &str = "_membership";

/// Every event type of the catalogue, each once, in name order.
pub fn event_types() -> Vec<&'static str> {
    let mut types: Vec<&'static str> = AuditAction::ALL
        .iter()
        .filter_map(|a| event_type(*a))
        .chain([MEMBERSHIP_CREATED, MEMBERSHIP_REMOVED])
        .collect();
    types.sort_unstable();
    types.dedup();
    types
}

/// The most of a change's details an event carries; past it, only their ids, so that a body
/// stays well under 20 KB.
const MAX_DETAILS_BYTES: usize = 16 * 1024;

/// The ids an event of `kind` always carries in its `data`, besides `actor`.
fn ids_of(kind: &str) -> &'static [&'static str] {
    match kind.split_once('.').map_or(kind, |(area, _)| area) {
        "user" | "password" | "session" | "membership" => &["user_id"],
        "team" => &["team_id"],
        "import" => &["import_id"],
        "invitation" if kind == "invitation.accepted" => &["user_id", "invitation_id"],
        "invitation" => &["invitation_id"],
        _ => &[],
    }
}

/// What an event's `data.object` is: the record its `version` is of, as the API shows it to
/// the tenant's admins, once the change was made. Built from the commit's own write (no read),
/// so it is the state the change made, never a later one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectKind {
    /// The user, as `GET .../users/{id}` shows them, without what teams give.
    User,
    /// The invitation, as `GET .../invitations/{id}` shows it.
    Invitation,
    /// The team, as `GET .../teams/{id}` shows it.
    Team,
    /// The tenant, as `GET /v1/tenants/{id}` shows it to its owners.
    Tenant,
}

impl ObjectKind {
    /// The kind of object an event of `kind` carries, if any. `password.changed` carries none
    /// (no record of the user changes, and the user view shows nothing of a password), nor do a
    /// team's people (`team.member_*`: the ids and `maintainer` are the change), a deleted team,
    /// an import (its counts are in `data`; its report is read through the API) and a held
    /// sender.
    pub fn of(kind: &str) -> Option<Self> {
        let area = kind.split_once('.').map_or(kind, |(area, _)| area);
        match (area, kind) {
            (_, "password.changed" | "team.deleted" | "inbound.held") => None,
            (_, "invitation.accepted" | "inbound.user_created") => Some(Self::User),
            ("team", _)
                if kind.starts_with("team.member_") || kind == "team.maintainer_changed" =>
            {
                None
            }
            ("user" | "session" | "membership", _) => Some(Self::User),
            ("invitation", _) => Some(Self::Invitation),
            ("team", _) => Some(Self::Team),
            ("tenant", _) => Some(Self::Tenant),
            _ => None,
        }
    }

    /// The object of the record `item` holds, as the API shows it at `at`.
    pub(crate) fn build(self, item: &Item, at: DateTime<Utc>) -> Option<serde_json::Value> {
        fn view<R: serde::de::DeserializeOwned, V: Serialize>(
            item: &Item,
            view: impl FnOnce(R) -> V,
        ) -> Option<serde_json::Value> {
            let record = from_item::<R>(item.clone()).ok()?;
            serde_json::to_value(view(record)).ok()
        }
        match self {
            Self::User => view::<MembershipRecord, _>(item, UserFields::from),
            Self::Invitation => view(item, |i: InvitationRecord| InvitationView::new(i, at)),
            Self::Team => view::<TeamRecord, _>(item, TeamView::from),
            Self::Tenant => view(item, |t: TenantRecord| TenantView::new(t, true)),
        }
    }

    /// The JSON schema of the object, whole (no references).
    fn schema(self) -> serde_json::Value {
        fn whole<T: utoipa::ToSchema>() -> serde_json::Value {
            let mut named = Vec::new();
            T::schemas(&mut named);
            let named: serde_json::Map<String, serde_json::Value> = named
                .into_iter()
                .map(|(name, schema)| (name, serde_json::to_value(schema).unwrap_or_default()))
                .collect();
            let mut schema = serde_json::to_value(T::schema()).unwrap_or_default();
            inline_references(&mut schema, &named, 0);
            schema
        }
        match self {
            Self::User => whole::<UserFields>(),
            Self::Invitation => whole::<InvitationView>(),
            Self::Team => whole::<TeamView>(),
            Self::Tenant => whole::<TenantView>(),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::User => {
                "The user as `GET /v1/tenants/{tenant_id}/users/{user_id}` shows them once changed, \
                 without `effective_permissions` and `teams` (what teams give changes with the teams: \
                 read it through the API)."
            }
            Self::Invitation => {
                "The invitation as `GET /v1/tenants/{tenant_id}/invitations/{invitation_id}` shows it once changed."
            }
            Self::Team => {
                "The team as `GET /v1/tenants/{tenant_id}/teams/{team_id}` shows it once changed."
            }
            Self::Tenant => {
                "The tenant as `GET /v1/tenants/{tenant_id}` shows it to its owners once changed."
            }
        }
    }
}

/// Puts in place of each `$ref` to a component the component itself, so that a receiver
/// validates with one schema alone. `depth` stops a schema that refers to itself.
fn inline_references(
    schema: &mut serde_json::Value,
    named: &serde_json::Map<String, serde_json::Value>,
    depth: usize,
) {
    match schema {
        serde_json::Value::Object(map) => {
            let target = map
                .get("$ref")
                .and_then(|r| r.as_str())
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                .and_then(|name| named.get(name));
            if let (Some(target), true) = (target, depth < 8) {
                *schema = target.clone();
                inline_references(schema, named, depth + 1);
            } else {
                for value in map.values_mut() {
                    inline_references(value, named, depth);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for value in items {
                inline_references(value, named, depth);
            }
        }
        _ => {}
    }
}

/// What an event of `kind` tells, for its entry in the OpenAPI document.
fn summary_of(kind: &str) -> String {
    let ids = ids_of(kind);
    let carries = if ids.is_empty() {
        String::new()
    } else {
        format!(
            " `data` carries {}.",
            ids.iter()
                .map(|id| format!("`{id}`"))
                .collect::<Vec<_>>()
                .join(" and ")
        )
    };
    let object = ObjectKind::of(kind).map_or(String::new(), |object| {
        format!(" `data.object`: {}", object.describe())
    });
    format!(
        "`{kind}`: sent to each endpoint that takes it, signed as Standard Webhooks has it \
         (`webhook-id`, `webhook-timestamp`, `webhook-signature`).{carries}{object} Answer any \
         2xx within 15 seconds; anything else is tried again on the retry schedule."
    )
}

/// The `webhooks` of the OpenAPI document (3.1): one entry per event type, each with the JSON
/// schema of its body, whole (no references), so a receiver validates a payload with it alone.
pub fn openapi_webhooks() -> serde_json::Value {
    use serde_json::json;
    let entries = event_types().into_iter().map(|kind| {
        let ids = ids_of(kind);
        let mut data_properties = serde_json::Map::new();
        data_properties.insert(
            "actor".into(),
            json!({"type": "object", "required": ["type"],
                "description": "Who made the change: `{type: account|api_key|operator_key|scim, id}`, or `{type: system}`.",
                "properties": {"type": {"type": "string",
                    "enum": ["system", "account", "operator_key", "api_key", "scim"]},
                    "id": {"type": "string"}}}),
        );
        for id in ids {
            data_properties.insert((*id).into(), json!({"type": "string", "pattern": "^[0-9A-HJKMNP-TV-Z]{26}$"}));
        }
        data_properties.insert(
            "details_omitted".into(),
            json!({"const": true, "description": "The change's details (and `object`) were too large for one event: only its ids are here; read the rest through the API."}),
        );
        let mut required = vec!["actor"];
        required.extend_from_slice(ids);
        let object = ObjectKind::of(kind);
        if let Some(object) = object {
            let mut schema = object.schema();
            schema["description"] = object.describe().into();
            data_properties.insert("object".into(), schema);
        }
        let mut data_schema = json!({"type": "object", "required": required, "properties": data_properties,
            "additionalProperties": true,
            "description": "The ids the change is about and what changed, as the tenant's audit log records it, and for most types the object it is about (`object`); never a secret."});
        if object.is_some() {
            // The object is there unless the event is too large and carries ids alone.
            data_schema["anyOf"] = json!([{"required": ["object"]}, {"required": ["details_omitted"]}]);
        }
        let schema = json!({
            "type": "object",
            "required": ["id", "type", "timestamp", "tenant_id", "data"],
            "properties": {
                "id": {"type": "string", "pattern": "^evt_[0-9A-HJKMNP-TV-Z]{26}(_membership)?$",
                    "description": "The event's id, the same in `webhook-id` and on every retry and replay: drop one seen before."},
                "type": {"const": kind},
                "timestamp": {"type": "string", "format": "date-time",
                    "description": "When the change happened. Deliveries are not in order: compare it (or the ids, which grow with time) to drop a stale one."},
                "tenant_id": {"type": "string", "pattern": "^[0-9A-HJKMNP-TV-Z]{26}$"},
                "version": {"type": "integer", "minimum": 1,
                    "description": "The version of the record the event is about once changed: of two events about one subject, the higher is the newer."},
                "data": data_schema,
            },
            "additionalProperties": false,
        });
        let operation = json!({"post": {
            "operationId": format!("webhook_{}", kind.replace('.', "_")),
            "summary": summary_of(kind),
            "tags": ["webhooks"],
            "requestBody": {"required": true, "content": {"application/json": {"schema": schema}}},
            "responses": {"200": {"description": "Any 2xx: delivered. 410 turns the endpoint off; anything else, or no answer in 15 s, is tried again."}},
        }});
        (kind.to_owned(), operation)
    });
    serde_json::Value::Object(entries.collect())
}

pub(crate) fn serialized_len<T: Serialize>(value: &T) -> usize {
    serde_json::to_vec(value).map_or(usize::MAX, |v| v.len())
}

/// Leaves in `data` who acted and the ids, marked as such.
fn keep_ids_only(data: &mut serde_json::Map<String, serde_json::Value>) {
    data.retain(|name, value| name == "actor" || (name.ends_with("_id") && value.is_string()));
    data.insert("details_omitted".into(), true.into());
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
    /// The ids it is about (`user_id`; `actor`, who made the change), what changed, as the audit
    /// log has it, and the object it is about as the change left it (`object`, see
    /// [`ObjectKind`]).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// The version of the record the event is about (the person's membership, the team, the
    /// invitation, the tenant, the import) once the change was made: of two events about one
    /// subject, the higher version is the newer. Absent when the change wrote no such record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
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

    /// The events an entry of the tenant's log records (for a replay): the same bodies as when
    /// they were first delivered, the change's own and its membership event. None for an action
    /// not in the catalogue.
    pub(crate) fn of_record(record: &EventRecord) -> Vec<Self> {
        let Some(action) = AuditAction::ALL
            .iter()
            .find(|a| a.as_str() == record.action)
        else {
            return Vec::new();
        };
        let actor = record
            .actor
            .or(record.actor_id.map(Actor::Account))
            .unwrap_or(Actor::System);
        let Some(mut event) = Self::build(
            record.tenant_id,
            *action,
            actor,
            record.subject_id,
            &record.details,
            record.id,
            record.at,
        ) else {
            return Vec::new();
        };
        event.version = record.subject_version;
        if record.ids_only {
            event.tell_ids_only();
        } else if let Some(object) = record.object.clone() {
            event.attach_object(object);
        }
        let membership = record
            .membership_event
            .as_deref()
            .and_then(|kind| event.membership_event(kind))
            .map(|membership| match &record.membership_subject {
                Some(subject) if subject.ids_only => {
                    let mut membership = membership.about(subject.version, None);
                    membership.tell_ids_only();
                    membership
                }
                Some(subject) => membership.about(subject.version, subject.object.clone()),
                None => membership,
            });
        std::iter::once(event).chain(membership).collect()
    }

    /// Adds `object` (see [`ObjectKind`]) to the event's data, unless the data and it together
    /// pass the bound of an event: then the event carries ids alone, as a large change does.
    pub(crate) fn attach_object(&mut self, object: serde_json::Value) {
        let Some(data) = self.data.as_object_mut() else {
            return;
        };
        if data.contains_key("details_omitted") {
            return;
        }
        if serialized_len(data) + serialized_len(&object) > MAX_DETAILS_BYTES {
            keep_ids_only(data);
        } else {
            data.insert("object".into(), object);
        }
    }

    /// Leaves the event its ids alone, marked `details_omitted`, and no object.
    pub(crate) fn tell_ids_only(&mut self) {
        if let Some(data) = self.data.as_object_mut() {
            keep_ids_only(data);
        }
    }

    /// Whether the event carries its ids alone.
    pub(crate) fn is_ids_only(&self) -> bool {
        self.data.get("details_omitted").is_some()
    }

    /// The event about another record than its change's: the membership a tenant's creation
    /// made, say. Its version and object are that record's.
    pub(crate) fn about(mut self, version: Option<u64>, object: Option<serde_json::Value>) -> Self {
        self.version = version;
        if let Some(data) = self.data.as_object_mut() {
            data.remove("object");
        }
        if let Some(object) = object {
            self.attach_object(object);
        }
        self
    }

    /// The object the event carries, if it carries one.
    pub(crate) fn object(&self) -> Option<&serde_json::Value> {
        self.data.get("object")
    }

    /// The membership event of kind `kind` that this event's change makes too: the same data
    /// and version, its own id.
    pub(crate) fn membership_event(&self, kind: &str) -> Option<Self> {
        let kind = [MEMBERSHIP_CREATED, MEMBERSHIP_REMOVED]
            .into_iter()
            .find(|k| *k == kind)?;
        Some(Self {
            id: format!("{}{MEMBERSHIP_SUFFIX}", self.id),
            kind: kind.to_owned(),
            ..self.clone()
        })
    }

    /// The membership of the person the event is about, if it is about one.
    pub(crate) fn membership_key(&self) -> Option<Key> {
        let user = self.data.get("user_id")?.as_str()?.parse().ok()?;
        Some(keys::membership(self.tenant_id, user))
    }

    /// The key of the record this event is about, whose version it carries.
    pub(crate) fn subject_key(&self) -> Option<Key> {
        let id = |name: &str| self.data.get(name).and_then(|v| v.as_str());
        let tenant = self.tenant_id;
        let area = self
            .kind
            .split_once('.')
            .map_or(self.kind.as_str(), |(a, _)| a);
        match area {
            "tenant" => Some(keys::tenant(tenant)),
            "team" => Some(keys::team(tenant, id("team_id")?.parse().ok()?)),
            "import" => Some(keys::import(tenant, id("import_id")?.parse().ok()?)),
            "invitation" if self.kind != "invitation.accepted" => {
                Some(keys::invitation(tenant, id("invitation_id")?.parse().ok()?))
            }
            _ => Some(keys::membership(tenant, id("user_id")?.parse().ok()?)),
        }
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
            // What changed, unless it is large; then the ids alone, and the receiver reads the
            // rest through the API (or the audit log).
            data.extend(details.clone());
            if serialized_len(details) > MAX_DETAILS_BYTES {
                keep_ids_only(&mut data);
            }
        }
        Some(Self {
            id: format!("evt_{id}"),
            kind: kind.to_owned(),
            timestamp: at,
            tenant_id: tenant,
            data: serde_json::Value::Object(data),
            version: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_has_a_schema_per_type_that_an_event_of_it_meets() {
        let webhooks = openapi_webhooks();
        assert_eq!(webhooks.as_object().unwrap().len(), event_types().len());
        let schema = &webhooks["invitation.accepted"]["post"]["requestBody"]["content"]["application/json"]
            ["schema"];
        assert_eq!(schema["properties"]["type"]["const"], "invitation.accepted");
        assert_eq!(
            schema["properties"]["data"]["required"],
            serde_json::json!(["actor", "user_id", "invitation_id"])
        );
    }

    #[test]
    fn a_change_with_large_details_is_told_by_its_ids() {
        let team = ulid::Ulid::new().to_string();
        let event = team_updated(serde_json::json!({"team_id": team, "name": "x".repeat(30_000)}));
        let body = serde_json::to_vec(&event).unwrap();
        assert!(body.len() < 20 * 1024, "{} bytes", body.len());
        assert_eq!(event.data["team_id"], team);
        assert_eq!(event.data["details_omitted"], true);
        assert!(event.data.get("name").is_none());
    }

    fn team_updated(details: serde_json::Value) -> WebhookEvent {
        WebhookEvent::build(
            TenantId::from_ulid(ulid::Ulid::new()),
            AuditAction::TeamUpdated,
            Actor::System,
            None,
            &details,
            EventId::from_ulid(ulid::Ulid::new()),
            Utc::now(),
        )
        .unwrap()
    }

    #[test]
    fn an_object_is_carried_within_the_bound_and_past_it_the_ids_alone() {
        let team = ulid::Ulid::new().to_string();
        let mut small = team_updated(serde_json::json!({"team_id": team, "name": "Desk"}));
        small.attach_object(serde_json::json!({"id": team, "name": "Desk"}));
        assert_eq!(small.object().unwrap()["name"], "Desk");
        assert_eq!(small.data["name"], "Desk", "the fields of today stay");

        let mut large = team_updated(serde_json::json!({"team_id": team, "name": "Desk"}));
        large.attach_object(serde_json::json!({"id": team, "description": "x".repeat(20_000)}));
        let body = serde_json::to_vec(&large).unwrap();
        assert!(body.len() < 20 * 1024, "{} bytes", body.len());
        assert_eq!(large.object(), None);
        assert_eq!(large.data["team_id"], team);
        assert_eq!(large.data["details_omitted"], true);

        // An event already told by its ids takes no object either.
        let mut told =
            team_updated(serde_json::json!({"team_id": team, "name": "x".repeat(30_000)}));
        told.attach_object(serde_json::json!({"id": team}));
        assert_eq!(told.object(), None);

        // About another record: that one's object and version, never the first one's.
        let about = small.about(Some(7), None);
        assert_eq!((about.object(), about.version), (None, Some(7)));
    }

    #[test]
    fn each_type_with_an_object_says_so_in_a_schema_without_references() {
        let webhooks = openapi_webhooks();
        let with_object: Vec<&str> = event_types()
            .into_iter()
            .filter(|kind| ObjectKind::of(kind).is_some())
            .collect();
        assert_eq!(ObjectKind::of("user.created"), Some(ObjectKind::User));
        assert_eq!(ObjectKind::of("membership.removed"), Some(ObjectKind::User));
        assert_eq!(
            ObjectKind::of("invitation.accepted"),
            Some(ObjectKind::User)
        );
        assert_eq!(
            ObjectKind::of("invitation.sent"),
            Some(ObjectKind::Invitation)
        );
        assert_eq!(ObjectKind::of("team.moved"), Some(ObjectKind::Team));
        assert_eq!(ObjectKind::of("team.member_added"), None);
        assert_eq!(ObjectKind::of("tenant.suspended"), Some(ObjectKind::Tenant));
        assert_eq!(ObjectKind::of("password.changed"), None);
        assert_eq!(with_object.len(), 25, "{with_object:?}");
        for kind in event_types() {
            let schema =
                &webhooks[kind]["post"]["requestBody"]["content"]["application/json"]["schema"];
            let text = schema.to_string();
            assert!(!text.contains("$ref"), "{kind} refers outside itself");
            let object = &schema["properties"]["data"]["properties"]["object"];
            assert_eq!(
                object.is_object(),
                with_object.contains(&kind),
                "{kind}: {object}"
            );
        }
    }

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
