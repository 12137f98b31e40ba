//! The Pareto (80/20) picture of one indicator (DOMAIN.md §1) and the tier bands drawn on it.
//!
//! Pure and exact: values are integers (money in [`Money`](crate::domain::account::Money) units, ten-thousandths of a yuan),
//! every sum is an `i128` ([`Decimal`] with the values' scale, so the API writes `2297200.8603`
//! yuan); only shares, the Gini coefficient and curve points are `f64`, computed from the exact
//! sums at the end.
//!
//! Shares and curve coordinates are **percent** (0–100).
//!
//! Non-positive totals (e.g. profit summing to a loss): a share of a total ≤ 0 means nothing, so
//! `top20_share` and `accounts_for_80pct` are `None` and `curve` is empty. With a positive total
//! and some negative values the curve is kept as is: it rises above 100 % and comes back down to
//! 100 % (the profitability "whale curve"), which is the honest picture of loss-making accounts.

use serde::{Deserialize, Serialize};

use crate::domain::account::{Account, Decimal};
use crate::domain::tiering::{
    percent_count, Indicator, ModelError, ResolvedCut, ResolvedModel, TierAssignment, TierModel,
};

/// One point of the concentration curve: `x` = cumulative % of accounts counted from the top
/// (largest value first), `y` = cumulative % of the total value they hold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CurvePoint {
    pub x: f64,
    pub y: f64,
}

/// Concentration figures for one indicator over N accounts.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Pareto {
    /// Number of values.
    pub n: usize,
    /// Exact sum (money in yuan, to four decimals).
    pub total: Decimal,
    /// ceil(N × 20 %).
    pub top20_count: usize,
    /// Exact sum of the `top20_count` largest values.
    pub top20_sum: Decimal,
    /// 100 × top20_sum / total; `None` when total ≤ 0.
    pub top20_share: Option<f64>,
    /// Fewest accounts, largest first, whose summed value reaches 80 % of the total (exact
    /// integer comparison); `None` when total ≤ 0.
    pub accounts_for_80pct: Option<usize>,
    /// Gini coefficient of the values **clipped at 0** (a loss counts as holding no value), so it
    /// stays in 0–1; `None` when N = 0 or no value is positive.
    pub gini: Option<f64>,
    /// ceil(N × 10 %).
    pub bottom10_count: usize,
    /// Exact sum of the `bottom10_count` smallest values; may be negative (DOMAIN.md §1: the
    /// bottom 10 % is often loss-making).
    pub bottom10_sum: Decimal,
    /// Concentration curve from (0, 0) to (100, 100), at most 101 points: every account when
    /// N ≤ 100, otherwise the account counts nearest to each whole percent. Empty when total ≤ 0.
    pub curve: Vec<CurvePoint>,
}

/// Pareto figures for a list of integer values (order does not matter), each `value / 10^scale`.
pub fn pareto(values: &[i64], scale: u32) -> Pareto {
    let n = values.len();
    let mut sorted: Vec<i64> = values.to_vec();
    sorted.sort_unstable_by(|a, b| b.cmp(a)); // largest first
    let total: i128 = sorted.iter().map(|v| i128::from(*v)).sum();

    let top20_count = percent_count(n, 20.0);
    let top20_sum: i128 = sorted[..top20_count].iter().map(|v| i128::from(*v)).sum();
    let bottom10_count = percent_count(n, 10.0);
    let bottom10_sum: i128 = sorted[n - bottom10_count..]
        .iter()
        .map(|v| i128::from(*v))
        .sum();

    let positive = total > 0;
    let top20_share = positive.then(|| 100.0 * top20_sum as f64 / total as f64);
    let accounts_for_80pct = if positive {
        let mut cum: i128 = 0;
        let mut found = n;
        for (i, v) in sorted.iter().enumerate() {
            cum += i128::from(*v);
            // cum ≥ 80 % × total  ⇔  5 × cum ≥ 4 × total
            if 5 * cum >= 4 * total {
                found = i + 1;
                break;
            }
        }
        Some(found)
    } else {
        None
    };

    Pareto {
        n,
        total: Decimal::new(total, scale),
        top20_count,
        top20_sum: Decimal::new(top20_sum, scale),
        top20_share,
        accounts_for_80pct,
        gini: gini_clipped(&sorted),
        bottom10_count,
        bottom10_sum: Decimal::new(bottom10_sum, scale),
        curve: if positive {
            curve(&sorted, total)
        } else {
            Vec::new()
        },
    }
}

