//! Who is calling: a bearer session checked against its account and, for tenant routes, the
//! caller's membership and the tenant, all fetched in the use case's one batch read.

use chrono::{DateTime, Utc};

use super::team_grants::{self, Member, TeamGrants};
use crate::app::App;
use crate::domain::{AccountId, Role, TenantId};
use crate::keys;
use crate::records::{
    AccountRecord, Actor, ApiKeyRecord, MembershipRecord, OperatorKeyRecord, OperatorScope, Rights,
    SessionRecord, TenantRecord, from_optional,
};
use crate::table::{Item, Key};
use crate::token::{Credential, KeyKind, SessionToken};

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

/// Who acts in a tenant: a person with their session, a tenant API key with what its maker may
/// do now, or an operator key with `tenants.admin`, as an owner.
pub struct TenantCaller {
    /// Who the audit log names.
    pub actor: Actor,
    /// The session the request came with; `None` for a key, or a job acting for the person who
    /// filed it.
    pub session: Option<SessionRecord>,
    /// The key the request came with, and the hash that finds it.
    pub api_key: Option<ApiKeyRecord>,
    pub api_key_hash: Option<String>,
    /// The operator key acting here, and the hash that finds it.
    pub operator_key: Option<(OperatorKeyRecord, String)>,
    /// The person: the session's, or the key's maker; `None` for an operator key.
    pub account: Option<AccountRecord>,
    /// That person's membership here, as stored.
    pub membership: Option<MembershipRecord>,
    /// What the caller may do here: the membership's rights, a key's (those of its permissions
    /// its maker still holds, as a member), or an owner's for an operator key. A person's
    /// permissions include what their teams grant.
    pub rights: Rights,
    /// The person's active teams here, direct and inherited, and what they grant; none for an
    /// operator key.
    pub team_grants: TeamGrants,
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
    /// The person acting, if a person (or their key) acts.
    pub fn account_id(&self) -> Option<AccountId> {
        self.account.as_ref().map(|a| a.id)
    }

    /// Whom a per-inviter quota counts: the person (a tenant key counts with its maker), the
    /// operator key, or the SCIM token.
    pub(crate) fn quota_subject(&self) -> String {
        if let Actor::Scim(token) = self.actor {
            return format!("SCIM#{token}");
        }
        match (&self.account, &self.operator_key) {
            (Some(account), _) => account.id.to_string(),
            (None, Some((_, hash))) => format!("OPKEY#{hash}"),
            (None, None) => String::new(),
        }
    }

    /// The person acting, for what only a person can do (a route that takes sessions only).
    pub fn person(&self) -> Result<&AccountRecord, AuthError> {
        self.account.as_ref().ok_or(AuthError::Unauthenticated)
    }

    /// Reads and checks the caller, for a use case that needs nothing else in its first read.
    pub(crate) async fn load(
        app: &App,
        credential: &Credential,
        tenant: TenantId,
    ) -> Result<Self, AuthError> {
        Ok(Self::load_with(app, credential, tenant, &[]).await?.0)
    }

    /// As [`TenantCaller::load`], but an owner of a suspended tenant passes: they may read why
    /// it is suspended (and nothing else there).
    pub(crate) async fn load_as_owner_of_suspended(
        app: &App,
        credential: &Credential,
        tenant: TenantId,
    ) -> Result<Self, AuthError> {
        let items = app
            .table
            .batch_get(&Self::keys(credential, tenant)?)
            .await?;
        let caller = Self::resolve(app, credential, items, true).await?;
        caller.touch(app, credential).await;
        Ok(caller)
    }

    /// Reads the caller and, in the same batch, the items at `extra`: they come back in the order
    /// of `extra`, for the use case to read by name.
    pub(crate) async fn load_with(
        app: &App,
        credential: &Credential,
        tenant: TenantId,
        extra: &[Key],
    ) -> Result<(Self, Vec<Option<Item>>), AuthError> {
        let mut keys = Self::keys(credential, tenant)?.to_vec();
        keys.extend_from_slice(extra);
        let mut items = app.table.batch_get(&keys).await?;
        let extra = items.split_off(keys.len() - extra.len());
        let caller = Self::resolve(app, credential, items, false).await?;
        caller.touch(app, credential).await;
        Ok((caller, extra))
    }

