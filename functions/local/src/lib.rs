//! The local server: every function's routes on one listener, the embedded table in a data dir,
//! mail written to files and sent by an in-process outbox worker.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use askama::Template;
use aws_lambda_events::event::ses::SimpleEmailEvent;
use axum::Router;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use usher_core::app::{App, Config};
use usher_core::clock::OsRandom;
use usher_core::http::{ApiPath, ApiQuery, Problem, finish_router, mount};
use usher_core::mail::{FileMailer, OutboxDispatcher, OutboxKey, Sender, StoredMail};
use usher_core::table::{EmbeddedTable, Table};
use usher_core::usecases::inbound::{self, InboundMessage, Outcome, Verdict, Verdicts};
use usher_core::usecases::jobs::Job;

mod openapi;

use openapi::FUNCTIONS;
pub use openapi::{api_doc, api_doc_json};

/// Every function's routes, as API Gateway would route them to the Lambdas.
pub fn api_routes(app: &App) -> Router {
    FUNCTIONS
        .into_iter()
        .fold(Router::new(), |routes, api| routes.merge(mount(api(), app)))
}

/// The files of a data dir.
pub struct DataDir {
    pub root: PathBuf,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn table_path(&self) -> PathBuf {
        self.root.join("usher.redb")
    }

    pub fn mail_dir(&self) -> PathBuf {
        self.root.join("mail")
    }

