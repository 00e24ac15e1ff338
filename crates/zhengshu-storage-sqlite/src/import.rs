//! Import transactions on SQLite: multi-row inserts that skip existing
//! numbers, and audited per-row updates when asked.

use std::collections::HashSet;

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::{AssertSqlSafe, QueryBuilder, Sqlite, Transaction};
use zhengshu_domain::{Actor, NewAuditEvent, NewCertificate};
use zhengshu_storage::columns::ms;
use zhengshu_storage::rows::{CERTIFICATE_COLUMNS, CertificateRow};
use zhengshu_storage::{IdVault, ImportTx, Result, RowOutcome, update_event};

use crate::{CERTIFICATE_FROM, insert_audit, map_err};

/// The secondary index on certificates whose keys (blind indexes of ID
/// numbers) are random: inserting a large file into it touches a random page
/// per row, far more pages than the cache holds. A large import drops it
/// inside its transaction and builds it again, sorted, before committing.
const BULK_INDEX: &str = "certificates_holder_idx";

/// An import drops [`BULK_INDEX`] once it has written more rows than this
/// and more than the table held when it began.
const BULK_THRESHOLD: u64 = 50_000;

pub(crate) struct SqliteImport {
    tx: Transaction<'static, Sqlite>,
    vault: IdVault,
    actor: Actor,
    /// Rows in the table when the import began.
    existing: u64,
    /// Rows written so far.
    written: u64,
    /// The dropped index's definition, to build again before committing.
    dropped_index: Option<String>,
}

impl SqliteImport {
    pub(crate) async fn begin(
        mut tx: Transaction<'static, Sqlite>,
        vault: IdVault,
        actor: Actor,
    ) -> Result<Self> {
        let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM certificates")
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
        Ok(Self {
            tx,
            vault,
            actor,
            existing: u64::try_from(existing).unwrap_or(0),
            written: 0,
            dropped_index: None,
        })
    }

    /// Drops [`BULK_INDEX`] when this import has become large compared to
    /// the table; the transaction keeps the change invisible to others and
    /// a rollback restores the index.
    async fn drop_index_if_bulk(&mut self) -> Result<()> {
        if self.dropped_index.is_some()
            || self.written <= BULK_THRESHOLD
            || self.written <= self.existing
        {
            return Ok(());
        }
        let sql: Option<String> =
            sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?")
                .bind(BULK_INDEX)
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(map_err)?;
        let Some(sql) = sql else {
            return Ok(());
        };
        sqlx::query(AssertSqlSafe(format!("DROP INDEX {BULK_INDEX}")))
            .execute(&mut *self.tx)
            .await
            .map_err(map_err)?;
        self.dropped_index = Some(sql);
        Ok(())
    }
}

fn day(d: Option<zhengshu_domain::Day>) -> Option<String> {
    d.map(|d| d.to_string())
}

#[async_trait]
impl ImportTx for SqliteImport {
    async fn write(
        &mut self,
        rows: &[NewCertificate],
        update: bool,
        at: Timestamp,
    ) -> Result<Vec<RowOutcome>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let now = ms(at);
        let mut qb = QueryBuilder::<Sqlite>::new(
            "INSERT INTO certificates (number, management_number, name, sex, birth_date, id_type, \
             id_cipher, id_index, qualification_code, category, specialty, level, approval_date, \
             issue_date, photo, created_at_ms, updated_at_ms) ",
        );
        qb.push_values(rows, |mut b, r| {
            let sealed = self.vault.seal(&r.id);
            b.push_bind(r.number.as_str().to_owned())
                .push_bind(r.management_number.clone())
                .push_bind(r.name.as_str().to_owned())
                .push_bind(r.sex.map(|s| s.code()))
                .push_bind(day(r.birth_date))
                .push_bind(r.id.id_type.code())
                .push_bind(sealed.cipher)
                .push_bind(sealed.index)
                .push_bind(r.qualification.as_str().to_owned())
                .push_bind(r.category.clone())
                .push_bind(r.specialty.clone())
                .push_bind(r.level.clone())
                .push_bind(day(r.approval_date))
                .push_bind(r.issue_date.to_string())
                .push_bind(r.photo.clone())
                .push_bind(now)
                .push_bind(now);
        });
        qb.push(" ON CONFLICT (number) DO NOTHING RETURNING number");
        let inserted: HashSet<String> = qb
            .build_query_scalar::<String>()
            .fetch_all(&mut *self.tx)
            .await
            .map_err(map_err)?
            .into_iter()
            .collect();

        self.written += rows.len() as u64;
        self.drop_index_if_bulk().await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            if inserted.contains(r.number.as_str()) {
                out.push(RowOutcome::Inserted);
            } else if !update {
                out.push(RowOutcome::Exists);
            } else {
                out.push(self.update_one(r, at).await?);
            }
        }
        Ok(out)
    }

    async fn audit(&mut self, event: &NewAuditEvent, at: Timestamp) -> Result<()> {
        insert_audit(&mut *self.tx, event, at).await.map(|_| ())
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        if let Some(sql) = self.dropped_index.take() {
            sqlx::query(AssertSqlSafe(sql))
                .execute(&mut *self.tx)
                .await
                .map_err(map_err)?;
        }
        self.tx.commit().await.map_err(map_err)
    }

    async fn rollback(self: Box<Self>) -> Result<()> {
        self.tx.rollback().await.map_err(map_err)
    }
}

impl SqliteImport {
    async fn update_one(&mut self, r: &NewCertificate, at: Timestamp) -> Result<RowOutcome> {
        let sql = format!("SELECT {CERTIFICATE_COLUMNS}{CERTIFICATE_FROM}WHERE c.number = ?");
        let before = sqlx::query_as::<_, CertificateRow>(AssertSqlSafe(sql))
            .bind(r.number.as_str())
            .fetch_one(&mut *self.tx)
            .await
            .map_err(map_err)?
            .into_certificate(&self.vault)?;
        if before.data == *r {
            return Ok(RowOutcome::Unchanged);
        }
        let sealed = self.vault.seal(&r.id);
        sqlx::query(
            "UPDATE certificates SET management_number = ?, name = ?, sex = ?, birth_date = ?, \
             id_type = ?, id_cipher = ?, id_index = ?, qualification_code = ?, category = ?, \
             specialty = ?, level = ?, approval_date = ?, issue_date = ?, photo = ?, \
             updated_at_ms = ? WHERE number = ?",
        )
        .bind(&r.management_number)
        .bind(r.name.as_str())
        .bind(r.sex.map(|s| s.code()))
        .bind(day(r.birth_date))
        .bind(r.id.id_type.code())
        .bind(sealed.cipher)
        .bind(sealed.index)
        .bind(r.qualification.as_str())
        .bind(&r.category)
        .bind(&r.specialty)
        .bind(&r.level)
        .bind(day(r.approval_date))
        .bind(r.issue_date.to_string())
        .bind(&r.photo)
        .bind(ms(at))
        .bind(r.number.as_str())
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        let event = update_event(&before.data, r, &self.actor);
        insert_audit(&mut *self.tx, &event, at).await?;
        Ok(RowOutcome::Updated)
    }
}
