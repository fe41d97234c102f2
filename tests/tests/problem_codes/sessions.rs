//! The answers of the session routes.

use super::*;

pub(super) fn sign_in() -> Vec<Answer> {
    let all = vec![
        SignInError::InvalidCredentials,
        SignInError::RateLimited {
            retry_after_seconds: 1,
        },
        SignInError::NoTenantAccess,
    ];
    covers(
        &all,
        |e| match e {
            SignInError::InvalidCredentials => Some(0),
            SignInError::RateLimited { .. } => Some(1),
            SignInError::NoTenantAccess => Some(2),
            SignInError::Internal(_) => None,
        },
        3,
    );
    [answers(all), JSON_BODY.to_vec()].concat()
}

pub(super) fn sign_out() -> Vec<Answer> {
    let all: Vec<SignOutError> = account_auth().into_iter().map(Into::into).collect();
    covers(
        &all,
        |e| match e {
            SignOutError::Auth(_) => Some(0),
            SignOutError::Internal(_) => None,
        },
        1,
    );
    answers(all)
}

pub(super) fn me() -> Vec<Answer> {
    let all: Vec<MeError> = account_auth().into_iter().map(Into::into).collect();
    covers(
        &all,
        |e| match e {
            MeError::Auth(_) => Some(0),
            MeError::Internal(_) => None,
        },
        1,
    );
    answers(all)
}

pub(super) fn change_password() -> Vec<Answer> {
    let mut all: Vec<ChangePasswordError> = account_auth().into_iter().map(Into::into).collect();
    all.extend([
        ChangePasswordError::WrongCurrentPassword,
        ChangePasswordError::Weak(weak()),
        ChangePasswordError::Reused,
        ChangePasswordError::RateLimited {
            retry_after_seconds: 1,
        },
        ChangePasswordError::Conflict,
    ]);
    covers(
        &all,
        |e| match e {
            ChangePasswordError::Auth(_) => Some(0),
            ChangePasswordError::WrongCurrentPassword => Some(1),
            ChangePasswordError::Weak(_) => Some(2),
            ChangePasswordError::Reused => Some(3),
            ChangePasswordError::RateLimited { .. } => Some(4),
            ChangePasswordError::Conflict => Some(5),
            ChangePasswordError::Internal(_) => None,
        },
        6,
    );
    [answers(all), JSON_BODY.to_vec()].concat()
}

pub(super) fn update_me() -> Vec<Answer> {
    let all = vec![
        LifecycleError::Auth(AuthError::Unauthenticated),
        LifecycleError::Auth(AuthError::PasswordChangeRequired),
        LifecycleError::Conflict,
    ];
    [answers(all), JSON_BODY.to_vec()].concat()
}

/// The caller's own sessions: `extra` are the route's own answers.
pub(super) fn my_sessions(extra: Vec<SessionsError>) -> Vec<Answer> {
    let mut all: Vec<SessionsError> = account_auth().into_iter().map(Into::into).collect();
    all.extend(extra);
    answers(all)
}

pub(super) fn member_sessions() -> Vec<Answer> {
    let mut all: Vec<SessionsError> = tenant_auth().into_iter().map(Into::into).collect();
    all.extend([
        SessionsError::NotFound,
        SessionsError::MemberNotFound,
        SessionsError::Forbidden,
        SessionsError::Grant(GrantError::RoleNotAllowed("owner")),
        SessionsError::Conflict,
    ]);
    covers(
        &all,
        |e| match e {
            SessionsError::Auth(_) => Some(0),
            SessionsError::NotFound => Some(1),
            SessionsError::MemberNotFound => Some(2),
            SessionsError::Forbidden => Some(3),
            SessionsError::Grant(_) => Some(4),
            SessionsError::Conflict => Some(5),
            SessionsError::Internal(_) => None,
        },
        6,
    );
    // The member sessions route never answers `NotFound` of a session id; its 404 is the
    // member's, the same code.
    [answers(all), TENANT_PATH.to_vec()].concat()
}

pub(super) fn mint_token() -> Vec<Answer> {
    // A session only: an operator key is no session, whatever its scopes.
    let all: Vec<AccessTokenError> = tenant_auth()
        .into_iter()
        .filter(|e| !matches!(e, AuthError::ScopeMissing(_)))
        .map(Into::into)
        .collect();
    covers(
        &all,
        |e| match e {
            AccessTokenError::Auth(_) => Some(0),
            AccessTokenError::Internal(_) => None,
        },
        1,
    );
    [answers(all), JSON_BODY.to_vec()].concat()
}
