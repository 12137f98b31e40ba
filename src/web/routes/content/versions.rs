//! Versions of an item: history, one version, the diff between two, restoring one.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::{Deserialize, Serialize};

use crate::domain::content::to_markdown;
use crate::domain::ids::ItemId;
use crate::domain::policy::{ContentFacts, Principal};
use crate::domain::workflow::{DiffLine, Version};
use crate::domain::{policy, Lang};
use crate::render::render_html;
use crate::store::VersionSummary;
use crate::web::blocking::blocking;
use crate::web::error::responses::{
    EditConflict, Forbidden, InvalidContent, NotFound, Unauthenticated,
};
use crate::web::error::{AppError, OrPage, PageError};
use crate::web::page::{html, PageContext};
use crate::web::routes::content::{editable, require_history, to_item_done, Saved};
use crate::web::AppState;

/// `GET /api/v1/content/{id}/versions`: newest first.
#[utoipa::path(
    get,
    path = "/api/v1/content/{id}/versions",
    params(("id" = String, Path, description = "Item id")),
    responses(
        (status = 200, description = "Every version, newest first", body = Vec<crate::store::VersionSummary>),
        InvalidContent,
        Unauthenticated,
        Forbidden,
        NotFound,
    )
)]
pub async fn list_versions(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<ItemId>,
) -> Result<web::Json<Vec<VersionSummary>>, AppError> {
    require_history(&state, &principal, &id)?;
    Ok(web::Json(state.library.versions(&id)?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct VersionView {
    #[serde(flatten)]
    version: Version,
    markdown: String,
}

/// `GET /api/v1/content/{id}/versions/{n}`.
#[utoipa::path(
    get,
    path = "/api/v1/content/{id}/versions/{n}",
    params(("id" = String, Path, description = "Item id"), ("n" = u64, Path, description = "Version number")),
    responses(
        (status = 200, description = "One version", body = VersionView),
        InvalidContent,
        Unauthenticated,
        Forbidden,
        NotFound,
    )
)]
pub async fn get_version(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(ItemId, u64)>,
) -> Result<web::Json<VersionView>, AppError> {
    let (id, n) = path.into_inner();
    require_history(&state, &principal, &id)?;
    let version = state
        .library
        .version_as_seen(&id, n, &state.access(principal))?;
    Ok(web::Json(VersionView {
        markdown: to_markdown(&version.item),
        version,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    pub from: u64,
    pub to: u64,
}

/// `GET /api/v1/content/{id}/diff?from=&to=`.
#[utoipa::path(
    get,
    path = "/api/v1/content/{id}/diff",
    params(("id" = String, Path, description = "Item id"), DiffQuery),
    responses(
        (status = 200, description = "Line diff between two versions", body = Vec<crate::domain::workflow::DiffLine>),
        InvalidContent,
        Unauthenticated,
        Forbidden,
        NotFound,
    )
)]
pub async fn get_diff(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<ItemId>,
    query: web::Query<DiffQuery>,
) -> Result<web::Json<Vec<DiffLine>>, AppError> {
    require_history(&state, &principal, &id)?;
    let reader = state.access(principal);
    Ok(web::Json(
        state.library.diff(&id, query.from, query.to, &reader)?,
    ))
}

/// `POST /api/v1/content/{id}/versions/{n}/restore`: version `n` becomes the new draft.
#[utoipa::path(
    post,
    path = "/api/v1/content/{id}/versions/{n}/restore",
    params(("id" = String, Path, description = "Item id"), ("n" = u64, Path, description = "Version number")),
    responses(
        (status = 200, description = "Restored as the new working copy", body = Saved),
        InvalidContent,
        Unauthenticated,
        Forbidden,
        NotFound,
        EditConflict,
    )
)]
pub async fn restore_version(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(ItemId, u64)>,
) -> Result<web::Json<Saved>, AppError> {
    let (id, n) = path.into_inner();
    editable(&state, &principal, &id)?;
    let library = state.library.clone();
    let version = blocking(move || library.restore_version(&id, n, &principal.user)).await?;
    Ok(web::Json(Saved::of(&version)))
}

#[derive(Template)]
#[template(path = "history.html")]
pub struct HistoryPage {
    pub ctx: PageContext,
    pub id: ItemId,
    pub title: String,
    pub versions: Vec<VersionSummary>,
    pub can_restore: bool,
}

/// `GET /content/{id}/history`.
pub async fn show_history(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    id: web::Path<ItemId>,
) -> Result<HttpResponse, PageError> {
    require_history(&state, &principal, &id).or_page(lang)?;
    let record = state.library.record(&id).or_page(lang)?;
    html(&HistoryPage {
        ctx: PageContext::for_request(&req, &state, lang),
        title: record.item.title.clone(),
        can_restore: policy::can_edit_content(&principal, ContentFacts::of(&record.item)),
        versions: state.library.versions(&id).or_page(lang)?,
        id: id.into_inner(),
    })
    .or_page(lang)
}

#[derive(Template)]
#[template(path = "version.html")]
pub struct VersionPage {
    pub ctx: PageContext,
    pub id: ItemId,
    pub version: Version,
    pub markdown: String,
    pub html: String,
    pub diff: Option<(u64, u64, Vec<DiffLine>)>,
}

/// `GET /content/{id}/versions/{n}`: one version, rendered and as Markdown.
pub async fn show_version(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    path: web::Path<(ItemId, u64)>,
) -> Result<HttpResponse, PageError> {
    let (id, n) = path.into_inner();
    require_history(&state, &principal, &id).or_page(lang)?;
    let version = state
        .library
        .version_as_seen(&id, n, &state.access(principal))
        .or_page(lang)?;
    html(&VersionPage {
        ctx: PageContext::for_request(&req, &state, lang),
        markdown: to_markdown(&version.item),
        html: render_html(&version.item.body),
        diff: None,
        version,
        id,
    })
    .or_page(lang)
}

/// `GET /content/{id}/diff?from=&to=`.
pub async fn show_diff(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    id: web::Path<ItemId>,
    query: web::Query<DiffQuery>,
) -> Result<HttpResponse, PageError> {
    require_history(&state, &principal, &id).or_page(lang)?;
    let reader = state.access(principal);
    let diff = state
        .library
        .diff(&id, query.from, query.to, &reader)
        .or_page(lang)?;
    let version = state
        .library
        .version_as_seen(&id, query.to, &reader)
        .or_page(lang)?;
    html(&VersionPage {
        ctx: PageContext::for_request(&req, &state, lang),
        markdown: String::new(),
        html: String::new(),
        diff: Some((query.from, query.to, diff)),
        version,
        id: id.into_inner(),
    })
    .or_page(lang)
}

/// `POST /content/{id}/versions/{n}/restore`.
pub async fn submit_restore(
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    path: web::Path<(ItemId, u64)>,
) -> Result<HttpResponse, PageError> {
    let (id, n) = path.into_inner();
    editable(&state, &principal, &id).or_page(lang)?;
    let library = state.library.clone();
    let item_id = id.clone();
    blocking(move || library.restore_version(&item_id, n, &principal.user))
        .await
        .or_page(lang)?;
    Ok(to_item_done(&id, "restored"))
}
