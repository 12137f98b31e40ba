//! Uploaded `.zip` folders: their files, with safe relative paths, under the limits.
//!
//! Entries whose names would escape the folder (`..`, absolute paths, drive letters, NUL) or
//! that are links are refused one by one ([`Unpacked::rejected`]); the others still come out.
//! Directories, `__MACOSX/` and `._*` resource forks, `.DS_Store` and `Thumbs.db` are skipped. A `.zip`
//! inside the zip comes out as an entry, not unpacked. Limits (entry count, sizes, ratio) stop
//! the whole archive: a zip that breaks them is hostile or useless.

use super::zipread::GuardedZip;
use super::{ExtractError, Format, Limits};

/// One file of the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Normalised: `/`-separated, relative, no `.` or `..` components, never empty.
    pub path: String,
    pub bytes: Vec<u8>,
}

/// The files of an archive and the entries refused.
#[derive(Debug, Default)]
pub struct Unpacked {
    pub entries: Vec<Entry>,
    /// The entry name as written (decoded) and why it was refused.
    pub rejected: Vec<(String, ExtractError)>,
}

/// Unpacks a zip in memory. Errors for the whole archive: `Corrupt` (not a zip, damaged
/// directory or entry), `TooManyEntries`, `TooLarge` (unpacked total), `ZipBomb`.
pub fn unpack_zip(bytes: &[u8], limits: &Limits) -> Result<Unpacked, ExtractError> {
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(ExtractError::TooLarge {
            what: format!("the archive ({})", super::human_bytes(bytes.len() as u64)),
            limit: super::human_bytes(limits.max_file_bytes),
        });
    }
    let mut zip = GuardedZip::open(bytes, limits, Format::Docx)
        .map_err(|e| archive_error(e, "it cannot be opened as a zip"))?;
    let mut out = Unpacked::default();
    for index in 0..zip.len() {
        let info = zip.info(index).map_err(|e| archive_error(e, ""))?;
        if info.is_dir {
            continue;
        }
        let path = match safe_path(&info.name) {
            Ok(Some(path)) => path,
            Ok(None) => continue,
            Err(why) => {
                out.rejected.push((
                    info.name.clone(),
                    ExtractError::UnsafePath {
                        name: info.name,
                        why,
                    },
                ));
                continue;
            }
        };
        if info.is_symlink {
            out.rejected.push((
                info.name.clone(),
                ExtractError::UnsafePath {
                    name: info.name,
                    why: "is a link to another place",
                },
            ));
            continue;
        }
        match zip.read(index) {
            Ok(bytes) => out.entries.push(Entry { path, bytes }),
            // One protected entry does not spoil the others.
            Err(ExtractError::Encrypted) => out.rejected.push((info.name, ExtractError::Encrypted)),
            Err(e) => return Err(archive_error(e, "")),
        }
    }
    Ok(out)
}

/// Corrupt errors of the guarded reader name a Word file; an archive is a zip.
fn archive_error(e: ExtractError, fallback: &str) -> ExtractError {
    match e {
        ExtractError::Corrupt { detail, .. } => ExtractError::Corrupt {
            format: "a zip archive",
            detail: if detail.is_empty() {
                fallback.to_string()
            } else {
                detail
            },
        },
        other => other,
    }
}

/// The normalised path of an entry name; `Ok(None)` for entries skipped quietly (macOS and
/// Windows folder litter, names that are only separators); `Err` says why a name is unsafe.
pub(crate) fn safe_path(name: &str) -> Result<Option<String>, &'static str> {
    if name.contains('\0') {
        return Err("has a NUL character in its name");
    }
    let unified = name.replace('\\', "/");
    if unified.starts_with('/') {
        return Err("has an absolute path");
    }
    let bytes = unified.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Err("starts with a drive letter");
    }
    let mut parts = Vec::new();
    for part in unified.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err("climbs out of the folder with “..”"),
            p if p.contains(':') && parts.is_empty() => {
                return Err("starts with a drive or stream name")
            }
            p => parts.push(p),
        }
    }
    let Some(last) = parts.last() else {
        return Ok(None);
    };
    if parts[0] == "__MACOSX" || *last == ".DS_Store" || last.eq_ignore_ascii_case("Thumbs.db") {
        return Ok(None);
    }
    Ok(Some(parts.join("/")))
}
