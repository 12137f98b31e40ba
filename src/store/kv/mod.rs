//! The storage interface under the store: ordered key-value trees with atomic batches and
//! multi-tree transactions, implemented twice — by sled (the embedded default, one process) and by
//! PostgreSQL (one database shared by many nodes).
//!
//! Everything above this module (`Store`'s methods, the codecs, the upgrade steps, backups,
//! `playbook migrate`) is written once against [`Kv`] and [`Tree`]; only the two backends differ.
//! The cut sits here, at ordered keys and bytes, because that is all the store asks of a
//! database: the value layouts (JSON of domain types, binary account chunks) and the rules that
//! tie records together (item + version + outbox + catalog in one transaction) stay in one place
//! and behave the same on both.
//!
//! Guarantees both backends give:
//! - keys are ordered bytewise; ranges, prefixes and reverse iteration follow that order;
//! - [`Tree::apply_batch`] and [`Kv::transaction`] are atomic; a transaction that conflicts with
//!   another is run again (its closure must not have other effects);
//! - after [`Kv::flush`] returns, every write before it survives a crash (sled: its log synced;
//!   PostgreSQL: each write is a committed transaction, so `flush` has nothing to do);
//! - [`Tx::generate_id`] numbers increase in commit order (PostgreSQL takes a transaction-scoped
//!   lock for it), so a reader following the outbox by sequence number never skips an entry
//!   committed after a higher one.

mod durable;
mod postgres;
mod sled_kv;

use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

pub use postgres::create_database;
pub use sled::IVec;
pub(crate) use sled_kv::open_with_retry as open_sled_with_retry;

use super::StoreError;

/// One database: sled in a directory, or a PostgreSQL pool.
#[derive(Clone)]
pub enum Kv {
    Sled(sled_kv::SledDb),
    Postgres(Arc<postgres::Pg>),
}

/// A named tree (sled's tree; PostgreSQL's rows of table `kv` with that `tree`).
#[derive(Clone)]
pub struct Tree {
    name: Arc<str>,
    backend: TreeBackend,
}

#[derive(Clone)]
enum TreeBackend {
    Sled(sled::Tree),
    Postgres(Arc<postgres::Pg>),
}

/// Writes applied atomically by [`Tree::apply_batch`] or inside a transaction.
#[derive(Debug, Default, Clone)]
pub struct Batch {
    ops: Vec<(IVec, Option<IVec>)>,
}

impl Batch {
    pub fn insert(&mut self, key: impl Into<IVec>, value: impl Into<IVec>) {
        self.ops.push((key.into(), Some(value.into())));
    }

    pub fn remove(&mut self, key: impl Into<IVec>) {
        self.ops.push((key.into(), None));
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    fn into_sled(self) -> sled::Batch {
        let mut batch = sled::Batch::default();
        for (key, value) in self.ops {
            match value {
                Some(value) => batch.insert(key, value),
                None => batch.remove(key),
            }
        }
        batch
    }
}

/// What a transaction's closure returns on failure: its own reason to give up (`Abort`), or a
/// failed read or write (which may mean "run again" for a conflict).
#[derive(Debug)]
pub enum TxError<A> {
    Abort(A),
    Op(TxOpError),
}

/// A failed read or write inside a transaction. Returned by [`Tx`]'s methods; `?` turns it into
/// a [`TxError`].
#[derive(Debug)]
pub enum TxOpError {
    Sled(sled::transaction::UnabortableTransactionError),
    Postgres(postgres::PgError),
}

impl<A> From<TxOpError> for TxError<A> {
    fn from(e: TxOpError) -> TxError<A> {
        TxError::Op(e)
    }
}

/// How a transaction ended when it did not commit.
#[derive(Debug)]
pub enum TransactionError<A> {
    /// The closure gave up with this reason; nothing was written.
    Abort(A),
    /// The database failed; nothing was written.
    Storage(StoreError),
}

/// Reads and writes inside [`Kv::transaction`]; each names the tree it works on, which must be
/// one of the trees the transaction was opened with.
pub struct Tx<'a> {
    backend: TxBackend<'a>,
}

