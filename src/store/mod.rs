//! The store: sled, the source of truth for everything Playbook keeps.
//!
//! Tree names and key layouts are the constants below. Values are JSON of domain types, except
//! accounts and the tier history, which are compact binary chunks ([`codec`], layouts in
//! `accounts.rs`); no sled type leaks out of this module. Every method that changes data
//! flushes before it returns, so a caller that acknowledges a write after `Ok` never acknowledges
//! something a crash could undo. The store never imports the web layer or the search index.
//!
//! Content lives here; accounts, the tier model, overrides and the tier history live in
//! [`accounts`] (same `Store`, more trees).

mod accounts;
mod attachments;
pub mod backup;
pub mod codec;
mod editing;
pub mod kv;
pub mod migrate;
pub mod recent;
mod throttle;
mod users;

pub use attachments::{
    sha256_hex, Attachment, NewAttachment, ATTACHMENTS_TREE, ATTACHMENT_BLOBS_TREE,
    ATTACHMENT_TEXTS_TREE,
};
pub use editing::{EditStamp, VersionSummary, CONTENT_VERSIONS_TREE, PROGRESS_TREE};

pub use accounts::{
    LastChange, RecomputeRecord, RecomputeWrite, RecordedChange, SavedMapping, SnapshotScope,
    TierSnapshot, UpsertCounts, ACCOUNT_CHUNK, ACCOUNT_CHUNKS_TREE, ACCOUNT_CHUNK_MAX,
    CHANGE_CHUNK, IMPORT_MAPPINGS_TREE, NO_TIER, OVERRIDES_TREE, SNAPSHOT_CHUNK,
    TIER_CHANGE_LOG_TREE, TIER_MODEL_KEY, TIER_RUNS_TREE, TIER_SNAPSHOT_TREE,
};

pub use throttle::THROTTLE_TREE;
pub use users::{
    ApiTokenRecord, SessionRecord, UserRecord, API_TOKENS_TREE, SESSIONS_TREE, USERS_TREE,
};

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use kv::{is_postgres_url, LockKey, StoreLocation};
use kv::{Batch, Kv, TransactionError, Tree, TxError};

use crate::domain::content::{same_content, ContentError, ContentItem, Source};
use crate::domain::workflow::{Action, Version};

/// Tree `content`: key = item id (UTF-8), value = JSON [`StoredContent`].
pub const CONTENT_TREE: &str = "content";
/// Tree `content_catalog`: key = item id, value = JSON [`ContentItem`]: the version the index
/// holds ([`Store::list_indexed`]) without its body. Written in the same transaction as
/// `content`; a few hundred bytes an item, so the library's catalog is read at start without
/// reading every body.
pub const CONTENT_CATALOG_TREE: &str = "content_catalog";
/// Tree `outbox`: key = change sequence number (u64 big-endian), value = id of the content item
/// that changed. Written in the same transaction as the change; the search indexer applies
/// entries in order and prunes those its index has committed (see `crate::search`).
pub const OUTBOX_TREE: &str = "outbox";
/// Tree `search_misses`: key = sequence number (u64 big-endian), value = JSON [`SearchMiss`].
pub const SEARCH_MISSES_TREE: &str = "search_misses";
/// Tree `meta`: key = setting name, value = UTF-8 text.
pub const META_TREE: &str = "meta";
/// Key in [`META_TREE`] holding the layout version of the store.
pub const SCHEMA_VERSION_KEY: &str = "schema_version";
/// Key in [`META_TREE`]: the fingerprint of the content directory at the last sync and the
/// problems that load found (JSON, [`ContentLoad`]).
const CONTENT_LOAD_KEY: &str = "content_load";
/// Key in [`META_TREE`]: the highest outbox sequence number trimmed from a shared store.
const OUTBOX_TRIMMED_KEY: &str = "outbox_trimmed_through";
/// Bump when a stored layout changes incompatibly; `open` refuses newer stores and upgrades
/// older ones. Version 2: accounts in binary chunks, the tier history as chunks per recompute
/// (version 1: one JSON record per account and per tier change). Version 3: the
/// `content_catalog` tree. Version 4: money in ten-thousandths of a yuan (account chunk
/// version 2; the fen of earlier chunks are multiplied by 100).
pub const SCHEMA_VERSION: u32 = 4;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store in {path}: {source} (is another playbook process using this --data-dir?)")]
    Open { path: String, source: sled::Error },
    #[error("store I/O failed: {0}")]
    Sled(#[from] sled::Error),
    /// The database cannot be reached (PostgreSQL down, the network, no free connection in
    /// time). Answered 503; the node recovers by itself when the database is back.
    #[error("the database is unreachable: {0}")]
    Unavailable(String),
    #[error("the database failed: {0}")]
    Database(String),
    #[error("stored record {key:?} in tree {tree} is unreadable: {source}")]
    Corrupt {
        tree: &'static str,
        key: String,
        source: serde_json::Error,
    },
    #[error("stored record {key} in tree {tree} is unreadable: {message}")]
    Damaged {
        tree: &'static str,
        key: String,
        message: String,
    },
    #[error("stored value {key:?} in tree {tree} cannot be written: {message}")]
    Encode {
        tree: &'static str,
        key: String,
        message: String,
    },
    #[error("the store in {path} has layout version {found}, newer than this build understands; upgrade playbook")]
    TooNew { path: String, found: u32 },
    /// An edit based on a version that is no longer the latest: someone saved meanwhile.
    #[error(
        "{id} changed meanwhile: you edited version {expected}, the latest is version {found}"
    )]
    EditConflict {
        id: String,
        expected: u64,
        found: u64,
    },
}

