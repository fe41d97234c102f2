//! What a person's teams grant them in a tenant: the permissions of every active team they are
//! in, directly or under a team they are in (a sub-team's people hold what its ancestors grant).
//!
//! The answer is kept per person (`TeamGrantsRecord`) and checked against the tenant's teams
//! epoch; both are read in the caller's one batch, so a check costs no round trip. A change that
//! alters what teams grant (a team made, its permissions, a move, an archive, a restore) puts a
//! new epoch; a change to someone's places puts their record back to be worked out. Working out
//! reads their places, their teams and the teams above those (three round trips), once per such
//! change, and stores the answer against the record's version as read, so it never hides a
//! change made meanwhile. A tenant that never had a team has no epoch, and nothing is read for it.

use chrono::{DateTime, Utc};

use crate::app::App;
use crate::domain::{AccountId, PermissionSet, TeamId, TenantId};
use crate::keys;
use crate::records::{
    MembershipRecord, Rights, TeamEpochRecord, TeamGrantsRecord, TeamMemberRecord, TeamRecord,
    TenantRecord, from_item, from_optional, to_item,
};
use crate::table::{Condition, Item, Key, Op, TableError, batch_get_all};

/// A person's active teams and what they grant.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TeamGrants {
    /// Direct and inherited, in id order.
    pub teams: Vec<TeamId>,
    pub permissions: PermissionSet,
}

impl TeamGrants {
    /// What `membership` may do with these grants: its own rights, and while it is active with
    /// access, its teams' permissions that the tenant still grants. An archived person, or one
    /// without access, keeps their places for the record, and they grant nothing.
    pub fn rights_of(&self, membership: &MembershipRecord, tenant: &TenantRecord) -> Rights {
        let mut rights = membership.rights();
        if membership.is_usable() {
            rights.permissions = rights
                .permissions
                .union([&tenant.grantable(self.permissions.iter())]);
        }
        rights
    }
}

/// A member of a tenant with what their teams grant: what a user's view shows.
#[derive(Clone, Debug)]
pub struct Member {
    pub membership: MembershipRecord,
    /// Their active teams, direct and inherited.
    pub teams: Vec<TeamId>,
    /// What those teams grant that the tenant still grants.
    pub team_permissions: PermissionSet,
}

impl Member {
    pub fn new(membership: MembershipRecord, grants: TeamGrants, tenant: &TenantRecord) -> Self {
        Self {
            team_permissions: tenant.grantable(grants.permissions.iter()),
            teams: grants.teams,
            membership,
        }
    }

    /// Someone in no team (yet): a newcomer.
    pub fn without_teams(membership: MembershipRecord) -> Self {
        Self {
            membership,
            teams: Vec::new(),
            team_permissions: PermissionSet::default(),
        }
    }

    /// Their own permissions and, while they are active with access, their teams'.
    pub fn effective_permissions(&self) -> PermissionSet {
        if self.membership.is_usable() {
            self.membership.permissions.union([&self.team_permissions])
        } else {
            self.membership.permissions.clone()
        }
    }

    /// The same person after a change to their membership (their teams are as they were).
    pub fn changed(self, membership: MembershipRecord) -> Self {
        Self { membership, ..self }
    }
}

/// The two keys that answer for `account` in `tenant`: their record, then the tenant's epoch.
pub(crate) fn keys(tenant: TenantId, account: AccountId) -> [Key; 2] {
    [keys::team_grants(tenant, account), keys::team_epoch(tenant)]
}

/// The person's grants from the two items read at [`keys`], worked out again (and stored) when
/// they are missing or no longer hold.
pub(crate) async fn resolve(
    app: &App,
    tenant: TenantId,
    account: AccountId,
    record: Option<Item>,
    epoch: Option<Item>,
) -> Result<TeamGrants, TableError> {
    let Some(epoch) = from_optional::<TeamEpochRecord>(epoch)? else {
        return Ok(TeamGrants::default());
    };
    let record: Option<TeamGrantsRecord> = from_optional(record)?;
    if let Some(held) = kept(record.as_ref(), &epoch) {
        return Ok(held);
    }
    let grants = work_out_many(app, tenant, &[account])
        .await?
        .pop()
        .unwrap_or_default();
    store(app, tenant, account, record.as_ref(), &epoch, &grants).await;
    Ok(grants)
}

