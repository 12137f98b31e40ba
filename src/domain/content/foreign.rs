//! Markdown notes written for other tools (Hexo, Hugo, Jekyll, Obsidian, Typora, Yuque 语雀,
//! Feishu 飞书, Notion exports), read into one normalised [`ForeignNote`] that the app turns into
//! a draft. Pure and total: any text gives a note (problems become `warnings`), never a panic.
//!
//! Decisions:
//! - **Front matter.** YAML between `---` lines (closing `---` or `...`); Hexo's form without the
//!   opening `---` only when every line before the first `---` looks like `key: value` (or an
//!   indented/`- ` continuation) *and* one key is a known one (title, date, tags...), so that a
//!   setext heading `Note: x` / `---` stays body. TOML between `+++` lines through a small tolerant
//!   reader (no `toml` crate in the tree): `key = value`, strings, arrays, inline tables;
//!   keys under `[section]` are kept in `metadata` as `section.key`. A JSON object at the very top
//!   (Hugo) when it parses. A leading BOM and CRLF line ends are accepted.
//! - **Unreadable front matter** never fails: a warning naming the line, and the raw block is
//!   kept at the top of the body in a fenced code block (`yaml`/`toml`). A `---` block that is
//!   never closed is body (it may be a thematic break), with a warning when it looked like YAML.
//! - **Fields** (keys matched case-insensitively, a few Chinese names too): `title`; tags are the
//!   union, in this order, of `tags`, `categories`/`category`, `keywords`, `tag` (nested lists
//!   flattened; a string is split on commas `,`/`，`/`、` when it has one, else on whitespace; a
//!   leading `#` dropped; deduplicated case-insensitively, first spelling kept) and then the
//!   body's inline `#tags`; `aliases`/`alias` (a string split on commas only); the date is the
//!   first of `date`, `publishDate`, `created`, `created_at`, ..., `updated`, `lastmod` in that
//!   priority; `description`/`summary`/`excerpt`/`abstract`; `lang`/`language`/`locale` when it
//!   reads as zh or en; `kind`/`type` when one of the five kinds (any case). A field used for
//!   none of these (a second date field, an unrecognised `lang`, `type: post`) stays in
//!   `metadata`, in file order, as text: lists joined with ", ", maps in compact flow style
//!   `{a: 1}`, null as "".
//! - **Dates** become `YYYY-MM-DD` from `2023-05-01`, `2023/5/1`, `2023.5.1`, each with a time
//!   after a space or `T` (RFC 3339), from `2023年5月1日` (whatever follows) and from
//!   `May 1, 2023 10:20 AM` (Notion) or `1 May 2023`; an impossible date (`2023-02-30`) or
//!   anything else is kept as written.
//! - **Title**: the front matter's; else the first `# ` (or setext `===`) heading outside code,
//!   removed from the body only when it is the very first block; else the file name without
//!   directories and extension and without Notion's ` <32 hex>` suffix. A first heading equal to
//!   the front matter's title is removed too (it would show twice).
//! - **Notion properties**: when the title heading is the first block and there is no front
//!   matter, the paragraph right after it is read as properties if every line is `Key: value` and
//!   either the file name has Notion's suffix or one key is a known field (Tags, Created...);
//!   `Key：value` with a full-width colon counts too.
//! - **Links**: wiki links `[[Note]]`, `[[Note|shown]]`, `[[Note#Heading]]`, `![[x.png|300]]`
//!   (an Obsidian name holds no brackets; `\|` in tables is a `|`), Markdown links and images
//!   and reference definitions whose destination is relative (no scheme, not `//`, not only a
//!   `#fragment`; root-relative `/images/x.png` counts, it names a file of the same site). The
//!   target is the path without its `#fragment`, percent-decoded when that gives UTF-8; wiki
//!   targets are taken as written. Fenced code blocks and code spans (within a line) are skipped.
//! - **The body keeps its wiki links as written**, so that [`rewrite_links`] can point them at
//!   the imported items once the app knows where each target went; the app calls it before
//!   saving (with a resolver that returns `None` when it knows nothing: no `[[` survives).
//!   A resolved wiki embed of an image becomes `![alt](url)`, of anything else a link; a size
//!   (`|300`, `|300x200`) is not alt text. An unresolved `[[Note#Heading]]` reads `Note > Heading`.
//!   The `#fragment` of a resolved relative link is kept. A `[[` that opens no wiki link is
//!   written `\[[` so that no rewritten text turns into one. HTML `<img src>` is not looked at.
//! - **Inline tags**: `#tag` after a line start or whitespace, made of letters (any script),
//!   digits, `_`, `-`, `/`, not only digits; never in code, headings (`# ` needs the space),
//!   link text, URLs or link destinations.

