//! The OpenAPI document lists every answer a route can give: for each route, every problem its
//! handler can return (each variant of its use case's error, and what its extractors refuse) must
//! appear in the document under that status, with its code named in the description.
//!
//! Each error enum's variants are listed once here. The `variant` functions match without a
//! wildcard, so a new variant does not compile until it gets a number, and then this test fails
//! until an example of it is listed and the document names its code.

mod invitations;
mod passwords;
mod scim;
mod sessions;
mod teams;
mod tenants;
mod users;
mod webhooks;

use std::collections::BTreeSet;

use invitations::*;
use passwords::*;
use scim::*;
use serde_json::Value;
use sessions::*;
use teams::*;
use tenants::*;
use users::*;
use usher_core::domain::{Locale, WeakPassword};
use usher_core::http::Problem;
use usher_core::settings::SettingsError;
use usher_core::usecases::AuthError;
use usher_core::usecases::access_tokens::AccessTokenError;
use usher_core::usecases::admin_reset_password::AdminResetError;
use usher_core::usecases::api_keys::ApiKeyError;
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
use usher_core::usecases::scim::ScimError;
use usher_core::usecases::sessions::SessionsError;
use usher_core::usecases::sign_in::SignInError;
use usher_core::usecases::sign_out::SignOutError;
use usher_core::usecases::signup::SignupError;
use usher_core::usecases::teams::TeamError;
use usher_core::usecases::tenant_directory::TenantDirectoryError;
use usher_core::usecases::update_settings::UpdateSettingsError;
use usher_core::usecases::webhooks::{ReceiverError, WebhookError};
use webhooks::*;

const DOCUMENT: &str = include_str!("../../../openapi.json");

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
        AuthError::TenantSuspended,
        // An operator key without `tenants.admin`.
        AuthError::ScopeMissing("tenants.admin"),
    ];
    covers(
        &all,
        |e| match e {
            AuthError::Unauthenticated => Some(0),
            AuthError::PasswordChangeRequired => Some(1),
            AuthError::TenantNotFound => Some(2),
            AuthError::MembershipInactive => Some(3),
            AuthError::TenantSuspended => Some(4),
            AuthError::ScopeMissing(_) => Some(5),
            AuthError::Storage(_) => None,
        },
        6,
    );
    all
}

