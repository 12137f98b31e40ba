//! The body's links and inline tags: one scanner that finds them and, given a resolver, rewrites
//! the links. Fenced code blocks and code spans are copied untouched; links and code spans are
//! looked for within a line.

use super::{LinkKind, NoteLink};

/// Rewrites the body's links once the app knows where each target went: `resolve(target)` gives
/// the new URL. Wiki links `[[Note]]`, `[[Note|shown text]]`, `[[Note#Heading]]`,
/// `![[image.png]]` become `[shown](url)` / `![](url)`; an unresolved wiki link becomes its plain
/// shown text (never left as `[[...]]`); relative links and images whose target resolves get the
/// new URL (their `#fragment` kept); others are left unchanged. Code spans and fenced code blocks
/// are never touched. A `[[` that opens no wiki link is written `\[[` so that no rewritten text
/// becomes one.
pub fn rewrite_links(body: &str, resolve: &mut dyn FnMut(&NoteLink) -> Option<String>) -> String {
    scan(body, resolve).out
}

/// What one pass over a body found, and the body with its links rewritten.
pub(super) struct Scan {
    pub(super) out: String,
    pub(super) links: Vec<NoteLink>,
    pub(super) tags: Vec<String>,
}

/// From this depth of nested link text on, `[` is plain text (keeps pathological input linear).
const MAX_DEPTH: usize = 8;
/// The longest link title looked for.
const MAX_TITLE: usize = 1000;

pub(super) fn scan(body: &str, resolve: &mut dyn FnMut(&NoteLink) -> Option<String>) -> Scan {
    let mut scanner = Scanner {
        resolve,
        out: String::with_capacity(body.len()),
        links: Vec::new(),
        tags: Vec::new(),
    };
    let mut fence = None;
    for line in body.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let eol = &line[content.len()..];
        if let Some(f) = fence_line(content.trim_end(), fence) {
            fence = f;
            scanner.out.push_str(line);
            continue;
        }
        if fence.is_some() {
            scanner.out.push_str(content);
        } else if !scanner.reference_definition(content) {
            scanner.inline(content, 0, false);
        }
        scanner.out.push_str(eol);
    }
    Scan {
        out: scanner.out,
        links: scanner.links,
        tags: scanner.tags,
    }
}

/// For a right-trimmed line: `Some(new state)` when it opens or closes a fenced code block.
pub(super) fn fence_line(
    line: &str,
    fence: Option<(char, usize)>,
) -> Option<Option<(char, usize)>> {
    let content = line.trim_start();
    let c = content.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let run = content.len() - content.trim_start_matches(c).len();
    if run < 3 {
        return None;
    }
    match fence {
        None if c == '`' && content[run..].contains('`') => None,
        None => Some(Some((c, run))),
        Some((open, len)) if c == open && run >= len && content[run..].trim().is_empty() => {
            Some(None)
        }
        Some(_) => None,
    }
}

struct Scanner<'r> {
    resolve: &'r mut dyn FnMut(&NoteLink) -> Option<String>,
    out: String,
    links: Vec<NoteLink>,
    tags: Vec<String>,
}

