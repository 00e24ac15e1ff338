//! Row shapes of the SQL store and the decoding of their columns into
//! domain types, written once: every engine selects columns under these
//! names with these Rust types (days as `YYYY-MM-DD` text, times as Unix
//! milliseconds).

use zhengshu_domain::{
    Annotation, AnnotationState, AuditEvent, BodyCode, Certificate, CertificateNumber,
    CertificateStatus, Contacts, Day, Email, Holder, HolderName, IdType, IdentityProof, IssueYears,
    IssuingBody, NewCertificate, Phone, QualificationCode, QualificationType, Revocation, Sex,
    TermsVersion, Username,
};
use zhengshu_storage::{IdVault, SessionKind, SessionRecord, StorageError};

/// A certificate as [`Dialect::CERTIFICATE_SELECT`](crate::Dialect::CERTIFICATE_SELECT)
/// selects it.
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
    pub phone_cipher: Option<Vec<u8>>,
    pub email_cipher: Option<Vec<u8>>,
    pub revoked_at_ms: Option<i64>,
    pub revocation_reason: Option<String>,
    pub qualification_name: String,
    pub body_code: String,
    pub body_name: String,
    pub exempt_before_cutover: bool,
}

/// The labels under which recorded contacts are sealed.
pub const PHONE_LABEL: &str = "phone";
pub const EMAIL_LABEL: &str = "email";

/// A certificate's recorded contacts, sealed for storage.
pub fn seal_contacts(vault: &IdVault, c: &Contacts) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
    (
        c.phone
            .as_ref()
            .map(|p| vault.seal_text(PHONE_LABEL, p.as_str())),
        c.email
            .as_ref()
            .map(|e| vault.seal_text(EMAIL_LABEL, e.as_str())),
    )
}

fn open_contacts(
    vault: &IdVault,
    phone: Option<Vec<u8>>,
    email: Option<Vec<u8>>,
) -> Result<Contacts, StorageError> {
    Ok(Contacts {
        phone: phone
            .map(|c| {
                let s = vault.open_text(PHONE_LABEL, &c)?;
                Phone::parse(&s).map_err(corrupt("phone"))
            })
            .transpose()?,
        email: email
            .map(|c| {
                let s = vault.open_text(EMAIL_LABEL, &c)?;
                Email::parse(&s).map_err(corrupt("email"))
            })
            .transpose()?,
    })
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
            contacts: open_contacts(vault, self.phone_cipher, self.email_cipher)?,
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

#[derive(Debug, sqlx::FromRow)]
pub struct IssueYearsRow {
    pub qualification_code: String,
    pub first: i32,
    pub last: i32,
    pub certificates: i64,
}

impl TryFrom<IssueYearsRow> for IssueYears {
    type Error = StorageError;
    fn try_from(r: IssueYearsRow) -> Result<Self, StorageError> {
        let year = |y: i32| i16::try_from(y).map_err(corrupt("year"));
        Ok(IssueYears {
            qualification: QualificationCode::parse(&r.qualification_code)
                .map_err(corrupt("qualification code"))?,
            first: year(r.first)?,
            last: year(r.last)?,
            certificates: r.certificates,
        })
    }
}

pub const HOLDER_COLUMNS: &str = "h.id, h.username, h.name, h.id_type, h.id_cipher, \
     h.password_hash, h.created_at_ms, h.unlinked_at_ms, h.identity_proof, \
     h.identity_taken_at_ms, \
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
    pub unlinked_at_ms: Option<i64>,
    pub identity_proof: String,
    pub identity_taken_at_ms: Option<i64>,
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
            unlinked_at: self.unlinked_at_ms.map(timestamp).transpose()?,
            identity: identity_proof(&self.identity_proof)?,
            identity_taken_at: self.identity_taken_at_ms.map(timestamp).transpose()?,
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

pub const AUDIT_COLUMNS: &str = "id, seq, at_ms, actor, role, body_code, address, action, subject, \
     before_json, after_json, prev_hash, hash";

#[derive(Debug, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub seq: Option<i64>,
    pub at_ms: i64,
    pub actor: String,
    pub role: Option<String>,
    pub body_code: Option<String>,
    pub address: Option<String>,
    pub action: String,
    pub subject: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub prev_hash: Option<Vec<u8>>,
    pub hash: Option<Vec<u8>>,
}

impl TryFrom<AuditRow> for AuditEvent {
    type Error = StorageError;
    fn try_from(r: AuditRow) -> Result<Self, StorageError> {
        Ok(AuditEvent {
            id: r.id,
            seq: r.seq.unwrap_or(0),
            at: timestamp(r.at_ms)?,
            actor: r.actor,
            role: r.role,
            body: r.body_code,
            address: r.address,
            action: r.action,
            subject: r.subject,
            before: r.before_json,
            after: r.after_json,
            prev_hash: r.prev_hash.unwrap_or_default(),
            hash: r.hash.unwrap_or_default(),
        })
    }
}

pub const STAFF_COLUMNS: &str = "id, username, body_code, role, password_hash, totp_secret, \
     totp_sealed, last_totp_step, created_at_ms, disabled";

#[derive(Debug, sqlx::FromRow)]
pub struct StaffRow {
    pub id: i64,
    pub username: String,
    pub body_code: Option<String>,
    pub role: String,
    pub password_hash: Option<String>,
    pub totp_secret: Option<Vec<u8>>,
    pub totp_sealed: bool,
    pub last_totp_step: i64,
    pub created_at_ms: i64,
    pub disabled: bool,
}

