//! Invitations: sending, the links mailed, accepting.

use super::*;

impl TestApp {
    /// What an invitation link shows without a session: `GET /v1/invitations/{token}`.
    pub async fn invitation_preview(&self, token: &str) -> Response {
        self.http
            .get(self.url(&format!("/v1/invitations/{token}")))
            .send()
            .await
            .unwrap()
    }

    pub async fn invite(&self, tenant: TenantId, token: &str, body: Value) -> Response {
        self.post(
            &format!("/v1/tenants/{tenant}/invitations"),
            Some(token),
            body,
        )
        .await
    }

    /// Invites `email` to the main tenant as its owner; returns the invitation.
    pub async fn invite_to_main(&self, email: &str) -> Value {
        let response = self
            .invite(self.tenant_id, &self.owner_token, json!({"email": email}))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "inviting {email}");
        response.json().await.unwrap()
    }

    /// Every invitation link mailed to `to` so far (not the confirmation links).
    pub async fn invitation_links_to(&self, to: &str) -> Vec<String> {
        self.mails_to(to)
            .await
            .into_iter()
            .flat_map(|m| m.links)
            .filter(|l| l.contains("/invite/") && !l.contains("/invite/confirm/"))
            .collect()
    }

    /// Every link mailed to `to` so far that confirms a registration of that address.
    pub async fn confirmation_links_to(&self, to: &str) -> Vec<String> {
        self.mails_to(to)
            .await
            .into_iter()
            .flat_map(|m| m.links)
            .filter(|l| l.contains("/invite/confirm/"))
            .collect()
    }

    /// The token of the one invitation link mailed to `to`.
    pub async fn invitation_token_for(&self, to: &str) -> String {
        let links = self.invitation_links_to(to).await;
        assert_eq!(links.len(), 1, "expected one invitation link for {to}");
        token_of(&links[0])
    }

    /// `POST /v1/invitations/{token}/accept` with `body`.
    pub async fn accept(&self, token: &str, body: Value) -> Response {
        self.post(&format!("/v1/invitations/{token}/accept"), None, body)
            .await
    }

    /// Registers through the invitation `token` with the invited address and `GOOD_PASSWORD`.
    pub async fn accept_as_new(&self, token: &str) -> Response {
        self.accept(
            token,
            json!({"mode": "new", "first_name": "Ivy", "last_name": "Invitee", "password": GOOD_PASSWORD}),
        )
        .await
    }

    /// Makes the account of `email` (password `password`) a member of `tenant` too, the one way
    /// an existing account joins: `inviter` invites it and the person accepts by signing in.
    /// Returns the password that works afterwards: [`OWN_PASSWORD`] when `password` was one an
    /// admin of another tenant set, which joining replaces.
    pub async fn join_through_invitation(
        &self,
        tenant: TenantId,
        inviter: &str,
        email: &str,
        password: &str,
    ) -> String {
        let response = self.invite(tenant, inviter, json!({"email": email})).await;
        assert_eq!(response.status(), StatusCode::CREATED, "inviting {email}");
        let links = self.invitation_links_to(email).await;
        let token = token_of(links.first().expect("an invitation link"));
        let accept = |new_password: Option<&str>| {
            let mut body = json!({"mode": "existing", "email": email, "password": password});
            if let Some(new_password) = new_password {
                body["new_password"] = new_password.into();
            }
            self.accept(&token, body)
        };
        let response = accept(None).await;
        if response.status() == StatusCode::CONFLICT {
            // A password an admin of another tenant set: joining takes one of the person's own.
            assert_problem(response, StatusCode::CONFLICT, "new_password_required").await;
            let response = accept(Some(OWN_PASSWORD)).await;
            assert_eq!(response.status(), StatusCode::OK, "{email} joining");
            return OWN_PASSWORD.to_owned();
        }
        assert_eq!(response.status(), StatusCode::OK, "{email} joining");
        password.to_owned()
    }
}
