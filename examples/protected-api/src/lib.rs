//! A service of your own, protected by Usher's access tokens.
//!
//! Your app asks Usher for a token (`POST /v1/sessions/current/token`) and sends it here as
//! `Authorization: Bearer <token>`. This service never calls Usher per request: it verifies the
//! ES256 signature with the keys from Usher's JWKS (fetched once, and again only when a token
//! names a key it has not seen, at most every [`REFRESH_AT_MOST_EVERY`]), then checks `iss`,
//! `aud` and `exp`. Only ES256 is accepted, so a token that says `none` or `HS256` is refused
//! before any key is looked at.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

/// How often an unknown `kid` may make the service fetch the JWKS again: a stream of forged
/// tokens with made-up key ids costs Usher one request per this interval, not one per token.
pub const REFRESH_AT_MOST_EVERY: Duration = Duration::from_secs(30);

/// What a verified token says.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub tid: String,
    pub role: String,
    pub permissions: Vec<String>,
    pub exp: i64,
    #[serde(default)]
    pub sid: Option<String>,
}

#[derive(Debug)]
pub enum Refused {
    /// No bearer token, or not a JWT.
    Missing,
    /// A key id Usher does not publish.
    UnknownKey,
    /// Bad signature, wrong algorithm, issuer or audience, expired.
    Invalid(jsonwebtoken::errors::Error),
    /// The JWKS could not be fetched.
    KeysUnavailable(String),
}

struct Keys {
    by_kid: HashMap<String, DecodingKey>,
    fetched_at: Option<Instant>,
}

/// Verifies Usher's access tokens for one issuer and audience.
#[derive(Clone)]
pub struct Verifier {
    issuer: String,
    audience: String,
    jwks_url: String,
    http: reqwest::Client,
    keys: Arc<RwLock<Keys>>,
}

impl Verifier {
    /// `issuer` is Usher's public URL (the tokens' `iss`); the keys are at
    /// `{issuer}/.well-known/jwks.json`.
    pub fn new(issuer: &str, audience: &str) -> Self {
        let issuer = issuer.trim_end_matches('/').to_owned();
        Self {
            jwks_url: format!("{issuer}/.well-known/jwks.json"),
            issuer,
            audience: audience.to_owned(),
            http: reqwest::Client::new(),
            keys: Arc::new(RwLock::new(Keys {
                by_kid: HashMap::new(),
                fetched_at: None,
            })),
        }
    }

    pub async fn verify(&self, token: &str) -> Result<Claims, Refused> {
        let header = decode_header(token).map_err(|_| Refused::Missing)?;
        // Only ES256: `none`, `HS256` and every other algorithm stop here.
        if header.alg != Algorithm::ES256 {
            return Err(Refused::Invalid(
                jsonwebtoken::errors::ErrorKind::InvalidAlgorithm.into(),
            ));
        }
        let kid = header.kid.ok_or(Refused::UnknownKey)?;
        let key = match self.key(&kid).await {
            Some(key) => key,
            None => {
                self.refresh().await?;
                self.key(&kid).await.ok_or(Refused::UnknownKey)?
            }
        };
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 30;
        decode::<Claims>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(Refused::Invalid)
    }

    async fn key(&self, kid: &str) -> Option<DecodingKey> {
        self.keys.read().await.by_kid.get(kid).cloned()
    }

    async fn refresh(&self) -> Result<(), Refused> {
        let mut keys = self.keys.write().await;
        if keys
            .fetched_at
            .is_some_and(|at| at.elapsed() < REFRESH_AT_MOST_EVERY)
        {
            return Ok(());
        }
        keys.fetched_at = Some(Instant::now());
        let set: JwkSet = self
            .http
            .get(&self.jwks_url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| Refused::KeysUnavailable(e.to_string()))?
            .json()
            .await
            .map_err(|e| Refused::KeysUnavailable(e.to_string()))?;
        keys.by_kid = set
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                DecodingKey::from_jwk(jwk).ok().map(|key| (kid, key))
            })
            .collect();
        Ok(())
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let (status, detail) = match &self {
            Refused::KeysUnavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "the signing keys could not be fetched".to_owned(),
            ),
            Refused::Missing => (
                StatusCode::UNAUTHORIZED,
                "a bearer token is required".into(),
            ),
            Refused::UnknownKey => (StatusCode::UNAUTHORIZED, "unknown signing key".into()),
            Refused::Invalid(e) => (StatusCode::UNAUTHORIZED, format!("invalid token: {e}")),
        };
        (
            status,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            Json(serde_json::json!({"error": detail})),
        )
            .into_response()
    }
}

async fn whoami(
    State(verifier): State<Verifier>,
    headers: HeaderMap,
) -> Result<Json<Claims>, Refused> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(Refused::Missing)?;
    verifier.verify(token.trim()).await.map(Json)
}

/// `GET /whoami`: the verified claims of the caller's token.
pub fn router(verifier: Verifier) -> Router {
    Router::new()
        .route("/whoami", get(whoami))
        .with_state(verifier)
}
