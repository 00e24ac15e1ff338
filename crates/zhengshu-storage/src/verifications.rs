//! The types of public verification (证书查验) that cross the
//! [`Storage`](crate::Storage) trait: what a verifier's code finds
//! ([`VerifiableAnnotation`]), the record of one verification
//! ([`NewVerification`]) and the holder's log of them
//! ([`VerificationLog`]). A verifier's address is never kept: only its
//! HMAC-SHA256 under a configured key ([`VerifierKey`]), so equal verifiers
//! can be counted but not named, and hashing every address without the key
//! finds nothing.

use std::net::IpAddr;

use hmac::{Hmac, Mac};
use jiff::Timestamp;
use sha2::Sha256;
use zhengshu_domain::{Annotation, Certificate, Channel, Verdict};

/// An annotation as a verifier's code finds it, with its certificate and
/// the SHA-256 (hex) of its signed document once there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiableAnnotation {
    pub annotation: Annotation,
    pub certificate: Certificate,
    pub document_sha256: Option<String>,
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
