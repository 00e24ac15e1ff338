//! What storage keeps of issuing-body staff and operators: accounts (an
//! enrolment token until enrolled; afterwards a password hash, the TOTP
//! secret and one-time recovery codes, each kept only as a hash), console
//! sessions (separate from holders' sessions), and the queries the console
//! reads the audit log with. Also [`AuditHeadSink`], through which a
//! store reports every new head of the audit chain after its transaction
//! commits, so that the layer that knows where to write it keeps a copy
//! outside the database. And what an officer's holder support reads: the
//! holder accounts that hold the identity of a body's certificate.

use jiff::Timestamp;
use zhengshu_domain::{AuditHead, BodyCode, CertificateNumber, Holder, IdDocument, Role, Username};

/// An account to create, not yet enrolled.
#[derive(Debug, Clone)]
pub struct NewStaff {
    pub username: Username,
    pub body: Option<BodyCode>,
    pub role: Role,
    /// SHA-256 of the one-time enrolment token.
    pub enrolment_hash: Vec<u8>,
    pub enrolment_expires: Timestamp,
}

/// What enrolment stores.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub password_hash: String,
    pub totp_secret: Vec<u8>,
    /// The TOTP step of the code that confirmed the secret (used up).
    pub totp_step: i64,
    /// SHA-256 of each recovery code.
    pub recovery_hashes: Vec<Vec<u8>>,
}

/// A console session to store (only a hash of its token).
#[derive(Debug, Clone)]
pub struct NewStaffSession {
    pub token_hash: Vec<u8>,
    pub staff_id: i64,
    pub expires_at: Timestamp,
}

/// A live console session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffSessionRecord {
    pub staff_id: i64,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
}

/// Which audit events a console page lists.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only events of this body (`None`: every event; operators only).
    pub body: Option<String>,
    /// Only actions starting with this.
    pub action: Option<String>,
    /// Only this actor label.
    pub actor: Option<String>,
    /// Oldest first when true.
    pub ascending: bool,
    pub offset: i64,
    pub limit: i64,
}

/// Receives every new head of the audit chain once it is committed.
pub trait AuditHeadSink: Send + Sync + std::fmt::Debug {
    fn appended(&self, head: &AuditHead);
}

/// What an officer looks a holder account up by: a certificate's number,
/// or an ID document (found through its blind index, never in clear).
#[derive(Debug, Clone)]
pub enum HolderSearch {
    Certificate(CertificateNumber),
    Id(Vec<IdDocument>),
}

/// A holder account holding the identity of one or more of a body's
/// certificates, with those certificates' numbers (of that body only).
#[derive(Debug, Clone)]
pub struct LinkedHolder {
    pub holder: Holder,
    pub certificates: Vec<String>,
}
