//! How the pages answer an error: [`PageError`] wraps the HTTP [`Error`]
//! of every `pages/` handler and extractor, and [`render`], a layer of the
//! pages' router, answers it with the error page in the request's
//! language. Handlers that re-show a form with its field messages do so
//! themselves; this is for everything else. The API has its own wrapper,
//! which answers with JSON.

use askama::Template;
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use zhengshu_storage::StorageError;

use super::Chrome;
use crate::error::{self, Error};
use crate::i18n::Lang;
use crate::services;

/// An error of a page.
#[derive(Debug)]
pub struct PageError(pub Error);

impl From<Error> for PageError {
    fn from(e: Error) -> Self {
        PageError(e)
    }
}

impl From<services::Error> for PageError {
    fn from(e: services::Error) -> Self {
        PageError(e.into())
    }
}

impl From<StorageError> for PageError {
    fn from(e: StorageError) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    /// The status now; the page, which needs the request's language, in
    /// [`render`].
    fn into_response(self) -> Response {
        self.0.deferred()
    }
}

/// Layer of this router: the page of an [`PageError`] answer.
pub async fn render(lang: Lang, req: Request, next: Next) -> Response {
    error::write_deferred(lang, req, next, respond).await
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    heading: String,
    message: String,
    /// Log in again rather than go home.
    sign_in: bool,
}

/// The complete answer of `e` in `lang`: its status and its page.
pub fn respond(e: &Error, lang: Lang) -> Response {
    e.log_internal();
    let heading = lang.t(&format!("error-title-{}", e.code()));
    let page = ErrorPage {
        chrome: Chrome::new(lang, "", None, "/", heading.clone()),
        heading,
        message: e.message(lang),
        sign_in: matches!(e, Error::CsrfRejected | Error::Unauthenticated),
    };
    let mut response = match page.render() {
        Ok(html) => Html(html).into_response(),
        // Never recurse into the error renderer.
        Err(_) => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            e.message(lang),
        )
            .into_response(),
    };
    *response.status_mut() = e.status();
    e.add_retry_after(&mut response);
    response
}
