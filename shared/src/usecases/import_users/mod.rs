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

mod file;
mod rows;
mod run;

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

pub use file::{FileEncoding, FileError, MAX_FILE_BYTES, MAX_ROWS};
pub use rows::{HeaderError, ImportRow, RowProblem};
pub(crate) use run::run as run_chunk;

use super::audit::AuditEvent;
use super::commit::Writes;
use super::create_user::{CreateUserError, NewUser, PasswordChoice, authorize_grant};
use super::export_users::{BYTE_ORDER_MARK, cell, finish, writer};
use super::grants::GrantError;
use super::invitations::send::Invite;
use super::jobs::{ImportChunkJob, Job};
use super::lifecycle::{LifecycleError, UserPatch, prepare_update};
use super::{AuthError, Context, InternalError, TenantCaller};
use crate::app::App;
use crate::domain::{AccountId, EmailAddress, ImportId, Permission, PermissionSet, Role, TenantId};
use crate::keys;
use crate::records::{
    LoginRecord, MembershipRecord, MembershipStatus, PendingInvitationRecord, from_item,
    from_optional, to_item,
};
use crate::table::{Condition, Key, Op};
use crate::token::SessionToken;
use rows::Columns;

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
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// What became (or would become) of a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Of a check (a dry run): someone who is not a member will join: created, or invited when
    /// the email has an account. Which of the two is known only once the row is done, since
    /// telling it beforehand would tell the importer whether an address has an account elsewhere.
    Added,
    /// A new person, member of the tenant.
    Created,
    /// The email has an account: the person was invited and joins when they accept.
    Invited,
    /// An existing member's membership fields changed.
    Updated,
    /// Nothing to change (or the person's invitation is pending).
    Unchanged,
    Error,
}

/// One row of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RowReport {
    /// As the spreadsheet numbers it: the header is row 1.
    pub row: u32,
    /// As written in the file.
    pub email: String,
    pub outcome: Outcome,
    /// For errors: a stable code (`invalid_value`, `missing_value`, `formula_not_allowed`,
    /// `duplicate_in_file`, `role_not_allowed`, `permission_not_allowed`, `member_archived`,
    /// `last_owner`, `rate_limited`, `forbidden`, `conflict`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// For errors: the column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The member, once created or updated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub user_id: Option<AccountId>,
}

impl RowReport {
    fn new(row: u32, email: &str, outcome: Outcome) -> Self {
        Self {
            row,
            email: email.to_owned(),
            outcome,
            code: None,
            field: None,
            detail: None,
            user_id: None,
        }
    }

    fn error(row: u32, email: &str, problem: RowProblem) -> Self {
        Self {
            code: Some(problem.code),
            field: problem.field,
            detail: Some(problem.detail),
            ..Self::new(row, email, Outcome::Error)
        }
    }
}

/// How many rows had each outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Counts {
    pub added: u32,
    pub created: u32,
    pub invited: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub error: u32,
}

impl Counts {
    fn of<'a>(rows: impl IntoIterator<Item = &'a RowReport>) -> Self {
        let mut counts = Self::default();
        for row in rows {
            *match row.outcome {
                Outcome::Added => &mut counts.added,
                Outcome::Created => &mut counts.created,
                Outcome::Invited => &mut counts.invited,
                Outcome::Updated => &mut counts.updated,
                Outcome::Unchanged => &mut counts.unchanged,
                Outcome::Error => &mut counts.error,
            } += 1;
        }
        counts
    }
}

/// A dry run's answer, and the rows a refused real run names.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportReport {
    pub counts: Counts,
    pub rows: Vec<RowReport>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    Running,
    Done,
}

/// An import filed by a real run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ImportRecord {
    pub id: ImportId,
    pub tenant_id: TenantId,
    /// Who imported: the actor of every change it makes, with their rights as they are when each
    /// chunk runs.
    pub actor_id: AccountId,
    pub rows: u32,
    pub chunks: u32,
    pub status: ImportStatus,
    /// What the check before filing expected.
    pub planned: Counts,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<Counts>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    pub version: u64,
}

/// Rows of one import chunk, written once when the import is filed.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct ImportChunkRecord {
    rows: Vec<ImportRow>,
}

