//! The `playbook` command line: `serve` (the default), `check`.
//!
//! Every flag has a `PLAYBOOK_…` environment variable; this module turns them into a
//! [`Config`] and hands over to `crate::startup` or the content loader.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{Config, DEFAULT_ADDR, DEFAULT_CONTENT_DIR, DEFAULT_DATA_DIR};

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
}

impl ServeArgs {
    fn into_config(self) -> Config {
        Config {
            addr: self.addr,
            data_dir: self.data_dir.data_dir,
            content_dir: self.content_dir.content_dir,
            workers: self.workers,
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
