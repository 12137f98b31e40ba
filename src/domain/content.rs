//! Content items — playbooks, cases, courses and lessons — and their front matter.
//!
//! A content file is a YAML front-matter block between `---` lines followed by Markdown.
//! [`parse_content`] is a pure function of `(path, text, taxonomy)` that either yields a validated
//! [`ContentItem`] or lists *every* problem of the file, each naming the file and the field.
//! Reading files and checking rules across files (duplicate ids, lessons pointing at a course)
//! belong to the loader in `crate::content`.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::taxonomy::Taxonomy;
use crate::domain::Lang;

/// What a content item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Treatment for a tier and/or scenario.
    Playbook,
    /// An experience write-up (经验萃取) or a case review (复盘).
    Case,
    /// An ordered set of lessons.
    Course,
    /// One lesson of a course.
    Lesson,
    /// Courses pushed to a region or role within a date window (e.g. a spring campaign).
    Campaign,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Playbook,
        Kind::Case,
        Kind::Course,
        Kind::Lesson,
        Kind::Campaign,
    ];
    /// The kinds as a message lists them.
    pub const EXPECTED: &'static str = "playbook, case, course, lesson, campaign";

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Playbook => "playbook",
            Kind::Case => "case",
            Kind::Course => "course",
            Kind::Lesson => "lesson",
            Kind::Campaign => "campaign",
        }
    }

    pub fn parse(value: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == value)
    }
}

/// Where an item is in the publishing workflow: draft → in review → published → archived.
/// Only published items reach readers; the others are visible to their owner and to approvers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    InReview,
    Published,
    Archived,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Draft,
        Status::InReview,
        Status::Published,
        Status::Archived,
    ];
    pub const EXPECTED: &'static str = "draft, in_review, published, archived";

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::InReview => "in_review",
            Status::Published => "published",
            Status::Archived => "archived",
        }
    }

    pub fn parse(value: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Won,
    Lost,
    Ongoing,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Won => "won",
            Outcome::Lost => "lost",
            Outcome::Ongoing => "ongoing",
        }
    }
}

/// Where an item came from. File items are re-read from the content directory on every start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Source {
    /// A Markdown file; `path` is relative to the content directory, with `/` separators.
    File { path: String },
    /// Written in the browser or over the API; exported to `<kind>s/<id>.md`.
    Editor,
}

/// One move (做法) of a case: what someone did. Managers mark the ones worth copying as best
/// practices; playbooks cite them as evidence (`<case id>#<n>`, `n` from 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Move {
    pub text: String,
    #[serde(default)]
    pub best: bool,
}

/// A validated content item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContentItem {
    pub id: String,
    pub kind: Kind,
    pub title: String,
    pub summary: Option<String>,
    /// Tier ids; empty means every tier.
    pub tiers: Vec<String>,
    /// Scenario ids; empty means not tied to a scenario.
    pub scenarios: Vec<String>,
    pub tags: Vec<String>,
    pub lang: Lang,
    pub status: Status,
    /// For a translation: the id of the original item.
    pub translation_of: Option<String>,
    /// Cases: the account the case is about.
    pub account: Option<String>,
    /// Cases: how it ended.
    pub outcome: Option<Outcome>,
    /// Bundled sample content.
    pub sample: bool,
    /// Lessons: the course they belong to.
    pub course: Option<String>,
    /// Lessons: position within the course, from 1.
    pub order: Option<u32>,
    /// Courses and lessons: target roles and qualification levels.
    pub audience: Vec<String>,
    /// User name responsible for keeping the item true.
    pub owner: Option<String>,
    /// Date (YYYY-MM-DD) by which the item should be re-verified.
    pub review_by: Option<String>,
    /// Cases: the moves made, some marked as best practices.
    #[serde(default)]
    pub moves: Vec<Move>,
    /// Cases about an account: the account's tier when the review was written.
    #[serde(default)]
    pub account_tier: Option<String>,
    /// Playbooks: the cases (`case-id`) or moves (`case-id#2`) they are based on.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// Campaigns: the courses they push, in order.
    #[serde(default)]
    pub courses: Vec<String>,
    /// Campaigns: the regions they run in; empty means everywhere.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Campaigns: first and last day (YYYY-MM-DD).
    #[serde(default)]
    pub starts: Option<String>,
    #[serde(default)]
    pub ends: Option<String>,
    /// The Markdown body, without front matter.
    pub body: String,
    pub source: Source,
    /// SHA-256 of the whole source text, hex: an unchanged file is not rewritten.
    pub hash: String,
}

