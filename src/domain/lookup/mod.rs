//! Finding a customer by part of its name, in Chinese or in pinyin, over a million accounts.
//!
//! This module owns the in-memory [`NameIndex`]: how names, aliases and ids are normalised, the
//! match qualities and their ranking, and the index structures that make a lookup fast. It does
//! no I/O; the caller builds the index from the account store and swaps it in after an import.
//!
//! # What matches
//! A query is normalised like the names (full-width → half-width, Traditional → Simplified,
//! Latin lower-cased, spaces and punctuation dropped), so `Zhong Guo`, `ＺＧＹＤ` and `中國移動`
//! work. Qualities, best first ([`MatchQuality`]):
//! 1. `exact` — the whole name or id; 2. `name_prefix` — the start of the name or id;
//! 3. `alias_exact`, 4. `alias_prefix`; 5. `substring` — anywhere in the name or an alias
//!    (ids match exactly or by prefix only: nobody types the middle of an account number);
//! 6. `pinyin_prefix` — the start of the name's or an alias's toneless pinyin, syllables run
//!    together, the last one possibly unfinished (`zhongguo`, `zhongguoyid`, `jiangsuyidong`);
//! 7. `initials_prefix` — the first letters of the leading characters (`zgyd`);
//! 8. `pinyin_substring` — pinyin or initials starting at a later character (`yidong`, `yd`).
//!
//! Ties are broken by the caller's order key (higher first), then by id; the server passes the
//! name order, so that the order of hits never reveals an account's figures. At most 10 hits are returned.
//! `ü` is typed as `v` (`lv` → 绿), as on Chinese keyboards. A single Latin letter or digit is
//! only matched at the start of a name (a substring of one letter would match almost everything).
//!
//! Polyphonic characters: every character is indexed under the `pinyin` crate's default
//! reading. 110 common polyphonic characters of company and place names ([`POLYPHONIC`]:
//! 行 重 长 乐 厦 藏 会 单 莞 …) are also indexed under up to two further readings from the
//! crate's heteronym table (3 at most, in the crate's order), so `chongqing` finds 重庆,
//! `yinhang` finds 银行 and `dongguan` finds 东莞 although the crate's defaults are `zhong`,
//! `xing` and `guan`. The heteronyms of all other characters are left out on purpose: the table
//! also lists rare and archaic readings (有 `wei`, 限 `wen`, 司 `ci`) that made almost every
//! "有限公司" match unrelated pinyin, cost memory (12% more postings) and turned rare queries
//! into scans of most accounts (`youwu` took 57 ms at 100,000 accounts).
//! Not supported: a query mixing full pinyin and initials (`zhongguoyd`), double-letter initials
//! (`zhgyd`), characters outside the Basic Multilingual Plane (no reading), and initials longer
//! than [`MAX_INITIALS`] letters.
//!
//! # How it is fast
//! Accounts are numbered by ranking order (order key descending, then id), so every posting list,
//! kept in that order, yields candidates best-first. Each match quality has a *family* that
//! produces candidates and verifies them exactly:
//! - name/alias/id prefixes and exact matches: one array of all fields sorted by normalised
//!   text; a query is a binary-searched range (exact matches sort first in it), from which the
//!   ten best accounts are picked with one comparison per field;
//! - substrings: character unigram (non-ASCII) and bigram posting lists, intersected by
//!   leapfrogging from the rarest list;
//! - pinyin: the query is parsed into syllables (every reading, bounded: `xian` is `xian` or
//!   `xi`+`an`), and each parse becomes an intersection of posting lists keyed by syllable ids —
//!   anchored at the first character (first syllable; first two syllables; first two syllables
//!   and the next initial) and narrowed by the syllable pairs of the rest (adjacent syllables
//!   from the second character on); at later characters a single syllable or adjacent syllable
//!   pairs; for initials, 2–4 leading initials and adjacent initial pairs.
//!
//! Families are run best quality first; each stops as soon as no further candidate can enter
//! the top 10 (its best possible quality, paired with the candidate's rank, is worse than the
//! current 10th hit). So a common query stops after a few candidates, and a rare one only
//! touches short lists.
//!
//! # Building and updates
//! The index is immutable: accounts are re-imported in bulk, so the caller rebuilds it with
//! [`NameIndex::build`] and swaps the new one in (e.g. behind an `Arc`); there is no
//! insert/remove. The build reads each half of the accounts on its own thread (the target
//! machine has two cores) in two passes: the first records the fields and counts how many
//! accounts enter each list, which numbers the lists; the second computes the keys again and
//! packs each half's part of every list, block by block ([`build::joined_postings`],
//! [`postings`]: delta-coded, bit-packed blocks of 128 account numbers, each found by its last
//! number). Keys of small domains (characters, syllables, syllable pairs, initial pairs) have
//! list numbers fixed by the key itself; only character bigrams and longer anchors go through a
//! hash map, joined between the passes. Holding every account's keys between passes, and the
//! plain postings, made the build's peak three times the plain postings' size; each list now
//! holds only the block it is filling.
//!
//! Measured on the shared 2-core machine with the benchmark suite's 1,000,000 generated
//! accounts (88M postings, 3.5M fields): build 4.1–4.8 s wall on two threads; 221 heap bytes
//! per account (the packed postings 86 MB, 353 MB as plain `u32`s; the normalised texts 63 MB;
//! the texts as imported only where they differ, 8 MB); lookup p50 6–8 µs over fifteen
//! everyday queries (5 µs with plain lists), the slowest query 0.4–0.6 ms.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use pinyin::ToPinyinMulti;
use serde::Serialize;

