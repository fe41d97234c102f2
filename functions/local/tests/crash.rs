//! `usher serve` killed with SIGKILL while clients create users, then started again on the same
//! data dir: every mail that was committed goes out within 15 seconds of the restart, and none
//! goes out twice; every committed change's webhook event arrives, none arrives for a change
//! that did not commit, and an event is sent again only if the kill cut its attempt short.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod support;

use support::{create_tenant, owner_session, serve_command, wait_until_listening};

/// `usher serve` on `data` at `port`, logging JSON lines to `log`.
fn serve(data: &Path, port: u16, log: &Path) -> Child {
    serve_command(data, port)
        .env("USHER_LOG", "info")
        .env("USHER_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap()
}

/// The recipients of the mail written to the data dir so far.
fn recipients(data: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(data.join("mail")) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| std::fs::read(e.path()).ok())
        .filter_map(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .map(|mail| mail["to"].as_str().unwrap().to_owned())
        .collect()
}

/// How often each outbox item was handed to the mailer, from both processes' logs.
fn sends_per_item(logs: &[&Path]) -> HashMap<String, usize> {
    let mut sends = HashMap::new();
    for log in logs {
        for line in std::fs::read_to_string(log).unwrap().lines() {
            let Ok(event) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            if event["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("mail written to the local outbox"))
            {
                let id = event["fields"]["message_id"].as_str().unwrap().to_owned();
                *sends.entry(id).or_insert(0) += 1;
            }
        }
    }
    sends
}

/// A webhook receiver on loopback that answers 200 and counts each event it gets, by id, with
/// the person it is about.
#[derive(Clone, Default)]
struct Receiver {
    events: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>,
}

impl Receiver {
    async fn start(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let events = self.events.clone();
        let app = axum::Router::new().route(
            "/hooks",
            axum::routing::post(move |body: axum::body::Bytes| {
                let events = events.clone();
                async move {
                    let event: Value = serde_json::from_slice(&body).unwrap();
                    events.lock().unwrap().push((
                        event["id"].as_str().unwrap().to_owned(),
                        event["data"]["user_id"].as_str().unwrap().to_owned(),
                    ));
                    axum::http::StatusCode::OK
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    }

    fn events(&self) -> Vec<(String, String)> {
        self.events.lock().unwrap().clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_a_sigkill_under_load_every_committed_mail_and_event_goes_out_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (tenant, temporary) = create_tenant(&data, "Crash", "owner@crash.example");

    let http = reqwest::Client::new();
    let first_log = dir.path().join("first.log");
    let port = support::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(&data, port, &first_log);
    wait_until_listening(&base).await;
    let token = owner_session(&http, &base, "owner@crash.example", &temporary).await;
    let receiver = Receiver::default();
    let hook = receiver.start().await;
    let registered = http
        .post(format!("{base}/v1/tenants/{tenant}/webhooks"))
        .bearer_auth(&token)
        .json(&json!({"url": hook, "event_types": ["user.created"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);

    // 8 clients create users (each mailed a link) until the server dies under them.
    let stop_at = Instant::now() + Duration::from_secs(3);
    let clients = (0..8).map(|client| {
        let (http, base, token, tenant) =
            (http.clone(), base.clone(), token.clone(), tenant.clone());
        tokio::spawn(async move {
            let mut answered = Vec::new();
            for n in 0.. {
                let email = format!("c{client}-{n}@crash.example");
                let response = http
                    .post(format!("{base}/v1/tenants/{tenant}/users"))
                    .bearer_auth(&token)
                    .json(
                        &json!({"email": email, "first_name": "Kim", "last_name": "Crash",
                                  "role": "member", "password": {"mode": "link"}}),
                    )
                    .send()
                    .await;
                match response {
                    Ok(r) if r.status() == 201 => {
                        let Ok(created) = r.json::<Value>().await else {
                            break;
                        };
                        let id = created["user"]["id"].as_str().unwrap().to_owned();
                        answered.push((email, id));
                    }
                    Ok(r) => panic!("unexpected answer {}", r.status()),
                    Err(_) => break,
                }
                if Instant::now() > stop_at + Duration::from_secs(5) {
                    break;
                }
            }
            answered
        })
    });
    let clients: Vec<_> = clients.collect();
    tokio::time::sleep_until(stop_at.into()).await;
    server.kill().unwrap();
    server.wait().unwrap();
    let mut answered = BTreeSet::new();
    let mut answered_ids = BTreeSet::new();
    for client in clients {
        for (email, id) in client.await.unwrap() {
            answered.insert(email);
            answered_ids.insert(id);
        }
    }
    let sent_before = recipients(&data).len();

    let second_log = dir.path().join("second.log");
    let port = support::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let restarted = Instant::now();
    let mut server = serve(&data, port, &second_log);
    wait_until_listening(&base).await;
    let mut all_out = None;
    let mut waiting_at_8s = None;
    while restarted.elapsed() < Duration::from_secs(15) {
        let out: BTreeSet<String> = recipients(&data).into_iter().collect();
        let missing = answered.iter().filter(|e| !out.contains(*e)).count();
        if waiting_at_8s.is_none() && restarted.elapsed() >= Duration::from_secs(8) {
            waiting_at_8s = Some(missing);
        }
        if missing == 0 {
            all_out = Some(restarted.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Every committed change's event arrives; none for a change that did not commit.
    let mut events_out = None;
    while restarted.elapsed() < Duration::from_secs(30) {
        let told: BTreeSet<String> = receiver
            .events()
            .into_iter()
            .map(|(_, user)| user)
            .collect();
        if answered_ids.iter().all(|id| told.contains(id)) {
            events_out = Some(restarted.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The session made before the kill is in the data dir: it still opens the tenant.
    let events = receiver.events();
    let told: BTreeSet<String> = events.iter().map(|(_, user)| user.clone()).collect();
    let lost: Vec<_> = answered_ids
        .iter()
        .filter(|id| !told.contains(*id))
        .collect();
    let mut not_committed = Vec::new();
    for user in told.difference(&answered_ids) {
        // Told but never answered: the kill came between the commit and the answer. It must
        // exist all the same.
        let found = http
            .get(format!("{base}/v1/tenants/{tenant}/users/{user}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        if found.status() != 200 {
            not_committed.push(user.clone());
        }
    }
    let mut per_event: HashMap<&str, usize> = HashMap::new();
    for (id, _) in &events {
        *per_event.entry(id.as_str()).or_default() += 1;
    }
    let repeated = per_event.values().filter(|n| **n > 1).count();
    server.kill().unwrap();
    server.wait().unwrap();
    println!(
        "{} events received; all committed users told {:?} after the restart; {} lost; {} for changes that did not commit; {repeated} sent again (the kill cut their attempts short)",
        events.len(),
        events_out,
        lost.len(),
        not_committed.len(),
    );
    assert!(lost.is_empty(), "{} committed users never told", lost.len());
    assert!(
        not_committed.is_empty(),
        "told of users that do not exist: {not_committed:?}"
    );
    // Only an attempt under way at the kill can be sent again: a dispatcher has 8 at most.
    assert!(repeated <= 8, "{repeated} events sent more than once");

    let recipients = recipients(&data);
    let missing: Vec<_> = answered
        .iter()
        .filter(|e| !recipients.contains(*e))
        .collect();
    println!(
        "{} users answered before the kill; {sent_before} mails were out then; all out {:?} after the restart (still waiting at 8 s: {:?})",
        answered.len(),
        all_out,
        waiting_at_8s.unwrap_or(0),
    );
    assert!(
        answered.len() >= 50,
        "the load was too light to prove anything"
    );
    assert!(
        missing.is_empty(),
        "{} of {} answered users had no mail 15 s after the restart",
        missing.len(),
        answered.len()
    );
    let mut seen = BTreeSet::new();
    let doubled: Vec<_> = recipients.iter().filter(|r| !seen.insert(*r)).collect();
    assert!(doubled.is_empty(), "mailed twice: {doubled:?}");
    let sends = sends_per_item(&[&first_log, &second_log]);
    let resent: Vec<_> = sends.iter().filter(|(_, n)| **n > 1).collect();
    assert!(resent.is_empty(), "outbox items sent twice: {resent:?}");
}
