//! Enablement (赋能): which courses a person should take — by the audience of each course and
//! the campaigns running for their role, position and region — and how far they and everyone
//! else have got.

use std::collections::HashSet;

use serde::Serialize;

use crate::domain::content::{ContentItem, Kind};

/// The person the courses are for.
#[derive(Debug, Clone, Copy)]
pub struct Learner<'a> {
    pub user: &'a str,
    /// Role id: `rep`, `trainer`, `manager`, `admin`.
    pub role: &'a str,
    /// Job title and level as courses name their audience, e.g. `销售代表 L1`, `客户经理`.
    pub position: Option<&'a str>,
    pub region: Option<&'a str>,
}

fn same(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// An audience list names the learner: empty (everyone), their role id or their position.
pub fn audience_includes(audience: &[String], learner: &Learner<'_>) -> bool {
    audience.is_empty()
        || audience.iter().any(|entry| {
            same(entry, learner.role) || learner.position.is_some_and(|p| same(entry, p))
        })
}

/// A campaign runs on `today` (YYYY-MM-DD, inclusive window).
pub fn is_running(campaign: &ContentItem, today: &str) -> bool {
    campaign.kind == Kind::Campaign
        && campaign.starts.as_deref().is_some_and(|s| s <= today)
        && campaign.ends.as_deref().is_some_and(|e| today <= e)
}

/// A campaign is for the learner: their role or position, and their region (or no region).
pub fn campaign_targets(campaign: &ContentItem, learner: &Learner<'_>) -> bool {
    audience_includes(&campaign.audience, learner)
        && (campaign.regions.is_empty()
            || learner
                .region
                .is_some_and(|r| campaign.regions.iter().any(|c| same(c, r))))
}

/// One course on someone's list.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MyCourse {
    pub id: String,
    pub title: String,
    /// Why it is on the list: `audience`, and/or the ids of campaigns that push it.
    pub campaigns: Vec<CampaignRef>,
    pub for_audience: bool,
    pub lessons: usize,
    pub done: usize,
    /// Whole percent done.
    pub percent: u32,
    /// The first lesson not yet done.
    pub next_lesson: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CampaignRef {
    pub id: String,
    pub title: String,
    pub ends: Option<String>,
}

/// The published lessons of `course_id` in `catalog`, in course order.
pub fn lessons_of<'a>(catalog: &'a [ContentItem], course_id: &str) -> Vec<&'a ContentItem> {
    let mut lessons: Vec<&ContentItem> = catalog
        .iter()
        .filter(|i| i.kind == Kind::Lesson && i.course.as_deref() == Some(course_id))
        .collect();
    lessons.sort_by_key(|l| l.order);
    lessons
}

fn percent(done: usize, total: usize) -> u32 {
    (done * 100).checked_div(total).unwrap_or(0) as u32
}

/// The courses of the published `catalog` for `learner` on `today`, with their progress
/// (`done`: the ids of lessons they marked done). Courses of running campaigns come first.
pub fn my_courses(
    catalog: &[ContentItem],
    learner: &Learner<'_>,
    today: &str,
    done: &HashSet<String>,
) -> Vec<MyCourse> {
    let campaigns: Vec<&ContentItem> = catalog
        .iter()
        .filter(|c| is_running(c, today) && campaign_targets(c, learner))
        .collect();
    let mut out: Vec<MyCourse> = Vec::new();
    for course in catalog.iter().filter(|i| i.kind == Kind::Course) {
        let pushed_by: Vec<CampaignRef> = campaigns
            .iter()
            .filter(|c| c.courses.contains(&course.id))
            .map(|c| CampaignRef {
                id: c.id.clone(),
                title: c.title.clone(),
                ends: c.ends.clone(),
            })
            .collect();
        let for_audience = audience_includes(&course.audience, learner);
        if pushed_by.is_empty() && !for_audience {
            continue;
        }
        let lessons = lessons_of(catalog, &course.id);
        let finished = lessons.iter().filter(|l| done.contains(&l.id)).count();
        out.push(MyCourse {
            id: course.id.clone(),
            title: course.title.clone(),
            campaigns: pushed_by,
            for_audience,
            lessons: lessons.len(),
            done: finished,
            percent: percent(finished, lessons.len()),
            next_lesson: lessons
                .iter()
                .find(|l| !done.contains(&l.id))
                .map(|l| l.id.clone()),
        });
    }
    out.sort_by(|a, b| (a.campaigns.is_empty(), &a.title).cmp(&(b.campaigns.is_empty(), &b.title)));
    out
}

/// One learner's progress through a course.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LearnerProgress {
    pub user: String,
    pub done: usize,
    pub percent: u32,
}

/// How far everyone has got with a course.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Completion {
    pub course: String,
    pub lessons: usize,
    /// Learners who marked at least one lesson, most advanced first.
    pub learners: Vec<LearnerProgress>,
    /// Learners who finished every lesson.
    pub completed: usize,
    /// Learners the course is assigned to (by its audience or a running campaign for them)
    /// who have not marked any lesson done yet, by name.
    pub not_started: Vec<String>,
}

/// `progress`: for each user, the ids of the lessons they marked done.
pub fn completion<'a>(
    course_id: &str,
    lessons: &[&ContentItem],
    progress: impl IntoIterator<Item = (&'a str, &'a HashSet<String>)>,
) -> Completion {
    let mut learners: Vec<LearnerProgress> = progress
        .into_iter()
        .map(|(user, done)| {
            let n = lessons.iter().filter(|l| done.contains(&l.id)).count();
            LearnerProgress {
                user: user.to_owned(),
                done: n,
                percent: percent(n, lessons.len()),
            }
        })
        .filter(|p| p.done > 0)
        .collect();
    learners.sort_by(|a, b| b.done.cmp(&a.done).then_with(|| a.user.cmp(&b.user)));
    Completion {
        course: course_id.to_owned(),
        lessons: lessons.len(),
        completed: learners
            .iter()
            .filter(|p| !lessons.is_empty() && p.done == lessons.len())
            .count(),
        learners,
        not_started: Vec::new(),
    }
}

