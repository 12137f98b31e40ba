//! Accounts, the tier model, tier overrides and the tier history in sled.
//!
//! Tree names and key layouts are the constants below. Small, rarely written values (the tier
//! model, overrides, recompute records) are JSON of domain types. What numbers in the millions
//! is compact binary ([`super::codec`]) in **chunks, never one sled record per account**: sled
//! spends microseconds per record on writes and on iteration, which a million accounts turn
//! into seconds.
//!
//! - accounts: chunks of about [`ACCOUNT_CHUNK`] accounts sorted by id, keyed by their first
//!   id ([`ACCOUNT_CHUNKS_TREE`]); an upsert rewrites only the chunks its ids fall into
//!   (splitting those that grow too large), in one atomic batch;
//! - the changes a recompute found: one chunk record per [`CHANGE_CHUNK`] changed accounts,
//!   keyed by the recompute's sequence number ([`TIER_CHANGE_LOG_TREE`]);
//! - the snapshot: per account (in id order) its tier in force and its last recorded change,
//!   in chunks of [`SNAPSHOT_CHUNK`] accounts ([`TIER_SNAPSHOT_TREE`]). Only the chunks that
//!   hold a changed account are rewritten when the set of accounts is unchanged.
//!
//! One recompute (its changes, its snapshot chunks, its [`RecomputeRecord`]) is written as one
//! sled transaction and flushed: after a crash the history holds all of a recompute or none.
//! Computed tiers themselves are **not** stored: they are derived from the accounts, the model
//! and the overrides at start and after every change (`crate::app::account_book`).
//!
//! Every mutating method flushes before it returns.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::codec::{CodecError, Reader, Writer};
use super::kv::{Batch, IVec, TxError};
use super::{decode, encode, Store, StoreError};
use crate::domain::account::{Account, CreditRating, Indicators, Money};
use crate::domain::tiering::{Direction, TierModel, TierOverride};

mod book;
mod codec;

use codec::*;

/// Tree `account_chunks`: every account, in chunks. Key = the first account id of the chunk
/// (UTF-8); value (binary, version byte `0x01`): the number of accounts, then per account, in
/// id order: id, then the fields of [`encode_account_body`]. Chunk `k` holds the accounts with
/// ids from its key up to (not including) the next chunk's key, so a scan in key order lists
/// every account sorted by id. A chunk that grows past [`ACCOUNT_CHUNK_MAX`] accounts is split
/// into chunks of [`ACCOUNT_CHUNK`].
pub const ACCOUNT_CHUNKS_TREE: &str = "account_chunks";
/// Tree of schema version 1: one JSON [`Account`] per id; converted into
/// [`ACCOUNT_CHUNKS_TREE`] and dropped when a version-1 store is opened.
const V1_ACCOUNTS_TREE: &str = "accounts";
/// Tree `overrides`: key = account id, value = JSON [`TierOverride`] (`tier`, `reason`, `by`,
/// `at`).
pub const OVERRIDES_TREE: &str = "overrides";
/// Tree `import_mappings`: key = a header fingerprint or a source name given with an import,
/// value = JSON [`SavedMapping`]: the column mapping used last for files of that source.
pub const IMPORT_MAPPINGS_TREE: &str = "import_mappings";

