//! 生僻字输入 over the API: the rare-character search behind the picker.

use axum::Json;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::{ApiError, ApiQuery, ErrorBody};
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
    /// Skip this many candidates (default 0): with `limit`, a page.
    pub offset: Option<usize>,
}

/// Find a rare character (生僻字) by pinyin, code point, or radical and
/// residual strokes; common characters first, a page at a time: the total
/// is in `X-Total-Count` and the next page, while there is one, in
/// `Link: <…>; rel="next"` (RFC 8288).
#[utoipa::path(get, path = "/api/v1/rare-chars", tag = "rare-chars",
    params(RareCharsParams),
    responses(
        (status = 200, body = Vec<CandidateSchema>, headers(
            ("X-Total-Count" = usize, description = "How many candidates the query has in all"),
            ("Link" = String, description = "`<…>; rel=\"next\"` while more candidates follow"),
        )),
        (status = 400, description = "`invalid_query`, with the reason as a field error", body = ErrorBody),
    ))]
pub async fn rare_chars(ApiQuery(q): ApiQuery<RareCharsParams>) -> Result<Response, ApiError> {
    let q = RareCharsQuery {
        pinyin: q.pinyin,
        codepoint: q.codepoint,
        radical: q.radical,
        strokes: q.strokes,
        limit: q.limit,
        offset: q.offset,
    };
    let page = rarechars::search(&q)?;
    let offset = q.offset.unwrap_or(0);
    let end = offset + page.candidates.len();
    let mut response = Json(page.candidates).into_response();
    let h = response.headers_mut();
    h.insert("x-total-count", HeaderValue::from(page.total));
    if end < page.total {
        let next = RareCharsQuery {
            offset: Some(end),
            limit: Some(
                q.limit
                    .unwrap_or(rarechars::DEFAULT_LIMIT)
                    .min(rarechars::MAX_LIMIT),
            ),
            ..q
        };
        let query = serde_urlencoded::to_string(&next).unwrap_or_default();
        if let Ok(v) = HeaderValue::from_str(&format!("</api/v1/rare-chars?{query}>; rel=\"next\""))
        {
            h.insert(header::LINK, v);
        }
    }
    Ok(response)
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
