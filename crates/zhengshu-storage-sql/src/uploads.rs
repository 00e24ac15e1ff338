//! Imports run from the console or the import API (`body_imports`) and
//! the bodies' import tokens (`import_tokens`): every statement names the
//! body, so a body reaches only its own; the changes that are audited
//! (an upload, its confirmation, a token issued or revoked) are written
//! with their event in one transaction, and a confirmation is a
//! conditional `UPDATE` from `checked`, so an upload is imported once. A
//! running check or import writes the time with its progress; an upload
//! without a sign of life for a while (its process ended), or checked and
//! never confirmed, is failed by a sweep and its file dropped.

use jiff::Timestamp;
use sqlx::{AssertSqlSafe, Database};
use zhengshu_domain::{BodyCode, NewAuditEvent};
use zhengshu_storage::imports::{UPLOAD_EXPIRED, UPLOAD_STOPPED};
use zhengshu_storage::{
    Conflict, ImportToken, NewImportToken, NewUpload, Result, StorageError, Upload, UploadCounts,
    UploadState,
};

use crate::rows::{ms, timestamp};
use crate::{Conn, Dialect, SqlStore, insert_audit, map_err};

const UPLOAD_COLUMNS: &str = "id, body_code, created_by, file_name, state, valid_only, \
     rows_read, refused, inserted, updated, unchanged, rejections, error, created_at_ms, \
     finished_at_ms";

#[derive(Debug, sqlx::FromRow)]
struct UploadRow {
    id: i64,
    body_code: String,
    created_by: String,
    file_name: String,
    state: String,
    valid_only: bool,
    rows_read: i64,
    refused: i64,
    inserted: i64,
    updated: i64,
    unchanged: i64,
    rejections: String,
    error: Option<String>,
    created_at_ms: i64,
    finished_at_ms: Option<i64>,
}

fn body_code(s: String) -> Result<BodyCode> {
    BodyCode::parse(&s).map_err(|e| StorageError::corrupt(format!("bad body code {s:?}: {e}")))
}

impl UploadRow {
    fn into_upload(self) -> Result<Upload> {
        Ok(Upload {
            id: self.id,
            body: body_code(self.body_code)?,
            created_by: self.created_by,
            file_name: self.file_name,
            state: UploadState::from_code(&self.state).ok_or_else(|| {
                StorageError::corrupt(format!("bad upload state {:?}", self.state))
            })?,
            valid_only: self.valid_only,
            counts: UploadCounts {
                rows: self.rows_read,
                refused: self.refused,
                inserted: self.inserted,
                updated: self.updated,
                unchanged: self.unchanged,
                rejections: self.rejections,
                error: self.error,
            },
            created_at: timestamp(self.created_at_ms)?,
            finished_at: self.finished_at_ms.map(timestamp).transpose()?,
        })
    }
}

const TOKEN_COLUMNS: &str = "id, body_code, label, created_by, created_at_ms, revoked_at_ms";

#[derive(Debug, sqlx::FromRow)]
struct TokenRow {
    id: i64,
    body_code: String,
    label: String,
    created_by: String,
    created_at_ms: i64,
    revoked_at_ms: Option<i64>,
}

