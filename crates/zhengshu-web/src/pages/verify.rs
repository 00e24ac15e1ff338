//! 证书查验 pages, public (no holder session needed or set): what the QR
//! code opens (`GET /verify/{code}`: 有效, 加注件已过期, 已撤回 or 已撤销 with
//! its reason, and what a verifier may see), and the check by certificate
//! number and holder name (`GET /verify`, a form whose name field offers
//! the rare-character picker; `POST /verify`, the answer above the form).
//! Both count against the verification rate limits; over them the error
//! page says to wait, with `Retry-After`.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use zhengshu_domain::{Channel, Outcome, VerificationCode};

use super::extract::{Csrf, CsrfForm};
use super::rarechars::Picker;
use super::{Chrome, PageError, china_time, render};
use crate::client::ClientAddr;
use crate::i18n::{Arg, Lang};
use crate::services::verification::{self, Checked};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/verify", get(form).post(check))
        .route("/verify/{code}", get(by_code))
}

/// The answer as the page shows it.
struct ResultView {
    /// `valid`, `expired`, `withdrawn`, `revoked` or `not_found`.
    state: &'static str,
    heading: String,
    /// The day of the expiry or withdrawal, said in a sentence.
    detail: Option<String>,
    fields: Vec<(String, String)>,
}

impl ResultView {
    fn of(lang: Lang, c: Checked) -> Self {
        let state = c.outcome.code();
        let mut fields = Vec::new();
        let mut add = |key: &str, value: String| fields.push((lang.t(key), value));
        let detail = match &c.outcome {
            Outcome::Expired { last_day } => Some(lang.t_args(
                "verify-expired-detail",
                &[("date", Arg::Str(&last_day.to_string()))],
            )),
            Outcome::Withdrawn { on } => Some(lang.t_args(
                "verify-withdrawn-detail",
                &[("date", Arg::Str(&on.to_string()))],
            )),
            Outcome::Revoked(r) => {
                add("field-label-revoked-at", china_time(r.at));
                add("field-label-revocation-reason", r.reason.clone());
                None
            }
            Outcome::Valid | Outcome::NotFound => None,
        };
        if let Some(s) = c.shown {
            add("field-label-name", s.holder_name);
            add("field-label-id-number", s.id_number_masked);
            add("field-label-qualification", s.qualification);
            add("field-label-number", s.certificate_number);
            add("field-label-issuing-body", s.issuing_body);
            if let Some(a) = s.annotation {
                add("annotation-label-number", a.number);
                add(
                    "annotation-label-scenario",
                    lang.t(&format!("scenario-{}", a.scenario)),
                );
                if let (Some(from), Some(until)) = (a.valid_from, a.valid_until) {
                    add(
                        "annotation-label-validity",
                        lang.t_args(
                            "annotation-validity-range",
                            &[
                                ("from", Arg::Str(&from.to_string())),
                                ("until", Arg::Str(&until.to_string())),
                            ],
                        ),
                    );
                }
                if let Some(sha) = a.document_sha256 {
                    add("verify-label-sha256", sha);
                }
            }
        }
        ResultView {
            state,
            heading: lang.t(&format!("verify-result-{state}")),
            detail,
            fields,
        }
    }
}

/// What the name and number fields hold.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NumberForm {
    certificate_number: String,
    name: String,
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    chrome: Chrome,
    result: Option<ResultView>,
    /// The number-and-name form (not on the page a QR code opens).
    show_form: bool,
    form: NumberForm,
    picker: Picker,
}

impl VerifyPage {
    fn new(
        lang: Lang,
        csrf: &str,
        path: &str,
        result: Option<ResultView>,
        form: NumberForm,
    ) -> Self {
        Self {
            chrome: Chrome::new(lang, csrf, None, path, lang.t("verify-title")),
            result,
            show_form: true,
            form,
            picker: Picker::new("name", "/verify"),
        }
    }
}

/// `GET /verify`: the form (the picker's no-JS page returns here with the
/// composed `name`).
async fn form(lang: Lang, Csrf(csrf): Csrf, Query(q): Query<NumberForm>) -> Response {
    render(
        StatusCode::OK,
        &VerifyPage::new(lang, &csrf, "/verify", None, q),
    )
}

/// `POST /verify`: the answer, with the form again below it.
async fn check(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    ClientAddr(client): ClientAddr,
    CsrfForm(f): CsrfForm<NumberForm>,
) -> Result<Response, PageError> {
    verification::admit(&state, &client, 1)?;
    let checked = verification::by_number_and_name(
        &state,
        &client,
        Channel::NumberName,
        &f.certificate_number,
        &f.name,
    )
    .await?;
    let page = VerifyPage::new(
        lang,
        &csrf,
        "/verify",
        Some(ResultView::of(lang, checked)),
        f,
    );
    Ok(render(StatusCode::OK, &page))
}

/// `GET /verify/{code}`: what the QR code opens.
async fn by_code(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    ClientAddr(client): ClientAddr,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    verification::admit(&state, &client, 1)?;
    let checked = verification::by_code(&state, &client, Channel::Qr, &code).await?;
    // The language switch comes back to this answer (a code as parsed:
    // nothing typed in the address is echoed into a link).
    let here = VerificationCode::parse(&code).map_or_else(
        |_| "/verify".to_owned(),
        |c| format!("/verify/{}", c.as_str()),
    );
    let mut page = VerifyPage::new(
        lang,
        &csrf,
        &here,
        Some(ResultView::of(lang, checked)),
        NumberForm::default(),
    );
    page.show_form = false;
    Ok(render(StatusCode::OK, &page))
}
