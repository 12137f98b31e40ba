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
//! - Comparisons are exact: indicator values and thresholds are both held as hundredths in an
//!   `i128` (money in yuan, so `profit: {lt: 0}` reads naturally), never compared as `f64`.
//! - A value the CRM did not record never satisfies a comparison, a flag or a list condition
//!   (`not` can still be used to say "not known to be picky").

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_yaml_ng::Value;

use crate::domain::account::{CreditRating, Indicators};
use crate::domain::Lang;

const DEFAULT_ALERTS_YAML: &str = include_str!("defaults/alerts.yaml");

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

    /// The value in hundredths (money: hundredths of a yuan, i.e. minor units), or `None` when
    /// not recorded.
    fn hundredths(self, ctx: &AlertContext<'_>) -> Option<i128> {
        let ind = ctx.indicators;
        let whole = |v: u64| i128::from(v) * 100;
        match self {
            Numeric::Revenue => ind.revenue.map(|m| i128::from(m.minor())),
            Numeric::Profit => ind.profit.map(|m| i128::from(m.minor())),
            Numeric::Collected => ind.collected.map(|m| i128::from(m.minor())),
            Numeric::Transactions => ind.transactions.map(whole),
            Numeric::CooperationYears => ind
                .cooperation_years
                .filter(|y| y.is_finite())
                // Years are recorded with at most a few decimals; hundredths are exact enough
                // and keep every comparison integral.
                .map(|y| (y * 100.0).round() as i128),
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

/// Bounds of a comparison, in hundredths. All given bounds must hold.
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
                .hundredths(ctx)
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

// ------------------------------------------------------------------------------------------
// Parsing
// ------------------------------------------------------------------------------------------

const RULE_FIELDS: [&str; 6] = ["id", "severity", "when", "title", "steps", "playbook"];
const COMPARISON_FIELDS: [&str; 5] = ["gt", "gte", "lt", "lte", "eq"];
const PLACEHOLDERS: [&str; 2] = ["tier", "previous_tier"];

/// Parses and validates a rule file. Every problem is returned, each naming the rule (index and
/// id) and the field.
pub fn parse_rules(yaml: &str) -> Result<Rules, Vec<RuleError>> {
    let file_error = |field: &str, message: String| RuleError {
        rule: None,
        id: None,
        field: field.to_owned(),
        message,
    };
    let root: Value = serde_yaml_ng::from_str(yaml)
        .map_err(|e| vec![file_error("", format!("not valid YAML: {e}"))])?;
    let Value::Mapping(root) = root else {
        return Err(vec![file_error(
            "",
            "expected a mapping with a `rules:` list at the top".into(),
        )]);
    };
    let mut errors = Vec::new();
    for key in root.keys() {
        let name = key_name(key);
        if name != "rules" {
            errors.push(file_error(
                &name,
                "unknown top-level field (expected only `rules`)".into(),
            ));
        }
    }
    let items = match root.get("rules") {
        Some(Value::Sequence(items)) => items.as_slice(),
        Some(_) => {
            errors.push(file_error("rules", "expected a list of rules".into()));
            &[]
        }
        None => {
            errors.push(file_error(
                "rules",
                "missing: add `rules:` with a list".into(),
            ));
            &[]
        }
    };
    let mut rules = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let mut problems = RuleProblems {
            index,
            id: None,
            errors: Vec::new(),
        };
        if let Some(rule) = parse_rule(item, &mut problems) {
            if problems.errors.is_empty() {
                rules.push(rule);
            }
        }
        errors.append(&mut problems.errors);
    }
    for (index, rule) in rules.iter().enumerate() {
        if rules[..index].iter().any(|r| r.id == rule.id) {
            errors.push(RuleError {
                rule: Some(index),
                id: Some(rule.id.clone()),
                field: "id".into(),
                message: format!("duplicate rule id {:?}: ids must be unique", rule.id),
            });
        }
    }
    if errors.is_empty() {
        Ok(Rules { rules })
    } else {
        Err(errors)
    }
}

/// Collects the problems of one rule.
struct RuleProblems {
    index: usize,
    id: Option<String>,
    errors: Vec<RuleError>,
}

impl RuleProblems {
    fn push(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(RuleError {
            rule: Some(self.index),
            id: self.id.clone(),
            field: field.to_owned(),
            message: message.into(),
        });
    }
}

fn key_name(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        other => describe(other),
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "nothing".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("{s:?}"),
        Value::Sequence(_) => "a list".into(),
        Value::Mapping(_) => "a mapping".into(),
        Value::Tagged(_) => "a tagged value".into(),
    }
}

fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn parse_rule(item: &Value, problems: &mut RuleProblems) -> Option<Rule> {
    let Value::Mapping(map) = item else {
        problems.push(
            "",
            format!("expected a rule (a mapping), got {}", describe(item)),
        );
        return None;
    };
    // Read the id first so every later message can name the rule.
    let id = match map.get("id") {
        Some(Value::String(id)) if is_valid_id(id) => {
            problems.id = Some(id.clone());
            Some(id.clone())
        }
        Some(Value::String(id)) => {
            problems.id = Some(id.clone());
            problems.push(
                "id",
                format!("invalid id {id:?}: use lowercase letters, digits, '-' and '_'"),
            );
            None
        }
        Some(other) => {
            problems.push("id", format!("expected text, got {}", describe(other)));
            None
        }
        None => {
            problems.push("id", "missing: every rule needs an `id`");
            None
        }
    };
    for key in map.keys() {
        let name = key_name(key);
        if !RULE_FIELDS.contains(&name.as_str()) {
            problems.push(
                &name,
                format!("unknown field (expected one of {})", RULE_FIELDS.join(", ")),
            );
        }
    }
    let severity = match map.get("severity") {
        Some(Value::String(s)) => {
            let severity = Severity::parse(s);
            if severity.is_none() {
                problems.push(
                    "severity",
                    format!("unknown severity {s:?} (expected critical, warning or info)"),
                );
            }
            severity
        }
        Some(other) => {
            problems.push(
                "severity",
                format!(
                    "expected critical, warning or info, got {}",
                    describe(other)
                ),
            );
            None
        }
        None => {
            problems.push("severity", "missing (expected critical, warning or info)");
            None
        }
    };
    let when = match map.get("when") {
        Some(value) => parse_when(value, "when", problems),
        None => {
            problems.push("when", "missing: say when the alert fires");
            None
        }
    };
    let title = parse_text(map.get("title"), "title", problems);
    let steps = parse_steps(map.get("steps"), problems);
    let playbook = match map.get("playbook") {
        Some(Value::String(p)) if is_valid_id(p) => Some(p.clone()),
        Some(Value::String(p)) => {
            problems.push(
                "playbook",
                format!("invalid playbook id {p:?}: use lowercase letters, digits, '-' and '_'"),
            );
            None
        }
        Some(other) => {
            problems.push(
                "playbook",
                format!("expected a playbook id, got {}", describe(other)),
            );
            None
        }
        None => {
            problems.push(
                "playbook",
                "missing: name the playbook behind the alert (`playbook: <id>`)",
            );
            None
        }
    };
    Some(Rule {
        id: id?,
        severity: severity?,
        when: when?,
        title: title?,
        steps: steps?,
        playbook: playbook?,
    })
}

