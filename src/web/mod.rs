//! The web layer: the route table, pages, JSON API and error rendering.
//!
//! Only this module knows HTTP status codes and templates. Handlers are thin: extract, call one
//! function of the library, wrap the answer as JSON or a page.

pub mod assets;
pub mod blocking;
pub mod chart;
pub mod error;
pub mod forwarded;
pub mod guard;
pub mod i18n;
pub mod labels;
pub mod openapi;
pub mod page;
pub mod redirect;
pub mod routes;
pub mod tier_words;
pub mod upload;
pub mod view;

use crate::error_codes::code;
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
    /// Largest single file imported as content or attached (`Config::max_file_bytes`).
    pub max_file_bytes: usize,
    /// The customer lookup's name index, rebuilt after each recompute.
    pub finder: crate::app::briefing::CustomerFinder,
    /// The accounts needing action, rebuilt after each recompute or content change.
    pub today: crate::app::today::Today,
    /// Lifetime of the session cookie (the absolute session timeout), in seconds.
    pub session_max_age_secs: i64,
    /// Where `POST /api/v1/backup` writes (`Config::backup_dir`), made absolute.
    pub backup_dir: std::path::PathBuf,
    /// The data directory (`Config::data_dir`), made absolute: the backups page shows the
    /// exact `playbook restore` command.
    pub data_dir: std::path::PathBuf,
    /// Imports running at once; one more is refused with 429 rather than queued, since each
    /// holds the accounts writer and a parse buffer (see [`MAX_CONCURRENT_IMPORTS`]).
    pub import_slots: Arc<tokio::sync::Semaphore>,
    /// Uploads held between the steps of the import pages.
    pub staging: crate::app::staging::Staging,
    /// Peers whose forwarding headers are believed (`Config::trusted_proxies`; see
    /// [`forwarded`]).
    pub trusted_proxies: Vec<crate::config::IpBlock>,
    /// The time zone pages show times in (`Config::utc_offset`).
    pub utc_offset: time::UtcOffset,
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
    get "/healthz" => routes::health::healthz;
    get "/static/{name}" => assets::serve_asset;
    // Signing in and out
    get "/login" => routes::session::show_login;
    post "/login" => routes::session::submit_login;
    post "/logout" => routes::session::submit_logout;
    get "/me" => routes::me::show_me;
    post "/me/password" => routes::me::submit_password;
    post "/me/tokens" => routes::me::submit_token;
    post "/me/tokens/{id}/revoke" => routes::me::submit_token_revocation;
    post "/api/v1/session" => routes::session::create_session;
    get "/api/v1/session" => routes::session::get_session;
    delete "/api/v1/session" => routes::session::delete_session;
    put "/api/v1/session/password" => routes::me::change_own_password;
    get "/api/v1/tokens" => routes::me::list_tokens;
    post "/api/v1/tokens" => routes::me::create_token;
    delete "/api/v1/tokens/{id}" => routes::me::revoke_token;
    get "/api/v1/users" => routes::users::list_users;
    post "/api/v1/users" => routes::users::create_user;
    put "/api/v1/users/{name}" => routes::users::update_user;
    // Content and search
    get "/api/v1/content" => routes::content::read::list_content;
    post "/api/v1/content" => routes::content::write::create_content;
    post "/api/v1/content/import" => routes::content::files::import_content;
    get "/api/v1/content/{id}/attachments" => routes::content::files::list_attachments;
    post "/api/v1/content/{id}/attachments" => routes::content::files::add_attachments;
    get "/api/v1/content/{id}/attachments/{name}" => routes::content::files::get_attachment;
    get "/api/v1/content/{id}" => routes::content::read::get_content;
    put "/api/v1/content/{id}" => routes::content::write::save_content;
    post "/api/v1/content/{id}/submit" => routes::content::workflow::submit_content;
    post "/api/v1/content/{id}/approve" => routes::content::workflow::approve_content;
    post "/api/v1/content/{id}/send-back" => routes::content::workflow::send_back_content;
    post "/api/v1/content/{id}/archive" => routes::content::workflow::archive_content;
    get "/api/v1/content/{id}/versions" => routes::content::versions::list_versions;
    get "/api/v1/content/{id}/versions/{n}" => routes::content::versions::get_version;
    post "/api/v1/content/{id}/versions/{n}/restore" => routes::content::versions::restore_version;
    get "/api/v1/content/{id}/diff" => routes::content::versions::get_diff;
    put "/api/v1/content/{id}/moves/{n}" => routes::content::practices::mark_move;
    post "/api/v1/preview" => routes::content::write::preview;
    get "/api/v1/review-queue" => routes::content::workflow::review_queue;
    get "/api/v1/my/content" => routes::content::workflow::my_content;
    get "/api/v1/practices" => routes::content::practices::list_practices;
    get "/api/v1/my/courses" => routes::content::courses::my_courses;
    put "/api/v1/progress/{lesson}" => routes::content::courses::mark_lesson_done;
    delete "/api/v1/progress/{lesson}" => routes::content::courses::unmark_lesson_done;
    get "/api/v1/courses/{id}/completion" => routes::content::courses::course_completion;
    get "/api/v1/today" => routes::home::get_today;
    get "/api/v1/coverage" => routes::coverage::get_coverage;
    get "/api/v1/problems" => routes::problems::list_problems;
    get "/api/v1/search" => routes::search::search;
    get "/api/v1/search/misses" => routes::search::list_search_misses;
    get "/api/v1/synonyms" => routes::synonyms::get_synonyms;
    // Accounts and tiers
    get "/api/v1/accounts" => routes::accounts::list::list_accounts;
    post "/api/v1/accounts/import" => routes::accounts::import::import_accounts;
    post "/api/v1/accounts/import/preview" => routes::accounts::import::preview_import;
    get "/api/v1/accounts/lookup" => routes::accounts::briefing::lookup_accounts;
    get "/api/v1/accounts/{id}/briefing" => routes::accounts::briefing::get_briefing;
    get "/api/v1/accounts/{id}" => routes::accounts::detail::get_account;
    put "/api/v1/accounts/{id}/override" => routes::accounts::detail::put_override;
    post "/api/v1/accounts/{id}/reviews" => routes::accounts::reviews::create_case_review;
    delete "/api/v1/accounts/{id}/override" => routes::accounts::detail::delete_override;
    get "/api/v1/tier-model" => routes::accounts::tier_model::get_tier_model;
    put "/api/v1/tier-model" => routes::accounts::tier_model::put_tier_model;
    post "/api/v1/tier-model/preview" => routes::accounts::tier_model::preview_tier_model;
    get "/api/v1/tier-changes" => routes::accounts::tier_changes::list_tier_changes;
    get "/api/v1/pareto" => routes::accounts::analytics::get_pareto;
    get "/api/v1/tiers.csv" => routes::accounts::analytics::export_tiers_csv;
    // Operations
    post "/api/v1/backup" => routes::backup::create_backup;
    get "/api/v1/backups" => routes::backup::list_backups;
    get "/api/v1/openapi.json" => openapi::get_openapi;
    // Pages
    get "/" => routes::home::show_home;
    get "/today" => routes::home::show_today;
    get "/library" => routes::library::show_library;
    get "/content/import" => routes::content::files::show_import;
    post "/content/import" => routes::content::files::submit_import;
    get "/content/{id}" => routes::content::read::show_content;
    get "/content/{id}/attachments/{name}" => routes::content::files::show_attachment;
    post "/content/{id}/attachments" => routes::content::files::submit_attachments;
    get "/new" => routes::content::editor::show_new;
    post "/new" => routes::content::editor::submit_new;
    get "/content/{id}/edit" => routes::content::editor::show_edit;
    post "/content/{id}/edit" => routes::content::editor::submit_edit;
    post "/content/{id}/workflow" => routes::content::workflow::submit_workflow;
    get "/content/{id}/history" => routes::content::versions::show_history;
    get "/content/{id}/versions/{n}" => routes::content::versions::show_version;
    post "/content/{id}/versions/{n}/restore" => routes::content::versions::submit_restore;
    get "/content/{id}/diff" => routes::content::versions::show_diff;
    post "/content/{id}/moves/{n}" => routes::content::practices::submit_move;
    get "/review" => routes::content::workflow::show_review_queue;
    get "/my/content" => routes::content::workflow::show_my_content;
    get "/practices" => routes::content::practices::show_practices;
    get "/my/courses" => routes::content::courses::show_my_courses;
    post "/lessons/{id}/done" => routes::content::courses::submit_lesson_done;
    get "/courses/{id}/completion" => routes::content::courses::show_completion;
    get "/coverage" => routes::coverage::show_coverage;
    get "/problems" => routes::problems::show_problems;
    get "/search" => routes::search::show_search;
    get "/search/misses" => routes::search::show_search_misses;
    get "/synonyms" => routes::synonyms::show_synonyms;
    get "/accounts" => routes::accounts::list::show_accounts;
    get "/accounts/find" => routes::accounts::briefing::find_accounts;
    get "/accounts/import" => routes::accounts::import_page::show_import;
    post "/accounts/import" => routes::accounts::import_page::submit_import;
    get "/accounts/import/{upload}/rejected.csv" => routes::accounts::import_page::download_rejected;
    get "/accounts/{id}" => routes::accounts::detail::show_account;
    post "/accounts/{id}/override" => routes::accounts::detail::submit_override;
    post "/accounts/{id}/override/delete" => routes::accounts::detail::submit_override_removal;
    post "/accounts/{id}/reviews" => routes::accounts::reviews::submit_case_review;
    get "/pareto" => routes::accounts::analytics::show_pareto;
    get "/tier-model" => routes::accounts::tier_model_page::show_tier_model;
    post "/tier-model" => routes::accounts::tier_model_page::submit_tier_model;
    get "/tier-changes" => routes::accounts::tier_changes::show_tier_changes;
    get "/lang/{lang}" => routes::home::switch_lang;
    // Administration
    get "/users" => routes::users::page::show_users;
    post "/users" => routes::users::page::submit_new_user;
    post "/users/{name}/role" => routes::users::page::submit_role;
    post "/users/{name}/disable" => routes::users::page::submit_disable;
    post "/users/{name}/enable" => routes::users::page::submit_enable;
    post "/users/{name}/password" => routes::users::page::submit_password_reset;
    get "/backups" => routes::backup::show_backups;
    post "/backups" => routes::backup::submit_backup;
}

