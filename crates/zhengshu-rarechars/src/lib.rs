//! Rare-character (生僻字) lookup for name fields.
//!
//! Holders' names may contain characters that common input methods cannot
//! type, from CJK Extension A up to Extension H. The name-field picker
//! (生僻字输入) finds them three ways, each served by this crate:
//!
//! * by pinyin — [`by_pinyin`]: toneless `yan`, toned `yán`, tone-number
//!   `yan2`, `ü` also as `v` or `u:`;
//! * by code point — [`by_codepoint`]: `U+2003E`, `2003E`, `u+2003e`, or the
//!   character itself;
//! * by Kangxi radical and residual strokes — [`by_radical_strokes`], with
//!   the 214 radicals listed by [`radicals`]. This is the only way to some
//!   characters used in names: 𠀾 U+2003E has no Mandarin reading at all
//!   (kRSUnicode `1.9`: radical 1 一 plus 9 strokes).
//!
//! [`search`] takes the `GET /api/v1/rare-chars` parameters as one
//! [`Query`]. Results are [`Candidate`]s, common characters first; they
//! serialise as `{"char", "codepoint", "pinyin", "block"}`.
//!
//! All functions are pure. The table and its indexes are parsed from the
//! embedded data on first use (a few tens of milliseconds) and then shared;
//! bad input gives a [`QueryError`], never a panic.
//!
//! # Data
//!
//! `data/unihan-han.txt` (≈1.9 MB, text) holds every CJK unified ideograph
//! of URO, Extensions A–H and the twelve unified ideographs of the CJK
//! Compatibility Ideographs block — 97 058 characters in **Unihan 15.0.0**
//! (Debian package `unicode-data` 15.0.0-1). Per character it keeps:
//!
//! * readings: kMandarin first, then kTGHZ2013, kXHC1983 and kHanyuPinlu
//!   (current dictionaries), then readings found only in kHanyuPinyin
//!   (漢語大字典, including historical ones; marked `~`);
//! * kRSUnicode (radical `'` = counted in its simplified form, e.g. `149'.2`
//!   for 订) and kTotalStrokes;
//! * a commonness rank for 9 758 characters: 通用规范汉字表 level from kTGH
//!   (1–3500 level 1, –6500 level 2, –8105 level 3), then kHanyuPinlu
//!   corpus counts, kFrequency, kGradeLevel and GB 2312 level. Characters
//!   without any of these follow in block order (URO, Ext A, Ext B, …) and
//!   then code point order.
//!
//! `data/radicals.txt` comes from `CJKRadicals.txt` of the same version.
//!
//! To regenerate both (e.g. for a newer Unicode version; Extension I
//! arrives with Unihan 15.1 and is already known to [`Block`]):
//!
//! ```text
//! apt-get install -y unicode-data            # /usr/share/unicode/Unihan_*.txt.bz2
//! cd crates/zhengshu-rarechars
//! cargo run --features generate --bin gen-rarechars -- /usr/share/unicode data
//! ```
//!
//! The generator (`src/bin/gen-rarechars.rs`) reads the plain or
//! bzip2-compressed Unihan files and is deterministic. Then update
//! [`UNIHAN_VERSION`] and the counts in the tests.
//!
//! # Fonts
//!
//! With the `font` feature, [`font::FontCoverage`] tells whether a font
//! file has a glyph for a character, so the portal can pick a font (or fall
//! back to showing the code point label) per block, and cuts subsets of a
//! TrueType font for the browser.
#![forbid(unsafe_code)]
// A library other crates build on: every public item is documented.
#![warn(missing_docs)]

use std::borrow::Cow;

use serde::Serialize;

mod block;
mod data;
#[cfg(feature = "font")]
pub mod font;
mod pinyin;
mod radical;
#[cfg(feature = "font")]
mod subset;

pub use block::Block;
pub use radical::Radical;

use data::DB;

/// The Unihan version of the embedded data.
pub const UNIHAN_VERSION: &str = "15.0.0";

/// Accepted residual stroke counts (kRSUnicode has a few negative ones,
/// e.g. `47.-1`; the largest is under 80).
pub const RESIDUAL_STROKES: std::ops::RangeInclusive<i32> = -9..=99;

/// A character offered by the picker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// The character itself.
    pub char: char,
    /// `U+` and at least four upper-case hex digits, e.g. `U+2003E`.
    pub codepoint: String,
    /// Readings with tone marks, current ones first; empty for characters
    /// without a Mandarin reading (such as 𠀾 U+2003E).
    pub pinyin: Vec<String>,
    /// Block label, e.g. `CJK Ext B`.
    pub block: &'static str,
}