use std::collections::HashSet;

use super::front_matter::strip_location;

mod body;
mod fields;

pub use body::rewrite_links;
use fields::{apply_fields, parse_json, parse_toml, parse_yaml, Val};

/// A note from another tool, normalised. See the module documentation for every rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForeignNote {
    pub title: String,
    pub tags: Vec<String>,
    pub aliases: Vec<String>,
    /// `YYYY-MM-DD` when the date parses, else as written.
    pub date: Option<String>,
    pub summary: Option<String>,
    /// "zh" or "en".
    pub lang: Option<String>,
    /// One of playbook, case, course, lesson, campaign.
    pub kind_hint: Option<String>,
    /// Every other front-matter field (or Notion property), in file order, as text.
    pub metadata: Vec<(String, String)>,
    /// The Markdown without front matter; wiki links as written, for [`rewrite_links`].
    pub body: String,
    /// Every link to another file, in order, deduplicated.
    pub links: Vec<NoteLink>,
    pub warnings: Vec<String>,
}

/// A link from a note's body to another file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NoteLink {
    /// As written, percent-decoded, without `#fragment` (wiki: the note name).
    pub target: String,
    pub kind: LinkKind,
    /// `![[x]]` or `![](x)`.
    pub embed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkKind {
    /// `[[Note]]`, Obsidian style.
    Wiki,
    /// `[text](path)`, `![alt](path)` or `[ref]: path` with a relative path.
    Relative,
}

/// Reads any note: front matter of any of the supported forms, title, tags, links. Never fails.
pub fn read_foreign_note(file_name: &str, text: &str) -> ForeignNote {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = text.replace("\r\n", "\n");
    let mut note = ForeignNote::default();

    let (mut fields, mut body, had_front_matter) = split_and_read(&text, &mut note.warnings);
    let title_from_front = fields_title(&fields);

    // The title heading, and Notion's property lines under it.
    let mut heading_title = None;
    match first_heading(&body) {
        Some(h) if h.first_block => {
            let drop = title_from_front.is_none() || title_from_front.as_deref() == Some(&*h.text);
            let mut rest = body[h.end..].to_owned();
            if title_from_front.is_none() && !had_front_matter {
                if let Some((props, after)) = notion_properties(file_name, &rest) {
                    fields.extend(props);
                    rest = after;
                }
            }
            if drop {
                heading_title = Some(h.text);
                body = rest.trim_start_matches('\n').to_owned();
            }
        }
        Some(h) => heading_title = Some(h.text),
        None => {}
    }

    let mut tags = Vec::new();
    apply_fields(fields, &mut note, &mut tags);
    if note.title.is_empty() {
        note.title = heading_title
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| title_from_file_name(file_name));
    }

    let scan = body::scan(&body, &mut |_| None);
    tags.extend(scan.tags);
    note.tags = dedup_tags(tags);
    note.links = dedup(scan.links);
    note.body = body;
    note
}

