//! Public verification (证书查验): what a check of an annotated document
//! (by its QR code / 查验码) or of a certificate (by number and holder name)
//! answers, as plain functions of the stored data and "today" in China
//! Standard Time; the channels a verification arrives by; the 查验码's
//! format, so malformed codes are refused before any look-up; and how a
//! verifier's typed name is compared with the certificate's.

use std::fmt;

use jiff::Timestamp;
use unicode_normalization::UnicodeNormalization;

use crate::{Annotation, AnnotationState, CertificateStatus, Day, Revocation, day_in_china};

/// What a verification answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The annotation is within its validity and the certificate valid (or,
    /// for a certificate checked by itself, the certificate is valid).
    Valid,
    /// The annotation's validity ended; `last_day` was its last valid day.
    Expired { last_day: Day },
    /// The holder withdrew the annotation on `on` (China Standard Time).
    Withdrawn { on: Day },
    /// The certificate was revoked (撤销时间, 撤销原因).
    Revoked(Revocation),
    /// Nothing to show: unknown, malformed, not issued, or a name that does
    /// not match — all answered alike.
    NotFound,
}

impl Outcome {
    /// The outcome without its details, as recorded.
    pub fn verdict(&self) -> Verdict {
        match self {
            Outcome::Valid => Verdict::Valid,
            Outcome::Expired { .. } => Verdict::Expired,
            Outcome::Withdrawn { .. } => Verdict::Withdrawn,
            Outcome::Revoked(_) => Verdict::Revoked,
            Outcome::NotFound => Verdict::NotFound,
        }
    }

    /// The `result` of the API: `valid`, `expired`, `withdrawn`, `revoked`
    /// or `not_found`.
    pub fn code(&self) -> &'static str {
        self.verdict().code()
    }

    /// The outcome of checking an annotation's code on `today`.
    ///
    /// An annotation the holder never received a document of (generating,
    /// failed) is not found: its code was never shown. A revoked
    /// certificate outranks the annotation's own state, since the
    /// certificate itself is invalid; then withdrawal; then the validity.
    /// Before its first valid day the document cannot have been issued, so
    /// that answers not found as well.
    pub fn of_annotation(
        annotation: &Annotation,
        certificate: &CertificateStatus,
        today: Day,
    ) -> Self {
        Self::of_stored(
            annotation.stored_state,
            (annotation.valid_from, annotation.valid_until),
            annotation.withdrawn_at,
            certificate,
            today,
        )
    }

    /// [`Outcome::of_annotation`] of an annotation as stored: its state,
    /// its first and last valid day and the time of its withdrawal.
    pub fn of_stored(
        stored_state: AnnotationState,
        (valid_from, valid_until): (Option<Day>, Option<Day>),
        withdrawn_at: Option<Timestamp>,
        certificate: &CertificateStatus,
        today: Day,
    ) -> Self {
        let issued = matches!(
            stored_state,
            AnnotationState::Ready | AnnotationState::Withdrawn
        );
        let (true, Some(first_day), Some(last_day)) = (issued, valid_from, valid_until) else {
            return Outcome::NotFound;
        };
        if let CertificateStatus::Revoked(r) = certificate {
            return Outcome::Revoked(r.clone());
        }
        if stored_state == AnnotationState::Withdrawn {
            // A withdrawal is always stored with its time; without one the
            // row is inconsistent and verifies as nothing.
            return withdrawn_at.map_or(Outcome::NotFound, |at| Outcome::Withdrawn {
                on: day_in_china(at),
            });
        }
        if today < first_day {
            Outcome::NotFound
        } else if stored_state.on(valid_until, today) == AnnotationState::Expired {
            Outcome::Expired { last_day }
        } else {
            Outcome::Valid
        }
    }

    /// The outcome of checking a certificate by itself (one that needs no
    /// annotation, or a check by number and name once the name matched).
    pub fn of_certificate(certificate: &CertificateStatus) -> Self {
        match certificate {
            CertificateStatus::Valid => Outcome::Valid,
            CertificateStatus::Revoked(r) => Outcome::Revoked(r.clone()),
        }
    }

    /// The outcome of a check by certificate number and holder name:
    /// `found` is the certificate stored under the number with its holder's
    /// name, if any. A wrong name answers exactly like an unknown number.
    pub fn of_number_and_name(found: Option<(&str, &CertificateStatus)>, typed_name: &str) -> Self {
        match found {
            Some((name, status)) if names_match(name, typed_name) => Self::of_certificate(status),
            _ => Outcome::NotFound,
        }
    }
}

