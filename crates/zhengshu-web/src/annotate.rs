//! Annotation (加注) as the holder uses it, shared by the API and the
//! pages: applying (rules checked, the limit enforced by the store
//! atomically, a worker woken), reading an annotation's state as of today,
//! serving the signed documents (annotated copies, and certificates that
//! need no annotation) inline or as downloads with RFC 6266/5987 file
//! names, and withdrawing. Every access is audited; another holder's
//! annotation is 404.

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde::Serialize;
use zhengshu_domain::{
    Actor, Annotation, AnnotationState, ApplicationError, Certificate, CertificateStatus, Holder,
    NewAnnotation,
};
use zhengshu_storage::annotations::document_event;
use zhengshu_storage::{Conflict, StorageError};

use crate::AppState;
use crate::error::{ApiError, FieldError};
use crate::views;

/// An annotation as the API answers it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AnnotationView {
    pub id: i64,
    pub certificate_id: i64,
    /// 使用场景 code, e.g. `self_use`.
    pub scenario: String,
    /// `generating`, `ready`, `expired`, `withdrawn` or `failed`.
    pub state: String,
    /// 加注编号.
    pub number: String,
    /// Validity asked for, in days.
    pub days: u16,
    /// `YYYY-MM-DD`, China Standard Time.
    pub applied_on: String,
    /// First day of 加注有效期, once generated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    /// Last day (inclusive) of 加注有效期, once generated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
    /// 查验码 printed on the document and in its QR code, once generated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_code: Option<String>,
}

impl AnnotationView {
    pub fn of(state: &AppState, a: &Annotation) -> Self {
        let generated = a.valid_from.is_some();
        AnnotationView {
            id: a.id,
            certificate_id: a.certificate_id,
            scenario: a.scenario.clone(),
            state: a.state_on(state.clock.today()).code().to_owned(),
            number: a.number.clone(),
            days: a.days,
            applied_on: a.applied_on.to_string(),
            valid_from: a.valid_from.map(|d| d.to_string()),
            valid_until: a.valid_until.map(|d| d.to_string()),
            verification_code: generated.then(|| a.verification_code.clone()),
        }
    }
}

/// 20 characters of an alphabet without look-alikes (100 bits): the
/// 查验码, unguessable, short enough to type from paper.
pub fn verification_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

fn refuse_revoked(c: &Certificate) -> Result<(), ApiError> {
    match c.status {
        CertificateStatus::Valid => Ok(()),
        CertificateStatus::Revoked(_) => Err(ApiError::CertificateRevoked),
    }
}

/// The refusal of a validity that is not 1 to `max` days.
pub fn days_field_error(max: u16) -> FieldError {
    FieldError::new("days", "annotation_days").with("max", max)
}

/// Applies for an annotation of the holder's certificate `certificate_id`.
pub async fn apply(
    state: &AppState,
    holder: &Holder,
    certificate_id: i64,
    scenario: &str,
    days: Option<i64>,
) -> Result<Annotation, ApiError> {
    let c = views::own_certificate(state, holder, certificate_id).await?;
    refuse_revoked(&c)?;
    if !views::needs_annotation(state, &c) {
        return Err(ApiError::AnnotationNotNeeded);
    }
    let max = state.policy.max_validity_days;
    let days = days.unwrap_or(i64::from(max));
    let scenario = state
        .policy
        .check_application(scenario, days)
        .map_err(|e| {
            ApiError::Validation(vec![match e {
                ApplicationError::BadDays { max } => days_field_error(max),
                ApplicationError::UnknownScenario => {
                    FieldError::new("scenario", "annotation_scenario")
                }
            }])
        })?;
    let now = state.clock.now();
    let new = NewAnnotation {
        certificate_id: c.id,
        holder_id: holder.id,
        scenario: scenario.code().to_owned(),
        days: u16::try_from(days).map_err(|_| ApiError::BadRequest)?,
        verification_code: verification_code(),
        applied_on: zhengshu_domain::day_in_china(now),
        applied_at: now,
    };
    // The limit's refusal becomes `ApiError::AnnotationLimit`.
    let a = state.storage.apply_annotation(&new, &state.policy).await?;
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
) -> Result<(Annotation, Certificate), ApiError> {
    let a = state.storage.annotation(id).await?;
    if a.holder_id != holder.id {
        return Err(ApiError::NotFound);
    }
    let c = views::own_certificate(state, holder, a.certificate_id).await?;
    Ok((a, c))
}

/// The newest annotation of a certificate, if any.
pub async fn latest(state: &AppState, certificate_id: i64) -> Result<Option<Annotation>, ApiError> {
    Ok(state
        .storage
        .annotations_of(certificate_id)
        .await?
        .into_iter()
        .next())
}

