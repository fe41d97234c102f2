//! `/Users`: the tenant's members (see `usecases::scim::users`).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use usher_core::app::App;
use usher_core::http::scim::{ScimAnswer, ScimBearer, ScimFailure, json_body};
use usher_core::records::MembershipRecord;
use usher_core::usecases::scim::users::{self, ListQuery};
use usher_core::usecases::scim::{ScimCaller, ScimUser};

use crate::{Query, SCIM_ERRORS, caller};

fn view(app: &App, caller: &ScimCaller, member: &MembershipRecord) -> serde_json::Value {
    ScimUser { member }.to_json(&app.config.public_url, caller.tenant().id)
}

#[utoipa::path(get, path = "/scim/v2/{tenant_id}/Users", tag = "scim", security(("scim_token" = [])),
    params(
        ("tenant_id" = String, Path),
        ("filter" = Option<String>, Query, description = "eq terms joined by and: userName, externalId, id, emails.value, emails[type eq \"work\"].value"),
        ("startIndex" = Option<i64>, Query, description = "1-based"),
        ("count" = Option<i64>, Query, description = "At most 100"),
    ),
    responses(
        (status = 200, description = "A ListResponse, in a stable order (by id)", content_type = "application/scim+json"),
        (status = 400, description = "invalidFilter: a filter other than eq terms joined by and on the attributes above", content_type = "application/scim+json"),
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
    let found = users::list(
        app,
        caller,
        ListQuery {
            filter: query.filter.clone(),
            start_index: query.start_index,
            count: query.count,
        },
    )
    .await?;
    let resources = found
        .members
        .iter()
        .map(|m| query.project(view(app, caller, m)))
        .collect();
    Ok(ScimAnswer::list(found.total, query.start_index, resources))
}

#[utoipa::path(post, path = "/scim/v2/{tenant_id}/Users/.search", tag = "scim", security(("scim_token" = [])),
    params(("tenant_id" = String, Path)),
    responses(
        (status = 200, description = "A ListResponse, as GET /Users with the same query in a SearchRequest body", content_type = "application/scim+json"),
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

#[utoipa::path(post, path = "/scim/v2/{tenant_id}/Users", tag = "scim", security(("scim_token" = [])),
    params(("tenant_id" = String, Path)),
    responses(
        (status = 201, description = "Created, with its Location; for an email that has an account, recorded without access and invited to its own address", content_type = "application/scim+json"),
        (status = 400, description = "invalidValue, invalidSyntax: the body is not a User Usher can keep", content_type = "application/scim+json"),
        (status = 409, description = "uniqueness: the userName (or externalId) is a member here already", content_type = "application/scim+json"),
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
    let member = users::create(&app, &caller, &body).await?;
    Ok(ScimAnswer::created(view(&app, &caller, &member)))
}

#[utoipa::path(get, path = "/scim/v2/{tenant_id}/Users/{user_id}", tag = "scim", security(("scim_token" = [])),
    params(("tenant_id" = String, Path), ("user_id" = String, Path)),
    responses(
        (status = 200, description = "The User; an archived one answers active: false", content_type = "application/scim+json"),
        (status = 404, description = "No such User in this tenant", content_type = "application/scim+json"),
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
    let member = users::get(&app, &caller, &id).await?;
    Ok(ScimAnswer::ok(query.project(view(&app, &caller, &member))))
}

#[utoipa::path(put, path = "/scim/v2/{tenant_id}/Users/{user_id}", tag = "scim", security(("scim_token" = [])),
    params(("tenant_id" = String, Path), ("user_id" = String, Path)),
    responses(
        (status = 200, description = "Replaced", content_type = "application/scim+json"),
        (status = 400, description = "invalidValue, invalidSyntax; mutability: the sign-in address of an account other tenants know", content_type = "application/scim+json"),
        (status = 403, description = "An owner: owners are managed in Usher", content_type = "application/scim+json"),
        (status = 404, description = "No such User in this tenant", content_type = "application/scim+json"),
        (status = 409, description = "uniqueness: the userName or externalId is another User's", content_type = "application/scim+json"),
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
    let member = users::replace(&app, &caller, &id, &body).await?;
    Ok(ScimAnswer::ok(view(&app, &caller, &member)))
}

#[utoipa::path(patch, path = "/scim/v2/{tenant_id}/Users/{user_id}", tag = "scim", security(("scim_token" = [])),
    params(("tenant_id" = String, Path), ("user_id" = String, Path)),
    responses(
        (status = 200, description = "Changed; the User as it is now", content_type = "application/scim+json"),
        (status = 400, description = "invalidSyntax, invalidPath, invalidValue, mutability", content_type = "application/scim+json"),
        (status = 403, description = "An owner: owners are managed in Usher", content_type = "application/scim+json"),
        (status = 404, description = "No such User in this tenant", content_type = "application/scim+json"),
        (status = 409, description = "uniqueness", content_type = "application/scim+json"),
        (status = 401, description = SCIM_ERRORS, content_type = "application/scim+json"),
    ))]
pub(crate) async fn patch_route(
    State(app): State<App>,
    bearer: ScimBearer,
    Path((tenant, id)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<ScimAnswer, ScimFailure> {
    let caller = caller(&app, bearer, &tenant).await?;
    let body = json_body(body)?;
    let member = users::patch(&app, &caller, &id, &body).await?;
    Ok(ScimAnswer::ok(view(&app, &caller, &member)))
}

#[utoipa::path(delete, path = "/scim/v2/{tenant_id}/Users/{user_id}", tag = "scim", security(("scim_token" = [])),
    params(("tenant_id" = String, Path), ("user_id" = String, Path)),
    responses(
        (status = 204, description = "Archived in this tenant; the account stays, and a later GET answers active: false"),
        (status = 403, description = "An owner: owners are managed in Usher", content_type = "application/scim+json"),
        (status = 404, description = "No such User in this tenant", content_type = "application/scim+json"),
        (status = 401, description = SCIM_ERRORS, content_type = "application/scim+json"),
    ))]
pub(crate) async fn delete_route(
    State(app): State<App>,
    bearer: ScimBearer,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<ScimAnswer, ScimFailure> {
    let caller = caller(&app, bearer, &tenant).await?;
    users::delete(&app, &caller, &id).await?;
    Ok(ScimAnswer::no_content())
}
