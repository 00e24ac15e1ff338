//! Public verification (证书查验): the record of verifications, written in
//! batches (one multi-row `INSERT` per chunk, one transaction
//! per batch) so that recording stays off the verifier's path. The table
//! declares no foreign keys and has one index, by annotation (migrations
//! 0018 and 0019): each row names an annotation and a certificate just
//! read, neither is ever deleted, and the holder's 查验记录 is the only
//! reader.

use sqlx::Database;
use zhengshu_domain::{Channel, Verdict};
use zhengshu_storage::{NewVerification, Result, StorageError, Verification, VerificationLog};

use crate::rows::{ms, timestamp};
use crate::{Conn, Dialect, SqlStore, map_err};

/// Rows per `INSERT`. The placeholders are the engine's own (`?` on
/// SQLite, bound in order: numbered ones would be looked up by name, at a
/// cost that grows with their square).
const ROWS_PER_INSERT: usize = 256;

#[derive(Debug, sqlx::FromRow)]
struct VerificationRow {
    at_ms: i64,
    channel: String,
    result: String,
}

impl TryFrom<VerificationRow> for Verification {
    type Error = StorageError;
    fn try_from(r: VerificationRow) -> Result<Self> {
        Ok(Verification {
            at: timestamp(r.at_ms)?,
            channel: Channel::from_code(&r.channel)
                .ok_or_else(|| StorageError::corrupt(format!("bad channel {:?}", r.channel)))?,
            verdict: Verdict::from_code(&r.result)
                .ok_or_else(|| StorageError::corrupt(format!("bad result {:?}", r.result)))?,
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
    for<'v> &'v str: sqlx::Encode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> &'v [u8]: sqlx::Encode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> Option<i64>: sqlx::Encode<'v, D::Db>,
{
    pub(crate) async fn record(&self, batch: &[NewVerification]) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        // One held connection writes them all: its page cache keeps the
        // pages these inserts touch, where a connection of the pool taken
        // in turn would read them again from the file every time.
        let mut held = self.recorder.get(&self.pool).await.map_err(map_err::<D>)?;
        let written = Self::insert_records(held.conn(), batch).await;
        held.check(written).map_err(map_err::<D>)
    }

    async fn insert_records(
        conn: &mut Conn<D>,
        batch: &[NewVerification],
    ) -> Result<(), sqlx::Error> {
        // Checkpoints of the log for many batches at once (SQLite).
        if let Some(setup) = D::BULK_SETUP {
            sqlx::query(setup).execute(&mut *conn).await?;
        }
        let mut tx = sqlx::Connection::begin(conn).await?;
        // A crash may lose the last second of records, as it loses those
        // still queued; a verifier never waits for them.
        if let Some(lazy) = D::LAZY_COMMIT {
            sqlx::query(lazy).execute(&mut *tx).await?;
        }
        // In the order of the index (stable, so each annotation's records
        // keep theirs): every page of it the batch touches is reached once,
        // in order, where arrival order jumps between random pages.
        let mut ordered: Vec<&NewVerification> = batch.iter().collect();
        ordered.sort_by_key(|v| v.annotation_id);
        for chunk in ordered.chunks(ROWS_PER_INSERT) {
            let mut insert = sqlx::QueryBuilder::<D::Db>::new(
                "INSERT INTO verifications (at_ms, channel, annotation_id, certificate_id, \
                 verifier_hmac, result) ",
            );
            insert.push_values(chunk, |mut row, v| {
                row.push_bind(ms(v.at))
                    .push_bind(v.channel.code())
                    .push_bind(v.annotation_id)
                    .push_bind(v.certificate_id)
                    .push_bind(v.verifier.as_bytes().to_vec())
                    .push_bind(v.verdict.code());
            });
            insert.build().execute(&mut *tx).await?;
        }
        tx.commit().await
    }

    pub(crate) async fn log_of_annotation(
        &self,
        annotation_id: i64,
        newest: i64,
    ) -> Result<VerificationLog> {
        let mut conn = self.pool.acquire().await.map_err(map_err::<D>)?;
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM verifications WHERE annotation_id = $1")
                .bind(annotation_id)
                .fetch_one(&mut *conn)
                .await
                .map_err(map_err::<D>)?;
        let newest = sqlx::query_as::<_, VerificationRow>(
            "SELECT at_ms, channel, result FROM verifications WHERE annotation_id = $1 \
             ORDER BY at_ms DESC, id DESC LIMIT $2",
        )
        .bind(annotation_id)
        .bind(newest)
        .fetch_all(&mut *conn)
        .await
        .map_err(map_err::<D>)?
        .into_iter()
        .map(Verification::try_from)
        .collect::<Result<_>>()?;
        Ok(VerificationLog { count, newest })
    }
}
