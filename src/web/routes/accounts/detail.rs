//! One account: its tier and why, its figures for those who may see them, and tier overrides.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::app::account_book::{AccountDetail, OverrideRequest, TierState};
use crate::domain::ids::AccountId;
use crate::domain::policy::Principal;
use crate::domain::tiering::Indicator;
use crate::domain::{policy, Lang};
use crate::web::blocking::blocking;
use crate::web::error::responses::{BadInput, Forbidden, NotFound, TooLarge, Unauthenticated};
use crate::web::error::{AppError, OrPage, PageError};
use crate::web::guard::require_override;
use crate::web::page::{html, path_segment, PageContext};
use crate::web::routes::accounts::BriefingSection;
use crate::web::view::{format_score, format_yuan, tier_label, Choice};
use crate::web::AppState;

#[utoipa::path(
    get,
    path = "/api/v1/accounts/{id}",
    params(("id" = String, Path, description = "Account id")),
    responses(
        (status = 200, description = "The account, its tier and why", body = AccountDetail),
        BadInput,
        Unauthenticated,
        NotFound,
    )
)]
pub async fn get_account(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<AccountId>,
) -> Result<web::Json<AccountDetail>, AppError> {
    let access = state.access(principal);
    Ok(web::Json(access.account_detail(&state.accounts, &id)?))
}

/// `PUT /api/v1/accounts/{id}/override`; the signed-in manager is recorded as its author.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideBody {
    tier: String,
    reason: String,
}

#[utoipa::path(
    put,
    path = "/api/v1/accounts/{id}/override",
    params(("id" = String, Path, description = "Account id")),
    request_body = OverrideBody,
    responses(
        (status = 200, description = "The account with its override", body = AccountDetail),
        BadInput,
        Unauthenticated,
        Forbidden,
        NotFound,
        TooLarge,
    )
)]
pub async fn put_override(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<AccountId>,
    body: web::Json<OverrideBody>,
) -> Result<web::Json<AccountDetail>, AppError> {
    require_override(&principal)?;
    let body = body.into_inner();
    let request = OverrideRequest {
        tier: body.tier,
        reason: body.reason,
    };
    let book = state.accounts.clone();
    let detail = blocking(move || book.set_override(&id, request, &principal.user)).await?;
    Ok(web::Json(detail))
}

#[utoipa::path(
    delete,
    path = "/api/v1/accounts/{id}/override",
    params(("id" = String, Path, description = "Account id")),
    responses(
        (status = 200, description = "The account without override", body = AccountDetail),
        BadInput,
        Unauthenticated,
        Forbidden,
        NotFound,
    )
)]
pub async fn delete_override(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<AccountId>,
) -> Result<web::Json<AccountDetail>, AppError> {
    require_override(&principal)?;
    let book = state.accounts.clone();
    let detail = blocking(move || book.remove_override(&id, &principal.user)).await?;
    Ok(web::Json(detail))
}

pub struct ContributionView {
    pub indicator: String,
    pub raw: String,
    pub normalised: String,
    pub weight: String,
    pub points: String,
}

pub struct OverrideView {
    pub tier_label: String,
    pub by: String,
    pub at: String,
    pub reason: String,
    pub applied: bool,
}

pub struct ChangeView {
    pub direction: &'static str,
    pub from: String,
    pub to: String,
    pub at: String,
}

/// The account page: figures, tier explanation, override. Issue 5 extends it into the
/// briefing, so its parts are plain fields a template can add sections around.
#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPageView {
    pub ctx: PageContext,
    pub id: String,
    pub name: String,
    pub aliases: String,
    pub industry: String,
    pub region: String,
    pub owner: String,
    pub tier: String,
    pub tier_label: String,
    pub computed_tier_label: String,
    pub score: String,
    pub rank: usize,
    pub accounts: usize,
    pub percentile: String,
    pub figures: Vec<(String, String)>,
    pub flags: Vec<&'static str>,
    pub contributions: Vec<ContributionView>,
    pub rule: String,
    pub score_rule: String,
    pub override_info: Option<OverrideView>,
    pub tier_choices: Vec<Choice>,
    pub last_change: Option<ChangeView>,
    pub briefing: BriefingSection,
    /// The viewer may see the figures (else the detail arrives without them).
    pub figures_visible: bool,
    /// The viewer may set or remove the override.
    pub can_override: bool,
    /// The viewer may attach a case review.
    pub can_review: bool,
}

