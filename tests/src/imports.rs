//! CSV imports.

use super::*;

impl TestApp {
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
        self.import_all_with("", file).await
    }

    /// [`import_all`](Self::import_all) with a query string (`?create_missing_teams=true`).
    pub async fn import_all_with(&self, query: &str, file: &str) -> Value {
        let response = self
            .import_csv(self.tenant_id, &self.owner_token, query, file)
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
}
