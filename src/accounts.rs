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
use std::io::Read;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::domain::account::{Account, Indicators};
use crate::domain::export::text_cell;
use crate::domain::import::{read_accounts, IgnoredColumn, ImportError, RowError};
use crate::domain::pareto::{pareto_for, tier_bands_from_counts, Pareto, TierBand};
use crate::domain::tiering::{
    Direction, Figures, Indicator, ModelError, ResolvedModel, Rule, TierAssignment, TierDef,
    TierModel, TierOverride, TierTable,
};
use crate::store::{
    now_rfc3339, LastChange, RecomputeRecord, RecomputeWrite, RecordedChange, SnapshotScope, Store,
    StoreError, TierSnapshot, NO_TIER,
};

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

/// The tiers of every account as of one recompute, with what is needed to explain them.
pub struct TierState {
    /// Every account, sorted by id (byte order, as the store lists them).
    accounts: Arc<Vec<Account>>,
    model: Arc<TierModel>,
    resolved: Arc<ResolvedModel>,
    table: Arc<TierTable>,
    overrides: Arc<HashMap<String, TierOverride>>,
    /// Index of the tier in force (override applied) per account; also an index into `names`.
    in_force: Vec<u16>,
    /// Account positions, best rank first (ties by id).
    by_rank: Arc<Vec<u32>>,
    /// Accounts per tier in force, best tier first.
    counts: Vec<usize>,
    /// Accounts per computed tier (overrides ignored), for the Pareto bands.
    computed_counts: Vec<usize>,
    regions: Arc<Vec<String>>,
    owners: Arc<Vec<String>>,
    /// The tier names `last` refers to: the model's tiers first, in order (so a tier index is
    /// also a name index), then names of earlier models that recorded changes still refer to.
    names: Arc<Vec<String>>,
    /// Each account's last recorded tier change (aligned with `accounts`).
    last: Vec<LastChange>,
    seq: u64,
    computed_at: String,
    millis: u64,
}

