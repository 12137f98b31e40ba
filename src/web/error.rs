//! The one application error, rendered as JSON `{"error":{"code","message"}}` under `/api/v1/`
//! and as an HTML page elsewhere. Internal causes are logged with their chain, never shown.

use crate::error_codes::code;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use serde::Serialize;

use crate::app::account_book::AccountsError;
use crate::app::library::LibraryError;
use crate::domain::Lang;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A resource that does not exist (or that the viewer may not know exists).
    #[error("{0}")]
    NotFound(String),
    /// A request the client must change; `code` is stable and documented in docs/api.md.
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// No signed-in user (or an unknown, revoked or expired session or token).
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but the role may not do this; the message says who may.
    #[error("{0}")]
    Forbidden(String),
    /// A state-changing request without proof that it came from Playbook's own pages.
    #[error("{0}")]
    CsrfRejected(String),
    /// Too many failed sign-ins (`too_many_attempts`) or requests of a kind at once
    /// (`too_many_imports`); try again after `retry_after_secs`.
    #[error("{message}")]
    TooManyRequests {
        code: &'static str,
        message: String,
        retry_after_secs: u64,
    },
    /// The server is too busy for this request now (every password slot taken and the queue
    /// full); try again after `retry_after_secs`.
    #[error("{message}")]
    Unavailable {
        code: &'static str,
        message: String,
        retry_after_secs: u64,
    },
    /// A request that conflicts with what is stored (e.g. a user name that exists).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// Content that failed validation: every problem, each naming its field (the editor shows
    /// them next to the fields).
    #[error("{}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; "))]
    Rejected(Vec<crate::domain::capture::FieldError>),
    /// A request body over the configured limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// A known path asked with a method it does not take.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// A request body of a type the route does not take.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Anything else; the cause is logged and the client sees a generic message.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// `Retry-After` of a `database_unavailable` answer.
const DATABASE_RETRY_SECS: u64 = 5;

impl AppError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> AppError {
        AppError::Internal(error.into())
    }

    /// An internal error caused by the database being out of reach: answered 503
    /// `database_unavailable` (with `Retry-After`), not 500 — the node recovers by itself.
    fn database_down(&self) -> bool {
        let AppError::Internal(cause) = self else {
            return false;
        };
        cause.chain().any(|c| {
            matches!(
                c.downcast_ref::<crate::store::StoreError>(),
                Some(crate::store::StoreError::Unavailable(_))
            )
        })
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound(_) => code::NOT_FOUND,
            AppError::Unauthorized(_) => code::UNAUTHORIZED,
            AppError::Forbidden(_) => code::FORBIDDEN,
            AppError::CsrfRejected(_) => code::CSRF_REJECTED,
            AppError::TooManyRequests { code, .. } => code,
            AppError::Unavailable { code, .. } => code,
            AppError::Conflict { code, .. } => code,
            AppError::BadRequest { code, .. } => code,
            AppError::Rejected(_) => code::INVALID_CONTENT,
            AppError::PayloadTooLarge(_) => code::PAYLOAD_TOO_LARGE,
            AppError::MethodNotAllowed(_) => code::METHOD_NOT_ALLOWED,
            AppError::UnsupportedMediaType(_) => code::UNSUPPORTED_MEDIA_TYPE,
            AppError::Internal(_) if self.database_down() => code::DATABASE_UNAVAILABLE,
            AppError::Internal(_) => code::INTERNAL,
        }
    }

    /// What the user is told; never an internal cause.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal(_) if self.database_down() => {
                "the database cannot be reached just now; nothing was changed: please try again in a few seconds".to_owned()
            }
            AppError::Internal(_) => {
                "internal error: the server logged the details; please try again or tell an administrator".to_owned()
            }
            other => other.to_string(),
        }
    }

    /// How long the client should wait before trying again (`Retry-After`), for 429 and 503.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            AppError::TooManyRequests {
                retry_after_secs, ..
            }
            | AppError::Unavailable {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            AppError::Internal(_) if self.database_down() => Some(DATABASE_RETRY_SECS),
            _ => None,
        }
    }

    fn log(&self) {
        if self.database_down() {
            tracing::warn!(error = %self.source_text(), "answered 503: the database is out of reach");
        } else if let AppError::Internal(cause) = self {
            tracing::error!(error = format!("{cause:#}"), "internal error");
        }
    }

    fn source_text(&self) -> String {
        match self {
            AppError::Internal(cause) => format!("{cause:#}"),
            other => other.to_string(),
        }
    }
}

