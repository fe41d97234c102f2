//! The create-user function: admins create users (or, for an email that has an account, invite
//! the person), import them from a spreadsheet, list and export them, look one up, change them,
//! and read their history.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, extract::State};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use usher_core::app::App;
use usher_core::domain::{AccountId, EmailAddress, Locale, PersonName, Phone, Role, TenantId};
use usher_core::http::{
    ApiJson, ApiPath, ApiQuery, Bearer, CsvBody, EventView, EventsQuery, InvitationView, Page,
    Problem, ProblemDoc, UserView, finish_router, mount, page_limit, permissions_field,
};
use usher_core::records::{MembershipRecord, MembershipStatus};
use usher_core::usecases::create_user::{self, Creation, NewUser, PasswordChoice};
use usher_core::usecases::get_user;
use usher_core::usecases::import_users::{
    self, Counts, FileEncoding, ImportProgress, ImportStatus, Imported, RowReport,
};
use usher_core::usecases::lifecycle::{self, UserPatch};
use usher_core::usecases::list_users::{self, Cursor, ListUsers};
use usher_core::usecases::{events, export_users};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This function's routes, each declared once, by its handler's `#[utoipa::path]`: the router
/// and this function's part of the OpenAPI document (`api().into_openapi()`) are both made from
/// it.
pub fn api() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_users_route, create_user_route))
        .routes(routes!(get_user_route, update_user_route))
        .routes(routes!(access_route))
        .routes(routes!(export_route, import_route))
        .routes(routes!(template_route))
        .routes(routes!(import_status_route))
        .routes(routes!(archive_route))
        .routes(routes!(restore_route))
        .routes(routes!(user_events_route))
}

/// The routes as this function's Lambda serves them.
pub fn router(app: App) -> Router {
    finish_router(mount(api(), &app))
}

/// Struct variants, even where empty: serde lets an internally tagged unit variant carry any
/// other field, and an unknown field (`{"mode": "generate", "value": ...}`) must be refused.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum PasswordModeRequest {
    /// Usher generates a temporary password, returned once in this answer.
    Generate {},
    /// The admin sets the password (policy applies).
    Set {
        #[schema(min_length = 8, max_length = 1024)]
        value: String,
    },
    /// The person chooses it through an emailed link (always emailed).
    Link {},
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    #[schema(format = "email", max_length = 254, example = "ada@example.org")]
    email: String,
    #[schema(min_length = 1, max_length = 100, example = "Ada")]
    first_name: String,
    #[schema(min_length = 1, max_length = 100, example = "Lovelace")]
    last_name: String,
    /// Where Usher's mail for this member goes, when not to `email`.
    #[schema(format = "email", max_length = 254)]
    notification_email: Option<String>,
    #[schema(max_length = 32, example = "+39 0543 712 111")]
    phone: Option<String>,
    locale: Option<Locale>,
    role: Role,
    /// Names from the tenant's permission catalogue (or `users.manage`).
    #[serde(default)]
    #[schema(max_items = 100, example = json!(["reports.reply"]))]
    permissions: Vec<String>,
    password: PasswordModeRequest,
    #[serde(default)]
    send_credentials: bool,
}

impl TryFrom<CreateUserRequest> for NewUser {
    type Error = Problem;

