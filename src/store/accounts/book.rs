//! The account methods of Store: account chunks, the tier model, overrides, recompute records, the
//! change log and the snapshot, and the upgrade of version-1 stores.

use super::*;

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
        let starts: Vec<IVec> = self
            .account_chunks
            .iter()
            .keys()
            .collect::<Result<_, _>>()?;
        let mut batch = Batch::default();
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
            .map(|bytes| decode(crate::store::META_TREE, TIER_MODEL_KEY.as_bytes(), &bytes))
            .transpose()
    }

    /// Stores the tier model, durably.
    pub fn put_tier_model(&self, model: &TierModel) -> Result<(), StoreError> {
        let _gate = self.write_gate();
        self.meta.insert(
            TIER_MODEL_KEY,
            encode(crate::store::META_TREE, TIER_MODEL_KEY, model)?,
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

    /// The column mapping remembered under `key` (a header fingerprint or a source name).
    pub fn import_mapping(&self, key: &str) -> Result<Option<SavedMapping>, StoreError> {
        self.import_mappings
            .get(key.as_bytes())?
            .map(|bytes| decode(IMPORT_MAPPINGS_TREE, key.as_bytes(), &bytes))
            .transpose()
    }

    /// Remembers a column mapping under each of `keys`, durably.
    pub fn put_import_mapping(
        &self,
        keys: &[&str],
        value: &SavedMapping,
    ) -> Result<(), StoreError> {
        let _gate = self.write_gate();
        let mut batch = Batch::default();
        for key in keys {
            batch.insert(key.as_bytes(), encode(IMPORT_MAPPINGS_TREE, key, value)?);
        }
        self.import_mappings.apply_batch(batch)?;
        self.flush()
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

        let mut changes = Batch::default();
        for (chunk_no, chunk) in write.changed.chunks(CHANGE_CHUNK).enumerate() {
            let entries = chunk
                .iter()
                .map(|&p| (id(p as usize), write.last[p as usize]));
            changes.insert(
                &change_log_key(seq, chunk_no as u32),
                encode_change_chunk(write.names, entries),
            );
        }

        let mut snapshot = Batch::default();
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
        let written = self.kv.transaction(
            &[&self.tier_runs, &self.tier_change_log, &self.tier_snapshot],
            |tx| {
                tx.apply_batch(&self.tier_change_log, &changes)?;
                tx.apply_batch(&self.tier_snapshot, &snapshot)?;
                tx.insert(&self.tier_runs, seq_key(seq), &record)?;
                // Other nodes on a shared store load the new tiers.
                tx.announce()?;
                Ok::<(), TxError<()>>(())
            },
        );
        crate::store::kv::transaction_result(written)?;
        self.flush()
    }

    /// The most recent tier changes, newest first (by recompute, then by account id
    /// descending).
    pub fn recent_changes(&self, limit: usize) -> Result<Vec<RecordedChange>, StoreError> {
        let mut out = Vec::with_capacity(limit.min(1_024));
        if limit == 0 {
            return Ok(out);
        }
        self.scan_changes_newest_first(|change| {
            out.push(change);
            out.len() < limit
        })?;
        Ok(out)
    }

    /// Hands every recorded tier change to `visit`, newest first (as [`Store::recent_changes`]
    /// orders them), until `visit` answers `false`. Lets a reader filter the log without
    /// knowing beforehand how far back it has to read.
    pub fn scan_changes_newest_first(
        &self,
        mut visit: impl FnMut(RecordedChange) -> bool,
    ) -> Result<(), StoreError> {
        let mut run: Option<(u64, String, String)> = None;
        for entry in self.tier_change_log.iter().rev() {
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
            let Some((_, at, trigger)) = run.as_ref() else {
                continue;
            };
            let chunk = decode_change_chunk(&value)
                .map_err(|e| damaged(TIER_CHANGE_LOG_TREE, change_log_key_text(&key), e))?;
            for &(id, from, to, direction) in chunk.iter().rev() {
                let more = visit(RecordedChange {
                    seq,
                    at: at.clone(),
                    trigger: trigger.clone(),
                    account_id: id.to_owned(),
                    from: from.map(str::to_owned),
                    to: to.to_owned(),
                    direction,
                });
                if !more {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Rewrites the account chunks that hold money in fen (chunk version 1, layouts 2 and 3)
    /// in [`Money`] units (ten-thousandths of a yuan), in one batch, durably. Chunks already
    /// rewritten are left alone, so an interrupted upgrade is finished by the next open.
    pub(in crate::store) fn upgrade_money_units(&self) -> Result<usize, StoreError> {
        let mut batch = Batch::default();
        let mut converted = 0;
        for entry in self.account_chunks.iter() {
            let (key, value) = entry?;
            if value.first() != Some(&ACCOUNT_CHUNK_VERSION_FEN) {
                continue;
            }
            let mut accounts = Vec::new();
            decode_account_chunk(&key, &value, &mut accounts)?;
            converted += accounts.len();
            batch.insert(key, encode_account_chunk(accounts.iter()));
        }
        self.account_chunks.apply_batch(batch)?;
        self.flush()?;
        Ok(converted)
    }

    /// Converts the account trees of a schema-version-1 store: accounts from JSON into chunks,
    /// the per-change records into change-log chunks, the snapshot into the version-2 layout
    /// (with each account's last change), then drops the version-1 trees. Every step can be
    /// repeated, so a crash during the upgrade is repaired by the next open (the version is
    /// only raised by the caller once this returns).
    pub(in crate::store) fn upgrade_accounts_from_v1(&self) -> Result<(), StoreError> {
        // 1. Accounts: one JSON record per id → chunks (in one batch), then drop the old tree.
        let names = self.kv.tree_names()?;
        let has_tree = |name: &str| names.iter().any(|n| n == name);
        let mut converted = 0usize;
        if has_tree(V1_ACCOUNTS_TREE) {
            let old = self.kv.open_tree(V1_ACCOUNTS_TREE)?;
            let mut accounts: Vec<Account> = Vec::new();
            for entry in old.iter() {
                let (key, value) = entry?;
                accounts.push(decode_v1_account(&key, &value)?);
            }
            converted = accounts.len();
            let mut batch = Batch::default();
            for key in self.account_chunks.iter().keys() {
                batch.remove(key?);
            }
            for piece in accounts.chunks(ACCOUNT_CHUNK) {
                batch.insert(piece[0].id.as_bytes(), encode_account_chunk(piece.iter()));
            }
            self.account_chunks.apply_batch(batch)?;
            self.flush()?;
            drop(old);
            self.kv.drop_tree(V1_ACCOUNTS_TREE)?;
        }

        // 2. Changes: one JSON record per (seq, account) → chunks per seq; remember each
        //    account's last change for the snapshot.
        let mut names: Vec<String> = Vec::new();
        let mut last: HashMap<String, LastChange> = HashMap::new();
        let had_v1_changes = has_tree(V1_TIER_CHANGES_TREE);
        let mut changes_converted = 0usize;
        if had_v1_changes {
            let old = self.kv.open_tree(V1_TIER_CHANGES_TREE)?;
            let mut pending: Vec<(String, LastChange)> = Vec::new();
            let mut pending_seq = 0;
            let mut chunk_no = 0u32;
            let mut batch = Batch::default();
            let flush_chunk = |pending: &mut Vec<(String, LastChange)>,
                               seq: u64,
                               chunk_no: &mut u32,
                               names: &[String],
                               batch: &mut Batch| {
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
            let mut batch = Batch::default();
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
            self.kv.drop_tree(tree)?;
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

/// An account of a layout-1 store: JSON whose money fields are integers of fen (the JSON of
/// [`Money`] is now yuan).
fn decode_v1_account(key: &[u8], value: &[u8]) -> Result<Account, StoreError> {
    let corrupt = |source: serde_json::Error| StoreError::Corrupt {
        tree: V1_ACCOUNTS_TREE,
        key: String::from_utf8_lossy(key).into_owned(),
        source,
    };
    let mut json: serde_json::Value = serde_json::from_slice(value).map_err(corrupt)?;
    let mut fen = [None; 3];
    if let Some(indicators) = json.get_mut("indicators").and_then(|v| v.as_object_mut()) {
        for (slot, field) in fen.iter_mut().zip(["revenue", "profit", "collected"]) {
            *slot = indicators.remove(field).and_then(|v| v.as_i64());
        }
    }
    let mut account: Account = serde_json::from_value(json).map_err(corrupt)?;
    let money = |fen: Option<i64>| fen.map(|f| Money(f.saturating_mul(Money::PER_YUAN / 100)));
    account.indicators.revenue = money(fen[0]);
    account.indicators.profit = money(fen[1]);
    account.indicators.collected = money(fen[2]);
    Ok(account)
}
