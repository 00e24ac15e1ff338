//! 服务须知: the service terms, read and agreed (同意) before anything
//! else; every other holder page leads here until the current version is
//! agreed.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use super::extract::{Csrf, CsrfForm, SignedIn, safe_next};
use super::{Chrome, PageError, china_time, render};
use crate::i18n::{Arg, Lang};
use crate::services::terms;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/terms", get(show).post(agree))
}

#[derive(Template)]
#[template(path = "terms.html")]
struct TermsPage {
    chrome: Chrome,
    version: i32,
    /// Version and publication time.
    meta: String,
    paragraphs: Vec<String>,
    /// Agreed already: no form.
    accepted: bool,
    next: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NextQuery {
    next: Option<String>,
}

async fn page(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    signed_in: &SignedIn,
    next: Option<String>,
) -> Result<Response, PageError> {
    let holder = &signed_in.0.holder;
    let Some(current) = terms::current(state).await? else {
        // Nothing to agree to.
        return Ok(Redirect::to("/certificates").into_response());
    };
    let page = TermsPage {
        chrome: Chrome::new(lang, csrf, Some(holder), "/terms", lang.t("terms-title")),
        version: current.version,
        meta: lang.t_args(
            "terms-version",
            &[
                ("version", Arg::Num(i64::from(current.version))),
                ("published", Arg::Str(&china_time(current.published_at))),
            ],
        ),
        paragraphs: current
            .text
            .split('\n')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
        accepted: terms::accepted(holder, &current),
        next: next.unwrap_or_default(),
    };
    Ok(render(StatusCode::OK, &page))
}

async fn show(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    signed_in: SignedIn,
    Query(q): Query<NextQuery>,
) -> Result<Response, PageError> {
    page(
        &state,
        lang,
        &csrf,
        &signed_in,
        safe_next(q.next.as_deref()),
    )
    .await
}

#[derive(Deserialize)]
struct AgreeForm {
    version: i32,
    next: Option<String>,
}

async fn agree(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    signed_in: SignedIn,
    CsrfForm(form): CsrfForm<AgreeForm>,
) -> Result<Response, PageError> {
    let next = safe_next(form.next.as_deref());
    match terms::current(&state).await? {
        Some(t) if t.version == form.version => {
            terms::accept(&state, signed_in.0.holder.id, t.version).await?;
            Ok(Redirect::to(next.as_deref().unwrap_or("/certificates")).into_response())
        }
        // A newer version was published meanwhile: show it.
        _ => page(&state, lang, &csrf, &signed_in, next).await,
    }
}
