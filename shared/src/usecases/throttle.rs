//! Counters in fixed windows, written with conditions so that parallel requests cannot overrun
//! them.
//!
//! Password attempts per email: five in a window of 15 minutes (configurable), counted before the
//! password is verified. A conditional write reserves one attempt, and only a reserved attempt is
//! verified, so the limit holds against parallel guessing too; an attempt that cannot be reserved
//! is refused (fail closed). Sign-in and password change share the count, whether or not an
//! account has the email.

use chrono::{DateTime, Duration, Utc};

use super::{Context, InternalError};
use crate::app::{App, Config};
use crate::records::{ThrottleRecord, from_optional, to_item};
use crate::table::{Condition, Key, Op, TableError, TransactError};

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

/// At most `max` events in a fixed `window` that starts with the first of them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limit {
    pub max: u32,
    pub window: Duration,
}

impl Limit {
    pub fn sign_in(config: &Config) -> Self {
        Self {
            max: config.sign_in_max_failures,
            window: config.sign_in_failure_window,
        }
    }

    pub fn reset_mails(config: &Config) -> Self {
        Self {
            max: config.reset_mail_limit,
            window: config.reset_mail_window,
        }
    }
}

/// The write that counts one more event under `key`: in `current`'s window while it lasts, else
/// in a new one; guarded by the version read, so two writers cannot both take the last place.
/// `Ok(Err(seconds))` when the window is full, with the seconds until it ends.
pub(crate) fn count_one(
    key: &Key,
    current: Option<&ThrottleRecord>,
    limit: Limit,
    now: DateTime<Utc>,
) -> Result<Result<Op, u64>, TableError> {
    let live = current.filter(|t| t.window_started_at + limit.window > now);
    if let Some(t) = live
        && t.failures >= limit.max
    {
        let seconds = (t.window_started_at + limit.window - now)
            .num_seconds()
            .max(1) as u64;
        return Ok(Err(seconds));
    }
    let (failures, window_started_at) = match live {
        Some(t) => (t.failures + 1, t.window_started_at),
        None => (1, now),
    };
    // A stale window is replaced, conditioned on the version read like a live one.
    let (version, condition) = match current {
        Some(t) => (t.version + 1, Condition::VersionIs(t.version)),
        None => (1, Condition::NotExists),
    };
    let next = ThrottleRecord {
        failures,
        window_started_at,
        version,
    };
    let item = to_item(key, &next, Some(window_started_at + limit.window))?;
    Ok(Ok(Op::put_if(item, condition)))
}

/// Counts one attempt in the email's window, or refuses it when the window is full.
pub(crate) async fn reserve_attempt(
    app: &App,
    key: &Key,
    mut current: Option<ThrottleRecord>,
    now: DateTime<Utc>,
) -> Result<(), AttemptRefused> {
    for _ in 0..RESERVATION_TRIES {
        let op = match count_one(key, current.as_ref(), Limit::sign_in(&app.config), now)
            .context("building the throttle")?
        {
            Ok(op) => op,
            Err(retry_after_seconds) => {
                return Err(AttemptRefused::RateLimited {
                    retry_after_seconds,
                });
            }
        };
        match app.table.transact(vec![op]).await {
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
