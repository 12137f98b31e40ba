//! The tier model: read it, preview a candidate and replace it (admins), which recomputes
//! every tier.

use crate::error_codes::code;
use actix_web::web;
use serde::Serialize;

use crate::app::account_book::{TierPreview, TierState, TierSummary};
use crate::domain::policy;
use crate::domain::policy::Principal;
use crate::domain::tiering::{Rule, TierDef, TierModel};
use crate::web::blocking::blocking;
use crate::web::error::responses::{BadInput, Forbidden, TooLarge, Unauthenticated};
use crate::web::error::AppError;
use crate::web::guard::require;
use crate::web::AppState;

/// The tier model with what it resolves to and the tier counts it gives.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TierModelView {
    model: TierModel,
    tiers: Vec<TierDef>,
    score_rule: Rule,
    summary: TierSummary,
}

impl TierModelView {
    fn of(state: &TierState) -> TierModelView {
        TierModelView {
            model: state.model().clone(),
            tiers: state.tiers().to_vec(),
            score_rule: state.score_rule(),
            summary: state.summary(),
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/tier-model",
    responses(
        (status = 200, description = "The tier model, what it resolves to and the counts", body = TierModelView),
        Unauthenticated,
    )
)]
pub async fn get_tier_model(state: web::Data<AppState>) -> web::Json<TierModelView> {
    web::Json(TierModelView::of(&state.accounts.state()))
}

#[utoipa::path(
    put,
    path = "/api/v1/tier-model",
    request_body = TierModel,
    responses(
        (status = 200, description = "The new model in force", body = TierModelView),
        BadInput,
        Unauthenticated,
        Forbidden,
        TooLarge,
    )
)]
pub async fn put_tier_model(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Bytes,
) -> Result<web::Json<TierModelView>, AppError> {
    require(
        policy::can_change_tier_model(&principal),
        &principal,
        "changing the tier model",
        "admins",
    )?;
    let body = model_text(&body)?;
    let book = state.accounts.clone();
    let tiers = blocking(move || book.set_model_json(&body, &principal.user)).await?;
    Ok(web::Json(TierModelView::of(&tiers)))
}

#[utoipa::path(
    post,
    path = "/api/v1/tier-model/preview",
    request_body = TierModel,
    responses(
        (status = 200, description = "What saving this model would do: tier counts and the accounts that would move, per from → to pair with a few examples; nothing is stored", body = TierPreview),
        BadInput,
        Unauthenticated,
        Forbidden,
        TooLarge,
    )
)]
pub async fn preview_tier_model(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Bytes,
) -> Result<web::Json<TierPreview>, AppError> {
    require(
        policy::can_change_tier_model(&principal),
        &principal,
        "previewing a tier model",
        "admins",
    )?;
    let body = model_text(&body)?;
    let book = state.accounts.clone();
    let preview = blocking(move || book.preview_model_json(&body)).await?;
    Ok(web::Json(preview))
}

/// The request body as the text of a tier model.
fn model_text(body: &[u8]) -> Result<String, AppError> {
    String::from_utf8(body.to_vec()).map_err(|e| {
        AppError::bad_request(
            code::INVALID_JSON,
            format!("body: the tier model must be UTF-8 JSON ({e})"),
        )
    })
}
