//! The `usher` binary as an operator and a newcomer use it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn usher() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_usher"));
    command
        .env("USHER_LOG", "warn")
        .env_remove("USHER_DATA_DIR")
        .env_remove("USHER_OUTBOX_KEY");
    command
}

/// `usher tenant create --name NAME --owner-email EMAIL [extra…]`, ready for more flags.
fn tenant_create(name: &str, owner_email: &str, extra: &[&str]) -> Command {
    let mut command = usher();
    command
        .args([
            "tenant",
            "create",
            "--name",
            name,
            "--owner-email",
            owner_email,
        ])
        .args(extra);
    command
}

/// As [`tenant_create`], on the data dir `dir`.
fn tenant_create_in(
    dir: &std::path::Path,
    name: &str,
    owner_email: &str,
    extra: &[&str],
) -> Command {
    let mut command = tenant_create(name, owner_email, extra);
    command.arg("--data-dir").arg(dir);
    command
}

fn json_out(output: std::process::Output) -> Value {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("one JSON object on stdout")
}

#[test]
fn tenant_create_prints_a_set_password_link_under_the_public_url() {
    let dir = tempfile::tempdir().unwrap();
    let output = tenant_create_in(dir.path(), "Comune di Forlì", "sindaco@forli.example", &[])
        .env("USHER_PUBLIC_URL", "https://usher.forli.example")
        .output()
        .unwrap();
    let out = json_out(output);
    assert_eq!(out["tenant_id"].as_str().unwrap().len(), 26);
    assert_eq!(out["owner_account_id"].as_str().unwrap().len(), 26);
    assert!(
        out["set_password_url"]
            .as_str()
            .unwrap()
            .starts_with("https://usher.forli.example/reset/")
    );
    assert!(out.get("generated_password").is_none());

    // The same owner for a second tenant keeps their account.
    let output = tenant_create_in(
        dir.path(),
        "Second",
        "SINDACO@forli.example",
        &["--generate-password"],
    )
    .output()
    .unwrap();
    let second = json_out(output);
    assert_eq!(second["owner_account_id"], out["owner_account_id"]);
    assert_eq!(second["existing_account"], true);
    assert_eq!(
        second["owner_invited"], true,
        "an existing account accepts by mail"
    );
    assert!(
        second.get("generated_password").is_none(),
        "an existing account's password is never set"
    );
}

#[test]
fn tenant_restore_owner_refuses_a_tenant_whose_owner_can_act() {
    let dir = tempfile::tempdir().unwrap();
    let created = json_out(
        tenant_create_in(dir.path(), "Help Desk", "boss@desk.example", &[])
            .output()
            .unwrap(),
    );
    let tenant = created["tenant_id"].as_str().unwrap();
    let restore = |email: &str| {
        usher()
            .args([
                "tenant",
                "restore-owner",
                "--tenant-id",
                tenant,
                "--email",
                email,
            ])
            .arg("--data-dir")
            .arg(dir.path())
            .output()
            .unwrap()
    };
    for (email, says) in [
        ("boss@desk.example", "has an owner who can act"),
        ("stranger@desk.example", "has not joined this tenant"),
    ] {
        let output = restore(email);
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{stderr}");
    }
}

#[test]
fn tenant_create_refuses_bad_input_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let output = tenant_create_in(dir.path(), "X", "not-an-email", &[])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--owner-email"), "{stderr}");
}

