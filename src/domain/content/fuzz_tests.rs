//! Property tests and pathological inputs: any text is either a valid item or a non-empty list
//! of problems naming the file, never a panic, and the work stays linear in the file size.

use proptest::prelude::*;

use super::*;
use crate::fuzz_support::{config, nasty_string, pieces_string};

fn check(text: &str) {
    match parse_content("f.md", "dir/f.md", text, &Taxonomy::default()) {
        Ok(item) => {
            assert!(
                crate::domain::ids::ItemId::is_valid(&item.id),
                "{:?}",
                item.id
            );
            assert!(!item.title.is_empty());
            assert!(text.ends_with(&item.body) || item.body.is_empty());
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "an error without problems for {text:?}");
            assert!(errors.iter().all(|e| e.file == "f.md"), "{errors:?}");
        }
    }
}

/// YAML syntax for the value side of a field.
const YAML: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    ", ",
    ": ",
    "- ",
    "\n",
    "\n  ",
    "'",
    "\"",
    "&a ",
    "*a",
    "!!str ",
    "!!binary ",
    "? ",
    "|",
    ">",
    "#",
    "~",
    "null",
    "true",
    "1",
    "-1",
    "4294967296",
    "1e999",
    ".nan",
    "0x1F",
    "2026-13-01",
    "strategic",
    "routine-visit",
    "中文",
    "\\u0000",
    "\\ud800",
    "<<: ",
    "%YAML 1.2\n",
    "---",
    "...",
];

fn front_matter() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        4 => proptest::sample::select(&FRONT_MATTER_FIELDS[..]).prop_map(str::to_owned),
        1 => nasty_string(8),
    ];
    let field = (key, pieces_string(YAML, 12)).prop_map(|(k, v)| format!("{k}: {v}\n"));
    (
        proptest::collection::vec(field, 0..12),
        proptest::sample::select(&["---\n", "---\r\n", "\u{feff}---\n", "--- \n", "---"][..]),
        proptest::sample::select(&["---\n", "...\n", "---\r\n", "---", ""][..]),
        nasty_string(40),
    )
        .prop_map(|(fields, open, close, body)| format!("{open}{}{close}{body}", fields.concat()))
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn any_text_parses_or_lists_problems(text in nasty_string(200)) {
        check(&text);
        check(&format!("---\n{text}\n---\n"));
    }

    #[test]
    fn any_front_matter_parses_or_lists_problems(text in front_matter()) {
        check(&text);
    }

    #[test]
    fn any_path_gives_a_valid_slug_or_none(path in nasty_string(60)) {
        let slug = slug_from_path(&path);
        prop_assert!(slug.is_empty() || !slug.starts_with('-') && !slug.ends_with('-'));
    }
}

#[test]
fn nested_and_self_referencing_yaml_is_an_error_not_a_crash() {
    let depth = 10_000;
    let cases = [
        format!(
            "---\ntags: {}{}\n---\n",
            "[".repeat(depth),
            "]".repeat(depth)
        ),
        format!("---\ntags: {}\n---\n", "{a: ".repeat(depth)),
        format!(
            "---\n{}\n---\n",
            (0..depth)
                .map(|i| format!("{}- x", "  ".repeat(i)))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        // Billion laughs: each alias doubles the previous one.
        format!(
            "---\na0: &a0 [x, x]\n{}title: *a30\n---\n",
            (1..=30)
                .map(|i| format!("a{i}: &a{i} [*a{p}, *a{p}]\n", p = i - 1))
                .collect::<String>()
        ),
    ];
    for text in &cases {
        check(text);
    }
}

/// A front matter of 100,000 unknown fields: the problems listed are capped, and finding
/// their lines is not quadratic.
#[test]
fn a_hundred_thousand_unknown_fields_list_a_bounded_number_of_problems() {
    let fields: String = (0..100_000).map(|i| format!("k{i}: 1\n")).collect();
    let errors = parse_content(
        "f.md",
        "f.md",
        &format!("---\nkind: playbook\ntitle: t\n{fields}---\n"),
        &Taxonomy::default(),
    )
    .unwrap_err();
    assert_eq!(errors.len(), MAX_PROBLEMS + 1);
    assert_eq!(errors[0].line, Some(4));
    assert!(
        errors[MAX_PROBLEMS].message.contains("99950 more"),
        "{:?}",
        errors.last()
    );
}

/// 200,000 distinct tags: de-duplicating them is not quadratic.
#[test]
fn two_hundred_thousand_tags_are_deduplicated_in_linear_time() {
    let tags: String = (0..200_000)
        .map(|i| format!("  - t{}\n", i % 150_000))
        .collect();
    let item = parse_content(
        "f.md",
        "f.md",
        &format!("---\nkind: playbook\ntitle: t\ntags:\n{tags}---\n"),
        &Taxonomy::default(),
    )
    .unwrap();
    assert_eq!(item.tags.len(), 150_000);
    assert_eq!(item.tags[149_999], "t149999");
}