use crate::domain::account::Text;

mod build;
mod candidates;
mod hits;
mod normalise;
mod postings;
mod syllables;

pub use build::NameRow;
use build::*;
use candidates::*;
use hits::*;
pub use normalise::*;
use postings::*;
use syllables::*;

/// The most hits a lookup returns.
pub const MAX_HITS: usize = 10;
/// Queries are cut to this many characters after normalisation.
const MAX_QUERY_CHARS: usize = 64;
/// Readings indexed per polyphonic character (the default one and up to two more).
const MAX_READINGS: usize = 3;
/// Characters whose other readings are indexed: common polyphonic characters of company and
/// place names. For every other character only the default reading is used, because the
/// crate's heteronym table also lists rare and archaic readings (有 `wei`, 限 `wen`, 司 `ci`)
/// that would make nearly every "有限公司" match unrelated pinyin.
const POLYPHONIC: &str = "行重长乐都厦藏单会朝调传区曾解查盛石省地强系还降参差将便薄度奇仇莞蚌六番尉员\
                          阿柏术万翟朴盖缪沈露泊角校卡觉数弹属称率血乘贾繁泌的得着了看给更干分种只空\
                          量少舍压要载应相处为与兴冲供好号划几假间禁卷落模难期曲任散色什体吐鲜转";
/// Parses of a pinyin query that are looked up (`xian` is `xian` or `xi`+`an`, …).
const MAX_PARSES: usize = 64;
/// Pieces of a parse that the lookup keys use (see [`PinyinTable::parses`]).
const PARSE_DEPTH: usize = 4;
/// Posting lists intersected for one candidate stream; the rarest are taken.
const MAX_INTERSECTED: usize = 4;
/// Longest query tried as initials: people type the initials of a few characters, and a
/// long run of letters is full pinyin.
const MAX_INITIALS: usize = 10;
/// Letters in the longest pinyin syllable (`zhuang`).
const MAX_SYLLABLE: usize = 6;
/// Anchored key combinations per field when characters have several readings.
const MAX_ANCHOR_COMBINATIONS: usize = 16;

/// How a query matched, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatchQuality {
    /// The whole name or id.
    Exact,
    /// The start of the name or id.
    NamePrefix,
    /// A whole alias.
    AliasExact,
    /// The start of an alias.
    AliasPrefix,
    /// Anywhere in the name or an alias.
    Substring,
    /// The start of the full pinyin of the name or an alias.
    PinyinPrefix,
    /// The initials of the leading characters of the name or an alias.
    InitialsPrefix,
    /// Pinyin or initials starting at a later character.
    PinyinSubstring,
}

/// Which text of the account matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedField {
    Name,
    Id,
    Alias,
}

/// One account found by a lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LookupHit {
    /// The account id.
    pub id: String,
    pub quality: MatchQuality,
    pub field: MatchedField,
    /// The text that matched, as imported: the name, the alias or the id.
    pub matched: String,
}

