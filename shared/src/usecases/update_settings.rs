//! `PATCH /v1/tenants/{tenant_id}/settings`: one batch read, one transaction. Inbound addresses
//! are claimed with marker items in the same transaction, so no two tenants can own one address,
//! and only on the deployment's receiving domains. Removing a permission from the catalogue is
//! refused while members or teams hold it (they are read for that, and only then); the tenant's
//! version, which a grant of a permission checks, keeps a grant from slipping in meanwhile.

use super::audit::{AuditAction, AuditEvent};
use super::commit::{LostRace, Writes};
use super::listing::for_each_item;
use super::{AuthError, Context, InternalError, TenantCaller};
use crate::app::App;
use crate::domain::{Locale, PermissionEntry, TenantId};
use crate::keys;
use crate::records::{InboxRecord, MembershipRecord, TeamRecord, TenantRecord, from_item, to_item};
use crate::settings::{
    AppUrl, InboundSettings, InvitationEmailPolicy, SettingsError, TenantSettings, validate_catalog,
};
use crate::table::{Condition, Op, TransactError};
use crate::token::Credential;

/// Fields left out stay as they are.
#[derive(Default)]
pub struct SettingsPatch {
    pub members_can_invite: Option<bool>,
    pub invitation_ttl_hours: Option<u32>,
    pub invitation_email_policy: Option<InvitationEmailPolicy>,
    pub inbound: Option<InboundSettings>,
    pub announce_new_members: Option<bool>,
    pub permission_catalog: Option<Vec<PermissionEntry>>,
    pub default_locale: Option<Locale>,
    /// `Some(None)` clears it.
    pub app_url: Option<Option<AppUrl>>,
    pub default_teams: Option<Vec<crate::domain::TeamId>>,
}

impl SettingsPatch {
    /// `settings` with the fields this patch names replaced.
    pub fn apply_to(self, mut settings: TenantSettings) -> TenantSettings {
        if let Some(v) = self.members_can_invite {
            settings.members_can_invite = v;
        }
        if let Some(v) = self.invitation_ttl_hours {
            settings.invitation_ttl_hours = v;
        }
        if let Some(v) = self.invitation_email_policy {
            settings.invitation_email_policy = v;
        }
        if let Some(v) = self.inbound {
            settings.inbound = v;
        }
        if let Some(v) = self.announce_new_members {
            settings.announce_new_members = v;
        }
        if let Some(v) = self.default_locale {
            settings.default_locale = v;
        }
        if let Some(v) = self.app_url {
            settings.app_url = v;
        }
        if let Some(v) = self.default_teams {
            settings.default_teams = v;
        }
        settings
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateSettingsError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("only owners and admins change tenant settings")]
    Forbidden,
    #[error(transparent)]
    Invalid(#[from] SettingsError),
    #[error(
        "this deployment receives no mail for {0}: an inbound address must be on one of its receiving domains"
    )]
    DomainNotAllowed(String),
    #[error("one of these inbound addresses is not available")]
    AddressTaken,
    #[error("{field}: {team} is not an active team of this tenant")]
    UnknownTeam { team: String, field: &'static str },
    #[error(
        "the permission {permission} is held by {members} member(s) and {teams} team(s): take it from them first"
    )]
    PermissionInUse {
        permission: String,
        members: usize,
        teams: usize,
    },
    #[error("the settings changed at the same time; read them again and retry")]
    Conflict,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// Marks `removed` as retiring: from this write on, no grant of them can commit. A grant that read