/// Withdraws the holder's ready annotation `id`.
pub async fn withdraw(state: &AppState, holder: &Holder, id: i64) -> Result<Annotation, ApiError> {
    let (a, _) = own(state, holder, id).await?;
    let now = state.clock.now();
    match state
        .storage
        .withdraw_annotation(a.id, state.clock.today(), &Actor::Holder(holder.id), now)
        .await
    {
        Ok(a) => Ok(a),
        Err(StorageError::Conflict(Conflict::AnnotationState)) => {
            Err(ApiError::AnnotationNotWithdrawable)
        }
        Err(e) => Err(e.into()),
    }
}

/// The signed PDF of the holder's annotation `id`, when it is ready.
pub async fn annotation_document(
    state: &AppState,
    holder: &Holder,
    id: i64,
    inline: bool,
) -> Result<Response, ApiError> {
    let (a, c) = own(state, holder, id).await?;
    match a.state_on(state.clock.today()) {
        AnnotationState::Ready => {}
        AnnotationState::Generating => return Err(ApiError::AnnotationNotReady),
        AnnotationState::Failed => return Err(ApiError::AnnotationFailed),
        AnnotationState::Expired => return Err(ApiError::AnnotationExpired),
        AnnotationState::Withdrawn => return Err(ApiError::AnnotationWithdrawn),
    }
    refuse_revoked(&c)?;
    let pdf = state.storage.annotation_document(a.id).await?;
    audit(state, holder, format!("annotation:{}", a.id), inline).await?;
    let name = format!("{}-{}-{}.pdf", c.data.name, c.qualification_name, a.number);
    Ok(pdf_response(
        pdf,
        &name,
        &format!("{}.pdf", a.number),
        inline,
    ))
}

/// The signed PDF of a certificate that needs no annotation (the issuing
/// body's seal), made on request.
pub async fn certificate_document(
    state: &AppState,
    holder: &Holder,
    certificate_id: i64,
    inline: bool,
) -> Result<Response, ApiError> {
    let c = views::own_certificate(state, holder, certificate_id).await?;
    refuse_revoked(&c)?;
    if views::needs_annotation(state, &c) {
        return Err(ApiError::AnnotationRequired);
    }
    let renderer: Arc<zhengshu_document::Renderer> = state
        .renderer
        .clone()
        .ok_or_else(|| ApiError::Internal("no document renderer configured".into()))?;
    let now = state.clock.now();
    let number = c.data.number.to_string();
    let name = format!("{}-{}-{}.pdf", c.data.name, c.qualification_name, number);
    let pdf = tokio::task::spawn_blocking(move || renderer.render(&c, None, now))
        .await
        .map_err(|e| ApiError::Internal(format!("render thread: {e}")))?
        .map_err(|e| ApiError::Internal(format!("render: {e}")))?;
    audit(state, holder, format!("certificate:{number}"), inline).await?;
    Ok(pdf_response(pdf, &name, &format!("{number}.pdf"), inline))
}

async fn audit(
    state: &AppState,
    holder: &Holder,
    subject: String,
    inline: bool,
) -> Result<(), ApiError> {
    let event = document_event(subject, &Actor::Holder(holder.id), inline);
    state
        .storage
        .record_audit(&event, state.clock.now())
        .await?;
    Ok(())
}

/// A PDF answer: `inline` to view, else an attachment; the file name in
/// UTF-8 per RFC 5987 (`filename*`) with an ASCII fallback (`filename`) for
/// old clients, per RFC 6266.
pub fn pdf_response(pdf: Vec<u8>, name: &str, ascii_fallback: &str, inline: bool) -> Response {
    let disposition = content_disposition(inline, name, ascii_fallback);
    let mut r = (StatusCode::OK, pdf).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// `attachment; filename="…"; filename*=UTF-8''…` (or `inline`).
pub fn content_disposition(inline: bool, name: &str, ascii_fallback: &str) -> String {
    let kind = if inline { "inline" } else { "attachment" };
    let fallback: String = ascii_fallback
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || "-._".contains(ch) {
                ch
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "{kind}; filename=\"{fallback}\"; filename*=UTF-8''{}",
        rfc5987(name)
    )
}

/// Percent-encodes everything but RFC 5987's `attr-char`.
fn rfc5987(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_follow_rfc_6266_and_5987() {
        assert_eq!(
            content_disposition(false, "张三-执业药师.pdf", "ZY1.pdf"),
            "attachment; filename=\"ZY1.pdf\"; filename*=UTF-8''%E5%BC%A0%E4%B8%89-%E6%89%A7%E4%B8%9A%E8%8D%AF%E5%B8%88.pdf"
        );
        assert_eq!(
            content_disposition(true, "a b\"c.pdf", "a b\"c.pdf"),
            "inline; filename=\"a_b_c.pdf\"; filename*=UTF-8''a%20b%22c.pdf"
        );
    }

    #[test]
    fn verification_codes_are_long_and_distinct() {
        let a = verification_code();
        let b = verification_code();
        assert_eq!(a.len(), 20);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
        assert!(!a.contains(['0', 'O', '1', 'I']));
        assert_ne!(a, b);
    }
}
