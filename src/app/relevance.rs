//! Measured relevance: a judged set of queries (each with the items that would be a fitting
//! answer) run against a library, scored as success@3 (a fitting item among the first three),
//! MRR@10 (the mean of 1 / rank of the first fitting item within ten) and the zero-hit rate.
//! `playbook eval-search` prints the report; `tests/api/relevance.rs` holds the bundled
//! library to the levels in `docs/search.md`.

use serde::Deserialize;

use crate::app::library::{Library, SearchParams};
use crate::search::index::Visibility;

/// One judged query.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Judged {
    pub q: String,
    /// Ids of the items that answer it.
    pub ok: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JudgedFile {
    queries: Vec<Judged>,
}

/// How one query did.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub q: String,
    /// Rank (from 1) of the first fitting item among the first ten.
    pub first_fit: Option<usize>,
    pub total: usize,
    /// The first three ids returned.
    pub top: Vec<String>,
}

/// The scores of a judged set.
#[derive(Debug, Clone)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
    pub success_at_3: f64,
    pub mrr_at_10: f64,
    pub zero_hit_rate: f64,
}

impl Report {
    /// The report as a text table, worst queries first, then the three scores.
    pub fn to_text(&self) -> String {
        let mut lines = Vec::new();
        let mut outcomes: Vec<&Outcome> = self.outcomes.iter().collect();
        outcomes.sort_by_key(|o| std::cmp::Reverse(o.first_fit.unwrap_or(usize::MAX)));
        for o in outcomes {
            let rank = o.first_fit.map_or("—".to_owned(), |r| r.to_string());
            lines.push(format!(
                "{rank:>3}  {:>3} hits  {}  → {}",
                o.total,
                o.q,
                o.top.join(", ")
            ));
        }
        lines.push(format!(
            "\n{} queries: success@3 {:.3}, MRR@10 {:.3}, zero-hit rate {:.3}",
            self.outcomes.len(),
            self.success_at_3,
            self.mrr_at_10,
            self.zero_hit_rate
        ));
        lines.join("\n")
    }
}

/// Reads a judged set (`queries: [{q, ok: [id, …]}, …]`); the error names what is wrong.
pub fn parse_judged(yaml: &str) -> Result<Vec<Judged>, String> {
    let file: JudgedFile = serde_yaml_ng::from_str(yaml).map_err(|e| e.to_string())?;
    if let Some((i, j)) = file
        .queries
        .iter()
        .enumerate()
        .find(|(_, j)| j.ok.is_empty() || j.q.trim().is_empty())
    {
        return Err(format!(
            "queries[{i}] ({:?}): a query and at least one fitting id are needed",
            j.q
        ));
    }
    Ok(file.queries)
}

/// Runs `judged` against `library` as a reader of published items.
pub fn evaluate(
    library: &Library,
    judged: &[Judged],
) -> Result<Report, crate::app::library::LibraryError> {
    let mut outcomes = Vec::with_capacity(judged.len());
    for j in judged {
        let params = SearchParams {
            q: Some(j.q.clone()),
            limit: Some(10),
            ..SearchParams::default()
        };
        let results = library.search(&params, &Visibility::published())?;
        let ids: Vec<String> = results.hits.iter().map(|h| h.id.clone()).collect();
        outcomes.push(Outcome {
            q: j.q.clone(),
            first_fit: ids.iter().position(|id| j.ok.contains(id)).map(|p| p + 1),
            total: results.total,
            top: ids.into_iter().take(3).collect(),
        });
    }
    let n = outcomes.len().max(1) as f64;
    let success = outcomes
        .iter()
        .filter(|o| o.first_fit.is_some_and(|r| r <= 3))
        .count() as f64;
    let mrr: f64 = outcomes
        .iter()
        .filter_map(|o| o.first_fit)
        .map(|r| 1.0 / r as f64)
        .sum();
    let zero = outcomes.iter().filter(|o| o.total == 0).count() as f64;
    Ok(Report {
        outcomes,
        success_at_3: success / n,
        mrr_at_10: mrr / n,
        zero_hit_rate: zero / n,
    })
}
