//! Outbox jobs, the data: work a request files instead of doing it, done after the answer by
//! whichever dispatcher runs (see [`super::dispatch`]). Use cases file these and depend on nothing
//! else here; the runner that hands each job back to its use case lives apart, so the use cases
//! and the runner form no cycle.

use serde::{Deserialize, Serialize};

use crate::domain::{AccountId, EmailAddress, ImportId, Locale, TenantId};

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
    /// Someone signed up with this email to create an organisation.
    Signup(SignupRequest),
    /// A newcomer from inbound mail joins the tenant's default teams and their address's team
    /// (after the message's transaction, which has no room for them).
    JoinTeams(Newcomer),
    /// The webhook events of one commit, to be fanned out to the endpoints that want them.
    Events(super::webhooks::delivery::EventBatch),
    /// One event for one endpoint: an attempt, tried again until it is delivered.
    Deliver(super::webhooks::delivery::EventDelivery),
    /// A pending invitation to watch: when it expires unused, that is recorded (and told).
    InvitationExpiry(InvitationExpiry),
    /// Usher turned a webhook endpoint off: its tenant's owners are told.
    WebhookDisabled(super::webhooks::delivery::DisabledNotice),
}

/// Someone who just arrived in a tenant; see [`super::team_members::join_newcomer_teams`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Newcomer {
    pub tenant_id: TenantId,
    pub account_id: AccountId,
    /// Teams they join besides the default ones (the team of the address they wrote to).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub team_ids: Vec<crate::domain::TeamId>,
}

/// Someone signed up with this email (as typed, parsed); see [`super::signup`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignupRequest {
    pub email: EmailAddress,
    /// The language of the page they signed up on, for the mail.
    pub locale: Locale,
    /// The bucket of the client address it came from (see `keys::client_bucket`), whose sign-up
    /// mails are counted too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
}

/// Someone asked for a reset link for this email (as typed, parsed); see
/// [`super::forgot_password`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetRequest {
    pub email: EmailAddress,
}

/// One page of the members of a tenant to tell that someone joined; see
/// [`super::invitations::announce`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    pub tenant_id: TenantId,
    pub tenant_name: String,
    pub member_id: AccountId,
    pub member_name: String,
    /// Where the previous page ended; `None` for the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<AccountId>,
}

/// An invitation that expires at `expires_at` unless accepted, revoked or resent first; see
/// [`super::invitations::expiry`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationExpiry {
    pub tenant_id: TenantId,
    pub invitation_id: crate::domain::InvitationId,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// One chunk of an import to do; see [`super::import_users`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportChunkJob {
    pub tenant_id: TenantId,
    pub import_id: ImportId,
    pub chunk: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
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