/// An extractor's error (bad query, path, JSON or form): JSON under `/api/`, a page elsewhere.
fn extractor_error(
    code: &'static str,
    err: impl std::fmt::Display,
    req: &HttpRequest,
) -> actix_web::Error {
    let error = match code {
        code::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge(err.to_string()),
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
            .error_handler(|err, req| extractor_error(code::INVALID_QUERY, err, req)),
    )
    .app_data(
        web::PathConfig::default()
            .error_handler(|err, req| extractor_error(code::INVALID_PATH, err, req)),
    )
    .app_data(
        web::JsonConfig::default()
            .limit(MAX_BODY_BYTES)
            .error_handler(|err, req| match err {
                actix_web::error::JsonPayloadError::OverflowKnownLength { .. }
                | actix_web::error::JsonPayloadError::Overflow { .. } => {
                    extractor_error(code::PAYLOAD_TOO_LARGE, err, req)
                }
                err => extractor_error(code::INVALID_JSON, err, req),
            }),
    )
    .app_data(
        web::FormConfig::default()
            .limit(MAX_BODY_BYTES)
            .error_handler(|err, req| match err {
                actix_web::error::UrlencodedError::Overflow { .. } => {
                    extractor_error(code::PAYLOAD_TOO_LARGE, err, req)
                }
                err => extractor_error(code::INVALID_FORM, err, req),
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
