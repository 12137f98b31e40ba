//! Query understanding: what a rep types ("客户嫌贵怎么办", "how should I handle a price
//! objection", "huikuan") becomes the terms a search must look for.
//!
//! 1. Quoted phrases stay exact (see [`crate::search::query::parse`]).
//! 2. Synonym entries found in the rest become one *concept* term each, which matches any entry
//!    of its group (Chinese entries anywhere in the text, English entries as whole words in
//!    any inflection: both sides are analysed the same way).
//! 3. Question words and particles (怎么办, 如何, 要不要, 吗; how, should, do I, …) are dropped
//!    and reported, unless nothing else is left.
//! 4. The remaining words are analysed into terms as before: each run of adjacent tokens is one
//!    term that matches as a phrase. A Latin word that is the pinyin of a word the library uses
//!    (`huikuan` → 回款) also matches that word.
//!
//! Nothing here runs a search: [`crate::search::index`] decides how many terms must match.

use std::collections::HashMap;

use serde::Serialize;
use tantivy::tokenizer::TextAnalyzer;

use crate::domain::synonyms::Synonyms;
use crate::search::pinyin::{may_be_pinyin, plain_pinyin};
use crate::search::query::{parse, Clause};
use crate::search::tokenizer::is_han;
use crate::search::tokenizer::{fold, query_analyzer};

/// How much an alternative that the user did not type (a synonym, a pinyin reading) weighs
/// against the typed words.
pub const ALTERNATIVE_WEIGHT: f32 = 0.7;

/// Chinese question words and fillers dropped wherever they occur, longest first.
const ZH_QUESTION_WORDS: &[&str] = &[
    "怎么办呢",
    "怎么办",
    "怎么样",
    "怎么做",
    "怎么处理",
    "怎样",
    "怎么",
    "如何",
    "为什么",
    "为何",
    "是什么",
    "什么样",
    "什么",
    "哪些",
    "哪个",
    "哪里",
    "要不要",
    "是不是",
    "能不能",
    "可不可以",
    "该不该",
    "有没有",
    "应不应该",
    "应该",
    "应当",
    "请问",
    "一下",
    "有哪些",
    "咋办",
    "咋",
];

/// Chinese particles and pronouns dropped when they stand as one-character words.
const ZH_PARTICLES: &[&str] = &[
    "吗", "呢", "吧", "啊", "呀", "嘛", "么", "我", "你", "他", "她", "该", "办", "做", "们",
];

/// English question and function words dropped as whole words.
const EN_QUESTION_WORDS: &[&str] = &[
    "how", "what", "which", "why", "when", "where", "who", "whom", "whose", "should", "shall",
    "would", "could", "can", "do", "does", "did", "i", "we", "you", "my", "our", "your", "me",
    "us", "is", "are", "am", "be", "to", "the", "a", "an", "with", "about", "for", "of", "in",
    "on", "at", "if", "there", "any", "some", "way", "ways", "handle", "tips", "don't", "doesn't",
    "didn't", "won't", "can't", "cannot", "isn't", "aren't", "wasn't", "it's", "i'm",
];

/// One term of a query: the search asks how many terms an item matches.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryTerm {
    /// As the user typed it (shown as "Missing: …").
    pub text: String,
    /// Ways to match it, the typed form first; an item matches the term if it matches any.
    pub alternatives: Vec<Alternative>,
    /// The letters of a word still being typed, to match as a prefix.
    pub prefix: Option<String>,
    /// A quoted phrase: matched exactly, never relaxed into a synonym or a typo.
    pub phrase: bool,
    /// The word as pinyin (lower case), when it may be pinyin: it also matches titles and tags
    /// whose Chinese words read so.
    pub pinyin: Option<String>,
}

/// One way to match a term: groups of analysed tokens, each matching as a phrase, all present.
#[derive(Debug, Clone, PartialEq)]
pub struct Alternative {
    pub text: String,
    pub groups: Vec<Vec<(usize, String)>>,
    pub weight: f32,
}

