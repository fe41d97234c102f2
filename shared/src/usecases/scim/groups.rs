//! `/Groups`: teams the tenant's identity provider manages (`TeamRecord::scim`), root teams of
//! the tenant or sub-teams of the team its admins chose (`groups_parent`). Their people come from
//! the provider: the team routes refuse to change them until an owner or admin detaches the team.
//! A group's `displayName` is the team's name, unique among its siblings (so among the groups);
//! its members are the team's places.
//!
//! A member that is not a User of this tenant (an id from elsewhere, or no id at all) is left
//! out rather than refused: the answer lists the members the group holds, and RFC 7644 leaves
//! the case open. Member changes are written at most [`MEMBERS_PER_WRITE`] people per
//! transaction, each against the team as read: a group of thousands changes in several
//! transactions, each whole, and a provider that repeats the request after a failure finds the
//! ones done already done.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::patch::{self, PATCH_SCHEMA};
use super::resource::{GROUP_SCHEMA, member, short_text};
use super::{ScimCaller, ScimProtocolError, ScimType};
use crate::app::App;
use crate::domain::{AccountId, TeamId, TeamName};
use crate::keys;
use crate::records::{
    MembershipRecord, ScimGroupLink, TeamCountRecord, TeamMemberRecord, TeamNameRecord, TeamRecord,
    from_optional, to_item,
};
use crate::table::{Condition, Key, Op, TransactError};
use crate::usecases::audit::{AuditAction, AuditEvent};
use crate::usecases::commit::Writes;
use crate::usecases::team_members::{place_ops, places_of_team};
use crate::usecases::teams::{
    self, TeamError, count_op, name_marker, name_marker_key, team_item, versioned,
};
use crate::usecases::{Context, Found, InternalError, team_grants};

/// People added or removed in one transaction: two places, the grants record and the check of
/// the team each, and their audit events beside.
pub const MEMBERS_PER_WRITE: usize = 25;

/// A group as read: the team, and its members unless they were left out
/// (`excludedAttributes=members`).
pub struct Group {
    pub team: TeamRecord,
    pub members: Option<Vec<AccountId>>,
}

impl Group {
    /// The Group as the endpoint answers with it.
    pub fn to_json(&self, public_url: &str) -> Value {
        let team = &self.team;
        let mut group = json!({
            "schemas": [GROUP_SCHEMA],
            "id": team.id.to_string(),
            "displayName": team.name,
            "meta": {
                "resourceType": "Group",
                "created": team.created_at,
                "lastModified": team.updated_at,
                "location": format!("{public_url}/scim/v2/{}/Groups/{}", team.tenant_id, team.id),
                "version": format!("W/\"{}\"", team.version),
            },
        });
        if let Some(external_id) = team.scim.as_ref().and_then(|s| s.external_id.as_deref()) {
            group["externalId"] = json!(external_id);
        }
        if let Some(members) = &self.members {
            group["members"] = members
                .iter()
                .map(|id| {
                    json!({
                        "value": id.to_string(),
                        "$ref": format!("{public_url}/scim/v2/{}/Users/{id}", team.tenant_id),
                        "type": "User",
                    })
                })
                .collect();
        }
        group
    }
}

/// What the provider sets of a group, read from a Group's body.
struct GroupAttributes {
    name: TeamName,
    external_id: Option<String>,
    /// The members named, as ids of Users (values that are none are left out); `None` when
    /// the body has no `members`.
    members: Option<Vec<AccountId>>,
}

/// The ids a `members` value names: `[{"value": id}]`, or bare ids.
fn member_ids(value: &Value) -> Result<Vec<AccountId>, ScimProtocolError> {
    let items = match value {
        Value::Array(items) => items.as_slice(),
        Value::Null => &[],
        single => std::slice::from_ref(single),
    };
    let mut ids = Vec::new();
    for item in items {
        let raw = match item {
            Value::Object(fields) => member(fields, "value").and_then(Value::as_str),
            Value::String(s) => Some(s.as_str()),
            _ => None,
        };
        let raw = raw.ok_or_else(|| {
            ScimProtocolError::invalid_value("each member is an object with a value")
        })?;
        if let Ok(id) = raw.trim().parse() {
            ids.push(id);
        }
    }
    Ok(ids)
}

