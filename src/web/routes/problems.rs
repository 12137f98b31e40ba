//! Problems found in the content directory at the last load, as JSON and as a page.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::domain::content::ContentError;
use crate::domain::policy::Principal;
use crate::domain::Lang;
use crate::web::error::responses::{Forbidden, Unauthenticated};
use crate::web::error::{AppError, OrPage, PageError};
use crate::web::guard::require_curator;
use crate::web::page::{html, PageContext};
use crate::web::AppState;

#[utoipa::path(
    get,
    path = "/api/v1/problems",
    responses(
        (status = 200, description = "Problems of the content files", body = Vec<ContentError>),
        Unauthenticated,
        Forbidden,
    )
)]
pub async fn list_problems(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<web::Json<Vec<ContentError>>, AppError> {
    require_curator(&principal)?;
    Ok(web::Json(state.library.problems().to_vec()))
}

#[derive(Template)]
#[template(path = "problems.html")]
pub struct ProblemsPage {
    pub ctx: PageContext,
    pub problems: Vec<crate::domain::content::ContentError>,
}

pub async fn show_problems(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
) -> Result<HttpResponse, PageError> {
    require_curator(&principal).or_page(lang)?;
    let ctx = PageContext::for_request(&req, &state, lang);
    html(&ProblemsPage {
        ctx,
        problems: state.library.problems().to_vec(),
    })
    .or_page(lang)
}
