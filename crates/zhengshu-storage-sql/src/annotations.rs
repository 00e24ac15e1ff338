//! Annotations (加注) and their generation queue. An application runs in
//! the dialect's write transaction, with the certificate locked where the
//! transaction alone does not keep other writers out, so that counting the
//! certificate's annotations and adding one happen one application at a
//! time; which annotations count is the domain's rule. Workers claim jobs
//! under a lease; completing or failing one is fenced by its lease token.

use jiff::{SignedDuration, Timestamp};
use rand::Rng;
use sqlx::{AssertSqlSafe, Database};
use zhengshu_domain::{Actor, Annotation, AnnotationPolicy, Day, NewAnnotation};
use zhengshu_storage::annotations::{apply_event, generation_event, sha256_hex, withdraw_event};
use zhengshu_storage::{Conflict, Generated, Job, Result, Retry, StorageError};

use crate::rows::{ANNOTATION_COLUMNS, AnnotationRow, day, ms, stored_state};
use crate::{Conn, Dialect, SqlStore, insert_audit, map_err};

impl<D: Dialect> SqlStore<D>
where
    for<'c> &'c mut Conn<D>: sqlx::Executor<'c, Database = D::Db>,
    <D::Db as Database>::Arguments: sqlx::IntoArguments<D::Db>,
    usize: sqlx::ColumnIndex<<D::Db as Database>::Row>,
    for<'n> &'n str: sqlx::ColumnIndex<<D::Db as Database>::Row>,
    for<'v> i64: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> i32: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> String: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> Vec<u8>: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> &'v str: sqlx::Encode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> Option<String>: sqlx::Encode<'v, D::Db>,
{
    pub(crate) async fn fetch_annotation(conn: &mut Conn<D>, id: i64) -> Result<Annotation> {
        sqlx::query_as::<_, AnnotationRow>(AssertSqlSafe(format!(
            "SELECT {ANNOTATION_COLUMNS} FROM annotations a WHERE a.id = $1"
        )))
        .bind(id)
        .fetch_one(conn)
        .await
        .map_err(map_err::<D>)?
        .try_into()
    }

    pub(crate) async fn of_certificate(&self, certificate_id: i64) -> Result<Vec<Annotation>> {
        sqlx::query_as::<_, AnnotationRow>(AssertSqlSafe(format!(
            "SELECT {ANNOTATION_COLUMNS} FROM annotations a WHERE a.certificate_id = $1 \
             ORDER BY a.id DESC"
        )))
        .bind(certificate_id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err::<D>)?
        .into_iter()
        .map(TryInto::try_into)
        .collect()
    }

    pub(crate) async fn apply(
        &self,
        new: &NewAnnotation,
        policy: &AnnotationPolicy,
    ) -> Result<Annotation> {
        let mut tx = D::begin_write(&self.pool).await?;
        if let Some(lock) = D::LOCK_CERTIFICATE {
            sqlx::query(lock)
                .bind(new.certificate_id)
                .execute(&mut *tx)
                .await
                .map_err(map_err::<D>)?;
        }
        // A certificate revoked meanwhile takes no annotation: its row is
        // locked (or the database is) until this transaction ends.
        let revoked: Option<i64> =
            sqlx::query_scalar("SELECT revoked_at_ms FROM certificates WHERE id = $1")
                .bind(new.certificate_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(map_err::<D>)?;
        if revoked.is_some() {
            tx.rollback().await.map_err(map_err::<D>)?;
            return Err(StorageError::Conflict(Conflict::AlreadyRevoked));
        }
        let today = new.applied_on;
        // The certificate's applications inside the window; the domain
        // decides which of them count.
        let applications: Vec<(String, String)> = sqlx::query_as(
            "SELECT applied_on, state FROM annotations \
             WHERE certificate_id = $1 AND applied_on >= $2 AND applied_on <= $3",
        )
        .bind(new.certificate_id)
        .bind(policy.window_start(today).to_string())
        .bind(today.to_string())
        .fetch_all(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        let applications = applications
            .iter()
            .map(|(on, state)| Ok((day(on)?, stored_state(state)?)))
            .collect::<Result<Vec<_>>>()?;
        if let Err(limit) = policy.check_limit(applications, today) {
            tx.rollback().await.map_err(map_err::<D>)?;
            return Err(StorageError::LimitReached(limit));
        }
        // The number is made from the id: stored first under the unique
        // verification code, then set.
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO annotations (certificate_id, holder_id, scenario, days, number, \
             verification_code, state, applied_on, applied_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $5, 'generating', $6, $7) RETURNING id",
        )
        .bind(new.certificate_id)
        .bind(new.holder_id)
        .bind(new.scenario.code())
        .bind(i32::from(new.days.get()))
        .bind(&new.verification_code)
        .bind(today.to_string())
        .bind(ms(new.applied_at))
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        let number = Annotation::number_for(id, today);
        sqlx::query("UPDATE annotations SET number = $1 WHERE id = $2")
            .bind(&number)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(map_err::<D>)?;
        sqlx::query("INSERT INTO annotation_jobs (annotation_id, run_at_ms) VALUES ($1, $2)")
            .bind(id)
            .bind(ms(new.applied_at))
            .execute(&mut *tx)
            .await
            .map_err(map_err::<D>)?;
        if let Some(announce) = D::ANNOUNCE_JOB {
            sqlx::query(announce)
                .execute(&mut *tx)
                .await
                .map_err(map_err::<D>)?;
        }
        let appended =
            insert_audit::<D>(&mut tx, &apply_event(new, id, &number), new.applied_at).await?;
        let stored = Self::fetch_annotation(&mut tx, id).await?;
        tx.commit().await.map_err(map_err::<D>)?;
        self.announce(Some(&appended));
        Ok(stored)
    }

    pub(crate) async fn withdraw(
        &self,
        id: i64,
        today: Day,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Annotation> {
        let mut tx = D::begin_write(&self.pool).await?;
        let done = sqlx::query(
            "UPDATE annotations SET state = 'withdrawn', withdrawn_at_ms = $1 \
             WHERE id = $2 AND state = 'ready' AND valid_until >= $3",
        )
        .bind(ms(at))
        .bind(id)
        .bind(today.to_string())
        .execute(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        if D::rows_affected(&done) == 0 {
            // Absent is NotFound; present in another state is a conflict.
            Self::fetch_annotation(&mut tx, id).await?;
            return Err(StorageError::Conflict(Conflict::AnnotationState));
        }
        let appended = insert_audit::<D>(&mut tx, &withdraw_event(id, actor), at).await?;
        let stored = Self::fetch_annotation(&mut tx, id).await?;
        tx.commit().await.map_err(map_err::<D>)?;
        self.announce(Some(&appended));
        Ok(stored)
    }

    /// Claims the job due first whose lease is free or over.
    pub(crate) async fn claim(
        &self,
        worker: &str,
        now: Timestamp,
        lease: SignedDuration,
    ) -> Result<Option<Job>> {
        let token = hex::encode(rand::rng().random::<[u8; 16]>());
        let lease_end = now
            .saturating_add(lease)
            .map_or(i64::MAX, Timestamp::as_millisecond);
        let sql = format!(
            "UPDATE annotation_jobs SET attempts = attempts + 1, lease_token = $1, \
             leased_by = $2, leased_until_ms = $3 WHERE id = (SELECT id FROM annotation_jobs \
             WHERE run_at_ms <= $4 AND (leased_until_ms IS NULL OR leased_until_ms <= $4) \
             ORDER BY run_at_ms, id LIMIT 1 {}) \
             RETURNING id, annotation_id, attempts, lease_token",
            D::SKIP_LOCKED
        );
        let mut tx = D::begin_write(&self.pool).await?;
        let row: Option<(i64, i64, i32, String)> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(token)
            .bind(worker)
            .bind(lease_end)
            .bind(ms(now))
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err::<D>)?;
        tx.commit().await.map_err(map_err::<D>)?;
        Ok(row.map(|(id, annotation_id, attempt, lease_token)| Job {
            id,
            annotation_id,
            attempt,
            lease_token,
        }))
    }

    /// Ends `job` if its lease is still held; `false` when it is not.
    async fn end_job(conn: &mut Conn<D>, job: &Job) -> Result<bool> {
        let done = sqlx::query("DELETE FROM annotation_jobs WHERE id = $1 AND lease_token = $2")
            .bind(job.id)
            .bind(&job.lease_token)
            .execute(conn)
            .await
            .map_err(map_err::<D>)?;
        Ok(D::rows_affected(&done) == 1)
    }

    pub(crate) async fn complete(
        &self,
        job: &Job,
        worker: &str,
        generated: &Generated,
        at: Timestamp,
    ) -> Result<bool> {
        let mut tx = D::begin_write(&self.pool).await?;
        if !Self::end_job(&mut tx, job).await? {
            tx.rollback().await.map_err(map_err::<D>)?;
            return Ok(false);
        }
        let sha256 = sha256_hex(&generated.content);
        // The first document of an annotation is the only one.
        sqlx::query(
            "INSERT INTO annotation_documents (annotation_id, content, sha256, created_at_ms) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (annotation_id) DO NOTHING",
        )
        .bind(job.annotation_id)
        .bind(&generated.content)
        .bind(&sha256)
        .bind(ms(at))
        .execute(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        // Issued under its annotation's 查验码.
        sqlx::query(
            "INSERT INTO issued_documents \
             (code, sha256, certificate_id, annotation_id, issued_at_ms) \
             SELECT verification_code, $1, certificate_id, id, $2 FROM annotations \
             WHERE id = $3 ON CONFLICT (code) DO NOTHING",
        )
        .bind(&sha256)
        .bind(ms(at))
        .bind(job.annotation_id)
        .execute(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        sqlx::query(
            "UPDATE annotations SET state = 'ready', valid_from = $1, valid_until = $2, \
             ready_at_ms = $3 WHERE id = $4 AND state = 'generating'",
        )
        .bind(generated.valid_from.to_string())
        .bind(generated.valid_until.to_string())
        .bind(ms(at))
        .bind(job.annotation_id)
        .execute(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        let event = generation_event(job, worker, Ok((generated, &sha256)));
        let appended = insert_audit::<D>(&mut tx, &event, at).await?;
        tx.commit().await.map_err(map_err::<D>)?;
        self.announce(Some(&appended));
        Ok(true)
    }

    pub(crate) async fn fail(
        &self,
        job: &Job,
        worker: &str,
        error: &str,
        retry: Retry,
        at: Timestamp,
    ) -> Result<bool> {
        let mut tx = D::begin_write(&self.pool).await?;
        let mut appended = None;
        let held = match retry {
            Retry::At(when) => {
                let done = sqlx::query(
                    "UPDATE annotation_jobs SET run_at_ms = $1, last_error = $2, \
                     lease_token = NULL, leased_by = NULL, leased_until_ms = NULL \
                     WHERE id = $3 AND lease_token = $4",
                )
                .bind(ms(when))
                .bind(error)
                .bind(job.id)
                .bind(&job.lease_token)
                .execute(&mut *tx)
                .await
                .map_err(map_err::<D>)?;
                D::rows_affected(&done) == 1
            }
            Retry::Never => {
                let held = Self::end_job(&mut tx, job).await?;
                if held {
                    sqlx::query(
                        "UPDATE annotations SET state = 'failed' \
                         WHERE id = $1 AND state = 'generating'",
                    )
                    .bind(job.annotation_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err::<D>)?;
                    let event = generation_event(job, worker, Err(error));
                    appended = Some(insert_audit::<D>(&mut tx, &event, at).await?);
                }
                held
            }
        };
        tx.commit().await.map_err(map_err::<D>)?;
        self.announce(appended.as_ref());
        Ok(held)
    }
}
