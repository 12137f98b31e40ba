//! Typed ids: an item's, an account's, a tier's and a scenario's id are different things, and
//! each has its own rule of what it may look like. They are parsed once where they enter (a
//! URL path, a query filter, a file) and travel typed from there; each derefs to `str` for
//! lookups and display.
//!
//! The rules are the ones the rest of the domain applies when it creates ids: the content
//! loader for items, the importer for accounts, the taxonomy and the alert rules for tiers and
//! scenarios. They are written here once. Whether an id *exists* (a known tier, a stored
//! account) is a question for whoever holds the data, not for the type.

use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

/// Longest account id, in characters (the importer refuses longer ones).
pub const MAX_ACCOUNT_ID_CHARS: usize = 64;

/// Longest item id, in characters.
pub const MAX_ITEM_ID_CHARS: usize = 128;

/// Declares a typed id over `String`: parsed with `$check` (which says what is wrong), read as
/// `str`, (de)serialised as a plain string.
macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $check:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(try_from = "String", into = "String")]
        #[schema(value_type = String)]
        pub struct $name(String);

        impl $name {
            /// The id, if `text` is one; otherwise what is wrong with it, for the user.
            pub fn parse(text: &str) -> Result<Self, String> {
                $check(text).map_or_else(|| Ok(Self(text.to_owned())), Err)
            }

            /// Whether `text` is a well-formed id of this kind.
            pub fn is_valid(text: &str) -> bool {
                $check(text).is_none()
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(text: String) -> Result<Self, String> {
                match $check(&text) {
                    None => Ok(Self(text)),
                    Some(problem) => Err(problem),
                }
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

typed_id!(
    /// A content item's id (a playbook, case, course, lesson or campaign): letters of any
    /// script, digits, `-` and `_`, at most 128 characters.
    ItemId,
    item_id_problem
);

typed_id!(
    /// A customer account's id, as the CRM gives it: any characters on one line, at most 64.
    AccountId,
    account_id_problem
);

typed_id!(
    /// A tier's id (`strategic`, `major`, …): lowercase ASCII letters, digits, `-` and `_`.
    TierId,
    vocabulary_id_problem
);

typed_id!(
    /// A sales scenario's id (`first-visit`, `collections`, …): lowercase ASCII letters,
    /// digits, `-` and `_`.
    ScenarioId,
    vocabulary_id_problem
);

/// Whether `text` has the shape of an id written in a configuration file (a tier, a scenario,
/// an alert rule): lowercase ASCII letters, digits, `-` and `_`.
pub fn is_vocabulary_id(text: &str) -> bool {
    vocabulary_id_problem(text).is_none()
}

fn item_id_problem(text: &str) -> Option<String> {
    if text.is_empty() {
        return Some("the id is empty".to_owned());
    }
    let length = text.chars().count();
    if length > MAX_ITEM_ID_CHARS {
        return Some(format!(
            "the id is {length} characters long — use at most {MAX_ITEM_ID_CHARS}"
        ));
    }
    if let Some(c) = text
        .chars()
        .find(|&c| !(c.is_alphanumeric() || c == '-' || c == '_'))
    {
        return Some(format!(
            "{text:?} is not an item id: {c:?} is not allowed (letters, digits, - and _)"
        ));
    }
    None
}

fn account_id_problem(text: &str) -> Option<String> {
    if text.is_empty() {
        return Some(
            "the id is empty — every account needs an id; if this is a totals or notes row, \
             delete it"
                .to_owned(),
        );
    }
    if text.chars().any(char::is_control) {
        return Some(
            "the id contains a line break or control character — keep the id on one line"
                .to_owned(),
        );
    }
    let length = text.chars().count();
    if length > MAX_ACCOUNT_ID_CHARS {
        return Some(format!(
            "the id is {length} characters long — use at most {MAX_ACCOUNT_ID_CHARS} characters"
        ));
    }
    None
}

fn vocabulary_id_problem(text: &str) -> Option<String> {
    if text.is_empty() {
        return Some("the id is empty".to_owned());
    }
    if let Some(c) = text
        .chars()
        .find(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'))
    {
        return Some(format!(
            "{text:?} is not a tier or scenario id: {c:?} is not allowed (lowercase a–z, \
             digits, - and _)"
        ));
    }
    None
}

/// Text as one segment of a URL path: every byte but ASCII letters, digits and `-._~`
/// percent-encoded (ids and file names may be Chinese or hold `/`).
pub fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_ids_take_any_script_but_no_punctuation_or_spaces() {
        assert!(ItemId::is_valid("价格异议-应对"));
        assert!(ItemId::is_valid("first_visit-2"));
        assert!(!ItemId::is_valid(""));
        assert!(!ItemId::is_valid("a b"));
        assert!(!ItemId::is_valid("../etc"));
        assert!(!ItemId::is_valid(&"长".repeat(MAX_ITEM_ID_CHARS + 1)));
        assert!(ItemId::is_valid(&"长".repeat(MAX_ITEM_ID_CHARS)));
        let problem = ItemId::parse("a/b").unwrap_err();
        assert!(problem.contains("'/'"), "{problem}");
    }

    #[test]
    fn account_ids_are_one_line_of_at_most_64_characters() {
        assert!(AccountId::is_valid("C-00017 (华东)"));
        assert!(!AccountId::is_valid(""));
        assert!(!AccountId::is_valid("a\nb"));
        assert!(AccountId::is_valid(&"x".repeat(64)));
        assert!(AccountId::parse(&"x".repeat(65))
            .unwrap_err()
            .contains("65 characters"));
    }

    #[test]
    fn tier_and_scenario_ids_are_lowercase_ascii_words() {
        assert!(TierId::is_valid("strategic"));
        assert!(ScenarioId::is_valid("first-visit"));
        assert!(!TierId::is_valid("Major"));
        assert!(!ScenarioId::is_valid("首访"));
        assert!(!TierId::is_valid(""));
    }

    #[test]
    fn ids_read_and_serialise_as_plain_strings() {
        let id: AccountId = serde_json::from_str("\"DEMO-001\"").unwrap();
        assert_eq!(&*id, "DEMO-001");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"DEMO-001\"");
        assert!(serde_json::from_str::<TierId>("\"Major\"").is_err());
    }
}
