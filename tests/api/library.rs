//! The bundled library's shape (issue 8): a later edit cannot silently break it.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use playbook::app::content_loader::load_dir;
use playbook::domain::content::{ContentItem, Kind, Outcome};
use playbook::domain::coverage::coverage;
use playbook::domain::import::read_accounts;

fn bundled() -> (Vec<ContentItem>, playbook::domain::taxonomy::Taxonomy) {
    let report = load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("playbooks"))
        .expect("the bundled content directory exists");
    assert!(
        report.problems.is_empty(),
        "playbook check must pass on the bundled content: {:#?}",
        report.problems
    );
    (report.items, report.taxonomy)
}

#[test]
fn every_scenario_has_a_playbook_for_strategic_and_major_accounts() {
    let (items, taxonomy) = bundled();
    let matrix = coverage(&items, &taxonomy);
    for (row, tier) in matrix.rows.iter().zip(&matrix.tiers) {
        if tier != "strategic" && tier != "major" {
            continue;
        }
        for cell in row {
            let own: Vec<_> = cell.playbooks.iter().filter(|p| !p.all_tiers).collect();
            assert!(!own.is_empty(), "no {tier} playbook for {}", cell.scenario);
        }
    }
    // Ordinary and small accounts have the scenarios that matter for them.
    for tier in ["ordinary", "small"] {
        for scenario in [
            "routine-visit",
            "negotiation",
            "collections",
            "satisfaction-follow-up",
        ] {
            assert!(
                items.iter().any(|i| i.kind == Kind::Playbook
                    && i.tiers == [tier]
                    && i.scenarios.iter().any(|s| s == scenario)),
                "no {tier} × {scenario} playbook"
            );
        }
    }
}

#[test]
fn the_library_has_tier_treatments_scenario_playbooks_and_the_cross_cutting_guides() {
    let (items, _) = bundled();
    let ids: HashSet<&str> = items.iter().map(|i| i.id.as_str()).collect();
    let scenario_playbooks = items
        .iter()
        .filter(|i| {
            i.kind == Kind::Playbook
                && i.tiers.len() == 1
                && i.scenarios.len() == 1
                && i.lang == playbook::domain::Lang::Zh
        })
        .count();
    assert!(
        scenario_playbooks >= 34,
        "{scenario_playbooks} tier × scenario playbooks"
    );
    for tier in ["strategic", "major", "ordinary", "small"] {
        assert!(
            items
                .iter()
                .any(|i| i.kind == Kind::Playbook && i.tiers == [tier] && i.scenarios.is_empty()),
            "no treatment playbook for {tier}"
        );
    }
    for guide in [
        "collections-ladder",
        "pruning-review",
        "small-account-potential",
        "cross-sell-three-lines",
        "loyal-customers",
        "key-account-lifecycle",
        "commission-policy",
    ] {
        assert!(ids.contains(guide), "missing guide {guide}");
    }
}

#[test]
fn the_core_customer_course_has_all_ten_lessons_in_order() {
    let (items, _) = bundled();
    let course = items
        .iter()
        .find(|i| i.id == "core-customer-course")
        .expect("the course");
    assert_eq!(course.kind, Kind::Course);
    assert!(!course.audience.is_empty(), "the course names its audience");
    let orders: BTreeSet<u32> = items
        .iter()
        .filter(|i| i.kind == Kind::Lesson && i.course.as_deref() == Some("core-customer-course"))
        .filter_map(|i| i.order)
        .collect();
    assert_eq!(orders, (1..=10).collect::<BTreeSet<u32>>());
}

#[test]
fn sample_cases_cover_every_outcome_and_link_only_to_demo_accounts_that_exist() {
    let (items, _) = bundled();
    let demo_ids: HashSet<String> = read_accounts(playbook::app::demo::SHOWCASE_CSV.as_bytes())
        .expect("the showcase CSV reads")
        .map(|row| {
            row.expect("every showcase row is valid")
                .account
                .id
                .to_string()
        })
        .collect();
    let cases: Vec<&ContentItem> = items.iter().filter(|i| i.kind == Kind::Case).collect();
    assert!(cases.len() >= 15, "{} cases", cases.len());
    for outcome in [Outcome::Won, Outcome::Lost, Outcome::Ongoing] {
        assert!(
            cases.iter().any(|c| c.outcome == Some(outcome)),
            "no {outcome:?} case"
        );
    }
    for case in &cases {
        assert!(case.sample, "{} is not marked as a sample", case.id);
        if let Some(account) = &case.account {
            assert!(
                demo_ids.contains(account),
                "{} links to unknown account {account}",
                case.id
            );
        }
    }
    assert!(cases.iter().filter(|c| c.account.is_some()).count() >= 5);
}

#[test]
fn english_versions_point_at_their_chinese_originals() {
    let (items, _) = bundled();
    let english: Vec<&ContentItem> = items
        .iter()
        .filter(|i| i.lang == playbook::domain::Lang::En)
        .collect();
    assert!(english.len() >= 5);
    for item in english {
        let original = item
            .translation_of
            .as_deref()
            .expect("an English item names its original");
        let original = items
            .iter()
            .find(|i| i.id == original)
            .expect("the original exists");
        assert_eq!(original.lang, playbook::domain::Lang::Zh);
        assert_eq!(original.tiers, item.tiers, "{}", item.id);
    }
}
