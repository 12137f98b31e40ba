//! Tests.

use super::*;
use crate::domain::account::Money;

fn fired(ctx: &AlertContext<'_>) -> Vec<String> {
    evaluate(&Rules::builtin(), ctx)
        .into_iter()
        .map(|a| a.id)
        .collect()
}

fn ctx<'a>(tier: &'a str, level: u8, indicators: &'a Indicators) -> AlertContext<'a> {
    AlertContext {
        tier,
        tier_level: level,
        previous_tier: None,
        tier_changed: None,
        indicators,
    }
}

fn overdue(days: u32) -> Indicators {
    Indicators {
        overdue_days: Some(days),
        ..Indicators::default()
    }
}

const STAGES: [&str; 3] = [
    "collections-stage-1",
    "collections-stage-2",
    "collections-stage-3",
];

#[test]
fn the_built_in_rules_parse_and_link_to_the_expected_playbooks() {
    let rules = parse_rules(Rules::default_yaml()).unwrap();
    let ids: Vec<&str> = rules.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "collections-stage-1",
            "collections-stage-2",
            "collections-stage-3",
            "cross-sell",
            "small-account-potential",
            "pruning-review",
            "tier-up",
            "tier-down"
        ]
    );
    assert_eq!(
        rules.playbook_ids(),
        [
            "collections-ladder",
            "cross-sell-three-lines",
            "small-account-potential",
            "pruning-review",
            "tier-treatment"
        ]
    );
}

#[test]
fn exactly_one_collections_stage_fires_at_each_boundary() {
    let table: [(u32, Option<&str>); 9] = [
        (0, None),
        (29, None),
        (30, Some("collections-stage-1")),
        (59, Some("collections-stage-1")),
        (60, Some("collections-stage-2")),
        (89, Some("collections-stage-2")),
        (90, Some("collections-stage-3")),
        (91, Some("collections-stage-3")),
        (400, Some("collections-stage-3")),
    ];
    for (days, expected) in table {
        let indicators = overdue(days);
        let stages: Vec<String> = fired(&ctx("ordinary", 3, &indicators))
            .into_iter()
            .filter(|id| STAGES.contains(&id.as_str()))
            .collect();
        let expected: Vec<String> = expected.into_iter().map(str::to_owned).collect();
        assert_eq!(stages, expected, "{days} overdue days");
    }
}

#[test]
fn each_collections_stage_carries_its_concrete_steps() {
    let table: [(u32, Severity, &str, &str); 3] = [
        (30, Severity::Warning, "committed payment date", "red light"),
        (60, Severity::Critical, "30%", "second written"),
        (90, Severity::Critical, "lawyer", "60%"),
    ];
    for (days, severity, first, second) in table {
        let indicators = overdue(days);
        let alerts = evaluate(&Rules::builtin(), &ctx("major", 2, &indicators));
        let alert = &alerts[0];
        assert_eq!(alert.severity, severity, "{days}");
        assert_eq!(alert.playbook, "collections-ladder");
        let steps = alert.steps.get(Lang::En).join(" ");
        assert!(
            steps.contains(first) && steps.contains(second),
            "{days}: {steps}"
        );
        assert_eq!(alert.steps.zh.len(), alert.steps.en.len());
    }
}

#[test]
fn key_accounts_with_fewer_than_three_product_lines_get_a_cross_sell_and_others_never_do() {
    let table: [(&str, u8, u32, bool); 10] = [
        ("strategic", 1, 1, true),
        ("strategic", 1, 2, true),
        ("strategic", 1, 3, false),
        ("vip", 1, 2, true),
        ("major", 2, 2, true),
        ("major", 2, 3, false),
        ("major", 2, 5, false),
        ("ordinary", 3, 1, false),
        ("ordinary", 3, 2, false),
        ("small", 4, 2, false),
    ];
    for (tier, level, lines, expected) in table {
        let indicators = Indicators {
            product_lines: Some(lines),
            ..Indicators::default()
        };
        let ids = fired(&ctx(tier, level, &indicators));
        assert_eq!(
            ids.contains(&"cross-sell".to_owned()),
            expected,
            "{tier} with {lines} lines: {ids:?}"
        );
    }
}

#[test]
fn the_cross_sell_alert_quotes_the_stickiness_figures() {
    let indicators = Indicators {
        product_lines: Some(1),
        ..Indicators::default()
    };
    let alerts = evaluate(&Rules::builtin(), &ctx("strategic", 1, &indicators));
    let alert = alerts.iter().find(|a| a.id == "cross-sell").unwrap();
    assert_eq!(alert.playbook, "cross-sell-three-lines");
    for lang in [Lang::Zh, Lang::En] {
        let steps = alert.steps.get(lang).join(" ");
        for figure in ["15%", "45–60%", "90%"] {
            assert!(steps.contains(figure), "{lang:?}: {steps}");
        }
    }
}

