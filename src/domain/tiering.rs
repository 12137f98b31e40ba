//! The tiering engine: value scores and customer tiers (DOMAIN.md §2 and §3).
//!
//! Pure domain code: no I/O, no HTTP, no storage, no threads. A [`TierModel`] is one JSON
//! document that says how accounts are scored and where the tier cut lines are;
//! [`compute_tiers`] turns a slice of [`Account`]s into one explainable [`TierAssignment`] per
//! account (in input order), and [`tier_changes`] compares two runs. For large recomputes that
//! only need tier / score / rank, [`ResolvedModel::run`] gives a compact [`TierRun`] whose
//! explanations are rendered per account on demand.
//!
//! The shape and semantics below are also written up in `MODEL.md` (README section).
//!
//! # The tier model document
//!
//! ```json
//! {
//!   "preset": "pyramid",
//!   "cut":   {"method": "percent_of_accounts"},
//!   "score": {"method": "weighted",
//!             "weights": {"revenue": 0.5, "profit": 0.3, "collected": 0.2},
//!             "normalisation": "log_min_max"}
//! }
//! ```
//!
//! Every key is optional; `{}` is [`TierModel::default`].
//!
//! * `preset`: `"pyramid"` (strategic / major / ordinary / small at cumulative 1 / 20 / 50 / 100 %
//!   of accounts, i.e. 1 / 19 / 30 / 50 %) or `"vip"` (vip / major / ordinary / small at
//!   1 / 6 / 20 / 100 %). Without `preset` and `tiers` the preset is `pyramid`.
//! * `tiers`: a custom list, best tier first, e.g.
//!   `[{"id":"strategic","cut":2},{"id":"major","cut":25},{"id":"ordinary","cut":60},{"id":"small"}]`.
//!   It replaces the preset's tier ids and, when its entries carry `cut`, the cut points.
//!   `label_zh` / `label_en` are optional (the DOMAIN.md §8 labels are used for known ids).
//!   Every tier but the last needs a `cut`; the last tier takes the rest (its `cut` may be omitted,
//!   or be 100 for the percent and share methods).
//! * `cut`: how the cut points are read; one number per boundary (tiers − 1 numbers):
//!   * `{"method":"percent_of_accounts"}` (default): cumulative % of accounts, the rank rule
//!     below. `percents` may be given in the object (`{"method":"percent_of_accounts",
//!     "percents":[1,20,50]}`); otherwise `tiers[].cut`, otherwise the preset's.
//!   * `{"method":"share_of_value","shares":[50,80,95]}`: ABC style. Boundary k is the smallest
//!     number m_k of top accounts whose summed score reaches shares_k % of the total score;
//!     accounts ranked ≤ m_k are in tier k or better. Negative scores count as 0 value (a loss
//!     holds no share of value); when the total is 0 every account is in the last tier. When the
//!     score is a single integer indicator (money in fen, counts) the sums are exact `i128`.
//!   * `{"method":"threshold","thresholds":[90,60,30]}`: absolute score ≥ threshold_k → tier k
//!     (first that holds, thresholds descending); below the last → last tier. With a single money
//!     indicator the score and the thresholds are in major units (yuan), thresholds rounded to the
//!     fen and compared exactly.
//! * `score`: how an account's value score is computed:
//!   * `{"method":"single","indicator":"revenue"}`: the raw value (money in yuan). Indicators:
//!     `revenue`, `profit`, `collected`, `transactions`, `cooperation_years`, `overdue_days`,
//!     `product_lines`, `potential_customer`, `potential_service`, `referral` (1 / 0).
//!     `overdue_days` is lower-is-better, so its score is `−days`.
//!   * `{"method":"weighted","weights":{…},"normalisation":"log_min_max"}`: composite
//!     = Σ (w_i / Σw) × normalised_i, on 0–100. Weights must be ≥ 0 and sum to > 0; they are
//!     rescaled to sum to 1. A missing indicator contributes 0 points.
//!   * `{"method":"scorecard","groups":{"financial":0.4,"sales":0.2,"customer":0.2,"service":0.2}}`:
//!     the value scorecard, see [`ScoreMethod::Scorecard`].
//!
//! # Normalisations (each maps an indicator to 0–100 over the accounts that have a value)
//!
//! * `min_max`: 100 × (x − min) / (max − min); 100 for everyone when max = min.
//! * `log_min_max` (default): min_max applied to sign(x) × ln(1 + |x|), money taken in yuan. It
//!   keeps the order and the "how much bigger" but tames the heavy tail of revenue, so one huge
//!   account does not squash everybody else to ~0 and silence that indicator in a weighted sum.
//!   The signed log keeps negative profit below zero profit.
//! * `rank_percentile`: 100 × (number of accounts with a value ≤ x, minus 1) / (n − 1); 100 when
//!   n = 1. Ties get the better value, as in the rank rule.
//!
//! Lower-is-better indicators (`overdue_days`) are negated before normalising.
//!
//! # Rank rule (DOMAIN.md §2)
//!
//! Sort by score descending, ties by account id. Ranks are competition ranks: equal scores share
//! the best rank of their group (1, 2, 2, 4). The account at rank r of N belongs to the first tier
//! k with r ≤ ceil(N × cumulative_percent_k / 100) (computed exactly on integers); so a whole tie
//! group gets the tier of its best-ranked member, 10 accounts in `pyramid` give exactly one
//! strategic account and 0 accounts give an empty result. Accounts without a score (nothing
//! recorded for the score's indicators) are ranked after every scored account, share rank S + 1
//! (S = number of scored accounts) and are always put in the last tier; N counts all accounts.
//!
//! `percentile` = 100 × (number of accounts with a strictly lower score) / N, unscored accounts
//! counting as lowest: the unique best of 10 is 90, all-equal scores are all 0.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::account::{Account, Indicators};

// ------------------------------------------------------------------------------------------
// Errors
// ------------------------------------------------------------------------------------------

/// A tier model that cannot be used. `field` is the JSON path of the offending value
/// (`score.weights`, `tiers[2].cut`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelError {
    pub field: String,
    pub message: String,
}

impl ModelError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> ModelError {
        ModelError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for ModelError {}

// ------------------------------------------------------------------------------------------
// Vocabulary
// ------------------------------------------------------------------------------------------

/// An account indicator usable in a score (DOMAIN.md §8 names).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    Revenue,
    Profit,
    Collected,
    Transactions,
    CooperationYears,
    OverdueDays,
    ProductLines,
    PotentialCustomer,
    PotentialService,
    Referral,
}

impl Indicator {
    pub const ALL: [Indicator; 10] = [
        Indicator::Revenue,
        Indicator::Profit,
        Indicator::Collected,
        Indicator::Transactions,
        Indicator::CooperationYears,
        Indicator::OverdueDays,
        Indicator::ProductLines,
        Indicator::PotentialCustomer,
        Indicator::PotentialService,
        Indicator::Referral,
    ];

    /// The stable English id.
    pub fn name(self) -> &'static str {
        match self {
            Indicator::Revenue => "revenue",
            Indicator::Profit => "profit",
            Indicator::Collected => "collected",
            Indicator::Transactions => "transactions",
            Indicator::CooperationYears => "cooperation_years",
            Indicator::OverdueDays => "overdue_days",
            Indicator::ProductLines => "product_lines",
            Indicator::PotentialCustomer => "potential_customer",
            Indicator::PotentialService => "potential_service",
            Indicator::Referral => "referral",
        }
    }

    /// The Chinese label (DOMAIN.md §8).
    pub fn label_zh(self) -> &'static str {
        match self {
            Indicator::Revenue => "销售额",
            Indicator::Profit => "利润",
            Indicator::Collected => "回款金额",
            Indicator::Transactions => "交易次数",
            Indicator::CooperationYears => "合作年限",
            Indicator::OverdueDays => "逾期天数",
            Indicator::ProductLines => "产品线数",
            Indicator::PotentialCustomer => "客户指标评分",
            Indicator::PotentialService => "服务指标评分",
            Indicator::Referral => "转介绍",
        }
    }

    pub fn parse(name: &str) -> Option<Indicator> {
        Indicator::ALL.into_iter().find(|i| i.name() == name)
    }

    /// Money indicators, stored in minor units (fen).
    pub fn is_money(self) -> bool {
        matches!(
            self,
            Indicator::Revenue | Indicator::Profit | Indicator::Collected
        )
    }

    /// Fewer is better: the value is negated before scoring.
    pub fn lower_is_better(self) -> bool {
        matches!(self, Indicator::OverdueDays)
    }

    /// The recorded value as an exact integer (money in fen, counts, referral 1/0), or `None`
    /// when missing or not integer-valued (`cooperation_years`).
    pub fn exact(self, ind: &Indicators) -> Option<i128> {
        match self {
            Indicator::Revenue => ind.revenue.map(|m| i128::from(m.minor())),
            Indicator::Profit => ind.profit.map(|m| i128::from(m.minor())),
            Indicator::Collected => ind.collected.map(|m| i128::from(m.minor())),
            Indicator::Transactions => ind.transactions.map(i128::from),
            Indicator::CooperationYears => None,
            Indicator::OverdueDays => ind.overdue_days.map(i128::from),
            Indicator::ProductLines => ind.product_lines.map(i128::from),
            Indicator::PotentialCustomer => ind.potential_customer.map(i128::from),
            Indicator::PotentialService => ind.potential_service.map(i128::from),
            Indicator::Referral => ind.referral.map(i128::from),
        }
    }

    /// The recorded value in display units (money in yuan), `None` when missing or not finite.
    pub fn value(self, ind: &Indicators) -> Option<f64> {
        match self {
            Indicator::CooperationYears => ind.cooperation_years.filter(|v| v.is_finite()),
            Indicator::Revenue | Indicator::Profit | Indicator::Collected => {
                self.exact(ind).map(|m| m as f64 / 100.0)
            }
            _ => self.exact(ind).map(|v| v as f64),
        }
    }
}

fn indicator_list() -> String {
    Indicator::ALL
        .iter()
        .map(|i| i.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// How a measured indicator is mapped to 0–100 (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Normalisation {
    RankPercentile,
    MinMax,
    #[default]
    LogMinMax,
}

impl Normalisation {
    pub fn name(self) -> &'static str {
        match self {
            Normalisation::RankPercentile => "rank_percentile",
            Normalisation::MinMax => "min_max",
            Normalisation::LogMinMax => "log_min_max",
        }
    }

    fn label_zh(self) -> &'static str {
        match self {
            Normalisation::RankPercentile => "排名百分位",
            Normalisation::MinMax => "最小-最大",
            Normalisation::LogMinMax => "对数最小-最大",
        }
    }

    fn parse(name: &str) -> Option<Normalisation> {
        [
            Normalisation::RankPercentile,
            Normalisation::MinMax,
            Normalisation::LogMinMax,
        ]
        .into_iter()
        .find(|n| n.name() == name)
    }
}

/// The four groups of the value scorecard (DOMAIN.md §3.3).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    Financial,
    Sales,
    Customer,
    Service,
}

impl Group {
    pub const ALL: [Group; 4] = [
        Group::Financial,
        Group::Sales,
        Group::Customer,
        Group::Service,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Group::Financial => "financial",
            Group::Sales => "sales",
            Group::Customer => "customer",
            Group::Service => "service",
        }
    }

    /// The group's indicators. Growth (sales), scale, industry position (customer),
    /// satisfaction, complaints and cost to serve (service) are not recorded as separate
    /// columns; the people-scored `potential_*` marks stand in for them.
    pub fn members(self) -> &'static [Indicator] {
        match self {
            Group::Financial => &[Indicator::Revenue, Indicator::Profit, Indicator::Collected],
            Group::Sales => &[Indicator::Transactions, Indicator::ProductLines],
            Group::Customer => &[
                Indicator::PotentialCustomer,
                Indicator::CooperationYears,
                Indicator::Referral,
            ],
            Group::Service => &[Indicator::PotentialService],
        }
    }

    fn parse(name: &str) -> Option<Group> {
        Group::ALL.into_iter().find(|g| g.name() == name)
    }
}

/// Indicators that are already on an absolute 0–100 scale inside the scorecard: people's marks
/// (clamped to 100) and referral (100 / 0).
fn scorecard_absolute(ind: Indicator) -> bool {
    matches!(
        ind,
        Indicator::PotentialCustomer | Indicator::PotentialService | Indicator::Referral
    )
}

fn absolute_value(ind: Indicator, v: &Indicators) -> Option<f64> {
    match ind {
        Indicator::PotentialCustomer => v.potential_customer.map(|s| f64::from(s.min(100))),
        Indicator::PotentialService => v.potential_service.map(|s| f64::from(s.min(100))),
        Indicator::Referral => v.referral.map(|r| if r { 100.0 } else { 0.0 }),
        _ => None,
    }
}

// ------------------------------------------------------------------------------------------
// The model document
// ------------------------------------------------------------------------------------------

/// A built-in tier layout (DOMAIN.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// strategic / major / ordinary / small at cumulative 1 / 20 / 50 / 100 % of accounts.
    Pyramid,
    /// vip / major / ordinary / small at cumulative 1 / 6 / 20 / 100 % of accounts.
    Vip,
}

impl Preset {
    pub fn name(self) -> &'static str {
        match self {
            Preset::Pyramid => "pyramid",
            Preset::Vip => "vip",
        }
    }

    /// Tier ids, best first.
    pub fn tier_ids(self) -> [&'static str; 4] {
        match self {
            Preset::Pyramid => ["strategic", "major", "ordinary", "small"],
            Preset::Vip => ["vip", "major", "ordinary", "small"],
        }
    }

    /// Cumulative percent of accounts at the three boundaries.
    pub fn percents(self) -> [f64; 3] {
        match self {
            Preset::Pyramid => [1.0, 20.0, 50.0],
            Preset::Vip => [1.0, 6.0, 20.0],
        }
    }

    fn parse(name: &str) -> Option<Preset> {
        [Preset::Pyramid, Preset::Vip]
            .into_iter()
            .find(|p| p.name() == name)
    }
}

/// One entry of a custom `tiers` list. The meaning of `cut` follows the cut method:
/// cumulative % of accounts, cumulative % of value, or minimum score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierSpec {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_zh: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_en: Option<String>,
}

/// Where the cut lines go. The optional lists hold one number per boundary (tiers − 1).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum CutMethod {
    /// Cumulative percent of accounts, the rank rule.
    PercentOfAccounts {
        #[serde(skip_serializing_if = "Option::is_none")]
        percents: Option<Vec<f64>>,
    },
    /// Cumulative percent of total value (ABC).
    ShareOfValue {
        #[serde(skip_serializing_if = "Option::is_none")]
        shares: Option<Vec<f64>>,
    },
    /// Minimum score per tier, descending.
    Threshold {
        #[serde(skip_serializing_if = "Option::is_none")]
        thresholds: Option<Vec<f64>>,
    },
}

impl Default for CutMethod {
    fn default() -> Self {
        CutMethod::PercentOfAccounts { percents: None }
    }
}

