//! The coverage matrix: tiers × scenarios, each cell listing the published playbooks written for
//! it. Empty cells are gaps in the scenario standardisation (DOMAIN.md §5) a trainer should fill.

use serde::Serialize;

use crate::domain::content::{ContentItem, Kind};
use crate::domain::taxonomy::Taxonomy;

/// A playbook listed in a cell.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CellEntry {
    pub id: String,
    pub title: String,
    /// True when the playbook names no tier and so serves every tier of this scenario.
    pub all_tiers: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Cell {
    pub tier: String,
    pub scenario: String,
    pub playbooks: Vec<CellEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Coverage {
    pub tiers: Vec<String>,
    pub scenarios: Vec<String>,
    /// Row-major: one row per tier, one cell per scenario, in taxonomy order.
    pub rows: Vec<Vec<Cell>>,
    pub filled: usize,
    pub gaps: usize,
}

/// Builds the matrix over the default preset's tiers. Only published playbooks count: a draft
/// does not close a gap. Each language's items count, since both serve their readers.
pub fn coverage<'a>(
    items: impl IntoIterator<Item = &'a ContentItem>,
    taxonomy: &Taxonomy,
) -> Coverage {
    let tiers: Vec<String> = taxonomy.tiers().iter().map(|t| t.id.clone()).collect();
    let scenarios: Vec<String> = taxonomy.scenarios.iter().map(|s| s.id.clone()).collect();
    let mut rows: Vec<Vec<Cell>> = tiers
        .iter()
        .map(|tier| {
            scenarios
                .iter()
                .map(|scenario| Cell {
                    tier: tier.clone(),
                    scenario: scenario.clone(),
                    playbooks: Vec::new(),
                })
                .collect()
        })
        .collect();
    let mut playbooks: Vec<&ContentItem> = items
        .into_iter()
        .filter(|item| item.kind == Kind::Playbook && item.is_published())
        .collect();
    playbooks.sort_by(|a, b| a.title.cmp(&b.title).then_with(|| a.id.cmp(&b.id)));
    for item in playbooks {
        for (tier_index, tier) in tiers.iter().enumerate() {
            if !item.covers_tier(tier) {
                continue;
            }
            for scenario in &item.scenarios {
                if let Some(scenario_index) = scenarios.iter().position(|s| s == scenario) {
                    rows[tier_index][scenario_index].playbooks.push(CellEntry {
                        id: item.id.clone(),
                        title: item.title.clone(),
                        all_tiers: item.tiers.is_empty(),
                    });
                }
            }
        }
    }
    let filled = rows
        .iter()
        .flatten()
        .filter(|c| !c.playbooks.is_empty())
        .count();
    let gaps = tiers.len() * scenarios.len() - filled;
    Coverage {
        tiers,
        scenarios,
        rows,
        filled,
        gaps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::content::parse_content;

    fn playbook(id: &str, tiers: &str, scenarios: &str, status: &str) -> ContentItem {
        let text = format!("---\nid: {id}\nkind: playbook\ntitle: {id}\ntiers: {tiers}\nscenarios: {scenarios}\nstatus: {status}\n---\n");
        parse_content("t.md", "t.md", &text, &Taxonomy::default()).unwrap()
    }

    #[test]
    fn a_playbook_fills_its_tier_and_scenario_cells_and_the_rest_are_gaps() {
        let items = [playbook(
            "a",
            "[strategic]",
            "[routine-visit, bidding]",
            "published",
        )];
        let coverage = coverage(&items, &Taxonomy::default());
        assert_eq!(coverage.filled, 2);
        assert_eq!(coverage.gaps, 4 * 13 - 2);
        let routine = coverage
            .scenarios
            .iter()
            .position(|s| s == "routine-visit")
            .unwrap();
        assert_eq!(coverage.rows[0][routine].playbooks[0].id, "a");
        assert!(coverage.rows[1][routine].playbooks.is_empty());
    }

    #[test]
    fn a_playbook_for_every_tier_fills_its_scenario_column_and_says_so() {
        let items = [playbook("ladder", "[]", "[collections]", "published")];
        let coverage = coverage(&items, &Taxonomy::default());
        assert_eq!(coverage.filled, 4);
        assert!(coverage.rows[3][12].playbooks[0].all_tiers);
    }

    #[test]
    fn drafts_do_not_close_a_gap() {
        let items = [playbook("d", "[major]", "[exhibition]", "draft")];
        assert_eq!(coverage(&items, &Taxonomy::default()).filled, 0);
    }
}
