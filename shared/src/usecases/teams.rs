//! Teams: a tenant's people in named groups, nested at most five deep.
//!
//! Each team is one item in the tenant's partition (`TEAM#{id}`) that carries its path from the
//! root (`ancestors`), so its place in the tree is one read and a tenant's whole tree one query.
//! Every limit is held by a conditional write, never by a read then a write:
//! - a name among siblings, by a marker put only if absent (`TEAMNAME#{parent}#{folded}`);
//! - 1,000 teams per tenant, by a counter written against its version;
//! - 500 children per team, by the parent's `children` written against its version;
//! - no cycle, and stored paths that always equal the walk of parents: a move rewrites the moved
//!   team's whole subtree against each item's version and checks the versions of the new
//!   parent's ancestors, in one transaction. Of two moves that would make a cycle together, one
//!   commits and the other finds a version changed (409 `conflict`).
//!
//! A subtree too large for one transaction (more than [`MAX_TEAMS_PER_WRITE`] teams) is refused
//! with 409 `subtree_too_large` rather than moved by a job: a move that is half done would leave
//! a tree whose paths disagree with its parents, which no reader could trust.

use std::collections::{BTreeMap, HashMap};

use serde_json::json;

use super::audit::{AuditAction, AuditEvent};
use super::commit::Writes;
use super::grants::{self, GrantError};
use super::listing::{Cursor, Listing, Order, filtered_page, for_each_item};
use super::team_grants;
use super::{AuthError, Context, InternalError, TenantCaller};
use crate::app::App;
use crate::domain::{PermissionSet, TeamId, TeamName, TenantId};
use crate::keys;
use crate::records::{
    TeamCountRecord, TeamNameRecord, TeamRecord, TeamStatus, from_item, from_optional, to_item,
};
use crate::table::{Condition, Key, Op, TransactError};
use crate::token::Credential;

/// The most teams one write may rewrite (a move's subtree, an archive's): the rest of the
/// transaction's 100 operations go to parents, name markers, ancestors' checks and the audit.
pub const MAX_TEAMS_PER_WRITE: usize = 80;

/// How often a creation that lost a race for the team count or its parent reads again.
const TRIES: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("only owners, admins and members who manage users change teams")]
    Forbidden,
    #[error("no such team in this tenant")]
    NotFound,
    #[error("no such parent team in this tenant")]
    ParentNotFound,
    #[error("a sibling team already has this name")]
    NameTaken,
    #[error("teams nest at most {} deep", TeamRecord::MAX_DEPTH)]
    TooDeep,
    #[error("a team cannot move under itself or one of its sub-teams")]
    Cycle,
    #[error(
        "this changes {teams} teams at once; at most {MAX_TEAMS_PER_WRITE} can change in one write"
    )]
    SubtreeTooLarge { teams: usize },
    #[error(
        "the team has active sub-teams: say {{\"subteams\": \"archive\"}} or {{\"subteams\": \"move_up\"}}"
    )]
    HasSubteams,
    #[error("the team (or the parent asked for) is archived")]
    Archived,
    #[error("only an archived team is restored or deleted")]
    NotArchived,
    #[error("only a team without sub-teams and without people is deleted")]
    NotEmpty,
    #[error("{0}")]
    LimitReached(String),
    #[error(transparent)]
    Grant(#[from] GrantError),
    #[error("a description is at most 500 characters, without control characters")]
    InvalidDescription,
    #[error("the cursor is not one this listing gave")]
    BadCursor,
    #[error("the teams changed at the same time; read them again and retry")]
    Conflict,
    #[error("no such user in this tenant")]
    UserNotFound,
    #[error("the person is in this team already")]
    AlreadyMember,
    #[error("the person is not in this team")]
    NotAMember,
    #[error(
        "the tenant's identity provider manages this team's people (SCIM): an owner or admin detaches it first"
    )]
    ManagedByScim,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// A description, as a team keeps it: at most 500 characters, no control characters but line
