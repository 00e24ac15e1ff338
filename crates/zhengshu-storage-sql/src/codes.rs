//! One-time codes: stored as keyed hashes; a new code ends the holder's
//! earlier live one of the same purpose; a check counts one try and uses
//! the code up when it matches, in one write transaction with the code's
//! row locked, so a code is accepted once however many checks race.

use jiff::Timestamp;
use sqlx::{AssertSqlSafe, Database};
use zhengshu_storage::Result;
use zhengshu_storage::codes::{CodeCheck, CodePurpose, NewCode};

use crate::rows::ms;
use crate::{Conn, Dialect, SqlStore, map_err};

/// Compares two hashes in time independent of where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl<D: Dialect> SqlStore<D>
where
    for<'c> &'c mut Conn<D>: sqlx::Executor<'c, Database = D::Db>,
    <D::Db as Database>::Arguments: sqlx::IntoArguments<D::Db>,
    usize: sqlx::ColumnIndex<<D::Db as Database>::Row>,
    for<'n> &'n str: sqlx::ColumnIndex<<D::Db as Database>::Row>,
    for<'v> i64: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> i32: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> Vec<u8>: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> &'v str: sqlx::Encode<'v, D::Db> + sqlx::Type<D::Db>,
{
    pub(crate) async fn store_one_time_code(&self, code: &NewCode, at: Timestamp) -> Result<()> {
        let mut tx = D::begin_write(&self.pool).await?;
        sqlx::query(
            "UPDATE one_time_codes SET used_at_ms = $1 \
             WHERE holder_id = $2 AND purpose = $3 AND used_at_ms IS NULL",
        )
        .bind(ms(at))
        .bind(code.holder_id)
        .bind(code.purpose.code())
        .execute(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        sqlx::query(
            "INSERT INTO one_time_codes (holder_id, purpose, code_hash, tries, created_at_ms, \
             expires_at_ms) VALUES ($1, $2, $3, 0, $4, $5)",
        )
        .bind(code.holder_id)
        .bind(code.purpose.code())
        .bind(&code.hash)
        .bind(ms(at))
        .bind(ms(code.expires_at))
        .execute(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        tx.commit().await.map_err(map_err::<D>)?;
        Ok(())
    }

    pub(crate) async fn check_code(
        &self,
        holder: i64,
        purpose: CodePurpose,
        hash: &[u8],
        max_tries: i32,
        now: Timestamp,
    ) -> Result<CodeCheck> {
        let mut tx = D::begin_write(&self.pool).await?;
        let sql = format!(
            "SELECT c.id, c.code_hash, c.tries FROM one_time_codes c \
             WHERE c.holder_id = $1 AND c.purpose = $2 AND c.used_at_ms IS NULL \
             AND c.expires_at_ms > $3 AND c.tries < $4 ORDER BY c.id DESC LIMIT 1 {}",
            D::LOCK_SELECTED
        );
        let live: Option<(i64, Vec<u8>, i32)> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(holder)
            .bind(purpose.code())
            .bind(ms(now))
            .bind(max_tries)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err::<D>)?;
        let Some((id, stored, tries)) = live else {
            return Ok(CodeCheck::NoLiveCode);
        };
        let answer = if same(&stored, hash) {
            let done = sqlx::query(
                "UPDATE one_time_codes SET tries = tries + 1, used_at_ms = $1 \
                 WHERE id = $2 AND used_at_ms IS NULL",
            )
            .bind(ms(now))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(map_err::<D>)?;
            if D::rows_affected(&done) == 1 {
                CodeCheck::Accepted
            } else {
                CodeCheck::NoLiveCode
            }
        } else {
            sqlx::query("UPDATE one_time_codes SET tries = tries + 1 WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(map_err::<D>)?;
            CodeCheck::Wrong {
                tries_left: (max_tries - tries - 1).max(0),
            }
        };
        tx.commit().await.map_err(map_err::<D>)?;
        Ok(answer)
    }
}
