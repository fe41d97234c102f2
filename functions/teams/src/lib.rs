//! The teams function: a tenant's teams and sub-teams, their tree, moves, archive and restore;
//! their people, and a person's teams.

use axum::http::StatusCode;
use axum::{Json, Router, extract::State};
use serde::Deserialize;
use usher_core::app::App;
use usher_core::domain::AccountId;
use usher_core::domain::{TeamId, TeamName, TenantId};
use usher_core::http::UserView;
use usher_core::http::{
    ApiJson, ApiPath, ApiQuery, BearerErrors, JsonBodyErrors, Page, Problem, ProblemDoc,
    TeamNodeView, TeamView, TenantBearer, finish_router, mount, page_limit, permissions_field,
    present,
};
use usher_core::usecases::team_members;
use usher_core::usecases::teams::{
    self, ListTeams, NewTeam, SubteamsOnArchive, TeamPatch, parse_description,
};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This function's routes, each declared once, by its handler's `#[utoipa::path]`.
pub fn api() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(create_team_route, list_teams_route))
        .routes(routes!(team_tree_route))
        .routes(routes!(
            get_team_route,
            update_team_route,
            delete_team_route
        ))
        .routes(routes!(archive_team_route))
        .routes(routes!(restore_team_route))
        .routes(routes!(add_member_route, list_members_route))
        .routes(routes!(remove_member_route, update_member_route))
        .routes(routes!(person_teams_route))
}

/// The routes as this function's Lambda serves them.
pub fn router(app: App) -> Router {
    finish_router(mount(api(), &app))
}

fn team_name(raw: &str) -> Result<TeamName, Problem> {
    TeamName::parse(raw).map_err(|e| Problem::invalid("name", e))
}

fn team_id(field: &str, raw: &str) -> Result<TeamId, Problem> {
    raw.parse()
        .map_err(|_| Problem::invalid(field, "is not a team id"))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeamRequest {
    /// 1 to 100 characters (the rules of a person's name); unique among its siblings, whatever
    /// the letter case.
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    #[schema(max_length = 500)]
    description: Option<String>,
    /// The parent team; a root team without it.
    parent_id: Option<String>,
    /// From the tenant's catalogue (and `users.manage`); a non-admin gives only what they hold.
    #[serde(default)]
    permissions: Vec<String>,
}

const WRITE_FORBIDDEN: &str = "forbidden: only owners, admins and members who manage users change teams; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive; password_change_required; permission_not_allowed: a permission the caller does not hold";

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/teams", tag = "teams",
    security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path)),
    request_body = CreateTeamRequest,
    responses(
        BearerErrors,
        JsonBodyErrors,
        (status = 201, body = TeamView),
        (status = 403, description = WRITE_FORBIDDEN, body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller; team_not_found: no such parent team here", body = ProblemDoc),
        (status = 409, description = "team_name_taken: a sibling has this name; team_archived: the parent is archived; team_managed_by_scim: a maintainer's sub-team under a team the identity provider manages; team_limit_reached: 1,000 teams in the tenant or 500 under the parent; conflict: the tree changed at the same time", body = ProblemDoc),
        (status = 422, description = "team_too_deep: the parent is at depth 5; unknown_permission; invalid_request: a field is missing, unknown or malformed (`field` names it)", body = ProblemDoc),
    ))]