impl GroupAttributes {
    fn from_json(body: &Value) -> Result<Self, ScimProtocolError> {
        let Value::Object(object) = body else {
            return Err(ScimProtocolError::bad(
                ScimType::InvalidSyntax,
                "the body must be a JSON object",
            ));
        };
        let name = short_text(object, "displayName")?
            .ok_or_else(|| ScimProtocolError::invalid_value("displayName is required"))?;
        let name = TeamName::parse(&name)
            .map_err(|e| ScimProtocolError::invalid_value(format!("displayName: {e}")))?;
        let external_id = short_text(object, "externalId")?;
        let members = member(object, "members").map(member_ids).transpose()?;
        Ok(Self {
            name,
            external_id,
            members,
        })
    }
}

fn team_failure(e: TeamError) -> ScimProtocolError {
    match e {
        TeamError::NameTaken => ScimProtocolError::Uniqueness(
            "displayName is the name of another group (or team) where the groups are".to_owned(),
        ),
        TeamError::ParentNotFound | TeamError::Archived | TeamError::TooDeep => {
            ScimProtocolError::Refused(
                "the tenant's place for groups (groups_parent) is gone, archived or at the deepest level: an admin changes it".to_owned(),
            )
        }
        TeamError::LimitReached(detail) => ScimProtocolError::Refused(detail),
        TeamError::Internal(e) => ScimProtocolError::Internal(e),
        _ => ScimProtocolError::Conflict,
    }
}

/// The group `id` names, if it is one of this tenant's managed teams.
async fn read_team(
    app: &App,
    caller: &ScimCaller,
    id: &str,
) -> Result<TeamRecord, ScimProtocolError> {
    let team: TeamId = id.parse().map_err(|_| ScimProtocolError::NotFound)?;
    let found: Option<TeamRecord> =
        from_optional(app.table.get(&keys::team(caller.tenant().id, team)).await?)
            .context("reading a team")?;
    found
        .filter(|t| t.scim.is_some())
        .ok_or(ScimProtocolError::NotFound)
}

async fn members_of(app: &App, team: &TeamRecord) -> Result<Vec<AccountId>, ScimProtocolError> {
    let mut members: Vec<AccountId> = places_of_team(app, team.tenant_id, team.id)
        .await?
        .into_iter()
        .map(|p| p.account_id)
        .collect();
    members.sort();
    Ok(members)
}

/// `GET /Groups/{id}`; `with_members: false` reads no membership item.
pub async fn get(
    app: &App,
    caller: &ScimCaller,
    id: &str,
    with_members: bool,
) -> Result<Group, ScimProtocolError> {
    let team = read_team(app, caller, id).await?;
    let members = if with_members {
        Some(members_of(app, &team).await?)
    } else {
        None
    };
    Ok(Group { team, members })
}

/// What a Groups list asks for.
pub struct GroupQuery {
    pub filter: Option<String>,
    pub start_index: usize,
    pub count: usize,
    pub with_members: bool,
}

pub struct GroupPage {
    pub total: usize,
    pub groups: Vec<Group>,
}