/// An [`Outcome`] without its details: what is recorded of a verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    Valid,
    Expired,
    Withdrawn,
    Revoked,
    NotFound,
}

impl Verdict {
    const ALL: [Verdict; 5] = [
        Verdict::Valid,
        Verdict::Expired,
        Verdict::Withdrawn,
        Verdict::Revoked,
        Verdict::NotFound,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Expired => "expired",
            Verdict::Withdrawn => "withdrawn",
            Verdict::Revoked => "revoked",
            Verdict::NotFound => "not_found",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }
}

/// How a verification arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// The QR code or the 查验码 typed in.
    Qr,
    /// Certificate number and holder name.
    NumberName,
    /// One item of a batch (employers, up to 100 at once).
    Batch,
    /// The JSON API.
    Api,
    /// An uploaded e-certificate file.
    File,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::Qr,
        Channel::NumberName,
        Channel::Batch,
        Channel::Api,
        Channel::File,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Channel::Qr => "qr",
            Channel::NumberName => "number_name",
            Channel::Batch => "batch",
            Channel::Api => "api",
            Channel::File => "file",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// The middle dots of foreign names (`·` U+00B7, `•` U+2022, `‧` U+2027,
/// `・` U+30FB, `．` U+FF0E): whichever a verifier types, they are one.
pub const MIDDLE_DOTS: [char; 5] = ['\u{00B7}', '\u{2022}', '\u{2027}', '\u{30FB}', '\u{FF0E}'];

/// A name as verification compares it: NFC, trimmed, inner white space
/// runs as one space, every middle dot as `·`.
pub fn verification_name_key(name: &str) -> String {
    let nfc: String = name.nfc().collect();
    nfc.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|c| {
            if MIDDLE_DOTS.contains(&c) {
                '\u{00B7}'
            } else {
                c
            }
        })
        .collect()
}

/// Whether a typed name is the certificate's name, for verification by
/// number and name. Input is compared as typed (not parsed as a
/// [`HolderName`](crate::HolderName)): `．` is not a name character, yet a
/// verifier may type it.
pub fn names_match(stored: &str, typed: &str) -> bool {
    let typed = verification_name_key(typed);
    !typed.is_empty() && verification_name_key(stored) == typed
}

/// 查验码: the unguessable code of an annotation's verification page and QR
/// code — [`VerificationCode::LEN`] characters of an alphabet without
/// look-alikes (no `0`, `O`, `1`, `I`), 100 bits.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct VerificationCode(String);

/// A string that cannot be a 查验码.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a verification code")]
pub struct MalformedCode;

impl VerificationCode {
    /// The 32 symbols: a code symbol carries exactly 5 bits.
    pub const ALPHABET: &'static [u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    pub const LEN: usize = 20;
    /// Entropy of a code made by [`VerificationCode::from_random`].
    pub const BITS: u32 = 5 * Self::LEN as u32;

    /// Reads a code as typed or scanned: surrounding white space is
    /// ignored and lower case accepted; anything else is malformed.
    pub fn parse(input: &str) -> Result<Self, MalformedCode> {
        let s = input.trim().to_ascii_uppercase();
        let ok = s.len() == Self::LEN && s.bytes().all(|b| Self::ALPHABET.contains(&b));
        if ok { Ok(Self(s)) } else { Err(MalformedCode) }
    }

