//! The import's `teams` column: people join the teams their row names, missing teams are made
//! only when the import is asked to, and no row reaches past the importer or the tenant.

use reqwest::StatusCode;
use serde_json::{Value, json};
use usher_tests::{Backend, TestApp, assert_problem, sorted_strings, spawn_app, spawn_app_on};

use super::import::{dry_run, outcomes, snapshot, with_catalogue};

/// The id of the team at `path` (names from the root) in the main tenant's tree.
async fn team_at(app: &TestApp, path: &[&str]) -> String {
    let tree = app
        .get_json(
            &format!("/v1/tenants/{}/teams/tree", app.tenant_id),
            &app.owner_token,
        )
        .await;
    let mut level = tree["items"].clone();
    let mut id = String::new();
    for name in path {
        let team = level
            .as_array()
            .expect("a level of the tree")
            .iter()
            .find(|node| node["name"] == *name)
            .unwrap_or_else(|| panic!("no team {name} in {tree:#}"))
            .clone();
        id = team["id"].as_str().expect("an id").to_owned();
        level = team["children"].clone();
    }
    id
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut all: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    all.sort();
    all
}

async fn joins_and_makes_teams(app: TestApp) {
    with_catalogue(&app).await;
    let sales = app.make_team("Sales", None, &["fleet"]).await;
    let europe = app.make_team("Europe", Some(&sales), &[]).await;
    let lab = app.make_team("R/D; Lab", None, &[]).await;
    let (member_id, member_email, _) = app.member(app.tenant_id, "member", &[]).await;
    let (other, _, other_token) = app.new_tenant("Altra Srl").await;
    let known = app
        .create_user(
            other,
            &other_token,
            json!({"email": "known@example.org", "first_name": "Kay",
            "last_name": "Known", "role": "member", "password": {"mode": "link"}}),
        )
        .await;
    assert_eq!(known.status(), StatusCode::CREATED);
    app.dispatch_all_pending().await;
    // Paths from the root, in any letter case, separated by `;` or `|`; `\` keeps a `/` or a
    // `;` in a name.
    let file = format!(
        "email,first_name,last_name,role,teams\n\
         new@example.org,Nina,New,member,Sales/Europe; Ops/Night\n\
         {member_email},,,,sales | R\\/D\\; Lab\n\
         known@example.org,Kay,Known,member,SALES\n"
    );

    // Without create_missing_teams, a row naming a team that does not exist is in error...
    let dry = dry_run(&app, &app.owner_token, file.clone()).await;
    assert_eq!(
        outcomes(&dry["rows"]),
        [
            (2, "error".into(), "unknown_team".into()),
            (3, "updated".into(), String::new()),
            (4, "added".into(), String::new()),
        ]
    );
    assert_eq!(dry["rows"][0]["field"], "teams");
    assert!(
        dry["rows"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("\"Ops\""),
        "{dry:#}"
    );
    assert!(dry.get("new_teams").is_none(), "{dry:#}");
    // ...and a real run writes nothing.
    let before = snapshot(&app).await;
    let problem = assert_problem(
        app.import_csv(app.tenant_id, &app.owner_token, "", file.clone())
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "import_invalid",
    )
    .await;
    assert_eq!(problem["errors"][0]["code"], "unknown_team");
    assert_eq!(snapshot(&app).await, before);

    // Asked to, the check plans the missing teams, and still writes nothing.
    let response = app
        .import_csv(
            app.tenant_id,
            &app.owner_token,
            "?dry_run=true&create_missing_teams=true",
            file.clone(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let dry: Value = response.json().await.unwrap();
    assert_eq!(
        outcomes(&dry["rows"]),
        [
            (2, "added".into(), String::new()),
            (3, "updated".into(), String::new()),
            (4, "added".into(), String::new()),
        ]
    );
    assert_eq!(dry["new_teams"], json!(["Ops", "Ops/Night"]));
    assert_eq!(snapshot(&app).await, before);

    let import = app
        .import_all_with("?create_missing_teams=true", &file)
        .await;
    assert_eq!(
        import["counts"],
        json!({"added": 0, "created": 1, "invited": 1, "updated": 1, "unchanged": 0, "error": 0}),
        "{import:#}"
    );
    assert_eq!(import["new_teams"], json!(["Ops", "Ops/Night"]));
    let ops = team_at(&app, &["Ops"]).await;
    let night = team_at(&app, &["Ops", "Night"]).await;
    // The newcomer is in both teams the row names, and holds what Sales grants above Europe.
    let nina = app.user_by_email("new@example.org").await.unwrap();
    assert_eq!(
        sorted_strings(&nina["teams"]),
        sorted(&[&sales, &europe, &ops, &night])
    );
    assert_eq!(nina["effective_permissions"], json!(["fleet"]));
    // The member joined Sales and "R/D; Lab", and kept their own fields.
    let member = app.user_by_email(&member_email).await.unwrap();
    assert_eq!(sorted_strings(&member["teams"]), sorted(&[&sales, &lab]));
    assert_eq!(member["permissions"], json!([]));
    assert_eq!(member["effective_permissions"], json!(["fleet"]));
    // Someone another tenant knows is invited, the invitation naming the team: they join only
    // by accepting.
    let invitations = app
        .get_json(
            &format!("/v1/tenants/{}/invitations", app.tenant_id),
            &app.owner_token,
        )
        .await;
    let invitation = invitations["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["email"] == "known@example.org")
        .expect("known@ is invited");
    assert_eq!(invitation["team_ids"], json!([sales]));
    // Each team made and each place taken is in the log, with the import named.
    let made = app
        .get_json(
            &format!("/v1/tenants/{}/events?action=team.created", app.tenant_id),
            &app.owner_token,
        )
        .await;
    let by_import: Vec<&Value> = made["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["details"]["by"]["import_id"] == import["id"])
        .collect();
    assert_eq!(by_import.len(), 2, "{made:#}");
    let history = app
        .get_json(
            &format!("/v1/tenants/{}/users/{member_id}/events", app.tenant_id),
            &app.owner_token,
        )
        .await;
    let joined: Vec<&Value> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "team.member_added")
        .collect();
    assert_eq!(joined.len(), 2, "{history:#}");
    assert!(
        joined
            .iter()
            .all(|e| e["details"]["import_id"] == import["id"])
    );

    // The same file again changes nothing and makes no team.
    app.clock.advance(chrono::Duration::seconds(1));
    let again = app
        .import_all_with("?create_missing_teams=true", &file)
        .await;
    assert_eq!(
        again["counts"],
        json!({"added": 0, "created": 0, "invited": 0, "updated": 0, "unchanged": 3, "error": 0}),
        "{again:#}"
    );
    assert!(again.get("new_teams").is_none(), "{again:#}");

    // The export writes the teams as the import reads them: it imports back unchanged.
    let export = app
        .get(
            &format!("/v1/tenants/{}/users.csv", app.tenant_id),
            &app.owner_token,
        )
        .await
        .bytes()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&export).to_string();
    assert!(text.contains("R\\/D\\; Lab; Sales"), "{text}");
    let dry = dry_run(&app, &app.owner_token, export.to_vec()).await;
    assert_eq!(
        dry["counts"],
        json!({"added": 0, "created": 0, "invited": 0, "updated": 0, "unchanged": 3, "error": 0}),
        "{dry:#}"
    );
}

#[tokio::test]
async fn the_teams_column_joins_people_and_makes_missing_teams_only_when_asked() {
    joins_and_makes_teams(spawn_app().await).await;
}

#[tokio::test]
async fn the_teams_column_on_dynamodb_local_does_the_same() {
    joins_and_makes_teams(spawn_app_on(Backend::Dynamo).await).await;
}

#[tokio::test]
async fn the_teams_column_reaches_no_further_than_the_importer_and_the_tenant() {
    let app = spawn_app().await;
    with_catalogue(&app).await;
    let sales = app.make_team("Sales", None, &["fleet"]).await;
    app.make_team("Europe", Some(&sales), &[]).await;
    app.make_team("Desk", None, &[]).await;
    let old = app.make_team("Old", None, &[]).await;
    let archived = app
        .post(
            &format!("/v1/tenants/{}/teams/{old}/archive", app.tenant_id),
            Some(&app.owner_token),
            json!({}),
        )
        .await;
    assert_eq!(archived.status(), StatusCode::OK);
    let (other, _, other_owner) = app.new_tenant("Other").await;
    let theirs = app.make_team_in(other, &other_owner, "Theirs").await;

    // A users manager who lacks `fleet` joins nobody to a team that grants it, or to one under
    // it; a path through an archived team, too deep, a formula or another tenant's team name
    // is refused, each with its code.
    let (_, _, manager) = app.member(app.tenant_id, "member", &["users.manage"]).await;
    let file = "email,first_name,last_name,teams\n\
                a@example.org,A,A,Sales\n\
                b@example.org,B,B,Sales/Europe\n\
                c@example.org,C,C,Old/New\n\
                d@example.org,D,D,A/B/C/D/E/F\n\
                e@example.org,E,E,Desk/=cmd()\n\
                f@example.org,F,F,Theirs\n\
                g@example.org,G,G,Desk\n";
    let dry = dry_run(&app, &manager, file).await;
    // Taken after the manager's first request, which keeps what their teams grant them.
    let before = snapshot(&app).await;
    assert_eq!(
        outcomes(&dry["rows"]),
        [
            (2, "error".into(), "permission_not_allowed".into()),
            (3, "error".into(), "permission_not_allowed".into()),
            (4, "error".into(), "team_archived".into()),
            (5, "error".into(), "team_too_deep".into()),
            (6, "error".into(), "formula_not_allowed".into()),
            (7, "error".into(), "unknown_team".into()),
            (8, "added".into(), String::new()),
        ]
    );
    assert!(
        dry["rows"]
            .as_array()
            .unwrap()
            .iter()
            .take(6)
            .all(|r| r["field"] == "teams"),
        "{dry:#}"
    );
    // Asked to make missing teams, the archived one is still refused, not made again beside it.
    let response = app
        .import_csv(app.tenant_id, &manager, "?create_missing_teams=true", file)
        .await;
    let problem =
        assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "import_invalid").await;
    let codes: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "permission_not_allowed",
            "permission_not_allowed",
            "team_archived",
            "team_too_deep",
            "formula_not_allowed"
        ]
    );
    assert_eq!(snapshot(&app).await, before, "nothing was written");

    // A path with another tenant's team name makes this tenant's own team; theirs is untouched.
    let import = app
        .import_all_with(
            "?create_missing_teams=true",
            "email,first_name,last_name,teams\nf@example.org,F,F,Theirs\n",
        )
        .await;
    assert_eq!(import["new_teams"], json!(["Theirs"]));
    let ours = team_at(&app, &["Theirs"]).await;
    assert_ne!(ours, theirs);
    let members = app
        .get_json(
            &format!("/v1/tenants/{other}/teams/{theirs}/members"),
            &other_owner,
        )
        .await;
    assert!(members["items"].as_array().unwrap().is_empty());

    // A team archived between the check and the run: the row is refused, nobody is created.
    let desk = team_at(&app, &["Desk"]).await;
    let response = app
        .import_csv(
            app.tenant_id,
            &app.owner_token,
            "",
            "email,first_name,last_name,teams\nlate@example.org,Late,Row,Desk\n",
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let archived = app
        .post(
            &format!("/v1/tenants/{}/teams/{desk}/archive", app.tenant_id),
            Some(&app.owner_token),
            json!({}),
        )
        .await;
    assert_eq!(archived.status(), StatusCode::OK);
    app.dispatch_all_pending().await;
    let done = app.get_json(&location, &app.owner_token).await;
    assert_eq!(
        outcomes(&done["report"]),
        [(2, "error".into(), "team_archived".into())]
    );
    assert!(app.user_by_email("late@example.org").await.is_none());
}

/// Many rows joining one team go in few transactions: the team's check is taken once per
/// transaction, not a transaction per row. Measured before webhook events: 57 round trips for
/// the job, 144 when each row took a transaction of its own; with the fan-out of the events
/// each transaction files (three round trips each, even for a tenant with no endpoint), 127.
#[tokio::test]
async fn a_hundred_rows_joining_one_team_share_their_transactions() {
    let app = spawn_app().await;
    let desk = app.make_team("Desk", None, &[]).await;
    let mut file = String::from("email,first_name,last_name,teams\n");
    for i in 0..100 {
        file.push_str(&format!("p{i:03}@example.org,P,{i},Desk\n"));
    }
    let response = app
        .import_csv(app.tenant_id, &app.owner_token, "", file)
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    // A dispatcher on the counted table: the round trips of the import's job.
    let counted = usher_core::usecases::dispatch::dispatcher(&app.app, app.mailer.clone());
    app.counter.take();
    while counted.drain().await.expect("an outbox pass").sent > 0 {}
    let round_trips = app.counter.take();
    let done = app.get_json(&location, &app.owner_token).await;
    assert_eq!(done["counts"]["created"], 100, "{done:#}");
    let members = app
        .get_json(
            &format!(
                "/v1/tenants/{}/teams/{desk}/members?limit=200",
                app.tenant_id
            ),
            &app.owner_token,
        )
        .await;
    assert_eq!(
        members["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{members}"))
            .len(),
        100
    );
    assert!(
        round_trips < 200,
        "100 rows joining one team took {round_trips} round trips"
    );
}
