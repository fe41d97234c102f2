//! The send-invitation function: a tenant's admins (and its members, where the tenant lets them)
//! invite people by email, list the invitations, read one, revoke it and resend it.

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Json, Router, extract::State};
use serde::{Deserialize, Serialize};
use usher_core::app::App;
use usher_core::domain::{EmailAddress, InvitationId, InvitationMessage, Locale, Role, TenantId};
use usher_core::http::{
    ApiJson, ApiPath, ApiQuery, BearerErrors, InvitationView, JsonBodyErrors, Page, Problem,
    ProblemDoc, TenantBearer, finish_router, mount, page_limit, permissions_field,
};
use usher_core::records::InvitationStatus;
use usher_core::usecases::invitations::manage::{self, ListInvitations};
use usher_core::usecases::invitations::send::{self, Invite};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This function's routes, each declared once, by its handler's `#[utoipa::path]`: the router
/// and this function's part of the OpenAPI document are both made from it.
pub fn api() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(send_route, list_route))
        .routes(routes!(get_route, revoke_route))
        .routes(routes!(resend_route))
}

/// The routes as this function's Lambda serves them.
pub fn router(app: App) -> Router {
    finish_router(mount(api(), &app))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    /// One address; or `emails`.
    #[schema(format = "email", max_length = 254, example = "ada@example.org")]
    email: Option<String>,
    /// 1 to 100 addresses, each its own invitation with the other fields (the answer is then
    /// 200 with one result per address); or `email`.
    #[schema(max_items = 100)]
    emails: Option<Vec<String>>,
    /// Default `member`.
    role: Option<Role>,
    /// Names from the tenant's permission catalogue (or `users.manage`).
    #[serde(default)]
    #[schema(max_items = 100, example = json!(["reports.reply"]))]
    permissions: Vec<String>,
    /// Plain text for the invitee, at most 500 characters; shown as text, never as markup.
    #[schema(max_length = 500, example = "Benvenuta nel gruppo!")]
    message: Option<String>,
    /// The language of the mail and the page (else the account's, else the tenant's default).
    locale: Option<Locale>,
    /// Teams accepting joins (with the tenant's default teams): at most 10 active teams whose
    /// people the caller may change.
    #[serde(default)]
    #[schema(value_type = Vec<String>, max_items = 10)]
    team_ids: Vec<usher_core::domain::TeamId>,
}

impl InviteRequest {
    /// The invitation of `email` with this request's other fields.
    fn invite(&self, email: &str, field: &str) -> Result<Invite, Problem> {
        Ok(Invite {
            email: EmailAddress::parse(email).map_err(|e| Problem::invalid(field, e))?,
            role: self.role.unwrap_or(Role::Member),
            permissions: permissions_field(&self.permissions)?,
            message: self
                .message
                .as_deref()
                .map(|m| InvitationMessage::parse(m).map_err(|e| Problem::invalid("message", e)))
                .transpose()?,
            locale: self.locale,
            team_ids: {
                let mut ids = self.team_ids.clone();
                ids.sort();
                ids.dedup();
                if ids.len() > 10 {
                    return Err(Problem::invalid("team_ids", "names at most 10 teams"));
                }
                ids
            },
        })
    }
}

/// What became of one address of a bulk request.
#[derive(Serialize, ToSchema)]
pub struct BulkInvitationResult {
    email: String,
    /// What a request for this address alone would have answered: 201, or the problem's status.
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    invitation: Option<InvitationView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<ProblemDoc>,
}

/// One result per address, in the order given.
#[derive(Serialize, ToSchema)]
pub struct BulkInvitationResults {
    items: Vec<BulkInvitationResult>,
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/invitations", tag = "invitations", security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path)),
    request_body = InviteRequest,
    responses(
        BearerErrors,
        JsonBodyErrors,
        (status = 201, description = "With `email`: the invitation", body = InvitationView),
        (status = 200, description = "With `emails`: one result per address, in their order, each with the invitation (`status` 201) or the problem a request for that address alone would have answered; each counts in the quotas", body = BulkInvitationResults),
        (status = 403, description = "forbidden: owners, admins and users managers invite; members only where members_can_invite is on; role_not_allowed: a role above the caller's (members invite members only); permission_not_allowed: a permission the caller does not hold; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller", body = ProblemDoc),
        (status = 409, description = "already_member (whatever the letter case); member_archived: restore them instead; invitation_pending: one is pending for this email, resend it; conflict: try again", body = ProblemDoc),
        (status = 422, description = "invalid_request: a field is missing, unknown or malformed (`field` names it; a message over 500 characters or with control characters; more than 10 team_ids); unknown_permission; unknown_team: a team_ids entry that is not an active team of this tenant", body = ProblemDoc),
        (status = 429, description = "rate_limited, with Retry-After: 500 invitations a day per tenant, 50 per inviter", body = ProblemDoc),
    ))]
