//! Access tokens: a short-lived ES256 JWT minted from a session for one tenant, which any app
//! verifies through the public JWKS without calling Usher.
//!
//! The session stays the credential that is revoked: ending it (signing out, "everywhere
//! else", a password change, an admin ending the member's sessions in the tenant, archiving or
//! revoking access) stops new tokens at once, and a token already minted lives at most its
//! lifetime (5 minutes by default, 60 at most). Minting reads the caller and the keyring in one
//! batch: one round trip, and a second only when the ring is due to rotate.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{AuthError, Context, InternalError, TenantCaller};
use crate::app::App;
use crate::domain::{AccountId, Role, SessionId, TenantId};
use crate::keys;
use crate::records::{from_optional, to_item};
use crate::signing::{Jwk, KeyringRecord, SigningError};
use crate::table::{Condition, Item, Op, TransactError};
use crate::token::{Credential, SessionToken};

#[derive(Debug, thiserror::Error)]
pub enum AccessTokenError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl From<SigningError> for InternalError {
    fn from(e: SigningError) -> Self {
        InternalError::new("signing an access token", e.into())
    }
}

/// A minted token and how long it lives.
pub struct AccessToken {
    pub jwt: String,
    pub expires_in: i64,
}

/// The claims of an access token (RFC 7519 and RFC 9068's names where they exist).
#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: AccountId,
    aud: &'a str,
    exp: i64,
    iat: i64,
    jti: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<SessionId>,
    tid: TenantId,
    role: Role,
    /// What the person may do here: their own flags and what their teams grant.
    permissions: Vec<&'a str>,
    /// Their active teams here: those they are in and every team above those, so an app checks
    /// a team without walking the tree.
    teams: &'a [crate::domain::TeamId],
}

/// `POST /v1/sessions/current/token`: a token for `tenant`, where the session may act.
pub async fn mint(
    app: &App,
    token: &SessionToken,
    tenant: TenantId,
) -> Result<AccessToken, AccessTokenError> {
    let now = app.clock.now();
    let (caller, mut items) = TenantCaller::load_with(
        app,
        &Credential::Session(token.clone()),
        tenant,
        &[keys::signing_keyring()],
    )
    .await?;
    let account = caller.person()?.id;
    let ring = fresh_ring(app, items.pop().flatten(), now).await?;
    let key = ring
        .current(now)
        .ok_or_else(|| InternalError::new("signing an access token", anyhow::anyhow!("no key")))?;
    let ttl = app
        .config
        .access_token_ttl
        .min(crate::app::Config::MAX_ACCESS_TOKEN_TTL);
    let claims = Claims {
        iss: app.config.issuer(),
        sub: account,
        aud: &app.config.access_token_audience,
        exp: (now + ttl).timestamp(),
        iat: now.timestamp(),
        jti: app.random.ulid(now).to_string(),
        sid: caller.session.as_ref().and_then(|s| s.id),
        tid: caller.tenant.id,
        role: caller.rights.role,
        permissions: caller
            .rights
            .permissions
            .iter()
            .map(|p| p.as_str())
            .collect(),
        teams: &caller.team_grants.teams,
    };
    let jwt = app.signer.sign(key, &claims).map_err(InternalError::from)?;
    tracing::info!(tenant_id = %tenant, account_id = %account, kid = %key.kid, "access token minted");
    Ok(AccessToken {
        jwt,
        expires_in: ttl.num_seconds(),
    })
}

/// `GET /.well-known/jwks.json`: every key of the ring, the next one before it signs and the
/// previous one after. One read; a rotation when one is due.
pub async fn jwks(app: &App) -> Result<Vec<Jwk>, InternalError> {
    let now = app.clock.now();
    let item = app
        .table
        .get(&keys::signing_keyring())
        .await
        .context("reading the signing keys")?;
    let ring = fresh_ring(app, item, now).await?;
    Ok(ring.keys.iter().map(Jwk::from).collect())
}

/// The keyring as it must be at `now`, rotated (and stored) when due. Two requests rotating at
/// once write against the same version: the one that loses reads what the other wrote.
async fn fresh_ring(
    app: &App,
    item: Option<Item>,
    now: DateTime<Utc>,
) -> Result<KeyringRecord, InternalError> {
    let mut stored: Option<KeyringRecord> =
        from_optional(item).context("reading the signing keys")?;
    for _ in 0..3 {
        let ring = stored.clone().unwrap_or_default();
        if stored.is_some() && !ring.needs_rotation(now) {
            return Ok(ring);
        }
        let rotated = ring.rotated(now, app.config.signing_key_rotation, |active_from| {
            app.signer
                .make_key(app.random.ulid(now).to_string(), now, active_from)
        })?;
        let condition = match &stored {
            Some(ring) => Condition::VersionIs(ring.version),
            None => Condition::NotExists,
        };
        let put = Op::put_if(
            to_item(&keys::signing_keyring(), &rotated, None).context("building the keyring")?,
            condition,
        );
        match app.table.transact(vec![put]).await {
            Ok(()) => {
                tracing::info!(keys = rotated.keys.len(), "signing keys rotated");
                return Ok(rotated);
            }
            Err(TransactError::ConditionFailed { .. }) => {
                let item = app
                    .table
                    .get(&keys::signing_keyring())
                    .await
                    .context("reading the signing keys")?;
                stored = from_optional(item).context("reading the signing keys")?;
            }
            Err(other) => return Err(other).context("storing the signing keys"),
        }
    }
    Err(InternalError::new(
        "rotating the signing keys",
        anyhow::anyhow!("lost the race three times"),
    ))
}
