//! The tenants function: read a tenant, change its settings, read its audit log, and decide on
//! the senders inbound mail held for an admin; and, for the operator's back office with an
//! operator key, create, list, suspend and resume tenants; and, where the deployment offers it,
//! self-service organisations ([`signup`]).

mod signup;

use axum::{Json, Router, extract::State};
use serde::{Deserialize, Serialize};
use usher_core::app::App;
use usher_core::domain::HeldId;
use usher_core::domain::{EmailAddress, PersonName, TenantName};
use usher_core::domain::{Locale, PermissionEntry, TenantId};
use usher_core::http::{
    ApiJson, ApiPath, ApiQuery, BearerErrors, EventView, EventsQuery, JsonBodyErrors, KeyBearer,
    Page, Problem, ProblemDoc, TenantBearer, TenantView, finish_router, mount, page_limit,
};
use usher_core::settings::{AppUrl, InboundSettings, InvitationEmailPolicy};
use usher_core::usecases::get_tenant;
use usher_core::usecases::inbound::{self, ListHeld, OutcomeKind, RejectBlock};
use usher_core::usecases::tenant_directory::{self, CreateTenant, ListTenants, SuspensionChange};
use usher_core::usecases::update_settings::{self, SettingsPatch};
use usher_core::usecases::{AuditAction, events};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This function's routes, each declared once, by its handler's `#[utoipa::path]`: the router
/// and this function's part of the OpenAPI document (`api().into_openapi()`) are both made from
/// it.
pub fn api() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(get_tenant_route))
        .routes(routes!(update_settings_route))
        .routes(routes!(tenant_events_route))
        .routes(routes!(list_held_route))
        .routes(routes!(approve_held_route))
        .routes(routes!(reject_held_route))
        .routes(routes!(create_tenant_route, list_tenants_route))
        .routes(routes!(create_api_key_route, list_api_keys_route))
        .routes(routes!(revoke_api_key_route))
        .routes(routes!(suspend_tenant_route))
        .routes(routes!(resume_tenant_route))
        .routes(routes!(signup::signup_route))
        .routes(routes!(signup::signup_page))
        .routes(routes!(signup::verification_page))
        .routes(routes!(signup::complete_route))
        .routes(routes!(signup::create_organisation_route))
}

/// The routes as this function's Lambda serves them.
pub fn router(app: App) -> Router {
    finish_router(mount(api(), &app))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}", tag = "tenants", security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path)),
    responses(
        BearerErrors,
        (status = 200, body = TenantView),
        (status = 403, description = "tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive: the caller's membership here is archived or without access; password_change_required: a session of a temporary password may only change it", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller (or the id is not one)", body = ProblemDoc),
    ))]
async fn get_tenant_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
) -> Result<Json<TenantView>, Problem> {
    let view = get_tenant::get_tenant(&app, &token, tenant_id).await?;
    Ok(Json(TenantView::new(view.tenant, view.include_settings)))
}

/// Fields left out stay as they are; `inbound` and `permission_catalog` replace the whole value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatchRequest {
    members_can_invite: Option<bool>,
    /// 1 to 720.
    invitation_ttl_hours: Option<u32>,
    invitation_email_policy: Option<InvitationEmailPolicy>,
    inbound: Option<InboundSettings>,
    announce_new_members: Option<bool>,
    permission_catalog: Option<Vec<PermissionEntry>>,
    /// en, it, fr or pl: pages and mail for someone whose own language is not known yet.
    default_locale: Option<Locale>,
    /// An https URL where pages send a person after a success; `null` clears it.
    #[serde(default, deserialize_with = "usher_core::http::present")]
    #[schema(value_type = Option<String>, nullable)]
    app_url: Option<Option<String>>,
    /// The teams every newcomer joins (at most 10 active teams of this tenant); `[]` for none.
    #[schema(value_type = Option<Vec<String>>)]
    default_teams: Option<Vec<usher_core::domain::TeamId>>,
}

