//! Table tests of the three search forms, ranking, limits and errors.

use zhengshu_rarechars::{
    Block, Candidate, Query, QueryError, RESIDUAL_STROKES, UNIHAN_VERSION, by_codepoint, by_pinyin,
    by_radical_strokes, character_count, data_version, is_covered, lookup, radicals,
    residual_strokes_of, search,
};

const EXT_B_CHAR: char = '\u{2003E}'; // 𠀾, no Mandarin reading, kRSUnicode 1.9

fn chars(v: &[Candidate]) -> String {
    v.iter().map(|c| c.char).collect()
}

fn position(v: &[Candidate], c: char) -> usize {
    v.iter()
        .position(|x| x.char == c)
        .unwrap_or_else(|| panic!("{c} not among {}", chars(v)))
}

#[test]
fn data_is_unihan_15_with_extensions_a_to_h() {
    assert_eq!(data_version(), UNIHAN_VERSION);
    assert_eq!(character_count(), 97_058);
    let firsts_and_lasts = [
        ('\u{4E00}', Block::Unified),
        ('\u{9FFF}', Block::Unified),
        ('\u{3400}', Block::ExtA),
        ('\u{4DBF}', Block::ExtA),
        ('\u{20000}', Block::ExtB),
        ('\u{2A6DF}', Block::ExtB),
        ('\u{2A700}', Block::ExtC),
        ('\u{2B740}', Block::ExtD),
        ('\u{2B820}', Block::ExtE),
        ('\u{2CEB0}', Block::ExtF),
        ('\u{30000}', Block::ExtG),
        ('\u{31350}', Block::ExtH),
        ('\u{323AF}', Block::ExtH),
        ('\u{FA0E}', Block::CompatibilityUnified),
    ];
    for (c, block) in firsts_and_lasts {
        assert!(is_covered(c), "{c:?}");
        assert_eq!(lookup(c).map(|i| i.block), Some(block), "{c:?}");
    }
    // Compatibility ideographs with a canonical decomposition are not names'
    // characters after NFC; they are left out.
    for c in ['\u{F900}', '\u{FA10}', '\u{2F800}', 'a', '。', '\u{2F00}'] {
        assert!(!is_covered(c), "{c:?}");
    }
}

#[test]
fn pinyin_yan_has_hundreds_of_candidates_with_common_first() {
    let all = by_pinyin("yan", 10_000).unwrap();
    assert!(all.len() >= 400, "only {}", all.len());
    assert!(all.iter().any(|c| c.block == "CJK Ext B"));
    assert!(all.iter().any(|c| c.block == "CJK Ext A"));
    // No duplicates.
    let mut seen: Vec<char> = all.iter().map(|c| c.char).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), all.len());
    // Every candidate has a yan reading.
    for c in &all {
        assert!(
            c.pinyin.iter().any(|p| {
                let base: String = p
                    .chars()
                    .map(|ch| match ch {
                        'ā' | 'á' | 'ǎ' | 'à' => 'a',
                        other => other,
                    })
                    .collect();
                base == "yan"
            }),
            "{c:?}"
        );
    }
    let first_rare = all.iter().position(|c| c.block != "CJK").unwrap();
    for common in [
        '严', '言', '燕', '眼', '颜', '岩', '盐', '艳', '彦', '妍', '琰',
    ] {
        let p = position(&all, common);
        assert!(
            p < first_rare,
            "{common} at {p}, first rare at {first_rare}"
        );
    }
    let first_ext_b = all.iter().position(|c| c.block == "CJK Ext B").unwrap();
    for common in ['严', '言', '燕'] {
        assert!(position(&all, common) < 30, "{common} not in the first 30");
        assert!(position(&all, common) < first_ext_b);
    }
    // 通用规范汉字表 level 1 before level 3.
    assert!(position(&all, '严') < position(&all, '琰'));
    assert_eq!(all[0].pinyin.first().map(String::as_str), Some("yǎn")); // 眼
}

