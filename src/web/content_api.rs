//! JSON handlers for writing content: create and save (JSON fields or a Markdown file), the
//! workflow steps, versions and diffs, case reviews on accounts, best practices, courses and
//! progress. Thin: check the policy, call the library (`crate::app::authoring`) on the blocking pool.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::domain::capture::{CaseReviewForm, Practice};
use crate::domain::content::{to_markdown, ContentItem, Kind};
use crate::domain::enablement::{Completion, Learner, MyCourse};
use crate::domain::policy::{self, ContentFacts, Principal};
use crate::domain::workflow::{Action, DiffLine, Version};
use crate::render::render_html;
use crate::store::VersionSummary;
use crate::web::auth::require;
use crate::web::blocking::blocking;
use crate::web::error::responses::{
    EditConflict, Forbidden, InvalidContent, NotFound, TooLarge, Unauthenticated,
    UnsupportedMediaType,
};
use crate::web::error::AppError;
use crate::web::AppState;

/// Fields a client may send back from a `GET` that are not front matter: ignored on input.
const READ_ONLY: [&str; 9] = [
    "html",
    "url",
    "source",
    "hash",
    "version",
    "status",
    "stale",
    "cited_cases",
    "cited_by",
];

/// The request body as Markdown with front matter: a Markdown file (`text/markdown`,
/// `text/plain`), or JSON whose fields are the front-matter fields plus `body` (and `base`,
/// the version the edit started from). Returns the text and `base`.
pub fn markdown_of(req: &HttpRequest, body: &[u8]) -> Result<(String, Option<u64>), AppError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let base_query = web::Query::<BaseQuery>::from_query(req.query_string())
        .map_err(|e| AppError::bad_request("invalid_query", e.to_string()))?
        .base;
    if content_type.starts_with("text/markdown") || content_type.starts_with("text/plain") {
        let text = std::str::from_utf8(body).map_err(|_| {
            AppError::bad_request(
                "invalid_encoding",
                "the Markdown is not UTF-8 text: save it as UTF-8",
            )
        })?;
        return Ok((text.to_owned(), base_query));
    }
    if !content_type.starts_with("application/json") {
        return Err(AppError::UnsupportedMediaType(format!(
            "send JSON (application/json) or a Markdown file (text/markdown), not {:?}",
            content_type
        )));
    }
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| AppError::bad_request("invalid_json", format!("the body is not JSON: {e}")))?;
    let serde_json::Value::Object(mut fields) = value else {
        return Err(AppError::bad_request(
            "invalid_json",
            "send a JSON object: the front-matter fields and `body`",
        ));
    };
    let body_text = match fields.remove("body") {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s,
        Some(_) => {
            return Err(AppError::bad_request(
                "invalid_json",
                "body: expected the Markdown text as a string",
            ))
        }
    };
    let base = match fields.remove("base") {
        None | Some(serde_json::Value::Null) => base_query,
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(_) => {
            return Err(AppError::bad_request(
                "invalid_json",
                "base: expected the version number the edit started from",
            ))
        }
    };
    for key in READ_ONLY {
        fields.remove(key);
    }
    // Nulls and empty lists mean "not set", as an absent field in a file.
    fields.retain(|_, v| !(v.is_null() || v.as_array().is_some_and(|a| a.is_empty())));
    let yaml = if fields.is_empty() {
        String::new()
    } else {
        serde_yaml_ng::to_string(&fields).map_err(AppError::internal)?
    };
    Ok((format!("---\n{yaml}---\n{body_text}"), base))
}

#[derive(Deserialize)]
struct BaseQuery {
    base: Option<u64>,
}

/// A change's answer: the version it made and the item's page.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Saved {
    pub id: String,
    pub version: u64,
    pub status: &'static str,
    pub url: String,
}

impl Saved {
    fn of(version: &Version) -> Saved {
        Saved {
            id: version.item.id.clone(),
            version: version.n,
            status: version.item.status.as_str(),
            url: format!("/content/{}", version.item.id),
        }
    }
}

fn forbidden_to_write(p: &Principal, kind: Kind) -> AppError {
    let who = match kind {
        Kind::Case => "everyone signed in (their own cases), managers and admins",
        _ => "trainers, managers and admins",
    };
    let what = format!("writing a {}", kind.as_str());
    require(false, p, &what, who).unwrap_err()
}

