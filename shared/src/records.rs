//! What is stored: one struct per item kind, mapped to and from table items with serde.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::domain::{
    AccountId, ApiKeyId, EmailAddress, EventId, HeldId, InvitationId, Locale, OperatorKeyId,
    PasswordHashString, PermissionEntry, PermissionSet, PersonalContext, Phone, Role, SessionId,
    TeamId, TenantId,
};
use crate::settings::TenantSettings;
use crate::table::{Item, Key, TableError};

/// Serialises `record` into an item stored under `key`, with an optional DynamoDB TTL.
pub fn to_item<T: Serialize>(
    key: &Key,
    record: &T,
    expires_at: Option<DateTime<Utc>>,
) -> Result<Item, TableError> {
    let value = serde_json::to_value(record).map_err(|e| TableError::Invalid(e.to_string()))?;
    let serde_json::Value::Object(mut item) = value else {
        return Err(TableError::Invalid(
            "a record must serialise to an object".into(),
        ));
    };
    item.insert("pk".into(), key.pk.clone().into());
    item.insert("sk".into(), key.sk.clone().into());
    if let Some(at) = expires_at {
        item.insert("ttl".into(), at.timestamp().into());
    }
    Ok(item)
}

pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, TableError> {
    serde_json::from_value(serde_json::Value::Object(item))
        .map_err(|e| TableError::Corrupt(e.into()))
}

pub fn from_optional<T: DeserializeOwned>(item: Option<Item>) -> Result<Option<T>, TableError> {
    item.map(from_item).transpose()
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TenantRecord {
    pub id: TenantId,
    pub name: String,
    pub slug: String,
    pub settings: TenantSettings,
    pub permission_catalog: Vec<PermissionEntry>,
    /// Permissions on their way out of the catalogue: granted to nobody while the members holding
    /// them are counted (see `update_settings`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retiring_permissions: Vec<String>,
    /// Set while the operator has the tenant suspended: its members are refused everywhere in
    /// it (its owners may still read why), its links and inbound mail stop; nothing is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended: Option<Suspension>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

/// Why and since when a tenant is suspended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Suspension {
    /// What the operator gave as the reason, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub by: Actor,
}

/// A tenant's entry in the operator's list of tenants (see `keys::tenant_index_entry`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TenantIndexRecord {
    pub tenant_id: TenantId,
    pub name: String,
    pub suspended: bool,
    pub created_at: DateTime<Utc>,
}

/// An operator key, found by the hash of its secret (see `keys::operator_key`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OperatorKeyRecord {
    pub id: OperatorKeyId,
    pub name: String,
    pub scopes: Vec<OperatorScope>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<DateTime<Utc>>,
}

/// An operator key in the list of keys (see `keys::operator_key_entry`): kept after it is
/// revoked, for the record.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OperatorKeyEntryRecord {
    pub id: OperatorKeyId,
    pub name: String,
    pub scopes: Vec<OperatorScope>,
    pub key_hash: String,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
    /// When a revoked key was last used (a live key's is on its lookup item).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A tenant's API key, found by the hash of its secret (see `keys::api_key`): what a request
/// reads to authenticate one, beside its maker's account and membership.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    pub id: ApiKeyId,
    pub tenant_id: TenantId,
    pub name: String,
    /// What it may do, never more than its maker may at the time of each request.
    pub permissions: PermissionSet,
    pub created_by: AccountId,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<DateTime<Utc>>,
}

impl ApiKeyRecord {
    /// Whether the key works in `tenant` at `now`, made by `maker`.
    pub fn is_live(&self, tenant: TenantId, maker: AccountId, now: DateTime<Utc>) -> bool {
        self.tenant_id == tenant
            && self.created_by == maker
            && self.expires_at.is_none_or(|at| at > now)
    }

