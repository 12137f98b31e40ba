//! Backups of the store: a consistent copy while the server runs, and restoring one.
//!
//! A backup is a directory holding two files:
//!
//! - `store.pbk`: every tree of the store, record by record, in a simple framed format
//!   (below), written while [`Store::backup_to`] holds the store's write gate exclusively — no
//!   write can be half-done in it: every method that writes records belonging together takes
//!   the gate shared. The copy is therefore a state the store was in at one instant, the same
//!   kind of state a crash at that instant would leave (e.g. accounts imported whose tiers are
//!   not recorded yet: the next start recomputes them, as after a crash).
//! - `manifest.json`: format version, time, playbook version, store layout version, the
//!   data file's size and SHA-256, and the number of records per tree. It is written last
//!   (to a temporary name, synced, renamed): a directory without it is no backup.
//!
//! Left out: the search-index outbox (the index is rebuilt from the content after a restore)
//! and sessions (everyone signs in again). Search misses are renumbered on restore, in order, so
//! later misses sort after them.
//!
//! `store.pbk`: the magic line `PLAYBOOK-BACKUP\n`, the format version (u32 LE), then frames:
//! `T` name-length (u32 LE) name — the records that follow belong to this tree; `E` key-length
//! (u32 LE) key value-length (u64 LE) value — one record; `Z` record-count (u64 LE) — the end.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{
    now_rfc3339, Store, StoreError, OUTBOX_TREE, SCHEMA_VERSION, SCHEMA_VERSION_KEY,
    SEARCH_MISSES_TREE, SESSIONS_TREE,
};

/// Version of the backup format this build writes and the newest it reads.
pub const BACKUP_FORMAT: u32 = 1;
/// The data file of a backup directory.
pub const DATA_FILE: &str = "store.pbk";
/// The manifest of a backup directory, written last.
pub const MANIFEST_FILE: &str = "manifest.json";

const MAGIC: &[u8] = b"PLAYBOOK-BACKUP\n";
/// Trees not copied: the outbox (search-index bookkeeping) and sessions.
const SKIPPED_TREES: [&str; 3] = [OUTBOX_TREE, SESSIONS_TREE, super::THROTTLE_TREE];
/// Records inserted per sled batch when restoring.
const RESTORE_BATCH: usize = 1_000;

/// What a backup holds; `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Manifest {
    /// [`BACKUP_FORMAT`] of the writer.
    pub format: u32,
    /// RFC 3339 (UTC), when the copy was taken.
    pub created_at: String,
    pub playbook_version: String,
    /// The store layout version (`SCHEMA_VERSION`) of the copied store.
    pub schema_version: u32,
    /// Name of the data file in the backup directory.
    pub file: String,
    pub bytes: u64,
    /// Hex SHA-256 of the data file.
    pub sha256: String,
    /// Records per tree.
    pub trees: BTreeMap<String, u64>,
    /// Records in all.
    pub records: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The directory holds no usable backup (no manifest, wrong checksum, too new, damaged).
    #[error("{0}")]
    Invalid(String),
    /// The target directory exists and is not empty; nothing was written.
    #[error("{0} is not empty")]
    NotEmpty(String),
}

impl From<sled::Error> for BackupError {
    fn from(e: sled::Error) -> BackupError {
        BackupError::Store(StoreError::Sled(e))
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// True if `dir` does not exist or is an empty directory.
pub fn is_missing_or_empty(dir: &Path) -> std::io::Result<bool> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e),
    }
}

/// A writer that hashes and counts what passes through it.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sync_dir(dir: &Path) -> Result<(), BackupError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error(dir))
}

