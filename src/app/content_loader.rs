//! The content loader: reads the content directory (Markdown files and the optional
//! `tiers.yaml` / `scenarios.yaml`), parses each file with the domain parser and applies the
//! rules that span files (unique ids, lessons pointing at a course, translations at an original).
//!
//! It only reads. What to do with the result — upsert into the store, keep the last good
//! version of a broken file — is decided by `crate::store::Store::sync_files`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::domain::alerts::{parse_rules, Rules};
use crate::domain::capture::reference_problems;
use crate::domain::content::{parse_content, ContentError, ContentItem};
use crate::domain::synonyms::{SynonymError, Synonyms};
use crate::domain::taxonomy::Taxonomy;

/// What a pass over the content directory found.
#[derive(Debug, Clone)]
pub struct LoadReport {
    pub taxonomy: Taxonomy,
    /// The briefing's alert rules: the directory's `alerts.yaml`, else the built-in ones.
    pub alert_rules: Rules,
    /// The search synonyms: the directory's `synonyms.yaml`, else the built-in ones.
    pub synonyms: Synonyms,
    /// Valid items, in path order.
    pub items: Vec<ContentItem>,
    /// Every problem, in path order.
    pub problems: Vec<ContentError>,
    /// Paths (relative, `/`-separated) of Markdown files that failed: their stored versions stay.
    pub failed_paths: Vec<String>,
}

/// Errors that stop loading altogether (as opposed to problems in single files).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("content directory {0} does not exist or is not a directory: pass --content-dir or set PLAYBOOK_CONTENT_DIR")]
    MissingDir(String),
}

/// How a path is shown in messages: as given on the command line, without a leading `./`.
fn display_path(dir: &Path, relative: &str) -> String {
    let joined = dir.join(relative);
    let shown = joined.to_string_lossy().replace('\\', "/");
    shown.strip_prefix("./").map(str::to_owned).unwrap_or(shown)
}

fn is_hidden(name: &str) -> bool {
    name.starts_with('.') || name.starts_with('_')
}

/// Reads the taxonomy files of `dir`, falling back to the built-in ones; problems in them are
/// reported and the built-in defaults are used.
fn load_taxonomy(dir: &Path, problems: &mut Vec<ContentError>) -> Taxonomy {
    let read = |name: &str, default: &'static str, problems: &mut Vec<ContentError>| -> String {
        let path = dir.join(name);
        if !path.is_file() {
            return default.to_owned();
        }
        match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                problems.push(ContentError {
                    file: display_path(dir, name),
                    field: None,
                    line: None,
                    message: format!("cannot read: {e}; using the built-in {name}"),
                });
                default.to_owned()
            }
        }
    };
    let tiers = read("tiers.yaml", Taxonomy::default_tiers_yaml(), problems);
    let scenarios = read(
        "scenarios.yaml",
        Taxonomy::default_scenarios_yaml(),
        problems,
    );
    match Taxonomy::parse(&tiers, &scenarios) {
        Ok(taxonomy) => taxonomy,
        Err(errors) => {
            for error in errors {
                problems.push(ContentError {
                    file: display_path(dir, error.file),
                    field: Some(error.field.clone()).filter(|f| !f.is_empty()),
                    line: None,
                    message: format!(
                        "{error} (the built-in {} is used until this is fixed)",
                        error.file
                    ),
                });
            }
            Taxonomy::default()
        }
    }
}