/// One kRSUnicode value of a character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RadicalStrokes {
    /// Kangxi radical number, 1–214.
    pub radical: u8,
    /// The radical is counted in its simplified form (`'` in kRSUnicode).
    pub simplified: bool,
    /// Strokes besides the radical (may be negative, rarely).
    pub residual_strokes: i8,
}

/// Everything the data knows about one character.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CharInfo {
    /// The character.
    pub char: char,
    /// `U+XXXX`.
    pub codepoint: String,
    /// Its block.
    pub block: Block,
    /// Readings in current dictionaries, kMandarin's first.
    pub pinyin: Vec<String>,
    /// Readings found only in kHanyuPinyin (漢語大字典).
    pub historical_pinyin: Vec<String>,
    /// kRSUnicode values, the primary one first.
    pub radicals: Vec<RadicalStrokes>,
    /// kTotalStrokes (the mainland count when sources differ).
    pub total_strokes: Option<u8>,
    /// Commonness rank, 1 = most common; `None` for rare characters.
    pub rank: Option<u32>,
}

/// Why a query was refused. [`QueryError::code`] gives a stable
/// machine-readable code (for API error bodies and message catalogues).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// Nothing was typed.
    #[error("the query is empty")]
    Empty,
    /// The pinyin query is longer than any syllable.
    #[error("a pinyin query is one syllable of at most {max} characters, this one has {len}")]
    TooLong {
        /// Longest accepted.
        max: usize,
        /// Given.
        len: usize,
    },
    /// A character that pinyin does not use.
    #[error("{ch:?} (U+{:04X}) is not a pinyin letter, tone mark or tone digit", u32::from(*ch))]
    InvalidCharacter {
        /// The offending character.
        ch: char,
    },
    /// Only a tone, no letters.
    #[error("the pinyin query has no letters")]
    NoLetters,
    /// Tone digits are 1–4, and 0 or 5 for the neutral tone.
    #[error("tone digit {digit} does not exist: use 1–4, or 5 (or 0) for the neutral tone")]
    BadToneDigit {
        /// The digit.
        digit: char,
    },
    /// A tone digit must come last (`yan2`).
    #[error("a tone digit may only come at the end of the syllable, as in yan2")]
    ToneDigitNotLast,
    /// More than one tone mark, or a mark and a digit that disagree.
    #[error("the syllable has more than one tone (tone marks or tone digit disagree)")]
    ConflictingTones,
    /// Well-formed, but no character has this syllable.
    #[error("{syllable:?} is not a Mandarin syllable of any character")]
    UnknownSyllable {
        /// The syllable, normalised (ü as v).
        syllable: String,
    },
    /// A limit of 0 would always return nothing.
    #[error("the result limit must be at least 1")]
    ZeroLimit,
    /// Not `U+XXXX`, `XXXX` or a single character.
    #[error(
        "expected a code point such as U+2003E or 2003E (1–6 hex digits), or the character itself"
    )]
    MalformedCodepoint,
    /// Beyond U+10FFFF or a surrogate.
    #[error("U+{codepoint:X} is not a Unicode character")]
    NotAScalarValue {
        /// The number given.
        codepoint: u32,
    },
    /// A valid character, but not a CJK unified ideograph of the data.
    #[error(
        "{codepoint} is not a CJK unified ideograph (URO or Extensions A–H); compatibility ideographs must be entered as their unified form"
    )]
    NotCovered {
        /// `U+XXXX`.
        codepoint: String,
    },
    /// Kangxi radicals are numbered 1–214.
    #[error("radical {radical} does not exist: Kangxi radicals are numbered 1 to 214")]
    RadicalOutOfRange {
        /// The number given.
        radical: i64,
    },
    /// Residual stroke count outside [`RESIDUAL_STROKES`].
    #[error("{strokes} residual strokes is out of range (-9 to 99)")]
    ResidualOutOfRange {
        /// The number given.
        strokes: i64,
    },
    /// A numeric parameter is not an integer.
    #[error("{param} must be a whole number")]
    NotANumber {
        /// Parameter name (`radical` or `strokes`).
        param: &'static str,
    },
    /// None of the query forms was given.
    #[error("give pinyin, codepoint, or radical and strokes")]
    NoQuery,
    /// More than one query form, or radical without strokes (or the reverse).
    #[error("give exactly one of: pinyin, codepoint, or radical together with strokes")]
    AmbiguousQuery,
}

