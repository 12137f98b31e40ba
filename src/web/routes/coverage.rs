//! Coverage of tiers × scenarios by published playbooks, as JSON and as a page.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::app::access::Access;
use crate::app::languages::one_per_translation;
use crate::app::library::Library;
use crate::domain::content::Kind;
use crate::domain::coverage::{CellEntry, Coverage};
use crate::domain::policy::{self, Principal};
use crate::domain::Lang;
use crate::web::error::responses::Unauthenticated;
use crate::web::error::{AppError, OrPage, PageError};
use crate::web::page::{html, PageContext};
use crate::web::view::LanguageBadge;
use crate::web::AppState;

#[utoipa::path(
    get,
    path = "/api/v1/coverage",
    responses(
        (status = 200, description = "The tiers × scenarios matrix", body = crate::domain::coverage::Coverage),
        Unauthenticated,
    )
)]
pub async fn get_coverage(
    state: web::Data<AppState>,
) -> Result<web::Json<crate::domain::coverage::Coverage>, AppError> {
    Ok(web::Json(state.library.coverage()?))
}

pub struct CoverageCellView {
    /// Id, title, whether it serves every tier, its language badge.
    pub playbooks: Vec<(String, String, bool, Option<LanguageBadge>)>,
    /// For a gap, when the viewer may write playbooks: the editor with this cell's tier and
    /// scenario filled in.
    pub new_href: Option<String>,
}

pub struct CoverageRowView {
    pub tier_label: String,
    pub tier: String,
    pub cells: Vec<CoverageCellView>,
}

#[derive(Template)]
#[template(path = "coverage.html")]
pub struct CoveragePage {
    pub ctx: PageContext,
    pub scenario_labels: Vec<String>,
    pub rows: Vec<CoverageRowView>,
    pub filled: usize,
    pub gaps: usize,
}

fn coverage_page(
    ctx: PageContext,
    coverage: Coverage,
    library: &Library,
    access: &Access,
    can_write: bool,
) -> CoveragePage {
    let lang = ctx.lang;
    let taxonomy = library.taxonomy();
    // Each playbook and its translations once per cell, in the reader's language.
    let in_language = |entries: Vec<CellEntry>| {
        one_per_translation(
            entries,
            lang,
            |entry| library.group_and_language_of(&entry.id, lang),
            |group| {
                library
                    .translation_in(access, group, lang)
                    .map(|item| CellEntry {
                        all_tiers: item.tiers.is_empty(),
                        id: item.id,
                        title: item.title,
                    })
            },
        )
    };
    CoveragePage {
        scenario_labels: coverage
            .scenarios
            .iter()
            .map(|s| taxonomy.scenario_label(s, lang).to_owned())
            .collect(),
        rows: coverage
            .rows
            .into_iter()
            .zip(&coverage.tiers)
            .map(|(cells, tier)| CoverageRowView {
                tier_label: taxonomy.tier_label(tier, lang).to_owned(),
                tier: tier.clone(),
                cells: cells
                    .into_iter()
                    .map(|cell| CoverageCellView {
                        new_href: (can_write && cell.playbooks.is_empty()).then(|| {
                            let query = serde_urlencoded::to_string([
                                ("kind", "playbook"),
                                ("tier", cell.tier.as_str()),
                                ("scenario", cell.scenario.as_str()),
                            ])
                            .unwrap_or_default();
                            format!("/new?{query}")
                        }),
                        playbooks: in_language(cell.playbooks)
                            .into_iter()
                            .map(|e| {
                                let badge = LanguageBadge::for_lang(e.other_language);
                                (e.item.id, e.item.title, e.item.all_tiers, badge)
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
        filled: coverage.filled,
        gaps: coverage.gaps,
        ctx,
    }
}

pub async fn show_coverage(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
) -> Result<HttpResponse, PageError> {
    let ctx = PageContext::for_request(&req, &state, lang);
    let access = state.access(principal);
    let coverage = state.library.coverage().or_page(lang)?;
    let can_write = policy::can_write_content(&access.principal, Kind::Playbook);
    html(&coverage_page(
        ctx,
        coverage,
        &state.library,
        &access,
        can_write,
    ))
    .or_page(lang)
}
