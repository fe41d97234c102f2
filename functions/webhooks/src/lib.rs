//! The webhooks function: webhook endpoints and their delivery logs, a tenant's
//! (`/v1/tenants/{tenant_id}/webhooks`, for its owners and admins) and the deployment's
//! (`/v1/webhooks`, for operator keys with `webhooks.manage`, receiving every tenant's events).
//! Each route of one is the same as its twin of the other but for who may call it: both call
//! one body, with the caller as `Managed`. Deliveries themselves are outbox jobs, done by the
//! mail sender (see `usecases::webhooks`).

use axum::http::StatusCode;
use axum::{Json, Router, extract::State};
use serde::{Deserialize, Serialize};
use usher_core::app::App;
use usher_core::domain::{TenantId, WebhookId};
use usher_core::http::{
    ApiJson, ApiPath, ApiQuery, BearerErrors, JsonBodyErrors, KeyBearer, Page, Problem, ProblemDoc,
    TenantBearer, finish_router, mount, page_limit, present,
};
use usher_core::usecases::webhooks::delivery::DeliveryAttemptRecord;
use usher_core::usecases::webhooks::endpoints::{DisabledReason, Managed};
use usher_core::usecases::webhooks::replay::{self, ReplayRequest};
use usher_core::usecases::webhooks::{EndpointFields, WebhookEndpointRecord, endpoints};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This function's routes, each declared once, by its handler's `#[utoipa::path]`.
pub fn api() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(create_route, list_route))
        .routes(routes!(get_route, update_route, delete_route))
        .routes(routes!(deliveries_route))
        .routes(routes!(rotate_secret_route))
        .routes(routes!(replay_route))
        .routes(routes!(create_deployment_route, list_deployment_route))
        .routes(routes!(
            get_deployment_route,
            update_deployment_route,
            delete_deployment_route
        ))
        .routes(routes!(deliveries_deployment_route))
        .routes(routes!(rotate_secret_deployment_route))
        .routes(routes!(replay_deployment_route))
}

/// The routes as this function's Lambda serves them.
pub fn router(app: App) -> Router {
    finish_router(mount(api(), &app))
}

const FORBIDDEN: &str = "forbidden: only owners and admins (or their keys) manage webhooks; tenant_suspended; insufficient_scope; membership_inactive; password_change_required";
const OPERATOR_FORBIDDEN: &str = "insufficient_scope: the operator key lacks webhooks.manage";
const OPERATOR_UNAUTHENTICATED: &str = "unauthenticated: no valid operator key";

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// Where events are sent: `https://` (loopback `http://` in local mode only); never an
    /// address that is private, link-local or loopback, checked after DNS resolution.
    #[schema(max_length = 2000)]
    url: String,
    /// Event types of the catalogue it receives; every type when left out or empty.
    #[serde(default)]
    event_types: Vec<String>,
    #[schema(max_length = 200)]
    description: Option<String>,
    /// `true` by default.
    enabled: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhookRequest {
    url: Option<String>,
    event_types: Option<Vec<String>>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable, max_length = 200)]
    description: Option<Option<String>>,
    enabled: Option<bool>,
}

