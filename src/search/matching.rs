//! The matching strategy: how many terms of a query an item must match.
//!
//! Items with every term rank first. When they are fewer than a page, items with all but one
//! term join them, then all but two, … down to one term (Elasticsearch's
//! `minimum_should_match`, lowered step by step), stopping as soon as there are enough. Words
//! the library never uses cannot match and are left out from the start. Among the results an
//! item matching more terms always ranks higher (a fixed bonus per matched term), then BM25
//! decides, which weighs rare terms more than common ones.

use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, EnableScoring, Occur, Query};
use tantivy::{DocAddress, DocId, Searcher};

/// Fewer results than this with every term: relax.
pub const RELAX_BELOW: usize = 10;

/// Score added per left-out term an item matches anyway: above any BM25 score of the required
/// terms, so an item matching more terms always ranks higher.
const MATCH_BONUS: f32 = 1_000.0;

/// Score added to items in the query's language when the query reaches the other language
/// through its synonyms: below a matched term, above relevance.
pub const LANGUAGE_BONUS: f32 = 100.0;

/// A relaxed search: how many terms each result matches at least, and the ranked query.
pub struct Relaxed {
    pub at_least: usize,
    pub query: Box<dyn Query>,
}

/// The relaxed search for `terms`, given how many visible items match each (`counts`),
/// whether the search with every one of them has run (`all_ran`), and a way to count the items
/// a query matches. `None` when no term matches anything.
pub fn relax(
    terms: &[Box<dyn Query>],
    counts: &[usize],
    all_ran: bool,
    mut count_at_least: impl FnMut(&dyn Query) -> tantivy::Result<usize>,
) -> tantivy::Result<Option<Relaxed>> {
    let usable = counts.iter().filter(|c| **c > 0).count();
    if usable == 0 {
        return Ok(None);
    }
    let start = match all_ran && usable == terms.len() {
        true => usable - 1,
        false => usable,
    };
    for at_least in (1..=start.max(1)).rev() {
        let query = ranked(terms, at_least);
        if at_least == 1 || count_at_least(&*query)? >= RELAX_BELOW {
            return Ok(Some(Relaxed { at_least, query }));
        }
    }
    Ok(None)
}

/// Items matching at least `at_least` of `terms`; each matched term adds [`MATCH_BONUS`] and
/// its relevance.
fn ranked(terms: &[Box<dyn Query>], at_least: usize) -> Box<dyn Query> {
    let clauses: Vec<(Occur, Box<dyn Query>)> = terms
        .iter()
        .map(|term| {
            let scored: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
                (
                    Occur::Should,
                    Box::new(ConstScoreQuery::new(term.box_clone(), MATCH_BONUS)),
                ),
                (Occur::Should, term.box_clone()),
            ]));
            (Occur::Should, scored)
        })
        .collect();
    Box::new(BooleanQuery::with_minimum_required_clauses(
        clauses, at_least,
    ))
}

/// `query` plus [`LANGUAGE_BONUS`] for items matching `preferred`.
pub fn preferring(query: Box<dyn Query>, preferred: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(vec![
        (Occur::Must, query),
        (
            Occur::Should,
            Box::new(BoostQuery::new(
                Box::new(ConstScoreQuery::new(preferred, 1.0)),
                LANGUAGE_BONUS,
            )),
        ),
    ]))
}

/// For each of `hits`, the indices of the `terms` it does not match.
pub fn missing_terms(
    searcher: &Searcher,
    terms: &[Box<dyn Query>],
    hits: &[DocAddress],
) -> tantivy::Result<Vec<Vec<usize>>> {
    let weights = terms
        .iter()
        .map(|t| t.weight(EnableScoring::disabled_from_searcher(searcher)))
        .collect::<tantivy::Result<Vec<_>>>()?;
    let mut missing = Vec::with_capacity(hits.len());
    for address in hits {
        let reader = searcher.segment_reader(address.segment_ord);
        let mut lacks = Vec::new();
        for (i, weight) in weights.iter().enumerate() {
            let mut scorer = weight.scorer(reader, 1.0)?;
            let doc: DocId = address.doc_id;
            if scorer.doc() > doc || scorer.seek(doc) != doc {
                lacks.push(i);
            }
        }
        missing.push(lacks);
    }
    Ok(missing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::query::{AllQuery, EmptyQuery};

    fn queries(n: usize) -> Vec<Box<dyn Query>> {
        (0..n)
            .map(|_| Box::new(AllQuery) as Box<dyn Query>)
            .collect()
    }

    #[test]
    fn the_number_of_terms_needed_drops_until_a_page_is_full() {
        let terms = queries(4);
        let mut asked = 0;
        // Every term is used somewhere: all four already ran; three find 4 items, two 12.
        let relaxed = relax(&terms, &[40, 30, 20, 10], true, |_| {
            asked += 1;
            Ok(if asked == 1 { 4 } else { 12 })
        })
        .unwrap()
        .expect("relaxed");
        assert_eq!((relaxed.at_least, asked), (2, 2));
    }

    #[test]
    fn words_the_library_never_uses_are_left_out_from_the_start() {
        let terms = queries(3);
        let mut asked = 0;
        let relaxed = relax(&terms, &[5, 0, 3], true, |_| {
            asked += 1;
            Ok(20)
        })
        .unwrap()
        .expect("relaxed");
        // Two usable terms: at least two is tried first, and is enough.
        assert_eq!((relaxed.at_least, asked), (2, 1));
    }

    #[test]
    fn one_term_is_the_floor() {
        let terms = queries(2);
        let relaxed = relax(&terms, &[5, 3], true, |_| Ok(1))
            .unwrap()
            .expect("relaxed");
        assert_eq!(relaxed.at_least, 1);
    }

    #[test]
    fn nothing_to_relax_when_no_term_matches_anything() {
        let terms: Vec<Box<dyn Query>> = vec![Box::new(EmptyQuery), Box::new(EmptyQuery)];
        assert!(relax(&terms, &[0, 0], true, |_| Ok(0)).unwrap().is_none());
    }
}
