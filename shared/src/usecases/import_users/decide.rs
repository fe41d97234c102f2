//! What each row does, given what the table holds for its email: the reads (a few batches at a
//! time) and the decision, under the same rules as creation and `PATCH`.

use super::*;

/// What the table holds for one row's email.
#[derive(Default)]
pub(super) struct RowState {
    pub login: Option<LoginRecord>,
    pub member: Option<MembershipRecord>,
    pub pending: Option<PendingInvitationRecord>,
    /// Of the teams the row names, those the member is in already.
    pub places: Vec<TeamId>,
}

/// Batches read at once.
pub(super) const PARALLEL: usize = 4;

/// Reads the login item, the pending invitation and the membership of each email, a few
/// batches at a time.
pub(super) async fn read_states(
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

pub(super) async fn read_logins(
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
            places: Vec::new(),
        });
    }
    Ok(states)
}

pub(super) async fn read_members(
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

/// For each row whose email is a member's and that names teams, the member's places in those
/// teams (one batch of keys, 100 to a read).
pub(super) async fn read_places(
    app: &App,
    tenant: TenantId,
    rows: &[&ImportRow],
    states: &mut [RowState],
) -> Result<(), InternalError> {
    let mut wanted: Vec<(usize, TeamId)> = Vec::new();
    let mut keys: Vec<Key> = Vec::new();
    for (i, (row, state)) in rows.iter().zip(states.iter()).enumerate() {
        let Some(member) = &state.member else {
            continue;
        };
        for team in &row.team_ids {
            wanted.push((i, *team));
            keys.push(keys::member_team(tenant, member.account_id, *team));
        }
    }
    if keys.is_empty() {
        return Ok(());
    }
    let found = crate::table::batch_get_all(app.table.as_ref(), &keys)
        .await
        .context("reading the members' teams")?;
    for ((i, team), item) in wanted.into_iter().zip(found) {
        if let (Some(_), Some(state)) = (item, states.get_mut(i)) {
            state.places.push(team);
        }
    }
    Ok(())
}

/// What to do with a valid row, given what the table holds.
pub(super) enum Decision {
    Create(Box<NewUser>),
    Invite(Invite),
    /// The member's new fields, and the teams they join.
    Update(Box<MembershipRecord>, UserPatch, Vec<TeamId>),
    Unchanged {
        /// The member, when there is one.
        member: Option<AccountId>,
        /// Why, when it is not plain.
        why: Option<&'static str>,
    },
    Refused(RowProblem),
}

/// The grant rule's refusal of a row, in the row's own words (a permission is named by its
/// column).
pub(super) fn refused_grant(error: GrantError) -> RowProblem {
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

pub(super) fn grant_problem(error: CreateUserError) -> RowProblem {
    match error {
        CreateUserError::Grant(e) => refused_grant(e),
        _ => RowProblem::new("forbidden", None, "you may not create users here"),
    }
}

pub(super) fn update_problem(error: LifecycleError) -> Option<RowProblem> {
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
pub(super) fn changes(member: &MembershipRecord, patch: &UserPatch) -> bool {
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
pub(super) fn conflict() -> RowProblem {
    RowProblem::new("conflict", None, "the member changed at the same time")
}

/// Kept in one piece: the rules of a row, in the order they apply, so the first that refuses is
/// the one reported.
pub(super) fn decide(
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
        let joins: Vec<TeamId> = row
            .team_ids
            .iter()
            .filter(|team| !state.places.contains(team))
            .copied()
            .collect();
        // A row that changes nothing is unchanged whoever the member is: an exported file,
        // archived members and owners included, imports back as it is.
        if !changes(member, &patch) && joins.is_empty() {
            let why = (member.status == MembershipStatus::Archived).then_some("an archived member");
            return Decision::Unchanged {
                member: Some(member.account_id),
                why,
            };
        }
        if member.status == MembershipStatus::Archived {
            return Decision::Refused(RowProblem::new(
                "member_archived",
                Some("email"),
                "email: this person is an archived member; restore them first",
            ));
        }
        if member.role > caller.rights.role {
            return Decision::Refused(RowProblem::new(
                "role_not_allowed",
                Some("role"),
                format!(
                    "role: you may not change a member who is {}",
                    member.role.as_str()
                ),
            ));
        }
        if let Err(e) = crate::usecases::grants::check_acting_on(&caller.rights, member) {
            return Decision::Refused(refused_grant(e));
        }
        return Decision::Update(Box::new(member.clone()), patch, joins);
    }
    // From here on nothing may depend on whether the email has an account elsewhere before the
    // row is done: a check would otherwise tell the importer who has one (see `predict`).
    let role = row.role.unwrap_or(Role::Member);
    if let Err(e) = authorize_grant(caller, role, &row.granted) {
        return Decision::Refused(grant_problem(e));
    }
    if state.pending.as_ref().is_some_and(|p| p.expires_at > now) {
        return Decision::Unchanged {
            member: None,
            why: Some("an invitation for this email is pending"),
        };
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
            team_ids: row.team_ids.clone(),
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
