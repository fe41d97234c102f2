//! The SCIM endpoint's side of HTTP: `application/scim+json` answers, and its errors in the SCIM
//! error schema (RFC 7644 section 3.12) with `status` as a string and a `scimType`, the one place
//! where a [`ScimProtocolError`] becomes a status.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::usecases::scim::{ScimProtocolError, ScimType};

pub const SCIM_JSON: &str = "application/scim+json";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// The text after `Authorization: Bearer`, whatever it is: the use case reads any of it the same
/// way, so a malformed token is refused as a wrong one is.
pub struct ScimBearer(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ScimBearer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ScimBearer(
            super::extract::bearer_credential(parts).map(str::to_owned),
        ))
    }
}

/// A SCIM answer: a status, a body (none for `204`), and where a created resource is.
pub struct ScimAnswer {
    pub status: StatusCode,
    pub body: Option<Value>,
    pub location: Option<String>,
}

impl ScimAnswer {
    pub fn ok(body: Value) -> Self {
        Self {
            status: StatusCode::OK,
            body: Some(body),
            location: None,
        }
    }

    /// `201` with the resource and its `Location` (its `meta.location`).
    pub fn created(body: Value) -> Self {
        let location = body["meta"]["location"].as_str().map(str::to_owned);
        Self {
            status: StatusCode::CREATED,
            body: Some(body),
            location,
        }
    }

    pub fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            body: None,
            location: None,
        }
    }

    /// A `ListResponse` of `resources`, `total` in all, from `start_index` (1-based).
    pub fn list(total: usize, start_index: usize, resources: Vec<Value>) -> Self {
        Self::ok(json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start_index,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }))
    }
}

impl IntoResponse for ScimAnswer {
    fn into_response(self) -> Response {
        let mut response = match self.body {
            Some(body) => (self.status, body.to_string()).into_response(),
            None => self.status.into_response(),
        };
        let headers = response.headers_mut();
        if self.status != StatusCode::NO_CONTENT {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
        }
        if let Some(location) = self.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            headers.insert(header::LOCATION, location);
        }
        response
    }
}

/// A SCIM error answer.
#[derive(Debug)]
pub struct ScimFailure(pub ScimProtocolError);

impl<E: Into<ScimProtocolError>> From<E> for ScimFailure {
    fn from(e: E) -> Self {
        ScimFailure(e.into())
    }
}

impl ScimFailure {
    pub fn status(&self) -> StatusCode {
        match &self.0 {
            ScimProtocolError::Unauthorized => StatusCode::UNAUTHORIZED,
            ScimProtocolError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ScimProtocolError::NotFound => StatusCode::NOT_FOUND,
            ScimProtocolError::Uniqueness(_)
            | ScimProtocolError::Conflict
            | ScimProtocolError::Refused(_) => StatusCode::CONFLICT,
            ScimProtocolError::Forbidden(_) => StatusCode::FORBIDDEN,
            ScimProtocolError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ScimProtocolError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ScimProtocolError::NotImplemented(_) => StatusCode::NOT_IMPLEMENTED,
            ScimProtocolError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn scim_type(&self) -> Option<ScimType> {
        match &self.0 {
            ScimProtocolError::BadRequest { scim_type, .. } => Some(*scim_type),
            ScimProtocolError::Uniqueness(_) => Some(ScimType::Uniqueness),
            _ => None,
        }
    }
}

impl IntoResponse for ScimFailure {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = match &self.0 {
            ScimProtocolError::Internal(e) => {
                tracing::error!(error = ?e, "scim request failed");
                "Something went wrong on our side; the request can be tried again.".to_owned()
            }
            other => other.to_string(),
        };
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": status.as_u16().to_string(),
            "detail": detail,
        });
        if let Some(scim_type) = self.scim_type() {
            body["scimType"] = json!(scim_type.as_str());
        }
        let mut response = ScimAnswer {
            status,
            body: Some(body),
            location: None,
        }
        .into_response();
        let headers = response.headers_mut();
        match &self.0 {
            ScimProtocolError::Unauthorized => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"scim\""),
                );
            }
            ScimProtocolError::RateLimited {
                retry_after_seconds,
            } => {
                if let Ok(value) = HeaderValue::from_str(&retry_after_seconds.to_string()) {
                    headers.insert(header::RETRY_AFTER, value);
                }
            }
            _ => {}
        }
        response
    }
}

