//! Outbox jobs: work a request files instead of doing it, done after the answer by whichever
//! dispatcher runs (the local worker, the stream-triggered mail sender, a sweep). One enum, one
//! dispatcher: each arm hands its job to the use case that filed it.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::forgot_password::{self, ResetRequest};
use super::import_users::{self, ImportChunkJob};
use super::invitations::announce::{self, Announcement};
use crate::app::App;
use crate::mail::{JobRunner, Mailer, OutboxDispatcher};
use crate::table::Op;

/// Every kind of job. The serialized shape (`{"job": "password_reset", ...}`) is stored, sealed,
/// in outbox items: a new variant is fine, a renamed one strands items filed before it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
pub enum Job {
    /// Someone asked for a password reset link.
    PasswordReset(ResetRequest),
    /// Someone joined a tenant that tells its members: one page of them.
    AnnounceMember(Announcement),
    /// One chunk of a CSV import's rows.
    ImportChunk(ImportChunkJob),
}

/// Runs jobs with the app's ports.
struct Jobs(App);

#[async_trait]
impl JobRunner<Job> for Jobs {
    async fn run(&self, job: Job, done: Op) -> anyhow::Result<()> {
        let app = &self.0;
        match job {
            Job::PasswordReset(request) => forgot_password::run(app, request, done).await?,
            Job::AnnounceMember(announcement) => announce::run(app, announcement, done).await?,
            Job::ImportChunk(chunk) => import_users::run_chunk(app, chunk, done).await?,
        }
        Ok(())
    }
}

/// The dispatcher of `app`'s outbox: its table, sealing key and clock, sending through
/// `mailer`, with `app` doing the jobs.
pub fn dispatcher(app: &App, mailer: Arc<dyn Mailer>) -> OutboxDispatcher<Job> {
    OutboxDispatcher::new(
        app.table.clone(),
        mailer,
        app.outbox.clone(),
        app.clock.clone(),
        Arc::new(Jobs(app.clone())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EmailAddress;
    use crate::mail::OutboxMessage;

    /// Jobs sealed in outbox items by the release before jobs moved here still open.
    #[test]
    fn a_job_keeps_its_stored_shape() {
        let stored = r#"{"kind":"job","body":{"job":"password_reset","email":"ada@example.org"}}"#;
        let job = Job::PasswordReset(ResetRequest {
            email: EmailAddress::parse("ada@example.org").unwrap(),
        });
        let opened: OutboxMessage<Job> = serde_json::from_str(stored).unwrap();
        assert_eq!(opened, OutboxMessage::Job(job.clone()));
        assert_eq!(
            serde_json::to_string(&OutboxMessage::Job(job)).unwrap(),
            stored
        );
    }
}
