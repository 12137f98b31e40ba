//! Analytics across all accounts for managers: the Pareto picture and the tier export (tier
//! changes are in `tier_changes`).

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::app::account_book::{ParetoView, TiersCsv};
use crate::domain::pareto::TierBand;
use crate::domain::policy::Principal;
use crate::domain::tiering::Indicator;
use crate::domain::Lang;
use crate::web::chart::LorenzChart;
use crate::web::error::responses::{BadInput, Forbidden, Unauthenticated};
use crate::web::error::{AppError, OrPage, PageError};
use crate::web::guard::require_analytics;
use crate::web::page::{html, PageContext};
use crate::web::view::{pareto_figures, Choice};
use crate::web::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ParetoQuery {
    /// Default `revenue`.
    #[param(value_type = Option<crate::domain::tiering::Indicator>)]
    pub indicator: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/pareto",
    params(ParetoQuery),
    responses(
        (status = 200, description = "The 80/20 figures of an indicator", body = ParetoView),
        BadInput,
        Unauthenticated,
        Forbidden,
    )
)]
pub async fn get_pareto(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<ParetoQuery>,
) -> Result<web::Json<ParetoView>, AppError> {
    require_analytics(&principal)?;
    let indicator = query.indicator.as_deref().unwrap_or("revenue");
    Ok(web::Json(state.accounts.pareto(indicator)?))
}

/// `tiers.csv` as a streamed body (see [`TiersCsv`]).
struct CsvBody(TiersCsv);

impl MessageBody for CsvBody {
    type Error = csv::Error;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Poll::Ready(self.0.next().map(|chunk| chunk.map(Bytes::from)))
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/tiers.csv",
    responses(
        (status = 200, description = "Every account's tier as CSV", content_type = "text/csv", body = String),
        Unauthenticated,
        Forbidden,
    )
)]
pub async fn export_tiers_csv(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, AppError> {
    require_analytics(&principal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"tiers.csv\"",
        ))
        .body(CsvBody(TiersCsv::new(state.accounts.state()))))
}

pub struct BandLegend {
    pub tier: String,
    pub label: String,
    pub count: usize,
    pub share: String,
}

#[derive(Template)]
#[template(path = "pareto.html")]
pub struct ParetoPage {
    pub ctx: PageContext,
    pub indicators: Vec<Choice>,
    pub indicator_label: &'static str,
    pub sentences: Vec<String>,
    pub chart: Option<LorenzChart>,
    pub x_axis: String,
    pub y_axis: String,
    pub legend: Vec<BandLegend>,
}

fn pareto_page(ctx: PageContext, view: ParetoView) -> ParetoPage {
    let lang = ctx.lang;
    let ui = ctx.ui;
    let p = &view.pareto;
    let figures = pareto_figures(&view);
    let bands: Vec<(TierBand, String)> = view
        .bands
        .iter()
        .map(|b| {
            let label = match lang {
                Lang::Zh => b.label_zh.clone(),
                Lang::En => b.label_en.clone(),
            };
            (b.clone(), label)
        })
        .collect();
    let chart = (!p.curve.is_empty()).then(|| {
        LorenzChart::new(
            &p.curve,
            &bands,
            p.accounts_for_80pct
                .map(|c| 100.0 * c as f64 / p.n.max(1) as f64),
        )
    });
    ParetoPage {
        indicators: Indicator::ALL
            .iter()
            .map(|i| Choice {
                value: i.name().to_owned(),
                label: ui.indicator(*i).to_owned(),
                selected: *i == view.indicator,
            })
            .collect(),
        indicator_label: ui.indicator(view.indicator),
        sentences: ui.pareto_sentences(&figures),
        chart,
        x_axis: ui.pareto_x_axis(view.indicator),
        y_axis: ui.pareto_y_axis(view.indicator),
        legend: bands
            .into_iter()
            .map(|(b, label)| BandLegend {
                share: format!("{:.1}%", b.x_end - b.x_start),
                tier: b.tier,
                label,
                count: b.count,
            })
            .collect(),
        ctx,
    }
}

pub async fn show_pareto(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    query: web::Query<ParetoQuery>,
) -> Result<HttpResponse, PageError> {
    require_analytics(&principal).or_page(lang)?;
    let ctx = PageContext::for_request(&req, &state, lang);
    let indicator = query.indicator.as_deref().unwrap_or("revenue");
    let view = state.accounts.pareto(indicator).or_page(lang)?;
    html(&pareto_page(ctx, view)).or_page(lang)
}