/// the tenant before it fails its check of the tenant's version; one that reads it after finds
/// them retiring and is refused. So the count that follows misses no member.
async fn retire(
    app: &App,
    before: &TenantRecord,
    removed: Vec<String>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<TenantRecord, UpdateSettingsError> {
    let retiring = TenantRecord {
        retiring_permissions: removed,
        updated_at: now,
        version: before.version + 1,
        ..before.clone()
    };
    let op = Op::put_if(
        to_item(&keys::tenant(before.id), &retiring, None).context("building the tenant")?,
        Condition::VersionIs(before.version),
    );
    let mut writes = Writes::new(app, now);
    writes.op(op);
    writes
        .commit()
        .await
        .lost_race(UpdateSettingsError::Conflict, "retiring permissions")?;
    Ok(retiring)
}

/// Takes the retiring mark off again, when the change did not go through. Best effort: should
/// it fail, the permissions stay ungrantable until the next settings change, which clears it.
async fn restore(app: &App, retiring: &TenantRecord, now: chrono::DateTime<chrono::Utc>) {
    let restored = TenantRecord {
        retiring_permissions: Vec::new(),
        updated_at: now,
        version: retiring.version + 1,
        ..retiring.clone()
    };
    let written = match to_item(&keys::tenant(retiring.id), &restored, None) {
        Ok(item) => {
            let mut writes = Writes::new(app, now);
            writes.op(Op::put_if(item, Condition::VersionIs(retiring.version)));
            writes.commit().await.map_err(anyhow::Error::from)
        }
        Err(e) => Err(e.into()),
    };
    if let Err(error) = written {
        tracing::warn!(tenant_id = %retiring.id, error = ?error, "retiring permissions left marked");
    }
}

/// A permission still held, by how many members and teams (archived ones too: they keep it
/// for the record and would grant it again when restored).
struct Held {
    permission: String,
    members: usize,
    teams: usize,
}

/// The first of `permissions` that members or teams hold. Reads the members and the teams a
/// page at a time (the two at once), and only when a permission is being removed.
async fn holders_of(
    app: &App,
    tenant_id: TenantId,
    permissions: &[String],
) -> Result<Option<Held>, InternalError> {
    if permissions.is_empty() {
        return Ok(None);
    }
    let mut members = vec![0usize; permissions.len()];
    let mut teams = vec![0usize; permissions.len()];
    let pk = keys::tenant_pk(tenant_id);
    let (read_members, read_teams) = tokio::join!(
        for_each_item(app, &pk, keys::MEMBER_PREFIX, |item| {
            let member: MembershipRecord = from_item(item).context("reading a member")?;
            for (count, permission) in members.iter_mut().zip(permissions) {
                *count += usize::from(member.permissions.contains(permission));
            }
            Ok(())
        }),
        for_each_item(app, &pk, keys::TEAM_PREFIX, |item| {
            let team: TeamRecord = from_item(item).context("reading a team")?;
            for (count, permission) in teams.iter_mut().zip(permissions) {
                *count += usize::from(team.permissions.contains(permission));
            }
            Ok(())
        }),
    );
    read_members?;
    read_teams?;
    Ok(permissions
        .iter()
        .zip(members.iter().zip(&teams))
        .find(|(_, (m, t))| **m + **t > 0)
        .map(|(permission, (m, t))| Held {
            permission: permission.clone(),
            members: *m,
            teams: *t,
        }))
}

/// The writes that move the tenant's inbound addresses from `before` to `after`: a marker put
/// (only if absent) for each claimed address, a delete (only if still this tenant's) for each
/// released one. Returns them with the addresses claimed.
fn address_writes(
    app: &App,
    before: &TenantRecord,
    after: &TenantRecord,
) -> Result<(Vec<Op>, Vec<String>), UpdateSettingsError> {
    let tenant_id = before.id;
    let mut ops = Vec::new();
    let old: Vec<String> = before
        .settings
        .inbound
        .addresses
        .iter()
        .map(|a| a.normalized())
        .collect();
    let new: Vec<String> = after
        .settings
        .inbound
        .addresses
        .iter()
        .map(|a| a.normalized())
        .collect();
    let mut claimed = Vec::new();
    for address in new.iter().filter(|a| !old.contains(a)) {
        let domain = address.rsplit('@').next().unwrap_or_default();
        if !app.config.receives_mail_for(domain) {
            return Err(UpdateSettingsError::DomainNotAllowed(domain.to_owned()));
        }
        claimed.push(address.clone());
        let record = InboxRecord {
            tenant_id,
            address: address.clone(),
        };
        ops.push(Op::put_if(
            to_item(&keys::inbox(address), &record, None).context("building an inbox")?,
            Condition::NotExists,
        ));
    }
    for address in old.iter().filter(|a| !new.contains(a)) {
        ops.push(Op::delete_if(
            keys::inbox(address),
            Condition::AttributeEquals("tenant_id".into(), tenant_id.to_string().into()),
        ));
    }
    Ok((ops, claimed))
}

/// Newly named teams (default teams, an inbound address's team) must be active teams of the
/// tenant: one batch read, only when the settings name a team they did not. One archived later
/// is skipped when newcomers arrive.
async fn check_teams(
    app: &App,
    before: &TenantRecord,
    after: &crate::settings::TenantSettings,
) -> Result<(), UpdateSettingsError> {
    let known = |team: &crate::domain::TeamId| {
        before.settings.default_teams.contains(team)
            || before
                .settings
                .inbound
                .teams
                .iter()
                .any(|t| t.team_id == *team)
    };
    let mut added: Vec<(crate::domain::TeamId, &'static str)> = after
        .default_teams
        .iter()
        .map(|t| (*t, "default_teams"))
        .chain(
            after
                .inbound
                .teams
                .iter()
                .map(|t| (t.team_id, "inbound.teams")),
        )
        .filter(|(team, _)| !known(team))
        .collect();
    added.sort();
    added.dedup_by_key(|(team, _)| *team);
    if added.is_empty() {
        return Ok(());
    }
    let keys: Vec<_> = added
        .iter()
        .map(|(t, _)| keys::team(before.id, *t))
        .collect();
    let found = app
        .table
        .batch_get(&keys)
        .await
        .context("reading the named teams")?;
    for ((team, field), item) in added.into_iter().zip(found) {
        let active = crate::records::from_optional::<TeamRecord>(item)
            .context("reading a team")?
            .is_some_and(|t| t.is_active());
        if !active {
            return Err(UpdateSettingsError::UnknownTeam {
                team: team.to_string(),
                field,
            });
        }
    }
    Ok(())
}

/// Kept in one piece (addresses are `address_writes`, permissions `retire`): the order of
/// retiring, counting and committing is what keeps a grant from slipping in.
pub async fn update_settings(
    app: &App,
    token: &Credential,
    tenant_id: TenantId,
    mut patch: SettingsPatch,
) -> Result<TenantRecord, UpdateSettingsError> {
    let now = app.clock.now();
    let caller = TenantCaller::load(app, token, tenant_id).await?;
    if !caller.rights.role.is_admin() {
        return Err(UpdateSettingsError::Forbidden);
    }
    let before = caller.tenant;
    let catalog = patch
        .permission_catalog
        .take()
        .unwrap_or_else(|| before.permission_catalog.clone());
    validate_catalog(&catalog)?;
    let settings = patch
        .apply_to(before.settings.clone())
        .validated(&catalog)?;
    check_teams(app, &before, &settings).await?;
    let removed: Vec<String> = before
        .permission_catalog
        .iter()
        .map(|p| p.name.to_string())
        .filter(|name| !catalog.iter().any(|p| p.name.as_str() == name))
        .collect();
    let mut after = TenantRecord {
        settings,
        permission_catalog: catalog,
        retiring_permissions: Vec::new(),
        updated_at: now,
        version: before.version + 1,
        ..before.clone()
    };
    let (ops, claimed) = address_writes(app, &before, &after)?;
    // A permission members hold cannot leave the catalogue: it would stay on them, unnamed.
    let retired = if removed.is_empty() {
        None
    } else {
        let retiring = retire(app, &before, removed, now).await?;
        if let Some(held) = holders_of(app, tenant_id, &retiring.retiring_permissions).await? {
            restore(app, &retiring, now).await;
            return Err(UpdateSettingsError::PermissionInUse {
                permission: held.permission,
                members: held.members,
                teams: held.teams,
            });
        }
        after.version = retiring.version + 1;
        Some(retiring)
    };
    let expected_version = after.version - 1;
    let mut writes = Writes::new(app, now);
    writes
        .op(Op::put_if(
            to_item(&keys::tenant(tenant_id), &after, None).context("building the tenant")?,
            Condition::VersionIs(expected_version),
        ))
        .ops(ops)
        .audit(AuditEvent {
            tenant: tenant_id,
            action: AuditAction::TenantSettingsUpdated,
            actor: caller.actor,
            subject: None,
            details: serde_json::json!({}),
        })?;
    let outcome = writes.commit().await;
    if outcome.is_err()
        && let Some(retiring) = &retired
    {
        restore(app, retiring, now).await;
    }
    match outcome {
        Ok(()) => Ok(after),
        // Which of the addresses is taken is not said: that would tell this tenant which
        // address another tenant owns.
        Err(TransactError::ConditionFailed { key }) => {
            if claimed.iter().any(|address| keys::inbox(address) == key) {
                Err(UpdateSettingsError::AddressTaken)
            } else {
                Err(UpdateSettingsError::Conflict)
            }
        }
        Err(TransactError::Conflict) => Err(UpdateSettingsError::Conflict),
        Err(other) => Err(other)
            .context("storing the settings")
            .map_err(Into::into),
    }
}
