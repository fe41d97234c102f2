//! RFC 9457 problem details. Every error a client can see is made here.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::settings::SettingsError;
use crate::usecases::admin_reset_password::AdminResetError;
use crate::usecases::bootstrap_tenant::BootstrapError;
use crate::usecases::change_password::ChangePasswordError;
use crate::usecases::create_user::CreateUserError;
use crate::usecases::get_tenant::GetTenantError;
use crate::usecases::get_user::GetUserError;
use crate::usecases::list_users::ListUsersError;
use crate::usecases::me::MeError;
use crate::usecases::reset_password::ResetPasswordError;
use crate::usecases::sign_in::SignInError;
use crate::usecases::sign_out::SignOutError;
use crate::usecases::update_settings::UpdateSettingsError;
use crate::usecases::{AuthError, InternalError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    /// The request field the problem is about, when there is one.
    pub field: Option<String>,
    pub retry_after_seconds: Option<u64>,
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
}

impl Problem {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            field: None,
            retry_after_seconds: None,
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

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = ProblemDoc {
            kind: format!("urn:usher:problem:{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail,
            code: self.code.to_owned(),
            field: self.field,
        };
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

fn rate_limited(retry_after_seconds: u64) -> Problem {
    Problem {
        retry_after_seconds: Some(retry_after_seconds),
        ..Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Too many password attempts. Try again later.",
        )
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
            AuthError::Storage(e) => Problem::internal(&e),
        }
    }
}

impl From<SettingsError> for Problem {
    fn from(e: SettingsError) -> Self {
        let field = match &e {
            SettingsError::InvitationTtl => "invitation_ttl_hours",
            SettingsError::Domain { field, .. } | SettingsError::TooMany { field, .. } => field,
            SettingsError::UnknownPermission(_) => "inbound.default_permissions",
            SettingsError::DuplicatePermission(_) | SettingsError::Label => "permission_catalog",
        };
        let code = if matches!(e, SettingsError::UnknownPermission(_)) {
            "unknown_permission"
        } else {
            "invalid_request"
        };
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, e.to_string()).with_field(field)
    }
}

impl From<SignInError> for Problem {
    fn from(e: SignInError) -> Self {
        match e {
            SignInError::InvalidCredentials => Problem::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "The email or password is wrong.",
            ),
            SignInError::RateLimited {
                retry_after_seconds,
            } => rate_limited(retry_after_seconds),
            SignInError::NoTenantAccess => Problem::new(
                StatusCode::FORBIDDEN,
                "membership_inactive",
                "This account has no active access to that tenant.",
            ),
            SignInError::Internal(e) => e.into(),
        }
    }
}

impl From<SignOutError> for Problem {
    fn from(e: SignOutError) -> Self {
        match e {
            SignOutError::Auth(e) => e.into(),
            SignOutError::Internal(e) => e.into(),
        }
    }
}

impl From<MeError> for Problem {
    fn from(e: MeError) -> Self {
        match e {
            MeError::Auth(e) => e.into(),
            MeError::Internal(e) => e.into(),
        }
    }
}

impl From<ChangePasswordError> for Problem {
    fn from(e: ChangePasswordError) -> Self {
        match e {
            ChangePasswordError::Auth(e) => e.into(),
            ChangePasswordError::WrongCurrentPassword => Problem::new(
                StatusCode::FORBIDDEN,
                "invalid_credentials",
                "The current password is wrong.",
            )
            .with_field("current_password"),
            ChangePasswordError::Weak(w) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "weak_password",
                w.to_string(),
            )
            .with_field("new_password"),
            ChangePasswordError::RateLimited {
                retry_after_seconds,
            } => rate_limited(retry_after_seconds),
            ChangePasswordError::Conflict => {
                Problem::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            ChangePasswordError::Internal(e) => e.into(),
        }
    }
}