impl TokenRow {
    fn into_token(self) -> Result<ImportToken> {
        Ok(ImportToken {
            id: self.id,
            body: body_code(self.body_code)?,
            label: self.label,
            created_by: self.created_by,
            created_at: timestamp(self.created_at_ms)?,
            revoked_at: self.revoked_at_ms.map(timestamp).transpose()?,
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
    for<'v> i32: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> bool: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> String: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> Vec<u8>: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> Option<String>: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db>,
    for<'v> Option<i64>: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db>,
    for<'v> Option<Vec<u8>>: sqlx::Decode<'v, D::Db>,
{
    pub(crate) async fn insert_upload(
        &self,
        new: &NewUpload,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<i64> {
        let mut tx = D::begin_write(&self.pool).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO body_imports \
             (body_code, created_by, file_name, content, state, valid_only, created_at_ms, \
             alive_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(new.body.as_str().to_owned())
        .bind(new.created_by.clone())
        .bind(new.file_name.clone())
        .bind(new.content.clone())
        .bind(new.state.code().to_owned())
        .bind(new.valid_only)
        .bind(ms(at))
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        // The event names the upload it made.
        let mut event = event.clone();
        event.subject = format!("import:{id}");
        let appended = insert_audit::<D>(&mut tx, &event, at).await?;
        tx.commit().await.map_err(map_err::<D>)?;
        self.announce(Some(&appended));
        Ok(id)
    }

    pub(crate) async fn find_upload(&self, id: i64, body: &str) -> Result<Upload> {
        sqlx::query_as::<_, UploadRow>(AssertSqlSafe(format!(
            "SELECT {UPLOAD_COLUMNS} FROM body_imports WHERE id = $1 AND body_code = $2"
        )))
        .bind(id)
        .bind(body.to_owned())
        .fetch_one(&self.pool)
        .await
        .map_err(map_err::<D>)?
        .into_upload()
    }

    pub(crate) async fn find_upload_content(&self, id: i64, body: &str) -> Result<Vec<u8>> {
        let content: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT content FROM body_imports WHERE id = $1 AND body_code = $2")
                .bind(id)
                .bind(body.to_owned())
                .fetch_one(&self.pool)
                .await
                .map_err(map_err::<D>)?;
        content.ok_or(StorageError::NotFound)
    }

    pub(crate) async fn list_uploads(&self, body: &str, limit: i64) -> Result<Vec<Upload>> {
        sqlx::query_as::<_, UploadRow>(AssertSqlSafe(format!(
            "SELECT {UPLOAD_COLUMNS} FROM body_imports WHERE body_code = $1 \
             ORDER BY id DESC LIMIT $2"
        )))
        .bind(body.to_owned())
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err::<D>)?
        .into_iter()
        .map(UploadRow::into_upload)
        .collect()
    }

    pub(crate) async fn set_upload_progress(
        &self,
        id: i64,
        rows: i64,
        at: Timestamp,
    ) -> Result<()> {
        sqlx::query("UPDATE body_imports SET rows_read = $2, alive_at_ms = $3 WHERE id = $1")
            .bind(id)
            .bind(rows)
            .bind(ms(at))
            .execute(&self.pool)
            .await
            .map_err(map_err::<D>)?;
        Ok(())
    }

    pub(crate) async fn set_upload_finished(
        &self,
        id: i64,
        state: UploadState,
        c: &UploadCounts,
        at: Timestamp,
    ) -> Result<()> {
        let finished = state.finished();
        sqlx::query(
            "UPDATE body_imports SET state = $2, rows_read = $3, refused = $4, inserted = $5, \
             updated = $6, unchanged = $7, rejections = $8, error = $9, \
             finished_at_ms = $10, content = CASE WHEN $11 THEN NULL ELSE content END, \
             alive_at_ms = $12 WHERE id = $1",
        )
        .bind(id)
        .bind(state.code().to_owned())
        .bind(c.rows)
        .bind(c.refused)
        .bind(c.inserted)
        .bind(c.updated)
        .bind(c.unchanged)
        .bind(c.rejections.clone())
        .bind(c.error.clone())
        .bind(finished.then(|| ms(at)))
        .bind(finished)
        .bind(ms(at))
        .execute(&self.pool)
        .await
        .map_err(map_err::<D>)?;
        Ok(())
    }

    pub(crate) async fn set_upload_confirmed(
        &self,
        id: i64,
        body: &str,
        valid_only: bool,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<()> {
        let mut tx = D::begin_write(&self.pool).await?;
        let done = sqlx::query(
            "UPDATE body_imports SET state = 'importing', valid_only = $3, rows_read = 0, \
             alive_at_ms = $4 WHERE id = $1 AND body_code = $2 AND state = 'checked'",
        )
        .bind(id)
        .bind(body.to_owned())
        .bind(valid_only)
        .bind(ms(at))
        .execute(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        if D::rows_affected(&done) != 1 {
            return Err(StorageError::Conflict(Conflict::Changed));
        }
        let appended = insert_audit::<D>(&mut tx, event, at).await?;
        tx.commit().await.map_err(map_err::<D>)?;
        self.announce(Some(&appended));
        Ok(())
    }

    pub(crate) async fn sweep(
        &self,
        stalled_before: Timestamp,
        unconfirmed_before: Timestamp,
        at: Timestamp,
    ) -> Result<(u64, u64)> {
        let mut ended = [0; 2];
        for (n, (states, before, error)) in [
            ("'checking', 'importing'", stalled_before, UPLOAD_STOPPED),
            ("'checked'", unconfirmed_before, UPLOAD_EXPIRED),
        ]
        .into_iter()
        .enumerate()
        {
            let done = sqlx::query(AssertSqlSafe(format!(
                "UPDATE body_imports SET state = 'failed', error = $1, content = NULL, \
                 finished_at_ms = $2 WHERE state IN ({states}) \
                 AND COALESCE(alive_at_ms, created_at_ms) < $3"
            )))
            .bind(error.to_owned())
            .bind(ms(at))
            .bind(ms(before))
            .execute(&self.pool)
            .await
            .map_err(map_err::<D>)?;
            ended[n] = D::rows_affected(&done);
        }
        Ok((ended[0], ended[1]))
    }

    pub(crate) async fn insert_import_token(
        &self,
        new: &NewImportToken,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<ImportToken> {
        let mut tx = D::begin_write(&self.pool).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO import_tokens (body_code, label, token_hash, created_by, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(new.body.as_str().to_owned())
        .bind(new.label.clone())
        .bind(new.token_hash.clone())
        .bind(new.created_by.clone())
        .bind(ms(at))
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        let mut event = event.clone();
        event.subject = format!("import-token:{id}");
        let appended = insert_audit::<D>(&mut tx, &event, at).await?;
        tx.commit().await.map_err(map_err::<D>)?;
        self.announce(Some(&appended));
        Ok(ImportToken {
            id,
            body: new.body.clone(),
            label: new.label.clone(),
            created_by: new.created_by.clone(),
            created_at: timestamp(ms(at))?,
            revoked_at: None,
        })
    }

    pub(crate) async fn list_import_tokens(&self, body: &str) -> Result<Vec<ImportToken>> {
        sqlx::query_as::<_, TokenRow>(AssertSqlSafe(format!(
            "SELECT {TOKEN_COLUMNS} FROM import_tokens WHERE body_code = $1 ORDER BY id DESC"
        )))
        .bind(body.to_owned())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err::<D>)?
        .into_iter()
        .map(TokenRow::into_token)
        .collect()
    }

    pub(crate) async fn find_import_token(&self, hash: &[u8]) -> Result<ImportToken> {
        sqlx::query_as::<_, TokenRow>(AssertSqlSafe(format!(
            "SELECT {TOKEN_COLUMNS} FROM import_tokens WHERE token_hash = $1"
        )))
        .bind(hash.to_vec())
        .fetch_one(&self.pool)
        .await
        .map_err(map_err::<D>)?
        .into_token()
    }

    pub(crate) async fn set_import_token_revoked(
        &self,
        id: i64,
        body: &str,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<()> {
        let mut tx = D::begin_write(&self.pool).await?;
        let done = sqlx::query(
            "UPDATE import_tokens SET revoked_at_ms = $3 \
             WHERE id = $1 AND body_code = $2 AND revoked_at_ms IS NULL",
        )
        .bind(id)
        .bind(body.to_owned())
        .bind(ms(at))
        .execute(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        if D::rows_affected(&done) != 1 {
            return Err(StorageError::NotFound);
        }
        let appended = insert_audit::<D>(&mut tx, event, at).await?;
        tx.commit().await.map_err(map_err::<D>)?;
        self.announce(Some(&appended));
        Ok(())
    }
}
