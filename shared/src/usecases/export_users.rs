//! `GET /v1/tenants/{tenant_id}/users.csv`: the members as a spreadsheet reads them. RFC 4180
//! (CRLF, quotes where needed), UTF-8 with a byte-order mark (spreadsheet programs need it to
//! read UTF-8), one header row, a column per field and one per permission of the tenant's
//! catalogue (`x` when held). A cell a spreadsheet would run as a formula (starting with `=`,
//! `+`, `-`, `@`, a tab or a carriage return) is prefixed with `'` (OWASP, CSV injection).
//!
//! It is made a page of members at a time, so a tenant of 100,000 members is written without
//! being held in memory: [`Export::page`] gives the next 1,000 rows and where to go on.

use std::collections::{HashMap, HashSet};

use super::list_users::{ListUsersError, TeamFilter};
use super::listing::for_each_item;
use super::team_members;
use super::{Context, InternalError, TenantCaller};
use crate::app::App;
use crate::domain::{AccountId, Permission, TeamId, TenantId};
use crate::keys;
use crate::records::{
    MembershipRecord, MembershipStatus, TeamMemberRecord, TeamRecord, from_item, from_optional,
};
use crate::table::Key;
use crate::token::Credential;

/// A member's columns, in the order the export writes them, and whether an import reads each
/// back (the others are the export's own, read past so that an exported file imports back). The
/// one list of them: the export's header, the import's template and the columns it reads past
/// all come from it.
pub(crate) const MEMBER_COLUMNS: [(&str, OnImport); 13] = [
    ("email", OnImport::Read),
    ("first_name", OnImport::Read),
    ("last_name", OnImport::Read),
    ("notification_email", OnImport::Read),
    ("phone", OnImport::Read),
    ("locale", OnImport::Read),
    ("role", OnImport::Read),
    ("status", OnImport::ReadPast),
    ("access", OnImport::ReadPast),
    ("auto_tickets", OnImport::Read),
    ("created_via", OnImport::ReadPast),
    ("created_at", OnImport::ReadPast),
    ("teams", OnImport::Read),
];

/// What an import does with a column the export writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OnImport {
    Read,
    ReadPast,
}

/// Members read per page.
const PAGE: usize = 1000;

/// An export under way: the tenant's columns, which members, where it is.
pub struct Export {
    tenant: TenantId,
    status: Option<MembershipStatus>,
    permissions: Vec<String>,
    /// Each member's active teams as the `teams` cell shows them.
    teams: HashMap<AccountId, String>,
    /// With a team filter: its people.
    only: Option<HashSet<AccountId>>,
}

/// Starts an export of the members of `tenant_id` (all, or those with `status`; with `team`,
/// only its people). Reads the caller (with the team), then the tree and every place in the
/// tenant (a query each, at once), and, with a team filter, its people.
pub async fn start_export(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    status: Option<MembershipStatus>,
    team: Option<TeamFilter>,
) -> Result<Export, ListUsersError> {
    let extra: Vec<Key> = team
        .iter()
        .map(|t| keys::team(tenant_id, t.team_id))
        .collect();
    let (caller, items) = TenantCaller::load_with(app, token, tenant_id, &extra).await?;
    if !caller.rights.can_manage_users() {
        return Err(ListUsersError::Forbidden);
    }
    let only = match team {
        Some(filter) => {
            let team: TeamRecord = from_optional(items.into_iter().next().flatten())
                .context("reading the team")?
                .ok_or(ListUsersError::TeamNotFound)?;
            Some(
                team_members::people_of(app, &team, filter.include_subteams)
                    .await?
                    .into_iter()
                    .collect(),
            )
        }
        None => None,
    };
    let teams = team_cells(app, tenant_id).await?;
    let mut permissions: Vec<String> = caller
        .tenant
        .permission_catalog
        .iter()
        .map(|p| p.name.to_string())
        .collect();
    permissions.push(Permission::USERS_MANAGE.to_owned());
    Ok(Export {
        tenant: tenant_id,
        status,
        permissions,
        teams,
        only,
    })
}

