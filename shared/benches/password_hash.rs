//! argon2id at the parameters Usher uses: hash and verify times, median of 20.
//! Run: `cargo bench -p usher-core --bench password_hash` (the bench profile is the release one).
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use usher_core::clock::OsRandom;
use usher_core::domain::{PasswordAttempt, PasswordPolicy, PersonalContext};
use usher_core::hashing::PasswordHasherService;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main]
async fn main() {
    let hasher = PasswordHasherService::owasp();
    let password = PasswordPolicy::default()
        .check(
            "violet harbour kettle 42 mosaic",
            &PersonalContext::default(),
        )
        .unwrap();
    let attempt = PasswordAttempt::new("violet harbour kettle 42 mosaic");
    let hash = hasher.hash(&password, &OsRandom).await.unwrap();
    let mut hashes = Vec::new();
    let mut verifies = Vec::new();
    let mut dummies = Vec::new();
    for _ in 0..20 {
        let start = Instant::now();
        hasher.hash(&password, &OsRandom).await.unwrap();
        hashes.push(start.elapsed());
        let start = Instant::now();
        assert!(hasher.verify(&attempt, Some(&hash)).await.unwrap());
        verifies.push(start.elapsed());
        let start = Instant::now();
        assert!(!hasher.verify(&attempt, None).await.unwrap());
        dummies.push(start.elapsed());
    }
    let (h, v, d) = (median(hashes), median(verifies), median(dummies));
    println!("argon2id m=19456 KiB t=2 p=1, median of 20:");
    println!("  hash                 {:>8.1} ms", h.as_secs_f64() * 1e3);
    println!("  verify               {:>8.1} ms", v.as_secs_f64() * 1e3);
    println!(
        "  verify (dummy hash)  {:>8.1} ms  ({:.2}x the real verify)",
        d.as_secs_f64() * 1e3,
        d.as_secs_f64() / v.as_secs_f64()
    );
}