/// An endpoint, as its tenant's admins see it (never its secret).
#[derive(Serialize, ToSchema)]
pub struct WebhookView {
    #[schema(value_type = String)]
    id: WebhookId,
    url: String,
    /// Every type when empty.
    event_types: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    /// `false` once an admin turned it off, or Usher did (see `disabled_reason`).
    enabled: bool,
    /// Why Usher turned it off: `gone` (it answered `410 Gone`) or `failing` (every attempt
    /// failed for 5 days; its owners were mailed). Absent when an admin did, or it is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    disabled_reason: Option<DisabledReason>,
    /// Since when every attempt has failed; absent while it delivers.
    #[serde(skip_serializing_if = "Option::is_none")]
    failing_since: Option<chrono::DateTime<chrono::Utc>>,
    /// Until when deliveries also carry a signature with the secret before the last rotation
    /// (after it, only the current secret signs).
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_secret_valid_until: Option<chrono::DateTime<chrono::Utc>>,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<WebhookEndpointRecord> for WebhookView {
    fn from(e: WebhookEndpointRecord) -> Self {
        Self {
            id: e.id,
            url: e.url,
            event_types: e.event_types,
            description: e.description,
            enabled: e.enabled,
            disabled_reason: e.disabled_reason,
            failing_since: e.failing_since,
            previous_secret_valid_until: e.previous_secret_until,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// A new endpoint, with its signing secret: shown here only.
#[derive(Serialize, ToSchema)]
pub struct CreatedWebhookView {
    #[serde(flatten)]
    endpoint: WebhookView,
    /// `whsec_` and the base64 of 24 random bytes: verify each delivery's `webhook-signature`
    /// with it (any Standard Webhooks library does). Shown only in this answer.
    secret: String,
}

/// One delivery attempt.
#[derive(Serialize, ToSchema)]
pub struct DeliveryAttemptView {
    event_id: String,
    event_type: String,
    at: chrono::DateTime<chrono::Utc>,
    /// The receiver's HTTP status; absent when it gave no answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    success: bool,
    latency_ms: u64,
    /// The start of the answer, or why there was none.
    #[serde(skip_serializing_if = "String::is_empty")]
    excerpt: String,
}

impl From<DeliveryAttemptRecord> for DeliveryAttemptView {
    fn from(a: DeliveryAttemptRecord) -> Self {
        Self {
            event_id: a.event_id,
            event_type: a.event_type,
            at: a.at,
            status: a.status,
            success: a.success,
            latency_ms: a.latency_ms,
            excerpt: a.excerpt,
        }
    }
}

const CREATE_INVALID: &str = "invalid_request (field url: not an absolute http(s) URL, not https, credentials in it, a host that does not resolve, or one that resolves to a private, link-local, loopback or metadata address; field event_types: a type not in the catalogue; description); too_many_webhooks: 20 already";
const NOT_FOUND: &str = "not_found: no such tenant for this caller, or no such endpoint in it";
const REPLAY_NOT_FOUND: &str = "not_found: no such tenant for this caller, or no such endpoint in it; event_not_found: no such event in the tenant's log, or not one of the catalogue";

fn webhook_id(raw: &str) -> Result<WebhookId, Problem> {
    raw.parse().map_err(|_| Problem::not_found())
}

/// The path's tenant's endpoints, for a session or key of its owners and admins.
fn tenant(credential: &usher_core::token::Credential, tenant: TenantId) -> Managed<'_> {
    Managed::Tenant { credential, tenant }
}

#[derive(Serialize, ToSchema)]
pub struct WebhookList {
    /// In id (creation) order; at most 20.
    items: Vec<WebhookView>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// 1 to 200, default 50.
    limit: Option<u32>,
    cursor: Option<String>,
}

/// A new secret, shown here only.
#[derive(Serialize, ToSchema)]
pub struct RotatedSecretView {
    #[serde(flatten)]
    endpoint: WebhookView,
    /// The new `whsec_...` secret. Until `previous_secret_valid_until` (24 hours), every delivery
    /// carries two signatures, one per secret, so the receiver can switch at any moment.
    secret: String,
}

/// What to send again: one event (`event_id`), or every event from a time on (`since`, and
/// `after` to go on where an earlier answer stopped).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayWebhookRequest {
    /// `evt_...`: the `webhook-id` of a delivery, or an entry of the audit log.
    event_id: Option<String>,
    since: Option<chrono::DateTime<chrono::Utc>>,
    /// The `more_after` of the previous answer.
    after: Option<String>,
    /// For a deployment endpoint (`/v1/webhooks/{id}/replay`) only, and required there: the
    /// tenant whose events to send again.
    #[schema(value_type = Option<String>)]
    tenant_id: Option<TenantId>,
}

#[derive(Serialize, ToSchema)]
pub struct ReplayView {
    /// Deliveries filed; each is sent, and retried, like the first.
    queued: usize,
    /// Present when more events remain (at most 1,000 are filed per request): send the same
    /// `since` with this as `after`.
    #[serde(skip_serializing_if = "Option::is_none")]
    more_after: Option<String>,
}

async fn create(
    app: &App,
    managed: Managed<'_>,
    body: CreateWebhookRequest,
) -> Result<(StatusCode, Json<CreatedWebhookView>), Problem> {
    let fields = EndpointFields {
        url: Some(body.url),
        event_types: Some(body.event_types),
        description: Some(body.description),
        enabled: body.enabled,
    };
    let created = endpoints::create(app, managed, fields).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedWebhookView {
            endpoint: created.endpoint.into(),
            secret: created.secret,
        }),
    ))
}

