//! The emailed links that set a password, `{public_url}/reset/{token}`: the first-password link of
//! an account created with password mode `link` (7 days, "choose your password"), the link a
//! person asks for when they forgot their password (60 minutes) and the one an admin asks for (24
//! hours). One mechanism for all three: a 256-bit token stored only as its SHA-256, single use,
//! expiring, and dead once the password changes after it was issued.

use chrono::{DateTime, Duration, Utc};

use super::accounts::read_account_with_tenants;
use super::commit::Writes;
use super::{Context, InternalError};
use crate::app::App;
use crate::domain::{EmailAddress, Locale, TenantId};
use crate::keys;
use crate::mail::MailTemplate;
use crate::records::{
    AccountRecord, AccountTenantRecord, LoginRecord, MembershipStatus, TenantRecord, TokenKind,
    TokenRecord, from_optional, to_item,
};
use crate::table::{Condition, Key, Op};
use crate::token::SecretToken;

/// How long a used or expired token stays stored, so that its page can say "used" or "expired"
/// rather than "unknown". DynamoDB's TTL removes it after that.
pub(crate) const KEPT_AFTER_EXPIRY: Duration = Duration::days(7);

/// Files a new password link for the account of `login`: the op that stores the token and the
/// link that carries its secret (to be mailed, never stored).
pub(crate) fn issue(
    app: &App,
    kind: TokenKind,
    login: &LoginRecord,
    tenant: Option<TenantId>,
    valid_for: Duration,
    now: DateTime<Utc>,
) -> Result<(Op, String), InternalError> {
    let secret = SecretToken::generate(app.random.as_ref());
    let record = TokenRecord {
        kind,
        account_id: Some(login.account_id),
        tenant_id: tenant,
        issued_at: now,
        expires_at: now + valid_for,
        used_at: None,
        email: Some(login.email.clone()),
        login_version: Some(login.version),
        invitation_id: None,
        invited_by: None,
        registration: None,
        locale: None,
        version: 1,
    };
    let op = Op::put_if(
        to_item(
            &keys::token(&secret.hash()),
            &record,
            Some(record.expires_at + KEPT_AFTER_EXPIRY),
        )
        .context("building the token")?,
        Condition::NotExists,
    );
    Ok((op, app.config.link(&format!("/reset/{}", secret.expose()))))
}

/// The person a "choose your password" mail goes to: their first name, the login address (a
/// link that sets a password goes nowhere else) and their language.
pub(crate) struct Recipient<'r> {
    pub first_name: &'r str,
    pub email: &'r EmailAddress,
    pub locale: Locale,
}

/// Files a first-password link for the account of `login` into `tenant`, and the "choose your
/// password" mail that carries it: the way in of a person who has no password yet.
pub(crate) fn mail_choose_password(
    writes: &mut Writes<'_>,
    login: &LoginRecord,
    tenant: &TenantRecord,
    to: Recipient<'_>,
) -> Result<(), InternalError> {
    let app = writes.app();
    let valid_for = app.config.set_password_link_ttl;
    let (op, link) = issue(
        app,
        TokenKind::SetPassword,
        login,
        Some(tenant.id),
        valid_for,
        writes.now(),
    )?;
    let mail = MailTemplate::ChoosePassword {
        tenant: tenant.name.clone(),
        first_name: to.first_name.to_owned(),
        link,
        valid_for,
    };
    writes.op(op).mail(&mail, to.email, to.locale)?;
    Ok(())
}

/// What a link is now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkStatus {
    Usable,
    Expired,
    /// The password was changed after the link was issued: another link or a change won.
    Superseded,
    Used,
    /// No such link: mistyped, truncated, or not a password link at all.
    Unknown,
}

/// A link and what it belongs to, read in two round trips: the token, then (in parallel) the
/// account with its memberships and the login item.
pub(crate) struct LoadedLink {
    pub status: LinkStatus,
    pub kind: Option<TokenKind>,
    pub found: Option<LinkOwner>,
}

pub(crate) struct LinkOwner {
    pub key: Key,
    pub token: TokenRecord,
    pub account: AccountRecord,
    pub memberships: Vec<AccountTenantRecord>,
    pub login: LoginRecord,
}

