//! The console's search of the body's certificates (the operator's: of
//! every body) by certificate number, holder name, or ID number (through
//! the blind index, shown masked), a page of 50 at a time in the order of
//! their numbers: when more match, the page says so and links to the next
//! page, which starts after the last number shown.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use zhengshu_domain::{CertificateNumber, CertificateStatus};

use super::certificates::{error_of, field_errors};
use super::{Console, Frame};
use crate::error::Error;
use crate::i18n::{Arg, Lang};
use crate::pages::extract::Csrf;
use crate::pages::{Chrome, PageError, render};
use crate::services::revocation::{self, SEARCH_PAGE};
use crate::state::AppState;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SearchQuery {
    /// `number`, `name` or `id`.
    pub by: String,
    pub q: String,
    /// The page starts after this certificate number (the last one the
    /// page before showed); the first page when empty or not a number.
    pub after: String,
}

struct Row {
    id: i64,
    number: String,
    name: String,
    id_number: String,
    qualification: String,
    issue_date: String,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "console_certificates.html")]
struct SearchPage {
    chrome: Chrome,
    frame: Frame,
    q: SearchQuery,
    searched: bool,
    rows: Vec<Row>,
    /// When more certificates match: what the page says of them.
    more: Option<String>,
    /// When more certificates match: the next page.
    next: Option<String>,
    /// On a page after the first: the link to the first.
    first: Option<String>,
    errors: Vec<(&'static str, String)>,
}

impl SearchPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_of(&self.errors, field)
    }
}

/// The search page's address with these parameters.
fn href(q: &SearchQuery, after: Option<&str>) -> String {
    let mut pairs = vec![("by", q.by.as_str()), ("q", q.q.as_str())];
    if let Some(a) = after {
        pairs.push(("after", a));
    }
    format!(
        "/console/certificates?{}",
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    )
}

pub async fn search(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    Query(q): Query<SearchQuery>,
) -> Result<Response, PageError> {
    if !revocation::allowed(&me) {
        return Err(PageError(Error::NotFound));
    }
    let frame = Frame::new(
        lang,
        &csrf,
        Some(&me),
        "/console/certificates",
        lang.t("console-certificates-title"),
    );
    let mut out = SearchPage {
        chrome: frame.chrome.clone(),
        frame,
        searched: false,
        rows: Vec::new(),
        more: None,
        next: None,
        first: None,
        errors: Vec::new(),
        q,
    };
    if out.q.q.trim().is_empty() {
        return Ok(render(StatusCode::OK, &out));
    }
    let search = match revocation::search_of(&out.q.by, &out.q.q) {
        Ok(s) => s,
        Err(e) => match field_errors(&e, lang) {
            Some(errors) => {
                out.errors = errors;
                return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &out));
            }
            None => return Err(e.into()),
        },
    };
    let after = CertificateNumber::parse(out.q.after.trim()).ok();
    let found = revocation::find(&state, &me, &search, after.as_ref()).await?;
    out.searched = true;
    if after.is_some() {
        out.first = Some(href(&out.q, None));
    }
    if found.more
        && let Some(last) = found.certificates.last()
    {
        out.more = Some(lang.t_args(
            "console-certificates-more",
            &[("count", Arg::Num(SEARCH_PAGE))],
        ));
        out.next = Some(href(&out.q, Some(last.data.number.as_str())));
    }
    out.rows = found
        .certificates
        .into_iter()
        .map(|c| Row {
            id: c.id,
            number: c.data.number.as_str().to_owned(),
            name: c.data.name.as_str().to_owned(),
            id_number: c.data.id.number.masked(),
            qualification: c.qualification_name.clone(),
            issue_date: c.data.issue_date.to_string(),
            revoked: c.status != CertificateStatus::Valid,
        })
        .collect();
    Ok(render(StatusCode::OK, &out))
}
