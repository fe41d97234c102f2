//! Resets an admin starts: a link by mail or a temporary password, who may reset whom, and the
//! limits on the mail they cause.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use usher_tests::{GOOD_PASSWORD, assert_problem, spawn_app, spawn_app_with_config, token_of};

use super::password_reset::{NEW_PASSWORD, events};

#[tokio::test]
async fn an_admin_mails_a_reset_link_that_works_for_a_day() {
    let app = spawn_app().await;
    let (member_id, member, _) = app.member(app.tenant_id, "member", &[]).await;
    let response = app
        .admin_reset(app.tenant_id, &member_id, &app.owner_token, "link")
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let mails = app.mails_to(&member).await;
    assert_eq!(
        mails[0].mail.subject,
        "Reset your password for Comune di Forlì"
    );
    assert!(mails[0].mail.text.contains("expires in 24 hours"));
    let token = token_of(&app.reset_link_to(&member).await);

    let recorded = events(&app, app.tenant_id, "password.reset_by_admin").await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0]["details"]["mode"], "link");
    assert_ne!(recorded[0]["actor_id"], member_id);

    app.clock.advance(Duration::hours(23));
    let page = app.reset_page(&token).await;
    assert_eq!(page.status(), StatusCode::OK);
    app.clock.advance(Duration::hours(2));
    assert_problem(
        app.reset(&token, NEW_PASSWORD).await,
        StatusCode::GONE,
        "token_expired",
    )
    .await;
}

