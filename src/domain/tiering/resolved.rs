//! The resolved model: tier definitions and cut points ready to apply, and the score explained.

use super::*;

/// A tier with its labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TierDef {
    pub id: String,
    pub label_zh: String,
    pub label_en: String,
}

impl TierDef {
    /// DOMAIN.md §8 labels for the known ids; the id itself otherwise.
    pub fn known(id: &str) -> TierDef {
        let (zh, en) = match id {
            "strategic" => ("重要(战略)客户", "Strategic"),
            "vip" => ("VIP客户", "VIP"),
            "major" => ("主要客户", "Major"),
            "ordinary" => ("普通客户", "Ordinary"),
            "small" => ("小客户", "Small"),
            other => (other, other),
        };
        TierDef {
            id: id.to_string(),
            label_zh: zh.to_string(),
            label_en: en.to_string(),
        }
    }
}

/// The K − 1 cut points of a valid model.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "method", content = "points", rename_all = "snake_case")]
pub enum ResolvedCut {
    Percent(Vec<f64>),
    Share(Vec<f64>),
    Threshold(Vec<f64>),
}

/// A validated model: tiers best first, cut points, score method. Only
/// [`TierModel::resolve`] builds one, so it is always valid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedModel {
    pub(super) tiers: Vec<TierDef>,
    pub(super) cut: ResolvedCut,
    pub(super) score: ScoreMethod,
}

impl ResolvedModel {
    /// Tiers, best first (at least 2).
    pub fn tiers(&self) -> &[TierDef] {
        &self.tiers
    }

    /// The K − 1 cut points.
    pub fn cut(&self) -> &ResolvedCut {
        &self.cut
    }

    pub fn score(&self) -> &ScoreMethod {
        &self.score
    }

    /// Position of a tier id, 0 = best.
    pub fn tier_index(&self, id: &str) -> Option<usize> {
        self.tiers.iter().position(|t| t.id == id)
    }

    /// One sentence per language describing how scores are computed, normalisation included.
    pub fn explain_score(&self) -> Rule {
        match &self.score {
            ScoreMethod::Single { indicator } => {
                let unit = if indicator.is_money() { " (yuan)" } else { "" };
                let unit_zh = if indicator.is_money() {
                    "（元）"
                } else {
                    ""
                };
                if indicator.lower_is_better() {
                    Rule {
                        en: format!("score = −{}, fewer is better", indicator.label_en()),
                        zh: format!("得分 = −{}（越少越好）", indicator.label_zh()),
                    }
                } else {
                    Rule {
                        en: format!("score = {}{unit}, not normalised", indicator.label_en()),
                        zh: format!("得分 = {}{unit_zh}，不归一化", indicator.label_zh()),
                    }
                }
            }
            ScoreMethod::Weighted {
                weights,
                normalisation,
            } => {
                let sum: f64 = weights.values().sum();
                let terms: Vec<(String, String)> = weights
                    .iter()
                    .filter(|(_, w)| **w > 0.0)
                    .map(|(i, w)| {
                        let w = fmt_num(w / sum, 4);
                        (
                            format!("{w} × {}", i.label_en()),
                            format!("{w}×{}", i.label_zh()),
                        )
                    })
                    .collect();
                Rule {
                    en: format!(
                        "score = {} on 0–100, each indicator scaled by {} over the accounts \
                         that have it; a missing indicator counts 0",
                        terms
                            .iter()
                            .map(|t| t.0.as_str())
                            .collect::<Vec<_>>()
                            .join(" + "),
                        normalisation.label_en()
                    ),
                    zh: format!(
                        "得分 = {}（0–100），各指标按{}归一化，缺失指标计 0 分",
                        terms
                            .iter()
                            .map(|t| t.1.as_str())
                            .collect::<Vec<_>>()
                            .join(" + "),
                        normalisation.label_zh()
                    ),
                }
            }
            ScoreMethod::Scorecard {
                groups,
                normalisation,
            } => {
                let sum: f64 = groups.values().sum();
                let terms: Vec<(String, String)> = groups
                    .iter()
                    .filter(|(_, w)| **w > 0.0)
                    .map(|(g, w)| {
                        let w = fmt_num(w / sum, 4);
                        (
                            format!("{w} × {}", g.name()),
                            format!("{w}×{}", g.label_zh()),
                        )
                    })
                    .collect();
                let join = |zh: bool| {
                    terms
                        .iter()
                        .map(|t| if zh { t.1.as_str() } else { t.0.as_str() })
                        .collect::<Vec<_>>()
                        .join(" + ")
                };
                Rule {
                    en: format!(
                        "scorecard = {} on 0–100; financial = the mean of revenue, profit and \
                         collected payments, sales = of transactions and product lines, customer \
                         = of the customer score, years of cooperation and referral, service = \
                         the service score; measured indicators scaled by {}, people's marks used \
                         as is; a missing indicator counts 0",
                        join(false),
                        normalisation.label_en()
                    ),
                    zh: format!(
                        "价值计分卡 = {}（0–100）；财务 = 销售额、利润、回款金额的平均，销售 = \
                         交易次数、产品线数的平均，客户 = 客户指标评分、合作年限、转介绍的平均，\
                         服务 = 服务指标评分；测量指标按{}归一化，人工评分直接使用；\
                         缺失指标计 0 分",
                        join(true),
                        normalisation.label_zh()
                    ),
                }
            }
        }
    }

    pub(super) fn score_tag(&self) -> (String, String) {
        match &self.score {
            ScoreMethod::Single { indicator } => (
                indicator.label_en().to_string(),
                indicator.label_zh().to_string(),
            ),
            ScoreMethod::Weighted { normalisation, .. } => (
                format!("weighted, {} scaling", normalisation.label_en()),
                format!("加权，{}归一化", normalisation.label_zh()),
            ),
            ScoreMethod::Scorecard { normalisation, .. } => (
                format!("scorecard, {} scaling", normalisation.label_en()),
                format!("计分卡，{}归一化", normalisation.label_zh()),
            ),
        }
    }
}
