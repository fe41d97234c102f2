//! A module per use case, or per capability for a family of them (`invitations`, `inbound`,
//! `import_users`, `lifecycle`). Each takes the [`App`](crate::app::App), does at most one batch
//! read and one transaction where it can, and returns its own error enum; `http::problem` maps
//! those to responses in one place.
//!
//! Every use case writes the one way `commit` defines: it fills a `Writes` with its puts and
//! checks, mail, jobs and audit events, and commits it. Who may give which role and permission is
//! `grants`; the outbox's jobs are `jobs` (the data) and `dispatch` (the runner).

pub mod access_tokens;
mod accounts;
pub mod admin_reset_password;
pub mod api_keys;
mod audit;
mod auth;
pub mod bootstrap_tenant;
pub mod change_password;
mod commit;
pub mod create_user;
pub mod dispatch;
pub mod events;
pub mod export_users;
pub mod forgot_password;
pub mod get_tenant;
pub mod get_user;
pub mod grants;
pub mod import_users;
pub mod inbound;
pub mod invitations;
pub mod jobs;
pub mod lifecycle;
pub mod list_users;
mod listing;
pub mod me;
pub mod objects;
pub mod operator_keys;
pub mod password_links;
pub mod reset_password;
pub mod restore_owner;
pub mod scim;
pub mod sessions;
pub mod sign_in;
pub mod sign_out;
pub mod signup;
pub mod team_grants;
pub mod team_members;
pub mod teams;
pub mod tenant_directory;
mod throttle;
pub mod update_settings;
pub mod webhooks;

pub use audit::AuditAction;
pub(crate) use auth::ActingFor;
pub use auth::{AccountCaller, AuthError, TenantCaller};

/// The items of one batch read, taken in the order their keys were given, each read as the record
/// it is and named for the logs: no use case counts positions from the end.
pub(crate) struct Found(std::vec::IntoIter<Option<crate::table::Item>>);

impl Found {
    pub(crate) fn new(items: Vec<Option<crate::table::Item>>) -> Self {
        Self(items.into_iter())
    }

    /// The next item as `T`, `None` when it is absent.
    pub(crate) fn next<T: serde::de::DeserializeOwned>(
        &mut self,
        what: &'static str,
    ) -> Result<Option<T>, InternalError> {
        crate::records::from_optional(self.0.next().flatten()).context(what)
    }
}

/// A failure of the infrastructure under a use case (table, hashing, templates). Never the
/// client's fault; its chain goes to the logs, never into a response.
#[derive(Debug, thiserror::Error)]
#[error("{context}")]
pub struct InternalError {
    context: &'static str,
    #[source]
    source: anyhow::Error,
}

impl InternalError {
    pub(crate) fn new(context: &'static str, source: anyhow::Error) -> Self {
        Self { context, source }
    }
}

pub(crate) trait Context<T> {
    fn context(self, context: &'static str) -> Result<T, InternalError>;
}

impl<T, E: Into<anyhow::Error>> Context<T> for Result<T, E> {
    fn context(self, context: &'static str) -> Result<T, InternalError> {
        self.map_err(|e| InternalError {
            context,
            source: e.into(),
        })
    }
}