impl ContentItem {
    /// An item with only an id, kind and title: published, Chinese, every other field empty,
    /// written in the editor. For building items in code; files go through [`parse_content`].
    pub fn blank(id: &str, kind: Kind, title: &str) -> ContentItem {
        ContentItem {
            id: id.to_owned(),
            kind,
            title: title.to_owned(),
            summary: None,
            tiers: Vec::new(),
            scenarios: Vec::new(),
            tags: Vec::new(),
            lang: Lang::Zh,
            status: Status::Published,
            translation_of: None,
            account: None,
            outcome: None,
            sample: false,
            course: None,
            order: None,
            audience: Vec::new(),
            owner: None,
            review_by: None,
            moves: Vec::new(),
            account_tier: None,
            evidence: Vec::new(),
            courses: Vec::new(),
            regions: Vec::new(),
            starts: None,
            ends: None,
            body: String::new(),
            source: Source::Editor,
            hash: String::new(),
        }
    }

    pub fn is_published(&self) -> bool {
        self.status == Status::Published
    }

    /// True if the item applies to `tier` (an empty tier list applies to every tier).
    pub fn covers_tier(&self, tier: &str) -> bool {
        self.tiers.is_empty() || self.tiers.iter().any(|t| t == tier)
    }

    /// The file an item was loaded from; `None` for items written in the editor.
    pub fn source_path(&self) -> Option<&str> {
        match &self.source {
            Source::File { path } => Some(path),
            Source::Editor => None,
        }
    }

    /// Where `playbook export` writes the item: its file, or `<kind>s/<id>.md`.
    pub fn export_path(&self) -> String {
        match &self.source {
            Source::File { path } => path.clone(),
            Source::Editor => format!("{}s/{}.md", self.kind.as_str(), self.id),
        }
    }

    /// Past its `review_by` date on `today` (YYYY-MM-DD): the owner should re-verify it.
    pub fn is_stale(&self, today: &str) -> bool {
        self.status != Status::Archived
            && self.review_by.as_deref().is_some_and(|date| date < today)
    }

    /// The moves marked as best practices, with their 1-based numbers.
    pub fn best_moves(&self) -> impl Iterator<Item = (usize, &Move)> {
        self.moves
            .iter()
            .enumerate()
            .filter(|(_, m)| m.best)
            .map(|(i, m)| (i + 1, m))
    }
}

/// One problem in one content file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContentError {
    /// The file as the user knows it, e.g. `playbooks/vip/visit.md`.
    pub file: String,
    /// The front-matter field at fault, if any.
    pub field: Option<String>,
    /// 1-based line in the file, when known.
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every field the front matter may carry; anything else is a typo and fails loudly.
pub const FRONT_MATTER_FIELDS: [&str; 25] = [
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
];

/// The front matter as written. Every field is optional here so that all problems of a file can
/// be reported at once; [`parse_content`] turns it into a [`ContentItem`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFrontMatter {
    id: Option<String>,
    kind: Option<String>,
    title: Option<String>,
    summary: Option<String>,
    #[serde(default)]
    tiers: Vec<String>,
    #[serde(default)]
    scenarios: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    lang: Option<String>,
    status: Option<String>,
    translation_of: Option<String>,
    account: Option<String>,
    outcome: Option<String>,
    sample: Option<bool>,
    course: Option<String>,
    order: Option<u32>,
    #[serde(default)]
    audience: Vec<String>,
    owner: Option<String>,
    review_by: Option<String>,
    #[serde(default)]
    moves: Vec<Move>,
    account_tier: Option<String>,
    #[serde(default)]
    evidence: Vec<String>,
    #[serde(default)]
    courses: Vec<String>,
    #[serde(default)]
    regions: Vec<String>,
    starts: Option<String>,
    ends: Option<String>,
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

/// An id is non-empty, at most 128 characters, letters (any script), digits, `-` and `_`.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.chars().count() <= 128
        && id
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
}

pub fn content_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Most problems listed for one file; the rest are counted in one last problem. Bounds the work
/// and the size of the report for a file of thousands of bad fields.
pub const MAX_PROBLEMS: usize = 50;

/// Collects the problems of one file.
struct Problems<'a> {
    file: &'a str,
    yaml: &'a str,
    yaml_first_line: usize,
    errors: Vec<ContentError>,
    /// Problems found past [`MAX_PROBLEMS`].
    omitted: usize,
}

