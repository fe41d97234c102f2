//! Test harness: the real local server on port 0 over either table adapter, with an injected
//! clock, a round-trip counter and helpers named after what the API does.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;

use aws_sdk_dynamodb::config::{Credentials, Region};
use chrono::Utc;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use usher_core::app::{App, Config};
use usher_core::clock::ManualClock;
use usher_core::domain::{EmailAddress, PersonName, TenantId, TenantName};
use usher_core::mail::{
    FileMailer, MailError, Mailer, OutboxDispatcher, OutboxKey, OutgoingMail, StoredMail,
};
use usher_core::table::{
    CountingTable, DynamoTable, EmbeddedTable, Item, Key, Op, Page, Table, TableError,
    TransactError,
};
use usher_core::usecases::bootstrap_tenant::{BootstrapTenant, bootstrap_tenant};
use usher_core::usecases::dispatch;
use usher_core::usecases::jobs::Job;

/// A password every test account can use: long and not guessable.
pub const GOOD_PASSWORD: &str = "violet harbour kettle 42 mosaic";

fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the suite with ./scripts/test, which starts the local AWS servers")
    })
}

/// Counts the HTTP requests the SDK sends (every attempt, retries included).
#[derive(Debug, Clone, Default)]
pub struct SdkRequests(Arc<AtomicUsize>);

impl SdkRequests {
    /// Requests since the last call, and starts counting again from zero.
    pub fn take(&self) -> usize {
        self.0.swap(0, Ordering::SeqCst)
    }
}

impl Intercept for SdkRequests {
    fn name(&self) -> &'static str {
        "SdkRequests"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// DynamoDB Local, started once per test run by `scripts/test`.
pub fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    dynamodb_client_counting(SdkRequests::default())
}

/// A DynamoDB Local client whose requests `counter` counts.
pub fn dynamodb_client_counting(counter: SdkRequests) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .interceptor(counter)
        .behavior_version_latest()
        .endpoint_url(required_env("USHER_TEST_DYNAMODB_ENDPOINT"))
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "usher-tests"))
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// The SES v2 stand-in, started once per test run by `scripts/test`.
pub fn ses_endpoint() -> String {
    required_env("USHER_TEST_SES_ENDPOINT")
}

pub fn ses_client() -> aws_sdk_sesv2::Client {
    let config = aws_sdk_sesv2::Config::builder()
        .behavior_version_latest()
        .endpoint_url(ses_endpoint())
        .region(aws_sdk_sesv2::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sesv2::config::Credentials::new(
            "test",
            "test",
            None,
            None,
            "usher-tests",
        ))
        .build();
    aws_sdk_sesv2::Client::from_conf(config)
}

/// A fresh DynamoDB table of its own, laid out as the SAM template declares it.
pub async fn fresh_dynamo_table() -> DynamoTable {
    fresh_dynamo_table_counting(SdkRequests::default()).await
}

async fn fresh_dynamo_table_counting(counter: SdkRequests) -> DynamoTable {
    let table = DynamoTable::new(
        dynamodb_client_counting(counter),
        format!("usher-test-{}", ulid::Ulid::new()),
    );
    table
        .create_table()
        .await
        .expect("creating a DynamoDB Local table");
    table
}

/// A table that fails transactions on request, to prove what a failed state change leaves
/// behind (nothing: no item, no mail).
pub struct FaultyTable {
    inner: Arc<dyn Table>,
    fail_next_transaction: AtomicBool,
    /// Transactions to let through before one fails as a crashed backend would (-1: none).
    crash_after: std::sync::atomic::AtomicI64,
    held: std::sync::Mutex<Option<HeldTransaction>>,
}

/// A transaction to hold back, for a test that puts other requests in between.
struct HeldTransaction {
    key: Key,
    reached: oneshot::Sender<()>,
    release: oneshot::Receiver<()>,
}

/// The test's end of a held transaction.
pub struct Hold {
    reached: oneshot::Receiver<()>,
    release: oneshot::Sender<()>,
}

impl Hold {
    /// Waits until the held transaction has arrived (and waits).
    pub async fn reached(&mut self) {
        (&mut self.reached)
            .await
            .expect("the held transaction arrives");
    }

