//! Time and randomness, injected so tests control expiry and tokens.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use rand::{RngCore, SeedableRng, rngs::StdRng};
use ulid::Ulid;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to.
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Mutex::new(start))
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A source of secret random bytes.
pub trait Random: Send + Sync {
    fn fill(&self, buf: &mut [u8]);

    /// A uniform number in `0..bound` (rejection sampling, no modulo bias).
    fn below(&self, bound: u32) -> u32 {
        let zone = u32::MAX - (u32::MAX % bound.max(1));
        loop {
            let mut bytes = [0u8; 4];
            self.fill(&mut bytes);
            let n = u32::from_le_bytes(bytes);
            if n < zone {
                return n % bound.max(1);
            }
        }
    }

    fn ulid(&self, now: DateTime<Utc>) -> Ulid {
        let mut bytes = [0u8; 16];
        self.fill(&mut bytes);
        Ulid::from_parts(
            now.timestamp_millis().max(0) as u64,
            u128::from_le_bytes(bytes),
        )
    }
}

/// The thread-local CSPRNG, seeded and periodically reseeded from the OS.
pub struct OsRandom;

impl Random for OsRandom {
    fn fill(&self, buf: &mut [u8]) {
        rand::rng().fill_bytes(buf);
    }
}

/// Deterministic bytes for tests.
pub struct SeededRandom(Mutex<StdRng>);

impl SeededRandom {
    pub fn new(seed: u64) -> Self {
        Self(Mutex::new(StdRng::seed_from_u64(seed)))
    }
}

impl Random for SeededRandom {
    fn fill(&self, buf: &mut [u8]) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .fill_bytes(buf);
    }
}
