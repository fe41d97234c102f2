//! The keys that sign access tokens: ES256 (ECDSA on P-256 with SHA-256), one of the algorithms
//! API Gateway's JWT authorizer and every JOSE library accept.
//!
//! The keyring is one table item: at most three keys, the previous, the current and the next.
//! The next is published in the JWKS at least [`PUBLISH_AHEAD`] before it signs anything, so a
//! verifier's cached JWKS already knows it; the previous stays published for a whole rotation
//! period after it stops signing, far longer than any token lives. Private keys are stored
//! sealed (ChaCha20-Poly1305) under a key derived from the deployment's outbox key: the table
//! alone (a backup, an export) opens nothing. A key is unsealed and parsed once per cold start.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key as CipherKey, Nonce};
use chrono::{DateTime, Duration, Utc};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde::{Deserialize, Serialize};

use crate::mail::OutboxKey;

/// How long before it signs anything a new key is in the JWKS: longer than the JWKS may be
/// cached (`JWKS_MAX_AGE`), so no verifier meets a key it could not know.
pub const PUBLISH_AHEAD: Duration = Duration::hours(1);

/// How long a JWKS or discovery document may be cached.
pub const JWKS_MAX_AGE_SECONDS: u32 = 300;

/// The shortest rotation period a deployment may set: the previous key must outlive every token
/// it signed (at most an hour) by far.
pub const MIN_ROTATION: Duration = Duration::days(1);

#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error("a signing key could not be unsealed (was the outbox key changed?)")]
    Unseal,
    #[error("a signing key could not be made or read")]
    Key,
    #[error("a token could not be signed")]
    Sign,
}

/// One signing key as stored: its public point in the clear, its private key sealed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SigningKeyRecord {
    pub kid: String,
    /// The public point's coordinates, base64url (as a JWK carries them).
    pub x: String,
    pub y: String,
    /// base64 of nonce (12 bytes) and the sealed PKCS#8 document.
    pub sealed: String,
    pub created_at: DateTime<Utc>,
    /// When it starts signing.
    pub active_from: DateTime<Utc>,
}

/// The keyring item (see `keys::signing_keyring`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct KeyringRecord {
    pub keys: Vec<SigningKeyRecord>,
    pub version: u64,
}

impl KeyringRecord {
    /// The key that signs at `now`: the newest already active.
    pub fn current(&self, now: DateTime<Utc>) -> Option<&SigningKeyRecord> {
        self.keys
            .iter()
            .filter(|k| k.active_from <= now)
            .max_by_key(|k| k.active_from)
    }

    /// Whether the ring must change at `now`: no key signs yet, none is waiting to, or one past
    /// the previous is still kept.
    pub fn needs_rotation(&self, now: DateTime<Utc>) -> bool {
        let active = self.keys.iter().filter(|k| k.active_from <= now).count();
        let waiting = self.keys.iter().any(|k| k.active_from > now);
        active == 0 || active > 2 || !waiting
    }

    /// The ring as it should be at `now`: the current key (a new one when none is active), the
    /// previous one, and a next one starting a `period` after the current did (and no sooner
    /// than [`PUBLISH_AHEAD`] from now). `make` makes a key that starts at the time given.
    pub fn rotated(
        &self,
        now: DateTime<Utc>,
        period: Duration,
        mut make: impl FnMut(DateTime<Utc>) -> Result<SigningKeyRecord, SigningError>,
    ) -> Result<KeyringRecord, SigningError> {
        let mut active: Vec<SigningKeyRecord> = self
            .keys
            .iter()
            .filter(|k| k.active_from <= now)
            .cloned()
            .collect();
        active.sort_by_key(|k| k.active_from);
        let mut waiting: Vec<SigningKeyRecord> = self
            .keys
            .iter()
            .filter(|k| k.active_from > now)
            .cloned()
            .collect();
        if active.is_empty() {
            active.push(make(now)?);
        }
        // The current and the one before it; older ones signed nothing still alive.
        let keep_from = active.len().saturating_sub(2);
        let mut keys: Vec<SigningKeyRecord> = active.split_off(keep_from);
        if waiting.is_empty() {
            let current_from = keys.last().map_or(now, |k| k.active_from);
            let starts = (current_from + period).max(now + PUBLISH_AHEAD);
            waiting.push(make(starts)?);
        }
        waiting.sort_by_key(|k| k.active_from);
        keys.extend(waiting.into_iter().take(1));
        Ok(KeyringRecord {
            keys,
            version: self.version + 1,
        })
    }
}

