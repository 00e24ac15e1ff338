//! Service-terms versions: the list and publishing the next one.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use zhengshu_domain::Staff;

use super::super::{Console, Frame};
use crate::client::ClientAddr;
use crate::i18n::{Arg, Lang};
use crate::pages::extract::{Csrf, CsrfForm};
use crate::pages::{Chrome, PageError, china_time, render};
use crate::services::{self, operator};
use crate::state::AppState;

use super::{Outcome, Table, TableQuery, frame, guard, table};

struct TermsRow {
    version: i32,
    published: String,
    text: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TermsForm {
    pub text: String,
    /// The newest version the form was shown with (0 for none).
    pub current: String,
}

#[derive(Template)]
#[template(path = "console_terms.html")]
struct TermsPage {
    chrome: Chrome,
    frame: Frame,
    rows: Vec<TermsRow>,
    current: i32,
    table: Table,
    out: Outcome,
    form: TermsForm,
}

async fn terms_page(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    me: &Staff,
    q: &TableQuery,
    out: Outcome,
    form: TermsForm,
) -> Result<Response, PageError> {
    guard(me)?;
    let versions = state
        .storage
        .terms_versions()
        .await
        .map_err(services::Error::from)?;
    let current = versions.first().map_or(0, |t| t.version);
    let rows = versions
        .into_iter()
        .map(|t| TermsRow {
            version: t.version,
            published: china_time(t.published_at),
            text: t.text,
        })
        .collect();
    // Newest first unless asked otherwise.
    let mut q = q.clone();
    if q.sort.is_empty() {
        q.sort = "version".into();
        q.dir = "desc".into();
    }
    let (rows, table) = table(
        lang,
        "/console/terms",
        &q,
        &[("version", "console-col-version")],
        rows,
        |r: &TermsRow, _| format!("{:010}", r.version),
    );
    let status = out.status();
    let f = frame(lang, csrf, me, "/console/terms", "console-terms-title");
    Ok(render(
        status,
        &TermsPage {
            chrome: f.chrome.clone(),
            frame: f,
            rows,
            current,
            table,
            out,
            form,
        },
    ))
}

pub async fn terms(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    Query(q): Query<TableQuery>,
) -> Result<Response, PageError> {
    terms_page(
        &state,
        lang,
        &csrf,
        &me,
        &q,
        Outcome::default(),
        TermsForm::default(),
    )
    .await
}

pub async fn publish_terms(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    ClientAddr(client): ClientAddr,
    CsrfForm(form): CsrfForm<TermsForm>,
) -> Result<Response, PageError> {
    guard(&me)?;
    let current = form.current.trim().parse::<i32>().unwrap_or(-1);
    let done = if current < 0 {
        Err(services::Error::Validation(vec![
            services::FieldError::new("form", "changed_meanwhile"),
        ]))
    } else {
        operator::publish_terms(&state, &me, current, &form.text, &client).await
    };
    let (out, keep) = match done {
        Ok(t) => (
            Outcome {
                notice: Some(lang.t_args(
                    "console-terms-published",
                    &[("version", Arg::Num(i64::from(t.version)))],
                )),
                ..Outcome::default()
            },
            TermsForm::default(),
        ),
        Err(e) => (Outcome::refused(lang, e, None)?, form),
    };
    terms_page(&state, lang, &csrf, &me, &TableQuery::default(), out, keep).await
}
