//! What both SQL backends share about annotations (加注) and their
//! generation queue: the statements (numbered `$n` parameters, which SQLite
//! and PostgreSQL both take), the row shape, and the audit events. Each
//! backend wraps these in its own transactions and locking: PostgreSQL
//! locks the certificate's row (`FOR UPDATE`) to serialise applications and
//! claims jobs with `FOR UPDATE SKIP LOCKED`; SQLite takes the write lock
//! up front (`BEGIN IMMEDIATE`), so one writer at a time.

use jiff::{SignedDuration, Timestamp};
use rand::Rng;
use zhengshu_domain::{Actor, Annotation, AnnotationState, Day, NewAnnotation, NewAuditEvent};

use crate::StorageError;
use crate::columns::{day, opt_day, timestamp};

/// A generation job a worker holds under a lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub annotation_id: i64,
    /// 1 on the first claim; a lease taken over counts as an attempt.
    pub attempt: i32,
    /// Proves the lease: completing or failing with a token that is no
    /// longer the job's does nothing.
    pub lease_token: String,
}

/// The document a worker made for an annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub content: Vec<u8>,
    pub valid_from: Day,
    pub valid_until: Day,
}

/// What a failed attempt leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Try again, not before this time.
    At(Timestamp),
    /// Give up: the annotation becomes `failed`.
    Never,
}

/// A fresh lease token.
pub fn lease_token() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    hex::encode(bytes)
}

/// The end of a lease taken at `now`.
pub fn lease_end(now: Timestamp, lease: SignedDuration) -> i64 {
    now.saturating_add(lease)
        .map_or(i64::MAX, Timestamp::as_millisecond)
}

pub const ANNOTATION_COLUMNS: &str = "a.id, a.certificate_id, a.holder_id, a.scenario, a.days, \
     a.number, a.verification_code, a.state, a.applied_on, a.applied_at_ms, a.valid_from, \
     a.valid_until, a.ready_at_ms, a.withdrawn_at_ms";

/// The application days of a certificate's annotations that count against
/// the limit, within a window: `$1` certificate, `$2` first day, `$3` last
/// day. Withdrawn ones count, failed ones don't.
pub const COUNTED_DAYS: &str = "SELECT applied_on FROM annotations \
     WHERE certificate_id = $1 AND state <> 'failed' AND applied_on >= $2 AND applied_on <= $3";

/// Stores an application with a provisional number (its code, unique) that
/// [`SET_NUMBER`] replaces once the id is known.
pub const INSERT_ANNOTATION: &str = "INSERT INTO annotations (certificate_id, holder_id, \
     scenario, days, number, verification_code, state, applied_on, applied_at_ms) \
     VALUES ($1, $2, $3, $4, $5, $5, 'generating', $6, $7) RETURNING id";

pub const SET_NUMBER: &str = "UPDATE annotations SET number = $1 WHERE id = $2";

pub const INSERT_JOB: &str =
    "INSERT INTO annotation_jobs (annotation_id, run_at_ms) VALUES ($1, $2)";

/// Claims the job due first whose lease is free or over: `$1` token, `$2`
/// worker, `$3` lease end, `$4` now; `{lock}` is PostgreSQL's
/// `FOR UPDATE SKIP LOCKED` or nothing.
pub fn claim_sql(lock: &str) -> String {
    format!(
        "UPDATE annotation_jobs SET attempts = attempts + 1, lease_token = $1, leased_by = $2, \
         leased_until_ms = $3 WHERE id = (SELECT id FROM annotation_jobs \
         WHERE run_at_ms <= $4 AND (leased_until_ms IS NULL OR leased_until_ms <= $4) \
         ORDER BY run_at_ms, id LIMIT 1 {lock}) \
         RETURNING id, annotation_id, attempts, lease_token"
    )
}

/// Ends a job held under a lease: `$1` job, `$2` token.
pub const DELETE_LEASED_JOB: &str =
    "DELETE FROM annotation_jobs WHERE id = $1 AND lease_token = $2";

/// Puts a job back for a later attempt: `$1` run at, `$2` error, `$3` job,
/// `$4` token.
pub const RESCHEDULE_JOB: &str = "UPDATE annotation_jobs SET run_at_ms = $1, last_error = $2, \
     lease_token = NULL, leased_by = NULL, leased_until_ms = NULL \
     WHERE id = $3 AND lease_token = $4";

/// The first document of an annotation is the only one.
pub const INSERT_DOCUMENT: &str = "INSERT INTO annotation_documents (annotation_id, content, \
     sha256, created_at_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (annotation_id) DO NOTHING";

