//! One PDF signature judged on its own: the CMS `SignedData` in its
//! `/Contents` (the message digest of the signed byte ranges, the ECDSA
//! P-256 signature value over the signed attributes), the signer's
//! certificate chain up to a trusted root (each link's signature, CA
//! constraints on every issuer), the signer's name, and its validity at the
//! claimed signing time. Each result is a reason code.

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use const_oid::ObjectIdentifier;
use der::asn1::{OctetStringRef, PrintableStringRef, Utf8StringRef};
use der::{Decode, Encode, Reader, SliceReader};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::ext::pkix::BasicConstraints;

const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ID_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
/// Issuers followed from the signer towards a root at most.
const MAX_CHAIN: usize = 4;

/// What the CMS says, once decoded.
pub(crate) struct Decoded {
    signed: SignedData,
    signer: Option<Certificate>,
}

/// Decodes the DER `ContentInfo` at the start of `contents` (the rest is
/// the zero padding of the reserved space).
pub(crate) fn decode(contents: &[u8]) -> Result<Decoded, &'static str> {
    let mut r = SliceReader::new(contents).map_err(|_| "cms_malformed")?;
    let ci = ContentInfo::decode(&mut r).map_err(|_| "cms_malformed")?;
    let rest = r
        .read_slice(r.remaining_len())
        .map_err(|_| "cms_malformed")?;
    if rest.iter().any(|&b| b != 0) || ci.content_type != ID_SIGNED_DATA {
        return Err("cms_malformed");
    }
    let signed: SignedData = ci.content.decode_as().map_err(|_| "cms_malformed")?;
    if signed.signer_infos.0.len() != 1 {
        return Err("cms_signer_count");
    }
    let info = signed.signer_infos.0.iter().next().ok_or("cms_malformed")?;
    let SignerIdentifier::IssuerAndSerialNumber(sid) = &info.sid else {
        return Err("cms_malformed");
    };
    let signer = certificates(&signed)
        .find(|c| {
            c.tbs_certificate.issuer == sid.issuer
                && c.tbs_certificate.serial_number == sid.serial_number
        })
        .cloned();
    Ok(Decoded { signed, signer })
}

fn certificates(signed: &SignedData) -> impl Iterator<Item = &Certificate> {
    signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => Some(c),
            _ => None,
        })
}

impl Decoded {
    pub(crate) fn signer(&self) -> Option<&Certificate> {
        self.signer.as_ref()
    }

    /// The message digest in the signed attributes equals the SHA-256 of
    /// the signed bytes.
    pub(crate) fn digest(&self, signed_digest: &[u8]) -> Result<(), &'static str> {
        let info = self
            .signed
            .signer_infos
            .0
            .iter()
            .next()
            .ok_or("cms_malformed")?;
        if info.digest_alg.oid != ID_SHA256 {
            return Err("unsupported_algorithm");
        }
        let attrs = info.signed_attrs.as_ref().ok_or("cms_malformed")?;
        let mut found = None;
        for a in attrs.iter().filter(|a| a.oid == ID_MESSAGE_DIGEST) {
            if found.is_some() || a.values.len() != 1 {
                return Err("cms_malformed");
            }
            let v = a.values.iter().next().ok_or("cms_malformed")?;
            let os: OctetStringRef<'_> = v.decode_as().map_err(|_| "cms_malformed")?;
            found = Some(os.as_bytes().to_vec());
        }
        match found {
            Some(d) if d == signed_digest => Ok(()),
            Some(_) => Err("digest_mismatch"),
            None => Err("cms_malformed"),
        }
    }

    /// The signature value over the signed attributes verifies with the
    /// signer certificate's key.
    pub(crate) fn signature_value(&self) -> Result<(), &'static str> {
        let info = self
            .signed
            .signer_infos
            .0
            .iter()
            .next()
            .ok_or("cms_malformed")?;
        let cert = self.signer.as_ref().ok_or("signer_certificate_missing")?;
        if info.signature_algorithm.oid != ECDSA_WITH_SHA256 {
            return Err("unsupported_algorithm");
        }
        let attrs = info.signed_attrs.as_ref().ok_or("cms_malformed")?;
        let message = attrs.to_der().map_err(|_| "cms_malformed")?;
        verify(cert, &message, info.signature.as_bytes())
    }

    /// The chain from the signer to one of `roots`.
    pub(crate) fn chain(&self, roots: &[Certificate]) -> Result<(), &'static str> {
        let mut current = self.signer.as_ref().ok_or("signer_certificate_missing")?;
        for _ in 0..MAX_CHAIN {
            let issuer_name = &current.tbs_certificate.issuer;
            if let Some(root) = roots
                .iter()
                .find(|r| &r.tbs_certificate.subject == issuer_name)
            {
                // A root that only carries the trusted root's name is not it.
                return verify_issued(current, root).map_err(|e| match e {
                    "chain_signature_invalid" => "untrusted_root",
                    other => other,
                });
            }
            let next = certificates(&self.signed)
                .find(|c| &c.tbs_certificate.subject == issuer_name && *c != current)
                .ok_or("untrusted_root")?;
            verify_issued(current, next)?;
            current = next;
        }
        Err("chain_too_long")
    }

    /// Every certificate from the signer to the root that vouches for it
    /// was valid at `at` (the signature's claimed time).
    pub(crate) fn valid_at(&self, at: jiff::Timestamp) -> Result<(), &'static str> {
        let cert = self.signer.as_ref().ok_or("signer_certificate_missing")?;
        let v = &cert.tbs_certificate.validity;
        let secs = |t: &x509_cert::time::Time| t.to_unix_duration().as_secs() as i64;
        if at.as_second() < secs(&v.not_before) {
            Err("seal_not_yet_valid")
        } else if at.as_second() > secs(&v.not_after) {
            Err("seal_expired")
        } else {
            Ok(())
        }
    }
}

