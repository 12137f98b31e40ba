//! Tests of the conversions, on fixtures built here: Office files are zips of hand-written XML
//! parts, PDFs are written object by object. (Real files made with python-docx and friends are
//! a separate set.) `.ods` and `.xls` have no unit test here: calamine cannot write and a
//! hand-made ODS or BIFF file is out of proportion; they are covered by the fixture files.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::*;

// ---------- fixture builders ----------

/// A deflated zip of the given parts.
pub(super) fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, bytes) in files {
        w.start_file(*name, options).expect("start");
        w.write_all(bytes).expect("write");
    }
    w.finish().expect("finish").into_inner()
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A stored zip written byte by byte, names as raw bytes with the given flags (bit 0:
/// encrypted, bit 11: UTF-8 names) — what the zip writer will not produce.
pub(super) fn raw_zip(entries: &[(&[u8], &[u8], u16)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data, flags) in entries {
        let offset = out.len() as u32;
        let crc = crc32(data);
        let header = |sig: &[u8], central: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(sig);
            if central {
                h.extend_from_slice(&20u16.to_le_bytes()); // made by
            }
            h.extend_from_slice(&20u16.to_le_bytes()); // needed
            h.extend_from_slice(&flags.to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // stored
            h.extend_from_slice(&0u32.to_le_bytes()); // time, date
            h.extend_from_slice(&crc.to_le_bytes());
            h.extend_from_slice(&(data.len() as u32).to_le_bytes());
            h.extend_from_slice(&(data.len() as u32).to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra
            if central {
                h.extend_from_slice(&0u16.to_le_bytes()); // comment
                h.extend_from_slice(&0u16.to_le_bytes()); // disk
                h.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
                h.extend_from_slice(&0u32.to_le_bytes()); // external attributes
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(name);
            h
        };
        out.extend(header(b"PK\x03\x04", false));
        out.extend_from_slice(data);
        central.extend(header(b"PK\x01\x02", true));
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;

fn docx_document() -> String {
    let p = |style: &str, text: &str| {
        format!(
            r#"<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>"#
        )
    };
    let item = |num: u32, level: u32, text: &str| {
        format!(
            r#"<w:p><w:pPr><w:numPr><w:ilvl w:val="{level}"/><w:numId w:val="{num}"/></w:numPr></w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>"#
        )
    };
    let cell = |text: &str| format!(r#"<w:tc><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>"#);
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {W}><w:body>{}<w:p><w:r><w:t xml:space="preserve">Intro </w:t></w:r><w:r><w:t>text &amp; more</w:t></w:r></w:p>{}{}{}{}{}<w:p><w:r><w:t>Kept</w:t></w:r><w:del><w:r><w:delText>Deleted</w:delText></w:r></w:del><w:ins><w:r><w:t xml:space="preserve"> inserted</w:t></w:r></w:ins></w:p><w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr><w:r><w:t>A</w:t><w:tab/><w:t>B</w:t><w:br/><w:t>C</w:t></w:r></w:p><w:tbl><w:tr>{}{}</w:tr><w:tr><w:tc><w:p><w:r><w:t>Gold|VIP</w:t></w:r></w:p><w:p><w:r><w:t>line2</w:t></w:r></w:p></w:tc>{}</w:tr></w:tbl><w:p/><w:sectPr/></w:body></w:document>"#,
        p("1", "销售方案"),
        p("Heading2", "Pricing"),
        item(1, 0, "First bullet"),
        item(1, 1, "Nested bullet"),
        item(2, 0, "Step one"),
        item(2, 0, "Step two"),
        cell("Plan"),
        cell("Price"),
        cell("100"),
    )
}

fn docx_styles() -> String {
    format!(
        r#"<w:styles {W}><w:style w:type="paragraph" w:default="1" w:styleId="a"><w:name w:val="Normal"/></w:style><w:style w:type="paragraph" w:styleId="1"><w:name w:val="heading 1"/><w:basedOn w:val="a"/></w:style></w:styles>"#
    )
}

fn docx_numbering() -> String {
    format!(
        r#"<w:numbering {W}><w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/></w:lvl><w:lvl w:ilvl="1"><w:numFmt w:val="bullet"/></w:lvl></w:abstractNum><w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:numFmt w:val="decimal"/></w:lvl></w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num><w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num></w:numbering>"#
    )
}

pub(super) fn docx_fixture(with_core_title: bool) -> Vec<u8> {
    let document = docx_document();
    let styles = docx_styles();
    let numbering = docx_numbering();
    let core = r#"<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>年度方案</dc:title></cp:coreProperties>"#;
    let mut files: Vec<(&str, &[u8])> = vec![
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", document.as_bytes()),
        ("word/styles.xml", styles.as_bytes()),
        ("word/numbering.xml", numbering.as_bytes()),
    ];
    if with_core_title {
        files.push(("docProps/core.xml", core.as_bytes()));
    }
    zip_of(&files)
}

const P: &str = r#"xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main""#;

pub(super) fn pptx_fixture() -> Vec<u8> {
    let presentation = format!(
        r#"<p:presentation {P}><p:sldIdLst><p:sldId id="256" r:id="rId3"/><p:sldId id="257" r:id="rId2"/></p:sldIdLst></p:presentation>"#
    );
    let rels = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slideMaster" Target="slideMasters/slideMaster1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide" Target="slides/slide1.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide" Target="slides/slide2.xml"/></Relationships>"#;
    let shape = |ph: &str, paras: &str| {
        format!(
            r#"<p:sp><p:nvSpPr><p:cNvPr id="2" name="s"/><p:cNvSpPr/><p:nvPr>{ph}</p:nvPr></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/>{paras}</p:txBody></p:sp>"#
        )
    };
    let para = |lvl: u32, text: &str| {
        format!(
            r#"<a:p><a:pPr lvl="{lvl}"/><a:r><a:rPr lang="zh-CN"/><a:t>{text}</a:t></a:r></a:p>"#
        )
    };
    let cell = |t: &str| {
        format!(
            r#"<a:tc><a:txBody><a:bodyPr/><a:p><a:r><a:t>{t}</a:t></a:r></a:p></a:txBody></a:tc>"#
        )
    };
    let table = format!(
        r#"<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="5" name="t"/><p:cNvGraphicFramePr/><p:nvPr/></p:nvGraphicFramePr><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/table"><a:tbl><a:tr h="1">{}{}</a:tr><a:tr h="1">{}{}</a:tr></a:tbl></a:graphicData></a:graphic></p:graphicFrame>"#,
        cell("Plan"),
        cell("Price"),
        cell("Gold"),
        cell("100")
    );
    let first_shown = format!(
        r#"<p:sld {P}><p:cSld><p:spTree>{}{}{}{}{}</p:spTree></p:cSld></p:sld>"#,
        shape(r#"<p:ph type="title"/>"#, &para(0, "Pricing 定价")),
        shape(
            r#"<p:ph idx="1"/>"#,
            &format!("{}{}", para(0, "Gold plan"), para(1, "Annual billing"))
        ),
        shape("", &para(0, "Contact us")),
        table,
        shape(r#"<p:ph type="sldNum" idx="12"/>"#, &para(0, "1")),
    );
    let pictures_only = format!(
        r#"<p:sld {P}><p:cSld><p:spTree><p:pic><p:nvPicPr><p:cNvPr id="4" name="Picture"/><p:cNvPicPr/><p:nvPr/></p:nvPicPr></p:pic></p:spTree></p:cSld></p:sld>"#
    );
    let slide2_rels = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/notesSlide" Target="../notesSlides/notesSlide1.xml"/></Relationships>"#;
    let notes = format!(
        r#"<p:notes {P}><p:cSld><p:spTree>{}{}{}</p:spTree></p:cSld></p:notes>"#,
        shape(r#"<p:ph type="sldImg"/>"#, ""),
        shape(
            r#"<p:ph type="body" idx="1"/>"#,
            &format!("{}{}", para(0, "Mention the discount"), para(0, "强调折扣"))
        ),
        shape(r#"<p:ph type="sldNum" idx="5"/>"#, &para(0, "1")),
    );
    zip_of(&[
        ("ppt/presentation.xml", presentation.as_bytes()),
        ("ppt/_rels/presentation.xml.rels", rels.as_bytes()),
        ("ppt/slides/slide1.xml", pictures_only.as_bytes()),
        ("ppt/slides/slide2.xml", first_shown.as_bytes()),
        ("ppt/slides/_rels/slide2.xml.rels", slide2_rels.as_bytes()),
        ("ppt/notesSlides/notesSlide1.xml", notes.as_bytes()),
    ])
}

const S: &str = r#"xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;

fn xlsx_fixture(extra_rows: usize) -> Vec<u8> {
    let workbook = format!(
        r#"<workbook {S}><sheets><sheet name="报价" sheetId="1" r:id="rId1"/><sheet name="Empty" sheetId="2" r:id="rId2"/></sheets></workbook>"#
    );
    let rels = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/></Relationships>"#;
    let styles = format!(
        r#"<styleSheet {S}><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>"#
    );
    let s = |r: &str, t: &str| format!(r#"<c r="{r}" t="inlineStr"><is><t>{t}</t></is></c>"#);
    let mut rows = format!(
        r#"<row r="1">{}{}{}</row><row r="2">{}<c r="B2"><v>0.1</v></c><c r="C2" s="1"><v>45943</v></c></row><row r="4">{}<c r="B4"><v>3</v></c><c r="C4"><v>1234.5</v></c></row>"#,
        s("A1", "产品"),
        s("B1", "Price"),
        s("C1", "Date"),
        s("A2", "Gold|VIP"),
        s("A4", "Silver"),
    );
    for i in 0..extra_rows {
        let r = 10 + i;
        rows.push_str(&format!(r#"<row r="{r}"><c r="A{r}"><v>{i}</v></c></row>"#));
    }
    // A cell far away: the used range is huge, the cells are few.
    rows.push_str(&format!(
        r#"<row r="1048576">{}</row>"#,
        s("XFD1048576", "far")
    ));
    let sheet1 = format!(r#"<worksheet {S}><sheetData>{rows}</sheetData></worksheet>"#);
    let sheet2 = format!(r#"<worksheet {S}><sheetData/></worksheet>"#);
    let root_rels = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
    zip_of(&[
        ("_rels/.rels", root_rels.as_bytes()),
        ("xl/workbook.xml", workbook.as_bytes()),
        ("xl/_rels/workbook.xml.rels", rels.as_bytes()),
        ("xl/styles.xml", styles.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet1.as_bytes()),
        ("xl/worksheets/sheet2.xml", sheet2.as_bytes()),
    ])
}

/// A PDF with the given content stream, written with a correct cross-reference table.
fn pdf_with(content: &str, title: Option<&str>) -> Vec<u8> {
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    if let Some(t) = title {
        objects.push(format!("<< /Title ({t}) >>"));
    }
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    let info = if title.is_some() { " /Info 6 0 R" } else { "" };
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R{info} >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

pub(super) fn ok(name: &str, bytes: &[u8]) -> Extracted {
    match extract(name, bytes, &Limits::default()) {
        Ok(e) => e,
        Err(e) => panic!("{name}: {e} ({})", e.code()),
    }
}

pub(super) fn err(name: &str, bytes: &[u8]) -> ExtractError {
    match extract(name, bytes, &Limits::default()) {
        Ok(e) => panic!("{name}: expected an error, got {e:?}"),
        Err(e) => e,
    }
}

// ---------- formats ----------

#[test]
fn format_by_extension_and_magic() {
    assert_eq!(Format::of("a.DOCX", b"PK\x03\x04"), Some(Format::Docx));
    assert_eq!(Format::of("报价.Xlsm", b""), Some(Format::Xlsx));
    assert_eq!(Format::of("old.xls", b"PK\x03\x04"), Some(Format::Xlsx));
    assert_eq!(Format::of("notes.markdown", b""), Some(Format::Markdown));
    assert_eq!(Format::of("page.htm", b""), Some(Format::Html));
    assert_eq!(Format::of("a.doc", b""), None);
    assert_eq!(Format::of("README", b""), None);
    assert_eq!(Format::Pdf.as_str(), "pdf");
    assert_eq!(Format::Xls.content_type(), "application/vnd.ms-excel");
    let e = err("a.doc", b"x");
    assert_eq!(e.code(), "unsupported_format");
    assert!(e.to_string().contains(".docx"), "{e}");
}

#[test]
fn docx_headings_lists_tables() {
    let out = ok("方案.docx", &docx_fixture(true));
    let md = &out.markdown;
    assert!(
        md.starts_with("# 销售方案\n\nIntro text & more\n\n## Pricing\n\n"),
        "{md}"
    );
    assert!(
        md.contains("- First bullet\n   - Nested bullet\n1. Step one\n2. Step two"),
        "{md}"
    );
    assert!(md.contains("Kept inserted"), "{md}");
    assert!(!md.contains("Deleted"), "{md}");
    assert!(md.contains("A\tB\nC"), "{md}");
    assert!(
        md.contains("| Plan | Price |\n| --- | --- |\n| Gold\\|VIP<br>line2 | 100 |"),
        "{md}"
    );
    assert_eq!(out.title.as_deref(), Some("年度方案"));
    // Without a title property: the first heading.
    let out = ok("方案.docx", &docx_fixture(false));
    assert_eq!(out.title.as_deref(), Some("销售方案"));
    assert!(!out.markdown.contains("\n\n\n"));
}

#[test]
fn pptx_order_titles_bullets_table_notes() {
    let out = ok("course.pptx", &pptx_fixture());
    let md = &out.markdown;
    assert_eq!(out.title.as_deref(), Some("Pricing 定价"));
    let expected_start = "## Pricing 定价\n\n- Gold plan\n   - Annual billing\n\nContact us\n\n| Plan | Price |\n| --- | --- |\n| Gold | 100 |\n\n> 备注 / Notes:\n> Mention the discount\n>\n> 强调折扣\n\n## 第 2 页";
    assert!(md.starts_with(expected_start), "{md}");
    assert!(!md.contains("\n1\n"), "slide numbers are dropped: {md}");
    assert_eq!(out.warnings, vec!["slide 2 has only pictures: no text"]);
}

#[test]
fn xlsx_sheets_as_tables() {
    let out = ok("报价.xlsx", &xlsx_fixture(0));
    let md = &out.markdown;
    assert!(md.starts_with("## 报价\n\n| 产品 | Price | Date |  |\n| --- | --- | --- | --- |\n| Gold\\|VIP | 0.1 | 2025-10-13 |  |\n| Silver | 3 | 1234.5 |  |\n|  |  |  | far |"), "{md}");
    assert!(!md.contains("## Empty"), "{md}");
    assert_eq!(out.title, None);
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
}

#[test]
fn xlsx_rows_over_the_limit_are_counted() {
    let out = ok("big.xlsx", &xlsx_fixture(sheet::MAX_ROWS + 50));
    // Three rows of the header block, then MAX_ROWS - 3 of the generated ones are kept.
    let left_out = 50 + 3 + 1;
    assert!(
        out.warnings
            .iter()
            .any(|w| w.contains(&format!("{left_out} rows were left out"))),
        "{:?}",
        out.warnings
    );
    let table_rows = out.markdown.lines().filter(|l| l.starts_with('|')).count();
    assert_eq!(
        table_rows,
        sheet::MAX_ROWS + 1,
        "rows plus the separator line"
    );
}

#[test]
fn numbers_without_float_noise() {
    assert_eq!(sheet::number(3.0), "3");
    assert_eq!(sheet::number(0.1 + 0.2), "0.30000000000000004");
    assert_eq!(sheet::number(1234.5), "1234.5");
    assert_eq!(sheet::number(-2.0), "-2");
    assert_eq!(sheet::number(1e20), "100000000000000000000");
}

#[test]
fn text_gbk_utf16_utf8() {
    let (gbk, _, _) = encoding_rs::GBK.encode("销售方案，价格 100 元");
    assert_eq!(ok("a.txt", &gbk).markdown, "销售方案，价格 100 元");
    let mut le = vec![0xFF, 0xFE];
    le.extend("客户 notes".encode_utf16().flat_map(u16::to_le_bytes));
    assert_eq!(ok("a.txt", &le).markdown, "客户 notes");
    let mut be = vec![0xFE, 0xFF];
    be.extend("客户 notes".encode_utf16().flat_map(u16::to_be_bytes));
    assert_eq!(ok("a.TXT", &be).markdown, "客户 notes");
    let bare: Vec<u8> = "plain ASCII as UTF-16"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    assert_eq!(ok("a.txt", &bare).markdown, "plain ASCII as UTF-16");
    let utf8 = "\u{feff}第一行\r\n\r\n\r\n\r\n第二行  ".as_bytes();
    assert_eq!(ok("a.txt", utf8).markdown, "第一行\n\n第二行");
}

#[test]
fn markdown_is_returned_as_is() {
    let md = "---\ntitle: x\n---\n\n# 标题\n\n\n\n```\ncode\n\n\nmore\n```\n";
    let out = ok("a.md", md.as_bytes());
    assert_eq!(out.markdown, md);
    assert_eq!(out.title, None);
    let (gbk, _, _) = encoding_rs::GBK.encode("# 标题");
    assert_eq!(ok("a.md", &gbk).markdown, "# 标题");
}

#[test]
fn html_with_gbk_meta() {
    let page = r#"<html><head><meta charset="gbk"><title>报价单 &amp; 说明</title><style>p{}</style></head><body><nav>菜单</nav><header>站点</header><h1>标题</h1><p>价格 100 元</p><ul><li>一</li><li>二</li></ul><script>alert(1)</script><footer>版权</footer></body></html>"#;
    let (bytes, _, _) = encoding_rs::GBK.encode(page);
    let out = ok("page.html", &bytes);
    assert_eq!(out.title.as_deref(), Some("报价单 & 说明"));
    let md = &out.markdown;
    assert!(md.contains("# 标题"), "{md}");
    assert!(md.contains("价格 100 元"), "{md}");
    assert!(md.contains("一") && md.contains("二"), "{md}");
    for gone in ["菜单", "站点", "alert", "版权", "p{}"] {
        assert!(!md.contains(gone), "{gone} in {md}");
    }
    // The http-equiv form, and a title from the first h1.
    let page = r#"<meta http-equiv="Content-Type" content="text/html; charset=gb2312"><h1>方案</h1><p>正文</p>"#;
    let (bytes, _, _) = encoding_rs::GBK.encode(page);
    let out = ok("page.htm", &bytes);
    assert_eq!(out.title.as_deref(), Some("方案"));
    assert!(out.markdown.contains("正文"));
}

#[test]
fn deeply_nested_html_is_reduced_to_text() {
    let page = format!("{}deep text{}", "<div>".repeat(5000), "</div>".repeat(5000));
    let out = ok("deep.html", page.as_bytes());
    assert_eq!(out.markdown, "deep text");
    assert_eq!(out.warnings.len(), 1);
}

#[test]
fn pdf_text_layer_and_title() {
    let content =
        "BT /F1 12 Tf 72 720 Td (Hello pricing) Tj 0 -14 Td (Gold plan costs 100 yuan) Tj ET";
    let out = ok("guide.pdf", &pdf_with(content, Some("Pricing Guide")));
    assert!(out.markdown.contains("Hello pricing"), "{:?}", out.markdown);
    assert!(
        out.markdown.contains("Gold plan costs 100 yuan"),
        "{:?}",
        out.markdown
    );
    assert_eq!(out.title.as_deref(), Some("Pricing Guide"));
    let out = ok(
        "guide.pdf",
        &pdf_with(content, Some("Microsoft Word - guide.docx")),
    );
    assert_eq!(out.title, None);
}

#[test]
fn pdf_without_text_is_a_scan() {
    let e = err("scan.pdf", &pdf_with("0 0 m 100 100 l S", None));
    assert_eq!(e.code(), "no_text");
    assert_eq!(
        e.to_string(),
        "scanned PDF: no text found; it is attached, text recognition is not built in"
    );
}

#[test]
fn pdf_damaged_or_not_a_pdf() {
    assert_eq!(err("a.pdf", b"hello").code(), "corrupt");
    assert_eq!(
        err("a.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog").code(),
        "corrupt"
    );
    let mut good = pdf_with("BT /F1 12 Tf (Hello pricing and more text) Tj ET", None);
    good.truncate(good.len() / 2);
    let e = extract("a.pdf", &good, &Limits::default());
    assert!(e.is_err() || e.is_ok(), "no panic");
}

#[test]
fn pdf_paragraphs_join_lines() {
    let page = "第一段的前半\n后半部分\n\nA line that is hyphen-\nated here\nand continues\n• point one\n• point two\n1. first";
    assert_eq!(
        pdf::paragraphs(page),
        vec![
            "第一段的前半后半部分",
            "A line that is hyphenated here and continues",
            "• point one",
            "• point two",
            "1. first"
        ]
    );
}

#[test]
fn every_error_message_is_a_sentence() {
    let errors = [
        ExtractError::UnsupportedFormat {
            name: "a.doc".into(),
            hint: "",
        },
        ExtractError::Encrypted,
        ExtractError::corrupt(Format::Docx, "x"),
        ExtractError::TooLarge {
            what: "the file".into(),
            limit: "1 MiB".into(),
        },
        ExtractError::ZipBomb {
            entry: "a".into(),
            detail: "b".into(),
        },
        ExtractError::UnsafePath {
            name: "../a".into(),
            why: "climbs out",
        },
        ExtractError::TooManyEntries { count: 2, limit: 1 },
    ];
    for e in errors {
        let s = e.to_string();
        assert!(s.ends_with('.'), "{s}");
        assert!(s.chars().next().is_some_and(char::is_uppercase), "{s}");
    }
}
