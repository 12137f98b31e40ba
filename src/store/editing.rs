//! Content versions and course progress in sled.
//!
//! Every write of an item goes through `Store::write_content` (in `mod.rs`), which stores the
//! item, its version record and the search outbox entry in one transaction. This module adds
//! the edit entry point with its optimistic check, the version history, and the lessons each
//! user has marked done.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::{now_rfc3339, ContentRecord, Store, StoreError};
use crate::domain::content::ContentItem;
use crate::domain::workflow::{Action, Version};

/// Tree `content_versions`: key = item id, `0x00`, version number (u64 big-endian); value =
/// JSON [`Version`]. Written with the item; never rewritten.
pub const CONTENT_VERSIONS_TREE: &str = "content_versions";
/// Tree `progress`: key = user name, `0x00`, lesson id; value = RFC 3339 time it was marked done.
pub const PROGRESS_TREE: &str = "progress";

/// Who changed an item in the editor, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditStamp {
    pub by: String,
    pub at: String,
}

/// A version without its item, for history lists.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VersionSummary {
    pub n: u64,
    pub at: String,
    pub by: String,
    pub action: Action,
    pub comment: Option<String>,
    pub status: crate::domain::content::Status,
    pub title: String,
}

pub(super) fn version_key(id: &str, n: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(id.len() + 9);
    key.extend_from_slice(id.as_bytes());
    key.push(0);
    key.extend_from_slice(&n.to_be_bytes());
    key
}

fn prefix(first: &str) -> Vec<u8> {
    let mut key = first.as_bytes().to_vec();
    key.push(0);
    key
}

impl Store {
    /// Stores a new state of an item made in the editor (or by a workflow step) as version
    /// `base + 1`, durably. `base` is the version the change was made from: if someone saved
    /// meanwhile, nothing is written and [`StoreError::EditConflict`] says so. `live` is the
    /// published version readers keep seeing while `item` is unpublished.
    pub fn commit_edit(
        &self,
        item: &ContentItem,
        live: Option<&ContentItem>,
        base: u64,
        by: &str,
        action: Action,
        comment: Option<String>,
    ) -> Result<Version, StoreError> {
        let previous = self.get_record(&item.id)?;
        let at = now_rfc3339();
        let record = ContentRecord {
            item: item.clone(),
            updated_at: at.clone(),
            live: live.cloned(),
            version: base + 1,
            file_hash: previous.as_ref().and_then(|p| p.file_hash.clone()),
            edited: Some(EditStamp {
                by: by.to_owned(),
                at: at.clone(),
            }),
        };
        let version = Version {
            n: base + 1,
            at,
            by: by.to_owned(),
            action,
            comment,
            item: item.clone(),
        };
        self.write_content(&item.id, Some(&record), Some(&version), Some(base))?;
        self.flush()?;
        Ok(version)
    }

    /// The versions of an item, newest first.
    pub fn versions(&self, id: &str) -> Result<Vec<VersionSummary>, StoreError> {
        let mut out: Vec<VersionSummary> = self
            .versions
            .scan_prefix(prefix(id))
            .map(|entry| {
                let (key, value) = entry?;
                let v = decode_version(&key, &value)?;
                Ok(VersionSummary {
                    n: v.n,
                    at: v.at,
                    by: v.by,
                    action: v.action,
                    comment: v.comment,
                    status: v.item.status,
                    title: v.item.title,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        out.reverse();
        Ok(out)
    }

    /// One version of an item.
    pub fn version(&self, id: &str, n: u64) -> Result<Option<Version>, StoreError> {
        let key = version_key(id, n);
        match self.versions.get(&key)? {
            Some(value) => Ok(Some(decode_version(&key, &value)?)),
            None => Ok(None),
        }
    }

    /// Marks a lesson done (or not) for a user, durably.
    pub fn set_lesson_done(&self, user: &str, lesson: &str, done: bool) -> Result<(), StoreError> {
        let mut key = prefix(user);
        key.extend_from_slice(lesson.as_bytes());
        if done {
            self.progress.insert(key, now_rfc3339().as_bytes())?;
        } else {
            self.progress.remove(key)?;
        }
        self.flush()
    }

    /// The lessons `user` marked done.
    pub fn lessons_done(&self, user: &str) -> Result<HashSet<String>, StoreError> {
        let start = prefix(user).len();
        self.progress
            .scan_prefix(prefix(user))
            .map(|entry| {
                let (key, _) = entry?;
                Ok(String::from_utf8_lossy(&key[start..]).into_owned())
            })
            .collect()
    }

    /// Every user's done lessons.
    pub fn all_progress(&self) -> Result<HashMap<String, HashSet<String>>, StoreError> {
        let mut out: HashMap<String, HashSet<String>> = HashMap::new();
        for entry in self.progress.iter() {
            let (key, _) = entry?;
            if let Some(split) = key.iter().position(|b| *b == 0) {
                out.entry(String::from_utf8_lossy(&key[..split]).into_owned())
                    .or_default()
                    .insert(String::from_utf8_lossy(&key[split + 1..]).into_owned());
            }
        }
        Ok(out)
    }
}

fn decode_version(key: &[u8], bytes: &[u8]) -> Result<Version, StoreError> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Corrupt {
        tree: CONTENT_VERSIONS_TREE,
        key: String::from_utf8_lossy(key).into_owned(),
        source,
    })
}
