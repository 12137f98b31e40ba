//! Search: `GET /api/v1/search` and the search page with facets, and the misses trainers
//! review (`/api/v1/search/misses`, `/search/misses`).

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::app::access::Access;
use crate::app::languages::{one_per_translation, InLanguage};
use crate::app::library::MISS_WINDOW;
use crate::app::library::{MissSummary, SearchParams, DEFAULT_LIMIT};
use crate::domain::content::ContentItem;
use crate::domain::content::Kind;
use crate::domain::policy::Principal;
use crate::domain::Lang;
use crate::search::index::{Hit, Related, SearchResults};
use crate::web::error::responses::{BadInput, Forbidden, Unauthenticated};
use crate::web::error::{AppError, OrPage, PageError};
use crate::web::guard::require_curator;
use crate::web::i18n::Ui;
use crate::web::page::{html, PageContext};
use crate::web::view::{Badge, LanguageBadge};
use crate::web::AppState;

#[utoipa::path(
    get,
    path = "/api/v1/search",
    params(SearchParams),
    responses(
        (status = 200, description = "Hits, facets and snippets the viewer may see", body = SearchResults),
        BadInput,
        Unauthenticated,
    )
)]
pub async fn search(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<SearchParams>,
) -> Result<web::Json<SearchResults>, AppError> {
    let access = state.access(principal);
    Ok(web::Json(
        state.library.search(&query, access.visibility())?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/search/misses",
    responses(
        (status = 200, description = "Recent queries that found nothing", body = Vec<MissSummary>),
        Unauthenticated,
        Forbidden,
    )
)]
pub async fn list_search_misses(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<web::Json<Vec<MissSummary>>, AppError> {
    require_curator(&principal)?;
    Ok(web::Json(state.library.search_misses(MISS_WINDOW)?))
}

/// One countable value of a facet, with the link that toggles it.
pub struct FacetValue {
    pub label: String,
    pub count: u64,
    pub href: String,
    pub selected: bool,
}

pub struct FacetGroup {
    pub title: &'static str,
    pub values: Vec<FacetValue>,
}

pub struct HitView {
    pub url: String,
    pub title: String,
    pub kind_label: &'static str,
    /// Escaped text with `<mark>`, produced by the index.
    pub snippet: String,
    pub badges: Vec<Badge>,
    /// Words of the query this item lacks.
    pub missing: String,
    /// The item's language when it is not the page's and has no translation in it.
    pub language_badge: Option<LanguageBadge>,
}

/// A published item as a hit (the translation shown in place of a hit in the other language):
/// its summary stands in for the snippet.
fn hit_of(item: ContentItem) -> Hit {
    Hit {
        url: format!("/content/{}", crate::web::page::path_segment(&item.id)),
        kind: item.kind.as_str().to_owned(),
        snippet: askama::filters::escape(
            item.summary.as_deref().unwrap_or_default(),
            askama::filters::Html,
        )
        .map(|escaped| escaped.to_string())
        .unwrap_or_default(),
        lang: item.lang.as_str().to_owned(),
        id: item.id,
        title: item.title,
        tiers: item.tiers,
        scenarios: item.scenarios,
        tags: item.tags,
        missing: Vec::new(),
        score: 0.0,
    }
}

/// The hits with each item and its translations once, in the reader's language when there
/// is a version in it (unless the reader asked for one language with the facet).
fn hits_in_language(
    state: &AppState,
    access: &Access,
    params: &SearchParams,
    hits: Vec<Hit>,
    lang: Lang,
) -> Vec<InLanguage<Hit>> {
    if params.lang.as_deref().is_some_and(|l| !l.is_empty()) {
        return hits
            .into_iter()
            .map(|item| InLanguage {
                item,
                other_language: None,
            })
            .collect();
    }
    let library = &state.library;
    one_per_translation(
        hits,
        lang,
        |hit| {
            (
                library.translation_group_of(&hit.id),
                Lang::parse(&hit.lang).unwrap_or(lang),
            )
        },
        |group| library.translation_in(access, group, lang).map(hit_of),
    )
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub ctx: PageContext,
    pub q: String,
    pub total: usize,
    pub hits: Vec<HitView>,
    pub facets: Vec<FacetGroup>,
    /// The facet counts are exact (else estimates, shown with ≈).
    pub facets_exact: bool,
    pub has_filters: bool,
    pub clear_filters_href: String,
    pub previous_href: Option<String>,
    pub next_href: Option<String>,
    pub searched: bool,
    /// Current filters as hidden form fields, so a new query keeps them.
    pub hidden: Vec<(&'static str, String)>,
    /// Whether only part of the query matched: `None` (all matched), or the notice.
    pub partial_notice: Option<String>,
    /// Question words that were left out, joined.
    pub left_out: String,
    /// "Did you mean" with its link.
    pub suggestion: Option<(String, String)>,
    pub related: Vec<Related>,
}

/// The page's parameters as `(name, value)` pairs, for building links.
fn pairs(query: &SearchParams) -> Vec<(&'static str, String)> {
    let mut pairs = Vec::new();
    for (name, value) in [
        ("q", &query.q),
        ("kind", &query.kind),
        ("tier", &query.tier),
        ("scenario", &query.scenario),
        ("tag", &query.tag),
        ("lang", &query.lang),
    ] {
        if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
            pairs.push((name, value.to_owned()));
        }
    }
    pairs
}

fn href(pairs: &[(&'static str, String)]) -> String {
    match serde_urlencoded::to_string(pairs) {
        Ok(query) if !query.is_empty() => format!("/search?{query}"),
        _ => "/search".to_owned(),
    }
}

/// The link that sets `name` to `value`, or removes it when it is already set; back to page 1.
fn toggle(base: &[(&'static str, String)], name: &'static str, value: &str) -> (String, bool) {
    let selected = base.iter().any(|(n, v)| *n == name && v == value);
    let mut next: Vec<(&'static str, String)> =
        base.iter().filter(|(n, _)| *n != name).cloned().collect();
    if !selected {
        next.push((name, value.to_owned()));
    }
    (href(&next), selected)
}

fn facet_groups(
    results: &SearchResults,
    base: &[(&'static str, String)],
    state: &AppState,
    lang: Lang,
) -> Vec<FacetGroup> {
    let ui = Ui::for_lang(lang);
    let taxonomy = state.library.taxonomy();
    let accounts = state.accounts.state();
    let tiers_in_force = accounts.tiers();
    let label = |facet: &str, value: &str| -> String {
        match facet {
            "kind" => Kind::parse(value)
                .map(|k| ui.kind(k).to_owned())
                .unwrap_or_else(|| value.to_owned()),
            "tiers" => taxonomy.tier_label(value, lang).to_owned(),
            "scenarios" => taxonomy.scenario_label(value, lang).to_owned(),
            "lang" => match value {
                "zh" => ui.lang_zh.to_owned(),
                "en" => ui.lang_en.to_owned(),
                other => other.to_owned(),
            },
            _ => value.to_owned(),
        }
    };
    [
        ("kind", "kind", ui.facet_kind),
        ("tiers", "tier", ui.tiers),
        ("scenarios", "scenario", ui.scenarios),
        ("tags", "tag", ui.tags),
        ("lang", "lang", ui.facet_lang),
    ]
    .into_iter()
    .filter_map(|(facet, param, title)| {
        let counts = results.facets.get(facet)?;
        let values: Vec<FacetValue> = counts
            .iter()
            // Items for every tier are filed under the tiers of every preset (so a filter by
            // any tier finds them); the facet offers only the tiers the accounts are cut into
            // now (`VIP客户` of the unused vip preset showed here and nowhere else).
            .filter(|c| {
                facet != "tiers"
                    || tiers_in_force.iter().any(|t| t.id == c.value)
                    || base.iter().any(|(n, v)| *n == "tier" && *v == c.value)
            })
            .map(|c| {
                let (href, selected) = toggle(base, param, &c.value);
                FacetValue {
                    label: label(facet, &c.value),
                    count: c.count,
                    href,
                    selected,
                }
            })
            .collect();
        (!values.is_empty()).then_some(FacetGroup { title, values })
    })
    .collect()
}

fn hit_view(entry: InLanguage<Hit>, state: &AppState, lang: Lang) -> HitView {
    let hit = entry.item;
    let ui = Ui::for_lang(lang);
    let taxonomy = state.library.taxonomy();
    let mut badges: Vec<Badge> = hit
        .tiers
        .iter()
        .map(|t| Badge {
            class: "tier",
            label: taxonomy.tier_label(t, lang).to_owned(),
            value: t.clone(),
        })
        .collect();
    badges.extend(hit.scenarios.iter().map(|s| Badge {
        class: "scenario",
        label: taxonomy.scenario_label(s, lang).to_owned(),
        value: s.clone(),
    }));
    HitView {
        kind_label: Kind::parse(&hit.kind).map(|k| ui.kind(k)).unwrap_or(""),
        url: hit.url,
        title: hit.title,
        snippet: hit.snippet,
        badges,
        missing: hit.missing.join(" · "),
        language_badge: LanguageBadge::for_lang(entry.other_language),
    }
}

impl SearchPage {
    /// How many filters are set (shown on the filter button).
    pub fn active_count(&self) -> usize {
        self.facets
            .iter()
            .flat_map(|g| g.values.iter())
            .filter(|v| v.selected)
            .count()
    }

    /// The page of `results` for `query`: facets, filters kept in the links, paging.
    fn new(
        state: &AppState,
        access: &Access,
        query: &SearchParams,
        results: SearchResults,
        ctx: PageContext,
    ) -> SearchPage {
        let lang = ctx.lang;
        let base = pairs(query);
        let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
        let offset = query.offset.unwrap_or(0);
        let page_href = |offset: usize| {
            let mut with_offset = base.clone();
            if offset > 0 {
                with_offset.push(("offset", offset.to_string()));
            }
            href(&with_offset)
        };
        let has_filters = base.iter().any(|(n, _)| *n != "q");
        let q = query.q.clone().unwrap_or_default();
        let ui = ctx.ui;
        let partial_notice = match (results.matched_all, results.total) {
            (_, 0) => None,
            (0, _) => Some(ui.partial_only.to_owned()),
            (all, total) if all < total && offset < all + limit => {
                Some(ui.partial_after.replace("{n}", &all.to_string()))
            }
            _ => None,
        };
        let suggestion = results.suggestion.clone().map(|s| {
            let mut with_q: Vec<(&'static str, String)> =
                base.iter().filter(|(n, _)| *n != "q").cloned().collect();
            with_q.insert(0, ("q", s.clone()));
            (s, href(&with_q))
        });
        let left_out = results
            .understood
            .as_ref()
            .map(|u| u.dropped.join(" · "))
            .unwrap_or_default();
        SearchPage {
            partial_notice,
            suggestion,
            left_out,
            related: results.related.clone(),
            facets: facet_groups(&results, &base, state, lang),
            facets_exact: results.facets_exact,
            clear_filters_href: href(
                &base
                    .iter()
                    .filter(|(n, _)| *n == "q")
                    .cloned()
                    .collect::<Vec<_>>(),
            ),
            previous_href: (offset > 0).then(|| page_href(offset.saturating_sub(limit))),
            next_href: (offset + limit < results.total).then(|| page_href(offset + limit)),
            hidden: base.iter().filter(|(n, _)| *n != "q").cloned().collect(),
            searched: !base.is_empty(),
            has_filters,
            total: results.total,
            hits: hits_in_language(state, access, query, results.hits, lang)
                .into_iter()
                .map(|h| hit_view(h, state, lang))
                .collect(),
            q,
            ctx,
        }
    }
}

pub async fn show_search(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    query: web::Query<SearchParams>,
) -> Result<HttpResponse, PageError> {
    let ctx = PageContext::for_request(&req, &state, lang);
    let access = state.access(principal);
    // The page says which question words it left out.
    let params = SearchParams {
        explain: true,
        ..query.into_inner()
    };
    let results = state
        .library
        .search(&params, access.visibility())
        .or_page(lang)?;
    html(&SearchPage::new(&state, &access, &params, results, ctx)).or_page(lang)
}

#[derive(Template)]
#[template(path = "misses.html")]
pub struct MissesPage {
    pub ctx: PageContext,
    pub misses: Vec<MissSummary>,
}

pub async fn show_search_misses(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
) -> Result<HttpResponse, PageError> {
    require_curator(&principal).or_page(lang)?;
    let ctx = PageContext::for_request(&req, &state, lang);
    let misses = state.library.search_misses(MISS_WINDOW).or_page(lang)?;
    html(&MissesPage { ctx, misses }).or_page(lang)
}
