//! Normalisation of names and queries: full width to half width, Traditional to Simplified, Latin
//! lower-cased, spaces and punctuation dropped.

/// Folds a name or query for matching: Traditional → Simplified, full-width → half-width,
/// Latin lower-cased; only letters and digits (of any script) are kept.
pub fn normalise(text: &str) -> String {
    let mut out = String::new();
    normalise_into(text, &mut out);
    out
}

pub(super) fn normalise_into(text: &str, out: &mut String) {
    out.clear();
    let needs_t2s = !text.is_ascii();
    let simplified;
    let text = if needs_t2s {
        simplified = fast2s::convert(text);
        simplified.as_str()
    } else {
        text
    };
    for c in text.chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
            // CJK ideographs have no case: skip the Unicode tables.
            out.push(c);
        } else if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        }
    }
}
