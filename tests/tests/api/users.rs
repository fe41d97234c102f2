use reqwest::StatusCode;
use serde_json::{Value, json};
use usher_core::keys;
use usher_core::token::SecretToken;
use usher_tests::{GOOD_PASSWORD, assert_problem, spawn_app};

fn new_user(email: &str, password: Value) -> Value {
    json!({"email": email, "first_name": "Ada", "last_name": "Lovelace", "role": "member", "password": password})
}

#[tokio::test]
async fn generate_mode_returns_a_temporary_password_once_and_never_mails_it() {
    let app = spawn_app().await;
    let mut body = new_user("ada@example.org", json!({"mode": "generate"}));
    body["send_credentials"] = json!(true);
    body["phone"] = json!("+39 0543 712 111");
    let response = app.create_user(app.tenant_id, &app.owner_token, body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    let password = created["generated_password"].as_str().unwrap().to_owned();
    assert_eq!(password.len(), 23);
    assert!(created.get("existing_account").is_none());
    let user = &created["user"];
    assert_eq!(user["email"], "ada@example.org");
    assert_eq!(user["role"], "member");
    assert_eq!(user["status"], "active");
    assert_eq!(user["created_via"], "admin");
    assert_eq!(user["phone"], "+39 0543 712 111");

    let mails = app.sent_mails().await;
    assert_eq!(mails[0].mail.to.as_str(), "ada@example.org");
    assert!(mails[0].mail.subject.contains("Comune di Forlì"));
    assert!(!mails[0].mail.text.contains(&password) && !mails[0].mail.html.contains(&password));

    // The user read back has no password field, and the password signs in (as temporary).
    let fetched: Value = app
        .get(
            &format!(
                "/v1/tenants/{}/users/{}",
                app.tenant_id,
                user["id"].as_str().unwrap()
            ),
            &app.owner_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(fetched.get("generated_password").is_none());
    let signed_in: Value = app
        .sign_in("ada@example.org", &password)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(signed_in["password_change_required"], true);
}

#[tokio::test]
async fn without_send_credentials_no_mail_is_sent() {
    let app = spawn_app().await;
    let response = app
        .create_user(
            app.tenant_id,
            &app.owner_token,
            new_user("quiet@example.org", json!({"mode": "generate"})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(
        app.mail_and_jobs().await.is_empty(),
        "nothing was filed for sending (but the change's webhook events)"
    );
    assert!(app.mailer.list().await.is_empty());
}

#[tokio::test]
async fn set_mode_stores_the_admins_password_after_the_policy_check() {
    let app = spawn_app().await;
    let weak = app
        .create_user(
            app.tenant_id,
            &app.owner_token,
            new_user(
                "bob@example.org",
                json!({"mode": "set", "value": "lovelace1234"}),
            ),
        )
        .await;
    assert_problem(weak, StatusCode::UNPROCESSABLE_ENTITY, "weak_password").await;
    let guessable = app
        .create_user(
            app.tenant_id,
            &app.owner_token,
            new_user(
                "bob@example.org",
                json!({"mode": "set", "value": "bob@example.org"}),
            ),
        )
        .await;
    assert_problem(guessable, StatusCode::UNPROCESSABLE_ENTITY, "weak_password").await;
    assert!(
        app.table
            .get(&keys::login("bob@example.org"))
            .await
            .unwrap()
            .is_none(),
        "nothing was written"
    );

    let mut body = new_user(
        "bob@example.org",
        json!({"mode": "set", "value": GOOD_PASSWORD}),
    );
    body["send_credentials"] = json!(true);
    body["locale"] = json!("fr");
    let response = app.create_user(app.tenant_id, &app.owner_token, body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    assert!(created.get("generated_password").is_none());
    let signed_in: Value = app
        .sign_in("bob@example.org", GOOD_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(signed_in["password_change_required"], false);
    let mails = app.sent_mails().await;
    assert!(
        mails[0].mail.subject.starts_with("Votre compte"),
        "French mail: {}",
        mails[0].mail.subject
    );
    assert!(!mails[0].mail.text.contains(GOOD_PASSWORD));
}

#[tokio::test]
async fn link_mode_mails_a_single_link_whose_token_is_stored_only_as_a_hash() {
    let app = spawn_app().await;
    let mut body = new_user("cleo@example.org", json!({"mode": "link"}));
    body["notification_email"] = json!("cleo.inbox@example.net");
    body["locale"] = json!("pl");
    let response = app.create_user(app.tenant_id, &app.owner_token, body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    assert!(created.get("generated_password").is_none());
    assert_eq!(
        created["user"]["notification_email"],
        "cleo.inbox@example.net"
    );

    // A link that sets a password goes to the address the account signs in with, never to the
    // notification address an admin chose (issue: an admin could otherwise set the password).
    let mails = app.sent_mails().await;
    let mail = &mails[0];
    assert_eq!(mails.len(), 1);
    assert_eq!(
        mail.mail.to.as_str(),
        "cleo@example.org",
        "the link goes to the login address"
    );
    assert!(app.mails_to("cleo.inbox@example.net").await.is_empty());
    assert!(
        mail.mail.subject.starts_with("Ustaw hasło"),
        "Polish mail: {}",
        mail.mail.subject
    );
    let link = mail
        .links
        .iter()
        .find(|l| l.contains("/reset/"))
        .expect("a set-password link");
    assert!(
        link.starts_with(&app.base),
        "links use the configured public URL"
    );
    let secret = SecretToken::parse(link.rsplit('/').next().unwrap()).expect("a 256-bit token");

    let stored = app
        .table
        .get(&keys::token(&secret.hash()))
        .await
        .unwrap()
        .expect("the token is stored by its hash");
    assert_eq!(stored["kind"], "set_password");
    let expires =
        chrono::DateTime::parse_from_rfc3339(stored["expires_at"].as_str().unwrap()).unwrap();
    let days = (expires.with_timezone(&chrono::Utc) - app.clock_now()).num_hours();
    assert_eq!(days, 7 * 24);
    assert!(stored["ttl"].is_i64());
    // The secret is nowhere in the table: not in the token item, not in the (sealed) outbox.
    for pk in [
        format!("TOKEN#{}", secret.hash()),
        keys::tenant_pk(app.tenant_id),
    ] {
        for item in app.partition(&pk).await {
            assert!(
                !serde_json::to_string(&item)
                    .unwrap()
                    .contains(secret.expose())
            );
        }
    }
    // No password yet: signing in fails like any wrong password.
    assert_problem(
        app.sign_in("cleo@example.org", GOOD_PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
}

trait ClockNow {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc>;
}

impl ClockNow for usher_tests::TestApp {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use usher_core::clock::Clock;
        self.clock.now()
    }
}

#[tokio::test]
async fn creating_the_same_email_twice_is_already_member_even_in_another_case() {
    let app = spawn_app().await;
    let first = app
        .create_user(
            app.tenant_id,
            &app.owner_token,
            new_user("Dana@Example.org", json!({"mode": "generate"})),
        )
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let second = app
        .create_user(
            app.tenant_id,
            &app.owner_token,
            new_user("dana@example.ORG", json!({"mode": "generate"})),
        )
        .await;
    assert_problem(second, StatusCode::CONFLICT, "already_member").await;
}

#[tokio::test]
async fn concurrent_creations_of_one_email_make_exactly_one_account() {
    let app = spawn_app().await;
    let attempts = (0..12).map(|_| {
        app.create_user(
            app.tenant_id,
            &app.owner_token,
            new_user("race@example.org", json!({"mode": "generate"})),
        )
    });
    let statuses: Vec<StatusCode> = futures::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    let members = app.partition(&keys::tenant_pk(app.tenant_id)).await;
    let race_members = members
        .iter()
        .filter(|m| m.get("email").and_then(Value::as_str) == Some("race@example.org"))
        .count();
    assert_eq!(race_members, 1);
}

#[tokio::test]
async fn permissions_must_be_in_the_tenant_catalogue() {
    let app = spawn_app().await;
    let mut body = new_user("perm@example.org", json!({"mode": "generate"}));
    body["permissions"] = json!(["reports.reply"]);
    let response = app
        .create_user(app.tenant_id, &app.owner_token, body.clone())
        .await;
    assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_permission",
    )
    .await;

    let patch = app
        .request(reqwest::Method::PATCH, &format!("/v1/tenants/{}/settings", app.tenant_id), Some(&app.owner_token),
            Some(json!({"permission_catalog": [{"name": "reports.reply", "label": "Reply to reports"}]})))
        .await;
    assert_eq!(patch.status(), StatusCode::OK);
    let response = app.create_user(app.tenant_id, &app.owner_token, body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["user"]["permissions"], json!(["reports.reply"]));
}

#[tokio::test]
async fn roles_have_ceilings() {
    let app = spawn_app().await;
    let (_, _, admin) = app.member(app.tenant_id, "admin", &[]).await;
    let mut owner_body = new_user("o2@example.org", json!({"mode": "generate"}));
    owner_body["role"] = json!("owner");
    let response = app
        .create_user(app.tenant_id, &admin, owner_body.clone())
        .await;
    assert_problem(response, StatusCode::FORBIDDEN, "role_not_allowed").await;
    let mut admin_body = new_user("a2@example.org", json!({"mode": "generate"}));
    admin_body["role"] = json!("admin");
    assert_eq!(
        app.create_user(app.tenant_id, &admin, admin_body)
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.create_user(app.tenant_id, &app.owner_token, owner_body)
            .await
            .status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn members_need_users_manage_and_grant_no_more_than_they_hold() {
    let app = spawn_app().await;
    app.request(reqwest::Method::PATCH, &format!("/v1/tenants/{}/settings", app.tenant_id), Some(&app.owner_token),
        Some(json!({"permission_catalog": [{"name": "reports.reply", "label": "Reply"}, {"name": "reports.export", "label": "Export"}]})))
        .await;
    let (_, _, plain) = app.member(app.tenant_id, "member", &[]).await;
    let response = app
        .create_user(
            app.tenant_id,
            &plain,
            new_user("x1@example.org", json!({"mode": "generate"})),
        )
        .await;
    assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    let list = app
        .get(&format!("/v1/tenants/{}/users", app.tenant_id), &plain)
        .await;
    assert_problem(list, StatusCode::FORBIDDEN, "forbidden").await;

    let (_, _, manager) = app
        .member(app.tenant_id, "member", &["users.manage", "reports.reply"])
        .await;
    let mut body = new_user("x2@example.org", json!({"mode": "generate"}));
    body["permissions"] = json!(["reports.reply"]);
    assert_eq!(
        app.create_user(app.tenant_id, &manager, body)
            .await
            .status(),
        StatusCode::CREATED
    );
    let mut wider = new_user("x3@example.org", json!({"mode": "generate"}));
    wider["permissions"] = json!(["reports.export"]);
    assert_problem(
        app.create_user(app.tenant_id, &manager, wider).await,
        StatusCode::FORBIDDEN,
        "permission_not_allowed",
    )
    .await;
    let mut admin = new_user("x4@example.org", json!({"mode": "generate"}));
    admin["role"] = json!("admin");
    assert_problem(
        app.create_user(app.tenant_id, &manager, admin).await,
        StatusCode::FORBIDDEN,
        "role_not_allowed",
    )
    .await;
}

#[tokio::test]
async fn users_are_listed_in_cursor_pages() {
    let app = spawn_app().await;
    for i in 0..5 {
        let response = app
            .create_user(
                app.tenant_id,
                &app.owner_token,
                new_user(&format!("p{i}@example.org"), json!({"mode": "link"})),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/tenants/{}/users?limit=2&cursor={c}", app.tenant_id),
            None => format!("/v1/tenants/{}/users?limit=2", app.tenant_id),
        };
        let page: Value = app.get_json(&path, &app.owner_token).await;
        pages += 1;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(
            items
                .iter()
                .map(|u| u["email"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 6, "five users and the owner: {seen:?}");
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 6);

    let active: Value = app
        .get_json(
            &format!("/v1/tenants/{}/users?status=active", app.tenant_id),
            &app.owner_token,
        )
        .await;
    assert_eq!(active["items"].as_array().unwrap().len(), 6);
    let archived: Value = app
        .get_json(
            &format!("/v1/tenants/{}/users?status=archived", app.tenant_id),
            &app.owner_token,
        )
        .await;
    assert_eq!(archived["items"].as_array().unwrap().len(), 0);
    assert!(archived["next_cursor"].is_null());

    for bad in [
        "limit=0",
        "limit=201",
        "limit=x",
        "status=gone",
        "cursor=%%%",
        "cursor=SU5WSVRFIzE",
        "color=red",
    ] {
        let response = app
            .get(
                &format!("/v1/tenants/{}/users?{bad}", app.tenant_id),
                &app.owner_token,
            )
            .await;
        assert!(
            response.status() == StatusCode::BAD_REQUEST
                || response.status() == StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}"
        );
        let code = if response.status() == StatusCode::BAD_REQUEST {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        assert_problem(response, code, "invalid_request").await;
    }
}

#[tokio::test]
async fn a_member_sees_themselves_but_not_others() {
    let app = spawn_app().await;
    let (member_id, _, member) = app.member(app.tenant_id, "member", &[]).await;
    let own = app
        .get(
            &format!("/v1/tenants/{}/users/{member_id}", app.tenant_id),
            &member,
        )
        .await;
    assert_eq!(own.status(), StatusCode::OK);
    let owner_id = app
        .sign_in(&app.owner_email, GOOD_PASSWORD)
        .await
        .json::<Value>()
        .await
        .unwrap()["account"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = app
        .get(
            &format!("/v1/tenants/{}/users/{owner_id}", app.tenant_id),
            &member,
        )
        .await;
    assert_problem(other, StatusCode::FORBIDDEN, "forbidden").await;
    let missing = app
        .get(
            &format!("/v1/tenants/{}/users/{}", app.tenant_id, ulid::Ulid::new()),
            &app.owner_token,
        )
        .await;
    assert_problem(missing, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn every_creation_is_in_the_audit_log() {
    let app = spawn_app().await;
    let created: Value = app
        .create_user(
            app.tenant_id,
            &app.owner_token,
            new_user("audit@example.org", json!({"mode": "link"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let subject = created["user"]["id"].as_str().unwrap();
    let events = app.partition(&keys::tenant_pk(app.tenant_id)).await;
    let user_created: Vec<_> = events
        .iter()
        .filter(|e| {
            e.get("action") == Some(&json!("user.created"))
                && e.get("subject_id") == Some(&json!(subject))
        })
        .collect();
    assert_eq!(
        user_created.len(),
        2,
        "the tenant log entry and the subject's copy"
    );
    assert_eq!(user_created[0]["details"]["password_mode"], "link");
    assert!(user_created[0]["actor_id"].is_string());
}

#[tokio::test]
async fn links_use_the_configured_public_url_whatever_host_the_request_names() {
    let app = spawn_app().await;
    let response = app
        .http
        .post(app.url(&format!("/v1/tenants/{}/users", app.tenant_id)))
        .bearer_auth(&app.owner_token)
        .header("host", "evil.example")
        .header("x-forwarded-host", "evil.example")
        .header("forwarded", "host=evil.example;proto=https")
        .json(&new_user("host@example.org", json!({"mode": "link"})))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let mails = app.sent_mails().await;
    assert!(
        mails[0].links.iter().all(|l| l.starts_with(&app.base)),
        "{:?}",
        mails[0].links
    );
    assert!(
        !mails[0].mail.text.contains("evil.example")
            && !mails[0].mail.html.contains("evil.example")
    );
}

/// Once the daily invitation quota is spent, creating a user answers 429 whatever the address:
/// an address with an account (which would be invited) and one without are told alike.
#[tokio::test]
async fn a_spent_invitation_quota_answers_every_address_alike() {
    let app =
        usher_tests::spawn_app_with_config(|config| config.invitations_per_inviter.max = 1).await;
    let (_, elsewhere, _) = app.new_tenant("Elsewhere").await;
    let invited = app
        .invite(
            app.tenant_id,
            &app.owner_token,
            json!({"email": "first@example.org"}),
        )
        .await;
    assert_eq!(invited.status(), StatusCode::CREATED);
    for email in [elsewhere.as_str(), "nobody-yet@example.org"] {
        let response = app
            .create_user(
                app.tenant_id,
                &app.owner_token,
                new_user(email, json!({"mode": "link"})),
            )
            .await;
        let problem = assert_problem(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
        assert!(
            !problem["detail"].as_str().unwrap().contains("account"),
            "{problem}"
        );
    }
    assert!(app.user_by_email("nobody-yet@example.org").await.is_none());
}
