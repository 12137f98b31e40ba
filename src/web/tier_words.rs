//! The tier model and tier changes in words people read, in both UI languages: names of the
//! presets, cut and score methods, normalisations and scorecard groups (never their JSON ids),
//! each tier's cut as "前 1%（21 家）" / "top 1% (21 accounts)", the score as a sentence, the
//! model's validation errors, recompute triggers, times and grouped numbers. Shared by the tier
//! model and tier change pages; no handler here.

use crate::domain::tiering::{
    CutMethod, Direction, Group, Indicator, ModelError, Normalisation, Preset, ResolvedCut,
    ScoreMethod, TierDef,
};
use crate::domain::Lang;
use crate::web::i18n::Ui;

fn t(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// A tier's label in the UI language.
pub fn tier_name(def: &TierDef, lang: Lang) -> String {
    match lang {
        Lang::Zh => def.label_zh.clone(),
        Lang::En => def.label_en.clone(),
    }
}

/// `2012` → `2,012` (the pages' one number format).
pub use crate::web::labels::count as grouped;

/// A cut point or weight as typed: `1`, `12.5`.
pub fn number(v: f64) -> String {
    format!("{v}")
}

/// A share of 1 as a percentage: `0.5` → `50%`, `0.125` → `12.5%`.
pub fn share(part: f64, whole: f64) -> String {
    let pct = if whole > 0.0 {
        100.0 * part / whole
    } else {
        0.0
    };
    let rounded = (pct * 10.0).round() / 10.0;
    format!("{}%", number(rounded))
}

pub fn preset_name(preset: Preset, lang: Lang) -> &'static str {
    match preset {
        Preset::Pyramid => t(
            lang,
            "金字塔（战略 1% · 主要 19% · 普通 30% · 小客户 50%）",
            "Pyramid (strategic 1% · major 19% · ordinary 30% · small 50%)",
        ),
        Preset::Vip => t(
            lang,
            "VIP 型（VIP 1% · 主要 5% · 普通 14% · 小客户 80%）",
            "VIP (VIP 1% · major 5% · ordinary 14% · small 80%)",
        ),
    }
}

pub fn custom_layout_name(lang: Lang) -> &'static str {
    t(lang, "自定义层级", "Custom tiers")
}

/// The cut method's form value and name.
pub const CUT_METHODS: [&str; 3] = ["percent_of_accounts", "share_of_value", "threshold"];

pub fn cut_method_name(method: &str, lang: Lang) -> &'static str {
    match method {
        "share_of_value" => t(
            lang,
            "按价值累计占比（ABC 分类）",
            "By share of total value (ABC)",
        ),
        "threshold" => t(lang, "按得分门槛", "By score threshold"),
        _ => t(lang, "按客户数占比（排名）", "By share of accounts (rank)"),
    }
}

pub fn cut_method_help(method: &str, lang: Lang) -> &'static str {
    match method {
        "share_of_value" => t(
            lang,
            "按得分从高到低累加：累计达到总价值某一比例的客户归入较高层级。",
            "Accounts are added up from the highest score down; those that together reach a share of the total value go to the higher tier.",
        ),
        "threshold" => t(
            lang,
            "得分达到门槛的客户归入该层级，门槛从高到低。",
            "An account whose score reaches a tier's threshold is in that tier; thresholds go from high to low.",
        ),
        _ => t(
            lang,
            "按得分排名：排名靠前的一定比例的客户归入较高层级；分界值是累计比例。得分相同的客户同级。",
            "By score rank: the top share of accounts goes to the higher tier; cut points are cumulative. Equal scores share the better tier.",
        ),
    }
}

pub fn cut_method_of(cut: &CutMethod) -> &'static str {
    match cut {
        CutMethod::PercentOfAccounts { .. } => CUT_METHODS[0],
        CutMethod::ShareOfValue { .. } => CUT_METHODS[1],
        CutMethod::Threshold { .. } => CUT_METHODS[2],
    }
}

pub fn resolved_cut_method(cut: &ResolvedCut) -> (&'static str, &[f64]) {
    match cut {
        ResolvedCut::Percent(p) => (CUT_METHODS[0], p),
        ResolvedCut::Share(p) => (CUT_METHODS[1], p),
        ResolvedCut::Threshold(p) => (CUT_METHODS[2], p),
    }
}

