//! Holder support by an issuing body's officer: finding the holder
//! accounts that hold the identity of one of the body's certificates (by
//! the certificate's number, or by an ID number through the blind index),
//! and unlinking one from that identity with a reason, when its rightful
//! holder reports that someone else registered as them. Only officers,
//! only their own body's holders: any other account is `NotFound`.

use zhengshu_domain::{Actor, CertificateNumber, IdDocument, IdType, Role, Staff};
use zhengshu_storage::{HolderSearch, LinkedHolder};

use super::staff::event;
use super::{Error, FieldError};
use crate::state::AppState;

/// The shortest and longest reason, in characters.
pub const REASON_CHARS: (usize, usize) = (4, 500);

/// The officer's body; `NotFound` for every other account.
fn officer_body(me: &Staff) -> Result<&str, Error> {
    match (me.role, &me.body) {
        (Role::Officer, Some(b)) => Ok(b.as_str()),
        _ => Err(Error::NotFound),
    }
}

/// Whether `me` may use holder support.
pub fn allowed(me: &Staff) -> bool {
    officer_body(me).is_ok()
}

/// What `q` means when searched `by` `certificate` (a certificate number)
/// or `id` (an ID number of any type it is valid for).
pub fn search_of(by: &str, q: &str) -> Result<HolderSearch, Error> {
    let q = q.trim();
    let invalid = || Error::Validation(vec![FieldError::new("q", "search_invalid")]);
    match by {
        "id" => {
            let docs: Vec<IdDocument> = IdType::ALL
                .iter()
                .filter_map(|t| IdDocument::parse(*t, q).ok())
                .collect();
            if docs.is_empty() {
                Err(invalid())
            } else {
                Ok(HolderSearch::Id(docs))
            }
        }
        _ => CertificateNumber::parse(q)
            .map(HolderSearch::Certificate)
            .map_err(|_| invalid()),
    }
}

/// The body's holder accounts `search` finds.
pub async fn find(
    state: &AppState,
    me: &Staff,
    search: &HolderSearch,
) -> Result<Vec<LinkedHolder>, Error> {
    let body = officer_body(me)?;
    Ok(state.storage.holders_of_body(body, search).await?)
}

/// Unlinks holder account `id` from its identity, with `reason`, audited
/// with the account's username and masked ID number before.
pub async fn unlink(
    state: &AppState,
    me: &Staff,
    id: i64,
    reason: &str,
    address: &str,
) -> Result<(), Error> {
    let body = officer_body(me)?;
    let reason = reason.trim();
    let chars = reason.chars().count();
    if chars < REASON_CHARS.0 || chars > REASON_CHARS.1 {
        return Err(Error::Validation(vec![
            FieldError::new("reason", "unlink_reason")
                .with("min", REASON_CHARS.0)
                .with("max", REASON_CHARS.1),
        ]));
    }
    let holder = state.storage.holder(id).await?;
    let before = serde_json::json!({
        "username": holder.username.as_str(),
        "id_type": holder.id_document.id_type.code(),
        "id_number": holder.id_document.number.masked(),
        "linked": true,
    });
    let ev = event(
        &Actor::Staff(me.username.as_str().to_owned()),
        Some(me.role),
        Some(body),
        Some(address),
        "holder.unlink",
        format!("holder:{id}"),
        Some(serde_json::json!({"linked": false, "reason": reason}).to_string()),
    );
    let ev = zhengshu_domain::NewAuditEvent {
        before: Some(before.to_string()),
        ..ev
    };
    state
        .storage
        .unlink_holder(id, body, &ev, state.clock.now())
        .await?;
    Ok(())
}
