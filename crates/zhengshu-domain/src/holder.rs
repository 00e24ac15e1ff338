//! Holder accounts (持证人) and service-terms versions (服务须知).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{HolderName, IdDocument, IdentityProof};

/// Why a username is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    #[error("a username has 3 to 32 characters")]
    Length,
    #[error("a username has only ASCII letters, digits, '_', '.' or '-'")]
    BadChar,
    #[error("a username starts with a letter")]
    Start,
}

impl UsernameError {
    /// A stable snake_case code for APIs and translations.
    pub fn code(self) -> &'static str {
        match self {
            UsernameError::Length => "username_length",
            UsernameError::BadChar => "username_bad_char",
            UsernameError::Start => "username_start",
        }
    }
}

/// A login name: 3–32 ASCII letters, digits, `_`, `.` or `-`, starting with
/// a letter; compared case-insensitively (stored lower-case).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Username(String);

impl Username {
    pub fn parse(input: &str) -> Result<Self, UsernameError> {
        let s = input.trim().to_ascii_lowercase();
        let ok_chars = s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if !ok_chars {
            return Err(UsernameError::BadChar);
        }
        if !(3..=32).contains(&s.len()) {
            return Err(UsernameError::Length);
        }
        if !s.as_bytes()[0].is_ascii_alphabetic() {
            return Err(UsernameError::Start);
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A registered holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub id: i64,
    pub username: Username,
    pub name: HolderName,
    pub id_document: IdDocument,
    /// PHC string (argon2id).
    pub password_hash: String,
    pub created_at: Timestamp,
    /// The terms version this holder agreed to last, if any.
    pub accepted_terms: Option<i32>,
    /// When an issuing body's officer unlinked the account from the
    /// identity it registered with (someone else's, reported by its
    /// rightful holder): from then on no certificate or annotation is its.
    pub unlinked_at: Option<Timestamp>,
    /// How this account proved its identity; until it has, it sees no
    /// certificate.
    pub identity: IdentityProof,
    /// When another account proved this identity more strongly and took
    /// it, until the holder has been told.
    pub identity_taken_at: Option<Timestamp>,
}

/// A published version of the service terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermsVersion {
    pub version: i32,
    pub text: String,
    pub published_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(
            Username::parse(" Demo.User ").unwrap().as_str(),
            "demo.user"
        );
        assert_eq!(Username::parse("ab"), Err(UsernameError::Length));
        assert_eq!(Username::parse(&"a".repeat(33)), Err(UsernameError::Length));
        assert_eq!(Username::parse("zhang san"), Err(UsernameError::BadChar));
        assert_eq!(Username::parse("张三abc"), Err(UsernameError::BadChar));
        assert_eq!(Username::parse("1abc"), Err(UsernameError::Start));
        assert_eq!(Username::parse("_abc"), Err(UsernameError::Start));
    }
}
