//! The PostgreSQL backend of [`zhengshu_storage::Storage`], the scale-out
//! engine: several `serve` and `worker` processes share one database.
//! Migrations are embedded from `migrations/`. The statements are
//! `zhengshu-storage-sql`'s; this crate is the [`PgDialect`]: how to connect,
//! that an application locks its certificate's row (`FOR UPDATE`) so that
//! applications for one certificate run one after the other while others go
//! on in parallel, that workers claim jobs with `FOR UPDATE SKIP LOCKED`,
//! date columns, unique violations by constraint name, the dump, bulk
//! insertion with `COPY`, who runs an import (its server process), and
//! `TCP_NODELAY` on the connections (`nodelay.rs`).
#![forbid(unsafe_code)]

pub mod backup;
mod import;
mod nodelay;
pub mod testing;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions, PgQueryResult};
// Dynamic SQL here is assembled from constants and table names read from
// the catalogue, never from input; `AssertSqlSafe` records that.
use sqlx::{AssertSqlSafe, PgPool, Postgres, Transaction};
use zhengshu_storage::{Conflict, Result, StorageError};
use zhengshu_storage_sql::{Announcement, Dialect, Heard, SqlStore, map_err};

/// A connection listening on `channel`.
async fn subscribe(pool: &PgPool, channel: &str) -> Result<sqlx::postgres::PgListener> {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool)
        .await
        .map_err(map_err::<PgDialect>)?;
    listener
        .listen(channel)
        .await
        .map_err(map_err::<PgDialect>)?;
    Ok(listener)
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The PostgreSQL store.
pub type PgStore = SqlStore<PgDialect>;

/// What PostgreSQL does its own way.
#[derive(Debug, Clone, Copy)]
pub struct PgDialect;

#[async_trait]
impl Dialect for PgDialect {
    type Db = Postgres;
    type Bulk = import::PgBulk;

    const NAME: &'static str = "postgres";
    /// Dates are `DATE` columns, rendered as text.
    const CERTIFICATE_SELECT: &'static str = "SELECT c.id, c.number, c.management_number, \
         c.name, c.sex, to_char(c.birth_date, 'YYYY-MM-DD') AS birth_date, c.id_type, \
         c.id_cipher, c.qualification_code, c.category, c.specialty, c.level, \
         to_char(c.approval_date, 'YYYY-MM-DD') AS approval_date, \
         to_char(c.issue_date, 'YYYY-MM-DD') AS issue_date, c.photo, c.phone_cipher, \
         c.email_cipher, c.revoked_at_ms, \
         c.revocation_reason, q.name AS qualification_name, b.code AS body_code, \
         b.name AS body_name, b.exempt_before_cutover \
         FROM certificates c JOIN qualification_types q ON q.code = c.qualification_code \
         JOIN issuing_bodies b ON b.code = q.body_code ";
    const LOCK_CERTIFICATE: Option<&'static str> =
        Some("SELECT id FROM certificates WHERE id = $1 FOR UPDATE");
    const SKIP_LOCKED: &'static str = "FOR UPDATE SKIP LOCKED";
    const LOCK_SELECTED: &'static str = "FOR UPDATE OF c";
    const LOCK_THROTTLE_KEY: Option<&'static str> =
        Some("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))");
    const DATE_PARAM: &'static str = "::date";
    const ISSUE_YEAR: &'static str = "CAST(EXTRACT(YEAR FROM c.issue_date) AS INTEGER)";
    const READERS: usize = 8;
    /// Delivered to every listening process when the application commits.
    const ANNOUNCE_JOB: Option<&'static str> = Some("SELECT pg_notify('zhengshu_jobs', '')");
    const LAZY_COMMIT: Option<&'static str> = Some("SET LOCAL synchronous_commit = off");
    /// Readers never wait for a writer here: batches can be larger, and
    /// cost fewer round trips and commits.
    const IMPORT_BATCH: usize = 5000;
    const BULK_SETUP: Option<&'static str> = None;
    // Writers of different rows never wait for one another.
    const DATA_VERSION: Option<&'static str> = None;
    /// Other processes' writes are announced by the triggers of migration
    /// 0015; the time to live only bounds a fault nothing reported.
    const CACHE_TTL: Duration = Duration::from_secs(30);

