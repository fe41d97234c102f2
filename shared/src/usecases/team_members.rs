//! The people of a team: added and removed by those who manage users and by the team's
//! maintainers (a maintainer of a team maintains its sub-teams too), listed with or without the
//! sub-teams' people, and a person's teams, direct or with those they come through.
//!
//! A place in a team is one record under two keys, written and deleted together: under the team
//! (`TEAMMEMBER#{team}#{account}`, its members in one query) and under the person
//! (`MEMBERTEAM#{account}#{team}`, their teams in one query). Both are put only if absent, so
//! however many add one person to one team at once, one place is made.

use std::collections::BTreeMap;

use serde_json::json;

use super::audit::{AuditAction, AuditEvent};
use super::commit::Writes;
use super::listing::{Cursor, for_each_item};
use super::team_grants;
use super::teams::TeamError;
use super::{Context, InternalError, TenantCaller};
use crate::app::App;
use crate::domain::{AccountId, TeamId, TenantId};
use crate::keys;
use crate::records::{
    MembershipRecord, TeamMemberRecord, TeamNameRecord, TeamRecord, from_item, from_optional,
    to_item,
};
use crate::table::{Condition, Key, Op, TransactError, batch_get_all};
use crate::token::Credential;

/// Whether the caller may change the people of `team`: owners and admins may; those who manage
/// users may, and a maintainer of the team or of one of its ancestors may, when the team and its
/// ancestors grant nothing they lack (nobody gives, through a team, a permission they do not
/// hold; themselves included). One batch read, only for a caller who is not an admin.
pub(crate) async fn may_change_people(
    app: &App,
    caller: &TenantCaller,
    team: &TeamRecord,
) -> Result<(), TeamError> {
    if team.scim.is_some() {
        return Err(TeamError::ManagedByScim);
    }
    if caller.rights.role.is_admin() {
        return Ok(());
    }
    let manages_users = caller.rights.can_manage_users();
    let tenant = team.tenant_id;
    let path = team.path();
    let mut keys: Vec<Key> = Vec::new();
    let account = caller.account_id();
    if !manages_users {
        let Some(account) = account else {
            return Err(TeamError::Forbidden);
        };
        keys.extend(path.iter().map(|t| keys::team_member(tenant, *t, account)));
    }
    let places_read = keys.len();
    keys.extend(team.ancestors.iter().map(|t| keys::team(tenant, *t)));
    let items = if keys.is_empty() {
        Vec::new()
    } else {
        app.table
            .batch_get(&keys)
            .await
            .context("reading the caller's teams")?
    };
    let (places, ancestors) = items.split_at(places_read);
    let maintains = places.iter().flatten().any(|item| {
        from_item::<TeamMemberRecord>(item.clone()).is_ok_and(|place| place.maintainer)
    });
    if !manages_users && !maintains {
        return Err(TeamError::Forbidden);
    }
    let mut grants: Vec<&crate::domain::Permission> = team.permissions.iter().collect();
    let ancestors: Vec<TeamRecord> = ancestors
        .iter()
        .flatten()
        .map(|item| from_item(item.clone()).context("reading a team"))
        .collect::<Result<_, _>>()?;
    grants.extend(ancestors.iter().flat_map(|t| t.permissions.iter()));
    if let Some(beyond) = grants
        .into_iter()
        .find(|p| !caller.rights.permissions.contains(p.as_str()))
    {
        return Err(TeamError::Grant(
            super::grants::GrantError::PermissionNotAllowed(beyond.to_string()),
        ));
    }
    Ok(())
}

/// Reads the caller, the team, the person's membership and their place in the team in one batch.
async fn load(
    app: &App,
    credential: &Credential,
    tenant: TenantId,
    team: TeamId,
    user: AccountId,
) -> Result<
    (
        TenantCaller,
        TeamRecord,
        Option<MembershipRecord>,
        Option<TeamMemberRecord>,
    ),
    TeamError,
> {
    // One's own membership is read with the caller: a batch read takes each key once.
    let is_self = credential.account_id() == Some(user);
    let mut extra = vec![
        keys::team(tenant, team),
        keys::team_member(tenant, team, user),
    ];
    if !is_self {
        extra.push(keys::membership(tenant, user));
    }
    let (caller, items) = TenantCaller::load_with(app, credential, tenant, &extra).await?;
    let mut items = items.into_iter();
    let team: TeamRecord = from_optional(items.next().flatten())
        .context("reading the team")?
        .ok_or(TeamError::NotFound)?;
    let place = from_optional(items.next().flatten()).context("reading the place")?;
    let member = if is_self {
        caller.membership.clone()
    } else {
        from_optional(items.next().flatten()).context("reading the member")?
    };
    Ok((caller, team, member, place))
}

