//! The SQL of zhengshu's storage, written once: [`SqlStore`] implements
//! [`zhengshu_storage::Storage`] for any engine that sqlx drives and that a
//! [`Dialect`] describes. Statements use numbered `$n` parameters, which
//! SQLite and PostgreSQL both take, and store days as `YYYY-MM-DD` text and
//! times as Unix milliseconds. What truly differs between the engines —
//! connecting, migrations, how a write transaction excludes others, the
//! row locks of the job queue, date columns, unique-constraint names, the
//! dump and bulk insertion — is the dialect's, in the backend crates
//! `zhengshu-storage-sqlite` and `zhengshu-storage-postgres`.
//!
//! Every generic `impl` here carries the same `where` clause: what the code
//! needs of the engine's sqlx types (executors, and which Rust types bind
//! and decode). It is spelled out per `impl` because Rust does not carry
//! such bounds through a trait; both engines meet it as they are.
#![forbid(unsafe_code)]

mod annotations;
mod audit;
mod codes;
mod documents;
mod identity;
mod import;
pub mod rows;
mod staff;
mod store;
mod verifications;

use std::collections::HashSet;

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::{Database, Pool, Transaction};
use zhengshu_domain::NewCertificate;
use zhengshu_storage::{AuditHeadSink, Conflict, IdVault, Result, StorageError};

pub use import::SqlImport;

pub use audit::Tamper;
pub(crate) use audit::{Appended, insert_audit};

/// An engine's connection, as its transactions and executors see it.
pub type Conn<D> = <<D as Dialect>::Db as Database>::Connection;

/// What one database engine does its own way. Implemented by a marker type
/// in each backend crate; everything else is [`SqlStore`]'s.
#[async_trait]
pub trait Dialect: Send + Sync + Sized + std::fmt::Debug + 'static {
    /// The sqlx database.
    type Db: Database;
    /// How an import writes its batches.
    type Bulk: BulkInsert<Self>;

    /// `sqlite` or `postgres`.
    const NAME: &'static str;
    /// `SELECT` of a [`rows::CertificateRow`] from `certificates c` joined
    /// to `qualification_types q` and `issuing_bodies b`, up to its `WHERE`.
    const CERTIFICATE_SELECT: &'static str;
    /// Locks certificate `$1` inside a write transaction, when
    /// [`Dialect::begin_write`] does not already keep other writers out.
    const LOCK_CERTIFICATE: Option<&'static str>;
    /// Locks throttling key `$1` until the end of a write transaction, when
    /// [`Dialect::begin_write`] does not already keep other writers out.
    const LOCK_THROTTLE_KEY: Option<&'static str>;
    /// Appended to the sub-select that picks the job to claim, so that
    /// workers claiming at once pick different jobs.
    const SKIP_LOCKED: &'static str;
    /// Appended to a [`Dialect::CERTIFICATE_SELECT`] that is about to be
    /// updated in the same transaction.
    const LOCK_SELECTED: &'static str;
    /// Appended to a parameter written into a date column.
    const DATE_PARAM: &'static str;
    /// The year of the certificate's issue date `c.issue_date`, as an SQL
    /// integer expression.
    const ISSUE_YEAR: &'static str;

    /// A pool connected to `url`.
    async fn connect(url: &str) -> Result<Pool<Self::Db>>;
    /// Applies the engine's embedded migrations.
    async fn migrate(pool: &Pool<Self::Db>) -> Result<()>;
    /// A transaction for the writes that must run one at a time per
    /// certificate or per job.
    async fn begin_write(pool: &Pool<Self::Db>) -> Result<Transaction<'static, Self::Db>>;
    /// A deterministic text dump of every table.
    async fn dump(pool: &Pool<Self::Db>) -> Result<String>;
    /// Which uniqueness rule a unique violation broke.
    fn conflict(e: &dyn sqlx::error::DatabaseError) -> Conflict;
    /// Rows a statement changed.
    fn rows_affected(done: &<Self::Db as Database>::QueryResult) -> u64;
}

/// How an engine inserts an import's batches of certificates.
#[async_trait]
pub trait BulkInsert<D: Dialect>: Send + Sized {
    /// Starts with the import's transaction.
    async fn begin(conn: &mut Conn<D>) -> Result<Self>;
    /// Inserts the rows whose number is new; answers the numbers inserted.
    async fn insert(
        &mut self,
        conn: &mut Conn<D>,
        rows: &[NewCertificate],
        vault: &IdVault,
        at: Timestamp,
    ) -> Result<HashSet<String>>;
    /// Runs just before the import commits.
    async fn finish(&mut self, conn: &mut Conn<D>) -> Result<()>;
}

/// The store of every SQL engine.
#[derive(Debug, Clone)]
pub struct SqlStore<D: Dialect> {
    pool: Pool<D::Db>,
    vault: IdVault,
    sink: Option<std::sync::Arc<dyn AuditHeadSink>>,
}

impl<D: Dialect> SqlStore<D> {
    /// Connects to `url` (the dialect's scheme).
    pub async fn connect(url: &str, vault: IdVault) -> Result<Self> {
        Ok(Self {
            pool: D::connect(url).await?,
            vault,
            sink: None,
        })
    }

    /// Reports every committed head of the audit chain to `sink`.
    pub fn with_audit_sink(mut self, sink: std::sync::Arc<dyn AuditHeadSink>) -> Self {
        self.sink = Some(sink);
        self
    }

    pub fn pool(&self) -> &Pool<D::Db> {
        &self.pool
    }
}

/// Maps an sqlx error: no row is [`StorageError::NotFound`], a unique
/// violation the dialect's [`Conflict`], anything else opaque.
pub fn map_err<D: Dialect>(e: sqlx::Error) -> StorageError {
    match &e {
        sqlx::Error::RowNotFound => StorageError::NotFound,
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StorageError::Conflict(D::conflict(db.as_ref()))
        }
        _ => StorageError::other(e),
    }
}
