//! Writing items through the API: create, save (JSON fields or a whole Markdown file) and the
//! Markdown preview.

use crate::error_codes::code;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::domain::ids::ItemId;
use crate::domain::policy;
use crate::domain::policy::Principal;
use crate::render::render_html;
use crate::web::blocking::blocking;
use crate::web::error::responses::{
    EditConflict, Forbidden, InvalidContent, NotFound, TooLarge, Unauthenticated,
    UnsupportedMediaType,
};
use crate::web::error::AppError;
use crate::web::routes::content::{editable, forbidden_to_write, Saved};
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
fn markdown_of(req: &HttpRequest, body: &[u8]) -> Result<(String, Option<u64>), AppError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let base_query = web::Query::<BaseQuery>::from_query(req.query_string())
        .map_err(|e| AppError::bad_request(code::INVALID_QUERY, e.to_string()))?
        .base;
    if content_type.starts_with("text/markdown") || content_type.starts_with("text/plain") {
        let text = std::str::from_utf8(body).map_err(|_| {
            AppError::bad_request(
                code::INVALID_ENCODING,
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
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        AppError::bad_request(code::INVALID_JSON, format!("the body is not JSON: {e}"))
    })?;
    let serde_json::Value::Object(mut fields) = value else {
        return Err(AppError::bad_request(
            code::INVALID_JSON,
            "send a JSON object: the front-matter fields and `body`",
        ));
    };
    let body_text = match fields.remove("body") {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s,
        Some(_) => {
            return Err(AppError::bad_request(
                code::INVALID_JSON,
                "body: expected the Markdown text as a string",
            ))
        }
    };
    let base = match fields.remove("base") {
        None | Some(serde_json::Value::Null) => base_query,
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(_) => {
            return Err(AppError::bad_request(
                code::INVALID_JSON,
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
    id: web::Path<ItemId>,
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
