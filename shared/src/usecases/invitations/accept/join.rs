//! The one transaction that makes an invitee a member.

use super::*;
use crate::records::Actor;
use crate::records::MembershipStatus;
use crate::usecases::AuditAction;
use crate::usecases::lifecycle::membership_writes;
use crate::usecases::sessions::{self, ClientInfo, SessionKind};
use crate::usecases::team_members::NewcomerTeams;

pub(super) enum SessionChoice {
    /// A new session, of this kind; where it came from is the accepting request's.
    New(SessionKind, ClientInfo),
    Existing {
        token: SessionToken,
        expires_at: DateTime<Utc>,
    },
}

/// The login item of the account that joins.
pub(super) enum JoiningLogin {
    /// An account created now, with this login item.
    Created(LoginRecord),
    /// An account that exists; its login item stays as it is.
    Existing,
    /// An account that exists, whose password an admin of another tenant knows (as read here):
    /// the invitation came to the login address, which proves it the person's, so the password
    /// is freed and every session made with it before ends.
    Proved(LoginRecord),
}

/// The account that joins, and what else its transaction carries.
pub(super) struct Joining {
    pub account: AccountRecord,
    pub login: JoiningLogin,
    /// The account's membership here as read: one kept from the person's mail waits for this
    /// acceptance to open (see [`MembershipRecord::needs_consent`]); any other means the person is
    /// in already.
    pub membership: Option<MembershipRecord>,
    pub session: SessionChoice,
    pub extra: Vec<Op>,
    /// How the person proved who they are, for the audit log.
    pub how: &'static str,
}

/// The one transaction that makes an invitee a member: the link claimed, the invitation
/// accepted and its pending marker removed, the account (when new), the membership, the
/// session, the mails, the announcement job and the audit event.
///
/// Kept in one piece (the link's claim, the session and the mails are helpers): the rest is the
/// one transaction whose failed keys are told apart below.
pub(super) async fn join(
    app: &App,
    link: &OpenedLink,
    joining: Joining,
) -> Result<Joined, AcceptError> {
    let now = app.clock.now();
    let tenant = &link.tenant;
    let invitation = &link.invitation;
    let mut account = joining.account;
    // A permission retired from the catalogue since the invitation was sent is not granted.
    let permissions = tenant.grantable(invitation.permissions.iter());
    let invitation_key = keys::invitation(tenant.id, invitation.id);
    let membership_key = keys::membership(tenant.id, account.id);
    let login_key = keys::login(&account.email.normalized());
    let mut writes = Writes::new(app, now);
    claim(&mut writes, link, account.id)?;
    let is_new = matches!(joining.login, JoiningLogin::Created(_));
    match &joining.login {
        JoiningLogin::Created(login) => {
            writes.ops(account_ops(&account, login).context("building the account")?)
        }
        // The login item still names this account (no re-registration in between).
        JoiningLogin::Existing => writes.op(Op::check(
            login_key.clone(),
            Condition::AttributeEquals("account_id".into(), account.id.to_string().into()),
        )),
        JoiningLogin::Proved(login) => {
            account = prove_address(&mut writes, &account, login, &login_key)?;
            &mut writes
        }
    };
    let membership = match joining.membership {
        Some(recorded) if recorded.needs_consent && recorded.status == MembershipStatus::Active => {
            let opened = MembershipRecord {
                first_name: account.first_name.clone(),
                last_name: account.last_name.clone(),
                phone: account.phone.clone(),
                locale: account.locale,
                role: invitation.role,
                permissions: permissions.clone(),
                // The tenant's identity provider may have turned the person off meanwhile.
                access: recorded.scim.as_ref().is_none_or(|scim| scim.active),
                needs_consent: false,
                name_source: None,
                updated_at: now,
                version: recorded.version + 1,
                ..recorded.clone()
            };
            writes.ops(membership_writes(&recorded, &opened, &tenant.name)?);
            opened
        }
        Some(_) => return Err(AcceptError::AlreadyMember),
        None => {
            let membership = new_membership(
                &account,
                NewMembership {
                    tenant_id: tenant.id,
                    role: invitation.role,
                    permissions: permissions.clone(),
                    notification_email: None,
                    created_via: CreatedVia::Invitation,
                    created_by: invitation.inviter_id,
                },
                now,
            );
            writes
                .ops(membership_ops(&membership, &tenant.name).context("building the membership")?);
            // A newcomer joins the tenant's default teams and those the invitation names.
            NewcomerTeams::read(app, tenant, &invitation.team_ids)
                .await?
                .join(
                    &mut writes,
                    tenant.id,
                    account.id,
                    Actor::Account(account.id),
                )?;
            membership
        }
    };
    if permissions.iter().next().is_some() {
        writes.op(Op::check(
            keys::tenant(tenant.id),
            Condition::VersionIs(tenant.version),
        ));
    }
    let (session, session_expires_at) = open_session(&mut writes, &account, joining.session)?;
    let continue_url = app.config.after_joining_url(&tenant.settings);
    tell(&mut writes, link, &account, &continue_url)?;
    writes.ops(joining.extra).audit(AuditEvent {
        tenant: tenant.id,
        action: AuditAction::InvitationAccepted,
        actor: Actor::Account(account.id),
        subject: Some(account.id),
        details: json!({
            "invitation_id": invitation.id, "invited_by": invitation.inviter_id,
            "invited_email": invitation.email, "email": account.email,
            "role": invitation.role, "permissions": permissions.names(),
            "sent_at": invitation.created_at, "new_account": is_new, "proved_by": joining.how,
        }),
    })?;
    match writes.commit().await {
        Ok(()) => {}
        Err(e) if e.failed_on(&link.token_key) => return Err(AcceptError::Used),
        Err(e) if e.failed_on(&invitation_key) => return Err(why_changed(app, link).await),
        Err(e) if e.failed_on(&membership_key) => return Err(AcceptError::AlreadyMember),
        Err(e) if is_new && e.failed_on(&login_key) => return Err(AcceptError::AccountExists),
        other => other.lost_race(AcceptError::Conflict, "joining the tenant")?,
    }
    tracing::info!(invitation_id = %invitation.id, account_id = %account.id, new_account = is_new, "invitation accepted");
    let locale = account.locale;
    Ok(Joined {
        account,
        membership,
        tenant_name: tenant.name.clone(),
        session,
        session_expires_at,
        continue_url,
        locale,
    })
}