/// breaks.
pub fn parse_description(raw: &str) -> Result<Option<String>, TeamError> {
    let value = raw.trim();
    let bad = value.chars().count() > 500
        || value
            .chars()
            .any(|c| (c.is_control() && c != '\n') || crate::domain::is_bidi_control(c));
    if bad {
        return Err(TeamError::InvalidDescription);
    }
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

fn may_change_teams(caller: &TenantCaller) -> Result<(), TeamError> {
    if caller.rights.can_manage_users() {
        Ok(())
    } else {
        Err(TeamError::Forbidden)
    }
}

/// A change that makes `teams` grant to people who did not hold it through them (a move under
/// them, a restore) is one a non-admin makes only when they hold all those teams grant: nobody
/// gives, through a team, a permission they lack.
fn may_give_through(caller: &TenantCaller, teams: &[&TeamRecord]) -> Result<(), TeamError> {
    if caller.rights.role.is_admin() {
        return Ok(());
    }
    match teams
        .iter()
        .flat_map(|t| t.permissions.iter())
        .find(|p| !caller.rights.permissions.contains(p.as_str()))
    {
        Some(beyond) => Err(TeamError::Grant(GrantError::PermissionNotAllowed(
            beyond.to_string(),
        ))),
        None => Ok(()),
    }
}

pub(crate) fn team_item(team: &TeamRecord) -> Result<crate::table::Item, InternalError> {
    to_item(&keys::team(team.tenant_id, team.id), team, None).context("building a team")
}

pub(crate) fn name_marker(team: &TeamRecord) -> Result<Op, InternalError> {
    let name = TeamName::parse(&team.name)
        .map_err(|e| InternalError::new("reading a team's name", anyhow::anyhow!(e)))?;
    Ok(Op::put_if(
        to_item(
            &keys::team_name(team.tenant_id, team.parent_id, &name.folded()),
            &TeamNameRecord { team_id: team.id },
            None,
        )
        .context("building a team's name")?,
        Condition::NotExists,
    ))
}

pub(crate) fn name_marker_key(team: &TeamRecord) -> Key {
    let folded = team.name.to_lowercase();
    keys::team_name(team.tenant_id, team.parent_id, &folded)
}

/// What a new team is.
pub struct NewTeam {
    pub name: TeamName,
    pub description: Option<String>,
    pub parent_id: Option<TeamId>,
    pub permissions: PermissionSet,
}

/// `POST .../teams`. Two round trips: the caller with the count and the parent, then one
/// transaction; a race for the count or the parent reads again.
pub async fn create(
    app: &App,
    credential: &Credential,
    tenant_id: TenantId,
    new: NewTeam,
) -> Result<TeamRecord, TeamError> {
    for _ in 0..TRIES {
        let mut extra = vec![keys::team_count(tenant_id)];
        extra.extend(new.parent_id.map(|p| keys::team(tenant_id, p)));
        let (caller, items) = TenantCaller::load_with(app, credential, tenant_id, &extra).await?;
        let mut items = items.into_iter();
        let count: Option<TeamCountRecord> =
            from_optional(items.next().flatten()).context("reading the team count")?;
        let parent: Option<TeamRecord> =
            from_optional(items.next().flatten()).context("reading the parent")?;
        // A maintainer makes sub-teams under a team they maintain; a root team, only those who
        // manage users.
        match &parent {
            Some(parent) if !caller.rights.can_manage_users() => {
                super::team_members::may_change_people(app, &caller, parent).await?;
            }
            _ => may_change_teams(&caller)?,
        }
        grants::check_permissions(&caller.rights, &caller.tenant, None, &new.permissions)?;
        let now = app.clock.now();
        let ancestors = match (&new.parent_id, &parent) {
            (None, _) => Vec::new(),
            (Some(_), None) => return Err(TeamError::ParentNotFound),
            (Some(_), Some(parent)) if !parent.is_active() => return Err(TeamError::Archived),
            (Some(_), Some(parent)) if parent.depth() >= TeamRecord::MAX_DEPTH => {
                return Err(TeamError::TooDeep);
            }
            (Some(_), Some(parent)) => parent.path(),
        };
        let team = TeamRecord {
            id: TeamId::from_ulid(app.random.ulid(now)),
            tenant_id,
            name: new.name.as_str().to_owned(),
            description: new.description.clone(),
            parent_id: new.parent_id,
            ancestors,
            permissions: new.permissions.clone(),
            status: TeamStatus::Active,
            children: 0,
            scim: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut writes = new_team_writes(app, &team, count.as_ref())?;
        if !team.permissions.is_empty() {
            writes.op(tenant_as_read(&caller));
        }
        if let Some(parent) = &parent {
            if parent.children >= TeamRecord::MAX_CHILDREN {
                return Err(TeamError::LimitReached(format!(
                    "a team has at most {} sub-teams",
                    TeamRecord::MAX_CHILDREN
                )));
            }
            writes.op(versioned(&TeamRecord {
                children: parent.children + 1,
                ..parent.clone()
            })?);
        }
        writes.audit(AuditEvent {
            tenant: tenant_id,
            action: AuditAction::TeamCreated,
            actor: caller.actor,
            subject: None,
            details: json!({"team_id": team.id, "name": team.name, "parent_id": team.parent_id,
                "permissions": team.permissions}),
        })?;
        let marker = name_marker_key(&team);
        match writes.commit().await {
            Ok(()) => {
                tracing::info!(team_id = %team.id, "team created");
                return Ok(team);
            }
            Err(e) if e.failed_on(&marker) => return Err(TeamError::NameTaken),
            Err(TransactError::ConditionFailed { .. } | TransactError::Conflict) => continue,
            Err(other) => return Err(other).context("creating the team")?,
        }
    }
    Err(TeamError::Conflict)
}

/// The writes of a new team: the team, its name among its siblings, and the tenant's team count
/// (as `count` read it) one higher. A new team grants nobody anything yet; but the tenant's
/// first team starts the epoch that says its people's grants are to be read (see
/// `team_grants`).
fn new_team_writes<'a>(
    app: &'a App,
    team: &TeamRecord,
    count: Option<&TeamCountRecord>,
) -> Result<Writes<'a>, TeamError> {
    let mut writes = Writes::new(app, team.created_at);
    writes
        .op(Op::put_if(team_item(team)?, Condition::NotExists))
        .op(name_marker(team)?)
        .op(count_op(team.tenant_id, count, 1)?);
    if count.is_none_or(|c| c.count == 0) {
        writes.op(team_grants::new_epoch(app, team.tenant_id, team.created_at)
            .context("building the teams epoch")?);
    }
    Ok(writes)
}