/// What an operator route's key check refuses.
fn operator_auth() -> Vec<AuthError> {
    vec![
        AuthError::Unauthenticated,
        AuthError::ScopeMissing("tenants.read"),
    ]
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
            lifecycle(
                vec![
                    LifecycleError::LastOwner,
                    LifecycleError::Consent(SendInvitationError::InvitationPending),
                    LifecycleError::Consent(SendInvitationError::RateLimited {
                        retry_after_seconds: 1,
                    }),
                ],
                true,
            ),
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
        ("get", "/v1/me/sessions", my_sessions(vec![])),
        (
            "delete",
            "/v1/me/sessions",
            [
                my_sessions(vec![SessionsError::Conflict]),
                vec![(400, "invalid_request")],
            ]
            .concat(),
        ),
        (
            "delete",
            "/v1/me/sessions/{session_id}",
            my_sessions(vec![SessionsError::NotFound]),
        ),
        (
            "delete",
            "/v1/tenants/{tenant_id}/users/{user_id}/sessions",
            member_sessions(),
        ),
        ("post", "/v1/sessions/current/token", mint_token()),
        ("post", "/v1/signup", signup(vec![])),
        (
            "post",
            "/v1/tenants/{tenant_id}/teams/{team_id}/members",
            [teams(
                team_write(vec![
                    TeamError::UserNotFound,
                    TeamError::AlreadyMember,
                    TeamError::Archived,
                    TeamError::ManagedByScim,
                ]),
                true,
            )]
            .concat(),
        ),
        (
            "get",
            "/v1/tenants/{tenant_id}/teams/{team_id}/members",
            [
                teams(
                    vec![
                        TeamError::Forbidden,
                        TeamError::NotFound,
                        TeamError::Grant(GrantError::PermissionNotAllowed("x.y".into())),
                    ],
                    false,
                ),
                LIST_QUERY.to_vec(),
            ]
            .concat(),
        ),
        (
            "delete",
            "/v1/tenants/{tenant_id}/teams/{team_id}/members/{user_id}",
            [
                teams(
                    team_write(vec![TeamError::NotAMember, TeamError::ManagedByScim]),
                    false,
                ),
                vec![(422, "invalid_request")],
            ]
            .concat(),
        ),
        (
            "patch",
            "/v1/tenants/{tenant_id}/teams/{team_id}/members/{user_id}",
            teams(
                team_write(vec![TeamError::NotAMember, TeamError::ManagedByScim]),
                true,
            ),
        ),
        (
            "get",
            "/v1/tenants/{tenant_id}/users/{user_id}/teams",
            [
                teams(vec![TeamError::Forbidden, TeamError::UserNotFound], false),
                LIST_QUERY.to_vec(),
            ]
            .concat(),
        ),
        (
            "post",
            "/v1/tenants/{tenant_id}/teams",
            teams(
                team_write(vec![
                    TeamError::ParentNotFound,
                    TeamError::NameTaken,
                    TeamError::TooDeep,
                    TeamError::Archived,
                    TeamError::ManagedByScim,
                    TeamError::LimitReached("x".into()),
                    TeamError::Grant(GrantError::UnknownPermission("x.y".into())),
                    TeamError::InvalidDescription,
                ]),
                true,
            ),
        ),
        (
            "get",
            "/v1/tenants/{tenant_id}/teams",
            [
                teams(vec![TeamError::BadCursor], false),
                LIST_QUERY.to_vec(),
            ]
            .concat(),
        ),
        (
            "post",
            "/v1/tenants/{tenant_id}/webhooks",
            webhooks(endpoint_fields(WebhookError::TooMany), true),
        ),
        (
            "get",
            "/v1/tenants/{tenant_id}/webhooks",
            webhooks(vec![], false),
        ),
        (
            "get",
            "/v1/tenants/{tenant_id}/webhooks/{webhook_id}",
            webhooks(vec![WebhookError::NotFound], false),
        ),
        (
            "patch",
            "/v1/tenants/{tenant_id}/webhooks/{webhook_id}",
            webhooks(endpoint_fields(WebhookError::NotFound), true),
        ),
        (
            "delete",
            "/v1/tenants/{tenant_id}/webhooks/{webhook_id}",
            webhooks(vec![WebhookError::NotFound, WebhookError::Conflict], false),
        ),
        (
            "get",
            "/v1/tenants/{tenant_id}/webhooks/{webhook_id}/deliveries",
            [
                webhooks(vec![WebhookError::NotFound, WebhookError::BadCursor], false),
                LIST_QUERY.to_vec(),
            ]
            .concat(),
        ),
        (
            "post",
            "/v1/tenants/{tenant_id}/webhooks/{webhook_id}/secret",
            webhooks(vec![WebhookError::NotFound, WebhookError::Conflict], false),
        ),
        (
            "post",
            "/v1/webhooks",
            deployment_webhooks(endpoint_fields(WebhookError::TooMany), true),
        ),
        ("get", "/v1/webhooks", deployment_webhooks(vec![], false)),
        (
            "get",
            "/v1/webhooks/{webhook_id}",
            deployment_webhooks(vec![WebhookError::NotFound], false),
        ),
        (
            "patch",
            "/v1/webhooks/{webhook_id}",
            deployment_webhooks(endpoint_fields(WebhookError::NotFound), true),
        ),
        (
            "delete",
            "/v1/webhooks/{webhook_id}",
            deployment_webhooks(vec![WebhookError::NotFound, WebhookError::Conflict], false),
        ),
        (
            "get",
            "/v1/webhooks/{webhook_id}/deliveries",
            [
                deployment_webhooks(vec![WebhookError::NotFound, WebhookError::BadCursor], false),
                LIST_QUERY.to_vec(),
            ]
            .concat(),
        ),
        (
            "post",
            "/v1/webhooks/{webhook_id}/secret",
            deployment_webhooks(vec![WebhookError::NotFound, WebhookError::Conflict], false),
        ),
        (
            "post",
            "/v1/webhooks/{webhook_id}/replay",
            deployment_webhooks(
                vec![
                    WebhookError::NotFound,
                    WebhookError::Disabled,
                    WebhookError::NotWanted("x".into()),
                    WebhookError::UnknownEvent,
                    WebhookError::TenantRequired,
                ],
                true,
            ),
        ),
        (
            "post",
            "/v1/tenants/{tenant_id}/webhooks/{webhook_id}/replay",
            webhooks(
                vec![
                    WebhookError::NotFound,
                    WebhookError::Disabled,
                    WebhookError::NotWanted("x".into()),
                    WebhookError::UnknownEvent,
                ],
                true,
            ),
        ),
        (
            "get",
            "/v1/tenants/{tenant_id}/teams/tree",
            [teams(vec![], false), LIST_QUERY.to_vec()].concat(),
        ),
        (
            "get",
            "/v1/tenants/{tenant_id}/teams/{team_id}",
            teams(vec![TeamError::NotFound], false),
        ),
        (
            "patch",
            "/v1/tenants/{tenant_id}/teams/{team_id}",
            teams(
                team_write(vec![
                    TeamError::ParentNotFound,
                    TeamError::NameTaken,
                    TeamError::TooDeep,
                    TeamError::Cycle,
                    TeamError::SubtreeTooLarge { teams: 81 },
                    TeamError::Archived,
                    TeamError::LimitReached("x".into()),
                    TeamError::Grant(GrantError::UnknownPermission("x.y".into())),
                    TeamError::InvalidDescription,
                ]),
                true,
            ),
        ),
        (
            "post",
            "/v1/tenants/{tenant_id}/teams/{team_id}/archive",
            teams(
                team_write(vec![
                    TeamError::HasSubteams,
                    TeamError::Archived,
                    TeamError::NameTaken,
                    TeamError::LimitReached("x".into()),
                    TeamError::SubtreeTooLarge { teams: 81 },
                ]),
                true,
            ),
        ),
        (
            "post",
            "/v1/tenants/{tenant_id}/teams/{team_id}/restore",
            teams(
                team_write(vec![TeamError::NotArchived, TeamError::Archived]),
                false,
            ),
        ),
        (
            "delete",
            "/v1/tenants/{tenant_id}/teams/{team_id}",
            teams(
                team_write(vec![TeamError::NotArchived, TeamError::NotEmpty]),
                false,
            ),
        ),
        (
            "post",
            "/v1/signup/complete",
            signup(vec![
                SignupError::LinkUnknown,
                SignupError::LinkExpired { locale: Locale::En },
                SignupError::LinkUsed { locale: Locale::En },
                SignupError::AccountExists { locale: Locale::En },
                SignupError::Weak {
                    weak: weak(),
                    locale: Locale::En,
                },
                SignupError::Conflict { locale: Locale::En },
            ]),
        ),
        (
            "post",
            "/v1/me/tenants",
            signup(vec![
                SignupError::Auth(AuthError::Unauthenticated),
                SignupError::Auth(AuthError::PasswordChangeRequired),
                SignupError::SessionConfined,
                SignupError::RateLimited {
                    retry_after_seconds: 1,
                },
                SignupError::Conflict { locale: Locale::En },
            ]),
        ),
        (
            "post",
            "/v1/tenants/{tenant_id}/api-keys",
            api_keys(
                vec![
                    ApiKeyError::SessionRequired,
                    ApiKeyError::Forbidden,
                    ApiKeyError::InvalidName,
                    ApiKeyError::UnknownPermission("x.y".into()),
                    ApiKeyError::PermissionNotHeld("x.y".into()),
                    ApiKeyError::ExpiryInPast,
                ],
                true,
            ),
        ),
        (
            "get",
            "/v1/tenants/{tenant_id}/api-keys",
            api_keys(vec![ApiKeyError::Forbidden], false),
        ),
        (
            "delete",
            "/v1/tenants/{tenant_id}/api-keys/{api_key_id}",
            api_keys(
                vec![
                    ApiKeyError::Forbidden,
                    ApiKeyError::NotFound,
                    ApiKeyError::AlreadyRevoked,
                ],
                false,
            ),
        ),
        ("get", "/v1/tenants/{tenant_id}/scim", scim(vec![], false)),
        (
            "patch",
            "/v1/tenants/{tenant_id}/scim",
            scim(
                vec![
                    ScimError::Conflict,
                    ScimError::InvalidRate,
                    ScimError::InvalidGroupsParent,
                    ScimError::GroupsExist,
                ],
                true,
            ),
        ),
        (
            "post",
            "/v1/tenants/{tenant_id}/scim/tokens",
            scim(
                vec![
                    ScimError::InvalidName,
                    ScimError::TooManyTokens,
                    ScimError::Conflict,
                ],
                true,
            ),
        ),
        (
            "get",
            "/v1/tenants/{tenant_id}/scim/tokens",
            scim(vec![], false),
        ),
        (
            "delete",
            "/v1/tenants/{tenant_id}/scim/tokens/{scim_token_id}",
            scim(vec![ScimError::NotFound, ScimError::Conflict], false),
        ),
        (
            "post",
            "/v1/tenants",
            tenant_directory(
                vec![
                    TenantDirectoryError::Conflict,
                    TenantDirectoryError::InboundAtCreation,
                ],
                true,
            ),
        ),
        (
            "get",
            "/v1/tenants",
            [
                tenant_directory(
                    vec![
                        TenantDirectoryError::BadCursor,
                        TenantDirectoryError::QueryTooLong,
                    ],
                    false,
                ),
                LIST_QUERY.to_vec(),
            ]
            .concat(),
        ),
        (
            "post",
            "/v1/tenants/{tenant_id}/suspend",
            tenant_directory(
                vec![
                    TenantDirectoryError::NotFound,
                    TenantDirectoryError::AlreadySuspended,
                    TenantDirectoryError::InvalidReason,
                    TenantDirectoryError::Conflict,
                ],
                true,
            ),
        ),
        (
            "post",
            "/v1/tenants/{tenant_id}/resume",
            tenant_directory(
                vec![
                    TenantDirectoryError::NotFound,
                    TenantDirectoryError::NotSuspended,
                    TenantDirectoryError::Conflict,
                ],
                false,
            ),
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
