//! The users function: a tenant's members as those who manage users see and change them. It
//! lists and exports them, reads one (with the version an `If-Match` names), changes one, grants
//! or revokes their access, archives and restores them, and reads their history. Creating people
//! and importing them is the create-user function's.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, extract::State};
use serde::Deserialize;
use usher_core::app::App;
use usher_core::domain::{AccountId, EmailAddress, Locale, Role, TeamId, TenantId};
use usher_core::http::{
    ApiJson, ApiPath, ApiQuery, BearerErrors, EventView, EventsQuery, InvitationView,
    JsonBodyErrors, Page, Problem, ProblemDoc, TenantBearer, UserInvitedResponse, UserView,
    csv_attachment, finish_router, mount, page_limit, permissions_field, person_patch,
};
use usher_core::records::MembershipStatus;
use usher_core::usecases::get_user;
use usher_core::usecases::lifecycle::{self, AccessChange, UserPatch};
use usher_core::usecases::list_users::{self, ListUsers, TeamFilter};
use usher_core::usecases::team_grants::Member;
use usher_core::usecases::{AuditAction, events, export_users};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This function's routes, each declared once, by its handler's `#[utoipa::path]`: the router
/// and this function's part of the OpenAPI document (`api().into_openapi()`) are both made from
/// it.
pub fn api() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_users_route))
        .routes(routes!(get_user_route, update_user_route))
        .routes(routes!(access_route))
        .routes(routes!(export_route))
        .routes(routes!(archive_route))
        .routes(routes!(restore_route))
        .routes(routes!(end_sessions_route))
        .routes(routes!(user_events_route))
}

/// The routes as this function's Lambda serves them.
pub fn router(app: App) -> Router {
    finish_router(mount(api(), &app))
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
    /// Only the people of this team.
    #[schema(value_type = Option<String>)]
    team_id: Option<TeamId>,
    /// With `team_id`: `subteams` adds the people of its active sub-teams, each once.
    include: Option<String>,
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/users", tag = "users", security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("status" = Option<MembershipStatus>, Query),
        ("email" = Option<String>, Query, description = "Only the member with this email (any letter case): a help desk asks whether a sender is a user and whether auto_tickets is on"),
        ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query),
        ("team_id" = Option<String>, Query, description = "Only the people of this team"),
        ("include" = Option<String>, Query, description = "With team_id: `subteams` adds the people of its active sub-teams, each once")),
    responses(
        BearerErrors,
        (status = 200, body = Page<UserView>),
        (status = 400, description = "invalid_request: the query string does not parse", body = ProblemDoc),
        (status = 403, description = "forbidden: needs admin or users.manage; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive: the caller's membership here is archived or without access; password_change_required: a session of a temporary password may only change it", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller (or the id is not one); team_not_found: no such team in this tenant", body = ProblemDoc),
        (status = 422, description = "invalid_request: limit out of range, a cursor this listing did not give, or an email that is not one; include other than `subteams`, or without team_id", body = ProblemDoc),
    ))]
async fn list_users_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
    ApiQuery(query): ApiQuery<ListUsersQuery>,
) -> Result<Json<Page<UserView>>, Problem> {
    let limit = page_limit(query.limit)?;
    let request = ListUsers {
        status: query.status,
        email: query
            .email
            .map(|e| EmailAddress::parse(&e).map_err(|e| Problem::invalid("email", e)))
            .transpose()?,
        limit,
        cursor: query.cursor,
        team: team_filter(query.team_id, query.include.as_deref())?,
    };
    let page = list_users::list_users(&app, &token, tenant_id, request).await?;
    Ok(Json(Page {
        items: page.users.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor.map(|c| c.encode()),
    }))
}

/// `team_id` with an optional `include=subteams`.
fn team_filter(
    team_id: Option<TeamId>,
    include: Option<&str>,
) -> Result<Option<TeamFilter>, Problem> {
    match (team_id, include) {
        (None, None) => Ok(None),
        (Some(team_id), None | Some("subteams")) => Ok(Some(TeamFilter {
            team_id,
            include_subteams: include.is_some(),
        })),
        (None, Some(_)) => Err(Problem::invalid("include", "goes with team_id")),
        (Some(_), Some(_)) => Err(Problem::invalid("include", "is `subteams`")),
    }
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/users/{user_id}", tag = "users", security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("user_id" = String, Path, description = "The account id")),
    responses(
        BearerErrors,
        (status = 200, body = UserView),
        (status = 403, description = "forbidden: needs admin or users.manage; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive: the caller's membership here is archived or without access; password_change_required: a session of a temporary password may only change it", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller, or no such user in it", body = ProblemDoc),
    ))]
