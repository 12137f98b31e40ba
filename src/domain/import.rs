//! Streaming import of customer accounts from a CRM or spreadsheet CSV export (DOMAIN.md §8).
//!
//! Pure parsing: bytes in, [`Account`]s and row errors out. No storage, no HTTP.
//!
//! [`read_accounts`] reads the header row and returns [`AccountRows`], an iterator that reads
//! one CSV record at a time: a file of a million rows is never held in memory. The only state
//! that grows with the file is the set of ids already seen (to reject a duplicate id with the
//! row of its first occurrence).
//!
//! Decisions, so that they can be documented for users:
//! - **Encoding.** A byte-order mark decides (UTF-8, UTF-16 LE/BE). Without one, the first
//!   64 KiB are checked as UTF-8 (a character cut by the 64 KiB boundary counts as valid); if
//!   they are not UTF-8 the whole file is read as GB18030, a superset of GBK and GB2312, which
//!   is what Excel in China writes. A file whose first 64 KiB are UTF-8 but which holds other
//!   bytes later gets a row error on those rows, never replacement characters. Bytes that are
//!   not valid GB18030 in a GB18030 file also give a row error.
//! - **Delimiter.** Comma. If the header line (outside quotes) has no comma but has a tab, tab;
//!   else if it has a semicolon, semicolon (Excel in some locales, Excel "Unicode text").
//! - **Rows.** `row` is the row number a spreadsheet shows when it opens the file: the header
//!   is row 1 when it is the first line, every record is one row even when a quoted cell holds
//!   line breaks, blank lines count as rows, and CRLF, LF and CR line ends all work. (The csv
//!   crate's `Position::line` is not used: it is one short on CRLF files and counts line breaks
//!   inside cells.) Rows whose cells are all empty (blank lines, `,,,,`) are skipped. A row
//!   with fewer cells than the header, or more cells that are not empty, is one row error (its
//!   cells cannot be attributed to columns); extra empty trailing cells are accepted.
//! - **Headers.** Matching ignores surrounding whitespace, case, full-width/half-width forms,
//!   spaces vs `_` vs `-`, and a trailing unit in brackets (`销售额(元)`, `销售额（万元）`,
//!   `revenue (CNY)`). Money columns scale by their unit (`万元` multiplies by 10,000); numeric
//!   columns accept only the units listed in [`ACCEPTED_COLUMNS`] and any other unit is a header
//!   error, so an amount is never mis-scaled. Text, yes/no and credit columns accept any
//!   bracketed note (`转介绍(是/否)`). Unknown columns are ignored and listed in
//!   [`AccountRows::ignored_columns`] and [`AccountRows::warnings`]. A missing id or name
//!   column, or two columns meaning the same field, is an [`ImportError::Header`].
//! - **Money** is parsed from the decimal text into fen with integer arithmetic only (never
//!   `f64`). Accepted: thousands separators placed every 3 digits, `¥`/`￥`/`RMB`/`CNY` before or
//!   after, a `元` suffix, `-`/`+` signs, `(3,000)` accounting negatives, full-width digits, and
//!   a `万` / `亿` suffix (`1.2万` = 12,000 元) unless the header already gives a unit. Values
//!   finer than one fen (`12.345`) are rejected rather than rounded: trailing zeros are fine
//!   (`12.3400`). Negative amounts are accepted in every money column (refunds, losses).
//!   Scientific notation (`1.23E+07`, which Excel writes when it has already lost digits), a lone
//!   dash and spreadsheet error values (`#N/A`) are rejected with a message.
//! - **Counts** (transactions, overdue days, product lines, scores) must be whole and not
//!   negative; `3.00` is accepted as 3, `3.5` is not. `cooperation_years` is a decimal number of
//!   years from 0 to 150 (a larger value is most likely a starting year).
//! - **Empty cells** are `None` ("not recorded"), never zero; markers such as `N/A`, `null` or
//!   `-` are rejected instead of guessed.
//! - **Text.** Values are trimmed. The id must be 1–64 characters without control characters;
//!   the name must not be empty or contain line breaks. Aliases split on `;` `；` `、` `|` `/`.
//!   Ids are compared exactly as written (after trimming).
//! - **Limits.** A cell of an imported column longer than [`MAX_CELL_BYTES`] (1 MiB) is a row
//!   error naming the row and the column. A row longer than [`MAX_ROW_BYTES`] (2 MiB; most
//!   likely a quote that is never closed) ends the import with a row error saying so: the CSV
//!   reader holds one whole row in memory, so this bounds the memory a file can take whatever
//!   its shape. A header of more than [`MAX_COLUMNS`] (16,384, Excel's limit) columns is a header
//!   error. Ignored columns beyond the 20th are counted in one warning, not listed.
//! - **Read errors** in the middle of the file end the iterator with one last row error that
//!   says nothing after it was imported ([`AccountRows::stopped_early`]); when the input itself
//!   failed (an I/O error, e.g. a request body cut off at its size limit, not a problem of the
//!   text) [`AccountRows::read_failed`] says so, and the server stores none of the file.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io::{self, Read};

use encoding_rs::{CoderResult, Decoder, Encoding, GB18030, UTF_16BE, UTF_16LE};
use serde::Serialize;

use crate::domain::account::{Account, CreditRating, Indicators, Money};

/// How much of the file is examined to choose the encoding and the delimiter.
const SNIFF_LEN: usize = 64 * 1024;
/// Size of the read buffer used by the CSV reader and the transcoder.
const BUFFER_LEN: usize = 64 * 1024;
/// Longest accepted account id, in characters.
pub const MAX_ID_CHARS: usize = 64;
/// Largest accepted `cooperation_years`: a larger number is most likely a starting year.
const MAX_COOPERATION_YEARS: f64 = 150.0;
/// Longest accepted cell of an imported column, in bytes: a longer one is a row error naming the
/// row and the column.
pub const MAX_CELL_BYTES: usize = 1 << 20;
/// Longest accepted row, in bytes (with any blank lines before it). Reading stops at a longer
/// row — most likely a quote that is never closed, which makes the rest of the file one cell —
/// so one row never takes more memory than this.
pub const MAX_ROW_BYTES: u64 = 2 << 20;
/// Most columns accepted in the header (Excel's own limit is 16,384).
pub const MAX_COLUMNS: usize = 16_384;
/// Ignored columns named one by one in [`AccountRows::warnings`]; the rest are counted.
const MAX_IGNORED_WARNINGS: usize = 20;

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/// One account read from the file, with the spreadsheet row it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParsedRow {
    /// 1-based row number as a spreadsheet shows the file (the header is row 1 when it is the
    /// first line; a cell with line breaks does not add rows).
    pub row: u64,
    pub account: Account,
}

/// One problem in one cell of a row. A bad row yields all of its problems at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowError {
    /// 1-based row number as a spreadsheet shows the file (see [`ParsedRow::row`]).
    pub row: u64,
    /// The column header as written in the file (e.g. `销售额(万元)`); empty when the problem
    /// concerns the whole row (wrong number of cells, unreadable file).
    pub column: String,
    /// The offending value as written (trimmed); for a whole-row problem, the row's text.
    pub value: String,
    /// What is wrong and what to do about it, in English.
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column.is_empty() {
            write!(f, "row {}: {}", self.row, self.message)
        } else {
            write!(
                f,
                "row {}, column \"{}\", value \"{}\": {}",
                self.row, self.column, self.value, self.message
            )
        }
    }
}

/// A column of the file that is not an account field and whose cells were not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct IgnoredColumn {
    /// 1-based column number.
    pub position: usize,
    /// Spreadsheet column letter (A, B, …, AA).
    pub letter: String,
    /// The header as written in the file (empty when the header cell is empty).
    pub header: String,
}

/// The encoding the file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceEncoding {
    Utf8,
    Utf8WithBom,
    Utf16Le,
    Utf16Be,
    /// GB18030, a superset of GBK and GB2312 (chosen when the start of the file is not UTF-8).
    Gb18030,
}

impl SourceEncoding {
    pub fn label(self) -> &'static str {
        match self {
            SourceEncoding::Utf8 => "UTF-8",
            SourceEncoding::Utf8WithBom => "UTF-8 with BOM",
            SourceEncoding::Utf16Le => "UTF-16LE",
            SourceEncoding::Utf16Be => "UTF-16BE",
            SourceEncoding::Gb18030 => "GB18030 (GBK)",
        }
    }

    fn is_transcoded(self) -> bool {
        !matches!(self, SourceEncoding::Utf8 | SourceEncoding::Utf8WithBom)
    }
}

/// Why a file cannot be imported at all. Problems of single rows are [`RowError`]s instead.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("could not read the file: {0}")]
    Io(#[from] io::Error),
    #[error(
        "the file is empty — the first line must be a header naming the columns, e.g. id,name,revenue"
    )]
    Empty,
    #[error(
        "the header row (row {row}) cannot be used: {}. Accepted column names: {}",
        .problems.join("; "),
        accepted_columns_text()
    )]
    Header {
        /// The line of the header row.
        row: u64,
        /// Every problem found in the header, each saying what to do.
        problems: Vec<String>,
    },
}

/// A column the importer understands: its field id, the headers it accepts and the units a
/// header may carry in brackets. Used for error messages and documentation.
#[derive(Debug)]
pub struct AcceptedColumn {
    /// English field id (DOMAIN.md §8).
    pub field: &'static str,
    /// Other accepted header spellings.
    pub headers: &'static [&'static str],
    /// Units accepted in brackets after the header; empty when any bracketed note is accepted.
    pub units: &'static [&'static str],
    /// What a cell may contain.
    pub values: &'static str,
    kind: Field,
}

const MONEY_VALUES: &str =
    "amount in 元, e.g. 1,234,567.89, ¥1,234, RMB 1234, -3,000, (3,000), 1.2万";
const MONEY_UNITS: &[&str] = &[
    "元",
    "CNY",
    "RMB",
    "¥",
    "人民币",
    "千元",
    "万元",
    "万",
    "百万元",
    "百万",
    "亿元",
    "亿",
];
const YES_NO_VALUES: &str = "yes/no, true/false, y/n, 1/0, 是/否, 有/无, √/×";

/// Every column the importer understands, in the order fields appear in [`Account`].
pub const ACCEPTED_COLUMNS: &[AcceptedColumn] = &[
    AcceptedColumn {
        field: "id",
        headers: &["客户编号", "客户ID", "编号"],
        units: &[],
        values: "required, unique in the file, at most 64 characters",
        kind: Field::Id,
    },
    AcceptedColumn {
        field: "name",
        headers: &["客户名称", "名称", "客户"],
        units: &[],
        values: "required, one line",
        kind: Field::Name,
    },
    AcceptedColumn {
        field: "aliases",
        headers: &["别名", "简称"],
        units: &[],
        values: "names separated by ; ； 、 | or /",
        kind: Field::Aliases,
    },
    AcceptedColumn {
        field: "industry",
        headers: &["行业"],
        units: &[],
        values: "text",
        kind: Field::Industry,
    },
    AcceptedColumn {
        field: "region",
        headers: &["区域", "地区"],
        units: &[],
        values: "text",
        kind: Field::Region,
    },
    AcceptedColumn {
        field: "owner",
        headers: &["负责人", "客户经理", "销售代表", "归属销售"],
        units: &[],
        values: "user name of the rep",
        kind: Field::Owner,
    },
    AcceptedColumn {
        field: "revenue",
        headers: &["销售额"],
        units: MONEY_UNITS,
        values: MONEY_VALUES,
        kind: Field::Revenue,
    },
    AcceptedColumn {
        field: "profit",
        headers: &["利润"],
        units: MONEY_UNITS,
        values: MONEY_VALUES,
        kind: Field::Profit,
    },
    AcceptedColumn {
        field: "collected",
        headers: &["回款金额", "回款"],
        units: MONEY_UNITS,
        values: MONEY_VALUES,
        kind: Field::Collected,
    },
    AcceptedColumn {
        field: "transactions",
        headers: &["交易次数"],
        units: &["次", "笔", "单", "times", "count"],
        values: "whole number ≥ 0",
        kind: Field::Transactions,
    },
    AcceptedColumn {
        field: "cooperation_years",
        headers: &["合作年限"],
        units: &["年", "years", "year", "yrs"],
        values: "number of years 0–150, decimals allowed, e.g. 3.5",
        kind: Field::CooperationYears,
    },
    AcceptedColumn {
        field: "overdue_days",
        headers: &["逾期天数"],
        units: &["天", "日", "days", "day"],
        values: "whole number ≥ 0",
        kind: Field::OverdueDays,
    },
    AcceptedColumn {
        field: "product_lines",
        headers: &["产品线数"],
        units: &["个", "条", "种", "lines", "count"],
        values: "whole number ≥ 0",
        kind: Field::ProductLines,
    },
    AcceptedColumn {
        field: "credit",
        headers: &["信用等级"],
        units: &[],
        values: "good/fair/poor/none, AAA–D, 优/良/中/差/无, 高/中/低/无",
        kind: Field::Credit,
    },
    AcceptedColumn {
        field: "referral",
        headers: &["转介绍"],
        units: &[],
        values: YES_NO_VALUES,
        kind: Field::Referral,
    },
    AcceptedColumn {
        field: "picky",
        headers: &["挑剔"],
        units: &[],
        values: YES_NO_VALUES,
        kind: Field::Picky,
    },
    AcceptedColumn {
        field: "strict",
        headers: &["严格"],
        units: &[],
        values: YES_NO_VALUES,
        kind: Field::Strict,
    },
    AcceptedColumn {
        field: "potential_customer",
        headers: &["客户指标评分"],
        units: &["分", "0-100", "0~100", "0–100", "百分制", "points", "score"],
        values: "whole number 0–100",
        kind: Field::PotentialCustomer,
    },
    AcceptedColumn {
        field: "potential_service",
        headers: &["服务指标评分"],
        units: &["分", "0-100", "0~100", "0–100", "百分制", "points", "score"],
        values: "whole number 0–100",
        kind: Field::PotentialService,
    },
];

