//! Access tokens: minting them, and verifying them with verifiers not written here.

use super::*;

impl TestApp {
    /// `POST /v1/sessions/current/token` for `tenant` with the session `token`.
    pub async fn mint_token(&self, token: &str, tenant: TenantId) -> Response {
        self.post(
            "/v1/sessions/current/token",
            Some(token),
            json!({"tenant_id": tenant.to_string()}),
        )
        .await
    }

    /// A minted access token (the request must succeed).
    pub async fn access_token(&self, token: &str, tenant: TenantId) -> String {
        let response = self.mint_token(token, tenant).await;
        assert_eq!(response.status(), StatusCode::OK, "minting a token");
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// Sets the test clock a little behind the real one: verifiers not written here check a
    /// token's `iat` and `exp` against the real time, and the harness's clock starts ahead of it.
    pub fn clock_behind_real_time(&self) {
        use usher_core::clock::Clock;
        let behind = chrono::Utc::now() - chrono::Duration::seconds(2);
        self.clock.advance(behind - self.clock.now());
    }

    /// The issuer (and default audience) of this server's tokens.
    pub fn issuer(&self) -> String {
        self.app.config.issuer().to_owned()
    }
}

/// What PyJWT said of one token.
#[derive(Debug, serde::Deserialize)]
pub struct PyJwtVerdict {
    pub ok: bool,
    #[serde(default)]
    pub claims: Option<Value>,
    #[serde(default)]
    pub kid: Option<String>,
    /// PyJWT's exception class, when it refused the token.
    #[serde(default)]
    pub error: Option<String>,
}

/// Verifies `tokens` with PyJWT (`tests/verifiers/verify_jwt.py`), which fetches the keys from
/// `{issuer}/.well-known/jwks.json` itself. `scripts/test` installs it and sets
/// `USHER_TEST_PYTHON`; without it the test fails, it never skips. Runs off the test's thread,
/// which serves the JWKS PyJWT fetches.
pub async fn pyjwt_verify(
    issuer: &str,
    audience: &str,
    tokens: &[&str],
    verify_exp: bool,
) -> Vec<PyJwtVerdict> {
    let request = json!({
        "jwks_url": format!("{issuer}/.well-known/jwks.json"),
        "issuer": issuer,
        "audience": audience,
        "tokens": tokens,
        "verify_exp": verify_exp,
    });
    run_verifier("verify_jwt.py", request).await
}

/// Runs `tests/verifiers/{script}` with `request` on its stdin and reads its verdicts from its
/// stdout, off the test's thread (which may serve what the verifier fetches). `scripts/test`
/// installs the verifiers and sets `USHER_TEST_PYTHON`; without it the test fails, it never
/// skips.
pub(crate) async fn run_verifier<T: serde::de::DeserializeOwned + Send + 'static>(
    script: &'static str,
    request: Value,
) -> T {
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let python = std::env::var("USHER_TEST_PYTHON").expect(
            "USHER_TEST_PYTHON must name the verifiers' Python: run the tests with ./scripts/test",
        );
        let path = format!("{}/verifiers/{script}", env!("CARGO_MANIFEST_DIR"));
        let mut child = std::process::Command::new(python)
            .arg(path)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("starting the verifier");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(request.to_string().as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "the verifier {script} failed to run"
        );
        serde_json::from_slice(&output.stdout).expect("the verifier's verdicts")
    })
    .await
    .unwrap()
}

impl TestApp {
    /// A new operator key with `scopes` (e.g. `["tenants.create"]`): its id and secret.
    pub async fn operator_key(&self, scopes: &[&str]) -> (String, String) {
        let scopes = scopes
            .iter()
            .map(|s| usher_core::records::OperatorScope::parse(s).expect("a scope"))
            .collect();
        let created = usher_core::usecases::operator_keys::create(&self.app, "Back office", scopes)
            .await
            .unwrap();
        (created.entry.id.to_string(), created.secret.expose())
    }
}

impl TestApp {
    /// A tenant API key made with the session `token` in `tenant`: its id and secret.
    pub async fn api_key(
        &self,
        token: &str,
        tenant: TenantId,
        permissions: &[&str],
    ) -> (String, String) {
        let response = self
            .post(
                &format!("/v1/tenants/{tenant}/api-keys"),
                Some(token),
                json!({"name": "Backend", "permissions": permissions}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "making a key");
        let body: Value = response.json().await.unwrap();
        (
            body["id"].as_str().unwrap().to_owned(),
            body["secret"].as_str().unwrap().to_owned(),
        )
    }
}
