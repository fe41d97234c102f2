//! Tenant settings (DESIGN section 5), stored now and used by the invitation and inbound features.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{EmailAddress, Locale, Permission, PermissionEntry};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvitationEmailPolicy {
    /// The invitee must sign in or register with the invited address.
    #[default]
    Exact,
    /// The invitee may use another address.
    Any,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct InboundSettings {
    pub enabled: bool,
    /// Support addresses this tenant owns; each belongs to one tenant only.
    #[schema(value_type = Vec<String>)]
    pub addresses: Vec<EmailAddress>,
    /// When not empty, only senders on these domains (or their subdomains) or at these exact
    /// addresses become users.
    pub allowed_domains: Vec<String>,
    /// Senders on these domains (or their subdomains) or at these exact addresses never become
    /// users.
    pub blocked_domains: Vec<String>,
    /// Permissions given to users created from inbound mail.
    #[schema(value_type = Vec<String>)]
    pub default_permissions: Vec<Permission>,
    /// Whether users created from inbound mail may sign in (they are mailed a link to choose a
    /// password); off, Usher never writes to an unknown sender.
    pub grant_access: bool,
    /// New users (and memberships) from inbound mail per hour; past it, senders are held for an
    /// admin to approve.
    pub max_new_users_per_hour: u32,
    /// Whether the people in `Cc` become users too (off: only the sender).
    pub include_cc: bool,
    /// The team the people made from mail to an address join (with the tenant's default teams):
    /// at most one per address, each an address above and an active team of the tenant when set.
    #[serde(default)]
    pub teams: Vec<AddressTeam>,
}

/// The team the people made from mail to `address` join.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AddressTeam {
    #[schema(value_type = String)]
    pub address: EmailAddress,
    #[schema(value_type = String)]
    pub team_id: crate::domain::TeamId,
}

impl InboundSettings {
    /// The team named for `address`, if any.
    pub fn team_for(&self, address: &EmailAddress) -> Option<crate::domain::TeamId> {
        self.teams
            .iter()
            .find(|t| t.address.same_as(address))
            .map(|t| t.team_id)
    }
}

impl Default for InboundSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            addresses: Vec::new(),
            allowed_domains: Vec::new(),
            blocked_domains: Vec::new(),
            default_permissions: Vec::new(),
            grant_access: false,
            max_new_users_per_hour: 100,
            include_cc: false,
            teams: Vec::new(),
        }
    }
}

/// An allow or block entry: a domain (which covers its subdomains too) or one address.
pub fn parse_sender_entry(raw: &str) -> Option<String> {
    if raw.contains('@') {
        return EmailAddress::parse(raw).ok().map(|a| a.normalized());
    }
    parse_domain(raw)
}

