//! Accounts, the tier model, tier overrides and the tier history in sled.
//!
//! Tree names and key layouts are the constants below. Values are JSON of domain types except
//! the tier snapshot, a compact binary list (one entry per account, see [`TIER_SNAPSHOT_TREE`]).
//! Computed tiers themselves are **not** stored: they are derived from the accounts, the model
//! and the overrides at start and after every change (`crate::accounts`). What is stored of
//! them is only what change detection needs: the tiers in force at the last recompute and the
//! changes each recompute found. Every mutating method flushes before it returns.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{Store, StoreError};
use crate::domain::account::Account;
use crate::domain::tiering::{Direction, TierChange, TierModel, TierOverride};

/// Tree `accounts`: key = account id (UTF-8), value = JSON [`Account`]. Sled keeps keys in byte
/// order, so a full scan returns accounts sorted by id.
pub const ACCOUNTS_TREE: &str = "accounts";
/// Tree `overrides`: key = account id, value = JSON [`TierOverride`] (`tier`, `reason`, `by`,
/// `at`).
pub const OVERRIDES_TREE: &str = "overrides";
/// Key in the `meta` tree holding the tier model as JSON ([`TierModel`]). Absent = the default
/// model.
pub const TIER_MODEL_KEY: &str = "tier_model";
/// Tree `tier_snapshot`: the tiers in force at the last recompute, for change detection.
/// Key `tiers` = JSON list of the tier ids the entries refer to; keys `c` + chunk number
/// (u32 big-endian) = up to [`SNAPSHOT_CHUNK`] entries, in account-id order, each encoded as
/// tier index (u16 LE), id length in bytes (u16 LE), id bytes. Rewritten as one atomic batch.
pub const TIER_SNAPSHOT_TREE: &str = "tier_snapshot";
/// Tree `tier_runs`: key = recompute sequence number (u64 big-endian), value = JSON
/// [`RecomputeRecord`].
pub const TIER_RUNS_TREE: &str = "tier_runs";
/// Tree `tier_changes`: key = sequence (u64 BE) + account id, value = JSON [`RecordedChange`].
/// Scanned backwards for the most recent changes.
pub const TIER_CHANGES_TREE: &str = "tier_changes";
/// Tree `tier_changes_by_account`: key = account id + 0x00 + sequence (u64 BE), empty value.
/// The last key with an account's prefix points at its latest change. (Account ids never hold
/// control characters, so 0x00 cannot occur inside one.)
pub const TIER_CHANGES_BY_ACCOUNT_TREE: &str = "tier_changes_by_account";

/// Entries per snapshot chunk (≈ 1 MiB with 10-byte ids).
const SNAPSHOT_CHUNK: usize = 65_536;
const SNAPSHOT_TIERS_KEY: &[u8] = b"tiers";

/// A snapshot to write: the tier ids and `(account id, tier index)` in account-id order.
pub type SnapshotInput<'a> = (&'a [String], &'a mut dyn Iterator<Item = (&'a str, u16)>);

/// What one batch of upserted accounts changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct UpsertCounts {
    /// Accounts whose id was not stored before.
    pub new: usize,
    /// Accounts that replaced a stored account with the same id.
    pub updated: usize,
}

/// One recompute of the tiers: when, why, and what it found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecomputeRecord {
    pub seq: u64,
    /// RFC 3339.
    pub at: String,
    /// What caused it: `start`, `import`, `tier_model`, `override`, `demo`.
    pub trigger: String,
    pub accounts: usize,
    /// Accounts per tier in force, best tier first.
    pub counts: Vec<(String, usize)>,
    pub up: usize,
    pub down: usize,
    pub new: usize,
    pub changed: usize,
    /// Milliseconds the computation took (scores, ranks, cuts, comparison).
    pub millis: u64,
}

/// A tier change as recorded by a recompute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedChange {
    pub seq: u64,
    pub at: String,
    pub trigger: String,
    pub account_id: String,
    pub from: Option<String>,
    pub to: String,
    pub direction: Direction,
}

