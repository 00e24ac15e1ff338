//! Holder passwords: the policy a new password must meet (length, a letter
//! and a digit, not the username, and a zxcvbn strength score of at least
//! [`MIN_STRENGTH`]) and its argon2id hash (PHC string). Hashing is pure
//! computation; only the salt comes from the operating system's random
//! source.

use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Argon2, PasswordHash};

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 128;
/// The lowest zxcvbn score accepted: 3 is "safely unguessable: moderate
/// protection from an offline slow-hash scenario" (fewer than 10^10
/// guesses would not find it).
pub const MIN_STRENGTH: u8 = 3;
/// The memory one argon2id hash or verification takes, in KiB (the
/// `argon2` crate's defaults, which the hashes are made with).
pub const ARGON2_MEMORY_KIB: u32 = argon2::Params::DEFAULT_M_COST;

/// Why zxcvbn judges a password easy to guess, reduced to what a holder
/// can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weakness {
    /// A common password, a word, a name or one of these slightly changed.
    Common,
    /// Repeated characters or groups (`aaaa`, `abcabc`).
    Repeats,
    /// A sequence (`abcd`, `1234`) or a keyboard pattern (`qwerty`).
    Sequence,
    /// A date or a recent year.
    Dates,
    /// Short or predictable in another way.
    Guessable,
}

/// Why a new password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("a password has 8 to 128 characters")]
    Length,
    #[error("a password has at least one letter and one digit")]
    TooSimple,
    #[error("a password is not the username")]
    IsUsername,
    #[error("the password is too easy to guess")]
    Weak(Weakness),
}

impl PasswordError {
    pub fn code(self) -> &'static str {
        match self {
            PasswordError::Length => "password_length",
            PasswordError::TooSimple => "password_too_simple",
            PasswordError::IsUsername => "password_is_username",
            PasswordError::Weak(Weakness::Common) => "password_weak_common",
            PasswordError::Weak(Weakness::Repeats) => "password_weak_repeats",
            PasswordError::Weak(Weakness::Sequence) => "password_weak_sequence",
            PasswordError::Weak(Weakness::Dates) => "password_weak_dates",
            PasswordError::Weak(Weakness::Guessable) => "password_weak",
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
    /// A new password for the account `username`: the policy, then the
    /// username refused in any case (also inside the password, e.g.
    /// `Zhangsan2024`), then zxcvbn with the username as a known word.
    pub fn new_for(input: &str, username: &str) -> Result<Self, PasswordError> {
        let password = Self::parse(input)?;
        let user = username.trim().to_lowercase();
        let lower = input.to_lowercase();
        if !user.is_empty()
            && (lower == user || (user.chars().count() >= 4 && lower.contains(&user)))
        {
            return Err(PasswordError::IsUsername);
        }
        let entropy = zxcvbn::zxcvbn(input, &[username]);
        if u8::from(entropy.score()) < MIN_STRENGTH {
            return Err(PasswordError::Weak(weakness(&entropy)));
        }
        Ok(password)
    }

    /// The length and character policy alone (no strength estimate): for
    /// passwords that exist already, such as the demo holder's.
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

fn weakness(entropy: &zxcvbn::Entropy) -> Weakness {
    use zxcvbn::feedback::Warning as W;
    match entropy.feedback().and_then(|f| f.warning()) {
        Some(
            W::ThisIsATop10Password
            | W::ThisIsATop100Password
            | W::ThisIsACommonPassword
            | W::ThisIsSimilarToACommonlyUsedPassword
            | W::AWordByItselfIsEasyToGuess
            | W::NamesAndSurnamesByThemselvesAreEasyToGuess
            | W::CommonNamesAndSurnamesAreEasyToGuess,
        ) => Weakness::Common,
        Some(
            W::RepeatsLikeAaaAreEasyToGuess | W::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess,
        ) => Weakness::Repeats,
        Some(
            W::SequencesLikeAbcAreEasyToGuess
            | W::StraightRowsOfKeysAreEasyToGuess
            | W::ShortKeyboardPatternsAreEasyToGuess,
        ) => Weakness::Sequence,
        Some(W::RecentYearsAreEasyToGuess | W::DatesAreOftenEasyToGuess) => Weakness::Dates,
        _ => Weakness::Guessable,
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
    fn weak_passwords_and_the_username_are_refused_with_the_reason() {
        for (p, user, why) in [
            ("password1", "zhangsan", "password_weak_common"),
            ("aaaaaaa1", "zhangsan", "password_weak_common"),
            ("xyzxyzxyz7", "zhangsan", "password_weak_repeats"),
            ("qwerty123", "zhangsan", "password_weak_common"),
            ("19491231ab", "zhangsan", "password_weak_dates"),
            ("zhangsan99", "ZhangSan99", "password_is_username"),
            ("ZHANGSAN99", "zhangsan99", "password_is_username"),
            ("My-Zhangsan-2024", "zhangsan", "password_is_username"),
        ] {
            assert_eq!(
                Password::new_for(p, user).map(|_| ()).unwrap_err().code(),
                why,
                "{p}"
            );
        }
        for p in [
            "Demo-2024-zhengshu",
            "Zq8-lamp-river",
            "Bench-2024-latency",
            "lantern7-orbit-quiet",
        ] {
            assert!(Password::new_for(p, "zhangsan").is_ok(), "{p}");
        }
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
