//! `GET .../users.csv/template`, `POST .../users.csv?dry_run=` and `GET .../imports/{id}`: users
//! filled in a spreadsheet and imported after a check of the data.
//!
//! Each row creates a person (no password, or a link to choose one when `send_credentials`),
//! invites an email that already has an account (joining a person other tenants know takes their
//! consent, as admin creation does: the report says `invited`), or updates an existing member's
//! membership fields (role, permissions, notification email, auto_tickets; the person's own
//! fields are theirs, changed through `PATCH`). A row that changes nothing is `unchanged`, so the
//! same file imported twice changes nothing the second time.
//!
//! A check says `added` for both kinds of newcomer and applies the same rules to both: whether an
//! email has an account elsewhere is not this tenant's to learn from a free check (see
//! `predict`).
//!
//! The file is checked whole before anything is written: a dry run answers with the report of
//! what the import would do; a real run with a row in error writes nothing and answers with those
//! rows. A clean real run stores its rows in chunks, answers 202, and is done by outbox jobs, a
//! chunk each (see `run`), with the importer's rights as they are when each chunk runs.

mod decide;
mod file;
mod report;
mod rows;
mod run;
mod teams;

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

pub use file::{FileEncoding, FileError, MAX_FILE_BYTES, MAX_ROWS};
pub use report::{
    Counts, ImportProgress, ImportRecord, ImportReport, ImportStatus, Imported, Outcome, RowReport,
};
pub use rows::{HeaderError, ImportRow, RowProblem};
pub(crate) use run::run as run_chunk;

use decide::{
    Decision, PARALLEL, RowState, conflict, decide, grant_problem, read_places, read_states,
    update_problem,
};
use report::ImportChunkRecord;

use super::audit::{AuditAction, AuditEvent};
use super::commit::Writes;
use super::create_user::{CreateUserError, NewUser, PasswordChoice, authorize_grant};
use super::export_users::{BYTE_ORDER_MARK, cell, finish, writer};
use super::grants::GrantError;
use super::invitations::send::Invite;
use super::jobs::{ImportChunkJob, Job};
use super::lifecycle::{LifecycleError, UserPatch, prepare_update};
use super::listing::for_each_item;
use super::{AuthError, Context, InternalError, TenantCaller};
use crate::app::App;
use crate::domain::{
    AccountId, EmailAddress, ImportId, Permission, PermissionSet, Role, TeamId, TenantId,
};
use crate::keys;
use crate::records::{
    LoginRecord, MembershipRecord, MembershipStatus, PendingInvitationRecord, from_item,
    from_optional, to_item,
};
use crate::table::{Condition, Key, Op};
use crate::token::Credential;
use rows::Columns;
use teams::TenantTeams;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("the caller may not import users into this tenant")]
    Forbidden,
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Header(#[from] HeaderError),
    #[error("Rows in error: {}. Nothing was imported; `errors` lists them.", .0.counts.error)]
    RowsInvalid(Box<ImportReport>),
    #[error("no such import in this tenant")]
    NotFound,
    #[error(
        "the teams changed while the import made the missing ones; check the file again and import it again (the teams made so far are found, not made twice)"
    )]
    TeamsChanged,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// Rows checked together: their emails are read in one go (50 to a batch, 4 batches at once).
const CHECK_WINDOW: usize = 1000;

/// Rows per chunk at most, and the stored size a chunk stays under (DynamoDB items are at most
/// 400 KB).
const CHUNK_ROWS: usize = 100;
const CHUNK_BYTES: usize = 200 * 1024;

/// How long a chunk's rows are kept: they are needed only until the chunk is done (minutes, or
/// the outbox's retries after an outage); the row results, the import's report, stay.
const CHUNKS_KEPT: chrono::Duration = chrono::Duration::days(30);

/// Those who manage users import; they are checked for each row as for creation.
async fn importer(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
) -> Result<TenantCaller, ImportError> {
    let caller = TenantCaller::load(app, token, tenant_id).await?;
    if !caller.rights.can_manage_users() {
        return Err(ImportError::Forbidden);
    }
    Ok(caller)
}

