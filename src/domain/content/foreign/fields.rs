//! Front-matter values of every form (YAML, a TOML subset, JSON) as one small tree, and their
//! mapping onto [`ForeignNote`]'s fields: tags, dates, language, kind, metadata.

use super::super::Kind;
use super::{strip_location, ForeignNote};

/// A front-matter value, whatever the format it came from.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Val {
    Null,
    /// Scalars as text (numbers, booleans and TOML dates as written).
    Str(String),
    List(Vec<Val>),
    Map(Vec<(String, Val)>),
}

impl Val {
    /// The text of a scalar, trimmed.
    pub(super) fn scalar(&self) -> Option<String> {
        match self {
            Val::Str(s) => Some(s.trim().to_owned()),
            _ => None,
        }
    }

    /// Compact text: scalars as they are, lists joined with ", ", maps in flow style.
    fn render(&self) -> String {
        match self {
            Val::Null => String::new(),
            Val::Str(s) => s.clone(),
            Val::List(items) => items
                .iter()
                .map(|v| match v {
                    Val::List(_) => format!("[{}]", v.render()),
                    _ => v.render(),
                })
                .collect::<Vec<_>>()
                .join(", "),
            Val::Map(entries) => {
                let inner: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| match v {
                        Val::List(_) => format!("{k}: [{}]", v.render()),
                        _ => format!("{k}: {}", v.render()),
                    })
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
        }
    }

    fn from_yaml(value: serde_yaml_ng::Value) -> Val {
        use serde_yaml_ng::Value as Y;
        match value {
            Y::Null => Val::Null,
            Y::Bool(b) => Val::Str(b.to_string()),
            Y::Number(n) => Val::Str(n.to_string()),
            Y::String(s) => Val::Str(s),
            Y::Sequence(items) => Val::List(items.into_iter().map(Val::from_yaml).collect()),
            Y::Mapping(map) => Val::Map(
                map.into_iter()
                    .map(|(k, v)| (Val::from_yaml(k).render(), Val::from_yaml(v)))
                    .collect(),
            ),
            Y::Tagged(tagged) => Val::from_yaml(tagged.value),
        }
    }

    fn from_json(value: serde_json::Value) -> Val {
        use serde_json::Value as J;
        match value {
            J::Null => Val::Null,
            J::Bool(b) => Val::Str(b.to_string()),
            J::Number(n) => Val::Str(n.to_string()),
            J::String(s) => Val::Str(s),
            J::Array(items) => Val::List(items.into_iter().map(Val::from_json).collect()),
            J::Object(map) => Val::Map(
                map.into_iter()
                    .map(|(k, v)| (k, Val::from_json(v)))
                    .collect(),
            ),
        }
    }
}

/// Reads a YAML block whose first line is line `first_line` of the file. Problems as warnings.
pub(super) fn parse_yaml(block: &str, first_line: usize) -> (Vec<(String, Val)>, Vec<String>) {
    if block.trim().is_empty() {
        return (Vec::new(), Vec::new());
    }
    match serde_yaml_ng::from_str::<serde_yaml_ng::Value>(block) {
        Ok(value) => match Val::from_yaml(value) {
            Val::Map(entries) => (entries, Vec::new()),
            Val::Null => (Vec::new(), Vec::new()),
            _ => (
                Vec::new(),
                vec![
                    "the front matter is YAML but not a list of `key: value` fields; \
                      it was kept as text at the top of the body"
                        .to_owned(),
                ],
            ),
        },
        Err(e) => {
            let line = e
                .location()
                .map(|l| format!("line {}: ", first_line + l.line().saturating_sub(1)))
                .unwrap_or_default();
            let message = strip_location(&e.to_string()).to_owned();
            let warning = format!(
                "the front matter could not be read as YAML ({line}{message}); \
                 it was kept as text at the top of the body"
            );
            (Vec::new(), vec![warning])
        }
    }
}

/// A JSON object at the top of the text (Hugo): its fields and the byte offset after it.
pub(super) fn parse_json(text: &str) -> Option<(Vec<(String, Val)>, usize)> {
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>();
    let value = values.next()?.ok()?;
    let end = values.byte_offset();
    let rest = &text[end..];
    if !(rest.is_empty() || rest.starts_with(['\n', ' ', '\t'])) {
        return None;
    }
    match Val::from_json(value) {
        Val::Map(entries) => Some((entries, end)),
        _ => None,
    }
}

