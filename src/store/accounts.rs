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
//! and the overrides at start and after every change (`crate::accounts`).
//!
//! Every mutating method flushes before it returns.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use sled::transaction::Transactional;

use super::codec::{CodecError, Reader, Writer};
use super::{decode, encode, Store, StoreError};
use crate::domain::account::{Account, CreditRating, Indicators, Money};
use crate::domain::tiering::{Direction, TierModel, TierOverride};

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

/// Version byte of account, snapshot and change-log chunks.
const CHUNK_VERSION: u8 = 0x01;
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

// ------------------------------------------------------------------------------------------
// Binary values
// ------------------------------------------------------------------------------------------

/// Indicator presence bits of the binary account layout, in field order.
const IND_REVENUE: u16 = 1 << 0;
const IND_PROFIT: u16 = 1 << 1;
const IND_COLLECTED: u16 = 1 << 2;
const IND_TRANSACTIONS: u16 = 1 << 3;
const IND_COOPERATION_YEARS: u16 = 1 << 4;
const IND_OVERDUE_DAYS: u16 = 1 << 5;
const IND_PRODUCT_LINES: u16 = 1 << 6;
const IND_CREDIT: u16 = 1 << 7;
const IND_REFERRAL: u16 = 1 << 8;
const IND_PICKY: u16 = 1 << 9;
const IND_STRICT: u16 = 1 << 10;
const IND_POTENTIAL_CUSTOMER: u16 = 1 << 11;
const IND_POTENTIAL_SERVICE: u16 = 1 << 12;
const IND_ALL: u16 = (1 << 13) - 1;

fn opt_str(w: &mut Writer, value: &Option<String>) {
    match value {
        None => w.u8(0),
        Some(s) => {
            w.u8(1);
            w.str(s);
        }
    }
}

fn read_opt_str(r: &mut Reader<'_>, what: &str) -> Result<Option<String>, CodecError> {
    match r.u8(what)? {
        0 => Ok(None),
        1 => Ok(Some(r.str(what)?.to_owned())),
        other => Err(CodecError::new(format!(
            "{what}: bad presence byte {other}"
        ))),
    }
}

fn credit_code(c: CreditRating) -> u8 {
    match c {
        CreditRating::Good => 0,
        CreditRating::Fair => 1,
        CreditRating::Poor => 2,
        CreditRating::None => 3,
    }
}

fn read_bool(r: &mut Reader<'_>, what: &str) -> Result<bool, CodecError> {
    match r.u8(what)? {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(CodecError::new(format!("{what}: bad yes/no byte {other}"))),
    }
}

/// Appends an account's fields but its id (which precedes them in a chunk): name, aliases (count + strings), industry / region / owner (0 = none, 1 + string),
/// a varint bit set of the indicators present, then each present indicator in field order
/// (money as zigzag varint fen, counts as varints, `cooperation_years` as f64, credit as
/// 0 good / 1 fair / 2 poor / 3 none, yes/no and scores as one byte).
fn encode_account_body(w: &mut Writer, account: &Account) {
    // Destructured so that a new field cannot be forgotten here.
    let Account {
        id: _,
        name,
        aliases,
        industry,
        region,
        owner,
        indicators,
    } = account;
    let Indicators {
        revenue,
        profit,
        collected,
        transactions,
        cooperation_years,
        overdue_days,
        product_lines,
        credit,
        referral,
        picky,
        strict,
        potential_customer,
        potential_service,
    } = indicators;
    w.str(name);
    w.varint(aliases.len() as u64);
    for alias in aliases {
        w.str(alias);
    }
    opt_str(w, industry);
    opt_str(w, region);
    opt_str(w, owner);
    let mut present = 0u16;
    let mut bit = |set: bool, flag: u16| {
        if set {
            present |= flag;
        }
    };
    bit(revenue.is_some(), IND_REVENUE);
    bit(profit.is_some(), IND_PROFIT);
    bit(collected.is_some(), IND_COLLECTED);
    bit(transactions.is_some(), IND_TRANSACTIONS);
    bit(cooperation_years.is_some(), IND_COOPERATION_YEARS);
    bit(overdue_days.is_some(), IND_OVERDUE_DAYS);
    bit(product_lines.is_some(), IND_PRODUCT_LINES);
    bit(credit.is_some(), IND_CREDIT);
    bit(referral.is_some(), IND_REFERRAL);
    bit(picky.is_some(), IND_PICKY);
    bit(strict.is_some(), IND_STRICT);
    bit(potential_customer.is_some(), IND_POTENTIAL_CUSTOMER);
    bit(potential_service.is_some(), IND_POTENTIAL_SERVICE);
    w.varint(u64::from(present));
    for money in [revenue, profit, collected].into_iter().flatten() {
        w.zigzag(money.minor());
    }
    if let Some(v) = transactions {
        w.varint(*v);
    }
    if let Some(v) = cooperation_years {
        w.f64(*v);
    }
    for v in [overdue_days, product_lines].into_iter().flatten() {
        w.varint(u64::from(*v));
    }
    if let Some(c) = credit {
        w.u8(credit_code(*c));
    }
    for v in [referral, picky, strict].into_iter().flatten() {
        w.u8(u8::from(*v));
    }
    for v in [potential_customer, potential_service]
        .into_iter()
        .flatten()
    {
        w.u8(*v);
    }
}

