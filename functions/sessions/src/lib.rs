//! The sessions function: sign in, sign out, who am I, change my password.

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Json, Router, extract::State};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use usher_core::app::App;
use usher_core::domain::SessionId;
use usher_core::domain::{EmailAddress, Locale, PasswordAttempt, TenantId};
use usher_core::http::{
    AccountView, ApiJson, ApiPath, ApiQuery, Bearer, BearerErrors, ClientAddress, JsonBodyErrors,
    MembershipView, Problem, ProblemDoc, UserAgent, finish_router, mount, person_patch,
};
use usher_core::usecases::lifecycle;
use usher_core::usecases::sessions::{self, ClientInfo, SessionSummary};
use usher_core::usecases::{access_tokens, change_password, me, sign_in, sign_out};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The OpenAPI document of the whole service, generated from the code by the local binary and
/// checked in; a test fails when it drifts.
pub const OPENAPI_JSON: &str = include_str!("../../../openapi.json");

/// This function's routes, each declared once, by its handler's `#[utoipa::path]`: the router
/// and this function's part of the OpenAPI document (`api().into_openapi()`) are both made from
/// it.
pub fn api() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(create_session))
        .routes(routes!(delete_session))
        .routes(routes!(get_me, update_me))
        .routes(routes!(change_my_password))
        .routes(routes!(list_my_sessions, end_my_sessions))
        .routes(routes!(end_my_session))
        .routes(routes!(mint_access_token))
        .routes(routes!(jwks_document))
        .routes(routes!(discovery_document))
        .routes(routes!(openapi_document))
}

/// The routes as this function's Lambda serves them.
pub fn router(app: App) -> Router {
    finish_router(mount(api(), &app))
}

#[utoipa::path(get, path = "/v1/openapi.json", tag = "api",
    responses((status = 200, description = "This document", content_type = "application/json")))]
async fn openapi_document() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI_JSON,
    )
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeRequest {
    #[schema(min_length = 1, max_length = 100)]
    first_name: Option<String>,
    #[schema(min_length = 1, max_length = 100)]
    last_name: Option<String>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "usher_core::http::present")]
    #[schema(value_type = Option<String>, nullable, max_length = 32)]
    phone: Option<Option<String>>,
    locale: Option<Locale>,
}

#[utoipa::path(patch, path = "/v1/me", tag = "sessions", security(("bearer" = [])),
    request_body = Option<UpdateMeRequest>,
    responses(
        BearerErrors,
        JsonBodyErrors,
        (status = 200, description = "The account as changed; every tenant's list shows the new names", body = AccountView),
        (status = 403, description = "password_change_required: a session of a temporary password may only change it", body = ProblemDoc),
        (status = 409, description = "conflict: the account changed at the same time", body = ProblemDoc),
        (status = 422, description = "invalid_request: a field is unknown (email, role and the like are not the person's to change here) or malformed", body = ProblemDoc),
    ))]
