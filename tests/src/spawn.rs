//! Starting the real local server on port 0, over either table adapter.

use super::*;

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
    /// The names webhook receivers resolve by, which a test may move (see [`ScriptedNames`]).
    pub names: Arc<ScriptedNames>,
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
    /// Where the dispatcher's fan-out puts every event besides the endpoints (an EventBridge
    /// bus on AWS).
    pub event_bus: Option<Arc<dyn usher_core::usecases::webhooks::bus::EventBus>>,
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
        ..Setup::default()
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
    // Webhook receivers are the tests' own, on loopback.
    config.webhook_receivers = usher_core::usecases::webhooks::WebhookReceivers::LoopbackOnly;
    // Mail from the address the test mailer sends from is Usher's own.
    config.mail_from = usher_local::local_sender()
        .ok()
        .map(|s| s.address().clone());
    configure(&mut config);
    let waker = Arc::new(tokio::sync::Notify::new());
    let names = Arc::new(ScriptedNames::default());
    let builder = App::builder(Arc::new(counter.clone()), &key, config)
        .clock(clock.clone())
        .mail_waker(waker)
        .resolver(names.clone());
    let app = builder.clone().build();
    let mailer = Arc::new(FileMailer::new(
        dir.path().join("mail"),
        usher_local::local_sender().unwrap(),
    ));
    // The dispatcher reads the table without the counter, so counts are the handlers' alone.
    let mut dispatcher_app = builder.table(table.clone());
    if let Some(bus) = setup.event_bus {
        dispatcher_app = dispatcher_app.event_bus(bus);
    }
    let dispatcher = dispatch::dispatcher(
        &dispatcher_app.build(),
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
        names,
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