/// Reads the fields of [`encode_account_body`] for the account `id`.
fn decode_account_body(r: &mut Reader<'_>, id: &str) -> Result<Account, CodecError> {
    let name = r.str("name")?.to_owned();
    let alias_count = r.count("aliases", 1)?;
    let mut aliases = Vec::with_capacity(alias_count);
    for _ in 0..alias_count {
        aliases.push(r.str("aliases")?.to_owned());
    }
    let industry = read_opt_str(r, "industry")?;
    let region = read_opt_str(r, "region")?;
    let owner = read_opt_str(r, "owner")?;
    let present: u16 = r.varint_as("indicators")?;
    if present & !IND_ALL != 0 {
        return Err(CodecError::new(format!(
            "indicators: unknown indicator bits {present:#x}"
        )));
    }
    let has = |flag: u16| present & flag != 0;
    let mut ind = Indicators::default();
    let money = |r: &mut Reader<'_>, flag: u16, what: &str| -> Result<Option<Money>, CodecError> {
        has(flag).then(|| r.zigzag(what).map(Money)).transpose()
    };
    ind.revenue = money(r, IND_REVENUE, "revenue")?;
    ind.profit = money(r, IND_PROFIT, "profit")?;
    ind.collected = money(r, IND_COLLECTED, "collected")?;
    if has(IND_TRANSACTIONS) {
        ind.transactions = Some(r.varint("transactions")?);
    }
    if has(IND_COOPERATION_YEARS) {
        ind.cooperation_years = Some(r.f64("cooperation_years")?);
    }
    if has(IND_OVERDUE_DAYS) {
        ind.overdue_days = Some(r.varint_as("overdue_days")?);
    }
    if has(IND_PRODUCT_LINES) {
        ind.product_lines = Some(r.varint_as("product_lines")?);
    }
    if has(IND_CREDIT) {
        ind.credit = Some(match r.u8("credit")? {
            0 => CreditRating::Good,
            1 => CreditRating::Fair,
            2 => CreditRating::Poor,
            3 => CreditRating::None,
            other => return Err(CodecError::new(format!("credit: unknown rating {other}"))),
        });
    }
    if has(IND_REFERRAL) {
        ind.referral = Some(read_bool(r, "referral")?);
    }
    if has(IND_PICKY) {
        ind.picky = Some(read_bool(r, "picky")?);
    }
    if has(IND_STRICT) {
        ind.strict = Some(read_bool(r, "strict")?);
    }
    if has(IND_POTENTIAL_CUSTOMER) {
        ind.potential_customer = Some(r.u8("potential_customer")?);
    }
    if has(IND_POTENTIAL_SERVICE) {
        ind.potential_service = Some(r.u8("potential_service")?);
    }
    Ok(Account {
        id: id.to_owned(),
        name,
        aliases,
        industry,
        region,
        owner,
        indicators: ind,
    })
}

/// One account chunk: the accounts (sorted by id) in the layout of [`ACCOUNT_CHUNKS_TREE`].
fn encode_account_chunk<'a>(accounts: impl ExactSizeIterator<Item = &'a Account>) -> Vec<u8> {
    let mut w = Writer::with_capacity(accounts.len() * 96 + 16);
    w.u8(CHUNK_VERSION);
    w.varint(accounts.len() as u64);
    for account in accounts {
        w.str(&account.id);
        encode_account_body(&mut w, account);
    }
    w.buf
}

/// Decodes an account chunk, appending its accounts to `out`; they must sort after what `out`
/// holds and start at the chunk's key.
fn decode_account_chunk(
    key: &[u8],
    bytes: &[u8],
    out: &mut Vec<Account>,
) -> Result<(), StoreError> {
    let key_text = || format!("{:?}", String::from_utf8_lossy(key));
    let first = out.len();
    let mut read = || -> Result<(), CodecError> {
        let mut r = Reader::new(bytes);
        match r.u8("version")? {
            CHUNK_VERSION => {}
            other => {
                return Err(CodecError::new(format!(
                    "unknown chunk layout {other} (written by a newer playbook?)"
                )))
            }
        }
        let count = r.count("accounts", 4)?;
        out.reserve(count);
        for _ in 0..count {
            let id = r.str("account id")?;
            if let Some(previous) = out.last() {
                if previous.id.as_str() >= id {
                    return Err(CodecError::new(format!(
                        "account ids out of order ({:?} before {id:?})",
                        previous.id
                    )));
                }
            }
            let account = decode_account_body(&mut r, id)
                .map_err(|e| CodecError::new(format!("account {id:?}: {e}")))?;
            out.push(account);
        }
        r.finish()?;
        if out.get(first).is_some_and(|a| a.id.as_bytes() != key) {
            return Err(CodecError::new("the first account id differs from the key"));
        }
        Ok(())
    };
    read().map_err(|e| damaged(ACCOUNT_CHUNKS_TREE, key_text(), e))
}

fn direction_code(d: Direction) -> u8 {
    match d {
        Direction::Up => 0,
        Direction::Down => 1,
        Direction::New => 2,
        Direction::Changed => 3,
    }
}

fn read_direction(r: &mut Reader<'_>) -> Result<Direction, CodecError> {
    match r.u8("direction")? {
        0 => Ok(Direction::Up),
        1 => Ok(Direction::Down),
        2 => Ok(Direction::New),
        3 => Ok(Direction::Changed),
        other => Err(CodecError::new(format!("direction: unknown code {other}"))),
    }
}

fn write_names(w: &mut Writer, names: &[String]) {
    w.varint(names.len() as u64);
    for name in names {
        w.str(name);
    }
}

fn read_header<'a>(r: &mut Reader<'a>) -> Result<Vec<&'a str>, CodecError> {
    match r.u8("version")? {
        CHUNK_VERSION => {}
        other => {
            return Err(CodecError::new(format!(
                "unknown chunk layout {other} (written by a newer playbook?)"
            )))
        }
    }
    let count = r.count("tier names", 1)?;
    (0..count).map(|_| r.str("tier name")).collect()
}

fn read_name(r: &mut Reader<'_>, names: usize, what: &str) -> Result<u16, CodecError> {
    let index: u16 = r.varint_as(what)?;
    if usize::from(index) >= names {
        return Err(CodecError::new(format!(
            "{what}: tier name {index} of {names}"
        )));
    }
    Ok(index)
}

/// `from` as stored: 0 = none, else index + 1.
fn read_from(r: &mut Reader<'_>, names: usize) -> Result<u16, CodecError> {
    match r.varint_as::<u16>("from")? {
        0 => Ok(NO_TIER),
        n if usize::from(n) <= names => Ok(n - 1),
        n => Err(CodecError::new(format!("from: tier name {n} of {names}"))),
    }
}

fn write_from(w: &mut Writer, from: u16) {
    w.varint(if from == NO_TIER {
        0
    } else {
        u64::from(from) + 1
    });
}

/// One snapshot chunk: `(id, tier, last change)` entries with indexes into `names`.
fn encode_snapshot_chunk<'a>(
    names: &[String],
    entries: impl ExactSizeIterator<Item = (&'a str, u16, LastChange)>,
) -> Vec<u8> {
    let mut w = Writer::with_capacity(entries.len() * 20 + 64);
    w.u8(CHUNK_VERSION);
    write_names(&mut w, names);
    w.varint(entries.len() as u64);
    for (id, tier, last) in entries {
        w.str(id);
        w.varint(u64::from(tier));
        w.varint(last.seq);
        if !last.is_none() {
            write_from(&mut w, last.from);
            w.varint(u64::from(last.to));
            w.u8(direction_code(last.direction));
        }
    }
    w.buf
}

