//! JSON handlers under `/api/v1/` and `/healthz`. Thin: extract, ask the library, serialise.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::account_book::{
    AccountDetail, AccountFilter, AccountList, ImportReport, OverrideRequest, ParetoView,
    TierState, TierSummary, TiersCsv,
};
use crate::app::library::{MissSummary, SearchParams};
use crate::domain::content::{ContentError, ContentItem, Kind};
use crate::domain::import::RowError;
use crate::domain::policy::{self, Principal};
use crate::domain::tiering::{Rule, TierDef, TierModel};
use crate::render::render_html;
use crate::search::index::SearchResults;
use crate::store::RecordedChange;
use crate::web::auth::require;
use crate::web::blocking::blocking;
use crate::web::error::responses::{
    BadInput, Forbidden, NotFound, TooLarge, TooManyRequests, Unauthenticated, UnsupportedMediaType,
};
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
        content_items: state.library.stored_items(),
        content_problems: state.library.problems().len(),
        accounts: state.accounts.state().len(),
    })
}

/// A content item as the API returns it: the stored fields plus rendered HTML, its page URL,
/// whether it is past its review date, the evidence it cites and the playbooks citing it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ContentView {
    #[serde(flatten)]
    item: ContentItem,
    html: String,
    url: String,
    stale: bool,
    /// Playbooks: the cited cases (and moves) the viewer may read.
    cited_cases: Vec<crate::domain::capture::Evidence>,
    /// Cases: the published playbooks that cite them.
    cited_by: Vec<ItemRef>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ItemRef {
    pub id: String,
    pub title: String,
    pub url: String,
}

impl ItemRef {
    pub fn of(item: &ContentItem) -> ItemRef {
        ItemRef {
            id: item.id.clone(),
            title: item.title.clone(),
            url: format!("/content/{}", item.id),
        }
    }
}

/// The evidence links of an item as `access` may see them: the cases a playbook cites, and
/// the published playbooks citing a case.
pub fn evidence_links(
    state: &AppState,
    access: &crate::app::access::Access,
    item: &ContentItem,
) -> (Vec<crate::domain::capture::Evidence>, Vec<ItemRef>) {
    let catalog = state.library.indexed_catalog();
    // Cited moves are shared knowledge: every reader sees them, with the case's title; only
    // those who may read the case get a link to it.
    let cited_cases =
        crate::domain::capture::evidence_of(item, |id| catalog.get(id), |c| access.can_read(c));
    let cited_by = if item.kind == Kind::Case {
        state
            .library
            .cited_by(&item.id)
            .iter()
            .map(ItemRef::of)
            .collect()
    } else {
        Vec::new()
    };
    (cited_cases, cited_by)
}

