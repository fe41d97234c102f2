//! Directory sync: the SCIM 2.0 endpoint (RFC 7643, RFC 7644) through which a tenant's identity
//! provider (Microsoft Entra ID, Okta) creates, updates and deactivates its people in Usher.
//!
//! - `config`: turning SCIM on, and the tenant's tokens;
//! - `caller`: who calls the endpoint (a token of the tenant, with SCIM on);
//! - `resource`: a member as a SCIM User, and a SCIM User's body as what Usher keeps;
//! - `patch`: the PATCH operations the providers send, applied to that;
//! - `filter`: the `filter` of a list, as the point reads that answer it;
//! - `users`: the use cases behind `/Users`;
//! - `groups`: the use cases behind `/Groups` (teams the provider manages).
//!
//! A SCIM User is a membership of the tenant, and its `id` the person's account id. The provider
//! acts as an admin of the tenant: it acts on members and admins, never on owners, and gives no
//! role or permission. It never sets a password, and never joins an account that exists to the
//! tenant: that person is recorded (`needs_consent`) and invited to their own address, as admin
//! creation does (DESIGN section 6).

pub mod caller;
pub mod config;
pub mod filter;
pub mod groups;
pub mod patch;
pub mod resource;
pub mod users;

pub use caller::ScimCaller;
pub use config::{ScimConfigRecord, ScimTokenEntry};
pub use resource::{ScimUser, UserAttributes};

use super::{AuthError, InternalError};

/// What the routes that manage SCIM answer (as problem+json, like every other `/v1` route).
#[derive(Debug, thiserror::Error)]
pub enum ScimError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("only owners and admins manage SCIM")]
    Forbidden,
    #[error("a token needs a name of 1 to 100 characters")]
    InvalidName,
    #[error("requests_per_second is 1 to {}", config::MAX_RATE)]
    InvalidRate,
    #[error(
        "groups_parent must be an active team of the tenant, not one the provider manages, above the deepest level"
    )]
    InvalidGroupsParent,
    #[error("the provider has groups: their place cannot change under them")]
    GroupsExist,
    #[error(
        "a tenant has at most {} active SCIM tokens: revoke one first",
        config::MAX_ACTIVE_TOKENS
    )]
    TooManyTokens,
    #[error("no such SCIM token in this tenant")]
    NotFound,
    #[error("the SCIM settings changed at the same time; read them again and retry")]
    Conflict,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// The `scimType` of an error (RFC 7644 section 3.12).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScimType {
    InvalidFilter,
    Uniqueness,
    Mutability,
    InvalidSyntax,
    InvalidPath,
    NoTarget,
    InvalidValue,
}

impl ScimType {
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
        }
    }
}

/// What the SCIM endpoint answers when it does not do what was asked, in the SCIM error schema.
#[derive(Debug, thiserror::Error)]
pub enum ScimProtocolError {
    /// A missing, malformed, revoked or other tenant's token, or SCIM turned off: one answer.
    #[error("the bearer token is not a SCIM token of this tenant")]
    Unauthorized,
    /// A `400` with its `scimType`.
    #[error("{detail}")]
    BadRequest { scim_type: ScimType, detail: String },
    #[error("no such resource")]
    NotFound,
    #[error("{0}")]
    Uniqueness(String),
    /// The provider acts as an admin: an owner is beyond it.
    #[error("{0}")]
    Forbidden(String),
    /// Usher's own limits (invitations per day) refused it.
    #[error("too many requests")]
    RateLimited { retry_after_seconds: u64 },
    #[error("the resource changed at the same time; read it again and retry")]
    Conflict,
    /// Refused for the state it is in (a group with sub-teams made in Usher).
    #[error("{0}")]
    Refused(String),
    #[error("the body is larger than 64 KiB")]
    PayloadTooLarge,
    #[error("{0}")]
    NotImplemented(String),
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl ScimProtocolError {
    pub fn bad(scim_type: ScimType, detail: impl Into<String>) -> Self {
        ScimProtocolError::BadRequest {
            scim_type,
            detail: detail.into(),
        }
    }

    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::bad(ScimType::InvalidValue, detail)
    }
}

impl From<crate::table::TableError> for ScimProtocolError {
    fn from(e: crate::table::TableError) -> Self {
        ScimProtocolError::Internal(InternalError::new("reading for SCIM", e.into()))
    }
}
