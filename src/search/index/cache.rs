//! Answers of recent searches, kept per index generation.
//!
//! A search's answer depends only on the request (text, filters, page, visibility, how to
//! count), the query vocabulary and the committed index it ran on. So an answer found once can
//! be given again until the index reloads (any content change) or the vocabulary is rebuilt:
//! a rep who goes back to the results, a page of reps typing the same question, the same
//! search of the day's list. Entries name the reader's generation; a lookup under another
//! generation empties the cache first, so nothing stale is ever served.
//!
//! Bounded by entries (an answer is a page of hits with snippets and facets: a few KB); when
//! full, the least recently used half is dropped.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::search::index::{Counting, Filters, SearchRequest, SearchResults, Visibility};
use crate::search::understand::QueryVocabulary;

/// Everything a search's answer depends on besides the index: built once per search, looked
/// up, then kept with the answer.
#[derive(Debug, Clone)]
pub struct Key {
    text: String,
    filters: Filters,
    limit: usize,
    offset: usize,
    visibility: Visibility,
    explain: bool,
    counting: Counting,
    /// Compared by identity: a rebuilt vocabulary is a new `Arc`, and holding this one keeps
    /// its address from being reused while the entry lives.
    vocabulary: Option<Arc<QueryVocabulary>>,
}

impl Key {
    pub fn of(request: &SearchRequest) -> Key {
        Key {
            text: request.text.clone(),
            filters: request.filters.clone(),
            limit: request.limit,
            offset: request.offset,
            visibility: request.visibility.clone(),
            explain: request.explain,
            counting: request.counting,
            vocabulary: request.vocabulary.clone(),
        }
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        let same_vocabulary = match (&self.vocabulary, &other.vocabulary) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        same_vocabulary
            && self.text == other.text
            && self.filters == other.filters
            && self.limit == other.limit
            && self.offset == other.offset
            && self.visibility == other.visibility
            && self.explain == other.explain
            && self.counting == other.counting
    }
}

impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text.hash(state);
        self.filters.hash(state);
        self.limit.hash(state);
        self.offset.hash(state);
        self.visibility.hash(state);
        self.explain.hash(state);
        self.counting.hash(state);
        self.vocabulary.as_ref().map(Arc::as_ptr).hash(state);
    }
}

struct Entry {
    results: Arc<SearchResults>,
    last_used: u64,
}

#[derive(Default)]
struct Entries {
    generation: u64,
    map: HashMap<Key, Entry>,
    clock: u64,
}

/// Recent answers of one index (see the module documentation).
pub struct ResultCache {
    capacity: AtomicUsize,
    entries: Mutex<Entries>,
}

impl ResultCache {
    /// A cache of at most `capacity` answers; 0 keeps none.
    pub fn new(capacity: usize) -> ResultCache {
        ResultCache {
            capacity: AtomicUsize::new(capacity),
            entries: Mutex::new(Entries::default()),
        }
    }

    pub fn set_capacity(&self, capacity: usize) {
        self.capacity.store(capacity, Ordering::Relaxed);
        let mut entries = self.lock();
        if entries.map.len() > capacity {
            entries.map.clear();
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity.load(Ordering::Relaxed)
    }

    /// The answer to the request of `key` found on index `generation`, if it is kept.
    pub fn get(&self, generation: u64, key: &Key) -> Option<Arc<SearchResults>> {
        if self.capacity() == 0 {
            return None;
        }
        let mut entries = self.lock();
        if entries.generation != generation {
            entries.map.clear();
            entries.generation = generation;
            return None;
        }
        entries.clock += 1;
        let now = entries.clock;
        let entry = entries.map.get_mut(key)?;
        entry.last_used = now;
        Some(entry.results.clone())
    }

    /// Keeps `results`, found for the request of `key` on index `generation`.
    pub fn put(&self, generation: u64, key: Key, results: Arc<SearchResults>) {
        let capacity = self.capacity();
        if capacity == 0 {
            return;
        }
        let mut entries = self.lock();
        if entries.generation != generation {
            // Found on an older index than the one already cached (or a newer one: then the
            // old entries go).
            if entries.generation > generation {
                return;
            }
            entries.map.clear();
            entries.generation = generation;
        }
        if entries.map.len() >= capacity {
            // The older half goes (at least one entry): those used at or before the cut.
            let mut ages: Vec<u64> = entries.map.values().map(|e| e.last_used).collect();
            let dropped = (ages.len() / 2).max(1);
            let (_, &mut cut, _) = ages.select_nth_unstable(dropped - 1);
            entries.map.retain(|_, e| e.last_used > cut);
        }
        entries.clock += 1;
        let last_used = entries.clock;
        entries.map.insert(key, Entry { results, last_used });
    }

    /// Answers kept now.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        // Only derived data: a panic while locked left it usable.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(text: &str) -> SearchRequest {
        SearchRequest::plain(text)
    }

