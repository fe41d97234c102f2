//! The SCIM function: directory sync for a tenant's identity provider (Microsoft Entra ID, Okta)
//! at `{public_url}/scim/v2/{tenant_id}`, and the `/v1` routes where the tenant's owners and
//! admins turn it on and make its tokens (see `usecases::scim`).
//!
//! The SCIM routes answer `application/scim+json`, with errors in the SCIM error schema; the
//! `/v1` routes answer as every other `/v1` route does.

mod discovery;
mod groups;
mod users;

use axum::http::StatusCode;
use axum::{Json, Router, extract::State};
use serde::{Deserialize, Serialize};
use usher_core::app::App;
use usher_core::domain::{ScimTokenId, TenantId};
use usher_core::http::scim::{ScimAnswer, ScimBearer, ScimFailure};
use usher_core::http::{
    ApiJson, ApiPath, BearerErrors, JsonBodyErrors, Problem, ProblemDoc, TenantBearer,
    finish_router, mount,
};
use usher_core::usecases::scim::config::{self, ScimSettingsPatch};
use usher_core::usecases::scim::{ScimCaller, ScimProtocolError, ScimTokenEntry};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This function's routes, each declared once, by its handler's `#[utoipa::path]`.
pub fn api() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(get_settings_route, update_settings_route))
        .routes(routes!(create_token_route, list_tokens_route))
        .routes(routes!(revoke_token_route))
        .routes(routes!(service_provider_config_route))
        .routes(routes!(resource_types_route))
        .routes(routes!(resource_type_route))
        .routes(routes!(schemas_route))
        .routes(routes!(schema_route))
        .routes(routes!(search_all_route))
        .routes(routes!(users::list_route, users::create_route))
        .routes(routes!(users::search_route))
        .routes(routes!(
            users::get_route,
            users::replace_route,
            users::patch_route,
            users::delete_route
        ))
        .routes(routes!(groups::list_route, groups::create_route))
        .routes(routes!(groups::search_route))
        .routes(routes!(
            groups::get_route,
            groups::replace_route,
            groups::patch_route,
            groups::delete_route
        ))
}

/// The routes as this function's Lambda serves them.
pub fn router(app: App) -> Router {
    finish_router(mount(api(), &app))
}

const FORBIDDEN: &str = "forbidden: only owners and admins (a person signed in, or the operator) manage SCIM; tenant_suspended; insufficient_scope; membership_inactive; password_change_required";

/// The caller of a SCIM route: a token of the tenant in the path, with SCIM on there. A tenant
/// id that is not one answers as a wrong token does.
pub(crate) async fn caller(
    app: &App,
    bearer: ScimBearer,
    tenant: &str,
) -> Result<ScimCaller, ScimFailure> {
    let tenant: TenantId = tenant
        .parse()
        .map_err(|_| ScimFailure(ScimProtocolError::Unauthorized))?;
    Ok(ScimCaller::load(app, bearer.0.as_deref(), tenant).await?)
}

/// The SCIM base URL of a tenant.
pub(crate) fn base(app: &App, caller: &ScimCaller) -> String {
    discovery::base(&app.config.public_url, &caller.tenant().id.to_string())
}

