//! The home page — one per role: a rep's "today" (accounts needing action, lookup, courses to
//! continue, recently viewed), a trainer's desk (feedback, coverage gaps, search misses, stale
//! items), a manager's overview (the team's alerts by rep, the review queue, tier changes, the
//! Pareto summary, coverage), an admin's console (users, backups, content problems, health) —
//! with `GET /api/v1/today`, the same list of accounts as JSON; and the language switch.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::app::recent::RecentLink;
use crate::app::today::{OwnerToday, Scope, TodayList};
use crate::domain::enablement::MyCourse;
use crate::domain::policy::{self, Principal, Role};
use crate::domain::Lang;
use crate::store::recent::ViewedKind;
use crate::web::error::responses::{BadInput, Forbidden, Unauthenticated};
use crate::web::error::{AppError, OrPage, PageError};
use crate::web::guard::require;
use crate::web::i18n::LANG_COOKIE;
use crate::web::page::{html, path_segment, PageContext};
use crate::web::AppState;

/// Accounts the rep's list shows before "show all".
const MINE_SHOWN: usize = 10;
/// Accounts `/today` lists.
const ALL_SHOWN: usize = 1_000;
/// Accounts shown per rep in the team view.
const PER_OWNER: usize = 3;
/// Entries of the smaller lists (feedback, gaps, misses, queue, changes).
const SHORT_LIST: usize = 6;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TodayQuery {
    /// `mine` (default): the caller's own accounts; `team`: every account (managers, admins).
    scope: Option<String>,
    /// Most accounts listed (default 50, at most 1000); the counts cover all.
    limit: Option<usize>,
    /// `zh` (default) or `en`: the language of the reasons.
    lang: Option<String>,
}

/// `GET /api/v1/today`: the accounts that need action, most urgent first.
#[utoipa::path(
    get,
    path = "/api/v1/today",
    params(TodayQuery),
    responses(
        (status = 200, description = "Accounts needing action, most urgent first, with counts by severity", body = TodayList),
        BadInput,
        Unauthenticated,
        Forbidden,
    )
)]
pub async fn get_today(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<TodayQuery>,
) -> Result<web::Json<TodayList>, AppError> {
    let scope = match query.scope.as_deref().map(str::trim) {
        None | Some("") | Some("mine") => Scope::Mine,
        Some("team") => Scope::Team,
        Some(other) => {
            return Err(AppError::bad_request(
                crate::error_codes::code::INVALID_QUERY,
                format!("scope: unknown scope {other:?} (expected mine or team)"),
            ))
        }
    };
    if scope == Scope::Team {
        require(
            policy::can_see_analytics(&principal),
            &principal,
            "the team's accounts",
            "managers and admins",
        )?;
    }
    let lang = match query.lang.as_deref() {
        None => Lang::default(),
        Some(value) => Lang::parse(value).ok_or_else(|| {
            AppError::bad_request(
                crate::error_codes::code::INVALID_QUERY,
                format!("lang: unknown language {value:?} (expected zh or en)"),
            )
        })?,
    };
    let limit = query.limit.unwrap_or(50);
    if limit == 0 || limit > 1000 {
        return Err(AppError::bad_request(
            crate::error_codes::code::INVALID_QUERY,
            format!("limit: {limit} is out of range (1 to 1000)"),
        ));
    }
    let state = state.into_inner();
    let list = crate::web::blocking::blocking(move || {
        state
            .today
            .list(
                &state.accounts,
                &state.library,
                &principal,
                scope,
                lang,
                limit,
            )
            .map_err(AppError::from)
    })
    .await?;
    Ok(web::Json(list))
}

/// An item of the trainer's lists.
pub struct ItemEntry {
    pub title: String,
    pub url: String,
    /// A second line: the reviewer's note, the review date…
    pub note: String,
}

/// An empty cell of the coverage matrix, as a link to write its playbook.
pub struct GapLink {
    pub label: String,
    pub url: String,
}