enum TxBackend<'a> {
    Sled {
        names: &'a [&'a str],
        views: &'a [sled::transaction::TransactionalTree],
    },
    Postgres(postgres::PgTx<'a>),
}

impl Tx<'_> {
    fn sled_view(&self, tree: &Tree) -> &sled::transaction::TransactionalTree {
        let TxBackend::Sled { names, views } = &self.backend else {
            unreachable!("a sled view of a PostgreSQL transaction");
        };
        let at = names
            .iter()
            .position(|n| *n == &*tree.name)
            .unwrap_or_else(|| panic!("tree {} is not part of this transaction", tree.name));
        &views[at]
    }

    pub fn get(&self, tree: &Tree, key: impl AsRef<[u8]>) -> Result<Option<IVec>, TxOpError> {
        match &self.backend {
            TxBackend::Sled { .. } => self.sled_view(tree).get(key).map_err(TxOpError::Sled),
            TxBackend::Postgres(tx) => tx.get(&tree.name, key.as_ref()),
        }
    }

    pub fn insert(
        &self,
        tree: &Tree,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
    ) -> Result<(), TxOpError> {
        match &self.backend {
            TxBackend::Sled { .. } => self
                .sled_view(tree)
                .insert(key.as_ref(), value.as_ref())
                .map(drop)
                .map_err(TxOpError::Sled),
            TxBackend::Postgres(tx) => tx.put(&tree.name, key.as_ref(), Some(value.as_ref())),
        }
    }

    pub fn remove(&self, tree: &Tree, key: impl AsRef<[u8]>) -> Result<(), TxOpError> {
        match &self.backend {
            TxBackend::Sled { .. } => self
                .sled_view(tree)
                .remove(key.as_ref())
                .map(drop)
                .map_err(TxOpError::Sled),
            TxBackend::Postgres(tx) => tx.put(&tree.name, key.as_ref(), None),
        }
    }

    pub fn apply_batch(&self, tree: &Tree, batch: &Batch) -> Result<(), TxOpError> {
        match &self.backend {
            TxBackend::Sled { .. } => self
                .sled_view(tree)
                .apply_batch(&batch.clone().into_sled())
                .map_err(TxOpError::Sled),
            TxBackend::Postgres(tx) => {
                for (key, value) in &batch.ops {
                    tx.put(&tree.name, key, value.as_deref())?;
                }
                Ok(())
            }
        }
    }

    /// Tells the nodes following a shared store, once this commits, that something changed
    /// (PostgreSQL `NOTIFY`; nothing on sled, which one process owns).
    pub fn announce(&self) -> Result<(), TxOpError> {
        match &self.backend {
            TxBackend::Sled { .. } => Ok(()),
            TxBackend::Postgres(tx) => tx.announce(),
        }
    }

    /// A sequence number, increasing in the order transactions commit.
    pub fn generate_id(&self) -> Result<u64, TxOpError> {
        match &self.backend {
            TxBackend::Sled { views, .. } => views[0].generate_id().map_err(|e| {
                TxOpError::Sled(sled::transaction::UnabortableTransactionError::Storage(e))
            }),
            TxBackend::Postgres(tx) => tx.generate_id(),
        }
    }
}

/// The locks nodes on one store share (advisory lock keys on PostgreSQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i64)]
pub enum LockKey {
    /// The account book's writer: imports, model changes, overrides and their recomputes.
    AccountsWriter = 0x504c_424b_0000_0010,
    /// The first of the import slots (`+ 0`, `+ 1`, …).
    ImportSlots = 0x504c_424b_0000_0100,
}

/// A held [`Kv::lock`] or [`Kv::try_slot`].
pub struct KvLock(#[allow(dead_code)] Option<postgres::PgLock>);

/// Which store a process opens: sled in a data directory or a PostgreSQL database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    Sled(std::path::PathBuf),
    Postgres(String),
}