/// A SCIM token in its tenant's list (never its secret).
#[derive(Serialize, ToSchema)]
pub struct ScimTokenView {
    #[schema(value_type = String)]
    id: ScimTokenId,
    name: String,
    /// `account`, `operator_key`: who made it.
    created_by: usher_core::http::ActorView,
    created_at: chrono::DateTime<chrono::Utc>,
    /// To within a minute.
    last_used_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl ScimTokenView {
    fn new(entry: ScimTokenEntry, last_used_at: Option<chrono::DateTime<chrono::Utc>>) -> Self {
        Self {
            id: entry.id,
            name: entry.name,
            created_by: entry.created_by.into(),
            created_at: entry.created_at,
            last_used_at,
        }
    }
}

/// A tenant's SCIM settings.
#[derive(Serialize, ToSchema)]
pub struct ScimSettingsView {
    /// Off, every token is refused.
    enabled: bool,
    /// Whether people the identity provider creates (or lets in again) are mailed: a link to
    /// choose a password, or word that access opened.
    send_access_mail: bool,
    /// Requests per second the endpoint takes from the provider (25 unless set); past it,
    /// `429` with `Retry-After`.
    requests_per_second: u32,
    /// The team the provider's groups are made under; `null`: they are root teams.
    #[schema(value_type = Option<String>)]
    groups_parent: Option<usher_core::domain::TeamId>,
    /// What the identity provider is given as the Tenant URL.
    tenant_url: String,
    /// The active tokens, at most two.
    tokens: Vec<ScimTokenView>,
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/scim", tag = "scim", security(("bearer" = []), ("operator_key" = [])),
    params(("tenant_id" = String, Path)),
    responses(
        BearerErrors,
        (status = 200, description = "The tenant's SCIM settings, its Tenant URL and its active tokens", body = ScimSettingsView),
        (status = 403, description = FORBIDDEN, body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller", body = ProblemDoc),
    ))]
async fn get_settings_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
) -> Result<Json<ScimSettingsView>, Problem> {
    let overview = config::get(&app, &token, tenant_id).await?;
    Ok(Json(settings_view(&app, tenant_id, overview)))
}

