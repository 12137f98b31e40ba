//! Bringing existing knowledge in: Markdown notes written for any tool, and Word, PowerPoint,
//! PDF, Excel, HTML and text files, each becoming a draft owned by the importer.
//!
//! - **Inputs** are files with the path the user knows them by; a `.zip` is opened (its
//!   entries checked by `extract::archive`: no `..`, no bombs), a folder is walked by the
//!   command line.
//! - **Markdown** is read by `domain::content::read_foreign_note` (any front matter or none);
//!   its fields with no place in an item are kept in `meta`, with the file it came from. Wiki
//!   links and relative links to other notes of the same import point at their new items;
//!   pictures and other files a note links to are attached to it and the links point at them.
//! - **Documents** are turned into Markdown by `extract::extract`; the original is attached and
//!   downloadable. A PDF with no text layer is still imported (the file attached, the body
//!   says so) with a warning.
//! - **Every file gets its own answer:** imported (with its id, title and warnings) or failed
//!   (with what to do). A bad file never stops the others, and nothing stored before is
//!   touched: items are only ever created, with fresh ids.
//! - The catalog and the index are refreshed once, after the last file.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::Serialize;

use crate::app::access::Access;
use crate::app::library::{Library, LibraryError};
use crate::domain::content::{
    content_hash, read_foreign_note, rewrite_links, slug_from_path, to_markdown, ContentItem,
    ForeignNote, Kind, LinkKind, NoteLink, Source, Status,
};
use crate::domain::ids::path_segment;
use crate::domain::workflow::Action;
use crate::domain::Lang;
use crate::extract::{self, archive, ExtractError, Format, Limits};
use crate::store::NewAttachment;

/// One file to import, with the path the user knows it by (`/` separators).
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// A file that became a draft.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportedFile {
    pub file: String,
    pub id: String,
    pub title: String,
    pub kind: Kind,
    pub warnings: Vec<String>,
}

/// A file that was not imported, and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FailedFile {
    pub file: String,
    pub message: String,
}

/// What an import of files did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ContentImportReport {
    pub imported: Vec<ImportedFile>,
    pub failed: Vec<FailedFile>,
}

/// How files are imported.
#[derive(Debug, Clone)]
pub struct ContentImportOptions {
    /// The kind every draft gets (a playbook unless a case is asked for); a note's own `kind`
    /// or `type` field, when it names a kind, goes first.
    pub kind: Kind,
    pub limits: Limits,
}

impl Default for ContentImportOptions {
    fn default() -> ContentImportOptions {
        ContentImportOptions {
            kind: Kind::Playbook,
            limits: Limits::default(),
        }
    }
}

/// Reads what the command line is given: a folder (walked, hidden files skipped), a `.zip` or
/// one file. Paths are relative to the folder, or the file's name.
pub fn read_path(path: &Path) -> std::io::Result<Vec<SourceFile>> {
    if path.is_dir() {
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(path)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
        {
            let entry = entry.map_err(std::io::Error::other)?;
            if !entry.file_type().is_file() {
                continue;
            }
            let relative = entry
                .path()
                .strip_prefix(path)
                .unwrap_or(entry.path())
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            files.push(SourceFile {
                path: relative,
                bytes: std::fs::read(entry.path())?,
            });
        }
        Ok(files)
    } else {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(vec![SourceFile {
            path: name,
            bytes: std::fs::read(path)?,
        }])
    }
}

fn failed(file: &str, message: impl Into<String>) -> FailedFile {
    FailedFile {
        file: file.to_owned(),
        message: message.into(),
    }
}

fn is_zip(path: &str) -> bool {
    path.to_ascii_lowercase().ends_with(".zip")
}

