//! Shared pieces of the property tests (`mod fuzz_tests` beside each parser): the proptest
//! configuration and generators of hostile text. Test-only.
//!
//! Each property runs a small number of cases by default so the whole suite stays quick in
//! debug builds (CI runs it on every change); `PLAYBOOK_FUZZ_CASES=N` gives every property `N`
//! cases for a long run, e.g. `PLAYBOOK_FUZZ_CASES=100000 cargo test --release --lib fuzz`.

use proptest::prelude::*;
use proptest::test_runner::Config;

/// The variable that sets every property's case count.
pub const CASES_VARIABLE: &str = "PLAYBOOK_FUZZ_CASES";

/// `cases` cases (or `PLAYBOOK_FUZZ_CASES` when set), no regression files: inputs that found a
/// bug are kept as named tests instead.
pub fn config(cases: u32) -> Config {
    let cases = std::env::var(CASES_VARIABLE)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Characters that break naive text handling: NUL and controls, line ends of every platform,
/// byte-order and zero-width marks, right-to-left overrides, combining marks, full-width forms,
/// Han (BMP and the supplementary planes), Traditional characters, emoji, quotes of every kind.
const NASTY: &[char] = &[
    '\0',
    '\u{1}',
    '\u{7f}',
    '\t',
    '\n',
    '\r',
    '\u{b}',
    '\u{c}',
    '\u{85}',
    '\u{2028}',
    '\u{2029}',
    '\u{feff}',
    '\u{200b}',
    '\u{200c}',
    '\u{200d}',
    '\u{2060}',
    '\u{202e}',
    '\u{202d}',
    '\u{200f}',
    '\u{61c}',
    '\u{301}',
    '\u{fe0f}',
    '\u{3000}',
    '\u{ff21}',
    '\u{ff11}',
    '\u{ffe5}',
    '\u{fffd}',
    '\u{10ffff}',
    '\u{e000}',
    '中',
    '國',
    '銷',
    '々',
    '〇',
    '\u{20000}',
    '\u{30000}',
    '😀',
    '👨',
    'İ',
    'ß',
    'ǅ',
    'ü',
    'v',
    '"',
    '\'',
    '“',
    '”',
    '「',
    '」',
    '\\',
    '¥',
    '元',
    '万',
    ',',
    ';',
    ':',
    '-',
    '#',
    '*',
    '>',
    '<',
    '[',
    ']',
    '(',
    ')',
    '`',
    '|',
    '&',
    ' ',
    'a',
    'Z',
    '0',
    '9',
];

/// One hostile character.
pub fn nasty_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => proptest::sample::select(NASTY),
        1 => any::<char>(),
    ]
}

/// Text of up to `max` characters, mostly hostile ones, sometimes entirely arbitrary.
pub fn nasty_string(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::collection::vec(nasty_char(), 0..=max)
            .prop_map(|chars| chars.into_iter().collect::<String>()),
        1 => proptest::collection::vec(any::<char>(), 0..=max)
            .prop_map(|chars| chars.into_iter().collect::<String>()),
    ]
}

/// Text made of the given pieces (syntax tokens of a format), mixed with hostile characters.
pub fn pieces_string(pieces: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            4 => proptest::sample::select(pieces).prop_map(str::to_owned),
            1 => nasty_char().prop_map(String::from),
        ],
        0..=max,
    )
    .prop_map(|parts| parts.concat())
}

/// A valid document with a few random edits: a span cut out and replaced by a syntax piece or
/// hostile text. Finds what a fully random text rarely reaches: the checks after parsing.
pub fn mutated(
    base: &'static str,
    pieces: &'static [&'static str],
) -> impl Strategy<Value = String> {
    let edit = (
        any::<proptest::sample::Index>(),
        0..16usize,
        prop_oneof![
            3 => proptest::sample::select(pieces).prop_map(str::to_owned),
            1 => nasty_string(4),
        ],
    );
    proptest::collection::vec(edit, 0..5).prop_map(move |edits| {
        let mut text = base.to_owned();
        for (at, cut, insert) in edits {
            let mut start = at.index(text.len() + 1);
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = (start + cut).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            text.replace_range(start..end, &insert);
        }
        text
    })
}

/// YAML syntax and values that trouble YAML readers and the checks after them.
pub const YAML_PIECES: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    ", ",
    ": ",
    "- ",
    "\n",
    "\n  ",
    "\n- ",
    "'",
    "\"",
    "&a ",
    "*a",
    "!!str ",
    "!!binary ",
    "!tag ",
    "? ",
    "|",
    ">",
    "#",
    "~",
    "null",
    "true",
    "no",
    "1",
    "-1",
    "0.0",
    "4294967296",
    "1e999",
    "-.inf",
    ".nan",
    "0x1F",
    "2026-13-01",
    "<<: *a",
    "%YAML 1.2\n",
    "---",
    "...",
    "\t",
    "\\u0000",
    "\\ud800",
    "中文",
    "strategic",
    "id",
    "rules",
    "when",
    "tier",
];
