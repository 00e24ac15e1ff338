//! Property tests: no input makes the search panic, and every character
//! can be found again by each of its own readings, code point and radical.

use proptest::prelude::*;
use zhengshu_rarechars::{
    Block, Query, by_codepoint, by_pinyin, by_radical_strokes, is_covered, lookup,
    residual_strokes_of, search,
};

/// A code point in one of the CJK ideograph blocks (assigned or not).
fn cjk_codepoint() -> impl Strategy<Value = u32> {
    prop::sample::select(Block::ALL.to_vec()).prop_flat_map(|b| b.range())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>(), limit in 0usize..600) {
        let _ = by_pinyin(&s, limit);
        let _ = by_codepoint(&s);
        for params in [
            (Some(s.as_str()), None, None, None),
            (None, Some(s.as_str()), None, None),
            (None, None, Some(s.as_str()), Some(s.as_str())),
            (None, None, Some("1"), Some(s.as_str())),
        ] {
            if let Ok(q) = Query::from_params(params.0, params.1, params.2, params.3) {
                let _ = search(&q, limit);
            }
        }
    }

    #[test]
    fn pinyin_like_strings_never_panic(
        s in "[a-zA-ZüÜvV:āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿêếề\u{300}\u{301}\u{304}\u{308}\u{30C}0-9 ]{0,14}",
        limit in 0usize..50,
    ) {
        match by_pinyin(&s, limit) {
            Ok(v) => prop_assert!(v.len() <= limit),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn codepoint_like_strings_never_panic(s in "(U\\+|u\\+|0x)?[0-9a-fA-FxX+ ]{0,9}") {
        if let Ok(c) = by_codepoint(&s) {
            prop_assert!(is_covered(c.char));
        }
    }

    #[test]
    fn any_numbers_never_panic(radical in any::<u32>(), strokes in any::<i32>(), limit in 0usize..100) {
        let _ = by_radical_strokes(radical, strokes, limit);
        let _ = residual_strokes_of(radical);
        let (r, s) = (radical.to_string(), strokes.to_string());
        if let Ok(q) = Query::from_params(None, None, Some(&r), Some(&s)) {
            let _ = search(&q, limit);
        }
    }

    #[test]
    fn every_character_is_found_again(cp in cjk_codepoint()) {
        let label = format!("U+{cp:X}");
        let found = by_codepoint(&label);
        let Some(c) = char::from_u32(cp) else {
            return Ok(());
        };
        prop_assert_eq!(found.is_ok(), is_covered(c));
        let Ok(cand) = found else {
            return Ok(());
        };
        prop_assert_eq!(cand.char, c);
        prop_assert_eq!(by_codepoint(&c.to_string()), Ok(cand.clone()));
        prop_assert_eq!(by_codepoint(&label.to_lowercase()), Ok(cand.clone()));
        let info = lookup(c).unwrap();
        for reading in &cand.pinyin {
            let hits = by_pinyin(reading, usize::MAX).unwrap();
            prop_assert!(hits.iter().any(|h| h.char == c), "{} not found by {}", label, reading);
        }
        prop_assert!(!info.radicals.is_empty());
        for rs in &info.radicals {
            let hits = by_radical_strokes(
                u32::from(rs.radical),
                i32::from(rs.residual_strokes),
                usize::MAX,
            )
            .unwrap();
            prop_assert!(hits.iter().any(|h| h.char == c), "{} not found by its radical", label);
        }
    }
}