/// The text before and after a cut point's input on the form, for tier `i`.
pub fn cut_input_words(method: &str, lang: Lang) -> (&'static str, &'static str) {
    match method {
        "share_of_value" => (
            t(lang, "累计价值达到", "until"),
            t(lang, "%", "% of total value"),
        ),
        "threshold" => (t(lang, "得分 ≥", "score ≥"), ""),
        _ => (
            t(lang, "排名前", "top"),
            t(lang, "% 的客户（累计）", "% of accounts (cumulative)"),
        ),
    }
}

/// Which accounts tier `i` of `k` holds under `cut`, with `n` accounts: "前 1%（21 家）".
pub fn cut_rule(cut: &ResolvedCut, i: usize, k: usize, n: usize, lang: Lang) -> String {
    let (method, points) = resolved_cut_method(cut);
    let last = i + 1 >= k;
    let upto = |p: f64| (n as f64 * p / 100.0).ceil() as usize;
    match method {
        "percent_of_accounts" => {
            if last {
                let from = points.last().map_or(0, |&p| upto(p));
                return match lang {
                    Lang::Zh => format!(
                        "其余客户（第 {} 名起，以及没有得分的客户）",
                        grouped(from + 1)
                    ),
                    Lang::En => format!(
                        "the rest (rank {} on, and accounts without a score)",
                        grouped(from + 1)
                    ),
                };
            }
            let p = points[i];
            if i == 0 {
                match lang {
                    Lang::Zh => format!("前 {}%（{} 家）", number(p), grouped(upto(p))),
                    Lang::En => format!("top {}% ({} accounts)", number(p), grouped(upto(p))),
                }
            } else {
                let q = points[i - 1];
                let (a, b) = (upto(q) + 1, upto(p));
                match lang {
                    Lang::Zh => format!(
                        "前 {}% 之后到前 {}%（第 {}–{} 名，{} 家）",
                        number(q),
                        number(p),
                        grouped(a),
                        grouped(b),
                        grouped((b + 1).saturating_sub(a))
                    ),
                    Lang::En => format!(
                        "after the top {}% up to the top {}% (ranks {}–{}, {} accounts)",
                        number(q),
                        number(p),
                        grouped(a),
                        grouped(b),
                        grouped((b + 1).saturating_sub(a))
                    ),
                }
            }
        }
        "share_of_value" => {
            if last {
                return t(lang, "其余客户", "the rest").to_owned();
            }
            let p = points[i];
            if i == 0 {
                match lang {
                    Lang::Zh => format!("合计占总价值前 {}% 的头部客户", number(p)),
                    Lang::En => format!(
                        "the top accounts that together hold the first {}% of total value",
                        number(p)
                    ),
                }
            } else {
                match lang {
                    Lang::Zh => format!(
                        "累计价值 {}% 之后到 {}% 的客户",
                        number(points[i - 1]),
                        number(p)
                    ),
                    Lang::En => format!(
                        "the accounts that bring the running total from {}% to {}% of total value",
                        number(points[i - 1]),
                        number(p)
                    ),
                }
            }
        }
        _ => {
            if last {
                return match (points.last(), lang) {
                    (Some(&p), Lang::Zh) => format!("得分低于 {}，或没有得分", number(p)),
                    (Some(&p), Lang::En) => {
                        format!("score below {}, or no score", number(p))
                    }
                    (None, _) => t(lang, "其余客户", "the rest").to_owned(),
                };
            }
            let p = points[i];
            if i == 0 {
                match lang {
                    Lang::Zh => format!("得分 ≥ {}", number(p)),
                    Lang::En => format!("score ≥ {}", number(p)),
                }
            } else {
                match lang {
                    Lang::Zh => format!("得分 ≥ {}（且低于 {}）", number(p), number(points[i - 1])),
                    Lang::En => format!(
                        "score ≥ {} (and below {})",
                        number(p),
                        number(points[i - 1])
                    ),
                }
            }
        }
    }
}

pub const SCORE_METHODS: [&str; 3] = ["weighted", "scorecard", "single"];

