//! HTML pages: one askama template struct per file in `templates/`, each extending `base.html`.
//! Handlers extract, ask the library, and wrap the answer in a page struct.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::app::account_book::{
    AccountDetail, AccountFilter, AccountList, OverrideRequest, ParetoView, TierState,
};
use crate::domain::content::{ContentItem, Kind};
use crate::domain::coverage::Coverage;
use crate::domain::pareto::TierBand;
use crate::domain::policy::{self, Principal};
use crate::domain::taxonomy::Taxonomy;
use crate::domain::tiering::Indicator;
use crate::domain::Lang;
use crate::render::render_html;
use crate::web::api::ParetoQuery;
use crate::web::blocking::blocking;
use crate::web::chart::LorenzChart;
use crate::web::error::{AppError, OrPage, PageError};
use crate::web::i18n::{ParetoFigures, Ui, LANG_COOKIE};
use crate::web::page::{html, path_segment, PageContext};
use crate::web::AppState;

/// A labelled, linkable badge (tier, scenario, kind, tag…).
pub struct Badge {
    pub class: &'static str,
    pub label: String,
    pub value: String,
}

/// A content item as a list entry.
pub struct ItemLink {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub badges: Vec<Badge>,
}

fn tier_badges(item: &ContentItem, taxonomy: &Taxonomy, lang: Lang) -> Vec<Badge> {
    if item.tiers.is_empty() {
        return vec![Badge {
            class: "tier tier-all",
            label: Ui::for_lang(lang).all_tiers.to_owned(),
            value: String::new(),
        }];
    }
    item.tiers
        .iter()
        .map(|tier| Badge {
            class: "tier",
            label: taxonomy.tier_label(tier, lang).to_owned(),
            value: tier.clone(),
        })
        .collect()
}

fn scenario_badges(item: &ContentItem, taxonomy: &Taxonomy, lang: Lang) -> Vec<Badge> {
    item.scenarios
        .iter()
        .map(|scenario| Badge {
            class: "scenario",
            label: taxonomy.scenario_label(scenario, lang).to_owned(),
            value: scenario.clone(),
        })
        .collect()
}

fn item_link(item: &ContentItem, taxonomy: &Taxonomy, lang: Lang) -> ItemLink {
    let mut badges = tier_badges(item, taxonomy, lang);
    badges.extend(scenario_badges(item, taxonomy, lang));
    if let Some(outcome) = item.outcome {
        badges.push(Badge {
            class: "outcome",
            label: Ui::for_lang(lang).outcome(outcome).to_owned(),
            value: outcome.as_str().to_owned(),
        });
    }
    ItemLink {
        id: item.id.clone(),
        title: item.title.clone(),
        summary: item.summary.clone().unwrap_or_default(),
        badges,
    }
}

/// A titled list of items on the home page.
pub struct Section {
    pub title: &'static str,
    pub anchor: &'static str,
    pub items: Vec<ItemLink>,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub ctx: PageContext,
    pub sections: Vec<Section>,
    pub total: usize,
}

/// A playbook for one tier as a whole.
fn is_tier_treatment(item: &ContentItem) -> bool {
    item.tiers.len() == 1 && item.scenarios.is_empty()
}

/// A playbook for one tier in one scenario: a cell of the coverage matrix.
fn is_scenario_playbook(item: &ContentItem) -> bool {
    item.tiers.len() == 1 && item.scenarios.len() == 1
}

