//! Unit tests of the tier model, scoring, ranking, explanations and tier changes.

use super::*;

/// Found by schemathesis: `PUT /api/v1/tier-model` with `[null, null]` answered 200.
#[test]
fn a_model_that_is_not_a_json_object_is_an_error() {
    for text in ["[null, null]", "[]", "null", "1", "\"pyramid\""] {
        let error = TierModel::from_json(text).expect_err(text);
        assert!(error.to_string().contains("JSON object"), "{text}: {error}");
    }
}
use crate::domain::account::Money;

#[test]
fn sorted_tier_changes_match_the_map_based_ones() {
    let model = TierModel::default().resolve().unwrap();
    let previous = [
        ("a", "major"),
        ("b", "small"),
        ("c", "strategic"),
        ("z", "small"),
    ];
    let current = [
        ("a", "strategic"),
        ("b", "small"),
        ("bb", "ordinary"),
        ("c", "major"),
        ("d", "gone-tier"),
    ];
    let changes = tier_changes_sorted(&model, previous, current);
    let seen: Vec<(&str, Option<&str>, Direction)> = changes
        .iter()
        .map(|c| (c.account_id.as_str(), c.from.as_deref(), c.direction))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("a", Some("major"), Direction::Up),
            ("bb", None, Direction::New),
            ("c", Some("strategic"), Direction::Down),
            ("d", None, Direction::New),
        ]
    );
    let previous = [("d", "small")];
    let changes = tier_changes_sorted(&model, previous, [("d", "gone-tier")]);
    assert_eq!(changes[0].direction, Direction::Changed);
}

fn acc(id: &str, f: impl FnOnce(&mut Indicators)) -> Account {
    let mut indicators = Indicators::default();
    f(&mut indicators);
    Account {
        id: id.into(),
        name: id.into(),
        aliases: Vec::new(),
        industry: None,
        region: None,
        owner: None,
        indicators,
    }
}

/// Accounts a01.. with the given revenues in yuan.
fn revenues(values: &[i64]) -> Vec<Account> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            acc(&format!("a{:02}", i + 1), |x| {
                x.revenue = Some(Money::from_yuan(*v))
            })
        })
        .collect()
}

fn model(json: &str) -> TierModel {
    match TierModel::from_json(json) {
        Ok(m) => m,
        Err(e) => panic!("model {json} rejected: {e}"),
    }
}

fn err(json: &str) -> String {
    match TierModel::from_json(json) {
        Ok(_) => panic!("model {json} accepted"),
        Err(e) => e.to_string(),
    }
}

fn run(m: &TierModel, accounts: &[Account]) -> Vec<TierAssignment> {
    compute_tiers(m, accounts, &HashMap::new()).expect("valid model")
}

fn tiers_of(out: &[TierAssignment]) -> Vec<&str> {
    out.iter().map(|a| a.tier.as_str()).collect()
}

fn single_revenue() -> TierModel {
    model(r#"{"preset":"pyramid","score":{"method":"single","indicator":"revenue"}}"#)
}

// ---- model document

#[test]
fn the_example_document_deserialises_as_written() {
    let m: TierModel = serde_json::from_str(
        r#"{"preset":"pyramid","score":{"method":"single","indicator":"revenue"}}"#,
    )
    .expect("valid");
    assert_eq!(m.preset, Some(Preset::Pyramid));
    assert_eq!(
        m.score,
        ScoreMethod::Single {
            indicator: Indicator::Revenue
        }
    );
    assert_eq!(m.cut, CutMethod::PercentOfAccounts { percents: None });
}

#[test]
fn an_empty_document_is_the_default_model() {
    assert_eq!(model("{}"), TierModel::default());
}

#[test]
fn the_default_model_is_pyramid_weighted_log_min_max() {
    let r = TierModel::default().resolve().expect("valid");
    let ids: Vec<&str> = r.tiers.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["strategic", "major", "ordinary", "small"]);
    assert_eq!(r.cut, ResolvedCut::Percent(vec![1.0, 20.0, 50.0]));
    assert!(r.explain_score().en.contains("log min–max"));
    assert!(r.explain_score().zh.contains("对数"));
}

#[test]
fn a_model_round_trips_through_json() {
    let text = r#"{"tiers":[{"id":"a","cut":80},{"id":"b"}],
        "cut":{"method":"share_of_value"},
        "score":{"method":"scorecard","groups":{"financial":1,"service":1},"normalisation":"rank_percentile"}}"#;
    let m = model(text);
    let back: TierModel =
        serde_json::from_str(&serde_json::to_string(&m).expect("serialise")).expect("parse");
    assert_eq!(back, m);
}

