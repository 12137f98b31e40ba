//! UI language: chosen by the `lang` cookie (set by the visible switch), else by
//! `Accept-Language`, else Chinese. Every UI string exists in both languages.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use crate::domain::content::{Kind, Outcome};
use crate::domain::Lang;

/// Name of the cookie that remembers the chosen UI language.
pub const LANG_COOKIE: &str = "lang";

impl FromRequest for Lang {
    type Error = actix_web::Error;
    type Future = Ready<Result<Lang, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(request_lang(req)))
    }
}

pub fn request_lang(req: &HttpRequest) -> Lang {
    if let Some(lang) = req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())) {
        return lang;
    }
    req.headers()
        .get(actix_web::http::header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .and_then(parse_accept_language)
        .unwrap_or_default()
}

/// The first of `zh*` / `en*` in the header by quality; `None` if neither is acceptable.
pub fn parse_accept_language(header: &str) -> Option<Lang> {
    let mut candidates: Vec<(f32, usize, Lang)> = header
        .split(',')
        .enumerate()
        .filter_map(|(position, part)| {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next()?.trim().to_ascii_lowercase();
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = if tag == "zh" || tag.starts_with("zh-") {
                Lang::Zh
            } else if tag == "en" || tag.starts_with("en-") {
                Lang::En
            } else {
                return None;
            };
            (quality > 0.0).then_some((quality, position, lang))
        })
        .collect();
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    candidates.first().map(|c| c.2)
}

/// Every string the pages show, in one language.
pub struct Ui {
    pub lang: &'static str,
    pub html_lang: &'static str,
    pub app_name: &'static str,
    pub tagline: &'static str,
    pub nav_home: &'static str,
    pub nav_coverage: &'static str,
    pub nav_problems: &'static str,
    pub switch_label: &'static str,
    pub switch_to: &'static str,
    pub home_intro: &'static str,
    pub playbooks: &'static str,
    pub cases: &'static str,
    pub courses: &'static str,
    pub tiers: &'static str,
    pub scenarios: &'static str,
    pub tags: &'static str,
    pub all_tiers: &'static str,
    pub for_every_tier: &'static str,
    pub tier_treatments: &'static str,
    pub guides: &'static str,
    pub nothing_yet: &'static str,
    pub sample: &'static str,
    pub outcome: &'static str,
    pub account: &'static str,
    pub audience: &'static str,
    pub lessons: &'static str,
    pub course: &'static str,
    pub previous: &'static str,
    pub next: &'static str,
    pub other_languages: &'static str,
    pub review_by: &'static str,
    pub coverage_title: &'static str,
    pub coverage_intro: &'static str,
    pub filled: &'static str,
    pub gaps: &'static str,
    pub gap: &'static str,
    pub problems_title: &'static str,
    pub problems_intro: &'static str,
    pub problems_none: &'static str,
    pub error_title: &'static str,
    pub not_found_title: &'static str,
    pub back_home: &'static str,
    pub items_count: &'static str,
    pub nav_search: &'static str,
    pub search_placeholder: &'static str,
    pub search_button: &'static str,
    pub results: &'static str,
    pub no_results: &'static str,
    pub no_results_hint: &'static str,
    pub remove_filters: &'static str,
    pub filters: &'static str,
    pub facet_kind: &'static str,
    pub facet_lang: &'static str,
    pub lang_zh: &'static str,
    pub lang_en: &'static str,
    pub previous_page: &'static str,
    pub next_page: &'static str,
    pub remove_filter: &'static str,
    pub misses_title: &'static str,
    pub misses_intro: &'static str,
    pub misses_none: &'static str,
    pub query: &'static str,
    pub times: &'static str,
    pub last_asked: &'static str,
}

pub static ZH: Ui = Ui {
    lang: "zh",
    html_lang: "zh-CN",
    app_name: "Playbook 销售作战手册",
    tagline: "把最好的打法沉淀下来，按客户价值区别对待",
    nav_home: "首页",
    nav_coverage: "覆盖矩阵",
    nav_problems: "内容问题",
    switch_label: "切换语言",
    switch_to: "English",
    home_intro: "客户分级、场景作战手册、案例复盘与课程，一处查齐。",
    playbooks: "作战手册",
    cases: "案例与复盘",
    courses: "课程",
    tiers: "客户层级",
    scenarios: "场景",
    tags: "标签",
    all_tiers: "全部层级",
    for_every_tier: "适用于所有层级",
    tier_treatments: "分层对待",
    guides: "通用方法",
    nothing_yet: "暂无内容。",
    sample: "示例",
    outcome: "结果",
    account: "客户",
    audience: "适用对象",
    lessons: "课时",
    course: "所属课程",
    previous: "上一课",
    next: "下一课",
    other_languages: "其他语言版本",
    review_by: "复核日期",
    coverage_title: "场景覆盖矩阵",
    coverage_intro:
        "每一格是一个客户层级在一个销售场景下的作战手册。空格就是缺口：这个场景还没有标准打法。",
    filled: "已覆盖",
    gaps: "缺口",
    gap: "缺口",
    problems_title: "内容问题",
    problems_intro:
        "以下内容文件未通过校验。已存储的上一个有效版本会继续提供，修正文件后重启即可生效。",
    problems_none: "所有内容文件均通过校验。",
    error_title: "出错了",
    not_found_title: "找不到页面",
    back_home: "返回首页",
    items_count: "条内容",
    nav_search: "搜索",
    search_placeholder: "搜索作战手册、案例、课程……",
    search_button: "搜索",
    results: "条结果",
    no_results: "没有找到匹配的内容。",
    no_results_hint: "试试更短的词、换个说法，或者去掉筛选条件：",
    remove_filters: "去掉所有筛选",
    filters: "筛选",
    facet_kind: "类型",
    facet_lang: "语言",
    lang_zh: "中文",
    lang_en: "英文",
    previous_page: "上一页",
    next_page: "下一页",
    remove_filter: "去掉此筛选",
    misses_title: "没有结果的搜索",
    misses_intro: "销售搜过却没找到的词：这里就是内容缺口，培训师可以据此补充作战手册。",
    misses_none: "目前没有落空的搜索。",
    query: "搜索词",
    times: "次数",
    last_asked: "最近一次",
};