/// What a query was understood as.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Understood {
    pub terms: Vec<QueryTerm>,
    /// Question words and particles left out, in query order.
    pub dropped: Vec<String>,
}

/// The explanation of an understood query (`explain=true` in the search API).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct QueryExplain {
    /// Question words and particles that need not match.
    pub dropped: Vec<String>,
    /// The terms, each with what else matches it (synonyms, pinyin).
    pub terms: Vec<TermExplain>,
    /// How many of the terms an item had to match (all of them, unless that found fewer than
    /// a page).
    pub at_least: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TermExplain {
    pub text: String,
    pub also_matches: Vec<String>,
}

impl Understood {
    pub fn explain(&self, at_least: usize) -> QueryExplain {
        QueryExplain {
            dropped: self.dropped.clone(),
            terms: self
                .terms
                .iter()
                .map(|t| TermExplain {
                    text: t.text.clone(),
                    also_matches: t
                        .alternatives
                        .iter()
                        .skip(1)
                        .map(|a| a.text.clone())
                        .collect(),
                })
                .collect(),
            at_least,
        }
    }
}

/// The synonym groups and the pinyin of the library's words, prepared for reading queries.
#[derive(Debug)]
pub struct QueryVocabulary {
    /// Each synonym group's entries as alternatives, analysed once here rather than per query
    /// (entries of only stop words, which analyse to nothing, are left out).
    groups: Vec<Vec<Alternative>>,
    /// Entries with Han characters, folded, with their group; longest first.
    han: Vec<(Vec<char>, usize)>,
    /// Latin entries as analysed tokens, with their group; most tokens first.
    latin: Vec<(Vec<String>, usize)>,
    /// Plain pinyin (no tones, no spaces) → the library's words that read so, analysed.
    pinyin: HashMap<String, Vec<Alternative>>,
    /// Latin words of five letters or more the library uses (titles, tags, synonyms), lower
    /// case, sorted: what "did you mean" proposes.
    latin_words: Vec<String>,
    /// Their stems: a word whose stem is here is known in another form (`objections`).
    latin_stems: std::collections::HashSet<String>,
}