async fn create_team_route(
    State(app): State<App>,
    TenantBearer(credential): TenantBearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
    ApiJson(body): ApiJson<CreateTeamRequest>,
) -> Result<(StatusCode, Json<TeamView>), Problem> {
    let new = NewTeam {
        name: team_name(&body.name)?,
        description: match body.description.as_deref() {
            Some(raw) => parse_description(raw)?,
            None => None,
        },
        parent_id: body
            .parent_id
            .as_deref()
            .map(|raw| team_id("parent_id", raw))
            .transpose()?,
        permissions: permissions_field(&body.permissions)?,
    };
    let team = teams::create(&app, &credential, tenant_id, new).await?;
    Ok((StatusCode::CREATED, Json(team.into())))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListTeamsQuery {
    /// The children of this team, or `root` for the root teams; every team when left out.
    parent_id: Option<String>,
    /// Teams whose name starts with this (any letter case); at most 100 characters.
    q: Option<String>,
    /// `archived` to show archived teams too.
    include: Option<String>,
    /// 1 to 200, default 50.
    limit: Option<u32>,
    cursor: Option<String>,
}

/// An `include` query that takes one value: whether it was given.
fn include_flag(include: Option<&str>, value: &str) -> Result<bool, Problem> {
    match include {
        None => Ok(false),
        Some(given) if given == value => Ok(true),
        Some(_) => Err(Problem::invalid("include", format!("must be {value}"))),
    }
}

const READ_FORBIDDEN: &str = "tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive; password_change_required";

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/teams", tag = "teams",
    security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ListTeamsQuery),
    responses(
        BearerErrors,
        (status = 200, description = "Teams in id (creation) order, a page at a time", body = Page<TeamView>),
        (status = 400, description = "invalid_request: the query string does not parse", body = ProblemDoc),
        (status = 403, description = READ_FORBIDDEN, body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller", body = ProblemDoc),
        (status = 422, description = "invalid_request: limit out of range, q longer than 100 characters, a parent_id that is no team id, or a cursor this listing did not give", body = ProblemDoc),
    ))]
async fn list_teams_route(
    State(app): State<App>,
    TenantBearer(credential): TenantBearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
    ApiQuery(query): ApiQuery<ListTeamsQuery>,
) -> Result<Json<Page<TeamView>>, Problem> {
    if query.q.as_ref().is_some_and(|q| q.chars().count() > 100) {
        return Err(Problem::invalid("q", "is longer than 100 characters"));
    }
    let parent = match query.parent_id.as_deref() {
        None => None,
        Some("root") => Some(None),
        Some(raw) => Some(Some(team_id("parent_id", raw)?)),
    };
    let listing = ListTeams {
        parent,
        q: query.q,
        include_archived: include_flag(query.include.as_deref(), "archived")?,
        cursor: query.cursor,
        limit: page_limit(query.limit)?,
    };
    let (items, next) = teams::list(&app, &credential, tenant_id, listing).await?;
    Ok(Json(Page {
        items: items.into_iter().map(Into::into).collect(),
        next_cursor: next.map(|c| c.encode()),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TreeQuery {
    /// `archived` to show archived teams too.
    include: Option<String>,
}

#[derive(serde::Serialize, ToSchema)]
pub struct TeamTree {
    /// The root teams, each with its sub-teams; siblings in name order.
    items: Vec<TeamNodeView>,
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/teams/tree", tag = "teams",
    security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), TreeQuery),
    responses(
        BearerErrors,
        (status = 200, description = "The whole tree in one answer (a tenant holds at most 1,000 teams)", body = TeamTree),
        (status = 400, description = "invalid_request: the query string does not parse", body = ProblemDoc),
        (status = 403, description = READ_FORBIDDEN, body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller", body = ProblemDoc),
        (status = 422, description = "invalid_request: include is not archived", body = ProblemDoc),
    ))]
async fn team_tree_route(
    State(app): State<App>,
    TenantBearer(credential): TenantBearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
    ApiQuery(query): ApiQuery<TreeQuery>,
) -> Result<Json<TeamTree>, Problem> {
    let archived = include_flag(query.include.as_deref(), "archived")?;
    let roots = teams::tree(&app, &credential, tenant_id, archived).await?;
    Ok(Json(TeamTree {
        items: roots.into_iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/teams/{team_id}", tag = "teams",
    security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("team_id" = String, Path)),
    responses(
        BearerErrors,
        (status = 200, body = TeamView),
        (status = 403, description = READ_FORBIDDEN, body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller; team_not_found: no such team here (or the id is not one)", body = ProblemDoc),
    ))]
async fn get_team_route(
    State(app): State<App>,
    TenantBearer(credential): TenantBearer,
    ApiPath((tenant_id, team)): ApiPath<(TenantId, String)>,
) -> Result<Json<TeamView>, Problem> {
    let team = path_team(&team)?;
    Ok(Json(
        teams::get(&app, &credential, tenant_id, team).await?.into(),
    ))
}

/// A team id in a path: one that is not an id names no team.
fn path_team(raw: &str) -> Result<TeamId, Problem> {
    raw.parse().map_err(|_| teams::TeamError::NotFound.into())
}

/// Fields left out stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTeamRequest {
    #[schema(min_length = 1, max_length = 100)]
    name: Option<String>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable, max_length = 500)]
    description: Option<Option<String>>,
    /// Replaces the team's permissions.
    permissions: Option<Vec<String>>,
    /// Moves the team, with its sub-teams, under this team; `null` makes it a root.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    parent_id: Option<Option<String>>,
    /// `null` detaches a team the identity provider manages (SCIM): its people are then changed
    /// here, and the provider no longer sees it. Owners and admins only.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    managed_by: Option<Option<String>>,
}

#[utoipa::path(patch, path = "/v1/tenants/{tenant_id}/teams/{team_id}", tag = "teams",
    security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("team_id" = String, Path)),
    request_body = Option<UpdateTeamRequest>,
    responses(
        BearerErrors,
        JsonBodyErrors,
        (status = 200, description = "The team as changed: a move is one transaction with its whole subtree", body = TeamView),
        (status = 403, description = WRITE_FORBIDDEN, body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller; team_not_found: no such team (or parent) here", body = ProblemDoc),
        (status = 409, description = "team_cycle: the new parent is the team or one of its sub-teams; team_name_taken: a sibling there has this name; team_archived: the team or the new parent is archived; team_limit_reached: 500 sub-teams under the new parent; subtree_too_large: the change rewrites more than 80 teams; conflict: the tree changed at the same time", body = ProblemDoc),
        (status = 422, description = "team_too_deep: the team's subtree would go below depth 5; unknown_permission; invalid_request: a field is unknown or malformed (`field` names it)", body = ProblemDoc),
    ))]