pub static EN: Ui = Ui {
    lang: "en",
    html_lang: "en",
    app_name: "Playbook",
    tagline: "Keep the best moves, treat each customer by its value",
    nav_home: "Home",
    nav_coverage: "Coverage",
    nav_problems: "Content problems",
    switch_label: "Language",
    switch_to: "中文",
    home_intro: "Customer tiers, scenario playbooks, case reviews and courses in one place.",
    playbooks: "Playbooks",
    cases: "Cases and reviews",
    courses: "Courses",
    tiers: "Tiers",
    scenarios: "Scenarios",
    tags: "Tags",
    all_tiers: "All tiers",
    for_every_tier: "for every tier",
    tier_treatments: "Tier treatments",
    guides: "Guides",
    nothing_yet: "Nothing here yet.",
    sample: "Sample",
    outcome: "Outcome",
    account: "Account",
    audience: "Audience",
    lessons: "Lessons",
    course: "Course",
    previous: "Previous lesson",
    next: "Next lesson",
    other_languages: "Other languages",
    review_by: "Review by",
    coverage_title: "Scenario coverage",
    coverage_intro: "Each cell holds the playbooks for one customer tier in one sales scenario. An empty cell is a gap: that scenario has no standard yet.",
    filled: "Covered",
    gaps: "Gaps",
    gap: "gap",
    problems_title: "Content problems",
    problems_intro: "These content files failed validation. The last good stored version of each keeps being served; fix the file and restart.",
    problems_none: "Every content file is valid.",
    error_title: "Something went wrong",
    not_found_title: "Not found",
    back_home: "Back to the home page",
    items_count: "items",
    nav_search: "Search",
    search_placeholder: "Search playbooks, cases, courses…",
    search_button: "Search",
    results: "results",
    no_results: "Nothing matched.",
    no_results_hint: "Try a shorter word or another phrasing, or remove the filters:",
    remove_filters: "Remove all filters",
    filters: "Filters",
    facet_kind: "Type",
    facet_lang: "Language",
    lang_zh: "Chinese",
    lang_en: "English",
    previous_page: "Previous",
    next_page: "Next",
    remove_filter: "remove this filter",
    misses_title: "Searches that found nothing",
    misses_intro: "What reps searched for and did not find: each is a content gap a trainer can fill.",
    misses_none: "No unanswered searches yet.",
    query: "Query",
    times: "Times",
    last_asked: "Last asked",
};

impl Ui {
    pub fn for_lang(lang: Lang) -> &'static Ui {
        match lang {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    pub fn kind(&self, kind: Kind) -> &'static str {
        match (self.lang, kind) {
            ("zh", Kind::Playbook) => "作战手册",
            ("zh", Kind::Case) => "案例",
            ("zh", Kind::Course) => "课程",
            ("zh", Kind::Lesson) => "课时",
            (_, Kind::Playbook) => "Playbook",
            (_, Kind::Case) => "Case",
            (_, Kind::Course) => "Course",
            (_, Kind::Lesson) => "Lesson",
        }
    }

    pub fn outcome(&self, outcome: Outcome) -> &'static str {
        match (self.lang, outcome) {
            ("zh", Outcome::Won) => "赢单",
            ("zh", Outcome::Lost) => "丢单",
            ("zh", Outcome::Ongoing) => "进行中",
            (_, Outcome::Won) => "Won",
            (_, Outcome::Lost) => "Lost",
            (_, Outcome::Ongoing) => "Ongoing",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        assert_eq!(
            parse_accept_language("en-US,en;q=0.9,zh-CN;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(
            parse_accept_language("fr-FR, zh-TW;q=0.5, en;q=0.4"),
            Some(Lang::Zh)
        );
        assert_eq!(parse_accept_language("de, fr"), None);
        assert_eq!(parse_accept_language("en;q=0, zh;q=0.1"), Some(Lang::Zh));
    }
}