/// The tiers in force at the last recompute, sorted by account id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TierSnapshot {
    pub tiers: Vec<String>,
    /// (account id, index into `tiers`), sorted by id.
    pub entries: Vec<(String, u16)>,
}

impl TierSnapshot {
    /// `(account id, tier id)` pairs in id order, the input of `tier_changes_sorted`.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(id, tier)| {
            (
                id.as_str(),
                self.tiers
                    .get(usize::from(*tier))
                    .map(String::as_str)
                    .unwrap_or(""),
            )
        })
    }
}

fn encode<T: Serialize>(tree: &'static str, key: &str, value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Encode {
        tree,
        key: key.to_owned(),
        message: e.to_string(),
    })
}

fn decode<T: for<'de> Deserialize<'de>>(
    tree: &'static str,
    key: &[u8],
    bytes: &[u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Corrupt {
        tree,
        key: String::from_utf8_lossy(key).into_owned(),
        source,
    })
}

fn corrupt(tree: &'static str, key: &[u8], message: &str) -> StoreError {
    StoreError::Corrupt {
        tree,
        key: String::from_utf8_lossy(key).into_owned(),
        source: serde::de::Error::custom(message),
    }
}

fn change_key(seq: u64, account_id: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(8 + account_id.len());
    key.extend_from_slice(&seq.to_be_bytes());
    key.extend_from_slice(account_id.as_bytes());
    key
}

fn by_account_prefix(account_id: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(account_id.len() + 9);
    key.extend_from_slice(account_id.as_bytes());
    key.push(0);
    key
}

impl Store {
    pub fn count_accounts(&self) -> usize {
        self.accounts.len()
    }

    pub fn get_account(&self, id: &str) -> Result<Option<Account>, StoreError> {
        self.accounts
            .get(id.as_bytes())?
            .map(|bytes| decode(ACCOUNTS_TREE, id.as_bytes(), &bytes))
            .transpose()
    }

    /// Every account, sorted by id (byte order).
    pub fn list_accounts(&self) -> Result<Vec<Account>, StoreError> {
        let mut accounts = Vec::with_capacity(self.accounts.len());
        for entry in self.accounts.iter() {
            let (key, value) = entry?;
            accounts.push(decode(ACCOUNTS_TREE, &key, &value)?);
        }
        Ok(accounts)
    }

    /// Inserts or replaces accounts by id as one atomic batch, durably. The caller keeps ids
    /// unique within a batch (the importer rejects duplicates in a file).
    pub fn upsert_accounts(&self, accounts: &[Account]) -> Result<UpsertCounts, StoreError> {
        let mut counts = UpsertCounts::default();
        let mut batch = sled::Batch::default();
        for account in accounts {
            if self.accounts.contains_key(account.id.as_bytes())? {
                counts.updated += 1;
            } else {
                counts.new += 1;
            }
            batch.insert(
                account.id.as_bytes(),
                encode(ACCOUNTS_TREE, &account.id, account)?,
            );
        }
        self.accounts.apply_batch(batch)?;
        self.flush()?;
        Ok(counts)
    }

    /// The stored tier model; `None` when none was ever set (the default model applies).
    pub fn tier_model(&self) -> Result<Option<TierModel>, StoreError> {
        self.meta
            .get(TIER_MODEL_KEY)?
            .map(|bytes| decode(super::META_TREE, TIER_MODEL_KEY.as_bytes(), &bytes))
            .transpose()
    }

    /// Stores the tier model, durably.
    pub fn put_tier_model(&self, model: &TierModel) -> Result<(), StoreError> {
        self.meta.insert(
            TIER_MODEL_KEY,
            encode(super::META_TREE, TIER_MODEL_KEY, model)?,
        )?;
        self.flush()
    }

    /// Every tier override, by account id.
    pub fn overrides(&self) -> Result<HashMap<String, TierOverride>, StoreError> {
        let mut overrides = HashMap::new();
        for entry in self.overrides.iter() {
            let (key, value) = entry?;
            let id = String::from_utf8_lossy(&key).into_owned();
            overrides.insert(id, decode(OVERRIDES_TREE, &key, &value)?);
        }
        Ok(overrides)
    }

