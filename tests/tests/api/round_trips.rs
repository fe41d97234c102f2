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
        2,
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
        "POST /v1/tenants/{id}/users (existing account)",
        3,
        app.create_user(tenant, &app.owner_token, body(&other_email)),
        StatusCode::CREATED
    );
    pin!(
        "GET /v1/tenants/{id}/users",
        2,
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
    for (route, count) in measured {
        println!("{count}  {route}");
    }
}