impl From<LibraryError> for AppError {
    fn from(error: LibraryError) -> AppError {
        match error {
            LibraryError::NotFound(_) => AppError::NotFound(error.to_string()),
            LibraryError::Invalid { code, message } => AppError::BadRequest { code, message },
            LibraryError::Store(e) => AppError::internal(e),
            LibraryError::Search(e) => AppError::internal(e),
            LibraryError::Rejected(fields) => AppError::Rejected(fields),
            LibraryError::Conflict(message) => AppError::Conflict {
                code: code::EDIT_CONFLICT,
                message,
            },
        }
    }
}

impl From<crate::app::briefing::BriefingError> for AppError {
    fn from(error: crate::app::briefing::BriefingError) -> AppError {
        use crate::app::briefing::BriefingError;
        match error {
            BriefingError::NotFound(_) => AppError::NotFound(error.to_string()),
            BriefingError::Invalid { code, message } => AppError::BadRequest { code, message },
            BriefingError::Accounts(e) => e.into(),
            BriefingError::Library(e) => e.into(),
            BriefingError::Search(e) => AppError::internal(e),
        }
    }
}

impl From<AccountsError> for AppError {
    fn from(error: AccountsError) -> AppError {
        let message = error.to_string();
        match error {
            AccountsError::NotFound(_) => AppError::NotFound(message),
            AccountsError::InvalidModel(_) => {
                AppError::bad_request(code::INVALID_TIER_MODEL, message)
            }
            AccountsError::InvalidOverride(_) => {
                AppError::bad_request(code::INVALID_OVERRIDE, message)
            }
            AccountsError::InvalidCsv(_) => AppError::bad_request(code::INVALID_CSV, message),
            AccountsError::ReadFailed(_) => AppError::bad_request(code::INCOMPLETE_FILE, message),
            AccountsError::InvalidIndicator(_) => {
                AppError::bad_request(code::INVALID_INDICATOR, message)
            }
            AccountsError::InvalidFilter(_) => AppError::bad_request(code::INVALID_FILTER, message),
            AccountsError::Store(e) => AppError::internal(e),
        }
    }
}

impl From<crate::app::users::AuthError> for AppError {
    fn from(error: crate::app::users::AuthError) -> AppError {
        use crate::app::users::AuthError;
        let message = error.to_string();
        match error {
            AuthError::BadCredentials => AppError::Unauthorized(message),
            AuthError::Throttled { retry_after_secs } => AppError::TooManyRequests {
                code: code::TOO_MANY_ATTEMPTS,
                message,
                retry_after_secs,
            },
            AuthError::Busy { retry_after_secs } => AppError::Unavailable {
                code: code::SERVER_BUSY,
                message,
                retry_after_secs,
            },
            AuthError::Invalid { .. } => AppError::bad_request(code::INVALID_USER, message),
            AuthError::DemoteSelf => AppError::bad_request(code::CANNOT_DEMOTE_SELF, message),
            AuthError::LastAdmin(_) => AppError::bad_request(code::LAST_ADMIN, message),
            AuthError::Exists(_) => AppError::Conflict {
                code: code::USER_EXISTS,
                message,
            },
            AuthError::NoSuchUser(_) | AuthError::NoSuchToken(_) => AppError::NotFound(message),
            AuthError::Store(e) => AppError::internal(e),
            AuthError::Hash(e) => AppError::internal(anyhow::anyhow!(e)),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(error: askama::Error) -> AppError {
        AppError::internal(error)
    }
}

/// Every API error: `{"error":{"code","message"}}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody<'a> {
    pub error: ErrorDetail<'a>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail<'a> {
    /// Stable and machine-readable (`not_found`, `invalid_query`, `forbidden`, …).
    pub code: &'a str,
    /// What went wrong and what to do, naming the field.
    pub message: String,
    /// For `invalid_content`: each problem with the field it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<&'a [crate::domain::capture::FieldError]>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) | AppError::CsrfRejected(_) => StatusCode::FORBIDDEN,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::BadRequest { .. } | AppError::Rejected(_) => StatusCode::BAD_REQUEST,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Internal(_) if self.database_down() => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        crate::error_codes::check_listed(self.code(), self.status_code().as_u16());
        let mut response = HttpResponse::build(self.status_code());
        if let AppError::Unauthorized(_) = self {
            response.insert_header(("WWW-Authenticate", "Bearer realm=\"playbook\""));
        }
        if let Some(secs) = self.retry_after_secs() {
            response.insert_header(("Retry-After", secs.to_string()));
        }
        response.json(ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.public_message(),
                fields: match self {
                    AppError::Rejected(fields) => Some(fields),
                    _ => None,
                },
            },
        })
    }
}

