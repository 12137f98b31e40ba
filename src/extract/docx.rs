//! Word (.docx): `word/document.xml` read as a stream of events.
//!
//! Kept: paragraphs; headings from the paragraph style (`styles.xml` resolves style ids, which
//! Chinese Word writes as `1`, `2`, … for `标题 1`, to names such as `heading 1`; `Title` is a
//! first-level heading; a style's outline level counts too); bulleted and numbered lists with
//! their levels (`numbering.xml` tells bullets from numbers); tables (nested tables flattened
//! into their cell); tabs and line breaks; text boxes; tracked insertions. Dropped: tracked
//! deletions, field codes, pictures (counted in a warning), headers, footers, footnotes,
//! comments.

use std::collections::HashMap;

use quick_xml::events::{BytesStart, Event};

use super::xml::{attr, decode, first_text_of, local, reader, text_of};
use super::zipread::GuardedZip;
use super::{md, ExtractError, Extracted, Format, Limits};

pub(super) fn extract_docx(bytes: &[u8], limits: &Limits) -> Result<Extracted, ExtractError> {
    let mut zip = GuardedZip::open(bytes, limits, Format::Docx)?;
    let document = zip
        .read_named("word/document.xml")?
        .ok_or_else(|| ExtractError::corrupt(Format::Docx, "it has no word/document.xml part"))?;
    let styles = match zip.read_named("word/styles.xml")? {
        Some(b) => Styles::parse(&decode(&b)),
        None => Styles::default(),
    };
    let numbering = match zip.read_named("word/numbering.xml")? {
        Some(b) => Numbering::parse(&decode(&b)),
        None => Numbering::default(),
    };
    let core_title = zip
        .read_named("docProps/core.xml")?
        .and_then(|b| first_text_of(&decode(&b), "title"));

    let mut body = Body::new(&styles, &numbering);
    let damaged = body.read(&decode(&document));
    let mut warnings = Vec::new();
    if let Some(at) = damaged {
        warnings.push(format!(
            "word/document.xml is damaged ({at}); the text before the damage was kept"
        ));
    }
    if body.pictures > 0 {
        warnings.push(format!(
            "{} picture(s) in the document were not imported: only text is",
            body.pictures
        ));
    }
    let title = core_title.or_else(|| body.first_heading.clone());
    Ok(Extracted {
        title,
        markdown: body.render(),
        warnings,
    })
}

/// Paragraph styles: id → heading level and list kind.
#[derive(Default)]
struct Styles {
    heading: HashMap<String, usize>,
    /// Styles carrying numbering (`List Bullet`, `List Number`): id → numId, or a kind by name.
    list: HashMap<String, ListStyle>,
}

#[derive(Clone)]
enum ListStyle {
    NumId(String),
    Bullet,
    Ordered,
}

impl Styles {
    fn parse(text: &str) -> Styles {
        struct Raw {
            name: String,
            based_on: Option<String>,
            outline: Option<usize>,
            num_id: Option<String>,
        }
        let mut raw: HashMap<String, Raw> = HashMap::new();
        let mut reader = reader(text);
        let mut current: Option<(String, Raw)> = None;
        loop {
            let event = match reader.read_event() {
                Ok(Event::Eof) | Err(_) => break,
                Ok(e) => e,
            };
            match &event {
                Event::Start(e) | Event::Empty(e) => match local(e) {
                    "style" => {
                        if let Some((id, r)) = current.take() {
                            raw.insert(id, r);
                        }
                        let id = attr(e, "styleId").unwrap_or_default();
                        current = Some((
                            id,
                            Raw {
                                name: String::new(),
                                based_on: None,
                                outline: None,
                                num_id: None,
                            },
                        ));
                        if matches!(event, Event::Empty(_)) {
                            if let Some((id, r)) = current.take() {
                                raw.insert(id, r);
                            }
                        }
                    }
                    "name" => {
                        if let Some((_, r)) = current.as_mut() {
                            r.name = attr(e, "val").unwrap_or_default();
                        }
                    }
                    "basedOn" => {
                        if let Some((_, r)) = current.as_mut() {
                            r.based_on = attr(e, "val");
                        }
                    }
                    "outlineLvl" => {
                        if let Some((_, r)) = current.as_mut() {
                            r.outline = attr(e, "val").and_then(|v| v.parse().ok());
                        }
                    }
                    "numId" => {
                        if let Some((_, r)) = current.as_mut() {
                            r.num_id = attr(e, "val");
                        }
                    }
                    _ => {}
                },
                Event::End(e) if e.local_name().into_inner() == "style" => {
                    if let Some((id, r)) = current.take() {
                        raw.insert(id, r);
                    }
                }
                _ => {}
            }
        }
        if let Some((id, r)) = current.take() {
            raw.insert(id, r);
        }
        let own_level = |id: &str, r: &Raw| -> Option<usize> {
            heading_level_by_name(&r.name)
                .or_else(|| heading_level_by_name(id))
                .or(r.outline.filter(|&o| o < 6).map(|o| o + 1))
        };
        let mut styles = Styles::default();
        for (id, r) in &raw {
            // Follow basedOn a few steps: custom styles built on a heading are headings.
            let mut level = own_level(id, r);
            let mut next = r.based_on.clone();
            let mut steps = 0;
            while level.is_none() && steps < 8 {
                let Some(parent_id) = next else { break };
                let Some(parent) = raw.get(&parent_id) else {
                    break;
                };
                level = own_level(&parent_id, parent);
                next = parent.based_on.clone();
                steps += 1;
            }
            if let Some(level) = level {
                styles.heading.insert(id.clone(), level);
            }
            let lower = r.name.to_lowercase();
            let list = match &r.num_id {
                Some(n) if n != "0" => Some(ListStyle::NumId(n.clone())),
                _ if lower.starts_with("list bullet") => Some(ListStyle::Bullet),
                _ if lower.starts_with("list number") => Some(ListStyle::Ordered),
                _ => None,
            };
            if let Some(list) = list {
                styles.list.insert(id.clone(), list);
            }
        }
        styles
    }