/// Opens the `.zip` files among the inputs (one level: a zip inside a zip is refused). The
/// files of one import, loose or unpacked, hold at most `limits.max_unpacked_bytes` together:
/// the files past that are refused with a message (import them separately).
fn expand(files: Vec<SourceFile>, limits: &Limits) -> (Vec<SourceFile>, Vec<FailedFile>) {
    let mut out = Vec::new();
    let mut failures = Vec::new();
    let mut remaining = limits.max_unpacked_bytes;
    let over_budget = |path: &str| {
        failed(
            path,
            format!(
                "this import already holds {} MiB of files, the most one import takes — import \
                 this file separately",
                limits.max_unpacked_bytes / (1024 * 1024)
            ),
        )
    };
    for file in files {
        if !is_zip(&file.path) {
            match remaining.checked_sub(file.bytes.len() as u64) {
                Some(left) => {
                    remaining = left;
                    out.push(file);
                }
                None => failures.push(over_budget(&file.path)),
            }
            continue;
        }
        if file.bytes.len() as u64 > limits.max_file_bytes {
            failures.push(failed(
                &file.path,
                ExtractError::TooLarge {
                    what: "the archive".to_owned(),
                    limit: format!("{} MiB", limits.max_file_bytes / (1024 * 1024)),
                }
                .to_string(),
            ));
            continue;
        }
        let budget = Limits {
            max_unpacked_bytes: remaining,
            ..limits.clone()
        };
        if remaining == 0 {
            failures.push(over_budget(&file.path));
            continue;
        }
        match archive::unpack_zip(&file.bytes, &budget) {
            Err(e) => failures.push(failed(&file.path, e.to_string())),
            Ok(unpacked) => {
                let size: u64 = unpacked.entries.iter().map(|e| e.bytes.len() as u64).sum();
                remaining = remaining.saturating_sub(size);
                for (name, error) in unpacked.rejected {
                    failures.push(failed(&format!("{}/{name}", file.path), error.to_string()));
                }
                for entry in unpacked.entries {
                    let path = format!("{}/{}", file.path, entry.path);
                    if is_zip(&entry.path) {
                        failures.push(failed(
                            &path,
                            "a .zip inside a .zip is not opened — unpack it and import its files",
                        ));
                        continue;
                    }
                    out.push(SourceFile {
                        path,
                        bytes: entry.bytes,
                    });
                }
            }
        }
    }
    (out, failures)
}

/// The last part of a path.
fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The folder part of a path (`a/b/c.md` → `a/b`), empty at the top.
fn folder(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// `dir` joined with a relative link, `.` and `..` resolved; `None` when it climbs out.
fn join_relative(dir: &str, target: &str) -> Option<String> {
    let target = target.trim_start_matches("./");
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

fn stem(path: &str) -> &str {
    let name = base_name(path);
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}

/// Chinese when a good share of the letters are Han characters.
fn guess_lang(text: &str) -> Lang {
    let (mut han, mut latin) = (0usize, 0usize);
    for c in text.chars().take(20_000) {
        if ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c) {
            han += 1;
        } else if c.is_ascii_alphabetic() {
            latin += 1;
        }
    }
    if han * 4 >= latin.max(1) {
        Lang::Zh
    } else {
        Lang::En
    }
}

/// The content type of a file by its name (pictures, then the document formats).
pub fn content_type_of(path: &str) -> &'static str {
    let lower = path.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "bmp" => "image/bmp",
        _ => Format::of(path, &[]).map_or("application/octet-stream", Format::content_type),
    }
}

/// A draft being built from one file.
struct Draft {
    file: String,
    item: ContentItem,
    attachments: Vec<NewAttachment>,
    warnings: Vec<String>,
}

