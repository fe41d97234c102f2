//! What keeps one bad receiver from holding up the others: a dispatcher works on a few items at
//! once, and an endpoint that hangs would otherwise take every one of those places for 15
//! seconds per delivery, with a thousand deliveries queued for it.
//!
//! Per endpoint, in each dispatcher process:
//! - at most [`IN_FLIGHT`] attempts at once. A delivery that finds them all under way waits
//!   [`WAIT_FOR_TURN`] for one to end (a receiver that answers in milliseconds frees one in
//!   time), else the endpoint is slow and the delivery is held back, and so are the next ones,
//!   at once, until a turn is free again;
//! - once an attempt got no answer at all (no connection, or nothing within 15 seconds), the
//!   endpoint's deliveries are held back for a rest without connecting: [`MIN_REST`] at first,
//!   a tenth of how long it has been failing later, at most [`MAX_REST`].
//!
//! A held-back delivery is not an attempt: it is postponed to the end of the rest (or by
//! [`BUSY_PAUSE`]) and its retry schedule does not move. Nothing else waits behind a dead
//! endpoint, and the longer it is dead, the less often its deliveries are even looked at.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::domain::WebhookId;

/// Attempts at one endpoint under way at once, per dispatcher process.
pub const IN_FLIGHT: usize = 4;

/// How long a delivery waits for its turn at a busy endpoint before it is held back.
pub const WAIT_FOR_TURN: Duration = Duration::from_millis(500);

/// How long an endpoint that gave no answer is left alone, at least and at most.
pub const MIN_REST: chrono::Duration = chrono::Duration::seconds(30);
pub const MAX_REST: chrono::Duration = chrono::Duration::hours(1);

/// How long a delivery held back from a busy endpoint waits.
pub const BUSY_PAUSE: chrono::Duration = chrono::Duration::seconds(30);

/// The rest of an endpoint that gave no answer at `now` and has been failing since `since`.
pub fn rest(since: DateTime<Utc>, now: DateTime<Utc>) -> chrono::Duration {
    ((now - since) / 10).clamp(MIN_REST, MAX_REST)
}

#[derive(Default)]
struct EndpointGate {
    turns: Option<Arc<Semaphore>>,
    resting_until: Option<DateTime<Utc>>,
    /// A delivery waited for a turn in vain: the next ones do not wait while none is free.
    slow: bool,
}

/// The gates of every endpoint this process delivered to; built once per process.
#[derive(Default)]
pub struct WebhookGate {
    endpoints: Mutex<HashMap<WebhookId, EndpointGate>>,
}

/// Why a delivery was held back, and until when.
#[derive(Debug, PartialEq, Eq)]
pub enum HeldBack {
    /// The endpoint gave no answer lately; it rests until then.
    Resting { until: DateTime<Utc> },
    /// Every turn at it is taken by an attempt waiting for its answer.
    Busy { until: DateTime<Utc> },
}

impl HeldBack {
    pub fn until(&self) -> DateTime<Utc> {
        match self {
            HeldBack::Resting { until } | HeldBack::Busy { until } => *until,
        }
    }
}

impl std::fmt::Display for HeldBack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeldBack::Resting { .. } => write!(f, "the endpoint gave no answer lately"),
            HeldBack::Busy { .. } => write!(
                f,
                "{IN_FLIGHT} deliveries to the endpoint are waiting for its answer"
            ),
        }
    }
}

/// A delivery's turn at its endpoint: ended when dropped.
pub struct Turn {
    _permit: OwnedSemaphorePermit,
}

