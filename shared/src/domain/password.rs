//! Passwords: the policy that accepts them and argon2id that stores them.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
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
}

impl Password {
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
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
    /// guessable (email, names, tenant name).
    pub fn check(&self, raw: &str, context: &[&str]) -> Result<Password, WeakPassword> {
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
        let estimate = zxcvbn::zxcvbn(&normalized, context);
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

impl std::fmt::Debug for PasswordHashString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHashString(***)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("the hashing task did not finish")]
    Join(#[from] tokio::task::JoinError),
}

/// argon2id with OWASP's first recommended parameter set (19 MiB, t=2, p=1), run on the blocking
/// pool so a hash never stalls the async threads serving other requests.
#[derive(Clone)]
pub struct PasswordHasherService {
    params: Arc<Params>,
}

/// The hash verified when no account matches, so that a wrong email costs what a wrong password
/// costs. It is the hash of a random string nobody knows, made with the same parameters.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Ew4bLJvlW6mpq5ns8rLaBW9gFW1HNLQB2t3cKkBL0xk";

impl Default for PasswordHasherService {
    fn default() -> Self {
        Self::owasp()
    }
}

impl PasswordHasherService {
    pub fn owasp() -> Self {
        match Params::new(19 * 1024, 2, 1, None) {
            Ok(params) => Self {
                params: Arc::new(params),
            },
            // The constants above are valid; this arm only keeps the constructor panic-free.
            Err(_) => Self {
                params: Arc::new(Params::default()),
            },
        }
    }

    fn argon2(params: &Params) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
    }

    pub async fn hash(
        &self,
        password: &Password,
        random: &dyn Random,
    ) -> Result<PasswordHashString, HashError> {
        let mut salt = [0u8; 16];
        random.fill(&mut salt);
        let params = self.params.clone();
        let secret = password.0.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let salt = SaltString::encode_b64(&salt).map_err(|e| HashError::Hash(e.to_string()))?;
            Self::argon2(&params)
                .hash_password(secret.expose_secret().as_bytes(), &salt)
                .map(|h| PasswordHashString(h.to_string()))
                .map_err(|e| HashError::Hash(e.to_string()))
        })
        .await?
    }

    /// Verifies `attempt` against `stored`, or against a dummy hash when there is none, so both
    /// paths take the same time. Returns false for the dummy path whatever was typed.
    pub async fn verify(
        &self,
        attempt: &PasswordAttempt,
        stored: Option<&PasswordHashString>,
    ) -> Result<bool, HashError> {
        let (phc, real) = match stored {
            Some(hash) => (hash.0.clone(), true),
            None => (DUMMY_HASH.to_owned(), false),
        };
        let secret = attempt.0.clone();
        let span = tracing::Span::current();
        let matched = tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let parsed = PasswordHash::new(&phc).map_err(|e| HashError::Hash(e.to_string()))?;
            // Verify with the parameters stored in the hash, so raising them later keeps old hashes valid.
            Ok::<_, HashError>(
                Argon2::default()
                    .verify_password(secret.expose_secret().as_bytes(), &parsed)
                    .is_ok(),
            )
        })
        .await??;
        Ok(matched && real)
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
            policy.check("short", &[]).unwrap_err(),
            WeakPassword::TooShort(12)
        );
        assert!(matches!(
            policy.check(&"x".repeat(257), &[]),
            Err(WeakPassword::TooLong(256))
        ));
        assert!(matches!(
            policy.check("            ", &[]),
            Err(WeakPassword::Guessable(_))
        ));
        assert!(matches!(
            policy.check("password1234", &[]),
            Err(WeakPassword::Guessable(_))
        ));
        assert_eq!(
            policy.check("tangerine\0lantern galaxy", &[]).unwrap_err(),
            WeakPassword::ControlCharacter
        );
        // 11 characters once composed, 12 code points decomposed: NFC decides.
        let nfd = "e\u{301}quilibrium";
        assert_eq!(nfd.chars().count(), 12);
        assert_eq!(
            policy.check(nfd, &[]).unwrap_err(),
            WeakPassword::TooShort(12)
        );
        let ok = policy.check("Caff\u{e8} lungo, due zuccheri", &[]).unwrap();
        assert_eq!(ok.expose(), "Caff\u{e8} lungo, due zuccheri");
    }

    #[test]
    fn policy_refuses_passwords_made_of_the_persons_details() {
        let policy = PasswordPolicy::default();
        let err = policy.check(
            "ada.lovelace@example.org",
            &["ada.lovelace@example.org", "Ada", "Lovelace"],
        );
        assert!(matches!(err, Err(WeakPassword::Guessable(_))));
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
                .check(generated.expose(), &[])
                .is_ok()
        );
    }

    #[tokio::test]
    async fn hash_then_verify_and_dummy_never_matches() {
        let hasher = PasswordHasherService::owasp();
        let random = SeededRandom::new(1);
        let password = PasswordPolicy::default()
            .check("correct horse battery staple", &[])
            .unwrap();
        let hash = hasher.hash(&password, &random).await.unwrap();
        assert!(hash.0.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            hasher
                .verify(
                    &PasswordAttempt::new("correct horse battery staple"),
                    Some(&hash)
                )
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify(
                    &PasswordAttempt::new("wrong horse battery staple"),
                    Some(&hash)
                )
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify(&PasswordAttempt::new("anything"), None)
                .await
                .unwrap()
        );
    }
}