/// Each member's active teams as paths from the root (see `teams::path_text`), several
/// separated by `; `, in path order: the tree and every place in the tenant, a query each, at
/// once.
async fn team_cells(
    app: &App,
    tenant: TenantId,
) -> Result<HashMap<AccountId, String>, InternalError> {
    let pk = keys::tenant_pk(tenant);
    let mut teams: HashMap<TeamId, TeamRecord> = HashMap::new();
    let mut places: Vec<TeamMemberRecord> = Vec::new();
    let (read_teams, read_places) = tokio::join!(
        for_each_item(app, &pk, keys::TEAM_PREFIX, |item| {
            let team: TeamRecord = from_item(item).context("reading a team")?;
            teams.insert(team.id, team);
            Ok(())
        }),
        for_each_item(app, &pk, keys::MEMBER_TEAMS_PREFIX, |item| {
            places.push(from_item(item).context("reading a place")?);
            Ok(())
        }),
    );
    read_teams?;
    read_places?;
    let mut paths: HashMap<AccountId, Vec<String>> = HashMap::new();
    for place in places {
        let Some(team) = teams.get(&place.team_id).filter(|t| t.is_active()) else {
            continue;
        };
        let names: Vec<&str> = team
            .path()
            .iter()
            .filter_map(|id| teams.get(id).map(|t| t.name.as_str()))
            .collect();
        paths
            .entry(place.account_id)
            .or_default()
            .push(super::teams::path_text(&names));
    }
    Ok(paths
        .into_iter()
        .map(|(account, mut list)| {
            list.sort();
            (account, list.join("; "))
        })
        .collect())
}

/// A cell as written: what a spreadsheet would run as a formula is made text.
pub(crate) fn cell(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_owned(),
    }
}

/// The byte-order mark spreadsheet programs need to read a CSV file as UTF-8.
pub(crate) const BYTE_ORDER_MARK: &str = "\u{FEFF}";

/// A writer of RFC 4180 rows (CRLF, quotes where needed) into memory.
pub(crate) fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new())
}

/// What `writer` wrote.
pub(crate) fn finish(writer: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, InternalError> {
    writer
        .into_inner()
        .map_err(|e| InternalError::new("writing the export", anyhow::anyhow!("{e}")))
}

impl Export {
    /// The byte-order mark and the header row.
    pub fn header(&self) -> Result<Vec<u8>, InternalError> {
        let mut out = writer();
        let mut row: Vec<String> = MEMBER_COLUMNS
            .iter()
            .map(|(name, _)| (*name).to_owned())
            .collect();
        row.extend(self.permissions.iter().map(|p| cell(p)));
        out.write_record(&row).context("writing the export")?;
        let mut bytes = BYTE_ORDER_MARK.as_bytes().to_vec();
        bytes.extend(finish(out)?);
        Ok(bytes)
    }

    /// The rows of the next page of members, after `after`, and where the next page starts
    /// (`None` at the end).
    pub async fn page(
        &self,
        app: &App,
        after: Option<Key>,
    ) -> Result<(Vec<u8>, Option<Key>), InternalError> {
        let page = app
            .table
            .query(
                &keys::tenant_pk(self.tenant),
                keys::MEMBER_PREFIX,
                after.as_ref(),
                PAGE,
            )
            .await
            .context("reading members")?;
        let mut out = writer();
        for item in page.items {
            let member: MembershipRecord = from_item(item).context("reading a member")?;
            if self.status.is_some_and(|s| s != member.status)
                || self
                    .only
                    .as_ref()
                    .is_some_and(|only| !only.contains(&member.account_id))
            {
                continue;
            }
            out.write_record(self.row(&member))
                .context("writing the export")?;
        }
        Ok((finish(out)?, page.next))
    }

    fn row(&self, m: &MembershipRecord) -> Vec<String> {
        let text = |v: serde_json::Value| match v {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        let mut row = vec![
            cell(m.email.as_str()),
            cell(&m.first_name),
            cell(&m.last_name),
            cell(m.notification_email.as_ref().map_or("", |e| e.as_str())),
            cell(m.phone.as_ref().map_or("", |p| p.as_str())),
            m.locale.as_str().to_owned(),
            m.role.as_str().to_owned(),
            text(serde_json::json!(m.status)),
            m.access.to_string(),
            m.auto_tickets.to_string(),
            text(serde_json::json!(m.created_via)),
            m.created_at.to_rfc3339(),
            cell(self.teams.get(&m.account_id).map_or("", String::as_str)),
        ];
        row.extend(self.permissions.iter().map(|p| {
            if m.permissions.contains(p) {
                "x".to_owned()
            } else {
                String::new()
            }
        }));
        row
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_a_spreadsheet_would_run_are_made_text() {
        for formula in ["=1+1", "+39 0543", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(cell(formula).starts_with('\''), "{formula:?}");
        }
        assert_eq!(cell("Zoë"), "Zoë");
        assert_eq!(cell(""), "");
    }
}
