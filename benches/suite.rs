//! The whole performance picture in one run, written as a Markdown report.
//!
//! `cargo bench --bench suite -- --docs 100000 --accounts 1000000 --out bench-results.md`
//! generates the corpus (`common::generate_docs`: seeded, planted terms of known document
//! frequency) as a content directory and the demo accounts as CSV, then measures, through the
//! real code paths:
//!
//! 1. loading, storing and bulk indexing the documents (`content::load_dir`, `Store::sync_files`,
//!    `indexer::rebuild`), and the same documents in a bare tantivy index (the engine ceiling);
//! 2. search latency per query class in-process (`Library::search`, what the handler calls) and
//!    on the bare index (same tokenizer and query, no permissions, facets or snippets), checking
//!    every planted class's hit count;
//! 3. incremental indexing (store write → index commit) while a thread keeps searching;
//! 4. CSV import, tier recompute, briefing and customer lookup with the accounts;
//! 5. the release server as a child process (`playbook serve`): cold start, search over HTTP at
//!    concurrency 1, 32 and 256 with an in-repo async client (Bearer token), once with the
//!    server's kept answers and once on a server keeping none (`--search-cache 0`), compared
//!    with the bare engine's throughput on the same cores, the server's peak RSS, and on-disk
//!    sizes. In-process searches run without kept answers.
//!
//! With `PLAYBOOK_STORE=postgres://…` in the environment the store is that PostgreSQL database
//! (empty at the start; the server child inherits the setting) instead of sled in the work
//! directory: the same suite, the other backend (`scripts/bench-postgres.sh` adds two nodes).
//!
//! Without `--bench` (as `cargo test --bench '*'` runs it in CI) it runs everything on 600
//! documents and 2,000 accounts at concurrency 1 and 8, checking hit counts (in-process and over
//! HTTP), never times, and only prints the report.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{
    generate_docs, percentile, query_classes, sentences, write_docs, Doc, QueryClass, Rng,
};
use playbook::app::account_book::AccountBook;
use playbook::app::briefing::{briefing, CustomerFinder, Viewer};
use playbook::app::content_loader::load_dir;
use playbook::app::indexer;
use playbook::app::library::{tier_ids, Library, SearchParams};
use playbook::app::users::{Auth, AuthSettings};
use playbook::domain::content::ContentItem;
use playbook::domain::policy::Role;
use playbook::domain::Lang;
use playbook::render::plain_text;
use playbook::search::index::Fresh;
use playbook::search::index::{SearchIndex, SearchSettings, Visibility};
use playbook::search::query::{all_of, term_query, with_filters};
use playbook::search::schema::{self, Fields};
use playbook::search::tokenizer::{query_analyzer, register_tokenizers, ZH_EN_TOKENIZER};
use playbook::search::understand::understand;
use playbook::store::Store;
use tantivy::collector::{Count, TopDocs};
use tantivy::schema::{IndexRecordOption, Schema, TextFieldIndexing, TextOptions, STORED, STRING};
use tantivy::{Index, TantivyDocument};

struct Settings {
    full: bool,
    docs: usize,
    accounts: usize,
    out: Option<PathBuf>,
    /// `--keep DIR`: work in DIR (content, store, index) and leave it there, to profile later.
    keep: Option<PathBuf>,
    /// Timed runs of each search class.
    rounds: usize,
    briefing_rounds: usize,
    concurrency: Vec<usize>,
    /// How long each throughput measurement runs.
    load_seconds: f64,
    incremental_batches: usize,
}

impl Settings {
    fn from_args() -> Settings {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let full = args.iter().any(|a| a == "--bench");
        let value = |name: &str| {
            args.iter()
                .position(|a| a == name)
                .and_then(|i| args.get(i + 1))
                .cloned()
        };
        let number = |name: &str, default: usize| {
            value(name)
                .map(|v| v.replace('_', "").parse().expect("a number"))
                .unwrap_or(default)
        };
        // The smoke run only prints its report.
        let out = value("--out")
            .map(PathBuf::from)
            .or_else(|| full.then(|| PathBuf::from("bench-results.md")));
        Settings {
            full,
            docs: number("--docs", if full { 100_000 } else { 600 }),
            accounts: number("--accounts", if full { 1_000_000 } else { 2_000 }),
            out,
            keep: value("--keep").map(PathBuf::from),
            rounds: if full { 300 } else { 3 },
            briefing_rounds: if full { 500 } else { 10 },
            concurrency: if full { vec![1, 32, 256] } else { vec![1, 8] },
            load_seconds: if full { 8.0 } else { 0.5 },
            incremental_batches: if full { 50 } else { 3 },
        }
    }
}

/// The Markdown report, built section by section.
#[derive(Default)]
struct Report {
    /// `(metric, value, target, met)` rows of the summary table.
    figures: Vec<(String, String, String, Option<bool>)>,
}

