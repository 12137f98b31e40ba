//! `POST /api/v1/accounts/import`: a CSV or a workbook of accounts, streamed, with row errors,
//! columns mapped by hand or remembered; `…/import/preview` shows how the columns would be read.

use crate::error_codes::code;
use actix_web::http::header;
use actix_web::{web, HttpRequest};
use serde::Serialize;

use std::io::Read;

use serde::Deserialize;

use crate::app::account_book::{
    AccountsError, ImportFile, ImportOptions, ImportPreview, ImportReport,
};
use crate::domain::import::{RowError, SheetFormat};
use crate::domain::policy;
use crate::domain::policy::Principal;
use crate::web::error::responses::{
    BadInput, Forbidden, TooLarge, TooManyRequests, Unauthenticated, UnsupportedMediaType,
};
use crate::web::error::AppError;
use crate::web::guard::require;
use crate::web::upload::{import_slot, with_body_reader};
use crate::web::AppState;

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

/// The query of an import or a preview (documentation: the handler reads the query string
/// itself, since `map` repeats).
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ImportQuery {
    /// A column mapped by hand, `HEADER=FIELD` (repeat for more columns); an empty field
    /// leaves the column out, e.g. `map=Kunde=name&map=Umsatz=revenue(千元)&map=Notiz=`.
    /// Remembered for the next file with the same header row (and under `source`).
    map: Option<Vec<String>>,
    /// A name for where such files come from (`salesforce`); a mapping is remembered under it.
    source: Option<String>,
    /// The sheet of a workbook; the first sheet when absent.
    sheet: Option<String>,
    /// `csv`, `xlsx`, `xls` or `ods`, when the Content-Type does not say (e.g.
    /// `application/octet-stream`).
    format: Option<String>,
}

/// What kind of file the request carries.
#[derive(Clone, Copy)]
enum Upload {
    Csv,
    Workbook(SheetFormat),
}

fn parse_query(req: &HttpRequest, by: &str) -> Result<(ImportOptions, Option<Upload>), AppError> {
    let mut options = ImportOptions {
        by: by.to_owned(),
        ..ImportOptions::default()
    };
    let mut format = None;
    for (key, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        match key.as_ref() {
            "map" => options
                .mapping
                .add_pair(&value)
                .map_err(|m| AppError::bad_request(code::INVALID_QUERY, m))?,
            "source" => options.source = Some(value.into_owned()),
            "sheet" => options.sheet = Some(value.into_owned()),
            "format" => {
                format = Some(match value.trim().to_ascii_lowercase().as_str() {
                    "csv" => Upload::Csv,
                    other => SheetFormat::from_file_name(&format!("f.{other}"))
                        .map(Upload::Workbook)
                        .ok_or_else(|| {
                            AppError::bad_request(
                                code::INVALID_QUERY,
                                format!("format: {value:?} is not csv, xlsx, xls or ods"),
                            )
                        })?,
                })
            }
            other => {
                return Err(AppError::bad_request(
                    code::INVALID_QUERY,
                    format!(
                        "unknown query parameter {other:?} (expected map, source, sheet, format)"
                    ),
                ))
            }
        }
    }
    Ok((options, format))
}

fn upload_kind(req: &HttpRequest, format: Option<Upload>) -> Result<Upload, AppError> {
    if let Some(format) = format {
        return Ok(format);
    }
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
        return Ok(Upload::Csv);
    }
    SheetFormat::from_content_type(mime)
        .map(Upload::Workbook)
        .ok_or_else(|| {
            AppError::UnsupportedMediaType(format!(
                "send the file as the body with Content-Type text/csv, \
                 application/vnd.openxmlformats-officedocument.spreadsheetml.sheet (.xlsx), \
                 application/vnd.ms-excel (.xls) or application/vnd.oasis.opendocument.spreadsheet \
                 (.ods), or add ?format=csv|xlsx|xls|ods (got {content_type:?})"
            ))
        })
}

