//! Uploaded documents to Markdown: bytes in, Markdown out (issue 18).
//!
//! A leaf module: it knows nothing of the store, the index or the web layer. The app layer
//! calls [`extract`] with the file name and its bytes and turns the result into a draft item.
//!
//! Decisions:
//! - **Formats** are chosen by the file extension ([`Format::of`]) and checked against the magic
//!   bytes: an Office file or `.ods` must be a zip, a `.pdf` must start with `%PDF-`. A `.docx`,
//!   `.pptx` or `.xlsx` that is an OLE compound file is a password-protected Office document
//!   ([`ExtractError::Encrypted`]) when it holds an `EncryptionInfo` stream; otherwise it is an
//!   old binary file with a new name (a `.xlsx` is then read as `.xls`, the others are refused).
//!   A `.xls` that is really a zip is read as `.xlsx`.
//! - **Limits** ([`Limits`], defaults): 50 MiB per file, 200 MiB unpacked in total, 10,000 zip
//!   entries, a compression ratio of 200 per entry (checked for entries over 1 MiB; small
//!   entries of repeated bytes compress far better than that and are harmless), 5,000,000
//!   characters of Markdown (longer text is cut with a warning). Every zip read checks the
//!   entry count, the declared size, the ratio and the running total before inflating, and then
//!   the *actual* size while inflating (never more than the declared size plus one byte is
//!   read); see `zipread.rs`. Spreadsheets keep at most 2,000 rows and 100 columns per sheet.
//! - **Encodings** of text, Markdown and HTML: a byte-order mark decides (UTF-8, UTF-16 LE/BE);
//!   else valid UTF-8; else GB18030 (a superset of GBK and GB2312: files from Chinese Windows).
//!   HTML honours `<meta charset>` (any label the WHATWG encoding standard knows). Zip entry
//!   names without the UTF-8 flag that are not valid UTF-8 are GB18030.
//! - **What each format keeps**: Markdown as it is; text with its lines; HTML through htmd
//!   without scripts, styles, navigation, headers and footers; Word paragraphs, headings (from
//!   the paragraph style, resolved through `styles.xml`, Chinese `标题 1` styles included),
//!   bulleted and numbered lists with their levels, tables, line breaks and tracked insertions
//!   (deletions are dropped); PowerPoint slides in presentation order, one `##` section each,
//!   with their titles, text frames, bullet levels, tables and speaker notes; spreadsheets sheet
//!   by sheet as tables; PDFs as paragraphs page by page.
//! - **What is lost**: pictures, charts, shapes without text, comments, headers and footers,
//!   footnotes, fonts and colours, bold and italics, merged-cell layout, formulas (their cached
//!   values are kept), hidden sheets are not told apart. Losses that matter are reported as
//!   warnings (e.g. a slide that has only pictures).
//! - **Hostile input** never panics or exhausts memory: no `unwrap` on input-derived data, XML is
//!   read as a stream of events, PDF extraction runs under `catch_unwind` on a thread with a
//!   large stack, deeply nested HTML falls back to stripping tags.

pub mod archive;
pub use workbook::{check_workbook, MAX_CELLS};
mod docx;
mod html;
mod md;
mod pdf;
mod pptx;
mod sheet;
mod text;
mod workbook;
mod xml;
mod zipread;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_hostile;

use std::fmt;

/// Size limits for one upload; see the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The largest file accepted, in bytes.
    pub max_file_bytes: u64,
    /// The most bytes a zip may unpack to, all entries read together.
    pub max_unpacked_bytes: u64,
    /// The most entries a zip may have.
    pub max_entries: usize,
    /// The highest uncompressed/compressed ratio of one zip entry (over 1 MiB unpacked).
    pub max_ratio: u64,
    /// The longest Markdown returned, in characters; longer text is cut with a warning.
    pub max_text_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 50 * 1024 * 1024,
            max_unpacked_bytes: 200 * 1024 * 1024,
            max_entries: 10_000,
            max_ratio: 200,
            max_text_chars: 5_000_000,
        }
    }
}

/// A document format Playbook can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Text,
    Html,
    Docx,
    Pptx,
    Xlsx,
    Xls,
    Ods,
    Pdf,
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const EMPTY_ZIP_MAGIC: &[u8] = b"PK\x05\x06";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

