//! The OpenAPI document lists every answer a route can give: for each route, every problem its
//! handler can return (each variant of its use case's error, and what its extractors refuse) must
//! appear in the document under that status, with its code named in the description.
//!
//! Each error enum's variants are listed once here. The `variant` functions match without a
//! wildcard, so a new variant does not compile until it gets a number, and then this test fails
//! until an example of it is listed and the document names its code.

use std::collections::BTreeSet;

use serde_json::Value;
use usher_core::domain::{Locale, WeakPassword};
use usher_core::http::Problem;
use usher_core::settings::SettingsError;
use usher_core::usecases::AuthError;
use usher_core::usecases::admin_reset_password::AdminResetError;
use usher_core::usecases::change_password::ChangePasswordError;
use usher_core::usecases::create_user::CreateUserError;
use usher_core::usecases::events::ListEventsError;
use usher_core::usecases::get_tenant::GetTenantError;
use usher_core::usecases::get_user::GetUserError;
use usher_core::usecases::grants::GrantError;
use usher_core::usecases::import_users::{
    Counts, FileError, HeaderError, ImportError, ImportReport,
};
use usher_core::usecases::inbound::HeldError;
use usher_core::usecases::invitations::accept::AcceptError;
use usher_core::usecases::invitations::manage::ManageInvitationError;
use usher_core::usecases::invitations::send::SendInvitationError;
use usher_core::usecases::lifecycle::LifecycleError;
use usher_core::usecases::list_users::ListUsersError;
use usher_core::usecases::me::MeError;
use usher_core::usecases::reset_password::ResetPasswordError;
use usher_core::usecases::sign_in::SignInError;
use usher_core::usecases::sign_out::SignOutError;
use usher_core::usecases::update_settings::UpdateSettingsError;

const DOCUMENT: &str = include_str!("../../openapi.json");

