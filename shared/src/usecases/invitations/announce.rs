//! Telling every member that someone joined, for tenants with `announce_new_members`. A tenant
//! of 10,000 members cannot be told in one transaction (100 operations at most), nor in one
//! Lambda invocation's worth of sends, so the accept files a job, and the job works through the
//! members a page at a time: each page's mails are filed in one transaction together with the
//! deletion of the job and, when members remain, a follow-up job that starts after the page.
//! A page either files all its mails and hands on, or files nothing and runs again: every member
//! gets exactly one mail.

use crate::app::App;
use crate::keys;
use crate::mail::MailTemplate;
use crate::records::{MembershipRecord, from_item};
use crate::table::{MAX_TRANSACTION_OPS, Op};
use crate::usecases::commit::Writes;
use crate::usecases::jobs::{Announcement, Job};
use crate::usecases::{Context, InternalError};

/// Members a page reads: its mails, the job's deletion and the follow-up job must fit in one
/// transaction.
const PAGE: usize = MAX_TRANSACTION_OPS - 2;

pub(crate) async fn run(
    app: &App,
    announcement: Announcement,
    done: Op,
) -> Result<(), InternalError> {
    let pk = keys::tenant_pk(announcement.tenant_id);
    let after = announcement
        .after
        .map(|account| keys::membership(announcement.tenant_id, account));
    let page = app
        .table
        .query(&pk, keys::MEMBER_PREFIX, after.as_ref(), PAGE)
        .await
        .context("reading members")?;
    let mut writes = Writes::new(app, app.clock.now());
    let mut sent = 0;
    let mut last = None;
    for item in page.items {
        let member: MembershipRecord = from_item(item).context("reading a member")?;
        last = Some(member.account_id);
        // Not the newcomer, and only those who may use the tenant now.
        if member.account_id == announcement.member_id || !member.is_usable() {
            continue;
        }
        let mail = MailTemplate::MemberJoined {
            tenant: announcement.tenant_name.clone(),
            first_name: member.first_name.clone(),
            member_name: announcement.member_name.clone(),
        };
        writes.mail(&mail, member.mail_to(), member.locale)?;
        sent += 1;
    }
    writes.op(done);
    if let (Some(_), Some(last)) = (&page.next, last) {
        let next = Announcement {
            after: Some(last),
            ..announcement.clone()
        };
        writes.job(Job::AnnounceMember(next))?;
    }
    writes.commit().await.context("filing the announcement")?;
    tracing::info!(tenant_id = %announcement.tenant_id, mails = sent, "announcement page filed");
    Ok(())
}
