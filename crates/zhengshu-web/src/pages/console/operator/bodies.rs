//! Issuing bodies (发证机构): the list, adding one (its seal made at
//! once where the root key is here) and renaming.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use zhengshu_domain::Staff;

use super::super::{Console, Frame};
use crate::client::ClientAddr;
use crate::i18n::{Arg, Lang};
use crate::pages::extract::{Csrf, CsrfForm};
use crate::pages::{Chrome, PageError, render};
use crate::services::{self, operator};
use crate::state::AppState;

use super::{Outcome, Table, TableQuery, frame, guard, table};

struct BodyRow {
    code: String,
    name: String,
    exempt: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BodyForm {
    pub code: String,
    pub name: String,
    /// Present (any value) when ticked.
    pub exempt: Option<String>,
    /// The name the rename form was shown with.
    pub before_name: String,
}

#[derive(Template)]
#[template(path = "console_bodies.html")]
struct BodiesPage {
    chrome: Chrome,
    frame: Frame,
    rows: Vec<BodyRow>,
    table: Table,
    out: Outcome,
    form: BodyForm,
}

impl BodiesPage {
    fn failed_on(&self, code: &str) -> bool {
        self.out.failed.as_deref() == Some(code)
    }
}

async fn bodies_page(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    me: &Staff,
    q: &TableQuery,
    out: Outcome,
    form: BodyForm,
) -> Result<Response, PageError> {
    guard(me)?;
    let rows = state
        .storage
        .issuing_bodies()
        .await
        .map_err(services::Error::from)?
        .into_iter()
        .map(|b| BodyRow {
            code: b.code.to_string(),
            name: b.name,
            exempt: b.exempt_before_cutover,
        })
        .collect();
    let (rows, table) = table(
        lang,
        "/console/bodies",
        q,
        &[("code", "console-col-code"), ("name", "console-col-name")],
        rows,
        |r: &BodyRow, k| match k {
            "name" => r.name.clone(),
            _ => r.code.clone(),
        },
    );
    let status = out.status();
    let f = frame(lang, csrf, me, "/console/bodies", "console-bodies-title");
    Ok(render(
        status,
        &BodiesPage {
            chrome: f.chrome.clone(),
            frame: f,
            rows,
            table,
            out,
            form,
        },
    ))
}

pub async fn bodies(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    Query(q): Query<TableQuery>,
) -> Result<Response, PageError> {
    bodies_page(
        &state,
        lang,
        &csrf,
        &me,
        &q,
        Outcome::default(),
        BodyForm::default(),
    )
    .await
}

pub async fn add_body(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    ClientAddr(client): ClientAddr,
    CsrfForm(form): CsrfForm<BodyForm>,
) -> Result<Response, PageError> {
    guard(&me)?;
    let done = operator::add_body(
        &state,
        &me,
        &form.code,
        &form.name,
        form.exempt.is_some(),
        &client,
    )
    .await;
    let (out, keep) = match done {
        Ok((body, seal)) => {
            let notice = match seal {
                operator::SealMade::Ready => lang.t_args(
                    "console-body-added",
                    &[("code", Arg::Str(body.code.as_str()))],
                ),
                operator::SealMade::Missing(_) => lang.t_args(
                    "console-body-added-no-seal",
                    &[("code", Arg::Str(body.code.as_str()))],
                ),
            };
            (
                Outcome {
                    notice: Some(notice),
                    ..Outcome::default()
                },
                BodyForm::default(),
            )
        }
        Err(e) => (Outcome::refused(lang, e, None)?, form),
    };
    bodies_page(&state, lang, &csrf, &me, &TableQuery::default(), out, keep).await
}

pub async fn rename_body(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    ClientAddr(client): ClientAddr,
    CsrfForm(form): CsrfForm<BodyForm>,
) -> Result<Response, PageError> {
    guard(&me)?;
    let done = operator::rename_body(
        &state,
        &me,
        &form.code,
        &form.before_name,
        &form.name,
        &client,
    )
    .await;
    let out = match done {
        Ok(b) => Outcome {
            notice: Some(lang.t_args(
                "console-body-renamed",
                &[("code", Arg::Str(b.code.as_str()))],
            )),
            ..Outcome::default()
        },
        Err(e) => Outcome::refused(lang, e, Some(form.code.clone()))?,
    };
    bodies_page(
        &state,
        lang,
        &csrf,
        &me,
        &TableQuery::default(),
        out,
        BodyForm::default(),
    )
    .await
}
