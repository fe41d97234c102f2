//! The local outbox: every message becomes an `.eml` file (open it in any mail client) and a JSON
//! twin that the local server's `/_local/mail` page lists.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;
use mail_builder::headers::raw::Raw;
use serde::{Deserialize, Serialize};

use super::{MailError, Mailer, OutgoingMail, Sender};

#[derive(Clone)]
pub struct FileMailer {
    dir: PathBuf,
    from: Sender,
}

/// A mail as the local pages show it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredMail {
    pub id: String,
    pub sent_at: DateTime<Utc>,
    #[serde(flatten)]
    pub mail: OutgoingMail,
    pub links: Vec<String>,
}

fn io(e: std::io::Error) -> MailError {
    MailError::Send(e.into())
}

/// The http(s) links in a text part, in order.
pub fn links_in(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
        .map(|w| w.trim_end_matches(['.', ',', ')', '>']).to_owned())
        .collect()
}

impl FileMailer {
    pub fn new(dir: impl Into<PathBuf>, from: Sender) -> Self {
        Self {
            dir: dir.into(),
            from,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Sent mail, newest first.
    pub async fn list(&self) -> Vec<StoredMail> {
        let mut mails = Vec::new();
        let Ok(mut entries) = tokio::fs::read_dir(&self.dir).await else {
            return mails;
        };
        while let Ok(Some(entry)) = entries.next_entry().await {
            if entry.path().extension().is_some_and(|e| e == "json")
                && let Ok(bytes) = tokio::fs::read(entry.path()).await
                && let Ok(mail) = serde_json::from_slice::<StoredMail>(&bytes)
            {
                mails.push(mail);
            }
        }
        mails.sort_by(|a, b| b.id.cmp(&a.id));
        mails
    }

    pub async fn get(&self, id: &str) -> Option<StoredMail> {
        if !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        let bytes = tokio::fs::read(self.dir.join(format!("{id}.json")))
            .await
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

/// Mail holds live links: its folder and files are the owner's alone (0700, 0600).
async fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = tokio::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(0o700);
    builder.create(dir).await
}

async fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).await?;
    file.write_all(bytes).await?;
    file.flush().await
}

#[async_trait]
impl Mailer for FileMailer {
    /// Writes the message once per outbox id: a send retried after a crash (the mail was written,
    /// the outbox item not yet deleted) finds it written and writes nothing more.
    async fn send(&self, message_id: &str, mail: &OutgoingMail) -> Result<(), MailError> {
        let json_path = self.dir.join(format!("{message_id}.json"));
        if tokio::fs::try_exists(&json_path).await.map_err(io)? {
            tracing::info!(
                message_id,
                "mail already in the local outbox; not written again"
            );
            return Ok(());
        }
        create_private_dir(&self.dir).await.map_err(io)?;
        let mut builder = MessageBuilder::new()
            .from(match self.from.name() {
                Some(name) => Address::new_address(Some(name), self.from.address().as_str()),
                None => Address::new_address(None::<&str>, self.from.address().as_str()),
            })
            .to(mail.to.as_str())
            .subject(mail.subject.as_str())
            .message_id(format!("{message_id}@usher.local"))
            .text_body(mail.text.as_str())
            .html_body(mail.html.as_str());
        for (name, value) in &mail.headers {
            builder = builder.header(name.as_str(), Raw::new(value.as_str()));
        }
        let eml = builder.write_to_vec().map_err(io)?;
        let stored = StoredMail {
            id: message_id.to_owned(),
            sent_at: Utc::now(),
            mail: mail.clone(),
            links: links_in(&mail.text),
        };
        let json = serde_json::to_vec_pretty(&stored).map_err(|e| MailError::Send(e.into()))?;
        write_private(&self.dir.join(format!("{message_id}.eml")), &eml)
            .await
            .map_err(io)?;
        // The JSON twin marks the mail as sent, so it appears whole or not at all.
        let partial = self.dir.join(format!("{message_id}.json.partial"));
        write_private(&partial, &json).await.map_err(io)?;
        tokio::fs::rename(&partial, &json_path).await.map_err(io)?;
        tracing::info!(
            message_id,
            subject = %mail.subject,
            "mail written to the local outbox; open /_local/mail/{message_id} to read it"
        );
        Ok(())
    }
}
