//! The qualification-type catalogue and the verification scope settings
//! of each type.

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

struct TypeRow {
    code: String,
    name: String,
    body: String,
    in_scope: bool,
    years_from: String,
    years_to: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TypeForm {
    pub code: String,
    pub name: String,
    pub body: String,
    pub before_name: String,
    pub before_body: String,
    /// Scope settings, and those the form was shown with.
    pub in_scope: Option<String>,
    pub years_from: String,
    pub years_to: String,
    pub before_in_scope: String,
    pub before_years_from: String,
    pub before_years_to: String,
}

#[derive(Template)]
#[template(path = "console_types.html")]
struct TypesPage {
    chrome: Chrome,
    frame: Frame,
    /// The scope page (scope settings) rather than the catalogue.
    scope: bool,
    rows: Vec<TypeRow>,
    bodies: Vec<(String, String)>,
    table: Table,
    out: Outcome,
    form: TypeForm,
}

impl TypesPage {
    fn failed_on(&self, code: &str) -> bool {
        self.out.failed.as_deref() == Some(code)
    }
}

#[allow(clippy::too_many_arguments)] // a page: who, how, what happened
async fn types_page(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    me: &Staff,
    scope: bool,
    q: &TableQuery,
    out: Outcome,
    form: TypeForm,
) -> Result<Response, PageError> {
    guard(me)?;
    let bodies: Vec<(String, String)> = state
        .storage
        .issuing_bodies()
        .await
        .map_err(services::Error::from)?
        .into_iter()
        .map(|b| (b.code.to_string(), b.name))
        .collect();
    let rows = state
        .storage
        .qualification_types()
        .await
        .map_err(services::Error::from)?
        .into_iter()
        .map(|t| TypeRow {
            code: t.code.to_string(),
            name: t.name,
            body: t.body.to_string(),
            in_scope: t.in_scope,
            years_from: t.years_from.to_string(),
            years_to: t.years_to.map(|y| y.to_string()).unwrap_or_default(),
        })
        .collect();
    let (path, title) = if scope {
        ("/console/scope", "console-scope-title")
    } else {
        ("/console/types", "console-types-title")
    };
    let cols: &[(&str, &str)] = if scope {
        &[
            ("code", "console-col-code"),
            ("body", "console-col-body"),
            ("in_scope", "console-col-in-scope"),
            ("years_from", "console-col-years-from"),
        ]
    } else {
        &[
            ("code", "console-col-code"),
            ("name", "console-col-name"),
            ("body", "console-col-body"),
        ]
    };
    let (rows, table) = table(lang, path, q, cols, rows, |r: &TypeRow, k| match k {
        "name" => r.name.clone(),
        "body" => format!("{}\u{0}{}", r.body, r.code),
        "in_scope" => format!("{}\u{0}{}", u8::from(r.in_scope), r.code),
        "years_from" => format!("{:0>4}\u{0}{}", r.years_from, r.code),
        _ => r.code.clone(),
    });
    let status = out.status();
    let f = frame(lang, csrf, me, path, title);
    Ok(render(
        status,
        &TypesPage {
            chrome: f.chrome.clone(),
            frame: f,
            scope,
            rows,
            bodies,
            table,
            out,
            form,
        },
    ))
}

pub async fn types(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    Query(q): Query<TableQuery>,
) -> Result<Response, PageError> {
    types_page(
        &state,
        lang,
        &csrf,
        &me,
        false,
        &q,
        Outcome::default(),
        TypeForm::default(),
    )
    .await
}

pub async fn scope(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    Query(q): Query<TableQuery>,
) -> Result<Response, PageError> {
    types_page(
        &state,
        lang,
        &csrf,
        &me,
        true,
        &q,
        Outcome::default(),
        TypeForm::default(),
    )
    .await
}

pub async fn add_type(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    ClientAddr(client): ClientAddr,
    CsrfForm(form): CsrfForm<TypeForm>,
) -> Result<Response, PageError> {
    guard(&me)?;
    let input = operator::TypeInput {
        code: &form.code,
        name: &form.name,
        body: &form.body,
    };
    let (out, keep) = match operator::add_type(&state, &me, &input, &client).await {
        Ok(t) => (
            Outcome {
                notice: Some(
                    lang.t_args("console-type-added", &[("code", Arg::Str(t.code.as_str()))]),
                ),
                ..Outcome::default()
            },
            TypeForm::default(),
        ),
        Err(e) => (Outcome::refused(lang, e, None)?, form),
    };
    types_page(
        &state,
        lang,
        &csrf,
        &me,
        false,
        &TableQuery::default(),
        out,
        keep,
    )
    .await
}

pub async fn edit_type(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    ClientAddr(client): ClientAddr,
    CsrfForm(form): CsrfForm<TypeForm>,
) -> Result<Response, PageError> {
    guard(&me)?;
    let input = operator::TypeInput {
        code: &form.code,
        name: &form.name,
        body: &form.body,
    };
    let done = operator::edit_type(
        &state,
        &me,
        &input,
        &form.before_name,
        &form.before_body,
        &client,
    )
    .await;
    let out = match done {
        Ok(t) => Outcome {
            notice: Some(lang.t_args("console-type-saved", &[("code", Arg::Str(t.code.as_str()))])),
            ..Outcome::default()
        },
        Err(e) => Outcome::refused(lang, e, Some(form.code.clone()))?,
    };
    types_page(
        &state,
        lang,
        &csrf,
        &me,
        false,
        &TableQuery::default(),
        out,
        TypeForm::default(),
    )
    .await
}

pub async fn set_scope(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    ClientAddr(client): ClientAddr,
    CsrfForm(form): CsrfForm<TypeForm>,
) -> Result<Response, PageError> {
    guard(&me)?;
    let before = operator::ScopeInput {
        in_scope: form.before_in_scope == "true",
        years_from: &form.before_years_from,
        years_to: &form.before_years_to,
    };
    let after = operator::ScopeInput {
        in_scope: form.in_scope.is_some(),
        years_from: &form.years_from,
        years_to: &form.years_to,
    };
    let done = operator::set_scope(&state, &me, &form.code, &before, &after, &client).await;
    let out = match done {
        Ok(t) => Outcome {
            notice: Some(lang.t_args(
                "console-scope-saved",
                &[("code", Arg::Str(t.code.as_str()))],
            )),
            ..Outcome::default()
        },
        Err(e) => Outcome::refused(lang, e, Some(form.code.clone()))?,
    };
    types_page(
        &state,
        lang,
        &csrf,
        &me,
        true,
        &TableQuery::default(),
        out,
        TypeForm::default(),
    )
    .await
}