    fn try_from(r: CreateUserRequest) -> Result<Self, Problem> {
        Ok(Self {
            email: EmailAddress::parse(&r.email).map_err(|e| Problem::invalid("email", e))?,
            first_name: PersonName::parse(&r.first_name)
                .map_err(|e| Problem::invalid("first_name", e))?,
            last_name: PersonName::parse(&r.last_name)
                .map_err(|e| Problem::invalid("last_name", e))?,
            notification_email: r
                .notification_email
                .map(|e| {
                    EmailAddress::parse(&e).map_err(|e| Problem::invalid("notification_email", e))
                })
                .transpose()?,
            phone: r
                .phone
                .map(|p| Phone::parse(&p).map_err(|e| Problem::invalid("phone", e)))
                .transpose()?,
            locale: r.locale.unwrap_or_default(),
            role: r.role,
            permissions: permissions_field(&r.permissions)?,
            password: match r.password {
                PasswordModeRequest::Generate {} => PasswordChoice::Generate,
                PasswordModeRequest::Set { value } => {
                    PasswordChoice::Set(SecretString::from(value))
                }
                PasswordModeRequest::Link {} => PasswordChoice::Link,
            },
            send_credentials: r.send_credentials,
            auto_tickets: None,
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct CreateUserResponse {
    user: UserView,
    /// Only for mode `generate`, and only in this answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    generated_password: Option<String>,
}

/// The email has an account: the person is invited with the requested role and permissions and
/// joins when they accept through the link mailed to their own address.
#[derive(Serialize, ToSchema)]
pub struct UserInvitedResponse {
    invitation: InvitationView,
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/users", tag = "users", security(("bearer" = [])),
    params(("tenant_id" = String, Path)),
    request_body = CreateUserRequest,
    responses(
        (status = 201, body = CreateUserResponse),
        (status = 202, description = "The email already has an account: nothing of it is shown or changed; an invitation with the requested role and permissions was mailed to it, and the membership exists once the person accepts", body = UserInvitedResponse),
        (status = 400, description = "invalid_request: the body is not one JSON value", body = ProblemDoc),
        (status = 401, description = "unauthenticated: no valid session token", body = ProblemDoc),
        (status = 403, description = "forbidden: needs admin or users.manage; role_not_allowed: a role above the caller's; permission_not_allowed: a permission the caller does not hold; membership_inactive: the caller's membership here is archived or without access; password_change_required: a session of a temporary password may only change it", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller (or the id is not one)", body = ProblemDoc),
        (status = 409, description = "already_member; member_archived: restore them instead; invitation_pending: the person was invited already (resend it); conflict: the same email was being registered at the same time, or the catalogue changed", body = ProblemDoc),
        (status = 413, description = "payload_too_large: the body is over 64 KiB", body = ProblemDoc),
        (status = 415, description = "unsupported_media_type: send application/json", body = ProblemDoc),
        (status = 422, description = "invalid_request: a field is missing, unknown or malformed (`field` names it); unknown_permission; weak_password", body = ProblemDoc),
        (status = 429, description = "rate_limited, with Retry-After: an email with an account is invited, and invitations count in the daily quotas", body = ProblemDoc),
    ))]
async fn create_user_route(
    State(app): State<App>,
    Bearer(token): Bearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
    ApiJson(body): ApiJson<CreateUserRequest>,
) -> Result<impl IntoResponse, Problem> {
    Ok(
        match create_user::create_user(&app, &token, tenant_id, body.try_into()?).await? {
            Creation::Created(created) => (
                StatusCode::CREATED,
                Json(CreateUserResponse {
                    user: created.user.into(),
                    generated_password: created.generated_password.map(|p| p.expose().to_owned()),
                }),
            )
                .into_response(),
            Creation::Invited(invitation) => (
                StatusCode::ACCEPTED,
                Json(UserInvitedResponse {
                    invitation: InvitationView::new(*invitation, app.clock.now()),
                }),
            )
                .into_response(),
        },
    )
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListUsersQuery {
    status: Option<MembershipStatus>,
    /// Only the member with this email, any letter case (at most one).
    email: Option<String>,
    /// 1 to 200, default 50.
    limit: Option<u32>,
    cursor: Option<String>,
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/users", tag = "users", security(("bearer" = [])),
    params(("tenant_id" = String, Path), ("status" = Option<MembershipStatus>, Query),
        ("email" = Option<String>, Query, description = "Only the member with this email (any letter case): a help desk asks whether a sender is a user and whether auto_tickets is on"),
        ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses(
        (status = 200, body = Page<UserView>),
        (status = 400, description = "invalid_request: the query string does not parse", body = ProblemDoc),
        (status = 401, description = "unauthenticated: no valid session token", body = ProblemDoc),
        (status = 403, description = "forbidden: needs admin or users.manage; membership_inactive: the caller's membership here is archived or without access; password_change_required: a session of a temporary password may only change it", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller (or the id is not one)", body = ProblemDoc),
        (status = 422, description = "invalid_request: limit out of range, a cursor this listing did not give, or an email that is not one", body = ProblemDoc),
    ))]
async fn list_users_route(
    State(app): State<App>,
    Bearer(token): Bearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
    ApiQuery(query): ApiQuery<ListUsersQuery>,
) -> Result<Json<Page<UserView>>, Problem> {
    let limit = page_limit(query.limit)?;
    let cursor = query
        .cursor
        .map(|c| {
            Cursor::parse(&c)
                .ok_or_else(|| Problem::invalid("cursor", "is not a cursor this listing gave"))
        })
        .transpose()?;
    let request = ListUsers {
        status: query.status,
        email: query
            .email
            .map(|e| EmailAddress::parse(&e).map_err(|e| Problem::invalid("email", e)))
            .transpose()?,
        limit,
        cursor,
    };
    let page = list_users::list_users(&app, &token, tenant_id, request).await?;
    Ok(Json(Page {
        items: page.users.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor.map(|c| c.encode()),
    }))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/users/{user_id}", tag = "users", security(("bearer" = [])),
    params(("tenant_id" = String, Path), ("user_id" = String, Path, description = "The account id")),
    responses(
        (status = 200, body = UserView),
        (status = 401, description = "unauthenticated: no valid session token", body = ProblemDoc),
        (status = 403, description = "forbidden: needs admin or users.manage; membership_inactive: the caller's membership here is archived or without access; password_change_required: a session of a temporary password may only change it", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller, or no such user in it", body = ProblemDoc),
    ))]
async fn get_user_route(
    State(app): State<App>,
    Bearer(token): Bearer,
    ApiPath((tenant_id, user_id)): ApiPath<(TenantId, AccountId)>,
) -> Result<Response, Problem> {
    Ok(with_etag(
        get_user::get_user(&app, &token, tenant_id, user_id).await?,
    ))
}

/// The user, with its version as the `ETag` a later `If-Match` names.
fn with_etag(member: MembershipRecord) -> Response {
    let tag = format!("\"{}\"", member.version);
    let mut response = Json(UserView::from(member)).into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(&tag) {
        response
            .headers_mut()
            .insert(axum::http::header::ETAG, value);
    }
    response
}

/// The version an `If-Match` header names (`"3"`, `W/"3"`); `*` or none is no condition, and
/// anything else can match no version.
fn if_match(headers: &axum::http::HeaderMap) -> Option<u64> {
    let raw = headers
        .get(axum::http::header::IF_MATCH)?
        .to_str()
        .unwrap_or("");
    let raw = raw.trim();
    if raw == "*" {
        return None;
    }
    Some(
        raw.trim_start_matches("W/")
            .trim_matches('"')
            .parse()
            .unwrap_or(u64::MAX),
    )
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    /// The person's own fields (names, phone, locale) change only for an account in this tenant
    /// alone.
    #[schema(min_length = 1, max_length = 100)]
    first_name: Option<String>,
    #[schema(min_length = 1, max_length = 100)]
    last_name: Option<String>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "usher_core::http::present")]
    #[schema(value_type = Option<String>, nullable, max_length = 32)]
    phone: Option<Option<String>>,
    locale: Option<Locale>,
    /// `null` clears it: mail goes to the login address again.
    #[serde(default, deserialize_with = "usher_core::http::present")]
    #[schema(value_type = Option<String>, nullable, format = "email")]
    notification_email: Option<Option<String>>,
    role: Option<Role>,
    #[schema(max_items = 100)]
    permissions: Option<Vec<String>>,
    auto_tickets: Option<bool>,
}

impl TryFrom<UpdateUserRequest> for UserPatch {
    type Error = Problem;

    fn try_from(r: UpdateUserRequest) -> Result<Self, Problem> {
        let name = |field: &str, raw: Option<String>| {
            raw.map(|n| PersonName::parse(&n).map_err(|e| Problem::invalid(field, e)))
                .transpose()
        };
        Ok(Self {
            first_name: name("first_name", r.first_name)?,
            last_name: name("last_name", r.last_name)?,
            phone: r
                .phone
                .map(|p| {
                    p.map(|p| Phone::parse(&p).map_err(|e| Problem::invalid("phone", e)))
                        .transpose()
                })
                .transpose()?,
            locale: r.locale,
            notification_email: r
                .notification_email
                .map(|e| {
                    e.map(|e| {
                        EmailAddress::parse(&e)
                            .map_err(|e| Problem::invalid("notification_email", e))
                    })
                    .transpose()
                })
                .transpose()?,
            role: r.role,
            permissions: r.permissions.map(|p| permissions_field(&p)).transpose()?,
            auto_tickets: r.auto_tickets,
        })
    }
}

#[utoipa::path(patch, path = "/v1/tenants/{tenant_id}/users/{user_id}", tag = "users", security(("bearer" = [])),
    params(("tenant_id" = String, Path), ("user_id" = String, Path, description = "The account id"),
        ("If-Match" = Option<String>, Header, description = "The ETag of the user as read: the change applies only to that version")),
    request_body = UpdateUserRequest,
    responses(
        (status = 200, description = "The user as changed, with its new ETag", body = UserView),
        (status = 400, description = "invalid_request: the body is not one JSON value", body = ProblemDoc),
        (status = 401, description = "unauthenticated: no valid session token", body = ProblemDoc),
        (status = 403, description = "forbidden: needs admin or users.manage; role_not_allowed: the user's role or the new one is above the caller's, or owner is given or taken by a non-owner; permission_not_allowed: a permission the caller does not hold; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller, or no such user in it", body = ProblemDoc),
        (status = 409, description = "account_shared: names, phone and locale belong to an account other tenants know too; last_owner: the last active owner cannot be demoted; conflict: the user changed at the same time (no If-Match)", body = ProblemDoc),
        (status = 412, description = "precondition_failed: the user changed since the version in If-Match", body = ProblemDoc),
        (status = 413, description = "payload_too_large: the body is over 64 KiB", body = ProblemDoc),
        (status = 415, description = "unsupported_media_type: send application/json", body = ProblemDoc),
        (status = 422, description = "invalid_request: a field is unknown (email, tenant_id, status, created_via and version are not changed here) or malformed; unknown_permission", body = ProblemDoc),
    ))]
async fn update_user_route(
    State(app): State<App>,
    Bearer(token): Bearer,
    ApiPath((tenant_id, user_id)): ApiPath<(TenantId, AccountId)>,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<UpdateUserRequest>,
) -> Result<Response, Problem> {
    let updated = lifecycle::update_user(
        &app,
        &token,
        tenant_id,
        user_id,
        body.try_into()?,
        if_match(&headers),
    )
    .await?;
    Ok(with_etag(updated))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessRequest {
    /// `false` revokes: the person can no longer use this tenant, their sessions stop working
    /// for it at once, and a password link this tenant sent dies. `true` grants: a person with no
    /// password yet is mailed a link to choose one, others are told.
    enabled: bool,
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/users/{user_id}/access", tag = "users", security(("bearer" = [])),
    params(("tenant_id" = String, Path), ("user_id" = String, Path, description = "The account id")),
    request_body = AccessRequest,
    responses(
        (status = 200, body = UserView),
        (status = 400, description = "invalid_request: the body is not one JSON value", body = ProblemDoc),
        (status = 401, description = "unauthenticated: no valid session token", body = ProblemDoc),
        (status = 403, description = "forbidden: needs admin or users.manage; role_not_allowed: the user's role is above the caller's; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller, or no such user in it", body = ProblemDoc),
        (status = 409, description = "conflict: the user changed at the same time", body = ProblemDoc),
        (status = 413, description = "payload_too_large: the body is over 64 KiB", body = ProblemDoc),
        (status = 415, description = "unsupported_media_type: send application/json", body = ProblemDoc),
        (status = 422, description = "invalid_request: a field is missing or unknown", body = ProblemDoc),
    ))]
async fn access_route(
    State(app): State<App>,
    Bearer(token): Bearer,
    ApiPath((tenant_id, user_id)): ApiPath<(TenantId, AccountId)>,
    ApiJson(body): ApiJson<AccessRequest>,
) -> Result<Response, Problem> {
    Ok(with_etag(
        lifecycle::set_access(&app, &token, tenant_id, user_id, body.enabled).await?,
    ))
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/users/{user_id}/archive", tag = "users", security(("bearer" = [])),
    params(("tenant_id" = String, Path), ("user_id" = String, Path, description = "The account id")),
    responses(
        (status = 200, description = "Archived (never deleted): the person can no longer use this tenant, their sessions stop working for it at once, and the default list leaves them out", body = UserView),
        (status = 401, description = "unauthenticated: no valid session token", body = ProblemDoc),
        (status = 403, description = "forbidden: needs admin or users.manage; role_not_allowed: the user's role is above the caller's; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller, or no such user in it", body = ProblemDoc),
        (status = 409, description = "last_owner: the last active owner cannot be archived; conflict: the user changed at the same time", body = ProblemDoc),
    ))]
async fn archive_route(
    State(app): State<App>,
    Bearer(token): Bearer,
    ApiPath((tenant_id, user_id)): ApiPath<(TenantId, AccountId)>,
) -> Result<Response, Problem> {
    Ok(with_etag(
        lifecycle::set_archived(&app, &token, tenant_id, user_id, true).await?,
    ))
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/users/{user_id}/restore", tag = "users", security(("bearer" = [])),
    params(("tenant_id" = String, Path), ("user_id" = String, Path, description = "The account id")),
    responses(
        (status = 200, description = "Active again", body = UserView),
        (status = 401, description = "unauthenticated: no valid session token", body = ProblemDoc),
        (status = 403, description = "forbidden: needs admin or users.manage; role_not_allowed: the user's role is above the caller's; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller, or no such user in it", body = ProblemDoc),
        (status = 409, description = "conflict: the user changed at the same time", body = ProblemDoc),
    ))]