    /// Lets it go on.
    pub fn release(self) {
        let _ = self.release.send(());
    }
}

impl FaultyTable {
    pub fn new(inner: Arc<dyn Table>) -> Self {
        Self {
            inner,
            fail_next_transaction: AtomicBool::new(false),
            crash_after: std::sync::atomic::AtomicI64::new(-1),
            held: std::sync::Mutex::new(None),
        }
    }

    /// The next transaction fails as a concurrent write would make it fail, writing nothing.
    pub fn fail_next_transaction(&self) {
        self.fail_next_transaction.store(true, Ordering::SeqCst);
    }

    /// Lets `count` transactions through, then fails the next one as a table that went away
    /// would (not a lost race: the caller gives up), writing nothing.
    pub fn crash_after(&self, count: i64) {
        self.crash_after.store(count, Ordering::SeqCst);
    }

    /// Holds back the next transaction that writes or checks `key` until the test releases it.
    pub fn hold_next_transaction_on(&self, key: Key) -> Hold {
        let (reached, reached_rx) = oneshot::channel();
        let (release_tx, release) = oneshot::channel();
        *self.held.lock().unwrap() = Some(HeldTransaction {
            key,
            reached,
            release,
        });
        Hold {
            reached: reached_rx,
            release: release_tx,
        }
    }
}

#[async_trait::async_trait]
impl Table for FaultyTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        self.inner.get(key).await
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, TableError> {
        self.inner.batch_get(keys).await
    }

    async fn query(
        &self,
        pk: &str,
        sk_prefix: &str,
        after: Option<&Key>,
        limit: usize,
    ) -> Result<Page, TableError> {
        self.inner.query(pk, sk_prefix, after, limit).await
    }

    async fn query_backward(
        &self,
        pk: &str,
        sk_prefix: &str,
        before: Option<&Key>,
        limit: usize,
    ) -> Result<Page, TableError> {
        self.inner
            .query_backward(pk, sk_prefix, before, limit)
            .await
    }

    async fn transact(&self, ops: Vec<Op>) -> Result<(), TransactError> {
        let held = {
            let mut slot = self.held.lock().unwrap();
            let touches = slot
                .as_ref()
                .is_some_and(|h| ops.iter().any(|op| op.key().as_ref() == Some(&h.key)));
            if touches { slot.take() } else { None }
        };
        if let Some(held) = held {
            let _ = held.reached.send(());
            let _ = held.release.await;
        }
        if self.fail_next_transaction.swap(false, Ordering::SeqCst) {
            return Err(TransactError::Conflict);
        }
        if self.crash_after.fetch_sub(1, Ordering::SeqCst) == 0 {
            return Err(TransactError::Table(
                usher_core::table::TableError::Backend(anyhow::anyhow!("the table went away")),
            ));
        }
        self.inner.transact(ops).await
    }
}

/// The one test double for a mail service: records what it sends, and fails every send while
/// it is switched to failing.
#[derive(Default)]
pub struct RecordingMailer {
    failing: AtomicBool,
    attempts: AtomicUsize,
    sent: std::sync::Mutex<Vec<(String, OutgoingMail)>>,
}

impl RecordingMailer {
    /// A mailer that fails until [`RecordingMailer::recover`] is called.
    pub fn failing() -> Self {
        let mailer = Self::default();
        mailer.failing.store(true, Ordering::SeqCst);
        mailer
    }

    pub fn recover(&self) {
        self.failing.store(false, Ordering::SeqCst);
    }

    /// Every send attempt, failed ones included.
    pub fn attempts(&self) -> usize {
        self.attempts.load(Ordering::SeqCst)
    }

    /// The outbox ids of the mail sent, in order.
    pub fn sent_ids(&self) -> Vec<String> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .map(|(id, _)| id.clone())
            .collect()
    }

    pub fn sent(&self) -> Vec<OutgoingMail> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .map(|(_, mail)| mail.clone())
            .collect()
    }
}