async fn update_me(
    State(app): State<App>,
    Bearer(token): Bearer,
    ApiJson(body): ApiJson<UpdateMeRequest>,
) -> Result<Json<AccountView>, Problem> {
    let patch = person_patch(body.first_name, body.last_name, body.phone, body.locale)?;
    let account = lifecycle::update_me(&app, &token, patch).await?;
    Ok(Json(account.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    #[schema(format = "email", max_length = 254, example = "ada@example.org")]
    email: String,
    #[schema(max_length = 1024)]
    password: String,
    /// Refuse the sign-in unless the account has active access to this tenant.
    tenant_id: Option<String>,
}

impl SignInRequest {
    fn parse(self, origin: ClientInfo) -> Result<sign_in::SignIn, Problem> {
        let r = self;
        Ok(sign_in::SignIn {
            origin,
            email: EmailAddress::parse(&r.email).map_err(|e| Problem::invalid("email", e))?,
            password: PasswordAttempt::new(&r.password),
            tenant_id: r
                .tenant_id
                .map(|t| {
                    t.parse::<TenantId>()
                        .map_err(|_| Problem::invalid("tenant_id", "is not a tenant id"))
                })
                .transpose()?,
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct SessionCreated {
    token: String,
    expires_at: DateTime<Utc>,
    account: AccountView,
    memberships: Vec<MembershipView>,
    /// The password was a temporary one: this session may only change it.
    password_change_required: bool,
}

#[utoipa::path(post, path = "/v1/sessions", tag = "sessions", request_body = SignInRequest,
    responses(
        JsonBodyErrors,
        (status = 201, body = SessionCreated),
        (status = 401, description = "invalid_credentials: the same answer for an unknown email and a wrong password", body = ProblemDoc),
        (status = 403, description = "membership_inactive: the account has no active access to the tenant_id asked for", body = ProblemDoc),
        (status = 422, description = "invalid_request: a field is missing, unknown or malformed (`field` names it)", body = ProblemDoc),
        (status = 429, description = "rate_limited, with Retry-After: too many attempts for this email from this address, for this email, or failures from this address", body = ProblemDoc),
    ))]
async fn create_session(
    State(app): State<App>,
    ClientAddress(client): ClientAddress,
    UserAgent(user_agent): UserAgent,
    ApiJson(body): ApiJson<SignInRequest>,
) -> Result<impl IntoResponse, Problem> {
    let origin = ClientInfo::new(client, user_agent.as_deref());
    let signed_in = sign_in::sign_in(&app, body.parse(origin)?).await?;
    Ok((
        StatusCode::CREATED,
        Json(SessionCreated {
            token: signed_in.token.to_bearer(),
            expires_at: signed_in.expires_at,
            account: signed_in.account.into(),
            memberships: signed_in.memberships.into_iter().map(Into::into).collect(),
            password_change_required: signed_in.password_change_required,
        }),
    ))
}

#[utoipa::path(delete, path = "/v1/sessions/current", tag = "sessions", security(("bearer" = [])),
    responses((status = 204), BearerErrors))]
async fn delete_session(
    State(app): State<App>,
    Bearer(token): Bearer,
) -> Result<StatusCode, Problem> {
    sign_out::sign_out(&app, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct MeResponse {
    account: AccountView,
    memberships: Vec<MembershipView>,
    password_change_required: bool,
}

#[utoipa::path(get, path = "/v1/me", tag = "sessions", security(("bearer" = [])),
    responses((status = 200, body = MeResponse), BearerErrors))]
async fn get_me(
    State(app): State<App>,
    Bearer(token): Bearer,
) -> Result<Json<MeResponse>, Problem> {
    let me = me::me(&app, &token).await?;
    Ok(Json(MeResponse {
        account: me.account.into(),
        memberships: me.memberships.into_iter().map(Into::into).collect(),
        password_change_required: me.password_change_required,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    #[schema(max_length = 1024)]
    current_password: String,
    /// 12 to 256 characters by default; not guessable.
    #[schema(min_length = 8, max_length = 1024)]
    new_password: String,
}

#[utoipa::path(put, path = "/v1/me/password", tag = "sessions", security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        BearerErrors,
        JsonBodyErrors,
        (status = 204, description = "Changed; every other session of the account has ended"),
        (status = 403, description = "invalid_credentials: the current password is wrong", body = ProblemDoc),
        (status = 409, description = "conflict: the account changed at the same time", body = ProblemDoc),
        (status = 422, description = "weak_password, with the reason; password_reused: the new password is the current one; invalid_request: a field is missing, unknown or malformed", body = ProblemDoc),
        (status = 429, description = "rate_limited, with Retry-After: the same limits as sign-in", body = ProblemDoc),
    ))]
async fn change_my_password(
    State(app): State<App>,
    Bearer(token): Bearer,
    ClientAddress(client): ClientAddress,
    ApiJson(body): ApiJson<ChangePasswordRequest>,
) -> Result<StatusCode, Problem> {
    let command = change_password::ChangePassword {
        client,
        current_password: PasswordAttempt::new(&body.current_password),
        new_password: SecretString::from(body.new_password),
    };
    change_password::change_password(&app, &token, command).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One of the caller's live sessions.
#[derive(Serialize, ToSchema)]
pub struct SessionView {
    #[schema(value_type = String)]
    id: SessionId,
    created_at: DateTime<Utc>,
    /// When it last acted, to within five minutes.
    last_used_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    /// The address it was opened from, when known.
    client_address: Option<String>,
    /// The browser or program it was opened with, as it named itself (at most 256 characters).
    user_agent: Option<String>,
    /// The session making this request.
    current: bool,
    /// Opened with a password an admin of this tenant knows: it acts there alone.
    #[schema(value_type = Option<String>)]
    confined_to: Option<TenantId>,
}

impl From<SessionSummary> for SessionView {
    fn from(s: SessionSummary) -> Self {
        Self {
            id: s.id,
            created_at: s.record.created_at,
            last_used_at: s.record.last_used_at.unwrap_or(s.record.created_at),
            expires_at: s.record.expires_at,
            client_address: s.record.client_address,
            user_agent: s.record.user_agent,
            current: s.current,
            confined_to: s.record.confined_to,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SessionList {
    /// Newest first.
    items: Vec<SessionView>,
}

#[utoipa::path(get, path = "/v1/me/sessions", tag = "sessions", security(("bearer" = [])),
    responses((status = 200, description = "The caller's live sessions", body = SessionList), BearerErrors))]
async fn list_my_sessions(
    State(app): State<App>,
    Bearer(token): Bearer,
) -> Result<Json<SessionList>, Problem> {
    let items = sessions::list_mine(&app, &token).await?;
    Ok(Json(SessionList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EndSessionsQuery {
    /// `current`: end every session but the one making this request ("sign out everywhere
    /// else"). Without it, every session ends, this one too.
    except: Option<ExceptSession>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExceptSession {
    Current,
}

#[utoipa::path(delete, path = "/v1/me/sessions", tag = "sessions", security(("bearer" = [])),
    params(EndSessionsQuery),
    responses(
        BearerErrors,
        (status = 204, description = "Ended: they stop at once, and no access token is minted from them again"),
        (status = 400, description = "invalid_request: `except` is not `current`", body = ProblemDoc),
        (status = 409, description = "conflict: the account changed at the same time", body = ProblemDoc),
    ))]
async fn end_my_sessions(
    State(app): State<App>,
    Bearer(token): Bearer,
    ApiQuery(query): ApiQuery<EndSessionsQuery>,
) -> Result<StatusCode, Problem> {
    sessions::end_all_mine(&app, &token, query.except.is_some()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/v1/me/sessions/{session_id}", tag = "sessions", security(("bearer" = [])),
    params(("session_id" = String, Path, description = "A session's id, from the list")),
    responses(
        BearerErrors,
        (status = 204, description = "Ended (the current one too: that is signing out)"),
        (status = 404, description = "not_found: no live session of the caller's has this id", body = ProblemDoc),
    ))]
async fn end_my_session(
    State(app): State<App>,
    Bearer(token): Bearer,
    ApiPath(session_id): ApiPath<SessionId>,
) -> Result<StatusCode, Problem> {
    sessions::end_mine(&app, &token, session_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MintTokenRequest {
    /// The tenant the token acts in: one where this session may act.
    tenant_id: String,
}

#[derive(Serialize, ToSchema)]
pub struct AccessTokenResponse {
    /// An ES256 JWT: `iss` (the public URL), `sub` (account id), `aud`, `exp`, `iat`, `jti`,
    /// `sid` (the session's id), `tid` (tenant id), `role`, `permissions`. Verify it with the
    /// keys at `/.well-known/jwks.json`.
    access_token: String,
    /// `Bearer`.
    token_type: &'static str,
    /// Seconds it lives (5 minutes unless the deployment says otherwise; at most 60).
    expires_in: i64,
}

#[utoipa::path(post, path = "/v1/sessions/current/token", tag = "sessions", security(("bearer" = [])),
    request_body = MintTokenRequest,
    responses(
        BearerErrors,
        JsonBodyErrors,
        (status = 200, description = "A short-lived access token for the tenant", body = AccessTokenResponse),
        (status = 403, description = "tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive: the membership is archived or has no access; password_change_required: a session of a temporary password may only change it", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant, or this session may not act in it", body = ProblemDoc),
        (status = 422, description = "invalid_request: tenant_id is missing or not a tenant id", body = ProblemDoc),
    ))]
async fn mint_access_token(
    State(app): State<App>,
    Bearer(token): Bearer,
    ApiJson(body): ApiJson<MintTokenRequest>,
) -> Result<Json<AccessTokenResponse>, Problem> {
    let tenant: TenantId = body
        .tenant_id
        .parse()
        .map_err(|_| Problem::invalid("tenant_id", "is not a tenant id"))?;
    let minted = access_tokens::mint(&app, &token, tenant).await?;
    Ok(Json(AccessTokenResponse {
        access_token: minted.jwt,
        token_type: "Bearer",
        expires_in: minted.expires_in,
    }))
}

/// Public, cacheable answers (the keys and the discovery document).
fn cacheable<T: Serialize>(body: T) -> impl IntoResponse {
    (
        [(
            axum::http::header::CACHE_CONTROL,
            format!(
                "public, max-age={}",
                usher_core::signing::JWKS_MAX_AGE_SECONDS
            ),
        )],
        Json(body),
    )
}

#[derive(Serialize, ToSchema)]
pub struct JwksDocument {
    /// The previous, the current and the next signing key.
    keys: Vec<usher_core::signing::Jwk>,
}

#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "tokens",
    responses((status = 200, description = "The keys that sign access tokens (RFC 7517); cacheable for 5 minutes", body = JwksDocument)))]
async fn jwks_document(State(app): State<App>) -> Result<impl IntoResponse, Problem> {
    let keys = access_tokens::jwks(&app).await?;
    Ok(cacheable(JwksDocument { keys }))
}

/// The parts of OpenID Connect Discovery a JWT verifier reads (API Gateway's JWT authorizer
/// among them): Usher issues access tokens, not ID tokens, and has no authorization endpoint.
#[derive(Serialize, ToSchema)]
pub struct DiscoveryDocument {
    issuer: String,
    jwks_uri: String,
    id_token_signing_alg_values_supported: Vec<&'static str>,
    token_endpoint_auth_signing_alg_values_supported: Vec<&'static str>,
    subject_types_supported: Vec<&'static str>,
    response_types_supported: Vec<&'static str>,
    claims_supported: Vec<&'static str>,
}

#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "tokens",
    responses((status = 200, description = "Where the keys are and how tokens are signed; cacheable for 5 minutes", body = DiscoveryDocument)))]
async fn discovery_document(State(app): State<App>) -> impl IntoResponse {
    cacheable(DiscoveryDocument {
        issuer: app.config.issuer().to_owned(),
        jwks_uri: app.config.link("/.well-known/jwks.json"),
        id_token_signing_alg_values_supported: vec!["ES256"],
        token_endpoint_auth_signing_alg_values_supported: vec!["ES256"],
        subject_types_supported: vec!["public"],
        response_types_supported: vec!["token"],
        claims_supported: vec![
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "jti",
            "sid",
            "tid",
            "role",
            "permissions",
        ],
    })
}
