//! `POST /v1/tenants/{tenant_id}/users`: an admin creates a user.
//!
//! An email that already has an account gets no membership here: the account is a person other
//! tenants may know, and joining it to this one takes that person's consent. So an invitation is
//! filed instead (DESIGN section 6), carrying the requested role and permissions, and mailed to
//! the account's own address; the answer carries nothing of the account.
//!
//! Round trips: a new account takes one batch read (caller, tenant, the email's login item, the
//! invitation marker and quotas together) and one transaction. An existing account takes the
//! invitation's one more read (see [`super::invitations::send`]).

use super::team_grants::Member;
use super::team_members::NewcomerTeams;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::accounts::{
    NewAccount, NewMembership, PasswordSetBy, account_ops, membership_ops, new_account,
    new_membership, set_password,
};
use super::audit::{AuditAction, AuditEvent};
use super::commit::{LostRace, Writes};
use super::grants::{self, GrantError};
use super::invitations::send::{
    self, Attached, Filed, InvitationReads, Invite, SendInvitationError,
};
use super::password_links::{self, Recipient};
use super::{AuthError, Context, InternalError, TenantCaller};
use crate::app::App;
use crate::domain::{
    EmailAddress, Locale, Password, PermissionSet, PersonName, PersonalContext, Phone, Role,
    TenantId, WeakPassword,
};
use crate::keys;
use crate::mail::{MailTemplate, PasswordNote};
use crate::records::{AccountRecord, CreatedVia, InvitationRecord};
use crate::table::{Condition, Op};
use crate::token::Credential;

/// How the new account gets its first password.
pub enum PasswordChoice {
    /// Usher generates a temporary password, returned once in the response.
    Generate,
    /// The admin sets it (checked against the policy).
    Set(SecretString),
    /// The person chooses it through an emailed link.
    Link,
    /// No password and no mail yet (an import that does not send credentials): the person
    /// chooses one through "forgot password", or an admin mails them a link later
    /// (`POST .../users/{id}/password-reset`).
    None,
}

pub struct NewUser {
    pub email: EmailAddress,
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub notification_email: Option<EmailAddress>,
    pub phone: Option<Phone>,
    pub locale: Locale,
    pub role: Role,
    pub permissions: PermissionSet,
    pub password: PasswordChoice,
    pub send_credentials: bool,
    /// Whether the person's mail to the help desk opens tickets; the tenant's default (on) when
    /// not given.
    pub auto_tickets: Option<bool>,
}

pub struct CreatedUser {
    /// With the teams they joined as a newcomer.
    pub user: Member,
    /// Only for [`PasswordChoice::Generate`]; shown once, stored only hashed.
    pub generated_password: Option<Password>,
}

