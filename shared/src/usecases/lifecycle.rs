//! A member's life after creation: `PATCH .../users/{id}` (membership fields; the person's own
//! fields only for an account in this tenant alone), `PATCH /v1/me`, `POST .../access`, and
//! `POST .../archive` / `.../restore`. Members are archived, never deleted.
//!
//! Rules: those who manage users act here; nobody acts on a member whose role is above their own,
//! only owners give or take `owner`, a non-admin grants only permissions they hold, and the last
//! active owner can be neither demoted nor archived. A change is written against the version
//! read (so two admins cannot silently overwrite each other), and, with `If-Match`, against the
//! version the client saw (412 when stale).
//!
//! Every change is an audit event with the changed fields' old and new values (never a secret).
//! Revoking access or archiving takes effect on the member's next request: every tenant route
//! reads the caller's membership in the same batch as the session.
//!
//! Round trips: one batch read (the caller, the member, and the member's login item for
//! access), then one transaction; a query of the account's tenants when the person's own fields
//! change, and of the members when an owner is demoted or archived.

use chrono::Utc;
use serde_json::{Value, json};

use super::accounts::read_account_with_tenants;
use super::audit::{AuditAction, AuditEvent};
use super::commit::{LostRace, Writes};
use super::grants::{self, GrantError};
use super::invitations::send::{
    self, Attached, Filed, InvitationReads, Invite, SendInvitationError,
};
use super::listing::for_each_item;
use super::password_links::{self, Recipient};
use super::team_grants::Member;
use super::{AuthError, Context, InternalError, TenantCaller};
use crate::app::App;
use crate::domain::{
    AccountId, EmailAddress, Locale, PermissionSet, PersonName, Phone, Role, TenantId,
};
use crate::keys;
use crate::mail::MailTemplate;
use crate::records::{
    AccountRecord, AccountTenantRecord, InvitationRecord, LoginRecord, MembershipRecord,
    MembershipStatus, from_item, from_optional, to_item,
};
use crate::table::{Condition, Op};
use crate::token::{Credential, SessionToken};

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("the caller may not change users of this tenant")]
    Forbidden,
    #[error("no such user in this tenant")]
    NotFound,
    #[error(transparent)]
    Grant(#[from] GrantError),
    #[error("the person's names, phone and locale belong to an account other tenants know too")]
    AccountShared,
    #[error("the last active owner with access can be neither demoted, archived nor cut off")]
    LastOwner,
    #[error("the user changed since the version given in If-Match")]
    PreconditionFailed,
    #[error("the user changed at the same time; read it again")]
    Conflict,
    /// Granting access to a person kept from their mail files an invitation; it was refused.
    #[error(transparent)]
    Consent(#[from] SendInvitationError),
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// What `POST .../access` came to.
pub enum AccessChange {
    Changed(Member),
    /// The member was kept from their mail (see [`MembershipRecord::needs_consent`]): access
    /// opens when they accept this invitation, mailed to their own address.
    ConsentRequested(InvitationRecord),
}

/// Changes to a member. `None` leaves a field as it is; for optional fields, `Some(None)` clears.
#[derive(Default)]
pub struct UserPatch {
    pub first_name: Option<PersonName>,
    pub last_name: Option<PersonName>,
    pub phone: Option<Option<Phone>>,
    pub locale: Option<Locale>,
    pub notification_email: Option<Option<EmailAddress>>,
    pub role: Option<Role>,
    pub permissions: Option<PermissionSet>,
    pub auto_tickets: Option<bool>,
}

impl UserPatch {
    fn touches_the_person(&self) -> bool {
        self.first_name.is_some()
            || self.last_name.is_some()
            || self.phone.is_some()
            || self.locale.is_some()
    }
}

/// The caller and the member they act on, checked: the caller manages users, the member exists
/// and is not above the caller.
async fn load(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    user_id: AccountId,
) -> Result<(TenantCaller, Member), LifecycleError> {
    let (caller, member) = TenantCaller::load_with_member(app, token, tenant_id, user_id).await?;
    if !caller.rights.can_manage_users() {
        return Err(LifecycleError::Forbidden);
    }
    let member = member.ok_or(LifecycleError::NotFound)?;
    grants::check_acting_on(&caller.rights, &member.membership)?;
    Ok((caller, member))
}

/// The writes of a changed membership: its tenant side (against the version read) and its
/// account side (what sign-in and `/v1/me` read).
pub(crate) fn membership_writes(
    old: &MembershipRecord,
    new: &MembershipRecord,
    tenant_name: &str,
) -> Result<Vec<Op>, InternalError> {
    let link = AccountTenantRecord {
        tenant_id: new.tenant_id,
        tenant_name: tenant_name.to_owned(),
        role: new.role,
        status: new.status,
        access: new.access,
    };
    Ok(vec![
        Op::put_if(
            to_item(&keys::membership(new.tenant_id, new.account_id), new, None)
                .context("building the membership")?,
            Condition::VersionIs(old.version),
        ),
        Op::put_if(
            to_item(
                &keys::account_tenant(new.account_id, new.tenant_id),
                &link,
                None,
            )
            .context("building the membership")?,
            Condition::Exists,
        ),
    ])
}

/// When `member` is an owner able to act (active, with access) about to stop being one
/// (demoted, archived, access revoked): the checks that keep another such owner in place until
/// this commits, or `LastOwner` when there is none. An owner archived or without access repairs
/// nothing, so they do not count.
async fn keep_an_owner(app: &App, member: &MembershipRecord) -> Result<Vec<Op>, LifecycleError> {
    if member.role != Role::Owner || !member.is_usable() {
        return Ok(Vec::new());
    }
    let pk = keys::tenant_pk(member.tenant_id);
    let mut others = Vec::new();
    for_each_item(app, &pk, keys::MEMBER_PREFIX, |item| {
        let other: MembershipRecord = from_item(item).context("reading a member")?;
        if other.account_id != member.account_id && other.role == Role::Owner && other.is_usable() {
            others.push(other);
        }
        Ok(())
    })
    .await?;
    if others.is_empty() {
        return Err(LifecycleError::LastOwner);
    }
    // Two owners demoting each other at once: each checks the other is still an owner.
    Ok(others
        .iter()
        .take(20)
        .map(|o| {
            Op::check(
                keys::membership(o.tenant_id, o.account_id),
                Condition::VersionIs(o.version),
            )
        })
        .collect())
}

/// `{"field": {"from": old, "to": new}}` for each field that changed.
fn diff(before: &Value, after: &Value, fields: &[&str]) -> Value {
    let mut changes = serde_json::Map::new();
    for field in fields {
        if before[field] != after[field] {
            changes.insert(
                (*field).to_owned(),
                json!({"from": before[field], "to": after[field]}),
            );
        }
    }
    Value::Object(changes)
}

/// The caller's action on `subject`, for the tenant's log.
fn event(
    caller: &TenantCaller,
    action: AuditAction,
    subject: AccountId,
    details: Value,
) -> AuditEvent {
    AuditEvent {
        tenant: caller.tenant.id,
        action,
        actor: caller.actor,
        subject: Some(subject),
        details,
    }
}

/// Commits `writes`, mapping a lost version race (`If-Match` or not) to its answer.
async fn commit(
    writes: Writes<'_>,
    member: &MembershipRecord,
    if_match: Option<&[u64]>,
) -> Result<(), LifecycleError> {
    match writes.commit().await {
        Err(e) if e.failed_on(&keys::membership(member.tenant_id, member.account_id)) => {
            Err(if if_match.is_some() {
                LifecycleError::PreconditionFailed
            } else {
                LifecycleError::Conflict
            })
        }
        other => other.lost_race(LifecycleError::Conflict, "changing the user"),
    }
}

/// `If-Match` with strong comparison (RFC 9110, 13.1.1): the change applies only to one of the
/// versions named; a weak or malformed tag names none.
fn check_if_match(
    member: &MembershipRecord,
    if_match: Option<&[u64]>,
) -> Result<(), LifecycleError> {
    match if_match {
        Some(versions) if !versions.contains(&member.version) => {
            Err(LifecycleError::PreconditionFailed)
        }
        _ => Ok(()),
    }
}

const MEMBERSHIP_FIELDS: [&str; 5] = [
    "role",
    "permissions",
    "notification_email",
    "auto_tickets",
    "status",
];
const PERSON_FIELDS: [&str; 4] = ["first_name", "last_name", "phone", "locale"];

/// `PATCH /v1/tenants/{tenant_id}/users/{user_id}`.
pub async fn update_user(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    user_id: AccountId,
    patch: UserPatch,
    if_match: Option<&[u64]>,
) -> Result<Member, LifecycleError> {
    let (caller, subject) = load(app, token, tenant_id, user_id).await?;
    let member = subject.membership.clone();
    check_if_match(&member, if_match)?;
    let Some(change) = prepare_update(app, &caller, &member, &patch, json!({})).await? else {
        return Ok(subject);
    };
    let mut writes = change.writes;
    if change.grants_permissions {
        writes.op(Op::check(
            keys::tenant(tenant_id),
            Condition::VersionIs(caller.tenant.version),
        ));
    }
    commit(writes, &member, if_match).await?;
    tracing::info!(subject_id = %user_id, "user updated");
    Ok(subject.changed(change.updated))
}

/// A change to a member, ready to be written.
pub(crate) struct PreparedUpdate<'a> {
    /// The membership writes (against the version read), the account's when the person's own
    /// fields change, the checks that keep an owner, and the audit events; not the catalogue
    /// guard, which the caller adds once per transaction when `grants_permissions`.
    pub writes: Writes<'a>,
    pub updated: MembershipRecord,
    pub grants_permissions: bool,
    /// Whether the ops check other owners' memberships (a transaction holds each item once).
    pub keeps_an_owner: bool,
}

/// Checks `patch` against the rules for `caller` acting on `member` (who is not above them) and
/// builds its writes; `None` when it changes nothing. `details` go into the `user.updated` event
/// beside the changes (an import names itself there).
pub(crate) async fn prepare_update<'a>(
    app: &'a App,
    caller: &TenantCaller,
    member: &MembershipRecord,
    patch: &UserPatch,
    mut details: Value,
) -> Result<Option<PreparedUpdate<'a>>, LifecycleError> {
    let now = app.clock.now();
    let own = &caller.rights;
    let user_id = member.account_id;
    let mut writes = Writes::new(app, now);
    let mut updated = member.clone();
    let mut grants_permissions = false;
    let mut keeps_an_owner = false;
    if let Some(role) = patch.role.filter(|role| *role != member.role) {
        grants::check_role(own, own.role, Some(member.role), role)?;
        if role != Role::Owner {
            let checks = keep_an_owner(app, member).await?;
            keeps_an_owner = !checks.is_empty();
            writes.ops(checks);
        }
        updated.role = role;
    }
    if let Some(permissions) = patch.permissions.clone() {
        grants::check_permissions(own, &caller.tenant, Some(&member.permissions), &permissions)?;
        grants_permissions = permissions.iter().next().is_some();
        updated.permissions = permissions;
    }
    if let Some(email) = patch.notification_email.clone() {
        updated.notification_email = email;
    }
    if let Some(auto_tickets) = patch.auto_tickets {
        updated.auto_tickets = auto_tickets;
    }
    // The person's own fields: only for an account no other tenant knows.
    if patch.touches_the_person() {
        let (account, tenants) = read_account_with_tenants(app, user_id)
            .await?
            .ok_or(LifecycleError::NotFound)?;
        if tenants.iter().any(|t| t.tenant_id != caller.tenant.id) {
            return Err(LifecycleError::AccountShared);
        }
        let account = apply_to_person(&account, patch, now);
        writes.op(Op::put_if(
            to_item(&keys::account(account.id), &account, None).context("building the account")?,
            Condition::VersionIs(account.version - 1),
        ));
        updated.first_name = account.first_name.clone();
        updated.last_name = account.last_name.clone();
        updated.phone = account.phone.clone();
        updated.locale = account.locale;
    }
    let before = serde_json::to_value(member).context("reading the member")?;
    let after = serde_json::to_value(&updated).context("reading the member")?;
    let mut fields = MEMBERSHIP_FIELDS.to_vec();
    fields.extend(PERSON_FIELDS);
    let changes = diff(&before, &after, &fields);
    if changes.as_object().is_some_and(serde_json::Map::is_empty) {
        return Ok(None);
    }
    updated.updated_at = now;
    updated.version = member.version + 1;
    writes.ops(membership_writes(member, &updated, &caller.tenant.name)?);
    details["changes"] = changes;
    writes.audit(event(caller, AuditAction::UserUpdated, user_id, details))?;
    if updated.role != member.role {
        writes.audit(event(
            caller,
            AuditAction::UserRoleChanged,
            user_id,
            json!({"from": member.role, "to": updated.role}),
        ))?;
    }
    Ok(Some(PreparedUpdate {
        writes,
        updated,
        grants_permissions,
        keeps_an_owner,
    }))
}

