//! The library: the application core the web handlers call.
//!
//! It joins the store (source of truth), the search index (derived), the taxonomy and the
//! problems found in the content directory, and answers questions in domain terms. It knows
//! nothing of HTTP or templates.

use crate::error_codes::code;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde::Serialize;

use crate::app::indexer::Indexer;
use crate::domain::alerts::Rules;
use crate::domain::content::{ContentError, ContentItem, Kind};
use crate::domain::coverage::{coverage, Coverage};
use crate::domain::ids::{ScenarioId, TierId};
use crate::domain::recommend::IndexedCatalog;
use crate::domain::synonyms::Synonyms;
use crate::domain::taxonomy::Taxonomy;
use crate::search::index::{
    Counting, Filters, Related, SearchIndex, SearchRequest, SearchResults, Visibility,
};
use crate::search::understand::QueryVocabulary;
use crate::store::{Store, StoreError};

/// Longest accepted search query, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Results per page when the client does not say.
pub const DEFAULT_LIMIT: usize = 10;
/// Most results per page.
pub const MAX_LIMIT: usize = 50;
/// Deepest page start: beyond it, refine the query instead.
pub const MAX_OFFSET: usize = 1_000;

#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error("no content item with id {0:?}")]
    NotFound(String),
    /// A request parameter the caller must change; `code` is stable.
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Search(#[from] crate::search::index::SearchError),
    /// A change that failed validation: every problem, each naming its field.
    #[error("{}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; "))]
    Rejected(Vec<crate::domain::capture::FieldError>),
    /// A change that collides with another (someone saved meanwhile, an id is taken).
    #[error("{0}")]
    Conflict(String),
}

/// Search parameters as they arrive (the query string of `GET /api/v1/search` and of the search
/// page), before validation; unknown parameters are rejected.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// The query: words, "quoted phrases", or a question (question words need not match).
    pub q: Option<String>,
    pub kind: Option<String>,
    pub tier: Option<String>,
    pub scenario: Option<String>,
    pub tag: Option<String>,
    pub lang: Option<String>,
    /// Hits per page (default 10).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<usize>,
    pub offset: Option<usize>,
    /// `true`: the answer says how the query was read (`understood`).
    #[serde(default)]
    pub explain: bool,
    /// `exact`: count the facets of every match, however many (for exports and checks).
    /// By default a search that matches more than the count bound (10,000) estimates them
    /// and says so (`facets_exact: false`).
    pub count: Option<CountParam>,
}

/// How far a search counts its facets (`count=` of `GET /api/v1/search`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CountParam {
    /// Up to the count bound, then estimated (the default).
    Bounded,
    /// Every match.
    Exact,
}

/// The query vocabulary of a catalog: the synonyms, the pinyin of the tags and of the
/// taxonomy's labels, and the title words "did you mean" may propose — of the items every reader
/// may see.
fn query_vocabulary(
    synonyms: &Synonyms,
    taxonomy: &Taxonomy,
    catalog: &[ContentItem],
) -> QueryVocabulary {
    // Only items every reader may see lend their words: a case review is about an account,
    // and "did you mean" must not spell out a word only a hidden review holds.
    let shared: Vec<&ContentItem> = catalog
        .iter()
        .filter(|item| item.account.is_none())
        .collect();
    let mut words: std::collections::BTreeSet<&str> = shared
        .iter()
        .flat_map(|item| item.tags.iter().map(String::as_str))
        .collect();
    for scenario in taxonomy.scenario_ids() {
        if let Some(s) = taxonomy.scenario(scenario) {
            words.insert(s.zh.as_str());
        }
    }
    for tier in taxonomy.all_tier_ids() {
        if let Some(t) = taxonomy.tier(tier) {
            words.insert(t.zh.as_str());
        }
    }
    let titles = shared.iter().map(|item| item.title.as_str());
    QueryVocabulary::with_titles(synonyms, words, titles)
}

/// How many recent misses the search-miss summary looks at.
pub const MISS_WINDOW: usize = 5_000;

/// A query that found nothing, with how often it was asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MissSummary {
    pub query: String,
    pub count: usize,
    pub last_at: String,
}

