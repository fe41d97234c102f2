//! The accept-invitation function: the public side of an invitation. What a link invites to (as
//! JSON and as a page), accepting it by signing in, by registering or with a session, and the
//! confirmation of an address someone registered with instead of the invited one.
//!
//! The accept and confirm routes take JSON from API clients and form posts from the pages; a
//! form is answered with a page in the invitation's language, JSON with JSON or problem+json.

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, extract::State};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use usher_core::app::App;
use usher_core::domain::{EmailAddress, Locale, PasswordAttempt, PersonName, Role, TenantId};
use usher_core::http::{
    AccountView, ApiPath, ClientAddress, JsonOrForm, MaybeBearer, MembershipView, PreferredLocale,
    Problem, ProblemDoc, finish_router, mount, with_body_read,
};
use usher_core::pages::{InvitationSummary, InviteFormError, InvitePage, Typed};
use usher_core::records::{AccountTenantRecord, MembershipRecord};
use usher_core::settings::InvitationEmailPolicy;
use usher_core::usecases::invitations::accept::{
    self, AcceptAs, AcceptError, Acceptance, InvitationPreview, Joined, LinkState,
};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This function's routes, each declared once, by its handler's `#[utoipa::path]`: the router
/// and this function's part of the OpenAPI document are both made from it.
pub fn api() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(preview_route))
        .routes(routes!(accept_route))
        .routes(routes!(confirm_route))
        .routes(routes!(invite_page))
        .routes(routes!(confirm_page))
}

/// The routes as this function's Lambda serves them.
pub fn router(app: App) -> Router {
    finish_router(mount(api(), &app))
}

#[derive(Serialize, ToSchema)]
pub struct TenantRef {
    #[schema(value_type = String)]
    id: TenantId,
    name: String,
}

/// What an invitation link invites to.
#[derive(Serialize, ToSchema)]
pub struct InvitationPreviewView {
    tenant: TenantRef,
    /// The invited address.
    email: String,
    role: Role,
    inviter_name: String,
    /// The inviter's note, plain text.
    message: Option<String>,
    expires_at: DateTime<Utc>,
    /// `exact`: only the invited address may accept; `any`: another may (a new one is confirmed
    /// by mail first).
    email_policy: InvitationEmailPolicy,
    /// Whether the invited address has an account (sign in to accept) or not (register).
    account_exists: bool,
}

fn dead_link_problem(state: LinkState) -> Problem {
    match state {
        LinkState::Expired | LinkState::Superseded => AcceptError::Expired,
        LinkState::Used => AcceptError::Used,
        LinkState::Revoked => AcceptError::Revoked,
        LinkState::Usable | LinkState::Unknown => AcceptError::Invalid,
    }
    .into()
}

#[utoipa::path(get, path = "/v1/invitations/{token}", tag = "invitations",
    params(("token" = String, Path, description = "The token from the emailed link")),
    responses(
        (status = 200, body = InvitationPreviewView),
        (status = 404, description = "token_invalid: not an invitation link (mistyped, cut, another kind of link)", body = ProblemDoc),
        (status = 410, description = "token_expired (also when a newer link was sent); token_used; token_revoked (withdrawn, or its inviter may no longer give it: archived, cut off, demoted, or no longer allowed to invite)", body = ProblemDoc),
    ))]
async fn preview_route(
    State(app): State<App>,
    ApiPath(token): ApiPath<String>,
) -> Result<Json<InvitationPreviewView>, Problem> {
    let preview = accept::inspect(&app, &token).await?;
    match (preview.state, preview.details) {
        (LinkState::Usable, Some(d)) => Ok(Json(InvitationPreviewView {
            tenant: TenantRef {
                id: d.tenant_id,
                name: d.tenant_name,
            },
            email: d.email.to_string(),
            role: d.role,
            inviter_name: d.inviter_name,
            message: d.message,
            expires_at: d.expires_at,
            email_policy: d.email_policy,
            account_exists: d.account_exists,
        })),
        (state, _) => Err(dead_link_problem(state)),
    }
}

