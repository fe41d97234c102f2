//! Invite and accept on the real `usher serve` (this package's binary, embedded table, local
//! mail), 8 concurrent clients: requests per second, and the server's own CPU per request (its
//! user + system time from `/proc`, so the clients' work is not counted; the server's outbox
//! worker writing the mails is, as it is part of what an invitation costs).
//!
//! Each phase runs three rounds of 8 clients x 25 requests; the medians are printed last.
//! Accepting registers a new account, so its cost is mostly the argon2id hash of the password.
//! Run: `cargo bench -p usher-local --bench invitations` (Linux: reads `/proc`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{PASSWORD, cpu_time, create_tenant, median, owner_session, serve, ticks_per_second};

const CLIENTS: usize = 8;
const PER_CLIENT: usize = 25;
const ROUNDS: usize = 3;

/// The invitation links written to the local mail folder, by recipient.
fn invitation_links(data: &Path) -> std::collections::HashMap<String, String> {
    let mut links = std::collections::HashMap::new();
    for entry in std::fs::read_dir(data.join("mail")).unwrap().flatten() {
        if entry.path().extension().is_none_or(|e| e != "json") {
            continue;
        }
        let mail: Value = serde_json::from_slice(&std::fs::read(entry.path()).unwrap()).unwrap();
        if let Some(link) = mail["links"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .find(|l| l.contains("/invite/"))
        {
            links.insert(
                mail["to"].as_str().unwrap().to_owned(),
                link.rsplit('/').next().unwrap().to_owned(),
            );
        }
    }
    links
}

struct Measured {
    per_second: f64,
    cpu_ms: f64,
}

/// Runs `requests` (8 clients, each its share in order) and measures them.
async fn measure(
    pid: u32,
    requests: Vec<Vec<reqwest::RequestBuilder>>,
    expected: reqwest::StatusCode,
) -> Measured {
    let total: usize = requests.iter().map(Vec::len).sum();
    let tick = ticks_per_second();
    let cpu_before = cpu_time(pid, tick);
    let start = Instant::now();
    let clients = requests.into_iter().map(|share| {
        tokio::spawn(async move {
            for request in share {
                let response = request.send().await.unwrap();
                assert_eq!(response.status(), expected, "{:?}", response.text().await);
            }
        })
    });
    for client in futures::future::join_all(clients).await {
        client.unwrap();
    }
    let wall = start.elapsed();
    // Let the worker finish the mails these requests filed, so their cost is counted here.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cpu = cpu_time(pid, tick) - cpu_before;
    Measured {
        per_second: total as f64 / wall.as_secs_f64(),
        cpu_ms: cpu.as_secs_f64() * 1e3 / total as f64,
    }
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (tenant, temporary) = create_tenant(&data, "Bench", "owner@bench.example");
    let server = serve(
        &data,
        &[
            ("USHER_INVITATIONS_PER_TENANT", "1000000"),
            ("USHER_INVITATIONS_PER_INVITER", "1000000"),
        ],
    )
    .await;
    let (base, pid) = (server.base.clone(), server.pid());
    let http = reqwest::Client::new();
    let token = owner_session(&http, &base, "owner@bench.example", &temporary).await;

    let mut invites = Vec::new();
    let mut accepts = Vec::new();
    for round in 0..ROUNDS {
        let email = |client: usize, n: usize| format!("r{round}-c{client}-n{n}@bench.example");
        let requests = (0..CLIENTS)
            .map(|client| {
                (0..PER_CLIENT)
                    .map(|n| {
                        http.post(format!("{base}/v1/tenants/{tenant}/invitations"))
                            .bearer_auth(&token)
                            .json(&json!({"email": email(client, n), "message": "Welcome!"}))
                    })
                    .collect()
            })
            .collect();
        let invited = measure(pid, requests, reqwest::StatusCode::CREATED).await;
        println!(
            "round {round}: POST /v1/tenants/{{id}}/invitations  {:>7.1} req/s  {:>6.2} ms CPU/request",
            invited.per_second, invited.cpu_ms
        );
        invites.push(invited);

        let links = invitation_links(&data);
        let requests =
            (0..CLIENTS)
                .map(|client| {
                    (0..PER_CLIENT)
                        .map(|n| {
                            let token = &links[&email(client, n)];
                            http.post(format!("{base}/v1/invitations/{token}/accept"))
                            .json(&json!({"mode": "new", "first_name": "Bea", "last_name": "Bench",
                                          "password": PASSWORD}))
                        })
                        .collect()
                })
                .collect();
        let accepted = measure(pid, requests, reqwest::StatusCode::OK).await;
        println!(
            "round {round}: POST /v1/invitations/{{token}}/accept {:>7.1} req/s  {:>6.2} ms CPU/request",
            accepted.per_second, accepted.cpu_ms
        );
        accepts.push(accepted);
    }
    println!(
        "median of {ROUNDS} rounds, {CLIENTS} clients x {PER_CLIENT} requests each (local server, embedded table):"
    );
    for (name, rounds) in [("invite", &invites), ("accept (new account)", &accepts)] {
        println!(
            "  {name:<22} {:>7.1} req/s  {:>6.2} ms server CPU/request",
            median(rounds.iter().map(|m| m.per_second).collect()),
            median(rounds.iter().map(|m| m.cpu_ms).collect()),
        );
    }
}
