//! Registering with an address other than the invited one: the confirmation mailed to that
//! address, its page, and the account it creates once opened.

use super::*;
use crate::usecases::AuditAction;

/// Registering with an address other than the invited one: nobody has shown that address is
/// theirs, so nothing is created yet. What they typed waits in a confirmation link mailed to
/// that address (the password only as its hash); opening it creates the account and the
/// membership. Each such mail counts in the tenant's invitation quota, so a link holder cannot
/// use Usher to mail strangers at will.
///
/// Kept in one piece: the stored registration and its one counted transaction.
pub(super) async fn send_confirmation(
    app: &App,
    link: &OpenedLink,
    registration: Registration,
    email: EmailAddress,
    locale: Locale,
    quota: Option<ThrottleRecord>,
    password: crate::domain::Password,
) -> Result<Acceptance, AcceptError> {
    let now = app.clock.now();
    let tenant = &link.tenant;
    let quota_key = keys::tenant_invitation_throttle(tenant.id);
    let password_hash = app
        .hasher
        .hash(&password, app.random.as_ref())
        .await
        .context("hashing a password")?;
    let valid_for = app.config.registration_confirmation_ttl;
    let expires_at = (now + valid_for).min(link.invitation.expires_at);
    let secret = SecretToken::generate(app.random.as_ref());
    let record = TokenRecord {
        kind: TokenKind::RegistrationConfirmation,
        account_id: None,
        tenant_id: Some(tenant.id),
        issued_at: now,
        expires_at,
        used_at: None,
        email: Some(email.clone()),
        login_version: None,
        invitation_id: Some(link.invitation.id),
        invited_by: Some(link.invitation.inviter_id),
        registration: Some(PendingRegistration {
            first_name: registration.first_name.as_str().to_owned(),
            last_name: registration.last_name.as_str().to_owned(),
            locale,
            password_hash,
        }),
        version: 1,
    };
    let mail = MailTemplate::ConfirmRegistration {
        tenant: tenant.name.clone(),
        first_name: registration.first_name.as_str().to_owned(),
        link: app
            .config
            .link(&format!("/invite/confirm/{}", secret.expose())),
        valid_for: expires_at - now,
    };
    let mut writes = Writes::new(app, now);
    writes
        .ops([
            Op::put_if(
                to_item(
                    &keys::token(&secret.hash()),
                    &record,
                    Some(expires_at + crate::usecases::password_links::KEPT_AFTER_EXPIRY),
                )
                .context("building the confirmation link")?,
                Condition::NotExists,
            ),
            // Only for an invitation still as read: pending, with this link.
            Op::check(
                keys::invitation(tenant.id, link.invitation.id),
                Condition::VersionIs(link.invitation.version),
            ),
        ])
        .mail(&mail, &email, locale)?
        .audit(AuditEvent {
            tenant: tenant.id,
            action: AuditAction::InvitationConfirmationSent,
            actor: None,
            subject: None,
            details: json!({"invitation_id": link.invitation.id, "email": email}),
        })?;
    let counts = [(quota_key, app.config.invitations_per_tenant)];
    match transact_counting(writes, &counts, vec![quota]).await {
        Ok(Counted::Committed) => {}
        Ok(Counted::LimitReached(retry_after_seconds)) => {
            return Err(AcceptError::RateLimited {
                retry_after_seconds,
            });
        }
        Err(other) => Err(other).lost_race(AcceptError::Conflict, "filing the confirmation")?,
    }
    tracing::info!(invitation_id = %link.invitation.id, "registration waits for its address");
    Ok(Acceptance::ConfirmationSent { email, locale })
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
pub async fn confirm_registration(app: &App, raw: &str) -> Result<Joined, AcceptError> {
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
    login.password_hash = Some(registration.password_hash);
    login.password_changed_at = Some(now);
    let joining = Joining {
        account,
        login: JoiningLogin::Created(login),
        membership: None,
        session: SessionChoice::New {
            password_change_only: false,
            confined_to: None,
        },
        extra: Vec::new(),
        how: "confirmed",
    };
    join(app, &link, joining).await
}