/// One key of the JWKS (RFC 7517, RFC 7518 section 6.2).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Jwk {
    /// `EC`.
    pub kty: String,
    /// `P-256`.
    pub crv: String,
    pub x: String,
    pub y: String,
    pub kid: String,
    /// `sig`.
    #[serde(rename = "use")]
    pub use_: String,
    /// `ES256`.
    pub alg: String,
}

impl From<&SigningKeyRecord> for Jwk {
    fn from(k: &SigningKeyRecord) -> Self {
        Self {
            kty: "EC".into(),
            crv: "P-256".into(),
            x: k.x.clone(),
            y: k.y.clone(),
            kid: k.kid.clone(),
            use_: "sig".into(),
            alg: "ES256".into(),
        }
    }
}

/// Makes, seals, unseals and uses signing keys; shared by every request of a cold start, with
/// the keys it has unsealed.
#[derive(Clone)]
pub struct TokenSigner {
    cipher: ChaCha20Poly1305,
    rng: SystemRandom,
    unsealed: Arc<Mutex<HashMap<String, Arc<EcdsaKeyPair>>>>,
}

/// What the sealed private key is bound to, so a sealed key cannot be moved to another kid.
fn sealing_context(kid: &str) -> Vec<u8> {
    format!("usher signing key {kid}").into_bytes()
}

