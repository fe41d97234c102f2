//! A member's life: edit, access, archive and restore, and the person's own edit.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use usher_tests::{GOOD_PASSWORD, TestApp, actions, assert_problem, spawn_app, token_of};

fn user_path(app: &TestApp, user: &str) -> String {
    format!("/v1/tenants/{}/users/{user}", app.tenant_id)
}

async fn patch(
    app: &TestApp,
    user: &str,
    token: &str,
    body: Value,
    if_match: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .http
        .patch(app.url(&user_path(app, user)))
        .bearer_auth(token)
        .json(&body);
    if let Some(tag) = if_match {
        request = request.header("if-match", tag);
    }
    request.send().await.unwrap()
}

async fn actions_about(app: &TestApp, user: &str) -> Vec<String> {
    let path = format!("{}/events", user_path(app, user));
    actions(&app.log_entries(&path, &app.owner_token).await)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn an_edit_changes_the_membership_with_an_etag_and_records_what_changed() {
    let app = spawn_app().await;
    app.settings(json!({"permission_catalog": [{"name": "fleet.manage", "label": "Fleet"}]}))
        .await;
    let (member, _, _) = app.member(app.tenant_id, "member", &[]).await;
    let read = app.get(&user_path(&app, &member), &app.owner_token).await;
    let tag = read.headers()["etag"].to_str().unwrap().to_owned();
    let response = patch(
        &app,
        &member,
        &app.owner_token,
        json!({"role": "admin", "permissions": ["fleet.manage"], "auto_tickets": false,
               "notification_email": "desk@example.net", "first_name": "Mira"}),
        Some(&tag),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let new_tag = response.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_tag, tag);
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["role"], "admin");
    assert_eq!(user["permissions"], json!(["fleet.manage"]));
    assert_eq!(user["auto_tickets"], false);
    assert_eq!(user["notification_email"], "desk@example.net");
    assert_eq!(
        user["first_name"], "Mira",
        "an account in this tenant alone"
    );
    // The stale tag: 412, nothing written.
    assert_problem(
        patch(
            &app,
            &member,
            &app.owner_token,
            json!({"auto_tickets": true}),
            Some(&tag),
        )
        .await,
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
    )
    .await;
    let user: Value = app
        .get_json(&user_path(&app, &member), &app.owner_token)
        .await;
    assert_eq!(user["auto_tickets"], false);
    // `null` clears the notification address.
    let cleared: Value = patch(
        &app,
        &member,
        &app.owner_token,
        json!({"notification_email": null}),
        Some(&new_tag),
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(cleared["notification_email"].is_null());
    let actions = actions_about(&app, &member).await;
    assert!(
        actions.contains(&"user.updated".to_owned())
            && actions.contains(&"user.role_changed".to_owned()),
        "{actions:?}"
    );
    let log: Value = app
        .get_json(
            &format!("/v1/tenants/{}/events?action=user.updated", app.tenant_id),
            &app.owner_token,
        )
        .await;
    // Events of one tick of the test clock have no order: the first edit is the one with a role.
    let first_edit = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["details"]["changes"].get("role").is_some())
        .unwrap();
    let changes = &first_edit["details"]["changes"];
    assert_eq!(changes["role"], json!({"from": "member", "to": "admin"}));
    assert_eq!(changes["first_name"], json!({"from": "Mia", "to": "Mira"}));
    assert!(changes.get("email").is_none());
}

#[tokio::test]
async fn fields_that_are_not_the_admins_to_set_are_refused() {
    let app = spawn_app().await;
    let (member, _, _) = app.member(app.tenant_id, "member", &[]).await;
    for (field, value) in [
        ("email", json!("other@example.org")),
        ("tenant_id", json!(app.tenant_id.to_string())),
        ("status", json!("archived")),
        ("created_via", json!("import")),
        ("version", json!(1)),
    ] {
        let refused = assert_problem(
            patch(&app, &member, &app.owner_token, json!({field: value}), None).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        )
        .await;
        assert!(refused["detail"].as_str().unwrap().contains(field));
    }
}