/// The accepted column names as one line of text, for error messages.
pub fn accepted_columns_text() -> String {
    ACCEPTED_COLUMNS
        .iter()
        .map(|c| format!("{} ({})", c.field, c.headers.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

// ---------------------------------------------------------------------------------------------
// Entry point and iterator
// ---------------------------------------------------------------------------------------------

/// Reads the header of a CSV export and returns an iterator over its account rows.
///
/// The encoding and delimiter are detected (see the module documentation). Header problems are
/// returned here as [`ImportError::Header`]; problems of single rows come out of the iterator as
/// `Err(Vec<RowError>)` holding every problem of that row, and the iterator goes on with the
/// next row.
pub fn read_accounts<R: Read>(input: R) -> Result<AccountRows<R>, ImportError> {
    let mut input = input;
    let head = read_up_to(&mut input, SNIFF_LEN)?;
    let (encoding, bom_len) = detect_encoding(&head);
    let mut source = match encoding {
        SourceEncoding::Utf8 | SourceEncoding::Utf8WithBom => {
            Source::Plain(io::Cursor::new(head).chain(input))
        }
        SourceEncoding::Utf16Le => Source::decoded(input, head, bom_len, UTF_16LE),
        SourceEncoding::Utf16Be => Source::decoded(input, head, bom_len, UTF_16BE),
        SourceEncoding::Gb18030 => Source::decoded(input, head, 0, GB18030),
    };
    if let Source::Plain(chain) = &mut source {
        // Skip the UTF-8 byte-order mark.
        let cursor = chain.get_mut().0;
        cursor.set_position(bom_len as u64);
    }

    // The delimiter is chosen from the first line of the decoded text.
    let first = read_up_to(&mut source, SNIFF_LEN)?;
    let delimiter = detect_delimiter(&first);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(BUFFER_LEN)
        .from_reader(RowTracker::new(io::Cursor::new(first).chain(source)));

    let mut record = csv::ByteRecord::new();
    let mut row = 0;
    loop {
        let read = match reader.read_byte_record(&mut record) {
            Ok(read) => read,
            Err(error) if is_row_too_long(&error) => {
                return Err(ImportError::Header {
                    row: row + 1,
                    problems: vec![format!(
                        "the header row is longer than {} — check that the file is a CSV \
                         export and that no quote (\") is left open",
                        mib(MAX_ROW_BYTES)
                    )],
                })
            }
            Err(error) => return Err(csv_to_io(error).into()),
        };
        if !read {
            return Err(ImportError::Empty);
        }
        row = next_row(&mut reader, &record, row);
        if !is_blank_record(&record) {
            break;
        }
    }
    let header_row = row;
    let plan = plan_columns(&record, header_row, encoding)?;

    Ok(AccountRows {
        reader,
        record,
        slots: plan.slots,
        headers: plan.headers,
        ignored: plan.ignored,
        warnings: plan.warnings,
        seen_ids: HashMap::new(),
        encoding,
        delimiter,
        header_row,
        row,
        finished: false,
        stopped_early: false,
        read_failed: None,
    })
}

/// Iterator over the account rows of a CSV export; see [`read_accounts`].
///
/// Holds one record at a time plus the ids seen so far.
pub struct AccountRows<R> {
    reader: csv::Reader<CsvInput<R>>,
    record: csv::ByteRecord,
    slots: Vec<Option<Slot>>,
    headers: Vec<String>,
    ignored: Vec<IgnoredColumn>,
    warnings: Vec<String>,
    /// Account id → row of its first occurrence.
    seen_ids: HashMap<Box<str>, u64>,
    encoding: SourceEncoding,
    delimiter: u8,
    header_row: u64,
    /// Spreadsheet row of the last record read.
    row: u64,
    finished: bool,
    stopped_early: bool,
    /// The input's own error, when reading it failed (not a problem of the text).
    read_failed: Option<String>,
}

impl<R> AccountRows<R> {
    /// The encoding the file is being read in.
    pub fn encoding(&self) -> SourceEncoding {
        self.encoding
    }

    /// The cell delimiter: `,`, `;` or a tab.
    pub fn delimiter(&self) -> char {
        char::from(self.delimiter)
    }

    /// The row the header was found on (1 unless blank lines precede it).
    pub fn header_row(&self) -> u64 {
        self.header_row
    }

    /// The headers as written in the file (trimmed), in column order.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// Columns that are not account fields: their cells are not imported.
    pub fn ignored_columns(&self) -> &[IgnoredColumn] {
        &self.ignored
    }

    /// Human-readable notes about the file (ignored columns, encoding), to show to the user.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// True when reading the file failed part-way: the last item was a row error saying so and
    /// nothing after it was imported.
    pub fn stopped_early(&self) -> bool {
        self.stopped_early
    }

    /// The error of the input, when it stopped because the input could not be read (an I/O
    /// error), rather than because of what the file says (a row too long).
    pub fn read_failed(&self) -> Option<&str> {
        self.read_failed.as_deref()
    }
}

impl<R: Read> Iterator for AccountRows<R> {
    type Item = Result<ParsedRow, Vec<RowError>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        loop {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(true) => {}
                Ok(false) => {
                    self.finished = true;
                    return None;
                }
                Err(error) => {
                    self.finished = true;
                    self.stopped_early = true;
                    let row = self.row + 1;
                    if !is_row_too_long(&error) {
                        self.read_failed = Some(error.to_string());
                    }
                    let message = if is_row_too_long(&error) {
                        format!(
                            "this row is longer than {} — most likely a quote (\") opens a cell \
                             and is never closed, so the rest of the file reads as one cell; \
                             close or remove that quote and import again (nothing from this \
                             row on was imported)",
                            mib(MAX_ROW_BYTES)
                        )
                    } else {
                        format!(
                            "could not read the rest of the file: {error} — nothing from this \
                             row on was imported; check the file and import it again"
                        )
                    };
                    return Some(Err(vec![RowError {
                        row,
                        column: String::new(),
                        value: String::new(),
                        message,
                    }]));
                }
            }
            self.row = next_row(&mut self.reader, &self.record, self.row);
            let row = self.row;
            if is_blank_record(&self.record) {
                continue;
            }
            return Some(
                self.parse_row(row)
                    .map(|account| ParsedRow { row, account }),
            );
        }
    }
}

impl<R: Read> std::iter::FusedIterator for AccountRows<R> {}

impl<R> AccountRows<R> {
    fn parse_row(&mut self, row: u64) -> Result<Account, Vec<RowError>> {
        let expected = self.headers.len();
        let found = self.record.len();
        let extra_has_data = self
            .record
            .iter()
            .skip(expected)
            .any(|cell| !is_blank_cell(cell));
        if found < expected || extra_has_data {
            return Err(vec![self.cell_count_error(row, found, expected)]);
        }

        let mut errors = Vec::new();
        let mut account = Account {
            id: String::new(),
            name: String::new(),
            aliases: Vec::new(),
            industry: None,
            region: None,
            owner: None,
            indicators: Indicators::default(),
        };
        let transcoded = self.encoding.is_transcoded();
        for (index, slot) in self.slots.iter().enumerate() {
            let Some(slot) = slot else { continue };
            let bytes = self.record.get(index).unwrap_or_default();
            let header = &self.headers[index];
            if bytes.len() > MAX_CELL_BYTES {
                let start = String::from_utf8_lossy(&bytes[..bytes.len().min(800)]);
                errors.push(RowError {
                    row,
                    column: header.clone(),
                    value: start.chars().take(200).collect::<String>() + "…",
                    message: format!(
                        "this cell is longer than {} ({} bytes) — shorten it, and check that no \
                         quote (\") is left open in the cell before it",
                        mib(MAX_CELL_BYTES as u64),
                        bytes.len()
                    ),
                });
                continue;
            }
            let text = match std::str::from_utf8(bytes) {
                Ok(text) => text,
                Err(_) => {
                    errors.push(RowError {
                        row,
                        column: header.clone(),
                        value: String::from_utf8_lossy(bytes).trim().to_string(),
                        message: "this cell is not valid UTF-8 although the start of the file \
                                  is — save the whole file in one encoding (Excel: \"CSV UTF-8\") \
                                  and import it again"
                            .to_string(),
                    });
                    continue;
                }
            };
            let value = text.trim();
            if transcoded && value.contains('\u{FFFD}') {
                errors.push(RowError {
                    row,
                    column: header.clone(),
                    value: value.to_string(),
                    message: format!(
                        "this cell has bytes that are not valid {} — save the file as \
                         \"CSV UTF-8\" and import it again",
                        self.encoding.label()
                    ),
                });
                continue;
            }
            let result = match slot.field {
                Field::Id => parse_id(value).and_then(|id| match self.seen_ids.get(id.as_str()) {
                    Some(first) => Err(format!(
                        "duplicate id: row {first} already has this id — ids must be \
                             unique in a file; remove or merge one of the two rows"
                    )),
                    None => {
                        self.seen_ids.insert(id.clone().into_boxed_str(), row);
                        account.id = id;
                        Ok(())
                    }
                }),
                field => apply_value(field, slot, value, &mut account),
            };
            if let Err(message) = result {
                errors.push(RowError {
                    row,
                    column: header.clone(),
                    value: value.to_string(),
                    message,
                });
            }
        }
        if errors.is_empty() {
            Ok(account)
        } else {
            Err(errors)
        }
    }

    fn cell_count_error(&self, row: u64, found: usize, expected: usize) -> RowError {
        let delimiter = char::from(self.delimiter);
        let text: Vec<Cow<'_, str>> = self.record.iter().map(String::from_utf8_lossy).collect();
        let mut value = text.join(&delimiter.to_string());
        if value.chars().count() > 200 {
            value = value.chars().take(200).collect::<String>() + "…";
        }
        let shown = match delimiter {
            '\t' => "tab".to_string(),
            ',' => "\",\" (e.g. 1,234,567 without quotes)".to_string(),
            other => format!("\"{other}\""),
        };
        let message = if found < expected {
            format!(
                "this row has {found} cells but the header has {expected} — a cell is missing \
                 or a quote is not closed; make the row match the header"
            )
        } else {
            format!(
                "this row has {found} cells but the header has {expected} — a value probably \
                 contains an unquoted {shown}; put such values in double quotes or remove the \
                 separators"
            )
        };
        RowError {
            row,
            column: String::new(),
            value,
            message,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Header
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Id,
    Name,
    Aliases,
    Industry,
    Region,
    Owner,
    Revenue,
    Profit,
    Collected,
    Transactions,
    CooperationYears,
    OverdueDays,
    ProductLines,
    Credit,
    Referral,
    Picky,
    Strict,
    PotentialCustomer,
    PotentialService,
}

/// How one column of the file maps to an account field.
#[derive(Debug, Clone)]
struct Slot {
    field: Field,
    /// Yuan per unit written in a money cell (1 for 元, 10,000 for 万元).
    scale: u64,
    /// The unit as written in the header, for messages.
    unit: String,
}

struct ColumnPlan {
    slots: Vec<Option<Slot>>,
    headers: Vec<String>,
    ignored: Vec<IgnoredColumn>,
    warnings: Vec<String>,
}

fn plan_columns(
    record: &csv::ByteRecord,
    row: u64,
    encoding: SourceEncoding,
) -> Result<ColumnPlan, ImportError> {
    if record.len() > MAX_COLUMNS {
        return Err(ImportError::Header {
            row,
            problems: vec![format!(
                "the header has {} columns — at most {MAX_COLUMNS} columns are accepted; \
                 delete the columns that are not account fields",
                record.len()
            )],
        });
    }
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut headers = Vec::with_capacity(record.len());
    for (index, cell) in record.iter().enumerate() {
        match std::str::from_utf8(cell) {
            Ok(text) => headers.push(trim_header(text).to_string()),
            Err(_) => {
                problems.push(format!(
                    "column {} is not valid UTF-8 text — save the file as \"CSV UTF-8\"",
                    column_letter(index)
                ));
                headers.push(String::from_utf8_lossy(cell).trim().to_string());
            }
        }
    }

    let mut slots: Vec<Option<Slot>> = Vec::with_capacity(headers.len());
    let mut ignored = Vec::new();
    let mut taken: Vec<(Field, usize)> = Vec::new();
    for (index, header) in headers.iter().enumerate() {
        let (key, unit) = split_header(header);
        let Some(column) = find_column(&key) else {
            ignored.push(IgnoredColumn {
                position: index + 1,
                letter: column_letter(index),
                header: header.clone(),
            });
            if ignored.len() <= MAX_IGNORED_WARNINGS {
                warnings.push(ignored_warning(index, header, &key));
            }
            slots.push(None);
            continue;
        };
        if let Some((_, first)) = taken.iter().find(|(field, _)| *field == column.kind) {
            problems.push(format!(
                "columns {} \"{}\" and {} \"{}\" both mean {} — keep only one of them",
                column_letter(*first),
                headers[*first],
                column_letter(index),
                header,
                column.field
            ));
            slots.push(None);
            continue;
        }
        taken.push((column.kind, index));
        let scale = match unit.as_deref() {
            None => 1,
            Some(unit) => match unit_scale(column, unit) {
                Some(scale) => scale,
                None => {
                    problems.push(format!(
                        "column {} \"{}\" has a unit this importer does not know — rename it to \
                         {} or give one of these units in brackets: {}",
                        column_letter(index),
                        header,
                        column.headers.first().copied().unwrap_or(column.field),
                        column.units.join(", ")
                    ));
                    1
                }
            },
        };
        slots.push(Some(Slot {
            field: column.kind,
            scale,
            unit: unit.unwrap_or_default(),
        }));
    }

    for required in [Field::Id, Field::Name] {
        if !taken.iter().any(|(field, _)| *field == required) {
            let column = ACCEPTED_COLUMNS.iter().find(|c| c.kind == required);
            let names = column.map_or(String::new(), |c| {
                format!("{} (or {})", c.field, c.headers.join(" / "))
            });
            problems.push(format!("there is no {names} column — add one"));
        }
    }

    if !problems.is_empty() {
        let found = headers
            .iter()
            .enumerate()
            .map(|(i, h)| format!("{} \"{}\"", column_letter(i), h))
            .collect::<Vec<_>>()
            .join(", ");
        problems.push(format!(
            "the columns found are {found}; the first non-blank line must be the header row, so \
             delete any title rows above it"
        ));
        if encoding.is_transcoded() {
            problems.push(format!(
                "the file was read as {}; if these names look garbled, save the file as \"CSV \
                 UTF-8\" and import it again",
                encoding.label()
            ));
        }
        return Err(ImportError::Header { row, problems });
    }

    if ignored.len() > MAX_IGNORED_WARNINGS {
        warnings.push(format!(
            "{} more columns are not account fields and were not imported",
            ignored.len() - MAX_IGNORED_WARNINGS
        ));
    }
    if encoding == SourceEncoding::Gb18030 {
        warnings.push(
            "the file is not UTF-8 and was read as GB18030 (GBK); if names look garbled, save \
             it as \"CSV UTF-8\" and import it again"
                .to_string(),
        );
    }
    Ok(ColumnPlan {
        slots,
        headers,
        ignored,
        warnings,
    })
}

fn ignored_warning(index: usize, header: &str, key: &str) -> String {
    let letter = column_letter(index);
    if header.is_empty() {
        return format!("column {letter} has no header; its cells were not imported");
    }
    // A unit written without brackets, e.g. 销售额万元: say how to write it.
    for column in ACCEPTED_COLUMNS {
        for name in std::iter::once(&column.field).chain(column.headers.iter()) {
            let name_key = header_key(name);
            if let Some(rest) = key.strip_prefix(name_key.as_str()) {
                let rest = rest.trim_matches(|c| c == '_' || c == '/');
                if !rest.is_empty() && unit_scale(column, rest).is_some() {
                    return format!(
                        "column {letter} \"{header}\" is not an account field and was not \
                         imported — if it is {field}, write the unit in brackets: {name}({rest})",
                        field = column.field
                    );
                }
            }
        }
    }
    format!(
        "column {letter} \"{header}\" is not an account field and was not imported — rename it \
         if it should be (accepted: {})",
        ACCEPTED_COLUMNS
            .iter()
            .map(|c| c.field)
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn find_column(key: &str) -> Option<&'static AcceptedColumn> {
    ACCEPTED_COLUMNS.iter().find(|column| {
        header_key(column.field) == key || column.headers.iter().any(|h| header_key(h) == key)
    })
}

/// Yuan per written unit for a header unit, or `None` when the unit is not accepted.
fn unit_scale(column: &AcceptedColumn, unit: &str) -> Option<u64> {
    let unit: String = unit.chars().filter(|c| !c.is_whitespace()).collect();
    match column.kind {
        Field::Revenue | Field::Profit | Field::Collected => match unit.as_str() {
            "元" | "cny" | "rmb" | "yuan" | "¥" | "人民币" | "人民币元" | "元人民币" => {
                Some(1)
            }
            "千元" | "千" => Some(1_000),
            "万元" | "万" | "万元人民币" | "人民币万元" => Some(10_000),
            "百万元" | "百万" => Some(1_000_000),
            "亿元" | "亿" => Some(100_000_000),
            _ => None,
        },
        _ if column.units.is_empty() => Some(1),
        _ => column
            .units
            .iter()
            .any(|u| u.to_lowercase() == unit)
            .then_some(1),
    }
}

fn trim_header(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || matches!(c, '\u{FEFF}' | '\u{200B}'))
}

/// Splits a header into its lookup key and an optional bracketed unit (both folded).
fn split_header(header: &str) -> (String, Option<String>) {
    let folded = fold(header).to_lowercase();
    let folded = trim_header(&folded);
    for (open, close) in [('(', ')'), ('[', ']')] {
        if let Some(inner) = folded.strip_suffix(close) {
            if let Some(at) = inner.rfind(open) {
                let unit = inner[at + open.len_utf8()..].trim().to_string();
                return (header_key(&inner[..at]), Some(unit));
            }
        }
    }
    (header_key(folded), None)
}

/// The lookup key of a header: folded, lower case, spaces and dashes as `_`.
fn header_key(text: &str) -> String {
    let folded = fold(text).to_lowercase();
    let mut key = String::with_capacity(folded.len());
    for c in trim_header(&folded).chars() {
        if c.is_whitespace() || c == '-' || c == '_' {
            if !key.ends_with('_') {
                key.push('_');
            }
        } else {
            key.push(c);
        }
    }
    key
}

fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/// Maps full-width forms to their ASCII counterparts (digits, letters, punctuation, ideographic
/// space, ￥) and a few look-alikes (−, 【】).
fn fold_char(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        '\u{FFE5}' => '¥',
        '\u{2212}' => '-',
        '【' => '[',
        '】' => ']',
        _ => c,
    }
}

fn fold(text: &str) -> Cow<'_, str> {
    if text.is_ascii() || !text.chars().any(|c| fold_char(c) != c) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().map(fold_char).collect())
    }
}

