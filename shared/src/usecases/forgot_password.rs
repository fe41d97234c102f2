//! `POST /v1/password/forgot`: a person asks for a reset link.
//!
//! The request only files a job in the outbox (one conditional put) and answers 202. Whether an
//! account has the email is found out by the job, after the answer: the request does the same
//! work, in the same time, with the same answer, for every email, so it tells nobody whether an
//! account exists. The job mails the link to the address stored on the account, never to the one
//! typed, and sends at most `reset_mails` (a `Limit` of the configuration) mails per account.

use crate::records::Actor;
use serde_json::json;

use super::accounts::read_account_with_tenants;
use super::audit::{AuditAction, AuditEvent};
use super::commit::Writes;
use super::jobs::{Job, ResetRequest};
use super::throttle::count_one;
use super::{Context, InternalError, password_links};
use crate::app::App;
use crate::domain::EmailAddress;
use crate::keys;
use crate::mail::MailTemplate;
use crate::records::{LoginRecord, MembershipStatus, ThrottleRecord, TokenKind, from_optional};
use crate::table::{Op, TransactError};

/// Files the reset request. The answer is the same whatever the email.
pub async fn request_password_reset(app: &App, email: EmailAddress) -> Result<(), InternalError> {
    let mut writes = Writes::new(app, app.clock.now());
    writes.job(Job::PasswordReset(ResetRequest { email }))?;
    writes.commit().await.context("filing the reset request")
}

/// Why no link was sent, for the log.
#[derive(Debug)]
enum NoLink {
    NoAccount,
    NoActiveMembership,
    LimitReached,
}

/// How often a job that lost a race for the account's mail count reads again and retries.
const COUNT_TRIES: usize = 8;

/// The job behind a reset request: a link for the account with the email, if there is one with
/// an active membership somewhere and it has not had its share of reset mails. `done` deletes the
/// job's outbox item, in the same transaction as the link.
///
/// Jobs for one account may run at once (a dispatcher works on several items); one that loses the
/// race for the mail count reads it again, so it is decided now, against the current hour, and
/// not retried an hour later when the limit has reset.
pub(crate) async fn run(app: &App, request: ResetRequest, done: Op) -> Result<(), InternalError> {
    for _ in 1..COUNT_TRIES {
        match attempt(app, &request, done.clone()).await? {
            Attempt::Finished => return Ok(()),
            Attempt::LostTheCount => continue,
        }
    }
    match attempt(app, &request, done).await? {
        Attempt::Finished => Ok(()),
        Attempt::LostTheCount => Err(InternalError::new(
            "filing the reset link",
            anyhow::anyhow!("lost the race for the mail count {COUNT_TRIES} times"),
        )),
    }
}

enum Attempt {
    Finished,
    /// Another job took the count first; read it again.
    LostTheCount,
}

async fn attempt(app: &App, request: &ResetRequest, done: Op) -> Result<Attempt, InternalError> {
    let email = &request.email;
    let now = app.clock.now();
    let login: Option<LoginRecord> = from_optional(
        app.table
            .get(&keys::login(&email.normalized()))
            .await
            .context("reading the login item")?,
    )
    .context("reading the login item")?;
    let Some(login) = login else {
        return finish_without_link(app, done, NoLink::NoAccount).await;
    };
    let throttle_key = keys::reset_mail_throttle(login.account_id);
    let (owner, throttle) = tokio::join!(
        read_account_with_tenants(app, login.account_id),
        app.table.get(&throttle_key),
    );
    let throttle: Option<ThrottleRecord> =
        from_optional(throttle.context("reading the limit")?).context("reading the limit")?;
    let Some((account, tenants)) = owner? else {
        return finish_without_link(app, done, NoLink::NoAccount).await;
    };
    // An account archived everywhere has nothing to sign in to; a link would only reopen it.
    if !tenants
        .iter()
        .any(|t| t.access && t.status == MembershipStatus::Active)
    {
        return finish_without_link(app, done, NoLink::NoActiveMembership).await;
    }
    let count = count_one(
        &throttle_key,
        throttle.as_ref(),
        app.config.reset_mails,
        now,
    )
    .context("building the limit")?;
    let Ok(count) = count else {
        return finish_without_link(app, done, NoLink::LimitReached).await;
    };
    let (token, link) = password_links::issue(
        app,
        TokenKind::PasswordReset,
        &login,
        None,
        app.config.reset_link_ttl,
        now,
    )?;
    let mail = MailTemplate::ResetPassword {
        tenant: None,
        first_name: account.first_name.clone(),
        link,
        valid_for: app.config.reset_link_ttl,
    };
    let mut writes = Writes::new(app, now);
    writes.op(token);
    writes.mail(&mail, &account.email, account.locale)?;
    writes.ops([count, done]);
    // Anyone may ask for anyone's link, so the request names no actor.
    for tenant in &tenants {
        writes.audit(AuditEvent {
            tenant: tenant.tenant_id,
            action: AuditAction::PasswordResetRequested,
            actor: Actor::System,
            subject: Some(account.id),
            details: json!({"link_valid_minutes": app.config.reset_link_ttl.num_minutes()}),
        })?;
    }
    // All or nothing with the job's own deletion: a job that failed runs again, one that ran
    // never does, so a request yields at most one mail.
    match writes.commit().await {
        Ok(()) => {}
        Err(e) if e.failed_on(&throttle_key) || matches!(e, TransactError::Conflict) => {
            return Ok(Attempt::LostTheCount);
        }
        Err(other) => return Err(other).context("filing the reset link"),
    }
    tracing::info!(account_id = %account.id, "reset link filed");
    Ok(Attempt::Finished)
}

async fn finish_without_link(app: &App, done: Op, why: NoLink) -> Result<Attempt, InternalError> {
    let mut writes = Writes::new(app, app.clock.now());
    writes.op(done);
    writes
        .commit()
        .await
        .context("finishing the reset request")?;
    tracing::info!(reason = ?why, "reset request answered without a link");
    Ok(Attempt::Finished)
}