impl Report {
    fn figure(&mut self, metric: &str, value: String, target: Option<(&str, bool)>) {
        println!("{metric}: {value}");
        self.figures.push((
            metric.to_owned(),
            value,
            target.map(|(t, _)| t.to_owned()).unwrap_or_default(),
            target.map(|(_, met)| met),
        ));
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn latencies(mut times: Vec<Duration>) -> [Duration; 3] {
    times.sort();
    [0.5, 0.9, 0.99].map(|p| percentile(&times, p))
}

fn main() {
    let settings = Settings::from_args();
    if let Some(dir) = std::env::args()
        .skip_while(|a| a != "--probe")
        .nth(1)
        .map(PathBuf::from)
    {
        probe_search(&settings, &dir);
        return;
    }
    if let Some(dir) = std::env::args()
        .skip_while(|a| a != "--generate")
        .nth(1)
        .map(PathBuf::from)
    {
        generate_only(&settings, &dir);
        return;
    }
    let work = tempfile::tempdir().expect("temp dir");
    let work_dir = match &settings.keep {
        Some(dir) => {
            std::fs::create_dir_all(dir).expect("the --keep directory");
            assert!(
                std::fs::read_dir(dir).expect("readable").next().is_none(),
                "--keep wants a new or empty directory"
            );
            dir.clone()
        }
        None => work.path().to_owned(),
    };
    let content_dir = work_dir.join("content");
    let data_dir = work_dir.join("data");
    let mut report = Report::default();
    let started = Instant::now();

    // The corpus, as Markdown files (not timed: the generator is not the product).
    let docs = generate_docs(settings.docs, &sentences());
    let corpus_bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    write_docs(&docs, &content_dir).expect("content files written");
    let classes = query_classes(&docs);
    println!(
        "generated {} documents ({:.1} MB) in {:.1?}",
        docs.len(),
        corpus_bytes as f64 / 1e6,
        started.elapsed()
    );

    let in_process = measure_in_process(
        &settings,
        &docs,
        &classes,
        &content_dir,
        &data_dir,
        &mut report,
    );
    let server = measure_server(
        &settings,
        &classes,
        &content_dir,
        &data_dir,
        &in_process,
        &mut report,
    );

    let index_bytes = dir_size(&data_dir.join("index"));
    let store_bytes = dir_size(&data_dir.join("store"));
    report.figure(
        "on-disk size: search index",
        format!(
            "{:.1} MB ({:.2}× the Markdown)",
            index_bytes as f64 / 1e6,
            index_bytes as f64 / corpus_bytes as f64
        ),
        None,
    );
    if backend() == "sled" {
        report.figure(
            "on-disk size: store (documents + accounts)",
            format!("{:.1} MB", store_bytes as f64 / 1e6),
            None,
        );
    }
    report.figure(
        "peak RSS of this benchmark process (corpus, both indexes, accounts)",
        format!(
            "{:.0} MiB",
            peak_rss_kib("self").unwrap_or(0) as f64 / 1024.0
        ),
        None,
    );

    let text = render(
        &settings,
        &docs,
        corpus_bytes,
        &in_process,
        &server,
        &report,
        started.elapsed(),
    );
    println!("\n{text}");
    if let Some(out) = &settings.out {
        std::fs::write(out, &text).expect("report written");
        println!("report written to {}", out.display());
    }
}

/// One query class: hits and `[p50, p90, p99]`, ours and the bare engine's.
struct ClassFigures {
    name: &'static str,
    hits: usize,
    ours: [Duration; 3],
    bare_hits: usize,
    bare: [Duration; 3],
}

/// What the in-process part found, for the HTTP part to compare with.
struct InProcess {
    search: Vec<ClassFigures>,
    /// Searches per second of the bare engine and of `Library::search`, one thread per core,
    /// over the mix of all classes.
    ceiling_qps: f64,
    ours_qps: f64,
    cores: usize,
}

fn measure_in_process(
    settings: &Settings,
    docs: &[Doc],
    classes: &[QueryClass],
    content_dir: &Path,
    data_dir: &Path,
    report: &mut Report,
) -> InProcess {
    let started = Instant::now();
    let loaded = load_dir(content_dir).expect("content directory loads");
    assert!(
        loaded.problems.is_empty(),
        "generated content has problems: {:?}",
        &loaded.problems[..1]
    );
    assert_eq!(loaded.items.len(), docs.len());
    report.figure(
        "load the content directory (read + parse + validate)",
        format!("{:.2} s", started.elapsed().as_secs_f64()),
        None,
    );
    let store = open_store(data_dir);
    let started = Instant::now();
    store
        .sync_files(&loaded.items, &loaded.failed_paths)
        .expect("documents stored");
    report.figure(
        &format!("store the documents ({}, one outbox entry each)", backend()),
        format!("{:.2} s", started.elapsed().as_secs_f64()),
        None,
    );
    let items = loaded.items;
    let taxonomy = loaded.taxonomy;
    let tiers = tier_ids(&taxonomy);
    let body_bytes: usize = items.iter().map(|i| i.body.len() + i.title.len()).sum();

    // Bulk indexing through the product path: read the store, render plain text, index, commit.
    let (index, _) = SearchIndex::open(&data_dir.join("index")).expect("index opens");
    let started = Instant::now();
    let count = indexer::rebuild(&store, &index, &tiers).expect("index builds");
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(count, docs.len());
    let rate = count as f64 / seconds;
    report.figure(
        "bulk indexing (indexer::rebuild from the store)",
        format!(
            "{rate:.0} docs/s, {:.1} MB/s ({count} docs in {seconds:.1} s)",
            body_bytes as f64 / 1e6 / seconds
        ),
        Some(("≥ 5,000 docs/s", rate >= 5_000.0)),
    );

    let bare_dir = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    let bare = BareIndex::build(bare_dir.path(), &items, &tiers);
    let seconds = started.elapsed().as_secs_f64();
    report.figure(
        "bulk indexing, bare tantivy ceiling (same analyser, same texts)",
        format!(
            "{:.0} docs/s, {:.1} MB/s",
            items.len() as f64 / seconds,
            body_bytes as f64 / 1e6 / seconds
        ),
        None,
    );
    drop(items);

    // In-process figures are what a request never asked before costs: no kept answers.
    index.configure(uncached());
    let library = Library::new(
        store.clone(),
        taxonomy.clone(),
        playbook::domain::alerts::Rules::builtin(),
        playbook::domain::synonyms::Synonyms::builtin(),
        Vec::new(),
        Arc::new(index),
    );

    // Search latency per class, ours and the ceiling's, hit counts checked.
    let mut search = Vec::new();
    let mut mix = Vec::new();
    for class in classes {
        let params = search_params(class);
        let results = checked_search(&library, class);
        let bare_hits = bare.search(class);
        // The bare index asks for every word; a relaxed search (a question) finds more.
        assert!(
            bare_hits >= results.matched_all,
            "{}: the bare index finds fewer",
            class.name
        );
        let mut ours = Vec::with_capacity(settings.rounds);
        let mut ceiling = Vec::with_capacity(settings.rounds);
        for _ in 0..settings.rounds {
            let t = Instant::now();
            std::hint::black_box(search_as_rep(&library, &params));
            ours.push(t.elapsed());
            let t = Instant::now();
            std::hint::black_box(bare.search(class));
            ceiling.push(t.elapsed());
        }
        mix.extend_from_slice(&ours);
        search.push(ClassFigures {
            name: class.name,
            hits: results.total,
            ours: latencies(ours),
            bare_hits,
            bare: latencies(ceiling),
        });
    }
    let [p50, _, p99] = latencies(mix);
    report.figure(
        "search p50, all classes together (in-process)",
        ms(p50),
        Some(("≤ 2 ms", p50 <= Duration::from_millis(2))),
    );
    report.figure(
        "search p99, all classes together (in-process)",
        ms(p99),
        Some(("≤ 15 ms", p99 <= Duration::from_millis(15))),
    );
    let worst = search.iter().max_by_key(|s| s.ours[2]).expect("classes");
    report.figure(
        "search p99, slowest class (in-process)",
        format!("{} ({})", ms(worst.ours[2]), worst.name),
        None,
    );

    // Throughput with one thread per core over the mix of classes.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let seconds = settings.load_seconds;
    let ceiling_qps = threaded_qps(cores, seconds, |i| {
        std::hint::black_box(bare.search(&classes[i % classes.len()]));
    });
    let ours_qps = threaded_qps(cores, seconds, |i| {
        let params = search_params(&classes[i % classes.len()]);
        std::hint::black_box(search_as_rep(&library, &params));
    });

    measure_incremental(settings, &library, &store, classes, &tiers, report);
    measure_accounts(settings, &store, &library, report);

    drop(library);
    store.flush().expect("store flushed");
    InProcess {
        search,
        ceiling_qps,
        ours_qps,
        cores,
    }
}

/// `--probe DIR` (a directory a run with `--keep DIR` left, same `--docs`): only the in-process
/// search latency per class, on the kept store and index, for profiling search changes quickly.
fn probe_search(settings: &Settings, dir: &Path) {
    let docs = generate_docs(settings.docs, &sentences());
    let classes = query_classes(&docs);
    drop(docs);
    let data_dir = dir.join("data");
    let store = open_store(&data_dir);
    let (taxonomy, _, synonyms) =
        playbook::app::content_loader::load_settings(&dir.join("content"));
    let (index, fresh) = SearchIndex::open(&data_dir.join("index")).expect("index opens");
    if let Fresh::Yes(why) = fresh {
        // Kept by a build with another schema: rebuilt first, as a server start would.
        println!("index rebuilt before probing ({why})");
        indexer::rebuild(&store, &index, &tier_ids(&taxonomy)).expect("index builds");
    }
    index.configure(uncached());
    let library = Library::new(
        store,
        taxonomy,
        playbook::domain::alerts::Rules::builtin(),
        synonyms,
        Vec::new(),
        Arc::new(index),
    );
    let mut mix = Vec::new();
    for class in &classes {
        let params = search_params(class);
        let results = checked_search(&library, class);
        let mut times = Vec::with_capacity(settings.rounds);
        for _ in 0..settings.rounds {
            let t = Instant::now();
            std::hint::black_box(search_as_rep(&library, &params));
            times.push(t.elapsed());
        }
        mix.extend_from_slice(&times);
        let [p50, p90, p99] = latencies(times);
        println!(
            "{:<40} {:>7} hits  p50 {:>9}  p90 {:>9}  p99 {:>9}",
            class.name,
            results.total,
            ms(p50),
            ms(p90),
            ms(p99)
        );
    }
    let [p50, p90, p99] = latencies(mix);
    println!(
        "{:<40} {:>7}       p50 {:>9}  p90 {:>9}  p99 {:>9}",
        "all classes",
        "",
        ms(p50),
        ms(p90),
        ms(p99)
    );
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let qps = threaded_qps(cores, settings.load_seconds, |i| {
        let params = search_params(&classes[i % classes.len()]);
        std::hint::black_box(search_as_rep(&library, &params));
    });
    println!("throughput over the mix, {cores} threads: {qps:.0} searches/s");
}

/// `--generate DIR`: only the corpus of `--docs` documents, written as a content directory into
/// `DIR`, with the expected hit count of each planted query class.
fn generate_only(settings: &Settings, dir: &Path) {
    let started = Instant::now();
    let docs = generate_docs(settings.docs, &sentences());
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    let generated = started.elapsed();
    write_docs(&docs, dir).expect("content files written");
    println!(
        "{} documents, {:.1} MB of Markdown: generated in {generated:.1?}, written in {:.1?}; peak RSS {:.0} MiB",
        docs.len(),
        bytes as f64 / 1e6,
        started.elapsed() - generated,
        peak_rss_kib("self").unwrap_or(0) as f64 / 1024.0
    );
    for class in query_classes(&docs) {
        let expected = class
            .expected
            .map_or("not planted".to_owned(), |n| n.to_string());
        println!("{:<40} {expected}", class.name);
    }
}

/// The server's search settings without the answers kept for repeated searches.
fn uncached() -> SearchSettings {
    SearchSettings {
        cache_entries: 0,
        ..SearchSettings::default()
    }
}

/// A search as a rep sees it (published items).
fn search_as_rep(
    library: &Library,
    params: &SearchParams,
) -> playbook::search::index::SearchResults {
    library
        .search(params, &Visibility::published())
        .expect("search runs")
}

/// The class's search, its hit count checked when the class is planted.
fn checked_search(library: &Library, class: &QueryClass) -> playbook::search::index::SearchResults {
    let results = search_as_rep(library, &search_params(class));
    if let Some(expected) = class.expected {
        assert_eq!(results.total, expected, "{}: wrong hit count", class.name);
    }
    results
}

fn search_params(class: &QueryClass) -> SearchParams {
    SearchParams {
        q: Some(class.q.clone()),
        kind: class.kind.map(str::to_owned),
        tier: class.tier.map(str::to_owned),
        limit: Some(10),
        ..SearchParams::default()
    }
}

/// Runs `work(i)` on `threads` threads for `seconds`; returns calls per second.
fn threaded_qps(threads: usize, seconds: f64, work: impl Fn(usize) + Sync) -> f64 {
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let total: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (stop, work) = (&stop, &work);
                scope.spawn(move || {
                    let mut done = 0;
                    while !stop.load(Ordering::Relaxed) {
                        work(t + done * threads);
                        done += 1;
                    }
                    done
                })
            })
            .collect();
        std::thread::sleep(Duration::from_secs_f64(seconds));
        stop.store(true, Ordering::Relaxed);
        handles.into_iter().map(|h| h.join().expect("worker")).sum()
    });
    total as f64 / started.elapsed().as_secs_f64()
}

