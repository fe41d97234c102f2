//! The SCIM endpoint as an identity provider calls it.

use super::*;

/// A tenant's SCIM endpoint and a token for it.
#[derive(Clone, Debug)]
pub struct ScimEndpoint {
    pub tenant: TenantId,
    /// The Tenant URL (`{base}/scim/v2/{tenant}`).
    pub url: String,
    pub token: String,
    pub token_id: String,
}

/// What the conformance tools found (see `tests/verifiers/verify_scim.py`).
#[derive(Debug, serde::Deserialize)]
pub struct ScimConformance {
    pub scim2_tester: ToolVerdict,
    pub scim_sanity: SanityVerdict,
}

#[derive(Debug, serde::Deserialize)]
pub struct ToolVerdict {
    pub passed: usize,
    pub skipped: usize,
    pub failed: Vec<Value>,
}

#[derive(Debug, serde::Deserialize)]
pub struct SanityVerdict {
    pub exit_code: i32,
    pub summary: String,
    pub failed: Vec<String>,
}

/// A `PATCH` body of `operations`.
pub fn scim_patch(operations: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations})
}

/// `path` with `filter` as its query's filter, encoded.
pub fn with_filter(path: &str, filter: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(filter.as_bytes()).collect();
    let separator = if path.contains('?') { '&' } else { '?' };
    format!("{path}{separator}filter={encoded}")
}

/// Runs scim2-tester and scim-sanity against `endpoint`.
pub async fn run_scim_conformance(endpoint: &ScimEndpoint) -> ScimConformance {
    tokens::run_verifier(
        "verify_scim.py",
        json!({"url": endpoint.url, "token": endpoint.token}),
    )
    .await
}

impl TestApp {
    /// Turns SCIM on in `tenant` and makes a token, as its owner (`owner_token`). The tests'
    /// clock stands still, so their requests all fall in one second: the rate is the highest.
    pub async fn scim_on(&self, tenant: TenantId, owner_token: &str) -> ScimEndpoint {
        let response = self
            .request(
                reqwest::Method::PATCH,
                &format!("/v1/tenants/{tenant}/scim"),
                Some(owner_token),
                Some(json!({"enabled": true, "requests_per_second": 1000})),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "turning SCIM on");
        let response = self
            .post(
                &format!("/v1/tenants/{tenant}/scim/tokens"),
                Some(owner_token),
                json!({"name": "Identity provider"}),
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "making a SCIM token"
        );
        let created: Value = response.json().await.unwrap();
        ScimEndpoint {
            tenant,
            url: created["tenant_url"].as_str().unwrap().to_owned(),
            token: created["secret"].as_str().unwrap().to_owned(),
            token_id: created["id"].as_str().unwrap().to_owned(),
        }
    }

    /// SCIM on in the main tenant.
    pub async fn main_scim(&self) -> ScimEndpoint {
        self.scim_on(self.tenant_id, &self.owner_token.clone())
            .await
    }

    /// A SCIM request (`path` under the Tenant URL) with `token`: its status, its
    /// `Content-Type` and its JSON body (`Null` when it has none).
    pub async fn scim_with(
        &self,
        endpoint: &ScimEndpoint,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Option<String>, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", endpoint.url))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("a JSON answer")
        };
        (status, content_type, body)
    }

    /// A SCIM request with the endpoint's own token: its status and JSON body.
    pub async fn scim(
        &self,
        endpoint: &ScimEndpoint,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let (status, _, body) = self
            .scim_with(endpoint, &endpoint.token, method, path, body)
            .await;
        (status, body)
    }

    /// `POST /Users` of a person with `user_name` (an email), answered 201; their User.
    pub async fn scim_user(&self, endpoint: &ScimEndpoint, user_name: &str) -> Value {
        let (status, body) = self
            .scim(
                endpoint,
                reqwest::Method::POST,
                "/Users",
                Some(json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": user_name,
                    "name": {"givenName": "Sara", "familyName": "Synced"},
                    "emails": [{"value": user_name, "type": "work", "primary": true}],
                    "active": true,
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "creating {user_name}: {body}");
        body
    }
}
