//! Imports in batches: the service never waits for an import. Each call to
//! [`ImportTx::write`] is one short write transaction of its own: the
//! dialect's [`BulkInsert`](crate::BulkInsert) inserts the new numbers
//! tagged with the import's row in `import_batches` (state `staging`),
//! which every read of certificates skips ([`VISIBLE`](crate::VISIBLE));
//! with `update`, the new fields of existing certificates that differ are
//! staged in `import_updates`. [`ImportTx::commit`] publishes in one small
//! transaction: the staged updates applied and audited with before and
//! after, the import's own events appended, the batch `published`.
//!
//! A refused import ([`ImportTx::rollback`]), one dropped unfinished, and
//! one whose process died (its owner gone, [`Dialect::import_owner_alive`])
//! are `abandoned`: their rows are deleted in short transactions, by the
//! import itself or by the next import to start. Nothing of them is ever
//! visible.

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::pool::PoolConnection;
use sqlx::{AssertSqlSafe, Database, Pool};
use std::collections::HashSet;
use std::sync::{Arc, LazyLock, Mutex};
use zhengshu_domain::{Actor, NewAuditEvent, NewCertificate};

use zhengshu_storage::{
    AuditHeadSink, Conflict, IdVault, ImportTx, Result, RowOutcome, StorageError, update_event,
};

use crate::rows::{CertificateRow, day_text, ms, seal_contacts};
use crate::{Appended, BulkInsert, Conn, Dialect, certificate_where, insert_audit, map_err};

/// Rows an abandoned batch loses per delete transaction: short enough that
/// other writers hardly wait.
const DISCARD_CHUNK: i64 = 5000;

/// Staged updates a publication reads at once.
const PUBLISH_CHUNK: i64 = 1000;

/// This run of this process, in the owners of its imports: an owner that
/// carries it is alive exactly while its import is in [`LIVE`].
static RUN: LazyLock<String> = LazyLock::new(|| hex::encode(rand::random::<[u8; 8]>()));

/// The owners of this process's imports that are neither finished nor
/// dropped.
static LIVE: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Mutex::default);

fn live() -> std::sync::MutexGuard<'static, HashSet<String>> {
    LIVE.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether the import recorded as `owner` can still be running.
async fn owner_alive<D: Dialect>(conn: &mut Conn<D>, owner: &str) -> Result<bool> {
    let (engine_owner, run_and_n) = owner.split_once('#').unwrap_or((owner, ""));
    if run_and_n
        .split_once('#')
        .is_some_and(|(run, _)| run == RUN.as_str())
    {
        return Ok(live().contains(owner));
    }
    D::import_owner_alive(conn, engine_owner).await
}

/// One import of engine `D`, on a connection of its own.
pub struct SqlImport<D: Dialect> {
    conn: PoolConnection<D::Db>,
    batch: i64,
    /// Recorded on the batch: the engine's owner, [`RUN`] and a number.
    owner: String,
    bulk: D::Bulk,
    vault: IdVault,
    actor: Actor,
    sink: Option<Arc<dyn AuditHeadSink>>,
    /// The store's cache, told when the batch is published.
    cache: Arc<crate::cache::Cache>,
    /// Events recorded by [`ImportTx::audit`], appended on publication.
    events: Vec<NewAuditEvent>,
    /// The time of the rows written, for the staged updates.
    at: Timestamp,
    /// Whether a row was inserted or an update staged.
    changed: bool,
    /// Dropped with the import: stops its [companion](Dialect::import_companion).
    _companion: tokio::sync::oneshot::Sender<()>,
    /// Giving way ([`Dialect::DATA_VERSION`]): the answer before the last
    /// batch, until when to give way, and how long the last batch held
    /// the database.
    data_version: Option<i64>,
    polite_until: Option<std::time::Instant>,
    last_hold: std::time::Duration,
}

/// How long an import keeps giving way after it last saw another writer.
const POLITE_FOR: std::time::Duration = std::time::Duration::from_secs(5);
/// The longest pause an import makes between two batches.
const MAX_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

