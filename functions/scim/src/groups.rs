//! `/Groups`: teams the tenant's identity provider manages (see `usecases::scim::groups`).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use usher_core::app::App;
use usher_core::http::scim::{ScimAnswer, ScimBearer, ScimFailure, json_body};
use usher_core::usecases::scim::ScimCaller;
use usher_core::usecases::scim::groups::{self, GroupQuery, members_wanted};

use crate::{Query, SCIM_ERRORS, caller};

#[utoipa::path(get, path = "/scim/v2/{tenant_id}/Groups", tag = "scim", security(("scim_token" = [])),
    params(
        ("tenant_id" = String, Path),
        ("filter" = Option<String>, Query, description = "eq terms joined by and: displayName, externalId, id"),
        ("startIndex" = Option<i64>, Query, description = "1-based"),
        ("count" = Option<i64>, Query, description = "At most 100"),
        ("excludedAttributes" = Option<String>, Query, description = "members: no membership is read"),
    ),
    responses(
        (status = 200, description = "A ListResponse, in a stable order (by id)", content_type = "application/scim+json"),
        (status = 400, description = "invalidFilter", content_type = "application/scim+json"),
        (status = 401, description = SCIM_ERRORS, content_type = "application/scim+json"),
    ))]
pub(crate) async fn list_route(
    State(app): State<App>,
    bearer: ScimBearer,
    Path(tenant): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<ScimAnswer, ScimFailure> {
    let caller = caller(&app, bearer, &tenant).await?;
    search(&app, &caller, Query::parse(query.as_deref())?).await
}

async fn search(app: &App, caller: &ScimCaller, query: Query) -> Result<ScimAnswer, ScimFailure> {
    let found = groups::list(
        app,
        caller,
        GroupQuery {
            with_members: members_wanted(query.excluded.as_deref(), query.attributes.as_deref()),
            filter: query.filter.clone(),
            start_index: query.start_index,
            count: query.count,
        },
    )
    .await?;
    let resources = found
        .groups
        .iter()
        .map(|g| query.project(g.to_json(&app.config.public_url)))
        .collect();
    Ok(ScimAnswer::list(found.total, query.start_index, resources))
}

#[utoipa::path(post, path = "/scim/v2/{tenant_id}/Groups/.search", tag = "scim", security(("scim_token" = [])),
    params(("tenant_id" = String, Path)),
    responses(
        (status = 200, description = "A ListResponse, as GET /Groups with the same query in a SearchRequest body", content_type = "application/scim+json"),
        (status = 400, description = "invalidFilter, invalidSyntax", content_type = "application/scim+json"),
        (status = 401, description = SCIM_ERRORS, content_type = "application/scim+json"),
    ))]
pub(crate) async fn search_route(
    State(app): State<App>,
    bearer: ScimBearer,
    Path(tenant): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<ScimAnswer, ScimFailure> {
    let caller = caller(&app, bearer, &tenant).await?;
    let query = Query::from_search(&json_body(body)?)?;
    search(&app, &caller, query).await
}

#[utoipa::path(post, path = "/scim/v2/{tenant_id}/Groups", tag = "scim", security(("scim_token" = [])),
    params(("tenant_id" = String, Path)),
    responses(
        (status = 201, description = "Created: a team the provider manages (a root team, or under groups_parent), with its Location", content_type = "application/scim+json"),
        (status = 400, description = "invalidValue, invalidSyntax", content_type = "application/scim+json"),
        (status = 409, description = "uniqueness: the displayName (or externalId) is taken; the place for groups (groups_parent) is archived, full or at the deepest level", content_type = "application/scim+json"),
        (status = 401, description = SCIM_ERRORS, content_type = "application/scim+json"),
    ))]
pub(crate) async fn create_route(
    State(app): State<App>,
    bearer: ScimBearer,
    Path(tenant): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<ScimAnswer, ScimFailure> {
    let caller = caller(&app, bearer, &tenant).await?;
    let body = json_body(body)?;
    let group = groups::create(&app, &caller, &body).await?;
    Ok(ScimAnswer::created(group.to_json(&app.config.public_url)))
}

#[utoipa::path(get, path = "/scim/v2/{tenant_id}/Groups/{group_id}", tag = "scim", security(("scim_token" = [])),
    params(
        ("tenant_id" = String, Path),
        ("group_id" = String, Path),
        ("excludedAttributes" = Option<String>, Query, description = "members: no membership is read"),
    ),
    responses(
        (status = 200, description = "The Group", content_type = "application/scim+json"),
        (status = 404, description = "No such Group in this tenant", content_type = "application/scim+json"),
        (status = 401, description = SCIM_ERRORS, content_type = "application/scim+json"),
    ))]