async fn update_team_route(
    State(app): State<App>,
    TenantBearer(credential): TenantBearer,
    ApiPath((tenant_id, team)): ApiPath<(TenantId, String)>,
    ApiJson(body): ApiJson<UpdateTeamRequest>,
) -> Result<Json<TeamView>, Problem> {
    let team = path_team(&team)?;
    let detach_from_scim = match body.managed_by {
        None => false,
        Some(None) => true,
        Some(Some(_)) => {
            return Err(Problem::invalid(
                "managed_by",
                "only null, which detaches the team from the identity provider",
            ));
        }
    };
    let patch = TeamPatch {
        detach_from_scim,
        name: body.name.as_deref().map(team_name).transpose()?,
        description: body
            .description
            .map(|d| d.as_deref().map_or(Ok(None), parse_description))
            .transpose()?,
        permissions: body
            .permissions
            .as_deref()
            .map(permissions_field)
            .transpose()?,
        parent_id: body
            .parent_id
            .map(|p| {
                p.as_deref()
                    .map(|raw| team_id("parent_id", raw))
                    .transpose()
            })
            .transpose()?,
    };
    let team = teams::update(&app, &credential, tenant_id, team, patch).await?;
    Ok(Json(team.into()))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ArchiveTeamRequest {
    /// What becomes of active sub-teams: `archive` them too, or `move_up` to this team's
    /// parent. Without it, a team with active sub-teams is not archived.
    subteams: Option<SubteamsChoice>,
}

#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum SubteamsChoice {
    Archive,
    MoveUp,
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/teams/{team_id}/archive", tag = "teams",
    security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("team_id" = String, Path)),
    request_body = Option<ArchiveTeamRequest>,
    responses(
        BearerErrors,
        JsonBodyErrors,
        (status = 200, description = "The team, archived: it keeps its history and grants nothing", body = TeamView),
        (status = 403, description = WRITE_FORBIDDEN, body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller; team_not_found: no such team here", body = ProblemDoc),
        (status = 409, description = "team_has_subteams: active sub-teams, and no `subteams` choice; team_archived: archived already; team_name_taken: a moved-up sub-team's name is taken there; team_limit_reached; subtree_too_large: more than 80 teams change; conflict: the tree changed at the same time", body = ProblemDoc),
        (status = 422, description = "invalid_request: a field is unknown or malformed", body = ProblemDoc),
    ))]
