//! The account list, as JSON and as the `/accounts` page.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::app::account_book::{AccountFilter, AccountList, TierState};
use crate::domain::policy::Principal;
use crate::domain::Lang;
use crate::web::error::responses::{BadInput, Unauthenticated};
use crate::web::error::{AppError, OrPage, PageError};
use crate::web::page::{html, path_segment, PageContext};
use crate::web::view::{choices, format_score, tier_label, Choice};
use crate::web::AppState;

#[utoipa::path(
    get,
    path = "/api/v1/accounts",
    params(AccountFilter),
    responses(
        (status = 200, description = "One page of accounts, best rank first", body = AccountList),
        BadInput,
        Unauthenticated,
    )
)]
pub async fn list_accounts(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<AccountFilter>,
) -> Result<web::Json<AccountList>, AppError> {
    let access = state.access(principal);
    Ok(web::Json(access.account_list(state.accounts.list(&query)?)))
}

pub struct AccountRowView {
    pub id: String,
    pub name: String,
    pub tier: String,
    pub tier_label: String,
    pub score: String,
    pub rank: usize,
    pub region: String,
    pub owner: String,
    pub overridden: bool,
}

#[derive(Template)]
#[template(path = "accounts.html")]
pub struct AccountsPage {
    pub ctx: PageContext,
    pub tiers: Vec<Choice>,
    pub regions: Vec<Choice>,
    pub owners: Vec<Choice>,
    pub rows: Vec<AccountRowView>,
    pub showing: String,
    pub previous: Option<String>,
    pub next: Option<String>,
}

fn accounts_page(
    ctx: PageContext,
    state: &TierState,
    filter: &AccountFilter,
    page: AccountList,
) -> AccountsPage {
    let lang = ctx.lang;
    let ui = ctx.ui;
    let selected = |v: &Option<String>| v.clone().unwrap_or_default();
    let link = |offset: usize| {
        let mut query = vec![format!("offset={offset}")];
        for (key, value) in [
            ("tier", &filter.tier),
            ("region", &filter.region),
            ("owner", &filter.owner),
        ] {
            if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                query.push(format!("{key}={}", path_segment(value)));
            }
        }
        if let Some(limit) = filter.limit {
            query.push(format!("limit={limit}"));
        }
        format!("/accounts?{}", query.join("&"))
    };
    let end = page.offset + page.accounts.len();
    AccountsPage {
        tiers: state
            .tiers()
            .iter()
            .map(|t| Choice {
                value: t.id.clone(),
                label: tier_label(t, lang),
                selected: filter.tier.as_deref() == Some(t.id.as_str()),
            })
            .collect(),
        regions: choices(state.regions(), &selected(&filter.region)),
        owners: choices(state.owners(), &selected(&filter.owner)),
        rows: page
            .accounts
            .into_iter()
            .map(|row| AccountRowView {
                tier_label: match lang {
                    Lang::Zh => row.tier_zh,
                    Lang::En => row.tier_en,
                },
                score: format_score(row.score, ui),
                id: row.id,
                name: row.name,
                tier: row.tier,
                rank: row.rank,
                region: row.region.unwrap_or_default(),
                owner: row.owner.unwrap_or_default(),
                overridden: row.overridden,
            })
            .collect(),
        showing: ui.showing((page.offset + 1).min(end), end, page.total),
        previous: (page.offset > 0).then(|| link(page.offset.saturating_sub(page.limit))),
        next: (end < page.total).then(|| link(end)),
        ctx,
    }
}

pub async fn show_accounts(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    query: web::Query<AccountFilter>,
) -> Result<HttpResponse, PageError> {
    let ctx = PageContext::for_request(&req, &state, lang);
    let access = state.access(principal);
    let page = access.account_list(state.accounts.list(&query).or_page(lang)?);
    html(&accounts_page(ctx, &state.accounts.state(), &query, page)).or_page(lang)
}
