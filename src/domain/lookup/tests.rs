//! Tests.

use super::*;

struct Fixture {
    accounts: Vec<(String, String, Vec<Text>, i64)>,
}

impl Fixture {
    fn new(rows: &[(&str, &str, &[&str], i64)]) -> Fixture {
        Fixture {
            accounts: rows
                .iter()
                .map(|(id, name, aliases, value)| {
                    (
                        (*id).to_owned(),
                        (*name).to_owned(),
                        aliases.iter().map(|&a| Text::from(a)).collect(),
                        *value,
                    )
                })
                .collect(),
        }
    }

    fn index(&self) -> NameIndex {
        NameIndex::build(self.accounts.iter().map(|(id, name, aliases, value)| {
            ((id.as_str(), name.as_str(), aliases.as_slice()), *value)
        }))
    }
}

fn sample() -> NameIndex {
    Fixture::new(&[
        ("C001", "中国移动通信集团江苏有限公司", &["江苏移动"], 900),
        ("C002", "中国联合网络通信集团有限公司", &["中国联通"], 800),
        ("C003", "中国银行股份有限公司", &[], 950),
        ("C004", "重庆钢铁股份有限公司", &[], 300),
        ("C005", "江苏苏宁易购集团", &["苏宁"], 400),
        ("C006", "中广核电力有限公司", &[], 100),
        (
            "C007",
            "北京字节跳动科技有限公司",
            &["字节跳动", "ByteDance"],
            700,
        ),
        ("C008", "绿地控股集团", &[], 50),
        ("C009", "招商银行股份有限公司", &[], 600),
        ("C010", "东莞农村商业银行", &[], 10),
    ])
    .index()
}

fn hits(index: &NameIndex, q: &str) -> Vec<(String, MatchQuality)> {
    index
        .search(q, 10)
        .into_iter()
        .map(|h| (h.id, h.quality))
        .collect()
}

fn first(index: &NameIndex, q: &str) -> Option<(String, MatchQuality, String)> {
    index
        .search(q, 10)
        .into_iter()
        .next()
        .map(|h| (h.id, h.quality, h.matched))
}

#[test]
fn pinyin_initials_and_full_pinyin_find_china_mobile_jiangsu() {
    let index = sample();
    let table: [(&str, MatchQuality); 7] = [
        ("zgyd", MatchQuality::InitialsPrefix),
        ("ZGYD", MatchQuality::InitialsPrefix),
        ("zhongguoyidong", MatchQuality::PinyinPrefix),
        ("zhong guo yi dong", MatchQuality::PinyinPrefix),
        ("zhongguoyid", MatchQuality::PinyinPrefix),
        ("yidongtongxin", MatchQuality::PinyinSubstring),
        ("ydtx", MatchQuality::PinyinSubstring),
    ];
    for (q, quality) in table {
        assert!(
            hits(&index, q).contains(&("C001".to_owned(), quality)),
            "{q}: {:?}",
            hits(&index, q)
        );
    }
}

#[test]
fn zhongguo_finds_every_name_starting_with_zhongguo_by_value() {
    let index = sample();
    let found = hits(&index, "zhongguo");
    assert_eq!(
        found,
        [
            ("C003".to_owned(), MatchQuality::PinyinPrefix),
            ("C001".to_owned(), MatchQuality::PinyinPrefix),
            ("C002".to_owned(), MatchQuality::PinyinPrefix),
        ]
    );
}

#[test]
fn an_alias_is_found_by_its_pinyin_and_initials() {
    let index = sample();
    for (q, quality) in [
        ("jiangsuyidong", MatchQuality::PinyinPrefix),
        ("jsyd", MatchQuality::InitialsPrefix),
    ] {
        let hit = index.search(q, 10);
        assert_eq!(hit[0].id, "C001", "{q}");
        assert_eq!(hit[0].quality, quality, "{q}");
        assert_eq!(hit[0].field, MatchedField::Alias, "{q}");
        assert_eq!(hit[0].matched, "江苏移动", "{q}");
    }
}

#[test]
fn part_of_a_chinese_name_is_found_as_a_substring() {
    let index = sample();
    assert_eq!(
        first(&index, "移动"),
        Some((
            "C001".to_owned(),
            MatchQuality::Substring,
            "中国移动通信集团江苏有限公司".to_owned()
        ))
    );
    assert_eq!(
        first(&index, "江苏移动").map(|h| (h.0, h.1)),
        Some(("C001".to_owned(), MatchQuality::AliasExact))
    );
    let found = hits(&index, "银");
    assert_eq!(
        found,
        [
            ("C003".to_owned(), MatchQuality::Substring),
            ("C009".to_owned(), MatchQuality::Substring),
            ("C010".to_owned(), MatchQuality::Substring)
        ]
    );
}

#[test]
fn an_account_id_is_found_exactly_or_by_its_start() {
    let index = sample();
    assert_eq!(
        first(&index, "c004"),
        Some(("C004".to_owned(), MatchQuality::Exact, "C004".to_owned()))
    );
    let found = hits(&index, "C00");
    assert_eq!(found.len(), 9, "C001 to C009, not C010");
    assert!(found.iter().all(|(_, q)| *q == MatchQuality::NamePrefix));
    assert_eq!(found[0].0, "C003", "highest value first");
}