impl<D: Dialect> std::fmt::Debug for SqlImport<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlImport")
            .field("engine", &D::NAME)
            .field("batch", &self.batch)
            .finish_non_exhaustive()
    }
}

impl<D: Dialect> SqlImport<D>
where
    for<'c> &'c mut Conn<D>: sqlx::Executor<'c, Database = D::Db>,
    <D::Db as Database>::Arguments: sqlx::IntoArguments<D::Db>,
    usize: sqlx::ColumnIndex<<D::Db as Database>::Row>,
    for<'v> i64: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> String: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
{
    /// Discards the batches of imports that died, then opens a batch.
    pub(crate) async fn begin(
        pool: &Pool<D::Db>,
        vault: IdVault,
        actor: Actor,
        sink: Option<Arc<dyn AuditHeadSink>>,
        cache: Arc<crate::cache::Cache>,
    ) -> Result<Self> {
        let mut conn = pool.acquire().await.map_err(map_err::<D>)?;
        if let Some(setup) = D::BULK_SETUP {
            conn.close_on_drop();
            sqlx::query(setup)
                .execute(&mut *conn)
                .await
                .map_err(map_err::<D>)?;
        }
        discard_abandoned::<D>(&mut *conn).await?;
        let (companion, stop) = tokio::sync::oneshot::channel();
        D::import_companion(pool, stop);
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let owner = format!("{}#{}#{n}", D::import_owner(&mut *conn).await?, *RUN);
        live().insert(owner.clone());
        let at = Timestamp::now();
        let mut tx = D::begin_write_on(&mut *conn).await?;
        let batch: i64 = sqlx::query_scalar(
            "INSERT INTO import_batches (state, owner, created_at_ms) \
             VALUES ('staging', $1, $2) RETURNING id",
        )
        .bind(&owner)
        .bind(ms(at))
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        tx.commit().await.map_err(map_err::<D>)?;
        Ok(Self {
            conn,
            batch,
            owner,
            bulk: D::Bulk::default(),
            vault,
            actor,
            sink,
            cache,
            events: Vec::new(),
            at,
            changed: false,
            _companion: companion,
            data_version: None,
            polite_until: None,
            last_hold: std::time::Duration::ZERO,
        })
    }

    /// Where writers wait for one another (SQLite), an import that holds
    /// the database batch after batch leaves a writer that waits in steps
    /// (SQLite's busy handler sleeps up to 100 ms between tries) little
    /// chance to find it free: a holder's request could wait seconds.
    /// So once another connection has written since the last batch, the
    /// import pauses before each batch as long as the last one held the
    /// database (at most [`MAX_PAUSE`]), for [`POLITE_FOR`]: alone, it runs
    /// at full speed; beside the service, at about half, and a waiting
    /// writer finds the database free half of the time.
    async fn give_way(&mut self) -> Result<()> {
        let Some(pragma) = D::DATA_VERSION else {
            return Ok(());
        };
        let now = std::time::Instant::now();
        if self.polite_until.is_some_and(|until| now < until) {
            tokio::time::sleep(self.last_hold.min(MAX_PAUSE)).await;
        }
        let version: i64 = sqlx::query_scalar(pragma)
            .fetch_one(&mut *self.conn)
            .await
            .map_err(map_err::<D>)?;
        if self.data_version.is_some_and(|v| v != version) {
            self.polite_until = Some(std::time::Instant::now() + POLITE_FOR);
        }
        self.data_version = Some(version);
        Ok(())
    }
}

/// Discards every unpublished batch whose import is no longer running.
pub(crate) async fn discard_abandoned<D: Dialect>(conn: &mut Conn<D>) -> Result<()>
where
    for<'c> &'c mut Conn<D>: sqlx::Executor<'c, Database = D::Db>,
    <D::Db as Database>::Arguments: sqlx::IntoArguments<D::Db>,
    usize: sqlx::ColumnIndex<<D::Db as Database>::Row>,
    for<'v> i64: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> String: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
{
    let open: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, state, owner FROM import_batches WHERE state <> 'published' ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(map_err::<D>)?;
    for (batch, state, owner) in open {
        if state == "abandoned" || !owner_alive::<D>(conn, &owner).await? {
            tracing::info!(batch, "discarding an abandoned import");
            discard::<D>(conn, batch).await?;
        }
    }
    Ok(())
}