#[test]
fn pinyin_forms_agree() {
    let table: &[(&[&str], char, bool)] = &[
        // (equivalent queries, a character that must be found, must it be in the first 10)
        (
            &["yán", "yan2", "YAN2", " yan2 ", "ya\u{301}n", "yán2"],
            '严',
            true,
        ),
        (&["yàn", "yan4"], '燕', true),
        (&["yān", "yan1"], '烟', true),
        (&["lv", "lü", "lu:", "LÜ"], '绿', true),
        (
            &["lǜ", "lv4", "lu:4", "lü4", "lu\u{308}\u{300}"],
            '绿',
            true,
        ),
        (&["nv3", "nü3", "nǚ"], '女', true),
        (&["ju", "jv", "jü"], '句', true),
        (&["xu3", "xv3", "xǔ"], '许', true),
        (&["zhang", "Zhang"], '张', true),
        (&["de5", "de0", "de"], '的', true),
        (&["er", "ér"], '儿', true),
        (&["m", "ḿ"], '呣', false),
        (&["ê", "ê1", "ê\u{304}"], '欸', false),
    ];
    for &(queries, must, in_top) in table {
        let reference = by_pinyin(queries[0], 10_000).unwrap();
        let p = position(&reference, must);
        if in_top {
            assert!(p < 10, "{must} at {p} for {}", queries[0]);
        }
        for q in &queries[1..] {
            let got = by_pinyin(q, 10_000).unwrap_or_else(|e| panic!("{q:?}: {e}"));
            assert!(
                got.iter().any(|c| c.char == must),
                "{must} not found by {q:?}"
            );
        }
    }
    // Same tone, same list.
    assert_eq!(
        by_pinyin("yán", 500).unwrap(),
        by_pinyin("yan2", 500).unwrap()
    );
    assert_eq!(by_pinyin("lü", 500).unwrap(), by_pinyin("lv", 500).unwrap());
    assert_eq!(by_pinyin("jv", 500).unwrap(), by_pinyin("ju", 500).unwrap());
}

#[test]
fn toned_queries_keep_only_that_tone() {
    let yan2 = by_pinyin("yan2", 10_000).unwrap();
    assert!(yan2.iter().all(|c| c.pinyin.iter().any(|p| p == "yán")));
    assert!(!yan2.iter().any(|c| c.char == '燕')); // yàn, yān only
    assert!(!yan2.iter().any(|c| c.char == '眼')); // yǎn
    let toneless = by_pinyin("yan", 10_000).unwrap();
    assert!(yan2.len() < toneless.len());
    assert!(yan2.iter().all(|c| toneless.contains(c)));
    // A well-formed syllable with a tone nobody has: empty, not an error.
    assert_eq!(by_pinyin("yan5", 10).unwrap(), Vec::new());
}

#[test]
fn limits() {
    let all = by_pinyin("yan", 10_000).unwrap();
    for limit in [1, 2, 10, 100, 400] {
        let some = by_pinyin("yan", limit).unwrap();
        assert_eq!(some.len(), limit);
        assert_eq!(some[..], all[..limit]);
    }
    assert_eq!(by_pinyin("yan", usize::MAX).unwrap(), all);
    assert_eq!(by_pinyin("yan", 0), Err(QueryError::ZeroLimit));
    assert_eq!(by_radical_strokes(1, 9, 0), Err(QueryError::ZeroLimit));
    assert_eq!(by_radical_strokes(85, 5, 3).unwrap().len(), 3);
    assert_eq!(
        search(&Query::Codepoint("U+2003E".into()), 0),
        Err(QueryError::ZeroLimit)
    );
}

#[test]
fn pinyin_errors() {
    let table: &[(&str, &str)] = &[
        ("", "empty"),
        ("  ", "empty"),
        ("xyz", "unknown_syllable"),
        ("yanx", "unknown_syllable"),
        ("zhuangzhuangz", "too_long"),
        ("yan7", "bad_tone_digit"),
        ("ya2n", "tone_digit_not_last"),
        ("yán4", "conflicting_tones"),
        ("3", "no_letters"),
        ("严", "invalid_character"),
        ("yan!", "invalid_character"),
        ("U+2003E", "invalid_character"),
    ];
    for &(q, code) in table {
        let err = by_pinyin(q, 10).unwrap_err();
        assert_eq!(err.code(), code, "{q:?}: {err}");
        assert!(!err.to_string().is_empty());
    }
    assert_eq!(
        by_pinyin("xyz", 10),
        Err(QueryError::UnknownSyllable {
            syllable: "xyz".into()
        })
    );
}