#[test]
fn a_loss_making_or_no_credit_small_account_gets_the_potential_check_before_the_pruning_review() {
    let loss = Indicators {
        profit: Some(Money(-1)),
        ..Indicators::default()
    };
    let no_credit = Indicators {
        credit: Some(CreditRating::None),
        profit: Some(Money::from_yuan(1_000)),
        ..Indicators::default()
    };
    for indicators in [&loss, &no_credit] {
        let alerts = evaluate(&Rules::builtin(), &ctx("small", 4, indicators));
        let ids: Vec<&str> = alerts.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["small-account-potential", "pruning-review"]);
        assert_eq!(alerts[0].playbook, "small-account-potential");
        assert_eq!(alerts[1].playbook, "pruning-review");
        assert!(alerts[1].steps.en[0].contains("potential-value check"));
    }
}

#[test]
fn picky_or_strict_small_accounts_are_never_flagged_for_pruning() {
    let table: [(&str, Indicators); 4] = [
        (
            "loss-making and picky",
            Indicators {
                profit: Some(Money(-50_000)),
                picky: Some(true),
                ..Indicators::default()
            },
        ),
        (
            "no credit and strict",
            Indicators {
                credit: Some(CreditRating::None),
                strict: Some(true),
                ..Indicators::default()
            },
        ),
        (
            "loss-making, no credit, picky and strict",
            Indicators {
                profit: Some(Money(-1)),
                credit: Some(CreditRating::None),
                picky: Some(true),
                strict: Some(true),
                ..Indicators::default()
            },
        ),
        (
            "no credit and strict but not picky",
            Indicators {
                credit: Some(CreditRating::None),
                picky: Some(false),
                strict: Some(true),
                ..Indicators::default()
            },
        ),
    ];
    for (case, indicators) in table {
        let ids = fired(&ctx("small", 4, &indicators));
        assert!(
            !ids.iter()
                .any(|id| id == "pruning-review" || id == "small-account-potential"),
            "{case}: {ids:?}"
        );
    }
}

#[test]
fn profitable_small_accounts_with_credit_and_larger_accounts_are_not_flagged_for_pruning() {
    let table: [(&str, u8, Indicators); 3] = [
        (
            "small",
            4,
            Indicators {
                profit: Some(Money(0)),
                credit: Some(CreditRating::Poor),
                ..Indicators::default()
            },
        ),
        (
            "ordinary",
            3,
            Indicators {
                profit: Some(Money(-1)),
                credit: Some(CreditRating::None),
                ..Indicators::default()
            },
        ),
        ("small", 4, Indicators::default()),
    ];
    for (tier, level, indicators) in table {
        let ids = fired(&ctx(tier, level, &indicators));
        assert!(
            !ids.contains(&"pruning-review".to_owned()),
            "{tier}: {ids:?}"
        );
    }
}

#[test]
fn missing_indicators_never_satisfy_a_comparison_flag_or_list() {
    let nothing = Indicators::default();
    for (tier, level) in [
        ("strategic", 1),
        ("major", 2),
        ("ordinary", 3),
        ("small", 4),
    ] {
        assert_eq!(
            fired(&ctx(tier, level, &nothing)),
            Vec::<String>::new(),
            "{tier}"
        );
    }
    let conditions = [
        "overdue_days: {lt: 1000}",
        "profit: {lte: 0}",
        "cooperation_years: {gte: 0}",
        "picky: false",
        "credit_in: [good, fair, poor, none]",
    ];
    for condition in conditions {
        let yaml = format!(
            "rules:\n  - id: r\n    severity: info\n    when: {{{condition}}}\n    title: {{zh: 标题, en: Title}}\n    steps: {{zh: [做], en: [do]}}\n    playbook: p\n"
        );
        let rules = parse_rules(&yaml).unwrap();
        assert!(
            evaluate(&rules, &ctx("small", 4, &nothing)).is_empty(),
            "{condition}"
        );
    }
}

