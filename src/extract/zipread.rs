//! Guarded zip reading, shared by the Office formats and [`super::archive`].
//!
//! Nothing in a zip's headers is trusted: before an entry is inflated its declared size is
//! checked against what is left of the total budget and, for entries over 1 MiB, its ratio to
//! the compressed size; while inflating, at most the declared size plus one byte is read, so an
//! entry that unpacks to more than it declares is caught without reading it all.

use std::io::{Cursor, Read};

use zip::ZipArchive;

use super::{human_bytes, ExtractError, Format, Limits};

/// Entries smaller than this are not held to the ratio limit.
const RATIO_FLOOR: u64 = 1024 * 1024;
/// The zip flag bit saying names are UTF-8 (language encoding flag, bit 11).
const UTF8_FLAG: u16 = 0x0800;

/// What the central directory says about one entry, before reading it.
pub(super) struct EntryInfo {
    /// The name as written (decoded; see [`decode_name`]).
    pub name: String,
    pub is_dir: bool,
    pub is_symlink: bool,
}

/// A zip opened for guarded reading, with the running total of bytes unpacked.
pub(super) struct GuardedZip<'a> {
    archive: ZipArchive<Cursor<&'a [u8]>>,
    limits: &'a Limits,
    format: Format,
    unpacked: u64,
}

impl<'a> GuardedZip<'a> {
    /// Opens a zip; `format` names the file in error messages. Checks the entry count.
    pub fn open(
        bytes: &'a [u8],
        limits: &'a Limits,
        format: Format,
    ) -> Result<GuardedZip<'a>, ExtractError> {
        let archive = ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
            ExtractError::corrupt(format, format!("its zip directory cannot be read: {e}"))
        })?;
        if archive.len() > limits.max_entries {
            return Err(ExtractError::TooManyEntries {
                count: archive.len(),
                limit: limits.max_entries,
            });
        }
        Ok(GuardedZip {
            archive,
            limits,
            format,
            unpacked: 0,
        })
    }

    pub fn len(&self) -> usize {
        self.archive.len()
    }

    /// The entry's name and kind, without reading it.
    pub fn info(&self, index: usize) -> Result<EntryInfo, ExtractError> {
        let entry = self
            .archive
            .by_index_data(index)
            .map_err(|e| ExtractError::corrupt(self.format, format!("entry {index}: {e}")))?;
        Ok(EntryInfo {
            name: decode_name(entry.name_raw(), entry.flags().as_u16() & UTF8_FLAG != 0),
            is_dir: entry.is_dir(),
            is_symlink: entry.is_symlink(),
        })
    }

    /// The index of the entry named exactly `name` (UTF-8 names, as Office writes them).
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.archive.index_for_name(name).or_else(|| {
            // Some writers start names with `/` or use `\`.
            (0..self.archive.len()).find(|&i| {
                self.archive.by_index_data(i).is_ok_and(|e| {
                    let raw = String::from_utf8_lossy(e.name_raw()).replace('\\', "/");
                    raw.trim_start_matches('/') == name
                })
            })
        })
    }

    /// The names of all entries (decoded), in archive order.
    pub fn names(&self) -> Vec<String> {
        (0..self.len())
            .filter_map(|i| self.info(i).ok().map(|info| info.name))
            .collect()
    }

    /// Reads the entry named `name`; `None` when there is none.
    pub fn read_named(&mut self, name: &str) -> Result<Option<Vec<u8>>, ExtractError> {
        match self.index_of(name) {
            Some(i) => self.read(i).map(Some),
            None => Ok(None),
        }
    }

    /// Reads one entry under every limit.
    pub fn read(&mut self, index: usize) -> Result<Vec<u8>, ExtractError> {
        let mut out = Vec::new();
        self.read_into(index, &mut out)?;
        Ok(out)
    }

    /// Reads one entry and throws the bytes away: checks it under every limit.
    pub fn check(&mut self, index: usize) -> Result<(), ExtractError> {
        self.read_into(index, &mut std::io::sink())
    }

    fn read_into(
        &mut self,
        index: usize,
        out: &mut impl std::io::Write,
    ) -> Result<(), ExtractError> {
        let limits = self.limits;
        let format = self.format;
        let remaining = limits.max_unpacked_bytes.saturating_sub(self.unpacked);
        let (name, encrypted, declared, compressed) = {
            let entry = self.archive.by_index_data(index).map_err(|e| {
                ExtractError::corrupt(format, format!("entry {index} cannot be found: {e}"))
            })?;
            (
                decode_name(entry.name_raw(), entry.flags().as_u16() & UTF8_FLAG != 0),
                entry.encrypted(),
                entry.size(),
                entry.compressed_size(),
            )
        };
        if encrypted {
            return Err(ExtractError::Encrypted);
        }
        if declared > RATIO_FLOOR && declared / compressed.max(1) > limits.max_ratio {
            return Err(ExtractError::ZipBomb {
                entry: name,
                detail: format!(
                    "unpacks {} from {} (more than {} times its packed size, the limit)",
                    human_bytes(declared),
                    human_bytes(compressed),
                    limits.max_ratio
                ),
            });
        }
        if declared > remaining {
            return Err(too_large(limits, &name, declared));
        }
        let entry = self.archive.by_index(index).map_err(|e| {
            ExtractError::corrupt(format, format!("entry “{name}” cannot be read: {e}"))
        })?;
        let mut capped = entry.take(declared.saturating_add(1));
        let copied = match std::io::copy(&mut capped, out) {
            Ok(n) => n,
            // The zip reader checks the declared size too.
            Err(e) if e.to_string().contains("declared") => {
                return Err(larger_than_declared(name, declared))
            }
            Err(e) => {
                return Err(ExtractError::corrupt(
                    format,
                    format!("entry “{name}” cannot be unpacked: {e}"),
                ))
            }
        };
        if copied > declared {
            return Err(larger_than_declared(name, declared));
        }
        self.unpacked += copied;
        Ok(())
    }

    /// Reads every entry once under the limits (for readers such as calamine that open the zip
    /// themselves).
    pub fn check_all(&mut self) -> Result<(), ExtractError> {
        for i in 0..self.len() {
            if self.info(i)?.is_dir {
                continue;
            }
            self.check(i)?;
        }
        Ok(())
    }
}

