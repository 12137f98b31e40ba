//! The tiering engine: value scores and customer tiers (DOMAIN.md §2 and §3).
//!
//! Pure domain code: no I/O, no HTTP, no storage, no threads. A [`TierModel`] is one JSON
//! document that says how accounts are scored and where the tier cut lines are;
//! [`compute_tiers`] turns a slice of [`Account`]s into one explainable [`TierAssignment`] per
//! account (in input order), and [`tier_changes`] compares two runs. For large recomputes that
//! only need tier / score / rank, [`ResolvedModel::run`] gives a compact [`TierRun`] whose
//! explanations are rendered per account on demand.
//!
//! The shape and semantics below are also written up for users in `docs/tier-model.md`.
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

use crate::domain::account::{Account, Indicators, Money};

mod explain;
mod model;
mod rank;
mod resolved;
mod results;
mod score;
mod vocabulary;

pub use explain::*;
pub use model::*;
pub use rank::*;
pub use resolved::*;
pub use results::*;
pub use score::*;
pub use vocabulary::*;

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

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fuzz_tests;
