//! The body's certificates in the console: a certificate's page with its
//! fields
//! (the ID number masked), its status, its history (every audit event
//! about it) and the forms the visitor's role allows — [撤销] with a
//! required reason and a confirmation step for the body's officers and
//! admins, the undoing of a revocation with a reason for the operator,
//! the correction form with the versions corrections replaced, and the
//! certificate's electronic files: attaching one (a `multipart/form-data`
//! upload, its size capped before it is read) and retiring one.
//! Another body's certificate answers like an absent one.

use askama::Template;
use axum::body::{Body, to_bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use zhengshu_domain::{AuditEvent, Certificate, CertificateStatus, Staff};

use super::{Console, Frame};
use crate::client::ClientAddr;
use crate::cookies::cookie;
use crate::error::{Error, field_message};
use crate::i18n::Lang;
use crate::pages::extract::{Csrf, CsrfForm, SESSION_COOKIE, csrf_cookie_name};
use crate::pages::verify_document::{boundary, parts};
use crate::pages::{Chrome, PageError, china_time, render};
use crate::services::corrections::{self, CorrectionForm};
use crate::services::files::{self, MAX_FILE};
use crate::services::{self, revocation, sessions};
use crate::state::AppState;

pub(super) fn error_of<'a>(errors: &'a [(&'static str, String)], field: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|(f, _)| *f == field)
        .map(|(_, m)| m.as_str())
}

pub(super) fn field_errors(e: &services::Error, lang: Lang) -> Option<Vec<(&'static str, String)>> {
    match e {
        services::Error::Validation(fields) => Some(
            fields
                .iter()
                .map(|f| (f.field, field_message(f, lang)))
                .collect(),
        ),
        _ => None,
    }
}

struct VersionRow {
    version: i32,
    at: String,
    actor: String,
    reason: String,
    before: String,
    after: String,
}

struct FileRow {
    id: i64,
    title: String,
    media_type: String,
    size: i64,
    sha256: String,
    added: String,
    /// When, by whom and why it was retired.
    retired: Option<String>,
}

struct HistoryRow {
    at: String,
    actor: String,
    action: String,
    before: String,
    after: String,
}

#[derive(Template)]
#[template(path = "console_certificate.html")]
struct CertificatePage {
    chrome: Chrome,
    frame: Frame,
    id: i64,
    number: String,
    fields: Vec<(String, String)>,
    revoked: Option<(String, String)>,
    history: Vec<HistoryRow>,
    /// Whether the visitor sees the revocation form.
    revokes: bool,
    /// Whether the visitor sees the form undoing a revocation.
    reinstates: bool,
    /// The reason awaiting confirmation, when the revocation is to be
    /// confirmed.
    confirm: Option<String>,
    reason: String,
    notice: Option<String>,
    errors: Vec<(&'static str, String)>,
    /// Whether the visitor sees the correction form.
    corrects: bool,
    form: CorrectionForm,
    /// (code, label) of each ID type and each sex.
    id_types: Vec<(String, String)>,
    sexes: Vec<(String, String)>,
    versions: Vec<VersionRow>,
    /// Whether the visitor attaches and retires files.
    manages_files: bool,
    files: Vec<FileRow>,
    /// What the upload form had: its title.
    file_title: String,
    /// The file whose retire form the errors are about.
    failed_file: Option<i64>,
    file_hint: String,
}

impl CertificatePage {
    fn failed_on(&self, id: &i64) -> bool {
        self.failed_file == Some(*id)
    }

    fn error(&self, field: &str) -> Option<&str> {
        error_of(&self.errors, field)
    }
}

fn opt(v: Option<&str>) -> String {
    v.unwrap_or("—").to_owned()
}

/// The certificate's page for `me` (no form, notice or error yet).
async fn page(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    me: &Staff,
    c: &Certificate,
) -> Result<CertificatePage, PageError> {
    let d = &c.data;
    let path = format!("/console/certificates/{}", c.id);
    let frame = Frame::new(
        lang,
        csrf,
        Some(me),
        &path,
        format!("{} {}", lang.t("console-certificate-title"), d.number),
    );
    let fields = vec![
        (lang.t("field-label-number"), d.number.as_str().to_owned()),
        (lang.t("field-label-name"), d.name.as_str().to_owned()),
        (
            lang.t("field-label-id-type"),
            lang.t(&format!("id-type-{}", d.id.id_type.code())),
        ),
        (lang.t("field-label-id-number"), d.id.number.masked()),
        (
            lang.t("field-label-qualification"),
            c.qualification_name.clone(),
        ),
        (lang.t("field-label-category"), opt(d.category.as_deref())),
        (lang.t("field-label-specialty"), opt(d.specialty.as_deref())),
        (lang.t("field-label-level"), opt(d.level.as_deref())),
        (lang.t("field-label-issue-date"), d.issue_date.to_string()),
        (lang.t("field-label-issuing-body"), c.body_name.clone()),
        (
            lang.t("field-label-status"),
            lang.t(&format!("status-{}", c.status.code())),
        ),
    ];
    let revoked = match &c.status {
        CertificateStatus::Revoked(r) => Some((china_time(r.at), r.reason.clone())),
        CertificateStatus::Valid => None,
    };
    let history = revocation::history(state, c)
        .await?
        .into_iter()
        .map(|e: AuditEvent| HistoryRow {
            at: china_time(e.at),
            actor: e.actor,
            action: e.action,
            before: e.before.unwrap_or_default(),
            after: e.after.unwrap_or_default(),
        })
        .collect();
    Ok(CertificatePage {
        chrome: frame.chrome.clone(),
        frame,
        id: c.id,
        number: d.number.as_str().to_owned(),
        fields,
        history,
        revokes: revocation::revokes(me) && revoked.is_none(),
        reinstates: revocation::reinstates(me) && revoked.is_some(),
        revoked,
        confirm: None,
        reason: String::new(),
        notice: None,
        errors: Vec::new(),
        corrects: corrections::corrects(me),
        form: CorrectionForm::of(c),
        id_types: zhengshu_domain::IdType::ALL
            .iter()
            .map(|t| {
                (
                    t.code().to_owned(),
                    lang.t(&format!("id-type-{}", t.code())),
                )
            })
            .collect(),
        sexes: ["male", "female"]
            .iter()
            .map(|s| ((*s).to_owned(), lang.t(&format!("sex-{s}"))))
            .collect(),
        versions: corrections::versions(state, c)
            .await?
            .into_iter()
            .map(|v| VersionRow {
                version: v.version,
                at: china_time(v.at),
                actor: v.actor,
                reason: v.reason,
                before: v.before,
                after: v.after,
            })
            .collect(),
        manages_files: files::manages(me),
        files: files::of(state, c)
            .await?
            .into_iter()
            .map(|f| FileRow {
                id: f.id,
                title: f.title,
                media_type: f.media_type,
                size: f.size,
                sha256: f.sha256,
                added: format!("{} {}", china_time(f.added_at), f.added_by),
                retired: f
                    .retired
                    .map(|(at, by, why)| format!("{} {} {}", china_time(at), by, why)),
            })
            .collect(),
        file_title: String::new(),
        failed_file: None,
        file_hint: lang.t_args(
            "console-file-hint",
            &[("mib", crate::i18n::Arg::Num((MAX_FILE >> 20) as i64))],
        ),
    })
}

pub async fn show(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let c = revocation::certificate(&state, &me, id).await?;
    let out = page(&state, lang, &csrf, &me, &c).await?;
    Ok(render(StatusCode::OK, &out))
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReasonForm {
    pub reason: String,
    /// `1` once the officer confirmed on the confirmation step.
    pub confirm: String,
}

/// The certificate's page with the refusal of a form: its field errors
/// (and what was typed), 422; any other error as it is.
/// The certificate's page after a change that went through, with its
/// notice.
async fn changed(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    me: &Staff,
    c: &Certificate,
    notice: &str,
) -> Result<Response, PageError> {
    let mut out = page(state, lang, csrf, me, c).await?;
    out.notice = Some(lang.t(notice));
    Ok(render(StatusCode::OK, &out))
}

async fn refused(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    me: &Staff,
    c: &Certificate,
    e: services::Error,
    reason: String,
) -> Result<Response, PageError> {
    let Some(errors) = field_errors(&e, lang) else {
        return Err(PageError::from(e));
    };
    let mut out = page(state, lang, csrf, me, c).await?;
    out.errors = errors;
    out.reason = reason;
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &out))
}

pub async fn revoke(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    ClientAddr(client): ClientAddr,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<ReasonForm>,
) -> Result<Response, PageError> {
    if !revocation::revokes(&me) {
        return Err(PageError(Error::NotFound));
    }
    let c = revocation::certificate(&state, &me, id).await?;
    if form.confirm != "1" {
        // The first step: the reason checked, then shown to be confirmed.
        let checked = revocation::reason(&form.reason, "revoke_reason").and_then(|r| {
            if c.status == CertificateStatus::Valid {
                Ok(r)
            } else {
                Err(services::Error::Validation(vec![
                    services::FieldError::new("status", "certificate_state_changed"),
                ]))
            }
        });
        return match checked {
            Ok(reason) => {
                let mut out = page(&state, lang, &csrf, &me, &c).await?;
                out.confirm = Some(reason);
                Ok(render(StatusCode::OK, &out))
            }
            Err(e) => refused(&state, lang, &csrf, &me, &c, e, form.reason).await,
        };
    }
    match revocation::revoke(&state, &me, id, &form.reason, &client).await {
        Ok(done) => changed(&state, lang, &csrf, &me, &done, "console-revoked").await,
        Err(e) => {
            let now = revocation::certificate(&state, &me, id).await?;
            refused(&state, lang, &csrf, &me, &now, e, form.reason).await
        }
    }
}

pub async fn reinstate(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    ClientAddr(client): ClientAddr,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<ReasonForm>,
) -> Result<Response, PageError> {
    if !revocation::reinstates(&me) {
        return Err(PageError(Error::NotFound));
    }
    match revocation::reinstate(&state, &me, id, &form.reason, &client).await {
        Ok(done) => changed(&state, lang, &csrf, &me, &done, "console-reinstated").await,
        Err(e) => {
            let c = revocation::certificate(&state, &me, id).await?;
            refused(&state, lang, &csrf, &me, &c, e, form.reason).await
        }
    }
}

pub async fn correct(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    ClientAddr(client): ClientAddr,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<CorrectionForm>,
) -> Result<Response, PageError> {
    if !corrections::corrects(&me) {
        return Err(PageError(Error::NotFound));
    }
    match corrections::correct(&state, &me, id, &form, &client).await {
        Ok(done) => changed(&state, lang, &csrf, &me, &done, "console-corrected").await,
        Err(e) => {
            let Some(errors) = field_errors(&e, lang) else {
                return Err(e.into());
            };
            let c = revocation::certificate(&state, &me, id).await?;
            let mut out = page(&state, lang, &csrf, &me, &c).await?;
            out.errors = errors;
            // What was typed stays, but the version seen: a stale form
            // is shown afresh, the ID number never echoed.
            let seen = out.form.seen.clone();
            let stale = form.seen != seen;
            if !stale {
                out.form = CorrectionForm {
                    id_number: String::new(),
                    seen,
                    ..form
                };
            }
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &out))
        }
    }
}

