//! Public verification (证书查验), for the API and the pages alike: a check
//! by 查验码 (what the QR code opens: an annotated document, or the document
//! of a certificate that needs no annotation) or by certificate number and holder
//! name, answering the domain's [`Outcome`] with what a verifier may see
//! ([`Shown`]: the ID number masked, never the birth date or 管理号), and
//! recording the check (channel, time, verdict, the verifier only as a
//! keyed hash) through the background [`Recorder`](crate::recorder). A
//! malformed code, an unknown code, an unknown number and a wrong name all
//! answer [`Outcome::NotFound`] with nothing shown; a check that found no
//! certificate is not recorded. "Today" is the injected clock's, read per
//! check, so a withdrawal, a revocation or an expiry shows at once.

use std::net::{IpAddr, Ipv4Addr};

use zhengshu_domain::{
    Annotation, Certificate, CertificateNumber, Channel, Day, Outcome, VerificationCode,
    day_in_china,
};
use zhengshu_storage::{
    NewVerification, StorageError, VerificationLog, VerifyAnnotation, VerifyCertificate,
};

use super::Error;
use crate::state::AppState;

/// What a check answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub outcome: Outcome,
    /// `None` exactly when the outcome is [`Outcome::NotFound`].
    pub shown: Option<Shown>,
}

/// What a verifier may see of a certificate (and of the annotation, when
/// the check was by code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub holder_name: String,
    /// 证件号码, masked.
    pub id_number_masked: String,
    pub qualification: String,
    pub certificate_number: String,
    pub issuing_body: String,
    pub annotation: Option<AnnotationShown>,
}

/// What a verifier may see of an annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnotationShown {
    /// 加注编号.
    pub number: String,
    /// 使用场景 (a code, e.g. `self_use`).
    pub scenario: String,
    /// 加注有效期, first and last day.
    pub valid_from: Option<Day>,
    pub valid_until: Option<Day>,
    /// SHA-256 (hex) of the issued PDF.
    pub document_sha256: Option<String>,
}

/// One item of a check: by code, or by number and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    Code(String),
    NumberAndName { number: String, name: String },
}

impl Checked {
    fn not_found() -> Self {
        Self {
            outcome: Outcome::NotFound,
            shown: None,
        }
    }
}

fn shown(c: &Certificate, annotation: Option<AnnotationShown>) -> Shown {
    shown_of(&VerifyCertificate::of(c), annotation)
}

fn shown_of(c: &VerifyCertificate, annotation: Option<AnnotationShown>) -> Shown {
    Shown {
        holder_name: c.holder_name.to_string(),
        id_number_masked: c.id_number_masked.to_string(),
        qualification: c.qualification.to_string(),
        certificate_number: c.number.to_string(),
        issuing_body: c.issuing_body.to_string(),
        annotation,
    }
}

fn annotation_shown(a: &VerifyAnnotation) -> AnnotationShown {
    AnnotationShown {
        number: a.number.to_string(),
        scenario: a.scenario.to_string(),
        valid_from: a.valid_from,
        valid_until: a.valid_until,
        document_sha256: a.document_sha256_hex(),
    }
}

/// Queues the record of a check that found certificate `certificate_id`.
async fn record(
    state: &AppState,
    client: &str,
    channel: Channel,
    certificate_id: i64,
    annotation_id: Option<i64>,
    outcome: &Outcome,
) {
    // Without a readable address (no peer information) every such
    // verifier counts as one.
    let address: IpAddr = client.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    state
        .recorder
        .record(NewVerification {
            at: state.clock.now(),
            channel,
            annotation_id,
            certificate_id,
            verifier: state.verifier_key.hash(address),
            verdict: outcome.verdict(),
        })
        .await;
}

/// Checks an annotated document by its 查验码.
pub async fn by_code(
    state: &AppState,
    client: &str,
    channel: Channel,
    code: &str,
) -> Result<Checked, Error> {
    let Ok(code) = VerificationCode::parse(code) else {
        return Ok(Checked::not_found());
    };
    let found = match state.storage.verify_code(&code).await {
        Ok(found) => found,
        Err(StorageError::NotFound) => return plain_document(state, client, channel, &code).await,
        Err(e) => return Err(e.into()),
    };
    let today = day_in_china(state.clock.now());
    let c = &found.certificate;
    let outcome = Outcome::of_stored(
        found.stored_state,
        (found.valid_from, found.valid_until),
        found.withdrawn_at,
        &c.status,
        today,
    );
    record(state, client, channel, c.id, Some(found.id), &outcome).await;
    if outcome == Outcome::NotFound {
        return Ok(Checked::not_found());
    }
    Ok(Checked {
        shown: Some(shown_of(c, Some(annotation_shown(&found)))),
        outcome,
    })
}

/// Checks the document of a certificate that needs no annotation by the
/// 查验码 recorded when it was handed out: the certificate's own answer
/// (valid or revoked), nothing of an annotation.
async fn plain_document(
    state: &AppState,
    client: &str,
    channel: Channel,
    code: &VerificationCode,
) -> Result<Checked, Error> {
    let document = match state.storage.issued_document_by_code(code).await {
        // An annotated document is found by its annotation, above.
        Ok(d) if d.annotation_id.is_none() => d,
        Ok(_) | Err(StorageError::NotFound) => return Ok(Checked::not_found()),
        Err(e) => return Err(e.into()),
    };
    let c = state.storage.certificate(document.certificate_id).await?;
    let outcome = Outcome::of_certificate(&c.status);
    record(state, client, channel, c.id, None, &outcome).await;
    Ok(Checked {
        shown: Some(shown(&c, None)),
        outcome,
    })
}

/// Checks a certificate by its number and the holder's name as typed (not
/// parsed as a holder name: a verifier may type what a name cannot hold).
pub async fn by_number_and_name(
    state: &AppState,
    client: &str,
    channel: Channel,
    number: &str,
    name: &str,
) -> Result<Checked, Error> {
    let Ok(number) = CertificateNumber::parse(number) else {
        return Ok(Checked::not_found());
    };
    let c = match state.storage.verify_number(&number).await {
        Ok(c) => c,
        Err(StorageError::NotFound) => return Ok(Checked::not_found()),
        Err(e) => return Err(e.into()),
    };
    let outcome = Outcome::of_number_and_name(Some((&c.holder_name, &c.status)), name);
    record(state, client, channel, c.id, None, &outcome).await;
    if outcome == Outcome::NotFound {
        return Ok(Checked::not_found());
    }
    Ok(Checked {
        shown: Some(shown_of(&c, None)),
        outcome,
    })
}

/// Checks one item.
pub async fn check(
    state: &AppState,
    client: &str,
    channel: Channel,
    query: &Query,
) -> Result<Checked, Error> {
    match query {
        Query::Code(code) => by_code(state, client, channel, code).await,
        Query::NumberAndName { number, name } => {
            by_number_and_name(state, client, channel, number, name).await
        }
    }
}

/// Counts `n` checks from `client` against the rate limits.
pub fn admit(state: &AppState, client: &str, n: u32) -> Result<(), Error> {
    state
        .verify_limiter
        .check(client, n)
        .map_err(|retry_after_secs| Error::RateLimited { retry_after_secs })
}

/// How many verifications the holder's annotation `annotation` had, and
/// the newest few: when, by which channel, with which answer — nothing of
/// the verifiers.
pub async fn log_of(state: &AppState, annotation: &Annotation) -> Result<VerificationLog, Error> {
    Ok(state
        .storage
        .verifications_of_annotation(annotation.id, 10)
        .await?)
}
