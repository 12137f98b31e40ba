//! Tests.

use super::*;

fn parse(text: &str) -> Result<ContentItem, Vec<ContentError>> {
    parse_content(
        "playbooks/vip/visit.md",
        "vip/visit.md",
        text,
        &Taxonomy::default(),
    )
}

#[test]
fn a_complete_playbook_parses_with_its_path_slug_as_id() {
    let item = parse(
        "---\nkind: playbook\ntitle: 拜访\ntiers: [strategic]\nscenarios: [routine-visit]\ntags: [拜访]\nlang: zh\nstatus: published\n---\n# 正文\n",
    )
    .unwrap();
    assert_eq!(item.id, "vip-visit");
    assert_eq!(item.kind, Kind::Playbook);
    assert_eq!(item.tiers, ["strategic"]);
    assert_eq!(item.body, "# 正文\n");
    assert_eq!(item.source_path(), Some("vip/visit.md"));
}

#[test]
fn an_unknown_scenario_names_the_file_the_field_and_the_expected_ids() {
    let errors =
        parse("---\nkind: playbook\ntitle: t\nscenarios: [exec-visit]\n---\n").unwrap_err();
    let message = errors[0].to_string();
    assert!(message.starts_with("playbooks/vip/visit.md:4: scenarios: unknown scenario \"exec-visit\" (expected one of company-visit,"), "{message}");
}

#[test]
fn every_problem_of_a_file_is_listed_at_once() {
    let errors =
        parse("---\nkind: playbok\ntiers: [vpi]\ncolour: red\nlang: fr\n---\n").unwrap_err();
    let fields: Vec<_> = errors.iter().filter_map(|e| e.field.as_deref()).collect();
    for expected in ["colour", "kind", "title", "tiers", "lang"] {
        assert!(
            fields.contains(&expected),
            "{expected} missing from {errors:?}"
        );
    }
}

#[test]
fn a_lesson_needs_its_course_and_order_and_a_playbook_may_not_have_them() {
    let errors = parse("---\nkind: lesson\ntitle: t\n---\n").unwrap_err();
    let fields: Vec<_> = errors.iter().filter_map(|e| e.field.as_deref()).collect();
    assert_eq!(fields, ["course", "order"]);
    let errors = parse("---\nkind: playbook\ntitle: t\norder: 2\noutcome: won\n---\n").unwrap_err();
    let fields: Vec<_> = errors.iter().filter_map(|e| e.field.as_deref()).collect();
    assert_eq!(fields, ["outcome", "order"]);
}

#[test]
fn a_file_without_front_matter_says_how_to_start_one() {
    let errors = parse("# Just markdown\n").unwrap_err();
    assert!(errors[0].message.contains("missing front matter"));
}

#[test]
fn invalid_yaml_reports_the_line_in_the_file() {
    let errors = parse("---\nkind: playbook\ntitle: [unclosed\n---\n").unwrap_err();
    assert!(errors[0].message.contains("not valid YAML"));
    assert!(errors[0].line.is_some());
}

#[test]
fn windows_line_endings_and_a_bom_are_accepted() {
    let item = parse("\u{feff}---\r\nkind: case\r\ntitle: 复盘\r\noutcome: won\r\n---\r\nbody\r\n")
        .unwrap();
    assert_eq!(item.outcome, Some(Outcome::Won));
    assert_eq!(item.title, "复盘");
}

#[test]
fn slugs_keep_letters_of_any_script_and_fold_separators() {
    assert_eq!(slug_from_path("vip/Visit Plan.md"), "vip-visit-plan");
    assert_eq!(slug_from_path("案例/回款.md"), "案例-回款");
    assert_eq!(slug_from_path("a//b--c.md"), "a-b-c");
}

#[test]
fn a_bad_review_date_is_rejected() {
    let errors = parse("---\nkind: playbook\ntitle: t\nreview_by: 2026-13-01\n---\n").unwrap_err();
    assert_eq!(errors[0].field.as_deref(), Some("review_by"));
}
