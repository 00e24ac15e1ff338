//! The annotation pages: the application form ([申请证书加注] → choose
//! scenario and validity → [提交加注申请]), withdrawal (撤回加注), and the
//! documents behind [查看] (inline) and [下载] (attachment), for annotated
//! copies and for certificates that need no annotation. After an action the
//! holder lands on the certificate's [下载] page, which shows the state.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use zhengshu_domain::{ApplicationError, Holder};

use super::extract::{Csrf, CsrfForm, PageHolder};
use super::{Chrome, PageError, path_id, render};
use crate::download::{Disposition, pdf_response};
use crate::error::{Error, field_message};
use crate::i18n::{Arg, Lang};
use crate::services::{self, annotations, certificates};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/certificates/{id}/annotate", get(form))
        .route("/certificates/{id}/annotations", post(apply))
        .route("/certificates/{id}/document", get(certificate_document))
        .route("/annotations/{id}/document", get(annotation_document))
        .route("/annotations/{id}/withdraw", post(withdraw))
}

#[derive(Template)]
#[template(path = "annotate.html")]
struct FormPage {
    chrome: Chrome,
    id: i64,
    number: String,
    qualification: String,
    scenarios: Vec<(String, String)>,
    scenario: String,
    days: String,
    max_days: u16,
    days_hint: String,
    errors: Vec<(&'static str, String)>,
    refusal: Option<String>,
}

impl FormPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
}

struct Filled {
    scenario: String,
    days: String,
}

async fn form_page(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    h: &Holder,
    id: i64,
    filled: Option<Filled>,
    error: Option<&Error>,
) -> Result<Response, PageError> {
    let c = certificates::own(state, h, id).await?;
    let max = state.policy.max_validity_days;
    let filled = filled.unwrap_or(Filled {
        scenario: state
            .policy
            .scenarios
            .first()
            .map(|s| s.code().to_owned())
            .unwrap_or_default(),
        days: max.to_string(),
    });
    let (errors, refusal) = match error {
        Some(Error::Validation(fields)) => (
            fields
                .iter()
                .map(|f| (f.field, field_message(f, lang)))
                .collect(),
            None,
        ),
        Some(e) => (Vec::new(), Some(e.message(lang))),
        None => (Vec::new(), None),
    };
    let path = format!("/certificates/{}/annotate", c.id);
    let page = FormPage {
        chrome: Chrome::new(lang, csrf, Some(h), &path, lang.t("annotate-title")),
        id: c.id,
        number: c.data.number.to_string(),
        qualification: c.qualification_name.clone(),
        scenarios: state
            .policy
            .scenarios
            .iter()
            .map(|s| {
                (
                    s.code().to_owned(),
                    lang.t(&format!("scenario-{}", s.code())),
                )
            })
            .collect(),
        scenario: filled.scenario,
        days: filled.days,
        max_days: max,
        days_hint: lang.t_args("annotate-days-hint", &[("max", Arg::Num(i64::from(max)))]),
        errors,
        refusal,
    };
    let status = error.map_or(StatusCode::OK, Error::status);
    Ok(render(status, &page))
}

async fn form(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    PageHolder(h): PageHolder,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    form_page(&state, lang, &csrf, &h, path_id(&id)?, None, None).await
}

#[derive(Deserialize)]
struct ApplyForm {
    #[serde(default)]
    scenario: String,
    #[serde(default)]
    days: String,
}

async fn apply(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    PageHolder(h): PageHolder,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<ApplyForm>,
) -> Result<Response, PageError> {
    let id = path_id(&id)?;
    // Parsed here, once: the service takes domain types. Empty days are
    // the maximum; anything but a whole number is refused like a bad one.
    let policy = &state.policy;
    let application = match f.days.trim() {
        "" => Ok(i64::from(policy.max_validity_days)),
        d => d.parse::<i64>().map_err(|_| ApplicationError::BadDays {
            max: policy.max_validity_days,
        }),
    }
    .and_then(|days| policy.check_application(&f.scenario, days))
    .map_err(|e| annotations::refused(&e));
    let applied = match application {
        Ok(application) => annotations::apply(&state, &h, id, application).await,
        Err(e) => Err(e),
    };
    match applied {
        Ok(_) => {
            Ok(Redirect::to(&format!("/certificates/{id}/download?done=applied")).into_response())
        }
        // Refusals the holder can act on: the form again, as typed.
        Err(
            e @ (services::Error::Validation(_)
            | services::Error::AnnotationLimit { .. }
            | services::Error::AnnotationNotNeeded
            | services::Error::CertificateRevoked),
        ) => {
            let filled = Filled {
                scenario: f.scenario,
                days: f.days,
            };
            form_page(&state, lang, &csrf, &h, id, Some(filled), Some(&e.into())).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct Empty {}

async fn withdraw(
    State(state): State<AppState>,
    PageHolder(h): PageHolder,
    Path(id): Path<String>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let a = annotations::withdraw(&state, &h, path_id(&id)?).await?;
    Ok(Redirect::to(&format!(
        "/certificates/{}/download?done=withdrawn",
        a.certificate_id
    ))
    .into_response())
}

async fn annotation_document(
    State(state): State<AppState>,
    PageHolder(h): PageHolder,
    Path(id): Path<String>,
    Query(d): Query<Disposition>,
) -> Result<Response, PageError> {
    let doc = annotations::annotation_document(&state, &h, path_id(&id)?, d.inline()).await?;
    Ok(pdf_response(doc, d.inline()))
}

async fn certificate_document(
    State(state): State<AppState>,
    PageHolder(h): PageHolder,
    Path(id): Path<String>,
    Query(d): Query<Disposition>,
) -> Result<Response, PageError> {
    let doc = annotations::certificate_document(&state, &h, path_id(&id)?, d.inline()).await?;
    Ok(pdf_response(doc, d.inline()))
}