/// How to accept, as JSON. With a Bearer session and no body, the session's account accepts.
/// Struct variants, even where empty, so that an unknown field is refused.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum AcceptRequest {
    /// Sign in to an account that exists; it gains the membership, its names and password stay.
    Existing {
        #[schema(format = "email", max_length = 254)]
        email: String,
        #[schema(max_length = 1024)]
        password: String,
        /// Needed only when the answer was 409 `new_password_required`: the password is one an
        /// admin of another organisation set or saw, and joining replaces it with this one.
        #[schema(min_length = 8, max_length = 1024)]
        new_password: Option<String>,
    },
    /// Register. Without `email` (or with the invited one) the account is created now, with
    /// `password`. With another address (policy `any`) leave `password` out: a link goes to that
    /// address, whose owner confirms it and chooses the password, and the answer is 202 whether
    /// the address has an account or not (its owner is told by mail either way).
    New {
        #[schema(min_length = 1, max_length = 100)]
        first_name: String,
        #[schema(min_length = 1, max_length = 100)]
        last_name: String,
        #[schema(min_length = 8, max_length = 1024)]
        password: Option<String>,
        #[schema(format = "email", max_length = 254)]
        email: Option<String>,
        locale: Option<Locale>,
    },
    /// The account of the Bearer session accepts.
    Session {},
}

/// The page's form: every field optional, so a form missing one gets a page; a field the page
/// does not have is refused, as in JSON.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptForm {
    #[serde(default)]
    mode: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    /// The sign-in form's new password, when the page asked for one.
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_confirm: String,
}

#[derive(Serialize, ToSchema)]
pub struct SessionView {
    /// `Authorization: Bearer {token}`.
    token: String,
    expires_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct AcceptedView {
    account: AccountView,
    membership: MembershipView,
    /// A new session, or with a Bearer session the one used.
    session: SessionView,
}

#[derive(Serialize, ToSchema)]
pub struct ConfirmationSentView {
    /// `confirmation_sent`
    status: &'static str,
    /// Where the link to confirm went.
    email: String,
}

fn accepted_view(joined: Joined) -> AcceptedView {
    let membership = membership_view(&joined.membership, &joined.tenant_name);
    AcceptedView {
        account: joined.account.into(),
        membership,
        session: SessionView {
            token: joined.session.to_bearer(),
            expires_at: joined.session_expires_at,
        },
    }
}

fn membership_view(membership: &MembershipRecord, tenant_name: &str) -> MembershipView {
    AccountTenantRecord {
        tenant_id: membership.tenant_id,
        tenant_name: tenant_name.to_owned(),
        role: membership.role,
        status: membership.status,
        access: membership.access,
    }
    .into()
}

#[utoipa::path(post, path = "/v1/invitations/{token}/accept", tag = "invitations",
    params(("token" = String, Path, description = "The token from the emailed link")),
    request_body(content(
        (AcceptRequest = "application/json"),
        (AcceptRequest = "application/x-www-form-urlencoded"),
    )),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Joined: the membership exists and a session is open. A form post is answered with a page", body = AcceptedView),
        (status = 202, description = "Registered with another address (policy any): that address's owner was mailed (a link to confirm it and choose a password, or, when it has an account, word that nothing was registered); nothing is created until the link is used. The same answer either way, and for a second request while one is pending", body = ConfirmationSentView),
        (status = 400, description = "invalid_request: the body is not one JSON value, or the form does not parse", body = ProblemDoc),
        (status = 401, description = "invalid_credentials: the email or password is wrong; unauthenticated: the Bearer session is not valid", body = ProblemDoc),
        (status = 403, description = "email_mismatch: policy exact and another address (the detail names both); password_change_required: the session may only change its temporary password", body = ProblemDoc),
        (status = 404, description = "token_invalid", body = ProblemDoc),
        (status = 409, description = "account_exists: registering the invited address, which has an account (sign in instead); already_member; registrations_exhausted: the invitation asked to register other addresses three times already; new_password_required: the password is one an admin of another organisation set or saw, so joining takes a new one (send it as new_password); conflict: the invitation changed at the same time", body = ProblemDoc),
        (status = 410, description = "token_expired (also when a newer link was sent); token_used; token_revoked (withdrawn, or its inviter may no longer give it: archived, cut off, demoted, or no longer allowed to invite)", body = ProblemDoc),
        (status = 413, description = "payload_too_large: the body is over 64 KiB", body = ProblemDoc),
        (status = 415, description = "unsupported_media_type: send application/json or a form", body = ProblemDoc),
        (status = 422, description = "invalid_request: a field is missing, unknown (tenant_id, role, permissions, status are not the invitee's to set) or malformed; a password with another address (its owner chooses theirs), or none with the invited one; weak_password (of password or new_password); password_reused: new_password is the password an admin set", body = ProblemDoc),
        (status = 429, description = "rate_limited, with Retry-After: the password attempts sign-in counts", body = ProblemDoc),
    ))]