impl QueryVocabulary {
    /// `synonyms`, and the pinyin readings of `words` (tags and labels the library uses) and of
    /// the Chinese synonym entries.
    pub fn new<'a>(synonyms: &'a Synonyms, words: impl IntoIterator<Item = &'a str>) -> Self {
        Self::with_titles(synonyms, words, std::iter::empty())
    }

    /// As [`QueryVocabulary::new`], and the Latin words of `titles` for "did you mean".
    pub fn with_titles<'a>(
        synonyms: &'a Synonyms,
        words: impl IntoIterator<Item = &'a str>,
        titles: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let mut analyzer = query_analyzer();
        let groups = synonyms
            .groups
            .iter()
            .map(|entries| {
                entries
                    .iter()
                    .map(|entry| alternative(&mut analyzer, entry, ALTERNATIVE_WEIGHT))
                    .filter(|a| !a.groups.is_empty())
                    .collect()
            })
            .collect();
        let mut han = Vec::new();
        let mut latin = Vec::new();
        for (group, entries) in synonyms.groups.iter().enumerate() {
            for entry in entries {
                if entry.chars().any(is_han) {
                    han.push((fold(entry).chars().collect::<Vec<char>>(), group));
                } else {
                    let tokens: Vec<String> = tokens(&mut analyzer, entry)
                        .into_iter()
                        .map(|(_, _, t)| t)
                        .collect();
                    if !tokens.is_empty() {
                        latin.push((tokens, group));
                    }
                }
            }
        }
        han.sort_by_key(|(entry, _)| std::cmp::Reverse(entry.len()));
        latin.sort_by_key(|(tokens, _)| std::cmp::Reverse(tokens.len()));
        let mut pinyin: HashMap<String, Vec<Alternative>> = HashMap::new();
        let mut latin_words = std::collections::BTreeSet::new();
        let han_entries = synonyms.groups.iter().flatten().map(String::as_str);
        let words: Vec<&str> = words.into_iter().chain(han_entries).collect();
        for text in words.iter().copied().chain(titles) {
            for word in text.split(|c: char| !c.is_ascii_alphabetic()) {
                if word.len() >= 5 {
                    latin_words.insert(word.to_ascii_lowercase());
                }
            }
        }
        for word in words {
            for prefix in han_prefixes(word) {
                if let Some(key) = plain_pinyin(&prefix) {
                    let known = pinyin.entry(key).or_default();
                    if known.len() < 4 && !known.iter().any(|a| a.text == prefix) {
                        let word = alternative(&mut analyzer, &prefix, ALTERNATIVE_WEIGHT);
                        if !word.groups.is_empty() {
                            known.push(word);
                        }
                    }
                }
            }
        }
        let latin_stems = latin_words
            .iter()
            .filter_map(|w| stem(&mut analyzer, w))
            .collect();
        QueryVocabulary {
            groups,
            han,
            latin,
            pinyin,
            latin_words: latin_words.into_iter().collect(),
            latin_stems,
        }
    }

    /// "Did you mean": `raw` with each Latin word the library does not use in any form replaced
    /// by the closest one it does (within the edits a typo may make); `None` when nothing
    /// changes.
    pub fn suggest(&self, raw: &str, analyzer: &mut TextAnalyzer) -> Option<String> {
        let mut changed = false;
        let words: Vec<String> = raw
            .split_whitespace()
            .map(|word| {
                let lower = word.to_ascii_lowercase();
                let edits = crate::search::typos::allowed_edits(lower.len());
                if edits == 0
                    || !lower.chars().all(|c| c.is_ascii_lowercase())
                    || self.latin_words.binary_search(&lower).is_ok()
                    || stem(analyzer, &lower).is_some_and(|s| self.latin_stems.contains(&s))
                {
                    return word.to_owned();
                }
                // Typos rarely hit the first letter: only words sharing it are compared.
                let first = &lower[..1];
                let from = self
                    .latin_words
                    .partition_point(|known| known.as_str() < first);
                let best = self.latin_words[from..]
                    .iter()
                    .take_while(|known| known.starts_with(first))
                    .filter(|known| known.len().abs_diff(lower.len()) <= usize::from(edits))
                    .filter_map(|known| {
                        crate::search::typos::bounded_distance(&lower, known, edits)
                            .map(|d| (d, known))
                    })
                    .min_by_key(|(d, known)| (*d, known.len()));
                match best {
                    Some((_, known)) => {
                        changed = true;
                        known.clone()
                    }
                    None => word.to_owned(),
                }
            })
            .collect();
        changed.then(|| words.join(" "))
    }
}

