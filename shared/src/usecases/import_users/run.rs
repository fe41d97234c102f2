//! The real run of an import: one outbox job per chunk of rows, each filing the next.
//!
//! Every row is done in a transaction that also puts the row's result item, only if absent: a
//! chunk run again (after a crash, a timeout, or by two dispatchers at once) skips the rows that
//! have a result, and a row raced by another run fails its condition instead of being done
//! twice. Rows are packed into transactions of up to 100 operations; a pack that loses a race
//! to a concurrent write is read and decided again, row by row as they now stand (an email
//! registered meanwhile is invited instead of created). Each row is decided with the importer's
//! rights as they are when the chunk runs: an importer who lost them meanwhile gets the rest of
//! the rows refused, not done.
//!
//! The chunk's last transaction deletes its job and files the next chunk's; the last chunk's
//! marks the import done, with its counts and a `users.imported` audit event.

use std::collections::HashSet;

use serde_json::json;

use super::{
    Counts, Decision, ImportChunkRecord, ImportRecord, ImportStatus, Outcome, RowReport,
    TenantTeams, conflict, decide, grant_problem, read_places, read_states, results,
    update_problem,
};
use crate::app::App;
use crate::domain::{ImportId, TenantId};
use crate::keys;
use crate::records::{CreatedVia, TeamRecord, to_item};
use crate::table::{Condition, Key, MAX_TRANSACTION_OPS, Op, TransactError};
use crate::usecases::audit::{AuditAction, AuditEvent};
use crate::usecases::commit::Writes;
use crate::usecases::create_user::{CreateUserError, prepare_creation};
use crate::usecases::invitations::send::{
    self, Attached, Filed, InvitationReads, Invite, SendInvitationError,
};
use crate::usecases::jobs::{ImportChunkJob, Job};
use crate::usecases::lifecycle::{LifecycleError, prepare_update};
use crate::usecases::team_members::{self, NewcomerTeams};
use crate::usecases::{Context, Found, InternalError, TenantCaller};

use super::rows::{ImportRow, RowProblem};

/// How often a chunk reads and decides its remaining rows again within one run, before it
/// leaves them to the next run of its job.
const TRIES: usize = 5;

pub(crate) async fn run(app: &App, job: ImportChunkJob, done: Op) -> Result<(), InternalError> {
    let (tenant, id) = (job.tenant_id, job.import_id);
    let items = app
        .table
        .batch_get(&[
            keys::import(tenant, id),
            keys::import_chunk(tenant, id, job.chunk),
        ])
        .await
        .context("reading the import")?;
    let mut found = Found::new(items);
    let import: Option<ImportRecord> = found.next("reading the import")?;
    let chunk: Option<ImportChunkRecord> = found.next("reading an import chunk")?;
    let (Some(import), Some(chunk)) = (import, chunk) else {
        tracing::error!(import_id = %id, chunk = job.chunk, "an import job without its import: dropped");
        let mut writes = Writes::new(app, app.clock.now());
        writes.op(done);
        return writes.commit().await.context("dropping an import job");
    };
    for _ in 0..=TRIES {
        if attempt(app, &import, &chunk.rows).await? {
            return finish(app, &import, &job, done).await;
        }
    }
    Err(InternalError::new(
        "running an import chunk",
        anyhow::anyhow!("rows kept losing races; the job runs again later"),
    ))
}

/// The writes of one row: its result item (only if absent) and what the row does.
struct Unit<'a> {
    writes: Writes<'a>,
    /// Grants permissions: the pack checks the catalogue it was decided against.
    grants: bool,
    /// Checks other members (an owner's demotion): written in a transaction of its own.
    alone: bool,
}

impl<'a> Unit<'a> {
    fn new(
        app: &'a App,
        tenant: TenantId,
        import: ImportId,
        report: &RowReport,
    ) -> Result<Self, InternalError> {
        let item = to_item(
            &keys::import_result(tenant, import, report.row),
            report,
            None,
        )
        .context("building a row result")?;
        let mut writes = Writes::new(app, app.clock.now());
        writes.op(Op::put_if(item, Condition::NotExists));
        Ok(Self {
            writes,
            grants: false,
            alone: false,
        })
    }
}

