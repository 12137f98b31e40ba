//! Keys of the posting lists and the index builder: fields, character and bigram keys, pinyin
//! anchors and pairs, built per half of the accounts.

use super::*;
use crate::domain::account::Account;

pub(super) const TAG_UNIGRAM: u64 = 1;
pub(super) const TAG_BIGRAM: u64 = 2;
pub(super) const TAG_ANCHOR1: u64 = 3;
pub(super) const TAG_ANCHOR3: u64 = 4;
pub(super) const TAG_ANCHOR4: u64 = 5;
pub(super) const TAG_INITIALS_ANCHOR: u64 = 6;
pub(super) const TAG_SYLLABLE: u64 = 7;
pub(super) const TAG_PAIR: u64 = 8;
pub(super) const TAG_SYLLABLE_PAIR: u64 = 9;
/// Stands for "no letter" where a piece has none (cannot happen for parsed syllables).
pub(super) const END: u8 = 0;

pub(super) fn key(tag: u64, payload: u64) -> u64 {
    tag << 56 | payload
}
pub(super) fn unigram_key(c: char) -> u64 {
    key(TAG_UNIGRAM, u64::from(c))
}
pub(super) fn bigram_key(a: char, b: char) -> u64 {
    key(TAG_BIGRAM, u64::from(a) << 21 | u64::from(b))
}
/// The first character reads `s1`.
pub(super) fn anchor1_key(s1: u16) -> u64 {
    key(TAG_ANCHOR1, u64::from(s1))
}
/// The first two characters read `s1 s2`.
pub(super) fn anchor3_key(s1: u16, s2: u16) -> u64 {
    key(TAG_ANCHOR3, u64::from(s1) << 16 | u64::from(s2))
}
/// The first two characters read `s1 s2`, the third starts with `initial`.
pub(super) fn anchor4_key(s1: u16, s2: u16, initial: u8) -> u64 {
    key(
        TAG_ANCHOR4,
        u64::from(s1) << 24 | u64::from(s2) << 8 | u64::from(initial),
    )
}
/// The first 2–4 characters have these initials.
pub(super) fn initials_anchor_key(initials: &[u8]) -> u64 {
    let payload = initials
        .iter()
        .fold(0u64, |acc, &b| acc << 8 | u64::from(b));
    key(TAG_INITIALS_ANCHOR, payload)
}
/// A character after the first reads `s`.
pub(super) fn syllable_key(s: u16) -> u64 {
    key(TAG_SYLLABLE, u64::from(s))
}
/// Two adjacent characters, the first not the first of the text, read `a b`.
pub(super) fn syllable_pair_key(a: u16, b: u16) -> u64 {
    key(TAG_SYLLABLE_PAIR, u64::from(a) << 16 | u64::from(b))
}
/// Two adjacent characters, the first not the first of the text, start with `a` and `b`.
pub(super) fn pair_key(a: u8, b: u8) -> u64 {
    key(TAG_PAIR, u64::from(a) << 8 | u64::from(b))
}

