//! The `playbook` command line: `serve` (the default), `check`, `reindex`, `import accounts`,
//! `user add|passwd|disable|enable|list`, `demo accounts`, `backup`, `restore`.
//!
//! Every flag has a `PLAYBOOK_…` environment variable; this module turns them into a
//! [`Config`] and hands over to `crate::startup` or the content loader.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{
    Config, DEFAULT_ADDR, DEFAULT_CONTENT_DIR, DEFAULT_DATA_DIR, DEFAULT_MAX_IMPORT_MB,
};

#[derive(Debug, Parser)]
#[command(
    name = "playbook",
    version,
    about = "Sales knowledge and playbook server",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    /// Log level or env-filter directive, e.g. `info`, `debug`, `playbook=debug`.
    #[arg(long, global = true, env = "PLAYBOOK_LOG", default_value = "info")]
    log_level: String,

    #[command(subcommand)]
    command: Option<Command>,

    /// `serve` flags, accepted without the subcommand too.
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the web server (the default).
    Serve(ServeArgs),
    /// Validate every content file; exit non-zero listing every error.
    Check(ContentDirArg),
    /// Rebuild the search index from the store (the server must be stopped).
    Reindex(DirsArgs),
    /// Import data into the store (the server must be stopped).
    #[command(subcommand)]
    Import(ImportCommand),
    /// Print demo data.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Manage users (the server must be stopped; while it runs, use /api/v1/users as an admin).
    #[command(subcommand)]
    User(UserCommand),
    /// Copy the store consistently into DIR (the server must be stopped; while it runs, use
    /// POST /api/v1/backup as an admin).
    Backup(BackupArgs),
    /// Write every content item as Markdown with front matter into DIR (for review in git, or
    /// to load back as a content directory). The server must be stopped.
    Export(ExportArgs),
    /// Restore the store from the backup in DIR (the server must be stopped); the search index
    /// is rebuilt at the next start.
    Restore(RestoreArgs),
    /// Measure search relevance: run a judged query set against the content directory (in a
    /// throwaway store) and print success@3, MRR@10 and the zero-hit rate.
    EvalSearch(EvalSearchArgs),
    /// Copy the whole store to another backend — a data directory's sled store into a
    /// PostgreSQL database, or back — and verify every tree (record counts and checksums).
    /// Stop the servers using either store first.
    Migrate(MigrateArgs),
}

#[derive(Debug, Args)]
struct MigrateArgs {
    /// The store to copy: a data directory (its sled store) or a postgres:// URL.
    #[arg(long)]
    from: String,
    /// Where to copy it: an empty PostgreSQL database (postgres://…) or a data directory
    /// holding no store yet.
    #[arg(long)]
    to: String,
}

#[derive(Debug, Args)]
struct EvalSearchArgs {
    /// The judged set (YAML: `queries: [{q, ok: [id, …]}, …]`).
    #[arg(long, default_value = "tests/relevance/judged.yaml")]
    judged: PathBuf,
    #[command(flatten)]
    content_dir: ContentDirArg,
    /// Exit non-zero when success@3 is below this.
    #[arg(long, default_value_t = 0.0)]
    min_success: f64,
    /// Exit non-zero when MRR@10 is below this.
    #[arg(long, default_value_t = 0.0)]
    min_mrr: f64,
}

#[derive(Debug, Args)]
struct BackupArgs {
    /// Directory to write the backup into; it must not exist or be empty.
    dir: PathBuf,
    #[command(flatten)]
    data_dir: DataDirArg,
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// Directory to write into (created if missing; files of the same path are replaced).
    dir: PathBuf,
    #[command(flatten)]
    data_dir: DataDirArg,
}

#[derive(Debug, Args)]
struct RestoreArgs {
    /// A backup directory (holding manifest.json and store.pbk).
    dir: PathBuf,
    #[command(flatten)]
    data_dir: DataDirArg,
    /// Replace an existing store: it is moved aside to DATA_DIR/store.replaced-TIME, never
    /// deleted.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a user. The password is read from standard input when it is not a terminal (one
    /// line); otherwise, or when that line is empty, one is generated and printed once.
    Add(UserAddArgs),
    /// Set a user's password (read from standard input as for `add`, or generated); ends the
    /// user's sessions.
    Passwd(UserNameArgs),
    /// Disable a user: sessions end, API tokens are revoked, sign-in is refused.
    Disable(UserNameArgs),
    /// Enable a disabled user again.
    Enable(UserNameArgs),
    /// List users and their roles.
    List(DataDirArg),
}

