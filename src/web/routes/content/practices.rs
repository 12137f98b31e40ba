//! Best practices: marking a case's moves and listing the shared ones.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::domain::capture::Practice;
use crate::domain::ids::ItemId;
use crate::domain::policy::Principal;
use crate::domain::workflow::Version;
use crate::domain::{policy, Lang};
use crate::web::blocking::blocking;
use crate::web::error::responses::{
    EditConflict, Forbidden, InvalidContent, NotFound, TooLarge, Unauthenticated,
};
use crate::web::error::{AppError, OrPage, PageError};
use crate::web::guard::require;
use crate::web::page::{html, PageContext};
use crate::web::routes::content::{to_item_done, Pick, Saved};
use crate::web::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BestBody {
    pub best: bool,
}

/// `PUT /api/v1/content/{id}/moves/{n}` with `{"best": true}` (managers, admins).
#[utoipa::path(
    put,
    path = "/api/v1/content/{id}/moves/{n}",
    params(("id" = String, Path, description = "Item id"), ("n" = usize, Path, description = "Move number, from 1")),
    request_body = BestBody,
    responses(
        (status = 200, description = "Marked", body = Saved),
        InvalidContent,
        Unauthenticated,
        Forbidden,
        NotFound,
        EditConflict,
        TooLarge,
    )
)]
pub async fn mark_move(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(ItemId, usize)>,
    body: web::Json<BestBody>,
) -> Result<web::Json<Saved>, AppError> {
    let (id, n) = path.into_inner();
    let version = mark_best(&state, &principal, &id, n, body.best).await?;
    Ok(web::Json(Saved::of(&version)))
}

async fn mark_best(
    state: &AppState,
    principal: &Principal,
    id: &ItemId,
    n: usize,
    best: bool,
) -> Result<Version, AppError> {
    let access = state.access(principal.clone());
    state.library.readable_item(&access, id)?;
    require(
        policy::can_review_cases(principal),
        principal,
        "marking best practices",
        "managers and admins",
    )?;
    let library = state.library.clone();
    let (id, by) = (id.to_owned(), principal.user.clone());
    blocking(move || library.mark_best_practice(&id, n, best, &by)).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PracticeQuery {
    pub tier: Option<String>,
    pub scenario: Option<String>,
}

/// `GET /api/v1/practices?tier=&scenario=`.
#[utoipa::path(
    get,
    path = "/api/v1/practices",
    params(PracticeQuery),
    responses(
        (status = 200, description = "Best practices of published cases", body = Vec<crate::domain::capture::Practice>),
        InvalidContent,
        Unauthenticated,
    )
)]
pub async fn list_practices(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<PracticeQuery>,
) -> Result<web::Json<Vec<Practice>>, AppError> {
    let access = state.access(principal);
    let practices =
        state
            .library
            .practices(&access, query.tier.as_deref(), query.scenario.as_deref())?;
    Ok(web::Json(practices))
}

#[derive(Template)]
#[template(path = "practices.html")]
pub struct PracticesPage {
    pub ctx: PageContext,
    pub tier: String,
    pub scenario: String,
    pub tiers: Vec<Pick>,
    pub scenarios: Vec<Pick>,
    pub practices: Vec<PracticeView>,
}

/// A best practice with its tiers (id, label) and scenarios named in the UI language.
pub struct PracticeView {
    pub p: Practice,
    pub tiers: Vec<(String, String)>,
    pub scenarios: Vec<String>,
}

/// `GET /practices?tier=&scenario=`: best practices to cite.
pub async fn show_practices(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    query: web::Query<PracticeQuery>,
) -> Result<HttpResponse, PageError> {
    let taxonomy = state.library.taxonomy();
    let tier = query.tier.clone().unwrap_or_default();
    let scenario = query.scenario.clone().unwrap_or_default();
    let access = state.access(principal);
    let practices = state
        .library
        .practices(&access, Some(&tier), Some(&scenario))
        .or_page(lang)?;
    html(&PracticesPage {
        ctx: PageContext::for_request(&req, &state, lang),
        tiers: taxonomy
            .all_tier_ids()
            .iter()
            .map(|t| Pick {
                value: (*t).to_owned(),
                label: taxonomy.tier_label(t, lang).to_owned(),
                checked: *t == tier,
            })
            .collect(),
        scenarios: taxonomy
            .scenario_ids()
            .iter()
            .map(|s| Pick {
                value: (*s).to_owned(),
                label: taxonomy.scenario_label(s, lang).to_owned(),
                checked: *s == scenario,
            })
            .collect(),
        tier,
        scenario,
        practices: practices
            .into_iter()
            .map(|p| PracticeView {
                tiers: p
                    .tiers
                    .iter()
                    .map(|t| (t.clone(), taxonomy.tier_label(t, lang).to_owned()))
                    .collect(),
                scenarios: p
                    .scenarios
                    .iter()
                    .map(|s| taxonomy.scenario_label(s, lang).to_owned())
                    .collect(),
                p,
            })
            .collect(),
    })
    .or_page(lang)
}

#[derive(Deserialize)]
pub struct MoveForm {
    best: String,
    #[serde(default, rename = "csrf")]
    _csrf: String,
}

/// `POST /content/{id}/moves/{n}`: mark or unmark a best practice.
pub async fn submit_move(
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    path: web::Path<(ItemId, usize)>,
    form: web::Form<MoveForm>,
) -> Result<HttpResponse, PageError> {
    let (id, n) = path.into_inner();
    mark_best(&state, &principal, &id, n, form.best == "1")
        .await
        .or_page(lang)?;
    Ok(to_item_done(&id, "curated"))
}
