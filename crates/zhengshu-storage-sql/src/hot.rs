//! The hot read path of public verification: a look-up by 查验码 (every
//! QR scan) or by certificate number — from the verification index
//! ([`crate::verify_index`]) when it holds the answer, else one statement
//! on a held connection ([`crate::readers`]) — and the task that keeps the
//! index loaded.

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::{AssertSqlSafe, Database};
use zhengshu_domain::{Annotation, Certificate, CertificateNumber, VerificationCode};
use zhengshu_storage::{
    IdVault, Result, VerifiableAnnotation, VerifyAnnotation, VerifyCertificate,
};

use crate::cache::Change;
use crate::rows::{ANNOTATION_COLUMNS, AnnotationRow, CertificateRow};
use crate::verify_index::{Maps, QUIET};
use crate::{Conn, Dialect, SqlStore, map_err};

/// The annotation's columns beside a certificate's, renamed where the two
/// share a name (`id`, `number`), with its document's hash.
const CODE_ANNOTATION_COLUMNS: &str = "a.id AS annotation_id, a.holder_id, a.scenario, a.days, \
     a.number AS annotation_number, a.verification_code, a.state, a.applied_on, a.applied_at_ms, \
     a.valid_from, a.valid_until, a.ready_at_ms, a.withdrawn_at_ms, d.sha256";

/// A row of [`CODE_ANNOTATION_COLUMNS`] and the certificate's.
#[derive(Debug, sqlx::FromRow)]
struct CodeRow {
    #[sqlx(flatten)]
    certificate: CertificateRow,
    annotation_id: i64,
    holder_id: i64,
    scenario: String,
    days: i32,
    annotation_number: String,
    verification_code: String,
    state: String,
    applied_on: String,
    applied_at_ms: i64,
    valid_from: Option<String>,
    valid_until: Option<String>,
    ready_at_ms: Option<i64>,
    withdrawn_at_ms: Option<i64>,
    sha256: Option<String>,
}

