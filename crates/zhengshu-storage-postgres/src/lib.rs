//! The PostgreSQL backend of [`zhengshu_storage::Storage`], the scale-out
//! engine: several `serve` and `worker` processes share one database.
//! Migrations are embedded from `migrations/`. The statements are
//! `zhengshu-storage-sql`'s; this crate is the [`PgDialect`]: how to connect,
//! that an application locks its certificate's row (`FOR UPDATE`) so that
//! applications for one certificate run one after the other while others go
//! on in parallel, that workers claim jobs with `FOR UPDATE SKIP LOCKED`,
//! date columns, unique violations by constraint name, the dump, and bulk
//! insertion from column arrays.
#![forbid(unsafe_code)]

mod import;
pub mod testing;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgQueryResult};
// Dynamic SQL here is assembled from constants and table names read from
// the catalogue, never from input; `AssertSqlSafe` records that.
use sqlx::{AssertSqlSafe, PgPool, Postgres, Transaction};
use zhengshu_storage::{Conflict, Result, StorageError};
use zhengshu_storage_sql::{Dialect, SqlStore, map_err};

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

    /// Connects to a `postgres://` URL.
    async fn connect(url: &str) -> Result<PgPool> {
        let options = PgConnectOptions::from_str(url).map_err(StorageError::other)?;
        PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
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
}