/// The grants of each of `accounts`, in their order: their records and the epoch in one batch
/// read (100 keys to a batch, the batches at once), then, only for those whose record no longer
/// holds, their places and teams.
pub(crate) async fn of_people(
    app: &App,
    tenant: TenantId,
    accounts: &[AccountId],
) -> Result<Vec<TeamGrants>, TableError> {
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    let mut keys: Vec<Key> = accounts
        .iter()
        .map(|account| keys::team_grants(tenant, *account))
        .collect();
    keys.push(keys::team_epoch(tenant));
    let mut items = batch_get_all(app.table.as_ref(), &keys).await?;
    let Some(epoch) = from_optional::<TeamEpochRecord>(items.pop().flatten())? else {
        return Ok(vec![TeamGrants::default(); accounts.len()]);
    };
    let records: Vec<Option<TeamGrantsRecord>> = items
        .into_iter()
        .map(from_optional)
        .collect::<Result<_, _>>()?;
    let stale: Vec<AccountId> = accounts
        .iter()
        .zip(&records)
        .filter(|(_, record)| kept(record.as_ref(), &epoch).is_none())
        .map(|(account, _)| *account)
        .collect();
    // Those whose kept answer no longer holds are worked out together: their places at once,
    // then all their teams in one batch and those above in another.
    let mut worked = work_out_many(app, tenant, &stale).await?.into_iter();
    let mut grants = Vec::with_capacity(accounts.len());
    let mut stores = Vec::new();
    for (account, record) in accounts.iter().zip(&records) {
        match kept(record.as_ref(), &epoch) {
            Some(held) => grants.push(held),
            None => {
                let fresh = worked.next().unwrap_or_default();
                stores.push((*account, record.as_ref(), fresh.clone()));
                grants.push(fresh);
            }
        }
    }
    futures::future::join_all(
        stores
            .iter()
            .map(|(account, record, fresh)| store(app, tenant, *account, *record, &epoch, fresh)),
    )
    .await;
    Ok(grants)
}

/// What `record` says, when it was worked out against `epoch`.
fn kept(record: Option<&TeamGrantsRecord>, epoch: &TeamEpochRecord) -> Option<TeamGrants> {
    record
        .filter(|r| r.epoch.as_deref() == Some(epoch.epoch.as_str()))
        .map(|r| TeamGrants {
            teams: r.teams.clone(),
            permissions: r.permissions.clone(),
        })
}

/// `memberships` with what their teams grant (see [`of_people`]).
pub(crate) async fn members(
    app: &App,
    tenant: &TenantRecord,
    memberships: Vec<MembershipRecord>,
) -> Result<Vec<Member>, TableError> {
    let accounts: Vec<AccountId> = memberships.iter().map(|m| m.account_id).collect();
    let grants = of_people(app, tenant.id, &accounts).await?;
    Ok(memberships
        .into_iter()
        .zip(grants)
        .map(|(membership, grants)| Member::new(membership, grants, tenant))
        .collect())
}