fn is_blank_cell(cell: &[u8]) -> bool {
    if cell.iter().any(u8::is_ascii_graphic) {
        return false;
    }
    match std::str::from_utf8(cell) {
        Ok(text) => text.trim().is_empty(),
        Err(_) => false,
    }
}

fn is_blank_record(record: &csv::ByteRecord) -> bool {
    record.iter().all(is_blank_cell)
}

/// Whether `value` is one of `words`, ignoring ASCII case.
fn one_of(value: &str, words: &[&str]) -> bool {
    words.iter().any(|word| value.eq_ignore_ascii_case(word))
}

fn parse_id(value: &str) -> Result<String, String> {
    if value.is_empty() {
        return Err(
            "the id is empty — every account needs an id; if this is a totals \
                    or notes row, delete it"
                .to_string(),
        );
    }
    if value.chars().any(char::is_control) {
        return Err(
            "the id contains a line break or control character — keep the id on one line"
                .to_string(),
        );
    }
    let length = value.chars().count();
    if length > MAX_ID_CHARS {
        return Err(format!(
            "the id is {length} characters long — use at most {MAX_ID_CHARS} characters"
        ));
    }
    Ok(value.to_string())
}

fn optional_text(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_string())
}

/// Parses one non-id cell into `account`; `Err` carries the message for the user.
fn apply_value(
    field: Field,
    slot: &Slot,
    value: &str,
    account: &mut Account,
) -> Result<(), String> {
    let indicators = &mut account.indicators;
    match field {
        Field::Id => {}
        Field::Name => {
            if value.is_empty() {
                return Err("the name is empty — every account needs a name".to_string());
            }
            if value.chars().any(char::is_control) {
                return Err(
                    "the name contains a line break or control character — keep \
                            the name on one line"
                        .to_string(),
                );
            }
            account.name = value.to_string();
        }
        Field::Aliases => account.aliases = split_aliases(value),
        Field::Industry => account.industry = optional_text(value),
        Field::Region => account.region = optional_text(value),
        Field::Owner => account.owner = optional_text(value),
        Field::Revenue => indicators.revenue = optional(value, |v| parse_money(v, slot))?,
        Field::Profit => indicators.profit = optional(value, |v| parse_money(v, slot))?,
        Field::Collected => indicators.collected = optional(value, |v| parse_money(v, slot))?,
        Field::Transactions => {
            indicators.transactions = optional(value, |v| parse_count(v, &["次", "笔", "单"]))?
        }
        Field::CooperationYears => {
            indicators.cooperation_years = optional(value, parse_years)?;
        }
        Field::OverdueDays => {
            indicators.overdue_days =
                optional(value, |v| parse_count(v, &["天", "日"]).and_then(to_u32))?
        }
        Field::ProductLines => {
            indicators.product_lines = optional(value, |v| {
                parse_count(v, &["个", "条", "种"]).and_then(to_u32)
            })?
        }
        Field::Credit => indicators.credit = optional(value, parse_credit)?,
        Field::Referral => indicators.referral = optional(value, parse_bool)?,
        Field::Picky => indicators.picky = optional(value, parse_bool)?,
        Field::Strict => indicators.strict = optional(value, parse_bool)?,
        Field::PotentialCustomer => indicators.potential_customer = optional(value, parse_score)?,
        Field::PotentialService => indicators.potential_service = optional(value, parse_score)?,
    }
    Ok(())
}

/// An empty cell is "not recorded" (`None`); anything else must parse.
fn optional<T>(
    value: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, String> {
    if value.is_empty() {
        Ok(None)
    } else {
        parse(value).map(Some)
    }
}

fn split_aliases(value: &str) -> Vec<String> {
    let mut aliases: Vec<String> = Vec::new();
    for part in value.split([';', '；', '、', '|', '｜', '/', '／']) {
        let part = part.trim();
        if !part.is_empty() && !aliases.iter().any(|a| a == part) {
            aliases.push(part.to_string());
        }
    }
    aliases
}

/// Rejections shared by every numeric column, with what to do instead.
fn reject_placeholder(value: &str) -> Result<(), String> {
    if value.starts_with(|c: char| c.is_ascii_digit()) {
        return Ok(());
    }
    if matches!(value, "-" | "--" | "—" | "–" | "/") {
        return Err(
            "a lone dash is ambiguous — write 0, or leave the cell empty if the value \
                    is not recorded"
                .to_string(),
        );
    }
    if value.starts_with('#') {
        return Err(
            "this is a spreadsheet error value — fix the formula in the spreadsheet \
                    and export again, or leave the cell empty"
                .to_string(),
        );
    }
    if one_of(
        value,
        &["n/a", "na", "null", "none", "nil", "nan", "无", "空"],
    ) {
        return Err("leave the cell empty when the value is not recorded".to_string());
    }
    Ok(())
}

/// Why a decimal string did not parse.
enum NumberProblem {
    NotNumber,
    Scientific,
    Grouping,
    TooLarge,
}

/// A non-negative decimal: `digits / 10^decimals`.
struct Decimal {
    digits: u128,
    decimals: u32,
}

/// Parses ASCII digits with optional thousands separators (every 3 digits) and one `.`.
fn parse_decimal(text: &str) -> Result<Decimal, NumberProblem> {
    let mut digits: u128 = 0;
    let mut overflow = false;
    let mut decimals: u32 = 0;
    let mut any_digit = false;
    let mut seen_point = false;
    let mut commas = 0usize;
    let mut group = 0usize; // digits since the start or the last comma
    let mut grouping_ok = true;
    for b in text.bytes() {
        match b {
            b'0'..=b'9' => {
                any_digit = true;
                match digits
                    .checked_mul(10)
                    .and_then(|d| d.checked_add(u128::from(b - b'0')))
                {
                    Some(next) => digits = next,
                    None => overflow = true,
                }
                if seen_point {
                    decimals = decimals.saturating_add(1);
                } else {
                    group += 1;
                }
            }
            b',' if !seen_point => {
                let ok = if commas == 0 {
                    (1..=3).contains(&group)
                } else {
                    group == 3
                };
                grouping_ok &= ok;
                commas += 1;
                group = 0;
            }
            b'.' if !seen_point => {
                grouping_ok &= commas == 0 || group == 3;
                seen_point = true;
            }
            _ => return Err(classify_non_number(text)),
        }
    }
    grouping_ok &= seen_point || commas == 0 || group == 3;
    if !any_digit {
        Err(NumberProblem::NotNumber)
    } else if !grouping_ok {
        Err(NumberProblem::Grouping)
    } else if overflow {
        Err(NumberProblem::TooLarge)
    } else {
        Ok(Decimal { digits, decimals })
    }
}

/// Tells scientific notation (which Excel writes once it has dropped digits) from other text.
fn classify_non_number(text: &str) -> NumberProblem {
    let numeric_or_exponent =
        |b: u8| b.is_ascii_digit() || matches!(b, b'.' | b',' | b'+' | b'-' | b'e' | b'E');
    if text.bytes().any(|b| b == b'e' || b == b'E')
        && text.bytes().all(numeric_or_exponent)
        && text.bytes().any(|b| b.is_ascii_digit())
    {
        NumberProblem::Scientific
    } else {
        NumberProblem::NotNumber
    }
}

fn number_message(problem: NumberProblem, value: &str, example: &str) -> String {
    match problem {
        NumberProblem::NotNumber => format!("not a number: \"{value}\" — {example}"),
        NumberProblem::Scientific => format!(
            "\"{value}\" is in scientific notation, which has lost digits — format the column \
             as Number in the spreadsheet and export again"
        ),
        NumberProblem::Grouping => format!(
            "misplaced thousands separator in \"{value}\" — separators go every 3 digits \
             (1,234,567); a decimal comma must be written as a point (12.5)"
        ),
        NumberProblem::TooLarge => format!("\"{value}\" is too large to import"),
    }
}

const MONEY_EXAMPLE: &str =
    "use digits with an optional ¥ and thousands separators, e.g. 1,234,567.89";

/// Parses an amount into fen exactly, with integer arithmetic only.
fn parse_money(value: &str, slot: &Slot) -> Result<Money, String> {
    let folded = fold(value);
    let mut text: &str = folded.trim();
    reject_placeholder(text)?;
    let not_a_number = || format!("not a number: \"{value}\" — {MONEY_EXAMPLE}");

    let mut negative = false;
    let mut bracketed = false;
    if let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        negative = true;
        bracketed = true;
        text = inner.trim();
    }
    let mut signed = false;
    let mut currency = false;
    loop {
        text = text.trim_start();
        if let Some(rest) = text.strip_prefix(['-', '+']) {
            if signed || bracketed {
                return Err(not_a_number());
            }
            negative |= text.starts_with('-');
            signed = true;
            text = rest;
        } else if let Some(rest) = strip_currency_prefix(text) {
            if currency {
                return Err(not_a_number());
            }
            currency = true;
            text = rest;
        } else {
            break;
        }
    }
    // Suffixes: an optional currency, then an optional 万 / 亿.
    text = text.trim_end();
    let mut yuan_suffix = false;
    if let Some(rest) = strip_currency_suffix(text) {
        yuan_suffix = true;
        text = rest.trim_end();
    }
    let mut cell_scale: u64 = 1;
    if let Some(rest) = text.strip_suffix('万') {
        cell_scale = 10_000;
        text = rest.trim_end();
    } else if let Some(rest) = text.strip_suffix('亿') {
        cell_scale = 100_000_000;
        text = rest.trim_end();
    }
    if slot.scale != 1 && (cell_scale != 1 || yuan_suffix) {
        return Err(format!(
            "the header already gives the unit ({}) — write the plain number in that unit, \
             without 万, 亿 or 元",
            slot.unit
        ));
    }

    let decimal =
        parse_decimal(text).map_err(|problem| number_message(problem, value, MONEY_EXAMPLE))?;
    let too_large = || format!("\"{value}\" is too large to import");
    let scaled = decimal
        .digits
        .checked_mul(u128::from(slot.scale * cell_scale) * 100)
        .ok_or_else(too_large)?;
    let divisor = 10u128.checked_pow(decimal.decimals).ok_or_else(too_large)?;
    if scaled % divisor != 0 {
        return Err(format!(
            "\"{value}\" is more precise than one fen (0.01 元) — round it to 2 decimals in the \
             spreadsheet and export again"
        ));
    }
    let fen = i64::try_from(scaled / divisor).map_err(|_| too_large())?;
    Ok(Money(if negative { -fen } else { fen }))
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

fn strip_suffix_ignore_case<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = text.len().checked_sub(suffix.len())?;
    let tail = text.get(cut..)?;
    tail.eq_ignore_ascii_case(suffix)
        .then(|| text.get(..cut))
        .flatten()
}

