//! Account and tier routes: the list, one account and its overrides, the lookup and briefing,
//! imports, case reviews, the tier model and the analytics across accounts.

pub mod analytics;
pub mod briefing;
pub mod detail;
pub mod import;
pub mod import_page;
pub mod list;
pub mod reviews;
pub mod tier_changes;
pub mod tier_model;
pub mod tier_model_page;

use serde::Deserialize;

use crate::app::briefing::Briefing;
use crate::app::languages::one_per_translation;
use crate::domain::recommend::MatchKind;
use crate::domain::Lang;
use crate::web::i18n::Ui;
use crate::web::view::{Choice, LanguageBadge};
use crate::web::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BriefingQuery {
    pub scenario: Option<String>,
}

/// The top-down part of the account page: scenario picker, alerts, what to do, cases, courses.
pub struct BriefingSection {
    pub scenario_choices: Vec<Choice>,
    pub briefing: Briefing,
    /// Per recommended playbook, the label of why it is recommended.
    pub match_labels: Vec<String>,
    /// Per recommended playbook, its language badge (an item in the other language only).
    pub playbook_badges: Vec<Option<LanguageBadge>>,
    /// Per related case, its language badge.
    pub case_badges: Vec<Option<LanguageBadge>>,
    pub figures_hidden: bool,
}

/// `items` with each item and its translations once, the version in `lang` first; with each
/// entry's language badge. `id_of` tells an entry's item id.
fn one_per_item<T>(
    items: Vec<T>,
    state: &AppState,
    lang: Lang,
    id_of: impl Fn(&T) -> &str,
) -> (Vec<T>, Vec<Option<LanguageBadge>>) {
    one_per_translation(
        items,
        lang,
        |entry| state.library.group_and_language_of(id_of(entry), lang),
        |_| None,
    )
    .into_iter()
    .map(|entry| (entry.item, LanguageBadge::for_lang(entry.other_language)))
    .unzip()
}

impl BriefingSection {
    /// The language badge of the `i`th recommended playbook.
    pub fn playbook_badge(&self, i: &usize) -> Option<&LanguageBadge> {
        self.playbook_badges.get(*i).and_then(Option::as_ref)
    }

    /// The language badge of the `i`th related case.
    pub fn case_badge(&self, i: &usize) -> Option<&LanguageBadge> {
        self.case_badges.get(*i).and_then(Option::as_ref)
    }

    pub fn new(mut briefing: Briefing, state: &AppState, lang: Lang) -> BriefingSection {
        let ui = Ui::for_lang(lang);
        let (playbooks, playbook_badges) = one_per_item(
            std::mem::take(&mut briefing.playbooks.items),
            state,
            lang,
            |p| p.id.as_str(),
        );
        briefing.playbooks.items = playbooks;
        let (cases, case_badges) =
            one_per_item(std::mem::take(&mut briefing.cases), state, lang, |c| {
                c.id.as_str()
            });
        briefing.cases = cases;
        let (courses, _) = one_per_item(std::mem::take(&mut briefing.courses), state, lang, |c| {
            c.id.as_str()
        });
        briefing.courses = courses;
        let taxonomy = state.library.taxonomy();
        let selected = briefing.scenario.clone().unwrap_or_default();
        let mut scenario_choices = vec![Choice {
            value: String::new(),
            label: ui.any_scenario.to_owned(),
            selected: selected.is_empty(),
        }];
        scenario_choices.extend(taxonomy.scenarios.iter().map(|s| Choice {
            value: s.id.clone(),
            label: s.label(lang).to_owned(),
            selected: s.id == selected,
        }));
        let match_labels = briefing
            .playbooks
            .items
            .iter()
            .map(|p| {
                let base = match p.match_kind {
                    MatchKind::Exact => ui.match_exact,
                    MatchKind::Tier => ui.match_tier,
                    MatchKind::Scenario => ui.match_scenario,
                    MatchKind::TierInScenario => ui.match_tier_in_scenario,
                    MatchKind::Nearest => ui.match_nearest,
                };
                match &p.written_for_tier {
                    Some(tier) => format!("{base}: {}", taxonomy.tier_label(tier, lang)),
                    None => base.to_owned(),
                }
            })
            .collect();
        BriefingSection {
            scenario_choices,
            match_labels,
            playbook_badges,
            case_badges,
            figures_hidden: briefing.account.figures.is_none(),
            briefing,
        }
    }
}