    /// What the key may do in `tenant`: act as a member, with the key's permissions that its
    /// maker still holds (an admin or owner holds every one the tenant still grants).
    pub fn acting_rights(&self, maker: &Rights, tenant: &TenantRecord) -> Rights {
        let held = self
            .permissions
            .iter()
            .filter(|p| maker.role.is_admin() || maker.permissions.contains(p.as_str()));
        let granted = tenant.grantable(held);
        // The key-only permission holds while its maker is an owner or admin.
        let webhooks = self
            .permissions
            .iter()
            .filter(|p| p.as_str() == crate::domain::Permission::WEBHOOKS_MANAGE)
            .filter(|_| maker.role.is_admin());
        Rights {
            role: Role::Member,
            permissions: PermissionSet::new(granted.iter().chain(webhooks).cloned().collect()),
        }
    }
}

/// A tenant's API key in its list (see `keys::api_key_entry`): kept after it is revoked.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ApiKeyEntryRecord {
    pub id: ApiKeyId,
    pub name: String,
    pub permissions: PermissionSet,
    pub created_by: AccountId,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    pub key_hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_by: Option<Actor>,
    /// When a revoked key was last used (a live key's is on its lookup item).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<DateTime<Utc>>,
}

/// What an operator key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum OperatorScope {
    /// Create tenants (`POST /v1/tenants`).
    #[serde(rename = "tenants.create")]
    TenantsCreate,
    /// List tenants (`GET /v1/tenants`).
    #[serde(rename = "tenants.read")]
    TenantsRead,
    /// Suspend and resume tenants.
    #[serde(rename = "tenants.suspend")]
    TenantsSuspend,
    /// Act as an owner in every tenant, on every tenant route.
    #[serde(rename = "tenants.admin")]
    TenantsAdmin,
    /// Manage the deployment's webhook endpoints (`/v1/webhooks`), which receive every
    /// tenant's events.
    #[serde(rename = "webhooks.manage")]
    WebhooksManage,
}

impl OperatorScope {
    pub const ALL: [OperatorScope; 5] = [
        OperatorScope::TenantsCreate,
        OperatorScope::TenantsRead,
        OperatorScope::TenantsSuspend,
        OperatorScope::TenantsAdmin,
        OperatorScope::WebhooksManage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OperatorScope::TenantsCreate => "tenants.create",
            OperatorScope::TenantsRead => "tenants.read",
            OperatorScope::TenantsSuspend => "tenants.suspend",
            OperatorScope::TenantsAdmin => "tenants.admin",
            OperatorScope::WebhooksManage => "webhooks.manage",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text.trim())
    }
}

impl TenantRecord {
    /// Whether a permission may be granted in this tenant: its catalogue plus the built-in ones,
    /// less any on its way out.
    pub fn knows_permission(&self, name: &str) -> bool {
        let listed = name == crate::domain::Permission::USERS_MANAGE
            || self
                .permission_catalog
                .iter()
                .any(|p| p.name.as_str() == name);
        listed && !self.retiring_permissions.iter().any(|r| r == name)
    }

