//! Identity documents: the five ID types and their number formats, the
//! mainland resident ID with its GB 11643 check digit, and masking for display.
//!
//! An [`IdNumber`] is valid for its [`IdType`] by construction. Its `Debug`
//! is masked so a full number never reaches a log line by accident.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The ID document types a holder can register with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdType {
    /// 居民身份证
    ResidentId,
    /// 护照
    Passport,
    /// 港澳居民来往内地通行证
    HkMacaoPermit,
    /// 台湾居民来往大陆通行证
    TaiwanPermit,
    /// 外国人永久居留身份证
    ForeignPermanentResidentId,
}

impl IdType {
    pub const ALL: [IdType; 5] = [
        IdType::ResidentId,
        IdType::Passport,
        IdType::HkMacaoPermit,
        IdType::TaiwanPermit,
        IdType::ForeignPermanentResidentId,
    ];

    /// The code used in the API and the import file.
    pub fn code(self) -> &'static str {
        match self {
            IdType::ResidentId => "resident_id",
            IdType::Passport => "passport",
            IdType::HkMacaoPermit => "hk_macao_permit",
            IdType::TaiwanPermit => "taiwan_permit",
            IdType::ForeignPermanentResidentId => "foreign_permanent_resident_id",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        IdType::ALL.into_iter().find(|t| t.code() == code)
    }
}

impl fmt::Display for IdType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why an ID number was refused. The variants carry no part of the number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("the ID number is empty")]
    Empty,
    #[error("the ID number may contain only ASCII letters and digits")]
    NotAscii,
    #[error("a resident ID has 18 characters, this one has {0}")]
    WrongLength(usize),
    #[error("the first 17 characters of a resident ID are digits")]
    NotDigits,
    #[error("the region code (first two digits) is not a Chinese province")]
    BadRegion,
    #[error("the birth date in the ID number is not a real date")]
    BadBirthDate,
    #[error("the check digit (last character) does not match: the number has a typo")]
    BadCheckDigit,
    #[error("the number does not have the format of this document type")]
    BadFormat,
}

impl IdError {
    /// A stable snake_case code for APIs and translations.
    pub fn code(&self) -> &'static str {
        match self {
            IdError::Empty => "id_empty",
            IdError::NotAscii => "id_not_ascii",
            IdError::WrongLength(_) => "id_wrong_length",
            IdError::NotDigits => "id_not_digits",
            IdError::BadRegion => "id_bad_region",
            IdError::BadBirthDate => "id_bad_birth_date",
            IdError::BadCheckDigit => "id_bad_check_digit",
            IdError::BadFormat => "id_bad_format",
        }
    }
}

/// An ID number valid for its type, in canonical form (upper case, no
/// spaces).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

impl IdNumber {
    pub fn parse(id_type: IdType, input: &str) -> Result<Self, IdError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        if !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(IdError::NotAscii);
        }
        let upper = s.to_ascii_uppercase();
        match id_type {
            IdType::ResidentId => parse_resident_id(&upper)?,
            IdType::Passport => check_shape(&upper, 5, 20, |_| true)?,
            IdType::HkMacaoPermit => {
                // H/M + 8 digits (+2 digits of the card count on older cards).
                let ok = matches!(upper.as_bytes()[0], b'H' | b'M')
                    && matches!(upper.len(), 9 | 11)
                    && upper[1..].bytes().all(|b| b.is_ascii_digit());
                if !ok {
                    return Err(IdError::BadFormat);
                }
            }
            IdType::TaiwanPermit => {
                // 8 digits (cards since 2015) or 10 digits (older ones).
                let ok = matches!(upper.len(), 8 | 10) && upper.bytes().all(|b| b.is_ascii_digit());
                if !ok {
                    return Err(IdError::BadFormat);
                }
            }
            IdType::ForeignPermanentResidentId => {
                // 3 letters (nationality) + 12 digits, or the 18-character
                // card of 2023 that starts with 9 and uses the GB 11643 check.
                let old = upper.len() == 15
                    && upper[..3].bytes().all(|b| b.is_ascii_uppercase())
                    && upper[3..].bytes().all(|b| b.is_ascii_digit());
                let new = upper.len() == 18 && upper.starts_with('9') && check_digit_ok(&upper);
                if !(old || new) {
                    return Err(IdError::BadFormat);
                }
            }
        }
        Ok(IdNumber(upper))
    }

    /// The full number. Call only to encrypt it or to compare it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The number for display: e.g. `**************002X`.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