/// Whether `address` (normalised) is matched by `entry` (see [`parse_sender_entry`]).
pub fn entry_matches(entry: &str, address: &str) -> bool {
    if entry.contains('@') {
        return entry == address;
    }
    let domain = address.rsplit_once('@').map_or("", |(_, d)| d);
    domain == entry
        || domain
            .strip_suffix(entry)
            .is_some_and(|sub| sub.ends_with('.'))
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TenantSettings {
    pub members_can_invite: bool,
    pub invitation_ttl_hours: u32,
    pub invitation_email_policy: InvitationEmailPolicy,
    pub inbound: InboundSettings,
    pub announce_new_members: bool,
    /// The language of pages and mail for someone whose own is not known yet.
    #[serde(default)]
    pub default_locale: Locale,
    /// Where pages send a person after a success (the tenant's own app); links fall back to
    /// Usher's public URL when unset.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "https://app.forli.example/")]
    pub app_url: Option<AppUrl>,
    /// The teams every newcomer joins, however they arrive (created, invited, imported, from
    /// their mail): at most 10, each an active team of the tenant when set. One archived later
    /// is skipped.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub default_teams: Vec<crate::domain::TeamId>,
}

/// An `https` URL with a host and no credentials or fragment, at most 2,000 characters: where a
/// page may send a person, so nothing that runs script or points at a local file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AppUrl(String);

impl AppUrl {
    pub fn parse(raw: &str) -> Result<Self, SettingsError> {
        let parsed = url::Url::parse(raw.trim()).map_err(|_| SettingsError::AppUrl)?;
        let acceptable = parsed.scheme() == "https"
            && parsed.host_str().is_some_and(|h| !h.is_empty())
            && parsed.username().is_empty()
            && parsed.password().is_none()
            && parsed.fragment().is_none()
            && parsed.as_str().len() <= 2000;
        if !acceptable {
            return Err(SettingsError::AppUrl);
        }
        Ok(Self(parsed.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AppUrl {
    type Error = SettingsError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<AppUrl> for String {
    fn from(value: AppUrl) -> Self {
        value.0
    }
}

impl Default for TenantSettings {
    fn default() -> Self {
        Self {
            members_can_invite: false,
            invitation_ttl_hours: 168,
            invitation_email_policy: InvitationEmailPolicy::Exact,
            inbound: InboundSettings::default(),
            announce_new_members: false,
            default_locale: Locale::default(),
            app_url: None,
            default_teams: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("invitation_ttl_hours must be between 1 and 720")]
    InvitationTtl,
    #[error("{field} holds an entry that is neither a domain nor an address: {value}")]
    Domain { field: &'static str, value: String },
    #[error("the permission {0} is not in the tenant's catalogue")]
    UnknownPermission(String),
    #[error("the permission catalogue names {0} twice")]
    DuplicatePermission(String),
    #[error("a permission label must be 1 to 100 characters without control characters")]
    Label,
    #[error("{field} holds more than {max} entries")]
    TooMany { field: &'static str, max: usize },
    #[error("app_url must be an https URL with a host, no credentials and no fragment")]
    AppUrl,
    #[error("inbound.max_new_users_per_hour must be between 1 and 100000")]
    InboundCap,
    #[error("default_teams: a new tenant has no teams yet; name them once they exist")]
    TeamsAtCreation,
    #[error("inbound.teams names {0}, which is not one of inbound.addresses, or names it twice")]
    TeamAddress(String),
}

/// A domain name as an allow/block entry: lower-case ASCII labels.
pub fn parse_domain(raw: &str) -> Option<String> {
    let domain = raw.trim().to_ascii_lowercase();
    let labels: Vec<&str> = domain.split('.').collect();
    let ok = labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    ok.then_some(domain)
}

impl TenantSettings {
    /// Checks the settings against themselves and the permission catalogue; normalises domains.
    pub fn validated(mut self, catalog: &[PermissionEntry]) -> Result<Self, SettingsError> {
        if !(1..=720).contains(&self.invitation_ttl_hours) {
            return Err(SettingsError::InvitationTtl);
        }
        for (field, list) in [
            ("inbound.allowed_domains", &mut self.inbound.allowed_domains),
            ("inbound.blocked_domains", &mut self.inbound.blocked_domains),
        ] {
            if list.len() > 100 {
                return Err(SettingsError::TooMany { field, max: 100 });
            }
            for entry in list.iter_mut() {
                *entry = parse_sender_entry(entry).ok_or_else(|| SettingsError::Domain {
                    field,
                    value: entry.clone(),
                })?;
            }
            list.sort();
            list.dedup();
        }
        if !(1..=100_000).contains(&self.inbound.max_new_users_per_hour) {
            return Err(SettingsError::InboundCap);
        }
        if self.inbound.addresses.len() > 20 {
            return Err(SettingsError::TooMany {
                field: "inbound.addresses",
                max: 20,
            });
        }
        self.default_teams.sort();
        self.default_teams.dedup();
        let mut named: Vec<String> = Vec::new();
        for entry in &self.inbound.teams {
            let address = entry.address.normalized();
            if !self
                .inbound
                .addresses
                .iter()
                .any(|a| a.same_as(&entry.address))
                || named.contains(&address)
            {
                return Err(SettingsError::TeamAddress(entry.address.to_string()));
            }
            named.push(address);
        }
        if self.default_teams.len() > 10 {
            return Err(SettingsError::TooMany {
                field: "default_teams",
                max: 10,
            });
        }
        self.inbound.addresses.sort_by_key(EmailAddress::normalized);
        self.inbound.addresses.dedup_by(|a, b| a.same_as(b));
        for permission in &self.inbound.default_permissions {
            let known = permission.as_str() == Permission::USERS_MANAGE
                || catalog.iter().any(|p| p.name == *permission);
            if !known {
                return Err(SettingsError::UnknownPermission(permission.to_string()));
            }
        }
        Ok(self)
    }
}

/// Checks a permission catalogue: unique names, sensible labels.
pub fn validate_catalog(catalog: &[PermissionEntry]) -> Result<(), SettingsError> {
    if catalog.len() > 200 {
        return Err(SettingsError::TooMany {
            field: "permission_catalog",
            max: 200,
        });
    }
    let mut seen = std::collections::HashSet::new();
    for entry in catalog {
        if !seen.insert(entry.name.as_str()) {
            return Err(SettingsError::DuplicatePermission(entry.name.to_string()));
        }
        let label = entry.label.trim();
        if label.is_empty() || label.chars().count() > 100 || label.chars().any(char::is_control) {
            return Err(SettingsError::Label);
        }
    }
    Ok(())
}

#[cfg(test)]
mod stored_shape_tests {
    use super::*;

    /// Tenants stored before these fields existed still read, with their defaults.
    #[test]
    fn settings_stored_without_locale_or_app_url_still_read() {
        let stored = serde_json::json!({
            "members_can_invite": false, "invitation_ttl_hours": 168,
            "invitation_email_policy": "exact", "inbound": {}, "announce_new_members": false
        });
        let settings: TenantSettings = serde_json::from_value(stored).unwrap();
        assert_eq!(settings.default_locale, Locale::En);
        assert_eq!(settings.app_url, None);
    }
}

#[cfg(test)]
mod sender_entry_tests {
    use super::*;

    #[test]
    fn a_domain_covers_its_subdomains_and_an_address_only_itself() {
        let domain = parse_sender_entry(" Spam.Example ").unwrap();
        assert_eq!(domain, "spam.example");
        assert!(entry_matches(&domain, "a@spam.example"));
        assert!(entry_matches(&domain, "a@mail.spam.example"));
        assert!(!entry_matches(&domain, "a@notspam.example"));
        let address = parse_sender_entry("Boss@Example.org").unwrap();
        assert!(entry_matches(&address, "boss@example.org"));
        assert!(!entry_matches(&address, "other@example.org"));
        assert!(parse_sender_entry("not a domain").is_none());
    }
}