impl Store {
    /// Copies the whole store into `dir` (created; it must not exist or be empty) and returns
    /// the manifest. Writers wait while the trees are copied; readers do not.
    pub fn backup_to(&self, dir: &Path) -> Result<Manifest, BackupError> {
        if !is_missing_or_empty(dir).map_err(io_error(dir))? {
            return Err(BackupError::NotEmpty(dir.display().to_string()));
        }
        std::fs::create_dir_all(dir).map_err(io_error(dir))?;
        let data_path = dir.join(DATA_FILE);
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(&data_path)
            .map_err(io_error(&data_path))?;
        let mut out = Hashing {
            inner: BufWriter::with_capacity(1 << 20, file),
            hash: Sha256::new(),
            bytes: 0,
        };
        let mut trees = BTreeMap::new();
        let mut records = 0u64;
        let schema_version;
        {
            let _all = self.gate.write().unwrap_or_else(|e| e.into_inner());
            schema_version = self
                .meta
                .get(SCHEMA_VERSION_KEY)?
                .and_then(|v| String::from_utf8_lossy(&v).parse().ok())
                .unwrap_or(SCHEMA_VERSION);
            let write = |out: &mut Hashing<_>, frame: &[&[u8]]| -> std::io::Result<()> {
                for part in frame {
                    out.write_all(part)?;
                }
                Ok(())
            };
            write(&mut out, &[MAGIC, &BACKUP_FORMAT.to_le_bytes()])
                .map_err(io_error(&data_path))?;
            for tree_name in self.kv.tree_names()? {
                if SKIPPED_TREES.contains(&tree_name.as_str()) {
                    continue;
                }
                let tree = self.kv.open_tree(&tree_name)?;
                let name = tree_name.as_bytes();
                write(&mut out, &[b"T", &(name.len() as u32).to_le_bytes(), name])
                    .map_err(io_error(&data_path))?;
                let mut count = 0u64;
                for entry in tree.iter() {
                    let (key, value) = entry?;
                    write(
                        &mut out,
                        &[
                            b"E",
                            &(key.len() as u32).to_le_bytes(),
                            &key,
                            &(value.len() as u64).to_le_bytes(),
                            &value,
                        ],
                    )
                    .map_err(io_error(&data_path))?;
                    count += 1;
                }
                records += count;
                trees.insert(tree_name, count);
            }
        }
        out.write_all(b"Z")
            .and_then(|_| out.write_all(&records.to_le_bytes()))
            .map_err(io_error(&data_path))?;
        let Hashing { inner, hash, bytes } = out;
        let file = inner
            .into_inner()
            .map_err(|e| io_error(&data_path)(e.into_error()))?;
        file.sync_all().map_err(io_error(&data_path))?;
        let manifest = Manifest {
            format: BACKUP_FORMAT,
            created_at: now_rfc3339(),
            playbook_version: env!("CARGO_PKG_VERSION").to_owned(),
            schema_version,
            file: DATA_FILE.to_owned(),
            bytes,
            sha256: hex(&hash.finalize()),
            trees,
            records,
        };
        write_manifest(dir, &manifest)?;
        Ok(manifest)
    }
}

/// One subdirectory of a backup directory, as [`list_backups`] finds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BackupEntry {
    /// The subdirectory's name (`backup-YYYYMMDDTHHMMSSZ` for the ones the server writes).
    pub name: String,
    /// Its full path on the server, for `playbook restore`.
    pub dir: String,
    /// What it holds; absent when it is no usable backup (see `problem`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<Manifest>,
    /// Why it is no usable backup: no manifest (an interrupted backup has none), a manifest
    /// that does not parse, or one newer than this build reads. The data file is not checked
    /// here (that reads it whole); `playbook restore` checks it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// The backups in `root`, newest first (by the manifest's time, else by name; the names the