/// Small content changes (store write with its outbox entry, then the indexer's catch-up and
/// commit), while another thread keeps searching.
fn measure_incremental(
    settings: &Settings,
    library: &Library,
    store: &Store,
    classes: &[QueryClass],
    tiers: &[String],
    report: &mut Report,
) {
    const BATCH: usize = 10;
    let stop = AtomicBool::new(false);
    let (visible, searches) = std::thread::scope(|scope| {
        let searcher = scope.spawn(|| {
            let mut times = Vec::new();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let params = search_params(&classes[i % classes.len()]);
                let t = Instant::now();
                std::hint::black_box(search_as_rep(library, &params));
                times.push(t.elapsed());
                i += 1;
            }
            times
        });
        let mut visible = Vec::new();
        for batch in 0..settings.incremental_batches {
            let t = Instant::now();
            for n in 0..BATCH {
                let id = format!("doc-{}", (batch * BATCH + n) * 7 % settings.docs.max(1));
                let mut item: ContentItem =
                    store.get_content(&id).expect("read").expect("stored item");
                item.body.push_str(&format!("\n增量修订 {batch}\n"));
                store.put_content(&item).expect("stored");
            }
            indexer::catch_up(store, library.index(), tiers).expect("caught up");
            visible.push(t.elapsed());
        }
        stop.store(true, Ordering::Relaxed);
        (visible, searcher.join().expect("searcher"))
    });
    let total: Duration = visible.iter().sum();
    let [p50, _, p99] = latencies(visible);
    report.figure(
        "incremental indexing while searching (batches of 10: write + index commit)",
        format!(
            "{:.0} docs/s; batch visible after p50 {} / p99 {}",
            (settings.incremental_batches * BATCH) as f64 / total.as_secs_f64(),
            ms(p50),
            ms(p99)
        ),
        None,
    );
    let [p50, _, p99] = latencies(searches);
    report.figure(
        "search latency meanwhile (mix of classes)",
        format!("p50 {} / p99 {}", ms(p50), ms(p99)),
        None,
    );
}