fn account_page(
    ctx: PageContext,
    state: &TierState,
    detail: AccountDetail,
    briefing: BriefingSection,
    can_override: bool,
) -> AccountPageView {
    let lang = ctx.lang;
    let ui = ctx.ui;
    let label_of = |id: &str| {
        state
            .tiers()
            .iter()
            .find(|t| t.id == id)
            .map_or_else(|| id.to_owned(), |t| tier_label(t, lang))
    };
    let text = |rule: &crate::domain::tiering::Rule| match lang {
        Lang::Zh => rule.zh.clone(),
        Lang::En => rule.en.clone(),
    };
    let ind = &detail.account.indicators;
    let money = |m: Option<crate::domain::account::Money>| {
        m.map_or_else(
            || ui.not_recorded.to_owned(),
            |m| format_yuan(i128::from(m.units())),
        )
    };
    let number = |n: Option<String>| n.unwrap_or_else(|| ui.not_recorded.to_owned());
    let yes_no = |b: Option<bool>| b.map_or(ui.not_recorded, |b| if b { ui.yes } else { ui.no });
    let figures = vec![
        (
            ui.indicator(Indicator::Revenue).to_owned(),
            money(ind.revenue),
        ),
        (
            ui.indicator(Indicator::Profit).to_owned(),
            money(ind.profit),
        ),
        (
            ui.indicator(Indicator::Collected).to_owned(),
            money(ind.collected),
        ),
        (
            ui.indicator(Indicator::Transactions).to_owned(),
            number(ind.transactions.map(|v| v.to_string())),
        ),
        (
            ui.indicator(Indicator::CooperationYears).to_owned(),
            number(ind.cooperation_years.map(|v| v.to_string())),
        ),
        (
            ui.indicator(Indicator::OverdueDays).to_owned(),
            number(ind.overdue_days.map(|v| v.to_string())),
        ),
        (
            ui.indicator(Indicator::ProductLines).to_owned(),
            number(ind.product_lines.map(|v| v.to_string())),
        ),
        (
            match lang {
                Lang::Zh => "信用等级",
                Lang::En => "Credit",
            }
            .to_owned(),
            ind.credit
                .map_or(ui.not_recorded, |c| ui.credit(c))
                .to_owned(),
        ),
        (
            ui.indicator(Indicator::Referral).to_owned(),
            yes_no(ind.referral).to_owned(),
        ),
        (
            ui.indicator(Indicator::PotentialCustomer).to_owned(),
            number(ind.potential_customer.map(|v| v.to_string())),
        ),
        (
            ui.indicator(Indicator::PotentialService).to_owned(),
            number(ind.potential_service.map(|v| v.to_string())),
        ),
    ];
    let mut flags = Vec::new();
    if ind.picky == Some(true) {
        flags.push(ui.flag("picky"));
    }
    if ind.strict == Some(true) {
        flags.push(ui.flag("strict"));
    }
    let assignment = &detail.tier;
    AccountPageView {
        figures_visible: detail.figures_visible,
        can_override,
        can_review: false,
        id: detail.account.id.to_string(),
        name: detail.account.name.to_string(),
        aliases: detail.account.aliases.join(" / "),
        industry: detail
            .account
            .industry
            .as_deref()
            .unwrap_or_default()
            .to_owned(),
        region: detail
            .account
            .region
            .as_deref()
            .unwrap_or_default()
            .to_owned(),
        owner: detail
            .account
            .owner
            .as_deref()
            .unwrap_or_default()
            .to_owned(),
        tier: assignment.tier.clone(),
        tier_label: label_of(&assignment.tier),
        computed_tier_label: label_of(&assignment.computed_tier),
        score: format_score(assignment.score, ui),
        rank: assignment.rank,
        accounts: state.len(),
        percentile: format!("{:.1}", assignment.percentile),
        figures,
        flags,
        contributions: assignment
            .contributions
            .iter()
            .map(|c| ContributionView {
                indicator: ui.indicator(c.indicator).to_owned(),
                raw: c
                    .raw
                    .map_or_else(|| ui.not_recorded.to_owned(), |v| format!("{v}")),
                normalised: c.normalised.map_or_else(String::new, |v| format!("{v:.2}")),
                weight: format!("{:.2}", c.weight),
                points: format!("{:.2}", c.points),
            })
            .collect(),
        rule: text(&assignment.rule),
        score_rule: text(&detail.score_rule),
        override_info: assignment.r#override.as_ref().map(|o| OverrideView {
            tier_label: label_of(&o.tier),
            by: o.by.clone(),
            at: o.at.clone(),
            reason: o.reason.clone(),
            applied: assignment.override_applied,
        }),
        tier_choices: state
            .tiers()
            .iter()
            .map(|t| Choice {
                value: t.id.clone(),
                label: tier_label(t, lang),
                selected: t.id == assignment.tier,
            })
            .collect(),
        last_change: detail.last_change.as_ref().map(|c| ChangeView {
            direction: ui.direction(c.direction),
            from: c.from.as_deref().map(label_of).unwrap_or_default(),
            to: label_of(&c.to),
            at: c.at.clone(),
        }),
        briefing,
        ctx,
    }
}

