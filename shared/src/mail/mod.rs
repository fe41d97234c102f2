//! The `Mailer` port, its adapters, the localized templates and the transactional outbox.

mod catalog;
mod file;
mod outbox;
mod ses;
mod templates;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::domain::EmailAddress;

pub use file::{FileMailer, StoredMail};
pub use outbox::{
    Delivery, DrainReport, JobRunner, Outbox, OutboxDispatcher, OutboxKey, OutboxMessage,
    OutboxRecord,
};
pub use ses::SesMailer;
pub use templates::{MailTemplate, PasswordNote};

/// One rendered message, ready to send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMail {
    pub to: EmailAddress,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Extra headers, e.g. `Auto-Submitted: auto-generated` so replies do not loop.
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the mail service refused or failed to take the message")]
    Send(#[source] anyhow::Error),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one message. `message_id` is stable across retries of the same outbox item.
    async fn send(&self, message_id: &str, mail: &OutgoingMail) -> Result<(), MailError>;
}
