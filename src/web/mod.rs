//! The web layer: the route table, pages, JSON API and error rendering.
//!
//! Only this module knows HTTP status codes and templates. Handlers are thin: extract, call one
//! function of the library, wrap the answer as JSON or a page.

pub mod api;
pub mod assets;
pub mod briefing_page;
pub mod chart;
pub mod error;
pub mod i18n;
pub mod pages;
pub mod search_page;
pub mod upload;

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse, ResponseError};

use crate::accounts::AccountBook;
use crate::library::Library;
use crate::web::error::{AppError, PageError};

/// Shared by every worker.
pub struct AppState {
    pub library: Arc<Library>,
    pub accounts: Arc<AccountBook>,
    /// Largest body of `POST /api/v1/accounts/import`, in bytes.
    pub max_import_bytes: usize,
    /// The customer lookup's name index, rebuilt after each recompute.
    pub finder: crate::briefing::CustomerFinder,
}

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
}

/// The one route table: pages at `/…`, JSON at `/api/v1/…`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(api::healthz))
        .route("/static/{name}", web::get().to(assets::serve_asset))
        .service(
            web::scope("/api/v1")
                .app_data(web::QueryConfig::default().error_handler(|err, _| {
                    AppError::bad_request("invalid_query", err.to_string()).into()
                }))
                .app_data(web::PathConfig::default().error_handler(|err, _| {
                    AppError::bad_request("invalid_path", err.to_string()).into()
                }))
                .route("/content", web::get().to(api::list_content))
                .route("/content/{id}", web::get().to(api::get_content))
                .route("/coverage", web::get().to(api::get_coverage))
                .app_data(web::JsonConfig::default().error_handler(|err, _| {
                    AppError::bad_request("invalid_json", err.to_string()).into()
                }))
                .route("/problems", web::get().to(api::list_problems))
                .route("/search", web::get().to(api::search))
                .route("/search/misses", web::get().to(api::list_search_misses))
                .route("/accounts", web::get().to(api::list_accounts))
                .route("/accounts/import", web::post().to(api::import_accounts))
                .route("/accounts/lookup", web::get().to(api::lookup_accounts))
                .route("/accounts/{id}/briefing", web::get().to(api::get_briefing))
                .route("/accounts/{id}", web::get().to(api::get_account))
                .route("/accounts/{id}/override", web::put().to(api::put_override))
                .route(
                    "/accounts/{id}/override",
                    web::delete().to(api::delete_override),
                )
                .route("/tier-model", web::get().to(api::get_tier_model))
                .route("/tier-model", web::put().to(api::put_tier_model))
                .route("/tier-changes", web::get().to(api::list_tier_changes))
                .route("/pareto", web::get().to(api::get_pareto))
                .route("/tiers.csv", web::get().to(api::export_tiers_csv))
                .default_service(web::to(not_found)),
        )
        .route("/", web::get().to(pages::show_home))
        .route("/content/{id}", web::get().to(pages::show_content))
        .route("/coverage", web::get().to(pages::show_coverage))
        .route("/problems", web::get().to(pages::show_problems))
        .route("/search", web::get().to(search_page::show_search))
        .route(
            "/search/misses",
            web::get().to(search_page::show_search_misses),
        )
        .route("/accounts", web::get().to(pages::show_accounts))
        .route(
            "/accounts/find",
            web::get().to(briefing_page::find_accounts),
        )
        .route("/accounts/{id}", web::get().to(pages::show_account))
        .route(
            "/accounts/{id}/override",
            web::post().to(pages::submit_override),
        )
        .route(
            "/accounts/{id}/override/delete",
            web::post().to(pages::submit_override_removal),
        )
        .route("/pareto", web::get().to(pages::show_pareto))
        .route("/lang/{lang}", web::get().to(pages::switch_lang))
        .default_service(web::to(not_found));
}

/// Unknown routes: JSON under `/api/`, an HTML page elsewhere.
async fn not_found(req: HttpRequest) -> HttpResponse {
    let error = AppError::NotFound(format!("nothing at {}", req.path()));
    if req.path().starts_with("/api/") {
        error.error_response()
    } else {
        PageError {
            error,
            lang: i18n::request_lang(&req),
        }
        .error_response()
    }
}
