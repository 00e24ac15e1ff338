//! The record of issued documents: one row per document handed out, found
//! by its 查验码 or by the SHA-256 of its bytes. An annotated document's row
//! is written by `annotations::complete` in the generation's transaction.

use sqlx::Database;
use zhengshu_domain::VerificationCode;
use zhengshu_storage::{IssuedDocument, Result, StorageError};

use crate::rows::{ms, timestamp};
use crate::{Conn, Dialect, SqlStore, map_err};

/// The columns of [`DocumentRow`], in its order.
const COLUMNS: &str = "code, sha256, certificate_id, annotation_id, issued_at_ms";

#[derive(Debug, sqlx::FromRow)]
struct DocumentRow {
    code: String,
    sha256: String,
    certificate_id: i64,
    annotation_id: Option<i64>,
    issued_at_ms: i64,
}

impl TryFrom<DocumentRow> for IssuedDocument {
    type Error = StorageError;
    fn try_from(r: DocumentRow) -> Result<Self> {
        Ok(IssuedDocument {
            code: VerificationCode::parse(&r.code)
                .map_err(|_| StorageError::corrupt(format!("bad code {:?}", r.code)))?,
            sha256: r.sha256,
            certificate_id: r.certificate_id,
            annotation_id: r.annotation_id,
            issued_at: timestamp(r.issued_at_ms)?,
        })
    }
}

impl<D: Dialect> SqlStore<D>
where
    for<'c> &'c mut Conn<D>: sqlx::Executor<'c, Database = D::Db>,
    <D::Db as Database>::Arguments: sqlx::IntoArguments<D::Db>,
    usize: sqlx::ColumnIndex<<D::Db as Database>::Row>,
    for<'n> &'n str: sqlx::ColumnIndex<<D::Db as Database>::Row>,
    for<'v> i64: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> String: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> &'v str: sqlx::Encode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> Option<i64>: sqlx::Encode<'v, D::Db>,
{
    pub(crate) async fn record_document(&self, d: &IssuedDocument) -> Result<()> {
        sqlx::query(
            "INSERT INTO issued_documents \
             (code, sha256, certificate_id, annotation_id, issued_at_ms) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(d.code.as_str())
        .bind(d.sha256.to_ascii_lowercase())
        .bind(d.certificate_id)
        .bind(d.annotation_id)
        .bind(ms(d.issued_at))
        .execute(&self.pool)
        .await
        .map_err(map_err::<D>)?;
        Ok(())
    }

    pub(crate) async fn document_by_code(&self, code: &VerificationCode) -> Result<IssuedDocument> {
        sqlx::query_as::<_, DocumentRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM issued_documents WHERE code = $1"
        )))
        .bind(code.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(map_err::<D>)?
        .try_into()
    }

    pub(crate) async fn document_by_sha256(&self, sha256: &str) -> Result<IssuedDocument> {
        // The first issued of equal files (two equal signed PDFs would need
        // the same signing time and content).
        sqlx::query_as::<_, DocumentRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM issued_documents WHERE sha256 = $1 ORDER BY id LIMIT 1"
        )))
        .bind(sha256.to_ascii_lowercase())
        .fetch_one(&self.pool)
        .await
        .map_err(map_err::<D>)?
        .try_into()
    }
}