impl CodeRow {
    fn decode(self, vault: &IdVault) -> Result<VerifiableAnnotation> {
        let annotation = AnnotationRow {
            id: self.annotation_id,
            certificate_id: self.certificate.id,
            holder_id: self.holder_id,
            scenario: self.scenario,
            days: self.days,
            number: self.annotation_number,
            verification_code: self.verification_code,
            state: self.state,
            applied_on: self.applied_on,
            applied_at_ms: self.applied_at_ms,
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            ready_at_ms: self.ready_at_ms,
            withdrawn_at_ms: self.withdrawn_at_ms,
        };
        Ok(VerifiableAnnotation {
            annotation: annotation.try_into()?,
            certificate: self.certificate.into_certificate(vault)?,
            document_sha256: self.sha256,
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
    /// The annotation whose 查验码 is `code`, with its certificate and its
    /// document's hash, in one statement.
    pub(crate) async fn by_code(&self, code: &VerificationCode) -> Result<VerifiableAnnotation> {
        let sql = D::CERTIFICATE_SELECT.replacen(
            "SELECT ",
            &format!("SELECT {CODE_ANNOTATION_COLUMNS}, "),
            1,
        ) + "JOIN annotations a ON a.certificate_id = c.id \
             LEFT JOIN annotation_documents d ON d.annotation_id = a.id \
             WHERE a.verification_code = $1 AND "
            + crate::VISIBLE;
        let mut reader = self.reader().await?;
        let row = sqlx::query_as::<_, CodeRow>(AssertSqlSafe(sql))
            .bind(code.as_str())
            .fetch_one(reader.conn())
            .await;
        reader.check(row).map_err(map_err::<D>)?.decode(&self.vault)
    }

    /// The certificate numbered `number`.
    pub(crate) async fn by_number(&self, number: &CertificateNumber) -> Result<Certificate> {
        let sql = crate::certificate_where::<D>("c.number = $1");
        let mut reader = self.reader().await?;
        let row = sqlx::query_as::<_, CertificateRow>(AssertSqlSafe(sql))
            .bind(number.as_str())
            .fetch_one(reader.conn())
            .await;
        reader
            .check(row)
            .map_err(map_err::<D>)?
            .into_certificate(&self.vault)
    }
}

/// An issued annotation's columns with its document's hash.
#[derive(Debug, sqlx::FromRow)]
struct IssuedRow {
    #[sqlx(flatten)]
    annotation: AnnotationRow,
    sha256: Option<String>,
}

/// Rows read per statement while loading the index: short reads that
/// leave the database to others between them.
const LOAD_PAGE: i64 = 2_000;

/// One copy of each qualification, body and scenario name in the index.
#[derive(Default)]
struct Names(HashMap<Box<str>, Arc<str>>);

impl Names {
    fn one(&mut self, name: &Arc<str>) -> Arc<str> {
        if let Some(n) = self.0.get(&**name) {
            return n.clone();
        }
        self.0.insert((**name).into(), name.clone());
        name.clone()
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
    /// What a check by 查验码 needs: from the index, else from the
    /// database (kept in the index once issued).
    pub(crate) async fn verify_by_code(
        &self,
        code: &VerificationCode,
    ) -> Result<Arc<VerifyAnnotation>> {
        let index = &self.cache.index;
        let serving = self.cache.serving();
        if serving && let Some(a) = index.code(code.as_str()) {
            return Ok(a);
        }
        let generation = index.generation();
        let found = self.by_code(code).await?;
        let certificate = Arc::new(VerifyCertificate::of(&found.certificate));
        let a = Arc::new(VerifyAnnotation::new(
            &found.annotation,
            found.document_sha256.as_deref(),
            certificate,
        ));
        if serving && self.cache.serving() {
            index.keep_code(generation, code.as_str(), &a);
        }
        Ok(a)
    }

    /// What a check by certificate number needs, as [`Self::verify_by_code`].
    pub(crate) async fn verify_by_number(
        &self,
        number: &CertificateNumber,
    ) -> Result<Arc<VerifyCertificate>> {
        let index = &self.cache.index;
        let serving = self.cache.serving();
        if serving && let Some(c) = index.number(number.as_str()) {
            return Ok(c);
        }
        let generation = index.generation();
        let c = Arc::new(VerifyCertificate::of(&self.by_number(number).await?));
        if serving && self.cache.serving() {
            index.keep_number(generation, &c);
        }
        Ok(c)
    }

    /// Starts the task that keeps the index loaded ([`crate::verify_index`]).
    pub(crate) fn start_index(&self, max: usize) {
        if max == 0 || self.cache.index.max() > 0 {
            return;
        }
        self.cache.index.enable(max);
        let store = self.clone();
        tokio::spawn(async move { store.keep_index_loaded().await });
    }

    async fn keep_index_loaded(self) {
        let index = &self.cache.index;
        let mut emptied = index.subscribe();
        // What was published when the last load started: imports after it
        // empty the index.
        let mut published = None;
        let mut load_now = true;
        loop {
            if !load_now {
                tokio::select! {
                    changed = emptied.changed() => if changed.is_err() { return },
                    () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {
                        if !self.cache.announced() {
                            self.look_for_imports(&mut published).await;
                        }
                        continue;
                    }
                }
            }
            load_now = false;
            // Load once certificates have stopped changing for a while.
            loop {
                emptied.borrow_and_update();
                tokio::time::sleep(QUIET).await;
                if !emptied.has_changed().unwrap_or(false) {
                    break;
                }
            }
            if !self.cache.serving() {
                // Serving starts with a reset, which empties the index.
                continue;
            }
            if !self.cache.announced() {
                self.look_for_imports(&mut published).await;
            }
            let started = index.load_starts();
            let begun = std::time::Instant::now();
            match self.load_index(index.max()).await {
                Ok(maps) => {
                    let (codes, numbers) = (maps.codes.len(), maps.numbers.len());
                    // Not kept when emptied meanwhile: `emptied` wakes
                    // this loop again.
                    if index.load_ends(started, maps) {
                        tracing::info!(
                            annotations = codes,
                            certificates = numbers,
                            seconds = begun.elapsed().as_secs_f64(),
                            "verification index loaded"
                        );
                    }
                }
                Err(e) => {
                    index.load_ends(u64::MAX, Maps::default());
                    tracing::warn!(error = %e, "verification index not loaded; trying again");
                    load_now = true;
                }
            }
        }
    }

    /// Where no other process announces its writes (SQLite), the only one
    /// that changes certificates is an import: a newly published import
    /// empties the index (and the holders' lists).
    async fn look_for_imports(&self, seen: &mut Option<(i64, i64)>) {
        let now: Result<(i64, i64), _> = sqlx::query_as(
            "SELECT COUNT(*), COALESCE(MAX(published_at_ms), 0) FROM import_batches \
             WHERE state = 'published'",
        )
        .fetch_one(&self.pool)
        .await;
        let Ok(now) = now else { return };
        if seen.is_some_and(|s| s != now) {
            self.cache.forget(&Change::Certificates);
        }
        *seen = Some(now);
    }

    /// Every visible certificate and every issued annotation of one, up to
    /// `max` of each, read a page at a time.
    async fn load_index(&self, max: usize) -> Result<Maps> {
        let mut maps = Maps::default();
        let mut names = Names::default();
        let mut by_id: HashMap<i64, Arc<VerifyCertificate>> = HashMap::new();
        let sql =
            crate::certificate_where::<D>(&format!("c.id > $1 ORDER BY c.id LIMIT {LOAD_PAGE}"));
        let mut after = 0;
        while by_id.len() < max {
            let rows: Vec<CertificateRow> = sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(after)
                .fetch_all(&self.pool)
                .await
                .map_err(map_err::<D>)?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            for row in rows {
                let mut c = VerifyCertificate::of(&row.into_certificate(&self.vault)?);
                c.qualification = names.one(&c.qualification);
                c.issuing_body = names.one(&c.issuing_body);
                let c = Arc::new(c);
                maps.numbers.insert(c.number.clone(), c.clone());
                by_id.insert(c.id, c);
            }
        }
        let sql = format!(
            "SELECT {ANNOTATION_COLUMNS}, d.sha256 FROM annotations a \
             LEFT JOIN annotation_documents d ON d.annotation_id = a.id \
             WHERE a.state IN ('ready', 'withdrawn') AND a.id > $1 ORDER BY a.id LIMIT {LOAD_PAGE}"
        );
        let mut after = 0;
        while maps.codes.len() < max {
            let rows: Vec<IssuedRow> = sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(after)
                .fetch_all(&self.pool)
                .await
                .map_err(map_err::<D>)?;
            let Some(last) = rows.last() else { break };
            after = last.annotation.id;
            for row in rows {
                // An annotation of a certificate not held (not visible, or
                // past the limit) is left to the database.
                let Some(c) = by_id.get(&row.annotation.certificate_id) else {
                    continue;
                };
                let annotation: Annotation = row.annotation.try_into()?;
                let mut a = VerifyAnnotation::new(&annotation, row.sha256.as_deref(), c.clone());
                a.scenario = names.one(&a.scenario);
                maps.codes
                    .insert(annotation.verification_code.into(), Arc::new(a));
            }
        }
        Ok(maps)
    }
}
