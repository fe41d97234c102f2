//! `GET .../users.csv`: the members as a spreadsheet reads them.

use reqwest::StatusCode;
use serde_json::{Value, json};
use usher_tests::{TestApp, assert_problem, spawn_app};

async fn export(app: &TestApp, query: &str, token: &str) -> reqwest::Response {
    app.get(
        &format!("/v1/tenants/{}/users.csv{query}", app.tenant_id),
        token,
    )
    .await
}

#[tokio::test]
async fn the_export_is_utf8_csv_with_a_bom_a_column_per_permission_and_no_formulas() {
    let app = spawn_app().await;
    app.settings(json!({"permission_catalog": [{"name": "fleet.manage", "label": "Fleet"}, {"name": "accounting.read", "label": "Accounting"}]}))
        .await;
    let created = app
        .create_user(
            app.tenant_id,
            &app.owner_token,
            json!({"email": "zoe@example.org", "first_name": "Zoë", "last_name": "Müller, \"Zoë\"",
                   "phone": "+39 0543 712 111", "role": "member", "permissions": ["fleet.manage"], "password": {"mode": "link"}}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    // A name no route accepts any more, as data stored before the rule may hold it.
    let created: Value = created.json().await.unwrap();
    let key = usher_core::keys::membership(
        app.tenant_id,
        created["user"]["id"].as_str().unwrap().parse().unwrap(),
    );
    let mut item = app.table.get(&key).await.unwrap().unwrap();
    item.insert("first_name".into(), "=HYPERLINK(\"http://evil\")".into());
    app.table
        .transact(vec![usher_core::table::Op::put(item)])
        .await
        .unwrap();
    let response = export(&app, "", &app.owner_token).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let bytes = response.bytes().await.unwrap();
    assert!(
        bytes.starts_with("\u{FEFF}".as_bytes()),
        "a byte-order mark"
    );
    assert!(bytes.windows(2).any(|w| w == b"\r\n"), "CRLF line ends");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(&header[..3], ["email", "first_name", "last_name"]);
    assert_eq!(
        &header[header.len() - 3..],
        ["fleet.manage", "accounting.read", "users.manage"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2, "the owner and Zoë");
    let zoe = rows.iter().find(|r| &r[0] == "zoe@example.org").unwrap();
    assert_eq!(
        &zoe[1], "'=HYPERLINK(\"http://evil\")",
        "made text, not a formula"
    );
    assert_eq!(&zoe[2], "Müller, \"Zoë\"", "quotes and commas survive");
    assert_eq!(&zoe[4], "'+39 0543 712 111");
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(&zoe[column("fleet.manage")], "x");
    assert_eq!(&zoe[column("accounting.read")], "");
    assert_eq!(&zoe[column("status")], "active");
}

#[tokio::test]
async fn the_export_filters_by_status_and_is_for_those_who_manage_users_of_this_tenant() {
    let app = spawn_app().await;
    let (member_id, member_email, _) = app.member(app.tenant_id, "member", &[]).await;
    app.post(
        &format!("/v1/tenants/{}/users/{member_id}/archive", app.tenant_id),
        Some(&app.owner_token),
        json!({}),
    )
    .await;
    let archived = export(&app, "?status=archived", &app.owner_token)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(archived.lines().count(), 2);
    assert!(archived.contains(&member_email));
    let active = export(&app, "?status=active", &app.owner_token)
        .await
        .text()
        .await
        .unwrap();
    assert!(!active.contains(&member_email));
    let (_, _, plain) = app.member(app.tenant_id, "member", &[]).await;
    assert_problem(
        export(&app, "", &plain).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let (_, _, stranger) = app.new_tenant("Elsewhere").await;
    assert_problem(
        export(&app, "", &stranger).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        export(&app, "?status=gone", &app.owner_token).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
}

#[tokio::test]
async fn a_large_tenant_is_exported_a_page_at_a_time() {
    let app = spawn_app().await;
    for chunk in (0..1_200).collect::<Vec<_>>().chunks(20) {
        let created = chunk.iter().map(|n| {
            app.create_user(
                app.tenant_id,
                &app.owner_token,
                json!({"email": format!("bulk-{n:04}@example.org"), "first_name": "B", "last_name": "Ulk",
                       "role": "member", "password": {"mode": "link"}}),
            )
        });
        for response in futures::future::join_all(created).await {
            assert_eq!(response.status(), StatusCode::CREATED);
        }
    }
    app.counter.take();
    let text = export(&app, "", &app.owner_token)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        text.lines().count(),
        1 + 1_201,
        "the header, the owner and 1,200 members"
    );
    // The caller's batch read; the tree and every place in the tenant (a query each, at once);
    // two pages of 1,000.
    assert_eq!(app.counter.take(), 5);
}

#[tokio::test]
async fn the_export_has_each_members_team_paths_and_takes_a_team() {
    let app = spawn_app().await;
    let teams = format!("/v1/tenants/{}/teams", app.tenant_id);
    let sales = app.make_team("Sales", None, &[]).await;
    let north = app.make_team("North/East", Some(&sales), &[]).await;
    let support = app.make_team("Support", None, &[]).await;
    let (ana, ana_email, _) = app.member(app.tenant_id, "member", &[]).await;
    let (_, bo_email, _) = app.member(app.tenant_id, "member", &[]).await;
    for team in [&north, &support] {
        let response = app
            .post(
                &format!("{teams}/{team}/members"),
                Some(&app.owner_token),
                json!({"user_id": ana}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let rows = |bytes: &[u8]| -> (Vec<String>, Vec<csv::StringRecord>) {
        let mut reader = csv::Reader::from_reader(&bytes[3..]);
        let header = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        let rows = reader.records().map(Result::unwrap).collect();
        (header, rows)
    };
    let response = export(&app, "", &app.owner_token).await;
    let (header, all) = rows(&response.bytes().await.unwrap());
    let teams_column = header.iter().position(|h| h == "teams").unwrap();
    let ana_row = all.iter().find(|r| r[0] == *ana_email).unwrap();
    // A slash inside a name is written escaped, so the path reads back as two names.
    assert_eq!(&ana_row[teams_column], "Sales/North\\/East; Support");
    let bo_row = all.iter().find(|r| r[0] == *bo_email).unwrap();
    assert_eq!(&bo_row[teams_column], "");
    // Only Sales's people, with its sub-teams': Ana alone.
    let response = export(
        &app,
        &format!("?team_id={sales}&include=subteams"),
        &app.owner_token,
    )
    .await;
    let (_, only) = rows(&response.bytes().await.unwrap());
    let emails: Vec<&str> = only.iter().map(|r| &r[0]).collect();
    assert_eq!(emails, [ana_email.as_str()]);
    let response = export(&app, &format!("?team_id={sales}"), &app.owner_token).await;
    let (_, direct) = rows(&response.bytes().await.unwrap());
    assert!(direct.is_empty(), "nobody is in Sales itself");
    // Another tenant's team is none here.
    let (other, _, other_owner) = app.new_tenant("Other").await;
    let theirs = app.make_team_in(other, &other_owner, "Theirs").await;
    assert_problem(
        export(&app, &format!("?team_id={theirs}"), &app.owner_token).await,
        StatusCode::NOT_FOUND,
        "team_not_found",
    )
    .await;
}