fn strip_currency_prefix(text: &str) -> Option<&str> {
    ["¥", "rmb", "cny"]
        .iter()
        .find_map(|code| strip_prefix_ignore_case(text, code))
}

fn strip_currency_suffix(text: &str) -> Option<&str> {
    ["元", "rmb", "cny"]
        .iter()
        .find_map(|code| strip_suffix_ignore_case(text, code))
}

const COUNT_EXAMPLE: &str = "use a whole number such as 12";

/// Parses a whole, non-negative number; `3.00` is accepted as 3.
fn parse_count(value: &str, suffixes: &[&str]) -> Result<u64, String> {
    let folded = fold(value);
    let mut text: &str = folded.trim();
    reject_placeholder(text)?;
    if let Some(rest) = suffixes.iter().find_map(|s| text.strip_suffix(s)) {
        text = rest.trim_end();
    }
    if text.starts_with('-') || (text.starts_with('(') && text.ends_with(')')) {
        return Err(format!(
            "\"{value}\" is negative — this count cannot be below 0"
        ));
    }
    let text = text.strip_prefix('+').unwrap_or(text);
    let decimal =
        parse_decimal(text).map_err(|problem| number_message(problem, value, COUNT_EXAMPLE))?;
    let divisor = 10u128
        .checked_pow(decimal.decimals)
        .ok_or_else(|| format!("\"{value}\" is too large to import"))?;
    if decimal.digits % divisor != 0 {
        return Err(format!(
            "\"{value}\" is not a whole number — {COUNT_EXAMPLE}"
        ));
    }
    u64::try_from(decimal.digits / divisor)
        .map_err(|_| format!("\"{value}\" is too large to import"))
}

fn to_u32(count: u64) -> Result<u32, String> {
    u32::try_from(count).map_err(|_| {
        format!(
            "{count} is too large — the largest accepted is {}",
            u32::MAX
        )
    })
}

fn parse_score(value: &str) -> Result<u8, String> {
    let score = parse_count(value, &["分"])?;
    u8::try_from(score)
        .ok()
        .filter(|s| *s <= 100)
        .ok_or_else(|| {
            format!("the score {score} is outside 0–100 — use a whole number from 0 to 100")
        })
}

fn parse_years(value: &str) -> Result<f64, String> {
    let example = "use a number of years such as 3 or 3.5";
    let folded = fold(value);
    let mut text: &str = folded.trim();
    reject_placeholder(text)?;
    if let Some(rest) = ["年", "years", "year", "yrs"]
        .iter()
        .find_map(|suffix| strip_suffix_ignore_case(text, suffix))
    {
        text = rest.trim_end();
    }
    if text.starts_with('-') {
        return Err(format!("\"{value}\" is negative — {example}"));
    }
    let text = text.strip_prefix('+').unwrap_or(text);
    let decimal = parse_decimal(text).map_err(|problem| number_message(problem, value, example))?;
    // The domain stores years as f64; the digits are validated above, so this parse is exact
    // to f64 precision and cannot fail on the cleaned text.
    let cleaned: String = text.chars().filter(|c| *c != ',').collect();
    let years = cleaned
        .parse::<f64>()
        .map_err(|_| format!("not a number: \"{value}\" — {example}"))?;
    if years > MAX_COOPERATION_YEARS || decimal.digits == u128::MAX {
        return Err(format!(
            "{value} years is more than {MAX_COOPERATION_YEARS} — enter how many years the \
             cooperation has lasted, not the year it started"
        ));
    }
    Ok(years)
}

fn parse_bool(value: &str) -> Result<bool, String> {
    let folded = fold(value);
    let value_folded = folded.trim();
    if one_of(
        value_folded,
        &["true", "yes", "y", "1", "是", "有", "√", "✓", "✔"],
    ) {
        Ok(true)
    } else if one_of(
        value_folded,
        &["false", "no", "n", "0", "否", "无", "×", "✗", "✘", "✕"],
    ) {
        Ok(false)
    } else {
        Err(format!(
            "not a yes/no value: \"{value}\" — use one of {YES_NO_VALUES}, or leave the cell \
             empty if it is not recorded"
        ))
    }
}

fn parse_credit(value: &str) -> Result<CreditRating, String> {
    let folded = fold(value);
    let lower = folded.trim().to_ascii_lowercase();
    // Letter grades may carry a trailing + or - (AA+, A-).
    let grade = lower
        .strip_suffix(['+', '-'])
        .filter(|g| !g.is_empty() && g.bytes().all(|b| matches!(b, b'a'..=b'd')))
        .unwrap_or(&lower);
    match grade {
        "good" | "aaa" | "aa" | "a" | "优" | "良" | "优秀" | "良好" | "高" => {
            Ok(CreditRating::Good)
        }
        "fair" | "bbb" | "bb" | "b" | "中" | "一般" => Ok(CreditRating::Fair),
        "poor" | "ccc" | "cc" | "c" | "差" | "较差" | "低" => Ok(CreditRating::Poor),
        "none" | "d" | "无" | "0" => Ok(CreditRating::None),
        _ => Err(format!(
            "unknown credit rating: \"{value}\" — use good/fair/poor/none, a letter grade \
             (AAA/AA/A = good, BBB/BB/B = fair, CCC/CC/C = poor, D = none), 优/良/中/差/无 or \
             高/中/低/无"
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding and delimiter detection, streaming transcoding
// ---------------------------------------------------------------------------------------------

fn read_up_to<R: Read>(input: &mut R, limit: usize) -> io::Result<Vec<u8>> {
    let mut buffer = Vec::with_capacity(limit.min(BUFFER_LEN));
    input.take(limit as u64).read_to_end(&mut buffer)?;
    Ok(buffer)
}

/// The encoding of the file and the length of its byte-order mark.
fn detect_encoding(head: &[u8]) -> (SourceEncoding, usize) {
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return (SourceEncoding::Utf8WithBom, 3);
    }
    if head.starts_with(&[0xFF, 0xFE]) {
        return (SourceEncoding::Utf16Le, 2);
    }
    if head.starts_with(&[0xFE, 0xFF]) {
        return (SourceEncoding::Utf16Be, 2);
    }
    match std::str::from_utf8(head) {
        Ok(_) => (SourceEncoding::Utf8, 0),
        // Only a character cut off at the end of the sample: valid UTF-8 so far. (At the real
        // end of the file this is a truncated character, reported as a row error.)
        Err(error) if error.error_len().is_none() => (SourceEncoding::Utf8, 0),
        Err(_) => (SourceEncoding::Gb18030, 0),
    }
}

/// Comma, unless the header line has none outside quotes: then tab, then semicolon.
fn detect_delimiter(text: &[u8]) -> u8 {
    // The header is the first line that is not blank.
    let mut start = 0;
    for line in text.split(|b| *b == b'\n') {
        if line.iter().any(|b| !b.is_ascii_whitespace()) {
            break;
        }
        start += line.len() + 1;
    }
    let start = start.min(text.len());
    let (mut commas, mut tabs, mut semicolons) = (0usize, 0usize, 0usize);
    let mut quoted = false;
    for &b in &text[start..] {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            b',' if !quoted => commas += 1,
            b'\t' if !quoted => tabs += 1,
            b';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if commas == 0 && tabs > 0 {
        b'\t'
    } else if commas == 0 && semicolons > 0 {
        b';'
    } else {
        b','
    }
}

/// The spreadsheet row of the record just read, given the row of the record before it (0 for
/// none): one more, plus the blank lines the CSV reader skipped in between.
fn next_row<R: Read>(
    reader: &mut csv::Reader<RowTracker<R>>,
    record: &csv::ByteRecord,
    previous: u64,
) -> u64 {
    let blank = record
        .position()
        .map_or(0, |p| reader.get_mut().blank_lines_at(p.byte()));
    let next_start = reader.position().byte();
    reader.get_mut().row_start = next_start;
    previous + 1 + blank
}

/// The error [`RowTracker`] gives once a row runs past [`MAX_ROW_BYTES`].
#[derive(Debug)]
struct RowTooLong;

impl fmt::Display for RowTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a row is longer than {}", mib(MAX_ROW_BYTES))
    }
}

impl std::error::Error for RowTooLong {}

fn is_row_too_long(error: &csv::Error) -> bool {
    matches!(error.kind(), csv::ErrorKind::Io(e) if e.get_ref().is_some_and(|e| e.is::<RowTooLong>()))
}

/// `bytes` as a whole number of MiB, for messages.
fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes >> 20)
}

/// Counts blank lines for spreadsheet row numbers.
///
/// The csv crate's own `Position::line` counts `\n` from where the previous record's terminator
/// started, so it is one short on CRLF files (what Excel writes), wrong on CR-only files, and it
/// counts line breaks inside quoted cells, which a spreadsheet shows as one row. This reader
/// remembers each run of CR/LF bytes (offset and number of line breaks: CRLF, LF or a lone CR
/// each count once) until the CSV reader has moved past it.
///
/// It also bounds the row being read: once more than [`MAX_ROW_BYTES`] (plus one read buffer)
/// have been handed out since the last row ended, reads fail with [`RowTooLong`]. The CSV
/// reader keeps the whole row in memory, so without this a single endless cell would grow
/// without limit.
struct RowTracker<R> {
    inner: R,
    offset: u64,
    /// Offset at which the row being read starts (after the previous row's terminator).
    row_start: u64,
    runs: VecDeque<LineBreakRun>,
    in_run: bool,
    after_cr: bool,
}

struct LineBreakRun {
    start: u64,
    breaks: u64,
}

impl<R> RowTracker<R> {
    fn new(inner: R) -> RowTracker<R> {
        RowTracker {
            inner,
            offset: 0,
            row_start: 0,
            runs: VecDeque::new(),
            in_run: false,
            after_cr: false,
        }
    }

    /// Blank lines between the end of the previous record and the record whose position (as
    /// reported by the csv crate) is `byte`: the position is just after the terminator byte
    /// that ended the previous record, or 0 for the first record.
    fn blank_lines_at(&mut self, byte: u64) -> u64 {
        while self.runs.front().is_some_and(|run| run.start + 1 < byte) {
            self.runs.pop_front();
        }
        match self.runs.front() {
            Some(run) if run.start == byte => run.breaks,
            Some(run) if run.start + 1 == byte => run.breaks.saturating_sub(1),
            _ => 0,
        }
    }
}

