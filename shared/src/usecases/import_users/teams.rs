//! The `teams` column: the teams a row's person joins, as paths from the root (`Sales/Europe`),
//! several separated by `;` or `|`; a `\` before a character keeps it in the name (`R\/D` is
//! the one team "R/D"), as the export writes them.
//!
//! A path names one place in the tree: its first name is a root team, each next one a sub-team
//! of the one before (names compared without regard to case, as siblings are). An import joins
//! people to teams and, when asked (`create_missing_teams=true`), makes the teams a path names
//! that do not exist yet; it never moves or renames a team, so no row can make a cycle. Joining
//! is all it does: a person's other teams are theirs to leave through the team routes, since a
//! cell left short in a file made for other columns must not take people out of teams (and
//! what those grant).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::rows::RowProblem;
use crate::app::App;
use crate::domain::{PermissionSet, TeamId, TeamName, TenantId, TextError};
use crate::records::{TeamRecord, TeamStatus};
use crate::usecases::{InternalError, TenantCaller};

/// The teams one row may name: as many as an invitation may.
pub(super) const MAX_TEAMS_PER_ROW: usize = 10;

/// A team as a cell names it: its name and those above it, from the root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamPath(Vec<TeamName>);

impl TeamPath {
    fn text(&self) -> String {
        let names: Vec<&str> = self.0.iter().map(TeamName::as_str).collect();
        crate::usecases::teams::path_text(&names)
    }
}

fn invalid(detail: impl std::fmt::Display) -> RowProblem {
    RowProblem::new("invalid_value", Some("teams"), format!("teams: {detail}"))
}

