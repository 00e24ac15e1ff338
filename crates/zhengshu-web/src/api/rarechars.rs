//! 生僻字输入 over the API: the rare-character search behind the picker.

use axum::Json;
use axum::extract::Query;
use serde::Serialize;

use super::{ApiError, ErrorBody};
use crate::services::rarechars::{self, RareCharsQuery};

/// Find a rare character (生僻字) by pinyin, code point, or radical and
/// residual strokes; common characters first.
#[utoipa::path(get, path = "/api/v1/rare-chars", tag = "rare-chars",
    params(RareCharsQuery),
    responses(
        (status = 200, body = Vec<CandidateSchema>),
        (status = 400, description = "`invalid_query`, with the reason as a field error", body = ErrorBody),
    ))]
pub async fn rare_chars(
    Query(q): Query<RareCharsQuery>,
) -> Result<Json<Vec<zhengshu_rarechars::Candidate>>, ApiError> {
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
