//! Content routes (playbooks, cases, courses, lessons): what their files share — the item
//! reference and evidence links, the edit and workflow checks, the work panel of an item page.

pub mod courses;
pub mod editor;
pub mod files;
pub mod practices;
pub mod read;
pub mod versions;
pub mod workflow;
pub mod write;

use actix_web::http::header;
use actix_web::HttpResponse;
use serde::Serialize;

use crate::app::access::Access;
use crate::domain::capture::Evidence;
use crate::domain::content::{ContentItem, Kind, Status};
use crate::domain::ids::ItemId;
use crate::domain::policy;
use crate::domain::policy::{ContentFacts, Principal};
use crate::domain::workflow::{Action, Version};
use crate::web::error::AppError;
use crate::web::guard::require;
use crate::web::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct ItemRef {
    pub id: String,
    pub title: String,
    pub url: String,
}

impl ItemRef {
    pub fn of(item: &ContentItem) -> ItemRef {
        ItemRef {
            id: item.id.clone(),
            title: item.title.clone(),
            url: format!("/content/{}", item.id),
        }
    }
}

/// The evidence links of an item as `access` may see them: the cases a playbook cites, and
/// the published playbooks citing a case.
pub fn evidence_links(
    state: &AppState,
    access: &crate::app::access::Access,
    item: &ContentItem,
) -> (Vec<crate::domain::capture::Evidence>, Vec<ItemRef>) {
    let catalog = state.library.indexed_catalog();
    // Cited moves are shared knowledge: every reader sees them, with the case's title; only
    // those who may read the case get a link to it.
    let cited_cases =
        crate::domain::capture::evidence_of(item, |id| catalog.get(id), |c| access.can_read(c));
    let cited_by = if item.kind == Kind::Case {
        state
            .library
            .cited_by(&item.id)
            .iter()
            .map(ItemRef::of)
            .collect()
    } else {
        Vec::new()
    };
    (cited_cases, cited_by)
}

/// A change's answer: the version it made and the item's page.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Saved {
    pub id: String,
    pub version: u64,
    pub status: &'static str,
    pub url: String,
}

impl Saved {
    pub fn of(version: &Version) -> Saved {
        Saved {
            id: version.item.id.clone(),
            version: version.n,
            status: version.item.status.as_str(),
            url: format!("/content/{}", version.item.id),
        }
    }
}

/// Who may take a workflow step on `item`.
pub fn require_step(p: &Principal, item: &ContentItem, action: Action) -> Result<(), AppError> {
    let facts = ContentFacts::of(item);
    match action {
        Action::Approved | Action::SentBack => require(
            policy::can_approve(p),
            p,
            "approving or sending back",
            "managers and admins",
        ),
        Action::Archived => require(
            policy::can_archive(p, facts),
            p,
            "archiving this item",
            "its owner, managers and admins",
        ),
        _ => {
            if policy::can_edit_content(p, facts) {
                Ok(())
            } else {
                Err(forbidden_to_write(p, item.kind))
            }
        }
    }
}