/// The stored item, if `p` may edit it (404 if they may not even read it).
fn editable(state: &AppState, p: &Principal, id: &str) -> Result<ContentItem, AppError> {
    let access = state.access(p.clone());
    state.library.readable_item(&access, id)?;
    let record = state.library.record(id)?;
    if !policy::can_edit_content(p, ContentFacts::of(&record.item)) {
        return Err(forbidden_to_write(p, record.item.kind));
    }
    Ok(record.item)
}

/// `POST /api/v1/content`: a new item (a draft owned by the caller).
#[utoipa::path(
    post,
    path = "/api/v1/content",
    request_body(content((Object = "application/json"), (String = "text/markdown")), description = "The item: front-matter fields and `body` as JSON, or a whole Markdown file"),
    responses(
        (status = 201, description = "Created, a draft owned by the caller", body = Saved),
        InvalidContent,
        Unauthenticated,
        Forbidden,
        EditConflict,
        TooLarge,
        UnsupportedMediaType,
    )
)]
pub async fn create_content(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (text, _) = markdown_of(&req, &body)?;
    // The kind decides who may write it; validation reports everything else.
    let access = state.access(principal.clone());
    if let Ok(item) = state.library.validate_markdown(&text, None, &access) {
        if !policy::can_write_content(&principal, item.kind) {
            return Err(forbidden_to_write(&principal, item.kind));
        }
    }
    let library = state.library.clone();
    let version = blocking(move || library.create_item(&text, &access)).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/content/{}", version.item.id),
        ))
        .json(Saved::of(&version)))
}