async fn archive_team_route(
    State(app): State<App>,
    TenantBearer(credential): TenantBearer,
    ApiPath((tenant_id, team)): ApiPath<(TenantId, String)>,
    ApiJson(body): ApiJson<ArchiveTeamRequest>,
) -> Result<Json<TeamView>, Problem> {
    let team = path_team(&team)?;
    let subteams = match body.subteams {
        None => SubteamsOnArchive::Refuse,
        Some(SubteamsChoice::Archive) => SubteamsOnArchive::Archive,
        Some(SubteamsChoice::MoveUp) => SubteamsOnArchive::MoveUp,
    };
    let team = teams::archive(&app, &credential, tenant_id, team, subteams).await?;
    Ok(Json(team.into()))
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/teams/{team_id}/restore", tag = "teams",
    security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("team_id" = String, Path)),
    responses(
        BearerErrors,
        (status = 200, description = "The team, active again (its sub-teams stay as they are)", body = TeamView),
        (status = 403, description = WRITE_FORBIDDEN, body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller; team_not_found: no such team here", body = ProblemDoc),
        (status = 409, description = "team_not_archived: it is active; team_archived: its parent is archived (restore that first); conflict: the tree changed at the same time", body = ProblemDoc),
    ))]
async fn restore_team_route(
    State(app): State<App>,
    TenantBearer(credential): TenantBearer,
    ApiPath((tenant_id, team)): ApiPath<(TenantId, String)>,
) -> Result<Json<TeamView>, Problem> {
    let team = path_team(&team)?;
    Ok(Json(
        teams::restore(&app, &credential, tenant_id, team)
            .await?
            .into(),
    ))
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/teams/{team_id}", tag = "teams",
    security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("team_id" = String, Path)),
    responses(
        BearerErrors,
        (status = 204, description = "Deleted, with its name and its place in the tenant's count"),
        (status = 403, description = WRITE_FORBIDDEN, body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller; team_not_found: no such team here", body = ProblemDoc),
        (status = 409, description = "team_not_archived: archive it first; team_not_empty: it has sub-teams or people; conflict: the tree changed at the same time", body = ProblemDoc),
    ))]
async fn delete_team_route(
    State(app): State<App>,
    TenantBearer(credential): TenantBearer,
    ApiPath((tenant_id, team)): ApiPath<(TenantId, String)>,
) -> Result<StatusCode, Problem> {
    let team = path_team(&team)?;
    teams::delete(&app, &credential, tenant_id, team).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMemberRequest {
    /// A member of this tenant.
    user_id: String,
    /// May add and remove the team's members and make sub-teams under it; only those who
    /// manage users make one.
    #[serde(default)]
    maintainer: bool,
}

#[derive(serde::Serialize, ToSchema)]
pub struct TeamPlaceView {
    #[schema(value_type = String)]
    user_id: AccountId,
    #[schema(value_type = String)]
    team_id: TeamId,
    maintainer: bool,
    added_at: chrono::DateTime<chrono::Utc>,
}

impl From<usher_core::records::TeamMemberRecord> for TeamPlaceView {
    fn from(p: usher_core::records::TeamMemberRecord) -> Self {
        Self {
            user_id: p.account_id,
            team_id: p.team_id,
            maintainer: p.maintainer,
            added_at: p.added_at,
        }
    }
}

fn user_id(raw: &str) -> Result<AccountId, Problem> {
    raw.parse()
        .map_err(|_| Problem::invalid("user_id", "is not a user id"))
}

const PEOPLE_FORBIDDEN: &str = "forbidden: only those who manage users and the team's maintainers (of it or a team above it), and only those who manage users make or unmake a maintainer; permission_not_allowed: the team grants a permission the maintainer lacks; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive; password_change_required";

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/teams/{team_id}/members", tag = "teams",
    security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("team_id" = String, Path)),
    request_body = AddMemberRequest,
    responses(
        BearerErrors,
        JsonBodyErrors,
        (status = 201, body = TeamPlaceView),
        (status = 403, description = PEOPLE_FORBIDDEN, body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller, or no such user in it; team_not_found: no such team here", body = ProblemDoc),
        (status = 409, description = "team_member_exists: the person is in the team already; team_archived: the team is archived; team_managed_by_scim: the identity provider manages its people; conflict: the team changed at the same time", body = ProblemDoc),
        (status = 422, description = "invalid_request: a field is missing, unknown or malformed", body = ProblemDoc),
    ))]
