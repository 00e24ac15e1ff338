//! Holder support for an issuing body's officers: the holder accounts that
//! hold the identity of one of the body's certificates (matched by blind
//! index, never by a number in clear), and unlinking one from that
//! identity — a conditional `UPDATE` that re-checks the body's claim on
//! the account in the same transaction as its audit event.

use jiff::Timestamp;
use rand::RngCore;
use sqlx::{AssertSqlSafe, Database};
use zhengshu_domain::NewAuditEvent;
use zhengshu_storage::{HolderSearch, LinkedHolder, Result, StorageError};

use crate::rows::{HOLDER_COLUMNS, HolderRow, ms};
use crate::{Conn, Dialect, SqlStore, insert_audit, map_err};

/// The blind indexes of the body's certificates (`$1`: the body).
const BODY_INDEXES: &str = "SELECT c.id_index FROM certificates c \
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
    pub(crate) async fn linked_holders(
        &self,
        body: &str,
        search: &HolderSearch,
    ) -> Result<Vec<LinkedHolder>> {
        let sql = |condition: &str| {
            format!(
                "SELECT {HOLDER_COLUMNS} FROM holders h WHERE h.unlinked_at_ms IS NULL \
                 AND h.id_index IN ({BODY_INDEXES} AND {condition}) ORDER BY h.id"
            )
        };
        let mut rows: Vec<HolderRow> = Vec::new();
        match search {
            HolderSearch::Certificate(n) => {
                rows = sqlx::query_as::<_, HolderRow>(AssertSqlSafe(sql("c.number = $2")))
                    .bind(body.to_owned())
                    .bind(n.as_str().to_owned())
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_err::<D>)?;
            }
            HolderSearch::Id(docs) => {
                for d in docs {
                    let found =
                        sqlx::query_as::<_, HolderRow>(AssertSqlSafe(sql("c.id_index = $2")))
                            .bind(body.to_owned())
                            .bind(self.vault.blind_index(d))
                            .fetch_all(&self.pool)
                            .await
                            .map_err(map_err::<D>)?;
                    for r in found {
                        if !rows.iter().any(|x| x.id == r.id) {
                            rows.push(r);
                        }
                    }
                }
            }
        }
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id = r.id;
            let certificates: Vec<String> = sqlx::query_scalar(
                "SELECT c.number FROM certificates c \
                 JOIN qualification_types q ON q.code = c.qualification_code \
                 WHERE q.body_code = $1 \
                 AND c.id_index = (SELECT id_index FROM holders WHERE id = $2) \
                 ORDER BY c.number",
            )
            .bind(body.to_owned())
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err::<D>)?;
            out.push(LinkedHolder {
                holder: r.into_holder(&self.vault)?,
                certificates,
            });
        }
        Ok(out)
    }

    pub(crate) async fn unlink(
        &self,
        id: i64,
        body: &str,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<()> {
        let mut random = vec![0u8; 32];
        rand::rng().fill_bytes(&mut random);
        let mut tx = D::begin_write(&self.pool).await?;
        let done = sqlx::query(AssertSqlSafe(format!(
            "UPDATE holders SET id_index = $3, unlinked_at_ms = $4, identity_proof = 'none' \
             WHERE id = $2 AND unlinked_at_ms IS NULL AND id_index IN ({BODY_INDEXES})"
        )))
        .bind(body.to_owned())
        .bind(id)
        .bind(random)
        .bind(ms(at))
        .execute(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        if D::rows_affected(&done) != 1 {
            return Err(StorageError::NotFound);
        }
        sqlx::query("DELETE FROM sessions WHERE holder_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(map_err::<D>)?;
        let appended = insert_audit::<D>(&mut tx, event, at).await?;
        tx.commit().await.map_err(map_err::<D>)?;
        self.announce(Some(&appended));
        Ok(())
    }
}