type Answer = (u16, &'static str);

fn answers<E: Into<Problem>>(errors: Vec<E>) -> Vec<Answer> {
    errors
        .into_iter()
        .map(|e| {
            let problem: Problem = e.into();
            (problem.status.as_u16(), problem.code)
        })
        .collect()
}

/// Asserts `examples` holds every variant of an enum with `count` numbered variants.
fn covers<E>(examples: &[E], variant: fn(&E) -> Option<usize>, count: usize) {
    let seen: BTreeSet<usize> = examples.iter().filter_map(variant).collect();
    let missing: Vec<usize> = (0..count).filter(|n| !seen.contains(n)).collect();
    assert!(missing.is_empty(), "no example of variants {missing:?}");
}

fn account_auth() -> Vec<AuthError> {
    vec![AuthError::Unauthenticated]
}

fn tenant_auth() -> Vec<AuthError> {
    let all = vec![
        AuthError::Unauthenticated,
        AuthError::PasswordChangeRequired,
        AuthError::TenantNotFound,
        AuthError::MembershipInactive,
    ];
    covers(
        &all,
        |e| match e {
            AuthError::Unauthenticated => Some(0),
            AuthError::PasswordChangeRequired => Some(1),
            AuthError::TenantNotFound => Some(2),
            AuthError::MembershipInactive => Some(3),
            AuthError::Storage(_) => None,
        },
        4,
    );
    all
}

fn weak() -> WeakPassword {
    WeakPassword::TooShort(12)
}

/// What a JSON body's extractor refuses.
const JSON_BODY: [Answer; 4] = [
    (400, "invalid_request"),
    (413, "payload_too_large"),
    (415, "unsupported_media_type"),
    (422, "invalid_request"),
];
/// What a tenant path refuses: an id that is no id.
const TENANT_PATH: [Answer; 1] = [(404, "not_found")];

fn sign_in() -> Vec<Answer> {
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

fn sign_out() -> Vec<Answer> {
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

fn me() -> Vec<Answer> {
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

fn change_password() -> Vec<Answer> {
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

fn create_user() -> Vec<Answer> {
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

fn list_users() -> Vec<Answer> {
    let mut all: Vec<ListUsersError> = tenant_auth().into_iter().map(Into::into).collect();
    all.extend([ListUsersError::Forbidden, ListUsersError::InvalidCursor]);
    covers(
        &all,
        |e| match e {
            ListUsersError::Auth(_) => Some(0),
            ListUsersError::Forbidden => Some(1),
            ListUsersError::InvalidCursor => Some(2),
            ListUsersError::Internal(_) => None,
        },
        3,
    );
    // The query string: unparseable (400), a limit out of range (422).
    let query = vec![(400, "invalid_request"), (422, "invalid_request")];
    [answers(all), query, TENANT_PATH.to_vec()].concat()
}

/// The export: the listing's caller checks, a query string that does not parse, no limit.
fn export_users() -> Vec<Answer> {
    let mut all: Vec<ListUsersError> = tenant_auth().into_iter().map(Into::into).collect();
    all.push(ListUsersError::Forbidden);
    [
        answers(all),
        vec![(400, "invalid_request")],
        TENANT_PATH.to_vec(),
    ]
    .concat()
}

fn get_user() -> Vec<Answer> {
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

fn get_tenant() -> Vec<Answer> {
    let all: Vec<GetTenantError> = tenant_auth().into_iter().map(Into::into).collect();
    [answers(all), TENANT_PATH.to_vec()].concat()
}

fn update_settings() -> Vec<Answer> {
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
        },
        8,
    );
    all.extend(invalid.into_iter().map(UpdateSettingsError::Invalid));
    all.extend([
        UpdateSettingsError::Forbidden,
        UpdateSettingsError::DomainNotAllowed("x.example".into()),
        UpdateSettingsError::AddressTaken,
        UpdateSettingsError::PermissionInUse {
            permission: "x.y".into(),
            members: 1,
        },
        UpdateSettingsError::Conflict,
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
            UpdateSettingsError::Internal(_) => None,
        },
        7,
    );
    [answers(all), JSON_BODY.to_vec(), TENANT_PATH.to_vec()].concat()
}

fn reset_password() -> Vec<Answer> {
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

fn admin_reset() -> Vec<Answer> {
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

/// The query string of a listing: unparseable (400), a limit or cursor out of range (422).
const LIST_QUERY: [Answer; 2] = [(400, "invalid_request"), (422, "invalid_request")];

fn send_invitation() -> Vec<Answer> {
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
            SendInvitationError::Internal(_) => None,
        },
        10,
    );
    [answers(all), JSON_BODY.to_vec(), TENANT_PATH.to_vec()].concat()
}

/// Every error of the managing use cases, numbered.
fn manage_variant(e: &ManageInvitationError) -> Option<usize> {
    match e {
        ManageInvitationError::Auth(_) => Some(0),
        ManageInvitationError::Forbidden => Some(1),
        ManageInvitationError::NotFound => Some(2),
        ManageInvitationError::NotPending(_) => Some(3),
        ManageInvitationError::Superseded => Some(4),
        ManageInvitationError::RateLimited { .. } => Some(5),
        ManageInvitationError::InvalidCursor => Some(6),
        ManageInvitationError::Conflict => Some(7),
        ManageInvitationError::Internal(_) => None,
    }
}

/// What each managing route can answer: the caller's checks, then `these`.
fn manage_invitation(these: Vec<ManageInvitationError>) -> Vec<Answer> {
    let mut all: Vec<ManageInvitationError> = tenant_auth().into_iter().map(Into::into).collect();
    all.push(ManageInvitationError::Forbidden);
    all.extend(these);
    [answers(all), TENANT_PATH.to_vec()].concat()
}

fn manage_routes() -> [Vec<Answer>; 4] {
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
    ];
    covers(&every, manage_variant, 8);
    use ManageInvitationError as E;
    [
        [
            manage_invitation(vec![E::InvalidCursor]),
            LIST_QUERY.to_vec(),
        ]
        .concat(),
        manage_invitation(vec![E::NotFound]),
        manage_invitation(vec![E::NotFound, E::NotPending("revoked"), E::Conflict]),
        manage_invitation(vec![
            E::NotFound,
            E::NotPending("revoked"),
            E::Superseded,
            E::RateLimited {
                retry_after_seconds: 1,
            },
            E::Conflict,
        ]),
    ]
}

fn accept_variant(e: &AcceptError) -> Option<usize> {
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
        AcceptError::Internal(_) => None,
    }
}

fn accept_invitation() -> Vec<Answer> {
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
    ];
    covers(&all, accept_variant, 12);
    [answers(all), JSON_BODY.to_vec()].concat()
}

/// Confirming a registration: no password, no session, no limit.
fn confirm_registration() -> Vec<Answer> {
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
        AcceptError::Conflict,
    ];
    [answers(all), JSON_BODY.to_vec()].concat()
}

fn invitation_preview() -> Vec<Answer> {
    answers(vec![
        AcceptError::Invalid,
        AcceptError::Expired,
        AcceptError::Used,
        AcceptError::Revoked,
    ])
}

fn events_variant(e: &ListEventsError) -> Option<usize> {
    match e {
        ListEventsError::Auth(_) => Some(0),
        ListEventsError::Forbidden => Some(1),
        ListEventsError::NotFound => Some(2),
        ListEventsError::InvalidCursor => Some(3),
        ListEventsError::Internal(_) => None,
    }
}

fn events(of_a_user: bool) -> Vec<Answer> {
    let mut all: Vec<ListEventsError> = tenant_auth().into_iter().map(Into::into).collect();
    all.extend([ListEventsError::Forbidden, ListEventsError::InvalidCursor]);
    if of_a_user {
        all.push(ListEventsError::NotFound);
        covers(&all, events_variant, 4);
    }
    [answers(all), LIST_QUERY.to_vec(), TENANT_PATH.to_vec()].concat()
}

fn held(these: Vec<HeldError>, body: bool) -> Vec<Answer> {
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

fn lifecycle(these: Vec<LifecycleError>, body: bool) -> Vec<Answer> {
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
            LifecycleError::Internal(_) => None,
        },
        10,
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
fn import_errors() -> Vec<ImportError> {
    let all = vec![
        ImportError::Auth(AuthError::Unauthenticated),
        ImportError::Forbidden,
        ImportError::File(FileError::Empty),
        ImportError::Header(HeaderError::MissingEmail),
        ImportError::RowsInvalid(Box::new(ImportReport {
            counts: Counts::default(),
            rows: Vec::new(),
        })),
        ImportError::NotFound,
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
            ImportError::Internal(_) => None,
        },
        6,
    );
    all
}

/// The caller checks every import route makes.
fn importer() -> Vec<ImportError> {
    let mut all: Vec<ImportError> = tenant_auth().into_iter().map(Into::into).collect();
    all.push(ImportError::Forbidden);
    all
}

fn import_users() -> Vec<Answer> {
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

fn get_import() -> Vec<Answer> {
    let mut all = importer();
    all.push(ImportError::NotFound);
    [answers(all), TENANT_PATH.to_vec()].concat()
}

fn update_me() -> Vec<Answer> {
    let all = vec![
        LifecycleError::Auth(AuthError::Unauthenticated),
        LifecycleError::Auth(AuthError::PasswordChangeRequired),
        LifecycleError::Conflict,
    ];
    [answers(all), JSON_BODY.to_vec()].concat()
}

#[test]
fn the_document_lists_every_problem_each_route_can_answer() {
    let [
        list_invitations,
        get_invitation,
        revoke_invitation,
        resend_invitation,
    ] = manage_routes();
    let doc: Value = serde_json::from_str(DOCUMENT).unwrap();
    let routes: Vec<(&str, &str, Vec<Answer>)> = vec![
        ("post", "/v1/sessions", sign_in()),
        ("delete", "/v1/sessions/current", sign_out()),
        ("get", "/v1/me", me()),
        ("put", "/v1/me/password", change_password()),
        ("post", "/v1/tenants/{tenant_id}/users", create_user()),
        ("get", "/v1/tenants/{tenant_id}/users", list_users()),
        ("get", "/v1/tenants/{tenant_id}/users/{user_id}", get_user()),
        ("get", "/v1/tenants/{tenant_id}", get_tenant()),
        (
            "patch",
            "/v1/tenants/{tenant_id}/settings",
            update_settings(),
        ),
        ("post", "/v1/password/forgot", JSON_BODY.to_vec()),
        ("post", "/v1/password/reset", reset_password()),
        (
            "post",
            "/v1/tenants/{tenant_id}/users/{user_id}/password-reset",
            admin_reset(),
        ),
        (
            "post",
            "/v1/tenants/{tenant_id}/invitations",
            send_invitation(),
        ),
        (
            "get",
            "/v1/tenants/{tenant_id}/invitations",
            list_invitations,
        ),
        (
            "get",
            "/v1/tenants/{tenant_id}/invitations/{invitation_id}",
            get_invitation,
        ),
        (
            "delete",
            "/v1/tenants/{tenant_id}/invitations/{invitation_id}",
            revoke_invitation,
        ),
        (
            "post",
            "/v1/tenants/{tenant_id}/invitations/{invitation_id}/resend",
            resend_invitation,
        ),
        ("get", "/v1/invitations/{token}", invitation_preview()),
        (
            "post",
            "/v1/invitations/{token}/accept",
            accept_invitation(),
        ),
        ("post", "/v1/invitations/confirm", confirm_registration()),
        ("get", "/v1/tenants/{tenant_id}/events", events(false)),
        (
            "patch",
            "/v1/tenants/{tenant_id}/users/{user_id}",
            lifecycle(
                vec![
                    LifecycleError::Grant(GrantError::UnknownPermission("x.y".into())),
                    LifecycleError::Grant(GrantError::PermissionNotAllowed("x.y".into())),
                    LifecycleError::AccountShared,
                    LifecycleError::LastOwner,
                    LifecycleError::PreconditionFailed,
                ],
                true,
            ),
        ),
        (
            "post",
            "/v1/tenants/{tenant_id}/users/{user_id}/access",
            lifecycle(Vec::new(), true),
        ),
        (
            "post",
            "/v1/tenants/{tenant_id}/users/{user_id}/archive",
            lifecycle(vec![LifecycleError::LastOwner], false),
        ),
        (
            "post",
            "/v1/tenants/{tenant_id}/users/{user_id}/restore",
            lifecycle(Vec::new(), false),
        ),
        ("patch", "/v1/me", update_me()),
        ("get", "/v1/tenants/{tenant_id}/users.csv", export_users()),
        ("post", "/v1/tenants/{tenant_id}/users.csv", import_users()),
        (
            "get",
            "/v1/tenants/{tenant_id}/users.csv/template",
            [answers(importer()), TENANT_PATH.to_vec()].concat(),
        ),
        (
            "get",
            "/v1/tenants/{tenant_id}/imports/{import_id}",
            get_import(),
        ),
        (
            "get",
            "/v1/tenants/{tenant_id}/inbound/held",
            [
                held(vec![HeldError::InvalidCursor], false),
                LIST_QUERY.to_vec(),
            ]
            .concat(),
        ),
        (
            "post",
            "/v1/tenants/{tenant_id}/inbound/held/{held_id}/approve",
            held(vec![HeldError::NotFound, HeldError::Conflict], false),
        ),
        (
            "post",
            "/v1/tenants/{tenant_id}/inbound/held/{held_id}/reject",
            held(vec![HeldError::NotFound, HeldError::Conflict], true),
        ),
        (
            "get",
            "/v1/tenants/{tenant_id}/users/{user_id}/events",
            events(true),
        ),
    ];
    let mut missing = Vec::new();
    for (method, path, route_answers) in routes {
        let responses = &doc["paths"][path][method]["responses"];
        assert!(
            responses.is_object(),
            "{method} {path} is not in the document"
        );
        for (status, code) in route_answers.into_iter().collect::<BTreeSet<_>>() {
            let documented = responses[status.to_string()]["description"]
                .as_str()
                .is_some_and(|description| description.contains(code));
            if !documented {
                missing.push(format!("{method} {path}: {status} {code}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "answers the document does not list:\n{}",
        missing.join("\n")
    );
}
