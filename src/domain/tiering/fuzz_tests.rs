//! Property tests: any JSON text is a model or an error naming a field, never a panic; any model
//! that validates computes tiers for any accounts without panicking.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::domain::account::{CreditRating, Money};
use crate::fuzz_support::{config, nasty_string, pieces_string};

/// The model's vocabulary, so generated documents get past the first field.
const WORDS: &[&str] = &[
    "preset",
    "tiers",
    "cut",
    "score",
    "method",
    "percents",
    "shares",
    "thresholds",
    "indicator",
    "weights",
    "normalisation",
    "normalization",
    "groups",
    "id",
    "label_zh",
    "label_en",
    "pyramid",
    "vip",
    "percent_of_accounts",
    "share_of_value",
    "threshold",
    "single",
    "weighted",
    "scorecard",
    "revenue",
    "profit",
    "collected",
    "transactions",
    "cooperation_years",
    "overdue_days",
    "product_lines",
    "credit",
    "referral",
    "picky",
    "strict",
    "potential_customer",
    "potential_service",
    "financial",
    "sales",
    "customer",
    "service",
    "min_max",
    "log_min_max",
    "rank_percentile",
    "strategic",
    "major",
    "ordinary",
    "small",
    "",
];

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        proptest::sample::select(
            &[0.0, -0.0, 1.0, -1.0, 0.5, 50.0, 99.999, 100.0, 100.0001, 1e308, -1e308, 5e-324][..]
        )
        .prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        proptest::sample::select(WORDS).prop_map(|w| json!(w)),
        nasty_string(8).prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec(
                (
                    proptest::sample::select(WORDS).prop_map(str::to_owned),
                    inner
                ),
                0..6
            )
            .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// A model document: mostly well-typed, with random parts.
fn model_json() -> impl Strategy<Value = Value> {
    let tier = (
        proptest::sample::select(WORDS),
        proptest::option::of(number()),
    )
        .prop_map(|(id, cut)| json!({"id": id, "cut": cut}));
    let numbers = proptest::collection::vec(number(), 0..6);
    let weights = proptest::collection::btree_map(
        proptest::sample::select(WORDS).prop_map(str::to_owned),
        number(),
        0..6,
    );
    (
        proptest::option::of(proptest::sample::select(WORDS)),
        proptest::option::of(proptest::collection::vec(tier, 0..7)),
        proptest::sample::select(&["percent_of_accounts", "share_of_value", "threshold"][..]),
        proptest::option::of(numbers),
        proptest::sample::select(&["single", "weighted", "scorecard", "x"][..]),
        proptest::sample::select(WORDS),
        weights,
        json_value(),
    )
        .prop_map(|(preset, tiers, cut, list, score, word, weights, extra)| {
            let list_key = match cut {
                "percent_of_accounts" => "percents",
                "share_of_value" => "shares",
                _ => "thresholds",
            };
            let mut model = json!({
                "preset": preset,
                "tiers": tiers,
                "cut": {"method": cut, list_key: list},
                "score": match score {
                    "single" => json!({"method": score, "indicator": word}),
                    "weighted" => json!({"method": score, "weights": weights, "normalisation": word}),
                    "scorecard" => json!({"method": score, "groups": weights}),
                    _ => json!({"method": score, "x": extra.clone()}),
                },
            });
            // Now and then a random part replaces a well-typed one.
            if let (Value::Object(map), Value::Object(extra)) = (&mut model, &extra) {
                for (key, value) in extra {
                    map.insert(key.clone(), value.clone());
                }
            }
            model
        })
}

/// Accounts with the extreme and missing values a real file can hold.
fn accounts() -> Vec<Account> {
    let mut accounts = Vec::new();
    let extremes = [
        None,
        Some(0),
        Some(1),
        Some(-1),
        Some(i64::MAX),
        Some(i64::MIN),
    ];
    for (i, money) in extremes.iter().enumerate() {
        let indicators = Indicators {
            revenue: money.map(Money),
            profit: money.map(|m| Money(m.wrapping_neg())),
            collected: money.map(Money),
            transactions: money.map(i64::unsigned_abs),
            cooperation_years: money.map(|m| m as f64),
            overdue_days: Some(u32::MAX),
            product_lines: Some(0),
            credit: Some(CreditRating::Poor),
            referral: Some(i % 2 == 0),
            picky: None,
            strict: Some(true),
            potential_customer: Some(100),
            potential_service: Some(0),
        };
        accounts.push(Account {
            id: format!("a{i}").into(),
            name: format!("a{i}").into(),
            aliases: Vec::new(),
            industry: None,
            region: None,
            owner: None,
            indicators,
        });
    }
    accounts
}

fn check(text: &str) {
    if let Ok(model) = TierModel::from_json(text) {
        if let Ok(resolved) = model.resolve() {
            let assignments = resolved.compute(&accounts(), &HashMap::new());
            assert_eq!(assignments.len(), accounts().len());
        }
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn any_text_is_a_model_or_an_error(text in nasty_string(120)) {
        check(&text);
    }

    #[test]
    fn any_json_is_a_model_or_an_error(value in json_value()) {
        check(&value.to_string());
    }

    #[test]
    fn any_model_document_is_a_model_or_an_error(value in model_json()) {
        check(&value.to_string());
    }

    #[test]
    fn any_json_ish_text_is_a_model_or_an_error(
        text in pieces_string(&["{", "}", "[", "]", ",", ":", "\"", "\\u", "d800", "\\ud800",
            "\\udc00", "\\", "1e999", "-", "0", ".", "null", "\"method\"", "\"cut\"",
            "\"score\"", "\"tiers\"", "\"percents\""], 40),
    ) {
        check(&text);
    }
}

#[test]
fn deep_nesting_and_lone_surrogates_are_errors() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for text in [
        deep.as_str(),
        "{\"preset\":\"\\ud800\"}",
        "{\"preset\":\"\\udc00\\ud800\"}",
        "{\"tiers\":[{\"id\":\"\\ud83d\"}]}",
        "{\"cut\":{\"method\":\"threshold\",\"thresholds\":[1e400,-1e400,NaN]}}",
        "{\"preset\":\"pyramid\",\"preset\":\"vip\"}",
        "\u{feff}{}",
    ] {
        check(text);
    }
}
