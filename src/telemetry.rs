//! Logging: `tracing` to stderr, level from `--log-level` / `PLAYBOOK_LOG` (an env-filter
//! directive such as `info` or `playbook=debug,actix_web=info`).

use tracing_subscriber::EnvFilter;

pub fn init(directive: &str) {
    let filter = EnvFilter::try_new(directive).unwrap_or_else(|e| {
        eprintln!("invalid log level {directive:?} ({e}); using \"info\"");
        EnvFilter::new("info")
    });
    // A second initialisation (tests start many servers in one process) is harmless.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
