//! Self-service organisations (`USHER_SELF_SERVICE=on`): sign up with an email, verify it through
//! the mailed link and create the organisation; or, signed in, create another. The sign-up routes
//! take JSON from API clients and form posts from the pages; a form is answered with a page.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, extract::State};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use usher_core::app::App;
use usher_core::domain::{EmailAddress, Locale, PersonName, TenantName};
use usher_core::http::{
    AccountView, ApiJson, ApiPath, Bearer, BearerErrors, ClientAddress, JsonBodyErrors, JsonOrForm,
    PreferredLocale, Problem, ProblemDoc, TenantView, UserAgent,
};
use usher_core::pages::{SignupFormError, SignupPage, SignupTyped};
use usher_core::usecases::sessions::ClientInfo;
use usher_core::usecases::signup::{self, CompleteSignup, SignupError};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    #[schema(format = "email", max_length = 254, example = "ada@example.org")]
    email: String,
    /// The language of the mail; by default the browser's (`Accept-Language`), else English.
    locale: Option<Locale>,
}

/// The start page's form: every field optional, so a form missing one gets a page.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignupForm {
    #[serde(default)]
    email: String,
}

#[derive(Serialize, ToSchema)]
pub struct SignupAccepted {
    message: &'static str,
}

/// The one answer to every well-formed sign-up, whatever the email.
const SIGNUP_ACCEPTED: SignupAccepted = SignupAccepted {
    message: "A message is on its way to this address: its link goes on with the sign-up.",
};

#[utoipa::path(post, path = "/v1/signup", tag = "signup",
    request_body(content(
        (SignupRequest = "application/json"),
        (SignupRequest = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 202, description = "The same answer, byte for byte, whether or not the email has an account (its owner is mailed \"someone tried to sign up with your address\" instead of a link); a form post is answered with a page. Past 3 mails an hour to one address, or 20 for one client address's requests, the answer is the same and no mail goes", body = SignupAccepted),
        (status = 400, description = "invalid_request: the body is not one JSON value, or the form does not parse", body = ProblemDoc),
        (status = 404, description = "self_service_off: this deployment does not offer sign-up", body = ProblemDoc),
        (status = 413, description = "payload_too_large: the body is over 64 KiB", body = ProblemDoc),
        (status = 415, description = "unsupported_media_type: send application/json or a form", body = ProblemDoc),
        (status = 422, description = "invalid_request: not one email address", body = ProblemDoc),
    ))]
pub(crate) async fn signup_route(
    State(app): State<App>,
    PreferredLocale(preferred): PreferredLocale,
    ClientAddress(client): ClientAddress,
    body: JsonOrForm<SignupRequest, SignupForm>,
) -> Result<Response, Problem> {
    match body {
        JsonOrForm::Json(body) => {
            let email =
                EmailAddress::parse(&body.email).map_err(|e| Problem::invalid("email", e))?;
            let locale = body.locale.or(preferred).unwrap_or_default();
            signup::request(&app, email, locale, client).await?;
            Ok((StatusCode::ACCEPTED, Json(SIGNUP_ACCEPTED)).into_response())
        }
        JsonOrForm::Form(form) => {
            let locale = preferred.unwrap_or_default();
            let page = match EmailAddress::parse(&form.email) {
                Ok(email) => match signup::request(&app, email, locale, client).await {
                    Ok(()) => SignupPage::Requested,
                    Err(SignupError::Off) => SignupPage::Off,
                    Err(other) => return Err(other.into()),
                },
                Err(_) => SignupPage::InvalidEmail { typed: form.email },
            };
            Ok(page.render(locale, &app.config))
        }
    }
}

#[utoipa::path(get, path = "/signup", tag = "signup",
    responses(
        (status = 200, description = "The page to sign up, in the browser's language", content_type = "text/html"),
        (status = 404, description = "This deployment does not offer sign-up", content_type = "text/html"),
    ))]
pub(crate) async fn signup_page(
    State(app): State<App>,
    PreferredLocale(preferred): PreferredLocale,
) -> Response {
    let page = if app.config.self_service {
        SignupPage::Start
    } else {
        SignupPage::Off
    };
    page.render(preferred.unwrap_or_default(), &app.config)
}

