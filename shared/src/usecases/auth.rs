//! Who is calling: a bearer session checked against its account and, for tenant routes, the
//! caller's membership and the tenant, all fetched in the use case's one batch read.

use chrono::{DateTime, Utc};

use crate::app::App;
use crate::domain::{AccountId, Role, TenantId};
use crate::keys;
use crate::records::{AccountRecord, MembershipRecord, SessionRecord, TenantRecord, from_optional};
use crate::table::{Item, Key};
use crate::token::SessionToken;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the session is missing, invalid or expired")]
    Unauthenticated,
    #[error("this session may only change its temporary password")]
    PasswordChangeRequired,
    /// The tenant does not exist or the caller has no membership in it: the same answer for
    /// both, so tenant ids cannot be probed.
    #[error("no such tenant")]
    TenantNotFound,
    #[error("the caller's membership in this tenant is archived or has no access")]
    MembershipInactive,
    /// The operator suspended the tenant.
    #[error("this tenant is suspended")]
    TenantSuspended,
    /// An operator key without the scope the route needs.
    #[error("this key does not hold the scope {0}")]
    ScopeMissing(&'static str),
    #[error("the session could not be read")]
    Storage(#[from] crate::table::TableError),
}

pub struct AccountCaller {
    pub token: SessionToken,
    pub session: SessionRecord,
    pub account: AccountRecord,
}

pub struct TenantCaller {
    /// The session the request came with; `None` for a job acting for the person who filed it.
    pub session: Option<SessionRecord>,
    pub account: AccountRecord,
    pub membership: MembershipRecord,
    pub tenant: TenantRecord,
}

impl AccountCaller {
    /// Keys to read: the session, then the account.
    pub fn keys(token: &SessionToken) -> [Key; 2] {
        [
            keys::session(&token.secret.hash()),
            keys::account(token.account_id),
        ]
    }

    /// Reads and checks the caller (see [`AccountCaller::resolve`]).
    pub(crate) async fn load(
        app: &App,
        token: &SessionToken,
        allow_password_change_only: bool,
    ) -> Result<Self, AuthError> {
        let items = app.table.batch_get(&Self::keys(token)).await?;
        let caller = Self::from_items(token, items, app.clock.now(), allow_password_change_only)?;
        super::sessions::touch(app, token, &caller.session).await;
        Ok(caller)
    }

    /// Checks the two items read with [`AccountCaller::keys`], in that order.
    pub(crate) fn from_items(
        token: &SessionToken,
        items: Vec<Option<Item>>,
        now: DateTime<Utc>,
        allow_password_change_only: bool,
    ) -> Result<Self, AuthError> {
        let Ok([session, account]) = <[Option<Item>; 2]>::try_from(items) else {
            return Err(AuthError::Unauthenticated);
        };
        Self::resolve(token, session, account, now, allow_password_change_only)
    }

    /// Checks the session read with [`AccountCaller::keys`]. A temporary-password session passes
    /// only when `allow_password_change_only` is set.
    pub fn resolve(
        token: &SessionToken,
        session: Option<Item>,
        account: Option<Item>,
        now: DateTime<Utc>,
        allow_password_change_only: bool,
    ) -> Result<Self, AuthError> {
        let session: SessionRecord = from_optional(session)?.ok_or(AuthError::Unauthenticated)?;
        let account: AccountRecord = from_optional(account)?.ok_or(AuthError::Unauthenticated)?;
        // The session item binds the secret to its account: a token whose id was swapped for
        // another account's finds a session that names someone else.
        if session.account_id != token.account_id
            || session.expires_at <= now
            || session.epoch != account.session_epoch
        {
            return Err(AuthError::Unauthenticated);
        }
        if session.password_change_only && !allow_password_change_only {
            return Err(AuthError::PasswordChangeRequired);
        }
        Ok(Self {
            token: token.clone(),
            session,
            account,
        })
    }
}

impl TenantCaller {
    /// Reads and checks the caller, for a use case that needs nothing else in its first read.
    pub(crate) async fn load(
        app: &App,
        token: &SessionToken,
        tenant: TenantId,
    ) -> Result<Self, AuthError> {
        let items = app.table.batch_get(&Self::keys(token, tenant)).await?;
        let caller = Self::resolve(token, items, app.clock.now(), false)?;
        caller.touch(app, token).await;
        Ok(caller)
    }

    /// As [`TenantCaller::load`], but an owner of a suspended tenant passes: they may read why
    /// it is suspended (and nothing else there).
    pub(crate) async fn load_as_owner_of_suspended(
        app: &App,
        token: &SessionToken,
        tenant: TenantId,
    ) -> Result<Self, AuthError> {
        let items = app.table.batch_get(&Self::keys(token, tenant)).await?;
        let caller = Self::resolve(token, items, app.clock.now(), true)?;
        caller.touch(app, token).await;
        Ok(caller)
    }

    /// Reads the caller and, in the same batch, the items at `extra`: they come back in the order
    /// of `extra`, for the use case to read by name.
    pub(crate) async fn load_with(
        app: &App,
        token: &SessionToken,
        tenant: TenantId,
        extra: &[Key],
    ) -> Result<(Self, Vec<Option<Item>>), AuthError> {
        let mut keys = Self::keys(token, tenant).to_vec();
        keys.extend_from_slice(extra);
        let mut items = app.table.batch_get(&keys).await?;
        let extra = items.split_off(keys.len() - extra.len());
        let caller = Self::resolve(token, items, app.clock.now(), false)?;
        caller.touch(app, token).await;
        Ok((caller, extra))
    }

    /// Reads the caller and another member of the tenant in one batch; the member is `None` when
    /// the account has no membership here. Naming oneself needs no fifth key: the caller's own
    /// membership is the member.
    pub(crate) async fn load_with_member(
        app: &App,
        token: &SessionToken,
        tenant: TenantId,
        member: AccountId,
    ) -> Result<(Self, Option<MembershipRecord>), AuthError> {
        let is_self = member == token.account_id;
        let mut keys = Self::keys(token, tenant).to_vec();
        if !is_self {
            keys.push(keys::membership(tenant, member));
        }
        let mut items = app.table.batch_get(&keys).await?;
        let other: Option<MembershipRecord> = if is_self {
            None
        } else {
            from_optional(items.pop().flatten())?
        };
        let caller = Self::resolve(token, items, app.clock.now(), false)?;
        caller.touch(app, token).await;
        let member = if is_self {
            Some(caller.membership.clone())
        } else {
            other
        };
        Ok((caller, member))
    }

    /// `account` acting in `tenant` with no request of theirs at hand (a job they filed, such as
    /// an import): their account, membership and tenant as they are now, or `None` when they may
    /// no longer act there (membership gone, archived or without access).
    pub(crate) async fn acting(
        app: &App,
        tenant: TenantId,
        account: AccountId,
    ) -> Result<Option<Self>, crate::table::TableError> {
        let items = app
            .table
            .batch_get(&[
                keys::account(account),
                keys::membership(tenant, account),
                keys::tenant(tenant),
            ])
            .await?;
        let [account, membership, tenant] = <[Option<Item>; 3]>::try_from(items).map_err(|_| {
            crate::table::TableError::Invalid("a batch read answered another count".into())
        })?;
        let account: Option<AccountRecord> = from_optional(account)?;
        let membership: Option<MembershipRecord> = from_optional(membership)?;
        let tenant: Option<TenantRecord> = from_optional(tenant)?;
        Ok(match (account, membership, tenant) {
            (Some(account), Some(membership), Some(tenant))
                if membership.is_usable() && tenant.suspended.is_none() =>
            {
                Some(Self {
                    session: None,
                    account,
                    membership,
                    tenant,
                })
            }
            _ => None,
        })
    }

    /// Records the session's use (see [`super::sessions::touch`]).
    async fn touch(&self, app: &App, token: &SessionToken) {
        if let Some(session) = &self.session {
            super::sessions::touch(app, token, session).await;
        }
    }

    /// Keys to read: session, account, the caller's membership, the tenant.
    fn keys(token: &SessionToken, tenant: TenantId) -> [Key; 4] {
        let [session, account] = AccountCaller::keys(token);
        [
            session,
            account,
            keys::membership(tenant, token.account_id),
            keys::tenant(tenant),
        ]
    }

    /// Checks the four items read with [`TenantCaller::keys`], in that order.
    fn resolve(
        token: &SessionToken,
        items: Vec<Option<Item>>,
        now: DateTime<Utc>,
        owner_may_read_suspended: bool,
    ) -> Result<Self, AuthError> {
        let Ok([session, account, membership, tenant]) = <[Option<Item>; 4]>::try_from(items)
        else {
            return Err(AuthError::Unauthenticated);
        };
        let caller = AccountCaller::resolve(token, session, account, now, false)?;
        let membership: MembershipRecord =
            from_optional(membership)?.ok_or(AuthError::TenantNotFound)?;
        let tenant: TenantRecord = from_optional(tenant)?.ok_or(AuthError::TenantNotFound)?;
        // A session of a password an admin elsewhere knows opens their tenant alone, and says
        // no more of another than of a tenant the account is not in.
        if !caller.session.opens(tenant.id) {
            return Err(AuthError::TenantNotFound);
        }
        if !membership.is_usable() {
            return Err(AuthError::MembershipInactive);
        }
        // An admin here ended this member's sessions made until then.
        if !membership.admits_session(caller.session.created_at) {
            return Err(AuthError::Unauthenticated);
        }
        let owner_reading = owner_may_read_suspended && membership.role == Role::Owner;
        if tenant.suspended.is_some() && !owner_reading {
            return Err(AuthError::TenantSuspended);
        }
        let span = tracing::Span::current();
        span.record("tenant_id", tracing::field::display(tenant.id));
        span.record("account_id", tracing::field::display(caller.account.id));
        Ok(Self {
            session: Some(caller.session),
            account: caller.account,
            membership,
            tenant,
        })
    }
}