async fn list(app: &App, managed: Managed<'_>) -> Result<Json<WebhookList>, Problem> {
    let found = endpoints::list(app, managed).await?;
    Ok(Json(WebhookList {
        items: found.into_iter().map(Into::into).collect(),
    }))
}

async fn get(app: &App, managed: Managed<'_>, id: &str) -> Result<Json<WebhookView>, Problem> {
    let id = webhook_id(id)?;
    Ok(Json(endpoints::get(app, managed, id).await?.into()))
}

async fn update(
    app: &App,
    managed: Managed<'_>,
    id: &str,
    body: UpdateWebhookRequest,
) -> Result<Json<WebhookView>, Problem> {
    let id = webhook_id(id)?;
    let fields = EndpointFields {
        url: body.url,
        event_types: body.event_types,
        description: body.description,
        enabled: body.enabled,
    };
    Ok(Json(
        endpoints::update(app, managed, id, fields).await?.into(),
    ))
}

async fn delete(app: &App, managed: Managed<'_>, id: &str) -> Result<StatusCode, Problem> {
    let id = webhook_id(id)?;
    endpoints::delete(app, managed, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn deliveries(
    app: &App,
    managed: Managed<'_>,
    id: &str,
    query: DeliveriesQuery,
) -> Result<Json<Page<DeliveryAttemptView>>, Problem> {
    let id = webhook_id(id)?;
    let limit = page_limit(query.limit)?;
    let (items, next) =
        endpoints::attempts(app, managed, id, query.cursor.as_deref(), limit).await?;
    Ok(Json(Page {
        items: items.into_iter().map(Into::into).collect(),
        next_cursor: next.map(|c| c.encode()),
    }))
}

async fn rotate_secret(
    app: &App,
    managed: Managed<'_>,
    id: &str,
) -> Result<Json<RotatedSecretView>, Problem> {
    let id = webhook_id(id)?;
    let rotated = endpoints::rotate_secret(app, managed, id).await?;
    Ok(Json(RotatedSecretView {
        endpoint: rotated.endpoint.into(),
        secret: rotated.secret,
    }))
}

async fn replay(
    app: &App,
    managed: Managed<'_>,
    id: &str,
    body: ReplayWebhookRequest,
) -> Result<(StatusCode, Json<ReplayView>), Problem> {
    let id = webhook_id(id)?;
    let request = match (body.event_id, body.since, body.after) {
        (Some(event), None, None) => ReplayRequest::Event(event),
        (None, Some(since), after) => ReplayRequest::Since { since, after },
        _ => {
            return Err(Problem::invalid(
                "since",
                "give either event_id, or since (with after to go on)",
            ));
        }
    };
    if matches!(managed, Managed::Tenant { .. }) && body.tenant_id.is_some() {
        return Err(Problem::invalid(
            "tenant_id",
            "a tenant's endpoint replays its own tenant's events: leave tenant_id out",
        ));
    }
    let replayed = replay::replay(app, managed, id, body.tenant_id, request).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(ReplayView {
            queued: replayed.queued,
            more_after: replayed.more_after,
        }),
    ))
}

// A tenant's endpoints.

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/webhooks", tag = "webhooks",
    security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path)),
    request_body = CreateWebhookRequest,
    responses(
        BearerErrors, JsonBodyErrors,
        (status = 201, description = "Registered; the secret is in this answer only", body = CreatedWebhookView),
        (status = 403, description = FORBIDDEN, body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller", body = ProblemDoc),
        (status = 409, description = "conflict: changed at the same time", body = ProblemDoc),
        (status = 422, description = CREATE_INVALID, body = ProblemDoc),
    ))]
async fn create_route(
    State(app): State<App>,
    TenantBearer(credential): TenantBearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
    ApiJson(body): ApiJson<CreateWebhookRequest>,
) -> Result<(StatusCode, Json<CreatedWebhookView>), Problem> {
    create(&app, tenant(&credential, tenant_id), body).await
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/webhooks", tag = "webhooks",
    security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path)),
    responses(
        BearerErrors,
        (status = 200, body = WebhookList),
        (status = 403, description = FORBIDDEN, body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller", body = ProblemDoc),
    ))]
