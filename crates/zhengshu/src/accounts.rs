//! `zhengshu staff add`, `zhengshu operator add` (each prints a one-time
//! enrolment link) and `zhengshu audit verify`: recomputes the audit
//! chain from its first event, compares its end with the head recorded in
//! the data directory, and exits 1 naming the first broken event.

use clap::{Args, Subcommand};
use jiff::Timestamp;
use zhengshu_domain::{Actor, Role};

use crate::Failure;
use crate::config::Config;
use crate::storage::{open_storage, read_head, verify_chain};

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Invite a member of an issuing body's staff
    Add(StaffAddArgs),
}

#[derive(Debug, Args)]
pub struct StaffAddArgs {
    /// The issuing body's code
    #[arg(long)]
    pub body: String,
    /// admin, officer or auditor
    #[arg(long)]
    pub role: String,
    pub username: String,
}

#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Invite a platform operator
    Add { username: String },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the audit chain; exit 1 naming the first broken event
    Verify,
}

fn cli_actor() -> Actor {
    Actor::Cli(std::env::var("USER").unwrap_or_else(|_| "cli".into()))
}

async fn invite(
    config: &Config,
    username: &str,
    body: Option<&str>,
    role: Role,
) -> Result<(), Failure> {
    let storage = open_storage(config).await?;
    storage.migrate().await?;
    match zhengshu_web::invite_staff(
        &*storage,
        Timestamp::now(),
        username,
        body,
        role,
        &cli_actor(),
        None,
        None,
    )
    .await
    {
        Ok((staff, path)) => {
            println!(
                "{} {} invited; enrolment link (valid 72 hours, use once):",
                staff.role.code(),
                staff.username.as_str()
            );
            println!("{}{path}", config.public_base_url.trim_end_matches('/'));
            Ok(())
        }
        Err(e) => {
            eprintln!("zhengshu: cannot invite {username:?}: {e:?}");
            Err(Failure::Rejected)
        }
    }
}

pub async fn staff_command(config: &Config, command: StaffCommand) -> Result<(), Failure> {
    match command {
        StaffCommand::Add(a) => {
            let role = Role::from_code(&a.role)
                .filter(|r| Role::BODY_ROLES.contains(r))
                .ok_or_else(|| {
                    anyhow::anyhow!("unknown role {:?}: use admin, officer or auditor", a.role)
                })?;
            invite(config, &a.username, Some(&a.body), role).await
        }
    }
}

pub async fn operator_command(config: &Config, command: OperatorCommand) -> Result<(), Failure> {
    match command {
        OperatorCommand::Add { username } => invite(config, &username, None, Role::Operator).await,
    }
}

pub async fn audit_command(config: &Config, command: AuditCommand) -> Result<(), Failure> {
    match command {
        AuditCommand::Verify => {
            let storage = open_storage(config).await?;
            match verify_chain(config, &*storage).await? {
                Ok(head) => {
                    println!(
                        "audit chain intact: {} events, head {}",
                        head.count,
                        zhengshu_domain::audit::to_hex(&head.hash)
                    );
                    if read_head(config)?.is_none() {
                        println!("(no head recorded in the data directory to compare with)");
                    }
                    Ok(())
                }
                Err(b) => {
                    println!("audit chain BROKEN: {b}");
                    Err(Failure::Rejected)
                }
            }
        }
    }
}