#[test]
fn codepoint_forms() {
    for q in [
        "U+2003E",
        "2003E",
        "u+2003e",
        "2003e",
        "0x2003E",
        " U+2003E ",
        "𠀾",
        " 𠀾 ",
        "𠀾\u{FE00}",
        "U+02003E",
    ] {
        let c = by_codepoint(q).unwrap_or_else(|e| panic!("{q:?}: {e}"));
        assert_eq!(c.char, EXT_B_CHAR, "{q:?}");
        assert_eq!(c.codepoint, "U+2003E");
        assert_eq!(c.block, "CJK Ext B");
        assert!(c.pinyin.is_empty(), "𠀾 has no Mandarin reading");
    }
    let yan = by_codepoint("U+4E25").unwrap();
    assert_eq!(
        (
            yan.char,
            yan.codepoint.as_str(),
            yan.pinyin.clone(),
            yan.block
        ),
        ('严', "U+4E25", vec!["yán".to_owned()], "CJK")
    );
    assert_eq!(by_codepoint("3400").unwrap().codepoint, "U+3400");
    assert_eq!(by_codepoint("323AF").unwrap().block, "CJK Ext H");
}

#[test]
fn codepoint_errors() {
    let table: &[(&str, &str)] = &[
        ("", "empty"),
        ("U+", "malformed_codepoint"),
        ("U+2003G", "malformed_codepoint"),
        ("U+ 2003E", "malformed_codepoint"),
        ("1234567", "malformed_codepoint"),
        ("严严", "malformed_codepoint"),
        ("yan", "malformed_codepoint"),
        ("-1", "malformed_codepoint"),
        ("U+110000", "not_a_scalar_value"),
        ("D800", "not_a_scalar_value"),
        ("U+0041", "not_covered"),
        ("A", "not_covered"),
        ("F900", "not_covered"),
        ("\u{F900}", "not_covered"), // NFC → U+8C48
        ("U+2A6E0", "not_covered"),
    ];
    for &(q, code) in table {
        let err = by_codepoint(q).unwrap_err();
        assert_eq!(err.code(), code, "{q:?}: {err}");
    }
    assert_eq!(
        by_codepoint("U+0041"),
        Err(QueryError::NotCovered {
            codepoint: "U+0041".into()
        })
    );
}

#[test]
fn radical_and_strokes() {
    // 𠀾: kRSUnicode 1.9 — radical 1 一, nine more strokes.
    let r1_9 = by_radical_strokes(1, 9, 10_000).unwrap();
    let c = &r1_9[position(&r1_9, EXT_B_CHAR)];
    assert_eq!(c.codepoint, "U+2003E");
    assert!(c.pinyin.is_empty());
    // Radical 1 + 9 strokes has characters only in the extensions, B first.
    assert_eq!(r1_9[0].codepoint, "U+2003D");
    assert!(r1_9.iter().any(|c| c.block == "CJK Ext H"));

    // 言 is radical 149 with 0 more strokes; 订 (simplified 讠) and 訂 both 149 + 2.
    let r149_0 = by_radical_strokes(149, 0, 10).unwrap();
    assert_eq!(r149_0[0].char, '言');
    let r149_2 = by_radical_strokes(149, 2, 10_000).unwrap();
    assert!(position(&r149_2, '订') < position(&r149_2, '訂'));
    // Common characters first.
    let r85_5 = by_radical_strokes(85, 5, 10_000).unwrap();
    let first_rare = r85_5.iter().position(|c| c.block != "CJK").unwrap();
    for c in ['治', '沿', '油', '泉'] {
        assert!(position(&r85_5, c) < first_rare, "{c}");
    }
    // Negative residual strokes exist in kRSUnicode (e.g. 47.-1).
    assert!(!by_radical_strokes(47, -1, 10).unwrap().is_empty());
    // Nothing there: empty, not an error.
    assert!(by_radical_strokes(1, 90, 10).unwrap().is_empty());
}

