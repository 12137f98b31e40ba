//! Ranking and cutting: ranks, tie groups and the cut into tiers, and the constant parts of the
//! rule text.

use super::*;

/// Everything the rule text needs about where an account stands.
pub(super) struct Standing {
    pub(super) rank: usize,
    pub(super) tier: usize,
    pub(super) lower: usize,
    pub(super) tied: usize,
}

/// A [`Standing`] as the tier table keeps it for every account: four `u32`, 16 bytes instead of
/// 32 (16 MB less with 1M accounts).
#[derive(Debug, Clone, Copy)]
pub(super) struct StoredStanding([u32; 4]);

impl From<Standing> for StoredStanding {
    fn from(s: Standing) -> StoredStanding {
        StoredStanding(
            [s.rank, s.tier, s.lower, s.tied].map(|v| u32::try_from(v).unwrap_or(u32::MAX)),
        )
    }
}

impl StoredStanding {
    pub(super) fn get(self) -> Standing {
        let [rank, tier, lower, tied] = self.0.map(|v| v as usize);
        Standing {
            rank,
            tier,
            lower,
            tied,
        }
    }
}

/// A signed integer with the order of `f64::total_cmp`.
pub(super) fn f64_order_key(x: f64) -> i64 {
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
pub(super) fn share_counts_exact(values: &[i128], shares: &[f64]) -> Vec<usize> {
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

pub(super) fn share_counts_float(values: &[f64], shares: &[f64]) -> Vec<usize> {
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
pub(super) enum CutInfo {
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
        let mut unscored: Vec<usize> = (0..n).filter(|&i| scores.score.get(i).is_none()).collect();
        unscored.sort_unstable_by(by_id);
        order.extend(unscored);
        let same = |a: usize, b: usize| match &scores.exact {
            Some(ex) => ex[a] == ex[b],
            None => match (scores.score.get(a), scores.score.get(b)) {
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
                            .map(|&i| scores.score.get(i).unwrap_or(0.0))
                            .collect();
                        share_counts_float(&vals, shares)
                    }
                };
                let tiers = tiers_from_bounds(&bounds);
                (tiers, CutInfo::Share { bounds })
            }
            ResolvedCut::Threshold(ts) => {
                let money = matches!(&self.score, ScoreMethod::Single { indicator } if indicator.is_money());
                // Exact scores compare with integer thresholds: money units (rounded) for
                // money, the next integer up for counts (v ≥ t ⇔ v ≥ ceil(t) for integer v).
                let exact_ts: Vec<i128> = ts
                    .iter()
                    .map(|t| {
                        if money {
                            (t * Money::PER_YUAN as f64).round() as i128
                        } else {
                            t.ceil() as i128
                        }
                    })
                    .collect();
                let tiers = order
                    .iter()
                    .map(|&i| match (&scores.exact, scores.score.get(i)) {
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
        let unranked = StoredStanding::from(Standing {
            rank: 0,
            tier: last,
            lower: 0,
            tied: 0,
        });
        let mut standing: Vec<StoredStanding> = vec![unranked; n];
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
            }
            .into();
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
    pub(super) fn rule_parts(&self, info: &CutInfo, n: usize, scored: usize) -> RuleParts {
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
                    let (en, zh) = if is_last {
                        ("below", "之外")
                    } else {
                        ("within", "之内")
                    };
                    let accounts = if b == 1 { "account" } else { "accounts" };
                    tier_en.push(format!(
                        " of {n}, {en} the top {p}% ({b} {accounts}) → {}",
                        tier.label_en
                    ));
                    tier_zh.push(format!("/{n}，在前 {p}%（{b} 家）{zh} → {}", tier.label_zh));
                }
                (CutInfo::Share { bounds }, ResolvedCut::Share(ps)) => {
                    let (b, p) = (
                        bounds.get(j).copied().unwrap_or(0),
                        ps.get(j).copied().unwrap_or(0.0),
                    );
                    let op = if is_last { ">" } else { "≤" };
                    tier_en.push(format!(
                        " of {n} {op} {b} = fewest top accounts holding ≥ {p}% of total value → {}",
                        tier.label_en
                    ));
                    tier_zh.push(format!(
                        "/{n} {op} {b}（累计占总价值 {p}% 所需的最少头部客户数） → {}",
                        tier.label_zh
                    ));
                }
                (_, ResolvedCut::Threshold(ts)) => {
                    threshold.push(ts.get(j).copied().unwrap_or(0.0));
                    tier_en.push(format!(" → {}; rank ", tier.label_en));
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
        let en_names: Vec<&str> = names.iter().map(|i| i.label_en()).collect();
        let zh_names: Vec<&str> = names.iter().map(|i| i.label_zh()).collect();
        let r = scored + 1;
        let last_tier = &self.tiers[last];
        RuleParts {
            unscored: Rule {
                en: format!(
                    "no score ({} not recorded); rank {r} of {n} → {} (accounts without a score \
                     go to the last tier)",
                    en_names.join(", "),
                    last_tier.label_en
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
pub(super) struct RuleParts {
    pub(super) unscored: Rule,
    pub(super) head_en: String,
    pub(super) head_zh: String,
    pub(super) thr_head_en: String,
    pub(super) thr_head_zh: String,
    pub(super) tail_en: String,
    pub(super) tail_zh: String,
    pub(super) tier_en: Vec<String>,
    pub(super) tier_zh: Vec<String>,
    /// The deciding threshold per tier, for the threshold method.
    pub(super) threshold: Option<Vec<f64>>,
}