impl StoreLocation {
    /// `postgres://…` or `postgresql://…` is a database; anything else a directory.
    pub fn parse(text: &str) -> StoreLocation {
        if is_postgres_url(text) {
            StoreLocation::Postgres(text.to_owned())
        } else {
            StoreLocation::Sled(text.into())
        }
    }

    /// For messages: the directory, or the database URL without its password.
    pub fn describe(&self) -> String {
        match self {
            StoreLocation::Sled(dir) => dir.display().to_string(),
            StoreLocation::Postgres(url) => postgres::redact(url),
        }
    }
}

pub fn is_postgres_url(text: &str) -> bool {
    text.starts_with("postgres://") || text.starts_with("postgresql://")
}

impl Kv {
    pub fn open(location: &StoreLocation) -> Result<Kv, StoreError> {
        match location {
            StoreLocation::Sled(dir) => Ok(Kv::Sled(sled_kv::SledDb::open(dir)?)),
            StoreLocation::Postgres(url) => Ok(Kv::Postgres(Arc::new(postgres::Pg::connect(url)?))),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Kv::Postgres(_))
    }

    pub fn open_tree(&self, name: &str) -> Result<Tree, StoreError> {
        let backend = match self {
            Kv::Sled(db) => TreeBackend::Sled(db.db.open_tree(name)?),
            Kv::Postgres(pg) => TreeBackend::Postgres(pg.clone()),
        };
        Ok(Tree {
            name: name.into(),
            backend,
        })
    }

    /// The names of the trees: sled's every tree ever opened (its default tree too), PostgreSQL's
    /// every tree holding at least one record.
    pub fn tree_names(&self) -> Result<Vec<String>, StoreError> {
        match self {
            Kv::Sled(db) => Ok(db
                .db
                .tree_names()
                .into_iter()
                .map(|n| String::from_utf8_lossy(&n).into_owned())
                .collect()),
            Kv::Postgres(pg) => pg.tree_names(),
        }
    }

    /// Removes a tree and everything in it (layout upgrades).
    pub fn drop_tree(&self, name: &str) -> Result<(), StoreError> {
        match self {
            Kv::Sled(db) => {
                db.db.drop_tree(name)?;
                Ok(())
            }
            Kv::Postgres(pg) => pg.clear(name),
        }
    }

    /// A number never handed out before (not ordered with commits; see [`Tx::generate_id`]).
    pub fn generate_id(&self) -> Result<u64, StoreError> {
        match self {
            Kv::Sled(db) => Ok(db.db.generate_id()?),
            Kv::Postgres(pg) => pg.generate_id(),
        }
    }

    /// Waits up to `timeout` for a change another node announced after the `seen`-th one;
    /// returns the number of announcements so far (pass it back as `seen`). On sled, which one
    /// process owns, it only waits.
    pub fn wait_for_change(&self, seen: u64, timeout: std::time::Duration) -> u64 {
        match self {
            Kv::Sled(_) => {
                std::thread::sleep(timeout);
                seen
            }
            Kv::Postgres(pg) => pg.wait_for_change(seen, timeout),
        }
    }

    /// Holds a lock shared by every node on the store until the guard is dropped: on sled
    /// nothing (one process; callers keep their own mutex), on PostgreSQL an advisory lock.
    pub fn lock(&self, key: LockKey) -> Result<KvLock, StoreError> {
        match self {
            Kv::Sled(_) => Ok(KvLock(None)),
            Kv::Postgres(pg) => Ok(KvLock(Some(pg.lock(key as i64)?))),
        }
    }

    /// One of `slots` places shared by every node (`None`: all taken), held until the guard is
    /// dropped; on sled always one (the caller's own limit applies).
    pub fn try_slot(&self, slots: usize) -> Result<Option<KvLock>, StoreError> {
        let Kv::Postgres(pg) = self else {
            return Ok(Some(KvLock(None)));
        };
        for slot in 0..slots as i64 {
            if let Some(lock) = pg.try_lock(LockKey::ImportSlots as i64 + slot)? {
                return Ok(Some(KvLock(Some(lock))));
            }
        }
        Ok(None)
    }