/// Decodes one snapshot chunk into `out`, mapping its names into `out.names`.
fn decode_snapshot_chunk(bytes: &[u8], out: &mut TierSnapshot) -> Result<(), CodecError> {
    let mut r = Reader::new(bytes);
    let names = read_header(&mut r)?;
    let map: Vec<u16> = names.iter().map(|n| intern(&mut out.names, n)).collect();
    let count = r.count("entries", 3)?;
    out.ends.reserve(count);
    out.tiers.reserve(count);
    out.last.reserve(count);
    for _ in 0..count {
        let id = r.str("account id")?;
        if let Some(previous) = out.len().checked_sub(1).map(|i| out.id(i)) {
            if previous >= id {
                return Err(CodecError::new(format!(
                    "account ids out of order ({previous:?} before {id:?})"
                )));
            }
        }
        let tier = map[usize::from(read_name(&mut r, names.len(), "tier")?)];
        let seq = r.varint("last change")?;
        let last = if seq == 0 {
            LastChange::NONE
        } else {
            let from = read_from(&mut r, names.len())?;
            let to = read_name(&mut r, names.len(), "to")?;
            LastChange {
                seq,
                from: if from == NO_TIER {
                    NO_TIER
                } else {
                    map[usize::from(from)]
                },
                to: map[usize::from(to)],
                direction: read_direction(&mut r)?,
            }
        };
        out.push(id, tier, last);
    }
    r.finish()
}

/// Index of `name` in `names`, appending it when absent (tables hold a handful of names).
fn intern(names: &mut Vec<String>, name: &str) -> u16 {
    match names.iter().position(|n| n == name) {
        Some(i) => i as u16,
        None => {
            names.push(name.to_owned());
            (names.len() - 1) as u16
        }
    }
}

/// One change-log chunk: `(id, change)` entries with indexes into `names`.
fn encode_change_chunk<'a>(
    names: &[String],
    entries: impl ExactSizeIterator<Item = (&'a str, LastChange)>,
) -> Vec<u8> {
    let mut w = Writer::with_capacity(entries.len() * 16 + 64);
    w.u8(CHUNK_VERSION);
    write_names(&mut w, names);
    w.varint(entries.len() as u64);
    for (id, change) in entries {
        w.str(id);
        write_from(&mut w, change.from);
        w.varint(u64::from(change.to));
        w.u8(direction_code(change.direction));
    }
    w.buf
}

/// A decoded change-log chunk, borrowing from the stored bytes: `(account id, from, to,
/// direction)` per changed account, in id order.
type ChangeChunk<'a> = Vec<(&'a str, Option<&'a str>, &'a str, Direction)>;

fn decode_change_chunk(bytes: &[u8]) -> Result<ChangeChunk<'_>, CodecError> {
    let mut r = Reader::new(bytes);
    let names = read_header(&mut r)?;
    let count = r.count("entries", 4)?;
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        let id = r.str("account id")?;
        let from = read_from(&mut r, names.len())?;
        let to = read_name(&mut r, names.len(), "to")?;
        let direction = read_direction(&mut r)?;
        let from = (from != NO_TIER).then(|| names[usize::from(from)]);
        entries.push((id, from, names[usize::from(to)], direction));
    }
    r.finish()?;
    Ok(entries)
}

// ------------------------------------------------------------------------------------------
// The store
// ------------------------------------------------------------------------------------------

impl Store {
    /// The number of stored accounts (reads the count at the head of every chunk).
    pub fn count_accounts(&self) -> Result<usize, StoreError> {
        let mut total = 0;
        for entry in self.account_chunks.iter() {
            let (key, value) = entry?;
            let mut r = Reader::new(&value);
            let count = r
                .u8("version")
                .and_then(|_| r.varint_as::<usize>("accounts"));
            total += count.map_err(|e| {
                damaged(
                    ACCOUNT_CHUNKS_TREE,
                    format!("{:?}", String::from_utf8_lossy(&key)),
                    e,
                )
            })?;
        }
        Ok(total)
    }

    pub fn get_account(&self, id: &str) -> Result<Option<Account>, StoreError> {
        let Some((key, chunk)) = self
            .account_chunks
            .range(..=id.as_bytes())
            .next_back()
            .transpose()?
        else {
            return Ok(None);
        };
        let mut accounts = Vec::new();
        decode_account_chunk(&key, &chunk, &mut accounts)?;
        Ok(accounts
            .binary_search_by(|a| a.id.as_str().cmp(id))
            .ok()
            .map(|i| accounts.swap_remove(i)))
    }

    /// Every account, sorted by id (byte order).
    pub fn list_accounts(&self) -> Result<Vec<Account>, StoreError> {
        let mut accounts = Vec::new();
        for entry in self.account_chunks.iter() {
            let (key, value) = entry?;
            decode_account_chunk(&key, &value, &mut accounts)?;
        }
        Ok(accounts)
    }

    /// Inserts or replaces accounts by id, atomically (one sled batch) and durably, counting
    /// new and replaced ids. Only the chunks the ids fall into are read and rewritten. Ids must
    /// be unique within a call (the importer rejects duplicates in a file); the accounts may
    /// come in any order, though sorted input is cheapest.
    pub fn upsert_accounts(&self, accounts: &[Account]) -> Result<UpsertCounts, StoreError> {
        let _gate = self.write_gate();
        let mut fresh: Vec<&Account> = accounts.iter().collect();
        fresh.sort_by(|a, b| a.id.cmp(&b.id));
        let mut counts = UpsertCounts::default();
        if fresh.is_empty() {
            return Ok(counts);
        }
        let starts: Vec<sled::IVec> = self
            .account_chunks
            .iter()
            .keys()
            .collect::<Result<_, _>>()?;
        let mut batch = sled::Batch::default();
        let mut rest: &[&Account] = &fresh;
        // The chunk an id falls into: the last one whose key is ≤ the id (the first chunk for
        // ids before every key).
        let chunk_of = |id: &str| {
            starts
                .partition_point(|k| k.as_ref() <= id.as_bytes())
                .saturating_sub(1)
        };
        while let Some(first) = rest.first() {
            let chunk = (!starts.is_empty()).then(|| chunk_of(&first.id));
            let take = match chunk.and_then(|c| starts.get(c + 1)) {
                Some(next) => rest.partition_point(|a| a.id.as_bytes() < next.as_ref()),
                None => rest.len(),
            };
            let (group, later) = rest.split_at(take);
            rest = later;
            let mut stored = Vec::new();
            if let Some(c) = chunk {
                let key = &starts[c];
                if let Some(value) = self.account_chunks.get(key)? {
                    decode_account_chunk(key, &value, &mut stored)?;
                }
                batch.remove(key.clone());
            }
            // Merge: an upserted account replaces the stored one with its id.
            let mut merged: Vec<&Account> = Vec::with_capacity(stored.len() + group.len());
            let mut old = stored.iter().peekable();
            for &account in group {
                while let Some(a) = old.next_if(|a| a.id < account.id) {
                    merged.push(a);
                }
                if old.next_if(|a| a.id == account.id).is_some() {
                    counts.updated += 1;
                } else {
                    counts.new += 1;
                }
                merged.push(account);
            }
            merged.extend(old);
            let size = if merged.len() > ACCOUNT_CHUNK_MAX {
                ACCOUNT_CHUNK
            } else {
                ACCOUNT_CHUNK_MAX
            };
            for piece in merged.chunks(size) {
                batch.insert(
                    piece[0].id.as_bytes(),
                    encode_account_chunk(piece.iter().copied()),
                );
            }
        }
        self.account_chunks.apply_batch(batch)?;
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
        let _gate = self.write_gate();
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
        let _gate = self.write_gate();
        self.overrides.insert(
            account_id.as_bytes(),
            encode(OVERRIDES_TREE, account_id, value)?,
        )?;
        self.flush()
    }

