//! In-process search latency on a generated corpus.
//!
//! `cargo bench --bench search` indexes 10,000 generated documents (sentences drawn from the
//! bundled library, mixed with English, plus planted terms of known document frequency) and
//! reports p50/p90/p99 per query class, checking the planted terms' hit counts. Run without
//! `--bench` (as `cargo test --all-targets` does) it does the same on 300 documents, quickly,
//! as a smoke test.

mod common;

use std::time::Instant;

use common::{generate, percentile, sentences, PHRASE, RARE, TIERS};
use playbook::search::index::{Filters, SearchIndex, SearchRequest, Visibility};
use playbook::search::query::parse;

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let n = if full { 10_000 } else { 300 };
    let rounds = if full { 200 } else { 5 };
    let sentences = sentences();
    let items = generate(n, &sentences);
    let bytes: usize = items.iter().map(|i| i.body.len()).sum();

    let dir = tempfile::tempdir().expect("temp dir");
    let (index, _) = SearchIndex::open(dir.path()).expect("index opens");
    let tier_ids: Vec<String> = TIERS.iter().map(|t| t.to_string()).collect();
    let started = Instant::now();
    index.rebuild(&items, 0, &tier_ids).expect("index builds");
    let took = started.elapsed();
    println!(
        "indexed {n} documents ({:.1} MB) in {took:.2?}: {:.0} docs/s, {:.1} MB/s",
        bytes as f64 / 1e6,
        n as f64 / took.as_secs_f64(),
        bytes as f64 / 1e6 / took.as_secs_f64()
    );

    let request = |q: &str, filters: Filters| SearchRequest {
        query: parse(q),
        filters,
        limit: 10,
        offset: 0,
        visibility: Visibility::published(),
    };
    let tier = |t: &str| Filters {
        tier: Some(t.into()),
        ..Filters::default()
    };
    let classes: Vec<(&str, SearchRequest, Option<usize>)> = vec![
        (
            "single common term",
            request("客户", Filters::default()),
            None,
        ),
        (
            "rare term",
            request(RARE, Filters::default()),
            Some(n.div_ceil(100)),
        ),
        (
            "two-term AND",
            request("回款 客户", Filters::default()),
            None,
        ),
        (
            "phrase",
            request(&format!("\"{PHRASE}\""), Filters::default()),
            Some(n.div_ceil(10)),
        ),
        (
            "prefix as-you-type",
            request("cross zephyrwo", Filters::default()),
            Some(n.div_ceil(3)),
        ),
        (
            "text + filters",
            request(
                "服务",
                Filters {
                    kind: Some("playbook".into()),
                    ..tier("major")
                },
            ),
            None,
        ),
        ("filters only", request("", tier("small")), None),
        ("zero-hit", request("量子纠缠", Filters::default()), Some(0)),
    ];
    println!("\n| query class | hits | p50 | p90 | p99 |\n|---|---:|---:|---:|---:|");
    for (name, request, expected) in &classes {
        let results = index.search(request).expect("search runs");
        if let Some(expected) = expected {
            assert_eq!(results.total, *expected, "{name}: wrong hit count");
        }
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let started = Instant::now();
            std::hint::black_box(index.search(request).expect("search runs"));
            times.push(started.elapsed());
        }
        times.sort();
        println!(
            "| {name} | {} | {:.2?} | {:.2?} | {:.2?} |",
            results.total,
            percentile(&times, 0.5),
            percentile(&times, 0.9),
            percentile(&times, 0.99)
        );
    }
}
