//! Front matter in: splitting it from the body, reading it loosely then field by field, and every
//! problem named with its field and line (parse_content).

use super::*;
use crate::domain::ids::ItemId;

/// Every field the front matter may carry; anything else is a typo and fails loudly.
pub const FRONT_MATTER_FIELDS: [&str; 26] = [
    "id",
    "kind",
    "title",
    "summary",
    "tiers",
    "scenarios",
    "tags",
    "lang",
    "status",
    "translation_of",
    "account",
    "outcome",
    "sample",
    "course",
    "order",
    "audience",
    "owner",
    "review_by",
    "moves",
    "account_tier",
    "evidence",
    "courses",
    "regions",
    "starts",
    "ends",
    "meta",
];

/// The front matter as written. Every field is optional here so that all problems of a file can
/// be reported at once; [`parse_content`] turns it into a [`ContentItem`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFrontMatter {
    pub(super) id: Option<String>,
    pub(super) kind: Option<String>,
    pub(super) title: Option<String>,
    pub(super) summary: Option<String>,
    #[serde(default)]
    pub(super) tiers: Vec<String>,
    #[serde(default)]
    pub(super) scenarios: Vec<String>,
    #[serde(default)]
    pub(super) tags: Vec<String>,
    pub(super) lang: Option<String>,
    pub(super) status: Option<String>,
    pub(super) translation_of: Option<String>,
    pub(super) account: Option<String>,
    pub(super) outcome: Option<String>,
    pub(super) sample: Option<bool>,
    pub(super) course: Option<String>,
    pub(super) order: Option<u32>,
    #[serde(default)]
    pub(super) audience: Vec<String>,
    pub(super) owner: Option<String>,
    pub(super) review_by: Option<String>,
    #[serde(default)]
    pub(super) moves: Vec<Move>,
    pub(super) account_tier: Option<String>,
    #[serde(default)]
    pub(super) evidence: Vec<String>,
    #[serde(default)]
    pub(super) courses: Vec<String>,
    #[serde(default)]
    pub(super) regions: Vec<String>,
    pub(super) starts: Option<String>,
    pub(super) ends: Option<String>,
    #[serde(default)]
    pub(super) meta: BTreeMap<String, String>,
}

/// Splits `---\n yaml \n---\n body`. Returns the YAML, the body and the 1-based line on which the
/// YAML starts. A leading BOM and Windows line endings (Typora, Excel) are accepted.
pub fn split_front_matter(text: &str) -> Option<(&str, &str, usize)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first_line_end = text.find('\n')?;
    if text[..first_line_end].trim_end() != "---" {
        return None;
    }
    let yaml_start = first_line_end + 1;
    let mut offset = yaml_start;
    for line in text[yaml_start..].split_inclusive('\n') {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            let yaml = &text[yaml_start..offset];
            let body = &text[offset + line.len()..];
            return Some((yaml, body, 2));
        }
        offset += line.len();
    }
    None
}

/// The id a file gets when its front matter has none: its path relative to the content
/// directory, without extension, with separators turned into `-`.
/// `vip/Visit Plan.md` → `vip-visit-plan`.
pub fn slug_from_path(relative_path: &str) -> String {
    let without_ext = relative_path
        .strip_suffix(".md")
        .or_else(|| relative_path.strip_suffix(".markdown"))
        .unwrap_or(relative_path);
    let mut slug = String::with_capacity(without_ext.len());
    for c in without_ext.chars() {
        if c.is_alphanumeric() {
            slug.extend(c.to_lowercase());
        } else if (c == '-' || c == '_' || c == '/' || c == '\\' || c.is_whitespace())
            && !slug.ends_with('-')
        {
            slug.push('-');
        }
    }
    slug.trim_matches('-').to_owned()
}

pub fn content_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Most problems listed for one file; the rest are counted in one last problem. Bounds the work
/// and the size of the report for a file of thousands of bad fields.
pub const MAX_PROBLEMS: usize = 50;

/// Collects the problems of one file.
pub(super) struct Problems<'a> {
    pub(super) file: &'a str,
    pub(super) yaml: &'a str,
    pub(super) yaml_first_line: usize,
    pub(super) errors: Vec<ContentError>,
    /// Problems found past [`MAX_PROBLEMS`].
    pub(super) omitted: usize,
}

