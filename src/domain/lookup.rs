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
//! insert/remove. The build indexes each half of the accounts on its own thread (the target
//! machine has two cores) and joins them. Keys of small domains (characters, syllables,
//! syllable pairs, initial pairs) have list numbers fixed by the key itself, so the halves share
//! no state; only character bigrams and longer anchors go through a hash map.
//!
//! Measured on the shared 2-core machine with 1,000,000 generated accounts (`lookup-bench`,
//! release, load average ≈ 6 from other work, so the two build threads mostly shared one core):
//! build 6.5 s CPU and 10.2 s wall; 446 heap bytes per account (66 postings of 4 bytes make 277
//! of them); lookup p50 4.8 µs and p99 0.14 ms (best of three runs, which filters preemption;
//! single runs p50 18 µs, p99 0.21 ms), the slowest query 1.8 ms.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use pinyin::ToPinyinMulti;
use serde::Serialize;

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
    /// Per field: start of its text as imported in `display`; one extra entry at the end.
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

/// One shard of posting lists.
#[derive(Default)]
struct Postings {
    /// Key → list number, for keys outside the direct table (whose slot is the list number).
    hashed: HashMap<u64, u32, BuildHasherDefault<KeyHasher>>,
    /// List number → start in `postings`; one extra entry at the end.
    list_start: Vec<u32>,
    postings: Vec<u32>,
}

impl Postings {
    fn list(&self, key: u64) -> &[u32] {
        let number = match direct_slot(key) {
            Some(slot) => slot,
            None => match self.hashed.get(&key) {
                Some(&n) => n as usize,
                None => return &[],
            },
        };
        match (self.list_start.get(number), self.list_start.get(number + 1)) {
            (Some(&start), Some(&end)) => self
                .postings
                .get(start as usize..end as usize)
                .unwrap_or(&[]),
            _ => &[],
        }
    }

    fn heap_bytes(&self) -> usize {
        // A hashbrown table holds key, value and one control byte per bucket.
        self.hashed.capacity() * (8 + 4 + 1)
            + self.list_start.capacity() * 4
            + self.postings.capacity() * 4
    }
}

/// The shard holding `key`'s list: 0 for direct-table keys, 1 for hashed keys.
fn shard_of(key: u64) -> usize {
    usize::from(direct_slot(key).is_none())
}

