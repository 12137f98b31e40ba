//! The integration tests: one binary, each test starts the real server on port 0 with its own
//! temporary data directory (see `helpers::spawn_app`).

mod accounts;
mod admin_pages;
mod backup;
mod briefing;
mod browser;
mod browser_crawl;
mod browser_import;
mod browser_phone;
mod browser_roles;
mod cli;
mod content;
mod crash;
mod editing;
mod errors;
mod feedback;
mod helpers;
mod import_accounts;
mod import_content;
mod library;
mod limits;
mod nodes;
mod openapi;
mod pages;
mod privacy;
mod questions;
mod relevance;
mod search;
mod security;
mod security_auth;
mod tier_pages;
mod today;
mod xss;