    fn answer(total: usize) -> Arc<SearchResults> {
        Arc::new(SearchResults {
            total,
            matched_all: total,
            hits: Vec::new(),
            understood: None,
            suggestion: None,
            related: Vec::new(),
            facets: Default::default(),
            facets_exact: true,
        })
    }

    #[test]
    fn an_answer_is_given_again_only_for_the_same_request_on_the_same_index() {
        let cache = ResultCache::new(8);
        cache.put(1, Key::of(&request("价格")), answer(3));
        assert_eq!(
            cache.get(1, &Key::of(&request("价格"))).map(|r| r.total),
            Some(3)
        );
        assert!(cache.get(1, &Key::of(&request("价格 "))).is_none());
        let mut other = request("价格");
        other.visibility.owner = Some("rep-b".into());
        assert!(
            cache.get(1, &Key::of(&other)).is_none(),
            "another viewer's answer"
        );
        let mut bounded = request("价格");
        bounded.counting = Counting::Bounded;
        assert!(
            cache.get(1, &Key::of(&bounded)).is_none(),
            "another way of counting"
        );
        // The index reloaded: nothing of the old generation is served, and it is dropped.
        assert!(cache.get(2, &Key::of(&request("价格"))).is_none());
        assert!(cache.is_empty());
        // An answer found on the older index, put late, is not kept.
        cache.put(1, Key::of(&request("价格")), answer(3));
        assert!(cache.is_empty());
    }

    #[test]
    fn a_rebuilt_vocabulary_is_another_key() {
        let cache = ResultCache::new(8);
        let synonyms = crate::domain::synonyms::Synonyms::default();
        let vocabulary = || Arc::new(QueryVocabulary::new(&synonyms, ["客户"]));
        let first = vocabulary();
        let mut with_first = request("客户");
        with_first.vocabulary = Some(first.clone());
        cache.put(1, Key::of(&with_first), answer(1));
        assert!(cache.get(1, &Key::of(&with_first)).is_some());
        let mut with_second = request("客户");
        with_second.vocabulary = Some(vocabulary());
        assert!(cache.get(1, &Key::of(&with_second)).is_none());
    }

    #[test]
    fn when_full_the_least_recently_used_half_goes() {
        let cache = ResultCache::new(4);
        for (i, text) in ["a", "b", "c", "d"].iter().enumerate() {
            cache.put(1, Key::of(&request(text)), answer(i));
        }
        // "a" and "b" used again: "c" and "d" are the least recent.
        assert!(cache.get(1, &Key::of(&request("a"))).is_some());
        assert!(cache.get(1, &Key::of(&request("b"))).is_some());
        cache.put(1, Key::of(&request("e")), answer(9));
        assert!(cache.len() <= 4);
        assert!(cache.get(1, &Key::of(&request("a"))).is_some());
        assert!(cache.get(1, &Key::of(&request("b"))).is_some());
        assert!(cache.get(1, &Key::of(&request("e"))).is_some());
        assert!(cache.get(1, &Key::of(&request("c"))).is_none());
    }

    #[test]
    fn a_capacity_of_zero_keeps_nothing() {
        let cache = ResultCache::new(0);
        cache.put(1, Key::of(&request("a")), answer(1));
        assert!(cache.get(1, &Key::of(&request("a"))).is_none());
        assert!(cache.is_empty());
    }
}