fn measure_accounts(settings: &Settings, store: &Store, library: &Library, report: &mut Report) {
    let book = AccountBook::open(store.clone()).expect("account book opens");
    let csv =
        playbook::app::demo::accounts_csv(settings.accounts, playbook::app::demo::DEFAULT_SEED);
    let started = Instant::now();
    let imported = book
        .import_csv(csv.as_bytes(), "bench", &mut |e| panic!("row error: {e}"))
        .expect("accounts import")
        .imported;
    let seconds = started.elapsed().as_secs_f64();
    report.figure(
        &format!("CSV import of {imported} accounts (parse + store + first recompute)"),
        format!(
            "{:.0} rows/s, {:.1} MB/s ({seconds:.2} s)",
            imported as f64 / seconds,
            csv.len() as f64 / 1e6 / seconds
        ),
        None,
    );
    drop(csv);
    let mut worst: f64 = 0.0;
    for model in [r#"{"preset":"vip","score":{"method":"scorecard"}}"#, "{}"] {
        let started = Instant::now();
        book.set_model_json(model, "bench").expect("model set");
        worst = worst.max(started.elapsed().as_secs_f64());
    }
    report.figure(
        &format!(
            "tier recompute of {imported} accounts (model change, changes recorded; worst of 2)"
        ),
        format!("{worst:.2} s"),
        Some(("≤ 3 s", worst <= 3.0)),
    );

    let state = book.state();
    let ids: Vec<&str> = state.accounts().iter().map(|a| a.id.as_str()).collect();
    let scenarios = library.taxonomy().scenario_ids();
    let viewer = Viewer::unrestricted();
    let mut rng = Rng(7);
    let mut times = Vec::with_capacity(settings.briefing_rounds);
    for _ in 0..settings.briefing_rounds {
        let id = ids[rng.below(ids.len())];
        let scenario = scenarios[rng.below(scenarios.len())];
        let t = Instant::now();
        let result = briefing(
            &book,
            library,
            library.alert_rules(),
            id,
            Some(scenario),
            &viewer,
            Lang::Zh,
        )
        .expect("briefing builds");
        times.push(t.elapsed());
        std::hint::black_box(result);
    }
    let [p50, _, p99] = latencies(times);
    report.figure(
        &format!("briefing, random account × scenario ({imported} accounts)"),
        format!("p50 {} / p99 {}", ms(p50), ms(p99)),
        Some(("p99 ≤ 20 ms", p99 <= Duration::from_millis(20))),
    );
    let finder = CustomerFinder::default();
    let started = Instant::now();
    finder.lookup(&book, "zgyd", Lang::Zh);
    report.figure(
        "customer lookup: first (builds the name index)",
        ms(started.elapsed()),
        None,
    );
    let queries: Vec<String> = state
        .accounts()
        .iter()
        .step_by((ids.len() / 50).max(1))
        .map(|a| a.name.chars().skip(2).take(2).collect())
        .chain(["zgyd", "hdjm", "xh", "zhongguo", "huadong"].map(str::to_owned))
        .collect();
    let times: Vec<Duration> = (0..settings.briefing_rounds)
        .map(|i| {
            let t = Instant::now();
            std::hint::black_box(finder.lookup(&book, &queries[i % queries.len()], Lang::Zh));
            t.elapsed()
        })
        .collect();
    let [p50, _, p99] = latencies(times);
    report.figure(
        "customer lookup (2 Chinese characters, pinyin initials or prefix)",
        format!("p50 {} / p99 {}", ms(p50), ms(p99)),
        None,
    );
}

