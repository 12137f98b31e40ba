//! HTML pages: one askama template struct per file in `templates/`, each extending `base.html`.
//! Handlers extract, ask the library, and wrap the answer in a page struct.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::domain::content::{ContentItem, Kind};
use crate::domain::coverage::Coverage;
use crate::domain::taxonomy::Taxonomy;
use crate::domain::Lang;
use crate::render::render_html;
use crate::web::error::{AppError, OrPage, PageError};
use crate::web::i18n::{Ui, LANG_COOKIE};
use crate::web::AppState;

/// What every page needs for the frame in `base.html`.
pub struct PageContext {
    pub lang: Lang,
    pub ui: &'static Ui,
    /// The path of this page, so the language switch can come back to it.
    pub path: String,
    /// Number of content problems, shown on the navigation link.
    pub problem_count: usize,
}

impl PageContext {
    pub fn new(lang: Lang, path: &str, problem_count: usize) -> PageContext {
        PageContext {
            lang,
            ui: Ui::for_lang(lang),
            path: path.to_owned(),
            problem_count,
        }
    }

    pub fn for_request(req: &HttpRequest, state: &AppState, lang: Lang) -> PageContext {
        let path = match req.query_string() {
            "" => req.path().to_owned(),
            query => format!("{}?{}", req.path(), query),
        };
        PageContext::new(lang, &path, state.library.problems().len())
    }

    /// The other UI language, for the switch.
    pub fn other_lang(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "en",
            Lang::En => "zh",
        }
    }
}

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

pub fn html(page: &impl Template) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(page.render()?))
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
) -> Result<HttpResponse, PageError> {
    let ctx = PageContext::for_request(&req, &state, lang);
    let taxonomy = state.library.taxonomy();
    let mut items = state.library.list_published(None).or_page(lang)?;
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
}

pub async fn show_content(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let ctx = PageContext::for_request(&req, &state, lang);
    let library = &state.library;
    let taxonomy = library.taxonomy();
    let item = library.published(&id).or_page(lang)?;
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
        Kind::Playbook | Kind::Case => {}
    }
    let translations = library
        .translations_of(&item)
        .or_page(lang)?
        .into_iter()
        .map(|t| (t.id, t.title, t.lang.as_str()))
        .collect();
    html(&ContentPage {
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
) -> Result<HttpResponse, PageError> {
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
    let next = query
        .next
        .as_deref()
        .filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or("/");
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
