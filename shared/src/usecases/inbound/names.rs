//! A person's names from the display name of the address they wrote from.
//!
//! The display name arrives already decoded (RFC 2047 encoded words, quotes) by the MIME parser;
//! here it is cleaned: a trailing " via X" or "(via X)" (mailing lists and forwarding services
//! rewrite senders so) goes, an address used as a name is no name, "Last, First" is understood.
//! When nothing usable is left, the address's local part is title-cased: `jan.kowalski` -> Jan
//! Kowalski. What comes out always fits a person's name: no control or bidirectional characters,
//! at most 100 characters each.

use crate::domain::{EmailAddress, PersonName, is_bidi_control};

pub use crate::records::NameSource;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Names {
    pub first: String,
    /// May be empty: not every sender gives two names.
    pub last: String,
    pub source: NameSource,
}

/// The names for `address`, from its `display` name when that gives any.
pub fn names_for(display: Option<&str>, address: &EmailAddress) -> Names {
    display
        .and_then(from_display)
        .unwrap_or_else(|| from_address(address))
}

fn from_display(raw: &str) -> Option<Names> {
    // Whitespace of any kind becomes one space; controls and bidirectional marks go.
    let cleaned: String = raw
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .collect();
    let mut name = cleaned.trim().trim_matches(['"', '\'']).trim().to_owned();
    name = strip_via(&name);
    if name.is_empty() || name.contains('@') {
        return None;
    }
    let (first, last) = match name.split_once(',') {
        // "Kowalski, Jan": the part after the comma is the first name.
        Some((last, first)) if !first.trim().is_empty() && !last.trim().is_empty() => {
            (first.trim().to_owned(), last.trim().to_owned())
        }
        _ => match name.rsplit_once(' ') {
            Some((first, last)) => (first.trim().to_owned(), last.trim().to_owned()),
            None => (name.clone(), String::new()),
        },
    };
    let first = fit(&first)?;
    let last = if last.is_empty() {
        String::new()
    } else {
        fit(&last).unwrap_or_default()
    };
    Some(Names {
        first,
        last,
        source: NameSource::DisplayName,
    })
}

/// `name` without a trailing " via X" or "(via X)".
fn strip_via(name: &str) -> String {
    let lower = name.to_lowercase();
    if let Some(at) = lower.rfind("(via ")
        && lower.ends_with(')')
    {
        return name[..at].trim().to_owned();
    }
    if let Some(at) = lower.rfind(" via ") {
        return name[..at].trim().to_owned();
    }
    name.to_owned()
}

/// `text` as a person's name: at most 100 characters, valid by [`PersonName`]'s rules.
fn fit(text: &str) -> Option<String> {
    let short: String = text.chars().take(PersonName::MAX).collect();
    PersonName::parse(&short)
        .ok()
        .map(|n| n.as_str().to_owned())
}

fn from_address(address: &EmailAddress) -> Names {
    let local = address
        .as_str()
        .split_once('@')
        .map_or(address.as_str(), |(l, _)| l);
    // Tags (`jan+support`) are not part of the name.
    let local = local.split('+').next().unwrap_or(local);
    let words: Vec<String> = local
        .split(['.', '_', '-'])
        .filter(|w| w.chars().any(|c| c.is_alphabetic()))
        .map(title_case)
        .collect();
    let (first, last) = match words.as_slice() {
        [] => (title_case(local), String::new()),
        [one] => (one.clone(), String::new()),
        [first @ .., last] => (first.join(" "), last.clone()),
    };
    Names {
        first: fit(&first).unwrap_or_else(|| "Unknown".to_owned()),
        last: fit(&last).unwrap_or_default(),
        source: NameSource::Address,
    }
}

fn title_case(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(raw: &str) -> EmailAddress {
        EmailAddress::parse(raw).unwrap()
    }

    fn names(display: Option<&str>, raw: &str) -> (String, String, NameSource) {
        let n = names_for(display, &address(raw));
        (n.first, n.last, n.source)
    }

    #[test]
    fn display_names_are_cleaned_and_understood() {
        let a = "x@example.org";
        assert_eq!(
            names(Some("Jan Kowalski"), a),
            ("Jan".into(), "Kowalski".into(), NameSource::DisplayName)
        );
        assert_eq!(
            names(Some("\"Kowalski, Jan\""), a),
            ("Jan".into(), "Kowalski".into(), NameSource::DisplayName)
        );
        assert_eq!(
            names(Some("Anna Maria Rossi via Help Desk"), a),
            ("Anna Maria".into(), "Rossi".into(), NameSource::DisplayName)
        );
        assert_eq!(
            names(Some("Zoë Dupont (via Google Groups)"), a),
            ("Zoë".into(), "Dupont".into(), NameSource::DisplayName)
        );
        assert_eq!(
            names(Some("Cher"), a),
            ("Cher".into(), String::new(), NameSource::DisplayName)
        );
    }

    #[test]
    fn without_a_usable_display_name_the_address_names_the_person() {
        assert_eq!(
            names(None, "jan.kowalski@example.pl"),
            ("Jan".into(), "Kowalski".into(), NameSource::Address)
        );
        assert_eq!(
            names(Some("jan.kowalski@example.pl"), "jan.kowalski@example.pl").2,
            NameSource::Address
        );
        assert_eq!(
            names(Some("  \u{202E} "), "maria_de-la-cruz+help@example.org"),
            ("Maria De La".into(), "Cruz".into(), NameSource::Address)
        );
        assert_eq!(names(None, "12345@example.org").0, "12345");
    }

    #[test]
    fn names_never_carry_controls_and_fit_the_limits() {
        let long = "A".repeat(500);
        let n = names_for(Some(&format!("{long} {long}")), &address("x@example.org"));
        assert!(n.first.chars().count() <= 100 && n.last.chars().count() <= 100);
        let n = names_for(Some("Eve\r\nBcc: x@y\u{0}"), &address("x@example.org"));
        assert!(!n.first.chars().any(char::is_control) && !n.last.chars().any(char::is_control));
    }
}
