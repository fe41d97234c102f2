//! Create, list, read and change users.

use axum::http::StatusCode;

use super::Problem;
use crate::usecases::create_user::CreateUserError;
use crate::usecases::get_user::GetUserError;
use crate::usecases::grants::GrantError;
use crate::usecases::list_users::ListUsersError;

impl From<CreateUserError> for Problem {
    fn from(e: CreateUserError) -> Self {
        let detail = e.to_string();
        match e {
            CreateUserError::Auth(e) => e.into(),
            CreateUserError::Forbidden => Problem::forbidden(detail),
            CreateUserError::Grant(e) => e.into(),
            CreateUserError::WeakPassword(_) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "weak_password", detail)
                    .with_field("password.value")
            }
            CreateUserError::AlreadyMember => {
                Problem::new(StatusCode::CONFLICT, "already_member", detail)
            }
            CreateUserError::MemberArchived => {
                Problem::new(StatusCode::CONFLICT, "member_archived", detail)
            }
            CreateUserError::InvitationPending => {
                Problem::new(StatusCode::CONFLICT, "invitation_pending", detail)
            }
            CreateUserError::RateLimited {
                retry_after_seconds,
            } => super::rate_limited_because(
                "This tenant sent too many invitations today. Try again later.",
                retry_after_seconds,
            ),
            CreateUserError::Conflict => Problem::new(StatusCode::CONFLICT, "conflict", detail),
            CreateUserError::Internal(e) => e.into(),
        }
    }
}

/// The one grant rule's refusals, wherever a role or permission is given.
impl From<GrantError> for Problem {
    fn from(e: GrantError) -> Self {
        let detail = e.to_string();
        match e {
            GrantError::RoleNotAllowed(_) => {
                Problem::new(StatusCode::FORBIDDEN, "role_not_allowed", detail).with_field("role")
            }
            GrantError::UnknownPermission(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_permission",
                detail,
            )
            .with_field("permissions"),
            GrantError::PermissionNotAllowed(_) => {
                Problem::new(StatusCode::FORBIDDEN, "permission_not_allowed", detail)
                    .with_field("permissions")
            }
        }
    }
}

impl From<ListUsersError> for Problem {
    fn from(e: ListUsersError) -> Self {
        match e {
            ListUsersError::Auth(e) => e.into(),
            ListUsersError::Forbidden => Problem::forbidden(e.to_string()),
            ListUsersError::InvalidCursor => {
                Problem::invalid("cursor", "is not a cursor this listing gave")
            }
            ListUsersError::TeamNotFound => Problem::new(
                axum::http::StatusCode::NOT_FOUND,
                "team_not_found",
                e.to_string(),
            ),
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

impl From<crate::usecases::lifecycle::LifecycleError> for Problem {
    fn from(e: crate::usecases::lifecycle::LifecycleError) -> Self {
        use crate::usecases::lifecycle::LifecycleError as E;
        let detail = e.to_string();
        match e {
            E::Auth(e) => e.into(),
            E::Forbidden => Problem::forbidden(detail),
            E::NotFound => Problem::not_found(),
            E::Grant(e) => e.into(),
            E::AccountShared => Problem::new(StatusCode::CONFLICT, "account_shared", detail),
            E::LastOwner => Problem::new(StatusCode::CONFLICT, "last_owner", detail),
            E::PreconditionFailed => Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
                detail,
            ),
            E::Conflict => Problem::new(StatusCode::CONFLICT, "conflict", detail),
            E::Consent(e) => e.into(),
            E::Internal(e) => e.into(),
        }
    }
}