impl CutMethod {
    fn name(&self) -> &'static str {
        match self {
            CutMethod::PercentOfAccounts { .. } => "percent_of_accounts",
            CutMethod::ShareOfValue { .. } => "share_of_value",
            CutMethod::Threshold { .. } => "threshold",
        }
    }

    fn list_field(&self) -> &'static str {
        match self {
            CutMethod::PercentOfAccounts { .. } => "cut.percents",
            CutMethod::ShareOfValue { .. } => "cut.shares",
            CutMethod::Threshold { .. } => "cut.thresholds",
        }
    }

    fn list(&self) -> Option<&Vec<f64>> {
        match self {
            CutMethod::PercentOfAccounts { percents } => percents.as_ref(),
            CutMethod::ShareOfValue { shares } => shares.as_ref(),
            CutMethod::Threshold { thresholds } => thresholds.as_ref(),
        }
    }
}

/// How an account's value score is computed.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum ScoreMethod {
    /// The raw indicator (money in yuan; `overdue_days` negated). No normalisation.
    Single { indicator: Indicator },
    /// Σ (w_i / Σw) × normalised_i on 0–100; a missing indicator contributes 0 points; an
    /// account with none of the (positive-weight) indicators recorded has no score.
    Weighted {
        weights: BTreeMap<Indicator, f64>,
        normalisation: Normalisation,
    },
    /// The value scorecard (DOMAIN.md §3.3), on 0–100:
    ///
    /// * financial = mean of normalised revenue, profit, collected;
    /// * sales = mean of normalised transactions, product_lines (growth is not recorded);
    /// * customer = mean of potential_customer (people's 0–100 mark, used as is),
    ///   normalised cooperation_years and referral (100 if referred, else 0);
    /// * service = potential_service (people's 0–100 mark, used as is).
    ///
    /// "Normalised" uses `normalisation` (default `log_min_max`). A missing indicator counts 0
    /// inside its group's mean (the divisor is always the group's size), so a mark that was never
    /// given does not raise a score. score = Σ (g / Σg) × group. An account with no recorded
    /// indicator in any positive-weight group has no score.
    Scorecard {
        groups: BTreeMap<Group, f64>,
        normalisation: Normalisation,
    },
}

/// The tier model: one JSON document (see the module docs). Deserialising validates it, with
/// errors that name the offending field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "RawModel")]
pub struct TierModel {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preset: Option<Preset>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tiers: Option<Vec<TierSpec>>,
    pub cut: CutMethod,
    pub score: ScoreMethod,
}

impl Default for TierModel {
    /// `pyramid` + percent of accounts + weighted revenue 0.5 / profit 0.3 / collected 0.2 with
    /// `log_min_max`. Revenue and profit are what the 80/20 rule of the sources is about; the
    /// collected weight keeps revenue that is never paid from buying a top tier; the log keeps the
    /// heavy revenue tail from flattening everyone else and lets all three indicators count.
    fn default() -> Self {
        TierModel {
            preset: Some(Preset::Pyramid),
            tiers: None,
            cut: CutMethod::default(),
            score: default_score(),
        }
    }
}

fn default_score() -> ScoreMethod {
    ScoreMethod::Weighted {
        weights: BTreeMap::from([
            (Indicator::Revenue, 0.5),
            (Indicator::Profit, 0.3),
            (Indicator::Collected, 0.2),
        ]),
        normalisation: Normalisation::LogMinMax,
    }
}

fn default_groups() -> BTreeMap<Group, f64> {
    BTreeMap::from([
        (Group::Financial, 0.4),
        (Group::Sales, 0.2),
        (Group::Customer, 0.2),
        (Group::Service, 0.2),
    ])
}

// Loose shapes read first, so that every problem can be reported with its field name.

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a tier model object")]
struct RawModel {
    #[serde(default)]
    preset: Option<String>,
    #[serde(default)]
    tiers: Option<Vec<TierSpec>>,
    #[serde(default)]
    cut: Option<RawCut>,
    #[serde(default)]
    score: Option<RawScore>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a cut object such as {\"method\":\"percent_of_accounts\"}"
)]
struct RawCut {
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    percents: Option<Vec<f64>>,
    #[serde(default)]
    shares: Option<Vec<f64>>,
    #[serde(default)]
    thresholds: Option<Vec<f64>>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a score object such as {\"method\":\"single\",\"indicator\":\"revenue\"}"
)]
struct RawScore {
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    indicator: Option<String>,
    #[serde(default)]
    weights: Option<BTreeMap<String, f64>>,
    #[serde(default, alias = "normalization")]
    normalisation: Option<String>,
    #[serde(default)]
    groups: Option<BTreeMap<String, f64>>,
}

fn unused(field: &str, present: bool, method: &str) -> Result<(), ModelError> {
    if present {
        Err(ModelError::new(
            field,
            format!("not used by method {method}; remove it"),
        ))
    } else {
        Ok(())
    }
}

impl TryFrom<RawModel> for TierModel {
    type Error = ModelError;

    fn try_from(raw: RawModel) -> Result<TierModel, ModelError> {
        let preset = match raw.preset.as_deref() {
            None => None,
            Some(p) => Some(Preset::parse(p).ok_or_else(|| {
                ModelError::new(
                    "preset",
                    format!("unknown preset \"{p}\" (expected one of pyramid, vip)"),
                )
            })?),
        };
        let cut = match raw.cut {
            None => CutMethod::default(),
            Some(c) => {
                let method = c.method.as_deref().ok_or_else(|| {
                    ModelError::new(
                        "cut.method",
                        "missing (expected one of percent_of_accounts, share_of_value, threshold)",
                    )
                })?;
                match method {
                    "percent_of_accounts" => {
                        unused("cut.shares", c.shares.is_some(), method)?;
                        unused("cut.thresholds", c.thresholds.is_some(), method)?;
                        CutMethod::PercentOfAccounts {
                            percents: c.percents,
                        }
                    }
                    "share_of_value" => {
                        unused("cut.percents", c.percents.is_some(), method)?;
                        unused("cut.thresholds", c.thresholds.is_some(), method)?;
                        CutMethod::ShareOfValue { shares: c.shares }
                    }
                    "threshold" => {
                        unused("cut.percents", c.percents.is_some(), method)?;
                        unused("cut.shares", c.shares.is_some(), method)?;
                        CutMethod::Threshold {
                            thresholds: c.thresholds,
                        }
                    }
                    other => {
                        return Err(ModelError::new(
                            "cut.method",
                            format!(
                                "unknown method \"{other}\" (expected one of percent_of_accounts, \
                                 share_of_value, threshold)"
                            ),
                        ))
                    }
                }
            }
        };
        let score = match raw.score {
            None => default_score(),
            Some(s) => raw_score(s)?,
        };
        // Neither preset nor tiers: the pyramid, written out so the model says what it does.
        let preset = if preset.is_none() && raw.tiers.is_none() {
            Some(Preset::Pyramid)
        } else {
            preset
        };
        let model = TierModel {
            preset,
            tiers: raw.tiers,
            cut,
            score,
        };
        model.resolve()?;
        Ok(model)
    }
}

fn parse_normalisation(s: &Option<String>) -> Result<Normalisation, ModelError> {
    match s.as_deref() {
        None => Ok(Normalisation::default()),
        Some(n) => Normalisation::parse(n).ok_or_else(|| {
            ModelError::new(
                "score.normalisation",
                format!(
                    "unknown normalisation \"{n}\" (expected one of rank_percentile, min_max, \
                     log_min_max)"
                ),
            )
        }),
    }
}

fn raw_score(s: RawScore) -> Result<ScoreMethod, ModelError> {
    let method = s.method.as_deref().ok_or_else(|| {
        ModelError::new(
            "score.method",
            "missing (expected one of single, weighted, scorecard)",
        )
    })?;
    match method {
        "single" => {
            unused("score.weights", s.weights.is_some(), method)?;
            unused("score.groups", s.groups.is_some(), method)?;
            unused("score.normalisation", s.normalisation.is_some(), method)?;
            let name = s.indicator.as_deref().ok_or_else(|| {
                ModelError::new(
                    "score.indicator",
                    format!("missing (expected one of {})", indicator_list()),
                )
            })?;
            let indicator = Indicator::parse(name).ok_or_else(|| {
                ModelError::new(
                    "score.indicator",
                    format!(
                        "unknown indicator \"{name}\" (expected one of {})",
                        indicator_list()
                    ),
                )
            })?;
            Ok(ScoreMethod::Single { indicator })
        }
        "weighted" => {
            unused("score.indicator", s.indicator.is_some(), method)?;
            unused("score.groups", s.groups.is_some(), method)?;
            let raw = s.weights.ok_or_else(|| {
                ModelError::new(
                    "score.weights",
                    "missing (method weighted needs e.g. {\"revenue\":0.5,\"profit\":0.3,\"collected\":0.2})",
                )
            })?;
            let mut weights = BTreeMap::new();
            for (name, w) in raw {
                let ind = Indicator::parse(&name).ok_or_else(|| {
                    ModelError::new(
                        "score.weights",
                        format!(
                            "unknown indicator \"{name}\" (expected one of {})",
                            indicator_list()
                        ),
                    )
                })?;
                weights.insert(ind, w);
            }
            Ok(ScoreMethod::Weighted {
                weights,
                normalisation: parse_normalisation(&s.normalisation)?,
            })
        }
        "scorecard" => {
            unused("score.indicator", s.indicator.is_some(), method)?;
            unused("score.weights", s.weights.is_some(), method)?;
            let groups = match s.groups {
                None => default_groups(),
                Some(raw) => {
                    let mut groups = BTreeMap::new();
                    for (name, w) in raw {
                        let g = Group::parse(&name).ok_or_else(|| {
                            ModelError::new(
                                "score.groups",
                                format!(
                                    "unknown group \"{name}\" (expected one of financial, sales, \
                                     customer, service)"
                                ),
                            )
                        })?;
                        groups.insert(g, w);
                    }
                    groups
                }
            };
            Ok(ScoreMethod::Scorecard {
                groups,
                normalisation: parse_normalisation(&s.normalisation)?,
            })
        }
        other => Err(ModelError::new(
            "score.method",
            format!("unknown method \"{other}\" (expected one of single, weighted, scorecard)"),
        )),
    }
}

impl TierModel {
    /// Parses and validates a model document.
    pub fn from_json(text: &str) -> Result<TierModel, ModelError> {
        // serde reads a struct from an array of its fields too (`[null, null]` was a model);
        // the document is an object.
        if !text.trim_start().starts_with('{') {
            return Err(ModelError::new(
                "model",
                "the tier model is a JSON object, e.g. {\"preset\":\"pyramid\"}",
            ));
        }
        let raw: RawModel =
            serde_json::from_str(text).map_err(|e| ModelError::new("model", e.to_string()))?;
        TierModel::try_from(raw)
    }

    /// Checks the model; the error names the offending field.
    pub fn validate(&self) -> Result<(), ModelError> {
        self.resolve().map(|_| ())
    }

    /// Validates the model and fixes its tiers and cut points.
    pub fn resolve(&self) -> Result<ResolvedModel, ModelError> {
        let tiers = self.resolve_tiers()?;
        let cut = self.resolve_cut(tiers.len())?;
        validate_score(&self.score)?;
        Ok(ResolvedModel {
            tiers,
            cut,
            score: self.score.clone(),
        })
    }

    fn resolve_tiers(&self) -> Result<Vec<TierDef>, ModelError> {
        match &self.tiers {
            None => {
                let preset = self.preset.unwrap_or(Preset::Pyramid);
                Ok(preset
                    .tier_ids()
                    .iter()
                    .map(|id| TierDef::known(id))
                    .collect())
            }
            Some(list) => {
                if list.len() < 2 {
                    return Err(ModelError::new("tiers", "at least 2 tiers are needed"));
                }
                let mut out: Vec<TierDef> = Vec::with_capacity(list.len());
                for (i, t) in list.iter().enumerate() {
                    let id = t.id.as_str();
                    if id.is_empty() || id.len() > 64 || id.chars().any(char::is_whitespace) {
                        return Err(ModelError::new(
                            format!("tiers[{i}].id"),
                            "a tier id must be 1–64 characters without spaces",
                        ));
                    }
                    if out.iter().any(|d| d.id == id) {
                        return Err(ModelError::new(
                            format!("tiers[{i}].id"),
                            format!("duplicate tier id \"{id}\""),
                        ));
                    }
                    let known = TierDef::known(id);
                    out.push(TierDef {
                        id: id.to_string(),
                        label_zh: t.label_zh.clone().unwrap_or(known.label_zh),
                        label_en: t.label_en.clone().unwrap_or(known.label_en),
                    });
                }
                Ok(out)
            }
        }
    }