    /// Connects to a `postgres://` URL.
    async fn connect(url: &str) -> Result<PgPool> {
        let options = PgConnectOptions::from_str(url).map_err(StorageError::other)?;
        let server = nodelay::server_addresses(options.get_host(), options.get_port());
        // No ping before each query (the pool's default doubles the round
        // trips of a look-up); a connection the server dropped fails one
        // statement, is discarded, and the pool opens a new one.
        PgPoolOptions::new()
            .max_connections(24)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |_, _| {
                nodelay::set_on_sockets_to(&server);
                Box::pin(async { Ok(()) })
            })
            .connect_with(options)
            .await
            .map_err(map_err::<Self>)
    }

    async fn migrate(pool: &PgPool) -> Result<()> {
        MIGRATOR.run(pool).await.map_err(StorageError::other)
    }

    async fn begin_write(pool: &PgPool) -> Result<Transaction<'static, Postgres>> {
        pool.begin().await.map_err(map_err::<Self>)
    }

    /// A `LISTEN zhengshu_jobs` connection of its own, read by a task for
    /// as long as the process runs. sqlx reconnects a lost listener; the
    /// workers are woken after a reconnection too, since announcements
    /// may have been missed meanwhile.
    async fn listen(pool: &PgPool, channel: &'static str, heard: Heard) -> Result<bool> {
        let mut listener = subscribe(pool, channel).await?;
        heard(Announcement::Listening);
        let pool = pool.clone();
        tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(n)) => heard(Announcement::Heard(n.payload())),
                    // The connection was lost (`None`) or failed: listen
                    // again on a fresh one, saying so before and after.
                    lost => {
                        if let Err(e) = lost {
                            tracing::warn!(channel, error = %e, "announcements: listener failed");
                        }
                        heard(Announcement::Lost);
                        listener = loop {
                            if pool.is_closed() {
                                return;
                            }
                            match subscribe(&pool, channel).await {
                                Ok(l) => break l,
                                Err(e) => {
                                    tracing::warn!(channel, error = %e, "announcements: retrying");
                                    tokio::time::sleep(Duration::from_secs(1)).await;
                                }
                            }
                        };
                        heard(Announcement::Listening);
                    }
                }
            }
        });
        Ok(true)
    }

    async fn dump(pool: &PgPool) -> Result<String> {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
             AND table_name NOT LIKE '\\_sqlx%' ORDER BY table_name",
        )
        .fetch_all(pool)
        .await
        .map_err(map_err::<Self>)?;
        let mut out = String::new();
        for t in tables {
            out.push_str(&format!("== {t}\n"));
            let rows: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT t::text FROM \"{t}\" t ORDER BY 1"
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

    fn conflict(e: &dyn sqlx::error::DatabaseError) -> Conflict {
        match e.constraint() {
            Some("holders_username_key" | "staff_username_key") => Conflict::Username,
            Some("holders_proven_id_index_key") => Conflict::IdDocument,
            Some("certificates_number_key") => Conflict::CertificateNumber,
            Some("terms_acceptances_pkey") => Conflict::TermsAccepted,
            other => Conflict::Other(other.unwrap_or("unknown").to_owned()),
        }
    }

    fn rows_affected(done: &PgQueryResult) -> u64 {
        done.rows_affected()
    }

    /// `lock_not_available`, `too_many_connections`, `query_canceled` (a
    /// statement or lock timeout).
    fn busy(e: &dyn sqlx::error::DatabaseError) -> bool {
        matches!(e.code().as_deref(), Some("55P03" | "53300" | "57014"))
    }

    async fn begin_write_on(conn: &mut PgConnection) -> Result<Transaction<'_, Postgres>> {
        sqlx::Connection::begin(conn).await.map_err(map_err::<Self>)
    }

    /// The server process of the import's connection, as `PID/START`: it
    /// ends when the importing process dies and its connection closes.
    async fn import_owner(conn: &mut PgConnection) -> Result<String> {
        sqlx::query_scalar(
            "SELECT pid::text || '/' || extract(epoch FROM backend_start)::text              FROM pg_stat_activity WHERE pid = pg_backend_pid()",
        )
        .fetch_one(conn)
        .await
        .map_err(map_err::<Self>)
    }

    async fn import_owner_alive(conn: &mut PgConnection, owner: &str) -> Result<bool> {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity              WHERE pid::text || '/' || extract(epoch FROM backend_start)::text = $1)",
        )
        .bind(owner)
        .fetch_one(conn)
        .await
        .map_err(map_err::<Self>)
    }
}