#[derive(Debug, Args)]
struct UserAddArgs {
    /// User name: the same as the owner column of the account import for reps.
    name: String,
    /// rep, trainer, manager or admin.
    #[arg(long)]
    role: String,
    #[command(flatten)]
    data_dir: DataDirArg,
}

#[derive(Debug, Args)]
struct UserNameArgs {
    name: String,
    #[command(flatten)]
    data_dir: DataDirArg,
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// Import customer accounts from a CSV export (UTF-8, UTF-16 or GB18030) or a workbook
    /// (.xlsx, .xls, .ods), English or Chinese headers. Exit status: 0 every row imported,
    /// 1 some rows rejected (the others are stored), 2 nothing imported (unreadable file, bad
    /// header, store in use).
    Accounts(ImportAccountsArgs),
    /// Bring existing notes and documents in as drafts: a folder, a .zip or one file (Markdown
    /// from any tool, .docx, .pptx, .pdf, .xlsx, .xls, .ods, .html, .txt). The server must be
    /// stopped. Exit status: 0 every file imported, 1 some files failed (listed with why),
    /// 2 nothing imported.
    Content(ImportContentArgs),
}

#[derive(Debug, Args)]
struct ImportContentArgs {
    /// A folder (walked; hidden files skipped), a .zip or one file.
    path: PathBuf,
    /// What the drafts are: playbook (default) or case.
    #[arg(long, default_value = "playbook")]
    kind: String,
    /// The user who owns the drafts (an existing user).
    #[arg(long, default_value = "admin")]
    owner: String,
    #[command(flatten)]
    dirs: DirsArgs,
}

#[derive(Debug, Args)]
struct ImportAccountsArgs {
    /// The file: .csv (or any other name: read as CSV), .xlsx, .xlsm, .xls or .ods.
    file: PathBuf,
    /// Map a column by hand: HEADER=FIELD (repeat for more); an empty FIELD leaves the column
    /// out, e.g. --map Kunde=name --map 'Umsatz=revenue(千元)' --map Notiz=. Remembered for the
    /// next file with the same header row.
    #[arg(long = "map", value_name = "HEADER=FIELD")]
    map: Vec<String>,
    /// A name for where such files come from (e.g. salesforce): the mapping is remembered
    /// under it too.
    #[arg(long)]
    source: Option<String>,
    /// The sheet of a workbook (the first sheet by default).
    #[arg(long)]
    sheet: Option<String>,
    /// Write the rejected rows, with an `error 错误` column saying what is wrong, to this CSV
    /// file (to fix and import again).
    #[arg(long, value_name = "FILE")]
    rejected: Option<PathBuf>,
    #[command(flatten)]
    data_dir: DataDirArg,
}

#[derive(Debug, Subcommand)]
enum DemoCommand {
    /// Write deterministic demo accounts (generated + the 12 showcase accounts) as CSV to
    /// standard output.
    Accounts(DemoAccountsArgs),
}

#[derive(Debug, Args)]
struct DemoAccountsArgs {
    /// Number of generated accounts (the 12 showcase accounts come on top).
    #[arg(long, default_value_t = crate::app::demo::DEFAULT_COUNT)]
    count: usize,
    /// Seed of the generator: the same seed gives the same file.
    #[arg(long, default_value_t = crate::app::demo::DEFAULT_SEED)]
    seed: u64,
}

#[derive(Debug, Args)]
struct DataDirArg {
    /// Directory of the store and the search index.
    #[arg(long, env = "PLAYBOOK_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    data_dir: PathBuf,
    /// The store, when not sled in the data directory: a PostgreSQL URL
    /// (postgres://user:password@host:5432/playbook). The data directory then holds this
    /// node's search index, uploads and backups.
    #[arg(long, env = "PLAYBOOK_STORE")]
    store: Option<String>,
}

impl DataDirArg {
    /// The default configuration with these places.
    fn config(&self) -> Config {
        Config {
            data_dir: self.data_dir.clone(),
            store: self.store.clone(),
            ..Config::default()
        }
    }
}

