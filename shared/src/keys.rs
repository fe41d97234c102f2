//! The key schema of the one table, in one place (DESIGN section 2). Every item's `pk`/`sk` is
//! built here and nowhere else.

use crate::domain::{
    AccountId, EventId, HeldId, ImportId, InvitationId, OutboxId, SessionId, TeamId, TenantId,
    WebhookId,
};
use crate::table::Key;

pub const MEMBER_PREFIX: &str = "MEMBER#";
pub const EVENT_PREFIX: &str = "EVENT#";
pub const HISTORY_PREFIX: &str = "HISTORY#";
pub const INVITE_PREFIX: &str = "INVITE#";
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

/// The copy of an event filed under its subject, for per-user history. Under a prefix of its
/// own, so the tenant's log (`EVENT#`) is one prefix of events and nothing else. (Releases before
/// the event listings filed these copies as `EVENT#{subject}#{event}`; the log reader skips them.)
pub fn subject_event(tenant: TenantId, subject: AccountId, event: EventId) -> Key {
    Key::new(
        tenant_pk(tenant),
        format!("{}{event}", history_prefix(subject)),
    )
}

/// The sort-key prefix of one person's history in a tenant.
pub fn history_prefix(subject: AccountId) -> String {
    format!("{HISTORY_PREFIX}{subject}#")
}

pub fn invitation(tenant: TenantId, invitation: InvitationId) -> Key {
    Key::new(tenant_pk(tenant), format!("{INVITE_PREFIX}{invitation}"))
}

/// The one pending invitation of an email in a tenant: created with the invitation only if
/// absent (or expired), so two admins inviting one address at once cannot both succeed. Removed
/// when the invitation is accepted or revoked; kept (no TTL) while it is pending or expired, so
/// a resend can tell that it is still the email's latest.
pub fn pending_invitation(tenant: TenantId, normalized_email: &str) -> Key {
    Key::new(tenant_pk(tenant), format!("INVITING#{normalized_email}"))
}

/// The marker of a registration waiting for `normalized_email` to be confirmed in a tenant: one
/// at a time per address, so a link holder cannot fill someone's inbox. Gone by TTL once the
/// confirmation link expires.
pub fn pending_confirmation(tenant: TenantId, normalized_email: &str) -> Key {
    Key::new(tenant_pk(tenant), format!("CONFIRMING#{normalized_email}"))
}

pub const TEAM_PREFIX: &str = "TEAM#";

pub const WEBHOOK_PREFIX: &str = "WEBHOOK#";

/// The deployment's webhook endpoints (operator keys'), which receive every tenant's events, and
/// their attempts; a tenant's are in its own partition (see `webhooks::endpoints::Owner`).
pub const DEPLOYMENT_WEBHOOKS_PK: &str = "DEPLOYMENTWEBHOOKS";

/// The attempts to deliver to endpoint `id`, newest last (`attempt` is a ULID).
pub fn webhook_attempts_prefix(id: WebhookId) -> String {
    format!("WEBHOOKATTEMPT#{id}#")
}

/// A team of the tenant.
pub fn team(tenant: TenantId, team: TeamId) -> Key {
    Key::new(tenant_pk(tenant), format!("{TEAM_PREFIX}{team}"))
}

/// The marker that holds a name among the children of `parent` (`None`: the roots), in its
/// folded form: put only if absent, so two siblings never share a name however they race.
pub fn team_name(tenant: TenantId, parent: Option<TeamId>, folded_name: &str) -> Key {
    Key::new(
        tenant_pk(tenant),
        format!("{}{folded_name}", team_names_prefix(parent)),
    )
}

/// The name markers of `parent`'s children (`None`: the roots): its sub-teams, archived ones
/// too, in one query.
pub fn team_names_prefix(parent: Option<TeamId>) -> String {
    let parent = parent.map_or_else(|| "ROOT".to_owned(), |p| p.to_string());
    format!("TEAMNAME#{parent}#")
}

/// A person's place in a team: listed under the team (`TEAMMEMBER#{team}#`).
pub fn team_member(tenant: TenantId, team: TeamId, account: AccountId) -> Key {
    Key::new(
        tenant_pk(tenant),
        format!("{}{account}", team_members_prefix(team)),
    )
}

pub fn team_members_prefix(team: TeamId) -> String {
    format!("TEAMMEMBER#{team}#")
}

