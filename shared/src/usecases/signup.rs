//! Self-service organisations, when the deployment turns them on (`USHER_SELF_SERVICE=on`).
//!
//! `POST /v1/signup` only files a job in the outbox and answers 202, the same for every email:
//! whether the email has an account is found out by the job, after the answer. For an address
//! without an account the job mails a verification link (`/signup/{token}`); for one with an
//! account it mails the owner "someone tried to sign up with your address" instead. Nothing
//! else exists until the link is used: then one transaction spends the link and creates the
//! account, the organisation, its owner membership and a session. The login item is put only if
//! absent, so however many sign-ups race for one email, one account comes out.
//!
//! A signed-in person creates another organisation with `POST /v1/me/tenants`.

use std::net::IpAddr;

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::accounts::{
    NewAccount, NewMembership, PasswordSetBy, account_ops, membership_ops, new_account,
    new_membership, set_password,
};
use super::audit::{AuditAction, AuditEvent};
use super::bootstrap_tenant::new_tenant;
use super::commit::Writes;
use super::jobs::{Job, SignupRequest};
use super::password_links::KEPT_AFTER_EXPIRY;
use super::sessions::{self, ClientInfo, SessionKind};
use super::throttle::count_one;
use super::{AccountCaller, AuthError, Context, InternalError};
use crate::app::App;
use crate::domain::{
    EmailAddress, Locale, PermissionSet, PersonName, PersonalContext, Role, TenantName,
    WeakPassword,
};
use crate::keys;
use crate::mail::MailTemplate;
use crate::records::{
    AccountRecord, Actor, CreatedVia, LoginRecord, ThrottleRecord, TokenKind, TokenRecord,
    from_optional, to_item,
};
use crate::settings::TenantSettings;
use crate::table::{Condition, Key, Op, TransactError};
use crate::token::{SecretToken, SessionToken};

