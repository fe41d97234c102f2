//! The answers of the password-reset routes.

use super::*;

pub(super) fn reset_password() -> Vec<Answer> {
    let locale = Locale::En;
    let all = vec![
        ResetPasswordError::UnknownLink,
        ResetPasswordError::Expired { locale },
        ResetPasswordError::Superseded { locale },
        ResetPasswordError::Used { locale },
        ResetPasswordError::Weak {
            weak: weak(),
            locale,
        },
        ResetPasswordError::Reused { locale },
        ResetPasswordError::Conflict,
    ];
    covers(
        &all,
        |e| match e {
            ResetPasswordError::UnknownLink => Some(0),
            ResetPasswordError::Expired { .. } => Some(1),
            ResetPasswordError::Superseded { .. } => Some(2),
            ResetPasswordError::Used { .. } => Some(3),
            ResetPasswordError::Weak { .. } => Some(4),
            ResetPasswordError::Reused { .. } => Some(5),
            ResetPasswordError::Conflict => Some(6),
            ResetPasswordError::Internal(_) => None,
        },
        7,
    );
    [answers(all), JSON_BODY.to_vec()].concat()
}

pub(super) fn admin_reset() -> Vec<Answer> {
    let mut all: Vec<AdminResetError> = tenant_auth().into_iter().map(Into::into).collect();
    all.extend([
        AdminResetError::Forbidden,
        AdminResetError::OwnPassword,
        AdminResetError::RoleAbove,
        AdminResetError::PermissionAbove("x.y".into()),
        AdminResetError::NotFound,
        AdminResetError::AccountShared,
        AdminResetError::RateLimited {
            retry_after_seconds: 1,
        },
        AdminResetError::Conflict,
    ]);
    covers(
        &all,
        |e| match e {
            AdminResetError::Auth(_) => Some(0),
            AdminResetError::Forbidden => Some(1),
            AdminResetError::OwnPassword => Some(2),
            AdminResetError::RoleAbove => Some(3),
            AdminResetError::PermissionAbove(_) => Some(4),
            AdminResetError::NotFound => Some(5),
            AdminResetError::AccountShared => Some(6),
            AdminResetError::RateLimited { .. } => Some(7),
            AdminResetError::Conflict => Some(8),
            AdminResetError::Internal(_) => None,
        },
        9,
    );
    [answers(all), JSON_BODY.to_vec(), TENANT_PATH.to_vec()].concat()
}
