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
//!
//! [`IndexedCatalog`] gives the same answers without reading every item: it keeps, per tier,
//! scenario and kind, the positions of the items a cell could take, and runs the same ranking
//! over those.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::Serialize;

use crate::domain::content::{ContentItem, Kind};
use crate::domain::taxonomy::Taxonomy;
use crate::domain::Lang;

/// Why a playbook is recommended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
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
    rank_playbooks(
        items,
        items,
        &Cell {
            tier,
            tier_level,
            equivalent_tiers,
            scenario,
            lang,
            levels,
        },
    )
}

/// What [`recommend`] is asked.
struct Cell<'r> {
    tier: &'r str,
    tier_level: u8,
    equivalent_tiers: &'r [&'r str],
    scenario: Option<&'r str>,
    lang: Lang,
    levels: &'r TierLevels,
}

/// The ranking of [`recommend`] over `candidates` (for the exact, tier, scenario and
/// no-scenario groups) and `nearest` (for the nearest group). Each must hold every item its
/// groups could take, in catalogue order; other items are skipped, so the whole catalogue works
/// for both and gives the same answer as any such subset.
fn rank_playbooks<'a>(
    candidates: impl IntoIterator<Item = &'a ContentItem>,
    nearest: impl IntoIterator<Item = &'a ContentItem>,
    cell: &Cell<'_>,
) -> Recommendation<'a> {
    let Cell {
        tier,
        tier_level,
        equivalent_tiers,
        scenario,
        lang,
        levels,
    } = *cell;
    let is_mine = |item: &ContentItem| {
        item.tiers
            .iter()
            .any(|t| t == tier || equivalent_tiers.contains(&t.as_str()))
    };
    let is_playbook = |item: &&'a ContentItem| item.kind == Kind::Playbook && item.is_published();
    let playbooks = candidates.into_iter().filter(is_playbook);
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
            for item in playbooks {
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
                for item in nearest
                    .into_iter()
                    .filter(is_playbook)
                    .filter(|item| lists_scenario(item) && !is_mine(item))
                {
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
    courses_among(items, items, scenario, tier)
}

/// [`courses_for`] over `lessons` and `courses`: each must hold every lesson (course) the
/// answer could take, in catalogue order; other items are skipped.
fn courses_among<'a>(
    lessons: impl IntoIterator<Item = &'a ContentItem>,
    courses: impl IntoIterator<Item = &'a ContentItem>,
    scenario: &str,
    tier: &str,
) -> Vec<&'a ContentItem> {
    let visible = |item: &&'a ContentItem| item.is_published() && item.covers_tier(tier);
    let lists_scenario = |item: &ContentItem| item.scenarios.iter().any(|s| s == scenario);
    let lessons: Vec<&ContentItem> = lessons
        .into_iter()
        .filter(visible)
        .filter(|item| item.kind == Kind::Lesson && lists_scenario(item))
        .collect();
    let lesson_courses: HashSet<&str> =
        lessons.iter().filter_map(|l| l.course.as_deref()).collect();
    let mut courses: Vec<&ContentItem> = courses
        .into_iter()
        .filter(visible)
        .filter(|item| {
            item.kind == Kind::Course
                && (lists_scenario(item) || lesson_courses.contains(item.id.as_str()))
        })
        .collect();
    courses.sort_by(|a, b| (&a.title, &a.id).cmp(&(&b.title, &b.id)));
    // Lessons follow their course's position (the first course with that id); lessons of a
    // course not shown come last, by course id.
    let mut positions: HashMap<&str, usize> = HashMap::with_capacity(courses.len());
    for (position, course) in courses.iter().enumerate() {
        positions.entry(course.id.as_str()).or_insert(position);
    }
    let course_position = |lesson: &ContentItem| {
        lesson
            .course
            .as_deref()
            .and_then(|c| positions.get(c).copied())
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

/// Positions into a catalogue, ascending.
type Positions = Vec<u32>;

/// A catalogue of items with the lookups the briefing needs, built once per content change so a
/// briefing reads the few hundred items of one (tier, scenario) cell instead of every item.
///
/// [`IndexedCatalog::recommend`] and [`IndexedCatalog::courses_for`] answer exactly as
/// [`recommend`] and [`courses_for`] over [`IndexedCatalog::items`]: the lists below hold every
/// item those could take, in catalogue order, and the same code ranks them.
#[derive(Debug, Default)]
pub struct IndexedCatalog {
    items: Arc<Vec<ContentItem>>,
    /// The first position of each id.
    by_id: HashMap<String, u32>,
    /// Published playbooks listing a tier, by tier.
    playbooks_by_tier: HashMap<String, Positions>,
    /// Published playbooks listing a tier and a scenario, by tier then scenario.
    playbooks_by_cell: HashMap<String, HashMap<String, Positions>>,
    /// Published playbooks listing a tier and no scenario, by tier.
    playbooks_tier_wide: HashMap<String, Positions>,
    /// Published playbooks listing a scenario, by scenario.
    playbooks_by_scenario: HashMap<String, Positions>,
    /// Published playbooks listing a scenario and no tier, by scenario.
    playbooks_scenario_wide: HashMap<String, Positions>,
    /// Published lessons listing a scenario, by scenario.
    lessons_by_scenario: HashMap<String, Positions>,
    /// Published courses listing a scenario, by scenario.
    courses_by_scenario: HashMap<String, Positions>,
    /// Published courses by id.
    courses_by_id: HashMap<String, Positions>,
    /// The accounts published items are about (case reviews), sorted, each once.
    accounts: Vec<String>,
}

fn add(map: &mut HashMap<String, Positions>, key: &str, position: u32) {
    let list = match map.get_mut(key) {
        Some(list) => list,
        None => map.entry(key.to_owned()).or_default(),
    };
    // An item listing a value twice is listed once.
    if list.last() != Some(&position) {
        list.push(position);
    }
}

/// The items at `positions`.
fn at<'a, 'p>(
    items: &'a [ContentItem],
    positions: &'p [u32],
) -> impl Iterator<Item = &'a ContentItem> + 'p
where
    'a: 'p,
{
    positions.iter().filter_map(|&p| items.get(p as usize))
}

/// The sorted union of some position lists.
fn union<'p>(lists: impl IntoIterator<Item = &'p Positions>) -> Positions {
    let mut all: Positions = lists.into_iter().flatten().copied().collect();
    all.sort_unstable();
    all.dedup();
    all
}

