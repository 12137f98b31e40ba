//! What every HTML page shares: the frame's context (language, user, CSRF token, navigation)
//! and the rendering of an askama template into a response. Handler files import these from
//! here, never from one another.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use askama::Template;

use crate::domain::{policy, Lang};
use crate::web::error::{AppError, PageError};
use crate::web::i18n::Ui;
use crate::web::labels;
use crate::web::AppState;

/// What every page needs for the frame in `base.html`.
pub struct PageContext {
    pub lang: Lang,
    pub ui: &'static Ui,
    /// The path of this page, so the language switch can come back to it.
    pub path: String,
    /// Number of content problems, shown on the navigation link (to those who curate).
    pub problem_count: usize,
    /// The signed-in user, if any.
    pub user: Option<String>,
    /// The session's CSRF token, for the hidden field of every form.
    pub csrf: String,
    /// Navigation the role may use.
    pub can_analytics: bool,
    pub can_curate: bool,
    /// Users and backups (administrators).
    pub can_administer: bool,
    /// The time zone times are shown in (`Config::utc_offset`).
    pub utc_offset: time::UtcOffset,
}

impl PageContext {
    pub fn new(lang: Lang, path: &str, problem_count: usize) -> PageContext {
        PageContext {
            lang,
            ui: Ui::for_lang(lang),
            path: path.to_owned(),
            problem_count,
            user: None,
            csrf: String::new(),
            can_analytics: false,
            can_curate: false,
            can_administer: false,
            utc_offset: crate::config::DEFAULT_UTC_OFFSET,
        }
    }

    pub fn for_request(req: &HttpRequest, state: &AppState, lang: Lang) -> PageContext {
        let path = match req.query_string() {
            "" => req.path().to_owned(),
            query => format!("{}?{}", req.path(), query),
        };
        let mut ctx = PageContext::new(lang, &path, state.library.problems().len());
        ctx.utc_offset = state.utc_offset;
        if let Some(identity) = crate::web::guard::identity_of(req) {
            let p = &identity.principal;
            ctx.can_analytics = policy::can_see_analytics(p);
            ctx.can_curate = policy::can_curate_content(p);
            ctx.can_administer = policy::can_manage_users(p) || policy::can_operate(p);
            ctx.user = Some(p.user.clone());
            ctx.csrf = identity.csrf.unwrap_or_default();
        }
        if !ctx.can_curate {
            ctx.problem_count = 0;
        }
        ctx
    }

    /// A UI string given in both languages, for the pages of editing and enablement.
    pub fn t(&self, zh: &'static str, en: &'static str) -> &'static str {
        match self.lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// A workflow status in the UI language.
    pub fn status_label(&self, status: &str) -> &'static str {
        labels::status_id(status, self.lang)
    }

    /// A workflow action (what a version records) in the UI language.
    pub fn action_label(&self, action: &crate::domain::workflow::Action) -> &'static str {
        labels::action(*action, self.lang)
    }

    /// A role id (`rep`, …) in the UI language.
    pub fn role_label(&self, role: &str) -> String {
        labels::role_id(role, self.lang)
    }

    /// A time (RFC 3339) or date in words, for `macros.html`'s `time` macro.
    pub fn when(&self, value: &str) -> labels::HumanTime {
        labels::human_time(value, self.lang, self.utc_offset)
    }

    /// A count with thousands separators.
    pub fn num(&self, n: impl std::borrow::Borrow<usize>) -> String {
        labels::count(*n.borrow())
    }

    /// The message after an action, from the `done` parameter a redirect added to this page's
    /// address (`?done=submitted`): shown once at the top of the page, in the UI language.
    pub fn flash(&self) -> Option<&'static str> {
        let (_, query) = self.path.split_once('?')?;
        let done = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("done="))?;
        let message = match done {
            "created" | "saved" => self.t("草稿已保存。", "Draft saved."),
            "submitted" => self.t(
                "已提交审核，审核人会收到它。",
                "Submitted for review: it is in the reviewers' queue.",
            ),
            "approved" => self.t("已批准并发布。", "Approved and published."),
            "sent_back" => self.t("已退回作者修改。", "Sent back to the author for changes."),
            "archived" => self.t("已归档。", "Archived."),
            "restored" => self.t(
                "已恢复这个版本（为草稿）。",
                "That version is back (as a draft).",
            ),
            "lesson_done" => self.t("这一课已标记为完成。", "Lesson marked as done."),
            "lesson_undone" => self.t("这一课已标记为未完成。", "Lesson marked as not done."),
            "curated" => self.t("最佳实践标记已更新。", "Best-practice mark updated."),
            "attached" => self.t("附件已上传。", "Attachments uploaded."),
            "override" => self.t("层级调整已更新。", "Tier override updated."),
            "review" => self.t("复盘已保存为草稿。", "Review saved as a draft."),
            _ => return None,
        };
        Some(message)
    }

    /// The other UI language, for the switch.
    pub fn other_lang(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "en",
            Lang::En => "zh",
        }
    }
}

/// Renders `page` as an HTML response.
pub fn html(page: &impl Template) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(page.render()?))
}

pub use crate::domain::ids::path_segment;

/// `page` answering `error` (a refusal shown on the form itself): its status, and
/// `Retry-After` when it has one.
pub fn page_with_status(
    page: &impl Template,
    error: &AppError,
    lang: Lang,
) -> Result<HttpResponse, PageError> {
    let body = page.render().map_err(|e| PageError {
        error: e.into(),
        lang,
    })?;
    let mut response = HttpResponse::build(error.status_code());
    if let Some(secs) = error.retry_after_secs() {
        response.insert_header((header::RETRY_AFTER, secs.to_string()));
    }
    Ok(response.content_type("text/html; charset=utf-8").body(body))
}