/// Frees the confined password of `login` (the invitation came to its address) and moves the
/// account to a new session epoch, ending every session made while an admin knew the password.
/// Returns the account as written, whose epoch the new session takes.
fn prove_address(
    writes: &mut Writes<'_>,
    account: &AccountRecord,
    login: &LoginRecord,
    login_key: &Key,
) -> Result<AccountRecord, InternalError> {
    let now = writes.now();
    let freed = LoginRecord {
        confined_to: None,
        version: login.version + 1,
        ..login.clone()
    };
    let moved = AccountRecord {
        session_epoch: account.session_epoch + 1,
        updated_at: now,
        version: account.version + 1,
        ..account.clone()
    };
    writes.ops([
        Op::put_if(
            to_item(login_key, &freed, None).context("building the login")?,
            Condition::VersionIs(login.version),
        ),
        Op::put_if(
            to_item(&keys::account(account.id), &moved, None).context("building the account")?,
            Condition::VersionIs(account.version),
        ),
    ]);
    Ok(moved)
}

/// The link claimed, the invitation accepted and its pending marker removed, each against what
/// was read: of two accepts, or an accept and a revoke or resend, one wins.
fn claim(
    writes: &mut Writes<'_>,
    link: &OpenedLink,
    account: crate::domain::AccountId,
) -> Result<(), InternalError> {
    let now = writes.now();
    let (tenant, invitation) = (&link.tenant, &link.invitation);
    writes.ops([
        Op::put_if(
            to_item(
                &link.token_key,
                &TokenRecord {
                    used_at: Some(now),
                    version: link.token.version + 1,
                    ..link.token.clone()
                },
                Some(
                    link.token.expires_at.max(now)
                        + crate::usecases::password_links::KEPT_AFTER_EXPIRY,
                ),
            )
            .context("building the link")?,
            Condition::VersionIs(link.token.version),
        ),
        Op::put_if(
            to_item(
                &keys::invitation(tenant.id, invitation.id),
                &InvitationRecord {
                    status: InvitationStatus::Accepted,
                    accepted_at: Some(now),
                    accepted_by: Some(account),
                    updated_at: now,
                    version: invitation.version + 1,
                    ..invitation.clone()
                },
                None,
            )
            .context("building the invitation")?,
            Condition::VersionIs(invitation.version),
        ),
        Op::delete_if(
            keys::pending_invitation(tenant.id, &invitation.email.normalized()),
            Condition::AttributeEquals("invitation_id".into(), invitation.id.to_string().into()),
        ),
    ]);
    Ok(())
}

/// The session the person leaves with: a new one (only for changing a temporary password, when
/// they signed in with one), or the one they came with.
fn open_session(
    writes: &mut Writes<'_>,
    account: &AccountRecord,
    choice: SessionChoice,
) -> Result<(SessionToken, DateTime<Utc>), InternalError> {
    let (kind, client) = match choice {
        SessionChoice::Existing { token, expires_at } => return Ok((token, expires_at)),
        SessionChoice::New(kind, client) => (kind, client),
    };
    let (token, record, ops) = sessions::open(writes.app(), account, kind, &client, writes.now())?;
    writes.ops(ops);
    Ok((token, record.expires_at))
}

/// The newcomer is welcomed, the inviter told, and, where the tenant wants it, every member.
fn tell(
    writes: &mut Writes<'_>,
    link: &OpenedLink,
    account: &AccountRecord,
    continue_url: &str,
) -> Result<(), InternalError> {
    let tenant = &link.tenant;
    let member_name = format!("{} {}", account.first_name, account.last_name);
    writes.mail(
        &MailTemplate::Welcome {
            tenant: tenant.name.clone(),
            first_name: account.first_name.clone(),
            url: continue_url.to_owned(),
        },
        &account.email,
        account.locale,
    )?;
    if let Some(inviter) = link.inviter.as_ref().filter(|m| m.is_usable()) {
        writes.mail(
            &MailTemplate::InvitationAccepted {
                tenant: tenant.name.clone(),
                first_name: inviter.first_name.clone(),
                member_name: member_name.clone(),
                member_email: account.email.clone(),
            },
            inviter.mail_to(),
            inviter.locale,
        )?;
    }
    if tenant.settings.announce_new_members {
        writes.job(Job::AnnounceMember(Announcement {
            tenant_id: tenant.id,
            tenant_name: tenant.name.clone(),
            member_id: account.id,
            member_name,
            after: None,
        }))?;
    }
    Ok(())
}
