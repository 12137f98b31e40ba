//! Explanations: the compact run, its owned table, and the rule text built per account (with or
//! without the figures).

use super::*;

/// The compact result of [`ResolvedModel::run`]: per account (in input order) its computed
/// tier, score, rank and percentile, without explanation strings.
pub struct TierRun<'a> {
    pub(super) model: &'a ResolvedModel,
    pub(super) accounts: &'a [Account],
    pub(super) table: TierTable,
}

/// The owned data of a [`TierRun`], without the borrows of the model and the accounts, so that
/// an application can keep the result of a recompute beside the accounts it was computed from
/// (e.g. in a shared snapshot) and still render explanations on demand with
/// [`TierTable::assignment`].
pub struct TierTable {
    pub(super) standing: Vec<StoredStanding>,
    pub(super) scores: Scores,
    pub(super) parts: RuleParts,
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
        self.standing[i].get().tier
    }

    pub fn score(&self, i: usize) -> Option<f64> {
        self.scores.score.get(i)
    }

    pub fn rank(&self, i: usize) -> usize {
        self.standing[i].get().rank
    }

    pub fn percentile(&self, i: usize) -> f64 {
        100.0 * self.standing[i].get().lower as f64 / self.len() as f64
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

    pub(super) fn view(
        model: &'a ResolvedModel,
        accounts: &'a [Account],
        table: &'a TierTable,
    ) -> Explainer<'a> {
        debug_assert_eq!(accounts.len(), table.len());
        Explainer {
            model,
            accounts,
            table,
        }
    }

    pub(super) fn as_view(&self) -> Explainer<'_> {
        Explainer {
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
        &self.model.tiers[self.table.standing[i].get().tier]
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

    /// The explained assignment of account `i`, with or without its figures (without: no
    /// score, no contributions, and a rule text built from the rank and the cut only). Panics
    /// if `i` is out of range.
    pub fn assignment(
        &self,
        i: usize,
        overrides: &HashMap<String, TierOverride>,
        figures: Figures,
    ) -> TierAssignment {
        self.as_view().assignment(i, overrides, figures)
    }
}

/// A run's table with the model and accounts it was computed from: renders explanations.
pub(super) struct Explainer<'a> {
    pub(super) model: &'a ResolvedModel,
    pub(super) accounts: &'a [Account],
    pub(super) table: &'a TierTable,
}

impl Explainer<'_> {
    pub(super) fn assignment(
        &self,
        i: usize,
        overrides: &HashMap<String, TierOverride>,
        figures: Figures,
    ) -> TierAssignment {
        let acc = &self.accounts[i];
        let st = &self.table.standing[i].get();
        let model = self.model;
        let shown = figures == Figures::Shown;
        let score = self.table.scores.score.get(i).filter(|_| shown);
        let contributions = if !shown {
            Vec::new()
        } else {
            self.table
                .scores
                .parts
                .iter()
                .map(|p| {
                    let v = p.normalised.get(i);
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
            self.rule_text_without_figures(st, self.table.scores.score.get(i).is_some())
        };
        let ov = overrides.get(acc.id.as_str());
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
            account_id: acc.id.to_string(),
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
    pub(super) fn rule_text_without_figures(&self, st: &Standing, scored: bool) -> Rule {
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

    pub(super) fn rule_text(&self, st: &Standing, score: Option<f64>) -> Rule {
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

pub(super) fn push_uint(out: &mut String, mut v: u64) {
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
pub(super) fn push_num2(out: &mut String, x: f64) {
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
pub(super) fn fmt_num(x: f64, decimals: usize) -> String {
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
pub(super) fn fmt_pair(a: f64, b: f64) -> (String, String) {
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