    /// The K − 1 cut points and the field they were read from.
    fn resolve_cut(&self, k: usize) -> Result<ResolvedCut, ModelError> {
        let method = &self.cut;
        let is_threshold = matches!(method, CutMethod::Threshold { .. });
        let tier_cuts: Vec<(usize, f64)> = self
            .tiers
            .iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, t)| t.cut.map(|c| (i, c)))
            .collect();
        // The last tier's cut is the "rest": omitted, or 100 for percent/share.
        if let Some(&(i, c)) = tier_cuts.iter().find(|(i, _)| *i == k - 1) {
            if is_threshold || c != 100.0 {
                return Err(ModelError::new(
                    format!("tiers[{i}].cut"),
                    if is_threshold {
                        "the last tier takes every remaining account; omit its cut".to_string()
                    } else {
                        format!("the last tier takes the rest; omit its cut or use 100 (got {c})")
                    },
                ));
            }
        }
        let tier_cuts: Vec<(usize, f64)> =
            tier_cuts.into_iter().filter(|(i, _)| *i < k - 1).collect();

        let (points, fields): (Vec<f64>, Vec<String>) = if let Some(list) = method.list() {
            let field = method.list_field();
            if let Some(&(i, _)) = tier_cuts.first() {
                return Err(ModelError::new(
                    field,
                    format!(
                        "cut points are given both here and in tiers[{i}].cut; give them in one place"
                    ),
                ));
            }
            if list.len() != k - 1 {
                return Err(ModelError::new(
                    field,
                    format!(
                        "expected {} cut points (one per boundary between {k} tiers), got {}",
                        k - 1,
                        list.len()
                    ),
                ));
            }
            (
                list.clone(),
                (0..list.len()).map(|i| format!("{field}[{i}]")).collect(),
            )
        } else if !tier_cuts.is_empty() || self.tiers.is_some() && self.preset.is_none() {
            let mut pts = Vec::with_capacity(k - 1);
            let mut fields = Vec::with_capacity(k - 1);
            for i in 0..k - 1 {
                match tier_cuts.iter().find(|(j, _)| *j == i) {
                    Some(&(_, c)) => pts.push(c),
                    None => {
                        return Err(ModelError::new(
                            format!("tiers[{i}].cut"),
                            format!(
                            "missing cut point (every tier but the last needs one for method {})",
                            method.name()
                        ),
                        ))
                    }
                }
                fields.push(format!("tiers[{i}].cut"));
            }
            (pts, fields)
        } else {
            match method {
                CutMethod::PercentOfAccounts { .. } => {
                    let preset = self.preset.unwrap_or(Preset::Pyramid);
                    if k != 4 {
                        return Err(ModelError::new(
                            "tiers",
                            format!(
                                "the {} preset's cut points are for 4 tiers, this model has {k}; \
                                 give tiers[].cut or cut.percents",
                                preset.name()
                            ),
                        ));
                    }
                    let pts = preset.percents().to_vec();
                    let fields = (0..3).map(|i| format!("preset[{i}]")).collect();
                    (pts, fields)
                }
                CutMethod::ShareOfValue { .. } => {
                    return Err(ModelError::new(
                        "cut.shares",
                        "share_of_value needs cut points: give cut.shares (e.g. [50, 80, 95]) or \
                         tiers[].cut",
                    ))
                }
                CutMethod::Threshold { .. } => {
                    return Err(ModelError::new(
                        "cut.thresholds",
                        "threshold needs cut points: give cut.thresholds (e.g. [90, 60, 30]) or \
                         tiers[].cut",
                    ))
                }
            }
        };

        for (i, (&p, field)) in points.iter().zip(&fields).enumerate() {
            if !p.is_finite() {
                return Err(ModelError::new(field, "cut point must be a finite number"));
            }
            match method {
                CutMethod::PercentOfAccounts { .. } => {
                    if p <= 0.0 || p >= 100.0 {
                        return Err(ModelError::new(
                            field,
                            format!("percent of accounts must be > 0 and < 100 (got {p})"),
                        ));
                    }
                }
                CutMethod::ShareOfValue { .. } => {
                    if p <= 0.0 || p > 100.0 {
                        return Err(ModelError::new(
                            field,
                            format!("share of value must be > 0 and ≤ 100 (got {p})"),
                        ));
                    }
                }
                CutMethod::Threshold { .. } => {}
            }
            if i > 0 {
                let prev = points[i - 1];
                if is_threshold && p >= prev {
                    return Err(ModelError::new(
                        field,
                        format!("thresholds must decrease, best tier first ({p} after {prev})"),
                    ));
                }
                if !is_threshold && p <= prev {
                    return Err(ModelError::new(
                        field,
                        format!("cut points must increase ({p} after {prev})"),
                    ));
                }
            }
        }
        Ok(match method {
            CutMethod::PercentOfAccounts { .. } => ResolvedCut::Percent(points),
            CutMethod::ShareOfValue { .. } => ResolvedCut::Share(points),
            CutMethod::Threshold { .. } => ResolvedCut::Threshold(points),
        })
    }
}

fn validate_weights<K: Copy>(
    field: &str,
    weights: &BTreeMap<K, f64>,
    name: impl Fn(K) -> &'static str,
) -> Result<(), ModelError> {
    if weights.is_empty() {
        return Err(ModelError::new(field, "at least one weight is needed"));
    }
    for (&k, &w) in weights {
        if !w.is_finite() || w < 0.0 {
            return Err(ModelError::new(
                format!("{field}.{}", name(k)),
                format!("weight must be a finite number ≥ 0 (got {w})"),
            ));
        }
    }
    if weights.values().sum::<f64>() <= 0.0 {
        return Err(ModelError::new(field, "weights must sum to > 0"));
    }
    Ok(())
}

fn validate_score(score: &ScoreMethod) -> Result<(), ModelError> {
    match score {
        ScoreMethod::Single { .. } => Ok(()),
        ScoreMethod::Weighted { weights, .. } => {
            validate_weights("score.weights", weights, Indicator::name)
        }
        ScoreMethod::Scorecard { groups, .. } => {
            validate_weights("score.groups", groups, Group::name)
        }
    }
}

// ------------------------------------------------------------------------------------------
// Resolved model
// ------------------------------------------------------------------------------------------

/// A tier with its labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TierDef {
    pub id: String,
    pub label_zh: String,
    pub label_en: String,
}

impl TierDef {
    /// DOMAIN.md §8 labels for the known ids; the id itself otherwise.
    fn known(id: &str) -> TierDef {
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
    tiers: Vec<TierDef>,
    cut: ResolvedCut,
    score: ScoreMethod,
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
                        en: format!("score = −{}, fewer is better", indicator.name()),
                        zh: format!("得分 = −{}（越少越好）", indicator.label_zh()),
                    }
                } else {
                    Rule {
                        en: format!("score = {}{unit}, not normalised", indicator.name()),
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
                            format!("{w} × {}", i.name()),
                            format!("{w}×{}", i.label_zh()),
                        )
                    })
                    .collect();
                Rule {
                    en: format!(
                        "score = {} on 0–100, each indicator normalised by {} over the accounts \
                         that have it; a missing indicator counts 0",
                        terms
                            .iter()
                            .map(|t| t.0.as_str())
                            .collect::<Vec<_>>()
                            .join(" + "),
                        normalisation.name()
                    ),
                    zh: format!(
                        "得分 = {}（0–100），各指标按{}归一化（{}），缺失指标计 0 分",
                        terms
                            .iter()
                            .map(|t| t.1.as_str())
                            .collect::<Vec<_>>()
                            .join(" + "),
                        normalisation.label_zh(),
                        normalisation.name()
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
                    .map(|(g, w)| format!("{} × {}", fmt_num(w / sum, 4), g.name()))
                    .collect();
                Rule {
                    en: format!(
                        "scorecard = {} on 0–100; financial = mean(revenue, profit, collected), \
                         sales = mean(transactions, product_lines), customer = \
                         mean(potential_customer, cooperation_years, referral), service = \
                         potential_service; measured indicators normalised by {}, people's marks \
                         used as is; a missing indicator counts 0",
                        terms.join(" + "),
                        normalisation.name()
                    ),
                    zh: format!(
                        "价值计分卡 = {}（0–100）；财务 = 销售额、利润、回款金额的平均，销售 = \
                         交易次数、产品线数的平均，客户 = 客户指标评分、合作年限、转介绍的平均，\
                         服务 = 服务指标评分；测量指标按{}归一化（{}），人工评分直接使用；\
                         缺失指标计 0 分",
                        terms.join(" + "),
                        normalisation.label_zh(),
                        normalisation.name()
                    ),
                }
            }
        }
    }

    fn score_tag(&self) -> (String, String) {
        match &self.score {
            ScoreMethod::Single { indicator } => (
                indicator.name().to_string(),
                indicator.label_zh().to_string(),
            ),
            ScoreMethod::Weighted { normalisation, .. } => (
                format!("weighted, {}", normalisation.name()),
                format!("加权，{}归一化", normalisation.label_zh()),
            ),
            ScoreMethod::Scorecard { normalisation, .. } => (
                format!("scorecard, {}", normalisation.name()),
                format!("计分卡，{}归一化", normalisation.label_zh()),
            ),
        }
    }
}

// ------------------------------------------------------------------------------------------
// Results
// ------------------------------------------------------------------------------------------

/// A manager's decision to put an account in a given tier (DOMAIN.md §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TierOverride {
    pub tier: String,
    pub reason: String,
    pub by: String,
    /// RFC 3339 timestamp, as recorded.
    pub at: String,
}

/// Whether an explanation may show the account's figures: its score, contributions and the
/// numbers of its rule text. A viewer without them still sees the tier, rank and cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figures {
    Shown,
    Hidden,
}

/// A rule or explanation in English and Chinese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rule {
    pub en: String,
    pub zh: String,
}

/// What one indicator added to an account's score. `points` add up to the score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contribution {
    pub indicator: Indicator,
    /// Scorecard group, for the scorecard method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<Group>,
    /// Recorded value in display units (money in yuan, referral 1/0); `None` = not recorded.
    pub raw: Option<f64>,
    /// 0–100 (weighted, scorecard) or the signed raw value (single); `None` = not recorded.
    pub normalised: Option<f64>,
    /// Effective weight (weights rescaled to sum to 1; 1 for single).
    pub weight: f64,
    pub points: f64,
}

/// One account's tier and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TierAssignment {
    pub account_id: String,
    /// The tier in force: the override's when one is applied, else `computed_tier`.
    pub tier: String,
    pub computed_tier: String,
    /// `None` when none of the score's indicators is recorded.
    pub score: Option<f64>,
    /// Competition rank, 1 = best; unscored accounts share rank S + 1.
    pub rank: usize,
    /// 100 × (accounts with a strictly lower score) / N.
    pub percentile: f64,
    pub contributions: Vec<Contribution>,
    pub rule: Rule,
    pub r#override: Option<TierOverride>,
    /// False when the override names a tier this model does not have (it is then reported but
    /// not applied).
    pub override_applied: bool,
}

/// Direction of a tier change; "up" is toward the model's first (best) tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Up,
    Down,
    New,
    /// The previous or the new tier is not a tier of the model, so no order is known.
    Changed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierChange {
    pub account_id: String,
    pub from: Option<String>,
    pub to: String,
    pub direction: Direction,
}

// ------------------------------------------------------------------------------------------
// Scoring
// ------------------------------------------------------------------------------------------

/// One scored term: an indicator, its effective weight and its per-account normalised value.
struct Part {
    indicator: Indicator,
    group: Option<Group>,
    weight: f64,
    normalised: Vec<Option<f64>>,
}

struct Scores {
    /// Display score per account.
    score: Vec<Option<f64>>,
    /// Exact integer score (single integer indicators): money in fen, counts, negated days.
    exact: Option<Vec<Option<i128>>>,
    parts: Vec<Part>,
}

fn column(accounts: &[Account], ind: Indicator) -> Vec<Option<f64>> {
    let sign = if ind.lower_is_better() { -1.0 } else { 1.0 };
    accounts
        .iter()
        // `+ 0.0` turns −0.0 into 0.0 so equal values compare equal everywhere.
        .map(|a| ind.value(&a.indicators).map(|v| sign * v + 0.0))
        .collect()
}

fn min_max(values: &[Option<f64>]) -> Vec<Option<f64>> {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for v in values.iter().flatten() {
        lo = lo.min(*v);
        hi = hi.max(*v);
    }
    let span = hi - lo;
    values
        .iter()
        .map(|v| {
            v.map(|x| {
                if span > 0.0 {
                    100.0 * (x - lo) / span
                } else {
                    100.0
                }
            })
        })
        .collect()
}

/// Maps a column to 0–100 (see the module docs).
pub fn normalise(values: &[Option<f64>], method: Normalisation) -> Vec<Option<f64>> {
    match method {
        Normalisation::MinMax => min_max(values),
        Normalisation::LogMinMax => {
            let logged: Vec<Option<f64>> = values
                .iter()
                .map(|v| v.map(|x| x.signum() * x.abs().ln_1p() + 0.0))
                .collect();
            min_max(&logged)
        }
        Normalisation::RankPercentile => {
            let mut present: Vec<(i64, usize)> = values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|x| (f64_order_key(x + 0.0), i)))
                .collect();
            present.sort_unstable();
            let m = present.len();
            let mut out = vec![None; values.len()];
            let mut start = 0;
            while start < m {
                let mut end = start + 1;
                while end < m && present[end].0 == present[start].0 {
                    end += 1;
                }
                // `end` values are ≤ this one.
                let pct = if m <= 1 {
                    100.0
                } else {
                    100.0 * (end - 1) as f64 / (m - 1) as f64
                };
                for &(_, i) in &present[start..end] {
                    out[i] = Some(pct);
                }
                start = end;
            }
            out
        }
    }
}

fn compute_scores(score: &ScoreMethod, accounts: &[Account]) -> Scores {
    match score {
        ScoreMethod::Single { indicator } => {
            let ind = *indicator;
            let values = column(accounts, ind);
            let exact = if ind == Indicator::CooperationYears {
                None
            } else {
                let sign: i128 = if ind.lower_is_better() { -1 } else { 1 };
                Some(
                    accounts
                        .iter()
                        .map(|a| ind.exact(&a.indicators).map(|v| sign * v))
                        .collect(),
                )
            };
            Scores {
                score: values.clone(),
                exact,
                parts: vec![Part {
                    indicator: ind,
                    group: None,
                    weight: 1.0,
                    normalised: values,
                }],
            }
        }
        ScoreMethod::Weighted {
            weights,
            normalisation,
        } => {
            let sum: f64 = weights.values().sum();
            let specs: Vec<(Indicator, f64)> = weights
                .iter()
                .filter(|(_, w)| **w > 0.0)
                .map(|(&ind, &w)| (ind, w / sum))
                .collect();
            let parts: Vec<Part> = specs
                .iter()
                .map(|&(ind, w)| Part {
                    indicator: ind,
                    group: None,
                    weight: w,
                    normalised: normalise(&column(accounts, ind), *normalisation),
                })
                .collect();
            Scores {
                score: combine(&parts, accounts.len()),
                exact: None,
                parts,
            }
        }
        ScoreMethod::Scorecard {
            groups,
            normalisation,
        } => {
            let sum: f64 = groups.values().sum();
            let specs: Vec<(Group, Indicator, f64)> = groups
                .iter()
                .filter(|(_, w)| **w > 0.0)
                .flat_map(|(&g, &w)| {
                    let each = w / sum / g.members().len() as f64;
                    g.members().iter().map(move |&ind| (g, ind, each))
                })
                .collect();
            let parts: Vec<Part> = specs
                .iter()
                .map(|&(g, ind, w)| {
                    let normalised = if scorecard_absolute(ind) {
                        accounts
                            .iter()
                            .map(|a| absolute_value(ind, &a.indicators))
                            .collect()
                    } else {
                        normalise(&column(accounts, ind), *normalisation)
                    };
                    Part {
                        indicator: ind,
                        group: Some(g),
                        weight: w,
                        normalised,
                    }
                })
                .collect();
            Scores {
                score: combine(&parts, accounts.len()),
                exact: None,
                parts,
            }
        }
    }
}

/// Σ weight × normalised; `None` when no part is recorded.
fn combine(parts: &[Part], n: usize) -> Vec<Option<f64>> {
    let mut out: Vec<Option<f64>> = vec![None; n];
    for p in parts {
        for (o, v) in out.iter_mut().zip(&p.normalised) {
            if let Some(x) = v {
                *o = Some(o.unwrap_or(0.0) + p.weight * x);
            }
        }
    }
    out
}

// ------------------------------------------------------------------------------------------
// Ranking and cutting
// ------------------------------------------------------------------------------------------

/// Everything the rule text needs about where an account stands.
struct Standing {
    rank: usize,
    tier: usize,
    lower: usize,
    tied: usize,
}

/// A signed integer with the order of `f64::total_cmp`.
fn f64_order_key(x: f64) -> i64 {
    let bits = x.to_bits() as i64;
    bits ^ (((bits >> 63) as u64) >> 1) as i64
}

/// ceil(n × p / 100) on integers, p rounded to 1e-6 percent.
pub fn percent_count(n: usize, percent: f64) -> usize {
    let p = (percent * 1e6).round().max(0.0) as u128;
    let num = n as u128 * p;
    let den: u128 = 100_000_000;
    num.div_ceil(den).min(n as u128) as usize
}

