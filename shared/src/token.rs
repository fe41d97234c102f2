//! One-time secrets: session tokens and the tokens behind emailed links.
//!
//! A secret is 32 bytes from the CSPRNG, shown once as base64url, and stored only as the hex
//! SHA-256 of that text. SHA-256 (not argon2) is right here: the input has 256 bits of entropy, so
//! a fast hash loses nothing, and every request can afford it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::clock::Random;
use crate::domain::AccountId;

/// A freshly made secret. Its `Debug` hides the value, so it cannot reach a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl std::fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretToken(***)")
    }
}

/// Length of the base64url text of 32 bytes.
const SECRET_CHARS: usize = 43;

impl SecretToken {
    pub fn generate(random: &dyn Random) -> Self {
        let mut bytes = [0u8; 32];
        random.fill(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Accepts text that has exactly the shape of a token; anything else (truncated, extended,
    /// percent-encoded, padded) is refused before any lookup.
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = raw.len() == SECRET_CHARS
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && URL_SAFE_NO_PAD
                .decode(raw)
                .is_ok_and(|bytes| bytes.len() == 32);
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The only form that is ever stored.
    pub fn hash(&self) -> String {
        hex(&Sha256::digest(self.0.as_bytes()))
    }
}

/// Lower-case hex of `bytes`, as every stored hash is written.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A bearer session token: `{account id}.{secret}`. Carrying the account id lets one batch read
/// fetch the session, the account and the caller's membership together; the id is no secret, and
/// the session item binds the hash to that account, so a token with a swapped id is refused.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken {
    pub account_id: AccountId,
    pub secret: SecretToken,
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SessionToken({}.***)", self.account_id)
    }
}

impl SessionToken {
    pub fn generate(account_id: AccountId, random: &dyn Random) -> Self {
        Self {
            account_id,
            secret: SecretToken::generate(random),
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let (id, secret) = raw.split_once('.')?;
        Some(Self {
            account_id: id.parse().ok()?,
            secret: SecretToken::parse(secret)?,
        })
    }

    pub fn to_bearer(&self) -> String {
        format!("{}.{}", self.account_id, self.secret.expose())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SeededRandom;

    #[test]
    fn tokens_have_256_bits_and_are_stored_as_sha256() {
        let random = SeededRandom::new(3);
        let token = SecretToken::generate(&random);
        assert_eq!(token.expose().len(), 43);
        assert_eq!(token.hash().len(), 64);
        assert_ne!(token.hash(), token.expose());
        assert_ne!(SecretToken::generate(&random), token);
        assert_eq!(format!("{token:?}"), "SecretToken(***)");
    }

    #[test]
    fn only_exact_token_shapes_parse() {
        let random = SeededRandom::new(4);
        let token = SecretToken::generate(&random);
        let text = token.expose();
        assert_eq!(SecretToken::parse(text), Some(token.clone()));
        assert!(SecretToken::parse(&text[..42]).is_none());
        assert!(SecretToken::parse(&format!("{text}A")).is_none());
        assert!(SecretToken::parse(&format!("{}%2D", &text[..40])).is_none());
        assert!(SecretToken::parse(&format!("{text}=")).is_none());
    }

    #[test]
    fn session_tokens_carry_the_account_id() {
        let random = SeededRandom::new(5);
        let account = AccountId::from_ulid(random.ulid(chrono::Utc::now()));
        let token = SessionToken::generate(account, &random);
        let parsed = SessionToken::parse(&token.to_bearer()).unwrap();
        assert_eq!(parsed, token);
        assert!(SessionToken::parse("nonsense").is_none());
        assert!(SessionToken::parse(&format!("x.{}", token.secret.expose())).is_none());
    }
}
