//! Encoding and delimiter detection, and streaming transcoding to UTF-8 (UTF-16 and GB18030
//! sources).

use super::*;

pub(super) fn read_up_to<R: Read>(input: &mut R, limit: usize) -> io::Result<Vec<u8>> {
    let mut buffer = Vec::with_capacity(limit.min(BUFFER_LEN));
    input.take(limit as u64).read_to_end(&mut buffer)?;
    Ok(buffer)
}

/// The encoding of the file and the length of its byte-order mark.
pub(super) fn detect_encoding(head: &[u8]) -> (SourceEncoding, usize) {
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
pub(super) fn detect_delimiter(text: &[u8]) -> u8 {
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
pub(super) fn next_row<R: Read>(
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
pub(super) struct RowTooLong;

impl fmt::Display for RowTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a row is longer than {}", mib(MAX_ROW_BYTES))
    }
}

impl std::error::Error for RowTooLong {}

pub(super) fn is_row_too_long(error: &csv::Error) -> bool {
    matches!(error.kind(), csv::ErrorKind::Io(e) if e.get_ref().is_some_and(|e| e.is::<RowTooLong>()))
}

/// `bytes` as a whole number of MiB, for messages.
pub(super) fn mib(bytes: u64) -> String {
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
pub(super) struct RowTracker<R> {
    pub(super) inner: R,
    pub(super) offset: u64,
    /// Offset at which the row being read starts (after the previous row's terminator).
    pub(super) row_start: u64,
    pub(super) runs: VecDeque<LineBreakRun>,
    pub(super) in_run: bool,
    pub(super) after_cr: bool,
}

pub(super) struct LineBreakRun {
    pub(super) start: u64,
    pub(super) breaks: u64,
}

impl<R> RowTracker<R> {
    pub(super) fn new(inner: R) -> RowTracker<R> {
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
    pub(super) fn blank_lines_at(&mut self, byte: u64) -> u64 {
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

pub(super) fn csv_to_io(error: csv::Error) -> io::Error {
    match error.into_kind() {
        csv::ErrorKind::Io(error) => error,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// What the CSV reader reads: the sampled start of the (UTF-8) text, then the rest.
pub(super) type CsvInput<R> = RowTracker<io::Chain<io::Cursor<Vec<u8>>, Source<R>>>;

/// The file as UTF-8 bytes: passed through, or transcoded on the fly.
pub(super) enum Source<R> {
    Plain(io::Chain<io::Cursor<Vec<u8>>, R>),
    Decoded(Box<DecodingReader<R>>),
}

impl<R: Read> Source<R> {
    pub(super) fn decoded(
        inner: R,
        head: Vec<u8>,
        skip: usize,
        encoding: &'static Encoding,
    ) -> Source<R> {
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
pub(super) struct DecodingReader<R> {
    pub(super) inner: R,
    pub(super) decoder: Decoder,
    pub(super) input: Vec<u8>,
    pub(super) in_pos: usize,
    pub(super) in_end: usize,
    pub(super) output: Vec<u8>,
    pub(super) out_pos: usize,
    pub(super) out_end: usize,
    pub(super) eof: bool,
    pub(super) finished: bool,
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
