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

use super::{Chrome, render};
use crate::AppState;
use crate::error::ApiError;
use crate::i18n::{Arg, Lang};
use crate::session::{Csrf, CsrfForm, SignedIn, safe_next};
use crate::views::china_time;

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
) -> Result<Response, ApiError> {
    let holder = &signed_in.0.holder;
    let Some(terms) = state.storage.current_terms().await? else {
        // Nothing to agree to.
        return Ok(Redirect::to("/certificates").into_response());
    };
    let page = TermsPage {
        chrome: Chrome::new(lang, csrf, Some(holder), "/terms", lang.t("terms-title")),
        version: terms.version,
        meta: lang.t_args(
            "terms-version",
            &[
                ("version", Arg::Num(i64::from(terms.version))),
                ("published", Arg::Str(&china_time(terms.published_at))),
            ],
        ),
        paragraphs: terms
            .text
            .split('\n')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
        accepted: holder.accepted_terms.is_some_and(|v| v >= terms.version),
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
) -> Result<Response, ApiError> {
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
) -> Result<Response, ApiError> {
    let next = safe_next(form.next.as_deref());
    let current = state.storage.current_terms().await?;
    match current {
        Some(t) if t.version == form.version => {
            crate::api::record_acceptance(&state, signed_in.0.holder.id, t.version).await?;
            Ok(Redirect::to(next.as_deref().unwrap_or("/certificates")).into_response())
        }
        // A newer version was published meanwhile: show it.
        _ => page(&state, lang, &csrf, &signed_in, next).await,
    }
}