/// `PUT /api/v1/content/{id}`: a new working copy (a draft until approved; readers keep the
/// published version). `base` (field or `?base=`) refuses the save if someone saved meanwhile.
#[utoipa::path(
    put,
    path = "/api/v1/content/{id}",
    params(("id" = String, Path, description = "Item id"), ("base" = Option<u64>, Query, description = "Refuse the save if the item moved past this version")),
    request_body(content((Object = "application/json"), (String = "text/markdown")), description = "The item: front-matter fields and `body` as JSON, or a whole Markdown file"),
    responses(
        (status = 200, description = "Saved as the new working copy", body = Saved),
        InvalidContent,
        Unauthenticated,
        Forbidden,
        NotFound,
        EditConflict,
        TooLarge,
        UnsupportedMediaType,
    )
)]
pub async fn save_content(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<web::Json<Saved>, AppError> {
    editable(&state, &principal, &id)?;
    let (text, base) = markdown_of(&req, &body)?;
    let record_version = state.library.record(&id)?.version;
    let library = state.library.clone();
    let access = state.access(principal);
    let id = id.into_inner();
    let version = blocking(move || {
        library.save_item(&id, &text, base.unwrap_or(record_version), &access, None)
    })
    .await?;
    Ok(web::Json(Saved::of(&version)))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepBody {
    #[serde(default)]
    comment: Option<String>,
}

/// Who may take a workflow step on `item`.
pub fn require_step(p: &Principal, item: &ContentItem, action: Action) -> Result<(), AppError> {
    let facts = ContentFacts::of(item);
    match action {
        Action::Approved | Action::SentBack => require(
            policy::can_approve(p),
            p,
            "approving or sending back",
            "managers and admins",
        ),
        Action::Archived => require(
            policy::can_archive(p, facts),
            p,
            "archiving this item",
            "its owner, managers and admins",
        ),
        _ => {
            if policy::can_edit_content(p, facts) {
                Ok(())
            } else {
                Err(forbidden_to_write(p, item.kind))
            }
        }
    }
}

async fn step(
    state: web::Data<AppState>,
    principal: Principal,
    id: String,
    action: Action,
    comment: Option<String>,
) -> Result<web::Json<Saved>, AppError> {
    let access = state.access(principal.clone());
    state.library.readable_item(&access, &id)?;
    let record = state.library.record(&id)?;
    require_step(&principal, &record.item, action)?;
    let library = state.library.clone();
    let version =
        blocking(move || library.workflow_step(&id, action, &principal.user, comment)).await?;
    Ok(web::Json(Saved::of(&version)))
}

/// The optional comment of a workflow step. An empty body has none; any other body must be a
/// valid `StepBody` (an `Option<Json<…>>` extractor would drop a bad one silently, which
/// schemathesis found: `{"x": 42}` archived the item).
fn comment_of(body: &[u8]) -> Result<Option<String>, AppError> {
    let text = body.trim_ascii();
    if text.is_empty() || text == b"null" {
        return Ok(None);
    }
    // serde reads a struct from an array of its fields too: `[]` would be a step.
    if !text.starts_with(b"{") {
        return Err(AppError::bad_request(
            "invalid_json",
            "the body is {\"comment\": \"…\"} or nothing",
        ));
    }
    let step: StepBody = serde_json::from_slice(text).map_err(|e| {
        AppError::bad_request(
            "invalid_json",
            format!("the body is {{\"comment\": \"…\"}} or nothing: {e}"),
        )
    })?;
    Ok(step.comment)
}

/// `POST /api/v1/content/{id}/submit`: draft → in review.
#[utoipa::path(
    post,
    path = "/api/v1/content/{id}/submit",
    params(("id" = String, Path, description = "Item id")),
    request_body(content = Option<StepBody>, description = "An optional comment"),
    responses(
        (status = 200, description = "In review", body = Saved),
        InvalidContent,
        Unauthenticated,
        Forbidden,
        NotFound,
        EditConflict,
        TooLarge,
    )
)]
pub async fn submit_content(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<web::Json<Saved>, AppError> {
    step(
        state,
        principal,
        id.into_inner(),
        Action::Submitted,
        comment_of(&body)?,
    )
    .await
}

/// `POST /api/v1/content/{id}/approve`: in review (or draft) → published (managers, admins).
#[utoipa::path(
    post,
    path = "/api/v1/content/{id}/approve",
    params(("id" = String, Path, description = "Item id")),
    request_body(content = Option<StepBody>, description = "An optional comment"),
    responses(
        (status = 200, description = "Published", body = Saved),
        InvalidContent,
        Unauthenticated,
        Forbidden,
        NotFound,
        EditConflict,
        TooLarge,
    )
)]
pub async fn approve_content(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<web::Json<Saved>, AppError> {
    step(
        state,
        principal,
        id.into_inner(),
        Action::Approved,
        comment_of(&body)?,
    )
    .await
}

/// `POST /api/v1/content/{id}/send-back` with `{"comment"}`: in review → draft.
#[utoipa::path(
    post,
    path = "/api/v1/content/{id}/send-back",
    params(("id" = String, Path, description = "Item id")),
    request_body(content = Option<StepBody>, description = "An optional comment"),
    responses(
        (status = 200, description = "Back to draft", body = Saved),
        InvalidContent,
        Unauthenticated,
        Forbidden,
        NotFound,
        EditConflict,
        TooLarge,
    )
)]
pub async fn send_back_content(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<web::Json<Saved>, AppError> {
    step(
        state,
        principal,
        id.into_inner(),
        Action::SentBack,
        comment_of(&body)?,
    )
    .await
}

/// `POST /api/v1/content/{id}/archive`.
#[utoipa::path(
    post,
    path = "/api/v1/content/{id}/archive",
    params(("id" = String, Path, description = "Item id")),
    request_body(content = Option<StepBody>, description = "An optional comment"),
    responses(
        (status = 200, description = "Archived", body = Saved),
        InvalidContent,
        Unauthenticated,
        Forbidden,
        NotFound,
        EditConflict,
        TooLarge,
    )
)]
pub async fn archive_content(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<web::Json<Saved>, AppError> {
    step(
        state,
        principal,
        id.into_inner(),
        Action::Archived,
        comment_of(&body)?,
    )
    .await
}

/// The record of `id` if `p` may see its history: whoever may edit it, or approve.
pub fn require_history(state: &AppState, p: &Principal, id: &str) -> Result<(), AppError> {
    let access = state.access(p.clone());
    state.library.readable_item(&access, id)?;
    let record = state.library.record(id)?;
    require(
        policy::can_edit_content(p, ContentFacts::of(&record.item)) || policy::can_approve(p),
        p,
        "the history of this item",
        "those who may edit it, managers and admins",
    )
}

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
    id: web::Path<String>,
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
    path: web::Path<(String, u64)>,
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
    id: web::Path<String>,
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
    path: web::Path<(String, u64)>,
) -> Result<web::Json<Saved>, AppError> {
    let (id, n) = path.into_inner();
    editable(&state, &principal, &id)?;
    let library = state.library.clone();
    let version = blocking(move || library.restore_version(&id, n, &principal.user)).await?;
    Ok(web::Json(Saved::of(&version)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewBody {
    pub markdown: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PreviewView {
    pub html: String,
}

/// `POST /api/v1/preview`: Markdown (a body, or a whole file with front matter) → the sanitised
/// HTML a page would show.
#[utoipa::path(
    post,
    path = "/api/v1/preview",
    request_body = PreviewBody,
    responses(
        (status = 200, description = "Sanitised HTML", body = PreviewView),
        InvalidContent,
        Unauthenticated,
        Forbidden,
        TooLarge,
    )
)]
pub async fn preview(body: web::Json<PreviewBody>) -> web::Json<PreviewView> {
    let text = &body.markdown;
    let markdown = crate::domain::content::split_front_matter(text)
        .map(|(_, body, _)| body)
        .unwrap_or(text);
    web::Json(PreviewView {
        html: render_html(markdown),
    })
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct QueueEntry {
    pub id: String,
    pub kind: Kind,
    pub title: String,
    pub status: &'static str,
    pub owner: Option<String>,
    pub updated_at: String,
    pub review_by: Option<String>,
    pub stale: bool,
    pub url: String,
}

impl QueueEntry {
    pub fn of(record: &crate::store::ContentRecord, today: &str) -> QueueEntry {
        let item = &record.item;
        QueueEntry {
            id: item.id.clone(),
            kind: item.kind,
            title: item.title.clone(),
            status: item.status.as_str(),
            owner: item.owner.clone(),
            updated_at: record.updated_at.clone(),
            review_by: item.review_by.clone(),
            stale: item.is_stale(today),
            url: format!("/content/{}", item.id),
        }
    }
}

/// `GET /api/v1/review-queue`: items in review (managers, admins).
#[utoipa::path(
    get,
    path = "/api/v1/review-queue",
    responses(
        (status = 200, description = "Items waiting for review", body = Vec<QueueEntry>),
        Unauthenticated,
        Forbidden,
    )
)]
pub async fn review_queue(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<web::Json<Vec<QueueEntry>>, AppError> {
    require(
        policy::can_approve(&principal),
        &principal,
        "the review queue",
        "managers and admins",
    )?;
    let today = crate::app::authoring::today();
    Ok(web::Json(
        state
            .library
            .review_queue()?
            .iter()
            .map(|r| QueueEntry::of(r, &today))
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MineQuery {
    #[serde(default)]
    pub stale: bool,
}

/// `GET /api/v1/my/content[?stale=true]`: the caller's items (only those past `review_by`).
#[utoipa::path(
    get,
    path = "/api/v1/my/content",
    params(MineQuery),
    responses(
        (status = 200, description = "My items", body = Vec<QueueEntry>),
        InvalidContent,
        Unauthenticated,
    )
)]
pub async fn my_content(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<MineQuery>,
) -> Result<web::Json<Vec<QueueEntry>>, AppError> {
    let today = crate::app::authoring::today();
    Ok(web::Json(
        state
            .library
            .owned_by(Some(&principal.user))?
            .iter()
            .map(|r| QueueEntry::of(r, &today))
            .filter(|e| !query.stale || e.stale)
            .collect(),
    ))
}

/// `POST /api/v1/accounts/{id}/reviews`: a case review from the template (managers, admins).
#[utoipa::path(
    post,
    path = "/api/v1/accounts/{id}/reviews",
    params(("id" = String, Path, description = "Account id")),
    request_body = crate::domain::capture::CaseReviewForm,
    responses(
        (status = 201, description = "The case review, a draft", body = Saved),
        InvalidContent,
        Unauthenticated,
        Forbidden,
        NotFound,
        EditConflict,
        TooLarge,
    )
)]
pub async fn create_case_review(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    form: web::Json<CaseReviewForm>,
) -> Result<HttpResponse, AppError> {
    let version = attach_review(&state, &principal, &id, form.into_inner()).await?;
    Ok(HttpResponse::Created().json(Saved::of(&version)))
}

/// Shared by the API and the account page's form.
pub async fn attach_review(
    state: &AppState,
    principal: &Principal,
    account_id: &str,
    form: CaseReviewForm,
) -> Result<Version, AppError> {
    require(
        policy::can_review_cases(principal),
        principal,
        "attaching case reviews",
        "managers and admins",
    )?;
    let detail = state
        .access(principal.clone())
        .account_detail(&state.accounts, account_id)?;
    let name = detail.account.name.clone();
    let tier = detail.tier.tier.clone();
    let library = state.library.clone();
    let (id, by) = (account_id.to_owned(), principal.user.clone());
    blocking(move || library.attach_case_review(&id, &name, Some(&tier), &form, &by)).await
}

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
    path: web::Path<(String, usize)>,
    body: web::Json<BestBody>,
) -> Result<web::Json<Saved>, AppError> {
    let (id, n) = path.into_inner();
    let version = mark_best(&state, &principal, &id, n, body.best).await?;
    Ok(web::Json(Saved::of(&version)))
}