/// `GET .../users.csv/template`: the columns an import reads (the tenant's permissions
/// included), and one example row; UTF-8 with a byte-order mark, as the export.
pub async fn template(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
) -> Result<Vec<u8>, ImportError> {
    let caller = importer(app, token, tenant_id).await?;
    let mut header: Vec<String> = rows::template_columns().map(str::to_owned).collect();
    let mut example: Vec<String> = [
        "ada.lovelace@example.org",
        "Ada",
        "Lovelace",
        "",
        // Written as the export writes it: `'+39 ...`, which the import reads as `+39 ...`.
        "+39 0543 712 111",
        caller.tenant.settings.default_locale.as_str(),
        "member",
        "no",
        // No team: a path names one, `Parent/Child`, several separated by `;`.
        "",
        "yes",
    ]
    .iter()
    .map(|c| cell(c))
    .collect();
    for (i, entry) in caller.tenant.permission_catalog.iter().enumerate() {
        header.push(cell(entry.name.as_str()));
        example.push(if i == 0 { "x" } else { "" }.to_owned());
    }
    header.push(Permission::USERS_MANAGE.to_owned());
    example.push(String::new());
    let mut out = writer();
    out.write_record(&header).context("writing the template")?;
    out.write_record(&example).context("writing the template")?;
    let mut bytes = BYTE_ORDER_MARK.as_bytes().to_vec();
    bytes.extend(finish(out)?);
    Ok(bytes)
}

/// How a file is imported.
#[derive(Clone, Copy, Debug, Default)]
pub struct ImportOptions {
    pub encoding: FileEncoding,
    /// Check the file and answer what the import would do, writing nothing.
    pub dry_run: bool,
    /// Make the teams the `teams` column names that do not exist yet; without it such a row is
    /// `unknown_team`.
    pub create_missing_teams: bool,
}

type ParsedRow = Result<ImportRow, Box<RowReport>>;

/// Parses the file into rows, each valid or with its problem; a second row of one email is
/// `duplicate_in_file`.
fn parse(
    bytes: &[u8],
    encoding: FileEncoding,
    caller: &TenantCaller,
) -> Result<Vec<ParsedRow>, ImportError> {
    let file = file::read(bytes, encoding)?;
    let columns = Columns::parse(&file.header, &caller.tenant)?;
    let mut seen = HashSet::new();
    Ok(file
        .rows
        .iter()
        .map(|(number, cells)| {
            let row = u32::try_from(*number).unwrap_or(u32::MAX);
            let email = columns.email_cell(cells);
            let parsed = columns
                .row(*number, cells)
                .map_err(|p| Box::new(RowReport::error(row, email, p)))?;
            if !seen.insert(parsed.email.normalized()) {
                return Err(Box::new(RowReport::error(
                    row,
                    email,
                    RowProblem::new(
                        "duplicate_in_file",
                        Some("email"),
                        "email: an earlier row of the file has this email",
                    ),
                )));
            }
            Ok(parsed)
        })
        .collect())
}

/// Finds the teams each row names in the tenant's tree (read once, only for a file that names
/// teams), planning those missing when the import makes them: a row that cannot join them is
/// in error.
async fn place_teams(
    app: &App,
    caller: &TenantCaller,
    parsed: &mut [ParsedRow],
    create_missing: bool,
) -> Result<Option<TenantTeams>, InternalError> {
    if !parsed
        .iter()
        .any(|row| row.as_ref().is_ok_and(|r| !r.team_paths.is_empty()))
    {
        return Ok(None);
    }
    let mut teams = TenantTeams::read(app, caller.tenant.id, create_missing).await?;
    let now = app.clock.now();
    for parsed_row in parsed.iter_mut() {
        let Ok(row) = parsed_row else {
            continue;
        };
        match teams.place(app, now, caller, &row.team_paths) {
            Ok(ids) => row.team_ids = ids,
            Err(problem) => {
                *parsed_row = Err(Box::new(RowReport::error(
                    row.row,
                    row.email.as_str(),
                    problem,
                )));
            }
        }
    }
    Ok(Some(teams))
}

