//! The user's query language, kept small on purpose: words (all must match), `"quoted phrases"`
//! (words in that order), and search-as-you-type — the last word, when the user has not typed a
//! space after it yet, also matches as a prefix. Nothing else is syntax: `+`, `-`, `:`,
//! parentheses and `AND`/`OR` are ordinary text, so no input can produce a parse error.

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, EmptyQuery, Occur,
    PhrasePrefixQuery, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::Term;

use crate::search::schema::{Fields, TITLE_BOOST};
use crate::search::tokenizer::is_han;
use crate::search::understand::QueryTerm;

/// One part of a parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clause {
    /// A bare word (which may still analyse into several tokens, e.g. `客户分级`).
    Word(String),
    /// A quoted phrase.
    Phrase(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedQuery {
    pub clauses: Vec<Clause>,
    /// The last clause is a word still being typed: also match it as a prefix.
    pub last_is_prefix: bool,
}

impl ParsedQuery {
    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }
}

/// Splits the raw query into words and phrases. An unclosed quote runs to the end.
pub fn parse(raw: &str) -> ParsedQuery {
    let mut clauses = Vec::new();
    let mut rest = raw;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if let Some(after_quote) = rest.strip_prefix(['"', '“', '”', '「']) {
            let end = after_quote
                .find(['"', '“', '”', '」'])
                .unwrap_or(after_quote.len());
            let phrase = after_quote[..end].trim();
            if !phrase.is_empty() {
                clauses.push(Clause::Phrase(phrase.to_owned()));
            }
            let skip = after_quote[end..]
                .chars()
                .next()
                .map(char::len_utf8)
                .unwrap_or(0);
            rest = &after_quote[end + skip..];
        } else {
            let end = rest
                .find(|c: char| c.is_whitespace() || matches!(c, '"' | '“' | '”' | '「'))
                .unwrap_or(rest.len());
            clauses.push(Clause::Word(rest[..end].to_owned()));
            rest = &rest[end..];
        }
    }
    let last_is_prefix =
        matches!(clauses.last(), Some(Clause::Word(_))) && !raw.ends_with(char::is_whitespace);
    ParsedQuery {
        clauses,
        last_is_prefix,
    }
}