pub async fn mark_best(
    state: &AppState,
    principal: &Principal,
    id: &str,
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

/// Best practices of published cases, each marked with whether the principal may open the
/// whole case: the move is shared knowledge, a case review's story is as private as its
/// account's figures.
pub fn readable_practices(
    state: &AppState,
    principal: &Principal,
    tier: Option<&str>,
    scenario: Option<&str>,
) -> Vec<Practice> {
    let access = state.access(principal.clone());
    let catalog = state.library.indexed_catalog();
    state
        .library
        .practices(tier, scenario)
        .into_iter()
        .map(|mut p| {
            p.readable = catalog.get(&p.case_id).is_some_and(|c| access.can_read(c));
            p
        })
        .collect()
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
    let taxonomy = state.library.taxonomy();
    let nonempty = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let (tier, scenario) = (nonempty(&query.tier), nonempty(&query.scenario));
    if let Some(t) = &tier {
        if !taxonomy.all_tier_ids().contains(&t.as_str()) {
            return Err(AppError::bad_request(
                "invalid_tier",
                format!(
                    "tier: unknown tier {t:?} (expected one of {})",
                    taxonomy.all_tier_ids().join(", ")
                ),
            ));
        }
    }
    if let Some(s) = &scenario {
        if !taxonomy.is_scenario(s) {
            return Err(AppError::bad_request(
                "invalid_scenario",
                format!(
                    "scenario: unknown scenario {s:?} (expected one of {})",
                    taxonomy.scenario_ids().join(", ")
                ),
            ));
        }
    }
    Ok(web::Json(readable_practices(
        &state,
        &principal,
        tier.as_deref(),
        scenario.as_deref(),
    )))
}

/// The learner behind a principal (position and region from their user record).
pub fn learner_courses(state: &AppState, principal: &Principal) -> Result<Vec<MyCourse>, AppError> {
    let user = state.auth.user(&principal.user)?;
    let (position, region) = user.map(|u| (u.position, u.region)).unwrap_or((None, None));
    let learner = Learner {
        user: &principal.user,
        role: principal.role.as_str(),
        position: position.as_deref(),
        region: region.as_deref(),
    };
    Ok(state.library.my_courses(&learner)?)
}

/// `GET /api/v1/my/courses`: the caller's courses (audience and running campaigns), with
/// progress.
#[utoipa::path(
    get,
    path = "/api/v1/my/courses",
    responses(
        (status = 200, description = "My courses and progress", body = Vec<crate::domain::enablement::MyCourse>),
        Unauthenticated,
    )
)]
pub async fn my_courses(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<web::Json<Vec<MyCourse>>, AppError> {
    Ok(web::Json(learner_courses(&state, &principal)?))
}

/// `PUT /api/v1/progress/{lesson}`: mark a lesson done.
#[utoipa::path(
    put,
    path = "/api/v1/progress/{lesson}",
    params(("lesson" = String, Path, description = "Lesson id")),
    responses(
        (status = 204, description = "Marked done"),
        InvalidContent,
        Unauthenticated,
        Forbidden,
        NotFound,
    )
)]
pub async fn mark_lesson_done(
    state: web::Data<AppState>,
    principal: Principal,
    lesson: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let library = state.library.clone();
    blocking(move || library.set_lesson_done(&principal.user, &lesson, true)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `DELETE /api/v1/progress/{lesson}`: mark a lesson not done.
#[utoipa::path(
    delete,
    path = "/api/v1/progress/{lesson}",
    params(("lesson" = String, Path, description = "Lesson id")),
    responses(
        (status = 204, description = "Marked not done"),
        InvalidContent,
        Unauthenticated,
        Forbidden,
        NotFound,
    )
)]
pub async fn unmark_lesson_done(
    state: web::Data<AppState>,
    principal: Principal,
    lesson: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let library = state.library.clone();
    blocking(move || library.set_lesson_done(&principal.user, &lesson, false)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v1/courses/{id}/completion` (trainers, managers, admins).
#[utoipa::path(
    get,
    path = "/api/v1/courses/{id}/completion",
    params(("id" = String, Path, description = "Course id")),
    responses(
        (status = 200, description = "Who completed the course", body = crate::domain::enablement::Completion),
        InvalidContent,
        Unauthenticated,
        Forbidden,
        NotFound,
    )
)]
pub async fn course_completion(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> Result<web::Json<Completion>, AppError> {
    require(
        policy::can_see_course_completion(&principal),
        &principal,
        "course completion",
        "trainers, managers and admins",
    )?;
    Ok(web::Json(state.library.completion(&id)?))
}
