//! The sled backend: one process, one directory.

use std::path::Path;
use std::sync::Arc;

use sled::transaction::{ConflictableTransactionError, Transactional};

use super::durable::DiskSync;
use super::{TransactionError, Tree, TreeBackend, Tx, TxBackend, TxError, TxOpError};
use crate::store::StoreError;

/// sled's page cache. Its default (1 GiB) made a server's memory grow with everything it ever
/// read; accounts and the catalog are held in memory anyway, so the cache serves content pages,
/// versions and users, for which this is plenty. sled holds about half as much again while
/// the account chunks are read at start (213 MB at 128 MiB, heaptrack, 1M accounts).
const SLED_CACHE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Clone)]
pub struct SledDb {
    pub(super) db: sled::Db,
    /// Makes flushes reach the disk (see [`super::durable`]).
    disk: Arc<DiskSync>,
    /// Held by every transaction from start to commit: ids drawn inside transactions are
    /// committed in order (sled alone would let a later id commit first, and the indexer,
    /// following the outbox by sequence number, skip the earlier one).
    order: Arc<std::sync::Mutex<()>>,
}

impl SledDb {
    pub(super) fn open(dir: &Path) -> Result<SledDb, StoreError> {
        let db = open_with_retry(dir).map_err(|source| StoreError::Open {
            path: dir.display().to_string(),
            source,
        })?;
        Ok(SledDb {
            db,
            disk: Arc::new(DiskSync::new(dir)),
            order: Arc::new(std::sync::Mutex::new(())),
        })
    }

    /// sled's flush (its log written and, on Linux, `sync_file_range`d), then an `fsync` of the
    /// log file and of any new blob files (sled writes values over ~128 KiB, such as account
    /// chunks, to files of their own without syncing them). See [`super::durable`].
    pub(super) fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        self.disk
            .sync()
            .map_err(|e| StoreError::Sled(sled::Error::Io(e)))?;
        Ok(())
    }
}

pub(super) fn transaction<T, A>(
    db: &SledDb,
    trees: &[&Tree],
    f: impl Fn(&Tx<'_>) -> Result<T, TxError<A>>,
) -> Result<T, TransactionError<A>> {
    let names: Vec<&str> = trees.iter().map(|t| &*t.name).collect();
    let sled_trees: Vec<&sled::Tree> = trees
        .iter()
        .map(|t| match &t.backend {
            TreeBackend::Sled(tree) => tree,
            TreeBackend::Postgres(_) => unreachable!("a PostgreSQL tree in a sled transaction"),
        })
        .collect();
    let _in_order = db.order.lock().unwrap_or_else(|e| e.into_inner());
    let result = sled_trees.as_slice().transaction(|views| {
        let tx = Tx {
            backend: TxBackend::Sled {
                names: &names,
                views,
            },
        };
        f(&tx).map_err(|e| match e {
            TxError::Abort(reason) => ConflictableTransactionError::Abort(reason),
            TxError::Op(TxOpError::Sled(e)) => e.into(),
            TxError::Op(TxOpError::Postgres(_)) => unreachable!("a PostgreSQL error from sled"),
        })
    });
    result.map_err(|e| match e {
        sled::transaction::TransactionError::Abort(reason) => TransactionError::Abort(reason),
        sled::transaction::TransactionError::Storage(e) => {
            TransactionError::Storage(StoreError::Sled(e))
        }
    })
}

/// Opens sled, waiting up to two seconds for its file lock: a store closed a moment ago (a
/// restart, a test reopening its data directory) may still hold it briefly. A store held by a
/// running server still fails after the wait, with the lock error.
pub(crate) fn open_with_retry(dir: &Path) -> Result<sled::Db, sled::Error> {
    let mut attempts = 0;
    loop {
        match sled::Config::new()
            .path(dir)
            .cache_capacity(SLED_CACHE_BYTES)
            .open()
        {
            Err(sled::Error::Io(e)) if is_lock_contention(&e) && attempts < 40 => {
                attempts += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

/// sled reports a held file lock as `ErrorKind::Other` with the message "could not acquire lock
/// on …" (sled 0.34, `config.rs`), wrapping the `WouldBlock` from `flock`; a previous handle in
/// this process releases it when its flusher thread has stopped, a moment after the drop.
pub(crate) fn is_lock_contention(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::WouldBlock
        || (e.kind() == std::io::ErrorKind::Other
            && e.to_string().starts_with("could not acquire lock"))
}