/// Understands `raw` (see the module documentation).
pub fn understand(
    raw: &str,
    vocabulary: Option<&QueryVocabulary>,
    analyzer: &mut TextAnalyzer,
) -> Understood {
    let parsed = parse(raw);
    let mut terms: Vec<(usize, QueryTerm)> = Vec::new();
    // Words joined back into one text, so that a synonym may span words ("price objection").
    let mut plain = String::new();
    let mut clause_at = Vec::new();
    for (index, clause) in parsed.clauses.iter().enumerate() {
        match clause {
            Clause::Phrase(p) => {
                let groups = vec![crate::search::query::phrase_positions(analyzer, p)];
                if groups[0].is_empty() {
                    continue;
                }
                terms.push((
                    index * 1_000_000,
                    QueryTerm {
                        text: p.clone(),
                        alternatives: vec![Alternative {
                            text: p.clone(),
                            groups,
                            weight: 1.0,
                        }],
                        prefix: None,
                        phrase: true,
                        pinyin: None,
                    },
                ));
            }
            Clause::Word(w) => {
                if !plain.is_empty() {
                    plain.push(' ');
                }
                clause_at.push((plain.len(), index));
                plain.push_str(w);
            }
        }
    }
    let order_of = |byte: usize| -> usize {
        let after = clause_at.partition_point(|(start, _)| *start <= byte);
        let clause = after.checked_sub(1).map_or(0, |i| clause_at[i].1);
        clause * 1_000_000 + byte
    };
    let typing_last = parsed.last_is_prefix;

    // Synonym entries, as spans of `plain`'s characters.
    let chars: Vec<(usize, char)> = plain.char_indices().collect();
    let mut taken = vec![false; chars.len()];
    let mut concepts: Vec<(usize, usize, usize)> = Vec::new(); // (start char, end char, group)
    if let Some(vocabulary) = vocabulary {
        let folded: Vec<char> = fold(&plain).chars().collect();
        for (entry, group) in &vocabulary.han {
            let n = entry.len();
            let mut i = 0;
            while i + n <= folded.len() {
                if !taken[i..i + n].iter().any(|t| *t) && folded[i..i + n] == entry[..] {
                    taken[i..i + n].iter_mut().for_each(|t| *t = true);
                    concepts.push((i, i + n, *group));
                    i += n;
                } else {
                    i += 1;
                }
            }
        }
        let analysed = match plain.bytes().any(|b| b.is_ascii_alphabetic()) {
            true => tokens(analyzer, &plain),
            false => Vec::new(),
        };
        for (entry, group) in &vocabulary.latin {
            let n = entry.len();
            let mut i = 0;
            while i + n <= analysed.len() {
                let window = &analysed[i..i + n];
                let matches = window.iter().zip(entry).all(|((_, _, t), e)| t == e);
                let (start, end) = (
                    char_at(&chars, window[0].0),
                    char_at(&chars, window[n - 1].1),
                );
                if matches
                    && whole_words(&chars, start, end)
                    && !taken[start..end].iter().any(|t| *t)
                {
                    taken[start..end].iter_mut().for_each(|t| *t = true);
                    concepts.push((start, end, *group));
                    i += n;
                } else {
                    i += 1;
                }
            }
        }
    }
    let byte_of = |c: usize| chars.get(c).map(|(b, _)| *b).unwrap_or(plain.len());
    for (start, end, group) in &concepts {
        let (start, end, group) = (*start, *end, *group);
        let typed = plain[byte_of(start)..byte_of(end)].to_owned();
        let vocabulary = vocabulary.expect("concepts come from a vocabulary");
        let mut alternatives = vec![alternative(analyzer, &typed, 1.0)];
        let typed_folded = fold(&typed);
        alternatives.extend(
            vocabulary.groups[group]
                .iter()
                .filter(|entry| fold(&entry.text) != typed_folded)
                .cloned(),
        );
        // An entry of only stop words (和, 与) analyses to nothing: a concept of nothing would
        // match nothing, so its characters go back to the words.
        alternatives.retain(|a| !a.groups.is_empty());
        if alternatives.is_empty() {
            taken[start..end].iter_mut().for_each(|t| *t = false);
            continue;
        }
        terms.push((
            order_of(byte_of(start)),
            QueryTerm {
                text: typed,
                alternatives,
                prefix: None,
                phrase: false,
                pinyin: None,
            },
        ));
    }

    // The rest, without the synonym spans: question words out, then words into terms.
    let mut rest: String = chars
        .iter()
        .zip(&taken)
        .map(|((_, c), t)| match t {
            true => " ".repeat(c.len_utf8()),
            false => c.to_string(),
        })
        .collect();
    let mut dropped = Vec::new();
    drop_question_words(&mut rest, &mut dropped);
    let mut word_terms = word_terms_of(analyzer, &rest, &mut dropped, vocabulary, true);
    if terms.is_empty() && word_terms.is_empty() && !dropped.is_empty() {
        // Only question words: search for them after all.
        dropped.clear();
        let mut ignored = Vec::new();
        word_terms = word_terms_of(analyzer, &plain, &mut ignored, vocabulary, false);
    }
    // The word being typed: its last Latin letters also match as a prefix.
    if typing_last {
        let end = plain.trim_end().len();
        if let Some((at, term)) = word_terms.last_mut() {
            let typed = &term.alternatives[0].groups;
            if *at + term.text.len() == end && typed.len() == 1 && typed[0].len() == 1 {
                term.prefix = prefix_letters(&term.text);
            }
        }
    }
    for (at, term) in word_terms {
        terms.push((order_of(at), term));
    }
    terms.sort_by_key(|(at, _)| *at);
    Understood {
        terms: terms.into_iter().map(|(_, t)| t).collect(),
        dropped,
    }
}