/// Finds and reads the front matter. Returns its fields, the body and whether there was one.
fn split_and_read(text: &str, warnings: &mut Vec<String>) -> (Vec<(String, Val)>, String, bool) {
    let first_line = text.lines().next().unwrap_or("").trim_end();
    if first_line == "---" || first_line == "+++" {
        let toml = first_line == "+++";
        let start = text.find('\n').map_or(text.len(), |i| i + 1);
        if let Some((block_end, body_start)) = closing_line(text, start, toml) {
            let block = &text[start..block_end];
            let body = &text[body_start..];
            let (fields, problems) = if toml {
                parse_toml(block, 2)
            } else {
                parse_yaml(block, 2)
            };
            return finish(fields, problems, block, body, toml, warnings);
        }
        let first_paragraph = text[start..].split("\n\n").next().unwrap_or("");
        if !toml && looks_like_yaml(first_paragraph, false) {
            warnings.push(
                "the front matter opened with --- is never closed; it was kept as body".into(),
            );
        }
        return (Vec::new(), text.to_owned(), false);
    }
    if text.starts_with('{') {
        if let Some((fields, end)) = parse_json(text) {
            let body = text[end..].trim_start_matches([' ', '\t']);
            let body = body.strip_prefix('\n').unwrap_or(body);
            return (fields, body.to_owned(), true);
        }
    }
    // Hexo: front matter closed by `---` with no opening one.
    if let Some((block_end, body_start)) = closing_line(text, 0, false) {
        let block = &text[..block_end];
        if looks_like_yaml(block, true) {
            let (fields, problems) = parse_yaml(block, 1);
            return finish(
                fields,
                problems,
                block,
                &text[body_start..],
                false,
                warnings,
            );
        }
    }
    (Vec::new(), text.to_owned(), false)
}

fn finish(
    fields: Vec<(String, Val)>,
    problems: Vec<String>,
    block: &str,
    body: &str,
    toml: bool,
    warnings: &mut Vec<String>,
) -> (Vec<(String, Val)>, String, bool) {
    if problems.is_empty() {
        return (fields, body.to_owned(), true);
    }
    warnings.extend(problems);
    let fence = "`".repeat(longest_run(block, '`').max(2) + 1);
    let lang = if toml { "toml" } else { "yaml" };
    let block = block.trim_end_matches('\n');
    let body = format!("{fence}{lang}\n{block}\n{fence}\n\n{body}");
    (fields, body, true)
}

/// The closing `---`/`...` (or `+++`) line at or after `from`: (end of block, start of body).
fn closing_line(text: &str, from: usize, toml: bool) -> Option<(usize, usize)> {
    let mut at = from;
    while at < text.len() {
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        let line = text[at..end].trim_end();
        if (toml && line == "+++") || (!toml && (line == "---" || line == "...")) {
            return Some((at, (end + 1).min(text.len())));
        }
        at = end + 1;
    }
    None
}

const KNOWN_KEYS: &[&str] = &[
    "title",
    "date",
    "tags",
    "tag",
    "categories",
    "category",
    "keywords",
    "aliases",
    "alias",
    "description",
    "summary",
    "layout",
    "permalink",
    "updated",
    "created",
    "lang",
    "author",
    "excerpt",
];

/// Every line is `key: value` or a continuation; for Hexo's open form also a known key.
fn looks_like_yaml(block: &str, need_known_key: bool) -> bool {
    let mut keys = 0;
    let mut known = false;
    for line in block.lines() {
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t']) || line.starts_with("- ") {
            if keys == 0 {
                return false;
            }
            continue;
        }
        let Some((key, _)) = line.split_once(':') else {
            return false;
        };
        let valid = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
            && line[key.len() + 1..]
                .chars()
                .next()
                .is_none_or(|c| c == ' ');
        if !valid {
            return false;
        }
        keys += 1;
        known |= KNOWN_KEYS.contains(&key.to_ascii_lowercase().as_str());
    }
    keys > 0 && (known || !need_known_key)
}

fn fields_title(fields: &[(String, Val)]) -> Option<String> {
    fields
        .iter()
        .find(|(k, _)| fields::TITLE_KEYS.contains(&k.to_lowercase().as_str()))
        .and_then(|(_, v)| v.scalar())
        .filter(|t| !t.is_empty())
}

struct Heading {
    text: String,
    /// Byte offset just after the heading (and its underline for setext).
    end: usize,
    first_block: bool,
}

