//! Email addresses, parsed once at the edge and normalised one way everywhere.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An email address as the person typed it (trimmed), plus the one normalised form used for
/// uniqueness and lookups.
///
/// Normalisation is deliberately conservative: lower case. Provider-specific folding
/// (dots and `+tags` at Gmail) is not applied, because it is wrong for most domains and would let
/// two different people collide. Addresses are restricted to ASCII local parts and ASCII or
/// IDNA-encoded domains: Unicode look-alikes (a Kelvin sign for `k`, a fullwidth `@`) are refused
/// rather than folded, so no two distinct strings can map to one account by surprise.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("the email address is empty")]
    Empty,
    #[error("the email address is longer than 254 characters")]
    TooLong,
    #[error("the email address must have exactly one @ with text on both sides")]
    Shape,
    #[error("the email address contains a character that is not allowed")]
    Character,
    #[error("the domain of the email address is not valid")]
    Domain,
}

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let trimmed = raw.trim().to_owned();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        if trimmed.len() > 254 {
            return Err(EmailError::TooLong);
        }
        // Checked on the raw text: NFC alone would turn a Kelvin sign into a plain `K`.
        if !trimmed.is_ascii() {
            return Err(EmailError::Character);
        }
        let (local, domain) = trimmed.split_once('@').ok_or(EmailError::Shape)?;
        if local.is_empty() || domain.is_empty() || domain.contains('@') || local.len() > 64 {
            return Err(EmailError::Shape);
        }
        const LOCAL_SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~.";
        if !local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || LOCAL_SPECIALS.contains(c))
            || local.starts_with('.')
            || local.ends_with('.')
            || local.contains("..")
        {
            return Err(EmailError::Character);
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |label: &&str| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return Err(EmailError::Domain);
        }
        Ok(Self(trimmed))
    }

    /// The form used for uniqueness, keys and comparisons.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }

    pub fn domain(&self) -> String {
        self.0
            .rsplit_once('@')
            .map(|(_, d)| d.to_lowercase())
            .unwrap_or_default()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Two addresses are the same mailbox for Usher when their normalised forms match.
    pub fn same_as(&self, other: &EmailAddress) -> bool {
        self.normalized() == other.normalized()
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = EmailError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_but_keeps_what_was_typed() {
        let email = EmailAddress::parse("  Ada.Lovelace@Example.ORG ").unwrap();
        assert_eq!(email.as_str(), "Ada.Lovelace@Example.ORG");
        assert_eq!(email.normalized(), "ada.lovelace@example.org");
        assert_eq!(email.domain(), "example.org");
    }

    #[test]
    fn refuses_malformed_and_lookalike_addresses() {
        for bad in [
            "",
            "plain",
            "a@b",
            "a@@b.org",
            "a b@c.org",
            "a@b.org,c@d.org",
            "a@b.org\r\nBcc: x@y.org",
            "\u{212A}elvin@example.org",
            "ada\u{FF20}example.org",
            "d\u{131}d@example.org",
            ".a@b.org",
            "a..b@c.org",
            "a@-b.org",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let long = format!("{}@{}.org", "a".repeat(64), "b".repeat(200));
        assert_eq!(EmailAddress::parse(&long), Err(EmailError::TooLong));
    }
}
