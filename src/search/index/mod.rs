//! The tantivy index: open (or rebuild when missing, unreadable or of an old schema), apply
//! changes through the one writer, and answer searches through a reader that reloads on commit.
//!
//! Every commit carries a payload `{schema_version, applied_seq}`: the store's outbox sequence
//! number up to which the index is complete. That number is how the index catches up after a
//! crash (see `crate::app::indexer`).

mod cache;
mod similar;
mod snippets;

pub use cache::ResultCache;
pub use similar::SimilarRequest;
pub use snippets::escape_html;
use snippets::{leading_chars, Snippets, SNIPPET_CHARS};

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery, TermSetQuery};
use tantivy::schema::{IndexRecordOption, Schema, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    doc, DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term,
};

use crate::domain::content::{ContentItem, Status};
use crate::render::plain_text;
use crate::search::facets::{self, FacetCache, FacetCollector};
use crate::search::matching::{matches_any, missing_terms, preferring, ranked, relax, RELAX_BELOW};
use crate::search::pinyin::pinyin_of_words;
use crate::search::query::TYPO_WEIGHT;
use crate::search::query::{all_of, term_query, with_filters};
use crate::search::schema::{self, build_schema, Fields, SCHEMA_VERSION};
use crate::search::tokenizer::is_han;
use crate::search::tokenizer::{query_analyzer, register_tokenizers};
use crate::search::typos::{allowed_edits, corrections};
use crate::search::understand::{
    understand, Alternative, QueryExplain, QueryVocabulary, Understood,
};

/// Memory the writer may buffer before it flushes a segment.
const WRITER_HEAP_BYTES: usize = 64 * 1024 * 1024;
/// How many values of each facet are returned.
const FACET_SIZE: usize = 40;
/// The keyword fields counted as facets.
const FACET_FIELDS: [&str; 5] = [
    schema::KIND,
    schema::TIERS,
    schema::SCENARIOS,
    schema::TAGS,
    schema::LANG,
];

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index directory {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("search index writer lock poisoned")]
    Poisoned,
}

#[derive(Debug, Serialize, Deserialize)]
struct CommitPayload {
    schema_version: u32,
    applied_seq: u64,
}

/// Which items a searcher may see, as the access policy (`domain::policy`) decided for the
/// signed-in user: built by the caller, applied inside the query so that totals, facet counts
/// and snippets only ever come from visible items.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Visibility {
    /// Unpublished items of everyone (those who approve them).
    pub all_statuses: bool,
    /// This user's own items, whatever their status or account.
    pub owner: Option<String>,
    /// Items about these accounts are hidden (case reviews of accounts whose figures the user
    /// may not see), except the user's own.
    pub hidden_accounts: Vec<String>,
}

impl Visibility {
    /// Published items, nothing hidden: what tests and benchmarks search as.
    pub fn published() -> Visibility {
        Visibility::default()
    }

    /// Every item, drafts included (rebuild checks, administrators' tools).
    pub fn everything() -> Visibility {
        Visibility {
            all_statuses: true,
            ..Visibility::default()
        }
    }
}

/// Keyword filters; `None` means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Filters {
    pub kind: Option<String>,
    pub tier: Option<String>,
    pub scenario: Option<String>,
    pub tag: Option<String>,
    pub lang: Option<String>,
    pub account: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SearchRequest {
    /// The query as typed (see `search::understand` for what it means).
    pub text: String,
    /// Synonyms and pinyin words; `None` reads the query literally.
    pub vocabulary: Option<std::sync::Arc<QueryVocabulary>>,
    pub filters: Filters,
    pub limit: usize,
    pub offset: usize,
    pub visibility: Visibility,
    /// Say how the query was understood (`SearchResults::understood`).
    pub explain: bool,
    /// How far the facets are counted.
    pub counting: Counting,
}

#[cfg(test)]
impl SearchRequest {
    /// The first ten published items for `text`, read literally, facets counted exactly.
    pub(crate) fn plain(text: &str) -> SearchRequest {
        SearchRequest {
            text: text.to_owned(),
            vocabulary: None,
            filters: Filters::default(),
            limit: 10,
            offset: 0,
            visibility: Visibility::published(),
            explain: false,
            counting: Counting::Exact,
        }
    }
}

/// How far a search counts the facets of its matches. The total is always exact: scoring
/// visits every match, and counting them costs nothing more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Counting {
    /// Count the facets of about [`SearchSettings::count_bound`] matches, spread over the
    /// segments; beyond that, the counts are estimates, and marked so.
    #[default]
    Bounded,
    /// Count the facets of every match (exports, tests).
    Exact,
}

