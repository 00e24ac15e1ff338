//! `/fonts/rare.css` and its slices `/fonts/rare/{start}.ttf`: the
//! rare-character fonts ([`crate::fonts`]) as the pages' style sheets use
//! them, cached by browsers.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::PageError;
use crate::error::Error;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/fonts/rare.css", get(css))
        .route("/fonts/rare/{file}", get(slice))
}

async fn css(State(state): State<AppState>) -> Result<Response, PageError> {
    let fonts = state.fonts.clone();
    let css = tokio::task::spawn_blocking(move || fonts.css().to_owned())
        .await
        .map_err(|e| PageError(Error::Internal(format!("font task: {e}"))))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        css,
    )
        .into_response())
}

async fn slice(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, PageError> {
    let start = file
        .strip_suffix(".ttf")
        .filter(|h| (4..=6).contains(&h.len()))
        .and_then(|h| u32::from_str_radix(h, 16).ok())
        .filter(|s| s & 0xFF == 0)
        .ok_or(PageError(Error::NotFound))?;
    let fonts = state.fonts.clone();
    let bytes = tokio::task::spawn_blocking(move || fonts.slice(start))
        .await
        .map_err(|e| PageError(Error::Internal(format!("font task: {e}"))))?
        .map_err(|e| PageError(Error::Internal(e.to_string())))?
        .ok_or(PageError(Error::NotFound))?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("font/ttf")),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=604800"),
            ),
        ],
        bytes.as_ref().clone(),
    )
        .into_response())
}