impl<R: Read> Read for RowTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.offset.saturating_sub(self.row_start) > MAX_ROW_BYTES {
            return Err(io::Error::new(io::ErrorKind::InvalidData, RowTooLong));
        }
        let n = self.inner.read(buf)?;
        let n = n.min(buf.len());
        let data = &buf[..n];
        let mut i = 0;
        while i < n {
            if !self.in_run {
                // Skip to the next line break.
                match data[i..].iter().position(|b| *b == b'\n' || *b == b'\r') {
                    Some(skip) => i += skip,
                    None => break,
                }
            }
            let b = data[i];
            if b == b'\n' || b == b'\r' {
                if !self.in_run {
                    self.runs.push_back(LineBreakRun {
                        start: self.offset + i as u64,
                        breaks: 0,
                    });
                    self.in_run = true;
                }
                if b == b'\r' || !self.after_cr {
                    if let Some(run) = self.runs.back_mut() {
                        run.breaks += 1;
                    }
                }
                self.after_cr = b == b'\r';
            } else {
                self.in_run = false;
                self.after_cr = false;
            }
            i += 1;
        }
        self.offset += n as u64;
        Ok(n)
    }
}

fn csv_to_io(error: csv::Error) -> io::Error {
    match error.into_kind() {
        csv::ErrorKind::Io(error) => error,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// What the CSV reader reads: the sampled start of the (UTF-8) text, then the rest.
type CsvInput<R> = RowTracker<io::Chain<io::Cursor<Vec<u8>>, Source<R>>>;

/// The file as UTF-8 bytes: passed through, or transcoded on the fly.
enum Source<R> {
    Plain(io::Chain<io::Cursor<Vec<u8>>, R>),
    Decoded(Box<DecodingReader<R>>),
}

impl<R: Read> Source<R> {
    fn decoded(inner: R, head: Vec<u8>, skip: usize, encoding: &'static Encoding) -> Source<R> {
        let filled = head.len();
        let mut input = head;
        input.resize(filled.max(BUFFER_LEN), 0);
        Source::Decoded(Box::new(DecodingReader {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            input,
            in_pos: skip.min(filled),
            in_end: filled,
            output: vec![0; BUFFER_LEN],
            out_pos: 0,
            out_end: 0,
            eof: false,
            finished: false,
        }))
    }
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Source::Plain(reader) => reader.read(buf),
            Source::Decoded(reader) => reader.read(buf),
        }
    }
}

