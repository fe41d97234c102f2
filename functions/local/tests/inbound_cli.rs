//! `usher inbound FILE`: a raw message (or an SES event) fed to the inbound use case on a data
//! dir, as SES would feed the Lambda.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};

mod support;

use support::{PASSWORD, usher};

fn outcomes(output: std::process::Output) -> Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice::<Value>(&output.stdout).unwrap()["outcomes"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usher_inbound_feeds_a_raw_message_to_the_tenant_that_owns_the_address() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let created = usher(
        &[
            "tenant",
            "create",
            "--name",
            "Help Desk",
            "--owner-email",
            "owner@desk.example",
            "--generate-password",
        ],
        &data,
    )
    .output()
    .unwrap();
    assert!(created.status.success());
    let created: Value = serde_json::from_slice(&created.stdout).unwrap();
    let tenant = created["tenant_id"].as_str().unwrap().to_owned();
    let temporary = created["generated_password"].as_str().unwrap().to_owned();

    // The tenant switches inbound mail on, through the API of a server on this data dir.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = usher(
        &["serve", "--no-demo", "--addr", &format!("127.0.0.1:{port}")],
        &data,
    )
    .stdout(Stdio::null())
    .spawn()
    .unwrap();
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http.get(format!("{base}/")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let sign_in = |password: String| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let body: Value = http
                .post(format!("{base}/v1/sessions"))
                .json(&json!({"email": "owner@desk.example", "password": password}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body["token"].as_str().unwrap().to_owned()
        }
    };
    let token = sign_in(temporary.clone()).await;
    let changed = http
        .put(format!("{base}/v1/me/password"))
        .bearer_auth(&token)
        .json(&json!({"current_password": temporary, "new_password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 204);
    let token = sign_in(PASSWORD.to_owned()).await;
    let patched = http
        .patch(format!("{base}/v1/tenants/{tenant}/settings"))
        .bearer_auth(&token)
        .json(&json!({"inbound": {"enabled": true, "addresses": ["help@desk.usher.localhost"]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200, "{:?}", patched.text().await);
    server.kill().unwrap();
    server.wait().unwrap();

    let eml = dir.path().join("mail.eml");
    std::fs::write(
        &eml,
        "Return-Path: <jan.kowalski@example.pl>\r\nFrom: jan.kowalski@example.pl\r\nTo: help@desk.usher.localhost\r\nSubject: Hi\r\nMessage-ID: <cli-1@example.pl>\r\n\r\nHello\r\n",
    )
    .unwrap();
    let file = eml.to_str().unwrap();
    let first = outcomes(usher(&["inbound", file], &data).output().unwrap());
    assert_eq!(first[0]["outcome"], "created");
    assert_eq!(first[0]["sender"], "jan.kowalski@example.pl");
    // The same message again: the same outcome, nothing new.
    let again = outcomes(usher(&["inbound", file], &data).output().unwrap());
    assert_eq!(again, first);
    // A message SES would have failed DMARC on.
    std::fs::write(
        &eml,
        std::fs::read_to_string(&eml)
            .unwrap()
            .replace("cli-1", "cli-2"),
    )
    .unwrap();
    let spoofed = outcomes(
        usher(&["inbound", file, "--dmarc", "FAIL"], &data)
            .output()
            .unwrap(),
    );
    assert_eq!(spoofed[0]["outcome"], "ignored");
    assert_eq!(spoofed[0]["reason"], "dmarc_fail");
    // Both are on the outcome page's log.
    let log = std::fs::read_to_string(data.join("inbound.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 3);
    // A file that is neither an event nor a message is refused with a message.
    std::fs::write(&eml, "").unwrap();
    let refused = usher(&["inbound", file], &data).output().unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not a mail message"));
}