fn settings_view(
    app: &App,
    tenant_id: TenantId,
    overview: config::ScimOverview,
) -> ScimSettingsView {
    let config = overview.config;
    ScimSettingsView {
        enabled: config.enabled,
        send_access_mail: config.send_access_mail,
        requests_per_second: config.requests_per_second,
        groups_parent: config.groups_parent,
        tenant_url: discovery::base(&app.config.public_url, &tenant_id.to_string()),
        tokens: config
            .tokens
            .into_iter()
            .zip(
                overview
                    .last_used
                    .into_iter()
                    .chain(std::iter::repeat(None)),
            )
            .map(|(entry, used)| ScimTokenView::new(entry, used))
            .collect(),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateScimSettingsRequest {
    enabled: Option<bool>,
    send_access_mail: Option<bool>,
    /// 1 to 1,000.
    #[schema(minimum = 1, maximum = 1000)]
    requests_per_second: Option<u32>,
    /// The team the provider's groups are made under (an active team it does not manage);
    /// `null` makes them root teams. Set before the provider's first group.
    #[serde(default, deserialize_with = "usher_core::http::present")]
    #[schema(value_type = Option<String>, nullable)]
    groups_parent: Option<Option<String>>,
}

#[utoipa::path(patch, path = "/v1/tenants/{tenant_id}/scim", tag = "scim", security(("bearer" = []), ("operator_key" = [])),
    params(("tenant_id" = String, Path)),
    request_body = Option<UpdateScimSettingsRequest>,
    responses(
        BearerErrors,
        JsonBodyErrors,
        (status = 200, description = "Changed (or as they were)", body = ScimSettingsView),
        (status = 403, description = FORBIDDEN, body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller", body = ProblemDoc),
        (status = 409, description = "conflict: changed at the same time; read again and retry; scim_groups_exist: groups_parent cannot change while the provider has groups", body = ProblemDoc),
        (status = 422, description = "invalid_request: a field is unknown or malformed, requests_per_second is not 1 to 1,000, or groups_parent is not an active team the provider does not manage, above the deepest level", body = ProblemDoc),
    ))]
async fn update_settings_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
    ApiJson(body): ApiJson<UpdateScimSettingsRequest>,
) -> Result<Json<ScimSettingsView>, Problem> {
    let groups_parent = match body.groups_parent {
        None => None,
        Some(None) => Some(None),
        Some(Some(raw)) => {
            Some(Some(raw.parse().map_err(|_| {
                Problem::invalid("groups_parent", "not a team id")
            })?))
        }
    };
    let patch = ScimSettingsPatch {
        enabled: body.enabled,
        send_access_mail: body.send_access_mail,
        requests_per_second: body.requests_per_second,
        groups_parent,
    };
    config::update(&app, &token, tenant_id, patch).await?;
    let overview = config::get(&app, &token, tenant_id).await?;
    Ok(Json(settings_view(&app, tenant_id, overview)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateScimTokenRequest {
    /// What it is for, e.g. "Entra ID provisioning". 1 to 100 characters.
    name: String,
}

/// A token just made: the only answer that holds its secret.
#[derive(Serialize, ToSchema)]
pub struct ScimTokenCreatedView {
    #[serde(flatten)]
    token: ScimTokenView,
    /// `usher_scim_...`: the Secret Token the identity provider sends. Shown once; Usher keeps
    /// only its hash.
    secret: String,
    /// The Tenant URL to give the identity provider with it.
    tenant_url: String,
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/scim/tokens", tag = "scim", security(("bearer" = []), ("operator_key" = [])),
    params(("tenant_id" = String, Path)),
    request_body = CreateScimTokenRequest,
    responses(
        BearerErrors,
        JsonBodyErrors,
        (status = 201, description = "Made; the secret is in this answer only", body = ScimTokenCreatedView),
        (status = 403, description = FORBIDDEN, body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller", body = ProblemDoc),
        (status = 409, description = "too_many_scim_tokens: two are active, revoke one first; conflict: made at the same time as another", body = ProblemDoc),
        (status = 422, description = "invalid_request: the name is empty or too long", body = ProblemDoc),
    ))]
async fn create_token_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
    ApiJson(body): ApiJson<CreateScimTokenRequest>,
) -> Result<(StatusCode, Json<ScimTokenCreatedView>), Problem> {
    let created = config::create_token(&app, &token, tenant_id, &body.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(ScimTokenCreatedView {
            token: ScimTokenView::new(created.entry, None),
            secret: created.secret.expose(),
            tenant_url: discovery::base(&app.config.public_url, &tenant_id.to_string()),
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct ScimTokenList {
    /// The active tokens, oldest first.
    items: Vec<ScimTokenView>,
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/scim/tokens", tag = "scim", security(("bearer" = []), ("operator_key" = [])),
    params(("tenant_id" = String, Path)),
    responses(
        BearerErrors,
        (status = 200, description = "The active tokens, never their secrets", body = ScimTokenList),
        (status = 403, description = FORBIDDEN, body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller", body = ProblemDoc),
    ))]
async fn list_tokens_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
) -> Result<Json<ScimTokenList>, Problem> {
    let overview = config::get(&app, &token, tenant_id).await?;
    Ok(Json(ScimTokenList {
        items: settings_view(&app, tenant_id, overview).tokens,
    }))
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/scim/tokens/{scim_token_id}", tag = "scim", security(("bearer" = []), ("operator_key" = [])),
    params(("tenant_id" = String, Path), ("scim_token_id" = String, Path)),
    responses(
        BearerErrors,
        (status = 204, description = "Revoked: the very next request with it is refused"),
        (status = 403, description = FORBIDDEN, body = ProblemDoc),
        (status = 404, description = "not_found: no such active token in this tenant", body = ProblemDoc),
        (status = 409, description = "conflict: changed at the same time; retry", body = ProblemDoc),
    ))]
async fn revoke_token_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath((tenant_id, token_id)): ApiPath<(TenantId, ScimTokenId)>,
) -> Result<StatusCode, Problem> {
    config::revoke_token(&app, &token, tenant_id, token_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What every SCIM route may answer besides its own answers.
pub(crate) const SCIM_ERRORS: &str = "Errors are application/scim+json in the SCIM error schema: 401 for a missing, malformed, revoked or other tenant's token (or SCIM off), 400 with a scimType, 409 uniqueness, 413 above 64 KiB, 429 with Retry-After past the tenant's requests per second";

#[utoipa::path(get, path = "/scim/v2/{tenant_id}/ServiceProviderConfig", tag = "scim", security(("scim_token" = [])),
    params(("tenant_id" = String, Path)),
    responses(
        (status = 200, description = "PATCH yes, bulk no, filter (at most 100 results), sort and ETags no, bearer tokens", content_type = "application/scim+json"),
        (status = 401, description = SCIM_ERRORS, content_type = "application/scim+json"),
    ))]
async fn service_provider_config_route(
    State(app): State<App>,
    bearer: ScimBearer,
    axum::extract::Path(tenant): axum::extract::Path<String>,
) -> Result<ScimAnswer, ScimFailure> {
    let caller = caller(&app, bearer, &tenant).await?;
    Ok(ScimAnswer::ok(discovery::service_provider_config(&base(
        &app, &caller,
    ))))
}

#[utoipa::path(get, path = "/scim/v2/{tenant_id}/ResourceTypes", tag = "scim", security(("scim_token" = [])),
    params(("tenant_id" = String, Path)),
    responses(
        (status = 200, description = "User (with the enterprise extension) and Group", content_type = "application/scim+json"),
        (status = 401, description = SCIM_ERRORS, content_type = "application/scim+json"),
    ))]
async fn resource_types_route(
    State(app): State<App>,
    bearer: ScimBearer,
    axum::extract::Path(tenant): axum::extract::Path<String>,
) -> Result<ScimAnswer, ScimFailure> {
    let caller = caller(&app, bearer, &tenant).await?;
    let types = discovery::resource_types(&base(&app, &caller));
    Ok(ScimAnswer::list(types.len(), 1, types))
}

#[utoipa::path(get, path = "/scim/v2/{tenant_id}/ResourceTypes/{name}", tag = "scim", security(("scim_token" = [])),
    params(("tenant_id" = String, Path), ("name" = String, Path)),
    responses(
        (status = 200, description = "The resource type", content_type = "application/scim+json"),
        (status = 404, description = "No such resource type", content_type = "application/scim+json"),
        (status = 401, description = SCIM_ERRORS, content_type = "application/scim+json"),
    ))]
