//! The password-reset function: a person asks for a link, opens its page and chooses a new
//! password; an admin resets a member's password.
//!
//! The forgot and reset routes take JSON from API clients and form posts from the pages; a form
//! is answered with a page in the person's language, JSON with JSON or problem+json.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, extract::State};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use usher_core::app::App;
use usher_core::domain::{AccountId, EmailAddress, Locale, TenantId};
use usher_core::http::{
    ApiJson, ApiPath, BearerErrors, ClientAddress, JsonBodyErrors, JsonOrForm, PreferredLocale,
    Problem, ProblemDoc, TenantBearer, finish_router, mount,
};
use usher_core::pages::{FormError, ResetPage};
use usher_core::records::TokenKind;
use usher_core::usecases::admin_reset_password::{self, AdminResetMode, AdminResetOutcome};
use usher_core::usecases::forgot_password::request_password_reset;
use usher_core::usecases::password_links::{self, LinkStatus};
use usher_core::usecases::reset_password::{self, ResetPassword, ResetPasswordError};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This function's routes, each declared once, by its handler's `#[utoipa::path]`: the router
/// and this function's part of the OpenAPI document (`api().into_openapi()`) are both made from
/// it.
pub fn api() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(forgot))
        .routes(routes!(reset))
        .routes(routes!(reset_page))
        .routes(routes!(forgot_page))
        .routes(routes!(admin_reset))
}

/// The routes as this function's Lambda serves them.
pub fn router(app: App) -> Router {
    finish_router(mount(api(), &app))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgotRequest {
    #[schema(format = "email", max_length = 254, example = "ada@example.org")]
    email: String,
}

/// The page's form: every field optional, so a form missing one gets a page, not a parse error;
/// a field the page does not have is refused, as in JSON.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForgotForm {
    #[serde(default)]
    email: String,
}

#[derive(Serialize, ToSchema)]
pub struct ForgotAccepted {
    message: &'static str,
}

/// The one answer to every well-formed request, whatever the email.
const FORGOT_ACCEPTED: ForgotAccepted = ForgotAccepted {
    message: "If an account has this email address, a link to reset its password is on its way.",
};

#[utoipa::path(post, path = "/v1/password/forgot", tag = "password",
    request_body(content(
        (ForgotRequest = "application/json"),
        (ForgotRequest = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 202, description = "The same answer, byte for byte, whether or not an account has the email; a form post is answered with a page", body = ForgotAccepted),
        (status = 400, description = "invalid_request: the body is not one JSON value, or the form does not parse", body = ProblemDoc),
        (status = 413, description = "payload_too_large: the body is over 64 KiB", body = ProblemDoc),
        (status = 415, description = "unsupported_media_type: send application/json or a form", body = ProblemDoc),
        (status = 422, description = "invalid_request: not one email address", body = ProblemDoc),
    ))]
async fn forgot(
    State(app): State<App>,
    PreferredLocale(preferred): PreferredLocale,
    body: JsonOrForm<ForgotRequest, ForgotForm>,
) -> Result<Response, Problem> {
    // The page is in the browser's language: the account's would tell whether it exists.
    let locale = preferred.unwrap_or_default();
    match body {
        JsonOrForm::Json(body) => {
            let email =
                EmailAddress::parse(&body.email).map_err(|e| Problem::invalid("email", e))?;
            request_password_reset(&app, email).await?;
            Ok((StatusCode::ACCEPTED, Json(FORGOT_ACCEPTED)).into_response())
        }
        JsonOrForm::Form(form) => match EmailAddress::parse(&form.email) {
            Ok(email) => {
                request_password_reset(&app, email).await?;
                Ok(ResetPage::LinkRequested.render(locale, &app.config))
            }
            Err(_) => Ok(ResetPage::InvalidEmail { typed: form.email }.render(locale, &app.config)),
        },
    }
}

#[utoipa::path(get, path = "/password/forgot", tag = "password",
    responses(
        (status = 200, description = "The page to ask for a reset link, in the browser's language", content_type = "text/html"),
    ))]