/// How an index answers searches (`playbook serve --search-count-bound`, `--search-cache`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchSettings {
    /// Matches whose facets a [`Counting::Bounded`] search counts before it estimates.
    pub count_bound: u32,
    /// Answers kept for searches asked again on the same index generation (0: none).
    pub cache_entries: usize,
}

/// Default of [`SearchSettings::count_bound`].
pub const DEFAULT_COUNT_BOUND: u32 = 10_000;
/// Default of [`SearchSettings::cache_entries`].
pub const DEFAULT_CACHE_ENTRIES: usize = 512;

impl Default for SearchSettings {
    fn default() -> Self {
        SearchSettings {
            count_bound: DEFAULT_COUNT_BOUND,
            cache_entries: DEFAULT_CACHE_ENTRIES,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Hit {
    pub id: String,
    pub kind: String,
    pub title: String,
    /// Escaped text with `<mark>` around matches: safe to embed as HTML.
    pub snippet: String,
    pub tiers: Vec<String>,
    pub scenarios: Vec<String>,
    pub tags: Vec<String>,
    pub lang: String,
    pub url: String,
    /// Words of the query this item does not match (results that match only part of it come
    /// after those that match all of it).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    #[serde(skip)]
    pub score: f32,
}

/// A link to an item suggested beside the results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Related {
    pub id: String,
    pub title: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    pub total: usize,
    /// Of `total`, the items that match every word of the query (all of them unless the search
    /// was relaxed to find enough).
    pub matched_all: usize,
    pub hits: Vec<Hit>,
    /// How the query was read, with `explain=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub understood: Option<QueryExplain>,
    /// "Did you mean": the query with words the library does not use replaced by close ones
    /// it does, when fewer than a page matched every word.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    /// When nothing matched every word: playbooks of the tiers and scenarios the query names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    /// Counts per value of `kind`, `tiers`, `scenarios`, `tags`, `lang` over all matches.
    pub facets: std::collections::BTreeMap<&'static str, Vec<FacetCount>>,
    /// Whether the facet counts are exact. A search that matches more than the count bound
    /// (10,000 unless configured) counts the facets of that many matches and scales them to
    /// the total: the counts are then estimates, rounded to two significant digits. Ask with
    /// `count=exact` for exact counts.
    pub facets_exact: bool,
}

pub struct SearchIndex {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    analyzer: TextAnalyzer,
    applied_seq: AtomicU64,
    dir: PathBuf,
    /// The facet fields' values per live segment (see `crate::search::facets`).
    facet_values: FacetCache,
    /// Answers of recent searches on the current generation (see [`ResultCache`]).
    results: ResultCache,
    count_bound: std::sync::atomic::AtomicU32,
    /// Searches running now, and the thread pool a search runs its segments on when it is the
    /// only one: a lone search (a rep typing) then uses every core; under load each search
    /// takes one thread, which wastes nothing on hand-offs (a fifth more searches a second at
    /// 100,000 documents, `cargo bench --bench suite`).
    searching: std::sync::atomic::AtomicUsize,
    parallel: tantivy::Executor,
}

/// Why an index had to be created afresh; the caller then rebuilds it from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fresh {
    No,
    Yes(String),
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it afresh (and saying why) when it is missing,
    /// unreadable or built with another schema version.
    pub fn open(dir: &Path) -> Result<(SearchIndex, Fresh), SearchError> {
        let schema = build_schema();
        let io = |source| SearchError::Io {
            path: dir.display().to_string(),
            source,
        };
        let existing = dir.join("meta.json").is_file();
        let (index, fresh) = if existing {
            match open_checked(dir, &schema) {
                Ok(index) => (index, Fresh::No),
                Err(reason) => {
                    std::fs::remove_dir_all(dir).map_err(io)?;
                    std::fs::create_dir_all(dir).map_err(io)?;
                    (Index::create_in_dir(dir, schema)?, Fresh::Yes(reason))
                }
            }
        } else {
            if dir.exists() {
                std::fs::remove_dir_all(dir).map_err(io)?;
            }
            std::fs::create_dir_all(dir).map_err(io)?;
            (
                Index::create_in_dir(dir, schema)?,
                Fresh::Yes("no index yet".into()),
            )
        };
        register_tokenizers(index.tokenizers());
        let applied_seq = match fresh {
            Fresh::No => read_payload(&index).map(|p| p.applied_seq).unwrap_or(0),
            Fresh::Yes(_) => 0,
        };
        let fields = Fields::from_schema(&index.schema())?;
        let writer = index.writer(WRITER_HEAP_BYTES)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok((
            SearchIndex {
                reader,
                writer: Mutex::new(writer),
                fields,
                analyzer: query_analyzer(),
                applied_seq: AtomicU64::new(applied_seq),
                dir: dir.to_path_buf(),
                facet_values: FacetCache::new(&FACET_FIELDS),
                results: ResultCache::new(DEFAULT_CACHE_ENTRIES),
                count_bound: DEFAULT_COUNT_BOUND.into(),
                searching: std::sync::atomic::AtomicUsize::new(0),
                parallel: tantivy::Executor::multi_thread(
                    std::thread::available_parallelism().map_or(1, |n| n.get()),
                    "search-",
                )?,
            },
            fresh,
        ))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Applies `settings` (the defaults hold until then).
    pub fn configure(&self, settings: SearchSettings) {
        self.count_bound
            .store(settings.count_bound.max(1), Ordering::Relaxed);
        self.results.set_capacity(settings.cache_entries);
    }

    /// The store's outbox sequence number up to which this index is complete.
    pub fn applied_seq(&self) -> u64 {
        self.applied_seq.load(Ordering::SeqCst)
    }

    /// Number of documents visible to searches.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Every indexed id (for consistency checks and tests).
    pub fn all_ids(&self) -> Result<Vec<String>, SearchError> {
        let searcher = self.reader.searcher();
        let mut ids = Vec::new();
        for segment in searcher.segment_readers() {
            let store = segment
                .get_store_reader(1)
                .map_err(|e| SearchError::Tantivy(e.into()))?;
            for doc_id in segment.doc_ids_alive() {
                let doc: TantivyDocument = store.get(doc_id)?;
                if let Some(id) = doc.get_first(self.fields.id).and_then(|v| v.as_str()) {
                    ids.push(id.to_owned());
                }
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// Replaces or deletes items and commits, recording `applied_seq`. `tier_ids` are the
    /// taxonomy's tiers, used for items that apply to every tier.
    pub fn apply(
        &self,
        upserts: &[ContentItem],
        deletes: &[String],
        applied_seq: u64,
        tier_ids: &[String],
    ) -> Result<(), SearchError> {
        let mut writer = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
        for id in deletes.iter().chain(upserts.iter().map(|i| &i.id)) {
            writer.delete_term(Term::from_field_text(self.fields.id, id));
        }
        for item in upserts {
            writer.add_document(self.document(item, tier_ids))?;
        }
        self.commit(&mut writer, applied_seq)
    }

    /// Drops everything and indexes `items` afresh.
    pub fn rebuild<'a>(
        &self,
        items: impl IntoIterator<Item = &'a ContentItem>,
        applied_seq: u64,
        tier_ids: &[String],
    ) -> Result<usize, SearchError> {
        let mut writer = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
        writer.delete_all_documents()?;
        let mut count = 0;
        for item in items {
            writer.add_document(self.document(item, tier_ids))?;
            count += 1;
        }
        self.commit(&mut writer, applied_seq)?;
        Ok(count)
    }

    fn commit(&self, writer: &mut IndexWriter, applied_seq: u64) -> Result<(), SearchError> {
        let payload = serde_json::to_string(&CommitPayload {
            schema_version: SCHEMA_VERSION,
            applied_seq,
        })
        .unwrap_or_default();
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.applied_seq.store(applied_seq, Ordering::SeqCst);
        self.reader.reload()?;
        self.facet_values.retain_live(&self.reader.searcher());
        Ok(())
    }

    fn document(&self, item: &ContentItem, tier_ids: &[String]) -> TantivyDocument {
        let f = &self.fields;
        let mut document = doc!(
            f.id => item.id.as_str(),
            f.title => item.title.as_str(),
            f.body => plain_text(&item.body),
            f.kind => item.kind.as_str(),
            f.lang => item.lang.as_str(),
            f.status => item.status.as_str(),
        );
        if let Some(summary) = &item.summary {
            document.add_text(f.body, summary);
        }
        let tiers: &[String] = if item.tiers.is_empty() {
            tier_ids
        } else {
            &item.tiers
        };
        for tier in tiers {
            document.add_text(f.tiers, tier);
        }
        for tier in &item.tiers {
            document.add_text(f.own_tiers, tier);
        }
        for scenario in &item.scenarios {
            document.add_text(f.scenarios, scenario);
        }
        for tag in &item.tags {
            document.add_text(f.tags, tag);
        }
        let mut readings = pinyin_of_words(&item.title);
        for tag in &item.tags {
            readings.extend(pinyin_of_words(tag));
        }
        readings.sort_unstable();
        readings.dedup();
        for reading in readings {
            document.add_text(f.pinyin, reading);
        }
        if let Some(account) = &item.account {
            document.add_text(f.account, account);
        }
        if let Some(owner) = &item.owner {
            document.add_text(f.owner, owner);
        }
        document
    }

    /// Runs a search. Never blocks on indexing: it uses the last committed searcher. Every term
    /// must match; when that finds fewer than a page, terms are left out by the matching
    /// strategy (`search::matching`), a Latin word the library does not use also matches words
    /// a typo away, and each hit says which words it lacks.
    ///
    /// The answer is kept (see [`ResultCache`]) and given again for the same request until the
    /// index changes.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults, SearchError> {
        let searcher = self.reader.searcher();
        let generation = searcher.generation().generation_id();
        let key = cache::Key::of(request);
        if let Some(kept) = self.results.get(generation, &key) {
            return Ok(SearchResults::clone(&kept));
        }
        let results = self.search_afresh(&searcher, request)?;
        self.results
            .put(generation, key, std::sync::Arc::new(results.clone()));
        Ok(results)
    }

    fn search_afresh(
        &self,
        searcher: &tantivy::Searcher,
        request: &SearchRequest,
    ) -> Result<SearchResults, SearchError> {
        let f = &self.fields;
        let mut analyzer = self.analyzer.clone();
        let understood = understand(&request.text, request.vocabulary.as_deref(), &mut analyzer);
        let filters = self.filter_terms(&request.filters);
        let restrict = |text: Option<Box<dyn Query>>| {
            self.visible_only(with_filters(text, filters.clone()), &request.visibility)
        };
        let mut terms: Vec<Box<dyn Query>> = understood
            .terms
            .iter()
            .map(|t| term_query(t, f, &[]))
            .collect();
        let preferred = self.preferred_language(&understood, &request.text);
        let prefer = |query: Box<dyn Query>| match &preferred {
            Some(lang) => preferring(query, lang.box_clone()),
            None => query,
        };
        let mut at_least = terms.len();
        let query = prefer(restrict(all_of(&terms)));
        let mut page = self.run(searcher, &*query, request)?;
        let mut matched_all = page.total;
        let few = page.total < RELAX_BELOW && (terms.len() > 1 || page.total == 0);
        if few {
            // Whether a term matches anything is asked of what this searcher may see (and the
            // filters): a word only hidden items hold must behave like a word found nowhere,
            // or the typo corrections would tell that such an item exists.
            let visible = |q: &dyn Query| matches_any(searcher, &*restrict(Some(q.box_clone())));
            let mut present = terms
                .iter()
                .map(|t| visible(&**t))
                .collect::<tantivy::Result<Vec<bool>>>()?;
            let corrected = self.correct_typos(
                searcher,
                &understood,
                request.vocabulary.as_deref(),
                &mut terms,
                &mut present,
                &visible,
            )?;
            let mut with_every_word = None;
            let relaxed = relax(&present, !corrected, |k| {
                let query = prefer(restrict(Some(ranked(&terms, k))));
                let page = self
                    .run(searcher, &*query, request)
                    .map_err(tantivy_error)?;
                if k == terms.len() {
                    // Every word, once its typos were forgiven.
                    with_every_word = Some(page.total);
                }
                Ok((page.total, page))
            })?;
            if let Some((k, relaxed)) = relaxed {
                at_least = k;
                page = relaxed;
            }
            matched_all = with_every_word.unwrap_or(matched_all);
        }
        let (total, top_docs, facet_fruit) = (page.total, page.top_docs, page.facets);
        let facets_exact = facet_fruit.exact;
        let missing = match at_least < terms.len() || matched_all < total {
            true => {
                let addresses: Vec<DocAddress> = top_docs.iter().map(|(_, a)| *a).collect();
                missing_terms(searcher, &terms, &addresses)?
            }
            false => vec![Vec::new(); top_docs.len()],
        };
        let snippet_query: Option<Box<dyn Query>> = match terms.len() {
            0 => None,
            _ => Some(Box::new(BooleanQuery::new(
                terms
                    .iter()
                    .map(|t| (Occur::Should, t.box_clone()))
                    .collect(),
            ))),
        };
        let snippets = match &snippet_query {
            Some(q) => Some(Snippets::create(searcher, &**q, f.body)?),
            None => None,
        };
        let mut hits = Vec::with_capacity(top_docs.len());
        for ((score, address), lacks) in top_docs.into_iter().zip(missing) {
            let document: TantivyDocument = searcher.doc(address)?;
            let mut hit = self.hit(&document, score, snippets.as_ref());
            hit.missing = lacks
                .iter()
                .map(|&i| understood.terms[i].text.clone())
                .collect();
            hits.push(hit);
        }
        Ok(SearchResults {
            total,
            matched_all,
            hits,
            understood: request.explain.then(|| understood.explain(at_least)),
            suggestion: match matched_all < RELAX_BELOW {
                true => request
                    .vocabulary
                    .as_ref()
                    .and_then(|v| v.suggest(&request.text, &mut analyzer)),
                false => None,
            },
            related: Vec::new(),
            facets_exact,
            facets: facets::by_field(&FACET_FIELDS, facet_fruit, FACET_SIZE)
                .into_iter()
                .map(|(field, values)| {
                    let counts = values
                        .into_iter()
                        .map(|(value, count)| FacetCount {
                            value,
                            count: match facets_exact {
                                true => count,
                                false => facets::round_estimate(count),
                            },
                        })
                        .collect();
                    (field, counts)
                })
                .collect(),
        })
    }

    /// A Latin word found nowhere (`!present[i]`) may be a typo: its term also matches the
    /// indexed words an edit or two away (`search::typos`).
    /// Whether any term changed.
    fn correct_typos(
        &self,
        searcher: &tantivy::Searcher,
        understood: &Understood,
        vocabulary: Option<&QueryVocabulary>,
        terms: &mut [Box<dyn Query>],
        present: &mut [bool],
        visible: &dyn Fn(&dyn Query) -> tantivy::Result<bool>,
    ) -> Result<bool, SearchError> {
        let f = &self.fields;
        let mut analyzer = self.analyzer.clone();
        let mut corrected = false;
        let mut looked_up = 0;
        for (i, term) in understood.terms.iter().enumerate() {
            let Some(typed) = term.alternatives.first().filter(|a| a.text == term.text) else {
                continue;
            };
            let single = typed.groups.len() == 1 && typed.groups[0].len() == 1;
            let letters = typed.text.chars().filter(char::is_ascii_alphabetic).count();
            if present[i] || term.phrase || !single || letters != typed.text.chars().count() {
                continue;
            }
            // A few words per query: each look-up reads a slice of the dictionary.
            if looked_up == MAX_CORRECTED_WORDS {
                break;
            }
            looked_up += 1;
            // The library's own word a typo away, read as a query of its own so that its
            // synonyms come too (`negotation` → negotiation → 商务谈判 …), weighted as a typo.
            let mut lenient = term.clone();
            if let Some(word) = vocabulary.and_then(|v| v.suggest(&typed.text, &mut analyzer)) {
                let fixed = understand(&word, vocabulary, &mut analyzer);
                for alternative in fixed.terms.into_iter().flat_map(|t| t.alternatives) {
                    lenient.alternatives.push(Alternative {
                        weight: alternative.weight * TYPO_WEIGHT,
                        ..alternative
                    });
                }
            }
            // And indexed words a typo away. The edits allowed follow the shorter of the word
            // and its stem: `negotation` stems to `negot`, where two edits would reach `next`.
            let token = &typed.groups[0][0].1;
            let edits = allowed_edits(letters.min(token.chars().count()));
            let mut fixes = Vec::new();
            for (candidate, distance) in corrections(searcher, &[f.title, f.body], token, edits)? {
                let query = TermQuery::new(
                    Term::from_field_text(f.body, &candidate),
                    IndexRecordOption::Basic,
                );
                let in_title = TermQuery::new(
                    Term::from_field_text(f.title, &candidate),
                    IndexRecordOption::Basic,
                );
                // Only words a reader can see count: hidden items must not steer the answer.
                if visible(&query)? || visible(&in_title)? {
                    fixes.push((candidate, distance));
                }
                if fixes.len() == MAX_CORRECTIONS {
                    break;
                }
            }
            if !fixes.is_empty() || lenient.alternatives.len() > term.alternatives.len() {
                terms[i] = term_query(&lenient, f, &fixes);
                present[i] = visible(&*terms[i])?;
                corrected = true;
            }
        }
        Ok(corrected)
    }

    /// One pass: the count, the requested page and the facet counts of `query`.
    fn run(
        &self,
        searcher: &tantivy::Searcher,
        query: &dyn Query,
        request: &SearchRequest,
    ) -> Result<Page, SearchError> {
        let facet_collector = FacetCollector {
            cache: &self.facet_values,
            bound: match request.counting {
                Counting::Bounded => Some(self.count_bound.load(Ordering::Relaxed)),
                Counting::Exact => None,
            },
            all_docs: searcher.num_docs(),
        };
        let top = TopDocs::with_limit(request.limit.max(1)).and_offset(request.offset);
        let running = Running::start(&self.searching);
        let executor = if running.alone {
            &self.parallel
        } else {
            &tantivy::Executor::SingleThread
        };
        let (total, top_docs, facets) = searcher.search_with_executor(
            query,
            &(Count, top, facet_collector),
            executor,
            tantivy::query::EnableScoring::enabled_from_searcher(searcher),
        )?;
        Ok(Page {
            total,
            top_docs,
            facets,
        })
    }

    /// The language items of which rank first: the query's, when its synonyms reach items in
    /// the other language (an English question finds English items first, then Chinese ones).
    fn preferred_language(&self, understood: &Understood, text: &str) -> Option<Box<dyn Query>> {
        let crosses = understood.terms.iter().any(|t| {
            t.alternatives
                .iter()
                .skip(1)
                .any(|a| a.text.chars().any(is_han) != text.chars().any(is_han))
        });
        if !crosses {
            return None;
        }
        let lang = if text.chars().any(is_han) { "zh" } else { "en" };
        Some(Box::new(TermQuery::new(
            Term::from_field_text(self.fields.lang, lang),
            IndexRecordOption::Basic,
        )))
    }
}

/// Most words of one query looked up for typos.
const MAX_CORRECTED_WORDS: usize = 3;

/// Most corrections of one word: more would let a short stem reach common words.
const MAX_CORRECTIONS: usize = 2;

/// A search pass's error as tantivy's, inside the relaxing loop.
fn tantivy_error(error: SearchError) -> tantivy::TantivyError {
    match error {
        SearchError::Tantivy(e) => e,
        other => tantivy::TantivyError::InternalError(other.to_string()),
    }
}

/// What one search pass found.
struct Page {
    total: usize,
    top_docs: Vec<(f32, DocAddress)>,
    facets: facets::FacetFruit,
}

/// Counts a search as running for as long as it lives.
struct Running<'a> {
    count: &'a std::sync::atomic::AtomicUsize,
    /// No other search was running when this one started.
    alone: bool,
}

impl<'a> Running<'a> {
    fn start(count: &'a std::sync::atomic::AtomicUsize) -> Running<'a> {
        let before = count.fetch_add(1, Ordering::SeqCst);
        Running {
            count,
            alone: before == 0,
        }
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::SeqCst);
    }
}

impl SearchIndex {
    /// `query` restricted to what `visibility` allows.
    fn visible_only(&self, query: Box<dyn Query>, visibility: &Visibility) -> Box<dyn Query> {
        let f = &self.fields;
        let term = |field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, value),
                IndexRecordOption::Basic,
            ))
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, query)];
        if !visibility.all_statuses {
            // Unpublished items are few: leaving them out costs a look-up in their short list
            // per match, where requiring "published" walked the postings of nearly every
            // document on every search.
            let unpublished = Status::ALL
                .into_iter()
                .filter(|status| *status != Status::Published)
                .map(|status| (Occur::Should, term(f.status, status.as_str())))
                .collect();
            let mut hidden: Vec<(Occur, Box<dyn Query>)> =
                vec![(Occur::Must, Box::new(BooleanQuery::new(unpublished)))];
            if let Some(owner) = &visibility.owner {
                hidden.push((Occur::MustNot, term(f.owner, owner)));
            }
            clauses.push((Occur::MustNot, Box::new(BooleanQuery::new(hidden))));
        }
        if !visibility.hidden_accounts.is_empty() {
            let accounts = visibility
                .hidden_accounts
                .iter()
                .map(|a| Term::from_field_text(f.account, a));
            let mut hidden: Vec<(Occur, Box<dyn Query>)> =
                vec![(Occur::Must, Box::new(TermSetQuery::new(accounts)))];
            if let Some(owner) = &visibility.owner {
                hidden.push((Occur::MustNot, term(f.owner, owner)));
            }
            clauses.push((Occur::MustNot, Box::new(BooleanQuery::new(hidden))));
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// The keyword filters that are set, as `(field, accepted values)`.
    fn filter_terms(&self, filters: &Filters) -> Vec<(tantivy::schema::Field, Vec<String>)> {
        let f = &self.fields;
        [
            (f.kind, &filters.kind),
            (f.tiers, &filters.tier),
            (f.scenarios, &filters.scenario),
            (f.tags, &filters.tag),
            (f.lang, &filters.lang),
            (f.account, &filters.account),
        ]
        .into_iter()
        .filter_map(|(field, value)| value.as_ref().map(|v| (field, vec![v.clone()])))
        .collect()
    }

    fn hit(&self, document: &TantivyDocument, score: f32, snippets: Option<&Snippets>) -> Hit {
        let f = &self.fields;
        let text = |field| first_text(document, field);
        let body = text(f.body);
        let snippet = snippets
            .and_then(|s| s.html(&body))
            .unwrap_or_else(|| escape_html(&leading_chars(&body, SNIPPET_CHARS)));
        let id = text(f.id);
        Hit {
            url: format!("/content/{id}"),
            id,
            kind: text(f.kind),
            title: text(f.title),
            snippet,
            tiers: all_texts(document, f.own_tiers),
            scenarios: all_texts(document, f.scenarios),
            tags: all_texts(document, f.tags),
            lang: text(f.lang),
            missing: Vec::new(),
            score,
        }
    }
}