impl Problems<'_> {
    fn field(&mut self, field: &str, message: String) {
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
    fn into_errors(mut self) -> Vec<ContentError> {
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

    fn line_of_field(&self, field: &str) -> Option<usize> {
        self.yaml.lines().enumerate().find_map(|(i, line)| {
            let rest = line.strip_prefix(field)?;
            rest.trim_start()
                .starts_with(':')
                .then_some(self.yaml_first_line + i)
        })
    }
}

fn expected_list(values: &[&str]) -> String {
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
            if !is_valid_id(id) {
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
        body: body.trim_start_matches(['\r', '\n']).to_owned(),
        source: Source::File {
            path: relative_path.to_owned(),
        },
        hash: content_hash(text),
    })
}

/// The fields only some kinds carry, and what a campaign needs.
fn check_kind_fields(kind: Kind, raw: &RawFrontMatter, problems: &mut Problems<'_>) {
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
    is_valid_id(id).then_some((id, mv))
}

/// Drops repeated values, keeping the first occurrence (linear: a list may be long).
fn dedup(values: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::with_capacity(values.len());
    values
        .into_iter()
        .filter(|value| seen.insert(value.clone()))
        .collect()
}

fn is_iso_date(value: &str) -> bool {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(value, &format).is_ok()
}

fn strip_location(message: &str) -> &str {
    message.split(" at line ").next().unwrap_or(message)
}

/// Deserialises one field into `raw`, returning a message that says what was expected.
fn assign_field(
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
        _ => {}
    }
    Ok(())
}