async fn resource_type_route(
    State(app): State<App>,
    bearer: ScimBearer,
    axum::extract::Path((tenant, name)): axum::extract::Path<(String, String)>,
) -> Result<ScimAnswer, ScimFailure> {
    let caller = caller(&app, bearer, &tenant).await?;
    discovery::resource_types(&base(&app, &caller))
        .into_iter()
        .find(|t| t["id"].as_str() == Some(name.as_str()))
        .map(ScimAnswer::ok)
        .ok_or(ScimFailure(ScimProtocolError::NotFound))
}

#[utoipa::path(get, path = "/scim/v2/{tenant_id}/Schemas", tag = "scim", security(("scim_token" = [])),
    params(("tenant_id" = String, Path)),
    responses(
        (status = 200, description = "The core User schema, the enterprise extension and the core Group schema, with the attributes Usher keeps", content_type = "application/scim+json"),
        (status = 401, description = SCIM_ERRORS, content_type = "application/scim+json"),
    ))]
async fn schemas_route(
    State(app): State<App>,
    bearer: ScimBearer,
    axum::extract::Path(tenant): axum::extract::Path<String>,
) -> Result<ScimAnswer, ScimFailure> {
    let caller = caller(&app, bearer, &tenant).await?;
    let schemas = discovery::schemas(&base(&app, &caller));
    Ok(ScimAnswer::list(schemas.len(), 1, schemas))
}

#[utoipa::path(get, path = "/scim/v2/{tenant_id}/Schemas/{schema_id}", tag = "scim", security(("scim_token" = [])),
    params(("tenant_id" = String, Path), ("schema_id" = String, Path, description = "A schema's URN")),
    responses(
        (status = 200, description = "The schema", content_type = "application/scim+json"),
        (status = 404, description = "No such schema", content_type = "application/scim+json"),
        (status = 401, description = SCIM_ERRORS, content_type = "application/scim+json"),
    ))]
async fn schema_route(
    State(app): State<App>,
    bearer: ScimBearer,
    axum::extract::Path((tenant, id)): axum::extract::Path<(String, String)>,
) -> Result<ScimAnswer, ScimFailure> {
    let caller = caller(&app, bearer, &tenant).await?;
    discovery::schemas(&base(&app, &caller))
        .into_iter()
        .find(|s| s["id"].as_str() == Some(id.as_str()))
        .map(ScimAnswer::ok)
        .ok_or(ScimFailure(ScimProtocolError::NotFound))
}

