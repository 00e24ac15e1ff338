//! The platform operator's work: issuing bodies (add, rename), the
//! qualification-type catalogue (add, edit), the verification scope
//! settings of each type, service-terms versions (publish) and the seal
//! keys (listed; a body's seal made when the body is added). Only the
//! `operator` role: every other account is `NotFound`, as if absent.
//!
//! Every change is checked whole before anything is written, then written
//! with its audit event (before and after, as JSON) in one transaction by
//! [`Storage::change_reference`]; an edit names the row as it was read, so
//! a change made meanwhile is refused (`changed_meanwhile`), never
//! overwritten.
//!
//! Seals: the renderer holds the seal keys. A body added here gets its
//! seal at once when the root's key is in the key directory; with an
//! imported root the body is added without a seal and the page says so,
//! naming the `zhengshu keys import` command. A renderer in another
//! process (`zhengshu worker`) takes or makes the seal on the body's first
//! document ([`zhengshu_document::Renderer::ensure_seal`]).

use std::sync::Arc;

use jiff::Timestamp;
use zhengshu_domain::reference::{new_body_code, reference_name, scope_years};
use zhengshu_domain::{
    Actor, AuditContext, BodyCode, IssuingBody, NewAuditEvent, QualificationCode,
    QualificationType, Role, Staff, TermsVersion, day_in_china,
};
use zhengshu_storage::{Conflict, ReferenceChange, StorageError};

use super::{Error, FieldError};
use crate::state::AppState;

/// The longest service terms, in characters.
pub const MAX_TERMS_CHARS: usize = 20_000;

/// Whether `me` is the platform operator.
pub fn allowed(me: &Staff) -> bool {
    me.role == Role::Operator
}