    fn heading_level(&self, style_id: &str) -> Option<usize> {
        self.heading
            .get(style_id)
            .copied()
            .or_else(|| heading_level_by_name(style_id))
    }
}

/// `heading 1`, `Heading1`, `标题 1`, `标题1`, `Title`, `标题` → a level.
fn heading_level_by_name(name: &str) -> Option<usize> {
    let lower = name.trim().to_lowercase();
    if lower == "title" || lower == "标题" {
        return Some(1);
    }
    let rest = lower
        .strip_prefix("heading")
        .or_else(|| lower.strip_prefix("标题"))?;
    let n: usize = rest.trim().parse().ok()?;
    (1..=9).contains(&n).then_some(n.min(6))
}

/// Numbering definitions: numId → abstract → level → ordered?
#[derive(Default)]
struct Numbering {
    num_to_abstract: HashMap<String, String>,
    ordered: HashMap<(String, u32), bool>,
}

impl Numbering {
    fn parse(text: &str) -> Numbering {
        let mut n = Numbering::default();
        let mut reader = reader(text);
        let mut abstract_id: Option<String> = None;
        let mut level: Option<u32> = None;
        let mut num_id: Option<String> = None;
        loop {
            let event = match reader.read_event() {
                Ok(Event::Eof) | Err(_) => break,
                Ok(e) => e,
            };
            match &event {
                Event::Start(e) | Event::Empty(e) => match local(e) {
                    "abstractNum" => abstract_id = attr(e, "abstractNumId"),
                    "lvl" => level = attr(e, "ilvl").and_then(|v| v.parse().ok()),
                    "numFmt" => {
                        if let (Some(a), Some(l)) = (&abstract_id, level) {
                            let fmt = attr(e, "val").unwrap_or_default();
                            n.ordered
                                .insert((a.clone(), l), fmt != "bullet" && fmt != "none");
                        }
                    }
                    "num" => num_id = attr(e, "numId"),
                    "abstractNumId" => {
                        if let (Some(id), Some(a)) = (&num_id, attr(e, "val")) {
                            n.num_to_abstract.insert(id.clone(), a);
                        }
                    }
                    _ => {}
                },
                Event::End(e) => match e.local_name().into_inner() {
                    "abstractNum" => abstract_id = None,
                    "num" => num_id = None,
                    _ => {}
                },
                _ => {}
            }
        }
        n
    }

    /// Whether items of `num_id` at `level` are numbered; bullets when unknown.
    fn is_ordered(&self, num_id: &str, level: u32) -> bool {
        self.num_to_abstract
            .get(num_id)
            .and_then(|a| self.ordered.get(&(a.clone(), level)))
            .copied()
            .unwrap_or(false)
    }
}

/// A block of the body.
enum Block {
    Heading(usize, String),
    Item {
        ordered: bool,
        level: u32,
        key: String,
        text: String,
    },
    Para(String),
    Table(Vec<Vec<String>>),
}

