use std::collections::HashMap;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use usher_tests::{Backend, TestApp, assert_problem, spawn_app, spawn_app_on};

fn teams_path(app: &TestApp) -> String {
    format!("/v1/tenants/{}/teams", app.tenant_id)
}

async fn create(app: &TestApp, name: &str, parent: Option<&str>) -> reqwest::Response {
    app.post(
        &teams_path(app),
        Some(&app.owner_token),
        json!({"name": name, "parent_id": parent}),
    )
    .await
}

/// Makes a team and answers its id.
async fn team(app: &TestApp, name: &str, parent: Option<&str>) -> String {
    let response = create(app, name, parent).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{name}");
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

async fn patch(app: &TestApp, id: &str, body: Value) -> reqwest::Response {
    app.request(
        Method::PATCH,
        &format!("{}/{id}", teams_path(app)),
        Some(&app.owner_token),
        Some(body),
    )
    .await
}

/// Every team of the main tenant, archived ones too, by id.
async fn all_teams(app: &TestApp) -> HashMap<String, Value> {
    let mut teams = HashMap::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get_json(
                &format!("{}?include=archived&limit=200{cursor}", teams_path(app)),
                &app.owner_token,
            )
            .await;
        for team in page["items"].as_array().unwrap() {
            teams.insert(team["id"].as_str().unwrap().to_owned(), team.clone());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return teams,
        }
    }
}

