//! What an access token costs: signing one (ES256 with ring, the key already unsealed, as every
//! request after a cold start finds it), unsealing and parsing a key (once per key per cold
//! start), making a key (once per rotation), and the token's size. Medians of 2,000 (200 for
//! the rarer steps).
//! Run: `cargo bench -p usher-core --bench access_token` (the bench profile is the release one).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use chrono::Utc;
use usher_core::clock::OsRandom;
use usher_core::mail::OutboxKey;
use usher_core::signing::TokenSigner;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let now = Utc::now();
    let deployment_key = OutboxKey::generate(&OsRandom);
    let signer = TokenSigner::new(&deployment_key);
    let claims = serde_json::json!({
        "iss": "https://accounts.example.com", "sub": "01KBQ4Z3M5V8X9Y0A1B2C3D4E5",
        "aud": "https://accounts.example.com", "exp": 1_900_000_300, "iat": 1_900_000_000,
        "jti": "01KBQ4Z3M5V8X9Y0A1B2C3D4E6", "sid": "01KBQ4Z3M5V8X9Y0A1B2C3D4E7",
        "tid": "01KBQ4Z3M5V8X9Y0A1B2C3D4E8", "role": "member",
        "permissions": ["reports.reply", "reports.export", "users.manage"],
    });
    let make: Vec<Duration> = (0..200)
        .map(|n| {
            let start = Instant::now();
            let key = signer.make_key(format!("make-{n}"), now, now).unwrap();
            let elapsed = start.elapsed();
            assert!(!key.x.is_empty());
            elapsed
        })
        .collect();
    let key = signer
        .make_key("01KBQ4Z3M5V8X9Y0A1B2C3D4E9".into(), now, now)
        .unwrap();
    // A cold start derives the sealing key, then unseals and parses the key on its first token.
    let first: Vec<Duration> = (0..200)
        .map(|_| {
            let start = Instant::now();
            let cold = TokenSigner::new(&deployment_key);
            let token = cold.sign(&key, &claims).unwrap();
            let elapsed = start.elapsed();
            assert!(token.len() > 100);
            elapsed
        })
        .collect();
    let mut token = String::new();
    let sign: Vec<Duration> = (0..2000)
        .map(|_| {
            let start = Instant::now();
            token = signer.sign(&key, &claims).unwrap();
            start.elapsed()
        })
        .collect();
    println!("make a key (per rotation):           {:?}", median(make));
    println!("first token of a cold start (unseal): {:?}", median(first));
    println!("sign a token (key unsealed):          {:?}", median(sign));
    println!("token size: {} bytes ({} permissions)", token.len(), 3);
}