/// The engine ceiling: the same documents, analyser and queries in a plain tantivy index —
/// nothing stored but the id, no fast fields, and searched with `Count` + `TopDocs` only (no
/// visibility clause, facets, stored documents or snippets).
struct BareIndex {
    reader: tantivy::IndexReader,
    fields: Fields,
}

impl BareIndex {
    fn build(dir: &Path, items: &[ContentItem], tier_ids: &[String]) -> BareIndex {
        let mut builder = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ZH_EN_TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        builder.add_text_field(schema::ID, STRING | STORED);
        builder.add_text_field(schema::TITLE, text.clone());
        builder.add_text_field(schema::BODY, text);
        for keyword in [
            schema::KIND,
            schema::TIERS,
            schema::OWN_TIERS,
            schema::SCENARIOS,
            schema::TAGS,
            schema::LANG,
            schema::STATUS,
            schema::ACCOUNT,
            schema::OWNER,
            schema::PINYIN,
        ] {
            builder.add_text_field(keyword, STRING);
        }
        let index = Index::create_in_dir(dir, builder.build()).expect("bare index");
        register_tokenizers(index.tokenizers());
        let fields = Fields::from_schema(&index.schema()).expect("fields");
        let mut writer: tantivy::IndexWriter = index.writer(64 * 1024 * 1024).expect("writer");
        for item in items {
            let mut document = TantivyDocument::default();
            document.add_text(fields.id, &item.id);
            document.add_text(fields.title, &item.title);
            document.add_text(fields.body, plain_text(&item.body));
            document.add_text(fields.kind, item.kind.as_str());
            document.add_text(fields.lang, item.lang.as_str());
            let tiers: &[String] = if item.tiers.is_empty() {
                tier_ids
            } else {
                &item.tiers
            };
            for tier in tiers {
                document.add_text(fields.tiers, tier);
            }
            for scenario in &item.scenarios {
                document.add_text(fields.scenarios, scenario);
            }
            writer.add_document(document).expect("add");
        }
        writer.commit().expect("commit");
        let reader = index.reader().expect("reader");
        reader.reload().expect("reload");
        BareIndex { reader, fields }
    }

