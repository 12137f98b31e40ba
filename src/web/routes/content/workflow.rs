//! The review workflow: submit, approve, send back, archive; the review queue and one's own
//! items.

use crate::error_codes::code;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::domain::ids::ItemId;
use crate::domain::policy::Principal;
use crate::domain::workflow::Action;
use crate::domain::{policy, Lang};
use crate::web::blocking::blocking;
use crate::web::error::responses::{
    EditConflict, Forbidden, InvalidContent, NotFound, TooLarge, Unauthenticated,
};
use crate::web::error::{AppError, OrPage, PageError};
use crate::web::guard::require;
use crate::web::page::{html, PageContext};
use crate::web::routes::content::{last_send_back, require_step, to_item_done, QueueEntry, Saved};
use crate::web::AppState;

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepBody {
    #[serde(default)]
    comment: Option<String>,
}

async fn step(
    state: web::Data<AppState>,
    principal: Principal,
    id: ItemId,
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
            code::INVALID_JSON,
            "the body is {\"comment\": \"…\"} or nothing",
        ));
    }
    let step: StepBody = serde_json::from_slice(text).map_err(|e| {
        AppError::bad_request(
            code::INVALID_JSON,
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
    id: web::Path<ItemId>,
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
    id: web::Path<ItemId>,
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
    id: web::Path<ItemId>,
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
    id: web::Path<ItemId>,
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

#[derive(Deserialize)]
pub struct WorkflowForm {
    action: String,
    #[serde(default)]
    comment: String,
    #[serde(default, rename = "csrf")]
    _csrf: String,
}

/// `POST /content/{id}/workflow`: submit, approve, send back (with a comment) or archive.
pub async fn submit_workflow(
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    id: web::Path<ItemId>,
    form: web::Form<WorkflowForm>,
) -> Result<HttpResponse, PageError> {
    let action = match form.action.as_str() {
        "submit" => Action::Submitted,
        "approve" => Action::Approved,
        "send_back" => Action::SentBack,
        "archive" => Action::Archived,
        other => {
            return Err(AppError::bad_request(
                code::INVALID_ACTION,
                format!(
                "action: unknown action {other:?} (expected submit, approve, send_back or archive)"
            ),
            ))
            .or_page(lang)
        }
    };
    let access = state.access(principal.clone());
    state.library.readable_item(&access, &id).or_page(lang)?;
    let record = state.library.record(&id).or_page(lang)?;
    require_step(&principal, &record.item, action).or_page(lang)?;
    let comment = Some(form.comment.trim().to_owned()).filter(|c| !c.is_empty());
    let library = state.library.clone();
    let item_id = id.clone();
    blocking(move || library.workflow_step(&item_id, action, &principal.user, comment))
        .await
        .or_page(lang)?;
    Ok(to_item_done(&id, action.as_str()))
}

/// One row of a work list: the item, and for its author whether (and why) it was sent back.
pub struct WorkRow {
    pub entry: QueueEntry,
    /// Who sent it back and their note (empty without one).
    pub sent_back: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "worklist.html")]
pub struct WorklistPage {
    pub ctx: PageContext,
    pub heading: &'static str,
    pub entries: Vec<WorkRow>,
    pub empty: &'static str,
}

/// `GET /review`: the approvers' queue.
pub async fn show_review_queue(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
) -> Result<HttpResponse, PageError> {
    require(
        policy::can_approve(&principal),
        &principal,
        "the review queue",
        "managers and admins",
    )
    .or_page(lang)?;
    let ctx = PageContext::for_request(&req, &state, lang);
    let today = crate::app::authoring::today();
    let entries = state
        .library
        .review_queue()
        .or_page(lang)?
        .iter()
        .map(|r| WorkRow {
            entry: QueueEntry::of(r, &today),
            sent_back: None,
        })
        .collect();
    html(&WorklistPage {
        heading: ctx.t("待审核", "Waiting for review"),
        empty: ctx.t("没有待审核的内容。", "Nothing is waiting for review."),
        ctx,
        entries,
    })
    .or_page(lang)
}

/// `GET /my/content`: the viewer's items, stale ones first.
pub async fn show_my_content(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
) -> Result<HttpResponse, PageError> {
    let ctx = PageContext::for_request(&req, &state, lang);
    let today = crate::app::authoring::today();
    let mut entries = Vec::new();
    for record in state
        .library
        .owned_by(Some(&principal.user))
        .or_page(lang)?
        .iter()
    {
        entries.push(WorkRow {
            entry: QueueEntry::of(record, &today),
            sent_back: last_send_back(&state, &record.item).or_page(lang)?,
        });
    }
    // What needs the author first: sent back, then stale.
    entries.sort_by_key(|row| (row.sent_back.is_none(), !row.entry.stale));
    html(&WorklistPage {
        heading: ctx.t("我的内容", "My content"),
        empty: ctx.t("你还没有写过内容。", "You have not written anything yet."),
        ctx,
        entries,
    })
    .or_page(lang)
}