#[test]
fn a_tier_change_gives_an_info_alert_worded_for_its_direction() {
    let nothing = Indicators::default();
    let table: [(Option<Direction>, Option<&str>, &str); 4] = [
        (Some(Direction::Up), Some("tier-up"), "moved up"),
        (Some(Direction::Down), Some("tier-down"), "moved down"),
        (Some(Direction::New), None, ""),
        (None, None, ""),
    ];
    for (direction, expected, wording) in table {
        let context = AlertContext {
            tier: "major",
            tier_level: 2,
            previous_tier: Some("ordinary"),
            tier_changed: direction,
            indicators: &nothing,
        };
        let alerts = evaluate_with_labels(&Rules::builtin(), &context, |id, lang| {
            format!("<{id}:{}>", lang.as_str())
        });
        assert_eq!(
            alerts.first().map(|a| a.id.as_str()),
            expected,
            "{direction:?}"
        );
        if let Some(alert) = alerts.first() {
            assert_eq!(alert.severity, Severity::Info);
            assert!(alert.title.en.contains(wording), "{}", alert.title.en);
            assert!(
                alert.title.en.contains("<ordinary:en> → <major:en>"),
                "{}",
                alert.title.en
            );
            assert!(alert.title.zh.contains("<major:zh>"), "{}", alert.title.zh);
        }
    }
}

#[test]
fn alerts_come_critical_then_warning_then_info() {
    let indicators = Indicators {
        overdue_days: Some(75),
        product_lines: Some(1),
        profit: Some(Money(-1)),
        ..Indicators::default()
    };
    let rules =
        parse_rules(&Rules::default_yaml().replace("tier_in: [small]", "tier_level: {gte: 1}"))
            .unwrap();
    let context = AlertContext {
        tier: "strategic",
        tier_level: 1,
        previous_tier: Some("major"),
        tier_changed: Some(Direction::Up),
        indicators: &indicators,
    };
    let severities: Vec<Severity> = evaluate(&rules, &context)
        .iter()
        .map(|a| a.severity)
        .collect();
    assert_eq!(
        severities,
        [
            Severity::Critical,
            Severity::Warning,
            Severity::Warning,
            Severity::Info,
            Severity::Info
        ]
    );
}

#[test]
fn combinators_all_any_and_not_nest() {
    let yaml = "rules:\n  - id: r\n    severity: info\n    when:\n      all:\n        - any: [{tier_in: [vip]}, {tier_level: {eq: 1}}]\n        - not: {referral: true}\n    title: {zh: 标题, en: Title}\n    steps: {zh: [做], en: [do]}\n    playbook: p\n";
    let rules = parse_rules(yaml).unwrap();
    let plain = Indicators::default();
    let referred = Indicators {
        referral: Some(true),
        ..Indicators::default()
    };
    let table: [(&str, u8, &Indicators, bool); 4] = [
        ("vip", 3, &plain, true),
        ("strategic", 1, &plain, true),
        ("strategic", 1, &referred, false),
        ("major", 2, &plain, false),
    ];
    for (tier, level, indicators, expected) in table {
        assert_eq!(
            !evaluate(&rules, &ctx(tier, level, indicators)).is_empty(),
            expected,
            "{tier}"
        );
    }
}

#[test]
fn money_thresholds_are_written_in_yuan_and_compared_exactly() {
    let yaml = "rules:\n  - id: r\n    severity: info\n    when: {revenue: {gte: 1000000.01}}\n    title: {zh: 标题, en: Title}\n    steps: {zh: [做], en: [do]}\n    playbook: p\n";
    let rules = parse_rules(yaml).unwrap();
    let table: [(i64, bool); 4] = [
        (10_000_000_000, false),
        (10_000_000_099, false),
        (10_000_000_100, true),
        (10_000_000_200, true),
    ];
    for (minor, expected) in table {
        let indicators = Indicators {
            revenue: Some(Money(minor)),
            ..Indicators::default()
        };
        assert_eq!(
            !evaluate(&rules, &ctx("major", 2, &indicators)).is_empty(),
            expected,
            "{minor}"
        );
    }
}

