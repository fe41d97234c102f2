//! What every function does with its routes: mount them, finish the router (fallbacks, body limit),
//! and open a span per request.

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tracing::Instrument;
use utoipa_axum::router::OpenApiRouter;

use crate::app::App;

use super::{MAX_BODY_BYTES, Problem};

/// A span per request: request id, method and route (never the raw path, which may carry a
/// token), filled in later with tenant, account and status. On Lambda the request id is the
/// invocation's, so these lines join the runtime's own in CloudWatch; locally it is a new ULID.
pub fn request_span(request: &Request) -> tracing::Span {
    let request_id = request
        .extensions()
        .get::<lambda_http::Context>()
        .map(|context| context.request_id.clone())
        .unwrap_or_else(|| ulid::Ulid::new().to_string());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %request.method(),
        route = %route,
        tenant_id = tracing::field::Empty,
        account_id = tracing::field::Empty,
        operator_key_id = tracing::field::Empty,
        api_key_id = tracing::field::Empty,
        status = tracing::field::Empty,
    )
}

async fn trace(request: Request, next: Next) -> Response {
    let span = request_span(&request);
    let mut response = next.run(request).instrument(span.clone()).await;
    span.record("status", response.status().as_u16());
    span.in_scope(|| tracing::info!("request finished"));
    // Answers carry tokens and personal data: no cache may keep them, unless the route said
    // otherwise (the public keys).
    response
        .headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response.headers_mut().insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// An unknown route: a problem, or under the SCIM endpoint (whose clients read only its
/// error schema) a SCIM error.
async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/scim/") {
        return super::scim::not_found();
    }
    Problem::not_found().into_response()
}

async fn method_not_allowed() -> Problem {
    Problem::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "This route does not take that method.",
    )
}

/// A function's routes (its `api()`, declared by the handlers' annotations) on `app`, for
/// mounting beside other functions' routes, as the local server does.
pub fn mount(api: OpenApiRouter<App>, app: &App) -> Router {
    api.with_state(app.clone()).into()
}

/// Adds what every function's router needs: the body limit, problem answers for unknown routes
/// and methods, the request span and safe response headers.
pub fn finish_router(router: Router) -> Router {
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(trace))
}
