//! The types of public verification (证书查验) that cross the
//! [`Storage`](crate::Storage) trait: what a verifier's code finds
//! ([`VerifiableAnnotation`]; in the compact form every answer is made
//! of, [`VerifyAnnotation`] and [`VerifyCertificate`]), the record of one verification
//! ([`NewVerification`]) and the holder's log of them
//! ([`VerificationLog`]). A verifier's address is never kept: only its
//! HMAC-SHA256 under a configured key ([`VerifierKey`]), so equal verifiers
//! can be counted but not named, and hashing every address without the key
//! finds nothing.

use std::net::IpAddr;
use std::sync::Arc;

use hmac::{Hmac, Mac};
use jiff::Timestamp;
use sha2::Sha256;
use zhengshu_domain::{
    Annotation, AnnotationState, Certificate, CertificateStatus, Channel, Day, Verdict,
};

/// An annotation as a verifier's code finds it, with its certificate and
/// the SHA-256 (hex) of its signed document once there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiableAnnotation {
    pub annotation: Annotation,
    pub certificate: Certificate,
    pub document_sha256: Option<String>,
}

/// What public verification needs of a certificate: what a verifier may
/// be shown (the ID number already masked; never the birth date or the
/// 管理号) and its status. Small, so that every visible certificate can be
/// held in memory ([`Storage::index_verifications`](crate::Storage::index_verifications)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyCertificate {
    pub id: i64,
    pub number: Box<str>,
    pub holder_name: Box<str>,
    /// 证件号码, masked.
    pub id_number_masked: Box<str>,
    /// Shared by the certificates of one qualification type.
    pub qualification: Arc<str>,
    /// Shared by the certificates of one issuing body.
    pub issuing_body: Arc<str>,
    pub status: CertificateStatus,
}

impl VerifyCertificate {
    /// What verification needs of `c`.
    pub fn of(c: &Certificate) -> Self {
        Self {
            id: c.id,
            number: c.data.number.as_str().into(),
            holder_name: c.data.name.as_str().into(),
            id_number_masked: c.data.id.number.masked().into(),
            qualification: c.qualification_name.as_str().into(),
            issuing_body: c.body_name.as_str().into(),
            status: c.status.clone(),
        }
    }
}

/// What public verification needs of an annotation found by its 查验码,
/// with its certificate's part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyAnnotation {
    pub id: i64,
    /// 加注编号.
    pub number: Box<str>,
    /// 使用场景 (a code, e.g. `self_use`).
    pub scenario: Arc<str>,
    /// As stored: never [`AnnotationState::Expired`].
    pub stored_state: AnnotationState,
    /// 加注有效期, first and last day, once issued.
    pub valid_from: Option<Day>,
    pub valid_until: Option<Day>,
    pub withdrawn_at: Option<Timestamp>,
    /// SHA-256 of the issued PDF.
    pub document_sha256: Option<[u8; 32]>,
    pub certificate: Arc<VerifyCertificate>,
}

impl VerifyAnnotation {
    /// What verification needs of annotation `a`, whose document's
    /// SHA-256 (hex) is `document_sha256`, of `certificate`.
    pub fn new(
        a: &Annotation,
        document_sha256: Option<&str>,
        certificate: Arc<VerifyCertificate>,
    ) -> Self {
        Self {
            id: a.id,
            number: a.number.as_str().into(),
            scenario: a.scenario.as_str().into(),
            stored_state: a.stored_state,
            valid_from: a.valid_from,
            valid_until: a.valid_until,
            withdrawn_at: a.withdrawn_at,
            document_sha256: document_sha256
                .and_then(|h| hex::decode(h).ok())
                .and_then(|b| b.try_into().ok()),
            certificate,
        }
    }

    /// Whether its document was handed out: ready, or withdrawn since.
    /// Nothing else changes an annotation.
    pub fn issued(&self) -> bool {
        matches!(
            self.stored_state,
            AnnotationState::Ready | AnnotationState::Withdrawn
        )
    }

    /// [`VerifyAnnotation::document_sha256`] in lower-case hex.
    pub fn document_sha256_hex(&self) -> Option<String> {
        self.document_sha256.map(hex::encode)
    }
}

/// How much of public verification this process holds in memory
/// ([`Storage::index_verifications`](crate::Storage::index_verifications)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexStatus {
    /// Complete loads so far (another follows each change of certificates).
    pub loads: u64,
    pub annotations: usize,
    pub certificates: usize,
}

/// The key under which verifiers' addresses are hashed; never printed.
#[derive(Clone)]
pub struct VerifierKey([u8; 32]);

impl VerifierKey {
    pub fn new(key: [u8; 32]) -> Self {
        Self(key)
    }

    /// The keyed hash of a verifier's address: the only thing of it that
    /// is stored.
    pub fn hash(&self, address: IpAddr) -> VerifierHash {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(address.to_string().as_bytes());
        VerifierHash(mac.finalize().into_bytes().into())
    }
}

impl std::fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerifierKey(<redacted>)")
    }
}

/// A verifier's address after [`VerifierKey::hash`]; made no other way, so
/// an address in clear cannot reach the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VerifierHash([u8; 32]);

impl VerifierHash {
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// One verification to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVerification {
    pub at: Timestamp,
    pub channel: Channel,
    /// The annotation checked, when the check was of an annotation.
    pub annotation_id: Option<i64>,
    pub certificate_id: i64,
    pub verifier: VerifierHash,
    pub verdict: Verdict,
}

/// A recorded verification as its holder sees it: when, how, and what it
/// answered — nothing of the verifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    pub at: Timestamp,
    pub channel: Channel,
    pub verdict: Verdict,
}

/// The verifications of one annotation: how many, and the newest of them,
/// newest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VerificationLog {
    pub count: i64,
    pub newest: Vec<Verification>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_keyed_and_stable() {
        let address: IpAddr = "203.0.113.7".parse().unwrap();
        let k1 = VerifierKey::new([1; 32]);
        assert_eq!(k1.hash(address), k1.hash(address));
        assert_ne!(k1.hash(address), VerifierKey::new([2; 32]).hash(address));
        assert_ne!(k1.hash(address), k1.hash("203.0.113.8".parse().unwrap()));
        assert_eq!(format!("{k1:?}"), "VerifierKey(<redacted>)");
    }
}
