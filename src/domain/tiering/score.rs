//! Scoring: each indicator's column, normalised and combined into one score per account.

use super::*;

/// A number or none per account, kept in 8 bytes (an `Option<f64>` takes 16): NaN stands for
/// none. No indicator value, normalised value or score is NaN. With 1M accounts and a model of
/// three parts this keeps 32 MB instead of 64.
#[derive(Clone, Default)]
pub(super) struct Column(Vec<f64>);

impl Column {
    pub(super) fn get(&self, i: usize) -> Option<f64> {
        let v = self.0[i];
        (!v.is_nan()).then_some(v)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = Option<f64>> + '_ {
        self.0.iter().map(|&v| (!v.is_nan()).then_some(v))
    }
}

impl FromIterator<Option<f64>> for Column {
    fn from_iter<I: IntoIterator<Item = Option<f64>>>(values: I) -> Column {
        Column(values.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect())
    }
}

/// One scored term: an indicator, its effective weight and its per-account normalised value.
pub(super) struct Part {
    pub(super) indicator: Indicator,
    pub(super) group: Option<Group>,
    pub(super) weight: f64,
    pub(super) normalised: Column,
}

pub(super) struct Scores {
    /// Display score per account.
    pub(super) score: Column,
    /// Exact integer score (single integer indicators): money in fen, counts, negated days.
    pub(super) exact: Option<Vec<Option<i128>>>,
    pub(super) parts: Vec<Part>,
}

pub(super) fn column(accounts: &[Account], ind: Indicator) -> Vec<Option<f64>> {
    let sign = if ind.lower_is_better() { -1.0 } else { 1.0 };
    accounts
        .iter()
        // `+ 0.0` turns −0.0 into 0.0 so equal values compare equal everywhere.
        .map(|a| ind.value(&a.indicators).map(|v| sign * v + 0.0))
        .collect()
}

pub(super) fn min_max(values: &[Option<f64>]) -> Vec<Option<f64>> {
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

pub(super) fn compute_scores(score: &ScoreMethod, accounts: &[Account]) -> Scores {
    match score {
        ScoreMethod::Single { indicator } => {
            let ind = *indicator;
            let values: Column = column(accounts, ind).into_iter().collect();
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
                    normalised: normalise(&column(accounts, ind), *normalisation)
                        .into_iter()
                        .collect(),
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
                            .into_iter()
                            .collect()
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
pub(super) fn combine(parts: &[Part], n: usize) -> Column {
    let mut out: Vec<Option<f64>> = vec![None; n];
    for p in parts {
        for (o, v) in out.iter_mut().zip(p.normalised.iter()) {
            if let Some(x) = v {
                *o = Some(o.unwrap_or(0.0) + p.weight * x);
            }
        }
    }
    out.into_iter().collect()
}
