//! The generated corpus shared by the benchmarks: Markdown documents built from the bundled
//! library's sentences (Zipf-like), with front matter across kinds, tiers, scenarios, tags and
//! languages, and planted terms of known document frequency, so a benchmark checks that its
//! searches find the right number of documents, not only that they are fast.

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
/// Kinds that need no other item (a lesson would need its course).
const KINDS: [&str; 3] = ["playbook", "case", "course"];

/// Planted rare term: in every 100th document, so its document frequency is n / 100.
pub const RARE: &str = "鲲鹏计划";
/// Planted phrase: in every 10th document.
pub const PHRASE: &str = "季度复盘会议纪要";
/// Planted common term: in every 2nd document.
pub const COMMON: &str = "北极星";
/// Planted English word: in every 3rd document, in the sentence [`ENGLISH`].
pub const ENGLISH: &str = "zephyrwoods";
const ENGLISH_SENTENCE: &str = "Cross-selling keeps key accounts: zephyrwoods negotiation notes.";
/// Every 50th document (from the 8th) is a draft: readers never find it.
const DRAFT_EVERY: usize = 50;

/// What the generator put into one document: enough to count the expected hits of any query
/// over planted terms and filters without searching.
#[derive(Debug, Clone)]
pub struct Facts {
    pub kind: &'static str,
    /// Empty: written for every tier.
    pub tiers: Vec<&'static str>,
    pub scenario: &'static str,
    pub tag: String,
    pub lang: &'static str,
    pub draft: bool,
    pub rare: bool,
    pub phrase: bool,
    pub common: bool,
    pub english: bool,
}

impl Facts {
    /// Whether a tier filter accepts this document (an item for every tier counts under each).
    pub fn has_tier(&self, tier: &str) -> bool {
        self.tiers.is_empty() || self.tiers.contains(&tier)
    }
}

/// One generated Markdown file: its path below the content directory, its text and its facts.
pub struct Doc {
    pub path: String,
    pub text: String,
    pub facts: Facts,
}

/// `n` deterministic Markdown documents (seeded: every run makes the same corpus). Bodies are
/// 8–47 sentences of the bundled library picked Zipf-like (the minimum of two uniform picks, so
/// earlier sentences are far more frequent), front matter spread over kinds, tiers (a fifth
/// written for every tier), scenarios, 20 tags and both languages, and the planted terms
/// [`RARE`], [`PHRASE`], [`COMMON`] and [`ENGLISH`] at known document frequencies.
pub fn generate_docs(n: usize, sentences: &[String]) -> Vec<Doc> {
    let mut rng = Rng(42);
    (0..n)
        .map(|i| {
            let mut body = String::new();
            let length = 8 + rng.below(40);
            for line in 0..length {
                // Zipf-like: earlier sentences are picked far more often.
                let pick = rng.below(sentences.len()).min(rng.below(sentences.len()));
                if line % 12 == 0 {
                    body.push_str(&format!("\n## 第{}节\n\n", line / 12 + 1));
                }
                body.push_str(&sentences[pick]);
                body.push('\n');
            }
            let facts = Facts {
                kind: KINDS[i % 3],
                tiers: match i % 5 {
                    4 => Vec::new(),
                    _ => vec![TIERS[rng.below(4)]],
                },
                scenario: SCENARIOS[rng.below(13)],
                tag: format!("t{}", rng.below(20)),
                lang: if i % 7 == 3 { "en" } else { "zh" },
                draft: i % DRAFT_EVERY == 7,
                rare: i % 100 == 0,
                phrase: i % 10 == 0,
                common: i % 2 == 0,
                english: i % 3 == 0,
            };
            if facts.rare {
                body.push_str(&format!("本文提到{RARE}。\n"));
            }
            if facts.phrase {
                body.push_str(&format!("附：{PHRASE}。\n"));
            }
            if facts.common {
                body.push_str(&format!("我们的{COMMON}指标是回款。\n"));
            }
            if facts.english {
                body.push_str(ENGLISH_SENTENCE);
                body.push('\n');
            }
            let outcome = if facts.kind == "case" { "outcome: won\n" } else { "" };
            let status = if facts.draft { "status: draft\n" } else { "" };
            let title: String = sentences[rng.below(sentences.len())]
                .chars()
                .filter(|c| c.is_alphanumeric())
                .take(20)
                .collect();
            let text = format!(
                "---\nid: doc-{i}\nkind: {}\ntitle: 文档 {i} {title}\ntiers: [{}]\nscenarios: [{}]\ntags: [{}]\nlang: {}\n{outcome}{status}---\n# 文档 {i}\n{body}",
                facts.kind,
                facts.tiers.join(", "),
                facts.scenario,
                facts.tag,
                facts.lang,
            );
            Doc {
                path: format!("gen/{:03}/{i}.md", i % 1000),
                text,
                facts,
            }
        })
        .collect()
}