/// Everything a request needs, shared by all workers.
pub struct Library {
    store: Store,
    taxonomy: Arc<Taxonomy>,
    problems: Vec<ContentError>,
    index: Arc<SearchIndex>,
    indexer: Indexer,
    alert_rules: Rules,
    /// The search synonyms in force.
    synonyms: Synonyms,
    /// The synonyms and the pinyin of the catalog's tags, prepared for reading queries;
    /// rebuilt with the catalog.
    vocabulary: RwLock<Arc<QueryVocabulary>>,
    /// Published items, ordered by title, with the briefing's lookups: read by every page,
    /// replaced (lookups rebuilt) after content writes.
    catalog: RwLock<Arc<IndexedCatalog>>,
    /// Items in the store, any status, as of the last catalog refresh (which follows every
    /// content write): `/healthz` reads it, and counting a sled tree means reading all of it.
    stored_items: std::sync::atomic::AtomicUsize,
    /// The outbox head as of the last catalog refresh: on a shared store, a higher head means
    /// another node changed content ([`Library::follow_store`]).
    seen_head: std::sync::atomic::AtomicU64,
}

impl Library {
    /// A library over a synced store and an index that has caught up with it.
    pub fn new(
        store: Store,
        taxonomy: Taxonomy,
        alert_rules: Rules,
        synonyms: Synonyms,
        problems: Vec<ContentError>,
        index: Arc<SearchIndex>,
    ) -> Library {
        let indexer = Indexer::spawn(store.clone(), index.clone(), tier_ids(&taxonomy));
        let started = std::time::Instant::now();
        let seen_head = store.outbox_head().unwrap_or(0);
        let (catalog, stored_items) = published_catalog(&store).unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot list the stored content");
            (Vec::new(), 0)
        });
        tracing::info!(
            items = catalog.len(),
            "catalog read from the store in {:?}",
            started.elapsed()
        );
        let vocabulary = query_vocabulary(&synonyms, &taxonomy, &catalog);
        Library {
            store,
            taxonomy: Arc::new(taxonomy),
            problems,
            index,
            indexer,
            alert_rules,
            vocabulary: RwLock::new(Arc::new(vocabulary)),
            synonyms,
            catalog: RwLock::new(Arc::new(IndexedCatalog::new(Arc::new(catalog)))),
            stored_items: stored_items.into(),
            seen_head: seen_head.into(),
        }
    }

    /// Every published item, ordered by title, without its body (shared, cheap to clone).
    pub fn catalog(&self) -> Arc<Vec<ContentItem>> {
        self.indexed_catalog().shared_items()
    }

    /// The published items of [`Library::catalog`] with the lookups the briefing needs (by id,
    /// by tier and scenario, courses by scenario). Built once per content change, so it always
    /// matches the catalog; cheap to clone.
    pub fn indexed_catalog(&self) -> Arc<IndexedCatalog> {
        match self.catalog.read() {
            Ok(catalog) => catalog.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn taxonomy(&self) -> &Taxonomy {
        &self.taxonomy
    }

    /// The briefing's alert rules (data, editable as `alerts.yaml` in the content directory).
    pub fn alert_rules(&self) -> &Rules {
        &self.alert_rules
    }

    /// The search synonyms in force (data, editable as `synonyms.yaml` in the content
    /// directory).
    pub fn synonyms(&self) -> &Synonyms {
        &self.synonyms
    }

    /// The synonyms and pinyin words searches read queries with.
    pub fn vocabulary(&self) -> Arc<QueryVocabulary> {
        match self.vocabulary.read() {
            Ok(slot) => slot.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn index(&self) -> &SearchIndex {
        &self.index
    }

    /// On a shared store: when another node changed content since the last refresh (the
    /// outbox head moved), refreshes the catalog and wakes the indexer, as after a write here.
    /// Returns whether it did.
    pub fn follow_store(&self) -> Result<bool, LibraryError> {
        let head = self.store.outbox_head()?;
        if head == self.seen_head.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(false);
        }
        self.refresh(head)?;
        Ok(true)
    }

    /// Outbox entries this node's index has not applied yet (0 when it is up to date).
    pub fn index_lag(&self) -> Result<u64, LibraryError> {
        let head = self.store.outbox_head()?;
        Ok(head.saturating_sub(self.index.applied_seq()))
    }

    /// Refreshes the catalog and wakes the indexer after a write to content.
    pub fn content_changed(&self) -> Result<(), LibraryError> {
        // Read before the catalog: a change committed meanwhile is seen again next time.
        self.refresh(self.store.outbox_head()?)
    }

    /// Reads the catalog again (its state at least as new as outbox entry `head`) and wakes
    /// the indexer.
    fn refresh(&self, head: u64) -> Result<(), LibraryError> {
        let (items, stored_items) = published_catalog(&self.store)?;
        self.seen_head
            .store(head, std::sync::atomic::Ordering::SeqCst);
        let vocabulary = Arc::new(query_vocabulary(&self.synonyms, &self.taxonomy, &items));
        let catalog = Arc::new(IndexedCatalog::new(Arc::new(items)));
        self.stored_items
            .store(stored_items, std::sync::atomic::Ordering::SeqCst);
        match self.catalog.write() {
            Ok(mut slot) => *slot = catalog,
            Err(poisoned) => *poisoned.into_inner() = catalog,
        }
        match self.vocabulary.write() {
            Ok(mut slot) => *slot = vocabulary,
            Err(poisoned) => *poisoned.into_inner() = vocabulary,
        }
        self.indexer.notify();
        Ok(())
    }

    /// Items in the store, of any status.
    pub fn stored_items(&self) -> usize {
        self.stored_items.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Problems found in the content directory at start.
    pub fn problems(&self) -> &[ContentError] {
        &self.problems
    }

    /// A stored item of any status; who may read it is the caller's question
    /// (`crate::app::access::Access::can_read`).
    pub fn item(&self, id: &str) -> Result<ContentItem, LibraryError> {
        self.store
            .get_content(id)?
            .ok_or_else(|| LibraryError::NotFound(id.to_owned()))
    }

    /// The published version of an item (while a newer draft waits, the one readers see); an
    /// unpublished id answers like an unknown one and reveals nothing.
    pub fn published(&self, id: &str) -> Result<ContentItem, LibraryError> {
        match self.store.get_record(id)? {
            Some(record) if record.readable_version().is_published() => {
                Ok(record.live.unwrap_or(record.item))
            }
            _ => Err(LibraryError::NotFound(id.to_owned())),
        }
    }

    /// Published items, optionally of one kind, ordered by title.
    pub fn list_published(&self, kind: Option<Kind>) -> Result<Vec<ContentItem>, LibraryError> {
        Ok(self
            .catalog()
            .iter()
            .filter(|item| kind.is_none_or(|k| item.kind == k))
            .cloned()
            .collect())
    }

    /// The published lessons of a course, in course order.
    pub fn lessons_of(&self, course_id: &str) -> Result<Vec<ContentItem>, LibraryError> {
        let mut lessons: Vec<ContentItem> = self
            .list_published(Some(Kind::Lesson))?
            .into_iter()
            .filter(|lesson| lesson.course.as_deref() == Some(course_id))
            .collect();
        lessons.sort_by_key(|lesson| lesson.order);
        Ok(lessons)
    }

    /// Published items that are translations of `id`, and the original if `item` is one.
    pub fn translations_of(&self, item: &ContentItem) -> Result<Vec<ContentItem>, LibraryError> {
        let original = item.translation_of.as_deref().unwrap_or(&item.id);
        Ok(self
            .list_published(None)?
            .into_iter()
            .filter(|other| {
                other.id != item.id
                    && (other.id == original || other.translation_of.as_deref() == Some(original))
            })
            .collect())
    }

    /// The coverage matrix of the published playbooks (while a playbook's edit waits for
    /// approval, its published version keeps its cells filled).
    pub fn coverage(&self) -> Result<Coverage, LibraryError> {
        Ok(coverage(self.catalog().iter(), &self.taxonomy))
    }

    /// When nothing matched every word: published playbooks for the tiers and scenarios `q`
    /// names (by label in either language or by id), those of both first; at most five.
    fn related_playbooks(&self, q: &str) -> Vec<Related> {
        let folded = q.to_lowercase();
        let names = |id: &str, zh: &str, en: &str| {
            folded.contains(&zh.to_lowercase())
                || (id.len() > 2 && folded.contains(id))
                || (en.len() > 3 && folded.contains(&en.to_lowercase()))
        };
        let tiers: Vec<&str> = self
            .taxonomy
            .all_tier_ids()
            .into_iter()
            .filter(|t| {
                self.taxonomy
                    .tier(t)
                    .is_some_and(|d| names(t, &d.zh, &d.en))
            })
            .collect();
        let scenarios: Vec<&str> = self
            .taxonomy
            .scenario_ids()
            .into_iter()
            .filter(|s| {
                self.taxonomy
                    .scenario(s)
                    .is_some_and(|d| names(s, &d.zh, &d.en))
            })
            .collect();
        if tiers.is_empty() && scenarios.is_empty() {
            return Vec::new();
        }
        let catalog = self.catalog();
        let mut fits: Vec<(u8, &ContentItem)> = catalog
            .iter()
            .filter(|item| item.kind == Kind::Playbook)
            .filter_map(|item| {
                let tier = tiers.iter().any(|t| item.tiers.iter().any(|x| x == t));
                let scenario = scenarios
                    .iter()
                    .any(|s| item.scenarios.iter().any(|x| x == s));
                let both = (tiers.is_empty() || tier) && (scenarios.is_empty() || scenario);
                match (both, tier || scenario) {
                    (true, _) => Some((0, item)),
                    (false, true) => Some((1, item)),
                    _ => None,
                }
            })
            .collect();
        fits.sort_by_key(|(rank, item)| (*rank, item.scenarios.len()));
        fits.into_iter()
            .take(5)
            .map(|(_, item)| Related {
                id: item.id.clone(),
                title: item.title.clone(),
                url: format!("/content/{}", item.id),
            })
            .collect()
    }

    /// Validates the parameters and searches what a reader may see. A query that finds nothing
    /// for this searcher is recorded as a miss.
    pub fn search(
        &self,
        params: &SearchParams,
        visibility: &Visibility,
    ) -> Result<SearchResults, LibraryError> {
        let mut request = self.search_request(params)?;
        request.visibility = visibility.clone();
        let mut results = self.index.search(&request)?;
        let q = params.q.as_deref().unwrap_or("").trim();
        if results.matched_all == 0 {
            results.related = self.related_playbooks(q);
        }
        // A miss (nothing matched every word) is recorded from what this searcher saw, never
        // from what exists beyond their view: whether a query is recorded must not tell anyone
        // (curators read the list) that a hidden item contains its words.
        if results.matched_all == 0 && !q.is_empty() {
            if let Err(e) = self.store.record_search_miss(q) {
                tracing::warn!(error = %e, "could not record a search miss");
            }
        }
        Ok(results)
    }

    /// The tier and scenario filters of a request (search, practices), checked against the
    /// taxonomy once; blank means "any".
    pub fn vocabulary_filters(
        &self,
        tier: Option<&str>,
        scenario: Option<&str>,
    ) -> Result<(Option<TierId>, Option<ScenarioId>), LibraryError> {
        fn invalid(code: &'static str) -> impl Fn(String) -> LibraryError {
            move |message| LibraryError::Invalid { code, message }
        }
        let tier = tier
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| {
                self.taxonomy
                    .parse_tier(t)
                    .map_err(invalid(code::INVALID_TIER))
            })
            .transpose()?;
        let scenario = scenario
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                self.taxonomy
                    .parse_scenario(s)
                    .map_err(invalid(code::INVALID_SCENARIO))
            })
            .transpose()?;
        Ok((tier, scenario))
    }

    fn search_request(&self, params: &SearchParams) -> Result<SearchRequest, LibraryError> {
        let invalid = |code: &'static str, message: String| LibraryError::Invalid { code, message };
        let q = params.q.as_deref().unwrap_or("");
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(invalid(
                code::QUERY_TOO_LONG,
                format!("q: the query has {} characters; at most {MAX_QUERY_CHARS} are searched — shorten it", q.chars().count()),
            ));
        }
        let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(invalid(
                code::INVALID_LIMIT,
                format!("limit: {limit} is out of range (1–{MAX_LIMIT})"),
            ));
        }
        let offset = params.offset.unwrap_or(0);
        if offset > MAX_OFFSET {
            return Err(invalid(
                code::INVALID_OFFSET,
                format!(
                    "offset: {offset} is beyond {MAX_OFFSET}; refine the query or filters instead"
                ),
            ));
        }
        let nonempty = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let kind = nonempty(&params.kind);
        if let Some(kind) = &kind {
            if Kind::parse(kind).is_none() {
                return Err(invalid(
                    code::INVALID_KIND,
                    format!(
                        "kind: unknown kind {kind:?} (expected one of {})",
                        Kind::EXPECTED
                    ),
                ));
            }
        }
        let (tier, scenario) =
            self.vocabulary_filters(params.tier.as_deref(), params.scenario.as_deref())?;
        let lang = nonempty(&params.lang);
        if let Some(lang) = &lang {
            if crate::domain::Lang::parse(lang).is_none() {
                return Err(invalid(
                    code::INVALID_LANG,
                    format!("lang: unknown language {lang:?} (expected zh or en)"),
                ));
            }
        }
        Ok(SearchRequest {
            text: q.to_owned(),
            vocabulary: Some(self.vocabulary()),
            explain: params.explain,
            filters: Filters {
                kind,
                tier: tier.map(String::from),
                scenario: scenario.map(String::from),
                tag: nonempty(&params.tag),
                lang,
                account: None,
            },
            limit,
            offset,
            visibility: Visibility::published(),
            counting: match params.count {
                Some(CountParam::Exact) => Counting::Exact,
                Some(CountParam::Bounded) | None => Counting::Bounded,
            },
        })
    }

    /// Queries that found nothing, most frequent first, over the latest `window` misses.
    pub fn search_misses(&self, window: usize) -> Result<Vec<MissSummary>, LibraryError> {
        let mut by_query: HashMap<String, MissSummary> = HashMap::new();
        for miss in self.store.recent_search_misses(window)? {
            by_query
                .entry(miss.query.clone())
                .and_modify(|s| s.count += 1)
                .or_insert(MissSummary {
                    query: miss.query,
                    count: 1,
                    last_at: miss.at,
                });
        }
        let mut misses: Vec<MissSummary> = by_query.into_values().collect();
        misses.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| b.last_at.cmp(&a.last_at))
        });
        Ok(misses)
    }
}