fn operator(me: &Staff) -> Result<(), Error> {
    if allowed(me) {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

fn invalid(field: &'static str, code: &'static str) -> Error {
    Error::Validation(vec![FieldError::new(field, code)])
}

/// The event of the operator `me` changing `subject`.
fn event(
    me: &Staff,
    address: &str,
    body: Option<&BodyCode>,
    action: &str,
    subject: String,
    before: Option<String>,
    after: Option<String>,
) -> NewAuditEvent {
    NewAuditEvent {
        context: AuditContext {
            body: body.map(|b| b.as_str().to_owned()),
            role: Some(me.role.code().to_owned()),
            address: Some(address.to_owned()),
        },
        actor: Actor::Staff(me.username.as_str().to_owned()),
        action: action.into(),
        subject,
        before,
        after,
    }
}

fn json<T: serde::Serialize>(v: &T) -> Option<String> {
    serde_json::to_string(v).ok()
}

/// A storage refusal as the field it concerns.
fn refused(e: StorageError, code_field: &'static str) -> Error {
    match e {
        StorageError::Conflict(Conflict::Exists) => invalid(code_field, "code_taken"),
        StorageError::Conflict(Conflict::Changed) => invalid("form", "changed_meanwhile"),
        other => other.into(),
    }
}

async fn body(state: &AppState, code: &str) -> Result<IssuingBody, Error> {
    state
        .storage
        .issuing_bodies()
        .await?
        .into_iter()
        .find(|b| b.code.as_str() == code.trim())
        .ok_or(Error::NotFound)
}

async fn qualification(state: &AppState, code: &str) -> Result<QualificationType, Error> {
    state
        .storage
        .qualification_types()
        .await?
        .into_iter()
        .find(|q| q.code.as_str() == code.trim())
        .ok_or(Error::NotFound)
}

/// What became of a new body's seal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealMade {
    /// Made now (or found already on disk).
    Ready,
    /// Not made: the root's key is not here (an imported root), or this
    /// process has no renderer; the reason for the log.
    Missing(String),
}

/// Adds the issuing body `code` named `name`, then its seal.
pub async fn add_body(
    state: &AppState,
    me: &Staff,
    code: &str,
    name: &str,
    exempt_before_cutover: bool,
    address: &str,
) -> Result<(IssuingBody, SealMade), Error> {
    operator(me)?;
    let mut fields = Vec::new();
    let code = new_body_code(code).map_err(|c| fields.push(FieldError::new("code", c)));
    let name = reference_name(name).map_err(|c| fields.push(FieldError::new("name", c)));
    let (Ok(code), Ok(name)) = (code, name) else {
        return Err(Error::Validation(fields));
    };
    let new = IssuingBody {
        code,
        name,
        exempt_before_cutover,
    };
    let ev = event(
        me,
        address,
        Some(&new.code),
        "body.create",
        format!("body:{}", new.code),
        None,
        json(&new),
    );
    let now = state.clock.now();
    state
        .storage
        .change_reference(&ReferenceChange::AddBody(new.clone()), &ev, now)
        .await
        .map_err(|e| refused(e, "code"))?;
    let seal = make_seal(state, me, address, &new, now).await;
    Ok((new, seal))
}

/// Makes the seal of `body` in the renderer's key directory and audits
/// it; the seal's absence is reported, not an error (the body exists).
async fn make_seal(
    state: &AppState,
    me: &Staff,
    address: &str,
    body: &IssuingBody,
    now: Timestamp,
) -> SealMade {
    let Some(renderer) = state.renderer.clone() else {
        return SealMade::Missing("no document renderer in this process".into());
    };
    let (code, name) = (body.code.to_string(), body.name.clone());
    let r: Arc<zhengshu_document::Renderer> = renderer;
    let made = tokio::task::spawn_blocking(move || {
        let made = r.ensure_seal(&code, &name)?;
        let pki = r.pki();
        let seal = pki.seal(&code)?;
        Ok::<_, zhengshu_document::DocumentError>((made, seal.subject(), seal.fingerprint()))
    })
    .await;
    match made {
        Ok(Ok((made, subject, fingerprint))) => {
            if made {
                let ev = event(
                    me,
                    address,
                    Some(&body.code),
                    "seal.create",
                    format!("body:{}", body.code),
                    None,
                    Some(
                        serde_json::json!({ "subject": subject, "sha256": fingerprint })
                            .to_string(),
                    ),
                );
                if let Err(e) = state.storage.record_audit(&ev, now).await {
                    tracing::error!(error = %e, body = %body.code, "seal made, its audit event not recorded");
                }
            }
            SealMade::Ready
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, body = %body.code, "issuing body added without a seal");
            SealMade::Missing(e.to_string())
        }
        Err(e) => SealMade::Missing(e.to_string()),
    }
}

/// Renames the issuing body `code` (as read, `before_name`) to `name`.
pub async fn rename_body(
    state: &AppState,
    me: &Staff,
    code: &str,
    before_name: &str,
    name: &str,
    address: &str,
) -> Result<IssuingBody, Error> {
    operator(me)?;
    let before = body(state, code).await?;
    if before.name != before_name {
        return Err(invalid("form", "changed_meanwhile"));
    }
    let name = reference_name(name).map_err(|c| invalid("name", c))?;
    let after = IssuingBody {
        name,
        ..before.clone()
    };
    let ev = event(
        me,
        address,
        Some(&before.code),
        "body.rename",
        format!("body:{}", before.code),
        json(&before),
        json(&after),
    );
    state
        .storage
        .change_reference(
            &ReferenceChange::UpdateBody {
                before,
                after: after.clone(),
            },
            &ev,
            state.clock.now(),
        )
        .await
        .map_err(|e| refused(e, "code"))?;
    Ok(after)
}

/// A qualification type as typed in the catalogue's forms.
#[derive(Debug, Clone, Default)]
pub struct TypeInput<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub body: &'a str,
}

/// The name and body of `input`, checked against the known bodies.
async fn type_fields(
    state: &AppState,
    input: &TypeInput<'_>,
    fields: &mut Vec<FieldError>,
) -> Result<(Option<String>, Option<BodyCode>), Error> {
    let name = reference_name(input.name)
        .map_err(|c| fields.push(FieldError::new("name", c)))
        .ok();
    let bodies = state.storage.issuing_bodies().await?;
    let body = bodies
        .into_iter()
        .find(|b| b.code.as_str() == input.body.trim())
        .map(|b| b.code);
    if body.is_none() {
        fields.push(FieldError::new("body", "body_unknown"));
    }
    Ok((name, body))
}