/// Whether `course` is on `learner`'s list on `today`: its audience names them, or a running
/// campaign for them pushes it (the same reasons as [`my_courses`]).
pub fn is_assigned(
    catalog: &[ContentItem],
    course: &ContentItem,
    learner: &Learner<'_>,
    today: &str,
) -> bool {
    audience_includes(&course.audience, learner)
        || catalog.iter().any(|c| {
            is_running(c, today) && campaign_targets(c, learner) && c.courses.contains(&course.id)
        })
}

/// Fills `completion.not_started`: the `learners` the course is assigned to who are not among
/// those who started it, sorted by name.
pub fn add_not_started(
    completion: &mut Completion,
    catalog: &[ContentItem],
    course: &ContentItem,
    learners: &[Learner<'_>],
    today: &str,
) {
    let mut missing: Vec<String> = learners
        .iter()
        .filter(|l| is_assigned(catalog, course, l, today))
        .filter(|l| !completion.learners.iter().any(|p| p.user == l.user))
        .map(|l| l.user.to_owned())
        .collect();
    missing.sort();
    missing.dedup();
    completion.not_started = missing;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::content::parse_content;
    use crate::domain::taxonomy::Taxonomy;

    fn item(text: &str) -> ContentItem {
        parse_content("t.md", "t.md", text, &Taxonomy::default()).unwrap()
    }

    fn catalog() -> Vec<ContentItem> {
        vec![
            item("---\nid: core\nkind: course\ntitle: Core\naudience: [销售代表 L1]\n---\n"),
            item("---\nid: l1\nkind: lesson\ntitle: L1\ncourse: core\norder: 1\n---\n"),
            item("---\nid: l2\nkind: lesson\ntitle: L2\ncourse: core\norder: 2\n---\n"),
            item("---\nid: mgmt\nkind: course\ntitle: Mgmt\naudience: [manager]\n---\n"),
            item("---\nid: spring\nkind: campaign\ntitle: 春雨行动\ncourses: [mgmt]\naudience: [rep]\nregions: [华东]\nstarts: 2026-03-01\nends: 2026-04-30\n---\n"),
        ]
    }

    fn rep<'a>(position: Option<&'a str>, region: Option<&'a str>) -> Learner<'a> {
        Learner {
            user: "ann",
            role: "rep",
            position,
            region,
        }
    }

    #[test]
    fn courses_come_from_the_audience_and_from_running_campaigns_for_the_region() {
        let catalog = catalog();
        let done: HashSet<String> = ["l1".to_owned()].into();
        let ids = |learner: &Learner<'_>, today: &str| -> Vec<String> {
            my_courses(&catalog, learner, today, &done)
                .into_iter()
                .map(|c| c.id)
                .collect()
        };
        assert_eq!(ids(&rep(Some("销售代表 L1"), None), "2026-01-01"), ["core"]);
        assert_eq!(
            ids(&rep(Some("销售代表 L1"), Some("华东")), "2026-03-15"),
            ["mgmt", "core"]
        );
        assert!(ids(&rep(None, Some("华北")), "2026-03-15").is_empty());
        assert!(ids(&rep(None, Some("华东")), "2026-05-01").is_empty());
        let core = &my_courses(
            &catalog,
            &rep(Some("销售代表 l1"), None),
            "2026-01-01",
            &done,
        )[0];
        assert_eq!((core.done, core.lessons, core.percent), (1, 2, 50));
        assert_eq!(core.next_lesson.as_deref(), Some("l2"));
    }

    #[test]
    fn completion_counts_learners_who_started_and_finished() {
        let catalog = catalog();
        let lessons = lessons_of(&catalog, "core");
        let a: HashSet<String> = ["l1".into(), "l2".into()].into();
        let b: HashSet<String> = ["l2".into()].into();
        let c: HashSet<String> = ["other".into()].into();
        let result = completion("core", &lessons, [("a", &a), ("b", &b), ("c", &c)]);
        assert_eq!(result.completed, 1);
        assert_eq!(result.learners.len(), 2);
        assert_eq!(result.learners[0].percent, 100);
    }

    #[test]
    fn assigned_learners_who_have_not_started_are_listed_by_name() {
        let catalog = catalog();
        let lessons = lessons_of(&catalog, "core");
        let started: HashSet<String> = ["l1".into()].into();
        let mut result = completion("core", &lessons, [("ann", &started)]);
        let learner = |user, role, position| Learner {
            user,
            role,
            position,
            region: Some("华东"),
        };
        let learners = [
            learner("ann", "rep", Some("销售代表 L1")),
            learner("zoe", "rep", Some("销售代表 L1")),
            learner("bob", "rep", Some("销售代表 L1")),
            learner("max", "manager", None),
        ];
        let core = &catalog[0];
        add_not_started(&mut result, &catalog, core, &learners, "2026-01-01");
        assert_eq!(result.not_started, ["bob", "zoe"]);
        // A running campaign assigns its courses to the reps of its region.
        let mgmt = &catalog[3];
        let mut result = completion("mgmt", &lessons_of(&catalog, "mgmt"), []);
        add_not_started(&mut result, &catalog, mgmt, &learners, "2026-03-15");
        assert_eq!(result.not_started, ["ann", "bob", "max", "zoe"]);
        add_not_started(&mut result, &catalog, mgmt, &learners, "2026-06-01");
        assert_eq!(result.not_started, ["max"]);
    }
}
