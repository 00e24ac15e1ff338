//! 证书查询验证范围: the verification scope as the public sees it, computed
//! by the domain ([`zhengshu_domain::verification_scope`]) from the
//! operator's settings on the qualification types and the issue years on
//! record.

use zhengshu_domain::{BodyScope, verification_scope};

use super::Error;
use crate::state::AppState;

/// Per issuing body, its qualification types in scope with the years that
/// can be checked, then those out of scope.
pub async fn current(state: &AppState) -> Result<Vec<BodyScope>, Error> {
    let bodies = state.storage.issuing_bodies().await?;
    let types = state.storage.qualification_types().await?;
    let issued = state.storage.issue_years().await?;
    Ok(verification_scope(&bodies, &types, &issued))
}
