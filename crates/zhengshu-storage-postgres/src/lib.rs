//! The PostgreSQL backend of [`zhengshu_storage::Storage`], the scale-out
//! engine: several `serve` and `worker` processes share one database.
//! Migrations are embedded from `migrations/`; unique violations are mapped
//! by constraint name.
#![forbid(unsafe_code)]

mod annotations;
mod import;
pub mod testing;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
// Dynamic SQL here is assembled from constants and table names read from
// the catalogue, never from input; `AssertSqlSafe` records that.
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, PgPool};
use zhengshu_domain::{
    Actor, Annotation, AnnotationPolicy, AuditEvent, Certificate, CertificateNumber, Day, Holder,
    HolderName, IdDocument, IssuingBody, LimitReached, NewAnnotation, NewAuditEvent,
    QualificationType, Revocation, TermsVersion, Username,
};
use zhengshu_storage::columns::{ms, timestamp};
use zhengshu_storage::rows::{
    AuditRow, BodyRow, CertificateRow, HOLDER_COLUMNS, HolderRow, QualificationRow,
    SESSION_COLUMNS, SessionRow, TermsRow,
};
use zhengshu_storage::{
    Conflict, Generated, IdVault, ImportTx, Job, LoginFailures, NewHolder, NewSession, Result,
    Retry, SessionRecord, Storage, StorageError,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The columns of a [`CertificateRow`], dates rendered as text.
pub(crate) const CERTIFICATE_SELECT: &str = "SELECT c.id, c.number, c.management_number, c.name, \
     c.sex, to_char(c.birth_date, 'YYYY-MM-DD') AS birth_date, c.id_type, c.id_cipher, \
     c.qualification_code, c.category, c.specialty, c.level, \
     to_char(c.approval_date, 'YYYY-MM-DD') AS approval_date, \
     to_char(c.issue_date, 'YYYY-MM-DD') AS issue_date, c.photo, c.revoked_at_ms, \
     c.revocation_reason, q.name AS qualification_name, b.code AS body_code, \
     b.name AS body_name, b.exempt_before_cutover \
     FROM certificates c \
     JOIN qualification_types q ON q.code = c.qualification_code \
     JOIN issuing_bodies b ON b.code = q.body_code ";

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    vault: IdVault,
}

