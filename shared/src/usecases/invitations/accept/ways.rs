//! The three ways an invitee accepts: signing in to the account they have, registering, or with
//! a session they hold.

use super::*;
use crate::usecases::sessions::{ClientInfo, SessionKind};

pub(super) async fn accept_signing_in(
    app: &App,
    raw: &str,
    email: EmailAddress,
    password: PasswordAttempt,
    new_password: Option<SecretString>,
    client: Option<IpAddr>,
) -> Result<Acceptance, AcceptError> {
    let now = app.clock.now();
    let normalized = email.normalized();
    let attempts = PasswordAttempts::new(&normalized, client);
    let login_key = keys::login(&normalized);
    let mut more = vec![login_key.clone()];
    more.extend(attempts.keys());
    let (token_key, token, mut extra) = read_token(app, raw, TokenKind::Invitation, &more)
        .await?
        .ok_or(AcceptError::Invalid)?;
    let counts = PasswordAttempts::counts_from(&mut extra)?;
    let login: Option<LoginRecord> =
        from_optional(extra.pop().flatten()).context("reading the login item")?;
    // What the token alone says is answered before any password is tried, or any attempt
    // counted against the person.
    if token.used_at.is_some() {
        return Err(AcceptError::Used);
    }
    if token.expires_at <= now {
        return Err(AcceptError::Expired);
    }
    // The account and its membership here (one kept from mail waits for this acceptance).
    let account_keys: Vec<Key> = match (&login, token.tenant_id) {
        (Some(l), Some(tenant)) => vec![
            keys::account(l.account_id),
            keys::membership(tenant, l.account_id),
        ],
        _ => Vec::new(),
    };
    let (reserved, opened) = tokio::join!(
        attempts.reserve(app, counts, now),
        open(app, token_key, token, &account_keys),
    );
    let (link, extra) = opened?.ok_or(AcceptError::Invalid)?;
    refuse_unless_usable(link.state)?;
    check_policy(&link, &email)?;
    let client_failures = reserved?;
    // As in sign-in: no account, no password or an expired temporary one all verify against the
    // dummy hash, at the cost of a wrong password.
    let usable_hash = login
        .as_ref()
        .filter(|l| l.temporary_until.is_none_or(|until| until > now))
        .and_then(|l| l.password_hash.as_ref());
    let matched = app
        .hasher
        .verify(&password, usable_hash)
        .await
        .context("verifying a password")?;
    let mut extra = extra.into_iter();
    let account: Option<AccountRecord> =
        from_optional(extra.next().flatten()).context("reading the account")?;
    let membership: Option<MembershipRecord> =
        from_optional(extra.next().flatten()).context("reading the membership")?;
    // A password an admin of another tenant knows opens this one only through an invitation
    // mailed to the login address itself, which the link proves the person holds; otherwise it
    // is a wrong password here, answered and counted as one.
    let proves_address = link.invitation.email.same_as(&email);
    let usable = |l: &LoginRecord| l.opens(link.tenant.id) || proves_address;
    let (Some(login), Some(account)) = (login.filter(|l| matched && usable(l)), account) else {
        attempts.count_failure(app, client_failures, now).await?;
        return Err(AcceptError::InvalidCredentials);
    };
    let (login, confined_to, password_change_only) = if login.opens(link.tenant.id) {
        let confined_to = login.confined_to;
        let temporary = login.temporary_until.is_some();
        (JoiningLogin::Existing, confined_to, temporary)
    } else {
        // The invitation came to the login address, which proves it the person's; but the
        // other tenant's admin still knows this password. Joining replaces it with one of the
        // person's own, so nothing that admin knows opens this tenant.
        let Some(new_password) = new_password else {
            return Err(AcceptError::NewPasswordRequired);
        };
        let chosen = app
            .config
            .password_policy
            .check(new_password.expose_secret(), &account.password_context())
            .map_err(AcceptError::WeakNewPassword)?;
        if chosen.expose() == password.expose() {
            return Err(AcceptError::NewPasswordReused);
        }
        let hash = app
            .hasher
            .hash(&chosen, app.random.as_ref())
            .await
            .context("hashing a password")?;
        let replaced = LoginRecord {
            password_hash: Some(hash),
            password_changed_at: Some(now),
            temporary_until: None,
            ..login
        };
        (JoiningLogin::Proved(replaced), None, false)
    };
    let joining = Joining {
        account,
        login,
        membership,
        session: SessionChoice::New(
            SessionKind {
                password_change_only,
                confined_to,
            },
            ClientInfo::new(client, None),
        ),
        extra: attempts.cleared().to_vec(),
        how: "existing",
    };
    join(app, &link, joining).await.map(boxed)
}

