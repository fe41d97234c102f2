//! Passwords: the policy that accepts them, and the stored form argon2id gives them (the hasher
//! itself is `crate::hashing`).

use secrecy::{ExposeSecret, SecretString};
use unicode_normalization::UnicodeNormalization;

use crate::clock::Random;

/// A password that passed the policy. NFC-normalised (so the same password typed on two keyboards
/// hashes the same) and never trimmed. Its `Debug` prints nothing.
#[derive(Clone)]
pub struct Password(SecretString);

/// Whatever the person typed, before any policy. Only ever compared through a hash.
#[derive(Clone)]
pub struct PasswordAttempt(SecretString);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl std::fmt::Debug for PasswordAttempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordAttempt(***)")
    }
}

impl PasswordAttempt {
    /// The longest attempt worth hashing; anything longer cannot be a valid password.
    pub const MAX_CHARS: usize = 1024;

    pub fn new(raw: &str) -> Self {
        let normalized: String = raw.chars().take(Self::MAX_CHARS).nfc().collect();
        Self(SecretString::from(normalized))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The secret, for the hasher to move onto its thread.
    pub(crate) fn secret(&self) -> &SecretString {
        &self.0
    }
}

impl Password {
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The secret, for the hasher to move onto its thread.
    pub(crate) fn secret(&self) -> &SecretString {
        &self.0
    }

    /// Wraps a password Usher generated itself (it meets any policy by construction).
    fn generated(value: String) -> Self {
        Self(SecretString::from(value))
    }

    /// A random password for mode `generate`: 4 groups of 5 characters from an alphabet without
    /// look-alikes (no 0/O, 1/l/I): 57 symbols, about 117 bits, easy to read out and type once.
    pub fn generate(random: &dyn Random) -> Self {
        const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let mut groups = Vec::with_capacity(4);
        for _ in 0..4 {
            let group: String = (0..5)
                .map(|_| ALPHABET[random.below(ALPHABET.len() as u32) as usize] as char)
                .collect();
            groups.push(group);
        }
        Self::generated(groups.join("-"))
    }
}

/// Why a password was refused; the text is shown to the person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassword {
    #[error("the password must be at least {0} characters long")]
    TooShort(usize),
    #[error("the password must be at most {0} characters long")]
    TooLong(usize),
    #[error("the password must not contain control characters")]
    ControlCharacter,
    #[error("the password is too easy to guess: {0}")]
    Guessable(String),
}

/// What a person's own details make guessable, as the strength check reads them: each name, the
/// whole name with and without spaces (either order), the email, its local part and the local
/// part's pieces (`marguerite.kowalczyk` gives `marguerite` and `kowalczyk`), and `extra` (the
/// tenant's name).
#[derive(Clone, Debug, Default)]
pub struct PersonalContext(Vec<String>);

impl PersonalContext {
    pub fn new(email: &str, first_name: &str, last_name: &str, extra: &[&str]) -> Self {
        let mut items = vec![
            email.to_owned(),
            first_name.to_owned(),
            last_name.to_owned(),
            format!("{first_name} {last_name}"),
            format!("{first_name}{last_name}"),
            format!("{last_name} {first_name}"),
            format!("{last_name}{first_name}"),
        ];
        let local = email.split('@').next().unwrap_or_default();
        items.push(local.to_owned());
        items.extend(
            local
                .split(['.', '_', '-', '+'])
                .filter(|piece| !piece.is_empty())
                .map(str::to_owned),
        );
        items.extend(extra.iter().map(|e| (*e).to_owned()));
        items.retain(|item| !item.trim().is_empty());
        Self(items)
    }

    fn as_strs(&self) -> Vec<&str> {
        self.0.iter().map(String::as_str).collect()
    }

    /// Whether `password` is essentially one of the details: the same letters once case, spaces,
    /// digits and punctuation are set aside (`Bartholomew Quigley 1990!` for Bartholomew
    /// Quigley).
    fn is_essentially_one(&self, password: &str) -> bool {
        let letters = |text: &str| -> String {
            text.chars()
                .filter(|c| c.is_alphabetic())
                .flat_map(char::to_lowercase)
                .collect()
        };
        let typed = letters(password);
        !typed.is_empty() && self.0.iter().any(|item| letters(item) == typed)
    }
}

/// Length bounds and a guessability check; no composition rules (NIST SP 800-63B).
#[derive(Clone, Copy, Debug)]
pub struct PasswordPolicy {
    pub min_chars: usize,
    pub max_chars: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_chars: 12,
            max_chars: 256,
        }
    }
}

impl PasswordPolicy {
    /// The floor no configuration can go below.
    pub const ABSOLUTE_MIN: usize = 8;

    pub fn new(min_chars: usize, max_chars: usize) -> Result<Self, String> {
        if min_chars < Self::ABSOLUTE_MIN {
            return Err(format!(
                "the minimum password length cannot be below {}",
                Self::ABSOLUTE_MIN
            ));
        }
        if max_chars < min_chars || max_chars > PasswordAttempt::MAX_CHARS {
            return Err(format!(
                "the maximum password length must be between the minimum and {}",
                PasswordAttempt::MAX_CHARS
            ));
        }
        Ok(Self {
            min_chars,
            max_chars,
        })
    }

