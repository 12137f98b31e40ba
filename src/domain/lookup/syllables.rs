//! Pinyin: toneless readings of every character as syllable ids, the polyphonic characters of
//! company and place names, and query parsing into syllables.

use super::*;

/// Toneless readings of every character of the Basic Multilingual Plane, as syllable ids.
pub(super) struct PinyinTable {
    /// Syllable id → text (ASCII, `ü` written `v`). Letters and digits are their own syllables.
    pub(super) syllables: Vec<Box<str>>,
    /// Ids of the real pinyin syllables (not the letters and digits standing for themselves),
    /// sorted by text, so syllables with a given prefix form a range. Query parsing uses only
    /// these: letting every letter be a syllable would make the parses of a query explode.
    pub(super) sorted: Vec<u16>,
    /// Per BMP code point: `start << 8 | count` into `readings`.
    pub(super) bmp: Vec<u32>,
    pub(super) readings: Vec<u16>,
}

/// The distinct initial letters of one character (at most one per reading).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Initials {
    pub(super) letters: [u8; MAX_READINGS],
    pub(super) len: usize,
}

impl std::ops::Deref for Initials {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.letters[..self.len]
    }
}

/// One piece of a parsed pinyin query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Piece {
    /// A whole syllable.
    Full(u16),
    /// The unfinished last syllable: a range of `sorted` (every syllable with that prefix).
    Partial(std::ops::Range<usize>),
}

impl Piece {
    pub(super) fn initial(&self, table: &PinyinTable) -> u8 {
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

pub(super) fn pinyin_table() -> &'static PinyinTable {
    static TABLE: OnceLock<PinyinTable> = OnceLock::new();
    TABLE.get_or_init(PinyinTable::new)
}

impl PinyinTable {
    pub(super) fn new() -> PinyinTable {
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
    pub(super) fn initials(&self, readings: &[u16]) -> Initials {
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

    pub(super) fn syllable(&self, id: u16) -> &str {
        self.syllables.get(id as usize).map_or("", |s| s)
    }

    /// Readings of a (normalised) character; empty for characters without pinyin.
    pub(super) fn readings(&self, c: char) -> &[u16] {
        let Some(&packed) = self.bmp.get(c as usize) else {
            return &[];
        };
        let start = (packed >> 8) as usize;
        let count = (packed & 0xFF) as usize;
        self.readings.get(start..start + count).unwrap_or(&[])
    }

    pub(super) fn sorted_range(&self, range: std::ops::Range<usize>) -> &[u16] {
        self.sorted.get(range).unwrap_or(&[])
    }

    /// The range of `sorted` holding the syllables that start with `prefix`.
    pub(super) fn with_prefix(&self, prefix: &[u8]) -> std::ops::Range<usize> {
        let text = |i: usize| self.syllable(self.sorted[i]).as_bytes();
        let start = partition(self.sorted.len(), |i| text(i) < prefix);
        let end = partition(self.sorted.len(), |i| {
            text(i) < prefix || text(i).starts_with(prefix)
        });
        start..end
    }

    pub(super) fn exact(&self, text: &[u8]) -> Option<u16> {
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
    pub(super) fn parses(&self, q: &[u8]) -> Vec<Vec<Piece>> {
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

    pub(super) fn parse_from(
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
