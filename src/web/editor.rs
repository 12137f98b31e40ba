//! Pages for writing and publishing: the workflow panel of a content page, the editor with its
//! live preview, history, versions and diffs, the review queue and "my content", best
//! practices, case reviews on the account page, "my courses" and course completion.
//! Thin like every handler: the policy decides, `crate::app::authoring` does the work.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::app::access::Access;
use crate::domain::capture::{CaseReviewForm, Evidence, FieldError, Practice};
use crate::domain::content::{to_markdown, ContentItem, Kind, Status};
use crate::domain::enablement::{Completion, MyCourse};
use crate::domain::policy::{self, ContentFacts, Principal};
use crate::domain::workflow::{Action, DiffLine, Version};
use crate::domain::Lang;
use crate::render::render_html;
use crate::store::VersionSummary;
use crate::web::api::ItemRef;
use crate::web::blocking::blocking;
use crate::web::content_api::{self, QueueEntry};
use crate::web::error::{AppError, OrPage, PageError};
use crate::web::page::{html, PageContext};
use crate::web::AppState;

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
    /// The comment of the last send-back, while the item is a draft.
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
        let sent_back = if item.status == Status::Draft && can_edit {
            state
                .library
                .versions(&item.id)?
                .into_iter()
                .take_while(|v| v.action != Action::Submitted)
                .find(|v| v.action == Action::SentBack)
                .and_then(|v| v.comment.map(|c| (v.by, c)))
        } else {
            None
        };
        let (evidence, cited_by) = crate::web::api::evidence_links(state, access, item);
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
fn to_item(id: &str) -> HttpResponse {
    see_other(&format!("/content/{}", crate::web::page::path_segment(id)))
}

