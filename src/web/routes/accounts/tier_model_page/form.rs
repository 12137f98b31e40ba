//! The tier model as form fields and back: the values of the `/tier-model` form (layout, cut
//! method and points, score method, indicator, scaling, weights), the model they make (errors
//! named by field in the UI language), and the rows the template draws. No handler here.

use std::collections::{BTreeMap, HashMap};

use crate::domain::tiering::{
    CutMethod, Group, Indicator, ModelError, Normalisation, Preset, ScoreMethod, TierDef,
    TierModel, TierSpec,
};
use crate::domain::Lang;
use crate::web::i18n::Ui;
use crate::web::tier_words::{
    custom_layout_name, cut_index, cut_input_words, cut_method_name, cut_method_of, field_label,
    group_name, model_message, normalisation_help, normalisation_name, number, preset_name,
    resolved_cut_method, score_method_name, score_method_of, tier_name, CUT_METHODS,
    NORMALISATIONS, SCORE_METHODS,
};
use crate::web::view::Choice;

/// The form's values by field name, as typed.
pub type Values = HashMap<String, String>;

/// A problem of one field, shown beside it and in the summary.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// The form field (`cut_1`, `w_revenue`, `json`…).
    pub field: String,
    pub label: String,
    pub message: String,
}

/// Default cut points for a method the form switches to, per number of tiers.
fn example_points(method: &str, k: usize, preset: Option<Preset>) -> Vec<f64> {
    let n = k.saturating_sub(1);
    match method {
        "percent_of_accounts" => match (preset, n) {
            (Some(p), 3) => p.percents().to_vec(),
            _ => (1..=n).map(|i| (100 * i / k) as f64).collect(),
        },
        "share_of_value" => match n {
            3 => vec![50.0, 80.0, 95.0],
            _ => (1..=n).map(|i| (100 * i / k) as f64).collect(),
        },
        _ => match n {
            3 => vec![90.0, 60.0, 30.0],
            _ => (1..=n).rev().map(|i| (100 * i / k) as f64).collect(),
        },
    }
}

fn get<'a>(values: &'a Values, name: &str) -> &'a str {
    values.get(name).map_or("", |v| v.trim())
}

/// The tiers the form's layout names: a preset's, or the custom list carried in the form.
pub fn layout_tiers(values: &Values) -> (Option<Preset>, Vec<TierSpec>) {
    let preset = match get(values, "layout") {
        "vip" => Some(Preset::Vip),
        "custom" => None,
        _ => Some(Preset::Pyramid),
    };
    match preset {
        Some(p) => (
            Some(p),
            p.tier_ids()
                .iter()
                .map(|id| TierSpec {
                    id: (*id).to_owned(),
                    cut: None,
                    label_zh: None,
                    label_en: None,
                })
                .collect(),
        ),
        None => {
            let list: Vec<TierSpec> =
                serde_json::from_str(get(values, "custom_tiers")).unwrap_or_default();
            if list.len() >= 2 {
                (None, list)
            } else {
                layout_tiers(&Values::from([("layout".to_owned(), "pyramid".to_owned())]))
            }
        }
    }
}

fn defs(specs: &[TierSpec]) -> Vec<TierDef> {
    specs
        .iter()
        .map(|s| {
            let known = TierDef::known(&s.id);
            TierDef {
                id: s.id.clone(),
                label_zh: s.label_zh.clone().unwrap_or(known.label_zh),
                label_en: s.label_en.clone().unwrap_or(known.label_en),
            }
        })
        .collect()
}

