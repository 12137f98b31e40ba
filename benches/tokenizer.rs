//! Throughput of the Chinese + English analysers (index and query modes) on mixed text:
//! Simplified and Traditional Chinese, full-width forms and English, as the library holds it.
//!
//! `cargo bench --bench tokenizer` analyses about 4 MB (pass a size in bytes after `--` to
//! change it); without `--bench` (as `cargo test --benches` runs it) it analyses 20 KB once, so
//! the suite only checks that it runs. Figures are printed, never asserted: targets belong in
//! the closing notes, not in timed tests.

use std::time::Instant;

use playbook::search::tokenizer::{index_analyzer, query_analyzer, warm_up};

const PARAGRAPH: &str = "大客户管理的核心是客户分级：按照二八法则，20%的VIP客户贡献80%的回款。\
    售后服務體系與滿意度回訪要跟上，ＫＡ渠道每30天复盘一次。\
    Negotiation tips: listen first, anchor high, and summarise next steps. \
    追加销售和交叉销售靠的是经验萃取与样板点打造。";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let full = args.iter().any(|a| a == "--bench");
    let size: usize =
        args.iter()
            .find_map(|a| a.parse().ok())
            .unwrap_or(if full { 4_000_000 } else { 20_000 });
    let mut text = String::with_capacity(size + PARAGRAPH.len());
    while text.len() < size {
        text.push_str(PARAGRAPH);
        text.push('\n');
    }
    let started = Instant::now();
    warm_up();
    println!(
        "dictionary load (warm_up): {:.1} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    let rounds = if full { 5 } else { 1 };
    for (name, mut analyzer) in [("index", index_analyzer()), ("query", query_analyzer())] {
        let started = Instant::now();
        let mut tokens = 0usize;
        for _ in 0..rounds {
            let mut stream = analyzer.token_stream(&text);
            while stream.advance() {
                tokens += 1;
            }
        }
        let seconds = started.elapsed().as_secs_f64() / rounds as f64;
        assert!(tokens > 0, "{name}: no tokens");
        println!(
            "{name} analyser: {:.2} MB in {:.1} ms = {:.1} MB/s, {} tokens",
            text.len() as f64 / 1e6,
            seconds * 1e3,
            text.len() as f64 / 1e6 / seconds,
            tokens / rounds
        );
    }
}
