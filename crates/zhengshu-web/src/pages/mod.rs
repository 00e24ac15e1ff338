//! The holder portal's pages: server-rendered askama templates
//! (`templates/`), every text from the translations, usable without
//! JavaScript (the rare-character picker's script only adds an in-page
//! panel). Each page carries the frame ([`Chrome`]): language, the CSRF
//! token of its forms, the signed-in holder's name, a title.

mod annotations;
mod auth;
mod certificates;
mod rarechars;
mod terms;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use zhengshu_domain::Holder;

use crate::AppState;
use crate::error::ApiError;
use crate::i18n::{LANG_COOKIE, Lang};
use crate::session::{safe_next, set_cookie};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/certificates") }))
        .route("/lang/{tag}", get(switch_language))
        .merge(auth::router())
        .merge(terms::router())
        .merge(certificates::router())
        .merge(annotations::router())
        .merge(rarechars::router())
}

/// What every page shows around its content.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub lang: Lang,
    /// The CSRF token of this page's forms (empty on error pages, which
    /// have none).
    pub csrf: String,
    /// The signed-in holder's name, for the header and its log-out form.
    pub holder_name: Option<String>,
    /// This page's path and query, for the language switch to return to.
    pub path: String,
    pub title: String,
}

impl Chrome {
    pub fn new(lang: Lang, csrf: &str, holder: Option<&Holder>, path: &str, title: String) -> Self {
        Self {
            lang,
            csrf: csrf.to_owned(),
            holder_name: holder.map(|h| h.name.to_string()),
            path: path.to_owned(),
            title,
        }
    }

    pub fn langs(&self) -> [Lang; 3] {
        Lang::ALL
    }

    /// The language switch's link to `lang`.
    pub fn switch_href(&self, lang: &Lang) -> String {
        let q = serde_urlencoded::to_string([("next", self.path.as_str())]).unwrap_or_default();
        format!("/lang/{}?{q}", lang.tag())
    }
}

/// Renders a template; a template error is a 500.
pub fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => ApiError::Internal(format!("template: {e}")).into_response(),
    }
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

/// The page of an error (the body; [`ApiError`] sets the status).
pub fn error_page(e: &ApiError, lang: Lang) -> Response {
    let heading = lang.t(&format!("error-title-{}", e.code()));
    let page = ErrorPage {
        chrome: Chrome::new(lang, "", None, "/", heading.clone()),
        heading,
        message: e.message(lang),
        sign_in: matches!(e, ApiError::CsrfRejected | ApiError::Unauthenticated),
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        // Never recurse into the error renderer.
        Err(_) => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            e.message(lang),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

/// `GET /lang/{tag}?next=…`: remembers the language for a year and goes
/// back.
async fn switch_language(
    axum::extract::State(state): axum::extract::State<AppState>,
    Path(tag): Path<String>,
    Query(q): Query<Next>,
) -> Result<Response, ApiError> {
    let lang = Lang::ALL
        .into_iter()
        .find(|l| l.tag() == tag)
        .ok_or(ApiError::NotFound)?;
    let back = safe_next(q.next.as_deref()).unwrap_or_else(|| "/".to_owned());
    let mut response = Redirect::to(&back).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            LANG_COOKIE,
            lang.tag(),
            state.secure_cookies(),
            Some(365 * 24 * 3600),
        ),
    );
    Ok(response)
}

/// Parses a path id; anything else is 404, like an id that does not exist.
pub fn path_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound)
}
