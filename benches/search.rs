//! In-process search latency on a generated corpus.
//!
//! `cargo bench --bench search` indexes 10,000 generated documents (sentences drawn from the
//! bundled library, mixed with English, plus planted terms of known document frequency) and
//! reports p50/p90/p99 per query class, checking the planted terms' hit counts. Run without
//! `--bench` (as `cargo test --all-targets` does) it does the same on 300 documents, quickly,
//! as a smoke test.

use std::path::Path;
use std::time::{Duration, Instant};

use playbook::domain::content::{parse_content, ContentItem};
use playbook::domain::taxonomy::Taxonomy;
use playbook::search::index::{Filters, SearchIndex, SearchRequest, Visibility};
use playbook::search::query::parse;

/// splitmix64: a small deterministic generator, so every run indexes the same corpus.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Sentences of the bundled library, the vocabulary of the generated corpus.
fn sentences() -> Vec<String> {
    let mut out = Vec::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("playbooks");
    for entry in walk(&root) {
        let Ok(text) = std::fs::read_to_string(&entry) else {
            continue;
        };
        let body = text.splitn(3, "---").nth(2).unwrap_or("");
        for line in body.lines() {
            let line = line
                .trim_start_matches(['#', '-', ' ', '*', '|', '>'])
                .trim();
            if line.chars().count() >= 8 && !line.starts_with("[ ]") {
                out.push(line.to_owned());
            }
        }
    }
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                files.extend(walk(&path));
            } else if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

const TIERS: [&str; 4] = ["strategic", "major", "ordinary", "small"];
const SCENARIOS: [&str; 13] = [
    "company-visit",
    "reference-site-visit",
    "exhibition",
    "technical-exchange",
    "executive-visit",
    "management-seminar",
    "routine-visit",
    "negotiation",
    "bidding",
    "customer-training",
    "relationship-event",
    "satisfaction-follow-up",
    "collections",
];
const KINDS: [&str; 3] = ["playbook", "case", "lesson"];

/// Planted rare term: in every 100th document, so its document frequency is n / 100.
const RARE: &str = "鲲鹏计划";
/// Planted phrase: in every 10th document.
const PHRASE: &str = "季度复盘会议纪要";

fn generate(n: usize, sentences: &[String]) -> Vec<ContentItem> {
    let taxonomy = Taxonomy::default();
    let mut rng = Rng(42);
    (0..n)
        .map(|i| {
            let mut body = String::new();
            let length = 8 + rng.below(40);
            for _ in 0..length {
                // Zipf-like: earlier sentences are picked far more often.
                let pick = rng.below(sentences.len()).min(rng.below(sentences.len()));
                body.push_str(&sentences[pick]);
                body.push('\n');
            }
            if i % 100 == 0 {
                body.push_str(&format!("本文提到{RARE}。\n"));
            }
            if i % 10 == 0 {
                body.push_str(&format!("附：{PHRASE}。\n"));
            }
            if i % 3 == 0 {
                body.push_str("Cross-selling keeps key accounts: zephyrwoods negotiation notes.\n");
            }
            let kind = KINDS[i % 3];
            let outcome = if kind == "case" { "outcome: won\n" } else { "" };
            let course = if kind == "lesson" { "course: c\norder: 1\n" } else { "" };
            let text = format!(
                "---\nid: doc-{i}\nkind: {kind}\ntitle: 文档 {i} {}\ntiers: [{}]\nscenarios: [{}]\ntags: [t{}]\n{outcome}{course}---\n{body}",
                sentences[rng.below(sentences.len())]
                    .chars()
                    .filter(|c| c.is_alphanumeric())
                    .take(20)
                    .collect::<String>(),
                TIERS[rng.below(4)],
                SCENARIOS[rng.below(13)],
                rng.below(20),
            );
            parse_content("gen", &format!("gen/{i}.md"), &text, &taxonomy).expect("generated content parses")
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

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
        visibility: Visibility::Published,
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