/// A request body as JSON: at most [`super::MAX_BODY_BYTES`] (64 KiB), any JSON media type.
pub fn json_body(
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Value, ScimFailure> {
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ScimFailure(ScimProtocolError::PayloadTooLarge)
        } else {
            ScimFailure(ScimProtocolError::bad(
                ScimType::InvalidSyntax,
                "the body could not be read",
            ))
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ScimFailure(ScimProtocolError::bad(
            ScimType::InvalidSyntax,
            format!("the body is not JSON: {e}"),
        ))
    })
}

/// An attribute name of `attributes` or `excludedAttributes` (RFC 7644 section 3.9): the top
/// attribute (an extension's URN for its attributes) and the sub-attribute, if named.
fn selected(name: &str) -> (String, Option<String>) {
    use crate::usecases::scim::resource::ENTERPRISE_USER_SCHEMA;
    let name = name.trim();
    let lower = name.to_ascii_lowercase();
    let extension = ENTERPRISE_USER_SCHEMA.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix(&extension) {
        let sub = rest
            .strip_prefix(':')
            .map(|r| name[name.len() - r.len()..].to_owned());
        return (
            ENTERPRISE_USER_SCHEMA.to_owned(),
            sub.filter(|s| !s.is_empty()),
        );
    }
    let bare = match lower.find(":2.0:") {
        Some(at) if lower.starts_with("urn:ietf:params:scim:schemas:core:") => {
            let after = &name[at + ":2.0:".len()..];
            after
                .split_once(':')
                .map_or(after, |(_, attribute)| attribute)
        }
        _ => name,
    };
    match bare.split_once('.') {
        Some((top, sub)) => (top.to_owned(), Some(sub.to_owned())),
        None => (bare.to_owned(), None),
    }
}

fn names(list: Option<&str>) -> Vec<(String, Option<String>)> {
    list.unwrap_or_default()
        .split(',')
        .filter(|n| !n.trim().is_empty())
        .map(selected)
        .collect()
}

/// Keeps in `item` (an object, or each object of a list) only the sub-attributes `keep`.
fn keep_subs(item: &mut Value, keep: &[&str]) {
    match item {
        Value::Object(fields) => {
            fields.retain(|k, _| keep.iter().any(|s| s.eq_ignore_ascii_case(k)))
        }
        Value::Array(items) => items.iter_mut().for_each(|i| keep_subs(i, keep)),
        _ => {}
    }
}

fn drop_sub(item: &mut Value, sub: &str) {
    match item {
        Value::Object(fields) => fields.retain(|k, _| !k.eq_ignore_ascii_case(sub)),
        Value::Array(items) => items.iter_mut().for_each(|i| drop_sub(i, sub)),
        _ => {}
    }
}

/// A resource as `attributes` (only those, with `id` and `schemas`, which are always returned)
/// or `excludedAttributes` (all but those) ask for it (RFC 7644 section 3.9).
pub fn project(resource: &mut Value, attributes: Option<&str>, excluded: Option<&str>) {
    let Value::Object(fields) = resource else {
        return;
    };
    let wanted = names(attributes);
    if !wanted.is_empty() {
        fields.retain(|key, value| {
            if key == "id" || key == "schemas" {
                return true;
            }
            let asked: Vec<&(String, Option<String>)> = wanted
                .iter()
                .filter(|(top, _)| top.eq_ignore_ascii_case(key))
                .collect();
            if asked.is_empty() {
                return false;
            }
            if asked.iter().all(|(_, sub)| sub.is_some()) {
                let subs: Vec<&str> = asked.iter().filter_map(|(_, sub)| sub.as_deref()).collect();
                keep_subs(value, &subs);
            }
            true
        });
        return;
    }
    for (top, sub) in names(excluded) {
        if top.eq_ignore_ascii_case("id") || top.eq_ignore_ascii_case("schemas") {
            continue;
        }
        match sub {
            None => fields.retain(|key, _| !key.eq_ignore_ascii_case(&top)),
            Some(sub) => {
                if let Some((_, value)) = fields
                    .iter_mut()
                    .find(|(key, _)| key.eq_ignore_ascii_case(&top))
                {
                    drop_sub(value, &sub);
                }
            }
        }
    }
}

/// The `404` of a path under the SCIM endpoint that names nothing, in the SCIM error schema.
pub fn not_found() -> Response {
    ScimFailure(ScimProtocolError::NotFound).into_response()
}
