//! Teams at their limits, on DynamoDB Local: a tenant with 1,000 teams in a five-level tree and
//! 10,000 places (2,000 people in 5 teams each). Through the real local server: a person's
//! teams with those above, a team's people with its sub-teams', a move of a team with 49
//! sub-teams under it, and the whole tree; p50 and p99 of each.
//! Run (it starts DynamoDB Local): `./scripts/test -p usher-tests --bench teams -- --nocapture`.

use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::Method;
use serde_json::json;
use usher_core::domain::{AccountId, EmailAddress, Locale, PermissionSet, Role, TeamId};
use usher_core::keys;
use usher_core::records::{
    CreatedVia, MembershipRecord, MembershipStatus, TeamEpochRecord, TeamMemberRecord,
    TeamNameRecord, TeamRecord, TeamStatus, to_item,
};
use usher_core::table::Op;
use usher_tests::{Backend, TestApp, spawn_app_on};

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let at = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[at]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    let p50 = percentile(&mut samples, 0.5);
    let p99 = percentile(&mut samples, 0.99);
    println!(
        "  {name:<58} p50 {:>7.1} ms   p99 {:>7.1} ms   (n={})",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        samples.len()
    );
}

/// p50/p99 of a query that answers a handful of items, in the main tenant's partition as it is:
/// DynamoDB Local's cost of a query grows with the partition (DynamoDB's does not), which the
/// figures below carry.
async fn probe_query(app: &TestApp, when: &str) {
    let pk = keys::tenant_pk(app.tenant_id);
    let mut samples = Vec::new();
    for _ in 0..50 {
        let start = Instant::now();
        app.table
            .query(&pk, "TEAMNAME#ROOT#", None, 10)
            .await
            .expect("a query");
        samples.push(start.elapsed());
    }
    report(&format!("a query of a few items, {when}"), samples);
}

/// Writes `ops` a transaction of 100 at a time, 8 transactions at once.
async fn write_all(app: &TestApp, ops: Vec<Op>) {
    let chunks: Vec<Vec<Op>> = ops.chunks(100).map(<[Op]>::to_vec).collect();
    for wave in chunks.chunks(8) {
        let writes = wave.iter().map(|chunk| app.table.transact(chunk.clone()));
        for result in futures::future::join_all(writes).await {
            result.expect("seeding the table");
        }
    }
}

