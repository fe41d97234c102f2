//! The answers of the user routes: creation, listing, the lifecycle and the import.

use super::*;

pub(super) fn create_user() -> Vec<Answer> {
    let mut all: Vec<CreateUserError> = tenant_auth().into_iter().map(Into::into).collect();
    all.extend([
        CreateUserError::Forbidden,
        CreateUserError::Grant(GrantError::RoleNotAllowed("owner")),
        CreateUserError::Grant(GrantError::UnknownPermission("x.y".into())),
        CreateUserError::Grant(GrantError::PermissionNotAllowed("x.y".into())),
        CreateUserError::WeakPassword(weak()),
        CreateUserError::AlreadyMember,
        CreateUserError::Conflict,
        CreateUserError::MemberArchived,
        CreateUserError::InvitationPending,
        CreateUserError::RateLimited {
            retry_after_seconds: 1,
        },
    ]);
    covers(
        &all,
        |e| match e {
            CreateUserError::Auth(_) => Some(0),
            CreateUserError::Forbidden => Some(1),
            CreateUserError::Grant(GrantError::RoleNotAllowed(_)) => Some(2),
            CreateUserError::Grant(GrantError::UnknownPermission(_)) => Some(3),
            CreateUserError::Grant(GrantError::PermissionNotAllowed(_)) => Some(4),
            CreateUserError::WeakPassword(_) => Some(5),
            CreateUserError::AlreadyMember => Some(6),
            CreateUserError::Conflict => Some(7),
            CreateUserError::MemberArchived => Some(8),
            CreateUserError::InvitationPending => Some(9),
            CreateUserError::RateLimited { .. } => Some(10),
            CreateUserError::Internal(_) => None,
        },
        11,
    );
    [answers(all), JSON_BODY.to_vec(), TENANT_PATH.to_vec()].concat()
}

pub(super) fn list_users() -> Vec<Answer> {
    let mut all: Vec<ListUsersError> = tenant_auth().into_iter().map(Into::into).collect();
    all.extend([
        ListUsersError::Forbidden,
        ListUsersError::InvalidCursor,
        ListUsersError::TeamNotFound,
    ]);
    covers(
        &all,
        |e| match e {
            ListUsersError::Auth(_) => Some(0),
            ListUsersError::Forbidden => Some(1),
            ListUsersError::InvalidCursor => Some(2),
            ListUsersError::TeamNotFound => Some(3),
            ListUsersError::Internal(_) => None,
        },
        4,
    );
    // The query string: unparseable (400), a limit out of range (422).
    let query = vec![(400, "invalid_request"), (422, "invalid_request")];
    [answers(all), query, TENANT_PATH.to_vec()].concat()
}

/// The export: the listing's caller checks, a query string that does not parse, no limit.
pub(super) fn export_users() -> Vec<Answer> {
    let mut all: Vec<ListUsersError> = tenant_auth().into_iter().map(Into::into).collect();
    all.push(ListUsersError::Forbidden);
    [
        answers(all),
        vec![(400, "invalid_request")],
        TENANT_PATH.to_vec(),
    ]
    .concat()
}

pub(super) fn get_user() -> Vec<Answer> {
    let mut all: Vec<GetUserError> = tenant_auth().into_iter().map(Into::into).collect();
    all.extend([GetUserError::Forbidden, GetUserError::NotFound]);
    covers(
        &all,
        |e| match e {
            GetUserError::Auth(_) => Some(0),
            GetUserError::Forbidden => Some(1),
            GetUserError::NotFound => Some(2),
        },
        3,
    );
    [answers(all), TENANT_PATH.to_vec()].concat()
}

