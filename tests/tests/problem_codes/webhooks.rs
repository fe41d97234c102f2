//! The answers of the webhook routes.

use super::*;

/// The webhook routes' answers: the caller's, `extra`, and with `json_body` those of the body.
pub(super) fn webhooks(extra: Vec<WebhookError>, json_body: bool) -> Vec<Answer> {
    covers(
        &[
            WebhookError::Auth(AuthError::Unauthenticated),
            WebhookError::Forbidden,
            WebhookError::NotFound,
            WebhookError::Receiver(ReceiverError::Invalid),
            WebhookError::UnknownEventType("x".into()),
            WebhookError::InvalidDescription,
            WebhookError::TooMany,
            WebhookError::Conflict,
            WebhookError::BadCursor,
            WebhookError::Disabled,
            WebhookError::NotWanted("x".into()),
            WebhookError::UnknownEvent,
            WebhookError::TenantRequired,
        ],
        |e| match e {
            WebhookError::Auth(_) => Some(0),
            WebhookError::Forbidden => Some(1),
            WebhookError::NotFound => Some(2),
            WebhookError::Receiver(_) => Some(3),
            WebhookError::UnknownEventType(_) => Some(4),
            WebhookError::InvalidDescription => Some(5),
            WebhookError::TooMany => Some(6),
            WebhookError::Conflict => Some(7),
            WebhookError::BadCursor => Some(8),
            WebhookError::Disabled => Some(9),
            WebhookError::NotWanted(_) => Some(10),
            WebhookError::UnknownEvent => Some(11),
            WebhookError::TenantRequired => Some(12),
            WebhookError::Internal(_) => None,
        },
        13,
    );
    let mut all: Vec<WebhookError> = tenant_auth().into_iter().map(Into::into).collect();
    all.push(WebhookError::Forbidden);
    all.extend(extra);
    let body = if json_body {
        JSON_BODY.to_vec()
    } else {
        Vec::new()
    };
    [answers(all), body, TENANT_PATH.to_vec()].concat()
}

/// The fields of an endpoint, as creation and `PATCH` check them, and `extra`.
pub(super) fn endpoint_fields(extra: WebhookError) -> Vec<WebhookError> {
    vec![
        WebhookError::Receiver(ReceiverError::Forbidden("10.0.0.1".parse().unwrap())),
        WebhookError::UnknownEventType("x".into()),
        WebhookError::InvalidDescription,
        WebhookError::Conflict,
        extra,
    ]
}

/// The deployment's webhook routes (operator keys): the key check, `extra`, and with
/// `json_body` those of the body. No tenant path.
pub(super) fn deployment_webhooks(extra: Vec<WebhookError>, json_body: bool) -> Vec<Answer> {
    let mut all: Vec<WebhookError> = operator_auth().into_iter().map(Into::into).collect();
    all.extend(extra);
    let body = if json_body {
        JSON_BODY.to_vec()
    } else {
        Vec::new()
    };
    [answers(all), body].concat()
}