#[utoipa::path(get, path = "/signup/{token}", tag = "signup",
    params(("token" = String, Path, description = "The token from the emailed link")),
    responses(
        (status = 200, description = "The page to name yourself and your organisation and choose a password", content_type = "text/html"),
        (status = 404, description = "The link is unknown, or sign-up is off: a page to start again", content_type = "text/html"),
        (status = 410, description = "The link expired or was used", content_type = "text/html"),
    ))]
pub(crate) async fn verification_page(
    State(app): State<App>,
    PreferredLocale(preferred): PreferredLocale,
    ApiPath(token): ApiPath<String>,
) -> Result<Response, Problem> {
    let (page, locale) = match signup::open_link(&app, &token).await {
        Ok(link) => (
            SignupPage::Form {
                token,
                email: link.email.to_string(),
                typed: SignupTyped::default(),
                error: None,
            },
            Some(link.locale),
        ),
        Err(e) => {
            let locale = e.locale();
            (dead_link_page(e)?, locale)
        }
    };
    Ok(page.render(locale.or(preferred).unwrap_or_default(), &app.config))
}

/// The page for a link that cannot be used, or the error itself when it is not the link's.
fn dead_link_page(e: SignupError) -> Result<SignupPage, Problem> {
    Ok(match e {
        SignupError::Off => SignupPage::Off,
        SignupError::LinkUnknown => SignupPage::Unknown,
        SignupError::LinkExpired { .. } => SignupPage::Expired,
        SignupError::LinkUsed { .. } => SignupPage::Used,
        SignupError::AccountExists { .. } => SignupPage::AccountExists,
        other => return Err(other.into()),
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteSignupRequest {
    /// The token from the link `{public_url}/signup/{token}`.
    #[schema(min_length = 43, max_length = 43)]
    token: String,
    #[schema(min_length = 1, max_length = 100)]
    first_name: String,
    #[schema(min_length = 1, max_length = 100)]
    last_name: String,
    /// The organisation's name.
    #[schema(min_length = 1, max_length = 120)]
    organisation: String,
    /// 12 to 256 characters by default; not guessable.
    #[schema(min_length = 8, max_length = 1024)]
    password: String,
}

/// The link page's form. `username` is there for password managers and is ignored.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CompleteSignupForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
    #[serde(default, rename = "username")]
    _username: String,
}

#[derive(Serialize, ToSchema)]
pub struct SignedUpResponse {
    /// A session of the new owner.
    token: String,
    expires_at: DateTime<Utc>,
    account: AccountView,
    tenant: TenantView,
}

#[utoipa::path(post, path = "/v1/signup/complete", tag = "signup",
    request_body(content(
        (CompleteSignupRequest = "application/json"),
        (CompleteSignupRequest = "application/x-www-form-urlencoded"),
    )),
    responses(
        JsonBodyErrors,
        (status = 201, description = "The account, its organisation (the person is its owner) and a session; the link is spent. A form post is answered with a page", body = SignedUpResponse),
        (status = 404, description = "token_invalid; self_service_off", body = ProblemDoc),
        (status = 409, description = "account_exists: the address got an account since the link was sent (sign in and create the organisation from it); conflict: another request wrote at the same time", body = ProblemDoc),
        (status = 410, description = "token_expired or token_used", body = ProblemDoc),
        (status = 422, description = "weak_password, with the reason; invalid_request: a field is missing, unknown or malformed (`field` names it)", body = ProblemDoc),
    ))]
pub(crate) async fn complete_route(
    State(app): State<App>,
    PreferredLocale(preferred): PreferredLocale,
    ClientAddress(client): ClientAddress,
    UserAgent(user_agent): UserAgent,
    body: JsonOrForm<CompleteSignupRequest, CompleteSignupForm>,
) -> Result<Response, Problem> {
    let origin = ClientInfo::new(client, user_agent.as_deref());
    match body {
        JsonOrForm::Json(body) => {
            let command = CompleteSignup {
                token: body.token,
                first_name: PersonName::parse(&body.first_name)
                    .map_err(|e| Problem::invalid("first_name", e))?,
                last_name: PersonName::parse(&body.last_name)
                    .map_err(|e| Problem::invalid("last_name", e))?,
                organisation: TenantName::parse(&body.organisation)
                    .map_err(|e| Problem::invalid("organisation", e))?,
                password: SecretString::from(body.password),
                origin,
            };
            let done = signup::complete(&app, command).await?;
            Ok((
                StatusCode::CREATED,
                Json(SignedUpResponse {
                    token: done.token.to_bearer(),
                    expires_at: done.expires_at,
                    account: done.account.into(),
                    tenant: TenantView::new(done.tenant, true),
                }),
            )
                .into_response())
        }
        JsonOrForm::Form(form) => complete_from_page(&app, preferred, origin, form).await,
    }
}