#[derive(Debug, Args)]
struct ContentDirArg {
    /// Directory of the Markdown content (and optional tiers.yaml / scenarios.yaml).
    #[arg(long, env = "PLAYBOOK_CONTENT_DIR", default_value = DEFAULT_CONTENT_DIR)]
    content_dir: PathBuf,
}

#[derive(Debug, Args)]
struct DirsArgs {
    #[command(flatten)]
    data_dir: DataDirArg,
    #[command(flatten)]
    content_dir: ContentDirArg,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "PLAYBOOK_ADDR", default_value = DEFAULT_ADDR)]
    addr: String,
    #[command(flatten)]
    data_dir: DataDirArg,
    #[command(flatten)]
    content_dir: ContentDirArg,
    /// HTTP worker threads (0 = one per core).
    #[arg(long, env = "PLAYBOOK_WORKERS", default_value_t = 0)]
    workers: usize,
    /// Load the demo accounts on start when the account store is empty.
    #[arg(long, env = "PLAYBOOK_DEMO")]
    demo: bool,
    /// Largest body of POST /api/v1/accounts/import, in MiB.
    #[arg(long, env = "PLAYBOOK_MAX_IMPORT_MB", default_value_t = DEFAULT_MAX_IMPORT_MB)]
    max_import_mb: usize,
    /// Largest single file imported as content or attached to an item, in MiB.
    #[arg(long, env = "PLAYBOOK_MAX_FILE_MB", default_value_t = crate::config::DEFAULT_MAX_FILE_MB)]
    max_file_mb: usize,
    /// A session unused for this many minutes ends.
    #[arg(long, env = "PLAYBOOK_SESSION_IDLE_MINUTES", default_value_t = 480)]
    session_idle_minutes: u64,
    /// A session ends this many hours after sign-in, used or not.
    #[arg(long, env = "PLAYBOOK_SESSION_MAX_HOURS", default_value_t = 168)]
    session_max_hours: u64,
    /// Where POST /api/v1/backup writes backups (default: DATA_DIR/backups).
    #[arg(long, env = "PLAYBOOK_BACKUP_DIR")]
    backup_dir: Option<PathBuf>,
    /// Reverse proxies whose forwarding headers (Forwarded, X-Forwarded-For/-Host/-Proto) are
    /// believed: IP addresses or CIDR blocks, comma-separated (default: none).
    #[arg(long, env = "PLAYBOOK_TRUSTED_PROXIES")]
    trusted_proxies: Option<crate::config::IpBlocks>,
    /// The time zone pages show times in, as an offset from UTC (+08:00, -05:30, 0).
    #[arg(long, env = "PLAYBOOK_TIMEZONE_OFFSET", default_value = "+08:00", value_parser = crate::config::parse_utc_offset)]
    timezone_offset: time::UtcOffset,
    /// A search matching more items than this counts the facets of this many and estimates
    /// the rest (marked as estimates; `count=exact` counts all). At least 100.
    #[arg(long, env = "PLAYBOOK_SEARCH_COUNT_BOUND", default_value_t = crate::search::index::DEFAULT_COUNT_BOUND, value_parser = clap::value_parser!(u32).range(100..))]
    search_count_bound: u32,
    /// Answers kept for searches asked again before the content changes (0: none).
    #[arg(long, env = "PLAYBOOK_SEARCH_CACHE", default_value_t = crate::search::index::DEFAULT_CACHE_ENTRIES)]
    search_cache: usize,
}

impl ServeArgs {
    fn into_config(self) -> Config {
        Config {
            addr: self.addr,
            data_dir: self.data_dir.data_dir,
            store: self.data_dir.store,
            content_dir: self.content_dir.content_dir,
            workers: self.workers,
            demo: self.demo,
            max_import_bytes: self.max_import_mb.saturating_mul(1024 * 1024),
            max_file_bytes: self.max_file_mb.saturating_mul(1024 * 1024),
            session: crate::app::users::AuthSettings {
                idle: std::time::Duration::from_secs(self.session_idle_minutes.max(1) * 60),
                absolute: std::time::Duration::from_secs(self.session_max_hours.max(1) * 3600),
            },
            backup_dir: self.backup_dir,
            trusted_proxies: self.trusted_proxies.unwrap_or_default().0,
            utc_offset: self.timezone_offset,
            search: crate::search::index::SearchSettings {
                count_bound: self.search_count_bound,
                cache_entries: self.search_cache,
            },
        }
    }
}