impl Library {
    /// Imports files as drafts owned by `author` (see the module docs). Each file is answered
    /// on its own; the catalog and the index are refreshed once at the end.
    pub fn import_content(
        &self,
        files: Vec<SourceFile>,
        options: &ContentImportOptions,
        author: &Access,
    ) -> Result<ContentImportReport, LibraryError> {
        let by = author.principal.user.clone();
        let (files, mut failures) = expand(files, &options.limits);
        let by_path: HashMap<&str, usize> = files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.path.as_str(), i))
            .collect();
        let mut taken: HashSet<String> = HashSet::new();
        let mut drafts: Vec<Draft> = Vec::new();
        // Notes first (their links decide which other files are attachments), then documents.
        let mut notes: Vec<(usize, ForeignNote)> = Vec::new();
        let mut linked: HashSet<usize> = HashSet::new();
        for (index, file) in files.iter().enumerate() {
            if Format::of(&file.path, &file.bytes) != Some(Format::Markdown) {
                continue;
            }
            if file.bytes.len() as u64 > options.limits.max_file_bytes {
                failures.push(failed(&file.path, too_large(&options.limits)));
                continue;
            }
            let text = match extract::extract(&file.path, &file.bytes, &options.limits) {
                Ok(extracted) => extracted.markdown,
                Err(e) => {
                    failures.push(failed(&file.path, e.to_string()));
                    continue;
                }
            };
            let note = read_foreign_note(base_name(&file.path), &text);
            for link in &note.links {
                if let Some(target) = self.link_target(link, &file.path, &files, &by_path) {
                    if Format::of(&files[target].path, &[]) != Some(Format::Markdown) {
                        linked.insert(target);
                    }
                }
            }
            notes.push((index, note));
        }
        // Ids for every note before any body is written, so that links between notes resolve.
        let mut note_ids: HashMap<usize, String> = HashMap::new();
        for (index, note) in &notes {
            let id = self.fresh_import_id(&note.title, &mut taken)?;
            note_ids.insert(*index, id);
        }
        let titles: HashMap<String, usize> = notes
            .iter()
            .flat_map(|(index, note)| {
                let stem = stem(&files[*index].path).to_lowercase();
                std::iter::once((stem, *index))
                    .chain(std::iter::once((note.title.to_lowercase(), *index)))
                    .chain(note.aliases.iter().map(|a| (a.to_lowercase(), *index)))
                    .collect::<Vec<_>>()
            })
            .collect();
        for (index, note) in notes {
            let file = &files[index];
            let id = note_ids[&index].clone();
            let mut attachments = Vec::new();
            let mut attached: HashMap<usize, String> = HashMap::new();
            let mut names: HashSet<String> = HashSet::new();
            let mut too_big: Vec<String> = Vec::new();
            let mut warnings = note.warnings.clone();
            let body = rewrite_links(&note.body, &mut |link: &NoteLink| {
                let target = match link.kind {
                    LinkKind::Wiki => {
                        let name = link.target.split('#').next().unwrap_or("").trim();
                        titles
                            .get(&name.to_lowercase())
                            .copied()
                            .or_else(|| self.link_target(link, &file.path, &files, &by_path))
                    }
                    LinkKind::Relative => self.link_target(link, &file.path, &files, &by_path),
                }?;
                if let Some(other) = note_ids.get(&target) {
                    return Some(format!("/content/{other}"));
                }
                // A note that could not be imported stays a plain link.
                if Format::of(&files[target].path, &[]) == Some(Format::Markdown) {
                    return None;
                }
                if let Some(name) = attached.get(&target) {
                    return Some(format!("/content/{id}/attachments/{}", path_segment(name)));
                }
                if files[target].bytes.len() as u64 > options.limits.max_file_bytes {
                    too_big.push(files[target].path.clone());
                    return None;
                }
                // Two linked files of one name (a/img.png, b/img.png) stay two attachments.
                let mut name = base_name(&files[target].path).to_owned();
                let mut n = 1;
                while names.contains(&name) {
                    n += 1;
                    let original = base_name(&files[target].path);
                    name = match original.rsplit_once('.') {
                        Some((stem, ext)) => format!("{stem}-{n}.{ext}"),
                        None => format!("{original}-{n}"),
                    };
                }
                names.insert(name.clone());
                attached.insert(target, name.clone());
                attachments.push(NewAttachment {
                    name: name.clone(),
                    content_type: content_type_of(&name).to_owned(),
                    bytes: files[target].bytes.clone(),
                    text: String::new(),
                });
                Some(format!("/content/{id}/attachments/{}", path_segment(&name)))
            });
            let unresolved = note
                .links
                .iter()
                .filter(|l| !l.target.contains("://") && !l.target.starts_with('#'))
                .filter(|l| {
                    (match l.kind {
                        LinkKind::Wiki => titles
                            .get(
                                &l.target
                                    .split('#')
                                    .next()
                                    .unwrap_or("")
                                    .trim()
                                    .to_lowercase(),
                            )
                            .copied(),
                        LinkKind::Relative => None,
                    })
                    .or_else(|| self.link_target(l, &file.path, &files, &by_path))
                    .is_none()
                })
                .count();
            for path in &too_big {
                warnings.push(format!(
                    "{path} is linked but larger than the limit of {} MiB per file; it was not \
                     attached",
                    options.limits.max_file_bytes / (1024 * 1024)
                ));
            }
            if unresolved > 0 {
                warnings.push(format!(
                    "{unresolved} links point at files that were not in this import; they were \
                     left as text or as written"
                ));
            }
            let mut meta: BTreeMap<String, String> = note.metadata.into_iter().collect();
            if let Some(date) = &note.date {
                meta.insert("date".to_owned(), date.clone());
            }
            if !note.aliases.is_empty() {
                meta.insert("aliases".to_owned(), note.aliases.join(", "));
            }
            meta.insert("imported_from".to_owned(), file.path.clone());
            let kind = note
                .kind_hint
                .as_deref()
                .and_then(Kind::parse)
                .filter(|k| matches!(k, Kind::Playbook | Kind::Case))
                .unwrap_or(options.kind);
            let lang = match note.lang.as_deref() {
                Some("en") => Lang::En,
                Some("zh") => Lang::Zh,
                _ => guess_lang(&format!("{} {}", note.title, body)),
            };
            let mut item = ContentItem::blank(&id, kind, &note.title);
            item.summary = note.summary.clone();
            item.tags = note.tags.clone();
            item.lang = lang;
            item.meta = meta;
            item.body = body;
            drafts.push(Draft {
                file: file.path.clone(),
                item,
                attachments,
                warnings,
            });
        }
        // Documents, and what is left.
        for (index, file) in files.iter().enumerate() {
            if note_ids.contains_key(&index) {
                continue;
            }
            let format = Format::of(&file.path, &file.bytes);
            if format == Some(Format::Markdown) {
                continue; // failed above
            }
            if linked.contains(&index) {
                continue; // attached to the note that links to it
            }
            let Some(format) = format else {
                let message = if content_type_of(&file.path).starts_with("image/") {
                    "a picture on its own is not imported: link it from a Markdown note of \
                     the same import, or attach it to an item"
                        .to_owned()
                } else {
                    ExtractError::UnsupportedFormat {
                        name: base_name(&file.path).to_owned(),
                        hint: "",
                    }
                    .to_string()
                };
                failures.push(failed(&file.path, message));
                continue;
            };
            if file.bytes.len() as u64 > options.limits.max_file_bytes {
                failures.push(failed(&file.path, too_large(&options.limits)));
                continue;
            }
            let name = base_name(&file.path).to_owned();
            let (title, body, mut warnings) =
                match extract::extract(&file.path, &file.bytes, &options.limits) {
                    Ok(extracted) => (
                        extracted
                            .title
                            .filter(|t| !t.trim().is_empty())
                            .unwrap_or_else(|| stem(&file.path).to_owned()),
                        extracted.markdown,
                        extracted.warnings,
                    ),
                    Err(ExtractError::NoText) => (
                        stem(&file.path).to_owned(),
                        String::new(),
                        vec![ExtractError::NoText.to_string()],
                    ),
                    Err(e) => {
                        failures.push(failed(&file.path, e.to_string()));
                        continue;
                    }
                };
            let id = self.fresh_import_id(&title, &mut taken)?;
            let original = format!("/content/{id}/attachments/{}", path_segment(&name));
            let body = if body.trim().is_empty() {
                format!("原文件见附件 · The original is attached: [{name}]({original})\n")
            } else {
                format!("{body}\n\n---\n\n原文件 · Original: [{name}]({original})\n")
            };
            if title.chars().count() > 200 {
                warnings.push("the title was cut to 200 characters".to_owned());
            }
            let mut item = ContentItem::blank(
                &id,
                options.kind,
                &title.chars().take(200).collect::<String>(),
            );
            item.lang = guess_lang(&format!("{title} {body}"));
            item.meta
                .insert("imported_from".to_owned(), file.path.clone());
            item.body = body;
            drafts.push(Draft {
                file: file.path.clone(),
                item,
                attachments: vec![NewAttachment {
                    name,
                    content_type: format.content_type().to_owned(),
                    bytes: file.bytes.clone(),
                    text: String::new(),
                }],
                warnings,
            });
        }
        let mut report = ContentImportReport {
            imported: Vec::new(),
            failed: failures,
        };
        let mut stored_any = false;
        for draft in drafts {
            match self.store_import(draft.item, draft.attachments, author, &by, &draft.file) {
                Ok((item, warning)) => {
                    stored_any = true;
                    let mut warnings = draft.warnings;
                    warnings.extend(warning);
                    report.imported.push(ImportedFile {
                        file: draft.file,
                        id: item.id,
                        title: item.title,
                        kind: item.kind,
                        warnings,
                    })
                }
                Err(message) => report.failed.push(failed(&draft.file, message)),
            }
        }
        if stored_any {
            self.content_changed()?;
        }
        report.imported.sort_by(|a, b| a.file.cmp(&b.file));
        report.failed.sort_by(|a, b| a.file.cmp(&b.file));
        Ok(report)
    }

    /// The index of the file a link points at, among the files of the import.
    fn link_target(
        &self,
        link: &NoteLink,
        from: &str,
        files: &[SourceFile],
        by_path: &HashMap<&str, usize>,
    ) -> Option<usize> {
        let target = link.target.split('#').next().unwrap_or("").trim();
        if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
            return None;
        }
        let dir = folder(from);
        let candidates = [
            join_relative(dir, target),
            join_relative(dir, &format!("{target}.md")),
        ];
        if let Some(found) = candidates
            .iter()
            .flatten()
            .find_map(|path| by_path.get(path.as_str()).copied())
        {
            return Some(found);
        }
        // Obsidian resolves a bare name anywhere in the vault.
        if link.kind == LinkKind::Wiki {
            let wanted = base_name(target).to_lowercase();
            return files.iter().position(|f| {
                let name = base_name(&f.path).to_lowercase();
                name == wanted || stem(&f.path).to_lowercase() == wanted
            });
        }
        None
    }

    fn fresh_import_id(
        &self,
        title: &str,
        taken: &mut HashSet<String>,
    ) -> Result<String, LibraryError> {
        let mut base = slug_from_path(title);
        if base.is_empty() {
            base = "imported".into();
        }
        base = base.chars().take(80).collect();
        let mut id = base.clone();
        let mut n = 1;
        while taken.contains(&id)
            || self.store().get_record(&id)?.is_some()
            || self.store().has_attachments(&id)?
        {
            n += 1;
            id = format!("{base}-{n}");
        }
        taken.insert(id.clone());
        Ok(id)
    }

    /// Validates a draft like any item written in the editor and stores it with its files. A
    /// draft stored whose files could not be is still a draft: the warning says so.
    fn store_import(
        &self,
        mut item: ContentItem,
        attachments: Vec<NewAttachment>,
        author: &Access,
        by: &str,
        file: &str,
    ) -> Result<(ContentItem, Option<String>), String> {
        item.status = Status::Draft;
        item.owner = Some(by.to_owned());
        item.source = Source::Editor;
        let text = to_markdown(&item);
        let mut checked = self
            .validate_markdown(&text, Some(&item.id), author)
            .map_err(|e| e.to_string())?;
        checked.source = Source::Editor;
        checked.hash = content_hash(&to_markdown(&checked));
        self.store()
            .commit_edit(
                &checked,
                None,
                0,
                by,
                Action::Created,
                Some(format!("imported from {file}")),
            )
            .map_err(|e| e.to_string())?;
        let mut warning = None;
        if !attachments.is_empty() {
            if let Err(e) = self.store().add_attachments(&checked.id, attachments, by) {
                warning = Some(format!(
                    "the draft was stored but its files were not ({e}); attach them on its page"
                ));
            }
        }
        Ok((checked, warning))
    }
}

