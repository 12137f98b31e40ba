//! What a run gives: assignments, contributions, rules, overrides and tier changes.

use super::*;

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