/// `GET /Groups`: one point read for a filter, one query of the tenant's teams without.
pub async fn list(
    app: &App,
    caller: &ScimCaller,
    query: GroupQuery,
) -> Result<GroupPage, ScimProtocolError> {
    use super::filter::GroupTerm;
    let tenant = caller.tenant().id;
    let mut teams: Vec<TeamRecord> = match &query.filter {
        Some(raw) => {
            let terms = super::filter::group_terms(raw)?;
            let team_id = match terms.first() {
                Some(GroupTerm::Id(id)) => id.parse::<TeamId>().ok(),
                Some(GroupTerm::DisplayName(name)) => match TeamName::parse(name) {
                    Ok(name) => {
                        let marker: Option<TeamNameRecord> = from_optional(
                            app.table
                                .get(&keys::team_name(
                                    tenant,
                                    caller.config.groups_parent,
                                    &name.folded(),
                                ))
                                .await?,
                        )
                        .context("reading a team name")?;
                        marker.map(|m| m.team_id)
                    }
                    Err(_) => None,
                },
                Some(GroupTerm::ExternalId(external)) => {
                    let claim: Option<GroupClaim> = from_optional(
                        app.table
                            .get(&keys::scim_group_external_id(tenant, external))
                            .await?,
                    )
                    .context("reading a group's externalId")?;
                    claim.map(|c| c.team_id)
                }
                None => None,
            };
            let team: Option<TeamRecord> = match team_id {
                Some(id) => from_optional(app.table.get(&keys::team(tenant, id)).await?)
                    .context("reading a team")?,
                None => None,
            };
            team.into_iter()
                .filter(|t| t.scim.is_some() && terms.iter().all(|term| group_matches(term, t)))
                .collect()
        }
        None => {
            let mut all: Vec<TeamRecord> = teams::all_teams(app, tenant)
                .await?
                .into_iter()
                .filter(|t| t.scim.is_some())
                .collect();
            all.sort_by_key(|t| t.id);
            all
        }
    };
    let total = teams.len();
    let page: Vec<TeamRecord> = teams
        .drain(..)
        .skip(query.start_index.max(1) - 1)
        .take(query.count.min(super::users::MAX_PAGE))
        .collect();
    let mut groups = Vec::with_capacity(page.len());
    for team in page {
        let members = if query.with_members {
            Some(members_of(app, &team).await?)
        } else {
            None
        };
        groups.push(Group { team, members });
    }
    Ok(GroupPage { total, groups })
}

fn group_matches(term: &super::filter::GroupTerm, team: &TeamRecord) -> bool {
    use super::filter::GroupTerm;
    match term {
        GroupTerm::Id(id) => team.id.to_string().eq_ignore_ascii_case(id),
        GroupTerm::DisplayName(name) => team.name.to_lowercase() == name.trim().to_lowercase(),
        GroupTerm::ExternalId(external) => {
            team.scim.as_ref().and_then(|s| s.external_id.as_deref()) == Some(external.as_str())
        }
    }
}

/// The lookup item of a group's `externalId`.
#[derive(serde::Serialize, serde::Deserialize)]
struct GroupClaim {
    team_id: TeamId,
}

/// The writes that move a group's `externalId` claim from `old` to `new`, and the key claimed.
fn claim_ops(
    tenant: crate::domain::TenantId,
    team: TeamId,
    old: Option<&str>,
    new: Option<&str>,
) -> Result<(Vec<Op>, Option<Key>), ScimProtocolError> {
    if old == new {
        return Ok((Vec::new(), None));
    }
    let mut ops = Vec::new();
    if let Some(old) = old {
        ops.push(Op::delete(keys::scim_group_external_id(tenant, old)));
    }
    let mut claimed = None;
    if let Some(new) = new {
        let key = keys::scim_group_external_id(tenant, new);
        ops.push(Op::put_if(
            to_item(&key, &GroupClaim { team_id: team }, None)
                .context("building a group's externalId")?,
            Condition::NotExists,
        ));
        claimed = Some(key);
    }
    Ok((ops, claimed))
}

fn external_taken() -> ScimProtocolError {
    ScimProtocolError::Uniqueness("externalId is another group's".to_owned())
}