pub(crate) fn place_ops(
    tenant: TenantId,
    place: &TeamMemberRecord,
    condition: Condition,
) -> Result<Vec<Op>, InternalError> {
    [
        keys::team_member(tenant, place.team_id, place.account_id),
        keys::member_team(tenant, place.account_id, place.team_id),
    ]
    .iter()
    .map(|key| {
        Ok(Op::put_if(
            to_item(key, place, None).context("building a team place")?,
            condition.clone(),
        ))
    })
    .collect()
}

/// `POST .../teams/{id}/members`: a member of the tenant joins the team. Only those who manage
/// users make a maintainer.
pub async fn add(
    app: &App,
    credential: &Credential,
    tenant: TenantId,
    team_id: TeamId,
    user: AccountId,
    maintainer: bool,
) -> Result<TeamMemberRecord, TeamError> {
    let (caller, team, member, place) = load(app, credential, tenant, team_id, user).await?;
    if member.is_none() {
        return Err(TeamError::UserNotFound);
    }
    may_change_people(app, &caller, &team).await?;
    if maintainer && !caller.rights.can_manage_users() {
        return Err(TeamError::Forbidden);
    }
    if !team.is_active() {
        return Err(TeamError::Archived);
    }
    if place.is_some() {
        return Err(TeamError::AlreadyMember);
    }
    let now = app.clock.now();
    let place = TeamMemberRecord {
        team_id,
        account_id: user,
        maintainer,
        added_at: now,
        version: 1,
    };
    let mut writes = Writes::new(app, now);
    writes
        .ops(place_ops(tenant, &place, Condition::NotExists)?)
        // The team as read: archived or moved at the same time, this fails.
        .op(Op::check(
            keys::team(tenant, team_id),
            Condition::VersionIs(team.version),
        ))
        .op(team_grants::places_changed(app, tenant, user).context("building the team grants")?)
        .audit(AuditEvent {
            tenant,
            action: AuditAction::TeamMemberAdded,
            actor: caller.actor,
            subject: Some(user),
            details: json!({"team_id": team_id, "team": team.name, "maintainer": maintainer}),
        })?;
    let key = keys::team_member(tenant, team_id, user);
    match commit_retrying_contention(writes).await {
        Err(e) if e.failed_on(&key) => Err(TeamError::AlreadyMember),
        result => settle(result, "adding a team member").map(|()| place),
    }
}

/// Commits a change to someone's places, again (up to [`CONTENDED_TRIES`] in all) when it met
/// another transaction on the same items: joins of one person to several teams at once all
/// write their grants record, and each stands on its own.
async fn commit_retrying_contention(writes: Writes<'_>) -> Result<(), TransactError> {
    let mut result = writes.clone().commit().await;
    for _ in 1..CONTENDED_TRIES {
        if !matches!(result, Err(TransactError::Conflict)) {
            break;
        }
        result = writes.clone().commit().await;
    }
    result
}

const CONTENDED_TRIES: usize = 4;

/// A place's transaction as answered: a condition that failed is a change made at the same time.
fn settle(result: Result<(), TransactError>, what: &'static str) -> Result<(), TeamError> {
    match result {
        Ok(()) => Ok(()),
        Err(TransactError::ConditionFailed { .. } | TransactError::Conflict) => {
            Err(TeamError::Conflict)
        }
        Err(other) => Err(other).context(what)?,
    }
}

/// `DELETE .../teams/{id}/members/{user}`.
pub async fn remove(
    app: &App,
    credential: &Credential,
    tenant: TenantId,
    team_id: TeamId,
    user: AccountId,
) -> Result<(), TeamError> {
    let (caller, team, _, place) = load(app, credential, tenant, team_id, user).await?;
    may_change_people(app, &caller, &team).await?;
    let place = place.ok_or(TeamError::NotAMember)?;
    // A maintainer leaves a maintainer in place: only those who manage users take one away.
    if place.maintainer && !caller.rights.can_manage_users() {
        return Err(TeamError::Forbidden);
    }
    let mut writes = Writes::new(app, app.clock.now());
    writes
        .op(Op::delete_if(
            keys::team_member(tenant, team_id, user),
            Condition::VersionIs(place.version),
        ))
        .op(Op::delete_if(
            keys::member_team(tenant, user, team_id),
            Condition::Exists,
        ))
        .op(team_grants::places_changed(app, tenant, user).context("building the team grants")?)
        .audit(AuditEvent {
            tenant,
            action: AuditAction::TeamMemberRemoved,
            actor: caller.actor,
            subject: Some(user),
            details: json!({"team_id": team_id, "team": team.name}),
        })?;
    settle(
        commit_retrying_contention(writes).await,
        "removing a team member",
    )
}

