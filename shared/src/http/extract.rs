//! Extractors that turn every malformed request into a problem, never into a panic or a plain
//! text error.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::{StatusCode, header, request::Parts};
use serde::de::DeserializeOwned;

use super::Problem;
use crate::domain::Locale;
use crate::token::SessionToken;
use crate::usecases::import_users::MAX_FILE_BYTES;

/// Request bodies above this are refused before they are parsed.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Whether the request's media type (parameters aside) is `media_type`.
fn has_content_type(req: &Request, media_type: &str) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(media_type))
}

fn payload_too_large() -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "The body is larger than 64 KiB.",
    )
}

/// Whether the request says its body is empty (`Content-Length: 0`), or says nothing of its
/// length (a chunked body, read to find out).
fn may_be_empty(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .is_none_or(|v| v.as_bytes() == b"0")
}

fn unsupported_media_type() -> Problem {
    Problem::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "Send the body as application/json.",
    )
}

/// A JSON body: `application/json`, at most 64 KiB, parsed strictly (request types deny unknown
/// fields). Syntax errors answer 400; a well-formed body of the wrong shape answers 422.
///
/// An empty body, whatever its content type, is read as `{}`: an action whose fields are all
/// optional (`curl -X POST .../suspend`) is done with its defaults, and a route with required
/// fields names the first one missing (422) rather than asking for a media type.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = has_content_type(&req, "application/json");
        if !json && !may_be_empty(&req) {
            return Err(unsupported_media_type());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                payload_too_large()
            } else {
                Problem::bad_request("The body could not be read.")
            }
        })?;
        if bytes.len() > MAX_BODY_BYTES {
            return Err(payload_too_large());
        }
        let bytes = match (bytes.is_empty(), json) {
            (true, _) => Bytes::from_static(b"{}"),
            (false, true) => bytes,
            (false, false) => return Err(unsupported_media_type()),
        };
        let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
        match serde_path_to_error::deserialize(&mut deserializer) {
            // One value and nothing after it: a proxy or firewall in front may read a body with
            // trailing data (a second object) differently from how it is read here.
            Ok(value) => match deserializer.end() {
                Ok(()) => Ok(ApiJson(value)),
                Err(_) => Err(Problem::bad_request(
                    "The body must be one JSON value, with nothing after it.",
                )),
            },
            Err(error) => {
                let path = error.path().to_string();
                let inner = error.into_inner();
                use serde_json::error::Category;
                // serde_json reports some wrong shapes (an array where an enum's name belongs)
                // as syntax: only a body that is not JSON at all is a 400.
                let well_formed = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok();
                match inner.classify() {
                    Category::Syntax | Category::Eof | Category::Io if !well_formed => Err(
                        Problem::bad_request(format!("The body is not valid JSON: {inner}")),
                    ),
                    _ => {
                        let field = if path == "." { "body".to_owned() } else { path };
                        Err(Problem::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "invalid_request",
                            format!("{field}: {inner}"),
                        )
                        .with_field(field))
                    }
                }
            }
        }
    }
}

/// Reads the body (at most 64 KiB, as [`ApiJson`] does) and gives the request back with it, for
/// a route where an empty body means something of its own; `true` when it was empty.
pub async fn with_body_read(req: Request) -> Result<(Request, bool), Problem> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| payload_too_large())?;
    let empty = bytes.is_empty();
    Ok((
        Request::from_parts(parts, axum::body::Body::from(bytes)),
        empty,
    ))
}

/// Media types a CSV file arrives as: what spreadsheets and browsers send for one, and the
/// generic binary type (how a legacy-encoded file passes API Gateway untouched). No type at all
/// is taken too.
const CSV_TYPES: [&str; 5] = [
    "text/csv",
    "text/plain",
    "application/csv",
    "application/vnd.ms-excel",
    "application/octet-stream",
];

/// A CSV file as the body, at most [`MAX_FILE_BYTES`]: the import's only body. It is read past
/// the 64 KiB limit of JSON bodies, with its own.
pub struct CsvBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for CsvBody {
    type Rejection = Problem;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let typed = req.headers().contains_key(header::CONTENT_TYPE);
        if typed && !CSV_TYPES.iter().any(|t| has_content_type(&req, t)) {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the file as the body, as text/csv.",
            ));
        }
        axum::body::to_bytes(req.into_body(), MAX_FILE_BYTES)
            .await
            .map(CsvBody)
            .map_err(|_| {
                Problem::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "The file is larger than 5 MB; split it.",
                )
            })
    }
}