/// Parses the command line and runs the chosen command.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init(&cli.log_level);
    match cli.command {
        None => serve(cli.serve.into_config()),
        Some(Command::Serve(args)) => serve(args.into_config()),
        Some(Command::Check(args)) => check(&args.content_dir),
        Some(Command::Reindex(args)) => reindex(args),
        Some(Command::Import(ImportCommand::Accounts(args))) => import_accounts(&args),
        Some(Command::Import(ImportCommand::Content(args))) => import_content(&args),
        Some(Command::User(command)) => user(command),
        Some(Command::Backup(args)) => backup(&args.dir, &args.data_dir),
        Some(Command::Export(args)) => export(&args.dir, &args.data_dir),
        Some(Command::Restore(args)) => restore(&args.dir, &args.data_dir, args.force),
        Some(Command::EvalSearch(args)) => eval_search(&args),
        Some(Command::Migrate(args)) => migrate(&args),
        Some(Command::Demo(DemoCommand::Accounts(args))) => {
            print!("{}", crate::app::demo::accounts_csv(args.count, args.seed));
            ExitCode::SUCCESS
        }
    }
}

/// Opens the store for a command, or explains why not (a running server holds it).
fn open_store_for_command(
    place: &DataDirArg,
    server_alternative: &str,
) -> Result<crate::store::Store, ExitCode> {
    let config = place.config();
    if let Err(e) = std::fs::create_dir_all(&config.data_dir) {
        eprintln!("error: cannot create {}: {e}", config.data_dir.display());
        return Err(ExitCode::from(2));
    }
    match crate::store::Store::open_at(&config.store_location()) {
        Ok(store) => Ok(store),
        Err(crate::store::StoreError::Open { path, .. }) => {
            eprintln!(
                "error: the store in {path} is in use, probably by a running playbook server: \
                 stop the server first, or {server_alternative}"
            );
            Err(ExitCode::from(2))
        }
        Err(e) => {
            eprintln!("error: {e}");
            Err(ExitCode::from(2))
        }
    }
}

/// Fails (exit 2, with the reason) when `data_dir` holds no store (a database is checked when
/// opened).
fn require_store(place: &DataDirArg) -> Result<(), ExitCode> {
    let config = place.config();
    if config.store.is_some() || config.store_dir().exists() {
        return Ok(());
    }
    eprintln!(
        "error: there is no store in {} (pass --data-dir or set PLAYBOOK_DATA_DIR)",
        config.store_dir().display()
    );
    Err(ExitCode::from(2))
}