impl From<CreateUserError> for Problem {
    fn from(e: CreateUserError) -> Self {
        let detail = e.to_string();
        match e {
            CreateUserError::Auth(e) => e.into(),
            CreateUserError::Forbidden => Problem::forbidden(detail),
            CreateUserError::RoleNotAllowed(_) => {
                Problem::new(StatusCode::FORBIDDEN, "role_not_allowed", detail).with_field("role")
            }
            CreateUserError::UnknownPermission(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_permission",
                detail,
            )
            .with_field("permissions"),
            CreateUserError::PermissionNotAllowed(_) => {
                Problem::new(StatusCode::FORBIDDEN, "permission_not_allowed", detail)
                    .with_field("permissions")
            }
            CreateUserError::WeakPassword(_) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "weak_password", detail)
                    .with_field("password.value")
            }
            CreateUserError::AlreadyMember => {
                Problem::new(StatusCode::CONFLICT, "already_member", detail)
            }
            CreateUserError::Conflict => Problem::new(StatusCode::CONFLICT, "conflict", detail),
            CreateUserError::Internal(e) => e.into(),
        }
    }
}

impl From<ListUsersError> for Problem {
    fn from(e: ListUsersError) -> Self {
        match e {
            ListUsersError::Auth(e) => e.into(),
            ListUsersError::Forbidden => Problem::forbidden(e.to_string()),
            ListUsersError::Internal(e) => e.into(),
        }
    }
}

impl From<GetUserError> for Problem {
    fn from(e: GetUserError) -> Self {
        match e {
            GetUserError::Auth(e) => e.into(),
            GetUserError::Forbidden => Problem::forbidden(e.to_string()),
            GetUserError::NotFound => Problem::not_found(),
        }
    }
}

impl From<GetTenantError> for Problem {
    fn from(e: GetTenantError) -> Self {
        match e {
            GetTenantError::Auth(e) => e.into(),
        }
    }
}

impl From<UpdateSettingsError> for Problem {
    fn from(e: UpdateSettingsError) -> Self {
        let detail = e.to_string();
        match e {
            UpdateSettingsError::Auth(e) => e.into(),
            UpdateSettingsError::Forbidden => Problem::forbidden(detail),
            UpdateSettingsError::Invalid(e) => e.into(),
            UpdateSettingsError::AddressTaken(_) => {
                Problem::new(StatusCode::CONFLICT, "inbound_address_taken", detail)
                    .with_field("inbound.addresses")
            }
            UpdateSettingsError::Conflict => Problem::new(StatusCode::CONFLICT, "conflict", detail),
            UpdateSettingsError::Internal(e) => e.into(),
        }
    }
}

impl From<BootstrapError> for Problem {
    fn from(e: BootstrapError) -> Self {
        match e {
            BootstrapError::Conflict => {
                Problem::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            BootstrapError::Internal(e) => e.into(),
        }
    }
}

impl From<ResetPasswordError> for Problem {
    fn from(e: ResetPasswordError) -> Self {
        let detail = e.to_string();
        match e {
            ResetPasswordError::UnknownLink => {
                Problem::new(StatusCode::NOT_FOUND, "token_invalid", detail).with_field("token")
            }
            // Superseded is expired for a client: either way, ask for a new link.
            ResetPasswordError::Expired { .. } | ResetPasswordError::Superseded { .. } => {
                Problem::new(StatusCode::GONE, "token_expired", detail).with_field("token")
            }
            ResetPasswordError::Used { .. } => {
                Problem::new(StatusCode::GONE, "token_used", detail).with_field("token")
            }
            ResetPasswordError::Weak { .. } => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "weak_password", detail)
                    .with_field("new_password")
            }
            ResetPasswordError::Conflict => Problem::new(StatusCode::CONFLICT, "conflict", detail),
            ResetPasswordError::Internal(e) => e.into(),
        }
    }
}

impl From<AdminResetError> for Problem {
    fn from(e: AdminResetError) -> Self {
        let detail = e.to_string();
        match e {
            AdminResetError::Auth(e) => e.into(),
            AdminResetError::Forbidden => Problem::forbidden(detail),
            AdminResetError::RoleAbove => {
                Problem::new(StatusCode::FORBIDDEN, "role_not_allowed", detail)
            }
            AdminResetError::NotFound => Problem::not_found(),
            AdminResetError::AccountShared => {
                Problem::new(StatusCode::CONFLICT, "account_shared", detail).with_field("mode")
            }
            AdminResetError::Conflict => Problem::new(StatusCode::CONFLICT, "conflict", detail),
            AdminResetError::Internal(e) => e.into(),
        }
    }
}
