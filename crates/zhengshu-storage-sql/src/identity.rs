//! Identity proof: an account's proof recorded, and an identity taken from
//! an account that held it more weakly (or under details a correction
//! took away from its certificates), in one write transaction with their
//! audit events. The partial unique index on proven ID documents is what
//! keeps a second account from holding the same identity when proofs
//! race; the domain decides which proof takes from which
//! ([`IdentityProof::takes`]), from whether each account's registration
//! matches a visible certificate, read in the same transaction.

use jiff::Timestamp;
use sqlx::AssertSqlSafe;
use sqlx::Database;
use zhengshu_domain::{IdentityProof, OnRecord};
use zhengshu_storage::identity::{TakenBecause, proven_event, taken_event};
use zhengshu_storage::{Conflict, Proven, Result, StorageError};

use crate::rows::{identity_proof, ms};
use crate::{Conn, Dialect, SqlStore, VISIBLE, insert_audit, map_err};

/// A visible certificate matching the registration (ID document and name)
/// of account `$1`, if any.
fn on_record_sql() -> String {
    format!(
        "SELECT c.id FROM certificates c JOIN holders h ON c.id_index = h.id_index \
         AND c.id_type = h.id_type AND c.name = h.name WHERE h.id = $1 AND {VISIBLE} LIMIT 1"
    )
}

impl<D: Dialect> SqlStore<D>
where
    for<'c> &'c mut Conn<D>: sqlx::Executor<'c, Database = D::Db>,
    <D::Db as Database>::Arguments: sqlx::IntoArguments<D::Db>,
    usize: sqlx::ColumnIndex<<D::Db as Database>::Row>,
    for<'n> &'n str: sqlx::ColumnIndex<<D::Db as Database>::Row>,
    for<'v> i64: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> String: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> Vec<u8>: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> &'v str: sqlx::Encode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> Option<String>: sqlx::Encode<'v, D::Db>,
{
    pub(crate) async fn prove(
        &self,
        holder: i64,
        proof: IdentityProof,
        at: Timestamp,
    ) -> Result<Proven> {
        let mut tx = D::begin_write(&self.pool).await?;
        let (index, held): (Vec<u8>, String) =
            sqlx::query_as("SELECT id_index, identity_proof FROM holders WHERE id = $1")
                .bind(holder)
                .fetch_optional(&mut *tx)
                .await
                .map_err(map_err::<D>)?
                .ok_or(StorageError::NotFound)?;
        let held = identity_proof(&held)?;
        let other: Option<(i64, String)> = sqlx::query_as(
            "SELECT id, identity_proof FROM holders \
             WHERE id_index = $1 AND id <> $2 AND identity_proof <> 'none'",
        )
        .bind(&index)
        .bind(holder)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        let mut appended = Vec::new();
        let taken_from = match other {
            None => None,
            Some((other, other_proof)) => {
                let other_proof = identity_proof(&other_proof)?;
                let because = if proof.takes_from(other_proof) {
                    TakenBecause::StrongerProof
                } else {
                    let record = OnRecord {
                        prover: Self::on_record(&mut *tx, holder).await?,
                        holder: Self::on_record(&mut *tx, other).await?,
                    };
                    if !proof.takes(other_proof, record) {
                        return Err(StorageError::Conflict(Conflict::IdentityHeld));
                    }
                    TakenBecause::Corrected
                };
                sqlx::query(
                    "UPDATE holders SET identity_proof = 'none', identity_proven_at_ms = NULL, \
                     identity_taken_at_ms = $1 WHERE id = $2",
                )
                .bind(ms(at))
                .bind(other)
                .execute(&mut *tx)
                .await
                .map_err(map_err::<D>)?;
                // The annotations made under that identity are the
                // prover's now: theirs to see and to withdraw.
                sqlx::query("UPDATE annotations SET holder_id = $1 WHERE holder_id = $2")
                    .bind(holder)
                    .bind(other)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err::<D>)?;
                let event = taken_event(other, other_proof, holder, because);
                appended.push(insert_audit::<D>(&mut tx, &event, at).await?);
                Some(other)
            }
        };
        let now_held = proof.combined(held);
        sqlx::query(
            "UPDATE holders SET identity_proof = $1, identity_proven_at_ms = $2, \
             identity_taken_at_ms = NULL WHERE id = $3",
        )
        .bind(now_held.code())
        .bind(ms(at))
        .bind(holder)
        .execute(&mut *tx)
        .await
        .map_err(|e| match map_err::<D>(e) {
            // Another account proved the same identity meanwhile.
            StorageError::Conflict(Conflict::IdDocument) => {
                StorageError::Conflict(Conflict::IdentityHeld)
            }
            e => e,
        })?;
        let event = proven_event(holder, held, now_held, taken_from);
        appended.push(insert_audit::<D>(&mut tx, &event, at).await?);
        tx.commit().await.map_err(map_err::<D>)?;
        self.announce(appended.last());
        Ok(Proven {
            proof: now_held,
            taken_from,
        })
    }

    /// Whether account `holder`'s registration matches a visible
    /// certificate.
    async fn on_record(tx: &mut Conn<D>, holder: i64) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar(AssertSqlSafe(on_record_sql()))
            .bind(holder)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err::<D>)?;
        Ok(found.is_some())
    }

    pub(crate) async fn clear_taken(&self, holder: i64) -> Result<()> {
        sqlx::query("UPDATE holders SET identity_taken_at_ms = NULL WHERE id = $1")
            .bind(holder)
            .execute(&self.pool)
            .await
            .map_err(map_err::<D>)?;
        Ok(())
    }
}