/// Does the rows of `rows` that have no result yet, once; `true` when none is left.
async fn attempt(
    app: &App,
    import: &ImportRecord,
    rows: &[ImportRow],
) -> Result<bool, InternalError> {
    let (tenant, id) = (import.tenant_id, import.id);
    let result_keys: Vec<Key> = rows
        .iter()
        .map(|r| keys::import_result(tenant, id, r.row))
        .collect();
    let found = app
        .table
        .batch_get(&result_keys)
        .await
        .context("reading row results")?;
    let pending: Vec<&ImportRow> = rows
        .iter()
        .zip(found)
        .filter(|(_, result)| result.is_none())
        .map(|(row, _)| row)
        .collect();
    if pending.is_empty() {
        return Ok(true);
    }
    let caller = match import.acting_for() {
        Some(who) => TenantCaller::acting(app, tenant, who)
            .await
            .context("reading the importer")?,
        None => None,
    }
    .filter(|c| c.rights.can_manage_users());
    let Some(caller) = caller else {
        let mut units = Vec::new();
        for row in &pending {
            let problem = RowProblem::new(
                "forbidden",
                None,
                "the importer may no longer manage users of this tenant",
            );
            units.push(Unit::new(
                app,
                tenant,
                id,
                &RowReport::error(row.row, row.email.as_str(), problem),
            )?);
        }
        commit(app, None, units).await?;
        return Ok(false);
    };
    let emails: Vec<_> = pending.iter().map(|r| &r.email).collect();
    let mut states = read_states(app, tenant, &emails).await?;
    read_places(app, tenant, &pending, &mut states).await?;
    let now = app.clock.now();
    // The tree, as it is now, when a row names teams; else the newcomers of this chunk join
    // the tenant's default teams, read once for all of them.
    let tree = if pending.iter().any(|r| !r.team_ids.is_empty()) {
        Some(TenantTeams::read(app, tenant, false).await?)
    } else {
        None
    };
    let defaults = match &tree {
        Some(_) => NewcomerTeams::default(),
        None => NewcomerTeams::read(app, &caller.tenant, &[]).await?,
    };
    let mut units = Vec::new();
    for (row, state) in pending.iter().zip(&states) {
        let (joining, newcomer_teams) = match &tree {
            None => (Vec::new(), defaults.clone()),
            Some(tree) => match tree.joinable(&row.team_ids, &caller) {
                Ok(joining) => (
                    joining,
                    NewcomerTeams::among(&caller.tenant, tree.by_id(), &row.team_ids),
                ),
                Err(problem) => {
                    let refused = RowReport::error(row.row, row.email.as_str(), problem);
                    units.push(Unit::new(app, tenant, id, &refused)?);
                    continue;
                }
            },
        };
        let row_teams = RowTeams {
            joining: &joining,
            newcomer: &newcomer_teams,
        };
        match decide(&caller, row, state, now) {
            Decision::Invite(invite) => invite_row(app, &caller, import, row, &invite).await?,
            decision => {
                units.push(unit_for(app, &caller, import, row, decision, row_teams).await?);
            }
        }
    }
    commit(app, Some(&caller), units).await?;
    Ok(false)
}

/// The teams a row's person joins: the row's own, as they are now, and for a newcomer those
/// with the tenant's default teams.
#[derive(Clone, Copy)]
struct RowTeams<'t> {
    joining: &'t [&'t TeamRecord],
    newcomer: &'t NewcomerTeams,
}