/// An import as `GET .../imports/{id}` shows it: how far it is, and each row done so far.
pub struct ImportProgress {
    pub import: ImportRecord,
    pub rows_done: u32,
    pub counts: Counts,
    pub report: Vec<RowReport>,
}

/// What a request to import leads to.
pub enum Imported {
    /// `dry_run`: what the import would do; nothing was written.
    DryRun(ImportReport),
    /// Filed: its jobs do the rows.
    Filed(ImportRecord),
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
    token: &SessionToken,
    tenant_id: TenantId,
) -> Result<TenantCaller, ImportError> {
    let caller = TenantCaller::load(app, token, tenant_id).await?;
    if !caller.membership.can_manage_users() {
        return Err(ImportError::Forbidden);
    }
    Ok(caller)
}

/// `GET .../users.csv/template`: the columns an import reads (the tenant's permissions
/// included), and one example row; UTF-8 with a byte-order mark, as the export.
pub async fn template(
    app: &App,
    token: &SessionToken,
    tenant_id: TenantId,
) -> Result<Vec<u8>, ImportError> {
    let caller = importer(app, token, tenant_id).await?;
    let mut header: Vec<String> = rows::TEMPLATE_COLUMNS
        .iter()
        .map(|c| (*c).to_owned())
        .collect();
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

/// What the table holds for one row's email.
#[derive(Default)]
struct RowState {
    login: Option<LoginRecord>,
    member: Option<MembershipRecord>,
    pending: Option<PendingInvitationRecord>,
}

/// Batches read at once.
const PARALLEL: usize = 4;

/// Reads the login item, the pending invitation and the membership of each email, a few
/// batches at a time.
async fn read_states(
    app: &App,
    tenant: TenantId,
    emails: &[&EmailAddress],
) -> Result<Vec<RowState>, InternalError> {
    const EMAILS: usize = 50;
    let mut states = Vec::with_capacity(emails.len());
    for window in emails.chunks(EMAILS * PARALLEL) {
        let reads = window
            .chunks(EMAILS)
            .map(|batch| read_logins(app, tenant, batch));
        for part in futures::future::try_join_all(reads).await? {
            states.extend(part);
        }
    }
    let known: Vec<(usize, Key)> = states
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            s.login
                .as_ref()
                .map(|l| (i, keys::membership(tenant, l.account_id)))
        })
        .collect();
    for window in known.chunks(100 * PARALLEL) {
        let reads = window.chunks(100).map(|batch| read_members(app, batch));
        for part in futures::future::try_join_all(reads).await? {
            for (i, member) in part {
                states[i].member = member;
            }
        }
    }
    Ok(states)
}

async fn read_logins(
    app: &App,
    tenant: TenantId,
    emails: &[&EmailAddress],
) -> Result<Vec<RowState>, InternalError> {
    let mut keys = Vec::with_capacity(emails.len() * 2);
    for email in emails {
        let normalized = email.normalized();
        keys.push(keys::login(&normalized));
        keys.push(keys::pending_invitation(tenant, &normalized));
    }
    let items = app
        .table
        .batch_get(&keys)
        .await
        .context("reading the emails")?;
    let mut states = Vec::with_capacity(emails.len());
    let mut items = items.into_iter();
    while let (Some(login), Some(pending)) = (items.next(), items.next()) {
        states.push(RowState {
            login: from_optional(login).context("reading a login item")?,
            pending: from_optional(pending).context("reading an invitation marker")?,
            member: None,
        });
    }
    Ok(states)
}

async fn read_members(
    app: &App,
    batch: &[(usize, Key)],
) -> Result<Vec<(usize, Option<MembershipRecord>)>, InternalError> {
    let keys: Vec<Key> = batch.iter().map(|(_, k)| k.clone()).collect();
    let items = app
        .table
        .batch_get(&keys)
        .await
        .context("reading members")?;
    batch
        .iter()
        .zip(items)
        .map(|((i, _), item)| Ok((*i, from_optional(item).context("reading a member")?)))
        .collect()
}