/// Reads the data file `name` of `dir` (alert rules, synonyms) with `parse` if there is one;
/// a missing file is `builtin()`, and a broken one is reported, field by field, and replaced by
/// `builtin()` until it is fixed (`what` names it in the message).
fn load_data_file<T, E: std::fmt::Display + HasField>(
    dir: &Path,
    name: &str,
    what: &str,
    parse: impl Fn(&str) -> Result<T, Vec<E>>,
    builtin: impl Fn() -> T,
    problems: &mut Vec<ContentError>,
) -> T {
    let path = dir.join(name);
    if !path.is_file() {
        return builtin();
    }
    let file = display_path(dir, name);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            problems.push(file_problem(
                &file,
                &format!("cannot read: {e}; using the built-in {what}"),
            ));
            return builtin();
        }
    };
    match parse(&text) {
        Ok(value) => value,
        Err(errors) => {
            for error in errors {
                problems.push(ContentError {
                    file: file.clone(),
                    field: Some(error.field().to_owned()).filter(|f| !f.is_empty()),
                    line: None,
                    message: format!("{error} (the built-in {what} are used until this is fixed)"),
                });
            }
            builtin()
        }
    }
}

/// A problem of a data file that names its field.
trait HasField {
    fn field(&self) -> &str;
}

impl HasField for crate::domain::alerts::RuleError {
    fn field(&self) -> &str {
        &self.field
    }
}

impl HasField for SynonymError {
    fn field(&self) -> &str {
        &self.field
    }
}

/// The briefing's alert rules: `alerts.yaml` of `dir`, else the built-in ones.
fn load_alert_rules(dir: &Path, problems: &mut Vec<ContentError>) -> Rules {
    load_data_file(
        dir,
        "alerts.yaml",
        "alert rules",
        parse_rules,
        Rules::builtin,
        problems,
    )
}

/// The search synonyms: `synonyms.yaml` of `dir`, else the built-in ones.
fn load_synonyms(dir: &Path, problems: &mut Vec<ContentError>) -> Synonyms {
    load_data_file(
        dir,
        "synonyms.yaml",
        "synonyms",
        Synonyms::parse,
        Synonyms::builtin,
        problems,
    )
}

/// Lists the Markdown files below `dir`, sorted, as paths relative to `dir`.
fn markdown_files(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut files: Vec<(String, PathBuf)> = WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            entry.depth() == 0 || !is_hidden(&entry.file_name().to_string_lossy())
        })
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy();
            if !(name.ends_with(".md") || name.ends_with(".markdown")) {
                return None;
            }
            let relative = entry.path().strip_prefix(dir).ok()?;
            let relative = relative.to_string_lossy().replace('\\', "/");
            Some((relative, entry.path().to_path_buf()))
        })
        .collect();
    files.sort();
    files
}

/// Bump when parsing or validation changes what a file loads to: a store synced by an older
/// loader then no longer counts as up to date with the directory.
const LOADER_REVISION: u32 = 1;

/// What the file system says about the content directory, without reading any file: every
/// file's relative path, size and modification time (files and folders the loader ignores
/// excluded), hashed with the loader's version. Two equal fingerprints mean that no file was
/// added, removed or rewritten in between, so a store synced from the directory at the first
/// can be served as it is. `None` when the directory or a file's metadata cannot be read (then
/// load the directory).
pub fn fingerprint(dir: &Path) -> Option<String> {
    use sha2::{Digest, Sha256};
    if !dir.is_dir() {
        return None;
    }
    let mut files = Vec::new();
    let walk = WalkDir::new(dir)
        .follow_links(true)
        .into_iter()
        .filter_entry(|entry| {
            entry.depth() == 0 || !is_hidden(&entry.file_name().to_string_lossy())
        });
    for entry in walk {
        let entry = entry.ok()?;
        if !entry.file_type().is_file() {
            continue;
        }
        let metadata = entry.metadata().ok()?;
        let modified = metadata
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?;
        let relative = entry
            .path()
            .strip_prefix(dir)
            .ok()?
            .to_string_lossy()
            .into_owned();
        files.push((relative, metadata.len(), modified.as_nanos()));
    }
    files.sort();
    let mut hash = Sha256::new();
    hash.update(format!("{} {LOADER_REVISION}\n", env!("CARGO_PKG_VERSION")));
    hash.update(
        std::fs::canonicalize(dir)
            .ok()?
            .to_string_lossy()
            .as_bytes(),
    );
    for (relative, size, modified) in &files {
        hash.update(format!("\n{relative}\t{size}\t{modified}"));
    }
    Some(format!("{:x}/{}", hash.finalize(), files.len()))
}

