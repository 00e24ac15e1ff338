//! An issuing body's imports in the console, for its officers and admins:
//! `/console/imports` lists the body's uploads and takes a new one (a CSV
//! file, or a zip of it and its photos, `multipart/form-data` with the
//! CSRF token, so it works without JavaScript); `/console/imports/{id}`
//! follows the upload — while it is checked or imported the page
//! refreshes itself (`<meta http-equiv="refresh">`) and shows the rows
//! read; then the preview (rows read, valid, refused, each refusal by line
//! and column, the refusals as a CSV file with formula characters
//! neutralised) with [确认导入], all or nothing or the valid rows only;
//! then the summary. `/console/tokens` is the admin's list of the body's
//! import tokens: issue one (shown once), revoke one. Other roles, and
//! other bodies' uploads and tokens, answer like absent pages.

use askama::Template;
use axum::body::{Body, to_bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zhengshu_domain::Staff;
use zhengshu_storage::Upload;
use zhengshu_storage::imports::{UPLOAD_EXPIRED, UPLOAD_STOPPED};

use super::audit::csv_field;
use super::{Console, Frame};
use crate::client::ClientAddr;
use crate::cookies::cookie;
use crate::error::{Error, field_message};
use crate::i18n::{Arg, Lang};
use crate::pages::extract::{Csrf, CsrfForm, SESSION_COOKIE, csrf_cookie_name};
use crate::pages::verify_document::{boundary, parts};
use crate::pages::{Chrome, PageError, china_time, render};
use crate::services::import_tokens;
use crate::services::imports::{self, MAX_UPLOAD};
use crate::services::{self, sessions};
use crate::state::AppState;

/// The refusals a page shows; the CSV file has them all (as kept).
const SHOWN: usize = 200;

/// A refused row or field as the page shows it: the reason in the page's
/// language.
pub struct RefusalRow {
    pub line: u64,
    pub column: Option<String>,
    pub reason: String,
}

/// An upload as its pages show it.
pub struct UploadView {
    pub id: i64,
    pub file: String,
    /// `checking`, `checked`, `importing`, `imported` or `failed`.
    pub state: &'static str,
    pub state_text: String,
    pub created: String,
    pub by: String,
    pub rows: i64,
    pub valid: i64,
    pub refused: i64,
    pub inserted: i64,
    pub updated: i64,
    pub valid_only: bool,
    pub error: Option<String>,
}

impl UploadView {
    fn of(u: &Upload, lang: Lang) -> Self {
        Self {
            id: u.id,
            file: u.file_name.clone(),
            state: u.state.code(),
            state_text: lang.t(&format!("import-state-{}", u.state.code())),
            created: china_time(u.created_at),
            by: u.created_by.clone(),
            rows: u.counts.rows,
            valid: u.counts.rows - u.counts.refused,
            refused: u.counts.refused,
            inserted: u.counts.inserted,
            updated: u.counts.updated,
            valid_only: u.valid_only,
            error: u.counts.error.as_deref().map(|e| match e {
                UPLOAD_STOPPED => lang.t("import-error-stopped"),
                UPLOAD_EXPIRED => lang.t("import-error-expired"),
                other => other.to_owned(),
            }),
        }
    }
}

#[derive(Template)]
#[template(path = "console_imports.html")]
struct ImportsPage {
    chrome: Chrome,
    frame: Frame,
    uploads: Vec<UploadView>,
    errors: Vec<String>,
    hint: String,
}

async fn list_page(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    me: &Staff,
    errors: Vec<String>,
) -> Result<ImportsPage, PageError> {
    let uploads = imports::recent(state, me).await?;
    let frame = Frame::new(
        lang,
        csrf,
        Some(me),
        "/console/imports",
        lang.t("console-imports-title"),
    );
    Ok(ImportsPage {
        chrome: frame.chrome.clone(),
        frame,
        uploads: uploads.iter().map(|u| UploadView::of(u, lang)).collect(),
        errors,
        hint: lang.t_args(
            "console-imports-hint",
            &[("mib", Arg::Num((MAX_UPLOAD >> 20) as i64))],
        ),
    })
}

pub async fn list(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
) -> Result<Response, PageError> {
    let page = list_page(&state, lang, &csrf, &me, Vec::new()).await?;
    Ok(render(StatusCode::OK, &page))
}

/// The file name a `multipart/form-data` body gives its `file` part.
fn file_name(body: &[u8]) -> String {
    let head = &body[..body.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    text.split("name=\"file\"")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .and_then(|line| line.split("filename=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("")
        .to_owned()
}

pub async fn upload(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PageError> {
    imports::import_body(&me)?;
    // The form's other fields and the part headers fit in a few KiB.
    let bytes = to_bytes(body, MAX_UPLOAD + 16 * 1024)
        .await
        .map_err(|_| PageError(Error::FileTooLarge))?;
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(boundary)
        .ok_or(PageError(Error::BadRequest))?;
    let found = parts(&bytes, &boundary);
    let field = |name: &str| found.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
    let token = field("csrf").and_then(|t| std::str::from_utf8(t).ok());
    let cookie_value = cookie(&headers, csrf_cookie_name(&state)).unwrap_or("");
    let session = cookie(&headers, SESSION_COOKIE).unwrap_or("");
    if !sessions::csrf_ok(
        &state.session_key,
        cookie_value,
        session,
        token.unwrap_or(""),
    ) {
        return Err(PageError(Error::CsrfRejected));
    }
    let file = field("file").unwrap_or(b"");
    match imports::upload(&state, &me, &file_name(&bytes), file.to_vec(), &client).await {
        Ok(id) => Ok(Redirect::to(&format!("/console/imports/{id}")).into_response()),
        Err(services::Error::Validation(fields)) => {
            let errors = fields.iter().map(|f| field_message(f, lang)).collect();
            let page = list_page(&state, lang, &csrf, &me, errors).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "console_import.html")]
struct ImportPage {
    chrome: Chrome,
    frame: Frame,
    u: UploadView,
    refresh: bool,
    progress: String,
    refusals: Vec<RefusalRow>,
    /// Refusals past those shown.
    more: String,
    errors: Vec<String>,
}

/// An upload's id from the path; anything else is absent.
fn upload_id(raw: &str) -> Result<i64, PageError> {
    raw.parse().map_err(|_| PageError(Error::NotFound))
}

async fn import_page(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    me: &Staff,
    id: i64,
    errors: Vec<String>,
) -> Result<ImportPage, PageError> {
    let u = imports::find(state, me, id).await?;
    let all = imports::refusals(&u);
    let more = if all.len() > SHOWN || (u.counts.refused > 0 && all.is_empty()) {
        lang.t_args(
            "console-import-more",
            &[("shown", Arg::Num(all.len().min(SHOWN) as i64))],
        )
    } else {
        String::new()
    };
    let path = format!("/console/imports/{id}");
    let frame = Frame::new(lang, csrf, Some(me), &path, lang.t("console-import-title"));
    Ok(ImportPage {
        chrome: frame.chrome.clone(),
        frame,
        refresh: u.state.running(),
        progress: lang.t_args(
            "console-import-progress",
            &[("rows", Arg::Num(u.counts.rows))],
        ),
        u: UploadView::of(&u, lang),
        refusals: all
            .iter()
            .take(SHOWN)
            .map(|r| RefusalRow {
                line: r.line,
                column: r.column.clone(),
                reason: r.message(lang),
            })
            .collect(),
        more,
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let page = import_page(&state, lang, &csrf, &me, upload_id(&raw)?, Vec::new()).await?;
    Ok(render(StatusCode::OK, &page))
}

/// The refusals of an upload as a CSV file: line, column, the reason's
/// stable code (for programs) and the reason in the page's language, each
/// cell safe for spreadsheets.
pub async fn rejects(
    State(state): State<AppState>,
    lang: Lang,
    Console(me): Console,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let id = upload_id(&raw)?;
    let u = imports::find(&state, &me, id).await?;
    let mut out = String::from("line,column,code,reason\r\n");
    for r in imports::refusals(&u) {
        out.push_str(&format!(
            "{},{},{},{}\r\n",
            r.line,
            csv_field(r.column.as_deref().unwrap_or("")),
            csv_field(&r.code),
            csv_field(&r.message(lang))
        ));
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"import-{id}-rejects.csv\""),
            ),
        ],
        out,
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConfirmForm {
    /// `all` (all or nothing) or `valid` (the valid rows only).
    pub mode: String,
}

pub async fn confirm(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    ClientAddr(client): ClientAddr,
    Path(raw): Path<String>,
    CsrfForm(form): CsrfForm<ConfirmForm>,
) -> Result<Response, PageError> {
    let id = upload_id(&raw)?;
    let valid_only = form.mode == "valid";
    match imports::confirm(&state, &me, id, valid_only, &client).await {
        Ok(()) => Ok(Redirect::to(&format!("/console/imports/{id}")).into_response()),
        Err(services::Error::Validation(fields)) => {
            let errors = fields.iter().map(|f| field_message(f, lang)).collect();
            let page = import_page(&state, lang, &csrf, &me, id, errors).await?;
            Ok(render(StatusCode::CONFLICT, &page))
        }
        Err(e) => Err(e.into()),
    }
}

struct TokenRow {
    id: i64,
    label: String,
    created: String,
    by: String,
    revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "console_tokens.html")]
struct TokensPage {
    chrome: Chrome,
    frame: Frame,
    tokens: Vec<TokenRow>,
    /// A token just issued: its label and the token, shown this once.
    issued: Option<(String, String)>,
    notice: Option<String>,
    errors: Vec<String>,
    label: String,
    api_hint: String,
}

async fn tokens_page(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    me: &Staff,
) -> Result<TokensPage, PageError> {
    let tokens = import_tokens::tokens(state, me).await?;
    let frame = Frame::new(
        lang,
        csrf,
        Some(me),
        "/console/tokens",
        lang.t("console-tokens-title"),
    );
    Ok(TokensPage {
        chrome: frame.chrome.clone(),
        frame,
        tokens: tokens
            .iter()
            .map(|t| TokenRow {
                id: t.id,
                label: t.label.clone(),
                created: china_time(t.created_at),
                by: t.created_by.clone(),
                revoked: t.revoked_at.map(china_time),
            })
            .collect(),
        issued: None,
        notice: None,
        errors: Vec::new(),
        label: String::new(),
        api_hint: lang.t("console-tokens-api"),
    })
}

pub async fn tokens(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
) -> Result<Response, PageError> {
    let page = tokens_page(&state, lang, &csrf, &me).await?;
    Ok(render(StatusCode::OK, &page))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IssueForm {
    pub label: String,
}

pub async fn issue(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    ClientAddr(client): ClientAddr,
    CsrfForm(form): CsrfForm<IssueForm>,
) -> Result<Response, PageError> {
    match import_tokens::issue_token(&state, &me, &form.label, &client).await {
        Ok((token, secret)) => {
            let mut page = tokens_page(&state, lang, &csrf, &me).await?;
            page.issued = Some((token.label, secret));
            Ok(render(StatusCode::OK, &page))
        }
        Err(services::Error::Validation(fields)) => {
            let mut page = tokens_page(&state, lang, &csrf, &me).await?;
            page.errors = fields.iter().map(|f| field_message(f, lang)).collect();
            page.label = form.label;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RevokeForm {
    pub token: i64,
}

pub async fn revoke(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    ClientAddr(client): ClientAddr,
    CsrfForm(form): CsrfForm<RevokeForm>,
) -> Result<Response, PageError> {
    import_tokens::revoke_token(&state, &me, form.token, &client).await?;
    let mut page = tokens_page(&state, lang, &csrf, &me).await?;
    page.notice = Some(lang.t("console-token-revoked"));
    Ok(render(StatusCode::OK, &page))
}
