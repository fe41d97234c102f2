//! Send, manage and accept invitations.

use axum::http::StatusCode;

use super::{Problem, rate_limited, rate_limited_because};
use crate::usecases::invitations::accept::AcceptError;
use crate::usecases::invitations::manage::ManageInvitationError;
use crate::usecases::invitations::send::SendInvitationError;

impl From<SendInvitationError> for Problem {
    fn from(e: SendInvitationError) -> Self {
        let detail = e.to_string();
        match e {
            SendInvitationError::Auth(e) => e.into(),
            SendInvitationError::Forbidden => Problem::forbidden(detail),
            SendInvitationError::Grant(e) => e.into(),
            SendInvitationError::AlreadyMember => {
                Problem::new(StatusCode::CONFLICT, "already_member", detail)
            }
            SendInvitationError::MemberArchived => {
                Problem::new(StatusCode::CONFLICT, "member_archived", detail)
            }
            SendInvitationError::InvitationPending => {
                Problem::new(StatusCode::CONFLICT, "invitation_pending", detail)
            }
            SendInvitationError::RateLimited {
                retry_after_seconds,
            } => rate_limited_because(
                "Too many invitations today, from this tenant or from you. Try again later.",
                retry_after_seconds,
            ),
            SendInvitationError::Conflict => Problem::new(StatusCode::CONFLICT, "conflict", detail),
            SendInvitationError::UnknownTeam(_) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_team", detail)
                    .with_field("team_ids")
            }
            SendInvitationError::Internal(e) => e.into(),
        }
    }
}

impl From<ManageInvitationError> for Problem {
    fn from(e: ManageInvitationError) -> Self {
        let detail = e.to_string();
        match e {
            ManageInvitationError::Auth(e) => e.into(),
            ManageInvitationError::Forbidden => Problem::forbidden(detail),
            ManageInvitationError::NotFound => Problem::not_found(),
            ManageInvitationError::NotPending(_) => {
                Problem::new(StatusCode::CONFLICT, "invitation_not_pending", detail)
            }
            ManageInvitationError::Superseded => {
                Problem::new(StatusCode::CONFLICT, "invitation_pending", detail)
            }
            ManageInvitationError::RateLimited {
                retry_after_seconds,
            } => rate_limited_because(
                "Too many invitations or resends today. Try again later.",
                retry_after_seconds,
            ),
            ManageInvitationError::InvalidCursor => {
                Problem::invalid("cursor", "is not a cursor this listing gave")
            }
            ManageInvitationError::Grant(e) => e.into(),
            ManageInvitationError::Conflict => {
                Problem::new(StatusCode::CONFLICT, "conflict", detail)
            }
            ManageInvitationError::Internal(e) => e.into(),
        }
    }
}

impl From<AcceptError> for Problem {
    fn from(e: AcceptError) -> Self {
        let detail = e.to_string();
        match e {
            AcceptError::Invalid => Problem::new(StatusCode::NOT_FOUND, "token_invalid", detail),
            AcceptError::Expired => Problem::new(StatusCode::GONE, "token_expired", detail),
            AcceptError::Used => Problem::new(StatusCode::GONE, "token_used", detail),
            AcceptError::Revoked => Problem::new(StatusCode::GONE, "token_revoked", detail),
            AcceptError::EmailMismatch { .. } => {
                Problem::new(StatusCode::FORBIDDEN, "email_mismatch", detail).with_field("email")
            }
            AcceptError::InvalidCredentials => Problem::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "The email or password is wrong.",
            ),
            AcceptError::RateLimited {
                retry_after_seconds,
            } => rate_limited(retry_after_seconds),
            AcceptError::AccountExists => {
                Problem::new(StatusCode::CONFLICT, "account_exists", detail).with_field("email")
            }
            AcceptError::PasswordRequired | AcceptError::PasswordNotYours => {
                Problem::invalid("password", detail)
            }
            AcceptError::TooManyRegistrations => Problem::new(
                StatusCode::CONFLICT,
                "registrations_exhausted",
                "This invitation asked to register other addresses as often as it may. Register the invited address, or ask for an invitation to yours.",
            ),
            AcceptError::AlreadyMember => {
                Problem::new(StatusCode::CONFLICT, "already_member", detail)
            }
            AcceptError::Weak(_) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "weak_password", detail)
                    .with_field("password")
            }
            AcceptError::NewPasswordRequired => {
                Problem::new(StatusCode::CONFLICT, "new_password_required", detail)
                    .with_field("new_password")
            }
            AcceptError::WeakNewPassword(_) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "weak_password", detail)
                    .with_field("new_password")
            }
            AcceptError::NewPasswordReused => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "password_reused", detail)
                    .with_field("new_password")
            }
            AcceptError::Auth(e) => e.into(),
            AcceptError::Conflict => Problem::new(StatusCode::CONFLICT, "conflict", detail),
            AcceptError::Internal(e) => e.into(),
        }
    }
}