/// Terms of the words of `text` (byte offset of each term in `text`, the term); with
/// `drop_particles`, particles standing alone are left out and recorded in `dropped`.
fn word_terms_of(
    analyzer: &mut TextAnalyzer,
    text: &str,
    dropped: &mut Vec<String>,
    vocabulary: Option<&QueryVocabulary>,
    drop_particles: bool,
) -> Vec<(usize, QueryTerm)> {
    let mut terms = Vec::new();
    let mut group: Vec<(usize, String)> = Vec::new();
    let (mut group_from, mut group_to, mut group_start, mut covered_to) = (0, 0, 0, 0);
    let flush = |group: &mut Vec<(usize, String)>,
                 from: usize,
                 to: usize,
                 terms: &mut Vec<(usize, QueryTerm)>| {
        if group.is_empty() {
            return;
        }
        let typed = text[from..to].to_owned();
        let mut alternatives = vec![Alternative {
            text: typed.clone(),
            groups: vec![std::mem::take(group)],
            weight: 1.0,
        }];
        if let Some(words) = vocabulary.and_then(|v| pinyin_words(v, &typed)) {
            alternatives.extend(words.iter().cloned());
        }
        let pinyin = may_be_pinyin(&typed).then(|| typed.to_ascii_lowercase());
        terms.push((
            from,
            QueryTerm {
                text: typed,
                alternatives,
                prefix: None,
                phrase: false,
                pinyin,
            },
        ));
    };
    for (from, to, token) in tokens_with_positions(analyzer, text) {
        let (position, token) = token;
        let is_particle = drop_particles
            && (ZH_PARTICLES.contains(&token.as_str())
                // The `s` of "customer's", the `t` of a contraction not in the list.
                || (token.len() == 1
                    && token.chars().all(|c| c.is_ascii_alphabetic())
                    && text[..from].ends_with(['\'', '’'])));
        if is_particle {
            dropped.push(token);
            continue;
        }
        let span = if token.chars().next().is_some_and(is_han) {
            token.chars().count()
        } else {
            1
        };
        if !group.is_empty() && position <= covered_to && from <= group_to {
            group.push((position - group_start, token));
            group_to = to;
        } else {
            flush(&mut group, group_from, group_to, &mut terms);
            group_start = position;
            group_from = from;
            group_to = to;
            group.push((0, token));
        }
        covered_to = covered_to.max(position + span);
    }
    flush(&mut group, group_from, group_to, &mut terms);
    terms
}

