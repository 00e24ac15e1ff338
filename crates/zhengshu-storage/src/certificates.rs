//! What an issuing body's staff do to its certificates through the
//! console: finding them (by number, by name, or by ID number through the
//! blind index), revoking one with its audit event, the operator's
//! reinstatement of a revoked one, and corrections of its fields with the
//! versions they replace. Each write is conditional on the certificate's
//! body and state, in one transaction with its event.

use jiff::Timestamp;
use zhengshu_domain::{CertificateNumber, HolderName, IdDocument, NewCertificate};

/// What staff look a certificate up by.
#[derive(Debug, Clone)]
pub enum CertificateSearch {
    Number(CertificateNumber),
    Name(HolderName),
    /// Every ID document the query is valid as (found by blind index).
    Id(Vec<IdDocument>),
}

/// A correction of a certificate's fields by its body's staff: the
/// certificate as they saw it (the write is refused if it changed
/// meanwhile) and as corrected, why, by whom and when. The number, the
/// qualification, the photo and the recorded contacts are not corrected
/// this way.
#[derive(Debug, Clone)]
pub struct Correction {
    pub before: NewCertificate,
    pub after: NewCertificate,
    pub reason: String,
    /// Who corrects, as the audit log names them.
    pub actor: String,
    pub at: Timestamp,
}

/// A version of a certificate replaced by a correction: who, when, why,
/// and its fields before and after as the audit log shows them (the ID
/// number masked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateVersion {
    /// From 1, in the order the corrections were made.
    pub version: i32,
    pub at: Timestamp,
    pub actor: String,
    pub reason: String,
    pub before: String,
    pub after: String,
}

/// A certificate electronic file (证书电子文件) to attach: its title, its
/// media type (judged by content by the caller), its content and SHA-256.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub title: String,
    pub media_type: String,
    pub sha256: String,
    pub content: Vec<u8>,
    /// Who attaches it, as the audit log names them.
    pub added_by: String,
    pub at: Timestamp,
}

/// An attached file, without its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFile {
    pub id: i64,
    pub certificate_id: i64,
    pub title: String,
    pub media_type: String,
    pub sha256: String,
    pub size: i64,
    pub added_at: Timestamp,
    pub added_by: String,
    /// Set once retired: when, by whom and why.
    pub retired: Option<(Timestamp, String, String)>,
}