    /// Removes an account's override, durably; returns the removed one.
    pub fn remove_override(&self, account_id: &str) -> Result<Option<TierOverride>, StoreError> {
        let _gate = self.write_gate();
        let removed = self.overrides.remove(account_id.as_bytes())?;
        self.flush()?;
        removed
            .map(|bytes| decode(OVERRIDES_TREE, account_id.as_bytes(), &bytes))
            .transpose()
    }

    /// The snapshot of the last recompute; `None` before the first one.
    pub fn tier_snapshot(&self) -> Result<Option<TierSnapshot>, StoreError> {
        let mut snapshot = TierSnapshot::default();
        let mut any = false;
        for entry in self.tier_snapshot.scan_prefix([SNAPSHOT_PREFIX]) {
            let (key, chunk) = entry?;
            any = true;
            decode_snapshot_chunk(&chunk, &mut snapshot)
                .map_err(|e| damaged(TIER_SNAPSHOT_TREE, snapshot_key_text(&key), e))?;
        }
        Ok(any.then_some(snapshot))
    }

    /// The recompute with the highest sequence number.
    pub fn last_recompute(&self) -> Result<Option<RecomputeRecord>, StoreError> {
        self.tier_runs
            .last()?
            .map(|(key, value)| decode(TIER_RUNS_TREE, &key, &value))
            .transpose()
    }

    /// The recompute with sequence number `seq`.
    pub fn recompute(&self, seq: u64) -> Result<Option<RecomputeRecord>, StoreError> {
        let key = seq_key(seq);
        self.tier_runs
            .get(key)?
            .map(|value| decode(TIER_RUNS_TREE, &key, &value))
            .transpose()
    }

    /// The next recompute sequence number (1 for the first).
    pub fn next_recompute_seq(&self) -> Result<u64, StoreError> {
        Ok(self.last_recompute()?.map_or(1, |r| r.seq + 1))
    }

