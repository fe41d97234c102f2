//! The public suffix list inbound mail reads for DMARC alignment, parsed as each cold start of
//! the inbound function parses it once: the time (median of 20) and the memory it takes.
//! Run: `cargo bench -p usher-core --bench public_suffix_list` (the bench profile is the release
//! one).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use publicsuffix::{List, Psl};

const LIST: &str = include_str!("../data/public_suffix_list.dat");

/// This process's resident memory and its peak, in KiB, as Linux reports them.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn main() {
    let (rss_before, _) = memory_kib();
    let kept: List = LIST.parse().expect("the list parses");
    let (rss_after, hwm) = memory_kib();
    let mut samples: Vec<Duration> = (0..20)
        .map(|_| {
            let start = Instant::now();
            let list: List = LIST.parse().expect("the list parses");
            let elapsed = start.elapsed();
            assert!(list.domain(b"mail.example.co.uk").is_some());
            elapsed
        })
        .collect();
    samples.sort();
    let lookups = 100_000;
    let start = Instant::now();
    for n in 0..lookups {
        let name = if n % 2 == 0 {
            "mail.example.co.uk"
        } else {
            "a.b.alice.github.io"
        };
        assert!(kept.domain(name.as_bytes()).is_some());
    }
    let per_lookup = start.elapsed() / lookups;
    println!(
        "list: {} bytes, {} rules",
        LIST.len(),
        LIST.lines().filter(|l| !l.starts_with("//")).count()
    );
    println!(
        "parse: median {:?} (min {:?}, max {:?}) of 20",
        samples[10], samples[0], samples[19]
    );
    println!(
        "resident after the first parse: +{} KiB (VmRSS {rss_before} -> {rss_after} KiB, VmHWM {hwm} KiB)",
        rss_after.saturating_sub(rss_before)
    );
    println!("lookup: {per_lookup:?} each, over {lookups}");
}
