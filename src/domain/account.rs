//! Customer accounts and their value indicators (DOMAIN.md §8).
//!
//! Pure domain types: no storage, no HTTP. Money is integer minor units (fen / cents), never
//! `f64`, so sums over a million accounts are exact.

use serde::{Deserialize, Serialize};

/// An amount of money in minor units (1 yuan = 100). Negative for losses.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(transparent)]
pub struct Money(pub i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn from_major(units: i64) -> Money {
        Money(units * 100)
    }

    pub fn minor(self) -> i64 {
        self.0
    }
}

/// A customer's credit rating as recorded by finance. `None` is "no credit" (DOMAIN.md §4:
/// customers with no credit are candidates for pruning).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CreditRating {
    Good,
    Fair,
    Poor,
    None,
}

/// One customer account. Indicators are `Option` because a CRM export may leave a column empty:
/// "not recorded" is different from zero and is never guessed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Account {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub industry: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    /// User name of the rep who owns the account.
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub indicators: Indicators,
}

/// The value indicators of DOMAIN.md §8 (CSV column / Chinese header in the comment).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Indicators {
    /// `revenue` 销售额
    pub revenue: Option<Money>,
    /// `profit` 利润 (may be negative)
    pub profit: Option<Money>,
    /// `collected` 回款金额
    pub collected: Option<Money>,
    /// `transactions` 交易次数
    pub transactions: Option<u64>,
    /// `cooperation_years` 合作年限
    pub cooperation_years: Option<f64>,
    /// `overdue_days` 逾期天数
    pub overdue_days: Option<u32>,
    /// `product_lines` 产品线数
    pub product_lines: Option<u32>,
    /// `credit` 信用等级
    pub credit: Option<CreditRating>,
    /// `referral` 转介绍 (came by referral)
    pub referral: Option<bool>,
    /// `picky` 挑剔 — never pruned (DOMAIN.md §4)
    pub picky: Option<bool>,
    /// `strict` 严格 — never pruned (DOMAIN.md §4)
    pub strict: Option<bool>,
    /// `potential_customer` 客户指标评分, 0–100, scored by people
    pub potential_customer: Option<u8>,
    /// `potential_service` 服务指标评分, 0–100, scored by people
    pub potential_service: Option<u8>,
}
