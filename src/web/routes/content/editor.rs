//! The editor pages: a new item and editing one, with the live preview.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::domain::capture::FieldError;
use crate::domain::content::{ContentItem, Kind};
use crate::domain::ids::ItemId;
use crate::domain::policy::Principal;
use crate::domain::workflow::{Action, Version};
use crate::domain::{policy, Lang};
use crate::render::render_html;
use crate::web::blocking::blocking;
use crate::web::error::{AppError, OrPage, PageError};
use crate::web::guard::require;
use crate::web::page::{html, PageContext};
use crate::web::routes::content::{editable, to_item_done, Pick};
use crate::web::AppState;

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
        // The tiers the accounts are cut into now, and any other the item already names.
        let accounts = state.accounts.state();
        let offered = |t: &str| {
            accounts.tiers().iter().any(|d| d.id == t)
                || item.is_some_and(|i| i.tiers.iter().any(|x| x == t))
        };
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
                .into_iter()
                .filter(|t| offered(t))
                .map(|t| Pick {
                    value: t.to_owned(),
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
    /// Pre-checked tier and scenario (the coverage matrix links its gaps so).
    tier: Option<String>,
    scenario: Option<String>,
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
    for (picks, wanted) in [
        (&mut page.tiers, &query.tier),
        (&mut page.scenarios, &query.scenario),
    ] {
        for p in picks.iter_mut() {
            p.checked = wanted.as_deref() == Some(p.value.as_str());
        }
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
        return Err(require(
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
        Ok(version) => return Ok(to_item_done(&version.item.id, version.action.as_str())),
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

/// `GET /content/{id}/edit`.
pub async fn show_edit(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    id: web::Path<ItemId>,
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
    id: web::Path<ItemId>,
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