    /// Moves the id counter so the next id is above `at_least` (a store copied from another).
    pub fn advance_ids(&self, at_least: u64) -> Result<(), StoreError> {
        match self {
            Kv::Sled(db) => {
                // sled has no setter; its counter is an in-memory increment, persisted now and
                // then, so counting up is cheap.
                while db.db.generate_id()? < at_least {}
                Ok(())
            }
            Kv::Postgres(pg) => pg.advance_ids(at_least),
        }
    }

    /// Makes every write so far survive a crash (see the module docs).
    pub fn flush(&self) -> Result<(), StoreError> {
        match self {
            Kv::Sled(db) => db.flush(),
            Kv::Postgres(_) => Ok(()),
        }
    }

    /// Runs `f` atomically over `trees`: all its writes or none. `f` may run more than once
    /// (after a conflict), so it must only read and write through `tx`.
    pub fn transaction<T, A>(
        &self,
        trees: &[&Tree],
        f: impl Fn(&Tx<'_>) -> Result<T, TxError<A>>,
    ) -> Result<T, TransactionError<A>> {
        match self {
            Kv::Sled(db) => sled_kv::transaction(db, trees, f),
            Kv::Postgres(pg) => pg.transaction(f),
        }
    }
}

impl Tree {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<IVec>, StoreError> {
        match &self.backend {
            TreeBackend::Sled(t) => Ok(t.get(key)?),
            TreeBackend::Postgres(pg) => pg.get(&self.name, key.as_ref()),
        }
    }

    pub fn contains_key(&self, key: impl AsRef<[u8]>) -> Result<bool, StoreError> {
        Ok(self.get(key)?.is_some())
    }

    pub fn insert(&self, key: impl AsRef<[u8]>, value: impl Into<IVec>) -> Result<(), StoreError> {
        match &self.backend {
            TreeBackend::Sled(t) => {
                t.insert(key.as_ref(), value.into())?;
                Ok(())
            }
            TreeBackend::Postgres(pg) => pg.put(&self.name, key.as_ref(), Some(&value.into())),
        }
    }

    /// Removes a record, returning what it held.
    pub fn remove(&self, key: impl AsRef<[u8]>) -> Result<Option<IVec>, StoreError> {
        match &self.backend {
            TreeBackend::Sled(t) => Ok(t.remove(key.as_ref())?),
            TreeBackend::Postgres(pg) => pg.remove(&self.name, key.as_ref()),
        }
    }

    /// Every record, in key order (reversible).
    pub fn iter(&self) -> Iter {
        self.range::<&[u8], _>(..)
    }

    pub fn range<K: AsRef<[u8]>, R: RangeBounds<K>>(&self, range: R) -> Iter {
        let owned = |b: Bound<&K>| match b {
            Bound::Included(k) => Bound::Included(k.as_ref().to_vec()),
            Bound::Excluded(k) => Bound::Excluded(k.as_ref().to_vec()),
            Bound::Unbounded => Bound::Unbounded,
        };
        let (start, end) = (owned(range.start_bound()), owned(range.end_bound()));
        match &self.backend {
            TreeBackend::Sled(t) => Iter::Sled(t.range::<Vec<u8>, _>((start, end))),
            TreeBackend::Postgres(pg) => Iter::Postgres(pg.iter(self.name.clone(), start, end)),
        }
    }

    /// The records whose keys start with `prefix`, in key order.
    pub fn scan_prefix(&self, prefix: impl AsRef<[u8]>) -> Iter {
        let prefix = prefix.as_ref().to_vec();
        match prefix_end(&prefix) {
            Some(end) => self.range(prefix..end),
            None => self.range(prefix..),
        }
    }

    pub fn first(&self) -> Result<Option<(IVec, IVec)>, StoreError> {
        self.iter().next().transpose()
    }

    pub fn last(&self) -> Result<Option<(IVec, IVec)>, StoreError> {
        self.iter().next_back().transpose()
    }

