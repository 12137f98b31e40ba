//! Property tests: any rule file is rules or a list of problems, never a panic; rules that parse
//! evaluate on any account.

use proptest::prelude::*;

use super::*;
use crate::domain::account::Money;
use crate::fuzz_support::{config, mutated, nasty_string, pieces_string, YAML_PIECES};

fn check(yaml: &str) {
    match parse_rules(yaml) {
        Ok(rules) => {
            let empty = Indicators::default();
            let full = Indicators {
                revenue: Some(Money(i64::MIN)),
                profit: Some(Money(i64::MAX)),
                collected: Some(Money(0)),
                transactions: Some(u64::MAX),
                cooperation_years: Some(f64::MAX),
                overdue_days: Some(u32::MAX),
                product_lines: Some(0),
                credit: Some(CreditRating::None),
                referral: Some(true),
                picky: Some(false),
                strict: Some(true),
                potential_customer: Some(0),
                potential_service: Some(100),
            };
            for indicators in [&empty, &full] {
                let ctx = AlertContext {
                    tier: "strategic",
                    tier_level: 1,
                    previous_tier: Some("small"),
                    tier_changed: Some(Direction::Up),
                    indicators,
                };
                evaluate(&rules, &ctx);
            }
        }
        Err(errors) => assert!(!errors.is_empty()),
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn any_text_is_rules_or_problems(yaml in nasty_string(200)) {
        check(&yaml);
    }

    #[test]
    fn any_yaml_is_rules_or_problems(yaml in pieces_string(YAML_PIECES, 60)) {
        check(&yaml);
        check(&format!("rules:\n  - {yaml}"));
    }

    #[test]
    fn any_edit_of_the_default_rules_is_rules_or_problems(
        yaml in mutated(DEFAULT_ALERTS_YAML, YAML_PIECES),
    ) {
        check(&yaml);
    }
}

#[test]
fn nested_and_exploding_yaml_is_an_error() {
    let depth = 10_000;
    check(&format!(
        "rules: {}{}",
        "[".repeat(depth),
        "]".repeat(depth)
    ));
    check(&format!(
        "a0: &a0 [x, x]\n{}rules: *a30\n",
        (1..=30)
            .map(|i| format!("a{i}: &a{i} [*a{p}, *a{p}]\n", p = i - 1))
            .collect::<String>()
    ));
}