impl NameIndex {
    /// Builds the index from `(id, name, aliases, order key)` of every account. Higher keys rank
    /// first among hits of the same quality.
    pub fn build<'a, I>(accounts: I) -> NameIndex
    where
        I: IntoIterator<Item = (&'a str, &'a str, &'a [String], i64)>,
    {
        let accounts: Vec<(&str, &str, &[String], i64)> = accounts.into_iter().collect();
        let parallel = accounts.len() >= PARALLEL_BUILD_FROM;
        NameIndex::build_from(accounts, parallel)
    }

    fn build_from(mut accounts: Vec<(&str, &str, &[String], i64)>, parallel: bool) -> NameIndex {
        accounts.sort_by(|a, b| b.3.cmp(&a.3).then_with(|| a.0.cmp(b.0)));
        // Each half of the accounts is indexed on its own thread (the target machine has two
        // cores), then the halves are joined. A panic in the worker is a bug in this module,
        // not an input problem, and is passed on.
        let split = if parallel {
            accounts.len() / 2
        } else {
            accounts.len()
        };
        let (first, second) = accounts.split_at(split);
        let (first, second) = std::thread::scope(|scope| {
            let worker = parallel.then(|| scope.spawn(|| Part::build(second)));
            let first = Part::build(first);
            let second = match worker {
                Some(worker) => worker
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
                None => Part::build(second),
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
        index.append_fields(&first);
        index.append_fields(&second);
        index.doc_fields.push(index.field_kind.len() as u32);
        index.field_text.push(index.text.len() as u32);
        index.field_display.push(index.display.len() as u32);
        let shards = std::thread::scope(|scope| {
            let worker = scope.spawn(|| merge_postings(first.hashed, second.hashed, offset));
            let direct = merge_postings(first.direct, second.direct, offset);
            index.sort_fields_by_text();
            let hashed = worker
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            [direct, hashed]
        });
        index.shards = shards;
        index
    }

    /// Appends the fields of an indexed run of accounts, which come right after those already
    /// added.
    fn append_fields(&mut self, part: &Part) {
        let text_base = self.text.len() as u32;
        let display_base = self.display.len() as u32;
        self.text.push_str(&part.text);
        self.display.push_str(&part.display);
        let mut field = 0usize;
        for &field_count in &part.field_counts {
            self.doc_fields.push(self.field_kind.len() as u32);
            for _ in 0..field_count {
                self.field_kind.push(part.kinds[field]);
                self.field_text.push(text_base + part.text_starts[field]);
                self.field_display
                    .push(display_base + part.display_starts[field]);
                field += 1;
            }
        }
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
            posting_lists: self
                .shards
                .iter()
                .map(|s| s.list_start.len().saturating_sub(1))
                .sum(),
            postings: self.shards.iter().map(|s| s.postings.len()).sum(),
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

    fn field_original(&self, field: u32) -> &str {
        let f = field as usize;
        &self.display[self.field_display[f] as usize..self.field_display[f + 1] as usize]
    }

    fn fields_of(&self, doc: u32) -> std::ops::Range<u32> {
        self.doc_fields[doc as usize]..self.doc_fields[doc as usize + 1]
    }

    fn sort_fields_by_text(&mut self) {
        // Sorting millions of strings directly is slow; a 16-byte big-endian prefix decides
        // most comparisons, the full text (then the account rank) the rest.
        let field_count = self.field_kind.len();
        let mut doc_of_field = vec![0u32; field_count];
        for doc in 0..self.len() as u32 {
            for f in self.fields_of(doc) {
                doc_of_field[f as usize] = doc;
            }
        }
        let mut order: Vec<(u128, u32)> = (0..field_count as u32)
            .map(|f| {
                let bytes = self.field_normalised(f).as_bytes();
                let mut prefix = [0u8; 16];
                let n = bytes.len().min(16);
                prefix[..n].copy_from_slice(&bytes[..n]);
                (u128::from_be_bytes(prefix), f)
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

    fn list(&self, key: u64) -> &[u32] {
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
        self.run_family(
            Stream::union(streams),
            MatchQuality::PinyinPrefix,
            top,
            |doc| verify(doc, Mode::Full, true),
        );

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
            self.run_family(
                Stream::union(streams),
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
                let lists: Vec<&[u32]> = group.iter().map(|&k| self.list(k)).collect();
                let size = lists.iter().map(|l| l.len()).sum();
                (
                    size,
                    Stream::union(lists.into_iter().map(Stream::list).collect()),
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
        Stream::list(self.list(key))
    }

    /// Candidates holding every key, driven by the rarest lists. A key without a list means
    /// no candidate at all.
    fn intersection(&self, keys: &[u64]) -> Stream<'_> {
        let mut lists: Vec<&[u32]> = keys.iter().map(|&k| self.list(k)).collect();
        lists.sort_by_key(|l| l.len());
        lists.dedup_by(|a, b| std::ptr::eq(a.as_ptr(), b.as_ptr()) && a.len() == b.len());
        if lists.first().is_none_or(|l| l.is_empty()) {
            return Stream::Empty;
        }
        lists.truncate(MAX_INTERSECTED);
        if lists.len() == 1 {
            return Stream::list(lists[0]);
        }
        Stream::And(lists.into_iter().map(Stream::list).collect())
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

// ------------------------------------------------------------------------------------------
// The best hits so far
// ------------------------------------------------------------------------------------------

/// The best hits so far, sorted by (quality, rank); at most one per account.
struct TopHits {
    limit: usize,
    hits: Vec<(MatchQuality, u32, u32)>,
}

impl TopHits {
    fn new(limit: usize) -> TopHits {
        TopHits {
            limit,
            hits: Vec::with_capacity(limit + 1),
        }
    }

    /// Could a hit of `quality` for `doc` enter? Candidates come in rank order within a
    /// family, so once this is false it stays false for the rest of the family.
    fn would_take(&self, quality: MatchQuality, doc: u32) -> bool {
        self.hits.len() < self.limit
            || self
                .hits
                .last()
                .is_some_and(|&(q, d, _)| (quality, doc) < (q, d))
    }

    fn offer(&mut self, quality: MatchQuality, doc: u32, field: u32) {
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
struct SmallestDocs {
    k: usize,
    docs: Vec<(u32, u32)>,
    /// Accounts at or above this cannot enter.
    bound: u32,
}

impl SmallestDocs {
    fn new(k: usize) -> SmallestDocs {
        SmallestDocs {
            k,
            docs: Vec::with_capacity(k + 1),
            bound: u32::MAX,
        }
    }

    fn insert(&mut self, doc: u32, position: u32) {
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

// ------------------------------------------------------------------------------------------
// Candidate streams
// ------------------------------------------------------------------------------------------

/// Account numbers in increasing (rank) order. `seek(t)` gives the first one ≥ `t`; targets
/// only grow.
enum Stream<'a> {
    Empty,
    List { docs: &'a [u32], pos: usize },
    Or(Vec<Stream<'a>>),
    And(Vec<Stream<'a>>),
}

impl<'a> Stream<'a> {
    fn list(docs: &'a [u32]) -> Stream<'a> {
        if docs.is_empty() {
            Stream::Empty
        } else {
            Stream::List { docs, pos: 0 }
        }
    }

    fn union(mut streams: Vec<Stream<'a>>) -> Stream<'a> {
        streams.retain(|s| !matches!(s, Stream::Empty));
        match streams.len() {
            0 => Stream::Empty,
            1 => streams.pop().unwrap_or(Stream::Empty),
            _ => Stream::Or(streams),
        }
    }

    fn seek(&mut self, target: u32) -> Option<u32> {
        match self {
            Stream::Empty => None,
            Stream::List { docs, pos } => {
                let rest = &docs[*pos..];
                if rest.first().is_some_and(|&d| d >= target) {
                    return rest.first().copied();
                }
                // Gallop, then binary search within the last step.
                let mut step = 1;
                while step < rest.len() && rest[step] < target {
                    step *= 2;
                }
                let low = step / 2;
                let high = step.min(rest.len());
                *pos += low + rest[low..high].partition_point(|&d| d < target);
                docs.get(*pos).copied()
            }
            Stream::Or(streams) => streams.iter_mut().filter_map(|s| s.seek(target)).min(),
            Stream::And(streams) => {
                let mut candidate = target;
                'outer: loop {
                    for stream in streams.iter_mut() {
                        let doc = stream.seek(candidate)?;
                        if doc != candidate {
                            candidate = doc;
                            continue 'outer;
                        }
                    }
                    return Some(candidate);
                }
            }
        }
    }
}

// ------------------------------------------------------------------------------------------
// Keys and the index builder
// ------------------------------------------------------------------------------------------

const TAG_UNIGRAM: u64 = 1;
const TAG_BIGRAM: u64 = 2;
const TAG_ANCHOR1: u64 = 3;
const TAG_ANCHOR3: u64 = 4;
const TAG_ANCHOR4: u64 = 5;
const TAG_INITIALS_ANCHOR: u64 = 6;
const TAG_SYLLABLE: u64 = 7;
const TAG_PAIR: u64 = 8;
const TAG_SYLLABLE_PAIR: u64 = 9;
/// Stands for "no letter" where a piece has none (cannot happen for parsed syllables).
const END: u8 = 0;

fn key(tag: u64, payload: u64) -> u64 {
    tag << 56 | payload
}
fn unigram_key(c: char) -> u64 {
    key(TAG_UNIGRAM, u64::from(c))
}
fn bigram_key(a: char, b: char) -> u64 {
    key(TAG_BIGRAM, u64::from(a) << 21 | u64::from(b))
}
/// The first character reads `s1`.
fn anchor1_key(s1: u16) -> u64 {
    key(TAG_ANCHOR1, u64::from(s1))
}
/// The first two characters read `s1 s2`.
fn anchor3_key(s1: u16, s2: u16) -> u64 {
    key(TAG_ANCHOR3, u64::from(s1) << 16 | u64::from(s2))
}
/// The first two characters read `s1 s2`, the third starts with `initial`.
fn anchor4_key(s1: u16, s2: u16, initial: u8) -> u64 {
    key(
        TAG_ANCHOR4,
        u64::from(s1) << 24 | u64::from(s2) << 8 | u64::from(initial),
    )
}
/// The first 2–4 characters have these initials.
fn initials_anchor_key(initials: &[u8]) -> u64 {
    let payload = initials
        .iter()
        .fold(0u64, |acc, &b| acc << 8 | u64::from(b));
    key(TAG_INITIALS_ANCHOR, payload)
}
/// A character after the first reads `s`.
fn syllable_key(s: u16) -> u64 {
    key(TAG_SYLLABLE, u64::from(s))
}
/// Two adjacent characters, the first not the first of the text, read `a b`.
fn syllable_pair_key(a: u16, b: u16) -> u64 {
    key(TAG_SYLLABLE_PAIR, u64::from(a) << 16 | u64::from(b))
}
/// Two adjacent characters, the first not the first of the text, start with `a` and `b`.
fn pair_key(a: u8, b: u8) -> u64 {
    key(TAG_PAIR, u64::from(a) << 8 | u64::from(b))
}

/// Unigrams of non-ASCII characters and all bigrams of a normalised text.
fn text_keys(text: &str, keys: &mut Vec<u64>) {
    let mut previous: Option<char> = None;
    for c in text.chars() {
        if !c.is_ascii() {
            keys.push(unigram_key(c));
        }
        if let Some(p) = previous {
            keys.push(bigram_key(p, c));
        }
        previous = Some(c);
    }
}

/// The pinyin keys of one text, given the readings of each of its characters.
fn pinyin_keys(units: &[&[u16]], table: &PinyinTable, keys: &mut Vec<u64>) {
    let initials = |position: usize| table.initials(units.get(position).copied().unwrap_or(&[]));
    let Some(first) = units.first() else {
        return;
    };
    // Anchored at the first character.
    let mut combinations = 0;
    for &s1 in first.iter() {
        keys.push(anchor1_key(s1));
        if let Some(second) = units.get(1) {
            for &s2 in second.iter() {
                keys.push(anchor3_key(s1, s2));
                for &i3 in initials(2).iter() {
                    if combinations < MAX_ANCHOR_COMBINATIONS {
                        keys.push(anchor4_key(s1, s2, i3));
                        combinations += 1;
                    }
                }
            }
        }
    }
    // Leading initials, 2 to 4 of them, as folded key payloads.
    let mut prefixes = [0u64; MAX_ANCHOR_COMBINATIONS];
    let mut prefix_count = 1;
    for position in 0..units.len().min(4) {
        let letters = initials(position);
        if letters.is_empty() {
            break;
        }
        let mut longer = [0u64; MAX_ANCHOR_COMBINATIONS];
        let mut longer_count = 0;
        for &prefix in &prefixes[..prefix_count] {
            for &letter in letters.iter() {
                if longer_count < MAX_ANCHOR_COMBINATIONS {
                    longer[longer_count] = prefix << 8 | u64::from(letter);
                    longer_count += 1;
                }
            }
        }
        prefixes = longer;
        prefix_count = longer_count;
        if position >= 1 {
            keys.extend(
                prefixes[..prefix_count]
                    .iter()
                    .map(|&p| key(TAG_INITIALS_ANCHOR, p)),
            );
        }
    }
    // Later characters.
    for position in 1..units.len() {
        let unit = units[position];
        keys.extend(unit.iter().map(|&s| syllable_key(s)));
        if let Some(next) = units.get(position + 1) {
            for &a in unit.iter() {
                for &b in next.iter() {
                    keys.push(syllable_pair_key(a, b));
                }
            }
            let next_initials = initials(position + 1);
            for &a in initials(position).iter() {
                for &b in next_initials.iter() {
                    keys.push(pair_key(a, b));
                }
            }
        }
    }
}

/// A multiplicative hasher for the index's own well-mixed `u64` keys.
#[derive(Default, Clone, Copy)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        // splitmix64's finaliser: every input bit reaches the high bits the table uses.
        let mut z = (self.0 ^ n).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        self.0 = z ^ (z >> 31);
    }
}

/// Below this many accounts the index is built on one thread.
const PARALLEL_BUILD_FROM: usize = 10_000;

/// Slots of the direct key table: small key domains (characters of the Basic Multilingual
/// Plane, syllables, syllable pairs, initial pairs, the first two syllables) whose list number
/// is fixed by the key itself. Only the remaining keys (character bigrams, longer anchors) go
/// through a hash map. This keeps the build free of shared state, so the two halves of the
/// accounts can be indexed on two threads.
const DIRECT_UNIGRAM: usize = 0;
const DIRECT_SYLLABLE: usize = DIRECT_UNIGRAM + 0x1_0000;
const DIRECT_ANCHOR1: usize = DIRECT_SYLLABLE + 0x400;
const DIRECT_PAIR: usize = DIRECT_ANCHOR1 + 0x400;
const DIRECT_ANCHOR3: usize = DIRECT_PAIR + 0x1_0000;
const DIRECT_SYLLABLE_PAIR: usize = DIRECT_ANCHOR3 + 0x10_0000;
const DIRECT_SLOTS: usize = DIRECT_SYLLABLE_PAIR + 0x10_0000;

/// The direct-table list number of `key`, if its domain is small.
fn direct_slot(key: u64) -> Option<usize> {
    let payload = (key & ((1 << 56) - 1)) as usize;
    let (base, limit, index) = match key >> 56 {
        TAG_UNIGRAM => (DIRECT_UNIGRAM, 0x1_0000, payload),
        TAG_SYLLABLE => (DIRECT_SYLLABLE, 0x400, payload),
        TAG_ANCHOR1 => (DIRECT_ANCHOR1, 0x400, payload),
        TAG_PAIR => (DIRECT_PAIR, 0x1_0000, payload),
        tag @ (TAG_ANCHOR3 | TAG_SYLLABLE_PAIR) => {
            let (a, b) = (payload >> 16, payload & 0xFFFF);
            if a >= 0x400 || b >= 0x400 {
                return None;
            }
            let base = if tag == TAG_ANCHOR3 {
                DIRECT_ANCHOR3
            } else {
                DIRECT_SYLLABLE_PAIR
            };
            (base, 0x10_0000, a << 10 | b)
        }
        _ => return None,
    };
    (index < limit).then_some(base + index)
}

/// Collects the posting lists of one shard while accounts are added in rank order: first the
/// list number of every (account, key), then a counting pass lays the lists out one after the
/// other. This touches memory in order, where a growing vector per key would miss the cache on
/// every push.
struct Builder {
    direct: bool,
    hashed: HashMap<u64, u32, BuildHasherDefault<KeyHasher>>,
    list_count: usize,
    /// List numbers of each account's keys, account after account.
    entries: Vec<u32>,
    /// Per account: end of its entries.
    account_end: Vec<u32>,
}

impl Builder {
    fn new(direct: bool) -> Builder {
        Builder {
            direct,
            hashed: HashMap::default(),
            list_count: if direct { DIRECT_SLOTS } else { 0 },
            entries: Vec::new(),
            account_end: Vec::new(),
        }
    }

    /// Records the next account; `numbers` are its direct-table slots, `keys` its other keys.
    fn add_account(&mut self, slots: &[u32], keys: &[u64]) {
        if self.direct {
            self.entries.extend_from_slice(slots);
        } else {
            for &key in keys {
                let next = self.list_count as u32;
                let number = *self.hashed.entry(key).or_insert(next);
                if number == next {
                    self.list_count += 1;
                }
                self.entries.push(number);
            }
        }
        self.account_end.push(self.entries.len() as u32);
    }

    fn finish(self) -> Postings {
        let mut start = vec![0u32; self.list_count + 1];
        for &number in &self.entries {
            start[number as usize + 1] += 1;
        }
        for i in 0..self.list_count {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut postings = vec![0u32; self.entries.len()];
        let mut begin = 0usize;
        for (doc, &end) in self.account_end.iter().enumerate() {
            for &number in &self.entries[begin..end as usize] {
                let slot = &mut fill[number as usize];
                postings[*slot as usize] = doc as u32;
                *slot += 1;
            }
            begin = end as usize;
        }
        let mut hashed = self.hashed;
        hashed.shrink_to_fit();
        Postings {
            hashed,
            list_start: start,
            postings,
        }
    }
}

/// A run of consecutive accounts indexed on its own: their fields and both posting shards,
/// with account numbers counted from the start of the run.
struct Part {
    /// Fields per account.
    field_counts: Vec<u8>,
    kinds: Vec<u8>,
    text: String,
    text_starts: Vec<u32>,
    display: String,
    display_starts: Vec<u32>,
    direct: Postings,
    hashed: Postings,
}

impl Part {
    fn build(accounts: &[(&str, &str, &[String], i64)]) -> Part {
        // The direct table has millions of slots: an empty run (the second half of an index
        // built on one thread) must not pay for laying it out.
        if accounts.is_empty() {
            return Part::empty();
        }
        let table = pinyin_table();
        let mut field_counts = Vec::with_capacity(accounts.len());
        let mut kinds = Vec::with_capacity(accounts.len() * 3);
        let mut text = String::new();
        let mut text_starts = Vec::with_capacity(accounts.len() * 3);
        let mut display = String::new();
        let mut display_starts = Vec::with_capacity(accounts.len() * 3);
        let (mut direct, mut hashed) = (Builder::new(true), Builder::new(false));
        let mut normalised = String::new();
        let mut units: Vec<&'static [u16]> = Vec::new();
        let mut keys: Vec<u64> = Vec::new();
        let mut slots: Vec<u32> = Vec::new();
        let mut other: Vec<u64> = Vec::new();
        for (id, name, aliases, _value) in accounts {
            keys.clear();
            let mut count = 0u8;
            let fields = [(KIND_NAME, *name), (KIND_ID, *id)]
                .into_iter()
                .chain(aliases.iter().map(|a| (KIND_ALIAS, a.as_str())));
            for (kind, original) in fields {
                normalise_into(original, &mut normalised);
                // Empty aliases are dropped; an account keeps at most 255 fields.
                if (kind == KIND_ALIAS && normalised.is_empty()) || count == u8::MAX {
                    continue;
                }
                count += 1;
                kinds.push(kind);
                text_starts.push(text.len() as u32);
                text.push_str(&normalised);
                display_starts.push(display.len() as u32);
                display.push_str(original.trim());
                if kind != KIND_ID {
                    text_keys(&normalised, &mut keys);
                    units.clear();
                    units.extend(normalised.chars().map(|c| table.readings(c)));
                    pinyin_keys(&units, table, &mut keys);
                }
            }
            field_counts.push(count);
            // Each account enters each list once.
            keys.sort_unstable();
            keys.dedup();
            slots.clear();
            other.clear();
            for &key in &keys {
                match direct_slot(key) {
                    Some(slot) => slots.push(slot as u32),
                    None => other.push(key),
                }
            }
            direct.add_account(&slots, &other);
            hashed.add_account(&slots, &other);
        }
        Part {
            field_counts,
            kinds,
            text,
            text_starts,
            display,
            display_starts,
            direct: direct.finish(),
            hashed: hashed.finish(),
        }
    }
}

impl Part {
    fn empty() -> Part {
        let postings = || Postings {
            hashed: HashMap::default(),
            list_start: vec![0],
            postings: Vec::new(),
        };
        Part {
            field_counts: Vec::new(),
            kinds: Vec::new(),
            text: String::new(),
            text_starts: Vec::new(),
            display: String::new(),
            display_starts: Vec::new(),
            direct: postings(),
            hashed: postings(),
        }
    }
}

/// Joins the shards of two consecutive runs of accounts; `offset` is the number of accounts of
/// the first run. Lists are concatenated, which keeps them in rank order.
fn merge_postings(first: Postings, second: Postings, offset: u32) -> Postings {
    if second.postings.is_empty() {
        return first;
    }
    // List numbers of the joined shard: those of `first`, then the keys only `second` has.
    let first_count = first.list_start.len().saturating_sub(1);
    let second_count = second.list_start.len().saturating_sub(1);
    let Postings {
        mut hashed,
        list_start: first_start,
        postings: first_postings,
    } = first;
    let mut second_to_joined: Vec<u32> = (0..second_count as u32).collect();
    if !second.hashed.is_empty() || !hashed.is_empty() {
        let mut next = first_count as u32;
        for (&key, &number) in &second.hashed {
            let joined = *hashed.entry(key).or_insert(next);
            if joined == next {
                next += 1;
            }
            second_to_joined[number as usize] = joined;
        }
    }
    let joined_count = first_count.max(hashed.len()).max(second_count);
    let mut joined_to_second = vec![u32::MAX; joined_count];
    for (number, &joined) in second_to_joined.iter().enumerate() {
        if let Some(slot) = joined_to_second.get_mut(joined as usize) {
            *slot = number as u32;
        }
    }
    let range = |starts: &[u32], n: usize| -> std::ops::Range<usize> {
        match (starts.get(n), starts.get(n + 1)) {
            (Some(&s), Some(&e)) => s as usize..e as usize,
            _ => 0..0,
        }
    };
    let mut list_start = Vec::with_capacity(joined_count + 1);
    let mut postings = Vec::with_capacity(first_postings.len() + second.postings.len());
    for joined in 0..joined_count {
        list_start.push(postings.len() as u32);
        postings.extend_from_slice(&first_postings[range(&first_start, joined)]);
        if let Some(&number) = joined_to_second.get(joined).filter(|&&n| n != u32::MAX) {
            postings.extend(
                second.postings[range(&second.list_start, number as usize)]
                    .iter()
                    .map(|&doc| doc + offset),
            );
        }
    }
    list_start.push(postings.len() as u32);
    hashed.shrink_to_fit();
    Postings {
        hashed,
        list_start,
        postings,
    }
}

// ------------------------------------------------------------------------------------------
// Normalisation
// ------------------------------------------------------------------------------------------

/// Folds a name or query for matching: Traditional → Simplified, full-width → half-width,
/// Latin lower-cased; only letters and digits (of any script) are kept.
pub fn normalise(text: &str) -> String {
    let mut out = String::new();
    normalise_into(text, &mut out);
    out
}

fn normalise_into(text: &str, out: &mut String) {
    out.clear();
    let needs_t2s = !text.is_ascii();
    let simplified;
    let text = if needs_t2s {
        simplified = fast2s::convert(text);
        simplified.as_str()
    } else {
        text
    };
    for c in text.chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
            // CJK ideographs have no case: skip the Unicode tables.
            out.push(c);
        } else if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        }
    }
}

// ------------------------------------------------------------------------------------------
// Pinyin
// ------------------------------------------------------------------------------------------

/// Toneless readings of every character of the Basic Multilingual Plane, as syllable ids.
struct PinyinTable {
    /// Syllable id → text (ASCII, `ü` written `v`). Letters and digits are their own syllables.
    syllables: Vec<Box<str>>,
    /// Ids of the real pinyin syllables (not the letters and digits standing for themselves),
    /// sorted by text, so syllables with a given prefix form a range. Query parsing uses only
    /// these: letting every letter be a syllable would make the parses of a query explode.
    sorted: Vec<u16>,
    /// Per BMP code point: `start << 8 | count` into `readings`.
    bmp: Vec<u32>,
    readings: Vec<u16>,
}

/// The distinct initial letters of one character (at most one per reading).
#[derive(Debug, Default, Clone, Copy)]
struct Initials {
    letters: [u8; MAX_READINGS],
    len: usize,
}

impl std::ops::Deref for Initials {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.letters[..self.len]
    }
}

/// One piece of a parsed pinyin query.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// A whole syllable.
    Full(u16),
    /// The unfinished last syllable: a range of `sorted` (every syllable with that prefix).
    Partial(std::ops::Range<usize>),
}

impl Piece {
    fn initial(&self, table: &PinyinTable) -> u8 {
        match self {
            Piece::Full(s) => table
                .syllable(*s)
                .as_bytes()
                .first()
                .copied()
                .unwrap_or(END),
            Piece::Partial(range) => table
                .sorted
                .get(range.start)
                .and_then(|&s| table.syllable(s).as_bytes().first().copied())
                .unwrap_or(END),
        }
    }
}

fn pinyin_table() -> &'static PinyinTable {
    static TABLE: OnceLock<PinyinTable> = OnceLock::new();
    TABLE.get_or_init(PinyinTable::new)
}

impl PinyinTable {
    fn new() -> PinyinTable {
        let mut syllables: Vec<Box<str>> = Vec::new();
        let mut is_pinyin: Vec<bool> = Vec::new();
        let mut ids: HashMap<String, u16> = HashMap::new();
        let mut intern = |text: &str, pinyin: bool| -> u16 {
            let id = match ids.get(text) {
                Some(&id) => id,
                None => {
                    let id = syllables.len() as u16;
                    syllables.push(text.into());
                    is_pinyin.push(false);
                    ids.insert(text.to_owned(), id);
                    id
                }
            };
            is_pinyin[id as usize] |= pinyin;
            id
        };
        let mut bmp = vec![0u32; 0x10000];
        let mut readings: Vec<u16> = Vec::new();
        for code in 0u32..0x10000 {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            let start = readings.len() as u32;
            if c.is_ascii_digit() || c.is_ascii_lowercase() {
                readings.push(intern(c.encode_utf8(&mut [0; 4]), false));
            } else if let Some(multi) = c.to_pinyin_multi() {
                let wanted = if POLYPHONIC.contains(c) {
                    MAX_READINGS
                } else {
                    1
                };
                let mut own: Vec<String> = Vec::new();
                for reading in multi {
                    let plain = reading.plain().replace('ü', "v");
                    if plain.bytes().all(|b| b.is_ascii_lowercase()) && !own.contains(&plain) {
                        own.push(plain);
                    }
                    if own.len() == wanted {
                        break;
                    }
                }
                readings.extend(own.iter().map(|r| intern(r, true)));
            }
            let count = readings.len() as u32 - start;
            bmp[code as usize] = start << 8 | count;
        }
        let mut sorted: Vec<u16> = (0..syllables.len() as u16)
            .filter(|&s| is_pinyin[s as usize])
            .collect();
        sorted.sort_by(|&a, &b| syllables[a as usize].cmp(&syllables[b as usize]));
        PinyinTable {
            syllables,
            sorted,
            bmp,
            readings,
        }
    }

    /// The distinct first letters of a character's readings.
    fn initials(&self, readings: &[u16]) -> Initials {
        let mut out = Initials::default();
        for &s in readings {
            if let Some(&letter) = self.syllable(s).as_bytes().first() {
                if !out.letters[..out.len].contains(&letter) && out.len < MAX_READINGS {
                    out.letters[out.len] = letter;
                    out.len += 1;
                }
            }
        }
        out
    }

    fn syllable(&self, id: u16) -> &str {
        self.syllables.get(id as usize).map_or("", |s| s)
    }

    /// Readings of a (normalised) character; empty for characters without pinyin.
    fn readings(&self, c: char) -> &[u16] {
        let Some(&packed) = self.bmp.get(c as usize) else {
            return &[];
        };
        let start = (packed >> 8) as usize;
        let count = (packed & 0xFF) as usize;
        self.readings.get(start..start + count).unwrap_or(&[])
    }

    fn sorted_range(&self, range: std::ops::Range<usize>) -> &[u16] {
        self.sorted.get(range).unwrap_or(&[])
    }

    /// The range of `sorted` holding the syllables that start with `prefix`.
    fn with_prefix(&self, prefix: &[u8]) -> std::ops::Range<usize> {
        let text = |i: usize| self.syllable(self.sorted[i]).as_bytes();
        let start = partition(self.sorted.len(), |i| text(i) < prefix);
        let end = partition(self.sorted.len(), |i| {
            text(i) < prefix || text(i).starts_with(prefix)
        });
        start..end
    }

    fn exact(&self, text: &[u8]) -> Option<u16> {
        let range = self.with_prefix(text);
        self.sorted_range(range)
            .first()
            .copied()
            .filter(|&s| self.syllable(s).as_bytes() == text)
    }

    /// The ways (up to [`MAX_PARSES`]) to read `q` as whole syllables followed by one possibly
    /// unfinished syllable. Only the first [`PARSE_DEPTH`] pieces are spelled out (the lookup
    /// keys use no more); a parse of that length ends in a whole syllable and stands for every
    /// reading of the rest, which is known to exist. Longer syllables are tried first, so the
    /// natural reading is among the parses even when the limit cuts the list.
    fn parses(&self, q: &[u8]) -> Vec<Vec<Piece>> {
        // `parsable[i]`: `q[i..]` can be read. Computed first so that the search below never
        // walks into a dead end (which could take exponential time on `anananan…x`).
        let mut parsable = vec![false; q.len() + 1];
        for start in (0..q.len()).rev() {
            let rest = &q[start..];
            parsable[start] = !self.with_prefix(rest).is_empty()
                || (1..rest.len().min(MAX_SYLLABLE + 1)).any(|length| {
                    parsable[start + length] && self.exact(&rest[..length]).is_some()
                });
        }
        let mut out = Vec::new();
        if parsable.first().copied().unwrap_or(false) {
            self.parse_from(q, 0, &parsable, &mut Vec::new(), &mut out);
        }
        out
    }

    fn parse_from(
        &self,
        q: &[u8],
        start: usize,
        parsable: &[bool],
        current: &mut Vec<Piece>,
        out: &mut Vec<Vec<Piece>>,
    ) {
        let rest = &q[start..];
        if out.len() >= MAX_PARSES || rest.is_empty() {
            return;
        }
        if current.len() == PARSE_DEPTH {
            out.push(current.clone());
            return;
        }
        let range = self.with_prefix(rest);
        if !range.is_empty() {
            let mut parse = current.clone();
            parse.push(Piece::Partial(range));
            out.push(parse);
        }
        for length in (1..rest.len().min(MAX_SYLLABLE + 1)).rev() {
            if !parsable[start + length] {
                continue;
            }
            if let Some(s) = self.exact(&rest[..length]) {
                current.push(Piece::Full(s));
                self.parse_from(q, start + length, parsable, current, out);
                current.pop();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixture {
        accounts: Vec<(String, String, Vec<String>, i64)>,
    }

    impl Fixture {
        fn new(rows: &[(&str, &str, &[&str], i64)]) -> Fixture {
            Fixture {
                accounts: rows
                    .iter()
                    .map(|(id, name, aliases, value)| {
                        (
                            (*id).to_owned(),
                            (*name).to_owned(),
                            aliases.iter().map(|a| (*a).to_owned()).collect(),
                            *value,
                        )
                    })
                    .collect(),
            }
        }

        fn index(&self) -> NameIndex {
            NameIndex::build(self.accounts.iter().map(|(id, name, aliases, value)| {
                (id.as_str(), name.as_str(), aliases.as_slice(), *value)
            }))
        }
    }

    fn sample() -> NameIndex {
        Fixture::new(&[
            ("C001", "中国移动通信集团江苏有限公司", &["江苏移动"], 900),
            ("C002", "中国联合网络通信集团有限公司", &["中国联通"], 800),
            ("C003", "中国银行股份有限公司", &[], 950),
            ("C004", "重庆钢铁股份有限公司", &[], 300),
            ("C005", "江苏苏宁易购集团", &["苏宁"], 400),
            ("C006", "中广核电力有限公司", &[], 100),
            (
                "C007",
                "北京字节跳动科技有限公司",
                &["字节跳动", "ByteDance"],
                700,
            ),
            ("C008", "绿地控股集团", &[], 50),
            ("C009", "招商银行股份有限公司", &[], 600),
            ("C010", "东莞农村商业银行", &[], 10),
        ])
        .index()
    }

    fn hits(index: &NameIndex, q: &str) -> Vec<(String, MatchQuality)> {
        index
            .search(q, 10)
            .into_iter()
            .map(|h| (h.id, h.quality))
            .collect()
    }

    fn first(index: &NameIndex, q: &str) -> Option<(String, MatchQuality, String)> {
        index
            .search(q, 10)
            .into_iter()
            .next()
            .map(|h| (h.id, h.quality, h.matched))
    }

    #[test]
    fn pinyin_initials_and_full_pinyin_find_china_mobile_jiangsu() {
        let index = sample();
        let table: [(&str, MatchQuality); 7] = [
            ("zgyd", MatchQuality::InitialsPrefix),
            ("ZGYD", MatchQuality::InitialsPrefix),
            ("zhongguoyidong", MatchQuality::PinyinPrefix),
            ("zhong guo yi dong", MatchQuality::PinyinPrefix),
            ("zhongguoyid", MatchQuality::PinyinPrefix),
            ("yidongtongxin", MatchQuality::PinyinSubstring),
            ("ydtx", MatchQuality::PinyinSubstring),
        ];
        for (q, quality) in table {
            assert!(
                hits(&index, q).contains(&("C001".to_owned(), quality)),
                "{q}: {:?}",
                hits(&index, q)
            );
        }
    }

    #[test]
    fn zhongguo_finds_every_name_starting_with_zhongguo_by_value() {
        let index = sample();
        let found = hits(&index, "zhongguo");
        assert_eq!(
            found,
            [
                ("C003".to_owned(), MatchQuality::PinyinPrefix),
                ("C001".to_owned(), MatchQuality::PinyinPrefix),
                ("C002".to_owned(), MatchQuality::PinyinPrefix),
            ]
        );
    }

    #[test]
    fn an_alias_is_found_by_its_pinyin_and_initials() {
        let index = sample();
        for (q, quality) in [
            ("jiangsuyidong", MatchQuality::PinyinPrefix),
            ("jsyd", MatchQuality::InitialsPrefix),
        ] {
            let hit = index.search(q, 10);
            assert_eq!(hit[0].id, "C001", "{q}");
            assert_eq!(hit[0].quality, quality, "{q}");
            assert_eq!(hit[0].field, MatchedField::Alias, "{q}");
            assert_eq!(hit[0].matched, "江苏移动", "{q}");
        }
    }

    #[test]
    fn part_of_a_chinese_name_is_found_as_a_substring() {
        let index = sample();
        assert_eq!(
            first(&index, "移动"),
            Some((
                "C001".to_owned(),
                MatchQuality::Substring,
                "中国移动通信集团江苏有限公司".to_owned()
            ))
        );
        assert_eq!(
            first(&index, "江苏移动").map(|h| (h.0, h.1)),
            Some(("C001".to_owned(), MatchQuality::AliasExact))
        );
        let found = hits(&index, "银");
        assert_eq!(
            found,
            [
                ("C003".to_owned(), MatchQuality::Substring),
                ("C009".to_owned(), MatchQuality::Substring),
                ("C010".to_owned(), MatchQuality::Substring)
            ]
        );
    }

    #[test]
    fn an_account_id_is_found_exactly_or_by_its_start() {
        let index = sample();
        assert_eq!(
            first(&index, "c004"),
            Some(("C004".to_owned(), MatchQuality::Exact, "C004".to_owned()))
        );
        let found = hits(&index, "C00");
        assert_eq!(found.len(), 9, "C001 to C009, not C010");
        assert!(found.iter().all(|(_, q)| *q == MatchQuality::NamePrefix));
        assert_eq!(found[0].0, "C003", "highest value first");
    }

    #[test]
    fn hits_are_ranked_by_match_quality_then_by_account_value() {
        let index = Fixture::new(&[
            ("A1", "苏州银行", &[], 10),
            ("A2", "江苏银行", &[], 500),
            ("A3", "苏宁", &["苏州"], 1000),
            ("A4", "苏州", &[], 1),
            ("A5", "苏州工业园区", &[], 100),
        ])
        .index();
        assert_eq!(
            hits(&index, "苏州"),
            [
                ("A4".to_owned(), MatchQuality::Exact),
                ("A5".to_owned(), MatchQuality::NamePrefix),
                ("A1".to_owned(), MatchQuality::NamePrefix),
                ("A3".to_owned(), MatchQuality::AliasExact),
            ]
        );
        assert_eq!(
            hits(&index, "suzhou"),
            [
                ("A3".to_owned(), MatchQuality::PinyinPrefix),
                ("A5".to_owned(), MatchQuality::PinyinPrefix),
                ("A1".to_owned(), MatchQuality::PinyinPrefix),
                ("A4".to_owned(), MatchQuality::PinyinPrefix),
            ]
        );
        assert_eq!(
            hits(&index, "yinhang"),
            [
                ("A2".to_owned(), MatchQuality::PinyinSubstring),
                ("A1".to_owned(), MatchQuality::PinyinSubstring),
            ]
        );
    }

    #[test]
    fn equal_quality_and_value_fall_back_to_the_id() {
        let index = Fixture::new(&[("B", "华为技术", &[], 5), ("A", "华为终端", &[], 5)]).index();
        let ids: Vec<String> = hits(&index, "华为").into_iter().map(|h| h.0).collect();
        assert_eq!(ids, ["A", "B"]);
    }

    #[test]
    fn a_lookup_never_returns_more_than_ten_hits() {
        let names: Vec<(String, String, Vec<String>, i64)> = (0..50)
            .map(|i| {
                (
                    format!("X{i:03}"),
                    format!("中国测试{i}公司"),
                    Vec::new(),
                    i,
                )
            })
            .collect();
        let index = NameIndex::build(
            names
                .iter()
                .map(|(id, n, a, v)| (id.as_str(), n.as_str(), a.as_slice(), *v)),
        );
        for q in ["中国", "zgcs", "zhongguo", "x0", "公司"] {
            let found = index.search(q, 100);
            assert_eq!(found.len(), 10, "{q}");
            assert_eq!(found[0].id, "X049", "{q}: best value first");
        }
        assert_eq!(index.search("中国", 3).len(), 3);
    }

    #[test]
    fn empty_blank_or_garbage_queries_find_nothing() {
        let index = sample();
        for q in [
            "",
            "   ",
            "!!!",
            "qxzvk",
            "㊣",
            "zzzzzzzzzzzzzzzzzzzzzzzzz",
            "中国移动通信集团江苏有限公司分公司",
        ] {
            assert_eq!(hits(&index, q), [], "{q:?}");
        }
        assert!(NameIndex::build(std::iter::empty())
            .search("中国", 10)
            .is_empty());
    }

    #[test]
    fn full_width_traditional_and_mixed_case_input_is_folded() {
        let index = sample();
        for q in ["ＺＧＹＤ", "中國移動", "BYTEdance", "Zhong Guo"] {
            assert!(!hits(&index, q).is_empty(), "{q}");
        }
        assert_eq!(
            first(&index, "bytedance").map(|h| (h.0, h.1, h.2)),
            Some((
                "C007".to_owned(),
                MatchQuality::AliasExact,
                "ByteDance".to_owned()
            ))
        );
    }

    #[test]
    fn polyphonic_characters_are_found_by_their_other_readings() {
        let index = sample();
        for (q, id) in [
            ("chongqing", "C004"),
            ("zhongqing", "C004"),
            ("cqgt", "C004"),
            ("zhaoshangyinhang", "C009"),
            ("lvdi", "C008"),
            ("dongguan", "C010"),
        ] {
            assert_eq!(first(&index, q).map(|h| h.0), Some(id.to_owned()), "{q}");
        }
    }

    #[test]
    fn a_query_that_could_be_split_into_syllables_in_two_ways_finds_both_readings() {
        let index = Fixture::new(&[("X1", "西安电子", &[], 1), ("X2", "先锋电子", &[], 2)]).index();
        let mut ids: Vec<String> = hits(&index, "xian").into_iter().map(|h| h.0).collect();
        ids.sort();
        assert_eq!(ids, ["X1", "X2"]);
    }

    #[test]
    fn an_index_built_on_two_threads_answers_like_one_built_on_one() {
        let fixture = Fixture::new(&[
            ("C001", "中国移动通信集团江苏有限公司", &["江苏移动"], 900),
            ("C002", "中国联合网络通信集团有限公司", &["中国联通"], 800),
            ("C003", "中国银行股份有限公司", &[], 950),
            ("C004", "重庆钢铁股份有限公司", &[], 300),
            ("C005", "江苏苏宁易购集团", &["苏宁"], 400),
            ("C006", "中广核电力有限公司", &[], 100),
            (
                "C007",
                "北京字节跳动科技有限公司",
                &["字节跳动", "ByteDance"],
                700,
            ),
        ]);
        let rows = || {
            fixture
                .accounts
                .iter()
                .map(|(id, name, aliases, value)| {
                    (id.as_str(), name.as_str(), aliases.as_slice(), *value)
                })
                .collect::<Vec<_>>()
        };
        let single = NameIndex::build_from(rows(), false);
        let parallel = NameIndex::build_from(rows(), true);
        for q in [
            "zgyd",
            "zhongguo",
            "移动",
            "c00",
            "jsyd",
            "苏宁",
            "tongxin",
            "bytedance",
            "公司",
        ] {
            assert_eq!(single.search(q, 10), parallel.search(q, 10), "{q}");
            assert!(!parallel.search(q, 10).is_empty(), "{q}");
        }
        assert_eq!(single.stats().postings, parallel.stats().postings);
    }

    #[test]
    fn normalisation_keeps_letters_and_digits_of_every_script() {
        assert_eq!(normalise(" 中國（ＡＢＣ）-Mobile 3 "), "中国abcmobile3");
    }
}

/// Property tests: any query (any script, pinyin edge cases, control and zero-width characters)
/// gives at most `limit` hits, never a panic; any names index.
#[cfg(test)]
mod fuzz_tests {
    use std::sync::LazyLock;

    use proptest::prelude::*;

    use super::*;
    use crate::fuzz_support::{config, nasty_string, pieces_string};

    type Row = (String, String, Vec<String>, i64);

    fn build(rows: &[Row]) -> NameIndex {
        NameIndex::build(rows.iter().map(|(id, name, aliases, value)| {
            (id.as_str(), name.as_str(), aliases.as_slice(), *value)
        }))
    }

    static SAMPLE: LazyLock<NameIndex> = LazyLock::new(|| {
        let names = [
            "中国移动通信集团江苏有限公司",
            "重庆钢铁股份有限公司",
            "东莞农村商业银行",
            "绿地控股集团",
            "長沙銀行",
            "ＡＢＣ贸易",
            "Zhong Guo",
            "西安",
            "xian",
            "々〇",
            "\u{20000}公司",
            "😀",
            "İstanbul",
            "a",
            "",
            "女儿国",
            "略略略",
            "\u{200b}\u{202e}",
        ];
        let rows: Vec<Row> = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                (
                    format!("C{i:03}"),
                    (*name).to_owned(),
                    vec![format!("别名{i}")],
                    i as i64,
                )
            })
            .collect();
        build(&rows)
    });

    /// Pinyin syllables and fragments, initials, `v` for `ü`, and the separators users type.
    const PINYIN: &[&str] = &[
        "zhong",
        "guo",
        "yi",
        "dong",
        "xi",
        "an",
        "xian",
        "chong",
        "qing",
        "zh",
        "ch",
        "sh",
        "z",
        "g",
        "y",
        "d",
        "lv",
        "nv",
        "ü",
        "v",
        "a",
        "e",
        "o",
        "ng",
        "er",
        "'",
        " ",
        "-",
        "1",
        "0",
        "ZHONG",
        "ｚｈｏｎｇ",
        "中",
        "国",
        "重",
        "行",
        "銀",
    ];

    fn check(index: &NameIndex, query: &str, limit: usize) {
        let hits = index.search(query, limit);
        assert!(hits.len() <= limit.min(MAX_HITS), "{} hits", hits.len());
    }

    proptest! {
        #![proptest_config(config(128))]

        #[test]
        fn any_query_is_answered(query in nasty_string(80), limit in 0..20usize) {
            check(&SAMPLE, &query, limit);
        }

        #[test]
        fn any_pinyin_query_is_answered(query in pieces_string(PINYIN, 40)) {
            check(&SAMPLE, &query, MAX_HITS);
        }

    }

    proptest! {
        // Each case builds an index, whose direct table has millions of slots: a few dozen
        // milliseconds in a debug build, so fewer cases by default.
        #![proptest_config(config(16))]

        #[test]
        fn any_names_index_and_are_found(
            rows in proptest::collection::vec(
                (nasty_string(6), nasty_string(12), proptest::collection::vec(nasty_string(6), 0..3), any::<i64>()),
                0..12,
            ),
            query in nasty_string(10),
        ) {
            let index = build(&rows);
            check(&index, &query, MAX_HITS);
            for (_, name, _, _) in &rows {
                check(&index, name, MAX_HITS);
            }
        }
    }

    #[test]
    fn long_and_repetitive_queries_are_answered() {
        for query in [
            "xian".repeat(10_000),
            "a".repeat(10_000),
            "zhongguo".repeat(1_000),
            "zgyd".repeat(1_000),
            "中".repeat(10_000),
            "v".repeat(10_000),
            "'".repeat(10_000),
            "\u{200b}".repeat(10_000),
        ] {
            check(&SAMPLE, &query, MAX_HITS);
        }
    }
}
