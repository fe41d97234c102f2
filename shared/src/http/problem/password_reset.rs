//! Reset links, their pages, admin-initiated resets.

use axum::http::StatusCode;

use super::Problem;
use crate::usecases::admin_reset_password::AdminResetError;
use crate::usecases::reset_password::ResetPasswordError;

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
            ResetPasswordError::Reused { .. } => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "password_reused", detail)
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
            AdminResetError::OwnPassword => Problem::forbidden(detail),
            AdminResetError::PermissionAbove(_) => {
                Problem::new(StatusCode::FORBIDDEN, "permission_not_allowed", detail)
            }
            AdminResetError::RoleAbove => {
                Problem::new(StatusCode::FORBIDDEN, "role_not_allowed", detail)
            }
            AdminResetError::NotFound => Problem::not_found(),
            AdminResetError::AccountShared => {
                Problem::new(StatusCode::CONFLICT, "account_shared", detail).with_field("mode")
            }
            AdminResetError::RateLimited {
                retry_after_seconds,
            } => Problem {
                retry_after_seconds: Some(retry_after_seconds),
                ..Problem::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", detail)
            },
            AdminResetError::Conflict => Problem::new(StatusCode::CONFLICT, "conflict", detail),
            AdminResetError::Internal(e) => e.into(),
        }
    }
}