/// An [`AppError`] on a page: the same error, rendered as HTML in the viewer's language.
#[derive(Debug)]
pub struct PageError {
    pub error: AppError,
    pub lang: Lang,
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

/// `error` as the request's path asks for it: JSON under `/api/`, an HTML page in the
/// viewer's language elsewhere (for answers given outside a handler).
pub fn error_response_for(req: &actix_web::HttpRequest, error: AppError) -> HttpResponse {
    if req.path().starts_with("/api/") {
        error.error_response()
    } else {
        PageError {
            error,
            lang: crate::web::i18n::request_lang(req),
        }
        .page_response(Some(req))
    }
}

/// The middleware that gives every error the documented shape. Handlers and extractors with an
/// error handler answer an [`AppError`] or [`PageError`] already; what actix raises by itself —
/// an extractor without an error handler (`web::Bytes` over the `PayloadConfig` limit, a body
/// that breaks off), a response that could not be built (an invalid header value) — would be a
/// plain-text answer. Those are rendered again here, keeping the status: JSON under `/api/`, the
/// HTML error page elsewhere.
pub async fn shape_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, actix_web::Error> {
    // The request cannot be kept (actix needs it unshared while the handler runs): what an
    // error raised instead of a response needs is noted before.
    let api = req.path().starts_with("/api/");
    let lang = crate::web::i18n::request_lang(req.request());
    let response = match next.call(req).await {
        Ok(response) => response,
        Err(error) if error.as_error::<AppError>().is_some() => return Err(error),
        Err(error) if error.as_error::<PageError>().is_some() => return Err(error),
        Err(error) => {
            let error = foreign_error(&error);
            return Err(if api {
                error.into()
            } else {
                PageError { error, lang }.into()
            });
        }
    };
    if !api {
        // A handler's page error was rendered without the request: render it again in the
        // frame of this request, so the header still shows who is signed in.
        let framed = response
            .response()
            .error()
            .and_then(|error| error.as_error::<PageError>())
            .map(|page_error| page_error.render_page(Some(response.request())));
        if let Some(framed) = framed {
            let (request, _) = response.into_parts();
            return Ok(ServiceResponse::new(request, framed).map_into_right_body());
        }
    }
    let foreign = response.response().error().filter(|error| {
        error.as_error::<AppError>().is_none() && error.as_error::<PageError>().is_none()
    });
    let Some(error) = foreign else {
        return Ok(response.map_into_left_body());
    };
    let error = foreign_error(error);
    let (request, _) = response.into_parts();
    let shaped = error_response_for(&request, error);
    Ok(ServiceResponse::new(request, shaped).map_into_right_body())
}

/// An error actix raised by itself, as the [`AppError`] of its status.
fn foreign_error(error: &actix_web::Error) -> AppError {
    let status = error.as_response_error().status_code();
    let message = error.to_string();
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge(format!(
            "the request body is over the limit of {} MiB ({message})",
            crate::web::MAX_BODY_BYTES / 1024 / 1024
        )),
        StatusCode::NOT_FOUND => AppError::NotFound(message),
        StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed(message),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType(message),
        status if status.is_client_error() => AppError::bad_request(
            code::INVALID_REQUEST,
            format!("the request could not be read: {message}"),
        ),
        _ => AppError::internal(anyhow::anyhow!("{status}: {message}")),
    }
}

/// Turns any error convertible to [`AppError`] into a [`PageError`] in `lang`.
pub trait OrPage<T> {
    fn or_page(self, lang: Lang) -> Result<T, PageError>;
}

