//! Import transactions: the dialect's [`BulkInsert`](crate::BulkInsert)
//! writes each batch and skips numbers that exist; with `update`, each of
//! those is read, compared and, when it differs, rewritten and audited with
//! before and after. Nothing is visible before the commit.

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::{AssertSqlSafe, Database, Transaction};
use std::sync::Arc;
use zhengshu_domain::{Actor, NewAuditEvent, NewCertificate};

use zhengshu_storage::{AuditHeadSink, IdVault, ImportTx, Result, RowOutcome, update_event};

use crate::rows::{CertificateRow, day_text, ms, seal_contacts};
use crate::{Appended, BulkInsert, Conn, Dialect, insert_audit, map_err};

/// One import in one transaction of engine `D`.
pub struct SqlImport<D: Dialect> {
    tx: Transaction<'static, D::Db>,
    bulk: D::Bulk,
    vault: IdVault,
    actor: Actor,
    sink: Option<Arc<dyn AuditHeadSink>>,
    /// The newest event this import appended, announced after commit.
    appended: Option<Appended>,
}

impl<D: Dialect> std::fmt::Debug for SqlImport<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlImport")
            .field("engine", &D::NAME)
            .finish_non_exhaustive()
    }
}

impl<D: Dialect> SqlImport<D> {
    pub(crate) async fn begin(
        mut tx: Transaction<'static, D::Db>,
        vault: IdVault,
        actor: Actor,
        sink: Option<Arc<dyn AuditHeadSink>>,
    ) -> Result<Self> {
        let bulk = D::Bulk::begin(&mut tx).await?;
        Ok(Self {
            tx,
            bulk,
            vault,
            actor,
            sink,
            appended: None,
        })
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
{
    async fn write(
        &mut self,
        rows: &[NewCertificate],
        update: bool,
        at: Timestamp,
    ) -> Result<Vec<RowOutcome>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let inserted = self
            .bulk
            .insert(&mut self.tx, rows, &self.vault, at)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            if inserted.contains(r.number.as_str()) {
                if !r.contacts.is_empty() {
                    self.write_contacts(r).await?;
                }
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
        self.appended = Some(insert_audit::<D>(&mut self.tx, event, at).await?);
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        self.bulk.finish(&mut self.tx).await?;
        self.tx.commit().await.map_err(map_err::<D>)?;
        if let (Some(sink), Some(a)) = (&self.sink, &self.appended) {
            sink.appended(&a.head);
        }
        Ok(())
    }

    async fn rollback(self: Box<Self>) -> Result<()> {
        self.tx.rollback().await.map_err(map_err::<D>)
    }
}

impl<D: Dialect> SqlImport<D>
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
{
    /// Stores the recorded contacts of certificate `r.number`, sealed
    /// (the bulk insertion leaves them out: few rows have them); a contact
    /// no longer recorded is cleared.
    async fn write_contacts(&mut self, r: &NewCertificate) -> Result<()> {
        let (phone, email) = seal_contacts(&self.vault, &r.contacts);
        sqlx::query(
            "UPDATE certificates SET phone_cipher = NULL, email_cipher = NULL WHERE number = $1",
        )
        .bind(r.number.as_str())
        .execute(&mut *self.tx)
        .await
        .map_err(map_err::<D>)?;
        for (column, sealed) in [("phone_cipher", phone), ("email_cipher", email)] {
            let Some(sealed) = sealed else { continue };
            sqlx::query(AssertSqlSafe(format!(
                "UPDATE certificates SET {column} = $1 WHERE number = $2"
            )))
            .bind(sealed)
            .bind(r.number.as_str())
            .execute(&mut *self.tx)
            .await
            .map_err(map_err::<D>)?;
        }
        Ok(())
    }

    /// Rewrites the stored certificate `r.number` when it differs from `r`,
    /// audited with before and after.
    async fn update_one(&mut self, r: &NewCertificate, at: Timestamp) -> Result<RowOutcome> {
        let sql = format!(
            "{}WHERE c.number = $1 {}",
            D::CERTIFICATE_SELECT,
            D::LOCK_SELECTED
        );
        let before = sqlx::query_as::<_, CertificateRow>(AssertSqlSafe(sql))
            .bind(r.number.as_str())
            .fetch_one(&mut *self.tx)
            .await
            .map_err(map_err::<D>)?
            .into_certificate(&self.vault)?;
        if before.data == *r {
            return Ok(RowOutcome::Unchanged);
        }
        let sealed = self.vault.seal(&r.id);
        let date = D::DATE_PARAM;
        let sql = format!(
            "UPDATE certificates SET management_number = $1, name = $2, sex = $3, \
             birth_date = $4{date}, id_type = $5, id_cipher = $6, id_index = $7, \
             qualification_code = $8, category = $9, specialty = $10, level = $11, \
             approval_date = $12{date}, issue_date = $13{date}, photo = $14, \
             updated_at_ms = $15 WHERE number = $16"
        );
        sqlx::query(AssertSqlSafe(sql))
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
            .bind(ms(at))
            .bind(r.number.as_str())
            .execute(&mut *self.tx)
            .await
            .map_err(map_err::<D>)?;
        self.write_contacts(r).await?;
        let event = update_event(&before.data, r, &self.actor);
        self.appended = Some(insert_audit::<D>(&mut self.tx, &event, at).await?);
        Ok(RowOutcome::Updated)
    }
}