    /// Sets an account's override, durably.
    pub fn put_override(&self, account_id: &str, value: &TierOverride) -> Result<(), StoreError> {
        self.overrides.insert(
            account_id.as_bytes(),
            encode(OVERRIDES_TREE, account_id, value)?,
        )?;
        self.flush()
    }

    /// Removes an account's override, durably; returns the removed one.
    pub fn remove_override(&self, account_id: &str) -> Result<Option<TierOverride>, StoreError> {
        let removed = self.overrides.remove(account_id.as_bytes())?;
        self.flush()?;
        removed
            .map(|bytes| decode(OVERRIDES_TREE, account_id.as_bytes(), &bytes))
            .transpose()
    }

    /// The tiers in force at the last recompute; `None` before the first one.
    pub fn tier_snapshot(&self) -> Result<Option<TierSnapshot>, StoreError> {
        let Some(tiers) = self.tier_snapshot.get(SNAPSHOT_TIERS_KEY)? else {
            return Ok(None);
        };
        let tiers: Vec<String> = decode(TIER_SNAPSHOT_TREE, SNAPSHOT_TIERS_KEY, &tiers)?;
        let mut entries = Vec::new();
        for entry in self.tier_snapshot.scan_prefix(b"c") {
            let (key, chunk) = entry?;
            let mut rest: &[u8] = &chunk;
            while !rest.is_empty() {
                let bad = || corrupt(TIER_SNAPSHOT_TREE, &key, "truncated snapshot entry");
                let header = rest.get(..4).ok_or_else(bad)?;
                let tier = u16::from_le_bytes([header[0], header[1]]);
                let len = usize::from(u16::from_le_bytes([header[2], header[3]]));
                let id = rest.get(4..4 + len).ok_or_else(bad)?;
                let id = std::str::from_utf8(id)
                    .map_err(|_| corrupt(TIER_SNAPSHOT_TREE, &key, "account id is not UTF-8"))?;
                entries.push((id.to_owned(), tier));
                rest = &rest[4 + len..];
            }
        }
        Ok(Some(TierSnapshot { tiers, entries }))
    }

    /// The recompute with the highest sequence number.
    pub fn last_recompute(&self) -> Result<Option<RecomputeRecord>, StoreError> {
        self.tier_runs
            .last()?
            .map(|(key, value)| decode(TIER_RUNS_TREE, &key, &value))
            .transpose()
    }

    /// The next recompute sequence number (1 for the first).
    pub fn next_recompute_seq(&self) -> Result<u64, StoreError> {
        Ok(self.last_recompute()?.map_or(1, |r| r.seq + 1))
    }

    /// Records a recompute durably: its changes (both indexes), then — when `snapshot` is given
    /// (the tiers in force changed) — the new snapshot, then the record itself.
    ///
    /// `snapshot` = (tier ids, `(account id, tier index)` in id order).
    pub fn record_recompute(
        &self,
        record: &RecomputeRecord,
        changes: &[TierChange],
        snapshot: Option<SnapshotInput<'_>>,
    ) -> Result<(), StoreError> {
        for chunk in changes.chunks(50_000) {
            let mut by_seq = sled::Batch::default();
            let mut by_account = sled::Batch::default();
            for change in chunk {
                let recorded = RecordedChange {
                    seq: record.seq,
                    at: record.at.clone(),
                    trigger: record.trigger.clone(),
                    account_id: change.account_id.clone(),
                    from: change.from.clone(),
                    to: change.to.clone(),
                    direction: change.direction,
                };
                by_seq.insert(
                    change_key(record.seq, &change.account_id),
                    encode(TIER_CHANGES_TREE, &change.account_id, &recorded)?,
                );
                let mut key = by_account_prefix(&change.account_id);
                key.extend_from_slice(&record.seq.to_be_bytes());
                by_account.insert(key, &[] as &[u8]);
            }
            self.tier_changes.apply_batch(by_seq)?;
            self.tier_changes_by_account.apply_batch(by_account)?;
        }
        if let Some((tiers, entries)) = snapshot {
            self.write_snapshot(tiers, entries)?;
        }
        self.tier_runs.insert(
            record.seq.to_be_bytes(),
            encode(TIER_RUNS_TREE, &record.seq.to_string(), record)?,
        )?;
        self.flush()
    }