fn open_checked(dir: &Path, expected: &Schema) -> Result<Index, String> {
    let index = Index::open_in_dir(dir).map_err(|e| format!("unreadable ({e})"))?;
    let payload = read_payload(&index);
    match payload {
        Some(p) if p.schema_version == SCHEMA_VERSION => {}
        Some(p) => {
            return Err(format!(
                "schema version {} (this build uses {SCHEMA_VERSION})",
                p.schema_version
            ))
        }
        None => return Err("no commit payload (unfinished or foreign index)".into()),
    }
    if &index.schema() != expected {
        return Err("schema differs from this build".into());
    }
    Ok(index)
}

fn read_payload(index: &Index) -> Option<CommitPayload> {
    let metas = index.load_metas().ok()?;
    serde_json::from_str(metas.payload.as_deref()?).ok()
}

fn first_text(document: &TantivyDocument, field: tantivy::schema::Field) -> String {
    document
        .get_first(field)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned()
}

fn all_texts(document: &TantivyDocument, field: tantivy::schema::Field) -> Vec<String> {
    document
        .get_all(field)
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::content::parse_content;
    use crate::domain::taxonomy::Taxonomy;

    fn item(id: &str, kind: &str, body: &str) -> ContentItem {
        let outcome = if kind == "case" { "outcome: won\n" } else { "" };
        let text = format!("---\nid: {id}\nkind: {kind}\ntitle: 标题 {id}\n{outcome}---\n{body}\n");
        parse_content("test", &format!("{id}.md"), &text, &Taxonomy::default())
            .expect("test content parses")
    }

    fn request(q: &str) -> SearchRequest {
        SearchRequest::plain(q)
    }

    fn search(index: &SearchIndex, q: &str) -> SearchResults {
        index.search(&request(q)).expect("search runs")
    }

    #[test]
    fn a_match_deep_in_a_long_body_is_highlighted_in_either_script() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (index, _) = SearchIndex::open(dir.path()).expect("index opens");
        let filler = "客户拜访前要准备资料，了解对方的组织结构和决策链。".repeat(60);
        index
            .apply(
                &[
                    item(
                        "simplified",
                        "playbook",
                        &format!("{filler}\n本季度的鲲鹏计划进展顺利。"),
                    ),
                    item(
                        "traditional",
                        "playbook",
                        &format!("{filler}\n本季度的鯤鵬計劃進展順利。"),
                    ),
                ],
                &[],
                1,
                &[],
            )
            .expect("indexed");
        let results = search(&index, "鲲鹏计划");
        assert_eq!(results.total, 2);
        for hit in &results.hits {
            assert!(
                hit.snippet.contains("<mark>鲲鹏") || hit.snippet.contains("<mark>鯤鵬"),
                "{}: {}",
                hit.id,
                hit.snippet
            );
        }
    }

    #[test]
    fn facet_counts_add_up_across_segments() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (index, _) = SearchIndex::open(dir.path()).expect("index opens");
        index
            .apply(
                &[item("a", "playbook", "回款"), item("b", "case", "回款")],
                &[],
                1,
                &[],
            )
            .expect("first commit");
        index
            .apply(
                &[item("c", "playbook", "回款"), item("d", "course", "拜访")],
                &[],
                2,
                &[],
            )
            .expect("second commit");
        let kinds = |q: &str| -> Vec<(String, u64)> {
            search(&index, q).facets[schema::KIND]
                .iter()
                .map(|f| (f.value.clone(), f.count))
                .collect()
        };
        assert_eq!(kinds("回款"), [("playbook".into(), 2), ("case".into(), 1)]);
        assert_eq!(
            kinds(""),
            [
                ("playbook".into(), 2),
                ("case".into(), 1),
                ("course".into(), 1)
            ]
        );
        // A replaced item counts once, under its new kind.
        index
            .apply(&[item("a", "case", "回款")], &[], 3, &[])
            .expect("third commit");
        assert_eq!(kinds("回款"), [("case".into(), 2), ("playbook".into(), 1)]);
    }

    #[test]
    fn beyond_the_bound_facets_are_estimated_and_say_so_and_count_exact_counts_them_all() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (index, _) = SearchIndex::open(dir.path()).expect("index opens");
        // The index spreads the documents over its writer threads' segments in no fixed order,
        // so each segment's counted share is a sample: 400 of them keep a quarter's estimate
        // within 30 % (3.5 standard deviations). With 100, one run in three was off by 20 %.
        index.configure(SearchSettings {
            count_bound: 400,
            cache_entries: 0,
        });
        let items: Vec<ContentItem> = (0..4000)
            .map(|i| {
                let kind = if i % 4 == 0 { "case" } else { "playbook" };
                let body = if i < 50 { "回款 拜访" } else { "回款" };
                item(&format!("i{i:04}"), kind, body)
            })
            .collect();
        index.apply(&items, &[], 1, &[]).expect("commit");
        let counting = |q: &str, counting: Counting| {
            index
                .search(&SearchRequest {
                    counting,
                    ..request(q)
                })
                .expect("search runs")
        };
        let kinds = |results: &SearchResults| -> Vec<(String, u64)> {
            results.facets[schema::KIND]
                .iter()
                .map(|f| (f.value.clone(), f.count))
                .collect()
        };
        let broad = counting("回款", Counting::Bounded);
        assert_eq!(broad.total, 4000, "the total is always exact");
        assert!(!broad.facets_exact);
        let estimated = kinds(&broad);
        assert_eq!(estimated.len(), 2);
        for ((kind, count), (_, truth)) in
            estimated.iter().zip([("playbook", 3000), ("case", 1000)])
        {
            let error = (*count as f64 - truth as f64).abs() / truth as f64;
            assert!(error < 0.3, "{kind}: estimated {count}, truly {truth}");
        }
        let exact = counting("回款", Counting::Exact);
        assert!(exact.facets_exact);
        assert_eq!(exact.total, 4000);
        assert_eq!(
            kinds(&exact),
            [("playbook".into(), 3000), ("case".into(), 1000)]
        );
        assert_eq!(exact.hits, broad.hits, "the same page either way");
        // Under the bound, counts are exact without asking.
        let narrow = counting("拜访", Counting::Bounded);
        assert!(narrow.facets_exact);
        assert_eq!(narrow.total, 50);
    }

    #[test]
    fn a_kept_answer_is_never_given_after_the_index_changed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (index, _) = SearchIndex::open(dir.path()).expect("index opens");
        index
            .apply(&[item("a", "playbook", "回款")], &[], 1, &[])
            .expect("first commit");
        assert_eq!(search(&index, "回款").total, 1);
        assert_eq!(search(&index, "回款").total, 1, "asked again: kept");
        assert_eq!(index.results.len(), 1);
        index
            .apply(&[item("b", "case", "回款")], &[], 2, &[])
            .expect("second commit");
        let after = search(&index, "回款");
        assert_eq!(after.total, 2);
        assert_eq!(after.facets[schema::KIND].len(), 2);
        index.apply(&[], &["a".into()], 3, &[]).expect("delete");
        assert_eq!(search(&index, "回款").total, 1);
    }
}