    /// Records a recompute durably and atomically (one sled transaction, then a flush): its
    /// changes as change-log chunks, the snapshot chunks `write.snapshot` asks for, and the
    /// record itself. The number of sled records written depends on the number of chunks, not
    /// on the number of accounts or changes.
    pub fn record_recompute(&self, write: &RecomputeWrite<'_>) -> Result<(), StoreError> {
        let _gate = self.write_gate();
        let seq = write.record.seq;
        let id = |p: usize| write.accounts[p].id.as_str();

        let mut changes = sled::Batch::default();
        for (chunk_no, chunk) in write.changed.chunks(CHANGE_CHUNK).enumerate() {
            let entries = chunk
                .iter()
                .map(|&p| (id(p as usize), write.last[p as usize]));
            changes.insert(
                &change_log_key(seq, chunk_no as u32),
                encode_change_chunk(write.names, entries),
            );
        }

        let mut snapshot = sled::Batch::default();
        let chunk_count = write.accounts.len().div_ceil(SNAPSHOT_CHUNK);
        let chunks: Vec<usize> = match write.snapshot {
            SnapshotScope::Keep => Vec::new(),
            SnapshotScope::Full => (0..chunk_count).collect(),
            SnapshotScope::ChangedChunks => {
                let mut chunks: Vec<usize> = write
                    .changed
                    .iter()
                    .map(|&p| p as usize / SNAPSHOT_CHUNK)
                    .collect();
                chunks.dedup();
                chunks
            }
        };
        for chunk in chunks {
            let range =
                chunk * SNAPSHOT_CHUNK..((chunk + 1) * SNAPSHOT_CHUNK).min(write.accounts.len());
            let entries = range.map(|p| (id(p), write.tiers[p], write.last[p]));
            snapshot.insert(
                &snapshot_key(chunk as u32),
                encode_snapshot_chunk(write.names, entries),
            );
        }
        if write.snapshot == SnapshotScope::Full {
            // Chunks beyond the new last one belong to a larger earlier snapshot.
            let first_stale = snapshot_key(chunk_count as u32);
            for key in self.tier_snapshot.range(first_stale..).keys() {
                let key = key?;
                if key.first() == Some(&SNAPSHOT_PREFIX) {
                    snapshot.remove(key);
                }
            }
        }

        let record = encode(TIER_RUNS_TREE, &seq.to_string(), write.record)?;
        (&self.tier_runs, &self.tier_change_log, &self.tier_snapshot)
            .transaction(|(runs, log, snap)| {
                log.apply_batch(&changes)?;
                snap.apply_batch(&snapshot)?;
                runs.insert(&seq_key(seq), record.as_slice())?;
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(super::transaction_error)?;
        self.flush()
    }

    /// The most recent tier changes, newest first (by recompute, then by account id
    /// descending).
    pub fn recent_changes(&self, limit: usize) -> Result<Vec<RecordedChange>, StoreError> {
        let mut out = Vec::with_capacity(limit.min(1_024));
        let mut run: Option<(u64, String, String)> = None;
        for entry in self.tier_change_log.iter().rev() {
            if out.len() >= limit {
                break;
            }
            let (key, value) = entry?;
            let (seq, _) = parse_change_log_key(&key).ok_or_else(|| {
                damaged(
                    TIER_CHANGE_LOG_TREE,
                    change_log_key_text(&key),
                    CodecError::new("malformed key"),
                )
            })?;
            if run.as_ref().is_none_or(|(s, _, _)| *s != seq) {
                let record = self.recompute(seq)?;
                let (at, trigger) =
                    record.map_or((String::new(), String::new()), |r| (r.at, r.trigger));
                run = Some((seq, at, trigger));
            }
            let (_, at, trigger) = run.as_ref().expect("set above");
            let chunk = decode_change_chunk(&value)
                .map_err(|e| damaged(TIER_CHANGE_LOG_TREE, change_log_key_text(&key), e))?;
            for &(id, from, to, direction) in chunk.iter().rev() {
                if out.len() >= limit {
                    break;
                }
                out.push(RecordedChange {
                    seq,
                    at: at.clone(),
                    trigger: trigger.clone(),
                    account_id: id.to_owned(),
                    from: from.map(str::to_owned),
                    to: to.to_owned(),
                    direction,
                });
            }
        }
        Ok(out)
    }

    /// Converts the account trees of a schema-version-1 store: accounts from JSON into chunks,
    /// the per-change records into change-log chunks, the snapshot into the version-2 layout
    /// (with each account's last change), then drops the version-1 trees. Every step can be
    /// repeated, so a crash during the upgrade is repaired by the next open (the version is
    /// only raised by the caller once this returns).
    pub(super) fn upgrade_accounts_from_v1(&self) -> Result<(), StoreError> {
        // 1. Accounts: one JSON record per id → chunks (in one batch), then drop the old tree.
        let has_tree = |name: &str| {
            self.db
                .tree_names()
                .iter()
                .any(|n| n.as_ref() == name.as_bytes())
        };
        let mut converted = 0usize;
        if has_tree(V1_ACCOUNTS_TREE) {
            let old = self.db.open_tree(V1_ACCOUNTS_TREE)?;
            let mut accounts: Vec<Account> = Vec::with_capacity(old.len());
            for entry in old.iter() {
                let (key, value) = entry?;
                accounts.push(decode(V1_ACCOUNTS_TREE, &key, &value)?);
            }
            converted = accounts.len();
            let mut batch = sled::Batch::default();
            for key in self.account_chunks.iter().keys() {
                batch.remove(key?);
            }
            for piece in accounts.chunks(ACCOUNT_CHUNK) {
                batch.insert(piece[0].id.as_bytes(), encode_account_chunk(piece.iter()));
            }
            self.account_chunks.apply_batch(batch)?;
            self.flush()?;
            drop(old);
            self.db.drop_tree(V1_ACCOUNTS_TREE)?;
        }

        // 2. Changes: one JSON record per (seq, account) → chunks per seq; remember each
        //    account's last change for the snapshot.
        let mut names: Vec<String> = Vec::new();
        let mut last: HashMap<String, LastChange> = HashMap::new();
        let had_v1_changes = has_tree(V1_TIER_CHANGES_TREE);
        let mut changes_converted = 0usize;
        if had_v1_changes {
            let old = self.db.open_tree(V1_TIER_CHANGES_TREE)?;
            let mut pending: Vec<(String, LastChange)> = Vec::new();
            let mut pending_seq = 0;
            let mut chunk_no = 0u32;
            let mut batch = sled::Batch::default();
            let flush_chunk = |pending: &mut Vec<(String, LastChange)>,
                               seq: u64,
                               chunk_no: &mut u32,
                               names: &[String],
                               batch: &mut sled::Batch| {
                if !pending.is_empty() {
                    let entries = pending.iter().map(|(id, c)| (id.as_str(), *c));
                    batch.insert(
                        &change_log_key(seq, *chunk_no),
                        encode_change_chunk(names, entries),
                    );
                    *chunk_no += 1;
                    pending.clear();
                }
            };
            for entry in old.iter() {
                let (key, value) = entry?;
                let change: RecordedChange = decode(V1_TIER_CHANGES_TREE, &key, &value)?;
                if change.seq != pending_seq {
                    flush_chunk(&mut pending, pending_seq, &mut chunk_no, &names, &mut batch);
                    self.tier_change_log
                        .apply_batch(std::mem::take(&mut batch))?;
                    pending_seq = change.seq;
                    chunk_no = 0;
                }
                let compact = LastChange {
                    seq: change.seq,
                    from: change
                        .from
                        .as_deref()
                        .map_or(NO_TIER, |f| intern(&mut names, f)),
                    to: intern(&mut names, &change.to),
                    direction: change.direction,
                };
                last.insert(change.account_id.clone(), compact);
                pending.push((change.account_id, compact));
                changes_converted += 1;
                if pending.len() == CHANGE_CHUNK {
                    flush_chunk(&mut pending, pending_seq, &mut chunk_no, &names, &mut batch);
                }
            }
            flush_chunk(&mut pending, pending_seq, &mut chunk_no, &names, &mut batch);
            self.tier_change_log.apply_batch(batch)?;
        }

        // 3. Snapshot: key `tiers` (JSON tier ids) + chunks `c` + u32 of (tier u16 LE, id length
        //    u16 LE, id) → the version-2 chunks, in one batch that also removes the old keys.
        if let Some(tiers) = self.tier_snapshot.get(b"tiers")? {
            let tiers: Vec<String> = decode(TIER_SNAPSHOT_TREE, b"tiers", &tiers)?;
            let tier_names: Vec<u16> = tiers.iter().map(|t| intern(&mut names, t)).collect();
            let mut entries: Vec<(String, u16, LastChange)> = Vec::new();
            let mut batch = sled::Batch::default();
            batch.remove(b"tiers".as_slice());
            for entry in self.tier_snapshot.scan_prefix(b"c") {
                let (key, chunk) = entry?;
                let bad = |message: &str| {
                    damaged(
                        TIER_SNAPSHOT_TREE,
                        String::from_utf8_lossy(&key).into_owned(),
                        CodecError::new(message),
                    )
                };
                let mut rest: &[u8] = &chunk;
                while !rest.is_empty() {
                    let header = rest.get(..4).ok_or_else(|| bad("truncated entry"))?;
                    let tier = u16::from_le_bytes([header[0], header[1]]);
                    let len = usize::from(u16::from_le_bytes([header[2], header[3]]));
                    let id = rest.get(4..4 + len).ok_or_else(|| bad("truncated entry"))?;
                    let id = std::str::from_utf8(id).map_err(|_| bad("account id is not UTF-8"))?;
                    let tier = *tier_names
                        .get(usize::from(tier))
                        .ok_or_else(|| bad("unknown tier"))?;
                    let last = last.get(id).copied().unwrap_or(LastChange::NONE);
                    entries.push((id.to_owned(), tier, last));
                    rest = &rest[4 + len..];
                }
                batch.remove(key);
            }
            for (chunk_no, chunk) in entries.chunks(SNAPSHOT_CHUNK).enumerate() {
                let chunk = chunk
                    .iter()
                    .map(|(id, tier, last)| (id.as_str(), *tier, *last));
                batch.insert(
                    &snapshot_key(chunk_no as u32),
                    encode_snapshot_chunk(&names, chunk),
                );
            }
            self.tier_snapshot.apply_batch(batch)?;
        }
        self.flush()?;

        // 4. The version-1 trees are no longer needed.
        for tree in [V1_TIER_CHANGES_TREE, V1_TIER_CHANGES_BY_ACCOUNT_TREE] {
            self.db.drop_tree(tree)?;
        }
        self.flush()?;
        tracing::info!(
            accounts = converted,
            changes = changes_converted,
            "store upgraded from layout version 1: accounts and tier history in binary chunks"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn full_account() -> Account {
        Account {
            id: "KH-001".to_owned(),
            name: "华东星海精密有限公司".to_owned(),
            aliases: vec!["星海精密".to_owned(), "Xinghai".to_owned()],
            industry: Some("制造".to_owned()),
            region: Some("华东".to_owned()),
            owner: Some("zhang.wei".to_owned()),
            indicators: Indicators {
                revenue: Some(Money(12_345_678_901)),
                profit: Some(Money(-300_000)),
                collected: Some(Money(i64::MIN)),
                transactions: Some(u64::MAX),
                cooperation_years: Some(3.5),
                overdue_days: Some(u32::MAX),
                product_lines: Some(0),
                credit: Some(CreditRating::Poor),
                referral: Some(true),
                picky: Some(false),
                strict: Some(true),
                potential_customer: Some(100),
                potential_service: Some(0),
            },
        }
    }

    fn record(seq: u64, trigger: &str, accounts: usize) -> RecomputeRecord {
        RecomputeRecord {
            seq,
            at: format!("2025-01-01T00:00:{seq:02}Z"),
            trigger: trigger.to_owned(),
            accounts,
            counts: Vec::new(),
            up: 0,
            down: 0,
            new: 0,
            changed: 0,
            millis: 0,
        }
    }

    /// Opens a store that was just closed: sled's background threads may hold its file lock
    /// for a moment after the last handle is dropped.
    fn reopen(dir: &std::path::Path) -> Store {
        for _ in 0..50 {
            match Store::open(dir) {
                Err(StoreError::Open { .. }) => {
                    std::thread::sleep(std::time::Duration::from_millis(20))
                }
                result => return result.unwrap(),
            }
        }
        Store::open(dir).unwrap()
    }

    fn no_indicators(id: &str) -> Account {
        let mut a = account(id, 1);
        a.indicators = Indicators::default();
        a
    }

    #[test]
    fn accounts_round_trip_in_binary_with_every_field_and_with_none() {
        let accounts = [full_account(), account("b", 0), no_indicators("c")];
        let chunk = encode_account_chunk(accounts.iter());
        let mut back = Vec::new();
        decode_account_chunk(b"KH-001", &chunk, &mut back).unwrap();
        assert_eq!(back, accounts);
        // Far smaller than the JSON it replaces.
        let json = serde_json::to_vec(&full_account()).unwrap();
        let one = encode_account_chunk([full_account()].iter());
        assert!(
            one.len() * 3 < json.len(),
            "{} vs {}",
            one.len(),
            json.len()
        );
    }

    #[test]
    fn a_corrupt_account_chunk_is_a_clear_error_not_a_panic() {
        let accounts = [full_account(), account("b", 0)];
        let chunk = encode_account_chunk(accounts.iter());
        for cut in 0..chunk.len() {
            let error = decode_account_chunk(b"KH-001", &chunk[..cut], &mut Vec::new())
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("\"KH-001\"") && error.contains(ACCOUNT_CHUNKS_TREE),
                "{error}"
            );
        }
        let mut longer = chunk.clone();
        longer.push(0);
        let error = decode_account_chunk(b"KH-001", &longer, &mut Vec::new()).unwrap_err();
        assert!(error.to_string().contains("unexpected bytes"), "{error}");
        let mut newer = chunk.clone();
        newer[0] = 9;
        let error = decode_account_chunk(b"KH-001", &newer, &mut Vec::new()).unwrap_err();
        assert!(error.to_string().contains("newer playbook"), "{error}");
        let error = decode_account_chunk(b"A", &chunk, &mut Vec::new()).unwrap_err();
        assert!(
            error.to_string().contains("differs from the key"),
            "{error}"
        );
        let unordered = encode_account_chunk([account("b", 0), account("a", 0)].iter());
        let error = decode_account_chunk(b"b", &unordered, &mut Vec::new()).unwrap_err();
        assert!(error.to_string().contains("out of order"), "{error}");
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
        assert_eq!(store.get_account("0").unwrap(), None);
        assert_eq!(store.get_account("bb").unwrap(), None);
    }

    #[test]
    fn upserts_split_growing_chunks_and_rewrite_only_the_chunks_they_touch() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let id = |i: usize| format!("K{i:04}");
        // Every other id, then the ones in between, then some before the first and after the
        // last: chunks grow past the maximum, split, and the first chunk's key moves.
        let evens: Vec<Account> = (10..60).step_by(2).map(|i| account(&id(i), 1)).collect();
        assert_eq!(store.upsert_accounts(&evens).unwrap().new, 25);
        let odds: Vec<Account> = (11..60).step_by(2).map(|i| account(&id(i), 2)).collect();
        assert_eq!(store.upsert_accounts(&odds).unwrap().new, 25);
        let edges: Vec<Account> = [0, 1, 2, 60, 61, 30]
            .into_iter()
            .map(|i| account(&id(i), 3))
            .collect();
        let counts = store.upsert_accounts(&edges).unwrap();
        assert_eq!(counts, UpsertCounts { new: 5, updated: 1 });

        let all = store.list_accounts().unwrap();
        let ids: Vec<String> = all.iter().map(|a| a.id.clone()).collect();
        let expected: Vec<String> = [0, 1, 2].into_iter().chain(10..62).map(id).collect();
        assert_eq!(ids, expected);
        assert_eq!(store.count_accounts().unwrap(), expected.len());
        assert_eq!(
            store
                .get_account(&id(30))
                .unwrap()
                .unwrap()
                .indicators
                .revenue,
            Some(Money::from_major(3))
        );
        let keys: Vec<sled::IVec> = store
            .account_chunks
            .iter()
            .keys()
            .map(Result::unwrap)
            .collect();
        assert_eq!(keys[0].as_ref(), id(0).as_bytes());
        for (key, value) in store.account_chunks.iter().map(Result::unwrap) {
            let mut chunk = Vec::new();
            decode_account_chunk(&key, &value, &mut chunk).unwrap();
            assert!((1..=ACCOUNT_CHUNK_MAX).contains(&chunk.len()));
        }
        for i in [0, 11, 30, 59, 61] {
            assert_eq!(store.get_account(&id(i)).unwrap().unwrap().id, id(i));
        }
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

    /// Ids, tiers and last changes of `n` accounts: every third changed at `seq`.
    struct Fixture {
        names: Vec<String>,
        accounts: Vec<Account>,
        tiers: Vec<u16>,
        last: Vec<LastChange>,
    }

    fn fixture(n: usize, seq: u64) -> Fixture {
        let names = vec!["strategic".to_owned(), "small".to_owned()];
        let accounts: Vec<Account> = (0..n).map(|i| account(&format!("K{i:07}"), 1)).collect();
        let tiers: Vec<u16> = (0..n).map(|i| (i % 2) as u16).collect();
        let last = (0..n)
            .map(|i| LastChange {
                seq: if i % 3 == 0 { seq } else { 1 },
                from: if i % 3 == 0 {
                    1 - (i % 2) as u16
                } else {
                    NO_TIER
                },
                to: (i % 2) as u16,
                direction: if i % 3 == 0 {
                    Direction::Up
                } else {
                    Direction::New
                },
            })
            .collect();
        Fixture {
            names,
            accounts,
            tiers,
            last,
        }
    }

    fn write(store: &Store, f: &Fixture, seq: u64, changed: &[u32], scope: SnapshotScope) {
        let record = record(seq, "import", f.accounts.len());
        store
            .record_recompute(&RecomputeWrite {
                record: &record,
                names: &f.names,
                accounts: &f.accounts,
                tiers: &f.tiers,
                last: &f.last,
                changed,
                snapshot: scope,
            })
            .unwrap();
    }

    #[test]
    fn a_snapshot_larger_than_a_chunk_round_trips_shrinks_and_updates_only_changed_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        // Chunk boundaries: exactly one chunk, one chunk and one entry, two chunks and a bit.
        for n in [SNAPSHOT_CHUNK, SNAPSHOT_CHUNK + 1, 2 * SNAPSHOT_CHUNK + 10] {
            let f = fixture(n, 2);
            write(&store, &f, 2, &[], SnapshotScope::Full);
            let snapshot = store.tier_snapshot().unwrap().unwrap();
            assert_eq!(snapshot.len(), n);
            assert_eq!(snapshot.names, f.names);
            assert_eq!(snapshot.tiers, f.tiers);
            assert_eq!(snapshot.last, f.last);
            assert_eq!(snapshot.id(n - 1), f.accounts[n - 1].id);
        }
        let f = fixture(5, 2);
        write(&store, &f, 3, &[], SnapshotScope::Full);
        let snapshot = store.tier_snapshot().unwrap().unwrap();
        assert_eq!(snapshot.len(), 5);
        assert_eq!(snapshot.pairs().nth(1), Some(("K0000001", "small")));
        assert_eq!(store.next_recompute_seq().unwrap(), 4);

        // Only the chunk holding a changed account is rewritten.
        let mut f = fixture(SNAPSHOT_CHUNK + 3, 4);
        write(&store, &f, 4, &[], SnapshotScope::Full);
        let changed = SNAPSHOT_CHUNK + 1;
        f.tiers[changed] = 0;
        f.tiers[0] = 1; // not reported as changed, so not rewritten
        f.last[changed] = LastChange {
            seq: 5,
            from: 1,
            to: 0,
            direction: Direction::Up,
        };
        write(
            &store,
            &f,
            5,
            &[changed as u32],
            SnapshotScope::ChangedChunks,
        );
        let snapshot = store.tier_snapshot().unwrap().unwrap();
        assert_eq!(snapshot.tiers[changed], 0);
        assert_eq!(snapshot.last[changed].seq, 5);
        assert_eq!(snapshot.tiers[0], 0, "chunk 0 was left as it was");
    }

    #[test]
    fn recorded_changes_are_listed_newest_first_across_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let n = CHANGE_CHUNK + 5;
        let f = fixture(n, 1);
        let all: Vec<u32> = (0..n as u32).collect();
        write(&store, &f, 1, &all, SnapshotScope::Full);
        let mut f2 = fixture(n, 2);
        f2.last[7] = LastChange {
            seq: 2,
            from: 1,
            to: 0,
            direction: Direction::Up,
        };
        write(&store, &f2, 2, &[7], SnapshotScope::ChangedChunks);

        let recent = store.recent_changes(n + 10).unwrap();
        assert_eq!(recent.len(), n + 1);
        assert_eq!(
            (
                recent[0].seq,
                recent[0].account_id.as_str(),
                recent[0].trigger.as_str()
            ),
            (2, "K0000007", "import")
        );
        assert_eq!(recent[0].from.as_deref(), Some("small"));
        assert_eq!(recent[0].to, "strategic");
        assert_eq!(recent[0].at, "2025-01-01T00:00:02Z");
        // Then seq 1 from the highest id down, across the chunk boundary.
        let ids: Vec<&str> = recent[1..].iter().map(|c| c.account_id.as_str()).collect();
        let mut expected: Vec<String> = (0..n).rev().map(|i| format!("K{i:07}")).collect();
        expected.truncate(n);
        assert_eq!(ids, expected);
        assert_eq!(store.recent_changes(3).unwrap().len(), 3);
        assert_eq!(recent[n].direction, Direction::Up); // K0000000: i % 3 == 0
        assert_eq!(recent[n - 1].direction, Direction::New);
        assert_eq!(recent[n - 1].from, None);
    }

    #[test]
    fn corrupt_chunks_are_clear_errors_not_panics() {
        let names = vec!["strategic".to_owned(), "small".to_owned()];
        let last = LastChange {
            seq: 9,
            from: 0,
            to: 1,
            direction: Direction::Down,
        };
        let snapshot = encode_snapshot_chunk(
            &names,
            [("a", 1, last), ("b", 0, LastChange::NONE)].into_iter(),
        );
        let changes = encode_change_chunk(&names, [("a", last)].into_iter());
        // Every truncation fails cleanly.
        for cut in 0..snapshot.len() {
            let mut out = TierSnapshot::default();
            assert!(decode_snapshot_chunk(&snapshot[..cut], &mut out).is_err());
        }
        for cut in 0..changes.len() {
            assert!(decode_change_chunk(&changes[..cut]).is_err());
        }
        // A tier index past the names, an unknown direction, ids out of order, a newer layout.
        let bad_tier = encode_snapshot_chunk(&names, [("a", 5, LastChange::NONE)].into_iter());
        let error = decode_snapshot_chunk(&bad_tier, &mut TierSnapshot::default()).unwrap_err();
        assert!(error.0.contains("tier"), "{error}");
        let mut bad_direction = changes.clone();
        *bad_direction.last_mut().unwrap() = 9;
        assert!(decode_change_chunk(&bad_direction)
            .unwrap_err()
            .0
            .contains("direction"));
        let unordered = encode_snapshot_chunk(
            &names,
            [("b", 0, LastChange::NONE), ("a", 0, LastChange::NONE)].into_iter(),
        );
        assert!(
            decode_snapshot_chunk(&unordered, &mut TierSnapshot::default())
                .unwrap_err()
                .0
                .contains("out of order")
        );
        let mut newer = changes.clone();
        newer[0] = 2;
        assert!(decode_change_chunk(&newer).unwrap_err().0.contains("newer"));

        // Through the store: the error names the tree and the chunk.
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .tier_change_log
            .insert(change_log_key(3, 0), &changes[..changes.len() - 1])
            .unwrap();
        store
            .tier_snapshot
            .insert(snapshot_key(0), &snapshot[..5])
            .unwrap();
        let error = store.recent_changes(10).unwrap_err().to_string();
        assert!(
            error.contains("tier_change_log") && error.contains("seq 3 chunk 0"),
            "{error}"
        );
        let error = store.tier_snapshot().unwrap_err().to_string();
        assert!(
            error.contains("tier_snapshot") && error.contains("chunk 0"),
            "{error}"
        );
    }

    #[test]
    fn a_version_1_store_is_upgraded_keeping_accounts_changes_and_last_changes() {
        let dir = tempfile::tempdir().unwrap();
        {
            // The layout of schema version 1, written by hand.
            let db = sled::open(dir.path()).unwrap();
            let meta = db.open_tree(super::super::META_TREE).unwrap();
            meta.insert(super::super::SCHEMA_VERSION_KEY, b"1").unwrap();
            let accounts = db.open_tree(V1_ACCOUNTS_TREE).unwrap();
            for a in [full_account(), account("a", 5)] {
                accounts
                    .insert(a.id.as_bytes(), serde_json::to_vec(&a).unwrap())
                    .unwrap();
            }
            let runs = db.open_tree(TIER_RUNS_TREE).unwrap();
            let changes = db.open_tree(V1_TIER_CHANGES_TREE).unwrap();
            let by_account = db.open_tree(V1_TIER_CHANGES_BY_ACCOUNT_TREE).unwrap();
            let put = |seq: u64, id: &str, from: Option<&str>, to: &str, d: Direction| {
                let change = RecordedChange {
                    seq,
                    at: format!("2025-01-01T00:00:{seq:02}Z"),
                    trigger: "import".to_owned(),
                    account_id: id.to_owned(),
                    from: from.map(str::to_owned),
                    to: to.to_owned(),
                    direction: d,
                };
                let mut key = seq.to_be_bytes().to_vec();
                key.extend_from_slice(id.as_bytes());
                changes
                    .insert(key, serde_json::to_vec(&change).unwrap())
                    .unwrap();
                let mut key = id.as_bytes().to_vec();
                key.push(0);
                key.extend_from_slice(&seq.to_be_bytes());
                by_account.insert(key, &[]).unwrap();
            };
            put(1, "KH-001", None, "small", Direction::New);
            put(1, "a", None, "strategic", Direction::New);
            put(2, "KH-001", Some("small"), "strategic", Direction::Up);
            put(2, "a", Some("strategic"), "small", Direction::Down);
            for seq in [1u64, 2] {
                runs.insert(
                    seq.to_be_bytes(),
                    serde_json::to_vec(&record(seq, "import", 2)).unwrap(),
                )
                .unwrap();
            }
            let snapshot = db.open_tree(TIER_SNAPSHOT_TREE).unwrap();
            snapshot
                .insert(
                    b"tiers",
                    serde_json::to_vec(&["strategic", "small"]).unwrap(),
                )
                .unwrap();
            let mut chunk = Vec::new();
            for (id, tier) in [("KH-001", 0u16), ("a", 1)] {
                chunk.extend_from_slice(&tier.to_le_bytes());
                chunk.extend_from_slice(&(id.len() as u16).to_le_bytes());
                chunk.extend_from_slice(id.as_bytes());
            }
            let mut key = b"c".to_vec();
            key.extend_from_slice(&0u32.to_be_bytes());
            snapshot.insert(key, chunk).unwrap();
            db.flush().unwrap();
        }

        let store = reopen(dir.path());

        let version = store
            .meta
            .get(super::super::SCHEMA_VERSION_KEY)
            .unwrap()
            .unwrap();
        assert_eq!(
            version.as_ref(),
            super::super::SCHEMA_VERSION.to_string().as_bytes()
        );
        assert_eq!(
            store.list_accounts().unwrap(),
            [full_account(), account("a", 5)]
        );
        assert_eq!(store.account_chunks.len(), 1, "one chunk");
        let recent: Vec<(u64, String, Option<String>, String)> = store
            .recent_changes(10)
            .unwrap()
            .into_iter()
            .map(|c| (c.seq, c.account_id, c.from, c.to))
            .collect();
        assert_eq!(
            recent,
            [
                (2, "a".into(), Some("strategic".into()), "small".into()),
                (2, "KH-001".into(), Some("small".into()), "strategic".into()),
                (1, "a".into(), None, "strategic".into()),
                (1, "KH-001".into(), None, "small".into()),
            ]
        );
        let snapshot = store.tier_snapshot().unwrap().unwrap();
        let pairs: Vec<(&str, &str)> = snapshot.pairs().collect();
        assert_eq!(pairs, [("KH-001", "strategic"), ("a", "small")]);
        assert_eq!(snapshot.last[1].seq, 2);
        assert_eq!(snapshot.last[1].direction, Direction::Down);
        assert_eq!(
            snapshot.names[usize::from(snapshot.last[1].from)],
            "strategic"
        );
        for old in [
            V1_ACCOUNTS_TREE,
            V1_TIER_CHANGES_TREE,
            V1_TIER_CHANGES_BY_ACCOUNT_TREE,
        ] {
            assert!(!store
                .db
                .tree_names()
                .iter()
                .any(|n| n.as_ref() == old.as_bytes()));
        }
        assert!(store.tier_snapshot.get(b"tiers").unwrap().is_none());
        drop(store);
        // Opening again changes nothing.
        let store = reopen(dir.path());
        assert_eq!(store.recent_changes(10).unwrap().len(), 4);
    }
}
