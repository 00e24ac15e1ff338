//! Holder names: NFC-normalised, 1–50 characters, CJK Extensions A–H
//! included, no control or markup characters, at least one letter or
//! ideograph (`...` or `-` is no name), at most [`MAX_MARKS_IN_A_ROW`]
//! combining marks on one letter (no "Zalgo" text that piles marks into
//! other lines of a page or document). Compared exactly.

use std::fmt;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

pub const MAX_NAME_CHARS: usize = 50;
/// Combining marks one letter may carry (Vietnamese names need two).
pub const MAX_MARKS_IN_A_ROW: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("the name is empty")]
    Empty,
    #[error("the name has more than {MAX_NAME_CHARS} characters")]
    TooLong,
    #[error("the name contains a character that is not allowed in names: U+{0:04X}")]
    BadChar(u32),
    #[error("the name has no letter or ideograph")]
    NoLetter,
    #[error("the name has more than {MAX_MARKS_IN_A_ROW} combining marks on one letter")]
    TooManyMarks,
}

impl NameError {
    pub fn code(&self) -> &'static str {
        match self {
            NameError::Empty => "name_empty",
            NameError::TooLong => "name_too_long",
            NameError::BadChar(_) => "name_bad_char",
            NameError::NoLetter => "name_no_letter",
            NameError::TooManyMarks => "name_too_many_marks",
        }
    }
}

/// A holder's name as printed on the certificate.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HolderName(String);

impl HolderName {
    pub fn parse(input: &str) -> Result<Self, NameError> {
        let nfc: String = input.trim().nfc().collect();
        // Runs of inner white space become one ordinary space.
        let mut s = String::with_capacity(nfc.len());
        for part in nfc.split_whitespace() {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(part);
        }
        if s.is_empty() {
            return Err(NameError::Empty);
        }
        if s.chars().count() > MAX_NAME_CHARS {
            return Err(NameError::TooLong);
        }
        if let Some(c) = s.chars().find(|&c| !allowed(c)) {
            return Err(NameError::BadChar(c as u32));
        }
        if !s.chars().any(|c| is_cjk_ideograph(c) || c.is_alphabetic()) {
            return Err(NameError::NoLetter);
        }
        let mut marks = 0;
        for c in s.chars() {
            marks = if is_combining_mark(c) { marks + 1 } else { 0 };
            if marks > MAX_MARKS_IN_A_ROW {
                return Err(NameError::TooManyMarks);
            }
        }
        Ok(HolderName(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn allowed(c: char) -> bool {
    if c.is_control() {
        return false;
    }
    is_cjk_ideograph(c)
        || c.is_alphabetic()
        || matches!(c, ' ' | '·' | '•' | '.' | '\'' | '-' | '‧' | '・')
        // Combining marks (accents on Latin names, after NFC rarely left).
        || is_combining_mark(c)
}

fn is_combining_mark(c: char) -> bool {
    ('\u{0300}'..='\u{036F}').contains(&c)
}

/// Whether `c` is a CJK unified or compatibility ideograph, in any block
/// from the URO through Extension H (and the I block, where fonts have it).
pub fn is_cjk_ideograph(c: char) -> bool {
    matches!(c as u32,
        0x3007 | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF
        | 0x20000..=0x2A6DF | 0x2A700..=0x2EE5F | 0x2F800..=0x2FA1F
        | 0x30000..=0x323AF)
}

impl fmt::Display for HolderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for HolderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HolderName({:?})", self.0)
    }
}

impl TryFrom<String> for HolderName {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, NameError> {
        HolderName::parse(&s)
    }
}

impl From<HolderName> for String {
    fn from(n: HolderName) -> String {
        n.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_table() {
        let ok = [
            ("张三", "张三"),
            ("  王\u{2003E}  ", "王\u{2003E}"),
            ("李\u{3400}", "李\u{3400}"),
            ("赵\u{31350}", "赵\u{31350}"),
            ("阿卜杜·热合曼", "阿卜杜·热合曼"),
            ("John  Smith", "John Smith"),
            // NFD "é" becomes NFC.
            ("Rene\u{0301}", "Ren\u{00E9}"),
        ];
        for (input, want) in ok {
            assert_eq!(
                HolderName::parse(input).unwrap().as_str(),
                want,
                "{input:?}"
            );
        }
        assert_eq!(HolderName::parse("   "), Err(NameError::Empty));
        for no_letter in ["...", "-", "· ·", "'"] {
            assert_eq!(
                HolderName::parse(no_letter),
                Err(NameError::NoLetter),
                "{no_letter:?}"
            );
        }
        let zalgo = format!("a{}", "\u{0301}\u{0302}\u{0303}\u{0304}".repeat(10));
        assert_eq!(HolderName::parse(&zalgo), Err(NameError::TooManyMarks));
        // Two marks on one letter (Vietnamese) stay fine.
        assert!(HolderName::parse("Nguye\u{0302}\u{0303}n").is_ok());
        assert_eq!(HolderName::parse(&"张".repeat(51)), Err(NameError::TooLong));
        assert!(HolderName::parse(&"张".repeat(50)).is_ok());
        assert_eq!(
            HolderName::parse("张\u{0007}三"),
            Err(NameError::BadChar(7))
        );
        assert_eq!(
            HolderName::parse("<script>"),
            Err(NameError::BadChar('<' as u32))
        );
        assert_eq!(
            HolderName::parse("张3"),
            Err(NameError::BadChar('3' as u32))
        );
    }
}
