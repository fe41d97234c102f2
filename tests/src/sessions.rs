//! Signing in and changing passwords.

use super::*;

impl TestApp {
    pub async fn sign_in(&self, email: &str, password: &str) -> Response {
        self.post(
            "/v1/sessions",
            None,
            json!({"email": email, "password": password}),
        )
        .await
    }

    pub async fn sign_in_token(&self, email: &str, password: &str) -> String {
        let response = self.sign_in(email, password).await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "sign-in of {email} failed"
        );
        let body: Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    pub async fn change_password(&self, token: &str, current: &str, new: &str) -> Response {
        self.request(
            reqwest::Method::PUT,
            "/v1/me/password",
            Some(token),
            Some(json!({"current_password": current, "new_password": new})),
        )
        .await
    }
}
