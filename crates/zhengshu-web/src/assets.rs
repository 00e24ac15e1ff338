//! The portal's style sheet and its scripts (the rare-character picker, the
//! drop zone of the file check), embedded in the binary.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::state::AppState;

const CSS: &str = include_str!("../assets/portal.css");
const PICKER_JS: &str = include_str!("../assets/picker.js");
const VERIFY_FILE_JS: &str = include_str!("../assets/verify-file.js");

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/assets/portal.css",
            get(|| serve(CSS, "text/css; charset=utf-8")),
        )
        .route(
            "/assets/picker.js",
            get(|| serve(PICKER_JS, "text/javascript; charset=utf-8")),
        )
        .route(
            "/assets/verify-file.js",
            get(|| serve(VERIFY_FILE_JS, "text/javascript; charset=utf-8")),
        )
}

async fn serve(body: &'static str, content_type: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        body,
    )
}