/// Every stored path equals the walk of parents, no team sits deeper than 5, and each team's
/// count of sub-teams is what the tree holds.
fn assert_consistent(teams: &HashMap<String, Value>) {
    for (id, team) in teams {
        let mut walk = vec![id.clone()];
        let mut at = team;
        while let Some(parent) = at["parent_id"].as_str() {
            assert!(walk.len() <= 5, "a cycle or too deep at {id}: {walk:?}");
            walk.push(parent.to_owned());
            at = &teams[parent];
        }
        walk.reverse();
        let stored: Vec<String> = team["path"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(stored, walk, "the stored path of {id}");
        assert_eq!(team["depth"], walk.len());
        let children = teams
            .values()
            .filter(|t| t["parent_id"].as_str() == Some(id))
            .count();
        assert_eq!(team["subteams"], children, "the sub-teams of {id}");
    }
}

#[tokio::test]
async fn teams_nest_five_deep_with_names_unique_among_siblings() {
    let app = spawn_app().await;
    let sales = team(&app, "Sales", None).await;
    // The same name in another letter case is taken among the roots, and free under Sales.
    assert_problem(
        create(&app, "SALES", None).await,
        StatusCode::CONFLICT,
        "team_name_taken",
    )
    .await;
    let mut parent = team(&app, "sales", Some(&sales)).await;
    for depth in 3..=5 {
        parent = team(&app, &format!("Level {depth}"), Some(&parent)).await;
    }
    let problem = assert_problem(
        create(&app, "Level 6", Some(&parent)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "team_too_deep",
    )
    .await;
    assert_eq!(problem["field"], "parent_id");
    let deepest = app
        .get_json(&format!("{}/{parent}", teams_path(&app)), &app.owner_token)
        .await;
    assert_eq!(deepest["depth"], 5);
    assert_eq!(deepest["path"][0], sales);

    // The tree in one answer, siblings in name order.
    team(&app, "Accounting", None).await;
    let tree = app
        .get_json(&format!("{}/tree", teams_path(&app)), &app.owner_token)
        .await;
    let roots: Vec<&str> = tree["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(roots, ["Accounting", "Sales"]);
    assert_eq!(
        tree["items"][1]["children"][0]["children"][0]["children"][0]["children"][0]["name"],
        "Level 5"
    );
    // Listings: the roots, the children of one team, a name prefix.
    let roots = app
        .get_json(
            &format!("{}?parent_id=root", teams_path(&app)),
            &app.owner_token,
        )
        .await;
    assert_eq!(roots["items"].as_array().unwrap().len(), 2);
    let children = app
        .get_json(
            &format!("{}?parent_id={sales}", teams_path(&app)),
            &app.owner_token,
        )
        .await;
    assert_eq!(children["items"][0]["name"], "sales");
    let named = app
        .get_json(&format!("{}?q=lev", teams_path(&app)), &app.owner_token)
        .await;
    assert_eq!(named["items"].as_array().unwrap().len(), 3);
    assert_consistent(&all_teams(&app).await);
}

#[tokio::test]
async fn a_team_name_follows_the_rules_of_a_persons_name() {
    let app = spawn_app().await;
    for (name, why) in [
        ("\u{200B}\u{200B}", "only invisible characters"),
        ("Sales\u{202E}gnp", "a bidi control"),
        ("=cmd|' /C calc'!A0", "a spreadsheet formula"),
        ("", "empty"),
    ] {
        let problem = assert_problem(
            create(&app, name, None).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        )
        .await;
        assert_eq!(problem["field"], "name", "{why}");
    }
    assert_problem(
        create(&app, &"x".repeat(1000), None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    // A slash is a character like another in a name.
    let response = create(&app, "Sales / North", None).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(all_teams(&app).await.len(), 1, "nothing else was made");
}

#[tokio::test]
async fn a_move_never_makes_a_cycle_nor_goes_too_deep_and_takes_its_subtree() {
    let app = spawn_app().await;
    let a = team(&app, "A", None).await;
    let b = team(&app, "B", Some(&a)).await;
    let c = team(&app, "C", Some(&b)).await;
    let d = team(&app, "D", Some(&c)).await;
    for (target, why) in [(&a, "itself"), (&b, "its child"), (&d, "a descendant")] {
        let problem = assert_problem(
            patch(&app, &a, json!({"parent_id": target})).await,
            StatusCode::CONFLICT,
            "team_cycle",
        )
        .await;
        assert_eq!(problem["field"], "parent_id", "{why}");
    }
    // B (with C and D) to the roots: every path in the subtree follows.
    let moved: Value = patch(&app, &b, json!({"parent_id": null}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(moved["depth"], 1);
    let teams = all_teams(&app).await;
    assert_eq!(teams[&d]["path"], json!([b, c, d]));
    assert_eq!(teams[&a]["subteams"], 0);
    assert_consistent(&teams);
    // Under a team at depth 3, B's three levels would reach depth 6.
    let x = team(&app, "X", None).await;
    let y = team(&app, "Y", Some(&x)).await;
    let z = team(&app, "Z", Some(&y)).await;
    assert_problem(
        patch(&app, &b, json!({"parent_id": z})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "team_too_deep",
    )
    .await;
    // Into a parent that has a child of the same name; into an unknown team.
    team(&app, "c", Some(&a)).await;
    assert_problem(
        patch(&app, &c, json!({"parent_id": a})).await,
        StatusCode::CONFLICT,
        "team_name_taken",
    )
    .await;
    assert_problem(
        patch(&app, &c, json!({"parent_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"})).await,
        StatusCode::NOT_FOUND,
        "team_not_found",
    )
    .await;
    // A rename and a move at once; a new letter case of one's own name.
    let renamed: Value = patch(&app, &c, json!({"name": "Charlie", "parent_id": a}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(renamed["name"], "Charlie");
    assert_eq!(renamed["path"], json!([a, c]));
    let recased = patch(&app, &c, json!({"name": "CHARLIE"})).await;
    assert_eq!(recased.status(), StatusCode::OK);
    assert_consistent(&all_teams(&app).await);
    // The log says what moved where.
    let log = app
        .log_entries(
            &format!("/v1/tenants/{}/events?action=team.moved", app.tenant_id),
            &app.owner_token,
        )
        .await;
    assert_eq!(log.len(), 2);
    let to_the_roots = log.iter().find(|e| e["details"]["team_id"] == b).unwrap();
    assert_eq!(to_the_roots["details"]["from_parent_id"], a);
    assert_eq!(to_the_roots["details"]["to_parent_id"], Value::Null);
}

async fn concurrent_moves_keep_every_path_true(backend: Backend) {
    let app = spawn_app_on(backend).await;
    // A forest of 12 teams, two levels deep.
    let mut ids = Vec::new();
    for root in 0..3 {
        let root_id = team(&app, &format!("Root {root}"), None).await;
        ids.push(root_id.clone());
        for child in 0..3 {
            ids.push(team(&app, &format!("Team {root}.{child}"), Some(&root_id)).await);
        }
    }
    // Rounds of moves at once, each of a team under another (or to the roots), many of them
    // conflicting: into each other's subtrees, into cycles, past the depth.
    let mut seed: u64 = 0x5eed;
    let mut next = move |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize % n
    };
    let mut committed = 0;
    for _ in 0..6 {
        let moves: Vec<(String, Value)> = (0..12)
            .map(|_| {
                let team = ids[next(ids.len())].clone();
                let to = match next(ids.len() + 1) {
                    n if n == ids.len() => Value::Null,
                    n => json!(ids[n]),
                };
                (team, to)
            })
            .collect();
        let app_ref = &app;
        let answers =
            futures::future::join_all(moves.iter().map(|(team, to)| async move {
                patch(app_ref, team, json!({"parent_id": to})).await
            }))
            .await;
        for answer in answers {
            let status = answer.status();
            if status == StatusCode::OK {
                committed += 1;
                continue;
            }
            let problem: Value = answer.json().await.unwrap();
            let code = problem["code"].as_str().unwrap();
            assert!(
                ["conflict", "team_cycle", "team_too_deep", "team_name_taken"].contains(&code),
                "{problem}"
            );
        }
        assert_consistent(&all_teams(&app).await);
    }
    assert!(committed > 0, "some moves went through");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_moves_keep_every_stored_path_true_on_the_embedded_table() {
    concurrent_moves_keep_every_path_true(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_moves_keep_every_stored_path_true_on_dynamodb() {
    concurrent_moves_keep_every_path_true(Backend::Dynamo).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creations_count_every_team_once_and_stop_at_the_limit() {
    let app = spawn_app().await;
    let parent = team(&app, "Parent", None).await;
    let app_ref = &app;
    let parent_ref = parent.as_str();
    let answers =
        futures::future::join_all((0..20).map(|n| async move {
            create(app_ref, &format!("Child {n}"), Some(parent_ref)).await
        }))
        .await;
    // Those that lose the race for the count too often are told to retry; none is half made.
    let created = answers
        .iter()
        .filter(|r| r.status() == StatusCode::CREATED)
        .count();
    assert!(
        answers
            .iter()
            .all(|r| [StatusCode::CREATED, StatusCode::CONFLICT].contains(&r.status()))
    );
    assert!(created >= 1);
    let teams = all_teams(&app).await;
    assert_eq!(teams.len(), created + 1);
    assert_consistent(&teams);

    // One place left in the tenant's count: of two creations at once, one gets it.
    let count_key = usher_core::keys::team_count(app.tenant_id);
    let mut count = app.table.get(&count_key).await.unwrap().unwrap();
    assert_eq!(count["count"], json!(teams.len()), "each team counted once");
    count.insert("count".into(), json!(999));
    app.table
        .transact(vec![usher_core::table::Op::put(count)])
        .await
        .unwrap();
    let (first, second) = tokio::join!(create(&app, "Last A", None), create(&app, "Last B", None));
    let mut statuses = [first.status(), second.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT]);
    let refused = if first.status() == StatusCode::CONFLICT {
        first
    } else {
        second
    };
    assert_problem(refused, StatusCode::CONFLICT, "team_limit_reached").await;
}

#[tokio::test]
async fn archive_asks_about_subteams_restore_needs_an_active_parent_delete_an_empty_archive() {
    let app = spawn_app().await;
    let path = teams_path(&app);
    let ops = team(&app, "Operations", None).await;
    let north = team(&app, "North", Some(&ops)).await;
    let depot = team(&app, "Depot", Some(&north)).await;
    let south = team(&app, "South", Some(&ops)).await;
    let app_ref = &app;
    let archive = |id: &str, body: Value| {
        let url = format!("{path}/{id}/archive");
        async move { app_ref.post(&url, Some(&app_ref.owner_token), body).await }
    };
    assert_problem(
        archive(&ops, json!({})).await,
        StatusCode::CONFLICT,
        "team_has_subteams",
    )
    .await;
    // North goes, and Depot with it; they leave the default listing and the tree.
    let archived: Value = archive(&north, json!({"subteams": "archive"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(archived["status"], "archived");
    let listed = app.get_json(&path, &app.owner_token).await;
    let mut names: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["Operations", "South"]);
    // Depot cannot come back under an archived North; an archived team is not edited.
    assert_problem(
        app.post(
            &format!("{path}/{depot}/restore"),
            Some(&app.owner_token),
            json!({}),
        )
        .await,
        StatusCode::CONFLICT,
        "team_archived",
    )
    .await;
    assert_problem(
        patch(&app, &north, json!({"name": "Nord"})).await,
        StatusCode::CONFLICT,
        "team_archived",
    )
    .await;
    assert_problem(
        create(&app, "Under North", Some(&north)).await,
        StatusCode::CONFLICT,
        "team_archived",
    )
    .await;
    // Operations goes with its sub-teams moved up to the roots.
    let response = archive(&ops, json!({"subteams": "move_up"})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let teams = all_teams(&app).await;
    assert_eq!(teams[&south]["parent_id"], Value::Null);
    assert_eq!(teams[&north]["parent_id"], Value::Null);
    assert_eq!(teams[&depot]["path"], json!([north, depot]));
    assert_consistent(&teams);
    // Delete: only archived, only without sub-teams; then the name is free.
    assert_problem(
        app.request(
            Method::DELETE,
            &format!("{path}/{south}"),
            Some(&app.owner_token),
            None,
        )
        .await,
        StatusCode::CONFLICT,
        "team_not_archived",
    )
    .await;
    assert_problem(
        app.request(
            Method::DELETE,
            &format!("{path}/{north}"),
            Some(&app.owner_token),
            None,
        )
        .await,
        StatusCode::CONFLICT,
        "team_not_empty",
    )
    .await;
    let response = app
        .request(
            Method::DELETE,
            &format!("{path}/{depot}"),
            Some(&app.owner_token),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = app
        .post(
            &format!("{path}/{north}/restore"),
            Some(&app.owner_token),
            json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    team(&app, "Depot", Some(&north)).await;
    assert_consistent(&all_teams(&app).await);
}

#[tokio::test]
async fn another_tenant_and_members_without_the_right_change_no_team() {
    let app = spawn_app().await;
    let sales = team(&app, "Sales", None).await;
    let (other, _, other_owner) = app.new_tenant("Other").await;
    let other_team = {
        let response = app
            .post(
                &format!("/v1/tenants/{other}/teams"),
                Some(&other_owner),
                json!({"name": "Theirs"}),
            )
            .await;
        let body: Value = response.json().await.unwrap();
        body["id"].as_str().unwrap().to_owned()
    };
    // The other tenant's owner: this tenant does not exist for them.
    let path = teams_path(&app);
    for (method, url, body) in [
        (Method::GET, path.clone(), None),
        (Method::GET, format!("{path}/tree"), None),
        (Method::GET, format!("{path}/{sales}"), None),
        (
            Method::PATCH,
            format!("{path}/{sales}"),
            Some(json!({"name": "Mine"})),
        ),
        (Method::POST, path.clone(), Some(json!({"name": "Mine"}))),
        (
            Method::POST,
            format!("{path}/{sales}/archive"),
            Some(json!({})),
        ),
        (Method::DELETE, format!("{path}/{sales}"), None),
    ] {
        assert_problem(
            app.request(method, &url, Some(&other_owner), body).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    // This tenant's owner naming the other tenant's team: no such team here, nothing written.
    assert_problem(
        create(&app, "Inside", Some(&other_team)).await,
        StatusCode::NOT_FOUND,
        "team_not_found",
    )
    .await;
    assert_problem(
        patch(&app, &sales, json!({"parent_id": other_team})).await,
        StatusCode::NOT_FOUND,
        "team_not_found",
    )
    .await;
    assert_problem(
        app.get(&format!("{path}/{other_team}"), &app.owner_token)
            .await,
        StatusCode::NOT_FOUND,
        "team_not_found",
    )
    .await;
    // A member reads the teams but changes none; one who manages users gives only what they
    // hold.
    let (_, _, member) = app.member(app.tenant_id, "member", &[]).await;
    assert_eq!(app.get(&path, &member).await.status(), StatusCode::OK);
    assert_problem(
        app.post(&path, Some(&member), json!({"name": "Mine"}))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    app.settings(json!({"permission_catalog": [{"name": "fleet.manage", "label": "Fleet"}]}))
        .await;
    let (_, _, manager) = app.member(app.tenant_id, "member", &["users.manage"]).await;
    assert_problem(
        app.post(
            &path,
            Some(&manager),
            json!({"name": "Fleet", "permissions": ["fleet.manage"]}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "permission_not_allowed",
    )
    .await;
    let teams = all_teams(&app).await;
    assert_eq!(teams.len(), 1, "nothing was written");
}

#[tokio::test]
async fn each_team_route_makes_its_pinned_round_trips() {
    let app = spawn_app().await;
    let path = teams_path(&app);
    let parent = team(&app, "Parent", None).await;
    let mut pins = Vec::new();
    // The tenant's first team started its teams epoch: the next request of each person works
    // out what their teams grant (their places: one query; the answer stored: one write), once.
    app.counter.take();
    app.get_json(&path, &app.owner_token).await;
    pins.push((
        "GET .../teams (the first request after a change to what teams grant)",
        4,
        app.counter.take(),
    ));
    let child = team(&app, "Child", Some(&parent)).await;
    pins.push(("POST .../teams", 2, app.counter.take()));
    app.get_json(&path, &app.owner_token).await;
    pins.push(("GET .../teams", 2, app.counter.take()));
    app.get_json(&format!("{path}/tree"), &app.owner_token)
        .await;
    pins.push(("GET .../teams/tree", 2, app.counter.take()));
    app.get_json(&format!("{path}/{child}"), &app.owner_token)
        .await;
    pins.push(("GET .../teams/{id}", 1, app.counter.take()));
    assert_eq!(
        patch(&app, &child, json!({"name": "Renamed"}))
            .await
            .status(),
        StatusCode::OK
    );
    pins.push(("PATCH .../teams/{id}", 3, app.counter.take()));
    let archived = app
        .post(
            &format!("{path}/{child}/archive"),
            Some(&app.owner_token),
            json!({}),
        )
        .await;
    assert_eq!(archived.status(), StatusCode::OK);
    pins.push(("POST .../archive", 3, app.counter.take()));
    app.get_json(&path, &app.owner_token).await;
    app.counter.take();
    let restored = app
        .post(
            &format!("{path}/{child}/restore"),
            Some(&app.owner_token),
            json!({}),
        )
        .await;
    assert_eq!(restored.status(), StatusCode::OK);
    pins.push(("POST .../restore (of a sub-team)", 3, app.counter.take()));
    app.post(
        &format!("{path}/{child}/archive"),
        Some(&app.owner_token),
        json!({}),
    )
    .await;
    app.get_json(&path, &app.owner_token).await;
    app.counter.take();
    let deleted = app
        .request(
            Method::DELETE,
            &format!("{path}/{child}"),
            Some(&app.owner_token),
            None,
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    pins.push(("DELETE .../teams/{id} (a sub-team)", 5, app.counter.take()));
    for (route, expected, measured) in pins {
        assert_eq!(measured, expected, "{route}");
    }
}

async fn add_member(
    app: &TestApp,
    token: &str,
    team: &str,
    user: &str,
    maintainer: bool,
) -> reqwest::Response {
    app.post(
        &format!("{}/{team}/members", teams_path(app)),
        Some(token),
        json!({"user_id": user, "maintainer": maintainer}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn people_join_a_team_once_and_see_their_teams_with_where_they_come_from() {
    let app = spawn_app().await;
    let sales = team(&app, "Sales", None).await;
    let north = team(&app, "North", Some(&sales)).await;
    let depot = team(&app, "Depot", Some(&north)).await;
    let (mia, _, mia_token) = app.member(app.tenant_id, "member", &[]).await;
    let (leo, _, _) = app.member(app.tenant_id, "member", &[]).await;
    // Fifty adds of one person to one team at once: one place.
    let app_ref = &app;
    let (north_ref, mia_ref) = (north.as_str(), mia.as_str());
    let answers = futures::future::join_all((0..50).map(|_| async move {
        add_member(app_ref, &app_ref.owner_token, north_ref, mia_ref, false).await
    }))
    .await;
    let mut added = 0;
    for answer in answers {
        match answer.status() {
            StatusCode::CREATED => added += 1,
            StatusCode::CONFLICT => {
                let problem: Value = answer.json().await.unwrap();
                assert!(
                    ["team_member_exists", "conflict"].contains(&problem["code"].as_str().unwrap()),
                    "{problem}"
                );
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(added, 1);
    let response = add_member(&app, &app.owner_token, &depot, &mia, false).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        add_member(&app, &app.owner_token, &sales, &leo, false)
            .await
            .status(),
        StatusCode::CREATED
    );

    // Mia sees her own teams: direct, then with those above, through the nearest direct one.
    let path = format!("/v1/tenants/{}/users/{mia}/teams", app.tenant_id);
    let direct = app.get_json(&path, &mia_token).await;
    let mut names: Vec<&str> = direct["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["Depot", "North"]);
    app.counter.take();
    let effective = app
        .get_json(&format!("{path}?include=inherited"), &mia_token)
        .await;
    assert_eq!(
        app.counter.take(),
        3,
        "the caller with her teams' grants and her places at once, then her teams in one batch"
    );
    let sales_entry = effective["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == sales)
        .unwrap();
    assert_eq!(sales_entry["via"], north);
    // Leo's teams are not Mia's to read.
    assert_problem(
        app.get(
            &format!("/v1/tenants/{}/users/{leo}/teams", app.tenant_id),
            &mia_token,
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    // Sales' people: Leo directly; with the sub-teams, Mia too, once.
    let members_path = format!("{}/{sales}/members", teams_path(&app));
    let direct = app.get_json(&members_path, &app.owner_token).await;
    assert_eq!(direct["items"].as_array().unwrap().len(), 1);
    assert_eq!(direct["items"][0]["id"], leo);
    let all = app
        .get_json(
            &format!("{members_path}?include=subteams"),
            &app.owner_token,
        )
        .await;
    let listed: Vec<(String, bool)> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap().to_owned(),
                m["direct"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(listed.len(), 2);
    assert!(listed.contains(&(leo.clone(), true)));
    assert!(listed.contains(&(mia.clone(), false)));
    // A page at a time, in account order: the cursor goes on where the page ended.
    let first = app
        .get_json(
            &format!("{members_path}?include=subteams&limit=1"),
            &app.owner_token,
        )
        .await;
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let second = app
        .get_json(
            &format!("{members_path}?include=subteams&limit=1&cursor={cursor}"),
            &app.owner_token,
        )
        .await;
    assert!(
        second.get("next_cursor").is_none_or(Value::is_null),
        "{second}"
    );
    let mut paged = vec![
        first["items"][0]["id"].as_str().unwrap().to_owned(),
        second["items"][0]["id"].as_str().unwrap().to_owned(),
    ];
    let sorted_pages = {
        let mut sorted = paged.clone();
        sorted.sort();
        sorted
    };
    assert_eq!(paged, sorted_pages, "account order");
    paged.sort();
    let mut both = vec![leo.clone(), mia.clone()];
    both.sort();
    assert_eq!(paged, both);
    // A cursor of another team's listing, or none at all, is refused.
    for bad in [
        format!("{}/{north}/members?cursor={cursor}", teams_path(&app)),
        format!("{members_path}?cursor=bm90LWEtY3Vyc29y"),
    ] {
        let problem = assert_problem(
            app.get(&bad, &app.owner_token).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        )
        .await;
        assert_eq!(problem["field"], "cursor");
    }

    // Leaving; the log has it in Mia's history.
    let response = app
        .request(
            Method::DELETE,
            &format!("{}/{depot}/members/{mia}", teams_path(&app)),
            Some(&app.owner_token),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.request(
            Method::DELETE,
            &format!("{}/{depot}/members/{mia}", teams_path(&app)),
            Some(&app.owner_token),
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
        "team_member_not_found",
    )
    .await;
    let history = app
        .log_entries(
            &format!("/v1/tenants/{}/users/{mia}/events", app.tenant_id),
            &app.owner_token,
        )
        .await;
    let actions: Vec<&str> = history
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"team.member_added") && actions.contains(&"team.member_removed"));
    // A team with people is not deleted, even archived.
    let archived = app
        .post(
            &format!("{}/{sales}/archive", teams_path(&app)),
            Some(&app.owner_token),
            json!({"subteams": "archive"}),
        )
        .await;
    assert_eq!(archived.status(), StatusCode::OK);
    assert_problem(
        add_member(&app, &app.owner_token, &north, &leo, false).await,
        StatusCode::CONFLICT,
        "team_archived",
    )
    .await;
    assert_problem(
        app.request(
            Method::DELETE,
            &format!("{}/{north}", teams_path(&app)),
            Some(&app.owner_token),
            None,
        )
        .await,
        StatusCode::CONFLICT,
        "team_not_empty",
    )
    .await;
}

#[tokio::test]
async fn a_maintainer_changes_the_people_of_their_teams_within_their_own_rights() {
    let app = spawn_app().await;
    app.settings(json!({"permission_catalog": [{"name": "fleet.manage", "label": "Fleet"}]}))
        .await;
    let office = team(&app, "Office", None).await;
    let fleet = {
        let response = app
            .post(
                &teams_path(&app),
                Some(&app.owner_token),
                json!({"name": "Fleet", "permissions": ["fleet.manage"]}),
            )
            .await;
        let body: Value = response.json().await.unwrap();
        body["id"].as_str().unwrap().to_owned()
    };
    let vans = team(&app, "Vans", Some(&fleet)).await;
    let (pia, _, pia_token) = app.member(app.tenant_id, "member", &[]).await;
    let (tom, _, _) = app.member(app.tenant_id, "member", &[]).await;
    let (_, _, admin) = app.member(app.tenant_id, "admin", &[]).await;
    // A plain member changes nobody's teams.
    assert_problem(
        add_member(&app, &pia_token, &office, &tom, false).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // Made a maintainer of Office (only those who manage users make one), Pia adds Tom there
    // and makes a sub-team under it, but no maintainer and no root team.
    assert_problem(
        add_member(&app, &pia_token, &office, &pia, true).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_eq!(
        add_member(&app, &admin, &office, &pia, true).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        add_member(&app, &pia_token, &office, &tom, false)
            .await
            .status(),
        StatusCode::CREATED
    );
    let sub = app
        .post(
            &teams_path(&app),
            Some(&pia_token),
            json!({"name": "Reception", "parent_id": office}),
        )
        .await;
    assert_eq!(sub.status(), StatusCode::CREATED);
    assert_problem(
        app.post(&teams_path(&app), Some(&pia_token), json!({"name": "Mine"}))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        app.request(
            Method::PATCH,
            &format!("{}/{office}/members/{tom}", teams_path(&app)),
            Some(&pia_token),
            Some(json!({"maintainer": true})),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // Not a maintainer of Fleet: nothing there.
    assert_problem(
        add_member(&app, &pia_token, &fleet, &tom, false).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // Under Office, a team that grants fleet.manage, which Pia lacks: nobody joins it through
    // her.
    let garage = app
        .post(
            &teams_path(&app),
            Some(&app.owner_token),
            json!({"name": "Garage", "parent_id": office, "permissions": ["fleet.manage"]}),
        )
        .await;
    let garage: Value = garage.json().await.unwrap();
    assert_problem(
        add_member(
            &app,
            &pia_token,
            garage["id"].as_str().unwrap(),
            &tom,
            false,
        )
        .await,
        StatusCode::FORBIDDEN,
        "permission_not_allowed",
    )
    .await;
    // A maintainer of Fleet, she holds fleet.manage through it, and adds people to Vans.
    add_member(&app, &app.owner_token, &fleet, &pia, true).await;
    assert_eq!(
        add_member(&app, &pia_token, &vans, &tom, false)
            .await
            .status(),
        StatusCode::CREATED
    );
    // Another tenant's person is nobody here; another tenant's owner reaches nothing.
    let (other, _, other_owner) = app.new_tenant("Other").await;
    let stranger = app.account_id_of(&other_owner).await;
    assert_problem(
        add_member(&app, &app.owner_token, &office, &stranger, false).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        add_member(&app, &other_owner, &office, &stranger, false).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.get(
            &format!("{}/{office}/members", teams_path(&app)),
            &other_owner,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let _ = other;
    let people = app
        .get_json(
            &format!("{}/{office}/members", teams_path(&app)),
            &app.owner_token,
        )
        .await;
    assert_eq!(people["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_users_list_takes_a_team_with_or_without_its_subteams() {
    let app = spawn_app().await;
    let sales = team(&app, "Sales", None).await;
    let north = team(&app, "North", Some(&sales)).await;
    let (ana, _, _) = app.member(app.tenant_id, "member", &[]).await;
    let (bo, _, _) = app.member(app.tenant_id, "member", &[]).await;
    let (_, _, _) = app.member(app.tenant_id, "member", &[]).await;
    let (dan, _, _) = app.member(app.tenant_id, "member", &[]).await;
    for (team, user) in [(&sales, &ana), (&north, &bo), (&north, &dan), (&sales, &bo)] {
        let response = add_member(&app, &app.owner_token, team, user, false).await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let archived = app
        .post(
            &format!("/v1/tenants/{}/users/{dan}/archive", app.tenant_id),
            Some(&app.owner_token),
            json!({}),
        )
        .await;
    assert_eq!(archived.status(), StatusCode::OK);
    let users = format!("/v1/tenants/{}/users", app.tenant_id);
    let ids = |page: &Value| -> Vec<String> {
        let mut ids: Vec<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let mut both = vec![ana.clone(), bo.clone()];
    both.sort();
    let page = app
        .get_json(&format!("{users}?team_id={sales}"), &app.owner_token)
        .await;
    assert_eq!(ids(&page), both);
    let page = app
        .get_json(&format!("{users}?team_id={north}"), &app.owner_token)
        .await;
    assert_eq!(ids(&page), vec![bo.clone()], "Dan is archived");
    let page = app
        .get_json(
            &format!("{users}?team_id={north}&status=archived"),
            &app.owner_token,
        )
        .await;
    assert_eq!(ids(&page), vec![dan.clone()]);
    // With its sub-teams, each person once, a page at a time.
    let first = app
        .get_json(
            &format!("{users}?team_id={sales}&include=subteams&limit=1"),
            &app.owner_token,
        )
        .await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .get_json(
            &format!("{users}?team_id={sales}&include=subteams&limit=1&cursor={cursor}"),
            &app.owner_token,
        )
        .await;
    let mut seen = [ids(&first), ids(&second)].concat();
    seen.sort();
    assert_eq!(seen, both);
    assert!(second["next_cursor"].is_null(), "{second}");
    // Another tenant's team is no team here; include alone, or anything but subteams, is refused.
    let (other, _, other_owner) = app.new_tenant("Other").await;
    let theirs = app.make_team_in(other, &other_owner, "Theirs").await;
    assert_problem(
        app.get(&format!("{users}?team_id={theirs}"), &app.owner_token)
            .await,
        StatusCode::NOT_FOUND,
        "team_not_found",
    )
    .await;
    for query in ["include=subteams", &format!("team_id={sales}&include=all")] {
        assert_problem(
            app.get(&format!("{users}?{query}"), &app.owner_token).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        )
        .await;
    }
}