/// Reads the TOML that Hugo notes use: `key = value` with strings, arrays, inline tables and
/// bare values (numbers, booleans, dates kept as written); keys under `[section]` come back as
/// `section.key`. A line it cannot read is a warning; the rest is still read.
pub(super) fn parse_toml(block: &str, first_line: usize) -> (Vec<(String, Val)>, Vec<String>) {
    let mut toml = Toml {
        s: block.as_bytes(),
        text: block,
        at: 0,
    };
    let mut fields = Vec::new();
    let mut problems = Vec::new();
    let mut section = String::new();
    loop {
        toml.skip_blank(true);
        if toml.at >= toml.s.len() {
            break;
        }
        let line_start = toml.at;
        let result = if toml.peek() == Some(b'[') {
            let line = toml.rest_of_line();
            let name = line.split('#').next().unwrap_or("").trim();
            section = name.trim_matches(['[', ']']).trim().to_owned();
            Ok(())
        } else {
            toml.key_value().map(|(key, value)| {
                let key = if section.is_empty() {
                    key
                } else {
                    format!("{section}.{key}")
                };
                fields.push((key, value));
            })
        };
        if let Err(message) = result {
            let line = first_line + block[..line_start].matches('\n').count();
            problems.push(format!(
                "line {line} of the TOML front matter could not be read ({message}); \
                 the front matter was kept as text at the top of the body"
            ));
            toml.at = line_start;
            toml.rest_of_line();
        }
    }
    (fields, problems)
}

struct Toml<'a> {
    s: &'a [u8],
    text: &'a str,
    at: usize,
}

impl Toml<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    /// Skips spaces and comments, and line ends too when `lines`.
    fn skip_blank(&mut self, lines: bool) {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\r' => self.at += 1,
                b'\n' if lines => self.at += 1,
                b'#' => {
                    while self.peek().is_some_and(|b| b != b'\n') {
                        self.at += 1;
                    }
                }
                _ => break,
            }
        }
    }

    fn rest_of_line(&mut self) -> &str {
        let start = self.at;
        let end = self.text[start..]
            .find('\n')
            .map_or(self.s.len(), |i| start + i);
        self.at = (end + 1).min(self.s.len());
        &self.text[start..end]
    }

    fn key_value(&mut self) -> Result<(String, Val), String> {
        let key = self.key()?;
        self.skip_blank(false);
        if self.peek() != Some(b'=') {
            return Err("expected `key = value`".into());
        }
        self.at += 1;
        self.skip_blank(false);
        let value = self.value(0)?;
        self.skip_blank(false);
        match self.peek() {
            None | Some(b'\n') => Ok((key, value)),
            _ => Err("unexpected text after the value".into()),
        }
    }

    fn key(&mut self) -> Result<String, String> {
        let mut key = String::new();
        loop {
            self.skip_blank(false);
            match self.peek() {
                Some(q @ (b'"' | b'\'')) => key.push_str(&self.string(q)?),
                _ => {
                    let start = self.at;
                    while self
                        .peek()
                        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                    {
                        self.at += 1;
                    }
                    if start == self.at {
                        return Err("expected a key".into());
                    }
                    key.push_str(&self.text[start..self.at]);
                }
            }
            self.skip_blank(false);
            if self.peek() == Some(b'.') {
                self.at += 1;
                key.push('.');
            } else {
                return Ok(key);
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Val, String> {
        if depth > 64 {
            return Err("nested too deeply".into());
        }
        match self.peek() {
            Some(q @ (b'"' | b'\'')) => self.string(q).map(Val::Str),
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_blank(true);
                    match self.peek() {
                        Some(b']') => {
                            self.at += 1;
                            return Ok(Val::List(items));
                        }
                        None => return Err("an array is not closed".into()),
                        _ => items.push(self.value(depth + 1)?),
                    }
                    self.skip_blank(true);
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(b']') => {}
                        _ => return Err("expected `,` or `]` in an array".into()),
                    }
                }
            }
            Some(b'{') => {
                self.at += 1;
                let mut entries = Vec::new();
                loop {
                    self.skip_blank(false);
                    if self.peek() == Some(b'}') {
                        self.at += 1;
                        return Ok(Val::Map(entries));
                    }
                    let key = self.key()?;
                    self.skip_blank(false);
                    if self.peek() != Some(b'=') {
                        return Err("expected `key = value` in an inline table".into());
                    }
                    self.at += 1;
                    self.skip_blank(false);
                    entries.push((key, self.value(depth + 1)?));
                    self.skip_blank(false);
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(b'}') => {}
                        _ => return Err("expected `,` or `}` in an inline table".into()),
                    }
                }
            }
            _ => {
                let start = self.at;
                while self
                    .peek()
                    .is_some_and(|b| !matches!(b, b',' | b']' | b'}' | b'#' | b'\n'))
                {
                    self.at += 1;
                }
                let text = self.text[start..self.at].trim();
                if text.is_empty() {
                    Err("expected a value".into())
                } else {
                    Ok(Val::Str(text.to_owned()))
                }
            }
        }
    }

    /// A basic (`"`, with escapes) or literal (`'`) string, single- or triple-quoted.
    fn string(&mut self, quote: u8) -> Result<String, String> {
        let q = quote as char;
        let triple: String = [q, q, q].iter().collect();
        let rest = &self.text[self.at..];
        let (open, close) = if rest.starts_with(&triple) {
            (3, triple.as_str())
        } else {
            (1, &triple[..1])
        };
        let body_start = self.at + open;
        let mut out = String::new();
        let mut chars = self.text[body_start..].char_indices();
        while let Some((i, c)) = chars.next() {
            if self.text[body_start + i..].starts_with(close) {
                self.at = body_start + i + close.len();
                if open == 3 && out.starts_with('\n') {
                    out.remove(0);
                }
                return Ok(out);
            }
            match c {
                '\n' if open == 1 => break,
                '\\' if quote == b'"' => match chars.next().map(|(_, c)| c) {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some(c @ ('u' | 'U')) => {
                        let len = if c == 'u' { 4 } else { 8 };
                        let hex: String = chars.by_ref().take(len).map(|(_, c)| c).collect();
                        let code = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32);
                        out.push(code.ok_or("a bad \\u escape")?);
                    }
                    Some('\n') => {}
                    Some(c) => out.push(c),
                    None => break,
                },
                c => out.push(c),
            }
        }
        Err("a string is not closed".into())
    }
}