async fn restore_route(
    State(app): State<App>,
    Bearer(token): Bearer,
    ApiPath((tenant_id, user_id)): ApiPath<(TenantId, AccountId)>,
) -> Result<Response, Problem> {
    Ok(with_etag(
        lifecycle::set_archived(&app, &token, tenant_id, user_id, false).await?,
    ))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/users/{user_id}/events", tag = "users", security(("bearer" = [])),
    params(("tenant_id" = String, Path), ("user_id" = String, Path, description = "The account id"),
        ("action" = Option<String>, Query), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses(
        (status = 200, description = "The person's history in this tenant, newest first (the invitation that brought them in included)", body = Page<EventView>),
        (status = 400, description = "invalid_request: the query string does not parse", body = ProblemDoc),
        (status = 401, description = "unauthenticated: no valid session token", body = ProblemDoc),
        (status = 403, description = "forbidden: needs admin or users.manage, unless it is the caller's own history; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller, or no such user in it", body = ProblemDoc),
        (status = 422, description = "invalid_request: limit out of range, or a cursor this listing did not give", body = ProblemDoc),
    ))]
async fn user_events_route(
    State(app): State<App>,
    Bearer(token): Bearer,
    ApiPath((tenant_id, user_id)): ApiPath<(TenantId, AccountId)>,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> Result<Json<Page<EventView>>, Problem> {
    let page = events::user_events(&app, &token, tenant_id, user_id, query.into_request()?).await?;
    Ok(Json(page.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// Only members with this status; all when not given.
    status: Option<MembershipStatus>,
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/users.csv", tag = "users", security(("bearer" = [])),
    params(("tenant_id" = String, Path), ("status" = Option<MembershipStatus>, Query)),
    responses(
        (status = 200, description = "RFC 4180 CSV, UTF-8 with a byte-order mark: a header row, then a row per member (a column per field, and one per permission of the catalogue, `x` when held); cells a spreadsheet would run as a formula start with `'`. Written a page of members at a time", content_type = "text/csv"),
        (status = 400, description = "invalid_request: the query string does not parse", body = ProblemDoc),
        (status = 401, description = "unauthenticated: no valid session token", body = ProblemDoc),
        (status = 403, description = "forbidden: needs admin or users.manage; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller", body = ProblemDoc),
    ))]
async fn export_route(
    State(app): State<App>,
    Bearer(token): Bearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, Problem> {
    use futures::StreamExt;
    let export = export_users::start_export(&app, &token, tenant_id, query.status).await?;
    let header = export.header()?;
    /// Where the export is: the header is written, pages follow until the last.
    enum Step {
        Next(Option<usher_core::table::Key>),
        Done,
    }
    let export = std::sync::Arc::new(export);
    let pages = futures::stream::unfold(Step::Next(None), move |step| {
        let (app, export) = (app.clone(), export.clone());
        async move {
            let Step::Next(after) = step else {
                return None;
            };
            let first = after.is_none();
            match export.page(&app, after).await {
                Ok((rows, Some(next))) => Some((Ok(rows), Step::Next(Some(next)))),
                Ok((rows, None)) => Some((Ok(rows), Step::Done)),
                Err(error) => {
                    // The status is sent already: cutting the stream is how the client learns.
                    tracing::error!(error = ?error, first, "export failed");
                    Some((Err(std::io::Error::other("the export failed")), Step::Done))
                }
            }
        }
    });
    let body = futures::stream::once(async move { Ok::<_, std::io::Error>(header) })
        .chain(pages)
        .map(|chunk| chunk.map(axum::body::Bytes::from));
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"users.csv\"",
            ),
        ],
        axum::body::Body::from_stream(body),
    )
        .into_response())
}

