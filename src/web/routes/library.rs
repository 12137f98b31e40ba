//! The library page: every published item the viewer may read, grouped as a reader looks
//! for it (tier treatments, scenario playbooks, guides, courses, cases).

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::app::access::Access;
use crate::domain::content::{ContentItem, Kind};
use crate::domain::policy::Principal;
use crate::domain::Lang;
use crate::web::error::{AppError, OrPage, PageError};
use crate::web::page::{html, PageContext};
use crate::web::view::{item_link_in, ItemLink};
use crate::web::AppState;

/// A titled list of items of the library page.
pub struct Section {
    pub title: &'static str,
    pub anchor: &'static str,
    pub items: Vec<ItemLink>,
}

#[derive(Template)]
#[template(path = "library.html")]
pub struct LibraryPage {
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

/// The library grouped as a reader looks for it, in the viewer's language first.
impl LibraryPage {
    /// The published library as `access` may read it, in sections, the viewer's language first.
    fn new(state: &AppState, access: &Access, ctx: PageContext) -> Result<LibraryPage, AppError> {
        let lang = ctx.lang;
        let taxonomy = state.library.taxonomy();
        let mut items: Vec<ContentItem> = access
            .readable(state.library.list_published(None)?)
            .collect();
        // The viewer's language first; the other language's items follow.
        items.sort_by_key(|item| item.lang != lang);
        // Each item and its translations once, in the viewer's language when there is one.
        let items = state.library.in_language(access, items, lang);
        let total = items.len();
        let ui = ctx.ui;
        let pick = |predicate: &dyn Fn(&ContentItem) -> bool| -> Vec<ItemLink> {
            items
                .iter()
                .filter(|entry| predicate(&entry.item))
                .map(|entry| item_link_in(entry, taxonomy, lang))
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
        Ok(LibraryPage {
            ctx,
            sections,
            total,
        })
    }
}

/// `GET /library`.
pub async fn show_library(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
) -> Result<HttpResponse, PageError> {
    let ctx = PageContext::for_request(&req, &state, lang);
    let access = state.access(principal);
    html(&LibraryPage::new(&state, &access, ctx).or_page(lang)?).or_page(lang)
}
