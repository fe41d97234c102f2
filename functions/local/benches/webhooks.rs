//! Webhook deliveries on the real `usher serve` (this package's binary, embedded table), to a
//! receiver on loopback in this process that answers 204 at once: how many events one
//! dispatcher (the server's outbox worker) delivers per second, and the server's own CPU per
//! delivery (its user + system time from `/proc`, so the receiver's work is not counted).
//!
//! 2,000 people are imported with no endpoint registered (their events fan out to nobody), then
//! an endpoint for `user.created` is registered and all 2,000 events are replayed to it, three
//! rounds; each round's time runs from the replay request to the 2,000th request received. The
//! CPU counted is that of filing the replay, each delivery's claim, endpoint read, signature,
//! request and log. Medians are printed last.
//! Run: `cargo bench -p usher-local --bench webhooks` (Linux: reads `/proc`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{
    cpu_time, create_tenant, import_done, median, owner_session, serve, ticks_per_second,
};

const EVENTS: usize = 2_000;
const ROUNDS: usize = 3;

/// A receiver that answers 204 and counts what it gets.
async fn receiver(count: Arc<AtomicUsize>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |_: axum::body::Bytes| {
            count.fetch_add(1, Ordering::SeqCst);
            async { axum::http::StatusCode::NO_CONTENT }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (tenant, temporary) = create_tenant(&data, "Bench", "owner@bench.example");
    let server = serve(&data, &[]).await;
    let (base, pid) = (server.base.clone(), server.pid());
    let http = reqwest::Client::new();
    let token = owner_session(&http, &base, "owner@bench.example", &temporary).await;

    let since = chrono::Utc::now().to_rfc3339();
    let mut file = String::from("email,first_name,last_name,role,send_credentials\n");
    for n in 0..EVENTS {
        file.push_str(&format!("p{n}@bench.example,Per,Son,member,no\n"));
    }
    let response = http
        .post(format!("{base}/v1/tenants/{tenant}/users.csv"))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(file)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    import_done(&http, &base, &token, &location).await;
    // Let the worker fan the import's events out (to nobody) before counting.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let received = Arc::new(AtomicUsize::new(0));
    let url = receiver(received.clone()).await;
    let created: Value = http
        .post(format!("{base}/v1/tenants/{tenant}/webhooks"))
        .bearer_auth(&token)
        .json(&json!({"url": url, "event_types": ["user.created"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hook = created["id"].as_str().unwrap().to_owned();

    let tick = ticks_per_second();
    let (mut rates, mut cpus) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let before = received.load(Ordering::SeqCst);
        let cpu_before = cpu_time(pid, tick);
        let start = Instant::now();
        let mut after: Option<String> = None;
        let mut queued = 0;
        loop {
            let mut body = json!({"since": since});
            if let Some(after) = &after {
                body["after"] = json!(after);
            }
            let answer: Value = http
                .post(format!("{base}/v1/tenants/{tenant}/webhooks/{hook}/replay"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            queued += answer["queued"].as_u64().unwrap() as usize;
            match answer["more_after"].as_str() {
                Some(next) => after = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(queued, EVENTS);
        while received.load(Ordering::SeqCst) - before < EVENTS {
            assert!(
                start.elapsed() < Duration::from_secs(300),
                "deliveries stalled"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let wall = start.elapsed();
        // The last attempts' logs are written after their answers.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let cpu = cpu_time(pid, tick) - cpu_before;
        let rate = EVENTS as f64 / wall.as_secs_f64();
        let cpu_ms = cpu.as_secs_f64() * 1e3 / EVENTS as f64;
        println!(
            "round {round}: {EVENTS} deliveries in {:.2} s: {rate:>7.1} events/s, {cpu_ms:.3} ms server CPU per delivery",
            wall.as_secs_f64()
        );
        rates.push(rate);
        cpus.push(cpu_ms);
    }
    println!(
        "median of {ROUNDS} rounds: {:.1} events/s, {:.3} ms server CPU per delivery (one dispatcher, embedded table, loopback receiver)",
        median(rates),
        median(cpus)
    );
}