    /// Reads the caller and another member of the tenant, with what their teams grant, in one
    /// batch; the member is `None` when the account has no membership here. Naming oneself (or a
    /// key's maker) needs no more keys: that membership is read with the caller, as it is stored.
    pub(crate) async fn load_with_member(
        app: &App,
        credential: &Credential,
        tenant: TenantId,
        member: AccountId,
    ) -> Result<(Self, Option<Member>), AuthError> {
        let is_self = credential.account_id() == Some(member);
        let mut keys = Self::keys(credential, tenant)?;
        let caller_keys = keys.len();
        let [grants_key, epoch_key] = team_grants::keys(tenant, member);
        if !is_self {
            keys.push(keys::membership(tenant, member));
            keys.push(grants_key);
            // A person's read has the epoch; an operator key's does not.
            if !keys.contains(&epoch_key) {
                keys.push(epoch_key.clone());
            }
        }
        let mut items = app.table.batch_get(&keys).await?;
        let epoch = keys
            .iter()
            .position(|k| *k == epoch_key)
            .and_then(|at| items.get(at).cloned().flatten());
        let extra = items.split_off(caller_keys);
        let caller = Self::resolve(app, credential, items, false).await?;
        caller.touch(app, credential).await;
        let member = if is_self {
            caller.membership.clone().map(|membership| {
                Member::new(membership, caller.team_grants.clone(), &caller.tenant)
            })
        } else {
            let mut extra = extra.into_iter();
            let membership: Option<MembershipRecord> = from_optional(extra.next().flatten())?;
            match membership {
                Some(membership) => {
                    let grants =
                        team_grants::resolve(app, tenant, member, extra.next().flatten(), epoch)
                            .await?;
                    Some(Member::new(membership, grants, &caller.tenant))
                }
                None => None,
            }
        };
        Ok((caller, member))
    }

    /// Someone acting in `tenant` with no request of theirs at hand (a job they filed, such as
    /// an import), with their rights as they are now, or `None` when they may no longer act
    /// there: a person whose membership is gone, archived or without access, a tenant key
    /// revoked or expired, an operator key revoked or without `tenants.admin`, or the tenant
    /// suspended.
    pub(crate) async fn acting(
        app: &App,
        tenant: TenantId,
        who: ActingFor<'_>,
    ) -> Result<Option<Self>, crate::table::TableError> {
        let now = app.clock.now();
        let (account, api_key) = match who {
            ActingFor::Person { account, api_key } => (account, api_key),
            ActingFor::Operator { key_hash } => {
                let keys = [keys::operator_key(key_hash), keys::tenant(tenant)];
                let mut items = app.table.batch_get(&keys).await?.into_iter();
                let key: Option<OperatorKeyRecord> = from_optional(items.next().flatten())?;
                let tenant: Option<TenantRecord> = from_optional(items.next().flatten())?;
                return Ok(key
                    .zip(tenant)
                    .filter(|(key, tenant)| {
                        key.scopes.contains(&OperatorScope::TenantsAdmin)
                            && tenant.suspended.is_none()
                    })
                    .map(|(key, tenant)| Self::operator(key, key_hash.to_owned(), tenant)));
            }
        };
        let mut keys = vec![
            keys::account(account),
            keys::membership(tenant, account),
            keys::tenant(tenant),
        ];
        keys.extend(team_grants::keys(tenant, account));
        if let Some(hash) = api_key {
            keys.push(keys::api_key(hash));
        }
        let mut items = app.table.batch_get(&keys).await?.into_iter();
        let account: Option<AccountRecord> = from_optional(items.next().flatten())?;
        let membership: Option<MembershipRecord> = from_optional(items.next().flatten())?;
        let tenant_record: Option<TenantRecord> = from_optional(items.next().flatten())?;
        let grants_record = items.next().flatten();
        let epoch = items.next().flatten();
        let key: Option<ApiKeyRecord> = from_optional(items.next().flatten())?;
        let (Some(account), Some(membership), Some(tenant_record)) =
            (account, membership, tenant_record)
        else {
            return Ok(None);
        };
        if !membership.is_usable() || tenant_record.suspended.is_some() {
            return Ok(None);
        }
        let live_key = match (api_key, key) {
            (None, _) => None,
            (Some(hash), Some(key)) if key.is_live(tenant, account.id, now) => Some((key, hash)),
            (Some(_), _) => return Ok(None),
        };
        let grants = team_grants::resolve(app, tenant, account.id, grants_record, epoch).await?;
        let caller = match live_key {
            None => Self::member(account, None, membership, tenant_record, grants),
            Some((key, hash)) => Self::tenant_key(
                key,
                hash.to_owned(),
                account,
                membership,
                tenant_record,
                grants,
            ),
        };
        Ok(Some(caller))
    }