fn too_large(limits: &Limits) -> String {
    ExtractError::TooLarge {
        what: "the file".to_owned(),
        limit: format!("{} MiB", limits.max_file_bytes / (1024 * 1024)),
    }
    .to_string()
}

impl Library {
    /// The files attached to an item `reader` may read.
    pub fn attachments_of(
        &self,
        reader: &Access,
        id: &crate::domain::ids::ItemId,
    ) -> Result<Vec<crate::store::Attachment>, LibraryError> {
        self.readable_item(reader, id)?;
        Ok(self.store().attachments(id)?)
    }

    /// The files attached to an item the caller has already read (an item page).
    pub fn attachments_of_read_item(
        &self,
        item: &ContentItem,
    ) -> Result<Vec<crate::store::Attachment>, LibraryError> {
        Ok(self.store().attachments(&item.id)?)
    }

    /// One attached file and its bytes, for whoever may read the item (others get the answer
    /// of an unknown item).
    pub fn attachment_file(
        &self,
        reader: &Access,
        id: &crate::domain::ids::ItemId,
        name: &str,
    ) -> Result<(crate::store::Attachment, Vec<u8>), LibraryError> {
        let not_found = || LibraryError::NotFound(format!("{id}/attachments/{name}"));
        let attachment = self
            .attachments_of(reader, id)?
            .into_iter()
            .find(|a| a.name == name)
            .ok_or_else(not_found)?;
        let bytes = self
            .store()
            .attachment_bytes(&attachment.sha256)?
            .ok_or_else(not_found)?;
        Ok((attachment, bytes.to_vec()))
    }