async fn add_member_route(
    State(app): State<App>,
    TenantBearer(credential): TenantBearer,
    ApiPath((tenant_id, team)): ApiPath<(TenantId, String)>,
    ApiJson(body): ApiJson<AddMemberRequest>,
) -> Result<(StatusCode, Json<TeamPlaceView>), Problem> {
    let team = path_team(&team)?;
    let user = user_id(&body.user_id)?;
    let place =
        team_members::add(&app, &credential, tenant_id, team, user, body.maintainer).await?;
    Ok((StatusCode::CREATED, Json(place.into())))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MembersQuery {
    /// `subteams`: the people of its active sub-teams too, each once.
    include: Option<String>,
    /// 1 to 200; 50 by default.
    limit: Option<u32>,
    /// `next_cursor` of the page before.
    cursor: Option<String>,
}

#[derive(serde::Serialize, ToSchema)]
pub struct TeamMemberView {
    #[serde(flatten)]
    user: UserView,
    /// In this team itself (not only in a sub-team).
    direct: bool,
    /// A maintainer of this team.
    maintainer: bool,
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/teams/{team_id}/members", tag = "teams",
    security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("team_id" = String, Path), MembersQuery),
    responses(
        BearerErrors,
        (status = 200, description = "The team's people in account order, a page at a time", body = Page<TeamMemberView>),
        (status = 400, description = "invalid_request: the query string does not parse", body = ProblemDoc),
        (status = 403, description = PEOPLE_FORBIDDEN, body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller; team_not_found: no such team here", body = ProblemDoc),
        (status = 422, description = "invalid_request: include is not subteams, limit out of range, or a cursor this listing did not give", body = ProblemDoc),
    ))]
async fn list_members_route(
    State(app): State<App>,
    TenantBearer(credential): TenantBearer,
    ApiPath((tenant_id, team)): ApiPath<(TenantId, String)>,
    ApiQuery(query): ApiQuery<MembersQuery>,
) -> Result<Json<Page<TeamMemberView>>, Problem> {
    let team = path_team(&team)?;
    let subteams = include_flag(query.include.as_deref(), "subteams")?;
    let page = team_members::MembersPage {
        cursor: query.cursor,
        limit: page_limit(query.limit)?,
    };
    let (listed, next) =
        team_members::list(&app, &credential, tenant_id, team, subteams, page).await?;
    Ok(Json(Page {
        next_cursor: next.map(|c| c.encode()),
        items: listed
            .into_iter()
            .map(|m| TeamMemberView {
                user: m.member.into(),
                direct: m.direct,
                maintainer: m.maintainer,
            })
            .collect(),
    }))
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/teams/{team_id}/members/{user_id}", tag = "teams",
    security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("team_id" = String, Path), ("user_id" = String, Path)),
    responses(
        BearerErrors,
        (status = 204, description = "The person left the team (their account and membership stay)"),
        (status = 403, description = PEOPLE_FORBIDDEN, body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller; team_not_found: no such team here; team_member_not_found: the person is not in it", body = ProblemDoc),
        (status = 409, description = "team_managed_by_scim: the identity provider manages its people; conflict: the place changed at the same time", body = ProblemDoc),
        (status = 422, description = "invalid_request: the user id is not one", body = ProblemDoc),
    ))]
