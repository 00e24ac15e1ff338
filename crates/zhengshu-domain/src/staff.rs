//! Issuing-body staff and platform operators (§1): a [`Role`] within one
//! body (`admin`, `officer`, `auditor`) or the platform-wide `operator`,
//! and the scoping rules every console page and export applies: staff see
//! and touch only their own body's data ([`Staff::sees_body`]), admins
//! manage their body's staff, operators manage bodies and reset admins.

use jiff::Timestamp;

use crate::{BodyCode, Username};

/// What a staff account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Manages the body's staff and resets their second factor.
    Admin,
    /// Imports, revokes, corrects and uploads files for the body.
    Officer,
    /// Reads everything of the body, changes nothing.
    Auditor,
    /// Platform-wide: bodies, qualification types, scope, terms, seal
    /// keys; resets admins. Belongs to no body.
    Operator,
}

impl Role {
    pub const BODY_ROLES: [Role; 3] = [Role::Admin, Role::Officer, Role::Auditor];

    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Officer => "officer",
            Role::Auditor => "auditor",
            Role::Operator => "operator",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "admin" => Some(Role::Admin),
            "officer" => Some(Role::Officer),
            "auditor" => Some(Role::Auditor),
            "operator" => Some(Role::Operator),
            _ => None,
        }
    }
}

/// A staff or operator account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub id: i64,
    pub username: Username,
    /// `None` exactly for operators.
    pub body: Option<BodyCode>,
    pub role: Role,
    /// Empty until enrolment sets the password.
    pub password_hash: Option<String>,
    /// The TOTP secret (raw bytes), set at enrolment.
    pub totp_secret: Option<Vec<u8>>,
    /// The last TOTP time step accepted: a code is accepted once.
    pub last_totp_step: i64,
    pub created_at: Timestamp,
    pub disabled: bool,
}

impl Staff {
    pub fn enrolled(&self) -> bool {
        self.password_hash.is_some() && self.totp_secret.is_some()
    }

    /// Whether this account may read data of `body`: its own body only;
    /// operators manage bodies, not their certificates or staff's work.
    pub fn sees_body(&self, body: &str) -> bool {
        self.role != Role::Operator && self.body.as_ref().is_some_and(|b| b.as_str() == body)
    }

    /// Whether this account may add staff with `role` to `body`, or reset
    /// such an account's second factor: a body's admin for that body's
    /// non-operator roles; the operator for admins of any body.
    pub fn manages(&self, body: Option<&str>, role: Role) -> bool {
        match self.role {
            Role::Admin => {
                role != Role::Operator && body.is_some() && self.sees_body(body.unwrap_or(""))
            }
            Role::Operator => role == Role::Admin && body.is_some(),
            Role::Officer | Role::Auditor => false,
        }
    }

    /// Whether this account reads its body's audit events.
    pub fn reads_audit(&self) -> bool {
        matches!(self.role, Role::Auditor | Role::Admin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(body: Option<&str>, role: Role) -> Staff {
        Staff {
            id: 1,
            username: Username::parse("someone").unwrap(),
            body: body.map(|b| BodyCode::parse(b).unwrap()),
            role,
            password_hash: None,
            totp_secret: None,
            last_totp_step: 0,
            created_at: Timestamp::UNIX_EPOCH,
            disabled: false,
        }
    }

    #[test]
    fn staff_see_their_body_only_and_manage_what_their_role_allows() {
        let admin = staff(Some("body_a"), Role::Admin);
        assert!(admin.sees_body("body_a"));
        assert!(!admin.sees_body("body_b"));
        assert!(admin.manages(Some("body_a"), Role::Officer));
        assert!(admin.manages(Some("body_a"), Role::Admin));
        assert!(!admin.manages(Some("body_b"), Role::Officer));
        assert!(!admin.manages(None, Role::Operator));
        let officer = staff(Some("body_a"), Role::Officer);
        assert!(!officer.manages(Some("body_a"), Role::Auditor));
        assert!(!officer.reads_audit());
        assert!(staff(Some("body_a"), Role::Auditor).reads_audit());
        let op = staff(None, Role::Operator);
        assert!(!op.sees_body("body_a"));
        assert!(op.manages(Some("body_b"), Role::Admin));
        assert!(!op.manages(Some("body_b"), Role::Officer));
        for r in [Role::Admin, Role::Officer, Role::Auditor, Role::Operator] {
            assert_eq!(Role::from_code(r.code()), Some(r));
        }
        assert_eq!(Role::from_code("root"), None);
    }
}
