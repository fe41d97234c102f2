//! Passwords: the policy that accepts them and argon2id that stores them.

use std::sync::{Arc, Mutex};

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;
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

/// argon2id with OWASP's first recommended parameter set (19 MiB, t=2, p=1).
///
/// Hashes run on the blocking pool, so a hash never stalls the async threads serving other
/// requests, but at most one per core at a time (more would only queue for the same cores), and
/// each into a memory area taken from a pool the service keeps: the 19 MiB are allocated once per
/// core for the life of the process. Allocating them per hash, from whichever blocking thread
/// ran it, left freed areas in the allocator's per-thread arenas: the local server grew to
/// 700-950 MiB under 8 concurrent sign-ins and stayed there.
#[derive(Clone)]
pub struct PasswordHasherService {
    params: Params,
    lanes: Arc<HashingLanes>,
}

struct HashingLanes {
    /// One permit per core: the hashes that may run at once.
    permits: Semaphore,
    /// Memory areas not in use; never more than there are permits.
    idle_memory: Mutex<Vec<Vec<Block>>>,
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
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Self::new(cores)
    }

    /// At most `parallel` hashes at once (at least one).
    pub fn new(parallel: usize) -> Self {
        let params = Params::new(19 * 1024, 2, 1, None)
            // The constants above are valid; this arm only keeps the constructor panic-free.
            .unwrap_or_default();
        let parallel = parallel.max(1);
        Self {
            params,
            lanes: Arc::new(HashingLanes {
                permits: Semaphore::new(parallel),
                idle_memory: Mutex::new(Vec::with_capacity(parallel)),
            }),
        }
    }

    /// Runs `work` on the blocking pool with a memory area of at least `blocks` blocks, once a
    /// lane is free.
    async fn in_lane<T: Send + 'static>(
        &self,
        blocks: usize,
        work: impl FnOnce(&mut [Block]) -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        let _permit = self
            .lanes
            .permits
            .acquire()
            .await
            .map_err(|_| HashError::Hash("the hashing lanes are closed".into()))?;
        let mut memory = self.lanes.take_memory();
        if memory.len() < blocks {
            memory.resize(blocks, Block::new());
        }
        let span = tracing::Span::current();
        let (result, memory) = tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let result = work(&mut memory);
            (result, memory)
        })
        .await?;
        self.lanes.return_memory(memory);
        result
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
        self.in_lane(params.block_count(), move |memory| {
            let salt = SaltString::encode_b64(&salt).map_err(hash_error)?;
            let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
            let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
            let mut salt_bytes = [0u8; 16];
            let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(hash_error)?;
            argon2
                .hash_password_into_with_memory(
                    secret.expose_secret().as_bytes(),
                    salt_bytes,
                    &mut output,
                    memory,
                )
                .map_err(hash_error)?;
            let phc = PasswordHash {
                algorithm: Algorithm::Argon2id.ident(),
                version: Some(Version::V0x13.into()),
                params: ParamsString::try_from(&params).map_err(hash_error)?,
                salt: Some(salt.as_salt()),
                hash: Some(Output::new(&output).map_err(hash_error)?),
            };
            Ok(PasswordHashString(phc.to_string()))
        })
        .await
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
        // Verify with the parameters stored in the hash, so raising them later keeps old hashes
        // valid.
        let blocks = PasswordHash::new(&phc)
            .and_then(|parsed| Params::try_from(&parsed))
            .map_err(hash_error)?
            .block_count();
        let secret = attempt.0.clone();
        let matched = self
            .in_lane(blocks, move |memory| {
                let parsed = PasswordHash::new(&phc).map_err(hash_error)?;
                let expected = parsed
                    .hash
                    .ok_or_else(|| HashError::Hash("the stored hash has no output".into()))?;
                let mut salt = [0u8; 64];
                let salt = parsed
                    .salt
                    .ok_or_else(|| HashError::Hash("the stored hash has no salt".into()))?
                    .decode_b64(&mut salt)
                    .map_err(hash_error)?;
                let argon2 = Argon2::new(
                    Algorithm::try_from(parsed.algorithm).map_err(hash_error)?,
                    parsed
                        .version
                        .map(Version::try_from)
                        .transpose()
                        .map_err(hash_error)?
                        .unwrap_or_default(),
                    Params::try_from(&parsed).map_err(hash_error)?,
                );
                let mut output = vec![0u8; expected.len()];
                argon2
                    .hash_password_into_with_memory(
                        secret.expose_secret().as_bytes(),
                        salt,
                        &mut output,
                        memory,
                    )
                    .map_err(hash_error)?;
                // `Output`'s equality runs in constant time.
                Ok(Output::new(&output).map_err(hash_error)? == expected)
            })
            .await?;
        Ok(matched && real)
    }
}

impl HashingLanes {
    fn take_memory(&self) -> Vec<Block> {
        self.idle_memory
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
            .unwrap_or_default()
    }

    fn return_memory(&self, memory: Vec<Block>) {
        self.idle_memory
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(memory);
    }
}

fn hash_error(e: impl std::fmt::Display) -> HashError {
    HashError::Hash(e.to_string())
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

    #[tokio::test]
    async fn hash_then_verify_and_dummy_never_matches() {
        let hasher = PasswordHasherService::owasp();
        let random = SeededRandom::new(1);
        let password = PasswordPolicy::default()
            .check("correct horse battery staple", &PersonalContext::default())
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

    #[tokio::test]
    async fn hashes_from_the_argon2_crate_verify_and_ours_verify_there() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let hasher = PasswordHasherService::owasp();
        let secret = "correct horse battery staple";
        let standard = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(19 * 1024, 2, 1, None).unwrap(),
        );
        let salt = SaltString::encode_b64(b"sixteen byte salt").unwrap();
        let theirs = standard
            .hash_password(secret.as_bytes(), &salt)
            .unwrap()
            .to_string();
        assert!(
            hasher
                .verify(
                    &PasswordAttempt::new(secret),
                    Some(&PasswordHashString(theirs))
                )
                .await
                .unwrap()
        );
        let password = PasswordPolicy::default()
            .check(secret, &PersonalContext::default())
            .unwrap();
        let ours = hasher.hash(&password, &SeededRandom::new(3)).await.unwrap();
        let parsed = PasswordHash::new(&ours.0).unwrap();
        assert!(
            Argon2::default()
                .verify_password(secret.as_bytes(), &parsed)
                .is_ok()
        );
        // Older, cheaper parameters still verify: they are read from the stored hash.
        let cheaper = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8 * 1024, 1, 1, None).unwrap(),
        )
        .hash_password(secret.as_bytes(), &salt)
        .unwrap()
        .to_string();
        let stored = PasswordHashString(cheaper);
        assert!(
            hasher
                .verify(&PasswordAttempt::new(secret), Some(&stored))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify(&PasswordAttempt::new("wrong"), Some(&stored))
                .await
                .unwrap()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_hashes_share_one_memory_area_per_lane() {
        let hasher = PasswordHasherService::new(2);
        let verifies: Vec<_> = (0..8)
            .map(|_| {
                let hasher = hasher.clone();
                tokio::spawn(async move {
                    hasher
                        .verify(&PasswordAttempt::new("anything at all"), None)
                        .await
                })
            })
            .collect();
        for verify in verifies {
            assert!(!verify.await.unwrap().unwrap());
        }
        let idle = hasher.lanes.idle_memory.lock().unwrap();
        assert_eq!(idle.len(), 2, "8 hashes, 2 lanes: two areas, reused");
        assert!(idle.iter().all(|area| area.len() == 19 * 1024));
    }
}
