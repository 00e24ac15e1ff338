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
mod cache;
mod certificates;
mod codes;
mod documents;
mod hot;
mod identity;
mod import;
mod readers;
mod reference;
pub mod rows;
mod staff;
mod store;
mod support;
mod uploads;
mod verifications;
mod verify_index;

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
    /// Connections held for the hot point reads, out of the pool's.
    const READERS: usize;
    /// Run in an application's transaction to announce its job to the
    /// workers of every process at commit, where the engine can.
    const ANNOUNCE_JOB: Option<&'static str>;
    /// Run in a transaction whose commit need not wait for the disk (what
    /// it writes may be lost in a crash of the machine, never half of it),
    /// where the engine can tell.
    const LAZY_COMMIT: Option<&'static str>;
    /// Rows per transaction of an import (`import.rs`).
    const IMPORT_BATCH: usize;
    /// Run on a connection that writes in bulk before it writes: an
    /// import's (closed after the import, never handed to anyone else)
    /// and the recorder's of verifications (held for the store's life;
    /// run before each batch, so that a fresh connection gets it too).
    const BULK_SETUP: Option<&'static str>;
    /// Where writers wait for one another: a statement whose answer
    /// changes when another connection has committed since this one last
    /// asked. An import that sees it change gives way (`import.rs`).
    const DATA_VERSION: Option<&'static str>;
    /// How long a cached hot read is served (`cache.rs`): short where other
    /// processes' writes are not announced, a safety net where they are.
    const CACHE_TTL: std::time::Duration;

    /// A pool connected to `url`.
    async fn connect(url: &str) -> Result<Pool<Self::Db>>;
    /// Applies the engine's embedded migrations.
    async fn migrate(pool: &Pool<Self::Db>) -> Result<()>;
    /// A transaction for the writes that must run one at a time per
    /// certificate or per job.
    async fn begin_write(pool: &Pool<Self::Db>) -> Result<Transaction<'static, Self::Db>>;
    /// A deterministic text dump of every table.
    async fn dump(pool: &Pool<Self::Db>) -> Result<String>;
    /// Calls `heard` from a task of its own with what is announced on
    /// `channel` (jobs: [`Dialect::ANNOUNCE_JOB`]; changes: the triggers
    /// of migration 0015), once listening starts and after every loss of
    /// the connection; `false` when the engine does not announce.
    async fn listen(pool: &Pool<Self::Db>, channel: &'static str, heard: Heard) -> Result<bool>;
    /// Which uniqueness rule a unique violation broke.
    fn conflict(e: &dyn sqlx::error::DatabaseError) -> Conflict;
    /// Rows a statement changed.
    fn rows_affected(done: &<Self::Db as Database>::QueryResult) -> u64;
    /// Whether an error says the database was busy (locked past the busy
    /// timeout), as opposed to a fault.
    fn busy(e: &dyn sqlx::error::DatabaseError) -> bool;

    /// [`Dialect::begin_write`] on a connection an import holds.
    async fn begin_write_on(conn: &mut Conn<Self>) -> Result<Transaction<'_, Self::Db>>;
    /// Who runs an import on `conn`, recorded on its batch: what
    /// [`Dialect::import_owner_alive`] checks when another import finds the
    /// batch unpublished.
    async fn import_owner(conn: &mut Conn<Self>) -> Result<String>;
    /// Whether the import recorded as `owner` can still be running; a batch
    /// whose owner is gone (a process killed) is abandoned.
    async fn import_owner_alive(conn: &mut Conn<Self>, owner: &str) -> Result<bool>;
    /// Starts what helps an import on a connection of its own while the
    /// import writes, until `stop` fires or is dropped; by default nothing.
    fn import_companion(pool: &Pool<Self::Db>, stop: tokio::sync::oneshot::Receiver<()>) {
        let _ = (pool, stop);
    }
}

/// What a listener hears: [`Dialect::listen`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Announcement<'a> {
    /// Listening (again): anything announced before may have been missed.
    Listening,
    /// The connection was lost: announcements are missed until
    /// [`Announcement::Listening`].
    Lost,
    /// One announcement's payload.
    Heard(&'a str),
}

/// The callback of [`Dialect::listen`].
pub type Heard = std::sync::Arc<dyn Fn(Announcement<'_>) + Send + Sync>;

/// How an engine inserts an import's batches of certificates, each in a
/// short write transaction of its own, the rows tagged with the import's
/// batch so that readers ([`VISIBLE`]) skip them until it is published.
#[async_trait]
pub trait BulkInsert<D: Dialect>: Send + Sized + Default {
    /// Inserts the rows whose number is new, tagged with `batch`; answers
    /// the numbers inserted.
    async fn insert(
        &mut self,
        conn: &mut Conn<D>,
        rows: &[NewCertificate],
        vault: &IdVault,
        at: Timestamp,
        batch: i64,
    ) -> Result<HashSet<String>>;
}

/// The condition on `certificates c` that every read of certificates
/// carries: rows of an import that is not published are not there yet.
pub const VISIBLE: &str = "(c.import_batch IS NULL OR c.import_batch IN \
     (SELECT ib.id FROM import_batches ib WHERE ib.state = 'published'))";

/// [`Dialect::CERTIFICATE_SELECT`] of the visible certificates that meet
/// `condition` (which may go on with `ORDER BY` or a lock).
pub(crate) fn certificate_where<D: Dialect>(condition: &str) -> String {
    format!("{}WHERE {VISIBLE} AND {condition}", D::CERTIFICATE_SELECT)
}

/// The store of every SQL engine.
#[derive(Debug)]
pub struct SqlStore<D: Dialect> {
    pool: Pool<D::Db>,
    /// Held connections for the hot point reads.
    readers: readers::Readers<D::Db>,
    /// The held connection that records verifications.
    recorder: readers::Readers<D::Db>,
    vault: IdVault,
    sink: Option<std::sync::Arc<dyn AuditHeadSink>>,
    /// The hot reads kept in memory once asked ([`cache`]).
    cache: std::sync::Arc<cache::Cache>,
}

impl<D: Dialect> Clone for SqlStore<D> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            readers: self.readers.clone(),
            recorder: self.recorder.clone(),
            vault: self.vault.clone(),
            sink: self.sink.clone(),
            cache: self.cache.clone(),
        }
    }
}

impl<D: Dialect> SqlStore<D> {
    /// Connects to `url` (the dialect's scheme).
    pub async fn connect(url: &str, vault: IdVault) -> Result<Self> {
        Ok(Self {
            pool: D::connect(url).await?,
            readers: readers::Readers::new(D::READERS),
            recorder: readers::Readers::new(1),
            vault,
            sink: None,
            cache: Default::default(),
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

    /// A held connection for a hot point read ([`readers`]).
    async fn reader(&self) -> Result<readers::Reader<'_, D::Db>> {
        self.readers.get(&self.pool).await.map_err(map_err::<D>)
    }
}

/// Maps an sqlx error: no row is [`StorageError::NotFound`], a unique
/// violation the dialect's [`Conflict`], a database still locked after its
/// busy timeout or a pool with no connection free [`StorageError::Busy`],
/// anything else opaque.
pub fn map_err<D: Dialect>(e: sqlx::Error) -> StorageError {
    match &e {
        sqlx::Error::RowNotFound => StorageError::NotFound,
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StorageError::Conflict(D::conflict(db.as_ref()))
        }
        sqlx::Error::Database(db) if D::busy(db.as_ref()) => StorageError::Busy,
        sqlx::Error::PoolTimedOut => StorageError::Busy,
        _ => StorageError::other(e),
    }
}
