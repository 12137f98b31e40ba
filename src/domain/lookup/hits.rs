//! The best hits so far: at most one per account, kept in (quality, rank) order, and the bound that
//! stops a family early.

use super::*;

/// The best hits so far, sorted by (quality, rank); at most one per account.
pub(super) struct TopHits {
    pub(super) limit: usize,
    pub(super) hits: Vec<(MatchQuality, u32, u32)>,
}

impl TopHits {
    pub(super) fn new(limit: usize) -> TopHits {
        TopHits {
            limit,
            hits: Vec::with_capacity(limit + 1),
        }
    }

    /// Could a hit of `quality` for `doc` enter? Candidates come in rank order within a
    /// family, so once this is false it stays false for the rest of the family.
    pub(super) fn would_take(&self, quality: MatchQuality, doc: u32) -> bool {
        self.hits.len() < self.limit
            || self
                .hits
                .last()
                .is_some_and(|&(q, d, _)| (quality, doc) < (q, d))
    }

    pub(super) fn offer(&mut self, quality: MatchQuality, doc: u32, field: u32) {
        if let Some(pos) = self.hits.iter().position(|&(_, d, _)| d == doc) {
            if quality >= self.hits[pos].0 {
                return;
            }
            self.hits.remove(pos);
        } else if !self.would_take(quality, doc) {
            return;
        }
        let pos = self
            .hits
            .partition_point(|&(q, d, _)| (q, d) < (quality, doc));
        self.hits.insert(pos, (quality, doc, field));
        self.hits.truncate(self.limit);
    }
}

/// The `k` smallest account numbers seen, with where they were seen.
pub(super) struct SmallestDocs {
    pub(super) k: usize,
    pub(super) docs: Vec<(u32, u32)>,
    /// Accounts at or above this cannot enter.
    pub(super) bound: u32,
}

impl SmallestDocs {
    pub(super) fn new(k: usize) -> SmallestDocs {
        SmallestDocs {
            k,
            docs: Vec::with_capacity(k + 1),
            bound: u32::MAX,
        }
    }

    pub(super) fn insert(&mut self, doc: u32, position: u32) {
        let at = self.docs.partition_point(|&(d, _)| d < doc);
        if self.docs.get(at).is_some_and(|&(d, _)| d == doc) {
            return;
        }
        self.docs.insert(at, (doc, position));
        self.docs.truncate(self.k);
        if self.docs.len() == self.k {
            self.bound = self.docs.last().map_or(u32::MAX, |&(d, _)| d);
        }
    }
}
