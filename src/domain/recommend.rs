//! Recommended playbooks for a (tier, scenario) cell, and the courses covering a scenario.
//!
//! This module owns the *order* in which the briefing offers content; which content exists is
//! the content loader's business, and which items a viewer may see is filtered before this is
//! called. It is a pure function of the items and the request, with no I/O.
//!
//! The rules are front-matter conditions that trainers control: a playbook's `tiers` and
//! `scenarios` lists decide where it is recommended.
//!
//! Order, best first:
//! 1. **exact** — the playbook lists this tier (or an equivalent tier of another preset: the same
//!    level, e.g. `vip` ≡ `strategic`) *and* the scenario;
//! 2. **tier** — it lists this tier and no scenario: the tier's general treatment;
//! 3. **scenario** — it lists the scenario and no tier: written for every tier;
//! 4. **nearest** — only when group 1 is empty (`exact_missing`): playbooks for the same scenario
//!    written for other tiers, nearest tier level first, then the better tier.
//!
//! With no scenario the order is: the tier's general treatment, then its scenario playbooks
//! (`tier_in_scenario`). Within a group, items in the viewer's language come first, then the
//! others, each by title. Only published playbooks are recommended.

use std::cmp::Ordering;
use std::collections::HashMap;

use serde::Serialize;

use crate::domain::content::{ContentItem, Kind};
use crate::domain::taxonomy::Taxonomy;
use crate::domain::Lang;

/// Why a playbook is recommended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// Written for this tier in this scenario.
    Exact,
    /// This tier's general treatment (no scenario).
    Tier,
    /// This scenario, for every tier.
    Scenario,
    /// No scenario was asked for: written for this tier in some scenario.
    TierInScenario,
    /// This scenario, but written for another tier (offered because no exact match exists).
    Nearest,
}

/// One recommended playbook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecommendedPlaybook<'a> {
    #[serde(skip)]
    pub item: &'a ContentItem,
    pub id: &'a str,
    pub title: &'a str,
    pub lang: Lang,
    pub match_kind: MatchKind,
    /// For `nearest`: the tier the playbook was written for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub written_for_tier: Option<&'a str>,
}

/// Recommended playbooks, best first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation<'a> {
    pub playbooks: Vec<RecommendedPlaybook<'a>>,
    /// True when a scenario was asked for and no playbook covers this tier in it; the
    /// `nearest` entries are then the closest substitutes.
    pub exact_missing: bool,
}

/// The level of every tier id of every preset, for "nearest tier" distances.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TierLevels {
    levels: HashMap<String, u8>,
}

impl TierLevels {
    pub fn from_taxonomy(taxonomy: &Taxonomy) -> TierLevels {
        let mut levels = HashMap::new();
        for tier in taxonomy.presets.iter().flat_map(|p| p.tiers.iter()) {
            // The first preset to name a tier id decides its level (ids shared by presets,
            // such as `major`, have the same level in the built-in presets).
            levels.entry(tier.id.clone()).or_insert(tier.level);
        }
        TierLevels { levels }
    }

    pub fn from_pairs<'s>(pairs: impl IntoIterator<Item = (&'s str, u8)>) -> TierLevels {
        TierLevels {
            levels: pairs
                .into_iter()
                .map(|(id, level)| (id.to_owned(), level))
                .collect(),
        }
    }

    pub fn level(&self, tier: &str) -> Option<u8> {
        self.levels.get(tier).copied()
    }
}

