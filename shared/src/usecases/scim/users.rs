//! `/Users`: the tenant's members as its identity provider creates, reads, changes and removes
//! them.
//!
//! - A create for an email new to Usher makes the account and the membership (no password;
//!   with `send_access_mail`, a link to choose one). For an email that has an account, the
//!   person is recorded here without access (`needs_consent`, with the provider's names) and,
//!   when `active`, invited to their own address in the same transaction: the resource exists at
//!   once, later changes apply to it, and access opens when they accept.
//! - `active: false` cuts access at once (every tenant route reads the membership with the
//!   session); `active: true` opens it again.
//! - `DELETE` archives the member; the account stays. The User is then gone from SCIM (RFC 7644
//!   section 3.6: `404`, left out of lists) until the provider creates the person again, which
//!   brings the same member back, or an admin restores them.
//! - The sign-in address is `userName` when it is an email, else the primary work email; any
//!   other `userName` is the provider's login name, kept beside it. The address moves only for an
//!   account in this tenant alone (and its password then opens this tenant only, until the person
//!   proves the new address); another account's is the person's own.
//! - Names, phone and language: the membership's copy, and the account's own when the account is
//!   in this tenant alone; an account other tenants know keeps its own (as with an admin).
//! - What the provider sent (`displayName`, `emails`, `phoneNumbers`, `preferredLanguage`, the
//!   enterprise extension) is kept as sent, so that it reads back as it was written.
//!
//! Round trips (beyond the caller's batch read and its count, see `caller`): a read is one
//! point read (two for a filter by name); a change adds one transaction, and one query of the
//! account's tenants when the person's own fields change.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::filter::UserTerm;
use super::resource::{ScimUser, UserAttributes};
use super::{ScimCaller, ScimProtocolError, ScimType};
use crate::app::App;
use crate::domain::{AccountId, EmailAddress, Role};
use crate::keys;
use crate::records::{
    AccountRecord, CreatedVia, LoginRecord, MembershipRecord, MembershipStatus, ScimLink,
    from_item, from_optional, to_item,
};
use crate::table::{Condition, Key, Op, TransactError};
use crate::usecases::accounts::{
    NewAccount, NewMembership, account_ops, membership_ops, new_account, new_membership,
    read_account_with_tenants,
};
use crate::usecases::audit::{AuditAction, AuditEvent};
use crate::usecases::commit::Writes;
use crate::usecases::invitations::send::{
    self, Attached, Filed, InvitationReads, Invite, SendInvitationError,
};
use crate::usecases::lifecycle::{self, LifecycleError};
use crate::usecases::listing::for_each_item;
use crate::usecases::password_links::{self, Recipient};
use crate::usecases::team_members::NewcomerTeams;
use crate::usecases::{Context, Found, InternalError, grants};

/// The most resources one page holds (`count` above it is read as this).
pub const MAX_PAGE: usize = 100;

/// What a list asks for: a filter, and the page (`startIndex` counts from 1).
pub struct ListQuery {
    pub filter: Option<String>,
    pub start_index: usize,
    pub count: usize,
}

/// A page of members, in a stable order (by id).
pub struct UserPage {
    pub total: usize,
    pub members: Vec<MembershipRecord>,
}

/// A lookup item that names a member: by `externalId`, or by a `userName` that is not their
/// sign-in email.
#[derive(serde::Serialize, serde::Deserialize)]
struct ClaimRecord {
    account_id: AccountId,
}

