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

mod encoding;
mod header;
mod rows;
mod sheet;
mod types;
mod values;

use encoding::*;
pub use header::column_letter;
use header::*;
pub use rows::*;
pub use sheet::*;
pub use types::*;
use values::*;

/// How much of the file is examined to choose the encoding and the delimiter.
const SNIFF_LEN: usize = 64 * 1024;
/// Size of the read buffer used by the CSV reader and the transcoder.
const BUFFER_LEN: usize = 64 * 1024;
/// Longest accepted account id, in characters.
pub use crate::domain::ids::MAX_ACCOUNT_ID_CHARS as MAX_ID_CHARS;
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

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fuzz_tests;