/// A team the tenant's identity provider manages (a SCIM Group), made as [`create`] makes one:
/// a root team, or a sub-team of `parent` (the tenant's place for its groups), with the id `id`
/// and `more` (its `externalId` claim) in the same transaction; a failure of `more` is a
/// [`TeamError::Conflict`], for the caller to read. The caller is the provider, as an admin; a
/// new team grants nothing, so no permission is checked.
pub(crate) async fn create_managed(
    app: &App,
    caller: &TenantCaller,
    id: TeamId,
    name: &TeamName,
    parent: Option<TeamId>,
    link: crate::records::ScimGroupLink,
    more: Vec<Op>,
) -> Result<TeamRecord, TeamError> {
    let tenant_id = caller.tenant.id;
    for _ in 0..TRIES {
        let mut keys = vec![keys::team_count(tenant_id)];
        keys.extend(parent.map(|p| keys::team(tenant_id, p)));
        let mut items = app
            .table
            .batch_get(&keys)
            .await
            .context("reading the team count")?
            .into_iter();
        let count: Option<TeamCountRecord> =
            from_optional(items.next().flatten()).context("reading the team count")?;
        let parent_record: Option<TeamRecord> =
            from_optional(items.next().flatten()).context("reading the parent")?;
        let ancestors = match (parent, &parent_record) {
            (None, _) => Vec::new(),
            (Some(_), None) => return Err(TeamError::ParentNotFound),
            (Some(_), Some(p)) if !p.is_active() => return Err(TeamError::Archived),
            (Some(_), Some(p)) if p.depth() >= TeamRecord::MAX_DEPTH => {
                return Err(TeamError::TooDeep);
            }
            (Some(_), Some(p)) if p.children >= TeamRecord::MAX_CHILDREN => {
                return Err(TeamError::LimitReached(format!(
                    "a team has at most {} sub-teams",
                    TeamRecord::MAX_CHILDREN
                )));
            }
            (Some(_), Some(p)) => p.path(),
        };
        let now = app.clock.now();
        let team = TeamRecord {
            id,
            tenant_id,
            name: name.as_str().to_owned(),
            description: None,
            parent_id: parent_record.as_ref().map(|p| p.id),
            ancestors,
            permissions: PermissionSet::default(),
            status: TeamStatus::Active,
            children: 0,
            scim: Some(link.clone()),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut writes = new_team_writes(app, &team, count.as_ref())?;
        writes.ops(more.clone());
        if let Some(parent) = &parent_record {
            writes.op(versioned(&TeamRecord {
                children: parent.children + 1,
                ..parent.clone()
            })?);
        }
        writes.audit(AuditEvent {
            tenant: tenant_id,
            action: AuditAction::TeamCreated,
            actor: caller.actor,
            subject: None,
            details: json!({"team_id": team.id, "name": team.name, "parent_id": team.parent_id,
                "managed_by": "scim"}),
        })?;
        let marker = name_marker_key(&team);
        let parent_key = parent.map(|p| keys::team(tenant_id, p));
        match writes.commit().await {
            Ok(()) => {
                tracing::info!(team_id = %team.id, "managed team created");
                return Ok(team);
            }
            Err(e) if e.failed_on(&marker) => return Err(TeamError::NameTaken),
            Err(e)
                if e.failed_on(&keys::team_count(tenant_id))
                    || parent_key.as_ref().is_some_and(|k| e.failed_on(k)) =>
            {
                continue;
            }
            Err(TransactError::ConditionFailed { .. } | TransactError::Conflict) => {
                return Err(TeamError::Conflict);
            }
            Err(other) => return Err(other).context("creating the team")?,
        }
    }
    Err(TeamError::Conflict)
}

/// A team's path as the spreadsheet writes it: names from the root joined by `/`. A `\`
/// before a character keeps it in the name: a name's `/`, `;`, `|` (which separate paths in a
/// cell) and `\` are written escaped, so every name reads back as itself.
pub(crate) fn path_text(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| {
            let mut escaped = String::with_capacity(name.len());
            for c in name.chars() {
                if matches!(c, '\\' | '/' | ';' | '|') {
                    escaped.push('\\');
                }
                escaped.push(c);
            }
            escaped
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Teams made together in one change at most (an import's missing teams): each is its item,
/// its name marker and its audit event, with its parent's count; 20 of them fit a transaction.
const TEAMS_PER_CREATION: usize = 20;

/// Makes `planned`, new teams with no permissions whose parents come before them (in the tree
/// already, or earlier in `planned`) and whose `children` count those planned under them: an
/// import's missing teams. A transaction per [`TEAMS_PER_CREATION`] teams, each holding the
/// team count and every existing parent against the versions read, and every name marker
/// only if absent: a tree changed meanwhile fails it with [`TeamError::Conflict`] (or
/// [`TeamError::NameTaken`]), and nothing of that transaction is made. Those made by earlier
/// transactions stay; they are found, not made again, when the import is run again.
pub(crate) async fn create_planned(
    app: &App,
    caller: &TenantCaller,
    planned: &[TeamRecord],
    details: &serde_json::Value,
) -> Result<(), TeamError> {
    if planned.is_empty() {
        return Ok(());
    }
    let tenant_id = caller.tenant.id;
    let new: std::collections::HashSet<TeamId> = planned.iter().map(|t| t.id).collect();
    let mut parent_keys: Vec<Key> = planned
        .iter()
        .filter_map(|t| t.parent_id)
        .filter(|p| !new.contains(p))
        .map(|p| keys::team(tenant_id, p))
        .collect();
    parent_keys.sort_by(|a, b| a.sk.cmp(&b.sk));
    parent_keys.dedup();
    let mut read = vec![keys::team_count(tenant_id)];
    read.extend(parent_keys);
    let items = crate::table::batch_get_all(app.table.as_ref(), &read)
        .await
        .context("reading the team count and parents")?;
    let mut items = items.into_iter();
    let mut count: Option<TeamCountRecord> =
        from_optional(items.next().flatten()).context("reading the team count")?;
    let mut parents: HashMap<TeamId, TeamRecord> = HashMap::new();
    for item in items {
        let parent: TeamRecord = from_optional(item)
            .context("reading a parent")?
            .ok_or(TeamError::Conflict)?;
        parents.insert(parent.id, parent);
    }
    for batch in planned.chunks(TEAMS_PER_CREATION) {
        let now = app.clock.now();
        let mut writes = Writes::new(app, now);
        let first = count.as_ref().is_none_or(|c| c.count == 0);
        let delta = i64::try_from(batch.len()).unwrap_or(i64::MAX);
        let next_count = count_op(tenant_id, count.as_ref(), delta)?;
        writes.op(next_count);
        if first {
            writes
                .op(team_grants::new_epoch(app, tenant_id, now)
                    .context("building the teams epoch")?);
        }
        let mut grown: BTreeMap<TeamId, u32> = BTreeMap::new();
        for team in batch {
            writes
                .op(Op::put_if(team_item(team)?, Condition::NotExists))
                .op(name_marker(team)?)
                .audit(AuditEvent {
                    tenant: tenant_id,
                    action: AuditAction::TeamCreated,
                    actor: caller.actor,
                    subject: None,
                    details: json!({"team_id": team.id, "name": team.name,
                        "parent_id": team.parent_id, "permissions": [], "by": details}),
                })?;
            if let Some(parent) = team.parent_id.filter(|p| parents.contains_key(p)) {
                *grown.entry(parent).or_default() += 1;
            }
        }
        for (id, more) in &grown {
            let Some(parent) = parents.get_mut(id) else {
                continue;
            };
            if parent.children + more > TeamRecord::MAX_CHILDREN {
                return Err(TeamError::LimitReached(format!(
                    "a team has at most {} sub-teams",
                    TeamRecord::MAX_CHILDREN
                )));
            }
            let written = TeamRecord {
                children: parent.children + more,
                ..parent.clone()
            };
            writes.op(versioned(&written)?);
            *parent = TeamRecord {
                version: written.version + 1,
                ..written
            };
        }
        let markers: Vec<Key> = batch.iter().map(name_marker_key).collect();
        match writes.commit().await {
            Ok(()) => {}
            Err(e) if markers.iter().any(|m| e.failed_on(m)) => return Err(TeamError::NameTaken),
            Err(TransactError::ConditionFailed { .. } | TransactError::Conflict) => {
                return Err(TeamError::Conflict);
            }
            Err(other) => return Err(other).context("creating teams")?,
        }
        let made = count.as_ref().map_or(0, |c| c.count) + batch.len() as u64;
        count = Some(TeamCountRecord {
            count: made,
            version: count.as_ref().map_or(1, |c| c.version + 1),
        });
        tracing::info!(tenant_id = %tenant_id, teams = batch.len(), "teams created");
    }
    Ok(())
}

/// The check that the tenant is as read, for a write that gives a team a permission: a removal
/// of that permission from the catalogue meanwhile fails it (see `update_settings`).
fn tenant_as_read(caller: &TenantCaller) -> Op {
    Op::check(
        keys::tenant(caller.tenant.id),
        Condition::VersionIs(caller.tenant.version),
    )
}

/// The write of the team count moved by `delta`, against the version read. Refused past the
/// tenant's limit.
pub(crate) fn count_op(
    tenant: TenantId,
    current: Option<&TeamCountRecord>,
    delta: i64,
) -> Result<Op, TeamError> {
    let count = current.map_or(0, |c| c.count);
    let next = count.saturating_add_signed(delta);
    if delta > 0 && next > TeamRecord::MAX_PER_TENANT {
        return Err(TeamError::LimitReached(format!(
            "a tenant has at most {} teams, archived ones too",
            TeamRecord::MAX_PER_TENANT
        )));
    }
    let record = TeamCountRecord {
        count: next,
        version: current.map_or(1, |c| c.version + 1),
    };
    let condition = match current {
        Some(c) => Condition::VersionIs(c.version),
        None => Condition::NotExists,
    };
    Ok(Op::put_if(
        to_item(&keys::team_count(tenant), &record, None).context("building the team count")?,
        condition,
    ))
}

/// `team` written as the next version of what was read.
pub(crate) fn versioned(team: &TeamRecord) -> Result<Op, InternalError> {
    let written = TeamRecord {
        version: team.version + 1,
        ..team.clone()
    };
    Ok(Op::put_if(
        team_item(&written)?,
        Condition::VersionIs(team.version),
    ))
}

/// `GET .../teams/{id}`: one batch read.
pub async fn get(
    app: &App,
    credential: &Credential,
    tenant_id: TenantId,
    team_id: TeamId,
) -> Result<TeamRecord, TeamError> {
    let (_, mut items) = TenantCaller::load_with(
        app,
        credential,
        tenant_id,
        &[keys::team(tenant_id, team_id)],
    )
    .await?;
    from_optional(items.pop().flatten())
        .context("reading the team")?
        .ok_or(TeamError::NotFound)
}

/// Which teams a listing shows.
pub struct ListTeams {
    /// `None`: every team; `Some(None)`: the roots; `Some(Some(id))`: the children of `id`.
    pub parent: Option<Option<TeamId>>,
    /// A prefix of the name, compared without regard to case.
    pub q: Option<String>,
    pub include_archived: bool,
    pub cursor: Option<String>,
    pub limit: usize,
}

/// `GET .../teams`: the caller, then a page of the tenant's teams (a tenant holds at most
/// 1,000, so a filtered page takes few queries).
pub async fn list(
    app: &App,
    credential: &Credential,
    tenant_id: TenantId,
    query: ListTeams,
) -> Result<(Vec<TeamRecord>, Option<Cursor>), TeamError> {
    let cursor = query
        .cursor
        .as_deref()
        .map(|raw| Cursor::parse(raw, keys::TEAM_PREFIX).ok_or(TeamError::BadCursor))
        .transpose()?;
    TenantCaller::load(app, credential, tenant_id).await?;
    let pk = keys::tenant_pk(tenant_id);
    let q = query.q.map(|q| q.to_lowercase());
    filtered_page(
        app,
        Listing {
            pk: &pk,
            prefix: keys::TEAM_PREFIX,
            order: Order::Ascending,
            cursor,
            limit: query.limit,
        },
        |item| {
            let team: TeamRecord = from_item(item).context("reading a team")?;
            let shown = (query.include_archived || team.is_active())
                && query.parent.is_none_or(|parent| team.parent_id == parent)
                && q.as_deref()
                    .is_none_or(|q| team.name.to_lowercase().starts_with(q));
            Ok(shown.then_some(team))
        },
    )
    .await
    .map_err(Into::into)
}

/// Every team of the tenant, read a page of 1,000 at a time.
pub(crate) async fn all_teams(
    app: &App,
    tenant_id: TenantId,
) -> Result<Vec<TeamRecord>, InternalError> {
    let mut teams = Vec::new();
    for_each_item(
        app,
        &keys::tenant_pk(tenant_id),
        keys::TEAM_PREFIX,
        |item| {
            teams.push(from_item(item).context("reading a team")?);
            Ok(())
        },
    )
    .await?;
    Ok(teams)
}

/// A team with its sub-teams, as the tree shows it.
pub struct TeamNode {
    pub team: TeamRecord,
    pub children: Vec<TeamNode>,
}

/// `GET .../teams/tree`: the caller, then the whole tree in one query (a tenant holds at most
/// 1,000 teams). Archived teams are left out unless asked for; siblings are in name order.
pub async fn tree(
    app: &App,
    credential: &Credential,
    tenant_id: TenantId,
    include_archived: bool,
) -> Result<Vec<TeamNode>, TeamError> {
    TenantCaller::load(app, credential, tenant_id).await?;
    let teams: Vec<TeamRecord> = all_teams(app, tenant_id)
        .await?
        .into_iter()
        .filter(|t| include_archived || t.is_active())
        .collect();
    let mut by_parent: HashMap<Option<TeamId>, Vec<TeamRecord>> = HashMap::new();
    for team in teams {
        by_parent.entry(team.parent_id).or_default().push(team);
    }
    Ok(grow(&mut by_parent, None, 0))
}

fn grow(
    by_parent: &mut HashMap<Option<TeamId>, Vec<TeamRecord>>,
    parent: Option<TeamId>,
    depth: usize,
) -> Vec<TeamNode> {
    // The depth bound keeps a corrupted table from looping: no stored tree is deeper.
    if depth >= TeamRecord::MAX_DEPTH {
        return Vec::new();
    }
    let mut teams = by_parent.remove(&parent).unwrap_or_default();
    teams.sort_by_key(|t| t.name.to_lowercase());
    teams
        .into_iter()
        .map(|team| {
            let children = grow(by_parent, Some(team.id), depth + 1);
            TeamNode { team, children }
        })
        .collect()
}

/// What a `PATCH` changes; `None` leaves a field as it is.
#[derive(Default)]
pub struct TeamPatch {
    pub name: Option<TeamName>,
    pub description: Option<Option<String>>,
    pub permissions: Option<PermissionSet>,
    /// `Some(None)` moves the team to the roots.
    pub parent_id: Option<Option<TeamId>>,
    /// Detaches a team the identity provider manages: its people are then changed here, and
    /// the provider no longer sees it. Owners and admins only.
    pub detach_from_scim: bool,
}

/// The tenant's tree as read for a change: teams by id.
struct Tree {
    teams: BTreeMap<TeamId, TeamRecord>,
}

impl Tree {
    async fn read(app: &App, tenant_id: TenantId) -> Result<Self, InternalError> {
        Ok(Self {
            teams: all_teams(app, tenant_id)
                .await?
                .into_iter()
                .map(|t| (t.id, t))
                .collect(),
        })
    }

    fn get(&self, id: TeamId) -> Result<&TeamRecord, TeamError> {
        self.teams.get(&id).ok_or(TeamError::NotFound)
    }

    /// `root` and every team under it, `root` first, parents before their children.
    fn subtree(&self, root: TeamId) -> Vec<&TeamRecord> {
        let mut found: Vec<&TeamRecord> = self
            .teams
            .values()
            .filter(|t| t.id == root || t.ancestors.contains(&root))
            .collect();
        found.sort_by_key(|t| t.ancestors.len());
        found
    }
}

/// The writes of a change to the tree, one per item however many steps touch it.
struct TreeWrites {
    teams: BTreeMap<TeamId, (TeamRecord, u64)>,
}

impl TreeWrites {
    fn new() -> Self {
        Self {
            teams: BTreeMap::new(),
        }
    }

    /// Takes `team` as read, or as this change already has it.
    fn take(&mut self, team: &TeamRecord) -> &mut TeamRecord {
        &mut self
            .teams
            .entry(team.id)
            .or_insert_with(|| (team.clone(), team.version))
            .0
    }

    fn len(&self) -> usize {
        self.teams.len()
    }

    /// Every changed team written against the version read.
    fn ops(self) -> Result<Vec<Op>, InternalError> {
        self.teams
            .into_values()
            .map(|(team, read)| {
                let written = TeamRecord {
                    version: read + 1,
                    ..team
                };
                Ok(Op::put_if(team_item(&written)?, Condition::VersionIs(read)))
            })
            .collect()
    }
}

/// Moves `team` (with its subtree) under `to` within `writes`: new paths for all of them, the
/// children counts of both parents, the name marker from one parent to the other. Returns the
/// checks on the new parent's ancestors, which the transaction must hold too.
fn plan_move(
    tree: &Tree,
    writes: &mut TreeWrites,
    markers: &mut Vec<Op>,
    team: &TeamRecord,
    to: Option<TeamId>,
) -> Result<Vec<TeamId>, TeamError> {
    let new_ancestors = match to {
        None => Vec::new(),
        Some(parent_id) => {
            let parent = tree
                .teams
                .get(&parent_id)
                .ok_or(TeamError::ParentNotFound)?;
            if parent_id == team.id || parent.ancestors.contains(&team.id) {
                return Err(TeamError::Cycle);
            }
            if !parent.is_active() {
                return Err(TeamError::Archived);
            }
            parent.path()
        }
    };
    let subtree = tree.subtree(team.id);
    let height = subtree
        .iter()
        .map(|t| t.ancestors.len() - team.ancestors.len())
        .max()
        .unwrap_or(0);
    if new_ancestors.len() + 1 + height > TeamRecord::MAX_DEPTH {
        return Err(TeamError::TooDeep);
    }
    let old_depth = team.ancestors.len();
    for member in &subtree {
        let written = writes.take(member);
        let mut ancestors = new_ancestors.clone();
        if member.id != team.id {
            ancestors.push(team.id);
            ancestors.extend_from_slice(&member.ancestors[old_depth + 1..]);
        }
        written.ancestors = ancestors;
    }
    writes.take(team).parent_id = to;
    if let Some(old) = team.parent_id {
        let old = tree.get(old)?;
        let written = writes.take(old);
        written.children = written.children.saturating_sub(1);
    }
    if let Some(new) = to {
        let new = tree.get(new)?;
        let written = writes.take(new);
        if written.children >= TeamRecord::MAX_CHILDREN {
            return Err(TeamError::LimitReached(format!(
                "a team has at most {} sub-teams",
                TeamRecord::MAX_CHILDREN
            )));
        }
        written.children += 1;
    }
    markers.push(Op::delete(name_marker_key(team)));
    let moved = TeamRecord {
        parent_id: to,
        ..team.clone()
    };
    markers.push(name_marker(&moved)?);
    Ok(new_ancestors)
}

/// Adds to `ops` the checks that the new parent's `ancestors` are as read (those not written by
/// the change already): a move of one of them at the same time fails this one.
fn hold_ancestors(ops: &mut Vec<Op>, tree: &Tree, tenant_id: TenantId, ancestors: Vec<TeamId>) {
    for ancestor in ancestors {
        let key = keys::team(tenant_id, ancestor);
        if let Some(read) = tree.teams.get(&ancestor)
            && !ops.iter().any(|op| op.key().as_ref() == Some(&key))
        {
            ops.push(Op::check(key, Condition::VersionIs(read.version)));
        }
    }
}

/// The caller, who must be one who changes teams, the tree and the team in it, which must be
/// active: what a change to the tree starts from.
async fn load_active_in_tree(
    app: &App,
    credential: &Credential,
    tenant_id: TenantId,
    team_id: TeamId,
) -> Result<(TenantCaller, Tree, TeamRecord), TeamError> {
    let caller = TenantCaller::load(app, credential, tenant_id).await?;
    may_change_teams(&caller)?;
    let tree = Tree::read(app, tenant_id).await?;
    let team = tree.get(team_id)?.clone();
    if !team.is_active() {
        return Err(TeamError::Archived);
    }
    Ok((caller, tree, team))
}

/// `PATCH .../teams/{id}`: name, description, permissions and place in one transaction. A
/// change of name or place reads the whole tree first (one query).
pub async fn update(
    app: &App,
    credential: &Credential,
    tenant_id: TenantId,
    team_id: TeamId,
    patch: TeamPatch,
) -> Result<TeamRecord, TeamError> {
    let (caller, tree, team) = load_active_in_tree(app, credential, tenant_id, team_id).await?;
    let detaches = patch.detach_from_scim && team.scim.is_some();
    if detaches && !caller.rights.role.is_admin() {
        return Err(TeamError::Forbidden);
    }
    if let Some(permissions) = &patch.permissions {
        grants::check_permissions(
            &caller.rights,
            &caller.tenant,
            Some(&team.permissions),
            permissions,
        )?;
    }
    let now = app.clock.now();
    let mut writes = TreeWrites::new();
    let mut markers = Vec::new();
    let mut checks = Vec::new();
    let mut moved_from = None;
    if let Some(to) = patch.parent_id
        && to != team.parent_id
    {
        checks = plan_move(&tree, &mut writes, &mut markers, &team, to)?;
        let above: Vec<&TeamRecord> = checks.iter().filter_map(|id| tree.teams.get(id)).collect();
        may_give_through(&caller, &above)?;
        moved_from = Some(team.parent_id);
    }
    let renamed = patch.name.as_ref().is_some_and(|n| n.as_str() != team.name);
    // A change of letter case keeps the marker: it holds the folded name.
    let refolded = patch
        .name
        .as_ref()
        .is_some_and(|n| n.folded() != team.name.to_lowercase());
    {
        let written = writes.take(&team);
        if let Some(name) = &patch.name {
            written.name = name.as_str().to_owned();
        }
        if let Some(description) = patch.description {
            written.description = description;
        }
        if let Some(permissions) = patch.permissions {
            written.permissions = permissions;
        }
        if detaches {
            written.scim = None;
        }
        written.updated_at = now;
    }
    if let Some(external) = team
        .scim
        .as_ref()
        .and_then(|s| s.external_id.as_deref())
        .filter(|_| detaches)
    {
        markers.push(Op::delete(keys::scim_group_external_id(
            tenant_id, external,
        )));
    }
    let changed = writes.teams[&team_id].0.clone();
    if refolded && moved_from.is_none() {
        markers.push(Op::delete(name_marker_key(&team)));
        markers.push(name_marker(&changed)?);
    } else if refolded {
        // The move put the marker of the old name under the new parent: put the new one there.
        markers.pop();
        markers.push(name_marker(&changed)?);
    }
    let teams_written = writes.len();
    if teams_written > MAX_TEAMS_PER_WRITE {
        return Err(TeamError::SubtreeTooLarge {
            teams: teams_written,
        });
    }
    let mut ops = writes.ops()?;
    ops.extend(markers);
    hold_ancestors(&mut ops, &tree, tenant_id, checks);
    let mut commit = Writes::new(app, now);
    commit.ops(ops);
    if changed
        .permissions
        .iter()
        .any(|p| !team.permissions.contains(p.as_str()))
    {
        commit.op(tenant_as_read(&caller));
    }
    // A move changes what the moved teams' people inherit; permissions, what the team grants.
    if moved_from.is_some() || changed.permissions != team.permissions {
        commit.op(team_grants::new_epoch(app, tenant_id, now).context("building the teams epoch")?);
    }
    if let Some(from) = moved_from {
        commit.audit(AuditEvent {
            tenant: tenant_id,
            action: AuditAction::TeamMoved,
            actor: caller.actor,
            subject: None,
            details: json!({"team_id": team_id, "from_parent_id": from, "to_parent_id": changed.parent_id}),
        })?;
    }
    let edited = renamed
        || changed.description != team.description
        || changed.permissions != team.permissions;
    if edited {
        commit.audit(AuditEvent {
            tenant: tenant_id,
            action: AuditAction::TeamUpdated,
            actor: caller.actor,
            subject: None,
            details: json!({"team_id": team_id, "name": changed.name,
                "description": changed.description, "permissions": changed.permissions}),
        })?;
    }
    if commit.len() > crate::table::MAX_TRANSACTION_OPS {
        return Err(TeamError::SubtreeTooLarge {
            teams: teams_written,
        });
    }
    commit_tree(commit).await?;
    tracing::info!(team_id = %team_id, moved = moved_from.is_some(), "team updated");
    Ok(TeamRecord {
        version: changed.version + 1,
        ..changed
    })
}

/// Commits a change to the tree: a name marker that could not be put is a sibling's name, any
/// other condition a change made at the same time.
async fn commit_tree(writes: Writes<'_>) -> Result<(), TeamError> {
    match writes.commit().await {
        Ok(()) => Ok(()),
        Err(TransactError::ConditionFailed { key }) if key.sk.starts_with("TEAMNAME#") => {
            Err(TeamError::NameTaken)
        }
        Err(TransactError::ConditionFailed { .. } | TransactError::Conflict) => {
            Err(TeamError::Conflict)
        }
        Err(other) => Err(other).context("writing the teams")?,
    }
}

/// What becomes of a team's active sub-teams when it is archived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubteamsOnArchive {
    /// Refuse while there are any (409 `team_has_subteams`).
    Refuse,
    /// Archive them too, and theirs.
    Archive,
    /// Move them (with their own sub-teams) to the archived team's parent.
    MoveUp,
}

/// `POST .../teams/{id}/archive`.
pub async fn archive(
    app: &App,
    credential: &Credential,
    tenant_id: TenantId,
    team_id: TeamId,
    subteams: SubteamsOnArchive,
) -> Result<TeamRecord, TeamError> {
    let (caller, tree, team) = load_active_in_tree(app, credential, tenant_id, team_id).await?;
    let now = app.clock.now();
    let children: Vec<&TeamRecord> = tree
        .teams
        .values()
        .filter(|t| t.parent_id == Some(team_id))
        .collect();
    let active_children = children.iter().any(|t| t.is_active());
    let mut writes = TreeWrites::new();
    let mut markers = Vec::new();
    let mut checks = Vec::new();
    let mut archived = vec![team_id];
    match subteams {
        SubteamsOnArchive::Refuse if active_children => return Err(TeamError::HasSubteams),
        SubteamsOnArchive::Refuse => {}
        SubteamsOnArchive::Archive => {
            for member in tree.subtree(team_id) {
                if member.is_active() && member.id != team_id {
                    let written = writes.take(member);
                    written.status = TeamStatus::Archived;
                    written.updated_at = now;
                    archived.push(member.id);
                }
            }
        }
        SubteamsOnArchive::MoveUp => {
            for child in &children {
                checks = plan_move(&tree, &mut writes, &mut markers, child, team.parent_id)?;
            }
        }
    }
    {
        let written = writes.take(&team);
        written.status = TeamStatus::Archived;
        written.updated_at = now;
    }
    let changed = writes.teams[&team_id].0.clone();
    let teams_written = writes.len();
    if teams_written > MAX_TEAMS_PER_WRITE {
        return Err(TeamError::SubtreeTooLarge {
            teams: teams_written,
        });
    }
    let mut ops = writes.ops()?;
    ops.extend(markers);
    hold_ancestors(&mut ops, &tree, tenant_id, checks);
    let mut commit = Writes::new(app, now);
    commit
        .ops(ops)
        .op(team_grants::new_epoch(app, tenant_id, now).context("building the teams epoch")?)
        .audit(AuditEvent {
            tenant: tenant_id,
            action: AuditAction::TeamArchived,
            actor: caller.actor,
            subject: None,
            details: json!({"team_id": team_id, "archived": archived,
            "moved_up": (subteams == SubteamsOnArchive::MoveUp)
                .then(|| children.iter().map(|c| c.id).collect::<Vec<_>>())}),
        })?;
    commit_tree(commit).await?;
    tracing::info!(team_id = %team_id, "team archived");
    Ok(TeamRecord {
        version: changed.version + 1,
        ..changed
    })
}

/// `POST .../teams/{id}/restore`: only under an active parent (or at the roots).
pub async fn restore(
    app: &App,
    credential: &Credential,
    tenant_id: TenantId,
    team_id: TeamId,
) -> Result<TeamRecord, TeamError> {
    let (caller, team, parent) = load_with_parent(app, credential, tenant_id, team_id).await?;
    may_change_teams(&caller)?;
    if team.is_active() {
        return Err(TeamError::NotArchived);
    }
    // Its people hold again what it and the teams above it grant.
    if !caller.rights.role.is_admin() {
        let keys: Vec<Key> = team
            .ancestors
            .iter()
            .map(|id| keys::team(tenant_id, *id))
            .collect();
        let above: Vec<TeamRecord> = crate::table::batch_get_all(app.table.as_ref(), &keys)
            .await
            .context("reading the teams above")?
            .into_iter()
            .flatten()
            .map(|item| from_item(item).context("reading a team"))
            .collect::<Result<_, _>>()?;
        let mut granting: Vec<&TeamRecord> = above.iter().collect();
        granting.push(&team);
        may_give_through(&caller, &granting)?;
    }
    let mut writes = Writes::new(app, app.clock.now());
    if let Some(parent) = &parent {
        if !parent.is_active() {
            return Err(TeamError::Archived);
        }
        writes.op(Op::check(
            keys::team(tenant_id, parent.id),
            Condition::VersionIs(parent.version),
        ));
    }
    let restored = TeamRecord {
        status: TeamStatus::Active,
        updated_at: writes.now(),
        ..team.clone()
    };
    writes
        .op(versioned(&restored)?)
        .op(team_grants::new_epoch(app, tenant_id, restored.updated_at)
            .context("building the teams epoch")?)
        .audit(AuditEvent {
            tenant: tenant_id,
            action: AuditAction::TeamRestored,
            actor: caller.actor,
            subject: None,
            details: json!({"team_id": team_id}),
        })?;
    commit_tree(writes).await?;
    Ok(TeamRecord {
        version: restored.version + 1,
        ..restored
    })
}

/// `DELETE .../teams/{id}`: only an archived team without sub-teams.
pub async fn delete(
    app: &App,
    credential: &Credential,
    tenant_id: TenantId,
    team_id: TeamId,
) -> Result<(), TeamError> {
    let (caller, team, parent) = load_with_parent(app, credential, tenant_id, team_id).await?;
    may_change_teams(&caller)?;
    if team.is_active() {
        return Err(TeamError::NotArchived);
    }
    // No one joins an archived team (an add checks the team's version), so a team found
    // without people here stays without them until it is gone.
    let people = app
        .table
        .query(
            &keys::tenant_pk(tenant_id),
            &keys::team_members_prefix(team_id),
            None,
            1,
        )
        .await
        .context("reading the team's people")?;
    if team.children > 0 || !people.items.is_empty() {
        return Err(TeamError::NotEmpty);
    }
    let count: Option<TeamCountRecord> = from_optional(
        app.table
            .get(&keys::team_count(tenant_id))
            .await
            .context("reading the team count")?,
    )
    .context("reading the team count")?;
    let mut writes = Writes::new(app, app.clock.now());
    writes
        .op(Op::delete_if(
            keys::team(tenant_id, team_id),
            Condition::VersionIs(team.version),
        ))
        .op(Op::delete(name_marker_key(&team)))
        .op(count_op(tenant_id, count.as_ref(), -1)?);
    if let Some(parent) = &parent {
        writes.op(versioned(&TeamRecord {
            children: parent.children.saturating_sub(1),
            ..parent.clone()
        })?);
    }
    writes.audit(AuditEvent {
        tenant: tenant_id,
        action: AuditAction::TeamDeleted,
        actor: caller.actor,
        subject: None,
        details: json!({"team_id": team_id, "name": team.name}),
    })?;
    commit_tree(writes).await?;
    tracing::info!(team_id = %team_id, "team deleted");
    Ok(())
}

/// The caller, the team and its parent: the caller and the team in one batch, then the parent.
async fn load_with_parent(
    app: &App,
    credential: &Credential,
    tenant_id: TenantId,
    team_id: TeamId,
) -> Result<(TenantCaller, TeamRecord, Option<TeamRecord>), TeamError> {
    let (caller, mut items) = TenantCaller::load_with(
        app,
        credential,
        tenant_id,
        &[keys::team(tenant_id, team_id)],
    )
    .await?;
    let team: TeamRecord = from_optional(items.pop().flatten())
        .context("reading the team")?
        .ok_or(TeamError::NotFound)?;
    let parent = match team.parent_id {
        Some(parent) => from_optional(
            app.table
                .get(&keys::team(tenant_id, parent))
                .await
                .context("reading the parent")?,
        )
        .context("reading the parent")?,
        None => None,
    };
    Ok((caller, team, parent))
}
