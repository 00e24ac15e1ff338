//! The `zhengshu` command line (API.md): parses arguments, builds the typed
//! configuration (defaults → `zhengshu.toml` → `ZHENGSHU_*` environment →
//! flags), opens the storage backend the database URL names, and runs one
//! subcommand. Exit codes: 0 success, 1 input rejected, 2 usage,
//! configuration or environment error.
#![forbid(unsafe_code)]

mod cli;
pub mod config;
mod document;
mod import;
mod secrets;
mod serve;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use zhengshu_storage::{IdVault, Storage};

pub use cli::Cli;
use config::Config;

/// A failure and the exit code it deserves.
#[derive(Debug)]
pub enum Failure {
    /// 1: the input was refused (the report has been printed).
    Rejected,
    /// 2: usage, configuration or environment; the message says what to do.
    Setup(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Setup(e.into())
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(&cli) {
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

/// Opens the database the configuration names: `sqlite://…` or
/// `postgres://…`.
pub async fn open_storage(config: &Config) -> Result<Arc<dyn Storage>, Failure> {
    let keys = secrets::load_or_create(config)?;
    let vault = IdVault::new(&keys.vault);
    let url = config.database_url();
    let storage: Arc<dyn Storage> = if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            anyhow::anyhow!(
                "cannot create the data directory {}: {e}",
                config.data_dir.display()
            )
        })?;
        Arc::new(
            zhengshu_storage_sqlite::SqliteStore::connect(&url, vault)
                .await
                .map_err(|e| anyhow::anyhow!("cannot open the SQLite database {url}: {e}"))?,
        )
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Arc::new(zhengshu_storage_postgres::PgStore::connect(&url, vault).await.map_err(|e| {
            anyhow::anyhow!(
                "cannot connect to PostgreSQL at {}: {e}; is the server running and the URL right?",
                config::redact_url(&url)
            )
        })?)
    } else {
        return Err(anyhow::anyhow!(
            "unsupported database URL {:?}: use sqlite://FILE or postgres://USER@HOST/DB",
            config::redact_url(&url)
        )
        .into());
    };
    Ok(storage)
}
