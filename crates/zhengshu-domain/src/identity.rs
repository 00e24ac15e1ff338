//! Identity proof (身份核验): how strongly an account has shown that it is
//! the person whose name and ID document it registered with, and which
//! proof may take an identity away from another account. Names and ID
//! numbers are not secrets, so an account sees certificates only once its
//! identity is proven; at most one account holds a proven identity.

use serde::{Deserialize, Serialize};

/// How an account proved its identity, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityProof {
    /// Nothing proven yet: the account sees no certificate.
    None,
    /// The 管理号 of one of the certificates (printed on the paper
    /// certificate), accepted only where the issuing body recorded no
    /// contact: weak.
    ManagementNumber,
    /// A one-time code sent to the phone or e-mail address the issuing
    /// body recorded: strong.
    Code,
    /// The exam-registration platform's verified claims (OpenID Connect):
    /// strong.
    Federated,
}

/// The strength of a proof: what decides who keeps an identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    None,
    Weak,
    Strong,
}

impl IdentityProof {
    pub const ALL: [IdentityProof; 4] = [
        IdentityProof::None,
        IdentityProof::ManagementNumber,
        IdentityProof::Code,
        IdentityProof::Federated,
    ];

    /// The stable code stored and answered by the API.
    pub fn code(self) -> &'static str {
        match self {
            IdentityProof::None => "none",
            IdentityProof::ManagementNumber => "management_number",
            IdentityProof::Code => "code",
            IdentityProof::Federated => "federated",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }

    pub fn strength(self) -> Strength {
        match self {
            IdentityProof::None => Strength::None,
            IdentityProof::ManagementNumber => Strength::Weak,
            IdentityProof::Code | IdentityProof::Federated => Strength::Strong,
        }
    }

    /// Whether the account may see the certificates of its identity.
    pub fn is_proven(self) -> bool {
        self != IdentityProof::None
    }

    /// Whether a proof of this kind takes the identity away from an account
    /// that proved it by `held`: only a strictly stronger proof does, so a
    /// squatter's weak proof yields to a code or a federated login, and a
    /// weak proof never takes an identity proven at all.
    pub fn takes_from(self, held: IdentityProof) -> bool {
        self.strength() > held.strength()
    }

    /// The proof an account keeps after proving again by `self`: the
    /// stronger of the two (a weak proof never lowers a strong one).
    pub fn combined(self, held: IdentityProof) -> IdentityProof {
        if held.strength() >= self.strength() {
            held
        } else {
            self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IdentityProof::*;

    #[test]
    fn codes_round_trip() {
        for p in IdentityProof::ALL {
            assert_eq!(IdentityProof::from_code(p.code()), Some(p));
        }
        assert_eq!(IdentityProof::from_code("strong"), Option::None);
    }

    #[test]
    fn only_a_strictly_stronger_proof_takes_an_identity() {
        // (prover, holder of record, taken)
        let rows = [
            (Code, None, true),
            (Code, ManagementNumber, true),
            (Federated, ManagementNumber, true),
            (Code, Code, false),
            (Code, Federated, false),
            (Federated, Code, false),
            (ManagementNumber, None, true),
            (ManagementNumber, ManagementNumber, false),
            (ManagementNumber, Code, false),
            (ManagementNumber, Federated, false),
        ];
        for (prover, held, taken) in rows {
            assert_eq!(prover.takes_from(held), taken, "{prover:?} vs {held:?}");
        }
    }

    #[test]
    fn a_weaker_proof_never_lowers_a_stronger_one() {
        assert_eq!(ManagementNumber.combined(Code), Code);
        assert_eq!(Code.combined(ManagementNumber), Code);
        assert_eq!(Federated.combined(Code), Code);
        assert_eq!(ManagementNumber.combined(None), ManagementNumber);
        assert!(!None.is_proven());
        assert!(ManagementNumber.is_proven());
    }
}