impl Format {
    /// The format of a file by its extension (case-insensitive), refined by its first bytes
    /// where a file was renamed: a `.xls` that is a zip is [`Format::Xlsx`]. Whether the bytes
    /// really are that format is checked by [`extract`]. Unknown extension: `None`.
    pub fn of(file_name: &str, head: &[u8]) -> Option<Format> {
        let ext = file_name.rsplit_once('.')?.1.to_ascii_lowercase();
        let format = match ext.as_str() {
            "md" | "markdown" => Format::Markdown,
            "txt" | "text" => Format::Text,
            "htm" | "html" => Format::Html,
            "docx" => Format::Docx,
            "pptx" => Format::Pptx,
            "xlsx" | "xlsm" => Format::Xlsx,
            "xls" => Format::Xls,
            "ods" => Format::Ods,
            "pdf" => Format::Pdf,
            _ => return None,
        };
        Some(match format {
            Format::Xls if head.starts_with(ZIP_MAGIC) => Format::Xlsx,
            other => other,
        })
    }

    /// A short lowercase name: `markdown`, `text`, `html`, `docx`, `pptx`, `xlsx`, `xls`, `ods`,
    /// `pdf`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Markdown => "markdown",
            Format::Text => "text",
            Format::Html => "html",
            Format::Docx => "docx",
            Format::Pptx => "pptx",
            Format::Xlsx => "xlsx",
            Format::Xls => "xls",
            Format::Ods => "ods",
            Format::Pdf => "pdf",
        }
    }

    /// The MIME type of files of this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Text => "text/plain; charset=utf-8",
            Format::Html => "text/html",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Xls => "application/vnd.ms-excel",
            Format::Ods => "application/vnd.oasis.opendocument.spreadsheet",
            Format::Pdf => "application/pdf",
        }
    }

    /// How users know the format, for messages.
    fn label(self) -> &'static str {
        match self {
            Format::Markdown => "Markdown",
            Format::Text => "text",
            Format::Html => "HTML",
            Format::Docx => "Word (.docx)",
            Format::Pptx => "PowerPoint (.pptx)",
            Format::Xlsx => "Excel (.xlsx)",
            Format::Xls => "Excel (.xls)",
            Format::Ods => "OpenDocument spreadsheet (.ods)",
            Format::Pdf => "PDF",
        }
    }
}

/// The result of a conversion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extracted {
    /// The document's own title where it has one: docx title property or first Heading 1;
    /// pptx first slide's title; pdf Info Title if meaningful; html `<title>` or first `<h1>`.
    pub title: Option<String>,
    /// The body as Markdown.
    pub markdown: String,
    /// What was lost or changed, for the user, e.g. "slide 3 has only pictures: no text".
    pub warnings: Vec<String>,
}

/// Why a file could not be converted. Every message is a sentence for the user.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("The file “{name}” is in a format Playbook cannot read: bring Word (.docx), PowerPoint (.pptx), Excel (.xlsx, .xls), OpenDocument (.ods), PDF, HTML, Markdown or text files{hint}.")]
    UnsupportedFormat { name: String, hint: &'static str },
    #[error("The document is password-protected: open it, save it without a password, and import it again.")]
    Encrypted,
    #[error("The file is damaged or is not really {format} ({detail}): open it in its program, save it again and import the new copy.")]
    Corrupt {
        format: &'static str,
        detail: String,
    },
    #[error("The file is too large: {what} is over the limit of {limit}. Split it into smaller files and import them one by one.")]
    TooLarge { what: String, limit: String },
    #[error("scanned PDF: no text found; it is attached, text recognition is not built in")]
    NoText,
    #[error("The archive entry “{entry}” {detail}, which looks like a zip bomb: the file was not unpacked. Import the documents it holds one by one.")]
    ZipBomb { entry: String, detail: String },
    #[error("The archive entry “{name}” {why}, so it was not unpacked; the other entries were.")]
    UnsafePath { name: String, why: &'static str },
    #[error("The archive has {count} entries, more than the limit of {limit}: split it into smaller archives and import them one by one.")]
    TooManyEntries { count: usize, limit: usize },
}

impl ExtractError {
    /// A stable snake_case code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            ExtractError::UnsupportedFormat { .. } => "unsupported_format",
            ExtractError::Encrypted => "encrypted",
            ExtractError::Corrupt { .. } => "corrupt",
            ExtractError::TooLarge { .. } => "too_large",
            ExtractError::NoText => "no_text",
            ExtractError::ZipBomb { .. } => "zip_bomb",
            ExtractError::UnsafePath { .. } => "unsafe_path",
            ExtractError::TooManyEntries { .. } => "too_many_entries",
        }
    }

    pub(crate) fn corrupt(format: Format, detail: impl fmt::Display) -> ExtractError {
        ExtractError::Corrupt {
            format: format.label(),
            detail: detail.to_string(),
        }
    }
}