async fn remove_member_route(
    State(app): State<App>,
    TenantBearer(credential): TenantBearer,
    ApiPath((tenant_id, team, user)): ApiPath<(TenantId, String, String)>,
) -> Result<StatusCode, Problem> {
    let team = path_team(&team)?;
    let user = user_id(&user)?;
    team_members::remove(&app, &credential, tenant_id, team, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMemberRequest {
    maintainer: bool,
}

#[utoipa::path(patch, path = "/v1/tenants/{tenant_id}/teams/{team_id}/members/{user_id}", tag = "teams",
    security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("team_id" = String, Path), ("user_id" = String, Path)),
    request_body = UpdateMemberRequest,
    responses(
        BearerErrors,
        JsonBodyErrors,
        (status = 200, body = TeamPlaceView),
        (status = 403, description = PEOPLE_FORBIDDEN, body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller; team_not_found: no such team here; team_member_not_found: the person is not in it", body = ProblemDoc),
        (status = 409, description = "team_managed_by_scim: the identity provider manages its people; conflict: the place changed at the same time", body = ProblemDoc),
        (status = 422, description = "invalid_request: a field is missing, unknown or malformed, or the user id is not one", body = ProblemDoc),
    ))]
async fn update_member_route(
    State(app): State<App>,
    TenantBearer(credential): TenantBearer,
    ApiPath((tenant_id, team, user)): ApiPath<(TenantId, String, String)>,
    ApiJson(body): ApiJson<UpdateMemberRequest>,
) -> Result<Json<TeamPlaceView>, Problem> {
    let team = path_team(&team)?;
    let user = user_id(&user)?;
    let place =
        team_members::set_maintainer(&app, &credential, tenant_id, team, user, body.maintainer)
            .await?;
    Ok(Json(place.into()))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PersonTeamsQuery {
    /// `inherited`: every team above a direct one too, with `via`.
    include: Option<String>,
}

#[derive(serde::Serialize, ToSchema)]
pub struct PersonTeamView {
    #[schema(value_type = String)]
    id: TeamId,
    name: String,
    /// `direct`, or the id of the direct team it comes through.
    via: String,
    maintainer: bool,
}

#[derive(serde::Serialize, ToSchema)]
pub struct PersonTeamList {
    items: Vec<PersonTeamView>,
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/users/{user_id}/teams", tag = "teams",
    security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("user_id" = String, Path), PersonTeamsQuery),
    responses(
        BearerErrors,
        (status = 200, description = "The person's active teams: one round trip of latency", body = PersonTeamList),
        (status = 400, description = "invalid_request: the query string does not parse", body = ProblemDoc),
        (status = 403, description = "forbidden: only the person and those who manage users; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller, or no such user in it", body = ProblemDoc),
        (status = 422, description = "invalid_request: include is not inherited, or the user id is not one", body = ProblemDoc),
    ))]
async fn person_teams_route(
    State(app): State<App>,
    TenantBearer(credential): TenantBearer,
    ApiPath((tenant_id, user)): ApiPath<(TenantId, String)>,
    ApiQuery(query): ApiQuery<PersonTeamsQuery>,
) -> Result<Json<PersonTeamList>, Problem> {
    let user = user_id(&user)?;
    let inherited = include_flag(query.include.as_deref(), "inherited")?;
    let teams = team_members::of_person(&app, &credential, tenant_id, user, inherited).await?;
    Ok(Json(PersonTeamList {
        items: teams
            .into_iter()
            .map(|t| PersonTeamView {
                id: t.team.id,
                name: t.team.name,
                via: t.via.map_or_else(|| "direct".to_owned(), |v| v.to_string()),
                maintainer: t.maintainer,
            })
            .collect(),
    }))
}
