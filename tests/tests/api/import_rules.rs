//! Who may import what: the importer's rights (read again for every chunk), the rules of rows,
//! and what another tenant's admin can reach or learn through an import.

use super::import::{dry_run, outcomes, snapshot, with_catalogue};
use reqwest::StatusCode;
use serde_json::{Value, json};
use usher_tests::{assert_problem, spawn_app};

#[tokio::test]
async fn who_may_import_and_what() {
    let app = spawn_app().await;
    with_catalogue(&app).await;
    let (_, _, plain_token) = app.member(app.tenant_id, "member", &["fleet"]).await;
    let (_, _, manager_token) = app
        .member(app.tenant_id, "member", &["users.manage", "fleet"])
        .await;
    let file = "email,first_name,last_name\nnew@example.org,N,E\n";
    for path in ["/users.csv/template"] {
        let response = app
            .get(
                &format!("/v1/tenants/{}{path}", app.tenant_id),
                &plain_token,
            )
            .await;
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    }
    assert_problem(
        app.import_csv(app.tenant_id, &plain_token, "?dry_run=true", file)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // A member holding users.manage makes members with permissions they hold, nothing more.
    let dry = dry_run(
        &app,
        &manager_token,
        "email,first_name,last_name,role,fleet,accounting\n\
             a@example.org,A,A,member,x,\n\
             b@example.org,B,B,admin,,\n\
             c@example.org,C,C,member,,x\n",
    )
    .await;
    assert_eq!(
        outcomes(&dry["rows"]),
        [
            (2, "added".into(), String::new()),
            (3, "error".into(), "role_not_allowed".into()),
            (4, "error".into(), "permission_not_allowed".into()),
        ]
    );
    assert_eq!(dry["rows"][2]["field"], "accounting");
}

#[tokio::test]
async fn another_tenants_admin_reaches_no_import() {
    let app = spawn_app().await;
    let (other, _, other_token) = app.new_tenant("Altra Srl").await;
    let response = app
        .import_csv(
            app.tenant_id,
            &app.owner_token,
            "",
            "email,first_name,last_name\na@example.org,A,B\n",
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.dispatch_all_pending().await;
    let before = snapshot(&app).await;
    for path in [
        format!("/v1/tenants/{}/imports/{id}", app.tenant_id),
        format!("/v1/tenants/{}/users.csv/template", app.tenant_id),
    ] {
        assert_problem(
            app.get(&path, &other_token).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    // This tenant's import under the other tenant's path is not there either.
    assert_problem(
        app.get(&format!("/v1/tenants/{other}/imports/{id}"), &other_token)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.import_csv(
            app.tenant_id,
            &other_token,
            "",
            "email,first_name,last_name\nb@example.org,B,C\n",
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(snapshot(&app).await, before);
}

#[tokio::test]
async fn rows_the_rules_refuse_are_errors_with_their_code() {
    let app =
        usher_tests::spawn_app_with_config(|config| config.invitations_per_inviter.max = 1).await;
    let (archived_id, archived_email, _) = app.member(app.tenant_id, "member", &[]).await;
    app.archive(&archived_id).await;
    let (other, _, other_token) = app.new_tenant("Altra Srl").await;
    for email in ["one@example.org", "two@example.org"] {
        let created = app
            .create_user(other, &other_token, json!({"email": email, "first_name": "A", "last_name": "B", "role": "member", "password": {"mode": "link"}}))
            .await;
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    let file = format!(
        "email,first_name,last_name,role\n{},,,admin\n{archived_email},,,admin\n\
         one@example.org,One,O,member\ntwo@example.org,Two,T,member\n",
        app.owner_email
    );
    let dry = dry_run(&app, &app.owner_token, file).await;
    assert_eq!(
        outcomes(&dry["rows"]),
        [
            (2, "error".into(), "last_owner".into()),
            (3, "error".into(), "member_archived".into()),
            (4, "added".into(), String::new()),
            (5, "added".into(), String::new()),
        ],
        "{dry:#}"
    );
    // Done, the two accounts of elsewhere are invited as far as the daily quota goes.
    let import = app
        .import_all(
            "email,first_name,last_name,role\n\
             one@example.org,One,O,member\ntwo@example.org,Two,T,member\n",
        )
        .await;
    assert_eq!(
        outcomes(&import["report"]),
        [
            (2, "invited".into(), String::new()),
            (3, "error".into(), "rate_limited".into()),
        ]
    );
    let detail = import["report"][1]["detail"].as_str().unwrap();
    assert!(
        !detail.contains("account"),
        "the row tells of an account: {detail}"
    );
}

#[tokio::test]
async fn an_importer_who_lost_the_right_meanwhile_imports_nobody() {
    let app = spawn_app().await;
    let (admin_id, _, admin_token) = app.member(app.tenant_id, "admin", &[]).await;
    let response = app
        .import_csv(
            app.tenant_id,
            &admin_token,
            "",
            "email,first_name,last_name\nx@example.org,X,Y\n",
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    // Before the job runs, the owner takes the admin's access away.
    let revoked = app
        .post(
            &format!("/v1/tenants/{}/users/{admin_id}/access", app.tenant_id),
            Some(&app.owner_token),
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::OK);
    app.dispatch_all_pending().await;
    let import: Value = app.get_json(&location, &app.owner_token).await;
    assert_eq!(
        outcomes(&import["report"]),
        [(2, "error".into(), "forbidden".into())]
    );
    assert_eq!(
        app.user_by_email("x@example.org").await.unwrap_or_default(),
        Value::Null
    );
}

/// A check is free and writes nothing: it must not tell an admin which addresses have an account
/// in some other tenant. A new email and one with an account elsewhere get the same answer, in
/// every field, whatever else the row says.
#[tokio::test]
async fn a_check_does_not_tell_whether_an_email_has_an_account_elsewhere() {
    let app = spawn_app().await;
    let (other, _, other_token) = app.new_tenant("Altra Srl").await;
    let created = app
        .create_user(other, &other_token, json!({"email": "known@example.org", "first_name": "Kay", "last_name": "Known", "role": "member", "password": {"mode": "link"}}))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let (_, _, admin_token) = app.member(app.tenant_id, "admin", &[]).await;
    for row in [",Ann,A,member", ",,,member", ",Ann,,admin", ",Ann,A,owner"] {
        let file = format!(
            "email,first_name,last_name,role\nknown@example.org{row}\nnobody@example.org{row}\n"
        );
        let dry = dry_run(&app, &admin_token, file).await;
        let mut rows = dry["rows"].as_array().unwrap().clone();
        for r in &mut rows {
            r["row"] = json!(0);
            r["email"] = json!("");
        }
        assert_eq!(rows[0], rows[1], "{row}: {dry:#}");
    }
}

/// Another tenant's admin imports a row for this tenant's member, with other names, phone and
/// language: the person is only invited there, and nothing of them changes here.
#[tokio::test]
async fn another_tenants_import_changes_nothing_of_a_person_it_does_not_have() {
    let app = spawn_app().await;
    let (_, email, _) = app.member(app.tenant_id, "member", &[]).await;
    let before = app.user_by_email(&email).await.unwrap();
    let (other, _, other_token) = app.new_tenant("Altra Srl").await;
    let file = format!(
        "email,first_name,last_name,phone,locale,role,notification_email\n\
         {email},Mallory,Rewritten,+39 0000 000,pl,admin,mallory@evil.example\n"
    );
    let response = app.import_csv(other, &other_token, "", file).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    app.dispatch_all_pending().await;
    let import = app.get_json(&location, &other_token).await;
    assert_eq!(
        outcomes(&import["report"]),
        [(2, "invited".into(), String::new())]
    );
    assert_eq!(
        import["report"][0].get("user_id"),
        None,
        "no account id is told"
    );
    let after = app.user_by_email(&email).await.unwrap();
    assert_eq!(
        after, before,
        "this tenant's view of the person is unchanged"
    );
    // The other tenant lists no such member until the person accepts.
    let listed = app
        .get_json(
            &format!("/v1/tenants/{other}/users?email={email}"),
            &other_token,
        )
        .await;
    assert_eq!(listed["items"], json!([]));
}
