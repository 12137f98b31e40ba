//! The entry point and the row iterator: the header is read, then one record at a time is parsed
//! into an account or its row errors.

use super::*;
use crate::domain::account::Text;

/// Reads the header of a CSV export and returns an iterator over its account rows.
///
/// The encoding and delimiter are detected (see the module documentation). Header problems are
/// returned here as [`ImportError::Header`]; problems of single rows come out of the iterator as
/// `Err(Vec<RowError>)` holding every problem of that row, and the iterator goes on with the
/// next row.
pub fn read_accounts<R: Read>(input: R) -> Result<AccountRows<R>, ImportError> {
    read_accounts_mapped(input, &|_| ColumnMapping::default())
}

/// [`read_accounts`] with columns mapped by hand: `mapping` is given the headers as written
/// and answers the mapping to use for them (one given with the file, or one remembered for
/// files of this shape, see [`header_fingerprint`]).
pub fn read_accounts_mapped<R: Read>(
    input: R,
    mapping: &dyn Fn(&[String]) -> ColumnMapping,
) -> Result<AccountRows<R>, ImportError> {
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
    let plan = plan_columns(&record, header_row, encoding, mapping)?;

    Ok(AccountRows {
        reader,
        record,
        slots: plan.slots,
        headers: plan.headers,
        ignored: plan.ignored,
        warnings: plan.warnings,
        rounded_columns: Vec::new(),
        id_from_name: plan.id_from_name,
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
    pub(super) reader: csv::Reader<CsvInput<R>>,
    pub(super) record: csv::ByteRecord,
    pub(super) slots: Vec<Option<Slot>>,
    pub(super) headers: Vec<String>,
    pub(super) ignored: Vec<IgnoredColumn>,
    pub(super) warnings: Vec<String>,
    /// Money columns in which an amount was rounded (each warned about once).
    pub(super) rounded_columns: Vec<usize>,
    /// No id column: the name is the id.
    pub(super) id_from_name: bool,
    /// Account id → row of its first occurrence.
    pub(super) seen_ids: HashMap<Box<str>, u64>,
    pub(super) encoding: SourceEncoding,
    pub(super) delimiter: u8,
    pub(super) header_row: u64,
    /// Spreadsheet row of the last record read.
    pub(super) row: u64,
    pub(super) finished: bool,
    pub(super) stopped_early: bool,
    /// The input's own error, when reading it failed (not a problem of the text).
    pub(super) read_failed: Option<String>,
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

    /// Human-readable notes about the file (ignored columns, encoding, rounded amounts), to
    /// show to the user. Notes about values grow while the rows are read: read them after.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The cells of the row read last, as text (lossy for bytes that are not UTF-8): what a
    /// file of rejected rows repeats so that the row can be fixed and imported again.
    pub fn current_cells(&self) -> Vec<String> {
        self.record
            .iter()
            .map(|cell| String::from_utf8_lossy(cell).into_owned())
            .collect()
    }

    /// How each column of the file is read: the field it fills (`None`: not imported).
    pub fn columns(&self) -> Vec<ColumnUse> {
        self.headers
            .iter()
            .enumerate()
            .map(|(index, header)| {
                let slot = self.slots.get(index).and_then(Option::as_ref);
                ColumnUse {
                    letter: column_letter(index),
                    header: header.clone(),
                    field: slot.and_then(|slot| {
                        ACCEPTED_COLUMNS
                            .iter()
                            .find(|c| c.kind == slot.field)
                            .map(|c| c.field)
                    }),
                    unit: slot.map(|slot| slot.unit.clone()).unwrap_or_default(),
                }
            })
            .collect()
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
                        letter: String::new(),
                        sheet: None,
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
    pub(super) fn parse_row(&mut self, row: u64) -> Result<Account, Vec<RowError>> {
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
            id: Text::default(),
            name: Text::default(),
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
                    letter: column_letter(index),
                    sheet: None,
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
                        letter: column_letter(index),
                        sheet: None,
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
                    letter: column_letter(index),
                    sheet: None,
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
                Field::Id => {
                    take_id(&mut self.seen_ids, value, row).map(|id| account.id = id.into())
                }
                field => apply_value(field, slot, value, &mut account).map(|rounded| {
                    if rounded && !self.rounded_columns.contains(&index) {
                        self.rounded_columns.push(index);
                        self.warnings.push(format!(
                            "column {} \"{header}\" has amounts with more than four decimals \
                             (first on row {row}: {value}); they were rounded half to even to \
                             four decimals",
                            column_letter(index)
                        ));
                    }
                }),
            };
            if let Err(message) = result {
                errors.push(RowError {
                    row,
                    column: header.clone(),
                    letter: column_letter(index),
                    sheet: None,
                    value: value.to_string(),
                    message,
                });
            }
        }
        if self.id_from_name && errors.is_empty() {
            match take_id(&mut self.seen_ids, &account.name, row) {
                Ok(id) => account.id = id.into(),
                Err(message) => {
                    let index = self
                        .slots
                        .iter()
                        .position(|s| s.as_ref().is_some_and(|s| s.field == Field::Name))
                        .unwrap_or(0);
                    errors.push(RowError {
                        row,
                        column: self.headers[index].clone(),
                        letter: column_letter(index),
                        sheet: None,
                        value: account.name.to_string(),
                        message: format!(
                            "{message} (the name is the id: the file has no id column)"
                        ),
                    });
                }
            }
        }
        if errors.is_empty() {
            Ok(account)
        } else {
            Err(errors)
        }
    }

    pub(super) fn cell_count_error(&self, row: u64, found: usize, expected: usize) -> RowError {
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
            letter: String::new(),
            sheet: None,
            value,
            message,
        }
    }
}

/// Checks an id and that no earlier row of the file has it.
fn take_id(seen: &mut HashMap<Box<str>, u64>, value: &str, row: u64) -> Result<String, String> {
    let id = parse_id(value)?;
    if let Some(first) = seen.get(id.as_str()) {
        return Err(format!(
            "duplicate id: row {first} already has this id — ids must be unique in a file; \
             remove or merge one of the two rows"
        ));
    }
    seen.insert(id.clone().into_boxed_str(), row);
    Ok(id)
}
