//! Every parser of outside input in the domain, fed generated text —
//! arbitrary Unicode, and near misses built from each parser's own
//! alphabet — 10,000 cases each: none panics, and whatever is accepted
//! parses again to itself (its canonical form is stable) and keeps the
//! rules its type promises.

use proptest::prelude::*;
use zhengshu_domain::{
    Email, HolderName, IdNumber, IdType, Phone, Username, VerificationCode, names_match,
};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 10_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn names(s in "\\PC{0,80}") {
        if let Ok(n) = HolderName::parse(&s) {
            let again = HolderName::parse(n.as_str()).unwrap();
            prop_assert_eq!(again.as_str(), n.as_str());
            prop_assert!(n.as_str().chars().count() <= zhengshu_domain::name::MAX_NAME_CHARS);
            prop_assert!(n.as_str().chars().any(char::is_alphabetic)
                || n.as_str().chars().any(zhengshu_domain::name::is_cjk_ideograph));
            prop_assert!(names_match(n.as_str(), n.as_str()));
        }
    }

    #[test]
    fn names_of_marks_and_dots(s in "[a张·.\\-' \u{0300}-\u{0304}]{0,60}") {
        if let Ok(n) = HolderName::parse(&s) {
            let mut run = 0;
            for c in n.as_str().chars() {
                run = if ('\u{0300}'..='\u{036F}').contains(&c) { run + 1 } else { 0 };
                prop_assert!(run <= zhengshu_domain::name::MAX_MARKS_IN_A_ROW);
            }
        }
    }

    #[test]
    fn id_numbers(s in "\\PC{0,30}", t in 0usize..IdType::ALL.len()) {
        if let Ok(n) = IdNumber::parse(IdType::ALL[t], &s) {
            let again = IdNumber::parse(IdType::ALL[t], n.expose()).unwrap();
            prop_assert_eq!(again.expose(), n.expose());
            prop_assert!(n.masked().contains('*'), "{}", n.masked());
        }
    }

    #[test]
    fn resident_id_near_misses(s in "[0-9Xx ]{15,20}") {
        if let Ok(n) = IdNumber::parse(IdType::ResidentId, &s) {
            prop_assert_eq!(n.expose().len(), 18);
        }
    }

    #[test]
    fn verification_codes(s in "[2-9A-Za-z ]{0,24}|\\PC{0,24}") {
        if let Ok(c) = VerificationCode::parse(&s) {
            prop_assert_eq!(c.as_str().len(), VerificationCode::LEN);
            prop_assert_eq!(VerificationCode::parse(c.as_str()).unwrap(), c);
        }
    }

    #[test]
    fn usernames(s in "\\PC{0,40}|[a-z0-9_.\\-]{0,40}") {
        if let Ok(u) = Username::parse(&s) {
            prop_assert_eq!(Username::parse(u.as_str()).unwrap(), u);
        }
    }

    #[test]
    fn phones(s in "[+0-9 \\-]{0,20}|\\PC{0,20}") {
        if let Ok(p) = Phone::parse(&s) {
            prop_assert_eq!(Phone::parse(p.as_str()).unwrap(), p.clone());
            prop_assert!(p.masked().contains('*'));
        }
    }

    #[test]
    fn emails(s in "[a-z@.\\-]{0,30}|\\PC{0,30}") {
        if let Ok(e) = Email::parse(&s) {
            prop_assert_eq!(Email::parse(e.as_str()).unwrap(), e.clone());
            prop_assert!(e.masked().contains('*'));
        }
    }
}
