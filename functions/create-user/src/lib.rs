//! The create-user function: those who manage users create people (or, for an email that has an
//! account, invite the person), and import them from a spreadsheet and follow the import. Reading
//! and changing members is the users function's.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, extract::State};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use usher_core::app::App;
use usher_core::domain::{EmailAddress, Locale, PersonName, Phone, Role, TenantId};
use usher_core::http::{
    ApiJson, ApiPath, ApiQuery, BearerErrors, CsvBody, InvitationView, JsonBodyErrors, Problem,
    ProblemDoc, TenantBearer, UserInvitedResponse, UserView, csv_attachment, finish_router, mount,
    permissions_field,
};
use usher_core::usecases::create_user::{self, Creation, NewUser, PasswordChoice};
use usher_core::usecases::import_users::{
    self, Counts, FileEncoding, ImportProgress, ImportStatus, Imported, RowReport,
};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This function's routes, each declared once, by its handler's `#[utoipa::path]`: the router
/// and this function's part of the OpenAPI document (`api().into_openapi()`) are both made from
/// it.
pub fn api() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(create_user_route))
        .routes(routes!(import_route))
        .routes(routes!(template_route))
        .routes(routes!(import_status_route))
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

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/users", tag = "users", security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path)),
    request_body = CreateUserRequest,
    responses(
        BearerErrors,
        JsonBodyErrors,
        (status = 201, body = CreateUserResponse),
        (status = 202, description = "The email already has an account: nothing of it is shown or changed; an invitation with the requested role and permissions was mailed to it, and the membership exists once the person accepts", body = UserInvitedResponse),
        (status = 403, description = "forbidden: needs admin or users.manage; role_not_allowed: a role above the caller's; permission_not_allowed: a permission the caller does not hold; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive: the caller's membership here is archived or without access; password_change_required: a session of a temporary password may only change it", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller (or the id is not one)", body = ProblemDoc),
        (status = 409, description = "already_member; member_archived: restore them instead; invitation_pending: the person was invited already (resend it); conflict: the same email was being registered at the same time, or the catalogue changed", body = ProblemDoc),
        (status = 422, description = "invalid_request: a field is missing, unknown or malformed (`field` names it); unknown_permission; weak_password", body = ProblemDoc),
        (status = 429, description = "rate_limited, with Retry-After: the daily invitation quota (the tenant's, or the caller's) is spent. Checked for every address before it is looked up, since an address with an account is invited: the answer says nothing of the address", body = ProblemDoc),
    ))]
async fn create_user_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
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

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/users.csv/template", tag = "users", security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path)),
    responses(
        BearerErrors,
        (status = 200, description = "The columns an import reads (a column per permission of the catalogue among them) and one example row; UTF-8 with a byte-order mark, comma-separated (semicolons are read too)", content_type = "text/csv"),
        (status = 403, description = "forbidden: needs admin or users.manage; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller", body = ProblemDoc),
    ))]
async fn template_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
) -> Result<Response, Problem> {
    let template = import_users::template(&app, &token, tenant_id).await?;
    Ok((csv_attachment("users-template.csv"), template).into_response())
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
    /// `true`: make the teams the `teams` column names that do not exist yet (the dry run lists
    /// them in `new_teams`); without it a row naming one is `unknown_team`.
    #[serde(default)]
    create_missing_teams: bool,
}

