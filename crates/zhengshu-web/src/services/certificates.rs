//! The holder's certificates: which are theirs (the domain's ownership
//! rule, [`zhengshu_domain::Certificate::belongs_to`], applied here and
//! nowhere else in this crate) and whether one must be annotated before it
//! is viewed or downloaded.

use zhengshu_domain::{Certificate, Holder};

use super::Error;
use crate::state::AppState;

/// [`Error::IdentityNotProven`] until the holder has proven the identity
/// it registered with: names and ID numbers are not secrets.
pub fn proven(holder: &Holder) -> Result<(), Error> {
    if holder.identity.is_proven() {
        Ok(())
    } else {
        Err(Error::IdentityNotProven)
    }
}

/// The holder's certificates, newest first.
pub async fn of(state: &AppState, holder: &Holder) -> Result<Vec<Certificate>, Error> {
    proven(holder)?;
    // An account unlinked from its identity has none.
    if holder.unlinked_at.is_some() {
        return Ok(Vec::new());
    }
    Ok(state
        .storage
        .certificates_of(&holder.id_document, &holder.name)
        .await?)
}

/// Certificate `id` if it is the holder's; [`Error::NotFound`] otherwise,
/// exactly as for one that does not exist.
pub async fn own(state: &AppState, holder: &Holder, id: i64) -> Result<Certificate, Error> {
    proven(holder)?;
    let c = state.storage.certificate(id).await?;
    if c.belongs_to(holder) {
        Ok(c)
    } else {
        Err(Error::NotFound)
    }
}

/// Whether `c` must be annotated before it is viewed or downloaded, under
/// the configured policy.
pub fn needs_annotation(state: &AppState, c: &Certificate) -> bool {
    state
        .policy
        .needs_annotation(c.data.issue_date, c.body_exempt_before_cutover)
}
