//! Password attempts per email: five in a window of 15 minutes (configurable), counted before the
//! password is verified. A conditional write reserves one attempt, and only a reserved attempt is
//! verified, so the limit holds against parallel guessing too; an attempt that cannot be reserved
//! is refused (fail closed). Sign-in and password change share the count, whether or not an
//! account has the email.

use chrono::{DateTime, Utc};

use super::{Context, InternalError};
use crate::app::App;
use crate::records::{ThrottleRecord, from_optional, to_item};
use crate::table::{Condition, Key, Op, TransactError};

#[derive(Debug, thiserror::Error)]
pub(crate) enum AttemptRefused {
    #[error("too many attempts for this email")]
    RateLimited { retry_after_seconds: u64 },
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// How often a reservation that lost a race re-reads the count and tries again before the
/// attempt is refused.
const RESERVATION_TRIES: usize = 8;

/// Counts one attempt in the email's window, or refuses it when the window is full.
pub(crate) async fn reserve_attempt(
    app: &App,
    key: &Key,
    mut current: Option<ThrottleRecord>,
    now: DateTime<Utc>,
) -> Result<(), AttemptRefused> {
    let window = app.config.sign_in_failure_window;
    for _ in 0..RESERVATION_TRIES {
        let live = current
            .as_ref()
            .filter(|t| t.window_started_at + window > now);
        if let Some(t) = live
            && t.failures >= app.config.sign_in_max_failures
        {
            let retry_after_seconds =
                (t.window_started_at + window - now).num_seconds().max(1) as u64;
            return Err(AttemptRefused::RateLimited {
                retry_after_seconds,
            });
        }
        let next = match live {
            Some(t) => ThrottleRecord {
                failures: t.failures + 1,
                window_started_at: t.window_started_at,
                version: 0,
            },
            None => ThrottleRecord {
                failures: 1,
                window_started_at: now,
                version: 0,
            },
        };
        // A stale window is replaced, conditioned on the version read like a live one.
        let (version, condition) = match &current {
            Some(t) => (t.version + 1, Condition::VersionIs(t.version)),
            None => (1, Condition::NotExists),
        };
        let next = ThrottleRecord { version, ..next };
        let item = to_item(key, &next, Some(next.window_started_at + window))
            .context("building the throttle")?;
        match app.table.transact(vec![Op::put_if(item, condition)]).await {
            Ok(()) => return Ok(()),
            Err(TransactError::ConditionFailed { .. } | TransactError::Conflict) => {
                let item = app
                    .table
                    .get(key)
                    .await
                    .context("re-reading the throttle")?;
                current = from_optional(item).context("reading the throttle")?;
            }
            Err(other) => {
                return Err(other)
                    .context("storing the throttle")
                    .map_err(Into::into);
            }
        }
    }
    // Lost every race: many attempts for this email are under way at once. Refusing is safe.
    Err(AttemptRefused::RateLimited {
        retry_after_seconds: 1,
    })
}
