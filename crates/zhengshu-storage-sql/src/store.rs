//! [`Storage`] on [`SqlStore`]: reference data, certificates, holders,
//! terms, sessions, log-in failures and the audit log, each statement
//! written once; annotations and their queue are in `annotations`,
//! verification in `verifications`, issued documents in `documents`,
//! imports in `import`.

use std::sync::Arc;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use sqlx::{AssertSqlSafe, Database};
use zhengshu_domain::{
    Actor, Annotation, AnnotationPolicy, AuditEvent, AuditHead, Certificate, CertificateNumber,
    Day, Holder, HolderName, IdDocument, IdentityProof, IssueYears, IssuingBody, NewAnnotation,
    NewAuditEvent, QualificationType, Revocation, Staff, TermsVersion, Username, VerificationCode,
};
use zhengshu_storage::{
    AuditFilter, CertificateFile, CertificateSearch, CertificateVersion, CodeCheck, CodePurpose,
    Conflict, Correction, Enrolment, Generated, HolderSearch, ImportToken, ImportTx,
    IssuedDocument, Job, LinkedHolder, LoginFailures, NewCode, NewFile, NewHolder, NewImportToken,
    NewSession, NewStaff, NewStaffSession, NewUpload, NewVerification, Proven, ReferenceChange,
    Reservation, Result, Retry, SessionRecord, StaffSessionRecord, Storage, StorageError,
    ThrottleRule, Upload, UploadCounts, UploadState, VerifiableAnnotation, VerificationLog,
    VerifyAnnotation, VerifyCertificate,
};

use crate::cache::{CertificatesKey, Change};
use crate::rows::{
    BodyRow, CertificateRow, HOLDER_COLUMNS, HolderRow, IssueYearsRow, QualificationRow,
    SESSION_COLUMNS, SessionRow, TermsRow, ms, timestamp,
};
use crate::{
    Announcement, Conn, Dialect, SqlImport, SqlStore, VISIBLE, certificate_where, insert_audit,
    map_err,
};

