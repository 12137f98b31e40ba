//! Markdown building blocks shared by the formats: tables, one-line text, the final clean-up.

/// Tidies Markdown: `\r\n` and `\r` become `\n`, trailing spaces go, runs of blank lines become
/// one (except inside fenced code), and the whole is trimmed.
pub(super) fn clean(s: &str) -> String {
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(s.len());
    let mut blank_run = 0usize;
    let mut in_fence = false;
    for line in s.split('\n') {
        let line = line.trim_end();
        let fence = line.trim_start().starts_with("```") || line.trim_start().starts_with("~~~");
        if line.is_empty() && !in_fence {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
            if blank_run > 0 && !in_fence {
                out.push('\n');
            }
        }
        blank_run = 0;
        out.push_str(line);
        if fence {
            in_fence = !in_fence;
        }
    }
    out.trim().to_string()
}

/// Text on one line: whitespace runs (line breaks and tabs included) become one space.
pub(super) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A table cell: `|` escaped, line breaks as `<br>`, other whitespace runs as one space.
pub(super) fn cell(s: &str) -> String {
    let lines: Vec<String> = s
        .split('\n')
        .map(one_line)
        .filter(|l| !l.is_empty())
        .collect();
    lines.join("<br>").replace('|', "\\|")
}

/// A GitHub Markdown table, the first row as the header; short rows are padded. Nothing for no
/// rows.
pub(super) fn table(rows: &[Vec<String>]) -> String {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        out.push('|');
        for c in 0..width {
            let text = row.get(c).map(|s| cell(s)).unwrap_or_default();
            out.push(' ');
            out.push_str(&text);
            out.push_str(" |");
        }
        out.push('\n');
        if i == 0 {
            out.push('|');
            for _ in 0..width {
                out.push_str(" --- |");
            }
            out.push('\n');
        }
    }
    out
}

/// A heading of `level` (clamped to 1..=6), on one line.
pub(super) fn heading(level: usize, text: &str) -> String {
    format!("{} {}", "#".repeat(level.clamp(1, 6)), one_line(text))
}

/// Whether a character is Han, kana, Hangul or CJK punctuation: lines ending and starting with
/// one join without a space.
pub(super) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F
        | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF)
}
