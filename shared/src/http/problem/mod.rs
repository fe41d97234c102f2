//! RFC 9457 problem details. Every error a client can see is made here: this file holds the
//! type and what every capability shares; each capability's use-case errors get their status and
//! code in a file of their own beside it.

mod events;
mod imports;
mod invitations;
mod password_reset;
mod scim;
mod sessions;
mod teams;
mod tenants;
mod users;
mod webhooks;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::usecases::{AuthError, InternalError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    /// The request field the problem is about, when there is one.
    pub field: Option<String>,
    pub retry_after_seconds: Option<u64>,
    /// For a file: the row the problem is in (the header is row 1).
    pub row: Option<u32>,
    /// For an import refused for its rows: those rows.
    pub errors: Option<Box<[crate::usecases::import_users::RowReport]>>,
}

/// The body of every error response (for the OpenAPI document).
#[derive(Serialize, ToSchema)]
pub struct ProblemDoc {
    /// `urn:usher:problem:{code}`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable, snake_case: what a client branches on.
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For a file: the row the problem is in (the header is row 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u32>,
    /// For `import_invalid`: each row in error, with its code and column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<crate::usecases::import_users::RowReport>>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            field: None,
            retry_after_seconds: None,
            row: None,
            errors: None,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn invalid(field: &str, detail: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            format!("{field}: {detail}"),
        )
        .with_field(field)
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", detail)
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "There is nothing at this address.",
        )
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "A valid session token is required.",
        )
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// A server-side failure: logged with its whole chain, answered without any of it.
    pub fn internal(error: &dyn std::fmt::Debug) -> Self {
        tracing::error!(error = ?error, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on our side. Try again later.",
        )
    }
}

/// The answer every route that takes a session token gives when none works (for the document).
#[derive(utoipa::IntoResponses)]
pub enum BearerErrors {
    #[response(status = 401, description = "unauthenticated: no valid session token")]
    Unauthenticated(ProblemDoc),
}

/// The answers every route that reads a JSON body gives when it cannot read one (for the
/// document).
#[derive(utoipa::IntoResponses)]
pub enum JsonBodyErrors {
    #[response(
        status = 400,
        description = "invalid_request: the body is not one JSON value"
    )]
    NotOneValue(ProblemDoc),
    #[response(
        status = 413,
        description = "payload_too_large: the body is over 64 KiB"
    )]
    TooLarge(ProblemDoc),
    #[response(
        status = 415,
        description = "unsupported_media_type: a body that is not empty is sent as application/json (an empty body is read as `{}`)"
    )]
    NotJson(ProblemDoc),
}

impl Problem {
    /// The body this problem answers with (its status and headers aside): also what a bulk
    /// request's result shows for one item.
    pub fn doc(&self) -> ProblemDoc {
        ProblemDoc {
            kind: format!("urn:usher:problem:{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_owned(),
            field: self.field.clone(),
            row: self.row,
            errors: self.errors.as_ref().map(|e| e.to_vec()),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = self.doc();
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after_seconds {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        tracing::info!(
            status = self.status.as_u16(),
            code = self.code,
            "request refused"
        );
        response
    }
}

/// 429 with `Retry-After`, for any limit on password attempts.
pub(super) fn rate_limited(retry_after_seconds: u64) -> Problem {
    rate_limited_because(
        "Too many password attempts. Try again later.",
        retry_after_seconds,
    )
}

/// 429 with `Retry-After`, saying which limit was reached.
pub(super) fn rate_limited_because(detail: &str, retry_after_seconds: u64) -> Problem {
    Problem {
        retry_after_seconds: Some(retry_after_seconds),
        ..Problem::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", detail)
    }
}

impl From<InternalError> for Problem {
    fn from(e: InternalError) -> Self {
        Problem::internal(&e)
    }
}

impl From<AuthError> for Problem {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Unauthenticated => Problem::unauthenticated(),
            AuthError::PasswordChangeRequired => Problem::new(
                StatusCode::FORBIDDEN,
                "password_change_required",
                "Change the temporary password first (PUT /v1/me/password).",
            ),
            AuthError::TenantNotFound => Problem::not_found(),
            AuthError::MembershipInactive => Problem::new(
                StatusCode::FORBIDDEN,
                "membership_inactive",
                "Your membership in this tenant is archived or has no access.",
            ),
            AuthError::TenantSuspended => Problem::new(
                StatusCode::FORBIDDEN,
                "tenant_suspended",
                "This tenant is suspended; its owners can read why.",
            ),
            AuthError::ScopeMissing(scope) => Problem::new(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                format!("This key does not hold the scope {scope}."),
            ),
            AuthError::Storage(e) => Problem::internal(&e),
        }
    }
}
