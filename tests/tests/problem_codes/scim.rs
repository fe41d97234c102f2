//! The answers of the routes that manage SCIM (the SCIM endpoint answers in its own error
//! schema, checked by the SCIM tests and the conformance tools).

use super::*;

/// The SCIM management routes' answers: the caller's, `extra`, and with `json_body` those of
/// the body.
pub(super) fn scim(extra: Vec<ScimError>, json_body: bool) -> Vec<Answer> {
    covers(
        &[
            ScimError::Auth(AuthError::Unauthenticated),
            ScimError::Forbidden,
            ScimError::InvalidName,
            ScimError::InvalidRate,
            ScimError::InvalidGroupsParent,
            ScimError::GroupsExist,
            ScimError::TooManyTokens,
            ScimError::NotFound,
            ScimError::Conflict,
        ],
        |e| match e {
            ScimError::Auth(_) => Some(0),
            ScimError::Forbidden => Some(1),
            ScimError::InvalidName => Some(2),
            ScimError::TooManyTokens => Some(3),
            ScimError::NotFound => Some(4),
            ScimError::Conflict => Some(5),
            ScimError::InvalidRate => Some(6),
            ScimError::InvalidGroupsParent => Some(7),
            ScimError::GroupsExist => Some(8),
            ScimError::Internal(_) => None,
        },
        9,
    );
    let mut all: Vec<ScimError> = tenant_auth().into_iter().map(Into::into).collect();
    all.push(ScimError::Forbidden);
    all.extend(extra);
    let body = if json_body {
        JSON_BODY.to_vec()
    } else {
        Vec::new()
    };
    [answers(all), body, TENANT_PATH.to_vec()].concat()
}