impl LoadedLink {
    fn unknown() -> Self {
        Self {
            status: LinkStatus::Unknown,
            kind: None,
            found: None,
        }
    }

    pub fn locale(&self) -> Option<Locale> {
        self.found.as_ref().map(|f| f.account.locale)
    }
}

/// Reads the link behind `raw` (the token as it appeared in the URL or the form).
///
/// Kept in one piece: two round trips and the judgement of the link from what they read.
pub(crate) async fn load(app: &App, raw: &str) -> Result<LoadedLink, InternalError> {
    let Some(secret) = SecretToken::parse(raw) else {
        return Ok(LoadedLink::unknown());
    };
    let key = keys::token(&secret.hash());
    let token: Option<TokenRecord> =
        from_optional(app.table.get(&key).await.context("reading the link")?)
            .context("reading the link")?;
    // An invitation's token is a link of another kind: it sets no password.
    let Some(token) =
        token.filter(|t| matches!(t.kind, TokenKind::SetPassword | TokenKind::PasswordReset))
    else {
        return Ok(LoadedLink::unknown());
    };
    let Some(account_id) = token.account_id else {
        return Ok(LoadedLink::unknown());
    };
    let (owner, login) = match &token.email {
        Some(email) => {
            let login_key = keys::login(&email.normalized());
            let (owner, login) = tokio::join!(
                read_account_with_tenants(app, account_id),
                app.table.get(&login_key),
            );
            (owner?, login.context("reading the login item")?)
        }
        // A first-password link from before links carried the email: the account names it.
        None => {
            let owner = read_account_with_tenants(app, account_id).await?;
            let login = match &owner {
                Some((account, _)) => app
                    .table
                    .get(&keys::login(&account.email.normalized()))
                    .await
                    .context("reading the login item")?,
                None => None,
            };
            (owner, login)
        }
    };
    let login: Option<LoginRecord> = from_optional(login).context("reading the login item")?;
    let (Some((account, memberships)), Some(login)) =
        (owner, login.filter(|l| l.account_id == account_id))
    else {
        return Ok(LoadedLink::unknown());
    };
    let now = app.clock.now();
    // A link a tenant's admin had sent dies with the person's access to that tenant.
    let issuer_gone = token.tenant_id.is_some_and(|tenant| {
        !memberships
            .iter()
            .any(|m| m.tenant_id == tenant && m.access && m.status == MembershipStatus::Active)
    });
    let status = if token.used_at.is_some() {
        LinkStatus::Used
    } else if token.expires_at <= now || issuer_gone {
        LinkStatus::Expired
    } else if is_stale(&token, &login) {
        // The token and the login were read apart: if this very link changed the password in
        // between, the token says so now.
        let again: Option<TokenRecord> =
            from_optional(app.table.get(&key).await.context("reading the link")?)
                .context("reading the link")?;
        if again.is_some_and(|t| t.used_at.is_some()) {
            LinkStatus::Used
        } else {
            LinkStatus::Superseded
        }
    } else {
        LinkStatus::Usable
    };
    Ok(LoadedLink {
        status,
        kind: Some(token.kind),
        found: Some(LinkOwner {
            key,
            token,
            account,
            memberships,
            login,
        }),
    })
}

/// Whether the password changed after `token` was issued. Links carry the login's version; one
/// issued before they did is compared by time.
fn is_stale(token: &TokenRecord, login: &LoginRecord) -> bool {
    match token.login_version {
        Some(version) => version != login.version,
        None => login
            .password_changed_at
            .is_some_and(|changed| changed > token.issued_at),
    }
}

/// What the page of a link shows: its status, its kind (wording), and the owner's email and
/// locale when the link is theirs.
#[derive(Clone, Debug)]
pub struct LinkView {
    pub status: LinkStatus,
    pub kind: Option<TokenKind>,
    pub email: Option<EmailAddress>,
    pub locale: Option<Locale>,
}

/// `GET /reset/{token}`: what the link is, without using it.
pub async fn inspect(app: &App, raw: &str) -> Result<LinkView, InternalError> {
    let loaded = load(app, raw).await?;
    Ok(LinkView {
        status: loaded.status,
        kind: loaded.kind,
        locale: loaded.locale(),
        email: loaded.found.map(|f| f.account.email),
    })
}
