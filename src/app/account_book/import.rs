//! Importing accounts: CSV and workbooks, columns mapped by hand or remembered for files of the
//! same shape, every rejected row kept with its problems, then one recompute.

use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom};

use super::*;
use crate::domain::import::{
    column_letter, header_fingerprint, read_accounts_mapped, sheet_to_csv, AccountRows,
    ColumnMapping, ColumnUse, SheetFormat, SheetRead, ACCEPTED_COLUMNS,
};
use crate::store::SavedMapping;

/// Rows of a workbook a preview reads (the header is the first row with a value).
const PREVIEW_ROWS: u32 = 1_000;

/// Rejected rows kept whole for the file of rejected rows (their problems are all listed).
pub const MAX_REJECTED_ROWS_KEPT: usize = 10_000;

/// How to read an import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Columns mapped by hand. When empty, the mapping remembered for this source (or for
    /// files with the same header row) is used.
    pub mapping: ColumnMapping,
    /// A name for where files like this come from (`salesforce`, `金蝶`): a mapping given with
    /// the file is remembered under it as well as under the header row.
    pub source: Option<String>,
    /// The sheet of a workbook; the first when not given.
    pub sheet: Option<String>,
    /// Who imports (recorded with a remembered mapping).
    pub by: String,
}

/// Where the column mapping of an import came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MappingOrigin {
    /// No mapping: the headers were recognised by themselves.
    None,
    /// Given with this import (and now remembered).
    Given,
    /// Remembered from an earlier import of the same source.
    Remembered,
}

/// The header of a file and how its columns would be read, without importing it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportPreview {
    pub columns: Vec<ColumnUse>,
    /// The mapping that would apply and where it comes from.
    pub mapping: ColumnMapping,
    pub mapping_origin: MappingOrigin,
    /// The key under which a mapping for files with this header row is remembered.
    pub fingerprint: String,
    /// Header problems that would stop the import (each says what to do); empty when none.
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
    /// For a workbook: the sheet read and every sheet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sheets: Vec<String>,
    /// Every field a column can be mapped to.
    pub fields: Vec<&'static str>,
}

/// A file to import: CSV text, or a workbook (read from a file that can seek).
pub enum ImportFile<R> {
    Csv(R),
    Workbook(std::fs::File, SheetFormat),
}

impl AccountBook {
    /// Imports a CSV export with the header recognised by itself (see `domain::import`), then
    /// recomputes the tiers. See [`AccountBook::import`].
    pub fn import_csv(
        &self,
        input: impl Read,
        trigger: &str,
        on_error: &mut dyn FnMut(&RowError),
    ) -> Result<ImportReport, AccountsError> {
        self.import(
            ImportFile::Csv(input),
            &ImportOptions::default(),
            trigger,
            on_error,
        )
    }

    /// Imports a file, then recomputes the tiers. The file is streamed (a workbook's sheet is
    /// first written out as CSV to a temporary file); the valid rows are collected as accounts
    /// (they join the in-memory set anyway), stored when the file has been read — as one
    /// atomic, flushed sled batch that rewrites only the account chunks they fall into — and
    /// merged into the in-memory set, not read back. Every problem of every rejected row is
    /// passed to `on_error` as it is found. A header problem stores nothing and is an error.
    pub fn import<R: Read>(
        &self,
        file: ImportFile<R>,
        options: &ImportOptions,
        trigger: &str,
        on_error: &mut dyn FnMut(&RowError),
    ) -> Result<ImportReport, AccountsError> {
        match file {
            ImportFile::Csv(input) => self.import_rows(input, options, None, trigger, on_error),
            ImportFile::Workbook(workbook, format) => {
                let (csv, read) = workbook_as_csv(workbook, format, options, None)?;
                let sheet = read.sheet.clone();
                let mut with_sheet = |error: &RowError| {
                    let mut error = error.clone();
                    error.sheet = Some(sheet.clone());
                    on_error(&error);
                };
                let mut report =
                    self.import_rows(csv, options, Some(&read), trigger, &mut with_sheet)?;
                report.sheet = Some(read.sheet);
                report.sheets = read.sheets;
                report.warnings.splice(0..0, read.warnings);
                Ok(report)
            }
        }
    }

