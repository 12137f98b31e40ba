//! The scenario taxonomy and the tier presets: configuration, not code.
//!
//! Built-in defaults (DOMAIN.md §8) live as YAML in `src/domain/defaults/` and are compiled in;
//! a content directory may replace either file with its own `tiers.yaml` / `scenarios.yaml`.
//! This module only parses text; reading the files is the content loader's job.

use crate::domain::ids::{ScenarioId, TierId};
use serde::{Deserialize, Serialize};

use crate::domain::Lang;

const DEFAULT_TIERS_YAML: &str = include_str!("defaults/tiers.yaml");
const DEFAULT_SCENARIOS_YAML: &str = include_str!("defaults/scenarios.yaml");

/// One tier of a preset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierDef {
    pub id: String,
    pub zh: String,
    pub en: String,
    /// 1 = top of the pyramid. Tiers of different presets with the same level are equivalent.
    pub level: u8,
    /// Share of accounts (ranked by score) in this tier or a better one.
    pub cumulative_percent: f64,
}

impl TierDef {
    pub fn label(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// A named list of tiers, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preset {
    pub name: String,
    pub tiers: Vec<TierDef>,
}

/// One sales scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioDef {
    pub id: String,
    pub zh: String,
    pub en: String,
}

impl ScenarioDef {
    pub fn label(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TiersFile {
    default_preset: String,
    presets: serde_yaml_ng::Mapping,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenariosFile {
    scenarios: Vec<ScenarioDef>,
}

/// Tier presets and scenarios, validated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Taxonomy {
    /// Presets in file order; `default_preset` names one of them.
    pub presets: Vec<Preset>,
    pub default_preset: String,
    pub scenarios: Vec<ScenarioDef>,
}

impl Default for Taxonomy {
    fn default() -> Self {
        // The embedded files are checked by a unit test, so this cannot fail in a released build.
        Taxonomy::parse(DEFAULT_TIERS_YAML, DEFAULT_SCENARIOS_YAML)
            .unwrap_or_else(|errors| panic!("built-in taxonomy is invalid: {errors:?}"))
    }
}

impl Taxonomy {
    pub fn default_tiers_yaml() -> &'static str {
        DEFAULT_TIERS_YAML
    }

    pub fn default_scenarios_yaml() -> &'static str {
        DEFAULT_SCENARIOS_YAML
    }

    /// Parses the two configuration texts. Errors are messages without a file name; the caller
    /// prefixes the file they came from.
    pub fn parse(tiers_yaml: &str, scenarios_yaml: &str) -> Result<Taxonomy, Vec<TaxonomyError>> {
        let mut errors = Vec::new();
        let presets = match parse_tiers(tiers_yaml) {
            Ok(presets) => Some(presets),
            Err(mut e) => {
                errors.append(&mut e);
                None
            }
        };
        let scenarios = match parse_scenarios(scenarios_yaml) {
            Ok(scenarios) => Some(scenarios),
            Err(mut e) => {
                errors.append(&mut e);
                None
            }
        };
        match (presets, scenarios) {
            (Some((default_preset, presets)), Some(scenarios)) if errors.is_empty() => {
                Ok(Taxonomy {
                    presets,
                    default_preset,
                    scenarios,
                })
            }
            _ => Err(errors),
        }
    }

    /// The tiers of the default preset, best first: the rows of the coverage matrix.
    pub fn tiers(&self) -> &[TierDef] {
        self.presets
            .iter()
            .find(|p| p.name == self.default_preset)
            .map(|p| p.tiers.as_slice())
            .unwrap_or(&[])
    }

