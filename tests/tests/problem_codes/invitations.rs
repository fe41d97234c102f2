//! The answers of the invitation routes.

use super::*;

/// The query string of a listing: unparseable (400), a limit or cursor out of range (422).
pub(super) const LIST_QUERY: [Answer; 2] = [(400, "invalid_request"), (422, "invalid_request")];

pub(super) fn send_invitation() -> Vec<Answer> {
    let mut all: Vec<SendInvitationError> = tenant_auth().into_iter().map(Into::into).collect();
    all.extend([
        SendInvitationError::Forbidden,
        SendInvitationError::Grant(GrantError::RoleNotAllowed("owner")),
        SendInvitationError::Grant(GrantError::UnknownPermission("x.y".into())),
        SendInvitationError::Grant(GrantError::PermissionNotAllowed("x.y".into())),
        SendInvitationError::AlreadyMember,
        SendInvitationError::MemberArchived,
        SendInvitationError::InvitationPending,
        SendInvitationError::RateLimited {
            retry_after_seconds: 1,
        },
        SendInvitationError::Conflict,
        SendInvitationError::UnknownTeam("01K".into()),
    ]);
    covers(
        &all,
        |e| match e {
            SendInvitationError::Auth(_) => Some(0),
            SendInvitationError::Forbidden => Some(1),
            SendInvitationError::Grant(GrantError::RoleNotAllowed(_)) => Some(2),
            SendInvitationError::Grant(GrantError::UnknownPermission(_)) => Some(3),
            SendInvitationError::Grant(GrantError::PermissionNotAllowed(_)) => Some(4),
            SendInvitationError::AlreadyMember => Some(5),
            SendInvitationError::MemberArchived => Some(6),
            SendInvitationError::InvitationPending => Some(7),
            SendInvitationError::RateLimited { .. } => Some(8),
            SendInvitationError::Conflict => Some(9),
            SendInvitationError::UnknownTeam(_) => Some(10),
            SendInvitationError::Internal(_) => None,
        },
        11,
    );
    [answers(all), JSON_BODY.to_vec(), TENANT_PATH.to_vec()].concat()
}

/// Every error of the managing use cases, numbered.
pub(super) fn manage_variant(e: &ManageInvitationError) -> Option<usize> {
    match e {
        ManageInvitationError::Auth(_) => Some(0),
        ManageInvitationError::Forbidden => Some(1),
        ManageInvitationError::NotFound => Some(2),
        ManageInvitationError::NotPending(_) => Some(3),
        ManageInvitationError::Superseded => Some(4),
        ManageInvitationError::RateLimited { .. } => Some(5),
        ManageInvitationError::InvalidCursor => Some(6),
        ManageInvitationError::Conflict => Some(7),
        ManageInvitationError::Grant(_) => Some(8),
        ManageInvitationError::Internal(_) => None,
    }
}

/// What each managing route can answer: the caller's checks, then `these`.
pub(super) fn manage_invitation(these: Vec<ManageInvitationError>) -> Vec<Answer> {
    let mut all: Vec<ManageInvitationError> = tenant_auth().into_iter().map(Into::into).collect();
    all.push(ManageInvitationError::Forbidden);
    all.extend(these);
    [answers(all), TENANT_PATH.to_vec()].concat()
}

