//! What the tests and benches of the `usher` binary share: the binary, a tenant made with it, the
//! server on a free port, its owner signed in, and readings of `/proc`. Each uses a part.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

/// The password the owner is given.
pub const PASSWORD: &str = "violet harbour kettle 42 mosaic";

/// A running `usher serve`, stopped when dropped.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `usher` binary on the data dir `data`, quiet, with none of the caller's configuration.
pub fn usher(args: &[&str], data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_usher"));
    command
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env("USHER_LOG", "warn")
        .env_remove("USHER_OUTBOX_KEY")
        .env_remove("USHER_PUBLIC_URL");
    command
}

/// `usher tenant create`: the tenant's id and its owner's temporary password.
pub fn create_tenant(data: &Path, name: &str, owner_email: &str) -> (String, String) {
    let created = usher(
        &[
            "tenant",
            "create",
            "--name",
            name,
            "--owner-email",
            owner_email,
            "--generate-password",
        ],
        data,
    )
    .output()
    .unwrap();
    assert!(created.status.success());
    let created: Value = serde_json::from_slice(&created.stdout).unwrap();
    (
        created["tenant_id"].as_str().unwrap().to_owned(),
        created["generated_password"].as_str().unwrap().to_owned(),
    )
}

/// A loopback port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `usher serve --no-demo` on `data` at `port`, not yet waited for.
pub fn serve_command(data: &Path, port: u16) -> Command {
    usher(
        &["serve", "--no-demo", "--addr", &format!("127.0.0.1:{port}")],
        data,
    )
}

/// Waits until a server answers at `base` (10 seconds at most).
pub async fn wait_until_listening(base: &str) {
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http.get(format!("{base}/")).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("usher serve did not start at {base}");
}

/// `usher serve` on `data` at a free port, with `env` set, once it answers.
pub async fn serve(data: &Path, env: &[(&str, &str)]) -> Server {
    let port = free_port();
    let mut command = serve_command(data, port);
    command.envs(env.iter().copied()).stdout(Stdio::null());
    let server = Server {
        child: command.spawn().unwrap(),
        base: format!("http://127.0.0.1:{port}"),
    };
    wait_until_listening(&server.base).await;
    server
}

/// The JSON of a successful answer.
pub async fn json_of(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

/// Signs the owner in with the temporary password, sets [`PASSWORD`], and returns a session
/// token that may do everything.
pub async fn owner_session(
    http: &reqwest::Client,
    base: &str,
    email: &str,
    temporary: &str,
) -> String {
    let sign_in = |password: &str| {
        http.post(format!("{base}/v1/sessions"))
            .json(&json!({"email": email, "password": password}))
            .send()
    };
    let token = json_of(sign_in(temporary).await.unwrap()).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let changed = http
        .put(format!("{base}/v1/me/password"))
        .bearer_auth(&token)
        .json(&json!({"current_password": temporary, "new_password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 204);
    json_of(sign_in(PASSWORD).await.unwrap()).await["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A field of `/proc/{pid}/status`, in KiB.
pub fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// The server's user + system CPU time so far.
pub fn cpu_time(pid: u32, ticks_per_second: f64) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which may hold spaces) start at field 3.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_secs_f64(ticks as f64 / ticks_per_second)
}

/// The kernel's clock ticks per second, which `/proc/*/stat` counts in.
pub fn ticks_per_second() -> f64 {
    String::from_utf8(
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .parse()
    .unwrap()
}

/// The median of `values`.
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Waits until the import at `location` (the `Location` of its 202) says done; its report.
pub async fn import_done(http: &reqwest::Client, base: &str, token: &str, location: &str) -> Value {
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let status = json_of(
            http.get(format!("{base}{location}"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        if status["status"] == "done" {
            return status;
        }
    }
}
