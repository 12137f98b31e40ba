//! Briefing alerts as data: which alerts fire for an account is decided by rules that trainers
//! edit in YAML, not by a chain of `if`s.
//!
//! This module owns the rule format ([`parse_rules`]), the built-in rules
//! (`defaults/alerts.yaml`, compiled in; a content directory may replace them with its own
//! `alerts.yaml`, which the content loader reads and hands to [`parse_rules`]) and the evaluation
//! of rules against one account ([`evaluate`]). It does no I/O and knows nothing of tiering
//! models: the caller passes the tier id, its level and the tier change as plain values.
//!
//! Design:
//! - A rule is `id`, `severity`, `when`, `title {zh, en}`, `steps {zh: [...], en: [...]}` and
//!   `playbook`. `when` is a mapping of conditions that must all hold; `all`, `any` and `not`
//!   combine conditions. The format is described for trainers in `RULES.md`.
//! - Parsing walks the YAML value by hand so that *every* problem is reported at once, each
//!   naming the rule (index and id) and the field path, e.g.
//!   `rules[2] "cross-sell": when.product_linez: unknown condition …`.
//! - Comparisons are exact: indicator values and thresholds are both held as ten-thousandths
//!   ([`SCALE`]) in an `i128` (money in yuan, so `profit: {lt: 0}` reads naturally; money is
//!   stored to four decimals), never compared as `f64`.
//! - A value the CRM did not record never satisfies a comparison, a flag or a list condition
//!   (`not` can still be used to say "not known to be picky").

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_yaml_ng::Value;

use crate::domain::account::{CreditRating, Indicators, Money};
use crate::domain::Lang;

mod parse;

pub use parse::*;

/// Units per 1 of a compared value: thresholds and values are exact to four decimals, as money
/// is stored.
pub const SCALE: i128 = Money::PER_YUAN as i128;

const DEFAULT_ALERTS_YAML: &str = include_str!("../defaults/alerts.yaml");

/// How urgent an alert is. Alerts are shown critical first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Critical, Severity::Warning, Severity::Info];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    pub fn parse(value: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// How an account's tier moved since the last recompute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Toward the best tier.
    Up,
    Down,
    /// The account had no tier before.
    New,
    /// One of the two tiers is unknown to the model, so no order is known.
    Changed,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
            Direction::New => "new",
            Direction::Changed => "changed",
        }
    }
}

/// Everything a rule may look at for one account.
#[derive(Debug, Clone, Copy)]
pub struct AlertContext<'a> {
    /// The tier in force, e.g. `strategic`.
    pub tier: &'a str,
    /// Level of that tier, 1 = top of the pyramid.
    pub tier_level: u8,
    /// The tier at the previous recompute, if any.
    pub previous_tier: Option<&'a str>,
    /// `None` when the tier did not change.
    pub tier_changed: Option<Direction>,
    pub indicators: &'a Indicators,
}

/// A text in both UI languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// Concrete next steps in both UI languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Steps {
    pub zh: Vec<String>,
    pub en: Vec<String>,
}

impl Steps {
    pub fn get(&self, lang: Lang) -> &[String] {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// An alert that fired for one account, in both languages, ready for the briefing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// The id of the rule that fired.
    pub id: String,
    pub severity: Severity,
    pub title: Text,
    pub steps: Steps,
    /// Id of the playbook behind the alert.
    pub playbook: String,
}

/// A numeric indicator a comparison can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numeric {
    Revenue,
    Profit,
    Collected,
    Transactions,
    CooperationYears,
    OverdueDays,
    ProductLines,
    PotentialCustomer,
    PotentialService,
    /// The level of the account's tier (1 = top), from the context.
    TierLevel,
}

