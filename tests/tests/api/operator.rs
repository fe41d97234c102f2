use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use usher_tests::{GOOD_PASSWORD, TestApp, assert_problem, spawn_app, token_of};

fn new_tenant_body(name: &str, email: &str) -> Value {
    json!({"name": name, "owner": {"email": email, "first_name": "Nora", "last_name": "Nowak", "locale": "pl"},
           "settings": {"members_can_invite": true,
                        "permission_catalog": [{"name": "fleet.manage", "label": "Fleet"}]}})
}

async fn create_tenant(app: &TestApp, key: &str, body: Value) -> reqwest::Response {
    app.post("/v1/tenants", Some(key), body).await
}

#[tokio::test]
async fn the_back_office_creates_a_tenant_whose_new_owner_chooses_a_password_by_mail() {
    let app = spawn_app().await;
    let (key_id, key) = app.operator_key(&["tenants.create"]).await;
    let response = create_tenant(
        &app,
        &key,
        new_tenant_body("Flotta Nord", "nora@example.org"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["owner"]["status"], "set_password_mailed");
    assert_eq!(body["tenant"]["name"], "Flotta Nord");
    assert_eq!(body["tenant"]["status"], "active");
    assert_eq!(body["tenant"]["settings"]["members_can_invite"], true);
    assert_eq!(
        body["tenant"]["permission_catalog"][0]["name"],
        "fleet.manage"
    );
    assert!(
        body.to_string().find("/reset/").is_none(),
        "no link comes back to the operator"
    );
    let tenant = body["tenant"]["id"].as_str().unwrap().to_owned();

    // The owner's link is in her mail, in Polish; through it she chooses a password and acts.
    let link = app.reset_link_to("nora@example.org").await;
    let mails = app.mails_to("nora@example.org").await;
    assert!(
        mails[0].mail.subject.starts_with("Ustaw hasło"),
        "{}",
        mails[0].mail.subject
    );
    assert_eq!(
        app.reset(&token_of(&link), GOOD_PASSWORD).await.status(),
        StatusCode::NO_CONTENT
    );
    let session = app.sign_in_token("nora@example.org", GOOD_PASSWORD).await;
    let seen = app
        .get_json(&format!("/v1/tenants/{tenant}"), &session)
        .await;
    assert_eq!(seen["id"], tenant);
    // The audit log names the key as the actor.
    let log = app
        .log_entries(&format!("/v1/tenants/{tenant}/events"), &session)
        .await;
    let created = log
        .iter()
        .find(|e| e["action"] == "tenant.created")
        .unwrap();
    assert_eq!(
        created["actor"],
        json!({"type": "operator_key", "id": key_id})
    );
}

#[tokio::test]
async fn a_tenant_for_an_email_with_an_account_waits_for_that_persons_word() {
    let app = spawn_app().await;
    let (_, key) = app.operator_key(&["tenants.create"]).await;
    // The main tenant's owner has an account.
    let response = create_tenant(
        &app,
        &key,
        new_tenant_body("Second Office", &app.owner_email),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["owner"]["status"], "invited");
    let tenant = body["tenant"]["id"].as_str().unwrap().to_owned();
    // Recorded as owner-to-be, without access until she accepts.
    assert_problem(
        app.get(&format!("/v1/tenants/{tenant}"), &app.owner_token)
            .await,
        StatusCode::FORBIDDEN,
        "membership_inactive",
    )
    .await;
    // Her password did not change, and the invitation mailed to her makes her owner.
    let links = app.invitation_links_to(&app.owner_email).await;
    assert_eq!(links.len(), 1);
    let response = app
        .accept(
            &token_of(&links[0]),
            json!({"mode": "existing", "email": app.owner_email, "password": GOOD_PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let session = app.sign_in_token(&app.owner_email, GOOD_PASSWORD).await;
    let users = app
        .get_json(&format!("/v1/tenants/{tenant}/users"), &session)
        .await;
    assert_eq!(users["items"][0]["role"], "owner");
}

#[tokio::test]
async fn only_a_live_key_with_the_scope_gets_in() {
    let app = spawn_app().await;
    let (read_id, reader) = app.operator_key(&["tenants.read"]).await;
    let body = new_tenant_body("Nope", "nope@example.org");
    // No key, a session, a malformed key, one character changed: 401.
    let response = app
        .http
        .post(app.url("/v1/tenants"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    assert_problem(
        create_tenant(&app, &app.owner_token, body.clone()).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    // One character of the random part changed (the middle one: the last carries padding bits).
    let mut changed: Vec<char> = reader.chars().collect();
    let middle = 9 + 20;
    changed[middle] = if changed[middle] == 'A' { 'B' } else { 'A' };
    let changed: String = changed.into_iter().collect();
    for bad in ["usher_op_short", changed.as_str()] {
        assert_problem(
            app.get("/v1/tenants", bad).await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        )
        .await;
    }
    // A tenant key's prefix is not an operator key.
    let as_tenant_key = reader.replace("usher_op_", "usher_tk_");
    assert_problem(
        app.get("/v1/tenants", &as_tenant_key).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    // The right key without the scope: 403.
    assert_problem(
        create_tenant(&app, &reader, body.clone()).await,
        StatusCode::FORBIDDEN,
        "insufficient_scope",
    )
    .await;
    assert_eq!(
        app.get("/v1/tenants", &reader).await.status(),
        StatusCode::OK
    );
    // A tenant's routes take an operator key only with `tenants.admin`; the person routes
    // never.
    assert_problem(
        app.get(&format!("/v1/tenants/{}", app.tenant_id), &reader)
            .await,
        StatusCode::FORBIDDEN,
        "insufficient_scope",
    )
    .await;
    assert_problem(
        app.get("/v1/me", &reader).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;

    // A bad key and a good key with a wrong secret cost the same: one read, nothing else.
    app.counter.take();
    app.get("/v1/tenants", &changed).await;
    let wrong_secret = app.counter.take();
    app.get("/v1/tenants", &format!("usher_op_{}", "A".repeat(43)))
        .await;
    assert_eq!(app.counter.take(), wrong_secret);
    assert_eq!(wrong_secret, 1);

    // Revoked: refused on the very next request; listed with when.
    usher_core::usecases::operator_keys::revoke(&app.app, read_id.parse().unwrap())
        .await
        .unwrap();
    assert_problem(
        app.get("/v1/tenants", &reader).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    let keys = usher_core::usecases::operator_keys::list(&app.app)
        .await
        .unwrap();
    let listed = keys
        .iter()
        .find(|k| k.entry.id.to_string() == read_id)
        .unwrap();
    assert!(listed.entry.revoked_at.is_some());
    assert!(listed.last_used_at.is_some(), "its use was recorded");
}

#[tokio::test]
async fn tenants_are_listed_by_name_a_page_at_a_time() {
    let app = spawn_app().await;
    let (_, key) = app
        .operator_key(&["tenants.create", "tenants.read", "tenants.suspend"])
        .await;
    for (name, email) in [
        ("Alpha Leasing", "a@example.org"),
        ("alpine Desk", "b@example.org"),
        ("Beta Chat", "c@example.org"),
    ] {
        assert_eq!(
            create_tenant(&app, &key, new_tenant_body(name, email))
                .await
                .status(),
            StatusCode::CREATED
        );
    }
    let page = app.get_json("/v1/tenants?q=al&limit=1", &key).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["name"], "Alpha Leasing");
    let cursor = page["next_cursor"].as_str().unwrap();
    let next = app
        .get_json(&format!("/v1/tenants?q=al&limit=1&cursor={cursor}"), &key)
        .await;
    assert_eq!(next["items"][0]["name"], "alpine Desk");
    // Two names start with "al": a further page, if one is offered, is empty.
    if let Some(cursor) = next["next_cursor"].as_str() {
        let last = app
            .get_json(&format!("/v1/tenants?q=al&limit=1&cursor={cursor}"), &key)
            .await;
        assert!(last["items"].as_array().unwrap().is_empty());
    }
    // A cursor of another listing is refused.
    assert_problem(
        app.get(&format!("/v1/tenants?q=beta&cursor={cursor}"), &key)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    // By status.
    let beta = app.get_json("/v1/tenants?q=beta", &key).await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app
        .post(
            &format!("/v1/tenants/{beta}/suspend"),
            Some(&key),
            json!({"reason": "Unpaid invoices"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let suspended = app.get_json("/v1/tenants?status=suspended", &key).await;
    let names: Vec<&str> = suspended["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Beta Chat"]);
    let active = app.get_json("/v1/tenants?status=active&q=b", &key).await;
    assert!(active["items"].as_array().unwrap().is_empty());
    // A prefix longer than any name is refused, not sent to the table.
    let long = "x".repeat(2000);
    assert_problem(
        app.get(&format!("/v1/tenants?q={long}"), &key).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    assert_problem(
        app.get("/v1/tenants?limit=0", &key).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    assert_problem(
        app.get("/v1/tenants?status=gone", &key).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
}

#[tokio::test]
async fn a_suspended_tenant_stops_everything_but_its_owners_reading_why() {
    let app = spawn_app().await;
    let (key_id, key) = app.operator_key(&["tenants.suspend"]).await;
    let (_, _, member) = app.member(app.tenant_id, "admin", &[]).await;
    let response = app.invite_to_main("later@example.org").await;
    assert_eq!(response["status"], "pending");
    let invitation_link = app.invitation_token_for("later@example.org").await;
    let tenant = format!("/v1/tenants/{}", app.tenant_id);

    let response = app
        .post(
            &format!("{tenant}/suspend"),
            Some(&key),
            json!({"reason": "Contract ended"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "suspended");
    assert_eq!(body["suspension"]["reason"], "Contract ended");
    // Twice is a conflict; an empty reason is refused.
    assert_problem(
        app.post(
            &format!("{tenant}/suspend"),
            Some(&key),
            json!({"reason": "Again"}),
        )
        .await,
        StatusCode::CONFLICT,
        "tenant_suspended",
    )
    .await;

    // Members: 403 everywhere in it, tokens included.
    for path in [
        tenant.clone(),
        format!("{tenant}/users"),
        format!("{tenant}/events"),
    ] {
        assert_problem(
            app.get(&path, &member).await,
            StatusCode::FORBIDDEN,
            "tenant_suspended",
        )
        .await;
    }
    assert_problem(
        app.mint_token(&member, app.tenant_id).await,
        StatusCode::FORBIDDEN,
        "tenant_suspended",
    )
    .await;
    // The owner reads why, and nothing else.
    let seen = app.get_json(&tenant, &app.owner_token).await;
    assert_eq!(seen["status"], "suspended");
    assert_eq!(seen["suspension"]["reason"], "Contract ended");
    assert_problem(
        app.get(&format!("{tenant}/users"), &app.owner_token).await,
        StatusCode::FORBIDDEN,
        "tenant_suspended",
    )
    .await;
    let response = app
        .request(
            Method::PATCH,
            &format!("{tenant}/settings"),
            Some(&app.owner_token),
            Some(json!({"members_can_invite": true})),
        )
        .await;
    assert_problem(response, StatusCode::FORBIDDEN, "tenant_suspended").await;
    // Its invitation link answers as withdrawn, and is not spent.
    assert_problem(
        app.invitation_preview(&invitation_link).await,
        StatusCode::GONE,
        "token_revoked",
    )
    .await;

    // Resumed: all of it works again, the link too.
    app.clock.advance(Duration::seconds(1));
    let response = app
        .post(&format!("{tenant}/resume"), Some(&key), json!({}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        app.get(&format!("{tenant}/users"), &member).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.invitation_preview(&invitation_link).await.status(),
        StatusCode::OK
    );
    assert_problem(
        app.post(&format!("{tenant}/resume"), Some(&key), json!({}))
            .await,
        StatusCode::CONFLICT,
        "tenant_not_suspended",
    )
    .await;
    let log = app
        .log_entries(&format!("{tenant}/events"), &app.owner_token)
        .await;
    let actions: Vec<&str> = log.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"tenant.suspended") && actions.contains(&"tenant.resumed"));
    let suspended = log
        .iter()
        .find(|e| e["action"] == "tenant.suspended")
        .unwrap();
    assert_eq!(suspended["actor"]["id"], key_id);
    assert_eq!(suspended["details"]["reason"], "Contract ended");
    // Another tenant's key-less suspend: a tenant that does not exist is a 404.
    assert_problem(
        app.post(
            "/v1/tenants/01KAAAAAAAAAAAAAAAAAAAAAAA/suspend",
            Some(&key),
            json!({"reason": "x"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn bad_tenant_bodies_get_clear_errors_and_make_nothing() {
    let app = spawn_app().await;
    let (_, key) = app.operator_key(&["tenants.create", "tenants.read"]).await;
    let cases = [
        (
            json!({"name": "", "owner": {"email": "x@example.org", "first_name": "A", "last_name": "B"}}),
            "name",
        ),
        (
            json!({"name": "Ok", "owner": {"email": "not an email", "first_name": "A", "last_name": "B"}}),
            "owner.email",
        ),
        (
            json!({"name": "Ok", "owner": {"email": "x@example.org", "first_name": "", "last_name": "B"}}),
            "owner.first_name",
        ),
        (
            json!({"name": "Ok", "owner": {"email": "x@example.org", "first_name": "A", "last_name": "B"},
                "settings": {"invitation_ttl_hours": 0}}),
            "invitation_ttl_hours",
        ),
        (
            json!({"name": "Ok", "owner": {"email": "x@example.org", "first_name": "A", "last_name": "B"},
                "settings": {"inbound": {"enabled": true, "addresses": ["help@x.example"]}}}),
            "settings.inbound",
        ),
    ];
    for (body, field) in cases {
        let problem = assert_problem(
            create_tenant(&app, &key, body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        )
        .await;
        assert!(
            problem["field"].as_str().is_some_and(|f| f.contains(field))
                || problem["detail"].as_str().unwrap().contains(field),
            "{problem}"
        );
    }
    let response = create_tenant(&app, &key, json!({"name": "Ok", "owner": {"email": "x@example.org", "first_name": "A", "last_name": "B"}, "extra": 1})).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let listed = app.get_json("/v1/tenants?q=ok", &key).await;
    assert!(listed["items"].as_array().unwrap().is_empty());
    assert!(app.mails_to("x@example.org").await.is_empty());
}

#[tokio::test]
async fn a_tenants_admin_key_acts_as_an_owner_in_every_tenant_and_is_named_for_it() {
    let app = spawn_app().await;
    let (key_id, admin) = app.operator_key(&["tenants.admin"]).await;
    let actor = json!({"type": "operator_key", "id": key_id});
    let (other, _, other_owner) = app.new_tenant("Other Office").await;
    for tenant in [app.tenant_id, other] {
        // It reads what an owner reads, settings included, and changes them.
        let seen = app.get_json(&format!("/v1/tenants/{tenant}"), &admin).await;
        assert!(seen["settings"].is_object(), "{seen}");
        let response = app
            .request(
                Method::PATCH,
                &format!("/v1/tenants/{tenant}/settings"),
                Some(&admin),
                Some(json!({"members_can_invite": true})),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    // It creates a user, and gives even the owner role.
    let response = app
        .create_user(
            other,
            &admin,
            json!({"email": "ops-made@example.org", "first_name": "Olek", "last_name": "Ops",
                   "role": "owner", "password": {"mode": "generate"}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    // It invites; the invitation names no member, and accepting it works like any other.
    let response = app
        .invite(
            other,
            &admin,
            json!({"email": "invited-by-ops@example.org"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let invitation: Value = response.json().await.unwrap();
    assert_eq!(invitation["inviter_id"], Value::Null);
    let link = app
        .invitation_links_to("invited-by-ops@example.org")
        .await
        .pop()
        .unwrap();
    let mail = app.mails_to("invited-by-ops@example.org").await;
    assert!(
        mail[0].mail.text.contains("Other Office"),
        "invited in the tenant's name"
    );
    assert_eq!(
        app.accept_as_new(&token_of(&link)).await.status(),
        StatusCode::OK
    );
    // It imports; the rows are done with its rights, as it is named.
    let response = app
        .import_csv(
            other,
            &admin,
            "",
            "email,first_name,last_name,role\nimported@example.org,Ida,Import,admin\n",
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    app.dispatch_all_pending().await;
    let users = app
        .get_json(&format!("/v1/tenants/{other}/users?limit=50"), &admin)
        .await;
    let emails: Vec<&str> = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    for email in [
        "ops-made@example.org",
        "invited-by-ops@example.org",
        "imported@example.org",
    ] {
        assert!(emails.contains(&email), "{email} in {emails:?}");
    }
    // Every change is the key's in the tenant's log, as its owner reads it.
    let log = app
        .log_entries(&format!("/v1/tenants/{other}/events"), &other_owner)
        .await;
    for action in [
        "tenant.settings_updated",
        "user.created",
        "invitation.sent",
        "users.import_started",
        "users.imported",
    ] {
        let entry = log.iter().find(|e| e["action"] == action);
        let entry = entry.unwrap_or_else(|| panic!("{action} in {log:#?}"));
        assert_eq!(entry["actor"], actor, "{action}");
    }

    // A tenant key's power is its maker's: the operator makes none.
    assert_problem(
        app.post(
            &format!("/v1/tenants/{other}/api-keys"),
            Some(&admin),
            json!({"name": "backend"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "session_required",
    )
    .await;
    // Nor is it anyone: no /v1/me, no token.
    assert_problem(
        app.get("/v1/me", &admin).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    assert_eq!(
        app.mint_token(&admin, other).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // A tenant that does not exist is plainly missing.
    assert_problem(
        app.get("/v1/tenants/01ARZ3NDEKTSV4RRFFQ69G5FAV", &admin)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // Revoked: refused on the very next request.
    usher_core::usecases::operator_keys::revoke(&app.app, key_id.parse().unwrap())
        .await
        .unwrap();
    assert_problem(
        app.get(&format!("/v1/tenants/{other}/users"), &admin).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn a_tenants_admin_key_reads_a_suspended_tenant_and_changes_nothing_in_it() {
    let app = spawn_app().await;
    let (_, admin) = app
        .operator_key(&["tenants.admin", "tenants.suspend"])
        .await;
    let tenant = app.tenant_id;
    let response = app
        .post(
            &format!("/v1/tenants/{tenant}/suspend"),
            Some(&admin),
            json!({"reason": "unpaid"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let seen = app.get_json(&format!("/v1/tenants/{tenant}"), &admin).await;
    assert_eq!(seen["status"], "suspended");
    assert_problem(
        app.get(&format!("/v1/tenants/{tenant}/users"), &admin)
            .await,
        StatusCode::FORBIDDEN,
        "tenant_suspended",
    )
    .await;
    assert_problem(
        app.create_user(
            tenant,
            &admin,
            json!({"email": "late@example.org", "first_name": "La", "last_name": "Te", "role": "member", "password": {"mode": "generate"}}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "tenant_suspended",
    )
    .await;
}