/// `PATCH .../teams/{id}/members/{user}` `{maintainer}`: by those who manage users only.
pub async fn set_maintainer(
    app: &App,
    credential: &Credential,
    tenant: TenantId,
    team_id: TeamId,
    user: AccountId,
    maintainer: bool,
) -> Result<TeamMemberRecord, TeamError> {
    let (caller, team, _, place) = load(app, credential, tenant, team_id, user).await?;
    if !caller.rights.can_manage_users() {
        return Err(TeamError::Forbidden);
    }
    let place = place.ok_or(TeamError::NotAMember)?;
    if place.maintainer == maintainer {
        return Ok(place);
    }
    let changed = TeamMemberRecord {
        maintainer,
        version: place.version + 1,
        ..place.clone()
    };
    let mut writes = Writes::new(app, app.clock.now());
    writes
        .ops(place_ops(
            tenant,
            &changed,
            Condition::VersionIs(place.version),
        )?)
        .audit(AuditEvent {
            tenant,
            action: AuditAction::TeamMaintainerChanged,
            actor: caller.actor,
            subject: Some(user),
            details: json!({"team_id": team_id, "team": team.name, "maintainer": maintainer}),
        })?;
    settle(writes.commit().await, "changing a maintainer").map(|()| changed)
}

/// A person in a team's listing.
pub struct ListedMember {
    pub member: team_grants::Member,
    /// In this team itself, not only in a sub-team.
    pub direct: bool,
    pub maintainer: bool,
}

/// Which page of a team's people: after `cursor` (one the listing gave), at most `limit`.
pub struct MembersPage {
    pub cursor: Option<String>,
    pub limit: usize,
}

/// `GET .../teams/{id}/members` (with `include=subteams`, the sub-teams' people too, each once):
/// for those who manage users and the team's maintainers. In account order, a page at a time:
/// the places are read whole (a team's, or a subtree's, at most the tenant's 10,000), the people
/// and what their teams grant only for the page.
pub async fn list(
    app: &App,
    credential: &Credential,
    tenant: TenantId,
    team_id: TeamId,
    include_subteams: bool,
    page: MembersPage,
) -> Result<(Vec<ListedMember>, Option<Cursor>), TeamError> {
    let prefix = keys::team_members_prefix(team_id);
    let after = match &page.cursor {
        None => None,
        Some(raw) => Some(
            Cursor::parse(raw, &prefix)
                .and_then(|c| c.sk()[prefix.len()..].parse::<AccountId>().ok())
                .ok_or(TeamError::BadCursor)?,
        ),
    };
    let (caller, mut items) =
        TenantCaller::load_with(app, credential, tenant, &[keys::team(tenant, team_id)]).await?;
    let team: TeamRecord = from_optional(items.pop().flatten())
        .context("reading the team")?
        .ok_or(TeamError::NotFound)?;
    may_change_people(app, &caller, &team).await?;
    let places = places_under(app, &team, include_subteams).await?;
    let mut people: BTreeMap<AccountId, (bool, bool)> = BTreeMap::new();
    for place in places.into_iter().flatten() {
        if after.is_some_and(|after| place.account_id <= after) {
            continue;
        }
        let direct = place.team_id == team_id;
        let entry = people.entry(place.account_id).or_insert((false, false));
        entry.0 |= direct;
        entry.1 |= direct && place.maintainer;
    }
    let more = people.len() > page.limit;
    let people: Vec<(AccountId, (bool, bool))> = people.into_iter().take(page.limit).collect();
    let next = more
        .then(|| people.last())
        .flatten()
        .map(|(last, _)| Cursor::after(format!("{prefix}{last}")));
    let keys: Vec<Key> = people
        .iter()
        .map(|(account, _)| keys::membership(tenant, *account))
        .collect();
    let found = batch_get_all(app.table.as_ref(), &keys)
        .await
        .context("reading the members")?;
    let mut memberships = Vec::new();
    let mut marks = Vec::new();
    for ((_, mark), item) in people.into_iter().zip(found) {
        if let Some(membership) =
            from_optional::<MembershipRecord>(item).context("reading a member")?
        {
            memberships.push(membership);
            marks.push(mark);
        }
    }
    let members = team_grants::members(app, &caller.tenant, memberships)
        .await
        .context("reading the members' teams")?;
    let listed = members
        .into_iter()
        .zip(marks)
        .map(|(member, (direct, maintainer))| ListedMember {
            member,
            direct,
            maintainer,
        })
        .collect();
    Ok((listed, next))
}

