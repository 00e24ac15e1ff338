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

/// Why a proof took an identity from another account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TakenBecause {
    /// The prover's proof is strictly stronger.
    StrongerProof,
    /// The prover registered with the details a certificate carries now,
    /// the holder with details corrected away.
    Corrected,
}

impl TakenBecause {
    pub fn code(self) -> &'static str {
        match self {
            TakenBecause::StrongerProof => "stronger_proof",
            TakenBecause::Corrected => "corrected",
        }
    }
}

/// The audit event of an account losing its identity to `prover`.
pub fn taken_event(
    holder: i64,
    before: IdentityProof,
    prover: i64,
    because: TakenBecause,
) -> NewAuditEvent {
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
                "because": because.code(),
            })
            .to_string(),
        ),
    }
}
