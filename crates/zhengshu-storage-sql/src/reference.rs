//! The operator's changes to the reference data ([`ReferenceChange`]):
//! each statement and its audit event in one write transaction; an update
//! only matches the row as the operator saw it, an addition only a free
//! code, a terms version only the next number.

use jiff::Timestamp;
use sqlx::Database;
use zhengshu_domain::{NewAuditEvent, QualificationType};
use zhengshu_storage::{Conflict, ReferenceChange, Result, StorageError};

use crate::rows::{TermsRow, ms};
use crate::{Conn, Dialect, SqlStore, insert_audit, map_err};

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
    for<'v> Option<i32>: sqlx::Encode<'v, D::Db>,
{
    pub(crate) async fn apply_reference(
        &self,
        change: &ReferenceChange,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<()> {
        let mut tx = D::begin_write(&self.pool).await?;
        let matched = match change {
            ReferenceChange::AddBody(b) => {
                let taken: Option<i32> =
                    sqlx::query_scalar("SELECT 1 FROM issuing_bodies WHERE code = $1")
                        .bind(b.code.as_str().to_owned())
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(map_err::<D>)?;
                if taken.is_some() {
                    return Err(StorageError::Conflict(Conflict::Exists));
                }
                let done = sqlx::query(
                    "INSERT INTO issuing_bodies (code, name, exempt_before_cutover) \
                     VALUES ($1, $2, $3)",
                )
                .bind(b.code.as_str().to_owned())
                .bind(b.name.clone())
                .bind(b.exempt_before_cutover)
                .execute(&mut *tx)
                .await
                .map_err(exists::<D>)?;
                D::rows_affected(&done)
            }
            ReferenceChange::UpdateBody { before, after } => {
                let done = sqlx::query(
                    "UPDATE issuing_bodies SET name = $1, exempt_before_cutover = $2 \
                     WHERE code = $3 AND name = $4 AND exempt_before_cutover = $5",
                )
                .bind(after.name.clone())
                .bind(after.exempt_before_cutover)
                .bind(before.code.as_str().to_owned())
                .bind(before.name.clone())
                .bind(before.exempt_before_cutover)
                .execute(&mut *tx)
                .await
                .map_err(map_err::<D>)?;
                D::rows_affected(&done)
            }
            ReferenceChange::AddType(q) => {
                let taken: Option<i32> =
                    sqlx::query_scalar("SELECT 1 FROM qualification_types WHERE code = $1")
                        .bind(q.code.as_str().to_owned())
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(map_err::<D>)?;
                if taken.is_some() {
                    return Err(StorageError::Conflict(Conflict::Exists));
                }
                let done = sqlx::query(
                    "INSERT INTO qualification_types (code, name, body_code, in_scope, \
                     years_from, years_to) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(q.code.as_str().to_owned())
                .bind(q.name.clone())
                .bind(q.body.as_str().to_owned())
                .bind(q.in_scope)
                .bind(i32::from(q.years_from))
                .bind(q.years_to.map(i32::from))
                .execute(&mut *tx)
                .await
                .map_err(exists::<D>)?;
                D::rows_affected(&done)
            }
            ReferenceChange::UpdateType { before, after } => {
                update_type::<D>(&mut *tx, before, after).await?
            }
            ReferenceChange::PublishTerms { version, text } => {
                let newest: Option<i32> =
                    sqlx::query_scalar("SELECT MAX(version) FROM terms_versions")
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(map_err::<D>)?;
                if newest.unwrap_or(0) + 1 != *version {
                    return Err(StorageError::Conflict(Conflict::Changed));
                }
                sqlx::query_as::<_, TermsRow>(
                    "INSERT INTO terms_versions (version, text, published_at_ms) \
                     VALUES ($1, $2, $3) RETURNING version, text, published_at_ms",
                )
                .bind(*version)
                .bind(text.clone())
                .bind(ms(at))
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| match map_err::<D>(e) {
                    StorageError::Conflict(_) => StorageError::Conflict(Conflict::Changed),
                    other => other,
                })?;
                1
            }
        };
        if matched != 1 {
            return Err(StorageError::Conflict(Conflict::Changed));
        }
        let appended = insert_audit::<D>(&mut tx, event, at).await?;
        tx.commit().await.map_err(map_err::<D>)?;
        self.announce(Some(&appended));
        Ok(())
    }
}

/// A unique violation on an insert is a taken code (two operators adding
/// the same code at once).
fn exists<D: Dialect>(e: sqlx::Error) -> StorageError {
    match map_err::<D>(e) {
        StorageError::Conflict(_) => StorageError::Conflict(Conflict::Exists),
        other => other,
    }
}

async fn update_type<D: Dialect>(
    tx: &mut Conn<D>,
    before: &QualificationType,
    after: &QualificationType,
) -> Result<u64>
where
    for<'c> &'c mut Conn<D>: sqlx::Executor<'c, Database = D::Db>,
    <D::Db as Database>::Arguments: sqlx::IntoArguments<D::Db>,
    for<'v> i32: sqlx::Encode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> bool: sqlx::Encode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> String: sqlx::Encode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> Option<i32>: sqlx::Encode<'v, D::Db>,
{
    // `years_to` is NULL for "up to now": compared through a value no
    // year takes.
    let done = sqlx::query(
        "UPDATE qualification_types SET name = $1, body_code = $2, in_scope = $3, \
         years_from = $4, years_to = $5 \
         WHERE code = $6 AND name = $7 AND body_code = $8 AND in_scope = $9 \
         AND years_from = $10 AND COALESCE(years_to, -1) = COALESCE($11, -1)",
    )
    .bind(after.name.clone())
    .bind(after.body.as_str().to_owned())
    .bind(after.in_scope)
    .bind(i32::from(after.years_from))
    .bind(after.years_to.map(i32::from))
    .bind(before.code.as_str().to_owned())
    .bind(before.name.clone())
    .bind(before.body.as_str().to_owned())
    .bind(before.in_scope)
    .bind(i32::from(before.years_from))
    .bind(before.years_to.map(i32::from))
    .execute(&mut *tx)
    .await
    .map_err(map_err::<D>)?;
    Ok(D::rows_affected(&done))
}
