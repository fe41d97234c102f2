//! A webhook receiver on loopback that keeps every request it is sent, and the independent
//! Standard Webhooks verifier the tests check them with.

use std::sync::Mutex;

use super::*;

/// One request a receiver was sent: its headers (names in lower case) and its body, as bytes.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: std::collections::BTreeMap<String, String>,
    pub body: Vec<u8>,
}

/// A receiver on `127.0.0.1`: answers each request with the next of its statuses (the last one
/// again once they run out) and keeps what it was sent.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    statuses: Arc<Mutex<Vec<u16>>>,
    /// Sent as `Retry-After` with every answer that is not a success.
    retry_after: Option<&'static str>,
}

impl Receiver {
    /// Starts a receiver answering `statuses` in turn (`[200]`: always 200).
    pub async fn start(statuses: &[u16]) -> Self {
        Self::start_with(statuses, None).await
    }

    /// As [`Receiver::start`], asking for `Retry-After: {retry_after}` when it fails.
    pub async fn start_with(statuses: &[u16], retry_after: Option<&'static str>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the receiver");
        let url = format!(
            "http://{}/hooks",
            listener.local_addr().expect("its address")
        );
        let receiver = Self {
            url,
            received: Arc::new(Mutex::new(Vec::new())),
            statuses: Arc::new(Mutex::new(statuses.iter().rev().copied().collect())),
            retry_after,
        };
        let state = receiver.clone();
        let app = axum::Router::new().route(
            "/hooks",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let state = state.clone();
                    async move {
                        let headers = headers
                            .iter()
                            .map(|(k, v)| {
                                (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned())
                            })
                            .collect();
                        state.received.lock().unwrap().push(Received {
                            headers,
                            body: body.to_vec(),
                        });
                        let status = {
                            let mut statuses = state.statuses.lock().unwrap();
                            if statuses.len() > 1 {
                                statuses.pop().unwrap_or(200)
                            } else {
                                statuses.last().copied().unwrap_or(200)
                            }
                        };
                        let status = axum::http::StatusCode::from_u16(status).unwrap();
                        let mut headers = axum::http::HeaderMap::new();
                        if let Some(wait) = state.retry_after.filter(|_| !status.is_success()) {
                            headers.insert("retry-after", wait.parse().unwrap());
                        }
                        (status, headers, "thanks")
                    }
                },
            ),
        );
        tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("the receiver serves");
        });
        receiver
    }

    /// Every request so far, in the order they came.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// What the Standard Webhooks verifier said of one request.
#[derive(Debug, serde::Deserialize)]
pub struct WebhookVerdict {
    pub ok: bool,
    #[serde(default)]
    pub payload: Option<Value>,
    #[serde(default)]
    pub error: Option<String>,
    /// Why the payload does not meet its type's schema in `openapi.json`; `None` when it does.
    #[serde(default)]
    pub schema_error: Option<String>,
}

/// Verifies `requests` with `secret` through the PyPI `standardwebhooks` library
/// (`tests/verifiers/verify_webhooks.py`); `scripts/test` installs it and sets
/// `USHER_TEST_PYTHON`. Without it the test fails, it never skips.
pub async fn verify_webhooks(secret: &str, requests: &[Received]) -> Vec<WebhookVerdict> {
    verify_webhooks_at(secret, requests, None).await
}

/// As [`verify_webhooks`], with the verifier's clock at `now` (for a test that moved its own).
pub async fn verify_webhooks_at(
    secret: &str,
    requests: &[Received],
    now: Option<chrono::DateTime<chrono::Utc>>,
) -> Vec<WebhookVerdict> {
    let request = json!({
        "secret": secret,
        "now": now.map(|t| t.timestamp()),
        "requests": requests.iter().map(|r| json!({
            "headers": r.headers,
            "body": String::from_utf8_lossy(&r.body),
        })).collect::<Vec<_>>(),
    });
    super::tokens::run_verifier("verify_webhooks.py", request).await
}

/// How a [`BadReceiver`] misbehaves.
#[derive(Clone, Debug)]
pub enum Misbehaviour {
    /// `302 Found` to this URL.
    Redirect(String),
    /// `200 OK` with a body of this many bytes.
    HugeBody(usize),
    /// Reads the request and never answers.
    Hang,
    /// `200 OK`, after this long.
    Slow(std::time::Duration),
}

/// A receiver on `127.0.0.1` that answers every request the same wrong way, written byte by byte
/// so nothing in between tidies it up; counts the requests it got.
#[derive(Clone)]
pub struct BadReceiver {
    pub url: String,
    requests: Arc<std::sync::atomic::AtomicUsize>,
}

impl BadReceiver {
    pub async fn start(misbehaviour: Misbehaviour) -> Self {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the receiver");
        let receiver = Self {
            url: format!(
                "http://{}/hooks",
                listener.local_addr().expect("its address")
            ),
            requests: Arc::default(),
        };
        let requests = receiver.requests.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let requests = requests.clone();
                let misbehaviour = misbehaviour.clone();
                tokio::spawn(async move {
                    // The request's head and body: enough to know it came.
                    let mut buffer = vec![0u8; 64 * 1024];
                    let _ = stream.read(&mut buffer).await;
                    requests.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    match misbehaviour {
                        Misbehaviour::Redirect(to) => {
                            let head = format!(
                                "HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                            );
                            let _ = stream.write_all(head.as_bytes()).await;
                        }
                        Misbehaviour::HugeBody(size) => {
                            let head = format!(
                                "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {size}\r\nconnection: close\r\n\r\n"
                            );
                            let _ = stream.write_all(head.as_bytes()).await;
                            let chunk = vec![b'x'; 64 * 1024];
                            let mut left = size;
                            while left > 0 {
                                let n = left.min(chunk.len());
                                if stream.write_all(&chunk[..n]).await.is_err() {
                                    // Usher hung up once it read enough: as it should.
                                    return;
                                }
                                left -= n;
                            }
                        }
                        Misbehaviour::Slow(wait) => {
                            tokio::time::sleep(wait).await;
                            let _ = stream
                                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                                .await;
                        }
                        Misbehaviour::Hang => {
                            tokio::time::sleep(std::time::Duration::from_secs(120)).await;
                        }
                    }
                });
            }
        });
        receiver
    }

    /// Requests it got so far.
    pub fn requests(&self) -> usize {
        self.requests.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Names the tests move between addresses (a DNS name that turns to a private address between
/// two attempts); other names go to the system's resolver.
#[derive(Default)]
pub struct ScriptedNames {
    names: Mutex<std::collections::HashMap<String, Vec<std::net::IpAddr>>>,
}

impl ScriptedNames {
    /// From now on `name` resolves to `addresses`.
    pub fn point(&self, name: &str, addresses: &[&str]) {
        let addresses = addresses.iter().map(|a| a.parse().unwrap()).collect();
        self.names
            .lock()
            .unwrap()
            .insert(name.to_owned(), addresses);
    }
}

#[async_trait::async_trait]
impl usher_core::usecases::webhooks::guard::HostResolver for ScriptedNames {
    async fn lookup(&self, host: &str, port: u16) -> std::io::Result<Vec<std::net::SocketAddr>> {
        let scripted = self.names.lock().unwrap().get(host).cloned();
        match scripted {
            Some(addresses) => Ok(addresses
                .into_iter()
                .map(|ip| std::net::SocketAddr::new(ip, port))
                .collect()),
            None => {
                usher_core::usecases::webhooks::guard::SystemResolver
                    .lookup(host, port)
                    .await
            }
        }
    }
}
