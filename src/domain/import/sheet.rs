//! Workbooks (`.xlsx`, `.xls`, `.ods`): one sheet written out as CSV text, so that the one row
//! reader and its checks serve every format.
//!
//! - **Sheet.** The first sheet of the workbook unless one is named; an unknown name is an
//!   error listing the sheets there are.
//! - **Rows keep their numbers.** Line *n* of the CSV is row *n* of the sheet: rows the sheet
//!   leaves out (empty rows, which `.xlsx` does not store) are written as blank lines, so every
//!   row error names the row the spreadsheet shows.
//! - **Columns keep their letters.** The first row with a value is the header; its last
//!   non-empty cell sets the width. Every row is written with exactly that many cells: a cell
//!   to the right of the header with a value has no column to go to, and is reported once per
//!   column as a warning instead of failing the row.
//! - **Values** are written as the spreadsheet holds them: numbers in the shortest decimal form
//!   that reads back as the same number (`-362.8825`, never `-362.88249999999999`), whole
//!   numbers without `.0`, text as is, `TRUE`/`FALSE`, and error cells as Excel writes them
//!   (`#N/A`, rejected by the value checks with their usual message).
//! - `.xlsx` is read cell by cell (a million-row sheet is never held in memory); `.xls` (at most
//!   65,536 rows) and `.ods` sheets are read whole by calamine.

use std::io::{Read, Seek, Write};

use calamine::{Data, DataRef, Ods, Reader, Xls, Xlsx};

use super::ImportError;

/// The workbook formats accepted for accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetFormat {
    Xlsx,
    Xls,
    Ods,
}

impl SheetFormat {
    /// The format a file name says (`.xlsx`, `.xlsm`, `.xls`, `.ods`, any case).
    pub fn from_file_name(name: &str) -> Option<SheetFormat> {
        let lower = name.to_ascii_lowercase();
        let extension = lower.rsplit_once('.').map(|(_, e)| e)?;
        match extension {
            "xlsx" | "xlsm" => Some(SheetFormat::Xlsx),
            "xls" => Some(SheetFormat::Xls),
            "ods" => Some(SheetFormat::Ods),
            _ => None,
        }
    }

    /// The format a `Content-Type` names.
    pub fn from_content_type(mime: &str) -> Option<SheetFormat> {
        match mime.trim().to_ascii_lowercase().as_str() {
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            | "application/vnd.ms-excel.sheet.macroenabled.12" => Some(SheetFormat::Xlsx),
            "application/vnd.ms-excel" => Some(SheetFormat::Xls),
            "application/vnd.oasis.opendocument.spreadsheet" => Some(SheetFormat::Ods),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SheetFormat::Xlsx => "Excel workbook (.xlsx)",
            SheetFormat::Xls => "Excel 97–2003 workbook (.xls)",
            SheetFormat::Ods => "OpenDocument spreadsheet (.ods)",
        }
    }
}

/// What [`sheet_to_csv`] read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetRead {
    /// The sheet that was read.
    pub sheet: String,
    /// Every sheet of the workbook, in order.
    pub sheets: Vec<String>,
    /// Notes for the user (values outside the header's columns).
    pub warnings: Vec<String>,
}

/// Writes one sheet of a workbook to `out` as UTF-8 CSV, row for row (see the module docs);
/// with `first_rows`, only the sheet's first rows (enough to read its header, for a preview).
pub fn sheet_to_csv<RS: Read + Seek, W: Write>(
    input: RS,
    format: SheetFormat,
    sheet: Option<&str>,
    first_rows: Option<u32>,
    out: W,
) -> Result<SheetRead, ImportError> {
    let within = |row: u32| first_rows.is_none_or(|limit| row < limit);
    let unreadable = |detail: String| ImportError::Workbook(unreadable_message(format, &detail));
    let mut writer = CsvOut::new(out);
    let (name, sheets) = match format {
        SheetFormat::Xlsx => {
            let mut book: Xlsx<RS> = calamine::open_workbook_from_rs(input)
                .map_err(|e: calamine::XlsxError| unreadable(e.to_string()))?;
            let sheets = book.sheet_names();
            let name = choose_sheet(&sheets, sheet)?;
            let mut cells = book
                .worksheet_cells_reader(&name)
                .map_err(|e| unreadable(e.to_string()))?;
            while let Some(cell) = cells.next_cell().map_err(|e| unreadable(e.to_string()))? {
                let (row, column) = cell.get_position();
                if !within(row) {
                    break;
                }
                writer.cell(row, column, text_of_ref(cell.get_value()))?;
            }
            (name, sheets)
        }
        SheetFormat::Xls => {
            let mut book: Xls<RS> = calamine::open_workbook_from_rs(input)
                .map_err(|e: calamine::XlsError| unreadable(e.to_string()))?;
            let sheets = book.sheet_names();
            let name = choose_sheet(&sheets, sheet)?;
            let range = book
                .worksheet_range(&name)
                .map_err(|e| unreadable(e.to_string()))?;
            write_range(&range, &within, &mut writer)?;
            (name, sheets)
        }
        SheetFormat::Ods => {
            let mut book: Ods<RS> = calamine::open_workbook_from_rs(input)
                .map_err(|e: calamine::OdsError| unreadable(e.to_string()))?;
            let sheets = book.sheet_names();
            let name = choose_sheet(&sheets, sheet)?;
            let range = book
                .worksheet_range(&name)
                .map_err(|e| unreadable(e.to_string()))?;
            write_range(&range, &within, &mut writer)?;
            (name, sheets)
        }
    };
    let warnings = writer.finish()?;
    Ok(SheetRead {
        sheet: name,
        sheets,
        warnings,
    })
}