    /// Hits of the class's query; the top ten are collected too.
    fn search(&self, class: &QueryClass) -> usize {
        let mut analyzer = query_analyzer();
        let terms: Vec<_> = understand(&class.q, None, &mut analyzer)
            .terms
            .iter()
            .map(|term| term_query(term, &self.fields, &[]))
            .collect();
        let text = all_of(&terms);
        let mut filters = Vec::new();
        if let Some(kind) = class.kind {
            filters.push((self.fields.kind, vec![kind.to_owned()]));
        }
        if let Some(tier) = class.tier {
            filters.push((self.fields.tiers, vec![tier.to_owned()]));
        }
        let query = with_filters(text, filters);
        let (count, top) = self
            .reader
            .searcher()
            .search(&*query, &(Count, TopDocs::with_limit(10)))
            .expect("bare search");
        std::hint::black_box(top);
        count
    }
}

/// What the server part measured.
struct ServerFigures {
    /// `(concurrency, requests, failed connections, requests/s, [p50, p90, p99])`, with the
    /// server's kept answers (the mix repeats its queries, as people do).
    http: Vec<HttpRun>,
    /// The same load on a server that keeps no answers: every request is searched afresh.
    http_uncached: Vec<HttpRun>,
}

type HttpRun = (usize, usize, usize, f64, [Duration; 3]);