async fn list_route(
    State(app): State<App>,
    TenantBearer(credential): TenantBearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
) -> Result<Json<WebhookList>, Problem> {
    list(&app, tenant(&credential, tenant_id)).await
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/webhooks/{webhook_id}", tag = "webhooks",
    security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("webhook_id" = String, Path)),
    responses(
        BearerErrors,
        (status = 200, body = WebhookView),
        (status = 403, description = FORBIDDEN, body = ProblemDoc),
        (status = 404, description = NOT_FOUND, body = ProblemDoc),
    ))]
async fn get_route(
    State(app): State<App>,
    TenantBearer(credential): TenantBearer,
    ApiPath((tenant_id, id)): ApiPath<(TenantId, String)>,
) -> Result<Json<WebhookView>, Problem> {
    get(&app, tenant(&credential, tenant_id), &id).await
}

#[utoipa::path(patch, path = "/v1/tenants/{tenant_id}/webhooks/{webhook_id}", tag = "webhooks",
    security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("webhook_id" = String, Path)),
    request_body = Option<UpdateWebhookRequest>,
    responses(
        BearerErrors, JsonBodyErrors,
        (status = 200, body = WebhookView),
        (status = 403, description = FORBIDDEN, body = ProblemDoc),
        (status = 404, description = NOT_FOUND, body = ProblemDoc),
        (status = 409, description = "conflict: changed at the same time", body = ProblemDoc),
        (status = 422, description = "invalid_request: a url, event type or description as at creation", body = ProblemDoc),
    ))]
async fn update_route(
    State(app): State<App>,
    TenantBearer(credential): TenantBearer,
    ApiPath((tenant_id, id)): ApiPath<(TenantId, String)>,
    ApiJson(body): ApiJson<UpdateWebhookRequest>,
) -> Result<Json<WebhookView>, Problem> {
    update(&app, tenant(&credential, tenant_id), &id, body).await
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/webhooks/{webhook_id}", tag = "webhooks",
    security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("webhook_id" = String, Path)),
    responses(
        BearerErrors,
        (status = 204, description = "Deleted; deliveries still waiting for it are dropped"),
        (status = 403, description = FORBIDDEN, body = ProblemDoc),
        (status = 404, description = NOT_FOUND, body = ProblemDoc),
        (status = 409, description = "conflict: changed at the same time", body = ProblemDoc),
    ))]
async fn delete_route(
    State(app): State<App>,
    TenantBearer(credential): TenantBearer,
    ApiPath((tenant_id, id)): ApiPath<(TenantId, String)>,
) -> Result<StatusCode, Problem> {
    delete(&app, tenant(&credential, tenant_id), &id).await
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/webhooks/{webhook_id}/deliveries", tag = "webhooks",
    security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("webhook_id" = String, Path), DeliveriesQuery),
    responses(
        BearerErrors,
        (status = 200, description = "The endpoint's delivery attempts of the last 30 days, newest first", body = Page<DeliveryAttemptView>),
        (status = 400, description = "invalid_request: the query string does not parse", body = ProblemDoc),
        (status = 403, description = FORBIDDEN, body = ProblemDoc),
        (status = 404, description = NOT_FOUND, body = ProblemDoc),
        (status = 422, description = "invalid_request: limit out of range, or a cursor this listing did not give", body = ProblemDoc),
    ))]
async fn deliveries_route(
    State(app): State<App>,
    TenantBearer(credential): TenantBearer,
    ApiPath((tenant_id, id)): ApiPath<(TenantId, String)>,
    ApiQuery(query): ApiQuery<DeliveriesQuery>,
) -> Result<Json<Page<DeliveryAttemptView>>, Problem> {
    deliveries(&app, tenant(&credential, tenant_id), &id, query).await
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/webhooks/{webhook_id}/secret", tag = "webhooks",
    security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("webhook_id" = String, Path)),
    responses(
        BearerErrors,
        (status = 200, description = "Rotated; the new secret is in this answer only", body = RotatedSecretView),
        (status = 403, description = FORBIDDEN, body = ProblemDoc),
        (status = 404, description = NOT_FOUND, body = ProblemDoc),
        (status = 409, description = "conflict: changed at the same time", body = ProblemDoc),
    ))]
