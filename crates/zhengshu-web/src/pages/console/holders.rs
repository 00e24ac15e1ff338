//! Holder support for officers: a search form (certificate number or ID
//! number) listing the holder accounts that hold the identity of the
//! body's certificates, each with a form to unlink it from that identity
//! with a required reason. Other roles see no such page.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use zhengshu_domain::Staff;

use super::{Console, Frame};
use crate::client::ClientAddr;
use crate::error::{Error, field_message};
use crate::i18n::Lang;
use crate::pages::extract::{Csrf, CsrfForm};
use crate::pages::{Chrome, PageError, china_time, render};
use crate::services::{self, support};
use crate::state::AppState;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SearchQuery {
    /// `certificate` or `id`.
    pub by: String,
    pub q: String,
}

struct Row {
    id: i64,
    username: String,
    name: String,
    id_type: String,
    id_number: String,
    registered: String,
    certificates: String,
}

#[derive(Template)]
#[template(path = "console_holders.html")]
struct HoldersPage {
    chrome: Chrome,
    frame: Frame,
    q: SearchQuery,
    searched: bool,
    rows: Vec<Row>,
    notice: Option<String>,
    errors: Vec<(&'static str, String)>,
    /// The account whose unlink form the errors are about.
    failed: Option<i64>,
    reason: String,
}

impl HoldersPage {
    fn failed_on(&self, id: &i64) -> bool {
        self.failed == Some(*id)
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
}

/// The page for `q`: its results, or the search's field error.
async fn page(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    me: &Staff,
    q: SearchQuery,
) -> Result<(StatusCode, HoldersPage), PageError> {
    if !support::allowed(me) {
        return Err(PageError(Error::NotFound));
    }
    let frame = Frame::new(
        lang,
        csrf,
        Some(me),
        "/console/holders",
        lang.t("console-holders-title"),
    );
    let mut out = HoldersPage {
        chrome: frame.chrome.clone(),
        frame,
        searched: false,
        rows: Vec::new(),
        notice: None,
        errors: Vec::new(),
        failed: None,
        reason: String::new(),
        q,
    };
    if out.q.q.trim().is_empty() {
        return Ok((StatusCode::OK, out));
    }
    let search = match support::search_of(&out.q.by, &out.q.q) {
        Ok(s) => s,
        Err(services::Error::Validation(fields)) => {
            out.errors = fields
                .iter()
                .map(|f| (f.field, field_message(f, lang)))
                .collect();
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, out));
        }
        Err(e) => return Err(e.into()),
    };
    out.searched = true;
    out.rows = support::find(state, me, &search)
        .await?
        .into_iter()
        .map(|l| Row {
            id: l.holder.id,
            username: l.holder.username.as_str().to_owned(),
            name: l.holder.name.as_str().to_owned(),
            id_type: lang.t(&format!("id-type-{}", l.holder.id_document.id_type.code())),
            id_number: l.holder.id_document.number.masked(),
            registered: china_time(l.holder.created_at),
            certificates: l.certificates.join("、"),
        })
        .collect();
    Ok((StatusCode::OK, out))
}

pub async fn search(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    Query(q): Query<SearchQuery>,
) -> Result<Response, PageError> {
    let (status, out) = page(&state, lang, &csrf, &me, q).await?;
    Ok(render(status, &out))
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UnlinkForm {
    pub holder: i64,
    pub reason: String,
    /// The search to show again afterwards.
    pub by: String,
    pub q: String,
}

pub async fn unlink(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    ClientAddr(client): ClientAddr,
    CsrfForm(form): CsrfForm<UnlinkForm>,
) -> Result<Response, PageError> {
    let q = SearchQuery {
        by: form.by.clone(),
        q: form.q.clone(),
    };
    match support::unlink(&state, &me, form.holder, &form.reason, &client).await {
        Ok(()) => {
            let (_, mut out) = page(&state, lang, &csrf, &me, q).await?;
            out.notice = Some(lang.t("console-unlinked"));
            Ok(render(StatusCode::OK, &out))
        }
        Err(services::Error::Validation(fields)) => {
            let (_, mut out) = page(&state, lang, &csrf, &me, q).await?;
            out.errors = fields
                .iter()
                .map(|f| (f.field, field_message(f, lang)))
                .collect();
            out.failed = Some(form.holder);
            out.reason = form.reason;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &out))
        }
        Err(e) => Err(e.into()),
    }
}