/// A content item as stored: the working copy, the published version readers keep seeing while
/// the working copy is a draft or in review, and where the item stands with its file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentRecord {
    /// The latest state (the working copy).
    pub item: ContentItem,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
    /// The published version, kept while `item` is a newer unpublished working copy.
    #[serde(default)]
    pub live: Option<ContentItem>,
    /// Number of the latest version (0: stored before versions were kept).
    #[serde(default)]
    pub version: u64,
    /// File items: the hash of the file text last loaded.
    #[serde(default)]
    pub file_hash: Option<String>,
    /// File items: the last change made in the editor since the file was loaded. The file no
    /// longer overwrites the item; a changed file is reported as a conflict.
    #[serde(default)]
    pub edited: Option<EditStamp>,
}

impl ContentRecord {
    /// What readers see: the live version, else the working copy (if they may read it).
    pub fn readable_version(&self) -> &ContentItem {
        self.live.as_ref().unwrap_or(&self.item)
    }
}

/// The last completed sync of the content directory: its fingerprint then
/// (`crate::app::content_loader::fingerprint`) and the problems the load reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentLoad {
    pub fingerprint: String,
    pub problems: Vec<ContentError>,
}

/// What a sync of the content directory changed.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct SyncSummary {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub removed: usize,
    /// Items whose file is broken now; their last good version stays in the store and is served.
    pub kept_last_good: usize,
    /// Files that changed (or were deleted) after their item was edited in the browser: the
    /// edit is kept, the file is not loaded.
    pub conflicts: Vec<SyncConflict>,
}

/// A file that would overwrite an edit made in the browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncConflict {
    pub path: String,
    pub id: String,
    pub edited_by: String,
    pub edited_at: String,
    /// The file was deleted (rather than changed).
    pub deleted: bool,
}

/// A query that found nothing, kept so trainers can see what content is missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchMiss {
    pub query: String,
    /// RFC 3339.
    pub at: String,
}

#[derive(Clone)]
pub struct Store {
    kv: Kv,
    /// Writers of records that must be consistent with each other hold it shared; a backup
    /// holds it exclusively while it copies every tree, so it sees no write half-done.
    gate: std::sync::Arc<std::sync::RwLock<()>>,
    meta: Tree,
    content: Tree,
    catalog: Tree,
    outbox: Tree,
    versions: Tree,
    progress: Tree,
    misses: Tree,
    account_chunks: Tree,
    overrides: Tree,
    import_mappings: Tree,
    attachments: Tree,
    attachment_blobs: Tree,
    attachment_texts: Tree,
    tier_snapshot: Tree,
    tier_runs: Tree,
    tier_change_log: Tree,
    users: Tree,
    sessions: Tree,
    api_tokens: Tree,
    recent_views: Tree,
    throttle: Tree,
}

