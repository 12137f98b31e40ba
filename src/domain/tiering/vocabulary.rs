//! Errors and the vocabulary of the model: indicators, normalisations, scorecard groups.

use super::*;

/// A tier model that cannot be used. `field` is the JSON path of the offending value
/// (`score.weights`, `tiers[2].cut`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelError {
    pub field: String,
    pub message: String,
}

impl ModelError {
    pub(super) fn new(field: impl Into<String>, message: impl Into<String>) -> ModelError {
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

    /// The English words for it, as explanations read.
    pub fn label_en(self) -> &'static str {
        match self {
            Indicator::Revenue => "revenue",
            Indicator::Profit => "profit",
            Indicator::Collected => "collected payments",
            Indicator::Transactions => "transactions",
            Indicator::CooperationYears => "years of cooperation",
            Indicator::OverdueDays => "overdue days",
            Indicator::ProductLines => "product lines",
            Indicator::PotentialCustomer => "customer score",
            Indicator::PotentialService => "service score",
            Indicator::Referral => "referral",
        }
    }

    pub fn parse(name: &str) -> Option<Indicator> {
        Indicator::ALL.into_iter().find(|i| i.name() == name)
    }

    /// Money indicators, stored in [`Money`] units (ten-thousandths of a yuan).
    pub fn is_money(self) -> bool {
        matches!(
            self,
            Indicator::Revenue | Indicator::Profit | Indicator::Collected
        )
    }

    /// Decimal places of the exact integer values of this indicator ([`Indicator::exact`],
    /// and the Pareto figures): money is in [`Money`] units, `cooperation_years` in hundredths.
    pub fn scale(self) -> u32 {
        if self.is_money() {
            Money::DECIMALS
        } else if self == Indicator::CooperationYears {
            2
        } else {
            0
        }
    }

    /// The unit the API gives this indicator's sums in.
    pub fn unit(self) -> &'static str {
        match self {
            Indicator::Revenue | Indicator::Profit | Indicator::Collected => "yuan",
            Indicator::CooperationYears => "years",
            Indicator::OverdueDays => "days",
            _ => "count",
        }
    }

    /// Fewer is better: the value is negated before scoring.
    pub fn lower_is_better(self) -> bool {
        matches!(self, Indicator::OverdueDays)
    }

    /// The recorded value as an exact integer (money in [`Money`] units, counts, referral 1/0), or `None`
    /// when missing or not integer-valued (`cooperation_years`).
    pub fn exact(self, ind: &Indicators) -> Option<i128> {
        match self {
            Indicator::Revenue => ind.revenue.map(|m| i128::from(m.units())),
            Indicator::Profit => ind.profit.map(|m| i128::from(m.units())),
            Indicator::Collected => ind.collected.map(|m| i128::from(m.units())),
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
                self.exact(ind).map(|m| m as f64 / Money::PER_YUAN as f64)
            }
            _ => self.exact(ind).map(|v| v as f64),
        }
    }
}

pub(super) fn indicator_list() -> String {
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

    pub(super) fn label_en(self) -> &'static str {
        match self {
            Normalisation::RankPercentile => "rank percentile",
            Normalisation::MinMax => "min–max",
            Normalisation::LogMinMax => "log min–max",
        }
    }

    pub(super) fn label_zh(self) -> &'static str {
        match self {
            Normalisation::RankPercentile => "排名百分位",
            Normalisation::MinMax => "最小-最大",
            Normalisation::LogMinMax => "对数最小-最大",
        }
    }

    pub(super) fn parse(name: &str) -> Option<Normalisation> {
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

    pub(super) fn label_zh(self) -> &'static str {
        match self {
            Group::Financial => "财务",
            Group::Sales => "销售",
            Group::Customer => "客户",
            Group::Service => "服务",
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

    pub(super) fn parse(name: &str) -> Option<Group> {
        Group::ALL.into_iter().find(|g| g.name() == name)
    }
}

/// Indicators that are already on an absolute 0–100 scale inside the scorecard: people's marks
/// (clamped to 100) and referral (100 / 0).
pub(super) fn scorecard_absolute(ind: Indicator) -> bool {
    matches!(
        ind,
        Indicator::PotentialCustomer | Indicator::PotentialService | Indicator::Referral
    )
}

pub(super) fn absolute_value(ind: Indicator, v: &Indicators) -> Option<f64> {
    match ind {
        Indicator::PotentialCustomer => v.potential_customer.map(|s| f64::from(s.min(100))),
        Indicator::PotentialService => v.potential_service.map(|s| f64::from(s.min(100))),
        Indicator::Referral => v.referral.map(|r| if r { 100.0 } else { 0.0 }),
        _ => None,
    }
}