async fn send_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
    ApiJson(body): ApiJson<InviteRequest>,
) -> Result<axum::response::Response, Problem> {
    match (&body.email, &body.emails) {
        (Some(email), None) => {
            let invite = body.invite(email, "email")?;
            let invitation = send::send_invitation(&app, &token, tenant_id, invite).await?;
            Ok((
                StatusCode::CREATED,
                Json(InvitationView::new(invitation, app.clock.now())),
            )
                .into_response())
        }
        (None, Some(emails)) if (1..=send::MAX_BULK).contains(&emails.len()) => {
            let parsed: Vec<Result<Invite, Problem>> = emails
                .iter()
                .enumerate()
                .map(|(n, email)| body.invite(email, &format!("emails[{n}]")))
                .collect();
            let (invites, refused): (Vec<_>, Vec<_>) = parsed.iter().partition(|p| p.is_ok());
            // A field wrong for every address (role, message, teams) is the request's own.
            if invites.is_empty()
                && let Some(Err(problem)) = refused.first()
                && !problem
                    .field
                    .as_deref()
                    .is_some_and(|f| f.starts_with("emails["))
            {
                return Err(problem.clone());
            }
            let to_send: Vec<Invite> = parsed
                .iter()
                .filter_map(|p| p.as_ref().ok().cloned())
                .collect();
            let mut sent = send::send_invitations(&app, &token, tenant_id, to_send)
                .await?
                .into_iter();
            let now = app.clock.now();
            let items = emails
                .iter()
                .zip(parsed)
                .map(|(email, parsed)| {
                    let outcome = match parsed {
                        Ok(_) => sent
                            .next()
                            .map(|r| r.map_err(Problem::from))
                            .unwrap_or_else(|| Err(Problem::invalid("emails", "not sent"))),
                        Err(problem) => Err(problem),
                    };
                    match outcome {
                        Ok(invitation) => BulkInvitationResult {
                            email: email.clone(),
                            status: StatusCode::CREATED.as_u16(),
                            invitation: Some(InvitationView::new(invitation, now)),
                            problem: None,
                        },
                        Err(problem) => BulkInvitationResult {
                            email: email.clone(),
                            status: problem.status.as_u16(),
                            invitation: None,
                            problem: Some(problem.doc()),
                        },
                    }
                })
                .collect();
            Ok(Json(BulkInvitationResults { items }).into_response())
        }
        _ => Err(Problem::invalid(
            "email",
            "give email, or emails with 1 to 100 addresses, not both",
        )),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListInvitationsQuery {
    status: Option<InvitationStatus>,
    /// 1 to 200, default 50.
    limit: Option<u32>,
    cursor: Option<String>,
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/invitations", tag = "invitations", security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("status" = Option<InvitationStatus>, Query),
        ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses(
        BearerErrors,
        (status = 200, description = "Newest first. Members who may invite see their own invitations only", body = Page<InvitationView>),
        (status = 400, description = "invalid_request: the query string does not parse", body = ProblemDoc),
        (status = 403, description = "forbidden: the caller may not invite; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller", body = ProblemDoc),
        (status = 422, description = "invalid_request: limit out of range, or a cursor this listing did not give", body = ProblemDoc),
    ))]
async fn list_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
    ApiQuery(query): ApiQuery<ListInvitationsQuery>,
) -> Result<Json<Page<InvitationView>>, Problem> {
    let limit = page_limit(query.limit)?;
    let request = ListInvitations {
        status: query.status,
        limit,
        cursor: query.cursor,
    };
    let page = manage::list_invitations(&app, &token, tenant_id, request).await?;
    let now = app.clock.now();
    Ok(Json(Page {
        items: page
            .invitations
            .into_iter()
            .map(|i| InvitationView::new(i, now))
            .collect(),
        next_cursor: page.next_cursor.map(|c| c.encode()),
    }))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/invitations/{invitation_id}", tag = "invitations", security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("invitation_id" = String, Path)),
    responses(
        BearerErrors,
        (status = 200, body = InvitationView),
        (status = 403, description = "forbidden: the caller may not invite; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such invitation in this tenant (or one of another member, for a member who may only see their own)", body = ProblemDoc),
    ))]
async fn get_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath((tenant_id, invitation_id)): ApiPath<(TenantId, InvitationId)>,
) -> Result<Json<InvitationView>, Problem> {
    let invitation = manage::get_invitation(&app, &token, tenant_id, invitation_id).await?;
    Ok(Json(InvitationView::new(invitation, app.clock.now())))
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/invitations/{invitation_id}", tag = "invitations", security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("invitation_id" = String, Path)),
    responses(
        BearerErrors,
        (status = 204, description = "Revoked: its link stops working at once"),
        (status = 403, description = "forbidden: the caller may not invite; role_not_allowed, permission_not_allowed: the invitation gives a role or permission beyond what the caller may give; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such invitation in this tenant for this caller", body = ProblemDoc),
        (status = 409, description = "invitation_not_pending: it was accepted or revoked already; conflict: it changed at the same time", body = ProblemDoc),
    ))]
async fn revoke_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath((tenant_id, invitation_id)): ApiPath<(TenantId, InvitationId)>,
) -> Result<StatusCode, Problem> {
    manage::revoke_invitation(&app, &token, tenant_id, invitation_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/invitations/{invitation_id}/resend", tag = "invitations", security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("invitation_id" = String, Path)),
    responses(
        BearerErrors,
        (status = 200, description = "The same invitation with a new link and expiry; the old link no longer works", body = InvitationView),
        (status = 403, description = "forbidden: the caller may not invite; role_not_allowed, permission_not_allowed: the invitation gives a role or permission beyond what the caller may give; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such invitation in this tenant for this caller", body = ProblemDoc),
        (status = 409, description = "invitation_not_pending: accepted or revoked; invitation_pending: the email was invited again since; conflict: it changed at the same time", body = ProblemDoc),
        (status = 429, description = "rate_limited, with Retry-After: 5 resends a day per invitation, and the tenant's daily quota", body = ProblemDoc),
    ))]
async fn resend_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath((tenant_id, invitation_id)): ApiPath<(TenantId, InvitationId)>,
) -> Result<Json<InvitationView>, Problem> {
    let invitation = manage::resend_invitation(&app, &token, tenant_id, invitation_id).await?;
    Ok(Json(InvitationView::new(invitation, app.clock.now())))
}