    /// How a file's columns would be read, and what a mapping would change, without storing
    /// anything (the import page shows this before importing).
    pub fn preview<R: Read>(
        &self,
        file: ImportFile<R>,
        options: &ImportOptions,
    ) -> Result<ImportPreview, AccountsError> {
        match file {
            ImportFile::Csv(input) => self.preview_rows(input, options),
            ImportFile::Workbook(workbook, format) => {
                // The header is all a preview reads: a million-row sheet is not written out.
                let (csv, read) = workbook_as_csv(workbook, format, options, Some(PREVIEW_ROWS))?;
                let mut preview = self.preview_rows(csv, options)?;
                preview.sheet = Some(read.sheet);
                preview.sheets = read.sheets;
                Ok(preview)
            }
        }
    }

    fn preview_rows<R: Read>(
        &self,
        input: R,
        options: &ImportOptions,
    ) -> Result<ImportPreview, AccountsError> {
        let chosen = ChosenMapping::new(self, options);
        let (columns, problems, warnings) =
            match read_accounts_mapped(input, &|headers| chosen.for_headers(headers)) {
                Ok(rows) => (rows.columns(), Vec::new(), rows.warnings().to_vec()),
                Err(ImportError::Header { problems, .. }) => {
                    let columns = chosen
                        .headers()
                        .iter()
                        .enumerate()
                        .map(|(index, header)| ColumnUse {
                            letter: column_letter(index),
                            header: header.clone(),
                            field: None,
                            unit: String::new(),
                        })
                        .collect();
                    (columns, problems, Vec::new())
                }
                Err(e) => return Err(AccountsError::InvalidCsv(e)),
            };
        let (mapping, mapping_origin, fingerprint) = chosen.result();
        Ok(ImportPreview {
            columns,
            mapping,
            mapping_origin,
            fingerprint,
            problems,
            warnings,
            sheet: None,
            sheets: Vec::new(),
            fields: ACCEPTED_COLUMNS.iter().map(|c| c.field).collect(),
        })
    }

    fn import_rows<R: Read>(
        &self,
        input: R,
        options: &ImportOptions,
        sheet: Option<&SheetRead>,
        trigger: &str,
        on_error: &mut dyn FnMut(&RowError),
    ) -> Result<ImportReport, AccountsError> {
        let _writer = self.lock_writer()?;
        let chosen = ChosenMapping::new(self, options);
        let mut rows = read_accounts_mapped(input, &|headers| chosen.for_headers(headers))
            .map_err(|e| AccountsError::InvalidCsv(in_sheet(e, sheet)))?;
        let ignored_columns = rows.ignored_columns().to_vec();
        let encoding = rows.encoding().label();
        let mut rejected = 0;
        let mut fresh = Vec::new();
        let mut kept = RejectedRows::new(rows.headers());
        while let Some(row) = rows.next() {
            match row {
                Ok(parsed) => fresh.push(parsed.account),
                Err(errors) => {
                    rejected += 1;
                    errors.iter().for_each(&mut *on_error);
                    kept.push(&rows, &errors);
                }
            }
        }
        // A file that could not be read to its end (a body cut off at its size limit, a broken
        // connection, a disk error) stores nothing: only a whole file is imported.
        if let Some(error) = rows.read_failed() {
            return Err(AccountsError::ReadFailed(error.to_owned()));
        }
        let warnings = rows.warnings().to_vec();
        let (mapping, origin, fingerprint) = chosen.result();
        if origin == MappingOrigin::Given {
            let saved = SavedMapping {
                mapping: mapping.clone(),
                headers: rows.headers().to_vec(),
                saved_by: options.by.clone(),
                saved_at: now_rfc3339(),
            };
            let source = source_key(options);
            let mut keys = vec![fingerprint.as_str()];
            keys.extend(source.as_deref());
            self.store.put_import_mapping(&keys, &saved)?;
        }
        let (imported, updated, state) = if fresh.is_empty() {
            (0, 0, self.state())
        } else {
            // Ids are unique within a file. A stable sort is near linear on the (often already
            // sorted) exports of a CRM.
            fresh.sort_by(|a, b| a.id.cmp(&b.id));
            let counts = self.store.upsert_accounts(&fresh)?;
            let merged = merge_accounts(&self.state().accounts, fresh);
            let state = self.recompute(trigger, Some(Arc::new(merged)), None, None)?;
            (counts.new, counts.updated, state)
        };
        let tiers = state.summary();
        let (recompute, tier_changes) = if imported + updated > 0 {
            let record = self.store.recompute(tiers.seq)?;
            let changes = self
                .store
                .recent_changes(MAX_LISTED_CHANGES)?
                .into_iter()
                .filter(|c| c.seq == tiers.seq)
                .collect();
            (record, changes)
        } else {
            (None, Vec::new())
        };
        Ok(ImportReport {
            imported,
            updated,
            rejected,
            ignored_columns,
            warnings,
            encoding,
            tiers,
            columns: rows.columns(),
            mapping,
            mapping_origin: origin,
            fingerprint,
            sheet: sheet.map(|s| s.sheet.clone()),
            sheets: Vec::new(),
            tier_moves: recompute.map(|r| TierMoves {
                up: r.up,
                down: r.down,
                new: r.new,
                changed: r.changed,
            }),
            tier_changes,
            rejected_csv: kept.into_csv(),
        })
    }
}

