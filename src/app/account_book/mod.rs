//! The account book: the application core for customer accounts and their tiers.
//!
//! It joins the store (accounts, tier model, overrides and tier history — the source of truth)
//! and the pure tiering engine. Tiers are **derived data**: the book holds the result of the
//! last recompute in memory ([`TierState`], behind an `RwLock<Arc<…>>` so readers never wait for
//! a recompute) and recomputes at start, after an import, after a tier-model change and after an
//! override. Each recompute compares the tiers in force with the previous ones and records the
//! changes; only that comparison's input (a compact snapshot) and its output are stored.
//!
//! Writers (import, model, overrides) are serialised by one mutex; each holds it for its write
//! and the recompute that follows, so the state always matches the store. Core functions take
//! the acting user (`by`) so permissions can be checked here once users exist.
//! This module knows nothing of HTTP or templates.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::domain::account::{Account, Indicators};
use crate::domain::export::text_cell;
use crate::domain::import::{ColumnMapping, ColumnUse, IgnoredColumn, ImportError, RowError};
use crate::domain::pareto::{pareto_for, tier_bands_from_counts, Pareto, TierBand};
use crate::domain::tiering::{
    Direction, Figures, Indicator, ModelError, ResolvedModel, Rule, TierAssignment, TierDef,
    TierModel, TierOverride, TierTable,
};
use crate::store::{
    now_rfc3339, LastChange, LockKey, RecomputeRecord, RecomputeWrite, RecordedChange,
    SnapshotScope, Store, StoreError, TierSnapshot, NO_TIER,
};

mod book;
mod export;
mod import;
mod recompute;
mod state;
mod tier_views;
mod views;

pub use book::*;
pub use export::*;
pub use import::*;
use recompute::*;
pub use state::*;
pub use tier_views::*;
pub use views::*;

#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    #[error("no account with id {0:?}")]
    NotFound(String),
    #[error("{0}")]
    InvalidModel(ModelError),
    #[error("{0}")]
    InvalidOverride(String),
    #[error("{0}")]
    InvalidCsv(ImportError),
    /// The input broke off (an I/O error); nothing of it was stored.
    #[error("could not read the whole file ({0}); nothing was imported — send it again")]
    ReadFailed(String),
    #[error("{0}")]
    InvalidIndicator(String),
    #[error("{0}")]
    InvalidFilter(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests;
