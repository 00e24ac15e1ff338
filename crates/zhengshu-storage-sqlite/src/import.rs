//! Bulk insertion on SQLite: multi-row inserts that skip existing numbers,
//! and the holder index dropped and built again around a large import.

use std::collections::HashSet;

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::{AssertSqlSafe, QueryBuilder, Sqlite, SqliteConnection};
use zhengshu_domain::NewCertificate;
use zhengshu_storage::{IdVault, Result};
use zhengshu_storage_sql::rows::{day_text, ms};
use zhengshu_storage_sql::{BulkInsert, map_err};

use crate::SqliteDialect;

/// The secondary index on certificates whose keys (blind indexes of ID
/// numbers) are random: inserting a large file into it touches a random page
/// per row, far more pages than the cache holds. A large import drops it
/// inside its transaction and builds it again, sorted, before committing.
const BULK_INDEX: &str = "certificates_holder_idx";

/// An import drops [`BULK_INDEX`] once it has written more rows than this
/// and more than the table held when it began.
const BULK_THRESHOLD: u64 = 50_000;

#[derive(Debug)]
pub struct SqliteBulk {
    /// Rows in the table when the import began.
    existing: u64,
    /// Rows written so far.
    written: u64,
    /// The dropped index's definition, to build again before committing.
    dropped_index: Option<String>,
}

impl SqliteBulk {
    /// Drops [`BULK_INDEX`] when this import has become large compared to
    /// the table; the transaction keeps the change invisible to others and
    /// a rollback restores the index.
    async fn drop_index_if_bulk(&mut self, conn: &mut SqliteConnection) -> Result<()> {
        if self.dropped_index.is_some()
            || self.written <= BULK_THRESHOLD
            || self.written <= self.existing
        {
            return Ok(());
        }
        let sql: Option<String> =
            sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?")
                .bind(BULK_INDEX)
                .fetch_optional(&mut *conn)
                .await
                .map_err(map_err::<SqliteDialect>)?;
        let Some(sql) = sql else {
            return Ok(());
        };
        sqlx::query(AssertSqlSafe(format!("DROP INDEX {BULK_INDEX}")))
            .execute(&mut *conn)
            .await
            .map_err(map_err::<SqliteDialect>)?;
        self.dropped_index = Some(sql);
        Ok(())
    }
}

#[async_trait]
impl BulkInsert<SqliteDialect> for SqliteBulk {
    async fn begin(conn: &mut SqliteConnection) -> Result<Self> {
        let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM certificates")
            .fetch_one(&mut *conn)
            .await
            .map_err(map_err::<SqliteDialect>)?;
        Ok(Self {
            existing: u64::try_from(existing).unwrap_or(0),
            written: 0,
            dropped_index: None,
        })
    }

    async fn insert(
        &mut self,
        conn: &mut SqliteConnection,
        rows: &[NewCertificate],
        vault: &IdVault,
        at: Timestamp,
    ) -> Result<HashSet<String>> {
        let now = ms(at);
        let mut qb = QueryBuilder::<Sqlite>::new(
            "INSERT INTO certificates (number, management_number, name, sex, birth_date, id_type, \
             id_cipher, id_index, qualification_code, category, specialty, level, approval_date, \
             issue_date, photo, created_at_ms, updated_at_ms) ",
        );
        qb.push_values(rows, |mut b, r| {
            let sealed = vault.seal(&r.id);
            b.push_bind(r.number.as_str().to_owned())
                .push_bind(r.management_number.clone())
                .push_bind(r.name.as_str().to_owned())
                .push_bind(r.sex.map(|s| s.code()))
                .push_bind(day_text(r.birth_date))
                .push_bind(r.id.id_type.code())
                .push_bind(sealed.cipher)
                .push_bind(sealed.index)
                .push_bind(r.qualification.as_str().to_owned())
                .push_bind(r.category.clone())
                .push_bind(r.specialty.clone())
                .push_bind(r.level.clone())
                .push_bind(day_text(r.approval_date))
                .push_bind(r.issue_date.to_string())
                .push_bind(r.photo.clone())
                .push_bind(now)
                .push_bind(now);
        });
        qb.push(" ON CONFLICT (number) DO NOTHING RETURNING number");
        let inserted: HashSet<String> = qb
            .build_query_scalar::<String>()
            .fetch_all(&mut *conn)
            .await
            .map_err(map_err::<SqliteDialect>)?
            .into_iter()
            .collect();
        self.written += rows.len() as u64;
        self.drop_index_if_bulk(conn).await?;
        Ok(inserted)
    }

    async fn finish(&mut self, conn: &mut SqliteConnection) -> Result<()> {
        if let Some(sql) = self.dropped_index.take() {
            sqlx::query(AssertSqlSafe(sql))
                .execute(conn)
                .await
                .map_err(map_err::<SqliteDialect>)?;
        }
        Ok(())
    }
}