pub const MARK_READY: &str = "UPDATE annotations SET state = 'ready', valid_from = $1, \
     valid_until = $2, ready_at_ms = $3 WHERE id = $4 AND state = 'generating'";

pub const MARK_FAILED: &str =
    "UPDATE annotations SET state = 'failed' WHERE id = $1 AND state = 'generating'";

/// Withdraws a ready annotation still valid on `$3`: `$1` time, `$2` id.
pub const WITHDRAW: &str = "UPDATE annotations SET state = 'withdrawn', withdrawn_at_ms = $1 \
     WHERE id = $2 AND state = 'ready' AND valid_until >= $3";

#[derive(Debug, sqlx::FromRow)]
pub struct AnnotationRow {
    pub id: i64,
    pub certificate_id: i64,
    pub holder_id: i64,
    pub scenario: String,
    pub days: i32,
    pub number: String,
    pub verification_code: String,
    pub state: String,
    pub applied_on: String,
    pub applied_at_ms: i64,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub ready_at_ms: Option<i64>,
    pub withdrawn_at_ms: Option<i64>,
}

impl TryFrom<AnnotationRow> for Annotation {
    type Error = StorageError;
    fn try_from(r: AnnotationRow) -> Result<Self, StorageError> {
        Ok(Annotation {
            id: r.id,
            certificate_id: r.certificate_id,
            holder_id: r.holder_id,
            scenario: r.scenario,
            days: u16::try_from(r.days)
                .map_err(|_| StorageError::corrupt(format!("bad days {}", r.days)))?,
            number: r.number,
            verification_code: r.verification_code,
            stored_state: AnnotationState::from_code(&r.state)
                .filter(|s| *s != AnnotationState::Expired)
                .ok_or_else(|| StorageError::corrupt(format!("bad state {:?}", r.state)))?,
            applied_on: day(&r.applied_on)?,
            applied_at: timestamp(r.applied_at_ms)?,
            valid_from: opt_day(r.valid_from)?,
            valid_until: opt_day(r.valid_until)?,
            ready_at: r.ready_at_ms.map(timestamp).transpose()?,
            withdrawn_at: r.withdrawn_at_ms.map(timestamp).transpose()?,
        })
    }
}

fn subject(id: i64) -> String {
    format!("annotation:{id}")
}

/// The audit event of an application.
pub fn apply_event(a: &NewAnnotation, id: i64, number: &str) -> NewAuditEvent {
    NewAuditEvent {
        actor: Actor::Holder(a.holder_id),
        action: "annotation.apply".into(),
        subject: subject(id),
        before: None,
        after: Some(
            serde_json::json!({
                "certificate_id": a.certificate_id,
                "number": number,
                "scenario": a.scenario,
                "days": a.days,
                "applied_on": a.applied_on.to_string(),
                "state": "generating",
            })
            .to_string(),
        ),
    }
}

