//! Password reset: the links mailed, the pages and the API.

use super::*;

impl TestApp {
    /// Every password link mailed to `to` so far.
    pub async fn reset_links_to(&self, to: &str) -> Vec<String> {
        self.mails_to(to)
            .await
            .into_iter()
            .flat_map(|m| m.links)
            .filter(|l| l.contains("/reset/"))
            .collect()
    }

    /// The one password link mailed to `to`.
    pub async fn reset_link_to(&self, to: &str) -> String {
        let links = self.reset_links_to(to).await;
        assert_eq!(links.len(), 1, "expected one password link for {to}");
        links[0].clone()
    }

    /// The password link mailed to `to` that is not among `before` (mails sent within one tick
    /// of the test clock have no order).
    pub async fn new_reset_link_to(&self, to: &str, before: &[String]) -> String {
        self.reset_links_to(to)
            .await
            .into_iter()
            .find(|l| !before.contains(l))
            .unwrap_or_else(|| panic!("no new password link was mailed to {to}"))
    }

    pub async fn forgot(&self, email: &str) -> Response {
        self.post("/v1/password/forgot", None, json!({"email": email}))
            .await
    }

    /// Asks for a reset link for `email` and returns the token it carries.
    pub async fn reset_token_for(&self, email: &str) -> String {
        let before = self.reset_links_to(email).await;
        assert_eq!(self.forgot(email).await.status(), StatusCode::ACCEPTED);
        token_of(&self.new_reset_link_to(email, &before).await)
    }

    pub async fn reset(&self, token: &str, new_password: &str) -> Response {
        self.post(
            "/v1/password/reset",
            None,
            json!({"token": token, "new_password": new_password}),
        )
        .await
    }

    /// The page of a password link.
    pub async fn reset_page(&self, token: &str) -> Response {
        self.http
            .get(self.url(&format!("/reset/{token}")))
            .send()
            .await
            .expect("the server answers")
    }

    /// An admin's reset of a member's password, in `mode` `link` or `generate`.
    pub async fn admin_reset(
        &self,
        tenant: TenantId,
        user: &str,
        token: &str,
        mode: &str,
    ) -> Response {
        self.post(
            &format!("/v1/tenants/{tenant}/users/{user}/password-reset"),
            Some(token),
            json!({"mode": mode}),
        )
        .await
    }
}