    /// Every tier id of every preset, deduplicated, in order of first appearance.
    pub fn all_tier_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::new();
        for tier in self.presets.iter().flat_map(|p| p.tiers.iter()) {
            if !ids.contains(&tier.id.as_str()) {
                ids.push(&tier.id);
            }
        }
        ids
    }

    pub fn tier(&self, id: &str) -> Option<&TierDef> {
        self.tiers().iter().find(|t| t.id == id).or_else(|| {
            self.presets
                .iter()
                .flat_map(|p| p.tiers.iter())
                .find(|t| t.id == id)
        })
    }

    pub fn is_tier(&self, id: &str) -> bool {
        self.tier(id).is_some()
    }

    pub fn scenario(&self, id: &str) -> Option<&ScenarioDef> {
        self.scenarios.iter().find(|s| s.id == id)
    }

    /// `text` as a tier id of some preset; otherwise the message for the `tier` field.
    pub fn parse_tier(&self, text: &str) -> Result<TierId, String> {
        let known = self.all_tier_ids();
        match known.contains(&text) {
            true => TierId::parse(text),
            false => Err(format!(
                "tier: unknown tier {text:?} (expected one of {})",
                known.join(", ")
            )),
        }
    }

    /// `text` as a scenario id; otherwise the message for the `scenario` field.
    pub fn parse_scenario(&self, text: &str) -> Result<ScenarioId, String> {
        match self.is_scenario(text) {
            true => ScenarioId::parse(text),
            false => Err(format!(
                "scenario: unknown scenario {text:?} (expected one of {})",
                self.scenario_ids().join(", ")
            )),
        }
    }

    pub fn is_scenario(&self, id: &str) -> bool {
        self.scenario(id).is_some()
    }

    pub fn scenario_ids(&self) -> Vec<&str> {
        self.scenarios.iter().map(|s| s.id.as_str()).collect()
    }

    pub fn tier_label<'a>(&'a self, id: &'a str, lang: Lang) -> &'a str {
        self.tier(id).map(|t| t.label(lang)).unwrap_or(id)
    }

    pub fn scenario_label<'a>(&'a self, id: &'a str, lang: Lang) -> &'a str {
        self.scenario(id).map(|s| s.label(lang)).unwrap_or(id)
    }
}

/// A problem in a taxonomy file, with the YAML path of the offending field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxonomyError {
    pub file: &'static str,
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for TaxonomyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

fn tiers_error(field: impl Into<String>, message: impl Into<String>) -> TaxonomyError {
    TaxonomyError {
        file: "tiers.yaml",
        field: field.into(),
        message: message.into(),
    }
}

fn parse_tiers(text: &str) -> Result<(String, Vec<Preset>), Vec<TaxonomyError>> {
    let file: TiersFile =
        serde_yaml_ng::from_str(text).map_err(|e| vec![tiers_error("", e.to_string())])?;
    let mut errors = Vec::new();
    let mut presets = Vec::new();
    for (name, value) in file.presets {
        let Some(name) = name.as_str().map(str::to_owned) else {
            errors.push(tiers_error("presets", "preset names must be strings"));
            continue;
        };
        let field = format!("presets.{name}");
        let tiers: Vec<TierDef> = match serde_yaml_ng::from_value(value) {
            Ok(tiers) => tiers,
            Err(e) => {
                errors.push(tiers_error(field, e.to_string()));
                continue;
            }
        };
        if tiers.is_empty() {
            errors.push(tiers_error(&field, "a preset needs at least one tier"));
        }
        let mut previous = 0.0;
        for (i, tier) in tiers.iter().enumerate() {
            if !TierId::is_valid(&tier.id) {
                errors.push(tiers_error(
                    format!("{field}[{i}].id"),
                    format!(
                        "invalid tier id {:?} (use lowercase letters, digits and '-')",
                        tier.id
                    ),
                ));
            }
            if !(tier.cumulative_percent > previous && tier.cumulative_percent <= 100.0) {
                errors.push(tiers_error(
                    format!("{field}[{i}].cumulative_percent"),
                    format!(
                        "must increase from tier to tier and stay within (0, 100], got {}",
                        tier.cumulative_percent
                    ),
                ));
            }
            previous = tier.cumulative_percent;
        }
        if tiers
            .last()
            .is_some_and(|t| (t.cumulative_percent - 100.0).abs() > f64::EPSILON)
        {
            errors.push(tiers_error(
                field,
                "the last tier must reach cumulative_percent 100 so every account has a tier",
            ));
        }
        presets.push(Preset { name, tiers });
    }
    if !presets.iter().any(|p| p.name == file.default_preset) {
        let names: Vec<&str> = presets.iter().map(|p| p.name.as_str()).collect();
        errors.push(tiers_error(
            "default_preset",
            format!(
                "unknown preset {:?} (expected one of {})",
                file.default_preset,
                names.join(", ")
            ),
        ));
    }
    if errors.is_empty() {
        Ok((file.default_preset, presets))
    } else {
        Err(errors)
    }
}