pub(super) const TITLE_KEYS: &[&str] = &["title", "标题"];
/// In the order their tags are listed.
const TAG_KEYS: &[&str] = &[
    "tags",
    "categories",
    "category",
    "keywords",
    "tag",
    "标签",
    "分类",
    "关键词",
];
const ALIAS_KEYS: &[&str] = &["aliases", "alias", "别名"];
/// In priority order: when the note was written before when it changed.
const DATE_KEYS: &[&str] = &[
    "date",
    "publishdate",
    "pubdate",
    "created",
    "created_at",
    "createdat",
    "create_time",
    "created time",
    "creation date",
    "日期",
    "创建时间",
    "updated",
    "updated_at",
    "update_time",
    "lastmod",
    "modified",
    "last edited time",
    "更新时间",
];
const SUMMARY_KEYS: &[&str] = &[
    "description",
    "summary",
    "excerpt",
    "abstract",
    "摘要",
    "描述",
];
const LANG_KEYS: &[&str] = &["lang", "language", "locale", "语言"];
const KIND_KEYS: &[&str] = &["kind", "type"];

/// A key that says the lines under a Notion title are properties.
pub(super) fn is_known_key(key: &str) -> bool {
    let key = key.to_lowercase();
    [TAG_KEYS, ALIAS_KEYS, DATE_KEYS, SUMMARY_KEYS]
        .iter()
        .any(|keys| keys.contains(&key.as_str()))
}

/// Fills the note's fields from front matter or properties; tags go to `tags`.
pub(super) fn apply_fields(
    fields: Vec<(String, Val)>,
    note: &mut ForeignNote,
    tags: &mut Vec<String>,
) {
    let keys: Vec<String> = fields
        .iter()
        .map(|(k, _)| k.trim().to_lowercase())
        .collect();
    let mut used = vec![false; fields.len()];
    // The first field among `names`, by priority, for which `accept` gives a value.
    let mut take = |names: &[&str], accept: &dyn Fn(&Val) -> Option<String>| {
        for name in names {
            for (i, key) in keys.iter().enumerate() {
                if !used[i] && key == name {
                    if let Some(value) = accept(&fields[i].1) {
                        used[i] = true;
                        return Some(value);
                    }
                }
            }
        }
        None
    };
    let text = |v: &Val| v.scalar().filter(|s| !s.is_empty());
    note.title = take(TITLE_KEYS, &text).unwrap_or_default();
    note.date = take(DATE_KEYS, &|v| text(v).map(|d| normalise_date(&d)));
    note.summary = take(SUMMARY_KEYS, &text);
    note.lang = take(LANG_KEYS, &|v| text(v).and_then(|l| lang(&l)));
    note.kind_hint = take(KIND_KEYS, &|v| {
        let kind = text(v)?.to_lowercase();
        Kind::parse(&kind).map(|k| k.as_str().to_owned())
    });
    let mut tag_fields = Vec::new();
    for (i, (key, value)) in fields.into_iter().enumerate() {
        if used[i] {
            continue;
        }
        if let Some(rank) = TAG_KEYS.iter().position(|k| *k == keys[i]) {
            tag_fields.push((rank, value));
        } else if ALIAS_KEYS.contains(&keys[i].as_str()) {
            match value {
                Val::Str(s) => note.aliases.extend(split_list(&s, false)),
                other => flatten(other, &mut note.aliases),
            }
        } else {
            note.metadata.push((key, value.render()));
        }
    }
    note.aliases.retain(|a| !a.is_empty());
    tag_fields.sort_by_key(|(rank, _)| *rank);
    for (_, value) in tag_fields {
        match value {
            Val::Str(s) => tags.extend(split_list(&s, true)),
            other => flatten(other, tags),
        }
    }
}

