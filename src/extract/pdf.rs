//! PDF (pdf-extract on lopdf): the text layer page by page, lines joined into paragraphs.
//!
//! pdf-extract can panic on odd files: it runs under `catch_unwind`, on its own thread with a
//! large stack for deeply nested objects, and a panic is [`ExtractError::Corrupt`]. A document
//! with fewer than [`MIN_TEXT_CHARS`] non-space characters is a scan ([`ExtractError::NoText`]).
//! Encrypted files that open with the empty user password (only editing is protected) are
//! read; others are [`ExtractError::Encrypted`].

use std::panic::{catch_unwind, AssertUnwindSafe};

use pdf_extract::{Document, Object};

use super::{human_bytes, md, ExtractError, Extracted, Format, Limits};

/// Fewer non-space characters than this over the whole document: a scan without text.
pub(super) const MIN_TEXT_CHARS: usize = 20;
/// The stack of the extraction thread.
const STACK_BYTES: usize = 64 * 1024 * 1024;

/// The readers unpack every compressed stream in full: a PDF whose streams (object streams
/// included) would unpack to more than `budget` is refused before either reader opens it. Each
/// stream between `stream` and `endstream` is inflated into nothing, counting bytes and
/// stopping at the budget; a stream that is not zlib data (images, encrypted data) counts as
/// what it inflates to before it fails.
fn inflates_within(bytes: &[u8], budget: u64) -> Result<(), ExtractError> {
    use std::io::Read;
    let mut total = 0u64;
    let mut at = 0;
    while let Some(found) = find(&bytes[at..], b"stream") {
        let keyword = at + found;
        let mut start = keyword + b"stream".len();
        if keyword >= 3 && &bytes[keyword - 3..keyword] == b"end" {
            at = start;
            continue;
        }
        if bytes.get(start) == Some(&b'\r') {
            start += 1;
        }
        if bytes.get(start) == Some(&b'\n') {
            start += 1;
        }
        let end = find(&bytes[start..], b"endstream").map_or(bytes.len(), |e| start + e);
        let left = budget.saturating_sub(total);
        let mut inflated = flate2::read::ZlibDecoder::new(&bytes[start..end]).take(left + 1);
        let mut sink = [0u8; 64 * 1024];
        loop {
            match inflated.read(&mut sink) {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n as u64,
            }
        }
        if total > budget {
            return Err(ExtractError::TooLarge {
                what: "the PDF's compressed content, unpacked,".to_owned(),
                limit: human_bytes(budget),
            });
        }
        at = end;
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Which text extractor reads the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    /// pdf-extract: font metrics, positions, most encodings.
    PdfExtract,
    /// lopdf's own text extraction: fewer layout cues, but it knows the CJK CMaps such as
    /// `UniGB-UCS2-H` that pdf-extract gives up on (Chinese PDFs made by many tools).
    Lopdf,
}

pub(super) fn extract_pdf(bytes: &[u8], limits: &Limits) -> Result<Extracted, ExtractError> {
    inflates_within(bytes, limits.max_unpacked_bytes)?;
    match guarded(bytes, Engine::PdfExtract) {
        // The first reader failed or found nothing: the second may know the fonts.
        Err(ExtractError::Corrupt { .. }) | Err(ExtractError::NoText) => {
            match guarded(bytes, Engine::Lopdf) {
                Ok(extracted) => Ok(extracted),
                Err(ExtractError::Corrupt { .. }) => guarded(bytes, Engine::PdfExtract),
                Err(other) => Err(other),
            }
        }
        other => other,
    }
}

/// The reader's threads are named so; their panics are expected (odd files) and are not
/// printed as crashes.
const THREAD_NAME: &str = "pdf-extract";

/// Once per process: panics of the reader's threads are logged as one line instead of the
/// default report with a backtrace (every other panic is reported as before).
fn quiet_reader_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() == Some(THREAD_NAME) {
                tracing::debug!("the PDF reader gave up on a file: {info}");
            } else {
                default(info);
            }
        }));
    });
}

/// One reading, on its own thread with a large stack, a panic turned into `Corrupt`.
fn guarded(bytes: &[u8], engine: Engine) -> Result<Extracted, ExtractError> {
    quiet_reader_panics();
    let outcome = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name(THREAD_NAME.into())
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, || {
                catch_unwind(AssertUnwindSafe(|| read(bytes, engine)))
            })
            .map(|handle| handle.join())
    });
    match outcome {
        Ok(Ok(Ok(result))) => result,
        Ok(Ok(Err(_))) | Ok(Err(_)) => Err(ExtractError::corrupt(
            Format::Pdf,
            "the PDF reader failed on its structure",
        )),
        Err(e) => Err(ExtractError::corrupt(
            Format::Pdf,
            format!("no thread to read it: {e}"),
        )),
    }
}