    /// Attaches files to an item, durably; the index adds their text.
    pub fn attach_files(
        &self,
        id: &str,
        files: Vec<NewAttachment>,
        by: &str,
    ) -> Result<Vec<crate::store::Attachment>, LibraryError> {
        let list = self.store().add_attachments(id, files, by)?;
        self.content_changed()?;
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_links_resolve_inside_the_import_and_never_climb_out() {
        assert_eq!(
            join_relative("notes", "assets/a.png").as_deref(),
            Some("notes/assets/a.png")
        );
        assert_eq!(
            join_relative("notes/x", "../a.md").as_deref(),
            Some("notes/a.md")
        );
        assert_eq!(join_relative("", "../a.md"), None);
        assert_eq!(join_relative("a", "./b.md").as_deref(), Some("a/b.md"));
    }

    #[test]
    fn language_follows_the_share_of_han_characters() {
        assert_eq!(guess_lang("客户分级 ABC"), Lang::Zh);
        assert_eq!(guess_lang("A pricing proposal for the renewal"), Lang::En);
        assert_eq!(
            guess_lang("渠道伙伴 onboarding 清单：第三季度要完成的事项"),
            Lang::Zh
        );
        // Two Chinese characters in an English sentence do not make it Chinese.
        assert_eq!(
            guess_lang("渠道 partner onboarding checklist for Q3"),
            Lang::En
        );
    }

    #[test]
    fn names_are_escaped_as_one_path_segment() {
        assert_eq!(path_segment("a b/c.png"), "a%20b%2Fc.png");
        assert_eq!(path_segment("图.png"), "%E5%9B%BE.png");
    }
}
