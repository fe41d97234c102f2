//! Self-service sign-up: its requests and the links it mails.

use super::*;

impl TestApp {
    pub async fn sign_up(&self, email: &str, locale: &str) -> Response {
        self.post(
            "/v1/signup",
            None,
            json!({"email": email, "locale": locale}),
        )
        .await
    }

    /// Every sign-up link mailed to `to` so far.
    pub async fn signup_links_to(&self, to: &str) -> Vec<String> {
        self.mails_to(to)
            .await
            .into_iter()
            .flat_map(|m| m.links)
            .filter(|l| l.contains("/signup/"))
            .collect()
    }

    /// Completes the sign-up of `token` as Ada Lovelace with `GOOD_PASSWORD`, naming the
    /// organisation `organisation`.
    pub async fn complete_signup(&self, token: &str, organisation: &str) -> Response {
        self.post(
            "/v1/signup/complete",
            None,
            json!({"token": token, "first_name": "Ada", "last_name": "Lovelace",
                   "organisation": organisation, "password": GOOD_PASSWORD}),
        )
        .await
    }
}