/// The places in `team` and, with `include_subteams`, in its active sub-teams. Those are found
/// a level at a time: the name markers under each team found that has sub-teams (a query each,
/// at once), then the teams they name (one batch), the archived ones left out with what is under
/// them. A subtree costs reads in its own size, never the tenant's whole tree.
async fn places_under(
    app: &App,
    team: &TeamRecord,
    include_subteams: bool,
) -> Result<Vec<Vec<TeamMemberRecord>>, InternalError> {
    let tenant = team.tenant_id;
    let mut teams = vec![team.id];
    if include_subteams {
        let mut level = vec![team.clone()];
        // Bounded by the depth, so that a corrupted table cannot loop.
        for _ in team.depth()..TeamRecord::MAX_DEPTH {
            let parents: Vec<TeamId> = level
                .iter()
                .filter(|t| t.children > 0)
                .map(|t| t.id)
                .collect();
            if parents.is_empty() {
                break;
            }
            let children =
                futures::future::try_join_all(parents.iter().map(|p| children_of(app, tenant, *p)))
                    .await?;
            level = read_teams(app, tenant, children.into_iter().flatten().collect())
                .await?
                .into_values()
                .filter(|t| t.is_active() && t.ancestors.contains(&team.id))
                .collect();
            teams.extend(level.iter().map(|t| t.id));
        }
    }
    futures::future::try_join_all(teams.iter().map(|t| places_of_team(app, tenant, *t))).await
}

/// The ids of `parent`'s sub-teams, from their name markers.
async fn children_of(
    app: &App,
    tenant: TenantId,
    parent: TeamId,
) -> Result<Vec<TeamId>, InternalError> {
    let mut ids = Vec::new();
    for_each_item(
        app,
        &keys::tenant_pk(tenant),
        &keys::team_names_prefix(Some(parent)),
        |item| {
            ids.push(
                from_item::<TeamNameRecord>(item)
                    .context("reading a team's name")?
                    .team_id,
            );
            Ok(())
        },
    )
    .await?;
    Ok(ids)
}

/// The people of `team` (and of its active sub-teams), each once, in account order.
pub(crate) async fn people_of(
    app: &App,
    team: &TeamRecord,
    include_subteams: bool,
) -> Result<Vec<AccountId>, InternalError> {
    let mut people: Vec<AccountId> = places_under(app, team, include_subteams)
        .await?
        .into_iter()
        .flatten()
        .map(|p| p.account_id)
        .collect();
    people.sort();
    people.dedup();
    Ok(people)
}

pub(crate) async fn places_of_team(
    app: &App,
    tenant: TenantId,
    team: TeamId,
) -> Result<Vec<TeamMemberRecord>, InternalError> {
    let mut places = Vec::new();
    for_each_item(
        app,
        &keys::tenant_pk(tenant),
        &keys::team_members_prefix(team),
        |item| {
            places.push(from_item(item).context("reading a team place")?);
            Ok(())
        },
    )
    .await?;
    Ok(places)
}

/// The teams `ids` (each once) by id; those not found are left out.
async fn read_teams(
    app: &App,
    tenant: TenantId,
    mut ids: Vec<TeamId>,
) -> Result<BTreeMap<TeamId, TeamRecord>, InternalError> {
    ids.sort();
    ids.dedup();
    Ok(team_grants::read_teams(app, tenant, &ids)
        .await
        .context("reading teams")?
        .into_iter()
        .map(|t| (t.id, t))
        .collect())
}

/// One of a person's teams, and how they are in it.
pub struct PersonTeam {
    pub team: TeamRecord,
    /// `None`: a direct member; else the direct team it comes through (the nearest below it).
    pub via: Option<TeamId>,
    pub maintainer: bool,
}

