//! Finding a customer (lookup by name, pinyin or id) and its briefing, as JSON and as pages.

use crate::error_codes::code;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::{Deserialize, Serialize};

use crate::app::briefing::LookupView;
use crate::domain::ids::AccountId;
use crate::domain::policy::Principal;
use crate::domain::Lang;
use crate::web::error::responses::{BadInput, NotFound, Unauthenticated};
use crate::web::error::{AppError, OrPage, PageError};
use crate::web::page::{html, PageContext};
use crate::web::routes::accounts::BriefingQuery;
use crate::web::AppState;

/// Longest lookup query, in characters.
pub const MAX_LOOKUP_CHARS: usize = 64;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LookupQuery {
    #[serde(default)]
    pub q: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LookupResponse {
    pub hits: Vec<crate::app::briefing::LookupView>,
}

/// Checks a lookup query; long input is refused rather than cut silently.
fn lookup_query(q: &str) -> Result<&str, AppError> {
    if q.chars().count() > MAX_LOOKUP_CHARS {
        return Err(AppError::bad_request(
            code::QUERY_TOO_LONG,
            format!("q: at most {MAX_LOOKUP_CHARS} characters; type part of the name"),
        ));
    }
    Ok(q)
}

#[utoipa::path(
    get,
    path = "/api/v1/accounts/lookup",
    params(LookupQuery),
    responses(
        (status = 200, description = "Best matches by name, alias, id, pinyin or initials", body = LookupResponse),
        BadInput,
        Unauthenticated,
    )
)]
pub async fn lookup_accounts(
    state: web::Data<AppState>,
    lang: crate::domain::Lang,
    query: web::Query<LookupQuery>,
) -> Result<web::Json<LookupResponse>, AppError> {
    let q = lookup_query(&query.q)?;
    Ok(web::Json(LookupResponse {
        hits: state.finder.lookup(&state.accounts, q, lang),
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/accounts/{id}/briefing",
    params(("id" = String, Path, description = "Account id"), BriefingQuery),
    responses(
        (status = 200, description = "The customer briefing", body = crate::app::briefing::Briefing),
        BadInput,
        Unauthenticated,
        NotFound,
    )
)]
pub async fn get_briefing(
    state: web::Data<AppState>,
    principal: Principal,
    lang: crate::domain::Lang,
    id: web::Path<AccountId>,
    query: web::Query<BriefingQuery>,
) -> Result<web::Json<crate::app::briefing::Briefing>, AppError> {
    let briefing = crate::app::briefing::briefing(
        &state.accounts,
        &state.library,
        state.library.alert_rules(),
        &id,
        query.scenario.as_deref(),
        &state.access(principal).viewer(),
        lang,
    )?;
    Ok(web::Json(briefing))
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
    // One customer found: the rep wanted that one, so open its briefing at once.
    if let [only] = hits.as_slice() {
        return Ok(HttpResponse::SeeOther()
            .insert_header((
                actix_web::http::header::LOCATION,
                format!("/accounts/{}", crate::web::page::path_segment(&only.id)),
            ))
            .finish());
    }
    html(&FindPage {
        ctx,
        q: q.to_owned(),
        hits,
    })
    .or_page(lang)
}