    /// Opens the table; `true` when it was created just now. The data dir and the database are
    /// the owner's alone (0700, 0600): they hold password hashes and, in the mail, live links.
    pub fn open_table(&self) -> anyhow::Result<(EmbeddedTable, bool)> {
        make_private_dir(&self.root)
            .with_context(|| format!("creating {}", self.root.display()))?;
        let path = self.table_path();
        let fresh = !path.exists();
        make_private_file(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok((EmbeddedTable::open(&path)?, fresh))
    }

    fn public_url_path(&self) -> PathBuf {
        self.root.join("public_url")
    }

    /// Records the URL a server on this data dir answers at, so `usher tenant create` on the
    /// same dir prints links that work.
    pub fn remember_public_url(&self, url: &str) -> anyhow::Result<()> {
        std::fs::write(self.public_url_path(), url)
            .with_context(|| format!("writing {}", self.public_url_path().display()))
    }

    /// The URL the last server on this data dir answered at, if one ran.
    pub fn remembered_public_url(&self) -> Option<String> {
        std::fs::read_to_string(self.public_url_path())
            .ok()
            .map(|url| url.trim().to_owned())
            .filter(|url| !url.is_empty())
    }

    /// The outbox key: `USHER_OUTBOX_KEY`, else the one kept in the data dir (made on first use,
    /// readable by the owner only).
    pub fn outbox_key(&self) -> anyhow::Result<OutboxKey> {
        if let Ok(key) = std::env::var("USHER_OUTBOX_KEY") {
            return OutboxKey::from_base64(&key).map_err(anyhow::Error::msg);
        }
        let path = self.root.join("outbox.key");
        if let Ok(text) = std::fs::read_to_string(&path) {
            return OutboxKey::from_base64(&text).map_err(anyhow::Error::msg);
        }
        let key = OutboxKey::generate(&OsRandom);
        write_private(&path, &key.to_base64())
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(key)
    }
}

/// Creates `dir` (and its parents) readable by the owner only; tightens an existing one.
#[cfg(unix)]
fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Creates `path` empty if it is missing, readable by the owner only; tightens an existing one.
#[cfg(unix)]
fn make_private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    if !path.exists() {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)?;
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn make_private_file(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?
        .write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// The local state on a table: commits that file mail wake the in-process outbox worker, mail
/// from the local sender's address is Usher's own (a loop, for inbound mail), and webhooks go to
/// receivers on this machine only.
pub fn local_app(table: Arc<dyn Table>, outbox_key: &OutboxKey, mut config: Config) -> App {
    config.webhook_receivers = usher_core::usecases::webhooks::WebhookReceivers::LoopbackOnly;
    if config.mail_from.is_none() {
        config.mail_from = local_sender().ok().map(|s| s.address().clone());
    }
    App::builder(table, outbox_key, config)
        .mail_waker(Arc::new(Notify::new()))
        .build()
}

#[derive(Clone)]
struct LocalState {
    app: App,
    mailer: Arc<FileMailer>,
}

/// Where the local server and `usher inbound` keep what inbound mail came to: beside the mail
/// folder, one JSON line per outcome.
pub fn inbound_log(mailer: &FileMailer) -> PathBuf {
    mailer.dir().with_file_name("inbound.jsonl")
}

/// Feeds `input` (an SES receipt event as JSON, or a raw message, which gets `verdicts`) to the
/// inbound use case, and appends what it came to to `log`.
pub async fn receive_inbound(
    app: &App,
    input: &[u8],
    verdicts: Verdicts,
    log: &Path,
) -> anyhow::Result<Vec<Outcome>> {
    let looks_like_json = input
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{');
    let event: SimpleEmailEvent = if looks_like_json {
        serde_json::from_slice(input).context("reading the SES event")?
    } else {
        inbound::ses_event_from_eml(input, verdicts)?
    };
    let mut outcomes = Vec::new();
    for record in &event.records {
        let message = InboundMessage::from_ses(record);
        let came_to = inbound::receive(app, &message).await?;
        let now = chrono::Utc::now();
        let mut lines = String::new();
        for outcome in &came_to {
            let mut line = serde_json::to_value(outcome)?;
            line["received_at"] = now.to_rfc3339().into();
            line["message_id"] = message.message_id.clone().into();
            lines.push_str(&line.to_string());
            lines.push('\n');
        }
        append_private(log, &lines)?;
        outcomes.extend(came_to);
    }
    Ok(outcomes)
}

fn append_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

#[derive(Template)]
#[template(path = "inbound_list.html")]
struct InboundList {
    rows: Vec<InboundRow>,
}

struct InboundRow {
    received_at: String,
    address: String,
    sender: String,
    outcome: String,
    reason: String,
    user: String,
}

async fn inbound_list(State(state): State<LocalState>) -> Response {
    let text = std::fs::read_to_string(inbound_log(&state.mailer)).unwrap_or_default();
    let field = |v: &serde_json::Value, name: &str| v[name].as_str().unwrap_or("").to_owned();
    let rows = text
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| InboundRow {
            received_at: field(&v, "received_at"),
            address: field(&v, "address"),
            sender: field(&v, "sender"),
            outcome: field(&v, "outcome"),
            reason: field(&v, "reason"),
            user: field(&v, "user_id"),
        })
        .collect();
    page(InboundList { rows }.render())
}

/// The verdicts `POST /_local/inbound` gives a raw message: PASS unless the query says otherwise
/// (`?dmarc=FAIL&spam=GRAY`).
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct VerdictQuery {
    spam: Option<String>,
    virus: Option<String>,
    spf: Option<String>,
    dkim: Option<String>,
    dmarc: Option<String>,
}

impl VerdictQuery {
    fn verdicts(&self) -> Verdicts {
        let pick = |v: &Option<String>| {
            v.as_deref()
                .map_or(Verdict::Pass, |s| Verdict::parse(Some(s)))
        };
        Verdicts {
            spam: pick(&self.spam),
            virus: pick(&self.virus),
            spf: pick(&self.spf),
            dkim: pick(&self.dkim),
            dmarc: pick(&self.dmarc),
        }
    }
}

/// A whole message, attachments and all, may be posted: the headers are what is read.
const MAX_INBOUND_BYTES: usize = 25 * 1024 * 1024;

async fn inbound_post(
    State(state): State<LocalState>,
    ApiQuery(query): ApiQuery<VerdictQuery>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let Ok(body) = body else {
        return Problem::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "The message is larger than 25 MiB.",
        )
        .into_response();
    };
    match receive_inbound(
        &state.app,
        &body,
        query.verdicts(),
        &inbound_log(&state.mailer),
    )
    .await
    {
        Ok(outcomes) => axum::Json(serde_json::json!({"outcomes": outcomes})).into_response(),
        Err(error) => Problem::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            format!("{error:#}"),
        )
        .into_response(),
    }
}

#[derive(Template)]
#[template(path = "mail_list.html")]
struct MailList {
    dir: String,
    mails: Vec<MailRow>,
}

struct MailRow {
    id: String,
    sent_at: String,
    to: String,
    subject: String,
    links: Vec<String>,
}

#[derive(Template)]
#[template(path = "mail_one.html")]
struct MailOne {
    subject: String,
    to: String,
    sent_at: String,
    links: Vec<String>,
    html: String,
    text: String,
}

