//! Annotation (加注) as the holder uses it, for the API and the pages
//! alike: applying (for a parsed [`Application`]; the limit is enforced by
//! the store atomically and its refusal is turned into [`Error`] here and
//! only here; a worker is woken), reading the holder's annotations,
//! fetching the signed documents (annotated copies, and certificates that
//! need no annotation, each recorded as issued under a fresh 查验码) and
//! withdrawing. Every document fetched is audited;
//! another holder's annotation is [`Error::NotFound`].

use std::sync::Arc;

use rand::RngCore;
use zhengshu_document::Issue;
use zhengshu_domain::{
    Actor, Annotation, AnnotationState, Application, ApplicationError, Certificate,
    CertificateStatus, Holder, LimitReached, NewAnnotation, VerificationCode,
};
use zhengshu_storage::annotations::{document_event, sha256_hex};
use zhengshu_storage::{Conflict, IssuedDocument, StorageError};

use super::{Error, FieldError, certificates};
use crate::state::AppState;

/// A fresh 查验码 from the operating system's generator; its format is
/// the domain's ([`VerificationCode`]).
pub fn verification_code() -> String {
    fresh_code().as_str().to_owned()
}

/// A fresh 查验码 (the same source as [`verification_code`]).
pub fn fresh_code() -> VerificationCode {
    let mut bytes = [0u8; VerificationCode::LEN];
    rand::rng().fill_bytes(&mut bytes);
    VerificationCode::from_random(bytes)
}

fn refuse_revoked(c: &Certificate) -> Result<(), Error> {
    match c.status {
        CertificateStatus::Valid => Ok(()),
        CertificateStatus::Revoked(_) => Err(Error::CertificateRevoked),
    }
}

/// The refusal of an application's parameters, as the holder reads it.
pub fn refused(e: &ApplicationError) -> Error {
    Error::Validation(vec![match e {
        ApplicationError::BadDays { max } => {
            FieldError::new("days", "annotation_days").with("max", max)
        }
        ApplicationError::UnknownScenario => FieldError::new("scenario", "annotation_scenario"),
    }])
}

/// The refusal of an application over the limit.
fn limit_reached(limit: LimitReached) -> Error {
    Error::AnnotationLimit {
        next_possible_on: limit.next_possible_on,
    }
}

/// Applies for an annotation of the holder's certificate `certificate_id`.
pub async fn apply(
    state: &AppState,
    holder: &Holder,
    certificate_id: i64,
    application: Application,
) -> Result<Annotation, Error> {
    let applied = check_apply(state, holder, certificate_id, application).await;
    let outcome = match &applied {
        Ok(_) => "accepted",
        Err(Error::AnnotationLimit { .. }) => "annotation_limit",
        Err(Error::CertificateRevoked) => "certificate_revoked",
        Err(Error::AnnotationNotNeeded) => "annotation_not_needed",
        Err(Error::Validation(_)) => "validation",
        Err(Error::NotFound) => "not_found",
        Err(_) => "other",
    };
    zhengshu_metrics::metrics().application(outcome);
    applied
}