/// `POST /Groups`: the team with its `externalId` claim in one transaction, then its members.
pub async fn create(
    app: &App,
    caller: &ScimCaller,
    body: &Value,
) -> Result<Group, ScimProtocolError> {
    let attributes = GroupAttributes::from_json(body)?;
    let tenant = caller.tenant().id;
    let id = TeamId::from_ulid(app.random.ulid(app.clock.now()));
    let (claim, claimed) = claim_ops(tenant, id, None, attributes.external_id.as_deref())?;
    let link = ScimGroupLink {
        external_id: attributes.external_id.clone(),
    };
    let team = match teams::create_managed(
        app,
        &caller.acting,
        id,
        &attributes.name,
        caller.config.groups_parent,
        link,
        claim,
    )
    .await
    {
        Ok(team) => team,
        Err(TeamError::Conflict) => {
            let taken = match &claimed {
                Some(key) => app.table.get(key).await?.is_some(),
                None => false,
            };
            return Err(if taken {
                external_taken()
            } else {
                ScimProtocolError::Conflict
            });
        }
        Err(e) => return Err(team_failure(e)),
    };
    let members = attributes.members.unwrap_or_default();
    change_members(app, caller, &team, &members, &[]).await?;
    let members = members_of(app, &team).await?;
    Ok(Group {
        team,
        members: Some(members),
    })
}

fn commit_failure(e: TransactError, claimed: Option<&Key>) -> ScimProtocolError {
    match e {
        e if claimed.is_some_and(|k| e.failed_on(k)) => external_taken(),
        TransactError::ConditionFailed { .. } | TransactError::Conflict => {
            ScimProtocolError::Conflict
        }
        other => InternalError::new("changing a group", other.into()).into(),
    }
}

/// `PUT /Groups/{id}`: name, `externalId` and the whole list of members.
pub async fn replace(
    app: &App,
    caller: &ScimCaller,
    id: &str,
    body: &Value,
) -> Result<Group, ScimProtocolError> {
    let team = read_team(app, caller, id).await?;
    let attributes = GroupAttributes::from_json(body)?;
    let team = rename(
        app,
        caller,
        &team,
        &attributes.name,
        attributes.external_id.as_deref(),
    )
    .await?;
    let wanted: BTreeSet<AccountId> = attributes.members.unwrap_or_default().into_iter().collect();
    let current: BTreeSet<AccountId> = members_of(app, &team).await?.into_iter().collect();
    let add: Vec<AccountId> = wanted.difference(&current).copied().collect();
    let remove: Vec<AccountId> = current.difference(&wanted).copied().collect();
    change_members(app, caller, &team, &add, &remove).await?;
    let members = members_of(app, &team).await?;
    Ok(Group {
        team,
        members: Some(members),
    })
}

/// The team renamed and its `externalId` set, in one transaction; as it was when both are.
async fn rename(
    app: &App,
    caller: &ScimCaller,
    team: &TeamRecord,
    name: &TeamName,
    external_id: Option<&str>,
) -> Result<TeamRecord, ScimProtocolError> {
    let old_external = team.scim.as_ref().and_then(|s| s.external_id.as_deref());
    if team.name == name.as_str() && old_external == external_id {
        return Ok(team.clone());
    }
    let now = app.clock.now();
    let renamed = TeamRecord {
        name: name.as_str().to_owned(),
        scim: Some(ScimGroupLink {
            external_id: external_id.map(str::to_owned),
        }),
        updated_at: now,
        version: team.version + 1,
        ..team.clone()
    };
    let mut writes = Writes::new(app, now);
    writes.op(Op::put_if(
        team_item(&renamed)?,
        Condition::VersionIs(team.version),
    ));
    let old_marker = name_marker_key(team);
    let new_marker = name_marker_key(&renamed);
    if old_marker != new_marker {
        writes.op(Op::delete(old_marker)).op(name_marker(&renamed)?);
    }
    let (ops, claimed) = claim_ops(team.tenant_id, team.id, old_external, external_id)?;
    writes.ops(ops);
    writes.audit(AuditEvent {
        tenant: team.tenant_id,
        action: AuditAction::TeamUpdated,
        actor: caller.acting.actor,
        subject: None,
        details: json!({"team_id": team.id, "name": {"from": team.name, "to": renamed.name}}),
    })?;
    match writes.commit().await {
        Ok(()) => Ok(renamed),
        Err(e) if e.failed_on(&new_marker) => Err(team_failure(TeamError::NameTaken)),
        Err(e) => Err(commit_failure(e, claimed.as_ref())),
    }
}

