//! Uploads held between two steps of an import page: a file is sent once, its columns are shown,
//! and the import that follows (with the columns the user mapped) reads the same file again —
//! as do the downloads of its rejected rows. Without this, a page without JavaScript would have
//! to ask for the file twice.
//!
//! Each upload is a directory `uploads/<id>/` in the data directory holding the files and
//! `owner` (the user who sent them): only they may use it. Uploads are not part of the store —
//! nothing in them is acknowledged as saved — and are deleted after [`MAX_AGE`] (at start and
//! whenever a new one is made).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How long an upload is kept.
pub const MAX_AGE: Duration = Duration::from_secs(24 * 3600);

const OWNER_FILE: &str = "owner";

/// The staged uploads of one data directory.
#[derive(Debug, Clone)]
pub struct Staging {
    dir: PathBuf,
}

/// One staged upload: a directory of files that belongs to one user.
#[derive(Debug, Clone)]
pub struct StagedUpload {
    pub id: String,
    pub dir: PathBuf,
}

impl StagedUpload {
    /// The path of a file of this upload, by a name this code chose (never a user's name).
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Staging {
    /// Uses `dir` (created when missing) and deletes uploads older than [`MAX_AGE`].
    pub fn open(dir: &Path) -> std::io::Result<Staging> {
        std::fs::create_dir_all(dir)?;
        let staging = Staging {
            dir: dir.to_owned(),
        };
        staging.sweep();
        Ok(staging)
    }

    /// A new, empty upload owned by `owner`.
    pub fn create(&self, owner: &str) -> std::io::Result<StagedUpload> {
        self.sweep();
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let dir = self.dir.join(&id);
        std::fs::create_dir(&dir)?;
        std::fs::write(dir.join(OWNER_FILE), owner.as_bytes())?;
        Ok(StagedUpload { id, dir })
    }

    /// The upload `id` when it exists, is `owner`'s and is not too old.
    pub fn get(&self, id: &str, owner: &str) -> Option<StagedUpload> {
        let valid = id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit());
        if !valid {
            return None;
        }
        let dir = self.dir.join(id);
        let stored = std::fs::read_to_string(dir.join(OWNER_FILE)).ok()?;
        if stored != owner || expired(&dir) {
            return None;
        }
        Some(StagedUpload {
            id: id.to_owned(),
            dir,
        })
    }

    /// Deletes an upload (after its import).
    pub fn remove(&self, upload: &StagedUpload) {
        if let Err(e) = std::fs::remove_dir_all(&upload.dir) {
            tracing::warn!(error = %e, upload = %upload.id, "could not delete a staged upload");
        }
    }

    fn sweep(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() && expired(&path) {
                let _ = std::fs::remove_dir_all(&path);
            }
        }
    }
}

fn expired(dir: &Path) -> bool {
    std::fs::metadata(dir.join(OWNER_FILE))
        .and_then(|m| m.modified())
        .ok()
        .and_then(|at| SystemTime::now().duration_since(at).ok())
        .is_none_or(|age| age > MAX_AGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_is_its_owners_only_and_ids_cannot_reach_outside() {
        let dir = tempfile::tempdir().unwrap();
        let staging = Staging::open(dir.path()).unwrap();
        let upload = staging.create("zhao.lei").unwrap();
        std::fs::write(upload.file("file"), b"id,name\n").unwrap();
        assert!(staging.get(&upload.id, "zhao.lei").is_some());
        assert!(staging.get(&upload.id, "rep.b").is_none());
        for id in ["../x", "", "zz", &"a".repeat(32)] {
            assert!(staging.get(id, "zhao.lei").is_none(), "{id}");
        }
        staging.remove(&upload);
        assert!(staging.get(&upload.id, "zhao.lei").is_none());
    }
}