/// Smallest m with (sum of the top m positive values) ≥ share % of the positive total; 0 when
/// the total is 0. `values` are in rank order.
fn share_counts_exact(values: &[i128], shares: &[f64]) -> Vec<usize> {
    let total: i128 = values.iter().map(|v| (*v).max(0)).sum();
    let scaled: Vec<i128> = shares.iter().map(|s| (s * 1e6).round() as i128).collect();
    let mut out = vec![0; shares.len()];
    if total <= 0 {
        return out;
    }
    let mut k = 0;
    let mut cum: i128 = 0;
    for (i, v) in values.iter().enumerate() {
        cum += (*v).max(0);
        while k < scaled.len() && cum * 100_000_000 >= scaled[k] * total {
            out[k] = i + 1;
            k += 1;
        }
    }
    for o in out.iter_mut().skip(k) {
        *o = values.len();
    }
    out
}

fn share_counts_float(values: &[f64], shares: &[f64]) -> Vec<usize> {
    let total: f64 = values.iter().map(|v| v.max(0.0)).sum();
    let mut out = vec![0; shares.len()];
    if total <= 0.0 {
        return out;
    }
    let mut k = 0;
    let mut cum = 0.0;
    for (i, v) in values.iter().enumerate() {
        cum += v.max(0.0);
        // The last account always completes 100 %, whatever the rounding of `cum`.
        let last = i + 1 == values.len();
        while k < shares.len() && (cum * 100.0 >= shares[k] * total || last) {
            out[k] = i + 1;
            k += 1;
        }
    }
    out
}

/// How the cut was applied, for the rule text.
enum CutInfo {
    Percent { bounds: Vec<usize> },
    Share { bounds: Vec<usize> },
    Threshold,
}

impl ResolvedModel {
    /// Computes every account's tier; results are in the order of `accounts`.
    pub fn compute(
        &self,
        accounts: &[Account],
        overrides: &HashMap<String, TierOverride>,
    ) -> Vec<TierAssignment> {
        self.run(accounts).assignments(overrides)
    }

    /// Scores, ranks and cuts without building the explanations: the compact result of a
    /// recompute. Explanations are rendered per account on demand ([`TierRun::assignment`]) or
    /// all at once ([`TierRun::assignments`]).
    pub fn run<'a>(&'a self, accounts: &'a [Account]) -> TierRun<'a> {
        let n = accounts.len();
        let scores = compute_scores(&self.score, accounts);
        let last = self.tiers.len() - 1;

        // Rank order: score descending, then id, then input position. Compact (key, index)
        // pairs are sorted first (cache-friendly); ids are only compared inside tie groups.
        let mut keyed: Vec<(i128, usize)> = match &scores.exact {
            Some(ex) => ex
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| (v, i)))
                .collect(),
            None => scores
                .score
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|x| (i128::from(f64_order_key(x)), i)))
                .collect(),
        };
        keyed.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let by_id = |a: &usize, b: &usize| accounts[*a].id.cmp(&accounts[*b].id).then(a.cmp(b));
        let mut order: Vec<usize> = keyed.iter().map(|k| k.1).collect();
        let mut start = 0;
        while start < keyed.len() {
            let mut end = start + 1;
            while end < keyed.len() && keyed[end].0 == keyed[start].0 {
                end += 1;
            }
            if end - start > 1 {
                order[start..end].sort_unstable_by(by_id);
            }
            start = end;
        }
        drop(keyed);
        let mut unscored: Vec<usize> = (0..n).filter(|&i| scores.score[i].is_none()).collect();
        unscored.sort_unstable_by(by_id);
        order.extend(unscored);
        let same = |a: usize, b: usize| match &scores.exact {
            Some(ex) => ex[a] == ex[b],
            None => match (scores.score[a], scores.score[b]) {
                (Some(x), Some(y)) => x.total_cmp(&y) == Ordering::Equal,
                (None, None) => true,
                _ => false,
            },
        };
        let scored = scores.score.iter().filter(|s| s.is_some()).count();

        // Competition ranks and tie-group sizes, by position in `order`.
        let mut rank_at = vec![0usize; n];
        let mut tied_at = vec![0usize; n];
        let mut start = 0;
        while start < n {
            let mut end = start + 1;
            while end < n && same(order[start], order[end]) {
                end += 1;
            }
            for pos in start..end {
                rank_at[pos] = start + 1;
                tied_at[pos] = end - start;
            }
            start = end;
        }

        // Rank bounds (cumulative account counts) → tier per position; unscored accounts last.
        let tiers_from_bounds = |bounds: &[usize]| -> Vec<usize> {
            (0..n)
                .map(|pos| match pos < scored {
                    true => bounds
                        .iter()
                        .position(|b| rank_at[pos] <= *b)
                        .unwrap_or(last),
                    false => last,
                })
                .collect()
        };
        let (tier_at, info): (Vec<usize>, CutInfo) = match &self.cut {
            ResolvedCut::Percent(ps) => {
                let bounds: Vec<usize> = ps.iter().map(|p| percent_count(n, *p)).collect();
                let tiers = tiers_from_bounds(&bounds);
                (tiers, CutInfo::Percent { bounds })
            }
            ResolvedCut::Share(shares) => {
                let bounds = match &scores.exact {
                    Some(ex) => {
                        let vals: Vec<i128> = order[..scored]
                            .iter()
                            .map(|&i| ex[i].unwrap_or(0))
                            .collect();
                        share_counts_exact(&vals, shares)
                    }
                    None => {
                        let vals: Vec<f64> = order[..scored]
                            .iter()
                            .map(|&i| scores.score[i].unwrap_or(0.0))
                            .collect();
                        share_counts_float(&vals, shares)
                    }
                };
                let tiers = tiers_from_bounds(&bounds);
                (tiers, CutInfo::Share { bounds })
            }
            ResolvedCut::Threshold(ts) => {
                let money = matches!(&self.score, ScoreMethod::Single { indicator } if indicator.is_money());
                // Exact scores compare with integer thresholds: fen (rounded) for money, the
                // next integer up for counts (v ≥ t ⇔ v ≥ ceil(t) for integer v).
                let exact_ts: Vec<i128> = ts
                    .iter()
                    .map(|t| {
                        if money {
                            (t * 100.0).round() as i128
                        } else {
                            t.ceil() as i128
                        }
                    })
                    .collect();
                let tiers = order
                    .iter()
                    .map(|&i| match (&scores.exact, scores.score[i]) {
                        (_, None) => last,
                        (Some(ex), Some(_)) => match ex[i] {
                            Some(v) => exact_ts.iter().position(|t| v >= *t).unwrap_or(last),
                            None => last,
                        },
                        (None, Some(s)) => ts.iter().position(|t| s >= *t).unwrap_or(last),
                    })
                    .collect();
                (tiers, CutInfo::Threshold)
            }
        };

        // Back to input order.
        let mut standing: Vec<Standing> = (0..n)
            .map(|_| Standing {
                rank: 0,
                tier: last,
                lower: 0,
                tied: 0,
            })
            .collect();
        for (pos, &i) in order.iter().enumerate() {
            let scored_here = pos < scored;
            standing[i] = Standing {
                rank: rank_at[pos],
                tier: tier_at[pos],
                lower: if scored_here {
                    n - (rank_at[pos] - 1) - tied_at[pos]
                } else {
                    0
                },
                tied: tied_at[pos],
            };
        }

        let parts = self.rule_parts(&info, n, scored);
        TierRun {
            model: self,
            accounts,
            table: TierTable {
                standing,
                scores,
                parts,
            },
        }
    }

    /// The constant pieces of the rule text, rendered once per run.
    fn rule_parts(&self, info: &CutInfo, n: usize, scored: usize) -> RuleParts {
        let (tag_en, tag_zh) = self.score_tag();
        let last = self.tiers.len() - 1;
        let mut tier_en = Vec::with_capacity(self.tiers.len());
        let mut tier_zh = Vec::with_capacity(self.tiers.len());
        let mut threshold = Vec::new();
        for (k, tier) in self.tiers.iter().enumerate() {
            let is_last = k == last;
            // The boundary that decides tier k: its own, or for the last tier the one above it.
            let j = if is_last { k.saturating_sub(1) } else { k };
            match (info, &self.cut) {
                (CutInfo::Percent { bounds }, ResolvedCut::Percent(ps)) => {
                    let (b, p) = (
                        bounds.get(j).copied().unwrap_or(0),
                        ps.get(j).copied().unwrap_or(0.0),
                    );
                    let op = if is_last { ">" } else { "≤" };
                    tier_en.push(format!(" of {n} {op} ceil({n} × {p}%) = {b} → {}", tier.id));
                    tier_zh.push(format!("/{n} {op} ceil({n}×{p}%)={b} → {}", tier.label_zh));
                }
                (CutInfo::Share { bounds }, ResolvedCut::Share(ps)) => {
                    let (b, p) = (
                        bounds.get(j).copied().unwrap_or(0),
                        ps.get(j).copied().unwrap_or(0.0),
                    );
                    let op = if is_last { ">" } else { "≤" };
                    tier_en.push(format!(
                        " of {n} {op} {b} = fewest top accounts holding ≥ {p}% of total value → {}",
                        tier.id
                    ));
                    tier_zh.push(format!(
                        "/{n} {op} {b}（累计占总价值 {p}% 所需的最少头部客户数） → {}",
                        tier.label_zh
                    ));
                }
                (_, ResolvedCut::Threshold(ts)) => {
                    threshold.push(ts.get(j).copied().unwrap_or(0.0));
                    tier_en.push(format!(" → {}; rank ", tier.id));
                    tier_zh.push(format!(" → {}；排名 ", tier.label_zh));
                }
                _ => {
                    tier_en.push(String::new());
                    tier_zh.push(String::new());
                }
            }
        }
        let names = match &self.score {
            ScoreMethod::Single { indicator } => vec![*indicator],
            ScoreMethod::Weighted { weights, .. } => weights
                .iter()
                .filter(|(_, w)| **w > 0.0)
                .map(|(i, _)| *i)
                .collect(),
            ScoreMethod::Scorecard { groups, .. } => groups
                .iter()
                .filter(|(_, w)| **w > 0.0)
                .flat_map(|(g, _)| g.members().iter().copied())
                .collect(),
        };
        let en_names: Vec<&str> = names.iter().map(|i| i.name()).collect();
        let zh_names: Vec<&str> = names.iter().map(|i| i.label_zh()).collect();
        let r = scored + 1;
        let last_tier = &self.tiers[last];
        RuleParts {
            unscored: Rule {
                en: format!(
                    "no score ({} not recorded); rank {r} of {n} → {} (accounts without a score \
                     go to the last tier)",
                    en_names.join(", "),
                    last_tier.id
                ),
                zh: format!(
                    "无得分（未记录{}）；排名 {r}/{n} → {}（无得分客户归入最后一级）",
                    zh_names.join("、"),
                    last_tier.label_zh
                ),
            },
            head_en: format!(" ({tag_en}); rank "),
            head_zh: format!("（{tag_zh}）；排名 "),
            thr_head_en: format!(" ({tag_en}) "),
            thr_head_zh: format!("（{tag_zh}） "),
            tail_en: format!(" of {n}"),
            tail_zh: format!("/{n}"),
            tier_en,
            tier_zh,
            threshold: (!threshold.is_empty()).then_some(threshold),
        }
    }
}

/// Constant pieces of the rule text (see [`ResolvedModel::rule_parts`]).
struct RuleParts {
    unscored: Rule,
    head_en: String,
    head_zh: String,
    thr_head_en: String,
    thr_head_zh: String,
    tail_en: String,
    tail_zh: String,
    tier_en: Vec<String>,
    tier_zh: Vec<String>,
    /// The deciding threshold per tier, for the threshold method.
    threshold: Option<Vec<f64>>,
}

/// The compact result of [`ResolvedModel::run`]: per account (in input order) its computed
/// tier, score, rank and percentile, without explanation strings.
pub struct TierRun<'a> {
    model: &'a ResolvedModel,
    accounts: &'a [Account],
    table: TierTable,
}

/// The owned data of a [`TierRun`], without the borrows of the model and the accounts, so that
/// an application can keep the result of a recompute beside the accounts it was computed from
/// (e.g. in a shared snapshot) and still render explanations on demand with
/// [`TierTable::assignment`].
pub struct TierTable {
    standing: Vec<Standing>,
    scores: Scores,
    parts: RuleParts,
}

impl TierTable {
    /// Number of accounts in the run.
    pub fn len(&self) -> usize {
        self.standing.len()
    }

    pub fn is_empty(&self) -> bool {
        self.standing.is_empty()
    }

    /// Position of the computed tier of account `i`, 0 = best. Panics if `i` is out of range.
    pub fn tier_index(&self, i: usize) -> usize {
        self.standing[i].tier
    }

    pub fn score(&self, i: usize) -> Option<f64> {
        self.scores.score[i]
    }

    pub fn rank(&self, i: usize) -> usize {
        self.standing[i].rank
    }

    pub fn percentile(&self, i: usize) -> f64 {
        100.0 * self.standing[i].lower as f64 / self.len() as f64
    }

    /// The explained assignment of account `i`, with or without its figures. `model` and
    /// `accounts` must be the ones the table was computed from ([`ResolvedModel::run`]).
    /// Panics if `i` is out of range.
    pub fn assignment(
        &self,
        model: &ResolvedModel,
        accounts: &[Account],
        i: usize,
        overrides: &HashMap<String, TierOverride>,
        figures: Figures,
    ) -> TierAssignment {
        TierRun::view(model, accounts, self).assignment(i, overrides, figures)
    }
}

impl<'a> TierRun<'a> {
    /// Gives back the owned table (see [`TierTable`]).
    pub fn into_table(self) -> TierTable {
        self.table
    }

    fn view(
        model: &'a ResolvedModel,
        accounts: &'a [Account],
        table: &'a TierTable,
    ) -> TierView<'a> {
        debug_assert_eq!(accounts.len(), table.len());
        TierView {
            model,
            accounts,
            table,
        }
    }

    fn as_view(&self) -> TierView<'_> {
        TierView {
            model: self.model,
            accounts: self.accounts,
            table: &self.table,
        }
    }

    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// Computed tier of account `i` (overrides not applied). Panics if `i` is out of range.
    pub fn computed_tier(&self, i: usize) -> &TierDef {
        &self.model.tiers[self.table.standing[i].tier]
    }

    /// Position of the computed tier, 0 = best.
    pub fn tier_index(&self, i: usize) -> usize {
        self.table.tier_index(i)
    }

    pub fn score(&self, i: usize) -> Option<f64> {
        self.table.score(i)
    }

    pub fn rank(&self, i: usize) -> usize {
        self.table.rank(i)
    }

    pub fn percentile(&self, i: usize) -> f64 {
        self.table.percentile(i)
    }

    /// Builds every assignment, in input order.
    pub fn assignments(&self, overrides: &HashMap<String, TierOverride>) -> Vec<TierAssignment> {
        let view = self.as_view();
        (0..self.len())
            .map(|i| view.assignment(i, overrides, Figures::Shown))
            .collect()
    }

    /// The full, explained assignment of account `i`. Panics if `i` is out of range.
    pub fn assignment(
        &self,
        i: usize,
        overrides: &HashMap<String, TierOverride>,
    ) -> TierAssignment {
        self.as_view().assignment(i, overrides, Figures::Shown)
    }

    /// The assignment of account `i` as a viewer without its figures sees it: no score, no
    /// contributions, and a rule text built from the rank and the cut only.
    pub fn assignment_without_figures(
        &self,
        i: usize,
        overrides: &HashMap<String, TierOverride>,
    ) -> TierAssignment {
        self.as_view().assignment(i, overrides, Figures::Hidden)
    }
}

