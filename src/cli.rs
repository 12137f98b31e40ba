//! The `playbook` command line: `serve` (the default), `check`, `import accounts`,
//! `demo accounts`.
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
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// Import customer accounts from a CSV export (UTF-8 or GB18030, English or Chinese
    /// headers). Exit status: 0 every row imported, 1 some rows rejected (the others are
    /// stored), 2 nothing imported (unreadable file, bad header, store in use).
    Accounts(ImportAccountsArgs),
}

#[derive(Debug, Args)]
struct ImportAccountsArgs {
    /// The CSV file.
    file: PathBuf,
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
    #[arg(long, default_value_t = crate::demo::DEFAULT_COUNT)]
    count: usize,
    /// Seed of the generator: the same seed gives the same file.
    #[arg(long, default_value_t = crate::demo::DEFAULT_SEED)]
    seed: u64,
}

#[derive(Debug, Args)]
struct DataDirArg {
    /// Directory of the store and the search index.
    #[arg(long, env = "PLAYBOOK_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    data_dir: PathBuf,
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
}

impl ServeArgs {
    fn into_config(self) -> Config {
        Config {
            addr: self.addr,
            data_dir: self.data_dir.data_dir,
            content_dir: self.content_dir.content_dir,
            workers: self.workers,
            demo: self.demo,
            max_import_bytes: self.max_import_mb.saturating_mul(1024 * 1024),
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
        Some(Command::Import(ImportCommand::Accounts(args))) => {
            import_accounts(&args.file, &args.data_dir.data_dir)
        }
        Some(Command::Demo(DemoCommand::Accounts(args))) => {
            print!("{}", crate::demo::accounts_csv(args.count, args.seed));
            ExitCode::SUCCESS
        }
    }
}

/// `playbook import accounts FILE`: streams the file into the store with a progress bar,
/// prints every rejected row as it is found and a summary at the end.
fn import_accounts(file: &std::path::Path, data_dir: &std::path::Path) -> ExitCode {
    use indicatif::{ProgressBar, ProgressStyle};

    let nothing_imported = ExitCode::from(2);
    let input = match std::fs::File::open(file) {
        Ok(input) => input,
        Err(e) => {
            eprintln!("error: cannot open {}: {e}", file.display());
            return nothing_imported;
        }
    };
    let config = Config {
        data_dir: data_dir.to_owned(),
        ..Config::default()
    };
    if let Err(e) = std::fs::create_dir_all(&config.data_dir) {
        eprintln!("error: cannot create {}: {e}", config.data_dir.display());
        return nothing_imported;
    }
    let store = match crate::store::Store::open(&config.store_dir()) {
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
    let book = match crate::accounts::AccountBook::open(store) {
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
    let result = book.import_csv(progress.wrap_read(input), "import", &mut print_error);
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
        data_dir: args.data_dir.data_dir,
        content_dir: args.content_dir.content_dir,
        ..Config::default()
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

fn check(content_dir: &std::path::Path) -> ExitCode {
    match crate::content::load_dir(content_dir) {
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
