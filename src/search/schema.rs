//! The search schema: field and tokenizer names as constants, and the schema version.
//!
//! Bump [`SCHEMA_VERSION`] whenever a field, its options or the analysers change: an index with
//! another version is rebuilt from the store at start.

use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, STORED, STRING,
};

use crate::search::tokenizer::ZH_EN_TOKENIZER;

/// Version of the schema + analysers; stored in every commit's payload.
/// Version 2: the `owner` field (drafts are visible to their owner).
/// Version 3: the `pinyin` field (plain pinyin of the words of the title and tags).
pub const SCHEMA_VERSION: u32 = 3;

pub const ID: &str = "id";
pub const TITLE: &str = "title";
pub const BODY: &str = "body";
pub const KIND: &str = "kind";
/// Tiers the item applies to: its own list, or every tier of the taxonomy when the list is
/// empty, so a filter on `strategic` also finds the items written for every tier.
pub const TIERS: &str = "tiers";
/// The item's own tier list as written (stored only, for display).
pub const OWN_TIERS: &str = "own_tiers";
pub const SCENARIOS: &str = "scenarios";
pub const TAGS: &str = "tags";
pub const LANG: &str = "lang";
pub const STATUS: &str = "status";
pub const ACCOUNT: &str = "account";
/// The item's owner (author), indexed only: search shows a user their own drafts.
pub const OWNER: &str = "owner";
/// Plain pinyin (`huikuan`) of the Chinese words of the title and tags, indexed only: a query
/// typed in pinyin finds them.
pub const PINYIN: &str = "pinyin";

/// Ranking weight of a title match relative to a body match.
pub const TITLE_BOOST: f32 = 3.0;

/// Handles to the fields of [`build_schema`].
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub title: Field,
    pub body: Field,
    pub kind: Field,
    pub tiers: Field,
    pub own_tiers: Field,
    pub scenarios: Field,
    pub tags: Field,
    pub lang: Field,
    pub status: Field,
    pub account: Field,
    pub owner: Field,
    pub pinyin: Field,
}

impl Fields {
    pub fn from_schema(schema: &Schema) -> tantivy::Result<Fields> {
        Ok(Fields {
            id: schema.get_field(ID)?,
            title: schema.get_field(TITLE)?,
            body: schema.get_field(BODY)?,
            kind: schema.get_field(KIND)?,
            tiers: schema.get_field(TIERS)?,
            own_tiers: schema.get_field(OWN_TIERS)?,
            scenarios: schema.get_field(SCENARIOS)?,
            tags: schema.get_field(TAGS)?,
            lang: schema.get_field(LANG)?,
            status: schema.get_field(STATUS)?,
            account: schema.get_field(ACCOUNT)?,
            owner: schema.get_field(OWNER)?,
            pinyin: schema.get_field(PINYIN)?,
        })
    }
}

pub fn build_schema() -> Schema {
    let mut builder = Schema::builder();
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ZH_EN_TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    builder.add_text_field(ID, STRING | STORED);
    builder.add_text_field(TITLE, text.clone());
    builder.add_text_field(BODY, text);
    for keyword in [KIND, TIERS, SCENARIOS, TAGS, LANG, STATUS, ACCOUNT] {
        builder.add_text_field(keyword, STRING | FAST | STORED);
    }
    builder.add_text_field(OWN_TIERS, STORED);
    builder.add_text_field(OWNER, STRING);
    builder.add_text_field(PINYIN, STRING);
    builder.build()
}
