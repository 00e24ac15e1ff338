//! The rare-character search behind the picker (生僻字输入): query
//! parameters in, candidates out, refusals as field errors naming their
//! message codes; answers come a page at a time with the total, so every
//! candidate can be reached. The data and the search are
//! `zhengshu-rarechars`; the JSON API, the no-JS page and the script all
//! come through here.

use serde::{Deserialize, Serialize};
use zhengshu_rarechars::{Page, Query, QueryError};

use super::{Error, FieldError};

/// Candidates answered when no limit is given, and the most ever.
pub const DEFAULT_LIMIT: usize = 60;
pub const MAX_LIMIT: usize = 200;

/// Exactly one of: `pinyin`; `codepoint`; `radical` with `strokes`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RareCharsQuery {
    /// One syllable: `yan`, `yán` or `yan2` (ü as `v`).
    pub pinyin: Option<String>,
    /// `U+2003E`, `2003E`, or the character itself.
    pub codepoint: Option<String>,
    /// Kangxi radical number, 1–214.
    pub radical: Option<String>,
    /// Strokes besides the radical (kRSUnicode).
    pub strokes: Option<String>,
    /// At most this many candidates (default 60, at most 200).
    pub limit: Option<usize>,
    /// Skip this many candidates (paging; default 0).
    pub offset: Option<usize>,
}

fn blank_to_none(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|v| !v.trim().is_empty())
}

impl RareCharsQuery {
    /// Whether anything was asked.
    pub fn is_empty(&self) -> bool {
        blank_to_none(&self.pinyin).is_none()
            && blank_to_none(&self.codepoint).is_none()
            && blank_to_none(&self.radical).is_none()
            && blank_to_none(&self.strokes).is_none()
    }

    fn field_of(&self, e: &QueryError) -> &'static str {
        match e {
            QueryError::NoQuery | QueryError::AmbiguousQuery => "query",
            QueryError::ZeroLimit => "limit",
            QueryError::RadicalOutOfRange { .. } => "radical",
            QueryError::ResidualOutOfRange { .. } => "strokes",
            QueryError::NotANumber { param } => param,
            _ if blank_to_none(&self.codepoint).is_some() => "codepoint",
            _ => "pinyin",
        }
    }
}

fn field_error(field: &'static str, e: &QueryError) -> FieldError {
    let f = FieldError::new(field, e.code());
    match e {
        QueryError::TooLong { max, len } => f.with("max", max).with("len", len),
        QueryError::InvalidCharacter { ch } => f
            .with("char", ch)
            .with("codepoint", zhengshu_rarechars::codepoint_label(*ch)),
        QueryError::BadToneDigit { digit } => f.with("digit", digit),
        QueryError::UnknownSyllable { syllable } => f.with("syllable", syllable),
        QueryError::NotAScalarValue { codepoint } => {
            f.with("codepoint", format!("U+{codepoint:X}"))
        }
        QueryError::NotCovered { codepoint } => f.with("codepoint", codepoint),
        QueryError::RadicalOutOfRange { radical } => f.with("radical", radical),
        QueryError::ResidualOutOfRange { strokes } => f.with("strokes", strokes),
        _ => f,
    }
}

/// Runs the query: one page of candidates, common characters first, and
/// how many there are in all.
pub fn search(q: &RareCharsQuery) -> Result<Page, Error> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT);
    let offset = q.offset.unwrap_or(0);
    let run = || {
        let query = Query::from_params(
            blank_to_none(&q.pinyin),
            blank_to_none(&q.codepoint),
            blank_to_none(&q.radical),
            blank_to_none(&q.strokes),
        )?;
        zhengshu_rarechars::search_page(&query, offset, limit)
    };
    run().map_err(|e| Error::InvalidQuery(vec![field_error(q.field_of(&e), &e)]))
}

/// Every code a query can be refused with (for the catalogue test).
#[cfg(test)]
pub const CODES: [&str; 17] = [
    "empty",
    "too_long",
    "invalid_character",
    "no_letters",
    "bad_tone_digit",
    "tone_digit_not_last",
    "conflicting_tones",
    "unknown_syllable",
    "zero_limit",
    "malformed_codepoint",
    "not_a_scalar_value",
    "not_covered",
    "radical_out_of_range",
    "residual_out_of_range",
    "not_a_number",
    "no_query",
    "ambiguous_query",
];