    fn member(
        account: AccountRecord,
        session: Option<SessionRecord>,
        membership: MembershipRecord,
        tenant: TenantRecord,
        grants: TeamGrants,
    ) -> Self {
        Self {
            actor: Actor::Account(account.id),
            session,
            api_key: None,
            api_key_hash: None,
            operator_key: None,
            rights: grants.rights_of(&membership, &tenant),
            team_grants: grants,
            account: Some(account),
            membership: Some(membership),
            tenant,
        }
    }

    fn tenant_key(
        key: ApiKeyRecord,
        hash: String,
        maker: AccountRecord,
        membership: MembershipRecord,
        tenant: TenantRecord,
        grants: TeamGrants,
    ) -> Self {
        Self {
            actor: Actor::ApiKey(key.id),
            session: None,
            rights: key.acting_rights(&grants.rights_of(&membership, &tenant), &tenant),
            team_grants: grants,
            api_key: Some(key),
            api_key_hash: Some(hash),
            operator_key: None,
            account: Some(maker),
            membership: Some(membership),
            tenant,
        }
    }

    fn operator(key: OperatorKeyRecord, hash: String, tenant: TenantRecord) -> Self {
        Self {
            actor: Actor::OperatorKey(key.id),
            session: None,
            api_key: None,
            api_key_hash: None,
            operator_key: Some((key, hash)),
            account: None,
            membership: None,
            rights: Rights::owner(),
            team_grants: TeamGrants::default(),
            tenant,
        }
    }

    /// Records the credential's use (see [`super::sessions::touch`]).
    async fn touch(&self, app: &App, credential: &Credential) {
        match (credential, &self.session, &self.api_key, &self.operator_key) {
            (Credential::Session(token), Some(session), _, _) => {
                super::sessions::touch(app, token, session).await;
            }
            (Credential::Key(secret), _, Some(key), _) => {
                super::api_keys::touch(app, secret, key).await;
            }
            (Credential::Key(secret), _, _, Some((key, _))) => {
                let operator = super::operator_keys::OperatorCaller { key: key.clone() };
                operator.touch(app, secret).await;
            }
            _ => {}
        }
    }

    /// Keys to read: the session (or the tenant key), the account (or the key's maker), that
    /// person's membership here, the tenant, and what the person's teams grant (two keys, see
    /// `team_grants::keys`); for an operator key, the key and the tenant.
    fn keys(credential: &Credential, tenant: TenantId) -> Result<Vec<Key>, AuthError> {
        match credential {
            Credential::Session(token) => {
                let [session, account] = AccountCaller::keys(token);
                let [grants, epoch] = team_grants::keys(tenant, token.account_id);
                Ok(vec![
                    session,
                    account,
                    keys::membership(tenant, token.account_id),
                    keys::tenant(tenant),
                    grants,
                    epoch,
                ])
            }
            Credential::Key(secret) => match (secret.kind, secret.maker) {
                (KeyKind::Tenant, Some(maker)) => {
                    let [grants, epoch] = team_grants::keys(tenant, maker);
                    Ok(vec![
                        keys::api_key(&secret.hash()),
                        keys::account(maker),
                        keys::membership(tenant, maker),
                        keys::tenant(tenant),
                        grants,
                        epoch,
                    ])
                }
                (KeyKind::Operator, None) => Ok(vec![
                    keys::operator_key(&secret.hash()),
                    keys::tenant(tenant),
                ]),
                _ => Err(AuthError::Unauthenticated),
            },
        }
    }