/// `POST .../users.csv`: checks the file whole; with `dry_run` answers what it would do, else
/// files it (or, with any row in error, writes nothing and names those rows).
pub async fn import_users(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    bytes: &[u8],
    options: ImportOptions,
) -> Result<Imported, ImportError> {
    let caller = importer(app, token, tenant_id).await?;
    let mut parsed = parse(bytes, options.encoding, &caller)?;
    let teams = place_teams(app, &caller, &mut parsed, options.create_missing_teams).await?;
    let new_teams = teams
        .as_ref()
        .map(TenantTeams::planned_paths)
        .unwrap_or_default();
    let now = app.clock.now();
    let mut report = Vec::with_capacity(parsed.len());
    // A window of rows at a time: what the table holds for 10,000 emails is never held at once.
    for window in parsed.chunks(CHECK_WINDOW) {
        let valid: Vec<&ImportRow> = window.iter().filter_map(|r| r.as_ref().ok()).collect();
        let emails: Vec<&EmailAddress> = valid.iter().map(|r| &r.email).collect();
        let mut states = read_states(app, tenant_id, &emails).await?;
        read_places(app, tenant_id, &valid, &mut states).await?;
        let mut states = states.into_iter();
        for row in window {
            report.push(match row {
                Ok(row) => {
                    let state = states.next().unwrap_or_default();
                    predict(app, &caller, row, &state, now).await?
                }
                Err(refused) => (**refused).clone(),
            });
        }
    }
    let report = ImportReport {
        counts: Counts::of(&report),
        rows: report,
        new_teams,
    };
    if options.dry_run {
        return Ok(Imported::DryRun(report));
    }
    if report.counts.error > 0 {
        return Err(ImportError::RowsInvalid(Box::new(ImportReport {
            counts: report.counts,
            rows: report
                .rows
                .into_iter()
                .filter(|r| r.outcome == Outcome::Error)
                .collect(),
            new_teams: Vec::new(),
        })));
    }
    let id = ImportId::from_ulid(app.random.ulid(now));
    if let Some(teams) = &teams {
        let details = json!({"import_id": id});
        super::teams::create_planned(app, &caller, &teams.planned(), &details)
            .await
            .map_err(|e| match e {
                super::teams::TeamError::Internal(e) => ImportError::Internal(e),
                _ => ImportError::TeamsChanged,
            })?;
    }
    let rows: Vec<ImportRow> = parsed.into_iter().filter_map(Result::ok).collect();
    file_import(app, &caller, id, rows, report.counts, report.new_teams)
        .await
        .map(|record| Imported::Filed(Box::new(record)))
}

/// What the real run would do with a valid row, without writing. Someone who is not a member is
/// `added`, whether the email is new (created) or has an account (invited): a check is free and
/// writes nothing, so telling the two apart would let an admin learn, for thousands of addresses
/// at once, which have an account in some other tenant. Once done, a row says which it was, as
/// the member list and the invitations would (each such row then cost a member or an invitation
/// mail, the latter counted in the daily invitation quotas).
async fn predict(
    app: &App,
    caller: &TenantCaller,
    row: &ImportRow,
    state: &RowState,
    now: DateTime<Utc>,
) -> Result<RowReport, InternalError> {
    let email = row.email.as_str();
    Ok(match decide(caller, row, state, now) {
        Decision::Create(_) | Decision::Invite(_) => RowReport::new(row.row, email, Outcome::Added),
        Decision::Unchanged { member, why } => RowReport {
            user_id: member,
            detail: why.map(str::to_owned),
            ..RowReport::new(row.row, email, Outcome::Unchanged)
        },
        Decision::Refused(problem) => RowReport::error(row.row, email, problem),
        Decision::Update(member, patch, joins) => {
            let user_id = Some(member.account_id);
            match prepare_update(app, caller, &member, &patch, json!({})).await {
                Ok(Some(_)) => RowReport {
                    user_id,
                    ..RowReport::new(row.row, email, Outcome::Updated)
                },
                Ok(None) if !joins.is_empty() => RowReport {
                    user_id,
                    detail: Some("joins teams".to_owned()),
                    ..RowReport::new(row.row, email, Outcome::Updated)
                },
                Ok(None) => RowReport {
                    user_id,
                    ..RowReport::new(row.row, email, Outcome::Unchanged)
                },
                Err(LifecycleError::Internal(e)) => return Err(e),
                Err(e) => {
                    RowReport::error(row.row, email, update_problem(e).unwrap_or_else(conflict))
                }
            }
        }
    })
}

