//! Arguments (clap) and the dispatch to each subcommand. The flags that
//! configuration cares about become [`Overrides`]; each subcommand's own
//! arguments are defined next to the subcommand.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use jiff::Timestamp;

use crate::Failure;
use crate::accounts::{AuditCommand, OperatorCommand, StaffCommand};
use crate::config::{Config, Overrides};
use crate::document::{KeysCommand, RenderArgs};
use crate::import::ImportArgs;
use crate::operations::{BackupArgs, RestoreArgs};
use crate::serve::{ServeArgs, WorkerArgs};
use crate::storage::open_storage;
use crate::verify::VerifyArgs;

#[derive(Debug, Parser)]
#[command(
    name = "zhengshu",
    version,
    about = "Professional qualification e-certificates"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options valid before or after any subcommand.
#[derive(Debug, Clone, Args, Default)]
pub struct GlobalArgs {
    /// Data directory: database file, keys, generated documents [default: ./data]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL [default: sqlite://<data-dir>/zhengshu.db]
    #[arg(long, global = true, value_name = "URL")]
    pub db: Option<String>,
    /// Configuration file [default: <data-dir>/zhengshu.toml]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve pages and the API
    Serve(ServeArgs),
    /// Apply the database migrations
    Migrate,
    /// Bulk import the certificates of one issuing body from a CSV file
    Import(ImportArgs),
    /// Load the demo data (whatever of it is absent)
    Demo,
    /// Print the effective configuration, secrets redacted
    Config,
    /// Seal keys and certificates
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Render the signed PDF of a certificate
    Render(RenderArgs),
    /// Verify an e-certificate file: each check, offline or with --online
    Verify(VerifyArgs),
    /// Generate annotation documents only (scale-out: several processes
    /// share one PostgreSQL database)
    Worker(WorkerArgs),
    /// Issuing-body staff accounts
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// Platform operator accounts
    Operator {
        #[command(subcommand)]
        command: OperatorCommand,
    },
    /// The tamper-evident audit log
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Copy the database (while serving), secrets, seal keys and photos
    /// into a new folder
    Backup(BackupArgs),
    /// Restore a backup into an empty data directory (PostgreSQL: and an
    /// empty database), then check it
    Restore(RestoreArgs),
    /// Check that the database, the keys and the secrets belong together
    Check,
}

impl Cli {
    /// The flags that override the file and the environment.
    pub fn overrides(&self) -> Overrides {
        let (addr, demo) = match &self.command {
            Command::Serve(s) => (s.addr, s.demo),
            _ => (None, false),
        };
        Overrides {
            data_dir: self.global.data_dir.clone(),
            db: self.global.db.clone(),
            config_file: self.global.config.clone(),
            addr,
            demo,
        }
    }
}

pub async fn run(cli: Cli, config: Config) -> Result<(), Failure> {
    match cli.command {
        Command::Config => {
            print!("{}", config.to_redacted_toml()?);
            Ok(())
        }
        Command::Migrate => {
            let storage = open_storage(&config).await?;
            storage.migrate().await?;
            println!("migrations applied ({})", storage.backend());
            Ok(())
        }
        Command::Demo => {
            let storage = open_storage(&config).await?;
            let loaded = zhengshu_demo::load(&*storage, Timestamp::now()).await?;
            println!(
                "demo data: {} certificates and {} holders added; {} certificates in all",
                loaded.certificates,
                loaded.holders,
                storage.count_certificates().await?
            );
            Ok(())
        }
        Command::Import(args) => crate::import::run(&config, args).await,
        Command::Serve(_) => crate::serve::run(config).await,
        Command::Keys { command } => crate::document::keys_command(&config, command).await,
        Command::Render(args) => crate::document::render_command(&config, args).await,
        Command::Worker(args) => crate::serve::worker_command(config, args).await,
        Command::Verify(args) => crate::verify::run(&config, args).await,
        Command::Staff { command } => crate::accounts::staff_command(&config, command).await,
        Command::Operator { command } => crate::accounts::operator_command(&config, command).await,
        Command::Audit { command } => crate::accounts::audit_command(&config, command).await,
        Command::Backup(args) => crate::operations::backup(&config, args).await,
        Command::Restore(args) => crate::operations::restore(&config, args).await,
        Command::Check => crate::operations::check(&config).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_go_before_or_after_the_subcommand() {
        let a = Cli::try_parse_from(["zhengshu", "--db", "sqlite://x.db", "migrate"]).unwrap();
        let b = Cli::try_parse_from(["zhengshu", "migrate", "--db", "sqlite://x.db"]).unwrap();
        assert_eq!(a.global.db, b.global.db);
        assert_eq!(a.global.db.as_deref(), Some("sqlite://x.db"));
    }

    #[test]
    fn flags_become_overrides() {
        let cli = Cli::try_parse_from([
            "zhengshu",
            "--data-dir",
            "d",
            "serve",
            "--addr",
            "127.0.0.1:9100",
            "--demo",
            "--config",
            "c.toml",
            "--db",
            "sqlite://x.db",
        ])
        .unwrap();
        assert_eq!(
            cli.overrides(),
            Overrides {
                data_dir: Some("d".into()),
                db: Some("sqlite://x.db".into()),
                config_file: Some("c.toml".into()),
                addr: Some("127.0.0.1:9100".parse().unwrap()),
                demo: true,
            }
        );
        let cli = Cli::try_parse_from(["zhengshu", "config"]).unwrap();
        assert_eq!(cli.overrides(), Overrides::default());
    }
}