/// A list written as one string: split on commas when it has one, else (tags) on whitespace.
fn split_list(text: &str, on_space: bool) -> Vec<String> {
    let parts: Vec<&str> = if text.contains([',', '，', '、']) {
        text.split([',', '，', '、']).collect()
    } else if on_space {
        text.split_whitespace().collect()
    } else {
        vec![text]
    };
    parts.into_iter().map(|p| p.trim().to_owned()).collect()
}

/// Every scalar of a (nested) list; maps contribute nothing.
fn flatten(value: Val, out: &mut Vec<String>) {
    match value {
        Val::Str(s) => out.push(s.trim().to_owned()),
        Val::List(items) => items.into_iter().for_each(|v| flatten(v, out)),
        Val::Null | Val::Map(_) => {}
    }
}

/// "zh" or "en" for `zh-CN`, `zh_Hans`, `en-US`, `Chinese`, `中文`...
fn lang(value: &str) -> Option<String> {
    let v = value.trim().to_lowercase();
    let is = |code: &str, words: &[&str]| {
        v == code
            || v.strip_prefix(code)
                .is_some_and(|r| r.starts_with(['-', '_']))
            || words.contains(&v.as_str())
    };
    if is(
        "zh",
        &["chinese", "中文", "简体中文", "繁體中文", "汉语", "cn"],
    ) {
        Some("zh".into())
    } else if is("en", &["english", "英文", "英语"]) {
        Some("en".into())
    } else {
        None
    }
}

/// `YYYY-MM-DD` when the text starts with a real date in a known form, else the text as written.
pub(super) fn normalise_date(text: &str) -> String {
    let t = text.trim();
    parse_date(t)
        .map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
        .unwrap_or_else(|| t.to_owned())
}

fn parse_date(t: &str) -> Option<(u32, u32, u32)> {
    let (y, m, d, rest) = numeric_date(t).or_else(|| english_date(t))?;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => return None,
    };
    if !(1..=days).contains(&d) {
        return None;
    }
    // After the date only a time may follow: ` 10:20`, `T10:20:30+08:00`, ` 10:20 AM`.
    let mut rest = rest.chars();
    match (rest.next(), rest.next()) {
        (None, _) => Some((y, m, d)),
        (Some(' ' | 'T' | 't'), Some(c)) if c.is_ascii_digit() => Some((y, m, d)),
        _ => None,
    }
}

/// Leading digits: the number and the rest.
fn number(t: &str, max_len: usize) -> Option<(u32, &str)> {
    let len = t.bytes().take_while(u8::is_ascii_digit).count();
    if len == 0 || len > max_len {
        return None;
    }
    Some((t[..len].parse().ok()?, &t[len..]))
}

/// `2023-05-01`, `2023/5/1`, `2023.5.1`, `2023年5月1日`.
fn numeric_date(t: &str) -> Option<(u32, u32, u32, &str)> {
    let (y, rest) = number(t, 4).filter(|(_, r)| t.len() - r.len() == 4)?;
    let sep = rest.chars().next()?;
    if !matches!(sep, '-' | '/' | '.' | '年') {
        return None;
    }
    let (m, rest) = number(&rest[sep.len_utf8()..], 2)?;
    let rest = rest.strip_prefix(if sep == '年' { '月' } else { sep })?;
    let (d, rest) = number(rest, 2)?;
    // `2023年5月1日 下午3点` and the like: the date alone is clear enough.
    Some((y, m, d, if sep == '年' { "" } else { rest }))
}

/// `May 1, 2023`, `Sep 3 2023`, `1 May 2023`, each with an optional time after.
fn english_date(t: &str) -> Option<(u32, u32, u32, &str)> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let month = |word: &str| {
        let w = word.trim_end_matches('.').to_ascii_lowercase();
        let m = MONTHS.iter().position(|m| w.starts_with(m))? as u32 + 1;
        (w.len() == 3 || w.len() >= 4 && w.chars().all(|c| c.is_ascii_alphabetic())).then_some(m)
    };
    let mut words = t.splitn(4, ' ');
    let (a, b, c) = (words.next()?, words.next()?, words.next()?);
    let rest_start = a.len() + b.len() + c.len() + 2;
    let rest = &t[rest_start.min(t.len())..];
    let (m, d) = match (month(a), month(b)) {
        (Some(m), _) => (m, number(b.trim_end_matches(','), 2)?.0),
        (None, Some(m)) => (m, number(a, 2)?.0),
        _ => return None,
    };
    let (y, tail) = number(c, 4)?;
    if c.len() - tail.len() != 4 || !(tail.is_empty() || tail == ",") {
        return None;
    }
    Some((y, m, d, rest))
}