async fn accept_route(
    State(app): State<App>,
    PreferredLocale(preferred): PreferredLocale,
    ClientAddress(client): ClientAddress,
    MaybeBearer(bearer): MaybeBearer,
    ApiPath(token): ApiPath<String>,
    request: Request,
) -> Result<Response, Problem> {
    // A session and an empty body (whatever its type): the session's account accepts.
    let (request, empty) = with_body_read(request).await?;
    if let (Some(session), true) = (&bearer, empty) {
        let accepted = accept::accept(&app, &token, AcceptAs::Session(session.clone())).await?;
        return Ok(json_answer(accepted));
    }
    let body = JsonOrForm::<AcceptRequest, AcceptForm>::from_request(request, &app).await?;
    match body {
        JsonOrForm::Json(body) => {
            let who = match body {
                AcceptRequest::Existing {
                    email,
                    password,
                    new_password,
                } => AcceptAs::Existing {
                    email: EmailAddress::parse(&email).map_err(|e| Problem::invalid("email", e))?,
                    password: PasswordAttempt::new(&password),
                    new_password: new_password.map(SecretString::from),
                    client,
                },
                AcceptRequest::New {
                    first_name,
                    last_name,
                    password,
                    email,
                    locale,
                } => AcceptAs::New {
                    first_name: PersonName::parse(&first_name)
                        .map_err(|e| Problem::invalid("first_name", e))?,
                    last_name: PersonName::parse(&last_name)
                        .map_err(|e| Problem::invalid("last_name", e))?,
                    password: password.map(SecretString::from),
                    email: email
                        .map(|e| EmailAddress::parse(&e).map_err(|e| Problem::invalid("email", e)))
                        .transpose()?,
                    locale,
                },
                AcceptRequest::Session {} => {
                    AcceptAs::Session(bearer.ok_or_else(Problem::unauthenticated)?)
                }
            };
            Ok(json_answer(accept::accept(&app, &token, who).await?))
        }
        JsonOrForm::Form(form) => accept_from_page(&app, preferred, client, token, form).await,
    }
}

fn json_answer(accepted: Acceptance) -> Response {
    match accepted {
        Acceptance::Joined(joined) => {
            (StatusCode::OK, Json(accepted_view(*joined))).into_response()
        }
        Acceptance::ConfirmationSent { email, .. } => (
            StatusCode::ACCEPTED,
            Json(ConfirmationSentView {
                status: "confirmation_sent",
                email: email.to_string(),
            }),
        )
            .into_response(),
    }
}