#[derive(Debug, thiserror::Error)]
pub enum SignupError {
    #[error("this deployment does not offer self-service sign-up")]
    Off,
    #[error("the link is not valid")]
    LinkUnknown,
    #[error("the link has expired")]
    LinkExpired { locale: Locale },
    #[error("the link was already used")]
    LinkUsed { locale: Locale },
    /// The address got an account since the link was sent (another sign-up, an invitation).
    #[error("this email address has an account now")]
    AccountExists { locale: Locale },
    #[error("the password is too weak: {weak}")]
    Weak { weak: WeakPassword, locale: Locale },
    /// Another request wrote the same items at the same time.
    #[error("the sign-up collided with another; try again")]
    Conflict { locale: Locale },
    #[error("this session may act in one tenant only")]
    SessionConfined,
    #[error("too many organisations created; try again later")]
    RateLimited { retry_after_seconds: u64 },
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl SignupError {
    /// The language of the link's page, when the error comes from a link.
    pub fn locale(&self) -> Option<Locale> {
        match self {
            SignupError::LinkExpired { locale }
            | SignupError::LinkUsed { locale }
            | SignupError::AccountExists { locale }
            | SignupError::Weak { locale, .. }
            | SignupError::Conflict { locale } => Some(*locale),
            _ => None,
        }
    }
}

fn offered(app: &App) -> Result<(), SignupError> {
    if app.config.self_service {
        Ok(())
    } else {
        Err(SignupError::Off)
    }
}

/// `POST /v1/signup`: files the request. The answer is the same whatever the email, and from
/// whatever client: the limits are the job's.
pub async fn request(
    app: &App,
    email: EmailAddress,
    locale: Locale,
    client: Option<IpAddr>,
) -> Result<(), SignupError> {
    offered(app)?;
    let mut writes = Writes::new(app, app.clock.now());
    writes.job(Job::Signup(SignupRequest {
        email,
        locale,
        client: Some(keys::client_bucket(client)),
    }))?;
    writes.commit().await.context("filing the sign-up")?;
    Ok(())
}

/// How often a job that lost the race for the address's mail count reads again and retries.
const COUNT_TRIES: usize = 8;

/// The job behind a sign-up: the verification link or, for an address with an account, the note
/// to its owner; at most `signup_mails` mails to the address and `signup_mails_per_client` for
/// the client's requests in a window, past which the job ends without a mail. `done` deletes the
/// job's outbox item in the same transaction.
pub(crate) async fn run(app: &App, request: SignupRequest, done: Op) -> Result<(), InternalError> {
    for _ in 0..COUNT_TRIES {
        if mail_once(app, &request, done.clone()).await? {
            return Ok(());
        }
    }
    Err(InternalError::new(
        "mailing a sign-up",
        anyhow::anyhow!("lost the race for the mail count {COUNT_TRIES} times"),
    ))
}

/// One try of [`run`]; `false` when another job took the count first.
async fn mail_once(app: &App, request: &SignupRequest, done: Op) -> Result<bool, InternalError> {
    let now = app.clock.now();
    let normalized = request.email.normalized();
    let address_key = keys::signup_mail_throttle(&normalized);
    let client_key = keys::signup_client_throttle(request.client.as_deref().unwrap_or("unknown"));
    let mut items = app
        .table
        .batch_get(&[
            keys::login(&normalized),
            address_key.clone(),
            client_key.clone(),
        ])
        .await
        .context("reading the address")?
        .into_iter();
    let login: Option<LoginRecord> =
        from_optional(items.next().flatten()).context("reading the login item")?;
    let mut count = |key: &Key, limit| -> Result<Option<Op>, InternalError> {
        let current: Option<ThrottleRecord> =
            from_optional(items.next().flatten()).context("reading a limit")?;
        Ok(count_one(key, current.as_ref(), limit, now)
            .context("building a limit")?
            .ok())
    };
    let counts = (
        count(&address_key, app.config.signup_mails)?,
        count(&client_key, app.config.signup_mails_per_client)?,
    );
    let mut writes = Writes::new(app, now);
    writes.op(done);
    if let (Some(address), Some(client)) = counts {
        writes.ops([address, client]);
        match login {
            Some(login) => mail_the_owner(app, &mut writes, &login).await?,
            None => mail_the_link(&mut writes, request)?,
        }
    } else {
        tracing::info!("sign-up answered without a mail: the address or the client had its share");
    }
    match writes.commit().await {
        Ok(()) => Ok(true),
        Err(e)
            if e.failed_on(&address_key)
                || e.failed_on(&client_key)
                || matches!(e, TransactError::Conflict) =>
        {
            Ok(false)
        }
        Err(other) => Err(other).context("mailing a sign-up"),
    }
}

/// "Someone tried to sign up with your address", to the account's own address and language.
async fn mail_the_owner(
    app: &App,
    writes: &mut Writes<'_>,
    login: &LoginRecord,
) -> Result<(), InternalError> {
    let account: Option<AccountRecord> = from_optional(
        app.table
            .get(&keys::account(login.account_id))
            .await
            .context("reading the account")?,
    )
    .context("reading the account")?;
    if let Some(account) = account {
        let mail = MailTemplate::SignupForAnAccount {
            first_name: account.first_name.clone(),
            sign_in_url: app.config.sign_in_url(),
        };
        writes.mail(&mail, &account.email, account.locale)?;
        tracing::info!(account_id = %account.id, "sign-up for an address with an account");
    }
    Ok(())
}

/// The verification link: a 256-bit token stored as its hash, single use, expiring.
fn mail_the_link(writes: &mut Writes<'_>, request: &SignupRequest) -> Result<(), InternalError> {
    let app = writes.app();
    let now = writes.now();
    let valid_for = app.config.signup_link_ttl;
    let secret = SecretToken::generate(app.random.as_ref());
    let record = TokenRecord {
        kind: TokenKind::SignupVerification,
        account_id: None,
        tenant_id: None,
        issued_at: now,
        expires_at: now + valid_for,
        used_at: None,
        email: Some(request.email.clone()),
        login_version: None,
        invitation_id: None,
        invited_by: None,
        registration: None,
        locale: Some(request.locale),
        version: 1,
    };
    let token = Op::put_if(
        to_item(
            &keys::token(&secret.hash()),
            &record,
            Some(record.expires_at + KEPT_AFTER_EXPIRY),
        )
        .context("building the link")?,
        Condition::NotExists,
    );
    let mail = MailTemplate::VerifySignup {
        link: app.config.link(&format!("/signup/{}", secret.expose())),
        valid_for,
    };
    writes
        .op(token)
        .mail(&mail, &request.email, request.locale)?;
    tracing::info!("sign-up link filed");
    Ok(())
}

/// A sign-up link that can still be used: the address it proves, and its language.
pub struct SignupLink {
    pub email: EmailAddress,
    pub locale: Locale,
    key: Key,
    token: TokenRecord,
}

/// Reads the link behind `raw` (the token as it appeared in the URL or the form). One read.
pub async fn open_link(app: &App, raw: &str) -> Result<SignupLink, SignupError> {
    offered(app)?;
    let Some(secret) = SecretToken::parse(raw) else {
        return Err(SignupError::LinkUnknown);
    };
    let key = keys::token(&secret.hash());
    let token: Option<TokenRecord> =
        from_optional(app.table.get(&key).await.context("reading the link")?)
            .context("reading the link")?;
    let Some(token) = token.filter(|t| t.kind == TokenKind::SignupVerification) else {
        return Err(SignupError::LinkUnknown);
    };
    let (Some(email), locale) = (token.email.clone(), token.locale.unwrap_or_default()) else {
        return Err(SignupError::LinkUnknown);
    };
    if token.used_at.is_some() {
        return Err(SignupError::LinkUsed { locale });
    }
    if token.expires_at <= app.clock.now() {
        return Err(SignupError::LinkExpired { locale });
    }
    Ok(SignupLink {
        email,
        locale,
        key,
        token,
    })
}

/// What the person chose on the link's page.
pub struct CompleteSignup {
    pub token: String,
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub organisation: TenantName,
    pub password: SecretString,
    pub origin: ClientInfo,
}

/// A new organisation with its owner, signed in.
pub struct SignedUp {
    pub account: AccountRecord,
    pub tenant: crate::records::TenantRecord,
    pub token: SessionToken,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// `POST /v1/signup/complete`: spends the link and creates the account, the organisation, its
/// owner membership and a session, in one transaction.
pub async fn complete(app: &App, command: CompleteSignup) -> Result<SignedUp, SignupError> {
    let link = open_link(app, &command.token).await?;
    let locale = link.locale;
    let context = PersonalContext::new(
        link.email.as_str(),
        command.first_name.as_str(),
        command.last_name.as_str(),
        &[command.organisation.as_str()],
    );
    let password = app
        .config
        .password_policy
        .check(command.password.expose_secret(), &context)
        .map_err(|weak| SignupError::Weak { weak, locale })?;
    let now = app.clock.now();
    let settings = TenantSettings {
        default_locale: locale,
        ..TenantSettings::default()
    };
    let (tenant, tenant_ops) = new_tenant(app, &command.organisation, settings, Vec::new(), now)?;
    let (account, mut login) = new_account(
        app,
        NewAccount {
            email: &link.email,
            first_name: command.first_name.as_str(),
            last_name: command.last_name.as_str(),
            phone: None,
            locale,
        },
        now,
    );
    set_password(app, &mut login, &password, PasswordSetBy::Person, now).await?;
    let membership = owner_membership(&account, &tenant, now);
    let (token, session, session_ops) = sessions::open(
        app,
        &account,
        SessionKind {
            password_change_only: false,
            confined_to: None,
        },
        &command.origin,
        now,
    )?;
    let used = TokenRecord {
        used_at: Some(now),
        version: link.token.version + 1,
        ..link.token.clone()
    };
    let mut writes = Writes::new(app, now);
    writes
        .ops(tenant_ops)
        .ops(account_ops(&account, &login).context("building the account")?)
        .ops(membership_ops(&membership, &tenant.name).context("building the membership")?)
        .ops(session_ops)
        .op(Op::put_if(
            to_item(&link.key, &used, Some(used.expires_at + KEPT_AFTER_EXPIRY))
                .context("building the link")?,
            Condition::VersionIs(link.token.version),
        ))
        .audit(AuditEvent {
            tenant: tenant.id,
            action: AuditAction::TenantCreated,
            actor: Actor::Account(account.id),
            subject: Some(account.id),
            details: json!({"self_service": true, "signed_up": true}),
        })?;
    let login_key = keys::login(&link.email.normalized());
    match writes.commit().await {
        Ok(()) => {}
        Err(e) if e.failed_on(&login_key) => return Err(SignupError::AccountExists { locale }),
        Err(e) if e.failed_on(&link.key) => return Err(SignupError::LinkUsed { locale }),
        Err(TransactError::Conflict) => return Err(SignupError::Conflict { locale }),
        Err(other) => return Err(other).context("creating the organisation")?,
    }
    tracing::info!(tenant_id = %tenant.id, account_id = %account.id, "organisation signed up");
    Ok(SignedUp {
        account,
        tenant,
        token,
        expires_at: session.expires_at,
    })
}

/// `POST /v1/me/tenants`: a signed-in person creates another organisation, and is its owner.
/// A session of a password another tenant's admin set may not: that admin could use it.
pub async fn create_another(
    app: &App,
    token: &SessionToken,
    name: TenantName,
) -> Result<crate::records::TenantRecord, SignupError> {
    offered(app)?;
    let now = app.clock.now();
    let throttle_key = keys::organisation_throttle(token.account_id);
    let (caller, throttle) = tokio::join!(
        AccountCaller::load(app, token, false),
        app.table.get(&throttle_key)
    );
    let caller = caller?;
    if caller.session.confined_to.is_some() {
        return Err(SignupError::SessionConfined);
    }
    let throttle: Option<ThrottleRecord> =
        from_optional(throttle.context("reading the limit")?).context("reading the limit")?;
    let count = count_one(
        &throttle_key,
        throttle.as_ref(),
        app.config.organisations_per_account,
        now,
    )
    .context("building the limit")?
    .map_err(|retry_after_seconds| SignupError::RateLimited {
        retry_after_seconds,
    })?;
    let account = &caller.account;
    let settings = TenantSettings {
        default_locale: account.locale,
        ..TenantSettings::default()
    };
    let (tenant, tenant_ops) = new_tenant(app, &name, settings, Vec::new(), now)?;
    let membership = owner_membership(account, &tenant, now);
    let mut writes = Writes::new(app, now);
    writes
        .ops(tenant_ops)
        .ops(membership_ops(&membership, &tenant.name).context("building the membership")?)
        .op(count)
        .audit(AuditEvent {
            tenant: tenant.id,
            action: AuditAction::TenantCreated,
            actor: Actor::Account(account.id),
            subject: Some(account.id),
            details: json!({"self_service": true}),
        })?;
    match writes.commit().await {
        Ok(()) => {}
        // Another creation took the count at the same time: try again.
        Err(e) if e.failed_on(&throttle_key) || matches!(e, TransactError::Conflict) => {
            return Err(SignupError::Conflict {
                locale: account.locale,
            });
        }
        Err(other) => return Err(other).context("creating the organisation")?,
    }
    tracing::info!(tenant_id = %tenant.id, account_id = %account.id, "organisation created by its owner");
    Ok(tenant)
}

fn owner_membership(
    account: &AccountRecord,
    tenant: &crate::records::TenantRecord,
    now: chrono::DateTime<chrono::Utc>,
) -> crate::records::MembershipRecord {
    new_membership(
        account,
        NewMembership {
            tenant_id: tenant.id,
            role: Role::Owner,
            permissions: PermissionSet::default(),
            notification_email: None,
            created_via: CreatedVia::SelfService,
            created_by: Some(account.id),
        },
        now,
    )
}