impl WebhookGate {
    /// A turn at `endpoint` at `now`, or why the delivery is held back.
    pub async fn turn(&self, endpoint: WebhookId, now: DateTime<Utc>) -> Result<Turn, HeldBack> {
        let (turns, slow) = {
            let mut endpoints = self.lock();
            let gate = endpoints.entry(endpoint).or_default();
            if let Some(until) = gate.resting_until {
                if now < until {
                    return Err(HeldBack::Resting { until });
                }
                gate.resting_until = None;
            }
            let turns = gate
                .turns
                .get_or_insert_with(|| Arc::new(Semaphore::new(IN_FLIGHT)))
                .clone();
            (turns, gate.slow)
        };
        if let Ok(permit) = turns.clone().try_acquire_owned() {
            self.set_slow(endpoint, false);
            return Ok(Turn { _permit: permit });
        }
        let busy = HeldBack::Busy {
            until: now + BUSY_PAUSE,
        };
        if slow {
            return Err(busy);
        }
        match tokio::time::timeout(WAIT_FOR_TURN, turns.acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Turn { _permit: permit }),
            _ => {
                self.set_slow(endpoint, true);
                Err(busy)
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<WebhookId, EndpointGate>> {
        self.endpoints
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn set_slow(&self, endpoint: WebhookId, slow: bool) {
        self.lock().entry(endpoint).or_default().slow = slow;
    }

    /// `endpoint` gave no answer at `at`: its deliveries are held back for `rest`.
    pub fn no_answer(&self, endpoint: WebhookId, at: DateTime<Utc>, rest: chrono::Duration) {
        self.lock().entry(endpoint).or_default().resting_until = Some(at + rest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint() -> WebhookId {
        WebhookId::from_ulid(ulid::Ulid::new())
    }

    #[tokio::test]
    async fn a_busy_endpoint_holds_back_the_next_delivery_and_frees_a_turn_when_one_ends() {
        let gate = WebhookGate::default();
        let (busy, other) = (endpoint(), endpoint());
        let now = Utc::now();
        let mut turns = Vec::new();
        for _ in 0..IN_FLIGHT {
            turns.push(gate.turn(busy, now).await.expect("a turn"));
        }
        let waited = std::time::Instant::now();
        assert_eq!(
            gate.turn(busy, now).await.err(),
            Some(HeldBack::Busy {
                until: now + BUSY_PAUSE
            })
        );
        assert!(waited.elapsed() >= WAIT_FOR_TURN, "the first one waited");
        let waited = std::time::Instant::now();
        assert_eq!(
            gate.turn(busy, now).await.err(),
            Some(HeldBack::Busy {
                until: now + BUSY_PAUSE
            })
        );
        assert!(waited.elapsed() < WAIT_FOR_TURN, "the next one does not");
        assert!(gate.turn(other, now).await.is_ok(), "other endpoints go on");
        turns.pop();
        let _again = gate.turn(busy, now).await.expect("a turn ended");
        // Free again, and no longer slow: a delivery that finds every turn taken waits again.
        let waited = std::time::Instant::now();
        assert_eq!(
            gate.turn(busy, now).await.err(),
            Some(HeldBack::Busy {
                until: now + BUSY_PAUSE
            })
        );
        assert!(waited.elapsed() >= WAIT_FOR_TURN);
    }

    #[tokio::test]
    async fn an_endpoint_that_gave_no_answer_rests_then_is_tried_again() {
        let gate = WebhookGate::default();
        let dead = endpoint();
        let now = Utc::now();
        gate.no_answer(dead, now, MIN_REST);
        assert_eq!(
            gate.turn(dead, now + chrono::Duration::seconds(29))
                .await
                .err(),
            Some(HeldBack::Resting {
                until: now + MIN_REST
            })
        );
        assert!(gate.turn(endpoint(), now).await.is_ok());
        assert!(gate.turn(dead, now + MIN_REST).await.is_ok(), "rested");
    }

    #[test]
    fn the_longer_an_endpoint_fails_the_longer_it_rests() {
        let now = Utc::now();
        assert_eq!(rest(now, now), MIN_REST);
        assert_eq!(
            rest(now - chrono::Duration::hours(2), now),
            chrono::Duration::minutes(12)
        );
        assert_eq!(rest(now - chrono::Duration::days(3), now), MAX_REST);
    }
}
