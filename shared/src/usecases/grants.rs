//! Who may give which role and which permission: one rule for creation, invitations, edits and
//! the import.
//!
//! Nobody gives a role above their ceiling (their own role, or `member` for a member who invites
//! where the tenant lets members invite), and only owners give or take `owner`; nobody acts on a
//! member whose role is above their own, and a non-admin on nobody holding a permission they
//! lack; permissions come from the tenant's catalogue, and a non-admin gives only permissions
//! they hold. Whether a caller may act at all (manage users,
//! invite) is each use case's own first check.

use crate::domain::{PermissionSet, Role};
use crate::records::{MembershipRecord, Rights, TenantRecord};

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    #[error("the caller may not act on or give the role {0}")]
    RoleNotAllowed(&'static str),
    #[error("the permission {0} is not in this tenant's catalogue")]
    UnknownPermission(String),
    #[error("the caller may not give the permission {0}, which they do not hold")]
    PermissionNotAllowed(String),
}

/// Checks that `granter` may make a member of `role` (a newcomer, or one whose role is `from`),
/// up to `ceiling`.
pub(crate) fn check_role(
    granter: &Rights,
    ceiling: Role,
    from: Option<Role>,
    role: Role,
) -> Result<(), GrantError> {
    if from == Some(role) {
        return Ok(());
    }
    let touches_an_owner = role == Role::Owner || from == Some(Role::Owner);
    if role > ceiling || (touches_an_owner && granter.role != Role::Owner) {
        return Err(GrantError::RoleNotAllowed(role.as_str()));
    }
    Ok(())
}

/// Checks that `granter` may give `permissions` in `tenant` to a member who holds `held` now
/// (`None` for a newcomer): each is in the catalogue, and a non-admin gives only what they hold.
pub(crate) fn check_permissions(
    granter: &Rights,
    tenant: &TenantRecord,
    held: Option<&PermissionSet>,
    permissions: &PermissionSet,
) -> Result<(), GrantError> {
    for permission in permissions.iter() {
        let name = permission.as_str();
        if !tenant.knows_permission(name) {
            return Err(GrantError::UnknownPermission(permission.to_string()));
        }
        let given = held.is_none_or(|held| !held.contains(name));
        if given && !granter.role.is_admin() && !granter.permissions.contains(name) {
            return Err(GrantError::PermissionNotAllowed(permission.to_string()));
        }
    }
    Ok(())
}

/// Checks a newcomer's role and permissions (created, imported or invited) against `granter`'s
/// ceiling.
pub(crate) fn check_newcomer(
    granter: &Rights,
    tenant: &TenantRecord,
    ceiling: Role,
    role: Role,
    permissions: &PermissionSet,
) -> Result<(), GrantError> {
    check_role(granter, ceiling, None, role)?;
    check_permissions(granter, tenant, None, permissions)
}

/// Checks that `granter` may act on `member` at all (edit, revoke or grant access, archive,
/// restore): nobody acts on a role above their own, and a non-admin only on a member whose
/// permissions they hold too, the ceiling creation and password resets keep.
pub(crate) fn check_acting_on(
    granter: &Rights,
    member: &MembershipRecord,
) -> Result<(), GrantError> {
    if member.role > granter.role {
        return Err(GrantError::RoleNotAllowed(member.role.as_str()));
    }
    if !granter.role.is_admin()
        && let Some(beyond) = member
            .permissions
            .iter()
            .find(|p| !granter.permissions.contains(p.as_str()))
    {
        return Err(GrantError::PermissionNotAllowed(beyond.to_string()));
    }
    Ok(())
}