/// A form post from the invitation page: a page back, in the invitation's language.
async fn accept_from_page(
    app: &App,
    preferred: Option<Locale>,
    client: Option<std::net::IpAddr>,
    token: String,
    form: AcceptForm,
) -> Result<Response, Problem> {
    let register = form.mode == "new";
    let typed = Typed {
        email: Some(form.email.clone()),
        first_name: if register {
            form.first_name.clone()
        } else {
            String::new()
        },
        last_name: if register {
            form.last_name.clone()
        } else {
            String::new()
        },
    };
    let who = match parse_form(form, client) {
        Ok(AcceptAs::New {
            first_name,
            last_name,
            password,
            email: Some(email),
            locale,
        }) => {
            // The page asks everyone for a password; for another address than the invited one,
            // its owner chooses theirs when they confirm (as the form's hint says).
            let invited = accept::inspect(app, &token).await?.details.map(|d| d.email);
            let own = invited.is_none_or(|invited| invited.same_as(&email));
            AcceptAs::New {
                first_name,
                last_name,
                password: password.filter(|_| own),
                email: Some(email),
                locale,
            }
        }
        Ok(who) => who,
        Err(error) => return form_again(app, preferred, token, typed, error).await,
    };
    match accept::accept(app, &token, who).await {
        Ok(Acceptance::Joined(joined)) => Ok(joined_page(app, *joined)),
        Ok(Acceptance::ConfirmationSent { email, locale }) => Ok(InvitePage::ConfirmationSent {
            email: email.to_string(),
        }
        .render(locale, &app.config)),
        Err(error) => {
            match form_error(error)? {
                Ok(error) => form_again(app, preferred, token, typed, error).await,
                Err(state) => {
                    let preview = accept::inspect(app, &token).await?;
                    Ok(dead_page(state, &preview)
                        .render(page_locale(&preview, preferred), &app.config))
                }
            }
        }
    }
}

fn parse_form(
    form: AcceptForm,
    client: Option<std::net::IpAddr>,
) -> Result<AcceptAs, InviteFormError> {
    let email =
        |raw: &str| EmailAddress::parse(raw).map_err(|_| InviteFormError::Invalid("email".into()));
    match form.mode.as_str() {
        "existing" => {
            if form.new_password != form.new_password_confirm {
                return Err(InviteFormError::PasswordsDiffer);
            }
            Ok(AcceptAs::Existing {
                email: email(&form.email)?,
                password: PasswordAttempt::new(&form.password),
                new_password: Some(form.new_password)
                    .filter(|p| !p.is_empty())
                    .map(SecretString::from),
                client,
            })
        }
        "new" => {
            if form.password != form.password_confirm {
                return Err(InviteFormError::PasswordsDiffer);
            }
            Ok(AcceptAs::New {
                first_name: PersonName::parse(&form.first_name)
                    .map_err(|_| InviteFormError::Invalid("first_name".into()))?,
                last_name: PersonName::parse(&form.last_name)
                    .map_err(|_| InviteFormError::Invalid("last_name".into()))?,
                password: Some(SecretString::from(form.password)),
                email: Some(email(&form.email)?),
                locale: None,
            })
        }
        _ => Err(InviteFormError::Invalid("mode".into())),
    }
}

/// The form's error as the page shows it, or the link's dead state; a failure of ours is an
/// error of the request.
fn form_error(error: AcceptError) -> Result<Result<InviteFormError, LinkState>, Problem> {
    Ok(Ok(match error {
        AcceptError::Invalid => return Ok(Err(LinkState::Unknown)),
        AcceptError::Expired => return Ok(Err(LinkState::Expired)),
        AcceptError::Used => return Ok(Err(LinkState::Used)),
        AcceptError::Revoked => return Ok(Err(LinkState::Revoked)),
        AcceptError::EmailMismatch { invited, used } => InviteFormError::Mismatch {
            invited: invited.to_string(),
            used: used.to_string(),
        },
        AcceptError::InvalidCredentials => InviteFormError::WrongPassword,
        AcceptError::RateLimited { .. } => InviteFormError::RateLimited,
        AcceptError::AccountExists => InviteFormError::AccountExists,
        AcceptError::PasswordRequired | AcceptError::PasswordNotYours => {
            InviteFormError::Invalid("password".into())
        }
        AcceptError::TooManyRegistrations => InviteFormError::RegistrationsExhausted,
        AcceptError::AlreadyMember => InviteFormError::AlreadyMember,
        AcceptError::Weak(weak) | AcceptError::WeakNewPassword(weak) => InviteFormError::Weak(weak),
        AcceptError::NewPasswordRequired => InviteFormError::NewPasswordRequired,
        AcceptError::NewPasswordReused => InviteFormError::NewPasswordReused,
        AcceptError::Conflict => InviteFormError::Conflict,
        AcceptError::Auth(e) => return Err(e.into()),
        AcceptError::Internal(e) => return Err(e.into()),
    }))
}

