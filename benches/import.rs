//! Import benchmark (issue 18): a workbook of accounts and a pile of existing documents.
//!
//! `cargo bench --bench import` writes a 1,000,000-row `.xlsx` (generated accounts, money with
//! four decimals, written by hand as SpreadsheetML in a zip) and imports it through the account
//! book as the API and the command line do (sheet streamed to CSV, parsed, one store batch,
//! recompute); then imports 1,000 mixed documents (the fixtures of `tests/fixtures/import`:
//! Word, PowerPoint, PDF, Excel, HTML, text and foreign Markdown, cycled) as drafts through the
//! library, extraction, validation, storage and attachments included. Pass `--rows N` and
//! `--docs N` to change the sizes. Without `--bench` (as `cargo test --bench import` runs it)
//! it does a quick run (2,000 rows, 40 documents). The last line is the peak resident memory.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use playbook::app::access::Access;
use playbook::app::account_book::{AccountBook, ImportFile, ImportOptions};
use playbook::app::content_import::{ContentImportOptions, SourceFile};
use playbook::config::Config;
use playbook::domain::import::SheetFormat;
use playbook::domain::policy::{Principal, Role};
use playbook::store::Store;

fn arg(args: &[String], name: &str) -> Option<usize> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let full = args.iter().any(|a| a == "--bench");
    let rows = arg(&args, "--rows").unwrap_or(if full { 1_000_000 } else { 2_000 });
    let docs = arg(&args, "--docs").unwrap_or(if full { 1_000 } else { 40 });
    let dir = tempfile::tempdir().expect("temp dir");

    // --- 1. The workbook of accounts -----------------------------------------------------
    let started = Instant::now();
    let xlsx = dir.path().join("accounts.xlsx");
    write_xlsx(&xlsx, rows);
    let size = std::fs::metadata(&xlsx).map(|m| m.len()).unwrap_or(0);
    println!(
        "generated {rows}-row .xlsx ({:.1} MiB) in {:.2} s",
        size as f64 / (1024.0 * 1024.0),
        started.elapsed().as_secs_f64()
    );
    let store = Store::open(&dir.path().join("store")).expect("store");
    let book = AccountBook::open(store.clone()).expect("book");
    let started = Instant::now();
    let report = book
        .import(
            ImportFile::<std::fs::File>::Workbook(
                std::fs::File::open(&xlsx).expect("open"),
                SheetFormat::Xlsx,
            ),
            &ImportOptions::default(),
            "bench",
            &mut |e| panic!("row error: {e}"),
        )
        .expect("import");
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(report.imported, rows);
    println!(
        "xlsx import (sheet → CSV, parse, store, recompute): {rows} rows in {seconds:.2} s = {:.0} rows/s",
        rows as f64 / seconds
    );
    drop(book);

    // --- 2. Mixed documents ----------------------------------------------------------------
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import");
    let mut samples: Vec<(String, Vec<u8>)> = Vec::new();
    for folder in ["documents", "markdown"] {
        for entry in walk(&fixtures.join(folder)) {
            let name = entry.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".zip") || name.ends_with(".png") {
                continue;
            }
            samples.push((name, std::fs::read(&entry).unwrap()));
        }
    }
    samples.sort();
    let files: Vec<SourceFile> = (0..docs)
        .map(|i| {
            let (name, bytes) = &samples[i % samples.len()];
            SourceFile {
                path: format!("{:04}/{name}", i),
                bytes: bytes.clone(),
            }
        })
        .collect();
    let megabytes = files.iter().map(|f| f.bytes.len()).sum::<usize>() as f64 / 1_048_576.0;
    let config = Config {
        data_dir: dir.path().to_path_buf(),
        content_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/content"),
        ..Config::default()
    };
    let library = playbook::startup::open_library(&config, store.clone()).expect("library");
    let book = AccountBook::open(store).expect("book");
    let access = Access::new(Principal::new("trainer", Role::Trainer), &book, &library);
    let started = Instant::now();
    let report = library
        .import_content(files, &ContentImportOptions::default(), &access)
        .expect("import");
    let seconds = started.elapsed().as_secs_f64();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.imported.len(), docs);
    println!(
        "documents import ({} kinds cycled, {megabytes:.1} MiB): {docs} files in {seconds:.2} s = {:.0} files/s",
        samples.len(),
        docs as f64 / seconds
    );
    drop(library);

    if let Some(peak) = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(str::to_owned)
        })
    {
        println!("peak RSS: {}", peak.trim_start_matches("VmHWM:").trim());
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// A minimal valid `.xlsx` (one sheet, inline strings) of `rows` generated accounts.
fn write_xlsx(path: &Path, rows: usize) {
    let file = std::fs::File::create(path).expect("create");
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    let parts: [(&str, &str); 4] = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="客户" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
    ];
    for (name, text) in parts {
        zip.start_file(name, options).expect("part");
        zip.write_all(text.as_bytes()).expect("write");
    }
    zip.start_file("xl/worksheets/sheet1.xml", options)
        .expect("sheet");
    let mut out = std::io::BufWriter::with_capacity(1 << 20, &mut zip);
    write!(out, r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#).unwrap();
    let header = [
        "客户编号",
        "客户全称",
        "负责人",
        "所属行业",
        "区域",
        "年销售额",
        "利润",
        "账龄天数",
    ];
    write!(out, r#"<row r="1">"#).unwrap();
    for (c, h) in header.iter().enumerate() {
        write!(
            out,
            r#"<c r="{}1" t="inlineStr"><is><t>{h}</t></is></c>"#,
            (b'A' + c as u8) as char
        )
        .unwrap();
    }
    write!(out, "</row>").unwrap();
    let industries = ["制造业", "零售", "软件", "物流", "医药"];
    let regions = ["华东", "华北", "华南", "西南", "东北"];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..rows {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let r = i + 2;
        let revenue = (seed % 100_000_000) as f64 / 10_000.0 * 37.0;
        let profit = revenue * (((seed >> 20) % 40) as f64 / 100.0 - 0.1);
        write!(
            out,
            r#"<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>KH{i:07}</t></is></c><c r="B{r}" t="inlineStr"><is><t>客户{i}有限公司</t></is></c><c r="C{r}" t="inlineStr"><is><t>rep{}</t></is></c><c r="D{r}" t="inlineStr"><is><t>{}</t></is></c><c r="E{r}" t="inlineStr"><is><t>{}</t></is></c><c r="F{r}"><v>{:.4}</v></c><c r="G{r}"><v>{:.4}</v></c><c r="H{r}"><v>{}</v></c></row>"#,
            i % 200,
            industries[i % industries.len()],
            regions[(i / 7) % regions.len()],
            revenue,
            profit,
            (seed >> 40) % 120
        )
        .unwrap();
    }
    write!(out, "</sheetData></worksheet>").unwrap();
    drop(out);
    zip.finish().expect("finish");
}