/// Path parameters; a value that does not parse (not a ULID) is a 404: nothing lives there.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| ApiPath(v))
            .map_err(|_| Problem::not_found())
    }
}

/// Query parameters, strictly parsed.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| ApiQuery(v))
            .map_err(|e| {
                Problem::bad_request(format!("The query string is invalid: {}", e.body_text()))
            })
    }
}

/// The credential of `Authorization: Bearer <credential>` (the scheme in any letter case, RFC
/// 9110 section 11.1), trimmed; `None` without one.
pub(crate) fn bearer_credential(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, credential)| credential.trim())
}

/// `Authorization: Bearer {account id}.{secret}`, checked for shape only; the use case checks it
/// against the table. The scheme is case-insensitive (RFC 9110, section 11.1).
pub struct Bearer(pub SessionToken);

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        bearer_credential(parts)
            .and_then(SessionToken::parse)
            .map(Bearer)
            .ok_or_else(Problem::unauthenticated)
    }
}

/// The credential of a tenant route: `Authorization: Bearer` with a person's session or a tenant
/// API key (`usher_tk_...`), checked for shape only.
pub struct TenantBearer(pub crate::token::Credential);

impl<S: Send + Sync> FromRequestParts<S> for TenantBearer {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        bearer_credential(parts)
            .and_then(crate::token::Credential::parse)
            .map(TenantBearer)
            .ok_or_else(Problem::unauthenticated)
    }
}

/// `Authorization: Bearer usher_op_...` or `usher_tk_...`: a machine key, checked for shape
/// only (the use case reads it).
pub struct KeyBearer(pub crate::token::KeySecret);

impl<S: Send + Sync> FromRequestParts<S> for KeyBearer {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        bearer_credential(parts)
            .and_then(crate::token::KeySecret::parse)
            .map(KeyBearer)
            .ok_or_else(|| {
                Problem::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "A valid key is required (Authorization: Bearer usher_op_...).",
                )
            })
    }
}

/// A bearer session when the request carries one: `None` without an `Authorization` header, a
/// 401 for one that is not a well-formed bearer token (a client that sent a credential meant it).
pub struct MaybeBearer(pub Option<SessionToken>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeBearer {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Ok(MaybeBearer(None));
        }
        let Bearer(token) = Bearer::from_request_parts(parts, state).await?;
        Ok(MaybeBearer(Some(token)))
    }
}

/// A body sent either by an API client (JSON, read like [`ApiJson`]) or by a page's HTML form
/// (`application/x-www-form-urlencoded`), so one route answers both, each in its own language.
pub enum JsonOrForm<J, F> {
    Json(J),
    Form(F),
}

impl<J, F, S> FromRequest<S> for JsonOrForm<J, F>
where
    J: DeserializeOwned,
    F: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !has_content_type(&req, "application/x-www-form-urlencoded") {
            return ApiJson::<J>::from_request(req, state)
                .await
                .map(|ApiJson(body)| JsonOrForm::Json(body));
        }
        axum::Form::<F>::from_request(req, state)
            .await
            .map(|axum::Form(body)| JsonOrForm::Form(body))
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    payload_too_large()
                } else {
                    Problem::bad_request(format!("The form is invalid: {}", rejection.body_text()))
                }
            })
    }
}

/// The address the request came from: API Gateway's `requestContext.http.sourceIp` on Lambda, the
/// peer address locally. Never a forwarded header: the client writes those.
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let from_gateway = parts
            .extensions
            .get::<lambda_http::request::RequestContext>()
            .and_then(|context| match context {
                lambda_http::request::RequestContext::ApiGatewayV2(context) => {
                    context.http.source_ip.as_deref()
                }
                _ => None,
            })
            .and_then(|ip| ip.parse().ok());
        let peer = || {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(peer)| peer.ip())
        };
        Ok(ClientAddress(from_gateway.or_else(peer)))
    }
}

/// The locale the browser asks for in `Accept-Language`, if Usher speaks one of them.
pub struct PreferredLocale(pub Option<Locale>);

impl<S: Send + Sync> FromRequestParts<S> for PreferredLocale {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(PreferredLocale(
            parts
                .headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Locale::from_accept_language),
        ))
    }
}

/// The `User-Agent` the request came with, if it is text: kept with a session so its person can
/// recognise it.
pub struct UserAgent(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for UserAgent {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(UserAgent(
            parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        ))
    }
}