async fn forgot_page(
    State(app): State<App>,
    PreferredLocale(preferred): PreferredLocale,
) -> Response {
    ResetPage::RequestLink.render(preferred.unwrap_or_default(), &app.config)
}

#[utoipa::path(get, path = "/reset/{token}", tag = "password",
    params(("token" = String, Path, description = "The token from the emailed link")),
    responses(
        (status = 200, description = "The page to choose a password", content_type = "text/html"),
        (status = 404, description = "The link is unknown: a page to ask for a new one", content_type = "text/html"),
        (status = 410, description = "The link expired, was used, or the password changed since: a page to ask for a new one", content_type = "text/html"),
    ))]
async fn reset_page(
    State(app): State<App>,
    PreferredLocale(preferred): PreferredLocale,
    ApiPath(token): ApiPath<String>,
) -> Result<Response, Problem> {
    let view = password_links::inspect(&app, &token).await?;
    let locale = view.locale.or(preferred).unwrap_or_default();
    let page = match (view.status, view.email, view.kind) {
        (LinkStatus::Usable, Some(email), Some(kind)) => ResetPage::Form {
            token,
            email: email.to_string(),
            kind,
            error: None,
        },
        (status, _, _) => dead_link_page(status),
    };
    Ok(page.render(locale, &app.config))
}

fn dead_link_page(status: LinkStatus) -> ResetPage {
    match status {
        LinkStatus::Expired => ResetPage::Expired,
        LinkStatus::Superseded => ResetPage::Superseded,
        LinkStatus::Used => ResetPage::Used,
        LinkStatus::Usable | LinkStatus::Unknown => ResetPage::Unknown,
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// The token from the link `{public_url}/reset/{token}`.
    #[schema(min_length = 43, max_length = 43)]
    token: String,
    /// 12 to 256 characters by default; not guessable.
    #[schema(min_length = 8, max_length = 1024)]
    new_password: String,
}

/// The page's form. `username` is there for password managers and is ignored; a field the page
/// does not have is refused, as in JSON.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_confirm: String,
    #[serde(default, rename = "username")]
    _username: String,
}

#[utoipa::path(post, path = "/v1/password/reset", tag = "password",
    request_body(content(
        (ResetRequest = "application/json"),
        (ResetRequest = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 204, description = "The password is set and every session of the account has ended; no session is opened. A form post is answered with a page"),
        (status = 400, description = "invalid_request: the body is not one JSON value, or the form does not parse", body = ProblemDoc),
        (status = 404, description = "token_invalid", body = ProblemDoc),
        (status = 409, description = "conflict: the account changed at the same time", body = ProblemDoc),
        (status = 410, description = "token_expired (also when the password changed after the link was sent) or token_used", body = ProblemDoc),
        (status = 413, description = "payload_too_large: the body is over 64 KiB", body = ProblemDoc),
        (status = 415, description = "unsupported_media_type: send application/json or a form", body = ProblemDoc),
        (status = 422, description = "weak_password, with the reason; password_reused: the new password is the current one; invalid_request: a field is missing, unknown or malformed", body = ProblemDoc),
    ))]