/// The account page is the customer briefing: alerts, what to do in the chosen scenario,
/// related cases, then the figures and the tier's explanation.
/// The account page's query: the briefing's scenario, and the message of what was just done
/// (`done`, read by `PageContext::flash`).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountPageQuery {
    pub scenario: Option<String>,
    #[serde(default, rename = "done")]
    _done: Option<String>,
}

pub async fn show_account(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    id: web::Path<AccountId>,
    query: web::Query<AccountPageQuery>,
) -> Result<HttpResponse, PageError> {
    let ctx = PageContext::for_request(&req, &state, lang);
    let access = state.access(principal);
    let briefing = crate::app::briefing::briefing(
        &state.accounts,
        &state.library,
        state.library.alert_rules(),
        &id,
        query.scenario.as_deref(),
        &access.viewer(),
        lang,
    )
    .or_page(lang)?;
    crate::app::recent::record(
        &state.library,
        &access.principal.user,
        crate::store::recent::ViewedKind::Account,
        &briefing.account.id,
    );
    let section = BriefingSection::new(briefing, &state, lang);
    let detail = access.account_detail(&state.accounts, &id).or_page(lang)?;
    let can_override = policy::can_override_tier(&access.principal);
    let mut page = account_page(ctx, &state.accounts.state(), detail, section, can_override);
    page.can_review = policy::can_review_cases(&access.principal);
    html(&page).or_page(lang)
}

/// The override form of the account page. Fields default to empty so the core's messages
/// (e.g. "reason: … required") reach the user. The CSRF field was checked by the middleware.
#[derive(serde::Deserialize)]
pub struct OverrideForm {
    #[serde(default)]
    tier: String,
    #[serde(default)]
    reason: String,
    #[serde(default, rename = "csrf")]
    _csrf: String,
}

fn back_to_account(id: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("/accounts/{}?done=override", path_segment(id)),
        ))
        .finish()
}

pub async fn submit_override(
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    id: web::Path<AccountId>,
    form: web::Form<OverrideForm>,
) -> Result<HttpResponse, PageError> {
    require_override(&principal).or_page(lang)?;
    let form = form.into_inner();
    let request = OverrideRequest {
        tier: form.tier,
        reason: form.reason,
    };
    let (book, account_id) = (state.accounts.clone(), id.clone());
    blocking(move || book.set_override(&account_id, request, &principal.user))
        .await
        .or_page(lang)?;
    Ok(back_to_account(&id))
}

pub async fn submit_override_removal(
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    id: web::Path<AccountId>,
) -> Result<HttpResponse, PageError> {
    require_override(&principal).or_page(lang)?;
    let (book, account_id) = (state.accounts.clone(), id.clone());
    blocking(move || book.remove_override(&account_id, &principal.user))
        .await
        .or_page(lang)?;
    Ok(back_to_account(&id))
}