impl TierState {
    /// Scores (unless `table` is given), applies overrides and prepares the lists. Parts that
    /// depend only on the accounts (and the table) are shared with `previous` when it was
    /// built from the same ones. `names` and `last` are filled in by [`compare`].
    fn build(
        accounts: Arc<Vec<Account>>,
        model: Arc<TierModel>,
        resolved: Arc<ResolvedModel>,
        overrides: Arc<HashMap<String, TierOverride>>,
        table: Option<Arc<TierTable>>,
        previous: Option<&TierState>,
    ) -> TierState {
        let table =
            table.unwrap_or_else(|| Arc::new(resolved.run(accounts.as_slice()).into_table()));
        let n = accounts.len();
        let tier_count = resolved.tiers().len();
        let mut computed_counts = vec![0; tier_count];
        let mut in_force: Vec<u16> = (0..n)
            .map(|i| {
                let computed = table.tier_index(i);
                computed_counts[computed] += 1;
                u16::try_from(computed).unwrap_or(u16::MAX)
            })
            .collect();
        // Few accounts are overridden: look each one up rather than every account in the map.
        for (id, o) in overrides.iter() {
            if let (Some(tier), Ok(i)) = (
                resolved.tier_index(&o.tier),
                accounts.binary_search_by(|a| a.id.as_str().cmp(id)),
            ) {
                in_force[i] = u16::try_from(tier).unwrap_or(u16::MAX);
            }
        }
        let mut counts = vec![0; tier_count];
        for &t in &in_force {
            if let Some(c) = counts.get_mut(usize::from(t)) {
                *c += 1;
            }
        }
        let same_accounts = previous.filter(|p| Arc::ptr_eq(&p.accounts, &accounts));
        let by_rank = match same_accounts.filter(|p| Arc::ptr_eq(&p.table, &table)) {
            Some(p) => p.by_rank.clone(),
            None => Arc::new(rank_order(&table, n)),
        };
        let (regions, owners) = match same_accounts {
            Some(p) => (p.regions.clone(), p.owners.clone()),
            None => (
                Arc::new(distinct(accounts.iter().map(|a| a.region.as_deref()))),
                Arc::new(distinct(accounts.iter().map(|a| a.owner.as_deref()))),
            ),
        };
        let names = Arc::new(resolved.tiers().iter().map(|t| t.id.clone()).collect());
        TierState {
            accounts,
            model,
            resolved,
            table,
            overrides,
            in_force,
            by_rank,
            counts,
            computed_counts,
            regions,
            owners,
            names,
            last: Vec::new(),
            seq: 0,
            computed_at: String::new(),
            millis: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    pub fn model(&self) -> &TierModel {
        &self.model
    }

    /// Tiers of the model, best first.
    pub fn tiers(&self) -> &[TierDef] {
        self.resolved.tiers()
    }

    /// How every score is computed, normalisation included.
    pub fn score_rule(&self) -> Rule {
        self.resolved.explain_score()
    }

    /// Regions and owners that occur, sorted, for filters.
    pub fn regions(&self) -> &[String] {
        &self.regions
    }

    pub fn owners(&self) -> &[String] {
        &self.owners
    }

    /// Every account, sorted by id.
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// The recompute this state comes from.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The tier in force of the account at position `i` of [`TierState::accounts`].
    pub fn tier_id(&self, i: usize) -> &str {
        self.tier_def(i).id.as_str()
    }

    /// Position of a tier in the model, 1 = best.
    pub fn tier_level(&self, tier: &str) -> Option<u8> {
        self.resolved
            .tiers()
            .iter()
            .position(|t| t.id == tier)
            .and_then(|p| u8::try_from(p + 1).ok())
    }

    /// The model's tier definition by id (labels in both languages).
    pub fn tier_by_id(&self, tier: &str) -> Option<&TierDef> {
        self.resolved.tiers().iter().find(|t| t.id == tier)
    }

    fn tier_def(&self, i: usize) -> &TierDef {
        let tiers = self.resolved.tiers();
        tiers
            .get(usize::from(self.in_force[i]))
            .unwrap_or(&tiers[tiers.len() - 1])
    }

    /// The owner of account `id`: `None` if there is no such account, `Some(None)` if it has
    /// no owner.
    pub fn owner_of(&self, id: &str) -> Option<Option<&str>> {
        self.position(id).map(|i| self.accounts[i].owner.as_deref())
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.accounts
            .binary_search_by(|a| a.id.as_str().cmp(id))
            .ok()
    }

    fn row(&self, i: usize) -> AccountRow {
        let account = &self.accounts[i];
        let tier = self.tier_def(i);
        AccountRow {
            id: account.id.clone(),
            name: account.name.clone(),
            industry: account.industry.clone(),
            region: account.region.clone(),
            owner: account.owner.clone(),
            tier: tier.id.clone(),
            tier_zh: tier.label_zh.clone(),
            tier_en: tier.label_en.clone(),
            score: self.table.score(i),
            rank: self.table.rank(i),
            percentile: self.table.percentile(i),
            overridden: self.overrides.contains_key(&account.id),
            figures_visible: true,
        }
    }

    /// Tier counts in force, best tier first.
    pub fn summary(&self) -> TierSummary {
        TierSummary {
            seq: self.seq,
            computed_at: self.computed_at.clone(),
            millis: self.millis,
            accounts: self.len(),
            tiers: self
                .resolved
                .tiers()
                .iter()
                .zip(&self.counts)
                .map(|(t, &count)| TierCount {
                    tier: t.id.clone(),
                    label_zh: t.label_zh.clone(),
                    label_en: t.label_en.clone(),
                    count,
                })
                .collect(),
        }
    }
}

/// How many accounts each tier holds after a recompute.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TierSummary {
    /// Recompute sequence number (0 before the first recorded one).
    pub seq: u64,
    pub computed_at: String,
    pub millis: u64,
    pub accounts: usize,
    pub tiers: Vec<TierCount>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TierCount {
    pub tier: String,
    pub label_zh: String,
    pub label_en: String,
    pub count: usize,
}

/// One account as a list entry.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountRow {
    pub id: String,
    pub name: String,
    pub industry: Option<String>,
    pub region: Option<String>,
    pub owner: Option<String>,
    /// Tier in force (override applied).
    pub tier: String,
    pub tier_zh: String,
    pub tier_en: String,
    pub score: Option<f64>,
    pub rank: usize,
    pub percentile: f64,
    pub overridden: bool,
    /// False when the viewer may not see this account's figures (`score` is then `None`).
    pub figures_visible: bool,
}

impl AccountRow {
    /// Removes what would reveal the figures (the score can be the revenue itself).
    pub fn hide_figures(&mut self) {
        self.score = None;
        self.figures_visible = false;
    }
}

/// Filters and paging of the account list. Empty strings mean "any".
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AccountFilter {
    pub tier: Option<String>,
    pub region: Option<String>,
    pub owner: Option<String>,
    /// Page size (default 50).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

/// Default and largest page sizes of the account list.
pub const DEFAULT_PAGE: usize = 50;
pub const MAX_PAGE: usize = 1_000;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountPage {
    /// Accounts matching the filters.
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    /// Best rank first.
    pub accounts: Vec<AccountRow>,
}

/// One account with its tier and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountDetail {
    pub account: Account,
    pub tier: TierAssignment,
    pub tier_zh: String,
    pub tier_en: String,
    /// How every score is computed (normalisation included).
    pub score_rule: Rule,
    /// The last recorded tier change of this account.
    pub last_change: Option<RecordedChange>,
    /// False when the viewer may not see this account's figures: indicators, score and
    /// contributions are then empty.
    pub figures_visible: bool,
}

/// What an import did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Rows stored under an id that was new.
    pub imported: usize,
    /// Rows that replaced a stored account with the same id.
    pub updated: usize,
    /// Rows not stored (each has one or more entries in the errors).
    pub rejected: usize,
    pub ignored_columns: Vec<IgnoredColumn>,
    pub warnings: Vec<String>,
    /// The encoding the file was read in.
    pub encoding: &'static str,
    /// Tiers after the recompute that followed.
    pub tiers: TierSummary,
}

/// A manager's override request; the acting user is passed separately.
#[derive(Debug, Clone, Deserialize)]
pub struct OverrideRequest {
    pub tier: String,
    pub reason: String,
}

/// The Pareto picture of one indicator with the tier bands.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ParetoView {
    pub indicator: Indicator,
    /// `fen` for money indicators (total and bottom10_sum are in fen), else the indicator's
    /// own unit (`cooperation_years` in hundredths of a year).
    pub unit: &'static str,
    #[serde(flatten)]
    pub pareto: Pareto,
    /// Tiers as bands of the x axis (share of accounts, best tier first), from computed tiers.
    pub bands: Vec<TierBand>,
}