/// Home: the library grouped as a reader looks for it, in the viewer's language first.
pub async fn show_home(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
) -> Result<HttpResponse, PageError> {
    let ctx = PageContext::for_request(&req, &state, lang);
    let taxonomy = state.library.taxonomy();
    let access = state.access(principal);
    let mut items: Vec<ContentItem> = access
        .readable(state.library.list_published(None).or_page(lang)?)
        .collect();
    // The viewer's language first; the other language's items follow.
    items.sort_by_key(|item| item.lang != lang);
    let total = items.len();
    let ui = ctx.ui;
    let pick = |predicate: &dyn Fn(&ContentItem) -> bool| -> Vec<ItemLink> {
        items
            .iter()
            .filter(|item| predicate(item))
            .map(|item| item_link(item, taxonomy, lang))
            .collect()
    };
    let sections = vec![
        Section {
            title: ui.tier_treatments,
            anchor: "tiers",
            items: pick(&|i| i.kind == Kind::Playbook && is_tier_treatment(i)),
        },
        Section {
            title: ui.playbooks,
            anchor: "playbooks",
            items: pick(&|i| i.kind == Kind::Playbook && is_scenario_playbook(i)),
        },
        Section {
            title: ui.guides,
            anchor: "guides",
            items: pick(&|i| {
                i.kind == Kind::Playbook && !is_tier_treatment(i) && !is_scenario_playbook(i)
            }),
        },
        Section {
            title: ui.courses,
            anchor: "courses",
            items: pick(&|i| i.kind == Kind::Course),
        },
        Section {
            title: ui.cases,
            anchor: "cases",
            items: pick(&|i| i.kind == Kind::Case),
        },
    ];
    html(&HomePage {
        ctx,
        sections,
        total,
    })
    .or_page(lang)
}