/// The generated documents parsed as the loader would (for benchmarks that skip the files).
pub fn generate(n: usize, sentences: &[String]) -> Vec<ContentItem> {
    let taxonomy = Taxonomy::default();
    generate_docs(n, sentences)
        .into_iter()
        .map(|doc| {
            parse_content("gen", &doc.path, &doc.text, &taxonomy).expect("generated content parses")
        })
        .collect()
}

/// Writes the documents below `dir` as Markdown files, as a content directory.
pub fn write_docs(docs: &[Doc], dir: &Path) -> std::io::Result<()> {
    for doc in docs {
        let path = dir.join(&doc.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, &doc.text)?;
    }
    Ok(())
}

/// One class of search query: the query text, its filters, and (when every document it finds is
/// planted) how many published documents it must find.
pub struct QueryClass {
    pub name: &'static str,
    pub q: String,
    pub kind: Option<&'static str>,
    pub tier: Option<&'static str>,
    pub expected: Option<usize>,
}

/// The query classes of the issue, with expected hit counts from the documents' facts.
pub fn query_classes(docs: &[Doc]) -> Vec<QueryClass> {
    let count = |keep: &dyn Fn(&Facts) -> bool| {
        Some(
            docs.iter()
                .filter(|d| !d.facts.draft && keep(&d.facts))
                .count(),
        )
    };
    vec![
        QueryClass {
            name: "single common term",
            q: COMMON.into(),
            kind: None,
            tier: None,
            expected: count(&|f| f.common),
        },
        QueryClass {
            name: "single natural term (客户)",
            q: "客户".into(),
            kind: None,
            tier: None,
            expected: None,
        },
        QueryClass {
            name: "rare term",
            q: RARE.into(),
            kind: None,
            tier: None,
            expected: count(&|f| f.rare),
        },
        QueryClass {
            name: "two-term AND",
            q: format!("{COMMON} {ENGLISH} "),
            kind: None,
            tier: None,
            expected: count(&|f| f.common && f.english),
        },
        QueryClass {
            name: "phrase",
            q: format!("\"{PHRASE}\""),
            kind: None,
            tier: None,
            expected: count(&|f| f.phrase),
        },
        QueryClass {
            name: "prefix as-you-type",
            q: "cross zephyrwo".into(),
            kind: None,
            tier: None,
            expected: count(&|f| f.english),
        },
        QueryClass {
            name: "text + filters",
            q: format!("{ENGLISH} "),
            kind: Some("playbook"),
            tier: Some("major"),
            expected: count(&|f| f.english && f.kind == "playbook" && f.has_tier("major")),
        },
        QueryClass {
            name: "filters only",
            q: String::new(),
            kind: None,
            tier: Some("small"),
            expected: count(&|f| f.has_tier("small")),
        },
        QueryClass {
            // A rep's question: eight words, question words among them, one the library never
            // uses, so no document matches all and the search relaxes.
            name: "question (partly matching)",
            q: format!("how should we handle {RARE} when the 客户 asks about 量子纠缠 {ENGLISH}?"),
            kind: None,
            tier: None,
            expected: None,
        },
        QueryClass {
            name: "zero-hit",
            q: "量子纠缠".into(),
            kind: None,
            tier: None,
            expected: Some(0),
        },
    ]
}

pub fn percentile(sorted: &[std::time::Duration], p: f64) -> std::time::Duration {
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}
