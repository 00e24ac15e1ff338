//! Identity proof (身份核验): how strongly an account has shown that it is
//! the person whose name and ID document it registered with, and which
//! proof may take an identity away from another account. Names and ID
//! numbers are not secrets, so an account sees certificates only once its
//! identity is proven; at most one account holds a proven identity.
//!
//! The identity is the ID document; certificates are matched by the
//! document and the name. After an issuing body corrects a holder's name
//! (or ID number), the certificates carry the corrected details and the
//! holder registers again with them: the new account's proof then takes
//! the identity from the old account, whose registration no longer
//! matches any certificate ([`IdentityProof::takes`]).

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

/// Whether the registrations (name and ID document) of the proving account
/// and of the account holding the identity match a certificate on record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OnRecord {
    /// The proving account's registration matches a certificate.
    pub prover: bool,
    /// The holding account's registration matches a certificate.
    pub holder: bool,
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

    /// Whether a proof of this kind takes the identity from an account that
    /// proved it by `held`, knowing whose registration matches a
    /// certificate on record. A strictly stronger proof always does
    /// ([`Self::takes_from`]). Otherwise only a correction moves it: when
    /// the prover's registration matches a certificate and the holder's
    /// matches none (its name or ID number was corrected away), a proof at
    /// least as strong as the holder's takes it. So an account holding an
    /// identity under details that still match a certificate keeps it
    /// against any proof no stronger than its own, and a weak proof (the
    /// 管理号, printed on paper) never takes an identity proven strongly.
    pub fn takes(self, held: IdentityProof, record: OnRecord) -> bool {
        self.takes_from(held)
            || (self.is_proven()
                && record.prover
                && !record.holder
                && self.strength() >= held.strength())
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
    fn a_correction_moves_an_identity_to_the_corrected_details_only() {
        let corrected = OnRecord {
            prover: true,
            holder: false,
        };
        // (prover, holder of record, on record, taken)
        let rows = [
            // The old account's details match nothing any more: an equal
            // or stronger proof by the corrected details takes it.
            (Code, Code, corrected, true),
            (Federated, Code, corrected, true),
            (Code, Federated, corrected, true),
            (ManagementNumber, ManagementNumber, corrected, true),
            // Never by a weaker proof.
            (ManagementNumber, Code, corrected, false),
            (ManagementNumber, Federated, corrected, false),
            (None, ManagementNumber, corrected, false),
            // Both match a certificate, or neither, or only the holder:
            // only a strictly stronger proof, as before.
            (
                Code,
                Code,
                OnRecord {
                    prover: true,
                    holder: true,
                },
                false,
            ),
            (Code, Code, OnRecord::default(), false),
            (
                Code,
                Code,
                OnRecord {
                    prover: false,
                    holder: true,
                },
                false,
            ),
            (
                Code,
                ManagementNumber,
                OnRecord {
                    prover: false,
                    holder: true,
                },
                true,
            ),
            (
                ManagementNumber,
                ManagementNumber,
                OnRecord {
                    prover: true,
                    holder: true,
                },
                false,
            ),
        ];
        for (prover, held, record, taken) in rows {
            assert_eq!(
                prover.takes(held, record),
                taken,
                "{prover:?} vs {held:?}, {record:?}"
            );
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
