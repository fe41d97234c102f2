//! The CSV export of a 100,000-member tenant on the real `usher serve` (this package's binary,
//! embedded table): how long it takes and the server's peak memory (VmHWM), to show the export
//! is written a page at a time rather than held in memory.
//!
//! The members are written straight into the data dir's table before the server starts (making
//! them through the API would time the creation, not the export).
//! Run: `cargo bench -p usher-local --bench export` (Linux: reads `/proc`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use support::{create_tenant, owner_session, serve, status_kib};
use usher_core::domain::{AccountId, EmailAddress, Locale, PermissionSet, Role, TenantId};
use usher_core::keys;
use usher_core::records::{CreatedVia, MembershipRecord, MembershipStatus, to_item};
use usher_core::table::{EmbeddedTable, Op, Table};

const MEMBERS: usize = 100_000;

async fn fill(data: &Path, tenant: TenantId) {
    let table: Arc<dyn Table> = Arc::new(EmbeddedTable::open(&data.join("usher.redb")).unwrap());
    let now = chrono::Utc::now();
    let ids: Vec<AccountId> = (0..MEMBERS)
        .map(|_| AccountId::from_ulid(ulid::Ulid::new()))
        .collect();
    for (chunk_number, chunk) in ids.chunks(100).enumerate() {
        let ops = chunk
            .iter()
            .enumerate()
            .map(|(n, id)| {
                let member = MembershipRecord {
                    tenant_id: tenant,
                    account_id: *id,
                    email: EmailAddress::parse(&format!("m{chunk_number}-{n}@bench.example"))
                        .unwrap(),
                    first_name: "Bea".into(),
                    last_name: format!("Bench {chunk_number}"),
                    phone: None,
                    locale: Locale::It,
                    notification_email: None,
                    role: Role::Member,
                    permissions: PermissionSet::default(),
                    status: MembershipStatus::Active,
                    access: true,
                    auto_tickets: true,
                    created_via: CreatedVia::Import,
                    created_by: None,
                    name_source: None,
                    needs_consent: false,
                    sessions_valid_after: None,
                    scim: None,
                    created_at: now,
                    updated_at: now,
                    version: 1,
                };
                Op::put(to_item(&keys::membership(tenant, *id), &member, None).unwrap())
            })
            .collect();
        table.transact(ops).await.unwrap();
    }
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (tenant, temporary) = create_tenant(&data, "Big", "owner@big.example");
    let tenant: TenantId = tenant.parse().unwrap();
    let start = Instant::now();
    fill(&data, tenant).await;
    println!(
        "{MEMBERS} members written in {:.1} s",
        start.elapsed().as_secs_f64()
    );

    let server = serve(&data, &[]).await;
    let (base, pid) = (server.base.clone(), server.pid());
    let http = reqwest::Client::new();
    let token = owner_session(&http, &base, "owner@big.example", &temporary).await;
    let before = status_kib(pid, "VmHWM:");
    let mut times = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        let mut response = http
            .get(format!("{base}/v1/tenants/{tenant}/users.csv"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let (mut bytes, mut lines) = (0usize, 0usize);
        while let Some(chunk) = response.chunk().await.unwrap() {
            bytes += chunk.len();
            lines += chunk.iter().filter(|b| **b == b'\n').count();
        }
        assert_eq!(lines, MEMBERS + 2, "the header, the owner and every member");
        times.push(start.elapsed());
        println!(
            "export: {:.2} s, {:.1} MB",
            start.elapsed().as_secs_f64(),
            bytes as f64 / 1e6
        );
    }
    times.sort();
    let peak = status_kib(pid, "VmHWM:");
    println!(
        "GET /v1/tenants/{{id}}/users.csv of {MEMBERS} members (release usher serve, embedded table): median {:.2} s; server VmHWM {:.1} MiB (before the exports {:.1} MiB)",
        times[1].as_secs_f64(),
        peak as f64 / 1024.0,
        before as f64 / 1024.0
    );
}
