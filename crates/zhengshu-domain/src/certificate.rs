//! Certificates (证书): their number, fields and status.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{BodyCode, Day, HolderName, IdDocument, QualificationCode};

pub const MAX_NUMBER_LEN: usize = 40;

/// 证书编号: 4–40 ASCII letters, digits and `-`, kept as written.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CertificateNumber(String);

impl CertificateNumber {
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let s = input.trim();
        if s.is_empty() {
            return Err("the certificate number is empty");
        }
        if s.len() < 4 || s.len() > MAX_NUMBER_LEN {
            return Err("a certificate number has 4 to 40 characters");
        }
        if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err("a certificate number has only ASCII letters, digits and '-'");
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CertificateNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CertificateNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CertificateNumber({})", self.0)
    }
}

impl TryFrom<String> for CertificateNumber {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<CertificateNumber> for String {
    fn from(n: CertificateNumber) -> String {
        n.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// Accepts `male`/`female`, `M`/`F` and 男/女.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "male" | "M" | "m" | "男" => Some(Sex::Male),
            "female" | "F" | "f" | "女" => Some(Sex::Female),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
}

/// A certificate as an issuing body loads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCertificate {
    pub number: CertificateNumber,
    pub management_number: Option<String>,
    pub name: HolderName,
    pub sex: Option<Sex>,
    pub birth_date: Option<Day>,
    pub id: IdDocument,
    pub qualification: QualificationCode,
    pub category: Option<String>,
    pub specialty: Option<String>,
    pub level: Option<String>,
    pub approval_date: Option<Day>,
    pub issue_date: Day,
    /// Photo path as given in the import file, resolved by the importer.
    pub photo: Option<String>,
}

/// 撤销: when and why a certificate was recalled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    pub at: Timestamp,
    pub reason: String,
}

/// 证书状态.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateStatus {
    /// 有效
    Valid,
    /// 已撤销
    Revoked(Revocation),
}

impl CertificateStatus {
    pub fn code(&self) -> &'static str {
        match self {
            CertificateStatus::Valid => "valid",
            CertificateStatus::Revoked(_) => "revoked",
        }
    }
}

/// A stored certificate with what the rules need to know about its issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub id: i64,
    pub data: NewCertificate,
    pub qualification_name: String,
    pub body: BodyCode,
    pub body_name: String,
    pub body_exempt_before_cutover: bool,
    pub status: CertificateStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_numbers() {
        assert!(CertificateNumber::parse("ZY2023-0001").is_ok());
        assert_eq!(CertificateNumber::parse(" ABCD ").unwrap().as_str(), "ABCD");
        assert!(CertificateNumber::parse("").is_err());
        assert!(CertificateNumber::parse("AB").is_err());
        assert!(CertificateNumber::parse(&"1".repeat(41)).is_err());
        assert!(CertificateNumber::parse("证书0001").is_err());
        assert!(CertificateNumber::parse("AB CD").is_err());
    }

    #[test]
    fn sexes() {
        assert_eq!(Sex::parse("女"), Some(Sex::Female));
        assert_eq!(Sex::parse("M"), Some(Sex::Male));
        assert_eq!(Sex::parse("x"), None);
    }
}
