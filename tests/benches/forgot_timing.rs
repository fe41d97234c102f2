//! Does asking for a reset link take the same time for an email nobody has as for a real
//! account's? Medians of 200 requests each, interleaved, back to back (the outbox worker doing the
//! real account's job meanwhile), on the real local server (embedded table).
//! Run: `cargo bench -p usher-tests --bench forgot_timing`.

use std::time::{Duration, Instant};

use usher_tests::spawn_app_with_config;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main]
async fn main() {
    // Past three mails an hour the job sends nothing: lift the limit so that every request for
    // the real account files a link and a mail, the most work its job can do.
    let app = spawn_app_with_config(|config| config.reset_mails.max = u32::MAX).await;
    let (_, member, _) = app.member(app.tenant_id, "member", &[]).await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for i in 0..200 {
        let start = Instant::now();
        let response = app.forgot(&member).await;
        assert_eq!(response.status(), 202);
        known.push(start.elapsed());
        let start = Instant::now();
        let response = app.forgot(&format!("nobody-{i}@example.org")).await;
        assert_eq!(response.status(), 202);
        unknown.push(start.elapsed());
    }
    app.dispatch_all_pending().await;
    let links = app.reset_links_to(&member).await.len();
    let (k, u) = (median(known), median(unknown));
    println!("POST /v1/password/forgot, 202, median of 200 each (local server, embedded table):");
    println!(
        "  real account (a link and a mail each) {:>7.2} ms",
        k.as_secs_f64() * 1e3
    );
    println!(
        "  email nobody has                      {:>7.2} ms",
        u.as_secs_f64() * 1e3
    );
    println!(
        "  ratio unknown/known                   {:>7.3}",
        u.as_secs_f64() / k.as_secs_f64()
    );
    println!("  links mailed to the real account: {links}");
}