/// Accounts, the tier model and overrides, with tiers derived in memory.
pub struct AccountBook {
    store: Store,
    state: RwLock<Arc<TierState>>,
    writer: Mutex<()>,
}

impl AccountBook {
    /// Loads accounts, model and overrides from the store and computes the tiers, recording the
    /// changes against the snapshot of the last run (e.g. after an import from the command
    /// line while the server was stopped). Each account's last change comes from the snapshot.
    pub fn open(store: Store) -> Result<AccountBook, AccountsError> {
        let model = store.tier_model()?.unwrap_or_default();
        let resolved = model.resolve().map_err(AccountsError::InvalidModel)?;
        let read = Instant::now();
        let accounts = Arc::new(store.list_accounts()?);
        let overrides = Arc::new(store.overrides()?);
        tracing::info!(
            accounts = accounts.len(),
            "accounts read from the store in {:?}",
            read.elapsed()
        );
        let started = Instant::now();
        let mut state = TierState::build(
            accounts,
            Arc::new(model),
            Arc::new(resolved),
            overrides,
            None,
            None,
        );
        let snapshot = store.tier_snapshot()?;
        if snapshot.is_some() || !state.is_empty() {
            let seq = store.next_recompute_seq()?;
            let prior = snapshot.as_ref().map(|s| Prior {
                ids: PriorIds::Snapshot(s),
                names: &s.names,
                tiers: &s.tiers,
                last: &s.last,
            });
            let comparison = compare(&mut state, prior, seq);
            drop(snapshot);
            record(&store, &mut state, &comparison, "start", started)?;
        }
        Ok(AccountBook {
            store,
            state: RwLock::new(Arc::new(state)),
            writer: Mutex::new(()),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The current tiers. Cheap: clones an `Arc`.
    pub fn state(&self) -> Arc<TierState> {
        self.state
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Recomputes from the given parts (the rest taken from the current state), records the
    /// changes against the current state and swaps the new state in.
    fn recompute(
        &self,
        trigger: &str,
        accounts: Option<Arc<Vec<Account>>>,
        model: Option<(TierModel, ResolvedModel)>,
        overrides: Option<HashMap<String, TierOverride>>,
    ) -> Result<Arc<TierState>, AccountsError> {
        let started = Instant::now();
        let current = self.state();
        let same_scores = accounts.is_none() && model.is_none();
        let accounts = accounts.unwrap_or_else(|| current.accounts.clone());
        let (model, resolved) = match model {
            Some((model, resolved)) => (Arc::new(model), Arc::new(resolved)),
            None => (current.model.clone(), current.resolved.clone()),
        };
        let overrides = overrides.map_or_else(|| current.overrides.clone(), Arc::new);
        let table = same_scores.then(|| current.table.clone());
        let mut state =
            TierState::build(accounts, model, resolved, overrides, table, Some(&current));
        let seq = self.store.next_recompute_seq()?;
        let prior = Prior {
            ids: PriorIds::Accounts(&current.accounts),
            names: &current.names,
            tiers: &current.in_force,
            last: &current.last,
        };
        let comparison = compare(&mut state, Some(prior), seq);
        record(&self.store, &mut state, &comparison, trigger, started)?;
        let state = Arc::new(state);
        *self.state.write().unwrap_or_else(PoisonError::into_inner) = state.clone();
        Ok(state)
    }

    fn lock_writer(&self) -> std::sync::MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Imports a CSV export (see `domain::import` for what it accepts), then recomputes the
    /// tiers. The file is streamed (never held in memory); the valid rows are collected as
    /// accounts (they join the in-memory set anyway), stored when the file has been read — as
    /// one atomic, flushed sled batch that rewrites only the account chunks they fall into —
    /// and merged into the in-memory set, not read back. Every problem of every rejected row
    /// is passed to `on_error` as it is found. A header problem stores nothing and is an error.
    pub fn import_csv(
        &self,
        input: impl Read,
        trigger: &str,
        on_error: &mut dyn FnMut(&RowError),
    ) -> Result<ImportReport, AccountsError> {
        let _writer = self.lock_writer();
        let mut rows = read_accounts(input).map_err(AccountsError::InvalidCsv)?;
        let ignored_columns = rows.ignored_columns().to_vec();
        let warnings = rows.warnings().to_vec();
        let encoding = rows.encoding().label();
        let mut rejected = 0;
        let mut fresh = Vec::new();
        for row in rows.by_ref() {
            match row {
                Ok(parsed) => fresh.push(parsed.account),
                Err(errors) => {
                    rejected += 1;
                    errors.iter().for_each(&mut *on_error);
                }
            }
        }
        // A file that could not be read to its end (a body cut off at its size limit, a broken
        // connection, a disk error) stores nothing: only a whole file is imported.
        if let Some(error) = rows.read_failed() {
            return Err(AccountsError::ReadFailed(error.to_owned()));
        }
        let (imported, updated, state) = if fresh.is_empty() {
            (0, 0, self.state())
        } else {
            // Ids are unique within a file. A stable sort is near linear on the (often already
            // sorted) exports of a CRM.
            fresh.sort_by(|a, b| a.id.cmp(&b.id));
            let counts = self.store.upsert_accounts(&fresh)?;
            let merged = merge_accounts(&self.state().accounts, fresh);
            let state = self.recompute(trigger, Some(Arc::new(merged)), None, None)?;
            (counts.new, counts.updated, state)
        };
        Ok(ImportReport {
            imported,
            updated,
            rejected,
            ignored_columns,
            warnings,
            encoding,
            tiers: state.summary(),
        })
    }

    /// Replaces the tier model (JSON text, see the README), stores it durably and recomputes.
    /// `by` is the acting user (checked against roles once users exist).
    pub fn set_model_json(&self, json: &str, by: &str) -> Result<Arc<TierState>, AccountsError> {
        let model = TierModel::from_json(json).map_err(AccountsError::InvalidModel)?;
        let resolved = model.resolve().map_err(AccountsError::InvalidModel)?;
        let _writer = self.lock_writer();
        self.store.put_tier_model(&model)?;
        tracing::info!(by, "tier model changed");
        self.recompute("tier_model", None, Some((model, resolved)), None)
    }

    /// Overrides an account's tier with a reason, durably, and recomputes.
    pub fn set_override(
        &self,
        account_id: &str,
        request: OverrideRequest,
        by: &str,
    ) -> Result<AccountDetail, AccountsError> {
        let _writer = self.lock_writer();
        let state = self.state();
        state
            .position(account_id)
            .ok_or_else(|| AccountsError::NotFound(account_id.to_owned()))?;
        let tier = request.tier.trim();
        if state.resolved.tier_index(tier).is_none() {
            let known: Vec<&str> = state.tiers().iter().map(|t| t.id.as_str()).collect();
            return Err(AccountsError::InvalidOverride(format!(
                "tier: unknown tier {tier:?} (expected one of {})",
                known.join(", ")
            )));
        }
        let reason = request.reason.trim();
        if reason.is_empty() {
            return Err(AccountsError::InvalidOverride(
                "reason: say why this account is overridden (required)".to_owned(),
            ));
        }
        let by = by.trim();
        if by.is_empty() {
            return Err(AccountsError::InvalidOverride(
                "by: name who overrides the tier (required)".to_owned(),
            ));
        }
        let value = TierOverride {
            tier: tier.to_owned(),
            reason: reason.to_owned(),
            by: by.to_owned(),
            at: now_rfc3339(),
        };
        self.store.put_override(account_id, &value)?;
        let mut overrides = (*state.overrides).clone();
        overrides.insert(account_id.to_owned(), value);
        self.recompute("override", None, None, Some(overrides))?;
        drop(_writer);
        self.account(account_id, |_| true)
    }

    /// Removes an account's override (if any), durably, and recomputes.
    pub fn remove_override(
        &self,
        account_id: &str,
        by: &str,
    ) -> Result<AccountDetail, AccountsError> {
        let _writer = self.lock_writer();
        let state = self.state();
        state
            .position(account_id)
            .ok_or_else(|| AccountsError::NotFound(account_id.to_owned()))?;
        if self.store.remove_override(account_id)?.is_some() {
            tracing::info!(by, account_id, "tier override removed");
            let mut overrides = (*state.overrides).clone();
            overrides.remove(account_id);
            self.recompute("override", None, None, Some(overrides))?;
        }
        drop(_writer);
        self.account(account_id, |_| true)
    }

    /// An account with its explained tier and last change. `may_see_figures` is asked with the
    /// account as stored now; without the figures, the detail has no indicators, score or
    /// contributions, and its rule text is built without them.
    pub fn account(
        &self,
        id: &str,
        may_see_figures: impl FnOnce(&Account) -> bool,
    ) -> Result<AccountDetail, AccountsError> {
        let state = self.state();
        let i = state
            .position(id)
            .ok_or_else(|| AccountsError::NotFound(id.to_owned()))?;
        let mut account = state.accounts[i].clone();
        let figures_visible = may_see_figures(&account);
        let figures = if figures_visible {
            Figures::Shown
        } else {
            account.indicators = Indicators::default();
            Figures::Hidden
        };
        let tier = state.table.assignment(
            &state.resolved,
            &state.accounts,
            i,
            &state.overrides,
            figures,
        );
        let def = state.tier_def(i);
        Ok(AccountDetail {
            account,
            tier_zh: def.label_zh.clone(),
            tier_en: def.label_en.clone(),
            tier,
            score_rule: state.resolved.explain_score(),
            last_change: self.last_change(&state, i)?,
            figures_visible,
        })
    }

    /// Account `i`'s last recorded change, with the time and trigger of its recompute.
    fn last_change(
        &self,
        state: &TierState,
        i: usize,
    ) -> Result<Option<RecordedChange>, AccountsError> {
        let last = state.last.get(i).copied().unwrap_or(LastChange::NONE);
        if last.is_none() {
            return Ok(None);
        }
        let name = |n: u16| state.names.get(usize::from(n)).cloned();
        let run = self.store.recompute(last.seq)?;
        Ok(Some(RecordedChange {
            seq: last.seq,
            at: run.as_ref().map(|r| r.at.clone()).unwrap_or_default(),
            trigger: run.map(|r| r.trigger).unwrap_or_default(),
            account_id: state.accounts[i].id.clone(),
            from: name(last.from),
            to: name(last.to).unwrap_or_default(),
            direction: last.direction,
        }))
    }

    /// Accounts filtered by tier in force, region and owner, best rank first, one page.
    pub fn list(&self, filter: &AccountFilter) -> Result<AccountPage, AccountsError> {
        let state = self.state();
        let wanted = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let tier = match wanted(&filter.tier) {
            None => None,
            Some(tier) => Some(state.resolved.tier_index(&tier).ok_or_else(|| {
                let known: Vec<&str> = state.tiers().iter().map(|t| t.id.as_str()).collect();
                AccountsError::InvalidFilter(format!(
                    "tier: unknown tier {tier:?} (expected one of {})",
                    known.join(", ")
                ))
            })?),
        };
        let region = wanted(&filter.region);
        let owner = wanted(&filter.owner);
        let limit = filter.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(AccountsError::InvalidFilter(format!(
                "limit: {limit} is out of range (1–{MAX_PAGE})"
            )));
        }
        let offset = filter.offset.unwrap_or(0);
        let matches = state.by_rank.iter().map(|&i| i as usize).filter(|&i| {
            let account = &state.accounts[i];
            tier.is_none_or(|t| usize::from(state.in_force[i]) == t)
                && region
                    .as_deref()
                    .is_none_or(|r| account.region.as_deref() == Some(r))
                && owner
                    .as_deref()
                    .is_none_or(|o| account.owner.as_deref() == Some(o))
        });
        let mut total = 0;
        let mut accounts = Vec::new();
        for i in matches {
            if total >= offset && accounts.len() < limit {
                accounts.push(state.row(i));
            }
            total += 1;
        }
        Ok(AccountPage {
            total,
            offset,
            limit,
            accounts,
        })
    }

    /// The Pareto figures of one indicator (`revenue`, `profit`, …) with the tier bands.
    pub fn pareto(&self, indicator: &str) -> Result<ParetoView, AccountsError> {
        let indicator = Indicator::parse(indicator.trim()).ok_or_else(|| {
            let known: Vec<&str> = Indicator::ALL.iter().map(|i| i.name()).collect();
            AccountsError::InvalidIndicator(format!(
                "indicator: unknown indicator {indicator:?} (expected one of {})",
                known.join(", ")
            ))
        })?;
        let state = self.state();
        Ok(ParetoView {
            indicator,
            unit: if indicator.is_money() {
                "fen"
            } else if indicator == Indicator::CooperationYears {
                "hundredths of a year"
            } else {
                "count"
            },
            pareto: pareto_for(&state.accounts, indicator),
            bands: tier_bands_from_counts(&state.resolved, &state.computed_counts),
        })
    }

    /// The most recent recorded tier changes, newest first.
    pub fn recent_changes(&self, limit: usize) -> Result<Vec<RecordedChange>, AccountsError> {
        Ok(self.store.recent_changes(limit)?)
    }
}

/// Account positions best rank first, ties in position (= id) order: a counting sort on the
/// competition ranks (1..=n), linear in the number of accounts.
fn rank_order(table: &TierTable, n: usize) -> Vec<u32> {
    let rank = |i: usize| table.rank(i).clamp(1, n.max(1));
    let mut next = vec![0u32; n + 2];
    for i in 0..n {
        next[rank(i) + 1] += 1;
    }
    for r in 1..next.len() {
        next[r] += next[r - 1];
    }
    let mut order = vec![0u32; n];
    for i in 0..n {
        let slot = &mut next[rank(i)];
        order[*slot as usize] = i as u32;
        *slot += 1;
    }
    order
}

/// The distinct values that occur, sorted (byte order).
fn distinct<'a>(values: impl Iterator<Item = Option<&'a str>>) -> Vec<String> {
    let set: HashSet<&str> = values.flatten().collect();
    let mut list: Vec<String> = set.into_iter().map(str::to_owned).collect();
    list.sort_unstable();
    list
}

/// Merges imported accounts (sorted by id, unique) into the current ones (sorted by id): an
/// imported account replaces the one with its id.
fn merge_accounts(current: &[Account], fresh: Vec<Account>) -> Vec<Account> {
    let mut merged = Vec::with_capacity(current.len() + fresh.len());
    let mut old = current.iter().peekable();
    for account in fresh {
        while let Some(a) = old.next_if(|a| a.id < account.id) {
            merged.push(a.clone());
        }
        old.next_if(|a| a.id == account.id);
        merged.push(account);
    }
    merged.extend(old.cloned());
    merged
}

/// The ids of the previous tiers: the previous state's accounts or the stored snapshot.
enum PriorIds<'a> {
    Accounts(&'a Arc<Vec<Account>>),
    Snapshot(&'a TierSnapshot),
}

impl PriorIds<'_> {
    fn len(&self) -> usize {
        match self {
            PriorIds::Accounts(a) => a.len(),
            PriorIds::Snapshot(s) => s.len(),
        }
    }

    fn id(&self, i: usize) -> &str {
        match self {
            PriorIds::Accounts(a) => &a[i].id,
            PriorIds::Snapshot(s) => s.id(i),
        }
    }
}

/// The tiers in force before a recompute, sorted by id, with their last changes; tier names
/// are indexes into `names`.
struct Prior<'a> {
    ids: PriorIds<'a>,
    names: &'a [String],
    tiers: &'a [u16],
    last: &'a [LastChange],
}

/// What a recompute found, compared with the tiers before it.
struct Comparison {
    /// The recompute's sequence number.
    seq: u64,
    /// Positions (ascending) of the accounts whose tier in force changed.
    changed: Vec<u32>,
    snapshot: SnapshotScope,
}

/// Compares the new tiers in force with the prior ones, fills in `state.names` and
/// `state.last` (the change of this recompute, `seq`, for accounts that moved; the prior last
/// change for the others) and says which accounts changed. Linear in the number of accounts,
/// and without comparing ids at all when the accounts are the prior state's own.
///
/// Same rules as [`crate::domain::tiering::tier_changes`]: unchanged accounts are left out,
/// accounts only in the prior tiers are not reported, `up` is toward the model's first tier,
/// `new` for accounts without a prior tier, `changed` when the prior tier is not one of the
/// model's.
fn compare(state: &mut TierState, prior: Option<Prior<'_>>, seq: u64) -> Comparison {
    let n = state.accounts.len();
    let tier_count = state.resolved.tiers().len();
    let mut names: Vec<String> = state
        .resolved
        .tiers()
        .iter()
        .map(|t| t.id.clone())
        .collect();
    let mut last = Vec::with_capacity(n);
    let mut changed = Vec::new();
    let first = |to: u16| LastChange {
        seq,
        from: NO_TIER,
        to,
        direction: Direction::New,
    };
    let Some(prior) = prior else {
        for (i, &to) in state.in_force.iter().enumerate() {
            last.push(first(to));
            changed.push(i as u32);
        }
        state.names = Arc::new(names);
        state.last = last;
        return Comparison {
            seq,
            changed,
            snapshot: SnapshotScope::Full,
        };
    };
    // Prior name index → new name index (the model's tiers first, other names kept after).
    let remap: Vec<u16> = prior
        .names
        .iter()
        .map(|name| match names.iter().position(|n| n == name) {
            Some(i) => i as u16,
            None => {
                names.push(name.clone());
                (names.len() - 1) as u16
            }
        })
        .collect();
    let map = |i: u16| remap.get(usize::from(i)).copied().unwrap_or(NO_TIER);
    let same_positions =
        matches!(prior.ids, PriorIds::Accounts(a) if Arc::ptr_eq(a, &state.accounts));
    let mut aligned = prior.ids.len() == n;
    let mut j = 0;
    for i in 0..n {
        let to = state.in_force[i];
        let found = if same_positions {
            Some(i)
        } else {
            let id = state.accounts[i].id.as_str();
            while j < prior.ids.len() && prior.ids.id(j) < id {
                j += 1;
                aligned = false;
            }
            if j < prior.ids.len() && prior.ids.id(j) == id {
                j += 1;
                Some(j - 1)
            } else {
                aligned = false;
                None
            }
        };
        let Some(k) = found else {
            last.push(first(to));
            changed.push(i as u32);
            continue;
        };
        let from = map(prior.tiers[k]);
        if from == to {
            let kept = prior.last.get(k).copied().unwrap_or(LastChange::NONE);
            last.push(if kept.is_none() {
                kept
            } else {
                LastChange {
                    from: if kept.from == NO_TIER {
                        NO_TIER
                    } else {
                        map(kept.from)
                    },
                    to: map(kept.to),
                    ..kept
                }
            });
            continue;
        }
        let direction = if usize::from(from) < tier_count {
            if to < from {
                Direction::Up
            } else {
                Direction::Down
            }
        } else {
            Direction::Changed
        };
        last.push(LastChange {
            seq,
            from,
            to,
            direction,
        });
        changed.push(i as u32);
    }
    state.names = Arc::new(names);
    state.last = last;
    let snapshot = if !aligned {
        SnapshotScope::Full
    } else if changed.is_empty() {
        SnapshotScope::Keep
    } else {
        SnapshotScope::ChangedChunks
    };
    Comparison {
        seq,
        changed,
        snapshot,
    }
}

/// Records a recompute durably (its changes, the snapshot chunks that changed, the run) and
/// stamps the state with its sequence number and time.
fn record(
    store: &Store,
    state: &mut TierState,
    comparison: &Comparison,
    trigger: &str,
    started: Instant,
) -> Result<(), AccountsError> {
    let mut by_direction = [0usize; 4];
    for &p in &comparison.changed {
        let slot = match state.last[p as usize].direction {
            Direction::Up => 0,
            Direction::Down => 1,
            Direction::New => 2,
            Direction::Changed => 3,
        };
        by_direction[slot] += 1;
    }
    state.seq = comparison.seq;
    state.computed_at = now_rfc3339();
    state.millis = started.elapsed().as_millis() as u64;
    let record = RecomputeRecord {
        seq: state.seq,
        at: state.computed_at.clone(),
        trigger: trigger.to_owned(),
        accounts: state.len(),
        counts: state
            .summary()
            .tiers
            .into_iter()
            .map(|t| (t.tier, t.count))
            .collect(),
        up: by_direction[0],
        down: by_direction[1],
        new: by_direction[2],
        changed: by_direction[3],
        millis: state.millis,
    };
    store.record_recompute(&RecomputeWrite {
        record: &record,
        names: &state.names,
        accounts: &state.accounts,
        tiers: &state.in_force,
        last: &state.last,
        changed: &comparison.changed,
        snapshot: comparison.snapshot,
    })?;
    tracing::info!(
        seq = record.seq,
        trigger,
        accounts = record.accounts,
        up = record.up,
        down = record.down,
        new = record.new,
        millis = record.millis,
        "tiers recomputed"
    );
    Ok(())
}

/// `tiers.csv`, produced in chunks from one state so a million rows stream without building
/// the whole file: UTF-8 with a byte-order mark (so Excel opens Chinese names correctly),
/// CRLF line ends, fields quoted when needed, text cells that a spreadsheet would evaluate
/// prefixed with `'` ([`text_cell`]), accounts best rank first.
pub struct TiersCsv {
    state: Arc<TierState>,
    next: usize,
    header_done: bool,
}

/// Rows per chunk of [`TiersCsv`].
const CSV_CHUNK_ROWS: usize = 2_000;

impl TiersCsv {
    pub fn new(state: Arc<TierState>) -> TiersCsv {
        TiersCsv {
            state,
            next: 0,
            header_done: false,
        }
    }

