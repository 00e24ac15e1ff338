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