#[tokio::test]
async fn an_admin_generates_a_temporary_password_for_an_account_of_this_tenant_alone() {
    let app = spawn_app().await;
    let (member_id, member, session) = app.member(app.tenant_id, "member", &[]).await;
    let response = app
        .admin_reset(app.tenant_id, &member_id, &app.owner_token, "generate")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let temporary = body["generated_password"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get("/v1/me", &session).await.status(),
        StatusCode::UNAUTHORIZED,
        "every session ended"
    );
    assert_eq!(
        app.sign_in(&member, GOOD_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let signed_in: Value = app.sign_in(&member, &temporary).await.json().await.unwrap();
    assert_eq!(signed_in["password_change_required"], true);
    let mails = app.mails_to(&member).await;
    assert_eq!(
        mails[0].mail.subject,
        "Your password for Comune di Forlì was reset"
    );
    assert!(!mails[0].mail.text.contains(&temporary));

    // Once the person is also in another tenant, only a link will do.
    let (second, _, second_owner) = app.new_tenant("Help Desk").await;
    let own = app
        .join_through_invitation(second, &second_owner, &member, &temporary)
        .await;
    let response = app
        .admin_reset(app.tenant_id, &member_id, &app.owner_token, "generate")
        .await;
    assert_problem(response, StatusCode::CONFLICT, "account_shared").await;
    // Joining replaced the password the admin had generated with one of the person's own.
    assert_eq!(own, usher_tests::OWN_PASSWORD);
    let signed_in: Value = app.sign_in(&member, &own).await.json().await.unwrap();
    assert!(signed_in["token"].is_string(), "nothing changed");
    assert_eq!(
        app.sign_in(&member, &temporary).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn who_may_reset_whom() {
    let app = spawn_app().await;
    let (admin_id, _, admin) = app.member(app.tenant_id, "admin", &[]).await;
    let (manager_id, _, manager) = app.member(app.tenant_id, "member", &["users.manage"]).await;
    let (_, _, member) = app.member(app.tenant_id, "member", &[]).await;
    let (other_member_id, _, _) = app.member(app.tenant_id, "member", &[]).await;
    let owner_id = app.account_id_of(&app.owner_token).await;
    let reset = |token: String, user: String| {
        let app = &app;
        async move { app.admin_reset(app.tenant_id, &user, &token, "link").await }
    };

    assert_eq!(
        reset(manager.clone(), other_member_id.clone())
            .await
            .status(),
        StatusCode::ACCEPTED
    );
    assert_problem(
        reset(manager.clone(), admin_id.clone()).await,
        StatusCode::FORBIDDEN,
        "role_not_allowed",
    )
    .await;
    assert_problem(
        reset(admin.clone(), owner_id.clone()).await,
        StatusCode::FORBIDDEN,
        "role_not_allowed",
    )
    .await;
    assert_eq!(
        reset(admin.clone(), manager_id.clone()).await.status(),
        StatusCode::ACCEPTED
    );
    // Nobody, not even an owner, resets their own password here: that needs the current one.
    assert_problem(
        reset(app.owner_token.clone(), owner_id.clone()).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        reset(member.clone(), other_member_id.clone()).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        reset(app.owner_token.clone(), ulid::Ulid::new().to_string()).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

/// Point 2: the admin route never resets the caller's own password, in either mode.
#[tokio::test]
async fn nobody_resets_their_own_password_through_the_admin_route() {
    let app = spawn_app().await;
    let owner_id = app.account_id_of(&app.owner_token).await;
    let (admin_id, _, admin) = app.member(app.tenant_id, "admin", &[]).await;
    let (manager_id, _, manager) = app.member(app.tenant_id, "member", &["users.manage"]).await;
    // The members' arrivals are done (their webhook events fanned out).
    app.dispatch_all_pending().await;
    for (id, token) in [
        (&owner_id, &app.owner_token),
        (&admin_id, &admin),
        (&manager_id, &manager),
    ] {
        for mode in ["generate", "link"] {
            let response = app.admin_reset(app.tenant_id, id, token, mode).await;
            let body = assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
            assert!(body["detail"].as_str().unwrap().contains("/v1/me/password"));
        }
    }
    // Nothing changed: the owner still signs in with the old password, no mail went out.
    assert_eq!(
        app.sign_in(&app.owner_email, GOOD_PASSWORD).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(app.dispatch_all_pending().await, 0);
}

/// Point 3: a users.manage member cannot reset a member holding a permission they lack.
#[tokio::test]
async fn a_manager_cannot_reset_a_member_with_a_permission_beyond_their_own() {
    let app = spawn_app().await;
    app.settings(json!({"permission_catalog": [{"name": "billing.view", "label": "Billing"}]}))
        .await;
    let (_, _, manager) = app.member(app.tenant_id, "member", &["users.manage"]).await;
    let (billing_id, billing_email, _) =
        app.member(app.tenant_id, "member", &["billing.view"]).await;
    for mode in ["generate", "link"] {
        let response = app
            .admin_reset(app.tenant_id, &billing_id, &manager, mode)
            .await;
        assert_problem(response, StatusCode::FORBIDDEN, "permission_not_allowed").await;
    }
    assert!(app.mails_to(&billing_email).await.is_empty());
    // An admin may: admins grant any permission of the catalogue, so they reset anyone's.
    let response = app
        .admin_reset(app.tenant_id, &billing_id, &app.owner_token, "link")
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
}

/// Point 6: credential mails an admin can trigger are limited per person and per tenant.
#[tokio::test]
async fn admin_triggered_password_mail_is_limited_per_person() {
    let app = spawn_app().await;
    let (member_id, member_email, _) = app.member(app.tenant_id, "member", &[]).await;
    let parallel =
        (0..20).map(|_| app.admin_reset(app.tenant_id, &member_id, &app.owner_token, "link"));
    let mut accepted = 0;
    for response in futures::future::join_all(parallel).await {
        match response.status() {
            StatusCode::ACCEPTED => accepted += 1,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        accepted <= 3,
        "{accepted} of 20 parallel resets went through"
    );
    // One after the other, the rest of the hour's three, then 429 with Retry-After.
    while accepted < 3 {
        let response = app
            .admin_reset(app.tenant_id, &member_id, &app.owner_token, "link")
            .await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        accepted += 1;
    }
    let response = app
        .admin_reset(app.tenant_id, &member_id, &app.owner_token, "generate")
        .await;
    assert!(response.headers().contains_key("retry-after"));
    assert_problem(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert_eq!(app.reset_links_to(&member_email).await.len(), 3);
    app.clock.advance(chrono::Duration::minutes(61));
    let response = app
        .admin_reset(app.tenant_id, &member_id, &app.owner_token, "link")
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
}

#[tokio::test]
async fn admin_triggered_password_mail_is_limited_per_tenant() {
    let app = spawn_app_with_config(|config| config.admin_mails_per_tenant.max = 4).await;
    let mut members = Vec::new();
    for _ in 0..5 {
        members.push(app.member(app.tenant_id, "member", &[]).await.0);
    }
    for member in &members[..4] {
        let response = app
            .admin_reset(app.tenant_id, member, &app.owner_token, "link")
            .await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }
    let response = app
        .admin_reset(app.tenant_id, &members[4], &app.owner_token, "link")
        .await;
    assert_problem(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

/// Point 6, across tenants: an admin of another tenant who shares a member and uses up the mail
/// count for them neither blocks this tenant's admins nor tells them anything by a 429.
#[tokio::test]
async fn another_tenants_admin_resets_do_not_touch_this_tenants_count() {
    let app = spawn_app().await;
    let (member_id, member_email, _) = app.member(app.tenant_id, "member", &[]).await;
    let (other, _, other_owner) = app.new_tenant("Other").await;
    app.join_through_invitation(other, &other_owner, &member_email, GOOD_PASSWORD)
        .await;
    for _ in 0..3 {
        let response = app
            .admin_reset(other, &member_id, &other_owner, "link")
            .await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }
    let response = app
        .admin_reset(other, &member_id, &other_owner, "link")
        .await;
    assert_problem(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    let response = app
        .admin_reset(app.tenant_id, &member_id, &app.owner_token, "link")
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
}
