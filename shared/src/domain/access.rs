//! Roles, permissions and the per-tenant permission catalogue.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A member's role inside one tenant. Ordered: `Member < Admin < Owner`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    Admin,
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    pub fn is_admin(self) -> bool {
        self >= Role::Admin
    }
}

/// A permission name: lower-case ASCII words joined by dots, e.g. `reports.reply`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Permission(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a permission name is 1 to 64 characters of a-z, 0-9, '_' and '-', in dot-separated parts")]
pub struct PermissionError;

impl Permission {
    /// Lets a member (not only admins) create and manage users of the tenant.
    pub const USERS_MANAGE: &'static str = "users.manage";
    /// Lets a tenant API key manage the tenant's webhook endpoints. A key's alone: an owner or
    /// admin gives it to a key they make; it is never granted to a person (who manages
    /// endpoints by being an owner or admin).
    pub const WEBHOOKS_MANAGE: &'static str = "webhooks.manage";

    pub fn parse(raw: &str) -> Result<Self, PermissionError> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw.split('.').all(|part| {
                !part.is_empty()
                    && part.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'
                    })
            });
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(PermissionError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Permission {
    type Error = PermissionError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Permission> for String {
    fn from(value: Permission) -> Self {
        value.0
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One entry of a tenant's permission catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PermissionEntry {
    #[schema(value_type = String, example = "reports.reply")]
    pub name: Permission,
    pub label: String,
}

/// A set of permissions, kept sorted and free of duplicates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PermissionSet(Vec<Permission>);

impl PermissionSet {
    pub fn new(mut permissions: Vec<Permission>) -> Self {
        permissions.sort();
        permissions.dedup();
        Self(permissions)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|p| p.as_str() == name)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Permission> {
        self.0.iter()
    }

    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|p| p.as_str().to_owned()).collect()
    }
    /// Every permission of this set and of `others`.
    pub fn union<'a>(&self, others: impl IntoIterator<Item = &'a PermissionSet>) -> Self {
        let mut all = self.0.clone();
        for other in others {
            all.extend(other.0.iter().cloned());
        }
        Self::new(all)
    }
}

/// Locales Usher speaks in mails and pages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    En,
    It,
    Fr,
    Pl,
}

impl Locale {
    pub const ALL: [Locale; 4] = [Locale::En, Locale::It, Locale::Fr, Locale::Pl];

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Locale::En),
            "it" => Some(Locale::It),
            "fr" => Some(Locale::Fr),
            "pl" => Some(Locale::Pl),
            _ => None,
        }
    }

    /// The best of these locales for an `Accept-Language` header (RFC 9110, 12.5.4): the highest
    /// weight wins, the earlier on a tie; a region (`fr-CH`) counts for its language. `None` when
    /// nothing matches.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut best: Option<(Locale, f32)> = None;
        for entry in header.split(',').take(32) {
            let mut parts = entry.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
                .filter(|q| (0.0..=1.0).contains(q) && *q > 0.0);
            let language = tag.split('-').next().unwrap_or("");
            if let (Some(locale), Some(weight)) = (Self::parse(language), weight)
                && best.is_none_or(|(_, w)| weight > w)
            {
                best = Some((locale, weight));
            }
        }
        best.map(|(locale, _)| locale)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::It => "it",
            Locale::Fr => "fr",
            Locale::Pl => "pl",
        }
    }

    /// `at` as a reader of this language writes a date and time, in UTC (said so: a mail's
    /// reader may be anywhere): `26 November 2026, 14:05 UTC`, `26 listopada 2026, 14:05 UTC`.
    pub fn long_date_time(self, at: chrono::DateTime<chrono::Utc>) -> String {
        use chrono::{Datelike, Timelike};
        const EN: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        const IT: [&str; 12] = [
            "gennaio",
            "febbraio",
            "marzo",
            "aprile",
            "maggio",
            "giugno",
            "luglio",
            "agosto",
            "settembre",
            "ottobre",
            "novembre",
            "dicembre",
        ];
        const FR: [&str; 12] = [
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ];
        // Polish dates take the month in the genitive.
        const PL: [&str; 12] = [
            "stycznia",
            "lutego",
            "marca",
            "kwietnia",
            "maja",
            "czerwca",
            "lipca",
            "sierpnia",
            "września",
            "października",
            "listopada",
            "grudnia",
        ];
        let months = match self {
            Locale::En => &EN,
            Locale::It => &IT,
            Locale::Fr => &FR,
            Locale::Pl => &PL,
        };
        let month = months[at.month0() as usize];
        let (day, year, hour, minute) = (at.day(), at.year(), at.hour(), at.minute());
        match self {
            // French writes the first day of a month as an ordinal.
            Locale::Fr if day == 1 => format!("1er {month} {year} à {hour:02}:{minute:02} UTC"),
            Locale::Fr => format!("{day} {month} {year} à {hour:02}:{minute:02} UTC"),
            _ => format!("{day} {month} {year}, {hour:02}:{minute:02} UTC"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_heaviest_supported_language() {
        let pick = Locale::from_accept_language;
        assert_eq!(
            pick("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5"),
            Some(Locale::Fr)
        );
        assert_eq!(pick("de-DE,pl;q=0.4,it;q=0.6"), Some(Locale::It));
        assert_eq!(pick("en-GB;q=0.2, PL"), Some(Locale::Pl));
        assert_eq!(pick("it;q=0, en;q=0.1"), Some(Locale::En));
        assert_eq!(pick("de, ja;q=0.9"), None);
        assert_eq!(pick("fr;q=banana"), None);
        assert_eq!(pick(""), None);
    }

    #[test]
    fn dates_read_as_each_language_writes_them() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-03T09:05:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(Locale::En.long_date_time(at), "3 December 2026, 09:05 UTC");
        assert_eq!(Locale::It.long_date_time(at), "3 dicembre 2026, 09:05 UTC");
        assert_eq!(Locale::Fr.long_date_time(at), "3 décembre 2026 à 09:05 UTC");
        assert_eq!(Locale::Pl.long_date_time(at), "3 grudnia 2026, 09:05 UTC");
        let first = chrono::DateTime::parse_from_rfc3339("2027-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            Locale::Fr.long_date_time(first),
            "1er janvier 2027 à 00:00 UTC"
        );
    }

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Owner > Role::Admin && Role::Admin > Role::Member);
    }

    #[test]
    fn permission_names_are_checked() {
        assert!(Permission::parse("reports.reply").is_ok());
        assert!(Permission::parse("fleet.manage-all").is_ok());
        for bad in ["", "Reports", "a..b", ".a", "a b", &"x".repeat(65)] {
            assert!(Permission::parse(bad).is_err(), "{bad:?}");
        }
    }
}
