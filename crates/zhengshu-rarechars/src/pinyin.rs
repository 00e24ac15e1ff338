//! Pinyin syllables: decoding the toned readings of the data and the
//! queries people type (`yan`, `yán`, `yan2`, `lv`, `lü`, `lu:3`).
//!
//! A syllable is reduced to a *key* — lowercase ASCII letters with `ü`
//! written `v` (`ê` kept as is) — and a tone 1–4, or 5 for the neutral tone.

use crate::QueryError;

/// Longest accepted pinyin query, in characters (`zhuang` + a tone digit,
/// with room for combining marks).
pub(crate) const MAX_QUERY_CHARS: usize = 12;

/// A parsed pinyin query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PinyinQuery {
    pub key: String,
    /// `None`: any tone.
    pub tone: Option<u8>,
}

/// The base letter and tone of a precomposed toned vowel (or `ü`, `ê`).
fn toned_letter(c: char) -> Option<(char, Option<u8>)> {
    let (base, tone) = match c {
        'ā' => ('a', 1),
        'á' => ('a', 2),
        'ǎ' => ('a', 3),
        'à' => ('a', 4),
        'ē' => ('e', 1),
        'é' => ('e', 2),
        'ě' => ('e', 3),
        'è' => ('e', 4),
        'ī' => ('i', 1),
        'í' => ('i', 2),
        'ǐ' => ('i', 3),
        'ì' => ('i', 4),
        'ō' => ('o', 1),
        'ó' => ('o', 2),
        'ǒ' => ('o', 3),
        'ò' => ('o', 4),
        'ū' => ('u', 1),
        'ú' => ('u', 2),
        'ǔ' => ('u', 3),
        'ù' => ('u', 4),
        'ǖ' => ('v', 1),
        'ǘ' => ('v', 2),
        'ǚ' => ('v', 3),
        'ǜ' => ('v', 4),
        'ń' => ('n', 2),
        'ň' => ('n', 3),
        'ǹ' => ('n', 4),
        'ḿ' => ('m', 2),
        'ế' => ('ê', 2),
        'ề' => ('ê', 4),
        'ü' => return Some(('v', None)),
        'ê' => return Some(('ê', None)),
        _ => return None,
    };
    Some((base, Some(tone)))
}

/// The tone of a combining tone mark.
fn combining_tone(c: char) -> Option<u8> {
    match c {
        '\u{304}' => Some(1),
        '\u{301}' => Some(2),
        '\u{30C}' => Some(3),
        '\u{300}' => Some(4),
        _ => None,
    }
}

const COMBINING_DIAERESIS: char = '\u{308}';
const COMBINING_CIRCUMFLEX: char = '\u{302}';

/// Decodes one syllable, toned with diacritics or a trailing digit, into its
/// key and tone. `None` tone means "not given"; the caller decides whether
/// that is the neutral tone (data) or "any tone" (query).
pub(crate) fn decode(input: &str) -> Result<(String, Option<u8>), QueryError> {
    let mut key = String::with_capacity(input.len());
    let mut mark_tone: Option<u8> = None;
    let mut digit_tone: Option<u8> = None;
    let mut set_mark = |t: u8| -> Result<(), QueryError> {
        if mark_tone.is_some() {
            return Err(QueryError::ConflictingTones);
        }
        mark_tone = Some(t);
        Ok(())
    };
    for c in input.chars() {
        if digit_tone.is_some() {
            // Nothing may follow the tone digit.
            return Err(QueryError::ToneDigitNotLast);
        }
        let lc = c.to_lowercase().next().unwrap_or(c);
        match lc {
            'a'..='z' => key.push(lc),
            '0' | '5' => digit_tone = Some(5),
            '1'..='4' => digit_tone = Some(lc as u8 - b'0'),
            '6'..='9' => return Err(QueryError::BadToneDigit { digit: lc }),
            ':' if key.ends_with('u') => {
                key.pop();
                key.push('v');
            }
            COMBINING_DIAERESIS if key.ends_with('u') => {
                key.pop();
                key.push('v');
            }
            COMBINING_CIRCUMFLEX if key.ends_with('e') => {
                key.pop();
                key.push('ê');
            }
            _ => {
                if let Some(t) = combining_tone(lc) {
                    if key.is_empty() {
                        return Err(QueryError::InvalidCharacter { ch: c });
                    }
                    set_mark(t)?;
                } else if let Some((base, tone)) = toned_letter(lc) {
                    key.push(base);
                    if let Some(t) = tone {
                        set_mark(t)?;
                    }
                } else {
                    return Err(QueryError::InvalidCharacter { ch: c });
                }
            }
        }
    }
    if key.is_empty() {
        return Err(QueryError::NoLetters);
    }
    let tone = match (mark_tone, digit_tone) {
        (Some(a), Some(b)) if a != b => return Err(QueryError::ConflictingTones),
        (Some(a), _) => Some(a),
        (None, d) => d,
    };
    // After j, q, x and y, ü is written u: "jv", "jü" and "ju" are one key.
    if matches!(key.as_bytes().first(), Some(b'j' | b'q' | b'x' | b'y')) && key.contains('v') {
        key = key.replace('v', "u");
    }
    Ok((key, tone))
}