/// A column mapping remembered for the next import of the same source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SavedMapping {
    pub mapping: crate::domain::import::ColumnMapping,
    /// The header row it was made for, as written.
    pub headers: Vec<String>,
    pub saved_by: String,
    /// RFC 3339.
    pub saved_at: String,
}
/// Key in the `meta` tree holding the tier model as JSON ([`TierModel`]). Absent = the default
/// model.
pub const TIER_MODEL_KEY: &str = "tier_model";
/// Tree `tier_snapshot`: per account, in account-id order, the tier in force at the last
/// recompute and its last recorded tier change — what change detection at start and
/// `last_change` need. Key = `s` + chunk number (u32 big-endian); chunk `k` holds accounts
/// `k × SNAPSHOT_CHUNK ..` of the id-sorted list. Value (binary, version byte `0x01`): the tier
/// names the chunk refers to (count, then each string), the entry count, then per entry: id,
/// tier (index into the names), last change sequence number (0 = none) and, when not 0, its
/// `from` (0 = none, else index + 1), `to` (index) and direction (0 up, 1 down, 2 new,
/// 3 changed).
pub const TIER_SNAPSHOT_TREE: &str = "tier_snapshot";
/// Tree `tier_runs`: key = recompute sequence number (u64 big-endian), value = JSON
/// [`RecomputeRecord`].
pub const TIER_RUNS_TREE: &str = "tier_runs";
/// Tree `tier_change_log`: the tier changes of every recompute, in chunks. Key = sequence
/// number (u64 big-endian) + chunk number (u32 big-endian); value (binary, version byte
/// `0x01`): tier names, entry count, then per changed account, in id order: id, `from`
/// (0 = none, else index + 1), `to` (index), direction. The time and trigger of the changes are
/// those of the [`RecomputeRecord`] with the same sequence number. Scanned backwards for the
/// most recent changes.
pub const TIER_CHANGE_LOG_TREE: &str = "tier_change_log";
/// Trees of schema version 1 (one JSON record per change and an index entry per account and
/// change); converted into [`TIER_CHANGE_LOG_TREE`] and the snapshot, then dropped, when a
/// version-1 store is opened.
const V1_TIER_CHANGES_TREE: &str = "tier_changes";
const V1_TIER_CHANGES_BY_ACCOUNT_TREE: &str = "tier_changes_by_account";

/// Accounts per snapshot chunk (≈ 1.3 MiB with 10-byte ids). Unit tests use small chunks so
/// that chunk boundaries are cheap to cross.
#[cfg(not(test))]
pub const SNAPSHOT_CHUNK: usize = 65_536;
#[cfg(test)]
pub const SNAPSHOT_CHUNK: usize = 100;
/// Changed accounts per change-log chunk.
#[cfg(not(test))]
pub const CHANGE_CHUNK: usize = 32_768;
#[cfg(test)]
pub const CHANGE_CHUNK: usize = 64;
/// Accounts per account chunk as written (≈ 180 KiB with the demo data) …
#[cfg(not(test))]
pub const ACCOUNT_CHUNK: usize = 2_048;
#[cfg(test)]
pub const ACCOUNT_CHUNK: usize = 4;
/// … and the most a chunk holds before an upsert splits it.
pub const ACCOUNT_CHUNK_MAX: usize = 2 * ACCOUNT_CHUNK;

/// Version byte of snapshot and change-log chunks.
const CHUNK_VERSION: u8 = 0x01;
/// Version byte of account chunks: money in ten-thousandths of a yuan ([`Money`] units) …
const ACCOUNT_CHUNK_VERSION: u8 = 0x02;
/// … and the earlier one, money in fen (read, converted, rewritten by the layout 4 upgrade).
const ACCOUNT_CHUNK_VERSION_FEN: u8 = 0x01;
const SNAPSHOT_PREFIX: u8 = b's';

/// Index into a table of tier names meaning "no tier" (e.g. `from` of a first tiering).
pub const NO_TIER: u16 = u16::MAX;

/// An account's last recorded tier change, compactly: tier names are indexes into a names
/// table held beside it. `seq == 0` means none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastChange {
    pub seq: u64,
    /// [`NO_TIER`] when the account was tiered for the first time.
    pub from: u16,
    pub to: u16,
    pub direction: Direction,
}

impl LastChange {
    pub const NONE: LastChange = LastChange {
        seq: 0,
        from: NO_TIER,
        to: NO_TIER,
        direction: Direction::New,
    };