/// The writes of a row as decided (all but an invitation, which has a transaction of its own):
/// its result, and the creation or update it makes.
async fn unit_for<'a>(
    app: &'a App,
    caller: &TenantCaller,
    import: &ImportRecord,
    row: &ImportRow,
    decision: Decision,
    teams: RowTeams<'_>,
) -> Result<Unit<'a>, InternalError> {
    let (tenant, id) = (import.tenant_id, import.id);
    let email = row.email.as_str();
    let report = |outcome| RowReport::new(row.row, email, outcome);
    let refused = |problem| Unit::new(app, tenant, id, &RowReport::error(row.row, email, problem));
    let details = json!({"import_id": id});
    match decision {
        Decision::Create(new) => {
            match prepare_creation(
                app,
                caller,
                &new,
                CreatedVia::Import,
                teams.newcomer,
                details,
            )
            .await
            {
                Ok(prepared) => {
                    let done = RowReport {
                        user_id: Some(prepared.created.user.membership.account_id),
                        ..report(Outcome::Created)
                    };
                    let mut unit = Unit::new(app, tenant, id, &done)?;
                    unit.writes.append(prepared.writes);
                    unit.grants = new.permissions.iter().next().is_some();
                    Ok(unit)
                }
                Err(CreateUserError::Internal(e)) => Err(e),
                Err(e) => refused(grant_problem(e)),
            }
        }
        Decision::Update(member, patch, joins) => {
            let user_id = Some(member.account_id);
            let joining: Vec<&TeamRecord> = teams
                .joining
                .iter()
                .filter(|team| joins.contains(&team.id))
                .copied()
                .collect();
            let join = |unit: &mut Unit<'a>| {
                team_members::join(
                    &mut unit.writes,
                    tenant,
                    member.account_id,
                    caller.actor,
                    &joining,
                    details.clone(),
                )
            };
            match prepare_update(app, caller, &member, &patch, details.clone()).await {
                Ok(Some(prepared)) => {
                    let done = RowReport {
                        user_id,
                        ..report(Outcome::Updated)
                    };
                    let mut unit = Unit::new(app, tenant, id, &done)?;
                    unit.writes.append(prepared.writes);
                    join(&mut unit)?;
                    unit.grants = prepared.grants_permissions;
                    unit.alone = prepared.keeps_an_owner;
                    Ok(unit)
                }
                Ok(None) if !joining.is_empty() => {
                    let done = RowReport {
                        user_id,
                        detail: Some("joins teams".to_owned()),
                        ..report(Outcome::Updated)
                    };
                    let mut unit = Unit::new(app, tenant, id, &done)?;
                    join(&mut unit)?;
                    Ok(unit)
                }
                Ok(None) => {
                    let same = RowReport {
                        user_id,
                        ..report(Outcome::Unchanged)
                    };
                    Unit::new(app, tenant, id, &same)
                }
                Err(LifecycleError::Internal(e)) => Err(e),
                Err(e) => refused(update_problem(e).unwrap_or_else(conflict)),
            }
        }
        Decision::Unchanged { member, why } => {
            let same = RowReport {
                user_id: member,
                detail: why.map(str::to_owned),
                ..report(Outcome::Unchanged)
            };
            Unit::new(app, tenant, id, &same)
        }
        Decision::Refused(problem) => refused(problem),
        // Filed by the caller in a transaction of its own.
        Decision::Invite(_) => refused(conflict()),
    }
}

/// Invites the person of `row` in a transaction of its own (the invitation counts in the
/// tenant's and the importer's quotas) that records the row's result. A race leaves the row to
/// the next attempt, which decides it as things then are.
async fn invite_row(
    app: &App,
    caller: &TenantCaller,
    import: &ImportRecord,
    row: &ImportRow,
    invite: &Invite,
) -> Result<(), InternalError> {
    let (tenant, id) = (import.tenant_id, import.id);
    let reads = InvitationReads::new(tenant, &caller.quota_subject(), &row.email);
    let items = app
        .table
        .batch_get(&reads.keys())
        .await
        .context("reading the email")?;
    let state = reads.take(items)?;
    let invited = RowReport::new(row.row, row.email.as_str(), Outcome::Invited);
    let attached = Attached {
        writes: Some(Unit::new(app, tenant, id, &invited)?.writes),
        details: [("import_id".to_owned(), json!(id))].into_iter().collect(),
    };
    let problem = match send::file(app, caller, invite, state, None, attached).await {
        Ok(Filed::Done(_) | Filed::LostARace)
        | Err(
            SendInvitationError::InvitationPending
            | SendInvitationError::AlreadyMember
            | SendInvitationError::MemberArchived
            | SendInvitationError::Conflict,
        ) => return Ok(()),
        Err(SendInvitationError::Internal(e)) => return Err(e),
        Err(SendInvitationError::RateLimited { .. }) => RowProblem::new(
            "rate_limited",
            Some("email"),
            "email: today's invitation quota is used up; import this row again tomorrow",
        ),
        Err(_) => RowProblem::new("forbidden", None, "the importer may not invite this person"),
    };
    let refused = RowReport::error(row.row, row.email.as_str(), problem);
    commit(app, None, vec![Unit::new(app, tenant, id, &refused)?]).await
}

