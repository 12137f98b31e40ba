//! A recompute: ranks, merges, the comparison with the previous tiers and the recorded run (change
//! log and snapshot in one transaction).

use super::*;

/// Account positions best rank first, ties in position (= id) order: a counting sort on the
/// competition ranks (1..=n), linear in the number of accounts.
pub(super) fn rank_order(table: &TierTable, n: usize) -> Vec<u32> {
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
pub(super) fn distinct<'a>(values: impl Iterator<Item = Option<&'a str>>) -> Vec<String> {
    let set: HashSet<&str> = values.flatten().collect();
    let mut list: Vec<String> = set.into_iter().map(str::to_owned).collect();
    list.sort_unstable();
    list
}

/// Merges imported accounts (sorted by id, unique) into the current ones (sorted by id): an
/// imported account replaces the one with its id.
pub(super) fn merge_accounts(current: &[Account], fresh: Vec<Account>) -> Vec<Account> {
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
pub(super) enum PriorIds<'a> {
    Accounts(&'a Arc<Vec<Account>>),
    Snapshot(&'a TierSnapshot),
}

impl PriorIds<'_> {
    pub(super) fn len(&self) -> usize {
        match self {
            PriorIds::Accounts(a) => a.len(),
            PriorIds::Snapshot(s) => s.len(),
        }
    }

    pub(super) fn id(&self, i: usize) -> &str {
        match self {
            PriorIds::Accounts(a) => &a[i].id,
            PriorIds::Snapshot(s) => s.id(i),
        }
    }
}

/// The tiers in force before a recompute, sorted by id, with their last changes; tier names
/// are indexes into `names`.
pub(super) struct Prior<'a> {
    pub(super) ids: PriorIds<'a>,
    pub(super) names: &'a [String],
    pub(super) tiers: &'a [u16],
    pub(super) last: &'a [LastChange],
}

/// What a recompute found, compared with the tiers before it.
pub(super) struct Comparison {
    /// The recompute's sequence number.
    pub(super) seq: u64,
    /// Positions (ascending) of the accounts whose tier in force changed.
    pub(super) changed: Vec<u32>,
    pub(super) snapshot: SnapshotScope,
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
pub(super) fn compare(state: &mut TierState, prior: Option<Prior<'_>>, seq: u64) -> Comparison {
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
pub(super) fn record(
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