/// A tier change of the latest recompute.
pub struct ChangeEntry {
    pub name: String,
    pub url: String,
    pub from: String,
    pub to: String,
    pub up: bool,
}

pub struct TrainerPanel {
    pub feedback: Vec<ItemEntry>,
    pub gaps: Vec<GapLink>,
    pub gap_total: usize,
    pub misses: Vec<(String, usize)>,
    pub stale: Vec<ItemEntry>,
}

pub struct ManagerPanel {
    pub team: Vec<OwnerToday>,
    pub queue: Vec<ItemEntry>,
    pub queue_total: usize,
    pub changes: Vec<ChangeEntry>,
    pub changes_total: usize,
    /// When and why the latest recompute that changed tiers ran (empty: none yet).
    pub changes_when: String,
    pub pareto: Vec<String>,
    pub coverage_filled: usize,
    pub coverage_gaps: usize,
}

pub struct AdminPanel {
    pub users: usize,
    pub admins: usize,
    pub disabled: usize,
    pub problems: usize,
    pub content_items: usize,
    pub accounts: usize,
    pub indexed: u64,
    pub index_behind: u64,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub ctx: PageContext,
    pub role: &'static str,
    /// The signed-in user's accounts needing action (shown to reps, and to anyone who owns
    /// accounts that need it).
    pub mine: Option<TodayList>,
    pub courses: Vec<MyCourse>,
    pub recent: Vec<RecentLink>,
    pub trainer: Option<TrainerPanel>,
    pub manager: Option<ManagerPanel>,
    pub admin: Option<AdminPanel>,
}

impl HomePage {
    pub fn severity_label(&self, severity: &crate::domain::alerts::Severity) -> &'static str {
        use crate::domain::alerts::Severity;
        match severity {
            Severity::Critical => self.ctx.t("紧急", "Urgent"),
            Severity::Warning => self.ctx.t("注意", "Attention"),
            Severity::Info => self.ctx.t("提示", "Note"),
        }
    }

    pub fn severity_class(&self, severity: &crate::domain::alerts::Severity) -> &'static str {
        severity.as_str()
    }

    pub fn is_account(&self, kind: &ViewedKind) -> bool {
        *kind == ViewedKind::Account
    }

    /// "小王的客户" / "Accounts of wang"; accounts without an owner have their own heading.
    pub fn owner_heading(&self, owner: &Option<String>) -> String {
        match owner {
            Some(owner) => match self.ctx.lang {
                Lang::Zh => format!("{owner} 的客户"),
                Lang::En => format!("Accounts of {owner}"),
            },
            None => self
                .ctx
                .t("未分配负责人的客户", "Accounts without an owner")
                .to_owned(),
        }
    }

    pub fn owner_link(&self, owner: &Option<String>) -> String {
        match owner {
            Some(owner) => format!("/accounts?owner={}", path_segment(owner)),
            None => "/accounts".to_owned(),
        }
    }

    /// "3 紧急 · 5 注意 · 12 提示" — only the non-zero ones.
    pub fn counts_line(&self, counts: &crate::app::today::SeverityCounts) -> String {
        use crate::domain::alerts::Severity;
        [
            (counts.critical, Severity::Critical),
            (counts.warning, Severity::Warning),
            (counts.info, Severity::Info),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, s)| format!("{n} {}", self.severity_label(&s)))
        .collect::<Vec<_>>()
        .join(" · ")
    }
}