fn measure_server(
    settings: &Settings,
    classes: &[QueryClass],
    content_dir: &Path,
    data_dir: &Path,
    in_process: &InProcess,
    report: &mut Report,
) -> ServerFigures {
    // A rep (who, like most searchers, sees published items only) and their API token, created
    // in the store before the server opens it.
    let token = {
        let store = open_store(data_dir);
        let auth = Auth::new(store.clone(), AuthSettings::default());
        let password = playbook::app::users::generate_password();
        auth.add_user("bench-rep", Role::Rep, Some(&password))
            .expect("rep added");
        let token = auth
            .create_token("bench-rep", "bench")
            .expect("token")
            .token;
        store.flush().expect("flushed");
        // For profiling a kept work directory (`--keep`) by hand afterwards.
        if let Some(work) = data_dir.parent() {
            std::fs::write(work.join("bench-token"), &token).expect("token written");
            // The classes' queries, for `scripts/bench-meilisearch.sh`.
            let queries: Vec<serde_json::Value> = classes
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "name": c.name, "q": c.q, "kind": c.kind, "tier": c.tier,
                    })
                })
                .collect();
            let json = serde_json::to_string_pretty(&queries).expect("classes as JSON");
            std::fs::write(work.join("classes.json"), json).expect("classes written");
        }
        token
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let address = format!("http://127.0.0.1:{port}");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(in_process.cores)
        .enable_all()
        .build()
        .expect("runtime");
    let client = reqwest::Client::builder()
        .default_headers(
            [(
                reqwest::header::AUTHORIZATION,
                format!("Bearer {token}").parse().expect("header"),
            )]
            .into_iter()
            .collect(),
        )
        .pool_max_idle_per_host(1024)
        // Below the server's 5 s keep-alive, so an idle pooled connection is not reused just as
        // the server closes it.
        .pool_idle_timeout(Duration::from_secs(2))
        .build()
        .expect("client");
    // The process start until `/healthz` answers.
    let start = |kept_answers: bool| -> (Server, f64) {
        let started = Instant::now();
        let mut server = Server(
            Command::new(env!("CARGO_BIN_EXE_playbook"))
                .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
                .arg("--data-dir")
                .arg(data_dir)
                .arg("--content-dir")
                .arg(content_dir)
                .arg("--search-cache")
                .arg(if kept_answers { "512" } else { "0" })
                // The start-up steps' timings, without a line per request.
                .env("PLAYBOOK_LOG", "warn,playbook=info")
                .stdout(Stdio::null())
                .spawn()
                .expect("the server starts"),
        );
        runtime.block_on(async {
            loop {
                if let Ok(r) = client.get(format!("{address}/healthz")).send().await {
                    if r.status().is_success() {
                        break;
                    }
                }
                if let Ok(Some(status)) = server.0.try_wait() {
                    panic!("the server exited: {status}");
                }
                assert!(
                    started.elapsed() < Duration::from_secs(600),
                    "the server did not start"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        (server, started.elapsed().as_secs_f64())
    };
    // The first start reads and syncs every content file (the store was filled by this
    // process, not by a server); a restart finds the directory unchanged.
    let (server, first) = start(true);
    report.figure(
        "first start on this content directory (reads, checks and syncs every file)",
        format!("{first:.2} s"),
        None,
    );
    drop(server);
    let (server, cold) = start(true);
    report.figure(
        &format!(
            "cold start: a restart, no file changed (process start → /healthz answers; {} documents, {} accounts)",
            settings.docs, settings.accounts
        ),
        format!("{cold:.2} s"),
        Some(("≤ 2 s", cold <= 2.0)),
    );
    // The customer name index is built in the background from the start; a lookup sent as
    // soon as the server answers waits for it.
    let started = Instant::now();
    let status = runtime.block_on(async {
        client
            .get(format!("{address}/api/v1/accounts/lookup?q=zh"))
            .send()
            .await
            .map(|r| r.status())
    });
    assert!(
        status.as_ref().is_ok_and(|s| s.is_success()),
        "lookup failed: {status:?}"
    );
    report.figure(
        "customer lookup sent as soon as the restarted server answers (waits for the name index)",
        ms(started.elapsed()),
        None,
    );

    let urls: Vec<String> = classes
        .iter()
        .map(|class| {
            let mut query = vec![("q", class.q.clone())];
            query.extend(class.kind.map(|k| ("kind", k.to_owned())));
            query.extend(class.tier.map(|t| ("tier", t.to_owned())));
            format!(
                "{address}/api/v1/search?{}",
                serde_urlencoded::to_string(&query).expect("query string")
            )
        })
        .collect();
    // Hit counts over HTTP first: the same as in-process.
    runtime.block_on(async {
        for (class, url) in classes.iter().zip(&urls) {
            let response = client.get(url).send().await.expect("search request");
            assert_eq!(response.status(), 200, "{}", class.name);
            let body: serde_json::Value = response.json().await.expect("search JSON");
            if let Some(expected) = class.expected {
                assert_eq!(
                    body["total"].as_u64(),
                    Some(expected as u64),
                    "{} over HTTP",
                    class.name
                );
            }
        }
    });

    let urls = Arc::new(urls);
    let runs = |label: &str| -> Vec<HttpRun> {
        let mut http = Vec::new();
        for &concurrency in &settings.concurrency {
            let (count, errors, seconds, times) =
                runtime.block_on(load(&client, &urls, concurrency, settings.load_seconds));
            println!("HTTP ({label}) at concurrency {concurrency}: {count} answers, {errors} failed connections");
            http.push((
                concurrency,
                count,
                errors,
                count as f64 / seconds,
                latencies(times),
            ));
        }
        http
    };
    // The best concurrency's rate against the bare engine's, as a figure with its target.
    let versus_bare = |report: &mut Report, label: &str, runs: &[HttpRun]| {
        let best = runs.iter().map(|h| h.3).fold(0.0, f64::max);
        let ratio = best / in_process.ceiling_qps;
        report.figure(
            label,
            format!(
                "{:.0} ÷ {:.0} req/s = {:.0} %",
                best,
                in_process.ceiling_qps,
                ratio * 100.0
            ),
            Some(("≥ 50 %", ratio >= 0.5)),
        );
    };
    let http = runs("kept answers");
    versus_bare(
        report,
        "HTTP search throughput with kept answers, best concurrency ÷ bare engine on the same cores",
        &http,
    );
    let rss = peak_rss_kib(&server.0.id().to_string()).unwrap_or(0) as f64 / 1024.0;
    report.figure(
        "server peak RSS (after start and the HTTP load)",
        format!("{rss:.0} MiB"),
        Some(("≤ 1 GiB", rss <= 1024.0)),
    );
    drop(server);
    // Again on a server that keeps no answers: what a search never asked before costs.
    let (server, _) = start(false);
    let http_uncached = runs("no kept answers");
    versus_bare(
        report,
        "the same, every request searched afresh (server keeping no answers)",
        &http_uncached,
    );
    drop(server);
    ServerFigures {
        http,
        http_uncached,
    }
}

/// `concurrency` tasks, each sending the next request as soon as its last one is answered, for
/// `seconds` (after a short warm-up). Returns requests answered, failed connections, seconds and
/// latencies.
async fn load(
    client: &reqwest::Client,
    urls: &Arc<Vec<String>>,
    concurrency: usize,
    seconds: f64,
) -> (usize, usize, f64, Vec<Duration>) {
    let run = |deadline: Instant, record: bool| {
        let tasks: Vec<_> = (0..concurrency)
            .map(|task| {
                let client = client.clone();
                let urls = urls.clone();
                tokio::spawn(async move {
                    let mut times = Vec::new();
                    let mut errors = 0;
                    let mut i = task;
                    while Instant::now() < deadline {
                        let t = Instant::now();
                        i += concurrency;
                        // A connection the server closed (keep-alive ended) fails the request:
                        // counted, not fatal. Any answer but 200 is a bug.
                        let Ok(response) = client.get(&urls[i % urls.len()]).send().await else {
                            errors += 1;
                            continue;
                        };
                        assert_eq!(response.status(), 200);
                        if response.bytes().await.is_err() {
                            errors += 1;
                            continue;
                        }
                        if record {
                            times.push(t.elapsed());
                        }
                    }
                    (times, errors)
                })
            })
            .collect();
        async move {
            let mut all = Vec::new();
            let mut errors = 0;
            for task in tasks {
                let (times, failed) = task.await.expect("load task");
                all.extend(times);
                errors += failed;
            }
            (all, errors)
        }
    };
    run(
        Instant::now() + Duration::from_secs_f64(seconds / 4.0),
        false,
    )
    .await;
    let started = Instant::now();
    let (times, errors) = run(started + Duration::from_secs_f64(seconds), true).await;
    (times.len(), errors, started.elapsed().as_secs_f64(), times)
}

/// The server child process, stopped (SIGTERM, then waited for) when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

/// `VmHWM` of `/proc/<pid>/status`, in KiB (Linux).
fn peak_rss_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The store of this run: the PostgreSQL database of `PLAYBOOK_STORE`, else sled in `data_dir`.
fn open_store(data_dir: &Path) -> Store {
    match std::env::var("PLAYBOOK_STORE") {
        Ok(url) => Store::open_at(&playbook::store::StoreLocation::parse(&url)),
        Err(_) => Store::open(&data_dir.join("store")),
    }
    .expect("store opens")
}

/// The backend of this run, for the report.
fn backend() -> &'static str {
    if std::env::var("PLAYBOOK_STORE").is_ok() {
        "PostgreSQL"
    } else {
        "sled"
    }
}

fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            total += if path.is_dir() {
                dir_size(&path)
            } else {
                entry.metadata().map_or(0, |m| m.len())
            };
        }
    }
    total
}

