//! Playbook: a sales knowledge and playbook server.
//!
//! Layers, from the inside out (see ARCHITECTURE.md):
//! - [`domain`]: content items, taxonomy, coverage, accounts, tiers, policy — pure, no I/O;
//! - [`render`]: Markdown → sanitised HTML and plain text;
//! - [`store`]: sled, the source of truth; [`search`]: the tantivy index derived from it;
//! - [`app`]: the use cases (library, authoring, content loading, the account book, briefing,
//!   access, users and sessions), no HTTP;
//! - [`extract`]: uploaded documents (Word, PowerPoint, spreadsheets, PDF, HTML, text) to
//!   Markdown, and `.zip` folders unpacked under limits — a leaf, bytes in, Markdown out;
//! - [`error_codes`]: every error code with its status, named by constants where raised;
//! - [`web`]: routes, pages, JSON; [`startup`] wires it all; [`cli`] is the command line.

pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod error_codes;
pub mod extract;
#[cfg(test)]
pub(crate) mod fuzz_support;
pub mod render;
pub mod search;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod web;
