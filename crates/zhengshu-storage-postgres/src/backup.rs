//! Backup and restore of a PostgreSQL database with PostgreSQL's own tools:
//! `pg_dump` (custom format: one consistent snapshot, taken while the
//! service runs) and `pg_restore` into an empty database, in one
//! transaction. The tools come with the PostgreSQL client (Debian package
//! `postgresql-client`) and must be of the server's major version or newer.
//! A password in the URL reaches them through `PGPASSWORD`, never the
//! command line.

use std::path::Path;
use std::process::Command;

use sqlx::Connection;
use zhengshu_storage::{Result, StorageError};

fn failed(msg: String) -> StorageError {
    StorageError::other(std::io::Error::other(msg))
}

/// `url` without its password, and the password (percent-decoded).
fn split_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, password)) => (
                format!("{scheme}://{user}@{host}{tail}"),
                Some(
                    percent_encoding::percent_decode_str(password)
                        .decode_utf8_lossy()
                        .into_owned(),
                ),
            ),
            None => (url.to_owned(), None),
        },
        None => (url.to_owned(), None),
    }
}

fn run(tool: &str, url: &str, args: &[&std::ffi::OsStr]) -> Result<()> {
    let (url, password) = split_password(url);
    let mut cmd = Command::new(tool);
    cmd.args(args).arg(format!("--dbname={url}"));
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    let out = cmd.output().map_err(|e| {
        failed(format!(
            "cannot run {tool}: {e} (install the PostgreSQL client tools, Debian package postgresql-client)"
        ))
    })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(failed(format!(
            "{tool} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// Dumps the database at `url` into `file` (custom format).
pub async fn dump_to(url: &str, file: &Path) -> Result<()> {
    let (url, file) = (url.to_owned(), file.to_owned());
    tokio::task::spawn_blocking(move || {
        run(
            "pg_dump",
            &url,
            &[
                "--format=custom".as_ref(),
                "--no-owner".as_ref(),
                "--no-privileges".as_ref(),
                "--file".as_ref(),
                file.as_os_str(),
            ],
        )
    })
    .await
    .map_err(|e| failed(format!("the dump task ended abnormally: {e}")))?
}

/// Restores `file` (from [`dump_to`]) into the database at `url`, which
/// must hold no table yet; all or nothing.
pub async fn restore_from(url: &str, file: &Path) -> Result<()> {
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .map_err(|e| failed(format!("cannot connect to the target database: {e}")))?;
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_catalog.pg_tables \
         WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
    )
    .fetch_one(&mut conn)
    .await
    .map_err(|e| failed(format!("cannot read the target database: {e}")))?;
    let _ = conn.close().await;
    if tables > 0 {
        return Err(failed(format!(
            "the target database is not empty ({tables} tables): restore into a new, empty database"
        )));
    }
    let (url, file) = (url.to_owned(), file.to_owned());
    tokio::task::spawn_blocking(move || {
        run(
            "pg_restore",
            &url,
            &[
                "--no-owner".as_ref(),
                "--no-privileges".as_ref(),
                "--exit-on-error".as_ref(),
                "--single-transaction".as_ref(),
                file.as_os_str(),
            ],
        )
    })
    .await
    .map_err(|e| failed(format!("the restore task ended abnormally: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::split_password;

    #[test]
    fn a_password_leaves_the_url() {
        assert_eq!(
            split_password("postgres://u:s3cr%40t@db.example:5432/z?sslmode=require"),
            (
                "postgres://u@db.example:5432/z?sslmode=require".to_owned(),
                Some("s3cr@t".to_owned())
            )
        );
        assert_eq!(
            split_password("postgres://postgres@127.0.0.1:5432/test"),
            ("postgres://postgres@127.0.0.1:5432/test".to_owned(), None)
        );
    }
}
