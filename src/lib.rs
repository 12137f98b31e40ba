//! Playbook: a sales knowledge and playbook server.
//!
//! Layers, from the inside out (see ARCHITECTURE.md):
//! - [`domain`]: content items, taxonomy, coverage, accounts — pure, no I/O;
//! - [`render`]: Markdown → sanitised HTML and plain text;
//! - [`content`]: reads the content directory; [`store`]: sled, the source of truth;
//! - [`library`]: the application core for content; [`accounts`]: the application core for
//!   accounts and their (derived, in-memory) tiers; [`demo`]: deterministic demo accounts;
//! - [`web`]: routes, pages, JSON; [`startup`] wires it all; [`cli`] is the command line.

pub mod access;
pub mod accounts;
pub mod auth;
pub mod briefing;
pub mod cli;
pub mod config;
pub mod content;
pub mod demo;
pub mod domain;
pub mod editing;
#[cfg(test)]
pub(crate) mod fuzz_support;
pub mod library;
pub mod render;
pub mod search;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod web;