/// The taxonomy, alert rules and synonyms of `dir` alone (the built-in ones where a file is
/// missing or broken; [`load_dir`] reports those problems).
pub fn load_settings(dir: &Path) -> (Taxonomy, Rules, Synonyms) {
    let mut ignored = Vec::new();
    let taxonomy = load_taxonomy(dir, &mut ignored);
    let rules = load_alert_rules(dir, &mut ignored);
    let synonyms = load_synonyms(dir, &mut ignored);
    (taxonomy, rules, synonyms)
}

/// Loads and validates the whole content directory.
pub fn load_dir(dir: &Path) -> Result<LoadReport, LoadError> {
    if !dir.is_dir() {
        return Err(LoadError::MissingDir(dir.display().to_string()));
    }
    let mut problems = Vec::new();
    let taxonomy = load_taxonomy(dir, &mut problems);
    let alert_rules = load_alert_rules(dir, &mut problems);
    let synonyms = load_synonyms(dir, &mut problems);
    let mut items = Vec::new();
    let mut failed_paths = Vec::new();
    for (relative, path) in markdown_files(dir) {
        let shown = display_path(dir, &relative);
        let text = match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(_) => {
                    problems.push(file_problem(
                        &shown,
                        "not UTF-8 text: save the file with UTF-8 encoding",
                    ));
                    failed_paths.push(relative);
                    continue;
                }
            },
            Err(e) => {
                problems.push(file_problem(&shown, &format!("cannot read: {e}")));
                failed_paths.push(relative);
                continue;
            }
        };
        match parse_content(&shown, &relative, &text, &taxonomy) {
            Ok(item) => items.push(item),
            Err(mut errors) => {
                problems.append(&mut errors);
                failed_paths.push(relative);
            }
        }
    }
    check_across_files(dir, &mut items, &mut problems, &mut failed_paths);
    problems.sort_by(|a, b| a.file.cmp(&b.file).then(a.line.cmp(&b.line)));
    Ok(LoadReport {
        taxonomy,
        alert_rules,
        synonyms,
        items,
        problems,
        failed_paths,
    })
}

fn file_problem(file: &str, message: &str) -> ContentError {
    ContentError {
        file: file.to_owned(),
        field: None,
        line: None,
        message: message.to_owned(),
    }
}

