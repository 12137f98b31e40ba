//! The web layer: the route table, pages, JSON API and error rendering.
//!
//! Only this module knows HTTP status codes and templates. Handlers are thin: extract, call one
//! function of the library, wrap the answer as JSON or a page.

pub mod api;
pub mod assets;
pub mod auth;
pub mod blocking;
pub mod briefing_page;
pub mod chart;
pub mod content_api;
pub mod editor;
pub mod error;
pub mod error_codes;
pub mod forwarded;
pub mod i18n;
pub mod openapi;
pub mod page;
pub mod pages;
pub mod redirect;
pub mod search_page;
pub mod upload;

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};

use crate::app::access::Access;
use crate::app::account_book::AccountBook;
use crate::app::library::Library;
use crate::app::users::Auth;
use crate::domain::policy::Principal;
use crate::web::error::{AppError, PageError};

/// Shared by every worker.
pub struct AppState {
    pub library: Arc<Library>,
    pub accounts: Arc<AccountBook>,
    pub auth: Arc<Auth>,
    /// Largest body of `POST /api/v1/accounts/import`, in bytes.
    pub max_import_bytes: usize,
    /// The customer lookup's name index, rebuilt after each recompute.
    pub finder: crate::app::briefing::CustomerFinder,
    /// Lifetime of the session cookie (the absolute session timeout), in seconds.
    pub session_max_age_secs: i64,
    /// Where `POST /api/v1/backup` writes (`Config::backup_dir`).
    pub backup_dir: std::path::PathBuf,
    /// Imports running at once; one more is refused with 429 rather than queued, since each
    /// holds the accounts writer and a parse buffer (see [`MAX_CONCURRENT_IMPORTS`]).
    pub import_slots: Arc<tokio::sync::Semaphore>,
    /// Peers whose forwarding headers are believed (`Config::trusted_proxies`; see
    /// [`forwarded`]).
    pub trusted_proxies: Vec<crate::config::IpBlock>,
}

/// Most `POST /api/v1/accounts/import` requests running at once.
pub const MAX_CONCURRENT_IMPORTS: usize = 2;

impl AppState {
    /// What `principal` may see, for this request.
    pub fn access(&self, principal: Principal) -> Access {
        Access::new(principal, &self.accounts, &self.library)
    }
}

/// Largest JSON or form body of any route but the CSV import (which streams).
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Security headers on every response: no inline or foreign scripts, no framing, no sniffing.
pub fn security_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        ))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add(("Permissions-Policy", "camera=(), microphone=(), geolocation=()"))
}

/// Declares the route table once: [`ROUTES`] lists it (the security test walks every entry ×
/// every role) and `register_routes` registers exactly those routes.
macro_rules! route_table {
    ($($method:ident $path:literal => $handler:path;)*) => {
        /// Every route as `(method, path)`, in matching order.
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        fn register_routes(cfg: &mut web::ServiceConfig) {
            $(cfg.route($path, web::$method().to($handler));)*
        }
    };
}

