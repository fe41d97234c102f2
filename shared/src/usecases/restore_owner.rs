//! The operator's `usher tenant restore-owner`: a tenant left with no owner able to act (every
//! owner archived, cut off or demoted by a race the rules could not see) gets one back.
//!
//! Only a member the person already is, who joined by their own word, becomes owner: the command
//! joins nobody (a person kept from their mail, or someone not in the tenant, is invited
//! instead). Only a tenant without a usable owner is repaired: otherwise its owners decide.
//!
//! Round trips: the tenant and the login item; the membership; the members; one transaction.

use crate::records::Actor;
use serde_json::json;

use super::audit::{AuditAction, AuditEvent};
use super::commit::{LostRace, Writes};
use super::lifecycle::membership_writes;
use super::listing::for_each_item;
use super::{Context, Found, InternalError};
use crate::app::App;
use crate::domain::{AccountId, EmailAddress, Role, TenantId};
use crate::keys;
use crate::records::{
    LoginRecord, MembershipRecord, MembershipStatus, TenantRecord, from_item, from_optional,
};

pub struct RestoreOwner {
    pub tenant_id: TenantId,
    pub email: EmailAddress,
}

#[derive(Debug, thiserror::Error)]
pub enum RestoreOwnerError {
    #[error("no such tenant")]
    TenantNotFound,
    #[error("{0} has not joined this tenant: invite them, and make them owner once they accept")]
    NotAMember(EmailAddress),
    #[error("the tenant has an owner who can act: they decide who else is one")]
    HasAnOwner,
    #[error("the tenant changed at the same time; run the command again")]
    Conflict,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// Makes the member with `email` an active owner with access. Returns their account id.
pub async fn restore_owner(
    app: &App,
    command: RestoreOwner,
) -> Result<AccountId, RestoreOwnerError> {
    let now = app.clock.now();
    let tenant_id = command.tenant_id;
    let read = app
        .table
        .batch_get(&[
            keys::tenant(tenant_id),
            keys::login(&command.email.normalized()),
        ])
        .await
        .context("reading the tenant")?;
    let mut found = Found::new(read);
    let tenant: TenantRecord = found
        .next("reading the tenant")?
        .ok_or(RestoreOwnerError::TenantNotFound)?;
    let login: Option<LoginRecord> = found.next("reading the login item")?;
    let not_a_member = || RestoreOwnerError::NotAMember(command.email.clone());
    let login = login.ok_or_else(not_a_member)?;
    let member: Option<MembershipRecord> = from_optional(
        app.table
            .get(&keys::membership(tenant_id, login.account_id))
            .await
            .context("reading the membership")?,
    )
    .context("reading the membership")?;
    let member = member
        .filter(|m| !m.needs_consent)
        .ok_or_else(not_a_member)?;

    let mut has_an_owner = false;
    for_each_item(
        app,
        &keys::tenant_pk(tenant_id),
        keys::MEMBER_PREFIX,
        |item| {
            let other: MembershipRecord = from_item(item).context("reading a member")?;
            has_an_owner |= other.role == Role::Owner && other.is_usable();
            Ok(())
        },
    )
    .await?;
    if has_an_owner {
        return Err(RestoreOwnerError::HasAnOwner);
    }

    let owner = MembershipRecord {
        role: Role::Owner,
        status: MembershipStatus::Active,
        access: true,
        updated_at: now,
        version: member.version + 1,
        ..member.clone()
    };
    let mut writes = Writes::new(app, now);
    writes
        .ops(membership_writes(&member, &owner, &tenant.name)?)
        .audit(AuditEvent {
            tenant: tenant_id,
            action: AuditAction::UserRoleChanged,
            actor: Actor::System,
            subject: Some(member.account_id),
            details: json!({
                "by": "operator",
                "role": {"from": member.role, "to": Role::Owner},
                "status": {"from": member.status, "to": MembershipStatus::Active},
                "access": {"from": member.access, "to": true},
            }),
        })?;
    writes
        .commit()
        .await
        .lost_race(RestoreOwnerError::Conflict, "restoring an owner")?;
    tracing::info!(%tenant_id, account_id = %member.account_id, "owner restored by the operator");
    Ok(member.account_id)
}