/// server gives sort by time). Every subdirectory is listed, a broken one with its problem;
/// files beside them are ignored. A `root` that does not exist holds no backups.
pub fn list_backups(root: &Path) -> Result<Vec<BackupEntry>, BackupError> {
    let entries = match std::fs::read_dir(root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error(root)(e)),
    };
    let mut backups = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_error(root))?;
        if !entry.file_type().map_err(io_error(root))?.is_dir() {
            continue;
        }
        let dir = entry.path();
        let (manifest, problem) = match read_manifest(&dir) {
            Ok(manifest) => (Some(manifest), None),
            Err(e) => (None, Some(e.to_string())),
        };
        backups.push(BackupEntry {
            name: entry.file_name().to_string_lossy().into_owned(),
            dir: dir.display().to_string(),
            manifest,
            problem,
        });
    }
    // RFC 3339 times in UTC sort as text.
    backups.sort_by(|a, b| {
        let time = |e: &BackupEntry| e.manifest.as_ref().map(|m| m.created_at.clone());
        time(b).cmp(&time(a)).then_with(|| b.name.cmp(&a.name))
    });
    Ok(backups)
}

/// Creates `root/backup-YYYYMMDDTHHMMSSZ` (with `-2`, `-3`, … when taken), never reusing a
/// directory that exists; returns its name and path.
pub fn new_backup_dir(root: &Path) -> Result<(String, PathBuf), BackupError> {
    std::fs::create_dir_all(root).map_err(io_error(root))?;
    let stamp = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .map_err(|e| BackupError::Invalid(format!("formatting the time: {e}")))?;
    for n in 1..1000 {
        let name = match n {
            1 => format!("backup-{stamp}"),
            n => format!("backup-{stamp}-{n}"),
        };
        let dir = root.join(&name);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok((name, dir)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_error(&dir)(e)),
        }
    }
    Err(BackupError::Invalid(format!(
        "too many backups in one second in {}",
        root.display()
    )))
}

impl Store {
    /// A backup in a new subdirectory of `root` (see [`new_backup_dir`]), as the running
    /// server's backup endpoint and page make it: the subdirectory's name, path and manifest.
    pub fn backup_into(&self, root: &Path) -> Result<(String, PathBuf, Manifest), BackupError> {
        let (name, dir) = new_backup_dir(root)?;
        let manifest = self.backup_to(&dir)?;
        Ok((name, dir, manifest))
    }
}

fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<(), BackupError> {
    let temp = dir.join(format!("{MANIFEST_FILE}.tmp"));
    let json = serde_json::to_vec_pretty(manifest)
        .map_err(|e| BackupError::Invalid(format!("cannot write the manifest: {e}")))?;
    let mut file = File::create(&temp).map_err(io_error(&temp))?;
    file.write_all(&json)
        .and_then(|_| file.sync_all())
        .map_err(io_error(&temp))?;
    let path = dir.join(MANIFEST_FILE);
    std::fs::rename(&temp, &path).map_err(io_error(&path))?;
    sync_dir(dir)
}

/// Fails with [`StoreError::Open`] when another process (a running server) holds the store in
/// `dir`; waits briefly for one that is closing. Opens sled only, changing nothing.
pub fn ensure_unused(dir: &Path) -> Result<(), StoreError> {
    let db = super::kv::open_sled_with_retry(dir).map_err(|source| StoreError::Open {
        path: dir.display().to_string(),
        source,
    })?;
    drop(db);
    Ok(())
}

/// Reads and checks the manifest of the backup in `dir` (not the data file).
pub fn read_manifest(dir: &Path) -> Result<Manifest, BackupError> {
    let path = dir.join(MANIFEST_FILE);
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(BackupError::Invalid(format!(
                "{} is not a playbook backup: it has no {MANIFEST_FILE} (an interrupted backup has none)",
                dir.display()
            )))
        }
        Err(e) => return Err(io_error(&path)(e)),
    };
    let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| {
        BackupError::Invalid(format!("{}: not a backup manifest: {e}", path.display()))
    })?;
    if manifest.format > BACKUP_FORMAT {
        return Err(BackupError::Invalid(format!(
            "{}: backup format {} is newer than this build reads ({BACKUP_FORMAT}); upgrade playbook",
            path.display(),
            manifest.format
        )));
    }
    if manifest.schema_version > SCHEMA_VERSION {
        return Err(BackupError::Invalid(format!(
            "{}: the backed-up store has layout version {}, newer than this build understands ({SCHEMA_VERSION}); upgrade playbook",
            path.display(),
            manifest.schema_version
        )));
    }
    Ok(manifest)
}

