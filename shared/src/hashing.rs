//! Password hashing as a service of the process: argon2id on the blocking pool, a bounded number
//! at a time, each into memory kept for the life of the process. The policy and the types it
//! hashes are the domain's (`domain::password`); this is the machinery.

use std::sync::{Arc, Mutex};

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use secrecy::ExposeSecret;
use tokio::sync::Semaphore;

use crate::clock::Random;
use crate::domain::{Password, PasswordAttempt, PasswordHashString};

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
        let secret = password.secret().clone();
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
            Ok(PasswordHashString::new(phc.to_string()))
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
            Some(hash) => (hash.as_str().to_owned(), true),
            None => (DUMMY_HASH.to_owned(), false),
        };
        // Verify with the parameters stored in the hash, so raising them later keeps old hashes
        // valid.
        let blocks = PasswordHash::new(&phc)
            .and_then(|parsed| Params::try_from(&parsed))
            .map_err(hash_error)?
            .block_count();
        let secret = attempt.secret().clone();
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
    use crate::domain::{PasswordPolicy, PersonalContext};

    #[tokio::test]
    async fn hash_then_verify_and_dummy_never_matches() {
        let hasher = PasswordHasherService::owasp();
        let random = SeededRandom::new(1);
        let password = PasswordPolicy::default()
            .check("correct horse battery staple", &PersonalContext::default())
            .unwrap();
        let hash = hasher.hash(&password, &random).await.unwrap();
        assert!(hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
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
                    Some(&PasswordHashString::new(theirs))
                )
                .await
                .unwrap()
        );
        let password = PasswordPolicy::default()
            .check(secret, &PersonalContext::default())
            .unwrap();
        let ours = hasher.hash(&password, &SeededRandom::new(3)).await.unwrap();
        let parsed = PasswordHash::new(ours.as_str()).unwrap();
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
        let stored = PasswordHashString::new(cheaper);
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