/// What a `PATCH`'s operations on `members` come to: applied in order, without reading the
/// group's members unless one replaces or removes them all.
#[derive(Default)]
struct MemberChanges {
    /// The list is replaced by `added` (a `replace`, or a `remove` of all).
    reset: bool,
    added: BTreeSet<AccountId>,
    removed: BTreeSet<AccountId>,
}

impl MemberChanges {
    fn add(&mut self, ids: Vec<AccountId>) {
        for id in ids {
            self.removed.remove(&id);
            self.added.insert(id);
        }
    }

    fn remove(&mut self, ids: Vec<AccountId>) {
        for id in ids {
            self.added.remove(&id);
            self.removed.insert(id);
        }
    }

    fn replace(&mut self, ids: Vec<AccountId>) {
        self.reset = true;
        self.removed.clear();
        self.added = ids.into_iter().collect();
    }

    fn touched(&self) -> bool {
        self.reset || !self.added.is_empty() || !self.removed.is_empty()
    }
}

fn is_members(path: &scim_v2::filter::AttrPath) -> bool {
    path.name.eq_ignore_ascii_case("members") && path.sub_attr.is_none()
}

/// The ids a value path on `members` names: `members[value eq "id"]`, or several joined by
/// `or`.
fn filtered_ids(filter: &scim_v2::filter::ValFilter) -> Result<Vec<AccountId>, ScimProtocolError> {
    use scim_v2::filter::{AttrExp, CompValue, CompareOp, ValFilter};
    match filter {
        ValFilter::Attr(AttrExp::Comparison(path, CompareOp::Eq, CompValue::Str(value)))
            if path.name.eq_ignore_ascii_case("value") =>
        {
            Ok(value.trim().parse().ok().into_iter().collect())
        }
        ValFilter::Or(any) => {
            let mut ids = Vec::new();
            for part in any.as_slice() {
                ids.extend(filtered_ids(part)?);
            }
            Ok(ids)
        }
        _ => Err(ScimProtocolError::bad(
            ScimType::InvalidFilter,
            "members are named by value eq \"id\"",
        )),
    }
}

/// Splits a `PATCH` into what it does to `members` and the operations on the other attributes.
fn split(
    operations: Vec<scim_v2::models::others::PatchOperation>,
) -> Result<(MemberChanges, Vec<scim_v2::models::others::PatchOperation>), ScimProtocolError> {
    use scim_v2::filter::PatchPath;
    use scim_v2::models::others::{OperationTarget, PatchOperation};
    let mut members = MemberChanges::default();
    let mut rest = Vec::new();
    for operation in operations {
        match operation {
            PatchOperation::Add(OperationTarget::WithPath {
                path: PatchPath::Attr(path),
                value,
            }) if is_members(&path) => {
                members.add(member_ids(&value.unwrap_or(Value::Null))?);
            }
            PatchOperation::Replace(OperationTarget::WithPath {
                path: PatchPath::Attr(path),
                value,
            }) if is_members(&path) => {
                members.replace(member_ids(&value.unwrap_or(Value::Null))?);
            }
            PatchOperation::Remove {
                path: PatchPath::Attr(path),
                value,
            } if is_members(&path) => match value {
                // Entra ID names the members to remove in `value`.
                Some(value) if !value.is_null() => members.remove(member_ids(&value)?),
                _ => members.replace(Vec::new()),
            },
            PatchOperation::Remove {
                path: PatchPath::Value(path),
                ..
            } if is_members(&path.attr) && path.sub_attr.is_none() => {
                members.remove(filtered_ids(&path.filter)?);
            }
            PatchOperation::Add(OperationTarget::WithoutPath { mut value }) => {
                if let Some(key) = value
                    .keys()
                    .find(|k| k.eq_ignore_ascii_case("members"))
                    .cloned()
                {
                    members.add(member_ids(&value.remove(&key).unwrap_or(Value::Null))?);
                }
                if !value.is_empty() {
                    rest.push(PatchOperation::Add(OperationTarget::WithoutPath { value }));
                }
            }
            PatchOperation::Replace(OperationTarget::WithoutPath { mut value }) => {
                if let Some(key) = value
                    .keys()
                    .find(|k| k.eq_ignore_ascii_case("members"))
                    .cloned()
                {
                    members.replace(member_ids(&value.remove(&key).unwrap_or(Value::Null))?);
                }
                if !value.is_empty() {
                    rest.push(PatchOperation::Replace(OperationTarget::WithoutPath {
                        value,
                    }));
                }
            }
            other => rest.push(other),
        }
    }
    Ok((members, rest))
}