/// `cert` was signed by `issuer`, which may issue certificates.
fn verify_issued(cert: &Certificate, issuer: &Certificate) -> Result<(), &'static str> {
    let is_ca = issuer
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == ID_BASIC_CONSTRAINTS)
        .and_then(|e| BasicConstraints::from_der(e.extn_value.as_bytes()).ok())
        .is_some_and(|bc| bc.ca);
    if !is_ca {
        return Err("issuer_not_ca");
    }
    if cert.signature_algorithm.oid != ECDSA_WITH_SHA256 {
        return Err("unsupported_algorithm");
    }
    let tbs = cert.tbs_certificate.to_der().map_err(|_| "cms_malformed")?;
    let sig = cert.signature.as_bytes().ok_or("chain_signature_invalid")?;
    verify(issuer, &tbs, sig).map_err(|e| match e {
        "signature_invalid" => "chain_signature_invalid",
        other => other,
    })
}

/// An ECDSA P-256 / SHA-256 signature (DER) by `cert`'s key over `message`.
fn verify(cert: &Certificate, message: &[u8], der_sig: &[u8]) -> Result<(), &'static str> {
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let point = spki
        .subject_public_key
        .as_bytes()
        .ok_or("unsupported_algorithm")?;
    let key = VerifyingKey::from_sec1_bytes(point).map_err(|_| "unsupported_algorithm")?;
    let sig = Signature::from_der(der_sig).map_err(|_| "signature_invalid")?;
    key.verify(message, &sig).map_err(|_| "signature_invalid")
}

/// The certificate's subject common name (the seal's name).
pub(crate) fn common_name(cert: &Certificate) -> Option<String> {
    let cn = const_oid::db::rfc4519::CN;
    cert.tbs_certificate
        .subject
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == cn)
        .and_then(|atv| {
            Utf8StringRef::try_from(&atv.value)
                .map(|s| s.as_str().to_owned())
                .or_else(|_| {
                    PrintableStringRef::try_from(&atv.value).map(|s| s.as_str().to_owned())
                })
                .ok()
        })
}

/// SHA-256 of the bytes a `/ByteRange` names.
pub(crate) fn range_digest(bytes: &[u8], r: [usize; 4]) -> Option<Vec<u8>> {
    let first = bytes.get(r[0]..r[0].checked_add(r[1])?)?;
    let second = bytes.get(r[2]..r[2].checked_add(r[3])?)?;
    let mut h = Sha256::new();
    h.update(first);
    h.update(second);
    Some(h.finalize().to_vec())
}
