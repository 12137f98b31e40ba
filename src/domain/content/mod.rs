//! Content items — playbooks, cases, courses and lessons — and their front matter.
//!
//! A content file is a YAML front-matter block between `---` lines followed by Markdown.
//! [`parse_content`] is a pure function of `(path, text, taxonomy)` that either yields a validated
//! [`ContentItem`] or lists *every* problem of the file, each naming the file and the field.
//! Reading files and checking rules across files (duplicate ids, lessons pointing at a course)
//! belong to the loader in `crate::app::content_loader`.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::taxonomy::Taxonomy;
use crate::domain::Lang;

mod foreign;
mod front_matter;
mod markdown_out;

pub use foreign::*;
pub use front_matter::*;
pub use markdown_out::*;

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
    /// What an imported file said that has no field here, kept as written: its original date
    /// (`date`), categories, layout, aliases, the file it came from (`imported_from`), ….
    #[serde(default)]
    pub meta: BTreeMap<String, String>,
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
            meta: BTreeMap::new(),
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
mod tests;

#[cfg(test)]
mod foreign_tests;

#[cfg(test)]
mod fuzz_tests;