    /// Those of `permissions` this tenant still grants: one retired or on its way out since they
    /// were chosen (an invitation's, an inbound default) is dropped, never granted.
    pub fn grantable<'p>(
        &self,
        permissions: impl IntoIterator<Item = &'p crate::domain::Permission>,
    ) -> PermissionSet {
        PermissionSet::new(
            permissions
                .into_iter()
                .filter(|p| self.knows_permission(p.as_str()))
                .cloned()
                .collect(),
        )
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccountRecord {
    pub id: AccountId,
    pub email: EmailAddress,
    pub first_name: String,
    pub last_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    pub locale: Locale,
    /// Sessions carry the epoch they were made in; raising it ends every older session at once.
    pub session_epoch: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

impl AccountRecord {
    /// What would make a password guessable for this person: their email and names.
    pub fn password_context(&self) -> PersonalContext {
        PersonalContext::new(
            self.email.as_str(),
            self.first_name.as_str(),
            self.last_name.as_str(),
            &[],
        )
    }
}

/// The one item sign-in reads: found by normalised email, it holds what must be verified.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoginRecord {
    pub account_id: AccountId,
    pub email: EmailAddress,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<PasswordHashString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_changed_at: Option<DateTime<Utc>>,
    /// Set for a generated (temporary) password: it must be changed at the next sign-in and stops
    /// working at this time if unused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temporary_until: Option<DateTime<Utc>>,
    /// Set while the password is one an admin of this tenant set, generated or saw: it opens
    /// only this tenant until the person proves the login address is theirs (a password chosen
    /// through a link mailed to it, an invitation to it accepted). Without this, an admin of one
    /// tenant who creates an address with a password they know could sign in to every other
    /// tenant that address joins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confined_to: Option<TenantId>,
    pub version: u64,
}

impl LoginRecord {
    /// Whether this login's password may open `tenant`.
    pub fn opens(&self, tenant: TenantId) -> bool {
        self.confined_to.is_none_or(|t| t == tenant)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MembershipStatus {
    Active,
    Archived,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CreatedVia {
    Admin,
    Invitation,
    InboundEmail,
    Import,
    Bootstrap,
    /// Signed up and created the tenant, or created it from their own session.
    SelfService,
    /// The tenant's identity provider, through SCIM.
    Scim,
}

/// An account inside a tenant. Name, email, phone and locale are copied from the account so a
/// listing or a user page is one read.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MembershipRecord {
    pub tenant_id: TenantId,
    pub account_id: AccountId,
    pub email: EmailAddress,
    pub first_name: String,
    pub last_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    pub locale: Locale,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_email: Option<EmailAddress>,
    pub role: Role,
    pub permissions: PermissionSet,
    pub status: MembershipStatus,
    pub access: bool,
    pub auto_tickets: bool,
    pub created_via: CreatedVia,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<AccountId>,
    /// For a person created from inbound mail: where their names came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_source: Option<NameSource>,
    /// Recorded without the person's word: mail from an account that existed, kept for the help
    /// desk with the message's names and no access. Access opens only when the person accepts an
    /// invitation mailed to their own address; granting it files that invitation.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub needs_consent: bool,
    /// An admin ended this member's sessions in this tenant at this time: a session made up to
    /// then no longer acts here (nor mints tokens for here). Per tenant, so one tenant's admin
    /// ends nothing the person does elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions_valid_after: Option<DateTime<Utc>>,
    /// What the tenant's identity provider asserted of this member through SCIM, once it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scim: Option<ScimLink>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

/// A member as the tenant's identity provider keeps them: what it asserted, kept as it sent it
/// so that it reads back what it wrote. Usher's own fields (sign-in email, names, phone,
/// language, access) are worked out from it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScimLink {
    /// The provider's `userName` when it is not the sign-in email itself (a login name, or an
    /// Entra ID user principal name that differs from the mail address); unique in the tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// The provider's own id for the person (`externalId`), unique in the tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Whether the provider wants the person in (`active`). Access follows it, except for a
    /// person whose account existed: access then waits for them to accept the invitation.
    pub active: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// As sent (`en-US`); the person's language is its language when Usher speaks it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<String>,
    /// `emails` and `phoneNumbers` as sent (at most 10 values each, checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emails: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_numbers: Option<serde_json::Value>,
    /// The enterprise extension's attributes as sent (checked: short strings, and `manager`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise: Option<serde_json::Value>,
    /// The provider deleted the User: archived here, and gone from its view (RFC 7644 section
    /// 3.6) until it creates the person again or an admin restores them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

/// What a caller may do in a tenant: a role and permission flags. A member's are their
/// membership's; a tenant key's are a member's with the key's permissions; an operator key with
/// `tenants.admin` acts as an owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rights {
    pub role: Role,
    pub permissions: PermissionSet,
}

impl Rights {
    pub fn owner() -> Self {
        Self {
            role: Role::Owner,
            permissions: PermissionSet::default(),
        }
    }

    pub fn can_manage_users(&self) -> bool {
        self.role.is_admin()
            || self
                .permissions
                .contains(crate::domain::Permission::USERS_MANAGE)
    }

    /// Owners and admins, and a tenant key given `webhooks.manage` by one.
    pub fn can_manage_webhooks(&self) -> bool {
        self.role.is_admin()
            || self
                .permissions
                .contains(crate::domain::Permission::WEBHOOKS_MANAGE)
    }
}

impl MembershipRecord {
    /// Whether a session made at `created_at` may still act in this tenant.
    pub fn admits_session(&self, created_at: DateTime<Utc>) -> bool {
        self.sessions_valid_after.is_none_or(|cut| created_at > cut)
    }

    /// May this membership act in its tenant at all?
    pub fn is_usable(&self) -> bool {
        self.status == MembershipStatus::Active && self.access
    }

    pub fn can_manage_users(&self) -> bool {
        self.rights().can_manage_users()
    }

    /// What this member may do in the tenant.
    pub fn rights(&self) -> Rights {
        Rights {
            role: self.role,
            permissions: self.permissions.clone(),
        }
    }

    /// Where mail for this member goes.
    pub fn mail_to(&self) -> &EmailAddress {
        self.notification_email.as_ref().unwrap_or(&self.email)
    }
}

/// The account's side of a membership, so one query on the account lists its tenants.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccountTenantRecord {
    pub tenant_id: TenantId,
    pub tenant_name: String,
    pub role: Role,
    pub status: MembershipStatus,
    pub access: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionRecord {
    /// How the person names this session in their list. Sessions made before the list have
    /// none and are not listed; they end by themselves within a session's lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<SessionId>,
    pub account_id: AccountId,
    pub epoch: u64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// A session opened with a temporary password may only change it.
    pub password_change_only: bool,
    /// Opened with a password confined to this tenant (see [`LoginRecord::confined_to`]): the
    /// session opens nothing else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confined_to: Option<TenantId>,
    /// Where it was opened from and with what, for the person to recognise it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// When it was last seen acting, to within [`SessionRecord::TOUCH_EVERY`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A session's entry in its account's list (see `keys::session_entry`): the session item's key,
/// gone by TTL with the session.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionEntryRecord {
    pub id: SessionId,
    pub session_hash: String,
    pub expires_at: DateTime<Utc>,
}

impl SessionRecord {
    /// How stale `last_used_at` may get before a request writes it again: one write per session
    /// every few minutes at most, not one per request.
    pub const TOUCH_EVERY: chrono::Duration = chrono::Duration::minutes(5);

    /// Whether this session may act in `tenant`.
    pub fn opens(&self, tenant: TenantId) -> bool {
        self.confined_to.is_none_or(|t| t == tenant)
    }

    /// Whether a request at `now` should record that it used the session.
    pub fn wants_touch(&self, now: DateTime<Utc>) -> bool {
        now - self.last_used_at.unwrap_or(self.created_at) >= Self::TOUCH_EVERY
    }

    /// The stored item: keyed by the token's hash (never the token), gone by TTL once expired.
    pub fn to_item(&self, token: &crate::token::SessionToken) -> Result<Item, TableError> {
        to_item(
            &crate::keys::session(&token.secret.hash()),
            self,
            Some(self.expires_at),
        )
    }

    /// The session item and its entry in the account's list, both put under `condition` (the
    /// entry only when the session has an id): every write of a session keeps its entry's
    /// expiry in step.
    pub fn put_ops(
        &self,
        token: &crate::token::SessionToken,
        condition: crate::table::Condition,
    ) -> Result<Vec<crate::table::Op>, TableError> {
        let mut ops = vec![crate::table::Op::put_if(
            self.to_item(token)?,
            condition.clone(),
        )];
        if let Some(id) = self.id {
            let entry = SessionEntryRecord {
                id,
                session_hash: token.secret.hash(),
                expires_at: self.expires_at,
            };
            let key = crate::keys::session_entry(self.account_id, id);
            // The entry of a session written again may be missing (older releases wrote none).
            let entry_condition = match condition {
                crate::table::Condition::NotExists => Some(condition),
                _ => None,
            };
            let item = to_item(&key, &entry, Some(self.expires_at))?;
            ops.push(match entry_condition {
                Some(c) => crate::table::Op::put_if(item, c),
                None => crate::table::Op::put(item),
            });
        }
        Ok(ops)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    SetPassword,
    PasswordReset,
    Invitation,
    /// Proves an address someone registered with when accepting an invitation sent to another.
    RegistrationConfirmation,
    /// Proves the address someone signed up with to create an organisation.
    SignupVerification,
}

/// What a person typed to register through an invitation with an address other than the
/// invited one, kept until that address is confirmed: the names only. The owner of the address
/// chooses the password when they confirm (a registration stored before kept a hash, which is
/// now ignored).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingRegistration {
    pub first_name: String,
    pub last_name: String,
    pub locale: Locale,
}

/// The marker of a registration waiting for its address (see `keys::pending_confirmation`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingConfirmationRecord {
    pub expires_at: DateTime<Utc>,
    pub version: u64,
}

/// The stored side of an emailed link: its hash is the key, the secret is nowhere.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TokenRecord {
    pub kind: TokenKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<AccountId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<TenantId>,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_at: Option<DateTime<Utc>>,
    /// For password links: the account's email when the link was issued, so the login item can
    /// be read together with the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailAddress>,
    /// For password links: the login item's version when the link was issued. Every password
    /// change writes the login item, so a link issued before the last change is dead. A version,
    /// not a time: two changes within one clock tick are still told apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_version: Option<u64>,
    /// For invitation and confirmation links: the invitation they open, and who sent it (so the
    /// inviter's membership is read together with the invitation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitation_id: Option<InvitationId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invited_by: Option<AccountId>,
    /// For a confirmation link: the registration it completes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<PendingRegistration>,
    /// For a sign-up link: the language of the page the person signed up on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Locale>,
    pub version: u64,
}

/// Events counted inside the current window: password attempts for one email, reset mails for
/// one account.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ThrottleRecord {
    pub failures: u32,
    pub window_started_at: DateTime<Utc>,
    pub version: u64,
}

