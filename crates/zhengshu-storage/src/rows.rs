//! Row shapes shared by the SQL backends. Each backend selects columns
//! under these names with these Rust types (dates as `YYYY-MM-DD` text,
//! times as Unix milliseconds), so decoding into domain types is written
//! once, here.

use zhengshu_domain::{
    AuditEvent, BodyCode, Certificate, CertificateNumber, CertificateStatus, Holder, HolderName,
    IssuingBody, NewCertificate, QualificationCode, QualificationType, Revocation, TermsVersion,
    Username,
};

use crate::columns::{day, id_type, opt_day, sex, timestamp};
use crate::{IdVault, StorageError};

/// The select list that yields a [`CertificateRow`] from `certificates c`
/// joined to `qualification_types q` and `issuing_bodies b`, for backends
/// whose dates are text already; PostgreSQL wraps the date columns.
pub const CERTIFICATE_COLUMNS: &str = "c.id, c.number, c.management_number, c.name, c.sex, \
     c.birth_date, c.id_type, c.id_cipher, c.qualification_code, c.category, c.specialty, c.level, \
     c.approval_date, c.issue_date, c.photo, c.revoked_at_ms, c.revocation_reason, \
     q.name AS qualification_name, b.code AS body_code, b.name AS body_name, \
     b.exempt_before_cutover";

#[derive(Debug, sqlx::FromRow)]
pub struct CertificateRow {
    pub id: i64,
    pub number: String,
    pub management_number: Option<String>,
    pub name: String,
    pub sex: Option<String>,
    pub birth_date: Option<String>,
    pub id_type: String,
    pub id_cipher: Vec<u8>,
    pub qualification_code: String,
    pub category: Option<String>,
    pub specialty: Option<String>,
    pub level: Option<String>,
    pub approval_date: Option<String>,
    pub issue_date: String,
    pub photo: Option<String>,
    pub revoked_at_ms: Option<i64>,
    pub revocation_reason: Option<String>,
    pub qualification_name: String,
    pub body_code: String,
    pub body_name: String,
    pub exempt_before_cutover: bool,
}

fn corrupt<E: std::fmt::Display>(what: &'static str) -> impl FnOnce(E) -> StorageError {
    move |e| StorageError::corrupt(format!("{what}: {e}"))
}