#[test]
fn tenant_create_works_against_dynamodb() {
    let endpoint = std::env::var("USHER_TEST_DYNAMODB_ENDPOINT")
        .expect("USHER_TEST_DYNAMODB_ENDPOINT is not set: run the suite with ./scripts/test");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let table_name = format!("usher-cli-{}", ulid::Ulid::new());
    let client = runtime.block_on(async {
        let config = aws_sdk_dynamodb::Config::builder()
            .http_client(usher_core::aws::https_client())
            .behavior_version_latest()
            .endpoint_url(&endpoint)
            .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "test", "test", None, None, "cli-test",
            ))
            .build();
        let client = aws_sdk_dynamodb::Client::from_conf(config);
        usher_core::table::DynamoTable::new(client.clone(), &table_name)
            .create_table()
            .await
            .unwrap();
        client
    });
    let output = tenant_create(
        "Leasing",
        "ops@leasing.example",
        &["--generate-password", "--table", &table_name],
    )
    .env("AWS_ENDPOINT_URL", &endpoint)
    .env("AWS_ACCESS_KEY_ID", "test")
    .env("AWS_SECRET_ACCESS_KEY", "test")
    .env("AWS_REGION", "us-east-1")
    .output()
    .unwrap();
    let out = json_out(output);
    assert_eq!(out["generated_password"].as_str().unwrap().len(), 23);
    let tenant_id = out["tenant_id"].as_str().unwrap();
    let stored = runtime.block_on(async {
        client
            .get_item()
            .table_name(&table_name)
            .key(
                "pk",
                aws_sdk_dynamodb::types::AttributeValue::S(format!("TENANT#{tenant_id}")),
            )
            .key(
                "sk",
                aws_sdk_dynamodb::types::AttributeValue::S("TENANT".into()),
            )
            .send()
            .await
            .unwrap()
    });
    assert!(stored.item.is_some(), "the tenant is in DynamoDB");

    // Operator keys work on the table the same way.
    let operator_key = |args: &[&str]| {
        usher()
            .arg("operator-key")
            .args(args)
            .args(["--table", &table_name])
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .output()
            .unwrap()
    };
    let key = json_out(operator_key(&[
        "create",
        "--name",
        "Back office",
        "--scopes",
        "tenants.read",
    ]));
    assert!(key["secret"].as_str().unwrap().starts_with("usher_op_"));
    let listed = json_out(operator_key(&["list"]));
    assert_eq!(listed["id"], key["id"]);
}

/// Starts `usher serve` on a free port; returns the child, its base URL and what it printed
/// before listening.
fn start_server(
    data_dir: &std::path::Path,
    extra: &[&str],
) -> (std::process::Child, String, String) {
    let mut child = usher()
        .args(["serve", "--addr", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(data_dir)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        printed.push_str(&line);
        if line.contains("password:")
            || (extra.contains(&"--no-demo") && line.contains("Mail sent"))
        {
            break;
        }
    }
    // What the server prints later is read, so no test depends on how it treats a closed pipe
    // (`a_closed_stdout_does_not_stop_the_server` does).
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let base = printed
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .expect("the server prints its address")
        .to_owned();
    (child, base, printed)
}

#[test]
fn serve_creates_a_demo_tenant_whose_owner_can_sign_in_and_holds_its_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, base, printed) = start_server(dir.path(), &[]);
    let field = |name: &str| {
        printed
            .lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .map(|v| v.split_whitespace().next().unwrap().to_owned())
            .unwrap_or_else(|| panic!("no {name} in {printed}"))
    };
    let email = field("email:");
    let password = field("password:");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let status = runtime.block_on(async {
        reqwest::Client::new()
            .post(format!("{base}/v1/sessions"))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status.as_u16(), 201);

    // The data dir is held: an operator command on it fails at once with a clear message.
    let started = Instant::now();
    let output = tenant_create_in(dir.path(), "X", "x@example.org", &[])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("in use by another Usher process"));
    assert!(started.elapsed() < Duration::from_secs(5));
    server.kill().unwrap();
    server.wait().unwrap();

    // A second start on the same data dir makes no second demo tenant.
    let (mut again, _, printed) = start_server(dir.path(), &["--no-demo"]);
    assert!(!printed.contains("demo tenant"));
    again.kill().unwrap();
    again.wait().unwrap();
}

#[cfg(unix)]
fn mode_of(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Hardening, point 15: the data dir, the database and the mail are the owner's alone.
#[cfg(unix)]
#[test]
fn the_data_dir_its_database_and_its_mail_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (mut server, base, _) = start_server(&data, &[]);
    // The demo owner's temporary password changed files a mail; wait for the worker to write it.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(format!("{base}/v1/password/forgot"))
            .json(&serde_json::json!({"email": "owner@demo.usher.localhost"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 202);
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let mail_dir = data.join("mail");
    while Instant::now() < deadline && std::fs::read_dir(&mail_dir).map_or(0, |d| d.count()) < 2 {
        std::thread::sleep(Duration::from_millis(50));
    }
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(mode_of(&data), 0o700);
    assert_eq!(mode_of(&data.join("usher.redb")), 0o600);
    assert_eq!(mode_of(&data.join("outbox.key")), 0o600);
    assert_eq!(mode_of(&mail_dir), 0o700);
    let mails: Vec<_> = std::fs::read_dir(&mail_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(mails.len() >= 2, "the reset mail was written");
    for mail in mails {
        assert_eq!(mode_of(&mail), 0o600, "{}", mail.display());
    }
}

/// Hardening, point 15: `tenant create` prints links where the data dir's server answers.
#[test]
fn tenant_create_links_open_where_the_server_of_the_data_dir_answers() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, base, _) = start_server(dir.path(), &["--no-demo"]);
    server.kill().unwrap();
    server.wait().unwrap();
    let output = tenant_create_in(dir.path(), "Forlì", "sindaco@forli.example", &[])
        .env_remove("USHER_PUBLIC_URL")
        .output()
        .unwrap();
    let out = json_out(output);
    let url = out["set_password_url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{base}/reset/")),
        "{url} is not on {base}"
    );
    // Against DynamoDB there is no local server to ask: a link needs the deployed URL.
    let output = tenant_create("Acme", "it@acme.example", &["--table", "usher-Table-X"])
        .env_remove("USHER_PUBLIC_URL")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("USHER_PUBLIC_URL"));
}

