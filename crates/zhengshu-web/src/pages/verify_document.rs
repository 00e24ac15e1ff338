//! 证书查验 by upload, public: `GET /verify/document` offers a file picker
//! (and, with the script, a drop zone); `POST /verify/document`
//! (`multipart/form-data` with the CSRF token and the file, so it works
//! without JavaScript) shows the report, each check with its status and
//! reason, failed ones highlighted. Over the size limit the error page
//! answers 413.

use askama::Template;
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;

use super::extract::Csrf;
use super::{Chrome, PageError, render};
use crate::client::ClientAddr;
use crate::cookies::cookie;
use crate::error::Error;
use crate::i18n::{Arg, Lang};
use crate::services::document_check::{self, MAX_UPLOAD, check_title, reason_text};
use crate::services::{sessions, verification};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/verify/document", get(form).post(upload))
}

/// One row of the report as the page shows it.
struct Row {
    /// `passed`, `failed`, `indeterminate` or `skipped` (a CSS class).
    status: &'static str,
    status_text: String,
    title: String,
    reason: String,
}

struct ReportView {
    /// `TOTAL_PASSED`, `TOTAL_FAILED` or `INDETERMINATE`.
    indication: &'static str,
    heading: String,
    sha256: String,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "verify_document.html")]
struct DocumentPage {
    chrome: Chrome,
    report: Option<ReportView>,
    file_hint: String,
}

impl DocumentPage {
    fn new(lang: Lang, csrf: &str, report: Option<ReportView>) -> Self {
        Self {
            chrome: Chrome::new(
                lang,
                csrf,
                None,
                "/verify/document",
                lang.t("verify-file-title"),
            ),
            report,
            file_hint: lang.t_args(
                "verify-file-hint",
                &[("mib", Arg::Num((MAX_UPLOAD / (1024 * 1024)) as i64))],
            ),
        }
    }
}

async fn form(lang: Lang, Csrf(csrf): Csrf) -> Response {
    render(StatusCode::OK, &DocumentPage::new(lang, &csrf, None))
}

async fn upload(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PageError> {
    // The form's other fields and the part headers fit in a few KiB.
    let limit = MAX_UPLOAD + 16 * 1024;
    let bytes = to_bytes(body, limit)
        .await
        .map_err(|_| PageError(Error::FileTooLarge))?;
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(boundary)
        .ok_or(PageError(Error::BadRequest))?;
    let parts = parts(&bytes, &boundary);
    let field = |name: &str| parts.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
    let token = field("csrf").and_then(|t| std::str::from_utf8(t).ok());
    let cookie_value = cookie(&headers, super::extract::csrf_cookie_name(&state)).unwrap_or("");
    let session = cookie(&headers, super::extract::SESSION_COOKIE).unwrap_or("");
    if !sessions::csrf_ok(
        &state.session_key,
        cookie_value,
        session,
        token.unwrap_or(""),
    ) {
        return Err(PageError(Error::CsrfRejected));
    }
    let file = field("file").ok_or(PageError(Error::BadRequest))?;
    if file.len() > MAX_UPLOAD {
        return Err(PageError(Error::FileTooLarge));
    }
    verification::admit(&state, &client, 1)?;
    let report = document_check::check_file(&state, &client, file.to_vec()).await?;
    let indication = report.indication().code();
    let view = ReportView {
        indication,
        heading: lang.t(&format!("verify-indication-{indication}")),
        sha256: report.sha256.clone(),
        rows: report
            .checks
            .iter()
            .map(|c| Row {
                status: c.status.code(),
                status_text: lang.t(&format!("check-status-{}", c.status.code())),
                title: check_title(lang, c),
                reason: reason_text(lang, c),
            })
            .collect(),
    };
    Ok(render(
        StatusCode::OK,
        &DocumentPage::new(lang, &csrf, Some(view)),
    ))
}

/// The boundary of a `multipart/form-data` content type.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        let v = v.trim().trim_matches('"');
        (k.trim().eq_ignore_ascii_case("boundary") && !v.is_empty() && v.len() <= 200)
            .then(|| v.to_owned())
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// The named parts of a `multipart/form-data` body (RFC 7578): at most a
/// few, each `(name, content)`; anything malformed ends the list.
pub(crate) fn parts<'a>(body: &'a [u8], boundary: &str) -> Vec<(String, &'a [u8])> {
    let delimiter = format!("--{boundary}");
    let next = format!("\r\n--{boundary}");
    let mut out = Vec::new();
    let Some(mut at) = find(body, delimiter.as_bytes(), 0) else {
        return out;
    };
    at += delimiter.len();
    while out.len() < 8 {
        // `--` after a delimiter ends the body; a part starts on a new line.
        if !body.get(at..).is_some_and(|b| b.starts_with(b"\r\n")) {
            break;
        }
        let Some(head_end) = find(body, b"\r\n\r\n", at) else {
            break;
        };
        let head = String::from_utf8_lossy(&body[at + 2..head_end]);
        let Some(end) = find(body, next.as_bytes(), head_end + 4) else {
            break;
        };
        let name = head
            .lines()
            .filter(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .find_map(|l| {
                l.split(';').find_map(|p| {
                    let (k, v) = p.trim().split_once('=')?;
                    (k == "name").then(|| v.trim_matches('"').to_owned())
                })
            });
        if let Some(name) = name {
            out.push((name, &body[head_end + 4..end]));
        }
        at = end + next.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_bodies_give_their_named_parts() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-\r\n\x00\r\n--XyZ--\r\n";
        let p = parts(body, "XyZ");
        assert_eq!(p.len(), 2);
        assert_eq!(p[0], ("csrf".to_string(), &b"abc"[..]));
        assert_eq!(p[1], ("file".to_string(), &b"%PDF-\r\n\x00"[..]));
        assert_eq!(
            boundary("multipart/form-data; boundary=\"XyZ\"").as_deref(),
            Some("XyZ")
        );
        assert!(boundary("application/x-www-form-urlencoded").is_none());
        for broken in [
            &b""[..],
            b"--XyZ",
            b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nno end",
        ] {
            assert!(parts(broken, "XyZ").is_empty());
        }
    }
}