fn page(html: Result<String, askama::Error>) -> Response {
    match html {
        Ok(body) => protected(Html(body).into_response()),
        Err(e) => Problem::internal(&e).into_response(),
    }
}

/// The link pages' headers, for the pages that exist only locally: nothing loads from elsewhere,
/// no other site may frame them (the mail list shows live links), no sniffing, no referrer.
fn protected(response: Response) -> Response {
    usher_core::pages::protected(
        response,
        "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; img-src data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
    )
}

async fn mail_list(State(state): State<LocalState>) -> Response {
    let mails = state
        .mailer
        .list()
        .await
        .into_iter()
        .map(|m: StoredMail| MailRow {
            id: m.id,
            sent_at: m.sent_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            to: m.mail.to.to_string(),
            subject: m.mail.subject,
            links: m.links,
        })
        .collect();
    page(
        MailList {
            dir: state.mailer.dir().display().to_string(),
            mails,
        }
        .render(),
    )
}

async fn mail_one(State(state): State<LocalState>, ApiPath(id): ApiPath<String>) -> Response {
    match state.mailer.get(&id).await {
        Some(m) => page(
            MailOne {
                subject: m.mail.subject,
                to: m.mail.to.to_string(),
                sent_at: m.sent_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                links: m.links,
                html: m.mail.html,
                text: m.mail.text,
            }
            .render(),
        ),
        None => Problem::not_found().into_response(),
    }
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct WebhooksPage {
    per_endpoint: usize,
    endpoints: Vec<EndpointRow>,
}

struct EndpointRow {
    tenant: String,
    url: String,
    state: &'static str,
    types: String,
    attempts: Vec<AttemptRow>,
}

struct AttemptRow {
    at: String,
    event_type: String,
    event_id: String,
    status: String,
    success: bool,
    latency_ms: u64,
    excerpt: String,
}

/// Attempts the page shows per endpoint.
const ATTEMPTS_SHOWN: usize = 50;

async fn webhooks_page(State(state): State<LocalState>) -> Response {
    let found =
        match usher_core::usecases::webhooks::endpoints::everywhere(&state.app, ATTEMPTS_SHOWN)
            .await
        {
            Ok(found) => found,
            Err(error) => return Problem::from(error).into_response(),
        };
    let endpoints = found
        .into_iter()
        .map(|found| EndpointRow {
            tenant: found.tenant_name,
            url: found.endpoint.url,
            state: if found.endpoint.enabled { "on" } else { "off" },
            types: if found.endpoint.event_types.is_empty() {
                "all".to_owned()
            } else {
                found.endpoint.event_types.join(", ")
            },
            attempts: found
                .attempts
                .into_iter()
                .map(|a| AttemptRow {
                    at: a.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                    event_type: a.event_type,
                    event_id: a.event_id,
                    status: a
                        .status
                        .map_or_else(|| "no answer".to_owned(), |s| s.to_string()),
                    success: a.success,
                    latency_ms: a.latency_ms,
                    excerpt: a.excerpt,
                })
                .collect(),
        })
        .collect();
    page(
        WebhooksPage {
            per_endpoint: ATTEMPTS_SHOWN,
            endpoints,
        }
        .render(),
    )
}

async fn index() -> Response {
    protected(Html(concat!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Usher</title></head>",
        "<body style=\"font-family:system-ui,sans-serif;margin:2rem\"><h1>Usher is running</h1>",
        "<ul><li><a href=\"/v1/openapi.json\">API (OpenAPI)</a></li><li><a href=\"/_local/mail\">Mail sent by this server</a></li><li><a href=\"/_local/inbound\">Inbound mail received</a></li><li><a href=\"/_local/webhooks\">Webhooks sent</a></li></ul>",
        "</body></html>"
    )).into_response())
}

/// The whole local HTTP surface: the API plus the `/_local/` pages that exist only here.
pub fn local_router(app: &App, mailer: Arc<FileMailer>) -> Router {
    let local = Router::new()
        .route("/", get(index))
        .route("/_local/mail", get(mail_list))
        .route("/_local/mail/{id}", get(mail_one))
        .route("/_local/webhooks", get(webhooks_page))
        .route(
            "/_local/inbound",
            get(inbound_list)
                .post(inbound_post)
                .layer(axum::extract::DefaultBodyLimit::max(MAX_INBOUND_BYTES)),
        )
        .with_state(LocalState {
            app: app.clone(),
            mailer,
        });
    finish_router(api_routes(app).merge(local))
}

