//! The outbox, sent on demand, and the mail it sent.

use super::*;

impl TestApp {
    /// Sends every mail and does every job waiting in the outbox, and what those jobs file in
    /// turn, as the background worker would, but now; returns how many items went out. What
    /// fails stays in the outbox with its backoff.
    pub async fn dispatch_all_pending(&self) -> usize {
        let mut total = 0;
        loop {
            let report = self.dispatcher.drain().await.expect("an outbox pass");
            total += report.sent;
            if report.sent == 0 {
                return total;
            }
        }
    }

    /// Every mail sent so far, newest first, once the outbox is dispatched. Each was read back
    /// from its `.eml` file by a strict MIME parser, as a mail client would read it.
    pub async fn sent_mails(&self) -> Vec<StoredMail> {
        self.dispatch_all_pending().await;
        let mails = self.mailer.list().await;
        for mail in &mails {
            let eml = std::fs::read(self.mailer.dir().join(format!("{}.eml", mail.id)))
                .expect("every listed mail has its .eml file");
            assert_well_formed(&eml, mail);
        }
        mails
    }

    /// Every item waiting in the outbox, over all its partitions.
    pub async fn outbox_items(&self) -> Vec<Item> {
        let mut items = Vec::new();
        for pk in usher_core::keys::outbox_partitions() {
            items.extend(self.partition(&pk).await);
        }
        items
    }

    /// The outbox items waiting but for the webhook events each change files beside itself
    /// (and the watches of invitations' expiry they file in turn): the mail and the jobs
    /// requests filed.
    pub async fn mail_and_jobs(&self) -> Vec<Item> {
        let mut kept = Vec::new();
        for item in self.outbox_items().await {
            let record: usher_core::mail::OutboxRecord =
                usher_core::records::from_item(item.clone()).expect("an outbox record");
            let message = self
                .app
                .outbox
                .open::<Job>(&record)
                .expect("an outbox message");
            if !matches!(
                message,
                usher_core::mail::OutboxMessage::Job(
                    Job::Events(_) | Job::Deliver(_) | Job::InvitationExpiry(_)
                )
            ) {
                kept.push(item);
            }
        }
        kept
    }

    /// Mail sent to `to` so far, newest first, once the outbox is dispatched.
    pub async fn mails_to(&self, to: &str) -> Vec<StoredMail> {
        self.sent_mails()
            .await
            .into_iter()
            .filter(|m| m.mail.to.as_str() == to)
            .collect()
    }
}
