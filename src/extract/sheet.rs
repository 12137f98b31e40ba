//! Spreadsheets (.xlsx, .xls, .ods) through calamine: each non-empty sheet as `## <name>` and a
//! Markdown table, its first non-empty row as the header.
//!
//! `.xlsx` cells are read as a stream (calamine's cell reader) into a sparse map, so a sheet
//! whose used range claims a million rows by a million columns costs only its real cells;
//! `.xlsx` and `.ods` zips are first checked under the zip limits. Empty rows and columns are
//! left out; at most [`MAX_ROWS`] rows and [`MAX_COLUMNS`] columns per sheet are kept, with a
//! warning saying how many were left out. Numbers print in their shortest exact form (integers
//! without `.0`), dates as ISO 8601, formulas as their cached values.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, DataRef, ExcelDateTime, Ods, Reader, Xls, Xlsx};

use super::zipread::GuardedZip;
use super::{md, ExtractError, Extracted, Format, Limits};

/// Rows kept per sheet (the header included).
pub(super) const MAX_ROWS: usize = 2_000;
/// Columns kept per sheet.
pub(super) const MAX_COLUMNS: usize = 100;

/// The cells of one sheet, sparse: row → column → text.
#[derive(Default)]
struct Grid {
    rows: BTreeMap<u32, BTreeMap<u32, String>>,
    /// Non-empty rows seen beyond [`MAX_ROWS`].
    rows_left_out: usize,
    last_row_left_out: Option<u32>,
}

impl Grid {
    fn put(&mut self, row: u32, col: u32, text: String) {
        if text.trim().is_empty() {
            return;
        }
        if self.rows.len() >= MAX_ROWS && !self.rows.contains_key(&row) {
            if self.last_row_left_out != Some(row) {
                self.rows_left_out += 1;
                self.last_row_left_out = Some(row);
            }
            return;
        }
        self.rows.entry(row).or_default().insert(col, text);
    }
}

pub(super) fn extract_sheet(
    format: Format,
    bytes: &[u8],
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    if matches!(format, Format::Xlsx | Format::Ods) {
        GuardedZip::open(bytes, limits, format)?.check_all()?;
        super::workbook::check_workbook(Cursor::new(bytes), format, limits)?;
    }
    let sheets = match format {
        Format::Xlsx => read_xlsx(bytes)?,
        Format::Xls => {
            let mut book: Xls<_> = open_workbook_from_rs::<Xls<_>, _>(Cursor::new(bytes))
                .map_err(|e| workbook_error(format, e.to_string()))?;
            read_ranges(&mut book, format)?
        }
        _ => {
            let mut book: Ods<_> = open_workbook_from_rs::<Ods<_>, _>(Cursor::new(bytes))
                .map_err(|e| workbook_error(format, e.to_string()))?;
            read_ranges(&mut book, format)?
        }
    };
    let mut out = String::new();
    let mut warnings = Vec::new();
    for (name, grid) in sheets {
        if grid.rows.is_empty() {
            continue;
        }
        let columns: BTreeSet<u32> = grid.rows.values().flat_map(|r| r.keys().copied()).collect();
        if columns.len() > MAX_COLUMNS {
            warnings.push(format!(
                "sheet “{name}”: {} columns were left out, only the first {MAX_COLUMNS} are kept",
                columns.len() - MAX_COLUMNS
            ));
        }
        let columns: Vec<u32> = columns.into_iter().take(MAX_COLUMNS).collect();
        let rows: Vec<Vec<String>> = grid
            .rows
            .values()
            .map(|r| {
                columns
                    .iter()
                    .map(|c| r.get(c).cloned().unwrap_or_default())
                    .collect()
            })
            .filter(|r: &Vec<String>| r.iter().any(|c| !c.is_empty()))
            .collect();
        if grid.rows_left_out > 0 {
            warnings.push(format!(
                "sheet “{name}”: {} rows were left out, only the first {MAX_ROWS} are kept",
                grid.rows_left_out
            ));
        }
        out.push_str(&md::heading(2, &name));
        out.push_str("\n\n");
        out.push_str(&md::table(&rows));
        out.push('\n');
    }
    if out.is_empty() {
        warnings.push("the workbook has no cells with content".to_string());
    }
    Ok(Extracted {
        title: None,
        markdown: out,
        warnings,
    })
}

