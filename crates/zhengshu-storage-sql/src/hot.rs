//! The hot read path of public verification: a look-up by 查验码 (every
//! QR scan) or by certificate number, each one statement on a held
//! connection ([`crate::readers`]).

use sqlx::{AssertSqlSafe, Database};
use zhengshu_domain::{Certificate, CertificateNumber, VerificationCode};
use zhengshu_storage::{IdVault, Result, VerifiableAnnotation};

use crate::rows::{AnnotationRow, CertificateRow};
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
