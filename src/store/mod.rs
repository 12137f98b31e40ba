//! The store: sled, the source of truth for everything Playbook keeps.
//!
//! Tree names and key layouts are the constants below. Values are JSON of domain types; no sled
//! type leaks out of this module. Every method that changes data flushes before it returns, so a
//! caller that acknowledges a write after `Ok` never acknowledges something a crash could undo.
//! The store never imports the web layer or the search index.
//!
//! Content lives here; accounts, the tier model, overrides and the tier history live in
//! [`accounts`] (same `Store`, more trees).

mod accounts;

pub use accounts::{
    RecomputeRecord, RecordedChange, SnapshotInput, TierSnapshot, UpsertCounts, ACCOUNTS_TREE,
    OVERRIDES_TREE, TIER_CHANGES_BY_ACCOUNT_TREE, TIER_CHANGES_TREE, TIER_MODEL_KEY,
    TIER_RUNS_TREE, TIER_SNAPSHOT_TREE,
};

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::domain::content::{ContentItem, Source};

/// Tree `content`: key = item id (UTF-8), value = JSON [`StoredContent`].
pub const CONTENT_TREE: &str = "content";
/// Tree `meta`: key = setting name, value = UTF-8 text.
pub const META_TREE: &str = "meta";
/// Key in [`META_TREE`] holding the layout version of the store.
pub const SCHEMA_VERSION_KEY: &str = "schema_version";
/// Bump when a stored layout changes incompatibly; `open` refuses newer stores.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store in {path}: {source} (is another playbook process using this --data-dir?)")]
    Open { path: String, source: sled::Error },
    #[error("store I/O failed: {0}")]
    Sled(#[from] sled::Error),
    #[error("stored record {key:?} in tree {tree} is unreadable: {source}")]
    Corrupt {
        tree: &'static str,
        key: String,
        source: serde_json::Error,
    },
    #[error("stored value {key:?} in tree {tree} cannot be written: {message}")]
    Encode {
        tree: &'static str,
        key: String,
        message: String,
    },
    #[error("the store in {path} has layout version {found}, newer than this build understands ({SCHEMA_VERSION}); upgrade playbook")]
    TooNew { path: String, found: u32 },
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredContent {
    item: ContentItem,
    /// RFC 3339 time of the last change.
    updated_at: String,
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
}

#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    meta: sled::Tree,
    content: sled::Tree,
    accounts: sled::Tree,
    overrides: sled::Tree,
    tier_snapshot: sled::Tree,
    tier_runs: sled::Tree,
    tier_changes: sled::Tree,
    tier_changes_by_account: sled::Tree,
}

/// The current time as RFC 3339 (UTC), as stored in records.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl Store {
    /// Opens (or creates) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let path = dir.display().to_string();
        let db = sled::Config::new()
            .path(dir)
            .open()
            .map_err(|source| StoreError::Open {
                path: path.clone(),
                source,
            })?;
        let meta = db.open_tree(META_TREE)?;
        match meta.get(SCHEMA_VERSION_KEY)? {
            Some(found) => {
                let found: u32 = String::from_utf8_lossy(&found).parse().unwrap_or(u32::MAX);
                if found > SCHEMA_VERSION {
                    return Err(StoreError::TooNew { path, found });
                }
            }
            None => {
                meta.insert(SCHEMA_VERSION_KEY, SCHEMA_VERSION.to_string().as_bytes())?;
                db.flush()?;
            }
        }
        Ok(Store {
            content: db.open_tree(CONTENT_TREE)?,
            accounts: db.open_tree(ACCOUNTS_TREE)?,
            overrides: db.open_tree(OVERRIDES_TREE)?,
            tier_snapshot: db.open_tree(TIER_SNAPSHOT_TREE)?,
            tier_runs: db.open_tree(TIER_RUNS_TREE)?,
            tier_changes: db.open_tree(TIER_CHANGES_TREE)?,
            tier_changes_by_account: db.open_tree(TIER_CHANGES_BY_ACCOUNT_TREE)?,
            meta,
            db,
        })
    }

    /// Writes everything buffered to disk.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    pub fn get_content(&self, id: &str) -> Result<Option<ContentItem>, StoreError> {
        match self.content.get(id.as_bytes())? {
            Some(bytes) => Ok(Some(decode_content(id.as_bytes(), &bytes)?.item)),
            None => Ok(None),
        }
    }

    /// Every stored item, ordered by id.
    pub fn list_content(&self) -> Result<Vec<ContentItem>, StoreError> {
        self.content
            .iter()
            .map(|entry| {
                let (key, value) = entry?;
                Ok(decode_content(&key, &value)?.item)
            })
            .collect()
    }

    pub fn count_content(&self) -> usize {
        self.content.len()
    }

    /// Inserts or replaces an item, durably.
    pub fn put_content(&self, item: &ContentItem) -> Result<(), StoreError> {
        self.insert_content(item)?;
        self.flush()
    }

    fn insert_content(&self, item: &ContentItem) -> Result<(), StoreError> {
        let stored = StoredContent {
            item: item.clone(),
            updated_at: now_rfc3339(),
        };
        let bytes = serde_json::to_vec(&stored).map_err(|source| StoreError::Corrupt {
            tree: CONTENT_TREE,
            key: item.id.clone(),
            source,
        })?;
        self.content.insert(item.id.as_bytes(), bytes)?;
        Ok(())
    }

    /// Brings the file-sourced items in line with a fresh load of the content directory:
    /// new and changed files are upserted (by id and content hash), unchanged ones are left
    /// alone, items whose file is gone are removed, and items whose file is now broken
    /// (`failed_paths`) are kept exactly as they were — the last good version is served.
    pub fn sync_files(
        &self,
        items: &[ContentItem],
        failed_paths: &[String],
    ) -> Result<SyncSummary, StoreError> {
        let mut summary = SyncSummary::default();
        let failed: HashSet<&str> = failed_paths.iter().map(String::as_str).collect();
        let fresh: HashMap<&str, &ContentItem> =
            items.iter().map(|item| (item.id.as_str(), item)).collect();
        for stored in self.list_content()? {
            let Source::File { path } = &stored.source;
            if fresh.contains_key(stored.id.as_str()) {
                continue;
            }
            if failed.contains(path.as_str()) {
                summary.kept_last_good += 1;
            } else {
                self.content.remove(stored.id.as_bytes())?;
                summary.removed += 1;
            }
        }
        for item in items {
            match self.get_content(&item.id)? {
                Some(stored) if stored.hash == item.hash && stored.source == item.source => {
                    summary.unchanged += 1
                }
                Some(_) => {
                    self.insert_content(item)?;
                    summary.updated += 1;
                }
                None => {
                    self.insert_content(item)?;
                    summary.added += 1;
                }
            }
        }
        self.flush()?;
        Ok(summary)
    }
}

fn decode_content(key: &[u8], bytes: &[u8]) -> Result<StoredContent, StoreError> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Corrupt {
        tree: CONTENT_TREE,
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