fn parse_scenarios(text: &str) -> Result<Vec<ScenarioDef>, Vec<TaxonomyError>> {
    let error = |field: String, message: String| TaxonomyError {
        file: "scenarios.yaml",
        field,
        message,
    };
    let file: ScenariosFile =
        serde_yaml_ng::from_str(text).map_err(|e| vec![error(String::new(), e.to_string())])?;
    let mut errors = Vec::new();
    for (i, scenario) in file.scenarios.iter().enumerate() {
        if !ScenarioId::is_valid(&scenario.id) {
            errors.push(error(
                format!("scenarios[{i}].id"),
                format!(
                    "invalid scenario id {:?} (use lowercase letters, digits and '-')",
                    scenario.id
                ),
            ));
        }
        if file.scenarios[..i].iter().any(|s| s.id == scenario.id) {
            errors.push(error(
                format!("scenarios[{i}].id"),
                format!("duplicate scenario id {:?}", scenario.id),
            ));
        }
    }
    if file.scenarios.is_empty() {
        errors.push(error(
            "scenarios".into(),
            "at least one scenario is needed".into(),
        ));
    }
    if errors.is_empty() {
        Ok(file.scenarios)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_taxonomy_matches_domain_md() {
        let taxonomy = Taxonomy::default();
        let tiers: Vec<&str> = taxonomy.tiers().iter().map(|t| t.id.as_str()).collect();
        assert_eq!(tiers, ["strategic", "major", "ordinary", "small"]);
        assert_eq!(taxonomy.scenarios.len(), 13);
        assert_eq!(taxonomy.scenarios[12].id, "collections");
        assert!(taxonomy.is_tier("vip"));
        assert_eq!(taxonomy.tier_label("major", Lang::Zh), "主要客户");
    }

    #[test]
    fn a_preset_whose_cut_points_do_not_increase_is_rejected_with_its_field() {
        let tiers = "default_preset: p\npresets:\n  p:\n    - {id: a, zh: A, en: A, level: 1, cumulative_percent: 50}\n    - {id: b, zh: B, en: B, level: 2, cumulative_percent: 40}\n";
        let errors = Taxonomy::parse(tiers, DEFAULT_SCENARIOS_YAML).unwrap_err();
        assert!(errors
            .iter()
            .any(|e| e.field == "presets.p[1].cumulative_percent"));
    }

    #[test]
    fn an_unknown_default_preset_names_the_known_ones() {
        let tiers = DEFAULT_TIERS_YAML.replace("default_preset: pyramid", "default_preset: cone");
        let errors = Taxonomy::parse(&tiers, DEFAULT_SCENARIOS_YAML).unwrap_err();
        assert!(errors[0].to_string().contains("pyramid, vip"), "{errors:?}");
    }

    #[test]
    fn a_duplicate_scenario_id_is_rejected() {
        let scenarios = "scenarios:\n  - {id: a, zh: A, en: A}\n  - {id: a, zh: B, en: B}\n";
        let errors = Taxonomy::parse(DEFAULT_TIERS_YAML, scenarios).unwrap_err();
        assert_eq!(errors[0].field, "scenarios[1].id");
    }
}

/// Property tests: any pair of configuration texts is a taxonomy or a list of problems.
#[cfg(test)]
mod fuzz_tests {
    use proptest::prelude::*;

    use super::*;
    use crate::fuzz_support::{config, mutated, nasty_string, YAML_PIECES};

    fn check(tiers: &str, scenarios: &str) {
        if let Err(errors) = Taxonomy::parse(tiers, scenarios) {
            assert!(!errors.is_empty());
        }
    }

    proptest! {
        #![proptest_config(config(128))]

        #[test]
        fn any_text_is_a_taxonomy_or_problems(text in nasty_string(200)) {
            check(&text, DEFAULT_SCENARIOS_YAML);
            check(DEFAULT_TIERS_YAML, &text);
        }

        #[test]
        fn any_edit_of_the_defaults_is_a_taxonomy_or_problems(
            tiers in mutated(DEFAULT_TIERS_YAML, YAML_PIECES),
            scenarios in mutated(DEFAULT_SCENARIOS_YAML, YAML_PIECES),
        ) {
            check(&tiers, &scenarios);
        }
    }

    #[test]
    fn nested_and_exploding_yaml_is_an_error() {
        let deep = format!("scenarios: {}{}", "[".repeat(10_000), "]".repeat(10_000));
        check(DEFAULT_TIERS_YAML, &deep);
        let bomb = format!(
            "a0: &a0 [x, x]\n{}scenarios: *a30\n",
            (1..=30)
                .map(|i| format!("a{i}: &a{i} [*a{p}, *a{p}]\n", p = i - 1))
                .collect::<String>()
        );
        check(DEFAULT_TIERS_YAML, &bomb);
    }
}