/// Reads a `teams` cell: its paths, each the same once. An empty cell names none.
pub(super) fn parse_cell(cell: &str) -> Result<Vec<TeamPath>, RowProblem> {
    let mut paths: Vec<Vec<String>> = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut name = String::new();
    let mut chars = cell.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => name.push(
                chars
                    .next()
                    .ok_or_else(|| invalid("a `\\` ends the cell; write `\\\\` for a backslash"))?,
            ),
            '/' => path.push(std::mem::take(&mut name)),
            ';' | '|' => {
                path.push(std::mem::take(&mut name));
                paths.push(std::mem::take(&mut path));
            }
            other => name.push(other),
        }
    }
    path.push(name);
    paths.push(path);
    let mut found: Vec<TeamPath> = Vec::new();
    for path in paths {
        // Blank between separators (`A; ; B`, a `;` at the end): nothing named.
        if path.len() == 1 && path[0].trim().is_empty() {
            continue;
        }
        if path.len() > TeamRecord::MAX_DEPTH {
            return Err(RowProblem::new(
                "team_too_deep",
                Some("teams"),
                format!(
                    "teams: \"{}\" is {} teams deep; teams nest at most {} deep",
                    path.join("/"),
                    path.len(),
                    TeamRecord::MAX_DEPTH
                ),
            ));
        }
        let names = path
            .iter()
            .map(|name| {
                if name.trim().is_empty() {
                    return Err(invalid(format!(
                        "\"{}\" has an empty team name",
                        path.join("/")
                    )));
                }
                TeamName::parse(name).map_err(|e| match e {
                    TextError::Formula => RowProblem::new(
                        "formula_not_allowed",
                        Some("teams"),
                        "teams: a team name may not start with = + - or @ (a spreadsheet formula)",
                    ),
                    other => invalid(format!("\"{}\": {other}", name.trim())),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let path = TeamPath(names);
        let folded = |p: &TeamPath| p.0.iter().map(TeamName::folded).collect::<Vec<_>>();
        if !found.iter().any(|seen| folded(seen) == folded(&path)) {
            found.push(path);
        }
    }
    if found.len() > MAX_TEAMS_PER_ROW {
        return Err(invalid(format!(
            "a row names at most {MAX_TEAMS_PER_ROW} teams, this one {}",
            found.len()
        )));
    }
    Ok(found)
}

/// The tenant's teams as an import reads them (the whole tree, at most 1,000 teams, once), with
/// the teams it plans to make.
pub(super) struct TenantTeams {
    tenant: TenantId,
    by_id: HashMap<TeamId, TeamRecord>,
    /// A team by its parent and its name folded.
    by_name: HashMap<(Option<TeamId>, String), TeamId>,
    /// Teams to make, parents before their children.
    planned: Vec<TeamId>,
    create_missing: bool,
}

impl TenantTeams {
    pub(super) async fn read(
        app: &App,
        tenant: TenantId,
        create_missing: bool,
    ) -> Result<Self, InternalError> {
        let teams = crate::usecases::teams::all_teams(app, tenant).await?;
        let by_name = teams
            .iter()
            .map(|t| ((t.parent_id, t.name.to_lowercase()), t.id))
            .collect();
        Ok(Self {
            tenant,
            by_id: teams.into_iter().map(|t| (t.id, t)).collect(),
            by_name,
            planned: Vec::new(),
            create_missing,
        })
    }

    /// Every team, those planned included.
    pub(super) fn by_id(&self) -> &HashMap<TeamId, TeamRecord> {
        &self.by_id
    }

    /// The teams to make before the rows are filed, parents first, each with the children
    /// planned under it counted.
    pub(super) fn planned(&self) -> Vec<TeamRecord> {
        self.planned
            .iter()
            .filter_map(|id| self.by_id.get(id))
            .cloned()
            .collect()
    }

    /// The paths of the teams planned, as a report shows them.
    pub(super) fn planned_paths(&self) -> Vec<String> {
        let mut paths: Vec<String> = self
            .planned
            .iter()
            .filter_map(|id| self.by_id.get(id))
            .map(|team| {
                let names: Vec<&str> = team
                    .path()
                    .iter()
                    .filter_map(|id| self.by_id.get(id))
                    .map(|t| t.name.as_str())
                    .collect();
                crate::usecases::teams::path_text(&names)
            })
            .collect();
        paths.sort();
        paths
    }

    /// The team of each of `paths`: found, or planned when it is missing and the import makes
    /// missing teams. A row that the caller may not join to a team, that names an archived team
    /// or a missing one (when the import makes none), or whose new teams would pass a limit, gets
    /// its problem, and what was planned for it is forgotten.
    pub(super) fn place(
        &mut self,
        app: &App,
        now: DateTime<Utc>,
        caller: &TenantCaller,
        paths: &[TeamPath],
    ) -> Result<Vec<TeamId>, RowProblem> {
        let planned_before = self.planned.len();
        let placed = paths
            .iter()
            .map(|path| self.place_one(app, now, caller, path))
            .collect::<Result<Vec<_>, _>>();
        if placed.is_err() {
            self.forget_since(planned_before);
        }
        placed
    }

    fn place_one(
        &mut self,
        app: &App,
        now: DateTime<Utc>,
        caller: &TenantCaller,
        path: &TeamPath,
    ) -> Result<TeamId, RowProblem> {
        let mut parent: Option<TeamId> = None;
        for (depth, name) in path.0.iter().enumerate() {
            let id = match self.by_name.get(&(parent, name.folded())) {
                Some(id) => *id,
                None if !self.create_missing => {
                    let names: Vec<&str> = path.0[..=depth].iter().map(TeamName::as_str).collect();
                    return Err(RowProblem::new(
                        "unknown_team",
                        Some("teams"),
                        format!(
                            "teams: there is no team \"{}\"; create it first, or import with create_missing_teams=true",
                            crate::usecases::teams::path_text(&names)
                        ),
                    ));
                }
                None => self.plan(app, now, parent, name, path)?,
            };
            let team = self
                .by_id
                .get(&id)
                .ok_or_else(|| invalid("a team was lost"))?;
            if !team.is_active() {
                return Err(RowProblem::new(
                    "team_archived",
                    Some("teams"),
                    format!(
                        "teams: \"{}\" goes through the archived team \"{}\"; restore it first",
                        path.text(),
                        team.name
                    ),
                ));
            }
            may_give_through(caller, team)?;
            parent = Some(id);
        }
        parent.ok_or_else(|| invalid("an empty path"))
    }

    /// Plans a new team `name` under `parent`, within the tenant's and the parent's limits.
    fn plan(
        &mut self,
        app: &App,
        now: DateTime<Utc>,
        parent: Option<TeamId>,
        name: &TeamName,
        path: &TeamPath,
    ) -> Result<TeamId, RowProblem> {
        let limit = |detail: String| {
            RowProblem::new(
                "team_limit",
                Some("teams"),
                format!("teams: making \"{}\" {detail}", path.text()),
            )
        };
        if self.by_id.len() as u64 >= TeamRecord::MAX_PER_TENANT {
            return Err(limit(format!(
                "would pass the {} teams a tenant may have",
                TeamRecord::MAX_PER_TENANT
            )));
        }
        let ancestors = match parent.and_then(|p| self.by_id.get_mut(&p)) {
            Some(parent) if parent.children >= TeamRecord::MAX_CHILDREN => {
                return Err(limit(format!(
                    "would pass the {} sub-teams a team may have",
                    TeamRecord::MAX_CHILDREN
                )));
            }
            Some(parent) => {
                parent.children += 1;
                parent.path()
            }
            None => Vec::new(),
        };
        let team = TeamRecord {
            id: TeamId::from_ulid(app.random.ulid(now)),
            tenant_id: self.tenant,
            name: name.as_str().to_owned(),
            description: None,
            parent_id: parent,
            ancestors,
            permissions: PermissionSet::default(),
            status: TeamStatus::Active,
            children: 0,
            scim: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let id = team.id;
        self.by_name.insert((parent, name.folded()), id);
        self.by_id.insert(id, team);
        self.planned.push(id);
        Ok(id)
    }

    /// Forgets the teams planned after the first `kept`, latest first.
    fn forget_since(&mut self, kept: usize) {
        while self.planned.len() > kept {
            let Some(id) = self.planned.pop() else {
                break;
            };
            if let Some(team) = self.by_id.remove(&id) {
                self.by_name
                    .remove(&(team.parent_id, team.name.to_lowercase()));
                if let Some(parent) = team.parent_id.and_then(|p| self.by_id.get_mut(&p)) {
                    parent.children = parent.children.saturating_sub(1);
                }
            }
        }
    }

    /// The teams `ids` (a filed row's) as they are now, for the caller to join someone to: a
    /// team deleted or archived since the check, or one the caller may no longer give what it
    /// grants through, is the row's problem.
    pub(super) fn joinable(
        &self,
        ids: &[TeamId],
        caller: &TenantCaller,
    ) -> Result<Vec<&TeamRecord>, RowProblem> {
        ids.iter()
            .map(|id| {
                let team = self.by_id.get(id).ok_or_else(|| {
                    RowProblem::new(
                        "unknown_team",
                        Some("teams"),
                        "teams: a team this row names was deleted after the import was filed",
                    )
                })?;
                if !team.is_active() {
                    return Err(RowProblem::new(
                        "team_archived",
                        Some("teams"),
                        format!(
                            "teams: the team \"{}\" was archived after the import was filed",
                            team.name
                        ),
                    ));
                }
                for above in team.ancestors.iter().filter_map(|a| self.by_id.get(a)) {
                    may_give_through(caller, above)?;
                }
                may_give_through(caller, team)?;
                Ok(team)
            })
            .collect()
    }
}

/// Joining someone to `team` gives what it grants: a caller who is not an admin must hold it
/// (the rule of the team routes).
fn may_give_through(caller: &TenantCaller, team: &TeamRecord) -> Result<(), RowProblem> {
    if caller.rights.role.is_admin() {
        return Ok(());
    }
    match team
        .permissions
        .iter()
        .find(|p| !caller.rights.permissions.contains(p.as_str()))
    {
        Some(beyond) => Err(RowProblem::new(
            "permission_not_allowed",
            Some("teams"),
            format!(
                "teams: the team \"{}\" grants {beyond}, which you may not give",
                team.name
            ),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(paths: &[TeamPath]) -> Vec<Vec<&str>> {
        paths
            .iter()
            .map(|p| p.0.iter().map(TeamName::as_str).collect())
            .collect()
    }

    #[test]
    fn a_cell_names_paths_with_escapes_and_either_separator() {
        let paths = parse_cell(r"Sales/Europe; R\/D | Ops\;Night ;").expect("parses");
        assert_eq!(
            names(&paths),
            vec![vec!["Sales", "Europe"], vec!["R/D"], vec!["Ops;Night"]]
        );
        assert!(parse_cell("").expect("empty").is_empty());
        assert!(parse_cell(" ; | ").expect("blank").is_empty());
        // The same team twice, in another case, is named once.
        assert_eq!(parse_cell("sales; SALES").expect("parses").len(), 1);
        // What the export writes reads back as the same names.
        let written = crate::usecases::teams::path_text(&["A/B", r"C\D", "E;F|G"]);
        assert_eq!(
            names(&parse_cell(&written).expect("parses")),
            vec![vec!["A/B", r"C\D", "E;F|G"]]
        );
    }

    #[test]
    fn bad_cells_say_why() {
        let code = |cell: &str| parse_cell(cell).expect_err(cell).code;
        assert_eq!(code("A/B/C/D/E/F"), "team_too_deep");
        assert_eq!(code("A//B"), "invalid_value");
        assert_eq!(code("/A"), "invalid_value");
        assert_eq!(code(r"A\"), "invalid_value");
        assert_eq!(code("A/=SUM(1)"), "formula_not_allowed");
        assert_eq!(code("A/\u{202e}B"), "invalid_value");
        assert_eq!(code(&"x".repeat(1000)), "invalid_value");
        let eleven: Vec<String> = (0..11).map(|i| format!("T{i}")).collect();
        assert_eq!(code(&eleven.join(";")), "invalid_value");
        assert!(parse_cell("A/B/C/D/E").is_ok());
    }
}