    pub fn is_none(&self) -> bool {
        self.seq == 0
    }
}

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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RecordedChange {
    pub seq: u64,
    pub at: String,
    pub trigger: String,
    pub account_id: String,
    pub from: Option<String>,
    pub to: String,
    pub direction: Direction,
}

/// The stored snapshot: per account (sorted by id) the tier in force at the last recompute and
/// the last recorded change, with tier names as indexes into `names`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TierSnapshot {
    pub names: Vec<String>,
    ids: String,
    /// End of each id in `ids`.
    ends: Vec<usize>,
    pub tiers: Vec<u16>,
    pub last: Vec<LastChange>,
}

impl TierSnapshot {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The id of entry `i`. Panics if `i` is out of range.
    pub fn id(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.ids[start..self.ends[i]]
    }

    /// `(account id, tier id)` pairs in id order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        (0..self.len()).map(|i| {
            let tier = self
                .names
                .get(usize::from(self.tiers[i]))
                .map_or("", String::as_str);
            (self.id(i), tier)
        })
    }

    fn push(&mut self, id: &str, tier: u16, last: LastChange) {
        self.ids.push_str(id);
        self.ends.push(self.ids.len());
        self.tiers.push(tier);
        self.last.push(last);
    }
}

/// Which snapshot chunks a recompute rewrites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotScope {
    /// Nothing changed: the stored snapshot stays as it is.
    Keep,
    /// The accounts are the same (same ids, same order) as in the stored snapshot: rewrite only
    /// the chunks holding a changed account.
    ChangedChunks,
    /// Rewrite every chunk (and drop chunks beyond the new last one).
    Full,
}

/// Everything one recompute records. Tier names are indexes into `names`; `accounts`, `tiers`
/// and `last` are aligned (one entry per account, sorted by id).
pub struct RecomputeWrite<'a> {
    pub record: &'a RecomputeRecord,
    pub names: &'a [String],
    pub accounts: &'a [Account],
    /// Tier in force per account.
    pub tiers: &'a [u16],
    /// Last recorded change per account (for changed accounts, the change of this recompute).
    pub last: &'a [LastChange],
    /// Positions, ascending, of the accounts whose tier in force changed in this recompute.
    pub changed: &'a [u32],
    pub snapshot: SnapshotScope,
}

fn damaged(tree: &'static str, key: String, error: CodecError) -> StoreError {
    StoreError::Damaged {
        tree,
        key,
        message: error.0,
    }
}

fn seq_key(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

fn change_log_key(seq: u64, chunk: u32) -> [u8; 12] {
    let mut key = [0u8; 12];
    key[..8].copy_from_slice(&seq.to_be_bytes());
    key[8..].copy_from_slice(&chunk.to_be_bytes());
    key
}

/// `(seq, chunk)` of a change-log key, for messages and reads.
fn parse_change_log_key(key: &[u8]) -> Option<(u64, u32)> {
    let seq = u64::from_be_bytes(key.get(..8)?.try_into().ok()?);
    let chunk = u32::from_be_bytes(key.get(8..12)?.try_into().ok()?);
    (key.len() == 12).then_some((seq, chunk))
}

fn change_log_key_text(key: &[u8]) -> String {
    match parse_change_log_key(key) {
        Some((seq, chunk)) => format!("seq {seq} chunk {chunk}"),
        None => format!("{key:?}"),
    }
}

fn snapshot_key(chunk: u32) -> [u8; 5] {
    let mut key = [SNAPSHOT_PREFIX; 5];
    key[1..].copy_from_slice(&chunk.to_be_bytes());
    key
}

fn snapshot_key_text(key: &[u8]) -> String {
    match key.get(1..5).and_then(|b| <[u8; 4]>::try_from(b).ok()) {
        Some(chunk) if key.len() == 5 => format!("chunk {}", u32::from_be_bytes(chunk)),
        _ => String::from_utf8_lossy(key).into_owned(),
    }
}

#[cfg(test)]
mod tests;
