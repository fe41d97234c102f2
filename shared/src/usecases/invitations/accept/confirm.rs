//! Registering with an address other than the invited one: the confirmation mailed to that
//! address, its page, and the account it creates once opened.

use super::*;
use crate::records::Actor;
use crate::usecases::AuditAction;
use crate::usecases::sessions::{ClientInfo, SessionKind};

/// What a link holder asked for when registering another address.
pub(super) struct Asked {
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub email: EmailAddress,
    pub locale: Locale,
    /// Whether the address has an account: it decides the mail, never the answer.
    pub has_account: bool,
}

/// Registering with an address other than the invited one: nobody has shown that address is
/// theirs, so nothing is created yet. A confirmation link goes to it, keeping the names typed;
/// its owner chooses the password when they open it. An address that has an account is told so
/// by mail instead, and the answer is the same.
///
/// At most [`InvitationRecord::MAX_CONFIRMATIONS`] such requests per invitation, and one
/// pending per address (a second answers alike and mails nothing): a link holder cannot fill
/// inboxes, and the admins' invitation quota is not theirs to spend.
///
/// Kept in one piece: the stored registration and its one transaction.
pub(super) async fn send_confirmation(
    app: &App,
    link: &OpenedLink,
    asked: Asked,
    pending: Option<PendingConfirmationRecord>,
) -> Result<Acceptance, AcceptError> {
    let now = app.clock.now();
    let tenant = &link.tenant;
    let invitation = &link.invitation;
    let sent = Acceptance::ConfirmationSent {
        email: asked.email.clone(),
        locale: asked.locale,
    };
    if pending.as_ref().is_some_and(|p| p.expires_at > now) {
        return Ok(sent);
    }
    if invitation.confirmations >= InvitationRecord::MAX_CONFIRMATIONS {
        return Err(AcceptError::TooManyRegistrations);
    }
    let valid_for = app.config.registration_confirmation_ttl;
    let expires_at = (now + valid_for).min(invitation.expires_at);
    let mut writes = Writes::new(app, now);
    let marker_key = keys::pending_confirmation(tenant.id, &asked.email.normalized());
    let marker = PendingConfirmationRecord {
        expires_at,
        version: pending.as_ref().map_or(1, |p| p.version + 1),
    };
    writes.ops([
        // Counted on the invitation as read: still pending, with this link.
        Op::put_if(
            to_item(
                &keys::invitation(tenant.id, invitation.id),
                &InvitationRecord {
                    confirmations: invitation.confirmations + 1,
                    version: invitation.version + 1,
                    ..invitation.clone()
                },
                None,
            )
            .context("building the invitation")?,
            Condition::VersionIs(invitation.version),
        ),
        Op::put_if(
            to_item(&marker_key, &marker, Some(expires_at))
                .context("building the pending confirmation")?,
            pending
                .as_ref()
                .map_or(Condition::NotExists, |p| Condition::VersionIs(p.version)),
        ),
    ]);
    if asked.has_account {
        let mail = MailTemplate::RegistrationForAnAccount {
            tenant: tenant.name.clone(),
        };
        writes.mail(&mail, &asked.email, asked.locale)?;
    } else {
        let secret = SecretToken::generate(app.random.as_ref());
        let record = TokenRecord {
            kind: TokenKind::RegistrationConfirmation,
            account_id: None,
            tenant_id: Some(tenant.id),
            issued_at: now,
            expires_at,
            used_at: None,
            email: Some(asked.email.clone()),
            login_version: None,
            invitation_id: Some(invitation.id),
            invited_by: invitation.inviter_id,
            registration: Some(PendingRegistration {
                first_name: asked.first_name.as_str().to_owned(),
                last_name: asked.last_name.as_str().to_owned(),
                locale: asked.locale,
            }),
            locale: None,
            version: 1,
        };
        let mail = MailTemplate::ConfirmRegistration {
            tenant: tenant.name.clone(),
            link: app
                .config
                .link(&format!("/invite/confirm/{}", secret.expose())),
            valid_for: expires_at - now,
        };
        writes
            .op(Op::put_if(
                to_item(
                    &keys::token(&secret.hash()),
                    &record,
                    Some(expires_at + crate::usecases::password_links::KEPT_AFTER_EXPIRY),
                )
                .context("building the confirmation link")?,
                Condition::NotExists,
            ))
            .mail(&mail, &asked.email, asked.locale)?;
    }
    // The same event either way: the tenant's admins read the log, and it must not tell them
    // which addresses have an account.
    writes.audit(AuditEvent {
        tenant: tenant.id,
        action: AuditAction::InvitationConfirmationSent,
        actor: Actor::System,
        subject: None,
        details: json!({"invitation_id": invitation.id, "email": asked.email}),
    })?;
    match writes.commit().await {
        Ok(()) => {}
        // Another request for this address won: it is pending, which answers alike.
        Err(e) if e.failed_on(&marker_key) => return Ok(sent),
        Err(e) if e.failed_on(&keys::invitation(tenant.id, invitation.id)) => {
            return Err(why_changed(app, link).await);
        }
        other => other.lost_race(AcceptError::Conflict, "filing the confirmation")?,
    }
    tracing::info!(invitation_id = %invitation.id, "registration waits for its address");
    Ok(sent)
}