/// Rules that need all items: unique ids, lessons name an existing course, translations name an
/// existing original. A failing item is dropped from `items` and its path marked failed.
fn check_across_files(
    dir: &Path,
    items: &mut Vec<ContentItem>,
    problems: &mut Vec<ContentError>,
    failed_paths: &mut Vec<String>,
) {
    let mut first_path_of_id: HashMap<String, String> = HashMap::new();
    let mut rejected = vec![false; items.len()];
    for (index, item) in items.iter().enumerate() {
        if let Some(first) = first_path_of_id.get(&item.id) {
            problems.push(ContentError {
                file: display_path(dir, item.source_path().unwrap_or_default()),
                field: Some("id".into()),
                line: None,
                message: format!(
                    "id: duplicate id {:?}, already used by {}: give one of them another `id:`",
                    item.id,
                    display_path(dir, first)
                ),
            });
            rejected[index] = true;
        } else {
            first_path_of_id.insert(
                item.id.clone(),
                item.source_path().unwrap_or_default().to_owned(),
            );
        }
    }
    let by_id: HashMap<&str, &ContentItem> = items.iter().map(|i| (i.id.as_str(), i)).collect();
    let mut more = Vec::new();
    for (index, item) in items.iter().enumerate() {
        for (field, message) in reference_problems(item, |id| by_id.get(id).map(|i| (*i).clone())) {
            more.push((index, field, format!("{field}: {message}")));
        }
    }
    for (index, field, message) in more {
        problems.push(ContentError {
            file: display_path(dir, items[index].source_path().unwrap_or_default()),
            field: Some(field.into()),
            line: None,
            message,
        });
        rejected[index] = true;
    }
    let mut index = 0;
    items.retain(|item| {
        let keep = !rejected[index];
        index += 1;
        if !keep {
            failed_paths.push(item.source_path().unwrap_or_default().to_owned());
        }
        keep
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, path: &str, text: &str) {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn the_fingerprint_changes_when_a_file_is_added_changed_touched_or_removed() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.md", "---\nkind: case\ntitle: A\n---\n");
        write(dir.path(), "sub/b.md", "---\nkind: case\ntitle: B\n---\n");
        let first = fingerprint(dir.path()).unwrap();
        assert_eq!(fingerprint(dir.path()).unwrap(), first, "stable");

        // What the loader ignores does not count.
        write(dir.path(), "_scratch/draft.md", "anything");
        write(dir.path(), ".git/HEAD", "ref");
        assert_eq!(fingerprint(dir.path()).unwrap(), first);

        let mut seen = vec![first.clone()];
        let mut changed = |what: &str| {
            let now = fingerprint(dir.path()).unwrap();
            assert!(
                !seen.contains(&now),
                "{what} left the fingerprint as it was"
            );
            seen.push(now);
        };
        write(dir.path(), "c.md", "new");
        changed("a new file");
        write(dir.path(), "tiers.yaml", "presets: []");
        changed("a new taxonomy file");
        write(
            dir.path(),
            "a.md",
            "---\nkind: case\ntitle: A, longer\n---\n",
        );
        changed("a rewritten file");
        let b = std::fs::File::options()
            .write(true)
            .open(dir.path().join("sub/b.md"))
            .unwrap();
        b.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(86_400))
            .unwrap();
        changed("a touched file");
        std::fs::remove_file(dir.path().join("c.md")).unwrap();
        changed("a removed file");
        assert!(fingerprint(&dir.path().join("missing")).is_none());
    }

    #[test]
    fn duplicate_ids_name_both_files_and_keep_the_first() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "a.md",
            "---\nid: x\nkind: playbook\ntitle: A\n---\n",
        );
        write(
            dir.path(),
            "b.md",
            "---\nid: x\nkind: playbook\ntitle: B\n---\n",
        );
        let report = load_dir(dir.path()).unwrap();
        assert_eq!(report.items.len(), 1);
        assert_eq!(report.items[0].title, "A");
        assert_eq!(report.failed_paths, ["b.md"]);
        assert!(report.problems[0].message.contains("a.md"));
    }

    #[test]
    fn hidden_and_underscored_files_are_skipped_and_taxonomy_files_override() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), ".git/x.md", "junk");
        write(dir.path(), "_drafts/x.md", "junk");
        write(
            dir.path(),
            "scenarios.yaml",
            "scenarios:\n  - {id: demo-day, zh: 演示日, en: Demo day}\n",
        );
        write(
            dir.path(),
            "p.md",
            "---\nkind: playbook\ntitle: P\nscenarios: [demo-day]\n---\n",
        );
        let report = load_dir(dir.path()).unwrap();
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert_eq!(report.items.len(), 1);
        assert_eq!(report.taxonomy.scenarios.len(), 1);
    }

    #[test]
    fn a_lesson_of_an_unknown_course_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "l.md",
            "---\nkind: lesson\ntitle: L\ncourse: nope\norder: 1\n---\n",
        );
        let report = load_dir(dir.path()).unwrap();
        assert!(report.items.is_empty());
        assert_eq!(report.problems[0].field.as_deref(), Some("course"));
    }

    #[test]
    fn a_file_that_is_not_utf8_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("gbk.md"), [0xb0, 0xa1, 0xff]).unwrap();
        let report = load_dir(dir.path()).unwrap();
        assert!(report.problems[0].message.contains("UTF-8"));
        assert_eq!(report.failed_paths, ["gbk.md"]);
    }
}
