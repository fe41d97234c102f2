//! The HTTPS client of every AWS SDK client Usher makes (DynamoDB, SES, and the credential
//! providers of their configuration): rustls with ring for its cryptography, trusting the
//! system's root certificates.

use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, HttpClientError};

/// A new client. Made with each SDK client, once per cold start; not kept in a static, as its
/// pooled connections belong to the tokio runtime that opened them (a test has one of its own).
pub fn https_client() -> SharedHttpClient {
    build(TlsContext::default())
}

/// A client as [`https_client`] that also trusts the certificates in `pem`: for a server whose
/// certificate no public authority signed, such as the test suite's TLS endpoint.
pub fn https_client_trusting(pem: &[u8]) -> Result<SharedHttpClient, HttpClientError> {
    let trust = TrustStore::default().with_pem_certificate(pem);
    Ok(build(
        TlsContext::builder().with_trust_store(trust).build()?,
    ))
}

fn build(context: TlsContext) -> SharedHttpClient {
    Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .tls_context(context)
        .build_https()
}

/// The SDK configuration from the AWS environment, with this HTTPS client, where an operation
/// that takes longer than `operation_timeout`, retries included, fails: each adapter's calls run
/// under an outbox claim that must outlive them.
pub async fn sdk_config(operation_timeout: std::time::Duration) -> aws_config::SdkConfig {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .operation_timeout(operation_timeout)
        .build();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(https_client())
        .timeout_config(timeouts)
        .load()
        .await
}