#[test]
fn radical_errors() {
    let table: &[(u32, i32, &str)] = &[
        (0, 1, "radical_out_of_range"),
        (215, 1, "radical_out_of_range"),
        (u32::MAX, 1, "radical_out_of_range"),
        (1, -10, "residual_out_of_range"),
        (1, 100, "residual_out_of_range"),
        (1, i32::MIN, "residual_out_of_range"),
    ];
    for &(r, s, code) in table {
        assert_eq!(
            by_radical_strokes(r, s, 10).unwrap_err().code(),
            code,
            "{r} {s}"
        );
    }
    assert_eq!(
        residual_strokes_of(0).unwrap_err().code(),
        "radical_out_of_range"
    );
}

#[test]
fn residual_strokes_per_radical() {
    let one = residual_strokes_of(1).unwrap();
    assert!(one.windows(2).all(|w| w[0].0 < w[1].0));
    let nine = one.iter().find(|(s, _)| *s == 9).unwrap();
    assert_eq!(nine.1, by_radical_strokes(1, 9, usize::MAX).unwrap().len());
    for r in 1..=214 {
        let list = residual_strokes_of(r).unwrap();
        assert!(!list.is_empty(), "radical {r}");
        assert!(
            list.iter()
                .all(|(s, n)| RESIDUAL_STROKES.contains(s) && *n > 0)
        );
    }
}

#[test]
fn radical_list() {
    let list = radicals();
    assert_eq!(list.len(), 214);
    assert_eq!(
        (list[0].number, list[0].radical, list[0].strokes),
        (1, '一', 1)
    );
    assert_eq!(
        (list[84].number, list[84].radical, list[84].strokes),
        (85, '水', 4)
    );
    assert_eq!(list[148].simplified, Some('讠'));
    assert_eq!((list[213].radical, list[213].strokes), ('龠', 17));
    assert!(list.windows(2).all(|w| w[0].strokes <= w[1].strokes));
    for r in list {
        assert!(is_covered(r.radical), "{r:?}");
    }
    let json = serde_json::to_value(list[148]).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"number": 149, "radical": "言", "symbol": "⾔", "strokes": 7, "simplified": "讠"})
    );
}

#[test]
fn lookup_details() {
    let info = lookup(EXT_B_CHAR).unwrap();
    assert_eq!(info.codepoint, "U+2003E");
    assert_eq!(info.block, Block::ExtB);
    assert!(info.pinyin.is_empty() && info.historical_pinyin.is_empty());
    assert_eq!(info.radicals.len(), 1);
    assert_eq!(
        (
            info.radicals[0].radical,
            info.radicals[0].simplified,
            info.radicals[0].residual_strokes
        ),
        (1, false, 9)
    );
    assert_eq!(info.total_strokes, Some(10));
    assert_eq!(info.rank, None);

    let ding = lookup('订').unwrap();
    assert!(ding.radicals[0].simplified);
    assert_eq!(ding.radicals[0].radical, 149);
    let yan = lookup('言').unwrap();
    assert_eq!(yan.pinyin, ["yán"]);
    assert!(yan.historical_pinyin.contains(&"yín".to_owned()));
    assert!(yan.rank.is_some_and(|r| r <= 3500));
    assert!(lookup('a').is_none());
}

#[test]
fn candidate_json() {
    let c = by_codepoint("U+2003E").unwrap();
    assert_eq!(
        serde_json::to_string(&c).unwrap(),
        r#"{"char":"𠀾","codepoint":"U+2003E","pinyin":[],"block":"CJK Ext B"}"#
    );
    let c = by_codepoint("燕").unwrap();
    assert_eq!(
        serde_json::to_value(&c).unwrap(),
        serde_json::json!({"char": "燕", "codepoint": "U+71D5", "pinyin": ["yàn", "yān"], "block": "CJK"})
    );
}