impl Scanner<'_> {
    fn found(&mut self, target: String, kind: LinkKind, embed: bool) -> Option<String> {
        let link = NoteLink {
            target,
            kind,
            embed,
        };
        let url = (self.resolve)(&link);
        self.links.push(link);
        url
    }

    /// `[label]: destination "title"`: true when the line is one (and was written to `out`).
    fn reference_definition(&mut self, line: &str) -> bool {
        let lead = line.len() - line.trim_start_matches(' ').len();
        let rest = &line[lead..];
        if lead > 3 || !rest.starts_with('[') || rest.starts_with("[^") {
            return false;
        }
        let Some(close) = rest.find(']') else {
            return false;
        };
        let Some(after) = rest[close + 1..].strip_prefix(':') else {
            return false;
        };
        if close < 2 || rest[1..close].contains('[') {
            return false;
        }
        let gap = after.len() - after.trim_start().len();
        let dest_text = &after[gap..];
        let dest_len = dest_text.find([' ', '\t']).unwrap_or(dest_text.len());
        let dest = &dest_text[..dest_len];
        if dest.is_empty() {
            return false;
        }
        let head = &line[..line.len() - dest_text.len()];
        let new = self.relative(dest, false);
        self.out.push_str(head);
        self.out.push_str(new.as_deref().unwrap_or(dest));
        self.out.push_str(&dest_text[dest_len..]);
        true
    }

    /// A destination: when relative, records it and gives the resolved destination, if any.
    fn relative(&mut self, dest: &str, embed: bool) -> Option<String> {
        let bare = dest
            .strip_prefix('<')
            .and_then(|d| d.strip_suffix('>'))
            .unwrap_or(dest);
        if !is_relative(bare) {
            return None;
        }
        let (path, fragment) = match bare.find('#') {
            Some(i) => bare.split_at(i),
            None => (bare, ""),
        };
        if path.is_empty() {
            return None;
        }
        let url = self.found(percent_decode(path), LinkKind::Relative, embed)?;
        let url = format!("{url}{fragment}");
        Some(if url.contains([' ', '\t', '(', ')']) {
            format!("<{url}>")
        } else {
            url
        })
    }

    /// One line (or the text of a link), written to `out` with its links rewritten.
    fn inline(&mut self, text: &str, depth: usize, in_link_text: bool) {
        let b = text.as_bytes();
        let closes = if depth < MAX_DEPTH {
            match_brackets(text)
        } else {
            vec![None; b.len()]
        };
        let mut failed_runs = Vec::new();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'\\' if b.get(i + 1).is_some_and(u8::is_ascii_punctuation) => {
                    self.out.push_str(&text[i..i + 2]);
                    i += 2;
                    continue;
                }
                b'`' => {
                    let end = code_span_end(text, i, &mut failed_runs);
                    self.out.push_str(&text[i..end]);
                    i = end;
                    continue;
                }
                b'!' | b'[' => {
                    let embed = b[i] == b'!';
                    let at = i + usize::from(embed);
                    if text[at..].starts_with("[[") {
                        if let Some(end) = self.wiki(text, at, embed) {
                            i = end;
                            continue;
                        }
                        if !embed {
                            // Not a wiki link: escaped, so that no rewrite makes it one.
                            self.out.push_str("\\[");
                            i += 1;
                            continue;
                        }
                    }
                    if b.get(at) == Some(&b'[') {
                        if let Some(end) = self.markdown_link(text, at, &closes, depth, embed) {
                            i = end;
                            continue;
                        }
                    }
                }
                b'#' if !in_link_text
                    && text[..i]
                        .chars()
                        .next_back()
                        .is_none_or(char::is_whitespace) =>
                {
                    let tag: &str = text[i + 1..]
                        .split(|c: char| !(c.is_alphanumeric() || "_-/".contains(c)))
                        .next()
                        .unwrap_or("");
                    let tag = tag.trim_end_matches(['/', '-']);
                    if !tag.is_empty() && !tag.chars().all(|c| c.is_ascii_digit()) {
                        self.tags.push(tag.to_owned());
                        self.out.push_str(&text[i..i + 1 + tag.len()]);
                        i += 1 + tag.len();
                        continue;
                    }
                }
                _ => {}
            }
            let len = text[i..].chars().next().map_or(1, char::len_utf8);
            self.out.push_str(&text[i..i + len]);
            i += len;
        }
    }

    /// `[[...]]` at `at` (after the `!` of an embed): writes its replacement, gives the end.
    fn wiki(&mut self, text: &str, at: usize, embed: bool) -> Option<usize> {
        let inner_start = at + 2;
        let rel = text[inner_start..].find(['[', ']'])?;
        let close = inner_start + rel;
        if !text[close..].starts_with("]]") {
            return None;
        }
        let written = &text[inner_start..close];
        if written.trim().is_empty() {
            return None;
        }
        let inner = written.replace("\\|", "|");
        let (link, shown) = match inner.split_once('|') {
            Some((link, shown)) => (link, shown.trim()),
            None => (inner.as_str(), ""),
        };
        let (target, heading) = match link.split_once('#') {
            Some((target, heading)) => (target.trim(), heading.trim()),
            None => (link.trim(), ""),
        };
        let size = embed && is_size(shown);
        let shown = if size { "" } else { shown };
        let display = if !shown.is_empty() {
            shown.to_owned()
        } else if !heading.is_empty() && target.is_empty() {
            heading.trim_start_matches('^').to_owned()
        } else if !heading.is_empty() {
            format!("{target} > {heading}")
        } else if !target.is_empty() {
            target.to_owned()
        } else {
            inner.trim().to_owned()
        };
        let url = if target.is_empty() {
            None
        } else {
            self.found(target.to_owned(), LinkKind::Wiki, embed)
        };
        match url {
            Some(url) => {
                let url = if url.contains([' ', '\t', '(', ')']) {
                    format!("<{url}>")
                } else {
                    url
                };
                if embed && is_image(target) {
                    self.out.push_str(&format!("![{shown}]({url})"));
                } else {
                    self.out.push_str(&format!("[{display}]({url})"));
                }
            }
            None => self.out.push_str(&display),
        }
        Some(close + 2)
    }

    /// `[text](dest "title")` at `at` (after the `!` of an image): writes it, gives the end.
    fn markdown_link(
        &mut self,
        text: &str,
        at: usize,
        closes: &[Option<usize>],
        depth: usize,
        embed: bool,
    ) -> Option<usize> {
        let close = closes[at]?;
        let open_paren = close + 1;
        if text.as_bytes().get(open_paren) != Some(&b'(') {
            return None;
        }
        let (dest_start, dest_end, end) = destination(text, open_paren + 1)?;
        let dest = &text[dest_start..dest_end];
        if embed {
            self.out.push('!');
        }
        self.out.push('[');
        self.inline(&text[at + 1..close], depth + 1, true);
        self.out.push_str(&text[close..dest_start]);
        let new = self.relative(dest, embed);
        self.out.push_str(new.as_deref().unwrap_or(dest));
        self.out.push_str(&text[dest_end..end]);
        Some(end)
    }
}