#[tokio::test]
async fn a_person_other_tenants_know_keeps_their_own_fields() {
    let app = spawn_app().await;
    let (other, _, other_owner) = app.new_tenant("Help Desk").await;
    let (member, email, _) = app.member(app.tenant_id, "member", &[]).await;
    app.join_through_invitation(other, &other_owner, &email, GOOD_PASSWORD)
        .await;
    assert_problem(
        patch(
            &app,
            &member,
            &app.owner_token,
            json!({"last_name": "Renamed"}),
            None,
        )
        .await,
        StatusCode::CONFLICT,
        "account_shared",
    )
    .await;
    // Membership fields are this tenant's own.
    assert_eq!(
        patch(
            &app,
            &member,
            &app.owner_token,
            json!({"auto_tickets": false}),
            None
        )
        .await
        .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn roles_are_given_by_those_above_and_the_last_owner_stays() {
    let app = spawn_app().await;
    let owner_id = app.account_id_of(&app.owner_token).await;
    let (admin_id, _, admin) = app.member(app.tenant_id, "admin", &[]).await;
    let (member_id, _, _) = app.member(app.tenant_id, "member", &[]).await;
    let (_, _, manager) = app.member(app.tenant_id, "member", &["users.manage"]).await;
    // Nobody gives a role above their own, nor acts on a member above them.
    for (user, caller, body) in [
        (&member_id, &admin, json!({"role": "owner"})),
        (&owner_id, &admin, json!({"auto_tickets": false})),
        (&admin_id, &manager, json!({"auto_tickets": false})),
        (&member_id, &manager, json!({"role": "admin"})),
    ] {
        assert_problem(
            patch(&app, user, caller, body, None).await,
            StatusCode::FORBIDDEN,
            "role_not_allowed",
        )
        .await;
    }
    // The one owner cannot step down, nor be archived.
    assert_problem(
        patch(
            &app,
            &owner_id,
            &app.owner_token,
            json!({"role": "admin"}),
            None,
        )
        .await,
        StatusCode::CONFLICT,
        "last_owner",
    )
    .await;
    assert_problem(
        app.post(
            &format!("{}/archive", user_path(&app, &owner_id)),
            Some(&app.owner_token),
            json!({}),
        )
        .await,
        StatusCode::CONFLICT,
        "last_owner",
    )
    .await;
    // With a second owner, the first may step down.
    assert_eq!(
        patch(
            &app,
            &admin_id,
            &app.owner_token,
            json!({"role": "owner"}),
            None
        )
        .await
        .status(),
        StatusCode::OK
    );
    let stepped: Value = patch(
        &app,
        &owner_id,
        &app.owner_token,
        json!({"role": "admin"}),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(stepped["role"], "admin");
}

#[tokio::test]
async fn revoking_access_stops_the_persons_sessions_here_at_once_and_kills_this_tenants_links() {
    let app = spawn_app().await;
    let (other, _, other_owner) = app.new_tenant("Virtual Office").await;
    let (member_id, email, _) = app.member(app.tenant_id, "member", &[]).await;
    let password = app
        .join_through_invitation(other, &other_owner, &email, GOOD_PASSWORD)
        .await;
    // Accepting freed the password this tenant's owner had set and ended its sessions.
    let session = app.sign_in_token(&email, &password).await;
    // A set-password link this tenant's admin sent.
    app.admin_reset(app.tenant_id, &member_id, &app.owner_token, "link")
        .await;
    let link = app.reset_link_to(&email).await;
    let own = user_path(&app, &member_id);
    assert_eq!(app.get(&own, &session).await.status(), StatusCode::OK);

    let revoked = app
        .post(
            &format!("{own}/access"),
            Some(&app.owner_token),
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_problem(
        app.get(&own, &session).await,
        StatusCode::FORBIDDEN,
        "membership_inactive",
    )
    .await;
    // The other tenant is untouched.
    assert_eq!(
        app.get(&format!("/v1/tenants/{other}"), &session)
            .await
            .status(),
        StatusCode::OK
    );
    assert_problem(
        app.reset(&token_of(&link), "amber lantern orchard 77 quiver")
            .await,
        StatusCode::GONE,
        "token_expired",
    )
    .await;

    let granted = app
        .post(
            &format!("{own}/access"),
            Some(&app.owner_token),
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(granted.status(), StatusCode::OK);
    assert_eq!(app.get(&own, &session).await.status(), StatusCode::OK);
    let told = app.mails_to(&email).await;
    assert!(
        told.iter()
            .any(|m| m.mail.subject == "You can sign in to Comune di Forlì"),
        "the person is told"
    );
    let actions = actions_about(&app, &member_id).await;
    assert!(
        actions.contains(&"user.access_revoked".to_owned())
            && actions.contains(&"user.access_granted".to_owned())
    );
}

#[tokio::test]
async fn granting_access_to_someone_without_a_password_mails_the_link_to_choose_one() {
    let app = spawn_app().await;
    let response = app
        .create_user(app.tenant_id, &app.owner_token, json!({"email": "nopass@example.org", "first_name": "N", "last_name": "P", "role": "member", "password": {"mode": "link"}}))
        .await;
    let id = response.json::<Value>().await.unwrap()["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("{}/access", user_path(&app, &id));
    app.post(&path, Some(&app.owner_token), json!({"enabled": false}))
        .await;
    app.dispatch_all_pending().await;
    let before = app.reset_links_to("nopass@example.org").await;
    assert_eq!(
        app.post(&path, Some(&app.owner_token), json!({"enabled": true}))
            .await
            .status(),
        StatusCode::OK
    );
    let link = app.new_reset_link_to("nopass@example.org", &before).await;
    assert_eq!(
        app.reset(&token_of(&link), "amber lantern orchard 77 quiver")
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn archived_members_are_kept_hidden_and_locked_out_until_restored() {
    let app = spawn_app().await;
    let (member_id, email, session) = app.member(app.tenant_id, "member", &[]).await;
    let (admin_id, _, _) = app.member(app.tenant_id, "admin", &[]).await;
    let (_, _, manager) = app.member(app.tenant_id, "member", &["users.manage"]).await;
    let path = user_path(&app, &member_id);
    assert_problem(
        app.post(
            &format!("{}/archive", user_path(&app, &admin_id)),
            Some(&manager),
            json!({}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "role_not_allowed",
    )
    .await;
    let archived: Value = app
        .post(&format!("{path}/archive"), Some(&manager), json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(archived["status"], "archived");
    assert_problem(
        app.get(&path, &session).await,
        StatusCode::FORBIDDEN,
        "membership_inactive",
    )
    .await;
    // Archived everywhere: no sign-in at all, and a reset request sends nothing.
    assert_problem(
        app.sign_in(&email, GOOD_PASSWORD).await,
        StatusCode::FORBIDDEN,
        "membership_inactive",
    )
    .await;
    let default: Value = app
        .get_json(
            &format!("/v1/tenants/{}/users?limit=200", app.tenant_id),
            &app.owner_token,
        )
        .await;
    assert!(
        default["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["email"] != email.as_str())
    );
    let archived_list: Value = app
        .get_json(
            &format!("/v1/tenants/{}/users?status=archived", app.tenant_id),
            &app.owner_token,
        )
        .await;
    assert_eq!(archived_list["items"][0]["email"], email.as_str());
    // Kept, with its history.
    assert_eq!(
        app.get(&path, &app.owner_token).await.status(),
        StatusCode::OK
    );

    let restored: Value = app
        .post(
            &format!("{path}/restore"),
            Some(&app.owner_token),
            json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(restored["status"], "active");
    assert_eq!(
        app.sign_in(&email, GOOD_PASSWORD).await.status(),
        StatusCode::CREATED
    );
    let actions = actions_about(&app, &member_id).await;
    assert!(
        actions.contains(&"user.archived".to_owned())
            && actions.contains(&"user.restored".to_owned())
    );
}

#[tokio::test]
async fn the_person_edits_their_own_names_everywhere_they_are_listed() {
    let app = spawn_app().await;
    let (other, _, other_owner) = app.new_tenant("Leasing").await;
    let (member_id, email, _) = app.member(app.tenant_id, "member", &[]).await;
    let password = app
        .join_through_invitation(other, &other_owner, &email, GOOD_PASSWORD)
        .await;
    let session = app.sign_in_token(&email, &password).await;
    let response = app
        .request(
            Method::PATCH,
            "/v1/me",
            Some(&session),
            Some(json!({"first_name": "Maja", "locale": "pl", "phone": null})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let account: Value = response.json().await.unwrap();
    assert_eq!(account["first_name"], "Maja");
    for (tenant, token) in [
        (app.tenant_id, app.owner_token.clone()),
        (other, other_owner),
    ] {
        let user: Value = app
            .get_json(&format!("/v1/tenants/{tenant}/users/{member_id}"), &token)
            .await;
        assert_eq!(
            (user["first_name"].as_str(), user["locale"].as_str()),
            (Some("Maja"), Some("pl"))
        );
    }
    assert_problem(
        app.request(
            Method::PATCH,
            "/v1/me",
            Some(&session),
            Some(json!({"email": "x@example.org"})),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
}

#[tokio::test]
async fn another_tenants_user_is_not_found_under_this_tenants_path() {
    let app = spawn_app().await;
    let (other, _, other_owner) = app.new_tenant("Tenant B").await;
    let theirs: Value = app
        .create_user(other, &other_owner, json!({"email": "b-user@example.org", "first_name": "B", "last_name": "U", "role": "member", "password": {"mode": "link"}}))
        .await
        .json()
        .await
        .unwrap();
    let id = theirs["user"]["id"].as_str().unwrap();
    let under_a = user_path(&app, id);
    assert_problem(
        patch(
            &app,
            id,
            &app.owner_token,
            json!({"auto_tickets": false}),
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    for action in ["access", "archive", "restore"] {
        let body = if action == "access" {
            json!({"enabled": false})
        } else {
            json!({})
        };
        assert_problem(
            app.post(&format!("{under_a}/{action}"), Some(&app.owner_token), body)
                .await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    let b_path = format!("/v1/tenants/{other}/users/{id}");
    assert_problem(
        app.post(
            &format!("{b_path}/archive"),
            Some(&app.owner_token),
            json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let still: Value = app.get_json(&b_path, &other_owner).await;
    assert_eq!(still["status"], "active");
}

/// A member holding one permission that is not `users.manage` changes nobody, not even to raise
/// themselves.
#[tokio::test]
async fn a_member_with_another_permission_changes_nobody() {
    let app = spawn_app().await;
    app.settings(json!({"permission_catalog": [{"name": "reports.reply", "label": "Reply"}]}))
        .await;
    let (own_id, _, member) = app
        .member(app.tenant_id, "member", &["reports.reply"])
        .await;
    let (other_id, _, _) = app.member(app.tenant_id, "member", &[]).await;
    for target in [&own_id, &other_id] {
        assert_problem(
            patch(
                &app,
                target,
                &member,
                json!({"role": "admin", "permissions": ["users.manage"]}),
                None,
            )
            .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        for (action, body) in [
            ("access", json!({"enabled": false})),
            ("archive", json!({})),
            ("restore", json!({})),
        ] {
            assert_problem(
                app.post(
                    &format!("{}/{action}", user_path(&app, target)),
                    Some(&member),
                    body,
                )
                .await,
                StatusCode::FORBIDDEN,
                "forbidden",
            )
            .await;
        }
    }
    assert_problem(
        app.get(&format!("/v1/tenants/{}/users.csv", app.tenant_id), &member)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let own: Value = app
        .get_json(&user_path(&app, &own_id), &app.owner_token)
        .await;
    assert_eq!(own["role"], "member");
    assert_eq!(own["permissions"], json!(["reports.reply"]));
}

/// A users manager acts only on members whose permissions they hold too, as for creation and
/// resets: no revoking, granting, archiving, restoring or changing the notification address of a
/// member who holds one they lack. Nothing changes.
#[tokio::test]
async fn a_manager_cannot_act_on_a_member_holding_a_permission_they_lack() {
    let app = spawn_app().await;
    app.settings(json!({"permission_catalog": [{"name": "billing.view", "label": "Billing"}]}))
        .await;
    let (_, _, manager) = app.member(app.tenant_id, "member", &["users.manage"]).await;
    let (billing_id, _, _) = app.member(app.tenant_id, "member", &["billing.view"]).await;
    let path = user_path(&app, &billing_id);
    let before = app.get_json(&path, &app.owner_token).await;
    for (method, suffix, body) in [
        (Method::POST, "/access", Some(json!({"enabled": false}))),
        (Method::POST, "/archive", None),
        (Method::POST, "/restore", None),
        (
            Method::PATCH,
            "",
            Some(json!({"notification_email": "elsewhere@example.org"})),
        ),
        (Method::PATCH, "", Some(json!({"permissions": []}))),
    ] {
        let response = app
            .request(method, &format!("{path}{suffix}"), Some(&manager), body)
            .await;
        assert_problem(response, StatusCode::FORBIDDEN, "permission_not_allowed").await;
    }
    assert_eq!(app.get_json(&path, &app.owner_token).await, before);
    // A member whose permissions the manager holds is theirs to manage.
    let (plain_id, _, _) = app.member(app.tenant_id, "member", &[]).await;
    let response = app
        .post(
            &format!("{}/access", user_path(&app, &plain_id)),
            Some(&manager),
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// An owner counts only while active with access: revoking the last such owner's access is
/// refused like demoting or archiving them, and two owners revoking each other at once leave one.
#[tokio::test]
async fn the_last_owner_able_to_act_keeps_access() {
    let app = spawn_app().await;
    let owner_id = app.account_id_of(&app.owner_token).await;
    let (second_id, _, second) = app.member(app.tenant_id, "owner", &[]).await;
    let access = |id: &str| format!("{}/access", user_path(&app, id));
    // Two owners revoke each other at once: one wins, an owner able to act remains.
    let (second_access, owner_access) = (access(&second_id), access(&owner_id));
    let (a, b) = tokio::join!(
        app.post(
            &second_access,
            Some(&app.owner_token),
            json!({"enabled": false})
        ),
        app.post(&owner_access, Some(&second), json!({"enabled": false})),
    );
    let won = [a.status(), b.status()]
        .iter()
        .filter(|s| **s == StatusCode::OK)
        .count();
    assert_eq!(won, 1, "{:?} {:?}", a.status(), b.status());
    let (survivor, other_id) = if a.status() == StatusCode::OK {
        (app.owner_token.clone(), second_id.clone())
    } else {
        (second.clone(), owner_id.clone())
    };
    let survivor_id = app.account_id_of(&survivor).await;
    // The one cut off does not count: the survivor can neither cut off nor archive themselves.
    let other = app.get_json(&user_path(&app, &other_id), &survivor).await;
    assert_eq!(other["access"], false);
    assert_problem(
        app.post(
            &access(&survivor_id),
            Some(&survivor),
            json!({"enabled": false}),
        )
        .await,
        StatusCode::CONFLICT,
        "last_owner",
    )
    .await;
    assert_problem(
        app.post(
            &format!("{}/archive", user_path(&app, &survivor_id)),
            Some(&survivor),
            json!({}),
        )
        .await,
        StatusCode::CONFLICT,
        "last_owner",
    )
    .await;
    let me = app
        .get_json(&user_path(&app, &survivor_id), &survivor)
        .await;
    assert_eq!(
        (me["access"].as_bool(), me["status"].as_str()),
        (Some(true), Some("active"))
    );
}

/// `usher tenant restore-owner`'s use case: a tenant whose owners cannot act gets a member of
/// its own back as owner; a tenant with an owner, or a person who has not joined, gets nothing.
#[tokio::test]
async fn the_operator_restores_an_owner_to_a_tenant_left_without_one() {
    use usher_core::domain::EmailAddress;
    use usher_core::usecases::restore_owner::{RestoreOwner, RestoreOwnerError, restore_owner};
    let app = spawn_app().await;
    let (member_id, member_email, member_session) = app.member(app.tenant_id, "member", &[]).await;
    let restore = |email: &str| {
        restore_owner(
            &app.app,
            RestoreOwner {
                tenant_id: app.tenant_id,
                email: EmailAddress::parse(email).unwrap(),
            },
        )
    };
    assert!(matches!(
        restore(&member_email).await,
        Err(RestoreOwnerError::HasAnOwner)
    ));
    // The only owner archived behind the rules' back (as a race the rules could not see would).
    let key = usher_core::keys::membership(
        app.tenant_id,
        app.account_id_of(&app.owner_token).await.parse().unwrap(),
    );
    let mut item = app.table.get(&key).await.unwrap().unwrap();
    item.insert("status".into(), "archived".into());
    app.table
        .transact(vec![usher_core::table::Op::put(item)])
        .await
        .unwrap();
    assert!(matches!(
        restore("stranger@example.org").await,
        Err(RestoreOwnerError::NotAMember(_))
    ));
    assert_eq!(restore(&member_email).await.unwrap().to_string(), member_id);
    let me = app
        .get_json(&user_path(&app, &member_id), &member_session)
        .await;
    assert_eq!(me["role"], "owner");
    let entries = app
        .log_entries(
            &format!(
                "/v1/tenants/{}/events?action=user.role_changed",
                app.tenant_id
            ),
            &member_session,
        )
        .await;
    assert_eq!(entries[0]["details"]["by"], "operator");
}

/// `If-Match` compares strongly (RFC 9110): a weak tag, a malformed one or a tag of another
/// version is 412 and changes nothing; the current strong tag, one of a list, or `*` applies.
#[tokio::test]
async fn if_match_compares_strong_tags_only() {
    let app = spawn_app().await;
    let (member, _, _) = app.member(app.tenant_id, "member", &[]).await;
    let read = app
        .http
        .get(app.url(&user_path(&app, &member)))
        .bearer_auth(&app.owner_token)
        .send()
        .await
        .unwrap();
    let tag = read.headers()["etag"].to_str().unwrap().to_owned();
    let version: u64 = tag.trim_matches('"').parse().unwrap();
    for stale in [
        format!("W/{tag}"),
        format!("\"0{version}\""),
        format!("\"{}\"", version + 1),
        "nonsense".to_owned(),
    ] {
        let response = patch(
            &app,
            &member,
            &app.owner_token,
            json!({"auto_tickets": false}),
            Some(&stale),
        )
        .await;
        assert_problem(
            response,
            StatusCode::PRECONDITION_FAILED,
            "precondition_failed",
        )
        .await;
    }
    let user = app
        .get_json(&user_path(&app, &member), &app.owner_token)
        .await;
    assert_eq!(user["auto_tickets"], true);
    let list = format!("\"{}\", {tag}", version + 7);
    for (value, current) in [(false, list), (true, "*".to_owned())] {
        let response = patch(
            &app,
            &member,
            &app.owner_token,
            json!({"auto_tickets": value}),
            Some(&current),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK, "If-Match: {current}");
    }
}