impl IndexedCatalog {
    pub fn new(items: Arc<Vec<ContentItem>>) -> IndexedCatalog {
        let mut index = IndexedCatalog::default();
        for (position, item) in items.iter().enumerate() {
            let Ok(position) = u32::try_from(position) else {
                break;
            };
            index.by_id.entry(item.id.clone()).or_insert(position);
            if !item.is_published() {
                continue;
            }
            if let Some(account) = &item.account {
                index.accounts.push(account.clone());
            }
            match item.kind {
                Kind::Playbook => {
                    for tier in &item.tiers {
                        add(&mut index.playbooks_by_tier, tier, position);
                        if item.scenarios.is_empty() {
                            add(&mut index.playbooks_tier_wide, tier, position);
                        }
                        let cells = match index.playbooks_by_cell.get_mut(tier.as_str()) {
                            Some(cells) => cells,
                            None => index.playbooks_by_cell.entry(tier.clone()).or_default(),
                        };
                        for scenario in &item.scenarios {
                            add(cells, scenario, position);
                        }
                    }
                    for scenario in &item.scenarios {
                        add(&mut index.playbooks_by_scenario, scenario, position);
                        if item.tiers.is_empty() {
                            add(&mut index.playbooks_scenario_wide, scenario, position);
                        }
                    }
                }
                Kind::Lesson => {
                    for scenario in &item.scenarios {
                        add(&mut index.lessons_by_scenario, scenario, position);
                    }
                }
                Kind::Course => {
                    add(&mut index.courses_by_id, &item.id, position);
                    for scenario in &item.scenarios {
                        add(&mut index.courses_by_scenario, scenario, position);
                    }
                }
                Kind::Case | Kind::Campaign => {}
            }
        }
        index.accounts.sort_unstable();
        index.accounts.dedup();
        index.items = items;
        index
    }