impl ContentView {
    pub fn new(
        state: &AppState,
        access: &crate::app::access::Access,
        item: ContentItem,
    ) -> ContentView {
        let (cited_cases, cited_by) = evidence_links(state, access, &item);
        ContentView {
            html: render_html(&item.body),
            url: format!("/content/{}", item.id),
            stale: item.is_stale(&crate::app::authoring::today()),
            cited_cases,
            cited_by,
            item,
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/content/{id}",
    params(("id" = String, Path, description = "Item id")),
    responses(
        (status = 200, description = "The item with its rendered HTML", body = ContentView),
        BadInput,
        Unauthenticated,
        NotFound,
    )
)]
pub async fn get_content(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> Result<web::Json<ContentView>, AppError> {
    let access = state.access(principal);
    let item = state.library.readable_item(&access, &id)?;
    Ok(web::Json(ContentView::new(&state, &access, item)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// One kind only (empty: every kind).
    #[param(pattern = "^(playbook|case|course|lesson)?$")]
    kind: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ListEntry {
    id: String,
    kind: Kind,
    title: String,
    tiers: Vec<String>,
    scenarios: Vec<String>,
    lang: crate::domain::Lang,
    url: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/content",
    params(ListQuery),
    responses(
        (status = 200, description = "Published items the viewer may read", body = Vec<ListEntry>),
        BadInput,
        Unauthenticated,
    )
)]
pub async fn list_content(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Vec<ListEntry>>, AppError> {
    let kind = match query.kind.as_deref() {
        None | Some("") => None,
        Some(value) => Some(Kind::parse(value).ok_or_else(|| {
            AppError::bad_request(
                "invalid_kind",
                format!(
                    "kind: unknown kind {value:?} (expected one of {})",
                    Kind::EXPECTED
                ),
            )
        })?),
    };
    let access = state.access(principal);
    let entries = access
        .readable(state.library.list_published(kind)?)
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

pub fn require_curator(p: &Principal) -> Result<(), AppError> {
    require(
        policy::can_curate_content(p),
        p,
        "the content problems and search misses",
        "trainers, managers and admins",
    )
}

pub fn require_analytics(p: &Principal) -> Result<(), AppError> {
    require(
        policy::can_see_analytics(p),
        p,
        "analytics across all accounts (Pareto, tier changes, the tier export)",
        "managers and admins",
    )
}

// ------------------------------------------------------------------------------------------
// Accounts and tiers
// ------------------------------------------------------------------------------------------

/// Most row errors listed in one import response; the rest are counted in `errors_omitted`
/// (the command-line import prints every one).
pub const MAX_LISTED_ERRORS: usize = 10_000;

#[derive(Serialize, utoipa::ToSchema)]
pub struct ImportResponse {
    #[serde(flatten)]
    report: ImportReport,
    /// Every problem of every rejected row (up to [`MAX_LISTED_ERRORS`]).
    errors: Vec<RowError>,
    errors_omitted: usize,
}

/// `Retry-After` of an import refused because others are running.
const IMPORT_RETRY_AFTER_SECS: u64 = 5;

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

#[utoipa::path(
    post,
    path = "/api/v1/accounts/import",
    request_body(content = String, content_type = "text/csv", description = "The accounts CSV (UTF-8, UTF-16 or GB18030)"),
    responses(
        (status = 200, description = "Rows imported and every rejected row", body = ImportResponse),
        BadInput,
        Unauthenticated,
        Forbidden,
        TooLarge,
        UnsupportedMediaType,
        TooManyRequests,
    )
)]
pub async fn import_accounts(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    payload: web::Payload,
) -> Result<web::Json<ImportResponse>, AppError> {
    require(
        policy::can_import_accounts(&principal),
        &principal,
        "importing accounts",
        "admins",
    )?;
    require_csv(&req)?;
    let _slot = state
        .import_slots
        .clone()
        .try_acquire_owned()
        .map_err(|_| AppError::TooManyRequests {
            code: "too_many_imports",
            message: format!(
                "{} imports are already running; try again when one has finished",
                crate::web::MAX_CONCURRENT_IMPORTS
            ),
            retry_after_secs: IMPORT_RETRY_AFTER_SECS,
        })?;
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
#[derive(Serialize, utoipa::ToSchema)]
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

#[utoipa::path(
    get,
    path = "/api/v1/tier-model",
    responses(
        (status = 200, description = "The tier model, what it resolves to and the counts", body = TierModelView),
        Unauthenticated,
    )
)]
pub async fn get_tier_model(state: web::Data<AppState>) -> web::Json<TierModelView> {
    web::Json(TierModelView::of(&state.accounts.state()))
}

#[utoipa::path(
    put,
    path = "/api/v1/tier-model",
    request_body = TierModel,
    responses(
        (status = 200, description = "The new model in force", body = TierModelView),
        BadInput,
        Unauthenticated,
        Forbidden,
        TooLarge,
    )
)]
pub async fn put_tier_model(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Bytes,
) -> Result<web::Json<TierModelView>, AppError> {
    require(
        policy::can_change_tier_model(&principal),
        &principal,
        "changing the tier model",
        "admins",
    )?;
    let body = String::from_utf8(body.to_vec()).map_err(|e| {
        AppError::bad_request(
            "invalid_json",
            format!("body: the tier model must be UTF-8 JSON ({e})"),
        )
    })?;
    let book = state.accounts.clone();
    let tiers = blocking(move || book.set_model_json(&body, &principal.user)).await?;
    Ok(web::Json(TierModelView::of(&tiers)))
}

#[utoipa::path(
    get,
    path = "/api/v1/accounts",
    params(AccountFilter),
    responses(
        (status = 200, description = "One page of accounts, best rank first", body = AccountList),
        BadInput,
        Unauthenticated,
    )
)]
pub async fn list_accounts(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<AccountFilter>,
) -> Result<web::Json<AccountList>, AppError> {
    let access = state.access(principal);
    Ok(web::Json(access.account_list(state.accounts.list(&query)?)))
}

