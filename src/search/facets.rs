//! Facet counts over all matches of a search: for each keyword field, how many matching items
//! carry each value.
//!
//! A tantivy [`Collector`] over a per-segment copy of the fields' values: for each document, its
//! values as term ordinals in a flat array (offsets + ordinals), built once per segment from the
//! fast columns and kept in a [`FacetCache`] while the segment lives. Counting is then a tight
//! loop over plain arrays; ordinals become strings once per segment, for values that occurred.
//! tantivy's generic terms aggregation (JSON requests, per-bucket maps, JSON results), and even
//! reading the fast columns per document, were the largest part of a search with many hits
//! (`cargo bench --bench suite`).
//!
//! # Counting up to a bound
//! A broad query matches most of the library, and counting the facets of every match was the
//! largest cost left once the engine had scored them. With a bound (`FacetCollector::bound`),
//! each segment counts the facets of its first matches only — its share of the bound, by
//! size, and at least [`MIN_SEGMENT_SAMPLE`] — and scales them by its exact number of matches
//! (which every search knows: scoring visits every match). The counts are then estimates, and
//! the fruit says so ([`FacetFruit::exact`]); below the bound they are exact.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::index::SegmentId;
use tantivy::{DocId, Score, Searcher, SegmentOrdinal, SegmentReader};

/// One field's values in one segment.
struct FieldValues {
    /// Document `d`'s values are `ords[starts[d]..starts[d + 1]]`.
    starts: Vec<u32>,
    ords: Vec<u32>,
    /// The value of each ordinal.
    names: Vec<String>,
}

/// The facet fields' values of one segment.
struct SegmentValues {
    fields: Vec<FieldValues>,
}

