//! The embedded SQLite backend of [`zhengshu_storage::Storage`]: one
//! database file in WAL mode, migrations embedded from `migrations/`. It is
//! the default engine; one process owns the file. The statements are
//! `zhengshu-storage-sql`'s; this crate is the [`SqliteDialect`]: how to
//! connect, that every write transaction takes the write lock up front
//! (`BEGIN IMMEDIATE`, so applications and claims run one at a time), unique
//! violations by the columns SQLite names, the dump, bulk insertion, and
//! who runs an import (this process).
#![forbid(unsafe_code)]

mod import;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions,
    SqliteQueryResult, SqliteSynchronous,
};
// Dynamic SQL here is assembled from constants and table names read from
// the schema, never from input; `AssertSqlSafe` records that.
use sqlx::{AssertSqlSafe, Row, Sqlite, SqlitePool, Transaction};
use zhengshu_storage::{Conflict, Result, StorageError};
use zhengshu_storage_sql::{Dialect, Heard, SqlStore, map_err};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The SQLite store.
pub type SqliteStore = SqlStore<SqliteDialect>;

/// What SQLite does its own way.
#[derive(Debug, Clone, Copy)]
pub struct SqliteDialect;

#[async_trait]
impl Dialect for SqliteDialect {
    type Db = Sqlite;
    type Bulk = import::SqliteBulk;

    const NAME: &'static str = "sqlite";
    const CERTIFICATE_SELECT: &'static str = "SELECT c.id, c.number, c.management_number, \
         c.name, c.sex, c.birth_date, c.id_type, c.id_cipher, c.qualification_code, c.category, \
         c.specialty, c.level, c.approval_date, c.issue_date, c.photo, c.phone_cipher, \
         c.email_cipher, c.revoked_at_ms, \
         c.revocation_reason, q.name AS qualification_name, b.code AS body_code, \
         b.name AS body_name, b.exempt_before_cutover \
         FROM certificates c JOIN qualification_types q ON q.code = c.qualification_code \
         JOIN issuing_bodies b ON b.code = q.body_code ";
    // The write transaction holds the database's write lock already.
    const LOCK_CERTIFICATE: Option<&'static str> = None;
    const SKIP_LOCKED: &'static str = "";
    const LOCK_SELECTED: &'static str = "";
    const LOCK_THROTTLE_KEY: Option<&'static str> = None;
    const DATE_PARAM: &'static str = "";
    /// Dates are `YYYY-MM-DD` text.
    const ISSUE_YEAR: &'static str = "CAST(substr(c.issue_date, 1, 4) AS INTEGER)";
    const READERS: usize = 4;
    // One process owns the file: its workers are woken in-process.
    const ANNOUNCE_JOB: Option<&'static str> = None;
    // `synchronous = NORMAL` already commits without waiting for the disk.
    const LAZY_COMMIT: Option<&'static str> = None;
    /// One writer at a time: a holder's write waits for at most one batch.
    const IMPORT_BATCH: usize = 1000;
    /// Each batch's commit appends the pages it touched to the log; the
    /// [companion](Self::import_companion) copies them back into the
    /// database. The import's own connection checkpoints only should the
    /// log pass 80 MiB. So does the recorder of verifications: each of its
    /// batches touches about one page of the record's index per row, and
    /// a checkpoint after nearly every batch (at SQLite's default of 1,000
    /// pages) copied each page back once per batch, where now it is copied
    /// once for many.
    const BULK_SETUP: Option<&'static str> = Some("PRAGMA wal_autocheckpoint = 20000");
    const DATA_VERSION: Option<&'static str> = Some("PRAGMA data_version");
    // Nothing announces another process's writes (a command such as
    // `zhengshu import` beside the server): a cached read is
    // at most a second old.
    const CACHE_TTL: Duration = Duration::from_secs(1);

