//! The answers of the team routes.

use super::*;

/// The team routes' answers: the caller's, `extra`, and with `json_body` those of the body.
pub(super) fn teams(extra: Vec<TeamError>, json_body: bool) -> Vec<Answer> {
    covers(
        &[
            TeamError::Auth(AuthError::Unauthenticated),
            TeamError::Forbidden,
            TeamError::NotFound,
            TeamError::ParentNotFound,
            TeamError::NameTaken,
            TeamError::TooDeep,
            TeamError::Cycle,
            TeamError::SubtreeTooLarge { teams: 81 },
            TeamError::HasSubteams,
            TeamError::Archived,
            TeamError::NotArchived,
            TeamError::NotEmpty,
            TeamError::LimitReached("x".into()),
            TeamError::Grant(GrantError::UnknownPermission("x.y".into())),
            TeamError::InvalidDescription,
            TeamError::BadCursor,
            TeamError::Conflict,
            TeamError::UserNotFound,
            TeamError::AlreadyMember,
            TeamError::NotAMember,
            TeamError::ManagedByScim,
        ],
        |e| match e {
            TeamError::Auth(_) => Some(0),
            TeamError::Forbidden => Some(1),
            TeamError::NotFound => Some(2),
            TeamError::ParentNotFound => Some(3),
            TeamError::NameTaken => Some(4),
            TeamError::TooDeep => Some(5),
            TeamError::Cycle => Some(6),
            TeamError::SubtreeTooLarge { .. } => Some(7),
            TeamError::HasSubteams => Some(8),
            TeamError::Archived => Some(9),
            TeamError::NotArchived => Some(10),
            TeamError::NotEmpty => Some(11),
            TeamError::LimitReached(_) => Some(12),
            TeamError::Grant(_) => Some(13),
            TeamError::InvalidDescription => Some(14),
            TeamError::BadCursor => Some(15),
            TeamError::Conflict => Some(16),
            TeamError::UserNotFound => Some(17),
            TeamError::AlreadyMember => Some(18),
            TeamError::NotAMember => Some(19),
            TeamError::ManagedByScim => Some(20),
            TeamError::Internal(_) => None,
        },
        21,
    );
    let mut all: Vec<TeamError> = tenant_auth().into_iter().map(Into::into).collect();
    all.extend(extra);
    let body = if json_body {
        JSON_BODY.to_vec()
    } else {
        Vec::new()
    };
    [answers(all), body, TENANT_PATH.to_vec()].concat()
}

/// What every write to a team can answer, with `extra`, what this one can.
pub(super) fn team_write(extra: Vec<TeamError>) -> Vec<TeamError> {
    let mut all = vec![
        TeamError::Forbidden,
        TeamError::NotFound,
        TeamError::Grant(GrantError::PermissionNotAllowed("x.y".into())),
        TeamError::Conflict,
    ];
    all.extend(extra);
    all
}
