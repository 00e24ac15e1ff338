//! Checking an uploaded e-certificate file (证书查验 by upload), for the API
//! and the page alike: the file's SHA-256 is looked up among the annotated
//! documents handed out, which gives the seals it must carry and the
//! annotation's and certificate's status; the checker of
//! `zhengshu_document::check` then judges the bytes against the published
//! root, off the async threads. A file found on record is recorded as a
//! verification by the `file` channel. The type of a file is judged by its
//! content, never by its name or declared type; over [`MAX_UPLOAD`] it is
//! refused before anything is read into the checker.

use std::net::{IpAddr, Ipv4Addr};

use zhengshu_document::BODY_SEAL_PURPOSE;
use zhengshu_document::check::{self, OnRecord, Report, Standing};
use zhengshu_domain::{CertificateStatus, Channel, Outcome, day_in_china};
use zhengshu_storage::{NewVerification, StorageError, VerifiableAnnotation};

use super::Error;
use crate::i18n::{Arg, Lang};
use crate::state::AppState;

/// The largest file accepted (a document is about 80 KiB).
pub const MAX_UPLOAD: usize = 5 * 1024 * 1024;

/// Checks an uploaded file and records the check of a document on record.
pub async fn check_file(state: &AppState, client: &str, bytes: Vec<u8>) -> Result<Report, Error> {
    let renderer = state
        .renderer
        .clone()
        .ok_or_else(|| Error::Internal("no seal keys are configured".into()))?;
    let sha256 = check::sha256_hex(&bytes);
    let found = match state.storage.annotation_by_document_sha256(&sha256).await {
        Ok(found) => Some(found),
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
        let outcome = Outcome::of_annotation(&f.annotation, &f.certificate.status, today);
        let address: IpAddr = client.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        state
            .recorder
            .record(NewVerification {
                at: state.clock.now(),
                channel: Channel::File,
                annotation_id: Some(f.annotation.id),
                certificate_id: f.certificate.id,
                verifier: state.verifier_key.hash(address),
                verdict: outcome.verdict(),
            })
            .await;
    }
    Ok(report)
}

/// What the record says of a document handed out for an annotation.
fn on_record(
    f: &VerifiableAnnotation,
    ministry_seal_since: zhengshu_domain::Day,
    today: zhengshu_domain::Day,
) -> OnRecord {
    let c = &f.certificate;
    // The annotation judged by itself: the certificate's own status is
    // its own check.
    let annotation = Outcome::of_annotation(&f.annotation, &CertificateStatus::Valid, today);
    OnRecord {
        ministry_seal: c.data.issue_date >= ministry_seal_since,
        body_seal_name: format!("{}{}", c.body_name, BODY_SEAL_PURPOSE),
        annotation: Some((annotation, f.annotation.valid_until)),
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