async fn rotate_secret_route(
    State(app): State<App>,
    TenantBearer(credential): TenantBearer,
    ApiPath((tenant_id, id)): ApiPath<(TenantId, String)>,
) -> Result<Json<RotatedSecretView>, Problem> {
    rotate_secret(&app, tenant(&credential, tenant_id), &id).await
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/webhooks/{webhook_id}/replay", tag = "webhooks",
    security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("webhook_id" = String, Path)),
    request_body = ReplayWebhookRequest,
    responses(
        BearerErrors, JsonBodyErrors,
        (status = 202, description = "Filed: the events are delivered again, with their first `webhook-id`", body = ReplayView),
        (status = 403, description = FORBIDDEN, body = ProblemDoc),
        (status = 404, description = REPLAY_NOT_FOUND, body = ProblemDoc),
        (status = 409, description = "webhook_disabled: turn the endpoint on first", body = ProblemDoc),
        (status = 422, description = "invalid_request (field event_id: a type the endpoint does not receive; field since: give exactly one of event_id and since; field tenant_id: not for a tenant's endpoint)", body = ProblemDoc),
    ))]
async fn replay_route(
    State(app): State<App>,
    TenantBearer(credential): TenantBearer,
    ApiPath((tenant_id, id)): ApiPath<(TenantId, String)>,
    ApiJson(body): ApiJson<ReplayWebhookRequest>,
) -> Result<(StatusCode, Json<ReplayView>), Problem> {
    replay(&app, tenant(&credential, tenant_id), &id, body).await
}

// The deployment's endpoints: every tenant's events, for operator keys with webhooks.manage.

#[utoipa::path(post, path = "/v1/webhooks", tag = "operator", security(("operator_key" = [])),
    request_body = CreateWebhookRequest,
    responses(
        JsonBodyErrors,
        (status = 201, description = "Registered: it receives every tenant's events; the secret is in this answer only", body = CreatedWebhookView),
        (status = 401, description = OPERATOR_UNAUTHENTICATED, body = ProblemDoc),
        (status = 403, description = OPERATOR_FORBIDDEN, body = ProblemDoc),
        (status = 409, description = "conflict: changed at the same time", body = ProblemDoc),
        (status = 422, description = CREATE_INVALID, body = ProblemDoc),
    ))]
async fn create_deployment_route(
    State(app): State<App>,
    KeyBearer(key): KeyBearer,
    ApiJson(body): ApiJson<CreateWebhookRequest>,
) -> Result<(StatusCode, Json<CreatedWebhookView>), Problem> {
    create(&app, Managed::Deployment { key: &key }, body).await
}

#[utoipa::path(get, path = "/v1/webhooks", tag = "operator", security(("operator_key" = [])),
    responses(
        (status = 200, body = WebhookList),
        (status = 401, description = OPERATOR_UNAUTHENTICATED, body = ProblemDoc),
        (status = 403, description = OPERATOR_FORBIDDEN, body = ProblemDoc),
    ))]
async fn list_deployment_route(
    State(app): State<App>,
    KeyBearer(key): KeyBearer,
) -> Result<Json<WebhookList>, Problem> {
    list(&app, Managed::Deployment { key: &key }).await
}

#[utoipa::path(get, path = "/v1/webhooks/{webhook_id}", tag = "operator", security(("operator_key" = [])),
    params(("webhook_id" = String, Path)),
    responses(
        (status = 200, body = WebhookView),
        (status = 401, description = OPERATOR_UNAUTHENTICATED, body = ProblemDoc),
        (status = 403, description = OPERATOR_FORBIDDEN, body = ProblemDoc),
        (status = 404, description = "not_found: no such deployment endpoint", body = ProblemDoc),
    ))]
async fn get_deployment_route(
    State(app): State<App>,
    KeyBearer(key): KeyBearer,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<WebhookView>, Problem> {
    get(&app, Managed::Deployment { key: &key }, &id).await
}

#[utoipa::path(patch, path = "/v1/webhooks/{webhook_id}", tag = "operator", security(("operator_key" = [])),
    params(("webhook_id" = String, Path)),
    request_body = Option<UpdateWebhookRequest>,
    responses(
        JsonBodyErrors,
        (status = 200, body = WebhookView),
        (status = 401, description = OPERATOR_UNAUTHENTICATED, body = ProblemDoc),
        (status = 403, description = OPERATOR_FORBIDDEN, body = ProblemDoc),
        (status = 404, description = "not_found: no such deployment endpoint", body = ProblemDoc),
        (status = 409, description = "conflict: changed at the same time", body = ProblemDoc),
        (status = 422, description = "invalid_request: a url, event type or description as at creation", body = ProblemDoc),
    ))]