/// What a request's query asks: a list's filter and page (`startIndex` 1-based, below 1 is 1;
/// `count` 0 to 100, above or none is 100), and which attributes to answer with.
pub(crate) struct Query {
    pub filter: Option<String>,
    pub start_index: usize,
    pub count: usize,
    pub attributes: Option<String>,
    pub excluded: Option<String>,
}

impl Query {
    /// A `POST .../.search` body (RFC 7644 section 3.4.3): the query's members in JSON, the
    /// attribute lists as arrays.
    pub(crate) fn from_search(body: &serde_json::Value) -> Result<Self, ScimFailure> {
        use usher_core::usecases::scim::resource::member;
        let object = body.as_object().ok_or_else(|| {
            ScimFailure(ScimProtocolError::bad(
                usher_core::usecases::scim::ScimType::InvalidSyntax,
                "a search is a JSON object",
            ))
        })?;
        let number = |name: &str| -> Result<Option<i64>, ScimFailure> {
            match member(object, name) {
                None => Ok(None),
                Some(value) => value.as_i64().map(Some).ok_or_else(|| {
                    ScimFailure(ScimProtocolError::invalid_value(format!(
                        "{name} must be an integer"
                    )))
                }),
            }
        };
        let list = |name: &str| -> Option<String> {
            member(object, name).map(|value| match value {
                serde_json::Value::Array(items) => items
                    .iter()
                    .filter_map(serde_json::Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.as_str().unwrap_or_default().to_owned(),
            })
        };
        Ok(Query {
            filter: member(object, "filter")
                .and_then(|f| f.as_str())
                .map(str::to_owned),
            start_index: usize::try_from(number("startIndex")?.unwrap_or(1).max(1)).unwrap_or(1),
            count: usize::try_from(
                number("count")?
                    .unwrap_or(usher_core::usecases::scim::users::MAX_PAGE as i64)
                    .max(0),
            )
            .unwrap_or(0),
            attributes: list("attributes"),
            excluded: list("excludedAttributes"),
        })
    }

    /// `resource` as this query's attribute lists ask for it.
    pub(crate) fn project(&self, mut resource: serde_json::Value) -> serde_json::Value {
        usher_core::http::scim::project(
            &mut resource,
            self.attributes.as_deref(),
            self.excluded.as_deref(),
        );
        resource
    }

    pub(crate) fn parse(query: Option<&str>) -> Result<Self, ScimFailure> {
        let mut parsed = Query {
            filter: None,
            start_index: 1,
            count: usher_core::usecases::scim::users::MAX_PAGE,
            attributes: None,
            excluded: None,
        };
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            let number = || {
                value.trim().parse::<i64>().map_err(|_| {
                    ScimFailure(ScimProtocolError::invalid_value(format!(
                        "{name} must be an integer"
                    )))
                })
            };
            match name.as_ref() {
                "filter" => parsed.filter = Some(value.to_string()),
                "startIndex" => parsed.start_index = usize::try_from(number()?.max(1)).unwrap_or(1),
                "count" => parsed.count = usize::try_from(number()?.max(0)).unwrap_or(0),
                "attributes" => parsed.attributes = Some(value.to_string()),
                "excludedAttributes" => parsed.excluded = Some(value.to_string()),
                _ => {}
            }
        }
        Ok(parsed)
    }
}

#[utoipa::path(post, path = "/scim/v2/{tenant_id}/.search", tag = "scim", security(("scim_token" = [])),
    params(("tenant_id" = String, Path)),
    responses(
        (status = 501, description = "Searching Users and Groups at once is not offered: search each at its own endpoint", content_type = "application/scim+json"),
        (status = 401, description = SCIM_ERRORS, content_type = "application/scim+json"),
    ))]
async fn search_all_route(
    State(app): State<App>,
    bearer: ScimBearer,
    axum::extract::Path(tenant): axum::extract::Path<String>,
) -> Result<ScimAnswer, ScimFailure> {
    caller(&app, bearer, &tenant).await?;
    Err(ScimFailure(ScimProtocolError::NotImplemented(
        "search each resource type at its own endpoint: POST /Users/.search, POST /Groups/.search"
            .to_owned(),
    )))
}