/// The current time as RFC 3339 (UTC), as stored in records.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl Store {
    /// Opens (or creates) the sled store in `dir`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Store::open_at(&StoreLocation::Sled(dir.to_path_buf()))
    }

    /// Opens (or creates) the store at `location`: sled in a directory, or a PostgreSQL
    /// database (its tables migrated to this build's layout first).
    pub fn open_at(location: &StoreLocation) -> Result<Store, StoreError> {
        let kv = Kv::open(location)?;
        let meta = kv.open_tree(META_TREE)?;
        // `None`: a new store.
        let found: Option<u32> = match meta.get(SCHEMA_VERSION_KEY)? {
            Some(found) => {
                let found: u32 = String::from_utf8_lossy(&found).parse().unwrap_or(u32::MAX);
                if found > SCHEMA_VERSION {
                    return Err(StoreError::TooNew {
                        path: location.describe(),
                        found,
                    });
                }
                Some(found)
            }
            None => None,
        };
        let store = Store {
            content: kv.open_tree(CONTENT_TREE)?,
            catalog: kv.open_tree(CONTENT_CATALOG_TREE)?,
            outbox: kv.open_tree(OUTBOX_TREE)?,
            versions: kv.open_tree(CONTENT_VERSIONS_TREE)?,
            progress: kv.open_tree(PROGRESS_TREE)?,
            misses: kv.open_tree(SEARCH_MISSES_TREE)?,
            account_chunks: kv.open_tree(ACCOUNT_CHUNKS_TREE)?,
            overrides: kv.open_tree(OVERRIDES_TREE)?,
            import_mappings: kv.open_tree(IMPORT_MAPPINGS_TREE)?,
            attachments: kv.open_tree(ATTACHMENTS_TREE)?,
            attachment_blobs: kv.open_tree(ATTACHMENT_BLOBS_TREE)?,
            attachment_texts: kv.open_tree(ATTACHMENT_TEXTS_TREE)?,
            tier_snapshot: kv.open_tree(TIER_SNAPSHOT_TREE)?,
            tier_runs: kv.open_tree(TIER_RUNS_TREE)?,
            tier_change_log: kv.open_tree(TIER_CHANGE_LOG_TREE)?,
            users: kv.open_tree(USERS_TREE)?,
            sessions: kv.open_tree(SESSIONS_TREE)?,
            api_tokens: kv.open_tree(API_TOKENS_TREE)?,
            recent_views: kv.open_tree(recent::RECENT_VIEWS_TREE)?,
            throttle: kv.open_tree(throttle::THROTTLE_TREE)?,
            meta,
            kv,
            gate: std::sync::Arc::new(std::sync::RwLock::new(())),
        };
        if found.is_some_and(|v| v < 2) {
            store.upgrade_accounts_from_v1()?;
        }
        if found.is_some_and(|v| v < 3) {
            store.build_content_catalog()?;
        }
        if found.is_some_and(|v| v < 4) {
            let count = store.upgrade_money_units()?;
            tracing::info!(
                "store upgraded to layout version 4: money of {count} accounts kept to four \
                 decimals"
            );
        }
        if found != Some(SCHEMA_VERSION) {
            // Raised only after an upgrade completed: an interrupted one is redone.
            store
                .meta
                .insert(SCHEMA_VERSION_KEY, SCHEMA_VERSION.to_string().as_bytes())?;
            store.flush()?;
        }
        Ok(store)
    }

    /// Makes every write so far survive a crash: sled's log and blob files synced (see
    /// `kv::durable`); on PostgreSQL every write is already a committed transaction.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.kv.flush()
    }

    /// Whether this store is a PostgreSQL database (shared with other nodes).
    pub fn is_shared(&self) -> bool {
        self.kv.is_postgres()
    }

    /// Waits up to `timeout` for a change another node announced (a content write, a
    /// recompute) after the `seen`-th; returns the count to pass next time. On sled it only
    /// waits: no other process writes.
    pub fn wait_for_change(&self, seen: u64, timeout: std::time::Duration) -> u64 {
        self.kv.wait_for_change(seen, timeout)
    }

    /// A lock every node on this store respects, held until the guard is dropped (nothing on
    /// sled, where callers' own mutexes suffice).
    pub fn lock(&self, key: LockKey) -> Result<kv::KvLock, StoreError> {
        self.kv.lock(key)
    }

    /// One of `slots` places every node on this store shares (`None` when all are taken); on
    /// sled always granted (the caller's own per-process limit applies).
    pub fn try_shared_slot(&self, slots: usize) -> Result<Option<kv::KvLock>, StoreError> {
        self.kv.try_slot(slots)
    }

    /// Taken (shared) by every method that writes records a reader must see together; never
    /// held while calling another method that takes it (a waiting backup would deadlock it).
    fn write_gate(&self) -> std::sync::RwLockReadGuard<'_, ()> {
        self.gate.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The working copy of an item (any status).
    pub fn get_content(&self, id: &str) -> Result<Option<ContentItem>, StoreError> {
        Ok(self.get_record(id)?.map(|record| record.item))
    }

    pub fn get_record(&self, id: &str) -> Result<Option<ContentRecord>, StoreError> {
        match self.content.get(id.as_bytes())? {
            Some(bytes) => Ok(Some(decode_content(id.as_bytes(), &bytes)?)),
            None => Ok(None),
        }
    }

    /// Every stored item (working copies), ordered by id.
    pub fn list_content(&self) -> Result<Vec<ContentItem>, StoreError> {
        Ok(self.list_records()?.into_iter().map(|r| r.item).collect())
    }

    /// Every stored record, ordered by id.
    pub fn list_records(&self) -> Result<Vec<ContentRecord>, StoreError> {
        self.content
            .iter()
            .map(|entry| {
                let (key, value) = entry?;
                decode_content(&key, &value)
            })
            .collect()
    }

    /// What the search index holds for each item: the live version while a newer working copy
    /// waits for approval, else the working copy.
    pub fn list_indexed(&self) -> Result<Vec<ContentItem>, StoreError> {
        Ok(self
            .list_records()?
            .into_iter()
            .map(|r| r.live.unwrap_or(r.item))
            .collect())
    }

    /// The version of `id` the search index holds (see [`Store::list_indexed`]).
    pub fn get_indexed(&self, id: &str) -> Result<Option<ContentItem>, StoreError> {
        Ok(self.get_record(id)?.map(|r| r.live.unwrap_or(r.item)))
    }

    /// Every item as [`Store::list_indexed`] gives it, without bodies, ordered by id: cheap
    /// (the `content_catalog` tree).
    pub fn list_catalog(&self) -> Result<Vec<ContentItem>, StoreError> {
        self.catalog
            .iter()
            .map(|entry| {
                let (key, value) = entry?;
                decode(CONTENT_CATALOG_TREE, &key, &value)
            })
            .collect()
    }

    /// Fills the `content_catalog` tree from `content` (upgrading a version 2 store), durably.
    fn build_content_catalog(&self) -> Result<(), StoreError> {
        let mut batch = Batch::default();
        let mut count = 0;
        for record in self.list_records()? {
            let entry = catalog_entry(&record).map_err(|source| StoreError::Corrupt {
                tree: CONTENT_CATALOG_TREE,
                key: record.item.id.clone(),
                source,
            })?;
            batch.insert(record.item.id.as_bytes(), entry);
            count += 1;
        }
        self.catalog.apply_batch(batch)?;
        self.flush()?;
        tracing::info!("store upgraded to layout version 3: catalog of {count} items built");
        Ok(())
    }

    /// Inserts or replaces an item as if loaded from its file, durably, with a version.
    pub fn put_content(&self, item: &ContentItem) -> Result<(), StoreError> {
        let previous = self.get_record(&item.id)?;
        self.import_item(item, previous.as_ref())?;
        self.flush()
    }

    /// Writes `item` as loaded from a file: a new version by `files`, the file's hash noted.
    fn import_item(
        &self,
        item: &ContentItem,
        previous: Option<&ContentRecord>,
    ) -> Result<(), StoreError> {
        let n = previous.map_or(0, |p| p.version) + 1;
        let at = now_rfc3339();
        let record = ContentRecord {
            item: item.clone(),
            updated_at: at.clone(),
            live: None,
            version: n,
            file_hash: Some(item.hash.clone()),
            edited: None,
        };
        let version = Version {
            n,
            at,
            by: "files".into(),
            action: Action::Imported,
            comment: None,
            item: item.clone(),
        };
        self.write_content(&item.id, Some(&record), Some(&version), None)
    }

    /// Writes (or with `None` removes) one item, its version record if any, and the outbox entry,
    /// atomically: the search index can never miss a change that the store holds, and no
    /// version is lost. With `expect`, the write happens only if the stored version is still
    /// that one (an edit based on an older version is refused, never silently merged).
    fn write_content(
        &self,
        id: &str,
        record: Option<&ContentRecord>,
        version: Option<&Version>,
        expect: Option<u64>,
    ) -> Result<(), StoreError> {
        let corrupt = |tree: &'static str| {
            move |source| StoreError::Corrupt {
                tree,
                key: id.to_owned(),
                source,
            }
        };
        let record_bytes = record
            .map(serde_json::to_vec)
            .transpose()
            .map_err(corrupt(CONTENT_TREE))?;
        let catalog_bytes = record
            .map(catalog_entry)
            .transpose()
            .map_err(corrupt(CONTENT_CATALOG_TREE))?;
        let version_bytes = version
            .map(|v| serde_json::to_vec(v).map(|bytes| (editing::version_key(id, v.n), bytes)))
            .transpose()
            .map_err(corrupt(CONTENT_VERSIONS_TREE))?;
        let _gate = self.write_gate();
        let result = self.kv.transaction(
            &[&self.content, &self.outbox, &self.versions, &self.catalog],
            |tx| {
                // First: on PostgreSQL it orders this commit among the outbox writers.
                let seq = tx.generate_id()? + 1;
                if let Some(expected) = expect {
                    let found = match tx.get(&self.content, id)? {
                        Some(bytes) => serde_json::from_slice::<ContentRecord>(&bytes)
                            .map(|r| r.version)
                            .unwrap_or(u64::MAX),
                        None => 0,
                    };
                    if found != expected {
                        return Err(TxError::Abort(found));
                    }
                }
                match &record_bytes {
                    Some(bytes) => tx.insert(&self.content, id, bytes)?,
                    None => tx.remove(&self.content, id)?,
                };
                match &catalog_bytes {
                    Some(bytes) => tx.insert(&self.catalog, id, bytes)?,
                    None => tx.remove(&self.catalog, id)?,
                };
                if let Some((key, bytes)) = &version_bytes {
                    tx.insert(&self.versions, key, bytes)?;
                }
                tx.insert(&self.outbox, seq.to_be_bytes(), id)?;
                Ok(())
            },
        );
        match result {
            Ok(()) => Ok(()),
            Err(TransactionError::Storage(e)) => Err(e),
            Err(TransactionError::Abort(found)) => Err(StoreError::EditConflict {
                id: id.to_owned(),
                expected: expect.unwrap_or(0),
                found,
            }),
        }
    }

    fn delete_content(&self, id: &str) -> Result<(), StoreError> {
        self.write_content(id, None, None, None)?;
        // Its files go with it: an item made later under the same id starts with none.
        self.attachments.remove(id.as_bytes())?;
        Ok(())
    }

    /// Removes an item, durably (its versions stay, for the record).
    pub fn remove_content(&self, id: &str) -> Result<(), StoreError> {
        self.delete_content(id)?;
        self.flush()
    }

    /// Outbox entries with a sequence number above `after`, oldest first: `(seq, item id)`.
    pub fn outbox_after(&self, after: u64, limit: usize) -> Result<Vec<(u64, String)>, StoreError> {
        self.outbox
            .range((after.saturating_add(1)).to_be_bytes()..)
            .take(limit)
            .map(|entry| {
                let (key, value) = entry?;
                Ok((
                    decode_seq(&key),
                    String::from_utf8_lossy(&value).into_owned(),
                ))
            })
            .collect()
    }

    /// The highest sequence number in the outbox, or 0 when it is empty.
    pub fn outbox_head(&self) -> Result<u64, StoreError> {
        Ok(self
            .outbox
            .last()?
            .map(|(key, _)| decode_seq(&key))
            .unwrap_or(0))
    }

    /// Drops outbox entries up to and including `seq`: the index has committed them.
    pub fn prune_outbox(&self, seq: u64) -> Result<(), StoreError> {
        let mut batch = Batch::default();
        for entry in self.outbox.range(..=seq.to_be_bytes()) {
            let (key, _) = entry?;
            batch.remove(key);
        }
        self.outbox.apply_batch(batch)?;
        Ok(())
    }

    /// On a shared store, where every node's index follows the one outbox and no node may prune
    /// it for the others: drops entries more than `keep` behind the head and remembers how far
    /// (a node whose index is older than that rebuilds it; see `app::indexer`).
    pub fn trim_shared_outbox(&self, keep: u64) -> Result<(), StoreError> {
        let head = self.outbox_head()?;
        let through = head.saturating_sub(keep);
        if through == 0 || through <= self.outbox_trimmed_through()? {
            return Ok(());
        }
        self.meta
            .insert(OUTBOX_TRIMMED_KEY, through.to_string().into_bytes())?;
        self.prune_outbox(through)
    }

    /// The highest sequence number [`Store::trim_shared_outbox`] dropped (0: none).
    pub fn outbox_trimmed_through(&self) -> Result<u64, StoreError> {
        Ok(self
            .meta
            .get(OUTBOX_TRIMMED_KEY)?
            .and_then(|v| String::from_utf8_lossy(&v).parse().ok())
            .unwrap_or(0))
    }

    /// Records a query that found nothing. Not flushed on its own: losing the last half second
    /// of misses in a crash costs nothing that matters.
    pub fn record_search_miss(&self, query: &str) -> Result<(), StoreError> {
        let seq = self.kv.generate_id()?;
        let miss = SearchMiss {
            query: query.to_owned(),
            at: now_rfc3339(),
        };
        let bytes = serde_json::to_vec(&miss).map_err(|source| StoreError::Corrupt {
            tree: SEARCH_MISSES_TREE,
            key: seq.to_string(),
            source,
        })?;
        self.misses.insert(seq.to_be_bytes(), bytes)?;
        Ok(())
    }

    /// The most recent `limit` misses, newest first.
    pub fn recent_search_misses(&self, limit: usize) -> Result<Vec<SearchMiss>, StoreError> {
        self.misses
            .iter()
            .rev()
            .take(limit)
            .map(|entry| {
                let (key, value) = entry?;
                serde_json::from_slice(&value).map_err(|source| StoreError::Corrupt {
                    tree: SEARCH_MISSES_TREE,
                    key: decode_seq(&key).to_string(),
                    source,
                })
            })
            .collect()
    }

    /// Brings the file-sourced items in line with a fresh load of the content directory:
    /// new and changed files are upserted (by id and content hash, each as a new version),
    /// unchanged ones are left alone, items whose file is gone are removed, and items whose file
    /// is now broken (`failed_paths`) are kept exactly as they were — the last good version is
    /// served. An item edited in the browser since its file was loaded is never overwritten or
    /// removed by its file: that is reported as a conflict. Items written in the editor are not
    /// touched.
    pub fn sync_files(
        &self,
        items: &[ContentItem],
        failed_paths: &[String],
    ) -> Result<SyncSummary, StoreError> {
        let mut summary = SyncSummary::default();
        let failed: HashSet<&str> = failed_paths.iter().map(String::as_str).collect();
        let fresh: HashMap<&str, &ContentItem> =
            items.iter().map(|item| (item.id.as_str(), item)).collect();
        let conflict = |path: &str, record: &ContentRecord, deleted: bool| {
            let stamp = record.edited.clone().unwrap_or(EditStamp {
                by: record.item.owner.clone().unwrap_or_default(),
                at: record.updated_at.clone(),
            });
            SyncConflict {
                path: path.to_owned(),
                id: record.item.id.clone(),
                edited_by: stamp.by,
                edited_at: stamp.at,
                deleted,
            }
        };
        for stored in self.list_records()? {
            let Source::File { path } = &stored.item.source else {
                continue;
            };
            if fresh.contains_key(stored.item.id.as_str()) {
                continue;
            }
            if failed.contains(path.as_str()) {
                summary.kept_last_good += 1;
            } else if stored.edited.is_some() {
                summary.conflicts.push(conflict(path, &stored, true));
            } else {
                self.delete_content(&stored.item.id)?;
                summary.removed += 1;
            }
        }
        for item in items {
            let path = item.source_path().unwrap_or_default();
            let Some(stored) = self.get_record(&item.id)? else {
                self.import_item(item, None)?;
                summary.added += 1;
                continue;
            };
            let last_loaded = stored.file_hash.as_deref().unwrap_or(&stored.item.hash);
            if stored.item.source == item.source && last_loaded == item.hash {
                summary.unchanged += 1;
            } else if same_content(&stored.item, item) {
                // The file now says what the browser edit said (e.g. after `playbook export`):
                // the file is in charge again.
                let record = ContentRecord {
                    item: ContentItem {
                        source: item.source.clone(),
                        hash: item.hash.clone(),
                        ..stored.item.clone()
                    },
                    file_hash: Some(item.hash.clone()),
                    edited: None,
                    ..stored.clone()
                };
                self.write_content(&item.id, Some(&record), None, None)?;
                summary.unchanged += 1;
            } else if stored.edited.is_some() || stored.item.source == Source::Editor {
                summary.conflicts.push(conflict(path, &stored, false));
            } else {
                self.import_item(item, Some(&stored))?;
                summary.updated += 1;
            }
        }
        self.flush()?;
        Ok(summary)
    }
}