/// Bytes as a size people read: `50 MiB`, `300 KiB`, `12 bytes`.
pub(crate) fn human_bytes(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= MIB {
        format!("{:.1} MiB", n as f64 / MIB as f64)
    } else if n >= 1024 {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

/// Converts one uploaded file to Markdown. `file_name` decides the format (see
/// [`Format::of`]); Markdown comes back as it is (decoded, title `None`: front matter is read
/// elsewhere).
pub fn extract(file_name: &str, bytes: &[u8], limits: &Limits) -> Result<Extracted, ExtractError> {
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(ExtractError::TooLarge {
            what: format!("the file ({})", human_bytes(bytes.len() as u64)),
            limit: human_bytes(limits.max_file_bytes),
        });
    }
    let head = &bytes[..bytes.len().min(16)];
    let Some(format) = Format::of(file_name, head) else {
        let ext = file_name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        let hint = match ext.as_str() {
            "doc" | "ppt" | "wps" | "dps" | "et" => {
                " (open older Office and WPS files in their program and save them as .docx, .pptx or .xlsx first)"
            }
            "zip" => " (a .zip folder is unpacked with its documents imported one by one)",
            _ => "",
        };
        return Err(ExtractError::UnsupportedFormat {
            name: file_name.to_string(),
            hint,
        });
    };
    let format = check_magic(format, file_name, bytes)?;
    let mut out = match format {
        Format::Markdown => {
            let (markdown, warnings) = text::decode_text(bytes);
            return Ok(limit_text(
                Extracted {
                    title: None,
                    markdown,
                    warnings: warnings.into_iter().collect(),
                },
                limits,
            ));
        }
        Format::Text => text::extract_text(bytes),
        Format::Html => html::extract_html(bytes),
        Format::Docx => docx::extract_docx(bytes, limits)?,
        Format::Pptx => pptx::extract_pptx(bytes, limits)?,
        Format::Xlsx | Format::Xls | Format::Ods => sheet::extract_sheet(format, bytes, limits)?,
        Format::Pdf => pdf::extract_pdf(bytes, limits)?,
    };
    out.markdown = md::clean(&out.markdown);
    out.title = out
        .title
        .map(|t| md::one_line(&t))
        .filter(|t| !t.is_empty());
    Ok(limit_text(out, limits))
}

/// Checks the bytes against the format's magic; may change the format of a renamed file.
fn check_magic(format: Format, file_name: &str, bytes: &[u8]) -> Result<Format, ExtractError> {
    let is_zip = bytes.starts_with(ZIP_MAGIC) || bytes.starts_with(EMPTY_ZIP_MAGIC);
    match format {
        Format::Docx | Format::Pptx | Format::Xlsx | Format::Ods => {
            if is_zip {
                return Ok(format);
            }
            if bytes.starts_with(OLE_MAGIC) {
                if ole_is_encrypted(bytes) {
                    return Err(ExtractError::Encrypted);
                }
                if format == Format::Xlsx {
                    // An old Excel workbook saved with a new name.
                    return Ok(Format::Xls);
                }
                return Err(ExtractError::UnsupportedFormat {
                    name: file_name.to_string(),
                    hint: " (this is an older Office file with a new name: open it in its program and save it as .docx or .pptx)",
                });
            }
            Err(ExtractError::corrupt(format, "it is not a zip archive"))
        }
        Format::Xls => {
            if bytes.starts_with(OLE_MAGIC) {
                if ole_is_encrypted(bytes) {
                    return Err(ExtractError::Encrypted);
                }
                Ok(format)
            } else {
                Err(ExtractError::corrupt(
                    format,
                    "it is not an OLE compound file",
                ))
            }
        }
        Format::Pdf => {
            // Some writers put a few bytes of junk before the header; readers allow 1 KiB.
            let head = &bytes[..bytes.len().min(1024)];
            if head.windows(5).any(|w| w == b"%PDF-") {
                Ok(format)
            } else {
                Err(ExtractError::corrupt(
                    format,
                    "it does not start with %PDF-",
                ))
            }
        }
        Format::Markdown | Format::Text | Format::Html => Ok(format),
    }
}

/// Whether an OLE compound file holds an encrypted Office document: its directory names the
/// `EncryptionInfo` stream (UTF-16LE). A password-protected `.xls` has a `FILEPASS` record
/// instead, which calamine reports.
fn ole_is_encrypted(bytes: &[u8]) -> bool {
    let needle: Vec<u8> = "EncryptionInfo"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    bytes.windows(needle.len()).any(|w| w == needle.as_slice())
}

/// Cuts the Markdown at `max_text_chars` characters, with a warning.
fn limit_text(mut out: Extracted, limits: &Limits) -> Extracted {
    if let Some((cut, _)) = out.markdown.char_indices().nth(limits.max_text_chars) {
        out.markdown.truncate(cut);
        out.warnings.push(format!(
            "the text was cut at {} characters, the most one item keeps; split the document to keep the rest",
            limits.max_text_chars
        ));
    }
    out
}
