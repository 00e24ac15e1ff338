//! Public verification (证书查验): the record of verifications, written in
//! batches (one multi-row `INSERT` per chunk, one transaction
//! per batch) so that recording stays off the verifier's path.

use sqlx::{AssertSqlSafe, Database};
use zhengshu_domain::{Channel, Verdict};
use zhengshu_storage::{NewVerification, Result, StorageError, Verification, VerificationLog};

use crate::rows::{ms, timestamp};
use crate::{Conn, Dialect, SqlStore, map_err};

/// Rows per `INSERT`. Small: SQLite binds a numbered parameter by looking
/// its name up in a list, so binding a statement's parameters costs the
/// square of their number (at 1,000 rows of [`COLUMNS`] that lookup was
/// most of a server's time under verification load).
const ROWS_PER_INSERT: usize = 64;

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

/// Columns of one verification row.
const COLUMNS: usize = 6;

/// `($1, …, $6), ($7, …, $12), …`: the placeholders of `rows` rows.
fn values(rows: usize) -> String {
    (0..rows)
        .map(|r| {
            let row: Vec<String> = (1..=COLUMNS)
                .map(|c| format!("${}", r * COLUMNS + c))
                .collect();
            format!("({})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
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
        let written = Self::record_on(held.conn(), batch).await;
        held.check(written).map_err(map_err::<D>)
    }

    async fn record_on(conn: &mut Conn<D>, batch: &[NewVerification]) -> Result<(), sqlx::Error> {
        let mut tx = sqlx::Connection::begin(conn).await?;
        // A crash may lose the last second of records, as it loses those
        // still queued; a verifier never waits for them.
        if let Some(lazy) = D::LAZY_COMMIT {
            sqlx::query(lazy).execute(&mut *tx).await?;
        }
        for chunk in batch.chunks(ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO verifications (at_ms, channel, annotation_id, certificate_id, \
                 verifier_hmac, result) VALUES {}",
                values(chunk.len())
            );
            let mut insert = sqlx::query(AssertSqlSafe(sql));
            for v in chunk {
                insert = insert
                    .bind(ms(v.at))
                    .bind(v.channel.code())
                    .bind(v.annotation_id)
                    .bind(v.certificate_id)
                    .bind(v.verifier.as_bytes().as_slice())
                    .bind(v.verdict.code());
            }
            insert.execute(&mut *tx).await?;
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