impl QueryError {
    /// A stable code, e.g. `"unknown_syllable"`.
    pub fn code(&self) -> &'static str {
        match self {
            QueryError::Empty => "empty",
            QueryError::TooLong { .. } => "too_long",
            QueryError::InvalidCharacter { .. } => "invalid_character",
            QueryError::NoLetters => "no_letters",
            QueryError::BadToneDigit { .. } => "bad_tone_digit",
            QueryError::ToneDigitNotLast => "tone_digit_not_last",
            QueryError::ConflictingTones => "conflicting_tones",
            QueryError::UnknownSyllable { .. } => "unknown_syllable",
            QueryError::ZeroLimit => "zero_limit",
            QueryError::MalformedCodepoint => "malformed_codepoint",
            QueryError::NotAScalarValue { .. } => "not_a_scalar_value",
            QueryError::NotCovered { .. } => "not_covered",
            QueryError::RadicalOutOfRange { .. } => "radical_out_of_range",
            QueryError::ResidualOutOfRange { .. } => "residual_out_of_range",
            QueryError::NotANumber { .. } => "not_a_number",
            QueryError::NoQuery => "no_query",
            QueryError::AmbiguousQuery => "ambiguous_query",
        }
    }
}

/// `U+XXXX` form of a code point.
pub fn codepoint_label(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

fn candidate(rec: &data::Record) -> Candidate {
    Candidate {
        char: rec.ch,
        codepoint: codepoint_label(rec.ch),
        pinyin: DB
            .readings_of(rec)
            .iter()
            .map(|r| r.text.to_owned())
            .collect(),
        block: rec.block.label(),
    }
}

fn check_limit(limit: usize) -> Result<(), QueryError> {
    if limit == 0 {
        Err(QueryError::ZeroLimit)
    } else {
        Ok(())
    }
}

/// Characters read as the pinyin syllable `query`, common ones first, at
/// most `limit`.
///
/// `query` is one syllable: toneless (`yan`: every tone), with a tone mark
/// (`yán`, precomposed or combining) or a tone digit (`yan2`; `5` or `0` for
/// the neutral tone); `ü` may be typed `v` or `u:` (`lv`, `lu:3`), and after
/// j/q/x/y it is the same as `u`. Case and surrounding spaces are ignored.
///
/// Order: characters having the reading in a current dictionary (kMandarin,
/// 通用规范汉字字典, 现代汉语词典) before those having it only in 漢語大字典;
/// within each group, ranked (common) characters by rank, then the others by
/// block (URO, Ext A, Ext B, …) and code point.
pub fn by_pinyin(query: &str, limit: usize) -> Result<Vec<Candidate>, QueryError> {
    check_limit(limit)?;
    Ok(page_of(&pinyin_matches(query)?, 0, limit).candidates)
}

/// Every record index read as `query`, in the order of [`by_pinyin`].
fn pinyin_matches(query: &str) -> Result<Vec<u32>, QueryError> {
    let q = pinyin::parse_query(query)?;
    let db = &*DB;
    let Some(hits) = db.pinyin.get(&q.key) else {
        return Err(QueryError::UnknownSyllable { syllable: q.key });
    };
    let mut matched: Vec<(bool, bool, u32, u32)> = hits
        .iter()
        .filter_map(|h| {
            let (current, any) = match q.tone {
                None => (h.current_tones != 0, true),
                Some(t) => {
                    let bit = 1u8 << t;
                    (h.current_tones & bit != 0, h.all_tones & bit != 0)
                }
            };
            let rec = &db.records[h.rec as usize];
            any.then_some((
                !current,
                rec.rank.is_none(),
                db.order[h.rec as usize],
                h.rec,
            ))
        })
        .collect();
    matched.sort_unstable();
    Ok(matched.into_iter().map(|(_, _, _, i)| i).collect())
}

/// One page of a search's candidates and how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page {
    /// Every candidate of the query.
    pub total: usize,
    /// Those from the offset on, at most the limit.
    pub candidates: Vec<Candidate>,
}

fn page_of(indices: &[u32], offset: usize, limit: usize) -> Page {
    let db = &*DB;
    Page {
        total: indices.len(),
        candidates: indices
            .iter()
            .skip(offset)
            .take(limit)
            .map(|&i| candidate(&db.records[i as usize]))
            .collect(),
    }
}