/// Checks the data file against the manifest's size and SHA-256.
fn verify_data(dir: &Path, manifest: &Manifest) -> Result<PathBuf, BackupError> {
    let path = dir.join(&manifest.file);
    let mut file = BufReader::new(File::open(&path).map_err(io_error(&path))?);
    let mut hash = Sha256::new();
    let mut bytes = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(io_error(&path))?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
        bytes += n as u64;
    }
    if bytes != manifest.bytes || hex(&hash.finalize()) != manifest.sha256 {
        return Err(BackupError::Invalid(format!(
            "{}: the data file does not match its manifest (size or SHA-256): the backup is damaged",
            path.display()
        )));
    }
    Ok(path)
}

/// Restores the backup in `backup_dir` into `store_dir`, which must not exist or be empty
/// (moving an existing store aside is the caller's decision). The store is built in a sibling
/// directory `<store_dir>.restoring`, checked by opening it (an older layout is upgraded), and
/// only then renamed into place: an interrupted restore leaves no half store behind.
pub fn restore(backup_dir: &Path, store_dir: &Path) -> Result<Manifest, BackupError> {
    let manifest = read_manifest(backup_dir)?;
    let data_path = verify_data(backup_dir, &manifest)?;
    if !is_missing_or_empty(store_dir).map_err(io_error(store_dir))? {
        return Err(BackupError::NotEmpty(store_dir.display().to_string()));
    }
    let mut building = store_dir.as_os_str().to_owned();
    building.push(".restoring");
    let building = PathBuf::from(building);
    if building.exists() {
        // Left by an interrupted restore: never a store anyone used.
        std::fs::remove_dir_all(&building).map_err(io_error(&building))?;
    }
    let counts = {
        let db = sled::Config::new()
            .path(&building)
            .open()
            .map_err(StoreError::Sled)?;
        let counts = load_frames(&db, &data_path)?;
        db.flush().map_err(StoreError::Sled)?;
        counts
    };
    if counts != manifest.trees {
        return Err(BackupError::Invalid(format!(
            "{}: the records per tree differ from the manifest: the backup is damaged",
            data_path.display()
        )));
    }
    // Opening checks the layout version and upgrades an older one; the flush inside makes the
    // restored store durable before it is renamed into place.
    let store = Store::open(&building)?;
    store.flush()?;
    drop(store);
    if let Some(parent) = store_dir.parent() {
        std::fs::create_dir_all(parent).map_err(io_error(parent))?;
    }
    if store_dir.exists() {
        std::fs::remove_dir(store_dir).map_err(io_error(store_dir))?;
    }
    std::fs::rename(&building, store_dir).map_err(io_error(store_dir))?;
    if let Some(parent) = store_dir.parent() {
        sync_dir(parent)?;
    }
    Ok(manifest)
}

