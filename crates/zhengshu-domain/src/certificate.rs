//! Certificates (证书): their number, fields and status.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{BodyCode, Day, Holder, HolderName, IdDocument, QualificationCode};

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
    /// The holder's phone and e-mail as the issuing body recorded them:
    /// only for sending one-time codes, never shown but masked.
    pub contacts: crate::Contacts,
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

impl Certificate {
    /// Whether this certificate is `holder`'s: the same ID type, ID number
    /// and name, the account has proven that identity and was not unlinked
    /// from it. A certificate of somebody else is treated as absent.
    pub fn belongs_to(&self, holder: &Holder) -> bool {
        holder.identity.is_proven()
            && holder.unlinked_at.is_none()
            && self.data.id == holder.id_document
            && self.data.name == holder.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IdType;

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

    fn certificate(name: &str, id_type: IdType, number: &str) -> Certificate {
        Certificate {
            id: 1,
            data: NewCertificate {
                number: CertificateNumber::parse("ZY2023-0001").unwrap(),
                management_number: None,
                name: HolderName::parse(name).unwrap(),
                sex: None,
                birth_date: None,
                id: IdDocument::parse(id_type, number).unwrap(),
                qualification: QualificationCode::parse("licensed_pharmacist").unwrap(),
                category: None,
                specialty: None,
                level: None,
                approval_date: None,
                issue_date: jiff::civil::date(2023, 3, 15),
                photo: None,
                contacts: Default::default(),
            },
            qualification_name: "执业药师".into(),
            body: BodyCode::parse("pharmacist_center").unwrap(),
            body_name: "国家药品监督管理局".into(),
            body_exempt_before_cutover: false,
            status: CertificateStatus::Valid,
        }
    }

    fn holder(name: &str, id_type: IdType, number: &str) -> Holder {
        Holder {
            id: 7,
            username: crate::Username::parse("zhangsan").unwrap(),
            name: HolderName::parse(name).unwrap(),
            id_document: IdDocument::parse(id_type, number).unwrap(),
            password_hash: String::new(),
            created_at: Timestamp::UNIX_EPOCH,
            accepted_terms: None,
            unlinked_at: None,
            identity: crate::IdentityProof::Code,
            identity_taken_at: None,
        }
    }

    #[test]
    fn a_certificate_belongs_to_the_holder_with_its_id_and_name() {
        const ID: &str = "11010519491231002X";
        let c = certificate("张三", IdType::ResidentId, ID);
        // (description, holder, belongs)
        let rows = [
            (
                "same ID type, number and name",
                holder("张三", IdType::ResidentId, ID),
                true,
            ),
            (
                "the number as typed in lower case is the same number",
                holder("张三", IdType::ResidentId, "11010519491231002x"),
                true,
            ),
            (
                "another name",
                holder("张叁", IdType::ResidentId, ID),
                false,
            ),
            (
                "the account unlinked from the identity",
                Holder {
                    unlinked_at: Some(Timestamp::UNIX_EPOCH),
                    ..holder("张三", IdType::ResidentId, ID)
                },
                false,
            ),
            (
                "another number",
                holder("张三", IdType::ResidentId, "110105194912310038"),
                false,
            ),
            (
                "the same characters as a passport number",
                holder("张三", IdType::Passport, ID),
                false,
            ),
            (
                "same ID and name, identity not proven",
                Holder {
                    identity: crate::IdentityProof::None,
                    ..holder("张三", IdType::ResidentId, ID)
                },
                false,
            ),
        ];
        for (desc, h, belongs) in rows {
            assert_eq!(c.belongs_to(&h), belongs, "{desc}");
        }
    }

    #[test]
    fn sexes() {
        assert_eq!(Sex::parse("女"), Some(Sex::Female));
        assert_eq!(Sex::parse("M"), Some(Sex::Male));
        assert_eq!(Sex::parse("x"), None);
    }
}