    fn writer() -> csv::Writer<Vec<u8>> {
        csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::with_capacity(64 * 1024))
    }
}

impl Iterator for TiersCsv {
    type Item = Result<Vec<u8>, csv::Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let state = &self.state;
        if self.header_done && self.next >= state.by_rank.len() {
            return None;
        }
        let mut writer = TiersCsv::writer();
        let mut prefix = Vec::new();
        if !self.header_done {
            self.header_done = true;
            prefix.extend_from_slice("\u{feff}".as_bytes());
            if let Err(e) =
                writer.write_record(["id", "name", "tier", "score", "rank", "percentile"])
            {
                return Some(Err(e));
            }
        }
        let end = (self.next + CSV_CHUNK_ROWS).min(state.by_rank.len());
        for &i in &state.by_rank[self.next..end] {
            let i = i as usize;
            let account = &state.accounts[i];
            let score = state
                .table
                .score(i)
                .map(|s| format!("{}", (s * 10_000.0).round() / 10_000.0))
                .unwrap_or_default();
            let record = [
                &*text_cell(&account.id),
                &*text_cell(&account.name),
                &*text_cell(state.tier_id(i)),
                &score,
                &state.table.rank(i).to_string(),
                &format!("{:.2}", state.table.percentile(i)),
            ];
            if let Err(e) = writer.write_record(record) {
                return Some(Err(e));
            }
        }
        self.next = end;
        Some(
            writer
                .into_inner()
                .map(|bytes| {
                    prefix.extend_from_slice(&bytes);
                    prefix
                })
                .map_err(|e| e.into_error().into()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "id,name,region,owner,revenue,profit,collected\n\
        A,甲公司,华东,zhang.wei,1000,100,1000\n\
        B,乙公司,华东,li.na,500,50,500\n\
        C,\"丙, 公司\",华南,li.na,100,10,100\n\
        D,丁公司,华南,zhang.wei,10,1,10\n";

    fn book() -> (tempfile::TempDir, AccountBook) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (dir, AccountBook::open(store).unwrap())
    }

    fn no_errors(error: &RowError) {
        panic!("unexpected row error: {error}");
    }

    #[test]
    fn an_import_is_tiered_and_the_first_account_is_strategic() {
        let (_dir, book) = book();
        let report = book
            .import_csv(CSV.as_bytes(), "import", &mut no_errors)
            .unwrap();
        assert_eq!(
            (report.imported, report.updated, report.rejected),
            (4, 0, 0)
        );
        let page = book.list(&AccountFilter::default()).unwrap();
        let tiers: Vec<(&str, &str)> = page
            .accounts
            .iter()
            .map(|r| (r.id.as_str(), r.tier.as_str()))
            .collect();
        assert_eq!(
            tiers,
            [
                ("A", "strategic"),
                ("B", "ordinary"),
                ("C", "small"),
                ("D", "small")
            ]
        );
    }

    #[test]
    fn tiers_survive_a_restart_without_recording_changes_again() {
        let dir = tempfile::tempdir().unwrap();
        {
            let book = AccountBook::open(Store::open(dir.path()).unwrap()).unwrap();
            book.import_csv(CSV.as_bytes(), "import", &mut no_errors)
                .unwrap();
            assert_eq!(book.recent_changes(100).unwrap().len(), 4);
        }
        let book = AccountBook::open(Store::open(dir.path()).unwrap()).unwrap();
        assert_eq!(book.recent_changes(100).unwrap().len(), 4);
        assert_eq!(book.state().summary().tiers[0].count, 1);
    }

    #[test]
    fn the_counting_sort_by_rank_matches_a_stable_sort_with_ties_and_unscored_accounts() {
        let csv: String = std::iter::once("id,name,revenue\n".to_owned())
            .chain((0..300).map(|i| {
                // Ties (revenue repeats every 7), and every 11th account has no revenue.
                let revenue = if i % 11 == 0 {
                    String::new()
                } else {
                    ((i * 37) % 7).to_string()
                };
                format!("K{i:03},n,{revenue}\n")
            }))
            .collect();
        let (_dir, book) = book();
        book.import_csv(csv.as_bytes(), "import", &mut no_errors)
            .unwrap();
        let state = book.state();
        let mut expected: Vec<u32> = (0..state.len() as u32).collect();
        expected.sort_by_key(|&i| state.table.rank(i as usize));
        assert_eq!(*state.by_rank, expected);
        assert_eq!(rank_order(&state.table, state.len()), expected);
    }

    #[test]
    fn a_renamed_tier_is_a_change_whose_old_name_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        {
            let book = AccountBook::open(Store::open(dir.path()).unwrap()).unwrap();
            book.import_csv(CSV.as_bytes(), "import", &mut no_errors)
                .unwrap();
            // `vip` renames the first tier: A goes from `strategic` to `vip`, no order known.
            book.set_model_json(r#"{"preset":"vip"}"#, "admin").unwrap();
            let change = book.account("A", |_| true).unwrap().last_change.unwrap();
            assert_eq!(
                (change.from.as_deref(), change.to.as_str(), change.direction),
                (Some("strategic"), "vip", Direction::Changed)
            );
            assert_eq!(change.trigger, "tier_model");
            // B drops from `ordinary` (a name both models have); C stays `small`: its last
            // change is still its first.
            let b = book.account("B", |_| true).unwrap().last_change.unwrap();
            assert_eq!((b.direction, b.to.as_str()), (Direction::Down, "small"));
            let c = book.account("C", |_| true).unwrap().last_change.unwrap();
            assert_eq!((c.direction, c.seq), (Direction::New, 1));
        }
        // sled may hold the file lock for a moment after the last handle is dropped.
        let store = (0..50)
            .find_map(|_| match Store::open(dir.path()) {
                Err(StoreError::Open { .. }) => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    None
                }
                result => Some(result.unwrap()),
            })
            .unwrap();
        let book = AccountBook::open(store).unwrap();
        let change = book.account("A", |_| true).unwrap().last_change.unwrap();
        assert_eq!(
            (change.from.as_deref(), change.to.as_str(), change.direction),
            (Some("strategic"), "vip", Direction::Changed)
        );
        assert_eq!(
            book.account("C", |_| true)
                .unwrap()
                .last_change
                .unwrap()
                .seq,
            1
        );
        // The restart found nothing new to record: 4 new, then A and B.
        assert_eq!(book.recent_changes(100).unwrap().len(), 6);
        let run = book.store().last_recompute().unwrap().unwrap();
        assert_eq!(
            (
                run.trigger.as_str(),
                run.up + run.down + run.new + run.changed
            ),
            ("start", 0)
        );
    }