#[test]
fn the_vip_preset_has_vip_major_ordinary_small_at_1_6_20() {
    let r = model(r#"{"preset":"vip"}"#).resolve().expect("valid");
    assert_eq!(r.tiers[0].label_zh, "VIP客户");
    assert_eq!(r.cut, ResolvedCut::Percent(vec![1.0, 6.0, 20.0]));
}

#[test]
fn a_misspelt_indicator_is_named_with_the_field_and_the_choices() {
    let e = err(r#"{"score":{"method":"single","indicator":"revnue"}}"#);
    assert!(
        e.starts_with(
            "score.indicator: unknown indicator \"revnue\" (expected one of revenue, profit"
        ),
        "{e}"
    );
    let e = err(r#"{"score":{"method":"weighted","weights":{"revnue":1}}}"#);
    assert!(
        e.starts_with("score.weights: unknown indicator \"revnue\""),
        "{e}"
    );
}

#[test]
fn weights_summing_to_zero_are_rejected() {
    let e = err(r#"{"score":{"method":"weighted","weights":{"revenue":0,"profit":0}}}"#);
    assert_eq!(e, "score.weights: weights must sum to > 0");
    let e = err(r#"{"score":{"method":"weighted","weights":{"revenue":-1,"profit":2}}}"#);
    assert!(
        e.starts_with("score.weights.revenue: weight must be"),
        "{e}"
    );
    let e = err(r#"{"score":{"method":"weighted","weights":{}}}"#);
    assert_eq!(e, "score.weights: at least one weight is needed");
}

#[test]
fn cut_points_that_do_not_increase_are_rejected() {
    let e = err(r#"{"tiers":[{"id":"a","cut":20},{"id":"b","cut":20},{"id":"c"}]}"#);
    assert_eq!(e, "tiers[1].cut: cut points must increase (20 after 20)");
    let e = err(r#"{"cut":{"method":"share_of_value","shares":[80,50,95]}}"#);
    assert_eq!(e, "cut.shares[1]: cut points must increase (50 after 80)");
    let e = err(r#"{"cut":{"method":"threshold","thresholds":[30,60,90]}}"#);
    assert!(
        e.starts_with("cut.thresholds[1]: thresholds must decrease"),
        "{e}"
    );
}

#[test]
fn other_model_mistakes_are_named() {
    assert!(err(r#"{"preset":"pyrmid"}"#).starts_with("preset: unknown preset \"pyrmid\""));
    assert!(err(r#"{"cut":{"method":"top"}}"#).starts_with("cut.method: unknown method"));
    assert!(err(r#"{"cut":{"method":"share_of_value"}}"#).starts_with("cut.shares: "));
    assert_eq!(
        err(r#"{"cut":{"method":"share_of_value","shares":[50,80]}}"#),
        "cut.shares: expected 3 cut points (one per boundary between 4 tiers), got 2"
    );
    assert!(
        err(r#"{"cut":{"method":"percent_of_accounts","percents":[0,20,50]}}"#)
            .starts_with("cut.percents[0]: percent of accounts must be > 0")
    );
    assert!(
        err(r#"{"tiers":[{"id":"a","cut":10},{"id":"a"}]}"#).starts_with("tiers[1].id: duplicate")
    );
    assert!(err(r#"{"tiers":[{"id":"a"},{"id":"b"}]}"#).starts_with("tiers[0].cut: missing"));
    assert!(
        err(r#"{"tiers":[{"id":"a","cut":10},{"id":"b","cut":50}]}"#)
            .starts_with("tiers[1].cut: the last tier takes the rest")
    );
    assert!(err(
        r#"{"score":{"method":"single","indicator":"revenue","normalisation":"min_max"}}"#
    )
    .starts_with("score.normalisation: not used by method single"));
    assert!(err(
        r#"{"score":{"method":"weighted","weights":{"revenue":1},"normalisation":"zscore"}}"#
    )
    .starts_with("score.normalisation: unknown normalisation"));
    assert!(
        err(r#"{"score":{"method":"scorecard","groups":{"money":1}}}"#)
            .starts_with("score.groups: unknown group")
    );
    assert!(err(r#"{"colour":"red"}"#).contains("unknown field `colour`"));
    let via_serde = serde_json::from_str::<TierModel>(r#"{"score":{"method":"single"}}"#)
        .expect_err("rejected")
        .to_string();
    assert!(
        via_serde.starts_with("score.indicator: missing"),
        "{via_serde}"
    );
}

#[test]
fn custom_tiers_override_the_preset_cut_points() {
    let m = model(
        r#"{"preset":"pyramid","tiers":[{"id":"strategic","cut":10},{"id":"major","cut":30},{"id":"ordinary","cut":60},{"id":"small","cut":100}],
            "score":{"method":"single","indicator":"revenue"}}"#,
    );
    let r = m.resolve().expect("valid");
    assert_eq!(r.cut, ResolvedCut::Percent(vec![10.0, 30.0, 60.0]));
    assert_eq!(r.tiers[1].label_zh, "主要客户");
    let out = run(&m, &revenues(&[10, 9, 8, 7, 6, 5, 4, 3, 2, 1]));
    assert_eq!(
        tiers_of(&out),
        [
            "strategic",
            "major",
            "major",
            "ordinary",
            "ordinary",
            "ordinary",
            "small",
            "small",
            "small",
            "small"
        ]
    );
}

// ---- explanations without the figures

#[test]
fn an_explanation_without_the_figures_keeps_rank_and_cut_and_drops_every_number_of_the_account() {
    let accounts = revenues(&[987_654, 9, 9, 7, 6, 5, 4, 3, 2, 1]);
    let percent = single_revenue().resolve().expect("valid");
    let run = percent.run(&accounts);
    let hidden = run.assignment(0, &HashMap::new(), Figures::Hidden);
    assert_eq!(hidden.score, None);
    assert!(hidden.contributions.is_empty());
    assert_eq!(hidden.rank, 1);
    assert_eq!(
        hidden.rule.en,
        "rank 1 of 10, within the top 1% (1 account) → Strategic"
    );
    assert_eq!(
        hidden.rule.zh,
        "排名 1/10，在前 1%（1 家）之内 → 重要(战略)客户"
    );
    let tied = run.assignment(1, &HashMap::new(), Figures::Hidden);
    assert!(
        tied.rule.en.contains("tied with 1 other account(s)"),
        "{}",
        tied.rule.en
    );
    assert!(!tied.rule.en.contains('9'), "{}", tied.rule.en);

    let threshold = model(
        r#"{"score":{"method":"single","indicator":"revenue"},"cut":{"method":"threshold","thresholds":[500000,8,3]},
            "tiers":[{"id":"strategic"},{"id":"major"},{"id":"ordinary"},{"id":"small"}]}"#,
    )
    .resolve()
    .expect("valid");
    let run = threshold.run(&accounts);
    let shown = run.assignment(0, &HashMap::new(), Figures::Shown);
    assert!(shown.rule.en.contains("987654") && shown.rule.en.contains("500000"));
    let hidden = run.assignment(0, &HashMap::new(), Figures::Hidden);
    assert_eq!(hidden.rule.en, "rank 1 of 10 → strategic");
    assert_eq!(hidden.rule.zh, "排名 1/10 → 重要(战略)客户");
}

// ---- rank rule

#[test]
fn ten_accounts_in_pyramid_give_exactly_one_strategic_account() {
    let out = run(
        &single_revenue(),
        &revenues(&[10, 9, 8, 7, 6, 5, 4, 3, 2, 1]),
    );
    // ceil(10×1%)=1, ceil(10×20%)=2, ceil(10×50%)=5
    assert_eq!(
        tiers_of(&out),
        [
            "strategic",
            "major",
            "ordinary",
            "ordinary",
            "ordinary",
            "small",
            "small",
            "small",
            "small",
            "small"
        ]
    );
    assert_eq!(out[0].rank, 1);
    assert_eq!(out[0].percentile, 90.0);
    assert_eq!(out[9].percentile, 0.0);
    assert_eq!(
        out[0].rule.en,
        "score 10 (revenue); rank 1 of 10, within the top 1% (1 account) → Strategic"
    );
    assert_eq!(
        out[0].rule.zh,
        "得分 10（销售额）；排名 1/10，在前 1%（1 家）之内 → 重要(战略)客户"
    );
    assert_eq!(
        out[9].rule.en,
        "score 1 (revenue); rank 10 of 10, below the top 50% (5 accounts) → Small"
    );
}

#[test]
fn rank_three_of_250_is_strategic_because_ceil_of_2_5_is_3() {
    let vals: Vec<i64> = (1..=250).rev().collect();
    let out = run(&single_revenue(), &revenues(&vals));
    assert_eq!(out.iter().filter(|a| a.tier == "strategic").count(), 3);
    assert_eq!(
        out[2].rule.en,
        "score 248 (revenue); rank 3 of 250, within the top 1% (3 accounts) → Strategic"
    );
    assert_eq!(out.iter().filter(|a| a.tier == "major").count(), 47);
    // 247 accounts score lower: 100 × 247 / 250
    assert_eq!(out[2].percentile, 98.8);
    let v = serde_json::to_value(&out[2]).expect("serialise");
    assert_eq!(v["contributions"][0]["raw"], 248.0);
    assert_eq!(v["override"], serde_json::Value::Null);
}

#[test]
fn one_account_is_strategic_and_zero_accounts_give_nothing() {
    let out = run(&single_revenue(), &revenues(&[5]));
    assert_eq!(tiers_of(&out), ["strategic"]);
    assert_eq!(out[0].percentile, 0.0);
    assert!(run(&single_revenue(), &[]).is_empty());
    assert!(run(&TierModel::default(), &[]).is_empty());
}

#[test]
fn a_tie_on_the_cut_line_gives_the_whole_group_the_better_tier() {
    // 10 accounts, strategic bound 1, major bound 2: a02 and a03 tie at rank 2.
    let out = run(
        &single_revenue(),
        &revenues(&[100, 50, 50, 40, 30, 20, 20, 20, 10, 5]),
    );
    let ranks: Vec<usize> = out.iter().map(|a| a.rank).collect();
    assert_eq!(ranks, [1, 2, 2, 4, 5, 6, 6, 6, 9, 10]);
    assert_eq!(
        tiers_of(&out),
        [
            "strategic",
            "major",
            "major",
            "ordinary",
            "ordinary",
            "small",
            "small",
            "small",
            "small",
            "small"
        ]
    );
    assert!(out[2].rule.en.contains("tied with 1 other account(s)"));
    // a tie straddling the 50% line: a05–a07 tie at rank 5 ≤ ceil(10×50%) = 5 → all ordinary
    let out = run(
        &single_revenue(),
        &revenues(&[100, 90, 80, 70, 60, 60, 60, 10, 5, 1]),
    );
    assert_eq!(
        tiers_of(&out),
        [
            "strategic",
            "major",
            "ordinary",
            "ordinary",
            "ordinary",
            "ordinary",
            "ordinary",
            "small",
            "small",
            "small"
        ]
    );
    assert_eq!(out[6].rank, 5);
    assert_eq!(out[6].percentile, 30.0);
}

#[test]
fn all_equal_scores_put_everyone_in_the_first_tier() {
    let out = run(&single_revenue(), &revenues(&[7; 6]));
    assert!(out
        .iter()
        .all(|a| a.tier == "strategic" && a.rank == 1 && a.percentile == 0.0));
    // weighted with every value equal: normalised 100 each, same score
    let out = run(&TierModel::default(), &revenues(&[7; 6]));
    assert!(out.iter().all(|a| a.tier == "strategic"));
}

#[test]
fn ties_are_ordered_by_id_and_the_result_keeps_input_order() {
    let mut accounts = revenues(&[5, 5, 9]);
    accounts[0].id = "zeta".into();
    accounts[1].id = "alpha".into();
    let out = run(&single_revenue(), &accounts);
    let ids: Vec<&str> = out.iter().map(|a| a.account_id.as_str()).collect();
    assert_eq!(ids, ["zeta", "alpha", "a03"]);
    assert_eq!(out[2].rank, 1);
    assert_eq!((out[0].rank, out[1].rank), (2, 2));
}

#[test]
fn negative_profit_ranks_below_zero_and_positive_profit() {
    let accounts: Vec<Account> = [("p", 300), ("z", 0), ("n", -200), ("m", -50)]
        .iter()
        .map(|(id, v)| acc(id, |x| x.profit = Some(Money::from_yuan(*v))))
        .collect();
    let m = model(r#"{"score":{"method":"single","indicator":"profit"}}"#);
    let out = run(&m, &accounts);
    let ranks: Vec<usize> = out.iter().map(|a| a.rank).collect();
    assert_eq!(ranks, [1, 2, 4, 3]);
    assert_eq!(out[2].score, Some(-200.0));
    // N = 4: bounds ceil(0.04)=1, ceil(0.8)=1, ceil(2)=2
    assert_eq!(tiers_of(&out), ["strategic", "ordinary", "small", "small"]);
}

#[test]
fn accounts_missing_the_indicator_go_to_the_last_tier() {
    let mut accounts = revenues(&[30, 20, 10]);
    accounts.push(acc("none", |_| {}));
    let out = run(&single_revenue(), &accounts);
    assert_eq!(out[3].score, None);
    assert_eq!(out[3].rank, 4);
    assert_eq!(out[3].tier, "small");
    assert_eq!(out[3].contributions[0].raw, None);
    assert!(
        out[3]
            .rule
            .en
            .starts_with("no score (revenue not recorded)"),
        "{}",
        out[3].rule.en
    );
    // N counts the unscored account: ceil(4×20%)=1, ceil(4×50%)=2
    assert_eq!(tiers_of(&out), ["strategic", "ordinary", "small", "small"]);
}

#[test]
fn overdue_days_rank_fewer_days_higher() {
    let accounts: Vec<Account> = [("late", 90), ("ok", 0), ("some", 30)]
        .iter()
        .map(|(id, d)| acc(id, |x| x.overdue_days = Some(*d)))
        .collect();
    let m = model(r#"{"score":{"method":"single","indicator":"overdue_days"}}"#);
    let out = run(&m, &accounts);
    assert_eq!(out[1].rank, 1);
    assert_eq!(out[0].score, Some(-90.0));
    assert_eq!(out[0].contributions[0].raw, Some(90.0));
}

// ---- weighted scores and normalisations

#[test]
fn normalisations_match_hand_computed_values() {
    let col = [Some(0.0), Some(10.0), Some(10.0), Some(40.0), None];
    assert_eq!(
        normalise(&col, Normalisation::MinMax),
        [Some(0.0), Some(25.0), Some(25.0), Some(100.0), None]
    );
    // at-or-below counts 1,3,3,4 of n=4 → (c−1)/3
    assert_eq!(
        normalise(&col, Normalisation::RankPercentile),
        [
            Some(0.0),
            Some(200.0 / 3.0),
            Some(200.0 / 3.0),
            Some(100.0),
            None
        ]
    );
    // ln(1+x): e−1 → 1, e³−1 → 3, 0 → 0 : min_max over [0,1,3] → 0, 33.3, 100
    let e = std::f64::consts::E;
    let col = [Some(0.0), Some(e - 1.0), Some(e.powi(3) - 1.0)];
    let n = normalise(&col, Normalisation::LogMinMax);
    let close = |a: Option<f64>, b: f64| (a.unwrap_or(f64::NAN) - b).abs() < 1e-9;
    assert!(close(n[0], 0.0) && close(n[1], 100.0 / 3.0) && close(n[2], 100.0));
    // signed log: −(e−1) sits below 0
    let n = normalise(
        &[Some(1.0 - e), Some(0.0), Some(e - 1.0)],
        Normalisation::LogMinMax,
    );
    assert!(close(n[0], 0.0) && close(n[1], 50.0) && close(n[2], 100.0));
    // single value and all-equal → 100
    assert_eq!(
        normalise(&[Some(3.0)], Normalisation::RankPercentile),
        [Some(100.0)]
    );
    assert_eq!(
        normalise(&[Some(3.0), Some(3.0)], Normalisation::MinMax),
        [Some(100.0), Some(100.0)]
    );
}

#[test]
fn weighted_min_max_score_is_the_weighted_sum_and_contributions_add_up() {
    // revenue 0/50/100 → 0/50/100; profit 10/30/20 → 0/100/50; weights 3:1 → 0.75/0.25
    let accounts: Vec<Account> = [(0, 10), (50, 30), (100, 20)]
        .iter()
        .enumerate()
        .map(|(i, (r, p))| {
            acc(&format!("w{i}"), |x| {
                x.revenue = Some(Money::from_yuan(*r));
                x.profit = Some(Money::from_yuan(*p));
            })
        })
        .collect();
    let m = model(
        r#"{"score":{"method":"weighted","weights":{"revenue":3,"profit":1},"normalisation":"min_max"}}"#,
    );
    let out = run(&m, &accounts);
    let scores: Vec<Option<f64>> = out.iter().map(|a| a.score).collect();
    assert_eq!(scores, [Some(0.0), Some(62.5), Some(87.5)]);
    let c = &out[1].contributions;
    assert_eq!(c.len(), 2);
    assert_eq!(
        (
            c[0].indicator,
            c[0].raw,
            c[0].normalised,
            c[0].weight,
            c[0].points
        ),
        (Indicator::Revenue, Some(50.0), Some(50.0), 0.75, 37.5)
    );
    assert_eq!(c[1].points, 25.0);
    assert_eq!(out[2].rank, 1);
    assert!(out[1]
        .rule
        .en
        .starts_with("score 62.5 (weighted, min–max scaling); rank 2 of 3"));
}

#[test]
fn weighted_rank_percentile_and_missing_indicators_count_zero() {
    // revenue 10/20/30/– ; collected 5/–/5/5 ; weights 0.5/0.5, rank_percentile
    let mk = |id: &str, r: Option<i64>, c: Option<i64>| {
        acc(id, |x| {
            x.revenue = r.map(Money::from_yuan);
            x.collected = c.map(Money::from_yuan);
        })
    };
    let accounts = vec![
        mk("a", Some(10), Some(5)),
        mk("b", Some(20), None),
        mk("c", Some(30), Some(5)),
        mk("d", None, Some(5)),
        mk("e", None, None),
    ];
    let m = model(
        r#"{"score":{"method":"weighted","weights":{"revenue":1,"collected":1},"normalisation":"rank_percentile"}}"#,
    );
    let out = run(&m, &accounts);
    // revenue pct among 3: 0, 50, 100; collected all equal (3 values) → 100 each
    let scores: Vec<Option<f64>> = out.iter().map(|a| a.score).collect();
    assert_eq!(
        scores,
        [Some(50.0), Some(25.0), Some(100.0), Some(50.0), None]
    );
    assert_eq!(out[1].contributions[1].normalised, None);
    assert_eq!(out[1].contributions[1].points, 0.0);
    // ranks: c 1, a/d tie 2, b 4, e unscored 5
    let ranks: Vec<usize> = out.iter().map(|a| a.rank).collect();
    assert_eq!(ranks, [2, 4, 1, 2, 5]);
    assert!(out[4]
        .rule
        .en
        .contains("revenue, collected payments not recorded"));
}

#[test]
fn a_zero_weight_indicator_is_left_out() {
    let m = model(r#"{"score":{"method":"weighted","weights":{"revenue":1,"profit":0}}}"#);
    let out = run(&m, &revenues(&[1, 2]));
    assert_eq!(out[0].contributions.len(), 1);
}

// ---- scorecard

#[test]
fn scorecard_groups_average_their_indicators_with_missing_as_zero() {
    // two accounts; min_max over two values gives 0 or 100.
    let a = acc("a", |x| {
        x.revenue = Some(Money::from_yuan(100));
        x.profit = Some(Money::from_yuan(10));
        x.collected = Some(Money::from_yuan(100));
        x.transactions = Some(5);
        x.product_lines = Some(1);
        x.potential_customer = Some(80);
        x.cooperation_years = Some(2.0);
        x.referral = Some(true);
        x.potential_service = Some(60);
    });
    let b = acc("b", |x| {
        x.revenue = Some(Money::from_yuan(50));
        x.profit = Some(Money::from_yuan(20));
        // collected missing
        x.transactions = Some(1);
        x.product_lines = Some(3);
        x.cooperation_years = Some(1.0);
        x.referral = Some(false);
        x.potential_customer = Some(200); // clamped to 100
    });
    let m = model(
        r#"{"score":{"method":"scorecard","groups":{"financial":0.4,"sales":0.2,"customer":0.2,"service":0.2},"normalisation":"min_max"}}"#,
    );
    let out = run(&m, &[a, b]);
    // a: financial (100+0+100)/3, sales (100+0)/2, customer (80+100+100)/3, service 60
    let sa = 0.4 * 200.0 / 3.0 + 0.2 * 50.0 + 0.2 * 280.0 / 3.0 + 0.2 * 60.0;
    // b: financial (0+100+0)/3, sales (0+100)/2, customer (100+0+0)/3, service missing 0
    let sb = 0.4 * 100.0 / 3.0 + 0.2 * 50.0 + 0.2 * 100.0 / 3.0;
    let got_a = out[0].score.unwrap_or(f64::NAN);
    let got_b = out[1].score.unwrap_or(f64::NAN);
    assert!((got_a - sa).abs() < 1e-9, "{got_a} vs {sa}");
    assert!((got_b - sb).abs() < 1e-9, "{got_b} vs {sb}");
    assert_eq!(out[0].contributions.len(), 9);
    let points: f64 = out[0].contributions.iter().map(|c| c.points).sum();
    assert!((points - sa).abs() < 1e-9);
    let pc = &out[1].contributions[5];
    assert_eq!(
        (pc.indicator, pc.group, pc.normalised),
        (
            Indicator::PotentialCustomer,
            Some(Group::Customer),
            Some(100.0)
        )
    );
    assert!((pc.weight - 0.2 / 3.0).abs() < 1e-12);
    let svc = &out[1].contributions[8];
    assert_eq!(
        (svc.indicator, svc.normalised, svc.points),
        (Indicator::PotentialService, None, 0.0)
    );
}

#[test]
fn scorecard_without_groups_uses_40_20_20_20_and_unscored_without_data() {
    let m = model(r#"{"score":{"method":"scorecard"}}"#);
    match &m.score {
        ScoreMethod::Scorecard {
            groups,
            normalisation,
        } => {
            assert_eq!(groups, &default_groups());
            assert_eq!(*normalisation, Normalisation::LogMinMax);
        }
        other => panic!("{other:?}"),
    }
    let out = run(
        &m,
        &[
            acc("empty", |_| {}),
            acc("s", |x| x.potential_service = Some(50)),
        ],
    );
    assert_eq!(out[0].score, None);
    assert!((out[1].score.unwrap_or(f64::NAN) - 10.0).abs() < 1e-9);
}

// ---- share of value

#[test]
fn share_of_value_takes_the_fewest_top_accounts_reaching_each_share() {
    // total 200: top1 = 100 (50%), top2 = 150 (75%), top3 = 180 (90%), top4 = 190 (95%)
    let m = model(
        r#"{"cut":{"method":"share_of_value","shares":[50,80,95]},"score":{"method":"single","indicator":"revenue"}}"#,
    );
    let out = run(&m, &revenues(&[100, 50, 30, 10, 5, 3, 1, 1, 0, 0]));
    assert_eq!(
        tiers_of(&out),
        [
            "strategic",
            "major",
            "major",
            "ordinary",
            "small",
            "small",
            "small",
            "small",
            "small",
            "small"
        ]
    );
    assert!(
        out[1].rule.en.contains(
            "rank 2 of 10 ≤ 3 = fewest top accounts holding ≥ 80% of total value → Major"
        ),
        "{}",
        out[1].rule.en
    );
    assert!(
        out[9].rule.en.contains("rank 9 of 10 > 4"),
        "{}",
        out[9].rule.en
    );
}

#[test]
fn share_of_value_sums_money_exactly_in_fen() {
    let accounts: Vec<Account> = (0..3)
        .map(|i| acc(&format!("f{i}"), |x| x.revenue = Some(Money(1))))
        .chain([acc("big", |x| x.revenue = Some(Money(i64::MAX)))])
        .collect();
    let m = model(
        r#"{"tiers":[{"id":"a"},{"id":"b"}],"cut":{"method":"share_of_value","shares":[100]},"score":{"method":"single","indicator":"revenue"}}"#,
    );
    let out = run(&m, &accounts);
    // 100 % needs every account that holds value: all four (in f64 the three fen vanish
    // next to i64::MAX and the big account alone would seem to hold 100 %)
    assert_eq!(tiers_of(&out), ["a", "a", "a", "a"]);
    let m = model(
        r#"{"tiers":[{"id":"a"},{"id":"b"}],"cut":{"method":"share_of_value","shares":[99.99]},"score":{"method":"single","indicator":"revenue"}}"#,
    );
    // 99.99 % is reached by the big account alone
    assert_eq!(tiers_of(&run(&m, &accounts)), ["b", "b", "b", "a"]);
}

#[test]
fn share_of_value_with_losses_counts_them_as_zero_and_no_value_means_last_tier() {
    let mk = |v: &[i64]| -> Vec<Account> {
        v.iter()
            .enumerate()
            .map(|(i, p)| acc(&format!("p{i}"), |x| x.profit = Some(Money::from_yuan(*p))))
            .collect()
    };
    let m = model(
        r#"{"cut":{"method":"share_of_value","shares":[50,80,95]},"score":{"method":"single","indicator":"profit"}}"#,
    );
    // positive total 100: 60 → 60% (tier 1), +40 → 100% reaches 80 and 95
    let out = run(&m, &mk(&[60, 40, -30, -70]));
    assert_eq!(tiers_of(&out), ["strategic", "major", "small", "small"]);
    let out = run(&m, &mk(&[-1, -5]));
    assert_eq!(tiers_of(&out), ["small", "small"]);
}

#[test]
fn share_of_value_on_a_weighted_score_uses_the_composite() {
    let m = model(
        r#"{"tiers":[{"id":"top","cut":50},{"id":"rest"}],"cut":{"method":"share_of_value"},
            "score":{"method":"weighted","weights":{"revenue":1},"normalisation":"min_max"}}"#,
    );
    // normalised 100, 50, 0 → total 150; top1 = 66.7% ≥ 50
    let out = run(&m, &revenues(&[10, 5, 0]));
    assert_eq!(tiers_of(&out), ["top", "rest", "rest"]);
}

// ---- thresholds

#[test]
fn thresholds_put_each_score_in_the_first_tier_it_reaches() {
    let m = model(
        r#"{"cut":{"method":"threshold","thresholds":[90,60,30]},"score":{"method":"weighted","weights":{"revenue":1},"normalisation":"min_max"}}"#,
    );
    // min_max over 0..100 keeps the values
    let out = run(&m, &revenues(&[100, 90, 89, 60, 45, 30, 29, 0]));
    assert_eq!(
        tiers_of(&out),
        [
            "strategic",
            "strategic",
            "major",
            "major",
            "ordinary",
            "ordinary",
            "small",
            "small"
        ]
    );
    assert_eq!(
        out[2].rule.en,
        "score 89 (weighted, min–max scaling) ≥ 60 → Major; rank 3 of 8"
    );
    assert_eq!(
        out[6].rule.en,
        "score 29 (weighted, min–max scaling) < 30 → Small; rank 7 of 8"
    );
    assert_eq!(
        out[6].rule.zh,
        "得分 29（加权，最小-最大归一化） < 30 → 小客户；排名 7/8"
    );
}

#[test]
fn money_thresholds_are_in_yuan_and_compared_exactly_in_money_units() {
    let accounts = vec![
        acc("a", |x| x.revenue = Some(Money(2_900))),
        acc("b", |x| x.revenue = Some(Money(2_899))),
    ];
    let m = model(
        r#"{"tiers":[{"id":"hi","cut":0.29},{"id":"lo"}],"cut":{"method":"threshold"},"score":{"method":"single","indicator":"revenue"}}"#,
    );
    let out = run(&m, &accounts);
    assert_eq!(tiers_of(&out), ["hi", "lo"]);
    assert_eq!(
        out[1].rule.en,
        "score 0.2899 (revenue) < 0.29 → lo; rank 2 of 2"
    );
}

#[test]
fn count_thresholds_compare_integers_against_fractional_cuts() {
    let accounts: Vec<Account> = [3u64, 2]
        .iter()
        .map(|t| acc(&format!("t{t}"), |x| x.transactions = Some(*t)))
        .collect();
    let m = model(
        r#"{"tiers":[{"id":"hi","cut":2.5},{"id":"lo"}],"cut":{"method":"threshold"},"score":{"method":"single","indicator":"transactions"}}"#,
    );
    assert_eq!(tiers_of(&run(&m, &accounts)), ["hi", "lo"]);
}

// ---- overrides and changes

fn ov(tier: &str) -> TierOverride {
    TierOverride {
        tier: tier.into(),
        reason: "strategic partner".into(),
        by: "manager1".into(),
        at: "2025-01-02T03:04:05Z".into(),
    }
}

#[test]
fn an_override_sets_the_tier_and_keeps_the_computed_one() {
    let overrides = HashMap::from([("a10".to_string(), ov("strategic"))]);
    let out = compute_tiers(
        &single_revenue(),
        &revenues(&[10, 9, 8, 7, 6, 5, 4, 3, 2, 1]),
        &overrides,
    )
    .expect("valid");
    assert_eq!(out[9].tier, "strategic");
    assert_eq!(out[9].computed_tier, "small");
    assert!(out[9].override_applied);
    assert_eq!(out[9].r#override, Some(ov("strategic")));
    assert!(out[9].rule.en.starts_with("overridden to strategic by manager1 at 2025-01-02T03:04:05Z: strategic partner; computed: score 1"));
    assert!(out[9].rule.zh.starts_with("人工调整为重要(战略)客户"));
    // other accounts are untouched: still exactly one computed strategic
    assert_eq!(
        out.iter()
            .filter(|a| a.computed_tier == "strategic")
            .count(),
        1
    );
    let json = serde_json::to_value(&out[9]).expect("serialise");
    assert_eq!(json["override"]["by"], "manager1");
}

#[test]
fn an_override_naming_an_unknown_tier_is_reported_but_not_applied() {
    let overrides = HashMap::from([("a01".to_string(), ov("vip"))]);
    let out = compute_tiers(&single_revenue(), &revenues(&[3, 2]), &overrides).expect("valid");
    assert_eq!(out[0].tier, "strategic");
    assert!(!out[0].override_applied);
    assert!(out[0].r#override.is_some());
    assert!(out[0].rule.en.contains("ignored"));
}

#[test]
fn tier_changes_report_up_down_new_and_skip_unchanged() {
    let m = single_revenue();
    let out = run(&m, &revenues(&[10, 9, 8, 7, 6, 5, 4, 3, 2, 1]));
    let previous: HashMap<String, String> = [
        ("a01", "major"),     // → strategic: up
        ("a02", "major"),     // unchanged
        ("a03", "strategic"), // → ordinary: down
        ("a06", "vip"),       // unknown tier → changed
    ]
    .iter()
    .map(|(a, t)| (a.to_string(), t.to_string()))
    .collect();
    let changes = tier_changes(&m, &previous, &out).expect("valid");
    let got: Vec<(&str, Option<&str>, &str, Direction)> = changes
        .iter()
        .map(|c| {
            (
                c.account_id.as_str(),
                c.from.as_deref(),
                c.to.as_str(),
                c.direction,
            )
        })
        .take(4)
        .collect();
    assert_eq!(
        got,
        [
            ("a01", Some("major"), "strategic", Direction::Up),
            ("a03", Some("strategic"), "ordinary", Direction::Down),
            ("a04", None, "ordinary", Direction::New),
            ("a05", None, "ordinary", Direction::New),
        ]
    );
    let a06 = changes.iter().find(|c| c.account_id == "a06").expect("a06");
    assert_eq!(a06.direction, Direction::Changed);
    // up a01, down a03, new a04 a05 a07 a08 a09 a10, changed a06; a02 unchanged
    assert_eq!(changes.len(), 9);
}

#[test]
fn percent_count_is_exact_ceil() {
    assert_eq!(percent_count(250, 1.0), 3);
    assert_eq!(percent_count(10, 20.0), 2);
    assert_eq!(percent_count(100, 7.0), 7);
    assert_eq!(percent_count(1, 1.0), 1);
    assert_eq!(percent_count(0, 50.0), 0);
    assert_eq!(percent_count(1_000_000, 0.07), 700);
}

#[test]
fn serialised_assignment_uses_the_documented_field_names() {
    let out = run(&single_revenue(), &revenues(&[1]));
    let v = serde_json::to_value(&out[0]).expect("serialise");
    for key in [
        "account_id",
        "tier",
        "computed_tier",
        "score",
        "rank",
        "percentile",
        "contributions",
        "rule",
        "override",
        "override_applied",
    ] {
        assert!(v.get(key).is_some(), "{key}");
    }
    assert_eq!(
        v["rule"]["zh"],
        "得分 1（销售额）；排名 1/1，在前 1%（1 家）之内 → 重要(战略)客户"
    );
}

#[test]
fn the_vip_preset_cuts_100_accounts_into_1_5_14_80() {
    let vals: Vec<i64> = (1..=100).rev().collect();
    let m = model(r#"{"preset":"vip","score":{"method":"single","indicator":"revenue"}}"#);
    let out = run(&m, &revenues(&vals));
    let count = |t: &str| out.iter().filter(|a| a.tier == t).count();
    assert_eq!(
        (
            count("vip"),
            count("major"),
            count("ordinary"),
            count("small")
        ),
        (1, 5, 14, 80)
    );
    assert!(out[0].rule.zh.ends_with("→ VIP客户"));
}

#[test]
fn the_score_explanation_states_weights_and_normalisation() {
    let r = TierModel::default().resolve().expect("valid");
    assert_eq!(
        r.explain_score().en,
        "score = 0.5 × revenue + 0.3 × profit + 0.2 × collected payments on 0–100, each \
         indicator scaled by log min–max over the accounts that have it; a missing indicator \
         counts 0"
    );
    let out = run(&TierModel::default(), &revenues(&[5, 1]));
    assert!(out[0]
        .rule
        .en
        .starts_with("score 50 (weighted, log min–max scaling); rank 1 of 2"));
}

#[test]
fn an_account_with_no_weighted_indicator_is_unscored_and_last() {
    let mut accounts = revenues(&[5, 1]);
    accounts.push(acc("blank", |_| {}));
    let out = run(&TierModel::default(), &accounts);
    assert_eq!(
        (out[2].score, out[2].rank, out[2].tier.as_str()),
        (None, 3, "small")
    );
    assert_eq!(
        out[2].rule.en,
        "no score (revenue, profit, collected payments not recorded); rank 3 of 3 → Small \
         (accounts without a score go to the last tier)"
    );
}

#[test]
fn the_compact_run_agrees_with_the_full_assignments() {
    let accounts = revenues(&[9, 3, 3, 7, 1, 0, 12, 5, 5, 2, 8]);
    let resolved = single_revenue().resolve().expect("valid");
    let compact = resolved.run(&accounts);
    let full = resolved.compute(&accounts, &HashMap::new());
    assert_eq!(compact.len(), full.len());
    for (i, a) in full.iter().enumerate() {
        assert_eq!(compact.computed_tier(i).id, a.computed_tier);
        assert_eq!(compact.rank(i), a.rank);
        assert_eq!(compact.score(i), a.score);
        assert_eq!(compact.percentile(i), a.percentile);
        assert_eq!(&compact.assignment(i, &HashMap::new(), Figures::Shown), a);
    }
}
