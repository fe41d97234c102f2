//! An invitation expires by time alone: nothing is written at that moment, and its status is
//! worked out from `expires_at` when read. So that the tenant's log (and its webhooks) hear of
//! it, each invitation sent or resent is watched by a job, filed by the fan-out of its event. The
//! job waits until the expiry without counting as an attempt, then records `invitation.expired`
//! if the invitation is still pending with that very expiry: one accepted, revoked or resent
//! since (a resend files its own watch) is left alone, so each expiry is recorded once.

use serde_json::json;

use crate::app::App;
use crate::keys;
use crate::records::{Actor, InvitationRecord, InvitationStatus, from_optional, to_item};
use crate::table::Op;
use crate::usecases::audit::{AuditAction, AuditEvent};
use crate::usecases::commit::Writes;
use crate::usecases::jobs::InvitationExpiry;
use crate::usecases::{Context, InternalError};

pub(crate) async fn run(app: &App, watch: InvitationExpiry, done: Op) -> Result<(), InternalError> {
    let invitation: Option<InvitationRecord> = from_optional(
        app.table
            .get(&keys::invitation(watch.tenant_id, watch.invitation_id))
            .await
            .context("reading the invitation")?,
    )
    .context("reading the invitation")?;
    let now = app.clock.now();
    let mut writes = Writes::new(app, now);
    writes.op(done);
    let watched = invitation
        .filter(|i| i.status == InvitationStatus::Pending && i.expires_at == watch.expires_at);
    if let Some(invitation) = watched {
        if now < invitation.expires_at {
            let postponed = crate::mail::Postponed {
                until: invitation.expires_at,
                reason: "the invitation is still pending".into(),
            };
            return Err(InternalError::new(
                "watching an invitation",
                postponed.into(),
            ));
        }
        // The expiry writes nothing of the invitation (expired is never stored): its event
        // carries it as it stands.
        writes.unchanged(
            to_item(
                &keys::invitation(watch.tenant_id, invitation.id),
                &invitation,
                None,
            )
            .context("reading the invitation")?,
        );
        writes.audit(AuditEvent {
            tenant: watch.tenant_id,
            action: AuditAction::InvitationExpired,
            actor: Actor::System,
            subject: None,
            details: json!({"invitation_id": invitation.id, "email": invitation.email,
                "expires_at": invitation.expires_at}),
        })?;
    }
    writes.commit().await.context("recording an expiry")
}