/// A dry run's answer: what each row would become.
#[derive(Serialize, ToSchema)]
pub struct DryRunView {
    dry_run: bool,
    counts: Counts,
    /// Every row, in file order.
    rows: Vec<RowReport>,
    /// The teams the import would make (`create_missing_teams=true`), as paths.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    new_teams: Vec<String>,
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
    /// The teams the import made before filing its rows, as paths.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    new_teams: Vec<String>,
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
            new_teams: import.new_teams,
            counts: progress.counts,
            created_at: import.created_at,
            finished_at: import.finished_at,
            report: progress.report,
        }
    }
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/users.csv", tag = "users", security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("dry_run" = Option<bool>, Query), ("encoding" = Option<FileEncoding>, Query), ("create_missing_teams" = Option<bool>, Query, description = "Make the teams the teams column names that do not exist yet")),
    request_body(content = String, content_type = "text/csv", description = "The file, at most 5 MB and 10,000 rows: a header row (email, first_name, last_name, notification_email, phone, locale, role, auto_tickets, send_credentials, teams: paths from the root such as Sales/Europe, several separated by ; or |, a \\ before / ; | or \\ keeping it in a name; a column per permission; the export's own columns are read too), comma or semicolon separated, CRLF or LF"),
    responses(
        BearerErrors,
        (status = 200, description = "dry_run: what each row would become (added: someone who is not a member joins, created or, for an email with an account, invited, which a check does not tell; updated; unchanged; or error with its code and column); nothing was written or sent", body = DryRunView),
        (status = 202, description = "Filed: the rows are done in the background; GET the Location for progress and the report", body = ImportView),
        (status = 400, description = "invalid_request: the query string does not parse", body = ProblemDoc),
        (status = 403, description = "forbidden: needs admin or users.manage; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller", body = ProblemDoc),
        (status = 413, description = "payload_too_large: the file is over 5 MB", body = ProblemDoc),
        (status = 415, description = "unsupported_media_type: send the file as text/csv", body = ProblemDoc),
        (status = 422, description = "empty_file; too_many_rows: over 10,000; invalid_encoding: not UTF-8 (`row` names the first bad row; or name the encoding); invalid_csv: a quote never closed, a row with another number of cells than the header, a byte-order mark past the start, or binary content (`row` names it); missing_header: the first row is data, not the header; missing_column: no email column; unknown_column; duplicate_column; unknown_permission: a permission column not in the catalogue; import_invalid: rows in error (`errors` lists them with code and column: among them unknown_team, team_archived, team_too_deep, team_limit for the teams column), nothing was written", body = ProblemDoc),
        (status = 409, description = "conflict: the teams changed while the import made the missing ones; the rows were not filed", body = ProblemDoc),
    ))]
async fn import_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath(tenant_id): ApiPath<TenantId>,
    ApiQuery(query): ApiQuery<ImportQuery>,
    CsvBody(bytes): CsvBody,
) -> Result<Response, Problem> {
    let options = import_users::ImportOptions {
        encoding: query.encoding,
        dry_run: query.dry_run,
        create_missing_teams: query.create_missing_teams,
    };
    let imported = import_users::import_users(&app, &token, tenant_id, &bytes, options).await?;
    Ok(match imported {
        Imported::DryRun(report) => Json(DryRunView {
            dry_run: true,
            counts: report.counts,
            rows: report.rows,
            new_teams: report.new_teams,
        })
        .into_response(),
        Imported::Filed(import) => {
            let location = format!("/v1/tenants/{tenant_id}/imports/{}", import.id);
            let view = ImportView::from(ImportProgress {
                import: *import,
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

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/imports/{import_id}", tag = "users", security(("bearer" = []), ("tenant_key" = [])),
    params(("tenant_id" = String, Path), ("import_id" = String, Path)),
    responses(
        BearerErrors,
        (status = 200, description = "How far the import is, and each row done so far", body = ImportView),
        (status = 403, description = "forbidden: needs admin or users.manage; tenant_suspended: the operator suspended this tenant; insufficient_scope: an operator key without tenants.admin; membership_inactive; password_change_required", body = ProblemDoc),
        (status = 404, description = "not_found: no such tenant for this caller, or no such import in it", body = ProblemDoc),
    ))]
async fn import_status_route(
    State(app): State<App>,
    TenantBearer(token): TenantBearer,
    ApiPath((tenant_id, import_id)): ApiPath<(TenantId, usher_core::domain::ImportId)>,
) -> Result<Json<ImportView>, Problem> {
    let progress = import_users::get_import(&app, &token, tenant_id, import_id).await?;
    Ok(Json(progress.into()))
}
