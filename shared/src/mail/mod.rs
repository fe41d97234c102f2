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
    Delivery, DrainReport, JobRunner, NotBefore, Outbox, OutboxDispatcher, OutboxKey,
    OutboxMessage, OutboxRecord, Postponed, Retry, WORK_TIMEOUT,
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

/// Who Usher's mail is from: an address and an optional display name, parsed once at start-up
/// from `Usher <no-reply@example.com>` or `no-reply@example.com`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sender {
    name: Option<String>,
    address: EmailAddress,
}

impl Sender {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let (name, address) = match raw.strip_suffix('>').and_then(|r| r.rsplit_once('<')) {
            Some((name, address)) => (Some(name.trim().trim_matches('"').trim()), address),
            None => (None, raw),
        };
        let address = EmailAddress::parse(address).map_err(|e| format!("the sender: {e}"))?;
        let name = name.filter(|n| !n.is_empty()).map(str::to_owned);
        // A display name travels in a header as it is: printable ASCII with nothing that would
        // need quoting rules.
        if let Some(name) = &name
            && !name
                .chars()
                .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '<' | '>') || c == ' ')
        {
            return Err("the sender's name must be plain ASCII letters, digits and spaces".into());
        }
        Ok(Self { name, address })
    }

    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    pub fn address(&self) -> &EmailAddress {
        &self.address
    }

    /// The RFC 5322 mailbox: `"Usher" <no-reply@example.com>`, or the bare address.
    pub fn mailbox(&self) -> String {
        match &self.name {
            Some(name) => format!("\"{name}\" <{}>", self.address),
            None => self.address.to_string(),
        }
    }
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