async fn reset(
    State(app): State<App>,
    PreferredLocale(preferred): PreferredLocale,
    ClientAddress(client): ClientAddress,
    body: JsonOrForm<ResetRequest, ResetForm>,
) -> Result<Response, Problem> {
    match body {
        JsonOrForm::Json(body) => {
            reset_password::reset_password(
                &app,
                ResetPassword {
                    token: body.token,
                    new_password: SecretString::from(body.new_password),
                    client,
                },
            )
            .await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        JsonOrForm::Form(form) => reset_from_page(&app, preferred, client, form).await,
    }
}

async fn reset_from_page(
    app: &App,
    preferred: Option<Locale>,
    client: Option<std::net::IpAddr>,
    form: ResetForm,
) -> Result<Response, Problem> {
    let error = if form.new_password != form.new_password_confirm {
        FormError::Mismatch
    } else {
        let command = ResetPassword {
            token: form.token.clone(),
            new_password: SecretString::from(form.new_password),
            client,
        };
        match reset_password::reset_password(app, command).await {
            Ok(done) => return Ok(ResetPage::Done.render(done.locale, &app.config)),
            Err(ResetPasswordError::Weak { weak, .. }) => FormError::Weak(weak),
            Err(ResetPasswordError::Reused { .. }) => FormError::Reused,
            Err(ResetPasswordError::Conflict) => FormError::Conflict,
            Err(ResetPasswordError::Internal(e)) => return Err(e.into()),
            Err(dead) => {
                let locale = dead.locale().or(preferred).unwrap_or_default();
                let status = match dead {
                    ResetPasswordError::Expired { .. } => LinkStatus::Expired,
                    ResetPasswordError::Superseded { .. } => LinkStatus::Superseded,
                    ResetPasswordError::Used { .. } => LinkStatus::Used,
                    _ => LinkStatus::Unknown,
                };
                return Ok(dead_link_page(status).render(locale, &app.config));
            }
        }
    };
    // The form again, with what went wrong: the link is read again for its owner and wording.
    let view = password_links::inspect(app, &form.token).await?;
    let locale = view.locale.or(preferred).unwrap_or_default();
    let page = match (view.status, view.email) {
        (LinkStatus::Usable, Some(email)) => ResetPage::Form {
            token: form.token,
            email: email.to_string(),
            kind: view.kind.unwrap_or(TokenKind::PasswordReset),
            error: Some(error),
        },
        (status, _) => dead_link_page(status),
    };
    Ok(page.render(locale, &app.config))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminResetRequest {
    mode: AdminResetModeRequest,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdminResetModeRequest {
    /// Mail the person a reset link, valid 24 hours.
    Link,
    /// A temporary password, shown once here, that must be changed at the next sign-in. Only for
    /// an account that belongs to this tenant alone.
    Generate,
}

#[derive(Serialize, ToSchema)]
pub struct AdminResetLinkSent {
    /// `link`
    mode: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct AdminResetGenerated {
    /// `generate`
    mode: &'static str,
    /// Shown once; never stored in clear or mailed.
    generated_password: String,
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/users/{user_id}/password-reset", tag = "users",
    security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("user_id" = String, Path)),
    request_body = AdminResetRequest,
    responses(
        BearerErrors,
        JsonBodyErrors,
        (status = 200, description = "mode generate: every session of the account has ended", body = AdminResetGenerated),
        (status = 202, description = "mode link: the link is mailed to the account's own address", body = AdminResetLinkSent),
        (status = 403, description = "forbidden: needs admin or users.manage, and never the caller's own password (PUT /v1/me/password changes that); role_not_allowed: the user's role is above the caller's; permission_not_allowed: the user holds a permission the caller does not; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive: the caller's membership here is archived or without access; password_change_required: a session of a temporary password may only change it", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for the caller, or no such user in it", body = ProblemDoc),
        (status = 409, description = "account_shared: generate is only for accounts in this tenant alone; conflict: the account changed at the same time", body = ProblemDoc),
        (status = 422, description = "invalid_request: an unknown mode or field", body = ProblemDoc),
        (status = 429, description = "rate_limited, with Retry-After: at most 3 such mails an hour from this tenant to one person, 100 from this tenant", body = ProblemDoc),
    ))]
async fn admin_reset(
    State(app): State<App>,
    ApiPath((tenant_id, user_id)): ApiPath<(TenantId, AccountId)>,
    TenantBearer(token): TenantBearer,
    ApiJson(body): ApiJson<AdminResetRequest>,
) -> Result<Response, Problem> {
    let mode = match body.mode {
        AdminResetModeRequest::Link => AdminResetMode::Link,
        AdminResetModeRequest::Generate => AdminResetMode::Generate,
    };
    let outcome =
        admin_reset_password::admin_reset_password(&app, &token, tenant_id, user_id, mode).await?;
    Ok(match outcome {
        AdminResetOutcome::LinkSent => (
            StatusCode::ACCEPTED,
            Json(AdminResetLinkSent { mode: "link" }),
        )
            .into_response(),
        AdminResetOutcome::Generated(password) => (
            StatusCode::OK,
            Json(AdminResetGenerated {
                mode: "generate",
                generated_password: password.expose().to_owned(),
            }),
        )
            .into_response(),
    })
}