fn workbook_error(format: Format, detail: String) -> ExtractError {
    let lower = detail.to_lowercase();
    if lower.contains("password") || lower.contains("encrypt") {
        ExtractError::Encrypted
    } else {
        ExtractError::corrupt(format, detail)
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<(String, Grid)>, ExtractError> {
    let mut book: Xlsx<_> = open_workbook_from_rs::<Xlsx<_>, _>(Cursor::new(bytes))
        .map_err(|e| workbook_error(Format::Xlsx, e.to_string()))?;
    let mut sheets = Vec::new();
    for name in book.sheet_names() {
        let mut grid = Grid::default();
        let mut cells = match book.worksheet_cells_reader(&name) {
            Ok(cells) => cells,
            Err(e) => return Err(workbook_error(Format::Xlsx, format!("sheet “{name}”: {e}"))),
        };
        loop {
            match cells.next_cell() {
                Ok(Some(cell)) => {
                    let (row, col) = cell.get_position();
                    grid.put(row, col, data_ref_text(cell.get_value()));
                }
                Ok(None) => break,
                Err(e) => return Err(workbook_error(Format::Xlsx, format!("sheet “{name}”: {e}"))),
            }
        }
        drop(cells);
        sheets.push((name, grid));
    }
    Ok(sheets)
}

fn read_ranges<R, RS>(book: &mut R, format: Format) -> Result<Vec<(String, Grid)>, ExtractError>
where
    RS: std::io::Read + std::io::Seek,
    R: Reader<RS>,
    R::Error: std::fmt::Display,
{
    let mut sheets = Vec::new();
    for name in book.sheet_names() {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| workbook_error(format, format!("sheet “{name}”: {e}")))?;
        let mut grid = Grid::default();
        let (row0, col0) = range.start().unwrap_or((0, 0));
        for (r, row) in range.rows().enumerate() {
            for (c, value) in row.iter().enumerate() {
                let r = row0.saturating_add(r as u32);
                let c = col0.saturating_add(c as u32);
                grid.put(r, c, data_text(value));
            }
        }
        sheets.push((name, grid));
    }
    Ok(sheets)
}

fn data_text(value: &Data) -> String {
    match value {
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number(*f),
        Data::String(s) => s.clone(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(d) => date_time(d),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => e.to_string(),
        Data::Empty => String::new(),
    }
}

fn data_ref_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number(*f),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => s.to_string(),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        DataRef::DateTime(d) => date_time(d),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => e.to_string(),
        DataRef::Empty => String::new(),
    }
}

/// A number without float noise: integers without `.0`, others in the shortest form that
/// reads back the same (Rust's `Display` for `f64`).
pub(super) fn number(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// A date cell as ISO 8601: `2025-10-13`, `2025-10-13 12:59:02`, or `12:59:02` for a time of
/// day; durations as `[h]:mm:ss`.
fn date_time(d: &ExcelDateTime) -> String {
    let value = d.as_f64();
    if !value.is_finite() {
        return number(value);
    }
    if d.is_duration() {
        let seconds = (value * 86_400.0).round() as i64;
        let sign = if seconds < 0 { "-" } else { "" };
        let s = seconds.unsigned_abs();
        return format!("{sign}{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
    }
    let (y, mo, day, h, mi, s, _) = d.to_ymd_hms_milli();
    let time = format!("{h:02}:{mi:02}:{s:02}");
    if (0.0..1.0).contains(&value) {
        time
    } else if (h, mi, s) == (0, 0, 0) {
        format!("{y:04}-{mo:02}-{day:02}")
    } else {
        format!("{y:04}-{mo:02}-{day:02} {time}")
    }
}
