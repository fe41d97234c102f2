//! The key schema of the one table, in one place (DESIGN section 2). Every item's `pk`/`sk` is
//! built here and nowhere else.

use crate::domain::{AccountId, EventId, OutboxId, TenantId};
use crate::table::Key;

pub const MEMBER_PREFIX: &str = "MEMBER#";
pub const EVENT_PREFIX: &str = "EVENT#";
pub const ACCOUNT_TENANT_PREFIX: &str = "TENANT#";

pub fn tenant_pk(tenant: TenantId) -> String {
    format!("TENANT#{tenant}")
}

pub fn account_pk(account: AccountId) -> String {
    format!("ACCOUNT#{account}")
}

pub fn tenant(tenant: TenantId) -> Key {
    Key::new(tenant_pk(tenant), "TENANT")
}

pub fn membership(tenant: TenantId, account: AccountId) -> Key {
    Key::new(tenant_pk(tenant), format!("{MEMBER_PREFIX}{account}"))
}

pub fn event(tenant: TenantId, event: EventId) -> Key {
    Key::new(tenant_pk(tenant), format!("{EVENT_PREFIX}{event}"))
}

/// The copy of an event filed under its subject, for per-user history.
pub fn subject_event(tenant: TenantId, subject: AccountId, event: EventId) -> Key {
    Key::new(
        tenant_pk(tenant),
        format!("{EVENT_PREFIX}{subject}#{event}"),
    )
}

pub fn account(account: AccountId) -> Key {
    Key::new(account_pk(account), "ACCOUNT")
}

pub fn account_tenant(account: AccountId, tenant: TenantId) -> Key {
    Key::new(
        account_pk(account),
        format!("{ACCOUNT_TENANT_PREFIX}{tenant}"),
    )
}

/// The login item: unique per normalised email, holds what sign-in must verify.
pub fn login(normalized_email: &str) -> Key {
    Key::new(format!("EMAIL#{normalized_email}"), "EMAIL")
}

pub fn token(hash: &str) -> Key {
    Key::new(format!("TOKEN#{hash}"), "TOKEN")
}

pub fn session(hash: &str) -> Key {
    Key::new(format!("SESSION#{hash}"), "SESSION")
}

/// Failed sign-in attempts for one email, whether or not an account has it.
pub fn sign_in_throttle(normalized_email: &str) -> Key {
    Key::new(format!("THROTTLE#SIGNIN#{normalized_email}"), "THROTTLE")
}

/// Self-service reset mails sent to one account in the current window.
pub fn reset_mail_throttle(account: AccountId) -> Key {
    Key::new(format!("THROTTLE#RESET#{account}"), "THROTTLE")
}

pub fn inbox(address: &str) -> Key {
    Key::new(format!("INBOX#{address}"), "INBOX")
}

/// All pending mail sits in one partition so the local worker and a sweeper can find it with one
/// Query. Mail volume of an onboarding service is far below one partition's write limit.
pub const OUTBOX_PK: &str = "OUTBOX";

pub fn outbox(id: OutboxId) -> Key {
    Key::new(OUTBOX_PK, id.to_string())
}
