//! Clients of the local AWS servers the test script starts, and fresh tables on them.

use super::*;

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

/// DynamoDB Local's address, `http://host:port`.
pub fn dynamodb_endpoint() -> String {
    required_env("USHER_TEST_DYNAMODB_ENDPOINT")
}

/// A DynamoDB Local client whose requests `counter` counts.
pub fn dynamodb_client_counting(counter: SdkRequests) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .interceptor(counter)
        .http_client(usher_core::aws::https_client())
        .behavior_version_latest()
        .endpoint_url(dynamodb_endpoint())
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
        .http_client(usher_core::aws::https_client())
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

pub(crate) async fn fresh_dynamo_table_counting(counter: SdkRequests) -> DynamoTable {
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

/// An EventBridge endpoint on loopback speaking the service's wire protocol for `PutEvents`
/// (AWS JSON 1.1, `X-Amz-Target: AWSEvents.PutEvents`), for the SDK adapter: no local
/// EventBridge exists. It keeps every entry it takes, and refuses the entries at the indexes
/// given to [`FakeEventBridge::refuse_once`] in its next answer, as the service does when an
/// entry fails (a 200 with `FailedEntryCount` and an `ErrorCode` on that entry).
#[derive(Clone, Default)]
pub struct FakeEventBridge {
    pub endpoint: String,
    taken: Arc<std::sync::Mutex<Vec<Value>>>,
    calls: Arc<AtomicUsize>,
    refuse: Arc<std::sync::Mutex<Vec<usize>>>,
    refuse_all: Arc<AtomicBool>,
}

impl FakeEventBridge {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the fake EventBridge");
        let bus = Self {
            endpoint: format!("http://{}", listener.local_addr().expect("its address")),
            ..Self::default()
        };
        let state = bus.clone();
        let app = axum::Router::new().route(
            "/",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let state = state.clone();
                    async move { state.answer(&headers, &body) }
                },
            ),
        );
        tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("the fake EventBridge serves");
        });
        bus
    }

    fn answer(
        &self,
        headers: &axum::http::HeaderMap,
        body: &[u8],
    ) -> (
        axum::http::StatusCode,
        [(&'static str, &'static str); 1],
        String,
    ) {
        let kind = [("content-type", "application/x-amz-json-1.1")];
        if headers.get("x-amz-target").and_then(|v| v.to_str().ok()) != Some("AWSEvents.PutEvents")
        {
            return (
                axum::http::StatusCode::BAD_REQUEST,
                kind,
                r#"{"__type":"UnknownOperationException"}"#.into(),
            );
        }
        self.calls.fetch_add(1, Ordering::SeqCst);
        let request: Value = serde_json::from_slice(body).expect("a JSON request");
        let refuse = std::mem::take(&mut *self.refuse.lock().unwrap());
        let mut results = Vec::new();
        for (index, entry) in request["Entries"]
            .as_array()
            .expect("entries")
            .iter()
            .enumerate()
        {
            if refuse.contains(&index) || self.refuse_all.load(Ordering::SeqCst) {
                results.push(json!({"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}));
            } else {
                self.taken.lock().unwrap().push(entry.clone());
                results.push(json!({"EventId": ulid::Ulid::new().to_string()}));
            }
        }
        let failed = results
            .iter()
            .filter(|r| r.get("ErrorCode").is_some())
            .count();
        (
            axum::http::StatusCode::OK,
            kind,
            json!({"FailedEntryCount": failed, "Entries": results}).to_string(),
        )
    }

    /// The next answer refuses the entries at `indexes`.
    pub fn refuse_once(&self, indexes: &[usize]) {
        *self.refuse.lock().unwrap() = indexes.to_vec();
    }

    /// Whether every entry is refused from now on.
    pub fn refuse_all(&self, refuse: bool) {
        self.refuse_all.store(refuse, Ordering::SeqCst);
    }

    /// Every entry taken so far, as sent.
    pub fn taken(&self) -> Vec<Value> {
        self.taken.lock().unwrap().clone()
    }

    /// `PutEvents` calls so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// An SDK client of this endpoint.
    pub fn client(&self) -> aws_sdk_eventbridge::Client {
        let config = aws_sdk_eventbridge::Config::builder()
            .http_client(usher_core::aws::https_client())
            .behavior_version_latest()
            .endpoint_url(&self.endpoint)
            .region(aws_sdk_eventbridge::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_eventbridge::config::Credentials::new(
                "test",
                "test",
                None,
                None,
                "usher-tests",
            ))
            .build();
        aws_sdk_eventbridge::Client::from_conf(config)
    }
}
