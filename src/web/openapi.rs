//! The OpenAPI 3 description of `/api/v1`, generated from the handlers' `#[utoipa::path]`
//! attributes and the `ToSchema` derives of the types they take and return, so it cannot drift
//! from the code. Served at `GET /api/v1/openapi.json`; `tests/api/openapi.rs` checks that it
//! lists exactly the `/api/v1` routes of [`crate::web::ROUTES`].

use std::sync::LazyLock;

use actix_web::HttpResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::web::error::responses::Unauthenticated;
use crate::web::error::{ErrorBody, ErrorDetail};
use crate::web::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Playbook API",
        description = "Sales playbooks, tiered customer accounts, briefings and search. Every route takes an API token (`Authorization: Bearer …`, from `POST /api/v1/tokens`) or the session cookie; errors are `{\"error\":{\"code\",\"message\"}}`."
    ),
    paths(
        routes::session::create_session,
        routes::session::get_session,
        routes::session::delete_session,
        routes::me::change_own_password,
        routes::me::list_tokens,
        routes::me::create_token,
        routes::me::revoke_token,
        routes::users::list_users,
        routes::users::create_user,
        routes::users::update_user,
        routes::content::read::list_content,
        routes::content::read::get_content,
        routes::coverage::get_coverage,
        routes::home::get_today,
        routes::problems::list_problems,
        routes::search::search,
        routes::search::list_search_misses,
        routes::synonyms::get_synonyms,
        routes::accounts::list::list_accounts,
        routes::accounts::import::import_accounts,
        routes::accounts::import::preview_import,
        routes::content::files::import_content,
        routes::content::files::list_attachments,
        routes::content::files::add_attachments,
        routes::content::files::get_attachment,
        routes::accounts::briefing::lookup_accounts,
        routes::accounts::briefing::get_briefing,
        routes::accounts::detail::get_account,
        routes::accounts::detail::put_override,
        routes::accounts::detail::delete_override,
        routes::accounts::tier_model::get_tier_model,
        routes::accounts::tier_model::put_tier_model,
        routes::accounts::tier_model::preview_tier_model,
        routes::accounts::tier_changes::list_tier_changes,
        routes::accounts::analytics::get_pareto,
        routes::accounts::analytics::export_tiers_csv,
        routes::backup::create_backup,
        routes::backup::list_backups,
        get_openapi,
        routes::content::write::create_content,
        routes::content::write::save_content,
        routes::content::workflow::submit_content,
        routes::content::workflow::approve_content,
        routes::content::workflow::send_back_content,
        routes::content::workflow::archive_content,
        routes::content::versions::list_versions,
        routes::content::versions::get_version,
        routes::content::versions::restore_version,
        routes::content::versions::get_diff,
        routes::content::practices::mark_move,
        routes::content::write::preview,
        routes::content::workflow::review_queue,
        routes::content::workflow::my_content,
        routes::content::practices::list_practices,
        routes::content::courses::my_courses,
        routes::content::courses::mark_lesson_done,
        routes::content::courses::unmark_lesson_done,
        routes::content::courses::course_completion,
        routes::accounts::reviews::create_case_review,
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&BearerToken),
    security(("bearer" = []))
)]
pub struct ApiDoc;

/// The `bearer` security scheme: an API token from `POST /api/v1/tokens`.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
    }
}

/// The document, rendered once.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
});

/// `GET /api/v1/openapi.json`: this API's OpenAPI 3 document (any signed-in user).
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    responses(
        (status = 200, description = "The OpenAPI 3 document of /api/v1", content_type = "application/json", body = Object),
        Unauthenticated,
    )
)]
pub async fn get_openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(DOCUMENT.as_str())
}