    #[test]
    fn importing_into_the_middle_keeps_every_account_and_its_last_change() {
        let (_dir, book) = book();
        book.import_csv(CSV.as_bytes(), "import", &mut no_errors)
            .unwrap();
        let report = book
            .import_csv(
                "id,name,revenue\nBB,乙乙,700\nA,甲公司,1000\n0,零,1\n".as_bytes(),
                "import",
                &mut no_errors,
            )
            .unwrap();
        assert_eq!((report.imported, report.updated), (2, 1));
        let ids: Vec<String> = book
            .store()
            .list_accounts()
            .unwrap()
            .into_iter()
            .map(|a| a.id)
            .collect();
        assert_eq!(ids, ["0", "A", "B", "BB", "C", "D"]);
        assert_eq!(book.state().len(), 6);
        let bb = book.account("BB", |_| true).unwrap().last_change.unwrap();
        assert_eq!((bb.direction, bb.seq), (Direction::New, 2));
        // Every account's last change leads to the tier it is in.
        for row in book.list(&AccountFilter::default()).unwrap().accounts {
            let change = book
                .account(&row.id, |_| true)
                .unwrap()
                .last_change
                .unwrap();
            assert_eq!(change.to, row.tier, "{}", row.id);
        }
        let a = book.account("A", |_| true).unwrap();
        assert_eq!(a.account.indicators.profit, None, "replaced, not merged");
    }