/// Unigrams of non-ASCII characters and all bigrams of a normalised text.
pub(super) fn text_keys(text: &str, keys: &mut Vec<u64>) {
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
pub(super) fn pinyin_keys(units: &[&[u16]], table: &PinyinTable, keys: &mut Vec<u64>) {
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
pub(super) struct KeyHasher(u64);

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
pub(super) const PARALLEL_BUILD_FROM: usize = 10_000;

/// Slots of the direct key table: small key domains (characters of the Basic Multilingual
/// Plane, syllables, syllable pairs, initial pairs, the first two syllables) whose list number
/// is fixed by the key itself. Only the remaining keys (character bigrams, longer anchors) go
/// through a hash map. This keeps the build free of shared state, so the two halves of the
/// accounts can be indexed on two threads.
pub(super) const DIRECT_UNIGRAM: usize = 0;
pub(super) const DIRECT_SYLLABLE: usize = DIRECT_UNIGRAM + 0x1_0000;
pub(super) const DIRECT_ANCHOR1: usize = DIRECT_SYLLABLE + 0x400;
pub(super) const DIRECT_PAIR: usize = DIRECT_ANCHOR1 + 0x400;
pub(super) const DIRECT_ANCHOR3: usize = DIRECT_PAIR + 0x1_0000;
pub(super) const DIRECT_SYLLABLE_PAIR: usize = DIRECT_ANCHOR3 + 0x10_0000;
pub(super) const DIRECT_SLOTS: usize = DIRECT_SYLLABLE_PAIR + 0x10_0000;

/// The direct-table list number of `key`, if its domain is small.
pub(super) fn direct_slot(key: u64) -> Option<usize> {
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

/// One account's keys, sorted and deduplicated, with scratch space reused from account to
/// account. The same code serves both passes of the build, so both see exactly the same keys.
pub(super) struct KeyScratch {
    normalised: String,
    units: Vec<&'static [u16]>,
    pub(super) keys: Vec<u64>,
}

impl KeyScratch {
    pub(super) fn new() -> KeyScratch {
        KeyScratch {
            normalised: String::new(),
            units: Vec::new(),
            keys: Vec::new(),
        }
    }

    /// Computes the keys of one account; `field(kind, original, normalised)` is called for each
    /// field the index keeps (empty aliases are dropped; an account keeps at most 255 fields).
    pub(super) fn account(
        &mut self,
        table: &'static PinyinTable,
        (id, name, aliases): (&str, &str, &[Text]),
        mut field: impl FnMut(u8, &str, &str),
    ) {
        self.keys.clear();
        let mut count = 0u8;
        let fields = [(KIND_NAME, name), (KIND_ID, id)]
            .into_iter()
            .chain(aliases.iter().map(|a| (KIND_ALIAS, a.as_str())));
        for (kind, original) in fields {
            normalise_into(original, &mut self.normalised);
            if (kind == KIND_ALIAS && self.normalised.is_empty()) || count == u8::MAX {
                continue;
            }
            count += 1;
            field(kind, original, &self.normalised);
            if kind != KIND_ID {
                text_keys(&self.normalised, &mut self.keys);
                self.units.clear();
                self.units
                    .extend(self.normalised.chars().map(|c| table.readings(c)));
                pinyin_keys(&self.units, table, &mut self.keys);
            }
        }
        // Each account enters each list once.
        self.keys.sort_unstable();
        self.keys.dedup();
    }
}

/// How many accounts of a run enter each list: per direct-table slot, and per hashed key
/// (numbered in order of first sight).
pub(super) struct Counts {
    /// Per slot; empty for an empty run (the direct table has millions of slots).
    direct: Vec<u32>,
    hashed: HashMap<u64, u32, BuildHasherDefault<KeyHasher>>,
    hashed_counts: Vec<u32>,
}

impl Counts {
    fn new(direct: bool) -> Counts {
        Counts {
            direct: if direct {
                vec![0; DIRECT_SLOTS]
            } else {
                Vec::new()
            },
            hashed: HashMap::default(),
            hashed_counts: Vec::new(),
        }
    }

    fn add(&mut self, keys: &[u64]) {
        for &key in keys {
            match direct_slot(key) {
                Some(slot) => self.direct[slot] += 1,
                None => {
                    let next = self.hashed_counts.len() as u32;
                    let number = *self.hashed.entry(key).or_insert(next);
                    if number == next {
                        self.hashed_counts.push(0);
                    }
                    self.hashed_counts[number as usize] += 1;
                }
            }
        }
    }
}

/// An account as the index reads it: id, name and aliases.
pub trait NameRow: Send + Sync {
    fn id(&self) -> &str;
    fn name(&self) -> &str;
    fn aliases(&self) -> &[Text];
}

impl NameRow for Account {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn aliases(&self) -> &[Text] {
        &self.aliases
    }
}

/// `(id, name, aliases)`.
impl NameRow for (&str, &str, &[Text]) {
    fn id(&self) -> &str {
        self.0
    }
    fn name(&self) -> &str {
        self.1
    }
    fn aliases(&self) -> &[Text] {
        self.2
    }
}

impl<T: NameRow + ?Sized> NameRow for &T {
    fn id(&self) -> &str {
        (**self).id()
    }
    fn name(&self) -> &str {
        (**self).name()
    }
    fn aliases(&self) -> &[Text] {
        (**self).aliases()
    }
}

/// A run of consecutive accounts read once on its own: their fields, and how many of them
/// enter each posting list (the lists are filled afterwards, by [`joined_postings`]).
pub(super) struct Part {
    /// Fields per account.
    pub(super) field_counts: Vec<u8>,
    pub(super) kinds: Vec<u8>,
    pub(super) text: String,
    pub(super) text_starts: Vec<u32>,
    pub(super) display: String,
    pub(super) display_starts: Vec<u32>,
    pub(super) counts: Counts,
}

impl Part {
    pub(super) fn build<R: NameRow>(accounts: &[R]) -> Part {
        let table = pinyin_table();
        let mut part = Part {
            field_counts: Vec::with_capacity(accounts.len()),
            kinds: Vec::with_capacity(accounts.len() * 3),
            text: String::new(),
            text_starts: Vec::with_capacity(accounts.len() * 3),
            display: String::new(),
            display_starts: Vec::with_capacity(accounts.len() * 3),
            // An empty run (the second half of an index built on one thread) must not pay
            // for the direct table.
            counts: Counts::new(!accounts.is_empty()),
        };
        let mut scratch = KeyScratch::new();
        for row in accounts {
            let mut count = 0u8;
            let fields = (row.id(), row.name(), row.aliases());
            scratch.account(table, fields, |kind, original, normalised| {
                count += 1;
                part.kinds.push(kind);
                part.text_starts.push(part.text.len() as u32);
                part.text.push_str(normalised);
                part.display_starts.push(part.display.len() as u32);
                let original = original.trim();
                if original != normalised {
                    part.display.push_str(original);
                }
            });
            part.field_counts.push(count);
            part.counts.add(&scratch.keys);
        }
        part
    }
}

/// The two shards (direct-table keys, then hashed keys) of two consecutive runs of accounts,
/// the second numbered from `offset`. The lists are numbered from both runs' counts, then each
/// run packs its part of every list ([`Writer`]), on its own thread when `parallel`. The keys
/// are computed a second time for this. Holding them from the first pass, as the index once
/// did, took as much memory as the postings themselves, and each run's lists were then copied
/// into the joined ones: the build's peak was three times the plain postings' size (about
/// 790 MB for 1M accounts, heaptrack). Now the plain numbers are never all held: each list
/// keeps only the block it is filling.
pub(super) fn joined_postings<R: NameRow>(
    runs: [&[R]; 2],
    counts: [Counts; 2],
    offset: u32,
    parallel: bool,
) -> [Postings; 2] {
    let [first, second] = counts;
    // Hashed keys: the first run's numbers, then the keys only the second run has; each run's
    // count per joined number.
    let mut hashed = first.hashed;
    let mut first_hashed = first.hashed_counts;
    let mut second_hashed = vec![0u32; first_hashed.len()];
    for (&key, &number) in &second.hashed {
        let next = first_hashed.len() as u32;
        let joined = *hashed.entry(key).or_insert(next);
        if joined == next {
            first_hashed.push(0);
            second_hashed.push(0);
        }
        second_hashed[joined as usize] = second.hashed_counts[number as usize];
    }
    drop(second.hashed);
    hashed.shrink_to_fit();
    // Direct-table slots some account has get list numbers; a run's counts may be empty (an
    // empty run has no direct table): zero for every slot.
    let count = |counts: &[u32], slot: usize| counts.get(slot).copied().unwrap_or(0);
    let (mut first_direct, mut second_direct) = (Vec::new(), Vec::new());
    let mut slot_list = Vec::new();
    if !(first.direct.is_empty() && second.direct.is_empty()) {
        slot_list = vec![NO_LIST; DIRECT_SLOTS];
        for (slot, number) in slot_list.iter_mut().enumerate() {
            let (mine, theirs) = (count(&first.direct, slot), count(&second.direct, slot));
            if mine + theirs > 0 {
                *number = first_direct.len() as u32;
                first_direct.push(mine);
                second_direct.push(theirs);
            }
        }
    }
    drop((first.direct, second.direct));

    let fill = |run: &[R], first_doc: u32, mut direct: Writer, mut hashed_lists: Writer| {
        let table = pinyin_table();
        let mut scratch = KeyScratch::new();
        for (doc, row) in (first_doc..).zip(run) {
            scratch.account(table, (row.id(), row.name(), row.aliases()), |_, _, _| {});
            for &key in &scratch.keys {
                match direct_slot(key) {
                    Some(slot) => direct.push(slot_list[slot] as usize, doc),
                    None => {
                        if let Some(&number) = hashed.get(&key) {
                            hashed_lists.push(number as usize, doc);
                        }
                    }
                }
            }
        }
        (direct.finish(), hashed_lists.finish())
    };
    // The second run's numbers all come after `offset - 1`.
    let second_base = offset.checked_sub(1);
    let first_writers = (
        Writer::new(first_direct, None),
        Writer::new(first_hashed, None),
    );
    let second_writers = (
        Writer::new(second_direct, second_base),
        Writer::new(second_hashed, second_base),
    );
    let [first_run, second_run] = runs;
    let fill = &fill;
    let (first_packed, second_packed) = std::thread::scope(|scope| {
        if parallel {
            let worker =
                scope.spawn(move || fill(second_run, offset, second_writers.0, second_writers.1));
            let first = fill(first_run, 0, first_writers.0, first_writers.1);
            // A panic in the worker is a bug in this module, not an input problem.
            let second = worker
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            (first, second)
        } else {
            let first = fill(first_run, 0, first_writers.0, first_writers.1);
            (
                first,
                fill(second_run, offset, second_writers.0, second_writers.1),
            )
        }
    });
    [
        Postings {
            hashed: HashMap::default(),
            slot_list,
            runs: [first_packed.0, second_packed.0],
        },
        Postings {
            hashed,
            slot_list: Vec::new(),
            runs: [first_packed.1, second_packed.1],
        },
    ]
}