impl Problems<'_> {
    pub(super) fn field(&mut self, field: &str, message: String) {
        if self.errors.len() >= MAX_PROBLEMS {
            self.omitted += 1;
            return;
        }
        let line = self.line_of_field(field);
        self.errors.push(ContentError {
            file: self.file.to_owned(),
            field: Some(field.to_owned()),
            line,
            message: format!("{field}: {message}"),
        });
    }

    /// The problems found, with a last one counting those not listed.
    pub(super) fn into_errors(mut self) -> Vec<ContentError> {
        if self.omitted > 0 {
            self.errors.push(ContentError {
                file: self.file.to_owned(),
                field: None,
                line: None,
                message: format!(
                    "… and {} more problems not listed: fix the ones above first",
                    self.omitted
                ),
            });
        }
        self.errors
    }

    pub(super) fn line_of_field(&self, field: &str) -> Option<usize> {
        self.yaml.lines().enumerate().find_map(|(i, line)| {
            let rest = line.strip_prefix(field)?;
            rest.trim_start()
                .starts_with(':')
                .then_some(self.yaml_first_line + i)
        })
    }
}

pub(super) fn expected_list(values: &[&str]) -> String {
    values.join(", ")
}

/// Parses and validates one content file.
///
/// `file` is how the file is named in messages (e.g. `playbooks/vip/visit.md`), `relative_path`
/// is its path below the content directory (for the default id and [`Source`]).
pub fn parse_content(
    file: &str,
    relative_path: &str,
    text: &str,
    taxonomy: &Taxonomy,
) -> Result<ContentItem, Vec<ContentError>> {
    let whole_file = |message: String| {
        vec![ContentError {
            file: file.to_owned(),
            field: None,
            line: None,
            message,
        }]
    };
    let Some((yaml, body, yaml_first_line)) = split_front_matter(text) else {
        return Err(whole_file(
            "missing front matter: start the file with a line `---`, the YAML fields (kind, title, …), and a closing `---`".into(),
        ));
    };
    let mut problems = Problems {
        file,
        yaml,
        yaml_first_line,
        errors: Vec::new(),
        omitted: 0,
    };

    // First pass: a mapping, so unknown fields are all reported (serde stops at the first).
    let mapping: serde_yaml_ng::Mapping = if yaml.trim().is_empty() {
        serde_yaml_ng::Mapping::new()
    } else {
        match serde_yaml_ng::from_str(yaml) {
            Ok(mapping) => mapping,
            Err(e) => {
                let line = e.location().map(|l| yaml_first_line + l.line() - 1);
                return Err(vec![ContentError {
                    file: file.to_owned(),
                    field: None,
                    line,
                    message: format!(
                        "front matter is not valid YAML: {}",
                        strip_location(&e.to_string())
                    ),
                }]);
            }
        }
    };
    for key in mapping.keys() {
        let name = key.as_str().unwrap_or("?");
        if !FRONT_MATTER_FIELDS.contains(&name) {
            problems.field(
                name,
                format!(
                    "unknown field (expected one of {})",
                    expected_list(&FRONT_MATTER_FIELDS)
                ),
            );
        }
    }
    // Second pass: field by field, so every type error is reported too.
    let mut raw = RawFrontMatter::default();
    for (key, value) in mapping {
        let Some(name) = key.as_str().map(str::to_owned) else {
            continue;
        };
        if let Err(message) = assign_field(&mut raw, &name, value) {
            problems.field(&name, message);
        }
    }

    let kind = match raw.kind.as_deref() {
        None => {
            problems.field(
                "kind",
                format!("missing (expected one of {})", Kind::EXPECTED),
            );
            None
        }
        Some(value) => {
            let kind = Kind::parse(value.trim());
            if kind.is_none() {
                problems.field(
                    "kind",
                    format!(
                        "unknown kind {value:?} (expected one of {})",
                        Kind::EXPECTED
                    ),
                );
            }
            kind
        }
    };
    let title = raw.title.as_deref().map(str::trim).unwrap_or_default();
    if title.is_empty() {
        problems.field("title", "missing title: add `title: …`".into());
    }
    let id = match raw.id.as_deref().map(str::trim) {
        Some(id) => {
            if !ItemId::is_valid(id) {
                problems.field(
                    "id",
                    format!("invalid id {id:?}: use letters, digits, '-' and '_' only (at most 128 characters)"),
                );
            }
            id.to_owned()
        }
        None => {
            let slug = slug_from_path(relative_path);
            if slug.is_empty() {
                problems.field("id", "the file name gives no usable id: add `id: …`".into());
            }
            slug
        }
    };
    let tier_ids = taxonomy.all_tier_ids();
    for tier in &raw.tiers {
        if !tier_ids.contains(&tier.as_str()) {
            problems.field(
                "tiers",
                format!(
                    "unknown tier {tier:?} (expected one of {})",
                    expected_list(&tier_ids)
                ),
            );
        }
    }
    let scenario_ids = taxonomy.scenario_ids();
    for scenario in &raw.scenarios {
        if !taxonomy.is_scenario(scenario) {
            problems.field(
                "scenarios",
                format!(
                    "unknown scenario {scenario:?} (expected one of {})",
                    expected_list(&scenario_ids)
                ),
            );
        }
    }
    let lang = match raw.lang.as_deref() {
        None => Lang::Zh,
        Some(value) => Lang::parse(value).unwrap_or_else(|| {
            problems.field(
                "lang",
                format!("unknown language {value:?} (expected zh or en)"),
            );
            Lang::Zh
        }),
    };
    let status = match raw.status.as_deref().map(str::trim) {
        None => Status::Published,
        Some(value) => Status::parse(value).unwrap_or_else(|| {
            problems.field(
                "status",
                format!(
                    "unknown status {value:?} (expected one of {})",
                    Status::EXPECTED
                ),
            );
            Status::Draft
        }),
    };
    let outcome = match raw.outcome.as_deref().map(str::trim) {
        None => None,
        Some("won") => Some(Outcome::Won),
        Some("lost") => Some(Outcome::Lost),
        Some("ongoing") => Some(Outcome::Ongoing),
        Some(value) => {
            problems.field(
                "outcome",
                format!("unknown outcome {value:?} (expected won, lost or ongoing)"),
            );
            None
        }
    };
    if let Some(kind) = kind {
        check_kind_fields(kind, &raw, &mut problems);
        if kind != Kind::Case {
            for (field, present) in [
                ("account", raw.account.is_some()),
                ("outcome", raw.outcome.is_some()),
            ] {
                if present {
                    problems.field(
                        field,
                        format!("only cases carry {field}, this is a {}", kind.as_str()),
                    );
                }
            }
        }
        if kind == Kind::Lesson {
            if raw.course.is_none() {
                problems.field(
                    "course",
                    "missing: a lesson names its course (`course: <course id>`)".into(),
                );
            }
            if raw.order.is_none() {
                problems.field(
                    "order",
                    "missing: a lesson has a position in its course (`order: 1`)".into(),
                );
            }
        } else {
            for (field, present) in [
                ("course", raw.course.is_some()),
                ("order", raw.order.is_some()),
            ] {
                if present {
                    problems.field(
                        field,
                        format!("only lessons carry {field}, this is a {}", kind.as_str()),
                    );
                }
            }
        }
    }
    for (field, date) in [
        ("review_by", &raw.review_by),
        ("starts", &raw.starts),
        ("ends", &raw.ends),
    ] {
        if let Some(date) = date.as_deref() {
            if !is_iso_date(date) {
                problems.field(
                    field,
                    format!("invalid date {date:?} (expected YYYY-MM-DD)"),
                );
            }
        }
    }
    if let Some(tier) = raw.account_tier.as_deref() {
        if !tier_ids.contains(&tier) {
            problems.field(
                "account_tier",
                format!(
                    "unknown tier {tier:?} (expected one of {})",
                    expected_list(&tier_ids)
                ),
            );
        }
    }
    for reference in &raw.evidence {
        if parse_evidence(reference).is_none() {
            problems.field(
                "evidence",
                format!("{reference:?} is not a case reference: write the case id, or `case-id#2` for its second move"),
            );
        }
    }
    for (n, m) in raw.moves.iter().enumerate() {
        if m.text.trim().is_empty() {
            problems.field("moves", format!("move {} has no text", n + 1));
        }
    }

    if !problems.errors.is_empty() {
        return Err(problems.into_errors());
    }
    let Some(kind) = kind else {
        return Err(problems.into_errors());
    };
    Ok(ContentItem {
        id,
        kind,
        title: title.to_owned(),
        summary: raw
            .summary
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()),
        tiers: dedup(raw.tiers),
        scenarios: dedup(raw.scenarios),
        tags: dedup(
            raw.tags
                .into_iter()
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect(),
        ),
        lang,
        status,
        translation_of: raw.translation_of,
        account: raw.account.map(|a| a.trim().to_owned()),
        outcome,
        sample: raw.sample.unwrap_or(false),
        course: raw.course,
        order: raw.order,
        audience: raw.audience,
        owner: raw.owner,
        review_by: raw.review_by,
        moves: raw
            .moves
            .into_iter()
            .map(|m| Move {
                text: m.text.trim().to_owned(),
                best: m.best,
            })
            .collect(),
        account_tier: raw.account_tier,
        evidence: dedup(raw.evidence),
        courses: dedup(raw.courses),
        regions: dedup(raw.regions),
        starts: raw.starts,
        ends: raw.ends,
        meta: raw.meta,
        body: body.trim_start_matches(['\r', '\n']).to_owned(),
        source: Source::File {
            path: relative_path.to_owned(),
        },
        hash: content_hash(text),
    })
}

