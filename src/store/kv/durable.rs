//! Making sled's flush reach the disk.
//!
//! sled 0.34's `Db::flush` writes its log and then, on Linux, calls `sync_file_range` on the
//! written range (it calls `fsync` only on other systems). That survives a crash of the
//! process, since the kernel has the pages, but `sync_file_range` neither flushes the drive's
//! write cache nor writes the file's metadata, so it does not promise anything across a power
//! loss. Values larger than a quarter of a log segment (~128 KiB: account chunks, for one) go to
//! files of their own under `blobs/`, written with no sync at all.
//!
//! [`DiskSync::sync`], called by `Store::flush` after sled's flush, closes both gaps: it
//! `fsync`s the log file, every blob file it has not synced before, and the blob directory
//! (for the new names). Only then is a write acknowledged.

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub(super) struct DiskSync {
    /// sled's log file, `STORE/db`.
    log: PathBuf,
    /// sled's directory of large values, `STORE/blobs`.
    blobs: PathBuf,
    /// Blob files already synced (sled never rewrites one in place: a new value is a new file).
    synced: Mutex<HashSet<std::ffi::OsString>>,
}

impl DiskSync {
    pub(super) fn new(store_dir: &Path) -> DiskSync {
        DiskSync {
            log: store_dir.join("db"),
            blobs: store_dir.join("blobs"),
            synced: Mutex::new(HashSet::new()),
        }
    }

    pub(super) fn sync(&self) -> std::io::Result<()> {
        // One syncer at a time: the set of synced blobs is updated after the syncs succeed.
        let mut synced = self.synced.lock().unwrap_or_else(|e| e.into_inner());
        File::open(&self.log)?.sync_all()?;
        let entries = match std::fs::read_dir(&self.blobs) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let mut present = HashSet::new();
        let mut new_blobs = false;
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            if !synced.contains(&name) {
                match File::open(entry.path()) {
                    Ok(file) => file.sync_all()?,
                    // Removed by sled's garbage collection since the listing: nothing to keep.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                }
                new_blobs = true;
            }
            present.insert(name);
        }
        if new_blobs {
            File::open(&self.blobs)?.sync_all()?;
        }
        // Forget blobs sled has deleted, so the set stays as small as the directory.
        *synced = present;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syncs_the_log_and_new_blobs_and_forgets_deleted_ones() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("db"), b"log").unwrap();
        let disk = DiskSync::new(dir.path());
        disk.sync().unwrap(); // no blob directory yet
        std::fs::create_dir(dir.path().join("blobs")).unwrap();
        std::fs::write(dir.path().join("blobs/1"), b"a").unwrap();
        std::fs::write(dir.path().join("blobs/2"), b"b").unwrap();
        disk.sync().unwrap();
        assert_eq!(disk.synced.lock().unwrap().len(), 2);
        std::fs::remove_file(dir.path().join("blobs/1")).unwrap();
        disk.sync().unwrap();
        assert_eq!(disk.synced.lock().unwrap().len(), 1);
    }
}
