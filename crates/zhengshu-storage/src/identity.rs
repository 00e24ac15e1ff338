//! Identity proof in storage: what [`crate::Storage::prove_identity`]
//! answers and the audit events of a proof and of an identity taken from
//! another account.

use zhengshu_domain::{Actor, IdentityProof, NewAuditEvent};

/// The answer to a successful [`crate::Storage::prove_identity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proven {
    /// The proof the account holds now (the stronger of its old and new).
    pub proof: IdentityProof,
    /// The account that held the identity with a weaker proof and lost it.
    pub taken_from: Option<i64>,
}

/// The audit event of an account proving its identity.
pub fn proven_event(
    holder: i64,
    before: IdentityProof,
    after: IdentityProof,
    taken_from: Option<i64>,
) -> NewAuditEvent {
    NewAuditEvent {
        context: Default::default(),
        actor: Actor::Holder(holder),
        action: "holder.identity_proven".into(),
        subject: format!("holder:{holder}"),
        before: Some(serde_json::json!({ "identity_proof": before.code() }).to_string()),
        after: Some(
            serde_json::json!({
                "identity_proof": after.code(),
                "taken_from": taken_from.map(|h| format!("holder:{h}")),
            })
            .to_string(),
        ),
    }
}

/// The audit event of an account losing its identity to a stronger proof
/// by `prover`.
pub fn taken_event(holder: i64, before: IdentityProof, prover: i64) -> NewAuditEvent {
    NewAuditEvent {
        context: Default::default(),
        actor: Actor::Holder(prover),
        action: "holder.identity_taken".into(),
        subject: format!("holder:{holder}"),
        before: Some(serde_json::json!({ "identity_proof": before.code() }).to_string()),
        after: Some(
            serde_json::json!({
                "identity_proof": IdentityProof::None.code(),
                "taken_by": format!("holder:{prover}"),
            })
            .to_string(),
        ),
    }
}