/// G = Σ (2i − n − 1) x_i / (n Σ x) over the values sorted ascending (i = 1..n), negative
/// values clipped to 0; the numerator is an exact `i128`.
fn gini_clipped(desc: &[i64]) -> Option<f64> {
    let n = desc.len();
    let sum: i128 = desc.iter().map(|v| i128::from((*v).max(0))).sum();
    if n == 0 || sum <= 0 {
        return None;
    }
    let n_i = n as i128;
    let numerator: i128 = desc
        .iter()
        .rev()
        .enumerate()
        .map(|(i, v)| (2 * (i as i128 + 1) - n_i - 1) * i128::from((*v).max(0)))
        .sum();
    Some(numerator as f64 / (n as f64 * sum as f64))
}

fn curve(desc: &[i64], total: i128) -> Vec<CurvePoint> {
    let n = desc.len();
    let stops: Vec<usize> = if n <= 100 {
        (0..=n).collect()
    } else {
        let mut s: Vec<usize> = (0..=100usize).map(|j| (n * j + 50) / 100).collect();
        s.dedup();
        s
    };
    let mut out = Vec::with_capacity(stops.len());
    let mut cum: i128 = 0;
    let mut taken = 0;
    for m in stops {
        while taken < m {
            cum += i128::from(desc[taken]);
            taken += 1;
        }
        out.push(CurvePoint {
            x: 100.0 * m as f64 / n as f64,
            y: 100.0 * cum as f64 / total as f64,
        });
    }
    out
}

/// The integer values of an indicator over accounts that have it recorded (missing values are
/// left out, so `n` counts recorded values), with their scale ([`Indicator::scale`]): money in
/// `Money` units; `cooperation_years` in hundredths of a year; `overdue_days` in days (not negated: this is where the overdue days sit);
/// `referral` 1 / 0.
pub fn indicator_values(accounts: &[Account], indicator: Indicator) -> Vec<i64> {
    accounts
        .iter()
        .filter_map(|a| {
            if indicator == Indicator::CooperationYears {
                a.indicators
                    .cooperation_years
                    .filter(|y| y.is_finite())
                    .map(|y| (y * 100.0).round() as i64)
            } else {
                indicator
                    .exact(&a.indicators)
                    .map(|v| i64::try_from(v).unwrap_or(i64::MAX))
            }
        })
        .collect()
}

/// [`pareto`] of one indicator over accounts (see [`indicator_values`]).
pub fn pareto_for(accounts: &[Account], indicator: Indicator) -> Pareto {
    pareto(&indicator_values(accounts, indicator), indicator.scale())
}

/// A tier's band on the curve's x axis (cumulative % of accounts from the top). `x_end` of each
/// band but the last is a cut line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TierBand {
    pub tier: String,
    pub label_zh: String,
    pub label_en: String,
    pub count: usize,
    pub x_start: f64,
    pub x_end: f64,
}

fn bands(labels: Vec<(String, String, String)>, counts: &[usize], n: usize) -> Vec<TierBand> {
    let mut start = 0usize;
    labels
        .into_iter()
        .zip(counts)
        .map(|((tier, label_zh, label_en), &count)| {
            let end = start + count;
            let x = |m: usize| {
                if n == 0 {
                    0.0
                } else {
                    100.0 * m as f64 / n as f64
                }
            };
            let band = TierBand {
                tier,
                label_zh,
                label_en,
                count,
                x_start: x(start),
                x_end: x(end),
            };
            start = end;
            band
        })
        .collect()
}

/// Nominal bands of a `percent_of_accounts` model for N accounts: tier k spans ranks
/// ceil(N × p_{k−1} %) + 1 ..= ceil(N × p_k %). Ties can lift accounts into a better tier, so the
/// observed bands ([`tier_bands_observed`]) may differ. Share-of-value and threshold cut lines
/// depend on the data: those models get an error pointing to [`tier_bands_observed`].
pub fn tier_bands(model: &TierModel, n: usize) -> Result<Vec<TierBand>, ModelError> {
    let resolved = model.resolve()?;
    let ResolvedCut::Percent(points) = resolved.cut() else {
        return Err(ModelError {
            field: "cut.method".to_string(),
            message: "share_of_value and threshold cut lines depend on the data; use \
                      tier_bands_observed with computed tiers"
                .to_string(),
        });
    };
    let mut bounds: Vec<usize> = points.iter().map(|p| percent_count(n, *p)).collect();
    bounds.push(n);
    let mut prev = 0;
    let counts: Vec<usize> = bounds
        .iter()
        .map(|b| {
            let c = b.saturating_sub(prev);
            prev = prev.max(*b);
            c
        })
        .collect();
    let labels = resolved
        .tiers()
        .iter()
        .map(|t| (t.id.clone(), t.label_zh.clone(), t.label_en.clone()))
        .collect();
    Ok(bands(labels, &counts, n))
}