/// The form's values for `model` (fields a method does not use get the default model's).
pub fn values_of(model: &TierModel) -> Values {
    let mut v = Values::new();
    let layout = match (&model.tiers, model.preset) {
        (Some(_), _) => "custom",
        (None, Some(Preset::Vip)) => "vip",
        _ => "pyramid",
    };
    v.insert("layout".into(), layout.into());
    if let Some(tiers) = &model.tiers {
        let specs: Vec<TierSpec> = tiers
            .iter()
            .map(|t| TierSpec {
                cut: None,
                ..t.clone()
            })
            .collect();
        v.insert(
            "custom_tiers".into(),
            serde_json::to_string(&specs).unwrap_or_default(),
        );
    }
    let method = cut_method_of(&model.cut);
    v.insert("cut_method".into(), method.into());
    v.insert("shown_layout".into(), layout.into());
    v.insert("shown_cut".into(), method.into());
    if let Ok(resolved) = model.resolve() {
        let (_, points) = resolved_cut_method(resolved.cut());
        for (i, p) in points.iter().enumerate() {
            v.insert(format!("cut_{i}"), number(*p));
        }
    }
    let default_weights = BTreeMap::from([
        (Indicator::Revenue, 0.5),
        (Indicator::Profit, 0.3),
        (Indicator::Collected, 0.2),
    ]);
    let default_groups = BTreeMap::from([
        (Group::Financial, 0.4),
        (Group::Sales, 0.2),
        (Group::Customer, 0.2),
        (Group::Service, 0.2),
    ]);
    let (indicator, weights, groups, normalisation) = match &model.score {
        ScoreMethod::Single { indicator } => (
            *indicator,
            &default_weights,
            &default_groups,
            Normalisation::LogMinMax,
        ),
        ScoreMethod::Weighted {
            weights,
            normalisation,
        } => (Indicator::Revenue, weights, &default_groups, *normalisation),
        ScoreMethod::Scorecard {
            groups,
            normalisation,
        } => (Indicator::Revenue, &default_weights, groups, *normalisation),
    };
    v.insert("score_method".into(), score_method_of(&model.score).into());
    v.insert("indicator".into(), indicator.name().into());
    v.insert("normalisation".into(), normalisation.name().into());
    for (i, w) in weights {
        v.insert(format!("w_{}", i.name()), number(*w));
    }
    for (g, w) in groups {
        v.insert(format!("g_{}", g.name()), number(*w));
    }
    v.insert(
        "json".into(),
        serde_json::to_string_pretty(model).unwrap_or_default(),
    );
    v
}

/// When the layout or the cut method was changed on the form, the cut inputs were drawn for
/// the old ones: the values with the cut rows redrawn for the new choice (example points
/// filled in), else `None`.
pub fn restructured(values: &Values) -> Option<Values> {
    let layout_changed = get(values, "layout") != get(values, "shown_layout");
    let cut_changed = get(values, "cut_method") != get(values, "shown_cut");
    if !layout_changed && !cut_changed {
        return None;
    }
    let mut v = values.clone();
    let (preset, tiers) = layout_tiers(values);
    let method = match get(values, "cut_method") {
        m if CUT_METHODS.contains(&m) => m,
        _ => CUT_METHODS[0],
    };
    for i in 0..16 {
        v.remove(&format!("cut_{i}"));
    }
    for (i, p) in example_points(method, tiers.len(), preset)
        .iter()
        .enumerate()
    {
        v.insert(format!("cut_{i}"), number(*p));
    }
    v.insert("shown_layout".into(), get(values, "layout").into());
    v.insert("shown_cut".into(), method.into());
    Some(v)
}

/// Whether the fields were edited since they were drawn from `model` (after a JSON preview,
/// Save must not ignore them).
pub fn fields_edited(values: &Values, model: &TierModel) -> bool {
    let drawn = values_of(model);
    let changed = drawn
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "json" | "shown_layout" | "shown_cut" | "custom_tiers"
            )
        })
        .any(|(k, v)| get(values, k) != v.trim());
    let added = values.iter().any(|(k, v)| {
        ["w_", "g_", "cut_"].iter().any(|p| k.starts_with(p))
            && !v.trim().is_empty()
            && !drawn.contains_key(k)
    });
    changed || added
}

fn parse_number(raw: &str) -> Option<f64> {
    let cleaned: String = raw
        .trim()
        .trim_end_matches(['%', '％'])
        .chars()
        .filter(|c| *c != ',' && !c.is_whitespace())
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '．' => '.',
            '－' => '-',
            c => c,
        })
        .collect();
    cleaned.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The model the form's fields describe, or every problem with its field.
