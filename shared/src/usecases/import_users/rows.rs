//! From cells to typed rows: the header names the columns (those the export writes, and
//! `send_credentials`), each row is parsed into an [`ImportRow`] or a [`RowProblem`] that names
//! its code and column.
//!
//! A column that is in the file sets its field (an empty cell clears an optional field); a
//! column that is not leaves an existing member's field as it is. Permission columns hold `x`
//! (or yes/true/1) when held: a member gets exactly the file's permissions among its permission
//! columns, and keeps those the file has no column for.

use crate::usecases::export_users::{MEMBER_COLUMNS, OnImport};
use serde::{Deserialize, Serialize};

use super::teams::TeamPath;
use crate::domain::{
    EmailAddress, Locale, Permission, PermissionSet, PersonName, Phone, Role, TeamId, TextError,
};
use crate::records::TenantRecord;

/// The columns an import reads, in the export's names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Column {
    Email,
    FirstName,
    LastName,
    NotificationEmail,
    Phone,
    Locale,
    Role,
    AutoTickets,
    SendCredentials,
    /// Paths of teams to join (see `teams`).
    Teams,
    /// Written by the export, not changed by an import (status, access, created_via,
    /// created_at): read past, so an exported file imports back.
    ReadOnly,
    Permission(Permission),
}

/// Whether `name` is a column the export writes and the import reads past.
fn read_past(name: &str) -> bool {
    MEMBER_COLUMNS
        .iter()
        .any(|(column, imported)| *column == name && *imported == OnImport::ReadPast)
}

/// The columns an import template shows, in order (the member columns an import reads, then
/// `send_credentials`); permission columns follow.
pub fn template_columns() -> impl Iterator<Item = &'static str> {
    MEMBER_COLUMNS
        .iter()
        .filter(|(_, imported)| *imported == OnImport::Read)
        .map(|(column, _)| *column)
        .chain(["send_credentials"])
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error(
        "The first row holds an email address: it must be the header naming the columns (email, first_name, last_name, ...)."
    )]
    NoHeader,
    #[error("The header has no email column.")]
    MissingEmail,
    #[error("The column \"{0}\" appears twice.")]
    Duplicate(String),
    #[error(
        "The column \"{0}\" is not one an import reads: email, first_name, last_name, notification_email, phone, locale, role, auto_tickets, send_credentials, teams, or a permission of the tenant."
    )]
    Unknown(String),
    #[error("The column \"{0}\" names a permission that is not in this tenant's catalogue.")]
    UnknownPermission(String),
}

impl HeaderError {
    pub fn column(&self) -> &str {
        match self {
            Self::MissingEmail | Self::NoHeader => "email",
            Self::Duplicate(c) | Self::Unknown(c) | Self::UnknownPermission(c) => c,
        }
    }
}

/// The file's header, understood.
pub struct Columns(Vec<Column>);

impl Columns {
    /// Reads a header row against `tenant`'s permission catalogue. Names are matched in any
    /// letter case, with spaces as underscores.
    pub fn parse(header: &[String], tenant: &TenantRecord) -> Result<Self, HeaderError> {
        if header.iter().any(|cell| EmailAddress::parse(cell).is_ok()) {
            return Err(HeaderError::NoHeader);
        }
        let mut columns = Vec::with_capacity(header.len());
        for raw in header {
            let name = raw.trim().to_lowercase().replace(' ', "_");
            let column = match name.as_str() {
                "email" => Column::Email,
                "first_name" => Column::FirstName,
                "last_name" => Column::LastName,
                "notification_email" => Column::NotificationEmail,
                "phone" => Column::Phone,
                "locale" => Column::Locale,
                "role" => Column::Role,
                "auto_tickets" => Column::AutoTickets,
                "send_credentials" => Column::SendCredentials,
                "teams" => Column::Teams,
                n if read_past(n) => Column::ReadOnly,
                n => match Permission::parse(n) {
                    Ok(p) if tenant.knows_permission(p.as_str()) => Column::Permission(p),
                    Ok(_) if n.contains('.') => return Err(HeaderError::UnknownPermission(name)),
                    _ => return Err(HeaderError::Unknown(raw.trim().to_owned())),
                },
            };
            if column != Column::ReadOnly && columns.contains(&column) {
                return Err(HeaderError::Duplicate(name));
            }
            columns.push(column);
        }
        if !columns.contains(&Column::Email) {
            return Err(HeaderError::MissingEmail);
        }
        Ok(Self(columns))
    }