async fn get_user_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath((tenant_id, user_id)): ApiPath<(TenantId, AccountId)>,
) -> Result<Response, Problem> {
    Ok(with_etag(
        get_user::get_user(&app, &token, tenant_id, user_id).await?,
    ))
}

/// The user, with its version as the `ETag` a later `If-Match` names.
fn with_etag(member: Member) -> Response {
    let tag = format!("\"{}\"", member.membership.version);
    let mut response = Json(UserView::from(member)).into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(&tag) {
        response
            .headers_mut()
            .insert(axum::http::header::ETAG, value);
    }
    response
}

/// The versions a strong `If-Match` names (RFC 9110: `"3"`, or a list such as `"3", "4"`);
/// `None` for no header or `*` (any current version: the user exists, or the answer is 404). A weak
/// tag (`W/"3"`) or anything malformed names no version, so it matches none: 412.
fn if_match(headers: &axum::http::HeaderMap) -> Option<Vec<u64>> {
    let raw = headers.get(axum::http::header::IF_MATCH)?;
    let raw = raw.to_str().unwrap_or("").trim();
    if raw == "*" {
        return None;
    }
    Some(
        raw.split(',')
            .filter_map(|tag| {
                let opaque = tag.trim().strip_prefix('"')?.strip_suffix('"')?;
                // Compared as the opaque string it is: `"03"` is not the tag `"3"`.
                let version: u64 = opaque.parse().ok()?;
                (version.to_string() == opaque).then_some(version)
            })
            .collect(),
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
        Ok(Self {
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
            ..person_patch(r.first_name, r.last_name, r.phone, r.locale)?
        })
    }
}

#[utoipa::path(patch, path = "/v1/tenants/{tenant_id}/users/{user_id}", tag = "users", security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("user_id" = String, Path, description = "The account id"),
        ("If-Match" = Option<String>, Header, description = "The ETag of the user as read: the change applies only to that version")),
    request_body = Option<UpdateUserRequest>,
    responses(
        BearerErrors,
        JsonBodyErrors,
        (status = 200, description = "The user as changed, with its new ETag", body = UserView),
        (status = 403, description = "forbidden: needs admin or users.manage; role_not_allowed: the user's role or the new one is above the caller's, or owner is given or taken by a non-owner; permission_not_allowed: a permission the caller does not hold; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller, or no such user in it", body = ProblemDoc),
        (status = 409, description = "account_shared: names, phone and locale belong to an account other tenants know too; last_owner: the last owner who is active with access cannot be demoted; conflict: the user changed at the same time (no If-Match)", body = ProblemDoc),
        (status = 412, description = "precondition_failed: the user changed since the version in If-Match", body = ProblemDoc),
        (status = 422, description = "invalid_request: a field is unknown (email, tenant_id, status, created_via and version are not changed here) or malformed; unknown_permission", body = ProblemDoc),
    ))]
async fn update_user_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
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
        if_match(&headers).as_deref(),
    )
    .await?;
    Ok(with_etag(updated))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessRequest {
    /// `false` revokes: the person can no longer use this tenant, their sessions stop working
    /// for it at once, and a password link this tenant sent dies. `true` grants: a person with no
    /// password yet is mailed a link to choose one, others are told; a person kept from their
    /// mail (`needs_consent`) is invited to their own address instead, and has access once they
    /// accept.
    enabled: bool,
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/users/{user_id}/access", tag = "users", security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("user_id" = String, Path, description = "The account id")),
    request_body = AccessRequest,
    responses(
        BearerErrors,
        JsonBodyErrors,
        (status = 200, body = UserView),
        (status = 202, description = "The user was kept from their mail while their account existed (`needs_consent`): nothing opened; an invitation with their role and permissions was mailed to their own address, and access opens when they accept it", body = UserInvitedResponse),
        (status = 403, description = "forbidden: needs admin or users.manage; role_not_allowed: the user's role is above the caller's; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller, or no such user in it", body = ProblemDoc),
        (status = 409, description = "last_owner: the last owner who is active with access keeps it; conflict: the user changed at the same time; invitation_pending: the person was invited already (resend it)", body = ProblemDoc),
        (status = 422, description = "invalid_request: a field is missing or unknown", body = ProblemDoc),
        (status = 429, description = "rate_limited, with Retry-After: the invitation a grant files counts in the daily invitation quotas", body = ProblemDoc),
    ))]