impl SettingsPatchRequest {
    fn parse(self) -> Result<SettingsPatch, Problem> {
        let body = self;
        Ok(SettingsPatch {
            members_can_invite: body.members_can_invite,
            invitation_ttl_hours: body.invitation_ttl_hours,
            invitation_email_policy: body.invitation_email_policy,
            inbound: body.inbound,
            announce_new_members: body.announce_new_members,
            permission_catalog: body.permission_catalog,
            default_locale: body.default_locale,
            default_teams: body.default_teams,
            app_url: body
                .app_url
                .map(|url| url.as_deref().map(AppUrl::parse).transpose())
                .transpose()
                .map_err(Problem::from)?,
        })
    }
}

#[utoipa::path(patch, path = "/v1/tenants/{tenant_id}/settings", tag = "tenants", security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path)),
    request_body = Option<SettingsPatchRequest>,
    responses(
        BearerErrors,
        JsonBodyErrors,
        (status = 200, body = TenantView),
        (status = 403, description = "forbidden: only owners and admins; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive: the caller's membership here is archived or without access; password_change_required: a session of a temporary password may only change it", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller (or the id is not one)", body = ProblemDoc),
        (status = 409, description = "inbound_address_taken: one of the addresses belongs to another tenant (which one is not said); permission_in_use: members hold a permission the new catalogue leaves out; conflict: the settings changed at the same time", body = ProblemDoc),
        (status = 422, description = "invalid_request: a field is malformed (`field` names it); unknown_permission; inbound_domain_not_allowed: an address off the deployment's receiving domains; unknown_team: a default_teams entry that is not an active team of this tenant", body = ProblemDoc),
    ))]
async fn update_settings_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
    ApiJson(body): ApiJson<SettingsPatchRequest>,
) -> Result<Json<TenantView>, Problem> {
    let tenant = update_settings::update_settings(&app, &token, tenant_id, body.parse()?).await?;
    Ok(Json(TenantView::new(tenant, true)))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/events", tag = "tenants", security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("action" = inline(Option<AuditAction>), Query),
        ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses(
        BearerErrors,
        (status = 200, description = "The tenant's audit log, newest first", body = Page<EventView>),
        (status = 400, description = "invalid_request: the query string does not parse", body = ProblemDoc),
        (status = 403, description = "forbidden: owners and admins only; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller", body = ProblemDoc),
        (status = 422, description = "invalid_request: limit out of range, or a cursor this listing did not give", body = ProblemDoc),
    ))]
async fn tenant_events_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> Result<Json<Page<EventView>>, Problem> {
    let page = events::tenant_events(&app, &token, tenant_id, query.into_request()?).await?;
    Ok(Json(page.into()))
}

/// A sender held for an admin's decision.
#[derive(Serialize, ToSchema)]
pub struct HeldSenderView {
    #[schema(value_type = String)]
    id: HeldId,
    sender: String,
    display_name: Option<String>,
    /// Why it was held: `unauthenticated`, `spam_gray`, `verdict_unavailable`,
    /// `headers_truncated` or `hourly_cap`.
    reason: String,
    message_id: String,
    received_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListHeldQuery {
    /// 1 to 200, default 50.
    limit: Option<u32>,
    cursor: Option<String>,
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/inbound/held", tag = "inbound", security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses(
        BearerErrors,
        (status = 200, description = "Senders whose mail was held, newest first, with how full the tenant's queue is", body = HeldPageView),
        (status = 400, description = "invalid_request: the query string does not parse", body = ProblemDoc),
        (status = 403, description = "forbidden: needs admin or users.manage; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller", body = ProblemDoc),
        (status = 422, description = "invalid_request: limit out of range, or a cursor this listing did not give", body = ProblemDoc),
    ))]