/// Tokens of `text` under `analyzer`, cut into groups of adjacent tokens, each with positions
/// relative to the group's first token. Tokens are adjacent when no position lies between
/// them (a Han token spans one position per character, a Latin token one position), so a
/// stop word or punctuation splits groups: `VIP客户的回款` gives `[vip 客户]` and `[回款]`.
/// A group must match as a phrase; separate groups only all have to appear.
pub(crate) fn analyse(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Vec<(usize, String)>> {
    let mut groups: Vec<Vec<(usize, String)>> = Vec::new();
    let mut stream = analyzer.token_stream(text);
    let mut group_start = 0;
    let mut covered_to = 0;
    while let Some(token) = stream.next() {
        let span = if token.text.chars().next().is_some_and(is_han) {
            token.text.chars().count()
        } else {
            1
        };
        match groups.last_mut() {
            Some(group) if token.position <= covered_to => {
                group.push((token.position - group_start, token.text.clone()));
            }
            _ => {
                group_start = token.position;
                groups.push(vec![(0, token.text.clone())]);
            }
        }
        covered_to = covered_to.max(token.position + span);
    }
    groups
}

fn terms_query(field: Field, tokens: &[(usize, String)]) -> Box<dyn Query> {
    if tokens.len() == 1 {
        Box::new(TermQuery::new(
            Term::from_field_text(field, &tokens[0].1),
            IndexRecordOption::WithFreqsAndPositions,
        ))
    } else {
        Box::new(PhraseQuery::new_with_offset(
            tokens
                .iter()
                .map(|(pos, text)| (*pos, Term::from_field_text(field, text)))
                .collect(),
        ))
    }
}

/// Title (boosted) or body: the best of the two scores.
fn title_or_body(fields: &Fields, per_field: impl Fn(Field) -> Box<dyn Query>) -> Box<dyn Query> {
    Box::new(DisjunctionMaxQuery::new(vec![
        Box::new(BoostQuery::new(per_field(fields.title), TITLE_BOOST)),
        per_field(fields.body),
    ]))
}

/// All tokens of a phrase with positions relative to the first, gaps kept.
pub(crate) fn phrase_positions(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, String)> {
    let mut tokens = Vec::new();
    let mut stream = analyzer.token_stream(text);
    let mut first = None;
    while let Some(token) = stream.next() {
        let base = *first.get_or_insert(token.position);
        tokens.push((token.position - base, token.text.clone()));
    }
    tokens
}

/// The query of one term: any of its alternatives (each weighted: the typed form most), or, for
/// a word being typed, its prefix, or one of `corrections` (indexed words a typo away, with
/// their edits; see `search::typos`).
pub fn term_query(
    term: &QueryTerm,
    fields: &Fields,
    corrections: &[(String, u8)],
) -> Box<dyn Query> {
    let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for alternative in &term.alternatives {
        let groups: Vec<(Occur, Box<dyn Query>)> = alternative
            .groups
            .iter()
            .map(|tokens| {
                (
                    Occur::Must,
                    title_or_body(fields, |field| terms_query(field, tokens)),
                )
            })
            .collect();
        let query: Box<dyn Query> = match groups.len() {
            1 => groups.into_iter().next().expect("one group").1,
            _ => Box::new(BooleanQuery::new(groups)),
        };
        alternatives.push((Occur::Should, weighted(query, alternative.weight)));
    }
    if let (Some(prefix), Some(typed)) = (&term.prefix, term.alternatives.first()) {
        // The raw letters typed so far, and their stem: "negotiat" stems to "negoti", which is
        // how "negotiation" was indexed. A long partial word may run past its stem ("negotiat"
        // vs "negoti"): two letters less still narrows well.
        let mut prefixes = vec![typed.groups[0][0].1.clone()];
        if prefix.len() >= 6 {
            prefixes.push(prefix[..prefix.len() - 2].to_owned());
        }
        if !prefixes.contains(prefix) {
            prefixes.push(prefix.clone());
        }
        for prefix in prefixes {
            let as_prefix = title_or_body(fields, |field| {
                let mut q = PhrasePrefixQuery::new_with_offset(vec![(
                    0,
                    Term::from_field_text(field, &prefix),
                )]);
                q.set_max_expansions(200);
                Box::new(q)
            });
            alternatives.push((Occur::Should, as_prefix));
        }
    }
    if let Some(reading) = &term.pinyin {
        // A pinyin word matches titles and tags whose Chinese words read so.
        let query: Box<dyn Query> = Box::new(TermQuery::new(
            Term::from_field_text(fields.pinyin, reading),
            IndexRecordOption::Basic,
        ));
        alternatives.push((Occur::Should, weighted(query, PINYIN_WEIGHT)));
    }
    for (correction, edits) in corrections {
        let tokens = [(0, correction.clone())];
        let query = title_or_body(fields, |field| terms_query(field, &tokens));
        alternatives.push((
            Occur::Should,
            weighted(query, TYPO_WEIGHT / f32::from(*edits)),
        ));
    }
    match alternatives.len() {
        1 => alternatives.into_iter().next().expect("one alternative").1,
        _ => Box::new(BooleanQuery::new(alternatives)),
    }
}

/// How much a title or tag matched through its pinyin weighs against the typed word matched.
const PINYIN_WEIGHT: f32 = 2.0;

/// How much a match one edit away weighs against an exact one (two edits: half that).
pub const TYPO_WEIGHT: f32 = 0.5;

fn weighted(query: Box<dyn Query>, weight: f32) -> Box<dyn Query> {
    if (weight - 1.0).abs() < f32::EPSILON {
        query
    } else {
        Box::new(BoostQuery::new(query, weight))
    }
}

/// Every query of `queries` must match; `None` when there are none.
pub fn all_of(queries: &[Box<dyn Query>]) -> Option<Box<dyn Query>> {
    match queries.len() {
        0 => None,
        1 => Some(queries[0].box_clone()),
        _ => Some(Box::new(BooleanQuery::new(
            queries
                .iter()
                .map(|q| (Occur::Must, q.box_clone()))
                .collect(),
        ))),
    }
}

/// Combines the text query (if any) with keyword filters, each a set of accepted values.
pub fn with_filters(
    text: Option<Box<dyn Query>>,
    filters: Vec<(Field, Vec<String>)>,
) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    match text {
        Some(text) => clauses.push((Occur::Must, text)),
        None => clauses.push((Occur::Must, Box::new(AllQuery))),
    }
    for (field, values) in filters {
        if values.is_empty() {
            clauses.push((Occur::Must, Box::new(EmptyQuery)));
            continue;
        }
        let alternatives: Vec<(Occur, Box<dyn Query>)> = values
            .iter()
            .map(|value| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_text(field, value),
                    IndexRecordOption::Basic,
                ));
                (Occur::Should, q)
            })
            .collect();
        // Filters must not change the ranking: a constant score of 0 only restricts.
        clauses.push((
            Occur::Must,
            Box::new(ConstScoreQuery::new(
                Box::new(BooleanQuery::new(alternatives)),
                0.0,
            )),
        ));
    }
    Box::new(BooleanQuery::new(clauses))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(q: &ParsedQuery) -> Vec<String> {
        q.clauses
            .iter()
            .map(|c| match c {
                Clause::Word(w) => w.clone(),
                Clause::Phrase(p) => format!("\"{p}\""),
            })
            .collect()
    }

    #[test]
    fn words_and_quoted_phrases_are_split_and_syntax_characters_are_text() {
        let q = parse("回款 \"催收 流程\" a+b:(c) ");
        assert_eq!(words(&q), ["回款", "\"催收 流程\"", "a+b:(c)"]);
        assert!(!q.last_is_prefix, "a trailing space ends the word");
    }

    #[test]
    fn the_last_word_is_a_prefix_while_it_is_being_typed() {
        assert!(parse("cross sel").last_is_prefix);
        assert!(!parse("cross \"sell\"").last_is_prefix);
    }

    #[test]
    fn an_unclosed_quote_runs_to_the_end_and_chinese_quotes_work() {
        assert_eq!(words(&parse("\"大客户 管理")), ["\"大客户 管理\""]);
        assert_eq!(words(&parse("“回款催收”")), ["\"回款催收\""]);
    }

    #[test]
    fn an_empty_or_blank_query_has_no_clauses() {
        assert!(parse("").is_empty());
        assert!(parse("   ").is_empty());
        assert!(parse("\"\"").is_empty());
    }
}