/// `account`'s membership in each of `tenants`, with what their teams grant there, in the order
/// of `tenants` (`None` where there is none): one batch read (100 keys to a batch, the batches
/// at once), then the grants that no longer hold worked out.
pub(crate) async fn in_tenants(
    app: &App,
    account: AccountId,
    tenants: &[TenantId],
) -> Result<Vec<Option<Member>>, TableError> {
    let keys: Vec<Key> = tenants
        .iter()
        .flat_map(|tenant| {
            let [grants, epoch] = keys(*tenant, account);
            [
                keys::membership(*tenant, account),
                keys::tenant(*tenant),
                grants,
                epoch,
            ]
        })
        .collect();
    let items = batch_get_all(app.table.as_ref(), &keys).await?;
    let reads = tenants
        .iter()
        .zip(items.chunks(4))
        .map(|(tenant, read)| async move {
            let [membership, record, grants, epoch] = read else {
                return Ok(None);
            };
            let membership: Option<MembershipRecord> = from_optional(membership.clone())?;
            let record: Option<TenantRecord> = from_optional(record.clone())?;
            let (Some(membership), Some(record)) = (membership, record) else {
                return Ok(None);
            };
            let grants = resolve(app, *tenant, account, grants.clone(), epoch.clone()).await?;
            Ok::<_, TableError>(Some(Member::new(membership, grants, &record)))
        });
    futures::future::try_join_all(reads).await
}

/// The write that makes every person's grants in `tenant` be worked out again: for a change
/// that alters what some team grants.
pub(crate) fn new_epoch(app: &App, tenant: TenantId, now: DateTime<Utc>) -> Result<Op, TableError> {
    let record = TeamEpochRecord {
        epoch: app.random.ulid(now).to_string(),
    };
    Ok(Op::put(to_item(&keys::team_epoch(tenant), &record, None)?))
}

/// The write that makes `account`'s grants be worked out again: for a change to their places.
pub(crate) fn places_changed(
    app: &App,
    tenant: TenantId,
    account: AccountId,
) -> Result<Op, TableError> {
    let record = TeamGrantsRecord {
        epoch: None,
        teams: Vec::new(),
        permissions: PermissionSet::default(),
        version: fresh_version(app),
    };
    Ok(Op::put(to_item(
        &keys::team_grants(tenant, account),
        &record,
        None,
    )?))
}

fn fresh_version(app: &App) -> u64 {
    let mut bytes = [0u8; 8];
    app.random.fill(&mut bytes);
    u64::from_le_bytes(bytes)
}

/// What each of `accounts` holds through their teams, in their order: their places (a query
/// each, at once), then every team they are in (one batch) and every team above those (one
/// more), shared by all of them.
async fn work_out_many(
    app: &App,
    tenant: TenantId,
    accounts: &[AccountId],
) -> Result<Vec<TeamGrants>, TableError> {
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    let places = futures::future::try_join_all(
        accounts
            .iter()
            .map(|account| direct_teams(app, tenant, *account)),
    )
    .await?;
    let mut ids: Vec<TeamId> = places.iter().flatten().copied().collect();
    ids.sort();
    ids.dedup();
    let mut teams: std::collections::HashMap<TeamId, TeamRecord> = read_teams(app, tenant, &ids)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let mut above: Vec<TeamId> = teams
        .values()
        .filter(|t| t.is_active())
        .flat_map(|t| t.ancestors.iter().copied())
        .filter(|id| !teams.contains_key(id))
        .collect();
    above.sort();
    above.dedup();
    teams.extend(
        read_teams(app, tenant, &above)
            .await?
            .into_iter()
            .map(|t| (t.id, t)),
    );
    Ok(places
        .iter()
        .map(|direct| granted_among(&teams, direct).1)
        .collect())
}

/// The active ones of the teams `direct`, and what someone in them holds, as `teams` (which
/// holds them and those above them) has them.
pub(crate) fn granted_among(
    teams: &std::collections::HashMap<TeamId, TeamRecord>,
    direct: &[TeamId],
) -> (Vec<TeamRecord>, TeamGrants) {
    let direct: Vec<TeamRecord> = direct
        .iter()
        .filter_map(|id| teams.get(id))
        .filter(|t| t.is_active())
        .cloned()
        .collect();
    let above: Vec<TeamRecord> = direct
        .iter()
        .flat_map(|t| t.ancestors.iter())
        .filter_map(|id| teams.get(id))
        .cloned()
        .collect();
    let grants = granted(&direct, &above);
    (direct, grants)
}