/// Marks `batch` abandoned, then deletes its rows in short transactions and
/// finally the batch itself. Safe to run twice at once, and to resume.
async fn discard<D: Dialect>(conn: &mut Conn<D>, batch: i64) -> Result<()>
where
    for<'c> &'c mut Conn<D>: sqlx::Executor<'c, Database = D::Db>,
    <D::Db as Database>::Arguments: sqlx::IntoArguments<D::Db>,
    for<'v> i64: sqlx::Encode<'v, D::Db> + sqlx::Type<D::Db>,
{
    let statements = [
        "UPDATE import_batches SET state = 'abandoned' WHERE id = $1 AND state = 'staging'",
        "DELETE FROM certificates WHERE id IN \
         (SELECT id FROM certificates WHERE import_batch = $1 LIMIT $2)",
        "DELETE FROM import_updates WHERE id IN \
         (SELECT id FROM import_updates WHERE batch_id = $1 LIMIT $2)",
        "DELETE FROM import_batches WHERE id = $1 AND state = 'abandoned'",
    ];
    for (i, sql) in statements.into_iter().enumerate() {
        let chunked = i == 1 || i == 2;
        loop {
            let mut tx = D::begin_write_on(conn).await?;
            let mut q = sqlx::query(sql).bind(batch);
            if chunked {
                q = q.bind(DISCARD_CHUNK);
            }
            let done = q.execute(&mut *tx).await.map_err(map_err::<D>)?;
            tx.commit().await.map_err(map_err::<D>)?;
            if !chunked || D::rows_affected(&done) == 0 {
                break;
            }
        }
    }
    Ok(())
}

impl<D: Dialect> Drop for SqlImport<D> {
    /// Finished or not, the import is no longer running: unpublished, its
    /// batch is the next import's to discard.
    fn drop(&mut self) {
        live().remove(&self.owner);
    }
}