impl Numeric {
    pub const ALL: [Numeric; 10] = [
        Numeric::Revenue,
        Numeric::Profit,
        Numeric::Collected,
        Numeric::Transactions,
        Numeric::CooperationYears,
        Numeric::OverdueDays,
        Numeric::ProductLines,
        Numeric::PotentialCustomer,
        Numeric::PotentialService,
        Numeric::TierLevel,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Numeric::Revenue => "revenue",
            Numeric::Profit => "profit",
            Numeric::Collected => "collected",
            Numeric::Transactions => "transactions",
            Numeric::CooperationYears => "cooperation_years",
            Numeric::OverdueDays => "overdue_days",
            Numeric::ProductLines => "product_lines",
            Numeric::PotentialCustomer => "potential_customer",
            Numeric::PotentialService => "potential_service",
            Numeric::TierLevel => "tier_level",
        }
    }

    fn parse(name: &str) -> Option<Numeric> {
        Numeric::ALL.into_iter().find(|n| n.name() == name)
    }

    /// The value in [`SCALE`] units (money: ten-thousandths of a yuan, i.e. [`Money`] units),
    /// or `None` when not recorded.
    fn scaled(self, ctx: &AlertContext<'_>) -> Option<i128> {
        let ind = ctx.indicators;
        let whole = |v: u64| i128::from(v) * SCALE;
        match self {
            Numeric::Revenue => ind.revenue.map(|m| i128::from(m.units())),
            Numeric::Profit => ind.profit.map(|m| i128::from(m.units())),
            Numeric::Collected => ind.collected.map(|m| i128::from(m.units())),
            Numeric::Transactions => ind.transactions.map(whole),
            Numeric::CooperationYears => ind
                .cooperation_years
                .filter(|y| y.is_finite())
                // Years are recorded with at most a few decimals; four are exact enough and
                // keep every comparison integral.
                .map(|y| (y * SCALE as f64).round() as i128),
            Numeric::OverdueDays => ind.overdue_days.map(|v| whole(u64::from(v))),
            Numeric::ProductLines => ind.product_lines.map(|v| whole(u64::from(v))),
            Numeric::PotentialCustomer => ind.potential_customer.map(|v| whole(u64::from(v))),
            Numeric::PotentialService => ind.potential_service.map(|v| whole(u64::from(v))),
            Numeric::TierLevel => Some(whole(u64::from(ctx.tier_level))),
        }
    }
}

/// A yes/no indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    Referral,
    Picky,
    Strict,
}

impl Flag {
    pub const ALL: [Flag; 3] = [Flag::Referral, Flag::Picky, Flag::Strict];

    pub fn name(self) -> &'static str {
        match self {
            Flag::Referral => "referral",
            Flag::Picky => "picky",
            Flag::Strict => "strict",
        }
    }

    fn parse(name: &str) -> Option<Flag> {
        Flag::ALL.into_iter().find(|f| f.name() == name)
    }

    fn value(self, ind: &Indicators) -> Option<bool> {
        match self {
            Flag::Referral => ind.referral,
            Flag::Picky => ind.picky,
            Flag::Strict => ind.strict,
        }
    }
}

/// Bounds of a comparison, in [`SCALE`] units. All given bounds must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bounds {
    pub gt: Option<i128>,
    pub gte: Option<i128>,
    pub lt: Option<i128>,
    pub lte: Option<i128>,
    pub eq: Option<i128>,
}

impl Bounds {
    fn holds(&self, value: i128) -> bool {
        self.gt.is_none_or(|b| value > b)
            && self.gte.is_none_or(|b| value >= b)
            && self.lt.is_none_or(|b| value < b)
            && self.lte.is_none_or(|b| value <= b)
            && self.eq.is_none_or(|b| value == b)
    }

    /// True if some value satisfies every bound (so a typo like `{gte: 60, lt: 30}` is caught).
    fn is_satisfiable(&self) -> bool {
        let low = [self.gt.map(|b| b + 1), self.gte, self.eq]
            .into_iter()
            .flatten()
            .max();
        let high = [self.lt.map(|b| b - 1), self.lte, self.eq]
            .into_iter()
            .flatten()
            .min();
        match (low, high) {
            (Some(low), Some(high)) => low <= high,
            _ => true,
        }
    }
}

/// Which tier changes a `tier_changed` condition accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeMatch {
    Up,
    Down,
    New,
    Changed,
    Any,
}

/// One condition of a rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    Compare { indicator: Numeric, bounds: Bounds },
    Flag { flag: Flag, value: bool },
    TierIn(Vec<String>),
    CreditIn(Vec<CreditRating>),
    TierChanged(ChangeMatch),
}

