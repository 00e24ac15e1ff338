//! The `zhengshu` command line (its subcommands are in the README): parses
//! arguments, builds the typed configuration (defaults → `zhengshu.toml` →
//! `ZHENGSHU_*` environment → flags), opens the storage backend the
//! database URL names, and runs one subcommand. Exit codes: 0 success,
//! 1 input rejected, 2 usage, configuration or environment error, 3 a
//! verification that could not be completed (`verify` offline).
//!
//! Each module uses only those after it: `cli` (arguments, dispatch) →
//! `accounts` (`staff`, `operator`, `audit verify`) → `operations`
//! (`backup`, `restore`, `check`) → `serve` (also `worker`) → `import` →
//! `verify` → `document` (`keys`, `render`, and the renderer `serve`
//! uses) → `binding` (the keys' fingerprints on record) → `storage`
//! (opens the database, walks the audit chain) →
//! `secrets` → `config` (which receives the flags as plain
//! [`config::Overrides`]); `files` (the data directory kept private) is
//! used by `storage`, `secrets` and `operations`.
//! [`Failure`] lives here and is used by all.
#![forbid(unsafe_code)]

mod accounts;
mod binding;
mod cli;
pub mod config;
mod document;
mod files;
mod import;
mod operations;
mod secrets;
mod serve;
mod storage;
mod verify;

use std::process::ExitCode;

use clap::Parser;

pub use cli::Cli;
use config::Config;
pub use storage::open_storage;

/// A failure and the exit code it deserves.
#[derive(Debug)]
pub enum Failure {
    /// 1: the input was refused (the report has been printed).
    Rejected,
    /// 2: usage, configuration or environment; the message says what to do.
    Setup(anyhow::Error),
    /// 3: a verification that could not be completed (offline status).
    Indeterminate,
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Setup(e.into())
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(&cli.overrides()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("zhengshu: {e:#}");
            return ExitCode::from(2);
        }
    };
    init_tracing(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("zhengshu: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(cli::run(cli, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Rejected) => ExitCode::from(1),
        Err(Failure::Indeterminate) => ExitCode::from(3),
        Err(Failure::Setup(e)) => {
            eprintln!("zhengshu: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn init_tracing(config: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&config.log.filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if config.log.format == config::LogFormat::Json {
        builder.json().init();
    } else {
        builder.init();
    }
}