    /// A code from `LEN` random bytes (each picks a symbol by its low five
    /// bits, which keeps the choice uniform). The caller brings the
    /// randomness, from a cryptographic generator.
    pub fn from_random(bytes: [u8; Self::LEN]) -> Self {
        Self(
            bytes
                .iter()
                .map(|b| char::from(Self::ALPHABET[usize::from(b & 31)]))
                .collect(),
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// The issue asks for codes of at least 80 bits.
const _: () = assert!(VerificationCode::BITS >= 80);

impl fmt::Display for VerificationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for VerificationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerificationCode({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, FixedClock, china_tz};
    use jiff::{Timestamp, ToSpan, civil::date};

    /// A fixed clock at `hh:mm` local time in Asia/Shanghai on `day`.
    fn clock_at(day: Day, hour: i8, minute: i8) -> FixedClock {
        let at = day
            .at(hour, minute, 0, 0)
            .to_zoned(china_tz())
            .expect("a valid time in Asia/Shanghai")
            .timestamp();
        FixedClock::new(at)
    }

    fn utc(s: &str) -> Timestamp {
        s.parse().expect("a valid RFC 3339 timestamp")
    }

    /// An annotation applied and generated on 2024-01-02, valid 90 days
    /// (to 2024-03-31), in `state`; withdrawn at `withdrawn_at` if given.
    fn annotation(state: AnnotationState, withdrawn_at: Option<&str>) -> Annotation {
        let from = date(2024, 1, 2);
        let issued = matches!(state, AnnotationState::Ready | AnnotationState::Withdrawn);
        Annotation {
            id: 1,
            certificate_id: 1,
            holder_id: 1,
            scenario: "self_use".into(),
            days: 90,
            number: "JZ2024010200000001".into(),
            verification_code: "ABCDEFGHJKLMNPQRSTUV".into(),
            stored_state: state,
            applied_on: from,
            applied_at: utc("2024-01-02T02:00:00Z"),
            valid_from: issued.then_some(from),
            valid_until: issued.then(|| crate::AnnotationPolicy::valid_until(from, 90)),
            ready_at: issued.then(|| utc("2024-01-02T03:00:00Z")),
            withdrawn_at: withdrawn_at.map(utc),
        }
    }

    #[test]
    fn outcome_of_an_annotation() {
        use AnnotationState::{Failed, Generating, Ready, Withdrawn};
        let last_day = date(2024, 3, 31);
        let revocation = Revocation {
            at: utc("2024-02-01T01:00:00Z"),
            reason: "以不正当手段取得".into(),
        };
        let valid = CertificateStatus::Valid;
        let revoked = CertificateStatus::Revoked(revocation.clone());
        // 2024-02-10 15:30 UTC is 23:30 on 02-10 in Shanghai; 16:30 UTC is
        // already 02-11 there.
        let late_evening = Some("2024-02-10T15:30:00Z");
        let after_midnight = Some("2024-02-10T16:30:00Z");
        // (description, stored state, withdrawn at, certificate, clock in
        //  Shanghai: day and hour, expected outcome)
        let rows = [
            (
                "ready, first day",
                Ready,
                None,
                &valid,
                date(2024, 1, 2),
                0,
                Outcome::Valid,
            ),
            (
                "ready, mid-validity",
                Ready,
                None,
                &valid,
                date(2024, 2, 15),
                12,
                Outcome::Valid,
            ),
            (
                "ready, last day 23:59",
                Ready,
                None,
                &valid,
                last_day,
                23,
                Outcome::Valid,
            ),
            (
                "ready, the day after, 00:00",
                Ready,
                None,
                &valid,
                date(2024, 4, 1),
                0,
                Outcome::Expired { last_day },
            ),
            (
                "ready, a year later",
                Ready,
                None,
                &valid,
                date(2025, 4, 1),
                9,
                Outcome::Expired { last_day },
            ),
            (
                "ready, before its first day",
                Ready,
                None,
                &valid,
                date(2024, 1, 1),
                23,
                Outcome::NotFound,
            ),
            (
                "withdrawn late in the evening: that day in Shanghai",
                Withdrawn,
                late_evening,
                &valid,
                date(2024, 2, 20),
                9,
                Outcome::Withdrawn {
                    on: date(2024, 2, 10),
                },
            ),
            (
                "withdrawn after midnight in Shanghai: the next day",
                Withdrawn,
                after_midnight,
                &valid,
                date(2024, 2, 20),
                9,
                Outcome::Withdrawn {
                    on: date(2024, 2, 11),
                },
            ),
            (
                "withdrawn, checked after the validity too",
                Withdrawn,
                late_evening,
                &valid,
                date(2024, 5, 1),
                9,
                Outcome::Withdrawn {
                    on: date(2024, 2, 10),
                },
            ),
            (
                "withdrawn without a time: inconsistent, nothing",
                Withdrawn,
                None,
                &valid,
                date(2024, 2, 20),
                9,
                Outcome::NotFound,
            ),
            (
                "ready, certificate revoked",
                Ready,
                None,
                &revoked,
                date(2024, 2, 15),
                12,
                Outcome::Revoked(revocation.clone()),
            ),
            (
                "expired and revoked: revoked outranks",
                Ready,
                None,
                &revoked,
                date(2024, 4, 1),
                12,
                Outcome::Revoked(revocation.clone()),
            ),
            (
                "generating: its code was never shown",
                Generating,
                None,
                &valid,
                date(2024, 1, 2),
                12,
                Outcome::NotFound,
            ),
            (
                "failed, certificate revoked: still nothing",
                Failed,
                None,
                &revoked,
                date(2024, 1, 2),
                12,
                Outcome::NotFound,
            ),
        ];
        for (desc, state, withdrawn_at, certificate, day, hour, want) in rows {
            let clock = clock_at(day, hour, if hour == 23 { 59 } else { 0 });
            let a = annotation(state, withdrawn_at);
            let got = Outcome::of_annotation(&a, certificate, clock.today());
            assert_eq!(got, want, "{desc}");
            assert_eq!(got.code(), want.verdict().code(), "{desc}");
        }
    }

    /// Expiry shows at midnight in Shanghai, not in UTC: the same clock
    /// moved across local midnight by two minutes.
    #[test]
    fn expiry_turns_at_midnight_in_shanghai() {
        let a = annotation(AnnotationState::Ready, None);
        let clock = clock_at(date(2024, 3, 31), 23, 59);
        assert_eq!(clock.now(), utc("2024-03-31T15:59:00Z"));
        let status = CertificateStatus::Valid;
        assert_eq!(
            Outcome::of_annotation(&a, &status, clock.today()),
            Outcome::Valid
        );
        clock.advance(jiff::SignedDuration::from_mins(2));
        assert_eq!(
            Outcome::of_annotation(&a, &status, clock.today()),
            Outcome::Expired {
                last_day: date(2024, 3, 31)
            }
        );
        // Still 03-31 in UTC, already 04-01 in Shanghai.
        assert_eq!(
            clock.now().to_zoned(jiff::tz::TimeZone::UTC).date(),
            date(2024, 3, 31)
        );
        assert_eq!(clock.today(), date(2024, 3, 31) + 1.day());
    }

    #[test]
    fn outcome_by_number_and_name() {
        let revocation = Revocation {
            at: utc("2024-02-01T01:00:00Z"),
            reason: "证书信息有误".into(),
        };
        let valid = CertificateStatus::Valid;
        let revoked = CertificateStatus::Revoked(revocation.clone());
        let rows = [
            (
                "right name, valid",
                Some(("张三", &valid)),
                "张三",
                Outcome::Valid,
            ),
            (
                "right name with spaces around",
                Some(("张三", &valid)),
                "  张三 ",
                Outcome::Valid,
            ),
            (
                "right name, revoked",
                Some(("张三", &revoked)),
                "张三",
                Outcome::Revoked(revocation),
            ),
            (
                "wrong name, valid",
                Some(("张三", &valid)),
                "张四",
                Outcome::NotFound,
            ),
            (
                "wrong name, revoked: not even the status leaks",
                Some(("张三", &revoked)),
                "李四",
                Outcome::NotFound,
            ),
            ("unknown number", None, "张三", Outcome::NotFound),
            (
                "empty name",
                Some(("张三", &valid)),
                "  ",
                Outcome::NotFound,
            ),
            (
                "foreign name, another middle dot",
                Some(("阿卜杜·热合曼", &valid)),
                "阿卜杜．热合曼",
                Outcome::Valid,
            ),
        ];
        for (desc, found, typed, want) in rows {
            assert_eq!(Outcome::of_number_and_name(found, typed), want, "{desc}");
        }
        assert_eq!(
            Outcome::of_certificate(&CertificateStatus::Valid),
            Outcome::Valid
        );
    }

    #[test]
    fn names_compare_after_nfc_and_with_one_middle_dot() {
        let stored = "阿卜杜\u{00B7}热合曼";
        let rows = [
            ("the same", "阿卜杜·热合曼", true),
            ("bullet U+2022", "阿卜杜\u{2022}热合曼", true),
            ("hyphenation point U+2027", "阿卜杜\u{2027}热合曼", true),
            ("katakana middle dot U+30FB", "阿卜杜\u{30FB}热合曼", true),
            ("full-width full stop U+FF0E", "阿卜杜\u{FF0E}热合曼", true),
            (
                "Greek ano teleia U+0387 (NFC makes it U+00B7)",
                "阿卜杜\u{0387}热合曼",
                true,
            ),
            (
                "white space around and doubled inside",
                " 阿卜杜·热合曼\u{3000}",
                true,
            ),
            (
                "ASCII full stop is not a middle dot",
                "阿卜杜.热合曼",
                false,
            ),
            ("no dot at all", "阿卜杜热合曼", false),
            ("another name", "阿卜杜·买买提", false),
            ("empty", "", false),
        ];
        for (desc, typed, want) in rows {
            assert_eq!(names_match(stored, typed), want, "{desc}");
        }
        // NFC on both sides: a stored precomposed é matches a typed
        // decomposed one and the other way round.
        assert!(names_match("Ren\u{00E9}", "Rene\u{0301}"));
        assert!(names_match("Rene\u{0301}", "Ren\u{00E9}"));
        assert!(names_match("John  Smith", "John Smith"));
        assert!(!names_match("John Smith", "john smith"));
        // Each variant, stored or typed, is the same key.
        for dot in MIDDLE_DOTS {
            assert_eq!(verification_name_key(&format!("A{dot}B")), "A\u{00B7}B");
        }
    }

    #[test]
    fn verification_codes() {
        let ok = [
            ("ABCDEFGHJKLMNPQRSTUV", "ABCDEFGHJKLMNPQRSTUV"),
            ("23456789WXYZ23456789", "23456789WXYZ23456789"),
            ("  abcdefghjkmnpqrstuvw\n", "ABCDEFGHJKMNPQRSTUVW"),
        ];
        for (input, want) in ok {
            assert_eq!(
                VerificationCode::parse(input).unwrap().as_str(),
                want,
                "{input:?}"
            );
        }
        let malformed = [
            ("empty", ""),
            ("too short", "ABCDEFGH"),
            ("19 characters", "ABCDEFGHJKLMNPQRSTU"),
            ("21 characters", "ABCDEFGHJKLMNPQRSTUVW"),
            ("a zero", "0BCDEFGHJKLMNPQRSTUV"),
            ("an O", "OBCDEFGHJKLMNPQRSTUV"),
            ("a one", "1BCDEFGHJKLMNPQRSTUV"),
            ("an I", "IBCDEFGHJKLMNPQRSTUV"),
            ("inner space", "ABCDEFGHJK MNPQRSTUV"),
            ("a hyphen", "ABCDE-GHJKLMNPQRSTUV"),
            (
                "full-width letters",
                "ＡＢＣＤＥＦＧＨＪＫＬＭＮＰＱＲＳＴＵＶ",
            ),
            ("a path", "../../etc/passwd/xxx"),
            ("old test code", "CODE0"),
        ];
        for (desc, input) in malformed {
            assert_eq!(VerificationCode::parse(input), Err(MalformedCode), "{desc}");
        }
    }

    #[test]
    fn codes_from_random_bytes_are_uniform_and_parse() {
        assert_eq!(
            f64::from(VerificationCode::BITS),
            VerificationCode::LEN as f64 * (VerificationCode::ALPHABET.len() as f64).log2()
        );
        // Every byte value maps onto the alphabet, each symbol from exactly
        // eight of them: uniform.
        let mut hits = [0u32; 32];
        for b in 0..=255u8 {
            let sym = VerificationCode::ALPHABET[usize::from(b & 31)];
            hits[VerificationCode::ALPHABET
                .iter()
                .position(|&s| s == sym)
                .unwrap()] += 1;
        }
        assert!(hits.iter().all(|&h| h == 8));
        for seed in [[0u8; 20], [255u8; 20], [0x5a; 20]] {
            let code = VerificationCode::from_random(seed);
            assert_eq!(VerificationCode::parse(code.as_str()), Ok(code));
        }
        assert_eq!(
            VerificationCode::from_random([0; 20]).as_str(),
            "22222222222222222222"
        );
    }

    #[test]
    fn channels_and_verdicts_round_trip_their_codes() {
        let codes: Vec<&str> = Channel::ALL.iter().map(|c| c.code()).collect();
        assert_eq!(codes, ["qr", "number_name", "batch", "api", "file"]);
        for c in Channel::ALL {
            assert_eq!(Channel::from_code(c.code()), Some(c));
        }
        assert_eq!(Channel::from_code("QR"), None);
        for v in Verdict::ALL {
            assert_eq!(Verdict::from_code(v.code()), Some(v));
        }
        assert_eq!(Verdict::from_code("unknown"), None);
    }
}
