//! The domain core: content items, the scenario/tier taxonomy, coverage, accounts and tiers.
//!
//! Invariant: nothing in here imports actix, askama, sled or tantivy. It parses text and
//! computes; the store persists, the search index derives, the web layer presents.

pub mod account;
pub mod alerts;
pub mod capture;
pub mod content;
pub mod coverage;
pub mod enablement;
pub mod export;
pub mod ids;
pub mod import;
pub mod lookup;
pub mod pareto;
pub mod policy;
pub mod recommend;
pub mod synonyms;
pub mod taxonomy;
pub mod throttle;
pub mod tiering;
pub mod workflow;

use serde::{Deserialize, Serialize};

/// A language: of a content item (`lang` in front matter) and of the UI.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    pub fn parse(value: &str) -> Option<Lang> {
        match value.trim().to_ascii_lowercase().as_str() {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}