/// The front matter as `to_markdown` writes it: every field that has a value, in the order of
/// [`FRONT_MATTER_FIELDS`].
#[derive(Serialize)]
struct FrontMatterOut<'a> {
    id: &'a str,
    kind: &'static str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    tiers: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    scenarios: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    tags: &'a [String],
    lang: &'static str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    translation_of: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<&'static str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    sample: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    course: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    order: Option<u32>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    audience: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    review_by: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    moves: Vec<MoveOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_tier: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    evidence: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    courses: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    regions: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    starts: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ends: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum MoveOut<'a> {
    Plain(&'a str),
    Marked { text: &'a str, best: bool },
}

/// The item as a Markdown file with front matter: what `playbook export` writes, what the
/// editor's "Markdown" view shows and what version diffs compare. [`parse_content`] reads it
/// back to the same item.
pub fn to_markdown(item: &ContentItem) -> String {
    let front = FrontMatterOut {
        id: &item.id,
        kind: item.kind.as_str(),
        title: &item.title,
        summary: item.summary.as_deref(),
        tiers: &item.tiers,
        scenarios: &item.scenarios,
        tags: &item.tags,
        lang: item.lang.as_str(),
        status: item.status.as_str(),
        translation_of: item.translation_of.as_deref(),
        account: item.account.as_deref(),
        outcome: item.outcome.map(Outcome::as_str),
        sample: item.sample,
        course: item.course.as_deref(),
        order: item.order,
        audience: &item.audience,
        owner: item.owner.as_deref(),
        review_by: item.review_by.as_deref(),
        moves: item
            .moves
            .iter()
            .map(|m| {
                if m.best {
                    MoveOut::Marked {
                        text: &m.text,
                        best: true,
                    }
                } else {
                    MoveOut::Plain(&m.text)
                }
            })
            .collect(),
        account_tier: item.account_tier.as_deref(),
        evidence: &item.evidence,
        courses: &item.courses,
        regions: &item.regions,
        starts: item.starts.as_deref(),
        ends: item.ends.as_deref(),
    };
    let yaml = serde_yaml_ng::to_string(&front).unwrap_or_default();
    format!("---\n{yaml}---\n\n{}", item.body)
}

/// True if `a` and `b` say the same thing: every field but where they came from and the hash
/// of their source text.
pub fn same_content(a: &ContentItem, b: &ContentItem) -> bool {
    let strip = |item: &ContentItem| ContentItem {
        source: Source::Editor,
        hash: String::new(),
        body: item.body.trim_end().to_owned(),
        ..item.clone()
    };
    strip(a) == strip(b)
}

/// Counts items per kind, for summaries.
pub fn count_by_kind(items: &[ContentItem]) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for item in items {
        *counts.entry(item.kind.as_str()).or_insert(0) += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ContentItem, Vec<ContentError>> {
        parse_content(
            "playbooks/vip/visit.md",
            "vip/visit.md",
            text,
            &Taxonomy::default(),
        )
    }

    #[test]
    fn a_complete_playbook_parses_with_its_path_slug_as_id() {
        let item = parse(
            "---\nkind: playbook\ntitle: 拜访\ntiers: [strategic]\nscenarios: [routine-visit]\ntags: [拜访]\nlang: zh\nstatus: published\n---\n# 正文\n",
        )
        .unwrap();
        assert_eq!(item.id, "vip-visit");
        assert_eq!(item.kind, Kind::Playbook);
        assert_eq!(item.tiers, ["strategic"]);
        assert_eq!(item.body, "# 正文\n");
        assert_eq!(item.source_path(), Some("vip/visit.md"));
    }

    #[test]
    fn an_unknown_scenario_names_the_file_the_field_and_the_expected_ids() {
        let errors =
            parse("---\nkind: playbook\ntitle: t\nscenarios: [exec-visit]\n---\n").unwrap_err();
        let message = errors[0].to_string();
        assert!(message.starts_with("playbooks/vip/visit.md:4: scenarios: unknown scenario \"exec-visit\" (expected one of company-visit,"), "{message}");
    }

    #[test]
    fn every_problem_of_a_file_is_listed_at_once() {
        let errors =
            parse("---\nkind: playbok\ntiers: [vpi]\ncolour: red\nlang: fr\n---\n").unwrap_err();
        let fields: Vec<_> = errors.iter().filter_map(|e| e.field.as_deref()).collect();
        for expected in ["colour", "kind", "title", "tiers", "lang"] {
            assert!(
                fields.contains(&expected),
                "{expected} missing from {errors:?}"
            );
        }
    }

    #[test]
    fn a_lesson_needs_its_course_and_order_and_a_playbook_may_not_have_them() {
        let errors = parse("---\nkind: lesson\ntitle: t\n---\n").unwrap_err();
        let fields: Vec<_> = errors.iter().filter_map(|e| e.field.as_deref()).collect();
        assert_eq!(fields, ["course", "order"]);
        let errors =
            parse("---\nkind: playbook\ntitle: t\norder: 2\noutcome: won\n---\n").unwrap_err();
        let fields: Vec<_> = errors.iter().filter_map(|e| e.field.as_deref()).collect();
        assert_eq!(fields, ["outcome", "order"]);
    }

    #[test]
    fn a_file_without_front_matter_says_how_to_start_one() {
        let errors = parse("# Just markdown\n").unwrap_err();
        assert!(errors[0].message.contains("missing front matter"));
    }

    #[test]
    fn invalid_yaml_reports_the_line_in_the_file() {
        let errors = parse("---\nkind: playbook\ntitle: [unclosed\n---\n").unwrap_err();
        assert!(errors[0].message.contains("not valid YAML"));
        assert!(errors[0].line.is_some());
    }

    #[test]
    fn windows_line_endings_and_a_bom_are_accepted() {
        let item =
            parse("\u{feff}---\r\nkind: case\r\ntitle: 复盘\r\noutcome: won\r\n---\r\nbody\r\n")
                .unwrap();
        assert_eq!(item.outcome, Some(Outcome::Won));
        assert_eq!(item.title, "复盘");
    }

    #[test]
    fn slugs_keep_letters_of_any_script_and_fold_separators() {
        assert_eq!(slug_from_path("vip/Visit Plan.md"), "vip-visit-plan");
        assert_eq!(slug_from_path("案例/回款.md"), "案例-回款");
        assert_eq!(slug_from_path("a//b--c.md"), "a-b-c");
    }

    #[test]
    fn a_bad_review_date_is_rejected() {
        let errors =
            parse("---\nkind: playbook\ntitle: t\nreview_by: 2026-13-01\n---\n").unwrap_err();
        assert_eq!(errors[0].field.as_deref(), Some("review_by"));
    }
}

/// Property tests and pathological inputs: any text is either a valid item or a non-empty list
/// of problems naming the file, never a panic, and the work stays linear in the file size.
#[cfg(test)]
mod fuzz_tests {
    use proptest::prelude::*;

    use super::*;
    use crate::fuzz_support::{config, nasty_string, pieces_string};

    fn check(text: &str) {
        match parse_content("f.md", "dir/f.md", text, &Taxonomy::default()) {
            Ok(item) => {
                assert!(is_valid_id(&item.id), "{:?}", item.id);
                assert!(!item.title.is_empty());
                assert!(text.ends_with(&item.body) || item.body.is_empty());
            }
            Err(errors) => {
                assert!(!errors.is_empty(), "an error without problems for {text:?}");
                assert!(errors.iter().all(|e| e.file == "f.md"), "{errors:?}");
            }
        }
    }

    /// YAML syntax for the value side of a field.
    const YAML: &[&str] = &[
        "[",
        "]",
        "{",
        "}",
        ", ",
        ": ",
        "- ",
        "\n",
        "\n  ",
        "'",
        "\"",
        "&a ",
        "*a",
        "!!str ",
        "!!binary ",
        "? ",
        "|",
        ">",
        "#",
        "~",
        "null",
        "true",
        "1",
        "-1",
        "4294967296",
        "1e999",
        ".nan",
        "0x1F",
        "2026-13-01",
        "strategic",
        "routine-visit",
        "中文",
        "\\u0000",
        "\\ud800",
        "<<: ",
        "%YAML 1.2\n",
        "---",
        "...",
    ];

    fn front_matter() -> impl Strategy<Value = String> {
        let key = prop_oneof![
            4 => proptest::sample::select(&FRONT_MATTER_FIELDS[..]).prop_map(str::to_owned),
            1 => nasty_string(8),
        ];
        let field = (key, pieces_string(YAML, 12)).prop_map(|(k, v)| format!("{k}: {v}\n"));
        (
            proptest::collection::vec(field, 0..12),
            proptest::sample::select(&["---\n", "---\r\n", "\u{feff}---\n", "--- \n", "---"][..]),
            proptest::sample::select(&["---\n", "...\n", "---\r\n", "---", ""][..]),
            nasty_string(40),
        )
            .prop_map(|(fields, open, close, body)| {
                format!("{open}{}{close}{body}", fields.concat())
            })
    }

    proptest! {
        #![proptest_config(config(128))]

        #[test]
        fn any_text_parses_or_lists_problems(text in nasty_string(200)) {
            check(&text);
            check(&format!("---\n{text}\n---\n"));
        }

        #[test]
        fn any_front_matter_parses_or_lists_problems(text in front_matter()) {
            check(&text);
        }

        #[test]
        fn any_path_gives_a_valid_slug_or_none(path in nasty_string(60)) {
            let slug = slug_from_path(&path);
            prop_assert!(slug.is_empty() || !slug.starts_with('-') && !slug.ends_with('-'));
        }
    }

    #[test]
    fn nested_and_self_referencing_yaml_is_an_error_not_a_crash() {
        let depth = 10_000;
        let cases = [
            format!(
                "---\ntags: {}{}\n---\n",
                "[".repeat(depth),
                "]".repeat(depth)
            ),
            format!("---\ntags: {}\n---\n", "{a: ".repeat(depth)),
            format!(
                "---\n{}\n---\n",
                (0..depth)
                    .map(|i| format!("{}- x", "  ".repeat(i)))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            // Billion laughs: each alias doubles the previous one.
            format!(
                "---\na0: &a0 [x, x]\n{}title: *a30\n---\n",
                (1..=30)
                    .map(|i| format!("a{i}: &a{i} [*a{p}, *a{p}]\n", p = i - 1))
                    .collect::<String>()
            ),
        ];
        for text in &cases {
            check(text);
        }
    }

    /// A front matter of 100,000 unknown fields: the problems listed are capped, and finding
    /// their lines is not quadratic.
    #[test]
    fn a_hundred_thousand_unknown_fields_list_a_bounded_number_of_problems() {
        let fields: String = (0..100_000).map(|i| format!("k{i}: 1\n")).collect();
        let errors = parse_content(
            "f.md",
            "f.md",
            &format!("---\nkind: playbook\ntitle: t\n{fields}---\n"),
            &Taxonomy::default(),
        )
        .unwrap_err();
        assert_eq!(errors.len(), MAX_PROBLEMS + 1);
        assert_eq!(errors[0].line, Some(4));
        assert!(
            errors[MAX_PROBLEMS].message.contains("99950 more"),
            "{:?}",
            errors.last()
        );
    }

    /// 200,000 distinct tags: de-duplicating them is not quadratic.
    #[test]
    fn two_hundred_thousand_tags_are_deduplicated_in_linear_time() {
        let tags: String = (0..200_000)
            .map(|i| format!("  - t{}\n", i % 150_000))
            .collect();
        let item = parse_content(
            "f.md",
            "f.md",
            &format!("---\nkind: playbook\ntitle: t\ntags:\n{tags}---\n"),
            &Taxonomy::default(),
        )
        .unwrap();
        assert_eq!(item.tags.len(), 150_000);
        assert_eq!(item.tags[149_999], "t149999");
    }
}
