//! Streaming request bodies into blocking code: the body of `POST /api/v1/accounts/import` is
//! handed to the (synchronous, streaming) CSV importer chunk by chunk through a bounded
//! channel, so a large file is never held in memory and the HTTP worker never blocks.

use std::io::{self, Read};

use actix_web::web::{self, Bytes};
use actix_web::HttpRequest;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::web::error::AppError;

/// Chunks in flight between the HTTP worker and the importer.
const CHANNEL_CHUNKS: usize = 16;

/// A blocking `Read` over body chunks sent by the HTTP worker.
pub struct BodyReader {
    chunks: mpsc::Receiver<Result<Bytes, String>>,
    current: Bytes,
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(message)) => return Err(io::Error::other(message)),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

/// Runs `work` on the blocking thread pool with the request body as a `Read`, feeding it from
/// `payload`. A body over `limit` bytes is refused with 413: up front when `Content-Length`
/// says so, otherwise as soon as the limit is crossed (the reader then fails, so `work` sees a
/// read error and stops; the importer stores nothing of a file it could not read to its end,
/// so a 413 always means nothing was stored).
pub async fn with_body_reader<T: Send + 'static>(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
    work: impl FnOnce(BodyReader) -> T + Send + 'static,
) -> Result<T, AppError> {
    let too_large = || {
        AppError::PayloadTooLarge(format!(
            "the body is larger than the import limit of {} MiB (PLAYBOOK_MAX_IMPORT_MB); \
             import large files with `playbook import accounts FILE` while the server is stopped",
            limit / (1024 * 1024)
        ))
    };
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(too_large());
    }
    let (sender, receiver) = mpsc::channel(CHANNEL_CHUNKS);
    let reader = BodyReader {
        chunks: receiver,
        current: Bytes::new(),
    };
    let task = actix_web::rt::task::spawn_blocking(move || work(reader));
    let mut received = 0usize;
    let mut exceeded = false;
    while let Some(chunk) = payload.next().await {
        let message = match chunk {
            Ok(chunk) => {
                received += chunk.len();
                if received > limit {
                    exceeded = true;
                    Err("the body exceeded the import limit".to_owned())
                } else {
                    Ok(chunk)
                }
            }
            Err(e) => Err(format!("the request body could not be read: {e}")),
        };
        let stop = message.is_err();
        // The importer stops reading after a header error: nothing more to send.
        if sender.send(message).await.is_err() || stop {
            break;
        }
    }
    drop(sender);
    let result = task.await.map_err(AppError::internal)?;
    if exceeded {
        return Err(too_large());
    }
    Ok(result)
}

/// Reads a multipart upload into a fresh staged upload of `principal` (at most `max_files`
/// files, `max_import_bytes` in all), holding an import slot until the caller drops it. The
/// caller removes the upload when done; on an error it is removed here.
pub async fn receive_upload(
    req: &HttpRequest,
    state: &crate::web::AppState,
    principal: &crate::domain::policy::Principal,
    payload: web::Payload,
    max_files: usize,
) -> Result<(crate::app::staging::StagedUpload, Form, ImportSlot), AppError> {
    refuse_oversized(req, state.max_import_bytes)?;
    let slot = import_slot(state)?;
    let upload = state
        .staging
        .create(&principal.user)
        .map_err(AppError::internal)?;
    let multipart = actix_multipart::Multipart::new(req.headers(), payload);
    match read_form(multipart, &upload, state.max_import_bytes, max_files).await {
        Ok(form) => Ok((upload, form, slot)),
        Err(e) => {
            state.staging.remove(&upload);
            Err(e)
        }
    }
}

/// A `multipart/form-data` body: its text fields and its files, the files written into a
/// staged upload.
#[derive(Debug, Default)]
pub struct Form {
    pub fields: Vec<(String, String)>,
    pub files: Vec<UploadedFile>,
}

impl Form {
    /// The first value of a text field.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a text field, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One uploaded file.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    /// The form field it came in.
    pub field: String,
    /// The file's name as the browser sent it (its last path part only); may be anything.
    pub name: String,
    /// Where it was written (a name chosen here, never the sender's).
    pub path: std::path::PathBuf,
    pub size: u64,
}

/// `Retry-After` of an import refused because others are running.
const IMPORT_RETRY_AFTER_SECS: u64 = 5;

/// A held import slot: this node's, and on a shared store one of the slots all nodes share.
pub struct ImportSlot {
    _node: tokio::sync::OwnedSemaphorePermit,
    _shared: crate::store::kv::KvLock,
}

