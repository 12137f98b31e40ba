//! Coverage of tiers × scenarios by published playbooks, as JSON and as a page.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::domain::coverage::Coverage;
use crate::domain::taxonomy::Taxonomy;
use crate::domain::Lang;
use crate::web::error::responses::Unauthenticated;
use crate::web::error::{AppError, OrPage, PageError};
use crate::web::page::{html, PageContext};
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
    pub playbooks: Vec<(String, String, bool)>,
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

fn coverage_page(ctx: PageContext, coverage: Coverage, taxonomy: &Taxonomy) -> CoveragePage {
    let lang = ctx.lang;
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
                        playbooks: cell
                            .playbooks
                            .into_iter()
                            .map(|p| (p.id, p.title, p.all_tiers))
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
) -> Result<HttpResponse, PageError> {
    let ctx = PageContext::for_request(&req, &state, lang);
    let coverage = state.library.coverage().or_page(lang)?;
    html(&coverage_page(ctx, coverage, state.library.taxonomy())).or_page(lang)
}