/// Writes `units` in as few transactions as fit (each item once per transaction; the catalogue
/// check once, against the caller's reading). A transaction that loses a race is left for the
/// next attempt; any other failure is the run's.
async fn commit(
    app: &App,
    caller: Option<&TenantCaller>,
    units: Vec<Unit<'_>>,
) -> Result<(), InternalError> {
    struct Pack<'a> {
        writes: Writes<'a>,
        keys: HashSet<Key>,
        grants: bool,
        alone: bool,
    }
    let empty = || Pack {
        writes: Writes::new(app, app.clock.now()),
        keys: HashSet::new(),
        grants: false,
        alone: false,
    };
    let mut packs = vec![empty()];
    for unit in units {
        let keys: Vec<Key> = unit.writes.keys().collect();
        // Rows may check the same item the same way (the team they join): that check is
        // taken once, so only the other items must be new to the pack.
        let fits = |pack: &Pack| {
            pack.writes.is_empty()
                || (!pack.alone
                    && !unit.alone
                    && pack.writes.len() + unit.writes.len() < MAX_TRANSACTION_OPS
                    && unit
                        .writes
                        .keys_beyond(&pack.writes)
                        .all(|k| !pack.keys.contains(&k)))
        };
        if !packs.last().is_some_and(fits) {
            packs.push(empty());
        }
        if let Some(pack) = packs.last_mut() {
            pack.writes.append(unit.writes);
            pack.keys.extend(keys);
            pack.grants |= unit.grants;
            pack.alone |= unit.alone;
        }
    }
    for mut pack in packs.into_iter().filter(|p| !p.writes.is_empty()) {
        if let (true, Some(caller)) = (pack.grants, caller) {
            pack.writes.op(Op::check(
                keys::tenant(caller.tenant.id),
                Condition::VersionIs(caller.tenant.version),
            ));
        }
        match pack.writes.commit().await {
            Ok(()) => {}
            Err(TransactError::ConditionFailed { .. } | TransactError::Conflict) => {
                tracing::info!("import rows lost a race; they are decided again");
            }
            Err(other) => return Err(other).context("importing rows"),
        }
    }
    Ok(())
}

/// Deletes the job and files the next chunk's, or, after the last chunk, marks the import done.
async fn finish(
    app: &App,
    import: &ImportRecord,
    job: &ImportChunkJob,
    done: Op,
) -> Result<(), InternalError> {
    let now = app.clock.now();
    let mut writes = Writes::new(app, now);
    writes.op(done);
    let next = job.chunk + 1;
    if next < import.chunks {
        writes.job(Job::ImportChunk(ImportChunkJob {
            chunk: next,
            ..job.clone()
        }))?;
    } else {
        let report = results(app, import.tenant_id, import.id).await?;
        let counts = Counts::of(&report);
        let record = ImportRecord {
            status: ImportStatus::Done,
            counts: Some(counts),
            finished_at: Some(now),
            version: import.version + 1,
            ..import.clone()
        };
        writes
            .op(Op::put_if(
                to_item(&keys::import(import.tenant_id, import.id), &record, None)
                    .context("building the import")?,
                Condition::VersionIs(import.version),
            ))
            .audit(AuditEvent {
                tenant: import.tenant_id,
                action: AuditAction::UsersImported,
                actor: import.actor(),
                subject: None,
                details: json!({"import_id": import.id, "rows": import.rows, "counts": counts}),
            })?;
    }
    writes.commit().await.context("finishing an import chunk")?;
    tracing::info!(import_id = %import.id, chunk = job.chunk, "import chunk done");
    Ok(())
}