fn read(bytes: &[u8], engine: Engine) -> Result<Extracted, ExtractError> {
    let mut doc = match Document::load_mem(bytes) {
        Ok(doc) => doc,
        Err(e) => {
            let text = e.to_string();
            let lower = text.to_lowercase();
            if lower.contains("password") || lower.contains("decrypt") || lower.contains("encrypt")
            {
                return Err(ExtractError::Encrypted);
            }
            return Err(ExtractError::corrupt(Format::Pdf, text));
        }
    };
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return Err(ExtractError::Encrypted);
    }
    let title = info_title(&doc);
    let mut pages_text = Vec::new();
    let mut empty_pages = Vec::new();
    let mut failed_pages = Vec::new();
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    for number in pages {
        let mut text = String::new();
        let result = match engine {
            Engine::PdfExtract => {
                let mut output = pdf_extract::PlainTextOutput::new(&mut text);
                pdf_extract::output_doc_page(&doc, &mut output, number).map_err(|_| ())
            }
            Engine::Lopdf => doc
                .extract_text(&[number])
                .map(|found| text = found)
                .map_err(|_| ()),
        };
        if result.is_err() {
            failed_pages.push(number);
        }
        let paragraphs = paragraphs(&text);
        if paragraphs.is_empty() {
            if result.is_ok() {
                empty_pages.push(number);
            }
        } else {
            pages_text.push(paragraphs.join("\n\n"));
        }
    }
    let non_space = pages_text
        .iter()
        .flat_map(|p| p.chars())
        .filter(|c| !c.is_whitespace())
        .count();
    if non_space < MIN_TEXT_CHARS {
        return Err(ExtractError::NoText);
    }
    let mut warnings = Vec::new();
    if !empty_pages.is_empty() {
        warnings.push(format!(
            "page(s) {} have no text (pictures or scans); they are not in the text",
            list(&empty_pages)
        ));
    }
    if !failed_pages.is_empty() {
        warnings.push(format!(
            "page(s) {} could not be read completely",
            list(&failed_pages)
        ));
    }
    Ok(Extracted {
        title,
        markdown: pages_text.join("\n\n"),
        warnings,
    })
}

fn list(pages: &[u32]) -> String {
    let shown: Vec<String> = pages.iter().take(20).map(u32::to_string).collect();
    if pages.len() > 20 {
        format!("{} and {} more", shown.join(", "), pages.len() - 20)
    } else {
        shown.join(", ")
    }
}

/// The Info dictionary's Title when it is a title: not empty, not a file name, without the
/// "Microsoft Word - " prefix printers add.
fn info_title(doc: &Document) -> Option<String> {
    let info = doc.trailer.get(b"Info").ok()?;
    let info = match info {
        Object::Reference(id) => doc.get_dictionary(*id).ok()?,
        Object::Dictionary(d) => d,
        _ => return None,
    };
    let title = info.get(b"Title").ok()?;
    let (_, title) = doc.dereference(title).ok()?;
    let title = pdf_extract::decode_text_string(title).ok()?;
    let title = md::one_line(&title.replace('\0', ""));
    let title = title
        .strip_prefix("Microsoft Word - ")
        .or_else(|| title.strip_prefix("Microsoft PowerPoint - "))
        .unwrap_or(&title)
        .to_string();
    let lower = title.to_lowercase();
    let file_like = [
        ".doc", ".docx", ".ppt", ".pptx", ".pdf", ".xls", ".xlsx", ".tmp", ".indd",
    ]
    .iter()
    .any(|ext| lower.ends_with(ext));
    let meaningless = [
        "untitled",
        "无标题",
        "title",
        "slide 1",
        "powerpoint presentation",
    ]
    .contains(&lower.as_str());
    if title.chars().count() < 2 || file_like || meaningless {
        return None;
    }
    Some(title)
}

/// Lines of a page joined into paragraphs: a blank line ends one, a line starting with a bullet
/// or a number starts one; lines join with a space, or none between Chinese characters, and a
/// word hyphenated across lines is put back together.
pub(super) fn paragraphs(page: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in page.lines() {
        let line = line.trim();
        if line.is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        if starts_item(line) && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        if current.is_empty() {
            current.push_str(line);
            continue;
        }
        let last = current.chars().last().unwrap_or(' ');
        let first = line.chars().next().unwrap_or(' ');
        if last == '-' && first.is_lowercase() && current.len() > 1 {
            current.pop();
        } else if !(md::is_cjk(last) && md::is_cjk(first)) {
            current.push(' ');
        }
        current.push_str(line);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Whether a line starts a list item: `•`, `●`, `▪`, `-`, `*`, `1.`, `1)`, `一、`, `（1）`.
fn starts_item(line: &str) -> bool {
    let mut chars = line.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if matches!(
        first,
        '•' | '●' | '○' | '▪' | '■' | '◆' | '·' | '-' | '*' | '–' | '\u{f0b7}'
    ) {
        return true;
    }
    let digits: String = line.chars().take_while(|c| c.is_ascii_digit()).collect();
    if !digits.is_empty() && digits.len() <= 3 {
        let next = line[digits.len()..].chars().next();
        return matches!(next, Some('.' | ')' | '、' | '．'));
    }
    if first == '(' || first == '（' {
        return chars
            .next()
            .is_some_and(|c| c.is_ascii_digit() || "一二三四五六七八九十".contains(c));
    }
    "一二三四五六七八九十".contains(first) && chars.next() == Some('、')
}

#[cfg(test)]
mod bomb_tests {
    use super::*;

    #[test]
    fn streams_that_unpack_past_the_budget_are_refused_before_any_reader() {
        use std::io::Write;
        let mut zeros = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        for _ in 0..64 {
            zeros.write_all(&[0u8; 64 * 1024]).unwrap(); // 4 MiB in all
        }
        let packed = zeros.finish().unwrap();
        let mut pdf = b"%PDF-1.4\n1 0 obj\n<< /Length 0 /Filter /FlateDecode >>\nstream\n".to_vec();
        pdf.extend_from_slice(&packed);
        pdf.extend_from_slice(b"\nendstream\nendobj\n%%EOF\n");
        assert!(inflates_within(&pdf, 8 * 1024 * 1024).is_ok());
        let error = inflates_within(&pdf, 1024 * 1024).unwrap_err();
        assert_eq!(error.code(), "too_large", "{error}");
        // Data that is not zlib (a picture, encrypted bytes) costs nothing.
        assert!(inflates_within(b"stream\nnot zlib at all\nendstream", 10).is_ok());
    }
}