/// The first level-one heading (ATX `# `, or setext `===`) outside fenced code.
fn first_heading(body: &str) -> Option<Heading> {
    let mut fence: Option<(char, usize)> = None;
    let mut first_block = true;
    let mut at = 0;
    // The previous line when it is a one-line paragraph so far: (text, is the first block).
    let mut previous: Option<(&str, bool)> = None;
    let mut after_blank = true;
    for line in body.split_inclusive('\n') {
        at += line.len();
        let trimmed = line.trim_end();
        if let Some(f) = body::fence_line(trimmed, fence) {
            fence = f;
            first_block = false;
            previous = None;
            after_blank = false;
            continue;
        }
        if fence.is_some() {
            continue;
        }
        if trimmed.trim().is_empty() {
            previous = None;
            after_blank = true;
            continue;
        }
        let lead = trimmed.len() - trimmed.trim_start().len();
        let content = trimmed.trim_start();
        if lead <= 3 && (content == "#" || content.starts_with("# ")) {
            let text = content[1..].trim();
            let stripped = text.trim_end_matches('#');
            let text = if stripped.is_empty() || stripped.ends_with(' ') {
                stripped.trim()
            } else {
                text
            };
            return Some(Heading {
                text: text.to_owned(),
                end: at,
                first_block,
            });
        }
        if let Some((text, was_first)) = previous.take() {
            if lead <= 3 && content.chars().all(|c| c == '=') {
                return Some(Heading {
                    text: text.trim().to_owned(),
                    end: at,
                    first_block: was_first,
                });
            }
        } else if after_blank {
            previous = Some((trimmed, first_block));
        }
        after_blank = false;
        first_block = false;
    }
    None
}

/// Notion's property lines right after the title: `Tags: a, b`, `Created: May 1, 2023`.
/// Returns them as fields and the text after them.
fn notion_properties(file_name: &str, rest: &str) -> Option<(Vec<(String, Val)>, String)> {
    let start = rest.len() - rest.trim_start_matches('\n').len();
    let paragraph_end = rest[start..].find("\n\n").map_or(rest.len(), |i| start + i);
    let paragraph = &rest[start..paragraph_end];
    if paragraph.trim().is_empty() {
        return None;
    }
    let mut props = Vec::new();
    let mut known = false;
    for line in paragraph.lines() {
        let (key, value) = line.split_once(": ").or_else(|| line.split_once('：'))?;
        let key = key.trim();
        let value = value.trim();
        let plain = !key.is_empty()
            && key.chars().count() <= 30
            && !key.starts_with(|c: char| "#>-*+|[!`<".contains(c) || c.is_ascii_digit())
            && !key.contains(['[', ']', '(', ')', '`', ':', '*']);
        if !plain || value.is_empty() {
            return None;
        }
        known |= fields::is_known_key(key);
        props.push((key.to_owned(), Val::Str(value.to_owned())));
    }
    if !(known || notion_suffix(file_stem(file_name)).is_some()) {
        return None;
    }
    Some((props, rest[paragraph_end..].to_owned()))
}

/// The file name without directories and extension (an extension: up to 10 letters or digits).
fn file_stem(file_name: &str) -> &str {
    let name = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    match name.rfind('.') {
        Some(dot)
            if dot > 0
                && name.len() - dot <= 11
                && name[dot + 1..].chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            &name[..dot]
        }
        _ => name,
    }
}

/// The name without Notion's export suffix: a space and 32 hexadecimal digits.
fn notion_suffix(stem: &str) -> Option<&str> {
    let (name, hash) = stem.rsplit_once(' ')?;
    (hash.len() == 32 && hash.bytes().all(|b| b.is_ascii_hexdigit())).then_some(name)
}

fn title_from_file_name(file_name: &str) -> String {
    let stem = file_stem(file_name);
    let title = notion_suffix(stem).unwrap_or(stem).trim();
    if title.is_empty() {
        "Untitled".to_owned()
    } else {
        title.to_owned()
    }
}

/// Tags trimmed, without a leading `#`, deduplicated case-insensitively (first spelling kept).
fn dedup_tags(tags: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    tags.into_iter()
        .map(|t| t.trim().trim_start_matches('#').trim().to_owned())
        .filter(|t| !t.is_empty() && seen.insert(t.to_lowercase()))
        .collect()
}

fn dedup(links: Vec<NoteLink>) -> Vec<NoteLink> {
    let mut seen = HashSet::new();
    links
        .into_iter()
        .filter(|l| seen.insert(l.clone()))
        .collect()
}

/// The longest run of `c` in `text`.
fn longest_run(text: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for ch in text.chars() {
        run = if ch == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}