/// Parses a pinyin query typed by a person: one syllable, toneless, toned
/// with diacritics, or with a tone digit (`0` or `5` for the neutral tone).
pub(crate) fn parse_query(input: &str) -> Result<PinyinQuery, QueryError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(QueryError::Empty);
    }
    let len = trimmed.chars().count();
    if len > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong {
            max: MAX_QUERY_CHARS,
            len,
        });
    }
    let (key, tone) = decode(trimmed)?;
    Ok(PinyinQuery { key, tone })
}

/// Decodes a reading of the data (always diacritic-toned; no mark means the
/// neutral tone).
pub(crate) fn decode_reading(reading: &str) -> Option<(String, u8)> {
    let (key, tone) = decode(reading).ok()?;
    Some((key, tone.unwrap_or(5)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Result<(String, Option<u8>), QueryError> {
        parse_query(s).map(|p| (p.key, p.tone))
    }

    #[test]
    fn query_forms() {
        let cases: &[(&str, &str, Option<u8>)] = &[
            ("yan", "yan", None),
            ("yán", "yan", Some(2)),
            ("yan2", "yan", Some(2)),
            ("YAN2", "yan", Some(2)),
            (" yan ", "yan", None),
            ("ya\u{301}n", "yan", Some(2)),
            ("lv", "lv", None),
            ("lü", "lv", None),
            ("lǚ", "lv", Some(3)),
            ("lu:3", "lv", Some(3)),
            ("lu\u{308}\u{30C}", "lv", Some(3)),
            ("nv3", "nv", Some(3)),
            ("jv", "ju", None),
            ("xü2", "xu", Some(2)),
            ("de5", "de", Some(5)),
            ("de0", "de", Some(5)),
            ("ê", "ê", None),
            ("ế", "ê", Some(2)),
            ("ḿ", "m", Some(2)),
            ("ňg", "ng", Some(3)),
            ("yán2", "yan", Some(2)),
        ];
        for &(input, key, tone) in cases {
            assert_eq!(q(input), Ok((key.to_owned(), tone)), "{input}");
        }
    }

    #[test]
    fn query_errors() {
        let cases: &[(&str, QueryError)] = &[
            ("", QueryError::Empty),
            ("   ", QueryError::Empty),
            ("yan2x", QueryError::ToneDigitNotLast),
            ("yan23", QueryError::ToneDigitNotLast),
            ("yan7", QueryError::BadToneDigit { digit: '7' }),
            ("yán3", QueryError::ConflictingTones),
            ("yáń", QueryError::ConflictingTones),
            ("2", QueryError::NoLetters),
            ("ya-n", QueryError::InvalidCharacter { ch: '-' }),
            ("严", QueryError::InvalidCharacter { ch: '严' }),
            ("\u{301}a", QueryError::InvalidCharacter { ch: '\u{301}' }),
            (
                "zhuangzhuang2",
                QueryError::TooLong {
                    max: MAX_QUERY_CHARS,
                    len: 13,
                },
            ),
        ];
        for (input, err) in cases {
            assert_eq!(q(input).as_ref().err(), Some(err), "{input:?}");
        }
    }

    #[test]
    fn readings() {
        assert_eq!(decode_reading("yán"), Some(("yan".into(), 2)));
        assert_eq!(decode_reading("me"), Some(("me".into(), 5)));
        assert_eq!(decode_reading("lǜ"), Some(("lv".into(), 4)));
        assert_eq!(decode_reading("jū"), Some(("ju".into(), 1)));
        assert_eq!(decode_reading("ê\u{304}"), Some(("ê".into(), 1)));
        assert_eq!(decode_reading("m\u{300}"), Some(("m".into(), 4)));
        assert_eq!(decode_reading("hm"), Some(("hm".into(), 5)));
    }
}