/// What the confirmation page shows.
pub struct ConfirmationPreview {
    pub state: LinkState,
    pub tenant_name: Option<String>,
    pub email: Option<EmailAddress>,
    pub locale: Option<Locale>,
}

/// `GET /invite/confirm/{token}`: the confirmation link, without using it (a mail scanner that
/// opens links must not register anyone).
pub async fn inspect_confirmation(
    app: &App,
    raw: &str,
) -> Result<ConfirmationPreview, InternalError> {
    let unknown = ConfirmationPreview {
        state: LinkState::Unknown,
        tenant_name: None,
        email: None,
        locale: None,
    };
    let Some((token_key, token, _)) =
        read_token(app, raw, TokenKind::RegistrationConfirmation, &[]).await?
    else {
        return Ok(unknown);
    };
    let locale = token.registration.as_ref().map(|r| r.locale);
    let email = token.email.clone();
    let Some((link, _)) = open(app, token_key, token, &[]).await? else {
        return Ok(unknown);
    };
    Ok(ConfirmationPreview {
        state: link.state,
        tenant_name: Some(link.tenant.name),
        email,
        locale,
    })
}

/// `POST /v1/invitations/confirm`: the address is proven; the account and the membership are
/// created as the registration asked.
pub async fn confirm_registration(
    app: &App,
    raw: &str,
    password: SecretString,
) -> Result<Joined, AcceptError> {
    let now = app.clock.now();
    let (token_key, token, _) = read_token(app, raw, TokenKind::RegistrationConfirmation, &[])
        .await?
        .ok_or(AcceptError::Invalid)?;
    let (Some(email), Some(registration)) = (token.email.clone(), token.registration.clone())
    else {
        return Err(AcceptError::Invalid);
    };
    let (link, extra) = open(app, token_key, token, &[keys::login(&email.normalized())])
        .await?
        .ok_or(AcceptError::Invalid)?;
    refuse_unless_usable(link.state)?;
    // The tenant may have changed its policy since.
    check_policy(&link, &email)?;
    if extra.into_iter().next().flatten().is_some() {
        return Err(AcceptError::AccountExists);
    }
    let context = PersonalContext::new(
        email.as_str(),
        &registration.first_name,
        &registration.last_name,
        &[link.tenant.name.as_str()],
    );
    let password = app
        .config
        .password_policy
        .check(password.expose_secret(), &context)?;
    let (account, mut login) = new_account(
        app,
        NewAccount {
            email: &email,
            first_name: &registration.first_name,
            last_name: &registration.last_name,
            phone: None,
            locale: registration.locale,
        },
        now,
    );
    // Chosen now, by whoever holds the link mailed to the address.
    set_password(app, &mut login, &password, PasswordSetBy::Person, now).await?;
    let joining = Joining {
        account,
        login: JoiningLogin::Created(login),
        membership: None,
        session: SessionChoice::New(
            SessionKind {
                password_change_only: false,
                confined_to: None,
            },
            ClientInfo::default(),
        ),
        extra: Vec::new(),
        how: "confirmed",
    };
    join(app, &link, joining).await
}
