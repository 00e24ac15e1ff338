//! The contact an issuing body recorded for a holder (mobile number,
//! e-mail address): used only to send the one-time codes that prove an
//! identity, stored encrypted, and shown only masked (`138****1234`,
//! `z***@example.com`) so that a page tells the holder where the code went
//! without handing the contact to whoever is looking.

use serde::{Deserialize, Serialize};

/// Why a phone number or e-mail address is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    #[error("a mobile number has 11 digits starting with 1, or is +country and 8 to 15 digits")]
    Phone,
    #[error("an e-mail address looks like name@example.com")]
    Email,
}

impl ContactError {
    pub fn code(self) -> &'static str {
        match self {
            ContactError::Phone => "phone_invalid",
            ContactError::Email => "email_invalid",
        }
    }
}

/// A mobile number: a mainland number (11 digits, `1[3-9]…`, an optional
/// `+86`) kept as its 11 digits, or another country's in E.164 (`+` and 8
/// to 15 digits). Spaces and dashes are dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Phone(String);

impl Phone {
    pub fn parse(input: &str) -> Result<Self, ContactError> {
        let s: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let (plus, digits) = match s.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, s.as_str()),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ContactError::Phone);
        }
        let mainland = |d: &str| {
            d.len() == 11 && d.starts_with('1') && (b'3'..=b'9').contains(&d.as_bytes()[1])
        };
        if !plus {
            return if mainland(digits) {
                Ok(Self(digits.to_owned()))
            } else {
                Err(ContactError::Phone)
            };
        }
        if let Some(national) = digits.strip_prefix("86") {
            return if mainland(national) {
                Ok(Self(national.to_owned()))
            } else {
                Err(ContactError::Phone)
            };
        }
        if (8..=15).contains(&digits.len()) && !digits.starts_with('0') {
            Ok(Self(format!("+{digits}")))
        } else {
            Err(ContactError::Phone)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first three and last four digits: `138****1234`.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        let head = 3.min(chars.len());
        let tail = 4.min(chars.len() - head);
        let hidden = chars.len() - head - tail;
        let mut s: String = chars[..head].iter().collect();
        s.push_str(&"*".repeat(hidden));
        s.extend(&chars[chars.len() - tail..]);
        s
    }
}

/// An e-mail address: one `@`, a local part of 1 to 64 characters, a
/// domain with a dot; no white space; at most 254 characters. The domain is
/// kept in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, ContactError> {
        let s = input.trim();
        let (local, domain) = s.rsplit_once('@').ok_or(ContactError::Email)?;
        let ok = s.len() <= 254
            && (1..=64).contains(&local.len())
            && !local.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-'));
        if ok {
            Ok(Self(format!("{local}@{}", domain.to_lowercase())))
        } else {
            Err(ContactError::Email)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The local part's first character and the domain: `z***@example.com`.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.rsplit_once('@').unwrap_or(("", &self.0));
        let first: String = local.chars().take(1).collect();
        format!("{first}***@{domain}")
    }
}

/// Where a one-time code can go.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Contact {
    Phone(Phone),
    Email(Email),
}

impl Contact {
    /// `phone` or `email`.
    pub fn kind(&self) -> &'static str {
        match self {
            Contact::Phone(_) => "phone",
            Contact::Email(_) => "email",
        }
    }

    pub fn masked(&self) -> String {
        match self {
            Contact::Phone(p) => p.masked(),
            Contact::Email(e) => e.masked(),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Contact::Phone(p) => p.as_str(),
            Contact::Email(e) => e.as_str(),
        }
    }
}

/// The contact an issuing body recorded with one certificate, if any.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Contacts {
    pub phone: Option<Phone>,
    pub email: Option<Email>,
}

impl Contacts {
    pub fn is_empty(&self) -> bool {
        self.phone.is_none() && self.email.is_none()
    }

    /// Each contact, the phone first.
    pub fn each(&self) -> Vec<Contact> {
        let mut out = Vec::new();
        if let Some(p) = &self.phone {
            out.push(Contact::Phone(p.clone()));
        }
        if let Some(e) = &self.email {
            out.push(Contact::Email(e.clone()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        for (input, stored, masked) in [
            ("13812341234", "13812341234", "138****1234"),
            ("138-1234-1234", "13812341234", "138****1234"),
            ("+86 138 1234 1234", "13812341234", "138****1234"),
            ("+85291234567", "+85291234567", "+85*****4567"),
        ] {
            let p = Phone::parse(input).unwrap();
            assert_eq!(
                (p.as_str(), p.masked().as_str()),
                (stored, masked),
                "{input}"
            );
        }
        for bad in [
            "",
            "1381234123",
            "12812341234",
            "138123412345",
            "+8612812341234",
            "+1234",
            "phone",
            "+0123456789",
        ] {
            assert_eq!(Phone::parse(bad), Err(ContactError::Phone), "{bad}");
        }
    }

    #[test]
    fn emails() {
        let e = Email::parse(" zhang.san@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "zhang.san@example.com");
        assert_eq!(e.masked(), "z***@example.com");
        for bad in [
            "",
            "zhang",
            "@example.com",
            "zhang@example",
            "zhang@.com",
            "zh ang@example.com",
            "zhang@exa mple.com",
            "a@b@example.com",
        ] {
            assert_eq!(Email::parse(bad), Err(ContactError::Email), "{bad}");
        }
    }
}
