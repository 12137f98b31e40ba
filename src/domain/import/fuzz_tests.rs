//! Property tests and pathological inputs. Any bytes give a header error or rows, never a panic;
//! well-formed files round-trip whatever their encoding, delimiter, line ends and quoting; a
//! huge cell, row or header is refused after reading a bounded amount of it.

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
            .map(|r| (r.row, r.account.id.to_string(), r.account.name.to_string()))
            .collect();
        prop_assert_eq!(got, expected);
    }

    /// Any amount in fen, written the ways spreadsheets write it, parses back exactly.
    #[test]
    fn money_round_trips(
        fen in -(i64::MAX / 10_000)..(i64::MAX / 10_000),
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
        prop_assert_eq!(parse_money(&text, &slot), Ok((Money(fen * 100), false)), "{}", text);
    }

    #[test]
    fn any_cell_text_is_a_value_or_a_message(value in nasty_string(40)) {
        let mut account = Account {
            id: String::new().into(),
            name: String::new().into(),
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
