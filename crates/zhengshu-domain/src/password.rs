//! Holder passwords: the policy a new password must meet and its argon2id
//! hash (PHC string). Hashing is pure computation; only the salt comes from
//! the operating system's random source.

use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Argon2, PasswordHash};

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Why a new password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("a password has 8 to 128 characters")]
    Length,
    #[error("a password has at least one letter and one digit")]
    TooSimple,
}

impl PasswordError {
    pub fn code(self) -> &'static str {
        match self {
            PasswordError::Length => "password_length",
            PasswordError::TooSimple => "password_too_simple",
        }
    }
}

/// A password that meets the policy. `Debug` never shows it.
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    pub fn parse(input: &str) -> Result<Self, PasswordError> {
        let n = input.chars().count();
        if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) {
            return Err(PasswordError::Length);
        }
        let letter = input.chars().any(char::is_alphabetic);
        let digit = input.chars().any(|c| c.is_ascii_digit());
        if !(letter && digit) {
            return Err(PasswordError::TooSimple);
        }
        Ok(Self(input.to_owned()))
    }

    /// The argon2id PHC string of this password, with a fresh salt.
    pub fn hash(&self) -> String {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(self.0.as_bytes(), &salt)
            .expect("argon2 with default parameters hashes any input")
            .to_string()
    }
}

/// Whether `candidate` matches the stored PHC string (false for a malformed
/// one, which is logged by the caller as corruption if it matters).
pub fn verify_password(phc: &str, candidate: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(candidate.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash to verify against when the account does not exist, so that an
/// unknown username costs as much time as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| Password("dummy-password-0".into()).hash())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert_eq!(
            Password::parse("short1").unwrap_err(),
            PasswordError::Length
        );
        assert_eq!(
            Password::parse("onlyletters").unwrap_err(),
            PasswordError::TooSimple
        );
        assert_eq!(
            Password::parse("12345678").unwrap_err(),
            PasswordError::TooSimple
        );
        assert!(Password::parse("Demo-2024-zhengshu").is_ok());
        assert!(Password::parse(&"a1".repeat(65)).is_err());
        assert_eq!(
            format!("{:?}", Password::parse("secret-123").unwrap()),
            "Password(***)"
        );
    }

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let p = Password::parse("Demo-2024-zhengshu").unwrap();
        let h = p.hash();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password(&h, "Demo-2024-zhengshu"));
        assert!(!verify_password(&h, "Demo-2024-zhengshU"));
        assert!(!verify_password("not a hash", "x"));
        assert_ne!(h, p.hash(), "salted");
        assert!(!verify_password(dummy_hash(), "Demo-2024-zhengshu"));
    }
}