    /// The email of a row, as written (for the report, also when the row is in error).
    pub fn email_cell<'a>(&self, cells: &'a [String]) -> &'a str {
        self.0
            .iter()
            .position(|c| *c == Column::Email)
            .and_then(|i| cells.get(i))
            .map_or("", String::as_str)
    }
}

/// One valid row: what it sets. Stored in the import's chunks between the request and the job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportRow {
    pub row: u32,
    pub email: EmailAddress,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<PersonName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<PersonName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Locale>,
    /// `Some(None)` clears it; `None` leaves it (no such column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_email: Option<Option<EmailAddress>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Of the file's permission columns: those this row holds, and those it does not.
    #[serde(default)]
    pub granted: PermissionSet,
    #[serde(default)]
    pub withheld: PermissionSet,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_tickets: Option<bool>,
    #[serde(default)]
    pub send_credentials: bool,
    /// The `teams` cell's paths, as read: found (or planned) in the tree before the rows are
    /// filed.
    #[serde(skip)]
    pub team_paths: Vec<TeamPath>,
    /// The teams the row's person joins, once found or made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub team_ids: Vec<TeamId>,
}

/// What is wrong with a row: a stable code, the column, and words for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub detail: String,
}

impl RowProblem {
    pub fn new(code: &str, field: Option<&str>, detail: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            field: field.map(str::to_owned),
            detail: detail.into(),
        }
    }

    fn invalid(field: &str, detail: impl std::fmt::Display) -> Self {
        Self::new("invalid_value", Some(field), format!("{field}: {detail}"))
    }
}