/// Tier changes listed in an import's answer (the tier history has them all).
pub const MAX_LISTED_CHANGES: usize = 50;

fn source_key(options: &ImportOptions) -> Option<String> {
    options
        .source
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| format!("source:{}", s.to_lowercase()))
}

fn in_sheet(error: ImportError, sheet: Option<&SheetRead>) -> ImportError {
    match (error, sheet) {
        (ImportError::Header { row, problems }, Some(read)) => ImportError::Header {
            row,
            problems: problems
                .into_iter()
                .map(|p| format!("sheet \"{}\": {p}", read.sheet))
                .collect(),
        },
        (error, _) => error,
    }
}

/// The bounds of an accounts workbook: a million-row sheet unpacks to a few hundred MiB, a zip
/// bomb packs far tighter than real sheets (ratio) or declares more than any export (total).
const WORKBOOK_LIMITS: crate::extract::Limits = crate::extract::Limits {
    max_file_bytes: u64::MAX,
    max_unpacked_bytes: 16 * 1024 * 1024 * 1024,
    max_entries: 10_000,
    max_ratio: 200,
    max_text_chars: usize::MAX,
};

/// Writes the chosen sheet of a workbook as CSV into a temporary file and opens it for reading.
fn workbook_as_csv(
    workbook: std::fs::File,
    format: SheetFormat,
    options: &ImportOptions,
    first_rows: Option<u32>,
) -> Result<(BufReader<std::fs::File>, SheetRead), AccountsError> {
    let io = |e: std::io::Error| AccountsError::InvalidCsv(ImportError::Io(e));
    // What calamine may be asked to build is bounded first (zip bombs, .ods repeats).
    let mut workbook = workbook;
    let kind = match format {
        SheetFormat::Xlsx => crate::extract::Format::Xlsx,
        SheetFormat::Xls => crate::extract::Format::Xls,
        SheetFormat::Ods => crate::extract::Format::Ods,
    };
    crate::extract::check_workbook(&mut workbook, kind, &WORKBOOK_LIMITS)
        .map_err(|e| AccountsError::InvalidCsv(ImportError::Workbook(e.to_string())))?;
    workbook.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut csv = tempfile::tempfile().map_err(io)?;
    let read = sheet_to_csv(
        BufReader::new(workbook),
        format,
        options.sheet.as_deref(),
        first_rows,
        BufWriter::new(&mut csv),
    )
    .map_err(AccountsError::InvalidCsv)?;
    csv.seek(SeekFrom::Start(0)).map_err(io)?;
    Ok((BufReader::with_capacity(1 << 16, csv), read))
}