    /// Applies every write of `batch` atomically.
    pub fn apply_batch(&self, batch: Batch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        match &self.backend {
            TreeBackend::Sled(t) => Ok(t.apply_batch(batch.into_sled())?),
            TreeBackend::Postgres(pg) => pg.apply_batch(&self.name, &batch.ops),
        }
    }

    /// Writes `new` (or removes, with `None`) only if the record now holds `old` (`None`:
    /// absent). `false` when it did not.
    pub fn compare_and_swap(
        &self,
        key: impl AsRef<[u8]>,
        old: Option<&[u8]>,
        new: Option<Vec<u8>>,
    ) -> Result<bool, StoreError> {
        match &self.backend {
            TreeBackend::Sled(t) => Ok(t.compare_and_swap(key, old, new)?.is_ok()),
            TreeBackend::Postgres(_) => {
                let kv = self.kv();
                let swapped = kv.transaction(&[self], |tx| {
                    let current = tx.get(self, key.as_ref())?;
                    if current.as_deref() != old {
                        return Ok(false);
                    }
                    match &new {
                        Some(value) => tx.insert(self, key.as_ref(), value)?,
                        None => tx.remove(self, key.as_ref())?,
                    }
                    Ok::<bool, TxError<()>>(true)
                });
                transaction_result(swapped)
            }
        }
    }

    /// Replaces the record with `f(current)` atomically (`None` removes it).
    pub fn fetch_and_update(
        &self,
        key: impl AsRef<[u8]>,
        f: impl Fn(Option<&[u8]>) -> Option<Vec<u8>>,
    ) -> Result<(), StoreError> {
        match &self.backend {
            TreeBackend::Sled(t) => {
                t.fetch_and_update(key, &f)?;
                Ok(())
            }
            TreeBackend::Postgres(_) => {
                let kv = self.kv();
                let updated = kv.transaction(&[self], |tx| {
                    let current = tx.get(self, key.as_ref())?;
                    match f(current.as_deref()) {
                        Some(value) => tx.insert(self, key.as_ref(), value)?,
                        None => tx.remove(self, key.as_ref())?,
                    }
                    Ok::<(), TxError<()>>(())
                });
                transaction_result(updated)
            }
        }
    }

    /// Removes every record.
    pub fn clear(&self) -> Result<(), StoreError> {
        match &self.backend {
            TreeBackend::Sled(t) => Ok(t.clear()?),
            TreeBackend::Postgres(pg) => pg.clear(&self.name),
        }
    }

    fn kv(&self) -> Kv {
        match &self.backend {
            TreeBackend::Sled(_) => unreachable!("only PostgreSQL trees build transactions here"),
            TreeBackend::Postgres(pg) => Kv::Postgres(pg.clone()),
        }
    }
}

/// The result of a transaction whose closure never aborts.
pub fn transaction_result<T>(result: Result<T, TransactionError<()>>) -> Result<T, StoreError> {
    match result {
        Ok(value) => Ok(value),
        Err(TransactionError::Storage(e)) => Err(e),
        Err(TransactionError::Abort(())) => Err(StoreError::Database(
            "a transaction was given up unexpectedly".into(),
        )),
    }
}

/// The first key after every key starting with `prefix`; `None` when there is none (the
/// prefix is empty or all 0xff).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Records of a range, in key order from the front or from the back.
pub enum Iter {
    Sled(sled::Iter),
    Postgres(postgres::PgIter),
}

impl Iter {
    /// The keys only.
    pub fn keys(self) -> impl DoubleEndedIterator<Item = Result<IVec, StoreError>> {
        self.map(|entry| entry.map(|(key, _)| key))
    }
}

impl Iterator for Iter {
    type Item = Result<(IVec, IVec), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Sled(it) => it.next().map(|r| r.map_err(StoreError::from)),
            Iter::Postgres(it) => it.next(),
        }
    }
}

impl DoubleEndedIterator for Iter {
    fn next_back(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Sled(it) => it.next_back().map(|r| r.map_err(StoreError::from)),
            Iter::Postgres(it) => it.next_back(),
        }
    }
}

#[cfg(test)]
mod tests;