/// Stores the rows in chunks, then the import, its first job and its audit event in one
/// transaction: chunks of an import that failed to be filed are never read.
async fn file_import(
    app: &App,
    caller: &TenantCaller,
    id: ImportId,
    rows: Vec<ImportRow>,
    planned: Counts,
    new_teams: Vec<String>,
) -> Result<ImportRecord, ImportError> {
    let now = app.clock.now();
    let tenant = caller.tenant.id;
    let total = u32::try_from(rows.len()).unwrap_or(u32::MAX);
    let mut chunks: Vec<Vec<ImportRow>> = Vec::new();
    let mut size = 0;
    for row in rows {
        let row_size = serde_json::to_vec(&row).map_or(0, |b| b.len());
        match chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK_ROWS && size + row_size <= CHUNK_BYTES => {
                size += row_size;
                chunk.push(row);
            }
            _ => {
                size = row_size;
                chunks.push(vec![row]);
            }
        }
    }
    let count = u32::try_from(chunks.len()).unwrap_or(u32::MAX);
    let mut numbered = chunks.into_iter().zip(0u32..).peekable();
    while numbered.peek().is_some() {
        let writes = numbered
            .by_ref()
            .take(PARALLEL)
            .map(|(rows, n)| store_chunk(app, tenant, id, n, rows, now + CHUNKS_KEPT));
        futures::future::try_join_all(writes).await?;
    }
    let record = ImportRecord {
        id,
        tenant_id: tenant,
        actor_id: caller.account_id(),
        api_key: caller
            .api_key
            .as_ref()
            .zip(caller.api_key_hash.clone())
            .map(|(key, hash)| report::ImportKey { id: key.id, hash }),
        operator_key: caller
            .operator_key
            .as_ref()
            .map(|(key, hash)| report::ImportOperatorKey {
                id: key.id,
                hash: hash.clone(),
            }),
        rows: total,
        chunks: count,
        status: ImportStatus::Running,
        planned,
        new_teams,
        counts: None,
        created_at: now,
        finished_at: None,
        version: 1,
    };
    let mut writes = Writes::new(app, now);
    writes
        .op(Op::put_if(
            to_item(&keys::import(tenant, id), &record, None).context("building the import")?,
            Condition::NotExists,
        ))
        .job(Job::ImportChunk(ImportChunkJob {
            tenant_id: tenant,
            import_id: id,
            chunk: 0,
        }))?
        .audit(AuditEvent {
            tenant,
            action: AuditAction::UsersImportStarted,
            actor: caller.actor,
            subject: None,
            details: json!({"import_id": id, "rows": total, "planned": planned}),
        })?;
    writes.commit().await.context("filing the import")?;
    tracing::info!(import_id = %id, rows = total, chunks = count, "import filed");
    Ok(record)
}

async fn store_chunk(
    app: &App,
    tenant: TenantId,
    id: ImportId,
    n: u32,
    rows: Vec<ImportRow>,
    expires_at: DateTime<Utc>,
) -> Result<(), InternalError> {
    let item = to_item(
        &keys::import_chunk(tenant, id, n),
        &ImportChunkRecord { rows },
        Some(expires_at),
    )
    .context("building an import chunk")?;
    let mut writes = Writes::new(app, app.clock.now());
    writes.op(Op::put_if(item, Condition::NotExists));
    writes.commit().await.context("storing an import chunk")
}

/// Every row result of an import so far, in row order.
async fn results(
    app: &App,
    tenant: TenantId,
    id: ImportId,
) -> Result<Vec<RowReport>, InternalError> {
    let pk = keys::tenant_pk(tenant);
    let prefix = keys::import_results_prefix(id);
    let mut rows = Vec::new();
    for_each_item(app, &pk, &prefix, |item| {
        rows.push(from_item(item).context("reading a row result")?);
        Ok(())
    })
    .await?;
    Ok(rows)
}

/// `GET .../imports/{id}`.
pub async fn get_import(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    id: ImportId,
) -> Result<ImportProgress, ImportError> {
    // The import is read in the caller's batch.
    let (caller, mut items) =
        TenantCaller::load_with(app, token, tenant_id, &[keys::import(tenant_id, id)]).await?;
    let import: Option<ImportRecord> =
        from_optional(items.pop().flatten()).context("reading the import")?;
    if !caller.rights.can_manage_users() {
        return Err(ImportError::Forbidden);
    }
    let import = import.ok_or(ImportError::NotFound)?;
    let report = results(app, tenant_id, id).await?;
    Ok(ImportProgress {
        rows_done: u32::try_from(report.len()).unwrap_or(u32::MAX),
        counts: Counts::of(&report),
        import,
        report,
    })
}