/// The longest the worker sleeps when nothing wakes it; items that wait for a claim or a backoff
/// are picked up when they are due, sooner than this.
const WORKER_IDLE: Duration = Duration::from_secs(5);

/// Sends outbox mail and does outbox jobs: at once when a commit wakes it, when a waiting item
/// falls due (a dead process's claim ends, a backoff passes), and every few seconds regardless.
pub async fn run_outbox_worker(dispatcher: OutboxDispatcher<Job>, waker: Arc<Notify>) {
    loop {
        let pause = match dispatcher.drain().await {
            Ok(report) => {
                if report.failed > 0 {
                    tracing::warn!(
                        sent = report.sent,
                        failed = report.failed,
                        waiting = report.waiting,
                        "outbox pass"
                    );
                }
                report.next_due.map_or(WORKER_IDLE, |due| {
                    (due - chrono::Utc::now())
                        .to_std()
                        .unwrap_or_default()
                        .clamp(Duration::from_millis(50), WORKER_IDLE)
                })
            }
            Err(error) => {
                tracing::error!(error = ?error, "outbox pass failed");
                WORKER_IDLE
            }
        };
        tokio::select! {
            _ = waker.notified() => {}
            _ = tokio::time::sleep(pause) => {}
        }
    }
}

/// How long a connection may take to send a request's headers, and stay idle between requests:
/// a client that sends half its headers, or opens connections and sends nothing, is cut off.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a request's body may take to arrive, whole: a client that trickles a body a byte at
/// a time is answered 408 and cut off, as one that trickles its headers is.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest body any route takes (an inbound message), with room for the route's own limit to
/// answer first.
const MAX_BODY_BYTES: usize = MAX_INBOUND_BYTES + 1024 * 1024;

/// Reads the request's body before the route does, within [`BODY_READ_TIMEOUT`]: hyper times the
/// headers out, nothing else times a body out. The route then reads it from memory, its own
/// limit applying as before.
async fn read_body_in_time(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (parts, body) = request.into_parts();
    match tokio::time::timeout(
        BODY_READ_TIMEOUT,
        axum::body::to_bytes(body, MAX_BODY_BYTES),
    )
    .await
    {
        Ok(Ok(bytes)) => {
            next.run(axum::extract::Request::from_parts(parts, bytes.into()))
                .await
        }
        Ok(Err(_)) => Problem::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is larger than any route takes",
        )
        .into_response(),
        Err(_) => {
            let mut response = Problem::new(
                axum::http::StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                format!(
                    "the request body did not arrive within {} seconds",
                    BODY_READ_TIMEOUT.as_secs()
                ),
            )
            .into_response();
            response.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
            response
        }
    }
}

/// Serves the local router on an already-bound listener until `shutdown` completes, with the
/// outbox worker running `worker` beside it when one is given.
pub async fn serve(
    listener: TcpListener,
    app: App,
    mailer: Arc<FileMailer>,
    worker: Option<OutboxDispatcher<Job>>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let worker = worker.map(|dispatcher| {
        let waker = app
            .mail_waker
            .clone()
            .unwrap_or_else(|| Arc::new(Notify::new()));
        tokio::spawn(run_outbox_worker(dispatcher, waker))
    });
    let result = accept_loop(listener, local_router(&app, mailer), shutdown).await;
    if let Some(worker) = worker {
        worker.abort();
    }
    result
}

/// HTTP/1.1 on every accepted connection, with [`HEADER_READ_TIMEOUT`] (which hyper also applies
/// while a kept-alive connection waits for its next request), [`BODY_READ_TIMEOUT`] and the peer
/// address for
/// `ClientAddress`. On `shutdown` it stops accepting and lets requests under way finish, for up
/// to 10 seconds.
async fn accept_loop(
    listener: TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let router = router.layer(axum::middleware::from_fn(read_body_in_time));
    let mut shutdown = std::pin::pin!(shutdown);
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(error = %error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(
            router
                .clone()
                .layer(axum::Extension(axum::extract::ConnectInfo(peer))),
        );
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(error = %error, "connection ended");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still under way after 10 seconds were cut off");
    }
    Ok(())
}

/// The sender written into local `.eml` files.
pub fn local_sender() -> anyhow::Result<Sender> {
    Sender::parse("Usher <no-reply@usher.localhost>").map_err(anyhow::Error::msg)
}