    fn write_snapshot(
        &self,
        tiers: &[String],
        entries: &mut dyn Iterator<Item = (&str, u16)>,
    ) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        batch.insert(
            SNAPSHOT_TIERS_KEY,
            encode(TIER_SNAPSHOT_TREE, "tiers", &tiers)?,
        );
        let mut chunk_no: u32 = 0;
        let mut chunk = Vec::new();
        let mut in_chunk = 0;
        let flush_chunk = |chunk: &mut Vec<u8>, chunk_no: &mut u32, batch: &mut sled::Batch| {
            let mut key = b"c".to_vec();
            key.extend_from_slice(&chunk_no.to_be_bytes());
            batch.insert(key, std::mem::take(chunk));
            *chunk_no += 1;
        };
        for (id, tier) in entries {
            let len = u16::try_from(id.len()).map_err(|_| StoreError::Encode {
                tree: TIER_SNAPSHOT_TREE,
                key: id.chars().take(32).collect(),
                message: "account id longer than 65,535 bytes".to_owned(),
            })?;
            chunk.extend_from_slice(&tier.to_le_bytes());
            chunk.extend_from_slice(&len.to_le_bytes());
            chunk.extend_from_slice(id.as_bytes());
            in_chunk += 1;
            if in_chunk == SNAPSHOT_CHUNK {
                flush_chunk(&mut chunk, &mut chunk_no, &mut batch);
                in_chunk = 0;
            }
        }
        if in_chunk > 0 {
            flush_chunk(&mut chunk, &mut chunk_no, &mut batch);
        }
        // Chunks beyond the new last one belong to a larger earlier snapshot.
        let mut first_stale = b"c".to_vec();
        first_stale.extend_from_slice(&chunk_no.to_be_bytes());
        for key in self.tier_snapshot.range(first_stale..).keys() {
            let key = key?;
            if key.starts_with(b"c") {
                batch.remove(key);
            }
        }
        self.tier_snapshot.apply_batch(batch)?;
        Ok(())
    }

    /// An account's most recent recorded tier change.
    pub fn last_change(&self, account_id: &str) -> Result<Option<RecordedChange>, StoreError> {
        let prefix = by_account_prefix(account_id);
        let Some(entry) = self
            .tier_changes_by_account
            .scan_prefix(&prefix)
            .next_back()
        else {
            return Ok(None);
        };
        let (key, _) = entry?;
        let seq_bytes: [u8; 8] = key[prefix.len()..]
            .try_into()
            .map_err(|_| corrupt(TIER_CHANGES_BY_ACCOUNT_TREE, &key, "bad sequence number"))?;
        let change_key = change_key(u64::from_be_bytes(seq_bytes), account_id);
        self.tier_changes
            .get(&change_key)?
            .map(|bytes| decode(TIER_CHANGES_TREE, &change_key, &bytes))
            .transpose()
    }

    /// The most recent tier changes, newest first.
    pub fn recent_changes(&self, limit: usize) -> Result<Vec<RecordedChange>, StoreError> {
        self.tier_changes
            .iter()
            .rev()
            .take(limit)
            .map(|entry| {
                let (key, value) = entry?;
                decode(TIER_CHANGES_TREE, &key, &value)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::account::{Indicators, Money};

    fn account(id: &str, revenue: i64) -> Account {
        Account {
            id: id.to_owned(),
            name: format!("{id} 有限公司"),
            aliases: Vec::new(),
            industry: None,
            region: None,
            owner: None,
            indicators: Indicators {
                revenue: Some(Money::from_major(revenue)),
                ..Indicators::default()
            },
        }
    }

    #[test]
    fn upserting_counts_new_and_updated_accounts_and_lists_them_by_id() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let counts = store
            .upsert_accounts(&[account("b", 1), account("a", 2)])
            .unwrap();
        assert_eq!(counts, UpsertCounts { new: 2, updated: 0 });
        let counts = store
            .upsert_accounts(&[account("a", 5), account("c", 1)])
            .unwrap();
        assert_eq!(counts, UpsertCounts { new: 1, updated: 1 });
        let ids: Vec<String> = store
            .list_accounts()
            .unwrap()
            .into_iter()
            .map(|a| a.id)
            .collect();
        assert_eq!(ids, ["a", "b", "c"]);
        let a = store.get_account("a").unwrap().unwrap();
        assert_eq!(a.indicators.revenue, Some(Money::from_major(5)));
    }

    #[test]
    fn the_tier_model_round_trips_through_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.tier_model().unwrap(), None);
        let model = TierModel::from_json(
            r#"{"preset":"vip","cut":{"method":"share_of_value","shares":[50,80,95]},"score":{"method":"scorecard"}}"#,
        )
        .unwrap();
        store.put_tier_model(&model).unwrap();
        assert_eq!(store.tier_model().unwrap(), Some(model));
        store.put_tier_model(&TierModel::default()).unwrap();
        assert_eq!(store.tier_model().unwrap(), Some(TierModel::default()));
    }

    #[test]
    fn a_snapshot_larger_than_a_chunk_round_trips_and_shrinks() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let tiers = vec!["strategic".to_owned(), "small".to_owned()];
        let ids: Vec<String> = (0..SNAPSHOT_CHUNK + 10)
            .map(|i| format!("K{i:07}"))
            .collect();
        let record = |seq| RecomputeRecord {
            seq,
            at: "2025-01-01T00:00:00Z".to_owned(),
            trigger: "start".to_owned(),
            accounts: ids.len(),
            counts: Vec::new(),
            up: 0,
            down: 0,
            new: 0,
            changed: 0,
            millis: 0,
        };
        let mut entries = ids.iter().map(|id| (id.as_str(), (id.len() % 2) as u16));
        store
            .record_recompute(&record(1), &[], Some((&tiers, &mut entries)))
            .unwrap();
        let snapshot = store.tier_snapshot().unwrap().unwrap();
        assert_eq!(snapshot.entries.len(), ids.len());
        assert_eq!(snapshot.entries[3], ("K0000003".to_owned(), 0));
        let mut fewer = ids[..5].iter().map(|id| (id.as_str(), 1u16));
        store
            .record_recompute(&record(2), &[], Some((&tiers, &mut fewer)))
            .unwrap();
        let snapshot = store.tier_snapshot().unwrap().unwrap();
        assert_eq!(snapshot.entries.len(), 5);
        assert_eq!(snapshot.pairs().next(), Some(("K0000000", "small")));
        assert_eq!(store.next_recompute_seq().unwrap(), 3);
    }

    #[test]
    fn recorded_changes_are_found_by_account_and_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let change = |id: &str, to: &str, direction| TierChange {
            account_id: id.to_owned(),
            from: Some("major".to_owned()),
            to: to.to_owned(),
            direction,
        };
        let record = |seq| RecomputeRecord {
            seq,
            at: format!("2025-01-0{seq}T00:00:00Z"),
            trigger: "import".to_owned(),
            accounts: 2,
            counts: Vec::new(),
            up: 1,
            down: 0,
            new: 0,
            changed: 0,
            millis: 0,
        };
        store
            .record_recompute(
                &record(1),
                &[
                    change("a", "strategic", Direction::Up),
                    change("ab", "small", Direction::Down),
                ],
                None,
            )
            .unwrap();
        store
            .record_recompute(&record(2), &[change("a", "small", Direction::Down)], None)
            .unwrap();
        let last = store.last_change("a").unwrap().unwrap();
        assert_eq!((last.seq, last.to.as_str()), (2, "small"));
        assert_eq!(store.last_change("ab").unwrap().unwrap().seq, 1);
        assert_eq!(store.last_change("b").unwrap(), None);
        let recent: Vec<(u64, String)> = store
            .recent_changes(10)
            .unwrap()
            .into_iter()
            .map(|c| (c.seq, c.account_id))
            .collect();
        assert_eq!(
            recent,
            [
                (2, "a".to_owned()),
                (1, "ab".to_owned()),
                (1, "a".to_owned())
            ]
        );
    }
}
