//! The state every request shares, built once per cold start.

use std::sync::Arc;

use chrono::Duration;
use tokio::sync::Notify;

use crate::clock::{Clock, Random};
use crate::domain::{PasswordHasherService, PasswordPolicy};
use crate::mail::Outbox;
use crate::table::Table;

#[derive(Clone, Debug)]
pub struct Config {
    /// The base of every link Usher writes (never taken from a request's Host header).
    pub public_url: String,
    pub password_policy: PasswordPolicy,
    pub session_ttl: Duration,
    /// How long a generated password works if unused, and how long its session lasts.
    pub temporary_password_ttl: Duration,
    pub temporary_session_ttl: Duration,
    pub set_password_link_ttl: Duration,
    pub sign_in_max_failures: u32,
    pub sign_in_failure_window: Duration,
}

impl Config {
    pub fn new(public_url: &str) -> Self {
        Self {
            public_url: public_url.trim_end_matches('/').to_owned(),
            password_policy: PasswordPolicy::default(),
            session_ttl: Duration::hours(12),
            temporary_password_ttl: Duration::days(7),
            temporary_session_ttl: Duration::minutes(30),
            set_password_link_ttl: Duration::days(7),
            sign_in_max_failures: 5,
            sign_in_failure_window: Duration::minutes(15),
        }
    }

    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }

    pub fn sign_in_url(&self) -> String {
        self.link("/")
    }
}

/// Ports, clock, randomness and configuration: what a use case is given.
#[derive(Clone)]
pub struct App {
    pub table: Arc<dyn Table>,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
    pub hasher: PasswordHasherService,
    pub outbox: Outbox,
    pub config: Config,
    /// Woken after a commit that filed mail, so a local worker sends it at once. In AWS the table
    /// stream does this job.
    pub mail_waker: Option<Arc<Notify>>,
}

impl App {
    pub(crate) fn mail_committed(&self) {
        if let Some(waker) = &self.mail_waker {
            waker.notify_one();
        }
    }
}