/// The record of `id` if `p` may see its history: whoever may edit it, or approve.
pub fn require_history(state: &AppState, p: &Principal, id: &ItemId) -> Result<(), AppError> {
    let access = state.access(p.clone());
    state.library.readable_item(&access, id)?;
    let record = state.library.record(id)?;
    require(
        policy::can_edit_content(p, ContentFacts::of(&record.item)) || policy::can_approve(p),
        p,
        "the history of this item",
        "those who may edit it, managers and admins",
    )
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct QueueEntry {
    pub id: String,
    pub kind: Kind,
    pub title: String,
    pub status: &'static str,
    pub owner: Option<String>,
    pub updated_at: String,
    pub review_by: Option<String>,
    pub stale: bool,
    pub url: String,
}

impl QueueEntry {
    pub fn of(record: &crate::store::ContentRecord, today: &str) -> QueueEntry {
        let item = &record.item;
        QueueEntry {
            id: item.id.clone(),
            kind: item.kind,
            title: item.title.clone(),
            status: item.status.as_str(),
            owner: item.owner.clone(),
            updated_at: record.updated_at.clone(),
            review_by: item.review_by.clone(),
            stale: item.is_stale(today),
            url: format!("/content/{}", item.id),
        }
    }
}

/// Who sent `item` back and their note (empty without one), when it is a draft whose last
/// step was a send-back (saves since then keep it sent back; a new submission ends it).
pub fn last_send_back(
    state: &AppState,
    item: &ContentItem,
) -> Result<Option<(String, String)>, AppError> {
    Ok(state.library.last_send_back(item)?)
}

/// A move of a case as its page shows it.
pub struct MoveView {
    pub n: usize,
    pub text: String,
    pub best: bool,
}

/// What a content page shows about writing and publishing the item, and what the viewer may do.
pub struct WorkPanel {
    pub status: &'static str,
    pub stale: bool,
    /// The viewer sees a working copy while readers see an older published version.
    pub unpublished_changes: bool,
    pub can_edit: bool,
    pub can_submit: bool,
    pub can_approve: bool,
    pub can_archive: bool,
    pub can_history: bool,
    /// Who sent the item back and their note (empty when none was given), while it is a
    /// draft that was not submitted again since.
    pub sent_back: Option<(String, String)>,
    pub evidence: Vec<Evidence>,
    pub cited_by: Vec<ItemRef>,
    pub moves: Vec<MoveView>,
    pub can_mark: bool,
    /// Lessons: whether the viewer marked it done (`None`: not a published lesson).
    pub lesson_done: Option<bool>,
    /// Campaigns: their courses.
    pub courses: Vec<ItemRef>,
}

impl WorkPanel {
    pub fn new(
        state: &AppState,
        access: &Access,
        item: &ContentItem,
    ) -> Result<WorkPanel, AppError> {
        let p = &access.principal;
        let record = state.library.record(&item.id)?;
        let facts = ContentFacts::of(&record.item);
        let viewing_working_copy = record.item == *item;
        let can_edit = viewing_working_copy && policy::can_edit_content(p, facts);
        let catalog = state.library.indexed_catalog();
        let sent_back = if can_edit {
            last_send_back(state, item)?
        } else {
            None
        };
        let (evidence, cited_by) = evidence_links(state, access, item);
        let done = if item.kind == Kind::Lesson && item.is_published() {
            Some(state.library.lessons_done(&p.user)?.contains(&item.id))
        } else {
            None
        };
        Ok(WorkPanel {
            status: item.status.as_str(),
            stale: item.is_stale(&crate::app::authoring::today()),
            unpublished_changes: viewing_working_copy && record.live.is_some(),
            can_edit,
            can_submit: can_edit && item.status == Status::Draft,
            can_approve: viewing_working_copy
                && policy::can_approve(p)
                && matches!(item.status, Status::Draft | Status::InReview),
            can_archive: viewing_working_copy
                && policy::can_archive(p, facts)
                && item.status != Status::Archived,
            can_history: policy::can_edit_content(p, facts) || policy::can_approve(p),
            sent_back,
            evidence,
            cited_by,
            moves: item
                .moves
                .iter()
                .enumerate()
                .map(|(i, m)| MoveView {
                    n: i + 1,
                    text: m.text.clone(),
                    best: m.best,
                })
                .collect(),
            can_mark: policy::can_review_cases(p) && item.kind == Kind::Case,
            lesson_done: done,
            courses: item
                .courses
                .iter()
                .filter_map(|id| catalog.get(id))
                .map(ItemRef::of)
                .collect(),
        })
    }
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}

/// Back to an item's page (ids may be Chinese: the header carries them percent-encoded).
pub fn to_item(id: &str) -> HttpResponse {
    see_other(&format!("/content/{}", crate::web::page::path_segment(id)))
}

/// Back to an item's page with the message of what was just done (`?done=…`, shown by
/// `PageContext::flash`).
pub fn to_item_done(id: &str, done: &str) -> HttpResponse {
    see_other(&format!(
        "/content/{}?done={done}",
        crate::web::page::path_segment(id)
    ))
}

/// A choice in a picker (checkbox or option).
pub struct Pick {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// The item `principal` may edit, with its version number; 404 or 403 otherwise.
pub fn editable(
    state: &AppState,
    principal: &Principal,
    id: &ItemId,
) -> Result<(ContentItem, u64), AppError> {
    let access = state.access(principal.clone());
    state.library.readable_item(&access, id)?;
    let mut record = state.library.record(id)?;
    require(
        policy::can_edit_content(principal, ContentFacts::of(&record.item)),
        principal,
        "editing this item",
        "its owner, trainers (playbooks, courses, lessons, campaigns), managers and admins",
    )?;
    // The form shows only the evidence the editor may see; the save keeps the rest.
    state
        .library
        .hide_unshared_evidence(&mut record.item, &access);
    Ok((record.item, record.version))
}

pub fn forbidden_to_write(p: &Principal, kind: Kind) -> AppError {
    let who = match kind {
        Kind::Case => "everyone signed in (their own cases), managers and admins",
        _ => "trainers, managers and admins",
    };
    let what = format!("writing a {}", kind.as_str());
    require(false, p, &what, who).unwrap_err()
}