fn apply_to_person(
    account: &AccountRecord,
    patch: &UserPatch,
    now: chrono::DateTime<Utc>,
) -> AccountRecord {
    let mut account = account.clone();
    if let Some(name) = &patch.first_name {
        account.first_name = name.as_str().to_owned();
    }
    if let Some(name) = &patch.last_name {
        account.last_name = name.as_str().to_owned();
    }
    if let Some(phone) = &patch.phone {
        account.phone = phone.clone();
    }
    if let Some(locale) = patch.locale {
        account.locale = locale;
    }
    account.updated_at = now;
    account.version += 1;
    account
}

/// `PATCH /v1/me`: the person's own names, phone and locale, and their copy in every membership.
pub async fn update_me(
    app: &App,
    token: &SessionToken,
    patch: UserPatch,
) -> Result<AccountRecord, LifecycleError> {
    let now = app.clock.now();
    let caller = super::AccountCaller::load(app, token, false).await?;
    let (_, tenants) = read_account_with_tenants(app, caller.account.id)
        .await?
        .ok_or(AuthError::Unauthenticated)?;
    let account = apply_to_person(&caller.account, &patch, now);
    let mut writes = Writes::new(app, now);
    writes.op(Op::put_if(
        to_item(&keys::account(account.id), &account, None).context("building the account")?,
        Condition::VersionIs(caller.account.version),
    ));
    // The copies every membership keeps for listing, read and written against their versions:
    // only where this session may act (a session confined to one tenant writes nothing into
    // another) and where the person joined (a record kept from their mail keeps its names).
    let member_keys: Vec<_> = tenants
        .iter()
        .filter(|t| caller.session.opens(t.tenant_id))
        .map(|t| keys::membership(t.tenant_id, account.id))
        .collect();
    for chunk in member_keys.chunks(100) {
        for item in app
            .table
            .batch_get(chunk)
            .await
            .context("reading the memberships")?
            .into_iter()
            .flatten()
        {
            let member: MembershipRecord = from_item(item).context("reading a membership")?;
            if member.needs_consent {
                continue;
            }
            let copy = MembershipRecord {
                first_name: account.first_name.clone(),
                last_name: account.last_name.clone(),
                phone: account.phone.clone(),
                locale: account.locale,
                updated_at: now,
                version: member.version + 1,
                ..member.clone()
            };
            writes.op(Op::put_if(
                to_item(&keys::membership(member.tenant_id, account.id), &copy, None)
                    .context("building a membership")?,
                Condition::VersionIs(member.version),
            ));
        }
    }
    writes
        .commit()
        .await
        .lost_race(LifecycleError::Conflict, "changing the account")?;
    Ok(account)
}