pub fn score_method_name(method: &str, lang: Lang) -> &'static str {
    match method {
        "single" => t(lang, "单一指标", "One indicator"),
        "scorecard" => t(lang, "价值计分卡", "Value scorecard"),
        _ => t(lang, "加权综合得分", "Weighted score"),
    }
}

pub fn score_method_of(score: &ScoreMethod) -> &'static str {
    match score {
        ScoreMethod::Weighted { .. } => "weighted",
        ScoreMethod::Scorecard { .. } => "scorecard",
        ScoreMethod::Single { .. } => "single",
    }
}

pub const NORMALISATIONS: [Normalisation; 3] = [
    Normalisation::LogMinMax,
    Normalisation::MinMax,
    Normalisation::RankPercentile,
];

pub fn normalisation_name(n: Normalisation, lang: Lang) -> &'static str {
    match n {
        Normalisation::LogMinMax => t(lang, "对数缩放（默认）", "Log scale (default)"),
        Normalisation::MinMax => t(lang, "线性缩放（最小–最大）", "Linear scale (min–max)"),
        Normalisation::RankPercentile => t(lang, "排名百分位", "Rank percentile"),
    }
}

/// The scaling's name inside a sentence (without "default").
fn normalisation_short(n: Normalisation, lang: Lang) -> &'static str {
    match n {
        Normalisation::LogMinMax => t(lang, "对数缩放", "log scale"),
        Normalisation::MinMax => t(lang, "线性缩放", "linear scale"),
        Normalisation::RankPercentile => t(lang, "排名百分位", "rank percentile"),
    }
}

pub fn normalisation_help(n: Normalisation, lang: Lang) -> &'static str {
    match n {
        Normalisation::LogMinMax => t(
            lang,
            "先取对数再换算到 0–100：保留大小差距，但一家超大客户不会把其他客户都压到接近 0。",
            "Takes the logarithm, then puts it on 0–100: keeps how much bigger an account is, but one very large account does not squash the others to near 0.",
        ),
        Normalisation::MinMax => t(
            lang,
            "从最小值（0 分）到最大值（100 分）线性换算；一家超大客户会把其他客户压到接近 0。",
            "Linear from the smallest value (0) to the largest (100); one very large account squashes the others to near 0.",
        ),
        Normalisation::RankPercentile => t(
            lang,
            "只看排名先后，不看差距大小。",
            "Order only: how far ahead an account is does not count.",
        ),
    }
}

pub fn group_name(g: Group, lang: Lang) -> &'static str {
    match g {
        Group::Financial => t(
            lang,
            "财务（销售额、利润、回款）",
            "Financial (revenue, profit, collected)",
        ),
        Group::Sales => t(
            lang,
            "销售（交易次数、产品线数）",
            "Sales (transactions, product lines)",
        ),
        Group::Customer => t(
            lang,
            "客户（客户指标评分、合作年限、转介绍）",
            "Customer (customer score, years, referral)",
        ),
        Group::Service => t(lang, "服务（服务指标评分）", "Service (service score)"),
    }
}

fn group_short(g: Group, lang: Lang) -> &'static str {
    match g {
        Group::Financial => t(lang, "财务", "financial"),
        Group::Sales => t(lang, "销售", "sales"),
        Group::Customer => t(lang, "客户", "customer"),
        Group::Service => t(lang, "服务", "service"),
    }
}

