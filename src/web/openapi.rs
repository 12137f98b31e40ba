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
use crate::web::{api, auth, content_api};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Playbook API",
        description = "Sales playbooks, tiered customer accounts, briefings and search. Every route takes an API token (`Authorization: Bearer …`, from `POST /api/v1/tokens`) or the session cookie; errors are `{\"error\":{\"code\",\"message\"}}`."
    ),
    paths(
        auth::create_session,
        auth::get_session,
        auth::delete_session,
        auth::change_own_password,
        auth::list_tokens,
        auth::create_token,
        auth::revoke_token,
        auth::list_users,
        auth::create_user,
        auth::update_user,
        api::list_content,
        api::get_content,
        api::get_coverage,
        api::list_problems,
        api::search,
        api::list_search_misses,
        api::list_accounts,
        api::import_accounts,
        api::lookup_accounts,
        api::get_briefing,
        api::get_account,
        api::put_override,
        api::delete_override,
        api::get_tier_model,
        api::put_tier_model,
        api::list_tier_changes,
        api::get_pareto,
        api::export_tiers_csv,
        api::create_backup,
        get_openapi,
        content_api::create_content,
        content_api::save_content,
        content_api::submit_content,
        content_api::approve_content,
        content_api::send_back_content,
        content_api::archive_content,
        content_api::list_versions,
        content_api::get_version,
        content_api::restore_version,
        content_api::get_diff,
        content_api::mark_move,
        content_api::preview,
        content_api::review_queue,
        content_api::my_content,
        content_api::list_practices,
        content_api::my_courses,
        content_api::mark_lesson_done,
        content_api::unmark_lesson_done,
        content_api::course_completion,
        content_api::create_case_review,
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