/// What a staff member's sealed TOTP key is bound to: the account's id.
pub fn totp_context(id: i64) -> Vec<u8> {
    format!("staff-totp:{id}").into_bytes()
}

impl StaffRow {
    /// The account, its TOTP key opened with `vault`. A key still in clear
    /// is refused (the start-up migration seals them).
    pub fn into_staff(self, vault: &IdVault) -> Result<zhengshu_domain::Staff, StorageError> {
        let r = self;
        let totp_secret = match (&r.totp_secret, r.totp_sealed) {
            (Some(c), true) => Some(vault.open_secret(c, &totp_context(r.id))?),
            (Some(_), false) => {
                return Err(StorageError::corrupt(format!(
                    "staff {} has a TOTP key in clear",
                    r.id
                )));
            }
            (None, _) => None,
        };
        Ok(zhengshu_domain::Staff {
            id: r.id,
            username: zhengshu_domain::Username::parse(&r.username)
                .map_err(|_| StorageError::corrupt(format!("bad username {:?}", r.username)))?,
            body: r
                .body_code
                .map(|b| BodyCode::parse(&b).map_err(StorageError::corrupt))
                .transpose()?,
            role: zhengshu_domain::Role::from_code(&r.role)
                .ok_or_else(|| StorageError::corrupt(format!("bad role {:?}", r.role)))?,
            password_hash: r.password_hash,
            totp_secret,
            last_totp_step: r.last_totp_step,
            created_at: timestamp(r.created_at_ms)?,
            disabled: r.disabled,
        })
    }
}

pub const STAFF_SESSION_COLUMNS: &str = "staff_id, created_at_ms, last_seen_ms, expires_at_ms";

#[derive(Debug, sqlx::FromRow)]
pub struct StaffSessionRow {
    pub staff_id: i64,
    pub created_at_ms: i64,
    pub last_seen_ms: i64,
    pub expires_at_ms: i64,
}

impl TryFrom<StaffSessionRow> for zhengshu_storage::StaffSessionRecord {
    type Error = StorageError;
    fn try_from(r: StaffSessionRow) -> Result<Self, StorageError> {
        Ok(zhengshu_storage::StaffSessionRecord {
            staff_id: r.staff_id,
            created_at: timestamp(r.created_at_ms)?,
            last_seen_at: timestamp(r.last_seen_ms)?,
            expires_at: timestamp(r.expires_at_ms)?,
        })
    }
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

impl TryFrom<SessionRow> for SessionRecord {
    type Error = StorageError;
    fn try_from(r: SessionRow) -> Result<Self, StorageError> {
        Ok(SessionRecord {
            holder_id: r.holder_id,
            kind: SessionKind::from_code(&r.kind)
                .ok_or_else(|| StorageError::corrupt(format!("bad session kind {:?}", r.kind)))?,
            created_at: timestamp(r.created_at_ms)?,
            last_seen_at: timestamp(r.last_seen_ms)?,
            expires_at: timestamp(r.expires_at_ms)?,
        })
    }
}

pub const ANNOTATION_COLUMNS: &str = "a.id, a.certificate_id, a.holder_id, a.scenario, a.days, \
     a.number, a.verification_code, a.state, a.applied_on, a.applied_at_ms, a.valid_from, \
     a.valid_until, a.ready_at_ms, a.withdrawn_at_ms";

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
            stored_state: stored_state(&r.state)?,
            applied_on: day(&r.applied_on)?,
            applied_at: timestamp(r.applied_at_ms)?,
            valid_from: opt_day(r.valid_from)?,
            valid_until: opt_day(r.valid_until)?,
            ready_at: r.ready_at_ms.map(timestamp).transpose()?,
            withdrawn_at: r.withdrawn_at_ms.map(timestamp).transpose()?,
        })
    }
}

/// A state as stored: expired is computed, never stored.
pub fn stored_state(s: &str) -> Result<AnnotationState, StorageError> {
    AnnotationState::from_code(s)
        .filter(|s| *s != AnnotationState::Expired)
        .ok_or_else(|| StorageError::corrupt(format!("bad state {s:?}")))
}

pub fn day(s: &str) -> Result<Day, StorageError> {
    s.parse()
        .map_err(|e| StorageError::corrupt(format!("bad date {s:?}: {e}")))
}

pub fn opt_day(s: Option<String>) -> Result<Option<Day>, StorageError> {
    s.as_deref().map(day).transpose()
}

/// A day as a parameter.
pub fn day_text(d: Option<Day>) -> Option<String> {
    d.map(|d| d.to_string())
}

pub fn identity_proof(s: &str) -> Result<IdentityProof, StorageError> {
    IdentityProof::from_code(s)
        .ok_or_else(|| StorageError::corrupt(format!("bad identity proof {s:?}")))
}

pub fn id_type(s: &str) -> Result<IdType, StorageError> {
    IdType::from_code(s).ok_or_else(|| StorageError::corrupt(format!("bad id type {s:?}")))
}

pub fn sex(s: Option<String>) -> Result<Option<Sex>, StorageError> {
    s.map(|s| Sex::parse(&s).ok_or_else(|| StorageError::corrupt(format!("bad sex {s:?}"))))
        .transpose()
}

pub fn ms(t: jiff::Timestamp) -> i64 {
    t.as_millisecond()
}

pub fn timestamp(ms: i64) -> Result<jiff::Timestamp, StorageError> {
    jiff::Timestamp::from_millisecond(ms)
        .map_err(|e| StorageError::corrupt(format!("bad timestamp {ms}: {e}")))
}