async fn complete_from_page(
    app: &App,
    preferred: Option<Locale>,
    origin: ClientInfo,
    form: CompleteSignupForm,
) -> Result<Response, Problem> {
    let typed = SignupTyped {
        first_name: form.first_name.clone(),
        last_name: form.last_name.clone(),
        organisation: form.organisation.clone(),
    };
    let parsed = (
        PersonName::parse(&form.first_name),
        PersonName::parse(&form.last_name),
        TenantName::parse(&form.organisation),
    );
    let error = match parsed {
        _ if form.password != form.password_confirm => SignupFormError::Mismatch,
        (Err(_), _, _) => SignupFormError::FirstName,
        (_, Err(_), _) => SignupFormError::LastName,
        (_, _, Err(_)) => SignupFormError::Organisation,
        (Ok(first_name), Ok(last_name), Ok(organisation)) => {
            let command = CompleteSignup {
                token: form.token.clone(),
                first_name,
                last_name,
                organisation,
                password: SecretString::from(form.password),
                origin,
            };
            match signup::complete(app, command).await {
                Ok(done) => {
                    let page = SignupPage::Done {
                        organisation: done.tenant.name.clone(),
                    };
                    return Ok(page.render(done.account.locale, &app.config));
                }
                Err(SignupError::Weak { weak, .. }) => SignupFormError::Weak(weak),
                Err(SignupError::Conflict { .. }) => SignupFormError::Conflict,
                Err(dead) => {
                    let locale = dead.locale().or(preferred).unwrap_or_default();
                    return Ok(dead_link_page(dead)?.render(locale, &app.config));
                }
            }
        }
    };
    // The form again, with what went wrong: the link is read again for its address and wording.
    let (page, locale) = match signup::open_link(app, &form.token).await {
        Ok(link) => (
            SignupPage::Form {
                token: form.token,
                email: link.email.to_string(),
                typed,
                error: Some(error),
            },
            Some(link.locale),
        ),
        Err(e) => {
            let locale = e.locale();
            (dead_link_page(e)?, locale)
        }
    };
    Ok(page.render(locale.or(preferred).unwrap_or_default(), &app.config))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganisationRequest {
    #[schema(min_length = 1, max_length = 120)]
    name: String,
}

#[utoipa::path(post, path = "/v1/me/tenants", tag = "signup", security(("bearer" = [])),
    request_body = CreateOrganisationRequest,
    responses(
        BearerErrors,
        JsonBodyErrors,
        (status = 201, description = "The new organisation; the caller is its owner", body = TenantView),
        (status = 403, description = "session_confined: a session of a password another tenant's admin set may act in that tenant only; password_change_required", body = ProblemDoc),
        (status = 404, description = "self_service_off: this deployment does not offer self-service", body = ProblemDoc),
        (status = 409, description = "conflict: another creation counted at the same time; try again", body = ProblemDoc),
        (status = 422, description = "invalid_request: the name is missing or malformed", body = ProblemDoc),
        (status = 429, description = "rate_limited, with Retry-After: this account created its share of organisations (10 a day by default)", body = ProblemDoc),
    ))]
pub(crate) async fn create_organisation_route(
    State(app): State<App>,
    Bearer(token): Bearer,
    ApiJson(body): ApiJson<CreateOrganisationRequest>,
) -> Result<(StatusCode, Json<TenantView>), Problem> {
    let name = TenantName::parse(&body.name).map_err(|e| Problem::invalid("name", e))?;
    let tenant = signup::create_another(&app, &token, name).await?;
    Ok((StatusCode::CREATED, Json(TenantView::new(tenant, true))))
}
