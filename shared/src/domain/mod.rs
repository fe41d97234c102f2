//! The typed model: everything past the request parsers holds only these.

mod access;
mod email;
mod ids;
mod name;
mod password;

pub use access::{Locale, Permission, PermissionEntry, PermissionError, PermissionSet, Role};
pub use email::{EmailAddress, EmailError};
pub use ids::{
    AccountId, ApiKeyId, EventId, HeldId, ImportId, InvitationId, OperatorKeyId, OutboxId,
    ScimTokenId, SessionId, TeamId, TenantId, WebhookId,
};
pub(crate) use name::is_bidi_control;
pub use name::{InvitationMessage, PersonName, Phone, TeamName, TenantName, TextError};
pub use password::{
    Password, PasswordAttempt, PasswordHashString, PasswordPolicy, PersonalContext, WeakPassword,
};