impl CertificateRow {
    pub fn into_certificate(self, vault: &IdVault) -> Result<Certificate, StorageError> {
        let status = match self.revoked_at_ms {
            None => CertificateStatus::Valid,
            Some(ms) => CertificateStatus::Revoked(Revocation {
                at: timestamp(ms)?,
                reason: self.revocation_reason.unwrap_or_default(),
            }),
        };
        let data = NewCertificate {
            number: CertificateNumber::parse(&self.number).map_err(corrupt("number"))?,
            management_number: self.management_number,
            name: HolderName::parse(&self.name).map_err(corrupt("name"))?,
            sex: sex(self.sex)?,
            birth_date: opt_day(self.birth_date)?,
            id: vault.open(id_type(&self.id_type)?, &self.id_cipher)?,
            qualification: QualificationCode::parse(&self.qualification_code)
                .map_err(corrupt("qualification"))?,
            category: self.category,
            specialty: self.specialty,
            level: self.level,
            approval_date: opt_day(self.approval_date)?,
            issue_date: day(&self.issue_date)?,
            photo: self.photo,
        };
        Ok(Certificate {
            id: self.id,
            data,
            qualification_name: self.qualification_name,
            body: BodyCode::parse(&self.body_code).map_err(corrupt("body"))?,
            body_name: self.body_name,
            body_exempt_before_cutover: self.exempt_before_cutover,
            status,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct BodyRow {
    pub code: String,
    pub name: String,
    pub exempt_before_cutover: bool,
}

impl TryFrom<BodyRow> for IssuingBody {
    type Error = StorageError;
    fn try_from(r: BodyRow) -> Result<Self, StorageError> {
        Ok(IssuingBody {
            code: BodyCode::parse(&r.code).map_err(corrupt("body code"))?,
            name: r.name,
            exempt_before_cutover: r.exempt_before_cutover,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct QualificationRow {
    pub code: String,
    pub name: String,
    pub body_code: String,
    pub in_scope: bool,
    pub years_from: i32,
    pub years_to: Option<i32>,
}

impl TryFrom<QualificationRow> for QualificationType {
    type Error = StorageError;
    fn try_from(r: QualificationRow) -> Result<Self, StorageError> {
        let year = |y: i32| i16::try_from(y).map_err(corrupt("year"));
        Ok(QualificationType {
            code: QualificationCode::parse(&r.code).map_err(corrupt("qualification code"))?,
            name: r.name,
            body: BodyCode::parse(&r.body_code).map_err(corrupt("body code"))?,
            in_scope: r.in_scope,
            years_from: year(r.years_from)?,
            years_to: r.years_to.map(year).transpose()?,
        })
    }
}

pub const HOLDER_COLUMNS: &str = "h.id, h.username, h.name, h.id_type, h.id_cipher, \
     h.password_hash, h.created_at_ms, \
     (SELECT MAX(a.version) FROM terms_acceptances a WHERE a.holder_id = h.id) AS accepted_terms";

#[derive(Debug, sqlx::FromRow)]
pub struct HolderRow {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub id_type: String,
    pub id_cipher: Vec<u8>,
    pub password_hash: String,
    pub created_at_ms: i64,
    pub accepted_terms: Option<i32>,
}

impl HolderRow {
    pub fn into_holder(self, vault: &IdVault) -> Result<Holder, StorageError> {
        Ok(Holder {
            id: self.id,
            username: Username::parse(&self.username).map_err(corrupt("username"))?,
            name: HolderName::parse(&self.name).map_err(corrupt("name"))?,
            id_document: vault.open(id_type(&self.id_type)?, &self.id_cipher)?,
            password_hash: self.password_hash,
            created_at: timestamp(self.created_at_ms)?,
            accepted_terms: self.accepted_terms,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct TermsRow {
    pub version: i32,
    pub text: String,
    pub published_at_ms: i64,
}

impl TryFrom<TermsRow> for TermsVersion {
    type Error = StorageError;
    fn try_from(r: TermsRow) -> Result<Self, StorageError> {
        Ok(TermsVersion {
            version: r.version,
            text: r.text,
            published_at: timestamp(r.published_at_ms)?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

impl TryFrom<AuditRow> for AuditEvent {
    type Error = StorageError;
    fn try_from(r: AuditRow) -> Result<Self, StorageError> {
        Ok(AuditEvent {
            id: r.id,
            at: timestamp(r.at_ms)?,
            actor: r.actor,
            action: r.action,
            subject: r.subject,
            before: r.before_json,
            after: r.after_json,
        })
    }
}

/// The JSON text of a certificate's fields for the audit log, with the ID
/// number masked: the log must not become a second copy of the numbers.
pub fn audit_json(c: &NewCertificate) -> String {
    serde_json::json!({
        "number": c.number.as_str(),
        "management_number": c.management_number,
        "name": c.name.as_str(),
        "sex": c.sex.map(|s| s.code()),
        "birth_date": c.birth_date.map(|d| d.to_string()),
        "id_type": c.id.id_type.code(),
        "id_number": c.id.number.masked(),
        "qualification": c.qualification.as_str(),
        "category": c.category,
        "specialty": c.specialty,
        "level": c.level,
        "approval_date": c.approval_date.map(|d| d.to_string()),
        "issue_date": c.issue_date.to_string(),
        "photo": c.photo,
    })
    .to_string()
}

pub const SESSION_COLUMNS: &str = "holder_id, kind, created_at_ms, last_seen_ms, expires_at_ms";

#[derive(Debug, sqlx::FromRow)]
pub struct SessionRow {
    pub holder_id: i64,
    pub kind: String,
    pub created_at_ms: i64,
    pub last_seen_ms: i64,
    pub expires_at_ms: i64,
}

impl TryFrom<SessionRow> for crate::SessionRecord {
    type Error = StorageError;
    fn try_from(r: SessionRow) -> Result<Self, StorageError> {
        Ok(crate::SessionRecord {
            holder_id: r.holder_id,
            kind: crate::SessionKind::from_code(&r.kind)
                .ok_or_else(|| StorageError::corrupt(format!("bad session kind {:?}", r.kind)))?,
            created_at: timestamp(r.created_at_ms)?,
            last_seen_at: timestamp(r.last_seen_ms)?,
            expires_at: timestamp(r.expires_at_ms)?,
        })
    }
}
