//! The tiers of every account as of one recompute (TierState): accounts, model, table, tiers in
//! force, rank order, counts, owners, with what is needed to explain them.

use super::*;

/// The tiers of every account as of one recompute, with what is needed to explain them.
pub struct TierState {
    /// Every account, sorted by id (byte order, as the store lists them).
    pub(super) accounts: Arc<Vec<Account>>,
    pub(super) model: Arc<TierModel>,
    pub(super) resolved: Arc<ResolvedModel>,
    pub(super) table: Arc<TierTable>,
    pub(super) overrides: Arc<HashMap<String, TierOverride>>,
    /// Index of the tier in force (override applied) per account; also an index into `names`.
    pub(super) in_force: Vec<u16>,
    /// Account positions, best rank first (ties by id).
    pub(super) by_rank: Arc<Vec<u32>>,
    /// Accounts per tier in force, best tier first.
    pub(super) counts: Vec<usize>,
    /// Accounts per computed tier (overrides ignored), for the Pareto bands.
    pub(super) computed_counts: Vec<usize>,
    pub(super) regions: Arc<Vec<String>>,
    pub(super) owners: Arc<Vec<String>>,
    /// The tier names `last` refers to: the model's tiers first, in order (so a tier index is
    /// also a name index), then names of earlier models that recorded changes still refer to.
    pub(super) names: Arc<Vec<String>>,
    /// Each account's last recorded tier change (aligned with `accounts`).
    pub(super) last: Vec<LastChange>,
    pub(super) seq: u64,
    pub(super) computed_at: String,
    pub(super) millis: u64,
}

impl TierState {
    /// Scores (unless `table` is given), applies overrides and prepares the lists. Parts that
    /// depend only on the accounts (and the table) are shared with `previous` when it was
    /// built from the same ones. `names` and `last` are filled in by [`compare`].
    pub(super) fn build(
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

    /// The tier definition in force for the account at position `i`.
    pub fn tier_def_of(&self, i: usize) -> &TierDef {
        self.tier_def(i)
    }

    /// Account positions, best rank first (ties by id).
    pub fn rank_order(&self) -> &[u32] {
        &self.by_rank
    }

    /// The account's rank (1 = best) in the computed table.
    pub fn rank_of(&self, i: usize) -> usize {
        self.table.rank(i)
    }

    /// Account `i`'s last recorded tier change as ids: `(seq, from, to, direction)`; `None`
    /// when none was recorded. `from` is `None` for an account tiered for the first time.
    pub fn last_change_of(
        &self,
        i: usize,
    ) -> Option<(u64, Option<&str>, &str, crate::domain::tiering::Direction)> {
        let last = self.last.get(i).copied()?;
        if last.is_none() {
            return None;
        }
        let name = |n: u16| self.names.get(usize::from(n)).map(String::as_str);
        Some((last.seq, name(last.from), name(last.to)?, last.direction))
    }

    pub(super) fn tier_def(&self, i: usize) -> &TierDef {
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

    pub(super) fn position(&self, id: &str) -> Option<usize> {
        self.accounts
            .binary_search_by(|a| a.id.as_str().cmp(id))
            .ok()
    }

    pub(super) fn row(&self, i: usize) -> AccountRow {
        let account = &self.accounts[i];
        let tier = self.tier_def(i);
        AccountRow {
            id: account.id.to_string(),
            name: account.name.to_string(),
            industry: account.industry.as_deref().map(str::to_owned),
            region: account.region.as_deref().map(str::to_owned),
            owner: account.owner.as_deref().map(str::to_owned),
            tier: tier.id.clone(),
            tier_zh: tier.label_zh.clone(),
            tier_en: tier.label_en.clone(),
            score: self.table.score(i),
            rank: self.table.rank(i),
            percentile: self.table.percentile(i),
            overridden: self.overrides.contains_key(account.id.as_str()),
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
