//! Seal keys: the ministry's and each body's seal, subject, validity and
//! fingerprint; a body without one named as such.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::super::{Console, Frame};
use crate::i18n::Lang;
use crate::pages::extract::Csrf;
use crate::pages::{Chrome, PageError, china_time, render};
use crate::services::operator;
use crate::state::AppState;

use super::{Table, TableQuery, frame, guard, table};

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
