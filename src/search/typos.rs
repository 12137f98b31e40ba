//! Typo tolerance for Latin words: the indexed words an edit or two away from a typed one
//! (one edit from five letters, two from nine, as Meilisearch allows), found in the term
//! dictionaries of the text fields. Only a word that matches nothing is looked up, so the cost
//! falls on searches that would otherwise come back empty.

use tantivy::schema::Field;
use tantivy::Searcher;

/// Most candidates listed for one word; the caller keeps the first few a reader can see.
const MAX_CANDIDATES: usize = 16;

/// The edits allowed for a typed Latin word of `letters` letters (none below five).
pub fn allowed_edits(letters: usize) -> u8 {
    match letters {
        9.. => 2,
        5.. => 1,
        _ => 0,
    }
}

/// Indexed terms of `fields` within `max` edits of `token` (sharing its first letter, as
/// typos at the start of a word are rare and the dictionary is read by that letter): the
/// closest first, then those sharing the longest start with `token`. Not by how many items
/// hold them: those counts include items the searcher may not see.
pub fn corrections(
    searcher: &Searcher,
    fields: &[Field],
    token: &str,
    max: u8,
) -> tantivy::Result<Vec<(String, u8)>> {
    let Some(first) = token.chars().next().filter(char::is_ascii_lowercase) else {
        return Ok(Vec::new());
    };
    if max == 0 {
        return Ok(Vec::new());
    }
    let from = first.to_string();
    let to = ((first as u8) + 1) as char;
    let mut found: Vec<(String, u8)> = Vec::new();
    for reader in searcher.segment_readers() {
        for &field in fields {
            let index = reader.inverted_index(field)?;
            let mut stream = index
                .terms()
                .range()
                .ge(&from)
                .lt(to.to_string())
                .into_stream()?;
            while stream.advance() {
                let Ok(candidate) = std::str::from_utf8(stream.key()) else {
                    continue;
                };
                if candidate == token {
                    continue;
                }
                if let Some(distance) = bounded_distance(token, candidate, max) {
                    if !found.iter().any(|(c, _)| c == candidate) {
                        found.push((candidate.to_owned(), distance));
                    }
                }
            }
        }
    }
    let shared = |candidate: &str| {
        candidate
            .chars()
            .zip(token.chars())
            .take_while(|(a, b)| a == b)
            .count()
    };
    found.sort_by(|a, b| {
        a.1.cmp(&b.1)
            .then(shared(&b.0).cmp(&shared(&a.0)))
            .then(a.0.cmp(&b.0))
    });
    found.truncate(MAX_CANDIDATES);
    Ok(found)
}

/// The Damerau–Levenshtein distance (adjacent swaps count one) of `a` and `b` if it is at most
/// `max`, in time linear in the words' length for a small `max`.
pub fn bounded_distance(a: &str, b: &str, max: u8) -> Option<u8> {
    if a.chars().count().abs_diff(b.chars().count()) > usize::from(max) {
        return None;
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let max = max as usize;
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let (n, m) = (a.len(), b.len());
    let far = max + 1;
    let mut before = vec![far; m + 1];
    let mut previous: Vec<usize> = (0..=m).map(|j| j.min(far)).collect();
    for i in 1..=n {
        let mut current = vec![far; m + 1];
        current[0] = i.min(far);
        let (lo, hi) = (i.saturating_sub(max).max(1), (i + max).min(m));
        let mut best = current[0];
        for j in lo..=hi {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (previous[j - 1] + cost)
                .min(previous[j] + 1)
                .min(current[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            current[j] = d.min(far);
            best = best.min(current[j]);
        }
        if best > max {
            return None;
        }
        before = previous;
        previous = current;
    }
    (previous[m] <= max).then_some(previous[m] as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_count_insertions_deletions_substitutions_and_swaps() {
        assert_eq!(bounded_distance("negotiation", "negotiation", 2), Some(0));
        assert_eq!(bounded_distance("negotation", "negotiation", 2), Some(1));
        assert_eq!(bounded_distance("loyality", "loyalty", 1), Some(1));
        assert_eq!(bounded_distance("recieve", "receive", 1), Some(1));
        assert_eq!(bounded_distance("pruning", "printing", 1), None);
        assert_eq!(bounded_distance("pruning", "printing", 2), Some(2));
        assert_eq!(bounded_distance("abc", "abcdef", 2), None);
    }

    #[test]
    fn short_words_get_no_typos_long_ones_two() {
        assert_eq!(allowed_edits(4), 0);
        assert_eq!(allowed_edits(5), 1);
        assert_eq!(allowed_edits(9), 2);
    }
}