fn unreadable_message(format: SheetFormat, detail: &str) -> String {
    let lower = detail.to_ascii_lowercase();
    if lower.contains("password") || lower.contains("encrypt") || lower.contains("cfb") {
        return format!(
            "this {} cannot be read: it is password-protected or not really this format ({detail}) \
             — open it in Excel or WPS, save it without a password as .xlsx or CSV, and import \
             it again",
            format.label()
        );
    }
    format!(
        "this {} cannot be read ({detail}) — open it in Excel or WPS, save it again (or as CSV \
         UTF-8), and import it again",
        format.label()
    )
}

fn choose_sheet(sheets: &[String], wanted: Option<&str>) -> Result<String, ImportError> {
    let listed = || {
        sheets
            .iter()
            .map(|s| format!("\"{s}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match wanted.map(str::trim).filter(|w| !w.is_empty()) {
        Some(wanted) => sheets
            .iter()
            .find(|s| s.as_str() == wanted)
            .or_else(|| {
                sheets
                    .iter()
                    .find(|s| s.trim().eq_ignore_ascii_case(wanted))
            })
            .cloned()
            .ok_or_else(|| {
                ImportError::Workbook(format!(
                    "the workbook has no sheet \"{wanted}\" — its sheets are {}",
                    listed()
                ))
            }),
        None => sheets
            .first()
            .cloned()
            .ok_or_else(|| ImportError::Workbook("the workbook has no sheets".to_owned())),
    }
}

fn write_range<W: Write>(
    range: &calamine::Range<Data>,
    within: &dyn Fn(u32) -> bool,
    writer: &mut CsvOut<W>,
) -> Result<(), ImportError> {
    let Some((top, left)) = range.start() else {
        return Ok(());
    };
    for (r, row) in range.rows().enumerate() {
        if !within(top + r as u32) {
            break;
        }
        for (c, value) in row.iter().enumerate() {
            writer.cell(top + r as u32, left + c as u32, text_of(value))?;
        }
    }
    Ok(())
}

fn number_text(f: f64) -> String {
    if f.is_finite() && f == f.trunc() && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        // Rust writes the shortest form that reads back as the same f64, never an exponent.
        format!("{f}")
    }
}

fn text_of(value: &Data) -> Option<String> {
    match value {
        Data::Empty => None,
        Data::Int(i) => Some(i.to_string()),
        Data::Float(f) => Some(number_text(*f)),
        Data::String(s) => Some(s.clone()),
        Data::Bool(b) => Some(if *b { "TRUE" } else { "FALSE" }.to_owned()),
        Data::DateTime(d) => Some(number_text(d.as_f64())),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Some(s.clone()),
        Data::Error(e) => Some(e.to_string()),
    }
}

fn text_of_ref(value: &DataRef<'_>) -> Option<String> {
    match value {
        DataRef::Empty => None,
        DataRef::Int(i) => Some(i.to_string()),
        DataRef::Float(f) => Some(number_text(*f)),
        DataRef::String(s) => Some(s.clone()),
        DataRef::SharedString(s) => Some((*s).to_owned()),
        DataRef::Bool(b) => Some(if *b { "TRUE" } else { "FALSE" }.to_owned()),
        DataRef::DateTime(d) => Some(number_text(d.as_f64())),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Some(s.clone()),
        DataRef::Error(e) => Some(e.to_string()),
    }
}

/// Cells in, CSV lines out: one line per sheet row (0-based `row`), the header row's width.
struct CsvOut<W: Write> {
    out: std::io::BufWriter<W>,
    /// The row being collected and its cells by column.
    current: Option<(u32, Vec<(u32, String)>)>,
    /// Lines written so far (= the next row number, 0-based).
    written: u32,
    /// Columns of the header row, once it has been seen.
    width: Option<u32>,
    /// Columns right of the header with a value: (column, first row 1-based).
    outside: Vec<(u32, u32)>,
}

impl<W: Write> CsvOut<W> {
    fn new(out: W) -> CsvOut<W> {
        CsvOut {
            out: std::io::BufWriter::with_capacity(1 << 16, out),
            current: None,
            written: 0,
            width: None,
            outside: Vec::new(),
        }
    }

    fn cell(&mut self, row: u32, column: u32, text: Option<String>) -> Result<(), ImportError> {
        let Some(text) = text.filter(|t| !t.is_empty()) else {
            return Ok(());
        };
        match &mut self.current {
            Some((current, cells)) if *current == row => cells.push((column, text)),
            _ => {
                self.flush_row()?;
                self.current = Some((row, vec![(column, text)]));
            }
        }
        Ok(())
    }

    fn flush_row(&mut self) -> Result<(), ImportError> {
        let Some((row, mut cells)) = self.current.take() else {
            return Ok(());
        };
        // Rows come in order; a row out of order (rare, hand-edited files) still gets a line
        // of its own after the ones written.
        while self.written < row {
            self.out.write_all(b"\n")?;
            self.written += 1;
        }
        cells.sort_by_key(|(column, _)| *column);
        let width = *self
            .width
            .get_or_insert_with(|| cells.last().map_or(0, |(column, _)| column + 1));
        let mut line = String::new();
        let mut next = 0u32;
        for (column, text) in cells {
            if column >= width {
                if !self.outside.iter().any(|(c, _)| *c == column) {
                    self.outside.push((column, row + 1));
                }
                continue;
            }
            while next < column {
                if next > 0 {
                    line.push(',');
                }
                next += 1;
            }
            if column > 0 {
                line.push(',');
            }
            push_csv_field(&mut line, &text);
            next = column + 1;
        }
        while next < width {
            if next > 0 {
                line.push(',');
            }
            next += 1;
        }
        line.push('\n');
        self.out.write_all(line.as_bytes())?;
        self.written += 1;
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<String>, ImportError> {
        self.flush_row()?;
        self.out.flush()?;
        if self.width.is_none() {
            return Err(ImportError::Empty);
        }
        self.outside.sort_unstable();
        Ok(self
            .outside
            .iter()
            .map(|(column, row)| {
                format!(
                    "column {} has values (first on row {row}) but no header; they were not \
                     imported — give the column a header if they should be",
                    super::header::column_letter(*column as usize)
                )
            })
            .collect())
    }
}

fn push_csv_field(line: &mut String, text: &str) {
    if text.contains([',', '"', '\n', '\r']) {
        line.push('"');
        line.push_str(&text.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv_of(cells: &[(u32, u32, &str)]) -> (String, Vec<String>) {
        let mut out = Vec::new();
        let mut writer = CsvOut::new(&mut out);
        for (row, column, text) in cells {
            writer.cell(*row, *column, Some(text.to_string())).unwrap();
        }
        let warnings = writer.finish().unwrap();
        (String::from_utf8(out).unwrap(), warnings)
    }

    #[test]
    fn rows_and_columns_keep_their_places_and_quoting_is_csv() {
        let (csv, warnings) = csv_of(&[
            (1, 1, "id"),
            (1, 2, "name"),
            (1, 3, "revenue"),
            (2, 1, "A-1"),
            (2, 2, "O'Donnell, \"Pat\""),
            (2, 3, "-362.8825"),
            (4, 1, "A-2"),
            (4, 3, "5"),
            (4, 6, "stray"),
        ]);
        assert_eq!(
            csv,
            "\n,id,name,revenue\n,A-1,\"O'Donnell, \"\"Pat\"\"\",-362.8825\n\n,A-2,,5\n"
        );
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].starts_with("column G has values (first on row 5)"));
    }

    #[test]
    fn numbers_are_written_as_the_spreadsheet_shows_them() {
        assert_eq!(number_text(-362.8825), "-362.8825");
        assert_eq!(number_text(1_200_000.0), "1200000");
        assert_eq!(number_text(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(number_text(1e21), "1000000000000000000000");
    }

    #[test]
    fn a_sheet_is_chosen_by_name_or_is_the_first() {
        let sheets = vec!["华东".to_owned(), "Notes".to_owned()];
        assert_eq!(choose_sheet(&sheets, None).unwrap(), "华东");
        assert_eq!(choose_sheet(&sheets, Some("notes")).unwrap(), "Notes");
        let error = choose_sheet(&sheets, Some("华北")).unwrap_err().to_string();
        assert!(error.contains("\"华东\", \"Notes\""), "{error}");
    }

    #[test]
    fn an_empty_sheet_is_an_empty_file() {
        let writer = CsvOut::new(Vec::new());
        assert!(matches!(writer.finish(), Err(ImportError::Empty)));
    }
}