/// The published items without their bodies: lists, coverage and the briefing need only the
/// front matter, and at 100,000 items the bodies would hold hundreds of MB in memory. Pages that
/// show a body read the item ([`Library::item`], [`Library::published`]).
/// Also returns how many items the store holds, of any status.
fn published_catalog(store: &Store) -> Result<(Vec<ContentItem>, usize), StoreError> {
    let all = store.list_catalog()?;
    let stored = all.len();
    let mut items: Vec<ContentItem> = all.into_iter().filter(ContentItem::is_published).collect();
    items.sort_by(|a, b| a.title.cmp(&b.title).then_with(|| a.id.cmp(&b.id)));
    Ok((items, stored))
}

/// The tiers an "every tier" item is filed under in the index: all tiers of all presets.
pub fn tier_ids(taxonomy: &Taxonomy) -> Vec<String> {
    taxonomy
        .all_tier_ids()
        .into_iter()
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::content::parse_content;
    use crate::domain::recommend::{MatchKind, TierLevels};
    use crate::domain::Lang;

    fn playbook(id: &str, title: &str, taxonomy: &Taxonomy) -> ContentItem {
        let text = format!(
            "---\nid: {id}\nkind: playbook\ntitle: {title}\ntiers: [major]\nscenarios: [bidding]\n---\nbody\n"
        );
        parse_content("test", &format!("{id}.md"), &text, taxonomy).expect("playbook parses")
    }

    #[test]
    fn the_indexed_catalog_is_rebuilt_when_content_changes() {
        let dir = tempfile::tempdir().unwrap();
        let taxonomy = Taxonomy::default();
        let store = Store::open(&dir.path().join("store")).unwrap();
        store
            .put_content(&playbook("b-first", "B first", &taxonomy))
            .unwrap();
        let (index, _) = SearchIndex::open(&dir.path().join("index")).unwrap();
        let library = Library::new(
            store.clone(),
            taxonomy.clone(),
            Rules::builtin(),
            crate::domain::synonyms::Synonyms::builtin(),
            Vec::new(),
            Arc::new(index),
        );
        let levels = TierLevels::from_taxonomy(&taxonomy);
        let recommended = |library: &Library| -> Vec<(String, MatchKind)> {
            library
                .indexed_catalog()
                .recommend("major", 2, &[], Some("bidding"), Lang::Zh, &levels)
                .playbooks
                .iter()
                .map(|p| (p.id.to_owned(), p.match_kind))
                .collect()
        };
        assert_eq!(
            recommended(&library),
            [("b-first".into(), MatchKind::Exact)]
        );
        assert!(library.indexed_catalog().get("a-second").is_none());

        store
            .put_content(&playbook("a-second", "A second", &taxonomy))
            .unwrap();
        library.content_changed().unwrap();
        assert_eq!(
            recommended(&library),
            [
                ("a-second".into(), MatchKind::Exact),
                ("b-first".into(), MatchKind::Exact)
            ]
        );
        assert_eq!(
            library
                .indexed_catalog()
                .get("a-second")
                .map(|i| i.title.as_str()),
            Some("A second")
        );
        assert_eq!(library.catalog().len(), 2);
    }
}
