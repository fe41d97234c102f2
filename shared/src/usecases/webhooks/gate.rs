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
//!   endpoint's deliveries are held back for [`REST`] without connecting.
//!
//! A held-back delivery counts as a failed attempt: it is in the delivery log with why it was not
//! sent, and it comes back on its retry schedule like any failure. So a dead endpoint costs each
//! of its deliveries a table write per step of the schedule, and nothing else waits behind it.

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

/// How long an endpoint that gave no answer is left alone.
pub const REST: chrono::Duration = chrono::Duration::seconds(30);

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

/// Why a delivery was held back: said in the delivery log.
#[derive(Debug, PartialEq, Eq)]
pub enum HeldBack {
    Resting(DateTime<Utc>),
    Busy,
}

impl std::fmt::Display for HeldBack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeldBack::Resting(since) => write!(
                f,
                "not sent: the endpoint gave no answer at {}, and is left alone for {} s",
                since.format("%H:%M:%S"),
                REST.num_seconds()
            ),
            HeldBack::Busy => write!(
                f,
                "not sent: {IN_FLIGHT} deliveries to the endpoint were still waiting for its answer"
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
                    return Err(HeldBack::Resting(until - REST));
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
        if slow {
            return Err(HeldBack::Busy);
        }
        match tokio::time::timeout(WAIT_FOR_TURN, turns.acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Turn { _permit: permit }),
            _ => {
                self.set_slow(endpoint, true);
                Err(HeldBack::Busy)
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

    /// `endpoint` gave no answer at `at`: its deliveries are held back for [`REST`].
    pub fn no_answer(&self, endpoint: WebhookId, at: DateTime<Utc>) {
        self.lock().entry(endpoint).or_default().resting_until = Some(at + REST);
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
        assert_eq!(gate.turn(busy, now).await.err(), Some(HeldBack::Busy));
        assert!(waited.elapsed() >= WAIT_FOR_TURN, "the first one waited");
        let waited = std::time::Instant::now();
        assert_eq!(gate.turn(busy, now).await.err(), Some(HeldBack::Busy));
        assert!(waited.elapsed() < WAIT_FOR_TURN, "the next one does not");
        assert!(gate.turn(other, now).await.is_ok(), "other endpoints go on");
        turns.pop();
        let _again = gate.turn(busy, now).await.expect("a turn ended");
        // Free again, and no longer slow: a delivery that finds every turn taken waits again.
        let waited = std::time::Instant::now();
        assert_eq!(gate.turn(busy, now).await.err(), Some(HeldBack::Busy));
        assert!(waited.elapsed() >= WAIT_FOR_TURN);
    }

    #[tokio::test]
    async fn an_endpoint_that_gave_no_answer_rests_then_is_tried_again() {
        let gate = WebhookGate::default();
        let dead = endpoint();
        let now = Utc::now();
        gate.no_answer(dead, now);
        assert_eq!(
            gate.turn(dead, now + chrono::Duration::seconds(29))
                .await
                .err(),
            Some(HeldBack::Resting(now))
        );
        assert!(gate.turn(endpoint(), now).await.is_ok());
        assert!(gate.turn(dead, now + REST).await.is_ok(), "rested");
    }
}