route_table! {
    get "/healthz" => api::healthz;
    get "/static/{name}" => assets::serve_asset;
    // Signing in and out
    get "/login" => auth::show_login;
    post "/login" => auth::submit_login;
    post "/logout" => auth::submit_logout;
    get "/me" => auth::show_me;
    post "/me/password" => auth::submit_password;
    post "/me/tokens" => auth::submit_token;
    post "/me/tokens/{id}/revoke" => auth::submit_token_revocation;
    post "/api/v1/session" => auth::create_session;
    get "/api/v1/session" => auth::get_session;
    delete "/api/v1/session" => auth::delete_session;
    put "/api/v1/session/password" => auth::change_own_password;
    get "/api/v1/tokens" => auth::list_tokens;
    post "/api/v1/tokens" => auth::create_token;
    delete "/api/v1/tokens/{id}" => auth::revoke_token;
    get "/api/v1/users" => auth::list_users;
    post "/api/v1/users" => auth::create_user;
    put "/api/v1/users/{name}" => auth::update_user;
    // Content and search
    get "/api/v1/content" => api::list_content;
    post "/api/v1/content" => content_api::create_content;
    get "/api/v1/content/{id}" => api::get_content;
    put "/api/v1/content/{id}" => content_api::save_content;
    post "/api/v1/content/{id}/submit" => content_api::submit_content;
    post "/api/v1/content/{id}/approve" => content_api::approve_content;
    post "/api/v1/content/{id}/send-back" => content_api::send_back_content;
    post "/api/v1/content/{id}/archive" => content_api::archive_content;
    get "/api/v1/content/{id}/versions" => content_api::list_versions;
    get "/api/v1/content/{id}/versions/{n}" => content_api::get_version;
    post "/api/v1/content/{id}/versions/{n}/restore" => content_api::restore_version;
    get "/api/v1/content/{id}/diff" => content_api::get_diff;
    put "/api/v1/content/{id}/moves/{n}" => content_api::mark_move;
    post "/api/v1/preview" => content_api::preview;
    get "/api/v1/review-queue" => content_api::review_queue;
    get "/api/v1/my/content" => content_api::my_content;
    get "/api/v1/practices" => content_api::list_practices;
    get "/api/v1/my/courses" => content_api::my_courses;
    put "/api/v1/progress/{lesson}" => content_api::mark_lesson_done;
    delete "/api/v1/progress/{lesson}" => content_api::unmark_lesson_done;
    get "/api/v1/courses/{id}/completion" => content_api::course_completion;
    get "/api/v1/coverage" => api::get_coverage;
    get "/api/v1/problems" => api::list_problems;
    get "/api/v1/search" => api::search;
    get "/api/v1/search/misses" => api::list_search_misses;
    // Accounts and tiers
    get "/api/v1/accounts" => api::list_accounts;
    post "/api/v1/accounts/import" => api::import_accounts;
    get "/api/v1/accounts/lookup" => api::lookup_accounts;
    get "/api/v1/accounts/{id}/briefing" => api::get_briefing;
    get "/api/v1/accounts/{id}" => api::get_account;
    put "/api/v1/accounts/{id}/override" => api::put_override;
    post "/api/v1/accounts/{id}/reviews" => content_api::create_case_review;
    delete "/api/v1/accounts/{id}/override" => api::delete_override;
    get "/api/v1/tier-model" => api::get_tier_model;
    put "/api/v1/tier-model" => api::put_tier_model;
    get "/api/v1/tier-changes" => api::list_tier_changes;
    get "/api/v1/pareto" => api::get_pareto;
    get "/api/v1/tiers.csv" => api::export_tiers_csv;
    // Operations
    post "/api/v1/backup" => api::create_backup;
    get "/api/v1/openapi.json" => openapi::get_openapi;
    // Pages
    get "/" => pages::show_home;
    get "/content/{id}" => pages::show_content;
    get "/new" => editor::show_new;
    post "/new" => editor::submit_new;
    get "/content/{id}/edit" => editor::show_edit;
    post "/content/{id}/edit" => editor::submit_edit;
    post "/content/{id}/workflow" => editor::submit_workflow;
    get "/content/{id}/history" => editor::show_history;
    get "/content/{id}/versions/{n}" => editor::show_version;
    post "/content/{id}/versions/{n}/restore" => editor::submit_restore;
    get "/content/{id}/diff" => editor::show_diff;
    post "/content/{id}/moves/{n}" => editor::submit_move;
    get "/review" => editor::show_review_queue;
    get "/my/content" => editor::show_my_content;
    get "/practices" => editor::show_practices;
    get "/my/courses" => editor::show_my_courses;
    post "/lessons/{id}/done" => editor::submit_lesson_done;
    get "/courses/{id}/completion" => editor::show_completion;
    get "/coverage" => pages::show_coverage;
    get "/problems" => pages::show_problems;
    get "/search" => search_page::show_search;
    get "/search/misses" => search_page::show_search_misses;
    get "/accounts" => pages::show_accounts;
    get "/accounts/find" => briefing_page::find_accounts;
    get "/accounts/{id}" => pages::show_account;
    post "/accounts/{id}/override" => pages::submit_override;
    post "/accounts/{id}/override/delete" => pages::submit_override_removal;
    post "/accounts/{id}/reviews" => editor::submit_case_review;
    get "/pareto" => pages::show_pareto;
    get "/lang/{lang}" => pages::switch_lang;
}

