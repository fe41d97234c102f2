//! An invitation's life after it is sent: expiry, revocation and resends, who may invite whom,
//! the quotas, the announcement to every member, and the listings.

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use usher_tests::{
    GOOD_PASSWORD, actions, assert_problem, spawn_app, spawn_app_with_config, token_of,
};

#[tokio::test]
async fn links_expire_by_the_clock_and_an_expired_invitation_never_blocks_a_new_one() {
    let app = spawn_app().await;
    let first = app.invite_to_main("late@example.org").await;
    let token = app.invitation_token_for("late@example.org").await;
    assert_problem(
        app.invite(
            app.tenant_id,
            &app.owner_token,
            json!({"email": "LATE@example.org"}),
        )
        .await,
        StatusCode::CONFLICT,
        "invitation_pending",
    )
    .await;
    app.clock
        .advance(Duration::hours(168) + Duration::seconds(1));
    let owner = app.sign_in_token(&app.owner_email, GOOD_PASSWORD).await;
    assert_problem(
        app.invitation_preview(&token).await,
        StatusCode::GONE,
        "token_expired",
    )
    .await;
    assert_problem(
        app.accept_as_new(&token).await,
        StatusCode::GONE,
        "token_expired",
    )
    .await;
    let listed: Value = app
        .get_json(
            &format!("/v1/tenants/{}/invitations?status=expired", app.tenant_id),
            &owner,
        )
        .await;
    assert_eq!(listed["items"][0]["id"], first["id"]);
    assert_eq!(listed["items"][0]["status"], "expired");
    let again = app
        .invite(app.tenant_id, &owner, json!({"email": "late@example.org"}))
        .await;
    assert_eq!(again.status(), StatusCode::CREATED);
    let again: Value = again.json().await.unwrap();
    assert_ne!(again["id"], first["id"]);
    let pending: Value = app
        .get_json(
            &format!("/v1/tenants/{}/invitations?status=pending", app.tenant_id),
            &owner,
        )
        .await;
    assert_eq!(pending["items"].as_array().unwrap().len(), 1);
    assert_eq!(pending["items"][0]["id"], again["id"]);
}