pub fn model_from_values(values: &Values, lang: Lang) -> Result<TierModel, Vec<FieldError>> {
    let (preset, specs) = layout_tiers(values);
    let tier_defs = defs(&specs);
    let mut errors = Vec::new();
    let mut number_field = |name: String, label: String, required: bool| -> Option<f64> {
        let raw = get(values, &name);
        if raw.is_empty() {
            if required {
                errors.push(FieldError {
                    field: name,
                    label,
                    message: match lang {
                        Lang::Zh => "请填写".to_owned(),
                        Lang::En => "required".to_owned(),
                    },
                });
            }
            return None;
        }
        let parsed = parse_number(raw);
        if parsed.is_none() {
            errors.push(FieldError {
                field: name,
                label,
                message: match lang {
                    Lang::Zh => format!("“{raw}”不是数字"),
                    Lang::En => format!("\"{raw}\" is not a number"),
                },
            });
        }
        parsed
    };
    let method = get(values, "cut_method");
    let k = specs.len();
    let points: Vec<Option<f64>> = (0..k - 1)
        .map(|i| {
            let label = field_label(&format!("cut.percents[{i}]"), &tier_defs, lang);
            number_field(format!("cut_{i}"), label, true)
        })
        .collect();
    let score_method = get(values, "score_method");
    let mut weights = BTreeMap::new();
    let mut groups = BTreeMap::new();
    match score_method {
        "weighted" => {
            for ind in Indicator::ALL {
                let label = field_label(&format!("score.weights.{}", ind.name()), &[], lang);
                if let Some(w) = number_field(format!("w_{}", ind.name()), label, false) {
                    if w != 0.0 {
                        weights.insert(ind, w);
                    }
                }
            }
        }
        "scorecard" => {
            for g in Group::ALL {
                let label = field_label(&format!("score.groups.{}", g.name()), &[], lang);
                if let Some(w) = number_field(format!("g_{}", g.name()), label, false) {
                    if w != 0.0 {
                        groups.insert(g, w);
                    }
                }
            }
        }
        _ => {}
    }
    let choice_error = |field: &str, model_field: &str| FieldError {
        field: field.to_owned(),
        label: field_label(model_field, &tier_defs, lang),
        message: match lang {
            Lang::Zh => "请从列表中选择".to_owned(),
            Lang::En => "choose one of the list".to_owned(),
        },
    };
    let normalisation = NORMALISATIONS
        .into_iter()
        .find(|n| n.name() == get(values, "normalisation"));
    let score = match score_method {
        "single" => match Indicator::parse(get(values, "indicator")) {
            Some(indicator) => Some(ScoreMethod::Single { indicator }),
            None => {
                errors.push(choice_error("indicator", "score.indicator"));
                None
            }
        },
        "weighted" | "scorecard" => match normalisation {
            None => {
                errors.push(choice_error("normalisation", "score.normalisation"));
                None
            }
            Some(normalisation) if score_method == "weighted" => Some(ScoreMethod::Weighted {
                weights,
                normalisation,
            }),
            Some(normalisation) => Some(ScoreMethod::Scorecard {
                groups,
                normalisation,
            }),
        },
        _ => {
            errors.push(choice_error("score_method", "score.method"));
            None
        }
    };
    let list: Option<Vec<f64>> = points.into_iter().collect();
    let cut = list.and_then(|list| {
        let keep_preset = preset.is_some_and(|p| p.percents().as_slice() == list.as_slice());
        match method {
            "percent_of_accounts" => Some(CutMethod::PercentOfAccounts {
                percents: (!keep_preset).then_some(list),
            }),
            "share_of_value" => Some(CutMethod::ShareOfValue { shares: Some(list) }),
            "threshold" => Some(CutMethod::Threshold {
                thresholds: Some(list),
            }),
            _ => None,
        }
    });
    if cut.is_none() && !CUT_METHODS.contains(&method) {
        errors.push(choice_error("cut_method", "cut.method"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let (Some(cut), Some(score)) = (cut, score) else {
        return Err(errors);
    };
    let model = TierModel {
        preset,
        tiers: preset.is_none().then_some(specs),
        cut,
        score,
    };
    model
        .validate()
        .map_err(|e| vec![field_error(&e, &tier_defs, lang)])?;
    Ok(model)
}

/// A domain validation error as a form field's error.
pub fn field_error(error: &ModelError, tiers: &[TierDef], lang: Lang) -> FieldError {
    let f = error.field.as_str();
    let field = if let Some(i) = cut_index(f) {
        format!("cut_{i}")
    } else if let Some(name) = f.strip_prefix("score.weights.") {
        format!("w_{name}")
    } else if let Some(name) = f.strip_prefix("score.groups.") {
        format!("g_{name}")
    } else {
        match f {
            "score.weights" => "weights",
            "score.groups" => "groups",
            "score.indicator" => "indicator",
            "score.normalisation" => "normalisation",
            "score.method" => "score_method",
            "cut.method" => "cut_method",
            "preset" | "tiers" => "layout",
            _ => "json",
        }
        .to_owned()
    };
    FieldError {
        field,
        label: field_label(f, tiers, lang),
        message: model_message(error, lang),
    }
}

/// The model of the advanced JSON field, or its error on that field.
pub fn model_from_json(values: &Values, lang: Lang) -> Result<TierModel, Vec<FieldError>> {
    TierModel::from_json(get(values, "json")).map_err(|e| {
        let mut error = field_error(&e, &[], lang);
        error.field = "json".into();
        error.label = format!(
            "{}{}",
            field_label("model", &[], lang),
            if e.field == "model" {
                String::new()
            } else {
                format!(" · {}", e.field)
            }
        );
        vec![error]
    })
}

/// One number input.
pub struct NumberInput {
    pub name: String,
    pub label: String,
    pub value: String,
    pub error: Option<String>,
}

/// One cut point: the tier it closes and the words around the input.
pub struct CutRow {
    pub tier: String,
    pub input: NumberInput,
    pub before: &'static str,
    pub after: &'static str,
}

/// What the template draws of the form.
pub struct ModelForm {
    pub layouts: Vec<Choice>,
    pub cut_methods: Vec<Choice>,
    pub cut_rows: Vec<CutRow>,
    /// The last tier, which takes the rest.
    pub last_tier: String,
    pub score_methods: Vec<Choice>,
    pub indicators: Vec<Choice>,
    pub normalisations: Vec<Choice>,
    pub weights: Vec<NumberInput>,
    pub groups: Vec<NumberInput>,
    pub hidden: Vec<(String, String)>,
    pub json: String,
    pub json_error: Option<String>,
    /// Problems of fields without an input of their own (or all, for the summary).
    pub errors: Vec<FieldError>,
    pub error_of: HashMap<String, String>,
}

impl ModelForm {
    pub fn error(&self, field: &str) -> Option<&String> {
        self.error_of.get(field)
    }
}

fn choice(value: &str, label: impl Into<String>, selected: &str) -> Choice {
    Choice {
        value: value.to_owned(),
        label: label.into(),
        selected: value == selected,
    }
}

/// The form drawn from `values`, with `errors` beside their fields.
pub fn form(values: &Values, errors: Vec<FieldError>, lang: Lang) -> ModelForm {
    let ui = Ui::for_lang(lang);
    let (_, specs) = layout_tiers(values);
    let tier_defs = defs(&specs);
    let error_of: HashMap<String, String> = errors
        .iter()
        .map(|e| (e.field.clone(), e.message.clone()))
        .collect();
    let layout = get(values, "layout");
    let mut layouts = vec![
        choice("pyramid", preset_name(Preset::Pyramid, lang), layout),
        choice("vip", preset_name(Preset::Vip, lang), layout),
    ];
    if !get(values, "custom_tiers").is_empty() {
        let names: Vec<String> = tier_defs.iter().map(|d| tier_name(d, lang)).collect();
        layouts.push(choice(
            "custom",
            format!("{}（{}）", custom_layout_name(lang), names.join(" · ")),
            layout,
        ));
    }
    let shown_cut = get(values, "shown_cut");
    let shown_cut = if CUT_METHODS.contains(&shown_cut) {
        shown_cut
    } else {
        CUT_METHODS[0]
    };
    let (before, after) = cut_input_words(shown_cut, lang);
    let cut_rows = tier_defs
        .iter()
        .take(tier_defs.len() - 1)
        .enumerate()
        .map(|(i, d)| {
            let name = format!("cut_{i}");
            CutRow {
                tier: tier_name(d, lang),
                input: NumberInput {
                    label: field_label(&format!("cut.percents[{i}]"), &tier_defs, lang),
                    value: get(values, &name).to_owned(),
                    error: error_of.get(&name).cloned(),
                    name,
                },
                before,
                after,
            }
        })
        .collect();
    let input = |name: String, label: String| NumberInput {
        value: get(values, &name).to_owned(),
        error: error_of.get(&name).cloned(),
        name,
        label,
    };
    let mut hidden = Vec::new();
    for name in [
        "shown_layout",
        "shown_cut",
        "custom_tiers",
        "previewed",
        "source",
    ] {
        let value = get(values, name);
        if !value.is_empty() {
            hidden.push((name.to_owned(), value.to_owned()));
        }
    }
    ModelForm {
        layouts,
        cut_methods: CUT_METHODS
            .iter()
            .map(|m| choice(m, cut_method_name(m, lang), get(values, "cut_method")))
            .collect(),
        cut_rows,
        last_tier: tier_defs
            .last()
            .map(|d| tier_name(d, lang))
            .unwrap_or_default(),
        score_methods: SCORE_METHODS
            .iter()
            .map(|m| choice(m, score_method_name(m, lang), get(values, "score_method")))
            .collect(),
        indicators: Indicator::ALL
            .iter()
            .map(|i| choice(i.name(), ui.indicator(*i), get(values, "indicator")))
            .collect(),
        normalisations: NORMALISATIONS
            .iter()
            .map(|n| {
                choice(
                    n.name(),
                    format!(
                        "{} — {}",
                        normalisation_name(*n, lang),
                        normalisation_help(*n, lang)
                    ),
                    get(values, "normalisation"),
                )
            })
            .collect(),
        weights: Indicator::ALL
            .iter()
            .map(|i| input(format!("w_{}", i.name()), ui.indicator(*i).to_owned()))
            .collect(),
        groups: Group::ALL
            .iter()
            .map(|g| input(format!("g_{}", g.name()), group_name(*g, lang).to_owned()))
            .collect(),
        hidden,
        json: values.get("json").cloned().unwrap_or_default(),
        json_error: error_of.get("json").cloned(),
        errors,
        error_of,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> Values {
        let mut v = values_of(&TierModel::default());
        for (k, val) in pairs {
            v.insert((*k).to_owned(), (*val).to_owned());
        }
        v
    }

    #[test]
    fn the_default_model_round_trips_through_the_form() {
        let model = model_from_values(&values(&[]), Lang::Zh).unwrap();
        assert_eq!(model, TierModel::default());
    }

    #[test]
    fn changed_cuts_and_weights_make_the_model_they_say() {
        let model = model_from_values(
            &values(&[
                ("cut_0", "2"),
                ("cut_1", "25％"),
                ("w_profit", ""),
                ("w_transactions", "1"),
                ("normalisation", "min_max"),
            ]),
            Lang::En,
        )
        .unwrap();
        let json = serde_json::to_value(&model).unwrap();
        assert_eq!(
            json["cut"]["percents"],
            serde_json::json!([2.0, 25.0, 50.0])
        );
        assert_eq!(
            json["score"]["weights"],
            serde_json::json!({"revenue": 0.5, "collected": 0.2, "transactions": 1.0})
        );
        assert_eq!(json["score"]["normalisation"], "min_max");
    }

    #[test]
    fn every_bad_field_is_named_in_the_ui_language() {
        let errors =
            model_from_values(&values(&[("cut_0", "abc"), ("cut_2", "")]), Lang::Zh).unwrap_err();
        let named: Vec<(&str, &str, &str)> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.label.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(
            named,
            [
                ("cut_0", "重要(战略)客户的分界值", "“abc”不是数字"),
                ("cut_2", "普通客户的分界值", "请填写"),
            ]
        );
        let errors = model_from_values(&values(&[("cut_1", "0.5")]), Lang::Zh).unwrap_err();
        assert_eq!(errors[0].field, "cut_1");
        assert_eq!(errors[0].message, "分界值须逐级增大（1 之后是 0.5）");
    }

    #[test]
    fn switching_the_cut_method_redraws_the_cut_rows_with_examples() {
        let v = values(&[("cut_method", "threshold")]);
        let redrawn = restructured(&v).unwrap();
        assert_eq!(redrawn["cut_0"], "90");
        assert_eq!(redrawn["shown_cut"], "threshold");
        assert!(restructured(&redrawn).is_none());
        let model = model_from_values(&redrawn, Lang::En).unwrap();
        assert!(matches!(model.cut, CutMethod::Threshold { .. }));
    }

    #[test]
    fn fields_drawn_from_a_model_are_edited_only_when_someone_types() {
        let model = TierModel::from_json(
            r#"{"preset":"vip","cut":{"method":"threshold","thresholds":[90,60,30]}}"#,
        )
        .unwrap();
        let mut v = values_of(&model);
        assert!(!fields_edited(&v, &model));
        v.insert("w_referral".into(), "1".into());
        assert!(fields_edited(&v, &model));
        let mut v = values_of(&model);
        v.insert("cut_1".into(), "50".into());
        assert!(fields_edited(&v, &model));
    }
}
