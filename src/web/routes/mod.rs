//! The handlers, one file per resource. Each handler extracts, makes one call into the
//! application and answers JSON under `/api/v1/…` or a page elsewhere; the API and the page of a
//! resource sit side by side. What several resources share lives outside `routes/` (`guard`,
//! `page`, `view`, `blocking`, `error`), so no handler file imports another.

pub mod accounts;
pub mod backup;
pub mod content;
pub mod coverage;
pub mod health;
pub mod home;
pub mod library;
pub mod me;
pub mod problems;
pub mod search;
pub mod session;
pub mod synonyms;
pub mod users;