/// `pinyin`, `codepoint`, `radical`, `strokes` query parameters.
type Params = (
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);

#[test]
fn query_from_api_parameters() {
    let ok: &[(Params, Query<'_>)] = &[
        ((Some("yan"), None, None, None), Query::Pinyin("yan".into())),
        (
            (None, Some("U+2003E"), None, None),
            Query::Codepoint("U+2003E".into()),
        ),
        (
            (None, None, Some("1"), Some("9")),
            Query::RadicalStrokes {
                radical: 1,
                residual_strokes: 9,
            },
        ),
        (
            (None, None, Some(" 47 "), Some("-1")),
            Query::RadicalStrokes {
                radical: 47,
                residual_strokes: -1,
            },
        ),
    ];
    for ((p, c, r, s), want) in ok {
        assert_eq!(&Query::from_params(*p, *c, *r, *s).unwrap(), want);
    }
    let bad: &[(Params, &str)] = &[
        ((None, None, None, None), "no_query"),
        (
            (Some("yan"), Some("U+2003E"), None, None),
            "ambiguous_query",
        ),
        ((None, None, Some("1"), None), "ambiguous_query"),
        ((None, None, None, Some("9")), "ambiguous_query"),
        ((Some("yan"), None, Some("1"), Some("9")), "ambiguous_query"),
        ((None, None, Some("one"), Some("9")), "not_a_number"),
        ((None, None, Some("1"), Some("")), "not_a_number"),
        ((None, None, Some("1.5"), Some("9")), "not_a_number"),
        (
            (None, None, Some("99999999999999999999"), Some("9")),
            "not_a_number",
        ),
        ((None, None, Some("0"), Some("9")), "radical_out_of_range"),
        ((None, None, Some("-3"), Some("9")), "radical_out_of_range"),
        ((None, None, Some("215"), Some("9")), "radical_out_of_range"),
        (
            (None, None, Some("1"), Some("100")),
            "residual_out_of_range",
        ),
    ];
    for ((p, c, r, s), code) in bad {
        assert_eq!(
            Query::from_params(*p, *c, *r, *s).unwrap_err().code(),
            *code,
            "{p:?} {c:?} {r:?} {s:?}"
        );
    }

    // The three Done-when checks of the rare-chars endpoint.
    let yan = search(
        &Query::from_params(Some("yan"), None, None, None).unwrap(),
        1000,
    )
    .unwrap();
    assert!(yan.len() >= 400 && yan.iter().any(|c| c.block == "CJK Ext B"));
    let cp = search(
        &Query::from_params(None, Some("U+2003E"), None, None).unwrap(),
        50,
    )
    .unwrap();
    assert_eq!(chars(&cp), "𠀾");
    let rs = search(
        &Query::from_params(None, None, Some("1"), Some("9")).unwrap(),
        1000,
    )
    .unwrap();
    assert!(rs.iter().any(|c| c.char == EXT_B_CHAR));
}

#[test]
fn error_codes_are_distinct() {
    let errors = [
        QueryError::Empty,
        QueryError::TooLong { max: 1, len: 2 },
        QueryError::InvalidCharacter { ch: 'x' },
        QueryError::NoLetters,
        QueryError::BadToneDigit { digit: '7' },
        QueryError::ToneDigitNotLast,
        QueryError::ConflictingTones,
        QueryError::UnknownSyllable {
            syllable: "x".into(),
        },
        QueryError::ZeroLimit,
        QueryError::MalformedCodepoint,
        QueryError::NotAScalarValue { codepoint: 0xD800 },
        QueryError::NotCovered {
            codepoint: "U+0041".into(),
        },
        QueryError::RadicalOutOfRange { radical: 0 },
        QueryError::ResidualOutOfRange { strokes: 100 },
        QueryError::NotANumber { param: "radical" },
        QueryError::NoQuery,
        QueryError::AmbiguousQuery,
    ];
    let mut codes: Vec<&str> = errors.iter().map(QueryError::code).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), errors.len());
}
