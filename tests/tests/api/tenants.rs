use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use usher_tests::{TestApp, assert_problem, spawn_app};

#[tokio::test]
async fn admins_see_settings_and_members_do_not() {
    let app = spawn_app().await;
    let path = format!("/v1/tenants/{}", app.tenant_id);
    let tenant: Value = app.get_json(&path, &app.owner_token).await;
    assert_eq!(tenant["name"], "Comune di Forlì");
    assert_eq!(tenant["slug"], "comune-di-forli");
    assert_eq!(tenant["settings"]["invitation_ttl_hours"], 168);
    assert_eq!(tenant["settings"]["invitation_email_policy"], "exact");
    let (_, _, member) = app.member(app.tenant_id, "member", &[]).await;
    let seen: Value = app.get_json(&path, &member).await;
    assert_eq!(seen["name"], "Comune di Forlì");
    assert!(seen.get("settings").is_none() && seen.get("permission_catalog").is_none());
}

#[tokio::test]
async fn settings_are_validated_and_stored() {
    let app = spawn_app().await;
    let path = format!("/v1/tenants/{}/settings", app.tenant_id);
    let patch = |body: Value| app.request(Method::PATCH, &path, Some(&app.owner_token), Some(body));
    for (body, code) in [
        (json!({"invitation_ttl_hours": 0}), "invalid_request"),
        (json!({"invitation_ttl_hours": 721}), "invalid_request"),
        (
            json!({"inbound": {"allowed_domains": ["not a domain"]}}),
            "invalid_request",
        ),
        (
            json!({"inbound": {"addresses": ["not-an-email"]}}),
            "invalid_request",
        ),
        (
            json!({"inbound": {"default_permissions": ["fleet.manage"]}}),
            "unknown_permission",
        ),
        (
            json!({"permission_catalog": [{"name": "a.b", "label": "x"}, {"name": "a.b", "label": "y"}]}),
            "invalid_request",
        ),
        (
            json!({"permission_catalog": [{"name": "Bad Name", "label": "x"}]}),
            "invalid_request",
        ),
        (
            json!({"invitation_email_policy": "sometimes"}),
            "invalid_request",
        ),
        (json!({"members_can_invite": "yes"}), "invalid_request"),
        (json!({"colour": "blue"}), "invalid_request"),
    ] {
        assert_problem(
            patch(body.clone()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
        )
        .await;
    }
    let response = patch(json!({
        "members_can_invite": true,
        "invitation_ttl_hours": 72,
        "invitation_email_policy": "any",
        "announce_new_members": true,
        "permission_catalog": [{"name": "fleet.manage", "label": "Manage the fleet"}],
        "inbound": {"enabled": true, "addresses": ["Support@Leasing.example"], "allowed_domains": ["Example.ORG"],
                    "default_permissions": ["fleet.manage"], "grant_access": false}
    }))
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let tenant: Value = app
        .get_json(&format!("/v1/tenants/{}", app.tenant_id), &app.owner_token)
        .await;
    let settings = &tenant["settings"];
    assert_eq!(settings["members_can_invite"], true);
    assert_eq!(settings["invitation_ttl_hours"], 72);
    assert_eq!(settings["invitation_email_policy"], "any");
    assert_eq!(
        settings["inbound"]["allowed_domains"],
        json!(["example.org"])
    );
    assert_eq!(
        settings["inbound"]["addresses"],
        json!(["Support@Leasing.example"])
    );
    assert_eq!(tenant["permission_catalog"][0]["name"], "fleet.manage");
    // A partial patch leaves the rest alone.
    patch(json!({"members_can_invite": false})).await;
    let tenant: Value = app
        .get_json(&format!("/v1/tenants/{}", app.tenant_id), &app.owner_token)
        .await;
    assert_eq!(tenant["settings"]["members_can_invite"], false);
    assert_eq!(tenant["settings"]["invitation_ttl_hours"], 72);
}

#[tokio::test]
async fn an_inbound_address_belongs_to_one_tenant_at_a_time() {
    let app = spawn_app().await;
    let (other, _, other_owner) = app.new_tenant("Help Desk").await;
    let app = &app;
    let claim = |tenant, token: String, addresses: Value| {
        let path = format!("/v1/tenants/{tenant}/settings");
        async move {
            app.request(
                Method::PATCH,
                &path,
                Some(&token),
                Some(json!({"inbound": {"enabled": true, "addresses": addresses}})),
            )
            .await
        }
    };
    assert_eq!(
        claim(
            app.tenant_id,
            app.owner_token.clone(),
            json!(["help@desk.example"])
        )
        .await
        .status(),
        StatusCode::OK
    );
    let taken = claim(other, other_owner.clone(), json!(["HELP@desk.example"])).await;
    assert_problem(taken, StatusCode::CONFLICT, "inbound_address_taken").await;
    let other_tenant: Value = app
        .get_json(&format!("/v1/tenants/{other}"), &other_owner)
        .await;
    assert_eq!(
        other_tenant["settings"]["inbound"]["addresses"],
        json!([]),
        "nothing was written"
    );
    // Released by the first tenant, it can be claimed.
    assert_eq!(
        claim(app.tenant_id, app.owner_token.clone(), json!([]))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        claim(other, other_owner, json!(["help@desk.example"]))
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn only_admins_change_settings() {
    let app = spawn_app().await;
    let (_, _, member) = app.member(app.tenant_id, "member", &["users.manage"]).await;
    let response = app
        .request(
            Method::PATCH,
            &format!("/v1/tenants/{}/settings", app.tenant_id),
            Some(&member),
            Some(json!({"members_can_invite": true})),
        )
        .await;
    assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
}

#[tokio::test]
async fn the_default_locale_and_the_app_url_are_set_checked_and_cleared() {
    let app = spawn_app().await;
    let path = format!("/v1/tenants/{}/settings", app.tenant_id);
    let patch = |body: Value| {
        let (app, path) = (&app, &path);
        async move {
            app.request(Method::PATCH, path, Some(&app.owner_token), Some(body))
                .await
        }
    };
    let response =
        patch(json!({"default_locale": "pl", "app_url": "https://app.forli.example/portal"})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tenant: Value = response.json().await.unwrap();
    assert_eq!(tenant["settings"]["default_locale"], "pl");
    assert_eq!(
        tenant["settings"]["app_url"],
        "https://app.forli.example/portal"
    );
    for bad in [
        "http://app.forli.example/",
        "javascript:alert(1)",
        "https://user:secret@app.forli.example/",
        "https://app.forli.example/#fragment",
        "file:///etc/passwd",
        "not a url",
    ] {
        let body = assert_problem(
            patch(json!({"app_url": bad})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        )
        .await;
        assert_eq!(body["field"], "app_url", "{bad}");
    }
    let response = patch(json!({"default_locale": "de"})).await;
    assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    // Left out, it stays; null clears it.
    let tenant: Value = patch(json!({"members_can_invite": true}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        tenant["settings"]["app_url"],
        "https://app.forli.example/portal"
    );
    let tenant: Value = patch(json!({"app_url": null})).await.json().await.unwrap();
    assert!(tenant["settings"]["app_url"].is_null());
    assert_eq!(tenant["settings"]["default_locale"], "pl");
}

/// Point 12: a permission members hold cannot leave the catalogue; the answer says how many.
#[tokio::test]
async fn a_permission_in_use_cannot_leave_the_catalogue() {
    let app = spawn_app().await;
    let catalogue = json!([{"name": "reports.reply", "label": "Reply"}, {"name": "fleet.manage", "label": "Fleet"}]);
    app.settings(json!({"permission_catalog": catalogue})).await;
    app.member(app.tenant_id, "member", &["reports.reply"])
        .await;
    app.member(app.tenant_id, "member", &["reports.reply"])
        .await;
    let path = format!("/v1/tenants/{}/settings", app.tenant_id);
    let response = app
        .request(
            reqwest::Method::PATCH,
            &path,
            Some(&app.owner_token),
            Some(json!({"permission_catalog": [{"name": "fleet.manage", "label": "Fleet"}]})),
        )
        .await;
    let body = assert_problem(response, StatusCode::CONFLICT, "permission_in_use").await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("reports.reply is held by 2 member"),
        "{body}"
    );
    let tenant: Value = app
        .get_json(&format!("/v1/tenants/{}", app.tenant_id), &app.owner_token)
        .await;
    assert_eq!(tenant["permission_catalog"], catalogue, "nothing changed");
    // One nobody holds goes.
    app.settings(json!({"permission_catalog": [{"name": "reports.reply", "label": "Reply"}]}))
        .await;
}

/// Point 13: inbound addresses only on the deployment's receiving domains, and a conflict does not
/// say which address another tenant owns.
#[tokio::test]
async fn inbound_addresses_stay_on_receiving_domains_and_conflicts_name_none() {
    let app = spawn_app().await;
    let path = |tenant| format!("/v1/tenants/{tenant}/settings");
    let claim = |tenant, token: String, addresses: Value| {
        let app = &app;
        let path = path(tenant);
        async move {
            app.request(
                reqwest::Method::PATCH,
                &path,
                Some(&token),
                Some(json!({"inbound": {"enabled": true, "addresses": addresses}})),
            )
            .await
        }
    };
    for address in [
        "support@gmail.com",
        "ceo@bank.example",
        "x@desk.example.evil.com",
    ] {
        let response = claim(app.tenant_id, app.owner_token.clone(), json!([address])).await;
        assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "inbound_domain_not_allowed",
        )
        .await;
    }
    // A subdomain of a receiving domain is fine.
    let response = claim(
        app.tenant_id,
        app.owner_token.clone(),
        json!(["help@eu.desk.example"]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (other, _, other_owner) = app.new_tenant("Other").await;
    let response = claim(
        other,
        other_owner,
        json!(["mine@leasing.example", "HELP@eu.desk.example"]),
    )
    .await;
    let body = assert_problem(response, StatusCode::CONFLICT, "inbound_address_taken").await;
    let detail = body["detail"].as_str().unwrap().to_lowercase();
    assert!(
        !detail.contains("help@") && !detail.contains("mine@"),
        "{detail}"
    );
}

/// Point 12, raced: grants that commit while the removal of their permission is under way never
/// leave a member holding a permission the catalogue no longer has. The removal's first write to
/// the tenant is held back while the grants run, the worst moment for it.
#[tokio::test]
async fn a_grant_racing_the_removal_of_its_permission_never_outlives_it() {
    let app = spawn_app().await;
    let catalogue = |names: &[&str]| json!({"permission_catalog": names.iter().map(|n| json!({"name": n, "label": n})).collect::<Vec<_>>()});
    app.settings(catalogue(&["fleet.manage", "reports.reply"]))
        .await;
    let mut hold = app
        .faults
        .hold_next_transaction_on(usher_core::keys::tenant(app.tenant_id));
    let path = format!("/v1/tenants/{}/settings", app.tenant_id);
    let removal = app.request(
        reqwest::Method::PATCH,
        &path,
        Some(&app.owner_token),
        Some(catalogue(&["fleet.manage"])),
    );
    let grants_meanwhile = async {
        hold.reached().await;
        let grants = (0..4).map(|n| {
            app.create_user(
                app.tenant_id,
                &app.owner_token,
                json!({"email": format!("race-{n}@example.org"), "first_name": "R", "last_name": "C",
                       "role": "member", "permissions": ["reports.reply"], "password": {"mode": "link"}}),
            )
        });
        let statuses: Vec<StatusCode> = futures::future::join_all(grants)
            .await
            .iter()
            .map(|r| r.status())
            .collect();
        hold.release();
        statuses
    };
    let (removal, statuses) = tokio::join!(removal, grants_meanwhile);
    let granted = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let holding = holders(&app, "reports.reply").await;
    assert_eq!(holding, granted);
    let tenant: Value = app
        .get_json(&format!("/v1/tenants/{}", app.tenant_id), &app.owner_token)
        .await;
    let listed = tenant["permission_catalog"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "reports.reply");
    if holding > 0 {
        assert!(
            listed,
            "{holding} members hold reports.reply, which left the catalogue"
        );
        assert_problem(removal, StatusCode::CONFLICT, "permission_in_use").await;
    } else {
        assert_eq!(removal.status(), StatusCode::OK);
    }
    // Refused, the permission is grantable again.
    let response = app
        .create_user(
            app.tenant_id,
            &app.owner_token,
            json!({"email": "after@example.org", "first_name": "A", "last_name": "F",
                   "role": "member", "permissions": ["reports.reply"], "password": {"mode": "link"}}),
        )
        .await;
    assert_eq!(
        response.status(),
        if listed {
            StatusCode::CREATED
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    );
}

/// How many members of the main tenant hold `permission`, read from the table.
async fn holders(app: &TestApp, permission: &str) -> usize {
    app.partition(&usher_core::keys::tenant_pk(app.tenant_id))
        .await
        .iter()
        .filter(|item| {
            item["sk"]
                .as_str()
                .is_some_and(|sk| sk.starts_with(usher_core::keys::MEMBER_PREFIX))
        })
        .filter(|item| {
            item["permissions"]
                .as_array()
                .is_some_and(|held| held.iter().any(|p| p == permission))
        })
        .count()
}

/// The operator creating a tenant for an address that has an account joins nobody: the account
/// is invited to own it, by mail to its own address, and owns it once the person accepts.
#[tokio::test]
async fn a_tenant_created_for_an_existing_account_waits_for_its_owner_to_accept() {
    use usher_core::domain::{EmailAddress, PersonName, TenantName};
    use usher_core::usecases::bootstrap_tenant::{
        BootstrapTenant, FirstPassword, TenantOptions, bootstrap_tenant,
    };
    let app = spawn_app().await;
    let (member_id, email, session) = app.member(app.tenant_id, "member", &[]).await;
    let created = bootstrap_tenant(
        &app.app,
        BootstrapTenant {
            name: TenantName::parse("Second Office").unwrap(),
            owner_email: EmailAddress::parse(&email).unwrap(),
            owner_first_name: PersonName::parse("Typed").unwrap(),
            owner_last_name: PersonName::parse("ByOperator").unwrap(),
            first_password: FirstPassword::Generate,
            options: TenantOptions::default(),
        },
    )
    .await
    .unwrap();
    assert!(created.existing_account && created.generated_password.is_none());
    assert_eq!(created.owner_account_id.to_string(), member_id);
    let tenant = format!("/v1/tenants/{}", created.tenant_id);
    // Nothing opens before the person accepts (here doubly: the main tenant's owner set this
    // password, so it opens no other tenant either).
    assert_problem(
        app.get(&tenant, &session).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // The main tenant's owner set the password, so accepting takes one of the person's own.
    let token = app.invitation_token_for(&email).await;
    let accepted = app
        .accept(
            &token,
            json!({"mode": "existing", "email": email, "password": usher_tests::GOOD_PASSWORD,
                   "new_password": usher_tests::OWN_PASSWORD}),
        )
        .await;
    assert_eq!(accepted.status(), StatusCode::OK);
    let body: Value = accepted.json().await.unwrap();
    let owner = body["session"]["token"].as_str().unwrap();
    let me = app
        .get_json(&format!("{tenant}/users/{member_id}"), owner)
        .await;
    assert_eq!(
        (me["role"].as_str(), me["access"].as_bool()),
        (Some("owner"), Some(true))
    );
}
