//! Sign in, sign out, who am I, change my password.

use axum::http::StatusCode;

use super::{Problem, rate_limited};
use crate::usecases::change_password::ChangePasswordError;
use crate::usecases::me::MeError;
use crate::usecases::sign_in::SignInError;
use crate::usecases::sign_out::SignOutError;

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
            ChangePasswordError::Reused => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "password_reused",
                e.to_string(),
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

impl From<crate::usecases::sessions::SessionsError> for Problem {
    fn from(e: crate::usecases::sessions::SessionsError) -> Self {
        use crate::usecases::sessions::SessionsError as E;
        let detail = e.to_string();
        match e {
            E::Auth(e) => e.into(),
            E::NotFound | E::MemberNotFound => Problem::not_found(),
            E::Forbidden => Problem::forbidden(detail),
            E::Grant(e) => e.into(),
            E::Conflict => Problem::new(StatusCode::CONFLICT, "conflict", detail),
            E::Internal(e) => e.into(),
        }
    }
}

impl From<crate::usecases::access_tokens::AccessTokenError> for Problem {
    fn from(e: crate::usecases::access_tokens::AccessTokenError) -> Self {
        use crate::usecases::access_tokens::AccessTokenError as E;
        match e {
            E::Auth(e) => e.into(),
            E::Internal(e) => e.into(),
        }
    }
}
