//! Reading items: the list and one item, as JSON and as the item page.

use crate::error_codes::code;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::{Deserialize, Serialize};

use crate::app::access::Access;
use crate::domain::content::{ContentItem, Kind};
use crate::domain::ids::ItemId;
use crate::domain::policy::Principal;
use crate::domain::Lang;
use crate::render::render_html;
use crate::web::error::responses::{BadInput, NotFound, Unauthenticated};
use crate::web::error::{AppError, OrPage, PageError};
use crate::web::i18n::Ui;
use crate::web::page::{html, PageContext};
use crate::web::routes::content::{evidence_links, ItemRef, WorkPanel};
use crate::web::view::{item_link, item_link_in, scenario_badges, tier_badges, Badge, ItemLink};
use crate::web::AppState;

/// A content item as the API returns it: the stored fields plus rendered HTML, its page URL,
/// whether it is past its review date, the evidence it cites and the playbooks citing it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ContentView {
    #[serde(flatten)]
    item: ContentItem,
    html: String,
    url: String,
    stale: bool,
    /// Playbooks: the cited cases (and moves) the viewer may read.
    cited_cases: Vec<crate::domain::capture::Evidence>,
    /// Cases: the published playbooks that cite them.
    cited_by: Vec<ItemRef>,
}

impl ContentView {
    pub fn new(
        state: &AppState,
        access: &crate::app::access::Access,
        item: ContentItem,
    ) -> ContentView {
        let (cited_cases, cited_by) = evidence_links(state, access, &item);
        ContentView {
            html: render_html(&item.body),
            url: format!("/content/{}", item.id),
            stale: item.is_stale(&crate::app::authoring::today()),
            cited_cases,
            cited_by,
            item,
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/content/{id}",
    params(("id" = String, Path, description = "Item id")),
    responses(
        (status = 200, description = "The item with its rendered HTML", body = ContentView),
        BadInput,
        Unauthenticated,
        NotFound,
    )
)]
pub async fn get_content(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<ItemId>,
) -> Result<web::Json<ContentView>, AppError> {
    let access = state.access(principal);
    let item = state.library.readable_item(&access, &id)?;
    Ok(web::Json(ContentView::new(&state, &access, item)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// One kind only (empty: every kind).
    #[param(pattern = "^(playbook|case|course|lesson)?$")]
    kind: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ListEntry {
    id: String,
    kind: Kind,
    title: String,
    tiers: Vec<String>,
    scenarios: Vec<String>,
    lang: crate::domain::Lang,
    url: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/content",
    params(ListQuery),
    responses(
        (status = 200, description = "Published items the viewer may read", body = Vec<ListEntry>),
        BadInput,
        Unauthenticated,
    )
)]
pub async fn list_content(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Vec<ListEntry>>, AppError> {
    let kind = match query.kind.as_deref() {
        None | Some("") => None,
        Some(value) => Some(Kind::parse(value).ok_or_else(|| {
            AppError::bad_request(
                code::INVALID_KIND,
                format!(
                    "kind: unknown kind {value:?} (expected one of {})",
                    Kind::EXPECTED
                ),
            )
        })?),
    };
    let access = state.access(principal);
    let entries = access
        .readable(state.library.list_published(kind)?)
        .map(|item| ListEntry {
            url: format!("/content/{}", item.id),
            id: item.id,
            kind: item.kind,
            title: item.title,
            tiers: item.tiers,
            scenarios: item.scenarios,
            lang: item.lang,
        })
        .collect();
    Ok(web::Json(entries))
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
    /// Id, title, language code and language name of each translation.
    pub translations: Vec<(String, String, &'static str, &'static str)>,
    pub work: WorkPanel,
    /// Attached files: name, link, size as shown.
    pub attachments: Vec<(String, String, String)>,
    /// A case's account as a link: its page and its name (the id when the account is unknown).
    pub account_link: Option<(String, String)>,
}

/// The headings under which a case review lists its moves (`domain::capture` writes them).
const MOVES_HEADINGS: [&str; 4] = ["有效的做法", "有效的招法", "Moves that worked", "Moves"];

/// A case's body without its list of moves when the page shows the moves itself (with their
/// best-practice marks), so they are listed once.
fn body_without_moves(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut skipping = false;
    for line in body.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            skipping = MOVES_HEADINGS.contains(&heading.trim());
        } else if line.starts_with("# ") {
            skipping = false;
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

impl ContentPage {
    /// The page of `item` as `access` may see it: badges, the course's lessons or a lesson's
    /// neighbours, translations, the work panel.
    fn new(
        state: &AppState,
        access: &Access,
        item: ContentItem,
        ctx: PageContext,
    ) -> Result<ContentPage, AppError> {
        let lang = ctx.lang;
        let library = &state.library;
        let taxonomy = library.taxonomy();
        let mut badges = tier_badges(&item, taxonomy, lang);
        badges.extend(scenario_badges(&item, taxonomy, lang));
        let (mut lessons, mut course, mut previous, mut next) = (Vec::new(), None, None, None);
        match item.kind {
            Kind::Course => {
                lessons = library
                    .in_language(access, library.lessons_of(&item.id)?, lang)
                    .iter()
                    .map(|l| item_link_in(l, taxonomy, lang))
                    .collect();
            }
            Kind::Lesson => {
                if let Some(course_id) = &item.course {
                    course = library
                        .published(course_id)
                        .ok()
                        .and_then(|c| library.in_language(access, vec![c], lang).pop())
                        .map(|c| item_link_in(&c, taxonomy, lang));
                    let siblings = library.lessons_of(course_id)?;
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
            .readable(library.translations_of(&item)?)
            .map(|t| {
                let ui = Ui::for_lang(lang);
                let name = match t.lang {
                    Lang::Zh => ui.lang_zh,
                    Lang::En => ui.lang_en,
                };
                (t.id, t.title, t.lang.as_str(), name)
            })
            .collect();
        let work = WorkPanel::new(state, access, &item)?;
        let account_link = item.account.as_ref().map(|id| {
            let name = state
                .accounts
                .account(id, |_| false)
                .map(|detail| detail.account.name.to_string())
                .unwrap_or_else(|_| id.clone());
            (
                format!("/accounts/{}", crate::web::page::path_segment(id)),
                name,
            )
        });
        let attachments = library
            .attachments_of_read_item(&item)?
            .into_iter()
            .map(|a| {
                let href = format!(
                    "/content/{}/attachments/{}",
                    crate::web::page::path_segment(&item.id),
                    crate::web::page::path_segment(&a.name)
                );
                (a.name, href, crate::extract::human_bytes(a.size))
            })
            .collect();
        Ok(ContentPage {
            work,
            attachments,
            ctx,
            kind_label: Ui::for_lang(lang).kind(item.kind),
            outcome_label: item
                .outcome
                .map(|o| Ui::for_lang(lang).outcome(o))
                .unwrap_or(""),
            badges,
            tags: item.tags.clone(),
            body_html: if item.kind == Kind::Case && !item.moves.is_empty() {
                render_html(&body_without_moves(&item.body))
            } else {
                render_html(&item.body)
            },
            account_link,
            item,
            lessons,
            course,
            previous,
            next,
            translations,
        })
    }
}

pub async fn show_content(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    id: web::Path<ItemId>,
) -> Result<HttpResponse, PageError> {
    let ctx = PageContext::for_request(&req, &state, lang);
    let access = state.access(principal);
    let item = state.library.readable_item(&access, &id).or_page(lang)?;
    crate::app::recent::record(
        &state.library,
        &access.principal.user,
        crate::store::recent::ViewedKind::Content,
        &item.id,
    );
    html(&ContentPage::new(&state, &access, item, ctx).or_page(lang)?).or_page(lang)
}