pub(super) fn manage_routes() -> [Vec<Answer>; 4] {
    let every = vec![
        ManageInvitationError::NotFound,
        ManageInvitationError::NotPending("revoked"),
        ManageInvitationError::Superseded,
        ManageInvitationError::RateLimited {
            retry_after_seconds: 1,
        },
        ManageInvitationError::InvalidCursor,
        ManageInvitationError::Conflict,
        ManageInvitationError::Forbidden,
        ManageInvitationError::Auth(AuthError::Unauthenticated),
        ManageInvitationError::Grant(GrantError::RoleNotAllowed("admin")),
    ];
    covers(&every, manage_variant, 9);
    use ManageInvitationError as E;
    [
        [
            manage_invitation(vec![E::InvalidCursor]),
            LIST_QUERY.to_vec(),
        ]
        .concat(),
        manage_invitation(vec![E::NotFound]),
        manage_invitation(vec![
            E::NotFound,
            E::Grant(GrantError::RoleNotAllowed("admin")),
            E::Grant(GrantError::PermissionNotAllowed("x.y".into())),
            E::NotPending("revoked"),
            E::Conflict,
        ]),
        manage_invitation(vec![
            E::NotFound,
            E::Grant(GrantError::RoleNotAllowed("admin")),
            E::Grant(GrantError::PermissionNotAllowed("x.y".into())),
            E::NotPending("revoked"),
            E::Superseded,
            E::RateLimited {
                retry_after_seconds: 1,
            },
            E::Conflict,
        ]),
    ]
}

pub(super) fn accept_variant(e: &AcceptError) -> Option<usize> {
    match e {
        AcceptError::Invalid => Some(0),
        AcceptError::Expired => Some(1),
        AcceptError::Used => Some(2),
        AcceptError::Revoked => Some(3),
        AcceptError::EmailMismatch { .. } => Some(4),
        AcceptError::InvalidCredentials => Some(5),
        AcceptError::RateLimited { .. } => Some(6),
        AcceptError::AccountExists => Some(7),
        AcceptError::AlreadyMember => Some(8),
        AcceptError::Weak(_) => Some(9),
        AcceptError::Auth(_) => Some(10),
        AcceptError::Conflict => Some(11),
        AcceptError::PasswordRequired => Some(12),
        AcceptError::PasswordNotYours => Some(13),
        AcceptError::TooManyRegistrations => Some(14),
        AcceptError::NewPasswordRequired => Some(15),
        AcceptError::NewPasswordReused => Some(16),
        AcceptError::WeakNewPassword(_) => Some(17),
        AcceptError::Internal(_) => None,
    }
}

pub(super) fn accept_invitation() -> Vec<Answer> {
    let email = usher_core::domain::EmailAddress::parse("a@example.org").unwrap();
    let all = vec![
        AcceptError::Invalid,
        AcceptError::Expired,
        AcceptError::Used,
        AcceptError::Revoked,
        AcceptError::EmailMismatch {
            invited: email.clone(),
            used: email,
        },
        AcceptError::InvalidCredentials,
        AcceptError::RateLimited {
            retry_after_seconds: 1,
        },
        AcceptError::AccountExists,
        AcceptError::AlreadyMember,
        AcceptError::Weak(weak()),
        AcceptError::Auth(AuthError::Unauthenticated),
        AcceptError::Auth(AuthError::PasswordChangeRequired),
        AcceptError::Conflict,
        AcceptError::PasswordRequired,
        AcceptError::PasswordNotYours,
        AcceptError::TooManyRegistrations,
        AcceptError::NewPasswordRequired,
        AcceptError::NewPasswordReused,
        AcceptError::WeakNewPassword(weak()),
    ];
    covers(&all, accept_variant, 18);
    [answers(all), JSON_BODY.to_vec()].concat()
}

/// Confirming a registration: the password its owner chooses; no session, no limit.
pub(super) fn confirm_registration() -> Vec<Answer> {
    let email = usher_core::domain::EmailAddress::parse("a@example.org").unwrap();
    let all = vec![
        AcceptError::Invalid,
        AcceptError::Expired,
        AcceptError::Used,
        AcceptError::Revoked,
        AcceptError::EmailMismatch {
            invited: email.clone(),
            used: email,
        },
        AcceptError::AccountExists,
        AcceptError::AlreadyMember,
        AcceptError::Weak(weak()),
        AcceptError::Conflict,
    ];
    [answers(all), JSON_BODY.to_vec()].concat()
}

pub(super) fn invitation_preview() -> Vec<Answer> {
    answers(vec![
        AcceptError::Invalid,
        AcceptError::Expired,
        AcceptError::Used,
        AcceptError::Revoked,
    ])
}