impl Store {
    /// The last completed sync of the content directory, if one was recorded.
    pub fn content_load(&self) -> Result<Option<ContentLoad>, StoreError> {
        self.meta
            .get(CONTENT_LOAD_KEY)?
            .map(|bytes| decode(META_TREE, CONTENT_LOAD_KEY.as_bytes(), &bytes))
            .transpose()
    }

    /// Records a completed sync of the content directory, durably. Call it only after the sync's
    /// writes are flushed: a crash in between then means a full load at the next start.
    pub fn record_content_load(&self, load: &ContentLoad) -> Result<(), StoreError> {
        self.meta
            .insert(CONTENT_LOAD_KEY, encode(META_TREE, CONTENT_LOAD_KEY, load)?)?;
        self.flush()
    }
}

fn decode_seq(key: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    let n = key.len().min(8);
    bytes[8 - n..].copy_from_slice(&key[key.len() - n..]);
    u64::from_be_bytes(bytes)
}

/// The `content_catalog` value of a record: its indexed version without the body.
fn catalog_entry(record: &ContentRecord) -> Result<Vec<u8>, serde_json::Error> {
    let indexed = record.live.as_ref().unwrap_or(&record.item);
    serde_json::to_vec(&ContentItem {
        body: String::new(),
        ..indexed.clone()
    })
}

