//! Runtime configuration: one struct, every field documented, defaults visible.
//!
//! Each field is settable by a command-line flag or by an environment variable with the
//! `PLAYBOOK_` prefix (see `crate::cli`); flags win over the environment.

use std::path::PathBuf;

/// Prefix of every environment variable Playbook reads.
pub const ENV_PREFIX: &str = "PLAYBOOK_";

pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./data";
pub const DEFAULT_CONTENT_DIR: &str = "./playbooks";
/// Default largest body of `POST /api/v1/accounts/import`, in MiB.
pub const DEFAULT_MAX_IMPORT_MB: usize = 200;

#[derive(Debug, Clone)]
pub struct Config {
    /// Address the HTTP server binds (`PLAYBOOK_ADDR`, default `127.0.0.1:8080`).
    /// Port 0 asks the OS for a free port; `Application::port` tells which.
    pub addr: String,
    /// Directory of the sled store and the search index (`PLAYBOOK_DATA_DIR`, default `./data`).
    pub data_dir: PathBuf,
    /// Directory of the Markdown content and the optional `tiers.yaml` / `scenarios.yaml`
    /// (`PLAYBOOK_CONTENT_DIR`, default `./playbooks`).
    pub content_dir: PathBuf,
    /// HTTP worker threads; 0 means one per CPU core.
    pub workers: usize,
    /// Load the demo accounts on start when the account store is empty (`PLAYBOOK_DEMO`,
    /// default off). Existing accounts are never overwritten.
    pub demo: bool,
    /// Largest CSV body accepted by `POST /api/v1/accounts/import`, in bytes
    /// (`PLAYBOOK_MAX_IMPORT_MB`, default 200 MiB). Larger files: `playbook import accounts`.
    pub max_import_bytes: usize,
    /// Session lifetimes (`PLAYBOOK_SESSION_IDLE_MINUTES`, default 480;
    /// `PLAYBOOK_SESSION_MAX_HOURS`, default 168).
    pub session: crate::auth::AuthSettings,
    /// Where `POST /api/v1/backup` writes backups, each in a new subdirectory
    /// (`PLAYBOOK_BACKUP_DIR`; `None`: `DATA_DIR/backups`). The API never writes elsewhere.
    pub backup_dir: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: DEFAULT_ADDR.to_owned(),
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            content_dir: PathBuf::from(DEFAULT_CONTENT_DIR),
            workers: 0,
            demo: false,
            max_import_bytes: DEFAULT_MAX_IMPORT_MB * 1024 * 1024,
            session: crate::auth::AuthSettings::default(),
            backup_dir: None,
        }
    }
}

impl Config {
    /// A configuration for tests: a free port on loopback, the given directories, one worker,
    /// no demo accounts.
    pub fn for_tests(data_dir: impl Into<PathBuf>, content_dir: impl Into<PathBuf>) -> Config {
        Config {
            addr: "127.0.0.1:0".to_owned(),
            data_dir: data_dir.into(),
            content_dir: content_dir.into(),
            workers: 1,
            demo: false,
            max_import_bytes: DEFAULT_MAX_IMPORT_MB * 1024 * 1024,
            session: crate::auth::AuthSettings::default(),
            backup_dir: None,
        }
    }

    /// Where the server writes backups: `backup_dir`, else `DATA_DIR/backups`.
    pub fn backup_dir(&self) -> PathBuf {
        self.backup_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("backups"))
    }

    /// Where sled keeps its files, below the data directory.
    pub fn store_dir(&self) -> PathBuf {
        self.data_dir.join("store")
    }

    /// Where the search index lives, below the data directory. Derived data: deleting it is
    /// safe, it is rebuilt from the store at the next start.
    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }
}