async fn check_apply(
    state: &AppState,
    holder: &Holder,
    certificate_id: i64,
    application: Application,
) -> Result<Annotation, Error> {
    let c = certificates::own(state, holder, certificate_id).await?;
    refuse_revoked(&c)?;
    if !certificates::needs_annotation(state, &c) {
        return Err(Error::AnnotationNotNeeded);
    }
    let now = state.clock.now();
    let new = NewAnnotation {
        certificate_id: c.id,
        holder_id: holder.id,
        scenario: application.scenario,
        days: application.days,
        verification_code: verification_code(),
        applied_on: zhengshu_domain::day_in_china(now),
        applied_at: now,
    };
    let a = match state.storage.apply_annotation(&new, &state.policy).await {
        Ok(a) => a,
        Err(StorageError::LimitReached(limit)) => return Err(limit_reached(limit)),
        Err(StorageError::Conflict(zhengshu_storage::Conflict::AlreadyRevoked)) => {
            return Err(Error::CertificateRevoked);
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(wake) = &state.workers {
        wake.notify_one();
    }
    Ok(a)
}

/// Annotation `id` with its certificate, if both are the holder's.
pub async fn own(
    state: &AppState,
    holder: &Holder,
    id: i64,
) -> Result<(Annotation, Certificate), Error> {
    let a = state.storage.annotation(id).await?;
    if !a.belongs_to(holder) {
        return Err(Error::NotFound);
    }
    let c = certificates::own(state, holder, a.certificate_id).await?;
    Ok((a, c))
}

/// The holder's annotations of their certificate `certificate_id`, newest
/// first.
pub async fn of_certificate(
    state: &AppState,
    holder: &Holder,
    certificate_id: i64,
) -> Result<Vec<Annotation>, Error> {
    let c = certificates::own(state, holder, certificate_id).await?;
    let mut list = state.storage.annotations_of(c.id).await?;
    list.retain(|a| a.belongs_to(holder));
    Ok(list)
}

/// The newest annotation of the holder's certificate `c`, if any.
pub async fn latest(
    state: &AppState,
    holder: &Holder,
    c: &Certificate,
) -> Result<Option<Annotation>, Error> {
    Ok(state
        .storage
        .annotations_of(c.id)
        .await?
        .into_iter()
        .next()
        .filter(|a| a.belongs_to(holder)))
}

/// Withdraws the holder's ready annotation `id`.
pub async fn withdraw(state: &AppState, holder: &Holder, id: i64) -> Result<Annotation, Error> {
    let (a, _) = own(state, holder, id).await?;
    let now = state.clock.now();
    match state
        .storage
        .withdraw_annotation(a.id, state.clock.today(), &Actor::Holder(holder.id), now)
        .await
    {
        Ok(a) => Ok(a),
        Err(StorageError::Conflict(Conflict::AnnotationState)) => {
            Err(Error::AnnotationNotWithdrawable)
        }
        Err(e) => Err(e.into()),
    }
}

/// A signed PDF and the names to deliver it under.
#[derive(Debug)]
pub struct Document {
    pub pdf: Vec<u8>,
    /// `姓名-资格-编号.pdf`
    pub file_name: String,
    /// `编号.pdf`, for clients that take ASCII names only.
    pub ascii_name: String,
}

/// The signed PDF of the holder's annotation `id`, when it is ready;
/// `inline` (viewed rather than downloaded) is what the audit records.
pub async fn annotation_document(
    state: &AppState,
    holder: &Holder,
    id: i64,
    inline: bool,
) -> Result<Document, Error> {
    let (a, c) = own(state, holder, id).await?;
    match a.state_on(state.clock.today()) {
        AnnotationState::Ready => {}
        AnnotationState::Generating => return Err(Error::AnnotationNotReady),
        AnnotationState::Failed => return Err(Error::AnnotationFailed),
        AnnotationState::Expired => return Err(Error::AnnotationExpired),
        AnnotationState::Withdrawn => return Err(Error::AnnotationWithdrawn),
    }
    refuse_revoked(&c)?;
    let pdf = state.storage.annotation_document(a.id).await?;
    audit(state, holder, format!("annotation:{}", a.id), inline).await?;
    Ok(Document {
        pdf,
        file_name: format!("{}-{}-{}.pdf", c.data.name, c.qualification_name, a.number),
        ascii_name: format!("{}.pdf", a.number),
    })
}

/// The signed PDF of a certificate that needs no annotation (the issuing
/// body's seal), made on request.
pub async fn certificate_document(
    state: &AppState,
    holder: &Holder,
    certificate_id: i64,
    inline: bool,
) -> Result<Document, Error> {
    let c = certificates::own(state, holder, certificate_id).await?;
    refuse_revoked(&c)?;
    if certificates::needs_annotation(state, &c) {
        return Err(Error::AnnotationRequired);
    }
    let renderer: Arc<zhengshu_document::Renderer> = state
        .renderer
        .clone()
        .ok_or_else(|| Error::Internal("no document renderer configured".into()))?;
    let now = state.clock.now();
    let number = c.data.number.to_string();
    let file_name = format!("{}-{}-{}.pdf", c.data.name, c.qualification_name, number);
    let certificate_id = c.id;
    // Every download is its own document, recorded under a fresh 查验码
    // that its QR code opens.
    let code = fresh_code();
    let printed = code.clone();
    let pdf = tokio::task::spawn_blocking(move || {
        let issue = Issue::Plain {
            verification_code: printed.as_str(),
        };
        renderer.render(&c, issue, now)
    })
    .await
    .map_err(|e| Error::Internal(format!("render thread: {e}")))?
    .map_err(|e| Error::Internal(format!("render: {e}")))?;
    state
        .storage
        .record_issued_document(&IssuedDocument {
            code,
            sha256: sha256_hex(&pdf),
            certificate_id,
            annotation_id: None,
            issued_at: now,
        })
        .await?;
    audit(state, holder, format!("certificate:{number}"), inline).await?;
    Ok(Document {
        pdf,
        file_name,
        ascii_name: format!("{number}.pdf"),
    })
}

async fn audit(
    state: &AppState,
    holder: &Holder,
    subject: String,
    inline: bool,
) -> Result<(), Error> {
    let event = document_event(subject, &Actor::Holder(holder.id), inline);
    state
        .storage
        .record_audit(&event, state.clock.now())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verification_codes_parse_and_differ() {
        let a = verification_code();
        let b = verification_code();
        assert_eq!(
            VerificationCode::parse(&a).map(|c| c.to_string()),
            Ok(a.clone())
        );
        assert_ne!(a, b);
    }
}
