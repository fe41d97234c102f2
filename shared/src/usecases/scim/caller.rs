//! Who calls the SCIM endpoint: a token of the tenant in the path, while SCIM is on there and the
//! tenant is not suspended. The token, the tenant's SCIM settings, the tenant and its request
//! count are one batch read, whatever the bearer text is: a missing, malformed, revoked or other
//! tenant's token costs that same read and gets the same answer.
//!
//! A caller let in is counted against the tenant's rate (requests per second, in one-second
//! windows) by a conditional write: past it, `429` with `Retry-After`. The count is the table's,
//! so it holds across every instance of the function; it costs each request one write.

use super::ScimProtocolError;
use super::config::{ScimConfigRecord, ScimTokenRecord};
use crate::app::App;
use crate::domain::{Role, TenantId};
use crate::keys;
use crate::records::{Actor, Rights, TenantRecord, ThrottleRecord, from_optional};
use crate::table::TransactError;
use crate::token::ScimSecret;
use crate::usecases::team_grants::TeamGrants;
use crate::usecases::throttle::{Limit, count_one};
use crate::usecases::{Context, InternalError};
use crate::usecases::{Found, TenantCaller};

/// How stale a token's `last_used_at` may get before a request writes it again.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::minutes(1);

pub struct ScimCaller {
    pub token: ScimTokenRecord,
    pub config: ScimConfigRecord,
    /// The provider as the use cases it shares with admins see it: an admin of the tenant with
    /// no permission of its own, named in the log as its token.
    pub acting: TenantCaller,
}

impl ScimCaller {
    /// Reads and checks the caller; `bearer` is the text after `Bearer `, if any.
    pub async fn load(
        app: &App,
        bearer: Option<&str>,
        tenant_id: TenantId,
    ) -> Result<Self, ScimProtocolError> {
        let hash = ScimSecret::lookup_hash(bearer.unwrap_or_default());
        let keys = [
            keys::scim_token(&hash),
            keys::scim_config(tenant_id),
            keys::tenant(tenant_id),
            keys::scim_rate(tenant_id),
        ];
        let mut found = Found::new(app.table.batch_get(&keys).await?);
        let token: Option<ScimTokenRecord> = found.next("reading the SCIM token")?;
        let config: Option<ScimConfigRecord> = found.next("reading the SCIM settings")?;
        let tenant: Option<TenantRecord> = found.next("reading the tenant")?;
        let count: Option<ThrottleRecord> = found.next("reading the SCIM request count")?;
        let (Some(token), Some(config), Some(tenant)) = (token, config, tenant) else {
            return Err(ScimProtocolError::Unauthorized);
        };
        let listed = config.tokens.iter().any(|t| t.id == token.id);
        if bearer.is_none()
            || token.tenant_id != tenant_id
            || !listed
            || !config.enabled
            || tenant.suspended.is_some()
        {
            return Err(ScimProtocolError::Unauthorized);
        }
        tracing::Span::current().record("tenant_id", tracing::field::display(tenant_id));
        admit(app, tenant_id, count, config.requests_per_second).await?;
        touch(app, &hash, &token).await;
        Ok(Self {
            acting: TenantCaller {
                actor: Actor::Scim(token.id),
                session: None,
                api_key: None,
                api_key_hash: None,
                operator_key: None,
                account: None,
                membership: None,
                rights: Rights {
                    role: Role::Admin,
                    permissions: Default::default(),
                },
                team_grants: TeamGrants::default(),
                tenant,
            },
            token,
            config,
        })
    }

    pub fn tenant(&self) -> &TenantRecord {
        &self.acting.tenant
    }
}

/// How often a request that lost the race for the count reads it again before it is refused.
const ADMISSION_TRIES: usize = 8;

/// Counts one more request of the tenant in the current second, or refuses it when the second's
/// count is full (fail closed: a count that keeps losing races is full too).
async fn admit(
    app: &App,
    tenant: TenantId,
    mut current: Option<ThrottleRecord>,
    per_second: u32,
) -> Result<(), ScimProtocolError> {
    let key = keys::scim_rate(tenant);
    let limit = Limit::new(per_second, chrono::Duration::seconds(1));
    for _ in 0..ADMISSION_TRIES {
        let op = match count_one(&key, current.as_ref(), limit, app.clock.now())? {
            Ok(op) => op,
            Err(retry_after_seconds) => {
                return Err(ScimProtocolError::RateLimited {
                    retry_after_seconds,
                });
            }
        };
        match app.table.transact(vec![op]).await {
            Ok(()) => return Ok(()),
            Err(TransactError::ConditionFailed { .. } | TransactError::Conflict) => {
                current = from_optional(app.table.get(&key).await?)
                    .context("reading the SCIM request count")?;
            }
            Err(other) => {
                return Err(InternalError::new("counting a SCIM request", other.into()).into());
            }
        }
    }
    Err(ScimProtocolError::RateLimited {
        retry_after_seconds: 1,
    })
}

/// Records that the token acted, at most once a minute; a failure costs the request nothing.
async fn touch(app: &App, hash: &str, token: &ScimTokenRecord) {
    let now = app.clock.now();
    if token.last_used_at.is_some_and(|at| now - at < TOUCH_EVERY) {
        return;
    }
    let touched = ScimTokenRecord {
        last_used_at: Some(now),
        ..token.clone()
    };
    crate::usecases::api_keys::put_last_use(app, &keys::scim_token(hash), &touched).await;
}