/// What to do with a valid row, given what the table holds.
enum Decision {
    Create(Box<NewUser>),
    Invite(Invite),
    Update(Box<MembershipRecord>, UserPatch),
    /// The member (when there is one), and why, when it is not plain.
    Unchanged(Option<AccountId>, Option<&'static str>),
    Refused(RowProblem),
}

/// The grant rule's refusal of a row, in the row's own words (a permission is named by its
/// column).
fn refused_grant(error: GrantError) -> RowProblem {
    match error {
        GrantError::RoleNotAllowed(role) => RowProblem::new(
            "role_not_allowed",
            Some("role"),
            format!("role: you may not act on or give the role {role}"),
        ),
        GrantError::PermissionNotAllowed(p) | GrantError::UnknownPermission(p) => RowProblem::new(
            "permission_not_allowed",
            Some(&p),
            format!("{p}: you may not give a permission you do not hold"),
        ),
    }
}

fn grant_problem(error: CreateUserError) -> RowProblem {
    match error {
        CreateUserError::Grant(e) => refused_grant(e),
        _ => RowProblem::new("forbidden", None, "you may not create users here"),
    }
}

fn update_problem(error: LifecycleError) -> Option<RowProblem> {
    Some(match error {
        LifecycleError::Grant(e) => refused_grant(e),
        LifecycleError::LastOwner => RowProblem::new(
            "last_owner",
            Some("role"),
            "role: the last active owner cannot be demoted",
        ),
        _ => return None,
    })
}

/// Whether `patch` would change any of `member`'s membership fields.
fn changes(member: &MembershipRecord, patch: &UserPatch) -> bool {
    patch.role.is_some_and(|r| r != member.role)
        || patch
            .permissions
            .as_ref()
            .is_some_and(|p| *p != member.permissions)
        || patch
            .notification_email
            .as_ref()
            .is_some_and(|e| *e != member.notification_email)
        || patch.auto_tickets.is_some_and(|a| a != member.auto_tickets)
}

/// A row whose member changed under it in a way no rule names.
fn conflict() -> RowProblem {
    RowProblem::new("conflict", None, "the member changed at the same time")
}

fn decide(
    caller: &TenantCaller,
    row: &ImportRow,
    state: &RowState,
    now: DateTime<Utc>,
) -> Decision {
    if let Some(member) = &state.member {
        let permission_columns =
            row.granted.iter().next().is_some() || row.withheld.iter().next().is_some();
        let permissions = permission_columns.then(|| {
            let kept = member
                .permissions
                .iter()
                .filter(|p| !row.withheld.contains(p.as_str()))
                .cloned();
            PermissionSet::new(kept.chain(row.granted.iter().cloned()).collect())
        });
        let patch = UserPatch {
            notification_email: row.notification_email.clone(),
            role: row.role,
            permissions,
            auto_tickets: row.auto_tickets,
            ..UserPatch::default()
        };
        // A row that changes nothing is unchanged whoever the member is: an exported file,
        // archived members and owners included, imports back as it is.
        if !changes(member, &patch) {
            let why = (member.status == MembershipStatus::Archived).then_some("an archived member");
            return Decision::Unchanged(Some(member.account_id), why);
        }
        if member.status == MembershipStatus::Archived {
            return Decision::Refused(RowProblem::new(
                "member_archived",
                Some("email"),
                "email: this person is an archived member; restore them first",
            ));
        }
        if member.role > caller.membership.role {
            return Decision::Refused(RowProblem::new(
                "role_not_allowed",
                Some("role"),
                format!(
                    "role: you may not change a member who is {}",
                    member.role.as_str()
                ),
            ));
        }
        return Decision::Update(Box::new(member.clone()), patch);
    }
    // From here on nothing may depend on whether the email has an account elsewhere before the
    // row is done: a check would otherwise tell the importer who has one (see `predict`).
    let role = row.role.unwrap_or(Role::Member);
    if let Err(e) = authorize_grant(caller, role, &row.granted) {
        return Decision::Refused(grant_problem(e));
    }
    if state.pending.as_ref().is_some_and(|p| p.expires_at > now) {
        return Decision::Unchanged(None, Some("an invitation for this email is pending"));
    }
    let (Some(first_name), Some(last_name)) = (&row.first_name, &row.last_name) else {
        let field = if row.first_name.is_none() {
            "first_name"
        } else {
            "last_name"
        };
        return Decision::Refused(RowProblem::new(
            "missing_value",
            Some(field),
            format!("{field}: someone who is not a member needs a first and a last name"),
        ));
    };
    if state.login.is_some() {
        return Decision::Invite(Invite {
            email: row.email.clone(),
            role,
            permissions: row.granted.clone(),
            message: None,
            locale: row.locale,
        });
    }
    Decision::Create(Box::new(NewUser {
        email: row.email.clone(),
        first_name: first_name.clone(),
        last_name: last_name.clone(),
        notification_email: row.notification_email.clone().flatten(),
        phone: row.phone.clone(),
        locale: row.locale.unwrap_or(caller.tenant.settings.default_locale),
        role,
        permissions: row.granted.clone(),
        password: if row.send_credentials {
            PasswordChoice::Link
        } else {
            PasswordChoice::None
        },
        send_credentials: row.send_credentials,
        auto_tickets: row.auto_tickets,
    }))
}

/// Parses the file into rows, each valid or with its problem; a second row of one email is
/// `duplicate_in_file`.
fn parse(
    bytes: &[u8],
    encoding: FileEncoding,
    caller: &TenantCaller,
) -> Result<Vec<Result<ImportRow, Box<RowReport>>>, ImportError> {
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

/// `POST .../users.csv`: checks the file whole; with `dry_run` answers what it would do, else
/// files it (or, with any row in error, writes nothing and names those rows).
pub async fn import_users(
    app: &App,
    token: &SessionToken,
    tenant_id: TenantId,
    bytes: &[u8],
    encoding: FileEncoding,
    dry_run: bool,
) -> Result<Imported, ImportError> {
    let caller = importer(app, token, tenant_id).await?;
    let parsed = parse(bytes, encoding, &caller)?;
    let now = app.clock.now();
    let mut report = Vec::with_capacity(parsed.len());
    // A window of rows at a time: what the table holds for 10,000 emails is never held at once.
    for window in parsed.chunks(CHECK_WINDOW) {
        let emails: Vec<&EmailAddress> = window
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .map(|r| &r.email)
            .collect();
        let mut states = read_states(app, tenant_id, &emails).await?.into_iter();
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
    };
    if dry_run {
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
        })));
    }
    let rows: Vec<ImportRow> = parsed.into_iter().filter_map(Result::ok).collect();
    file_import(app, &caller, rows, report.counts)
        .await
        .map(Imported::Filed)
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
        Decision::Unchanged(user, why) => RowReport {
            user_id: user,
            detail: why.map(str::to_owned),
            ..RowReport::new(row.row, email, Outcome::Unchanged)
        },
        Decision::Refused(problem) => RowReport::error(row.row, email, problem),
        Decision::Update(member, patch) => {
            let user_id = Some(member.account_id);
            match prepare_update(app, caller, &member, &patch, json!({})).await {
                Ok(Some(_)) => RowReport {
                    user_id,
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
    rows: Vec<ImportRow>,
    planned: Counts,
) -> Result<ImportRecord, ImportError> {
    let now = app.clock.now();
    let id = ImportId::from_ulid(app.random.ulid(now));
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
        actor_id: caller.account.id,
        rows: total,
        chunks: count,
        status: ImportStatus::Running,
        planned,
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
            action: "users.import_started",
            actor: Some(caller.account.id),
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
    let mut after = None;
    loop {
        let page = app
            .table
            .query(&pk, &prefix, after.as_ref(), 1000)
            .await
            .context("reading the import's results")?;
        for item in page.items {
            rows.push(from_item(item).context("reading a row result")?);
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(rows),
        }
    }
}

/// `GET .../imports/{id}`.
pub async fn get_import(
    app: &App,
    token: &SessionToken,
    tenant_id: TenantId,
    id: ImportId,
) -> Result<ImportProgress, ImportError> {
    // The import is read in the caller's batch.
    let mut keys = TenantCaller::keys(token, tenant_id).to_vec();
    keys.push(keys::import(tenant_id, id));
    let mut items = app
        .table
        .batch_get(&keys)
        .await
        .context("reading the import")?;
    let import: Option<ImportRecord> =
        from_optional(items.pop().flatten()).context("reading the import")?;
    let caller = TenantCaller::resolve(token, items, app.clock.now())?;
    if !caller.membership.can_manage_users() {
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