fn decode_content(key: &[u8], bytes: &[u8]) -> Result<ContentRecord, StoreError> {
    decode(CONTENT_TREE, key, bytes)
}

/// A JSON record of `tree`, as stored.
pub(super) fn encode<T: Serialize>(
    tree: &'static str,
    key: &str,
    value: &T,
) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Encode {
        tree,
        key: key.to_owned(),
        message: e.to_string(),
    })
}

/// A JSON record of `tree`; unreadable bytes are [`StoreError::Corrupt`], naming the key.
pub(super) fn decode<T: for<'de> Deserialize<'de>>(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::content::parse_content;
    use crate::domain::taxonomy::Taxonomy;

    fn item(path: &str, id: &str, title: &str) -> ContentItem {
        let text = format!("---\nid: {id}\nkind: playbook\ntitle: {title}\n---\n");
        parse_content(path, path, &text, &Taxonomy::default()).unwrap()
    }

    #[test]
    fn sync_adds_updates_keeps_unchanged_and_removes_files_that_are_gone() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let first = store
            .sync_files(&[item("a.md", "a", "A"), item("b.md", "b", "B")], &[])
            .unwrap();
        assert_eq!(first.added, 2);
        let second = store.sync_files(&[item("a.md", "a", "A2")], &[]).unwrap();
        assert_eq!((second.updated, second.removed), (1, 1));
        assert_eq!(store.get_content("a").unwrap().unwrap().title, "A2");
        let third = store.sync_files(&[item("a.md", "a", "A2")], &[]).unwrap();
        assert_eq!(third.unchanged, 1);
    }

    fn catalog_ids(store: &Store) -> Vec<String> {
        store
            .list_catalog()
            .unwrap()
            .into_iter()
            .map(|i| i.id)
            .collect()
    }

    #[test]
    fn the_catalog_holds_the_indexed_version_of_every_item_without_its_body() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut a = item("a.md", "a", "A");
        a.body = "a long body".into();
        store
            .sync_files(&[a.clone(), item("b.md", "b", "B")], &[])
            .unwrap();
        // A draft over the published version: readers (and the catalog) keep the published one.
        let draft = ContentItem {
            title: "A, being edited".into(),
            status: crate::domain::content::Status::Draft,
            ..a.clone()
        };
        store
            .commit_edit(&draft, Some(&a), 1, "li.na", Action::Saved, None)
            .unwrap();
        let catalog = store.list_catalog().unwrap();
        let indexed = store.list_indexed().unwrap();
        assert_eq!(catalog.len(), 2);
        for (lean, full) in catalog.iter().zip(&indexed) {
            assert_eq!(lean.body, "");
            assert_eq!(
                *lean,
                ContentItem {
                    body: String::new(),
                    ..full.clone()
                }
            );
        }
        assert_eq!(catalog[0].title, "A");
        // An item whose file is gone leaves the catalog too.
        store.sync_files(&[a], &[]).unwrap();
        assert_eq!(catalog_ids(&store), ["a"]);
    }

    #[test]
    fn a_version_2_store_gets_its_catalog_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            store
                .sync_files(&[item("a.md", "a", "A"), item("b.md", "b", "B")], &[])
                .unwrap();
            // What a version 2 store looks like: no catalog tree.
            store.catalog.clear().unwrap();
            store.meta.insert(SCHEMA_VERSION_KEY, b"2").unwrap();
            store.flush().unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(catalog_ids(&store), ["a", "b"]);
        assert_eq!(
            store
                .meta
                .get(SCHEMA_VERSION_KEY)
                .unwrap()
                .unwrap()
                .as_ref(),
            SCHEMA_VERSION.to_string().as_bytes()
        );
    }

    #[test]
    fn a_broken_file_keeps_its_last_good_version() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.sync_files(&[item("a.md", "a", "Good")], &[]).unwrap();
        let summary = store.sync_files(&[], &["a.md".to_owned()]).unwrap();
        assert_eq!(summary.kept_last_good, 1);
        assert_eq!(store.get_content("a").unwrap().unwrap().title, "Good");
    }

    #[test]
    fn every_change_lands_in_the_outbox_in_order_and_pruning_drops_applied_entries() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.put_content(&item("a.md", "a", "A")).unwrap();
        store.put_content(&item("b.md", "b", "B")).unwrap();
        store.remove_content("a").unwrap();
        let entries = store.outbox_after(0, 10).unwrap();
        let ids: Vec<&str> = entries.iter().map(|(_, id)| id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "a"]);
        assert!(entries.windows(2).all(|w| w[0].0 < w[1].0));
        store.prune_outbox(entries[1].0).unwrap();
        assert_eq!(store.outbox_after(0, 10).unwrap(), entries[2..]);
        assert_eq!(store.outbox_head().unwrap(), entries[2].0);
    }

    #[test]
    fn opening_waits_for_a_handle_that_is_being_released() {
        let dir = tempfile::tempdir().unwrap();
        let first = Store::open(dir.path()).unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            drop(first);
        });
        let second = Store::open(dir.path());
        release.join().unwrap();
        assert!(second.is_ok(), "{:?}", second.err());
    }

    #[test]
    fn items_survive_reopening_the_store() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            store.put_content(&item("a.md", "a", "Kept")).unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.get_content("a").unwrap().unwrap().title, "Kept");
    }
}