/// Sizes of the index, for the memory report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IndexStats {
    pub accounts: usize,
    pub fields: usize,
    pub posting_lists: usize,
    pub postings: usize,
    /// Heap bytes held by the index (capacity of its vectors and maps, estimated for maps).
    pub heap_bytes: usize,
}

const KIND_NAME: u8 = 0;
const KIND_ID: u8 = 1;
const KIND_ALIAS: u8 = 2;

/// An immutable index of account names, aliases and ids.
pub struct NameIndex {
    /// Per account (in ranking order): index of its first field; one extra entry at the end.
    doc_fields: Vec<u32>,
    /// Per field: `KIND_*`.
    field_kind: Vec<u8>,
    /// Per field: start of its normalised text in `text`; one extra entry at the end.
    field_text: Vec<u32>,
    text: String,
    /// Per field: start of its text as imported in `display`; one extra entry at the end. An
    /// empty range means the text as imported is the normalised one.
    field_display: Vec<u32>,
    display: String,
    /// Field ids sorted by normalised text (then account rank).
    by_text: Vec<u32>,
    /// Parallel to `by_text`: `doc << 2 | kind`, scanned sequentially for a prefix range.
    by_text_doc: Vec<u32>,
    /// Posting lists in two shards, built in parallel: keys of the direct table, then hashed
    /// keys (see [`KeyTable`]).
    shards: [Postings; 2],
}

/// The shard holding `key`'s list: 0 for direct-table keys, 1 for hashed keys.
fn shard_of(key: u64) -> usize {
    usize::from(direct_slot(key).is_none())
}

impl NameIndex {
    /// Builds the index from every account (anything that has an id, a name and aliases,
    /// usually `&Account`) with its order key. Higher keys rank first among hits of the same
    /// quality.
    pub fn build<R: NameRow>(accounts: impl IntoIterator<Item = (R, i64)>) -> NameIndex {
        let accounts: Vec<(R, i64)> = accounts.into_iter().collect();
        let parallel = accounts.len() >= PARALLEL_BUILD_FROM;
        NameIndex::build_from(accounts, parallel)
    }