/// The fields only some kinds carry, and what a campaign needs.
pub(super) fn check_kind_fields(kind: Kind, raw: &RawFrontMatter, problems: &mut Problems<'_>) {
    let only = |fields: &[(&'static str, bool)], owner: Kind, problems: &mut Problems<'_>| {
        if kind == owner {
            return;
        }
        for (field, present) in fields {
            if *present {
                problems.field(
                    field,
                    format!(
                        "only {}s carry {field}, this is a {}",
                        owner.as_str(),
                        kind.as_str()
                    ),
                );
            }
        }
    };
    only(
        &[
            ("moves", !raw.moves.is_empty()),
            ("account_tier", raw.account_tier.is_some()),
        ],
        Kind::Case,
        problems,
    );
    only(
        &[("evidence", !raw.evidence.is_empty())],
        Kind::Playbook,
        problems,
    );
    only(
        &[
            ("courses", !raw.courses.is_empty()),
            ("regions", !raw.regions.is_empty()),
            ("starts", raw.starts.is_some()),
            ("ends", raw.ends.is_some()),
        ],
        Kind::Campaign,
        problems,
    );
    if kind == Kind::Campaign {
        if raw.courses.is_empty() {
            problems.field(
                "courses",
                "missing: a campaign lists the ids of its courses (`courses: [core-customer]`)"
                    .into(),
            );
        }
        for field in ["starts", "ends"] {
            let value = if field == "starts" {
                &raw.starts
            } else {
                &raw.ends
            };
            if value.is_none() {
                problems.field(
                    field,
                    format!("missing: a campaign runs in a date window (`{field}: 2026-03-01`)"),
                );
            }
        }
        if let (Some(starts), Some(ends)) = (&raw.starts, &raw.ends) {
            if is_iso_date(starts) && is_iso_date(ends) && ends < starts {
                problems.field("ends", format!("{ends} is before starts ({starts})"));
            }
        }
    }
}

/// A piece of evidence: `case-id` (the whole case) or `case-id#n` (its n-th move, from 1).
pub fn parse_evidence(reference: &str) -> Option<(&str, Option<usize>)> {
    let (id, mv) = match reference.split_once('#') {
        Some((id, n)) => (id, Some(n.parse::<usize>().ok().filter(|n| *n >= 1)?)),
        None => (reference, None),
    };
    ItemId::is_valid(id).then_some((id, mv))
}

/// Drops repeated values, keeping the first occurrence (linear: a list may be long).
pub(super) fn dedup(values: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::with_capacity(values.len());
    values
        .into_iter()
        .filter(|value| seen.insert(value.clone()))
        .collect()
}

pub(super) fn is_iso_date(value: &str) -> bool {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(value, &format).is_ok()
}

pub(super) fn strip_location(message: &str) -> &str {
    message.split(" at line ").next().unwrap_or(message)
}

/// Deserialises one field into `raw`, returning a message that says what was expected.
pub(super) fn assign_field(
    raw: &mut RawFrontMatter,
    name: &str,
    value: serde_yaml_ng::Value,
) -> Result<(), String> {
    fn text(value: serde_yaml_ng::Value) -> Result<Option<String>, String> {
        match value {
            serde_yaml_ng::Value::Null => Ok(None),
            serde_yaml_ng::Value::String(s) => Ok(Some(s)),
            serde_yaml_ng::Value::Number(n) => Ok(Some(n.to_string())),
            serde_yaml_ng::Value::Bool(b) => Ok(Some(b.to_string())),
            _ => Err("expected a single text value".into()),
        }
    }
    fn list(value: serde_yaml_ng::Value) -> Result<Vec<String>, String> {
        match value {
            serde_yaml_ng::Value::Null => Ok(Vec::new()),
            serde_yaml_ng::Value::Sequence(items) => items
                .into_iter()
                .map(|item| text(item)?.ok_or_else(|| "a list entry is empty".to_owned()))
                .collect(),
            // A single value is accepted as a one-element list: `tiers: strategic`.
            other => Ok(text(other)?.into_iter().collect()),
        }
    }
    // `- text` or `- {text: …, best: true}`.
    fn moves(value: serde_yaml_ng::Value) -> Result<Vec<Move>, String> {
        let serde_yaml_ng::Value::Sequence(items) = value else {
            return match value {
                serde_yaml_ng::Value::Null => Ok(Vec::new()),
                _ => Err("expected a list of moves".into()),
            };
        };
        items
            .into_iter()
            .map(|item| match item {
                serde_yaml_ng::Value::Mapping(_) => serde_yaml_ng::from_value::<Move>(item)
                    .map_err(|e| format!("a move is `- text` or `- {{text: …, best: true}}`: {e}")),
                other => Ok(Move {
                    text: text(other)?.unwrap_or_default(),
                    best: false,
                }),
            })
            .collect()
    }
    match name {
        "id" => raw.id = text(value)?,
        "kind" => raw.kind = text(value)?,
        "title" => raw.title = text(value)?,
        "summary" => raw.summary = text(value)?,
        "tiers" => raw.tiers = list(value)?,
        "scenarios" => raw.scenarios = list(value)?,
        "tags" => raw.tags = list(value)?,
        "lang" => raw.lang = text(value)?,
        "status" => raw.status = text(value)?,
        "translation_of" => raw.translation_of = text(value)?,
        "account" => raw.account = text(value)?,
        "outcome" => raw.outcome = text(value)?,
        "sample" => {
            raw.sample = match value {
                serde_yaml_ng::Value::Null => None,
                serde_yaml_ng::Value::Bool(b) => Some(b),
                _ => return Err("expected true or false".into()),
            }
        }
        "course" => raw.course = text(value)?,
        "order" => {
            raw.order = match value {
                serde_yaml_ng::Value::Null => None,
                serde_yaml_ng::Value::Number(n) => Some(
                    n.as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| format!("expected a whole number from 1, got {n}"))?,
                ),
                other => return Err(format!("expected a whole number from 1, got {other:?}")),
            }
        }
        "audience" => raw.audience = list(value)?,
        "owner" => raw.owner = text(value)?,
        "review_by" => raw.review_by = text(value)?,
        "moves" => raw.moves = moves(value)?,
        "account_tier" => raw.account_tier = text(value)?,
        "evidence" => raw.evidence = list(value)?,
        "courses" => raw.courses = list(value)?,
        "regions" => raw.regions = list(value)?,
        "starts" => raw.starts = text(value)?,
        "ends" => raw.ends = text(value)?,
        "meta" => {
            raw.meta = match value {
                serde_yaml_ng::Value::Null => BTreeMap::new(),
                serde_yaml_ng::Value::Mapping(map) => map
                    .into_iter()
                    .map(|(key, value)| {
                        let key = text(key)?.ok_or_else(|| "a meta key is empty".to_owned())?;
                        Ok((key, text(value)?.unwrap_or_default()))
                    })
                    .collect::<Result<_, String>>()?,
                _ => {
                    return Err(
                        "expected key: value lines (text kept from an imported file)".into(),
                    )
                }
            }
        }
        _ => {}
    }
    Ok(())
}
