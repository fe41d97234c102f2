//! Who calls the SCIM endpoint: a token of the tenant in the path, while SCIM is on there and the
//! tenant is not suspended. The token, the tenant's SCIM settings and the tenant are one batch
//! read, whatever the bearer text is: a missing, malformed, revoked or other tenant's token costs
//! that same read and gets the same answer.

use super::ScimProtocolError;
use super::config::{ScimConfigRecord, ScimTokenRecord};
use crate::app::App;
use crate::domain::{Role, TenantId};
use crate::keys;
use crate::records::{Actor, Rights, TenantRecord};
use crate::token::ScimSecret;
use crate::usecases::team_grants::TeamGrants;
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
        ];
        let mut found = Found::new(app.table.batch_get(&keys).await?);
        let token: Option<ScimTokenRecord> = found.next("reading the SCIM token")?;
        let config: Option<ScimConfigRecord> = found.next("reading the SCIM settings")?;
        let tenant: Option<TenantRecord> = found.next("reading the tenant")?;
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
