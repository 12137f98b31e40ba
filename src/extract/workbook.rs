//! Workbooks checked before calamine opens them: calamine reads a zip with its own reader and
//! builds the cells of `.ods` and `.xls` sheets in memory, so what a small file can ask for is
//! bounded here first.
//!
//! - **`.xlsx` and `.ods` zips** by their headers only (nothing is unpacked): the entry count,
//!   the declared sizes against a total, the compression ratio of large entries, encryption.
//!   The zip reader refuses an entry that unpacks to more than it declares, so calamine is held
//!   to these sizes.
//! - **`.ods` repeats**: a row or a cell may say "repeat me 16,384 times", and calamine makes
//!   every repeated cell with a value. The cells a sheet asks for this way are counted (one pass
//!   over `content.xml`, streamed) and a workbook asking for more than [`MAX_CELLS`] is refused.
//! - `.xls` is bounded by its format (65,536 rows × 256 columns).

use std::io::{Read, Seek};

use quick_xml::events::Event;
use zip::ZipArchive;

use super::{human_bytes, ExtractError, Format, Limits};

/// Most cells with a value a workbook may ask for through repeats.
pub const MAX_CELLS: u64 = 20_000_000;
/// Entries at least this large must not be packed more tightly than the ratio limit.
const RATIO_FLOOR: u64 = 1024 * 1024;

/// Checks a workbook (see the module docs); `reader` is rewound by the caller afterwards.
pub fn check_workbook<R: Read + Seek>(
    reader: R,
    format: Format,
    limits: &Limits,
) -> Result<(), ExtractError> {
    if !matches!(format, Format::Xlsx | Format::Ods) {
        return Ok(());
    }
    let mut archive = ZipArchive::new(reader).map_err(|e| {
        ExtractError::corrupt(format, format!("its zip directory cannot be read: {e}"))
    })?;
    if archive.len() > limits.max_entries {
        return Err(ExtractError::TooManyEntries {
            count: archive.len(),
            limit: limits.max_entries,
        });
    }
    let mut total = 0u64;
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(|e| {
            ExtractError::corrupt(format, format!("entry {index} cannot be read: {e}"))
        })?;
        if entry.encrypted() {
            return Err(ExtractError::Encrypted);
        }
        let (declared, packed) = (entry.size(), entry.compressed_size());
        if declared > RATIO_FLOOR && declared / packed.max(1) > limits.max_ratio {
            return Err(ExtractError::ZipBomb {
                entry: String::from_utf8_lossy(entry.name_raw()).into_owned(),
                detail: format!(
                    "unpacks {} from {} (more than {} times its packed size, the limit)",
                    human_bytes(declared),
                    human_bytes(packed),
                    limits.max_ratio
                ),
            });
        }
        total = total.saturating_add(declared);
        if total > limits.max_unpacked_bytes {
            return Err(ExtractError::TooLarge {
                what: "the unpacked workbook".to_owned(),
                limit: human_bytes(limits.max_unpacked_bytes),
            });
        }
    }
    if format == Format::Ods {
        let content = archive.by_name("content.xml").map_err(|e| {
            ExtractError::corrupt(format, format!("content.xml cannot be read: {e}"))
        })?;
        let declared = content.size();
        let cells = ods_cells(std::io::BufReader::new(content.take(declared)))?;
        if cells > MAX_CELLS {
            return Err(ExtractError::TooLarge {
                what: format!("the sheets, which repeat cells with values {cells} times"),
                limit: format!("{MAX_CELLS} cells"),
            });
        }
    }
    Ok(())
}

/// The cells with a value an `.ods` `content.xml` asks for, repeats counted.
fn ods_cells(reader: impl std::io::BufRead) -> Result<u64, ExtractError> {
    let mut xml = quick_xml::Reader::from_reader(reader);
    let mut buf = Vec::new();
    let mut total = 0u64;
    let mut row_repeat = 1u64;
    // The open cell: its column repeat and whether it holds a value.
    let mut cell: Option<(u64, bool)> = None;
    let repeat = |e: &quick_xml::events::BytesStart<'_>, name: &str| -> u64 {
        super::xml::attr(e, name)
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(1)
    };
    let has_value =
        |e: &quick_xml::events::BytesStart<'_>| super::xml::attr(e, "value-type").is_some();
    loop {
        let event = xml.read_event_into(&mut buf).map_err(|e| {
            ExtractError::corrupt(Format::Ods, format!("content.xml is not readable XML: {e}"))
        })?;
        match event {
            Event::Start(e) => match super::xml::local(&e) {
                "table-row" => row_repeat = repeat(&e, "number-rows-repeated"),
                "table-cell" | "covered-table-cell" => {
                    cell = Some((repeat(&e, "number-columns-repeated"), has_value(&e)));
                }
                "p" => {
                    if let Some((_, valued)) = &mut cell {
                        *valued = true;
                    }
                }
                _ => {}
            },
            Event::Empty(e)
                if matches!(super::xml::local(&e), "table-cell" | "covered-table-cell")
                    && has_value(&e) =>
            {
                let columns = repeat(&e, "number-columns-repeated");
                total = total.saturating_add(row_repeat.saturating_mul(columns));
            }
            Event::End(e) => {
                let name = e.name();
                let name = name.into_inner();
                let local = name.rsplit_once(':').map_or(name, |(_, l)| l);
                match local {
                    "table-cell" | "covered-table-cell" => {
                        if let Some((columns, true)) = cell.take() {
                            total = total.saturating_add(row_repeat.saturating_mul(columns));
                        }
                    }
                    "table-row" => row_repeat = 1,
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
        if total > MAX_CELLS {
            break;
        }
        buf.clear();
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_cells_with_values_are_counted_and_empty_ones_are_not() {
        let xml = r#"<office:document-content><office:body><office:spreadsheet><table:table>
            <table:table-row table:number-rows-repeated="3"><table:table-cell office:value-type="string" table:number-columns-repeated="4"><text:p>x</text:p></table:table-cell></table:table-row>
            <table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>
            <table:table-row><table:table-cell><text:p>a</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="1"/></table:table-row>
            </table:table></office:spreadsheet></office:body></office:document-content>"#;
        assert_eq!(ods_cells(xml.as_bytes()).unwrap(), 3 * 4 + 2);
        // A few hundred bytes asking for 98 million strings.
        let bomb = r#"<table:table><table:table-row table:number-rows-repeated="6000"><table:table-cell office:value-type="string" table:number-columns-repeated="16384"><text:p>x</text:p></table:table-cell></table:table-row></table:table>"#;
        assert!(ods_cells(bomb.as_bytes()).unwrap() > MAX_CELLS);
    }
}
