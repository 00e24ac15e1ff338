//! Checking an uploaded e-certificate file (证书查验 by upload), for the API
//! and the page alike: the file's SHA-256 is looked up among the documents
//! handed out (annotated or not), which gives the seals it must carry and the
//! annotation's and certificate's status; the checker of
//! `zhengshu_document::check` then judges the bytes against the published
//! root, off the async threads. A file found on record is recorded as a
//! verification by the `file` channel. The type of a file is judged by its
//! content, never by its name or declared type; over [`MAX_UPLOAD`] it is
//! refused before anything is read into the checker.

use std::net::{IpAddr, Ipv4Addr};

use zhengshu_document::BODY_SEAL_PURPOSE;
use zhengshu_document::check::{self, OnRecord, Report, Standing};
use zhengshu_domain::{
    Annotation, Certificate, CertificateStatus, Channel, Day, Outcome, day_in_china,
};
use zhengshu_storage::{IssuedDocument, NewVerification, StorageError};

use super::Error;
use crate::i18n::{Arg, Lang};
use crate::state::AppState;

/// The largest file accepted (a document is about 80 KiB).
pub const MAX_UPLOAD: usize = 5 * 1024 * 1024;

/// What the record of documents handed out says of a file: its
/// certificate and, for an annotated document, its annotation.
struct Found {
    certificate: Certificate,
    annotation: Option<Annotation>,
}

/// Checks an uploaded file and records the check of a document on record.
pub async fn check_file(state: &AppState, client: &str, bytes: Vec<u8>) -> Result<Report, Error> {
    let renderer = state
        .renderer
        .clone()
        .ok_or_else(|| Error::Internal("no seal keys are configured".into()))?;
    let sha256 = check::sha256_hex(&bytes);
    let found = match state.storage.issued_document_by_sha256(&sha256).await {
        Ok(document) => found(state, &document).await?,
        Err(StorageError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let today = day_in_china(state.clock.now());
    let standing = match &found {
        None => Standing::NotOnRecord,
        Some(f) => Standing::OnRecord(on_record(f, renderer.settings().ministry_seal_since, today)),
    };
    let trust = renderer.pki().trust();
    let report = tokio::task::spawn_blocking(move || check::check(&bytes, &trust, &standing))
        .await
        .map_err(|e| Error::Internal(format!("document check: {e}")))?;
    if let Some(f) = found {
        let c = &f.certificate;
        let outcome = match &f.annotation {
            Some(a) => Outcome::of_annotation(a, &c.status, today),
            None => Outcome::of_certificate(&c.status),
        };
        let address: IpAddr = client.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        state
            .recorder
            .record(NewVerification {
                at: state.clock.now(),
                channel: Channel::File,
                annotation_id: f.annotation.as_ref().map(|a| a.id),
                certificate_id: c.id,
                verifier: state.verifier_key.hash(address),
                verdict: outcome.verdict(),
            })
            .await;
    }
    Ok(report)
}

/// The certificate (and annotation) of a document on record, read afresh.
async fn found(state: &AppState, document: &IssuedDocument) -> Result<Option<Found>, Error> {
    if document.annotation_id.is_some() {
        return match state.storage.annotation_by_code(&document.code).await {
            Ok(v) => Ok(Some(Found {
                certificate: v.certificate,
                annotation: Some(v.annotation),
            })),
            Err(StorageError::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        };
    }
    match state.storage.certificate(document.certificate_id).await {
        Ok(certificate) => Ok(Some(Found {
            certificate,
            annotation: None,
        })),
        Err(StorageError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// What the record says of a document handed out: the seals it must
/// carry, and the annotation's and the certificate's status.
fn on_record(f: &Found, ministry_seal_since: Day, today: Day) -> OnRecord {
    let c = &f.certificate;
    // The annotation judged by itself: the certificate's own status is
    // its own check.
    let annotation = f.annotation.as_ref().map(|a| {
        (
            Outcome::of_annotation(a, &CertificateStatus::Valid, today),
            a.valid_until,
        )
    });
    OnRecord {
        ministry_seal: c.data.issue_date >= ministry_seal_since,
        body_seal_name: format!("{}{}", c.body_name, BODY_SEAL_PURPOSE),
        annotation,
        certificate: Outcome::of_certificate(&c.status),
    }
}

/// A check's name in `lang`, with the seal it is about.
pub fn check_title(lang: Lang, c: &check::Check) -> String {
    let title = lang.t(&format!("check-{}", c.check));
    match &c.seal {
        Some(seal) => lang.t_args(
            "check-of-seal",
            &[
                ("check", Arg::Str(&title)),
                ("seal", Arg::Str(&lang.t(&format!("check-seal-{seal}")))),
            ],
        ),
        None => title,
    }
}

/// Why a check came out as it did, as a sentence in `lang`.
pub fn reason_text(lang: Lang, c: &check::Check) -> String {
    let args: Vec<(&str, Arg<'_>)> = c
        .args
        .iter()
        .map(|(k, v)| (k.as_str(), Arg::Str(v)))
        .collect();
    lang.t_args(&format!("check-reason-{}", c.reason), &args)
}