#[utoipa::path(
    get,
    path = "/api/v1/accounts/{id}",
    params(("id" = String, Path, description = "Account id")),
    responses(
        (status = 200, description = "The account, its tier and why", body = AccountDetail),
        BadInput,
        Unauthenticated,
        NotFound,
    )
)]
pub async fn get_account(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> Result<web::Json<AccountDetail>, AppError> {
    let access = state.access(principal);
    Ok(web::Json(access.account_detail(&state.accounts, &id)?))
}

/// `PUT /api/v1/accounts/{id}/override`; the signed-in manager is recorded as its author.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideBody {
    tier: String,
    reason: String,
}

pub fn require_override(p: &Principal) -> Result<(), AppError> {
    require(
        policy::can_override_tier(p),
        p,
        "setting a tier override",
        "managers and admins",
    )
}

#[utoipa::path(
    put,
    path = "/api/v1/accounts/{id}/override",
    params(("id" = String, Path, description = "Account id")),
    request_body = OverrideBody,
    responses(
        (status = 200, description = "The account with its override", body = AccountDetail),
        BadInput,
        Unauthenticated,
        Forbidden,
        NotFound,
        TooLarge,
    )
)]
pub async fn put_override(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    body: web::Json<OverrideBody>,
) -> Result<web::Json<AccountDetail>, AppError> {
    require_override(&principal)?;
    let body = body.into_inner();
    let request = OverrideRequest {
        tier: body.tier,
        reason: body.reason,
    };
    let book = state.accounts.clone();
    let detail = blocking(move || book.set_override(&id, request, &principal.user)).await?;
    Ok(web::Json(detail))
}

#[utoipa::path(
    delete,
    path = "/api/v1/accounts/{id}/override",
    params(("id" = String, Path, description = "Account id")),
    responses(
        (status = 200, description = "The account without override", body = AccountDetail),
        BadInput,
        Unauthenticated,
        Forbidden,
        NotFound,
    )
)]
pub async fn delete_override(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> Result<web::Json<AccountDetail>, AppError> {
    require_override(&principal)?;
    let book = state.accounts.clone();
    let detail = blocking(move || book.remove_override(&id, &principal.user)).await?;
    Ok(web::Json(detail))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LimitQuery {
    /// How many (default 50).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// Most tier changes listed in one answer.
pub const MAX_TIER_CHANGES: usize = 1_000;

#[utoipa::path(
    get,
    path = "/api/v1/tier-changes",
    params(LimitQuery),
    responses(
        (status = 200, description = "Recent tier changes, newest first", body = Vec<RecordedChange>),
        BadInput,
        Unauthenticated,
        Forbidden,
    )
)]
pub async fn list_tier_changes(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<LimitQuery>,
) -> Result<web::Json<Vec<RecordedChange>>, AppError> {
    require_analytics(&principal)?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=MAX_TIER_CHANGES).contains(&limit) {
        return Err(AppError::bad_request(
            "invalid_limit",
            format!("limit: {limit} is out of range (1–{MAX_TIER_CHANGES})"),
        ));
    }
    Ok(web::Json(state.accounts.recent_changes(limit)?))
}

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

// ------------------------------------------------------------------------------------------
// Search
// ------------------------------------------------------------------------------------------