/// Variation selectors may follow a pasted ideograph.
fn is_variation_selector(c: char) -> bool {
    matches!(u32::from(c), 0xFE00..=0xFE0F | 0xE0100..=0xE01EF)
}

fn parse_codepoint(query: &str) -> Result<u32, QueryError> {
    let q = query.trim();
    if q.is_empty() {
        return Err(QueryError::Empty);
    }
    let hex = if let Some(h) = q.strip_prefix("U+").or_else(|| q.strip_prefix("u+")) {
        h
    } else if let Some(h) = q.strip_prefix("0x").or_else(|| q.strip_prefix("0X")) {
        h
    } else {
        let mut chars = q.chars();
        let first = chars.next().ok_or(QueryError::Empty)?;
        if !first.is_ascii() && chars.all(is_variation_selector) {
            return Ok(u32::from(first));
        }
        q
    };
    if hex.is_empty() || hex.len() > 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(QueryError::MalformedCodepoint);
    }
    u32::from_str_radix(hex, 16).map_err(|_| QueryError::MalformedCodepoint)
}

/// The character named by `query`: `U+2003E`, `u+2003e`, `2003E`, `0x2003E`,
/// or the character itself (optionally followed by variation selectors).
pub fn by_codepoint(query: &str) -> Result<Candidate, QueryError> {
    let cp = parse_codepoint(query)?;
    let c = char::from_u32(cp).ok_or(QueryError::NotAScalarValue { codepoint: cp })?;
    let db = &*DB;
    db.find(cp)
        .map(|i| candidate(&db.records[i as usize]))
        .ok_or_else(|| QueryError::NotCovered {
            codepoint: codepoint_label(c),
        })
}

fn check_radical(radical: i64) -> Result<u8, QueryError> {
    u8::try_from(radical)
        .ok()
        .filter(|r| (1..=214).contains(r))
        .ok_or(QueryError::RadicalOutOfRange { radical })
}

/// Characters with Kangxi radical `radical` (1–214) and `residual_strokes`
/// further strokes (kRSUnicode), common ones first, at most `limit`.
///
/// Characters counted under the simplified form of the radical (kRSUnicode
/// `149'.2` for 订) are included with the traditional ones.
pub fn by_radical_strokes(
    radical: u32,
    residual_strokes: i32,
    limit: usize,
) -> Result<Vec<Candidate>, QueryError> {
    check_limit(limit)?;
    Ok(page_of(&radical_matches(radical, residual_strokes)?, 0, limit).candidates)
}