/// A streaming `Read` adapter that decodes another encoding into UTF-8 with `encoding_rs`.
/// Malformed input becomes U+FFFD, which the row parser reports as an error.
struct DecodingReader<R> {
    inner: R,
    decoder: Decoder,
    input: Vec<u8>,
    in_pos: usize,
    in_end: usize,
    output: Vec<u8>,
    out_pos: usize,
    out_end: usize,
    eof: bool,
    finished: bool,
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.out_pos < self.out_end {
                let n = buf.len().min(self.out_end - self.out_pos);
                buf[..n].copy_from_slice(&self.output[self.out_pos..self.out_pos + n]);
                self.out_pos += n;
                return Ok(n);
            }
            if self.finished {
                return Ok(0);
            }
            if self.in_pos == self.in_end && !self.eof {
                let n = loop {
                    match self.inner.read(&mut self.input) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    }
                };
                self.in_pos = 0;
                self.in_end = n.min(self.input.len());
                self.eof = n == 0;
            }
            let (result, read, written, _) = self.decoder.decode_to_utf8(
                &self.input[self.in_pos..self.in_end],
                &mut self.output,
                self.eof,
            );
            self.in_pos += read;
            self.out_pos = 0;
            self.out_end = written;
            if self.eof && result == CoderResult::InputEmpty {
                self.finished = true;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    /// Imports `bytes` and splits the items into good rows and errors.
    fn import(bytes: &[u8]) -> (Vec<ParsedRow>, Vec<RowError>) {
        let rows = read_accounts(bytes).expect("header is accepted");
        split(rows)
    }

    fn split<R: Read>(rows: AccountRows<R>) -> (Vec<ParsedRow>, Vec<RowError>) {
        let mut good = Vec::new();
        let mut bad = Vec::new();
        for item in rows {
            match item {
                Ok(row) => good.push(row),
                Err(errors) => bad.extend(errors),
            }
        }
        (good, bad)
    }

    fn only_account(csv: &str) -> Account {
        let (good, bad) = import(csv.as_bytes());
        assert!(bad.is_empty(), "unexpected errors: {bad:#?}");
        assert_eq!(good.len(), 1);
        good.into_iter().next().map(|r| r.account).expect("one row")
    }

    fn header_problems(csv: &[u8]) -> Vec<String> {
        match read_accounts(csv) {
            Err(ImportError::Header { problems, .. }) => problems,
            Err(other) => panic!("expected a header error, got {other}"),
            Ok(_) => panic!("expected a header error, the header was accepted"),
        }
    }

    fn triples(errors: &[RowError]) -> Vec<(u64, &str, &str)> {
        errors
            .iter()
            .map(|e| (e.row, e.column.as_str(), e.value.as_str()))
            .collect()
    }

    fn money(column_value: &str) -> Result<Money, String> {
        let slot = Slot {
            field: Field::Revenue,
            scale: 1,
            unit: String::new(),
        };
        parse_money(column_value, &slot)
    }

    /// A reader that hands out at most `chunk` bytes per call, to exercise buffer boundaries.
    struct Trickle<'a> {
        data: &'a [u8],
        chunk: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.chunk.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    const CHINESE_CSV: &str = "客户编号,客户名称,别名,行业,区域,负责人,销售额(元),利润,回款金额,交易次数,合作年限,逾期天数,产品线数,信用等级,转介绍,挑剔,严格,客户指标评分,服务指标评分\n\
        KH001,华东精密机械有限公司,华东精密；华精,制造业,华东,张伟,\"1,234,567.89\",-3000,¥1000000,12,3.5,0,3,AA,是,否,√,85,90\n\
        KH002,北方物流,,物流,华北,李娜,,,,,,,,,,,,,\n";

    #[test]
    fn gb18030_file_with_chinese_headers_is_decoded_and_imported() {
        let (bytes, _, unmappable) = GB18030.encode(CHINESE_CSV);
        assert!(!unmappable);
        assert!(
            std::str::from_utf8(&bytes).is_err(),
            "test input must not be UTF-8"
        );
        let rows = read_accounts(Trickle {
            data: &bytes,
            chunk: 7,
        })
        .expect("header");
        assert_eq!(rows.encoding(), SourceEncoding::Gb18030);
        assert!(rows.warnings().iter().any(|w| w.contains("GB18030")));
        let (good, bad) = split(rows);
        assert!(bad.is_empty(), "{bad:#?}");
        assert_eq!(good.len(), 2);
        let first = &good[0];
        assert_eq!(first.row, 2);
        let a = &first.account;
        assert_eq!(a.id, "KH001");
        assert_eq!(a.name, "华东精密机械有限公司");
        assert_eq!(a.aliases, vec!["华东精密", "华精"]);
        assert_eq!(a.industry.as_deref(), Some("制造业"));
        assert_eq!(a.region.as_deref(), Some("华东"));
        assert_eq!(a.owner.as_deref(), Some("张伟"));
        let i = &a.indicators;
        assert_eq!(i.revenue, Some(Money(123_456_789)));
        assert_eq!(i.profit, Some(Money(-300_000)));
        assert_eq!(i.collected, Some(Money(100_000_000)));
        assert_eq!(i.transactions, Some(12));
        assert_eq!(i.cooperation_years, Some(3.5));
        assert_eq!(i.overdue_days, Some(0));
        assert_eq!(i.product_lines, Some(3));
        assert_eq!(i.credit, Some(CreditRating::Good));
        assert_eq!(i.referral, Some(true));
        assert_eq!(i.picky, Some(false));
        assert_eq!(i.strict, Some(true));
        assert_eq!(i.potential_customer, Some(85));
        assert_eq!(i.potential_service, Some(90));
        let second = &good[1];
        assert_eq!(second.row, 3);
        assert_eq!(second.account.indicators, Indicators::default());
        assert!(second.account.aliases.is_empty());
    }

    #[test]
    fn an_excel_style_gbk_file_with_crlf_units_and_extra_columns_imports() {
        let text = "客户编号,客户名称,联系人,销售额(万元),利润（元）,信用等级,备注\r\n\
                    KH-01,\"深圳市某某科技有限公司\",王经理,\"1,234.5678\",\"(12,000.50)\",良,\"多行\r\n备注\"\r\n\
                    \r\n\
                    KH-02,广州某贸易公司,李,0.5,￥３００,,\r\n";
        let (bytes, _, _) = GB18030.encode(text);
        let rows = read_accounts(bytes.as_ref()).expect("header");
        assert_eq!(rows.encoding(), SourceEncoding::Gb18030);
        let ignored: Vec<_> = rows
            .ignored_columns()
            .iter()
            .map(|c| c.header.as_str())
            .collect();
        assert_eq!(ignored, vec!["联系人", "备注"]);
        let (good, bad) = split(rows);
        assert!(bad.is_empty(), "{bad:#?}");
        assert_eq!(good.iter().map(|r| r.row).collect::<Vec<_>>(), vec![2, 4]);
        let first = &good[0].account.indicators;
        assert_eq!(first.revenue, Some(Money(1_234_567_800)));
        assert_eq!(first.profit, Some(Money(-1_200_050)));
        assert_eq!(first.credit, Some(CreditRating::Good));
        let second = &good[1].account.indicators;
        assert_eq!(second.revenue, Some(Money(500_000)));
        assert_eq!(second.profit, Some(Money(30_000)));
        assert_eq!(second.credit, None);
    }

    #[test]
    fn invalid_gb18030_bytes_are_a_row_error_not_a_replacement_character() {
        let (mut bytes, _, _) = GB18030.encode("客户编号,客户名称\nKH1,甲公司\nKH2,乙公司\n");
        let bytes = bytes.to_mut();
        // Replace the last name's bytes with a lone lead byte followed by a newline.
        let at = bytes.len() - 7;
        bytes.truncate(at);
        bytes.extend_from_slice(&[0x81, b'\n']);
        let (good, bad) = import(bytes);
        assert_eq!(good.len(), 1);
        assert_eq!(bad.len(), 1);
        assert_eq!((bad[0].row, bad[0].column.as_str()), (3, "客户名称"));
        assert!(
            bad[0].message.contains("not valid GB18030"),
            "{}",
            bad[0].message
        );
    }

    #[test]
    fn utf8_with_bom_is_read_and_the_bom_is_not_part_of_the_first_header() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice("id,name,revenue\nA1,甲,\"¥1,234\"\n".as_bytes());
        let rows = read_accounts(bytes.as_slice()).expect("header");
        assert_eq!(rows.encoding(), SourceEncoding::Utf8WithBom);
        assert_eq!(rows.headers()[0], "id");
        let (good, bad) = split(rows);
        assert!(bad.is_empty());
        assert_eq!(good[0].account.id, "A1");
        assert_eq!(good[0].account.indicators.revenue, Some(Money(123_400)));
    }

    #[test]
    fn utf16_with_bom_and_tabs_is_read_like_excel_unicode_text() {
        let text = "客户编号\t客户名称\t销售额\nKH1\t甲公司\t1234.5\n";
        let mut bytes = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let rows = read_accounts(Trickle {
            data: &bytes,
            chunk: 3,
        })
        .expect("header");
        assert_eq!(rows.encoding(), SourceEncoding::Utf16Le);
        assert_eq!(rows.delimiter(), '\t');
        let (good, bad) = split(rows);
        assert!(bad.is_empty(), "{bad:#?}");
        assert_eq!(good[0].account.name, "甲公司");
        assert_eq!(good[0].account.indicators.revenue, Some(Money(123_450)));

        let mut be = vec![0xFE, 0xFF];
        for unit in text.encode_utf16() {
            be.extend_from_slice(&unit.to_be_bytes());
        }
        let rows = read_accounts(be.as_slice()).expect("header");
        assert_eq!(rows.encoding(), SourceEncoding::Utf16Be);
        assert_eq!(split(rows).0[0].account.id, "KH1");
    }

    #[test]
    fn a_utf8_character_cut_by_the_sniffing_boundary_still_counts_as_utf8() {
        let mut text = String::from("id,name,industry\n");
        let mut n = 0;
        while text.len() < SNIFF_LEN - 200 {
            n += 1;
            text.push_str(&format!("K{n},名{n},制造业\n"));
        }
        // A row whose last character, 业 (3 bytes), starts one byte before the 64 KiB mark.
        n += 1;
        let padding = SNIFF_LEN - 1 - text.len() - format!("K{n},名{n},").len();
        text.push_str(&format!("K{n},名{n},{}业\n", "x".repeat(padding)));
        assert!(!text.is_char_boundary(SNIFF_LEN));
        for _ in 0..100 {
            n += 1;
            text.push_str(&format!("K{n},名{n},制造业\n"));
        }
        assert_eq!(
            detect_encoding(&text.as_bytes()[..SNIFF_LEN]).0,
            SourceEncoding::Utf8
        );
        let rows = read_accounts(Trickle {
            data: text.as_bytes(),
            chunk: 4096,
        })
        .expect("header");
        assert_eq!(rows.encoding(), SourceEncoding::Utf8);
        let (good, bad) = split(rows);
        assert!(bad.is_empty());
        assert_eq!(good.len(), n);
        assert_eq!(good[n - 1].account.name, format!("名{n}"));
        assert_eq!(good[n - 1].row, n as u64 + 1);
    }

    #[test]
    fn non_utf8_bytes_after_a_utf8_start_are_a_row_error() {
        let mut bytes = b"id,name\n".to_vec();
        for i in 0..5000 {
            bytes.extend_from_slice(format!("K{i},name{i}\n").as_bytes());
        }
        let (gbk, _, _) = GB18030.encode("K-last,乙公司\n");
        bytes.extend_from_slice(&gbk);
        let (good, bad) = import(&bytes);
        assert_eq!(good.len(), 5000);
        assert_eq!(bad.len(), 1);
        assert_eq!((bad[0].row, bad[0].column.as_str()), (5002, "name"));
        assert!(bad[0].message.contains("not valid UTF-8"));
    }

    #[test]
    fn thousands_separators_and_currency_signs_are_parsed_exactly() {
        let cases = [
            ("1,234,567.89", 123_456_789),
            ("¥1,234", 123_400),
            ("￥1234", 123_400),
            ("RMB 1234", 123_400),
            ("rmb1234", 123_400),
            ("CNY 1,000.5", 100_050),
            ("1234元", 123_400),
            ("1234 RMB", 123_400),
            ("-3,000", -300_000),
            ("(3,000)", -300_000),
            ("（3,000）", -300_000),
            ("¥-3,000", -300_000),
            ("-¥3,000", -300_000),
            ("−3000", -300_000),
            ("+12", 1_200),
            ("１２３４．５", 123_450),
            ("1.2万", 1_200_000),
            ("1.2万元", 1_200_000),
            ("3亿", 30_000_000_000),
            ("0", 0),
            ("-0", 0),
            (".5", 50),
            ("5.", 500),
            ("12.3400", 1_234),
            ("  7  ", 700),
        ];
        for (text, fen) in cases {
            assert_eq!(money(text), Ok(Money(fen)), "{text}");
        }
    }

    #[test]
    fn money_precision_is_exact_and_never_goes_through_floating_point() {
        let sum: i64 = ["0.1", "0.2"]
            .iter()
            .map(|v| money(v).map(Money::minor).unwrap_or(0))
            .sum();
        assert_eq!(sum, money("0.3").map(Money::minor).unwrap_or(-1));
        assert_eq!(money("0.07"), Ok(Money(7)));
        assert!(money("1.005").is_err_and(|m| m.contains("more precise than one fen")));
        assert!(money("0.001").is_err());
        // 2^53 + 1 yuan: not representable in f64, exact here.
        assert_eq!(
            money("9,007,199,254,740,993"),
            Ok(Money(900_719_925_474_099_300))
        );
        assert_eq!(money("92233720368547758.07"), Ok(Money(i64::MAX)));
        assert!(money("92233720368547758.08").is_err_and(|m| m.contains("too large")));
        assert!(money("99999999999999999999999999999999999999999")
            .is_err_and(|m| m.contains("too large")));
    }

    #[test]
    fn bad_money_cells_say_what_to_do() {
        let cases = [
            ("12a4", "not a number: \"12a4\" — use digits with an optional ¥ and thousands separators, e.g. 1,234,567.89"),
            ("1.23E+07", "scientific notation"),
            ("12,34", "misplaced thousands separator"),
            ("1234,56", "misplaced thousands separator"),
            ("-", "lone dash"),
            ("#N/A", "spreadsheet error"),
            ("N/A", "leave the cell empty"),
            ("--5", "not a number"),
            ("(-5)", "not a number"),
            ("¥", "not a number"),
            ("1.2.3", "not a number"),
            ("USD 5", "not a number"),
        ];
        for (text, expected) in cases {
            let message = money(text).err().unwrap_or_default();
            assert!(message.contains(expected), "{text}: {message}");
        }
    }

    #[test]
    fn quoted_fields_with_commas_and_newlines_keep_spreadsheet_row_numbers() {
        let csv = "id,name,aliases,revenue\n\
                   A1,\"Acme, Inc.\",\"Acme\nACME Corp\",\"1,000\"\n\
                   A2,\"Beta \"\"Best\"\" Ltd\",,\n\
                   \n\
                   ,,,\n\
                   A3,Gamma,,x\n";
        let (good, bad) = import(csv.as_bytes());
        assert_eq!(good.len(), 2);
        assert_eq!(good[0].row, 2);
        assert_eq!(good[0].account.name, "Acme, Inc.");
        // The line break inside the alias cell is not a separator; the text is kept.
        assert_eq!(good[0].account.aliases, vec!["Acme\nACME Corp"]);
        assert_eq!(good[0].account.indicators.revenue, Some(Money(100_000)));
        assert_eq!(good[1].row, 3);
        assert_eq!(good[1].account.name, "Beta \"Best\" Ltd");
        assert_eq!(triples(&bad), vec![(6, "revenue", "x")]);
    }

    #[test]
    fn crlf_cr_and_lf_line_ends_give_the_same_spreadsheet_rows() {
        for end in ["\r\n", "\n", "\r"] {
            let csv = [
                "id,name,industry,revenue",
                "A1,a,\"x\r\ny\",1",
                "",
                "A2,c,,x",
                "",
                "",
                "A3,d,,y",
                "",
            ]
            .join(end);
            let (good, bad) = import(csv.as_bytes());
            assert_eq!(
                good.iter().map(|r| r.row).collect::<Vec<_>>(),
                vec![2],
                "{end:?}"
            );
            assert_eq!(
                triples(&bad),
                vec![(4, "revenue", "x"), (7, "revenue", "y")],
                "{end:?}"
            );
        }
        let rows = read_accounts("\r\n\r\n id ,name\r\nA,a\r\n".as_bytes()).expect("header");
        assert_eq!(rows.header_row(), 3);
        assert_eq!(split(rows).0[0].row, 4);
    }

    #[test]
    fn bad_rows_report_every_problem_with_row_column_and_value_and_good_rows_come_through() {
        let csv = "客户编号,客户名称,销售额,交易次数,信用等级,转介绍\n\
                   KH1,甲公司,\"1,000\",3,A,是\n\
                   KH2,乙公司,12a4,-2,Z,maybe\n\
                   ,丙公司,100,1,B,否\n\
                   KH1,丁公司,200,1.5,C,1\n\
                   KH3,,300,2,D,0\n\
                   KH4,戊公司,400,4,优,有\n";
        let rows = read_accounts(csv.as_bytes()).expect("header");
        let items: Vec<_> = rows.collect();
        assert_eq!(items.len(), 6);
        let (good, bad) = split(read_accounts(csv.as_bytes()).expect("header"));
        assert_eq!(
            good.iter()
                .map(|r| (r.row, r.account.id.as_str()))
                .collect::<Vec<_>>(),
            vec![(2, "KH1"), (7, "KH4")]
        );
        assert_eq!(
            triples(&bad),
            vec![
                (3, "销售额", "12a4"),
                (3, "交易次数", "-2"),
                (3, "信用等级", "Z"),
                (3, "转介绍", "maybe"),
                (4, "客户编号", ""),
                (5, "客户编号", "KH1"),
                (5, "交易次数", "1.5"),
                (6, "客户名称", ""),
            ]
        );
        assert_eq!(
            bad[0].message,
            "not a number: \"12a4\" — use digits with an optional ¥ and thousands separators, e.g. 1,234,567.89"
        );
        assert!(bad[1].message.contains("negative"));
        assert!(bad[4].message.contains("id is empty"));
        assert!(
            bad[5].message.contains("row 2 already has this id"),
            "{}",
            bad[5].message
        );
        assert!(bad[6].message.contains("not a whole number"));
        assert!(bad[7].message.contains("name is empty"));
        // Every problem of row 3 comes in one item.
        assert!(matches!(&items[1], Err(errors) if errors.len() == 4));
    }

    #[test]
    fn ids_are_checked_for_length_and_control_characters() {
        let long = "x".repeat(MAX_ID_CHARS + 1);
        let ok = "长".repeat(MAX_ID_CHARS);
        let csv = format!("id,name\n{long},a\n{ok},b\n\"a\tb\",c\n\"n\",\"two\nlines\"\n");
        let (good, bad) = import(csv.as_bytes());
        assert_eq!(good.len(), 1);
        assert_eq!(good[0].account.id, ok);
        assert_eq!(
            triples(&bad),
            vec![
                (2, "id", long.as_str()),
                (4, "id", "a\tb"),
                (5, "name", "two\nlines")
            ]
        );
        assert!(bad[0].message.contains("at most 64"));
    }

    #[test]
    fn rows_with_the_wrong_number_of_cells_are_row_errors() {
        let csv = "id,name,revenue\nA1,a,1,234\nA2,b\nA3,c,5,,\nA4,d,6\n";
        let (good, bad) = import(csv.as_bytes());
        assert_eq!(good.iter().map(|r| r.row).collect::<Vec<_>>(), vec![4, 5]);
        assert_eq!(triples(&bad), vec![(2, "", "A1,a,1,234"), (3, "", "A2,b")]);
        assert!(
            bad[0].message.contains("unquoted \",\""),
            "{}",
            bad[0].message
        );
        assert!(bad[1].message.contains("has 2 cells but the header has 3"));
    }

    #[test]
    fn an_unclosed_quote_is_reported_not_a_panic() {
        let csv = "id,name,revenue\nA1,a,1\nA2,\"b,2\nA3,c,3\n";
        let (good, bad) = import(csv.as_bytes());
        assert_eq!(good.len(), 1);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].row, 3);
        assert!(bad[0].message.contains("quote is not closed"));
    }

    #[test]
    fn unknown_columns_are_ignored_and_reported() {
        let csv = "id,name,备注,联系人,电话,,销售额万元\nA1,a,VIP,王,138,,5\n";
        let rows = read_accounts(csv.as_bytes()).expect("header");
        let ignored: Vec<_> = rows
            .ignored_columns()
            .iter()
            .map(|c| (c.position, c.letter.as_str(), c.header.as_str()))
            .collect();
        assert_eq!(
            ignored,
            vec![
                (3, "C", "备注"),
                (4, "D", "联系人"),
                (5, "E", "电话"),
                (6, "F", ""),
                (7, "G", "销售额万元")
            ]
        );
        assert_eq!(rows.warnings().len(), 5);
        assert!(rows.warnings()[0].contains("column C \"备注\" is not an account field"));
        assert!(rows.warnings()[3].contains("column F has no header"));
        assert!(
            rows.warnings()[4].contains("销售额(万元)"),
            "{}",
            rows.warnings()[4]
        );
        let (good, bad) = split(rows);
        assert!(bad.is_empty());
        assert_eq!(good[0].account.indicators, Indicators::default());
    }

    #[test]
    fn header_matching_ignores_case_width_spacing_and_units() {
        let csv = " ID ,Ｎａｍｅ,Cooperation Years,overdue-days,REVENUE (CNY),利润（元）,回款[万元],信用等级(A-D),转介绍(是/否),客户指标评分(0-100),交易次数（次）\n\
                   a,b,２,１０天,\"１,０００\",-5,1.5,AA+,Ｙ,８０分,3笔\n";
        let account = only_account(csv);
        let i = &account.indicators;
        assert_eq!(i.cooperation_years, Some(2.0));
        assert_eq!(i.overdue_days, Some(10));
        assert_eq!(i.revenue, Some(Money(100_000)));
        assert_eq!(i.profit, Some(Money(-500)));
        assert_eq!(i.collected, Some(Money(1_500_000)));
        assert_eq!(i.credit, Some(CreditRating::Good));
        assert_eq!(i.referral, Some(true));
        assert_eq!(i.potential_customer, Some(80));
        assert_eq!(i.transactions, Some(3));
    }

    #[test]
    fn every_chinese_and_english_header_alias_maps_to_its_field() {
        for column in ACCEPTED_COLUMNS {
            for header in std::iter::once(&column.field).chain(column.headers.iter()) {
                let found = find_column(&split_header(header).0).map(|c| c.field);
                assert_eq!(found, Some(column.field), "{header}");
            }
        }
    }

    #[test]
    fn header_errors_list_every_problem_and_the_accepted_names() {
        let problems = header_problems("名字,revenue,销售额,备注\nx,1,2,3\n".as_bytes());
        assert!(
            problems[0].contains("columns B \"revenue\" and C \"销售额\" both mean revenue"),
            "{problems:?}"
        );
        assert!(problems[1].contains("no id (or 客户编号 / 客户ID / 编号) column"));
        assert!(problems[2].contains("no name (or 客户名称 / 名称 / 客户) column"));
        assert!(problems[3].contains("A \"名字\""));

        let error = read_accounts("name\nx\n".as_bytes())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            error.starts_with("the header row (row 1) cannot be used: there is no id"),
            "{error}"
        );
        assert!(error.contains(
            "Accepted column names: id (客户编号, 客户ID, 编号); name (客户名称, 名称, 客户)"
        ));

        let problems = header_problems("id,name,销售额(美元),合作年限(月)\n".as_bytes());
        assert!(
            problems[0]
                .contains("column C \"销售额(美元)\" has a unit this importer does not know"),
            "{problems:?}"
        );
        assert!(problems[0].contains("万元"));
        assert!(problems[1].contains("合作年限(月)"));

        let problems = header_problems("客户清单2024\nid,name\n".as_bytes());
        assert!(problems.iter().any(|p| p.contains("delete any title rows")));

        assert!(matches!(read_accounts(&b""[..]), Err(ImportError::Empty)));
        assert!(matches!(
            read_accounts(&b"\n\n ,, \n"[..]),
            Err(ImportError::Empty)
        ));
    }

    #[test]
    fn wan_yuan_unit_multiplies_by_ten_thousand() {
        let csv = "id,name,销售额(万元),利润（万）,回款金额(亿元)\nA,a,1.5,\"-1,234.5678\",0.0000000001\nB,b,1.5万,100元,0.00000000001\n";
        let (good, bad) = import(csv.as_bytes());
        assert_eq!(good.len(), 1);
        let i = &good[0].account.indicators;
        assert_eq!(i.revenue, Some(Money(1_500_000)));
        assert_eq!(i.profit, Some(Money(-1_234_567_800)));
        assert_eq!(i.collected, Some(Money(1)));
        assert_eq!(
            triples(&bad),
            vec![
                (3, "销售额(万元)", "1.5万"),
                (3, "利润（万）", "100元"),
                (3, "回款金额(亿元)", "0.00000000001")
            ]
        );
        assert!(bad[0]
            .message
            .contains("the header already gives the unit (万元)"));
        assert!(bad[2].message.contains("more precise than one fen"));
    }

    #[test]
    fn every_boolean_spelling_is_understood() {
        let yes = [
            "true", "TRUE", "True", "yes", "YES", "y", "Y", "1", "是", "有", "√", "✓", "Ｙ",
        ];
        let no = [
            "false", "FALSE", "no", "No", "n", "N", "0", "否", "无", "×", "✗",
        ];
        for value in yes {
            assert_eq!(parse_bool(value), Ok(true), "{value}");
        }
        for value in no {
            assert_eq!(parse_bool(value), Ok(false), "{value}");
        }
        for value in ["x", "2", "maybe", "是的"] {
            assert!(
                parse_bool(value).is_err_and(|m| m.contains("yes/no")),
                "{value}"
            );
        }
        let account = only_account("id,name,转介绍,挑剔,严格\nA,a,是,,N\n");
        assert_eq!(account.indicators.referral, Some(true));
        assert_eq!(account.indicators.picky, None);
        assert_eq!(account.indicators.strict, Some(false));
    }

    #[test]
    fn every_credit_spelling_is_understood() {
        use CreditRating::{Fair, Good, None as NoCredit, Poor};
        let cases = [
            ("good", Good),
            ("GOOD", Good),
            ("fair", Fair),
            ("poor", Poor),
            ("none", NoCredit),
            ("AAA", Good),
            ("AA", Good),
            ("A", Good),
            ("aa+", Good),
            ("A-", Good),
            ("BBB", Fair),
            ("BB", Fair),
            ("B", Fair),
            ("BBB-", Fair),
            ("CCC", Poor),
            ("CC", Poor),
            ("C", Poor),
            ("D", NoCredit),
            ("无", NoCredit),
            ("0", NoCredit),
            ("优", Good),
            ("良", Good),
            ("中", Fair),
            ("差", Poor),
            ("高", Good),
            ("低", Poor),
            ("Ａ", Good),
        ];
        for (value, rating) in cases {
            assert_eq!(parse_credit(value), Ok(rating), "{value}");
        }
        for value in ["E", "AB", "+", "excellent"] {
            assert!(
                parse_credit(value).is_err_and(|m| m.contains("unknown credit rating")),
                "{value}"
            );
        }
    }

    #[test]
    fn negative_profit_is_kept_in_every_spelling() {
        let csv = "id,name,利润\nA,a,-3000\nB,b,\"(3,000)\"\nC,c,\"-¥3,000.50\"\nD,d,－３０００\n";
        let (good, bad) = import(csv.as_bytes());
        assert!(bad.is_empty(), "{bad:#?}");
        let profits: Vec<_> = good.iter().map(|r| r.account.indicators.profit).collect();
        assert_eq!(
            profits,
            vec![
                Some(Money(-300_000)),
                Some(Money(-300_000)),
                Some(Money(-300_050)),
                Some(Money(-300_000))
            ]
        );
    }

    #[test]
    fn counts_reject_negatives_and_fractions_but_accept_trailing_zeros() {
        assert_eq!(parse_count("3", &[]), Ok(3));
        assert_eq!(parse_count("3.00", &[]), Ok(3));
        assert_eq!(parse_count("1,200", &[]), Ok(1_200));
        assert_eq!(parse_count("+4", &[]), Ok(4));
        assert!(parse_count("-1", &[]).is_err_and(|m| m.contains("negative")));
        assert!(parse_count("2.5", &[]).is_err_and(|m| m.contains("not a whole number")));
        assert!(parse_count("abc", &[]).is_err_and(|m| m.contains("not a number")));
        assert!(to_u32(u64::from(u32::MAX) + 1).is_err());
        assert_eq!(parse_score("100"), Ok(100));
        assert!(parse_score("101").is_err_and(|m| m.contains("0–100")));
        assert!(parse_score("300").is_err());
        assert_eq!(parse_years("3.5"), Ok(3.5));
        assert_eq!(parse_years("10年"), Ok(10.0));
        assert!(parse_years("2015").is_err_and(|m| m.contains("not the year it started")));
        assert!(parse_years("-1").is_err());
        assert!(parse_years("3年6个月").is_err_and(|m| m.contains("not a number")));
    }

    #[test]
    fn empty_cells_are_not_recorded_rather_than_zero() {
        let account =
            only_account("id,name,revenue,credit,transactions,aliases,owner\nA,a, , ,,,\n");
        assert_eq!(account.indicators, Indicators::default());
        assert!(account.aliases.is_empty());
        assert_eq!(account.owner, None);
    }

    #[test]
    fn aliases_split_on_every_accepted_separator() {
        assert_eq!(
            split_aliases("甲；乙、丙|丁/戊;甲 ; ｜ 己"),
            vec!["甲", "乙", "丙", "丁", "戊", "己"]
        );
    }

    #[test]
    fn semicolon_and_tab_delimiters_are_detected_from_the_header() {
        let rows =
            read_accounts("id;name;revenue\nA;a;\"1,5\"\nB;b;2\n".as_bytes()).expect("header");
        assert_eq!(rows.delimiter(), ';');
        let (good, bad) = split(rows);
        assert_eq!(good.len(), 1);
        assert_eq!(triples(&bad), vec![(2, "revenue", "1,5")]);
        assert!(bad[0].message.contains("decimal comma"));

        let rows = read_accounts("\n\"a;b\"\tid\tname\nx\tA\ta\n".as_bytes()).expect("header");
        assert_eq!(rows.delimiter(), '\t');
        assert_eq!(rows.header_row(), 2);
        let (good, _) = split(rows);
        assert_eq!(good[0].row, 3);

        let rows = read_accounts("id,name,x;y\nA,a,b\n".as_bytes()).expect("header");
        assert_eq!(rows.delimiter(), ',');
        assert_eq!(rows.ignored_columns()[0].header, "x;y");
    }

    #[test]
    fn a_read_failure_mid_file_ends_the_import_with_a_row_error() {
        struct Failing<'a> {
            data: &'a [u8],
        }
        impl Read for Failing<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.data.is_empty() {
                    return Err(io::Error::other("disk on fire"));
                }
                let n = buf.len().min(self.data.len());
                buf[..n].copy_from_slice(&self.data[..n]);
                self.data = &self.data[n..];
                Ok(n)
            }
        }
        let mut text = String::from("id,name\n");
        for i in 0..(SNIFF_LEN / 8) {
            text.push_str(&format!("K{i:05},n\n"));
        }
        let mut rows = read_accounts(Failing {
            data: text.as_bytes(),
        })
        .expect("header");
        let mut last = None;
        let mut count = 0;
        for item in rows.by_ref() {
            count += 1;
            last = Some(item);
        }
        assert!(rows.stopped_early());
        assert!(rows
            .read_failed()
            .is_some_and(|e| e.contains("disk on fire")));
        let errors = last.and_then(Result::err).unwrap_or_default();
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].message.contains("disk on fire"),
            "{:?}",
            errors[0]
        );
        assert!(errors[0]
            .message
            .contains("nothing from this row on was imported"));
        assert!(count > 1);
    }

    #[test]
    fn row_errors_display_as_one_readable_line() {
        let error = RowError {
            row: 3,
            column: "销售额".into(),
            value: "12a4".into(),
            message: "not a number".into(),
        };
        assert_eq!(
            error.to_string(),
            "row 3, column \"销售额\", value \"12a4\": not a number"
        );
    }

    #[test]
    fn column_letters_follow_the_spreadsheet() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    /// Run with `cargo test --release -- --ignored --nocapture`: imports a generated 1M-row file
    /// in UTF-8 and in GB18030 and prints rows/s and peak memory.
    #[test]
    #[ignore]
    fn a_million_row_file_imports_quickly_without_holding_the_file_in_memory() {
        use std::io::{BufWriter, Write};
        use std::time::Instant;

        const ROWS: usize = 1_000_000;
        let header = "id,name,aliases,industry,region,owner,revenue,profit,collected,transactions,cooperation_years,overdue_days,product_lines,credit,referral,picky,strict,potential_customer,potential_service\n";
        let path =
            std::env::temp_dir().join(format!("playbook-import-bench-{}.csv", std::process::id()));
        let gbk_path = path.with_extension("gbk.csv");
        let run = |path: &std::path::Path, gbk: bool| -> (f64, u64, usize) {
            let file = std::fs::File::create(path).expect("create temp file");
            let mut out = BufWriter::new(file);
            let bytes = |text: &str| -> Vec<u8> {
                if gbk {
                    GB18030.encode(text).0.into_owned()
                } else {
                    text.as_bytes().to_vec()
                }
            };
            let first = if gbk {
                CHINESE_CSV.lines().next().unwrap_or_default()
            } else {
                header.trim_end()
            };
            out.write_all(&bytes(&format!("{first}\n"))).expect("write");
            for i in 0..ROWS {
                let line = bytes(&format!(
                    "KH{i:07},华东精密机械有限公司{i},华精{i}；HD{i},制造业,华东,张伟,\"{},{:03}.{:02}\",{}{},¥{},{},{}.5,{},{},{},{},{},{},{},{}\n",
                    i % 999 + 1, i % 1000, i % 100,
                    if i % 7 == 0 { "-" } else { "" }, i % 50_000,
                    i % 123_456, i % 40, i % 20, i % 90, i % 5,
                    ["AAA", "BB", "C", "D", "优"][i % 5],
                    ["是", "否", "y", "n", "1"][i % 5], ["true", "false"][i % 2], ["√", "×"][i % 2],
                    i % 101, (i * 7) % 101
                ));
                out.write_all(&line).expect("write");
            }
            out.flush().expect("flush");
            drop(out);
            let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            let file = std::fs::File::open(path).expect("open temp file");
            let start = Instant::now();
            let rows = read_accounts(file).expect("header");
            let mut good = 0usize;
            let mut checksum = 0i64;
            for item in rows {
                match item {
                    Ok(row) => {
                        good += 1;
                        checksum = checksum
                            .wrapping_add(row.account.indicators.revenue.map_or(0, Money::minor));
                    }
                    Err(errors) => panic!("{errors:?}"),
                }
            }
            let seconds = start.elapsed().as_secs_f64();
            assert_eq!(good, ROWS);
            assert!(checksum != 0);
            let _ = std::fs::remove_file(path);
            (seconds, size, good)
        };
        for (label, file, gbk) in [("UTF-8", &path, false), ("GB18030", &gbk_path, true)] {
            let (seconds, size, rows) = run(file, gbk);
            println!(
                "{label}: {rows} rows, {:.1} MiB in {seconds:.2} s = {:.0} rows/s",
                size as f64 / 1048576.0,
                rows as f64 / seconds
            );
        }
        if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
            for line in status
                .lines()
                .filter(|l| l.starts_with("VmHWM") || l.starts_with("VmRSS"))
            {
                println!("{line}");
            }
        }
    }
}

