//! PowerPoint (.pptx): slides in presentation order, one `##` section each.
//!
//! Order: `ppt/presentation.xml` lists the slides (`p:sldIdLst`) by relationship id,
//! `ppt/_rels/presentation.xml.rels` gives their parts; without a list, `slideN.xml` by N.
//! Each slide: its title placeholder (`title`/`ctrTitle`) as the heading (else "Slide N", or
//! "第 N 页" for a Chinese deck), body placeholders as list items nested by `a:pPr lvl`, other
//! text boxes as paragraphs (list items where they have bullets), tables as Markdown tables,
//! and speaker notes under a `> 备注 / Notes:` quote. Pictures and charts are not kept; a slide
//! with only pictures gets a warning.

use std::collections::HashMap;

use quick_xml::events::{BytesStart, Event};

use super::xml::{attr, attr_prefixed, decode, local, reader, text_of};
use super::zipread::{relationships, resolve_target, GuardedZip};
use super::{md, ExtractError, Extracted, Format, Limits};

pub(super) fn extract_pptx(bytes: &[u8], limits: &Limits) -> Result<Extracted, ExtractError> {
    let mut zip = GuardedZip::open(bytes, limits, Format::Pptx)?;
    let slide_parts = slide_order(&mut zip)?;
    if slide_parts.is_empty() && zip.index_of("ppt/presentation.xml").is_none() {
        return Err(ExtractError::corrupt(
            Format::Pptx,
            "it has no ppt/presentation.xml part",
        ));
    }
    let mut slides = Vec::new();
    let mut warnings = Vec::new();
    for (i, part) in slide_parts.iter().enumerate() {
        let number = i + 1;
        let Some(xml) = zip.read_named(part)? else {
            warnings.push(format!("slide {number} is missing from the file"));
            continue;
        };
        let mut slide = read_slide(&decode(&xml), false);
        if slide.damaged {
            warnings.push(format!(
                "slide {number} is damaged; its readable text was kept"
            ));
        }
        if let Some(notes_part) = notes_part(&mut zip, part)? {
            if let Some(notes_xml) = zip.read_named(&notes_part)? {
                slide.notes = read_slide(&decode(&notes_xml), true).body;
            }
        }
        if slide.body.is_empty() && slide.title.is_none() {
            if slide.pictures > 0 {
                warnings.push(format!("slide {number} has only pictures: no text"));
            } else {
                warnings.push(format!("slide {number} has no text"));
            }
        }
        slides.push((number, slide));
    }
    let chinese = slides.iter().any(|(_, s)| {
        s.title
            .iter()
            .chain(s.body.iter())
            .any(|t| t.chars().any(md::is_cjk))
    });
    let mut out = String::new();
    for (number, slide) in &slides {
        let heading = match &slide.title {
            Some(t) => t.clone(),
            None if chinese => format!("第 {number} 页"),
            None => format!("Slide {number}"),
        };
        out.push_str(&md::heading(2, &heading));
        out.push_str("\n\n");
        for block in &slide.body {
            out.push_str(block);
            out.push_str("\n\n");
        }
        if !slide.notes.is_empty() {
            let quoted: Vec<String> = slide
                .notes
                .iter()
                .map(|block| {
                    block
                        .lines()
                        .map(|line| format!("> {line}").trim_end().to_string())
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .collect();
            out.push_str("> 备注 / Notes:\n");
            out.push_str(&quoted.join("\n>\n"));
            out.push_str("\n\n");
        }
    }
    let markdown = out;
    let title = slides.first().and_then(|(_, s)| s.title.clone());
    Ok(Extracted {
        title,
        markdown,
        warnings,
    })
}

/// The slide parts in presentation order.
fn slide_order(zip: &mut GuardedZip<'_>) -> Result<Vec<String>, ExtractError> {
    let ids: Vec<String> = match zip.read_named("ppt/presentation.xml")? {
        Some(b) => {
            let text = decode(&b);
            let mut reader = reader(&text);
            let mut ids = Vec::new();
            loop {
                match reader.read_event() {
                    Ok(Event::Eof) | Err(_) => break,
                    Ok(Event::Start(e)) | Ok(Event::Empty(e)) if local(&e) == "sldId" => {
                        if let Some(id) = attr_prefixed(&e, "id") {
                            ids.push(id);
                        }
                    }
                    Ok(_) => {}
                }
            }
            ids
        }
        None => Vec::new(),
    };
    let rels: HashMap<String, String> = match zip.read_named("ppt/_rels/presentation.xml.rels")? {
        Some(b) => relationships(&decode(&b))
            .into_iter()
            .map(|(id, target, _)| (id, resolve_target("ppt/presentation.xml", &target)))
            .collect(),
        None => HashMap::new(),
    };
    let ordered: Vec<String> = ids.iter().filter_map(|id| rels.get(id).cloned()).collect();
    if !ordered.is_empty() {
        return Ok(ordered);
    }
    // No usable list: the slide parts by number.
    let mut numbered: Vec<(u32, String)> = zip
        .names()
        .into_iter()
        .filter_map(|name| {
            let n = name
                .strip_prefix("ppt/slides/slide")?
                .strip_suffix(".xml")?
                .parse()
                .ok()?;
            Some((n, name))
        })
        .collect();
    numbered.sort();
    Ok(numbered.into_iter().map(|(_, name)| name).collect())
}

/// The notes part of a slide, from the slide's relationships.
fn notes_part(zip: &mut GuardedZip<'_>, slide: &str) -> Result<Option<String>, ExtractError> {
    let (dir, file) = slide.rsplit_once('/').unwrap_or(("", slide));
    let rels_name = format!("{dir}/_rels/{file}.rels");
    let Some(b) = zip.read_named(&rels_name)? else {
        return Ok(None);
    };
    Ok(relationships(&decode(&b))
        .into_iter()
        .find(|(_, _, kind)| kind.ends_with("/notesSlide"))
        .map(|(_, target, _)| resolve_target(slide, &target)))
}

#[derive(Default)]
struct Slide {
    title: Option<String>,
    /// Markdown blocks: a shape's paragraphs or a table each.
    body: Vec<String>,
    notes: Vec<String>,
    pictures: usize,
    damaged: bool,
}

#[derive(Default)]
struct Shape {
    /// The placeholder type (`body` when a placeholder has none), `None` for a text box.
    ph: Option<String>,
    paras: Vec<Para>,
}

#[derive(Default)]
struct Para {
    level: u32,
    /// `Some(true)` with a bullet or number, `Some(false)` with `a:buNone`.
    bullet: Option<bool>,
    numbered: bool,
    text: String,
}

#[derive(Default)]
struct Table {
    rows: Vec<Vec<String>>,
    row: Option<Vec<String>>,
    cell: Option<String>,
}

/// Reads a slide (or, with `notes`, a notes page: only its body placeholder's text).
fn read_slide(text: &str, notes: bool) -> Slide {
    let mut slide = Slide::default();
    let mut reader = reader(text);
    let mut shape: Option<Shape> = None;
    let mut para: Option<Para> = None;
    let mut table: Option<Table> = None;
    let mut in_text = false;
    let mut skip = 0usize;
    loop {
        let event = match reader.read_event() {
            Ok(Event::Eof) => break,
            Err(_) => {
                slide.damaged = true;
                break;
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
            Event::Start(e) | Event::Empty(e) => {
                let empty = matches!(event, Event::Empty(_));
                let name = local(e);
                if name == "Fallback" && !empty {
                    skip = 1;
                    continue;
                }
                open(e, name, &mut slide, &mut shape, &mut para, &mut table);
                if name == "t" && !empty {
                    in_text = true;
                }
                if empty {
                    close(name, notes, &mut slide, &mut shape, &mut para, &mut table);
                }
            }
            Event::End(e) => {
                let name = e.local_name().into_inner();
                if name == "t" {
                    in_text = false;
                }
                close(name, notes, &mut slide, &mut shape, &mut para, &mut table);
            }
            other if in_text => {
                if let (Some(t), Some(p)) = (text_of(other), para.as_mut()) {
                    p.text.push_str(&t);
                }
            }
            _ => {}
        }
    }
    slide
}

fn open(
    e: &BytesStart<'_>,
    name: &str,
    slide: &mut Slide,
    shape: &mut Option<Shape>,
    para: &mut Option<Para>,
    table: &mut Option<Table>,
) {
    match name {
        "sp" => *shape = Some(Shape::default()),
        "ph" => {
            if let Some(s) = shape.as_mut() {
                s.ph = Some(attr(e, "type").unwrap_or_else(|| "body".to_string()));
            }
        }
        "p" => *para = Some(Para::default()),
        "pPr" => {
            if let Some(p) = para.as_mut() {
                p.level = attr(e, "lvl")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0)
                    .min(8);
            }
        }
        "buChar" | "buAutoNum" | "buBlip" => {
            if let Some(p) = para.as_mut() {
                p.bullet = Some(true);
                p.numbered = name == "buAutoNum";
            }
        }
        "buNone" => {
            if let Some(p) = para.as_mut() {
                p.bullet = Some(false);
            }
        }
        "br" => {
            if let Some(p) = para.as_mut() {
                p.text.push('\n');
            }
        }
        "pic" => slide.pictures += 1,
        "tbl" => *table = Some(Table::default()),
        "tr" => {
            if let Some(t) = table.as_mut() {
                t.row = Some(Vec::new());
            }
        }
        "tc" => {
            if let Some(t) = table.as_mut() {
                t.cell = Some(String::new());
            }
        }
        _ => {}
    }
}

fn close(
    name: &str,
    notes: bool,
    slide: &mut Slide,
    shape: &mut Option<Shape>,
    para: &mut Option<Para>,
    table: &mut Option<Table>,
) {
    match name {
        "p" => {
            let Some(p) = para.take() else { return };
            if let Some(cell) = table.as_mut().and_then(|t| t.cell.as_mut()) {
                let text = p.text.trim();
                if !text.is_empty() {
                    if !cell.is_empty() {
                        cell.push('\n');
                    }
                    cell.push_str(text);
                }
            } else if let Some(s) = shape.as_mut() {
                s.paras.push(p);
            }
        }
        "tc" => {
            if let Some(t) = table.as_mut() {
                let cell = t.cell.take().unwrap_or_default();
                t.row.get_or_insert_with(Vec::new).push(cell);
            }
        }
        "tr" => {
            if let Some(t) = table.as_mut() {
                if let Some(row) = t.row.take() {
                    t.rows.push(row);
                }
            }
        }
        "tbl" => {
            if let Some(t) = table.take() {
                let rows: Vec<Vec<String>> = t
                    .rows
                    .into_iter()
                    .filter(|r| r.iter().any(|c| !c.trim().is_empty()))
                    .collect();
                if !rows.is_empty() && !notes {
                    slide.body.push(md::table(&rows));
                }
            }
        }
        "sp" => {
            if let Some(s) = shape.take() {
                end_shape(s, notes, slide);
            }
        }
        _ => {}
    }
}

fn end_shape(shape: Shape, notes: bool, slide: &mut Slide) {
    let ph = shape.ph.as_deref();
    if notes {
        // A notes page: only the notes themselves, not the slide image or page number.
        if ph != Some("body") {
            return;
        }
    }
    match ph {
        Some("sldNum" | "dt" | "ftr" | "hdr" | "sldImg") => return,
        Some("title" | "ctrTitle") if slide.title.is_none() && !notes => {
            let title = md::one_line(
                &shape
                    .paras
                    .iter()
                    .map(|p| p.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            if !title.is_empty() {
                slide.title = Some(title);
            }
            return;
        }
        _ => {}
    }
    let body_placeholder = matches!(ph, Some("body" | "obj")) && !notes;
    let mut lines: Vec<String> = Vec::new();
    let mut counters = [0usize; 9];
    for p in &shape.paras {
        let text = p.text.trim();
        if text.is_empty() {
            continue;
        }
        let is_item = match p.bullet {
            Some(b) => b,
            None => body_placeholder,
        };
        if is_item {
            let level = p.level as usize;
            for c in counters.iter_mut().skip(level + 1) {
                *c = 0;
            }
            let marker = if p.numbered {
                counters[level] += 1;
                format!("{}. ", counters[level])
            } else {
                "- ".to_string()
            };
            lines.push(format!(
                "{}{marker}{}",
                "   ".repeat(level),
                md::one_line(text)
            ));
        } else {
            counters = [0; 9];
            // A plain paragraph: its own block.
            lines.push(format!("\n{text}\n"));
        }
    }
    let block = md::clean(&lines.join("\n"));
    if !block.is_empty() {
        slide.body.push(block);
    }
}
