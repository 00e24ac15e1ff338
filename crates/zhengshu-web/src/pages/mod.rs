//! The holder portal's pages: server-rendered askama templates
//! (`templates/`), every text from the translations, usable without
//! JavaScript (the rare-character picker's script only adds an in-page
//! panel). Each page carries the frame ([`Chrome`]): language, the CSRF
//! token of its forms, the signed-in holder's name, a title. Handlers call
//! the services and render templates; errors leave as [`PageError`],
//! answered with the error page by this router's own layer. The
//! rare-character fonts the style sheets name are served here too.

mod annotations;
mod auth;
mod certificates;
mod console;
mod error;
mod extract;
mod files;
mod fonts;
mod identity;
mod platform;
mod rarechars;
mod recovery;
mod scope;
mod terms;
mod verify;
mod verify_document;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use zhengshu_domain::Holder;

pub use error::{PageError, respond};

use crate::cookies::set_cookie;
use crate::error::Error;
use crate::i18n::{LANG_COOKIE, Lang};
use crate::state::AppState;
use extract::safe_next;

/// The pages, with their error rendering and their CSRF cookie.
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/certificates") }))
        .route("/lang/{tag}", get(switch_language))
        .merge(auth::router())
        .merge(platform::router())
        .merge(terms::router())
        .merge(identity::router())
        .merge(certificates::router())
        .merge(files::router())
        .merge(annotations::router())
        .merge(rarechars::router())
        .merge(recovery::router())
        .merge(scope::router())
        .merge(verify::router())
        .merge(verify_document::router())
        .merge(fonts::router())
        .merge(console::router())
        .layer(axum::middleware::from_fn(error::render))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            extract::csrf_cookie,
        ))
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

/// The longest path and query a page echoes into its language links.
const MAX_ECHOED_PATH: usize = 1024;

impl Chrome {
    pub fn new(lang: Lang, csrf: &str, holder: Option<&Holder>, path: &str, title: String) -> Self {
        // Echoed into each language link: a query longer than a page's own
        // links ever make is left out (the switch returns to the bare
        // path), so that a long one cannot multiply the answer.
        let path = if path.len() > MAX_ECHOED_PATH {
            path.split('?').next().unwrap_or("/")
        } else {
            path
        };
        Self {
            lang,
            csrf: csrf.to_owned(),
            holder_name: holder.map(|h| h.name.to_string()),
            path: path.chars().take(MAX_ECHOED_PATH).collect(),
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
        Err(e) => PageError(Error::Internal(format!("template: {e}"))).into_response(),
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
) -> Result<Response, PageError> {
    let lang = Lang::ALL
        .into_iter()
        .find(|l| l.tag() == tag)
        .ok_or(PageError(Error::NotFound))?;
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
pub fn path_id(raw: &str) -> Result<i64, PageError> {
    raw.parse().map_err(|_| PageError(Error::NotFound))
}

/// A moment as holders read it: China Standard Time, to the minute.
pub fn china_time(at: jiff::Timestamp) -> String {
    at.to_zoned(zhengshu_domain::china_tz())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}
