//! The platform operator's pages: issuing bodies, the qualification-type
//! catalogue, the verification scope settings, service-terms versions and
//! seal keys. Every table is sorted and paged on the server (`sort`,
//! `dir`, `page` in the query); every form posts with the CSRF token and
//! answers the same page again, with a notice or the refused fields. Any
//! other role gets the absent page.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use zhengshu_domain::Staff;

use super::{Console, Frame};
use crate::client::ClientAddr;
use crate::error::{Error, field_message};
use crate::i18n::{Arg, Lang};
use crate::pages::extract::{Csrf, CsrfForm};
use crate::pages::{Chrome, PageError, china_time, render};
use crate::services::{self, operator};
use crate::state::AppState;

/// Rows on one page of a table.
pub const PAGE_SIZE: usize = 20;

/// How a table is sorted and which page is shown.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TableQuery {
    pub sort: String,
    /// `desc` for descending; ascending otherwise.
    pub dir: String,
    /// Bad or missing: the first page.
    pub page: String,
}

/// A column heading: a link sorting by it (reversing when it is the
/// sort already) and the mark of the current order.
pub struct Col {
    pub label: String,
    pub href: String,
    pub mark: &'static str,
}

/// The headings and pager of one table.
pub struct Table {
    pub cols: Vec<Col>,
    pub page: usize,
    pub pages: usize,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub total: usize,
}

/// Sorts `rows` by the column `q.sort` names (the first column when it
/// names none), then keeps page `q.page`.
fn table<T>(
    lang: Lang,
    path: &str,
    q: &TableQuery,
    cols: &[(&str, &str)],
    mut rows: Vec<T>,
    key: impl Fn(&T, &str) -> String,
) -> (Vec<T>, Table) {
    let sort = cols
        .iter()
        .find(|(k, _)| *k == q.sort)
        .map_or(cols[0].0, |(k, _)| *k);
    let desc = q.dir == "desc";
    rows.sort_by_cached_key(|r| key(r, sort));
    if desc {
        rows.reverse();
    }
    let total = rows.len();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page = q.page.trim().parse::<usize>().unwrap_or(1).clamp(1, pages);
    let href = |s: &str, d: bool, p: usize| {
        format!(
            "{path}?sort={s}&dir={}&page={p}",
            if d { "desc" } else { "asc" }
        )
    };
    let shown = rows
        .into_iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    let cols = cols
        .iter()
        .map(|(k, label)| Col {
            label: lang.t(label),
            href: href(k, *k == sort && !desc, 1),
            mark: match (*k == sort, desc) {
                (false, _) => "",
                (true, false) => " ▲",
                (true, true) => " ▼",
            },
        })
        .collect();
    let table = Table {
        cols,
        page,
        pages,
        prev: (page > 1).then(|| href(sort, desc, page - 1)),
        next: (page < pages).then(|| href(sort, desc, page + 1)),
        total,
    };
    (shown, table)
}

/// What a form's answer shows besides the table: a notice, or the refused
/// fields (and which row's form they concern).
#[derive(Default)]
pub struct Outcome {
    pub notice: Option<String>,
    pub errors: Vec<(&'static str, String)>,
    /// The row whose form was refused (its code); none for the add form.
    pub failed: Option<String>,
}

impl Outcome {
    fn status(&self) -> StatusCode {
        if self.errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    /// The refusal of a row's form, or of a form whose whole page changed.
    fn refused(lang: Lang, e: services::Error, row: Option<String>) -> Result<Self, PageError> {
        match e {
            services::Error::Validation(fields) => Ok(Outcome {
                notice: None,
                errors: fields
                    .iter()
                    .map(|f| (f.field, field_message(f, lang)))
                    .collect(),
                failed: row,
            }),
            other => Err(other.into()),
        }
    }
}

fn guard(me: &Staff) -> Result<(), PageError> {
    if operator::allowed(me) {
        Ok(())
    } else {
        Err(PageError(Error::NotFound))
    }
}

fn frame(lang: Lang, csrf: &str, me: &Staff, path: &str, title: &str) -> Frame {
    Frame::new(lang, csrf, Some(me), path, lang.t(title))
}

// ---------------------------------------------------------------- bodies

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

// ----------------------------------------------- qualification types and scope

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

// ------------------------------------------------------------------ terms

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

// ------------------------------------------------------------------ seals

struct SealView {
    code: String,
    name: String,
    subject: Option<String>,
    not_before: String,
    not_after: String,
    sha256: String,
}

#[derive(Template)]
#[template(path = "console_seals.html")]
struct SealsPage {
    chrome: Chrome,
    frame: Frame,
    /// `None`: this process holds no seal keys.
    rows: Option<Vec<SealView>>,
    table: Table,
}

pub async fn seals(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    Query(q): Query<TableQuery>,
) -> Result<Response, PageError> {
    guard(&me)?;
    let found = operator::seals(&state, &me).await?;
    let listed = found.is_some();
    let rows: Vec<SealView> = found
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            let name = if r.code == zhengshu_document::MINISTRY_CODE {
                lang.t("console-seal-ministry")
            } else {
                r.name
            };
            match r.seal {
                Some(s) => SealView {
                    code: r.code,
                    name,
                    subject: Some(s.subject),
                    not_before: china_time(s.not_before),
                    not_after: china_time(s.not_after),
                    sha256: s.sha256,
                },
                None => SealView {
                    code: r.code,
                    name,
                    subject: None,
                    not_before: String::new(),
                    not_after: String::new(),
                    sha256: String::new(),
                },
            }
        })
        .collect();
    let (rows, table) = table(
        lang,
        "/console/seals",
        &q,
        &[
            ("code", "console-col-code"),
            ("not_after", "console-col-not-after"),
        ],
        rows,
        |r: &SealView, k| match k {
            "not_after" => format!("{}\u{0}{}", r.not_after, r.code),
            _ => r.code.clone(),
        },
    );
    let f = frame(lang, &csrf, &me, "/console/seals", "console-seals-title");
    Ok(render(
        StatusCode::OK,
        &SealsPage {
            chrome: f.chrome.clone(),
            frame: f,
            rows: listed.then_some(rows),
            table,
        },
    ))
}