/// `when`, or any nested condition mapping: every key is one condition, and all must hold.
fn parse_when(value: &Value, path: &str, problems: &mut RuleProblems) -> Option<Condition> {
    let Value::Mapping(map) = value else {
        problems.push(
            path,
            format!(
                "expected a mapping of conditions (e.g. `overdue_days: {{gte: 30}}`), got {}",
                describe(value)
            ),
        );
        return None;
    };
    if map.is_empty() {
        problems.push(path, "no conditions: a rule must say when it fires");
        return None;
    }
    let mut conditions = Vec::with_capacity(map.len());
    let mut ok = true;
    for (key, value) in map {
        let name = key_name(key);
        let field = format!("{path}.{name}");
        match parse_condition(&name, value, &field, problems) {
            Some(condition) => conditions.push(condition),
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    if conditions.len() == 1 {
        conditions.pop()
    } else {
        Some(Condition::All(conditions))
    }
}

fn parse_condition_list(
    value: &Value,
    path: &str,
    problems: &mut RuleProblems,
) -> Option<Vec<Condition>> {
    let Value::Sequence(items) = value else {
        problems.push(
            path,
            format!("expected a list of conditions, got {}", describe(value)),
        );
        return None;
    };
    if items.is_empty() {
        problems.push(path, "empty list: give at least one condition");
        return None;
    }
    let mut conditions = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        match parse_when(item, &format!("{path}[{i}]"), problems) {
            Some(condition) => conditions.push(condition),
            None => ok = false,
        }
    }
    ok.then_some(conditions)
}

fn parse_condition(
    name: &str,
    value: &Value,
    path: &str,
    problems: &mut RuleProblems,
) -> Option<Condition> {
    match name {
        "all" => parse_condition_list(value, path, problems).map(Condition::All),
        "any" => parse_condition_list(value, path, problems).map(Condition::Any),
        "not" => parse_when(value, path, problems).map(|c| Condition::Not(Box::new(c))),
        "tier_in" => parse_id_list(value, path, problems).map(Condition::TierIn),
        "credit_in" => parse_credit_list(value, path, problems).map(Condition::CreditIn),
        "tier_changed" => {
            let wanted = match value {
                Value::String(s) => match s.as_str() {
                    "up" => Some(ChangeMatch::Up),
                    "down" => Some(ChangeMatch::Down),
                    "new" => Some(ChangeMatch::New),
                    "changed" => Some(ChangeMatch::Changed),
                    "any" => Some(ChangeMatch::Any),
                    _ => None,
                },
                _ => None,
            };
            if wanted.is_none() {
                problems.push(
                    path,
                    format!(
                        "expected up, down, new, changed or any, got {}",
                        describe(value)
                    ),
                );
            }
            wanted.map(Condition::TierChanged)
        }
        "credit" => {
            problems.push(
                path,
                "credit is a rating, not a number: write `credit_in: [none, poor]`",
            );
            None
        }
        _ => {
            if let Some(flag) = Flag::parse(name) {
                return match value {
                    Value::Bool(b) => Some(Condition::Flag { flag, value: *b }),
                    other => {
                        problems.push(
                            path,
                            format!(
                                "{name} is a yes/no flag: write `{name}: true` or `{name}: false`, got {}",
                                describe(other)
                            ),
                        );
                        None
                    }
                };
            }
            if let Some(indicator) = Numeric::parse(name) {
                return parse_bounds(value, path, problems)
                    .map(|bounds| Condition::Compare { indicator, bounds });
            }
            let mut known: Vec<&str> =
                vec!["all", "any", "not", "tier_in", "credit_in", "tier_changed"];
            known.extend(Numeric::ALL.iter().map(|n| n.name()));
            known.extend(Flag::ALL.iter().map(|f| f.name()));
            problems.push(
                path,
                format!(
                    "unknown condition {name:?} (expected one of {})",
                    known.join(", ")
                ),
            );
            None
        }
    }
}

fn parse_bounds(value: &Value, path: &str, problems: &mut RuleProblems) -> Option<Bounds> {
    let Value::Mapping(map) = value else {
        problems.push(
            path,
            format!(
                "expected a comparison such as `{{gte: 30, lt: 60}}`, got {}",
                describe(value)
            ),
        );
        return None;
    };
    if map.is_empty() {
        problems.push(path, "empty comparison: use gt, gte, lt, lte or eq");
        return None;
    }
    let mut bounds = Bounds::default();
    let mut ok = true;
    for (key, value) in map {
        let name = key_name(key);
        let field = format!("{path}.{name}");
        let slot = match name.as_str() {
            "gt" => &mut bounds.gt,
            "gte" => &mut bounds.gte,
            "lt" => &mut bounds.lt,
            "lte" => &mut bounds.lte,
            "eq" => &mut bounds.eq,
            _ => {
                problems.push(
                    &field,
                    format!(
                        "unknown comparison (expected one of {})",
                        COMPARISON_FIELDS.join(", ")
                    ),
                );
                ok = false;
                continue;
            }
        };
        match hundredths(value) {
            Some(v) => *slot = Some(v),
            None => {
                problems.push(
                    &field,
                    format!(
                        "expected a number with at most two decimals, got {}",
                        describe(value)
                    ),
                );
                ok = false;
            }
        }
    }
    if ok && !bounds.is_satisfiable() {
        problems.push(
            path,
            "no value can satisfy these bounds; check gt/gte/lt/lte",
        );
        return None;
    }
    ok.then_some(bounds)
}

/// A YAML number as an exact count of hundredths.
fn hundredths(value: &Value) -> Option<i128> {
    let Value::Number(n) = value else {
        return None;
    };
    if let Some(i) = n.as_i64() {
        return Some(i128::from(i) * 100);
    }
    if let Some(u) = n.as_u64() {
        return Some(i128::from(u) * 100);
    }
    let f = n.as_f64()?;
    let scaled = f * 100.0;
    let rounded = scaled.round();
    (f.is_finite() && (scaled - rounded).abs() < 1e-6 && rounded.abs() < 1e30)
        .then_some(rounded as i128)
}

fn parse_id_list(value: &Value, path: &str, problems: &mut RuleProblems) -> Option<Vec<String>> {
    let items = match value {
        Value::Sequence(items) if !items.is_empty() => items,
        _ => {
            problems.push(
                path,
                format!("expected a non-empty list of ids, got {}", describe(value)),
            );
            return None;
        }
    };
    let mut ids = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::String(s) if is_valid_id(s) => ids.push(s.clone()),
            other => {
                problems.push(
                    &format!("{path}[{i}]"),
                    format!(
                        "expected a tier id such as `small`, got {}",
                        describe(other)
                    ),
                );
                ok = false;
            }
        }
    }
    ok.then_some(ids)
}

