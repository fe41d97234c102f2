//! Teams.

use super::*;

impl TestApp {
    /// Makes a team in the main tenant as its owner, under `parent` with `permissions`; returns
    /// its id.
    pub async fn make_team(
        &self,
        name: &str,
        parent: Option<&str>,
        permissions: &[&str],
    ) -> String {
        let response = self
            .post(
                &format!("/v1/tenants/{}/teams", self.tenant_id),
                Some(&self.owner_token),
                json!({"name": name, "parent_id": parent, "permissions": permissions}),
            )
            .await;
        team_id_of(response, name).await
    }

    /// Makes a root team in `tenant` with `token`; returns its id.
    pub async fn make_team_in(&self, tenant: TenantId, token: &str, name: &str) -> String {
        let response = self
            .post(
                &format!("/v1/tenants/{tenant}/teams"),
                Some(token),
                json!({"name": name}),
            )
            .await;
        team_id_of(response, name).await
    }
}

async fn team_id_of(response: Response, name: &str) -> String {
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "making the team {name}"
    );
    let body: Value = response.json().await.expect("a team");
    body["id"].as_str().expect("its id").to_owned()
}