    fn build_from<R: NameRow>(mut ranked: Vec<(R, i64)>, parallel: bool) -> NameIndex {
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.id().cmp(b.0.id())));
        // Only the rows are kept for the build: with `&Account` 8 bytes per account.
        let accounts: Vec<R> = ranked.into_iter().map(|(row, _)| row).collect();
        // Each half of the accounts is indexed on its own thread (the target machine has two
        // cores), then the halves are joined. A panic in the worker is a bug in this module,
        // not an input problem, and is passed on.
        let split = if parallel {
            accounts.len() / 2
        } else {
            accounts.len()
        };
        let (first_run, second_run) = accounts.split_at(split);
        let (first, second) = std::thread::scope(|scope| {
            let worker = parallel.then(|| scope.spawn(|| Part::build(second_run)));
            let first = Part::build(first_run);
            let second = match worker {
                Some(worker) => worker
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
                None => Part::build(second_run),
            };
            (first, second)
        });
        let offset = first.field_counts.len() as u32;
        let mut index = NameIndex {
            doc_fields: Vec::with_capacity(accounts.len() + 1),
            field_kind: Vec::new(),
            field_text: Vec::new(),
            text: String::new(),
            field_display: Vec::new(),
            display: String::new(),
            by_text: Vec::new(),
            by_text_doc: Vec::new(),
            shards: Default::default(),
        };
        let first_counts = index.append_fields(first);
        let second_counts = index.append_fields(second);
        index.doc_fields.push(index.field_kind.len() as u32);
        index.field_text.push(index.text.len() as u32);
        index.field_display.push(index.display.len() as u32);
        // The arrays grew as the accounts were read; large blocks shrink in place.
        index.field_kind.shrink_to_fit();
        index.text.shrink_to_fit();
        index.field_text.shrink_to_fit();
        index.display.shrink_to_fit();
        index.field_display.shrink_to_fit();
        index.sort_fields_by_text();
        index.shards = joined_postings(
            [first_run, second_run],
            [first_counts, second_counts],
            offset,
            parallel,
        );
        index
    }

    /// Appends the fields of an indexed run of accounts, which come right after those already
    /// added, and passes on its counts. The first run's arrays are taken over as they are, so
    /// the fields are never held twice over.
    fn append_fields(&mut self, part: Part) -> Counts {
        let mut field = self.field_kind.len() as u32;
        for &field_count in &part.field_counts {
            self.doc_fields.push(field);
            field += u32::from(field_count);
        }
        if self.field_kind.is_empty() {
            self.field_kind = part.kinds;
            self.text = part.text;
            self.field_text = part.text_starts;
            self.display = part.display;
            self.field_display = part.display_starts;
        } else {
            let text_base = self.text.len() as u32;
            let display_base = self.display.len() as u32;
            self.field_kind.extend_from_slice(&part.kinds);
            self.text.push_str(&part.text);
            self.field_text
                .extend(part.text_starts.iter().map(|&s| text_base + s));
            self.display.push_str(&part.display);
            self.field_display
                .extend(part.display_starts.iter().map(|&s| display_base + s));
        }
        part.counts
    }

    /// Number of accounts indexed.
    pub fn len(&self) -> usize {
        self.doc_fields.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn stats(&self) -> IndexStats {
        let heap_bytes = self.doc_fields.capacity() * 4
            + self.field_kind.capacity()
            + self.field_text.capacity() * 4
            + self.text.capacity()
            + self.field_display.capacity() * 4
            + self.display.capacity()
            + self.by_text.capacity() * 4
            + self.by_text_doc.capacity() * 4
            + self.shards.iter().map(Postings::heap_bytes).sum::<usize>();
        IndexStats {
            accounts: self.len(),
            fields: self.field_kind.len(),
            posting_lists: self.shards.iter().map(Postings::lists).sum(),
            postings: self.shards.iter().map(Postings::postings).sum(),
            heap_bytes,
        }
    }

    /// The best `limit` (at most [`MAX_HITS`]) accounts for `query`, best first. An empty or
    /// unmatched query gives no hits.
    pub fn search(&self, query: &str, limit: usize) -> Vec<LookupHit> {
        let limit = limit.min(MAX_HITS);
        let mut q = String::new();
        normalise_into(query, &mut q);
        if let Some((cut, _)) = q.char_indices().nth(MAX_QUERY_CHARS) {
            q.truncate(cut);
        }
        if limit == 0 || q.is_empty() || self.is_empty() {
            return Vec::new();
        }
        let mut top = TopHits::new(limit);
        self.search_text_prefix(&q, &mut top);
        self.search_substring(&q, &mut top);
        if q.bytes().all(|b| b.is_ascii_alphanumeric()) {
            self.search_pinyin(q.as_bytes(), &mut top);
        }
        top.hits
            .iter()
            .map(|&(quality, doc, field)| {
                // Every account has its name as first field and its id as second.
                let id_field = self.doc_fields[doc as usize] + 1;
                LookupHit {
                    id: self.field_original(id_field).to_owned(),
                    quality,
                    field: match self.field_kind[field as usize] {
                        KIND_NAME => MatchedField::Name,
                        KIND_ID => MatchedField::Id,
                        _ => MatchedField::Alias,
                    },
                    matched: self.field_original(field).to_owned(),
                }
            })
            .collect()
    }

    // --------------------------------------------------------------------------------------
    // Field access
    // --------------------------------------------------------------------------------------

    fn field_normalised(&self, field: u32) -> &str {
        let f = field as usize;
        &self.text[self.field_text[f] as usize..self.field_text[f + 1] as usize]
    }

    /// The field's text as imported (trimmed): kept in `display` only where it differs from
    /// the normalised text, as ids and Latin names do; most Chinese names do not.
    fn field_original(&self, field: u32) -> &str {
        let f = field as usize;
        let (start, end) = (self.field_display[f], self.field_display[f + 1]);
        if start == end {
            self.field_normalised(field)
        } else {
            &self.display[start as usize..end as usize]
        }
    }

    fn fields_of(&self, doc: u32) -> std::ops::Range<u32> {
        self.doc_fields[doc as usize]..self.doc_fields[doc as usize + 1]
    }

    fn sort_fields_by_text(&mut self) {
        // Sorting millions of strings directly is slow; a 12-byte prefix (four Chinese
        // characters) decides most comparisons, the full text (then the account rank) the rest.
        // An entry takes 16 bytes; a 16-byte prefix as a `u128` made it 32 with its alignment,
        // 112 MB for 1M accounts at the build's peak.
        let field_count = self.field_kind.len();
        let mut doc_of_field = vec![0u32; field_count];
        for doc in 0..self.len() as u32 {
            for f in self.fields_of(doc) {
                doc_of_field[f as usize] = doc;
            }
        }
        let mut order: Vec<([u8; 12], u32)> = (0..field_count as u32)
            .map(|f| {
                let bytes = self.field_normalised(f).as_bytes();
                let mut prefix = [0u8; 12];
                let n = bytes.len().min(12);
                prefix[..n].copy_from_slice(&bytes[..n]);
                (prefix, f)
            })
            .collect();
        order.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0).then_with(|| {
                self.field_normalised(a.1)
                    .cmp(self.field_normalised(b.1))
                    .then_with(|| doc_of_field[a.1 as usize].cmp(&doc_of_field[b.1 as usize]))
            })
        });
        self.by_text = order.iter().map(|&(_, f)| f).collect();
        self.by_text_doc = self
            .by_text
            .iter()
            .map(|&f| doc_of_field[f as usize] << 2 | u32::from(self.field_kind[f as usize]))
            .collect();
    }

    fn list(&self, key: u64) -> List<'_> {
        self.shards[shard_of(key)].list(key)
    }

    // --------------------------------------------------------------------------------------
    // Families
    // --------------------------------------------------------------------------------------

    /// Exact and prefix matches of names, ids and aliases: a range of the sorted fields.
    fn search_text_prefix(&self, q: &str, top: &mut TopHits) {
        let text = |i: usize| self.field_normalised(self.by_text[i]);
        let q_bytes = q.as_bytes();
        let start = partition(self.by_text.len(), |i| text(i).as_bytes() < q_bytes);
        let end = partition(self.by_text.len(), |i| {
            let t = text(i).as_bytes();
            t < q_bytes || t.starts_with(q_bytes)
        });
        let exact_end = start + partition(end - start, |i| text(start + i).len() == q.len());
        for i in start..exact_end {
            let packed = self.by_text_doc[i];
            let (doc, kind) = (packed >> 2, (packed & 3) as u8);
            let quality = if kind == KIND_ALIAS {
                MatchQuality::AliasExact
            } else {
                MatchQuality::Exact
            };
            top.offer(quality, doc, self.by_text[i]);
        }
        // A one-letter query can select a million fields: keep the best few per quality with
        // one comparison per field, then offer only those.
        let mut names = SmallestDocs::new(top.limit);
        let mut aliases = SmallestDocs::new(top.limit);
        for (i, &packed) in self.by_text_doc[exact_end..end].iter().enumerate() {
            let doc = packed >> 2;
            let best = if (packed & 3) as u8 == KIND_ALIAS {
                &mut aliases
            } else {
                &mut names
            };
            if doc < best.bound {
                best.insert(doc, (exact_end + i) as u32);
            }
        }
        for (quality, best) in [
            (MatchQuality::NamePrefix, names),
            (MatchQuality::AliasPrefix, aliases),
        ] {
            for (doc, position) in best.docs {
                top.offer(quality, doc, self.by_text[position as usize]);
            }
        }
    }

    /// Substrings of names and aliases, from character unigram/bigram lists.
    fn search_substring(&self, q: &str, top: &mut TopHits) {
        let chars: Vec<char> = q.chars().collect();
        let mut keys: Vec<u64> = Vec::new();
        match chars.as_slice() {
            [] => return,
            [c] if c.is_ascii() => return,
            [c] => keys.push(unigram_key(*c)),
            _ => keys.extend(chars.windows(2).map(|w| bigram_key(w[0], w[1]))),
        }
        let stream = self.intersection(&keys);
        self.run_family(stream, MatchQuality::Substring, top, |doc| {
            self.fields_of(doc).find(|&f| {
                self.field_kind[f as usize] != KIND_ID && self.field_normalised(f).contains(q)
            })
        });
    }

    /// Pinyin and initials, at the start of a name or alias and at later characters.
    fn search_pinyin(&self, q: &[u8], top: &mut TopHits) {
        let table = pinyin_table();
        let parses = table.parses(q);
        let mut units: Vec<&'static [u16]> = Vec::new();
        let mut verify = |doc: u32, mode: Mode, anchored: bool| -> Option<u32> {
            self.fields_of(doc).find(|&f| {
                if self.field_kind[f as usize] == KIND_ID {
                    return false;
                }
                units.clear();
                let chars = self.field_normalised(f).chars();
                if anchored {
                    // Every character consumes at least one letter of the query.
                    units.extend(chars.take(q.len()).map(|c| table.readings(c)));
                } else {
                    units.extend(chars.map(|c| table.readings(c)));
                }
                let starts = if anchored { 0..1 } else { 1..units.len() };
                starts.into_iter().any(|start| match mode {
                    Mode::Full => full_match(&units[start..], q, table),
                    Mode::Initials => initials_match(&units[start..], q, table),
                })
            })
        };

        // Full pinyin from the first character: a key on the first two or three characters,
        // narrowed by the syllable pairs of the rest of the parse (from the second character).
        let mut single: Vec<u64> = Vec::new();
        let mut group_sets: Vec<Vec<Vec<u64>>> = Vec::new();
        for parse in &parses {
            let anchor = match parse.as_slice() {
                [Piece::Partial(range)] => {
                    single.extend(
                        table
                            .sorted_range(range.clone())
                            .iter()
                            .map(|&s| anchor1_key(s)),
                    );
                    continue;
                }
                [Piece::Full(s1), Piece::Partial(range)] => {
                    for &s2 in table.sorted_range(range.clone()) {
                        single.push(anchor3_key(*s1, s2));
                    }
                    continue;
                }
                [Piece::Full(s1), Piece::Full(s2), third, ..] => {
                    anchor4_key(*s1, *s2, third.initial(table))
                }
                _ => continue,
            };
            let mut groups = vec![vec![anchor]];
            groups.extend(syllable_pair_groups(&parse[1..], table));
            group_sets.push(groups);
        }
        self.run_keys(single, group_sets, MatchQuality::PinyinPrefix, top, |doc| {
            verify(doc, Mode::Full, true)
        });

        let as_initials = (2..=MAX_INITIALS).contains(&q.len());
        if as_initials {
            // Initials of the leading characters.
            let key = initials_anchor_key(&q[..q.len().min(4)]);
            self.run_family(self.stream(key), MatchQuality::InitialsPrefix, top, |doc| {
                verify(doc, Mode::Initials, true)
            });
        }

        if q.len() >= 2 {
            // Full pinyin from a later character: one syllable, or every pair of adjacent
            // syllables of the parse (an unfinished last syllable: any it may become).
            let mut single: Vec<u64> = Vec::new();
            let mut group_sets: Vec<Vec<Vec<u64>>> = Vec::new();
            for parse in &parses {
                if let [Piece::Partial(range)] = parse.as_slice() {
                    single.extend(
                        table
                            .sorted_range(range.clone())
                            .iter()
                            .map(|&s| syllable_key(s)),
                    );
                    continue;
                }
                let groups = syllable_pair_groups(parse, table);
                group_sets.push(groups);
            }
            self.run_keys(
                single,
                group_sets,
                MatchQuality::PinyinSubstring,
                top,
                |doc| verify(doc, Mode::Full, false),
            );
        }

        if as_initials {
            // Initials from a later character.
            let keys: Vec<u64> = q.windows(2).map(|w| pair_key(w[0], w[1])).collect();
            let stream = self.intersection(&keys);
            self.run_family(stream, MatchQuality::PinyinSubstring, top, |doc| {
                verify(doc, Mode::Initials, false)
            });
        }
    }

    /// Walks a candidate stream in rank order, verifying each candidate, until no further
    /// candidate could enter the hits.
    /// Runs one family over the union of single keys and of intersections of key groups (each
    /// group a union), de-duplicated first.
    fn run_keys(
        &self,
        mut single: Vec<u64>,
        mut group_sets: Vec<Vec<Vec<u64>>>,
        quality: MatchQuality,
        top: &mut TopHits,
        verify: impl FnMut(u32) -> Option<u32>,
    ) {
        single.sort_unstable();
        single.dedup();
        group_sets.sort();
        group_sets.dedup();
        let streams = single
            .iter()
            .map(|&k| self.stream(k))
            .chain(
                group_sets
                    .iter()
                    .map(|groups| self.intersection_of_unions(groups)),
            )
            .collect();
        self.run_family(Stream::union(streams), quality, top, verify);
    }

    fn run_family(
        &self,
        mut stream: Stream<'_>,
        quality: MatchQuality,
        top: &mut TopHits,
        mut verify: impl FnMut(u32) -> Option<u32>,
    ) {
        let mut target = 0;
        while let Some(doc) = stream.seek(target) {
            if !top.would_take(quality, doc) {
                break;
            }
            if let Some(field) = verify(doc) {
                top.offer(quality, doc, field);
            }
            target = doc + 1;
        }
    }

    /// Candidates that hold, for every group, at least one of its keys; driven by the rarest
    /// groups.
    fn intersection_of_unions(&self, groups: &[Vec<u64>]) -> Stream<'_> {
        let mut parts: Vec<(usize, Stream<'_>)> = groups
            .iter()
            .map(|group| {
                let lists: Vec<List<'_>> = group.iter().map(|&k| self.list(k)).collect();
                let size = lists.iter().map(List::len).sum();
                (
                    size,
                    Stream::union(lists.into_iter().map(List::stream).collect()),
                )
            })
            .collect();
        parts.sort_by_key(|(size, _)| *size);
        if parts.first().is_none_or(|(size, _)| *size == 0) {
            return Stream::Empty;
        }
        parts.truncate(MAX_INTERSECTED);
        if parts.len() == 1 {
            return parts.pop().map_or(Stream::Empty, |(_, s)| s);
        }
        Stream::And(parts.into_iter().map(|(_, s)| s).collect())
    }

    fn stream(&self, key: u64) -> Stream<'_> {
        self.list(key).stream()
    }

    /// Candidates holding every key, driven by the rarest lists. A key without a list means
    /// no candidate at all.
    fn intersection(&self, keys: &[u64]) -> Stream<'_> {
        let mut lists: Vec<(usize, List<'_>)> = keys
            .iter()
            .map(|&k| self.list(k))
            .map(|l| (l.len(), l))
            .collect();
        lists.sort_by_key(|(len, _)| *len);
        lists.dedup_by(|(_, a), (_, b)| a.same(b));
        if lists.first().is_none_or(|(len, _)| *len == 0) {
            return Stream::Empty;
        }
        lists.truncate(MAX_INTERSECTED);
        if lists.len() == 1 {
            return lists[0].1.stream();
        }
        Stream::And(lists.into_iter().map(|(_, l)| l.stream()).collect())
    }
}