/// `GET .../users/{id}/teams` (with `include=inherited`, every team above a direct one too):
/// the person themselves, or those who manage users. Archived teams are left out.
///
/// Two round trips of latency: the caller with the person and what their teams grant (whose
/// `teams` are their active teams and those above, kept per person; see `team_grants`), at
/// once with the person's places; then those teams in one batch. A team above that the kept
/// answer lacks (a place taken meanwhile) is read in one more.
pub async fn of_person(
    app: &App,
    credential: &Credential,
    tenant: TenantId,
    user: AccountId,
    inherited: bool,
) -> Result<Vec<PersonTeam>, TeamError> {
    let pk = keys::tenant_pk(tenant);
    let prefix = keys::member_teams_prefix(user);
    let mut places: Vec<TeamMemberRecord> = Vec::new();
    let (caller, read_places) = tokio::join!(
        TenantCaller::load_with_member(app, credential, tenant, user),
        for_each_item(app, &pk, &prefix, |item| {
            places.push(from_item(item).context("reading a team place")?);
            Ok(())
        }),
    );
    let (caller, member) = caller?;
    read_places?;
    if caller.account_id() != Some(user) && !caller.rights.can_manage_users() {
        return Err(TeamError::Forbidden);
    }
    let member = member.ok_or(TeamError::UserNotFound)?;
    let mut wanted: Vec<TeamId> = places.iter().map(|p| p.team_id).collect();
    if inherited {
        wanted.extend(member.teams.iter().copied());
    }
    let mut teams = read_teams(app, tenant, wanted).await?;
    if inherited {
        let missing: Vec<TeamId> = places
            .iter()
            .filter_map(|p| teams.get(&p.team_id))
            .flat_map(|t| t.ancestors.iter().copied())
            .filter(|id| !teams.contains_key(id))
            .collect();
        teams.extend(read_teams(app, tenant, missing).await?);
    }
    let mut found: BTreeMap<TeamId, PersonTeam> = BTreeMap::new();
    let direct: Vec<(&TeamRecord, bool)> = places
        .iter()
        .filter_map(|p| teams.get(&p.team_id).map(|t| (t, p.maintainer)))
        .filter(|(t, _)| t.is_active())
        .collect();
    for (team, maintainer) in &direct {
        found.insert(
            team.id,
            PersonTeam {
                team: (*team).clone(),
                via: None,
                maintainer: *maintainer,
            },
        );
    }
    if inherited {
        // Above each direct team, its ancestors, through the nearest direct team below them.
        // The nearest is the shallowest direct team under the ancestor.
        let mut above: Vec<(TeamId, usize, TeamId)> = direct
            .iter()
            .flat_map(|(team, _)| {
                let depth = team.depth();
                team.ancestors
                    .iter()
                    .map(move |ancestor| (*ancestor, depth, team.id))
            })
            .filter(|(ancestor, _, _)| !found.contains_key(ancestor))
            .collect();
        above.sort();
        above.dedup_by_key(|(ancestor, _, _)| *ancestor);
        for (ancestor, _, via) in above {
            if let Some(team) = teams.get(&ancestor) {
                found.insert(
                    ancestor,
                    PersonTeam {
                        team: team.clone(),
                        via: Some(via),
                        maintainer: false,
                    },
                );
            }
        }
    }
    Ok(found.into_values().collect())
}

/// The teams a newcomer joins as they arrive, however they arrive (created, invited, imported,
/// from their mail): the tenant's default teams and those their invitation names, as read, the
/// archived ones left out; with the teams above them, for what they grant.
#[derive(Clone, Debug, Default)]
pub(crate) struct NewcomerTeams {
    joined: Vec<TeamRecord>,
    grants: team_grants::TeamGrants,
}

impl NewcomerTeams {
    /// The tenant's default teams and `named`: nothing read when there are none.
    pub(crate) async fn read(
        app: &App,
        tenant: &crate::records::TenantRecord,
        named: &[TeamId],
    ) -> Result<Self, InternalError> {
        let mut ids: Vec<TeamId> = tenant.settings.default_teams.clone();
        ids.extend_from_slice(named);
        ids.sort();
        ids.dedup();
        if ids.is_empty() {
            return Ok(Self::default());
        }
        let (joined, grants) = team_grants::through(app, tenant.id, &ids)
            .await
            .context("reading the newcomer's teams")?;
        Ok(Self { joined, grants })
    }