/// Chooses the mapping once the header row is known: the one given, else one remembered for
/// the source or for files with this header row.
struct ChosenMapping<'a> {
    book: &'a AccountBook,
    options: &'a ImportOptions,
    chosen: std::cell::RefCell<(ColumnMapping, MappingOrigin, String, Vec<String>)>,
}

impl<'a> ChosenMapping<'a> {
    fn new(book: &'a AccountBook, options: &'a ImportOptions) -> ChosenMapping<'a> {
        ChosenMapping {
            book,
            options,
            chosen: std::cell::RefCell::new((
                ColumnMapping::default(),
                MappingOrigin::None,
                String::new(),
                Vec::new(),
            )),
        }
    }

    fn for_headers(&self, headers: &[String]) -> ColumnMapping {
        let fingerprint = header_fingerprint(headers);
        let (mapping, origin) = if !self.options.mapping.is_empty() {
            (self.options.mapping.clone(), MappingOrigin::Given)
        } else {
            let remembered = source_key(self.options)
                .into_iter()
                .chain(std::iter::once(fingerprint.clone()))
                .find_map(|key| match self.book.store.import_mapping(&key) {
                    Ok(found) => found,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not read a remembered column mapping");
                        None
                    }
                });
            match remembered {
                Some(saved) => (saved.mapping, MappingOrigin::Remembered),
                None => (ColumnMapping::default(), MappingOrigin::None),
            }
        };
        *self.chosen.borrow_mut() = (mapping.clone(), origin, fingerprint, headers.to_vec());
        mapping
    }

    fn result(&self) -> (ColumnMapping, MappingOrigin, String) {
        let chosen = self.chosen.borrow();
        (chosen.0.clone(), chosen.1, chosen.2.clone())
    }

    fn headers(&self) -> Vec<String> {
        self.chosen.borrow().3.clone()
    }
}

/// The rejected rows as they were written, with their problems, for a file to fix and import
/// again.
struct RejectedRows {
    headers: Vec<String>,
    rows: Vec<(Vec<String>, String)>,
}

impl RejectedRows {
    fn new(headers: &[String]) -> RejectedRows {
        RejectedRows {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    fn push<R>(&mut self, rows: &AccountRows<R>, errors: &[RowError]) {
        if self.rows.len() >= MAX_REJECTED_ROWS_KEPT {
            return;
        }
        let problems: Vec<String> = errors
            .iter()
            .map(|e| {
                let at = if e.letter.is_empty() {
                    format!("row {}", e.row)
                } else {
                    format!("row {}, {} \"{}\"", e.row, e.letter, e.column)
                };
                format!("{at}: {}", e.message)
            })
            .collect();
        self.rows.push((rows.current_cells(), problems.join("; ")));
    }

    /// CSV (UTF-8 with a byte-order mark, so that Excel shows Chinese right): the header row
    /// with an `error` column, then each rejected row with what is wrong with it.
    fn into_csv(self) -> Option<String> {
        if self.rows.is_empty() {
            return None;
        }
        let mut out = String::from("\u{feff}");
        let line = |cells: &mut dyn Iterator<Item = &str>, out: &mut String| {
            let mut first = true;
            for cell in cells {
                if !first {
                    out.push(',');
                }
                first = false;
                push_cell(out, cell);
            }
            out.push_str("\r\n");
        };
        line(
            &mut self
                .headers
                .iter()
                .map(String::as_str)
                .chain(std::iter::once("error 错误")),
            &mut out,
        );
        for (cells, problems) in &self.rows {
            line(
                &mut cells
                    .iter()
                    .map(String::as_str)
                    .chain(std::iter::once(problems.as_str())),
                &mut out,
            );
        }
        Some(out)
    }
}

/// One CSV cell: quoted when it holds a separator, a quote or a line break; a cell a
/// spreadsheet would run as a formula gets a leading `'` (numbers such as `-362.8825` stay as
/// they are, so the file imports again).
fn push_cell(out: &mut String, cell: &str) {
    let numeric = cell.parse::<f64>().is_ok();
    let cell: std::borrow::Cow<'_, str> = if numeric {
        cell.into()
    } else {
        text_cell(cell)
    };
    if cell.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&cell.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&cell);
    }
}