/// Masks a number for display. An 18-character number (the resident ID)
/// shows only its last four characters: its region and birth date are
/// hidden, so that with the birth date and sex shown beside it (as the
/// certificate's fields are) tens of thousands of valid numbers remain
/// (see [`resident_id_candidates`]; the rule asks for at least
/// [`MIN_MASK_CANDIDATES`]). Shorter numbers show fewer characters.
pub fn mask(s: &str) -> String {
    let n = s.chars().count();
    let (head, tail) = match n {
        18.. => (0, 4),
        11..=17 => (2, 3),
        6..=10 => (1, 2),
        _ => (0, 1.min(n)),
    };
    s.chars()
        .enumerate()
        .map(|(i, c)| if i < head || i >= n - tail { c } else { '*' })
        .collect()
}

/// Whatever is shown together with a masked resident ID must leave at least
/// this many valid numbers.
pub const MIN_MASK_CANDIDATES: u64 = 1_000;

/// How many valid resident ID numbers (a province code, a birth date from
/// 1900 to 2100, the GB 11643 check character) agree with what is shown:
/// `shown` is 18 characters with `*` for each hidden one, `birth_date` the
/// birth date shown beside it and `female` the sex shown, if any. The
/// measure of the masking rule.
pub fn resident_id_candidates(
    shown: &str,
    birth_date: Option<jiff::civil::Date>,
    female: Option<bool>,
) -> u64 {
    let p: Vec<u8> = shown.bytes().collect();
    if p.len() != 18 {
        return 0;
    }
    let weight = |i: usize| u64::from((1u32 << (17 - i)) % 11);
    let fits = |i: usize, d: u8| p[i] == b'*' || p[i] == b'0' + d;
    // Counts of each weighted sum mod 11, block by block.
    let mut sums = [0u64; 11];
    for r in REGIONS {
        let (a, b) = (r / 10, r % 10);
        if fits(0, a) && fits(1, b) {
            sums[((u64::from(a) * weight(0) + u64::from(b) * weight(1)) % 11) as usize] += 1;
        }
    }
    let add = |sums: [u64; 11], block: &[u64; 11]| {
        let mut out = [0u64; 11];
        for (i, x) in sums.iter().enumerate() {
            for (j, y) in block.iter().enumerate() {
                out[(i + j) % 11] += x * y;
            }
        }
        out
    };
    for i in (2..6).chain(14..17) {
        let mut block = [0u64; 11];
        for d in 0..10u8 {
            let parity_ok = i != 16 || female.is_none_or(|f| (d % 2 == 0) == f);
            if fits(i, d) && parity_ok {
                block[(u64::from(d) * weight(i) % 11) as usize] += 1;
            }
        }
        sums = add(sums, &block);
    }
    let mut dates = [0u64; 11];
    let mut day = jiff::civil::date(1900, 1, 1);
    let last = jiff::civil::date(2100, 12, 31);
    loop {
        if birth_date.is_none_or(|b| b == day) {
            let digits = format!("{:04}{:02}{:02}", day.year(), day.month(), day.day());
            let ds = digits.as_bytes();
            if (0..8).all(|k| fits(6 + k, ds[k] - b'0')) {
                let sum: u64 = (0..8)
                    .map(|k| u64::from(ds[k] - b'0') * weight(6 + k))
                    .sum();
                dates[(sum % 11) as usize] += 1;
            }
        }
        if day >= last {
            break;
        }
        day = day.tomorrow().expect("before 9999");
    }
    sums = add(sums, &dates);
    (0..11)
        .filter(|&sum| {
            let check = (12 - sum % 11) % 11;
            let c = if check == 10 {
                b'X'
            } else {
                b'0' + check as u8
            };
            p[17] == b'*' || p[17] == c
        })
        .map(|sum| sums[sum])
        .sum()
}