fn parse_credit_list(
    value: &Value,
    path: &str,
    problems: &mut RuleProblems,
) -> Option<Vec<CreditRating>> {
    let items = match value {
        Value::Sequence(items) if !items.is_empty() => items,
        _ => {
            problems.push(
                path,
                format!(
                    "expected a non-empty list of ratings (good, fair, poor, none), got {}",
                    describe(value)
                ),
            );
            return None;
        }
    };
    let mut ratings = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let rating = match item {
            Value::String(s) => match s.as_str() {
                "good" => Some(CreditRating::Good),
                "fair" => Some(CreditRating::Fair),
                "poor" => Some(CreditRating::Poor),
                "none" => Some(CreditRating::None),
                _ => None,
            },
            _ => None,
        };
        match rating {
            Some(rating) => ratings.push(rating),
            None => {
                problems.push(
                    &format!("{path}[{i}]"),
                    format!(
                        "unknown credit rating {} (expected good, fair, poor or none)",
                        describe(item)
                    ),
                );
                ok = false;
            }
        }
    }
    ok.then_some(ratings)
}

fn check_placeholders(text: &str, path: &str, problems: &mut RuleProblems) {
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            problems.push(path, "an opening `{` has no closing `}`");
            return;
        };
        let name = &after[..end];
        if !PLACEHOLDERS.contains(&name) {
            problems.push(
                path,
                format!("unknown placeholder {{{name}}} (expected {{tier}} or {{previous_tier}})"),
            );
        }
        rest = &after[end + 1..];
    }
}

