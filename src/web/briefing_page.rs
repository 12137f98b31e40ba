//! The briefing's parts of the account page, and the lookup page (the lookup box without
//! JavaScript).

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::app::briefing::{Briefing, LookupView};
use crate::domain::recommend::MatchKind;
use crate::domain::Lang;
use crate::web::api::{lookup_query, LookupQuery};
use crate::web::error::{OrPage, PageError};
use crate::web::i18n::Ui;
use crate::web::page::{html, PageContext};
use crate::web::pages::Choice;
use crate::web::AppState;

/// The top-down part of the account page: scenario picker, alerts, what to do, cases, courses.
pub struct BriefingSection {
    pub scenario_choices: Vec<Choice>,
    pub briefing: Briefing,
    /// Per recommended playbook, the label of why it is recommended.
    pub match_labels: Vec<String>,
    pub figures_hidden: bool,
}

impl BriefingSection {
    pub fn new(briefing: Briefing, state: &AppState, lang: Lang) -> BriefingSection {
        let ui = Ui::for_lang(lang);
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
            figures_hidden: briefing.account.figures.is_none(),
            briefing,
        }
    }
}

#[derive(Template)]
#[template(path = "find.html")]
pub struct FindPage {
    pub ctx: PageContext,
    pub q: String,
    pub hits: Vec<LookupView>,
}

pub async fn find_accounts(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    query: web::Query<LookupQuery>,
) -> Result<HttpResponse, PageError> {
    let ctx = PageContext::for_request(&req, &state, lang);
    let q = lookup_query(&query.q).or_page(lang)?;
    let hits = state.finder.lookup(&state.accounts, q, lang);
    html(&FindPage {
        ctx,
        q: q.to_owned(),
        hits,
    })
    .or_page(lang)
}
