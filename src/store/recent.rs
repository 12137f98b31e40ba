//! What each user opened last (accounts and content), for the "recently viewed" list of the
//! home page. One small record per user; losing the last view in a crash loses nothing anyone
//! acknowledged, so these writes are not flushed.

use serde::{Deserialize, Serialize};

use super::{Store, StoreError};

/// Name of the sled tree: user name → JSON list of [`RecentView`], newest first.
pub const RECENT_VIEWS_TREE: &str = "recent_views";
/// Views kept per user.
pub const RECENT_VIEWS_KEPT: usize = 8;

/// What was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViewedKind {
    Account,
    Content,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentView {
    pub kind: ViewedKind,
    pub id: String,
    /// RFC 3339.
    pub at: String,
}

impl Store {
    /// Puts `id` at the front of `user`'s recently viewed list (once; the oldest fall off).
    pub fn record_view(&self, user: &str, kind: ViewedKind, id: &str) -> Result<(), StoreError> {
        let at = super::now_rfc3339();
        self.recent_views.fetch_and_update(user.as_bytes(), |old| {
            let mut views: Vec<RecentView> = old
                .and_then(|bytes| serde_json::from_slice(bytes).ok())
                .unwrap_or_default();
            views.retain(|v| !(v.kind == kind && v.id == id));
            views.insert(
                0,
                RecentView {
                    kind,
                    id: id.to_owned(),
                    at: at.clone(),
                },
            );
            views.truncate(RECENT_VIEWS_KEPT);
            serde_json::to_vec(&views).ok()
        })?;
        Ok(())
    }

    /// `user`'s recently viewed accounts and items, newest first.
    pub fn recent_views(&self, user: &str) -> Result<Vec<RecentView>, StoreError> {
        Ok(self
            .recent_views
            .get(user.as_bytes())?
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_view_comes_first_once_and_the_list_stays_short() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert!(store.recent_views("li").unwrap().is_empty());
        for n in 0..10 {
            store
                .record_view("li", ViewedKind::Account, &format!("A{n}"))
                .unwrap();
        }
        store.record_view("li", ViewedKind::Account, "A5").unwrap();
        store.record_view("li", ViewedKind::Content, "A5").unwrap();
        let views = store.recent_views("li").unwrap();
        assert_eq!(views.len(), RECENT_VIEWS_KEPT);
        assert_eq!(
            (views[0].kind, views[0].id.as_str()),
            (ViewedKind::Content, "A5")
        );
        assert_eq!(
            (views[1].kind, views[1].id.as_str()),
            (ViewedKind::Account, "A5")
        );
        assert_eq!(
            views.iter().filter(|v| v.id == "A5").count(),
            2,
            "once per kind"
        );
        assert!(store.recent_views("wang").unwrap().is_empty());
    }
}