/// Lookup keys a write claims, each with the attribute it is for (named in a `uniqueness`
/// answer when another member holds it).
type Claimed = Vec<(Key, &'static str)>;

/// What a member's `userName` and `externalId` claim in the tenant: the keys of their lookup
/// items.
#[derive(Default, PartialEq)]
struct Claims {
    user_name: Option<Key>,
    external_id: Option<Key>,
}

impl Claims {
    fn of(tenant: crate::domain::TenantId, link: &ScimLink) -> Self {
        Self {
            user_name: link
                .user_name
                .as_deref()
                .map(|u| keys::scim_user_name(tenant, u)),
            external_id: link
                .external_id
                .as_deref()
                .map(|e| keys::scim_external_id(tenant, e)),
        }
    }

    /// The writes that move the claims from `self` to `new`, and the keys newly claimed with
    /// the attribute each is for.
    fn move_to(
        &self,
        new: &Claims,
        account: AccountId,
    ) -> Result<(Vec<Op>, Claimed), InternalError> {
        let mut ops = Vec::new();
        let mut claimed = Vec::new();
        for (old, new, what) in [
            (&self.user_name, &new.user_name, "userName"),
            (&self.external_id, &new.external_id, "externalId"),
        ] {
            if old == new {
                continue;
            }
            if let Some(old) = old {
                ops.push(Op::delete(old.clone()));
            }
            if let Some(new) = new {
                ops.push(Op::put_if(
                    to_item(
                        new,
                        &ClaimRecord {
                            account_id: account,
                        },
                        None,
                    )
                    .context("building a SCIM lookup")?,
                    Condition::NotExists,
                ));
                claimed.push((new.clone(), what));
            }
        }
        Ok((ops, claimed))
    }
}

/// What `attributes` ask the member with sign-in `email` to be, as the provider keeps them.
fn link_of(attributes: &UserAttributes, email: &EmailAddress) -> ScimLink {
    let is_email = EmailAddress::parse(&attributes.user_name).is_ok_and(|u| u.same_as(email));
    ScimLink {
        user_name: (!is_email).then(|| attributes.user_name.clone()),
        external_id: attributes.external_id.clone(),
        active: attributes.active,
        display_name: attributes.display_name.clone(),
        preferred_language: attributes.preferred_language.clone(),
        emails: attributes.emails.clone(),
        phone_numbers: attributes.phone_numbers.clone(),
        enterprise: attributes.enterprise.clone(),
        deleted: false,
    }
}

fn not_found() -> ScimProtocolError {
    ScimProtocolError::NotFound
}

/// The member `id` names here, if it is one.
async fn read_member(
    app: &App,
    caller: &ScimCaller,
    id: &str,
) -> Result<MembershipRecord, ScimProtocolError> {
    let account: AccountId = id.parse().map_err(|_| not_found())?;
    let item = app
        .table
        .get(&keys::membership(caller.tenant().id, account))
        .await?;
    from_optional(item)
        .context("reading a member")?
        .filter(|m| !deleted(m))
        .ok_or_else(not_found)
}

/// Whether the provider deleted `member` (and nobody restored them since): no longer a User.
pub(crate) fn deleted(member: &MembershipRecord) -> bool {
    member.status == MembershipStatus::Archived && member.scim.as_ref().is_some_and(|s| s.deleted)
}

/// `GET /Users/{id}`.
pub async fn get(
    app: &App,
    caller: &ScimCaller,
    id: &str,
) -> Result<MembershipRecord, ScimProtocolError> {
    read_member(app, caller, id).await
}

/// `GET /Users`.
pub async fn list(
    app: &App,
    caller: &ScimCaller,
    query: ListQuery,
) -> Result<UserPage, ScimProtocolError> {
    let tenant = caller.tenant().id;
    let mut members = match &query.filter {
        Some(raw) => {
            let terms = super::filter::user_terms(raw)?;
            let first = terms
                .first()
                .ok_or_else(|| ScimProtocolError::bad(ScimType::InvalidFilter, "empty filter"))?;
            let account = match first {
                UserTerm::Id(id) => id.parse::<AccountId>().ok(),
                UserTerm::UserName(name) => {
                    // A userName that is not the sign-in email has a lookup of its own; one that
                    // is, the login item.
                    let mut keys = vec![keys::scim_user_name(tenant, name)];
                    if let Ok(email) = EmailAddress::parse(name.trim()) {
                        keys.push(keys::login(&email.normalized()));
                    }
                    let mut found = Found::new(app.table.batch_get(&keys).await?);
                    let claim: Option<ClaimRecord> = found.next("reading a SCIM lookup")?;
                    let login: Option<LoginRecord> = found.next("reading a login item")?;
                    claim.map(|c| c.account_id).or(login.map(|l| l.account_id))
                }
                UserTerm::Email(email) => match EmailAddress::parse(email.trim()) {
                    Ok(email) => {
                        let login: Option<LoginRecord> =
                            from_optional(app.table.get(&keys::login(&email.normalized())).await?)
                                .context("reading a login item")?;
                        login.map(|l| l.account_id)
                    }
                    Err(_) => None,
                },
                UserTerm::ExternalId(external) => {
                    let found: Option<ClaimRecord> = from_optional(
                        app.table
                            .get(&keys::scim_external_id(tenant, external))
                            .await?,
                    )
                    .context("reading an externalId")?;
                    found.map(|f| f.account_id)
                }
            };
            let member: Option<MembershipRecord> = match account {
                Some(account) => {
                    from_optional(app.table.get(&keys::membership(tenant, account)).await?)
                        .context("reading a member")?
                }
                None => None,
            };
            member
                .into_iter()
                .filter(|m| !deleted(m) && terms.iter().all(|t| term_matches(t, m)))
                .collect()
        }
        None => {
            let mut all = Vec::new();
            for_each_item(app, &keys::tenant_pk(tenant), keys::MEMBER_PREFIX, |item| {
                let member: MembershipRecord = from_item(item).context("reading a member")?;
                if !deleted(&member) {
                    all.push(member);
                }
                Ok(())
            })
            .await?;
            all
        }
    };
    let total = members.len();
    let skip = query.start_index.max(1) - 1;
    let members: Vec<_> = members
        .drain(..)
        .skip(skip)
        .take(query.count.min(MAX_PAGE))
        .collect();
    Ok(UserPage { total, members })
}

fn term_matches(term: &UserTerm, member: &MembershipRecord) -> bool {
    let user = ScimUser { member };
    match term {
        UserTerm::Id(id) => member.account_id.to_string().eq_ignore_ascii_case(id),
        UserTerm::UserName(name) => user.user_name().eq_ignore_ascii_case(name.trim()),
        UserTerm::Email(email) => member.email.as_str().eq_ignore_ascii_case(email.trim()),
        UserTerm::ExternalId(external) => user.external_id() == Some(external.as_str()),
    }
}

fn taken(what: &str) -> ScimProtocolError {
    ScimProtocolError::Uniqueness(format!(
        "{what} is already used by another user of this tenant"
    ))
}

/// The answer to a failed commit: a `userName` or `externalId` claimed meanwhile, or a lost race.
fn commit_failure(
    error: TransactError,
    claimed: &[(Key, &'static str)],
    context: &'static str,
) -> ScimProtocolError {
    if let Some((_, what)) = claimed.iter().find(|(key, _)| error.failed_on(key)) {
        return taken(what);
    }
    match error {
        TransactError::ConditionFailed { .. } | TransactError::Conflict => {
            ScimProtocolError::Conflict
        }
        other => ScimProtocolError::Internal(InternalError::new(context, other.into())),
    }
}

fn audit(
    caller: &ScimCaller,
    action: AuditAction,
    subject: AccountId,
    details: Value,
) -> AuditEvent {
    AuditEvent {
        tenant: caller.tenant().id,
        action,
        actor: caller.acting.actor,
        subject: Some(subject),
        details,
    }
}

/// `POST /Users`.
pub async fn create(
    app: &App,
    caller: &ScimCaller,
    body: &Value,
) -> Result<MembershipRecord, ScimProtocolError> {
    let attributes = UserAttributes::from_json(body)?;
    let email = attributes.email.clone().ok_or_else(|| {
        ScimProtocolError::invalid_value(
            "people sign in with an email: userName or emails[type eq \"work\"].value must be one",
        )
    })?;
    let tenant = caller.tenant();
    let link = link_of(&attributes, &email);
    let claims = Claims::of(tenant.id, &link);
    let reads = InvitationReads::new(tenant.id, &caller.acting.quota_subject(), &email);
    let mut keys = reads.keys().to_vec();
    let claim_keys: Claimed = [
        (claims.user_name.clone(), "userName"),
        (claims.external_id.clone(), "externalId"),
    ]
    .into_iter()
    .filter_map(|(key, what)| key.map(|k| (k, what)))
    .collect();
    keys.extend(claim_keys.iter().map(|(key, _)| key.clone()));
    let mut items = app.table.batch_get(&keys).await?;
    let claimed = items.split_off(reads.keys().len());
    if let Some((_, what)) = claim_keys
        .iter()
        .zip(&claimed)
        .find(|(_, item)| item.is_some())
        .map(|(c, _)| c)
    {
        return Err(taken(what));
    }
    let state = reads.take(items)?;
    let new = NewScimUser {
        attributes: &attributes,
        email: &email,
        link: &link,
        claims: &claims,
    };
    match state.login.clone() {
        None => create_account(app, caller, new).await,
        Some(login) => record_existing(app, caller, new, &login, state).await,
    }
}

/// A create, read and checked.
struct NewScimUser<'a> {
    attributes: &'a UserAttributes,
    email: &'a EmailAddress,
    link: &'a ScimLink,
    claims: &'a Claims,
}

/// A person new to Usher: their account and membership.
async fn create_account(
    app: &App,
    caller: &ScimCaller,
    new: NewScimUser<'_>,
) -> Result<MembershipRecord, ScimProtocolError> {
    let now = app.clock.now();
    let tenant = caller.tenant();
    let attributes = new.attributes;
    let (account, login) = new_account(
        app,
        NewAccount {
            email: new.email,
            first_name: attributes.given_name.as_str(),
            last_name: attributes.family_name.as_str(),
            phone: attributes.phone.clone(),
            locale: attributes.locale.unwrap_or(tenant.settings.default_locale),
        },
        now,
    );
    let mut membership = new_membership(&account, scim_membership(caller), now);
    membership.access = attributes.active;
    membership.scim = Some(new.link.clone());
    let mut writes = Writes::new(app, now);
    writes
        .ops(account_ops(&account, &login).context("building the account")?)
        .ops(membership_ops(&membership, &tenant.name).context("building the membership")?);
    let (claim_ops, claimed) = Claims::default().move_to(new.claims, account.id)?;
    writes.ops(claim_ops);
    NewcomerTeams::read(app, tenant, &[]).await?.join(
        &mut writes,
        tenant.id,
        account.id,
        caller.acting.actor,
    )?;
    let mails_link = caller.config.send_access_mail && attributes.active;
    if mails_link {
        password_links::mail_choose_password(
            &mut writes,
            &login,
            tenant,
            Recipient {
                first_name: &account.first_name,
                email: &account.email,
                locale: account.locale,
            },
        )?;
    }
    writes.audit(audit(
        caller,
        AuditAction::UserCreated,
        account.id,
        json!({"created_via": CreatedVia::Scim, "role": Role::Member, "active": attributes.active,
            "password_mode": if mails_link { "link" } else { "none" }}),
    ))?;
    writes
        .commit()
        .await
        .map_err(|e| commit_failure(e, &claimed, "creating a SCIM user"))?;
    tracing::info!(subject_id = %account.id, "scim user created");
    Ok(membership)
}

fn scim_membership(caller: &ScimCaller) -> NewMembership {
    NewMembership {
        tenant_id: caller.tenant().id,
        role: Role::Member,
        permissions: Default::default(),
        notification_email: None,
        created_via: CreatedVia::Scim,
        created_by: None,
    }
}

/// An email that has an account: recorded here without access, with the provider's names and
/// nothing of the account's, and (when `active`) invited to its own address in the same
/// transaction.
async fn record_existing(
    app: &App,
    caller: &ScimCaller,
    new: NewScimUser<'_>,
    login: &LoginRecord,
    state: send::InvitationState,
) -> Result<MembershipRecord, ScimProtocolError> {
    let now = app.clock.now();
    let tenant = caller.tenant();
    let attributes = new.attributes;
    let mut found = Found::new(
        app.table
            .batch_get(&[
                keys::account(login.account_id),
                keys::membership(tenant.id, login.account_id),
            ])
            .await?,
    );
    let account: AccountRecord = found
        .next("reading the account")?
        .ok_or(ScimProtocolError::Conflict)?;
    let existing: Option<MembershipRecord> = found.next("reading the membership")?;
    match existing {
        // Deleted by the provider, and created by it again: the same member, back.
        Some(member) if deleted(&member) => {
            return change(app, caller, member, attributes.clone()).await;
        }
        Some(_) => return Err(taken("userName")),
        None => {}
    }
    let membership = MembershipRecord {
        first_name: attributes.given_name.as_str().to_owned(),
        last_name: attributes.family_name.as_str().to_owned(),
        phone: attributes.phone.clone(),
        locale: attributes.locale.unwrap_or(tenant.settings.default_locale),
        access: false,
        needs_consent: true,
        scim: Some(new.link.clone()),
        ..new_membership(&account, scim_membership(caller), now)
    };
    let build = || -> Result<(Writes<'_>, Claimed), ScimProtocolError> {
        let mut writes = Writes::new(app, now);
        // The login item still names this account.
        writes.op(Op::check(
            keys::login(&account.email.normalized()),
            Condition::AttributeEquals("account_id".into(), account.id.to_string().into()),
        ));
        writes.ops(membership_ops(&membership, &tenant.name).context("building the membership")?);
        let (claim_ops, claimed) = Claims::default().move_to(new.claims, account.id)?;
        writes.ops(claim_ops);
        writes.audit(audit(
            caller,
            AuditAction::UserCreated,
            account.id,
            json!({"created_via": CreatedVia::Scim, "role": Role::Member, "needs_consent": true,
                "active": attributes.active}),
        ))?;
        Ok((writes, claimed))
    };
    if attributes.active {
        let (writes, claimed) = build()?;
        let invite = Invite {
            email: account.email.clone(),
            role: Role::Member,
            permissions: Default::default(),
            message: None,
            locale: None,
            team_ids: Vec::new(),
        };
        let attached = Attached {
            writes: Some(writes),
            details: serde_json::Map::from_iter([("opens_user".to_owned(), json!(account.id))]),
        };
        match send::file(app, &caller.acting, &invite, state, None, attached).await {
            Ok(Filed::Done(_)) => {
                tracing::info!(subject_id = %account.id, "scim user recorded, invitation sent");
                return Ok(membership);
            }
            // An invitation is pending already: accepting it opens this record too.
            Err(SendInvitationError::InvitationPending) => {}
            Err(SendInvitationError::AlreadyMember) => return Err(taken("userName")),
            Err(SendInvitationError::RateLimited {
                retry_after_seconds,
            }) => {
                return Err(ScimProtocolError::RateLimited {
                    retry_after_seconds,
                });
            }
            Ok(Filed::LostARace) => {
                for (key, what) in &claimed {
                    if claimed_by_other(app, key, account.id).await? {
                        return Err(taken(what));
                    }
                }
                return Err(ScimProtocolError::Conflict);
            }
            Err(SendInvitationError::Internal(e)) => return Err(e.into()),
            Err(other) => {
                return Err(ScimProtocolError::Internal(InternalError::new(
                    "inviting a SCIM user",
                    anyhow::anyhow!("{other}"),
                )));
            }
        }
    }
    let (writes, claimed) = build()?;
    writes
        .commit()
        .await
        .map_err(|e| commit_failure(e, &claimed, "recording a SCIM user"))?;
    tracing::info!(subject_id = %account.id, "scim user recorded");
    Ok(membership)
}

/// Whether the lookup at `key` names someone other than `account` now.
async fn claimed_by_other(
    app: &App,
    key: &Key,
    account: AccountId,
) -> Result<bool, ScimProtocolError> {
    let found: Option<ClaimRecord> =
        from_optional(app.table.get(key).await?).context("reading a SCIM lookup")?;
    Ok(found.is_some_and(|f| f.account_id != account))
}

/// `PUT /Users/{id}`: the body is the whole User.
pub async fn replace(
    app: &App,
    caller: &ScimCaller,
    id: &str,
    body: &Value,
) -> Result<MembershipRecord, ScimProtocolError> {
    let member = read_member(app, caller, id).await?;
    let attributes = UserAttributes::from_json(body)?;
    change(app, caller, member, attributes).await
}

/// `PATCH /Users/{id}`.
pub async fn patch(
    app: &App,
    caller: &ScimCaller,
    id: &str,
    body: &Value,
) -> Result<MembershipRecord, ScimProtocolError> {
    let operations = super::patch::parse(body)?;
    let member = read_member(app, caller, id).await?;
    let mut user = ScimUser { member: &member }.patchable();
    super::patch::apply(&mut user, &operations)?;
    if user.get("active").is_none_or(Value::is_null) {
        return Err(ScimProtocolError::invalid_value(
            "active cannot be removed: set it to false",
        ));
    }
    if user.get("id").and_then(Value::as_str) != Some(member.account_id.to_string().as_str()) {
        return Err(ScimProtocolError::bad(
            ScimType::Mutability,
            "id is assigned by Usher",
        ));
    }
    let attributes = UserAttributes::from_json(&user)?;
    change(app, caller, member, attributes).await
}

/// `DELETE /Users/{id}`: archived here; the account stays.
pub async fn delete(app: &App, caller: &ScimCaller, id: &str) -> Result<(), ScimProtocolError> {
    let member = read_member(app, caller, id).await?;
    check_may_act(caller, &member)?;
    if member.status == MembershipStatus::Archived {
        return Ok(());
    }
    let now = app.clock.now();
    let updated = MembershipRecord {
        status: MembershipStatus::Archived,
        scim: Some(ScimLink {
            active: false,
            deleted: true,
            ..member.scim.clone().unwrap_or_default()
        }),
        updated_at: now,
        version: member.version + 1,
        ..member.clone()
    };
    let mut writes = Writes::new(app, now);
    writes
        .ops(lifecycle::membership_writes(
            &member,
            &updated,
            &caller.tenant().name,
        )?)
        .audit(audit(
            caller,
            AuditAction::UserArchived,
            member.account_id,
            json!({"via": "scim_delete"}),
        ))?;
    writes
        .commit()
        .await
        .map_err(|e| commit_failure(e, &[], "archiving a SCIM user"))?;
    tracing::info!(subject_id = %member.account_id, "scim user archived");
    Ok(())
}

/// The provider acts as an admin: owners are beyond it.
fn check_may_act(caller: &ScimCaller, member: &MembershipRecord) -> Result<(), ScimProtocolError> {
    grants::check_acting_on(&caller.acting.rights, member).map_err(|_| {
        ScimProtocolError::Forbidden(
            "owners are managed in Usher itself, not through SCIM".to_owned(),
        )
    })
}

/// Makes `member` what `attributes` say: the one transaction of a `PUT` and a `PATCH`.
async fn change(
    app: &App,
    caller: &ScimCaller,
    member: MembershipRecord,
    attributes: UserAttributes,
) -> Result<MembershipRecord, ScimProtocolError> {
    check_may_act(caller, &member)?;
    let now = app.clock.now();
    let tenant = caller.tenant();
    let email = attributes
        .email
        .clone()
        .unwrap_or_else(|| member.email.clone());
    let mut writes = Writes::new(app, now);
    let mut updated = member.clone();
    let mut changed: Vec<&str> = Vec::new();

    // What the provider keeps: its userName, its id for the person, and active.
    let old_link = member.scim.clone().unwrap_or_default();
    let link = link_of(&attributes, &email);
    if (ScimUser { member: &member }).user_name() != attributes.user_name {
        changed.push("user_name");
    }
    if old_link.external_id != link.external_id {
        changed.push("external_id");
    }
    let (claim_ops, mut claimed) = Claims::of(tenant.id, &old_link)
        .move_to(&Claims::of(tenant.id, &link), member.account_id)?;
    writes.ops(claim_ops);
    updated.scim = Some(link);

    // The person's own fields.
    updated.email = email;
    updated.first_name = attributes.given_name.as_str().to_owned();
    updated.last_name = attributes.family_name.as_str().to_owned();
    updated.phone = attributes.phone.clone();
    if let Some(locale) = attributes.locale {
        updated.locale = locale;
    }
    for (field, differs) in [
        ("email", !updated.email.same_as(&member.email)),
        ("first_name", updated.first_name != member.first_name),
        ("last_name", updated.last_name != member.last_name),
        ("phone", updated.phone != member.phone),
        ("locale", updated.locale != member.locale),
    ] {
        if differs {
            changed.push(field);
        }
    }
    let person_changed = changed
        .iter()
        .any(|f| ["email", "first_name", "last_name", "phone", "locale"].contains(f));
    if person_changed {
        let account = account_update(app, caller, &member, &updated, now).await?;
        writes.ops(account.ops);
        claimed.extend(account.claimed);
    }

    // Active, archived and access.
    let mut actions = Vec::new();
    let mut consent_wanted = false;
    let mut access_mail = false;
    if member.status == MembershipStatus::Archived {
        if attributes.active {
            updated.status = MembershipStatus::Active;
            updated.access = !member.needs_consent;
            consent_wanted = member.needs_consent;
            actions.push(AuditAction::UserRestored);
        }
    } else if member.needs_consent {
        consent_wanted = attributes.active && !old_link.active;
    } else if member.access != attributes.active {
        updated.access = attributes.active;
        access_mail = attributes.active && caller.config.send_access_mail;
        actions.push(if attributes.active {
            AuditAction::UserAccessGranted
        } else {
            AuditAction::UserAccessRevoked
        });
    }
    if member.scim.as_ref().map(|s| s.active) != Some(attributes.active) {
        changed.push("active");
    }
    if changed.is_empty() && actions.is_empty() && member.scim == updated.scim {
        return Ok(member);
    }
    if access_mail {
        mail_access(app, caller, &updated, &mut writes).await?;
    }
    updated.updated_at = now;
    updated.version = member.version + 1;
    writes.ops(lifecycle::membership_writes(
        &member,
        &updated,
        &tenant.name,
    )?);
    if !changed.is_empty() {
        writes.audit(audit(
            caller,
            AuditAction::UserUpdated,
            member.account_id,
            json!({"fields": changed}),
        ))?;
    }
    for action in actions {
        writes.audit(audit(caller, action, member.account_id, json!({})))?;
    }
    writes
        .commit()
        .await
        .map_err(|e| commit_failure(e, &claimed, "changing a SCIM user"))?;
    if consent_wanted {
        ask_consent(app, caller, &updated).await?;
    }
    Ok(updated)
}

/// Access for a person recorded until they accept: an invitation to their own address (one
/// pending already will do).
async fn ask_consent(
    app: &App,
    caller: &ScimCaller,
    member: &MembershipRecord,
) -> Result<(), ScimProtocolError> {
    match lifecycle::ask_consent(app, &caller.acting, member).await {
        Ok(_)
        | Err(LifecycleError::Consent(
            SendInvitationError::InvitationPending | SendInvitationError::AlreadyMember,
        )) => Ok(()),
        // The change stands; the provider asks again, as it does for any failure.
        Err(LifecycleError::Consent(SendInvitationError::RateLimited {
            retry_after_seconds,
        })) => Err(ScimProtocolError::RateLimited {
            retry_after_seconds,
        }),
        Err(other) => Err(ScimProtocolError::Internal(InternalError::new(
            "inviting a SCIM user",
            anyhow::anyhow!("{other}"),
        ))),
    }
}

/// The account's side of a change to the person's own fields.
struct AccountChange {
    ops: Vec<Op>,
    claimed: Claimed,
}

/// The account's own names, phone, language and sign-in address follow the provider only when
/// no other tenant knows the account: one that others know (or a person recorded until they
/// accept) keeps its own, and this tenant's copy changes alone. Its sign-in address is then the
/// person's to change, never the provider's. A moved address is not proven: the password opens
/// this tenant alone until the person proves the new address is theirs.
async fn account_update(
    app: &App,
    caller: &ScimCaller,
    member: &MembershipRecord,
    updated: &MembershipRecord,
    now: DateTime<Utc>,
) -> Result<AccountChange, ScimProtocolError> {
    let moves = !updated.email.same_as(&member.email);
    let refuse_move = || {
        ScimProtocolError::bad(
            ScimType::Mutability,
            "the sign-in address of an account other tenants know is the person's to change",
        )
    };
    if member.needs_consent {
        return if moves {
            Err(refuse_move())
        } else {
            Ok(AccountChange {
                ops: Vec::new(),
                claimed: Vec::new(),
            })
        };
    }
    let Some((account, tenants)) = read_account_with_tenants(app, updated.account_id).await? else {
        return Err(ScimProtocolError::NotFound);
    };
    if tenants.iter().any(|t| t.tenant_id != caller.tenant().id) {
        return if moves {
            Err(refuse_move())
        } else {
            Ok(AccountChange {
                ops: Vec::new(),
                claimed: Vec::new(),
            })
        };
    }
    let changed = AccountRecord {
        email: updated.email.clone(),
        first_name: updated.first_name.clone(),
        last_name: updated.last_name.clone(),
        phone: updated.phone.clone(),
        locale: updated.locale,
        updated_at: now,
        version: account.version + 1,
        ..account.clone()
    };
    let mut ops = vec![Op::put_if(
        to_item(&keys::account(account.id), &changed, None).context("building the account")?,
        Condition::VersionIs(account.version),
    )];
    let mut claimed = Vec::new();
    if moves {
        let old_key = keys::login(&member.email.normalized());
        let login: LoginRecord = from_optional(app.table.get(&old_key).await?)
            .context("reading the login item")?
            .ok_or(ScimProtocolError::Conflict)?;
        let new_key = keys::login(&updated.email.normalized());
        let moved = LoginRecord {
            email: updated.email.clone(),
            confined_to: Some(caller.tenant().id),
            version: login.version + 1,
            ..login.clone()
        };
        ops.push(Op::delete_if(old_key, Condition::VersionIs(login.version)));
        ops.push(Op::put_if(
            to_item(&new_key, &moved, None).context("building the login item")?,
            Condition::NotExists,
        ));
        claimed.push((new_key, "userName"));
    }
    Ok(AccountChange { ops, claimed })
}

/// Access opened again with `send_access_mail`: the mail an admin's grant sends.
async fn mail_access(
    app: &App,
    caller: &ScimCaller,
    member: &MembershipRecord,
    writes: &mut Writes<'_>,
) -> Result<(), ScimProtocolError> {
    let login: LoginRecord = from_optional(
        app.table
            .get(&keys::login(&member.email.normalized()))
            .await?,
    )
    .context("reading the login item")?
    .ok_or(ScimProtocolError::Conflict)?;
    lifecycle::mail_access_opened(writes, &login, caller.tenant(), member)?;
    Ok(())
}