/// `PATCH /Groups/{id}`.
pub async fn patch(
    app: &App,
    caller: &ScimCaller,
    id: &str,
    body: &Value,
    with_members: bool,
) -> Result<Group, ScimProtocolError> {
    let operations = patch::parse(body)?;
    let mut team = read_team(app, caller, id).await?;
    let (changes, rest) = split(operations.operations)?;
    if !rest.is_empty() {
        let mut group = Group {
            team: team.clone(),
            members: None,
        }
        .to_json("");
        if let Some(map) = group.as_object_mut() {
            map.remove("meta");
        }
        patch::apply(
            &mut group,
            &scim_v2::models::others::PatchOp {
                schemas: vec![PATCH_SCHEMA.to_owned()],
                operations: rest,
            },
        )?;
        if group.get("id").and_then(Value::as_str) != Some(team.id.to_string().as_str()) {
            return Err(ScimProtocolError::bad(
                ScimType::Mutability,
                "id is assigned by Usher",
            ));
        }
        if group.get("members").is_some_and(|m| !m.is_null()) {
            return Err(ScimProtocolError::bad(
                ScimType::InvalidPath,
                "members are changed by path members",
            ));
        }
        let attributes = GroupAttributes::from_json(&group)?;
        team = rename(
            app,
            caller,
            &team,
            &attributes.name,
            attributes.external_id.as_deref(),
        )
        .await?;
    }
    if changes.touched() {
        let (add, remove) = if changes.reset {
            let current: BTreeSet<AccountId> = members_of(app, &team).await?.into_iter().collect();
            (
                changes.added.difference(&current).copied().collect(),
                current.difference(&changes.added).copied().collect(),
            )
        } else {
            (
                changes.added.into_iter().collect::<Vec<_>>(),
                changes.removed.into_iter().collect::<Vec<_>>(),
            )
        };
        change_members(app, caller, &team, &add, &remove).await?;
    }
    let members = if with_members {
        Some(members_of(app, &team).await?)
    } else {
        None
    };
    Ok(Group { team, members })
}

/// Puts `add` in the team and takes `remove` out, [`MEMBERS_PER_WRITE`] people per transaction:
/// those already so, and ids that are not Users of the tenant, are left as they are.
async fn change_members(
    app: &App,
    caller: &ScimCaller,
    team: &TeamRecord,
    add: &[AccountId],
    remove: &[AccountId],
) -> Result<(), ScimProtocolError> {
    let tenant = team.tenant_id;
    let mut changes: Vec<(AccountId, bool)> = Vec::new();
    for chunk in add.chunks(50) {
        let mut keys = Vec::new();
        for id in chunk {
            keys.push(keys::membership(tenant, *id));
            keys.push(keys::team_member(tenant, team.id, *id));
        }
        let mut found = Found::new(app.table.batch_get(&keys).await?);
        for id in chunk {
            let membership: Option<MembershipRecord> = found.next("reading a member")?;
            let place: Option<TeamMemberRecord> = found.next("reading a team place")?;
            let user = membership.filter(|m| !super::users::deleted(m));
            if user.is_some() && place.is_none() {
                changes.push((*id, true));
            }
        }
    }
    for chunk in remove.chunks(100) {
        let keys: Vec<Key> = chunk
            .iter()
            .map(|id| keys::team_member(tenant, team.id, *id))
            .collect();
        let mut found = Found::new(app.table.batch_get(&keys).await?);
        for id in chunk {
            let place: Option<TeamMemberRecord> = found.next("reading a team place")?;
            if place.is_some() {
                changes.push((*id, false));
            }
        }
    }
    let now = app.clock.now();
    for chunk in changes.chunks(MEMBERS_PER_WRITE) {
        let mut writes = Writes::new(app, now);
        // The team as read: deleted or detached at the same time, this fails.
        writes.op(Op::check(
            keys::team(tenant, team.id),
            Condition::VersionIs(team.version),
        ));
        for (account, joins) in chunk {
            if *joins {
                let place = TeamMemberRecord {
                    team_id: team.id,
                    account_id: *account,
                    maintainer: false,
                    added_at: now,
                    version: 1,
                };
                writes.ops(place_ops(tenant, &place, Condition::NotExists)?);
            } else {
                writes
                    .op(Op::delete(keys::team_member(tenant, team.id, *account)))
                    .op(Op::delete(keys::member_team(tenant, *account, team.id)));
            }
            writes
                .op(team_grants::places_changed(app, tenant, *account)
                    .context("building the team grants")?)
                .audit(AuditEvent {
                    tenant,
                    action: if *joins {
                        AuditAction::TeamMemberAdded
                    } else {
                        AuditAction::TeamMemberRemoved
                    },
                    actor: caller.acting.actor,
                    subject: Some(*account),
                    details: json!({"team_id": team.id, "team": team.name}),
                })?;
        }
        writes.commit().await.map_err(|e| commit_failure(e, None))?;
    }
    Ok(())
}