    /// Checks `raw` against the policy. `context` holds what the person's own details would make
    /// guessable.
    pub fn check(&self, raw: &str, context: &PersonalContext) -> Result<Password, WeakPassword> {
        // Count before normalising a possibly huge input, and never trim: spaces are characters.
        if raw.chars().take(self.max_chars + 1).count() > self.max_chars {
            return Err(WeakPassword::TooLong(self.max_chars));
        }
        let normalized: String = raw.nfc().collect();
        let length = normalized.chars().count();
        if length < self.min_chars {
            return Err(WeakPassword::TooShort(self.min_chars));
        }
        if normalized.chars().any(char::is_control) {
            return Err(WeakPassword::ControlCharacter);
        }
        if context.is_essentially_one(&normalized) {
            return Err(WeakPassword::Guessable(
                "it is made of your own name or email address".to_owned(),
            ));
        }
        let estimate = zxcvbn::zxcvbn(&normalized, &context.as_strs());
        if u8::from(estimate.score()) < 3 {
            let reason = estimate
                .feedback()
                .and_then(|f| f.warning())
                .map(|w| w.to_string())
                .filter(|w| !w.is_empty())
                .unwrap_or_else(|| "it follows a common pattern".to_owned());
            return Err(WeakPassword::Guessable(reason));
        }
        Ok(Password(SecretString::from(normalized)))
    }
}

/// An argon2id PHC string.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct PasswordHashString(String);

impl PasswordHashString {
    pub(crate) fn new(phc: String) -> Self {
        Self(phc)
    }

    /// The PHC string, for the hasher to verify against.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PasswordHashString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHashString(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SeededRandom;

    #[test]
    fn policy_checks_length_in_characters_after_nfc() {
        let policy = PasswordPolicy::default();
        assert_eq!(
            policy
                .check("short", &PersonalContext::default())
                .unwrap_err(),
            WeakPassword::TooShort(12)
        );
        assert!(matches!(
            policy.check(&"x".repeat(257), &PersonalContext::default()),
            Err(WeakPassword::TooLong(256))
        ));
        assert!(matches!(
            policy.check("            ", &PersonalContext::default()),
            Err(WeakPassword::Guessable(_))
        ));
        assert!(matches!(
            policy.check("password1234", &PersonalContext::default()),
            Err(WeakPassword::Guessable(_))
        ));
        assert_eq!(
            policy
                .check("tangerine\0lantern galaxy", &PersonalContext::default())
                .unwrap_err(),
            WeakPassword::ControlCharacter
        );
        // 11 characters once composed, 12 code points decomposed: NFC decides.
        let nfd = "e\u{301}quilibrium";
        assert_eq!(nfd.chars().count(), 12);
        assert_eq!(
            policy.check(nfd, &PersonalContext::default()).unwrap_err(),
            WeakPassword::TooShort(12)
        );
        let ok = policy
            .check(
                "Caff\u{e8} lungo, due zuccheri",
                &PersonalContext::default(),
            )
            .unwrap();
        assert_eq!(ok.expose(), "Caff\u{e8} lungo, due zuccheri");
    }

    #[test]
    fn policy_refuses_passwords_made_of_the_persons_details() {
        let policy = PasswordPolicy::default();
        let ada = PersonalContext::new("ada.lovelace@example.org", "Ada", "Lovelace", &[]);
        assert!(matches!(
            policy.check("ada.lovelace@example.org", &ada),
            Err(WeakPassword::Guessable(_))
        ));
        // As typed by the attack run: the whole name, with or without spaces, or the local part.
        let bart = PersonalContext::new("bart.q@example.org", "Bartholomew", "Quigley", &[]);
        let marguerite = PersonalContext::new(
            "marguerite.kowalczyk@example.org",
            "Marguerite",
            "Kowalczyk",
            &[],
        );
        for (password, context) in [
            ("Bartholomew Quigley", &bart),
            ("BartholomewQuigley", &bart),
            ("Quigley Bartholomew 1990!", &bart),
            ("Marguerite Kowalczyk", &marguerite),
            ("marguerite.kowalczyk", &marguerite),
            ("kowalczyk-marguerite-77", &marguerite),
        ] {
            assert!(
                matches!(
                    policy.check(password, context),
                    Err(WeakPassword::Guessable(_))
                ),
                "{password} was accepted"
            );
        }
        // The same words are fine for somebody else, and the person's own name inside a longer
        // passphrase is fine too.
        assert!(policy.check("Marguerite Kowalczyk", &bart).is_ok());
        assert!(
            policy
                .check("quigley lantern orchard 77 quiver", &bart)
                .is_ok()
        );
    }

    #[test]
    fn policy_configuration_never_goes_below_eight() {
        assert!(PasswordPolicy::new(7, 64).is_err());
        assert!(PasswordPolicy::new(8, 64).is_ok());
        assert!(PasswordPolicy::new(20, 10).is_err());
    }

    #[test]
    fn generated_passwords_pass_the_policy() {
        let random = SeededRandom::new(7);
        let generated = Password::generate(&random);
        assert_eq!(generated.expose().len(), 23);
        assert!(
            PasswordPolicy::default()
                .check(generated.expose(), &PersonalContext::default())
                .is_ok()
        );
    }
}
