//! Delivering a signed PDF over HTTP, the same for the pages' [查看] and
//! [下载] and the API's document routes: the `?disposition=inline` query,
//! and the answer with its `Content-Disposition` file name (RFC 6266, the
//! UTF-8 name per RFC 5987 with an ASCII fallback for old clients).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

use crate::services::annotations::Document;

/// How a document is delivered.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Disposition {
    /// `inline` to view in the browser; otherwise an attachment.
    pub disposition: Option<String>,
}

impl Disposition {
    pub fn inline(&self) -> bool {
        self.disposition.as_deref() == Some("inline")
    }
}

/// Everything but RFC 5987's `attr-char`.
const NOT_ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// A PDF answer: `inline` to view, else an attachment; never cached.
pub fn pdf_response(doc: Document, inline: bool) -> Response {
    let disposition = content_disposition(inline, &doc.file_name, &doc.ascii_name);
    let mut r = (StatusCode::OK, doc.pdf).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// `attachment; filename="…"; filename*=UTF-8''…` (or `inline`).
pub fn content_disposition(inline: bool, name: &str, ascii_fallback: &str) -> String {
    let kind = if inline { "inline" } else { "attachment" };
    let fallback: String = ascii_fallback
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || "-._".contains(ch) {
                ch
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "{kind}; filename=\"{fallback}\"; filename*=UTF-8''{}",
        utf8_percent_encode(name, NOT_ATTR_CHAR)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_follow_rfc_6266_and_5987() {
        assert_eq!(
            content_disposition(false, "张三-执业药师.pdf", "ZY1.pdf"),
            "attachment; filename=\"ZY1.pdf\"; filename*=UTF-8''%E5%BC%A0%E4%B8%89-%E6%89%A7%E4%B8%9A%E8%8D%AF%E5%B8%88.pdf"
        );
        assert_eq!(
            content_disposition(true, "a b\"c.pdf", "a b\"c.pdf"),
            "inline; filename=\"a_b_c.pdf\"; filename*=UTF-8''a%20b%22c.pdf"
        );
    }
}
