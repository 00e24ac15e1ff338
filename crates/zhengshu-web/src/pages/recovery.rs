//! 找回密码: the password recovery pages. A username → a code sent to the
//! contact recorded for the account's proven identity (the page answers
//! alike whether or not the account exists or has one) → the code and a
//! new password, after which every session of the account has ended and
//! the holder logs in. Sending is throttled like every code (429 with
//! `Retry-After`, the page saying how long to wait).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::extract::{Csrf, CsrfForm};
use super::{Chrome, PageError, render};
use crate::client::ClientAddr;
use crate::error::{Error, field_message};
use crate::i18n::{Arg, Lang};
use crate::services::{self, recovery};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/recovery", get(form).post(send))
        .route("/recovery/reset", post(reset))
}

#[derive(Template)]
#[template(path = "recovery.html")]
struct RecoveryPage {
    chrome: Chrome,
    username: String,
    /// The code and new-password step.
    sent: bool,
    error: Option<String>,
}

impl RecoveryPage {
    fn new(lang: Lang, csrf: &str, username: &str, sent: bool, error: Option<String>) -> Self {
        Self {
            chrome: Chrome::new(lang, csrf, None, "/recovery", lang.t("recovery-title")),
            username: username.trim().to_owned(),
            sent,
            error,
        }
    }
}

async fn form(lang: Lang, Csrf(csrf): Csrf) -> Response {
    render(
        StatusCode::OK,
        &RecoveryPage::new(lang, &csrf, "", false, None),
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Request {
    username: String,
}

async fn send(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    ClientAddr(client): ClientAddr,
    CsrfForm(r): CsrfForm<Request>,
) -> Result<Response, PageError> {
    match recovery::request(&state, lang, &r.username, &client).await {
        Ok(()) => Ok(render(
            StatusCode::OK,
            &RecoveryPage::new(lang, &csrf, &r.username, true, None),
        )),
        Err(services::Error::Throttled { retry_after_secs }) => {
            let minutes = crate::error::minutes_to_wait(retry_after_secs);
            let message = lang.t_args("recovery-throttled", &[("minutes", Arg::Num(minutes))]);
            let page = RecoveryPage::new(lang, &csrf, &r.username, false, Some(message));
            let mut response = render(StatusCode::TOO_MANY_REQUESTS, &page);
            Error::Throttled { retry_after_secs }.add_retry_after(&mut response);
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Reset {
    username: String,
    code: String,
    password: String,
    password_confirmation: String,
}

async fn reset(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    CsrfForm(r): CsrfForm<Reset>,
) -> Result<Response, PageError> {
    let refused = |message: String, status: StatusCode| {
        render(
            status,
            &RecoveryPage::new(lang, &csrf, &r.username, true, Some(message)),
        )
    };
    if r.password != r.password_confirmation {
        let f = services::FieldError::new("password_confirmation", "password_mismatch");
        return Ok(refused(
            field_message(&f, lang),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    match recovery::reset(&state, &r.username, &r.code, &r.password).await {
        Ok(()) => {
            let q =
                serde_urlencoded::to_string([("recovered", "1"), ("username", r.username.trim())])
                    .unwrap_or_default();
            Ok(Redirect::to(&format!("/login?{q}")).into_response())
        }
        Err(services::Error::Validation(fields)) => {
            let message = fields
                .iter()
                .map(|f| field_message(f, lang))
                .collect::<Vec<_>>()
                .join(" ");
            Ok(refused(message, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e @ (services::Error::CodeWrong { .. } | services::Error::CodeExpired)) => {
            let e = Error::from(e);
            Ok(refused(e.message(lang), e.status()))
        }
        Err(e) => Err(e.into()),
    }
}
