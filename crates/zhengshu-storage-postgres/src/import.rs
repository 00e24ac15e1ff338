//! Bulk insertion on PostgreSQL: each batch is one `INSERT … SELECT FROM
//! UNNEST(…)` of column arrays that skips existing numbers.

use std::collections::HashSet;

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::PgConnection;
use zhengshu_domain::NewCertificate;
use zhengshu_storage::{IdVault, Result};
use zhengshu_storage_sql::rows::{day_text, ms};
use zhengshu_storage_sql::{BulkInsert, map_err};

use crate::PgDialect;

/// Needs no state of its own.
#[derive(Debug)]
pub struct PgBulk;

#[async_trait]
impl BulkInsert<PgDialect> for PgBulk {
    async fn begin(_conn: &mut PgConnection) -> Result<Self> {
        Ok(PgBulk)
    }

    async fn insert(
        &mut self,
        conn: &mut PgConnection,
        rows: &[NewCertificate],
        vault: &IdVault,
        at: Timestamp,
    ) -> Result<HashSet<String>> {
        let col =
            |f: &dyn Fn(&NewCertificate) -> Option<String>| rows.iter().map(f).collect::<Vec<_>>();
        let sealed: Vec<_> = rows.iter().map(|r| vault.seal(&r.id)).collect();
        let inserted = sqlx::query_scalar(
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
        .bind(col(&|r| day_text(r.birth_date)))
        .bind(col(&|r| Some(r.id.id_type.code().to_owned())))
        .bind(sealed.iter().map(|s| s.cipher.clone()).collect::<Vec<_>>())
        .bind(sealed.iter().map(|s| s.index.clone()).collect::<Vec<_>>())
        .bind(col(&|r| Some(r.qualification.as_str().to_owned())))
        .bind(col(&|r| r.category.clone()))
        .bind(col(&|r| r.specialty.clone()))
        .bind(col(&|r| r.level.clone()))
        .bind(col(&|r| day_text(r.approval_date)))
        .bind(col(&|r| Some(r.issue_date.to_string())))
        .bind(col(&|r| r.photo.clone()))
        .bind(ms(at))
        .fetch_all(conn)
        .await
        .map_err(map_err::<PgDialect>)?
        .into_iter()
        .collect();
        Ok(inserted)
    }

    async fn finish(&mut self, _conn: &mut PgConnection) -> Result<()> {
        Ok(())
    }
}