fn errors_of(yaml: &str) -> Vec<String> {
    parse_rules(yaml)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn bad_rules_give_errors_naming_the_rule_and_the_field() {
    let table: [(&str, &str); 12] = [
        (
            "when: {overdue_dayz: {gte: 30}}",
            "rules[0] \"r\": when.overdue_dayz: unknown condition \"overdue_dayz\" (expected one of all, any, not",
        ),
        (
            "when: {overdue_days: {gte: 30, from: 2}}",
            "rules[0] \"r\": when.overdue_days.from: unknown comparison (expected one of gt, gte, lt, lte, eq)",
        ),
        (
            "when: {overdue_days: {gte: 60, lt: 30}}",
            "rules[0] \"r\": when.overdue_days: no value can satisfy these bounds",
        ),
        (
            "when: {overdue_days: {gte: thirty}}",
            "rules[0] \"r\": when.overdue_days.gte: expected a number with at most four decimals, got \"thirty\"",
        ),
        (
            "when: {picky: yes please}",
            "rules[0] \"r\": when.picky: picky is a yes/no flag",
        ),
        (
            "when: {credit: {lt: 2}}",
            "rules[0] \"r\": when.credit: credit is a rating, not a number",
        ),
        (
            "when: {credit_in: [none, awful]}",
            "rules[0] \"r\": when.credit_in[1]: unknown credit rating \"awful\"",
        ),
        (
            "when: {tier_changed: sideways}",
            "rules[0] \"r\": when.tier_changed: expected up, down, new, changed or any",
        ),
        (
            "when: {any: [{profit: {lt: 0}}, {profitt: {lt: 0}}]}",
            "rules[0] \"r\": when.any[1].profitt: unknown condition",
        ),
        (
            "when: {not: {strict: 1}}",
            "rules[0] \"r\": when.not.strict: strict is a yes/no flag",
        ),
        (
            "when: {}",
            "rules[0] \"r\": when: no conditions",
        ),
        (
            "when: {tier_in: [small]}\n    colour: red",
            "rules[0] \"r\": colour: unknown field (expected one of id, severity, when, title, steps, playbook)",
        ),
    ];
    for (when, expected) in table {
        let yaml = format!(
            "rules:\n  - id: r\n    severity: info\n    {when}\n    title: {{zh: 标题, en: Title}}\n    steps: {{zh: [做], en: [do]}}\n    playbook: p\n"
        );
        let errors = errors_of(&yaml);
        assert!(
            errors.iter().any(|e| e.starts_with(expected)),
            "{when}: {errors:?}"
        );
    }
}

#[test]
fn every_problem_of_every_rule_is_reported_at_once() {
    let yaml = "rules:\n  - id: first\n    severity: urgent\n    when: {overdue_days: {gte: 30}}\n    title: {zh: 标题}\n    steps: {zh: [做], en: []}\n  - id: Second Rule\n    severity: info\n    when: {tier_in: [small]}\n    title: {zh: 标题, en: 'Now {teir}'}\n    steps: {zh: [做], en: [do]}\n    playbook: p\n";
    let errors = parse_rules(yaml).unwrap_err();
    let located: Vec<(Option<usize>, Option<&str>, &str)> = errors
        .iter()
        .map(|e| (e.rule, e.id.as_deref(), e.field.as_str()))
        .collect();
    assert_eq!(
        located,
        [
            (Some(0), Some("first"), "severity"),
            (Some(0), Some("first"), "title.en"),
            (Some(0), Some("first"), "steps.en"),
            (Some(0), Some("first"), "playbook"),
            (Some(1), Some("Second Rule"), "id"),
            (Some(1), Some("Second Rule"), "title.en"),
        ]
    );
    assert!(errors[5].message.contains("{teir}"), "{}", errors[5]);
}

#[test]
fn duplicate_ids_unknown_top_level_fields_and_broken_yaml_are_rejected() {
    let rule = "  - id: r\n    severity: info\n    when: {tier_in: [small]}\n    title: {zh: 标题, en: Title}\n    steps: {zh: [做], en: [do]}\n    playbook: p\n";
    let errors = errors_of(&format!("rules:\n{rule}{rule}"));
    assert_eq!(
        errors,
        ["rules[1] \"r\": id: duplicate rule id \"r\": ids must be unique"]
    );
    let errors = errors_of(&format!("version: 2\nrules:\n{rule}"));
    assert_eq!(
        errors,
        ["version: unknown top-level field (expected only `rules`)"]
    );
    let errors = errors_of("rules: [unclosed");
    assert!(errors[0].starts_with("not valid YAML"), "{errors:?}");
    let errors = errors_of("alerts: []");
    assert!(
        errors.iter().any(|e| e.starts_with("rules: missing")),
        "{errors:?}"
    );
}

#[test]
fn thresholds_with_four_decimals_are_exact_even_for_large_amounts() {
    let yaml = "rules:\n  - id: r\n    severity: info\n    when: {revenue: {gt: 12345678.1234}}\n    title: {zh: 标题, en: Title}\n    steps: {zh: [做], en: [do]}\n    playbook: p\n";
    let rules = parse_rules(yaml).unwrap();
    for (units, expected) in [(123_456_781_234, false), (123_456_781_235, true)] {
        let indicators = Indicators {
            revenue: Some(Money(units)),
            ..Indicators::default()
        };
        assert_eq!(
            !evaluate(&rules, &ctx("major", 2, &indicators)).is_empty(),
            expected,
            "{units}"
        );
    }
    let five = yaml.replace("12345678.1234", "0.00001");
    assert!(parse_rules(&five).is_err());
}