#[async_trait]
impl<D: Dialect> ImportTx for SqlImport<D>
where
    for<'c> &'c mut Conn<D>: sqlx::Executor<'c, Database = D::Db>,
    <D::Db as Database>::Arguments: sqlx::IntoArguments<D::Db>,
    usize: sqlx::ColumnIndex<<D::Db as Database>::Row>,
    for<'n> &'n str: sqlx::ColumnIndex<<D::Db as Database>::Row>,
    for<'v> i64: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> bool: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> String: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> Vec<u8>: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> &'v str: sqlx::Encode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> Option<String>: sqlx::Encode<'v, D::Db>,
    for<'v> Option<&'v str>: sqlx::Encode<'v, D::Db>,
    for<'v> Option<Vec<u8>>: sqlx::Encode<'v, D::Db> + sqlx::Type<D::Db>,
{
    fn batch_rows(&self) -> usize {
        D::IMPORT_BATCH
    }

    async fn write(
        &mut self,
        rows: &[NewCertificate],
        update: bool,
        at: Timestamp,
    ) -> Result<Vec<RowOutcome>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        self.at = at;
        self.give_way().await?;
        let started = std::time::Instant::now();
        let mut tx = D::begin_write_on(&mut *self.conn).await?;
        // Staged rows are invisible until the publication, whose commit
        // waits for the log up to itself and so for these rows too: their
        // own commits need not wait for the disk.
        if let Some(lazy) = D::LAZY_COMMIT {
            sqlx::query(lazy)
                .execute(&mut *tx)
                .await
                .map_err(map_err::<D>)?;
        }
        let inserted = self
            .bulk
            .insert(&mut *tx, rows, &self.vault, at, self.batch)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            if inserted.contains(r.number.as_str()) {
                if !r.contacts.is_empty() {
                    write_contacts::<D>(&mut *tx, &self.vault, r).await?;
                }
                self.changed = true;
                out.push(RowOutcome::Inserted);
            } else if !update {
                out.push(RowOutcome::Exists);
            } else {
                let outcome =
                    stage_update::<D>(&mut *tx, &self.vault, &self.actor, self.batch, r).await?;
                self.changed |= outcome == RowOutcome::Updated;
                out.push(outcome);
            }
        }
        tx.commit().await.map_err(map_err::<D>)?;
        self.last_hold = started.elapsed();
        Ok(out)
    }

    async fn audit(&mut self, event: &NewAuditEvent, _at: Timestamp) -> Result<()> {
        self.events.push(event.clone());
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        let this = &mut *self;
        let (batch, at) = (this.batch, this.at);
        if !this.changed && this.events.is_empty() {
            // Nothing to publish: an import that changed nothing leaves
            // nothing behind, not even its batch.
            return discard::<D>(&mut *this.conn, batch).await;
        }
        let date = D::DATE_PARAM;
        let mut tx = D::begin_write_on(&mut *this.conn).await?;
        // The certificates the import updates are rewritten at once, then
        // each change is audited in order.
        let updated = sqlx::query(AssertSqlSafe(format!(
            "UPDATE certificates SET management_number = u.management_number, name = u.name, \
             sex = u.sex, birth_date = u.birth_date{date}, id_type = u.id_type, \
             id_cipher = u.id_cipher, id_index = u.id_index, \
             qualification_code = u.qualification_code, category = u.category, \
             specialty = u.specialty, level = u.level, approval_date = u.approval_date{date}, \
             issue_date = u.issue_date{date}, photo = u.photo, phone_cipher = u.phone_cipher, \
             email_cipher = u.email_cipher, updated_at_ms = $2 \
             FROM import_updates u WHERE u.batch_id = $1 AND certificates.number = u.number"
        )))
        .bind(batch)
        .bind(ms(at))
        .execute(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        let updated = D::rows_affected(&updated) > 0;
        let mut appended: Option<Appended> = None;
        let mut last = 0_i64;
        loop {
            let staged: Vec<(i64, String, String, String)> = sqlx::query_as(
                "SELECT id, number, audit_before, audit_after FROM import_updates \
                 WHERE batch_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            )
            .bind(batch)
            .bind(last)
            .bind(PUBLISH_CHUNK)
            .fetch_all(&mut *tx)
            .await
            .map_err(map_err::<D>)?;
            if staged.is_empty() {
                break;
            }
            for (id, number, before, after) in staged {
                last = id;
                let event = NewAuditEvent {
                    context: Default::default(),
                    actor: this.actor.clone(),
                    action: "certificate.update".into(),
                    subject: format!("certificate:{number}"),
                    before: Some(before),
                    after: Some(after),
                };
                appended = Some(insert_audit::<D>(&mut *tx, &event, at).await?);
            }
        }
        for event in &this.events {
            appended = Some(insert_audit::<D>(&mut *tx, event, at).await?);
        }
        let done = sqlx::query(
            "UPDATE import_batches SET state = 'published', published_at_ms = $2 \
             WHERE id = $1 AND state = 'staging'",
        )
        .bind(batch)
        .bind(ms(Timestamp::now()))
        .execute(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        if D::rows_affected(&done) != 1 {
            return Err(StorageError::Conflict(Conflict::Other(
                "the import was abandoned before it could be published".into(),
            )));
        }
        sqlx::query("DELETE FROM import_updates WHERE batch_id = $1")
            .bind(batch)
            .execute(&mut *tx)
            .await
            .map_err(map_err::<D>)?;
        tx.commit().await.map_err(map_err::<D>)?;
        // New certificates change the holders' lists; updated ones what
        // verification answers too.
        this.cache.forget(&if updated {
            crate::cache::Change::Certificates
        } else {
            crate::cache::Change::Lists
        });
        if let (Some(sink), Some(a)) = (&this.sink, &appended) {
            sink.appended(&a.head);
        }
        Ok(())
    }

    async fn rollback(mut self: Box<Self>) -> Result<()> {
        let batch = self.batch;
        discard::<D>(&mut *self.conn, batch).await
    }
}

/// With `update`: compares the stored certificate `r.number` with `r` and,
/// when they differ, stages the new fields and the audit texts for the
/// publication. A number that is not visible (another import's unpublished
/// row) is left alone, as existing.
async fn stage_update<D: Dialect>(
    conn: &mut Conn<D>,
    vault: &IdVault,
    actor: &Actor,
    batch: i64,
    r: &NewCertificate,
) -> Result<RowOutcome>
where
    for<'c> &'c mut Conn<D>: sqlx::Executor<'c, Database = D::Db>,
    <D::Db as Database>::Arguments: sqlx::IntoArguments<D::Db>,
    usize: sqlx::ColumnIndex<<D::Db as Database>::Row>,
    for<'n> &'n str: sqlx::ColumnIndex<<D::Db as Database>::Row>,
    for<'v> i64: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> bool: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> String: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> Vec<u8>: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> &'v str: sqlx::Encode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> Option<String>: sqlx::Encode<'v, D::Db>,
    for<'v> Option<&'v str>: sqlx::Encode<'v, D::Db>,
    for<'v> Option<Vec<u8>>: sqlx::Encode<'v, D::Db> + sqlx::Type<D::Db>,
{
    let before =
        sqlx::query_as::<_, CertificateRow>(AssertSqlSafe(certificate_where::<D>("c.number = $1")))
            .bind(r.number.as_str())
            .fetch_optional(&mut *conn)
            .await
            .map_err(map_err::<D>)?;
    let Some(before) = before else {
        return Ok(RowOutcome::Exists);
    };
    let before = before.into_certificate(vault)?;
    if before.data == *r {
        return Ok(RowOutcome::Unchanged);
    }
    let event = update_event(&before.data, r, actor);
    let sealed = vault.seal(&r.id);
    let (phone, email) = seal_contacts(vault, &r.contacts);
    sqlx::query(
        "INSERT INTO import_updates (batch_id, number, management_number, name, sex, \
         birth_date, id_type, id_cipher, id_index, qualification_code, category, specialty, \
         level, approval_date, issue_date, photo, audit_before, audit_after, phone_cipher, \
         email_cipher) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
         $19, $20)",
    )
    .bind(batch)
    .bind(r.number.as_str())
    .bind(&r.management_number)
    .bind(r.name.as_str())
    .bind(r.sex.map(|s| s.code()))
    .bind(day_text(r.birth_date))
    .bind(r.id.id_type.code())
    .bind(sealed.cipher)
    .bind(sealed.index)
    .bind(r.qualification.as_str())
    .bind(&r.category)
    .bind(&r.specialty)
    .bind(&r.level)
    .bind(day_text(r.approval_date))
    .bind(r.issue_date.to_string())
    .bind(&r.photo)
    .bind(event.before.unwrap_or_default())
    .bind(event.after.unwrap_or_default())
    .bind(phone)
    .bind(email)
    .execute(&mut *conn)
    .await
    .map_err(map_err::<D>)?;
    Ok(RowOutcome::Updated)
}

/// Stores the recorded contacts of the certificate `r.number` just
/// inserted, sealed (the bulk insertion leaves them out: few rows have
/// them).
async fn write_contacts<D: Dialect>(
    conn: &mut Conn<D>,
    vault: &IdVault,
    r: &NewCertificate,
) -> Result<()>
where
    for<'c> &'c mut Conn<D>: sqlx::Executor<'c, Database = D::Db>,
    <D::Db as Database>::Arguments: sqlx::IntoArguments<D::Db>,
    for<'v> &'v str: sqlx::Encode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> Option<Vec<u8>>: sqlx::Encode<'v, D::Db> + sqlx::Type<D::Db>,
{
    let (phone, email) = seal_contacts(vault, &r.contacts);
    sqlx::query("UPDATE certificates SET phone_cipher = $1, email_cipher = $2 WHERE number = $3")
        .bind(phone)
        .bind(email)
        .bind(r.number.as_str())
        .execute(&mut *conn)
        .await
        .map_err(map_err::<D>)?;
    Ok(())
}