/// The export makes a cell that a spreadsheet would run into text by putting `'` before it;
/// reading it back takes that off.
fn unguarded(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

fn flag(field: &str, cell: &str) -> Result<bool, RowProblem> {
    match cell.to_lowercase().as_str() {
        "" | "false" | "no" | "0" | "n" => Ok(false),
        "x" | "true" | "yes" | "1" | "y" => Ok(true),
        _ => Err(RowProblem::invalid(
            field,
            format!("\"{cell}\" is neither yes (x, true, 1) nor no (empty, false, 0)"),
        )),
    }
}

/// A name, or the row's problem with it: a formula has a code of its own.
fn name(field: &str, cell: &str) -> Result<Option<PersonName>, RowProblem> {
    if cell.is_empty() {
        return Ok(None);
    }
    PersonName::parse(cell).map(Some).map_err(|e| match e {
        TextError::Formula => RowProblem::new(
            "formula_not_allowed",
            Some(field),
            format!("{field}: a name may not start with = + - or @ (a spreadsheet formula)"),
        ),
        other => RowProblem::invalid(field, other),
    })
}

impl Columns {
    /// Parses one row's cells.
    pub fn row(&self, number: usize, cells: &[String]) -> Result<ImportRow, RowProblem> {
        let mut row = ImportRow {
            row: u32::try_from(number).unwrap_or(u32::MAX),
            email: EmailAddress::parse(self.email_cell(cells))
                .map_err(|e| RowProblem::invalid("email", e))?,
            first_name: None,
            last_name: None,
            phone: None,
            locale: None,
            notification_email: None,
            role: None,
            granted: PermissionSet::default(),
            withheld: PermissionSet::default(),
            auto_tickets: None,
            send_credentials: false,
            team_paths: Vec::new(),
            team_ids: Vec::new(),
        };
        let (mut granted, mut withheld) = (Vec::new(), Vec::new());
        for (column, cell) in self.0.iter().zip(cells) {
            let cell = unguarded(cell);
            match column {
                Column::Email | Column::ReadOnly => {}
                Column::FirstName => row.first_name = name("first_name", cell)?,
                Column::LastName => row.last_name = name("last_name", cell)?,
                Column::NotificationEmail => {
                    row.notification_email = Some(if cell.is_empty() {
                        None
                    } else {
                        Some(
                            EmailAddress::parse(cell)
                                .map_err(|e| RowProblem::invalid("notification_email", e))?,
                        )
                    });
                }
                Column::Phone if cell.is_empty() => {}
                Column::Phone => {
                    row.phone =
                        Some(Phone::parse(cell).map_err(|e| RowProblem::invalid("phone", e))?);
                }
                Column::Locale if cell.is_empty() => {}
                Column::Locale => {
                    row.locale = Some(Locale::parse(cell).ok_or_else(|| {
                        RowProblem::invalid("locale", format!("\"{cell}\" is not en, it, fr or pl"))
                    })?);
                }
                Column::Role if cell.is_empty() => {}
                Column::Role => {
                    row.role = Some(match cell.to_lowercase().as_str() {
                        "member" => Role::Member,
                        "admin" => Role::Admin,
                        "owner" => Role::Owner,
                        _ => {
                            return Err(RowProblem::invalid(
                                "role",
                                format!("\"{cell}\" is not member, admin or owner"),
                            ));
                        }
                    });
                }
                Column::AutoTickets => row.auto_tickets = Some(flag("auto_tickets", cell)?),
                Column::SendCredentials => {
                    row.send_credentials = flag("send_credentials", cell)?;
                }
                Column::Teams => row.team_paths = super::teams::parse_cell(cell)?,
                Column::Permission(permission) => {
                    if flag(permission.as_str(), cell)? {
                        granted.push(permission.clone());
                    } else {
                        withheld.push(permission.clone());
                    }
                }
            }
        }
        row.granted = PermissionSet::new(granted);
        row.withheld = PermissionSet::new(withheld);
        Ok(row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(names: &[&str]) -> Result<Columns, HeaderError> {
        let now = chrono::Utc::now();
        let tenant = TenantRecord {
            id: crate::domain::TenantId::from_ulid(ulid::Ulid::nil()),
            name: "Leasing".into(),
            slug: "leasing".into(),
            settings: Default::default(),
            permission_catalog: vec![crate::domain::PermissionEntry {
                name: Permission::parse("fleet").unwrap(),
                label: "Fleet".into(),
            }],
            retiring_permissions: Vec::new(),
            suspended: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let header: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        Columns::parse(&header, &tenant)
    }

    fn cells(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn headers_name_known_columns_only() {
        assert!(columns(&["Email", "First Name", "fleet", "status"]).is_ok());
        assert_eq!(
            columns(&["first_name"]).err(),
            Some(HeaderError::MissingEmail)
        );
        assert_eq!(
            columns(&["ada@example.org", "Ada"]).err(),
            Some(HeaderError::NoHeader)
        );
        assert_eq!(
            columns(&["email", "Email"]).err(),
            Some(HeaderError::Duplicate("email".into()))
        );
        assert_eq!(
            columns(&["email", "department"]).err(),
            Some(HeaderError::Unknown("department".into()))
        );
        assert_eq!(
            columns(&["email", "it.admin"]).err(),
            Some(HeaderError::UnknownPermission("it.admin".into()))
        );
    }

    #[test]
    fn a_row_sets_what_its_columns_say() {
        let c = columns(&[
            "email",
            "first_name",
            "notification_email",
            "phone",
            "role",
            "fleet",
            "users.manage",
            "send_credentials",
        ])
        .unwrap();
        let row = c
            .row(
                7,
                &cells(&[
                    "Ada@X.org",
                    "Ada",
                    "",
                    "'+39 0543 1",
                    "Admin",
                    "x",
                    "",
                    "yes",
                ]),
            )
            .unwrap();
        assert_eq!(row.row, 7);
        assert_eq!(row.first_name.unwrap().as_str(), "Ada");
        assert_eq!(row.notification_email, Some(None));
        assert_eq!(row.phone.unwrap().as_str(), "+39 0543 1");
        assert_eq!(row.role, Some(Role::Admin));
        assert_eq!(row.granted.names(), ["fleet"]);
        assert_eq!(row.withheld.names(), ["users.manage"]);
        assert!(row.send_credentials);
        assert_eq!(row.last_name, None);
        assert_eq!(row.auto_tickets, None);
    }

    #[test]
    fn bad_cells_name_their_column() {
        let c = columns(&["email", "first_name", "role", "fleet"]).unwrap();
        let problem = |values: &[&str]| c.row(2, &cells(values)).unwrap_err();
        assert_eq!(
            problem(&["nope", "A", "", ""]).field.as_deref(),
            Some("email")
        );
        let formula = problem(&["a@x.org", "=HYPERLINK(\"http://x\")", "", ""]);
        assert_eq!(
            (formula.code.as_str(), formula.field.as_deref()),
            ("formula_not_allowed", Some("first_name"))
        );
        // The export's guard does not smuggle a formula in.
        assert_eq!(
            problem(&["a@x.org", "'=1+1", "", ""]).code,
            "formula_not_allowed"
        );
        assert_eq!(
            problem(&["a@x.org", "A", "boss", ""]).field.as_deref(),
            Some("role")
        );
        assert_eq!(
            problem(&["a@x.org", "A", "", "maybe"]).field.as_deref(),
            Some("fleet")
        );
    }
}
