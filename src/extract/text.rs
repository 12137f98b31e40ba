//! Plain text and Markdown: decoding (BOM, UTF-8, UTF-16 without BOM, GB18030).

use encoding_rs::{Encoding, GB18030, UTF_16BE, UTF_16LE, UTF_8};

use super::Extracted;

/// Decodes text: a byte-order mark decides; else UTF-16 recognised by its NUL bytes; else
/// valid UTF-8; else GB18030 (GBK). The warning says when bytes had to be replaced.
pub(super) fn decode_text(bytes: &[u8]) -> (String, Option<String>) {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return decode_with(encoding, &bytes[bom_len..]);
    }
    if let Some(encoding) = sniff_utf16(bytes) {
        return decode_with(encoding, bytes);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), None),
        Err(_) => decode_with(GB18030, bytes),
    }
}

/// Decodes with a known encoding (no BOM handling), noting replaced bytes.
pub(super) fn decode_with(encoding: &'static Encoding, bytes: &[u8]) -> (String, Option<String>) {
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    let warning = had_errors.then(|| {
        if encoding == UTF_8 {
            "some bytes were not valid UTF-8 and were replaced with �".to_string()
        } else {
            format!(
                "some bytes were not valid {} and were replaced with �",
                encoding.name()
            )
        }
    });
    (text.into_owned(), warning)
}

/// UTF-16 without a byte-order mark: in the first 4 KiB, most odd (LE) or even (BE) bytes are
/// NUL and the others are not, as in ASCII text written as UTF-16.
fn sniff_utf16(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(4096) & !1];
    if head.len() < 4 {
        return None;
    }
    let pairs = head.len() / 2;
    let even_nul = head.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd_nul = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    if odd_nul * 10 >= pairs * 3 && even_nul * 20 < pairs {
        Some(UTF_16LE)
    } else if even_nul * 10 >= pairs * 3 && odd_nul * 20 < pairs {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// A text file: its lines, trailing spaces gone, NUL and other control characters (except tab)
/// removed.
pub(super) fn extract_text(bytes: &[u8]) -> Extracted {
    let (text, warning) = decode_text(bytes);
    let markdown: String = text
        .chars()
        .filter(|&c| c == '\n' || c == '\r' || c == '\t' || !c.is_control())
        .collect();
    Extracted {
        title: None,
        markdown,
        warnings: warning.into_iter().collect(),
    }
}