/// How the score is computed, as one sentence.
pub fn score_sentence(score: &ScoreMethod, lang: Lang) -> String {
    let ui = Ui::for_lang(lang);
    match score {
        ScoreMethod::Single { indicator } => {
            let name = ui.indicator(*indicator);
            match (indicator.lower_is_better(), lang) {
                (true, Lang::Zh) => format!("只看{name}，越少越好。"),
                (true, Lang::En) => format!("{name} alone; fewer is better."),
                (false, Lang::Zh) => format!("只看{name}（原始数值，不换算）。"),
                (false, Lang::En) => format!("{name} alone (the value as recorded, not rescaled)."),
            }
        }
        ScoreMethod::Weighted {
            weights,
            normalisation,
        } => {
            let sum: f64 = weights.values().sum();
            let terms: Vec<String> = weights
                .iter()
                .filter(|(_, w)| **w > 0.0)
                .map(|(i, w)| match lang {
                    Lang::Zh => format!("{} {}", ui.indicator(*i), share(*w, sum)),
                    Lang::En => format!("{} {}", share(*w, sum), ui.indicator(*i).to_lowercase()),
                })
                .collect();
            let norm = normalisation_short(*normalisation, lang);
            match lang {
                Lang::Zh => format!(
                    "得分 = {}；每个指标先按{}换算成 0–100 分，缺失的指标计 0 分。",
                    terms.join(" + "),
                    norm
                ),
                Lang::En => format!(
                    "Score = {}; each indicator is first put on 0–100 ({}); a missing one counts 0.",
                    terms.join(" + "),
                    norm.to_lowercase()
                ),
            }
        }
        ScoreMethod::Scorecard {
            groups,
            normalisation,
        } => {
            let sum: f64 = groups.values().sum();
            let terms: Vec<String> = groups
                .iter()
                .filter(|(_, w)| **w > 0.0)
                .map(|(g, w)| match lang {
                    Lang::Zh => format!("{} {}", group_short(*g, lang), share(*w, sum)),
                    Lang::En => format!("{} {}", share(*w, sum), group_short(*g, lang)),
                })
                .collect();
            let norm = normalisation_short(*normalisation, lang);
            match lang {
                Lang::Zh => format!(
                    "价值计分卡 = {}；每组 0–100 分，测量指标按{}换算，人工评分直接使用，缺失的指标计 0 分。",
                    terms.join(" + "),
                    norm
                ),
                Lang::En => format!(
                    "Scorecard = {}; each group on 0–100, measured indicators rescaled ({}), people's marks used as given, a missing one counts 0.",
                    terms.join(" + "),
                    norm.to_lowercase()
                ),
            }
        }
    }
}

/// A recompute's trigger in words.
pub fn trigger_name(trigger: &str, lang: Lang) -> &'static str {
    match trigger {
        "import" => t(lang, "导入客户数据", "account import"),
        "tier_model" => t(lang, "分级模型变更", "tier model change"),
        "override" => t(lang, "手动调整分级", "manual override"),
        "start" => t(lang, "服务器启动时重新计算", "recomputed at start"),
        _ => t(lang, "重新计算", "recompute"),
    }
}

pub fn direction_class(direction: Direction) -> &'static str {
    match direction {
        Direction::Up => "up",
        Direction::Down => "down",
        Direction::New => "new",
        Direction::Changed => "changed",
    }
}

/// The name of a model field (a JSON path of [`ModelError::field`]) on the form; tier labels
/// name the cut points.
pub fn field_label(field: &str, tiers: &[TierDef], lang: Lang) -> String {
    if let Some(i) = cut_index(field) {
        return match tiers.get(i) {
            Some(tier) => match lang {
                Lang::Zh => format!("{}的分界值", tier_name(tier, lang)),
                Lang::En => format!("Cut point of {}", tier_name(tier, lang)),
            },
            None => t(lang, "分界值", "Cut points").to_owned(),
        };
    }
    if let Some(name) = field.strip_prefix("score.weights.") {
        let ui = Ui::for_lang(lang);
        let ind = Indicator::parse(name).map_or(name.to_owned(), |i| ui.indicator(i).to_owned());
        return match lang {
            Lang::Zh => format!("{ind}的权重"),
            Lang::En => format!("Weight of {}", ind.to_lowercase()),
        };
    }
    if let Some(name) = field.strip_prefix("score.groups.") {
        let g = Group::ALL.into_iter().find(|g| g.name() == name);
        let label = g.map_or(name, |g| group_short(g, lang));
        return match lang {
            Lang::Zh => format!("{label}组的权重"),
            Lang::En => format!("Weight of the {label} group"),
        };
    }
    if let Some(rest) = field.strip_prefix("tiers[") {
        let n: usize = rest
            .split(']')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        return match lang {
            Lang::Zh => format!("第 {} 个层级", n + 1),
            Lang::En => format!("Tier {}", n + 1),
        };
    }
    match field {
        "preset" | "layout" => t(lang, "层级结构", "Tier layout"),
        "tiers" => t(lang, "层级", "Tiers"),
        "cut" | "cut.method" => t(lang, "分界方法", "Cut method"),
        "cut.percents" | "cut.shares" | "cut.thresholds" => t(lang, "分界值", "Cut points"),
        "score" | "score.method" => t(lang, "得分方法", "Score method"),
        "score.indicator" => t(lang, "指标", "Indicator"),
        "score.normalisation" => t(lang, "缩放方式", "Scaling"),
        "score.weights" => t(lang, "指标权重", "Indicator weights"),
        "score.groups" => t(lang, "计分卡分组权重", "Scorecard group weights"),
        _ => t(lang, "JSON（高级）", "JSON (advanced)"),
    }
    .to_owned()
}

