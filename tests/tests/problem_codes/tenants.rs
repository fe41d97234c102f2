//! The answers of the tenant routes: settings, the audit log, held senders.

use super::*;

pub(super) fn get_tenant() -> Vec<Answer> {
    let all: Vec<GetTenantError> = tenant_auth().into_iter().map(Into::into).collect();
    [answers(all), TENANT_PATH.to_vec()].concat()
}

pub(super) fn update_settings() -> Vec<Answer> {
    let mut all: Vec<UpdateSettingsError> = tenant_auth().into_iter().map(Into::into).collect();
    let invalid = vec![
        SettingsError::InvitationTtl,
        SettingsError::Domain {
            field: "inbound.allowed_domains",
            value: "x".into(),
        },
        SettingsError::UnknownPermission("x.y".into()),
        SettingsError::DuplicatePermission("x.y".into()),
        SettingsError::Label,
        SettingsError::TooMany {
            field: "inbound.addresses",
            max: 20,
        },
        SettingsError::AppUrl,
        SettingsError::InboundCap,
        SettingsError::TeamsAtCreation,
        SettingsError::TeamAddress("x@y.example".into()),
    ];
    covers(
        &invalid,
        |e| match e {
            SettingsError::InvitationTtl => Some(0),
            SettingsError::Domain { .. } => Some(1),
            SettingsError::UnknownPermission(_) => Some(2),
            SettingsError::DuplicatePermission(_) => Some(3),
            SettingsError::Label => Some(4),
            SettingsError::TooMany { .. } => Some(5),
            SettingsError::AppUrl => Some(6),
            SettingsError::InboundCap => Some(7),
            SettingsError::TeamsAtCreation => Some(8),
            SettingsError::TeamAddress(_) => Some(9),
        },
        10,
    );
    all.extend(invalid.into_iter().map(UpdateSettingsError::Invalid));
    all.extend([
        UpdateSettingsError::Forbidden,
        UpdateSettingsError::DomainNotAllowed("x.example".into()),
        UpdateSettingsError::AddressTaken,
        UpdateSettingsError::PermissionInUse {
            permission: "x.y".into(),
            members: 1,
            teams: 0,
        },
        UpdateSettingsError::Conflict,
        UpdateSettingsError::UnknownTeam {
            team: "01K".into(),
            field: "default_teams",
        },
    ]);
    covers(
        &all,
        |e| match e {
            UpdateSettingsError::Auth(_) => Some(0),
            UpdateSettingsError::Invalid(_) => Some(1),
            UpdateSettingsError::Forbidden => Some(2),
            UpdateSettingsError::DomainNotAllowed(_) => Some(3),
            UpdateSettingsError::AddressTaken => Some(4),
            UpdateSettingsError::PermissionInUse { .. } => Some(5),
            UpdateSettingsError::Conflict => Some(6),
            UpdateSettingsError::UnknownTeam { .. } => Some(7),
            UpdateSettingsError::Internal(_) => None,
        },
        8,
    );
    [answers(all), JSON_BODY.to_vec(), TENANT_PATH.to_vec()].concat()
}

pub(super) fn events_variant(e: &ListEventsError) -> Option<usize> {
    match e {
        ListEventsError::Auth(_) => Some(0),
        ListEventsError::Forbidden => Some(1),
        ListEventsError::NotFound => Some(2),
        ListEventsError::InvalidCursor => Some(3),
        ListEventsError::Internal(_) => None,
    }
}

pub(super) fn events(of_a_user: bool) -> Vec<Answer> {
    let mut all: Vec<ListEventsError> = tenant_auth().into_iter().map(Into::into).collect();
    all.extend([ListEventsError::Forbidden, ListEventsError::InvalidCursor]);
    if of_a_user {
        all.push(ListEventsError::NotFound);
        covers(&all, events_variant, 4);
    }
    [answers(all), LIST_QUERY.to_vec(), TENANT_PATH.to_vec()].concat()
}

pub(super) fn held(these: Vec<HeldError>, body: bool) -> Vec<Answer> {
    let every = vec![
        HeldError::Auth(AuthError::Unauthenticated),
        HeldError::Forbidden,
        HeldError::NotFound,
        HeldError::InvalidCursor,
        HeldError::Conflict,
    ];
    covers(
        &every,
        |e| match e {
            HeldError::Auth(_) => Some(0),
            HeldError::Forbidden => Some(1),
            HeldError::NotFound => Some(2),
            HeldError::InvalidCursor => Some(3),
            HeldError::Conflict => Some(4),
            HeldError::Internal(_) => None,
        },
        5,
    );
    let mut all: Vec<HeldError> = tenant_auth().into_iter().map(Into::into).collect();
    all.push(HeldError::Forbidden);
    all.extend(these);
    let extra = if body { JSON_BODY.to_vec() } else { Vec::new() };
    [answers(all), extra, TENANT_PATH.to_vec()].concat()
}

