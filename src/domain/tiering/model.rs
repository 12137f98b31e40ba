//! The model document: presets, tiers, cut and score methods, read from JSON with every problem
//! named.

use super::*;

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

    pub(super) fn parse(name: &str) -> Option<Preset> {
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
    pub(super) fn name(&self) -> &'static str {
        match self {
            CutMethod::PercentOfAccounts { .. } => "percent_of_accounts",
            CutMethod::ShareOfValue { .. } => "share_of_value",
            CutMethod::Threshold { .. } => "threshold",
        }
    }

    pub(super) fn list_field(&self) -> &'static str {
        match self {
            CutMethod::PercentOfAccounts { .. } => "cut.percents",
            CutMethod::ShareOfValue { .. } => "cut.shares",
            CutMethod::Threshold { .. } => "cut.thresholds",
        }
    }

    pub(super) fn list(&self) -> Option<&Vec<f64>> {
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

pub(super) fn default_score() -> ScoreMethod {
    ScoreMethod::Weighted {
        weights: BTreeMap::from([
            (Indicator::Revenue, 0.5),
            (Indicator::Profit, 0.3),
            (Indicator::Collected, 0.2),
        ]),
        normalisation: Normalisation::LogMinMax,
    }
}

pub(super) fn default_groups() -> BTreeMap<Group, f64> {
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
pub(super) struct RawModel {
    #[serde(default)]
    pub(super) preset: Option<String>,
    #[serde(default)]
    pub(super) tiers: Option<Vec<TierSpec>>,
    #[serde(default)]
    pub(super) cut: Option<RawCut>,
    #[serde(default)]
    pub(super) score: Option<RawScore>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a cut object such as {\"method\":\"percent_of_accounts\"}"
)]
pub(super) struct RawCut {
    #[serde(default)]
    pub(super) method: Option<String>,
    #[serde(default)]
    pub(super) percents: Option<Vec<f64>>,
    #[serde(default)]
    pub(super) shares: Option<Vec<f64>>,
    #[serde(default)]
    pub(super) thresholds: Option<Vec<f64>>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a score object such as {\"method\":\"single\",\"indicator\":\"revenue\"}"
)]
pub(super) struct RawScore {
    #[serde(default)]
    pub(super) method: Option<String>,
    #[serde(default)]
    pub(super) indicator: Option<String>,
    #[serde(default)]
    pub(super) weights: Option<BTreeMap<String, f64>>,
    #[serde(default, alias = "normalization")]
    pub(super) normalisation: Option<String>,
    #[serde(default)]
    pub(super) groups: Option<BTreeMap<String, f64>>,
}

pub(super) fn unused(field: &str, present: bool, method: &str) -> Result<(), ModelError> {
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

pub(super) fn parse_normalisation(s: &Option<String>) -> Result<Normalisation, ModelError> {
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

pub(super) fn raw_score(s: RawScore) -> Result<ScoreMethod, ModelError> {
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

    pub(super) fn resolve_tiers(&self) -> Result<Vec<TierDef>, ModelError> {
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
    pub(super) fn resolve_cut(&self, k: usize) -> Result<ResolvedCut, ModelError> {
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

pub(super) fn validate_weights<K: Copy>(
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

pub(super) fn validate_score(score: &ScoreMethod) -> Result<(), ModelError> {
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
