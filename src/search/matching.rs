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

/// Relaxes a search of `present.len()` terms, of which `present[i]` says whether term `i`
/// matches anything the searcher may see, and whether the search with every term has run
/// (`all_ran`): finds the most terms `k` for which `search(k)` gives a page (`RELAX_BELOW`),
/// from as many as are present down to one, by halving (a query of many words costs a few
/// passes, not one per word). Answers `k` and what its search gave; `None` when no term
/// matches anything.
pub fn relax<T>(
    present: &[bool],
    all_ran: bool,
    mut search: impl FnMut(usize) -> tantivy::Result<(usize, T)>,
) -> tantivy::Result<Option<(usize, T)>> {
    let usable = present.iter().filter(|p| **p).count();
    if usable == 0 {
        return Ok(None);
    }
    let start = match all_ran && usable == present.len() {
        true => usable - 1,
        false => usable,
    }
    .max(1);
    let (found, result) = search(start)?;
    if found >= RELAX_BELOW || start == 1 {
        return Ok(Some((start, result)));
    }
    // `start` finds too few; fewer terms find at least as many. Search (lo, hi] for the
    // largest k that finds a page; one term is the floor.
    let (mut lo, mut hi) = (0, start - 1);
    let mut best: Option<(usize, T)> = None;
    while lo < hi {
        let k = lo + (hi - lo).div_ceil(2);
        let (found, result) = search(k)?;
        if found >= RELAX_BELOW {
            best = Some((k, result));
            lo = k;
        } else {
            hi = k - 1;
        }
    }
    match best {
        Some(best) => Ok(Some(best)),
        None => search(1).map(|(_, result)| Some((1, result))),
    }
}

/// Items matching at least `at_least` of `terms`; each matched term adds [`MATCH_BONUS`] and
/// its relevance.
pub fn ranked(terms: &[Box<dyn Query>], at_least: usize) -> Box<dyn Query> {
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

/// Whether `query` matches any document at all (visibility aside): a look at the first match
/// of each segment, however many there are.
pub fn matches_any(searcher: &Searcher, query: &dyn Query) -> tantivy::Result<bool> {
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    for reader in searcher.segment_readers() {
        if weight.scorer(reader, 1.0)?.doc() != tantivy::TERMINATED {
            return Ok(true);
        }
    }
    Ok(false)
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

    #[test]
    fn the_number_of_terms_needed_drops_until_a_page_is_full() {
        // Four terms, all present: all four already ran; three find 4 items, two 12.
        let mut asked = Vec::new();
        let (at_least, found) = relax(&[true; 4], true, |k| {
            asked.push(k);
            Ok((if k >= 3 { 4 } else { 12 }, k))
        })
        .unwrap()
        .expect("relaxed");
        assert_eq!((at_least, found), (2, 2));
        assert_eq!(asked[0], 3);
    }

    #[test]
    fn many_words_cost_a_few_passes_not_one_per_word() {
        // 40 words; a page only with at most 5 of them.
        let mut passes = 0;
        let (at_least, _) = relax(&[true; 40], true, |k| {
            passes += 1;
            Ok((if k <= 5 { 10 } else { 3 }, ()))
        })
        .unwrap()
        .expect("relaxed");
        assert_eq!(at_least, 5);
        assert!(passes <= 8, "{passes} passes");
    }

    #[test]
    fn words_the_library_never_uses_are_left_out_from_the_start() {
        let mut asked = Vec::new();
        let (at_least, _) = relax(&[true, false, true], true, |k| {
            asked.push(k);
            Ok((20, ()))
        })
        .unwrap()
        .expect("relaxed");
        assert_eq!((at_least, asked), (2, vec![2]));
    }

    #[test]
    fn one_term_is_the_floor_and_a_corrected_term_is_tried_with_all_the_others() {
        let (at_least, _) = relax(&[true, true], true, |_| Ok((1, ())))
            .unwrap()
            .expect("relaxed");
        assert_eq!(at_least, 1);
        let mut asked = Vec::new();
        relax(&[true, true], false, |k| {
            asked.push(k);
            Ok((10, ()))
        })
        .unwrap();
        assert_eq!(asked, vec![2]);
    }

    #[test]
    fn nothing_to_relax_when_no_term_matches_anything() {
        assert!(relax(&[false, false], true, |_| Ok((0, ())))
            .unwrap()
            .is_none());
    }
}