/// The paragraph being read.
#[derive(Default)]
struct Para {
    style: Option<String>,
    num_id: Option<String>,
    ilvl: Option<u32>,
    text: String,
}

#[derive(Default)]
struct Table {
    rows: Vec<Vec<String>>,
    row: Option<Vec<String>>,
    cell: Option<String>,
}

struct Body<'a> {
    styles: &'a Styles,
    numbering: &'a Numbering,
    blocks: Vec<Block>,
    paras: Vec<Para>,
    tables: Vec<Table>,
    first_heading: Option<String>,
    pictures: usize,
    /// Open `w:r` elements: tabs and breaks count only inside runs (`w:tabs` in paragraph
    /// properties defines tab stops).
    runs: usize,
}

impl<'a> Body<'a> {
    fn new(styles: &'a Styles, numbering: &'a Numbering) -> Body<'a> {
        Body {
            styles,
            numbering,
            blocks: Vec::new(),
            paras: Vec::new(),
            tables: Vec::new(),
            first_heading: None,
            pictures: 0,
            runs: 0,
        }
    }

    /// Reads the document; `Some(where)` when the XML breaks off.
    fn read(&mut self, text: &str) -> Option<String> {
        let mut reader = reader(text);
        // Depth inside a skipped subtree (deletions, fallbacks, field codes), 0 when not.
        let mut skip = 0usize;
        let mut in_text = false;
        loop {
            let event = match reader.read_event() {
                Ok(Event::Eof) => break,
                Err(e) => {
                    self.finish_open();
                    return Some(format!("at byte {}: {e}", reader.buffer_position()));
                }
                Ok(e) => e,
            };
            if skip > 0 {
                match event {
                    Event::Start(_) => skip += 1,
                    Event::End(_) => skip -= 1,
                    _ => {}
                }
                continue;
            }
            match &event {
                Event::Start(e) => {
                    if is_skipped(local(e)) {
                        skip = 1;
                        continue;
                    }
                    match local(e) {
                        "t" => in_text = true,
                        "r" => self.runs += 1,
                        _ => {}
                    }
                    self.open(e);
                }
                Event::Empty(e) => {
                    self.open(e);
                    self.close(local(e));
                }
                Event::End(e) => {
                    let name = e.local_name().into_inner();
                    match name {
                        "t" => in_text = false,
                        "r" => self.runs = self.runs.saturating_sub(1),
                        _ => {}
                    }
                    self.close(name);
                }
                other if in_text => {
                    if let (Some(t), Some(p)) = (text_of(other), self.paras.last_mut()) {
                        p.text.push_str(&t);
                    }
                }
                _ => {}
            }
        }
        self.finish_open();
        None
    }

    fn open(&mut self, e: &BytesStart<'_>) {
        match local(e) {
            "p" => self.paras.push(Para::default()),
            "pStyle" => {
                if let Some(p) = self.paras.last_mut() {
                    p.style = attr(e, "val");
                }
            }
            "numId" => {
                if let Some(p) = self.paras.last_mut() {
                    p.num_id = attr(e, "val");
                }
            }
            "ilvl" => {
                if let Some(p) = self.paras.last_mut() {
                    p.ilvl = attr(e, "val").and_then(|v| v.parse().ok());
                }
            }
            "tab" | "ptab" => self.push_text("\t"),
            "br" | "cr" if attr(e, "type").as_deref() != Some("page") => self.push_text("\n"),
            "noBreakHyphen" => self.push_text("-"),
            "drawing" | "pict" => self.pictures += 1,
            "tbl" => self.tables.push(Table::default()),
            "tr" => {
                if let Some(t) = self.tables.last_mut() {
                    t.row = Some(Vec::new());
                }
            }
            "tc" => {
                if let Some(t) = self.tables.last_mut() {
                    t.cell = Some(String::new());
                }
            }
            _ => {}
        }
    }

    fn close(&mut self, name: &str) {
        match name {
            "p" => {
                if let Some(p) = self.paras.pop() {
                    self.end_paragraph(p);
                }
            }
            "tc" => {
                if let Some(t) = self.tables.last_mut() {
                    let cell = t.cell.take().unwrap_or_default();
                    t.row.get_or_insert_with(Vec::new).push(cell);
                }
            }
            "tr" => {
                if let Some(t) = self.tables.last_mut() {
                    if let Some(row) = t.row.take() {
                        t.rows.push(row);
                    }
                }
            }
            "tbl" => {
                if let Some(t) = self.tables.pop() {
                    self.end_table(t);
                }
            }
            _ => {}
        }
    }

    fn push_text(&mut self, s: &str) {
        if self.runs == 0 {
            return;
        }
        if let Some(p) = self.paras.last_mut() {
            p.text.push_str(s);
        }
    }

    /// Closes whatever a broken-off document left open.
    fn finish_open(&mut self) {
        while let Some(p) = self.paras.pop() {
            self.end_paragraph(p);
        }
        while let Some(mut t) = self.tables.pop() {
            if let Some(row) = t.row.take() {
                t.rows.push(row);
            }
            self.end_table(t);
        }
    }

    fn end_paragraph(&mut self, p: Para) {
        let text = p.text.trim().to_string();
        // Inside a table cell: the cell gets the text, paragraphs as line breaks.
        if let Some(cell) = self.tables.last_mut().and_then(|t| t.cell.as_mut()) {
            if !text.is_empty() {
                if !cell.is_empty() {
                    cell.push('\n');
                }
                cell.push_str(&text);
            }
            return;
        }
        if text.is_empty() {
            return;
        }
        let style = p.style.as_deref().unwrap_or("");
        if let Some(level) = self.styles.heading_level(style) {
            let heading = md::one_line(&text);
            if self.first_heading.is_none() && level == 1 {
                self.first_heading = Some(heading.clone());
            }
            self.blocks.push(Block::Heading(level, heading));
            return;
        }
        let style_list = self.styles.list.get(style).cloned();
        let num_id = p.num_id.filter(|n| n != "0").or(match &style_list {
            Some(ListStyle::NumId(n)) => Some(n.clone()),
            _ => None,
        });
        let level = p.ilvl.unwrap_or(0).min(8);
        match (num_id, style_list) {
            (Some(num_id), _) => self.blocks.push(Block::Item {
                ordered: self.numbering.is_ordered(&num_id, level),
                level,
                key: num_id,
                text,
            }),
            (None, Some(kind)) => self.blocks.push(Block::Item {
                ordered: matches!(kind, ListStyle::Ordered),
                level,
                key: format!("style:{style}"),
                text,
            }),
            (None, None) => self.blocks.push(Block::Para(text)),
        }
    }

    fn end_table(&mut self, t: Table) {
        let rows: Vec<Vec<String>> = t
            .rows
            .into_iter()
            .filter(|r| r.iter().any(|c| !c.trim().is_empty()))
            .collect();
        if rows.is_empty() {
            return;
        }
        // A table inside a cell is flattened into that cell.
        if let Some(cell) = self.tables.last_mut().and_then(|t| t.cell.as_mut()) {
            let flat: Vec<String> = rows.iter().map(|r| md::one_line(&r.join(" | "))).collect();
            if !cell.is_empty() {
                cell.push('\n');
            }
            cell.push_str(&flat.join("\n"));
            return;
        }
        self.blocks.push(Block::Table(rows));
    }

    fn render(&self) -> String {
        let mut out = String::new();
        // Numbers of ordered items per list and level; reset when a shallower item comes.
        let mut counters: HashMap<(String, u32), usize> = HashMap::new();
        let mut previous_was_item = false;
        for block in &self.blocks {
            let is_item = matches!(block, Block::Item { .. });
            if !out.is_empty() {
                out.push_str(if is_item && previous_was_item {
                    "\n"
                } else {
                    "\n\n"
                });
            }
            if !is_item {
                counters.clear();
            }
            match block {
                Block::Heading(level, text) => out.push_str(&md::heading(*level, text)),
                Block::Para(text) => out.push_str(text),
                Block::Item {
                    ordered,
                    level,
                    key,
                    text,
                } => {
                    counters.retain(|(k, l), _| k != key || l <= level);
                    let indent = "   ".repeat(*level as usize);
                    let marker = if *ordered {
                        let n = counters.entry((key.clone(), *level)).or_insert(0);
                        *n += 1;
                        format!("{n}. ")
                    } else {
                        "- ".to_string()
                    };
                    out.push_str(&indent);
                    out.push_str(&marker);
                    out.push_str(&text.replace('\n', " "));
                }
                Block::Table(rows) => out.push_str(&md::table(rows)),
            }
            previous_was_item = is_item;
        }
        out
    }
}

/// Subtrees whose text is not the document's: tracked deletions and moves away, the fallback
/// copy of alternate content, field instructions, deleted text.
fn is_skipped(name: &str) -> bool {
    matches!(
        name,
        "del" | "moveFrom" | "Fallback" | "instrText" | "delText" | "delInstrText"
    )
}
