//! JSON handlers under `/api/v1/` and `/healthz`. Thin: extract, ask the library, serialise.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::accounts::{
    AccountDetail, AccountFilter, AccountPage, ImportReport, OverrideRequest, ParetoView,
    TierState, TierSummary, TiersCsv,
};
use crate::domain::content::{ContentError, ContentItem, Kind};
use crate::domain::import::RowError;
use crate::domain::tiering::{Rule, TierDef, TierModel};
use crate::library::{MissSummary, SearchParams};
use crate::render::render_html;
use crate::search::index::SearchResults;
use crate::store::RecordedChange;
use crate::web::error::AppError;
use crate::web::upload::with_body_reader;
use crate::web::AppState;

#[derive(Serialize)]
struct Health {
    status: &'static str,
    content_items: usize,
    content_problems: usize,
    accounts: usize,
}

pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok",
        content_items: state.library.store().count_content(),
        content_problems: state.library.problems().len(),
        accounts: state.accounts.state().len(),
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

// ------------------------------------------------------------------------------------------
// Accounts and tiers
// ------------------------------------------------------------------------------------------

/// Most row errors listed in one import response; the rest are counted in `errors_omitted`
/// (the command-line import prints every one).
pub const MAX_LISTED_ERRORS: usize = 10_000;

/// Who acts through the API until users and roles exist (issue 6).
const API_ACTOR: &str = "api";

#[derive(Serialize)]
pub struct ImportResponse {
    #[serde(flatten)]
    report: ImportReport,
    /// Every problem of every rejected row (up to [`MAX_LISTED_ERRORS`]).
    errors: Vec<RowError>,
    errors_omitted: usize,
}

fn require_csv(req: &HttpRequest) -> Result<(), AppError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if ["text/csv", "application/csv", "text/plain"]
        .iter()
        .any(|m| mime.eq_ignore_ascii_case(m))
    {
        Ok(())
    } else {
        Err(AppError::UnsupportedMediaType(format!(
            "send the CSV file as the body with Content-Type: text/csv (got {content_type:?})"
        )))
    }
}

pub async fn import_accounts(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<web::Json<ImportResponse>, AppError> {
    require_csv(&req)?;
    let book = state.accounts.clone();
    let (report, errors, errors_omitted) =
        with_body_reader(&req, payload, state.max_import_bytes, move |body| {
            let (mut errors, mut omitted) = (Vec::new(), 0);
            let mut on_error = |e: &RowError| match errors.len() < MAX_LISTED_ERRORS {
                true => errors.push(e.clone()),
                false => omitted += 1,
            };
            let report = book.import_csv(body, "import", &mut on_error);
            (report, errors, omitted)
        })
        .await?;
    Ok(web::Json(ImportResponse {
        report: report?,
        errors,
        errors_omitted,
    }))
}

/// The tier model with what it resolves to and the tier counts it gives.
#[derive(Serialize)]
pub struct TierModelView {
    model: TierModel,
    tiers: Vec<TierDef>,
    score_rule: Rule,
    summary: TierSummary,
}

impl TierModelView {
    fn of(state: &TierState) -> TierModelView {
        TierModelView {
            model: state.model().clone(),
            tiers: state.tiers().to_vec(),
            score_rule: state.score_rule(),
            summary: state.summary(),
        }
    }
}

pub async fn get_tier_model(state: web::Data<AppState>) -> web::Json<TierModelView> {
    web::Json(TierModelView::of(&state.accounts.state()))
}

pub async fn put_tier_model(
    state: web::Data<AppState>,
    body: String,
) -> Result<web::Json<TierModelView>, AppError> {
    let book = state.accounts.clone();
    let tiers = web::block(move || book.set_model_json(&body, API_ACTOR))
        .await
        .map_err(AppError::internal)??;
    Ok(web::Json(TierModelView::of(&tiers)))
}

pub async fn list_accounts(
    state: web::Data<AppState>,
    query: web::Query<AccountFilter>,
) -> Result<web::Json<AccountPage>, AppError> {
    Ok(web::Json(state.accounts.list(&query)?))
}

pub async fn get_account(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<AccountDetail>, AppError> {
    Ok(web::Json(state.accounts.account(&id)?))
}

/// `PUT /api/v1/accounts/{id}/override`. `by` names the manager until users exist.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideBody {
    tier: String,
    reason: String,
    by: String,
}

pub async fn put_override(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<OverrideBody>,
) -> Result<web::Json<AccountDetail>, AppError> {
    let body = body.into_inner();
    let request = OverrideRequest {
        tier: body.tier,
        reason: body.reason,
    };
    let book = state.accounts.clone();
    let detail = web::block(move || book.set_override(&id, request, &body.by))
        .await
        .map_err(AppError::internal)??;
    Ok(web::Json(detail))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByQuery {
    by: Option<String>,
}

pub async fn delete_override(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<ByQuery>,
) -> Result<web::Json<AccountDetail>, AppError> {
    let by = query
        .into_inner()
        .by
        .unwrap_or_else(|| API_ACTOR.to_owned());
    let book = state.accounts.clone();
    let detail = web::block(move || book.remove_override(&id, &by))
        .await
        .map_err(AppError::internal)??;
    Ok(web::Json(detail))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitQuery {
    limit: Option<usize>,
}

pub async fn list_tier_changes(
    state: web::Data<AppState>,
    query: web::Query<LimitQuery>,
) -> Result<web::Json<Vec<RecordedChange>>, AppError> {
    let limit = query.limit.unwrap_or(50).clamp(1, 1_000);
    Ok(web::Json(state.accounts.recent_changes(limit)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParetoQuery {
    pub indicator: Option<String>,
}

pub async fn get_pareto(
    state: web::Data<AppState>,
    query: web::Query<ParetoQuery>,
) -> Result<web::Json<ParetoView>, AppError> {
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

pub async fn export_tiers_csv(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"tiers.csv\"",
        ))
        .body(CsvBody(TiersCsv::new(state.accounts.state())))
}

// ------------------------------------------------------------------------------------------
// Search
// ------------------------------------------------------------------------------------------

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

// ------------------------------------------------------------------------------------------
// Customer lookup and briefing
// ------------------------------------------------------------------------------------------

/// Longest lookup query, in characters.
pub const MAX_LOOKUP_CHARS: usize = 64;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupQuery {
    #[serde(default)]
    pub q: String,
}

#[derive(Serialize)]
pub struct LookupResponse {
    pub hits: Vec<crate::briefing::LookupView>,
}

/// Checks a lookup query; long input is refused rather than cut silently.
pub fn lookup_query(q: &str) -> Result<&str, AppError> {
    if q.chars().count() > MAX_LOOKUP_CHARS {
        return Err(AppError::bad_request(
            "query_too_long",
            format!("q: at most {MAX_LOOKUP_CHARS} characters; type part of the name"),
        ));
    }
    Ok(q)
}

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BriefingQuery {
    pub scenario: Option<String>,
}

pub async fn get_briefing(
    state: web::Data<AppState>,
    lang: crate::domain::Lang,
    id: web::Path<String>,
    query: web::Query<BriefingQuery>,
) -> Result<web::Json<crate::briefing::Briefing>, AppError> {
    let briefing = crate::briefing::briefing(
        &state.accounts,
        &state.library,
        state.library.alert_rules(),
        &id,
        query.scenario.as_deref(),
        &crate::briefing::Viewer::unrestricted(),
        lang,
    )?;
    Ok(web::Json(briefing))
}