/// A run's table with the model and accounts it was computed from: renders explanations.
struct TierView<'a> {
    model: &'a ResolvedModel,
    accounts: &'a [Account],
    table: &'a TierTable,
}

impl TierView<'_> {
    fn assignment(
        &self,
        i: usize,
        overrides: &HashMap<String, TierOverride>,
        figures: Figures,
    ) -> TierAssignment {
        let acc = &self.accounts[i];
        let st = &self.table.standing[i];
        let model = self.model;
        let shown = figures == Figures::Shown;
        let score = self.table.scores.score[i].filter(|_| shown);
        let contributions = if !shown {
            Vec::new()
        } else {
            self.table
                .scores
                .parts
                .iter()
                .map(|p| {
                    let v = p.normalised[i];
                    Contribution {
                        indicator: p.indicator,
                        group: p.group,
                        raw: p.indicator.value(&acc.indicators),
                        normalised: v,
                        weight: p.weight,
                        points: v.map_or(0.0, |x| p.weight * x),
                    }
                })
                .collect()
        };
        let computed = &model.tiers[st.tier];
        let mut rule = if shown {
            self.rule_text(st, score)
        } else {
            self.rule_text_without_figures(st, self.table.scores.score[i].is_some())
        };
        let ov = overrides.get(&acc.id);
        let applied = ov.and_then(|o| model.tier_index(&o.tier));
        let tier = match (ov, applied) {
            (Some(o), Some(t)) => {
                let def = &model.tiers[t];
                rule = Rule {
                    en: format!(
                        "overridden to {} by {} at {}: {}; computed: {}",
                        def.id, o.by, o.at, o.reason, rule.en
                    ),
                    zh: format!(
                        "人工调整为{}（{}，{}）：{}；计算结果：{}",
                        def.label_zh, o.by, o.at, o.reason, rule.zh
                    ),
                };
                def.id.clone()
            }
            (Some(o), None) => {
                rule = Rule {
                    en: format!(
                        "override to \"{}\" by {} ignored (not a tier of this model); {}",
                        o.tier, o.by, rule.en
                    ),
                    zh: format!(
                        "{}的人工调整“{}”未生效（本模型无此级别）；{}",
                        o.by, o.tier, rule.zh
                    ),
                };
                computed.id.clone()
            }
            (None, _) => computed.id.clone(),
        };
        TierAssignment {
            account_id: acc.id.clone(),
            tier,
            computed_tier: computed.id.clone(),
            score,
            rank: st.rank,
            percentile: self.table.percentile(i),
            contributions,
            rule,
            r#override: ov.cloned(),
            override_applied: applied.is_some(),
        }
    }

    /// The rule text from what every signed-in user may see: the rank, the count and the cut,
    /// never the score, the indicator values or a threshold the score was compared with.
    fn rule_text_without_figures(&self, st: &Standing, scored: bool) -> Rule {
        let p = &self.table.parts;
        let tier = &self.model.tiers[st.tier];
        let (mut en, mut zh) = (String::from("rank "), String::from("排名 "));
        push_uint(&mut en, st.rank as u64);
        push_uint(&mut zh, st.rank as u64);
        if p.threshold.is_some() || !scored {
            // The threshold's number would bound the score: say only where the rank stands.
            en.push_str(&p.tail_en);
            zh.push_str(&p.tail_zh);
            en.push_str(" → ");
            en.push_str(&tier.id);
            zh.push_str(" → ");
            zh.push_str(&tier.label_zh);
        } else {
            en.push_str(&p.tier_en[st.tier]);
            zh.push_str(&p.tier_zh[st.tier]);
        }
        if scored && st.tied > 1 {
            en.push_str("; tied with ");
            push_uint(&mut en, (st.tied - 1) as u64);
            en.push_str(" other account(s), ties share the better tier");
            zh.push_str("；与另外 ");
            push_uint(&mut zh, (st.tied - 1) as u64);
            zh.push_str(" 个客户同分，同分取较高级别");
        }
        Rule { en, zh }
    }

    fn rule_text(&self, st: &Standing, score: Option<f64>) -> Rule {
        let p = &self.table.parts;
        let Some(s) = score else {
            return p.unscored.clone();
        };
        let k = st.tier;
        // Sized up front: numbers take at most 20 bytes each, the tie note ~70.
        let extra = if st.tied > 1 { 110 } else { 40 };
        let mut en = String::with_capacity(
            p.head_en.len().max(p.thr_head_en.len()) + p.tier_en[k].len() + 16 + extra,
        );
        let mut zh = String::with_capacity(
            p.head_zh.len().max(p.thr_head_zh.len()) + p.tier_zh[k].len() + 16 + extra,
        );
        if let Some(ts) = &p.threshold {
            let t = ts.get(k).copied().unwrap_or(0.0);
            let (sv, tv) = fmt_pair(s, t);
            let op = if k + 1 == self.model.tiers.len() {
                "<"
            } else {
                "≥"
            };
            for (out, word, head, tier, tail) in [
                (&mut en, "score ", &p.thr_head_en, &p.tier_en[k], &p.tail_en),
                (&mut zh, "得分 ", &p.thr_head_zh, &p.tier_zh[k], &p.tail_zh),
            ] {
                out.push_str(word);
                out.push_str(&sv);
                out.push_str(head);
                out.push_str(op);
                out.push(' ');
                out.push_str(&tv);
                out.push_str(tier);
                push_uint(out, st.rank as u64);
                out.push_str(tail);
            }
            return Rule { en, zh };
        }
        en.push_str("score ");
        push_num2(&mut en, s);
        en.push_str(&p.head_en);
        push_uint(&mut en, st.rank as u64);
        en.push_str(&p.tier_en[k]);
        zh.push_str("得分 ");
        push_num2(&mut zh, s);
        zh.push_str(&p.head_zh);
        push_uint(&mut zh, st.rank as u64);
        zh.push_str(&p.tier_zh[k]);
        if st.tied > 1 {
            en.push_str("; tied with ");
            push_uint(&mut en, (st.tied - 1) as u64);
            en.push_str(" other account(s), ties share the better tier");
            zh.push_str("；与另外 ");
            push_uint(&mut zh, (st.tied - 1) as u64);
            zh.push_str(" 个客户同分，同分取较高级别");
        }
        Rule { en, zh }
    }
}

fn push_uint(out: &mut String, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or("?"));
}

/// Appends `x` with at most 2 decimals, trailing zeros removed (fast path of [`fmt_num`]).
fn push_num2(out: &mut String, x: f64) {
    if !(x.is_finite() && x.abs() < 1e13) {
        out.push_str(&fmt_num(x, 2));
        return;
    }
    let c = (x * 100.0).round() as i64;
    if c < 0 {
        out.push('-');
    }
    let c = c.unsigned_abs();
    push_uint(out, c / 100);
    let frac = c % 100;
    if frac != 0 {
        out.push('.');
        out.push(char::from(b'0' + (frac / 10) as u8));
        if !frac.is_multiple_of(10) {
            out.push(char::from(b'0' + (frac % 10) as u8));
        }
    }
}

/// Formats with at most `decimals` decimals, trailing zeros removed.
fn fmt_num(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" {
        "0".to_string()
    } else {
        s
    }
}

/// Formats a score and a threshold with enough decimals that unequal values look unequal.
fn fmt_pair(a: f64, b: f64) -> (String, String) {
    let (mut x, mut y) = (String::new(), String::new());
    push_num2(&mut x, a);
    push_num2(&mut y, b);
    if x != y || a == b {
        return (x, y);
    }
    for d in [4, 6, 9] {
        let (x, y) = (fmt_num(a, d), fmt_num(b, d));
        if x != y || a == b {
            return (x, y);
        }
    }
    (format!("{a}"), format!("{b}"))
}

// ------------------------------------------------------------------------------------------
// Public entry points
// ------------------------------------------------------------------------------------------

/// Validates `model` and computes one assignment per account, in the order of `accounts`.
/// Overrides are keyed by account id; an override for an unknown account is ignored, one naming
/// a tier the model does not have is reported but not applied.
pub fn compute_tiers(
    model: &TierModel,
    accounts: &[Account],
    overrides: &HashMap<String, TierOverride>,
) -> Result<Vec<TierAssignment>, ModelError> {
    Ok(model.resolve()?.compute(accounts, overrides))
}

/// Tier changes between a previous run (`account id → tier id`) and the current assignments,
/// using the tier in force (`tier`, overrides included). Unchanged accounts are left out;
/// accounts only in `previous` are not reported. Order follows `current`.
pub fn tier_changes(
    model: &TierModel,
    previous: &HashMap<String, String>,
    current: &[TierAssignment],
) -> Result<Vec<TierChange>, ModelError> {
    let resolved = model.resolve()?;
    Ok(current
        .iter()
        .filter_map(|a| {
            let direction = match previous.get(&a.account_id) {
                None => Direction::New,
                Some(p) if *p == a.tier => return None,
                Some(p) => match (resolved.tier_index(p), resolved.tier_index(&a.tier)) {
                    (Some(from), Some(to)) if to < from => Direction::Up,
                    (Some(_), Some(_)) => Direction::Down,
                    _ => Direction::Changed,
                },
            };
            Some(TierChange {
                account_id: a.account_id.clone(),
                from: previous.get(&a.account_id).cloned(),
                to: a.tier.clone(),
                direction,
            })
        })
        .collect())
}

/// Tier changes between two runs given as `(account id, tier id)` pairs **sorted by id**
/// (byte order, as a sorted store returns them), in linear time and without building maps.
/// (The server's recompute applies the same rules on tier indexes, in `accounts::compare`, so
/// that it allocates nothing per account.) Same rules as [`tier_changes`]: unchanged
/// accounts are left out, accounts only in `previous` are not reported, `up` is toward the
/// model's first tier. Order follows `current`.
pub fn tier_changes_sorted<'a>(
    model: &ResolvedModel,
    previous: impl IntoIterator<Item = (&'a str, &'a str)>,
    current: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<TierChange> {
    let mut previous = previous.into_iter().peekable();
    let mut changes = Vec::new();
    for (id, tier) in current {
        while previous.next_if(|(p, _)| *p < id).is_some() {}
        let before = previous.next_if(|(p, _)| *p == id).map(|(_, t)| t);
        let direction = match before {
            None => Direction::New,
            Some(p) if p == tier => continue,
            Some(p) => match (model.tier_index(p), model.tier_index(tier)) {
                (Some(from), Some(to)) if to < from => Direction::Up,
                (Some(_), Some(_)) => Direction::Down,
                _ => Direction::Changed,
            },
        };
        changes.push(TierChange {
            account_id: id.to_string(),
            from: before.map(str::to_string),
            to: tier.to_string(),
            direction,
        });
    }
    changes
}

