//! The application layer: the use cases, with no HTTP. Each module holds one part of what
//! Playbook does and is called by the web layer, the command line and the benchmarks alike.
//!
//! - [`library`]: the content library (store + search index + taxonomy), its catalog and search;
//! - [`authoring`]: writing content: create and save from Markdown, the workflow, versions,
//!   case reviews, best practices, course progress, export;
//! - [`content_loader`]: reading the content directory into the store;
//! - [`content_import`]: existing notes and documents (any Markdown, Office, PDF, HTML, text)
//!   brought in as drafts;
//! - [`account_book`]: accounts, the tier model and overrides, with tiers derived in memory;
//! - [`briefing`]: the customer briefing and the name lookup;
//! - [`access`]: one request's view of the data, from `domain::policy`;
//! - [`indexer`]: the outbox-driven catch-up that keeps the search index in step with the store;
//! - [`demo`]: the deterministic demo accounts;
//! - [`staging`]: uploads held between the steps of an import page;
//! - [`recent`]: what each user opened last;
//! - [`today`]: the accounts that need action (alerts, recent tier changes, reviews due),
//!   worked out once per recompute and filtered per viewer;
//! - [`relevance`]: the judged query set and its scores (success@3, MRR@10, zero hits).
//!
//! Invariant: nothing here imports actix or askama; storage and search are used through
//! `crate::store` and `crate::search`.

pub mod access;
pub mod account_book;
pub mod authoring;
pub mod briefing;
pub mod content_import;
pub mod content_loader;
pub mod demo;
pub mod indexer;
pub mod languages;
pub mod library;
pub mod recent;
pub mod relevance;
pub mod staging;
pub mod today;
pub mod users;