/// `POST .../users/{user_id}/access {enabled}`.
pub async fn set_access(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    user_id: AccountId,
    enabled: bool,
) -> Result<AccessChange, LifecycleError> {
    let now = app.clock.now();
    let (caller, subject) = load(app, token, tenant_id, user_id).await?;
    let member = subject.membership.clone();
    if member.access == enabled {
        return Ok(AccessChange::Changed(subject));
    }
    if enabled && member.needs_consent {
        return ask_consent(app, &caller, &member).await;
    }
    let updated = MembershipRecord {
        access: enabled,
        updated_at: now,
        version: member.version + 1,
        ..member.clone()
    };
    let mut writes = Writes::new(app, now);
    if !enabled {
        writes.ops(keep_an_owner(app, &member).await?);
    }
    writes.ops(membership_writes(&member, &updated, &caller.tenant.name)?);
    if enabled {
        let login: Option<LoginRecord> = from_optional(
            app.table
                .get(&keys::login(&member.email.normalized()))
                .await
                .context("reading the login item")?,
        )
        .context("reading the login item")?;
        let login = login.ok_or(LifecycleError::NotFound)?;
        mail_access_opened(&mut writes, &login, &caller.tenant, &member)?;
    }
    let action = if enabled {
        AuditAction::UserAccessGranted
    } else {
        AuditAction::UserAccessRevoked
    };
    writes.audit(event(&caller, action, user_id, json!({})))?;
    commit(writes, &member, None).await?;
    Ok(AccessChange::Changed(subject.changed(updated)))
}