fn new_team(app: &TestApp, name: String, parent: Option<&TeamRecord>, children: u32) -> TeamRecord {
    let now = Utc::now();
    TeamRecord {
        id: TeamId::from_ulid(ulid::Ulid::new()),
        tenant_id: app.tenant_id,
        name,
        description: None,
        parent_id: parent.map(|p| p.id),
        ancestors: parent.map(TeamRecord::path).unwrap_or_default(),
        permissions: PermissionSet::default(),
        status: TeamStatus::Active,
        children,
        scim: None,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

/// The tree: 4 roots; under each, 5 teams; under each of those, 5; under each of those, 7; and
/// under the first 154 of the depth-4 teams, one more each (1,000 teams). The first root's
/// first child also holds the team to move: 7 sub-teams of 6 each (50 teams).
fn tree(app: &TestApp) -> (Vec<TeamRecord>, TeamId) {
    let mut teams = Vec::new();
    let mut level = Vec::new();
    for r in 0..4 {
        level.push(new_team(app, format!("Root {r}"), None, 5));
    }
    let mut depth = 1;
    let widths = [5u32, 5, 7];
    while depth < 4 {
        let mut next = Vec::new();
        for parent in &level {
            for c in 0..widths[depth - 1] {
                let children = if depth < 3 { widths[depth] } else { 0 };
                next.push(new_team(
                    app,
                    format!("{} {c}", parent.name),
                    Some(parent),
                    children,
                ));
            }
        }
        teams.append(&mut level);
        level = next;
        depth += 1;
    }
    // The team to move, with its 49 sub-teams, under Root 0's first child.
    let host = teams
        .iter()
        .find(|t| t.depth() == 2)
        .cloned()
        .expect("a team at depth 2");
    let moved = new_team(app, "Moving".into(), Some(&host), 7);
    let mut sub = Vec::new();
    for c in 0..7 {
        let child = new_team(app, format!("Moving {c}"), Some(&moved), 6);
        for g in 0..6 {
            sub.push(new_team(app, format!("Moving {c}.{g}"), Some(&child), 0));
        }
        sub.push(child);
    }
    let moved_id = moved.id;
    for team in teams.iter_mut().filter(|t| t.id == host.id) {
        team.children += 1;
    }
    let fill = 1000 - (teams.len() + level.len() + 1 + sub.len());
    let mut leaves = Vec::new();
    for parent in level.iter_mut().take(fill) {
        parent.children = 1;
        leaves.push(new_team(
            app,
            format!("{} leaf", parent.name),
            Some(parent),
            0,
        ));
    }
    teams.append(&mut level);
    teams.push(moved);
    teams.append(&mut sub);
    teams.append(&mut leaves);
    (teams, moved_id)
}

fn team_ops(teams: &[TeamRecord]) -> Vec<Op> {
    let mut ops = Vec::new();
    for team in teams {
        ops.push(Op::put(
            to_item(&keys::team(team.tenant_id, team.id), team, None).unwrap(),
        ));
        ops.push(Op::put(
            to_item(
                &keys::team_name(team.tenant_id, team.parent_id, &team.name.to_lowercase()),
                &TeamNameRecord { team_id: team.id },
                None,
            )
            .unwrap(),
        ));
    }
    ops
}

fn person(app: &TestApp, n: usize) -> MembershipRecord {
    let now = Utc::now();
    MembershipRecord {
        tenant_id: app.tenant_id,
        account_id: AccountId::from_ulid(ulid::Ulid::new()),
        email: EmailAddress::parse(&format!("person-{n}@example.org")).unwrap(),
        first_name: "Person".into(),
        last_name: format!("{n}"),
        phone: None,
        locale: Locale::En,
        notification_email: None,
        role: Role::Member,
        permissions: PermissionSet::default(),
        status: MembershipStatus::Active,
        access: true,
        auto_tickets: false,
        created_via: CreatedVia::Admin,
        created_by: None,
        name_source: None,
        needs_consent: false,
        sessions_valid_after: None,
        scim: None,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

#[tokio::main]
async fn main() {
    let app = spawn_app_on(Backend::Dynamo).await;
    let (teams, moving) = tree(&app);
    assert_eq!(teams.len(), 1000);
    let leaves: Vec<&TeamRecord> = teams.iter().filter(|t| t.children == 0).collect();
    probe_query(&app, "partition nearly empty").await;
    let started = Instant::now();
    let mut ops = team_ops(&teams);
    // A tenant with teams has a teams epoch (its first team put it): people's grants are kept
    // against it.
    ops.push(Op::put(
        to_item(
            &keys::team_epoch(app.tenant_id),
            &TeamEpochRecord {
                epoch: ulid::Ulid::new().to_string(),
            },
            None,
        )
        .unwrap(),
    ));
    write_all(&app, ops).await;
    // 2,000 people, each in 5 teams spread over the leaves: 10,000 places, 20,000 items.
    let mut ops = Vec::new();
    let mut people = Vec::new();
    for n in 0..2000 {
        let membership = person(&app, n);
        ops.push(Op::put(
            to_item(
                &keys::membership(app.tenant_id, membership.account_id),
                &membership,
                None,
            )
            .unwrap(),
        ));
        for k in 0..5 {
            let team = leaves[(n * 5 + k * 37) % leaves.len()];
            let place = TeamMemberRecord {
                team_id: team.id,
                account_id: membership.account_id,
                maintainer: false,
                added_at: Utc::now(),
                version: 1,
            };
            for key in [
                keys::team_member(app.tenant_id, team.id, membership.account_id),
                keys::member_team(app.tenant_id, membership.account_id, team.id),
            ] {
                ops.push(Op::put(to_item(&key, &place, None).unwrap()));
            }
        }
        people.push(membership.account_id);
    }
    write_all(&app, ops).await;
    println!(
        "Seeded 1,000 teams and 10,000 places (22,000 items) on DynamoDB Local in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    probe_query(&app, "partition of 22,000 items").await;
    let base = format!("/v1/tenants/{}", app.tenant_id);
    let token = app.owner_token.clone();
    println!("Teams on DynamoDB Local, through the local server (debug build):");

    // Each person's first read works out what their teams grant and keeps it (as after any
    // change to their places); the reads after it use what was kept.
    for (pass, name) in [
        "a person's teams, with those above: first read (200 people)",
        "a person's teams, with those above: next reads (200 people)",
    ]
    .iter()
    .enumerate()
    {
        let mut samples = Vec::new();
        for n in 0..200 {
            let person = people[(n * 7) % people.len()];
            let start = Instant::now();
            let response = app
                .get(
                    &format!("{base}/users/{person}/teams?include=inherited"),
                    &token,
                )
                .await;
            samples.push(start.elapsed());
            assert_eq!(response.status(), 200);
            if pass == 1 && n == 0 {
                let body: serde_json::Value = response.json().await.unwrap();
                assert!(body["items"].as_array().unwrap().len() > 5, "{body}");
            }
        }
        report(name, samples);
    }

    let depth3: Vec<&TeamRecord> = teams.iter().filter(|t| t.depth() == 3).collect();
    // The first listing of a team works out what each of its people's teams grant (most of them
    // read here for the first time); the next listings use what was kept.
    for pass in ["first listing", "next listings"] {
        let mut samples = Vec::new();
        let mut listed = 0;
        for n in 0..100 {
            let team = depth3[n % depth3.len()];
            let start = Instant::now();
            let response = app
                .get(
                    &format!(
                        "{base}/teams/{}/members?include=subteams&limit=100",
                        team.id
                    ),
                    &token,
                )
                .await;
            samples.push(start.elapsed());
            assert_eq!(response.status(), 200);
            let body: serde_json::Value = response.json().await.unwrap();
            listed += body["items"].as_array().map_or(0, Vec::len);
        }
        report(
            &format!(
                "a depth-3 team's people with its sub-teams', a page of 100 (~{} each): {pass}",
                listed / 100
            ),
            samples,
        );
    }

    let roots: Vec<&TeamRecord> = teams.iter().filter(|t| t.depth() == 1).collect();
    let mut samples = Vec::new();
    for n in 0..50 {
        let to = roots[n % 2].id;
        let start = Instant::now();
        let response = app
            .request(
                Method::PATCH,
                &format!("{base}/teams/{moving}"),
                Some(&token),
                Some(json!({"parent_id": to})),
            )
            .await;
        samples.push(start.elapsed());
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }
    report(
        "a move of a team with 49 sub-teams (one transaction)",
        samples,
    );

    let mut samples = Vec::new();
    for _ in 0..100 {
        let start = Instant::now();
        let response = app.get(&format!("{base}/teams/tree"), &token).await;
        samples.push(start.elapsed());
        assert_eq!(response.status(), 200);
    }
    report("the whole tree (1,000 teams)", samples);
}