fn trainer_panel(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
) -> Result<TrainerPanel, AppError> {
    let library = &state.library;
    let taxonomy = library.taxonomy();
    let mine = library.owned_by(Some(&principal.user))?;
    // Items sent back to me: a draft whose latest version is a send-back.
    let mut feedback = Vec::new();
    for record in &mine {
        if let Some((by, note)) = library.last_send_back(&record.item)? {
            feedback.push(ItemEntry {
                title: record.item.title.clone(),
                url: format!("/content/{}/edit", path_segment(&record.item.id)),
                note: if note.is_empty() {
                    by
                } else {
                    format!("{by}: {note}")
                },
            });
        }
    }
    let coverage = library.coverage()?;
    let mut gaps = Vec::new();
    for (tier, cells) in coverage.tiers.iter().zip(&coverage.rows) {
        for cell in cells.iter().filter(|c| c.playbooks.is_empty()) {
            gaps.push(GapLink {
                label: format!(
                    "{} × {}",
                    taxonomy.tier_label(tier, lang),
                    taxonomy.scenario_label(&cell.scenario, lang)
                ),
                url: format!(
                    "/new?kind=playbook&tier={}&scenario={}",
                    path_segment(tier),
                    path_segment(&cell.scenario)
                ),
            });
        }
    }
    let gap_total = gaps.len();
    gaps.truncate(SHORT_LIST);
    let misses = library
        .search_misses(crate::app::library::MISS_WINDOW)?
        .into_iter()
        .take(SHORT_LIST)
        .map(|m| (m.query, m.count))
        .collect();
    let stale = library
        .stale(Some(&principal.user))?
        .into_iter()
        .take(SHORT_LIST)
        .map(|item| ItemEntry {
            url: format!("/content/{}", path_segment(&item.id)),
            note: item.review_by.clone().unwrap_or_default(),
            title: item.title,
        })
        .collect();
    Ok(TrainerPanel {
        feedback,
        gaps,
        gap_total,
        misses,
        stale,
    })
}

fn manager_panel(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
) -> Result<ManagerPanel, AppError> {
    let library = &state.library;
    let team = state
        .today
        .by_owner(&state.accounts, library, principal, lang, PER_OWNER)?;
    let queue_records = library.review_queue()?;
    let queue_total = queue_records.len();
    let queue = queue_records
        .into_iter()
        .take(SHORT_LIST)
        .map(|r| ItemEntry {
            url: format!("/content/{}", path_segment(&r.item.id)),
            note: r.item.owner.clone().unwrap_or_default(),
            title: r.item.title,
        })
        .collect();
    let tier_state = state.accounts.state();
    let recent = state.accounts.recent_changes(500)?;
    let latest = recent
        .first()
        .map(|c| (c.seq, c.at.clone(), c.trigger.clone()));
    let label = |id: &str| {
        tier_state
            .tier_by_id(id)
            .map(|t| crate::web::view::tier_label(t, lang))
            .unwrap_or_else(|| library.taxonomy().tier_label(id, lang).to_owned())
    };
    let in_latest: Vec<_> = recent
        .into_iter()
        .filter(|c| Some(c.seq) == latest.as_ref().map(|l| l.0) && c.from.is_some())
        .collect();
    // The run's record counts every change, however many the list above read.
    let changes_total = match latest.as_ref() {
        Some((seq, _, _)) => state
            .accounts
            .store()
            .recompute(*seq)
            .map_err(AppError::internal)?
            .map_or(in_latest.len(), |run| run.up + run.down + run.changed),
        None => 0,
    };
    let changes = in_latest
        .into_iter()
        .take(SHORT_LIST)
        .filter_map(|c| {
            let i = tier_state
                .accounts()
                .binary_search_by(|a| a.id.as_str().cmp(&c.account_id))
                .ok()?;
            Some(ChangeEntry {
                name: tier_state.accounts()[i].name.to_string(),
                url: format!("/accounts/{}", path_segment(&c.account_id)),
                from: c.from.as_deref().map(&label).unwrap_or_default(),
                to: label(&c.to),
                up: c.direction == crate::domain::tiering::Direction::Up,
            })
        })
        .collect();
    let pareto = match state.accounts.pareto("revenue") {
        Ok(view) if view.pareto.n > 0 => crate::web::i18n::Ui::for_lang(lang)
            .pareto_sentences(&crate::web::view::pareto_figures(&view))
            .into_iter()
            .take(2)
            .collect(),
        _ => Vec::new(),
    };
    let coverage = library.coverage()?;
    Ok(ManagerPanel {
        team,
        queue,
        queue_total,
        changes,
        changes_total,
        changes_when: latest
            .map(|(_, at, trigger)| {
                format!(
                    "{} · {}",
                    crate::web::labels::human_time(&at, lang, state.utc_offset).text,
                    crate::web::tier_words::trigger_name(&trigger, lang)
                )
            })
            .unwrap_or_default(),
        pareto,
        coverage_filled: coverage.filled,
        coverage_gaps: coverage.gaps,
    })
}