impl<T, E: Into<AppError>> OrPage<T> for Result<T, E> {
    fn or_page(self, lang: Lang) -> Result<T, PageError> {
        self.map_err(|e| PageError {
            error: e.into(),
            lang,
        })
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: crate::web::page::PageContext,
    title: &'static str,
    status: u16,
    message: String,
    /// The API's message (English, naming the field), for errors the reader can correct.
    detail: Option<String>,
}

/// The title and the sentence an error page shows for `error`, in `lang`: what happened and
/// what to do. The English page says the API's own message (it names the field); the Chinese
/// page says it in Chinese, with the API's message kept as a detail for input errors.
fn page_words(error: &AppError, lang: Lang) -> (&'static str, String, Option<String>) {
    let zh = lang == Lang::Zh;
    let t = |zh_text: &'static str, en_text: &'static str| if zh { zh_text } else { en_text };
    let title = match error {
        AppError::NotFound(_) => t("找不到页面", "Not found"),
        AppError::Unauthorized(_) => t("需要登录", "Please sign in"),
        AppError::Forbidden(_) => t("没有权限", "Not allowed"),
        AppError::CsrfRejected(_) => t("请求已过期", "Please reload the page"),
        AppError::TooManyRequests { .. } => t("请稍后再试", "Too many requests"),
        AppError::Unavailable { .. } => t("服务器正忙", "The server is busy"),
        AppError::Conflict { .. } => t("内容已被修改", "Changed meanwhile"),
        AppError::BadRequest { .. } | AppError::Rejected(_) => {
            t("请求无法处理", "The request cannot be used")
        }
        AppError::PayloadTooLarge(_) => t("文件太大", "Too large"),
        AppError::MethodNotAllowed(_) => t("不支持的操作", "Not supported here"),
        AppError::UnsupportedMediaType(_) => t("不支持的文件类型", "Unsupported type"),
        AppError::Internal(_) => t("出错了", "Something went wrong"),
    };
    if !zh {
        return (title, error.public_message(), None);
    }
    let message = match error {
        AppError::NotFound(_) => {
            "这个地址没有页面，或者这条内容不存在、你无权查看。请检查链接，或从首页重新查找。"
        }
        AppError::Unauthorized(_) => "请先登录，再打开这个页面。",
        AppError::Forbidden(_) => {
            "你的角色不能打开这个页面或执行这个操作。如需权限，请联系管理员。"
        }
        AppError::CsrfRejected(_) => "为了安全，这次提交没有被接受。请刷新页面后重新提交。",
        AppError::TooManyRequests { .. } => "操作太频繁，请稍等片刻再试。",
        AppError::Unavailable { .. } => "服务器正忙，请几秒钟后再试。",
        AppError::Conflict { .. } => {
            "有人同时修改了这条内容，或者名称已被占用。请刷新页面，在最新版本上重新修改。"
        }
        AppError::BadRequest { .. } | AppError::Rejected(_) => {
            "请求中有无法使用的内容。请返回检查填写的内容或链接。"
        }
        AppError::PayloadTooLarge(_) => {
            "上传的内容超过了服务器允许的大小。请拆分文件或联系管理员。"
        }
        AppError::MethodNotAllowed(_) => "这个地址不支持这种操作。请从页面上的链接或按钮进入。",
        AppError::UnsupportedMediaType(_) => "服务器不接受这种文件或数据类型。",
        AppError::Internal(_) => "服务器内部出错，详细信息已记录。请重试，或告诉管理员。",
    };
    let detail = match error {
        AppError::BadRequest { .. }
        | AppError::Rejected(_)
        | AppError::Conflict { .. }
        | AppError::PayloadTooLarge(_) => Some(error.public_message()),
        _ => None,
    };
    (title, message.to_owned(), detail)
}

impl PageError {
    /// The error page, with the frame of `req` (the signed-in header, the role's menu) when
    /// the request is at hand; without it, the frame of a signed-out page.
    pub fn page_response(&self, req: Option<&actix_web::HttpRequest>) -> HttpResponse {
        self.error.log();
        self.render_page(req)
    }

    /// [`PageError::page_response`] without logging (for an error logged already).
    fn render_page(&self, req: Option<&actix_web::HttpRequest>) -> HttpResponse {
        let status = self.status_code();
        let ctx = req
            .and_then(|req| {
                let state = req.app_data::<actix_web::web::Data<crate::web::AppState>>()?;
                Some(crate::web::page::PageContext::for_request(
                    req, state, self.lang,
                ))
            })
            .unwrap_or_else(|| crate::web::page::PageContext::new(self.lang, "/", 0));
        let (title, message, detail) = page_words(&self.error, self.lang);
        let page = ErrorPage {
            ctx,
            title,
            status: status.as_u16(),
            message,
            detail,
        };
        let mut response = HttpResponse::build(status);
        if let Some(secs) = self.error.retry_after_secs() {
            response.insert_header(("Retry-After", secs.to_string()));
        }
        match page.render() {
            Ok(html) => response.content_type("text/html; charset=utf-8").body(html),
            Err(e) => {
                tracing::error!(error = %e, "error page failed to render");
                response
                    .content_type("text/plain; charset=utf-8")
                    .body(self.error.public_message())
            }
        }
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.error.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        self.page_response(None)
    }
}

// ------------------------------------------------------------------------------------------
// The error answers of the OpenAPI document
// ------------------------------------------------------------------------------------------

/// The error answers routes share, each one `IntoResponses` type, so a route lists them by name
/// (`responses((status = 200, …), Unauthenticated, Forbidden)`) instead of writing the same row
/// again. Every one has the body [`ErrorBody`].
pub mod responses {
    use super::ErrorBody;