/// Every record index with that radical and residual, in the order of
/// [`by_radical_strokes`].
fn radical_matches(radical: u32, residual_strokes: i32) -> Result<Vec<u32>, QueryError> {
    let radical = check_radical(i64::from(radical))?;
    if !RESIDUAL_STROKES.contains(&residual_strokes) {
        return Err(QueryError::ResidualOutOfRange {
            strokes: i64::from(residual_strokes),
        });
    }
    let db = &*DB;
    let Ok(residual) = i8::try_from(residual_strokes) else {
        return Ok(Vec::new());
    };
    let mut list: Vec<(bool, u32, u32)> = db
        .radical
        .get(&(radical, residual))
        .map(|v| {
            v.iter()
                .map(|&i| {
                    (
                        db.records[i as usize].rank.is_none(),
                        db.order[i as usize],
                        i,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    list.sort_unstable();
    Ok(list.into_iter().map(|(_, _, i)| i).collect())
}

/// For radical `radical` (1–214): each residual stroke count that has
/// characters, ascending, with how many — the second step of a radical
/// picker.
pub fn residual_strokes_of(radical: u32) -> Result<Vec<(i32, usize)>, QueryError> {
    let radical = check_radical(i64::from(radical))?;
    let mut out: Vec<(i32, usize)> = DB
        .radical
        .iter()
        .filter(|((r, _), _)| *r == radical)
        .map(|((_, s), v)| (i32::from(*s), v.len()))
        .collect();
    out.sort_unstable();
    Ok(out)
}

/// The 214 Kangxi radicals, by number.
pub fn radicals() -> &'static [Radical] {
    &radical::RADICALS
}

/// Everything known about `c`, if it is a CJK unified ideograph of the data.
pub fn lookup(c: char) -> Option<CharInfo> {
    let db = &*DB;
    let rec = &db.records[db.find(u32::from(c))? as usize];
    let (historical, current): (Vec<&data::Reading>, Vec<&data::Reading>) =
        db.readings_of(rec).iter().partition(|r| r.historical);
    Some(CharInfo {
        char: rec.ch,
        codepoint: codepoint_label(rec.ch),
        block: rec.block,
        pinyin: current.iter().map(|r| r.text.to_owned()).collect(),
        historical_pinyin: historical.iter().map(|r| r.text.to_owned()).collect(),
        radicals: db
            .rs_of(rec)
            .iter()
            .map(|r| RadicalStrokes {
                radical: r.radical,
                simplified: r.simplified,
                residual_strokes: r.residual,
            })
            .collect(),
        total_strokes: rec.total_strokes,
        rank: rec.rank,
    })
}

/// Whether `c` is a CJK unified ideograph of the data.
pub fn is_covered(c: char) -> bool {
    DB.find(u32::from(c)).is_some()
}

/// Number of characters in the data.
pub fn character_count() -> usize {
    DB.records.len()
}

/// A `GET /api/v1/rare-chars` query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query<'a> {
    /// `?pinyin=yan`
    Pinyin(Cow<'a, str>),
    /// `?codepoint=U+2003E`
    Codepoint(Cow<'a, str>),
    /// `?radical=N&strokes=M`
    RadicalStrokes {
        /// Kangxi radical number.
        radical: u32,
        /// Residual strokes.
        residual_strokes: i32,
    },
}

fn parse_int(param: &'static str, s: &str) -> Result<i64, QueryError> {
    let t = s.trim();
    if t.is_empty() || t.len() > 12 {
        return Err(QueryError::NotANumber { param });
    }
    t.parse().map_err(|_| QueryError::NotANumber { param })
}

impl<'a> Query<'a> {
    /// Builds the query from the raw query-string parameters (absent ones
    /// `None`): exactly one of `pinyin`, `codepoint`, or `radical` with
    /// `strokes`.
    pub fn from_params(
        pinyin: Option<&'a str>,
        codepoint: Option<&'a str>,
        radical: Option<&'a str>,
        strokes: Option<&'a str>,
    ) -> Result<Self, QueryError> {
        match (pinyin, codepoint, radical, strokes) {
            (None, None, None, None) => Err(QueryError::NoQuery),
            (Some(p), None, None, None) => Ok(Query::Pinyin(Cow::Borrowed(p))),
            (None, Some(c), None, None) => Ok(Query::Codepoint(Cow::Borrowed(c))),
            (None, None, Some(r), Some(s)) => {
                let r = parse_int("radical", r)?;
                let s = parse_int("strokes", s)?;
                let radical = u32::from(check_radical(r)?);
                let residual_strokes = i32::try_from(s)
                    .ok()
                    .filter(|s| RESIDUAL_STROKES.contains(s))
                    .ok_or(QueryError::ResidualOutOfRange { strokes: s })?;
                Ok(Query::RadicalStrokes {
                    radical,
                    residual_strokes,
                })
            }
            _ => Err(QueryError::AmbiguousQuery),
        }
    }
}

/// Runs `query`: the candidates from `offset` on, at most `limit`, and how
/// many there are in all, so that every candidate can be reached page by
/// page.
pub fn search_page(query: &Query<'_>, offset: usize, limit: usize) -> Result<Page, QueryError> {
    check_limit(limit)?;
    let all = match query {
        Query::Pinyin(p) => pinyin_matches(p)?,
        Query::Codepoint(c) => {
            let one = by_codepoint(c)?;
            let page = Page {
                total: 1,
                candidates: if offset == 0 { vec![one] } else { Vec::new() },
            };
            return Ok(page);
        }
        Query::RadicalStrokes {
            radical,
            residual_strokes,
        } => radical_matches(*radical, *residual_strokes)?,
    };
    Ok(page_of(&all, offset, limit))
}

/// Runs `query`, returning at most `limit` candidates (a code point query
/// gives one).
pub fn search(query: &Query<'_>, limit: usize) -> Result<Vec<Candidate>, QueryError> {
    match query {
        Query::Pinyin(p) => by_pinyin(p, limit),
        Query::Codepoint(c) => {
            check_limit(limit)?;
            by_codepoint(c).map(|c| vec![c])
        }
        Query::RadicalStrokes {
            radical,
            residual_strokes,
        } => by_radical_strokes(*radical, *residual_strokes, limit),
    }
}

/// The Unihan version the embedded data was generated from (read from the
/// data file; equals [`UNIHAN_VERSION`]).
pub fn data_version() -> &'static str {
    DB.version
}
