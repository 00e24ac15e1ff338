//! Corrections (更正) in the console: a body's officers and admins change
//! a certificate's holder name, ID document or other fields, with a
//! reason. The form is checked whole (each field by the domain's rules),
//! refused when nothing changes or when the certificate changed since the
//! officer opened it, and written with the version it replaces and its
//! audit event in one transaction. The ID number is never shown in full:
//! left empty it stays as it is. A holder account registered with the
//! old identity no longer sees the certificate; it is told when a
//! correction was made, never what it made.

use jiff::Timestamp;
use sha2::{Digest, Sha256};
use zhengshu_domain::{
    Actor, Certificate, Day, Holder, HolderName, IdDocument, IdType, NewAuditEvent, NewCertificate,
    Role, Sex, Staff,
};
use zhengshu_storage::{CertificateVersion, Conflict, Correction, StorageError};

use super::accounts::{id_error, name_error};
use super::revocation;
use super::staff::event;
use super::{Error, FieldError};
use crate::state::AppState;

/// The longest free-text field (category, specialty, level, 管理号).
pub const TEXT_CHARS: usize = 100;

/// Whether `me` corrects the body's certificates: its officers and admins.
pub fn corrects(me: &Staff) -> bool {
    matches!(me.role, Role::Officer | Role::Admin) && me.body.is_some()
}

/// What the correction form carries: every field as text, the ID number
/// empty to keep it, the reason, and the version the officer saw.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct CorrectionForm {
    pub name: String,
    pub id_type: String,
    pub id_number: String,
    pub sex: String,
    pub birth_date: String,
    pub management_number: String,
    pub category: String,
    pub specialty: String,
    pub level: String,
    pub approval_date: String,
    pub issue_date: String,
    pub reason: String,
    pub seen: String,
}

impl CorrectionForm {
    /// The form as it opens on `c`: its fields, the ID number empty.
    pub fn of(c: &Certificate) -> Self {
        let d = &c.data;
        let day = |d: Option<Day>| d.map(|d| d.to_string()).unwrap_or_default();
        Self {
            name: d.name.as_str().to_owned(),
            id_type: d.id.id_type.code().to_owned(),
            id_number: String::new(),
            sex: d.sex.map(|s| s.code().to_owned()).unwrap_or_default(),
            birth_date: day(d.birth_date),
            management_number: d.management_number.clone().unwrap_or_default(),
            category: d.category.clone().unwrap_or_default(),
            specialty: d.specialty.clone().unwrap_or_default(),
            level: d.level.clone().unwrap_or_default(),
            approval_date: day(d.approval_date),
            issue_date: d.issue_date.to_string(),
            reason: String::new(),
            seen: seen(c),
        }
    }
}

/// A fingerprint of the certificate's fields (as the audit log shows
/// them) and its status: the form's `seen`, compared when it is posted.
pub fn seen(c: &Certificate) -> String {
    let mut h = Sha256::new();
    h.update(zhengshu_storage::audit_json(&c.data).as_bytes());
    h.update(c.status.code().as_bytes());
    hex::encode(&h.finalize()[..16])
}

fn text(errors: &mut Vec<FieldError>, field: &'static str, value: &str) -> Option<String> {
    let v = value.trim();
    if v.chars().count() > TEXT_CHARS {
        errors.push(FieldError::new(field, "text_too_long").with("max", TEXT_CHARS));
    }
    (!v.is_empty()).then(|| v.to_owned())
}

fn day(errors: &mut Vec<FieldError>, field: &'static str, value: &str) -> Option<Day> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    match v.parse::<Day>() {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(FieldError::new(field, "date_invalid"));
            None
        }
    }
}