/// `playbook export DIR`: every item as Markdown with front matter.
fn export(dir: &std::path::Path, place: &DataDirArg) -> ExitCode {
    if let Err(code) = require_store(place) {
        return code;
    }
    let store = match open_store_for_command(
        place,
        "stop the server first, then run playbook export again",
    ) {
        Ok(store) => store,
        Err(code) => return code,
    };
    let records = match store.list_records() {
        Ok(records) => records,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    match crate::app::authoring::export_dir(&records, dir) {
        Ok(n) => {
            println!("{n} items written to {}", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: writing into {}: {e}", dir.display());
            ExitCode::from(1)
        }
    }
}

/// `playbook backup DIR`: a consistent copy of a stopped server's store.
fn backup(dir: &std::path::Path, place: &DataDirArg) -> ExitCode {
    if let Err(code) = require_store(place) {
        return code;
    }
    match crate::store::backup::is_missing_or_empty(dir) {
        Ok(true) => {}
        Ok(false) => {
            eprintln!(
                "error: {} is not empty: back up into a new or empty directory",
                dir.display()
            );
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("error: {}: {e}", dir.display());
            return ExitCode::from(2);
        }
    }
    let store = match open_store_for_command(
        place,
        "ask the running server for a backup: POST /api/v1/backup as an admin (it writes into \
         its --backup-dir, default DATA_DIR/backups)",
    ) {
        Ok(store) => store,
        Err(code) => return code,
    };
    match store.backup_to(dir) {
        Ok(manifest) => {
            let trees: Vec<String> = manifest
                .trees
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(tree, n)| format!("{tree} {n}"))
                .collect();
            println!(
                "backup written to {}: {} records, {} bytes ({})",
                dir.display(),
                manifest.records,
                manifest.bytes,
                trees.join(", ")
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: backup failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `playbook restore DIR [--force]`: the store of a stopped server from a backup. An existing
/// store is replaced only with `--force`, and then moved aside, never deleted; the derived
/// search index is removed so the next start rebuilds it.
fn restore(dir: &std::path::Path, place: &DataDirArg, force: bool) -> ExitCode {
    if let Some(url) = &place.store {
        eprintln!(
            "error: restore writes a sled store into a data directory; for {}, restore into an \
             empty directory and copy it over with `playbook migrate --from DIR --to URL`, or \
             restore the database's own dump (pg_restore); nothing was changed",
            crate::store::StoreLocation::parse(url).describe()
        );
        return ExitCode::from(2);
    }
    let data_dir = place.data_dir.as_path();
    let config = place.config();
    let store_dir = config.store_dir();
    // Check the backup before touching anything.
    if let Err(e) = crate::store::backup::read_manifest(dir) {
        eprintln!("error: {e}; nothing was changed");
        return ExitCode::from(2);
    }
    let occupied = match crate::store::backup::is_missing_or_empty(&store_dir) {
        Ok(empty) => !empty,
        Err(e) => {
            eprintln!("error: {}: {e}", store_dir.display());
            return ExitCode::from(2);
        }
    };
    let mut moved_aside = None;
    if occupied {
        if !force {
            eprintln!(
                "error: {} already holds a store; restoring would replace it. Pass --force to \
                 move it aside (to {}.replaced-TIME, never deleted) and restore; nothing was changed",
                store_dir.display(),
                store_dir.display()
            );
            return ExitCode::from(2);
        }
        // Taking sled's lock proves no server holds it (and waits for one that is closing).
        match crate::store::backup::ensure_unused(&store_dir) {
            Ok(()) => {}
            Err(crate::store::StoreError::Open { path, .. }) => {
                eprintln!(
                    "error: the store in {path} is in use, probably by a running playbook server: \
                     stop the server before restoring; nothing was changed"
                );
                return ExitCode::from(2);
            }
            Err(e) => {
                eprintln!("error: {e}; nothing was changed");
                return ExitCode::from(2);
            }
        }
        let stamp = time::OffsetDateTime::now_utc()
            .format(time::macros::format_description!(
                "[year][month][day]T[hour][minute][second]Z"
            ))
            .unwrap_or_default();
        let aside = data_dir.join(format!("store.replaced-{stamp}"));
        if let Err(e) = std::fs::rename(&store_dir, &aside) {
            eprintln!(
                "error: cannot move {} aside to {}: {e}; nothing was changed",
                store_dir.display(),
                aside.display()
            );
            return ExitCode::from(2);
        }
        moved_aside = Some(aside);
    }
    match crate::store::backup::restore(dir, &store_dir) {
        Ok(manifest) => {
            let index = config.index_dir();
            if index.exists() {
                if let Err(e) = std::fs::remove_dir_all(&index) {
                    eprintln!(
                        "warning: cannot remove the old search index {}: {e}; run `playbook reindex`",
                        index.display()
                    );
                }
            }
            println!(
                "restored {} records from {} (taken {}, playbook {}) into {}",
                manifest.records,
                dir.display(),
                manifest.created_at,
                manifest.playbook_version,
                store_dir.display()
            );
            if let Some(aside) = moved_aside {
                println!("the previous store was moved to {}", aside.display());
            }
            println!("the search index is rebuilt when the server starts");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: restore failed: {e}");
            if let Some(aside) = moved_aside {
                // Put the old store back; the half-built copy is left as store.restoring.
                match std::fs::rename(&aside, &store_dir) {
                    Ok(()) => eprintln!("the previous store was put back; nothing was changed"),
                    Err(e) => eprintln!(
                        "the previous store is in {} (moving it back failed: {e})",
                        aside.display()
                    ),
                }
            }
            ExitCode::FAILURE
        }
    }
}

/// A password from standard input when it is not a terminal (one line, the newline removed);
/// `None` (generate one) when it is a terminal or the line is empty.
fn password_from_stdin() -> Option<String> {
    use std::io::{BufRead, IsTerminal};
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return None;
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).ok()?;
    let line = line.trim_end_matches(['\r', '\n']).to_owned();
    (!line.is_empty()).then_some(line)
}

/// `playbook user add|passwd|disable|enable|list`.
fn user(command: UserCommand) -> ExitCode {
    use crate::app::users::{Auth, AuthSettings};
    use crate::domain::policy::Role;

    let place = match &command {
        UserCommand::Add(a) => &a.data_dir,
        UserCommand::Passwd(a) | UserCommand::Disable(a) | UserCommand::Enable(a) => &a.data_dir,
        UserCommand::List(a) => a,
    };
    let store = match open_store_for_command(place, "use the API as an admin (/api/v1/users)") {
        Ok(store) => store,
        Err(code) => return code,
    };
    let auth = Auth::new(store, AuthSettings::default());
    let print_password = |name: &str, generated: Option<String>| {
        if let Some(password) = generated {
            println!("password for {name} (shown this once): {password}");
        }
    };
    let result = match command {
        UserCommand::Add(args) => match Role::parse(&args.role) {
            None => {
                eprintln!(
                    "error: --role: unknown role {:?} (expected one of rep, trainer, manager, admin)",
                    args.role
                );
                return ExitCode::from(2);
            }
            Some(role) => auth
                .add_user(&args.name, role, password_from_stdin().as_deref())
                .map(|generated| {
                    println!("added {} ({role})", args.name.trim());
                    print_password(args.name.trim(), generated);
                }),
        },
        UserCommand::Passwd(args) => auth
            .set_password(&args.name, password_from_stdin().as_deref())
            .map(|generated| {
                println!("password of {} changed; their sessions ended", args.name);
                print_password(&args.name, generated);
            }),
        UserCommand::Disable(args) => auth.set_disabled(&args.name, true).map(|_| {
            println!(
                "{} disabled; their sessions and API tokens ended",
                args.name
            );
        }),
        UserCommand::Enable(args) => auth.set_disabled(&args.name, false).map(|_| {
            println!("{} enabled", args.name);
        }),
        UserCommand::List(_) => auth.list_users().map(|users| {
            for u in users {
                let state = if u.disabled { "disabled" } else { "active" };
                println!(
                    "{:<24} {:<8} {:<8} since {}",
                    u.name,
                    u.role.as_str(),
                    state,
                    u.created_at
                );
            }
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `playbook import accounts FILE`: streams the file into the store with a progress bar,
/// prints every rejected row as it is found and a summary at the end.
fn import_accounts(args: &ImportAccountsArgs) -> ExitCode {
    use crate::app::account_book::{ImportFile, ImportOptions};
    use crate::domain::import::SheetFormat;
    use indicatif::{ProgressBar, ProgressStyle};

    let file = args.file.as_path();
    let nothing_imported = ExitCode::from(2);
    let mut options = ImportOptions {
        source: args.source.clone(),
        sheet: args.sheet.clone(),
        by: "command line".to_owned(),
        ..ImportOptions::default()
    };
    for pair in &args.map {
        if let Err(e) = options.mapping.add_pair(pair) {
            eprintln!("error: --{e}");
            return nothing_imported;
        }
    }
    let input = match std::fs::File::open(file) {
        Ok(input) => input,
        Err(e) => {
            eprintln!("error: cannot open {}: {e}", file.display());
            return nothing_imported;
        }
    };
    let config = args.data_dir.config();
    if let Err(e) = std::fs::create_dir_all(&config.data_dir) {
        eprintln!("error: cannot create {}: {e}", config.data_dir.display());
        return nothing_imported;
    }
    let store = match crate::store::Store::open_at(&config.store_location()) {
        Ok(store) => store,
        Err(crate::store::StoreError::Open { path, .. }) => {
            eprintln!(
                "error: the store in {path} is in use, probably by a running playbook server: \
                 stop the server or use POST /api/v1/accounts/import"
            );
            return nothing_imported;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return nothing_imported;
        }
    };
    let book = match crate::app::account_book::AccountBook::open(store) {
        Ok(book) => book,
        Err(e) => {
            eprintln!("error: {e}");
            return nothing_imported;
        }
    };
    let size = input.metadata().map(|m| m.len()).unwrap_or(0);
    let progress = ProgressBar::new(size).with_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut rejected_rows = 0usize;
    let mut print_error = |error: &crate::domain::import::RowError| {
        rejected_rows += 1;
        progress.suspend(|| eprintln!("{}: {error}", file.display()));
    };
    let result = match SheetFormat::from_file_name(&file.to_string_lossy()) {
        // A workbook is read with seeks: progress is shown while its sheet is read.
        Some(format) => book.import(
            ImportFile::<std::fs::File>::Workbook(input, format),
            &options,
            "import",
            &mut print_error,
        ),
        None => book.import(
            ImportFile::Csv(progress.wrap_read(input)),
            &options,
            "import",
            &mut print_error,
        ),
    };
    progress.finish_and_clear();
    match result {
        Err(e) => {
            eprintln!("error: {}: {e}", file.display());
            nothing_imported
        }
        Ok(report) => {
            for warning in &report.warnings {
                eprintln!("{}: warning: {warning}", file.display());
            }
            if let (Some(path), Some(csv)) = (&args.rejected, &report.rejected_csv) {
                match std::fs::write(path, csv) {
                    Ok(()) => eprintln!(
                        "the rejected rows, with what is wrong with each, are in {}",
                        path.display()
                    ),
                    Err(e) => eprintln!("error: cannot write {}: {e}", path.display()),
                }
            }
            println!(
                "{}: {} imported (new), {} updated, {} rejected ({} problems listed above); read as {}",
                file.display(),
                report.imported,
                report.updated,
                report.rejected,
                rejected_rows,
                report.encoding
            );
            let tiers: Vec<String> = report
                .tiers
                .tiers
                .iter()
                .map(|t| format!("{} {}", t.count, t.tier))
                .collect();
            println!(
                "tiers of {} accounts: {} (recompute #{} in {} ms)",
                report.tiers.accounts,
                tiers.join(", "),
                report.tiers.seq,
                report.tiers.millis
            );
            if report.rejected == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// `playbook import content PATH`: every file becomes a draft of `--owner`, or is listed with
/// why it was not imported.
fn import_content(args: &ImportContentArgs) -> ExitCode {
    use crate::app::content_import::{read_path, ContentImportOptions};
    use crate::domain::content::Kind;

    let nothing_imported = ExitCode::from(2);
    let kind = match args.kind.as_str() {
        "playbook" => Kind::Playbook,
        "case" => Kind::Case,
        other => {
            eprintln!("error: --kind {other:?}: imported files become a playbook or a case");
            return nothing_imported;
        }
    };
    let run = || -> anyhow::Result<crate::app::content_import::ContentImportReport> {
        let files = read_path(&args.path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.path.display()))?;
        let config = Config {
            content_dir: args.dirs.content_dir.content_dir.clone(),
            ..args.dirs.data_dir.config()
        };
        std::fs::create_dir_all(&config.data_dir)?;
        let store =
            crate::store::Store::open_at(&config.store_location()).map_err(|e| match e {
                crate::store::StoreError::Open { path, .. } => anyhow::anyhow!(
                "the store in {path} is in use, probably by a running playbook server: stop the \
                 server or use POST /api/v1/content/import"
            ),
                other => other.into(),
            })?;
        let owner = store.get_user(&args.owner)?.ok_or_else(|| {
            anyhow::anyhow!(
                "--owner {:?}: no such user (see `playbook user list`)",
                args.owner
            )
        })?;
        let book = crate::app::account_book::AccountBook::open(store.clone())?;
        let library = crate::startup::open_library(&config, store)?;
        let access = crate::app::access::Access::new(
            crate::domain::policy::Principal::new(owner.name, owner.role),
            &book,
            &library,
        );
        let options = ContentImportOptions {
            kind,
            limits: crate::extract::Limits {
                max_file_bytes: (crate::config::DEFAULT_MAX_FILE_MB * 1024 * 1024) as u64,
                ..crate::extract::Limits::default()
            },
        };
        // The index takes the drafts in when the library closes (the indexer finishes its
        // queue), or at the next start.
        Ok(library.import_content(files, &options, &access)?)
    };
    match run() {
        Err(e) => {
            eprintln!("error: {e:#}");
            nothing_imported
        }
        Ok(report) => {
            for file in &report.imported {
                println!("{}: imported as {} ({})", file.file, file.id, file.title);
                for warning in &file.warnings {
                    eprintln!("{}: warning: {warning}", file.file);
                }
            }
            for file in &report.failed {
                eprintln!("{}: not imported: {}", file.file, file.message);
            }
            println!(
                "{} files imported as drafts of {}, {} not imported",
                report.imported.len(),
                args.owner,
                report.failed.len()
            );
            match (report.imported.is_empty(), report.failed.is_empty()) {
                (_, true) => ExitCode::SUCCESS,
                (false, false) => ExitCode::FAILURE,
                (true, false) => nothing_imported,
            }
        }
    }
}

fn serve(config: Config) -> ExitCode {
    let system = actix_web::rt::System::new();
    let result = system.block_on(async move {
        let application = crate::startup::Application::build(config).await?;
        application.run_until_stopped().await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn reindex(args: DirsArgs) -> ExitCode {
    let config = Config {
        content_dir: args.content_dir.content_dir,
        ..args.data_dir.config()
    };
    let started = std::time::Instant::now();
    match crate::startup::reindex(&config) {
        Ok(count) => {
            println!(
                "search index rebuilt: {count} items in {:.1?}",
                started.elapsed()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// A data directory (its sled store) or a database URL, as `--from` and `--to` take them.
fn migrate_location(text: &str) -> crate::store::StoreLocation {
    Config {
        data_dir: PathBuf::from(text),
        store: crate::store::is_postgres_url(text).then(|| text.to_owned()),
        ..Config::default()
    }
    .store_location()
}

/// `playbook migrate --from A --to B`.
fn migrate(args: &MigrateArgs) -> ExitCode {
    let (from, to) = (migrate_location(&args.from), migrate_location(&args.to));
    if let crate::store::StoreLocation::Sled(dir) = &from {
        if !dir.exists() {
            eprintln!("error: there is no store in {}", dir.display());
            return ExitCode::from(2);
        }
    }
    println!("copying {} → {}", from.describe(), to.describe());
    let started = std::time::Instant::now();
    let checks = match crate::store::migrate::migrate(&from, &to, |tree, n| {
        println!("  {tree}: {n} records");
    }) {
        Ok(checks) => checks,
        Err(crate::store::migrate::MigrateError::Store(crate::store::StoreError::Open {
            path,
            ..
        })) => {
            eprintln!(
                "error: the store in {path} is in use, probably by a running playbook server: \
                 stop it first; nothing was copied"
            );
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    print!("{}", crate::store::migrate::report(&checks));
    let records: u64 = checks.iter().map(|c| c.records).sum();
    if checks.iter().all(crate::store::migrate::TreeCheck::matches) {
        println!(
            "copied and verified {records} records in {} trees in {:.1?}; each node rebuilds \
             its search index from the new store at its first start",
            checks.len(),
            started.elapsed()
        );
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "error: the copy differs from the source (see the trees marked NO above); do not \
             use it"
        );
        ExitCode::FAILURE
    }
}

fn eval_search(args: &EvalSearchArgs) -> ExitCode {
    let run = || -> anyhow::Result<crate::app::relevance::Report> {
        let text = std::fs::read_to_string(&args.judged)
            .map_err(|e| anyhow::anyhow!("{}: {e}", args.judged.display()))?;
        let judged = crate::app::relevance::parse_judged(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", args.judged.display()))?;
        let work = tempfile::tempdir()?;
        let config = Config {
            data_dir: work.path().to_path_buf(),
            content_dir: args.content_dir.content_dir.clone(),
            ..Config::default()
        };
        let store = crate::store::Store::open(&config.store_dir())?;
        let library = crate::startup::open_library(&config, store)?;
        Ok(crate::app::relevance::evaluate(&library, &judged)?)
    };
    match run() {
        Ok(report) => {
            println!("{}", report.to_text());
            if report.success_at_3 < args.min_success || report.mrr_at_10 < args.min_mrr {
                eprintln!(
                    "below the levels asked for (success@3 ≥ {}, MRR@10 ≥ {})",
                    args.min_success, args.min_mrr
                );
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn check(content_dir: &std::path::Path) -> ExitCode {
    match crate::app::content_loader::load_dir(content_dir) {
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
        Ok(report) => {
            for problem in &report.problems {
                eprintln!("{problem}");
            }
            let counts = crate::domain::content::count_by_kind(&report.items);
            let counts: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
            let summary = format!(
                "{}: {} valid items ({}), {} problems",
                content_dir.display(),
                report.items.len(),
                counts.join(", "),
                report.problems.len(),
            );
            if report.problems.is_empty() {
                println!("{summary}");
                ExitCode::SUCCESS
            } else {
                eprintln!("{summary}");
                ExitCode::FAILURE
            }
        }
    }
}