fn render(
    settings: &Settings,
    docs: &[Doc],
    corpus_bytes: usize,
    in_process: &InProcess,
    server: &ServerFigures,
    report: &Report,
    took: Duration,
) -> String {
    let mut out = String::new();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let drafts = docs.iter().filter(|d| d.facts.draft).count();
    let _ = writeln!(
        out,
        "## Benchmark results\n\n{} documents ({:.1} MB of Markdown, {drafts} drafts), {} accounts; store: {}; {} cores ({cpu}); {} mode; whole run {:.0} s.\n",
        settings.docs,
        corpus_bytes as f64 / 1e6,
        settings.accounts,
        backend(),
        in_process.cores,
        if settings.full { "full" } else { "smoke" },
        took.as_secs_f64()
    );
    let _ = writeln!(
        out,
        "### Search latency per query class (in-process `Library::search` vs. bare tantivy)\n"
    );
    let _ = writeln!(out, "| query class | hits | p50 | p90 | p99 | bare hits | bare p50 | bare p99 | ours ÷ bare (p50) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for ClassFigures {
        name,
        hits,
        ours,
        bare_hits,
        bare,
    } in &in_process.search
    {
        let _ = writeln!(
            out,
            "| {name} | {hits} | {} | {} | {} | {bare_hits} | {} | {} | {:.1}× |",
            ms(ours[0]),
            ms(ours[1]),
            ms(ours[2]),
            ms(bare[0]),
            ms(bare[2]),
            ours[0].as_secs_f64() / bare[0].as_secs_f64().max(1e-9)
        );
    }
    let _ = writeln!(
        out,
        "\nThroughput over the mix of classes, one thread per core: bare tantivy {:.0} searches/s, `Library::search` {:.0} searches/s ({:.0} %).\n",
        in_process.ceiling_qps,
        in_process.ours_qps,
        in_process.ours_qps / in_process.ceiling_qps * 100.0
    );
    for (title, runs) in [
        (
            "the server's kept answers on (the default: the mix repeats its queries)",
            &server.http,
        ),
        (
            "no kept answers (`--search-cache 0`: every request searched afresh)",
            &server.http_uncached,
        ),
    ] {
        let _ = writeln!(out, "### Search over HTTP (`GET /api/v1/search`, Bearer token, mix of classes, release server), {title}\n");
        let _ = writeln!(out, "| concurrency | answers | failed connections | req/s | ÷ bare engine | p50 | p90 | p99 |\n|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (concurrency, count, errors, rate, [p50, p90, p99]) in runs {
            let _ = writeln!(
                out,
                "| {concurrency} | {count} | {errors} | {rate:.0} | {:.0} % | {} | {} | {} |",
                rate / in_process.ceiling_qps * 100.0,
                ms(*p50),
                ms(*p90),
                ms(*p99)
            );
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "\n### Indexing, accounts, start and memory\n\n| measure | value | target | met |\n|---|---|---|---|");
    for (metric, value, target, met) in &report.figures {
        let met = match met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "",
        };
        let _ = writeln!(out, "| {metric} | {value} | {target} | {met} |");
    }
    out
}
