//! Holder accounts (持证人) and service-terms versions (服务须知).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{HolderName, IdDocument};

/// A login name: 3–32 ASCII letters, digits, `_`, `.` or `-`, starting with
/// a letter; compared case-insensitively (stored lower-case).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Username(String);

impl Username {
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let s = input.trim().to_ascii_lowercase();
        let ok_chars = s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if !(3..=32).contains(&s.len()) || !ok_chars {
            return Err("a username has 3 to 32 letters, digits, '_', '.' or '-'");
        }
        if !s.as_bytes()[0].is_ascii_alphabetic() {
            return Err("a username starts with a letter");
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
}

/// A published version of the service terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermsVersion {
    pub version: i32,
    pub text: String,
    pub published_at: Timestamp,
}