/// Bands from the number of accounts per computed tier (best tier first), for any cut method:
/// the form a large recompute uses, which keeps counts rather than explained assignments.
pub fn tier_bands_from_counts(model: &ResolvedModel, counts: &[usize]) -> Vec<TierBand> {
    let n = counts.iter().sum();
    let labels = model
        .tiers()
        .iter()
        .map(|t| (t.id.clone(), t.label_zh.clone(), t.label_en.clone()))
        .collect();
    bands(labels, counts, n)
}

/// Bands from computed tiers (`computed_tier`, overrides ignored), for any cut method. Tiers are
/// monotone in rank, so each tier is one contiguous band of the curve.
pub fn tier_bands_observed(
    model: &TierModel,
    assignments: &[TierAssignment],
) -> Result<Vec<TierBand>, ModelError> {
    let resolved = model.resolve()?;
    let mut counts = vec![0usize; resolved.tiers().len()];
    for a in assignments {
        if let Some(k) = resolved.tier_index(&a.computed_tier) {
            counts[k] += 1;
        }
    }
    let n = counts.iter().sum();
    let labels = resolved
        .tiers()
        .iter()
        .map(|t| (t.id.clone(), t.label_zh.clone(), t.label_en.clone()))
        .collect();
    Ok(bands(labels, &counts, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::account::{Indicators, Money};
    use crate::domain::tiering::compute_tiers;
    use std::collections::HashMap;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    fn xy(p: &Pareto) -> Vec<(f64, f64)> {
        p.curve.iter().map(|c| (c.x, c.y)).collect()
    }

    #[test]
    fn the_ten_value_example_matches_hand_computed_figures() {
        let p = pareto(&[100, 50, 30, 10, 5, 3, 1, 1, 0, 0], 0);
        assert_eq!(p.n, 10);
        assert_eq!(p.total.units, 200);
        // top ceil(10×20%) = 2 accounts hold 150 of 200
        assert_eq!((p.top20_count, p.top20_sum.units), (2, 150));
        assert_eq!(p.top20_share, Some(75.0));
        // 80 % of 200 = 160: 100+50 = 150 < 160, +30 = 180 ≥ 160 → 3 accounts
        assert_eq!(p.accounts_for_80pct, Some(3));
        // ascending 0,0,1,1,3,5,10,30,50,100 × (2i−11) = −5−3−3+5+30+150+350+900 = 1424;
        // 1424 / (10 × 200) = 0.712
        assert!(close(p.gini.unwrap_or(f64::NAN), 0.712));
        assert_eq!((p.bottom10_count, p.bottom10_sum.units), (1, 0));
        assert_eq!(
            xy(&p),
            [
                (0.0, 0.0),
                (10.0, 50.0),
                (20.0, 75.0),
                (30.0, 90.0),
                (40.0, 95.0),
                (50.0, 97.5),
                (60.0, 99.0),
                (70.0, 99.5),
                (80.0, 100.0),
                (90.0, 100.0),
                (100.0, 100.0),
            ]
        );
    }

    #[test]
    fn order_of_the_input_does_not_matter() {
        assert_eq!(
            pareto(&[0, 1, 100, 3, 50, 0, 10, 5, 30, 1], 0),
            pareto(&[100, 50, 30, 10, 5, 3, 1, 1, 0, 0], 0)
        );
    }

    #[test]
    fn a_negative_total_gives_no_shares_and_no_curve() {
        let p = pareto(&[50, -20, -40], 0);
        assert_eq!(p.total.units, -10);
        assert_eq!(p.top20_share, None);
        assert_eq!(p.accounts_for_80pct, None);
        assert!(p.curve.is_empty());
        // top ceil(0.6) = 1 → 50; bottom ceil(0.3) = 1 → −40
        assert_eq!((p.top20_count, p.top20_sum.units), (1, 50));
        assert_eq!((p.bottom10_count, p.bottom10_sum.units), (1, -40));
        // clipped ascending 0,0,50 × (−2, 0, 2) = 100; 100 / (3 × 50)
        assert!(close(p.gini.unwrap_or(f64::NAN), 2.0 / 3.0));
        // nothing positive at all: no Gini
        assert_eq!(pareto(&[-1, -2], 0).gini, None);
    }

    #[test]
    fn losses_inside_a_positive_total_make_the_curve_overshoot_100() {
        let p = pareto(&[100, 50, -30], 0);
        assert_eq!(p.total.units, 120);
        let y: Vec<f64> = p.curve.iter().map(|c| c.y).collect();
        assert!(close(y[1], 250.0 / 3.0) && close(y[2], 125.0) && close(y[3], 100.0));
        // 80 % of 120 = 96 ≤ 100 → 1 account
        assert_eq!(p.accounts_for_80pct, Some(1));
        assert_eq!(p.bottom10_sum.units, -30);
    }

    #[test]
    fn empty_input_is_all_zero_and_none() {
        let p = pareto(&[], 0);
        assert_eq!(
            (p.n, p.total.units, p.top20_count, p.bottom10_count),
            (0, 0, 0, 0)
        );
        assert_eq!(
            (p.top20_share, p.accounts_for_80pct, p.gini),
            (None, None, None)
        );
        assert!(p.curve.is_empty());
    }

    #[test]
    fn all_equal_values_have_gini_zero_and_a_straight_curve() {
        let p = pareto(&[5; 4], 0);
        assert_eq!(p.gini, Some(0.0));
        assert_eq!(p.accounts_for_80pct, Some(4));
        assert_eq!(xy(&p)[2], (50.0, 50.0));
    }

    #[test]
    fn sums_are_exact_beyond_f64_precision() {
        let p = pareto(&[i64::MAX, i64::MAX, 1], 0);
        assert_eq!(p.total.units, 2 * i128::from(i64::MAX) + 1);
        assert_eq!(p.bottom10_sum.units, 1);
    }

    #[test]
    fn a_large_curve_is_downsampled_to_101_points() {
        let values: Vec<i64> = (1..=1000).collect();
        let p = pareto(&values, 0);
        assert_eq!(p.curve.len(), 101);
        assert_eq!((p.curve[0].x, p.curve[0].y), (0.0, 0.0));
        assert_eq!(p.curve[100].x, 100.0);
        assert!(close(p.curve[100].y, 100.0));
        assert_eq!(p.curve[1].x, 1.0);
        // top 10 of 1..=1000 = 9955 of 500500
        assert!(close(p.curve[1].y, 100.0 * 9955.0 / 500500.0));
        let p = pareto(&vec![1; 150], 0);
        assert!(p.curve.len() <= 101);
    }

    #[test]
    fn pareto_for_uses_recorded_values_in_fen() {
        let acc = |id: &str, r: Option<i64>| Account {
            id: id.into(),
            name: id.into(),
            aliases: vec![],
            industry: None,
            region: None,
            owner: None,
            indicators: Indicators {
                revenue: r.map(Money::from_yuan),
                ..Indicators::default()
            },
        };
        let p = pareto_for(
            &[acc("a", Some(3)), acc("b", None), acc("c", Some(1))],
            Indicator::Revenue,
        );
        assert_eq!((p.n, p.total.units), (2, 40_000));
    }

    #[test]
    fn pyramid_bands_for_250_accounts_follow_the_rank_rule() {
        let bands = tier_bands(&TierModel::default(), 250).expect("percent model");
        let got: Vec<(&str, usize, f64, f64)> = bands
            .iter()
            .map(|b| (b.tier.as_str(), b.count, b.x_start, b.x_end))
            .collect();
        // ceil(2.5) = 3, 50, 125
        assert_eq!(
            got,
            [
                ("strategic", 3, 0.0, 1.2),
                ("major", 47, 1.2, 20.0),
                ("ordinary", 75, 20.0, 50.0),
                ("small", 125, 50.0, 100.0),
            ]
        );
        assert_eq!(bands[0].label_zh, "重要(战略)客户");
        let empty = tier_bands(&TierModel::default(), 0).expect("percent model");
        assert!(empty.iter().all(|b| b.count == 0 && b.x_end == 0.0));
    }

    #[test]
    fn share_and_threshold_models_need_observed_bands() {
        let m = TierModel::from_json(
            r#"{"cut":{"method":"share_of_value","shares":[50,80,95]},"score":{"method":"single","indicator":"revenue"}}"#,
        )
        .expect("valid");
        let e = tier_bands(&m, 10).expect_err("data dependent");
        assert_eq!(e.field, "cut.method");
        let accounts: Vec<Account> = [100, 50, 30, 10, 5, 3, 1, 1, 0, 0]
            .iter()
            .enumerate()
            .map(|(i, v)| Account {
                id: format!("a{i}").into(),
                name: Default::default(),
                aliases: vec![],
                industry: None,
                region: None,
                owner: None,
                indicators: Indicators {
                    revenue: Some(Money::from_yuan(*v)),
                    ..Indicators::default()
                },
            })
            .collect();
        let out = compute_tiers(&m, &accounts, &HashMap::new()).expect("valid");
        let bands = tier_bands_observed(&m, &out).expect("valid");
        let got: Vec<(usize, f64)> = bands.iter().map(|b| (b.count, b.x_end)).collect();
        assert_eq!(got, [(1, 10.0), (2, 30.0), (1, 40.0), (6, 100.0)]);
    }
}