/// Removes question words from `text` (replaced by spaces), recording each in `dropped`.
fn drop_question_words(text: &mut String, dropped: &mut Vec<String>) {
    // One pass over the folded text (怎麼辦 reads as 怎么办), trying the longest question word
    // first at each character; folding keeps one character per character, so a match is
    // replaced in the text as typed, byte for byte.
    static WORDS: std::sync::LazyLock<Vec<Vec<char>>> = std::sync::LazyLock::new(|| {
        ZH_QUESTION_WORDS
            .iter()
            .map(|w| w.chars().collect())
            .collect()
    });
    let typed: Vec<char> = text.chars().collect();
    let folded: Vec<char> = fold(text).chars().collect();
    let mut kept = String::with_capacity(text.len());
    let mut i = 0;
    while i < typed.len() {
        match WORDS.iter().find(|w| folded[i..].starts_with(w)) {
            Some(word) => {
                let span = &typed[i..i + word.len()];
                dropped.push(span.iter().collect());
                for c in span {
                    kept.push_str(&" ".repeat(c.len_utf8()));
                }
                i += word.len();
            }
            None => {
                kept.push(typed[i]);
                i += 1;
            }
        }
    }
    *text = kept;
    let mut out = String::with_capacity(text.len());
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let bare = word
            .trim_matches(|c: char| c.is_ascii_punctuation())
            .replace('’', "'");
        if !bare.is_empty()
            && bare.chars().all(|c| c.is_ascii_alphabetic() || c == '\'')
            && EN_QUESTION_WORDS.contains(&bare.to_ascii_lowercase().as_str())
        {
            dropped.push(bare.clone());
            out.push_str(&" ".repeat(word.len()));
        } else {
            out.push_str(word);
        }
    }
    *text = out;
}

/// An alternative of `text`: its analysed token groups.
fn alternative(analyzer: &mut TextAnalyzer, text: &str, weight: f32) -> Alternative {
    Alternative {
        text: text.to_owned(),
        groups: crate::search::query::analyse(analyzer, text),
        weight,
    }
}

/// The stem of one Latin word (`objections` → `object`), as the analyser indexes it.
fn stem(analyzer: &mut TextAnalyzer, word: &str) -> Option<String> {
    let mut stream = analyzer.token_stream(word);
    let token = stream.next()?.text.clone();
    stream.next().is_none().then_some(token)
}

/// Tokens of `text` as `(byte from, byte to, token)`.
fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, usize, String)> {
    tokens_with_positions(analyzer, text)
        .into_iter()
        .map(|(from, to, (_, t))| (from, to, t))
        .collect()
}

fn tokens_with_positions(
    analyzer: &mut TextAnalyzer,
    text: &str,
) -> Vec<(usize, usize, (usize, String))> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(token) = stream.next() {
        out.push((
            token.offset_from,
            token.offset_to,
            (token.position, token.text.clone()),
        ));
    }
    out
}

/// The index of the character at byte `byte` of the text `chars` was taken from.
fn char_at(chars: &[(usize, char)], byte: usize) -> usize {
    chars.partition_point(|(b, _)| *b < byte)
}

/// Whether characters `start..end` stand as whole words (no letter or digit right before or
/// after).
fn whole_words(chars: &[(usize, char)], start: usize, end: usize) -> bool {
    let word_char = |i: usize| {
        chars
            .get(i)
            .is_some_and(|(_, c)| c.is_alphanumeric() && !is_han(*c))
    };
    (start == 0 || !word_char(start - 1)) && !word_char(end)
}

/// The Latin letters at the end of `word`, lower-cased, if there are at least two.
fn prefix_letters(word: &str) -> Option<String> {
    let tail: String = word
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<String>()
        .to_lowercase();
    (tail.len() >= 2 && !tail.chars().all(|c| c.is_ascii_digit())).then_some(tail)
}

/// Chinese words the library uses whose pinyin is `word` (`huikuan` → 回款).
fn pinyin_words<'v>(vocabulary: &'v QueryVocabulary, word: &str) -> Option<&'v Vec<Alternative>> {
    if !may_be_pinyin(word) {
        return None;
    }
    vocabulary.pinyin.get(&word.to_ascii_lowercase())
}

/// The prefixes of at least two characters of each Han run of `text` (`回款催收` → 回款, 回款催,
/// 回款催收).
fn han_prefixes(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for run in text.split(|c: char| !is_han(c)).filter(|r| !r.is_empty()) {
        let chars: Vec<char> = run.chars().collect();
        for end in 2..=chars.len().min(8) {
            out.push(chars[..end].iter().collect());
        }
    }
    out
}

#[cfg(test)]
mod tests;