// ------------------------------------------------------------------------------------------
// Tests
// ------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by schemathesis: `PUT /api/v1/tier-model` with `[null, null]` answered 200.
    #[test]
    fn a_model_that_is_not_a_json_object_is_an_error() {
        for text in ["[null, null]", "[]", "null", "1", "\"pyramid\""] {
            let error = TierModel::from_json(text).expect_err(text);
            assert!(error.to_string().contains("JSON object"), "{text}: {error}");
        }
    }
    use crate::domain::account::Money;

    #[test]
    fn sorted_tier_changes_match_the_map_based_ones() {
        let model = TierModel::default().resolve().unwrap();
        let previous = [
            ("a", "major"),
            ("b", "small"),
            ("c", "strategic"),
            ("z", "small"),
        ];
        let current = [
            ("a", "strategic"),
            ("b", "small"),
            ("bb", "ordinary"),
            ("c", "major"),
            ("d", "gone-tier"),
        ];
        let changes = tier_changes_sorted(&model, previous, current);
        let seen: Vec<(&str, Option<&str>, Direction)> = changes
            .iter()
            .map(|c| (c.account_id.as_str(), c.from.as_deref(), c.direction))
            .collect();
        assert_eq!(
            seen,
            vec![
                ("a", Some("major"), Direction::Up),
                ("bb", None, Direction::New),
                ("c", Some("strategic"), Direction::Down),
                ("d", None, Direction::New),
            ]
        );
        let previous = [("d", "small")];
        let changes = tier_changes_sorted(&model, previous, [("d", "gone-tier")]);
        assert_eq!(changes[0].direction, Direction::Changed);
    }

    fn acc(id: &str, f: impl FnOnce(&mut Indicators)) -> Account {
        let mut indicators = Indicators::default();
        f(&mut indicators);
        Account {
            id: id.to_string(),
            name: id.to_string(),
            aliases: Vec::new(),
            industry: None,
            region: None,
            owner: None,
            indicators,
        }
    }

    /// Accounts a01.. with the given revenues in yuan.
    fn revenues(values: &[i64]) -> Vec<Account> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                acc(&format!("a{:02}", i + 1), |x| {
                    x.revenue = Some(Money::from_major(*v))
                })
            })
            .collect()
    }

    fn model(json: &str) -> TierModel {
        match TierModel::from_json(json) {
            Ok(m) => m,
            Err(e) => panic!("model {json} rejected: {e}"),
        }
    }

    fn err(json: &str) -> String {
        match TierModel::from_json(json) {
            Ok(_) => panic!("model {json} accepted"),
            Err(e) => e.to_string(),
        }
    }

    fn run(m: &TierModel, accounts: &[Account]) -> Vec<TierAssignment> {
        compute_tiers(m, accounts, &HashMap::new()).expect("valid model")
    }

    fn tiers_of(out: &[TierAssignment]) -> Vec<&str> {
        out.iter().map(|a| a.tier.as_str()).collect()
    }

    fn single_revenue() -> TierModel {
        model(r#"{"preset":"pyramid","score":{"method":"single","indicator":"revenue"}}"#)
    }

    // ---- model document

    #[test]
    fn the_example_document_deserialises_as_written() {
        let m: TierModel = serde_json::from_str(
            r#"{"preset":"pyramid","score":{"method":"single","indicator":"revenue"}}"#,
        )
        .expect("valid");
        assert_eq!(m.preset, Some(Preset::Pyramid));
        assert_eq!(
            m.score,
            ScoreMethod::Single {
                indicator: Indicator::Revenue
            }
        );
        assert_eq!(m.cut, CutMethod::PercentOfAccounts { percents: None });
    }

    #[test]
    fn an_empty_document_is_the_default_model() {
        assert_eq!(model("{}"), TierModel::default());
    }

    #[test]
    fn the_default_model_is_pyramid_weighted_log_min_max() {
        let r = TierModel::default().resolve().expect("valid");
        let ids: Vec<&str> = r.tiers.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["strategic", "major", "ordinary", "small"]);
        assert_eq!(r.cut, ResolvedCut::Percent(vec![1.0, 20.0, 50.0]));
        assert!(r.explain_score().en.contains("log_min_max"));
        assert!(r.explain_score().zh.contains("对数"));
    }

    #[test]
    fn a_model_round_trips_through_json() {
        let text = r#"{"tiers":[{"id":"a","cut":80},{"id":"b"}],
            "cut":{"method":"share_of_value"},
            "score":{"method":"scorecard","groups":{"financial":1,"service":1},"normalisation":"rank_percentile"}}"#;
        let m = model(text);
        let back: TierModel =
            serde_json::from_str(&serde_json::to_string(&m).expect("serialise")).expect("parse");
        assert_eq!(back, m);
    }

    #[test]
    fn the_vip_preset_has_vip_major_ordinary_small_at_1_6_20() {
        let r = model(r#"{"preset":"vip"}"#).resolve().expect("valid");
        assert_eq!(r.tiers[0].label_zh, "VIP客户");
        assert_eq!(r.cut, ResolvedCut::Percent(vec![1.0, 6.0, 20.0]));
    }

    #[test]
    fn a_misspelt_indicator_is_named_with_the_field_and_the_choices() {
        let e = err(r#"{"score":{"method":"single","indicator":"revnue"}}"#);
        assert!(
            e.starts_with(
                "score.indicator: unknown indicator \"revnue\" (expected one of revenue, profit"
            ),
            "{e}"
        );
        let e = err(r#"{"score":{"method":"weighted","weights":{"revnue":1}}}"#);
        assert!(
            e.starts_with("score.weights: unknown indicator \"revnue\""),
            "{e}"
        );
    }

    #[test]
    fn weights_summing_to_zero_are_rejected() {
        let e = err(r#"{"score":{"method":"weighted","weights":{"revenue":0,"profit":0}}}"#);
        assert_eq!(e, "score.weights: weights must sum to > 0");
        let e = err(r#"{"score":{"method":"weighted","weights":{"revenue":-1,"profit":2}}}"#);
        assert!(
            e.starts_with("score.weights.revenue: weight must be"),
            "{e}"
        );
        let e = err(r#"{"score":{"method":"weighted","weights":{}}}"#);
        assert_eq!(e, "score.weights: at least one weight is needed");
    }

    #[test]
    fn cut_points_that_do_not_increase_are_rejected() {
        let e = err(r#"{"tiers":[{"id":"a","cut":20},{"id":"b","cut":20},{"id":"c"}]}"#);
        assert_eq!(e, "tiers[1].cut: cut points must increase (20 after 20)");
        let e = err(r#"{"cut":{"method":"share_of_value","shares":[80,50,95]}}"#);
        assert_eq!(e, "cut.shares[1]: cut points must increase (50 after 80)");
        let e = err(r#"{"cut":{"method":"threshold","thresholds":[30,60,90]}}"#);
        assert!(
            e.starts_with("cut.thresholds[1]: thresholds must decrease"),
            "{e}"
        );
    }

    #[test]
    fn other_model_mistakes_are_named() {
        assert!(err(r#"{"preset":"pyrmid"}"#).starts_with("preset: unknown preset \"pyrmid\""));
        assert!(err(r#"{"cut":{"method":"top"}}"#).starts_with("cut.method: unknown method"));
        assert!(err(r#"{"cut":{"method":"share_of_value"}}"#).starts_with("cut.shares: "));
        assert_eq!(
            err(r#"{"cut":{"method":"share_of_value","shares":[50,80]}}"#),
            "cut.shares: expected 3 cut points (one per boundary between 4 tiers), got 2"
        );
        assert!(
            err(r#"{"cut":{"method":"percent_of_accounts","percents":[0,20,50]}}"#)
                .starts_with("cut.percents[0]: percent of accounts must be > 0")
        );
        assert!(err(r#"{"tiers":[{"id":"a","cut":10},{"id":"a"}]}"#)
            .starts_with("tiers[1].id: duplicate"));
        assert!(err(r#"{"tiers":[{"id":"a"},{"id":"b"}]}"#).starts_with("tiers[0].cut: missing"));
        assert!(
            err(r#"{"tiers":[{"id":"a","cut":10},{"id":"b","cut":50}]}"#)
                .starts_with("tiers[1].cut: the last tier takes the rest")
        );
        assert!(err(
            r#"{"score":{"method":"single","indicator":"revenue","normalisation":"min_max"}}"#
        )
        .starts_with("score.normalisation: not used by method single"));
        assert!(err(
            r#"{"score":{"method":"weighted","weights":{"revenue":1},"normalisation":"zscore"}}"#
        )
        .starts_with("score.normalisation: unknown normalisation"));
        assert!(
            err(r#"{"score":{"method":"scorecard","groups":{"money":1}}}"#)
                .starts_with("score.groups: unknown group")
        );
        assert!(err(r#"{"colour":"red"}"#).contains("unknown field `colour`"));
        let via_serde = serde_json::from_str::<TierModel>(r#"{"score":{"method":"single"}}"#)
            .expect_err("rejected")
            .to_string();
        assert!(
            via_serde.starts_with("score.indicator: missing"),
            "{via_serde}"
        );
    }

    #[test]
    fn custom_tiers_override_the_preset_cut_points() {
        let m = model(
            r#"{"preset":"pyramid","tiers":[{"id":"strategic","cut":10},{"id":"major","cut":30},{"id":"ordinary","cut":60},{"id":"small","cut":100}],
                "score":{"method":"single","indicator":"revenue"}}"#,
        );
        let r = m.resolve().expect("valid");
        assert_eq!(r.cut, ResolvedCut::Percent(vec![10.0, 30.0, 60.0]));
        assert_eq!(r.tiers[1].label_zh, "主要客户");
        let out = run(&m, &revenues(&[10, 9, 8, 7, 6, 5, 4, 3, 2, 1]));
        assert_eq!(
            tiers_of(&out),
            [
                "strategic",
                "major",
                "major",
                "ordinary",
                "ordinary",
                "ordinary",
                "small",
                "small",
                "small",
                "small"
            ]
        );
    }

    // ---- explanations without the figures

    #[test]
    fn an_explanation_without_the_figures_keeps_rank_and_cut_and_drops_every_number_of_the_account()
    {
        let accounts = revenues(&[987_654, 9, 9, 7, 6, 5, 4, 3, 2, 1]);
        let percent = single_revenue().resolve().expect("valid");
        let run = percent.run(&accounts);
        let hidden = run.assignment_without_figures(0, &HashMap::new());
        assert_eq!(hidden.score, None);
        assert!(hidden.contributions.is_empty());
        assert_eq!(hidden.rank, 1);
        assert_eq!(
            hidden.rule.en,
            "rank 1 of 10 ≤ ceil(10 × 1%) = 1 → strategic"
        );
        assert_eq!(hidden.rule.zh, "排名 1/10 ≤ ceil(10×1%)=1 → 重要(战略)客户");
        let tied = run.assignment_without_figures(1, &HashMap::new());
        assert!(
            tied.rule.en.contains("tied with 1 other account(s)"),
            "{}",
            tied.rule.en
        );
        assert!(!tied.rule.en.contains('9'), "{}", tied.rule.en);

        let threshold = model(
            r#"{"score":{"method":"single","indicator":"revenue"},"cut":{"method":"threshold","thresholds":[500000,8,3]},
                "tiers":[{"id":"strategic"},{"id":"major"},{"id":"ordinary"},{"id":"small"}]}"#,
        )
        .resolve()
        .expect("valid");
        let run = threshold.run(&accounts);
        let shown = run.assignment(0, &HashMap::new());
        assert!(shown.rule.en.contains("987654") && shown.rule.en.contains("500000"));
        let hidden = run.assignment_without_figures(0, &HashMap::new());
        assert_eq!(hidden.rule.en, "rank 1 of 10 → strategic");
        assert_eq!(hidden.rule.zh, "排名 1/10 → 重要(战略)客户");
    }

    // ---- rank rule

    #[test]
    fn ten_accounts_in_pyramid_give_exactly_one_strategic_account() {
        let out = run(
            &single_revenue(),
            &revenues(&[10, 9, 8, 7, 6, 5, 4, 3, 2, 1]),
        );
        // ceil(10×1%)=1, ceil(10×20%)=2, ceil(10×50%)=5
        assert_eq!(
            tiers_of(&out),
            [
                "strategic",
                "major",
                "ordinary",
                "ordinary",
                "ordinary",
                "small",
                "small",
                "small",
                "small",
                "small"
            ]
        );
        assert_eq!(out[0].rank, 1);
        assert_eq!(out[0].percentile, 90.0);
        assert_eq!(out[9].percentile, 0.0);
        assert_eq!(
            out[0].rule.en,
            "score 10 (revenue); rank 1 of 10 ≤ ceil(10 × 1%) = 1 → strategic"
        );
        assert_eq!(
            out[0].rule.zh,
            "得分 10（销售额）；排名 1/10 ≤ ceil(10×1%)=1 → 重要(战略)客户"
        );
        assert_eq!(
            out[9].rule.en,
            "score 1 (revenue); rank 10 of 10 > ceil(10 × 50%) = 5 → small"
        );
    }

    #[test]
    fn rank_three_of_250_is_strategic_because_ceil_of_2_5_is_3() {
        let vals: Vec<i64> = (1..=250).rev().collect();
        let out = run(&single_revenue(), &revenues(&vals));
        assert_eq!(out.iter().filter(|a| a.tier == "strategic").count(), 3);
        assert_eq!(
            out[2].rule.en,
            "score 248 (revenue); rank 3 of 250 ≤ ceil(250 × 1%) = 3 → strategic"
        );
        assert_eq!(out.iter().filter(|a| a.tier == "major").count(), 47);
        // 247 accounts score lower: 100 × 247 / 250
        assert_eq!(out[2].percentile, 98.8);
        let v = serde_json::to_value(&out[2]).expect("serialise");
        assert_eq!(v["contributions"][0]["raw"], 248.0);
        assert_eq!(v["override"], serde_json::Value::Null);
    }

    #[test]
    fn one_account_is_strategic_and_zero_accounts_give_nothing() {
        let out = run(&single_revenue(), &revenues(&[5]));
        assert_eq!(tiers_of(&out), ["strategic"]);
        assert_eq!(out[0].percentile, 0.0);
        assert!(run(&single_revenue(), &[]).is_empty());
        assert!(run(&TierModel::default(), &[]).is_empty());
    }

    #[test]
    fn a_tie_on_the_cut_line_gives_the_whole_group_the_better_tier() {
        // 10 accounts, strategic bound 1, major bound 2: a02 and a03 tie at rank 2.
        let out = run(
            &single_revenue(),
            &revenues(&[100, 50, 50, 40, 30, 20, 20, 20, 10, 5]),
        );
        let ranks: Vec<usize> = out.iter().map(|a| a.rank).collect();
        assert_eq!(ranks, [1, 2, 2, 4, 5, 6, 6, 6, 9, 10]);
        assert_eq!(
            tiers_of(&out),
            [
                "strategic",
                "major",
                "major",
                "ordinary",
                "ordinary",
                "small",
                "small",
                "small",
                "small",
                "small"
            ]
        );
        assert!(out[2].rule.en.contains("tied with 1 other account(s)"));
        // a tie straddling the 50% line: a05–a07 tie at rank 5 ≤ ceil(10×50%) = 5 → all ordinary
        let out = run(
            &single_revenue(),
            &revenues(&[100, 90, 80, 70, 60, 60, 60, 10, 5, 1]),
        );
        assert_eq!(
            tiers_of(&out),
            [
                "strategic",
                "major",
                "ordinary",
                "ordinary",
                "ordinary",
                "ordinary",
                "ordinary",
                "small",
                "small",
                "small"
            ]
        );
        assert_eq!(out[6].rank, 5);
        assert_eq!(out[6].percentile, 30.0);
    }

    #[test]
    fn all_equal_scores_put_everyone_in_the_first_tier() {
        let out = run(&single_revenue(), &revenues(&[7; 6]));
        assert!(out
            .iter()
            .all(|a| a.tier == "strategic" && a.rank == 1 && a.percentile == 0.0));
        // weighted with every value equal: normalised 100 each, same score
        let out = run(&TierModel::default(), &revenues(&[7; 6]));
        assert!(out.iter().all(|a| a.tier == "strategic"));
    }

    #[test]
    fn ties_are_ordered_by_id_and_the_result_keeps_input_order() {
        let mut accounts = revenues(&[5, 5, 9]);
        accounts[0].id = "zeta".into();
        accounts[1].id = "alpha".into();
        let out = run(&single_revenue(), &accounts);
        let ids: Vec<&str> = out.iter().map(|a| a.account_id.as_str()).collect();
        assert_eq!(ids, ["zeta", "alpha", "a03"]);
        assert_eq!(out[2].rank, 1);
        assert_eq!((out[0].rank, out[1].rank), (2, 2));
    }

    #[test]
    fn negative_profit_ranks_below_zero_and_positive_profit() {
        let accounts: Vec<Account> = [("p", 300), ("z", 0), ("n", -200), ("m", -50)]
            .iter()
            .map(|(id, v)| acc(id, |x| x.profit = Some(Money::from_major(*v))))
            .collect();
        let m = model(r#"{"score":{"method":"single","indicator":"profit"}}"#);
        let out = run(&m, &accounts);
        let ranks: Vec<usize> = out.iter().map(|a| a.rank).collect();
        assert_eq!(ranks, [1, 2, 4, 3]);
        assert_eq!(out[2].score, Some(-200.0));
        // N = 4: bounds ceil(0.04)=1, ceil(0.8)=1, ceil(2)=2
        assert_eq!(tiers_of(&out), ["strategic", "ordinary", "small", "small"]);
    }

    #[test]
    fn accounts_missing_the_indicator_go_to_the_last_tier() {
        let mut accounts = revenues(&[30, 20, 10]);
        accounts.push(acc("none", |_| {}));
        let out = run(&single_revenue(), &accounts);
        assert_eq!(out[3].score, None);
        assert_eq!(out[3].rank, 4);
        assert_eq!(out[3].tier, "small");
        assert_eq!(out[3].contributions[0].raw, None);
        assert!(
            out[3]
                .rule
                .en
                .starts_with("no score (revenue not recorded)"),
            "{}",
            out[3].rule.en
        );
        // N counts the unscored account: ceil(4×20%)=1, ceil(4×50%)=2
        assert_eq!(tiers_of(&out), ["strategic", "ordinary", "small", "small"]);
    }

    #[test]
    fn overdue_days_rank_fewer_days_higher() {
        let accounts: Vec<Account> = [("late", 90), ("ok", 0), ("some", 30)]
            .iter()
            .map(|(id, d)| acc(id, |x| x.overdue_days = Some(*d)))
            .collect();
        let m = model(r#"{"score":{"method":"single","indicator":"overdue_days"}}"#);
        let out = run(&m, &accounts);
        assert_eq!(out[1].rank, 1);
        assert_eq!(out[0].score, Some(-90.0));
        assert_eq!(out[0].contributions[0].raw, Some(90.0));
    }

    // ---- weighted scores and normalisations

    #[test]
    fn normalisations_match_hand_computed_values() {
        let col = [Some(0.0), Some(10.0), Some(10.0), Some(40.0), None];
        assert_eq!(
            normalise(&col, Normalisation::MinMax),
            [Some(0.0), Some(25.0), Some(25.0), Some(100.0), None]
        );
        // at-or-below counts 1,3,3,4 of n=4 → (c−1)/3
        assert_eq!(
            normalise(&col, Normalisation::RankPercentile),
            [
                Some(0.0),
                Some(200.0 / 3.0),
                Some(200.0 / 3.0),
                Some(100.0),
                None
            ]
        );
        // ln(1+x): e−1 → 1, e³−1 → 3, 0 → 0 : min_max over [0,1,3] → 0, 33.3, 100
        let e = std::f64::consts::E;
        let col = [Some(0.0), Some(e - 1.0), Some(e.powi(3) - 1.0)];
        let n = normalise(&col, Normalisation::LogMinMax);
        let close = |a: Option<f64>, b: f64| (a.unwrap_or(f64::NAN) - b).abs() < 1e-9;
        assert!(close(n[0], 0.0) && close(n[1], 100.0 / 3.0) && close(n[2], 100.0));
        // signed log: −(e−1) sits below 0
        let n = normalise(
            &[Some(1.0 - e), Some(0.0), Some(e - 1.0)],
            Normalisation::LogMinMax,
        );
        assert!(close(n[0], 0.0) && close(n[1], 50.0) && close(n[2], 100.0));
        // single value and all-equal → 100
        assert_eq!(
            normalise(&[Some(3.0)], Normalisation::RankPercentile),
            [Some(100.0)]
        );
        assert_eq!(
            normalise(&[Some(3.0), Some(3.0)], Normalisation::MinMax),
            [Some(100.0), Some(100.0)]
        );
    }

    #[test]
    fn weighted_min_max_score_is_the_weighted_sum_and_contributions_add_up() {
        // revenue 0/50/100 → 0/50/100; profit 10/30/20 → 0/100/50; weights 3:1 → 0.75/0.25
        let accounts: Vec<Account> = [(0, 10), (50, 30), (100, 20)]
            .iter()
            .enumerate()
            .map(|(i, (r, p))| {
                acc(&format!("w{i}"), |x| {
                    x.revenue = Some(Money::from_major(*r));
                    x.profit = Some(Money::from_major(*p));
                })
            })
            .collect();
        let m = model(
            r#"{"score":{"method":"weighted","weights":{"revenue":3,"profit":1},"normalisation":"min_max"}}"#,
        );
        let out = run(&m, &accounts);
        let scores: Vec<Option<f64>> = out.iter().map(|a| a.score).collect();
        assert_eq!(scores, [Some(0.0), Some(62.5), Some(87.5)]);
        let c = &out[1].contributions;
        assert_eq!(c.len(), 2);
        assert_eq!(
            (
                c[0].indicator,
                c[0].raw,
                c[0].normalised,
                c[0].weight,
                c[0].points
            ),
            (Indicator::Revenue, Some(50.0), Some(50.0), 0.75, 37.5)
        );
        assert_eq!(c[1].points, 25.0);
        assert_eq!(out[2].rank, 1);
        assert!(out[1]
            .rule
            .en
            .starts_with("score 62.5 (weighted, min_max); rank 2 of 3"));
    }

    #[test]
    fn weighted_rank_percentile_and_missing_indicators_count_zero() {
        // revenue 10/20/30/– ; collected 5/–/5/5 ; weights 0.5/0.5, rank_percentile
        let mk = |id: &str, r: Option<i64>, c: Option<i64>| {
            acc(id, |x| {
                x.revenue = r.map(Money::from_major);
                x.collected = c.map(Money::from_major);
            })
        };
        let accounts = vec![
            mk("a", Some(10), Some(5)),
            mk("b", Some(20), None),
            mk("c", Some(30), Some(5)),
            mk("d", None, Some(5)),
            mk("e", None, None),
        ];
        let m = model(
            r#"{"score":{"method":"weighted","weights":{"revenue":1,"collected":1},"normalisation":"rank_percentile"}}"#,
        );
        let out = run(&m, &accounts);
        // revenue pct among 3: 0, 50, 100; collected all equal (3 values) → 100 each
        let scores: Vec<Option<f64>> = out.iter().map(|a| a.score).collect();
        assert_eq!(
            scores,
            [Some(50.0), Some(25.0), Some(100.0), Some(50.0), None]
        );
        assert_eq!(out[1].contributions[1].normalised, None);
        assert_eq!(out[1].contributions[1].points, 0.0);
        // ranks: c 1, a/d tie 2, b 4, e unscored 5
        let ranks: Vec<usize> = out.iter().map(|a| a.rank).collect();
        assert_eq!(ranks, [2, 4, 1, 2, 5]);
        assert!(out[4].rule.en.contains("revenue, collected not recorded"));
    }

    #[test]
    fn a_zero_weight_indicator_is_left_out() {
        let m = model(r#"{"score":{"method":"weighted","weights":{"revenue":1,"profit":0}}}"#);
        let out = run(&m, &revenues(&[1, 2]));
        assert_eq!(out[0].contributions.len(), 1);
    }

    // ---- scorecard

    #[test]
    fn scorecard_groups_average_their_indicators_with_missing_as_zero() {
        // two accounts; min_max over two values gives 0 or 100.
        let a = acc("a", |x| {
            x.revenue = Some(Money::from_major(100));
            x.profit = Some(Money::from_major(10));
            x.collected = Some(Money::from_major(100));
            x.transactions = Some(5);
            x.product_lines = Some(1);
            x.potential_customer = Some(80);
            x.cooperation_years = Some(2.0);
            x.referral = Some(true);
            x.potential_service = Some(60);
        });
        let b = acc("b", |x| {
            x.revenue = Some(Money::from_major(50));
            x.profit = Some(Money::from_major(20));
            // collected missing
            x.transactions = Some(1);
            x.product_lines = Some(3);
            x.cooperation_years = Some(1.0);
            x.referral = Some(false);
            x.potential_customer = Some(200); // clamped to 100
        });
        let m = model(
            r#"{"score":{"method":"scorecard","groups":{"financial":0.4,"sales":0.2,"customer":0.2,"service":0.2},"normalisation":"min_max"}}"#,
        );
        let out = run(&m, &[a, b]);
        // a: financial (100+0+100)/3, sales (100+0)/2, customer (80+100+100)/3, service 60
        let sa = 0.4 * 200.0 / 3.0 + 0.2 * 50.0 + 0.2 * 280.0 / 3.0 + 0.2 * 60.0;
        // b: financial (0+100+0)/3, sales (0+100)/2, customer (100+0+0)/3, service missing 0
        let sb = 0.4 * 100.0 / 3.0 + 0.2 * 50.0 + 0.2 * 100.0 / 3.0;
        let got_a = out[0].score.unwrap_or(f64::NAN);
        let got_b = out[1].score.unwrap_or(f64::NAN);
        assert!((got_a - sa).abs() < 1e-9, "{got_a} vs {sa}");
        assert!((got_b - sb).abs() < 1e-9, "{got_b} vs {sb}");
        assert_eq!(out[0].contributions.len(), 9);
        let points: f64 = out[0].contributions.iter().map(|c| c.points).sum();
        assert!((points - sa).abs() < 1e-9);
        let pc = &out[1].contributions[5];
        assert_eq!(
            (pc.indicator, pc.group, pc.normalised),
            (
                Indicator::PotentialCustomer,
                Some(Group::Customer),
                Some(100.0)
            )
        );
        assert!((pc.weight - 0.2 / 3.0).abs() < 1e-12);
        let svc = &out[1].contributions[8];
        assert_eq!(
            (svc.indicator, svc.normalised, svc.points),
            (Indicator::PotentialService, None, 0.0)
        );
    }

    #[test]
    fn scorecard_without_groups_uses_40_20_20_20_and_unscored_without_data() {
        let m = model(r#"{"score":{"method":"scorecard"}}"#);
        match &m.score {
            ScoreMethod::Scorecard {
                groups,
                normalisation,
            } => {
                assert_eq!(groups, &default_groups());
                assert_eq!(*normalisation, Normalisation::LogMinMax);
            }
            other => panic!("{other:?}"),
        }
        let out = run(
            &m,
            &[
                acc("empty", |_| {}),
                acc("s", |x| x.potential_service = Some(50)),
            ],
        );
        assert_eq!(out[0].score, None);
        assert!((out[1].score.unwrap_or(f64::NAN) - 10.0).abs() < 1e-9);
    }

    // ---- share of value

    #[test]
    fn share_of_value_takes_the_fewest_top_accounts_reaching_each_share() {
        // total 200: top1 = 100 (50%), top2 = 150 (75%), top3 = 180 (90%), top4 = 190 (95%)
        let m = model(
            r#"{"cut":{"method":"share_of_value","shares":[50,80,95]},"score":{"method":"single","indicator":"revenue"}}"#,
        );
        let out = run(&m, &revenues(&[100, 50, 30, 10, 5, 3, 1, 1, 0, 0]));
        assert_eq!(
            tiers_of(&out),
            [
                "strategic",
                "major",
                "major",
                "ordinary",
                "small",
                "small",
                "small",
                "small",
                "small",
                "small"
            ]
        );
        assert!(
            out[1].rule.en.contains(
                "rank 2 of 10 ≤ 3 = fewest top accounts holding ≥ 80% of total value → major"
            ),
            "{}",
            out[1].rule.en
        );
        assert!(
            out[9].rule.en.contains("rank 9 of 10 > 4"),
            "{}",
            out[9].rule.en
        );
    }

    #[test]
    fn share_of_value_sums_money_exactly_in_fen() {
        let accounts: Vec<Account> = (0..3)
            .map(|i| acc(&format!("f{i}"), |x| x.revenue = Some(Money(1))))
            .chain([acc("big", |x| x.revenue = Some(Money(i64::MAX)))])
            .collect();
        let m = model(
            r#"{"tiers":[{"id":"a"},{"id":"b"}],"cut":{"method":"share_of_value","shares":[100]},"score":{"method":"single","indicator":"revenue"}}"#,
        );
        let out = run(&m, &accounts);
        // 100 % needs every account that holds value: all four (in f64 the three fen vanish
        // next to i64::MAX and the big account alone would seem to hold 100 %)
        assert_eq!(tiers_of(&out), ["a", "a", "a", "a"]);
        let m = model(
            r#"{"tiers":[{"id":"a"},{"id":"b"}],"cut":{"method":"share_of_value","shares":[99.99]},"score":{"method":"single","indicator":"revenue"}}"#,
        );
        // 99.99 % is reached by the big account alone
        assert_eq!(tiers_of(&run(&m, &accounts)), ["b", "b", "b", "a"]);
    }

    #[test]
    fn share_of_value_with_losses_counts_them_as_zero_and_no_value_means_last_tier() {
        let mk = |v: &[i64]| -> Vec<Account> {
            v.iter()
                .enumerate()
                .map(|(i, p)| acc(&format!("p{i}"), |x| x.profit = Some(Money::from_major(*p))))
                .collect()
        };
        let m = model(
            r#"{"cut":{"method":"share_of_value","shares":[50,80,95]},"score":{"method":"single","indicator":"profit"}}"#,
        );
        // positive total 100: 60 → 60% (tier 1), +40 → 100% reaches 80 and 95
        let out = run(&m, &mk(&[60, 40, -30, -70]));
        assert_eq!(tiers_of(&out), ["strategic", "major", "small", "small"]);
        let out = run(&m, &mk(&[-1, -5]));
        assert_eq!(tiers_of(&out), ["small", "small"]);
    }

    #[test]
    fn share_of_value_on_a_weighted_score_uses_the_composite() {
        let m = model(
            r#"{"tiers":[{"id":"top","cut":50},{"id":"rest"}],"cut":{"method":"share_of_value"},
                "score":{"method":"weighted","weights":{"revenue":1},"normalisation":"min_max"}}"#,
        );
        // normalised 100, 50, 0 → total 150; top1 = 66.7% ≥ 50
        let out = run(&m, &revenues(&[10, 5, 0]));
        assert_eq!(tiers_of(&out), ["top", "rest", "rest"]);
    }

    // ---- thresholds

    #[test]
    fn thresholds_put_each_score_in_the_first_tier_it_reaches() {
        let m = model(
            r#"{"cut":{"method":"threshold","thresholds":[90,60,30]},"score":{"method":"weighted","weights":{"revenue":1},"normalisation":"min_max"}}"#,
        );
        // min_max over 0..100 keeps the values
        let out = run(&m, &revenues(&[100, 90, 89, 60, 45, 30, 29, 0]));
        assert_eq!(
            tiers_of(&out),
            [
                "strategic",
                "strategic",
                "major",
                "major",
                "ordinary",
                "ordinary",
                "small",
                "small"
            ]
        );
        assert_eq!(
            out[2].rule.en,
            "score 89 (weighted, min_max) ≥ 60 → major; rank 3 of 8"
        );
        assert_eq!(
            out[6].rule.en,
            "score 29 (weighted, min_max) < 30 → small; rank 7 of 8"
        );
        assert_eq!(
            out[6].rule.zh,
            "得分 29（加权，最小-最大归一化） < 30 → 小客户；排名 7/8"
        );
    }

    #[test]
    fn money_thresholds_are_in_yuan_and_compared_exactly_in_fen() {
        let accounts = vec![
            acc("a", |x| x.revenue = Some(Money(29))),
            acc("b", |x| x.revenue = Some(Money(28))),
        ];
        let m = model(
            r#"{"tiers":[{"id":"hi","cut":0.29},{"id":"lo"}],"cut":{"method":"threshold"},"score":{"method":"single","indicator":"revenue"}}"#,
        );
        let out = run(&m, &accounts);
        assert_eq!(tiers_of(&out), ["hi", "lo"]);
        assert_eq!(
            out[1].rule.en,
            "score 0.28 (revenue) < 0.29 → lo; rank 2 of 2"
        );
    }

    #[test]
    fn count_thresholds_compare_integers_against_fractional_cuts() {
        let accounts: Vec<Account> = [3u64, 2]
            .iter()
            .map(|t| acc(&format!("t{t}"), |x| x.transactions = Some(*t)))
            .collect();
        let m = model(
            r#"{"tiers":[{"id":"hi","cut":2.5},{"id":"lo"}],"cut":{"method":"threshold"},"score":{"method":"single","indicator":"transactions"}}"#,
        );
        assert_eq!(tiers_of(&run(&m, &accounts)), ["hi", "lo"]);
    }

    // ---- overrides and changes

    fn ov(tier: &str) -> TierOverride {
        TierOverride {
            tier: tier.into(),
            reason: "strategic partner".into(),
            by: "manager1".into(),
            at: "2025-01-02T03:04:05Z".into(),
        }
    }

    #[test]
    fn an_override_sets_the_tier_and_keeps_the_computed_one() {
        let overrides = HashMap::from([("a10".to_string(), ov("strategic"))]);
        let out = compute_tiers(
            &single_revenue(),
            &revenues(&[10, 9, 8, 7, 6, 5, 4, 3, 2, 1]),
            &overrides,
        )
        .expect("valid");
        assert_eq!(out[9].tier, "strategic");
        assert_eq!(out[9].computed_tier, "small");
        assert!(out[9].override_applied);
        assert_eq!(out[9].r#override, Some(ov("strategic")));
        assert!(out[9].rule.en.starts_with("overridden to strategic by manager1 at 2025-01-02T03:04:05Z: strategic partner; computed: score 1"));
        assert!(out[9].rule.zh.starts_with("人工调整为重要(战略)客户"));
        // other accounts are untouched: still exactly one computed strategic
        assert_eq!(
            out.iter()
                .filter(|a| a.computed_tier == "strategic")
                .count(),
            1
        );
        let json = serde_json::to_value(&out[9]).expect("serialise");
        assert_eq!(json["override"]["by"], "manager1");
    }

    #[test]
    fn an_override_naming_an_unknown_tier_is_reported_but_not_applied() {
        let overrides = HashMap::from([("a01".to_string(), ov("vip"))]);
        let out = compute_tiers(&single_revenue(), &revenues(&[3, 2]), &overrides).expect("valid");
        assert_eq!(out[0].tier, "strategic");
        assert!(!out[0].override_applied);
        assert!(out[0].r#override.is_some());
        assert!(out[0].rule.en.contains("ignored"));
    }

    #[test]
    fn tier_changes_report_up_down_new_and_skip_unchanged() {
        let m = single_revenue();
        let out = run(&m, &revenues(&[10, 9, 8, 7, 6, 5, 4, 3, 2, 1]));
        let previous: HashMap<String, String> = [
            ("a01", "major"),     // → strategic: up
            ("a02", "major"),     // unchanged
            ("a03", "strategic"), // → ordinary: down
            ("a06", "vip"),       // unknown tier → changed
        ]
        .iter()
        .map(|(a, t)| (a.to_string(), t.to_string()))
        .collect();
        let changes = tier_changes(&m, &previous, &out).expect("valid");
        let got: Vec<(&str, Option<&str>, &str, Direction)> = changes
            .iter()
            .map(|c| {
                (
                    c.account_id.as_str(),
                    c.from.as_deref(),
                    c.to.as_str(),
                    c.direction,
                )
            })
            .take(4)
            .collect();
        assert_eq!(
            got,
            [
                ("a01", Some("major"), "strategic", Direction::Up),
                ("a03", Some("strategic"), "ordinary", Direction::Down),
                ("a04", None, "ordinary", Direction::New),
                ("a05", None, "ordinary", Direction::New),
            ]
        );
        let a06 = changes.iter().find(|c| c.account_id == "a06").expect("a06");
        assert_eq!(a06.direction, Direction::Changed);
        // up a01, down a03, new a04 a05 a07 a08 a09 a10, changed a06; a02 unchanged
        assert_eq!(changes.len(), 9);
    }

    #[test]
    fn percent_count_is_exact_ceil() {
        assert_eq!(percent_count(250, 1.0), 3);
        assert_eq!(percent_count(10, 20.0), 2);
        assert_eq!(percent_count(100, 7.0), 7);
        assert_eq!(percent_count(1, 1.0), 1);
        assert_eq!(percent_count(0, 50.0), 0);
        assert_eq!(percent_count(1_000_000, 0.07), 700);
    }

    #[test]
    fn serialised_assignment_uses_the_documented_field_names() {
        let out = run(&single_revenue(), &revenues(&[1]));
        let v = serde_json::to_value(&out[0]).expect("serialise");
        for key in [
            "account_id",
            "tier",
            "computed_tier",
            "score",
            "rank",
            "percentile",
            "contributions",
            "rule",
            "override",
            "override_applied",
        ] {
            assert!(v.get(key).is_some(), "{key}");
        }
        assert_eq!(
            v["rule"]["zh"],
            "得分 1（销售额）；排名 1/1 ≤ ceil(1×1%)=1 → 重要(战略)客户"
        );
    }

    #[test]
    fn the_vip_preset_cuts_100_accounts_into_1_5_14_80() {
        let vals: Vec<i64> = (1..=100).rev().collect();
        let m = model(r#"{"preset":"vip","score":{"method":"single","indicator":"revenue"}}"#);
        let out = run(&m, &revenues(&vals));
        let count = |t: &str| out.iter().filter(|a| a.tier == t).count();
        assert_eq!(
            (
                count("vip"),
                count("major"),
                count("ordinary"),
                count("small")
            ),
            (1, 5, 14, 80)
        );
        assert!(out[0].rule.zh.ends_with("→ VIP客户"));
    }

    #[test]
    fn the_score_explanation_states_weights_and_normalisation() {
        let r = TierModel::default().resolve().expect("valid");
        assert_eq!(
            r.explain_score().en,
            "score = 0.5 × revenue + 0.3 × profit + 0.2 × collected on 0–100, each indicator \
             normalised by log_min_max over the accounts that have it; a missing indicator counts 0"
        );
        let out = run(&TierModel::default(), &revenues(&[5, 1]));
        assert!(out[0]
            .rule
            .en
            .starts_with("score 50 (weighted, log_min_max); rank 1 of 2"));
    }

    #[test]
    fn an_account_with_no_weighted_indicator_is_unscored_and_last() {
        let mut accounts = revenues(&[5, 1]);
        accounts.push(acc("blank", |_| {}));
        let out = run(&TierModel::default(), &accounts);
        assert_eq!(
            (out[2].score, out[2].rank, out[2].tier.as_str()),
            (None, 3, "small")
        );
        assert_eq!(
            out[2].rule.en,
            "no score (revenue, profit, collected not recorded); rank 3 of 3 → small (accounts \
             without a score go to the last tier)"
        );
    }

    #[test]
    fn the_compact_run_agrees_with_the_full_assignments() {
        let accounts = revenues(&[9, 3, 3, 7, 1, 0, 12, 5, 5, 2, 8]);
        let resolved = single_revenue().resolve().expect("valid");
        let compact = resolved.run(&accounts);
        let full = resolved.compute(&accounts, &HashMap::new());
        assert_eq!(compact.len(), full.len());
        for (i, a) in full.iter().enumerate() {
            assert_eq!(compact.computed_tier(i).id, a.computed_tier);
            assert_eq!(compact.rank(i), a.rank);
            assert_eq!(compact.score(i), a.score);
            assert_eq!(compact.percentile(i), a.percentile);
            assert_eq!(&compact.assignment(i, &HashMap::new()), a);
        }
    }

    /// `cargo test --release -- --ignored`: one million accounts in ≤ 3 s.
    #[test]
    #[ignore]
    fn a_million_accounts_are_tiered_within_three_seconds_in_release() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let accounts: Vec<Account> = (0..1_000_000)
            .map(|i| {
                let u = ((next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
                let revenue = (1000.0 / u.powf(1.0 / 1.16)).min(1e12) as i64;
                acc(&format!("acc-{i:07}"), |v| {
                    v.revenue = Some(Money::from_major(revenue));
                    v.profit = Some(Money::from_major(revenue / 5 - (next() % 500) as i64));
                    v.collected = Some(Money::from_major(revenue - (next() % 100) as i64));
                })
            })
            .collect();
        let started = std::time::Instant::now();
        let out = run(&TierModel::default(), &accounts);
        let secs = started.elapsed().as_secs_f64();
        assert_eq!(out.len(), 1_000_000);
        assert_eq!(
            out.iter()
                .filter(|a| a.computed_tier == "strategic")
                .count(),
            10_000
        );
        eprintln!("1,000,000 accounts tiered in {secs:.3} s");
        if !cfg!(debug_assertions) {
            assert!(secs <= 3.0, "took {secs:.3} s");
        }
    }
}

/// Property tests: any JSON text is a model or an error naming a field, never a panic; any model
/// that validates computes tiers for any accounts without panicking.
#[cfg(test)]
mod fuzz_tests {
    use proptest::prelude::*;
    use serde_json::{json, Value};

    use super::*;
    use crate::domain::account::{CreditRating, Money};
    use crate::fuzz_support::{config, nasty_string, pieces_string};

    /// The model's vocabulary, so generated documents get past the first field.
    const WORDS: &[&str] = &[
        "preset",
        "tiers",
        "cut",
        "score",
        "method",
        "percents",
        "shares",
        "thresholds",
        "indicator",
        "weights",
        "normalisation",
        "normalization",
        "groups",
        "id",
        "label_zh",
        "label_en",
        "pyramid",
        "vip",
        "percent_of_accounts",
        "share_of_value",
        "threshold",
        "single",
        "weighted",
        "scorecard",
        "revenue",
        "profit",
        "collected",
        "transactions",
        "cooperation_years",
        "overdue_days",
        "product_lines",
        "credit",
        "referral",
        "picky",
        "strict",
        "potential_customer",
        "potential_service",
        "financial",
        "sales",
        "customer",
        "service",
        "min_max",
        "log_min_max",
        "rank_percentile",
        "strategic",
        "major",
        "ordinary",
        "small",
        "",
    ];

    fn number() -> impl Strategy<Value = Value> {
        prop_oneof![
            proptest::sample::select(
                &[0.0, -0.0, 1.0, -1.0, 0.5, 50.0, 99.999, 100.0, 100.0001, 1e308, -1e308, 5e-324]
                    [..]
            )
            .prop_map(|n| json!(n)),
            any::<f64>().prop_map(|n| json!(n)),
            any::<i64>().prop_map(|n| json!(n)),
            any::<u64>().prop_map(|n| json!(n)),
        ]
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            number(),
            proptest::sample::select(WORDS).prop_map(|w| json!(w)),
            nasty_string(8).prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::vec(
                    (
                        proptest::sample::select(WORDS).prop_map(str::to_owned),
                        inner
                    ),
                    0..6
                )
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
            ]
        })
    }

    /// A model document: mostly well-typed, with random parts.
    fn model_json() -> impl Strategy<Value = Value> {
        let tier = (
            proptest::sample::select(WORDS),
            proptest::option::of(number()),
        )
            .prop_map(|(id, cut)| json!({"id": id, "cut": cut}));
        let numbers = proptest::collection::vec(number(), 0..6);
        let weights = proptest::collection::btree_map(
            proptest::sample::select(WORDS).prop_map(str::to_owned),
            number(),
            0..6,
        );
        (
            proptest::option::of(proptest::sample::select(WORDS)),
            proptest::option::of(proptest::collection::vec(tier, 0..7)),
            proptest::sample::select(&["percent_of_accounts", "share_of_value", "threshold"][..]),
            proptest::option::of(numbers),
            proptest::sample::select(&["single", "weighted", "scorecard", "x"][..]),
            proptest::sample::select(WORDS),
            weights,
            json_value(),
        )
            .prop_map(|(preset, tiers, cut, list, score, word, weights, extra)| {
                let list_key = match cut {
                    "percent_of_accounts" => "percents",
                    "share_of_value" => "shares",
                    _ => "thresholds",
                };
                let mut model = json!({
                    "preset": preset,
                    "tiers": tiers,
                    "cut": {"method": cut, list_key: list},
                    "score": match score {
                        "single" => json!({"method": score, "indicator": word}),
                        "weighted" => json!({"method": score, "weights": weights, "normalisation": word}),
                        "scorecard" => json!({"method": score, "groups": weights}),
                        _ => json!({"method": score, "x": extra.clone()}),
                    },
                });
                // Now and then a random part replaces a well-typed one.
                if let (Value::Object(map), Value::Object(extra)) = (&mut model, &extra) {
                    for (key, value) in extra {
                        map.insert(key.clone(), value.clone());
                    }
                }
                model
            })
    }

    /// Accounts with the extreme and missing values a real file can hold.
    fn accounts() -> Vec<Account> {
        let mut accounts = Vec::new();
        let extremes = [
            None,
            Some(0),
            Some(1),
            Some(-1),
            Some(i64::MAX),
            Some(i64::MIN),
        ];
        for (i, money) in extremes.iter().enumerate() {
            let indicators = Indicators {
                revenue: money.map(Money),
                profit: money.map(|m| Money(m.wrapping_neg())),
                collected: money.map(Money),
                transactions: money.map(i64::unsigned_abs),
                cooperation_years: money.map(|m| m as f64),
                overdue_days: Some(u32::MAX),
                product_lines: Some(0),
                credit: Some(CreditRating::Poor),
                referral: Some(i % 2 == 0),
                picky: None,
                strict: Some(true),
                potential_customer: Some(100),
                potential_service: Some(0),
            };
            accounts.push(Account {
                id: format!("a{i}"),
                name: format!("a{i}"),
                aliases: Vec::new(),
                industry: None,
                region: None,
                owner: None,
                indicators,
            });
        }
        accounts
    }

    fn check(text: &str) {
        if let Ok(model) = TierModel::from_json(text) {
            if let Ok(resolved) = model.resolve() {
                let assignments = resolved.compute(&accounts(), &HashMap::new());
                assert_eq!(assignments.len(), accounts().len());
            }
        }
    }

    proptest! {
        #![proptest_config(config(128))]

        #[test]
        fn any_text_is_a_model_or_an_error(text in nasty_string(120)) {
            check(&text);
        }

        #[test]
        fn any_json_is_a_model_or_an_error(value in json_value()) {
            check(&value.to_string());
        }

        #[test]
        fn any_model_document_is_a_model_or_an_error(value in model_json()) {
            check(&value.to_string());
        }

        #[test]
        fn any_json_ish_text_is_a_model_or_an_error(
            text in pieces_string(&["{", "}", "[", "]", ",", ":", "\"", "\\u", "d800", "\\ud800",
                "\\udc00", "\\", "1e999", "-", "0", ".", "null", "\"method\"", "\"cut\"",
                "\"score\"", "\"tiers\"", "\"percents\""], 40),
        ) {
            check(&text);
        }
    }

    #[test]
    fn deep_nesting_and_lone_surrogates_are_errors() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        for text in [
            deep.as_str(),
            "{\"preset\":\"\\ud800\"}",
            "{\"preset\":\"\\udc00\\ud800\"}",
            "{\"tiers\":[{\"id\":\"\\ud83d\"}]}",
            "{\"cut\":{\"method\":\"threshold\",\"thresholds\":[1e400,-1e400,NaN]}}",
            "{\"preset\":\"pyramid\",\"preset\":\"vip\"}",
            "\u{feff}{}",
        ] {
            check(text);
        }
    }
}