/// The same place, listed under the person (`MEMBERTEAM#{account}#`): their direct teams in one
/// query. Written with [`team_member`] in one transaction, always.
pub fn member_team(tenant: TenantId, account: AccountId, team: TeamId) -> Key {
    Key::new(
        tenant_pk(tenant),
        format!("{}{team}", member_teams_prefix(account)),
    )
}

/// Every person's places in the tenant, listed under the people (see [`member_team`]).
pub const MEMBER_TEAMS_PREFIX: &str = "MEMBERTEAM#";

pub fn member_teams_prefix(account: AccountId) -> String {
    format!("MEMBERTEAM#{account}#")
}

/// What a person's teams grant in the tenant, as last worked out (see `TeamGrantsRecord`): read
/// with the caller, so a permission a team grants costs no round trip.
pub fn team_grants(tenant: TenantId, account: AccountId) -> Key {
    Key::new(tenant_pk(tenant), format!("TEAMGRANTS#{account}"))
}

/// The tenant's teams epoch: a new value with every change to the tree that changes what some
/// team grants its people (permissions, a move, an archive, a restore).
pub fn team_epoch(tenant: TenantId) -> Key {
    Key::new(tenant_pk(tenant), "TEAMEPOCH")
}

/// How many teams the tenant has, written against its version with every team made or
/// deleted: the limit holds however many are made at once.
pub fn team_count(tenant: TenantId) -> Key {
    Key::new(tenant_pk(tenant), "TEAMCOUNT")
}

/// A CSV import: what it holds and who filed it.
pub fn import(tenant: TenantId, import: ImportId) -> Key {
    Key::new(tenant_pk(tenant), format!("IMPORT#{import}"))
}

/// One chunk of an import's rows, as checked when it was filed (written once, kept 30 days).
pub fn import_chunk(tenant: TenantId, import: ImportId, chunk: u32) -> Key {
    Key::new(
        tenant_pk(tenant),
        format!("IMPORT#{import}#CHUNK#{chunk:05}"),
    )
}

/// The sort-key prefix of an import's row results.
pub fn import_results_prefix(import: ImportId) -> String {
    format!("IMPORT#{import}#ROW#")
}

/// The result of one row of an import: put only if absent, in the transaction that does the
/// row, so a row is done once however often its chunk is run.
pub fn import_result(tenant: TenantId, import: ImportId, row: u32) -> Key {
    Key::new(
        tenant_pk(tenant),
        format!("{}{row:06}", import_results_prefix(import)),
    )
}

/// Invitations sent from one tenant in the current window.
pub fn tenant_invitation_throttle(tenant: TenantId) -> Key {
    Key::new(format!("THROTTLE#INVITES#{tenant}"), "THROTTLE")
}

/// Invitations one member sent in one tenant in the current window.
/// `inviter` is an account id, or an operator key's (see `TenantCaller::quota_subject`).
pub fn inviter_throttle(tenant: TenantId, inviter: &str) -> Key {
    Key::new(format!("THROTTLE#INVITER#{tenant}#{inviter}"), "THROTTLE")
}

const ACCOUNT_SK: &str = "ACCOUNT";

pub fn account(account: AccountId) -> Key {
    Key::new(account_pk(account), ACCOUNT_SK)
}