async fn list_held_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
    ApiQuery(query): ApiQuery<ListHeldQuery>,
) -> Result<Json<HeldPageView>, Problem> {
    let limit = page_limit(query.limit)?;
    let request = ListHeld {
        limit,
        cursor: query.cursor,
    };
    let page = inbound::list_held(&app, &token, tenant_id, request).await?;
    Ok(Json(HeldPageView {
        items: page
            .held
            .into_iter()
            .map(|h| HeldSenderView {
                id: h.id,
                sender: h.sender.to_string(),
                display_name: h.display_name,
                reason: h.reason,
                message_id: h.message_id,
                received_at: h.received_at,
            })
            .collect(),
        next_cursor: page.next_cursor.map(|c| c.encode()),
        queued: page.queued,
        limit: page.limit,
    }))
}

/// A page of held senders, and how full the tenant's queue is.
#[derive(Serialize, ToSchema)]
pub struct HeldPageView {
    items: Vec<HeldSenderView>,
    /// Pass as `?cursor=` for the next page; absent on the last page.
    next_cursor: Option<String>,
    /// Senders the tenant holds now. Each sender is held once, however many messages they send.
    queued: u32,
    /// The most the tenant may hold (`USHER_HELD_SENDERS_PER_TENANT`): at it, mail that would be
    /// held is ignored (`held_queue_full`) until an admin approves or rejects some.
    limit: u32,
}

/// What approving a held sender came to.
#[derive(Serialize, ToSchema)]
pub struct ApprovedView {
    /// `created` (a new account), `joined` (an account of elsewhere) or `member` (already one).
    outcome: OutcomeKind,
    #[schema(value_type = Option<String>)]
    user_id: Option<usher_core::domain::AccountId>,
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/inbound/held/{held_id}/approve", tag = "inbound", security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("held_id" = String, Path)),
    responses(
        BearerErrors,
        (status = 200, description = "The sender is a user of the tenant now (with the tenant's inbound defaults), and no longer held", body = ApprovedView),
        (status = 403, description = "forbidden: needs admin or users.manage; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such held sender in this tenant", body = ProblemDoc),
        (status = 409, description = "conflict: the sender was registered at the same time; try again", body = ProblemDoc),
    ))]