/// Recommends published playbooks for `tier` (and its `equivalent_tiers` of other presets) in
/// `scenario`, best first; see the module documentation for the order. `levels` places the
/// tiers other playbooks were written for when the nearest ones are offered.
pub fn recommend<'a>(
    items: &'a [ContentItem],
    tier: &str,
    tier_level: u8,
    equivalent_tiers: &[&str],
    scenario: Option<&str>,
    lang: Lang,
    levels: &TierLevels,
) -> Recommendation<'a> {
    let is_mine = |item: &ContentItem| {
        item.tiers
            .iter()
            .any(|t| t == tier || equivalent_tiers.contains(&t.as_str()))
    };
    let playbooks = items
        .iter()
        .filter(|item| item.kind == Kind::Playbook && item.is_published());
    let mut ranked: Vec<(Rank<'a>, RecommendedPlaybook<'a>)> = Vec::new();
    let entry = |item: &'a ContentItem, match_kind, written_for_tier| RecommendedPlaybook {
        item,
        id: &item.id,
        title: &item.title,
        lang: item.lang,
        match_kind,
        written_for_tier,
    };
    match scenario {
        Some(scenario) => {
            let lists_scenario = |item: &ContentItem| item.scenarios.iter().any(|s| s == scenario);
            for item in playbooks.clone() {
                let kind = match (
                    is_mine(item),
                    item.tiers.is_empty(),
                    lists_scenario(item),
                    item.scenarios.is_empty(),
                ) {
                    (true, _, true, _) => MatchKind::Exact,
                    (true, _, false, true) => MatchKind::Tier,
                    (false, true, true, _) => MatchKind::Scenario,
                    _ => continue,
                };
                ranked.push((Rank::new(kind, 0, 0, item, lang), entry(item, kind, None)));
            }
            let exact_missing = !ranked.iter().any(|(_, e)| e.match_kind == MatchKind::Exact);
            if exact_missing {
                for item in playbooks.filter(|item| lists_scenario(item) && !is_mine(item)) {
                    // The tier of the item closest to the viewer's: smallest level distance,
                    // then the better (lower) level. Tiers of unknown level are not offered.
                    let nearest = item
                        .tiers
                        .iter()
                        .filter_map(|t| levels.level(t).map(|level| (t.as_str(), level)))
                        .min_by_key(|(_, level)| (level.abs_diff(tier_level), *level));
                    if let Some((written_for, level)) = nearest {
                        ranked.push((
                            Rank::new(
                                MatchKind::Nearest,
                                level.abs_diff(tier_level),
                                level,
                                item,
                                lang,
                            ),
                            entry(item, MatchKind::Nearest, Some(written_for)),
                        ));
                    }
                }
            }
            ranked.sort_by(|a, b| a.0.cmp(&b.0));
            Recommendation {
                playbooks: ranked.into_iter().map(|(_, e)| e).collect(),
                exact_missing,
            }
        }
        None => {
            for item in playbooks.filter(|item| is_mine(item)) {
                let kind = if item.scenarios.is_empty() {
                    MatchKind::Tier
                } else {
                    MatchKind::TierInScenario
                };
                ranked.push((Rank::new(kind, 0, 0, item, lang), entry(item, kind, None)));
            }
            ranked.sort_by(|a, b| a.0.cmp(&b.0));
            Recommendation {
                playbooks: ranked.into_iter().map(|(_, e)| e).collect(),
                exact_missing: false,
            }
        }
    }
}

/// The sort key of a recommendation: group, then (nearest only) tier distance and level, then
/// the viewer's language first, then title, then id so the order is total.
#[derive(Debug, PartialEq, Eq)]
struct Rank<'a> {
    kind: MatchKind,
    distance: u8,
    level: u8,
    other_lang: bool,
    title: &'a str,
    id: &'a str,
}

impl<'a> Rank<'a> {
    fn new(kind: MatchKind, distance: u8, level: u8, item: &'a ContentItem, lang: Lang) -> Self {
        Rank {
            kind,
            distance,
            level,
            other_lang: item.lang != lang,
            title: &item.title,
            id: &item.id,
        }
    }
}

impl Ord for Rank<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        (
            self.kind,
            self.distance,
            self.level,
            self.other_lang,
            self.title,
            self.id,
        )
            .cmp(&(
                other.kind,
                other.distance,
                other.level,
                other.other_lang,
                other.title,
                other.id,
            ))
    }
}

