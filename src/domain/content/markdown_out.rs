//! Markdown out: an item written back as front matter and body, fields in the documented order
//! (to_markdown).

use super::*;

/// The front matter as `to_markdown` writes it: every field that has a value, in the order of
/// [`FRONT_MATTER_FIELDS`].
#[derive(Serialize)]
pub(super) struct FrontMatterOut<'a> {
    pub(super) id: &'a str,
    pub(super) kind: &'static str,
    pub(super) title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) summary: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub(super) tiers: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub(super) scenarios: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub(super) tags: &'a [String],
    pub(super) lang: &'static str,
    pub(super) status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) translation_of: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) account: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) outcome: Option<&'static str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(super) sample: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) course: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) order: Option<u32>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub(super) audience: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) owner: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) review_by: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) moves: Vec<MoveOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) account_tier: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub(super) evidence: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub(super) courses: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub(super) regions: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) starts: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) ends: Option<&'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(super) meta: &'a BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(untagged)]
pub(super) enum MoveOut<'a> {
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
        meta: &item.meta,
    };
    let yaml = serde_yaml_ng::to_string(&front).unwrap_or_default();
    format!("---\n{yaml}---\n\n{}", item.body)
}
