//! Full-text search: a tantivy index derived from the store.
//!
//! - [`tokenizer`]: Chinese + English analysis (jieba, Traditional→Simplified, width folding,
//!   English stemming);
//! - [`schema`]: field and tokenizer names, the schema version;
//! - [`query`]: the user's query language (words, "phrases", prefix while typing) and the
//!   query of one term;
//! - [`understand`]: what a query means: synonyms, question words, pinyin, terms;
//! - [`matching`]: how many terms must match (all first, then relaxed by rarity);
//! - [`pinyin`]: plain pinyin of Chinese words, indexed for titles and tags;
//! - [`typos`]: indexed words a typo away from a word that matches nothing;
//! - [`facets`]: facet counts over all matches (a collector over the fast columns);
//! - [`index`]: open/rebuild, the one writer, searches with snippets and facet counts;
//!
//! The store is the source of truth: the index can be deleted at any time and is rebuilt at
//! the next start (`playbook reindex` does it on demand). This module never imports the web
//! layer.

pub mod facets;
pub mod index;
pub mod matching;
pub mod pinyin;
pub mod query;
pub mod schema;
pub mod tokenizer;
pub mod typos;
pub mod understand;