/// A choice in a picker (checkbox or option).
pub struct Pick {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// The editor: front-matter fields as form fields, the Markdown body, a live preview.
#[derive(Template)]
#[template(path = "editor.html")]
pub struct EditorPage {
    pub ctx: PageContext,
    /// `None` for a new item.
    pub id: Option<String>,
    pub base: u64,
    pub kind: String,
    pub kinds: Vec<Pick>,
    pub title: String,
    pub summary: String,
    pub tiers: Vec<Pick>,
    pub scenarios: Vec<Pick>,
    /// The library's most used tags, as a picker; `tags` holds the others.
    pub tag_picks: Vec<Pick>,
    pub tags: String,
    pub lang: String,
    pub account: String,
    pub outcome: String,
    pub course: String,
    pub order: String,
    pub audience: String,
    pub review_by: String,
    pub moves: String,
    pub evidence: String,
    pub courses: String,
    pub regions: String,
    pub starts: String,
    pub ends: String,
    pub body: String,
    pub preview: Option<String>,
    /// Problems by field ("" for the whole item).
    pub errors: Vec<FieldError>,
}

impl EditorPage {
    pub fn error(&self, field: &str) -> String {
        self.errors
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn other_errors(&self) -> Vec<&FieldError> {
        const SHOWN: [&str; 19] = [
            "kind",
            "title",
            "summary",
            "tiers",
            "scenarios",
            "tags",
            "lang",
            "account",
            "outcome",
            "course",
            "order",
            "audience",
            "review_by",
            "moves",
            "evidence",
            "courses",
            "regions",
            "starts",
            "ends",
        ];
        self.errors
            .iter()
            .filter(|e| !SHOWN.contains(&e.field.as_str()))
            .collect()
    }

    fn new(
        ctx: PageContext,
        state: &AppState,
        item: Option<&ContentItem>,
        base: u64,
    ) -> EditorPage {
        let lang = ctx.lang;
        let taxonomy = state.library.taxonomy();
        let join = |v: &[String]| v.join(", ");
        let kind = item.map_or("playbook", |i| i.kind.as_str()).to_owned();
        EditorPage {
            id: item.map(|i| i.id.clone()),
            base,
            kinds: Kind::ALL
                .iter()
                .map(|k| Pick {
                    value: k.as_str().into(),
                    label: crate::web::i18n::Ui::for_lang(lang).kind(*k).into(),
                    checked: k.as_str() == kind,
                })
                .collect(),
            kind,
            title: item.map(|i| i.title.clone()).unwrap_or_default(),
            summary: item.and_then(|i| i.summary.clone()).unwrap_or_default(),
            tiers: taxonomy
                .all_tier_ids()
                .iter()
                .map(|t| Pick {
                    value: (*t).to_owned(),
                    label: taxonomy.tier_label(t, lang).to_owned(),
                    checked: item.is_some_and(|i| i.tiers.iter().any(|x| x == t)),
                })
                .collect(),
            scenarios: taxonomy
                .scenario_ids()
                .iter()
                .map(|s| Pick {
                    value: (*s).to_owned(),
                    label: taxonomy.scenario_label(s, lang).to_owned(),
                    checked: item.is_some_and(|i| i.scenarios.iter().any(|x| x == s)),
                })
                .collect(),
            tag_picks: Vec::new(),
            tags: item.map(|i| join(&i.tags)).unwrap_or_default(),
            lang: item.map_or(lang, |i| i.lang).as_str().to_owned(),
            account: item.and_then(|i| i.account.clone()).unwrap_or_default(),
            outcome: item
                .and_then(|i| i.outcome)
                .map(|o| o.as_str().to_owned())
                .unwrap_or_default(),
            course: item.and_then(|i| i.course.clone()).unwrap_or_default(),
            order: item
                .and_then(|i| i.order)
                .map(|o| o.to_string())
                .unwrap_or_default(),
            audience: item.map(|i| join(&i.audience)).unwrap_or_default(),
            review_by: item.and_then(|i| i.review_by.clone()).unwrap_or_default(),
            moves: item
                .map(|i| {
                    i.moves
                        .iter()
                        .map(|m| {
                            if m.best {
                                format!("{} [best]", m.text)
                            } else {
                                m.text.clone()
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default(),
            evidence: item.map(|i| join(&i.evidence)).unwrap_or_default(),
            courses: item.map(|i| join(&i.courses)).unwrap_or_default(),
            regions: item.map(|i| join(&i.regions)).unwrap_or_default(),
            starts: item.and_then(|i| i.starts.clone()).unwrap_or_default(),
            ends: item.and_then(|i| i.ends.clone()).unwrap_or_default(),
            body: item.map(|i| i.body.clone()).unwrap_or_default(),
            preview: None,
            errors: Vec::new(),
            ctx,
        }
        .with_tag_picks(state)
    }

    /// Moves the item's tags that are among the library's most used into checkboxes.
    fn with_tag_picks(mut self, state: &AppState) -> EditorPage {
        let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        let catalog = state.library.catalog();
        for item in catalog.iter() {
            for tag in &item.tags {
                *counts.entry(tag.as_str()).or_default() += 1;
            }
        }
        let mut common: Vec<(&str, usize)> = counts.into_iter().collect();
        common.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let own: Vec<String> = self
            .tags
            .split(", ")
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        self.tag_picks = common
            .into_iter()
            .take(24)
            .map(|(tag, _)| Pick {
                value: tag.to_owned(),
                label: tag.to_owned(),
                checked: own.iter().any(|t| t == tag),
            })
            .collect();
        self.tags = own
            .into_iter()
            .filter(|t| !self.tag_picks.iter().any(|p| &p.value == t))
            .collect::<Vec<_>>()
            .join(", ");
        self
    }

    /// Takes the submitted form back into the page (after a failed save or a preview).
    fn refill(&mut self, form: &EditorForm) {
        let picks = |picks: &mut Vec<Pick>, chosen: &[String]| {
            for p in picks.iter_mut() {
                p.checked = chosen.contains(&p.value);
            }
        };
        picks(&mut self.tiers, &form.tiers);
        picks(&mut self.scenarios, &form.scenarios);
        picks(&mut self.tag_picks, &form.tag_picks);
        let get = |name: &str| form.get(name).to_owned();
        if self.id.is_none() {
            self.kind = get("kind");
            for k in self.kinds.iter_mut() {
                k.checked = k.value == self.kind;
            }
        }
        self.title = get("title");
        self.summary = get("summary");
        self.tags = get("tags");
        self.lang = get("lang");
        self.account = get("account");
        self.outcome = get("outcome");
        self.course = get("course");
        self.order = get("order");
        self.audience = get("audience");
        self.review_by = get("review_by");
        self.moves = get("moves");
        self.evidence = get("evidence");
        self.courses = get("courses");
        self.regions = get("regions");
        self.starts = get("starts");
        self.ends = get("ends");
        self.body = get("body");
    }
}

/// The editor form as submitted: repeated checkbox fields (`tiers`, `scenarios`) and the rest.
pub struct EditorForm {
    fields: Vec<(String, String)>,
    tiers: Vec<String>,
    scenarios: Vec<String>,
    tag_picks: Vec<String>,
}

impl EditorForm {
    fn parse(body: &[u8]) -> EditorForm {
        let mut form = EditorForm {
            fields: Vec::new(),
            tiers: Vec::new(),
            scenarios: Vec::new(),
            tag_picks: Vec::new(),
        };
        for (key, value) in form_urlencoded::parse(body) {
            match key.as_ref() {
                "tiers" => form.tiers.push(value.into_owned()),
                "scenarios" => form.scenarios.push(value.into_owned()),
                "tag_pick" => form.tag_picks.push(value.into_owned()),
                _ => form.fields.push((key.into_owned(), value.into_owned())),
            }
        }
        form
    }

    fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .split([',', '，', '、'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The item as Markdown with front matter, for the same validation as a file. `kind` and
    /// `id` come from the stored item when editing.
    fn markdown(&self, kind: &str, owner: Option<&str>) -> String {
        let mut front = serde_yaml_ng::Mapping::new();
        let mut put = |key: &str, value: serde_yaml_ng::Value| {
            front.insert(key.into(), value);
        };
        let text = |v: &str| serde_yaml_ng::Value::String(v.trim().to_owned());
        let list = |v: Vec<String>| {
            serde_yaml_ng::Value::Sequence(
                v.into_iter().map(serde_yaml_ng::Value::String).collect(),
            )
        };
        put("kind", text(kind));
        put("title", text(self.get("title")));
        for name in [
            "summary",
            "lang",
            "account",
            "outcome",
            "course",
            "review_by",
            "starts",
            "ends",
        ] {
            if !self.get(name).trim().is_empty() {
                put(name, text(self.get(name)));
            }
        }
        if let Ok(order) = self.get("order").trim().parse::<u64>() {
            put("order", serde_yaml_ng::Value::Number(order.into()));
        } else if !self.get("order").trim().is_empty() {
            put("order", text(self.get("order")));
        }
        for (name, values) in [
            ("tiers", self.tiers.clone()),
            ("scenarios", self.scenarios.clone()),
            ("tags", {
                let mut tags = self.tag_picks.clone();
                tags.extend(self.list("tags"));
                tags
            }),
            ("audience", self.list("audience")),
            ("evidence", self.list("evidence")),
            ("courses", self.list("courses")),
            ("regions", self.list("regions")),
        ] {
            if !values.is_empty() {
                put(name, list(values));
            }
        }
        let moves: Vec<serde_yaml_ng::Value> = self
            .get("moves")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|line| {
                let (text_part, best) = match line.strip_suffix("[best]") {
                    Some(rest) => (rest.trim(), true),
                    None => (line, false),
                };
                let mut m = serde_yaml_ng::Mapping::new();
                m.insert("text".into(), text_part.into());
                m.insert("best".into(), best.into());
                serde_yaml_ng::Value::Mapping(m)
            })
            .collect();
        if !moves.is_empty() {
            put("moves", serde_yaml_ng::Value::Sequence(moves));
        }
        if let Some(owner) = owner {
            put("owner", text(owner));
        }
        // A whole file pasted into the body (Typora, git): its front matter fills the fields
        // the form left empty, and the rest is the body.
        let pasted = self.get("body").replace("\r\n", "\n");
        let mut body = pasted.as_str();
        if let Some((yaml, rest, _)) = crate::domain::content::split_front_matter(&pasted) {
            if let Ok(serde_yaml_ng::Value::Mapping(fields)) =
                serde_yaml_ng::from_str::<serde_yaml_ng::Value>(yaml)
            {
                for (key, value) in fields {
                    let empty = match front.get(&key) {
                        None => true,
                        Some(serde_yaml_ng::Value::String(s)) => s.is_empty(),
                        Some(_) => false,
                    };
                    if empty && key.as_str() != Some("id") {
                        front.insert(key, value);
                    }
                }
                body = rest.trim_start_matches('\n');
            }
        }
        let yaml = serde_yaml_ng::to_string(&front).unwrap_or_default();
        format!("---\n{yaml}---\n{body}")
    }
}

#[derive(Deserialize)]
pub struct NewQuery {
    kind: Option<String>,
}

/// `GET /new?kind=`: an empty editor.
pub async fn show_new(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, PageError> {
    let ctx = PageContext::for_request(&req, &state, lang);
    let mut page = EditorPage::new(ctx, &state, None, 0);
    let wanted = query
        .kind
        .as_deref()
        .and_then(Kind::parse)
        .unwrap_or(Kind::Playbook);
    let kind = if policy::can_write_content(&principal, wanted) {
        wanted
    } else {
        Kind::Case
    };
    page.kind = kind.as_str().to_owned();
    page.kinds.retain(|k| {
        Kind::parse(&k.value).is_some_and(|k| policy::can_write_content(&principal, k))
    });
    for k in page.kinds.iter_mut() {
        k.checked = k.value == page.kind;
    }
    html(&page).or_page(lang)
}

/// `POST /new`: create (or preview) from the editor form.
pub async fn submit_new(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let form = EditorForm::parse(&body);
    let ctx = PageContext::for_request(&req, &state, lang);
    let kind = Kind::parse(form.get("kind")).unwrap_or(Kind::Playbook);
    if !policy::can_write_content(&principal, kind) {
        return Err(crate::web::auth::require(
            false,
            &principal,
            "writing this kind of item",
            "trainers, managers and admins",
        )
        .unwrap_err())
        .or_page(lang);
    }
    let text = form.markdown(kind.as_str(), None);
    let mut page = EditorPage::new(ctx, &state, None, 0);
    page.refill(&form);
    if form.get("do") == "preview" {
        page.preview = Some(render_html(form.get("body")));
        return html(&page).or_page(lang);
    }
    let library = state.library.clone();
    let access = state.access(principal);
    let submit = form.get("do") == "submit";
    let result = blocking(move || {
        let version = library.create_item(&text, &access)?;
        if submit {
            let by = &access.principal.user;
            library.workflow_step(&version.item.id, Action::Submitted, by, None)
        } else {
            Ok(version)
        }
    })
    .await;
    after_save(result, page)
}

/// The answer to a save from the editor: the item's page, or the editor again (400) with the
/// problems next to their fields and the input kept.
fn after_save(
    result: Result<Version, AppError>,
    mut page: EditorPage,
) -> Result<HttpResponse, PageError> {
    let lang = page.ctx.lang;
    page.errors = match result {
        Ok(version) => return Ok(to_item(&version.item.id)),
        Err(AppError::Rejected(errors)) => errors,
        Err(AppError::Conflict { message, .. }) => vec![FieldError {
            field: String::new(),
            message,
        }],
        Err(e) => return Err(e).or_page(lang),
    };
    let mut response = html(&page).or_page(lang)?;
    *response.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
    Ok(response)
}

/// The item `principal` may edit, with its version number; 404 or 403 otherwise.
fn editable(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<(ContentItem, u64), AppError> {
    let access = state.access(principal.clone());
    state.library.readable_item(&access, id)?;
    let mut record = state.library.record(id)?;
    crate::web::auth::require(
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

/// `GET /content/{id}/edit`.
pub async fn show_edit(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let (item, version) = editable(&state, &principal, &id).or_page(lang)?;
    let ctx = PageContext::for_request(&req, &state, lang);
    let mut page = EditorPage::new(ctx, &state, Some(&item), version);
    page.kinds.retain(|k| k.checked);
    html(&page).or_page(lang)
}

/// `POST /content/{id}/edit`: save (or preview, or save and submit).
pub async fn submit_edit(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let (item, version) = editable(&state, &principal, &id).or_page(lang)?;
    let form = EditorForm::parse(&body);
    let base = form.get("base").parse::<u64>().unwrap_or(version);
    let ctx = PageContext::for_request(&req, &state, lang);
    let mut page = EditorPage::new(ctx, &state, Some(&item), base);
    page.kinds.retain(|k| k.checked);
    page.refill(&form);
    if form.get("do") == "preview" {
        page.preview = Some(render_html(form.get("body")));
        return html(&page).or_page(lang);
    }
    let text = form.markdown(item.kind.as_str(), item.owner.as_deref());
    let library = state.library.clone();
    let access = state.access(principal);
    let submit = form.get("do") == "submit";
    let id = id.into_inner();
    let result = blocking(move || {
        let version = library.save_item(&id, &text, base, &access, None)?;
        if submit {
            let by = &access.principal.user;
            library.workflow_step(&id, Action::Submitted, by, None)
        } else {
            Ok(version)
        }
    })
    .await;
    after_save(result, page)
}

#[derive(Deserialize)]
pub struct WorkflowForm {
    action: String,
    #[serde(default)]
    comment: String,
    #[serde(default, rename = "csrf")]
    _csrf: String,
}

/// `POST /content/{id}/workflow`: submit, approve, send back (with a comment) or archive.
pub async fn submit_workflow(
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    id: web::Path<String>,
    form: web::Form<WorkflowForm>,
) -> Result<HttpResponse, PageError> {
    let action = match form.action.as_str() {
        "submit" => Action::Submitted,
        "approve" => Action::Approved,
        "send_back" => Action::SentBack,
        "archive" => Action::Archived,
        other => {
            return Err(AppError::bad_request(
                "invalid_action",
                format!(
                "action: unknown action {other:?} (expected submit, approve, send_back or archive)"
            ),
            ))
            .or_page(lang)
        }
    };
    let access = state.access(principal.clone());
    state.library.readable_item(&access, &id).or_page(lang)?;
    let record = state.library.record(&id).or_page(lang)?;
    content_api::require_step(&principal, &record.item, action).or_page(lang)?;
    let comment = Some(form.comment.trim().to_owned()).filter(|c| !c.is_empty());
    let library = state.library.clone();
    let item_id = id.clone();
    blocking(move || library.workflow_step(&item_id, action, &principal.user, comment))
        .await
        .or_page(lang)?;
    Ok(to_item(&id))
}

#[derive(Template)]
#[template(path = "history.html")]
pub struct HistoryPage {
    pub ctx: PageContext,
    pub id: String,
    pub title: String,
    pub versions: Vec<VersionSummary>,
    pub can_restore: bool,
}

/// `GET /content/{id}/history`.
pub async fn show_history(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    content_api::require_history(&state, &principal, &id).or_page(lang)?;
    let record = state.library.record(&id).or_page(lang)?;
    html(&HistoryPage {
        ctx: PageContext::for_request(&req, &state, lang),
        title: record.item.title.clone(),
        can_restore: policy::can_edit_content(&principal, ContentFacts::of(&record.item)),
        versions: state.library.versions(&id).or_page(lang)?,
        id: id.into_inner(),
    })
    .or_page(lang)
}

#[derive(Template)]
#[template(path = "version.html")]
pub struct VersionPage {
    pub ctx: PageContext,
    pub id: String,
    pub version: Version,
    pub markdown: String,
    pub html: String,
    pub diff: Option<(u64, u64, Vec<DiffLine>)>,
}

/// `GET /content/{id}/versions/{n}`: one version, rendered and as Markdown.
pub async fn show_version(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    path: web::Path<(String, u64)>,
) -> Result<HttpResponse, PageError> {
    let (id, n) = path.into_inner();
    content_api::require_history(&state, &principal, &id).or_page(lang)?;
    let version = state
        .library
        .version_as_seen(&id, n, &state.access(principal))
        .or_page(lang)?;
    html(&VersionPage {
        ctx: PageContext::for_request(&req, &state, lang),
        markdown: to_markdown(&version.item),
        html: render_html(&version.item.body),
        diff: None,
        version,
        id,
    })
    .or_page(lang)
}

/// `GET /content/{id}/diff?from=&to=`.
pub async fn show_diff(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    id: web::Path<String>,
    query: web::Query<content_api::DiffQuery>,
) -> Result<HttpResponse, PageError> {
    content_api::require_history(&state, &principal, &id).or_page(lang)?;
    let reader = state.access(principal);
    let diff = state
        .library
        .diff(&id, query.from, query.to, &reader)
        .or_page(lang)?;
    let version = state
        .library
        .version_as_seen(&id, query.to, &reader)
        .or_page(lang)?;
    html(&VersionPage {
        ctx: PageContext::for_request(&req, &state, lang),
        markdown: String::new(),
        html: String::new(),
        diff: Some((query.from, query.to, diff)),
        version,
        id: id.into_inner(),
    })
    .or_page(lang)
}

/// `POST /content/{id}/versions/{n}/restore`.
pub async fn submit_restore(
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    path: web::Path<(String, u64)>,
) -> Result<HttpResponse, PageError> {
    let (id, n) = path.into_inner();
    editable(&state, &principal, &id).or_page(lang)?;
    let library = state.library.clone();
    let item_id = id.clone();
    blocking(move || library.restore_version(&item_id, n, &principal.user))
        .await
        .or_page(lang)?;
    Ok(to_item(&id))
}

#[derive(Template)]
#[template(path = "worklist.html")]
pub struct WorklistPage {
    pub ctx: PageContext,
    pub heading: &'static str,
    pub entries: Vec<QueueEntry>,
    pub empty: &'static str,
}

/// `GET /review`: the approvers' queue.
pub async fn show_review_queue(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
) -> Result<HttpResponse, PageError> {
    crate::web::auth::require(
        policy::can_approve(&principal),
        &principal,
        "the review queue",
        "managers and admins",
    )
    .or_page(lang)?;
    let ctx = PageContext::for_request(&req, &state, lang);
    let today = crate::app::authoring::today();
    let entries = state
        .library
        .review_queue()
        .or_page(lang)?
        .iter()
        .map(|r| QueueEntry::of(r, &today))
        .collect();
    html(&WorklistPage {
        heading: ctx.t("待审核", "Waiting for review"),
        empty: ctx.t("没有待审核的内容。", "Nothing is waiting for review."),
        ctx,
        entries,
    })
    .or_page(lang)
}

/// `GET /my/content`: the viewer's items, stale ones first.
pub async fn show_my_content(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
) -> Result<HttpResponse, PageError> {
    let ctx = PageContext::for_request(&req, &state, lang);
    let today = crate::app::authoring::today();
    let mut entries: Vec<QueueEntry> = state
        .library
        .owned_by(Some(&principal.user))
        .or_page(lang)?
        .iter()
        .map(|r| QueueEntry::of(r, &today))
        .collect();
    entries.sort_by_key(|e| !e.stale);
    html(&WorklistPage {
        heading: ctx.t("我的内容", "My content"),
        empty: ctx.t("你还没有写过内容。", "You have not written anything yet."),
        ctx,
        entries,
    })
    .or_page(lang)
}

#[derive(Template)]
#[template(path = "practices.html")]
pub struct PracticesPage {
    pub ctx: PageContext,
    pub tier: String,
    pub scenario: String,
    pub tiers: Vec<Pick>,
    pub scenarios: Vec<Pick>,
    pub practices: Vec<Practice>,
}

/// `GET /practices?tier=&scenario=`: best practices to cite.
pub async fn show_practices(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    query: web::Query<content_api::PracticeQuery>,
) -> Result<HttpResponse, PageError> {
    let taxonomy = state.library.taxonomy();
    let tier = query.tier.clone().unwrap_or_default();
    let scenario = query.scenario.clone().unwrap_or_default();
    let practices = content_api::readable_practices(
        &state,
        &principal,
        Some(tier.as_str()).filter(|t| !t.is_empty()),
        Some(scenario.as_str()).filter(|s| !s.is_empty()),
    );
    html(&PracticesPage {
        ctx: PageContext::for_request(&req, &state, lang),
        tiers: taxonomy
            .all_tier_ids()
            .iter()
            .map(|t| Pick {
                value: (*t).to_owned(),
                label: taxonomy.tier_label(t, lang).to_owned(),
                checked: *t == tier,
            })
            .collect(),
        scenarios: taxonomy
            .scenario_ids()
            .iter()
            .map(|s| Pick {
                value: (*s).to_owned(),
                label: taxonomy.scenario_label(s, lang).to_owned(),
                checked: *s == scenario,
            })
            .collect(),
        tier,
        scenario,
        practices,
    })
    .or_page(lang)
}

#[derive(Deserialize)]
pub struct MoveForm {
    best: String,
    #[serde(default, rename = "csrf")]
    _csrf: String,
}

/// `POST /content/{id}/moves/{n}`: mark or unmark a best practice.
pub async fn submit_move(
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    path: web::Path<(String, usize)>,
    form: web::Form<MoveForm>,
) -> Result<HttpResponse, PageError> {
    let (id, n) = path.into_inner();
    content_api::mark_best(&state, &principal, &id, n, form.best == "1")
        .await
        .or_page(lang)?;
    Ok(to_item(&id))
}

/// `POST /accounts/{id}/reviews`: the case-review form of the account page.
pub async fn submit_case_review(
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    id: web::Path<String>,
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
    let version = content_api::attach_review(&state, &principal, &id, form)
        .await
        .or_page(lang)?;
    Ok(to_item(&version.item.id))
}

#[derive(Template)]
#[template(path = "courses.html")]
pub struct CoursesPage {
    pub ctx: PageContext,
    pub courses: Vec<MyCourse>,
}

/// `GET /my/courses`.
pub async fn show_my_courses(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
) -> Result<HttpResponse, PageError> {
    html(&CoursesPage {
        ctx: PageContext::for_request(&req, &state, lang),
        courses: content_api::learner_courses(&state, &principal).or_page(lang)?,
    })
    .or_page(lang)
}

#[derive(Deserialize)]
pub struct DoneForm {
    done: String,
    #[serde(default, rename = "csrf")]
    _csrf: String,
}

/// `POST /lessons/{id}/done`.
pub async fn submit_lesson_done(
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    id: web::Path<String>,
    form: web::Form<DoneForm>,
) -> Result<HttpResponse, PageError> {
    let library = state.library.clone();
    let (lesson, done) = (id.clone(), form.done == "1");
    blocking(move || library.set_lesson_done(&principal.user, &lesson, done))
        .await
        .or_page(lang)?;
    Ok(to_item(&id))
}

#[derive(Template)]
#[template(path = "completion.html")]
pub struct CompletionPage {
    pub ctx: PageContext,
    pub title: String,
    pub completion: Completion,
}

/// `GET /courses/{id}/completion`.
pub async fn show_completion(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    crate::web::auth::require(
        policy::can_see_course_completion(&principal),
        &principal,
        "course completion",
        "trainers, managers and admins",
    )
    .or_page(lang)?;
    let course = state.library.published(&id).or_page(lang)?;
    html(&CompletionPage {
        ctx: PageContext::for_request(&req, &state, lang),
        title: course.title,
        completion: state.library.completion(&id).or_page(lang)?,
    })
    .or_page(lang)
}