#[async_trait::async_trait]
impl Mailer for RecordingMailer {
    async fn send(&self, message_id: &str, mail: &OutgoingMail) -> Result<(), MailError> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        // Sends overlap when dispatchers race, which is what the claim must survive.
        tokio::task::yield_now().await;
        if self.failing.load(Ordering::SeqCst) {
            return Err(MailError::Send(anyhow::anyhow!("the mail service is down")));
        }
        self.sent
            .lock()
            .unwrap()
            .push((message_id.to_owned(), mail.clone()));
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Embedded,
    Dynamo,
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub app: App,
    /// Counts the round trips request handlers make (the outbox dispatcher is not counted).
    pub counter: CountingTable,
    /// The table without the counter, for inspecting state.
    pub table: Arc<dyn Table>,
    /// Fails the handlers' next transaction on request.
    pub faults: Arc<FaultyTable>,
    /// HTTP requests to DynamoDB (on the DynamoDB backend; the dispatcher's included).
    pub sdk_requests: SdkRequests,
    pub clock: Arc<ManualClock>,
    pub mailer: Arc<FileMailer>,
    /// Sends the outbox when a test says so ([`TestApp::dispatch_all_pending`]).
    pub dispatcher: OutboxDispatcher<Job>,
    pub tenant_id: TenantId,
    pub owner_email: String,
    pub owner_token: String,
    _dir: tempfile::TempDir,
    _shutdown: oneshot::Sender<()>,
}

/// How a test server is set up.
#[derive(Clone, Default)]
pub struct Setup {
    pub backend: Option<Backend>,
    /// Where the outbox's mail goes (default: the local files, [`TestApp::mailer`]).
    pub mailer: Option<Arc<dyn Mailer>>,
    /// Run the background outbox worker, as `usher serve` does. Without it, nothing is sent
    /// until the test calls [`TestApp::dispatch_all_pending`].
    pub worker: bool,
}

pub async fn spawn_app() -> TestApp {
    spawn(Setup::default(), |_| {}).await
}

pub async fn spawn_app_on(backend: Backend) -> TestApp {
    spawn_app_with(backend, None).await
}

/// As [`spawn_app_on`], with the outbox sending through `mailer` instead of the local files.
pub async fn spawn_app_with(backend: Backend, mailer: Option<Arc<dyn Mailer>>) -> TestApp {
    let setup = Setup {
        backend: Some(backend),
        mailer,
        worker: false,
    };
    spawn(setup, |_| {}).await
}

/// The embedded-table server with its configuration changed by `configure` before it starts.
pub async fn spawn_app_with_config(configure: impl FnOnce(&mut Config)) -> TestApp {
    spawn(Setup::default(), configure).await
}