fn page_locale(preview: &InvitationPreview, preferred: Option<Locale>) -> Locale {
    preview
        .details
        .as_ref()
        .and_then(|d| d.locale)
        .or(preferred)
        .unwrap_or_default()
}

fn dead_page(state: LinkState, preview: &InvitationPreview) -> InvitePage {
    match state {
        LinkState::Expired | LinkState::Superseded => InvitePage::Expired {
            inviter: preview.details.as_ref().map(|d| d.inviter_name.clone()),
        },
        LinkState::Used => InvitePage::Used,
        LinkState::Revoked => InvitePage::Revoked,
        LinkState::Usable | LinkState::Unknown => InvitePage::Unknown,
    }
}

/// The invitation page for `preview`: its forms when the link works (with `typed` and `error`
/// after a refused attempt), else what happened to it.
fn invitation_page(
    token: String,
    preview: &InvitationPreview,
    typed: Typed,
    error: Option<InviteFormError>,
) -> InvitePage {
    match (preview.state, &preview.details) {
        (LinkState::Usable, Some(d)) => InvitePage::Open {
            invitation: InvitationSummary {
                token,
                tenant: d.tenant_name.clone(),
                inviter: d.inviter_name.clone(),
                role: d.role,
                email: d.email.to_string(),
                message: d.message.clone(),
                expires_at: d.expires_at,
                account_exists: d.account_exists,
                policy: d.email_policy,
            },
            typed,
            error,
        },
        (state, _) => dead_page(state, preview),
    }
}

async fn form_again(
    app: &App,
    preferred: Option<Locale>,
    token: String,
    typed: Typed,
    error: InviteFormError,
) -> Result<Response, Problem> {
    let preview = accept::inspect(app, &token).await?;
    let locale = page_locale(&preview, preferred);
    Ok(invitation_page(token, &preview, typed, Some(error)).render(locale, &app.config))
}

fn joined_page(app: &App, joined: Joined) -> Response {
    InvitePage::Joined {
        tenant: joined.tenant_name,
        continue_url: joined.continue_url,
    }
    .render(joined.locale, &app.config)
}

#[utoipa::path(get, path = "/invite/{token}", tag = "invitations",
    params(("token" = String, Path, description = "The token from the emailed link")),
    responses(
        (status = 200, description = "The invitation, with a form to sign in and one to register", content_type = "text/html"),
        (status = 404, description = "The link is unknown", content_type = "text/html"),
        (status = 410, description = "The invitation expired, was accepted or was withdrawn", content_type = "text/html"),
    ))]
async fn invite_page(
    State(app): State<App>,
    PreferredLocale(preferred): PreferredLocale,
    ApiPath(token): ApiPath<String>,
) -> Result<Response, Problem> {
    let preview = accept::inspect(&app, &token).await?;
    let locale = page_locale(&preview, preferred);
    Ok(invitation_page(token, &preview, Typed::default(), None).render(locale, &app.config))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    /// The token from the link `{public_url}/invite/confirm/{token}`.
    #[schema(min_length = 43, max_length = 43)]
    token: String,
    /// The password the owner of the address chooses.
    #[schema(min_length = 8, max_length = 1024)]
    password: String,
}

/// The confirmation page's form: the same, with the password typed twice.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfirmForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

