//! Related items for the briefing: the items that share the most words with a context (an
//! account's industry and region, its own reviews), within filters and what a viewer may see.

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{TantivyDocument, Term};

use super::snippets::Snippets;
use super::{Filters, Hit, SearchError, SearchIndex, Visibility};
use crate::search::query::with_filters;

/// Related items: `filters` must hold, and items sharing more words with `context` (an
/// account's industry, its recent reviews…) rank higher. Only items `visibility` allows are
/// returned.
pub struct SimilarRequest<'a> {
    pub filters: Filters,
    pub visibility: &'a Visibility,
    pub context: &'a str,
    /// Items about this account are left out (the caller lists them first on their own).
    pub exclude_account: Option<&'a str>,
    pub limit: usize,
}

impl SearchIndex {
    /// Items matching the filters, ranked by how many context words they share (BM25).
    pub fn similar(&self, request: &SimilarRequest<'_>) -> Result<Vec<Hit>, SearchError> {
        let f = &self.fields;
        let mut analyzer = self.analyzer.clone();
        let mut words: Vec<String> = Vec::new();
        let mut stream = analyzer.token_stream(request.context);
        while let Some(token) = stream.next() {
            if token.text.chars().count() >= 2 && !words.contains(&token.text) && words.len() < 64 {
                words.push(token.text.clone());
            }
        }
        let should: Vec<(Occur, Box<dyn Query>)> = words
            .iter()
            .flat_map(|word| {
                [f.title, f.body].map(|field| {
                    let q: Box<dyn Query> = Box::new(TermQuery::new(
                        Term::from_field_text(field, word),
                        IndexRecordOption::WithFreqs,
                    ));
                    (Occur::Should, q)
                })
            })
            .collect();
        let context_query: Option<Box<dyn Query>> =
            (!should.is_empty()).then(|| Box::new(BooleanQuery::new(should)) as Box<dyn Query>);
        let filters = self.filter_terms(&request.filters);
        let restrict = self.visible_only(with_filters(None, filters), request.visibility);
        let mut clauses = vec![(Occur::Must, restrict)];
        if let Some(context) = &context_query {
            clauses.push((Occur::Should, context.box_clone()));
        }
        if let Some(account) = request.exclude_account {
            clauses.push((
                Occur::MustNot,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.account, account),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(request.limit.max(1)))?;
        let generator = match &context_query {
            Some(q) => Some(Snippets::create(&searcher, &**q, f.body)?),
            None => None,
        };
        top.into_iter()
            .map(|(score, address)| {
                let document: TantivyDocument = searcher.doc(address)?;
                Ok(self.hit(&document, score, generator.as_ref()))
            })
            .collect()
    }
}