/// Property tests and pathological inputs. Any bytes give a header error or rows, never a panic;
/// well-formed files round-trip whatever their encoding, delimiter, line ends and quoting; a
/// huge cell, row or header is refused after reading a bounded amount of it.
#[cfg(test)]
mod fuzz_tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use proptest::prelude::*;

    use super::*;
    use crate::fuzz_support::{config, nasty_string, pieces_string};

    /// Reads every item; checks that rows come in increasing order after the header.
    fn drain<R: Read>(rows: AccountRows<R>) -> (Vec<ParsedRow>, Vec<Vec<RowError>>) {
        let header_row = rows.header_row();
        let mut last = header_row;
        let mut good = Vec::new();
        let mut bad = Vec::new();
        for item in rows {
            let row = match &item {
                Ok(parsed) => parsed.row,
                Err(errors) => {
                    assert!(!errors.is_empty());
                    assert!(errors.iter().all(|e| e.row == errors[0].row), "{errors:?}");
                    errors[0].row
                }
            };
            assert!(row > last, "row {row} after row {last}");
            last = row;
            match item {
                Ok(parsed) => good.push(parsed),
                Err(errors) => bad.push(errors),
            }
        }
        (good, bad)
    }

    fn check_bytes(bytes: &[u8]) {
        if let Ok(rows) = read_accounts(bytes) {
            drain(rows);
        }
    }

    #[derive(Debug, Clone, Copy)]
    enum Encoding {
        Utf8,
        Utf8Bom,
        Utf16Le,
        Utf16Be,
        Gb18030,
    }

    fn encode(text: &str, encoding: Encoding) -> Vec<u8> {
        let utf16 = |big_endian: bool| {
            let mut bytes = if big_endian {
                vec![0xFE, 0xFF]
            } else {
                vec![0xFF, 0xFE]
            };
            for unit in text.encode_utf16() {
                bytes.extend(if big_endian {
                    unit.to_be_bytes()
                } else {
                    unit.to_le_bytes()
                });
            }
            bytes
        };
        match encoding {
            Encoding::Utf8 => text.as_bytes().to_vec(),
            Encoding::Utf8Bom => [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat(),
            Encoding::Utf16Le => utf16(false),
            Encoding::Utf16Be => utf16(true),
            Encoding::Gb18030 => GB18030.encode(text).0.into_owned(),
        }
    }

    fn encoding() -> impl Strategy<Value = Encoding> {
        proptest::sample::select(
            &[
                Encoding::Utf8,
                Encoding::Utf8Bom,
                Encoding::Utf16Le,
                Encoding::Utf16Be,
                Encoding::Gb18030,
            ][..],
        )
    }

    /// Writes one cell, quoted when it must be (or when `quote` says so anyway).
    fn cell(value: &str, delimiter: char, quote: bool) -> String {
        let must = value.contains([delimiter, '"', '\n', '\r']);
        if must || quote {
            format!("\"{}\"", value.replace('"', "\"\""))
        } else {
            value.to_owned()
        }
    }

    /// A name that is valid: not blank, no control characters, but every kind of separator,
    /// quote, width and script.
    fn name() -> impl Strategy<Value = String> {
        let chars: &[char] = &[
            'a',
            'Z',
            '中',
            '國',
            '萍',
            '\u{20000}',
            ',',
            ';',
            '"',
            '\'',
            ' ',
            '“',
            '¥',
            '\u{3000}',
            '\u{200b}',
            '\u{202e}',
            '\u{feff}',
            '😀',
            'ü',
            '#',
            '=',
            '-',
        ];
        proptest::collection::vec(proptest::sample::select(chars), 0..12).prop_map(|chars| {
            let name: String = chars.into_iter().collect();
            format!("名{name}")
        })
    }

    /// A row of the generated file: its name, a note (an ignored column, may hold line breaks),
    /// how many blank lines precede it and whether every cell is quoted.
    type Row = (String, String, usize, bool);

    fn row() -> impl Strategy<Value = Row> {
        (
            name(),
            pieces_string(&["x", "\n", "\r\n", "\r", "\"", ",", ";", "\t", " "], 8),
            0..3usize,
            any::<bool>(),
        )
    }

    proptest! {
        #![proptest_config(config(128))]

        #[test]
        fn any_bytes_give_rows_or_a_header_error(
            bytes in proptest::collection::vec(any::<u8>(), 0..400),
        ) {
            check_bytes(&bytes);
            check_bytes(&[b"id,name\n".as_slice(), &bytes].concat());
        }

        #[test]
        fn any_text_in_any_encoding_gives_rows_or_a_header_error(
            body in nasty_string(300),
            header in proptest::sample::select(&[
                "id,name,revenue,transactions,credit,referral,cooperation_years\n",
                "客户编号\t客户名称\t销售额(万元)\t逾期天数\t客户指标评分\n",
                "id;name;profit(千元);product_lines;picky\n",
                "\u{feff}ID , Name ,备注\r\n",
            ][..]),
            encoding in encoding(),
        ) {
            check_bytes(&encode(&format!("{header}{body}"), encoding));
        }

        /// Well-formed files import every row, with the row numbers a spreadsheet shows.
        #[test]
        fn well_formed_files_round_trip(
            rows in proptest::collection::vec(row(), 0..12),
            delimiter in proptest::sample::select(&[',', '\t', ';'][..]),
            line_end in proptest::sample::select(&["\n", "\r\n", "\r"][..]),
            final_line_end in any::<bool>(),
            encoding in encoding(),
        ) {
            let d = delimiter.to_string();
            // A Chinese header keeps a GB18030 file from looking like UTF-8.
            let mut text = ["客户编号", "客户名称", "备注"].join(&d);
            let mut expected = Vec::new();
            let mut row_number = 1;
            for (i, (name, note, blanks, quote)) in rows.iter().enumerate() {
                text.push_str(line_end);
                for _ in 0..*blanks {
                    text.push_str(line_end);
                }
                row_number += 1 + blanks;
                let id = format!("K{i}");
                text.push_str(&[
                    cell(&id, delimiter, *quote),
                    cell(name, delimiter, *quote),
                    cell(note, delimiter, *quote),
                ].join(&d));
                expected.push((row_number as u64, id, name.trim().to_owned()));
            }
            if final_line_end {
                text.push_str(line_end);
            }
            let bytes = encode(&text, encoding);
            let rows = read_accounts(bytes.as_slice())
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let (good, bad) = drain(rows);
            prop_assert!(bad.is_empty(), "{bad:?}");
            let got: Vec<_> = good
                .into_iter()
                .map(|r| (r.row, r.account.id, r.account.name))
                .collect();
            prop_assert_eq!(got, expected);
        }

        /// Any amount in fen, written the ways spreadsheets write it, parses back exactly.
        #[test]
        fn money_round_trips(
            fen in -(i64::MAX / 100)..(i64::MAX / 100),
            grouped in any::<bool>(),
            style in 0..5usize,
        ) {
            let digits = (fen.unsigned_abs() / 100).to_string();
            let digits = if grouped {
                let mut out = String::new();
                for (i, c) in digits.chars().enumerate() {
                    if i > 0 && (digits.len() - i) % 3 == 0 {
                        out.push(',');
                    }
                    out.push(c);
                }
                out
            } else {
                digits
            };
            let amount = format!("{digits}.{:02}", fen.unsigned_abs() % 100);
            let text = match (style, fen < 0) {
                (0, false) => amount,
                (0, true) => format!("-{amount}"),
                (1, false) => format!("¥{amount}"),
                (1, true) => format!("(¥{amount})"),
                (2, negative) => format!("{}{amount}元", if negative { "-" } else { "" }),
                (3, negative) => format!("{}RMB {amount}", if negative { "-" } else { "" }),
                (_, negative) => {
                    let wide: String = amount
                        .chars()
                        .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap_or(c))
                        .collect();
                    format!("{}￥{wide}", if negative { "−" } else { "" })
                }
            };
            let slot = Slot { field: Field::Revenue, scale: 1, unit: String::new() };
            prop_assert_eq!(parse_money(&text, &slot), Ok(Money(fen)), "{}", text);
        }

        #[test]
        fn any_cell_text_is_a_value_or_a_message(value in nasty_string(40)) {
            let mut account = Account {
                id: String::new(),
                name: String::new(),
                aliases: Vec::new(),
                industry: None,
                region: None,
                owner: None,
                indicators: Indicators::default(),
            };
            for column in ACCEPTED_COLUMNS {
                let slot = Slot { field: column.kind, scale: 10_000, unit: "万元".into() };
                let _ = apply_value(column.kind, &slot, value.trim(), &mut account);
            }
        }
    }

    /// `pattern` repeated for `len` bytes, generated as it is read: a huge file without the
    /// memory.
    struct Pattern {
        pattern: &'static [u8],
        at: usize,
        remaining: u64,
    }

    impl Read for Pattern {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf
                .len()
                .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
            for b in &mut buf[..n] {
                *b = self.pattern[self.at];
                self.at = (self.at + 1) % self.pattern.len();
            }
            self.remaining -= n as u64;
            Ok(n)
        }
    }

    /// Counts the bytes the importer pulls from its input, to show that it stops early.
    struct Counting<R> {
        inner: R,
        read: Rc<Cell<u64>>,
    }

    impl<R: Read> Read for Counting<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.read.set(self.read.get() + n as u64);
            Ok(n)
        }
    }

    /// `prefix`, `len` bytes of `pattern`, then `suffix`; and the count of bytes read so far.
    fn generated(
        prefix: &str,
        pattern: &'static [u8],
        len: u64,
        suffix: &str,
    ) -> (impl Read, Rc<Cell<u64>>) {
        let read = Rc::new(Cell::new(0));
        let inner = io::Cursor::new(prefix.as_bytes().to_vec())
            .chain(Pattern {
                pattern,
                at: 0,
                remaining: len,
            })
            .chain(io::Cursor::new(suffix.as_bytes().to_vec()));
        let counting = Counting {
            inner,
            read: Rc::clone(&read),
        };
        (counting, read)
    }

    /// Most bytes the importer may read past a row it refuses for being too long: its read
    /// buffers (the sniffed start of the file, the CSV buffer, the transcoder's).
    const SLACK: u64 = (SNIFF_LEN + 3 * BUFFER_LEN) as u64;

    /// A 50 MB cell on one line: reading stops once the row is over the limit, with a row error
    /// that names the row and says what to do; the rest of the 50 MB is never read.
    #[test]
    fn a_50_mb_cell_stops_the_import_after_a_bounded_read() {
        let (input, read) = generated("id,name\nK1,ok\nK2,", b"x", 50 << 20, "\nK3,later\n");
        let (good, bad) = drain(read_accounts(input).expect("header"));
        assert_eq!(good.len(), 1);
        assert_eq!(bad.len(), 1, "{bad:?}");
        let error = &bad[0][0];
        assert_eq!(error.row, 3);
        assert!(error.message.contains("longer than"), "{}", error.message);
        assert!(
            read.get() <= MAX_ROW_BYTES + SLACK,
            "read {} bytes",
            read.get()
        );
    }

    /// The same in UTF-16, through the transcoder, and inside a quoted cell full of line breaks
    /// (an unclosed quote swallowing the rest of the file).
    #[test]
    fn an_endless_quoted_cell_stops_the_import_after_a_bounded_read() {
        let (input, read) = generated("id,name\nK1,\"", b"x\r\n", 50 << 20, "");
        let (good, bad) = drain(read_accounts(input).expect("header"));
        assert!(good.is_empty());
        assert!(bad[0][0].message.contains("quote"), "{:?}", bad[0][0]);
        assert!(
            read.get() <= MAX_ROW_BYTES + SLACK,
            "read {} bytes",
            read.get()
        );

        let (input, read) = generated("\u{feff}", b"x\0", 50 << 20, "");
        assert!(read_accounts(input).is_err());
        assert!(
            read.get() <= MAX_ROW_BYTES + SLACK,
            "read {} bytes",
            read.get()
        );
    }

    /// A cell over 1 MiB in a row under the row limit: a row error naming the row and column,
    /// with the value cut short; the next row imports.
    #[test]
    fn a_cell_over_the_limit_is_a_row_error_naming_its_column() {
        let long = "名".repeat(MAX_CELL_BYTES / 3 + 1);
        // Row 2 has a long name; row 3 a long note, which is not imported and not limited.
        let csv = format!("id,name,note\nK1,{long},x\nK2,ok,{long}\n");
        let (good, bad) = drain(read_accounts(csv.as_bytes()).expect("header"));
        assert_eq!(good.len(), 1);
        assert_eq!(good[0].account.id, "K2");
        let errors = &bad[0];
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!((errors[0].row, errors[0].column.as_str()), (2, "name"));
        assert!(
            errors[0].message.contains("longer than"),
            "{}",
            errors[0].message
        );
        assert!(errors[0].value.len() < 1024);
    }

    /// A header of a million columns is refused without looking at each of them.
    #[test]
    fn a_million_column_header_is_a_header_error() {
        let header = format!("id,name{}\nK1,ok\n", ",c".repeat(1_000_000));
        match read_accounts(header.as_bytes()) {
            Err(ImportError::Header { problems, .. }) => {
                assert!(problems[0].contains("columns"), "{problems:?}");
                assert!(problems.concat().len() < 4096);
            }
            Err(other) => panic!("expected a header error, got {other}"),
            Ok(_) => panic!("a million columns were accepted"),
        }
        // A data row of a million cells is one row error, its value cut short.
        let csv = format!("id,name\nK1,ok{}\n", ",x".repeat(1_000_000));
        let (_, bad) = drain(read_accounts(csv.as_bytes()).expect("header"));
        assert!(bad[0][0].value.chars().count() <= 201);
    }

    /// Invalid UTF-8 and GB18030 edge bytes (lone lead bytes, a four-byte sequence cut short, the
    /// largest four-byte codes), NUL bytes and text that is neither.
    #[test]
    fn broken_encodings_and_nul_bytes_are_row_errors() {
        let cases: [&[u8]; 8] = [
            b"id,name\nK1,\xff\xfe\n",
            b"id,name\nK1,\xc0\x80\n",
            b"id,name\nK1,\xed\xa0\x80\n",
            b"id,name\nK1,\x00\x00\n",
            b"\xbf\xcd\xbb\xa7\xb1\xe0\xba\xc5,name\nK1,\x81\n",
            b"\xbf\xcd\xbb\xa7\xb1\xe0\xba\xc5,name\nK1,\x81\x30\x81\n",
            b"\xbf\xcd\xbb\xa7\xb1\xe0\xba\xc5,name\nK1,\xe3\x32\x9a\x35\x84\x31\xa4\x39\n",
            b"\xff\xfeI\x00D\x00,\x00\x00\xd8\n\x00",
        ];
        for bytes in cases {
            check_bytes(bytes);
        }
    }
}
