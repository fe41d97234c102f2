//! The job runner: one dispatcher for the outbox, each [`Job`] handed to the use case that filed
//! it.

use std::sync::Arc;

use async_trait::async_trait;

use super::invitations::{announce, expiry};
use super::jobs::Job;
use super::{forgot_password, import_users, signup, team_members, webhooks};
use crate::app::App;
use crate::mail::{JobRunner, Mailer, OutboxDispatcher, Retry};
use crate::table::Op;

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
            Job::Signup(request) => signup::run(app, request, done).await?,
            Job::JoinTeams(newcomer) => {
                team_members::join_newcomer_teams(app, newcomer, done).await?
            }
            Job::Events(batch) => webhooks::delivery::fan_out(app, batch, done).await?,
            Job::Deliver(delivery) => webhooks::delivery::deliver(app, delivery, done).await?,
            Job::InvitationExpiry(watch) => expiry::run(app, watch, done).await?,
            Job::WebhookDisabled(notice) => {
                webhooks::delivery::notify_disabled(app, notice, done).await?
            }
        }
        Ok(())
    }

    fn work_timeout(&self, job: &Job) -> std::time::Duration {
        match job {
            // A receiver has 15 seconds to answer.
            Job::Deliver(_) => webhooks::delivery::WORK_TIMEOUT,
            _ => crate::mail::WORK_TIMEOUT,
        }
    }

    fn retry(&self, job: &Job) -> Retry {
        match job {
            Job::Deliver(_) => Retry::Scheduled(webhooks::delivery::RETRY_SCHEDULE),
            _ => Retry::Soon,
        }
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