impl SegmentValues {
    fn read(fields: &[&'static str], reader: &SegmentReader) -> tantivy::Result<SegmentValues> {
        let max_doc = reader.max_doc();
        let mut out = Vec::with_capacity(fields.len());
        for field in fields {
            let mut values = FieldValues {
                starts: Vec::with_capacity(max_doc as usize + 1),
                ords: Vec::with_capacity(max_doc as usize),
                names: Vec::new(),
            };
            match reader.fast_fields().str(field)? {
                Some(column) => {
                    for doc in 0..max_doc {
                        values.starts.push(values.ords.len() as u32);
                        values
                            .ords
                            .extend(column.term_ords(doc).map(|ord| ord as u32));
                    }
                    for ord in 0..column.num_terms() {
                        let mut name = String::new();
                        column.ord_to_str(ord as u64, &mut name)?;
                        values.names.push(name);
                    }
                }
                None => values.starts.resize(max_doc as usize, 0),
            }
            values.starts.push(values.ords.len() as u32);
            out.push(values);
        }
        Ok(SegmentValues { fields: out })
    }
}

/// The facet fields' values of the live segments, read on first use.
pub struct FacetCache {
    fields: Vec<&'static str>,
    segments: Mutex<HashMap<SegmentId, Arc<SegmentValues>>>,
}

impl FacetCache {
    /// A cache for `fields` (names of `STRING | FAST` fields).
    pub fn new(fields: &[&'static str]) -> FacetCache {
        FacetCache {
            fields: fields.to_vec(),
            segments: Mutex::new(HashMap::new()),
        }
    }

    fn segment(&self, reader: &SegmentReader) -> tantivy::Result<Arc<SegmentValues>> {
        let id = reader.segment_id();
        if let Some(values) = self.lock().get(&id) {
            return Ok(values.clone());
        }
        let values = Arc::new(SegmentValues::read(&self.fields, reader)?);
        self.lock().insert(id, values.clone());
        Ok(values)
    }

    /// Forgets segments `searcher` no longer has (merged away or deleted), after a reload.
    pub fn retain_live(&self, searcher: &Searcher) {
        let live: Vec<SegmentId> = searcher
            .segment_readers()
            .iter()
            .map(SegmentReader::segment_id)
            .collect();
        self.lock().retain(|id, _| live.contains(id));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SegmentId, Arc<SegmentValues>>> {
        // The map holds only derived data: a panic while it was locked left it consistent.
        self.segments
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Fewest matches of a segment whose facets are counted before the counts are scaled.
pub const MIN_SEGMENT_SAMPLE: u32 = 100;

/// Counts per value of each of the cache's fields over the matches.
pub struct FacetCollector<'a> {
    pub cache: &'a FacetCache,
    /// Count the facets of about this many matches, then estimate (`None`: count them all).
    pub bound: Option<u32>,
    /// Live documents of the searcher (`Searcher::num_docs`): a segment's share of the bound
    /// is its size over this.
    pub all_docs: u64,
}

/// Per field, per value, the number of matching documents.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FacetFruit {
    pub fields: Vec<HashMap<String, u64>>,
    /// Every match was counted; otherwise the counts are estimates.
    pub exact: bool,
}

pub struct FacetSegmentCollector {
    values: Arc<SegmentValues>,
    /// Per field, one counter per ordinal.
    counts: Vec<Vec<u32>>,
    /// Matches seen, and how many of the first ones have their facets counted.
    seen: u32,
    sample: u32,
}

impl Collector for FacetCollector<'_> {
    type Fruit = FacetFruit;
    type Child = FacetSegmentCollector;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<FacetSegmentCollector> {
        let values = self.cache.segment(reader)?;
        let counts = values
            .fields
            .iter()
            .map(|field| vec![0; field.names.len()])
            .collect();
        let sample = match self.bound {
            None => u32::MAX,
            Some(bound) => {
                let share = u64::from(bound) * u64::from(reader.max_doc()) / self.all_docs.max(1);
                (share as u32).max(MIN_SEGMENT_SAMPLE)
            }
        };
        Ok(FacetSegmentCollector {
            values,
            counts,
            seen: 0,
            sample,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<FacetFruit>) -> tantivy::Result<FacetFruit> {
        let mut merged = FacetFruit {
            fields: vec![HashMap::new(); self.cache.fields.len()],
            exact: true,
        };
        for segment in segments {
            merged.exact &= segment.exact;
            for (total, counts) in merged.fields.iter_mut().zip(segment.fields) {
                for (value, count) in counts {
                    *total.entry(value).or_insert(0) += count;
                }
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for FacetSegmentCollector {
    type Fruit = FacetFruit;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.seen += 1;
        if self.seen > self.sample {
            return;
        }
        let doc = doc as usize;
        for (field, counts) in self.values.fields.iter().zip(&mut self.counts) {
            let (Some(&from), Some(&to)) = (field.starts.get(doc), field.starts.get(doc + 1))
            else {
                continue;
            };
            for &ord in field
                .ords
                .get(from as usize..to as usize)
                .unwrap_or_default()
            {
                if let Some(count) = counts.get_mut(ord as usize) {
                    *count += 1;
                }
            }
        }
    }

    fn harvest(self) -> FacetFruit {
        let exact = self.seen <= self.sample;
        // The sample's share of the segment's matches: its counts stand for all of them.
        let scale = match exact {
            true => 1.0,
            false => f64::from(self.seen) / f64::from(self.sample),
        };
        let fields = self
            .values
            .fields
            .iter()
            .zip(self.counts)
            .map(|(field, counts)| {
                field
                    .names
                    .iter()
                    .zip(counts)
                    .filter(|(_, count)| *count > 0)
                    .map(|(name, count)| {
                        let count = match exact {
                            true => u64::from(count),
                            false => (f64::from(count) * scale).round() as u64,
                        };
                        (name.clone(), count)
                    })
                    .collect()
            })
            .collect();
        FacetFruit { fields, exact }
    }
}

/// An estimated count as people read one: two significant digits (4,837 → 4,800), never 0.
pub fn round_estimate(count: u64) -> u64 {
    let mut unit = 1;
    while count / unit >= 100 {
        unit *= 10;
    }
    ((count + unit / 2) / unit * unit).max(1)
}

/// The `size` most frequent values, most frequent first (ties by value).
pub fn top_values(counts: HashMap<String, u64>, size: usize) -> Vec<(String, u64)> {
    let mut values: Vec<(String, u64)> = counts.into_iter().collect();
    values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    values.truncate(size);
    values
}

/// Field name → its values, most frequent first.
pub fn by_field(
    fields: &[&'static str],
    fruit: FacetFruit,
    size: usize,
) -> BTreeMap<&'static str, Vec<(String, u64)>> {
    fields
        .iter()
        .copied()
        .zip(fruit.fields)
        .map(|(field, counts)| (field, top_values(counts, size)))
        .collect()
}