/// An extractor's error (bad query, path, JSON or form): JSON under `/api/`, a page elsewhere.
fn extractor_error(
    code: &'static str,
    err: impl std::fmt::Display,
    req: &HttpRequest,
) -> actix_web::Error {
    let error = match code {
        "payload_too_large" => AppError::PayloadTooLarge(err.to_string()),
        _ => AppError::bad_request(code, err.to_string()),
    };
    if req.path().starts_with("/api/") {
        error.into()
    } else {
        PageError {
            error,
            lang: i18n::request_lang(req),
        }
        .into()
    }
}

/// The one route table: pages at `/…`, JSON at `/api/v1/…`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::QueryConfig::default()
            .error_handler(|err, req| extractor_error("invalid_query", err, req)),
    )
    .app_data(
        web::PathConfig::default()
            .error_handler(|err, req| extractor_error("invalid_path", err, req)),
    )
    .app_data(
        web::JsonConfig::default()
            .limit(MAX_BODY_BYTES)
            .error_handler(|err, req| match err {
                actix_web::error::JsonPayloadError::OverflowKnownLength { .. }
                | actix_web::error::JsonPayloadError::Overflow { .. } => {
                    extractor_error("payload_too_large", err, req)
                }
                err => extractor_error("invalid_json", err, req),
            }),
    )
    .app_data(
        web::FormConfig::default()
            .limit(MAX_BODY_BYTES)
            .error_handler(|err, req| match err {
                actix_web::error::UrlencodedError::Overflow { .. } => {
                    extractor_error("payload_too_large", err, req)
                }
                err => extractor_error("invalid_form", err, req),
            }),
    )
    .app_data(web::PayloadConfig::default().limit(MAX_BODY_BYTES));
    register_routes(cfg);
    cfg.default_service(web::to(not_found));
}

/// Unknown routes: 405 with `Allow` for a known path asked with another method, else 404; JSON
/// under `/api/`, an HTML page elsewhere.
async fn not_found(req: HttpRequest) -> HttpResponse {
    let allowed = allowed_methods(req.path());
    if allowed.is_empty() {
        let error = AppError::NotFound(format!("nothing at {}", req.path()));
        return error::error_response_for(&req, error);
    }
    let allow = allowed.join(", ");
    let error = AppError::MethodNotAllowed(format!(
        "{} {}: this route takes {allow}",
        req.method(),
        req.path()
    ));
    let mut response = error::error_response_for(&req, error);
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allow) {
        response
            .headers_mut()
            .insert(actix_web::http::header::ALLOW, value);
    }
    response
}

/// The methods of the routes of [`ROUTES`] whose pattern matches `path` (a `{name}` segment
/// matches any one non-empty segment), upper case.
fn allowed_methods(path: &str) -> Vec<String> {
    let segments: Vec<&str> = path.split('/').collect();
    let matching: Vec<&(&str, &str)> = ROUTES
        .iter()
        .filter(|(_, pattern)| {
            let parts: Vec<&str> = pattern.split('/').collect();
            parts.len() == segments.len()
                && parts.iter().zip(&segments).all(|(part, segment)| {
                    part == segment || (part.starts_with('{') && !segment.is_empty())
                })
        })
        .collect();
    // A path written out in the table (`/api/v1/accounts/import`) is that resource, not an
    // instance of a pattern beside it (`/api/v1/accounts/{id}`).
    let exact = matching.iter().any(|(_, pattern)| *pattern == path);
    let mut methods: Vec<String> = matching
        .into_iter()
        .filter(|(_, pattern)| !exact || *pattern == path)
        .map(|(method, _)| method.to_ascii_uppercase())
        .collect();
    methods.sort();
    methods.dedup();
    methods
}
