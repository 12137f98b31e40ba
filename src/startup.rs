//! Wiring: opens the store, loads and syncs the content directory, binds the listener and builds
//! the HTTP server. `Application::port` tells which port was bound, so tests can ask for port 0.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use anyhow::Context;

use crate::app::account_book::AccountBook;
use crate::app::content_loader::load_dir;
use crate::app::indexer;
use crate::app::library::{tier_ids, Library};
use crate::app::users::Auth;
use crate::config::Config;
use crate::domain::alerts::Rules;
use crate::domain::content::ContentError;
use crate::domain::policy::Role;
use crate::domain::synonyms::Synonyms;
use crate::domain::taxonomy::Taxonomy;
use crate::search::index::{Fresh, SearchIndex};
use crate::store::{ContentLoad, Store};
use crate::web::error::shape_errors;
use crate::web::guard::authenticate;
use crate::web::{configure, security_headers, AppState};

pub struct Application {
    port: u16,
    server: Server,
    library: Arc<Library>,
    accounts: Arc<AccountBook>,
}

impl Application {
    /// Opens the library (store, content, index) and binds `config.addr`.
    ///
    /// Problems in content files do not stop the server: they are logged, listed at `/problems`,
    /// and the last good stored version of each broken item keeps being served.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                config.data_dir.display()
            )
        })?;
        let started = std::time::Instant::now();
        let store = Store::open_at(&config.store_location())?;
        tracing::info!("store opened in {:?}", started.elapsed());
        let auth = Arc::new(Auth::new(store.clone(), config.session));
        // The accounts (their tiers computed) and the library (content synced, index caught up,
        // catalog read) need nothing of each other: open them side by side.
        let (accounts, library) = std::thread::scope(|scope| {
            let accounts = std::thread::Builder::new()
                .name("open-accounts".into())
                .spawn_scoped(scope, || open_accounts(store.clone(), config.demo))?;
            let library = open_library(&config, store.clone());
            let accounts = accounts
                .join()
                .map_err(|_| anyhow::anyhow!("opening the accounts panicked"))?;
            anyhow::Ok((accounts?, library?))
        })?;
        let (book, demo_loaded) = accounts;
        let accounts = Arc::new(book);
        bootstrap_users(&auth, demo_loaded)?;
        let library = Arc::new(library);
        tracing::info!("started in {:?}", started.elapsed());

        let listener = TcpListener::bind(&config.addr).with_context(|| {
            format!(
                "cannot listen on {}: is the port in use? pass --addr or set PLAYBOOK_ADDR",
                config.addr
            )
        })?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(AppState {
            library: library.clone(),
            accounts: accounts.clone(),
            auth,
            max_import_bytes: config.max_import_bytes,
            max_file_bytes: config.max_file_bytes,
            finder: crate::app::briefing::CustomerFinder::default(),
            today: crate::app::today::Today::default(),
            session_max_age_secs: config.session.absolute.as_secs() as i64,
            backup_dir: std::path::absolute(config.backup_dir())
                .unwrap_or_else(|_| config.backup_dir()),
            data_dir: std::path::absolute(&config.data_dir)
                .unwrap_or_else(|_| config.data_dir.clone()),
            import_slots: std::sync::Arc::new(tokio::sync::Semaphore::new(
                crate::web::MAX_CONCURRENT_IMPORTS,
            )),
            trusted_proxies: config.trusted_proxies.clone(),
            utc_offset: config.utc_offset,
            staging: crate::app::staging::Staging::open(&config.uploads_dir())
                .with_context(|| format!("cannot create {}", config.uploads_dir().display()))?,
        });
        if !config.trusted_proxies.is_empty() {
            let proxies: Vec<String> = config
                .trusted_proxies
                .iter()
                .map(|b| b.to_string())
                .collect();
            tracing::info!(
                "forwarding headers are believed from {}",
                proxies.join(", ")
            );
        }
        keep_name_index_warm(std::sync::Arc::downgrade(&state.clone().into_inner()));
        if library.store().is_shared() {
            follow_shared_store(std::sync::Arc::downgrade(&state.clone().into_inner()));
        }
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(middleware::from_fn(shape_errors))
                .wrap(middleware::from_fn(authenticate))
                .wrap(security_headers())
                .wrap(middleware::NormalizePath::trim())
                .wrap(middleware::Logger::new("%r %s %Dms"))
                .configure(configure)
        })
        .shutdown_timeout(10);
        if config.workers > 0 {
            server = server.workers(config.workers);
        }
        let server = server.listen(listener)?.run();
        tracing::info!(
            "Playbook listening on http://{}:{port}",
            listener_host(&config.addr)
        );
        Ok(Application {
            port,
            server,
            library,
            accounts,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server gracefully (tests; signals are handled by actix).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until Ctrl-C / SIGTERM (handled by actix: in-flight requests finish), then
    /// flushes and closes the store. When this returns, the data directory is free to reopen.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.server.await?;
        self.library.store().flush()?;
        // Worker threads drop their copies of the state as they wind down; wait for them so the
        // store's file lock is released before we report that we stopped.
        let (library, accounts) = (self.library, self.accounts);
        for _ in 0..100 {
            if Arc::strong_count(&library) == 1 && Arc::strong_count(&accounts) == 1 {
                drop(library);
                drop(accounts);
                tracing::info!("stopped; store flushed and closed");
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        tracing::warn!("stopped; store flushed, but still referenced by a worker");
        Ok(())
    }
}

/// Builds the customer name index and the list of accounts needing action in the background
/// at start and after each recompute, so a rep's first lookup or home page does not wait for
/// them (a million accounts take seconds). Ends with the
/// server (when `state` is gone).
/// Outbox entries a shared store keeps for nodes that fall behind; one further behind rebuilds
/// its index (`app::indexer`).
const SHARED_OUTBOX_KEPT: u64 = 100_000;

/// On a shared store (PostgreSQL), follows what other nodes write: woken by their
/// announcements (and at least every second, should one be missed), it refreshes the catalog
/// and wakes the indexer when content changed, and loads the tiers of a recompute another node
/// recorded. A database out of reach is logged once and retried until it is back.
fn follow_shared_store(state: std::sync::Weak<AppState>) {
    let spawned = std::thread::Builder::new()
        .name("follower".into())
        .spawn(move || {
            let mut seen = 0;
            let mut failing = false;
            let mut rounds = 0u64;
            loop {
                let Some(state) = state.upgrade() else { return };
                let store = state.library.store().clone();
                rounds += 1;
                if rounds.is_multiple_of(60) {
                    // About a minute: keep the shared outbox and the throttle counters small.
                    let now = time::OffsetDateTime::now_utc().unix_timestamp();
                    let window = crate::app::users::THROTTLE_WINDOW.as_secs() as i64;
                    let kept = store
                        .trim_shared_outbox(SHARED_OUTBOX_KEPT)
                        .and_then(|_| store.prune_attempts(now, window));
                    if let Err(e) = kept {
                        tracing::debug!(error = %e, "cannot trim the shared outbox yet");
                    }
                }
                let followed = state
                    .library
                    .follow_store()
                    .map_err(anyhow::Error::from)
                    .and_then(|_| state.accounts.catch_up().map_err(anyhow::Error::from));
                match followed {
                    Ok(_) if failing => {
                        tracing::info!("following the shared store again");
                        failing = false;
                    }
                    Ok(_) => {}
                    Err(e) if !failing => {
                        tracing::warn!(error = %e, "cannot follow the shared store; retrying");
                        failing = true;
                    }
                    Err(_) => {}
                }
                drop(state);
                seen = store.wait_for_change(seen, std::time::Duration::from_secs(1));
            }
        });
    if let Err(e) = spawned {
        tracing::error!("cannot start the thread following the shared store ({e})");
    }
}

fn keep_name_index_warm(state: std::sync::Weak<AppState>) {
    let spawned = std::thread::Builder::new()
        .name("name-index".into())
        .spawn(move || {
            while let Some(state) = state.upgrade() {
                state.finder.warm(&state.accounts);
                state.today.warm(&state.accounts, &state.library);
                drop(state);
                std::thread::sleep(std::time::Duration::from_millis(500));
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("cannot start the name-index thread ({e}); lookups build the index");
    }
}

/// Opens the store, syncs the content directory into it, and brings the search index up to
/// date (rebuilding it when it is missing, unreadable or of an old schema).
pub fn open_library(config: &Config, store: Store) -> anyhow::Result<Library> {
    let (taxonomy, alert_rules, synonyms, problems) = sync_content_dir(config, &store)?;
    let tiers = tier_ids(&taxonomy);
    let index = open_index(config, &store, &tiers)?;
    index.configure(config.search);
    Ok(Library::new(
        store,
        taxonomy,
        alert_rules,
        synonyms,
        problems,
        Arc::new(index),
    ))
}

/// The search index, up to date with the store. The index is derived: when it cannot be opened
/// or brought up to date (files a `kill -9` left half-written, a disk error), it is removed and
/// rebuilt from the store rather than keeping the server from starting.
fn open_index(config: &Config, store: &Store, tiers: &[String]) -> anyhow::Result<SearchIndex> {
    match index_up_to_date(config, store, tiers) {
        Ok(index) => Ok(index),
        Err(error) => {
            tracing::warn!(
                error = %error,
                "the search index could not be brought up to date; rebuilding it from the store"
            );
            let dir = config.index_dir();
            let removed = if dir.is_dir() {
                std::fs::remove_dir_all(&dir)
            } else if dir.exists() {
                std::fs::remove_file(&dir)
            } else {
                Ok(())
            };
            removed.with_context(|| format!("cannot remove the index at {}", dir.display()))?;
            let (index, _) = SearchIndex::open(&dir)?;
            let started = std::time::Instant::now();
            let count = indexer::rebuild(store, &index, tiers)?;
            tracing::info!(
                "search index rebuilt: {count} items in {:?}",
                started.elapsed()
            );
            Ok(index)
        }
    }
}

/// Opens the index and applies what the store holds beyond it (or rebuilds a fresh one).
fn index_up_to_date(
    config: &Config,
    store: &Store,
    tiers: &[String],
) -> anyhow::Result<SearchIndex> {
    let (index, fresh) = SearchIndex::open(&config.index_dir())?;
    match fresh {
        Fresh::Yes(reason) => {
            let started = std::time::Instant::now();
            let count = indexer::rebuild(store, &index, tiers)?;
            tracing::info!(
                "search index rebuilt ({reason}): {count} items in {:?}",
                started.elapsed()
            );
        }
        Fresh::No => {
            let applied = indexer::catch_up(store, &index, tiers)?;
            if applied > 0 {
                tracing::info!("search index caught up with {applied} stored changes");
            }
        }
    }
    Ok(index)
}

/// Syncs the content directory into the store, and returns its taxonomy, alert rules and
/// problems. When the directory's fingerprint (paths, sizes and modification times) is the one
/// recorded at the last sync, no file changed since: the files are not read again, and the
/// problems that sync found are served. That is what makes a restart fast.
fn sync_content_dir(
    config: &Config,
    store: &Store,
) -> anyhow::Result<(Taxonomy, Rules, Synonyms, Vec<ContentError>)> {
    let dir = &config.content_dir;
    let fingerprint = crate::app::content_loader::fingerprint(dir);
    if let (Some(now), Some(last)) = (&fingerprint, store.content_load()?) {
        if *now == last.fingerprint {
            let (taxonomy, alert_rules, synonyms) = crate::app::content_loader::load_settings(dir);
            tracing::info!(
                "content directory {} unchanged since the last sync: files not re-read",
                dir.display()
            );
            for problem in &last.problems {
                tracing::error!("{problem}");
            }
            return Ok((taxonomy, alert_rules, synonyms, last.problems));
        }
    }
    let loaded = match load_dir(dir) {
        Ok(report) => {
            for problem in &report.problems {
                tracing::error!("{problem}");
            }
            let summary = store.sync_files(&report.items, &report.failed_paths)?;
            let mut problems = report.problems;
            for conflict in &summary.conflicts {
                let file = config
                    .content_dir
                    .join(&conflict.path)
                    .display()
                    .to_string();
                let change = if conflict.deleted {
                    "was deleted"
                } else {
                    "changed"
                };
                let problem = ContentError {
                    file,
                    field: None,
                    line: None,
                    message: format!(
                        "not loaded: the file {change}, but item {:?} was edited in the browser by {} at {} since the file was last loaded, and that edit is kept. To keep the browser version, run `playbook export` into the content directory (the file then matches); to take the file's version, paste it into the editor",
                        conflict.id, conflict.edited_by, conflict.edited_at
                    ),
                };
                tracing::warn!("{problem}");
                problems.push(problem);
            }
            tracing::info!(
                added = summary.added,
                updated = summary.updated,
                unchanged = summary.unchanged,
                removed = summary.removed,
                kept_last_good = summary.kept_last_good,
                "content directory {} synced",
                config.content_dir.display()
            );
            // A conflict depends on browser edits as well as on the files, so a sync that found
            // one is not recorded: the next start looks at the files again.
            if let (Some(fingerprint), true) = (fingerprint, summary.conflicts.is_empty()) {
                store.record_content_load(&ContentLoad {
                    fingerprint,
                    problems: problems.clone(),
                })?;
            }
            (
                report.taxonomy,
                report.alert_rules,
                report.synonyms,
                problems,
            )
        }
        Err(e) => {
            tracing::error!("{e}; serving what the store holds");
            let problem = ContentError {
                file: config.content_dir.display().to_string(),
                field: None,
                line: None,
                message: e.to_string(),
            };
            (
                Taxonomy::default(),
                Rules::builtin(),
                Synonyms::builtin(),
                vec![problem],
            )
        }
    };
    Ok(loaded)
}

/// Rebuilds the search index from the store (`playbook reindex`).
pub fn reindex(config: &Config) -> anyhow::Result<usize> {
    let store = Store::open_at(&config.store_location())?;
    let taxonomy = load_dir(&config.content_dir)
        .map(|report| report.taxonomy)
        .unwrap_or_default();
    let (index, _) = SearchIndex::open(&config.index_dir())?;
    let count = indexer::rebuild(&store, &index, &tier_ids(&taxonomy))?;
    store.flush()?;
    Ok(count)
}

/// Opens the account book (computing the tiers) and, with `demo`, loads the demo accounts
/// through the real importer when the account store is empty — never over existing accounts.
/// Returns whether the demo accounts were loaded now.
fn open_accounts(store: Store, demo: bool) -> anyhow::Result<(AccountBook, bool)> {
    let book = AccountBook::open(store).context("cannot compute the account tiers")?;
    if demo && book.state().is_empty() {
        let csv = crate::app::demo::accounts_csv(
            crate::app::demo::DEFAULT_COUNT,
            crate::app::demo::DEFAULT_SEED,
        );
        let report = book.import_csv(csv.as_bytes(), "demo", &mut |error| {
            tracing::error!("demo accounts: {error}");
        })?;
        tracing::info!(
            imported = report.imported,
            rejected = report.rejected,
            "demo accounts loaded (the account store was empty)"
        );
        return Ok((book, true));
    } else if demo {
        tracing::info!("demo accounts not loaded: the account store already holds accounts");
    }
    Ok((book, false))
}

/// The demo users, created with the demo accounts: the three reps who own them, a trainer
/// and a manager, with the position and region that decide their courses.
pub const DEMO_USERS: [(&str, Role, &str, &str); 5] = [
    ("zhang.wei", Role::Rep, "销售代表 L1", "江苏"),
    ("li.na", Role::Rep, "销售代表 L2", "浙江"),
    ("wang.fang", Role::Rep, "客户经理", "上海"),
    ("chen.jing", Role::Trainer, "培训经理", "上海"),
    ("zhao.lei", Role::Manager, "销售主管", "江苏"),
];

/// On a data directory without an enabled admin, creates `admin` with a random password; with
/// freshly loaded demo accounts, creates the demo users the same way. Passwords are printed to
/// the console once and stored only as hashes.
fn bootstrap_users(auth: &Auth, demo_loaded: bool) -> anyhow::Result<()> {
    let mut created: Vec<(String, Role, String)> = Vec::new();
    if !auth.has_admin()? {
        let mut name = "admin".to_owned();
        let mut n = 1;
        while auth.user(&name)?.is_some() {
            n += 1;
            name = format!("admin{n}");
        }
        if let Some(password) = auth.add_user(&name, Role::Admin, None)? {
            created.push((name, Role::Admin, password));
        }
    }
    if demo_loaded {
        for (name, role, position, region) in DEMO_USERS {
            if auth.user(name)?.is_none() {
                if let Some(password) = auth.add_user(name, role, None)? {
                    auth.set_profile(name, Some(position), Some(region))?;
                    created.push((name.to_owned(), role, password));
                }
            }
        }
    }
    if !created.is_empty() {
        let mut text = String::from(
            "\n================================================================\n\
             Playbook created these users. Their passwords are shown this once\n\
             (only hashes are stored); change them after signing in\n\
             (PUT /api/v1/session/password, or `playbook user passwd NAME`).\n\n",
        );
        for (name, role, password) in &created {
            text.push_str(&format!("  {name:<12} {role:<8} {password}\n"));
        }
        text.push_str("================================================================\n");
        eprintln!("{text}");
        tracing::warn!(
            users = created.len(),
            "new users created; their passwords were printed on the console"
        );
    }
    Ok(())
}

fn listener_host(addr: &str) -> &str {
    addr.rsplit_once(':').map(|(host, _)| host).unwrap_or(addr)
}