impl PgStore {
    /// Connects to a `postgres://` URL.
    pub async fn connect(url: &str, vault: IdVault) -> Result<Self> {
        let options = PgConnectOptions::from_str(url).map_err(StorageError::other)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(map_err)?;
        Ok(Self { pool, vault })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// Maps PostgreSQL errors; unique violations by constraint name.
pub(crate) fn map_err(e: sqlx::Error) -> StorageError {
    match &e {
        sqlx::Error::RowNotFound => StorageError::NotFound,
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StorageError::Conflict(match db.constraint() {
                Some("holders_username_key") => Conflict::Username,
                Some("holders_id_index_key") => Conflict::IdDocument,
                Some("certificates_number_key") => Conflict::CertificateNumber,
                Some("terms_acceptances_pkey") => Conflict::TermsAccepted,
                other => Conflict::Other(other.unwrap_or("unknown").to_owned()),
            })
        }
        _ => StorageError::other(e),
    }
}

pub(crate) async fn insert_audit<'e, E>(
    exec: E,
    event: &NewAuditEvent,
    at: Timestamp,
) -> Result<i64>
where
    E: sqlx::Executor<'e, Database = sqlx::Postgres>,
{
    sqlx::query_scalar(
        "INSERT INTO audit_events (at_ms, actor, action, subject, before_json, after_json) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(ms(at))
    .bind(event.actor.label())
    .bind(&event.action)
    .bind(&event.subject)
    .bind(&event.before)
    .bind(&event.after)
    .fetch_one(exec)
    .await
    .map_err(map_err)
}

#[async_trait]
impl Storage for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    #[tracing::instrument(skip(self))]
    async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await.map_err(StorageError::other)
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn dump(&self) -> Result<String> {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
             AND table_name NOT LIKE '\\_sqlx%' ORDER BY table_name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        let mut out = String::new();
        for t in tables {
            out.push_str(&format!("== {t}\n"));
            let rows: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT t::text FROM \"{t}\" t ORDER BY 1"
            )))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
            for r in rows {
                out.push_str(&r);
                out.push('\n');
            }
        }
        Ok(out)
    }

    async fn put_issuing_body(&self, body: &IssuingBody) -> Result<()> {
        sqlx::query(
            "INSERT INTO issuing_bodies (code, name, exempt_before_cutover) VALUES ($1, $2, $3) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
             exempt_before_cutover = excluded.exempt_before_cutover",
        )
        .bind(body.code.as_str())
        .bind(&body.name)
        .bind(body.exempt_before_cutover)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn issuing_bodies(&self) -> Result<Vec<IssuingBody>> {
        sqlx::query_as::<_, BodyRow>(
            "SELECT code, name, exempt_before_cutover FROM issuing_bodies ORDER BY code",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?
        .into_iter()
        .map(IssuingBody::try_from)
        .collect()
    }

    async fn put_qualification_type(&self, q: &QualificationType) -> Result<()> {
        sqlx::query(
            "INSERT INTO qualification_types (code, name, body_code, in_scope, years_from, years_to) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
             body_code = excluded.body_code, in_scope = excluded.in_scope, \
             years_from = excluded.years_from, years_to = excluded.years_to",
        )
        .bind(q.code.as_str())
        .bind(&q.name)
        .bind(q.body.as_str())
        .bind(q.in_scope)
        .bind(i32::from(q.years_from))
        .bind(q.years_to.map(i32::from))
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn qualification_types(&self) -> Result<Vec<QualificationType>> {
        sqlx::query_as::<_, QualificationRow>(
            "SELECT code, name, body_code, in_scope, years_from, years_to \
             FROM qualification_types ORDER BY code",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?
        .into_iter()
        .map(QualificationType::try_from)
        .collect()
    }

    async fn begin_import(&self, actor: &Actor) -> Result<Box<dyn ImportTx>> {
        let tx = self.pool.begin().await.map_err(map_err)?;
        Ok(Box::new(import::PgImport::new(
            tx,
            self.vault.clone(),
            actor.clone(),
        )))
    }

    async fn certificate(&self, id: i64) -> Result<Certificate> {
        sqlx::query_as::<_, CertificateRow>(AssertSqlSafe(format!(
            "{CERTIFICATE_SELECT}WHERE c.id = $1"
        )))
        .bind(id)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?
        .into_certificate(&self.vault)
    }

    async fn certificate_by_number(&self, number: &CertificateNumber) -> Result<Certificate> {
        sqlx::query_as::<_, CertificateRow>(AssertSqlSafe(format!(
            "{CERTIFICATE_SELECT}WHERE c.number = $1"
        )))
        .bind(number.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?
        .into_certificate(&self.vault)
    }

    async fn certificates_of(
        &self,
        id: &IdDocument,
        name: &HolderName,
    ) -> Result<Vec<Certificate>> {
        sqlx::query_as::<_, CertificateRow>(AssertSqlSafe(format!(
            "{CERTIFICATE_SELECT}WHERE c.id_index = $1 AND c.id_type = $2 AND c.name = $3 \
             ORDER BY c.issue_date DESC, c.id"
        )))
        .bind(self.vault.blind_index(id))
        .bind(id.id_type.code())
        .bind(name.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?
        .into_iter()
        .map(|r| r.into_certificate(&self.vault))
        .collect()
    }

    async fn count_certificates(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM certificates")
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)
    }

    async fn revoke_certificate(
        &self,
        number: &CertificateNumber,
        revocation: &Revocation,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let done = sqlx::query(
            "UPDATE certificates SET revoked_at_ms = $1, revocation_reason = $2, updated_at_ms = $1 \
             WHERE number = $3 AND revoked_at_ms IS NULL",
        )
        .bind(ms(revocation.at))
        .bind(&revocation.reason)
        .bind(number.as_str())
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT id FROM certificates WHERE number = $1")
                    .bind(number.as_str())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(map_err)?;
            return Err(match exists {
                Some(_) => StorageError::Conflict(Conflict::AlreadyRevoked),
                None => StorageError::NotFound,
            });
        }
        let event = zhengshu_storage::revocation_event(number, revocation, actor);
        insert_audit(&mut *tx, &event, revocation.at).await?;
        tx.commit().await.map_err(map_err)
    }

    async fn create_holder(&self, holder: &NewHolder, at: Timestamp) -> Result<i64> {
        let sealed = self.vault.seal(&holder.id_document);
        sqlx::query_scalar(
            "INSERT INTO holders (username, name, id_type, id_cipher, id_index, password_hash, \
             created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(holder.username.as_str())
        .bind(holder.name.as_str())
        .bind(holder.id_document.id_type.code())
        .bind(sealed.cipher)
        .bind(sealed.index)
        .bind(&holder.password_hash)
        .bind(ms(at))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)
    }

    async fn holder(&self, id: i64) -> Result<Holder> {
        sqlx::query_as::<_, HolderRow>(AssertSqlSafe(format!(
            "SELECT {HOLDER_COLUMNS} FROM holders h WHERE h.id = $1"
        )))
        .bind(id)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?
        .into_holder(&self.vault)
    }

    async fn holder_by_username(&self, username: &Username) -> Result<Holder> {
        sqlx::query_as::<_, HolderRow>(AssertSqlSafe(format!(
            "SELECT {HOLDER_COLUMNS} FROM holders h WHERE h.username = $1"
        )))
        .bind(username.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?
        .into_holder(&self.vault)
    }

    async fn publish_terms(&self, text: &str, at: Timestamp) -> Result<TermsVersion> {
        // Serialised by the primary key: two publishers racing get a conflict,
        // not two versions with one number.
        sqlx::query_as::<_, TermsRow>(
            "INSERT INTO terms_versions (version, text, published_at_ms) \
             SELECT COALESCE(MAX(version), 0) + 1, $1, $2 FROM terms_versions \
             RETURNING version, text, published_at_ms",
        )
        .bind(text)
        .bind(ms(at))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?
        .try_into()
    }

    async fn current_terms(&self) -> Result<Option<TermsVersion>> {
        sqlx::query_as::<_, TermsRow>(
            "SELECT version, text, published_at_ms FROM terms_versions ORDER BY version DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?
        .map(TermsVersion::try_from)
        .transpose()
    }

    async fn accept_terms(&self, holder: i64, version: i32, at: Timestamp) -> Result<()> {
        sqlx::query(
            "INSERT INTO terms_acceptances (holder_id, version, accepted_at_ms) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(holder)
        .bind(version)
        .bind(ms(at))
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn create_session(&self, session: &NewSession, at: Timestamp) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, holder_id, kind, created_at_ms, last_seen_ms, \
             expires_at_ms) VALUES ($1, $2, $3, $4, $4, $5)",
        )
        .bind(&session.token_hash)
        .bind(session.holder_id)
        .bind(session.kind.code())
        .bind(ms(at))
        .bind(ms(session.expires_at))
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn session(&self, token_hash: &[u8], now: Timestamp) -> Result<SessionRecord> {
        sqlx::query_as::<_, SessionRow>(AssertSqlSafe(format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1 AND expires_at_ms > $2"
        )))
        .bind(token_hash)
        .bind(ms(now))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?
        .try_into()
    }

    async fn touch_session(
        &self,
        token_hash: &[u8],
        at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE sessions SET last_seen_ms = $1, expires_at_ms = $2 WHERE token_hash = $3",
        )
        .bind(ms(at))
        .bind(ms(expires_at))
        .bind(token_hash)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &[u8]) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn record_login_failure(&self, keys: &[String], at: Timestamp) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        for key in keys {
            sqlx::query("INSERT INTO login_failures (throttle_key, at_ms) VALUES ($1, $2)")
                .bind(key)
                .bind(ms(at))
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)
    }

    async fn login_failures(&self, key: &str, since: Timestamp) -> Result<LoginFailures> {
        let (count, earliest): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(at_ms) FROM login_failures WHERE throttle_key = $1 AND at_ms >= $2",
        )
        .bind(key)
        .bind(ms(since))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(LoginFailures {
            count,
            earliest: earliest.map(timestamp).transpose()?,
        })
    }

    async fn clear_login_failures(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE throttle_key = $1")
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn purge_expired(&self, now: Timestamp, failures_before: Timestamp) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE expires_at_ms <= $1")
            .bind(ms(now))
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        sqlx::query("DELETE FROM login_failures WHERE at_ms < $1")
            .bind(ms(failures_before))
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn apply_annotation(
        &self,
        new: &NewAnnotation,
        policy: &AnnotationPolicy,
    ) -> Result<Result<Annotation, LimitReached>> {
        annotations::apply(&self.pool, new, policy).await
    }

    async fn annotation(&self, id: i64) -> Result<Annotation> {
        annotations::fetch(&self.pool, id).await
    }

    async fn annotations_of(&self, certificate_id: i64) -> Result<Vec<Annotation>> {
        annotations::of_certificate(&self.pool, certificate_id).await
    }

    async fn withdraw_annotation(
        &self,
        id: i64,
        today: Day,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Annotation> {
        annotations::withdraw(&self.pool, id, today, actor, at).await
    }

    async fn annotation_document(&self, id: i64) -> Result<Vec<u8>> {
        annotations::document(&self.pool, id).await
    }

    async fn claim_job(
        &self,
        worker: &str,
        now: Timestamp,
        lease: SignedDuration,
    ) -> Result<Option<Job>> {
        annotations::claim(&self.pool, worker, now, lease).await
    }

    async fn complete_job(
        &self,
        job: &Job,
        worker: &str,
        generated: &Generated,
        at: Timestamp,
    ) -> Result<bool> {
        annotations::complete(&self.pool, job, worker, generated, at).await
    }

    async fn fail_job(
        &self,
        job: &Job,
        worker: &str,
        error: &str,
        retry: Retry,
        at: Timestamp,
    ) -> Result<bool> {
        annotations::fail(&self.pool, job, worker, error, retry, at).await
    }

    async fn pending_jobs(&self) -> Result<i64> {
        annotations::pending(&self.pool).await
    }

    async fn record_audit(&self, event: &NewAuditEvent, at: Timestamp) -> Result<i64> {
        insert_audit(&self.pool, event, at).await
    }

    async fn audit_events(&self, subject: Option<&str>, limit: i64) -> Result<Vec<AuditEvent>> {
        sqlx::query_as::<_, AuditRow>(
            "SELECT id, at_ms, actor, action, subject, before_json, after_json FROM audit_events \
             WHERE ($1::text IS NULL OR subject = $1) ORDER BY id DESC LIMIT $2",
        )
        .bind(subject)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?
        .into_iter()
        .map(AuditEvent::try_from)
        .collect()
    }
}