/// Copies the body of a workbook upload to a temporary file (a workbook is a zip or OLE file
/// and is read with seeks).
fn spool(mut body: impl Read) -> Result<std::fs::File, AccountsError> {
    let mut file = tempfile::tempfile().map_err(|e| AccountsError::ReadFailed(e.to_string()))?;
    std::io::copy(&mut body, &mut file).map_err(|e| AccountsError::ReadFailed(e.to_string()))?;
    Ok(file)
}

/// `POST /api/v1/accounts/import` (managers and admins).
#[utoipa::path(
    post,
    path = "/api/v1/accounts/import",
    params(ImportQuery),
    request_body(
        description = "The accounts file: CSV (UTF-8, UTF-16 or GB18030), .xlsx, .xls or .ods",
        content(
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (Vec<u8> = "application/vnd.ms-excel"),
            (Vec<u8> = "application/vnd.oasis.opendocument.spreadsheet"),
        )
    ),
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
    require_importer(&principal)?;
    let (options, format) = parse_query(&req, &principal.user)?;
    let kind = upload_kind(&req, format)?;
    let _slot = import_slot(&state)?;
    let book = state.accounts.clone();
    let (report, errors, errors_omitted) =
        with_body_reader(&req, payload, state.max_import_bytes, move |body| {
            let (mut errors, mut omitted) = (Vec::new(), 0);
            let mut on_error = |e: &RowError| match errors.len() < MAX_LISTED_ERRORS {
                true => errors.push(e.clone()),
                false => omitted += 1,
            };
            let report = match kind {
                Upload::Csv => {
                    book.import(ImportFile::Csv(body), &options, "import", &mut on_error)
                }
                Upload::Workbook(format) => spool(body).and_then(|file| {
                    book.import(
                        ImportFile::<std::fs::File>::Workbook(file, format),
                        &options,
                        "import",
                        &mut on_error,
                    )
                }),
            };
            (report, errors, omitted)
        })
        .await?;
    Ok(web::Json(ImportResponse {
        report: report?,
        errors,
        errors_omitted,
    }))
}

fn require_importer(principal: &Principal) -> Result<(), AppError> {
    require(
        policy::can_import_accounts(principal),
        principal,
        "importing accounts",
        "managers and admins",
    )
}

/// `POST /api/v1/accounts/import/preview` (managers and admins): how the file's columns would
/// be read, with the mapping that would apply; nothing is stored. A header that cannot be used
/// (even with the mapping) is a 400 `invalid_csv` naming every problem, as for the import.
#[utoipa::path(
    post,
    path = "/api/v1/accounts/import/preview",
    params(ImportQuery),
    request_body(
        description = "The accounts file, as for the import",
        content(
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (Vec<u8> = "application/vnd.ms-excel"),
            (Vec<u8> = "application/vnd.oasis.opendocument.spreadsheet"),
        )
    ),
    responses(
        (status = 200, description = "The columns and the mapping", body = ImportPreview),
        BadInput,
        Unauthenticated,
        Forbidden,
        TooLarge,
        UnsupportedMediaType,
    )
)]
pub async fn preview_import(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    payload: web::Payload,
) -> Result<web::Json<ImportPreview>, AppError> {
    require_importer(&principal)?;
    let (options, format) = parse_query(&req, &principal.user)?;
    let kind = upload_kind(&req, format)?;
    let _slot = import_slot(&state)?;
    let book = state.accounts.clone();
    let preview = with_body_reader(
        &req,
        payload,
        state.max_import_bytes,
        move |body| match kind {
            Upload::Csv => book.preview(ImportFile::Csv(body), &options),
            Upload::Workbook(format) => spool(body).and_then(|file| {
                book.preview(
                    ImportFile::<std::fs::File>::Workbook(file, format),
                    &options,
                )
            }),
        },
    )
    .await?;
    let preview = preview?;
    // As the import answers it: a header that cannot be used is a 400 naming every problem
    // (the page shows the columns anyway, to map them).
    if !preview.problems.is_empty() {
        return Err(AppError::bad_request(
            code::INVALID_CSV,
            format!(
                "the header row cannot be used: {}",
                preview.problems.join("; ")
            ),
        ));
    }
    Ok(web::Json(preview))
}
