//! Counters in fixed windows, written with conditions so that parallel requests cannot overrun
//! them.
//!
//! Password attempts, counted three ways (numbers configurable):
//! - per email and client address: five in 15 minutes, so a guesser is stopped quickly;
//! - per email from anywhere: 100 an hour, high enough that strangers elsewhere cannot lock the
//!   person out, low enough that many addresses together cannot guess at will;
//! - failures per client address, across emails: 20 in 15 minutes, so spraying one password over
//!   many accounts is slowed.
//!
//! The first two are counted before the password is verified: a conditional write reserves the
//! attempt, and only a reserved attempt is verified, so they hold against parallel guessing too;
//! an attempt that cannot be reserved is refused (fail closed). The third is checked before and
//! counted after a failure, so successful sign-ins from a busy office's one address never count.
//! Sign-in and password change share the counts, whether or not an account has the email.

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use super::commit::Writes;
use super::{Context, InternalError};
use crate::app::App;
use crate::keys;
use crate::records::{ThrottleRecord, from_optional, to_item};
use crate::table::{Condition, Key, Op, TableError, TransactError};

#[derive(Debug, thiserror::Error)]
pub(crate) enum AttemptRefused {
    #[error("too many attempts for this email")]
    RateLimited { retry_after_seconds: u64 },
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// `From<AttemptRefused>` for a use case's error that has `RateLimited { retry_after_seconds }`
/// and `Internal` variants: every use case that checks a password refuses the same way.
macro_rules! refused_attempts_become {
    ($error:ident) => {
        impl From<$crate::usecases::throttle::AttemptRefused> for $error {
            fn from(e: $crate::usecases::throttle::AttemptRefused) -> Self {
                match e {
                    $crate::usecases::throttle::AttemptRefused::RateLimited {
                        retry_after_seconds,
                    } => $error::RateLimited {
                        retry_after_seconds,
                    },
                    $crate::usecases::throttle::AttemptRefused::Internal(e) => $error::Internal(e),
                }
            }
        }
    };
}
pub(crate) use refused_attempts_become;

/// How often a reservation that lost a race re-reads the count and tries again before the
/// attempt is refused.
const RESERVATION_TRIES: usize = 8;

pub(crate) use crate::app::Limit;

/// The write that counts one more event under `key`: in `current`'s window while it lasts, else
/// in a new one; guarded by the version read, so two writers cannot both take the last place.
/// `Ok(Err(seconds))` when the window is full, with the seconds until it ends.
pub(crate) fn count_one(
    key: &Key,
    current: Option<&ThrottleRecord>,
    limit: Limit,
    now: DateTime<Utc>,
) -> Result<Result<Op, u64>, TableError> {
    count_many(key, current, limit, 1, now)
}

/// When `events` more events would not fit under `limit` as counted in `current`: the seconds
/// until they would.
pub(crate) fn refused_for(
    current: Option<&ThrottleRecord>,
    limit: Limit,
    events: u32,
    now: DateTime<Utc>,
) -> Option<u64> {
    match current.filter(|t| t.window_started_at + limit.window > now) {
        Some(t) if t.failures.saturating_add(events) > limit.max => Some(
            (t.window_started_at + limit.window - now)
                .num_seconds()
                .max(1) as u64,
        ),
        None if events > limit.max => Some(limit.window.num_seconds().max(1) as u64),
        _ => None,
    }
}

/// As [`count_one`], for `events` events at once (refused when they do not all fit).
pub(crate) fn count_many(
    key: &Key,
    current: Option<&ThrottleRecord>,
    limit: Limit,
    events: u32,
    now: DateTime<Utc>,
) -> Result<Result<Op, u64>, TableError> {
    if let Some(seconds) = refused_for(current, limit, events, now) {
        return Ok(Err(seconds));
    }
    let live = current.filter(|t| t.window_started_at + limit.window > now);
    let (failures, window_started_at) = match live {
        Some(t) => (t.failures + events, t.window_started_at),
        None => (events, now),
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

/// How often [`transact_counting`] reads the counts again after losing a race for them.
const COUNTING_TRIES: usize = 16;

/// What a counted transaction came to.
pub(crate) enum Counted {
    Committed,
    /// A window was full; the seconds until it ends.
    LimitReached(u64),
}

/// Commits `writes` together with one more event counted under each of `counts` (read as
/// `current`, in the same order). Many requests of one tenant count on the same items, so a count
/// that lost a race to a concurrent writer is read again and the transaction retried, without
/// redoing the rest of the request; a window found full meanwhile is [`Counted::LimitReached`].
/// Any other failure is the caller's to read.
pub(crate) async fn transact_counting(
    writes: Writes<'_>,
    counts: &[(Key, Limit)],
    mut current: Vec<Option<ThrottleRecord>>,
) -> Result<Counted, TransactError> {
    let app = writes.app();
    let now = writes.now();
    for _ in 0..COUNTING_TRIES {
        let mut attempt = writes.clone();
        for ((key, limit), read) in counts.iter().zip(&current) {
            match count_one(key, read.as_ref(), *limit, now)? {
                Ok(op) => attempt.op(op),
                Err(seconds) => return Ok(Counted::LimitReached(seconds)),
            };
        }
        match attempt.commit().await {
            Ok(()) => return Ok(Counted::Committed),
            Err(e)
                if matches!(e, TransactError::Conflict)
                    || counts.iter().any(|(key, _)| e.failed_on(key)) =>
            {
                let keys: Vec<Key> = counts.iter().map(|(key, _)| key.clone()).collect();
                current = app
                    .table
                    .batch_get(&keys)
                    .await?
                    .into_iter()
                    .map(from_optional)
                    .collect::<Result<_, _>>()?;
            }
            Err(other) => return Err(other),
        }
    }
    Err(TransactError::Conflict)
}

/// The counters of password attempts for one email from one client address.
pub(crate) struct PasswordAttempts {
    from_client: Key,
    email: Key,
    client: Key,
}

/// What the counters held when the request read them, in the order of [`PasswordAttempts::keys`].
pub(crate) type AttemptCounts = [Option<ThrottleRecord>; 3];

/// The client address's failures as read before the attempt.
pub(crate) struct ClientFailures(Option<ThrottleRecord>);

impl PasswordAttempts {
    pub fn new(normalized_email: &str, client: Option<IpAddr>) -> Self {
        let bucket = keys::client_bucket(client);
        Self {
            from_client: keys::sign_in_throttle_from(normalized_email, &bucket),
            email: keys::sign_in_throttle(normalized_email),
            client: keys::sign_in_client_throttle(&bucket),
        }
    }

    /// The keys to read (with the request's other reads, in one batch).
    pub fn keys(&self) -> [Key; 3] {
        [
            self.from_client.clone(),
            self.email.clone(),
            self.client.clone(),
        ]
    }

    /// Reads the counters from the tail of a batch read of [`PasswordAttempts::keys`].
    pub fn counts_from(
        found: &mut Vec<Option<crate::table::Item>>,
    ) -> Result<AttemptCounts, InternalError> {
        let mut next = || -> Result<Option<ThrottleRecord>, InternalError> {
            from_optional(found.pop().flatten()).context("reading a sign-in limit")
        };
        let client = next()?;
        let email = next()?;
        let from_client = next()?;
        Ok([from_client, email, client])
    }

    /// Reserves one attempt for the email, from this client and overall, or refuses it when
    /// either window is full or this client already failed too often. Returns what
    /// [`PasswordAttempts::count_failure`] needs if the password then turns out wrong.
    pub async fn reserve(
        &self,
        app: &App,
        counts: AttemptCounts,
        now: DateTime<Utc>,
    ) -> Result<ClientFailures, AttemptRefused> {
        let [mut from_client, mut email, client] = counts;
        let client_limit = app.config.sign_in_failures_per_client;
        if let Err(retry_after_seconds) =
            count_one(&self.client, client.as_ref(), client_limit, now)
                .context("building a sign-in limit")?
        {
            return Err(AttemptRefused::RateLimited {
                retry_after_seconds,
            });
        }
        for _ in 0..RESERVATION_TRIES {
            let mut writes = Writes::new(app, now);
            for (key, current, limit) in [
                (
                    &self.from_client,
                    &from_client,
                    app.config.sign_in_per_client_and_email,
                ),
                (&self.email, &email, app.config.sign_in_per_email),
            ] {
                match count_one(key, current.as_ref(), limit, now)
                    .context("building a sign-in limit")?
                {
                    Ok(op) => writes.op(op),
                    Err(retry_after_seconds) => {
                        return Err(AttemptRefused::RateLimited {
                            retry_after_seconds,
                        });
                    }
                };
            }
            match writes.commit().await {
                Ok(()) => return Ok(ClientFailures(client)),
                Err(TransactError::ConditionFailed { .. } | TransactError::Conflict) => {
                    let mut found = app
                        .table
                        .batch_get(&[self.from_client.clone(), self.email.clone()])
                        .await
                        .context("re-reading the sign-in limits")?;
                    email = from_optional(found.pop().flatten()).context("reading a limit")?;
                    from_client =
                        from_optional(found.pop().flatten()).context("reading a limit")?;
                }
                Err(other) => {
                    return Err(other)
                        .context("storing the sign-in limits")
                        .map_err(Into::into);
                }
            }
        }
        // Lost every race: many attempts for this email are under way at once. Refusing is safe.
        Err(AttemptRefused::RateLimited {
            retry_after_seconds: 1,
        })
    }

    /// Counts a failed attempt against the client address. Best effort: a count lost to a race
    /// only lets a sprayer one attempt further.
    pub async fn count_failure(
        &self,
        app: &App,
        ClientFailures(mut current): ClientFailures,
        now: DateTime<Utc>,
    ) -> Result<(), InternalError> {
        let limit = app.config.sign_in_failures_per_client;
        for _ in 0..RESERVATION_TRIES {
            let Ok(op) = count_one(&self.client, current.as_ref(), limit, now)
                .context("building a sign-in limit")?
            else {
                return Ok(());
            };
            let mut writes = Writes::new(app, now);
            writes.op(op);
            match writes.commit().await {
                Ok(()) => return Ok(()),
                Err(TransactError::ConditionFailed { .. } | TransactError::Conflict) => {
                    let item = app
                        .table
                        .get(&self.client)
                        .await
                        .context("re-reading a sign-in limit")?;
                    current = from_optional(item).context("reading a sign-in limit")?;
                }
                Err(other) => return Err(other).context("storing a sign-in limit"),
            }
        }
        Ok(())
    }

    /// The writes that clear the email's counts after a success: the attempts so far were the
    /// person's own. The client address's failures stay: they may be a sprayer's.
    pub fn cleared(&self) -> [Op; 2] {
        [
            Op::delete(self.from_client.clone()),
            Op::delete(self.email.clone()),
        ]
    }
}