/// The console's CSRF check on a multipart form: the token in its `csrf`
/// part against this browser's cookie.
fn multipart_csrf_ok(state: &AppState, headers: &HeaderMap, token: Option<&[u8]>) -> bool {
    let cookie_value = cookie(headers, csrf_cookie_name(state)).unwrap_or("");
    let session = cookie(headers, SESSION_COOKIE).unwrap_or("");
    let token = token
        .and_then(|t| std::str::from_utf8(t).ok())
        .unwrap_or("");
    sessions::csrf_ok(&state.session_key, cookie_value, session, token)
}

// The handler takes what the upload needs: who, from where, which
// certificate, the headers and the body read under its cap.
#[allow(clippy::too_many_arguments)]
pub async fn attach(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    ClientAddr(client): ClientAddr,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PageError> {
    if !files::manages(&me) {
        return Err(PageError(Error::NotFound));
    }
    // The title, the token and the part headers fit in a few KiB.
    let bytes = to_bytes(body, MAX_FILE + 64 * 1024)
        .await
        .map_err(|_| PageError(Error::FileTooLarge))?;
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(boundary)
        .ok_or(PageError(Error::BadRequest))?;
    let parts = parts(&bytes, &boundary);
    let field = |name: &str| parts.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
    if !multipart_csrf_ok(&state, &headers, field("csrf")) {
        return Err(PageError(Error::CsrfRejected));
    }
    let title = String::from_utf8_lossy(field("title").unwrap_or_default()).into_owned();
    match files::attach(&state, &me, id, &title, field("file"), &client).await {
        Ok(_) => {
            let c = revocation::certificate(&state, &me, id).await?;
            changed(&state, lang, &csrf, &me, &c, "console-file-added").await
        }
        Err(e) => {
            let Some(errors) = field_errors(&e, lang) else {
                return Err(e.into());
            };
            let c = revocation::certificate(&state, &me, id).await?;
            let mut out = page(&state, lang, &csrf, &me, &c).await?;
            out.errors = errors;
            out.file_title = title;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &out))
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RetireForm {
    pub reason: String,
}

pub async fn retire_file(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    ClientAddr(client): ClientAddr,
    Path((id, file)): Path<(i64, i64)>,
    CsrfForm(form): CsrfForm<RetireForm>,
) -> Result<Response, PageError> {
    if !files::manages(&me) {
        return Err(PageError(Error::NotFound));
    }
    match files::retire(&state, &me, id, file, &form.reason, &client).await {
        Ok(()) => {
            let c = revocation::certificate(&state, &me, id).await?;
            changed(&state, lang, &csrf, &me, &c, "console-file-retired").await
        }
        Err(e) => {
            let Some(errors) = field_errors(&e, lang) else {
                return Err(e.into());
            };
            let c = revocation::certificate(&state, &me, id).await?;
            let mut out = page(&state, lang, &csrf, &me, &c).await?;
            out.errors = errors;
            out.failed_file = Some(file);
            out.reason = form.reason;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &out))
        }
    }
}
