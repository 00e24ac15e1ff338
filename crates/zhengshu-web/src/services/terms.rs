//! 服务须知: the service terms, whether a holder still has to agree to the
//! current version, and the agreement itself (recorded with version, time
//! and an audit event).

use zhengshu_domain::{Actor, Holder, NewAuditEvent, TermsVersion};

use super::Error;
use crate::state::AppState;

/// The current terms, if any are published.
pub async fn current(state: &AppState) -> Result<Option<TermsVersion>, Error> {
    Ok(state.storage.current_terms().await?)
}

/// Whether `holder` has agreed to `terms` (or a later version).
pub fn accepted(holder: &Holder, terms: &TermsVersion) -> bool {
    holder.accepted_terms.is_some_and(|v| v >= terms.version)
}

/// Whether `holder` still has to agree to the current terms. Without any
/// published terms there is nothing to agree to.
pub async fn pending(state: &AppState, holder: &Holder) -> Result<bool, Error> {
    Ok(current(state).await?.is_some_and(|t| !accepted(holder, &t)))
}

/// Records agreement to terms `version`, with an audit event.
pub async fn accept(state: &AppState, holder: i64, version: i32) -> Result<(), Error> {
    let now = state.clock.now();
    state.storage.accept_terms(holder, version, now).await?;
    state
        .storage
        .record_audit(
            &NewAuditEvent {
                context: Default::default(),
                actor: Actor::Holder(holder),
                action: "terms.accept".into(),
                subject: format!("holder:{holder}"),
                before: None,
                after: Some(serde_json::json!({ "version": version }).to_string()),
            },
            now,
        )
        .await?;
    Ok(())
}