async fn approve_held_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath((tenant_id, held_id)): ApiPath<(TenantId, HeldId)>,
) -> Result<Json<ApprovedView>, Problem> {
    let outcome = inbound::approve_held(&app, &token, tenant_id, held_id).await?;
    Ok(Json(ApprovedView {
        outcome: outcome.outcome,
        user_id: outcome.user_id,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BlockRequest {
    /// This address from now on.
    Address,
    /// The address's domain and its subdomains from now on.
    Domain,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    /// What to block from now on (added to `inbound.blocked_domains`); `null` blocks nothing.
    #[serde(default)]
    block: Option<BlockRequest>,
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/inbound/held/{held_id}/reject", tag = "inbound", security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("held_id" = String, Path)),
    request_body = Option<RejectRequest>,
    responses(
        BearerErrors,
        JsonBodyErrors,
        (status = 204, description = "The sender is no longer held (and blocked, when asked)"),
        (status = 403, description = "forbidden: needs admin or users.manage, and owner or admin to block; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such held sender in this tenant", body = ProblemDoc),
        (status = 409, description = "conflict: the settings changed at the same time; try again", body = ProblemDoc),
        (status = 422, description = "invalid_request: an unknown field or block", body = ProblemDoc),
    ))]
async fn reject_held_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath((tenant_id, held_id)): ApiPath<(TenantId, HeldId)>,
    ApiJson(body): ApiJson<RejectRequest>,
) -> Result<axum::http::StatusCode, Problem> {
    let block = body.block.map(|b| match b {
        BlockRequest::Address => RejectBlock::Address,
        BlockRequest::Domain => RejectBlock::Domain,
    });
    inbound::reject_held(&app, &token, tenant_id, held_id, block).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// The first owner of a tenant made through the API.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOwnerRequest {
    #[schema(format = "email", max_length = 254)]
    email: String,
    #[schema(min_length = 1, max_length = 100)]
    first_name: String,
    #[schema(min_length = 1, max_length = 100)]
    last_name: String,
    /// Their language, for the mail they get (the tenant's default locale when left out).
    locale: Option<Locale>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenantRequest {
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    owner: NewOwnerRequest,
    /// Settings to start with, as `PATCH .../settings` takes them; inbound addresses are claimed
    /// later by the tenant's admins.
    settings: Option<SettingsPatchRequest>,
}

/// What became of the first owner.
#[derive(Serialize, ToSchema)]
pub struct NewOwnerView {
    #[schema(value_type = String)]
    account_id: usher_core::domain::AccountId,
    /// `set_password_mailed`: a new account; a link to choose a password went to the email.
    /// `invited`: the email had an account; it becomes owner when the person accepts the
    /// invitation mailed to it (never a silent join).
    status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct TenantCreatedView {
    tenant: TenantView,
    owner: NewOwnerView,
}

#[utoipa::path(post, path = "/v1/tenants", tag = "operator", security(("operator_key" = [])),
    request_body = CreateTenantRequest,
    responses(
        JsonBodyErrors,
        (status = 201, description = "Created, with its first owner", body = TenantCreatedView),
        (status = 401, description = "unauthenticated: no valid operator key", body = ProblemDoc),
        (status = 403, description = "insufficient_scope: the key lacks tenants.create", body = ProblemDoc),
        (status = 409, description = "conflict: the owner's email was registered at the same time; try again", body = ProblemDoc),
        (status = 422, description = "invalid_request: a field is missing or malformed (`field` names it)", body = ProblemDoc),
    ))]
async fn create_tenant_route(
    State(app): State<App>,
    KeyBearer(key): KeyBearer,
    ApiJson(body): ApiJson<CreateTenantRequest>,
) -> Result<(axum::http::StatusCode, Json<TenantCreatedView>), Problem> {
    let mut patch = body.settings.map(SettingsPatchRequest::parse).transpose()?;
    let permission_catalog = patch
        .as_mut()
        .and_then(|p| p.permission_catalog.take())
        .unwrap_or_default();
    let command = CreateTenant {
        name: TenantName::parse(&body.name).map_err(|e| Problem::invalid("name", e))?,
        owner_email: EmailAddress::parse(&body.owner.email)
            .map_err(|e| Problem::invalid("owner.email", e))?,
        owner_first_name: PersonName::parse(&body.owner.first_name)
            .map_err(|e| Problem::invalid("owner.first_name", e))?,
        owner_last_name: PersonName::parse(&body.owner.last_name)
            .map_err(|e| Problem::invalid("owner.last_name", e))?,
        owner_locale: body.owner.locale,
        settings: patch.map(|p| p.apply_to(Default::default())),
        permission_catalog,
    };
    let created = tenant_directory::create(&app, &key, command).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(TenantCreatedView {
            owner: NewOwnerView {
                account_id: created.owner_account_id,
                status: if created.existing_account {
                    "invited"
                } else {
                    "set_password_mailed"
                },
            },
            tenant: TenantView::new(created.tenant, true),
        }),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListTenantsQuery {
    /// Tenants whose name starts with this (any letter case); at most 100 characters.
    q: Option<String>,
    /// `active` or `suspended`; both when left out.
    status: Option<TenantStatusFilter>,
    /// 1 to 200, default 50.
    limit: Option<u32>,
    cursor: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatusFilter {
    Active,
    Suspended,
}

/// A tenant in the operator's list.
#[derive(Serialize, ToSchema)]
pub struct TenantSummaryView {
    #[schema(value_type = String)]
    id: TenantId,
    name: String,
    /// `active` or `suspended`.
    status: &'static str,
    created_at: chrono::DateTime<chrono::Utc>,
}

#[utoipa::path(get, path = "/v1/tenants", tag = "operator", security(("operator_key" = [])),
    params(ListTenantsQuery),
    responses(
        (status = 200, description = "Tenants by name, a page at a time", body = Page<TenantSummaryView>),
        (status = 400, description = "invalid_request: the query string does not parse", body = ProblemDoc),
        (status = 401, description = "unauthenticated: no valid operator key", body = ProblemDoc),
        (status = 403, description = "insufficient_scope: the key lacks tenants.read", body = ProblemDoc),
        (status = 422, description = "invalid_request: limit out of range, q longer than 100 characters, or a cursor this listing did not give", body = ProblemDoc),
    ))]
async fn list_tenants_route(
    State(app): State<App>,
    KeyBearer(key): KeyBearer,
    ApiQuery(query): ApiQuery<ListTenantsQuery>,
) -> Result<Json<Page<TenantSummaryView>>, Problem> {
    let page = tenant_directory::list(
        &app,
        &key,
        ListTenants {
            name_prefix: query.q,
            suspended: query
                .status
                .map(|s| matches!(s, TenantStatusFilter::Suspended)),
            cursor: query.cursor,
            limit: page_limit(query.limit)?,
        },
    )
    .await?;
    Ok(Json(Page {
        items: page
            .items
            .into_iter()
            .map(|t| TenantSummaryView {
                id: t.tenant_id,
                name: t.name,
                status: if t.suspended { "suspended" } else { "active" },
                created_at: t.created_at,
            })
            .collect(),
        next_cursor: page.next_cursor.map(|c| c.encode()),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspendRequest {
    /// Why: its owners can read it. 1 to 500 characters; none when left out.
    reason: Option<String>,
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/suspend", tag = "operator", security(("operator_key" = [])),
    params(("tenant_id" = String, Path)),
    request_body = Option<SuspendRequest>,
    responses(
        JsonBodyErrors,
        (status = 200, description = "Suspended: its members get 403 tenant_suspended everywhere in it (its owners may still read it), its invitation links answer as withdrawn, its inbound mail is dropped; nothing is deleted", body = TenantView),
        (status = 401, description = "unauthenticated: no valid operator key", body = ProblemDoc),
        (status = 403, description = "insufficient_scope: the key lacks tenants.suspend", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant", body = ProblemDoc),
        (status = 409, description = "tenant_suspended: it is suspended already; conflict: it changed at the same time", body = ProblemDoc),
        (status = 422, description = "invalid_request: the reason is blank or longer than 500 characters", body = ProblemDoc),
    ))]
async fn suspend_tenant_route(
    State(app): State<App>,
    KeyBearer(key): KeyBearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
    ApiJson(body): ApiJson<SuspendRequest>,
) -> Result<Json<TenantView>, Problem> {
    let tenant = tenant_directory::set_suspended(
        &app,
        &key,
        tenant_id,
        SuspensionChange::Suspend {
            reason: body.reason,
        },
    )
    .await?;
    Ok(Json(TenantView::new(tenant, true)))
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/resume", tag = "operator", security(("operator_key" = [])),
    params(("tenant_id" = String, Path)),
    responses(
        (status = 200, description = "Active again, as it was", body = TenantView),
        (status = 401, description = "unauthenticated: no valid operator key", body = ProblemDoc),
        (status = 403, description = "insufficient_scope: the key lacks tenants.suspend", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant", body = ProblemDoc),
        (status = 409, description = "tenant_not_suspended: it is not suspended; conflict: it changed at the same time", body = ProblemDoc),
    ))]
async fn resume_tenant_route(
    State(app): State<App>,
    KeyBearer(key): KeyBearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
) -> Result<Json<TenantView>, Problem> {
    let tenant =
        tenant_directory::set_suspended(&app, &key, tenant_id, SuspensionChange::Resume).await?;
    Ok(Json(TenantView::new(tenant, true)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    /// What it is for, e.g. "Help desk backend". 1 to 100 characters.
    name: String,
    /// From the tenant's catalogue, and `users.manage`; never one the caller lacks. And
    /// `webhooks.manage` (from an owner or admin only): the key manages the tenant's webhook
    /// endpoints.
    #[serde(default)]
    permissions: Vec<String>,
    /// When it stops working; never, when left out.
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A tenant API key, as its tenant's admins see it (never its secret).
#[derive(Serialize, ToSchema)]
pub struct ApiKeyView {
    #[schema(value_type = String)]
    id: usher_core::domain::ApiKeyId,
    name: String,
    permissions: Vec<String>,
    #[schema(value_type = String)]
    created_by: usher_core::domain::AccountId,
    created_at: chrono::DateTime<chrono::Utc>,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// To within a minute.
    last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl ApiKeyView {
    fn new(
        entry: usher_core::records::ApiKeyEntryRecord,
        last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Self {
        Self {
            id: entry.id,
            name: entry.name,
            permissions: entry.permissions.iter().map(|p| p.to_string()).collect(),
            created_by: entry.created_by,
            created_at: entry.created_at,
            expires_at: entry.expires_at,
            last_used_at,
            revoked_at: entry.revoked_at,
        }
    }
}

/// A key just made: the only answer that holds its secret.
#[derive(Serialize, ToSchema)]
pub struct ApiKeyCreatedView {
    #[serde(flatten)]
    key: ApiKeyView,
    /// `usher_tk_...`: send it as `Authorization: Bearer <secret>` on this tenant's routes.
    /// Shown once; Usher keeps only its hash.
    secret: String,
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/api-keys", tag = "tenants", security(("bearer" = [])),
    params(("tenant_id" = String, Path)),
    request_body = CreateApiKeyRequest,
    responses(
        BearerErrors,
        JsonBodyErrors,
        (status = 201, description = "Made; the secret is in this answer only", body = ApiKeyCreatedView),
        (status = 403, description = "forbidden: only admins and members who manage users; session_required: a key cannot make keys; permission_not_held: the caller lacks a permission asked for; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller", body = ProblemDoc),
        (status = 422, description = "invalid_request: the name is empty or too long, expires_at is past, or a field is malformed; unknown_permission: not in the catalogue", body = ProblemDoc),
    ))]
async fn create_api_key_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
    ApiJson(body): ApiJson<CreateApiKeyRequest>,
) -> Result<(axum::http::StatusCode, Json<ApiKeyCreatedView>), Problem> {
    let new = usher_core::usecases::api_keys::NewApiKey {
        name: body.name,
        permissions: usher_core::http::permissions_field(&body.permissions)?,
        expires_at: body.expires_at,
    };
    let created = usher_core::usecases::api_keys::create(&app, &token, tenant_id, new).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(ApiKeyCreatedView {
            key: ApiKeyView::new(created.entry, None),
            secret: created.secret.expose(),
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct ApiKeyList {
    /// Every key, revoked ones too, oldest first.
    items: Vec<ApiKeyView>,
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/api-keys", tag = "tenants", security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path)),
    responses(
        BearerErrors,
        (status = 200, description = "The tenant's keys, never their secrets", body = ApiKeyList),
        (status = 403, description = "forbidden: only admins and members who manage users; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller", body = ProblemDoc),
    ))]
async fn list_api_keys_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
) -> Result<Json<ApiKeyList>, Problem> {
    let keys = usher_core::usecases::api_keys::list(&app, &token, tenant_id).await?;
    Ok(Json(ApiKeyList {
        items: keys
            .into_iter()
            .map(|k| ApiKeyView::new(k.entry, k.last_used_at))
            .collect(),
    }))
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/api-keys/{api_key_id}", tag = "tenants", security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("api_key_id" = String, Path)),
    responses(
        BearerErrors,
        (status = 204, description = "Revoked: the very next request with it is refused"),
        (status = 403, description = "forbidden: admins revoke any key, members who manage users the keys they made; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such key in this tenant", body = ProblemDoc),
        (status = 409, description = "api_key_revoked: it is revoked already", body = ProblemDoc),
    ))]
async fn revoke_api_key_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath((tenant_id, key_id)): ApiPath<(TenantId, usher_core::domain::ApiKeyId)>,
) -> Result<axum::http::StatusCode, Problem> {
    usher_core::usecases::api_keys::revoke(&app, &token, tenant_id, key_id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
