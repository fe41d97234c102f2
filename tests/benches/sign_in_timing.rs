//! Does sign-in take the same time for an unknown email as for a wrong password? Medians of 200
//! requests each, interleaved, on the real local server (embedded table).
//! Run: `cargo bench -p usher-tests --bench sign_in_timing`.

use std::time::{Duration, Instant};

use usher_tests::spawn_app_with_config;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main]
async fn main() {
    // The throttle would answer 429 after five failures: this bench measures the full path.
    let app =
        spawn_app_with_config(|config| config.sign_in_per_client_and_email.max = u32::MAX).await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for i in 0..200 {
        let start = Instant::now();
        let response = app
            .sign_in(&app.owner_email, "a wrong password entirely")
            .await;
        assert_eq!(response.status(), 401);
        known.push(start.elapsed());
        let start = Instant::now();
        let response = app
            .sign_in(
                &format!("nobody-{i}@example.org"),
                "a wrong password entirely",
            )
            .await;
        assert_eq!(response.status(), 401);
        unknown.push(start.elapsed());
    }
    let (k, u) = (median(known), median(unknown));
    println!("POST /v1/sessions, 401, median of 200 each (local server, embedded table):");
    println!(
        "  known email, wrong password  {:>7.1} ms",
        k.as_secs_f64() * 1e3
    );
    println!(
        "  unknown email                {:>7.1} ms",
        u.as_secs_f64() * 1e3
    );
    println!(
        "  ratio unknown/known          {:>7.3}",
        u.as_secs_f64() / k.as_secs_f64()
    );
}
