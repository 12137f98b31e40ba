//! Snippets: a highlighted window of a hit's body around its rarest matched term, found with the
//! cheap bigram analyser first and with the index analyser as the fallback; text is escaped,
//! matches are wrapped in `<mark>`.

use tantivy::query::Query;
use tantivy::snippet::SnippetGenerator;

use super::SearchError;
use crate::search::tokenizer::snippet_analyzer;

/// Characters of body text in a snippet.
pub(super) const SNIPPET_CHARS: usize = 160;

pub(super) fn leading_chars(text: &str, n: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(n) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// Escapes text for HTML (element content and attribute values).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// Highlighted snippets of the body for one query. tantivy's `SnippetGenerator` tokenises the
/// text it is given, and with the index analyser (jieba) that was most of a search's time. So
/// the first try uses the cheap highlighting analyser (`tokenizer::snippet_analyzer`: Han
/// bigrams, which is what query words become) on a window of the body around the first literal
/// occurrence of the query's rarest term — where tantivy's best fragment, the one with the
/// rarest terms, almost always is. When that highlights nothing (a one-character word, a
/// Traditional spelling, a full-width letter), the whole body goes through the index analyser,
/// as before.
pub(super) struct Snippets {
    fast: SnippetGenerator,
    exact: SnippetGenerator,
    /// The query's terms in this field, rarest first.
    terms: Vec<String>,
}

/// Bytes of body kept before and after the first literal match (about 60 and 200 Chinese
/// characters: room for tantivy to pick the best 160-character fragment near it). Every byte
/// of the window goes through an analyser for each of the page's hits.
const WINDOW_BEFORE: usize = 180;
const WINDOW_AFTER: usize = 600;

impl Snippets {
    pub(super) fn create(
        searcher: &tantivy::Searcher,
        query: &dyn Query,
        field: tantivy::schema::Field,
    ) -> Result<Snippets, SearchError> {
        let mut exact = SnippetGenerator::create(searcher, query, field)?;
        exact.set_max_num_chars(SNIPPET_CHARS);
        let mut found = Vec::new();
        query.query_terms(&mut |term, _| {
            if term.field() == field {
                found.push(term.clone());
            }
        });
        let mut terms = Vec::with_capacity(found.len());
        for term in found {
            if let Some(text) = term.value().as_str() {
                terms.push((searcher.doc_freq(&term)?, text.to_owned()));
            }
        }
        terms.sort();
        terms.dedup();
        // The weights `SnippetGenerator::create` gives: rarer terms make a better fragment.
        let weights = terms
            .iter()
            .filter(|(doc_freq, _)| *doc_freq > 0)
            .map(|(doc_freq, text)| (text.clone(), 1.0 / (1.0 + *doc_freq as f32)))
            .collect();
        Ok(Snippets {
            fast: SnippetGenerator::new(weights, snippet_analyzer(), field, SNIPPET_CHARS),
            exact,
            terms: terms.into_iter().map(|(_, text)| text).collect(),
        })
    }

    /// The snippet as HTML (escaped text, `<mark>` around matches), or `None` without a match.
    /// The index analyser reads the same window first (an English word's stem is found there
    /// literally, `negoti` in `negotiation`, where the bigram analyser does not stem), and the
    /// whole body only when the window highlights nothing: analysing whole bodies was nearly
    /// half of a search's time at 10,000 documents (`perf`, `cargo bench --bench suite`).
    pub(super) fn html(&self, body: &str) -> Option<String> {
        let window = self.window(body);
        let mut snippet = self.fast.snippet(window);
        if snippet.is_empty() {
            snippet = self.exact.snippet(window);
        }
        if snippet.is_empty() && window.len() < body.len() {
            snippet = self.exact.snippet(body);
        }
        snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
        (!snippet.is_empty()).then(|| snippet.to_html())
    }

    fn window<'a>(&self, body: &'a str) -> &'a str {
        if body.len() <= WINDOW_BEFORE + WINDOW_AFTER {
            return body;
        }
        // ASCII lower-casing keeps byte offsets; terms are lower-case already.
        let lower = body.to_ascii_lowercase();
        let Some(first) = self.terms.iter().find_map(|t| lower.find(t.as_str())) else {
            return body;
        };
        let mut start = first.saturating_sub(WINDOW_BEFORE);
        while !body.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (first + WINDOW_AFTER).min(body.len());
        while !body.is_char_boundary(end) {
            end += 1;
        }
        &body[start..end]
    }
}
