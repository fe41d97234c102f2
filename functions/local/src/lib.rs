//! The local server: every function's routes on one listener, the embedded table in a data dir,
//! mail written to files and sent by an in-process outbox worker.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use usher_core::app::{App, Config};
use usher_core::clock::OsRandom;
use usher_core::http::{ApiPath, Problem, finish_router, mount};
use usher_core::mail::{FileMailer, OutboxDispatcher, OutboxKey, Sender, StoredMail};
use usher_core::table::{EmbeddedTable, Table};
use usher_core::usecases::jobs::Job;

/// The OpenAPI document of every route, generated from the handlers' annotations.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    let mut doc = usher_sessions::api().into_openapi();
    doc.merge(usher_create_user::api().into_openapi());
    doc.merge(usher_tenants::api().into_openapi());
    doc.merge(usher_password_reset::api().into_openapi());
    doc.info = utoipa::openapi::InfoBuilder::new()
        .title("Usher")
        .version("1")
        .description(Some("User onboarding for multi-tenant SaaS: sessions, users, tenants, password reset. Errors are RFC 9457 problem+json with a stable `code`."))
        .build();
    let scheme = utoipa::openapi::security::SecurityScheme::Http(
        utoipa::openapi::security::HttpBuilder::new()
            .scheme(utoipa::openapi::security::HttpAuthScheme::Bearer)
            .description(Some("A session token from POST /v1/sessions"))
            .build(),
    );
    doc.components
        .get_or_insert_with(Default::default)
        .add_security_scheme("bearer", scheme);
    doc
}

/// The document as it is checked in: pretty JSON with a final newline.
pub fn api_doc_json() -> String {
    let mut json = doc_to_json(&api_doc());
    json.push('\n');
    json
}

fn doc_to_json(doc: &utoipa::openapi::OpenApi) -> String {
    doc.to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// Every function's routes, as API Gateway would route them to the Lambdas.
pub fn api_routes(app: &App) -> Router {
    mount(usher_sessions::api(), app)
        .merge(mount(usher_create_user::api(), app))
        .merge(mount(usher_tenants::api(), app))
        .merge(mount(usher_password_reset::api(), app))
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

    /// Opens the table; `true` when it was created just now.
    pub fn open_table(&self) -> anyhow::Result<(EmbeddedTable, bool)> {
        std::fs::create_dir_all(&self.root)
            .with_context(|| format!("creating {}", self.root.display()))?;
        let fresh = !self.table_path().exists();
        Ok((EmbeddedTable::open(&self.table_path())?, fresh))
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

/// The local state on a table: commits that file mail wake the in-process outbox worker.
pub fn local_app(table: Arc<dyn Table>, outbox_key: &OutboxKey, config: Config) -> App {
    App::builder(table, outbox_key, config)
        .mail_waker(Arc::new(Notify::new()))
        .build()
}

#[derive(Clone)]
struct LocalState {
    mailer: Arc<FileMailer>,
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
        Ok(body) => {
            let mut response = Html(body).into_response();
            response.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; img-src data:"),
            );
            response
        }
        Err(e) => Problem::internal(&e).into_response(),
    }
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

async fn index() -> Html<&'static str> {
    Html(concat!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Usher</title></head>",
        "<body style=\"font-family:system-ui,sans-serif;margin:2rem\"><h1>Usher is running</h1>",
        "<ul><li><a href=\"/v1/openapi.json\">API (OpenAPI)</a></li><li><a href=\"/_local/mail\">Mail sent by this server</a></li></ul>",
        "</body></html>"
    ))
}

/// The whole local HTTP surface: the API plus the `/_local/` pages that exist only here.
pub fn local_router(app: &App, mailer: Arc<FileMailer>) -> Router {
    let local = Router::new()
        .route("/", get(index))
        .route("/_local/mail", get(mail_list))
        .route("/_local/mail/{id}", get(mail_one))
        .with_state(LocalState { mailer });
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
    let router = local_router(&app, mailer);
    let result = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    if let Some(worker) = worker {
        worker.abort();
    }
    result.context("serving HTTP")
}

/// The sender written into local `.eml` files.
pub fn local_sender() -> anyhow::Result<Sender> {
    Sender::parse("Usher <no-reply@usher.localhost>").map_err(anyhow::Error::msg)
}
