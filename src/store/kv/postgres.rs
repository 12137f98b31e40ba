//! The PostgreSQL backend: many nodes, one database.
//!
//! Every tree is the rows of one table, `kv (tree, key, value)`, keyed by `(tree, key)`; `bytea`
//! compares bytewise, so ranges and prefixes follow the same order as sled's. Sequence numbers
//! come from the sequence `playbook_ids`. Every write is a committed transaction (serializable,
//! run again after a serialization failure or a deadlock), so a write acknowledged after `Ok` is
//! in the database whatever happens to the node.
//!
//! The store's methods are synchronous and may be called from any thread, including the web
//! server's async workers. The driver (tokio-postgres, pooled by deadpool-postgres) is async:
//! its connections run on a small runtime owned by [`Pg`], and a call waits for its answer with
//! `futures_executor::block_on`, which, unlike a tokio runtime's `block_on`, may be used inside
//! another runtime's thread.
//!
//! The table layout is versioned by `playbook_schema`: [`MIGRATIONS`] are applied at start
//! under an advisory lock (two nodes starting together migrate once), and a database migrated by
//! a newer build is refused.

use std::collections::VecDeque;
use std::ops::Bound;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use futures_executor::block_on;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::NoTls;

use super::{IVec, TransactionError, Tx, TxBackend, TxError, TxOpError};
use crate::store::StoreError;

/// The table layout this build writes. Bump it with a new entry in [`MIGRATIONS`].
const PG_SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

/// Step `n` (1-based) brings a database from layout `n - 1` to `n`. Never edit a released step.
const MIGRATIONS: &[&str] = &[
    // 1: every tree in one table; sequence numbers.
    "CREATE TABLE kv (
         tree text COLLATE \"C\" NOT NULL,
         key bytea NOT NULL,
         value bytea NOT NULL,
         PRIMARY KEY (tree, key)
     );
     CREATE SEQUENCE playbook_ids;",
];

/// Advisory lock keys (`pg_advisory_xact_lock`): distinct from any other application's by the
/// high bytes ("PLBK").
const MIGRATION_LOCK: i64 = 0x504c_424b_0000_0001;
/// Held from [`Tx::generate_id`] to commit: ids drawn in transactions are committed in order.
const SEQUENCE_LOCK: i64 = 0x504c_424b_0000_0002;

/// The channel on which a commit that drew a sequence number (an outbox entry) notifies.
const OUTBOX_CHANNEL: &str = "playbook_outbox";

/// Records fetched per round trip when iterating: the first page holds one (`first`, `last`,
/// the chunk before a key want no more), each next one twice as many, up to this.
const PAGE: i64 = 256;
/// Times a transaction is run after a serialization failure or a deadlock before giving up.
const RETRIES: usize = 30;

/// Connections per node (the listening connection comes on top).
const POOL_SIZE: usize = 16;
/// How long to wait for a connection: to connect, or for a free one in the pool.
const TIMEOUT: Duration = Duration::from_secs(5);

/// A failed PostgreSQL call.
#[derive(Debug)]
pub struct PgError {
    message: String,
    /// The database could not be reached (connection refused or lost, pool timeout).
    unreachable: bool,
    /// A serialization failure or a deadlock: the transaction may be run again.
    retry: bool,
}

impl PgError {
    fn from_db(e: tokio_postgres::Error) -> PgError {
        let code = e.code();
        let retry = code == Some(&SqlState::T_R_SERIALIZATION_FAILURE)
            || code == Some(&SqlState::T_R_DEADLOCK_DETECTED);
        // No SQL state: the connection failed (closed, I/O), not the statement.
        let unreachable = code.is_none()
            || code.is_some_and(|c| {
                c.code().starts_with("08")
                    || c == &SqlState::ADMIN_SHUTDOWN
                    || c == &SqlState::CRASH_SHUTDOWN
                    || c == &SqlState::CANNOT_CONNECT_NOW
            });
        let message = match e.as_db_error() {
            Some(db) => format!("{}: {}", db.code().code(), db.message()),
            None => e.to_string(),
        };
        PgError {
            message,
            unreachable,
            retry,
        }
    }

    fn into_store(self) -> StoreError {
        if self.unreachable {
            StoreError::Unavailable(self.message)
        } else {
            StoreError::Database(self.message)
        }
    }
}

