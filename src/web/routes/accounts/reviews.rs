//! Case reviews attached to an account, through the API and the account page.

use actix_web::{web, HttpResponse};

use crate::domain::capture::CaseReviewForm;
use crate::domain::ids::AccountId;
use crate::domain::policy::Principal;
use crate::domain::workflow::Version;
use crate::domain::{policy, Lang};
use crate::web::blocking::blocking;
use crate::web::error::responses::{
    EditConflict, Forbidden, InvalidContent, NotFound, TooLarge, Unauthenticated,
};
use crate::web::error::{AppError, OrPage, PageError};
use crate::web::guard::require;
use crate::web::routes::content::{to_item_done, Saved};
use crate::web::AppState;

/// `POST /api/v1/accounts/{id}/reviews`: a case review from the template (managers, admins).
#[utoipa::path(
    post,
    path = "/api/v1/accounts/{id}/reviews",
    params(("id" = String, Path, description = "Account id")),
    request_body = crate::domain::capture::CaseReviewForm,
    responses(
        (status = 201, description = "The case review, a draft", body = Saved),
        InvalidContent,
        Unauthenticated,
        Forbidden,
        NotFound,
        EditConflict,
        TooLarge,
    )
)]
pub async fn create_case_review(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<AccountId>,
    form: web::Json<CaseReviewForm>,
) -> Result<HttpResponse, AppError> {
    let version = attach_review(&state, &principal, &id, form.into_inner()).await?;
    Ok(HttpResponse::Created().json(Saved::of(&version)))
}

/// Shared by the API and the account page's form.
async fn attach_review(
    state: &AppState,
    principal: &Principal,
    account_id: &AccountId,
    form: CaseReviewForm,
) -> Result<Version, AppError> {
    require(
        policy::can_review_cases(principal),
        principal,
        "attaching case reviews",
        "managers and admins",
    )?;
    let detail = state
        .access(principal.clone())
        .account_detail(&state.accounts, account_id)?;
    let name = detail.account.name.clone();
    let tier = detail.tier.tier.clone();
    let library = state.library.clone();
    let (id, by) = (account_id.to_string(), principal.user.clone());
    blocking(move || library.attach_case_review(&id, &name, Some(&tier), &form, &by)).await
}

/// `POST /accounts/{id}/reviews`: the case-review form of the account page.
pub async fn submit_case_review(
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    id: web::Path<AccountId>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let fields: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let form = CaseReviewForm {
        title: Some(get("title")),
        scenario: Some(get("scenario")),
        tags: vec![get("tags")],
        background: get("background"),
        actions: get("actions"),
        result: Some(get("result")),
        moves: vec![get("moves")],
        lessons: get("lessons"),
        next_steps: get("next_steps"),
        lang: Some(lang.as_str().to_owned()),
    };
    let version = attach_review(&state, &principal, &id, form)
        .await
        .or_page(lang)?;
    Ok(to_item_done(&version.item.id, "review"))
}
