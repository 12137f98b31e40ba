//! Property tests: any query (any script, pinyin edge cases, control and zero-width characters)
//! gives at most `limit` hits, never a panic; any names index.

use std::sync::LazyLock;

use proptest::prelude::*;

use super::*;
use crate::fuzz_support::{config, nasty_string, pieces_string};

type Row = (String, String, Vec<String>, i64);

fn build(rows: &[Row]) -> NameIndex {
    let aliases: Vec<Vec<Text>> = rows
        .iter()
        .map(|(_, _, aliases, _)| aliases.iter().map(|a| Text::from(a.as_str())).collect())
        .collect();
    NameIndex::build(
        rows.iter()
            .zip(&aliases)
            .map(|((id, name, _, value), aliases)| {
                ((id.as_str(), name.as_str(), aliases.as_slice()), *value)
            }),
    )
}

static SAMPLE: LazyLock<NameIndex> = LazyLock::new(|| {
    let names = [
        "中国移动通信集团江苏有限公司",
        "重庆钢铁股份有限公司",
        "东莞农村商业银行",
        "绿地控股集团",
        "長沙銀行",
        "ＡＢＣ贸易",
        "Zhong Guo",
        "西安",
        "xian",
        "々〇",
        "\u{20000}公司",
        "😀",
        "İstanbul",
        "a",
        "",
        "女儿国",
        "略略略",
        "\u{200b}\u{202e}",
    ];
    let rows: Vec<Row> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            (
                format!("C{i:03}"),
                (*name).to_owned(),
                vec![format!("别名{i}")],
                i as i64,
            )
        })
        .collect();
    build(&rows)
});

/// Pinyin syllables and fragments, initials, `v` for `ü`, and the separators users type.
const PINYIN: &[&str] = &[
    "zhong",
    "guo",
    "yi",
    "dong",
    "xi",
    "an",
    "xian",
    "chong",
    "qing",
    "zh",
    "ch",
    "sh",
    "z",
    "g",
    "y",
    "d",
    "lv",
    "nv",
    "ü",
    "v",
    "a",
    "e",
    "o",
    "ng",
    "er",
    "'",
    " ",
    "-",
    "1",
    "0",
    "ZHONG",
    "ｚｈｏｎｇ",
    "中",
    "国",
    "重",
    "行",
    "銀",
];

fn check(index: &NameIndex, query: &str, limit: usize) {
    let hits = index.search(query, limit);
    assert!(hits.len() <= limit.min(MAX_HITS), "{} hits", hits.len());
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn any_query_is_answered(query in nasty_string(80), limit in 0..20usize) {
        check(&SAMPLE, &query, limit);
    }

    #[test]
    fn any_pinyin_query_is_answered(query in pieces_string(PINYIN, 40)) {
        check(&SAMPLE, &query, MAX_HITS);
    }

}

proptest! {
    // Each case builds an index, whose direct table has millions of slots: a few dozen
    // milliseconds in a debug build, so fewer cases by default.
    #![proptest_config(config(16))]

    #[test]
    fn any_names_index_and_are_found(
        rows in proptest::collection::vec(
            (nasty_string(6), nasty_string(12), proptest::collection::vec(nasty_string(6), 0..3), any::<i64>()),
            0..12,
        ),
        query in nasty_string(10),
    ) {
        let index = build(&rows);
        check(&index, &query, MAX_HITS);
        for (_, name, _, _) in &rows {
            check(&index, name, MAX_HITS);
        }
    }
}

#[test]
fn long_and_repetitive_queries_are_answered() {
    for query in [
        "xian".repeat(10_000),
        "a".repeat(10_000),
        "zhongguo".repeat(1_000),
        "zgyd".repeat(1_000),
        "中".repeat(10_000),
        "v".repeat(10_000),
        "'".repeat(10_000),
        "\u{200b}".repeat(10_000),
    ] {
        check(&SAMPLE, &query, MAX_HITS);
    }
}