/// The teams `account` is in directly: their places, a page of 1,000 at a time.
pub(crate) async fn direct_teams(
    app: &App,
    tenant: TenantId,
    account: AccountId,
) -> Result<Vec<TeamId>, TableError> {
    let pk = keys::tenant_pk(tenant);
    let prefix = keys::member_teams_prefix(account);
    let mut direct: Vec<TeamId> = Vec::new();
    let mut before = None;
    loop {
        let page = app.table.query(&pk, &prefix, before.as_ref(), 1000).await?;
        for item in page.items {
            direct.push(from_item::<TeamMemberRecord>(item)?.team_id);
        }
        match page.next {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    Ok(direct)
}

/// The active ones of the teams `direct`, and what someone in them holds: those teams and every
/// active team above them, and their permissions. Two batch reads: the teams, then those above.
pub(crate) async fn through(
    app: &App,
    tenant: TenantId,
    direct: &[TeamId],
) -> Result<(Vec<TeamRecord>, TeamGrants), TableError> {
    let direct: Vec<TeamRecord> = read_teams(app, tenant, direct)
        .await?
        .into_iter()
        .filter(TeamRecord::is_active)
        .collect();
    let mut above: Vec<TeamId> = direct
        .iter()
        .flat_map(|t| t.ancestors.iter().copied())
        .filter(|id| !direct.iter().any(|t| t.id == *id))
        .collect();
    above.sort();
    above.dedup();
    let above = read_teams(app, tenant, &above).await?;
    let grants = granted(&direct, &above);
    Ok((direct, grants))
}

/// What someone in the active teams `direct` holds, given the teams `above` them (those not
/// active grant nothing).
pub(crate) fn granted(direct: &[TeamRecord], above: &[TeamRecord]) -> TeamGrants {
    let mut active: Vec<&TeamRecord> = direct
        .iter()
        .chain(above.iter())
        .filter(|t| t.is_active())
        .collect();
    active.sort_by_key(|t| t.id);
    active.dedup_by_key(|t| t.id);
    TeamGrants {
        teams: active.iter().map(|t| t.id).collect(),
        permissions: PermissionSet::default().union(active.iter().map(|t| &t.permissions)),
    }
}

/// The teams `ids` that exist (a batch of 100 keys at a time, the batches at once).
pub(crate) async fn read_teams(
    app: &App,
    tenant: TenantId,
    ids: &[TeamId],
) -> Result<Vec<TeamRecord>, TableError> {
    let keys: Vec<Key> = ids.iter().map(|id| keys::team(tenant, *id)).collect();
    batch_get_all(app.table.as_ref(), &keys)
        .await?
        .into_iter()
        .flatten()
        .map(from_item)
        .collect()
}

/// Keeps what was worked out, against the record as read: a change to the person's places made
/// meanwhile put a new version, and this write then gives way (the next read works it out
/// again). A write that fails costs only that next read, so it is logged, not returned.
async fn store(
    app: &App,
    tenant: TenantId,
    account: AccountId,
    read: Option<&TeamGrantsRecord>,
    epoch: &TeamEpochRecord,
    grants: &TeamGrants,
) {
    let record = TeamGrantsRecord {
        epoch: Some(epoch.epoch.clone()),
        teams: grants.teams.clone(),
        permissions: grants.permissions.clone(),
        version: fresh_version(app),
    };
    let condition = match read {
        Some(read) => Condition::VersionIs(read.version),
        None => Condition::NotExists,
    };
    let written = match to_item(&keys::team_grants(tenant, account), &record, None) {
        Ok(item) => app
            .table
            .transact(vec![Op::put_if(item, condition)])
            .await
            .map_err(anyhow::Error::from),
        Err(e) => Err(e.into()),
    };
    if let Err(error) = written {
        tracing::debug!(tenant_id = %tenant, account_id = %account, error = %error, "team grants not stored");
    }
}
