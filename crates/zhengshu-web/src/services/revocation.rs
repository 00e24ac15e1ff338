//! Revocation (撤销) in the console: a body's staff find its certificates
//! (by number, by name, or by ID number through the blind index) and open
//! one with its history; its officers and admins revoke a valid one with
//! a required reason; only the platform operator undoes a revocation,
//! with a reason too. Every change is written with its audit event in one
//! transaction, and another body's certificate answers like an absent one.

use zhengshu_domain::{
    Actor, AuditEvent, Certificate, CertificateNumber, CertificateStatus, HolderName, IdDocument,
    IdType, Revocation, Role, Staff,
};
use zhengshu_storage::{CertificateSearch, Conflict, StorageError};

use super::staff::event;
use super::{Error, FieldError};
use crate::state::AppState;

/// The shortest and longest reason, in characters.
pub const REASON_CHARS: (usize, usize) = (4, 200);

/// The body whose certificates `me` sees, `None` for the operator (every
/// body's); `NotFound` for any other account.
fn scope(me: &Staff) -> Result<Option<&str>, Error> {
    match (me.role, &me.body) {
        (Role::Operator, _) => Ok(None),
        (_, Some(b)) => Ok(Some(b.as_str())),
        _ => Err(Error::NotFound),
    }
}

/// Whether `me` opens the certificate pages at all.
pub fn allowed(me: &Staff) -> bool {
    scope(me).is_ok()
}

/// Whether `me` revokes the body's certificates: its officers and admins.
pub fn revokes(me: &Staff) -> bool {
    matches!(me.role, Role::Officer | Role::Admin) && me.body.is_some()
}

/// Whether `me` undoes revocations: the platform operator only.
pub fn reinstates(me: &Staff) -> bool {
    me.role == Role::Operator
}

/// What `q` means when searched `by` `number`, `name` or `id` (an ID
/// number of any type it is valid for).
pub fn search_of(by: &str, q: &str) -> Result<CertificateSearch, Error> {
    let q = q.trim();
    let invalid = || Error::Validation(vec![FieldError::new("q", "certificate_search_invalid")]);
    match by {
        "id" => {
            let docs: Vec<IdDocument> = IdType::ALL
                .iter()
                .filter_map(|t| IdDocument::parse(*t, q).ok())
                .collect();
            if docs.is_empty() {
                Err(invalid())
            } else {
                Ok(CertificateSearch::Id(docs))
            }
        }
        "name" => HolderName::parse(q)
            .map(CertificateSearch::Name)
            .map_err(|_| invalid()),
        _ => CertificateNumber::parse(q)
            .map(CertificateSearch::Number)
            .map_err(|_| invalid()),
    }
}

/// The certificates a search shows on one page.
pub const SEARCH_PAGE: i64 = 50;

/// A page of a search: its certificates, and whether more follow.
#[derive(Debug, Clone)]
pub struct Found {
    pub certificates: Vec<Certificate>,
    pub more: bool,
}

/// The page of certificates `search` finds among those `me` sees, in the
/// order of their numbers, starting after `after`.
pub async fn find(
    state: &AppState,
    me: &Staff,
    search: &CertificateSearch,
    after: Option<&CertificateNumber>,
) -> Result<Found, Error> {
    let body = scope(me)?;
    // One more than a page tells whether another page follows.
    let mut certificates = state
        .storage
        .find_certificates(body, search, after, SEARCH_PAGE + 1)
        .await?;
    let page = usize::try_from(SEARCH_PAGE).unwrap_or(usize::MAX);
    let more = certificates.len() > page;
    certificates.truncate(page);
    Ok(Found { certificates, more })
}

/// Certificate `id`, if `me` sees it (`NotFound` otherwise, alike).
pub async fn certificate(state: &AppState, me: &Staff, id: i64) -> Result<Certificate, Error> {
    let body = scope(me)?;
    let c = state.storage.certificate(id).await?;
    match body {
        Some(b) if c.body.as_str() != b => Err(Error::NotFound),
        _ => Ok(c),
    }
}

