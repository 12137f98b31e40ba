//! Parsing alerts.yaml: every rule checked field by field, every problem collected with the rule
//! and the field it concerns.

use super::*;
use crate::domain::ids::is_vocabulary_id;

pub(super) const RULE_FIELDS: [&str; 6] = ["id", "severity", "when", "title", "steps", "playbook"];
pub(super) const COMPARISON_FIELDS: [&str; 5] = ["gt", "gte", "lt", "lte", "eq"];
pub(super) const PLACEHOLDERS: [&str; 2] = ["tier", "previous_tier"];

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
pub(super) struct RuleProblems {
    pub(super) index: usize,
    pub(super) id: Option<String>,
    pub(super) errors: Vec<RuleError>,
}

impl RuleProblems {
    pub(super) fn push(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(RuleError {
            rule: Some(self.index),
            id: self.id.clone(),
            field: field.to_owned(),
            message: message.into(),
        });
    }
}

pub(super) fn key_name(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        other => describe(other),
    }
}

pub(super) fn describe(value: &Value) -> String {
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

pub(super) fn parse_rule(item: &Value, problems: &mut RuleProblems) -> Option<Rule> {
    let Value::Mapping(map) = item else {
        problems.push(
            "",
            format!("expected a rule (a mapping), got {}", describe(item)),
        );
        return None;
    };
    // Read the id first so every later message can name the rule.
    let id = match map.get("id") {
        Some(Value::String(id)) if is_vocabulary_id(id) => {
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
        Some(Value::String(p)) if is_vocabulary_id(p) => Some(p.clone()),
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

/// `value` as a mapping with at least one key; otherwise a problem at `path` saying what was
/// `expected` (or, for an empty one, `if_empty`).
fn non_empty_mapping<'v>(
    value: &'v Value,
    path: &str,
    problems: &mut RuleProblems,
    expected: &str,
    if_empty: &str,
) -> Option<&'v serde_yaml_ng::Mapping> {
    let Value::Mapping(map) = value else {
        problems.push(
            path,
            format!("expected {expected}, got {}", describe(value)),
        );
        return None;
    };
    if map.is_empty() {
        problems.push(path, if_empty);
        return None;
    }
    Some(map)
}

/// `when`, or any nested condition mapping: every key is one condition, and all must hold.
pub(super) fn parse_when(
    value: &Value,
    path: &str,
    problems: &mut RuleProblems,
) -> Option<Condition> {
    let map = non_empty_mapping(
        value,
        path,
        problems,
        "a mapping of conditions (e.g. `overdue_days: {gte: 30}`)",
        "no conditions: a rule must say when it fires",
    )?;
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

pub(super) fn parse_condition_list(
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

pub(super) fn parse_condition(
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

pub(super) fn parse_bounds(
    value: &Value,
    path: &str,
    problems: &mut RuleProblems,
) -> Option<Bounds> {
    let map = non_empty_mapping(
        value,
        path,
        problems,
        "a comparison such as `{gte: 30, lt: 60}`",
        "empty comparison: use gt, gte, lt, lte or eq",
    )?;
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
        match scaled(value) {
            Some(v) => *slot = Some(v),
            None => {
                problems.push(
                    &field,
                    format!(
                        "expected a number with at most four decimals, got {}",
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

/// A YAML number as an exact count of [`SCALE`] units (four decimals).
pub(super) fn scaled(value: &Value) -> Option<i128> {
    let Value::Number(n) = value else {
        return None;
    };
    if let Some(i) = n.as_i64() {
        return Some(i128::from(i) * SCALE);
    }
    if let Some(u) = n.as_u64() {
        return Some(i128::from(u) * SCALE);
    }
    // The number's shortest decimal text, read exactly (a float times 10,000 is not exact for
    // large amounts: 12345678.1234 × 10,000 = 123456781234.00002).
    let f = n.as_f64()?;
    if !f.is_finite() {
        return None;
    }
    let text = format!("{f}");
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if fraction.len() > 4 || whole.len() > 30 {
        return None;
    }
    let whole: i128 = whole.parse().ok()?;
    let fraction: i128 = format!("{fraction:0<4}").parse().ok()?;
    let value = whole * SCALE + fraction;
    Some(if negative { -value } else { value })
}

pub(super) fn parse_id_list(
    value: &Value,
    path: &str,
    problems: &mut RuleProblems,
) -> Option<Vec<String>> {
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
            Value::String(s) if is_vocabulary_id(s) => ids.push(s.clone()),
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

pub(super) fn parse_credit_list(
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

pub(super) fn check_placeholders(text: &str, path: &str, problems: &mut RuleProblems) {
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

/// Whether every key of `map` is a language (`zh`, `en`); each other key is a problem.
fn only_languages(map: &serde_yaml_ng::Mapping, path: &str, problems: &mut RuleProblems) -> bool {
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
    ok
}

pub(super) fn parse_text(
    value: Option<&Value>,
    path: &str,
    problems: &mut RuleProblems,
) -> Option<Text> {
    let Some(Value::Mapping(map)) = value else {
        let got = value.map(describe).unwrap_or_else(|| "nothing".into());
        problems.push(path, format!("expected `{{zh: …, en: …}}`, got {got}"));
        return None;
    };
    let ok = only_languages(map, path, problems);
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

pub(super) fn parse_steps(value: Option<&Value>, problems: &mut RuleProblems) -> Option<Steps> {
    let Some(Value::Mapping(map)) = value else {
        let got = value.map(describe).unwrap_or_else(|| "nothing".into());
        problems.push(
            "steps",
            format!("expected `{{zh: [step, …], en: [step, …]}}`, got {got}"),
        );
        return None;
    };
    let ok = only_languages(map, "steps", problems);
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