/// Adds a qualification type to the catalogue: out of the verification
/// scope until the operator puts it in, from this year on.
pub async fn add_type(
    state: &AppState,
    me: &Staff,
    input: &TypeInput<'_>,
    address: &str,
) -> Result<QualificationType, Error> {
    operator(me)?;
    let mut fields = Vec::new();
    let code = QualificationCode::parse(input.code.trim())
        .map_err(|_| fields.push(FieldError::new("code", "code_invalid")))
        .ok();
    let (name, body) = type_fields(state, input, &mut fields).await?;
    let (Some(code), Some(name), Some(body)) = (code, name, body) else {
        return Err(Error::Validation(fields));
    };
    let now = state.clock.now();
    let new = QualificationType {
        code,
        name,
        body,
        in_scope: false,
        years_from: day_in_china(now).year(),
        years_to: None,
    };
    let ev = event(
        me,
        address,
        Some(&new.body),
        "qualification.create",
        format!("qualification:{}", new.code),
        None,
        json(&new),
    );
    state
        .storage
        .change_reference(&ReferenceChange::AddType(new.clone()), &ev, now)
        .await
        .map_err(|e| refused(e, "code"))?;
    Ok(new)
}

/// Edits the name and body of the type `input.code`, which must still be
/// `before`'s. A type with certificates on record keeps its body: moving
/// it would hand those certificates to another body's staff.
pub async fn edit_type(
    state: &AppState,
    me: &Staff,
    input: &TypeInput<'_>,
    before_name: &str,
    before_body: &str,
    address: &str,
) -> Result<QualificationType, Error> {
    operator(me)?;
    let before = qualification(state, input.code).await?;
    if before.name != before_name || before.body.as_str() != before_body {
        return Err(invalid("form", "changed_meanwhile"));
    }
    let mut fields = Vec::new();
    let (name, body) = type_fields(state, input, &mut fields).await?;
    if let Some(b) = &body
        && *b != before.body
    {
        let held = state
            .storage
            .issue_years()
            .await?
            .iter()
            .any(|y| y.qualification == before.code && y.certificates > 0);
        if held {
            fields.push(FieldError::new("body", "type_has_certificates"));
        }
    }
    let (Some(name), Some(body), true) = (name, body, fields.is_empty()) else {
        return Err(Error::Validation(fields));
    };
    let after = QualificationType {
        name,
        body,
        ..before.clone()
    };
    update_type(state, me, before, after, "qualification.update", address).await
}

/// Sets the verification scope of the type `code` (read as `before`):
/// whether it is in scope and which years; an empty `years_to` is "up to now".
pub async fn set_scope(
    state: &AppState,
    me: &Staff,
    code: &str,
    before: &ScopeInput<'_>,
    after: &ScopeInput<'_>,
    address: &str,
) -> Result<QualificationType, Error> {
    operator(me)?;
    let stored = qualification(state, code).await?;
    let was = before.parse().ok();
    if was != Some((stored.in_scope, stored.years_from, stored.years_to)) {
        return Err(invalid("form", "changed_meanwhile"));
    }
    let (in_scope, years_from, years_to) = after.parse()?;
    let new = QualificationType {
        in_scope,
        years_from,
        years_to,
        ..stored.clone()
    };
    update_type(state, me, stored, new, "scope.update", address).await
}

/// A scope setting as a form carries it.
#[derive(Debug, Clone, Default)]
pub struct ScopeInput<'a> {
    pub in_scope: bool,
    pub years_from: &'a str,
    pub years_to: &'a str,
}