async fn update_deployment_route(
    State(app): State<App>,
    KeyBearer(key): KeyBearer,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateWebhookRequest>,
) -> Result<Json<WebhookView>, Problem> {
    update(&app, Managed::Deployment { key: &key }, &id, body).await
}

#[utoipa::path(delete, path = "/v1/webhooks/{webhook_id}", tag = "operator", security(("operator_key" = [])),
    params(("webhook_id" = String, Path)),
    responses(
        (status = 204, description = "Deleted; deliveries still waiting for it are dropped"),
        (status = 401, description = OPERATOR_UNAUTHENTICATED, body = ProblemDoc),
        (status = 403, description = OPERATOR_FORBIDDEN, body = ProblemDoc),
        (status = 404, description = "not_found: no such deployment endpoint", body = ProblemDoc),
        (status = 409, description = "conflict: changed at the same time", body = ProblemDoc),
    ))]
async fn delete_deployment_route(
    State(app): State<App>,
    KeyBearer(key): KeyBearer,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, Problem> {
    delete(&app, Managed::Deployment { key: &key }, &id).await
}

#[utoipa::path(get, path = "/v1/webhooks/{webhook_id}/deliveries", tag = "operator", security(("operator_key" = [])),
    params(("webhook_id" = String, Path), DeliveriesQuery),
    responses(
        (status = 200, description = "The endpoint's delivery attempts of the last 30 days, newest first", body = Page<DeliveryAttemptView>),
        (status = 400, description = "invalid_request: the query string does not parse", body = ProblemDoc),
        (status = 401, description = OPERATOR_UNAUTHENTICATED, body = ProblemDoc),
        (status = 403, description = OPERATOR_FORBIDDEN, body = ProblemDoc),
        (status = 404, description = "not_found: no such deployment endpoint", body = ProblemDoc),
        (status = 422, description = "invalid_request: limit out of range, or a cursor this listing did not give", body = ProblemDoc),
    ))]
async fn deliveries_deployment_route(
    State(app): State<App>,
    KeyBearer(key): KeyBearer,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<DeliveriesQuery>,
) -> Result<Json<Page<DeliveryAttemptView>>, Problem> {
    deliveries(&app, Managed::Deployment { key: &key }, &id, query).await
}

#[utoipa::path(post, path = "/v1/webhooks/{webhook_id}/secret", tag = "operator", security(("operator_key" = [])),
    params(("webhook_id" = String, Path)),
    responses(
        (status = 200, description = "Rotated; the new secret is in this answer only", body = RotatedSecretView),
        (status = 401, description = OPERATOR_UNAUTHENTICATED, body = ProblemDoc),
        (status = 403, description = OPERATOR_FORBIDDEN, body = ProblemDoc),
        (status = 404, description = "not_found: no such deployment endpoint", body = ProblemDoc),
        (status = 409, description = "conflict: changed at the same time", body = ProblemDoc),
    ))]
async fn rotate_secret_deployment_route(
    State(app): State<App>,
    KeyBearer(key): KeyBearer,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<RotatedSecretView>, Problem> {
    rotate_secret(&app, Managed::Deployment { key: &key }, &id).await
}

#[utoipa::path(post, path = "/v1/webhooks/{webhook_id}/replay", tag = "operator", security(("operator_key" = [])),
    params(("webhook_id" = String, Path)),
    request_body = ReplayWebhookRequest,
    responses(
        JsonBodyErrors,
        (status = 202, description = "Filed: the tenant's events are delivered again, with their first `webhook-id`", body = ReplayView),
        (status = 401, description = OPERATOR_UNAUTHENTICATED, body = ProblemDoc),
        (status = 403, description = OPERATOR_FORBIDDEN, body = ProblemDoc),
        (status = 404, description = "not_found: no such deployment endpoint; event_not_found: no such event in the tenant's log, or not one of the catalogue", body = ProblemDoc),
        (status = 409, description = "webhook_disabled: turn the endpoint on first", body = ProblemDoc),
        (status = 422, description = "invalid_request (field tenant_id: required; field event_id: a type the endpoint does not receive; field since: give exactly one of event_id and since)", body = ProblemDoc),
    ))]
async fn replay_deployment_route(
    State(app): State<App>,
    KeyBearer(key): KeyBearer,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ReplayWebhookRequest>,
) -> Result<(StatusCode, Json<ReplayView>), Problem> {
    replay(&app, Managed::Deployment { key: &key }, &id, body).await
}