/// The certificate `form` makes of `current`, or every refusal at once.
pub fn corrected(current: &NewCertificate, form: &CorrectionForm) -> Result<NewCertificate, Error> {
    let mut errors = Vec::new();
    let name = HolderName::parse(&form.name)
        .map_err(|e| errors.push(name_error(&e)))
        .ok();
    let id_type = IdType::from_code(form.id_type.trim());
    if id_type.is_none() {
        errors.push(FieldError::new("id_type", "id_type_unknown"));
    }
    let id = match id_type {
        Some(t) if form.id_number.trim().is_empty() => {
            if t == current.id.id_type {
                Some(current.id.clone())
            } else {
                // Another type needs its number.
                errors.push(FieldError::new("id_number", "id_empty"));
                None
            }
        }
        Some(t) => IdDocument::parse(t, &form.id_number)
            .map_err(|e| errors.push(id_error(&e)))
            .ok(),
        None => None,
    };
    let sex = match form.sex.trim() {
        "" => None,
        s => match Sex::parse(s) {
            Some(s) => Some(s),
            None => {
                errors.push(FieldError::new("sex", "sex_invalid"));
                None
            }
        },
    };
    let birth_date = day(&mut errors, "birth_date", &form.birth_date);
    let approval_date = day(&mut errors, "approval_date", &form.approval_date);
    let issue_date = day(&mut errors, "issue_date", &form.issue_date);
    if form.issue_date.trim().is_empty() {
        errors.push(FieldError::new("issue_date", "date_invalid"));
    }
    let management_number = text(&mut errors, "management_number", &form.management_number);
    let category = text(&mut errors, "category", &form.category);
    let specialty = text(&mut errors, "specialty", &form.specialty);
    let level = text(&mut errors, "level", &form.level);
    let reason_chars = form.reason.trim().chars().count();
    if reason_chars < revocation::REASON_CHARS.0 || reason_chars > revocation::REASON_CHARS.1 {
        errors.push(
            FieldError::new("correction_reason", "correction_reason")
                .with("min", revocation::REASON_CHARS.0)
                .with("max", revocation::REASON_CHARS.1),
        );
    }
    let (Some(name), Some(id), Some(issue_date)) = (name, id, issue_date) else {
        return Err(Error::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let after = NewCertificate {
        name,
        id,
        sex,
        birth_date,
        management_number,
        category,
        specialty,
        level,
        approval_date,
        issue_date,
        ..current.clone()
    };
    if after == *current {
        return Err(Error::Validation(vec![FieldError::new(
            "form",
            "correction_unchanged",
        )]));
    }
    Ok(after)
}

fn stale() -> Error {
    Error::Validation(vec![FieldError::new("status", "certificate_state_changed")])
}

/// Corrects certificate `id` of `me`'s body as `form` says.
pub async fn correct(
    state: &AppState,
    me: &Staff,
    id: i64,
    form: &CorrectionForm,
    address: &str,
) -> Result<Certificate, Error> {
    if !corrects(me) {
        return Err(Error::NotFound);
    }
    let c = revocation::certificate(state, me, id).await?;
    let after = corrected(&c.data, form)?;
    if form.seen != seen(&c) {
        return Err(stale());
    }
    let body = c.body.as_str();
    let actor = Actor::Staff(me.username.as_str().to_owned());
    let reason = form.reason.trim().to_owned();
    let now = state.clock.now();
    let ev = event(
        &actor,
        Some(me.role),
        Some(body),
        Some(address),
        "certificate.correct",
        format!("certificate:{}", c.data.number),
        None,
    );
    let mut after_json: serde_json::Value =
        serde_json::from_str(&zhengshu_storage::audit_json(&after)).unwrap_or_default();
    after_json["reason"] = serde_json::Value::String(reason.clone());
    let ev = NewAuditEvent {
        before: Some(zhengshu_storage::audit_json(&c.data)),
        after: Some(after_json.to_string()),
        ..ev
    };
    let correction = Correction {
        before: c.data.clone(),
        after,
        reason,
        actor: actor.label(),
        at: now,
    };
    match state
        .storage
        .correct_certificate(c.id, body, &correction, &ev)
        .await
    {
        Ok(()) => {}
        Err(StorageError::Conflict(Conflict::Changed)) => return Err(stale()),
        Err(e) => return Err(e.into()),
    }
    Ok(state.storage.certificate(c.id).await?)
}

/// The versions corrections replaced of `c`, newest first.
pub async fn versions(state: &AppState, c: &Certificate) -> Result<Vec<CertificateVersion>, Error> {
    Ok(state.storage.certificate_versions(c.id).await?)
}

/// When certificates of the holder's registered identity were corrected
/// away from it (the dates only).
pub async fn corrected_away(
    state: &AppState,
    id: &IdDocument,
    name: &HolderName,
) -> Result<Vec<Timestamp>, Error> {
    Ok(state.storage.corrections_of_identity(id, name).await?)
}

/// The dates of the corrections that took every certificate away from the
/// registration of an account that has not proven its identity (never
/// proven, or taken by the account registered again with the corrected
/// details); empty when anything still matches it, so that it goes and
/// proves. Such an account has nothing left to prove: its list tells it
/// why, with the dates only, as any account's list does.
pub async fn corrected_unproven(state: &AppState, h: &Holder) -> Result<Vec<Timestamp>, Error> {
    if h.identity.is_proven() || h.unlinked_at.is_some() {
        return Ok(Vec::new());
    }
    let dates = corrected_away(state, &h.id_document, &h.name).await?;
    if dates.is_empty()
        || !state
            .storage
            .certificates_of(&h.id_document, &h.name)
            .await?
            .is_empty()
    {
        return Ok(Vec::new());
    }
    Ok(dates)
}
