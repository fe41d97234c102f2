//! `GET .../users.csv/template`, `POST .../users.csv?dry_run=` and `GET .../imports/{id}`.

use reqwest::StatusCode;
use serde_json::{Value, json};
use usher_tests::{Backend, GOOD_PASSWORD, TestApp, assert_problem, spawn_app, spawn_app_on};

pub(crate) fn outcomes(rows: &Value) -> Vec<(u64, String, String)> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["row"].as_u64().unwrap(),
                r["outcome"].as_str().unwrap().to_owned(),
                r["code"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

pub(crate) async fn with_catalogue(app: &TestApp) {
    app.settings(json!({"permission_catalog": [
        {"name": "fleet", "label": "Fleet"}, {"name": "accounting", "label": "Accounting"}]}))
        .await;
}

/// Everything stored in the tenant's partition and every account partition touched, and the
/// outbox: what "nothing was written" compares.
pub(crate) async fn snapshot(app: &TestApp) -> (usize, usize, usize) {
    // What earlier changes filed (their mail, their webhook events) is done first.
    app.dispatch_all_pending().await;
    (
        app.partition(&usher_core::keys::tenant_pk(app.tenant_id))
            .await
            .len(),
        app.outbox_items().await.len(),
        app.sent_mails().await.len(),
    )
}

/// A dry run of `file` by `token` in the main tenant: its answer.
pub(crate) async fn dry_run(app: &TestApp, token: &str, file: impl Into<Vec<u8>>) -> Value {
    let response = app
        .import_csv(app.tenant_id, token, "?dry_run=true", file)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_template_names_the_columns_and_imports_as_it_is() {
    let app = spawn_app().await;
    with_catalogue(&app).await;
    let response = app
        .get(
            &format!("/v1/tenants/{}/users.csv/template", app.tenant_id),
            &app.owner_token,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let template = response.bytes().await.unwrap();
    assert!(template.starts_with("\u{FEFF}".as_bytes()));
    let text = std::str::from_utf8(&template[3..]).unwrap();
    let header = text.lines().next().unwrap();
    assert_eq!(
        header,
        "email,first_name,last_name,notification_email,phone,locale,role,auto_tickets,teams,send_credentials,fleet,accounting,users.manage"
    );
    let dry = dry_run(&app, &app.owner_token, template.to_vec()).await;
    assert_eq!(outcomes(&dry["rows"]), [(2, "added".into(), String::new())]);
}

#[tokio::test]
async fn a_dry_run_reports_what_each_row_would_become_and_writes_nothing() {
    let app = spawn_app().await;
    with_catalogue(&app).await;
    let (_, member_email, _) = app.member(app.tenant_id, "member", &["fleet"]).await;
    let (_, same_email, _) = app.member(app.tenant_id, "member", &[]).await;
    // An account another tenant made: it is invited, never joined.
    let (other, _, other_token) = app.new_tenant("Altra Srl").await;
    let elsewhere = "elsewhere@example.org";
    let created = app
        .create_user(other, &other_token, json!({"email": elsewhere, "first_name": "El", "last_name": "Sewhere", "role": "member", "password": {"mode": "link"}}))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let file = format!(
        "email;first_name;last_name;role;fleet\r\n\
         new@example.org;Nina;Nuova;member;x\r\n\
         {member_email};;;admin;x\r\n\
         {same_email};;;member;\r\n\
         {elsewhere};El;Sewhere;;\r\n\
         nolast@example.org;Nora;;;\r\n\
         NEW@example.org;Nina;Again;;\r\n\
         formula@example.org;=HYPERLINK(\"http://x\");F;;\r\n\
         not-an-email;A;B;;\r\n\
         boss@example.org;Bo;Ss;owner;\r\n"
    );
    app.clock.advance(chrono::Duration::seconds(1));
    let before = snapshot(&app).await;
    // An admin (not an owner) imports: owner is above them.
    let (_, _, admin_token) = app.member(app.tenant_id, "admin", &[]).await;
    let before_admin = snapshot(&app).await;
    let dry = dry_run(&app, &admin_token, file.clone()).await;
    assert_eq!(
        outcomes(&dry["rows"]),
        [
            (2, "added".into(), String::new()),
            (3, "updated".into(), String::new()),
            (4, "unchanged".into(), String::new()),
            (5, "added".into(), String::new()),
            (6, "error".into(), "missing_value".into()),
            (7, "error".into(), "duplicate_in_file".into()),
            (8, "error".into(), "formula_not_allowed".into()),
            (9, "error".into(), "invalid_value".into()),
            (10, "error".into(), "role_not_allowed".into()),
        ]
    );
    assert_eq!(dry["rows"][4]["field"], "last_name");
    assert_eq!(dry["rows"][7]["field"], "email");
    assert_eq!(
        dry["counts"],
        json!({"added": 2, "created": 0, "invited": 0, "updated": 1, "unchanged": 1, "error": 5})
    );
    assert_eq!(
        snapshot(&app).await,
        before_admin,
        "a dry run writes and sends nothing"
    );

    // The real run of a file with errors writes nothing either, and names the rows.
    let refused = assert_problem(
        app.import_csv(app.tenant_id, &admin_token, "", file).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "import_invalid",
    )
    .await;
    let errors = outcomes(&refused["errors"]);
    assert_eq!(errors.len(), 5);
    assert_eq!(errors[0], (6, "error".into(), "missing_value".into()));
    assert_eq!(snapshot(&app).await, before_admin);
    assert!(before.0 < before_admin.0, "the snapshot sees writes");
}

async fn import_creates_invites_and_updates_then_changes_nothing(app: TestApp) {
    with_catalogue(&app).await;
    let (member_id, member_email, _) = app
        .member(app.tenant_id, "member", &["accounting", "users.manage"])
        .await;
    let (other, _, other_token) = app.new_tenant("Altra Srl").await;
    let created = app
        .create_user(other, &other_token, json!({"email": "known@example.org", "first_name": "Kay", "last_name": "Known", "role": "member", "password": {"mode": "link"}}))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    app.dispatch_all_pending().await;
    app.clock.advance(chrono::Duration::seconds(1));
    // Semicolons, as an Italian spreadsheet saves; a quoted cell holding one and quotes.
    let file = format!(
        "\u{FEFF}email;first_name;last_name;phone;locale;role;fleet;accounting;auto_tickets;send_credentials\r\n\
         linked@example.org;Lina;\"Rossi; \"\"Bianchi\"\"\";'+39 0543 1;it;member;x;;no;yes\r\n\
         quiet@example.org;Quinto;Quieto;;;member;;;yes;no\r\n\
         known@example.org;Kay;Known;;;member;x;;;\r\n\
         {member_email};;;;;admin;x;;yes;\r\n"
    );
    let import = app.import_all(&file).await;
    assert_eq!(
        outcomes(&import["report"]),
        [
            (2, "created".into(), String::new()),
            (3, "created".into(), String::new()),
            (4, "invited".into(), String::new()),
            (5, "updated".into(), String::new()),
        ]
    );
    assert_eq!(import["rows_done"], 4);
    // The check said "added" for the new and the known email alike; done, each says which.
    assert_eq!(
        import["planned"],
        json!({"added": 3, "created": 0, "invited": 0, "updated": 1, "unchanged": 0, "error": 0})
    );
    assert_eq!(
        import["counts"],
        json!({"added": 0, "created": 2, "invited": 1, "updated": 1, "unchanged": 0, "error": 0})
    );

    let linked = app
        .user_by_email("linked@example.org")
        .await
        .unwrap_or_default();
    assert_eq!(linked["last_name"], "Rossi; \"Bianchi\"");
    assert_eq!(linked["phone"], "+39 0543 1");
    assert_eq!(linked["locale"], "it");
    assert_eq!(linked["created_via"], "import");
    assert_eq!(linked["permissions"], json!(["fleet"]));
    let quiet = app
        .user_by_email("quiet@example.org")
        .await
        .unwrap_or_default();
    assert_eq!(quiet["auto_tickets"], true);
    // send_credentials: a link to choose a password, in the person's language; none otherwise.
    let mails = app.mails_to("linked@example.org").await;
    assert_eq!(mails.len(), 1, "one link for linked@");
    assert!(app.mails_to("quiet@example.org").await.is_empty());
    assert_eq!(app.invitation_links_to("known@example.org").await.len(), 1);
    let updated = app.user_by_email(&member_email).await.unwrap_or_default();
    assert_eq!(updated["role"], "admin");
    assert_eq!(
        updated["permissions"],
        json!(["fleet", "users.manage"]),
        "the file's permission columns set theirs (accounting taken); others are kept"
    );
    assert_eq!(updated["auto_tickets"], true);
    // Each change in the log, with the importer as actor and the import named.
    let events: Value = app
        .get_json(
            &format!("/v1/tenants/{}/users/{member_id}/events", app.tenant_id),
            &app.owner_token,
        )
        .await;
    let change = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "user.updated")
        .expect("the update is logged");
    assert_eq!(change["details"]["import_id"], import["id"]);
    assert_eq!(
        change["details"]["changes"]["role"],
        json!({"from": "member", "to": "admin"})
    );
    let owner_id = app.account_id_of(&app.owner_token).await;
    assert_eq!(
        change["actor_id"],
        owner_id.as_str(),
        "the importer is the actor"
    );
    let log: Value = app
        .get_json(
            &format!("/v1/tenants/{}/events?action=users.imported", app.tenant_id),
            &app.owner_token,
        )
        .await;
    assert_eq!(log["items"][0]["details"]["counts"]["created"], 2);

    // The same file again: nothing changes, nothing is sent.
    let mails_before = app.sent_mails().await.len();
    app.clock.advance(chrono::Duration::seconds(1));
    let again = app.import_all(&file).await;
    assert_eq!(
        again["counts"],
        json!({"added": 0, "created": 0, "invited": 0, "updated": 0, "unchanged": 4, "error": 0})
    );
    assert_eq!(app.sent_mails().await.len(), mails_before);
    // The person set up by the import signs in once they chose a password.
    let link = app.new_reset_link_to("linked@example.org", &[]).await;
    assert!(link.contains("/reset/"), "{link}");
    let response = app
        .reset(&usher_tests::token_of(&link), GOOD_PASSWORD)
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(
        app.sign_in("linked@example.org", GOOD_PASSWORD)
            .await
            .status(),
        StatusCode::CREATED
    );
    // One imported without credentials chooses a password through "forgot password".
    assert!(
        app.sign_in("quiet@example.org", GOOD_PASSWORD)
            .await
            .status()
            .is_client_error()
    );
    assert_eq!(
        app.forgot("quiet@example.org").await.status(),
        StatusCode::ACCEPTED
    );
    let link = app.new_reset_link_to("quiet@example.org", &[]).await;
    let response = app
        .reset(&usher_tests::token_of(&link), GOOD_PASSWORD)
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(
        app.sign_in("quiet@example.org", GOOD_PASSWORD)
            .await
            .status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn an_import_creates_invites_and_updates_and_the_same_file_again_changes_nothing() {
    import_creates_invites_and_updates_then_changes_nothing(spawn_app().await).await;
}

#[tokio::test]
async fn an_import_on_dynamodb_local_does_the_same() {
    import_creates_invites_and_updates_then_changes_nothing(spawn_app_on(Backend::Dynamo).await)
        .await;
}

#[tokio::test]
async fn legacy_code_pages_are_read_when_named() {
    let app = spawn_app().await;
    // "Łukasz Żółw" in windows-1250, as Excel in a Polish locale saves "CSV".
    let polish: &[u8] = b"email;first_name;last_name\r\nl@example.org;\xA3ukasz;\xAF\xF3\xB3w\r\n";
    let refused = assert_problem(
        app.import_csv(app.tenant_id, &app.owner_token, "?dry_run=true", polish)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_encoding",
    )
    .await;
    assert_eq!(refused["row"], 2);
    let import = app
        .import_csv(
            app.tenant_id,
            &app.owner_token,
            "?encoding=windows-1250",
            polish,
        )
        .await;
    assert_eq!(import.status(), StatusCode::ACCEPTED);
    app.dispatch_all_pending().await;
    let user = app.user_by_email("l@example.org").await.unwrap_or_default();
    assert_eq!(
        (user["first_name"].as_str(), user["last_name"].as_str()),
        (Some("Łukasz"), Some("Żółw"))
    );
    // windows-1252: "Zoë Müller".
    let western: &[u8] = b"email,first_name,last_name\nz@example.org,Zo\xEB,M\xFCller\n";
    let import = app
        .import_csv(
            app.tenant_id,
            &app.owner_token,
            "?encoding=windows-1252",
            western,
        )
        .await;
    assert_eq!(import.status(), StatusCode::ACCEPTED);
    app.dispatch_all_pending().await;
    assert_eq!(
        app.user_by_email("z@example.org").await.unwrap_or_default()["first_name"],
        "Zoë"
    );
}

#[tokio::test]
async fn bad_files_are_refused_with_a_code_and_nothing_is_written() {
    let app = spawn_app().await;
    with_catalogue(&app).await;
    let mut too_many = String::from("email,first_name,last_name\n");
    for i in 0..10_001 {
        too_many.push_str(&format!("u{i}@example.org,U,{i}\n"));
    }
    let mut six_mb = String::from("email,first_name,last_name\n");
    while six_mb.len() < 6 * 1024 * 1024 {
        six_mb.push_str("someone@example.org,Some,One\n");
    }
    /// What is sent, and the status, code and row of the answer.
    type Case = (&'static str, Vec<u8>, StatusCode, &'static str, Option<u64>);
    let cases: Vec<Case> = vec![
        (
            "empty",
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_file",
            None,
        ),
        (
            "header only",
            b"email,first_name\n".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_file",
            None,
        ),
        (
            "binary",
            b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_csv",
            Some(1),
        ),
        (
            "bom in the middle",
            "email,first_name,last_name\na@example.org,A,B\n\u{FEFF}email,first_name,last_name\n"
                .into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_csv",
            Some(3),
        ),
        (
            "unbalanced quotes",
            b"email,first_name,last_name\na@example.org,\"Ada,B\nb@example.org,B,C\n".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_csv",
            Some(2),
        ),
        (
            "a short row",
            b"email,first_name,last_name\na@example.org,A\n".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_csv",
            Some(2),
        ),
        (
            "not utf-8",
            b"email,first_name,last_name\na@example.org,A,B\nb@example.org,Zo\xEB,B\n".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_encoding",
            Some(3),
        ),
        (
            "no email column",
            b"first_name,last_name\nA,B\n".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_column",
            Some(1),
        ),
        (
            "no header",
            b"ada@example.org,Ada,Lovelace\nbob@example.org,Bob,Rossi\n".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_header",
            Some(1),
        ),
        (
            "unknown column",
            b"email,department\na@example.org,IT\n".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_column",
            Some(1),
        ),
        (
            "twice a column",
            b"email,role,Role\na@example.org,member,member\n".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "duplicate_column",
            Some(1),
        ),
        (
            "unknown permission",
            b"email,first_name,last_name,it.admin\na@example.org,A,B,x\n".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_permission",
            Some(1),
        ),
        (
            "10,001 rows",
            too_many.into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many_rows",
            None,
        ),
        (
            "6 MB",
            six_mb.into_bytes(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            None,
        ),
    ];
    let before = snapshot(&app).await;
    for (name, file, status, code, row) in cases {
        for query in ["?dry_run=true", ""] {
            let problem = assert_problem(
                app.import_csv(app.tenant_id, &app.owner_token, query, file.clone())
                    .await,
                status,
                code,
            )
            .await;
            assert_eq!(problem["row"].as_u64(), row, "{name}: {problem:#}");
        }
    }
    // Not a CSV body, and a query that is not the import's.
    let json_body = app
        .post(
            &format!("/v1/tenants/{}/users.csv", app.tenant_id),
            Some(&app.owner_token),
            json!({"email": "a@example.org"}),
        )
        .await;
    assert_problem(
        json_body,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    for query in ["?encoding=utf-16", "?dry_run=maybe", "?tenant_id=x"] {
        let response = app
            .import_csv(
                app.tenant_id,
                &app.owner_token,
                query,
                "email\na@example.org\n",
            )
            .await;
        assert!(
            response.status().is_client_error(),
            "{query}: {}",
            response.status()
        );
    }
    assert_eq!(snapshot(&app).await, before, "nothing was written or sent");
}

#[tokio::test]
async fn a_crashed_import_resumes_without_doing_a_row_twice() {
    let app = spawn_app().await;
    let rows = 250;
    let mut file = String::from("email,first_name,last_name,send_credentials\n");
    for i in 0..rows {
        file.push_str(&format!("p{i:03}@example.org,P,{i},yes\n"));
    }
    let response = app
        .import_csv(app.tenant_id, &app.owner_token, "", file)
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    // The first chunk's job runs on a table that goes away after a few transactions: some rows
    // are done, the job fails and stays in the outbox.
    let crashing = usher_core::usecases::dispatch::dispatcher(&app.app, app.mailer.clone());
    app.faults.crash_after(3);
    let _ = crashing.drain().await;
    let halfway: Value = app.get_json(&location, &app.owner_token).await;
    let done = halfway["rows_done"].as_u64().unwrap();
    assert!(
        done > 0 && done < 100,
        "the crash left the chunk half done: {done}"
    );
    assert_eq!(halfway["status"], "running");
    // Later, the job runs again and finishes, doing each row once.
    app.clock.advance(chrono::Duration::hours(1));
    app.dispatch_all_pending().await;
    let finished: Value = app.get_json(&location, &app.owner_token).await;
    assert_eq!(finished["status"], "done");
    assert_eq!(finished["counts"]["created"], rows);
    let members = app
        .partition(&usher_core::keys::tenant_pk(app.tenant_id))
        .await;
    let created = members
        .iter()
        .filter(|item| {
            item.get("sk")
                .and_then(|v| v.as_str())
                .is_some_and(|sk| sk.starts_with("MEMBER#"))
        })
        .count();
    assert_eq!(created, rows + 1, "every row once, and the owner");
    let mails = app.sent_mails().await;
    for i in [0, 42, 99, 100, 249] {
        let to = format!("p{i:03}@example.org");
        assert_eq!(
            mails.iter().filter(|m| m.mail.to.as_str() == to).count(),
            1,
            "{to}"
        );
    }
    assert_eq!(mails.len(), rows);
}

/// DynamoDB round trips, pinned: the template 1; a check (dry run or real) 1 + one per 50 emails
/// + one per 100 of them with an account (the caller, the login items and invitation markers, the
/// memberships); a real run adds one write per chunk of 100 rows and the filing
/// transaction; the status 2 (the import, one page of 1,000 row results).
#[tokio::test]
async fn each_import_route_makes_the_pinned_number_of_round_trips() {
    let app = spawn_app().await;
    let (_, member_email, _) = app.member(app.tenant_id, "member", &[]).await;
    let tenant = app.tenant_id;
    let token = app.owner_token.clone();
    app.counter.take();
    let response = app
        .get(&format!("/v1/tenants/{tenant}/users.csv/template"), &token)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(app.counter.take(), 1, "template");

    let small = format!("email,first_name,last_name\nnew@example.org,N,E\n{member_email},,\n");
    let response = app.import_csv(tenant, &token, "?dry_run=true", small).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        app.counter.take(),
        3,
        "dry run, 2 rows, one with an account"
    );

    let mut file = String::from("email,first_name,last_name\n");
    for i in 0..120 {
        file.push_str(&format!("r{i}@example.org,R,{i}\n"));
    }
    let response = app
        .import_csv(tenant, &token, "?dry_run=true", file.clone())
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(app.counter.take(), 4, "dry run, 120 new rows");
    let response = app.import_csv(tenant, &token, "", file).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_eq!(app.counter.take(), 7, "real run, 120 new rows in 2 chunks");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    app.dispatch_all_pending().await;
    app.counter.take();
    let response = app.get(&location, &token).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(app.counter.take(), 2, "status");
}

#[tokio::test]
async fn two_dispatchers_at_once_do_each_row_once() {
    let app = spawn_app().await;
    let mut file = String::from("email,first_name,last_name,send_credentials\n");
    for i in 0..150 {
        file.push_str(&format!("c{i:03}@example.org,C,{i},yes\n"));
    }
    let response = app
        .import_csv(app.tenant_id, &app.owner_token, "", file)
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let other = usher_core::usecases::dispatch::dispatcher(&app.app, app.mailer.clone());
    let (first, second) = tokio::join!(
        async {
            let mut total = 0;
            for _ in 0..10 {
                total += app.dispatcher.drain().await.unwrap().sent;
            }
            total
        },
        async {
            let mut total = 0;
            for _ in 0..10 {
                total += other.drain().await.unwrap().sent;
            }
            total
        }
    );
    assert!(first + second > 0);
    app.dispatch_all_pending().await;
    let mails = app.sent_mails().await;
    assert_eq!(mails.len(), 150, "one link per row, none twice");
    let import: Value = app
        .get_json(
            response.headers()["location"].to_str().unwrap(),
            &app.owner_token,
        )
        .await;
    assert_eq!(import["counts"]["created"], 150);
}

#[tokio::test]
async fn an_export_imports_back_as_every_row_unchanged() {
    let app = spawn_app().await;
    with_catalogue(&app).await;
    let (archived_id, _, _) = app.member(app.tenant_id, "member", &["fleet"]).await;
    app.archive(&archived_id).await;
    app.create_user(
        app.tenant_id,
        &app.owner_token,
        json!({"email": "phone@example.org", "first_name": "Pia", "last_name": "Phone", "phone": "+39 0543 1",
               "notification_email": "pia@home.example", "role": "member", "permissions": ["accounting"], "password": {"mode": "link"}}),
    )
    .await;
    // An admin (below the owner, whose row is in the file) exports everything and imports it back.
    let (_, _, admin_token) = app.member(app.tenant_id, "admin", &["users.manage"]).await;
    let export = app
        .get(
            &format!("/v1/tenants/{}/users.csv", app.tenant_id),
            &admin_token,
        )
        .await
        .bytes()
        .await
        .unwrap();
    let dry = dry_run(&app, &admin_token, export.to_vec()).await;
    assert_eq!(
        dry["counts"],
        json!({"added": 0, "created": 0, "invited": 0, "updated": 0, "unchanged": 4, "error": 0}),
        "{dry:#}"
    );
    // Changing the archived member's row is refused: restore them first.
    let text = String::from_utf8(export.to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let archived_line = lines
        .iter()
        .find(|l| l.contains(",archived,"))
        .expect("the archived member is exported");
    let edited = archived_line.replace(",member,archived,", ",admin,archived,");
    let file = format!("{}\r\n{edited}\r\n", lines[0]);
    let dry = dry_run(&app, &admin_token, file).await;
    assert_eq!(dry["rows"][0]["code"], "member_archived", "{dry:#}");
}
