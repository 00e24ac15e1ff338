//! Import transactions on PostgreSQL: each batch is one `INSERT … SELECT
//! FROM UNNEST(…)` of column arrays that skips existing numbers, and
//! audited per-row updates when asked.

use std::collections::HashSet;

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::{AssertSqlSafe, Postgres, Transaction};
use zhengshu_domain::{Actor, NewAuditEvent, NewCertificate};
use zhengshu_storage::columns::ms;
use zhengshu_storage::rows::CertificateRow;
use zhengshu_storage::{IdVault, ImportTx, Result, RowOutcome, update_event};

use crate::{CERTIFICATE_SELECT, insert_audit, map_err};

pub(crate) struct PgImport {
    tx: Transaction<'static, Postgres>,
    vault: IdVault,
    actor: Actor,
}

impl PgImport {
    pub(crate) fn new(tx: Transaction<'static, Postgres>, vault: IdVault, actor: Actor) -> Self {
        Self { tx, vault, actor }
    }
}

fn day(d: Option<zhengshu_domain::Day>) -> Option<String> {
    d.map(|d| d.to_string())
}

#[async_trait]
impl ImportTx for PgImport {
    async fn write(
        &mut self,
        rows: &[NewCertificate],
        update: bool,
        at: Timestamp,
    ) -> Result<Vec<RowOutcome>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let col =
            |f: &dyn Fn(&NewCertificate) -> Option<String>| rows.iter().map(f).collect::<Vec<_>>();
        let sealed: Vec<_> = rows.iter().map(|r| self.vault.seal(&r.id)).collect();
        let inserted: HashSet<String> = sqlx::query_scalar(
            "INSERT INTO certificates (number, management_number, name, sex, birth_date, id_type, \
             id_cipher, id_index, qualification_code, category, specialty, level, approval_date, \
             issue_date, photo, created_at_ms, updated_at_ms) \
             SELECT n, mn, nm, sx, bd::date, it, ic, ix, qc, ca, sp, lv, ad::date, id::date, ph, $16, $16 \
             FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], \
             $7::bytea[], $8::bytea[], $9::text[], $10::text[], $11::text[], $12::text[], \
             $13::text[], $14::text[], $15::text[]) \
             AS u(n, mn, nm, sx, bd, it, ic, ix, qc, ca, sp, lv, ad, id, ph) \
             ON CONFLICT (number) DO NOTHING RETURNING number",
        )
        .bind(col(&|r| Some(r.number.as_str().to_owned())))
        .bind(col(&|r| r.management_number.clone()))
        .bind(col(&|r| Some(r.name.as_str().to_owned())))
        .bind(col(&|r| r.sex.map(|s| s.code().to_owned())))
        .bind(col(&|r| day(r.birth_date)))
        .bind(col(&|r| Some(r.id.id_type.code().to_owned())))
        .bind(sealed.iter().map(|s| s.cipher.clone()).collect::<Vec<_>>())
        .bind(sealed.iter().map(|s| s.index.clone()).collect::<Vec<_>>())
        .bind(col(&|r| Some(r.qualification.as_str().to_owned())))
        .bind(col(&|r| r.category.clone()))
        .bind(col(&|r| r.specialty.clone()))
        .bind(col(&|r| r.level.clone()))
        .bind(col(&|r| day(r.approval_date)))
        .bind(col(&|r| Some(r.issue_date.to_string())))
        .bind(col(&|r| r.photo.clone()))
        .bind(ms(at))
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

impl PgImport {
    async fn update_one(&mut self, r: &NewCertificate, at: Timestamp) -> Result<RowOutcome> {
        let before = sqlx::query_as::<_, CertificateRow>(AssertSqlSafe(format!(
            "{CERTIFICATE_SELECT}WHERE c.number = $1 FOR UPDATE OF c"
        )))
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
            "UPDATE certificates SET management_number = $1, name = $2, sex = $3, \
             birth_date = $4::date, id_type = $5, id_cipher = $6, id_index = $7, \
             qualification_code = $8, category = $9, specialty = $10, level = $11, \
             approval_date = $12::date, issue_date = $13::date, photo = $14, updated_at_ms = $15 \
             WHERE number = $16",
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
