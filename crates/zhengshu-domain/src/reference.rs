//! Reference data an operator manages: issuing bodies and qualification
//! types, with the settings the rules read (annotation exemption,
//! verification scope).

use serde::{Deserialize, Serialize};

use crate::Day;

macro_rules! code_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// A code is 2–64 characters of lower-case ASCII letters, digits and `_`.
            pub fn parse(s: &str) -> Result<Self, String> {
                let ok = (2..=64).contains(&s.len())
                    && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                if ok { Ok(Self(s.to_owned())) } else { Err(format!("not a valid code: {s:?}")) }
            }
            pub fn as_str(&self) -> &str { &self.0 }
        }
        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> { Self::parse(&s) }
        }
        impl From<$name> for String {
            fn from(c: $name) -> String { c.0 }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(&self.0) }
        }
    };
}

code_type!(
    /// The code of an issuing body, e.g. `pharmacist_center`.
    BodyCode
);
code_type!(
    /// The code of a qualification type, e.g. `licensed_pharmacist`.
    QualificationCode
);

/// 证书发放机构: an issuing body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuingBody {
    pub code: BodyCode,
    pub name: String,
    /// Certificates this body issued before the annotation cut-over date
    /// need no annotation (industry associations and designated bodies).
    pub exempt_before_cutover: bool,
}

/// 资格名称: a qualification type, issued by one body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualificationType {
    pub code: QualificationCode,
    pub name: String,
    pub body: BodyCode,
    /// Part of the public verification scope (证书查询验证范围).
    pub in_scope: bool,
    /// First year whose certificates are online.
    pub years_from: i16,
    /// Last year covered; `None` means up to now.
    pub years_to: Option<i16>,
}

impl QualificationType {
    /// Whether a certificate issued on `day` falls inside the scope.
    pub fn covers(&self, day: Day) -> bool {
        let y = day.year();
        self.in_scope && y >= self.years_from && self.years_to.is_none_or(|to| y <= to)
    }
}

/// The longest name of an issuing body or qualification type, in characters.
pub const MAX_REFERENCE_NAME: usize = 100;

/// Codes no issuing body may take: `ministry` names the ministry's seal,
/// kept beside the bodies' seals.
pub const RESERVED_BODY_CODES: &[&str] = &["ministry"];

/// The years a verification scope setting may name.
pub const SCOPE_YEARS: std::ops::RangeInclusive<i16> = 1949..=2100;

/// An issuing body's or qualification type's name as typed: trimmed, not
/// empty, at most [`MAX_REFERENCE_NAME`] characters, no control
/// characters. A refusal is a stable code (`ref_name_empty`, `ref_name_too_long`,
/// `ref_name_control`).
pub fn reference_name(input: &str) -> Result<String, &'static str> {
    let name = input.trim();
    if name.is_empty() {
        Err("ref_name_empty")
    } else if name.chars().count() > MAX_REFERENCE_NAME {
        Err("ref_name_too_long")
    } else if name.chars().any(char::is_control) {
        Err("ref_name_control")
    } else {
        Ok(name.to_owned())
    }
}

/// A new issuing body's code: a valid [`BodyCode`] that is not reserved.
/// A refusal is `code_invalid` or `code_reserved`.
pub fn new_body_code(input: &str) -> Result<BodyCode, &'static str> {
    let code = BodyCode::parse(input.trim()).map_err(|_| "code_invalid")?;
    if RESERVED_BODY_CODES.contains(&code.as_str()) {
        return Err("code_reserved");
    }
    Ok(code)
}

/// The years of a scope setting: both within [`SCOPE_YEARS`], the last not
/// before the first. A refusal is `years_range` or `years_order`.
pub fn scope_years(from: i16, to: Option<i16>) -> Result<(), &'static str> {
    if !SCOPE_YEARS.contains(&from) || to.is_some_and(|t| !SCOPE_YEARS.contains(&t)) {
        Err("years_range")
    } else if to.is_some_and(|t| t < from) {
        Err("years_order")
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod rules {
    use super::*;

    #[test]
    fn names_codes_and_years() {
        assert_eq!(
            reference_name("  中国经济专业技术资格协会 "),
            Ok("中国经济专业技术资格协会".into())
        );
        assert_eq!(reference_name(" \t "), Err("ref_name_empty"));
        assert_eq!(reference_name(&"名".repeat(101)), Err("ref_name_too_long"));
        assert_eq!(
            reference_name(&"名".repeat(100)).map(|n| n.chars().count()),
            Ok(100)
        );
        assert_eq!(reference_name("机构\u{7}"), Err("ref_name_control"));
        assert_eq!(new_body_code("new_body").unwrap().as_str(), "new_body");
        assert_eq!(new_body_code("ministry"), Err("code_reserved"));
        assert_eq!(new_body_code("New Body"), Err("code_invalid"));
        assert_eq!(scope_years(2016, None), Ok(()));
        assert_eq!(scope_years(2016, Some(2016)), Ok(()));
        assert_eq!(scope_years(2016, Some(2015)), Err("years_order"));
        assert_eq!(scope_years(1948, None), Err("years_range"));
        assert_eq!(scope_years(2016, Some(2101)), Err("years_range"));
    }
}
