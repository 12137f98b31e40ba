//! Copying a whole store to another backend (`playbook migrate --from … --to …`): sled to
//! PostgreSQL and back, every tree record by record, then both sides read again and compared
//! tree by tree (record counts and a SHA-256 over every key and value in key order).
//!
//! Left out: the search outbox (each node's index is derived and rebuilt from the store), the
//! sign-in throttle's counters (minutes long), and
//! the layout upgrades (the source is opened, and so upgraded, first). The target's id counter
//! is moved past the source's, so sequence numbers never go back.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::kv::{Batch, Kv, StoreLocation};
use super::{Store, StoreError, OUTBOX_TREE};

/// Records written per batch (one transaction on PostgreSQL).
const BATCH: usize = 500;
/// Trees never copied (see the module docs).
const SKIPPED: &[&str] = &[OUTBOX_TREE, super::THROTTLE_TREE, "__sled__default"];

/// One tree on both sides after a migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeCheck {
    pub tree: String,
    pub records: u64,
    pub bytes: u64,
    /// SHA-256 over every key and value, in key order, on the source.
    pub source_sha256: String,
    pub target_sha256: String,
    pub target_records: u64,
}

impl TreeCheck {
    pub fn matches(&self) -> bool {
        self.records == self.target_records && self.source_sha256 == self.target_sha256
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0} already holds data ({1}); migrate into an empty database or directory")]
    TargetNotEmpty(String, String),
    #[error("{0} and {1} are the same store")]
    SameStore(String, String),
}

/// Copies every tree of `from` into `to` (which must be empty), then compares both. `progress`
/// hears each tree as it is copied. Returns the comparison; the caller decides what a mismatch
/// means (the command exits non-zero).
pub fn migrate(
    from: &StoreLocation,
    to: &StoreLocation,
    mut progress: impl FnMut(&str, u64),
) -> Result<Vec<TreeCheck>, MigrateError> {
    if from == to {
        return Err(MigrateError::SameStore(from.describe(), to.describe()));
    }
    // Opening the source upgrades an older layout; the target gets this build's layout.
    let source = Store::open_at(from)?;
    drop(source);
    let source = Kv::open(from)?;
    let target = Kv::open(to)?;
    let occupied: Vec<String> = target
        .tree_names()?
        .into_iter()
        .filter(|name| {
            target
                .open_tree(name)
                .and_then(|t| t.first())
                .is_ok_and(|first| first.is_some())
        })
        .collect();
    if !occupied.is_empty() {
        return Err(MigrateError::TargetNotEmpty(
            to.describe(),
            format!("trees {}", occupied.join(", ")),
        ));
    }

    let mut names = source.tree_names()?;
    names.retain(|name| !SKIPPED.contains(&name.as_str()));
    names.sort();
    for name in &names {
        let from_tree = source.open_tree(name)?;
        let to_tree = target.open_tree(name)?;
        let mut batch = Batch::default();
        let mut pending = 0;
        let mut copied = 0u64;
        for entry in from_tree.iter() {
            let (key, value) = entry?;
            batch.insert(key, value);
            pending += 1;
            copied += 1;
            if pending == BATCH {
                to_tree.apply_batch(std::mem::take(&mut batch))?;
                pending = 0;
            }
        }
        to_tree.apply_batch(batch)?;
        progress(name, copied);
    }
    // Sequence numbers continue after the source's (outbox entries, search misses).
    target.advance_ids(source.generate_id()?)?;
    target.flush()?;

    let mut checks = Vec::with_capacity(names.len());
    for name in names {
        let (records, bytes, source_sha256) = digest(&source, &name)?;
        let (target_records, _, target_sha256) = digest(&target, &name)?;
        checks.push(TreeCheck {
            tree: name,
            records,
            bytes,
            source_sha256,
            target_sha256,
            target_records,
        });
    }
    Ok(checks)
}

/// Record count, bytes and SHA-256 of one tree (lengths framed, so no two layouts collide).
fn digest(kv: &Kv, name: &str) -> Result<(u64, u64, String), StoreError> {
    let mut hash = Sha256::new();
    let (mut records, mut bytes) = (0u64, 0u64);
    for entry in kv.open_tree(name)?.iter() {
        let (key, value) = entry?;
        hash.update((key.len() as u64).to_le_bytes());
        hash.update(&key);
        hash.update((value.len() as u64).to_le_bytes());
        hash.update(&value);
        records += 1;
        bytes += (key.len() + value.len()) as u64;
    }
    let hex: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((records, bytes, hex))
}

/// The checks as a table (tree, records, bytes, checksum, whether it matches).
pub fn report(checks: &[TreeCheck]) -> String {
    let mut out =
        String::from("tree                      records        bytes  sha256 (first 16)  same\n");
    let mut by_tree = BTreeMap::new();
    for c in checks {
        by_tree.insert(c.tree.as_str(), c);
    }
    for (tree, c) in by_tree {
        out.push_str(&format!(
            "{tree:<24} {:>9} {:>12}  {}   {}\n",
            c.records,
            c.bytes,
            &c.source_sha256[..16],
            if c.matches() {
                "yes".to_owned()
            } else {
                format!(
                    "NO (target: {} records, {})",
                    c.target_records,
                    &c.target_sha256[..16]
                )
            }
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_copies_to_another_directory_whole_and_refuses_a_full_target() {
        let dir = tempfile::tempdir().unwrap();
        let from = StoreLocation::Sled(dir.path().join("a"));
        let to = StoreLocation::Sled(dir.path().join("b"));
        {
            let store = Store::open_at(&from).unwrap();
            let item = crate::domain::content::parse_content(
                "x",
                "cases/a.md",
                "---\nid: a\nkind: case\ntitle: 甲\noutcome: won\n---\n正文\n",
                &crate::domain::taxonomy::Taxonomy::default(),
            )
            .unwrap();
            store.put_content(&item).unwrap();
            store.record_search_miss("没有的词").unwrap();
        }
        let mut seen = Vec::new();
        let checks = migrate(&from, &to, |tree, n| seen.push((tree.to_owned(), n))).unwrap();
        assert!(checks.iter().all(TreeCheck::matches), "{}", report(&checks));
        assert!(seen.iter().any(|(t, n)| t == "content" && *n == 1));
        assert!(!checks.iter().any(|c| c.tree == OUTBOX_TREE));
        let copy = Store::open_at(&to).unwrap();
        assert_eq!(copy.get_content("a").unwrap().unwrap().title, "甲");
        assert_eq!(copy.recent_search_misses(5).unwrap().len(), 1);
        drop(copy);
        // Again into the same target: refused, nothing written twice.
        match migrate(&from, &to, |_, _| {}) {
            Err(MigrateError::TargetNotEmpty(_, trees)) => assert!(trees.contains("content")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            migrate(&from, &from, |_, _| {}),
            Err(MigrateError::SameStore(..))
        ));
    }
}