/// The audit event of a document generated (or of a generation given up).
pub fn generation_event(
    job: &Job,
    worker: &str,
    outcome: Result<(&Generated, &str), &str>,
) -> NewAuditEvent {
    let (action, after) = match outcome {
        Ok((g, sha256)) => (
            "annotation.generate",
            serde_json::json!({
                "state": "ready",
                "valid_from": g.valid_from.to_string(),
                "valid_until": g.valid_until.to_string(),
                "sha256": sha256,
                "attempt": job.attempt,
            }),
        ),
        Err(error) => (
            "annotation.fail",
            serde_json::json!({"state": "failed", "error": error, "attempt": job.attempt}),
        ),
    };
    NewAuditEvent {
        actor: Actor::Worker(worker.to_owned()),
        action: action.into(),
        subject: subject(job.annotation_id),
        before: Some(r#"{"state":"generating"}"#.into()),
        after: Some(after.to_string()),
    }
}

/// The audit event of a withdrawal.
pub fn withdraw_event(id: i64, actor: &Actor) -> NewAuditEvent {
    NewAuditEvent {
        actor: actor.clone(),
        action: "annotation.withdraw".into(),
        subject: subject(id),
        before: Some(r#"{"state":"ready"}"#.into()),
        after: Some(r#"{"state":"withdrawn"}"#.into()),
    }
}

/// The audit event of a holder viewing (`inline`) or downloading a
/// document.
pub fn document_event(subject: String, actor: &Actor, inline: bool) -> NewAuditEvent {
    NewAuditEvent {
        actor: actor.clone(),
        action: if inline {
            "document.view"
        } else {
            "document.download"
        }
        .into(),
        subject,
        before: None,
        after: None,
    }
}

/// Hex SHA-256 of a document.
pub fn sha256_hex(content: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(content))
}

/// The annotation and queue statements of a SQL backend, written once:
/// expands, inside a backend crate that has `map_err` and `insert_audit` at
/// its root, to the functions its `Storage` implementation calls. `begin`
/// opens a write transaction (SQLite: `BEGIN IMMEDIATE`);
/// `lock_certificate` is a statement locking the certificate's row `$1`
/// (PostgreSQL: `FOR UPDATE`), or `None` when the transaction is already
/// exclusive; `claim_lock` is appended to the claim's sub-select.
// `crate::` is meant to name the backend crate that expands the macro.
#[allow(clippy::crate_in_macro_def)]
#[macro_export]
macro_rules! annotation_queries {
    (db: $db:ty, pool: $pool:ty, begin: $begin:path, lock_certificate: $lock_certificate:expr, claim_lock: $claim_lock:expr $(,)?) => {
        use jiff::{SignedDuration, Timestamp};
        use sqlx::AssertSqlSafe;
        use $crate::annotations::{
            self as sql, ANNOTATION_COLUMNS, AnnotationRow, Generated, Job, Retry,
        };
        use $crate::columns::ms;
        use $crate::{Conflict, Result, StorageError};
        use zhengshu_domain::{
            Actor, Annotation, AnnotationPolicy, Day, LimitReached, NewAnnotation,
        };

        use crate::{insert_audit, map_err};

        pub(crate) async fn fetch(
            exec: impl sqlx::Executor<'_, Database = $db>,
            id: i64,
        ) -> Result<Annotation> {
            sqlx::query_as::<_, AnnotationRow>(AssertSqlSafe(format!(
                "SELECT {ANNOTATION_COLUMNS} FROM annotations a WHERE a.id = $1"
            )))
            .bind(id)
            .fetch_one(exec)
            .await
            .map_err(map_err)?
            .try_into()
        }

        pub(crate) async fn of_certificate(
            pool: &$pool,
            certificate_id: i64,
        ) -> Result<Vec<Annotation>> {
            sqlx::query_as::<_, AnnotationRow>(AssertSqlSafe(format!(
                "SELECT {ANNOTATION_COLUMNS} FROM annotations a WHERE a.certificate_id = $1 \
                 ORDER BY a.id DESC"
            )))
            .bind(certificate_id)
            .fetch_all(pool)
            .await
            .map_err(map_err)?
            .into_iter()
            .map(TryInto::try_into)
            .collect()
        }

        pub(crate) async fn apply(
            pool: &$pool,
            new: &NewAnnotation,
            policy: &AnnotationPolicy,
        ) -> Result<Result<Annotation, LimitReached>> {
            let mut tx = $begin(pool).await?;
            if let Some(lock) = $lock_certificate {
                sqlx::query(lock)
                    .bind(new.certificate_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
            }
            let today = new.applied_on;
            let days: Vec<String> = sqlx::query_scalar(sql::COUNTED_DAYS)
                .bind(new.certificate_id)
                .bind(policy.window_start(today).to_string())
                .bind(today.to_string())
                .fetch_all(&mut *tx)
                .await
                .map_err(map_err)?;
            let days = days
                .iter()
                .map(|d| $crate::columns::day(d))
                .collect::<Result<Vec<Day>>>()?;
            if let Err(limit) = policy.check_limit(days, today) {
                tx.rollback().await.map_err(map_err)?;
                return Ok(Err(limit));
            }
            let id: i64 = sqlx::query_scalar(sql::INSERT_ANNOTATION)
                .bind(new.certificate_id)
                .bind(new.holder_id)
                .bind(new.scenario.code())
                .bind(i32::from(new.days.get()))
                .bind(&new.verification_code)
                .bind(today.to_string())
                .bind(ms(new.applied_at))
                .fetch_one(&mut *tx)
                .await
                .map_err(map_err)?;
            let number = Annotation::number_for(id, today);
            sqlx::query(sql::SET_NUMBER)
                .bind(&number)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            sqlx::query(sql::INSERT_JOB)
                .bind(id)
                .bind(ms(new.applied_at))
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            insert_audit(
                &mut *tx,
                &sql::apply_event(new, id, &number),
                new.applied_at,
            )
            .await?;
            let stored = fetch(&mut *tx, id).await?;
            tx.commit().await.map_err(map_err)?;
            Ok(Ok(stored))
        }

        pub(crate) async fn withdraw(
            pool: &$pool,
            id: i64,
            today: Day,
            actor: &Actor,
            at: Timestamp,
        ) -> Result<Annotation> {
            let mut tx = $begin(pool).await?;
            let done = sqlx::query(sql::WITHDRAW)
                .bind(ms(at))
                .bind(id)
                .bind(today.to_string())
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            if done.rows_affected() == 0 {
                // Absent is NotFound; present in another state is a conflict.
                fetch(&mut *tx, id).await?;
                return Err(StorageError::Conflict(Conflict::AnnotationState));
            }
            insert_audit(&mut *tx, &sql::withdraw_event(id, actor), at).await?;
            let stored = fetch(&mut *tx, id).await?;
            tx.commit().await.map_err(map_err)?;
            Ok(stored)
        }

        pub(crate) async fn document(pool: &$pool, id: i64) -> Result<Vec<u8>> {
            sqlx::query_scalar("SELECT content FROM annotation_documents WHERE annotation_id = $1")
                .bind(id)
                .fetch_one(pool)
                .await
                .map_err(map_err)
        }

        pub(crate) async fn claim(
            pool: &$pool,
            worker: &str,
            now: Timestamp,
            lease: SignedDuration,
        ) -> Result<Option<Job>> {
            let mut tx = $begin(pool).await?;
            let row: Option<(i64, i64, i32, String)> =
                sqlx::query_as(AssertSqlSafe(sql::claim_sql($claim_lock)))
                    .bind(sql::lease_token())
                    .bind(worker)
                    .bind(sql::lease_end(now, lease))
                    .bind(ms(now))
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(map_err)?;
            tx.commit().await.map_err(map_err)?;
            Ok(row.map(|(id, annotation_id, attempt, lease_token)| Job {
                id,
                annotation_id,
                attempt,
                lease_token,
            }))
        }

        /// Ends `job` if its lease is still held; `false` when it is not.
        async fn end_job(tx: &mut sqlx::Transaction<'static, $db>, job: &Job) -> Result<bool> {
            let done = sqlx::query(sql::DELETE_LEASED_JOB)
                .bind(job.id)
                .bind(&job.lease_token)
                .execute(&mut **tx)
                .await
                .map_err(map_err)?;
            Ok(done.rows_affected() == 1)
        }

        pub(crate) async fn complete(
            pool: &$pool,
            job: &Job,
            worker: &str,
            generated: &Generated,
            at: Timestamp,
        ) -> Result<bool> {
            let mut tx = $begin(pool).await?;
            if !end_job(&mut tx, job).await? {
                tx.rollback().await.map_err(map_err)?;
                return Ok(false);
            }
            let sha256 = sql::sha256_hex(&generated.content);
            sqlx::query(sql::INSERT_DOCUMENT)
                .bind(job.annotation_id)
                .bind(&generated.content)
                .bind(&sha256)
                .bind(ms(at))
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            sqlx::query(sql::MARK_READY)
                .bind(generated.valid_from.to_string())
                .bind(generated.valid_until.to_string())
                .bind(ms(at))
                .bind(job.annotation_id)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            let event = sql::generation_event(job, worker, Ok((generated, &sha256)));
            insert_audit(&mut *tx, &event, at).await?;
            tx.commit().await.map_err(map_err)?;
            Ok(true)
        }

        pub(crate) async fn fail(
            pool: &$pool,
            job: &Job,
            worker: &str,
            error: &str,
            retry: Retry,
            at: Timestamp,
        ) -> Result<bool> {
            let mut tx = $begin(pool).await?;
            let held = match retry {
                Retry::At(when) => {
                    sqlx::query(sql::RESCHEDULE_JOB)
                        .bind(ms(when))
                        .bind(error)
                        .bind(job.id)
                        .bind(&job.lease_token)
                        .execute(&mut *tx)
                        .await
                        .map_err(map_err)?
                        .rows_affected()
                        == 1
                }
                Retry::Never => {
                    let held = end_job(&mut tx, job).await?;
                    if held {
                        sqlx::query(sql::MARK_FAILED)
                            .bind(job.annotation_id)
                            .execute(&mut *tx)
                            .await
                            .map_err(map_err)?;
                        let event = sql::generation_event(job, worker, Err(error));
                        insert_audit(&mut *tx, &event, at).await?;
                    }
                    held
                }
            };
            tx.commit().await.map_err(map_err)?;
            Ok(held)
        }

        pub(crate) async fn pending(pool: &$pool) -> Result<i64> {
            sqlx::query_scalar("SELECT COUNT(*) FROM annotation_jobs")
                .fetch_one(pool)
                .await
                .map_err(map_err)
        }
    };
}
