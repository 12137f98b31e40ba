//! Customer lookup and briefing latency at scale.
//!
//! `cargo bench --bench briefing` imports 1,000,000 generated accounts (the demo generator,
//! through the real importer into sled), stores and indexes 100,000 generated documents, then
//! times `briefing::briefing` for random accounts × scenarios and the name lookup for partial
//! names and pinyin. It then times the same briefings again part by part (account and tier
//! explanation, alerts, playbooks, cases, courses) to show where the time goes. Without
//! `--bench` (as `cargo test --all-targets` runs it) it does the same on 2,000 accounts and 300
//! documents as a smoke test.

mod common;

use std::time::{Duration, Instant};

use common::{generate, percentile, sentences, Rng};
use playbook::app::account_book::AccountBook;
use playbook::app::briefing::{briefing, briefing_traced, CustomerFinder, Viewer, PHASES};
use playbook::app::indexer;
use playbook::app::library::{tier_ids, Library};
use playbook::domain::alerts::Rules;
use playbook::domain::taxonomy::Taxonomy;
use playbook::domain::Lang;
use playbook::search::index::SearchIndex;
use playbook::store::Store;

fn timed<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let value = f();
    println!("{label}: {:.2?}", started.elapsed());
    value
}

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "| {name} | {} | {:.2?} | {:.2?} | {:.2?} |",
        times.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.9),
        percentile(&times, 0.99)
    );
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (accounts, documents, rounds) = if full {
        (1_000_000, 100_000, 500)
    } else {
        (2_000, 300, 20)
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("store")).expect("store opens");
    let book = AccountBook::open(store.clone()).expect("account book opens");
    let csv = timed("generate accounts CSV", || {
        playbook::app::demo::accounts_csv(accounts, playbook::app::demo::DEFAULT_SEED)
    });
    timed(&format!("import {accounts} accounts"), || {
        book.import_csv(csv.as_bytes(), "bench", &mut |_| {})
            .expect("demo accounts import")
    });
    drop(csv);

    let sentences = sentences();
    let items = timed(&format!("generate {documents} documents"), || {
        generate(documents, &sentences)
    });
    timed("store documents", || {
        store.sync_files(&items, &[]).expect("documents stored")
    });
    drop(items);
    let taxonomy = Taxonomy::default();
    let (index, _) = SearchIndex::open(&dir.path().join("index")).expect("index opens");
    timed("index documents", || {
        indexer::rebuild(&store, &index, &tier_ids(&taxonomy)).expect("index builds")
    });
    let library = Library::new(
        store,
        taxonomy.clone(),
        Rules::builtin(),
        playbook::domain::synonyms::Synonyms::builtin(),
        Vec::new(),
        std::sync::Arc::new(index),
    );
    let finder = CustomerFinder::default();
    timed("build the name index (first lookup)", || {
        finder.lookup(&book, "zgyd", Lang::Zh)
    });

    let state = book.state();
    let ids: Vec<String> = state.accounts().iter().map(|a| a.id.to_string()).collect();
    let scenarios = taxonomy.scenario_ids();
    let mut rng = Rng(7);
    let viewer = Viewer::unrestricted();
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let id = &ids[rng.below(ids.len())];
        let scenario = scenarios[rng.below(scenarios.len())];
        let started = Instant::now();
        let result = briefing(
            &book,
            &library,
            library.alert_rules(),
            id,
            Some(scenario),
            &viewer,
            Lang::Zh,
        )
        .expect("briefing builds");
        times.push(started.elapsed());
        std::hint::black_box(result);
    }
    // The same requests again, timing each part of the briefing on its own.
    let mut rng = Rng(7);
    let mut phases: Vec<Vec<Duration>> = vec![Vec::with_capacity(rounds); PHASES.len()];
    for _ in 0..rounds {
        let id = &ids[rng.below(ids.len())];
        let scenario = scenarios[rng.below(scenarios.len())];
        let mut last = Instant::now();
        let mut phase = 0;
        let result = briefing_traced(
            &book,
            &library,
            library.alert_rules(),
            id,
            Some(scenario),
            &viewer,
            Lang::Zh,
            &mut |name| {
                assert_eq!(name, PHASES[phase], "phases in order");
                let now = Instant::now();
                phases[phase].push(now - last);
                last = now;
                phase += 1;
            },
        )
        .expect("briefing builds");
        std::hint::black_box(result);
    }
    println!("\n| operation | runs | p50 | p90 | p99 |\n|---|---:|---:|---:|---:|");
    report("briefing (random account × scenario)", times);
    for (name, times) in PHASES.iter().zip(phases) {
        report(&format!("  briefing part: {name}"), times);
    }

    let names: Vec<String> = state
        .accounts()
        .iter()
        .step_by((ids.len() / 50).max(1))
        .map(|a| a.name.chars().skip(2).take(2).collect())
        .collect();
    for (label, queries) in [
        ("lookup: 2 Chinese characters", names),
        (
            "lookup: pinyin initials",
            vec!["zgyd".into(), "hdjm".into(), "xh".into(), "jsyd".into()],
        ),
        (
            "lookup: full pinyin prefix",
            vec!["zhongguo".into(), "huadong".into(), "xinghai".into()],
        ),
    ] {
        let mut times = Vec::new();
        for round in 0..rounds {
            let q = &queries[round % queries.len()];
            let started = Instant::now();
            std::hint::black_box(finder.lookup(&book, q, Lang::Zh));
            times.push(started.elapsed());
        }
        report(label, times);
    }
}