#[derive(Template)]
#[template(path = "content.html")]
pub struct ContentPage {
    pub ctx: PageContext,
    pub item: ContentItem,
    pub kind_label: &'static str,
    pub outcome_label: &'static str,
    pub badges: Vec<Badge>,
    pub tags: Vec<String>,
    pub body_html: String,
    pub lessons: Vec<ItemLink>,
    pub course: Option<ItemLink>,
    pub previous: Option<ItemLink>,
    pub next: Option<ItemLink>,
    pub translations: Vec<(String, String, &'static str)>,
    pub work: crate::web::editor::WorkPanel,
}

pub async fn show_content(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let ctx = PageContext::for_request(&req, &state, lang);
    let library = &state.library;
    let taxonomy = library.taxonomy();
    let access = state.access(principal);
    let item = state.library.readable_item(&access, &id).or_page(lang)?;
    let mut badges = tier_badges(&item, taxonomy, lang);
    badges.extend(scenario_badges(&item, taxonomy, lang));
    let (mut lessons, mut course, mut previous, mut next) = (Vec::new(), None, None, None);
    match item.kind {
        Kind::Course => {
            lessons = library
                .lessons_of(&item.id)
                .or_page(lang)?
                .iter()
                .map(|l| item_link(l, taxonomy, lang))
                .collect();
        }
        Kind::Lesson => {
            if let Some(course_id) = &item.course {
                course = library
                    .published(course_id)
                    .ok()
                    .map(|c| item_link(&c, taxonomy, lang));
                let siblings = library.lessons_of(course_id).or_page(lang)?;
                if let Some(at) = siblings.iter().position(|l| l.id == item.id) {
                    previous = at
                        .checked_sub(1)
                        .map(|i| item_link(&siblings[i], taxonomy, lang));
                    next = siblings.get(at + 1).map(|l| item_link(l, taxonomy, lang));
                }
            }
        }
        Kind::Playbook | Kind::Case | Kind::Campaign => {}
    }
    let translations = access
        .readable(library.translations_of(&item).or_page(lang)?)
        .map(|t| (t.id, t.title, t.lang.as_str()))
        .collect();
    let work = crate::web::editor::WorkPanel::new(&state, &access, &item).or_page(lang)?;
    html(&ContentPage {
        work,
        ctx,
        kind_label: Ui::for_lang(lang).kind(item.kind),
        outcome_label: item
            .outcome
            .map(|o| Ui::for_lang(lang).outcome(o))
            .unwrap_or(""),
        badges,
        tags: item.tags.clone(),
        body_html: render_html(&item.body),
        item,
        lessons,
        course,
        previous,
        next,
        translations,
    })
    .or_page(lang)
}

pub struct CoverageCellView {
    pub playbooks: Vec<(String, String, bool)>,
}

pub struct CoverageRowView {
    pub tier_label: String,
    pub tier: String,
    pub cells: Vec<CoverageCellView>,
}

#[derive(Template)]
#[template(path = "coverage.html")]
pub struct CoveragePage {
    pub ctx: PageContext,
    pub scenario_labels: Vec<String>,
    pub rows: Vec<CoverageRowView>,
    pub filled: usize,
    pub gaps: usize,
}

fn coverage_page(ctx: PageContext, coverage: Coverage, taxonomy: &Taxonomy) -> CoveragePage {
    let lang = ctx.lang;
    CoveragePage {
        scenario_labels: coverage
            .scenarios
            .iter()
            .map(|s| taxonomy.scenario_label(s, lang).to_owned())
            .collect(),
        rows: coverage
            .rows
            .into_iter()
            .zip(&coverage.tiers)
            .map(|(cells, tier)| CoverageRowView {
                tier_label: taxonomy.tier_label(tier, lang).to_owned(),
                tier: tier.clone(),
                cells: cells
                    .into_iter()
                    .map(|cell| CoverageCellView {
                        playbooks: cell
                            .playbooks
                            .into_iter()
                            .map(|p| (p.id, p.title, p.all_tiers))
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
        filled: coverage.filled,
        gaps: coverage.gaps,
        ctx,
    }
}

pub async fn show_coverage(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
) -> Result<HttpResponse, PageError> {
    let ctx = PageContext::for_request(&req, &state, lang);
    let coverage = state.library.coverage().or_page(lang)?;
    html(&coverage_page(ctx, coverage, state.library.taxonomy())).or_page(lang)
}

#[derive(Template)]
#[template(path = "problems.html")]
pub struct ProblemsPage {
    pub ctx: PageContext,
    pub problems: Vec<crate::domain::content::ContentError>,
}

pub async fn show_problems(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
) -> Result<HttpResponse, PageError> {
    crate::web::api::require_curator(&principal).or_page(lang)?;
    let ctx = PageContext::for_request(&req, &state, lang);
    html(&ProblemsPage {
        ctx,
        problems: state.library.problems().to_vec(),
    })
    .or_page(lang)
}

#[derive(serde::Deserialize)]
pub struct SwitchQuery {
    next: Option<String>,
}

/// Sets the UI language cookie and goes back to the page the switch was clicked on.
pub async fn switch_lang(
    path: web::Path<String>,
    query: web::Query<SwitchQuery>,
) -> Result<HttpResponse, PageError> {
    let lang = Lang::parse(&path).ok_or_else(|| PageError {
        error: AppError::NotFound(format!(
            "unknown language {:?} (expected zh or en)",
            path.as_str()
        )),
        lang: Lang::default(),
    })?;
    // Only local paths: never an open redirect.
    let next = crate::web::redirect::local_path(query.next.as_deref());
    let cookie = Cookie::build(LANG_COOKIE, lang.as_str())
        .path("/")
        .same_site(SameSite::Lax)
        .http_only(true)
        .max_age(actix_web::cookie::time::Duration::days(365))
        .finish();
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next))
        .cookie(cookie)
        .finish())
}

// ------------------------------------------------------------------------------------------
// Accounts, tiers and the Pareto picture
// ------------------------------------------------------------------------------------------

/// Money in fen as yuan with thousands separators: `¥1,234,567` or `-¥3,000.50`.
pub fn format_yuan(fen: i128) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    let (yuan, cents) = (abs / 100, abs % 100);
    let digits = yuan.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if cents == 0 {
        format!("{sign}¥{grouped}")
    } else {
        format!("{sign}¥{grouped}.{cents:02}")
    }
}

fn format_score(score: Option<f64>, ui: &Ui) -> String {
    score.map_or_else(|| ui.no_score.to_owned(), |s| format!("{s:.2}"))
}

fn tier_label(def: &crate::domain::tiering::TierDef, lang: Lang) -> String {
    match lang {
        Lang::Zh => def.label_zh.clone(),
        Lang::En => def.label_en.clone(),
    }
}

/// An option of a filter or form select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn choices(values: &[String], selected: &str) -> Vec<Choice> {
    values
        .iter()
        .map(|v| Choice {
            value: v.clone(),
            label: v.clone(),
            selected: v == selected,
        })
        .collect()
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
    pub briefing: crate::web::briefing_page::BriefingSection,
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
    briefing: crate::web::briefing_page::BriefingSection,
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
            |m| format_yuan(i128::from(m.minor())),
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
        id: detail.account.id.clone(),
        name: detail.account.name.clone(),
        aliases: detail.account.aliases.join(" / "),
        industry: detail.account.industry.clone().unwrap_or_default(),
        region: detail.account.region.clone().unwrap_or_default(),
        owner: detail.account.owner.clone().unwrap_or_default(),
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
pub async fn show_account(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    id: web::Path<String>,
    query: web::Query<crate::web::api::BriefingQuery>,
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
    let section = crate::web::briefing_page::BriefingSection::new(briefing, &state, lang);
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
        .insert_header((header::LOCATION, format!("/accounts/{}", path_segment(id))))
        .finish()
}

pub async fn submit_override(
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    id: web::Path<String>,
    form: web::Form<OverrideForm>,
) -> Result<HttpResponse, PageError> {
    crate::web::api::require_override(&principal).or_page(lang)?;
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
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    crate::web::api::require_override(&principal).or_page(lang)?;
    let (book, account_id) = (state.accounts.clone(), id.clone());
    blocking(move || book.remove_override(&account_id, &principal.user))
        .await
        .or_page(lang)?;
    Ok(back_to_account(&id))
}

pub struct BandLegend {
    pub tier: String,
    pub label: String,
    pub count: usize,
    pub share: String,
}

#[derive(Template)]
#[template(path = "pareto.html")]
pub struct ParetoPage {
    pub ctx: PageContext,
    pub indicators: Vec<Choice>,
    pub indicator_label: &'static str,
    pub sentences: Vec<String>,
    pub chart: Option<LorenzChart>,
    pub x_axis: String,
    pub y_axis: String,
    pub legend: Vec<BandLegend>,
}

fn pareto_page(ctx: PageContext, view: ParetoView) -> ParetoPage {
    let lang = ctx.lang;
    let ui = ctx.ui;
    let p = &view.pareto;
    let amount = |v: i128| {
        if view.indicator.is_money() {
            format_yuan(v)
        } else if view.indicator == Indicator::CooperationYears {
            format!("{:.2}", v as f64 / 100.0)
        } else {
            v.to_string()
        }
    };
    let figures = ParetoFigures {
        indicator: view.indicator,
        total: amount(p.total),
        top20_count: p.top20_count,
        top20_share: p.top20_share,
        accounts_for_80pct: p.accounts_for_80pct,
        accounts_for_80pct_share: p
            .accounts_for_80pct
            .map_or(0.0, |c| 100.0 * c as f64 / p.n.max(1) as f64),
        gini: p.gini,
        bottom10_count: p.bottom10_count,
        bottom10_sum: amount(p.bottom10_sum),
    };
    let bands: Vec<(TierBand, String)> = view
        .bands
        .iter()
        .map(|b| {
            let label = match lang {
                Lang::Zh => b.label_zh.clone(),
                Lang::En => b.label_en.clone(),
            };
            (b.clone(), label)
        })
        .collect();
    let chart = (!p.curve.is_empty()).then(|| {
        LorenzChart::new(
            &p.curve,
            &bands,
            p.accounts_for_80pct
                .map(|c| 100.0 * c as f64 / p.n.max(1) as f64),
        )
    });
    ParetoPage {
        indicators: Indicator::ALL
            .iter()
            .map(|i| Choice {
                value: i.name().to_owned(),
                label: ui.indicator(*i).to_owned(),
                selected: *i == view.indicator,
            })
            .collect(),
        indicator_label: ui.indicator(view.indicator),
        sentences: ui.pareto_sentences(&figures),
        chart,
        x_axis: ui.pareto_x_axis(view.indicator),
        y_axis: ui.pareto_y_axis(view.indicator),
        legend: bands
            .into_iter()
            .map(|(b, label)| BandLegend {
                share: format!("{:.1}%", b.x_end - b.x_start),
                tier: b.tier,
                label,
                count: b.count,
            })
            .collect(),
        ctx,
    }
}

pub async fn show_pareto(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    query: web::Query<ParetoQuery>,
) -> Result<HttpResponse, PageError> {
    crate::web::api::require_analytics(&principal).or_page(lang)?;
    let ctx = PageContext::for_request(&req, &state, lang);
    let indicator = query.indicator.as_deref().unwrap_or("revenue");
    let view = state.accounts.pareto(indicator).or_page(lang)?;
    html(&pareto_page(ctx, view)).or_page(lang)
}