/// The destination after `(` at `from`: (its start, its end, the end after `)`).
fn destination(text: &str, from: usize) -> Option<(usize, usize, usize)> {
    let b = text.as_bytes();
    let skip = |mut i: usize| {
        while b.get(i).is_some_and(|c| *c == b' ' || *c == b'\t') {
            i += 1;
        }
        i
    };
    let start = skip(from);
    let mut i = start;
    if b.get(i) == Some(&b'<') {
        let j = text[i + 1..].find(['>', '<'])?;
        if b[i + 1 + j] != b'>' {
            return None;
        }
        i += j + 2;
    } else {
        let mut depth = 0usize;
        while let Some(&c) = b.get(i) {
            match c {
                b'\\' if b.get(i + 1).is_some_and(u8::is_ascii_punctuation) => i += 1,
                b'(' => depth += 1,
                b')' if depth == 0 => break,
                b')' => depth -= 1,
                b' ' | b'\t' => break,
                _ => {}
            }
            if depth > 32 {
                return None;
            }
            i += 1;
        }
    }
    let dest_end = i;
    let mut i = skip(i);
    if let Some(&q @ (b'"' | b'\'' | b'(')) = b.get(i) {
        if i == dest_end {
            return None;
        }
        let close = if q == b'(' { b')' } else { q };
        let len = b[i + 1..(i + 1 + MAX_TITLE).min(b.len())]
            .iter()
            .position(|c| *c == close)?;
        i = skip(i + len + 2);
    }
    (b.get(i) == Some(&b')')).then_some((start, dest_end, i + 1))
}

/// For each `[` of the line, the `]` that closes it (outside code spans and escapes).
fn match_brackets(text: &str) -> Vec<Option<usize>> {
    let b = text.as_bytes();
    let mut closes = vec![None; b.len()];
    let mut open = Vec::new();
    let mut failed_runs = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if b.get(i + 1).is_some_and(u8::is_ascii_punctuation) => i += 1,
            b'`' => {
                i = code_span_end(text, i, &mut failed_runs);
                continue;
            }
            b'[' => open.push(i),
            b']' => {
                if let Some(o) = open.pop() {
                    closes[o] = Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    closes
}

/// The end of the code span opening with the backtick run at `at`, or of the run when nothing
/// closes it. `failed` remembers run lengths that found no closing run (so the scan stays linear).
fn code_span_end(text: &str, at: usize, failed: &mut Vec<usize>) -> usize {
    let b = text.as_bytes();
    let run = b[at..].iter().take_while(|c| **c == b'`').count();
    let after = at + run;
    if failed.contains(&run) {
        return after;
    }
    let mut i = after;
    while i < b.len() {
        if b[i] == b'`' {
            let other = b[i..].iter().take_while(|c| **c == b'`').count();
            if other == run {
                return i + run;
            }
            i += other;
        } else {
            i += 1;
        }
    }
    failed.push(run);
    after
}

/// Relative: not a URL with a scheme (`https:`, `mailto:`, `C:`), not `//host`, not `#fragment`.
fn is_relative(dest: &str) -> bool {
    if dest.is_empty() || dest.starts_with('#') || dest.starts_with("//") {
        return false;
    }
    let scheme_end = dest.find([':', '/', '?', '#']);
    let has_scheme = scheme_end.is_some_and(|i| {
        dest.as_bytes()[i] == b':'
            && i > 0
            && dest.as_bytes()[0].is_ascii_alphabetic()
            && dest[..i]
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"+.-".contains(&c))
    });
    !has_scheme
}

/// `%E4%BB%B7` and `%20` decoded when the result is UTF-8; otherwise the text as written.
fn percent_decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_owned();
    }
    let b = text.as_bytes();
    let mut bytes = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).and_then(|c| hex(*c)),
            b.get(i + 2).and_then(|c| hex(*c)),
        ) {
            (b'%', Some(h), Some(l)) => {
                bytes.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                bytes.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(bytes).unwrap_or_else(|_| text.to_owned())
}

/// Obsidian's embed size: `300` or `300x200`.
fn is_size(text: &str) -> bool {
    let mut parts = text.splitn(2, 'x');
    parts.all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
}

fn is_image(target: &str) -> bool {
    let ext = target.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    target.contains('.')
        && [
            "png", "jpg", "jpeg", "gif", "webp", "svg", "bmp", "avif", "tif", "tiff", "ico", "heic",
        ]
        .contains(&ext.as_str())
}