/// An ID document: type and number, the key certificates are matched by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdDocument {
    pub id_type: IdType,
    pub number: IdNumber,
}

impl IdDocument {
    pub fn parse(id_type: IdType, number: &str) -> Result<Self, IdError> {
        Ok(Self {
            id_type,
            number: IdNumber::parse(id_type, number)?,
        })
    }
}

fn check_shape(s: &str, min: usize, max: usize, ok: impl Fn(u8) -> bool) -> Result<(), IdError> {
    if s.len() < min || s.len() > max || !s.bytes().all(ok) {
        return Err(IdError::BadFormat);
    }
    Ok(())
}

/// Province-level region codes (GB/T 2260), the first two digits.
const REGIONS: &[u8] = &[
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 91,
];

fn parse_resident_id(s: &str) -> Result<(), IdError> {
    let b = s.as_bytes();
    if b.len() != 18 {
        return Err(IdError::WrongLength(b.len()));
    }
    if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
        return Err(IdError::NotDigits);
    }
    let region = (b[0] - b'0') * 10 + (b[1] - b'0');
    if !REGIONS.contains(&region) {
        return Err(IdError::BadRegion);
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<i16>().map_err(|_| IdError::BadBirthDate);
    let (y, m, d) = (num(6..10)?, num(10..12)?, num(12..14)?);
    if !(1900..=2100).contains(&y) {
        return Err(IdError::BadBirthDate);
    }
    let (m, d) = (i8::try_from(m), i8::try_from(d));
    let (Ok(m), Ok(d)) = (m, d) else {
        return Err(IdError::BadBirthDate);
    };
    jiff::civil::Date::new(y, m, d).map_err(|_| IdError::BadBirthDate)?;
    if !check_digit_ok(s) {
        return Err(IdError::BadCheckDigit);
    }
    Ok(())
}

/// ISO 7064 MOD 11-2 as GB 11643 uses it: weights 2^(17-i) mod 11, check
/// character (12 - sum mod 11) mod 11, with 10 written as X. Expects 18
/// ASCII characters.
fn check_digit_ok(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 18 && resident_check_digit(&s[..17]) == Some(char::from(b[17]))
}

