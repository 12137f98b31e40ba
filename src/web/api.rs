//! JSON handlers under `/api/v1/` and `/healthz`. Thin: extract, ask the library, serialise.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::domain::content::{ContentError, ContentItem, Kind};
use crate::library::{MissSummary, SearchParams};
use crate::render::render_html;
use crate::search::index::SearchResults;
use crate::web::error::AppError;
use crate::web::AppState;

#[derive(Serialize)]
struct Health {
    status: &'static str,
    content_items: usize,
    content_problems: usize,
}

pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok",
        content_items: state.library.store().count_content(),
        content_problems: state.library.problems().len(),
    })
}

/// A content item as the API returns it: the stored fields plus rendered HTML and its page URL.
#[derive(Serialize)]
pub struct ContentView {
    #[serde(flatten)]
    item: ContentItem,
    html: String,
    url: String,
}

impl ContentView {
    fn new(item: ContentItem) -> ContentView {
        ContentView {
            html: render_html(&item.body),
            url: format!("/content/{}", item.id),
            item,
        }
    }
}

pub async fn get_content(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<ContentView>, AppError> {
    let item = state.library.published(&id)?;
    Ok(web::Json(ContentView::new(item)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    kind: Option<String>,
}

#[derive(Serialize)]
pub struct ListEntry {
    id: String,
    kind: Kind,
    title: String,
    tiers: Vec<String>,
    scenarios: Vec<String>,
    lang: crate::domain::Lang,
    url: String,
}

pub async fn list_content(
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Vec<ListEntry>>, AppError> {
    let kind = match query.kind.as_deref() {
        None | Some("") => None,
        Some(value) => Some(Kind::parse(value).ok_or_else(|| {
            AppError::bad_request(
                "invalid_kind",
                format!(
                    "kind: unknown kind {value:?} (expected one of playbook, case, course, lesson)"
                ),
            )
        })?),
    };
    let entries = state
        .library
        .list_published(kind)?
        .into_iter()
        .map(|item| ListEntry {
            url: format!("/content/{}", item.id),
            id: item.id,
            kind: item.kind,
            title: item.title,
            tiers: item.tiers,
            scenarios: item.scenarios,
            lang: item.lang,
        })
        .collect();
    Ok(web::Json(entries))
}

pub async fn get_coverage(
    state: web::Data<AppState>,
) -> Result<web::Json<crate::domain::coverage::Coverage>, AppError> {
    Ok(web::Json(state.library.coverage()?))
}

pub async fn list_problems(state: web::Data<AppState>) -> web::Json<Vec<ContentError>> {
    web::Json(state.library.problems().to_vec())
}

/// `GET /api/v1/search` parameters; unknown parameters are rejected.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    pub q: Option<String>,
    pub kind: Option<String>,
    pub tier: Option<String>,
    pub scenario: Option<String>,
    pub tag: Option<String>,
    pub lang: Option<String>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

impl SearchQuery {
    pub fn to_params(&self) -> SearchParams {
        SearchParams {
            q: self.q.clone(),
            kind: self.kind.clone(),
            tier: self.tier.clone(),
            scenario: self.scenario.clone(),
            tag: self.tag.clone(),
            lang: self.lang.clone(),
            limit: self.limit,
            offset: self.offset,
        }
    }
}

pub async fn search(
    state: web::Data<AppState>,
    query: web::Query<SearchQuery>,
) -> Result<web::Json<SearchResults>, AppError> {
    Ok(web::Json(state.library.search(&query.to_params())?))
}

pub async fn list_search_misses(
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<MissSummary>>, AppError> {
    Ok(web::Json(state.library.search_misses(MISS_WINDOW)?))
}

/// How many recent misses the summary looks at.
pub const MISS_WINDOW: usize = 5_000;