pub(super) fn lifecycle(these: Vec<LifecycleError>, body: bool) -> Vec<Answer> {
    let every = vec![
        LifecycleError::Auth(AuthError::Unauthenticated),
        LifecycleError::Forbidden,
        LifecycleError::NotFound,
        LifecycleError::Grant(GrantError::RoleNotAllowed("owner")),
        LifecycleError::Grant(GrantError::UnknownPermission("x.y".into())),
        LifecycleError::Grant(GrantError::PermissionNotAllowed("x.y".into())),
        LifecycleError::AccountShared,
        LifecycleError::LastOwner,
        LifecycleError::PreconditionFailed,
        LifecycleError::Conflict,
        LifecycleError::Consent(SendInvitationError::InvitationPending),
    ];
    covers(
        &every,
        |e| match e {
            LifecycleError::Auth(_) => Some(0),
            LifecycleError::Forbidden => Some(1),
            LifecycleError::NotFound => Some(2),
            LifecycleError::Grant(GrantError::RoleNotAllowed(_)) => Some(3),
            LifecycleError::Grant(GrantError::UnknownPermission(_)) => Some(4),
            LifecycleError::Grant(GrantError::PermissionNotAllowed(_)) => Some(5),
            LifecycleError::AccountShared => Some(6),
            LifecycleError::LastOwner => Some(7),
            LifecycleError::PreconditionFailed => Some(8),
            LifecycleError::Conflict => Some(9),
            LifecycleError::Consent(_) => Some(10),
            LifecycleError::Internal(_) => None,
        },
        11,
    );
    let mut all: Vec<LifecycleError> = tenant_auth().into_iter().map(Into::into).collect();
    all.extend([
        LifecycleError::Forbidden,
        LifecycleError::NotFound,
        LifecycleError::Grant(GrantError::RoleNotAllowed("owner")),
        LifecycleError::Conflict,
    ]);
    all.extend(these);
    let extra = if body { JSON_BODY.to_vec() } else { Vec::new() };
    [answers(all), extra, TENANT_PATH.to_vec()].concat()
}

/// Every import error, once each; the routes pick theirs.
pub(super) fn import_errors() -> Vec<ImportError> {
    let all = vec![
        ImportError::Auth(AuthError::Unauthenticated),
        ImportError::Forbidden,
        ImportError::File(FileError::Empty),
        ImportError::Header(HeaderError::MissingEmail),
        ImportError::RowsInvalid(Box::new(ImportReport {
            counts: Counts::default(),
            rows: Vec::new(),
            new_teams: Vec::new(),
        })),
        ImportError::NotFound,
        ImportError::TeamsChanged,
    ];
    covers(
        &all,
        |e| match e {
            ImportError::Auth(_) => Some(0),
            ImportError::Forbidden => Some(1),
            ImportError::File(_) => Some(2),
            ImportError::Header(_) => Some(3),
            ImportError::RowsInvalid(_) => Some(4),
            ImportError::NotFound => Some(5),
            ImportError::TeamsChanged => Some(6),
            ImportError::Internal(_) => None,
        },
        7,
    );
    all
}

/// The caller checks every import route makes.
pub(super) fn importer() -> Vec<ImportError> {
    let mut all: Vec<ImportError> = tenant_auth().into_iter().map(Into::into).collect();
    all.push(ImportError::Forbidden);
    all
}

pub(super) fn import_users() -> Vec<Answer> {
    let mut all = importer();
    all.extend(
        import_errors()
            .into_iter()
            .filter(|e| !matches!(e, ImportError::NotFound)),
    );
    // Each file and header problem has its code.
    all.extend(
        [
            FileError::NoRows,
            FileError::NotUtf8 { row: 2 },
            FileError::Binary { row: 2 },
            FileError::StrayByteOrderMark { row: 2 },
            FileError::UnclosedQuote { row: 2 },
            FileError::CellCount {
                row: 2,
                found: 1,
                expected: 2,
            },
            FileError::TooManyRows,
        ]
        .map(ImportError::File),
    );
    all.extend(
        [
            HeaderError::NoHeader,
            HeaderError::Duplicate("email".into()),
            HeaderError::Unknown("x".into()),
            HeaderError::UnknownPermission("x.y".into()),
        ]
        .map(ImportError::Header),
    );
    let body = vec![
        (400, "invalid_request"),
        (413, "payload_too_large"),
        (415, "unsupported_media_type"),
    ];
    [answers(all), body, TENANT_PATH.to_vec()].concat()
}

pub(super) fn get_import() -> Vec<Answer> {
    let mut all = importer();
    all.push(ImportError::NotFound);
    [answers(all), TENANT_PATH.to_vec()].concat()
}