fn parse_text(value: Option<&Value>, path: &str, problems: &mut RuleProblems) -> Option<Text> {
    let Some(Value::Mapping(map)) = value else {
        let got = value.map(describe).unwrap_or_else(|| "nothing".into());
        problems.push(path, format!("expected `{{zh: …, en: …}}`, got {got}"));
        return None;
    };
    let mut ok = true;
    for key in map.keys() {
        let name = key_name(key);
        if name != "zh" && name != "en" {
            problems.push(
                &format!("{path}.{name}"),
                "unknown language (expected zh and en)",
            );
            ok = false;
        }
    }
    let mut get = |lang: &str| -> Option<String> {
        let field = format!("{path}.{lang}");
        match map.get(lang) {
            Some(Value::String(s)) if !s.trim().is_empty() => {
                check_placeholders(s, &field, problems);
                Some(s.trim().to_owned())
            }
            Some(other) => {
                problems.push(
                    &field,
                    format!("expected non-empty text, got {}", describe(other)),
                );
                None
            }
            None => {
                problems.push(&field, "missing: give the text in both zh and en");
                None
            }
        }
    };
    let zh = get("zh");
    let en = get("en");
    if !ok {
        return None;
    }
    Some(Text { zh: zh?, en: en? })
}

fn parse_steps(value: Option<&Value>, problems: &mut RuleProblems) -> Option<Steps> {
    let Some(Value::Mapping(map)) = value else {
        let got = value.map(describe).unwrap_or_else(|| "nothing".into());
        problems.push(
            "steps",
            format!("expected `{{zh: [step, …], en: [step, …]}}`, got {got}"),
        );
        return None;
    };
    let mut ok = true;
    for key in map.keys() {
        let name = key_name(key);
        if name != "zh" && name != "en" {
            problems.push(
                &format!("steps.{name}"),
                "unknown language (expected zh and en)",
            );
            ok = false;
        }
    }
    let mut get = |lang: &str| -> Option<Vec<String>> {
        let field = format!("steps.{lang}");
        let items = match map.get(lang) {
            Some(Value::Sequence(items)) if !items.is_empty() => items,
            Some(other) => {
                problems.push(
                    &field,
                    format!(
                        "expected a non-empty list of steps, got {}",
                        describe(other)
                    ),
                );
                return None;
            }
            None => {
                problems.push(&field, "missing: give the steps in both zh and en");
                return None;
            }
        };
        let mut steps = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let step_field = format!("{field}[{i}]");
            match item {
                Value::String(s) if !s.trim().is_empty() => {
                    check_placeholders(s, &step_field, problems);
                    steps.push(s.trim().to_owned());
                }
                other => {
                    problems.push(
                        &step_field,
                        format!("expected a step as text, got {}", describe(other)),
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(steps)
    };
    let zh = get("zh");
    let en = get("en");
    if !ok {
        return None;
    }
    Some(Steps { zh: zh?, en: en? })
}

#[cfg(test)]
mod tests {
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
    fn a_loss_making_or_no_credit_small_account_gets_the_potential_check_before_the_pruning_review()
    {
        let loss = Indicators {
            profit: Some(Money(-1)),
            ..Indicators::default()
        };
        let no_credit = Indicators {
            credit: Some(CreditRating::None),
            profit: Some(Money::from_major(1_000)),
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
        let table: [(i64, bool); 3] = [
            (100_000_000, false),
            (100_000_001, true),
            (100_000_002, true),
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
                "rules[0] \"r\": when.overdue_days.gte: expected a number with at most two decimals, got \"thirty\"",
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
}

/// Property tests: any rule file is rules or a list of problems, never a panic; rules that parse
/// evaluate on any account.
#[cfg(test)]
mod fuzz_tests {
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
}