#[utoipa::path(post, path = "/v1/invitations/confirm", tag = "invitations",
    request_body(content(
        (ConfirmRequest = "application/json"),
        (ConfirmRequest = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "The address is confirmed: the account and the membership exist and a session is open. A form post is answered with a page", body = AcceptedView),
        (status = 400, description = "invalid_request: the body is not one JSON value, or the form does not parse", body = ProblemDoc),
        (status = 403, description = "email_mismatch: the tenant now accepts only the invited address", body = ProblemDoc),
        (status = 404, description = "token_invalid", body = ProblemDoc),
        (status = 409, description = "account_exists: the address got an account meanwhile (sign in to accept instead); already_member; conflict", body = ProblemDoc),
        (status = 410, description = "token_expired; token_used (this link, or the invitation was accepted); token_revoked (withdrawn, or its inviter may no longer give it)", body = ProblemDoc),
        (status = 413, description = "payload_too_large: the body is over 64 KiB", body = ProblemDoc),
        (status = 415, description = "unsupported_media_type: send application/json or a form", body = ProblemDoc),
        (status = 422, description = "invalid_request: a field is missing, unknown or malformed; weak_password: the password the owner of the address chose", body = ProblemDoc),
    ))]
async fn confirm_route(
    State(app): State<App>,
    PreferredLocale(preferred): PreferredLocale,
    body: JsonOrForm<ConfirmRequest, ConfirmForm>,
) -> Result<Response, Problem> {
    let form = match body {
        JsonOrForm::Json(body) => {
            let joined =
                accept::confirm_registration(&app, &body.token, SecretString::from(body.password))
                    .await?;
            return Ok((StatusCode::OK, Json(accepted_view(joined))).into_response());
        }
        JsonOrForm::Form(form) => form,
    };
    let outcome = if form.password == form.password_confirm {
        accept::confirm_registration(&app, &form.token, SecretString::from(form.password))
            .await
            .map_err(form_error)
    } else {
        Err(Ok(Ok(InviteFormError::PasswordsDiffer)))
    };
    let error = match outcome {
        Ok(joined) => return Ok(joined_page(&app, joined)),
        Err(refused) => refused?,
    };
    let preview = accept::inspect_confirmation(&app, &form.token).await?;
    let locale = preview.locale.or(preferred).unwrap_or_default();
    let page = match (error, preview.state, preview.tenant_name, preview.email) {
        // A password the policy refuses, or two that differ: the form again, to try once more.
        (
            Ok(error @ (InviteFormError::Weak(_) | InviteFormError::PasswordsDiffer)),
            LinkState::Usable,
            Some(tenant),
            Some(email),
        ) => InvitePage::Confirm {
            token: form.token,
            tenant,
            email: email.to_string(),
            error: Some(error),
        },
        (Ok(error), ..) => InvitePage::ConfirmFailed(error),
        (Err(state), ..) => dead_page(state, &no_preview()),
    };
    Ok(page.render(locale, &app.config))
}

fn no_preview() -> InvitationPreview {
    InvitationPreview {
        state: LinkState::Unknown,
        details: None,
    }
}

#[utoipa::path(get, path = "/invite/confirm/{token}", tag = "invitations",
    params(("token" = String, Path, description = "The token from the emailed confirmation link")),
    responses(
        (status = 200, description = "A form to confirm the address and choose the password (opening the link changes nothing, so mail scanners that follow links register nobody)", content_type = "text/html"),
        (status = 404, description = "The link is unknown", content_type = "text/html"),
        (status = 410, description = "The link expired or was used, or the invitation was withdrawn", content_type = "text/html"),
    ))]
async fn confirm_page(
    State(app): State<App>,
    PreferredLocale(preferred): PreferredLocale,
    ApiPath(token): ApiPath<String>,
) -> Result<Response, Problem> {
    let preview = accept::inspect_confirmation(&app, &token).await?;
    let locale = preview.locale.or(preferred).unwrap_or_default();
    let page = match (preview.state, preview.tenant_name, preview.email) {
        (LinkState::Usable, Some(tenant), Some(email)) => InvitePage::Confirm {
            token,
            tenant,
            email: email.to_string(),
            error: None,
        },
        (state, _, _) => dead_page(state, &no_preview()),
    };
    Ok(page.render(locale, &app.config))
}
