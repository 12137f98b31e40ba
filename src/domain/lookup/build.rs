//! Keys of the posting lists and the index builder: fields, character and bigram keys, pinyin
//! anchors and pairs, built per half of the accounts.

use super::*;

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

/// Collects the posting lists of one shard while accounts are added in rank order: first the
/// list number of every (account, key), then a counting pass lays the lists out one after the
/// other. This touches memory in order, where a growing vector per key would miss the cache on
/// every push.
pub(super) struct Builder {
    pub(super) direct: bool,
    pub(super) hashed: HashMap<u64, u32, BuildHasherDefault<KeyHasher>>,
    pub(super) list_count: usize,
    /// List numbers of each account's keys, account after account.
    pub(super) entries: Vec<u32>,
    /// Per account: end of its entries.
    pub(super) account_end: Vec<u32>,
}

impl Builder {
    pub(super) fn new(direct: bool) -> Builder {
        Builder {
            direct,
            hashed: HashMap::default(),
            list_count: if direct { DIRECT_SLOTS } else { 0 },
            entries: Vec::new(),
            account_end: Vec::new(),
        }
    }

    /// Records the next account; `numbers` are its direct-table slots, `keys` its other keys.
    pub(super) fn add_account(&mut self, slots: &[u32], keys: &[u64]) {
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

    pub(super) fn finish(self) -> Postings {
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
pub(super) struct Part {
    /// Fields per account.
    pub(super) field_counts: Vec<u8>,
    pub(super) kinds: Vec<u8>,
    pub(super) text: String,
    pub(super) text_starts: Vec<u32>,
    pub(super) display: String,
    pub(super) display_starts: Vec<u32>,
    pub(super) direct: Postings,
    pub(super) hashed: Postings,
}

impl Part {
    pub(super) fn build(accounts: &[(&str, &str, &[String], i64)]) -> Part {
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
    pub(super) fn empty() -> Part {
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
pub(super) fn merge_postings(first: Postings, second: Postings, offset: u32) -> Postings {
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
