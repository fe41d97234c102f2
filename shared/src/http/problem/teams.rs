//! Teams and their tree.

use axum::http::StatusCode;

use super::Problem;
use crate::usecases::teams::TeamError;

impl From<TeamError> for Problem {
    fn from(e: TeamError) -> Self {
        let detail = e.to_string();
        let conflict =
            |code: &'static str| Problem::new(StatusCode::CONFLICT, code, detail.clone());
        match e {
            TeamError::Auth(e) => e.into(),
            TeamError::Forbidden => Problem::forbidden(detail),
            TeamError::NotFound => Problem::new(StatusCode::NOT_FOUND, "team_not_found", detail),
            TeamError::ParentNotFound => {
                Problem::new(StatusCode::NOT_FOUND, "team_not_found", detail)
                    .with_field("parent_id")
            }
            TeamError::NameTaken => conflict("team_name_taken").with_field("name"),
            TeamError::TooDeep => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "team_too_deep", detail)
                    .with_field("parent_id")
            }
            TeamError::Cycle => conflict("team_cycle").with_field("parent_id"),
            TeamError::SubtreeTooLarge { .. } => conflict("subtree_too_large"),
            TeamError::HasSubteams => conflict("team_has_subteams").with_field("subteams"),
            TeamError::Archived => conflict("team_archived"),
            TeamError::NotArchived => conflict("team_not_archived"),
            TeamError::NotEmpty => conflict("team_not_empty"),
            TeamError::LimitReached(_) => conflict("team_limit_reached"),
            TeamError::Grant(e) => e.into(),
            TeamError::InvalidDescription => Problem::invalid("description", detail),
            TeamError::BadCursor => Problem::invalid("cursor", detail),
            TeamError::Conflict => conflict("conflict"),
            TeamError::UserNotFound => Problem::not_found().with_field("user_id"),
            TeamError::AlreadyMember => conflict("team_member_exists").with_field("user_id"),
            TeamError::NotAMember => {
                Problem::new(StatusCode::NOT_FOUND, "team_member_not_found", detail)
            }
            TeamError::ManagedByScim => conflict("team_managed_by_scim"),
            TeamError::Internal(e) => e.into(),
        }
    }
}
