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

pub(crate) struct SqliteImport {
    tx: Transaction<'static, Sqlite>,
    vault: IdVault,
    actor: Actor,
}

impl SqliteImport {
    pub(crate) fn new(tx: Transaction<'static, Sqlite>, vault: IdVault, actor: Actor) -> Self {
        Self { tx, vault, actor }
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

    async fn commit(self: Box<Self>) -> Result<()> {
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
