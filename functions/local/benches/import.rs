//! A 10,000-row CSV import on the real `usher serve` (this package's binary, embedded table, the
//! local outbox worker doing the import's jobs): the time of the dry run, of the real run (from
//! the POST until `GET .../imports/{id}` says done), of the same file imported again (every row
//! `unchanged`), and the server's peak memory (VmHWM) after the dry runs and after the imports.
//! Run: `cargo bench -p usher-local --bench import` (Linux: reads `/proc`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use serde_json::Value;
use support::{create_tenant, import_done, owner_session, serve, status_kib};

const ROWS: usize = 10_000;

/// A spreadsheet's worth of new people, saved with semicolons as an Italian locale does.
fn file() -> String {
    let mut file =
        String::from("\u{FEFF}email;first_name;last_name;phone;locale;role;auto_tickets\r\n");
    for i in 0..ROWS {
        file.push_str(&format!(
            "persona{i:05}@bench.example;Giulia;\"Rossi; {i}\";'+39 0543 {i:06};it;member;no\r\n"
        ));
    }
    file
}

fn median(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64()
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (tenant, temporary) = create_tenant(&data, "Big", "owner@big.example");
    let server = serve(&data, &[]).await;
    let (base, pid) = (server.base.clone(), server.pid());
    let http = reqwest::Client::new();
    let token = owner_session(&http, &base, "owner@big.example", &temporary).await;
    let file = file();
    println!("file: {ROWS} rows, {:.2} MB", file.len() as f64 / 1e6);
    let import = |query: &'static str| {
        let (http, base, token, tenant, file) = (
            http.clone(),
            base.clone(),
            token.clone(),
            tenant.clone(),
            file.clone(),
        );
        async move {
            http.post(format!("{base}/v1/tenants/{tenant}/users.csv{query}"))
                .bearer_auth(&token)
                .header("content-type", "text/csv")
                .body(file)
                .send()
                .await
                .unwrap()
        }
    };
    let before = status_kib(pid, "VmHWM:");
    let mut dry = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        let response = import("?dry_run=true").await;
        assert_eq!(response.status(), 200);
        let report: Value = response.json().await.unwrap();
        dry.push(start.elapsed());
        assert_eq!(report["counts"]["added"], ROWS, "{}", report["counts"]);
        println!("dry run: {:.2} s", start.elapsed().as_secs_f64());
    }
    let after_dry = status_kib(pid, "VmHWM:");
    // The real run, then the same file again: every row unchanged.
    let mut runs = Vec::new();
    for expected in ["created", "unchanged"] {
        let start = Instant::now();
        let response = import("").await;
        assert_eq!(response.status(), 202);
        let answered = start.elapsed();
        let filed = status_kib(pid, "VmHWM:");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let finished = import_done(&http, &base, &token, &location).await;
        assert_eq!(finished["counts"][expected], ROWS, "{}", finished["counts"]);
        println!(
            "real run ({expected}): answered 202 in {:.2} s (VmHWM then {:.1} MiB), done in {:.2} s (VmHWM then {:.1} MiB); counts {}",
            answered.as_secs_f64(),
            filed as f64 / 1024.0,
            start.elapsed().as_secs_f64(),
            status_kib(pid, "VmHWM:") as f64 / 1024.0,
            finished["counts"]
        );
        runs.push(start.elapsed());
    }
    let peak = status_kib(pid, "VmHWM:");
    println!(
        "POST /v1/tenants/{{id}}/users.csv, {ROWS} rows (release usher serve, embedded table): dry run median {:.2} s; real run done in {:.2} s; the same file again done in {:.2} s (all unchanged); server VmHWM {:.1} MiB after the dry runs, {:.1} MiB after the imports ({:.1} MiB before)",
        median(dry),
        runs[0].as_secs_f64(),
        runs[1].as_secs_f64(),
        after_dry as f64 / 1024.0,
        peak as f64 / 1024.0,
        before as f64 / 1024.0
    );
}
