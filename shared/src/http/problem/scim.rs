//! The routes that manage SCIM (its settings and tokens). The SCIM endpoint itself answers in
//! the SCIM error schema (`http::scim`).

use axum::http::StatusCode;

use super::Problem;
use crate::usecases::scim::ScimError;

impl From<ScimError> for Problem {
    fn from(e: ScimError) -> Self {
        let detail = e.to_string();
        match e {
            ScimError::Auth(e) => e.into(),
            ScimError::Forbidden => Problem::forbidden(detail),
            ScimError::InvalidName => Problem::invalid("name", detail),
            ScimError::InvalidRate => Problem::invalid("requests_per_second", detail),
            ScimError::InvalidGroupsParent => Problem::invalid("groups_parent", detail),
            ScimError::GroupsExist => {
                Problem::new(StatusCode::CONFLICT, "scim_groups_exist", detail)
                    .with_field("groups_parent")
            }
            ScimError::TooManyTokens => {
                Problem::new(StatusCode::CONFLICT, "too_many_scim_tokens", detail)
            }
            ScimError::NotFound => Problem::not_found(),
            ScimError::Conflict => Problem::new(StatusCode::CONFLICT, "conflict", detail),
            ScimError::Internal(e) => e.into(),
        }
    }
}
