//! Events to the SaaS app: every change in the catalogue, delivered as a signed webhook (the
//! Standard Webhooks form) to the endpoints a tenant registers.
//!
//! - `catalogue`: the event types and the event as delivered;
//! - `endpoints`: a tenant's endpoints and their secrets;
//! - `guard`: where a webhook may go (never into the network Usher runs in);
//! - `gate`: one receiver that hangs or is down holds up no other;
//! - `delivery`: the fan-out and the signed attempts, as outbox jobs;
//! - `replay`: events filed again for an endpoint, from the tenant's audit log;
//! - `bus`: every event onto an EventBridge bus too, on AWS when the operator asks.

pub mod bus;
pub mod catalogue;
pub mod delivery;
pub mod endpoints;
pub mod gate;
pub mod guard;
pub mod replay;

pub use catalogue::{WebhookEvent, event_type, event_types};
pub use endpoints::{CreatedEndpoint, EndpointFields, WebhookEndpointRecord};
pub use guard::{ReceiverError, WebhookReceivers};

use super::{AuthError, InternalError};

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("only owners and admins manage a tenant's webhooks")]
    Forbidden,
    #[error("no such webhook endpoint in this tenant")]
    NotFound,
    #[error(transparent)]
    Receiver(#[from] ReceiverError),
    #[error("\"{0}\" is not an event type of the catalogue")]
    UnknownEventType(String),
    #[error("a description is at most 200 characters, without control characters")]
    InvalidDescription,
    #[error("a tenant has at most {} webhook endpoints", endpoints::MAX_ENDPOINTS)]
    TooMany,
    #[error("the endpoint changed at the same time; read it again and retry")]
    Conflict,
    #[error("the endpoint is turned off: turn it on before replaying to it")]
    Disabled,
    #[error("the endpoint does not receive events of type {0}")]
    NotWanted(String),
    #[error("no such event in this tenant's log, or not one of the catalogue")]
    UnknownEvent,
    #[error("a deployment endpoint's replay names the tenant whose events to send (tenant_id)")]
    TenantRequired,
    #[error("the cursor is not one this listing gave")]
    BadCursor,
    #[error(transparent)]
    Internal(#[from] InternalError),
}
