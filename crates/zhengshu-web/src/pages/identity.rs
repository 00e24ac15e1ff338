//! 身份核验: what an account still lacks before its certificates appear
//! (the identity it registered with, proven), the ways it can prove it —
//! a code to a recorded contact, shown masked, the 管理号 where the
//! issuing body recorded no contact, or the exam-registration platform's
//! log-in when one is configured — and the notice to an account whose
//! identity another account proved more strongly (shown once), or whose
//! registration corrections left without certificates.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use zhengshu_domain::Holder;
use zhengshu_storage::CodePurpose;

use super::extract::{Csrf, CsrfForm, PageAgreed};
use super::{Chrome, PageError, china_time, render};
use crate::client::ClientAddr;
use crate::error::Error;
use crate::i18n::{Arg, Lang};
use crate::services::{self, identity};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/identity", get(show))
        .route("/identity/codes", post(send_code))
        .route("/identity/code", post(prove_by_code))
        .route(
            "/identity/management-number",
            post(prove_by_management_number),
        )
}

/// A recorded contact, masked, and the index the form posts.
pub(super) struct ChannelView {
    pub index: usize,
    pub label: String,
}

#[derive(Template)]
#[template(path = "identity.html")]
pub(super) struct IdentityPage {
    pub chrome: Chrome,
    /// "Your account has not proven …", or "… proven (by …)".
    pub status: String,
    pub proven: bool,
    /// The notice that another account took this identity, once; or that
    /// corrections took every certificate away from the registration.
    pub taken: Option<String>,
    pub channels: Vec<ChannelView>,
    pub management_number: bool,
    /// The exam-registration platform's log-in is offered.
    pub platform: bool,
    /// "A code was sent to …": the code form is shown.
    pub sent: Option<String>,
    /// What went wrong with the last form.
    pub error: Option<String>,
}

async fn page(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    holder: &Holder,
    sent: Option<String>,
    error: Option<&Error>,
) -> Result<IdentityPage, PageError> {
    let taken = identity::take_notice(state, holder)
        .await?
        .map(|at| lang.t_args("identity-taken", &[("at", Arg::Str(&china_time(at)))]));
    // Corrections took every certificate away from this registration: no
    // proof can help, registering again with the corrected details does.
    let corrected = services::corrections::corrected_unproven(state, holder).await?;
    let taken = match corrected.last() {
        Some(at) => {
            let date = zhengshu_domain::day_in_china(*at).to_string();
            Some(lang.t_args("certificates-corrected", &[("date", Arg::Str(&date))]))
        }
        None => taken,
    };
    let proof = lang.t(&format!("identity-proof-{}", holder.identity.code()));
    let status = if holder.identity.is_proven() {
        lang.t_args("identity-proven", &[("proof", Arg::Str(&proof))])
    } else {
        lang.t_args(
            "identity-missing",
            &[
                ("name", Arg::Str(holder.name.as_str())),
                ("id", Arg::Str(&holder.id_document.number.masked())),
            ],
        )
    };
    let ways = identity::ways(state, holder).await?;
    Ok(IdentityPage {
        chrome: Chrome::new(
            lang,
            csrf,
            Some(holder),
            "/identity",
            lang.t("identity-title"),
        ),
        status,
        proven: holder.identity.is_proven(),
        taken,
        channels: ways
            .channels
            .into_iter()
            .enumerate()
            .map(|(index, c)| ChannelView {
                index,
                label: lang.t_args(
                    &format!("identity-send-{}", c.kind),
                    &[("to", Arg::Str(&c.masked))],
                ),
            })
            .collect(),
        management_number: ways.management_number,
        platform: state.platform.is_some(),
        sent,
        error: error.map(|e| e.message(lang)),
    })
}

async fn show(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    PageAgreed(holder): PageAgreed,
) -> Result<Response, PageError> {
    let p = page(&state, lang, &csrf, &holder, None, None).await?;
    Ok(render(StatusCode::OK, &p))
}

/// A refusal the page shows beside its forms; anything else is the error
/// page.
fn shown_on_page(e: services::Error) -> Result<Error, PageError> {
    use services::Error as S;
    match e {
        S::NoContact
        | S::CodeNotSent
        | S::CodeWrong { .. }
        | S::CodeExpired
        | S::ManagementNumberWrong
        | S::IdentityHeld
        | S::Throttled { .. } => Ok(e.into()),
        other => Err(PageError::from(other)),
    }
}

async fn refused(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    holder: &Holder,
    sent: Option<String>,
    e: services::Error,
) -> Result<Response, PageError> {
    let e = shown_on_page(e)?;
    let p = page(state, lang, csrf, holder, sent, Some(&e)).await?;
    let mut response = render(e.status(), &p);
    e.add_retry_after(&mut response);
    Ok(response)
}

#[derive(Deserialize)]
struct SendForm {
    channel: usize,
}

async fn send_code(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    ClientAddr(client): ClientAddr,
    PageAgreed(holder): PageAgreed,
    CsrfForm(form): CsrfForm<SendForm>,
) -> Result<Response, PageError> {
    match identity::send_code(
        &state,
        lang,
        &holder,
        CodePurpose::Identity,
        form.channel,
        &client,
    )
    .await
    {
        Ok(to) => {
            let minutes = state.identity_limits.code_ttl.as_mins();
            let sent = lang.t_args(
                "identity-sent",
                &[("to", Arg::Str(&to.masked)), ("minutes", Arg::Num(minutes))],
            );
            let p = page(&state, lang, &csrf, &holder, Some(sent), None).await?;
            Ok(render(StatusCode::OK, &p))
        }
        Err(e) => refused(&state, lang, &csrf, &holder, None, e).await,
    }
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

async fn prove_by_code(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    PageAgreed(holder): PageAgreed,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response, PageError> {
    match identity::prove_by_code(&state, &holder, &form.code).await {
        Ok(_) => Ok(Redirect::to("/certificates").into_response()),
        Err(e) => {
            // Keep the code form open for another try.
            let sent = Some(lang.t("identity-enter-code"));
            refused(&state, lang, &csrf, &holder, sent, e).await
        }
    }
}

#[derive(Deserialize)]
struct ManagementForm {
    #[serde(default)]
    management_number: String,
}

async fn prove_by_management_number(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    ClientAddr(client): ClientAddr,
    PageAgreed(holder): PageAgreed,
    CsrfForm(form): CsrfForm<ManagementForm>,
) -> Result<Response, PageError> {
    match identity::prove_by_management_number(&state, &holder, &form.management_number, &client)
        .await
    {
        Ok(_) => Ok(Redirect::to("/certificates").into_response()),
        Err(e) => refused(&state, lang, &csrf, &holder, None, e).await,
    }
}