/// Whether `sk`, in an account's partition, is the account item itself (the others are its
/// tenants).
pub fn is_account_sk(sk: &str) -> bool {
    sk == ACCOUNT_SK
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

pub const SESSION_ENTRY_PREFIX: &str = "SESSION#";

/// The partition listing one account's sessions: its own, not the account's, so reading the
/// account and its tenants never pages through sessions.
pub fn account_sessions_pk(account: AccountId) -> String {
    format!("SESSIONS#{account}")
}

/// A session's entry in its account's list: names the session item by its hash.
pub fn session_entry(account: AccountId, session: SessionId) -> Key {
    Key::new(
        account_sessions_pk(account),
        format!("{SESSION_ENTRY_PREFIX}{session}"),
    )
}

/// Sign-in attempts for one email from anywhere, whether or not an account has it.
pub fn sign_in_throttle(normalized_email: &str) -> Key {
    Key::new(format!("THROTTLE#SIGNIN#{normalized_email}"), "THROTTLE")
}

/// Sign-in attempts for one email from one client address (see [`client_bucket`]).
pub fn sign_in_throttle_from(normalized_email: &str, client: &str) -> Key {
    Key::new(
        format!("THROTTLE#SIGNIN#{normalized_email}"),
        format!("FROM#{client}"),
    )
}

/// Failed sign-ins from one client address, across emails.
pub fn sign_in_client_throttle(client: &str) -> Key {
    Key::new(format!("THROTTLE#CLIENT#{client}"), "THROTTLE")
}

/// The bucket a client address counts in: an IPv4 address itself, an IPv6 address's /64 (one
/// subscriber's whole network), `unknown` when there is none.
pub fn client_bucket(client: Option<std::net::IpAddr>) -> String {
    match client {
        Some(std::net::IpAddr::V4(v4)) => v4.to_string(),
        Some(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        None => "unknown".to_owned(),
    }
}

/// Sign-up mails sent to one address in the current window, whether or not it has an account.
pub fn signup_mail_throttle(normalized_email: &str) -> Key {
    Key::new(format!("THROTTLE#SIGNUP#{normalized_email}"), "THROTTLE")
}

/// Sign-up mails sent for requests from one client address (see [`client_bucket`]).
pub fn signup_client_throttle(client: &str) -> Key {
    Key::new(format!("THROTTLE#SIGNUP#CLIENT#{client}"), "THROTTLE")
}

/// Organisations one account created by self-service in the current window.
pub fn organisation_throttle(account: AccountId) -> Key {
    Key::new(format!("THROTTLE#ORGS#{account}"), "THROTTLE")
}

/// Self-service reset mails sent to one account in the current window.
pub fn reset_mail_throttle(account: AccountId) -> Key {
    Key::new(format!("THROTTLE#RESET#{account}"), "THROTTLE")
}

/// Credential mails (reset links, reset notices) the admins of one tenant had sent to one account
/// in the current window. Per tenant, so that one tenant using up the count can neither block
/// another tenant's admins nor tell them, by a 429, that someone else is resetting the person.
pub fn admin_mail_throttle(tenant: TenantId, account: AccountId) -> Key {
    Key::new(format!("THROTTLE#ADMINMAIL#{tenant}#{account}"), "THROTTLE")
}

/// Credential mails the admins of one tenant had sent in the current window.
pub fn tenant_mail_throttle(tenant: TenantId) -> Key {
    Key::new(format!("THROTTLE#TENANTMAIL#{tenant}"), "THROTTLE")
}

pub const HELD_PREFIX: &str = "HELD#";

/// A sender held for an admin's decision.
pub fn held(tenant: TenantId, id: HeldId) -> Key {
    Key::new(tenant_pk(tenant), format!("{HELD_PREFIX}{id}"))
}

/// Which held entry a sender has in a tenant (by normalised address): a sender is held once,
/// however many messages they send.
pub fn held_by_sender(tenant: TenantId, address: &str) -> Key {
    Key::new(tenant_pk(tenant), format!("HELDBY#{address}"))
}

/// How many senders a tenant holds: the queue is bounded, so mail from many forged senders
/// cannot fill it without end.
pub fn held_queue(tenant: TenantId) -> Key {
    Key::new(tenant_pk(tenant), "HELDQUEUE")
}

/// The mark of a processed inbound message, by the SHA-256 of SES's message id (whatever its
/// text, the key stays short and plain).
pub fn inbound_marker(message_id: &str) -> Key {
    use sha2::{Digest, Sha256};
    let hash = crate::token::hex(&Sha256::digest(message_id.as_bytes()));
    Key::new(format!("INBOUND#{hash}"), "INBOUND")
}

/// People created or joined from one tenant's inbound mail in the current hour.
pub fn inbound_cap(tenant: TenantId) -> Key {
    Key::new(format!("THROTTLE#INBOUND#{tenant}"), "THROTTLE")
}

/// The operator's list of tenants: one partition, sorted by lower-case name then id, so a name
/// prefix is one query. Written with the tenant (and again when it is suspended or resumed).
pub const TENANT_INDEX_PK: &str = "TENANTS";
pub const TENANT_INDEX_PREFIX: &str = "NAME#";

pub fn tenant_index_entry(name: &str, tenant: TenantId) -> Key {
    Key::new(
        TENANT_INDEX_PK,
        format!("{TENANT_INDEX_PREFIX}{}#{tenant}", name.to_lowercase()),
    )
}

/// An operator key, by the hash of its secret: what a request reads to authenticate one.
pub fn operator_key(hash: &str) -> Key {
    Key::new(format!("OPKEY#{hash}"), "OPKEY")
}

/// The operator's list of its keys.
pub const OPERATOR_KEYS_PK: &str = "OPERATORKEYS";
pub const OPERATOR_KEY_PREFIX: &str = "KEY#";

pub fn operator_key_entry(id: crate::domain::OperatorKeyId) -> Key {
    Key::new(OPERATOR_KEYS_PK, format!("{OPERATOR_KEY_PREFIX}{id}"))
}

/// A tenant's API key, by the hash of its secret.
pub fn api_key(hash: &str) -> Key {
    Key::new(format!("APIKEY#{hash}"), "APIKEY")
}

pub const API_KEY_PREFIX: &str = "APIKEY#";

/// A tenant's API key in the tenant's list of them.
pub fn api_key_entry(tenant: TenantId, id: crate::domain::ApiKeyId) -> Key {
    Key::new(tenant_pk(tenant), format!("{API_KEY_PREFIX}{id}"))
}

/// The keys that sign access tokens (see `signing`): one item, read with the caller.
pub fn signing_keyring() -> Key {
    Key::new("SIGNING", "KEYRING")
}

pub fn inbox(address: &str) -> Key {
    Key::new(format!("INBOX#{address}"), "INBOX")
}

/// Pending mail and jobs are spread over this many partitions, `OUTBOX#00` to `OUTBOX#15`: each
/// mail costs three writes (filed, claimed, deleted) and one DynamoDB partition takes about 1,000
/// writes a second, so one partition for every tenant's mail would cap the whole service. A
/// sweeper walks all of them, a Query each.
pub const OUTBOX_SHARDS: u32 = 16;

const OUTBOX_PK_PREFIX: &str = "OUTBOX#";

/// The one partition every item was filed in before the outbox was spread; still walked, so
/// items filed by an older release are sent too.
const LEGACY_OUTBOX_PK: &str = "OUTBOX";

/// The item of outbox entry `id`, in the partition its random bits choose.
pub fn outbox(id: OutboxId) -> Key {
    let shard = (id.as_ulid().random() % u128::from(OUTBOX_SHARDS)) as u32;
    Key::new(format!("{OUTBOX_PK_PREFIX}{shard:02}"), id.to_string())
}

/// Every partition that may hold outbox items.
pub fn outbox_partitions() -> impl Iterator<Item = String> {
    (0..OUTBOX_SHARDS)
        .map(|shard| format!("{OUTBOX_PK_PREFIX}{shard:02}"))
        .chain(std::iter::once(LEGACY_OUTBOX_PK.to_owned()))
}

/// Whether `pk` is an outbox partition.
pub fn is_outbox_partition(pk: &str) -> bool {
    pk == LEGACY_OUTBOX_PK
        || pk
            .strip_prefix(OUTBOX_PK_PREFIX)
            .is_some_and(|shard| shard.len() == 2 && shard.bytes().all(|b| b.is_ascii_digit()))
}

/// A tenant's SCIM settings and its active tokens (at most two): one item, read with every SCIM
/// request and written against its version.
pub fn scim_config(tenant: TenantId) -> Key {
    Key::new(tenant_pk(tenant), "SCIMCONFIG")
}

/// A SCIM token, found by the SHA-256 of its secret.
pub fn scim_token(hash: &str) -> Key {
    Key::new(format!("SCIMTOKEN#{hash}"), "SCIMTOKEN")
}

/// The member a tenant's identity provider knows by `external_id` (case-exact, RFC 7643 section
/// 3.1): the lookup that makes `externalId eq` a point read and the id unique per tenant.
pub fn scim_external_id(tenant: TenantId, external_id: &str) -> Key {
    Key::new(tenant_pk(tenant), format!("SCIMEXTERNAL#{external_id}"))
}

/// The member a tenant's identity provider knows by a `userName` that is not their sign-in email
/// (compared without regard to case, RFC 7643 section 4.1.1).
pub fn scim_user_name(tenant: TenantId, user_name: &str) -> Key {
    Key::new(
        tenant_pk(tenant),
        format!("SCIMUSERNAME#{}", user_name.to_lowercase()),
    )
}

/// The team a tenant's identity provider knows by `external_id` (a SCIM Group's `externalId`).
pub fn scim_group_external_id(tenant: TenantId, external_id: &str) -> Key {
    Key::new(
        tenant_pk(tenant),
        format!("SCIMGROUPEXTERNAL#{external_id}"),
    )
}

/// A tenant's SCIM requests in the current one-second window (see `usecases::scim::caller`).
pub fn scim_rate(tenant: TenantId) -> Key {
    Key::new(tenant_pk(tenant), "SCIMRATE")
}