/// `DELETE /Groups/{id}`: the team goes, with its places; the people stay members of the tenant.
pub async fn delete(app: &App, caller: &ScimCaller, id: &str) -> Result<(), ScimProtocolError> {
    let team = read_team(app, caller, id).await?;
    if team.children > 0 {
        return Err(ScimProtocolError::Refused(
            "the team has sub-teams made in Usher: an admin moves or deletes them first".to_owned(),
        ));
    }
    let members = members_of(app, &team).await?;
    change_members(app, caller, &team, &[], &members).await?;
    let tenant = team.tenant_id;
    let mut keys = vec![keys::team_count(tenant)];
    keys.extend(team.parent_id.map(|p| keys::team(tenant, p)));
    let mut found = Found::new(app.table.batch_get(&keys).await?);
    let count: Option<TeamCountRecord> = found.next("reading the team count")?;
    let parent: Option<TeamRecord> = found.next("reading the parent")?;
    let mut writes = Writes::new(app, app.clock.now());
    writes
        .op(Op::delete_if(
            keys::team(tenant, team.id),
            Condition::VersionIs(team.version),
        ))
        .op(Op::delete(name_marker_key(&team)))
        .op(count_op(tenant, count.as_ref(), -1).map_err(team_failure)?);
    if let Some(external) = team.scim.as_ref().and_then(|s| s.external_id.as_deref()) {
        writes.op(Op::delete(keys::scim_group_external_id(tenant, external)));
    }
    if let Some(parent) = &parent {
        writes.op(versioned(&TeamRecord {
            children: parent.children.saturating_sub(1),
            ..parent.clone()
        })?);
    }
    writes.audit(AuditEvent {
        tenant,
        action: AuditAction::TeamDeleted,
        actor: caller.acting.actor,
        subject: None,
        details: json!({"team_id": team.id, "name": team.name, "managed_by": "scim"}),
    })?;
    writes.commit().await.map_err(|e| commit_failure(e, None))?;
    tracing::info!(team_id = %team.id, "managed team deleted");
    Ok(())
}

/// Whether `excludedAttributes` (or `attributes`) leaves a group's members out.
pub fn members_wanted(excluded: Option<&str>, attributes: Option<&str>) -> bool {
    let names = |list: Option<&str>| -> Vec<String> {
        list.unwrap_or_default()
            .split(',')
            .map(|n| n.trim().to_lowercase())
            .collect()
    };
    if names(excluded).iter().any(|n| n == "members") {
        return false;
    }
    match attributes.filter(|a| !a.trim().is_empty()) {
        Some(_) => names(attributes).iter().any(|n| n == "members"),
        None => true,
    }
}