/// Who did what the audit log records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Actor {
    /// Usher itself (inbound mail, a link's holder before they are known, the operator's
    /// command line).
    System,
    /// A person, signed in.
    Account(AccountId),
    /// The operator's back office, with one of its keys.
    OperatorKey(OperatorKeyId),
    /// A tenant's API key.
    ApiKey(ApiKeyId),
    /// The tenant's identity provider, with one of its SCIM tokens.
    Scim(crate::domain::ScimTokenId),
}

impl Actor {
    /// The person, when a person acted.
    pub fn account(self) -> Option<AccountId> {
        match self {
            Actor::Account(id) => Some(id),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EventRecord {
    pub id: EventId,
    pub tenant_id: TenantId,
    pub action: String,
    /// The person who acted, when one did (kept beside `actor` for events stored before it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<AccountId>,
    /// Who acted; absent in events stored before keys could act, where `actor_id` says it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Actor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_id: Option<AccountId>,
    pub at: DateTime<Utc>,
    pub details: serde_json::Value,
    /// The version the record the event is about had once changed (see `WebhookEvent::version`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_version: Option<u64>,
    /// `membership.created` or `membership.removed` when the change also made or ended a
    /// membership (see `WebhookEvent::membership_event`), so a replay sends that event too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub membership_event: Option<String>,
    /// The event's `data.object` as first delivered, so a replay sends the same (in the
    /// tenant's log only, not in the subject's history).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<serde_json::Value>,
    /// The membership event's own version and object, when its record is not the change's
    /// (the owner's membership of a tenant just created).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub membership_subject: Option<EventSubject>,
    /// The event was first delivered with its ids alone (its details and object passed the
    /// bound of an event, or the commit's), so a replay sends it so too.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ids_only: bool,
}

/// The record an event is about, as the event tells it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EventSubject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ids_only: bool,
}

/// What an invitation is. `Expired` is never stored: a pending invitation past its `expires_at`
/// is expired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Revoked,
    Expired,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InvitationRecord {
    pub id: InvitationId,
    pub tenant_id: TenantId,
    pub email: EmailAddress,
    pub role: Role,
    pub permissions: PermissionSet,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The language of its mail and pages, when the inviter chose one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Locale>,
    /// The member who sent it; `None` when an operator key did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inviter_id: Option<AccountId>,
    /// The inviter's name when it was sent, for the page and the mail.
    pub inviter_name: String,
    /// `pending`, `accepted` or `revoked`; see [`InvitationRecord::status_at`].
    pub status: InvitationStatus,
    /// The SHA-256 of the one link that works now: a resend replaces it.
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_by: Option<AccountId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_by: Option<AccountId>,
    /// Resends in the current window (a day), which starts with the first of them.
    #[serde(default)]
    pub resends: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resend_window_started_at: Option<DateTime<Utc>>,
    /// Registrations of other addresses asked for through it (policy `any`): at most
    /// [`InvitationRecord::MAX_CONFIRMATIONS`], so one link holder cannot mail strangers at will.
    #[serde(default)]
    pub confirmations: u32,
    /// Filed by the operator (creating the tenant for an owner whose account existed, or with a
    /// `tenants.admin` key): no member sent it, so no inviter's rights are checked when it is
    /// accepted. Owner invitations of a new tenant name the invitee in `inviter_id`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub by_operator: bool,
    /// Filed by the tenant's identity provider (SCIM) for a person it recorded: no member sent
    /// it either. Accepting opens access only while the provider still wants the person in.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub by_directory: bool,
    /// The teams accepting joins (with the tenant's default teams), those still active then.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub team_ids: Vec<TeamId>,
    pub version: u64,
}

/// What a new invitation says; everything else starts as for every pending invitation.
pub struct NewInvitation {
    pub id: InvitationId,
    pub tenant_id: TenantId,
    pub email: EmailAddress,
    pub role: Role,
    pub permissions: PermissionSet,
    pub message: Option<String>,
    pub locale: Locale,
    pub inviter_id: Option<AccountId>,
    pub inviter_name: String,
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
    pub by_operator: bool,
    pub by_directory: bool,
    pub team_ids: Vec<TeamId>,
}

impl InvitationRecord {
    pub const MAX_CONFIRMATIONS: u32 = 3;

    /// A pending invitation, sent `now`.
    pub fn pending(new: NewInvitation, now: DateTime<Utc>) -> Self {
        Self {
            id: new.id,
            tenant_id: new.tenant_id,
            email: new.email,
            role: new.role,
            permissions: new.permissions,
            message: new.message,
            locale: Some(new.locale),
            inviter_id: new.inviter_id,
            inviter_name: new.inviter_name,
            status: InvitationStatus::Pending,
            token_hash: new.token_hash,
            expires_at: new.expires_at,
            created_at: now,
            updated_at: now,
            accepted_at: None,
            accepted_by: None,
            revoked_at: None,
            revoked_by: None,
            resends: 0,
            resend_window_started_at: None,
            confirmations: 0,
            by_operator: new.by_operator,
            by_directory: new.by_directory,
            team_ids: new.team_ids,
            version: 1,
        }
    }

    pub fn status_at(&self, now: DateTime<Utc>) -> InvitationStatus {
        match self.status {
            InvitationStatus::Pending if self.expires_at <= now => InvitationStatus::Expired,
            status => status,
        }
    }
}

/// The marker of an email's pending invitation in a tenant (see `keys::pending_invitation`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingInvitationRecord {
    pub invitation_id: InvitationId,
    pub expires_at: DateTime<Utc>,
}

/// A sender whose mail was held for an admin to approve or reject.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HeldSenderRecord {
    pub id: crate::domain::HeldId,
    pub tenant_id: TenantId,
    pub sender: EmailAddress,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Why it was held (`unauthenticated`, `spam_gray`, `hourly_cap`, ...).
    pub reason: String,
    pub message_id: String,
    pub received_at: DateTime<Utc>,
    /// Held with its sender's mark and counted in the tenant's queue: every entry since the queue
    /// was bounded. An older entry has neither, so deciding on it leaves both alone.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub queued: bool,
    /// The tenant's address the message came to (not kept before teams by address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<EmailAddress>,
}