/// The mail of access opened to `member`: one who never chose a password gets the link to choose
/// one; anyone else is told.
pub(crate) fn mail_access_opened(
    writes: &mut Writes<'_>,
    login: &LoginRecord,
    tenant: &crate::records::TenantRecord,
    member: &MembershipRecord,
) -> Result<(), InternalError> {
    if login.password_hash.is_none() {
        return password_links::mail_choose_password(
            writes,
            login,
            tenant,
            Recipient {
                first_name: &member.first_name,
                email: &member.email,
                locale: member.locale,
            },
        );
    }
    let granted = MailTemplate::AccessGranted {
        tenant: tenant.name.clone(),
        first_name: member.first_name.clone(),
        sign_in_url: writes.app().config.after_joining_url(&tenant.settings),
    };
    writes.mail(&granted, member.mail_to(), member.locale)?;
    Ok(())
}

/// Access for a person kept from their mail: an invitation to their own address, with the role
/// and permissions they hold here, instead of an open door.
pub(crate) async fn ask_consent(
    app: &App,
    caller: &TenantCaller,
    member: &MembershipRecord,
) -> Result<AccessChange, LifecycleError> {
    let invite = Invite {
        email: member.email.clone(),
        role: member.role,
        permissions: member.permissions.clone(),
        message: None,
        locale: None,
        team_ids: Vec::new(),
    };
    let reads = InvitationReads::new(caller.tenant.id, &caller.quota_subject(), &member.email);
    let items = app
        .table
        .batch_get(&reads.keys())
        .await
        .context("reading the invitation state")?;
    let state = reads.take(items)?;
    let attached = Attached {
        writes: None,
        details: serde_json::Map::from_iter([("opens_user".to_owned(), json!(member.account_id))]),
    };
    match send::file(app, caller, &invite, state, None, attached).await? {
        Filed::Done(invitation) => Ok(AccessChange::ConsentRequested(*invitation)),
        Filed::LostARace => Err(LifecycleError::Conflict),
    }
}

/// `POST .../archive` (`archived: true`) and `.../restore`.
pub async fn set_archived(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    user_id: AccountId,
    archived: bool,
) -> Result<Member, LifecycleError> {
    let now = app.clock.now();
    let (caller, subject) = load(app, token, tenant_id, user_id).await?;
    let member = subject.membership.clone();
    let status = if archived {
        MembershipStatus::Archived
    } else {
        MembershipStatus::Active
    };
    if member.status == status {
        return Ok(subject);
    }
    let mut writes = Writes::new(app, now);
    if archived {
        writes.ops(keep_an_owner(app, &member).await?);
    }
    let updated = MembershipRecord {
        status,
        updated_at: now,
        version: member.version + 1,
        ..member.clone()
    };
    writes.ops(membership_writes(&member, &updated, &caller.tenant.name)?);
    let action = if archived {
        AuditAction::UserArchived
    } else {
        AuditAction::UserRestored
    };
    writes.audit(event(&caller, action, user_id, json!({})))?;
    commit(writes, &member, None).await?;
    Ok(subject.changed(updated))
}
