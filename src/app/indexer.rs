//! Keeps the index in step with the store.
//!
//! Every content change is written to the store together with an outbox entry (one sled
//! transaction). The indexer applies outbox entries in order, commits the index with the last
//! applied sequence number in the commit payload, then prunes the outbox up to it. After a crash
//! at any point, the next start finds the entries the index has not committed and applies them:
//! replaying an entry is harmless, since it indexes the item's *current* stored state.
//!
//! On a shared store (PostgreSQL) every node keeps its own index and follows the same outbox:
//! no node prunes it; it is trimmed to its newest entries instead
//! ([`Store::trim_shared_outbox`]), and a node whose index fell further behind than that
//! rebuilds it.

use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::domain::content::ContentItem;
use crate::search::index::{SearchError, SearchIndex};
use crate::store::{Store, StoreError};

/// Outbox entries applied per index commit.
const BATCH: usize = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum IndexerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Search(#[from] SearchError),
}

/// Applies every outbox entry the index has not committed yet. Returns how many were applied.
pub fn catch_up(
    store: &Store,
    index: &SearchIndex,
    tier_ids: &[String],
) -> Result<usize, IndexerError> {
    let mut applied = 0;
    if store.is_shared() {
        let applied = index.applied_seq();
        if applied < store.outbox_trimmed_through()? {
            // Entries this index never applied are gone from the shared outbox: start afresh.
            tracing::warn!(
                applied,
                "this node's index is older than the shared outbox keeps; rebuilding it"
            );
            return rebuild(store, index, tier_ids);
        }
        if applied > store.outbox_head()? {
            // A shared outbox is never emptied: an index beyond it was built from another
            // store (a database restored from a dump, a node pointed elsewhere).
            tracing::warn!(
                applied,
                "this node's index is ahead of the shared store; rebuilding it"
            );
            return rebuild(store, index, tier_ids);
        }
    }
    loop {
        let entries = store.outbox_after(index.applied_seq(), BATCH)?;
        let Some(&(last_seq, _)) = entries.last() else {
            return Ok(applied);
        };
        let mut ids: Vec<String> = entries.into_iter().map(|(_, id)| id).collect();
        applied += ids.len();
        ids.sort();
        ids.dedup();
        let mut upserts = Vec::new();
        let mut deletes = Vec::new();
        for id in ids {
            match store.get_indexed(&id)? {
                Some(item) => upserts.push(with_attachments(store, item)?),
                None => deletes.push(id),
            }
        }
        index.apply(&upserts, &deletes, last_seq, tier_ids)?;
        if !store.is_shared() {
            // A shared outbox feeds every node's index; it is trimmed by age instead.
            store.prune_outbox(last_seq)?;
        }
    }
}

/// The item as the index holds it: its body followed by the text of its searchable
/// attachments, so that words inside an attached file find the item and show in snippets.
fn with_attachments(store: &Store, mut item: ContentItem) -> Result<ContentItem, StoreError> {
    let text = store.attachment_text(&item.id)?;
    if !text.is_empty() {
        item.body.push_str(&text);
    }
    Ok(item)
}

/// Re-creates the index from everything in the store, then applies changes made meanwhile.
pub fn rebuild(
    store: &Store,
    index: &SearchIndex,
    tier_ids: &[String],
) -> Result<usize, IndexerError> {
    let head = store.outbox_head()?;
    let items = store
        .list_indexed()?
        .into_iter()
        .map(|item| with_attachments(store, item))
        .collect::<Result<Vec<_>, _>>()?;
    let count = index.rebuild(&items, head, tier_ids)?;
    if !store.is_shared() {
        store.prune_outbox(head)?;
    }
    catch_up(store, index, tier_ids)?;
    Ok(count)
}

/// The background indexer: one thread, woken after each write, that runs [`catch_up`].
/// Searches never wait for it; they read the last committed state.
pub struct Indexer {
    wake: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Indexer {
    pub fn spawn(store: Store, index: Arc<SearchIndex>, tier_ids: Vec<String>) -> Indexer {
        let (wake, wakes) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("indexer".into())
            .spawn(move || {
                while wakes.recv().is_ok() {
                    while wakes.try_recv().is_ok() {}
                    if let Err(e) = catch_up(&store, &index, &tier_ids) {
                        tracing::error!(error = %e, "indexing failed; it is retried on the next write and at start");
                    }
                }
            })
            .ok();
        Indexer {
            wake: Some(wake),
            thread,
        }
    }

    /// Asks the indexer to apply pending changes soon.
    pub fn notify(&self) {
        if let Some(wake) = &self.wake {
            let _ = wake.send(());
        }
    }
}

impl Drop for Indexer {
    fn drop(&mut self) {
        // Closing the channel ends the thread after its current batch.
        self.wake.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