impl ScopeInput<'_> {
    fn parse(&self) -> Result<(bool, i16, Option<i16>), Error> {
        let year = |s: &str, field: &'static str| {
            s.trim()
                .parse::<i16>()
                .map_err(|_| invalid(field, "year_invalid"))
        };
        let from = year(self.years_from, "years_from")?;
        let to = match self.years_to.trim() {
            "" => None,
            s => Some(year(s, "years_to")?),
        };
        scope_years(from, to).map_err(|c| {
            invalid(
                if c == "years_order" {
                    "years_to"
                } else {
                    "years_from"
                },
                c,
            )
        })?;
        Ok((self.in_scope, from, to))
    }
}

async fn update_type(
    state: &AppState,
    me: &Staff,
    before: QualificationType,
    after: QualificationType,
    action: &str,
    address: &str,
) -> Result<QualificationType, Error> {
    if before == after {
        return Ok(after);
    }
    let ev = event(
        me,
        address,
        Some(&after.body),
        action,
        format!("qualification:{}", after.code),
        json(&before),
        json(&after),
    );
    state
        .storage
        .change_reference(
            &ReferenceChange::UpdateType {
                before,
                after: after.clone(),
            },
            &ev,
            state.clock.now(),
        )
        .await
        .map_err(|e| refused(e, "code"))?;
    Ok(after)
}

/// Publishes `text` as the next terms version after `current` (the
/// version the operator saw; 0 for none): holders agree to it at their
/// next visit.
pub async fn publish_terms(
    state: &AppState,
    me: &Staff,
    current: i32,
    text: &str,
    address: &str,
) -> Result<TermsVersion, Error> {
    operator(me)?;
    let text = text.trim().replace("\r\n", "\n");
    if text.is_empty() {
        return Err(invalid("text", "terms_empty"));
    }
    if text.chars().count() > MAX_TERMS_CHARS {
        return Err(Error::Validation(vec![
            FieldError::new("text", "terms_too_long").with("max", MAX_TERMS_CHARS),
        ]));
    }
    let version = current + 1;
    let ev = event(
        me,
        address,
        None,
        "terms.publish",
        format!("terms:{version}"),
        Some(serde_json::json!({ "version": current }).to_string()),
        Some(serde_json::json!({ "version": version, "text": text }).to_string()),
    );
    let now = state.clock.now();
    state
        .storage
        .change_reference(
            &ReferenceChange::PublishTerms {
                version,
                text: text.clone(),
            },
            &ev,
            now,
        )
        .await
        .map_err(|e| refused(e, "text"))?;
    Ok(TermsVersion {
        version,
        text,
        published_at: now,
    })
}

/// One seal as listed: whose, and its certificate when there is one.
#[derive(Debug, Clone)]
pub struct SealRow {
    /// A body code, or `ministry`.
    pub code: String,
    pub name: String,
    pub seal: Option<SealInfo>,
}

#[derive(Debug, Clone)]
pub struct SealInfo {
    pub subject: String,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub sha256: String,
}

/// The ministry's seal and every body's, as the key directory holds them
/// now (another process may have made or imported one); `None` when this
/// process has no renderer, so no key directory.
pub async fn seals(state: &AppState, me: &Staff) -> Result<Option<Vec<SealRow>>, Error> {
    operator(me)?;
    let Some(renderer) = &state.renderer else {
        return Ok(None);
    };
    let dir = renderer.pki().dir().to_path_buf();
    let pki = tokio::task::spawn_blocking(move || zhengshu_document::Pki::load(dir))
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
        .map_err(|e| Error::Internal(e.to_string()))?;
    let info = |code: &str| {
        pki.seal(code).ok().map(|s| SealInfo {
            subject: s.subject(),
            not_before: s.not_before(),
            not_after: s.not_after(),
            sha256: s.fingerprint(),
        })
    };
    let mut rows = vec![SealRow {
        code: zhengshu_document::MINISTRY_CODE.to_owned(),
        name: String::new(),
        seal: info(zhengshu_document::MINISTRY_CODE),
    }];
    for b in state.storage.issuing_bodies().await? {
        rows.push(SealRow {
            seal: info(b.code.as_str()),
            code: b.code.to_string(),
            name: b.name,
        });
    }
    Ok(Some(rows))
}