/// The held entry of one sender in one tenant (written and deleted with it).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HeldMarkRecord {
    pub held_id: crate::domain::HeldId,
}

/// How many senders a tenant holds, written with every hold, approval and rejection against the
/// version read.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct HeldQueueRecord {
    pub held: u32,
    pub version: u64,
}

/// Where a person's names came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NameSource {
    DisplayName,
    Address,
}

/// What a message came to in one tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    Created,
    Joined,
    Member,
    Ignored,
    Held,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
/// What came of an inbound message in one tenant, for one person (stored in the message's
/// marker, and answered by the inbound use case).
pub struct InboundOutcome {
    pub tenant_id: TenantId,
    /// The inbound address it came to.
    pub address: String,
    /// The person it is about, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    pub outcome: OutcomeKind,
    /// Why, for `ignored` and `held` (a stable snake_case word).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<AccountId>,
    /// For a `member`: whether their mail may open tickets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_tickets: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_id: Option<HeldId>,
}

/// The mark of an inbound message already processed, with what came of it: a message delivered
/// again is answered from here.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InboundMarkerRecord {
    pub message_id: String,
    pub outcomes: Vec<InboundOutcome>,
    pub processed_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InboxRecord {
    pub tenant_id: TenantId,
    pub address: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TeamStatus {
    Active,
    /// Kept with its history; grants nothing and is hidden from default listings.
    Archived,
}

/// A team of a tenant's people (see `keys::team`).
///
/// `ancestors` is the path from the root down to the parent, stored on every team so that a
/// team's place in the tree is one read. Every write that changes a parent rewrites the whole
/// subtree's paths in the same transaction, each against its version, so a stored path always
/// equals the walk of parents.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TeamRecord {
    pub id: TeamId,
    pub tenant_id: TenantId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<TeamId>,
    #[serde(default)]
    pub ancestors: Vec<TeamId>,
    pub permissions: PermissionSet,
    pub status: TeamStatus,
    /// Its sub-teams, archived ones too: at most [`TeamRecord::MAX_CHILDREN`].
    #[serde(default)]
    pub children: u32,
    /// Set for a team the tenant's identity provider manages (a SCIM Group): its people come
    /// from the provider only, until an owner or admin detaches it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scim: Option<ScimGroupLink>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

/// A team as the tenant's identity provider keeps it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScimGroupLink {
    /// The provider's own id for the group (`externalId`), unique in the tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

impl TeamRecord {
    /// The deepest a team may sit (a root is at depth 1).
    pub const MAX_DEPTH: usize = 5;
    pub const MAX_CHILDREN: u32 = 500;
    /// Teams one tenant may have, archived ones too.
    pub const MAX_PER_TENANT: u64 = 1000;

    /// A root is at depth 1.
    pub fn depth(&self) -> usize {
        self.ancestors.len() + 1
    }

    /// The path from the root down to this team.
    pub fn path(&self) -> Vec<TeamId> {
        let mut path = self.ancestors.clone();
        path.push(self.id);
        path
    }

    pub fn is_active(&self) -> bool {
        self.status == TeamStatus::Active
    }
}

/// The marker of a name among siblings (see `keys::team_name`): which team holds it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TeamNameRecord {
    pub team_id: TeamId,
}

