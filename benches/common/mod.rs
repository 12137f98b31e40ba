//! The generated corpus shared by the benchmarks: documents built from the bundled library's
//! sentences (Zipf-like), with planted terms of known document frequency.

#![allow(dead_code)]

use std::path::Path;

use playbook::domain::content::{parse_content, ContentItem};
use playbook::domain::taxonomy::Taxonomy;

/// splitmix64: a small deterministic generator, so every run indexes the same corpus.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Sentences of the bundled library, the vocabulary of the generated corpus.
pub fn sentences() -> Vec<String> {
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

pub const TIERS: [&str; 4] = ["strategic", "major", "ordinary", "small"];
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
pub const RARE: &str = "鲲鹏计划";
/// Planted phrase: in every 10th document.
pub const PHRASE: &str = "季度复盘会议纪要";

pub fn generate(n: usize, sentences: &[String]) -> Vec<ContentItem> {
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

pub fn percentile(sorted: &[std::time::Duration], p: f64) -> std::time::Duration {
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}
