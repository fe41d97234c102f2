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
