//! Person names and other short free-text fields that end up in mail headers and pages.

use std::fmt;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// A first or last name: trimmed, NFC, 1 to 100 characters, no control characters (CR/LF in a
/// name would otherwise reach mail headers), no bidirectional controls, not only invisible
/// characters, not starting like a spreadsheet formula.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {0} characters")]
    TooLong(usize),
    #[error("must not contain control characters")]
    Control,
    #[error("must not contain bidirectional control characters")]
    Bidi,
    #[error("must contain a visible character")]
    Invisible,
    #[error("is not in the expected format")]
    Format,
    #[error("must not start with = + - or @ (a spreadsheet would run it as a formula)")]
    Formula,
}

fn clean_line(raw: &str, max: usize) -> Result<String, TextError> {
    let value: String = raw.trim().nfc().collect();
    if value.is_empty() {
        return Err(TextError::Empty);
    }
    if value.chars().count() > max {
        return Err(TextError::TooLong(max));
    }
    if value.chars().any(char::is_control) {
        return Err(TextError::Control);
    }
    if value.chars().any(is_bidi_control) {
        return Err(TextError::Bidi);
    }
    if value.chars().all(is_invisible) {
        return Err(TextError::Invisible);
    }
    Ok(value)
}

/// Characters that reorder the text around them: in a mail or a page they make a name show as
/// something else than it is.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that show nothing: a name of only these looks empty.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200D}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
        )
}

/// An inviter's note to the invitee: plain text, trimmed, NFC, at most 500 characters, lines
/// kept (CR LF and CR become LF) but no other control character and no bidirectional control.
/// It is shown as text everywhere: escaped in HTML, never a header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvitationMessage(String);

impl InvitationMessage {
    pub const MAX: usize = 500;

    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let unified = raw.replace("\r\n", "\n").replace('\r', "\n");
        // Each line is checked as a line; the line breaks themselves are what is allowed.
        let value: String = unified.trim().nfc().collect();
        if value.is_empty() {
            return Err(TextError::Empty);
        }
        if value.chars().count() > Self::MAX {
            return Err(TextError::TooLong(Self::MAX));
        }
        if value.chars().any(|c| c.is_control() && c != '\n') {
            return Err(TextError::Control);
        }
        if value.chars().any(is_bidi_control) {
            return Err(TextError::Bidi);
        }
        if value.chars().all(is_invisible) {
            return Err(TextError::Invisible);
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl PersonName {
    pub const MAX: usize = 100;

    /// A name a spreadsheet would run as a formula is refused, not stored, wherever it comes
    /// from: the export makes such a cell harmless, but other tools reading the tenant's data
    /// might not.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let value = clean_line(raw, Self::MAX)?;
        if value.starts_with(['=', '+', '-', '@']) {
            return Err(TextError::Formula);
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PersonName {
    type Error = TextError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PersonName> for String {
    fn from(value: PersonName) -> Self {
        value.0
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonName({})", self.0)
    }
}

/// A team's name: the rules of a person's name (so it is safe in a page, a mail or a
/// spreadsheet), compared without regard to case among its siblings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TeamName(String);

impl TeamName {
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        PersonName::parse(raw).map(|name| Self(name.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form two names are compared in: siblings may not share it.
    pub fn folded(&self) -> String {
        self.0.to_lowercase()
    }
}

impl TryFrom<String> for TeamName {
    type Error = TextError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TeamName> for String {
    fn from(value: TeamName) -> Self {
        value.0
    }
}

/// A tenant's display name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantName(String);

impl TenantName {
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        clean_line(raw, 120).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A URL-friendly slug derived from the name.
    pub fn slug(&self) -> String {
        let mut slug = String::new();
        for c in self.0.nfkd().filter(char::is_ascii) {
            if c.is_ascii_alphanumeric() {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
        }
        let slug = slug.trim_end_matches('-').to_owned();
        if slug.is_empty() {
            "tenant".into()
        } else {
            slug
        }
    }
}

impl TryFrom<String> for TenantName {
    type Error = TextError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TenantName> for String {
    fn from(value: TenantName) -> Self {
        value.0
    }
}

/// A phone number: `+`, digits, spaces, dashes, dots and parentheses, 3 to 32 characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let value = clean_line(raw, 32)?;
        let digits = value.chars().filter(char::is_ascii_digit).count();
        let allowed = value
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || " -.()".contains(c) || (c == '+' && i == 0));
        if !allowed || digits < 3 {
            return Err(TextError::Format);
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Phone {
    type Error = TextError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Phone> for String {
    fn from(value: Phone) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_invisible_characters_or_with_bidi_controls_are_refused() {
        for invisible in [
            "\u{200B}",
            "\u{200B}\u{200C}\u{200D}",
            "\u{2060}\u{FEFF}",
            "\u{3164}",
            " \u{00AD} ",
        ] {
            assert_eq!(
                PersonName::parse(invisible).unwrap_err(),
                TextError::Invisible,
                "{invisible:?}"
            );
        }
        for bidi in ["Ada\u{202E}ecalevol", "\u{2066}Ada\u{2069}", "Ada\u{200F}"] {
            assert_eq!(
                PersonName::parse(bidi).unwrap_err(),
                TextError::Bidi,
                "{bidi:?}"
            );
            assert_eq!(TenantName::parse(bidi).unwrap_err(), TextError::Bidi);
        }
        // A joiner inside a visible name is part of how some scripts are written.
        assert!(PersonName::parse("\u{0915}\u{094D}\u{200D}\u{0937}").is_ok());
        assert!(PersonName::parse("Zoë").is_ok());
    }

    #[test]
    fn names_refuse_control_characters_and_overlong_text() {
        assert_eq!(
            PersonName::parse("Ada\r\nBcc: x").unwrap_err(),
            TextError::Control
        );
        assert_eq!(PersonName::parse("   ").unwrap_err(), TextError::Empty);
        assert_eq!(
            PersonName::parse(&"x".repeat(101)).unwrap_err(),
            TextError::TooLong(100)
        );
        assert_eq!(PersonName::parse(" Zoë ").unwrap().as_str(), "Zoë");
    }

    #[test]
    fn slugs_are_ascii() {
        let name = TenantName::parse("Comune di Forlì — Servizi").unwrap();
        assert_eq!(name.slug(), "comune-di-forli-servizi");
    }

    #[test]
    fn phones_take_common_formats_only() {
        assert!(Phone::parse("+39 0543 712 111").is_ok());
        assert!(Phone::parse("(555) 010-0199").is_ok());
        assert!(Phone::parse("call me").is_err());
        assert!(Phone::parse("12+3").is_err());
    }

    #[test]
    fn invitation_messages_keep_lines_and_refuse_other_controls() {
        let message = InvitationMessage::parse("  Ciao Ada,\r\nbenvenuta!\rA presto  ").unwrap();
        assert_eq!(message.as_str(), "Ciao Ada,\nbenvenuta!\nA presto");
        assert_eq!(
            InvitationMessage::parse("a\u{0007}b").unwrap_err(),
            TextError::Control
        );
        assert_eq!(
            InvitationMessage::parse("a\u{202E}b").unwrap_err(),
            TextError::Bidi
        );
        assert_eq!(
            InvitationMessage::parse(&"x".repeat(501)).unwrap_err(),
            TextError::TooLong(500)
        );
        assert!(InvitationMessage::parse(&"ż".repeat(500)).is_ok());
        assert_eq!(
            InvitationMessage::parse(" \n ").unwrap_err(),
            TextError::Empty
        );
    }
}