    #[derive(utoipa::IntoResponses)]
    #[response(
        status = 401,
        description = "Not signed in, or an unknown, revoked or expired session or token"
    )]
    pub struct Unauthenticated(#[allow(dead_code)] ErrorBody<'static>);

    #[derive(utoipa::IntoResponses)]
    #[response(
        status = 403,
        description = "The role may not do this (or a cookie-signed write without the CSRF token)"
    )]
    pub struct Forbidden(#[allow(dead_code)] ErrorBody<'static>);

    #[derive(utoipa::IntoResponses)]
    #[response(
        status = 404,
        description = "No such resource (or one the viewer may not see)"
    )]
    pub struct NotFound(#[allow(dead_code)] ErrorBody<'static>);

    #[derive(utoipa::IntoResponses)]
    #[response(status = 400, description = "Bad input; the message names the field")]
    pub struct BadInput(#[allow(dead_code)] ErrorBody<'static>);

    #[derive(utoipa::IntoResponses)]
    #[response(
        status = 400,
        description = "Bad input; the message names the field (invalid content lists each field)"
    )]
    pub struct InvalidContent(#[allow(dead_code)] ErrorBody<'static>);

    #[derive(utoipa::IntoResponses)]
    #[response(status = 413, description = "The request body is over the limit")]
    pub struct TooLarge(#[allow(dead_code)] ErrorBody<'static>);

    #[derive(utoipa::IntoResponses)]
    #[response(
        status = 409,
        description = "Someone saved meanwhile (edit_conflict) or the id is taken; a step that does not fit the item's status is a 400 (invalid_transition)"
    )]
    pub struct EditConflict(#[allow(dead_code)] ErrorBody<'static>);

    #[derive(utoipa::IntoResponses)]
    #[response(
        status = 503,
        description = "Busy checking other passwords; see Retry-After"
    )]
    pub struct Busy(#[allow(dead_code)] ErrorBody<'static>);

    #[derive(utoipa::IntoResponses)]
    #[response(
        status = 429,
        description = "Too many attempts or concurrent requests; see Retry-After"
    )]
    pub struct TooManyRequests(#[allow(dead_code)] ErrorBody<'static>);

    #[derive(utoipa::IntoResponses)]
    #[response(
        status = 415,
        description = "The body is not of the type the route takes"
    )]
    pub struct UnsupportedMediaType(#[allow(dead_code)] ErrorBody<'static>);
}

#[cfg(test)]
mod tests {
    use actix_web::{middleware, test, web, App, HttpResponse};

    /// A handler whose answer cannot be built: a newline in a header value.
    async fn broken() -> HttpResponse {
        HttpResponse::SeeOther()
            .insert_header(("Location", "/\n/x"))
            .finish()
    }

    /// A handler taking a body through an extractor without an error handler.
    async fn bytes(_body: web::Bytes) -> HttpResponse {
        HttpResponse::NoContent().finish()
    }

    #[actix_web::test]
    async fn errors_raised_by_actix_itself_get_the_documented_shape() {
        let app = test::init_service(
            App::new()
                .wrap(middleware::from_fn(super::shape_errors))
                .app_data(web::PayloadConfig::default().limit(10))
                .route("/api/broken", web::get().to(broken))
                .route("/broken", web::get().to(broken))
                .route("/api/bytes", web::post().to(bytes))
                .route("/bytes", web::post().to(bytes)),
        )
        .await;

        for (method, path, status) in [
            ("GET", "/api/broken", 500),
            ("GET", "/broken", 500),
            ("POST", "/api/bytes", 413),
            ("POST", "/bytes", 413),
        ] {
            let request = test::TestRequest::default()
                .method(method.parse().unwrap())
                .uri(path)
                .insert_header(("Accept-Language", "en"))
                .set_payload("more than ten bytes")
                .to_request();
            let response = test::call_service(&app, request).await;
            assert_eq!(response.status().as_u16(), status, "{path}");
            let content_type = response
                .headers()
                .get("content-type")
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned();
            let body = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
            if path.starts_with("/api/") {
                assert!(content_type.starts_with("application/json"), "{path}");
                let body: serde_json::Value = serde_json::from_str(&body).unwrap();
                let expected = if status == 500 {
                    "internal"
                } else {
                    "payload_too_large"
                };
                assert_eq!(body["error"]["code"], expected, "{path}");
            } else {
                assert!(content_type.starts_with("text/html"), "{path}");
                assert!(
                    body.contains("<html") && body.contains(&status.to_string()),
                    "{path}"
                );
            }
            assert!(!body.contains("\n/x"), "nothing of the cause: {body}");
        }
    }
}