impl TokenSigner {
    pub fn new(deployment_key: &OutboxKey) -> Self {
        let key = deployment_key.derive(b"signing-key seal v1");
        Self {
            cipher: ChaCha20Poly1305::new(CipherKey::from_slice(&key)),
            rng: SystemRandom::new(),
            unsealed: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// A new key pair that starts signing at `active_from`, its private half sealed.
    pub fn make_key(
        &self,
        kid: String,
        now: DateTime<Utc>,
        active_from: DateTime<Utc>,
    ) -> Result<SigningKeyRecord, SigningError> {
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &self.rng)
            .map_err(|_| SigningError::Key)?;
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &self.rng)
                .map_err(|_| SigningError::Key)?;
        // An uncompressed point: 0x04, then x and y, 32 bytes each.
        let point = pair.public_key().as_ref();
        let (x, y) = match point {
            [4, rest @ ..] if rest.len() == 64 => rest.split_at(32),
            _ => return Err(SigningError::Key),
        };
        let mut nonce = [0u8; 12];
        ring::rand::SecureRandom::fill(&self.rng, &mut nonce).map_err(|_| SigningError::Key)?;
        let context = sealing_context(&kid);
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: pkcs8.as_ref(),
                    aad: &context,
                },
            )
            .map_err(|_| SigningError::Key)?;
        let mut stored = nonce.to_vec();
        stored.extend_from_slice(&sealed);
        Ok(SigningKeyRecord {
            kid,
            x: URL_SAFE_NO_PAD.encode(x),
            y: URL_SAFE_NO_PAD.encode(y),
            sealed: STANDARD.encode(stored),
            created_at: now,
            active_from,
        })
    }

    fn key_pair(&self, key: &SigningKeyRecord) -> Result<Arc<EcdsaKeyPair>, SigningError> {
        if let Some(pair) = self
            .unsealed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key.kid)
        {
            return Ok(pair.clone());
        }
        let stored = STANDARD
            .decode(&key.sealed)
            .map_err(|_| SigningError::Unseal)?;
        if stored.len() < 12 {
            return Err(SigningError::Unseal);
        }
        let (nonce, sealed) = stored.split_at(12);
        let context = sealing_context(&key.kid);
        let pkcs8 = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &context,
                },
            )
            .map_err(|_| SigningError::Unseal)?;
        let pair = Arc::new(
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &self.rng)
                .map_err(|_| SigningError::Key)?,
        );
        self.unsealed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.kid.clone(), pair.clone());
        Ok(pair)
    }

    /// A compact JWS (RFC 7515) of `claims`, signed ES256 with `key`: the header names the key.
    pub fn sign<C: Serialize>(
        &self,
        key: &SigningKeyRecord,
        claims: &C,
    ) -> Result<String, SigningError> {
        let pair = self.key_pair(key)?;
        let header = serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": key.kid});
        let header = serde_json::to_vec(&header).map_err(|_| SigningError::Sign)?;
        let claims = serde_json::to_vec(claims).map_err(|_| SigningError::Sign)?;
        let mut jws = URL_SAFE_NO_PAD.encode(header);
        jws.push('.');
        jws.push_str(&URL_SAFE_NO_PAD.encode(claims));
        // The fixed encoding: r and s, 32 bytes each, as JWS wants (not DER).
        let signature = pair
            .sign(&self.rng, jws.as_bytes())
            .map_err(|_| SigningError::Sign)?;
        jws.push('.');
        jws.push_str(&URL_SAFE_NO_PAD.encode(signature.as_ref()));
        Ok(jws)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SeededRandom;

    fn signer() -> TokenSigner {
        TokenSigner::new(&OutboxKey::generate(&SeededRandom::new(7)))
    }

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::hours(hours)
    }

    fn ring_at(ring: &KeyringRecord, signer: &TokenSigner, now: DateTime<Utc>) -> KeyringRecord {
        let mut n = 0;
        ring.rotated(now, Duration::days(30), |from| {
            n += 1;
            signer.make_key(format!("k{}-{n}", ring.version), now, from)
        })
        .unwrap()
    }

    #[test]
    fn a_ring_holds_the_previous_the_current_and_the_next_key() {
        let signer = signer();
        let empty = KeyringRecord::default();
        assert!(empty.needs_rotation(at(0)));
        let first = ring_at(&empty, &signer, at(0));
        assert_eq!(first.keys.len(), 2, "the current and the next");
        assert_eq!(first.current(at(0)).unwrap().kid, first.keys[0].kid);
        assert_eq!(first.keys[1].active_from, at(24 * 30));
        assert!(!first.needs_rotation(at(1)));

        // When the next starts signing, the ring makes a new next and keeps the previous.
        let later = at(24 * 30);
        assert_eq!(first.current(later).unwrap().kid, first.keys[1].kid);
        assert!(first.needs_rotation(later));
        let second = ring_at(&first, &signer, later);
        let kids: Vec<&str> = second.keys.iter().map(|k| k.kid.as_str()).collect();
        assert_eq!(kids.len(), 3);
        assert_eq!(
            &kids[..2],
            &[first.keys[0].kid.as_str(), first.keys[1].kid.as_str()]
        );
        assert_eq!(second.keys[2].active_from, at(24 * 60));

        // A rotation later: the oldest is gone.
        let third = ring_at(&second, &signer, at(24 * 60));
        assert_eq!(third.keys.len(), 3);
        assert!(third.keys.iter().all(|k| k.kid != first.keys[0].kid));
    }

    #[test]
    fn a_ring_left_alone_for_long_publishes_its_next_key_ahead_of_use() {
        let signer = signer();
        let first = ring_at(&KeyringRecord::default(), &signer, at(0));
        // Nobody asked for a token for a year: the old next signs now, a new next is published
        // at least an hour before it signs.
        let now = at(24 * 365);
        let ring = ring_at(&first, &signer, now);
        assert_eq!(ring.current(now).unwrap().kid, first.keys[1].kid);
        let next = ring.keys.iter().find(|k| k.active_from > now).unwrap();
        assert!(next.active_from >= now + PUBLISH_AHEAD);
    }

    #[test]
    fn a_sealed_key_opens_only_with_its_deployment_key_and_kid() {
        let signer = signer();
        let key = signer.make_key("a".into(), at(0), at(0)).unwrap();
        assert!(signer.sign(&key, &serde_json::json!({"sub": "x"})).is_ok());
        let other = TokenSigner::new(&OutboxKey::generate(&SeededRandom::new(8)));
        assert!(matches!(
            other.sign(&key, &serde_json::json!({})),
            Err(SigningError::Unseal)
        ));
        let moved = SigningKeyRecord {
            kid: "b".into(),
            ..key.clone()
        };
        assert!(matches!(
            signer.sign(&moved, &serde_json::json!({})),
            Err(SigningError::Unseal)
        ));
    }

    #[test]
    fn a_signature_verifies_with_the_published_point() {
        use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
        let signer = signer();
        let key = signer.make_key("a".into(), at(0), at(0)).unwrap();
        let jws = signer.sign(&key, &serde_json::json!({"sub": "x"})).unwrap();
        let (signed, signature) = jws.rsplit_once('.').unwrap();
        let mut point = vec![4u8];
        point.extend(URL_SAFE_NO_PAD.decode(&key.x).unwrap());
        point.extend(URL_SAFE_NO_PAD.decode(&key.y).unwrap());
        let public = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point);
        let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
        assert!(public.verify(signed.as_bytes(), &signature).is_ok());
        let mut tampered = signed.to_owned();
        tampered.push('A');
        assert!(public.verify(tampered.as_bytes(), &signature).is_err());
    }
}