pub(crate) async fn get_route(
    State(app): State<App>,
    bearer: ScimBearer,
    Path((tenant, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<ScimAnswer, ScimFailure> {
    let caller = caller(&app, bearer, &tenant).await?;
    let query = Query::parse(query.as_deref())?;
    let with_members = members_wanted(query.excluded.as_deref(), query.attributes.as_deref());
    let group = groups::get(&app, &caller, &id, with_members).await?;
    Ok(ScimAnswer::ok(
        query.project(group.to_json(&app.config.public_url)),
    ))
}

#[utoipa::path(put, path = "/scim/v2/{tenant_id}/Groups/{group_id}", tag = "scim", security(("scim_token" = [])),
    params(("tenant_id" = String, Path), ("group_id" = String, Path)),
    responses(
        (status = 200, description = "Replaced: name, externalId and the whole list of members", content_type = "application/scim+json"),
        (status = 400, description = "invalidValue, invalidSyntax", content_type = "application/scim+json"),
        (status = 404, description = "No such Group in this tenant", content_type = "application/scim+json"),
        (status = 409, description = "uniqueness", content_type = "application/scim+json"),
        (status = 401, description = SCIM_ERRORS, content_type = "application/scim+json"),
    ))]
pub(crate) async fn replace_route(
    State(app): State<App>,
    bearer: ScimBearer,
    Path((tenant, id)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<ScimAnswer, ScimFailure> {
    let caller = caller(&app, bearer, &tenant).await?;
    let body = json_body(body)?;
    let group = groups::replace(&app, &caller, &id, &body).await?;
    Ok(ScimAnswer::ok(group.to_json(&app.config.public_url)))
}

#[utoipa::path(patch, path = "/scim/v2/{tenant_id}/Groups/{group_id}", tag = "scim", security(("scim_token" = [])),
    params(
        ("tenant_id" = String, Path),
        ("group_id" = String, Path),
        ("excludedAttributes" = Option<String>, Query, description = "members: the answer reads no membership"),
    ),
    responses(
        (status = 200, description = "Changed; the Group as it is now", content_type = "application/scim+json"),
        (status = 400, description = "invalidSyntax, invalidPath, invalidFilter, invalidValue", content_type = "application/scim+json"),
        (status = 404, description = "No such Group in this tenant", content_type = "application/scim+json"),
        (status = 409, description = "uniqueness", content_type = "application/scim+json"),
        (status = 401, description = SCIM_ERRORS, content_type = "application/scim+json"),
    ))]
pub(crate) async fn patch_route(
    State(app): State<App>,
    bearer: ScimBearer,
    Path((tenant, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<ScimAnswer, ScimFailure> {
    let caller = caller(&app, bearer, &tenant).await?;
    let query = Query::parse(query.as_deref())?;
    let with_members = members_wanted(query.excluded.as_deref(), query.attributes.as_deref());
    let body = json_body(body)?;
    let group = groups::patch(&app, &caller, &id, &body, with_members).await?;
    Ok(ScimAnswer::ok(
        query.project(group.to_json(&app.config.public_url)),
    ))
}

#[utoipa::path(delete, path = "/scim/v2/{tenant_id}/Groups/{group_id}", tag = "scim", security(("scim_token" = [])),
    params(("tenant_id" = String, Path), ("group_id" = String, Path)),
    responses(
        (status = 204, description = "The team is gone, with its places; its people stay members of the tenant"),
        (status = 404, description = "No such Group in this tenant", content_type = "application/scim+json"),
        (status = 401, description = SCIM_ERRORS, content_type = "application/scim+json"),
    ))]
pub(crate) async fn delete_route(
    State(app): State<App>,
    bearer: ScimBearer,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<ScimAnswer, ScimFailure> {
    let caller = caller(&app, bearer, &tenant).await?;
    groups::delete(&app, &caller, &id).await?;
    Ok(ScimAnswer::no_content())
}
