//! Building a new account, its login item and a membership: shared by every way a person gets an
//! account (admin creation, the import, the operator's bootstrap, invitations and inbound mail).

use chrono::{DateTime, Utc};

use super::{Context, InternalError};
use crate::app::App;
use crate::domain::{
    AccountId, EmailAddress, Locale, Password, PermissionSet, Phone, Role, TenantId,
};
use crate::keys;
use crate::records::{
    AccountRecord, AccountTenantRecord, CreatedVia, LoginRecord, MembershipRecord,
    MembershipStatus, from_item, to_item,
};
use crate::table::{Condition, Op, TableError};

pub(crate) struct NewAccount<'a> {
    pub email: &'a EmailAddress,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub phone: Option<Phone>,
    pub locale: Locale,
}

/// A new account and its login item, with no password yet.
pub(crate) fn new_account(
    app: &App,
    new: NewAccount<'_>,
    now: DateTime<Utc>,
) -> (AccountRecord, LoginRecord) {
    let account = AccountRecord {
        id: AccountId::from_ulid(app.random.ulid(now)),
        email: new.email.clone(),
        first_name: new.first_name.to_owned(),
        last_name: new.last_name.to_owned(),
        phone: new.phone,
        locale: new.locale,
        session_epoch: 0,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let login = LoginRecord {
        account_id: account.id,
        email: account.email.clone(),
        password_hash: None,
        password_changed_at: None,
        temporary_until: None,
        confined_to: None,
        version: 1,
    };
    (account, login)
}

/// Who chose a password, which says what it may open.
#[derive(Clone, Copy, Debug)]
pub(crate) enum PasswordSetBy {
    /// The person, who proved the login address is theirs by the link they came through.
    Person,
    /// An admin of this tenant (or the operator creating it), who set, generated or saw it: it
    /// opens only this tenant until the person proves the address (see
    /// [`LoginRecord::confined_to`]). A temporary one must also be changed at the next sign-in
    /// and stops working when unused for the configured time.
    AdminOf { tenant: TenantId, temporary: bool },
    /// The operator creating a tenant, who runs Usher and is trusted in every tenant: a
    /// temporary password, changed at the first sign-in, confined to nothing.
    Operator,
}

/// Stores `password` on the login item, confined as `set_by` says.
pub(crate) async fn set_password(
    app: &App,
    login: &mut LoginRecord,
    password: &Password,
    set_by: PasswordSetBy,
    now: DateTime<Utc>,
) -> Result<(), InternalError> {
    let (temporary, confined_to) = match set_by {
        PasswordSetBy::Person => (false, None),
        PasswordSetBy::AdminOf { tenant, temporary } => (temporary, Some(tenant)),
        PasswordSetBy::Operator => (true, None),
    };
    login.password_hash = Some(
        app.hasher
            .hash(password, app.random.as_ref())
            .await
            .context("hashing a password")?,
    );
    login.password_changed_at = Some(now);
    login.temporary_until = temporary.then(|| now + app.config.temporary_password_ttl);
    login.confined_to = confined_to;
    Ok(())
}

/// The account and login puts, each only if absent: the login item is what makes an email
/// unique, so a concurrent registration of the same email fails on the login item's key.
pub(crate) fn account_ops(
    account: &AccountRecord,
    login: &LoginRecord,
) -> Result<Vec<Op>, TableError> {
    Ok(vec![
        Op::put_if(
            to_item(&keys::account(account.id), account, None)?,
            Condition::NotExists,
        ),
        Op::put_if(
            to_item(&keys::login(&account.email.normalized()), login, None)?,
            Condition::NotExists,
        ),
    ])
}

pub(crate) struct NewMembership {
    pub tenant_id: TenantId,
    pub role: Role,
    pub permissions: PermissionSet,
    pub notification_email: Option<EmailAddress>,
    pub created_via: CreatedVia,
    pub created_by: Option<AccountId>,
}

/// An active membership with access, carrying copies of the account's name, email, phone and
/// locale so listings need no second read.
pub(crate) fn new_membership(
    account: &AccountRecord,
    new: NewMembership,
    now: DateTime<Utc>,
) -> MembershipRecord {
    MembershipRecord {
        tenant_id: new.tenant_id,
        account_id: account.id,
        email: account.email.clone(),
        first_name: account.first_name.clone(),
        last_name: account.last_name.clone(),
        phone: account.phone.clone(),
        locale: account.locale,
        notification_email: new.notification_email,
        role: new.role,
        permissions: new.permissions,
        status: MembershipStatus::Active,
        access: true,
        auto_tickets: true,
        created_via: new.created_via,
        created_by: new.created_by,
        name_source: None,
        needs_consent: false,
        sessions_valid_after: None,
        scim: None,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

/// The two items of a membership (tenant side and account side), each created only if absent:
/// a failed condition on the tenant side's key means "already a member".
pub(crate) fn membership_ops(
    membership: &MembershipRecord,
    tenant_name: &str,
) -> Result<Vec<Op>, TableError> {
    let link = AccountTenantRecord {
        tenant_id: membership.tenant_id,
        tenant_name: tenant_name.to_owned(),
        role: membership.role,
        status: membership.status,
        access: membership.access,
    };
    Ok(vec![
        Op::put_if(
            to_item(
                &keys::membership(membership.tenant_id, membership.account_id),
                membership,
                None,
            )?,
            Condition::NotExists,
        ),
        Op::put_if(
            to_item(
                &keys::account_tenant(membership.account_id, membership.tenant_id),
                &link,
                None,
            )?,
            Condition::NotExists,
        ),
    ])
}

/// An account with its side of every membership, read with one query of its partition.
pub(crate) async fn read_account_with_tenants(
    app: &App,
    account: AccountId,
) -> Result<Option<(AccountRecord, Vec<AccountTenantRecord>)>, InternalError> {
    let page = app
        .table
        .query(&keys::account_pk(account), "", None, 1000)
        .await
        .context("reading the account")?;
    let mut found = None;
    let mut tenants = Vec::new();
    for item in page.items {
        if item
            .get("sk")
            .and_then(|v| v.as_str())
            .is_some_and(keys::is_account_sk)
        {
            found = Some(from_item::<AccountRecord>(item).context("reading the account")?);
        } else {
            tenants.push(from_item::<AccountTenantRecord>(item).context("reading a membership")?);
        }
    }
    Ok(found.map(|account| (account, tenants)))
}
