//! 生僻字输入 over the API: the rare-character search behind the picker.

use axum::Json;
use axum::extract::Query;
use serde::{Deserialize, Serialize};

use super::{ApiError, ErrorBody};
use crate::services::rarechars::{self, RareCharsQuery};

/// Exactly one of: `pinyin`; `codepoint`; `radical` with `strokes`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RareCharsParams {
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
}

/// Find a rare character (生僻字) by pinyin, code point, or radical and
/// residual strokes; common characters first.
#[utoipa::path(get, path = "/api/v1/rare-chars", tag = "rare-chars",
    params(RareCharsParams),
    responses(
        (status = 200, body = Vec<CandidateSchema>),
        (status = 400, description = "`invalid_query`, with the reason as a field error", body = ErrorBody),
    ))]
pub async fn rare_chars(
    Query(q): Query<RareCharsParams>,
) -> Result<Json<Vec<zhengshu_rarechars::Candidate>>, ApiError> {
    let q = RareCharsQuery {
        pinyin: q.pinyin,
        codepoint: q.codepoint,
        radical: q.radical,
        strokes: q.strokes,
        limit: q.limit,
    };
    Ok(Json(rarechars::search(&q)?))
}

/// A candidate as the API answers it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[allow(dead_code)] // Describes `zhengshu_rarechars::Candidate` for OpenAPI.
pub struct CandidateSchema {
    /// The character.
    pub char: String,
    /// `U+2003E`
    pub codepoint: String,
    /// Readings with tone marks; empty for characters without a Mandarin
    /// reading.
    pub pinyin: Vec<String>,
    /// Unicode block, e.g. `CJK Ext B`.
    pub block: String,
}