    /// What the newcomer's teams grant once they joined.
    pub(crate) fn grants(&self) -> team_grants::TeamGrants {
        self.grants.clone()
    }

    /// The newcomer's places, each against its team's version as read (a team archived or
    /// moved meanwhile fails the arrival, which is tried again), with their audit events.
    pub(crate) fn join(
        &self,
        writes: &mut Writes<'_>,
        tenant: TenantId,
        account: AccountId,
        actor: crate::records::Actor,
    ) -> Result<(), InternalError> {
        let teams: Vec<&TeamRecord> = self.joined.iter().collect();
        join(
            writes,
            tenant,
            account,
            actor,
            &teams,
            json!({"newcomer": true}),
        )
    }

    /// The tenant's default teams and `named`, as `teams` (the tenant's tree, read once for
    /// many newcomers) has them: an import's new people.
    pub(crate) fn among(
        tenant: &crate::records::TenantRecord,
        teams: &std::collections::HashMap<TeamId, TeamRecord>,
        named: &[TeamId],
    ) -> Self {
        let mut ids: Vec<TeamId> = tenant.settings.default_teams.clone();
        ids.extend_from_slice(named);
        ids.sort();
        ids.dedup();
        let (joined, grants) = team_grants::granted_among(teams, &ids);
        Self { joined, grants }
    }
}

/// The writes that put `account` in `teams` (none of which they are in): their places, only
/// if absent, each against its team's version as read (a team archived or moved meanwhile
/// fails it), the audit events with `details` added, and their grants to be worked out again.
pub(crate) fn join(
    writes: &mut Writes<'_>,
    tenant: TenantId,
    account: AccountId,
    actor: crate::records::Actor,
    teams: &[&TeamRecord],
    details: serde_json::Value,
) -> Result<(), InternalError> {
    if teams.is_empty() {
        return Ok(());
    }
    let app = writes.app();
    let now = writes.now();
    for team in teams {
        let place = TeamMemberRecord {
            team_id: team.id,
            account_id: account,
            maintainer: false,
            added_at: now,
            version: 1,
        };
        let mut event = json!({"team_id": team.id, "team": team.name, "maintainer": false});
        if let (Some(event), Some(more)) = (event.as_object_mut(), details.as_object()) {
            event.extend(more.clone());
        }
        writes
            .ops(place_ops(tenant, &place, Condition::NotExists)?)
            .op(Op::check(
                keys::team(tenant, team.id),
                Condition::VersionIs(team.version),
            ))
            .audit(AuditEvent {
                tenant,
                action: AuditAction::TeamMemberAdded,
                actor,
                subject: Some(account),
                details: event,
            })?;
    }
    writes
        .op(team_grants::places_changed(app, tenant, account)
            .context("building the team grants")?);
    Ok(())
}

/// The job that puts a newcomer from inbound mail in the tenant's default teams and the teams it
/// names, those they are not in already, as the teams are now. A membership gone meanwhile joins
/// nothing; a race with another change to their places fails the transaction, and the job runs
/// again.
pub(crate) async fn join_newcomer_teams(
    app: &App,
    newcomer: super::jobs::Newcomer,
    done: Op,
) -> Result<(), InternalError> {
    let super::jobs::Newcomer {
        tenant_id,
        account_id,
        team_ids,
    } = newcomer;
    let items = app
        .table
        .batch_get(&[
            keys::tenant(tenant_id),
            keys::membership(tenant_id, account_id),
        ])
        .await
        .context("reading the newcomer")?;
    let mut items = items.into_iter();
    let tenant: Option<crate::records::TenantRecord> =
        from_optional(items.next().flatten()).context("reading the tenant")?;
    let membership: Option<MembershipRecord> =
        from_optional(items.next().flatten()).context("reading the membership")?;
    let mut writes = Writes::new(app, app.clock.now());
    writes.op(done);
    if let (Some(tenant), Some(_)) = (tenant, membership) {
        let places = team_grants::direct_teams(app, tenant_id, account_id)
            .await
            .context("reading the newcomer's places")?;
        let mut teams = NewcomerTeams::read(app, &tenant, &team_ids).await?;
        teams.joined.retain(|team| !places.contains(&team.id));
        teams.join(
            &mut writes,
            tenant_id,
            account_id,
            crate::records::Actor::System,
        )?;
    }
    writes.commit().await.context("joining the default teams")?;
    Ok(())
}