    #[test]
    fn an_override_wins_over_the_computed_tier_and_is_recorded_as_a_change() {
        let (_dir, book) = book();
        book.import_csv(CSV.as_bytes(), "import", &mut no_errors)
            .unwrap();
        let detail = book
            .set_override(
                "D",
                OverrideRequest {
                    tier: "major".into(),
                    reason: "signed a framework contract".into(),
                },
                "li.na",
            )
            .unwrap();
        assert_eq!(detail.tier.tier, "major");
        assert_eq!(detail.tier.computed_tier, "small");
        let change = detail.last_change.unwrap();
        assert_eq!(
            (change.direction, change.to.as_str()),
            (Direction::Up, "major")
        );
        let detail = book.remove_override("D", "li.na").unwrap();
        assert_eq!(detail.tier.tier, "small");
        assert_eq!(detail.last_change.unwrap().direction, Direction::Down);
    }

    #[test]
    fn the_tiers_csv_has_a_bom_a_header_and_quotes_commas() {
        let (_dir, book) = book();
        book.import_csv(CSV.as_bytes(), "import", &mut no_errors)
            .unwrap();
        let bytes: Vec<u8> = TiersCsv::new(book.state())
            .map(|chunk| chunk.unwrap())
            .collect::<Vec<_>>()
            .concat();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("\u{feff}id,name,tier,score,rank,percentile\r\n"));
        assert!(text.contains("\r\nC,\"丙, 公司\",small,"), "{text}");
        assert_eq!(text.lines().count(), 5);
    }
}
