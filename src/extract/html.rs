//! HTML (saved web pages, exports of Yuque, Feishu, Notion) to Markdown through htmd.
//!
//! Decoding: a byte-order mark, else `<meta charset>` / `http-equiv` content type in the first
//! 4 KiB (any WHATWG label: gbk, gb2312, gb18030, big5, utf-8…), else the text rule (UTF-8,
//! else GB18030). Scripts, styles, navigation, page headers and footers, forms and inline SVG
//! are dropped. Title: `<title>`, else the first `<h1>`. Pages nested deeper than
//! [`MAX_DEPTH`] elements (htmd recurses per element) are reduced to their text.

use encoding_rs::Encoding;

use super::text::{decode_text, decode_with};
use super::{md, Extracted};

/// The deepest element nesting converted as HTML; deeper pages are stripped to text.
const MAX_DEPTH: usize = 512;

const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "template", "nav", "header", "footer", "head", "svg", "iframe",
    "form", "button", "canvas", "object", "embed",
];

pub(super) fn extract_html(bytes: &[u8]) -> Extracted {
    let (html, warning) = decode_html(bytes);
    let mut warnings: Vec<String> = warning.into_iter().collect();
    let title = element_text(&html, "title");
    let markdown = if max_depth(&html) > MAX_DEPTH {
        warnings.push(format!(
            "the page nests elements more than {MAX_DEPTH} deep; only its text was kept"
        ));
        strip_tags(&html)
    } else {
        let converter = htmd::HtmlToMarkdown::builder()
            .skip_tags(SKIPPED.to_vec())
            .build();
        match converter.convert(&html) {
            Ok(md) => md,
            Err(e) => {
                warnings.push(format!(
                    "the page could not be converted ({e}); only its text was kept"
                ));
                strip_tags(&html)
            }
        }
    };
    let title = title.or_else(|| {
        markdown
            .lines()
            .find_map(|l| l.strip_prefix("# "))
            .map(|t| t.trim().to_string())
    });
    Extracted {
        title: title.filter(|t| !t.is_empty()),
        markdown,
        warnings,
    }
}

/// Decodes a page: BOM, else the declared charset, else the text rule.
pub(super) fn decode_html(bytes: &[u8]) -> (String, Option<String>) {
    if Encoding::for_bom(bytes).is_some() {
        return decode_text(bytes);
    }
    match declared_charset(bytes) {
        // A page saying UTF-16 in ASCII bytes is not UTF-16 (the HTML standard reads it as
        // UTF-8).
        Some(enc) if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE => {
            decode_text(bytes)
        }
        Some(enc) if enc == encoding_rs::UTF_8 => match std::str::from_utf8(bytes) {
            Ok(s) => (s.to_string(), None),
            // Pages saying UTF-8 but written in GBK are common: trust the bytes.
            Err(_) => decode_text(bytes),
        },
        Some(enc) => decode_with(enc, bytes),
        None => decode_text(bytes),
    }
}

/// The charset a `<meta>` in the first 4 KiB declares.
fn declared_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(4096)];
    let lower: Vec<u8> = head.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = find(&lower[from..], b"<meta") {
        let start = from + pos;
        let end = lower[start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(lower.len(), |p| start + p);
        let tag = &lower[start..end];
        if let Some(cs) = find(tag, b"charset") {
            let rest = &tag[cs + 7..];
            let rest: Vec<u8> = rest
                .iter()
                .copied()
                .skip_while(|b| b.is_ascii_whitespace() || *b == b'=' || *b == b'"' || *b == b'\'')
                .take_while(|b| {
                    !(b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b';' | b'/' | b'>'))
                })
                .collect();
            if let Some(enc) = Encoding::for_label(&rest) {
                return Some(enc);
            }
        }
        from = end.max(start + 1);
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The text of the first `<name>` element, entities decoded, on one line.
fn element_text(html: &str, name: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let open = format!("<{name}");
    let mut from = 0;
    while let Some(pos) = lower[from..].find(&open) {
        let start = from + pos;
        let after = lower[start + open.len()..].chars().next();
        if matches!(after, Some('>' | ' ' | '\t' | '\n' | '\r')) {
            let content_start = start + lower[start..].find('>')? + 1;
            let end = content_start + lower[content_start..].find(&format!("</{name}"))?;
            let text = md::one_line(&decode_entities(&strip_tags(&html[content_start..end])));
            return (!text.is_empty()).then_some(text);
        }
        from = start + open.len();
    }
    None
}

/// The nesting depth of elements, roughly: open tags minus close tags, void elements aside.
fn max_depth(html: &str) -> usize {
    const VOID: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr", "p", "li", "td", "tr", "th", "option",
    ];
    let bytes = html.as_bytes();
    let mut depth = 0usize;
    let mut max = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'<' {
            let closing = bytes.get(i + 1) == Some(&b'/');
            let name_start = i + 1 + usize::from(closing);
            let name_end = bytes[name_start.min(bytes.len())..]
                .iter()
                .position(|b| !b.is_ascii_alphanumeric())
                .map_or(bytes.len(), |p| name_start + p);
            if name_end > name_start {
                let name = html
                    .get(name_start..name_end)
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if !VOID.contains(&name.as_str()) {
                    if closing {
                        depth = depth.saturating_sub(1);
                    } else {
                        depth += 1;
                        max = max.max(depth);
                    }
                }
            }
            i = name_end.max(i + 1);
        } else {
            i += 1;
        }
    }
    max
}

/// Text without tags, scripts or styles; block ends become line breaks.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let lower = html.to_ascii_lowercase();
    let mut i = 0;
    while i < html.len() {
        let Some(rel) = html[i..].find('<') else {
            out.push_str(&html[i..]);
            break;
        };
        out.push_str(&html[i..i + rel]);
        let start = i + rel;
        let end = html[start..]
            .find('>')
            .map_or(html.len(), |p| start + p + 1);
        let tag = &lower[start..end];
        let mut next = end;
        for skipped in ["script", "style"] {
            if tag.starts_with(&format!("<{skipped}")) {
                if let Some(close) = lower[end..].find(&format!("</{skipped}")) {
                    next = end + close;
                }
            }
        }
        if tag.starts_with("<br")
            || tag.starts_with("</p")
            || tag.starts_with("</div")
            || tag.starts_with("</li")
            || tag.starts_with("</h")
            || tag.starts_with("</tr")
        {
            out.push('\n');
        }
        i = next.max(start + 1);
    }
    decode_entities(&out)
}

/// The common named entities and numeric references.
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        let end = rest
            .char_indices()
            .take(12)
            .find(|&(_, c)| c == ';')
            .map(|(i, _)| i);
        let decoded = end.and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => {
                    let num = name.strip_prefix('#')?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse().ok()?,
                    };
                    char::from_u32(code).filter(|&c| c != '\0')
                }
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}
