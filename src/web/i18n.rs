//! UI language: chosen by the `lang` cookie (set by the visible switch), else by
//! `Accept-Language`, else Chinese. Every UI string exists in both languages.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use crate::domain::account::CreditRating;
use crate::domain::content::{Kind, Outcome};
use crate::domain::tiering::{Direction, Indicator};
use crate::domain::Lang;

/// The figures a Pareto page puts into words (amounts already formatted for display).
pub struct ParetoFigures {
    pub indicator: Indicator,
    pub total: String,
    pub top20_count: usize,
    pub top20_share: Option<f64>,
    pub accounts_for_80pct: Option<usize>,
    pub accounts_for_80pct_share: f64,
    pub gini: Option<f64>,
    pub bottom10_count: usize,
    pub bottom10_sum: String,
}

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
    pub login_title: &'static str,
    pub login_intro: &'static str,
    pub login_name: &'static str,
    pub login_password: &'static str,
    pub login_submit: &'static str,
    pub login_failed: &'static str,
    /// `{minutes}` is replaced.
    pub login_throttled: &'static str,
    pub login_busy: &'static str,
    pub logout: &'static str,
    pub signed_in_as: &'static str,
    pub me_title: &'static str,
    pub me_role: &'static str,
    pub change_password: &'static str,
    pub current_password: &'static str,
    pub new_password: &'static str,
    pub new_password_again: &'static str,
    pub passwords_differ: &'static str,
    pub password_help: &'static str,
    pub password_changed: &'static str,
    pub tokens_title: &'static str,
    pub tokens_intro: &'static str,
    pub token_label: &'static str,
    pub create_token: &'static str,
    pub token_created: &'static str,
    pub no_tokens: &'static str,
    pub revoke: &'static str,
    pub created_at: &'static str,
    pub last_used: &'static str,
    pub never: &'static str,
    pub back_home: &'static str,
    pub items_count: &'static str,
    pub scenario_label: &'static str,
    pub any_scenario: &'static str,
    pub show: &'static str,
    pub alerts_title: &'static str,
    pub no_alerts: &'static str,
    pub see_playbook: &'static str,
    pub what_to_do: &'static str,
    pub exact_missing: &'static str,
    pub match_exact: &'static str,
    pub match_tier: &'static str,
    pub match_scenario: &'static str,
    pub match_tier_in_scenario: &'static str,
    pub match_nearest: &'static str,
    pub no_playbooks: &'static str,
    pub related_cases: &'static str,
    pub own_case: &'static str,
    pub no_cases: &'static str,
    pub courses_title: &'static str,
    pub lookup_title: &'static str,
    pub lookup_placeholder: &'static str,
    pub lookup_button: &'static str,
    pub lookup_none: &'static str,
    pub figures_hidden: &'static str,
    pub tier_moved: &'static str,
    pub details_title: &'static str,
    pub nav_search: &'static str,
    pub search_placeholder: &'static str,
    pub search_button: &'static str,
    pub results: &'static str,
    pub no_results: &'static str,
    pub no_results_hint: &'static str,
    /// Shown when no item matches every word of the query.
    pub partial_only: &'static str,
    /// Shown when some items match every word and others follow: `{n}` is how many match all.
    pub partial_after: &'static str,
    pub missing_words: &'static str,
    pub left_out_words: &'static str,
    pub did_you_mean: &'static str,
    pub related_playbooks: &'static str,
    pub synonyms_link: &'static str,
    pub synonyms_title: &'static str,
    pub synonyms_intro: &'static str,
    pub remove_filters: &'static str,
    pub filters: &'static str,
    pub facet_kind: &'static str,
    pub facet_lang: &'static str,
    pub lang_zh: &'static str,
    pub lang_en: &'static str,
    pub remove_filter: &'static str,
    pub misses_title: &'static str,
    pub misses_intro: &'static str,
    pub misses_none: &'static str,
    pub query: &'static str,
    pub times: &'static str,
    pub last_asked: &'static str,
    pub nav_accounts: &'static str,
    pub nav_pareto: &'static str,
    pub accounts_title: &'static str,
    pub accounts_intro: &'static str,
    pub filter_tier: &'static str,
    pub filter_region: &'static str,
    pub filter_owner: &'static str,
    pub any: &'static str,
    pub apply_filter: &'static str,
    pub col_name: &'static str,
    pub col_score: &'static str,
    pub col_rank: &'static str,
    pub col_percentile: &'static str,
    pub col_industry: &'static str,
    pub previous_page: &'static str,
    pub next_page: &'static str,
    pub no_accounts: &'static str,
    pub export_csv: &'static str,
    pub overridden: &'static str,
    pub figures: &'static str,
    pub tier_explanation: &'static str,
    pub computed_tier: &'static str,
    pub contributions: &'static str,
    pub col_indicator: &'static str,
    pub col_raw: &'static str,
    pub col_normalised: &'static str,
    pub col_weight: &'static str,
    pub col_points: &'static str,
    pub rule: &'static str,
    pub score_rule: &'static str,
    pub override_title: &'static str,
    pub override_none: &'static str,
    pub override_by: &'static str,
    pub override_at: &'static str,
    pub override_reason: &'static str,
    pub override_submit: &'static str,
    pub override_remove: &'static str,
    pub override_help: &'static str,
    pub last_change: &'static str,
    pub no_change: &'static str,
    pub not_recorded: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub aliases: &'static str,
    pub no_score: &'static str,
    pub pareto_title: &'static str,
    pub pareto_intro: &'static str,
    pub pareto_chart_label: &'static str,
    pub equal_share: &'static str,
    pub pareto_no_values: &'static str,
    pub key_figures: &'static str,
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
    login_title: "登录",
    login_intro: "请使用管理员为你创建的账号登录。",
    login_name: "用户名",
    login_password: "密码",
    login_submit: "登录",
    login_failed: "用户名或密码不正确。",
    login_throttled: "登录失败次数过多，请约 {minutes} 分钟后再试。",
    login_busy: "服务器正忙于核对其他登录，请几秒钟后再试。",
    logout: "退出",
    signed_in_as: "当前用户",
    me_title: "我的账号",
    me_role: "角色",
    change_password: "修改密码",
    current_password: "当前密码",
    new_password: "新密码",
    new_password_again: "再次输入新密码",
    passwords_differ: "两次输入的新密码不一致。",
    password_help: "至少 10 个字符，几个词组成的短句最好记。修改后本浏览器保持登录，其他设备需要重新登录，你的 API 令牌全部作废。",
    password_changed: "密码已修改。其他设备上的登录已结束，你的 API 令牌已作废。",
    tokens_title: "API 令牌",
    tokens_intro: "供脚本调用 API 使用（请求头 Authorization: Bearer 令牌），权限与你的账号相同。",
    token_label: "用途说明",
    create_token: "新建令牌",
    token_created: "新令牌如下，只显示这一次，请立即复制保存：",
    no_tokens: "还没有令牌。",
    revoke: "吊销",
    created_at: "创建于",
    last_used: "最近使用",
    never: "从未",
    back_home: "返回首页",
    items_count: "条内容",
    scenario_label: "场景",
    any_scenario: "不限场景",
    show: "查看",
    alerts_title: "提醒",
    no_alerts: "没有需要马上处理的提醒。",
    see_playbook: "依据",
    what_to_do: "现在该怎么做",
    exact_missing: "这个场景还没有专门为该层级客户写的作战手册，下面是最接近的参考：",
    match_exact: "本层级 · 本场景",
    match_tier: "本层级通用",
    match_scenario: "本场景通用",
    match_tier_in_scenario: "本层级",
    match_nearest: "相近层级",
    no_playbooks: "暂无作战手册。",
    related_cases: "相关案例",
    own_case: "本客户",
    no_cases: "暂无相关案例。",
    courses_title: "相关课程",
    lookup_title: "查客户",
    lookup_placeholder: "客户名称、简称、拼音或首字母，如 zgyd",
    lookup_button: "查找",
    lookup_none: "没有找到这个客户。",
    figures_hidden: "你不是该客户的负责人，看不到具体数字。",
    tier_moved: "层级变化",
    details_title: "数据与分级依据",
    nav_search: "搜索",
    search_placeholder: "搜索作战手册、案例、课程……",
    search_button: "搜索",
    results: "条结果",
    no_results: "没有找到匹配的内容。",
    no_results_hint: "试试更短的词、换个说法，或者去掉筛选条件：",
    partial_only: "没有同时包含所有词语的内容，下面是包含其中大部分词语的结果。",
    partial_after: "前 {n} 条包含所有词语，其后的结果只包含部分词语。",
    missing_words: "未包含：",
    left_out_words: "已忽略的提问用词：",
    did_you_mean: "您是不是要找：",
    related_playbooks: "查询提到的客户层级或场景，可以先看这些手册：",
    synonyms_link: "搜索同义词表",
    synonyms_title: "搜索同义词",
    synonyms_intro: "搜索时，同一组里的任何一个词都会同时查找组里的其他词（输入的词排在最前）。内容目录里的 synonyms.yaml 可以修改这张表，重启后生效，不需要重建索引。",
    remove_filters: "去掉所有筛选",
    filters: "筛选",
    facet_kind: "类型",
    facet_lang: "语言",
    lang_zh: "中文",
    lang_en: "英文",
    remove_filter: "去掉此筛选",
    misses_title: "没有结果的搜索",
    misses_intro: "销售搜过却没找到的词：这里就是内容缺口，培训师可以据此补充作战手册。",
    misses_none: "目前没有落空的搜索。",
    query: "搜索词",
    times: "次数",
    last_asked: "最近一次",
    nav_accounts: "客户",
    nav_pareto: "二八分析",
    accounts_title: "客户与分级",
    accounts_intro: "按当前分级模型计算的客户层级，排名靠前的在前。点客户名称查看分级依据。",
    filter_tier: "层级",
    filter_region: "区域",
    filter_owner: "负责人",
    any: "全部",
    apply_filter: "筛选",
    col_name: "客户名称",
    col_score: "得分",
    col_rank: "排名",
    col_percentile: "百分位",
    col_industry: "行业",
    previous_page: "上一页",
    next_page: "下一页",
    no_accounts: "没有符合条件的客户。可用 playbook import accounts 或 POST /api/v1/accounts/import 导入客户。",
    export_csv: "导出分级 CSV",
    overridden: "人工调整",
    figures: "经营指标",
    tier_explanation: "分级依据",
    computed_tier: "计算层级",
    contributions: "各指标贡献",
    col_indicator: "指标",
    col_raw: "记录值",
    col_normalised: "归一化",
    col_weight: "权重",
    col_points: "得分贡献",
    rule: "规则",
    score_rule: "得分计算方式",
    override_title: "人工调整层级",
    override_none: "当前没有人工调整。",
    override_by: "调整人",
    override_at: "时间",
    override_reason: "原因",
    override_submit: "保存调整",
    override_remove: "取消调整",
    override_help: "主管可按实际情况调整客户层级，须写明原因；重新计算时保留调整。",
    last_change: "最近一次层级变化",
    no_change: "尚无层级变化记录。",
    not_recorded: "未记录",
    yes: "是",
    no: "否",
    aliases: "别名",
    no_score: "无得分",
    pareto_title: "二八分析（帕累托）",
    pareto_intro: "曲线把客户按指标从高到低排列：横轴是客户累计占比，纵轴是指标累计占比。色带是各客户层级所占的客户区间。",
    pareto_chart_label: "帕累托曲线与客户层级色带",
    equal_share: "均分线",
    pareto_no_values: "没有可分析的数值：所选指标合计不为正，或尚无客户。",
    key_figures: "关键数字",
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
    login_title: "Sign in",
    login_intro: "Sign in with the account your administrator created for you.",
    login_name: "User name",
    login_password: "Password",
    login_submit: "Sign in",
    login_failed: "The user name or password is wrong.",
    login_throttled: "Too many failed sign-ins; try again in about {minutes} minutes.",
    login_busy: "The server is busy checking other sign-ins; try again in a few seconds.",
    logout: "Sign out",
    signed_in_as: "Signed in as",
    me_title: "My account",
    me_role: "Role",
    change_password: "Change password",
    current_password: "Current password",
    new_password: "New password",
    new_password_again: "New password again",
    passwords_differ: "The two new passwords differ.",
    password_help: "At least 10 characters; a short phrase of a few words is easiest. Afterwards this browser stays signed in, every other device signs in again and your API tokens are revoked.",
    password_changed: "Your password was changed. Every other session has ended and your API tokens are revoked.",
    tokens_title: "API tokens",
    tokens_intro: "For scripts calling the API (header Authorization: Bearer <token>); a token acts with your role.",
    token_label: "What it is for",
    create_token: "Create token",
    token_created: "Your new token, shown this once — copy it now:",
    no_tokens: "No tokens yet.",
    revoke: "Revoke",
    created_at: "Created",
    last_used: "Last used",
    never: "never",
    back_home: "Back to the home page",
    items_count: "items",
    scenario_label: "Scenario",
    any_scenario: "Any scenario",
    show: "Show",
    alerts_title: "Alerts",
    no_alerts: "Nothing needs attention right now.",
    see_playbook: "Playbook",
    what_to_do: "What to do now",
    exact_missing: "No playbook is written for this tier in this scenario yet; the nearest ones follow:",
    match_exact: "This tier · this scenario",
    match_tier: "For this tier",
    match_scenario: "For this scenario",
    match_tier_in_scenario: "This tier",
    match_nearest: "Nearest tier",
    no_playbooks: "No playbook yet.",
    related_cases: "Related cases",
    own_case: "This account",
    no_cases: "No related case yet.",
    courses_title: "Courses",
    lookup_title: "Find a customer",
    lookup_placeholder: "Name, alias, pinyin or initials, e.g. zgyd",
    lookup_button: "Find",
    lookup_none: "No customer matches.",
    figures_hidden: "You do not own this account, so its figures are hidden.",
    tier_moved: "Tier change",
    details_title: "Figures and tier details",
    nav_search: "Search",
    search_placeholder: "Search playbooks, cases, courses…",
    search_button: "Search",
    results: "results",
    no_results: "Nothing matched.",
    no_results_hint: "Try a shorter word or another phrasing, or remove the filters:",
    partial_only: "Nothing matches every word; these results match most of them.",
    partial_after: "The first {n} match every word; the results after them match part of the query.",
    missing_words: "Missing: ",
    left_out_words: "Question words left out: ",
    did_you_mean: "Did you mean: ",
    related_playbooks: "Your query names a tier or scenario; these playbooks are a good start:",
    synonyms_link: "Search synonyms",
    synonyms_title: "Search synonyms",
    synonyms_intro: "When you search, any word of a group also finds the other words of its group (the word you typed ranks first). synonyms.yaml in the content directory changes this list; it applies at the next start and needs no reindex.",
    remove_filters: "Remove all filters",
    filters: "Filters",
    facet_kind: "Type",
    facet_lang: "Language",
    lang_zh: "Chinese",
    lang_en: "English",
    remove_filter: "remove this filter",
    misses_title: "Searches that found nothing",
    misses_intro: "What reps searched for and did not find: each is a content gap a trainer can fill.",
    misses_none: "No unanswered searches yet.",
    query: "Query",
    times: "Times",
    last_asked: "Last asked",
    nav_accounts: "Accounts",
    nav_pareto: "Pareto",
    accounts_title: "Accounts and tiers",
    accounts_intro: "Each account's tier under the current tier model, best rank first. Open an account to see why it sits where it does.",
    filter_tier: "Tier",
    filter_region: "Region",
    filter_owner: "Owner",
    any: "Any",
    apply_filter: "Filter",
    col_name: "Name",
    col_score: "Score",
    col_rank: "Rank",
    col_percentile: "Percentile",
    col_industry: "Industry",
    previous_page: "Previous",
    next_page: "Next",
    no_accounts: "No accounts match. Import accounts with playbook import accounts or POST /api/v1/accounts/import.",
    export_csv: "Export tiers as CSV",
    overridden: "overridden",
    figures: "Figures",
    tier_explanation: "Why this tier",
    computed_tier: "Computed tier",
    contributions: "Contribution of each indicator",
    col_indicator: "Indicator",
    col_raw: "Recorded",
    col_normalised: "Normalised",
    col_weight: "Weight",
    col_points: "Points",
    rule: "Rule",
    score_rule: "How scores are computed",
    override_title: "Tier override",
    override_none: "No override.",
    override_by: "By",
    override_at: "At",
    override_reason: "Reason",
    override_submit: "Save override",
    override_remove: "Remove override",
    override_help: "A manager may set an account's tier by hand with a reason; recomputes keep it.",
    last_change: "Last tier change",
    no_change: "No tier change recorded yet.",
    not_recorded: "not recorded",
    yes: "yes",
    no: "no",
    aliases: "Aliases",
    no_score: "no score",
    pareto_title: "Pareto analysis (80/20)",
    pareto_intro: "The curve ranks accounts from the largest value down: the x axis is the cumulative share of accounts, the y axis the cumulative share of the value. The coloured bands are the tiers' share of accounts.",
    pareto_chart_label: "Pareto curve with tier bands",
    equal_share: "equal share",
    pareto_no_values: "Nothing to draw: the indicator's total is not positive, or there are no accounts yet.",
    key_figures: "Key figures",
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
            ("zh", Kind::Campaign) => "培训活动",
            (_, Kind::Playbook) => "Playbook",
            (_, Kind::Case) => "Case",
            (_, Kind::Course) => "Course",
            (_, Kind::Lesson) => "Lesson",
            (_, Kind::Campaign) => "Campaign",
        }
    }

    fn zh(&self) -> bool {
        self.lang == "zh"
    }

    /// The name of an account indicator.
    pub fn indicator(&self, indicator: Indicator) -> &'static str {
        if self.zh() {
            return indicator.label_zh();
        }
        match indicator {
            Indicator::Revenue => "Revenue",
            Indicator::Profit => "Profit",
            Indicator::Collected => "Collected payments",
            Indicator::Transactions => "Transactions",
            Indicator::CooperationYears => "Years of cooperation",
            Indicator::OverdueDays => "Overdue days",
            Indicator::ProductLines => "Product lines",
            Indicator::PotentialCustomer => "Customer score",
            Indicator::PotentialService => "Service score",
            Indicator::Referral => "Referral",
        }
    }

    pub fn credit(&self, credit: CreditRating) -> &'static str {
        match (self.zh(), credit) {
            (true, CreditRating::Good) => "良好",
            (true, CreditRating::Fair) => "一般",
            (true, CreditRating::Poor) => "较差",
            (true, CreditRating::None) => "无信用",
            (false, CreditRating::Good) => "good",
            (false, CreditRating::Fair) => "fair",
            (false, CreditRating::Poor) => "poor",
            (false, CreditRating::None) => "no credit",
        }
    }

    pub fn flag(&self, label: &str) -> &'static str {
        match (self.zh(), label) {
            (true, "picky") => "挑剔",
            (true, "strict") => "严格",
            (false, "picky") => "Picky",
            (false, "strict") => "Strict",
            _ => "",
        }
    }

    pub fn direction(&self, direction: Direction) -> &'static str {
        match (self.zh(), direction) {
            (true, Direction::Up) => "升级",
            (true, Direction::Down) => "降级",
            (true, Direction::New) => "首次分级",
            (true, Direction::Changed) => "层级变更",
            (false, Direction::Up) => "moved up",
            (false, Direction::Down) => "moved down",
            (false, Direction::New) => "first tiered",
            (false, Direction::Changed) => "changed",
        }
    }

    /// "Showing 1–50 of 2,012 accounts".
    pub fn showing(&self, from: usize, to: usize, total: usize) -> String {
        use crate::web::labels::count;
        let (from, to, total) = (count(from), count(to), count(total));
        if self.zh() {
            format!("共 {total} 个客户，当前第 {from}–{to} 个")
        } else {
            format!("Showing {from}–{to} of {total} accounts")
        }
    }

    pub fn pareto_x_axis(&self, indicator: Indicator) -> String {
        if self.zh() {
            format!("客户累计占比（按{}从高到低）", indicator.label_zh())
        } else {
            format!(
                "Cumulative share of accounts (by {}, largest first)",
                self.indicator(indicator).to_lowercase()
            )
        }
    }

    pub fn pareto_y_axis(&self, indicator: Indicator) -> String {
        if self.zh() {
            format!("{}累计占比", indicator.label_zh())
        } else {
            format!(
                "Cumulative share of {}",
                self.indicator(indicator).to_lowercase()
            )
        }
    }

    /// The key figures of a Pareto analysis in words. Amounts are already formatted.
    pub fn pareto_sentences(&self, figures: &ParetoFigures) -> Vec<String> {
        use crate::web::labels::count;
        let ind = self.indicator(figures.indicator);
        let mut out = Vec::new();
        let zh = self.zh();
        if let Some(share) = figures.top20_share {
            out.push(if zh {
                format!(
                    "前 20% 的客户（{} 家）贡献了 {share:.1}% 的{ind}。",
                    count(figures.top20_count)
                )
            } else {
                format!(
                    "The top 20% of accounts ({}) hold {share:.1}% of {}.",
                    count(figures.top20_count),
                    ind.to_lowercase()
                )
            });
        }
        if let Some(n) = figures.accounts_for_80pct {
            let n = count(n);
            out.push(if zh {
                format!(
                    "只需 {n} 家客户（占 {:.1}%）即达到{ind}总额的 80%。",
                    figures.accounts_for_80pct_share
                )
            } else {
                format!(
                    "{n} accounts ({:.1}% of all) make up 80% of the total.",
                    figures.accounts_for_80pct_share
                )
            });
        }
        if let Some(gini) = figures.gini {
            out.push(if zh {
                format!("基尼系数 {gini:.2}（0 为完全平均，1 为全部集中在一家）。")
            } else {
                format!("Gini coefficient {gini:.2} (0 = evenly spread, 1 = all in one account).")
            });
        }
        out.push(if zh {
            format!(
                "{ind}总额 {}；最末 10% 的客户（{} 家）合计 {}。",
                figures.total,
                count(figures.bottom10_count),
                figures.bottom10_sum
            )
        } else {
            format!(
                "Total {}; the bottom 10% of accounts ({}) add up to {}.",
                figures.total,
                count(figures.bottom10_count),
                figures.bottom10_sum
            )
        });
        out
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