    /// The accounts published items are about (case reviews), sorted, each once.
    pub fn accounts(&self) -> &[String] {
        &self.accounts
    }

    /// Every item, in the order it was given.
    pub fn items(&self) -> &[ContentItem] {
        &self.items
    }

    /// The items, shared.
    pub fn shared_items(&self) -> Arc<Vec<ContentItem>> {
        self.items.clone()
    }

    /// The first item with this id.
    pub fn get(&self, id: &str) -> Option<&ContentItem> {
        self.by_id.get(id).and_then(|&p| self.items.get(p as usize))
    }

    /// The positions of one of the lists (none when there is no list).
    fn list<'s>(map: &'s HashMap<String, Positions>, key: &str) -> &'s [u32] {
        map.get(key).map_or(&[], Vec::as_slice)
    }

    /// [`recommend`] over the items.
    pub fn recommend<'a>(
        &'a self,
        tier: &str,
        tier_level: u8,
        equivalent_tiers: &[&str],
        scenario: Option<&str>,
        lang: Lang,
        levels: &TierLevels,
    ) -> Recommendation<'a> {
        let tiers = || std::iter::once(tier).chain(equivalent_tiers.iter().copied());
        let cell = Cell {
            tier,
            tier_level,
            equivalent_tiers,
            scenario,
            lang,
            levels,
        };
        match scenario {
            Some(scenario) => {
                let candidates = union(
                    tiers()
                        .flat_map(|t| {
                            [
                                self.playbooks_by_cell
                                    .get(t)
                                    .and_then(|cells| cells.get(scenario)),
                                self.playbooks_tier_wide.get(t),
                            ]
                        })
                        .chain([self.playbooks_scenario_wide.get(scenario)])
                        .flatten(),
                );
                let nearest = Self::list(&self.playbooks_by_scenario, scenario);
                rank_playbooks(
                    at(&self.items, &candidates),
                    at(&self.items, nearest),
                    &cell,
                )
            }
            None => {
                let candidates = union(tiers().filter_map(|t| self.playbooks_by_tier.get(t)));
                rank_playbooks(at(&self.items, &candidates), at(&self.items, &[]), &cell)
            }
        }
    }

    /// [`courses_for`] over the items.
    pub fn courses_for(&self, scenario: &str, tier: &str) -> Vec<&ContentItem> {
        let lessons = Self::list(&self.lessons_by_scenario, scenario);
        let lesson_courses: HashSet<&str> = at(&self.items, lessons)
            .filter(|lesson| lesson.covers_tier(tier))
            .filter_map(|lesson| lesson.course.as_deref())
            .collect();
        let courses = union(
            lesson_courses
                .iter()
                .filter_map(|id| self.courses_by_id.get(*id))
                .chain(self.courses_by_scenario.get(scenario)),
        );
        courses_among(
            at(&self.items, lessons),
            at(&self.items, &courses),
            scenario,
            tier,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::content::{Source, Status};

    fn item(id: &str, kind: Kind, tiers: &[&str], scenarios: &[&str], lang: Lang) -> ContentItem {
        ContentItem {
            tiers: tiers.iter().map(|t| (*t).to_owned()).collect(),
            scenarios: scenarios.iter().map(|s| (*s).to_owned()).collect(),
            lang,
            source: Source::File {
                path: format!("{id}.md"),
            },
            ..ContentItem::blank(id, kind, id)
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

    /// Items of every kind over a few tiers (of two presets) and scenarios, some without tiers or
    /// scenarios, some drafts, both languages, repeated titles, lessons of shown and missing
    /// courses.
    fn mixed_catalog() -> Vec<ContentItem> {
        let tiers: [&[&str]; 6] = [
            &[],
            &["strategic"],
            &["major"],
            &["small", "strategic"],
            &["vip"],
            &["ordinary", "ordinary"],
        ];
        let scenarios: [&[&str]; 5] = [
            &[],
            &["exhibition"],
            &["bidding"],
            &["exhibition", "bidding"],
            &["routine-visit"],
        ];
        let mut items = Vec::new();
        for n in 0..240usize {
            let kind = Kind::ALL[n % 4];
            let lang = if n % 7 == 0 { Lang::En } else { Lang::Zh };
            let mut item = item(
                &format!("item-{n:03}"),
                kind,
                tiers[n % 6],
                scenarios[(n / 6) % 5],
                lang,
            );
            item.title = format!("title-{}", n % 11);
            if n % 13 == 0 {
                item.status = crate::domain::content::Status::Draft;
            }
            if kind == Kind::Lesson {
                item.course = Some(format!("item-{:03}", (n / 8) * 4 + 2));
                item.order = Some(u32::try_from(n % 5).unwrap());
            }
            items.push(item);
        }
        items.sort_by(|a, b| a.title.cmp(&b.title).then_with(|| a.id.cmp(&b.id)));
        items
    }

    #[test]
    fn the_indexed_catalog_answers_exactly_as_a_scan_of_every_item() {
        let items = mixed_catalog();
        let catalog = IndexedCatalog::new(Arc::new(items.clone()));
        let levels = levels();
        for (tier, level, equivalent) in [
            ("strategic", 1, &["vip"][..]),
            ("vip", 1, &["strategic"][..]),
            ("major", 2, &[][..]),
            ("ordinary", 3, &[][..]),
            ("small", 4, &[][..]),
            ("unknown", u8::MAX, &[][..]),
        ] {
            for scenario in [
                None,
                Some("exhibition"),
                Some("bidding"),
                Some("routine-visit"),
                Some("negotiation"),
            ] {
                for lang in [Lang::Zh, Lang::En] {
                    assert_eq!(
                        catalog.recommend(tier, level, equivalent, scenario, lang, &levels),
                        recommend(&items, tier, level, equivalent, scenario, lang, &levels),
                        "{tier} {scenario:?} {lang:?}"
                    );
                }
                if let Some(scenario) = scenario {
                    let ids = |found: Vec<&ContentItem>| -> Vec<String> {
                        found.iter().map(|i| i.id.clone()).collect()
                    };
                    let expected = ids(courses_for(&items, scenario, tier));
                    assert!(!expected.is_empty() || scenario == "negotiation");
                    assert_eq!(
                        ids(catalog.courses_for(scenario, tier)),
                        expected,
                        "{tier} {scenario}"
                    );
                }
            }
        }
        for item in &items {
            assert_eq!(catalog.get(&item.id).map(|i| &i.id), Some(&item.id));
        }
        assert!(catalog.get("nope").is_none());
    }

    #[test]
    fn the_indexed_catalog_lists_each_account_that_published_reviews_are_about_once() {
        let review = |id: &str, account: &str, status: Status| ContentItem {
            account: Some(account.to_owned()),
            status,
            ..item(id, Kind::Case, &[], &[], Lang::Zh)
        };
        let catalog = IndexedCatalog::new(Arc::new(vec![
            review("r1", "B", Status::Published),
            review("r2", "A", Status::Published),
            review("r3", "B", Status::Published),
            review("r4", "C", Status::Draft),
            item("p", Kind::Playbook, &[], &[], Lang::Zh),
        ]));
        assert_eq!(catalog.accounts(), ["A", "B"]);
    }
}
