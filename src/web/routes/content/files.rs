//! Files into content: `POST /api/v1/content/import` and the page `/content/import` bring
//! existing notes and documents in as drafts; attachments are listed, added and downloaded
//! (`/api/v1/content/{id}/attachments…`, `/content/{id}/attachments…`).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Serialize;

use crate::app::access::Access;
use crate::app::content_import::{ContentImportOptions, ContentImportReport, SourceFile};
use crate::domain::content::Kind;
use crate::domain::ids::ItemId;
use crate::domain::policy;
use crate::domain::policy::{ContentFacts, Principal};
use crate::domain::Lang;
use crate::error_codes::code;
use crate::extract::{self, Format, Limits};
use crate::store::{Attachment, NewAttachment};
use crate::web::error::responses::{BadInput, Forbidden, NotFound, TooLarge, Unauthenticated};
use crate::web::error::{AppError, OrPage, PageError};
use crate::web::guard::require;
use crate::web::page::{html, PageContext};
use crate::web::upload::{receive_upload, Form};
use crate::web::AppState;

/// Most files in one upload (a `.zip` counts as one).
pub const MAX_FILES: usize = 200;

fn require_importer(p: &Principal) -> Result<(), AppError> {
    require(
        policy::can_import_content(p),
        p,
        "importing files as content",
        "trainers, managers and admins",
    )
}

fn limits(state: &AppState) -> Limits {
    Limits {
        max_file_bytes: state.max_file_bytes as u64,
        ..Limits::default()
    }
}

/// The files of a form, read back from the staged upload.
fn source_files(form: &Form) -> Result<Vec<SourceFile>, AppError> {
    let files: Vec<SourceFile> = form
        .files
        .iter()
        .filter(|f| f.field == "file" && !f.name.is_empty())
        .map(|f| {
            Ok(SourceFile {
                path: f.name.clone(),
                bytes: std::fs::read(&f.path).map_err(AppError::internal)?,
            })
        })
        .collect::<Result<_, AppError>>()?;
    if files.is_empty() {
        return Err(AppError::bad_request(
            code::INVALID_FORM,
            "send one or more files in form parts named \"file\" (a .zip of a folder is fine)",
        ));
    }
    Ok(files)
}

fn kind_of(form: &Form) -> Result<Kind, AppError> {
    match form.field("kind").map(str::trim).filter(|k| !k.is_empty()) {
        None | Some("playbook") => Ok(Kind::Playbook),
        Some("case") => Ok(Kind::Case),
        Some(other) => Err(AppError::bad_request(
            code::INVALID_KIND,
            format!("kind: {other:?} — imported files become a playbook or a case"),
        )),
    }
}

async fn run_import(
    state: &web::Data<AppState>,
    access: Access,
    form: &Form,
) -> Result<ContentImportReport, AppError> {
    let options = ContentImportOptions {
        kind: kind_of(form)?,
        limits: limits(state),
    };
    let files = source_files(form)?;
    let library = state.library.clone();
    Ok(
        web::block(move || library.import_content(files, &options, &access))
            .await
            .map_err(AppError::internal)??,
    )
}

/// `POST /api/v1/content/import` (trainers, managers and admins): `multipart/form-data` with
/// one or more parts named `file` (a `.zip` is opened) and an optional `kind` (`playbook`, the
/// default, or `case`). Every file becomes a draft owned by the importer, or is listed in
/// `failed` with what to do.
#[utoipa::path(
    post,
    path = "/api/v1/content/import",
    request_body(content = String, content_type = "multipart/form-data", description = "Parts named `file` (Markdown, .docx, .pptx, .pdf, .xlsx, .xls, .ods, .html, .txt or a .zip of them) and an optional `kind`"),
    responses(
        (status = 200, description = "Every file imported or failed, with why", body = ContentImportReport),
        BadInput,
        Unauthenticated,
        Forbidden,
        TooLarge,
    )
)]
pub async fn import_content(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    payload: web::Payload,
) -> Result<web::Json<ContentImportReport>, AppError> {
    require_importer(&principal)?;
    let (upload, form, _slot) =
        receive_upload(&req, &state, &principal, payload, MAX_FILES).await?;
    let result = run_import(&state, state.access(principal), &form).await;
    state.staging.remove(&upload);
    Ok(web::Json(result?))
}