/// Property tests: any query parses (there is no syntax error), into at most one clause per
/// character, and builds a query without panicking; a query of 10,000 terms stays linear.
#[cfg(test)]
mod fuzz_tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::synonyms::Synonyms;
    use crate::fuzz_support::{config, nasty_string, pieces_string};
    use crate::search::schema::build_schema;
    use crate::search::tokenizer::query_analyzer;
    use crate::search::understand::{understand, QueryVocabulary};

    /// Parses and builds `raw`; returns the number of clauses.
    fn check(raw: &str) -> usize {
        let parsed = parse(raw);
        assert!(parsed.clauses.len() <= raw.chars().count());
        for clause in &parsed.clauses {
            match clause {
                Clause::Word(w) => {
                    assert!(!w.is_empty() && !w.contains(char::is_whitespace), "{w:?}");
                }
                Clause::Phrase(p) => assert!(!p.trim().is_empty(), "{p:?}"),
            }
        }
        static VOCABULARY: std::sync::LazyLock<QueryVocabulary> = std::sync::LazyLock::new(|| {
            QueryVocabulary::new(&Synonyms::builtin(), ["回款催收", "高层拜访"])
        });
        let fields = Fields::from_schema(&build_schema()).expect("fields");
        let mut analyzer = query_analyzer();
        let understood = understand(raw, Some(&VOCABULARY), &mut analyzer);
        let terms: Vec<Box<dyn Query>> = understood
            .terms
            .iter()
            .map(|term| term_query(term, &fields, &[("negotiation".to_owned(), 1)]))
            .collect();
        let _ = with_filters(all_of(&terms), vec![(fields.tags, vec![raw.to_owned()])]);
        parsed.clauses.len()
    }

    proptest! {
        #![proptest_config(config(128))]

        #[test]
        fn any_text_is_a_query(raw in nasty_string(100)) {
            check(&raw);
        }

        #[test]
        fn any_query_syntax_is_a_query(
            raw in pieces_string(&["\"", "“", "”", "「", "」", " ", "*", "+", "-", ":", "(", ")",
                "AND", "OR", "NOT", "\\", "~", "^2", "cross", "sel", "negotiat", "客户分级",
                "的", "回款", "VIP", "2024", "x", "\u{3000}", "\t"], 30),
        ) {
            check(&raw);
        }
    }

    #[test]
    fn ten_thousand_terms_parse_linearly() {
        for term in ["a", "回款", "\"x y\"", "sel*", "的", "VIP客户的回款"] {
            let raw = vec![term; 10_000].join(" ");
            assert_eq!(check(&raw), 10_000);
        }
        let quotes = "\"".repeat(10_000);
        assert_eq!(check(&quotes), 0);
        let long_word = "negotiation".repeat(10_000);
        assert_eq!(check(&long_word), 1);
    }
}
