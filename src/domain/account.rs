//! Customer accounts and their value indicators (DOMAIN.md §8).
//!
//! Pure domain types: no storage, no HTTP. Money is an integer count of ten-thousandths of a
//! yuan, never `f64`, so amounts with four decimals (what CRM and ERP exports carry, e.g.
//! `-362.8825`) are kept exactly and sums over a million accounts are exact.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An amount of money in ten-thousandths of a yuan ([`Money::PER_YUAN`] units = 1 yuan).
/// Negative for losses. In JSON it is a number of yuan (`-362.8825`, `1200000`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(pub i64);

impl Money {
    pub const ZERO: Money = Money(0);
    /// Units per yuan: amounts are exact to four decimal places.
    pub const PER_YUAN: i64 = 10_000;
    /// Decimal places of [`Money::PER_YUAN`].
    pub const DECIMALS: u32 = 4;

    pub fn from_yuan(yuan: i64) -> Money {
        Money(yuan * Money::PER_YUAN)
    }

    /// The amount in units (ten-thousandths of a yuan).
    pub fn units(self) -> i64 {
        self.0
    }

    /// The amount in yuan as the nearest `f64` (for scores and charts, never for sums).
    pub fn yuan_f64(self) -> f64 {
        Decimal::new(i128::from(self.0), Money::DECIMALS).to_f64()
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Decimal::new(i128::from(self.0), Money::DECIMALS).fmt(f)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Decimal::new(i128::from(self.0), Money::DECIMALS).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Money {
    /// A number of yuan, rounded to four decimals.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        let yuan = f64::deserialize(deserializer)?;
        let units = (yuan * Money::PER_YUAN as f64).round();
        if !units.is_finite() || units.abs() >= i64::MAX as f64 {
            return Err(serde::de::Error::custom("amount out of range"));
        }
        Ok(Money(units as i64))
    }
}

impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Number)
            .description(Some("An amount in yuan, exact to four decimal places."))
            .examples([serde_json::json!(-362.8825)])
            .into()
    }
}

impl utoipa::ToSchema for Money {}

/// An exact decimal number `units / 10^scale`: sums of money and other indicators as the API
/// gives them. In JSON it is a number written with the decimals it has (`2297200.8603`, `42`);
/// past 15 significant digits a JSON reader may round it, as with any JSON number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Decimal {
    pub units: i128,
    pub scale: u32,
}

impl Decimal {
    pub fn new(units: i128, scale: u32) -> Decimal {
        Decimal { units, scale }
    }

    fn divisor(self) -> u128 {
        10u128.pow(self.scale)
    }

    /// The nearest `f64`, so it prints back as the exact decimal text whenever an `f64` can
    /// hold it.
    pub fn to_f64(self) -> f64 {
        const EXACT: i128 = 1 << 53;
        if self.units.abs() < EXACT && self.scale <= 22 {
            // Both operands are exact, and IEEE division rounds correctly.
            self.units as f64 / 10f64.powi(self.scale as i32)
        } else {
            self.to_string().parse().unwrap_or(f64::NAN)
        }
    }

    /// The same value with `scale` decimals, rounded half to even when decimals are dropped.
    pub fn rescale(self, scale: u32) -> Decimal {
        if scale >= self.scale {
            let factor = 10i128.pow(scale - self.scale);
            return Decimal::new(self.units.saturating_mul(factor), scale);
        }
        let divisor = 10i128.pow(self.scale - scale);
        Decimal::new(round_half_even(self.units, divisor), scale)
    }
}

/// `value / divisor` rounded half to even (banker's rounding); `divisor` > 0.
pub fn round_half_even(value: i128, divisor: i128) -> i128 {
    let quotient = value.div_euclid(divisor);
    let remainder = value.rem_euclid(divisor);
    // remainder vs. divisor − remainder: the same as 2 × remainder vs. divisor, never overflowing.
    match remainder.cmp(&(divisor - remainder)) {
        std::cmp::Ordering::Less => quotient,
        std::cmp::Ordering::Greater => quotient + 1,
        std::cmp::Ordering::Equal => quotient + (quotient & 1),
    }
}

impl fmt::Display for Decimal {
    /// Plain decimal text with trailing zeros dropped: `-362.8825`, `1200000`, `0.5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.units < 0 { "-" } else { "" };
        let abs = self.units.unsigned_abs();
        let divisor = self.divisor();
        let (whole, fraction) = (abs / divisor, abs % divisor);
        if fraction == 0 {
            return write!(f, "{sign}{whole}");
        }
        let digits = format!("{fraction:0width$}", width = self.scale as usize);
        write!(f, "{sign}{whole}.{}", digits.trim_end_matches('0'))
    }
}

impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.units % self.divisor() as i128 == 0 {
            let whole = self.units / self.divisor() as i128;
            match i64::try_from(whole) {
                Ok(whole) => serializer.serialize_i64(whole),
                Err(_) => serializer.serialize_f64(self.to_f64()),
            }
        } else {
            serializer.serialize_f64(self.to_f64())
        }
    }
}

impl utoipa::PartialSchema for Decimal {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Number)
            .description(Some(
                "An exact sum, written with the decimals it has (money in yuan, to four decimals).",
            ))
            .into()
    }
}

impl utoipa::ToSchema for Decimal {}

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

/// An account's text (id, name, alias, industry, region, owner): a string that keeps up to 24
/// bytes inside itself. Most of these are short, and a million accounts would otherwise make
/// about five million small heap allocations (with 1M accounts, about 150 MB of the server's
/// memory). It reads as a `str`, compares with `&str` and `String`, and serialises as a string.
pub type Text = compact_str::CompactString;

/// One customer account. Indicators are `Option` because a CRM export may leave a column empty:
/// "not recorded" is different from zero and is never guessed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Account {
    #[schema(value_type = String)]
    pub id: Text,
    #[schema(value_type = String)]
    pub name: Text,
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub aliases: Vec<Text>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub industry: Option<Text>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub region: Option<Text>,
    /// User name of the rep who owns the account.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub owner: Option<Text>,
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