/// `GET /api/v1/search` parameters; unknown parameters are rejected.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    pub q: Option<String>,
    pub kind: Option<String>,
    pub tier: Option<String>,
    pub scenario: Option<String>,
    pub tag: Option<String>,
    pub lang: Option<String>,
    /// Hits per page (default 10).
    #[param(minimum = 1, maximum = 50)]
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

#[utoipa::path(
    get,
    path = "/api/v1/search",
    params(SearchQuery),
    responses(
        (status = 200, description = "Hits, facets and snippets the viewer may see", body = SearchResults),
        BadInput,
        Unauthenticated,
    )
)]
pub async fn search(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<SearchQuery>,
) -> Result<web::Json<SearchResults>, AppError> {
    let access = state.access(principal);
    Ok(web::Json(
        state
            .library
            .search(&query.to_params(), access.visibility())?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/search/misses",
    responses(
        (status = 200, description = "Recent queries that found nothing", body = Vec<MissSummary>),
        Unauthenticated,
        Forbidden,
    )
)]
pub async fn list_search_misses(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<web::Json<Vec<MissSummary>>, AppError> {
    require_curator(&principal)?;
    Ok(web::Json(state.library.search_misses(MISS_WINDOW)?))
}

/// How many recent misses the summary looks at.
pub const MISS_WINDOW: usize = 5_000;

// ------------------------------------------------------------------------------------------
// Customer lookup and briefing
// ------------------------------------------------------------------------------------------

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
pub fn lookup_query(q: &str) -> Result<&str, AppError> {
    if q.chars().count() > MAX_LOOKUP_CHARS {
        return Err(AppError::bad_request(
            "query_too_long",
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

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BriefingQuery {
    pub scenario: Option<String>,
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
    id: web::Path<String>,
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

/// The answer of `POST /api/v1/backup`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BackupView {
    /// The new subdirectory of the backup directory.
    name: String,
    /// Its full path on the server, for `playbook restore`.
    dir: String,
    manifest: crate::store::backup::Manifest,
}

/// `POST /api/v1/backup`: a consistent copy of the store in a new timestamped subdirectory of
/// the configured backup directory (`--backup-dir`, default `DATA_DIR/backups`). The request
/// names no path: an API caller cannot make the server write anywhere else.
#[utoipa::path(
    post,
    path = "/api/v1/backup",
    responses(
        (status = 201, description = "A consistent copy of the store", body = BackupView),
        Unauthenticated,
        Forbidden,
    )
)]
pub async fn create_backup(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, AppError> {
    require(
        policy::can_operate(&principal),
        &principal,
        "making backups",
        "admins",
    )?;
    let root = state.backup_dir.clone();
    let store = state.library.store().clone();
    let (name, dir, manifest) = blocking(move || -> Result<_, AppError> {
        let (name, dir) = new_backup_dir(&root).map_err(AppError::internal)?;
        let manifest = store.backup_to(&dir).map_err(AppError::internal)?;
        Ok((name, dir, manifest))
    })
    .await?;
    tracing::info!(
        records = manifest.records,
        bytes = manifest.bytes,
        by = %principal.user,
        "backup written to {}",
        dir.display()
    );
    Ok(HttpResponse::Created().json(BackupView {
        name,
        dir: dir.display().to_string(),
        manifest,
    }))
}

/// Creates `root/backup-YYYYMMDDTHHMMSSZ` (with `-2`, `-3`, … when taken), never reusing a
/// directory that exists.
fn new_backup_dir(root: &std::path::Path) -> anyhow::Result<(String, std::path::PathBuf)> {
    use anyhow::Context;
    std::fs::create_dir_all(root)
        .with_context(|| format!("cannot create the backup directory {}", root.display()))?;
    let stamp = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .context("formatting the time")?;
    for n in 1..1000 {
        let name = match n {
            1 => format!("backup-{stamp}"),
            n => format!("backup-{stamp}-{n}"),
        };
        let dir = root.join(&name);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok((name, dir)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot create {}", dir.display())),
        }
    }
    anyhow::bail!("too many backups in one second in {}", root.display())
}