/// How many teams a tenant has (see `keys::team_count`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TeamCountRecord {
    pub count: u64,
    pub version: u64,
}

/// What a person's teams grant them in a tenant, worked out from their places and the tree (see
/// `keys::team_grants`). Valid while `epoch` is the tenant's teams epoch; a change to the
/// person's places puts it back with no epoch, to be worked out again.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TeamGrantsRecord {
    /// The tenant's teams epoch this was worked out at; `None`: to be worked out again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<String>,
    /// The active teams the person is in, directly or under a team they are in, in id order.
    #[serde(default)]
    pub teams: Vec<TeamId>,
    /// What those teams grant.
    #[serde(default)]
    pub permissions: PermissionSet,
    /// A fresh random number with every write: the write that stores a worked-out answer holds
    /// against the one it read, so it never hides a change to the places made meanwhile.
    pub version: u64,
}

/// The tenant's teams epoch (see `keys::team_epoch`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TeamEpochRecord {
    pub epoch: String,
}

/// A person in a team (see `keys::team_member` and `keys::member_team`: the same record under
/// both keys).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TeamMemberRecord {
    pub team_id: TeamId,
    pub account_id: AccountId,
    /// May add and remove the team's members and make sub-teams under it.
    #[serde(default)]
    pub maintainer: bool,
    pub added_at: DateTime<Utc>,
    pub version: u64,
}