/// The certificate's history: every audit event about it, newest first.
pub async fn history(state: &AppState, c: &Certificate) -> Result<Vec<AuditEvent>, Error> {
    Ok(state
        .storage
        .audit_events(Some(&format!("certificate:{}", c.data.number)), 500)
        .await?)
}

/// `reason` trimmed, or the field's refusal (`code` names its message).
pub fn reason(reason: &str, code: &'static str) -> Result<String, Error> {
    let reason = reason.trim();
    let chars = reason.chars().count();
    if chars < REASON_CHARS.0 || chars > REASON_CHARS.1 {
        return Err(Error::Validation(vec![
            FieldError::new("reason", code)
                .with("min", REASON_CHARS.0)
                .with("max", REASON_CHARS.1),
        ]));
    }
    Ok(reason.to_owned())
}

/// The refusal of a change the certificate's state no longer allows.
fn stale() -> Error {
    Error::Validation(vec![FieldError::new("status", "certificate_state_changed")])
}

/// Revokes certificate `id` of `me`'s body with `reason`; refused input
/// and a certificate revoked meanwhile are field errors.
pub async fn revoke(
    state: &AppState,
    me: &Staff,
    id: i64,
    reason_text: &str,
    address: &str,
) -> Result<Certificate, Error> {
    if !revokes(me) {
        return Err(Error::NotFound);
    }
    let c = certificate(state, me, id).await?;
    let reason = reason(reason_text, "revoke_reason")?;
    if c.status != CertificateStatus::Valid {
        return Err(stale());
    }
    let body = c.body.as_str();
    let revocation = Revocation {
        at: state.clock.now(),
        reason: reason.clone(),
    };
    let ev = event(
        &Actor::Staff(me.username.as_str().to_owned()),
        Some(me.role),
        Some(body),
        Some(address),
        "certificate.revoke",
        format!("certificate:{}", c.data.number),
        Some(
            serde_json::json!({
                "status": "revoked",
                "revoked_at": revocation.at.to_string(),
                "reason": reason,
            })
            .to_string(),
        ),
    );
    let ev = zhengshu_domain::NewAuditEvent {
        before: Some(r#"{"status":"valid"}"#.into()),
        ..ev
    };
    match state
        .storage
        .revoke_in_body(c.id, body, &revocation, &ev)
        .await
    {
        Ok(()) => {}
        Err(StorageError::Conflict(Conflict::AlreadyRevoked)) => return Err(stale()),
        Err(e) => return Err(e.into()),
    }
    Ok(state.storage.certificate(c.id).await?)
}

/// Undoes the revocation of certificate `id`, by the operator, with
/// `reason`; the revocation undone is kept in the event's `before`.
pub async fn reinstate(
    state: &AppState,
    me: &Staff,
    id: i64,
    reason_text: &str,
    address: &str,
) -> Result<Certificate, Error> {
    if !reinstates(me) {
        return Err(Error::NotFound);
    }
    let c = certificate(state, me, id).await?;
    let reason = reason(reason_text, "reinstate_reason")?;
    let CertificateStatus::Revoked(was) = &c.status else {
        return Err(stale());
    };
    let ev = event(
        &Actor::Staff(me.username.as_str().to_owned()),
        Some(me.role),
        Some(c.body.as_str()),
        Some(address),
        "certificate.reinstate",
        format!("certificate:{}", c.data.number),
        Some(serde_json::json!({"status": "valid", "reason": reason}).to_string()),
    );
    let ev = zhengshu_domain::NewAuditEvent {
        before: Some(
            serde_json::json!({
                "status": "revoked",
                "revoked_at": was.at.to_string(),
                "reason": was.reason,
            })
            .to_string(),
        ),
        ..ev
    };
    match state
        .storage
        .reinstate_certificate(c.id, &ev, state.clock.now())
        .await
    {
        Ok(()) => {}
        Err(StorageError::Conflict(Conflict::Changed)) => return Err(stale()),
        Err(e) => return Err(e.into()),
    }
    Ok(state.storage.certificate(c.id).await?)
}