/// The cut point a field names (`cut.percents[1]`, `tiers[1].cut`, `preset[1]`), by boundary.
pub fn cut_index(field: &str) -> Option<usize> {
    let index = |rest: &str| rest.split(']').next().and_then(|n| n.parse().ok());
    for prefix in ["cut.percents[", "cut.shares[", "cut.thresholds[", "preset["] {
        if let Some(rest) = field.strip_prefix(prefix) {
            return index(rest);
        }
    }
    field
        .strip_prefix("tiers[")
        .filter(|rest| rest.ends_with("].cut"))
        .and_then(index)
}

/// The number in "(got 20)" or the pair in "(20 after 20)" of a domain message.
fn parenthesised(message: &str) -> Option<&str> {
    let start = message.rfind('(')?;
    message[start + 1..].strip_suffix(')')
}

/// A model validation message in the UI language. The English is the domain's own.
pub fn model_message(error: &ModelError, lang: Lang) -> String {
    let m = error.message.as_str();
    if lang == Lang::En {
        return m.to_owned();
    }
    let got = || {
        parenthesised(m)
            .and_then(|p| p.strip_prefix("got "))
            .map(|v| format!("（现为 {v}）"))
            .unwrap_or_default()
    };
    let after = || {
        parenthesised(m)
            .and_then(|p| p.split_once(" after "))
            .map(|(p, prev)| format!("（{prev} 之后是 {p}）"))
            .unwrap_or_default()
    };
    if m.starts_with("percent of accounts must be") {
        format!("客户占比须大于 0 且小于 100{}", got())
    } else if m.starts_with("share of value must be") {
        format!("价值占比须大于 0 且不超过 100{}", got())
    } else if m.starts_with("thresholds must decrease") {
        format!("得分门槛须从高到低排列{}", after())
    } else if m.starts_with("cut points must increase") {
        format!("分界值须逐级增大{}", after())
    } else if m.starts_with("cut point must be a finite number") {
        "分界值须是数字".to_owned()
    } else if m.starts_with("weight must be") {
        format!("权重须是不小于 0 的数字{}", got())
    } else if m.starts_with("weights must sum") {
        "权重之和须大于 0".to_owned()
    } else if m.starts_with("at least one weight") {
        "至少需要一个大于 0 的权重".to_owned()
    } else if m.starts_with("at least 2 tiers") {
        "至少需要 2 个层级".to_owned()
    } else if m.starts_with("a tier id must be") {
        "层级标识须为 1–64 个字符，不含空格".to_owned()
    } else if m.starts_with("duplicate tier id") {
        "层级标识重复".to_owned()
    } else if m.starts_with("the last tier takes") {
        "最后一个层级包含其余所有客户，不需要分界值".to_owned()
    } else if m.starts_with("cut points are given both") {
        "分界值只能在一处给出（分界方法里或各层级里）".to_owned()
    } else if m.starts_with("expected ") && m.contains("cut points") {
        "分界值的个数须比层级数少 1".to_owned()
    } else if m.starts_with("missing cut point") {
        "缺少分界值（除最后一个层级外，每个层级都需要）".to_owned()
    } else if m.contains("preset's cut points are for 4 tiers") {
        "预设的分界值只适用于 4 个层级，请为每个层级给出分界值".to_owned()
    } else if m.contains("needs cut points") {
        "此分界方法需要分界值".to_owned()
    } else if m.starts_with("not used by method") {
        "当前方法不使用此项，请删除".to_owned()
    } else if m.starts_with("unknown preset") {
        "未知的层级结构（可选 pyramid、vip）".to_owned()
    } else if m.starts_with("unknown method") {
        "未知的方法".to_owned()
    } else if m.starts_with("unknown indicator") {
        "未知的指标".to_owned()
    } else if m.starts_with("unknown normalisation") {
        "未知的缩放方式".to_owned()
    } else if m.starts_with("unknown group") {
        "未知的计分卡分组".to_owned()
    } else if m.starts_with("missing") {
        "缺少此项".to_owned()
    } else if m.starts_with("the tier model is a JSON object") {
        "分级模型须是一个 JSON 对象，例如 {\"preset\":\"pyramid\"}".to_owned()
    } else if let Some(at) = m.find(" at line ") {
        let position = &m[at + " at line ".len()..];
        match position.split_once(" column ") {
            Some((line, column)) => format!("JSON 无法读取（第 {line} 行第 {column} 列附近）"),
            None => "JSON 无法读取".to_owned(),
        }
    } else {
        "此项的值无效".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(json: &str) -> crate::domain::tiering::ResolvedModel {
        crate::domain::tiering::TierModel::from_json(json)
            .unwrap()
            .resolve()
            .unwrap()
    }

    #[test]
    fn the_cut_reads_as_a_share_with_the_number_of_accounts() {
        let model = resolved("{}");
        let cut = model.cut();
        assert_eq!(cut_rule(cut, 0, 4, 2012, Lang::Zh), "前 1%（21 家）");
        assert_eq!(cut_rule(cut, 0, 4, 2012, Lang::En), "top 1% (21 accounts)");
        assert_eq!(
            cut_rule(cut, 1, 4, 2012, Lang::En),
            "after the top 1% up to the top 20% (ranks 22–403, 382 accounts)"
        );
        assert!(cut_rule(cut, 3, 4, 2012, Lang::Zh).starts_with("其余客户（第 1,007 名起"));
    }

    #[test]
    fn the_score_sentence_names_no_raw_ids() {
        let model = resolved("{}");
        let zh = score_sentence(model.score(), Lang::Zh);
        assert_eq!(
            zh,
            "得分 = 销售额 50% + 利润 30% + 回款金额 20%；每个指标先按对数缩放换算成 0–100 分，缺失的指标计 0 分。"
        );
        let en = score_sentence(model.score(), Lang::En);
        assert!(
            !en.contains("log_min_max") && en.contains("50% revenue"),
            "{en}"
        );
    }

    #[test]
    fn domain_messages_read_in_chinese_with_their_numbers() {
        let cases = [
            (
                r#"{"cut":{"method":"percent_of_accounts","percents":[1,20,20]}}"#,
                "分界值须逐级增大（20 之后是 20）",
            ),
            (
                r#"{"cut":{"method":"percent_of_accounts","percents":[1,20,120]}}"#,
                "客户占比须大于 0 且小于 100（现为 120）",
            ),
            (
                r#"{"cut":{"method":"threshold","thresholds":[90,30,60]}}"#,
                "得分门槛须从高到低排列（30 之后是 60）",
            ),
            (
                r#"{"score":{"method":"weighted","weights":{"revenue":0}}}"#,
                "权重之和须大于 0",
            ),
            (
                r#"{"score":{"method":"weighted","weights":{"revenue":-1}}}"#,
                "权重须是不小于 0 的数字（现为 -1）",
            ),
            (r#"{"cut":{"method":"threshold"}}"#, "此分界方法需要分界值"),
            ("{\"preset\":", "JSON 无法读取（第 1 行第 10 列附近）"),
        ];
        for (json, expected) in cases {
            let error = crate::domain::tiering::TierModel::from_json(json).unwrap_err();
            assert_eq!(model_message(&error, Lang::Zh), expected, "{json}: {error}");
        }
    }

    #[test]
    fn fields_are_named_as_the_form_names_them() {
        let tiers = resolved("{}").tiers().to_vec();
        assert_eq!(
            field_label("cut.percents[1]", &tiers, Lang::Zh),
            "主要客户的分界值"
        );
        assert_eq!(
            field_label("tiers[0].cut", &tiers, Lang::En),
            "Cut point of Strategic"
        );
        assert_eq!(
            field_label("score.weights.profit", &tiers, Lang::Zh),
            "利润的权重"
        );
        assert_eq!(
            field_label("score.weights", &tiers, Lang::En),
            "Indicator weights"
        );
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(2012), "2,012");
        assert_eq!(grouped(86_400_000), "86,400,000");
    }
}
