//! Creating, finding and archiving users.

use super::*;

impl TestApp {
    pub async fn create_user(&self, tenant: TenantId, token: &str, body: Value) -> Response {
        self.post(&format!("/v1/tenants/{tenant}/users"), Some(token), body)
            .await
    }

    /// Creates a member of the main tenant with a generated password; returns that password.
    pub async fn user_with_generated_password(&self, email: &str) -> String {
        let response = self
            .create_user(
                self.tenant_id,
                &self.owner_token,
                json!({"email": email, "first_name": "Tom", "last_name": "Temp", "role": "member",
                       "password": {"mode": "generate"}}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        body["generated_password"].as_str().unwrap().to_owned()
    }

    /// Creates a user with `GOOD_PASSWORD` and returns their account id and a session token.
    pub async fn member(
        &self,
        tenant: TenantId,
        role: &str,
        permissions: &[&str],
    ) -> (String, String, String) {
        let email = format!(
            "m-{}@example.org",
            ulid::Ulid::new().to_string().to_lowercase()
        );
        let response = self
            .create_user(
                tenant,
                &self.owner_token_for(tenant).await,
                json!({"email": email, "first_name": "Mia", "last_name": "Member", "role": role,
                       "permissions": permissions, "password": {"mode": "set", "value": GOOD_PASSWORD}}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        let token = self.sign_in_token(&email, GOOD_PASSWORD).await;
        (
            body["user"]["id"].as_str().unwrap().to_owned(),
            email,
            token,
        )
    }

    async fn owner_token_for(&self, tenant: TenantId) -> String {
        assert_eq!(
            tenant, self.tenant_id,
            "member() creates users in the main test tenant"
        );
        self.owner_token.clone()
    }

    /// The account id behind a session token.
    pub async fn account_id_of(&self, token: &str) -> String {
        let me: Value = self.get("/v1/me", token).await.json().await.unwrap();
        me["account"]["id"].as_str().unwrap().to_owned()
    }

    /// `POST /v1/tenants/{tenant}/invitations` with `body`.
    /// The member of the main tenant with `email` (any letter case), as the owner lists it.
    pub async fn user_by_email(&self, email: &str) -> Option<Value> {
        let page: Value = self
            .get(
                &format!("/v1/tenants/{}/users?email={email}", self.tenant_id),
                &self.owner_token,
            )
            .await
            .json()
            .await
            .unwrap();
        page["items"].as_array().unwrap().first().cloned()
    }

    /// Archives the member `user_id` of the main tenant, as its owner.
    pub async fn archive(&self, user_id: &str) {
        let archived = self
            .request(
                reqwest::Method::POST,
                &format!("/v1/tenants/{}/users/{user_id}/archive", self.tenant_id),
                Some(&self.owner_token),
                None,
            )
            .await;
        assert_eq!(archived.status(), StatusCode::OK);
    }
}
