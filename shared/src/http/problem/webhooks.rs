//! Webhook endpoints.

use axum::http::StatusCode;

use super::Problem;
use crate::usecases::webhooks::WebhookError;

impl From<WebhookError> for Problem {
    fn from(e: WebhookError) -> Self {
        let detail = e.to_string();
        match e {
            WebhookError::Auth(e) => e.into(),
            WebhookError::Forbidden => Problem::forbidden(detail),
            WebhookError::NotFound => Problem::not_found(),
            WebhookError::Receiver(_) => Problem::invalid("url", detail),
            WebhookError::UnknownEventType(_) => Problem::invalid("event_types", detail),
            WebhookError::InvalidDescription => Problem::invalid("description", detail),
            WebhookError::TooMany => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "too_many_webhooks",
                detail,
            ),
            WebhookError::Conflict => Problem::new(StatusCode::CONFLICT, "conflict", detail),
            WebhookError::Disabled => {
                Problem::new(StatusCode::CONFLICT, "webhook_disabled", detail)
            }
            WebhookError::NotWanted(_) => Problem::invalid("event_id", detail),
            WebhookError::TenantRequired => Problem::invalid("tenant_id", detail),
            WebhookError::UnknownEvent => {
                Problem::new(StatusCode::NOT_FOUND, "event_not_found", detail)
            }
            WebhookError::BadCursor => Problem::invalid("cursor", detail),
            WebhookError::Internal(e) => e.into(),
        }
    }
}