/// The GB 11643 check character (ISO 7064 MOD 11-2) of the first 17 digits
/// of a resident ID; `None` unless given exactly 17 ASCII digits.
pub fn resident_check_digit(first17: &str) -> Option<char> {
    let b = first17.as_bytes();
    if b.len() != 17 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = b
        .iter()
        .enumerate()
        .map(|(i, c)| u32::from(c - b'0') * ((1u32 << (17 - i)) % 11))
        .sum();
    let check = (12 - sum % 11) % 11;
    Some(if check == 10 {
        'X'
    } else {
        char::from(b'0' + check as u8)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rid(s: &str) -> Result<IdNumber, IdError> {
        IdNumber::parse(IdType::ResidentId, s)
    }

    #[test]
    fn resident_id_table() {
        let cases: &[(&str, Result<&str, IdError>)] = &[
            ("11010519491231002X", Ok("11010519491231002X")),
            ("11010519491231002x", Ok("11010519491231002X")),
            (" 11010519491231002X ", Ok("11010519491231002X")),
            ("110101199003070012", Err(IdError::BadCheckDigit)),
            ("11010519491231002Y", Err(IdError::NotDigits)),
            ("110105194912310021", Err(IdError::BadCheckDigit)),
            ("110105194902300025", Err(IdError::BadBirthDate)),
            ("110105194913010026", Err(IdError::BadBirthDate)),
            ("110105180001010029", Err(IdError::BadBirthDate)),
            ("991105194912310020", Err(IdError::BadRegion)),
            ("11010519491231002", Err(IdError::WrongLength(17))),
            ("11010519491231002X1", Err(IdError::WrongLength(19))),
            (
                "１１０１０５１９４９１２３１００２Ｘ",
                Err(IdError::NotAscii),
            ),
            ("11010519491231002叉", Err(IdError::NotAscii)),
            ("", Err(IdError::Empty)),
        ];
        for (input, want) in cases {
            let got = rid(input).map(|n| n.expose().to_owned());
            assert_eq!(
                got.as_deref().map_err(Clone::clone),
                want.clone(),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn check_digit_matches_known_numbers() {
        // Published GB 11643 examples and the demo holder's number.
        for ok in [
            "11010519491231002X",
            "440524188001010014",
            "110101199003070011",
            "320106198506123417",
        ] {
            assert!(check_digit_ok(ok), "{ok}");
        }
    }

    #[test]
    fn other_id_types() {
        let ok = [
            (IdType::Passport, "E12345678"),
            (IdType::Passport, "p1234567"),
            (IdType::HkMacaoPermit, "H12345678"),
            (IdType::HkMacaoPermit, "M1234567801"),
            (IdType::TaiwanPermit, "12345678"),
            (IdType::ForeignPermanentResidentId, "USA110081231234"),
        ];
        for (t, n) in ok {
            assert!(IdNumber::parse(t, n).is_ok(), "{t} {n}");
        }
        let bad = [
            (IdType::Passport, "E12"),
            (IdType::HkMacaoPermit, "X12345678"),
            (IdType::TaiwanPermit, "1234567"),
            (IdType::ForeignPermanentResidentId, "US1100812312345"),
        ];
        for (t, n) in bad {
            assert_eq!(IdNumber::parse(t, n), Err(IdError::BadFormat), "{t} {n}");
        }
    }

    #[test]
    fn masking_keeps_only_the_ends() {
        let n = rid("11010519491231002X").unwrap();
        assert_eq!(n.masked(), "**************002X");
        assert!(!format!("{n:?}").contains("19491231"));
        assert_eq!(mask("E12345678"), "E******78");
    }

    #[test]
    fn candidates_count_what_the_shown_parts_leave() {
        let birth = jiff::civil::date(1949, 12, 31);
        // The whole number: one.
        assert_eq!(resident_id_candidates("11010519491231002X", None, None), 1);
        // The old mask with the birth date beside it rebuilt the number.
        assert_eq!(
            resident_id_candidates("110105********002X", Some(birth), Some(true)),
            1
        );
        // Without the birth date it left thousands (birth dates 1900–2100).
        let old = resident_id_candidates("110105********002X", None, None);
        assert!((3_000..10_000).contains(&old), "{old}");
        // The mask in use, with birth date and sex beside it.
        let n = resident_id_candidates("**************002X", Some(birth), Some(true));
        assert!(n >= MIN_MASK_CANDIDATES * 10, "{n}");
        assert_eq!(resident_id_candidates("short", None, None), 0);
    }

    proptest! {
        #[test]
        fn masked_numbers_with_birth_date_and_sex_leave_enough(
            region in proptest::sample::select(REGIONS),
            rest in 0u32..10_000,
            days in 0i32..73_000,
            seq in 0u32..1000,
        ) {
            let birth = jiff::civil::date(1900, 1, 1)
                .checked_add(jiff::Span::new().days(days))
                .unwrap();
            let first17 = format!(
                "{region:02}{rest:04}{:04}{:02}{:02}{seq:03}",
                birth.year(), birth.month(), birth.day()
            );
            let n = format!("{first17}{}", resident_check_digit(&first17).unwrap());
            let id = rid(&n).unwrap();
            let female = seq % 2 == 0;
            let count = resident_id_candidates(&id.masked(), Some(birth), Some(female));
            prop_assert!(count >= MIN_MASK_CANDIDATES, "{} leaves {}", id.masked(), count);
        }

        #[test]
        fn parsing_never_panics(s in "\\PC*", t in 0usize..5) {
            let _ = IdNumber::parse(IdType::ALL[t], &s);
        }

        #[test]
        fn parsing_digit_strings_never_panics(s in "[0-9Xx]{0,24}") {
            if let Ok(n) = rid(&s) {
                prop_assert!(check_digit_ok(n.expose()));
            }
        }
    }
}