#[tokio::test]
async fn a_revoked_invitation_dies_at_once_and_frees_the_email() {
    let app = spawn_app().await;
    let invitation = app.invite_to_main("gone@example.org").await;
    let token = app.invitation_token_for("gone@example.org").await;
    app.clock.advance(Duration::seconds(1));
    let path = format!(
        "/v1/tenants/{}/invitations/{}",
        app.tenant_id,
        invitation["id"].as_str().unwrap()
    );
    assert_eq!(
        app.request(Method::DELETE, &path, Some(&app.owner_token), None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(
        app.invitation_preview(&token).await,
        StatusCode::GONE,
        "token_revoked",
    )
    .await;
    assert_problem(
        app.accept_as_new(&token).await,
        StatusCode::GONE,
        "token_revoked",
    )
    .await;
    assert_problem(
        app.request(Method::DELETE, &path, Some(&app.owner_token), None)
            .await,
        StatusCode::CONFLICT,
        "invitation_not_pending",
    )
    .await;
    let fetched: Value = app.get_json(&path, &app.owner_token).await;
    assert_eq!(fetched["status"], "revoked");
    assert!(fetched["revoked_at"].is_string());
    app.clock.advance(Duration::seconds(1));
    app.invite_to_main("gone@example.org").await;
    let log = app
        .log_entries(
            &format!("/v1/tenants/{}/events", app.tenant_id),
            &app.owner_token,
        )
        .await;
    assert_eq!(
        &actions(&log)[..3],
        ["invitation.sent", "invitation.revoked", "invitation.sent"]
    );
}

#[tokio::test]
async fn a_resend_keeps_the_invitation_kills_the_old_link_and_is_limited_per_day() {
    let app = spawn_app().await;
    let invitation = app.invite_to_main("again@example.org").await;
    let old = app.invitation_token_for("again@example.org").await;
    let path = format!(
        "/v1/tenants/{}/invitations/{}/resend",
        app.tenant_id,
        invitation["id"].as_str().unwrap()
    );
    app.clock.advance(Duration::hours(100));
    let owner = app.sign_in_token(&app.owner_email, GOOD_PASSWORD).await;
    let response = app.post(&path, Some(&owner), json!({})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let resent: Value = response.json().await.unwrap();
    assert_eq!(resent["id"], invitation["id"]);
    assert!(
        resent["expires_at"].as_str() > invitation["expires_at"].as_str(),
        "a new expiry"
    );
    let links = app.invitation_links_to("again@example.org").await;
    assert_eq!(links.len(), 2);
    let new = links
        .iter()
        .map(|l| token_of(l))
        .find(|t| *t != old)
        .unwrap();
    let reminder = &app.mails_to("again@example.org").await[0].mail;
    assert!(
        reminder.subject.starts_with("Reminder"),
        "{}",
        reminder.subject
    );
    assert_problem(
        app.accept_as_new(&old).await,
        StatusCode::GONE,
        "token_expired",
    )
    .await;
    for _ in 0..4 {
        assert_eq!(
            app.post(&path, Some(&owner), json!({})).await.status(),
            StatusCode::OK
        );
    }
    let limited = app.post(&path, Some(&owner), json!({})).await;
    assert!(limited.headers().contains_key("retry-after"));
    assert_problem(limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // Of the six links mailed, only the last one works.
    let mut working = Vec::new();
    for link in app.invitation_links_to("again@example.org").await {
        let token = token_of(&link);
        let preview = app.invitation_preview(&token).await;
        if preview.status() == StatusCode::OK {
            working.push(token);
        } else {
            assert_problem(preview, StatusCode::GONE, "token_expired").await;
        }
    }
    assert_eq!(working.len(), 1);
    assert_ne!(working[0], new);
    assert_eq!(
        app.accept_as_new(&working[0]).await.status(),
        StatusCode::OK
    );
    let log = app
        .log_entries(
            &format!(
                "/v1/tenants/{}/events?action=invitation.resent",
                app.tenant_id
            ),
            &owner,
        )
        .await;
    assert_eq!(log.len(), 5);
}

#[tokio::test]
async fn members_invite_only_where_allowed_as_members_and_see_only_their_own() {
    let app = spawn_app().await;
    app.settings(json!({"permission_catalog": [{"name": "reports.reply", "label": "Reply"}, {"name": "fleet.manage", "label": "Fleet"}]})).await;
    let (_, _, member) = app
        .member(app.tenant_id, "member", &["reports.reply"])
        .await;
    let invitations = format!("/v1/tenants/{}/invitations", app.tenant_id);
    assert_problem(
        app.invite(app.tenant_id, &member, json!({"email": "x@example.org"}))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        app.get(&invitations, &member).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // The tenant's log is for owners and admins.
    assert_problem(
        app.get(&format!("/v1/tenants/{}/events", app.tenant_id), &member)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    app.settings(json!({"members_can_invite": true})).await;
    assert_problem(
        app.invite(
            app.tenant_id,
            &member,
            json!({"email": "x@example.org", "role": "admin"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "role_not_allowed",
    )
    .await;
    assert_problem(
        app.invite(
            app.tenant_id,
            &member,
            json!({"email": "x@example.org", "permissions": ["fleet.manage"]}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "permission_not_allowed",
    )
    .await;
    assert_problem(
        app.invite(
            app.tenant_id,
            &member,
            json!({"email": "x@example.org", "permissions": ["users.manage"]}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "permission_not_allowed",
    )
    .await;
    let mine = app
        .invite(
            app.tenant_id,
            &member,
            json!({"email": "x@example.org", "permissions": ["reports.reply"]}),
        )
        .await;
    assert_eq!(mine.status(), StatusCode::CREATED);
    let mine: Value = mine.json().await.unwrap();
    app.clock.advance(Duration::seconds(1));
    let owners = app.invite_to_main("y@example.org").await;

    let listed: Value = app.get_json(&invitations, &member).await;
    let ids: Vec<&Value> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["id"])
        .collect();
    assert_eq!(ids, [&mine["id"]]);
    let all: Value = app.get_json(&invitations, &app.owner_token).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    assert_eq!(all["items"][0]["id"], owners["id"], "newest first");
    let others = format!("{invitations}/{}", owners["id"].as_str().unwrap());
    assert_problem(
        app.get(&others, &member).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.request(Method::DELETE, &others, Some(&member), None)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.post(&format!("{others}/resend"), Some(&member), json!({}))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let own = format!("{invitations}/{}", mine["id"].as_str().unwrap());
    assert_eq!(
        app.request(Method::DELETE, &own, Some(&member), None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );

    // Admins may not invite owners; owners may.
    let (_, _, admin) = app.member(app.tenant_id, "admin", &[]).await;
    assert_problem(
        app.invite(
            app.tenant_id,
            &admin,
            json!({"email": "z@example.org", "role": "owner"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "role_not_allowed",
    )
    .await;
    let owner_invite = app
        .invite(
            app.tenant_id,
            &app.owner_token,
            json!({"email": "z@example.org", "role": "owner"}),
        )
        .await;
    assert_eq!(owner_invite.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn members_archived_members_and_quotas_are_refused_with_their_codes() {
    let app = spawn_app_with_config(|config| config.invitations_per_inviter.max = 3).await;
    let (member_id, member_email, _) = app.member(app.tenant_id, "member", &[]).await;
    assert_problem(
        app.invite(
            app.tenant_id,
            &app.owner_token,
            json!({"email": member_email.to_uppercase()}),
        )
        .await,
        StatusCode::CONFLICT,
        "already_member",
    )
    .await;
    // Archive the member in the table (the archive route comes with the user lifecycle).
    let key = usher_core::keys::membership(app.tenant_id, member_id.parse().unwrap());
    let mut item = app.table.get(&key).await.unwrap().unwrap();
    item.insert("status".into(), json!("archived"));
    app.table
        .transact(vec![usher_core::table::Op::put(item)])
        .await
        .unwrap();
    assert_problem(
        app.invite(
            app.tenant_id,
            &app.owner_token,
            json!({"email": member_email}),
        )
        .await,
        StatusCode::CONFLICT,
        "member_archived",
    )
    .await;

    // Made before the owner's quota is spent: creating users checks it too.
    let (_, _, admin) = app.member(app.tenant_id, "admin", &[]).await;
    for n in 0..3 {
        app.invite_to_main(&format!("q{n}@example.org")).await;
    }
    let limited = app
        .invite(
            app.tenant_id,
            &app.owner_token,
            json!({"email": "q3@example.org"}),
        )
        .await;
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 23 * 3600 && retry <= 24 * 3600, "{retry}");
    assert_problem(limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // Another admin has their own daily count.
    assert_eq!(
        app.invite(app.tenant_id, &admin, json!({"email": "q3@example.org"}))
            .await
            .status(),
        StatusCode::CREATED
    );
    app.clock.advance(Duration::hours(24));
    let owner = app.sign_in_token(&app.owner_email, GOOD_PASSWORD).await;
    assert_eq!(
        app.invite(app.tenant_id, &owner, json!({"email": "q4@example.org"}))
            .await
            .status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn the_tenant_quota_counts_every_inviter() {
    let app = spawn_app_with_config(|config| config.invitations_per_tenant.max = 2).await;
    let (_, _, admin) = app.member(app.tenant_id, "admin", &[]).await;
    app.invite_to_main("t1@example.org").await;
    assert_eq!(
        app.invite(app.tenant_id, &admin, json!({"email": "t2@example.org"}))
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_problem(
        app.invite(app.tenant_id, &admin, json!({"email": "t3@example.org"}))
            .await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    )
    .await;
    // Nothing was filed for the refused one.
    assert!(app.mails_to("t3@example.org").await.is_empty());
}

#[tokio::test]
async fn creating_a_user_whose_email_has_an_account_invites_them_once() {
    let app = spawn_app().await;
    let (_, other_owner, _) = app.new_tenant("Leasing").await;
    let body = json!({"email": other_owner, "first_name": "X", "last_name": "Y", "role": "member",
                      "permissions": [], "password": {"mode": "generate"}, "send_credentials": true});
    let response = app
        .create_user(app.tenant_id, &app.owner_token, body.clone())
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    // Only the invitation was mailed; no password was generated or set.
    let mails = app.mails_to(&other_owner).await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0]
            .mail
            .subject
            .contains("invites you to join Comune di Forlì")
    );
    assert_eq!(
        app.sign_in(&other_owner, GOOD_PASSWORD).await.status(),
        StatusCode::CREATED
    );
    assert_problem(
        app.create_user(app.tenant_id, &app.owner_token, body).await,
        StatusCode::CONFLICT,
        "invitation_pending",
    )
    .await;
}

/// A tenant that announces newcomers tells every active member once, through a job that pages
/// through the members within the 100-operation transaction limit.
#[tokio::test]
async fn every_active_member_of_a_large_tenant_hears_of_a_newcomer_exactly_once() {
    let app = spawn_app().await;
    let members: Vec<String> = (0..250)
        .map(|n| format!("member-{n:03}@example.org"))
        .collect();
    let mut ids = Vec::new();
    for chunk in members.chunks(10) {
        let created = chunk.iter().map(|email| {
            app.create_user(
                app.tenant_id,
                &app.owner_token,
                json!({"email": email, "first_name": "M", "last_name": "Ember", "role": "member",
                       "password": {"mode": "link"}}),
            )
        });
        for response in futures::future::join_all(created).await {
            assert_eq!(response.status(), StatusCode::CREATED);
            let body: Value = response.json().await.unwrap();
            ids.push(body["user"]["id"].as_str().unwrap().to_owned());
        }
    }
    // One of them archived: not told.
    let archived = &members[7];
    let archived_id = &ids[7];
    let key = usher_core::keys::membership(app.tenant_id, archived_id.parse().unwrap());
    let mut item = app.table.get(&key).await.unwrap().unwrap();
    item.insert("status".into(), json!("archived"));
    app.table
        .transact(vec![usher_core::table::Op::put(item)])
        .await
        .unwrap();
    app.dispatch_all_pending().await;

    app.settings(json!({"announce_new_members": true})).await;
    app.invite_to_main("newcomer@example.org").await;
    let token = app.invitation_token_for("newcomer@example.org").await;
    assert_eq!(app.accept_as_new(&token).await.status(), StatusCode::OK);

    let mails = app.sent_mails().await;
    // Mails of one tick of the test clock have no order: the announcement is told by its subject.
    let announcements: Vec<&str> = mails
        .iter()
        .filter(|m| m.mail.subject == "Ivy Invitee joined Comune di Forlì")
        .map(|m| m.mail.to.as_str())
        .collect();
    let mut told = announcements.clone();
    told.sort();
    told.dedup();
    assert_eq!(told.len(), announcements.len(), "nobody is told twice");
    let mut expected: Vec<&str> = members
        .iter()
        .filter(|m| *m != archived)
        .map(String::as_str)
        .chain(std::iter::once(app.owner_email.as_str()))
        .collect();
    expected.sort();
    assert_eq!(told, expected, "every active member but the newcomer, once");
    assert!(app.mail_and_jobs().await.is_empty(), "the job finished");
}

#[tokio::test]
async fn invitations_and_events_come_newest_first_a_page_at_a_time() {
    let app = spawn_app().await;
    let mut sent = Vec::new();
    for n in 0..5 {
        sent.push(app.invite_to_main(&format!("page-{n}@example.org")).await["id"].clone());
        app.clock.advance(Duration::seconds(1));
    }
    sent.reverse();
    let path = format!("/v1/tenants/{}/invitations", app.tenant_id);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}?limit=2&cursor={c}"),
            None => format!("{path}?limit=2"),
        };
        let page: Value = app.get_json(&url, &app.owner_token).await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|i| i["id"].clone()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, sent);
    // A cursor from another listing is refused.
    let events: Value = app
        .get_json(
            &format!("/v1/tenants/{}/events?limit=2", app.tenant_id),
            &app.owner_token,
        )
        .await;
    let event_cursor = events["next_cursor"].as_str().unwrap();
    assert_problem(
        app.get(&format!("{path}?cursor={event_cursor}"), &app.owner_token)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    let next: Value = app
        .get_json(
            &format!(
                "/v1/tenants/{}/events?limit=2&cursor={event_cursor}",
                app.tenant_id
            ),
            &app.owner_token,
        )
        .await;
    assert_eq!(
        actions(next["items"].as_array().unwrap()),
        ["invitation.sent", "invitation.sent"]
    );
}

/// A pending invitation is only as good as its inviter now: archived, cut off or demoted
/// inviters, and members after `members_can_invite` is switched off, take their invitations'
/// power with them. Nothing is joined.
#[tokio::test]
async fn an_invitation_dies_with_its_inviters_right_to_give_it() {
    let app = spawn_app().await;
    let user = |id: &str| format!("/v1/tenants/{}/users/{id}", app.tenant_id);
    let invite_as = |inviter: String, email: &'static str, role: &'static str| {
        let app = &app;
        async move {
            let response = app
                .invite(
                    app.tenant_id,
                    &inviter,
                    json!({"email": email, "role": role}),
                )
                .await;
            assert_eq!(response.status(), StatusCode::CREATED, "inviting {email}");
            app.invitation_token_for(email).await
        }
    };
    let refused = |token: String| {
        let app = &app;
        async move {
            assert_problem(
                app.invitation_preview(&token).await,
                StatusCode::GONE,
                "token_revoked",
            )
            .await;
            assert_problem(
                app.accept_as_new(&token).await,
                StatusCode::GONE,
                "token_revoked",
            )
            .await;
        }
    };
    // An archived admin's admin invitation.
    let (archived_id, _, archived) = app.member(app.tenant_id, "admin", &[]).await;
    let token = invite_as(archived, "a@example.org", "admin").await;
    app.archive(&archived_id).await;
    refused(token).await;
    // A demoted admin's admin invitation.
    let (demoted_id, _, demoted) = app.member(app.tenant_id, "admin", &[]).await;
    let token = invite_as(demoted, "b@example.org", "admin").await;
    let response = app
        .request(
            Method::PATCH,
            &user(&demoted_id),
            Some(&app.owner_token),
            Some(json!({"role": "member"})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    refused(token).await;
    // A member's invitation after members may no longer invite.
    app.settings(json!({"members_can_invite": true})).await;
    let (_, _, member) = app.member(app.tenant_id, "member", &[]).await;
    let token = invite_as(member, "c@example.org", "member").await;
    app.settings(json!({"members_can_invite": false})).await;
    refused(token).await;
    for email in ["a@example.org", "b@example.org", "c@example.org"] {
        assert!(app.user_by_email(email).await.is_none(), "{email} joined");
    }
}

/// A users manager (whose ceiling is `member`) can neither resend nor revoke an admin
/// invitation: a resend would give it again, and revive it when expired.
#[tokio::test]
async fn a_manager_resends_and_revokes_only_what_they_could_give() {
    let app = spawn_app().await;
    let (_, _, manager) = app.member(app.tenant_id, "member", &["users.manage"]).await;
    let response = app
        .invite(
            app.tenant_id,
            &app.owner_token,
            json!({"email": "boss@example.org", "role": "admin"}),
        )
        .await;
    let invitation: Value = response.json().await.unwrap();
    let path = format!(
        "/v1/tenants/{}/invitations/{}",
        app.tenant_id,
        invitation["id"].as_str().unwrap()
    );
    assert_problem(
        app.post(&format!("{path}/resend"), Some(&manager), json!({}))
            .await,
        StatusCode::FORBIDDEN,
        "role_not_allowed",
    )
    .await;
    assert_problem(
        app.request(Method::DELETE, &path, Some(&manager), None)
            .await,
        StatusCode::FORBIDDEN,
        "role_not_allowed",
    )
    .await;
    let still = app.get_json(&path, &app.owner_token).await;
    assert_eq!(
        (still["status"].as_str(), still["resends"].as_u64()),
        (Some("pending"), None)
    );
    assert_eq!(app.invitation_links_to("boss@example.org").await.len(), 1);
}