    /// Checks the items read with [`TenantCaller::keys`], in that order, and works out what the
    /// person's teams grant when the record of it no longer holds.
    async fn resolve(
        app: &App,
        credential: &Credential,
        items: Vec<Option<Item>>,
        owner_may_read_suspended: bool,
    ) -> Result<Self, AuthError> {
        let now = app.clock.now();
        let caller = match credential {
            Credential::Session(token) => {
                let Ok([session, account, membership, tenant, grants, epoch]) =
                    <[Option<Item>; 6]>::try_from(items)
                else {
                    return Err(AuthError::Unauthenticated);
                };
                let caller = AccountCaller::resolve(token, session, account, now, false)?;
                let membership: MembershipRecord =
                    from_optional(membership)?.ok_or(AuthError::TenantNotFound)?;
                let tenant: TenantRecord =
                    from_optional(tenant)?.ok_or(AuthError::TenantNotFound)?;
                // A session of a password an admin elsewhere knows opens their tenant alone,
                // and says no more of another than of a tenant the account is not in.
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
                let grants =
                    team_grants::resolve(app, tenant.id, caller.account.id, grants, epoch).await?;
                Self::member(
                    caller.account,
                    Some(caller.session),
                    membership,
                    tenant,
                    grants,
                )
            }
            Credential::Key(secret) if secret.kind == KeyKind::Operator => {
                let Ok([key, tenant]) = <[Option<Item>; 2]>::try_from(items) else {
                    return Err(AuthError::Unauthenticated);
                };
                let key: OperatorKeyRecord =
                    from_optional(key)?.ok_or(AuthError::Unauthenticated)?;
                let key =
                    super::operator_keys::OperatorCaller::check(key, OperatorScope::TenantsAdmin)?
                        .key;
                // Any tenant id is one the operator may know: a missing one is plainly missing.
                let tenant: TenantRecord =
                    from_optional(tenant)?.ok_or(AuthError::TenantNotFound)?;
                Self::operator(key, secret.hash(), tenant)
            }
            Credential::Key(secret) => {
                let Ok([key, account, maker, tenant, grants, epoch]) =
                    <[Option<Item>; 6]>::try_from(items)
                else {
                    return Err(AuthError::Unauthenticated);
                };
                // A key that is not this tenant's, revoked, expired, or whose maker may no
                // longer act here: the same answer as a key that never was.
                let key: ApiKeyRecord = from_optional(key)?.ok_or(AuthError::Unauthenticated)?;
                let account: AccountRecord =
                    from_optional(account)?.ok_or(AuthError::Unauthenticated)?;
                let maker: MembershipRecord =
                    from_optional(maker)?.ok_or(AuthError::Unauthenticated)?;
                let tenant: TenantRecord =
                    from_optional(tenant)?.ok_or(AuthError::Unauthenticated)?;
                if secret.maker != Some(account.id)
                    || !key.is_live(tenant.id, account.id, now)
                    || !maker.is_usable()
                {
                    return Err(AuthError::Unauthenticated);
                }
                tracing::Span::current().record("api_key_id", tracing::field::display(key.id));
                let grants =
                    team_grants::resolve(app, tenant.id, account.id, grants, epoch).await?;
                Self::tenant_key(key, secret.hash(), account, maker, tenant, grants)
            }
        };
        // The owners of a suspended tenant may read why; so may the operator, who suspended it.
        let may_read_suspended = owner_may_read_suspended
            && (caller.operator_key.is_some()
                || (caller.session.is_some() && caller.rights.role == Role::Owner));
        if caller.tenant.suspended.is_some() && !may_read_suspended {
            return Err(AuthError::TenantSuspended);
        }
        let span = tracing::Span::current();
        span.record("tenant_id", tracing::field::display(caller.tenant.id));
        if let Some(account) = &caller.account {
            span.record("account_id", tracing::field::display(account.id));
        }
        Ok(caller)
    }
}

/// Who a job acts for (see [`TenantCaller::acting`]).
#[derive(Clone, Copy, Debug)]
pub(crate) enum ActingFor<'a> {
    /// A person, or their tenant key (found by this hash).
    Person {
        account: AccountId,
        api_key: Option<&'a str>,
    },
    /// An operator key with `tenants.admin` (found by this hash).
    Operator { key_hash: &'a str },
}