/// Hardening, point 15: binding beyond loopback says loudly what that exposes.
#[test]
fn serving_beyond_loopback_warns_that_the_mail_page_shows_live_links() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = usher()
        .args(["serve", "--no-demo", "--addr", "0.0.0.0:0", "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The first line on stderr, read on the side so that a server saying nothing fails the test
    // instead of hanging it.
    let mut reader = BufReader::new(child.stderr.take().unwrap());
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let _ = sender.send(line);
    });
    let warning = receiver
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_default();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(warning.starts_with("WARNING"), "no warning: {warning:?}");
    assert!(warning.contains("/_local/mail"), "{warning}");
}

#[test]
fn an_operator_key_made_on_the_data_dir_creates_tenants_through_usher_serve() {
    let dir = tempfile::tempdir().unwrap();
    let key = |args: &[&str]| {
        let mut command = usher();
        command
            .arg("operator-key")
            .args(args)
            .arg("--data-dir")
            .arg(dir.path());
        command.output().unwrap()
    };
    let created = json_out(key(&[
        "create",
        "--name",
        "Back office",
        "--scopes",
        "tenants.create,tenants.read",
    ]));
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("usher_op_"));
    assert_eq!(
        created["scopes"],
        serde_json::json!(["tenants.create", "tenants.read"])
    );
    // A scope that does not exist is refused with its name.
    let bad = key(&["create", "--name", "X", "--scopes", "tenants.everything"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("tenants.everything"));

    let (mut server, base, _) = start_server(dir.path(), &["--no-demo"]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let http = reqwest::Client::new();
    let (created_status, listed) = runtime.block_on(async {
        let created = http
            .post(format!("{base}/v1/tenants"))
            .bearer_auth(&secret)
            .json(&serde_json::json!({"name": "Flotta Sud",
                "owner": {"email": "sud@example.org", "first_name": "Sara", "last_name": "Sud"}}))
            .send()
            .await
            .unwrap()
            .status();
        let listed: Value = http
            .get(format!("{base}/v1/tenants"))
            .bearer_auth(&secret)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (created, listed)
    });
    assert_eq!(created_status.as_u16(), 201);
    assert_eq!(listed["items"][0]["name"], "Flotta Sud");
    server.kill().unwrap();
    server.wait().unwrap();

    // Listed without its secret, with its last use; revoked by id.
    let list = key(&["list"]);
    let text = String::from_utf8_lossy(&list.stdout).to_string();
    assert!(
        !text.contains(&secret[9..]),
        "the list never shows a secret"
    );
    let line: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(line["id"], created["id"]);
    assert!(line["last_used_at"].is_string());
    let id = created["id"].as_str().unwrap();
    let revoked = json_out(key(&["revoke", "--id", id]));
    assert_eq!(revoked["revoked"], id);
    let again = key(&["revoke", "--id", id]);
    assert!(!again.status.success());
}

#[test]
fn a_closed_stdout_does_not_stop_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = usher()
        .args(["serve", "--addr", "127.0.0.1:0", "--no-demo"])
        .arg("--data-dir")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .expect("the server prints its address")
        .to_owned();
    // The reader goes away after one line (as `usher serve | head -1` would).
    drop(reader);
    std::thread::sleep(Duration::from_millis(300));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let status = runtime.block_on(async {
        reqwest::get(format!("{base}/v1/openapi.json"))
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status.as_u16(), 200);
    child.kill().unwrap();
    child.wait().unwrap();
}