#[test]
fn hits_are_ranked_by_match_quality_then_by_account_value() {
    let index = Fixture::new(&[
        ("A1", "苏州银行", &[], 10),
        ("A2", "江苏银行", &[], 500),
        ("A3", "苏宁", &["苏州"], 1000),
        ("A4", "苏州", &[], 1),
        ("A5", "苏州工业园区", &[], 100),
    ])
    .index();
    assert_eq!(
        hits(&index, "苏州"),
        [
            ("A4".to_owned(), MatchQuality::Exact),
            ("A5".to_owned(), MatchQuality::NamePrefix),
            ("A1".to_owned(), MatchQuality::NamePrefix),
            ("A3".to_owned(), MatchQuality::AliasExact),
        ]
    );
    assert_eq!(
        hits(&index, "suzhou"),
        [
            ("A3".to_owned(), MatchQuality::PinyinPrefix),
            ("A5".to_owned(), MatchQuality::PinyinPrefix),
            ("A1".to_owned(), MatchQuality::PinyinPrefix),
            ("A4".to_owned(), MatchQuality::PinyinPrefix),
        ]
    );
    assert_eq!(
        hits(&index, "yinhang"),
        [
            ("A2".to_owned(), MatchQuality::PinyinSubstring),
            ("A1".to_owned(), MatchQuality::PinyinSubstring),
        ]
    );
}

#[test]
fn equal_quality_and_value_fall_back_to_the_id() {
    let index = Fixture::new(&[("B", "华为技术", &[], 5), ("A", "华为终端", &[], 5)]).index();
    let ids: Vec<String> = hits(&index, "华为").into_iter().map(|h| h.0).collect();
    assert_eq!(ids, ["A", "B"]);
}

#[test]
fn a_lookup_never_returns_more_than_ten_hits() {
    let names: Vec<(String, String, Vec<Text>, i64)> = (0..50)
        .map(|i| {
            (
                format!("X{i:03}"),
                format!("中国测试{i}公司"),
                Vec::new(),
                i,
            )
        })
        .collect();
    let index = NameIndex::build(
        names
            .iter()
            .map(|(id, n, a, v)| ((id.as_str(), n.as_str(), a.as_slice()), *v)),
    );
    for q in ["中国", "zgcs", "zhongguo", "x0", "公司"] {
        let found = index.search(q, 100);
        assert_eq!(found.len(), 10, "{q}");
        assert_eq!(found[0].id, "X049", "{q}: best value first");
    }
    assert_eq!(index.search("中国", 3).len(), 3);
}

#[test]
fn empty_blank_or_garbage_queries_find_nothing() {
    let index = sample();
    for q in [
        "",
        "   ",
        "!!!",
        "qxzvk",
        "㊣",
        "zzzzzzzzzzzzzzzzzzzzzzzzz",
        "中国移动通信集团江苏有限公司分公司",
    ] {
        assert_eq!(hits(&index, q), [], "{q:?}");
    }
    assert!(
        NameIndex::build(std::iter::empty::<(&crate::domain::account::Account, i64)>())
            .search("中国", 10)
            .is_empty()
    );
}

#[test]
fn full_width_traditional_and_mixed_case_input_is_folded() {
    let index = sample();
    for q in ["ＺＧＹＤ", "中國移動", "BYTEdance", "Zhong Guo"] {
        assert!(!hits(&index, q).is_empty(), "{q}");
    }
    assert_eq!(
        first(&index, "bytedance").map(|h| (h.0, h.1, h.2)),
        Some((
            "C007".to_owned(),
            MatchQuality::AliasExact,
            "ByteDance".to_owned()
        ))
    );
}

#[test]
fn polyphonic_characters_are_found_by_their_other_readings() {
    let index = sample();
    for (q, id) in [
        ("chongqing", "C004"),
        ("zhongqing", "C004"),
        ("cqgt", "C004"),
        ("zhaoshangyinhang", "C009"),
        ("lvdi", "C008"),
        ("dongguan", "C010"),
    ] {
        assert_eq!(first(&index, q).map(|h| h.0), Some(id.to_owned()), "{q}");
    }
}

#[test]
fn a_query_that_could_be_split_into_syllables_in_two_ways_finds_both_readings() {
    let index = Fixture::new(&[("X1", "西安电子", &[], 1), ("X2", "先锋电子", &[], 2)]).index();
    let mut ids: Vec<String> = hits(&index, "xian").into_iter().map(|h| h.0).collect();
    ids.sort();
    assert_eq!(ids, ["X1", "X2"]);
}

#[test]
fn an_index_built_on_two_threads_answers_like_one_built_on_one() {
    let fixture = Fixture::new(&[
        ("C001", "中国移动通信集团江苏有限公司", &["江苏移动"], 900),
        ("C002", "中国联合网络通信集团有限公司", &["中国联通"], 800),
        ("C003", "中国银行股份有限公司", &[], 950),
        ("C004", "重庆钢铁股份有限公司", &[], 300),
        ("C005", "江苏苏宁易购集团", &["苏宁"], 400),
        ("C006", "中广核电力有限公司", &[], 100),
        (
            "C007",
            "北京字节跳动科技有限公司",
            &["字节跳动", "ByteDance"],
            700,
        ),
    ]);
    let rows = || {
        fixture
            .accounts
            .iter()
            .map(|(id, name, aliases, value)| {
                ((id.as_str(), name.as_str(), aliases.as_slice()), *value)
            })
            .collect::<Vec<_>>()
    };
    let single = NameIndex::build_from(rows(), false);
    let parallel = NameIndex::build_from(rows(), true);
    for q in [
        "zgyd",
        "zhongguo",
        "移动",
        "c00",
        "jsyd",
        "苏宁",
        "tongxin",
        "bytedance",
        "公司",
    ] {
        assert_eq!(single.search(q, 10), parallel.search(q, 10), "{q}");
        assert!(!parallel.search(q, 10).is_empty(), "{q}");
    }
    assert_eq!(single.stats().postings, parallel.stats().postings);
}

#[test]
fn normalisation_keeps_letters_and_digits_of_every_script() {
    assert_eq!(normalise(" 中國（ＡＢＣ）-Mobile 3 "), "中国abcmobile3");
}