#[async_trait]
impl<D: Dialect> Storage for SqlStore<D>
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
    for<'v> Option<String>: sqlx::Encode<'v, D::Db>,
    for<'v> Option<&'v str>: sqlx::Encode<'v, D::Db>,
    for<'v> Option<Vec<u8>>: sqlx::Encode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> Option<i32>: sqlx::Encode<'v, D::Db>,
    for<'v> Option<i64>: sqlx::Encode<'v, D::Db>,
{
    fn backend(&self) -> &'static str {
        D::NAME
    }

    #[tracing::instrument(skip(self))]
    async fn migrate(&self) -> Result<()> {
        D::migrate(&self.pool).await?;
        self.seal_clear_totp().await?;
        self.seal_unchained().await
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(map_err::<D>)?;
        Ok(())
    }

    async fn dump(&self) -> Result<String> {
        D::dump(&self.pool).await
    }

    async fn bind_keys(
        &self,
        fingerprints: &[(String, String)],
        at: Timestamp,
    ) -> Result<Vec<(String, String)>> {
        if !fingerprints.is_empty() {
            let mut tx = D::begin_write(&self.pool).await?;
            for (name, fingerprint) in fingerprints {
                sqlx::query(
                    "INSERT INTO installation_keys (name, fingerprint, recorded_at_ms) \
                     VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
                )
                .bind(name.as_str())
                .bind(fingerprint.as_str())
                .bind(ms(at))
                .execute(&mut *tx)
                .await
                .map_err(map_err::<D>)?;
            }
            tx.commit().await.map_err(map_err::<D>)?;
        }
        sqlx::query_as("SELECT name, fingerprint FROM installation_keys ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(map_err::<D>)
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
        .map_err(map_err::<D>)?;
        self.cache.forget(&Change::Certificates);
        Ok(())
    }

    async fn issuing_bodies(&self) -> Result<Vec<IssuingBody>> {
        sqlx::query_as::<_, BodyRow>(
            "SELECT code, name, exempt_before_cutover FROM issuing_bodies ORDER BY code",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_err::<D>)?
        .into_iter()
        .map(IssuingBody::try_from)
        .collect()
    }

    async fn put_qualification_type(&self, q: &QualificationType) -> Result<()> {
        sqlx::query(
            "INSERT INTO qualification_types (code, name, body_code, in_scope, years_from, \
             years_to) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO UPDATE SET \
             name = excluded.name, body_code = excluded.body_code, in_scope = excluded.in_scope, \
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
        .map_err(map_err::<D>)?;
        self.cache.forget(&Change::Certificates);
        Ok(())
    }

    async fn qualification_types(&self) -> Result<Vec<QualificationType>> {
        sqlx::query_as::<_, QualificationRow>(
            "SELECT code, name, body_code, in_scope, years_from, years_to \
             FROM qualification_types ORDER BY code",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_err::<D>)?
        .into_iter()
        .map(QualificationType::try_from)
        .collect()
    }

    async fn change_reference(
        &self,
        change: &ReferenceChange,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<()> {
        let applied = self.apply_reference(change, event, at).await;
        // Bodies and types show with certificates; terms are published here.
        self.cache.forget(&Change::Certificates);
        self.cache.forget(&Change::Terms);
        applied
    }

    async fn begin_import(&self, actor: &Actor) -> Result<Box<dyn ImportTx>> {
        Ok(Box::new(
            SqlImport::<D>::begin(
                &self.pool,
                self.vault.clone(),
                actor.clone(),
                self.sink.clone(),
                self.cache.clone(),
            )
            .await?,
        ))
    }

    async fn certificate(&self, id: i64) -> Result<Certificate> {
        let sql = certificate_where::<D>("c.id = $1");
        sqlx::query_as::<_, CertificateRow>(AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err::<D>)?
            .into_certificate(&self.vault)
    }

    async fn certificate_by_number(&self, number: &CertificateNumber) -> Result<Certificate> {
        self.by_number(number).await
    }

    async fn certificates_of(
        &self,
        id: &IdDocument,
        name: &HolderName,
    ) -> Result<Vec<Certificate>> {
        let key: CertificatesKey = (
            self.vault.blind_index(id),
            id.id_type.code().to_owned(),
            name.as_str().to_owned(),
        );
        if let Some(list) = self.cache.certificates(&key) {
            return Ok(list);
        }
        let generation = self.cache.generation();
        let sql = certificate_where::<D>(
            "c.id_index = $1 AND c.id_type = $2 AND c.name = $3 \
             ORDER BY c.issue_date DESC, c.id",
        );
        let mut reader = self.reader().await?;
        let rows = sqlx::query_as::<_, CertificateRow>(AssertSqlSafe(sql))
            .bind(&key.0)
            .bind(key.1.as_str())
            .bind(key.2.as_str())
            .fetch_all(reader.conn())
            .await;
        let list = reader
            .check(rows)
            .map_err(map_err::<D>)?
            .into_iter()
            .map(|r| r.into_certificate(&self.vault))
            .collect::<Result<Vec<_>>>()?;
        self.cache.keep_certificates(generation, key, &list);
        Ok(list)
    }

    async fn count_certificates(&self) -> Result<i64> {
        sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM certificates c WHERE {VISIBLE}"
        )))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err::<D>)
    }

    async fn issue_years(&self) -> Result<Vec<IssueYears>> {
        let year = D::ISSUE_YEAR;
        sqlx::query_as::<_, IssueYearsRow>(AssertSqlSafe(format!(
            "SELECT c.qualification_code, MIN({year}) AS first, MAX({year}) AS last, \
             COUNT(*) AS certificates FROM certificates c WHERE {VISIBLE} \
             GROUP BY c.qualification_code ORDER BY c.qualification_code"
        )))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err::<D>)?
        .into_iter()
        .map(IssueYears::try_from)
        .collect()
    }

    async fn revoke_certificate(
        &self,
        number: &CertificateNumber,
        revocation: &Revocation,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(map_err::<D>)?;
        let done = sqlx::query(AssertSqlSafe(format!(
            "UPDATE certificates SET revoked_at_ms = $1, revocation_reason = $2, \
             updated_at_ms = $1 WHERE number = $3 AND revoked_at_ms IS NULL AND id IN \
             (SELECT c.id FROM certificates c WHERE c.number = $3 AND {VISIBLE})"
        )))
        .bind(ms(revocation.at))
        .bind(&revocation.reason)
        .bind(number.as_str())
        .execute(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        if D::rows_affected(&done) == 0 {
            let exists: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT c.id FROM certificates c WHERE c.number = $1 AND {VISIBLE}"
            )))
            .bind(number.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err::<D>)?;
            return Err(match exists {
                Some(_) => StorageError::Conflict(Conflict::AlreadyRevoked),
                None => StorageError::NotFound,
            });
        }
        let event = zhengshu_storage::revocation_event(number, revocation, actor);
        let appended = insert_audit::<D>(&mut tx, &event, revocation.at).await?;
        tx.commit().await.map_err(map_err::<D>)?;
        self.cache.forget(&Change::Certificates);
        self.announce(Some(&appended));
        Ok(())
    }

    async fn find_certificates(
        &self,
        body: Option<&str>,
        search: &CertificateSearch,
        after: Option<&CertificateNumber>,
        limit: i64,
    ) -> Result<Vec<Certificate>> {
        self.search_certificates(body, search, after, limit).await
    }

    async fn revoke_in_body(
        &self,
        id: i64,
        body: &str,
        revocation: &Revocation,
        event: &NewAuditEvent,
    ) -> Result<()> {
        let done = self.revoke_of_body(id, body, revocation, event).await;
        self.cache.forget(&Change::Certificates);
        done
    }

    async fn reinstate_certificate(
        &self,
        id: i64,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<()> {
        let done = self.reinstate(id, event, at).await;
        self.cache.forget(&Change::Certificates);
        done
    }

    async fn correct_certificate(
        &self,
        id: i64,
        body: &str,
        correction: &Correction,
        event: &NewAuditEvent,
    ) -> Result<()> {
        let done = self.correct(id, body, correction, event).await;
        self.cache.forget(&Change::Certificates);
        done
    }

    async fn certificate_versions(&self, id: i64) -> Result<Vec<CertificateVersion>> {
        self.versions(id).await
    }

    async fn corrections_of_identity(
        &self,
        id: &IdDocument,
        name: &HolderName,
    ) -> Result<Vec<Timestamp>> {
        self.corrected_away(id, name).await
    }

    async fn add_certificate_file(
        &self,
        id: i64,
        body: &str,
        file: &NewFile,
        event: &NewAuditEvent,
    ) -> Result<i64> {
        self.attach(id, body, file, event).await
    }

    async fn certificate_files(&self, id: i64) -> Result<Vec<CertificateFile>> {
        self.files_of(id).await
    }

    async fn certificate_file(&self, file: i64) -> Result<(CertificateFile, Vec<u8>)> {
        self.file_with_content(file).await
    }

    async fn retire_certificate_file(
        &self,
        file: i64,
        body: &str,
        by: &str,
        reason: &str,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<()> {
        self.retire(file, body, by, reason, event, at).await
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
        .map_err(map_err::<D>)
    }

    async fn holder(&self, id: i64) -> Result<Holder> {
        if let Some(h) = self.cache.holder(id) {
            return Ok(h);
        }
        let generation = self.cache.generation();
        let sql = format!("SELECT {HOLDER_COLUMNS} FROM holders h WHERE h.id = $1");
        let mut reader = self.reader().await?;
        let row = sqlx::query_as::<_, HolderRow>(AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(reader.conn())
            .await;
        let holder = reader
            .check(row)
            .map_err(map_err::<D>)?
            .into_holder(&self.vault)?;
        self.cache.keep_holder(generation, &holder);
        Ok(holder)
    }

    async fn holder_by_username(&self, username: &Username) -> Result<Holder> {
        let sql = format!("SELECT {HOLDER_COLUMNS} FROM holders h WHERE h.username = $1");
        sqlx::query_as::<_, HolderRow>(AssertSqlSafe(sql))
            .bind(username.as_str())
            .fetch_one(&self.pool)
            .await
            .map_err(map_err::<D>)?
            .into_holder(&self.vault)
    }

    async fn proven_holder(&self, id: &IdDocument) -> Result<Holder> {
        let sql = format!(
            "SELECT {HOLDER_COLUMNS} FROM holders h \
             WHERE h.id_index = $1 AND h.identity_proof <> 'none'"
        );
        sqlx::query_as::<_, HolderRow>(AssertSqlSafe(sql))
            .bind(self.vault.blind_index(id))
            .fetch_one(&self.pool)
            .await
            .map_err(map_err::<D>)?
            .into_holder(&self.vault)
    }

    async fn prove_identity(
        &self,
        holder: i64,
        proof: IdentityProof,
        at: Timestamp,
    ) -> Result<Proven> {
        let proven = self.prove(holder, proof, at).await;
        // The proof may have taken the identity from another account.
        self.cache.forget(&Change::Holders);
        proven
    }

    async fn clear_identity_taken(&self, holder: i64) -> Result<()> {
        self.clear_taken(holder).await?;
        self.cache.forget(&Change::Holder(holder));
        Ok(())
    }

    async fn set_password(
        &self,
        holder: i64,
        password_hash: &str,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<()> {
        let mut tx = D::begin_write(&self.pool).await?;
        let done = sqlx::query("UPDATE holders SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(holder)
            .execute(&mut *tx)
            .await
            .map_err(map_err::<D>)?;
        if D::rows_affected(&done) == 0 {
            return Err(StorageError::NotFound);
        }
        sqlx::query("DELETE FROM sessions WHERE holder_id = $1")
            .bind(holder)
            .execute(&mut *tx)
            .await
            .map_err(map_err::<D>)?;
        let appended = insert_audit::<D>(&mut tx, event, at).await?;
        tx.commit().await.map_err(map_err::<D>)?;
        self.cache.forget(&Change::Holder(holder));
        self.announce(Some(&appended));
        Ok(())
    }

    async fn store_code(&self, code: &NewCode, at: Timestamp) -> Result<()> {
        self.store_one_time_code(code, at).await
    }

    async fn use_code(
        &self,
        holder: i64,
        purpose: CodePurpose,
        hash: &[u8],
        max_tries: i32,
        now: Timestamp,
    ) -> Result<CodeCheck> {
        self.check_code(holder, purpose, hash, max_tries, now).await
    }

    async fn publish_terms(&self, text: &str, at: Timestamp) -> Result<TermsVersion> {
        // Serialised by the primary key: two publishers racing get a
        // conflict, not two versions with one number.
        let published = sqlx::query_as::<_, TermsRow>(
            "INSERT INTO terms_versions (version, text, published_at_ms) \
             SELECT COALESCE(MAX(version), 0) + 1, $1, $2 FROM terms_versions \
             RETURNING version, text, published_at_ms",
        )
        .bind(text)
        .bind(ms(at))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err::<D>)?
        .try_into();
        self.cache.forget(&Change::Terms);
        published
    }

    async fn current_terms(&self) -> Result<Option<TermsVersion>> {
        if let Some(terms) = self.cache.terms() {
            return Ok(terms);
        }
        let generation = self.cache.generation();
        let mut reader = self.reader().await?;
        let row = sqlx::query_as::<_, TermsRow>(
            "SELECT version, text, published_at_ms FROM terms_versions \
             ORDER BY version DESC LIMIT 1",
        )
        .fetch_optional(reader.conn())
        .await;
        let terms = reader
            .check(row)
            .map_err(map_err::<D>)?
            .map(TermsVersion::try_from)
            .transpose()?;
        self.cache.keep_terms(generation, &terms);
        Ok(terms)
    }

    async fn terms_versions(&self) -> Result<Vec<TermsVersion>> {
        sqlx::query_as::<_, TermsRow>(
            "SELECT version, text, published_at_ms FROM terms_versions ORDER BY version DESC",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_err::<D>)?
        .into_iter()
        .map(TermsVersion::try_from)
        .collect()
    }

    async fn accept_terms(&self, holder: i64, version: i32, at: Timestamp) -> Result<()> {
        sqlx::query(
            "INSERT INTO terms_acceptances (holder_id, version, accepted_at_ms) \
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(holder)
        .bind(version)
        .bind(ms(at))
        .execute(&self.pool)
        .await
        .map_err(map_err::<D>)?;
        self.cache.forget(&Change::Holder(holder));
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
        .map_err(map_err::<D>)?;
        Ok(())
    }

    async fn session(&self, token_hash: &[u8], now: Timestamp) -> Result<SessionRecord> {
        if let Some(s) = self.cache.session(token_hash, now) {
            return Ok(s);
        }
        let generation = self.cache.generation();
        let mut reader = self.reader().await?;
        let row = sqlx::query_as::<_, SessionRow>(AssertSqlSafe(format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1 AND expires_at_ms > $2"
        )))
        .bind(token_hash)
        .bind(ms(now))
        .fetch_one(reader.conn())
        .await;
        let session = reader.check(row).map_err(map_err::<D>)?.try_into()?;
        self.cache.keep_session(generation, token_hash, &session);
        Ok(session)
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
        .map_err(map_err::<D>)?;
        self.cache.forget(&Change::Session(token_hash.to_vec()));
        Ok(())
    }

    async fn delete_session(&self, token_hash: &[u8]) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(map_err::<D>)?;
        self.cache.forget(&Change::Session(token_hash.to_vec()));
        Ok(())
    }

    async fn record_login_failure(&self, keys: &[String], at: Timestamp) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(map_err::<D>)?;
        for key in keys {
            sqlx::query("INSERT INTO login_failures (throttle_key, at_ms) VALUES ($1, $2)")
                .bind(key)
                .bind(ms(at))
                .execute(&mut *tx)
                .await
                .map_err(map_err::<D>)?;
        }
        tx.commit().await.map_err(map_err::<D>)
    }

    async fn login_failures(&self, key: &str, since: Timestamp) -> Result<LoginFailures> {
        let (count, earliest): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(at_ms) FROM login_failures \
             WHERE throttle_key = $1 AND at_ms >= $2",
        )
        .bind(key)
        .bind(ms(since))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err::<D>)?;
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
            .map_err(map_err::<D>)?;
        Ok(())
    }

    async fn reserve_attempt(
        &self,
        rules: &[ThrottleRule],
        since: Timestamp,
        now: Timestamp,
    ) -> Result<Reservation> {
        let mut tx = D::begin_write(&self.pool).await?;
        if let Some(lock) = D::LOCK_THROTTLE_KEY {
            // In one order, so that two reservations never wait for each
            // other's keys.
            let mut keys: Vec<&str> = rules.iter().map(|r| r.key.as_str()).collect();
            keys.sort_unstable();
            keys.dedup();
            for key in keys {
                sqlx::query(lock)
                    .bind(key)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err::<D>)?;
            }
        }
        let mut refused: Option<Timestamp> = None;
        for rule in rules {
            let (count, oldest): (i64, Option<i64>) = sqlx::query_as(
                "SELECT COUNT(*), MIN(at_ms) FROM login_failures \
                 WHERE throttle_key = $1 AND at_ms >= $2",
            )
            .bind(&rule.key)
            .bind(ms(since))
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err::<D>)?;
            if count >= rule.limit {
                let oldest = oldest.map(timestamp).transpose()?.unwrap_or(now);
                refused = Some(refused.map_or(oldest, |r| r.max(oldest)));
            }
        }
        if let Some(oldest) = refused {
            return Ok(Reservation::Refused { oldest });
        }
        let mut ids = Vec::with_capacity(rules.len());
        for rule in rules {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO login_failures (throttle_key, at_ms) VALUES ($1, $2) RETURNING id",
            )
            .bind(&rule.key)
            .bind(ms(now))
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err::<D>)?;
            ids.push(id);
        }
        tx.commit().await.map_err(map_err::<D>)?;
        Ok(Reservation::Granted(ids))
    }

    async fn release_attempt(&self, ids: &[i64]) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(map_err::<D>)?;
        for id in ids {
            sqlx::query("DELETE FROM login_failures WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(map_err::<D>)?;
        }
        tx.commit().await.map_err(map_err::<D>)
    }

    async fn purge_expired(&self, now: Timestamp, failures_before: Timestamp) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE expires_at_ms <= $1")
            .bind(ms(now))
            .execute(&self.pool)
            .await
            .map_err(map_err::<D>)?;
        sqlx::query("DELETE FROM login_failures WHERE at_ms < $1")
            .bind(ms(failures_before))
            .execute(&self.pool)
            .await
            .map_err(map_err::<D>)?;
        self.cache.forget(&Change::Holders);
        Ok(())
    }

    async fn apply_annotation(
        &self,
        new: &NewAnnotation,
        policy: &AnnotationPolicy,
    ) -> Result<Annotation> {
        self.apply(new, policy).await
    }

    async fn annotation(&self, id: i64) -> Result<Annotation> {
        let mut conn = self.pool.acquire().await.map_err(map_err::<D>)?;
        Self::fetch_annotation(&mut conn, id).await
    }

    async fn annotations_of(&self, certificate_id: i64) -> Result<Vec<Annotation>> {
        self.of_certificate(certificate_id).await
    }

    async fn withdraw_annotation(
        &self,
        id: i64,
        today: Day,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Annotation> {
        let withdrawn = self.withdraw(id, today, actor, at).await?;
        self.cache
            .forget(&Change::Annotation(withdrawn.verification_code.clone()));
        Ok(withdrawn)
    }

    async fn annotation_document(&self, id: i64) -> Result<Vec<u8>> {
        sqlx::query_scalar("SELECT content FROM annotation_documents WHERE annotation_id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err::<D>)
    }

    async fn claim_job(
        &self,
        worker: &str,
        now: Timestamp,
        lease: SignedDuration,
    ) -> Result<Option<Job>> {
        self.claim(worker, now, lease).await
    }

    async fn complete_job(
        &self,
        job: &Job,
        worker: &str,
        generated: &Generated,
        at: Timestamp,
    ) -> Result<bool> {
        self.complete(job, worker, generated, at).await
    }

    async fn fail_job(
        &self,
        job: &Job,
        worker: &str,
        error: &str,
        retry: Retry,
        at: Timestamp,
    ) -> Result<bool> {
        self.fail(job, worker, error, retry, at).await
    }

    async fn pending_jobs(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM annotation_jobs")
            .fetch_one(&self.pool)
            .await
            .map_err(map_err::<D>)
    }

    async fn job_queue(&self) -> Result<zhengshu_storage::annotations::JobQueue> {
        let (depth, oldest): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(a.applied_at_ms) FROM annotation_jobs j \
             JOIN annotations a ON a.id = j.annotation_id",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(map_err::<D>)?;
        Ok(zhengshu_storage::annotations::JobQueue {
            depth,
            oldest_applied: oldest.map(timestamp).transpose()?,
        })
    }

    async fn listen_for_jobs(&self, wake: zhengshu_storage::JobWake) -> Result<bool> {
        D::listen(&self.pool, "zhengshu_jobs", Arc::new(move |_| wake())).await
    }

    async fn cache_hot_reads(&self) -> Result<bool> {
        let cache = self.cache.clone();
        let heard = move |a: Announcement<'_>| match a {
            Announcement::Listening => cache.reset(true),
            Announcement::Lost => cache.reset(false),
            Announcement::Heard(payload) => {
                for change in Change::parse(payload) {
                    cache.forget(&change);
                }
            }
        };
        self.cache.set_ttl(D::CACHE_TTL);
        let announced = D::listen(&self.pool, "zhengshu_changes", Arc::new(heard)).await?;
        self.cache.set_announced(announced);
        if !announced {
            // Nothing to listen to: serve at once, each entry for the
            // dialect's short time to live. Where changes are announced,
            // serving starts when the listener reports `Listening`.
            self.cache.reset(true);
        }
        Ok(announced)
    }

    fn pool_use(&self) -> zhengshu_storage::PoolUse {
        let size = self.pool.size();
        let idle = u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX);
        zhengshu_storage::PoolUse {
            idle,
            in_use: size.saturating_sub(idle),
            max: self.pool.options().get_max_connections(),
        }
    }

    async fn annotation_by_code(&self, code: &VerificationCode) -> Result<VerifiableAnnotation> {
        self.by_code(code).await
    }

    async fn verify_code(&self, code: &VerificationCode) -> Result<Arc<VerifyAnnotation>> {
        self.verify_by_code(code).await
    }

    async fn verify_number(&self, number: &CertificateNumber) -> Result<Arc<VerifyCertificate>> {
        self.verify_by_number(number).await
    }

    async fn index_verifications(&self, max: usize) -> Result<()> {
        self.start_index(max);
        Ok(())
    }

    fn verify_index_status(&self) -> zhengshu_storage::IndexStatus {
        self.cache.index.status()
    }

    async fn record_verifications(&self, batch: &[NewVerification]) -> Result<()> {
        self.record(batch).await
    }

    async fn verifications_of_annotation(
        &self,
        annotation_id: i64,
        newest: i64,
    ) -> Result<VerificationLog> {
        self.log_of_annotation(annotation_id, newest).await
    }

    async fn record_issued_document(&self, document: &IssuedDocument) -> Result<()> {
        self.record_document(document).await
    }

    async fn issued_document_by_code(&self, code: &VerificationCode) -> Result<IssuedDocument> {
        self.document_by_code(code).await
    }

    async fn issued_document_by_sha256(&self, sha256: &str) -> Result<IssuedDocument> {
        self.document_by_sha256(sha256).await
    }

    async fn record_audit(&self, event: &NewAuditEvent, at: Timestamp) -> Result<i64> {
        self.record_event(event, at).await
    }

    async fn audit_events(&self, subject: Option<&str>, limit: i64) -> Result<Vec<AuditEvent>> {
        self.events_about(subject, limit).await
    }

    async fn audit_chain(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditEvent>> {
        self.chain_after(after_seq, limit).await
    }

    async fn audit_head(&self) -> Result<AuditHead> {
        self.head().await
    }

    async fn audit_page(&self, filter: &AuditFilter) -> Result<(Vec<AuditEvent>, i64)> {
        self.page(filter).await
    }

    async fn create_staff(
        &self,
        new: &NewStaff,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<Staff> {
        self.insert_staff(new, event, at).await
    }

    async fn staff(&self, id: i64) -> Result<Staff> {
        self.staff_where("id = $1", id).await
    }

    async fn staff_by_username(&self, username: &Username) -> Result<Staff> {
        self.staff_where("username = $1", username.as_str().to_owned())
            .await
    }

    async fn staff_by_enrolment(&self, hash: &[u8], now: Timestamp) -> Result<Staff> {
        self.staff_enrolling(hash, now).await
    }

    async fn staff_list(&self, body: Option<&str>) -> Result<Vec<Staff>> {
        self.list_staff(body).await
    }

    async fn enrol_staff(
        &self,
        id: i64,
        enrolment_hash: &[u8],
        enrolment: &Enrolment,
        at: Timestamp,
    ) -> Result<()> {
        self.enrol(id, enrolment_hash, enrolment, at).await
    }

    async fn use_totp_step(&self, id: i64, step: i64) -> Result<bool> {
        self.totp_step(id, step).await
    }

    async fn use_recovery_code(&self, id: i64, hash: &[u8], at: Timestamp) -> Result<bool> {
        self.recovery_code(id, hash, at).await
    }

    async fn reset_staff(
        &self,
        id: i64,
        enrolment_hash: &[u8],
        expires: Timestamp,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<()> {
        self.reset(id, enrolment_hash, expires, event, at).await
    }

    async fn holders_of_body(
        &self,
        body: &str,
        search: &HolderSearch,
    ) -> Result<Vec<LinkedHolder>> {
        self.linked_holders(body, search).await
    }

    async fn unlink_holder(
        &self,
        id: i64,
        body: &str,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<()> {
        let unlinked = self.unlink(id, body, event, at).await;
        self.cache.forget(&Change::Holders);
        unlinked
    }

    async fn create_staff_session(&self, s: &NewStaffSession, at: Timestamp) -> Result<()> {
        self.open_staff_session(s, at).await
    }

    async fn staff_session(&self, token_hash: &[u8], now: Timestamp) -> Result<StaffSessionRecord> {
        self.find_staff_session(token_hash, now).await
    }

    async fn touch_staff_session(
        &self,
        token_hash: &[u8],
        at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        self.move_staff_session(token_hash, at, expires_at).await
    }

    async fn delete_staff_session(&self, token_hash: &[u8]) -> Result<()> {
        self.end_staff_session(token_hash).await
    }
    async fn create_upload(
        &self,
        new: &NewUpload,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<i64> {
        self.insert_upload(new, event, at).await
    }

    async fn upload(&self, id: i64, body: &str) -> Result<Upload> {
        self.find_upload(id, body).await
    }

    async fn upload_content(&self, id: i64, body: &str) -> Result<Vec<u8>> {
        self.find_upload_content(id, body).await
    }

    async fn uploads_of(&self, body: &str, limit: i64) -> Result<Vec<Upload>> {
        self.list_uploads(body, limit).await
    }

    async fn upload_progress(&self, id: i64, rows: i64, at: Timestamp) -> Result<()> {
        self.set_upload_progress(id, rows, at).await
    }

    async fn sweep_uploads(
        &self,
        stalled_before: Timestamp,
        unconfirmed_before: Timestamp,
        at: Timestamp,
    ) -> Result<(u64, u64)> {
        self.sweep(stalled_before, unconfirmed_before, at).await
    }

    async fn finish_upload(
        &self,
        id: i64,
        state: UploadState,
        counts: &UploadCounts,
        at: Timestamp,
    ) -> Result<()> {
        self.set_upload_finished(id, state, counts, at).await
    }

    async fn confirm_upload(
        &self,
        id: i64,
        body: &str,
        valid_only: bool,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<()> {
        self.set_upload_confirmed(id, body, valid_only, event, at)
            .await
    }

    async fn create_import_token(
        &self,
        new: &NewImportToken,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<ImportToken> {
        self.insert_import_token(new, event, at).await
    }

    async fn import_tokens(&self, body: &str) -> Result<Vec<ImportToken>> {
        self.list_import_tokens(body).await
    }

    async fn import_token_by_hash(&self, hash: &[u8]) -> Result<ImportToken> {
        self.find_import_token(hash).await
    }

    async fn revoke_import_token(
        &self,
        id: i64,
        body: &str,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<()> {
        self.set_import_token_revoked(id, body, event, at).await
    }
}
