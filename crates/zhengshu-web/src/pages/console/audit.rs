//! The audit log in the console: an auditor or admin browses and filters
//! their own body's events (the operator every event), paged and sorted on
//! the server, and exports the same selection as CSV with formula
//! characters neutralised.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use zhengshu_domain::{AuditEvent, Role, Staff};
use zhengshu_storage::AuditFilter;

use super::{Console, Frame};
use crate::error::Error;
use crate::i18n::Lang;
use crate::pages::extract::Csrf;
use crate::pages::{Chrome, PageError, china_time, render};
use crate::state::AppState;

const PAGE_SIZE: i64 = 50;
/// At most this many events in one export.
const EXPORT_MAX: i64 = 100_000;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    pub action: String,
    pub actor: String,
    /// `asc` for oldest first; newest first otherwise.
    pub sort: String,
    pub page: Option<i64>,
}

impl AuditQuery {
    fn filter(&self, me: &Staff) -> Result<AuditFilter, PageError> {
        let body = match me.role {
            Role::Operator => None,
            Role::Auditor | Role::Admin => me.body.as_ref().map(ToString::to_string),
            Role::Officer => return Err(PageError(Error::NotFound)),
        };
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty() && s.len() <= 200);
        Ok(AuditFilter {
            body,
            action: text(&self.action),
            actor: text(&self.actor),
            ascending: self.sort == "asc",
            offset: (self.page.unwrap_or(1).clamp(1, 1_000_000) - 1) * PAGE_SIZE,
            limit: PAGE_SIZE,
        })
    }

    fn href(&self, page: i64, sort: &str) -> String {
        let q = serde_urlencoded::to_string([
            ("action", self.action.as_str()),
            ("actor", self.actor.as_str()),
            ("sort", sort),
            ("page", &page.to_string()),
        ])
        .unwrap_or_default();
        format!("/console/audit?{q}")
    }
}

struct Row {
    seq: i64,
    at: String,
    actor: String,
    role: String,
    action: String,
    subject: String,
    after: String,
}

#[derive(Template)]
#[template(path = "console_audit.html")]
struct AuditPage {
    chrome: Chrome,
    frame: Frame,
    q: AuditQuery,
    rows: Vec<Row>,
    total: i64,
    page: i64,
    pages: i64,
    prev: Option<String>,
    next: Option<String>,
    flip_sort: String,
    csv: String,
}

pub async fn list(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    Query(q): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let filter = q.filter(&me)?;
    let (events, total) = state.storage.audit_page(&filter).await?;
    let page = filter.offset / PAGE_SIZE + 1;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let sort = if filter.ascending { "asc" } else { "desc" };
    let rows = events
        .into_iter()
        .map(|e| Row {
            seq: e.seq,
            at: china_time(e.at),
            actor: e.actor,
            role: e.role.unwrap_or_default(),
            action: e.action,
            subject: e.subject,
            after: e.after.unwrap_or_default(),
        })
        .collect();
    let frame = Frame::new(
        lang,
        &csrf,
        Some(&me),
        "/console/audit",
        lang.t("console-audit-title"),
    );
    let csv_q = serde_urlencoded::to_string([
        ("action", q.action.as_str()),
        ("actor", q.actor.as_str()),
        ("sort", sort),
    ])
    .unwrap_or_default();
    let out = AuditPage {
        chrome: frame.chrome.clone(),
        frame,
        rows,
        total,
        page,
        pages,
        prev: (page > 1).then(|| q.href(page - 1, sort)),
        next: (page < pages).then(|| q.href(page + 1, sort)),
        flip_sort: q.href(1, if filter.ascending { "desc" } else { "asc" }),
        csv: format!("/console/audit.csv?{csv_q}"),
        q,
    };
    Ok(render(StatusCode::OK, &out))
}

/// A CSV field: quoted, quotes doubled, and a leading `=`, `+`, `-`, `@`,
/// tab or carriage return prefixed with `'` so that no spreadsheet takes
/// it for a formula.
pub fn csv_field(s: &str) -> String {
    format!(
        "\"{}\"",
        zhengshu_domain::spreadsheet_safe(s).replace('"', "\"\"")
    )
}

fn csv_line(e: &AuditEvent) -> String {
    [
        e.seq.to_string(),
        e.at.to_string(),
        e.actor.clone(),
        e.role.clone().unwrap_or_default(),
        e.body.clone().unwrap_or_default(),
        e.address.clone().unwrap_or_default(),
        e.action.clone(),
        e.subject.clone(),
        e.before.clone().unwrap_or_default(),
        e.after.clone().unwrap_or_default(),
        zhengshu_domain::audit::to_hex(&e.hash),
    ]
    .iter()
    .map(|f| csv_field(f))
    .collect::<Vec<_>>()
    .join(",")
}

pub async fn csv(
    State(state): State<AppState>,
    Console(me): Console,
    Query(q): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let mut filter = q.filter(&me)?;
    filter.offset = 0;
    filter.limit = 1000;
    let mut out =
        String::from("\u{feff}seq,at,actor,role,body,address,action,subject,before,after,hash\r\n");
    loop {
        let (events, _) = state.storage.audit_page(&filter).await?;
        for e in &events {
            out.push_str(&csv_line(e));
            out.push_str("\r\n");
        }
        filter.offset += 1000;
        if events.len() < 1000 || filter.offset >= EXPORT_MAX {
            break;
        }
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.csv\"",
            ),
        ],
        out,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_characters_are_neutralised() {
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+1"), "\"'+1\"");
        assert_eq!(csv_field("-1"), "\"'-1\"");
        assert_eq!(csv_field("@SUM"), "\"'@SUM\"");
        assert_eq!(csv_field("\tx"), "\"'\tx\"");
        assert_eq!(csv_field("plain, text"), "\"plain, text\"");
    }
}