/// Reads `store.pbk` into `db`; returns the records per tree.
fn load_frames(db: &sled::Db, path: &Path) -> Result<BTreeMap<String, u64>, BackupError> {
    let damaged = |what: &str| {
        BackupError::Invalid(format!("{}: {what}: the backup is damaged", path.display()))
    };
    let mut input = BufReader::with_capacity(1 << 20, File::open(path).map_err(io_error(path))?);
    let mut read = |n: usize| -> Result<Vec<u8>, BackupError> {
        let mut buf = vec![0u8; n];
        input.read_exact(&mut buf).map_err(io_error(path))?;
        Ok(buf)
    };
    if read(MAGIC.len())? != MAGIC {
        return Err(damaged("not a playbook backup file"));
    }
    let format = u32::from_le_bytes(read(4)?.try_into().unwrap_or_default());
    if format == 0 || format > BACKUP_FORMAT {
        return Err(damaged("unknown format version"));
    }
    let mut counts = BTreeMap::new();
    let mut tree: Option<(String, sled::Tree)> = None;
    let mut batch = sled::Batch::default();
    let mut pending = 0usize;
    let mut total = 0u64;
    let apply = |tree: &Option<(String, sled::Tree)>,
                 batch: &mut sled::Batch,
                 pending: &mut usize|
     -> Result<(), BackupError> {
        if let Some((_, t)) = tree {
            if *pending > 0 {
                t.apply_batch(std::mem::take(batch))
                    .map_err(StoreError::Sled)?;
            }
        }
        *pending = 0;
        Ok(())
    };
    loop {
        let tag = read(1)?[0];
        match tag {
            b'T' => {
                apply(&tree, &mut batch, &mut pending)?;
                let len = u32::from_le_bytes(read(4)?.try_into().unwrap_or_default()) as usize;
                let name = read(len)?;
                let text = String::from_utf8_lossy(&name).into_owned();
                if SKIPPED_TREES.contains(&text.as_str()) {
                    return Err(damaged("a tree that is never backed up"));
                }
                counts.insert(text.clone(), 0);
                tree = Some((text, db.open_tree(&name).map_err(StoreError::Sled)?));
            }
            b'E' => {
                let Some((name, _)) = &tree else {
                    return Err(damaged("a record before any tree"));
                };
                let klen = u32::from_le_bytes(read(4)?.try_into().unwrap_or_default()) as usize;
                let mut key = read(klen)?;
                let vlen = u64::from_le_bytes(read(8)?.try_into().unwrap_or_default());
                let vlen = usize::try_from(vlen).map_err(|_| damaged("a record too large"))?;
                let value = read(vlen)?;
                if name == SEARCH_MISSES_TREE {
                    // Renumbered: this store's id generator starts afresh.
                    key = db
                        .generate_id()
                        .map_err(StoreError::Sled)?
                        .to_be_bytes()
                        .to_vec();
                }
                batch.insert(key, value);
                pending += 1;
                total += 1;
                *counts.entry(name.clone()).or_insert(0) += 1;
                if pending >= RESTORE_BATCH {
                    apply(&tree, &mut batch, &mut pending)?;
                }
            }
            b'Z' => {
                apply(&tree, &mut batch, &mut pending)?;
                let expected = u64::from_le_bytes(read(8)?.try_into().unwrap_or_default());
                if expected != total {
                    return Err(damaged("the record count at the end does not match"));
                }
                return Ok(counts);
            }
            _ => return Err(damaged("an unknown frame")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::content::parse_content;
    use crate::domain::taxonomy::Taxonomy;

    fn item(id: &str) -> crate::domain::content::ContentItem {
        let text = format!("---\nid: {id}\nkind: playbook\ntitle: T {id}\n---\nbody\n");
        parse_content("a.md", "a.md", &text, &Taxonomy::default()).unwrap()
    }

    #[test]
    fn a_backup_restores_every_tree_but_the_outbox_and_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store")).unwrap();
        store.put_content(&item("a")).unwrap();
        store.put_content(&item("b")).unwrap();
        store.record_search_miss("nothing here").unwrap();
        store
            .put_session(
                b"h",
                &super::super::SessionRecord {
                    user: "ann".into(),
                    created_at: 1,
                    last_seen: 1,
                    csrf: "c".into(),
                },
            )
            .unwrap();
        let backup = dir.path().join("backup");
        let manifest = store.backup_to(&backup).unwrap();
        assert_eq!(manifest.trees["content"], 2);
        assert!(!manifest.trees.contains_key(OUTBOX_TREE));
        assert!(!manifest.trees.contains_key(SESSIONS_TREE));
        assert!(matches!(
            store.backup_to(&backup),
            Err(BackupError::NotEmpty(_))
        ));

        let target = dir.path().join("restored/store");
        let restored = restore(&backup, &target).unwrap();
        assert_eq!(restored, manifest);
        let copy = Store::open(&target).unwrap();
        assert_eq!(copy.list_content().unwrap(), store.list_content().unwrap());
        assert_eq!(copy.outbox_head().unwrap(), 0);
        assert_eq!(copy.get_session(b"h").unwrap(), None);
        assert_eq!(copy.recent_search_misses(10).unwrap().len(), 1);
        assert!(!dir.path().join("restored/store.restoring").exists());
    }

    #[test]
    fn a_damaged_or_missing_backup_is_refused_and_leaves_no_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store")).unwrap();
        store.put_content(&item("a")).unwrap();
        let backup = dir.path().join("backup");
        store.backup_to(&backup).unwrap();
        let data = backup.join(DATA_FILE);
        let mut bytes = std::fs::read(&data).unwrap();
        let last = bytes.len() - 12;
        bytes[last] ^= 1;
        std::fs::write(&data, bytes).unwrap();
        let target = dir.path().join("restored");
        let err = restore(&backup, &target).unwrap_err().to_string();
        assert!(err.contains("damaged"), "{err}");
        assert!(!target.exists());
        let err = restore(dir.path(), &target).unwrap_err().to_string();
        assert!(err.contains("not a playbook backup"), "{err}");
    }

    #[test]
    fn a_backup_taken_during_imports_holds_whole_imports_only() {
        use crate::domain::account::{Account, Indicators};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store")).unwrap();
        const BATCH: usize = 5_000; // spans several chunks of 2,048
        let writer = {
            let store = store.clone();
            std::thread::spawn(move || {
                for b in 0..8 {
                    let accounts: Vec<Account> = (0..BATCH)
                        .map(|i| Account {
                            // Interleaved ids: every batch touches every chunk.
                            id: format!("{i:05}-{b}").into(),
                            name: format!("n{b}").into(),
                            aliases: Vec::new(),
                            industry: None,
                            region: None,
                            owner: None,
                            indicators: Indicators::default(),
                        })
                        .collect();
                    store.upsert_accounts(&accounts).unwrap();
                }
            })
        };
        let mut n = 0;
        while !writer.is_finished() || n == 0 {
            let backup = dir.path().join(format!("backup-{n}"));
            store.backup_to(&backup).unwrap();
            let target = dir.path().join(format!("restored-{n}"));
            restore(&backup, &target).unwrap();
            let copy = Store::open(&target).unwrap();
            let count = copy.count_accounts().unwrap();
            assert_eq!(count % BATCH, 0, "backup {n} holds {count} accounts");
            n += 1;
        }
        writer.join().unwrap();
    }

    #[test]
    fn backups_are_listed_newest_first_with_broken_ones_named() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store")).unwrap();
        store.put_content(&item("a")).unwrap();
        let root = dir.path().join("backups");
        assert_eq!(list_backups(&root).unwrap(), Vec::new(), "no directory yet");
        let (first, _, _) = store.backup_into(&root).unwrap();
        store.put_content(&item("b")).unwrap();
        // Two backups never share a directory, even within one second.
        let (second, second_dir, second_manifest) = store.backup_into(&root).unwrap();
        assert_ne!(first, second);
        assert!(first.starts_with("backup-"), "{first}");
        std::fs::create_dir(root.join("interrupted")).unwrap();
        std::fs::write(root.join("notes.txt"), "not a backup").unwrap();

        let listed = list_backups(&root).unwrap();
        let names: Vec<&str> = listed.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, [second.as_str(), first.as_str(), "interrupted"]);
        assert_eq!(listed[0].manifest.as_ref().unwrap().trees["content"], 2);
        assert_eq!(listed[1].manifest.as_ref().unwrap().trees["content"], 1);
        assert_eq!(listed[0].manifest.as_ref(), Some(&second_manifest));
        assert_eq!(listed[0].dir, second_dir.display().to_string());
        let broken = &listed[2];
        assert!(broken.manifest.is_none());
        assert!(
            broken
                .problem
                .as_deref()
                .unwrap()
                .contains("no manifest.json"),
            "{broken:?}"
        );
    }
}