/// One of the import slots (account imports and previews, content imports, attachments): each
/// holds an upload and a parse, so one more than [`crate::web::MAX_CONCURRENT_IMPORTS`] at once
/// is refused with 429 rather than queued — on one node, and on a shared store across all
/// nodes together.
pub fn import_slot(state: &crate::web::AppState) -> Result<ImportSlot, AppError> {
    let busy = || AppError::TooManyRequests {
        code: crate::error_codes::code::TOO_MANY_IMPORTS,
        message: format!(
            "{} imports are already running; try again when one has finished",
            crate::web::MAX_CONCURRENT_IMPORTS
        ),
        retry_after_secs: IMPORT_RETRY_AFTER_SECS,
    };
    let node = state
        .import_slots
        .clone()
        .try_acquire_owned()
        .map_err(|_| busy())?;
    let shared = state
        .library
        .store()
        .try_shared_slot(crate::web::MAX_CONCURRENT_IMPORTS)
        .map_err(AppError::internal)?
        .ok_or_else(busy)?;
    Ok(ImportSlot {
        _node: node,
        _shared: shared,
    })
}

/// A body whose `Content-Length` is over `limit` is refused before it is read.
pub fn refuse_oversized(req: &HttpRequest, limit: usize) -> Result<(), AppError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(AppError::PayloadTooLarge(format!(
            "the upload is larger than the limit of {} MiB (PLAYBOOK_MAX_IMPORT_MB)",
            limit / (1024 * 1024)
        )));
    }
    Ok(())
}

/// Largest text field of a form.
const MAX_FIELD_BYTES: usize = 64 * 1024;
/// Most text fields in a form (a column mapping has one per column).
const MAX_FIELDS: usize = 20_000;

/// Reads a multipart body into `upload`: at most `max_files` files and `limit` bytes in all
/// (text fields counted), each text field at most 64 KiB and at most 20,000 of them. Over a limit is a 413 naming it; a body that is not
/// multipart is a 400.
pub async fn read_form(
    mut multipart: actix_multipart::Multipart,
    upload: &crate::app::staging::StagedUpload,
    limit: usize,
    max_files: usize,
) -> Result<Form, AppError> {
    use std::io::Write;

    let bad = |e: actix_multipart::MultipartError| {
        AppError::bad_request(
            crate::error_codes::code::INVALID_FORM,
            format!("the form could not be read: {e}"),
        )
    };
    let too_large = || {
        AppError::PayloadTooLarge(format!(
            "the files are larger than the upload limit of {} MiB in all (PLAYBOOK_MAX_IMPORT_MB)",
            limit / (1024 * 1024)
        ))
    };
    let mut form = Form::default();
    let mut total = 0usize;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(bad)?;
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(|f| f.rsplit(['/', '\\']).next().unwrap_or(f).to_owned());
        match file_name {
            Some(file_name) => {
                if form.files.len() >= max_files {
                    return Err(AppError::PayloadTooLarge(format!(
                        "at most {max_files} files per upload — put more in a .zip"
                    )));
                }
                let path = upload.file(&format!("part-{}", form.files.len()));
                let mut out = std::fs::File::create(&path).map_err(AppError::internal)?;
                let mut size = 0u64;
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(bad)?;
                    total += chunk.len();
                    if total > limit {
                        return Err(too_large());
                    }
                    size += chunk.len() as u64;
                    out.write_all(&chunk).map_err(AppError::internal)?;
                }
                out.flush().map_err(AppError::internal)?;
                form.files.push(UploadedFile {
                    field: name,
                    name: file_name,
                    path,
                    size,
                });
            }
            None => {
                if form.fields.len() >= MAX_FIELDS {
                    return Err(AppError::PayloadTooLarge(format!(
                        "the form has more than {MAX_FIELDS} fields"
                    )));
                }
                let mut value = Vec::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(bad)?;
                    total += chunk.len();
                    if total > limit {
                        return Err(too_large());
                    }
                    if value.len() + chunk.len() > MAX_FIELD_BYTES {
                        return Err(AppError::PayloadTooLarge(format!(
                            "the form field {name:?} is longer than 64 KiB"
                        )));
                    }
                    value.extend_from_slice(&chunk);
                }
                let value = String::from_utf8(value).map_err(|_| {
                    AppError::bad_request(
                        crate::error_codes::code::INVALID_FORM,
                        format!("the form field {name:?} is not UTF-8 text"),
                    )
                })?;
                form.fields.push((name, value));
            }
        }
    }
    Ok(form)
}