/// What a creation request led to.
pub enum Creation {
    Created(Box<CreatedUser>),
    /// The email has an account: the person was invited, with the requested role and
    /// permissions, and joins when they accept.
    Invited(Box<InvitationRecord>),
}

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("the caller may not create users in this tenant")]
    Forbidden,
    #[error(transparent)]
    Grant(#[from] GrantError),
    #[error(transparent)]
    WeakPassword(#[from] WeakPassword),
    #[error("this person is already a member of the tenant")]
    AlreadyMember,
    #[error("this person is an archived member of the tenant: restore them instead")]
    MemberArchived,
    #[error("an invitation for this email is pending: resend it instead")]
    InvitationPending,
    #[error("too many invitations sent today")]
    RateLimited { retry_after_seconds: u64 },
    #[error("the same email was being registered at the same time; try again")]
    Conflict,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// Checks that `caller` may create a member with `role` and `permissions` in their tenant.
pub(crate) fn authorize_grant(
    caller: &TenantCaller,
    role: Role,
    permissions: &PermissionSet,
) -> Result<(), CreateUserError> {
    let own = &caller.rights;
    if !own.can_manage_users() {
        return Err(CreateUserError::Forbidden);
    }
    grants::check_newcomer(own, &caller.tenant, own.role, role, permissions)?;
    Ok(())
}

pub async fn create_user(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    new: NewUser,
) -> Result<Creation, CreateUserError> {
    let reads = InvitationReads::new(tenant_id, &token.quota_subject(), &new.email);
    let (caller, items) = TenantCaller::load_with(app, token, tenant_id, &reads.keys()).await?;
    let state = reads.take(items)?;
    authorize_grant(&caller, new.role, &new.permissions)?;
    // Before the address is looked at: an address with an account would be invited, and a
    // quota spent must not answer it otherwise than one without.
    if let Some(retry_after_seconds) = state.quota_refusal(app, app.clock.now()) {
        return Err(CreateUserError::RateLimited {
            retry_after_seconds,
        });
    }

    if state.login.is_none() {
        return create_account(app, &caller, new)
            .await
            .map(|created| Creation::Created(Box::new(created)));
    }
    let invite = Invite {
        email: new.email,
        role: new.role,
        permissions: new.permissions,
        message: None,
        locale: None,
        team_ids: Vec::new(),
    };
    match send::file(app, &caller, &invite, state, None, Attached::default()).await {
        Ok(Filed::Done(invitation)) => Ok(Creation::Invited(invitation)),
        Ok(Filed::LostARace) => Err(CreateUserError::Conflict),
        Err(e) => Err(match e {
            SendInvitationError::AlreadyMember => CreateUserError::AlreadyMember,
            SendInvitationError::MemberArchived => CreateUserError::MemberArchived,
            SendInvitationError::InvitationPending => CreateUserError::InvitationPending,
            SendInvitationError::RateLimited {
                retry_after_seconds,
            } => CreateUserError::RateLimited {
                retry_after_seconds,
            },
            SendInvitationError::Auth(e) => CreateUserError::Auth(e),
            SendInvitationError::Internal(e) => CreateUserError::Internal(e),
            SendInvitationError::Forbidden => CreateUserError::Forbidden,
            SendInvitationError::Grant(e) => CreateUserError::Grant(e),
            // Admin creation names no team: `file` checks none.
            SendInvitationError::Conflict | SendInvitationError::UnknownTeam(_) => {
                CreateUserError::Conflict
            }
        }),
    }
}

/// Permissions are granted against the catalogue the caller read: the tenant's version is checked
/// in the same transaction, so a catalogue change meanwhile (a permission removed) makes this a
/// conflict instead of a grant of a permission that no longer exists.
fn catalogue_guard(caller: &TenantCaller, new: &NewUser) -> Option<Op> {
    (new.permissions.iter().next().is_some()).then(|| {
        Op::check(
            keys::tenant(caller.tenant.id),
            Condition::VersionIs(caller.tenant.version),
        )
    })
}

fn membership_of(caller: &TenantCaller, new: &NewUser, via: CreatedVia) -> NewMembership {
    NewMembership {
        tenant_id: caller.tenant.id,
        role: new.role,
        permissions: new.permissions.clone(),
        notification_email: new.notification_email.clone(),
        created_via: via,
        created_by: caller.account_id(),
    }
}

/// A new person, ready to be written: the writes (account, login, membership, the password link
/// or the mail, the audit event; no catalogue guard, which the caller adds once per transaction)
/// and what the answer shows.
pub(crate) struct PreparedCreation<'a> {
    pub writes: Writes<'a>,
    pub created: CreatedUser,
}

/// Builds the creation of `new` in the caller's tenant, as `via` (an admin's request or an
/// import, which records its id in the audit event's `details`).
///
/// Kept in one piece: one arm per password mode, each a few lines, around the writes they share.
pub(crate) async fn prepare_creation<'a>(
    app: &'a App,
    caller: &TenantCaller,
    new: &NewUser,
    via: CreatedVia,
    teams: &NewcomerTeams,
    mut details: serde_json::Value,
) -> Result<PreparedCreation<'a>, CreateUserError> {
    let now = app.clock.now();
    let (account, mut login) = new_account(
        app,
        NewAccount {
            email: &new.email,
            first_name: new.first_name.as_str(),
            last_name: new.last_name.as_str(),
            phone: new.phone.clone(),
            locale: new.locale,
        },
        now,
    );
    let mut membership = new_membership(&account, membership_of(caller, new, via), now);
    if let Some(auto_tickets) = new.auto_tickets {
        membership.auto_tickets = auto_tickets;
    }
    let mut writes = Writes::new(app, now);
    let mut generated_password = None;
    // A notice of the new account goes to the member's mail address.
    let (notice, mode) = match &new.password {
        PasswordChoice::Generate => {
            let password = Password::generate(app.random.as_ref());
            set_password(
                app,
                &mut login,
                &password,
                PasswordSetBy::AdminOf {
                    tenant: caller.tenant.id,
                    temporary: true,
                },
                now,
            )
            .await?;
            generated_password = Some(password);
            let mail = new
                .send_credentials
                .then(|| account_created_mail(app, caller, &account, PasswordNote::Generated));
            (mail, "generate")
        }
        PasswordChoice::Set(value) => {
            let context = PersonalContext::new(
                new.email.as_str(),
                new.first_name.as_str(),
                new.last_name.as_str(),
                &[caller.tenant.name.as_str()],
            );
            let password = app
                .config
                .password_policy
                .check(value.expose_secret(), &context)?;
            set_password(
                app,
                &mut login,
                &password,
                PasswordSetBy::AdminOf {
                    tenant: caller.tenant.id,
                    temporary: false,
                },
                now,
            )
            .await?;
            let mail = new
                .send_credentials
                .then(|| account_created_mail(app, caller, &account, PasswordNote::SetByAdmin));
            (mail, "set")
        }
        PasswordChoice::Link => {
            // The link is the person's only way in, so it is sent whatever send_credentials says.
            password_links::mail_choose_password(
                &mut writes,
                &login,
                &caller.tenant,
                Recipient {
                    first_name: &account.first_name,
                    email: &account.email,
                    locale: account.locale,
                },
            )?;
            (None, "link")
        }
        PasswordChoice::None => (None, "none"),
    };
    writes
        .ops(account_ops(&account, &login).context("building the account")?)
        .ops(membership_ops(&membership, &caller.tenant.name).context("building the membership")?);
    teams.join(&mut writes, caller.tenant.id, account.id, caller.actor)?;
    if let Some(notice) = notice {
        writes.mail(&notice, membership.mail_to(), account.locale)?;
    }
    details["password_mode"] = json!(mode);
    details["role"] = json!(membership.role);
    details["created_via"] = json!(membership.created_via);
    writes.audit(AuditEvent {
        tenant: caller.tenant.id,
        action: AuditAction::UserCreated,
        actor: caller.actor,
        subject: Some(account.id),
        details,
    })?;
    Ok(PreparedCreation {
        writes,
        created: CreatedUser {
            user: Member::new(membership, teams.grants(), &caller.tenant),
            generated_password,
        },
    })
}

async fn create_account(
    app: &App,
    caller: &TenantCaller,
    new: NewUser,
) -> Result<CreatedUser, CreateUserError> {
    let PreparedCreation {
        mut writes,
        created,
    } = prepare_creation(
        app,
        caller,
        &new,
        CreatedVia::Admin,
        &NewcomerTeams::read(app, &caller.tenant, &[]).await?,
        json!({}),
    )
    .await?;
    writes.ops(catalogue_guard(caller, &new));
    // Someone registered this email between our read and our write (the login item's
    // condition), or another write raced this one: asking again takes the right path.
    writes
        .commit()
        .await
        .lost_race(CreateUserError::Conflict, "creating the user")?;
    tracing::info!(subject_id = %created.user.membership.account_id, "user created");
    Ok(created)
}

fn account_created_mail(
    app: &App,
    caller: &TenantCaller,
    account: &AccountRecord,
    note: PasswordNote,
) -> MailTemplate {
    MailTemplate::AccountCreated {
        tenant: caller.tenant.name.clone(),
        first_name: account.first_name.clone(),
        email: account.email.clone(),
        sign_in_url: app.config.sign_in_url(),
        note,
    }
}