impl Condition {
    pub fn matches(&self, ctx: &AlertContext<'_>) -> bool {
        match self {
            Condition::All(conditions) => conditions.iter().all(|c| c.matches(ctx)),
            Condition::Any(conditions) => conditions.iter().any(|c| c.matches(ctx)),
            Condition::Not(condition) => !condition.matches(ctx),
            Condition::Compare { indicator, bounds } => indicator
                .scaled(ctx)
                .is_some_and(|value| bounds.holds(value)),
            Condition::Flag { flag, value } => flag.value(ctx.indicators) == Some(*value),
            Condition::TierIn(tiers) => tiers.iter().any(|t| t == ctx.tier),
            Condition::CreditIn(ratings) => ctx
                .indicators
                .credit
                .is_some_and(|credit| ratings.contains(&credit)),
            Condition::TierChanged(wanted) => match (wanted, ctx.tier_changed) {
                (_, None) => false,
                (ChangeMatch::Any, Some(_)) => true,
                (ChangeMatch::Up, Some(d)) => d == Direction::Up,
                (ChangeMatch::Down, Some(d)) => d == Direction::Down,
                (ChangeMatch::New, Some(d)) => d == Direction::New,
                (ChangeMatch::Changed, Some(d)) => d == Direction::Changed,
            },
        }
    }
}

/// One validated rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    pub severity: Severity,
    pub when: Condition,
    pub title: Text,
    pub steps: Steps,
    pub playbook: String,
}

/// A validated rule set, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub rules: Vec<Rule>,
}

impl Rules {
    /// The built-in rules of `defaults/alerts.yaml`.
    ///
    /// The embedded file is checked by a unit test, so this cannot fail in a released build.
    pub fn builtin() -> Rules {
        parse_rules(DEFAULT_ALERTS_YAML)
            .unwrap_or_else(|errors| panic!("built-in alert rules are invalid: {errors:?}"))
    }

    pub fn default_yaml() -> &'static str {
        DEFAULT_ALERTS_YAML
    }

    /// Every playbook id the rules link to, so the content loader can check that each exists.
    pub fn playbook_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::new();
        for rule in &self.rules {
            if !ids.contains(&rule.playbook.as_str()) {
                ids.push(&rule.playbook);
            }
        }
        ids
    }
}

/// A problem in a rule file, naming the rule and the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// Position of the rule in `rules` (from 0); `None` for problems of the whole file.
    pub rule: Option<usize>,
    /// The rule's id, when it has a readable one.
    pub id: Option<String>,
    /// Path of the field inside the rule, e.g. `when.any[1].profit.lt`.
    pub field: String,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(index) = self.rule {
            write!(f, "rules[{index}]")?;
            if let Some(id) = &self.id {
                write!(f, " {id:?}")?;
            }
            write!(f, ": ")?;
        }
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        write!(f, "{}", self.message)
    }
}

/// Evaluates every rule against one account. Alerts come critical → warning → info, keeping
/// file order within a severity. `{tier}` and `{previous_tier}` in texts become tier ids; use
/// [`evaluate_with_labels`] to show tier names instead.
pub fn evaluate(rules: &Rules, ctx: &AlertContext<'_>) -> Vec<Alert> {
    evaluate_with_labels(rules, ctx, |tier, _lang| tier.to_owned())
}

/// Like [`evaluate`], with `label(tier_id, lang)` naming tiers in the texts (for example
/// `|id, lang| taxonomy.tier_label(id, lang).to_owned()`).
pub fn evaluate_with_labels(
    rules: &Rules,
    ctx: &AlertContext<'_>,
    label: impl Fn(&str, Lang) -> String,
) -> Vec<Alert> {
    let fill = |text: &str, lang: Lang| -> String {
        if !text.contains('{') {
            return text.to_owned();
        }
        let previous = ctx
            .previous_tier
            .map(|t| label(t, lang))
            .unwrap_or_else(|| "—".to_owned());
        text.replace("{previous_tier}", &previous)
            .replace("{tier}", &label(ctx.tier, lang))
    };
    let mut alerts: Vec<Alert> = rules
        .rules
        .iter()
        .filter(|rule| rule.when.matches(ctx))
        .map(|rule| Alert {
            id: rule.id.clone(),
            severity: rule.severity,
            title: Text {
                zh: fill(&rule.title.zh, Lang::Zh),
                en: fill(&rule.title.en, Lang::En),
            },
            steps: Steps {
                zh: rule.steps.zh.iter().map(|s| fill(s, Lang::Zh)).collect(),
                en: rule.steps.en.iter().map(|s| fill(s, Lang::En)).collect(),
            },
            playbook: rule.playbook.clone(),
        })
        .collect();
    // `sort_by_key` is stable: file order is kept within a severity.
    alerts.sort_by_key(|alert| alert.severity);
    alerts
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fuzz_tests;