impl PartialOrd for Rank<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Published courses and lessons covering `scenario` for `tier` (an item with no tiers covers
/// every tier): courses that list the scenario or have a published lesson that does, by title;
/// then the lessons listing it, grouped by course in the same order and by their `order`.
pub fn courses_for<'a>(
    items: &'a [ContentItem],
    scenario: &str,
    tier: &str,
) -> Vec<&'a ContentItem> {
    let visible = |item: &&'a ContentItem| item.is_published() && item.covers_tier(tier);
    let lists_scenario = |item: &ContentItem| item.scenarios.iter().any(|s| s == scenario);
    let lessons: Vec<&ContentItem> = items
        .iter()
        .filter(visible)
        .filter(|item| item.kind == Kind::Lesson && lists_scenario(item))
        .collect();
    let mut courses: Vec<&ContentItem> = items
        .iter()
        .filter(visible)
        .filter(|item| {
            item.kind == Kind::Course
                && (lists_scenario(item)
                    || lessons
                        .iter()
                        .any(|lesson| lesson.course.as_deref() == Some(item.id.as_str())))
        })
        .collect();
    courses.sort_by(|a, b| (&a.title, &a.id).cmp(&(&b.title, &b.id)));
    // Lessons follow their course's position; lessons of a course not shown come last, by
    // course id.
    let course_position = |lesson: &ContentItem| {
        lesson
            .course
            .as_deref()
            .and_then(|c| courses.iter().position(|course| course.id == c))
            .unwrap_or(usize::MAX)
    };
    let mut lessons = lessons;
    lessons.sort_by(|a, b| {
        (course_position(a), &a.course, a.order, &a.title).cmp(&(
            course_position(b),
            &b.course,
            b.order,
            &b.title,
        ))
    });
    courses.extend(lessons);
    courses
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::content::{Source, Status};

    fn item(id: &str, kind: Kind, tiers: &[&str], scenarios: &[&str], lang: Lang) -> ContentItem {
        ContentItem {
            id: id.to_owned(),
            kind,
            title: id.to_owned(),
            summary: None,
            tiers: tiers.iter().map(|t| (*t).to_owned()).collect(),
            scenarios: scenarios.iter().map(|s| (*s).to_owned()).collect(),
            tags: Vec::new(),
            lang,
            status: Status::Published,
            translation_of: None,
            account: None,
            outcome: None,
            sample: false,
            course: None,
            order: None,
            audience: Vec::new(),
            owner: None,
            review_by: None,
            body: String::new(),
            source: Source::File {
                path: format!("{id}.md"),
            },
            hash: String::new(),
        }
    }

    fn playbook(id: &str, tiers: &[&str], scenarios: &[&str]) -> ContentItem {
        item(id, Kind::Playbook, tiers, scenarios, Lang::Zh)
    }

    fn levels() -> TierLevels {
        TierLevels::from_taxonomy(&Taxonomy::default())
    }

    fn ids(recommendation: &Recommendation<'_>) -> Vec<(String, MatchKind)> {
        recommendation
            .playbooks
            .iter()
            .map(|p| (p.id.to_owned(), p.match_kind))
            .collect()
    }

    fn pairs(expected: &[(&str, MatchKind)]) -> Vec<(String, MatchKind)> {
        expected
            .iter()
            .map(|(id, k)| ((*id).to_owned(), *k))
            .collect()
    }

    #[test]
    fn exact_matches_come_before_the_tier_treatment_and_then_scenario_wide_playbooks() {
        let items = [
            playbook("c-every-tier-exhibition", &[], &["exhibition"]),
            playbook("b-major-treatment", &["major"], &[]),
            playbook("a-major-exhibition", &["major"], &["exhibition"]),
            playbook("d-major-visit", &["major"], &["routine-visit"]),
            playbook("e-small-exhibition", &["small"], &["exhibition"]),
            playbook("f-general", &[], &[]),
        ];
        let r = recommend(
            &items,
            "major",
            2,
            &[],
            Some("exhibition"),
            Lang::Zh,
            &levels(),
        );
        assert!(!r.exact_missing);
        assert_eq!(
            ids(&r),
            pairs(&[
                ("a-major-exhibition", MatchKind::Exact),
                ("b-major-treatment", MatchKind::Tier),
                ("c-every-tier-exhibition", MatchKind::Scenario),
            ])
        );
    }

    #[test]
    fn within_a_group_the_viewers_language_comes_first_then_titles_in_order() {
        let items = [
            item("zh-b", Kind::Playbook, &["major"], &["bidding"], Lang::Zh),
            item("en-b", Kind::Playbook, &["major"], &["bidding"], Lang::En),
            item("en-a", Kind::Playbook, &["major"], &["bidding"], Lang::En),
            item("zh-a", Kind::Playbook, &["major"], &["bidding"], Lang::Zh),
        ];
        for (lang, expected) in [
            (Lang::En, ["en-a", "en-b", "zh-a", "zh-b"]),
            (Lang::Zh, ["zh-a", "zh-b", "en-a", "en-b"]),
        ] {
            let r = recommend(&items, "major", 2, &[], Some("bidding"), lang, &levels());
            let got: Vec<&str> = r.playbooks.iter().map(|p| p.id).collect();
            assert_eq!(got, expected, "{lang:?}");
        }
    }

    #[test]
    fn a_playbook_for_an_equivalent_tier_of_another_preset_counts_as_exact() {
        let items = [
            playbook("vip-exhibition", &["vip"], &["exhibition"]),
            playbook("vip-treatment", &["vip"], &[]),
        ];
        let r = recommend(
            &items,
            "strategic",
            1,
            &["vip"],
            Some("exhibition"),
            Lang::Zh,
            &levels(),
        );
        assert!(!r.exact_missing);
        assert_eq!(
            ids(&r),
            pairs(&[
                ("vip-exhibition", MatchKind::Exact),
                ("vip-treatment", MatchKind::Tier)
            ])
        );
    }

    #[test]
    fn a_scenario_without_a_playbook_for_the_tier_says_so_and_offers_the_nearest_tiers_first() {
        let items = [
            playbook("strategic-exhibition", &["strategic"], &["exhibition"]),
            playbook("major-exhibition", &["major"], &["exhibition"]),
            playbook("small-treatment", &["small"], &[]),
            playbook("small-visit", &["small"], &["routine-visit"]),
            playbook("major-visit", &["major"], &["routine-visit"]),
        ];
        let r = recommend(
            &items,
            "small",
            4,
            &[],
            Some("exhibition"),
            Lang::Zh,
            &levels(),
        );
        assert!(r.exact_missing);
        assert_eq!(
            ids(&r),
            pairs(&[
                ("small-treatment", MatchKind::Tier),
                ("major-exhibition", MatchKind::Nearest),
                ("strategic-exhibition", MatchKind::Nearest),
            ])
        );
        let written_for: Vec<Option<&str>> =
            r.playbooks.iter().map(|p| p.written_for_tier).collect();
        assert_eq!(written_for, [None, Some("major"), Some("strategic")]);
    }

    #[test]
    fn nearest_tiers_at_the_same_distance_prefer_the_better_tier() {
        let items = [
            playbook("small-bidding", &["small"], &["bidding"]),
            playbook("strategic-bidding", &["strategic"], &["bidding"]),
            playbook("two-tier-bidding", &["strategic", "ordinary"], &["bidding"]),
        ];
        let r = recommend(
            &items,
            "major",
            2,
            &[],
            Some("bidding"),
            Lang::Zh,
            &levels(),
        );
        assert!(r.exact_missing);
        let got: Vec<(&str, Option<&str>)> = r
            .playbooks
            .iter()
            .map(|p| (p.id, p.written_for_tier))
            .collect();
        assert_eq!(
            got,
            [
                ("strategic-bidding", Some("strategic")),
                ("two-tier-bidding", Some("strategic")),
                ("small-bidding", Some("small")),
            ]
        );
    }

    #[test]
    fn drafts_cases_courses_and_lessons_are_never_recommended() {
        let mut draft = playbook("draft", &["major"], &["exhibition"]);
        draft.status = Status::Draft;
        let items = [
            draft,
            item("case", Kind::Case, &["major"], &["exhibition"], Lang::Zh),
            item(
                "course",
                Kind::Course,
                &["major"],
                &["exhibition"],
                Lang::Zh,
            ),
            item(
                "lesson",
                Kind::Lesson,
                &["major"],
                &["exhibition"],
                Lang::Zh,
            ),
        ];
        let r = recommend(
            &items,
            "major",
            2,
            &[],
            Some("exhibition"),
            Lang::Zh,
            &levels(),
        );
        assert!(r.playbooks.is_empty());
        assert!(r.exact_missing);
    }

    #[test]
    fn without_a_scenario_the_tier_treatment_comes_before_the_tiers_scenario_playbooks() {
        let items = [
            playbook("a-major-visit", &["major"], &["routine-visit"]),
            playbook("b-major-treatment", &["major"], &[]),
            playbook("c-every-tier-visit", &[], &["routine-visit"]),
            playbook("d-small-treatment", &["small"], &[]),
        ];
        let r = recommend(&items, "major", 2, &[], None, Lang::Zh, &levels());
        assert!(!r.exact_missing);
        assert_eq!(
            ids(&r),
            pairs(&[
                ("b-major-treatment", MatchKind::Tier),
                ("a-major-visit", MatchKind::TierInScenario),
            ])
        );
    }

    #[test]
    fn a_recommendation_serialises_with_snake_case_match_kinds() {
        let items = [playbook("major-exhibition", &["major"], &["exhibition"])];
        let r = recommend(
            &items,
            "small",
            4,
            &[],
            Some("exhibition"),
            Lang::Zh,
            &levels(),
        );
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["exact_missing"], true);
        assert_eq!(json["playbooks"][0]["match_kind"], "nearest");
        assert_eq!(json["playbooks"][0]["written_for_tier"], "major");
    }

    fn lesson(id: &str, course: &str, order: u32, scenarios: &[&str]) -> ContentItem {
        let mut lesson = item(id, Kind::Lesson, &[], scenarios, Lang::Zh);
        lesson.course = Some(course.to_owned());
        lesson.order = Some(order);
        lesson
    }

    #[test]
    fn courses_covering_a_scenario_come_before_their_lessons_in_course_order() {
        let mut draft_lesson = lesson("draft-lesson", "b-course", 1, &["exhibition"]);
        draft_lesson.status = Status::Draft;
        let items = [
            lesson("b-3", "b-course", 3, &["exhibition"]),
            lesson("a-2", "a-course", 2, &["exhibition"]),
            lesson("b-1", "b-course", 1, &["exhibition"]),
            lesson("a-1", "a-course", 1, &["routine-visit"]),
            item("b-course", Kind::Course, &[], &[], Lang::Zh),
            item("a-course", Kind::Course, &[], &[], Lang::Zh),
            item("c-course", Kind::Course, &[], &["exhibition"], Lang::Zh),
            item("d-course", Kind::Course, &[], &["bidding"], Lang::Zh),
            item(
                "e-small-course",
                Kind::Course,
                &["small"],
                &["exhibition"],
                Lang::Zh,
            ),
            item("playbook", Kind::Playbook, &[], &["exhibition"], Lang::Zh),
            draft_lesson,
        ];
        let got: Vec<&str> = courses_for(&items, "exhibition", "major")
            .iter()
            .map(|i| i.id.as_str())
            .collect();
        assert_eq!(
            got,
            ["a-course", "b-course", "c-course", "a-2", "b-1", "b-3"]
        );
    }
}