fn csv_response(body: Vec<u8>, filename: &'static str) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (axum::http::header::CONTENT_DISPOSITION, filename),
        ],
        body,
    )
        .into_response()
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/users.csv/template", tag = "users", security(("bearer" = [])),
    params(("tenant_id" = String, Path)),
    responses(
        (status = 200, description = "The columns an import reads (a column per permission of the catalogue among them) and one example row; UTF-8 with a byte-order mark, comma-separated (semicolons are read too)", content_type = "text/csv"),
        (status = 401, description = "unauthenticated: no valid session token", body = ProblemDoc),
        (status = 403, description = "forbidden: needs admin or users.manage; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller", body = ProblemDoc),
    ))]
async fn template_route(
    State(app): State<App>,
    Bearer(token): Bearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
) -> Result<Response, Problem> {
    let template = import_users::template(&app, &token, tenant_id).await?;
    Ok(csv_response(
        template,
        "attachment; filename=\"users-template.csv\"",
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// `true`: check the file and answer what the import would do, writing and sending nothing.
    #[serde(default)]
    dry_run: bool,
    /// How the file's bytes are text; UTF-8 (with or without a byte-order mark) by default.
    #[serde(default)]
    encoding: FileEncoding,
}

/// A dry run's answer: what each row would become.
#[derive(Serialize, ToSchema)]
pub struct DryRunView {
    dry_run: bool,
    counts: Counts,
    /// Every row, in file order.
    rows: Vec<RowReport>,
}

/// An import, as filed and as it goes on.
#[derive(Serialize, ToSchema)]
pub struct ImportView {
    #[schema(value_type = String)]
    id: usher_core::domain::ImportId,
    status: ImportStatus,
    /// Rows in the file.
    rows: u32,
    rows_done: u32,
    /// What the check before filing expected.
    planned: Counts,
    /// What the rows done so far became.
    counts: Counts,
    created_at: chrono::DateTime<chrono::Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    finished_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Each row done so far, in row order.
    report: Vec<RowReport>,
}

impl From<ImportProgress> for ImportView {
    fn from(progress: ImportProgress) -> Self {
        let import = progress.import;
        Self {
            id: import.id,
            status: import.status,
            rows: import.rows,
            rows_done: progress.rows_done,
            planned: import.planned,
            counts: progress.counts,
            created_at: import.created_at,
            finished_at: import.finished_at,
            report: progress.report,
        }
    }
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/users.csv", tag = "users", security(("bearer" = [])),
    params(("tenant_id" = String, Path), ("dry_run" = Option<bool>, Query), ("encoding" = Option<FileEncoding>, Query)),
    request_body(content = String, content_type = "text/csv", description = "The file, at most 5 MB and 10,000 rows: a header row (email, first_name, last_name, notification_email, phone, locale, role, auto_tickets, send_credentials, a column per permission; the export's own columns are read too), comma or semicolon separated, CRLF or LF"),
    responses(
        (status = 200, description = "dry_run: what each row would become (added: someone who is not a member joins, created or, for an email with an account, invited, which a check does not tell; updated; unchanged; or error with its code and column); nothing was written or sent", body = DryRunView),
        (status = 202, description = "Filed: the rows are done in the background; GET the Location for progress and the report", body = ImportView),
        (status = 400, description = "invalid_request: the query string does not parse", body = ProblemDoc),
        (status = 401, description = "unauthenticated: no valid session token", body = ProblemDoc),
        (status = 403, description = "forbidden: needs admin or users.manage; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller", body = ProblemDoc),
        (status = 413, description = "payload_too_large: the file is over 5 MB", body = ProblemDoc),
        (status = 415, description = "unsupported_media_type: send the file as text/csv", body = ProblemDoc),
        (status = 422, description = "empty_file; too_many_rows: over 10,000; invalid_encoding: not UTF-8 (`row` names the first bad row; or name the encoding); invalid_csv: a quote never closed, a row with another number of cells than the header, a byte-order mark past the start, or binary content (`row` names it); missing_header: the first row is data, not the header; missing_column: no email column; unknown_column; duplicate_column; unknown_permission: a permission column not in the catalogue; import_invalid: rows in error (`errors` lists them with code and column), nothing was written", body = ProblemDoc),
    ))]
async fn import_route(
    State(app): State<App>,
    Bearer(token): Bearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
    ApiQuery(query): ApiQuery<ImportQuery>,
    CsvBody(bytes): CsvBody,
) -> Result<Response, Problem> {
    let imported = import_users::import_users(
        &app,
        &token,
        tenant_id,
        &bytes,
        query.encoding,
        query.dry_run,
    )
    .await?;
    Ok(match imported {
        Imported::DryRun(report) => Json(DryRunView {
            dry_run: true,
            counts: report.counts,
            rows: report.rows,
        })
        .into_response(),
        Imported::Filed(import) => {
            let location = format!("/v1/tenants/{tenant_id}/imports/{}", import.id);
            let view = ImportView::from(ImportProgress {
                import,
                rows_done: 0,
                counts: Counts::default(),
                report: Vec::new(),
            });
            (
                StatusCode::ACCEPTED,
                [(axum::http::header::LOCATION, location)],
                Json(view),
            )
                .into_response()
        }
    })
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/imports/{import_id}", tag = "users", security(("bearer" = [])),
    params(("tenant_id" = String, Path), ("import_id" = String, Path)),
    responses(
        (status = 200, description = "How far the import is, and each row done so far", body = ImportView),
        (status = 401, description = "unauthenticated: no valid session token", body = ProblemDoc),
        (status = 403, description = "forbidden: needs admin or users.manage; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller, or no such import in it", body = ProblemDoc),
    ))]
async fn import_status_route(
    State(app): State<App>,
    Bearer(token): Bearer,
    ApiPath((tenant_id, import_id)): ApiPath<(TenantId, usher_core::domain::ImportId)>,
) -> Result<Json<ImportView>, Problem> {
    let progress = import_users::get_import(&app, &token, tenant_id, import_id).await?;
    Ok(Json(progress.into()))
}
