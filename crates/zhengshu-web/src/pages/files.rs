//! A certificate's electronic files (证书电子文件) for its holder:
//! [查看文件] (`?disposition=inline`) and [下载文件] (an attachment named
//! per RFC 6266, the UTF-8 name per RFC 5987), with the type judged when
//! the file was attached, never sniffed by the browser. Another holder's,
//! another certificate's or a retired file is 404.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::extract::PageHolder;
use super::{PageError, path_id};
use crate::download::{Disposition, content_disposition};
use crate::services::files;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/certificates/{id}/files/{file}", get(file))
}

async fn file(
    State(state): State<AppState>,
    PageHolder(h): PageHolder,
    Path((id, file)): Path<(String, String)>,
    Query(d): Query<Disposition>,
) -> Result<Response, PageError> {
    let inline = d.inline();
    let got = files::deliver(&state, &h, path_id(&id)?, path_id(&file)?, inline).await?;
    let disposition = content_disposition(inline, &got.file_name, &got.ascii_name);
    let mut r = (StatusCode::OK, got.content).into_response();
    let headers = r.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(got.kind.media_type()),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}