impl From<PgError> for StoreError {
    fn from(e: PgError) -> StoreError {
        e.into_store()
    }
}

pub struct Pg {
    /// Runs the connections; `None` only while dropping.
    runtime: Option<tokio::runtime::Runtime>,
    pool: Pool,
    /// The URL without its password, for messages.
    describe: String,
    /// For the listening connection, which lives outside the pool.
    config: tokio_postgres::Config,
    /// Notifications on [`OUTBOX_CHANNEL`] counted by the listener (started by the first
    /// [`Pg::wait_for_change`]).
    changes: Arc<Changes>,
    listening: std::sync::Once,
}

/// A counter of notifications, and a condition to wait for the next one.
#[derive(Default)]
struct Changes {
    count: std::sync::Mutex<u64>,
    bumped: std::sync::Condvar,
}

impl Changes {
    fn bump(&self) {
        let mut count = self.count.lock().unwrap_or_else(|e| e.into_inner());
        *count += 1;
        self.bumped.notify_all();
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // A runtime may not be dropped inside another one's thread; this may be.
            runtime.shutdown_background();
        }
    }
}

/// The URL with its password replaced by `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

impl Pg {
    /// Connects, applies the migrations this build knows, and refuses a newer layout.
    pub fn connect(url: &str) -> Result<Pg, StoreError> {
        let describe = redact(url);
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| {
            StoreError::Database(format!("{describe} is not a PostgreSQL URL: {e}"))
        })?;
        config.connect_timeout(TIMEOUT);
        config.application_name("playbook");
        // A connection silently cut (no reset) is noticed in about a minute, not two hours.
        config.keepalives_idle(Duration::from_secs(30));
        // Not "relation already exists, skipping" at every start.
        config.options("-c client_min_messages=warning");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("playbook-pg")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Database(format!("cannot start the database runtime: {e}")))?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(TIMEOUT))
            .create_timeout(Some(TIMEOUT))
            .recycle_timeout(Some(TIMEOUT))
            .build()
            .map_err(|e| StoreError::Database(format!("cannot set up the pool: {e}")))?;
        let pg = Pg {
            runtime: Some(runtime),
            pool,
            describe,
            config,
            changes: Arc::default(),
            listening: std::sync::Once::new(),
        };
        pg.migrate()?;
        Ok(pg)
    }

    fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime.as_ref().expect("runtime present until drop")
    }

    /// Runs `future` to completion on the calling thread, inside this backend's runtime context
    /// (new connections and timers register with it; its threads drive them).
    ///
    /// `unconstrained`: the calling thread may be a tokio worker in the middle of a task; tokio
    /// counts that task's operations and, once its budget is spent, parks further ones until the
    /// task yields to its scheduler — which it never does while it waits here. Unbudgeted, the
    /// driver's futures always proceed.
    fn wait<F: std::future::Future>(&self, future: F) -> F::Output {
        let _context = self.runtime().enter();
        block_on(tokio::task::unconstrained(future))
    }

    fn client(&self) -> Result<deadpool_postgres::Object, PgError> {
        self.wait(self.pool.get()).map_err(|e| match e {
            // The server answered: its state decides (starting up, shutting down: unreachable;
            // a wrong password or database name: a failure to fix).
            deadpool_postgres::PoolError::Backend(e) => {
                let mut error = PgError::from_db(e);
                error.message = format!("{}: {}", self.describe, error.message);
                error
            }
            // No connection in time, or none could be made.
            other => PgError {
                message: format!("{}: {other}", self.describe),
                unreachable: true,
                retry: false,
            },
        })
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.client()?;
        self.wait(async {
            let tx = client.transaction().await?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
                .await?;
            tx.batch_execute(
                "CREATE TABLE IF NOT EXISTS playbook_schema (version integer NOT NULL)",
            )
            .await?;
            let found: Option<i32> = tx
                .query_one("SELECT max(version) FROM playbook_schema", &[])
                .await?
                .get(0);
            let found = found.unwrap_or(0);
            if found > PG_SCHEMA_VERSION {
                return Ok(Err(StoreError::TooNew {
                    path: self.describe.clone(),
                    found: found as u32,
                }));
            }
            for (step, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
                tx.batch_execute(sql).await?;
                let version = step as i32 + 1;
                tx.execute(
                    "INSERT INTO playbook_schema (version) VALUES ($1)",
                    &[&version],
                )
                .await?;
                tracing::info!(
                    "{}: database layout migrated to version {version}",
                    self.describe
                );
            }
            tx.commit().await?;
            Ok::<_, tokio_postgres::Error>(Ok(()))
        })
        .map_err(|e| PgError::from_db(e).into_store())?
    }

    /// Waits until a change is announced on [`OUTBOX_CHANNEL`] after the `seen`-th (or
    /// `timeout` passes); returns the count of announcements so far. The first call starts a
    /// listening connection, which reconnects by itself after losing the database and then
    /// counts one announcement (changes may have been missed meanwhile).
    pub fn wait_for_change(&self, seen: u64, timeout: Duration) -> u64 {
        self.listening.call_once(|| self.spawn_listener());
        let count = self.changes.count.lock().unwrap_or_else(|e| e.into_inner());
        let (count, _) = self
            .changes
            .bumped
            .wait_timeout_while(count, timeout, |count| *count == seen)
            .unwrap_or_else(|e| e.into_inner());
        *count
    }

    fn spawn_listener(&self) {
        let config = self.config.clone();
        let changes = self.changes.clone();
        let describe = self.describe.clone();
        self.runtime().spawn(async move {
            use futures_util::StreamExt;
            let mut lost = false;
            loop {
                match config.connect(NoTls).await {
                    Ok((client, mut connection)) => {
                        let counter = changes.clone();
                        let mut messages =
                            futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                        let driver = tokio::spawn(async move {
                            while let Some(Ok(message)) = messages.next().await {
                                if let tokio_postgres::AsyncMessage::Notification(_) = message {
                                    counter.bump();
                                }
                            }
                        });
                        let listen = format!("LISTEN {OUTBOX_CHANNEL}");
                        if client.batch_execute(&listen).await.is_ok() {
                            if lost {
                                tracing::info!("{describe}: listening for changes again");
                            }
                            changes.bump();
                            let _ = driver.await;
                            tracing::warn!("{describe}: lost the connection listening for changes; reconnecting");
                        }
                    }
                    Err(e) => {
                        if !lost {
                            tracing::warn!("{describe}: cannot listen for changes ({e}); retrying");
                        }
                    }
                }
                lost = true;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
    }

    /// Holds `pg_advisory_lock(key)` on a connection of its own until the guard is dropped
    /// (or the node dies: the database then ends the session and the lock with it).
    pub fn lock(self: &Arc<Pg>, key: i64) -> Result<PgLock, StoreError> {
        let client = self.client()?;
        self.wait(client.execute("SELECT pg_advisory_lock($1)", &[&key]))
            .map_err(PgError::from_db)?;
        Ok(PgLock {
            pg: self.clone(),
            client: Some(client),
            key,
        })
    }

    /// Takes `pg_advisory_lock(key)` if no session holds it; `None` when one does.
    pub fn try_lock(self: &Arc<Pg>, key: i64) -> Result<Option<PgLock>, StoreError> {
        let client = self.client()?;
        let row = self
            .wait(client.query_one("SELECT pg_try_advisory_lock($1)", &[&key]))
            .map_err(PgError::from_db)?;
        Ok(row.get::<_, bool>(0).then(|| PgLock {
            pg: self.clone(),
            client: Some(client),
            key,
        }))
    }

    pub fn advance_ids(&self, at_least: u64) -> Result<(), StoreError> {
        let client = self.client()?;
        let at_least = i64::try_from(at_least).unwrap_or(i64::MAX);
        self.wait(client.execute(
            "SELECT setval('playbook_ids', GREATEST($1, (SELECT last_value FROM playbook_ids)))",
            &[&at_least],
        ))
        .map_err(PgError::from_db)?;
        Ok(())
    }

    pub fn tree_names(&self) -> Result<Vec<String>, StoreError> {
        let client = self.client()?;
        let rows = self
            .wait(client.query("SELECT DISTINCT tree FROM kv ORDER BY tree", &[]))
            .map_err(PgError::from_db)?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    pub fn generate_id(&self) -> Result<u64, StoreError> {
        let client = self.client()?;
        let row = self
            .wait(client.query_one("SELECT nextval('playbook_ids')", &[]))
            .map_err(PgError::from_db)?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    pub fn get(&self, tree: &str, key: &[u8]) -> Result<Option<IVec>, StoreError> {
        self.value_of(
            "SELECT value FROM kv WHERE tree = $1 AND key = $2",
            tree,
            key,
        )
    }

    /// Runs `sql` (parameters: tree, key; answering at most one `value`) on a pooled connection.
    fn value_of(&self, sql: &str, tree: &str, key: &[u8]) -> Result<Option<IVec>, StoreError> {
        let client = self.client()?;
        let row = self
            .wait(async {
                let statement = client.prepare_cached(sql).await?;
                client.query_opt(&statement, &[&tree, &key]).await
            })
            .map_err(PgError::from_db)?;
        Ok(row.map(|row| IVec::from(row.get::<_, &[u8]>(0))))
    }

    /// Writes (`Some`) or removes (`None`) one record in its own transaction.
    pub fn put(&self, tree: &str, key: &[u8], value: Option<&[u8]>) -> Result<(), StoreError> {
        let client = self.client()?;
        self.wait(put(&client, tree, key, value))
            .map_err(PgError::from_db)?;
        Ok(())
    }

    pub fn remove(&self, tree: &str, key: &[u8]) -> Result<Option<IVec>, StoreError> {
        self.value_of(
            "DELETE FROM kv WHERE tree = $1 AND key = $2 RETURNING value",
            tree,
            key,
        )
    }

    pub fn clear(&self, tree: &str) -> Result<(), StoreError> {
        let client = self.client()?;
        self.wait(client.execute("DELETE FROM kv WHERE tree = $1", &[&tree]))
            .map_err(PgError::from_db)?;
        Ok(())
    }

    pub fn apply_batch(&self, tree: &str, ops: &[(IVec, Option<IVec>)]) -> Result<(), StoreError> {
        let result = self.transaction(|tx| {
            let TxBackend::Postgres(pg) = &tx.backend else {
                unreachable!()
            };
            for (key, value) in ops {
                pg.put(tree, key, value.as_deref())?;
            }
            Ok::<(), TxError<()>>(())
        });
        super::transaction_result(result)
    }

    pub fn iter(self: &Arc<Pg>, tree: Arc<str>, lo: Bound<Vec<u8>>, hi: Bound<Vec<u8>>) -> PgIter {
        PgIter {
            pg: self.clone(),
            tree,
            lo,
            hi,
            front: VecDeque::new(),
            back: VecDeque::new(),
            page: 1,
            failed: false,
        }
    }

    /// Up to `limit` records of `tree` within `(lo, hi)`, ascending or descending.
    fn page(
        &self,
        tree: &str,
        lo: &Bound<Vec<u8>>,
        hi: &Bound<Vec<u8>>,
        descending: bool,
        limit: i64,
    ) -> Result<Vec<(IVec, IVec)>, StoreError> {
        let mut sql = String::from("SELECT key, value FROM kv WHERE tree = $1");
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&tree];
        for (bound, inclusive, exclusive) in [(lo, ">=", ">"), (hi, "<=", "<")] {
            let (key, op) = match bound {
                Bound::Included(key) => (key, inclusive),
                Bound::Excluded(key) => (key, exclusive),
                Bound::Unbounded => continue,
            };
            params.push(key);
            sql.push_str(&format!(" AND key {op} ${}", params.len()));
        }
        sql.push_str(if descending {
            " ORDER BY key DESC LIMIT $"
        } else {
            " ORDER BY key LIMIT $"
        });
        params.push(&limit);
        sql.push_str(&params.len().to_string());
        let client = self.client()?;
        let rows = self
            .wait(async {
                let statement = client.prepare_cached(&sql).await?;
                client.query(&statement, &params).await
            })
            .map_err(PgError::from_db)?;
        Ok(rows
            .iter()
            .map(|row| {
                (
                    IVec::from(row.get::<_, &[u8]>(0)),
                    IVec::from(row.get::<_, &[u8]>(1)),
                )
            })
            .collect())
    }

    /// Runs `f` in a serializable transaction, again after a serialization failure or a
    /// deadlock (up to [`RETRIES`] times, with a short growing pause).
    pub fn transaction<T, A>(
        &self,
        f: impl Fn(&Tx<'_>) -> Result<T, TxError<A>>,
    ) -> Result<T, TransactionError<A>> {
        let storage = |e: PgError| TransactionError::Storage(e.into_store());
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut client = self.client().map_err(storage)?;
            let tx = self
                .wait(
                    client
                        .build_transaction()
                        .isolation_level(tokio_postgres::IsolationLevel::Serializable)
                        .start(),
                )
                .map_err(|e| storage(PgError::from_db(e)))?;
            let outcome = f(&Tx {
                backend: TxBackend::Postgres(PgTx { pg: self, tx: &tx }),
            });
            let error = match outcome {
                Ok(value) => match self.wait(tx.commit()) {
                    Ok(()) => return Ok(value),
                    Err(e) => PgError::from_db(e),
                },
                Err(TxError::Abort(reason)) => {
                    let _ = self.wait(tx.rollback());
                    return Err(TransactionError::Abort(reason));
                }
                Err(TxError::Op(TxOpError::Postgres(e))) => {
                    let _ = self.wait(tx.rollback());
                    e
                }
                Err(TxError::Op(TxOpError::Sled(_))) => {
                    unreachable!("a sled error from PostgreSQL")
                }
            };
            if !error.retry || attempt > RETRIES {
                return Err(storage(error));
            }
            std::thread::sleep(Duration::from_millis(attempt as u64 * 2));
        }
    }
}

async fn put(
    client: &impl deadpool_postgres::GenericClient,
    tree: &str,
    key: &[u8],
    value: Option<&[u8]>,
) -> Result<(), tokio_postgres::Error> {
    match value {
        Some(value) => {
            let statement = client
                .prepare_cached(
                    "INSERT INTO kv (tree, key, value) VALUES ($1, $2, $3) \
                     ON CONFLICT (tree, key) DO UPDATE SET value = EXCLUDED.value",
                )
                .await?;
            client.execute(&statement, &[&tree, &key, &value]).await?;
        }
        None => {
            let statement = client
                .prepare_cached("DELETE FROM kv WHERE tree = $1 AND key = $2")
                .await?;
            client.execute(&statement, &[&tree, &key]).await?;
        }
    }
    Ok(())
}

/// Reads and writes of one open transaction.
pub struct PgTx<'a> {
    pg: &'a Pg,
    tx: &'a deadpool_postgres::Transaction<'a>,
}

impl PgTx<'_> {
    pub fn get(&self, tree: &str, key: &[u8]) -> Result<Option<IVec>, TxOpError> {
        let row = self
            .pg
            .wait(async {
                let statement = self
                    .tx
                    .prepare_cached("SELECT value FROM kv WHERE tree = $1 AND key = $2")
                    .await?;
                self.tx.query_opt(&statement, &[&tree, &key]).await
            })
            .map_err(|e| TxOpError::Postgres(PgError::from_db(e)))?;
        Ok(row.map(|row| IVec::from(row.get::<_, &[u8]>(0))))
    }

    pub fn put(&self, tree: &str, key: &[u8], value: Option<&[u8]>) -> Result<(), TxOpError> {
        self.pg
            .wait(put(self.tx, tree, key, value))
            .map_err(|e| TxOpError::Postgres(PgError::from_db(e)))
    }

    /// Tells the nodes following the store, at commit, that something changed.
    pub fn announce(&self) -> Result<(), TxOpError> {
        self.pg
            .wait(
                self.tx
                    .execute("SELECT pg_notify($1, '')", &[&OUTBOX_CHANNEL]),
            )
            .map(drop)
            .map_err(|e| TxOpError::Postgres(PgError::from_db(e)))
    }

    /// The next sequence number; from here to commit, no other transaction draws one, so
    /// numbers are committed in order. Nodes following the outbox are told at commit.
    pub fn generate_id(&self) -> Result<u64, TxOpError> {
        let row = self
            .pg
            .wait(async {
                self.tx
                    .execute("SELECT pg_advisory_xact_lock($1)", &[&SEQUENCE_LOCK])
                    .await?;
                self.tx
                    .execute("SELECT pg_notify($1, '')", &[&OUTBOX_CHANNEL])
                    .await?;
                self.tx
                    .query_one("SELECT nextval('playbook_ids')", &[])
                    .await
            })
            .map_err(|e| TxOpError::Postgres(PgError::from_db(e)))?;
        Ok(row.get::<_, i64>(0) as u64)
    }
}

/// A held advisory lock (see [`Pg::lock`]).
pub struct PgLock {
    pg: Arc<Pg>,
    client: Option<deadpool_postgres::Object>,
    key: i64,
}

impl Drop for PgLock {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let unlocked = self
                .pg
                .wait(client.execute("SELECT pg_advisory_unlock($1)", &[&self.key]));
            if unlocked.is_err() {
                // The session may still hold the lock: never hand this connection out again.
                let _ = deadpool_postgres::Object::take(client);
            }
        }
    }
}

