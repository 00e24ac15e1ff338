//! Bulk insertion on PostgreSQL: each batch's new numbers are streamed with
//! `COPY … FROM STDIN` (text format). `COPY` cannot skip existing rows, so
//! the batch's numbers that exist are looked up first; should a concurrent
//! import insert one of the rest meanwhile, the `COPY` is undone to a
//! savepoint and the batch goes through `INSERT … ON CONFLICT DO NOTHING`
//! from column arrays instead.

use std::collections::HashSet;
use std::fmt::Write as _;

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::PgConnection;
use zhengshu_domain::NewCertificate;
use zhengshu_storage::{Conflict, IdVault, Result, StorageError};
use zhengshu_storage_sql::rows::{day_text, ms};
use zhengshu_storage_sql::{BulkInsert, map_err};

use crate::PgDialect;

const COPY: &str = "COPY certificates (number, management_number, name, sex, birth_date, \
     id_type, id_cipher, id_index, qualification_code, category, specialty, level, \
     approval_date, issue_date, photo, created_at_ms, updated_at_ms, import_batch) \
     FROM STDIN (FORMAT text)";

/// The buffer of `COPY` text, kept from one batch to the next.
#[derive(Debug, Default)]
pub struct PgBulk {
    text: String,
}

#[async_trait]
impl BulkInsert<PgDialect> for PgBulk {
    async fn insert(
        &mut self,
        conn: &mut PgConnection,
        rows: &[NewCertificate],
        vault: &IdVault,
        at: Timestamp,
        batch: i64,
    ) -> Result<HashSet<String>> {
        let numbers: Vec<&str> = rows.iter().map(|r| r.number.as_str()).collect();
        let existing: HashSet<String> =
            sqlx::query_scalar("SELECT number FROM certificates WHERE number = ANY($1)")
                .bind(&numbers)
                .fetch_all(&mut *conn)
                .await
                .map_err(map_err::<PgDialect>)?
                .into_iter()
                .collect();
        let fresh: Vec<&NewCertificate> = rows
            .iter()
            .filter(|r| !existing.contains(r.number.as_str()))
            .collect();
        if fresh.is_empty() {
            return Ok(HashSet::new());
        }
        self.text.clear();
        for r in &fresh {
            copy_line(&mut self.text, r, vault, ms(at), batch);
        }
        execute(conn, "SAVEPOINT bulk_copy").await?;
        match copy(conn, self.text.as_bytes()).await {
            Ok(()) => {
                execute(conn, "RELEASE SAVEPOINT bulk_copy").await?;
                Ok(fresh.iter().map(|r| r.number.as_str().to_owned()).collect())
            }
            Err(StorageError::Conflict(Conflict::CertificateNumber)) => {
                execute(conn, "ROLLBACK TO SAVEPOINT bulk_copy").await?;
                execute(conn, "RELEASE SAVEPOINT bulk_copy").await?;
                insert_skipping(conn, &fresh, vault, at, batch).await
            }
            Err(e) => Err(e),
        }
    }
}

async fn execute(conn: &mut PgConnection, sql: &'static str) -> Result<()> {
    sqlx::query(sql)
        .execute(conn)
        .await
        .map_err(map_err::<PgDialect>)?;
    Ok(())
}

async fn copy(conn: &mut PgConnection, text: &[u8]) -> Result<()> {
    let mut copy = conn.copy_in_raw(COPY).await.map_err(map_err::<PgDialect>)?;
    if let Err(e) = copy.send(text).await {
        let _ = copy.abort("import batch failed").await;
        return Err(map_err::<PgDialect>(e));
    }
    copy.finish().await.map_err(map_err::<PgDialect>)?;
    Ok(())
}

/// One row of `COPY` text: tab-separated, `\N` for NULL, `bytea` as hex.
fn copy_line(out: &mut String, r: &NewCertificate, vault: &IdVault, now: i64, batch: i64) {
    let sealed = vault.seal(&r.id);
    let texts: [Option<&str>; 6] = [
        Some(r.number.as_str()),
        r.management_number.as_deref(),
        Some(r.name.as_str()),
        r.sex.map(|s| s.code()),
        None,
        Some(r.id.id_type.code()),
    ];
    let birth = day_text(r.birth_date);
    for (i, t) in texts.iter().enumerate() {
        let t = if i == 4 { birth.as_deref() } else { *t };
        field(out, t);
        out.push('\t');
    }
    for bytes in [&sealed.cipher, &sealed.index] {
        out.push_str("\\\\x");
        for b in bytes.iter() {
            let _ = write!(out, "{b:02x}");
        }
        out.push('\t');
    }
    let approval = day_text(r.approval_date);
    let issue = r.issue_date.to_string();
    for t in [
        Some(r.qualification.as_str()),
        r.category.as_deref(),
        r.specialty.as_deref(),
        r.level.as_deref(),
        approval.as_deref(),
        Some(issue.as_str()),
        r.photo.as_deref(),
    ] {
        field(out, t);
        out.push('\t');
    }
    let _ = writeln!(out, "{now}\t{now}\t{batch}");
}

/// A text field of `COPY`'s text format, escaped.
fn field(out: &mut String, value: Option<&str>) {
    let Some(v) = value else {
        out.push_str("\\N");
        return;
    };
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// One `INSERT … SELECT FROM UNNEST(…)` of column arrays that skips
/// existing numbers.
async fn insert_skipping(
    conn: &mut PgConnection,
    rows: &[&NewCertificate],
    vault: &IdVault,
    at: Timestamp,
    batch: i64,
) -> Result<HashSet<String>> {
    let col = |f: &dyn Fn(&NewCertificate) -> Option<String>| {
        rows.iter().map(|r| f(r)).collect::<Vec<_>>()
    };
    let sealed: Vec<_> = rows.iter().map(|r| vault.seal(&r.id)).collect();
    let inserted = sqlx::query_scalar(
        "INSERT INTO certificates (number, management_number, name, sex, birth_date, id_type, \
         id_cipher, id_index, qualification_code, category, specialty, level, approval_date, \
         issue_date, photo, created_at_ms, updated_at_ms, import_batch) \
         SELECT n, mn, nm, sx, bd::date, it, ic, ix, qc, ca, sp, lv, ad::date, id::date, ph, \
         $16, $16, $17 \
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
    .bind(batch)
    .fetch_all(conn)
    .await
    .map_err(map_err::<PgDialect>)?
    .into_iter()
    .collect();
    Ok(inserted)
}
