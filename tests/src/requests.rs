//! Plain requests and what the table holds.

use super::*;

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
                first_password: FirstPassword::Generate,
                options: TenantOptions::default(),
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

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.request(reqwest::Method::POST, path, token, Some(body))
            .await
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

    /// The entries of the audit-log page at `path` (a `.../events` listing), read as `token`.
    pub async fn log_entries(&self, path: &str, token: &str) -> Vec<Value> {
        let response = self.get(path, token).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let page: Value = response.json().await.unwrap();
        page["items"].as_array().unwrap().clone()
    }
}