#[derive(Template)]
#[template(path = "import_content.html")]
pub struct ImportContentPage {
    pub ctx: PageContext,
    pub action: String,
    pub report: Option<ContentImportReport>,
    pub kind: &'static str,
}

/// `GET /content/import`.
pub async fn show_import(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
) -> Result<HttpResponse, PageError> {
    require_importer(&principal).or_page(lang)?;
    let ctx = PageContext::for_request(&req, &state, lang);
    html(&import_page(ctx, None, "playbook")).or_page(lang)
}

fn import_page(
    ctx: PageContext,
    report: Option<ContentImportReport>,
    kind: &'static str,
) -> ImportContentPage {
    let action = format!("/content/import?csrf={}", ctx.csrf);
    ImportContentPage {
        ctx,
        action,
        report,
        kind,
    }
}

/// `POST /content/import` (multipart, as the API).
pub async fn submit_import(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    require_importer(&principal).or_page(lang)?;
    let ctx = PageContext::for_request(&req, &state, lang);
    let (upload, form, _slot) = receive_upload(&req, &state, &principal, payload, MAX_FILES)
        .await
        .or_page(lang)?;
    let kind = match kind_of(&form) {
        Ok(Kind::Case) => "case",
        _ => "playbook",
    };
    let result = run_import(&state, state.access(principal), &form).await;
    state.staging.remove(&upload);
    html(&import_page(ctx, Some(result.or_page(lang)?), kind)).or_page(lang)
}

/// The attachments of an item as its reader sees them.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AttachmentList {
    pub attachments: Vec<AttachmentEntry>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AttachmentEntry {
    #[serde(flatten)]
    pub attachment: Attachment,
    /// Where to download it (with the reader's session or token).
    pub url: String,
}

fn entries(id: &str, attachments: Vec<Attachment>) -> AttachmentList {
    AttachmentList {
        attachments: attachments
            .into_iter()
            .map(|a| AttachmentEntry {
                url: format!(
                    "/api/v1/content/{id}/attachments/{}",
                    crate::web::page::path_segment(&a.name)
                ),
                attachment: a,
            })
            .collect(),
    }
}

/// `GET /api/v1/content/{id}/attachments`: for whoever may read the item.
#[utoipa::path(
    get,
    path = "/api/v1/content/{id}/attachments",
    params(("id" = String, Path, description = "Item id")),
    responses(
        (status = 200, description = "The item's files", body = AttachmentList),
        BadInput,
        Unauthenticated,
        NotFound,
    )
)]
pub async fn list_attachments(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<ItemId>,
) -> Result<web::Json<AttachmentList>, AppError> {
    let access = state.access(principal);
    Ok(web::Json(entries(
        &id,
        state.library.attachments_of(&access, &id)?,
    )))
}

/// Who may attach files: whoever may edit the item.
fn require_editor(state: &AppState, principal: &Principal, id: &ItemId) -> Result<(), AppError> {
    let access = state.access(principal.clone());
    state.library.readable_item(&access, id)?;
    let record = state.library.record(id)?;
    require(
        policy::can_edit_content(principal, ContentFacts::of(&record.item)),
        principal,
        "attaching files to this item",
        "those who may edit it",
    )
}

/// The files of a form as attachments, their text taken out for search (a file whose text
/// cannot be read is still attached, unsearched).
fn new_attachments(form: &Form, limits: &Limits) -> Result<Vec<NewAttachment>, AppError> {
    let mut out = Vec::new();
    for file in form.files.iter().filter(|f| f.field == "file") {
        if file.size > limits.max_file_bytes {
            return Err(AppError::PayloadTooLarge(format!(
                "{}: larger than the limit of {} MiB per file (PLAYBOOK_MAX_FILE_MB)",
                file.name,
                limits.max_file_bytes / (1024 * 1024)
            )));
        }
        let name = file.name.trim();
        if name.is_empty()
            || name == "."
            || name == ".."
            || name.chars().any(char::is_control)
            || name.len() > 255
        {
            return Err(AppError::bad_request(
                code::INVALID_FORM,
                format!(
                    "{name:?}: give the file a name without control characters, at most 255 bytes"
                ),
            ));
        }
        let bytes = std::fs::read(&file.path).map_err(AppError::internal)?;
        let text = match Format::of(name, &bytes) {
            Some(_) => extract::extract(name, &bytes, limits)
                .map(|e| e.markdown)
                .unwrap_or_default(),
            None => String::new(),
        };
        let content_type = crate::app::content_import::content_type_of(name);
        out.push(NewAttachment {
            name: name.to_owned(),
            content_type: content_type.to_owned(),
            bytes,
            text,
        });
    }
    if out.is_empty() {
        return Err(AppError::bad_request(
            code::INVALID_FORM,
            "send one or more files in form parts named \"file\"",
        ));
    }
    Ok(out)
}

