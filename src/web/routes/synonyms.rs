//! The search synonyms in force (`synonyms.yaml` of the content directory, else the built-in
//! groups), as JSON and as a page: what a search also looks for when a word of a group is typed.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::domain::policy::Principal;
use crate::domain::synonyms::Synonyms;
use crate::domain::Lang;
use crate::web::error::responses::Unauthenticated;
use crate::web::error::{OrPage, PageError};
use crate::web::page::{html, PageContext};
use crate::web::AppState;

/// `GET /api/v1/synonyms`: the synonym groups searches read queries with.
#[utoipa::path(
    get,
    path = "/api/v1/synonyms",
    responses(
        (status = 200, description = "The synonym groups in force", body = Synonyms),
        Unauthenticated,
    )
)]
pub async fn get_synonyms(
    state: web::Data<AppState>,
    _principal: Principal,
) -> web::Json<Synonyms> {
    web::Json(state.library.synonyms().clone())
}

#[derive(Template)]
#[template(path = "synonyms.html")]
pub struct SynonymsPage {
    pub ctx: PageContext,
    pub groups: Vec<Vec<String>>,
}

/// `GET /synonyms`.
pub async fn show_synonyms(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    _principal: Principal,
) -> Result<HttpResponse, PageError> {
    html(&SynonymsPage {
        ctx: PageContext::for_request(&req, &state, lang),
        groups: state.library.synonyms().groups.clone(),
    })
    .or_page(lang)
}