pub async fn spawn(setup: Setup, configure: impl FnOnce(&mut Config)) -> TestApp {
    // Logs go to the test's captured output, shown when it fails.
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("USHER_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .try_init();
    let dir = tempfile::tempdir().expect("a temp dir");
    let sdk_requests = SdkRequests::default();
    let table: Arc<dyn Table> = match setup.backend.unwrap_or(Backend::Embedded) {
        Backend::Embedded => {
            Arc::new(EmbeddedTable::open(&dir.path().join("usher.redb")).expect("opening redb"))
        }
        Backend::Dynamo => Arc::new(fresh_dynamo_table_counting(sdk_requests.clone()).await),
    };
    let faults = Arc::new(FaultyTable::new(table.clone()));
    let counter = CountingTable::new(faults.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding port 0");
    let base = format!("http://{}", listener.local_addr().expect("local addr"));
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let key = OutboxKey::generate(&usher_core::clock::OsRandom);
    let mut config = Config::new(&base);
    // The domains the tests' tenants claim inbound addresses on.
    config.inbound_domains = vec!["desk.example".into(), "leasing.example".into()];
    // Mail from the address the test mailer sends from is Usher's own.
    config.mail_from = usher_local::local_sender()
        .ok()
        .map(|s| s.address().clone());
    configure(&mut config);
    let waker = Arc::new(tokio::sync::Notify::new());
    let builder = App::builder(Arc::new(counter.clone()), &key, config)
        .clock(clock.clone())
        .mail_waker(waker);
    let app = builder.clone().build();
    let mailer = Arc::new(FileMailer::new(
        dir.path().join("mail"),
        usher_local::local_sender().unwrap(),
    ));
    // The dispatcher reads the table without the counter, so counts are the handlers' alone.
    let dispatcher = dispatch::dispatcher(
        &builder.table(table.clone()).build(),
        setup.mailer.unwrap_or_else(|| mailer.clone()),
    );
    let worker = setup.worker.then(|| dispatcher.clone());
    let (shutdown, stopped) = oneshot::channel::<()>();
    let server_app = app.clone();
    let server_mailer = mailer.clone();
    tokio::spawn(async move {
        let stop = async {
            let _ = stopped.await;
        };
        if let Err(e) = usher_local::serve(listener, server_app, server_mailer, worker, stop).await
        {
            eprintln!("test server failed: {e:#}");
        }
    });

    let mut test = TestApp {
        base,
        http: reqwest::Client::new(),
        app,
        counter,
        table,
        faults,
        sdk_requests,
        clock,
        mailer,
        dispatcher,
        tenant_id: TenantId::from_ulid(ulid::Ulid::nil()),
        owner_email: String::new(),
        owner_token: String::new(),
        _dir: dir,
        _shutdown: shutdown,
    };
    let (tenant_id, owner_email, owner_token) = test.new_tenant("Comune di Forlì").await;
    test.tenant_id = tenant_id;
    test.owner_email = owner_email;
    test.owner_token = owner_token;
    // A test starts with an empty outbox, whatever setting up the tenant filed, and a second
    // after it on the test clock, so what the test does sorts after the setup (ids of one
    // millisecond have no order).
    test.dispatch_all_pending().await;
    test.clock.advance(chrono::Duration::seconds(1));
    test.counter.take();
    test
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Bootstraps a tenant whose owner has set `GOOD_PASSWORD`; returns its id, the owner's
    /// email and a full session token.
    pub async fn new_tenant(&self, name: &str) -> (TenantId, String, String) {
        let email = format!(
            "owner-{}@example.org",
            ulid::Ulid::new().to_string().to_lowercase()
        );
        let created = bootstrap_tenant(
            &self.app,
            BootstrapTenant {
                name: TenantName::parse(name).unwrap(),
                owner_email: EmailAddress::parse(&email).unwrap(),
                owner_first_name: PersonName::parse("Olga").unwrap(),
                owner_last_name: PersonName::parse("Owner").unwrap(),
                generate_password: true,
            },
        )
        .await
        .expect("bootstrapping a tenant");
        let temporary = created
            .generated_password
            .expect("a generated password")
            .expose()
            .to_owned();
        let token = self.sign_in_token(&email, &temporary).await;
        let response = self
            .change_password(&token, &temporary, GOOD_PASSWORD)
            .await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let token = self.sign_in_token(&email, GOOD_PASSWORD).await;
        (created.tenant_id, email, token)
    }

    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut request = self.http.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("the server answers")
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(reqwest::Method::GET, path, Some(token), None)
            .await
    }

    /// The JSON answer of a GET with `token`, whatever its status.
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        self.get(path, token).await.json().await.unwrap()
    }

    /// What an invitation link shows without a session: `GET /v1/invitations/{token}`.
    pub async fn invitation_preview(&self, token: &str) -> Response {
        self.http
            .get(self.url(&format!("/v1/invitations/{token}")))
            .send()
            .await
            .unwrap()
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.request(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Response {
        self.post(
            "/v1/sessions",
            None,
            json!({"email": email, "password": password}),
        )
        .await
    }

    pub async fn sign_in_token(&self, email: &str, password: &str) -> String {
        let response = self.sign_in(email, password).await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "sign-in of {email} failed"
        );
        let body: Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    pub async fn change_password(&self, token: &str, current: &str, new: &str) -> Response {
        self.request(
            reqwest::Method::PUT,
            "/v1/me/password",
            Some(token),
            Some(json!({"current_password": current, "new_password": new})),
        )
        .await
    }

    pub async fn create_user(&self, tenant: TenantId, token: &str, body: Value) -> Response {
        self.post(&format!("/v1/tenants/{tenant}/users"), Some(token), body)
            .await
    }

    /// Creates a member of the main tenant with a generated password; returns that password.
    pub async fn user_with_generated_password(&self, email: &str) -> String {
        let response = self
            .create_user(
                self.tenant_id,
                &self.owner_token,
                json!({"email": email, "first_name": "Tom", "last_name": "Temp", "role": "member",
                       "password": {"mode": "generate"}}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        body["generated_password"].as_str().unwrap().to_owned()
    }

    /// Creates a user with `GOOD_PASSWORD` and returns their account id and a session token.
    pub async fn member(
        &self,
        tenant: TenantId,
        role: &str,
        permissions: &[&str],
    ) -> (String, String, String) {
        let email = format!(
            "m-{}@example.org",
            ulid::Ulid::new().to_string().to_lowercase()
        );
        let response = self
            .create_user(
                tenant,
                &self.owner_token_for(tenant).await,
                json!({"email": email, "first_name": "Mia", "last_name": "Member", "role": role,
                       "permissions": permissions, "password": {"mode": "set", "value": GOOD_PASSWORD}}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        let token = self.sign_in_token(&email, GOOD_PASSWORD).await;
        (
            body["user"]["id"].as_str().unwrap().to_owned(),
            email,
            token,
        )
    }

    async fn owner_token_for(&self, tenant: TenantId) -> String {
        assert_eq!(
            tenant, self.tenant_id,
            "member() creates users in the main test tenant"
        );
        self.owner_token.clone()
    }

    /// Sends every mail and does every job waiting in the outbox, and what those jobs file in
    /// turn, as the background worker would, but now; returns how many items went out. What
    /// fails stays in the outbox with its backoff.
    pub async fn dispatch_all_pending(&self) -> usize {
        let mut total = 0;
        loop {
            let report = self.dispatcher.drain().await.expect("an outbox pass");
            total += report.sent;
            if report.sent == 0 {
                return total;
            }
        }
    }

    /// Every mail sent so far, newest first, once the outbox is dispatched. Each was read back
    /// from its `.eml` file by a strict MIME parser, as a mail client would read it.
    pub async fn sent_mails(&self) -> Vec<StoredMail> {
        self.dispatch_all_pending().await;
        let mails = self.mailer.list().await;
        for mail in &mails {
            let eml = std::fs::read(self.mailer.dir().join(format!("{}.eml", mail.id)))
                .expect("every listed mail has its .eml file");
            assert_well_formed(&eml, mail);
        }
        mails
    }

    /// Every item waiting in the outbox, over all its partitions.
    pub async fn outbox_items(&self) -> Vec<Item> {
        let mut items = Vec::new();
        for pk in usher_core::keys::outbox_partitions() {
            items.extend(self.partition(&pk).await);
        }
        items
    }

    /// Mail sent to `to` so far, newest first, once the outbox is dispatched.
    pub async fn mails_to(&self, to: &str) -> Vec<StoredMail> {
        self.sent_mails()
            .await
            .into_iter()
            .filter(|m| m.mail.to.as_str() == to)
            .collect()
    }

    /// Every password link mailed to `to` so far.
    pub async fn reset_links_to(&self, to: &str) -> Vec<String> {
        self.mails_to(to)
            .await
            .into_iter()
            .flat_map(|m| m.links)
            .filter(|l| l.contains("/reset/"))
            .collect()
    }

    /// The one password link mailed to `to`.
    pub async fn reset_link_to(&self, to: &str) -> String {
        let links = self.reset_links_to(to).await;
        assert_eq!(links.len(), 1, "expected one password link for {to}");
        links[0].clone()
    }

    /// The password link mailed to `to` that is not among `before` (mails sent within one tick
    /// of the test clock have no order).
    pub async fn new_reset_link_to(&self, to: &str, before: &[String]) -> String {
        self.reset_links_to(to)
            .await
            .into_iter()
            .find(|l| !before.contains(l))
            .unwrap_or_else(|| panic!("no new password link was mailed to {to}"))
    }

    pub async fn forgot(&self, email: &str) -> Response {
        self.post("/v1/password/forgot", None, json!({"email": email}))
            .await
    }

    /// Asks for a reset link for `email` and returns the token it carries.
    pub async fn reset_token_for(&self, email: &str) -> String {
        let before = self.reset_links_to(email).await;
        assert_eq!(self.forgot(email).await.status(), StatusCode::ACCEPTED);
        token_of(&self.new_reset_link_to(email, &before).await)
    }

    pub async fn reset(&self, token: &str, new_password: &str) -> Response {
        self.post(
            "/v1/password/reset",
            None,
            json!({"token": token, "new_password": new_password}),
        )
        .await
    }

    /// The account id behind a session token.
    pub async fn account_id_of(&self, token: &str) -> String {
        let me: Value = self.get("/v1/me", token).await.json().await.unwrap();
        me["account"]["id"].as_str().unwrap().to_owned()
    }

    /// The page of a password link.
    pub async fn reset_page(&self, token: &str) -> Response {
        self.http
            .get(self.url(&format!("/reset/{token}")))
            .send()
            .await
            .expect("the server answers")
    }

    /// An admin's reset of a member's password, in `mode` `link` or `generate`.
    pub async fn admin_reset(
        &self,
        tenant: TenantId,
        user: &str,
        token: &str,
        mode: &str,
    ) -> Response {
        self.post(
            &format!("/v1/tenants/{tenant}/users/{user}/password-reset"),
            Some(token),
            json!({"mode": mode}),
        )
        .await
    }

    /// `POST /v1/tenants/{tenant}/invitations` with `body`.
    /// The member of the main tenant with `email` (any letter case), as the owner lists it.
    pub async fn user_by_email(&self, email: &str) -> Option<Value> {
        let page: Value = self
            .get(
                &format!("/v1/tenants/{}/users?email={email}", self.tenant_id),
                &self.owner_token,
            )
            .await
            .json()
            .await
            .unwrap();
        page["items"].as_array().unwrap().first().cloned()
    }

    /// Archives the member `user_id` of the main tenant, as its owner.
    pub async fn archive(&self, user_id: &str) {
        let archived = self
            .request(
                reqwest::Method::POST,
                &format!("/v1/tenants/{}/users/{user_id}/archive", self.tenant_id),
                Some(&self.owner_token),
                None,
            )
            .await;
        assert_eq!(archived.status(), StatusCode::OK);
    }

    /// Posts `file` to the import of `tenant` with `query` (e.g. `?dry_run=true`) as text/csv.
    pub async fn import_csv(
        &self,
        tenant: TenantId,
        token: &str,
        query: &str,
        file: impl Into<Vec<u8>>,
    ) -> Response {
        self.http
            .post(self.url(&format!("/v1/tenants/{tenant}/users.csv{query}")))
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .body(file.into())
            .send()
            .await
            .expect("the server answers")
    }

    /// Imports `file` into the main tenant as its owner, lets the outbox do the jobs, and returns
    /// the finished import as `GET .../imports/{id}` shows it.
    pub async fn import_all(&self, file: &str) -> Value {
        let response = self
            .import_csv(self.tenant_id, &self.owner_token, "", file)
            .await;
        if response.status() != StatusCode::ACCEPTED {
            panic!("the import was refused: {}", response.text().await.unwrap());
        }
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        self.dispatch_all_pending().await;
        let import: Value = self
            .get(&location, &self.owner_token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(import["status"], "done", "{import:#}");
        import
    }

    pub async fn invite(&self, tenant: TenantId, token: &str, body: Value) -> Response {
        self.post(
            &format!("/v1/tenants/{tenant}/invitations"),
            Some(token),
            body,
        )
        .await
    }

    /// Invites `email` to the main tenant as its owner; returns the invitation.
    pub async fn invite_to_main(&self, email: &str) -> Value {
        let response = self
            .invite(self.tenant_id, &self.owner_token, json!({"email": email}))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "inviting {email}");
        response.json().await.unwrap()
    }

    /// Every invitation link mailed to `to` so far (not the confirmation links).
    pub async fn invitation_links_to(&self, to: &str) -> Vec<String> {
        self.mails_to(to)
            .await
            .into_iter()
            .flat_map(|m| m.links)
            .filter(|l| l.contains("/invite/") && !l.contains("/invite/confirm/"))
            .collect()
    }

    /// The token of the one invitation link mailed to `to`.
    pub async fn invitation_token_for(&self, to: &str) -> String {
        let links = self.invitation_links_to(to).await;
        assert_eq!(links.len(), 1, "expected one invitation link for {to}");
        token_of(&links[0])
    }

    /// `POST /v1/invitations/{token}/accept` with `body`.
    pub async fn accept(&self, token: &str, body: Value) -> Response {
        self.post(&format!("/v1/invitations/{token}/accept"), None, body)
            .await
    }

    /// Registers through the invitation `token` with the invited address and `GOOD_PASSWORD`.
    pub async fn accept_as_new(&self, token: &str) -> Response {
        self.accept(
            token,
            json!({"mode": "new", "first_name": "Ivy", "last_name": "Invitee", "password": GOOD_PASSWORD}),
        )
        .await
    }

    /// Makes the account of `email` (password `password`) a member of `tenant` too, the one way
    /// an existing account joins: `inviter` invites it and the person accepts by signing in.
    pub async fn join_through_invitation(
        &self,
        tenant: TenantId,
        inviter: &str,
        email: &str,
        password: &str,
    ) {
        let response = self.invite(tenant, inviter, json!({"email": email})).await;
        assert_eq!(response.status(), StatusCode::CREATED, "inviting {email}");
        let links = self.invitation_links_to(email).await;
        let link = links.first().expect("an invitation link");
        let response = self
            .accept(
                &token_of(link),
                json!({"mode": "existing", "email": email, "password": password}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{email} joining");
    }

    /// `PATCH /v1/tenants/{tenant}/settings` as the main tenant's owner.
    pub async fn settings(&self, patch: Value) {
        let response = self
            .request(
                reqwest::Method::PATCH,
                &format!("/v1/tenants/{}/settings", self.tenant_id),
                Some(&self.owner_token),
                Some(patch),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "changing settings");
    }

    /// Every item of one partition, read without the counter.
    pub async fn partition(&self, pk: &str) -> Vec<Item> {
        let mut items = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .table
                .query(pk, "", after.as_ref(), 1000)
                .await
                .unwrap();
            items.extend(page.items);
            match page.next {
                Some(next) => after = Some(next),
                None => return items,
            }
        }
    }
}

/// The sample event `events/{name}` (the files `sam local invoke` takes), with each
/// `{{PLACEHOLDER}}` filled from `values`. A placeholder left unfilled fails the test.
pub fn fixture(name: &str, values: &[(&str, &str)]) -> String {
    let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    for (placeholder, value) in values {
        text = text.replace(&format!("{{{{{placeholder}}}}}"), value);
    }
    if let Some(start) = text.find("{{") {
        let rest = &text[start..];
        panic!(
            "{name}: {} is not filled",
            &rest[..rest.find("}}").map_or(rest.len(), |end| end + 2)]
        );
    }
    text
}

/// Reads `eml` as a mail client would and checks it says what `mail` says: one valid From mailbox
/// (Usher's), one To mailbox, the subject, and `Auto-Submitted: auto-generated` so that
/// auto-responders do not answer it.
pub fn assert_well_formed(eml: &[u8], mail: &StoredMail) {
    let message = mail_parser::MessageParser::default()
        .parse(eml)
        .expect("a parseable message");
    let mailbox = |address: Option<&mail_parser::Address>| -> (Option<String>, String) {
        let list = address.and_then(|a| a.as_list()).expect("an address list");
        assert_eq!(list.len(), 1, "one mailbox");
        (
            list[0].name.as_deref().map(str::to_owned),
            list[0].address.as_deref().expect("an address").to_owned(),
        )
    };
    let (from_name, from) = mailbox(message.from());
    assert_eq!(from, "no-reply@usher.localhost");
    assert_eq!(from_name.as_deref(), Some("Usher"));
    assert_eq!(mailbox(message.to()).1, mail.mail.to.as_str());
    assert_eq!(message.subject(), Some(mail.mail.subject.as_str()));
    assert_eq!(
        message.header("Auto-Submitted").and_then(|v| v.as_text()),
        Some("auto-generated")
    );
}

/// The token of a link `{base}/reset/{token}`.
pub fn token_of(link: &str) -> String {
    link.rsplit('/').next().unwrap().to_owned()
}

/// Asserts an RFC 9457 answer with this status and code; returns the body.
pub async fn assert_problem(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status, "unexpected status");
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "body: {body}");
    assert_eq!(body["status"], status.as_u16());
    assert_eq!(body["type"], format!("urn:usher:problem:{code}"));
    assert!(body["title"].is_string() && body["detail"].is_string());
    body
}
