//! The account book: one writer for imports, model changes and overrides, each followed by a
//! recompute; reads from the current state.

use super::*;

/// The tiers of what the store holds (accounts, model, overrides), before any comparison with
/// the past; and the moment the inputs were read (a recompute's time starts there).
fn state_from_store(store: &Store) -> Result<(TierState, Instant), AccountsError> {
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
    let state = TierState::build(
        accounts,
        Arc::new(model),
        Arc::new(resolved),
        overrides,
        None,
        None,
    );
    Ok((state, started))
}

/// The writer's place, held while importing, changing the model or an override (see
/// [`AccountBook::lock_writer`]).
pub(super) struct Writer<'a> {
    _node: std::sync::MutexGuard<'a, ()>,
    _shared: crate::store::kv::KvLock,
}

/// Accounts, the tier model and overrides, with tiers derived in memory.
pub struct AccountBook {
    pub(super) store: Store,
    pub(super) state: RwLock<Arc<TierState>>,
    pub(super) writer: Mutex<()>,
}

impl AccountBook {
    /// Loads accounts, model and overrides from the store and computes the tiers, recording the
    /// changes against the snapshot of the last run (e.g. after an import from the command
    /// line while the server was stopped). Each account's last change comes from the snapshot.
    pub fn open(store: Store) -> Result<AccountBook, AccountsError> {
        let (mut state, started) = state_from_store(&store)?;
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
    pub(super) fn recompute(
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

    /// Takes the writer's place: this node's mutex and, on a shared store, the lock every
    /// node's account book takes; then brings the state up to what other nodes recorded, so
    /// the write builds on the latest accounts.
    pub(super) fn lock_writer(&self) -> Result<Writer<'_>, AccountsError> {
        let node = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let shared = self.store.lock(LockKey::AccountsWriter)?;
        self.load_newer_state()?;
        Ok(Writer {
            _node: node,
            _shared: shared,
        })
    }

    /// On a shared store: when another node recorded a recompute after this node's state,
    /// loads what it left (waiting for a write in progress there) and swaps it in. Returns
    /// whether it did. Nothing to do on sled: this process makes every change.
    pub fn catch_up(&self) -> Result<bool, AccountsError> {
        let behind = self.store.is_shared()
            && self
                .store
                .last_recompute()?
                .is_some_and(|last| last.seq > self.state().seq());
        if behind {
            drop(self.lock_writer()?);
        }
        Ok(behind)
    }

    /// Loads the accounts, model and overrides when the store holds a later recompute than
    /// the current state (another node's), with each account's last change from the snapshot
    /// that recompute wrote; records nothing. Called with the writer's locks held.
    fn load_newer_state(&self) -> Result<(), AccountsError> {
        if !self.store.is_shared() {
            // One process makes every change: its state is the newest.
            return Ok(());
        }
        let Some(last) = self.store.last_recompute()? else {
            return Ok(());
        };
        if last.seq <= self.state().seq() {
            return Ok(());
        }
        let (mut state, _) = state_from_store(&self.store)?;
        let snapshot = self.store.tier_snapshot()?;
        let prior = snapshot.as_ref().map(|s| Prior {
            ids: PriorIds::Snapshot(s),
            names: &s.names,
            tiers: &s.tiers,
            last: &s.last,
        });
        compare(&mut state, prior, last.seq);
        drop(snapshot);
        state.seq = last.seq;
        state.computed_at = last.at.clone();
        state.millis = last.millis;
        *self.state.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(state);
        tracing::info!(
            seq = last.seq,
            trigger = last.trigger,
            "tiers loaded from the shared store (a recompute of another node)"
        );
        Ok(())
    }

    /// Replaces the tier model (JSON text, see docs/tier-model.md), stores it durably and
    /// recomputes.
    /// `by` is the acting user (checked against roles once users exist).
    pub fn set_model_json(&self, json: &str, by: &str) -> Result<Arc<TierState>, AccountsError> {
        let model = TierModel::from_json(json).map_err(AccountsError::InvalidModel)?;
        let resolved = model.resolve().map_err(AccountsError::InvalidModel)?;
        let _writer = self.lock_writer()?;
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
        let _writer = self.lock_writer()?;
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
        let _writer = self.lock_writer()?;
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
    pub(super) fn last_change(
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
            account_id: state.accounts[i].id.to_string(),
            from: name(last.from),
            to: name(last.to).unwrap_or_default(),
            direction: last.direction,
        }))
    }

    /// Accounts filtered by tier in force, region and owner, best rank first, one page.
    pub fn list(&self, filter: &AccountFilter) -> Result<AccountList, AccountsError> {
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
        Ok(AccountList {
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
            unit: indicator.unit(),
            pareto: pareto_for(&state.accounts, indicator),
            bands: tier_bands_from_counts(&state.resolved, &state.computed_counts),
        })
    }

    /// The most recent recorded tier changes, newest first.
    pub fn recent_changes(&self, limit: usize) -> Result<Vec<RecordedChange>, AccountsError> {
        Ok(self.store.recent_changes(limit)?)
    }
}
