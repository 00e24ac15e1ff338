//! The console's work on certificates: finding a body's certificates (by
//! number, by name, or by ID number through the blind index, never a
//! number in clear), revoking one — a conditional `UPDATE` that re-checks
//! the body and the state in the same transaction as its audit event —
//! the operator's reinstatement of a revoked one, and corrections: the
//! row locked, compared with what the officer saw, rewritten, the version
//! replaced kept in `certificate_versions` with the identity it had, and
//! the audit event, in one transaction; and the certificate electronic
//! files, their contents stored once under their SHA-256.

use jiff::Timestamp;
use sqlx::{AssertSqlSafe, Database};
use zhengshu_domain::{
    Certificate, CertificateNumber, HolderName, IdDocument, NewAuditEvent, Revocation,
};
use zhengshu_storage::{
    CertificateFile, CertificateSearch, CertificateVersion, Conflict, Correction, NewFile, Result,
    StorageError,
};

use crate::rows::{CertificateRow, ms, timestamp};
use crate::{Conn, Dialect, SqlStore, VISIBLE, certificate_where, insert_audit, map_err};

/// A value a search binds.
enum Value {
    Text(String),
    Bytes(Vec<u8>),
}

/// The certificates of a body (`$1`: the body).
const OF_BODY: &str = "SELECT c.id FROM certificates c \
     JOIN qualification_types q ON q.code = c.qualification_code WHERE q.body_code = $1";

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
    for<'v> Option<String>: sqlx::Encode<'v, D::Db>,
    for<'v> Option<i64>: sqlx::Encode<'v, D::Db>,
{
    pub(crate) async fn search_certificates(
        &self,
        body: Option<&str>,
        search: &CertificateSearch,
        after: Option<&CertificateNumber>,
        limit: i64,
    ) -> Result<Vec<Certificate>> {
        // The parameters: the body (when scoped), the search's values, the
        // number to start after (when paging), numbered in that order.
        let sql = |condition: &[&str]| {
            let mut n = 0;
            let mut next = || {
                n += 1;
                format!("${n}")
            };
            let mut parts = Vec::new();
            if body.is_some() {
                parts.push(format!("q.body_code = {}", next()));
            }
            for column in condition {
                parts.push(format!("{column} = {}", next()));
            }
            if after.is_some() {
                parts.push(format!("c.number > {}", next()));
            }
            certificate_where::<D>(&format!(
                "{} ORDER BY c.number LIMIT {limit}",
                parts.join(" AND ")
            ))
        };
        let lookups: Vec<(String, Vec<Value>)> = match search {
            CertificateSearch::Number(n) => {
                vec![(sql(&["c.number"]), vec![Value::Text(n.as_str().to_owned())])]
            }
            CertificateSearch::Name(name) => vec![(
                sql(&["c.name"]),
                vec![Value::Text(name.as_str().to_owned())],
            )],
            CertificateSearch::Id(docs) => docs
                .iter()
                .map(|d| {
                    (
                        sql(&["c.id_index", "c.id_type"]),
                        vec![
                            Value::Bytes(self.vault.blind_index(d)),
                            Value::Text(d.id_type.code().to_owned()),
                        ],
                    )
                })
                .collect(),
        };
        let mut rows: Vec<CertificateRow> = Vec::new();
        for (sql, values) in lookups {
            let mut q = sqlx::query_as::<_, CertificateRow>(AssertSqlSafe(sql));
            if let Some(b) = body {
                q = q.bind(b.to_owned());
            }
            for v in values {
                q = match v {
                    Value::Text(t) => q.bind(t),
                    Value::Bytes(b) => q.bind(b),
                };
            }
            if let Some(a) = after {
                q = q.bind(a.as_str().to_owned());
            }
            let found = q.fetch_all(&self.pool).await.map_err(map_err::<D>)?;
            for r in found {
                if !rows.iter().any(|x| x.id == r.id) {
                    rows.push(r);
                }
            }
        }
        // Several look-ups (an ID number valid for several document
        // types) each answered their first page: the first of them all.
        rows.sort_by(|a, b| a.number.cmp(&b.number));
        rows.truncate(usize::try_from(limit).unwrap_or(0));
        rows.into_iter()
            .map(|r| r.into_certificate(&self.vault))
            .collect()
    }

    pub(crate) async fn revoke_of_body(
        &self,
        id: i64,
        body: &str,
        revocation: &Revocation,
        event: &NewAuditEvent,
    ) -> Result<()> {
        let mut tx = D::begin_write(&self.pool).await?;
        let done = sqlx::query(AssertSqlSafe(format!(
            "UPDATE certificates SET revoked_at_ms = $3, revocation_reason = $4, \
             updated_at_ms = $3 WHERE id = $2 AND revoked_at_ms IS NULL \
             AND id IN ({OF_BODY} AND c.id = $2 AND {VISIBLE})"
        )))
        .bind(body.to_owned())
        .bind(id)
        .bind(ms(revocation.at))
        .bind(revocation.reason.clone())
        .execute(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        if D::rows_affected(&done) != 1 {
            let exists: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
                "{OF_BODY} AND c.id = $2 AND {VISIBLE}"
            )))
            .bind(body.to_owned())
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err::<D>)?;
            tx.rollback().await.map_err(map_err::<D>)?;
            return Err(match exists {
                Some(_) => StorageError::Conflict(Conflict::AlreadyRevoked),
                None => StorageError::NotFound,
            });
        }
        let appended = insert_audit::<D>(&mut tx, event, revocation.at).await?;
        tx.commit().await.map_err(map_err::<D>)?;
        self.announce(Some(&appended));
        Ok(())
    }

    pub(crate) async fn reinstate(
        &self,
        id: i64,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<()> {
        let mut tx = D::begin_write(&self.pool).await?;
        let done = sqlx::query(AssertSqlSafe(format!(
            "UPDATE certificates SET revoked_at_ms = NULL, revocation_reason = NULL, \
             updated_at_ms = $2 WHERE id = $1 AND revoked_at_ms IS NOT NULL \
             AND id IN (SELECT c.id FROM certificates c WHERE c.id = $1 AND {VISIBLE})"
        )))
        .bind(id)
        .bind(ms(at))
        .execute(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        if D::rows_affected(&done) != 1 {
            let exists: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT c.id FROM certificates c WHERE c.id = $1 AND {VISIBLE}"
            )))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err::<D>)?;
            tx.rollback().await.map_err(map_err::<D>)?;
            return Err(match exists {
                Some(_) => StorageError::Conflict(Conflict::Changed),
                None => StorageError::NotFound,
            });
        }
        let appended = insert_audit::<D>(&mut tx, event, at).await?;
        tx.commit().await.map_err(map_err::<D>)?;
        self.announce(Some(&appended));
        Ok(())
    }

    pub(crate) async fn correct(
        &self,
        id: i64,
        body: &str,
        correction: &Correction,
        event: &NewAuditEvent,
    ) -> Result<()> {
        let mut tx = D::begin_write(&self.pool).await?;
        if let Some(lock) = D::LOCK_CERTIFICATE {
            sqlx::query(lock)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(map_err::<D>)?;
        }
        let row = sqlx::query_as::<_, CertificateRow>(AssertSqlSafe(certificate_where::<D>(
            "c.id = $1 AND q.body_code = $2",
        )))
        .bind(id)
        .bind(body.to_owned())
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        let Some(row) = row else {
            tx.rollback().await.map_err(map_err::<D>)?;
            return Err(StorageError::NotFound);
        };
        let current = row.into_certificate(&self.vault)?;
        if current.data != correction.before {
            tx.rollback().await.map_err(map_err::<D>)?;
            return Err(StorageError::Conflict(Conflict::Changed));
        }
        let after = &correction.after;
        let sealed = self.vault.seal(&after.id);
        let date = D::DATE_PARAM;
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE certificates SET management_number = $2, name = $3, sex = $4, \
             birth_date = $5{date}, id_type = $6, id_cipher = $7, id_index = $8, \
             category = $9, specialty = $10, level = $11, approval_date = $12{date}, \
             issue_date = $13{date}, updated_at_ms = $14 WHERE id = $1"
        )))
        .bind(id)
        .bind(after.management_number.clone())
        .bind(after.name.as_str().to_owned())
        .bind(after.sex.map(|s| s.code().to_owned()))
        .bind(after.birth_date.map(|d| d.to_string()))
        .bind(after.id.id_type.code().to_owned())
        .bind(sealed.cipher)
        .bind(sealed.index)
        .bind(after.category.clone())
        .bind(after.specialty.clone())
        .bind(after.level.clone())
        .bind(after.approval_date.map(|d| d.to_string()))
        .bind(after.issue_date.to_string())
        .bind(ms(correction.at))
        .execute(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        let version: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM certificate_versions WHERE certificate_id = $1",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        let before = &correction.before;
        sqlx::query(
            "INSERT INTO certificate_versions (certificate_id, version, at_ms, actor, reason, \
             before_fields, after_fields, old_id_type, old_id_index, old_name) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(i32::try_from(version + 1).map_err(StorageError::other)?)
        .bind(ms(correction.at))
        .bind(correction.actor.clone())
        .bind(correction.reason.clone())
        .bind(zhengshu_storage::audit_json(before))
        .bind(zhengshu_storage::audit_json(after))
        .bind(before.id.id_type.code().to_owned())
        .bind(self.vault.blind_index(&before.id))
        .bind(before.name.as_str().to_owned())
        .execute(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        let appended = insert_audit::<D>(&mut tx, event, correction.at).await?;
        tx.commit().await.map_err(map_err::<D>)?;
        self.announce(Some(&appended));
        Ok(())
    }

    pub(crate) async fn versions(&self, id: i64) -> Result<Vec<CertificateVersion>> {
        let rows: Vec<(i32, i64, String, String, String, String)> = sqlx::query_as(
            "SELECT version, at_ms, actor, reason, before_fields, after_fields \
             FROM certificate_versions WHERE certificate_id = $1 ORDER BY version DESC",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err::<D>)?;
        rows.into_iter()
            .map(|(version, at, actor, reason, before, after)| {
                Ok(CertificateVersion {
                    version,
                    at: timestamp(at)?,
                    actor,
                    reason,
                    before,
                    after,
                })
            })
            .collect()
    }

    pub(crate) async fn corrected_away(
        &self,
        id: &IdDocument,
        name: &HolderName,
    ) -> Result<Vec<Timestamp>> {
        let at: Vec<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT v.at_ms FROM certificate_versions v \
             JOIN certificates c ON c.id = v.certificate_id \
             WHERE v.old_id_index = $1 AND v.old_id_type = $2 AND v.old_name = $3 \
             AND NOT (c.id_index = $1 AND c.id_type = $2 AND c.name = $3) AND {VISIBLE} \
             ORDER BY v.at_ms"
        )))
        .bind(self.vault.blind_index(id))
        .bind(id.id_type.code().to_owned())
        .bind(name.as_str().to_owned())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err::<D>)?;
        at.into_iter().map(timestamp).collect()
    }

    pub(crate) async fn attach(
        &self,
        id: i64,
        body: &str,
        file: &NewFile,
        event: &NewAuditEvent,
    ) -> Result<i64> {
        let mut tx = D::begin_write(&self.pool).await?;
        let exists: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
            "{OF_BODY} AND c.id = $2 AND {VISIBLE}"
        )))
        .bind(body.to_owned())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        if exists.is_none() {
            tx.rollback().await.map_err(map_err::<D>)?;
            return Err(StorageError::NotFound);
        }
        let size = i64::try_from(file.content.len()).map_err(StorageError::other)?;
        sqlx::query(
            "INSERT INTO file_contents (sha256, content, size) VALUES ($1, $2, $3) \
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(file.sha256.clone())
        .bind(file.content.clone())
        .bind(size)
        .execute(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        let attached: i64 = sqlx::query_scalar(
            "INSERT INTO certificate_attachments (certificate_id, title, media_type, sha256, \
             size, added_at_ms, added_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(id)
        .bind(file.title.clone())
        .bind(file.media_type.clone())
        .bind(file.sha256.clone())
        .bind(size)
        .bind(ms(file.at))
        .bind(file.added_by.clone())
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        let appended = insert_audit::<D>(&mut tx, event, file.at).await?;
        tx.commit().await.map_err(map_err::<D>)?;
        self.announce(Some(&appended));
        Ok(attached)
    }

    pub(crate) async fn files_of(&self, id: i64) -> Result<Vec<CertificateFile>> {
        let rows: Vec<FileRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {FILE_COLUMNS} FROM certificate_attachments a \
             WHERE a.certificate_id = $1 ORDER BY a.id"
        )))
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err::<D>)?;
        rows.into_iter().map(FileRow::into_file).collect()
    }

    pub(crate) async fn file_with_content(&self, file: i64) -> Result<(CertificateFile, Vec<u8>)> {
        let row: FileRow = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {FILE_COLUMNS} FROM certificate_attachments a WHERE a.id = $1"
        )))
        .bind(file)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err::<D>)?;
        let content: Vec<u8> =
            sqlx::query_scalar("SELECT content FROM file_contents WHERE sha256 = $1")
                .bind(row.sha256.clone())
                .fetch_one(&self.pool)
                .await
                .map_err(map_err::<D>)?;
        Ok((row.into_file()?, content))
    }

    // What retiring needs: which, whose body, by whom, why, the event, when.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn retire(
        &self,
        file: i64,
        body: &str,
        by: &str,
        reason: &str,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<()> {
        let mut tx = D::begin_write(&self.pool).await?;
        let done = sqlx::query(AssertSqlSafe(format!(
            "UPDATE certificate_attachments SET retired_at_ms = $3, retired_by = $4, \
             retire_reason = $5 WHERE id = $2 AND retired_at_ms IS NULL \
             AND certificate_id IN ({OF_BODY} AND {VISIBLE})"
        )))
        .bind(body.to_owned())
        .bind(file)
        .bind(ms(at))
        .bind(by.to_owned())
        .bind(reason.to_owned())
        .execute(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        if D::rows_affected(&done) != 1 {
            let exists: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT a.id FROM certificate_attachments a \
                 WHERE a.id = $2 AND a.certificate_id IN ({OF_BODY} AND {VISIBLE})"
            )))
            .bind(body.to_owned())
            .bind(file)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err::<D>)?;
            tx.rollback().await.map_err(map_err::<D>)?;
            return Err(match exists {
                Some(_) => StorageError::Conflict(Conflict::Changed),
                None => StorageError::NotFound,
            });
        }
        let appended = insert_audit::<D>(&mut tx, event, at).await?;
        tx.commit().await.map_err(map_err::<D>)?;
        self.announce(Some(&appended));
        Ok(())
    }
}

const FILE_COLUMNS: &str = "a.id, a.certificate_id, a.title, a.media_type, a.sha256, a.size, \
     a.added_at_ms, a.added_by, a.retired_at_ms, a.retired_by, a.retire_reason";

#[derive(sqlx::FromRow)]
struct FileRow {
    id: i64,
    certificate_id: i64,
    title: String,
    media_type: String,
    sha256: String,
    size: i64,
    added_at_ms: i64,
    added_by: String,
    retired_at_ms: Option<i64>,
    retired_by: Option<String>,
    retire_reason: Option<String>,
}

impl FileRow {
    fn into_file(self) -> Result<CertificateFile> {
        let retired = match self.retired_at_ms {
            Some(at) => Some((
                timestamp(at)?,
                self.retired_by.unwrap_or_default(),
                self.retire_reason.unwrap_or_default(),
            )),
            None => None,
        };
        Ok(CertificateFile {
            id: self.id,
            certificate_id: self.certificate_id,
            title: self.title,
            media_type: self.media_type,
            sha256: self.sha256,
            size: self.size,
            added_at: timestamp(self.added_at_ms)?,
            added_by: self.added_by,
            retired,
        })
    }
}
