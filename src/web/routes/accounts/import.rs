//! `POST /api/v1/accounts/import`: a CSV of accounts, streamed, with row errors.

use crate::error_codes::code;
use actix_web::http::header;
use actix_web::{web, HttpRequest};
use serde::Serialize;

use crate::app::account_book::ImportReport;
use crate::domain::import::RowError;
use crate::domain::policy;
use crate::domain::policy::Principal;
use crate::web::error::responses::{
    BadInput, Forbidden, TooLarge, TooManyRequests, Unauthenticated, UnsupportedMediaType,
};
use crate::web::error::AppError;
use crate::web::guard::require;
use crate::web::upload::with_body_reader;
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

/// `POST /api/v1/accounts/import` (managers and admins).
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
        "managers and admins",
    )?;
    require_csv(&req)?;
    let _slot = state
        .import_slots
        .clone()
        .try_acquire_owned()
        .map_err(|_| AppError::TooManyRequests {
            code: code::TOO_MANY_IMPORTS,
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
