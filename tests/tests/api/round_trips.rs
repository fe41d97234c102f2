//! DynamoDB round trips per route, pinned: a regression in the access pattern fails here. The
//! budget is one batch read and one transaction; the routes above two say why in their use case
//! (and in the README).

use reqwest::{Method, StatusCode};
use serde_json::json;
use usher_tests::{GOOD_PASSWORD, spawn_app, token_of};

#[tokio::test]
async fn each_route_makes_the_pinned_number_of_round_trips() {
    let app = spawn_app().await;
    let tenant = app.tenant_id;
    let (_, other_email, _) = app.new_tenant("Other").await;
    app.counter.take();

    let mut measured = Vec::new();
    macro_rules! pin {
        ($name:expr, $expected:expr, $call:expr, $status:expr) => {{
            let response = $call.await;
            assert_eq!(response.status(), $status, "{}", $name);
            let count = app.counter.take();
            measured.push(($name.to_string(), count));
            assert_eq!(count, $expected, "{} made {count} round trips", $name);
        }};
    }

    pin!(
        "POST /v1/sessions",
        4,
        app.sign_in(&app.owner_email, GOOD_PASSWORD),
        StatusCode::CREATED
    );
    pin!(
        "POST /v1/sessions (wrong password)",
        3,
        app.sign_in(&app.owner_email, "wrong password here"),
        StatusCode::UNAUTHORIZED
    );
    pin!(
        "GET /v1/me",
        3,
        app.get("/v1/me", &app.owner_token),
        StatusCode::OK
    );
    pin!(
        "GET /v1/tenants/{id}",
        1,
        app.get(&format!("/v1/tenants/{tenant}"), &app.owner_token),
        StatusCode::OK
    );
    pin!(
        "PATCH /v1/tenants/{id}/settings",
        2,
        app.request(
            Method::PATCH,
            &format!("/v1/tenants/{tenant}/settings"),
            Some(&app.owner_token),
            Some(json!({"members_can_invite": true}))
        ),
        StatusCode::OK
    );
    let body = |email: &str| json!({"email": email, "first_name": "R", "last_name": "T", "role": "member", "password": {"mode": "link"}});
    pin!(
        "POST /v1/tenants/{id}/users (new account)",
        2,
        app.create_user(tenant, &app.owner_token, body("rt@example.org")),
        StatusCode::CREATED
    );
    pin!(
        "POST /v1/tenants/{id}/users (existing account: an invitation)",
        3,
        app.create_user(tenant, &app.owner_token, body(&other_email)),
        StatusCode::ACCEPTED
    );
    pin!(
        "GET /v1/tenants/{id}/users",
        3,
        app.get(&format!("/v1/tenants/{tenant}/users"), &app.owner_token),
        StatusCode::OK
    );
    let owner_id = app.account_id_of(&app.owner_token).await;
    app.counter.take();
    pin!(
        "GET /v1/tenants/{id}/users/{id}",
        1,
        app.get(
            &format!("/v1/tenants/{tenant}/users/{owner_id}"),
            &app.owner_token
        ),
        StatusCode::OK
    );
    // The set-password link of the user created above in mode `link`.
    let link = app.reset_link_to("rt@example.org").await;
    app.counter.take();
    pin!(
        "POST /v1/password/forgot (the job runs after the answer)",
        1,
        app.forgot("rt@example.org"),
        StatusCode::ACCEPTED
    );
    pin!(
        "GET /reset/{token}",
        3,
        async { app.http.get(&link).send().await.unwrap() },
        StatusCode::OK
    );
    pin!(
        "POST /v1/password/reset",
        4,
        app.reset(&token_of(&link), "saffron glacier 17 pendulum"),
        StatusCode::NO_CONTENT
    );
    let (member_id, _, _) = app.member(tenant, "member", &[]).await;
    app.counter.take();
    for mode in ["link", "generate"] {
        pin!(
            format!("POST /v1/tenants/{{id}}/users/{{id}}/password-reset ({mode})"),
            4,
            app.post(
                &format!("/v1/tenants/{tenant}/users/{member_id}/password-reset"),
                Some(&app.owner_token),
                json!({"mode": mode})
            ),
            if mode == "link" {
                StatusCode::ACCEPTED
            } else {
                StatusCode::OK
            }
        );
    }
    let token = app.sign_in_token(&app.owner_email, GOOD_PASSWORD).await;
    app.counter.take();
    pin!(
        "PUT /v1/me/password",
        4,
        app.change_password(&token, GOOD_PASSWORD, "saffron glacier 17 pendulum"),
        StatusCode::NO_CONTENT
    );
    pin!(
        "DELETE /v1/sessions/current",
        1,
        app.request(Method::DELETE, "/v1/sessions/current", Some(&token), None),
        StatusCode::NO_CONTENT
    );
    let token = app
        .sign_in_token(&app.owner_email, "saffron glacier 17 pendulum")
        .await;
    app.counter.take();
    let invitations = format!("/v1/tenants/{tenant}/invitations");
    pin!(
        "POST /v1/tenants/{id}/invitations (new email)",
        2,
        app.invite(tenant, &token, json!({"email": "rt-invitee@example.org"})),
        StatusCode::CREATED
    );
    let (_, third_email, _) = app.new_tenant("Third").await;
    // Listed newest first: the third's invitation is the newest by a second.
    app.clock.advance(chrono::Duration::seconds(1));
    app.counter.take();
    pin!(
        "POST /v1/tenants/{id}/invitations (email with an account)",
        3,
        app.invite(tenant, &token, json!({"email": third_email})),
        StatusCode::CREATED
    );
    pin!(
        "GET /v1/tenants/{id}/invitations",
        2,
        app.get(&invitations, &token),
        StatusCode::OK
    );
    let listed: serde_json::Value = app.get_json(&invitations, &token).await;
    let id = listed["items"][0]["id"].as_str().unwrap().to_owned();
    app.counter.take();
    pin!(
        "GET /v1/tenants/{id}/invitations/{id}",
        1,
        app.get(&format!("{invitations}/{id}"), &token),
        StatusCode::OK
    );
    pin!(
        "POST /v1/tenants/{id}/invitations/{id}/resend",
        2,
        app.post(
            &format!("{invitations}/{id}/resend"),
            Some(&token),
            json!({})
        ),
        StatusCode::OK
    );
    let invitee = app.invitation_token_for("rt-invitee@example.org").await;
    // The resend above replaced the link of the newest invitation (the third tenant's owner's):
    // the link that still works is the one to accept with.
    let mut third_link = None;
    for link in app.invitation_links_to(&third_email).await {
        let preview = app.invitation_preview(&token_of(&link)).await;
        if preview.status() == StatusCode::OK {
            third_link = Some(token_of(&link));
        }
    }
    let third_link = third_link.expect("the resent link works");
    app.counter.take();
    pin!(
        "GET /v1/invitations/{token}",
        2,
        async { app.invitation_preview(&invitee).await },
        StatusCode::OK
    );
    pin!(
        "GET /invite/{token}",
        2,
        async {
            app.http
                .get(app.url(&format!("/invite/{invitee}")))
                .send()
                .await
                .unwrap()
        },
        StatusCode::OK
    );
    pin!(
        "POST /v1/invitations/{token}/accept (new account)",
        3,
        app.accept_as_new(&invitee),
        StatusCode::OK
    );
    pin!(
        "POST /v1/invitations/{token}/accept (sign in: the reservation runs beside the reads)",
        4,
        app.accept(
            &third_link,
            json!({"mode": "existing", "email": third_email, "password": GOOD_PASSWORD})
        ),
        StatusCode::OK
    );
    let (_, fourth_email, fourth_token) = app.new_tenant("Fourth").await;
    app.invite(tenant, &token, json!({"email": fourth_email}))
        .await;
    let fourth = app.invitation_links_to(&fourth_email).await;
    app.counter.take();
    let url = app.url(&format!("/v1/invitations/{}/accept", token_of(&fourth[0])));
    pin!(
        "POST /v1/invitations/{token}/accept (session)",
        3,
        async {
            app.http
                .post(&url)
                .bearer_auth(&fourth_token)
                .send()
                .await
                .unwrap()
        },
        StatusCode::OK
    );
    let doomed: serde_json::Value = app
        .invite(tenant, &token, json!({"email": "rt-doomed@example.org"}))
        .await
        .json()
        .await
        .unwrap();
    let doomed = doomed["id"].as_str().unwrap().to_owned();
    app.counter.take();
    pin!(
        "DELETE /v1/tenants/{id}/invitations/{id}",
        2,
        app.request(
            Method::DELETE,
            &format!("{invitations}/{doomed}"),
            Some(&token),
            None
        ),
        StatusCode::NO_CONTENT
    );
    pin!(
        "GET /v1/tenants/{id}/events",
        2,
        app.get(&format!("/v1/tenants/{tenant}/events"), &token),
        StatusCode::OK
    );
    pin!(
        "GET /v1/tenants/{id}/users/{id}/events",
        2,
        app.get(
            &format!("/v1/tenants/{tenant}/users/{owner_id}/events"),
            &token
        ),
        StatusCode::OK
    );
    let lifer_email = "rt-lifer@example.org";
    let created: serde_json::Value = app
        .create_user(
            tenant,
            &token,
            json!({"email": lifer_email, "first_name": "L", "last_name": "F", "role": "member",
                   "password": {"mode": "set", "value": GOOD_PASSWORD}}),
        )
        .await
        .json()
        .await
        .unwrap();
    let lifer = created["user"]["id"].as_str().unwrap().to_owned();
    app.counter.take();
    let user = format!("/v1/tenants/{tenant}/users/{lifer}");
    pin!(
        "PATCH /v1/tenants/{id}/users/{id} (membership fields)",
        2,
        app.request(
            Method::PATCH,
            &user,
            Some(&token),
            Some(json!({"auto_tickets": false}))
        ),
        StatusCode::OK
    );
    pin!(
        "PATCH /v1/tenants/{id}/users/{id} (the person's own fields: their tenants are read)",
        3,
        app.request(
            Method::PATCH,
            &user,
            Some(&token),
            Some(json!({"first_name": "Lia"}))
        ),
        StatusCode::OK
    );
    pin!(
        "POST /v1/tenants/{id}/users/{id}/access (revoke)",
        2,
        app.post(
            &format!("{user}/access"),
            Some(&token),
            json!({"enabled": false})
        ),
        StatusCode::OK
    );
    pin!(
        "POST /v1/tenants/{id}/users/{id}/access (grant: the login item says which mail)",
        3,
        app.post(
            &format!("{user}/access"),
            Some(&token),
            json!({"enabled": true})
        ),
        StatusCode::OK
    );
    pin!(
        "POST /v1/tenants/{id}/users/{id}/archive",
        2,
        app.post(&format!("{user}/archive"), Some(&token), json!({})),
        StatusCode::OK
    );
    pin!(
        "POST /v1/tenants/{id}/users/{id}/restore",
        2,
        app.post(&format!("{user}/restore"), Some(&token), json!({})),
        StatusCode::OK
    );
    let lifer_session = app.sign_in_token(lifer_email, GOOD_PASSWORD).await;
    app.counter.take();
    pin!(
        "PATCH /v1/me (the account, its tenants, their memberships, one transaction)",
        4,
        app.request(
            Method::PATCH,
            "/v1/me",
            Some(&lifer_session),
            Some(json!({"last_name": "Lopez"}))
        ),
        StatusCode::OK
    );
    pin!(
        "GET /v1/me/sessions (the caller and the list side by side, then the sessions)",
        3,
        app.get("/v1/me/sessions", &lifer_session),
        StatusCode::OK
    );
    pin!(
        "POST /v1/sessions/current/token (the first: the keyring is made)",
        2,
        app.mint_token(&token, tenant),
        StatusCode::OK
    );
    pin!(
        "POST /v1/sessions/current/token",
        1,
        app.mint_token(&token, tenant),
        StatusCode::OK
    );
    pin!(
        "GET /.well-known/jwks.json",
        1,
        async {
            app.http
                .get(app.url("/.well-known/jwks.json"))
                .send()
                .await
                .unwrap()
        },
        StatusCode::OK
    );
    pin!(
        "GET /.well-known/openid-configuration",
        0,
        async {
            app.http
                .get(app.url("/.well-known/openid-configuration"))
                .send()
                .await
                .unwrap()
        },
        StatusCode::OK
    );
    pin!(
        "DELETE /v1/tenants/{id}/users/{id}/sessions",
        2,
        app.request(
            Method::DELETE,
            &format!("{user}/sessions"),
            Some(&token),
            None
        ),
        StatusCode::NO_CONTENT
    );
    pin!(
        "DELETE /v1/me/sessions?except=current",
        2,
        app.request(
            Method::DELETE,
            "/v1/me/sessions?except=current",
            Some(&lifer_session),
            None
        ),
        StatusCode::NO_CONTENT
    );
    for (route, count) in measured {
        println!("{count}  {route}");
    }
}