    /// Opens (creating if missing) the database at a `sqlite://PATH` URL.
    async fn connect(url: &str) -> Result<SqlitePool> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(StorageError::other)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // 16 MiB of page cache per connection (SQLite's default is
            // 2 MiB): the verification log's indexes, written at random
            // places, and the certificates' stay cached between the
            // recorder's transactions instead of spilling mid-transaction
            // and being read again.
            .pragma("cache_size", "-16384")
            // A statement's journal (a multi-row insert that may fail
            // half-way inside a transaction keeps one) in memory, not in a
            // temporary file written page by page.
            .pragma("temp_store", "memory");
        // A file cannot hang up: no ping before each query (the pool's
        // default), which would cost a trip to the connection's thread.
        SqlitePoolOptions::new()
            .max_connections(12)
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(map_err::<Self>)
    }

    async fn migrate(pool: &SqlitePool) -> Result<()> {
        MIGRATOR.run(pool).await.map_err(StorageError::other)
    }

    async fn begin_write(pool: &SqlitePool) -> Result<Transaction<'static, Sqlite>> {
        pool.begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(map_err::<Self>)
    }

    async fn listen(_: &SqlitePool, _: &'static str, _: Heard) -> Result<bool> {
        Ok(false)
    }

    async fn dump(pool: &SqlitePool) -> Result<String> {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name NOT LIKE '_sqlx%' ORDER BY name",
        )
        .fetch_all(pool)
        .await
        .map_err(map_err::<Self>)?;
        let mut out = String::new();
        for t in tables {
            let cols: Vec<String> =
                sqlx::query(AssertSqlSafe(format!("PRAGMA table_info(\"{t}\")")))
                    .fetch_all(pool)
                    .await
                    .map_err(map_err::<Self>)?
                    .iter()
                    .map(|r| r.get::<String, _>("name"))
                    .collect();
            let expr = cols
                .iter()
                .map(|c| format!("quote(\"{c}\")"))
                .collect::<Vec<_>>()
                .join(" || '|' || ");
            out.push_str(&format!("== {t} ({})\n", cols.join(", ")));
            let rows: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT {expr} FROM \"{t}\" ORDER BY rowid"
            )))
            .fetch_all(pool)
            .await
            .map_err(map_err::<Self>)?;
            for r in rows {
                out.push_str(&r);
                out.push('\n');
            }
        }
        Ok(out)
    }

    /// SQLite names a unique constraint by its columns only.
    fn conflict(e: &dyn sqlx::error::DatabaseError) -> Conflict {
        let m = e.message();
        if m.contains("holders.username") || m.contains("staff.username") {
            Conflict::Username
        } else if m.contains("holders.id_index") {
            Conflict::IdDocument
        } else if m.contains("certificates.number") {
            Conflict::CertificateNumber
        } else if m.contains("terms_acceptances") {
            Conflict::TermsAccepted
        } else {
            Conflict::Other(m.to_owned())
        }
    }

    fn rows_affected(done: &SqliteQueryResult) -> u64 {
        done.rows_affected()
    }

    /// `SQLITE_BUSY` or `SQLITE_LOCKED`, with any extended code.
    fn busy(e: &dyn sqlx::error::DatabaseError) -> bool {
        e.code()
            .and_then(|c| c.parse::<i32>().ok())
            .is_some_and(|c| matches!(c & 0xff, 5 | 6))
    }

    async fn begin_write_on(conn: &mut SqliteConnection) -> Result<Transaction<'_, Sqlite>> {
        sqlx::Connection::begin_with(conn, "BEGIN IMMEDIATE")
            .await
            .map_err(map_err::<Self>)
    }

    async fn import_owner(_conn: &mut SqliteConnection) -> Result<String> {
        Ok(import::owner())
    }

    async fn import_owner_alive(_conn: &mut SqliteConnection, owner: &str) -> Result<bool> {
        Ok(import::owner_alive(owner))
    }

    /// Checkpoints (`PASSIVE`: it waits for no reader or writer) every
    /// 50 ms on a connection of its own while an import writes: the log is
    /// copied back on the other core, beside the import, instead of by
    /// whichever connection commits when the log passes its limit — the
    /// import's, or a holder's request that would then wait for it.
    fn import_companion(pool: &SqlitePool, mut stop: tokio::sync::oneshot::Receiver<()>) {
        let pool = pool.clone();
        tokio::spawn(async move {
            let Ok(mut conn) = pool.acquire().await else {
                return;
            };
            loop {
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&mut *conn)
                    .await
                {
                    tracing::debug!(error = %e, "checkpoint beside an import failed");
                }
                tokio::select! {
                    _ = &mut stop => return,
                    () = tokio::time::sleep(Duration::from_millis(50)) => {}
                }
            }
        });
    }
}

/// Writes a consistent copy of the database to `file`, which must not
/// exist, while the service goes on using it: `VACUUM INTO` reads one
/// snapshot and writes a compact database file (restored by copying it
/// into place).
pub async fn backup_into(store: &SqliteStore, file: &std::path::Path) -> Result<()> {
    let path = file.to_str().ok_or_else(|| {
        StorageError::other(std::io::Error::other(format!(
            "the backup path {} is not UTF-8",
            file.display()
        )))
    })?;
    sqlx::query("VACUUM INTO $1")
        .bind(path)
        .execute(store.pool())
        .await
        .map_err(map_err::<SqliteDialect>)?;
    Ok(())
}