async fn access_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath((tenant_id, user_id)): ApiPath<(TenantId, AccountId)>,
    ApiJson(body): ApiJson<AccessRequest>,
) -> Result<Response, Problem> {
    Ok(
        match lifecycle::set_access(&app, &token, tenant_id, user_id, body.enabled).await? {
            AccessChange::Changed(member) => with_etag(member),
            AccessChange::ConsentRequested(invitation) => (
                StatusCode::ACCEPTED,
                Json(UserInvitedResponse {
                    invitation: InvitationView::new(invitation, app.clock.now()),
                }),
            )
                .into_response(),
        },
    )
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/users/{user_id}/archive", tag = "users", security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("user_id" = String, Path, description = "The account id")),
    responses(
        BearerErrors,
        (status = 200, description = "Archived (never deleted): the person can no longer use this tenant, their sessions stop working for it at once, and the default list leaves them out", body = UserView),
        (status = 403, description = "forbidden: needs admin or users.manage; role_not_allowed: the user's role is above the caller's; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller, or no such user in it", body = ProblemDoc),
        (status = 409, description = "last_owner: the last owner who is active with access cannot be archived; conflict: the user changed at the same time", body = ProblemDoc),
    ))]
async fn archive_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath((tenant_id, user_id)): ApiPath<(TenantId, AccountId)>,
) -> Result<Response, Problem> {
    Ok(with_etag(
        lifecycle::set_archived(&app, &token, tenant_id, user_id, true).await?,
    ))
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/users/{user_id}/restore", tag = "users", security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("user_id" = String, Path, description = "The account id")),
    responses(
        BearerErrors,
        (status = 200, description = "Active again", body = UserView),
        (status = 403, description = "forbidden: needs admin or users.manage; role_not_allowed: the user's role is above the caller's; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller, or no such user in it", body = ProblemDoc),
        (status = 409, description = "conflict: the user changed at the same time", body = ProblemDoc),
    ))]
async fn restore_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath((tenant_id, user_id)): ApiPath<(TenantId, AccountId)>,
) -> Result<Response, Problem> {
    Ok(with_etag(
        lifecycle::set_archived(&app, &token, tenant_id, user_id, false).await?,
    ))
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/users/{user_id}/sessions", tag = "users", security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("user_id" = String, Path, description = "The account id")),
    responses(
        BearerErrors,
        (status = 204, description = "Every session the person opened until now stops acting in this tenant, and mints no access token for it; what they do in other tenants is not this tenant's to end"),
        (status = 403, description = "forbidden: needs admin or users.manage; role_not_allowed: the user's role is above the caller's; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller, or no such user in it", body = ProblemDoc),
        (status = 409, description = "conflict: the user changed at the same time", body = ProblemDoc),
    ))]
async fn end_sessions_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath((tenant_id, user_id)): ApiPath<(TenantId, AccountId)>,
) -> Result<StatusCode, Problem> {
    usher_core::usecases::sessions::end_member_sessions(&app, &token, tenant_id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/users/{user_id}/events", tag = "users", security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("user_id" = String, Path, description = "The account id"),
        ("action" = inline(Option<AuditAction>), Query), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses(
        BearerErrors,
        (status = 200, description = "The person's history in this tenant, newest first (the invitation that brought them in included)", body = Page<EventView>),
        (status = 400, description = "invalid_request: the query string does not parse", body = ProblemDoc),
        (status = 403, description = "forbidden: needs admin or users.manage, unless it is the caller's own history; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller, or no such user in it", body = ProblemDoc),
        (status = 422, description = "invalid_request: limit out of range, or a cursor this listing did not give", body = ProblemDoc),
    ))]
async fn user_events_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
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
    /// Only the people of this team.
    #[schema(value_type = Option<String>)]
    team_id: Option<TeamId>,
    /// With `team_id`: `subteams` adds the people of its active sub-teams.
    include: Option<String>,
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/users.csv", tag = "users", security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("status" = Option<MembershipStatus>, Query),
        ("team_id" = Option<String>, Query, description = "Only the people of this team"),
        ("include" = Option<String>, Query, description = "With team_id: `subteams` adds the people of its active sub-teams")),
    responses(
        BearerErrors,
        (status = 200, description = "RFC 4180 CSV, UTF-8 with a byte-order mark: a header row, then a row per member (a column per field, `teams` with the paths of their active teams (`Sales/North; Support`, a `/` in a name as `\\/`), and one per permission of the catalogue, `x` when held); cells a spreadsheet would run as a formula start with `'`. Written a page of members at a time", content_type = "text/csv"),
        (status = 422, description = "invalid_request: include other than `subteams`, or without team_id", body = ProblemDoc),
        (status = 400, description = "invalid_request: the query string does not parse", body = ProblemDoc),
        (status = 403, description = "forbidden: needs admin or users.manage; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller; team_not_found: no such team in this tenant", body = ProblemDoc),
    ))]
async fn export_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, Problem> {
    use futures::StreamExt;
    let team = team_filter(query.team_id, query.include.as_deref())?;
    let export = export_users::start_export(&app, &token, tenant_id, query.status, team).await?;
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
        csv_attachment("users.csv"),
        axum::body::Body::from_stream(body),
    )
        .into_response())
}
