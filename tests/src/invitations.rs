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
    pub async fn join_through_invitation(
        &self,
        tenant: TenantId,
        inviter: &str,
        email: &str,
        password: &str,
    ) {
        let response = self.invite(tenant, inviter, json!({"email": email})).await;
        assert_eq!(response.status(), StatusCode::CREATED, "inviting {email}");
        let links = self.invitation_links_to(email).await;
        let link = links.first().expect("an invitation link");
        let response = self
            .accept(
                &token_of(link),
                json!({"mode": "existing", "email": email, "password": password}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{email} joining");
    }
}