pub(super) struct Registration {
    pub first_name: PersonName,
    pub last_name: PersonName,
    /// Required for the invited address; absent for another one, whose owner chooses theirs
    /// when they confirm it.
    pub password: Option<SecretString>,
    pub email: Option<EmailAddress>,
    pub locale: Option<Locale>,
}

/// Registering: with the invited address the account is made now; with another one (policy
/// `any`) a confirmation is mailed to it. The answer to the latter is the same whether the
/// address has an account or not (its owner is told either way, by mail): nothing about it is
/// read before the answer is decided.
pub(super) async fn accept_registering(
    app: &App,
    raw: &str,
    registration: Registration,
) -> Result<Acceptance, AcceptError> {
    let now = app.clock.now();
    let (token_key, token, _) = read_token(app, raw, TokenKind::Invitation, &[])
        .await?
        .ok_or(AcceptError::Invalid)?;
    let invited = token.email.clone().ok_or(AcceptError::Invalid)?;
    let email = registration
        .email
        .clone()
        .unwrap_or_else(|| invited.clone());
    let other_address = !email.same_as(&invited);
    let tenant_id = token.tenant_id.ok_or(AcceptError::Invalid)?;
    let mut more = vec![keys::login(&email.normalized())];
    if other_address {
        more.push(keys::pending_confirmation(tenant_id, &email.normalized()));
    }
    let (link, extra) = open(app, token_key, token, &more)
        .await?
        .ok_or(AcceptError::Invalid)?;
    refuse_unless_usable(link.state)?;
    check_policy(&link, &email)?;
    let mut extra = extra.into_iter();
    let login = extra.next().flatten();
    let locale = registration
        .locale
        .or(link.invitation.locale)
        .unwrap_or(link.tenant.settings.default_locale);
    if other_address {
        if registration.password.is_some() {
            return Err(AcceptError::PasswordNotYours);
        }
        let pending: Option<PendingConfirmationRecord> =
            from_optional(extra.next().flatten()).context("reading the pending confirmation")?;
        let asked = Asked {
            first_name: registration.first_name,
            last_name: registration.last_name,
            email,
            locale,
            has_account: login.is_some(),
        };
        return send_confirmation(app, &link, asked, pending).await;
    }
    if login.is_some() {
        return Err(AcceptError::AccountExists);
    }
    let context = PersonalContext::new(
        email.as_str(),
        registration.first_name.as_str(),
        registration.last_name.as_str(),
        &[link.tenant.name.as_str()],
    );
    let typed = registration.password.ok_or(AcceptError::PasswordRequired)?;
    let password = app
        .config
        .password_policy
        .check(typed.expose_secret(), &context)?;
    let (account, mut login) = new_account(
        app,
        NewAccount {
            email: &email,
            first_name: registration.first_name.as_str(),
            last_name: registration.last_name.as_str(),
            phone: None,
            locale,
        },
        now,
    );
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
        how: "new",
    };
    join(app, &link, joining).await.map(boxed)
}

pub(super) async fn accept_with_session(
    app: &App,
    raw: &str,
    session: SessionToken,
) -> Result<Acceptance, AcceptError> {
    let (token_key, token, extra) = read_token(
        app,
        raw,
        TokenKind::Invitation,
        &AccountCaller::keys(&session),
    )
    .await?
    .ok_or(AcceptError::Invalid)?;
    let caller = AccountCaller::from_items(&session, extra, app.clock.now(), false)?;
    let membership_key = token
        .tenant_id
        .map(|tenant| keys::membership(tenant, caller.account.id));
    let (link, extra) = open(app, token_key, token, membership_key.as_slice())
        .await?
        .ok_or(AcceptError::Invalid)?;
    // A session of a password an admin elsewhere knows is no session here.
    if !caller.session.opens(link.tenant.id) {
        return Err(AuthError::Unauthenticated.into());
    }
    refuse_unless_usable(link.state)?;
    check_policy(&link, &caller.account.email)?;
    let membership: Option<MembershipRecord> =
        from_optional(extra.into_iter().next().flatten()).context("reading the membership")?;
    let joining = Joining {
        account: caller.account,
        login: JoiningLogin::Existing,
        membership,
        session: SessionChoice::Existing {
            token: session,
            expires_at: caller.session.expires_at,
        },
        extra: Vec::new(),
        how: "session",
    };
    join(app, &link, joining).await.map(boxed)
}
