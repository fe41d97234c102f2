//! What an import is and what became of its rows: the stored import, its chunks, and the
//! report a check or a run answers with.

use super::*;

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
    pub(super) fn new(row: u32, email: &str, outcome: Outcome) -> Self {
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

    pub(super) fn error(row: u32, email: &str, problem: RowProblem) -> Self {
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
    pub(super) fn of<'a>(rows: impl IntoIterator<Item = &'a RowReport>) -> Self {
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
    /// The paths of the teams the import makes (`create_missing_teams`), in path order.
    pub new_teams: Vec<String>,
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
    /// chunk runs. `None` when an operator key imported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<AccountId>,
    /// Filed with a tenant API key: each chunk acts with that key, and stops once it is revoked
    /// or expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<ImportKey>,
    /// Filed with an operator key (`tenants.admin`): each chunk acts with it, as an owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_key: Option<ImportOperatorKey>,
    pub rows: u32,
    pub chunks: u32,
    pub status: ImportStatus,
    /// What the check before filing expected.
    pub planned: Counts,
    /// The teams the import made before its rows were filed, as paths.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub new_teams: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<Counts>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    pub version: u64,
}

/// The key an import was filed with: its id, and the hash that finds it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ImportKey {
    pub id: crate::domain::ApiKeyId,
    pub hash: String,
}

/// The operator key an import was filed with: its id, and the hash that finds it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ImportOperatorKey {
    pub id: crate::domain::OperatorKeyId,
    pub hash: String,
}

impl ImportRecord {
    /// Who the audit log names for what the import does.
    pub fn actor(&self) -> crate::records::Actor {
        match (&self.api_key, &self.operator_key, self.actor_id) {
            (Some(key), _, _) => crate::records::Actor::ApiKey(key.id),
            (None, Some(key), _) => crate::records::Actor::OperatorKey(key.id),
            (None, None, Some(account)) => crate::records::Actor::Account(account),
            (None, None, None) => crate::records::Actor::System,
        }
    }

    /// Whom each chunk acts for; `None` for a record that names nobody.
    pub(crate) fn acting_for(&self) -> Option<crate::usecases::ActingFor<'_>> {
        use crate::usecases::ActingFor;
        match (&self.operator_key, self.actor_id) {
            (Some(key), _) => Some(ActingFor::Operator {
                key_hash: &key.hash,
            }),
            (None, Some(account)) => Some(ActingFor::Person {
                account,
                api_key: self.api_key.as_ref().map(|k| k.hash.as_str()),
            }),
            (None, None) => None,
        }
    }
}

/// Rows of one import chunk, written once when the import is filed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct ImportChunkRecord {
    pub rows: Vec<ImportRow>,
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
    Filed(Box<ImportRecord>),
}