/// Pictures shown inline (everything else, SVG included, downloads).
fn image_type(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map(|(_, e)| e)?;
    Some(match ext {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        _ => return None,
    })
}

async fn attach(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    principal: &Principal,
    id: &ItemId,
    payload: web::Payload,
) -> Result<Vec<Attachment>, AppError> {
    require_editor(state, principal, id)?;
    let (upload, form, _slot) = receive_upload(req, state, principal, payload, MAX_FILES).await?;
    let files = new_attachments(&form, &limits(state));
    state.staging.remove(&upload);
    let files = files?;
    let library = state.library.clone();
    let (id, by) = (id.to_string(), principal.user.clone());
    let list = web::block(move || library.attach_files(&id, files, &by))
        .await
        .map_err(AppError::internal)??;
    Ok(list)
}

/// `POST /api/v1/content/{id}/attachments` (whoever may edit the item): parts named `file`;
/// a file of the same name is replaced. Words inside the files are found by search.
#[utoipa::path(
    post,
    path = "/api/v1/content/{id}/attachments",
    params(("id" = String, Path, description = "Item id")),
    request_body(content = String, content_type = "multipart/form-data", description = "Parts named `file`"),
    responses(
        (status = 200, description = "The item's files after", body = AttachmentList),
        BadInput,
        Unauthenticated,
        Forbidden,
        NotFound,
        TooLarge,
    )
)]
pub async fn add_attachments(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<ItemId>,
    payload: web::Payload,
) -> Result<web::Json<AttachmentList>, AppError> {
    let list = attach(&req, &state, &principal, &id, payload).await?;
    Ok(web::Json(entries(&id, list)))
}

/// `POST /content/{id}/attachments` (the item page's form): back to the item.
pub async fn submit_attachments(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    id: web::Path<ItemId>,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    attach(&req, &state, &principal, &id, payload)
        .await
        .or_page(lang)?;
    Ok(super::to_item_done(&id, "attached"))
}

/// One attachment's bytes, for whoever may read the item. Pictures are shown inline (a note's
/// images); everything else downloads, so an uploaded page or SVG never runs in ours.
async fn download(
    state: &AppState,
    principal: Principal,
    id: &ItemId,
    name: &str,
) -> Result<HttpResponse, AppError> {
    let access = state.access(principal);
    let (attachment, bytes) = state.library.attachment_file(&access, id, name)?;
    let inline = image_type(&attachment.name).is_some();
    let disposition = format!(
        "{}; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        crate::web::page::path_segment(&attachment.name)
    );
    Ok(HttpResponse::Ok()
        .content_type(if inline {
            attachment.content_type.as_str()
        } else if attachment.content_type.starts_with("text/") {
            "application/octet-stream"
        } else {
            attachment.content_type.as_str()
        })
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

/// `GET /api/v1/content/{id}/attachments/{name}`.
#[utoipa::path(
    get,
    path = "/api/v1/content/{id}/attachments/{name}",
    params(
        ("id" = String, Path, description = "Item id"),
        ("name" = String, Path, description = "File name"),
    ),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream"),
        BadInput,
        Unauthenticated,
        NotFound,
    )
)]
pub async fn get_attachment(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(ItemId, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, name) = path.into_inner();
    download(&state, principal, &id, &name).await
}

/// `GET /content/{id}/attachments/{name}` (links in item pages).
pub async fn show_attachment(
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    path: web::Path<(ItemId, String)>,
) -> Result<HttpResponse, PageError> {
    let (id, name) = path.into_inner();
    download(&state, principal, &id, &name).await.or_page(lang)
}