fn larger_than_declared(entry: String, declared: u64) -> ExtractError {
    ExtractError::ZipBomb {
        entry,
        detail: format!(
            "unpacks to more than the {} its header declares",
            human_bytes(declared)
        ),
    }
}

fn too_large(limits: &Limits, name: &str, declared: u64) -> ExtractError {
    ExtractError::TooLarge {
        what: format!(
            "the unpacked content (with “{name}” of {})",
            human_bytes(declared)
        ),
        limit: human_bytes(limits.max_unpacked_bytes),
    }
}

/// An entry name as text: UTF-8 when the flag says so or the bytes are valid UTF-8, else
/// GB18030 (zips made on Chinese Windows write GBK names without the flag).
pub(super) fn decode_name(raw: &[u8], utf8_flag: bool) -> String {
    if utf8_flag {
        return String::from_utf8_lossy(raw).into_owned();
    }
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GB18030
            .decode_without_bom_handling(raw)
            .0
            .into_owned(),
    }
}

/// Joins a relationship target to the folder of the part that names it: `slides/slide1.xml`
/// from `ppt/presentation.xml` is `ppt/slides/slide1.xml`; `../notesSlides/n.xml` from
/// `ppt/slides/slide1.xml` is `ppt/notesSlides/n.xml`; `/ppt/x.xml` is absolute.
pub(super) fn resolve_target(from_part: &str, target: &str) -> String {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        let mut p: Vec<&str> = from_part.split('/').collect();
        p.pop();
        p
    };
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

/// The relationships of a part (`Id` → `Target`, `Type`) from its `.rels` XML.
pub(super) fn relationships(xml_text: &str) -> Vec<(String, String, String)> {
    use quick_xml::events::Event;
    let mut reader = super::xml::reader(xml_text);
    let mut out = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Eof) | Err(_) => break,
            Ok(Event::Start(e)) | Ok(Event::Empty(e))
                if super::xml::local(&e) == "Relationship" =>
            {
                let id = super::xml::attr(&e, "Id").unwrap_or_default();
                let target = super::xml::attr(&e, "Target").unwrap_or_default();
                let kind = super::xml::attr(&e, "Type").unwrap_or_default();
                if super::xml::attr(&e, "TargetMode").as_deref() != Some("External") {
                    out.push((id, target, kind));
                }
            }
            Ok(_) => {}
        }
    }
    out
}