fn admin_panel(state: &AppState) -> Result<AdminPanel, AppError> {
    let users = state.auth.list_users()?;
    let store = state.library.store();
    let head = store.outbox_head().map_err(AppError::internal)?;
    let indexed = state.library.index().applied_seq();
    Ok(AdminPanel {
        users: users.len(),
        admins: users.iter().filter(|u| u.role == Role::Admin).count(),
        disabled: users.iter().filter(|u| u.disabled).count(),
        problems: state.library.problems().len(),
        content_items: state.library.stored_items(),
        accounts: state.accounts.state().len(),
        indexed,
        index_behind: head.saturating_sub(indexed),
    })
}

impl HomePage {
    /// The home of `principal`'s role; `all` lists every account needing action instead
    /// (`/today`), with nothing else.
    fn new(
        state: &AppState,
        principal: Principal,
        ctx: PageContext,
        all: bool,
    ) -> Result<HomePage, AppError> {
        let lang = ctx.lang;
        let role = if all { Role::Rep } else { principal.role };
        let mine = state.today.list(
            &state.accounts,
            &state.library,
            &principal,
            Scope::Mine,
            lang,
            if all { ALL_SHOWN } else { MINE_SHOWN },
        )?;
        let mine = (role == Role::Rep || mine.counts.total > 0).then_some(mine);
        if all {
            return Ok(HomePage {
                role: role.as_str(),
                mine,
                courses: Vec::new(),
                recent: Vec::new(),
                trainer: None,
                manager: None,
                admin: None,
                ctx,
            });
        }
        let courses = {
            let user = state.auth.user(&principal.user)?;
            let (position, region) = user.map(|u| (u.position, u.region)).unwrap_or((None, None));
            let learner = crate::domain::enablement::Learner {
                user: &principal.user,
                role: principal.role.as_str(),
                position: position.as_deref(),
                region: region.as_deref(),
            };
            state
                .library
                .my_courses(&learner)?
                .into_iter()
                .filter(|c| c.done < c.lessons)
                .take(3)
                .collect()
        };
        let trainer = (role == Role::Trainer)
            .then(|| trainer_panel(state, &principal, lang))
            .transpose()?;
        let manager = (role == Role::Manager)
            .then(|| manager_panel(state, &principal, lang))
            .transpose()?;
        let admin = (role == Role::Admin)
            .then(|| admin_panel(state))
            .transpose()?;
        let access = state.access(principal);
        let mut recent =
            crate::app::recent::recently_viewed(&state.library, &state.accounts, &access);
        recent.truncate(SHORT_LIST);
        Ok(HomePage {
            role: role.as_str(),
            mine,
            courses,
            recent,
            trainer,
            manager,
            admin,
            ctx,
        })
    }
}

pub async fn show_home(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
) -> Result<HttpResponse, PageError> {
    home_page(req, state, lang, principal, false).await
}

/// `GET /today`: every one of my accounts that needs action.
pub async fn show_today(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
) -> Result<HttpResponse, PageError> {
    home_page(req, state, lang, principal, true).await
}

async fn home_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    all: bool,
) -> Result<HttpResponse, PageError> {
    let ctx = PageContext::for_request(&req, &state, lang);
    let state = state.into_inner();
    let page = crate::web::blocking::blocking(move || HomePage::new(&state, principal, ctx, all))
        .await
        .or_page(lang)?;
    html(&page).or_page(lang)
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