/// An operator route: its key check, `extra` of the use case's own, and a JSON body's refusals
/// when it reads one.
pub(super) fn tenant_directory(extra: Vec<TenantDirectoryError>, json_body: bool) -> Vec<Answer> {
    let mut all: Vec<TenantDirectoryError> = operator_auth().into_iter().map(Into::into).collect();
    all.extend(extra);
    covers(
        &[
            TenantDirectoryError::Auth(AuthError::Unauthenticated),
            TenantDirectoryError::Invalid(SettingsError::InvitationTtl),
            TenantDirectoryError::NotFound,
            TenantDirectoryError::AlreadySuspended,
            TenantDirectoryError::NotSuspended,
            TenantDirectoryError::InvalidReason,
            TenantDirectoryError::InboundAtCreation,
            TenantDirectoryError::BadCursor,
            TenantDirectoryError::Conflict,
            TenantDirectoryError::QueryTooLong,
        ],
        |e| match e {
            TenantDirectoryError::Auth(_) => Some(0),
            TenantDirectoryError::Invalid(_) => Some(1),
            TenantDirectoryError::NotFound => Some(2),
            TenantDirectoryError::AlreadySuspended => Some(3),
            TenantDirectoryError::NotSuspended => Some(4),
            TenantDirectoryError::InvalidReason => Some(5),
            TenantDirectoryError::InboundAtCreation => Some(6),
            TenantDirectoryError::BadCursor => Some(7),
            TenantDirectoryError::Conflict => Some(8),
            TenantDirectoryError::QueryTooLong => Some(9),
            TenantDirectoryError::Internal(_) => None,
        },
        10,
    );
    let body = if json_body {
        JSON_BODY.to_vec()
    } else {
        Vec::new()
    };
    [answers(all), body].concat()
}

/// A tenant API key route: the caller's checks, `extra` of the use case's own, and a JSON body's
/// refusals when it reads one.
pub(super) fn api_keys(extra: Vec<ApiKeyError>, json_body: bool) -> Vec<Answer> {
    covers(
        &[
            ApiKeyError::Auth(AuthError::Unauthenticated),
            ApiKeyError::SessionRequired,
            ApiKeyError::Forbidden,
            ApiKeyError::InvalidName,
            ApiKeyError::UnknownPermission("x.y".into()),
            ApiKeyError::PermissionNotHeld("x.y".into()),
            ApiKeyError::ExpiryInPast,
            ApiKeyError::NotFound,
            ApiKeyError::AlreadyRevoked,
        ],
        |e| match e {
            ApiKeyError::Auth(_) => Some(0),
            ApiKeyError::SessionRequired => Some(1),
            ApiKeyError::Forbidden => Some(2),
            ApiKeyError::InvalidName => Some(3),
            ApiKeyError::UnknownPermission(_) => Some(4),
            ApiKeyError::PermissionNotHeld(_) => Some(5),
            ApiKeyError::ExpiryInPast => Some(6),
            ApiKeyError::NotFound => Some(7),
            ApiKeyError::AlreadyRevoked => Some(8),
            ApiKeyError::Internal(_) => None,
        },
        9,
    );
    let mut all: Vec<ApiKeyError> = tenant_auth().into_iter().map(Into::into).collect();
    all.extend(extra);
    let body = if json_body {
        JSON_BODY.to_vec()
    } else {
        Vec::new()
    };
    [answers(all), TENANT_PATH.to_vec(), body].concat()
}

/// The self-service routes: `extra` are the examples the route can answer beyond those of every
/// self-service route.
pub(super) fn signup(extra: Vec<SignupError>) -> Vec<Answer> {
    let locale = Locale::En;
    covers(
        &[
            SignupError::Off,
            SignupError::LinkUnknown,
            SignupError::LinkExpired { locale },
            SignupError::LinkUsed { locale },
            SignupError::AccountExists { locale },
            SignupError::Weak {
                weak: weak(),
                locale,
            },
            SignupError::Conflict { locale },
            SignupError::SessionConfined,
            SignupError::RateLimited {
                retry_after_seconds: 1,
            },
            SignupError::Auth(AuthError::Unauthenticated),
        ],
        |e| match e {
            SignupError::Off => Some(0),
            SignupError::LinkUnknown => Some(1),
            SignupError::LinkExpired { .. } => Some(2),
            SignupError::LinkUsed { .. } => Some(3),
            SignupError::AccountExists { .. } => Some(4),
            SignupError::Weak { .. } => Some(5),
            SignupError::Conflict { .. } => Some(6),
            SignupError::SessionConfined => Some(7),
            SignupError::RateLimited { .. } => Some(8),
            SignupError::Auth(_) => Some(9),
            SignupError::Internal(_) => None,
        },
        10,
    );
    let mut all = vec![SignupError::Off];
    all.extend(extra);
    [answers(all), JSON_BODY.to_vec()].concat()
}
