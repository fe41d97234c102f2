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

/// The kinds of key a machine holds, each with a prefix of its own: a secret scanner (GitHub's,
/// a pre-commit hook) finds a leaked one by it, and a person reading a log line or a config file
/// knows what it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// The operator's back office (`usher_op_`).
    Operator,
    /// A tenant's API key (`usher_tk_`).
    Tenant,
}

impl KeyKind {
    pub fn prefix(self) -> &'static str {
        match self {
            KeyKind::Operator => "usher_op_",
            KeyKind::Tenant => "usher_tk_",
        }
    }
}

/// A machine key's secret: its kind's prefix, then 256 random bits (base64url). A tenant key
/// also names, before its secret, the account that made it (`usher_tk_{account id}_{secret}`),
/// so one batch read fetches the key with what its maker may do now; the id is no secret, and the
/// key's item names its maker, so a key with a swapped id is refused. Stored only as the SHA-256
/// of the random part, and found by it: a wrong secret is a missing item, whatever it resembles,
/// so a near miss costs what any miss costs.
#[derive(Clone, PartialEq, Eq)]
pub struct KeySecret {
    pub kind: KeyKind,
    /// The account that made a tenant key.
    pub maker: Option<AccountId>,
    secret: SecretToken,
}

impl std::fmt::Debug for KeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeySecret({}***)", self.kind.prefix())
    }
}

/// Length of an account id (a ULID) in a tenant key.
const ULID_CHARS: usize = 26;

impl KeySecret {
    /// An operator key.
    pub fn generate_operator(random: &dyn Random) -> Self {
        Self {
            kind: KeyKind::Operator,
            maker: None,
            secret: SecretToken::generate(random),
        }
    }

    /// A tenant key made by `maker`.
    pub fn generate_tenant(maker: AccountId, random: &dyn Random) -> Self {
        Self {
            kind: KeyKind::Tenant,
            maker: Some(maker),
            secret: SecretToken::generate(random),
        }
    }

    /// A key of either kind, or `None` when `raw` has the shape of neither.
    pub fn parse(raw: &str) -> Option<Self> {
        if let Some(rest) = raw.strip_prefix(KeyKind::Operator.prefix()) {
            return Some(Self {
                kind: KeyKind::Operator,
                maker: None,
                secret: SecretToken::parse(rest)?,
            });
        }
        let rest = raw.strip_prefix(KeyKind::Tenant.prefix())?;
        let maker = rest.get(..ULID_CHARS)?.parse().ok()?;
        let secret = rest.get(ULID_CHARS..)?.strip_prefix('_')?;
        Some(Self {
            kind: KeyKind::Tenant,
            maker: Some(maker),
            secret: SecretToken::parse(secret)?,
        })
    }

    /// The text given to its holder, once.
    pub fn expose(&self) -> String {
        match self.maker {
            Some(maker) => format!("{}{maker}_{}", self.kind.prefix(), self.secret.expose()),
            None => format!("{}{}", self.kind.prefix(), self.secret.expose()),
        }
    }

    pub fn hash(&self) -> String {
        self.secret.hash()
    }
}

/// A tenant's SCIM token (`usher_scim_` and 256 random bits): what its identity provider sends
/// as `Authorization: Bearer`. Not a [`Credential`]: it opens the tenant's SCIM endpoint and
/// nothing else. Stored only as the SHA-256 of the random part.
#[derive(Clone, PartialEq, Eq)]
pub struct ScimSecret(SecretToken);

impl std::fmt::Debug for ScimSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ScimSecret({}***)", Self::PREFIX)
    }
}

impl ScimSecret {
    pub const PREFIX: &str = "usher_scim_";

    pub fn generate(random: &dyn Random) -> Self {
        Self(SecretToken::generate(random))
    }

    /// The hash a bearer text is looked up by: the token's, or, for text of another shape, a
    /// hash no token has. Every bearer costs the same read, so a near miss answers as any miss.
    pub fn lookup_hash(raw: &str) -> String {
        match raw.strip_prefix(Self::PREFIX).and_then(SecretToken::parse) {
            Some(secret) => secret.hash(),
            None => format!("not-a-token-{}", hex(&Sha256::digest(raw.as_bytes()))),
        }
    }

    /// The text given to the identity provider, once.
    pub fn expose(&self) -> String {
        format!("{}{}", Self::PREFIX, self.0.expose())
    }

    pub fn hash(&self) -> String {
        self.0.hash()
    }
}

/// What a tenant route is called with: a person's session, or a tenant's API key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    Session(SessionToken),
    Key(KeySecret),
}

impl Credential {
    /// A session token or a key; `None` for text of neither shape.
    pub fn parse(raw: &str) -> Option<Self> {
        if raw.starts_with("usher_") {
            KeySecret::parse(raw).map(Credential::Key)
        } else {
            SessionToken::parse(raw).map(Credential::Session)
        }
    }

    /// Whom a per-inviter quota counts (see `TenantCaller::quota_subject`), known before the
    /// credential is read.
    pub fn quota_subject(&self) -> String {
        match self {
            Credential::Key(key) if key.kind == KeyKind::Operator => {
                format!("OPKEY#{}", key.hash())
            }
            _ => self
                .account_id()
                .map(|id| id.to_string())
                .unwrap_or_default(),
        }
    }

    /// The account the credential acts for: the session's, or the maker of a tenant key.
    pub fn account_id(&self) -> Option<AccountId> {
        match self {
            Credential::Session(token) => Some(token.account_id),
            Credential::Key(key) => key.maker,
        }
    }
}

impl From<SessionToken> for Credential {
    fn from(token: SessionToken) -> Self {
        Credential::Session(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SeededRandom;

    #[test]
    fn a_key_secret_carries_its_prefix_and_parses_back_only_whole() {
        let random = SeededRandom::new(4);
        let key = KeySecret::generate_operator(&random);
        let text = key.expose();
        assert!(text.starts_with("usher_op_"));
        assert_eq!(text.len(), 9 + 43);
        assert_eq!(KeySecret::parse(&text), Some(key.clone()));
        assert_eq!(format!("{key:?}"), "KeySecret(usher_op_***)");
        // A tenant key names its maker.
        let maker = AccountId::from_ulid(ulid::Ulid::from_parts(1, 2));
        let tenant_key = KeySecret::generate_tenant(maker, &random);
        let tenant_text = tenant_key.expose();
        assert!(tenant_text.starts_with(&format!("usher_tk_{maker}_")));
        assert_eq!(KeySecret::parse(&tenant_text), Some(tenant_key));
        // Another kind's prefix, a character short or long, or a session token: not a key.
        assert!(KeySecret::parse(&text.replace("usher_op_", "usher_tk_")).is_none());
        assert!(KeySecret::parse(&tenant_text.replace("usher_tk_", "usher_op_")).is_none());
        assert!(KeySecret::parse(&text[..text.len() - 1]).is_none());
        assert!(KeySecret::parse(&format!("{text}A")).is_none());
        assert!(KeySecret::parse(&text[9..]).is_none());
        assert!(KeySecret::parse("usher_xx_".to_owned().as_str()).is_none());
    }

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
