//! Search synonyms as data: groups of words a searcher may type for the same thing (`太贵`,
//! `价格异议`, `price objection`). A query containing an entry of a group also finds items that
//! use another entry of it; the search module decides how (see `search::understand`).
//!
//! The built-in groups (`defaults/synonyms.yaml`, compiled in) cover the sales vocabulary of
//! the bundled library in Chinese and English; a content directory replaces them with its own
//! `synonyms.yaml`, which the content loader reads and hands to [`Synonyms::parse`]. Every
//! problem of a file is reported at once, naming the group and the entry.

use serde::Serialize;
use serde_yaml_ng::Value;

const DEFAULT_SYNONYMS_YAML: &str = include_str!("defaults/synonyms.yaml");

/// Longest entry, in characters.
pub const MAX_ENTRY_CHARS: usize = 64;
/// Most entries in one group.
pub const MAX_GROUP_ENTRIES: usize = 64;
/// Most groups in one file.
pub const MAX_GROUPS: usize = 5_000;

/// The synonym groups, in file order; each has at least two distinct entries.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct Synonyms {
    pub groups: Vec<Vec<String>>,
}

/// One problem of a synonyms file: where (`groups[3][1]`) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynonymError {
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for SynonymError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.field.is_empty() {
            true => write!(f, "{}", self.message),
            false => write!(f, "{}: {}", self.field, self.message),
        }
    }
}

impl Synonyms {
    /// The built-in groups.
    pub fn builtin() -> Synonyms {
        Synonyms::parse(DEFAULT_SYNONYMS_YAML).expect("the built-in synonyms.yaml is valid")
    }

    /// The text of the built-in file (for `playbook init`-style copies and the docs).
    pub fn default_yaml() -> &'static str {
        DEFAULT_SYNONYMS_YAML
    }

    /// Parses a `synonyms.yaml`: a mapping with one key, `groups`, a list of lists of words.
    pub fn parse(yaml: &str) -> Result<Synonyms, Vec<SynonymError>> {
        let error = |field: &str, message: String| SynonymError {
            field: field.to_owned(),
            message,
        };
        let root: Value = serde_yaml_ng::from_str(yaml)
            .map_err(|e| vec![error("", format!("not valid YAML: {e}"))])?;
        let Value::Mapping(root) = root else {
            return Err(vec![error(
                "",
                "expected a mapping with a `groups:` list at the top".into(),
            )]);
        };
        let mut errors = Vec::new();
        for key in root.keys() {
            let name = key
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{key:?}"));
            if name != "groups" {
                errors.push(error(
                    &name,
                    "unknown top-level field (expected only `groups`)".into(),
                ));
            }
        }
        let items = match root.get("groups") {
            Some(Value::Sequence(items)) => items.as_slice(),
            Some(_) => return Err(vec![error("groups", "expected a list of groups".into())]),
            None => {
                return Err(vec![error(
                    "groups",
                    "missing: list the groups under `groups:`".into(),
                )])
            }
        };
        if items.len() > MAX_GROUPS {
            return Err(vec![error(
                "groups",
                format!("{} groups; at most {MAX_GROUPS} are read", items.len()),
            )]);
        }
        let mut groups = Vec::with_capacity(items.len());
        for (g, item) in items.iter().enumerate() {
            let path = format!("groups[{g}]");
            let Value::Sequence(entries) = item else {
                errors.push(error(
                    &path,
                    "expected a list of words, e.g. `[太贵, 价格异议, price objection]`".into(),
                ));
                continue;
            };
            if entries.len() > MAX_GROUP_ENTRIES {
                errors.push(error(
                    &path,
                    format!(
                        "{} entries; at most {MAX_GROUP_ENTRIES} — split the group",
                        entries.len()
                    ),
                ));
                continue;
            }
            let mut group: Vec<String> = Vec::with_capacity(entries.len());
            for (e, entry) in entries.iter().enumerate() {
                let field = format!("{path}[{e}]");
                let text = match entry {
                    Value::String(s) => s.trim().to_owned(),
                    Value::Number(n) => n.to_string(),
                    _ => {
                        errors.push(error(&field, "expected a word or phrase".into()));
                        continue;
                    }
                };
                if text.is_empty() {
                    errors.push(error(&field, "empty entry: remove it".into()));
                } else if text.chars().count() > MAX_ENTRY_CHARS {
                    errors.push(error(
                        &field,
                        format!("longer than {MAX_ENTRY_CHARS} characters: a synonym is a word or a short phrase"),
                    ));
                } else if text.chars().any(char::is_control) || text.contains(['"', '“', '”']) {
                    errors.push(error(
                        &field,
                        "quotes and line breaks are not allowed in an entry".into(),
                    ));
                } else if group
                    .iter()
                    .any(|seen| seen.to_lowercase() == text.to_lowercase())
                {
                    errors.push(error(&field, format!("{text:?} is already in this group")));
                } else {
                    group.push(text);
                }
            }
            if group.len() < 2 && entries.len() < 2 {
                errors.push(error(&path, "a group needs at least two entries".into()));
            }
            groups.push(group);
        }
        match errors.is_empty() {
            true => Ok(Synonyms { groups }),
            false => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_groups_parse_and_pair_colloquial_chinese_with_the_librarys_words() {
        let synonyms = Synonyms::builtin();
        assert!(synonyms.groups.len() >= 20);
        let price = synonyms
            .groups
            .iter()
            .find(|g| g.iter().any(|e| e == "太贵"))
            .expect("a price group");
        assert!(price.iter().any(|e| e == "价格异议"));
        assert!(price.iter().any(|e| e == "price objection"));
        let money = synonyms
            .groups
            .iter()
            .find(|g| g.iter().any(|e| e == "拖欠"))
            .expect("a collections group");
        assert!(money.iter().any(|e| e == "回款"));
    }

    #[test]
    fn every_problem_of_a_file_is_named_with_its_group_and_entry() {
        let errors = Synonyms::parse(
            "groups:\n  - [太贵, 价格异议]\n  - [only-one]\n  - [a, '', A]\n  - plain text\nextra: 1\n",
        )
        .unwrap_err();
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(
            shown
                .iter()
                .any(|e| e.starts_with("extra: unknown top-level field")),
            "{shown:?}"
        );
        assert!(
            shown
                .iter()
                .any(|e| e == "groups[1]: a group needs at least two entries"),
            "{shown:?}"
        );
        assert!(
            shown
                .iter()
                .any(|e| e == "groups[2][1]: empty entry: remove it"),
            "{shown:?}"
        );
        assert!(
            shown
                .iter()
                .any(|e| e.starts_with("groups[2][2]: \"A\" is already")),
            "{shown:?}"
        );
        assert!(
            shown
                .iter()
                .any(|e| e.starts_with("groups[3]: expected a list")),
            "{shown:?}"
        );
        assert!(Synonyms::parse("groups: []\n").unwrap().groups.is_empty());
        assert!(Synonyms::parse("nope").is_err());
    }
}