#[derive(Clone, Copy)]
enum Mode {
    Full,
    Initials,
}

/// For each pair of adjacent pieces of a parse starting with a whole syllable, the syllable-pair
/// keys it may match (an unfinished second syllable: every syllable it may become); sorted and
/// deduplicated.
fn syllable_pair_groups(pieces: &[Piece], table: &PinyinTable) -> Vec<Vec<u64>> {
    let mut groups: Vec<Vec<u64>> = Vec::new();
    for pair in pieces.windows(2) {
        let Piece::Full(a) = &pair[0] else {
            continue;
        };
        let group = match &pair[1] {
            Piece::Full(b) => vec![syllable_pair_key(*a, *b)],
            Piece::Partial(range) => table
                .sorted_range(range.clone())
                .iter()
                .map(|&b| syllable_pair_key(*a, b))
                .collect(),
        };
        groups.push(group);
    }
    groups.sort();
    groups.dedup();
    groups
}

/// Binary search: the number of leading positions of `0..len` for which `pred` holds
/// (`pred` must be true then false).
fn partition(len: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, len);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// True if `q` is the pinyin of `units[0..]` run together, the last syllable possibly cut short.
fn full_match(units: &[&[u16]], q: &[u8], table: &PinyinTable) -> bool {
    let Some((first, rest)) = units.split_first() else {
        return false;
    };
    first.iter().any(|&s| {
        let reading = table.syllable(s).as_bytes();
        if q.len() <= reading.len() {
            reading.starts_with(q)
        } else {
            q.starts_with(reading) && full_match(rest, &q[reading.len()..], table)
        }
    })
}

/// True if `q` are the initials of `units[0..q.len()]`.
fn initials_match(units: &[&[u16]], q: &[u8], table: &PinyinTable) -> bool {
    units.len() >= q.len()
        && q.iter().zip(units).all(|(&letter, readings)| {
            readings
                .iter()
                .any(|&s| table.syllable(s).as_bytes().first() == Some(&letter))
        })
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fuzz_tests;