/// Records of a range, fetched a page at a time from either end.
pub struct PgIter {
    pg: Arc<Pg>,
    tree: Arc<str>,
    /// What is left to fetch lies between `lo` and `hi`.
    lo: Bound<Vec<u8>>,
    hi: Bound<Vec<u8>>,
    /// Fetched from the front, ascending.
    front: VecDeque<(IVec, IVec)>,
    /// Fetched from the back, descending.
    back: VecDeque<(IVec, IVec)>,
    /// Records the next round trip asks for.
    page: i64,
    /// An error was returned: the iteration ends.
    failed: bool,
}

impl PgIter {
    fn fill(&mut self, descending: bool) -> Result<bool, StoreError> {
        let page = self
            .pg
            .page(&self.tree, &self.lo, &self.hi, descending, self.page)?;
        self.page = (self.page * 2).min(PAGE);
        let Some((last, _)) = page.last() else {
            return Ok(false);
        };
        if descending {
            self.hi = Bound::Excluded(last.to_vec());
            self.back.extend(page);
        } else {
            self.lo = Bound::Excluded(last.to_vec());
            self.front.extend(page);
        }
        Ok(true)
    }

    fn step(&mut self, descending: bool) -> Option<Result<(IVec, IVec), StoreError>> {
        if self.failed {
            return None;
        }
        let near = |it: &mut PgIter| {
            if descending {
                it.back.pop_front()
            } else {
                it.front.pop_front()
            }
        };
        if let Some(entry) = near(self) {
            return Some(Ok(entry));
        }
        match self.fill(descending) {
            Ok(true) => near(self).map(Ok),
            // Nothing left between the bounds: what remains was fetched from the other end.
            Ok(false) if descending => self.front.pop_back().map(Ok),
            Ok(false) => self.back.pop_back().map(Ok),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

impl Iterator for PgIter {
    type Item = Result<(IVec, IVec), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.step(false)
    }
}

impl DoubleEndedIterator for PgIter {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.step(true)
    }
}

/// Creates the database `name` (dropping one of that name first) on the server of `server_url`
/// and returns the URL of the new database. For tests and for setting up `playbook migrate`.
pub fn create_database(server_url: &str, name: &str) -> Result<String, StoreError> {
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || name.is_empty() {
        return Err(StoreError::Database(format!(
            "{name:?} is no database name: use letters, digits and _"
        )));
    }
    let config: tokio_postgres::Config = server_url.parse().map_err(|e| {
        StoreError::Database(format!(
            "{} is not a PostgreSQL URL: {e}",
            redact(server_url)
        ))
    })?;
    let run = async {
        let (client, connection) = config.connect(NoTls).await?;
        let task = tokio::spawn(connection);
        // Two statements: neither may run inside a transaction block.
        client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await?;
        drop(client);
        let _ = task.await;
        Ok::<(), tokio_postgres::Error>(())
    };
    // A thread and a runtime of its own: this may be called from inside another runtime.
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| StoreError::Database(e.to_string()))?;
                runtime
                    .block_on(run)
                    .map_err(|e| PgError::from_db(e).into_store())
            })
            .join()
            .expect("database set-up thread")
    })?;
    Ok(with_database(server_url, name))
}

/// `url` naming database `name` instead of its own.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    let mut out = format!("{}/{name}", &base[..authority_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}
